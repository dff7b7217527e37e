r"""Calibration / holdout check: are the predicted purchases any good?

How it works
------------
The last ``holdout`` time units before today are hidden from the model: the
customers are summarised on the purchases made up to the cutoff (``today -
holdout``), exactly as the scoring run summarises them on every purchase,
the model is fitted on those *calibration* summaries, and its conditional
expectation of each customer's purchases in the next ``holdout`` time units
is compared with the purchases the customer actually made in the holdout
``(cutoff, today]``. This is the validation of Fader, Hardie & Lee (2005),
"Counting your customers the easy way", Marketing Science 24(2) 275-284,
section 4 (39 weeks of calibration, 39 weeks of holdout, conditional
expectations by number of repeat transactions 0..7+, their Figure 5).

Inputs (one entry per customer present before the cutoff, all times in the
same unit, e.g. days):

* ``frequency`` (x), ``recency`` (t_x), ``T``: the calibration summary, as
  in :mod:`.clv` (repeat purchases, age at the last purchase and age at the
  cutoff);
* ``actual``: purchases made in the holdout (whole numbers >= 0; counted
  like ``frequency``, i.e. purchase days when x counts purchase days);
* ``holdout``: length of the holdout, > 0.

The prediction is the one the scoring run would have made at the cutoff:

* ``method="auto"``: the BG/NBD fitted on the calibration summaries
  (:func:`.bgnbd.fit_bgnbd`) and its conditional expectation
  :func:`.bgnbd.bgnbd_expected_purchases` over ``holdout``; when the base is
  too small (the same thresholds as :func:`.clv.score_customers`: customers
  and repeat customers), the fit does not converge or its expectation is not
  finite, the heuristic instead (``reason`` says why);
* ``method="heuristic"`` (the run itself used the heuristic): the expected
  purchases of :func:`.clv.heuristic_clv` over ``holdout``, without
  discount.

The monetary value plays no part: only the number of purchases is checked
(the lifetime value is that number times the expected spend).

Result (:class:`HoldoutCheck`): per frequency bucket (0, 1, ..., 6 and
"7 or more" repeat purchases in the calibration, :data:`BUCKETS`) the number
of customers and their mean predicted and mean actual holdout purchases;
the mean absolute error per customer; the total predicted and actual
purchases and the relative gap ``actual / predicted - 1`` (-0.027: the
customers made 2.7 % fewer purchases than predicted); the method used.

One fit and one vectorised evaluation: the cost of a scoring run's fit.
"""

from dataclasses import dataclass

import numpy as np

from . import _checks
from .bgnbd import BGNBDParams, bgnbd_expected_purchases, fit_bgnbd
from .clv import (
    METHOD_HEURISTIC,
    METHOD_MODEL,
    MIN_CUSTOMERS,
    MIN_REPEATERS,
    _model_blocker,
    heuristic_clv,
)

__all__ = ["BUCKETS", "HoldoutCheck", "holdout_check"]

#: frequency buckets of the table: 0..6 repeat purchases, then 7 or more
BUCKETS = 8


@dataclass(frozen=True)
class HoldoutCheck:
    """Result of :func:`holdout_check` (bucket arrays have :data:`BUCKETS`
    entries; bucket ``BUCKETS - 1`` holds the customers with at least that
    many repeat purchases).

    :ivar holdout: length of the holdout, in the time unit of the input.
    :ivar customers: customers per bucket (int array).
    :ivar predicted_mean: mean predicted holdout purchases per bucket (0
        where the bucket is empty).
    :ivar actual_mean: mean actual holdout purchases per bucket (0 where the
        bucket is empty).
    :ivar predicted: predicted holdout purchases of each customer.
    :ivar predicted_total: sum of ``predicted``.
    :ivar actual_total: purchases made in the holdout by these customers.
    :ivar relative_gap: ``actual_total / predicted_total - 1``; NaN when
        nothing was predicted.
    :ivar mae: mean absolute error per customer.
    :ivar method: ``"bgnbd_gamma_gamma"`` (the BG/NBD of the model) or
        ``"heuristic"``.
    :ivar reason: why the heuristic was used ("" for the model).
    :ivar bgnbd: :class:`.bgnbd.BGNBDParams` fitted on the calibration, None
        for the heuristic.
    """

    holdout: float
    customers: np.ndarray
    predicted_mean: np.ndarray
    actual_mean: np.ndarray
    predicted: np.ndarray
    predicted_total: float
    actual_total: float
    relative_gap: float
    mae: float
    method: str
    reason: str = ""
    bgnbd: BGNBDParams | None = None

    @property
    def n_customers(self):
        return int(self.customers.sum())


def holdout_check(
    frequency,
    recency,
    T,
    actual,
    holdout,
    method="auto",
    min_customers=MIN_CUSTOMERS,
    min_repeaters=MIN_REPEATERS,
    time_step=1.0,
    start=None,
):
    """Fit on the calibration summaries, predict the holdout, compare.

    :param frequency: repeat purchases before the cutoff (whole numbers).
    :param recency: age at the last purchase before the cutoff.
    :param T: age at the cutoff; same time unit as ``recency``.
    :param actual: purchases made in the holdout (whole numbers >= 0).
    :param holdout: length of the holdout (> 0), same time unit.
    :param method: ``"auto"`` (BG/NBD, heuristic when unusable) or
        ``"heuristic"``.
    :param min_customers: fewer customers: heuristic (as in
        :func:`.clv.score_customers`).
    :param min_repeaters: fewer repeat customers: heuristic.
    :param time_step: the heuristic's ``time_step`` (lower bound of its
        population gap, see :func:`.clv.heuristic_clv`): pass the one of the
        scoring run so that both heuristics agree.
    :param start: optional warm start of the BG/NBD fit (e.g. the run's
        parameters); the optimum does not depend on it.
    :return: :class:`HoldoutCheck`.
    :raises ValueError: on invalid input (see :mod:`.clv`; ``actual`` must be
        whole numbers of the same length, ``holdout`` > 0).
    """
    x, t_x, age = _checks.customers(frequency, recency, T)
    seen = _checks.counts("actual", actual)
    _checks.same_length(frequency=x, actual=seen)
    holdout = _checks.positive_scalar("holdout", holdout)
    if method not in ("auto", METHOD_HEURISTIC):
        raise ValueError(f"method must be 'auto' or 'heuristic', got {method!r}")
    reason = "heuristic method requested"
    if method == "auto":
        # repeat customers count whatever they spent: only purchases are checked
        reason = _model_blocker(
            x, (x > 0).astype(float), age, min_customers, min_repeaters
        )
    params = None
    if not reason:
        params, predicted, reason = _model_prediction(x, t_x, age, holdout, start)
    if reason:
        params = None
        predicted = heuristic_clv(
            x,
            t_x,
            age,
            np.zeros_like(x),
            horizon=holdout,
            discount_rate=0.0,
            time_step=min(time_step, holdout),
        ).expected_purchases
    return _compare(
        x,
        seen,
        predicted,
        holdout,
        METHOD_HEURISTIC if reason else METHOD_MODEL,
        reason,
        params,
    )


def _model_prediction(x, t_x, age, holdout, start):
    """BG/NBD fit and conditional expectation, or the reason not to use them."""
    params = fit_bgnbd(x, t_x, age, start=start)
    if not params.converged:
        return None, None, f"BG/NBD fit did not converge ({params.message})"
    try:
        predicted = bgnbd_expected_purchases(params, holdout, x, t_x, age)
    except ValueError as exc:
        return None, None, str(exc)
    return params, predicted, ""


def _compare(x, seen, predicted, holdout, method, reason, params):
    bucket = np.minimum(x, BUCKETS - 1).astype(np.int64)
    customers = np.bincount(bucket, minlength=BUCKETS)
    predicted_sum = np.bincount(bucket, weights=predicted, minlength=BUCKETS)
    actual_sum = np.bincount(bucket, weights=seen, minlength=BUCKETS)
    some = customers > 0
    predicted_mean = np.zeros(BUCKETS)
    actual_mean = np.zeros(BUCKETS)
    predicted_mean[some] = predicted_sum[some] / customers[some]
    actual_mean[some] = actual_sum[some] / customers[some]
    predicted_total = float(predicted.sum())
    actual_total = float(seen.sum())
    gap = actual_total / predicted_total - 1.0 if predicted_total > 0 else np.nan
    return HoldoutCheck(
        holdout=holdout,
        customers=customers,
        predicted_mean=predicted_mean,
        actual_mean=actual_mean,
        predicted=predicted,
        predicted_total=predicted_total,
        actual_total=actual_total,
        relative_gap=float(gap),
        mae=float(np.abs(predicted - seen).mean()),
        method=method,
        reason=reason,
        bgnbd=params,
    )
