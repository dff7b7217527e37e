r"""Probabilistic customer lifetime value: BG/NBD + Gamma-Gamma, and a fallback.

Inputs (one entry per customer, all in the *same* time unit, e.g. weeks):

* ``frequency`` (x): number of *repeat* purchases (purchases after the first
  one), a whole number ``>= 0``;
* ``recency`` (t_x): age of the customer at the last purchase, i.e. time
  between the first and the last purchase (0 for one-time buyers; ignored
  when x = 0);
* ``T``: age of the customer, time between the first purchase and the end of
  the observation period, ``recency <= T``;
* ``monetary`` (m): mean value of the *repeat* transactions, in the currency
  (lifetimes convention: 0 for one-time buyers; any value may be given for
  them, the Gamma-Gamma model ignores it, see :func:`heuristic_clv`).

The models live in their own modules, re-exported here (this module is the
public API of the CLV: :func:`score_customers` is the entry point):

* :mod:`.bgnbd`: BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers
  the easy way: an alternative to the Pareto/NBD model", Marketing Science
  24(2) 275-284): :func:`fit_bgnbd`, :func:`bgnbd_log_likelihood`,
  :func:`bgnbd_p_alive`, :func:`bgnbd_expected_purchases`;
* :mod:`.gamma_gamma`: Gamma-Gamma (Fader & Hardie 2013, "The Gamma-Gamma
  model of monetary value"): :func:`fit_gamma_gamma`,
  :func:`gamma_gamma_expected_spend`;
* :mod:`._fit`: the maximum likelihood machinery both fits share.

CLV (as in the ``lifetimes`` package)
-------------------------------------
With the expected purchases :math:`E[Y(t)]` of :mod:`.bgnbd`, the expected
spend :math:`E[M]` of :mod:`.gamma_gamma` and ``k = ceil(horizon /
time_step)`` steps ending at
:math:`t_i = \min(i \cdot \text{time\_step}, \text{horizon})`,

.. math::

    CLV = \sum_{i=1}^{k} \frac{(E[Y(t_i)] - E[Y(t_{i-1})])\,E[M]}
        {(1 + \text{discount\_rate})^i}.

Heuristic fallback
------------------
Used by :func:`score_customers` when there are fewer than
:data:`MIN_CUSTOMERS` customers, fewer than :data:`MIN_REPEATERS` repeat
customers with a positive monetary value, or when a fit does not converge or
gives unusable parameters; see :func:`heuristic_clv`.
"""

from dataclasses import dataclass

import numpy as np

from . import _checks
from ._fit import LOG_BOUND, MAX_GRADIENT, MAX_LOG_STD_ERROR, _finite_or_raise
from .bgnbd import (
    BGNBDParams,
    _bgnbd_tuple,
    _p_alive,
    _purchases_if_alive,
    bgnbd_expected_purchases,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
    fit_bgnbd,
)
from .gamma_gamma import (
    GammaGammaParams,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)

# the public API of the CLV, with the names re-exported from the models
__all__ = [
    "LOG_BOUND",
    "MAX_GRADIENT",
    "MAX_LOG_STD_ERROR",
    "MAX_STEPS",
    "METHODS",
    "METHOD_HEURISTIC",
    "METHOD_MODEL",
    "MIN_CUSTOMERS",
    "MIN_REPEATERS",
    "BGNBDParams",
    "CustomerScores",
    "GammaGammaParams",
    "bgnbd_expected_purchases",
    "bgnbd_log_likelihood",
    "bgnbd_p_alive",
    "customer_lifetime_value",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_expected_spend",
    "heuristic_clv",
    "score_customers",
]

#: fewer customers than this: the models are not fitted (heuristic instead)
MIN_CUSTOMERS = 20
#: fewer repeat customers (frequency > 0, monetary > 0) than this: heuristic
MIN_REPEATERS = 10
#: largest number of CLV time steps (guards against a tiny ``time_step``)
MAX_STEPS = 10_000

METHOD_MODEL = "bgnbd_gamma_gamma"
METHOD_HEURISTIC = "heuristic"
METHODS = (METHOD_MODEL, METHOD_HEURISTIC)


@dataclass(frozen=True)
class CustomerScores:
    """Result of :func:`score_customers` (arrays aligned on the input).

    :ivar clv: discounted expected value over the horizon (currency).
    :ivar p_alive: probability that the customer is still active, in [0, 1].
    :ivar expected_purchases: expected purchases within the horizon.
    :ivar expected_spend: expected value of one future purchase (currency).
    :ivar method: ``"bgnbd_gamma_gamma"`` or ``"heuristic"``.
    :ivar bgnbd: :class:`BGNBDParams` of the model, None for the heuristic.
    :ivar gamma_gamma: :class:`GammaGammaParams`, None for the heuristic.
    :ivar reason: why the heuristic was used ("" for the model).
    """

    clv: np.ndarray
    p_alive: np.ndarray
    expected_purchases: np.ndarray
    expected_spend: np.ndarray
    method: str
    bgnbd: BGNBDParams | None = None
    gamma_gamma: GammaGammaParams | None = None
    reason: str = ""


class _ModelUnusable(Exception):
    """The probabilistic models cannot score this customer base."""


# --------------------------------------------------------------------------
# CLV
# --------------------------------------------------------------------------


def customer_lifetime_value(
    bgnbd,
    gamma_gamma,
    frequency,
    recency,
    T,
    monetary,
    horizon,
    discount_rate,
    time_step,
):
    """Discounted expected value of each customer over ``horizon``.

    ``sum_i (E[Y(t_i)] - E[Y(t_{i-1})]) * E[M] / (1 + discount_rate) ** i``
    over steps ``t_i = min(i * time_step, horizon)`` (module docstring).

    :param bgnbd: :class:`BGNBDParams` or ``(r, alpha, a, b)``.
    :param gamma_gamma: :class:`GammaGammaParams` or ``(p, q, v)``.
    :param horizon: length of the prediction, same time unit as ``T``.
    :param time_step: length of a discounting step, same unit as ``T``.
    :param discount_rate: discount rate per ``time_step`` (0.01 = 1 %).
    :return: array of CLV in the currency of ``monetary``.
    """
    theta = _bgnbd_tuple(bgnbd)
    x, t_x, age = _checks.customers(frequency, recency, T)
    spend = gamma_gamma_expected_spend(gamma_gamma, x, monetary)
    steps = _steps(horizon, discount_rate, time_step)
    clv, _p, _y = _predict(theta, x, t_x, age, spend, steps)
    return _finite_or_raise("customer lifetime value", clv)


def _predict(theta, x, t_x, age, spend, steps):
    """CLV, P(alive) and expected purchases over the horizon, in one pass.

    Vectorised over the customers; the loop runs over the k discounting
    steps, and the last step (ending at the horizon) gives the expected
    purchases, so hyp2f1 is evaluated k times per customer in all.
    """
    ends, factors = steps
    with np.errstate(all="ignore"):
        total = np.zeros_like(x)
        previous = np.zeros_like(x)
        for end, factor in zip(ends, factors, strict=True):
            current = _purchases_if_alive(theta, end, x, age)
            total += (current - previous) * factor
            previous = current
        p_alive = _p_alive(theta, x, t_x, age)
        return p_alive * total * spend, p_alive, p_alive * previous


def heuristic_clv(
    frequency,
    recency,
    T,
    monetary,
    horizon=12.0,
    discount_rate=0.01,
    time_step=1.0,
    reason="",
):
    """Model-free CLV: purchase rate x order value x remaining lifetime.

    Per customer (x repeat purchases, recency t_x, age T, mean value m), all
    times in the unit of ``T``:

    * population gap ``G = sum(T) / sum(x)``: observed time per repeat
      purchase over the whole base; if nobody repeated,
      ``max(sum(T), horizon)``, as if one repeat purchase had been seen in
      that time; at least ``time_step``;
    * historical purchase rate, shrunk towards ``1 / G`` by one
      pseudo-purchase (posterior mean of a Poisson rate under a Gamma(1, G)
      prior): ``rate = (x + 1) / (T + G)`` repeat purchases per time unit;
    * recency decay: ``p_alive = (t_x / T) ** x`` (1 for one-time buyers
      and at ``T = 0``), the probability that the last of x purchase times
      falls before t_x when they are spread uniformly over the age T, as
      they are for a customer still buying at a constant pace: long silences
      after many purchases are suspicious (like in the BG/NBD, one-time
      buyers are not judged by recency; their rate decays with their age);
    * order value: ``m`` when > 0, else the frequency-weighted mean of ``m``
      over repeat customers (else the mean of the positive ``m``, else 0);
      hence the value of the single order of one-time buyers may be passed
      as their ``m``;
    * expected remaining (discounted) lifetime within the horizon:
      ``p_alive * sum_i (t_i - t_{i-1}) / (1 + discount_rate) ** i``.

    ``clv = rate * order value * p_alive * discounted time`` and
    ``expected_purchases = rate * p_alive * horizon``: both grow with a more
    recent last purchase.  Units as in :func:`customer_lifetime_value`.

    :return: :class:`CustomerScores` with ``method="heuristic"``.
    """
    x, t_x, age = _checks.customers(frequency, recency, T)
    m = _checks.non_negative("monetary", monetary)
    _checks.same_length(frequency=x, monetary=m)
    ends, factors = _steps(horizon, discount_rate, time_step)
    rate = (x + 1) / (age + _population_gap(x, age, ends[-1], time_step))
    p_alive = np.ones_like(rate)
    judged = (x > 0) & (age > 0)
    p_alive[judged] = (t_x[judged] / age[judged]) ** x[judged]
    spend = np.where(m > 0, m, _mean_order_value(x, m))
    discounted_time = float(np.diff(ends, prepend=0.0) @ factors)
    return CustomerScores(
        clv=rate * spend * p_alive * discounted_time,
        p_alive=p_alive,
        expected_purchases=rate * p_alive * ends[-1],
        expected_spend=spend,
        method=METHOD_HEURISTIC,
        reason=reason,
    )


def score_customers(
    frequency,
    recency,
    T,
    monetary,
    horizon=12.0,
    discount_rate=0.01,
    time_step=1.0,
    method="auto",
    min_customers=MIN_CUSTOMERS,
    min_repeaters=MIN_REPEATERS,
    start=None,
):
    """Score a customer base: CLV, P(alive) and expected purchases.

    Fits BG/NBD and Gamma-Gamma and returns their CLV (``method =
    "bgnbd_gamma_gamma"``); falls back to :func:`heuristic_clv` (``method =
    "heuristic"``, ``reason`` says why) with fewer than ``min_customers``
    customers, fewer than ``min_repeaters`` repeat customers with a positive
    monetary value, when all ages are 0, when a fit does not converge, when
    Gamma-Gamma has ``q <= 1`` or when the model gives non-finite values.

    The defaults read T in months: 12-month horizon, 1 %/month discount
    (those of lifetimes); all times share the unit of ``T``.

    :param method: ``"auto"`` (above) or ``"heuristic"`` (skip the models).
    :param start: optional warm start of the fits, a pair ``(bgnbd,
        gamma_gamma)`` such as the previous run's ``(scores.bgnbd,
        scores.gamma_gamma)`` (either may be None); see :func:`fit_bgnbd`.
    :return: :class:`CustomerScores`; every array is finite.
    :raises ValueError: on invalid input (NaN, inf, negative values,
        ``recency > T``, mismatched lengths, empty input, bad settings).
    """
    x, t_x, age = _checks.customers(frequency, recency, T)
    m = _checks.non_negative("monetary", monetary)
    _checks.same_length(frequency=x, monetary=m)
    _steps(horizon, discount_rate, time_step)
    if method not in ("auto", METHOD_HEURISTIC):
        raise ValueError(f"method must be 'auto' or 'heuristic', got {method!r}")
    if start is not None and (isinstance(start, str) or len(start) != 2):
        raise ValueError("start must be a pair (bgnbd, gamma_gamma) of parameters")
    settings = (horizon, discount_rate, time_step)
    reason = "heuristic method requested"
    if method == "auto":
        reason = _model_blocker(x, m, age, min_customers, min_repeaters)
    if not reason:
        try:
            return _model_scores(x, t_x, age, m, settings, start)
        except _ModelUnusable as exc:
            reason = str(exc)
    return heuristic_clv(x, t_x, age, m, *settings, reason=reason)


def _model_blocker(x, m, age, min_customers, min_repeaters):
    """Why the models must not be fitted on this base ("" if they may)."""
    repeaters = int(np.count_nonzero((x > 0) & (m > 0)))
    if x.size < min_customers:
        return f"only {x.size} customer(s), at least {min_customers} needed"
    if repeaters < min_repeaters:
        return (
            f"only {repeaters} repeat customer(s) with a positive monetary "
            f"value, at least {min_repeaters} needed"
        )
    if age.max() <= 0:
        return "every customer has age T = 0"
    return ""


def _model_scores(x, t_x, age, m, settings, start=None):
    bgnbd_start, gamma_gamma_start = start if start is not None else (None, None)
    bgnbd = fit_bgnbd(x, t_x, age, start=bgnbd_start)
    if not bgnbd.converged:
        raise _ModelUnusable(f"BG/NBD fit did not converge ({bgnbd.message})")
    gamma_gamma = fit_gamma_gamma(x, m, start=gamma_gamma_start)
    if not gamma_gamma.converged:
        raise _ModelUnusable(
            f"Gamma-Gamma fit did not converge ({gamma_gamma.message})"
        )
    if gamma_gamma.q <= 1:
        raise _ModelUnusable(f"Gamma-Gamma q = {gamma_gamma.q:.3g} <= 1")
    spend = gamma_gamma_expected_spend(gamma_gamma, x, m)
    theta = (bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b)
    clv, p_alive, purchases = _predict(theta, x, t_x, age, spend, _steps(*settings))
    for what, values in (
        ("customer lifetime value", clv),
        ("expected purchases", purchases),
    ):
        if not np.all(np.isfinite(values)):
            raise _ModelUnusable(
                f"{what}: the parameters give non-finite values (numerically "
                "unstable region of the model)"
            )
    return CustomerScores(
        clv=clv,
        p_alive=p_alive,
        expected_purchases=purchases,
        expected_spend=spend,
        method=METHOD_MODEL,
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
    )


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _steps(horizon, discount_rate, time_step):
    """Step ends ``t_i`` and discount factors ``(1 + d) ** -i``, i = 1..k."""
    horizon = _checks.positive_scalar("horizon", horizon)
    time_step = _checks.positive_scalar("time_step", time_step)
    rate = _checks.positive_scalar("discount_rate", discount_rate, allow_zero=True)
    k = int(np.ceil(horizon / time_step * (1 - 1e-12)))
    if k > MAX_STEPS:
        raise ValueError(
            f"horizon / time_step = {horizon / time_step:.6g} steps, at most "
            f"{MAX_STEPS} allowed"
        )
    i = np.arange(1, k + 1, dtype=np.float64)
    return np.minimum(i * time_step, horizon), (1.0 + rate) ** -i


def _population_gap(x, age, horizon, time_step):
    """``G`` of :func:`heuristic_clv`: observed time per repeat purchase."""
    total_time = float(age.sum())
    if x.sum() > 0:
        gap = total_time / float(x.sum())
    else:
        gap = max(total_time, float(horizon))
    return max(gap, float(time_step))


def _mean_order_value(x, m):
    rep = (x > 0) & (m > 0)
    if rep.any():
        return float(x[rep] @ m[rep] / x[rep].sum())
    if (m > 0).any():
        return float(m[m > 0].mean())
    return 0.0
