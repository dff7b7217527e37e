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

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way: an
alternative to the Pareto/NBD model", Marketing Science 24(2) 275-284)
----------------------------------------------------------------------------
While alive a customer buys at Poisson rate :math:`\lambda \sim
\Gamma(r, \alpha)` (shape r, rate :math:`\alpha`, in 1/time unit); after any
purchase she drops out with probability :math:`p \sim B(a, b)`.  The
likelihood of one customer is (FHL eq. 6)

.. math::

    L = \frac{B(a, b + x)}{B(a, b)}
        \frac{\Gamma(r + x)\,\alpha^r}{\Gamma(r)\,(\alpha + T)^{r + x}}
      + \delta_{x > 0} \frac{B(a + 1, b + x - 1)}{B(a, b)}
        \frac{\Gamma(r + x)\,\alpha^r}{\Gamma(r)\,(\alpha + t_x)^{r + x}}

evaluated in logs as :math:`A_1 + A_2 + \operatorname{logaddexp}(A_3, A_4)`
with :math:`A_1 = \ln\Gamma(r+x) - \ln\Gamma(r) + r\ln\alpha`,
:math:`A_2 = \ln B(a, b+x) - \ln B(a, b)`,
:math:`A_3 = -(r+x)\ln(\alpha+T)` and
:math:`A_4 = \ln a - \ln(b+x-1) - (r+x)\ln(\alpha+t_x)` (x > 0 only).
It is maximised over the log-parameters with L-BFGS-B and analytic gradients.

Probability of being alive (FHL 2005 appendix; Fader, Hardie & Lee 2008
note "Computing P(alive) using the BG/NBD model"):

.. math::

    P(\text{alive}) = 1 \Big/ \left(1 + \delta_{x>0} \frac{a}{b + x - 1}
        \left(\frac{\alpha + T}{\alpha + t_x}\right)^{r + x}\right)

(1 for x = 0: the BG/NBD only lets customers drop out right after a repeat
purchase).  Conditional expected purchases in ``(T, T + t]`` (FHL eq. 10)

.. math::

    E[Y(t)] = P(\text{alive}) \frac{a + b + x - 1}{a - 1}
        \left[1 - \left(\frac{\alpha + T}{\alpha + T + t}\right)^{r + x}
        {}_2F_1\!\left(r + x, b + x; a + b + x - 1; z\right)\right],
    \quad z = \frac{t}{\alpha + T + t},

evaluated after Euler's transformation
:math:`{}_2F_1(A, B; C; z) = (1 - z)^{C - A - B}\,{}_2F_1(C - A, C - B; C; z)`,
i.e. the bracket is
:math:`1 - (1 - z)^{a - 1}\,{}_2F_1(a + b - 1 - r, a - 1; a + b + x - 1; z)`:
its parameters stay small when x is large, which keeps ``hyp2f1`` accurate.

Gamma-Gamma (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value")
----------------------------------------------------------------------------
Transaction values are Gamma(p, :math:`\nu`) around a customer mean
:math:`p/\nu`, with :math:`\nu \sim \Gamma(q, \gamma)` across customers
(``v`` below is :math:`\gamma`, in currency units).  The likelihood of the
mean :math:`\bar z = m` of x transactions is

.. math::

    f(m \mid x) = \frac{\Gamma(px + q)}{\Gamma(px)\,\Gamma(q)}
        \frac{\gamma^q\, m^{px - 1}\, x^{px}}{(\gamma + m x)^{px + q}}

and the expected spend per transaction is
:math:`E[M \mid x, m] = p(\gamma + m x) / (p x + q - 1)` (finite for q > 1),
i.e. the population mean :math:`p\gamma/(q - 1)` for x = 0.

CLV (as in the ``lifetimes`` package)
-------------------------------------
With ``k = ceil(horizon / time_step)`` steps ending at
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
from scipy import optimize, special

from . import _checks

#: fewer customers than this: the models are not fitted (heuristic instead)
MIN_CUSTOMERS = 20
#: fewer repeat customers (frequency > 0, monetary > 0) than this: heuristic
MIN_REPEATERS = 10
#: bound of the log-parameters during the fits (|ln theta| <= 15); a fit that
#: ends on it has no interior maximum and is reported as not converged
LOG_BOUND = 15.0
#: largest gradient of the mean log-likelihood (w.r.t. the log-parameters)
#: accepted at a maximum
MAX_GRADIENT = 1e-5
#: a fit whose log-parameters have a larger standard error is not trusted
MAX_LOG_STD_ERROR = 3.0
#: largest number of CLV time steps (guards against a tiny ``time_step``)
MAX_STEPS = 10_000

METHOD_MODEL = "bgnbd_gamma_gamma"
METHOD_HEURISTIC = "heuristic"
METHODS = (METHOD_MODEL, METHOD_HEURISTIC)


@dataclass(frozen=True)
class BGNBDParams:
    """Fitted BG/NBD parameters (``alpha`` in the time unit of the data)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    converged: bool
    n_customers: int = 0
    message: str = ""


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters (``v`` is gamma, in currency units)."""

    p: float
    q: float
    v: float
    log_likelihood: float
    converged: bool
    n_customers: int = 0
    message: str = ""


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
# BG/NBD
# --------------------------------------------------------------------------


def _bgnbd_terms(params, x, t_x, T):
    """Per-customer log-likelihood and weight ``w`` of the A4 branch."""
    r, alpha, a, b = params
    rep = x > 0
    x_safe = np.where(rep, x, 1.0)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + x) - special.betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(
        rep,
        np.log(a) - np.log(b + x_safe - 1) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    lse = np.logaddexp(a3, a4)
    return a1 + a2 + lse, np.exp(a4 - lse)


def _bgnbd_loglik_grad(params, x, t_x, T, weights):
    """Total log-likelihood and its gradient w.r.t. ``(r, alpha, a, b)``."""
    r, alpha, a, b = params
    ll, w = _bgnbd_terms(params, x, t_x, T)
    x_safe = np.where(x > 0, x, 1.0)
    dig_ab = special.digamma(a + b) - special.digamma(a + b + x)
    grads = (
        special.digamma(r + x)
        - special.digamma(r)
        + np.log(alpha)
        - (1 - w) * np.log(alpha + T)
        - w * np.log(alpha + t_x),
        r / alpha - (r + x) * ((1 - w) / (alpha + T) + w / (alpha + t_x)),
        dig_ab + w / a,
        dig_ab + special.digamma(b + x) - special.digamma(b) - w / (b + x_safe - 1),
    )
    return weights @ ll, np.array([weights @ g for g in grads])


def _bgnbd_objective(log_params, x, t_x, T, weights):
    """Mean negative log-likelihood and gradient w.r.t. the log-parameters."""
    params = np.exp(log_params)
    with np.errstate(all="ignore"):
        ll, grad = _bgnbd_loglik_grad(params, x, t_x, T, weights)
    total = weights.sum()
    if not (np.isfinite(ll) and np.all(np.isfinite(grad))):
        return np.inf, np.zeros_like(log_params)
    return -ll / total, -grad * params / total


def bgnbd_log_likelihood(params, frequency, recency, T):
    """Total BG/NBD log-likelihood (FHL 2005 eq. 6) of a customer base.

    :param params: :class:`BGNBDParams` or a sequence ``(r, alpha, a, b)``.
    """
    theta = _bgnbd_tuple(params)
    x, t_x, age = _checks.customers(frequency, recency, T)
    ll, _w = _bgnbd_terms(theta, x, t_x, age)
    return float(ll.sum())


def fit_bgnbd(frequency, recency, T):
    """Maximum likelihood BG/NBD fit (Fader, Hardie & Lee 2005).

    :param frequency: repeat purchases per customer (whole numbers >= 0).
    :param recency: age at the last purchase (0 if no repeat purchase).
    :param T: age of the customer; same time unit as ``recency``.
    :return: :class:`BGNBDParams`; ``alpha`` is in that time unit (r, a, b
        are dimensionless).  ``converged`` is True only for a well-determined
        interior maximum: False when the optimiser failed, ended on the
        bounds of the parameters or on a flat ridge of the likelihood (e.g.
        all customers are one-time buyers, or no dropout is visible);
        ``message`` then says why.
    :raises ValueError: on invalid input (see the module docstring).

    Times are rescaled so that ``max(T) = 10`` during the optimisation (alpha
    is a rate parameter: it is scaled back), and identical customers are
    grouped, which keeps the fit fast on large bases.
    """
    x, t_x, age = _checks.customers(frequency, recency, T)
    scale = age.max() / 10.0 if age.max() > 0 else 1.0
    rows, weights = np.unique(
        np.column_stack([x, t_x / scale, age / scale]), axis=0, return_counts=True
    )
    res, problem = _maximise(
        _bgnbd_objective,
        4,
        (rows[:, 0], rows[:, 1], rows[:, 2], weights.astype(np.float64)),
    )
    r, alpha_scaled, a, b = (float(v) for v in np.exp(res.x))
    theta = (r, float(alpha_scaled * scale), a, b)
    with np.errstate(all="ignore"):
        ll = float(_bgnbd_terms(theta, x, t_x, age)[0].sum())
    return BGNBDParams(
        *theta,
        log_likelihood=ll,
        converged=bool(not problem and np.isfinite(ll)),
        n_customers=int(x.size),
        message=problem or str(res.message),
    )


def bgnbd_p_alive(params, frequency, recency, T):
    """Probability that each customer is still alive at age ``T``.

    :param params: :class:`BGNBDParams` or ``(r, alpha, a, b)``.
    :return: array in [0, 1]; 1 for customers without repeat purchase.
    """
    theta = _bgnbd_tuple(params)
    x, t_x, age = _checks.customers(frequency, recency, T)
    return _p_alive(theta, x, t_x, age)


def bgnbd_expected_purchases(params, t, frequency, recency, T):
    """Conditional expected number of purchases in the next ``t`` periods.

    FHL 2005 eq. 10 (module docstring), with ``hyp2f1`` from scipy.special.

    :param params: :class:`BGNBDParams` or ``(r, alpha, a, b)``.
    :param t: length of the prediction window (scalar or one per customer),
        in the time unit of ``T``.
    :return: array of expected purchases (>= 0).
    :raises ValueError: on invalid input, or if the parameters make the
        formula numerically unusable (non-finite result).
    """
    theta = _bgnbd_tuple(params)
    x, t_x, age = _checks.customers(frequency, recency, T)
    t = _broadcast_t(t, x.size)
    with np.errstate(all="ignore"):
        out = _p_alive(theta, x, t_x, age) * _purchases_if_alive(theta, t, x, age)
    return _finite_or_raise("expected purchases", out)


def _p_alive(theta, x, t_x, age):
    r, alpha, a, b = theta
    rep = x > 0
    x_safe = np.where(rep, x, 1.0)
    log_odds = (
        np.log(a)
        - np.log(b + x_safe - 1)
        + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
    )
    return np.where(rep, special.expit(-log_odds), 1.0)


def _purchases_if_alive(theta, t, x, age):
    """Expected purchases in ``(T, T + t]`` of a customer alive at ``T``."""
    r, alpha, a, b = theta
    if abs(a - 1.0) < 1e-8:  # removable singularity of the formula at a = 1
        a = 1.0 + 1e-8
    log_1mz = np.log(alpha + age) - np.log(alpha + age + t)
    z = -np.expm1(log_1mz)
    h = special.hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    u = (a - 1) * log_1mz
    bracket = -np.expm1(u) - np.exp(u) * (h - 1)
    return np.maximum((a + b + x - 1) / (a - 1) * bracket, 0.0)


# --------------------------------------------------------------------------
# Gamma-Gamma
# --------------------------------------------------------------------------


def _gg_terms(params, x, m):
    """Per-customer Gamma-Gamma log-likelihood (x > 0, m > 0 only)."""
    p, q, v = params
    px = p * x
    xm = x * m
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        - px * np.log1p(v / xm)
        - q * np.log1p(xm / v)
        - np.log(m)
    )


def _gg_objective(log_params, x, m, weights):
    """Mean negative log-likelihood and gradient w.r.t. the log-parameters."""
    params = np.exp(log_params)
    p, q, v = params
    with np.errstate(all="ignore"):
        ll = weights @ _gg_terms(params, x, m)
        px = p * x
        dig = special.digamma(px + q)
        grads = (
            x * (dig - special.digamma(px) - np.log1p(v / (x * m))),
            dig - special.digamma(q) - np.log1p(x * m / v),
            q / v - (px + q) / (v + x * m),
        )
        grad = np.array([weights @ g for g in grads])
    total = weights.sum()
    if not (np.isfinite(ll) and np.all(np.isfinite(grad))):
        return np.inf, np.zeros_like(log_params)
    return -ll / total, -grad * params / total


def fit_gamma_gamma(frequency, monetary):
    """Maximum likelihood Gamma-Gamma fit (Fader & Hardie 2013).

    Only customers with ``frequency > 0`` and ``monetary > 0`` enter the fit
    (the model describes the mean of at least one positive transaction).

    :param frequency: repeat purchases per customer (whole numbers >= 0).
    :param monetary: mean value of the repeat transactions (currency, >= 0).
    :return: :class:`GammaGammaParams` (``v`` in currency units);
        ``converged`` as in :func:`fit_bgnbd`.
    :raises ValueError: on invalid input or if no customer qualifies.
    """
    x = _checks.counts("frequency", frequency)
    m = _checks.non_negative("monetary", monetary)
    _checks.same_length(frequency=x, monetary=m)
    keep = (x > 0) & (m > 0)
    if not keep.any():
        raise ValueError(
            "fit_gamma_gamma needs customers with frequency > 0 and monetary > 0"
        )
    x, m = x[keep], m[keep]
    scale = float(m.mean())
    rows, weights = np.unique(
        np.column_stack([x, m / scale]), axis=0, return_counts=True
    )
    res, problem = _maximise(
        _gg_objective, 3, (rows[:, 0], rows[:, 1], weights.astype(np.float64))
    )
    p, q, v_scaled = (float(v) for v in np.exp(res.x))
    theta = (p, q, float(v_scaled * scale))
    with np.errstate(all="ignore"):
        ll = float(_gg_terms(theta, x, m).sum())
    return GammaGammaParams(
        *theta,
        log_likelihood=ll,
        converged=bool(not problem and np.isfinite(ll)),
        n_customers=int(x.size),
        message=problem or str(res.message),
    )


def gamma_gamma_expected_spend(params, frequency, monetary):
    """Expected value of a future transaction, ``p (v + m x) / (p x + q - 1)``.

    :param params: :class:`GammaGammaParams` or a sequence ``(p, q, v)``.
    :param frequency: repeat purchases (whole numbers >= 0).
    :param monetary: mean value of the repeat transactions (currency); not
        used when ``frequency == 0`` (population mean ``p v / (q - 1)``).
    :return: array in the currency of ``monetary``.
    :raises ValueError: on invalid input or if ``q <= 1`` (infinite mean).
    """
    p, q, v = _positive_params("Gamma-Gamma", params, ("p", "q", "v"))
    if q <= 1:
        raise ValueError(f"Gamma-Gamma q = {q!r} <= 1: the expected spend is infinite")
    x = _checks.counts("frequency", frequency)
    m = _checks.non_negative("monetary", monetary)
    _checks.same_length(frequency=x, monetary=m)
    return p * (v + x * m) / (p * x + q - 1)


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
    ends, factors = _steps(horizon, discount_rate, time_step)
    with np.errstate(all="ignore"):
        total = np.zeros_like(x)
        previous = np.zeros_like(x)
        for end, factor in zip(ends, factors, strict=True):
            current = _purchases_if_alive(theta, end, x, age)
            total += (current - previous) * factor
            previous = current
        out = _p_alive(theta, x, t_x, age) * total * spend
    return _finite_or_raise("customer lifetime value", out)


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
    settings = (horizon, discount_rate, time_step)
    reason = "heuristic method requested"
    if method == "auto":
        reason = _model_blocker(x, m, age, min_customers, min_repeaters)
    if not reason:
        try:
            return _model_scores(x, t_x, age, m, settings)
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


def _model_scores(x, t_x, age, m, settings):
    bgnbd = fit_bgnbd(x, t_x, age)
    if not bgnbd.converged:
        raise _ModelUnusable(f"BG/NBD fit did not converge ({bgnbd.message})")
    gamma_gamma = fit_gamma_gamma(x, m)
    if not gamma_gamma.converged:
        raise _ModelUnusable(
            f"Gamma-Gamma fit did not converge ({gamma_gamma.message})"
        )
    if gamma_gamma.q <= 1:
        raise _ModelUnusable(f"Gamma-Gamma q = {gamma_gamma.q:.3g} <= 1")
    try:
        clv = customer_lifetime_value(bgnbd, gamma_gamma, x, t_x, age, m, *settings)
        purchases = bgnbd_expected_purchases(bgnbd, settings[0], x, t_x, age)
    except ValueError as exc:
        raise _ModelUnusable(str(exc)) from None
    return CustomerScores(
        clv=clv,
        p_alive=bgnbd_p_alive(bgnbd, x, t_x, age),
        expected_purchases=purchases,
        expected_spend=gamma_gamma_expected_spend(gamma_gamma, x, m),
        method=METHOD_MODEL,
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
    )


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _maximise(objective, n_params, args):
    """Minimise ``objective`` (mean negative log-likelihood and gradient in
    the log-parameters) from ``ln theta = 0``; return the scipy result and
    "" if it is a well-determined interior maximum, else the reason why not.
    """
    start = np.zeros(n_params)
    for _attempt in range(3):  # restarts drop a stale quasi-Newton memory
        res = optimize.minimize(
            objective,
            start,
            args=args,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * n_params,
            options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9},
        )
        if np.max(np.abs(res.jac)) < MAX_GRADIENT / 100:
            break
        start = res.x
    if np.any(np.abs(res.x) >= LOG_BOUND - 1e-3):
        return res, "a parameter ran to its bound: no interior maximum"
    # judged by the gradient, not by res.success: L-BFGS-B may report a line
    # search failure right at the optimum (rounding leaves no descent) or a
    # success after stalling on a narrow ridge
    gradient = float(np.max(np.abs(res.jac)))
    if not gradient < MAX_GRADIENT:
        return res, f"optimiser stopped at gradient {gradient:.3g} ({res.message})"
    return res, _flatness(objective, res.x, args)


def _flatness(objective, log_params, args):
    """Check the curvature of the likelihood at the optimum.

    The observed information (Hessian of the total negative log-likelihood,
    central differences of the analytic gradient) must be positive definite
    and give every log-parameter a standard error below
    :data:`MAX_LOG_STD_ERROR`; otherwise the maximum lies at infinity along a
    flat ridge (e.g. a, b -> infinity in the BG/NBD) and the fit is not
    trusted.  Returns "" or the reason.
    """
    n_obs = float(args[-1].sum())
    h = 1e-4
    rows = []
    for step in np.eye(log_params.size) * h:
        forward = objective(log_params + step, *args)[1]
        backward = objective(log_params - step, *args)[1]
        rows.append((forward - backward) / (2 * h))
    hessian = np.array(rows) * n_obs
    hessian = (hessian + hessian.T) / 2
    try:
        np.linalg.cholesky(hessian)
        std_errors = np.sqrt(np.diag(np.linalg.inv(hessian)))
    except np.linalg.LinAlgError:
        return "flat likelihood: the information matrix is singular"
    if not np.all(std_errors < MAX_LOG_STD_ERROR):  # also catches nan
        return (
            "flat likelihood: standard errors of the log-parameters "
            f"{np.array2string(std_errors, precision=3)}"
        )
    return ""


def _positive_params(model, params, names):
    if all(hasattr(params, name) for name in names):
        values = [getattr(params, name) for name in names]
    else:
        values = list(params)
    if len(values) != len(names):
        raise ValueError(f"{model} parameters must be ({', '.join(names)})")
    out = tuple(float(v) for v in values)
    if not all(np.isfinite(v) and v > 0 for v in out):
        raise ValueError(f"{model} parameters must be finite and > 0, got {out}")
    return out


def _bgnbd_tuple(params):
    return _positive_params("BG/NBD", params, ("r", "alpha", "a", "b"))


def _broadcast_t(t, n):
    t = _checks.non_negative("t", t)
    if t.size not in (1, n):
        raise ValueError(f"t must be a scalar or have one value per customer ({n})")
    return t


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


def _finite_or_raise(what, values):
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"{what}: the parameters give non-finite values (numerically "
            "unstable region of the model)"
        )
    return values
