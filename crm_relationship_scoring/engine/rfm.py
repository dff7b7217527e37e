r"""RFM (recency, frequency, monetary) scores and segments.

Scoring rule: mid-rank percentile binning
-----------------------------------------
Each dimension is scored independently.  For a value ``v`` among ``n``
customers let ``below`` be the number of customers with a strictly worse
value and ``equal`` the number with exactly the same value (``v`` included).
Its mid-rank percentile is ``p = (below + equal / 2) / n`` (in ``(0, 1)``) and
its score is::

    score = ceil(p * bins)        (always in 1..bins)

computed exactly in integer arithmetic.  Consequences:

* equal inputs always get equal scores (a tie is never split arbitrarily: all
  tied values share the percentile of the middle of their block);
* the scores are invariant under permutation of the customers;
* a strictly better value never gets a lower score;
* with distinct values the bins hold (nearly) equal numbers of customers;
* without information (one customer, or all values equal) every customer gets
  the middle score ``ceil(bins / 2)`` (3 for 5 bins), whatever ``bins`` and
  ``n`` (``bins > n`` is allowed).

"Better" means *higher* frequency or monetary value but *lower* recency (days
since the last purchase).  5 is the best score with the default 5 bins.

Segments
--------
:func:`rfm_segments` maps 5-bin scores to the 11 segment codes of
:data:`SEGMENTS` on the well-known R x FM grid, where
``FM = (F + M + 1) // 2`` is the average of the F and M scores rounded half
up::

    R\FM | 1              2                  3                  4         5
    -----+-----------------------------------------------------------------
     5   | new            potential_loyalist potential_loyalist champions champions
     4   | promising      potential_loyalist potential_loyalist loyal     loyal
     3   | about_to_sleep about_to_sleep     need_attention     loyal     loyal
     2   | hibernating    hibernating        at_risk            at_risk   cannot_lose
     1   | lost           lost               at_risk            at_risk   cannot_lose
"""

import numpy as np

from . import _checks

#: segment codes, best first (the order of a selection field)
SEGMENTS = (
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cannot_lose",
    "hibernating",
    "lost",
)

#: English labels of :data:`SEGMENTS`
SEGMENT_LABELS = {
    "champions": "Champions",
    "loyal": "Loyal",
    "potential_loyalist": "Potential Loyalist",
    "new": "New",
    "promising": "Promising",
    "need_attention": "Need Attention",
    "about_to_sleep": "About to Sleep",
    "at_risk": "At Risk",
    "cannot_lose": "Cannot Lose Them",
    "hibernating": "Hibernating",
    "lost": "Lost",
}

#: the grid of the module docstring; row ``R - 1``, column ``FM - 1``
_GRID = (
    ("lost", "lost", "at_risk", "at_risk", "cannot_lose"),
    ("hibernating", "hibernating", "at_risk", "at_risk", "cannot_lose"),
    ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),
    ("promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"),
    ("new", "potential_loyalist", "potential_loyalist", "champions", "champions"),
)
_GRID_INDEX = np.array([[SEGMENTS.index(code) for code in row] for row in _GRID])


def quantile_scores(values, bins=5):
    """Mid-rank percentile bin (``1..bins``) of each value, higher is better.

    See the module docstring for the rule; ties always share one bin.

    :param values: 1-D array of finite numbers.
    :param bins: number of bins, an integer ``>= 1``.
    :return: int64 array of the same length.
    """
    vals = _checks.as_float_array("values", values)
    bins = _check_bins(bins)
    n = vals.shape[0]
    if n == 0:
        raise ValueError("empty input: values have no customer")
    ordered = np.sort(vals)
    below = np.searchsorted(ordered, vals, side="left")
    equal = np.searchsorted(ordered, vals, side="right") - below
    # ceil(bins * (below + equal / 2) / n), exactly, in integers
    numerator = (2 * below + equal) * bins
    scores = -((-numerator) // (2 * n))
    return scores.astype(np.int64)


def rfm_scores(recency_days, frequency, monetary, bins=5):
    """RFM scores of a customer base.

    :param recency_days: days (or any time unit) since the last purchase,
        ``>= 0``; *lower* is better.
    :param frequency: number of purchases (orders), ``>= 0``.
    :param monetary: monetary value (e.g. revenue or average order value in
        the company currency), ``>= 0``.
    :param bins: number of score levels (default 5, "quintiles").
    :return: ``(r, f, m)`` int64 arrays with values in ``1..bins``, ``bins``
        being the best, computed by mid-rank percentile binning (module
        docstring): equal inputs get equal scores.
    :raises ValueError: on NaN/inf, negative values, mismatched lengths,
        empty input or a bad ``bins``.
    """
    rec = _checks.non_negative("recency_days", recency_days)
    freq = _checks.non_negative("frequency", frequency)
    mon = _checks.non_negative("monetary", monetary)
    _checks.same_length(recency_days=rec, frequency=freq, monetary=mon)
    return (
        quantile_scores(-rec, bins),
        quantile_scores(freq, bins),
        quantile_scores(mon, bins),
    )


def rfm_segments(r, f, m):
    """Segment code of each customer from its 5-bin R, F and M scores.

    :param r: recency scores, integers in ``1..5`` (5 = most recent).
    :param f: frequency scores, integers in ``1..5``.
    :param m: monetary scores, integers in ``1..5``.
    :return: array of strings, codes of :data:`SEGMENTS`, looked up on the
        R x FM grid of the module docstring (``FM = (F + M + 1) // 2``).
    :raises ValueError: if a score is not an integer in ``1..5`` or the
        lengths differ.
    """
    scores = [_scores_1_to_5(name, s) for name, s in (("r", r), ("f", f), ("m", m))]
    _checks.same_length(r=scores[0], f=scores[1], m=scores[2])
    r_s, f_s, m_s = scores
    fm = (f_s + m_s + 1) // 2
    return np.asarray(SEGMENTS)[_GRID_INDEX[r_s - 1, fm - 1]]


def _check_bins(bins):
    if not isinstance(bins, int | np.integer) or isinstance(bins, bool) or bins < 1:
        raise ValueError(f"bins must be an integer >= 1, got {bins!r}")
    return int(bins)


def _scores_1_to_5(name, values):
    arr = _checks.as_float_array(name, values)
    if np.any((arr < 1) | (arr > 5) | (arr != np.floor(arr))):
        raise ValueError(
            f"{name} scores must be integers in 1..5 (segments are defined for bins=5)"
        )
    return arr.astype(np.int64)
