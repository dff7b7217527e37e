"""Churn risk, risk levels and the "save first" priority.

* :func:`churn_risk`: ``1 - P(alive)``, clipped to [0, 1];
* :func:`risk_level`: ``"low"`` / ``"medium"`` / ``"high"`` by thresholds;
* :func:`save_priority`: ``churn_risk * value percentile``, in [0, 1]: sort
  it in decreasing order to call the valuable customers about to leave first.
"""

import numpy as np

from . import _checks

#: risk level codes, lowest first
RISK_LEVELS = ("low", "medium", "high")

#: probabilities may exceed [0, 1] by this much (rounding noise) before an
#: error is raised; the excess is clipped
_PROBABILITY_SLACK = 1e-9


def churn_risk(p_alive):
    """Churn risk ``1 - p_alive`` of each customer, clipped to [0, 1].

    :param p_alive: probabilities that the customers are still active.
    :return: float array in [0, 1].
    :raises ValueError: on NaN/inf or probabilities outside [0, 1] (beyond
        rounding noise).
    """
    return 1.0 - _probabilities("p_alive", p_alive)


def risk_level(churn_risk, thresholds=(0.3, 0.6)):
    """Risk level code of each customer (see :data:`RISK_LEVELS`).

    ``"low"`` if ``risk < low_max``, ``"medium"`` if ``low_max <= risk <
    medium_max``, else ``"high"``, with ``thresholds = (low_max,
    medium_max)``.

    :param churn_risk: churn risks in [0, 1] (see :func:`churn_risk`).
    :param thresholds: increasing pair of numbers in [0, 1].
    :return: array of strings.
    """
    risk = _probabilities("churn_risk", churn_risk)
    try:
        low, high = (float(t) for t in thresholds)
    except (TypeError, ValueError):
        raise ValueError(
            f"thresholds must be a pair of numbers, got {thresholds!r}"
        ) from None
    if not 0 <= low <= high <= 1:
        raise ValueError(f"thresholds must satisfy 0 <= low <= high <= 1: {thresholds}")
    index = (risk >= low).astype(np.int64) + (risk >= high)
    return np.asarray(RISK_LEVELS)[index]


def save_priority(churn_risk, value):
    """Priority to "save first": high value x high risk first.

    ``priority = churn_risk * value_percentile``, where ``value_percentile``
    is the share of customers whose value is ``<= value`` (ties share it,
    the most valuable customer has 1), and 0 for a value of 0.  The result
    is in [0, 1], monotone in both risk and value and independent of the
    currency scale; ordering by decreasing priority
    (``np.argsort(-priority, kind="stable")``) puts valuable customers that
    are likely to leave first.

    :param churn_risk: churn risks in [0, 1].
    :param value: value of each customer, e.g. the CLV (currency, >= 0).
    :return: float array in [0, 1].
    """
    risk = _probabilities("churn_risk", churn_risk)
    val = _checks.non_negative("value", value)
    n = _checks.same_length(churn_risk=risk, value=val)
    at_most = np.searchsorted(np.sort(val), val, side="right")
    percentile = np.where(val > 0, at_most / n, 0.0)
    return risk * percentile


def _probabilities(name, values):
    arr = _checks.as_float_array(name, values)
    _checks.same_length(**{name: arr})
    if np.any((arr < -_PROBABILITY_SLACK) | (arr > 1 + _PROBABILITY_SLACK)):
        raise ValueError(f"{name} must hold probabilities in [0, 1]")
    return np.clip(arr, 0.0, 1.0)
