"""RFM scores and segments."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

FAST = settings(max_examples=80, deadline=None, database=None)

# small integer-valued amounts make ties frequent
values = st.lists(st.integers(0, 6).map(float), min_size=1, max_size=40)
bins_st = st.integers(1, 9)


@st.composite
def rfm_inputs(draw):
    n = draw(st.integers(1, 40))
    column = st.lists(st.integers(0, 8).map(float), min_size=n, max_size=n)
    return draw(column), draw(column), draw(column)


def test_distinct_values_fill_the_bins_evenly(engine):
    r, f, m = engine.rfm.rfm_scores(np.arange(10.0), np.arange(10.0), np.arange(10.0))
    assert f.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert m.tolist() == f.tolist()
    # lower recency is better
    assert r.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert f.dtype == np.int64


def test_ties_share_the_bin_of_their_middle(engine):
    scores = engine.rfm.quantile_scores([1, 2, 2, 2, 2, 2, 2, 2, 2, 3], bins=5)
    # 8 tied values: mid-rank percentile (1 + 8 / 2) / 10 = 0.5 -> bin 3
    assert scores.tolist() == [1] + [3] * 8 + [5]


@pytest.mark.parametrize("bins", [1, 2, 3, 5, 10])
def test_all_equal_values_get_the_middle_score(engine, bins):
    scores = engine.rfm.quantile_scores(np.full(7, 4.2), bins=bins)
    assert set(scores.tolist()) == {(bins + 1) // 2}


def test_single_customer(engine):
    r, f, m = engine.rfm.rfm_scores([3.0], [1], [10.0])
    assert (r.tolist(), f.tolist(), m.tolist()) == ([3], [3], [3])


def test_more_bins_than_customers(engine):
    scores = engine.rfm.quantile_scores([10.0, 20.0, 30.0], bins=10)
    assert scores.tolist() == [2, 5, 9]
    assert engine.rfm.quantile_scores([5.0, 6.0], bins=100).tolist() == [25, 75]


@pytest.mark.parametrize(
    "args, message",
    [
        (([1.0, np.nan], [1, 2], [1, 2]), "NaN"),
        (([1.0, np.inf], [1, 2], [1, 2]), "NaN or infinite"),
        (([1.0, 2.0], [1, -2], [1, 2]), "frequency must be >= 0"),
        (([1.0, 2.0], [1, 2], [1, -0.5]), "monetary must be >= 0"),
        (([1.0, 2.0], [1, 2], [1]), "mismatched lengths"),
        (([], [], []), "empty input"),
        (([[1.0]], [1], [1]), "one-dimensional"),
        ((["a"], [1], [1]), "numeric"),
    ],
)
def test_bad_input(engine, args, message):
    with pytest.raises(ValueError, match=message):
        engine.rfm.rfm_scores(*args)


@pytest.mark.parametrize("bins", [0, -1, 2.5, "5", True, None])
def test_bad_bins(engine, bins):
    with pytest.raises(ValueError, match="bins"):
        engine.rfm.rfm_scores([1.0], [1.0], [1.0], bins=bins)


@FAST
@given(rfm_inputs(), bins_st)
def test_scores_are_within_bins(engine, data, bins):
    for scores in engine.rfm.rfm_scores(*data, bins=bins):
        assert scores.min() >= 1
        assert scores.max() <= bins


@FAST
@given(values, bins_st)
def test_equal_values_get_equal_scores(engine, vals, bins):
    arr = np.array(vals)
    scores = engine.rfm.quantile_scores(arr, bins=bins)
    for value in np.unique(arr):
        assert len(set(scores[arr == value].tolist())) == 1


@FAST
@given(rfm_inputs(), bins_st, st.randoms(use_true_random=False))
def test_permutation_invariance(engine, data, bins, rnd):
    n = len(data[0])
    perm = np.array(rnd.sample(range(n), n))
    scores = engine.rfm.rfm_scores(*data, bins=bins)
    permuted = engine.rfm.rfm_scores(*(np.array(col)[perm] for col in data), bins=bins)
    for before, after in zip(scores, permuted, strict=True):
        assert np.array_equal(before[perm], after)


@FAST
@given(values, bins_st)
def test_strictly_better_recency_never_scores_lower(engine, vals, bins):
    recency = np.array(vals)
    zeros = np.zeros_like(recency)
    r, _f, _m = engine.rfm.rfm_scores(recency, zeros, zeros, bins=bins)
    better = recency[:, None] < recency[None, :]  # i more recent than j
    assert np.all((r[:, None] >= r[None, :])[better])


@FAST
@given(values, bins_st)
def test_higher_frequency_or_monetary_never_scores_lower(engine, vals, bins):
    arr = np.array(vals)
    scores = engine.rfm.quantile_scores(arr, bins=bins)
    assert np.all((scores[:, None] >= scores[None, :])[arr[:, None] > arr[None, :]])


# -- segments -------------------------------------------------------------


def _full_grid():
    grid = np.array(list(itertools.product(range(1, 6), repeat=3)))
    return grid[:, 0], grid[:, 1], grid[:, 2]


def test_every_segment_is_reachable(engine):
    segments = engine.rfm.rfm_segments(*_full_grid())
    assert segments.shape == (125,)
    assert set(segments.tolist()) == set(engine.rfm.SEGMENTS)


def test_segment_codes(engine):
    assert len(engine.rfm.SEGMENTS) == 11
    assert len(set(engine.rfm.SEGMENTS)) == 11
    assert set(engine.rfm.SEGMENT_LABELS) == set(engine.rfm.SEGMENTS)
    assert isinstance(engine.rfm.SEGMENTS, tuple)


@pytest.mark.parametrize(
    "r, f, m, code",
    [
        (5, 5, 5, "champions"),
        (5, 4, 3, "champions"),  # FM = (4 + 3 + 1) // 2 = 4
        (4, 5, 4, "loyal"),
        (3, 4, 4, "loyal"),
        (5, 2, 3, "potential_loyalist"),
        (5, 1, 1, "new"),
        (4, 1, 1, "promising"),
        (3, 3, 3, "need_attention"),
        (3, 1, 2, "about_to_sleep"),
        (2, 3, 4, "at_risk"),
        (1, 5, 5, "cannot_lose"),
        (2, 2, 1, "hibernating"),
        (1, 1, 1, "lost"),
        (1, 2, 2, "lost"),
    ],
)
def test_segment_grid(engine, r, f, m, code):
    assert engine.rfm.rfm_segments([r], [f], [m]).tolist() == [code]


def test_segments_from_scores(engine):
    r, f, m = engine.rfm.rfm_scores(
        [1.0, 400.0, 30.0], [12.0, 0.0, 3.0], [900.0, 0.0, 100.0]
    )
    assert (r.tolist(), f.tolist(), m.tolist()) == ([5, 1, 3],) * 3
    segments = engine.rfm.rfm_segments(r, f, m)
    assert segments.tolist() == ["champions", "lost", "need_attention"]


@pytest.mark.parametrize("bad", [[0], [6], [2.5], [np.nan]])
def test_segments_reject_bad_scores(engine, bad):
    with pytest.raises(ValueError):
        engine.rfm.rfm_segments(bad, [1], [1])


def test_segments_reject_mismatched_lengths(engine):
    with pytest.raises(ValueError, match="mismatched"):
        engine.rfm.rfm_segments([1, 2], [1], [1])
