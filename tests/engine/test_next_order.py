"""Expected next order (median and interval of the wait) and overdue customers."""

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

FAST = settings(max_examples=60, deadline=None, database=None)

CDNOW_BGNBD = (0.243, 4.414, 0.793, 2.426)  # r, alpha, a, b (FHL 2005, weeks)
#: the CDNOW fit with alpha in days (times below are in days)
CDNOW_DAYS = (0.243, 4.414 * 7, 0.793, 2.426)
#: a population of regular buyers (r > 1: little spread of the rates)
REGULAR_DAYS = (3.0, 90.0, 1.5, 6.0)

params_st = st.tuples(
    st.floats(0.05, 5.0),  # r
    st.floats(0.5, 50.0),  # alpha
    st.floats(0.1, 5.0),  # a
    st.floats(0.1, 10.0),  # b
)


@pytest.fixture(scope="module")
def next_order(engine):
    """engine.next_order, imported from the engine loaded by path."""
    return importlib.import_module(f"{engine.__name__}.next_order")


def simulate_future(n, seed, bgnbd):
    """Customers of a BG/NBD population today, with their true next purchase.

    As the simulator of test_clv: k ~ Poisson(lambda T) purchases while
    active, dropout after D ~ Geometric(p) repeat purchases, x = min(k, D),
    t_x / T ~ Beta(x, k - x + 1).  The customer is still active today iff
    k < D (who made D purchases dropped out after the D-th); an active
    customer buys next after an Exponential(lambda) wait (memorylessness),
    an inactive one never (wait = inf).  Ages are whole days.
    """
    rng = np.random.default_rng(seed)
    r, alpha, a, b = bgnbd
    T = rng.integers(30, 731, n).astype(float)
    lam = rng.gamma(r, 1 / alpha, n)
    k = rng.poisson(lam * T)
    dropout = rng.geometric(rng.beta(a, b, n))
    x = np.minimum(k, dropout)
    rep = x > 0
    t_x = np.zeros(n)
    t_x[rep] = T[rep] * rng.beta(x[rep], k[rep] - x[rep] + 1)
    active = k < dropout
    wait = np.where(active, rng.exponential(1 / lam), np.inf)
    return x.astype(float), t_x, T, active, wait


def assert_share(hits, expected, what):
    """``hits`` (booleans) is true in ``expected`` (probabilities) of cases,
    within 3 standard errors of a sum of independent Bernoulli draws."""
    expected = np.broadcast_to(expected, hits.shape)
    sd = np.sqrt(np.sum(expected * (1 - expected)))
    deviation = (hits.sum() - expected.sum()) / sd
    assert abs(deviation) < 3, (
        f"{what}: {hits.mean():.4f} vs {expected.mean():.4f} expected "
        f"({deviation:+.1f} standard errors, n = {hits.size})"
    )


# -- hand-computed values ------------------------------------------------------


def test_model_values_by_hand(engine, next_order):
    """r=1, alpha=10, a=b=1; x=1, t_x=10, T=20: shape 2, scale 30."""
    out = next_order.expected_next_order([1], [10.0], [20.0], (1.0, 10.0, 1.0, 1.0))
    assert out.method == engine.clv.METHOD_MODEL
    assert out.basis.tolist() == ["model"]
    assert out.days_from_today == pytest.approx([30 * (np.sqrt(2) - 1)], rel=1e-12)
    assert out.days_from_today == pytest.approx([12.426407], abs=1e-6)
    assert out.low == pytest.approx([30 * (np.sqrt(4 / 3) - 1)], rel=1e-12)
    assert out.low == pytest.approx([4.641016], abs=1e-6)
    assert out.high == pytest.approx([30.0], rel=1e-12)  # 30 * (4 ** (1/2) - 1)
    assert out.idle.tolist() == [10.0]
    assert out.days_since_last == pytest.approx([22.426407], abs=1e-6)
    # predicted at the last purchase: scale alpha + t_x = 20
    assert out.expected_gap == pytest.approx([8.284271], abs=1e-6)
    # its interval (25th, 75th percentiles of the Lomax of scale 20, shape 2)
    assert out.gap_low == pytest.approx([20 * (np.sqrt(4 / 3) - 1)], rel=1e-12)
    assert out.gap_high == pytest.approx([20.0], rel=1e-12)
    # 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    assert out.p_alive == pytest.approx([1 / 3.25], rel=1e-12)
    assert out.interval == 0.5
    # 10 days idle: not past 1.5 * 8.28 = 12.4, but past 1.2 * 8.28 = 9.9
    assert out.overdue().tolist() == [False]
    assert out.overdue(0.2).tolist() == [True]


def test_model_median_formula_on_cdnow(next_order):
    """FHL 2005's example customer (x=2, t_x=30.43, T=38.86 weeks)."""
    r, alpha, a, b = CDNOW_BGNBD
    x = np.array([2.0, 2.0, 10.0, 1.0])
    t_x = np.array([30.43, 30.43, 38.0, 5.0])
    T = np.array([38.86, 50.0, 38.86, 38.86])
    out = next_order.expected_next_order(x, t_x, T, CDNOW_BGNBD)
    median = (alpha + T) * (2 ** (1 / (r + x)) - 1)
    np.testing.assert_allclose(out.days_from_today, median, rtol=1e-12)
    assert out.days_from_today[0] == pytest.approx(15.6695, abs=1e-4)
    gap = (alpha + t_x) * (2 ** (1 / (r + x)) - 1)
    np.testing.assert_allclose(out.expected_gap, gap, rtol=1e-12)
    for q, got in ((0.25, out.low), (0.75, out.high)):
        np.testing.assert_allclose(
            got, (alpha + T) * ((1 - q) ** (-1 / (r + x)) - 1), rtol=1e-12
        )
    # the Lomax survival at the median is 1/2
    np.testing.assert_allclose(
        ((alpha + T) / (alpha + T + out.days_from_today)) ** (r + x), 0.5
    )


def test_heuristic_values_by_hand(engine, next_order):
    x, t_x, T = [1, 4], [10.0, 40.0], [30.0, 50.0]
    out = next_order.expected_next_order(x, t_x, T)
    assert out.method == engine.clv.METHOD_HEURISTIC
    assert out.basis.tolist() == ["heuristic", "heuristic"]
    root = 2**0.25 - 1  # 0.189207
    # x = 1: Lomax(T, 1), quartiles T/3 and 3T; the gap is the observed one
    assert out.days_from_today == pytest.approx([30.0, 50 * root], rel=1e-12)
    assert out.low == pytest.approx([10.0, 50 * ((4 / 3) ** 0.25 - 1)], rel=1e-12)
    assert out.high == pytest.approx([90.0, 50 * (4**0.25 - 1)], rel=1e-12)
    assert out.expected_gap == pytest.approx([10.0, 40 * root], rel=1e-12)
    assert out.days_from_today[1] == pytest.approx(9.460356, abs=1e-6)
    assert out.p_alive == pytest.approx([1 / 3, 0.8**4], rel=1e-12)
    assert out.idle.tolist() == [20.0, 10.0]
    # 20 > 1.5 * 10; 10 < 1.5 * 7.57 = 11.35 but > 1.2 * 7.57 = 9.08
    assert out.overdue().tolist() == [True, False]
    assert out.overdue(0.2).tolist() == [True, True]


def test_other_intervals(next_order):
    out = next_order.expected_next_order(
        [1], [10.0], [20.0], (1.0, 10.0, 1.0, 1.0), interval=0.8
    )
    # 10th and 90th percentiles of Lomax(30, 2)
    assert out.low == pytest.approx([30 * (0.9**-0.5 - 1)], rel=1e-12)
    assert out.high == pytest.approx([30 * (0.1**-0.5 - 1)], rel=1e-12)
    assert out.interval == 0.8


# -- one-time buyers and bases ---------------------------------------------------


@pytest.mark.parametrize("params", [None, CDNOW_BGNBD])
def test_one_time_buyers_get_no_date(next_order, params):
    out = next_order.expected_next_order(
        [0, 0, 3], [0.0, 0.0, 20.0], [0.0, 15.0, 30.0], params
    )
    assert out.basis.tolist() == ["one_time", "one_time", out.basis[2]]
    assert out.basis[2] == ("heuristic" if params is None else "model")
    for field in ("days_from_today", "low", "high", "days_since_last", "expected_gap"):
        values = getattr(out, field)
        assert np.all(np.isnan(values[:2])), field
        assert np.isfinite(values[2]) and values[2] > 0, field
    # always set: idle since the only purchase, P(alive) of the scoring (1
    # for one-time buyers in both the BG/NBD and the heuristic)
    assert out.idle.tolist() == [0.0, 15.0, 10.0]
    assert out.p_alive[:2].tolist() == [1.0, 1.0]
    assert out.overdue(0.0).tolist() == [False, False, out.overdue(0.0)[2]]


def test_heuristic_without_a_gap_is_one_time(next_order):
    """Repeat purchases all at age 0 (same day, impossible with distinct
    purchase days): no gap to extrapolate; the model still dates them."""
    heuristic = next_order.expected_next_order([2], [0.0], [10.0])
    assert heuristic.basis.tolist() == ["one_time"]
    assert np.isnan(heuristic.days_from_today[0])
    model = next_order.expected_next_order([2], [0.0], [10.0], CDNOW_DAYS)
    assert model.basis.tolist() == ["model"]
    assert model.days_from_today[0] > 0


def test_method_selection(engine, next_order):
    args = ([1, 3], [5.0, 8.0], [10.0, 10.0])
    auto_model = next_order.expected_next_order(*args, CDNOW_DAYS)
    explicit = next_order.expected_next_order(
        *args, CDNOW_DAYS, method=engine.clv.METHOD_MODEL
    )
    np.testing.assert_array_equal(auto_model.days_from_today, explicit.days_from_today)
    assert auto_model.method == engine.clv.METHOD_MODEL
    # the heuristic ignores the params (scores.bgnbd is None for it anyway)
    heuristic = next_order.expected_next_order(
        *args, CDNOW_DAYS, method=engine.clv.METHOD_HEURISTIC
    )
    plain = next_order.expected_next_order(*args)
    np.testing.assert_array_equal(heuristic.days_from_today, plain.days_from_today)
    assert heuristic.basis.tolist() == ["heuristic", "heuristic"]
    assert not np.allclose(heuristic.days_from_today, auto_model.days_from_today)


def test_p_alive_is_the_one_of_the_scoring(
    engine, next_order, cdnow_monetary, cdnow_bgnbd
):
    d = cdnow_monetary
    args = (d["frequency"], d["recency"], d["T"])
    model = next_order.expected_next_order(*args, cdnow_bgnbd)
    np.testing.assert_array_equal(
        model.p_alive, engine.clv.bgnbd_p_alive(cdnow_bgnbd, *args)
    )
    heuristic = next_order.expected_next_order(*args)
    np.testing.assert_array_equal(
        heuristic.p_alive, engine.clv.heuristic_clv(*args, d["monetary"]).p_alive
    )
    assert set(model.basis.tolist()) == {"model", "one_time"}
    np.testing.assert_array_equal(model.basis == "one_time", d["frequency"] == 0)


def test_from_the_scores_of_score_customers(engine, next_order):
    """The caller passes scores.bgnbd and scores.method, whatever they are."""
    rng = np.random.default_rng(3)
    x, t_x, T, _active, _wait = simulate_future(2_000, 11, CDNOW_DAYS)
    m = np.where(x > 0, rng.uniform(10.0, 90.0, x.size), 0.0)
    methods = []
    for method in ("auto", "heuristic"):
        scores = engine.clv.score_customers(x, t_x, T, m, 365.0, 0.0, 30.0, method)
        out = next_order.expected_next_order(x, t_x, T, scores.bgnbd, scores.method)
        assert out.method == scores.method
        np.testing.assert_allclose(out.p_alive, scores.p_alive, rtol=1e-12)
        methods.append(scores.method)
    assert methods == [engine.clv.METHOD_MODEL, engine.clv.METHOD_HEURISTIC]


def test_heavy_buyers_stay_finite(next_order):
    x = np.array([1e2, 1e4, 1e6])
    T = np.full(3, 700.0)
    r, alpha = CDNOW_DAYS[:2]
    for params, scale, shape in ((CDNOW_DAYS, alpha + 700, r + 1e6), (None, 700, 1e6)):
        out = next_order.expected_next_order(x, T, T, params)
        assert np.all(np.isfinite(out.days_from_today))
        assert np.all(out.days_from_today > 0)
        assert np.all(np.diff(out.days_from_today) < 0)
        # large shape: the median tends to ln 2 times the mean wait
        assert out.days_from_today[-1] == pytest.approx(
            scale * np.log(2) / shape, rel=1e-6
        )


# -- monotonicity ------------------------------------------------------------------


@FAST
@given(
    st.one_of(st.none(), params_st),
    st.integers(1, 40),
    st.floats(0.0, 1.0),
    st.floats(0.5, 1000.0),
    st.floats(0.0, 500.0),
)
def test_monotonicity(next_order, params, x, u, T, more_idle):
    """More purchases: shorter waits; a longer silence: a longer wait given
    active and a lower P(alive); the interval brackets the median."""
    t_x = max(u * T, 1e-3)
    xs = np.array([x, x + 1, x], dtype=float)
    t_xs = np.array([t_x, t_x, t_x])
    Ts = np.array([T, T, T + more_idle])
    out = next_order.expected_next_order(xs, t_xs, Ts, params)
    for values in (out.days_from_today, out.low, out.high, out.expected_gap):
        assert np.all(np.isfinite(values)) and np.all(values > 0)
        assert values[1] <= values[0]  # one more purchase
    assert out.days_from_today[2] >= out.days_from_today[0]  # longer silence
    assert out.p_alive[2] <= out.p_alive[0] + 1e-12
    assert out.expected_gap[2] == out.expected_gap[0]  # same last purchase
    assert np.all(out.low < out.days_from_today)
    assert np.all(out.days_from_today < out.high)
    np.testing.assert_allclose(out.days_since_last, out.idle + out.days_from_today)
    wider = next_order.expected_next_order(xs, t_xs, Ts, params, interval=0.9)
    assert np.all(wider.low <= out.low) and np.all(wider.high >= out.high)
    np.testing.assert_array_equal(wider.days_from_today, out.days_from_today)


@FAST
@given(params_st, st.integers(1, 40), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_model_wait_from_today_ignores_the_last_purchase(next_order, params, x, u, v):
    """Given active, only x and T matter for the wait from today (t_x moves
    P(alive) and the expected gap only)."""
    T = 100.0
    t_x = np.array(sorted([u, v])) * T
    out = next_order.expected_next_order([x, x], t_x, [T, T], params)
    assert out.days_from_today[0] == out.days_from_today[1]
    assert out.expected_gap[0] <= out.expected_gap[1]
    assert out.p_alive[0] <= out.p_alive[1] + 1e-12


# -- calibration on simulated populations -----------------------------------------


@pytest.mark.parametrize("bgnbd", [CDNOW_DAYS, REGULAR_DAYS], ids=["cdnow", "regular"])
def test_model_is_calibrated_on_a_simulated_population(next_order, bgnbd):
    """With the true parameters, for the customers still active today, the
    true next purchase falls before the predicted median half of the time,
    inside the central interval as often as its probability says, and the
    Lomax survival of the true wait is uniform."""
    x, t_x, T, active, wait = simulate_future(200_000, 2005, bgnbd)
    rep = x > 0
    out = next_order.expected_next_order(x, t_x, T, bgnbd)
    assert np.all(np.isnan(out.days_from_today[~rep]))
    sel = rep & active
    assert sel.sum() > 5_000
    w = wait[sel]
    assert_share(w < out.days_from_today[sel], 0.5, "before the median")
    assert_share((out.low[sel] < w) & (w < out.high[sel]), 0.5, "in the 50 % interval")
    assert_share(w < out.low[sel], 0.25, "before the 25th percentile")
    wide = next_order.expected_next_order(x, t_x, T, bgnbd, interval=0.9)
    assert_share(
        (wide.low[sel] < w) & (w < wide.high[sel]), 0.9, "in the 90 % interval"
    )
    r, alpha = bgnbd[:2]
    survival = ((alpha + T[sel]) / (alpha + T[sel] + w)) ** (r + x[sel])
    assert stats.kstest(survival, "uniform").pvalue > 1e-3
    # calibration in each third of the frequencies, not only on average
    for lo, hi in ((1, 2), (2, 5), (5, np.inf)):
        part = (x[sel] >= lo) & (x[sel] < hi)
        assert part.sum() > 500
        assert_share(
            w[part] < out.days_from_today[sel][part], 0.5, f"median, x in [{lo}, {hi})"
        )


def test_p_alive_times_the_wait_is_calibrated_without_knowing_who_is_active(
    next_order,
):
    """Over all repeat customers, active or not, an order comes before the
    predicted median with probability P(alive) / 2."""
    x, t_x, T, _active, wait = simulate_future(200_000, 1, CDNOW_DAYS)
    rep = x > 0
    out = next_order.expected_next_order(x, t_x, T, CDNOW_DAYS)
    hits = wait[rep] < out.days_from_today[rep]
    assert_share(hits, out.p_alive[rep] / 2, "before the median, all customers")
    within = (out.low[rep] < wait[rep]) & (wait[rep] < out.high[rep])
    assert_share(within, out.p_alive[rep] / 2, "in the interval, all customers")


def test_model_with_fitted_parameters_is_calibrated(engine, next_order):
    """As the addon uses it: parameters fitted on the history."""
    x, t_x, T, active, wait = simulate_future(20_000, 7, CDNOW_DAYS)
    fit = engine.clv.fit_bgnbd(x, t_x, T)
    assert fit.converged, fit.message
    out = next_order.expected_next_order(x, t_x, T, fit)
    sel = (x > 0) & active
    w = wait[sel]
    assert_share(w < out.days_from_today[sel], 0.5, "before the median (fitted)")
    assert_share(
        (out.low[sel] < w) & (w < out.high[sel]), 0.5, "in the interval (fitted)"
    )


def test_a_wrong_model_is_detected(next_order):
    """The calibration check has power: a wait computed with t_x in place of
    T (or without the population prior) is caught."""
    x, t_x, T, active, wait = simulate_future(200_000, 2005, CDNOW_DAYS)
    sel = (x > 0) & active
    r, alpha = CDNOW_DAYS[:2]
    w = wait[sel]
    for scale, shape in (
        (alpha + t_x[sel], r + x[sel]),
        (T[sel], x[sel]),
    ):
        wrong = scale * (2 ** (1 / shape) - 1)
        with pytest.raises(AssertionError, match="standard errors"):
            assert_share(w < wrong, 0.5, "wrong median")


@pytest.mark.parametrize("bgnbd", [CDNOW_DAYS, REGULAR_DAYS], ids=["cdnow", "regular"])
def test_heuristic_approaches_the_model_with_many_purchases(next_order, bgnbd):
    """Without the population prior (r = alpha = 0) the heuristic is close
    to calibrated for frequent buyers only: for x >= 10 the true next
    purchase falls before its median 44 to 56 % of the time (the model's
    shape r + x and scale alpha + T are then near x and T)."""
    x, t_x, T, active, wait = simulate_future(200_000, 3, bgnbd)
    out = next_order.expected_next_order(x, t_x, T)
    sel = (x >= 10) & active
    assert sel.sum() > 2_000
    assert 0.44 < np.mean(wait[sel] < out.days_from_today[sel]) < 0.56
    model = next_order.expected_next_order([1e3], [1e5], [1e5], bgnbd)
    heuristic = next_order.expected_next_order([1e3], [1e5], [1e5])
    assert heuristic.days_from_today == pytest.approx(model.days_from_today, rel=0.01)


def test_heuristic_errs_with_few_purchases(next_order):
    """The documented limit: when rates vary little between customers (r = 3)
    one repeat purchase says less than the population, and the heuristic's
    median is far too long (most orders come before it); the model's is not."""
    x, t_x, T, active, wait = simulate_future(200_000, 3, REGULAR_DAYS)
    sel = (x == 1) & active
    heuristic = next_order.expected_next_order(x, t_x, T)
    assert np.mean(wait[sel] < heuristic.days_from_today[sel]) > 0.7
    model = next_order.expected_next_order(x, t_x, T, REGULAR_DAYS)
    assert_share(wait[sel] < model.days_from_today[sel], 0.5, "model, x = 1")


# -- overdue -------------------------------------------------------------------------


def test_is_overdue(next_order):
    idle = [0.0, 10.0, 15.0, 15.1, 100.0, 5.0]
    gap = [0.0, 10.0, 10.0, 10.0, np.nan, 1.0]
    assert next_order.is_overdue(idle, gap, 0.5).tolist() == [
        False,  # idle 0 is never past anything
        False,
        False,  # exactly 1.5 gaps: not yet
        True,
        False,  # no expectation (one-time buyer)
        True,
    ]
    assert next_order.is_overdue(idle, gap, 0.0).tolist() == [
        False,
        False,
        True,
        True,
        False,
        True,
    ]
    assert next_order.is_overdue(15.0, 10.0).tolist() == [False]  # default 0.5


def test_overdue_on_the_simulated_population(next_order):
    """The dropouts are overdue more often than the active customers."""
    x, t_x, T, active, _wait = simulate_future(50_000, 5, CDNOW_DAYS)
    out = next_order.expected_next_order(x, t_x, T, CDNOW_DAYS)
    overdue = out.overdue()
    rep = x > 0
    assert not overdue[~rep].any()
    assert overdue[rep & ~active].mean() > overdue[rep & active].mean() + 0.2


# -- validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (([1, 2], [1.0, 2.0], [3.0]), "mismatched lengths"),
        (([], [], []), "empty input"),
        (([1, np.nan], [1.0, 2.0], [3.0, 3.0]), "NaN"),
        (([1, 2], [1.0, np.inf], [3.0, 3.0]), "infinite"),
        (([1, -2], [1.0, 2.0], [3.0, 3.0]), "frequency must be >= 0"),
        (([1, 2.5], [1.0, 2.0], [3.0, 3.0]), "whole numbers"),
        (([1, 2], [1.0, -2.0], [3.0, 3.0]), "recency must be >= 0"),
        (([1, 2], [1.0, 4.0], [3.0, 3.0]), "recency must be <= T"),
        (([1, 2], [1.0, 2.0], [3.0, -3.0]), "T must be >= 0"),
        (([[1, 2]], [[1.0, 2.0]], [[3.0, 3.0]]), "one-dimensional"),
    ],
)
@pytest.mark.parametrize("params", [None, CDNOW_BGNBD])
def test_bad_customers_are_rejected(next_order, args, message, params):
    with pytest.raises(ValueError, match=message):
        next_order.expected_next_order(*args, params)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "magic"}, "method must be"),
        ({"method": "bgnbd_gamma_gamma"}, "needs the BG/NBD params"),
        ({"params": (0.2, 4.0, 0.8)}, "BG/NBD parameters"),
        ({"params": (0.2, -4.0, 0.8, 2.0)}, "BG/NBD parameters"),
        ({"interval": 0.0}, "interval"),
        ({"interval": 1.0}, "interval"),
        ({"interval": 1.5}, "interval"),
        ({"interval": np.nan}, "interval"),
        ({"interval": "wide"}, "interval"),
    ],
)
def test_bad_settings_are_rejected(next_order, kwargs, message):
    with pytest.raises(ValueError, match=message):
        next_order.expected_next_order([1], [1.0], [2.0], **kwargs)


@pytest.mark.parametrize(
    "args, message",
    [
        (([1.0, 2.0], [1.0]), "mismatched lengths"),
        (([], []), "empty input"),
        (([np.nan], [1.0]), "idle contains"),
        (([-1.0], [1.0]), "idle must be >= 0"),
        (([1.0], [-1.0]), "expected_gap must hold"),
        (([1.0], [np.inf]), "expected_gap must hold"),
        (([1.0], ["x"]), "expected_gap must be numeric"),
        (([1.0], [[1.0]]), "one-dimensional"),
        (([1.0], [1.0], -0.1), "margin"),
        (([1.0], [1.0], np.inf), "margin"),
    ],
)
def test_bad_overdue_input_is_rejected(next_order, args, message):
    with pytest.raises(ValueError, match=message):
        next_order.is_overdue(*args)
