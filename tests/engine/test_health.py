"""Health score, 1-5 rescaling and the valuable customers at risk."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

FAST = settings(max_examples=80, deadline=None, database=None)

probabilities = st.floats(0.0, 1.0)
counts = st.integers(0, 6).map(float)


# ----------------------------------------------------------------------
# The code of crm.relationship.score.run before it moved to the engine,
# verbatim but for the ORM reads (settings and data passed as arguments):
# the engine must give bit-for-bit the same numbers.
# ----------------------------------------------------------------------
def legacy_on_five(scores, bins):
    if bins == 5:
        return scores
    return np.ceil(scores * 5 / bins).astype(np.int64)


def legacy_health(bins, w_rfm, w_alive, w_complaints, orders_12m, ids, extra, *args):
    rfm_scores, p_alive, open_count, recent = args
    r, f, m = rfm_scores
    rate = np.minimum(
        np.divide(
            recent,
            orders_12m,
            out=np.where(recent > 0, 1.0, 0.0),
            where=orders_12m > 0,
        ),
        1.0,
    )
    components = [
        (w_rfm, (r + f + m - 3) / (3 * (bins - 1))),
        (w_alive, p_alive),
        (w_complaints, (1.0 - rate) / (1.0 + open_count)),
    ]
    weights = np.zeros(len(ids))
    total = np.zeros(len(ids))
    for weight, values in components:
        weights += weight
        total += weight * values
    for weight, mapping in extra.values():
        present = np.array([pid in mapping for pid in ids])
        values = np.array([mapping.get(pid, 0.0) for pid in ids], float)
        weights += np.where(present, weight, 0.0)
        total += np.where(present, weight * np.clip(values, 0.0, 1.0), 0.0)
    health = np.divide(total, weights, out=np.zeros_like(total), where=weights > 0)
    return np.round(100.0 * np.clip(health, 0.0, 1.0), 1)


def legacy_at_risk_ids(ids, value, risk, high_value_percentile, risk_high):
    ordered = np.sort(value)[::-1]
    above = np.searchsorted(-ordered, -value, side="left") / len(ids) * 100.0
    selected = (
        (value > 0)
        & (above < high_value_percentile - 1e-9)
        & (risk >= risk_high / 100.0 - 1e-12)
    )
    return [ids[i] for i in np.flatnonzero(selected)]


def extra_arrays(ids, extra):
    """The model's conversion of ``{name: (weight, {id: value})}``."""
    return [
        (
            weight,
            np.array([mapping.get(pid, 0.0) for pid in ids], float),
            np.array([pid in mapping for pid in ids], dtype=bool),
        )
        for weight, mapping in extra.values()
    ]


@st.composite
def customer_bases(draw):
    n = draw(st.integers(1, 30))
    bins = draw(st.integers(2, 9))
    score = st.lists(st.integers(1, bins), min_size=n, max_size=n)
    column = st.lists(counts, min_size=n, max_size=n)
    ids = list(range(100, 100 + n))
    extra = {}
    for k in range(draw(st.integers(0, 2))):
        mapping = draw(
            st.dictionaries(st.sampled_from(ids), st.floats(-0.5, 1.5), max_size=n)
        )
        extra[f"input{k}"] = (draw(st.floats(0.0, 200.0)), mapping)
    return {
        "bins": bins,
        "weights": tuple(draw(st.floats(0.0, 100.0)) for _ in range(3)),
        "r": np.array(draw(score), dtype=np.int64),
        "f": np.array(draw(score), dtype=np.int64),
        "m": np.array(draw(score), dtype=np.int64),
        "p_alive": np.array(draw(st.lists(probabilities, min_size=n, max_size=n))),
        "open_count": np.array(draw(column)),
        "recent": np.array(draw(column)),
        "orders_12m": np.array(draw(column)),
        "ids": ids,
        "extra": extra,
    }


def engine_health(engine, d):
    return engine.health.health_score(
        d["r"],
        d["f"],
        d["m"],
        d["p_alive"],
        d["open_count"],
        d["recent"],
        d["orders_12m"],
        bins=d["bins"],
        weights=engine.health.HealthWeights(*d["weights"]),
        extra=extra_arrays(d["ids"], d["extra"]),
    )


# ----------------------------------------------------------------------
# Same numbers as before the move
# ----------------------------------------------------------------------
@FAST
@given(customer_bases())
def test_health_is_identical_to_the_model_code(engine, d):
    expected = legacy_health(
        d["bins"],
        *d["weights"],
        d["orders_12m"],
        d["ids"],
        d["extra"],
        (d["r"], d["f"], d["m"]),
        d["p_alive"],
        d["open_count"],
        d["recent"],
    )
    np.testing.assert_array_equal(engine_health(engine, d), expected)


def test_health_is_identical_on_a_large_random_base(engine):
    rng = np.random.default_rng(13)
    n, bins = 20_000, 5
    ids = list(range(n))
    d = {
        "bins": bins,
        "weights": (40.0, 40.0, 20.0),
        "r": rng.integers(1, bins + 1, n),
        "f": rng.integers(1, bins + 1, n),
        "m": rng.integers(1, bins + 1, n),
        "p_alive": rng.random(n),
        "open_count": rng.poisson(0.2, n).astype(float),
        "recent": rng.poisson(0.5, n).astype(float),
        "orders_12m": rng.poisson(2.0, n).astype(float),
        "ids": ids,
        "extra": {
            "satisfaction": (
                25.0,
                {
                    pid: float(v)
                    for pid, v in zip(ids[::3], rng.random(n)[::3], strict=True)
                },
            )
        },
    }
    expected = legacy_health(
        bins,
        *d["weights"],
        d["orders_12m"],
        ids,
        d["extra"],
        (d["r"], d["f"], d["m"]),
        d["p_alive"],
        d["open_count"],
        d["recent"],
    )
    np.testing.assert_array_equal(engine_health(engine, d), expected)


@pytest.mark.parametrize("bins", range(1, 21))
def test_on_five_is_identical_to_the_model_code(engine, bins):
    scores = np.arange(1, bins + 1, dtype=np.int64)
    got = engine.health.on_five(scores, bins)
    np.testing.assert_array_equal(got, legacy_on_five(scores, bins))
    assert got.dtype == np.int64


@FAST
@given(
    st.lists(
        st.tuples(st.integers(0, 8).map(float), probabilities), min_size=1, max_size=40
    ),
    st.floats(0.5, 100.0),
    st.integers(0, 100),
)
def test_at_risk_is_identical_to_the_model_code(engine, rows, top, risk_high):
    value, risk = (np.array(col) for col in zip(*rows, strict=True))
    ids = list(range(7, 7 + len(rows)))
    mask = engine.health.at_risk(value, risk, top, risk_high / 100.0)
    assert [ids[i] for i in np.flatnonzero(mask)] == legacy_at_risk_ids(
        ids, value, risk, top, risk_high
    )


# ----------------------------------------------------------------------
# Hand-computed examples
# ----------------------------------------------------------------------
def test_health_by_hand(engine):
    health = engine.health.health_score(
        r=[5, 1, 3],
        f=[5, 1, 2],
        m=[5, 1, 4],
        p_alive=[1.0, 0.0, 0.5],
        open_count=[0, 0, 1],
        recent=[0, 0, 1],
        orders_12m=[4, 0, 4],
        bins=5,
    )
    # 0: (40 * 1 + 40 * 1 + 20 * 1) / 100 = 100 %
    # 1: (40 * 0 + 40 * 0 + 20 * 1) / 100 = 20 % (no order, no complaint)
    # 2: rfm (3 + 2 + 4 - 3) / 12 = 0.5, rate 1/4, complaints 0.75 / 2 = 0.375
    #    (40 * 0.5 + 40 * 0.5 + 20 * 0.375) / 100 = 47.5 %
    np.testing.assert_array_equal(health, [100.0, 20.0, 47.5])


def test_complaints_without_orders_count_as_a_full_rate(engine):
    rate = engine.health.complaint_rate(recent=[0, 2, 1, 9], orders_12m=[0, 0, 4, 3])
    np.testing.assert_array_equal(rate, [0.0, 1.0, 0.25, 1.0])
    component = engine.health.complaint_component(
        [0, 0, 3, 1], [0, 2, 1, 9], [0, 0, 4, 3]
    )
    np.testing.assert_array_equal(component, [1.0, 0.0, 0.1875, 0.0])


def test_rfm_component_spans_zero_to_one(engine):
    comp = engine.health.rfm_component([1, 3, 3], [1, 3, 2], [1, 3, 1], bins=3)
    np.testing.assert_array_equal(comp, [0.0, 1.0, 0.5])


def test_extra_inputs_count_only_where_present(engine):
    common = {
        "r": [5, 5],
        "f": [5, 5],
        "m": [5, 5],
        "p_alive": [1.0, 1.0],
        "open_count": [0, 0],
        "recent": [0, 0],
        "orders_12m": [1, 1],
        "bins": 5,
    }
    satisfaction = (100.0, [0.0, 7.0], np.array([True, False]))
    health = engine.health.health_score(**common, extra=[satisfaction])
    # customer 0: (100 + 100 * 0) / 200; customer 1 has no such input (its
    # value is ignored): 100
    np.testing.assert_array_equal(health, [50.0, 100.0])
    # values are clipped to [0, 1]
    above = (100.0, [3.0, 0.0], np.array([True, False]))
    np.testing.assert_array_equal(
        engine.health.health_score(**common, extra=[above]), [100.0, 100.0]
    )


def test_zero_weights(engine):
    zero = engine.health.HealthWeights(0, 0, 0)
    args = ([3, 3], [3, 3], [3, 3], [0.5, 0.5], [0, 0], [0, 0], [0, 0])
    # nothing weighs: health 0 (as before the move), unless an extra input does
    np.testing.assert_array_equal(
        engine.health.health_score(*args, bins=5, weights=zero), [0.0, 0.0]
    )
    extra = [(1.0, [0.8, 0.0], np.array([True, False]))]
    np.testing.assert_array_equal(
        engine.health.health_score(*args, bins=5, weights=zero, extra=extra),
        [80.0, 0.0],
    )
    # only ratios matter
    np.testing.assert_array_equal(
        engine.health.health_score(
            *args, bins=5, weights=engine.health.HealthWeights(0.4, 0.4, 0.2)
        ),
        engine.health.health_score(*args, bins=5),
    )


def test_all_customers_equal(engine):
    n = 6
    health = engine.health.health_score(
        *(np.full(n, 3),) * 3, np.full(n, 0.7), *(np.zeros(n),) * 3, bins=5
    )
    # (40 * 0.5 + 40 * 0.7 + 20 * 1) / 100
    np.testing.assert_array_equal(health, np.full(n, 68.0))
    # equal values share one rank: all of them are in the top share or none
    mask = engine.health.at_risk(np.full(n, 10.0), np.full(n, 0.9), 20.0, 0.6)
    assert mask.tolist() == [True] * n
    assert (
        engine.health.at_risk(np.zeros(n), np.ones(n), 100.0, 0.0).tolist()
        == [False] * n
    )


def test_on_five_by_hand(engine):
    assert engine.health.on_five([1, 2, 3], 3).tolist() == [2, 4, 5]
    assert engine.health.on_five([1, 5, 9], 9).tolist() == [1, 3, 5]
    assert engine.health.on_five([4, 2], 5).tolist() == [4, 2]
    assert engine.health.on_five([1, 2], 2).tolist() == [3, 5]


def test_at_risk_by_hand(engine):
    value = np.array([500.0, 100.0, 900.0, 900.0, 0.0, 50.0, 300.0, 20.0, 10.0, 5.0])
    risk = np.array([0.7, 0.9, 0.59, 0.61, 1.0, 0.95, 0.6, 0.9, 0.9, 0.9])
    # top 40 %: 900, 900 (0 % above), 500 (20 %), 300 (30 %); 100 has 40 % above
    mask = engine.health.at_risk(value, risk, top_percent=40.0, risk_threshold=0.6)
    assert np.flatnonzero(mask).tolist() == [0, 3, 6]
    # a worthless customer is never "valuable", even with top 100 %
    everyone = engine.health.at_risk(value, risk, 100.0, 0.0)
    assert np.flatnonzero(~everyone).tolist() == [4]


# ----------------------------------------------------------------------
# Properties
# ----------------------------------------------------------------------
@FAST
@given(customer_bases())
def test_health_is_a_percentage_with_one_decimal(engine, d):
    health = engine_health(engine, d)
    assert np.all((health >= 0) & (health <= 100))
    np.testing.assert_allclose(health * 10, np.round(health * 10), atol=1e-6)


@FAST
@given(customer_bases(), probabilities, probabilities)
def test_health_is_monotone_in_p_alive(engine, d, p1, p2):
    low, high = sorted((p1, p2))
    d_low = {**d, "p_alive": np.full(len(d["ids"]), low)}
    d_high = {**d, "p_alive": np.full(len(d["ids"]), high)}
    assert np.all(engine_health(engine, d_high) >= engine_health(engine, d_low))


@FAST
@given(customer_bases(), st.integers(0, 5))
def test_health_does_not_rise_with_open_complaints(engine, d, more):
    worse = {**d, "open_count": d["open_count"] + more}
    assert np.all(engine_health(engine, worse) <= engine_health(engine, d))


@FAST
@given(st.integers(1, 9))
def test_on_five_is_monotone_and_in_range(engine, bins):
    five = engine.health.on_five(np.arange(1, bins + 1), bins)
    assert np.all(np.diff(five) >= 0)
    assert five.min() >= 1 and five[-1] == 5


@FAST
@given(
    st.lists(st.tuples(st.floats(0.0, 1e6), probabilities), min_size=1, max_size=40),
    st.floats(0.5, 100.0),
    probabilities,
)
def test_at_risk_selection_is_closed_upwards(engine, rows, top, threshold):
    value, risk = (np.array(col) for col in zip(*rows, strict=True))
    mask = engine.health.at_risk(value, risk, top, threshold)
    # a selected customer's value and risk select anyone worth more and riskier
    dominating = (value[None, :] >= value[:, None]) & (risk[None, :] >= risk[:, None])
    assert np.all(mask[None, :] | ~(mask[:, None] & dominating))
    # at most the top share (ties excepted) and never a worthless customer
    assert not np.any(mask & (value == 0))
    assert np.all(risk[mask] >= threshold - 1e-12)


# ----------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------
GOOD = {
    "r": [3, 4],
    "f": [2, 5],
    "m": [1, 3],
    "p_alive": [0.5, 0.9],
    "open_count": [0, 1],
    "recent": [0, 2],
    "orders_12m": [1, 3],
    "bins": 5,
}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"p_alive": [0.5, np.nan]}, "p_alive contains 1 NaN or infinite"),
        ({"p_alive": [0.5, 1.2]}, r"p_alive must hold probabilities in \[0, 1\]"),
        ({"recent": [0, np.inf]}, "recent contains 1 NaN or infinite"),
        ({"orders_12m": [-1, 3]}, "orders_12m must be >= 0"),
        ({"open_count": [0, -2]}, "open_count must be >= 0"),
        ({"r": [0, 4]}, r"r scores must be integers in 1..5"),
        ({"f": [2, 6]}, r"f scores must be integers in 1..5"),
        ({"m": [1.5, 3]}, r"m scores must be integers in 1..5"),
        ({"bins": 1}, "bins must be an integer >= 2"),
        ({"bins": 5.0}, "bins must be an integer >= 2"),
        ({"p_alive": [0.5]}, "mismatched lengths"),
        ({"orders_12m": [1, 2, 3]}, "mismatched lengths"),
        ({"weights": (40, 40, 20)}, "weights must be a HealthWeights"),
        ({"extra": [(1.0, [0.5, 0.5])]}, r"\(weight, values, present\) triple"),
        (
            {"extra": [(-1.0, [0.5, 0.5], np.array([True, True]))]},
            "extra input 0 weight must be a finite number >= 0",
        ),
        (
            {"extra": [(1.0, [0.5, np.nan], np.array([True, False]))]},
            "extra input 0 values contains 1 NaN",
        ),
        (
            {"extra": [(1.0, [0.5, 0.5], [1, 0])]},
            "extra input 0 present must be a 1-D boolean mask",
        ),
        (
            {"extra": [(1.0, [0.5], np.array([True]))]},
            "mismatched lengths",
        ),
    ],
)
def test_health_rejects_bad_input(engine, change, message):
    with pytest.raises(ValueError, match=message):
        engine.health.health_score(**{**GOOD, **change})


def test_health_rejects_empty_input(engine):
    with pytest.raises(ValueError, match="empty input"):
        engine.health.health_score([], [], [], [], [], [], [], bins=5)


@pytest.mark.parametrize(
    "weights, message",
    [
        ((-1, 40, 20), "health weight rfm must be a finite number >= 0"),
        ((40, np.nan, 20), "health weight alive must be a finite number >= 0"),
        ((40, 40, np.inf), "health weight complaints must be a finite number >= 0"),
        ((40, 40, "a"), "health weight complaints must be a number"),
    ],
)
def test_weights_reject_bad_values(engine, weights, message):
    with pytest.raises(ValueError, match=message):
        engine.health.HealthWeights(*weights)


def test_weights_are_frozen(engine):
    weights = engine.health.HealthWeights()
    assert (weights.rfm, weights.alive, weights.complaints) == (40.0, 40.0, 20.0)
    with pytest.raises(AttributeError):
        weights.rfm = 1.0


@pytest.mark.parametrize(
    "scores, bins, message",
    [
        ([1, 4], 3, r"scores must be integers in 1..3"),
        ([0], 5, r"scores must be integers in 1..5"),
        ([1], 0, "bins must be an integer >= 1"),
        ([1], True, "bins must be an integer >= 1"),
        ([], 5, "empty input"),
        ([1, np.nan], 5, "NaN"),
    ],
)
def test_on_five_rejects_bad_input(engine, scores, bins, message):
    with pytest.raises(ValueError, match=message):
        engine.health.on_five(scores, bins)


@pytest.mark.parametrize(
    "value, risk, top, threshold, message",
    [
        ([1.0, np.nan], [0.5, 0.5], 20, 0.6, "value contains 1 NaN"),
        ([1.0, -1.0], [0.5, 0.5], 20, 0.6, "value must be >= 0"),
        ([1.0, 2.0], [0.5, np.inf], 20, 0.6, "risk contains 1 NaN or infinite"),
        ([1.0, 2.0], [0.5, 1.5], 20, 0.6, r"risk must hold probabilities"),
        ([1.0], [0.5, 0.5], 20, 0.6, "mismatched lengths"),
        ([], [], 20, 0.6, "empty input"),
        ([1.0], [0.5], 0, 0.6, "top_percent must be a finite number > 0"),
        ([1.0], [0.5], 120, 0.6, r"top_percent must be in \(0, 100\]"),
        ([1.0], [0.5], 20, 60, r"risk_threshold must be a probability in \[0, 1\]"),
        ([1.0], [0.5], 20, np.nan, "risk_threshold must be a finite number >= 0"),
    ],
)
def test_at_risk_rejects_bad_input(engine, value, risk, top, threshold, message):
    with pytest.raises(ValueError, match=message):
        engine.health.at_risk(value, risk, top, threshold)
