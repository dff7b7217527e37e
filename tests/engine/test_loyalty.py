"""Loyalty factors, loyalty index and the loyalty ladder."""

import ast
import dataclasses
import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

FAST = settings(max_examples=100, deadline=None, database=None)
NAN = np.nan


@pytest.fixture(scope="module")
def loyalty(engine):
    """engine.loyalty, imported from the engine loaded by path."""
    return importlib.import_module(f"{engine.__name__}.loyalty")


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-12)


# ----------------------------------------------------------------------
# Module contract
# ----------------------------------------------------------------------
def test_public_names(loyalty):
    assert loyalty.FACTORS == (
        "repeat",
        "share_of_wallet",
        "choosing",
        "price",
        "competitors",
        "tolerance",
    )
    assert loyalty.CLASSES == (
        "prospect",
        "new",
        "regular",
        "long_standing",
        "loyal",
        "advocate",
    )
    fields = [f.name for f in dataclasses.fields(loyalty.LoyaltyWeights)]
    assert tuple(fields) == loyalty.FACTORS


def test_pure_numpy_module(loyalty):
    tree = ast.parse(open(loyalty.__file__, encoding="utf-8").read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert imported <= {"collections", "dataclasses", "numpy"}


# ----------------------------------------------------------------------
# Factors
# ----------------------------------------------------------------------
def test_repeat_factor(loyalty):
    days = [0, 1, 1, 2, 7, 12, 40]
    tenure = [0, 0, 900, 0, 365, 730, 3000]
    expected = [0, 0, 0, 0.5 / 11, 0.5 * 6 / 11 + 0.25, 1, 1]
    close(loyalty.repeat_factor(days, tenure), expected)
    # custom saturation points, keyword-only
    close(
        loyalty.repeat_factor(
            [3, 3], [100, 400], full_purchases=3, full_tenure_days=200.0
        ),
        [0.75, 1.0],
    )
    with pytest.raises(TypeError):
        loyalty.repeat_factor([3], [100], 3, 200.0)


@FAST
@given(st.lists(st.tuples(st.integers(0, 50), st.floats(0, 5000)), min_size=1))
def test_repeat_factor_bounded_never_nan(loyalty, rows):
    days, tenure = zip(*rows, strict=True)
    values = loyalty.repeat_factor(days, tenure)
    assert values.dtype == np.float64
    assert np.all((values >= 0) & (values <= 1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"purchase_days": [NAN]}, "purchase_days contains"),
        ({"purchase_days": [-1]}, "purchase_days must be >= 0"),
        ({"purchase_days": [1.5]}, "whole numbers"),
        ({"tenure_days": [-2.0]}, "tenure_days must be >= 0"),
        ({"tenure_days": [1.0, 2.0]}, "mismatched lengths"),
        ({"full_purchases": 1}, "full_purchases must be an integer >= 2"),
        ({"full_purchases": 12.0}, "full_purchases must be an integer"),
        ({"full_tenure_days": 0.0}, "full_tenure_days must be"),
    ],
)
def test_repeat_factor_rejects(loyalty, kwargs, message):
    args = {"purchase_days": [3], "tenure_days": [10.0], **kwargs}
    with pytest.raises(ValueError, match=message):
        loyalty.repeat_factor(
            args.pop("purchase_days"), args.pop("tenure_days"), **args
        )


def test_share_of_wallet_factor(loyalty):
    close(
        loyalty.share_of_wallet_factor([0, 50, 100, 150, -5, NAN]),
        [0, 0.5, 1, 1, 0, NAN],
    )
    close(loyalty.share_of_wallet_factor(40), [0.4])  # scalars are promoted


def test_choosing_factor(loyalty):
    close(loyalty.choosing_factor([0, 7, 21, -3, NAN]), [1, 0.5, 0.25, 1, NAN])
    close(loyalty.choosing_factor([7, 14], half_days=14.0), [2 / 3, 0.5])
    values = loyalty.choosing_factor(np.linspace(0, 1000, 101))
    assert np.all(np.diff(values) < 0) and values[-1] > 0


def test_price_factor(loyalty):
    close(
        loyalty.price_factor([0, 0.25, 1, 1.5, -1, NAN]),
        [1, 0.75, 0, 0, 1, NAN],
    )


def test_competitors_factor(loyalty):
    close(
        loyalty.competitors_factor([0, 5, 10, 12, -1, NAN]),
        [1, 0.5, 0, 0, 1, NAN],
    )
    close(loyalty.competitors_factor([1, 5], scale_max=5.0), [0.8, 0])


def test_tolerance_factor(loyalty):
    close(
        loyalty.tolerance_factor([0, 2, 4, 1, 0], [0, 1, 4, 3, 2]),
        [NAN, 0.5, 1, 1, NAN],
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: m.share_of_wallet_factor([np.inf]), "infinite"),
        (lambda m: m.choosing_factor([1.0, -np.inf]), "infinite"),
        (lambda m: m.price_factor([[0.1, 0.2]]), "one-dimensional"),
        (lambda m: m.competitors_factor([]), "empty input"),
        (lambda m: m.competitors_factor(["a lot"]), "must be numeric"),
        (lambda m: m.competitors_factor([3], scale_max=0), "scale_max must be"),
        (lambda m: m.choosing_factor([3], half_days=-1), "half_days must be"),
        (lambda m: m.tolerance_factor([NAN], [0]), "incidents contains"),
        (lambda m: m.tolerance_factor([1], [-1]), "recovered must be >= 0"),
        (lambda m: m.tolerance_factor([1, 2], [1]), "mismatched lengths"),
    ],
)
def test_factor_validation(loyalty, call, message):
    with pytest.raises(ValueError, match=message):
        call(loyalty)


# ----------------------------------------------------------------------
# Loyalty index
# ----------------------------------------------------------------------
@FAST
@given(st.floats(0.01, 10.0), st.lists(st.floats(0.0, 10.0), min_size=5, max_size=5))
def test_only_repeat_known_is_its_value(loyalty, repeat_weight, other_weights):
    weights = loyalty.LoyaltyWeights(repeat_weight, *other_weights)
    nan = [NAN]
    factors = {
        "repeat": [0.5],
        "share_of_wallet": nan,
        "choosing": nan,
        "price": nan,
        "competitors": nan,
    }
    result = loyalty.loyalty_index(factors, weights)
    close(result.index, [50.0])
    assert result.factors_used(0) == ("repeat",)


def test_missing_is_not_zero(loyalty):
    result = loyalty.loyalty_index({"repeat": [0.5, 0.5], "price": [NAN, 0.0]})
    close(result.index, [50.0, 100 * 1.5 / 4])
    assert list(result.used) == [0b1, 0b1001]


def test_weighted_mean_by_hand(loyalty):
    factors = {
        "repeat": [0.8, 0.0],
        "share_of_wallet": [0.5, 1.0],
        "choosing": [1.0, NAN],
        "price": [0.0, 0.5],
        "competitors": [0.6, NAN],
        "tolerance": [NAN, 0.25],
    }
    # default weights 3, 2, 1, 1, 2, 1
    expected = [
        100 * (3 * 0.8 + 2 * 0.5 + 1 * 1.0 + 1 * 0.0 + 2 * 0.6) / 9,
        100 * (3 * 0.0 + 2 * 1.0 + 1 * 0.5 + 1 * 0.25) / 7,
    ]
    result = loyalty.loyalty_index(factors)
    close(result.index, expected)
    assert result.index.dtype == np.float64 and result.used.dtype == np.int64
    assert list(result.used) == [0b011111, 0b101011]
    assert result.factors_used(0) == loyalty.FACTORS[:5]
    assert result.factors_used(1) == (
        "repeat",
        "share_of_wallet",
        "price",
        "tolerance",
    )
    # a zero weight leaves the factor out (and out of the mask)
    weights = loyalty.LoyaltyWeights(
        repeat=1, share_of_wallet=0, choosing=0, price=0, competitors=3, tolerance=0
    )
    result = loyalty.loyalty_index(factors, weights)
    close(result.index, [100 * (0.8 + 3 * 0.6) / 4, 0.0])
    assert list(result.used) == [0b10001, 0b00001]
    assert result.factors_used(1) == ("repeat",)
    # only the ratios of the weights matter
    scaled = loyalty.LoyaltyWeights(*(10 * w for w in weights.as_array()))
    close(loyalty.loyalty_index(factors, scaled).index, result.index)


def test_nothing_known_gives_nan(loyalty):
    result = loyalty.loyalty_index(
        {"repeat": [NAN, 1.0], "tolerance": [NAN, NAN], "price": [0.3, 1.0]},
        loyalty.LoyaltyWeights(price=0.0),
    )
    assert np.isnan(result.index[0]) and result.index[1] == 100.0
    assert list(result.used) == [0, 1]
    assert result.factors_used(0) == ()
    # all factors omitted but one: still a result for every customer
    only = loyalty.loyalty_index({"tolerance": [NAN, 0.0, 1.0]})
    close(only.index, [NAN, 0.0, 100.0])


def test_factor_functions_feed_the_index(loyalty):
    factors = {
        "repeat": loyalty.repeat_factor([12, 0], [730, 0]),
        "share_of_wallet": loyalty.share_of_wallet_factor([100, NAN]),
        "choosing": loyalty.choosing_factor([0, NAN]),
        "price": loyalty.price_factor([0.0, NAN]),
        "competitors": loyalty.competitors_factor([0, NAN]),
        "tolerance": loyalty.tolerance_factor([2, 0], [2, 0]),
    }
    result = loyalty.loyalty_index(factors)
    close(result.index, [100.0, 0.0])
    assert result.factors_used(1) == ("repeat",)


FACTOR_NAMES = (
    "repeat",
    "share_of_wallet",
    "choosing",
    "price",
    "competitors",
    "tolerance",
)


factor_values = st.one_of(st.just(NAN), st.floats(0.0, 1.0))


@st.composite
def raised_factors(draw):
    n = draw(st.integers(1, 8))
    names = draw(st.sets(st.sampled_from(FACTOR_NAMES), min_size=1))
    factors = {
        name: np.array(draw(st.lists(factor_values, min_size=n, max_size=n)))
        for name in sorted(names)
    }
    weights = draw(st.lists(st.floats(0.0, 100.0), min_size=6, max_size=6))
    if not any(w > 0 for w in weights):
        weights[0] = 1.0
    name = draw(st.sampled_from(sorted(names)))
    up = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    raised = dict(factors)
    # raise the known values only; a missing one stays missing
    raised[name] = np.where(
        np.isnan(factors[name]),
        NAN,
        factors[name] + (1 - factors[name]) * np.array(up),
    )
    return factors, raised, weights


@FAST
@given(raised_factors())
def test_index_is_monotone_in_each_factor(loyalty, case):
    factors, raised, weights = case
    weights = loyalty.LoyaltyWeights(*weights)
    before = loyalty.loyalty_index(factors, weights)
    after = loyalty.loyalty_index(raised, weights)
    np.testing.assert_array_equal(before.used, after.used)
    np.testing.assert_array_equal(np.isnan(before.index), np.isnan(after.index))
    known = ~np.isnan(before.index)
    assert np.all(after.index[known] >= before.index[known])
    assert np.all((before.index[known] >= 0) & (before.index[known] <= 100))


@pytest.mark.parametrize(
    ("factors", "message"),
    [
        ({"loyalty": [0.5]}, "unknown loyalty factor"),
        ({}, "no loyalty factor"),
        ({"repeat": [0.5], "price": [0.1, 0.2]}, "mismatched lengths"),
        ({"repeat": []}, "empty input"),
        ({"repeat": [1.1]}, "must be in \\[0, 1\\]"),
        ({"price": [0.5, -0.1]}, "must be in \\[0, 1\\]"),
        ({"price": [np.inf]}, "infinite"),
        ([("repeat", [0.5])], "must be a mapping"),
    ],
)
def test_index_validation(loyalty, factors, message):
    with pytest.raises(ValueError, match=message):
        loyalty.loyalty_index(factors)


def test_index_rejects_bad_weights(loyalty):
    with pytest.raises(ValueError, match="LoyaltyWeights"):
        loyalty.loyalty_index({"repeat": [0.5]}, (3, 2, 1, 1, 2, 1))


def test_weights(loyalty):
    weights = loyalty.LoyaltyWeights()
    array = weights.as_array()
    assert array.dtype == np.float64
    assert list(array) == [3.0, 2.0, 1.0, 1.0, 2.0, 1.0]
    assert list(loyalty.LoyaltyWeights(tolerance=5).as_array())[-1] == 5.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        weights.repeat = 1.0
    for bad in ({"price": -1.0}, {"choosing": NAN}, {"repeat": "heavy"}):
        with pytest.raises(ValueError, match="loyalty weight"):
            loyalty.LoyaltyWeights(**bad)
    with pytest.raises(ValueError, match="at least one"):
        loyalty.LoyaltyWeights(0, 0, 0, 0, 0, 0)


# ----------------------------------------------------------------------
# Loyalty ladder
# ----------------------------------------------------------------------
LADDER_ROWS = [
    # index, purchase days, tenure, advocate, expected class
    (95.0, 0, 0.0, True, "prospect"),
    (NAN, 1, 800.0, True, "new"),
    (95.0, 1, 800.0, True, "new"),
    (10.0, 2, 0.0, False, "regular"),
    (95.0, 3, 800.0, True, "regular"),  # too few purchase days to be old
    (95.0, 9, 364.0, True, "regular"),  # tenure just short
    (69.9, 4, 365.0, True, "long_standing"),
    (NAN, 20, 900.0, True, "long_standing"),  # NaN index is never loyal
    (70.0, 4, 365.0, False, "loyal"),
    (99.0, 30, 2000.0, False, "loyal"),
    (70.0, 4, 365.0, True, "advocate"),
]


def test_every_rung_of_the_ladder(loyalty):
    index, days, tenure, advocate, expected = zip(*LADDER_ROWS, strict=True)
    classes = loyalty.loyalty_classes(
        np.array(index), np.array(days), np.array(tenure), np.array(advocate)
    )
    assert list(classes) == list(expected)
    assert set(classes) == set(loyalty.CLASSES)
    assert classes.dtype.kind in "OU"


def test_ladder_thresholds(loyalty):
    thresholds = loyalty.LoyaltyThresholds(
        regular_purchases=3,
        long_standing_days=30.0,
        long_standing_purchases=5,
        loyal_index=50.0,
    )
    classes = loyalty.loyalty_classes(
        [0.0, 60.0, 60.0, 60.0, 40.0, 50.0],
        [2, 3, 4, 5, 5, 5],
        [0.0, 400.0, 400.0, 30.0, 30.0, 30.0],
        [False, True, False, False, True, True],
        thresholds,
    )
    assert list(classes) == [
        "new",
        "regular",
        "regular",
        "loyal",
        "long_standing",
        "advocate",
    ]
    # long_standing_purchases below regular_purchases: regular still required
    loose = loyalty.LoyaltyThresholds(regular_purchases=3, long_standing_purchases=1)
    never = np.zeros(2, bool)
    classes = loyalty.loyalty_classes([0.0, 0.0], [2, 3], [999.0, 999.0], never)
    assert list(classes) == ["regular", "regular"]
    classes = loyalty.loyalty_classes([0.0, 0.0], [2, 3], [999.0, 999.0], never, loose)
    assert list(classes) == ["new", "long_standing"]


def test_thresholds_validation(loyalty):
    defaults = loyalty.LoyaltyThresholds()
    assert (
        defaults.regular_purchases,
        defaults.long_standing_days,
        defaults.long_standing_purchases,
        defaults.loyal_index,
    ) == (2, 365.0, 4, 70.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        defaults.loyal_index = 50.0
    for bad, message in [
        ({"regular_purchases": 0}, "regular_purchases must be an integer >= 1"),
        ({"regular_purchases": 2.5}, "regular_purchases must be an integer"),
        ({"long_standing_purchases": True}, "long_standing_purchases must be"),
        ({"long_standing_days": -1.0}, "long_standing_days must be"),
        ({"loyal_index": 101.0}, "loyal_index must be <= 100"),
        ({"loyal_index": NAN}, "loyal_index must be"),
    ]:
        with pytest.raises(ValueError, match=message):
            loyalty.LoyaltyThresholds(**bad)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([50.0], [1], [0.0], [1]), "advocate must be a 1-D boolean mask"),
        (([50.0], [1], [0.0], [True, False]), "mismatched lengths"),
        (([150.0], [1], [0.0], [True]), "index must be in \\[0, 100\\]"),
        (([50.0], [1.5], [0.0], [True]), "whole numbers"),
        (([50.0], [-1], [0.0], [True]), "purchase_days must be >= 0"),
        (([50.0], [1], [NAN], [True]), "tenure_days contains"),
        (([], [], [], np.array([], bool)), "empty input"),
    ],
)
def test_ladder_validation(loyalty, args, message):
    with pytest.raises(ValueError, match=message):
        loyalty.loyalty_classes(*args)


def test_ladder_rejects_bad_thresholds(loyalty):
    with pytest.raises(ValueError, match="LoyaltyThresholds"):
        loyalty.loyalty_classes([50.0], [1], [0.0], [True], (2, 365.0, 4, 70.0))


# --- satisfaction x loyalty quadrants -------------------------------------


def test_quadrants_on_a_known_set(loyalty):
    quadrants = loyalty.satisfaction_quadrants(
        [90.0, 90.0, 20.0, 20.0, np.nan, 70.0, 69.9],
        [80.0, 30.0, 80.0, 30.0, 80.0, 70.0, np.nan],
        satisfied=70.0,
        loyal=70.0,
    )
    assert quadrants.tolist() == [
        "satisfied_loyal",
        "trap",
        "loyal_unsatisfied",
        "neither",
        "",
        "satisfied_loyal",  # thresholds are inclusive
        "neither",  # no loyalty index: not loyal
    ]


def test_quadrants_follow_the_thresholds(loyalty):
    args = ([60.0], [60.0])
    assert loyalty.satisfaction_quadrants(*args, satisfied=50, loyal=50)[0] == (
        "satisfied_loyal"
    )
    assert loyalty.satisfaction_quadrants(*args, satisfied=50, loyal=61)[0] == "trap"
    assert loyalty.satisfaction_quadrants(*args, satisfied=61, loyal=50)[0] == (
        "loyal_unsatisfied"
    )


def test_quadrants_validate_their_inputs(loyalty):
    with pytest.raises(ValueError):
        loyalty.satisfaction_quadrants([50.0], [50.0, 60.0])
    with pytest.raises(ValueError):
        loyalty.satisfaction_quadrants([50.0], [50.0], satisfied=120)
