r"""Expected next order of each customer, and overdue customers.

Inputs as in :mod:`.bgnbd` (one entry per customer, all in the *same* time
unit; days in the addon, which the names below assume): ``frequency`` (x,
repeat purchases), ``recency`` (t_x, age at the last purchase) and ``T``
(age today).  "Today" is age T; ``idle = T - t_x`` is the time since the last
purchase (since the only one for one-time buyers).

What is predicted
-----------------
The time ``W`` from today to the customer's next purchase **if the customer
is still active**, as a median ("next order expected around today + W")
and a central interval (``interval = 0.5``: the 25th and 75th percentiles),
together with the probability of being active, so that a caller can say
"next order expected around <date> (between <d1> and <d2>), if still active
(P(alive) 72 %)".  Medians and percentiles, not means: waiting times are
skewed and their mean may be infinite.  The unconditional probability of an
order within ``w`` days is ``p_alive * P(W <= w)``: an inactive customer
never orders again.

Model basis (``"model"``): repeat customers scored by the BG/NBD
-----------------------------------------------------------------
While active a customer buys at Poisson rate :math:`\lambda \sim
\Gamma(r, \alpha)` and may only drop out right after a repeat purchase (Fader,
Hardie & Lee 2005).  Given x repeat purchases in ``(0, T]`` and being still
active at T, the likelihood of :math:`\lambda` is :math:`\lambda^x
e^{-\lambda T}` (the dropout probability p factors out), so its posterior is
:math:`\Gamma(r + x, \alpha + T)`; by the memorylessness of the Poisson
process and since nobody drops out between two purchases, the wait to the
next purchase is exactly exponential given :math:`\lambda`, hence Lomax
(Pareto II) given the data:

.. math::

    P(W > w \mid \text{active}) =
        \left(\frac{\alpha + T}{\alpha + T + w}\right)^{r + x},
    \qquad
    w_q = (\alpha + T)\left((1 - q)^{-1/(r + x)} - 1\right)

(quantile q; median :math:`(\alpha + T)(2^{1/(r + x)} - 1)`).  Within the
model this is exact, not an approximation: the intervals are calibrated
(checked on simulated populations in the tests).  The model's view of a long
silence is a lower P(alive), not an earlier order: given active, the wait
only grows with T (the rate posterior sees more time without purchases).

Heuristic basis (``"heuristic"``): repeat customers without a fitted model
--------------------------------------------------------------------------
Without a fitted population (``method = "heuristic"`` of
:func:`.clv.score_customers`) the same formula is used **without the
population prior** (r = alpha = 0, the scale-free prior
:math:`1/\lambda`): the posterior of the rate is :math:`\Gamma(x, T)`, whose
mean ``x / T`` is the customer's own observed rate, so the prediction rests
on the customer's own history alone::

    w_q = T * ((1 - q) ** (-1 / x) - 1)

It is as wide as one customer's history warrants (x = 1: the quartiles are
T/3 and 3 T from today), and its median gap after the last purchase is
``t_x * (2 ** (1 / x) - 1)``: the observed gap itself for x = 1, 69 % of the
mean gap ``t_x / x`` (the median of exponential gaps) for many purchases.
It is not calibrated like the model: it ignores the population prior, which
weighs as much as r purchases seen in alpha days, so with few purchases it
can be far off, either way (too long when the rates vary little between
customers, r large; too short for customers young next to alpha).  It
approaches the model as x and T grow.  P(alive) is the heuristic one of
:func:`.clv.heuristic_clv`, ``(t_x / T) ** x``.  Customers whose purchases all
fell at age 0 (``t_x = 0``, impossible with the addon's distinct purchase
days) show no gap and get the one-time rule.

One-time buyers (``"one_time"``): no date
-----------------------------------------
Customers without a repeat purchase get **no** date (NaN) on either basis.
The BG/NBD would give them the Lomax of shape r, but that is the population
prior updated by nothing but the customer's silence, not a statement about
the customer: r is usually below 1, so the median ``(alpha + T)(2 ** (1 / r)
- 1)`` is many times the customer's age (16 times ``alpha + T`` with the
published CDNOW fit, r = 0.243), and the BG/NBD holds every one-time buyer
active (P(alive) = 1), so "if still active" would say nothing.  Without a
model there is no gap at all to extrapolate.

Overdue (:func:`is_overdue`)
----------------------------
``expected_gap`` is the median time from the last purchase to the next one
as predicted *at the last purchase*, given active (the formulas above with
``t_x`` in place of T: ``(alpha + t_x)(2 ** (1 / (r + x)) - 1)`` for the
model, ``t_x * (2 ** (1 / x) - 1)`` for the heuristic).  A customer is
overdue when the silence exceeds it by more than ``margin``, a fraction of
the expected gap::

    overdue = idle > (1 + margin) * expected_gap

(never for one-time buyers, whose expected gap is NaN).  A fraction rather
than a number of days, so that one setting fits weekly and yearly buyers.
Purchases being random, an active customer is overdue now and then: with
exponential gaps and ``margin = 0.5`` a gap exceeds 1.5 medians with
probability ``2 ** -1.5 = 35 %`` (more with the heavier-tailed Lomax).
Overdue is a prompt to get in touch; the evidence of churn is P(alive).
"""

from dataclasses import dataclass

import numpy as np

from . import _checks
from .bgnbd import _bgnbd_tuple, _p_alive
from .clv import METHOD_HEURISTIC, METHOD_MODEL

__all__ = [
    "BASES",
    "BASIS_HEURISTIC",
    "BASIS_MODEL",
    "BASIS_ONE_TIME",
    "DEFAULT_INTERVAL",
    "DEFAULT_MARGIN",
    "NextOrder",
    "expected_next_order",
    "is_overdue",
]

#: prediction of the fitted BG/NBD (repeat customers)
BASIS_MODEL = "model"
#: prediction from the customer's own history, no population (repeat
#: customers of a heuristic scoring)
BASIS_HEURISTIC = "heuristic"
#: no prediction: no repeat purchase (no gap observed)
BASIS_ONE_TIME = "one_time"
BASES = (BASIS_MODEL, BASIS_HEURISTIC, BASIS_ONE_TIME)

#: default central probability of the interval: 25th to 75th percentile
DEFAULT_INTERVAL = 0.5
#: default overdue margin, a fraction of the expected gap
DEFAULT_MARGIN = 0.5


@dataclass(frozen=True)
class NextOrder:
    """Result of :func:`expected_next_order` (arrays aligned on the input).

    Times in the unit of ``T`` (days in the addon); NaN where ``basis`` is
    ``"one_time"``.

    :ivar days_from_today: median wait from today to the next order, given
        the customer is still active (> 0).
    :ivar low: lower end of the central interval of that wait.
    :ivar high: upper end of the central interval.
    :ivar days_since_last: ``idle + days_from_today``, the expected order
        counted from the last purchase.
    :ivar expected_gap: median gap after the last purchase as predicted at
        that purchase, the reference of :func:`is_overdue`: the last purchase
        plus this gap is the date the next order was expected, which today
        can pass (unlike ``days_from_today``, which grows with the silence).
    :ivar gap_low: lower end of the central interval of that gap.
    :ivar gap_high: upper end of the central interval of that gap.
    :ivar idle: time since the last purchase, ``T - recency`` (always set).
    :ivar p_alive: probability of being still active (always set): the
        BG/NBD's for the model, the heuristic's otherwise, as in
        :func:`.clv.score_customers`.
    :ivar basis: array of :data:`BASES` codes.
    :ivar interval: central probability of ``[low, high]``.
    :ivar method: :data:`.clv.METHOD_MODEL` or :data:`.clv.METHOD_HEURISTIC`.
    """

    days_from_today: np.ndarray
    low: np.ndarray
    high: np.ndarray
    days_since_last: np.ndarray
    expected_gap: np.ndarray
    gap_low: np.ndarray
    gap_high: np.ndarray
    idle: np.ndarray
    p_alive: np.ndarray
    basis: np.ndarray
    interval: float
    method: str

    def overdue(self, margin=DEFAULT_MARGIN):
        """:func:`is_overdue` of these customers."""
        return is_overdue(self.idle, self.expected_gap, margin)


def expected_next_order(
    frequency,
    recency,
    T,
    params=None,
    method="auto",
    interval=DEFAULT_INTERVAL,
):
    """Median and interval of the wait to each customer's next order.

    See the module docstring for the formulas and the rules of each basis.

    :param frequency: repeat purchases per customer (whole numbers >= 0).
    :param recency: age at the last purchase (0 if no repeat purchase).
    :param T: age of the customer today; same time unit as ``recency``.
    :param params: the fitted :class:`.bgnbd.BGNBDParams` (or ``(r, alpha,
        a, b)`` in the time unit of ``T``), e.g. ``scores.bgnbd`` of
        :func:`.clv.score_customers`; ignored by the heuristic.
    :param method: :data:`.clv.METHOD_MODEL`, :data:`.clv.METHOD_HEURISTIC`
        (e.g. ``scores.method``) or ``"auto"``: the model when ``params`` is
        given, else the heuristic.
    :param interval: central probability of ``[low, high]``, in (0, 1);
        0.5 gives the 25th and 75th percentiles.
    :return: :class:`NextOrder`.
    :raises ValueError: on invalid customers (as :func:`.bgnbd.fit_bgnbd`),
        an unknown method, the model method without ``params``, invalid
        parameters or an interval outside (0, 1).
    """
    x, t_x, age = _checks.customers(frequency, recency, T)
    central = _interval(interval)
    method = _method(method, params)
    if method == METHOD_MODEL:
        r, alpha, a, b = _bgnbd_tuple(params)
        p_alive = _p_alive((r, alpha, a, b), x, t_x, age)
        dated = x > 0
        shape, now, last = r + x, alpha + age, alpha + t_x
        code = BASES.index(BASIS_MODEL)
    else:
        p_alive = _heuristic_p_alive(x, t_x, age)
        dated = (x > 0) & (t_x > 0)
        shape, now, last = x, age, t_x
        code = BASES.index(BASIS_HEURISTIC)
    shape = np.where(dated, shape, 1.0)  # placeholder, masked below
    tail = (1.0 - central) / 2.0
    median, low, high, gap, gap_low, gap_high = (
        np.where(dated, _lomax_quantile(scale, shape, q), np.nan)
        for scale, q in (
            (now, 0.5),
            (now, tail),
            (now, 1.0 - tail),
            (last, 0.5),
            (last, tail),
            (last, 1.0 - tail),
        )
    )
    idle = age - t_x
    return NextOrder(
        days_from_today=median,
        low=low,
        high=high,
        days_since_last=idle + median,
        expected_gap=gap,
        gap_low=gap_low,
        gap_high=gap_high,
        idle=idle,
        p_alive=p_alive,
        basis=np.asarray(BASES)[np.where(dated, code, BASES.index(BASIS_ONE_TIME))],
        interval=central,
        method=method,
    )


def is_overdue(idle, expected_gap, margin=DEFAULT_MARGIN):
    """Customers silent for longer than ``(1 + margin) * expected_gap``.

    :param idle: time since the last purchase (``NextOrder.idle``), >= 0.
    :param expected_gap: median gap after the last purchase
        (``NextOrder.expected_gap``), >= 0; NaN (no expectation, e.g.
        one-time buyers) is never overdue.
    :param margin: tolerated excess, a fraction of the expected gap, >= 0
        (0.5: overdue after 1.5 expected gaps).
    :return: boolean array.
    :raises ValueError: on negative or infinite values, NaN idle times,
        mismatched lengths, empty input or a bad margin.
    """
    idle = _checks.non_negative("idle", idle)
    gap = _gaps(expected_gap)
    _checks.same_length(idle=idle, expected_gap=gap)
    margin = _checks.positive_scalar("margin", margin, allow_zero=True)
    known = ~np.isnan(gap)
    return known & (idle > (1.0 + margin) * np.where(known, gap, 0.0))


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _lomax_quantile(scale, shape, q):
    """``scale * ((1 - q) ** (-1 / shape) - 1)``, accurate for large shapes."""
    return scale * np.expm1(-np.log1p(-q) / shape)


def _heuristic_p_alive(x, t_x, age):
    """P(alive) of :func:`.clv.heuristic_clv`: ``(t_x / T) ** x``."""
    p_alive = np.ones_like(x)
    judged = (x > 0) & (age > 0)
    p_alive[judged] = (t_x[judged] / age[judged]) ** x[judged]
    return p_alive


def _method(method, params):
    if method == "auto":
        return METHOD_HEURISTIC if params is None else METHOD_MODEL
    if method not in (METHOD_MODEL, METHOD_HEURISTIC):
        raise ValueError(
            f"method must be 'auto', {METHOD_MODEL!r} or {METHOD_HEURISTIC!r}, "
            f"got {method!r}"
        )
    if method == METHOD_MODEL and params is None:
        raise ValueError(f"method {METHOD_MODEL!r} needs the BG/NBD params")
    return method


def _interval(interval):
    central = _checks.positive_scalar("interval", interval)
    if central >= 1:
        raise ValueError(f"interval must be a probability in (0, 1), got {interval!r}")
    return central


def _gaps(values):
    """Expected gaps: a 1-D float array of values >= 0 or NaN."""
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"expected_gap must be numeric: {exc}") from None
    if arr.ndim != 1:
        raise ValueError(f"expected_gap must be one-dimensional, got shape {arr.shape}")
    if np.any(np.isinf(arr)) or np.any(arr < 0):
        raise ValueError("expected_gap must hold values >= 0 (or NaN), not inf")
    return arr
