r"""Customer health score, 1-5 rescaling of RFM scores, valuable customers at
risk.

Health score (0-100, higher is healthier)
-----------------------------------------
A weighted mean of components in [0, 1], each one scored where it is known:

* **RFM** (Hughes 1994, "Strategic Database Marketing"): the mean of the R, F
  and M scores (integers ``1..bins``, see :mod:`.rfm`) rescaled to [0, 1]::

      rfm = (r + f + m - 3) / (3 * (bins - 1))

* **P(alive)**: the probability that the customer still buys (BG/NBD, Fader,
  Hardie & Lee 2005, see :mod:`.clv`), already in [0, 1];
* **complaints**: with ``recent`` the complaints of the last 12 months,
  ``orders_12m`` the confirmed orders of the same period and ``open_count``
  the complaints still open::

      rate       = min(recent / orders_12m, 1)   (1 if orders_12m = 0 < recent,
                                                  0 if both are 0)
      complaints = (1 - rate) / (1 + open_count)

* **extra inputs** ``(weight, values, present)`` (e.g. satisfaction from
  surveys): ``values`` clipped to [0, 1], counted only for the customers
  where ``present`` is true (the others are scored without that input: its
  weight is not counted for them).

Then, per customer::

    health = round(100 * clip(sum(w_k * c_k) / sum(w_k), 0, 1), 1)

with the sums over the components known for that customer; 0 when the known
weights sum to 0.  The weights are on any common scale (the settings use
percentages, 40/40/20 by default): only their ratios matter.  The terms are
accumulated in the order RFM, P(alive), complaints, then the extra inputs in
the given order (floating-point sums depend on it).

1-5 rescaling (:func:`on_five`)
-------------------------------
The segments of :mod:`.rfm` read scores on a 1-5 scale; a score ``s`` of
``1..bins`` reads as ``ceil(5 * s / bins)`` (unchanged for ``bins = 5``),
computed exactly in integer arithmetic.

Valuable customers at risk (:func:`at_risk`)
--------------------------------------------
A customer is selected when its value (net revenue of the window, currency)
is positive, the share of customers with a strictly higher value is below
``top_percent`` (ties share a rank, so tied customers are all in or all out)
and its churn risk (``1 - P(alive)``, see :mod:`.churn`) is at least
``risk_threshold``::

    above    = 100 * #{j : value_j > value_i} / n          (percent)
    selected = value_i > 0  and  above < top_percent - 1e-9
                            and  risk_i >= risk_threshold - 1e-12

The tolerances absorb the rounding of thresholds entered as percentages.
Revenue, not lifetime value, measures how valuable a customer has been: the
lifetime value already shrinks with P(alive), so the customers slipping away
never rank high by it.
"""

from dataclasses import dataclass

import numpy as np

from . import _checks

#: probabilities may exceed [0, 1] by this much (rounding noise) before an
#: error is raised (same slack as :mod:`.churn`)
_PROBABILITY_SLACK = 1e-9
#: tolerance of the top share, in percentage points
_SHARE_TOLERANCE = 1e-9
#: tolerance of the churn risk threshold, a probability
_RISK_TOLERANCE = 1e-12


@dataclass(frozen=True)
class HealthWeights:
    """Weights of the three built-in health components (any scale, >= 0).

    The defaults are those of the settings (percentages).  A sum of 0 is
    allowed: only the extra inputs then score the customers (health 0 for
    those without any).
    """

    rfm: float = 40.0
    alive: float = 40.0
    complaints: float = 20.0

    def __post_init__(self):
        for name in ("rfm", "alive", "complaints"):
            value = _checks.positive_scalar(
                f"health weight {name}", getattr(self, name), allow_zero=True
            )
            object.__setattr__(self, name, value)


#: weights of the settings' defaults
DEFAULT_WEIGHTS = HealthWeights()


def on_five(scores, bins):
    """Scores of ``1..bins`` read on the 1-5 scale: ``ceil(5 * s / bins)``.

    :param scores: integer scores in ``1..bins``.
    :param bins: number of score levels, an integer ``>= 1``.
    :return: int64 array of scores in ``1..5`` (the scores themselves for
        ``bins = 5``).
    :raises ValueError: on a bad ``bins``, empty input or a score that is not
        an integer in ``1..bins``.
    """
    bins = _check_bins(bins, minimum=1)
    arr = _scores("scores", scores, bins)
    _checks.same_length(scores=arr)
    return -((-5 * arr) // bins)


def rfm_component(r, f, m, bins):
    """RFM component in [0, 1]: ``(r + f + m - 3) / (3 * (bins - 1))``.

    :param r: recency scores, integers in ``1..bins``.
    :param f: frequency scores, integers in ``1..bins``.
    :param m: monetary scores, integers in ``1..bins``.
    :param bins: number of score levels, an integer ``>= 2``.
    :return: float array (0 when all three scores are 1, 1 when all are
        ``bins``).
    """
    bins = _check_bins(bins, minimum=2)
    r_s, f_s, m_s = (
        _scores(name, s, bins) for name, s in (("r", r), ("f", f), ("m", m))
    )
    _checks.same_length(r=r_s, f=f_s, m=m_s)
    return (r_s + f_s + m_s - 3) / (3 * (bins - 1))


def complaint_rate(recent, orders_12m):
    """Complaints of the last 12 months per confirmed order of the same
    period, at most 1 (1 with complaints but no order, 0 without either).

    :param recent: complaints received in the last 12 months, ``>= 0``.
    :param orders_12m: confirmed orders of the last 12 months, ``>= 0``.
    :return: float array in [0, 1].
    """
    recent = _checks.non_negative("recent", recent)
    orders = _checks.non_negative("orders_12m", orders_12m)
    _checks.same_length(recent=recent, orders_12m=orders)
    return np.minimum(
        np.divide(
            recent,
            orders,
            out=np.where(recent > 0, 1.0, 0.0),
            where=orders > 0,
        ),
        1.0,
    )


def complaint_component(open_count, recent, orders_12m):
    """Complaint component in [0, 1]: ``(1 - rate) / (1 + open_count)``.

    :param open_count: complaints still open, ``>= 0``.
    :param recent: complaints received in the last 12 months, ``>= 0``.
    :param orders_12m: confirmed orders of the last 12 months, ``>= 0``.
    :return: float array (1 without any complaint).
    """
    open_count = _checks.non_negative("open_count", open_count)
    rate = complaint_rate(recent, orders_12m)
    _checks.same_length(open_count=open_count, recent=rate)
    return (1.0 - rate) / (1.0 + open_count)


def health_score(
    r,
    f,
    m,
    p_alive,
    open_count,
    recent,
    orders_12m,
    bins,
    weights=DEFAULT_WEIGHTS,
    extra=(),
):
    """Health score 0-100 of each customer (see the module docstring).

    :param r: recency scores, integers in ``1..bins``.
    :param f: frequency scores, integers in ``1..bins``.
    :param m: monetary scores, integers in ``1..bins``.
    :param p_alive: probabilities of being alive, in [0, 1].
    :param open_count: complaints still open, ``>= 0``.
    :param recent: complaints received in the last 12 months, ``>= 0``.
    :param orders_12m: confirmed orders of the last 12 months, ``>= 0``.
    :param bins: number of RFM score levels, an integer ``>= 2``.
    :param weights: :class:`HealthWeights` of the built-in components.
    :param extra: iterable of ``(weight, values, present)``: a weight
        ``>= 0`` on the scale of ``weights``, finite values (clipped to
        [0, 1], 1 is healthy) and a boolean mask of the customers that have
        the input; the values of the others are ignored.
    :return: float array in [0, 100], rounded to one decimal.
    :raises ValueError: on NaN/inf, negative counts or weights, probabilities
        outside [0, 1], scores outside ``1..bins``, mismatched lengths or
        empty input.
    """
    if not isinstance(weights, HealthWeights):
        raise ValueError(f"weights must be a HealthWeights, got {weights!r}")
    rfm = rfm_component(r, f, m, bins)
    alive = _checks.as_float_array("p_alive", p_alive)
    if np.any((alive < -_PROBABILITY_SLACK) | (alive > 1 + _PROBABILITY_SLACK)):
        raise ValueError("p_alive must hold probabilities in [0, 1]")
    complaints = complaint_component(open_count, recent, orders_12m)
    n = _checks.same_length(r=rfm, p_alive=alive, open_count=complaints)
    inputs = [_extra_input(k, item, n) for k, item in enumerate(extra)]
    total_weight = np.zeros(n)
    total = np.zeros(n)
    for weight, values in (
        (weights.rfm, rfm),
        (weights.alive, alive),
        (weights.complaints, complaints),
    ):
        total_weight += weight
        total += weight * values
    for weight, values, present in inputs:
        total_weight += np.where(present, weight, 0.0)
        total += np.where(present, weight * np.clip(values, 0.0, 1.0), 0.0)
    health = np.divide(
        total, total_weight, out=np.zeros_like(total), where=total_weight > 0
    )
    return np.round(100.0 * np.clip(health, 0.0, 1.0), 1)


def at_risk(value, risk, top_percent, risk_threshold):
    """Mask of the valuable customers at risk (see the module docstring).

    :param value: value of each customer, e.g. net revenue of the window
        (currency, ``>= 0``).
    :param risk: churn risks in [0, 1].
    :param top_percent: share of the customers, by decreasing value, that are
        valuable, in percent, in ``(0, 100]``.
    :param risk_threshold: churn risk from which a customer is at risk, a
        probability in [0, 1].
    :return: boolean array.
    :raises ValueError: on NaN/inf, negative values, probabilities outside
        [0, 1], mismatched lengths, empty input or bad thresholds.
    """
    val = _checks.non_negative("value", value)
    risk = _checks.as_float_array("risk", risk)
    if np.any((risk < -_PROBABILITY_SLACK) | (risk > 1 + _PROBABILITY_SLACK)):
        raise ValueError("risk must hold probabilities in [0, 1]")
    n = _checks.same_length(value=val, risk=risk)
    top = _checks.positive_scalar("top_percent", top_percent)
    if top > 100:
        raise ValueError(f"top_percent must be in (0, 100], got {top_percent!r}")
    threshold = _checks.positive_scalar(
        "risk_threshold", risk_threshold, allow_zero=True
    )
    if threshold > 1:
        raise ValueError(
            f"risk_threshold must be a probability in [0, 1], got {risk_threshold!r}"
        )
    ordered = np.sort(val)[::-1]
    # share of customers with a strictly higher value (ties share a rank)
    above = np.searchsorted(-ordered, -val, side="left") / n * 100.0
    return (
        (val > 0)
        & (above < top - _SHARE_TOLERANCE)
        & (risk >= threshold - _RISK_TOLERANCE)
    )


def _check_bins(bins, minimum):
    if (
        not isinstance(bins, int | np.integer)
        or isinstance(bins, bool)
        or bins < minimum
    ):
        raise ValueError(f"bins must be an integer >= {minimum}, got {bins!r}")
    return int(bins)


def _scores(name, values, bins):
    arr = _checks.as_float_array(name, values)
    if np.any((arr < 1) | (arr > bins) | (arr != np.floor(arr))):
        raise ValueError(f"{name} scores must be integers in 1..{bins}")
    return arr.astype(np.int64)


def _extra_input(index, item, n):
    try:
        weight, values, present = item
    except (TypeError, ValueError):
        raise ValueError(
            f"extra input {index} must be a (weight, values, present) triple"
        ) from None
    name = f"extra input {index}"
    weight = _checks.positive_scalar(f"{name} weight", weight, allow_zero=True)
    values = _checks.as_float_array(f"{name} values", values)
    mask = np.atleast_1d(np.asarray(present))
    if mask.dtype != np.bool_ or mask.ndim != 1:
        raise ValueError(f"{name} present must be a 1-D boolean mask")
    _checks.same_length(
        customers=np.empty(n), **{f"{name} values": values, f"{name} present": mask}
    )
    return weight, values, mask
