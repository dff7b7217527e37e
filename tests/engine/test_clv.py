"""BG/NBD, Gamma-Gamma, CLV and the heuristic fallback."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special

FAST = settings(max_examples=60, deadline=None, database=None)

CDNOW_BGNBD = (0.243, 4.414, 0.793, 2.426)  # r, alpha, a, b (FHL 2005, weeks)
params_st = st.tuples(
    st.floats(0.05, 5.0),  # r
    st.floats(0.5, 50.0),  # alpha
    st.floats(0.1, 5.0),  # a
    st.floats(0.1, 10.0),  # b
).filter(lambda p: abs(p[2] - 1) > 1e-3 and abs(p[2] + p[3] - 1) > 1e-3)


# -- BG/NBD on CDNOW (Fader, Hardie & Lee 2005) ------------------------------


def test_bgnbd_reproduces_the_published_cdnow_fit(cdnow_bgnbd):
    fit = cdnow_bgnbd
    assert fit.converged
    assert (fit.r, fit.alpha, fit.a, fit.b) == pytest.approx(CDNOW_BGNBD, rel=1e-2)
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert fit.n_customers == 2357
    assert all(isinstance(v, float) for v in (fit.r, fit.alpha, fit.a, fit.b))


def test_bgnbd_published_conditional_expectation(engine, cdnow_bgnbd):
    """FHL 2005, section 5: x=2, t_x=30.43, T=38.86 -> 1.226 in 39 weeks."""
    expected = engine.clv.bgnbd_expected_purchases(cdnow_bgnbd, 39, 2, 30.43, 38.86)
    assert expected == pytest.approx([1.226], abs=1e-3)
    p_alive = engine.clv.bgnbd_p_alive(cdnow_bgnbd, 2, 30.43, 38.86)
    assert 0 < p_alive[0] < 1


def test_bgnbd_log_likelihood_matches_the_fit(engine, cdnow, cdnow_bgnbd):
    ll = engine.clv.bgnbd_log_likelihood(
        CDNOW_BGNBD, cdnow["frequency"], cdnow["recency"], cdnow["T"]
    )
    assert ll == pytest.approx(-9582.4, abs=0.1)
    assert ll <= cdnow_bgnbd.log_likelihood


def test_bgnbd_gradient_is_exact(engine, cdnow):
    x, t_x, T = cdnow["frequency"], cdnow["recency"] / 4, cdnow["T"] / 4
    weights = np.ones_like(x)
    for point in ([-1.0, 0.5, -0.3, 0.8], [0.2, -0.4, 1.1, -0.6]):
        err = optimize.check_grad(
            lambda p: engine.bgnbd._bgnbd_objective(p, x, t_x, T, weights)[0],
            lambda p: engine.bgnbd._bgnbd_objective(p, x, t_x, T, weights)[1],
            np.array(point),
        )
        assert err < 1e-6


def test_euler_transformation_matches_the_paper_formula(engine, cdnow):
    """FHL eq. 10 with hyp2f1(r + x, b + x; a + b + x - 1; z) as printed."""
    r, alpha, a, b = CDNOW_BGNBD
    x, t_x, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    for t in (1.0, 39.0, 150.0):
        z = t / (alpha + T + t)
        bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * special.hyp2f1(
            r + x, b + x, a + b + x - 1, z
        )
        paper = (a + b + x - 1) / (a - 1) * bracket
        paper /= 1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (
            r + x
        )
        ours = engine.clv.bgnbd_expected_purchases(CDNOW_BGNBD, t, x, t_x, T)
        np.testing.assert_allclose(ours, paper, rtol=1e-9)


def test_expected_purchases_of_a_new_customer_match_a_simulation(engine):
    """Monte Carlo BG/NBD: X(t) = min(Poisson(lambda t), Geometric(p))."""
    rng = np.random.default_rng(20050301)
    r, alpha, a, b = CDNOW_BGNBD
    n, t = 400_000, 52.0
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    purchases = np.minimum(rng.poisson(lam * t), rng.geometric(p))
    expected = engine.clv.bgnbd_expected_purchases(CDNOW_BGNBD, t, [0], [0], [0])
    stderr = purchases.std() / np.sqrt(n)
    assert abs(expected[0] - purchases.mean()) < 4 * stderr


def test_p_alive_and_purchases_basics(engine, cdnow_bgnbd, cdnow):
    x, t_x, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    p_alive = engine.clv.bgnbd_p_alive(cdnow_bgnbd, x, t_x, T)
    assert np.all((p_alive >= 0) & (p_alive <= 1))
    assert np.all(p_alive[x == 0] == 1)
    zero = engine.clv.bgnbd_expected_purchases(cdnow_bgnbd, 0.0, x, t_x, T)
    assert np.all(zero == 0)
    one = engine.clv.bgnbd_expected_purchases(cdnow_bgnbd, 39.0, x, t_x, T)
    two = engine.clv.bgnbd_expected_purchases(cdnow_bgnbd, 78.0, x, t_x, T)
    assert np.all(np.isfinite(two)) and np.all(two >= one) and np.all(one > 0)
    per_customer_t = engine.clv.bgnbd_expected_purchases(
        cdnow_bgnbd, np.full(x.size, 39.0), x, t_x, T
    )
    np.testing.assert_array_equal(per_customer_t, one)


def test_expected_purchases_stay_finite_for_heavy_buyers(engine, cdnow_bgnbd):
    x = np.array([50.0, 200.0, 1000.0, 1000.0])
    t_x = np.array([38.0, 38.8, 38.86, 1.0])
    T = np.full(4, 38.86)
    out = engine.clv.bgnbd_expected_purchases(cdnow_bgnbd, 52.0, x, t_x, T)
    assert np.all(np.isfinite(out)) and np.all(out >= 0)
    assert out[2] > out[1] > out[0] > 10
    assert out[3] < 1e-6  # 1000 purchases then silence: gone


def test_a_equal_to_one_is_handled(engine):
    out = engine.clv.bgnbd_expected_purchases(
        (0.5, 5.0, 1.0, 2.0), 10.0, [0, 3], [0, 8.0], [10.0, 10.0]
    )
    near = engine.clv.bgnbd_expected_purchases(
        (0.5, 5.0, 1.0 + 1e-5, 2.0), 10.0, [0, 3], [0, 8.0], [10.0, 10.0]
    )
    np.testing.assert_allclose(out, near, rtol=1e-4)


@FAST
@given(
    params_st,
    st.integers(1, 30),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.floats(0.1, 100.0),
)
def test_more_recent_last_purchase_means_more_alive(engine, params, x, u1, u2, T):
    """Larger recency (same frequency and T) -> higher P(alive) and E[Y]."""
    t_x = np.array(sorted([u1, u2])) * T
    xs, Ts = np.full(2, float(x)), np.full(2, T)
    p_alive = engine.clv.bgnbd_p_alive(params, xs, t_x, Ts)
    assert p_alive[1] >= p_alive[0] - 1e-12
    purchases = engine.clv.bgnbd_expected_purchases(params, 10.0, xs, t_x, Ts)
    assert purchases[1] >= purchases[0] * (1 - 1e-9) - 1e-12


@FAST
@given(params_st, st.integers(1, 40), st.floats(0.5, 100.0), st.floats(0.1, 100.0))
def test_more_purchases_mean_more_expected_purchases(engine, params, x, T, t):
    """With the last purchase at T (no silence), x + 1 beats x, for any t."""
    xs = np.array([x, x + 1], dtype=float)
    Ts = np.full(2, T)
    purchases = engine.clv.bgnbd_expected_purchases(params, t, xs, Ts, Ts)
    assert np.all(np.isfinite(purchases))
    assert purchases[1] >= purchases[0] * (1 - 1e-9)


@FAST
@given(params_st, st.integers(0, 40), st.floats(0.0, 1.0), st.floats(0.1, 100.0))
def test_expected_purchases_grow_with_the_window(engine, params, x, u, T):
    t_x = u * T if x else 0.0
    windows = np.array([1.0, 5.0, 20.0, 80.0])
    out = [
        engine.clv.bgnbd_expected_purchases(params, t, [x], [t_x], [T])[0]
        for t in windows
    ]
    assert np.all(np.isfinite(out))
    assert np.all(np.diff(out) >= -1e-9 * max(out))


# -- parameter recovery on simulated data -----------------------------------


def simulate(engine, n, seed, bgnbd=CDNOW_BGNBD, gamma_gamma=(6.25, 3.74, 15.44)):
    """Customer summaries drawn from the BG/NBD and Gamma-Gamma models.

    Given N(T) = k Poisson purchases, their times are k sorted uniforms on
    (0, T]; the customer drops out after D ~ Geometric(p) repeat purchases,
    so x = min(k, D) and t_x / T ~ Beta(x, k - x + 1), the x-th of k sorted
    uniforms.  Mean spends: m ~ Gamma(p x, rate x nu), nu ~ Gamma(q, rate v).
    Times are in weeks, rounded to whole days as the Odoo side sees them.
    """
    rng = np.random.default_rng(seed)
    r, alpha, a, b = bgnbd
    p, q, v = gamma_gamma
    T = rng.uniform(27.0, 39.0, n)
    k = rng.poisson(rng.gamma(r, 1 / alpha, n) * T)
    x = np.minimum(k, rng.geometric(rng.beta(a, b, n)))
    rep = x > 0
    t_x = np.zeros(n)
    t_x[rep] = T[rep] * rng.beta(x[rep], k[rep] - x[rep] + 1)
    nu = rng.gamma(q, 1 / v, n)
    m = np.zeros(n)
    m[rep] = rng.gamma(p * x[rep], 1 / (x[rep] * nu[rep]))
    return x.astype(float), np.round(t_x * 7) / 7, np.round(T * 7) / 7, m


def test_bgnbd_recovers_simulated_parameters(engine):
    x, t_x, T, _m = simulate(engine, 20_000, seed=1)
    fit = engine.clv.fit_bgnbd(x, t_x, T)
    assert fit.converged, fit.message
    assert (fit.r, fit.alpha) == pytest.approx(CDNOW_BGNBD[:2], rel=0.1)
    assert (fit.a, fit.b) == pytest.approx(CDNOW_BGNBD[2:], rel=0.3)


def test_gamma_gamma_recovers_simulated_parameters(engine):
    x, _t_x, _T, m = simulate(engine, 20_000, seed=2)
    fit = engine.clv.fit_gamma_gamma(x, m)
    assert fit.converged, fit.message
    assert (fit.p, fit.q, fit.v) == pytest.approx((6.25, 3.74, 15.44), rel=0.15)


def test_grouping_identical_customers_is_exact(engine, cdnow, cdnow_bgnbd):
    doubled = [
        np.concatenate([cdnow[k], cdnow[k]]) for k in ("frequency", "recency", "T")
    ]
    fit = engine.clv.fit_bgnbd(*doubled)
    assert (fit.r, fit.alpha, fit.a, fit.b) == pytest.approx(
        (cdnow_bgnbd.r, cdnow_bgnbd.alpha, cdnow_bgnbd.a, cdnow_bgnbd.b), rel=1e-5
    )
    assert fit.log_likelihood == pytest.approx(2 * cdnow_bgnbd.log_likelihood)


# -- fit edge cases ------------------------------------------------------------


def test_bgnbd_fit_of_one_time_buyers_does_not_converge(engine):
    fit = engine.clv.fit_bgnbd(np.zeros(30), np.zeros(30), np.linspace(1, 30, 30))
    assert not fit.converged


def test_bgnbd_params_may_be_a_tuple(engine, cdnow_bgnbd):
    as_tuple = (cdnow_bgnbd.r, cdnow_bgnbd.alpha, cdnow_bgnbd.a, cdnow_bgnbd.b)
    assert engine.clv.bgnbd_p_alive(as_tuple, 2, 30.43, 38.86) == pytest.approx(
        engine.clv.bgnbd_p_alive(cdnow_bgnbd, 2, 30.43, 38.86)
    )


@pytest.mark.parametrize(
    "params", [(0.2, 4.0, 0.8), (0.2, -4.0, 0.8, 2.0), (0.2, np.nan, 0.8, 2.0)]
)
def test_bad_bgnbd_params(engine, params):
    with pytest.raises(ValueError, match="BG/NBD parameters"):
        engine.clv.bgnbd_p_alive(params, [1], [1.0], [2.0])


# -- Gamma-Gamma (Fader & Hardie 2013) ---------------------------------------------


def test_gamma_gamma_reproduces_the_published_cdnow_fit(cdnow_gamma_gamma):
    fit = cdnow_gamma_gamma
    assert fit.converged
    assert fit.n_customers == 946
    assert (fit.p, fit.q, fit.v) == pytest.approx((6.25, 3.74, 15.44), rel=1e-2)
    assert np.isfinite(fit.log_likelihood)


def test_gamma_gamma_fit_is_a_maximum(engine, cdnow_monetary, cdnow_gamma_gamma):
    x, m = cdnow_monetary["frequency"], cdnow_monetary["monetary"]
    keep = (x > 0) & (m > 0)
    best = np.log([cdnow_gamma_gamma.p, cdnow_gamma_gamma.q, cdnow_gamma_gamma.v])
    objective = engine.gamma_gamma._gg_objective
    weights = np.ones(keep.sum())
    f0, grad = objective(best, x[keep], m[keep], weights)
    assert np.abs(grad).max() < 1e-5
    for step in np.eye(3) * 0.01:
        assert objective(best + step, x[keep], m[keep], weights)[0] > f0
        assert objective(best - step, x[keep], m[keep], weights)[0] > f0


def test_gamma_gamma_gradient_is_exact(engine, cdnow_monetary):
    x, m = cdnow_monetary["frequency"], cdnow_monetary["monetary"]
    keep = (x > 0) & (m > 0)
    args = (x[keep], m[keep] / 30.0, np.ones(keep.sum()))
    err = optimize.check_grad(
        lambda p: engine.gamma_gamma._gg_objective(p, *args)[0],
        lambda p: engine.gamma_gamma._gg_objective(p, *args)[1],
        np.array([1.5, 0.8, -0.4]),
    )
    assert err < 1e-6


def test_gamma_gamma_expected_spend(engine, cdnow_gamma_gamma, cdnow_monetary):
    p, q, v = cdnow_gamma_gamma.p, cdnow_gamma_gamma.q, cdnow_gamma_gamma.v
    x, m = cdnow_monetary["frequency"], cdnow_monetary["monetary"]
    spend = engine.clv.gamma_gamma_expected_spend(cdnow_gamma_gamma, x, m)
    population = p * v / (q - 1)
    weight = p * x / (p * x + q - 1)  # credibility of the customer's own mean
    np.testing.assert_allclose(spend, weight * m + (1 - weight) * population)
    assert np.all(spend[x == 0] == pytest.approx(population))
    # lifetimes' documented conditional_expected_average_profit on CDNOW
    assert spend[:3] == pytest.approx([24.6586, 18.9115, 35.1710], rel=1e-3)


def test_gamma_gamma_needs_q_above_one(engine):
    with pytest.raises(ValueError, match="q = 0.9"):
        engine.clv.gamma_gamma_expected_spend((2.0, 0.9, 10.0), [1], [5.0])


def test_gamma_gamma_needs_repeat_customers(engine):
    with pytest.raises(ValueError, match="frequency > 0 and monetary > 0"):
        engine.clv.fit_gamma_gamma([0, 0, 3], [10.0, 5.0, 0.0])


# -- CLV -------------------------------------------------------------------------


def test_clv_matches_lifetimes_documented_output(
    engine, cdnow_monetary, cdnow_bgnbd, cdnow_gamma_gamma
):
    """lifetimes' quickstart: customer_lifetime_value(time=12,
    discount_rate=0.01) with its default freq="D" (30 T-units per month) on
    the weekly CDNOW summary -> 140.096218, 18.943466, 38.180575."""
    d = cdnow_monetary
    clv = engine.clv.customer_lifetime_value(
        cdnow_bgnbd,
        cdnow_gamma_gamma,
        d["frequency"],
        d["recency"],
        d["T"],
        d["monetary"],
        horizon=360.0,
        discount_rate=0.01,
        time_step=30.0,
    )
    assert clv[:3] == pytest.approx([140.096218, 18.943466, 38.180575], rel=1e-4)


def test_clv_without_discount_is_purchases_times_spend(
    engine, cdnow_monetary, cdnow_bgnbd, cdnow_gamma_gamma
):
    d = cdnow_monetary
    args = (d["frequency"], d["recency"], d["T"])
    spend = engine.clv.gamma_gamma_expected_spend(
        cdnow_gamma_gamma, d["frequency"], d["monetary"]
    )
    purchases = engine.clv.bgnbd_expected_purchases(cdnow_bgnbd, 52.0, *args)
    for step in (52.0, 4.0, 5.0):  # 5 does not divide 52: last step is shorter
        clv = engine.clv.customer_lifetime_value(
            cdnow_bgnbd, cdnow_gamma_gamma, *args, d["monetary"], 52.0, 0.0, step
        )
        np.testing.assert_allclose(clv, purchases * spend, rtol=1e-10)
    discounted = engine.clv.customer_lifetime_value(
        cdnow_bgnbd, cdnow_gamma_gamma, *args, d["monetary"], 52.0, 0.02, 4.0
    )
    assert np.all(discounted < clv) and np.all(discounted > 0)


@pytest.mark.parametrize(
    "settings_, message",
    [
        ((0.0, 0.01, 1.0), "horizon"),
        ((12.0, -0.01, 1.0), "discount_rate"),
        ((12.0, 0.01, 0.0), "time_step"),
        ((12.0, np.nan, 1.0), "discount_rate"),
        ((1e6, 0.01, 1.0), "steps"),
    ],
)
def test_bad_clv_settings(engine, cdnow_bgnbd, settings_, message):
    with pytest.raises(ValueError, match=message):
        engine.clv.customer_lifetime_value(
            cdnow_bgnbd, (6.0, 3.0, 15.0), [1], [1.0], [2.0], [10.0], *settings_
        )


# -- score_customers and the heuristic ---------------------------------------------


def test_score_customers_uses_the_models_on_cdnow(engine, cdnow_monetary):
    d = cdnow_monetary
    res = engine.clv.score_customers(
        d["frequency"], d["recency"], d["T"], d["monetary"], 52.0, 0.002, 1.0
    )
    assert res.method == "bgnbd_gamma_gamma"
    assert res.reason == ""
    assert res.bgnbd.converged and res.gamma_gamma.converged
    assert res.bgnbd.r == pytest.approx(0.243, rel=1e-2)
    for arr in (res.clv, res.p_alive, res.expected_purchases, res.expected_spend):
        assert arr.shape == (2357,) and np.all(np.isfinite(arr))
    assert np.all(res.clv >= 0)
    assert np.all((res.p_alive >= 0) & (res.p_alive <= 1))


def test_heuristic_is_in_the_models_ballpark_on_cdnow(engine, cdnow_monetary):
    d = cdnow_monetary
    args = (d["frequency"], d["recency"], d["T"], d["monetary"], 52.0, 0.002, 1.0)
    model = engine.clv.score_customers(*args)
    heuristic = engine.clv.score_customers(*args, method="heuristic")
    assert heuristic.method == "heuristic"
    assert heuristic.reason == "heuristic method requested"
    assert heuristic.bgnbd is None and heuristic.gamma_gamma is None
    assert 0.67 < heuristic.clv.sum() / model.clv.sum() < 1.5
    assert np.corrcoef(heuristic.clv, model.clv)[0, 1] > 0.8


def _small_base(n, repeaters):
    rng = np.random.default_rng(n * 100 + repeaters)
    T = rng.uniform(5.0, 50.0, n)
    x = np.zeros(n)
    x[:repeaters] = rng.integers(1, 6, repeaters)
    t_x = np.where(x > 0, rng.uniform(0.2, 1.0, n) * T, 0.0)
    m = np.where(x > 0, rng.uniform(10.0, 90.0, n), 0.0)
    return x, t_x, T, m


@pytest.mark.parametrize(
    "n, repeaters, reason",
    [
        (1, 1, "only 1 customer"),
        (19, 15, "only 19 customer"),
        (200, 9, "only 9 repeat customer"),
        (50, 0, "only 0 repeat customer"),
    ],
)
def test_small_bases_fall_back_to_the_heuristic(engine, n, repeaters, reason):
    res = engine.clv.score_customers(*_small_base(n, repeaters))
    assert res.method == "heuristic"
    assert reason in res.reason
    assert res.bgnbd is None and res.gamma_gamma is None
    for arr in (res.clv, res.p_alive, res.expected_purchases, res.expected_spend):
        assert arr.shape == (n,) and np.all(np.isfinite(arr)) and np.all(arr >= 0)
    assert np.all(res.p_alive <= 1)


def test_enough_customers_use_the_models(engine):
    x, t_x, T, m = simulate(engine, 500, seed=7)
    res = engine.clv.score_customers(x, t_x, T, m, 52.0, 0.01, 4.0)
    assert res.method == "bgnbd_gamma_gamma", res.reason
    assert np.all(np.isfinite(res.clv))


def test_non_converging_fit_falls_back(engine):
    # every repeat customer bought again at the very end: no dropout signal,
    # b runs to its bound
    n = 60
    T = np.full(n, 20.0)
    x = np.where(np.arange(n) < 30, 3.0, 0.0)
    t_x = np.where(x > 0, T, 0.0)
    m = np.where(x > 0, 25.0, 0.0)
    fit = engine.clv.fit_bgnbd(x, t_x, T)
    res = engine.clv.score_customers(x, t_x, T, m)
    if fit.converged:  # pragma: no cover - documents the data set
        pytest.fail(f"expected a non-converging BG/NBD fit, got {fit}")
    assert res.method == "heuristic"
    assert "did not converge" in res.reason
    assert np.all(np.isfinite(res.clv))


def test_degenerate_gamma_gamma_falls_back(engine, cdnow):
    """Every repeat transaction worth exactly 25: no spread to fit."""
    x, t_x, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    m = np.where(x > 0, 25.0, 0.0)
    fit = engine.clv.fit_gamma_gamma(x, m)
    assert not fit.converged
    assert fit.message  # says why
    res = engine.clv.score_customers(x, t_x, T, m, 52.0, 0.0, 4.0)
    assert res.method == "heuristic"
    assert "Gamma-Gamma fit did not converge" in res.reason
    assert np.all(np.isfinite(res.clv))
    assert np.all(res.expected_spend == 25.0)


def test_all_one_time_buyers(engine):
    n = 100
    T = np.linspace(1.0, 50.0, n)
    first_order = np.full(n, 40.0)
    res = engine.clv.score_customers(np.zeros(n), np.zeros(n), T, first_order)
    assert res.method == "heuristic"
    assert np.all(np.isfinite(res.clv)) and np.all(res.clv > 0)
    assert np.all(res.expected_spend == 40.0)
    # older one-time buyers are worth less
    assert np.all(np.diff(res.clv) < 0)
    zero_value = engine.clv.score_customers(np.zeros(n), np.zeros(n), T, np.zeros(n))
    assert np.all(zero_value.clv == 0)


def test_single_new_customer(engine):
    res = engine.clv.score_customers([0], [0.0], [0.0], [0.0])
    assert res.method == "heuristic"
    assert np.all(np.isfinite(res.clv)) and res.p_alive.tolist() == [1.0]


@FAST
@given(
    st.lists(st.integers(0, 10), min_size=2, max_size=30),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
)
def test_heuristic_monotonicity(engine, xs, u1, u2):
    """More recent last purchase -> higher P(alive) and CLV; same for x at T."""
    n = len(xs)
    x = np.array(xs, dtype=float)
    T = np.linspace(10.0, 40.0, n)
    m = np.full(n, 20.0)
    low, high = sorted([u1, u2])
    base = engine.clv.heuristic_clv(x, low * T * (x > 0), T, m)
    later = engine.clv.heuristic_clv(x, high * T * (x > 0), T, m)
    assert np.all(later.p_alive >= base.p_alive)
    assert np.all(later.clv >= base.clv * (1 - 1e-12))
    at_t = engine.clv.heuristic_clv(x, T * (x > 0), T, m)
    more = engine.clv.heuristic_clv(x + 1, T, T, m)
    assert np.all(more.clv >= at_t.clv)


@pytest.mark.parametrize(
    "args, message",
    [
        (([1, 2], [1.0, 2.0], [3.0], [1.0, 1.0]), "mismatched lengths"),
        (([1, 2], [1.0, 2.0], [3.0, 3.0], [1.0]), "mismatched lengths"),
        (([], [], [], []), "empty input"),
        (([1, np.nan], [1.0, 2.0], [3.0, 3.0], [1.0, 1.0]), "NaN"),
        (([1, 2], [1.0, np.inf], [3.0, 3.0], [1.0, 1.0]), "infinite"),
        (([1, -2], [1.0, 2.0], [3.0, 3.0], [1.0, 1.0]), "frequency must be >= 0"),
        (([1, 2.5], [1.0, 2.0], [3.0, 3.0], [1.0, 1.0]), "whole numbers"),
        (([1, 2], [1.0, 2.0], [3.0, 3.0], [1.0, -1.0]), "monetary must be >= 0"),
        (([1, 2], [1.0, -2.0], [3.0, 3.0], [1.0, 1.0]), "recency must be >= 0"),
        (([1, 2], [1.0, 4.0], [3.0, 3.0], [1.0, 1.0]), "recency must be <= T"),
        (([1, 2], [1.0, 2.0], [3.0, -3.0], [1.0, 1.0]), "T must be >= 0"),
    ],
)
def test_bad_input_is_rejected(engine, args, message):
    with pytest.raises(ValueError, match=message):
        engine.clv.score_customers(*args)
    with pytest.raises(ValueError, match=message):
        engine.clv.heuristic_clv(*args)


def test_bad_method(engine):
    with pytest.raises(ValueError, match="method"):
        engine.clv.score_customers([1], [1.0], [2.0], [3.0], method="magic")


# -- fast fit: sufficient statistics, gradients, warm start ------------------------


def test_weighted_gradients_match_finite_differences(engine, cdnow_monetary):
    d = cdnow_monetary
    x, t_x, T = d["frequency"], d["recency"] / 4, d["T"] / 4
    weights = np.arange(x.size) % 3 + 1.0
    for point in ([-1.0, 0.5, -0.3, 0.8], [0.4, 1.2, 0.9, -0.2]):
        err = optimize.check_grad(
            lambda p: engine.bgnbd._bgnbd_objective(p, x, t_x, T, weights)[0],
            lambda p: engine.bgnbd._bgnbd_objective(p, x, t_x, T, weights)[1],
            np.array(point),
        )
        assert err < 1e-6
    keep = (x > 0) & (d["monetary"] > 0)
    args = (x[keep], d["monetary"][keep] / 30.0, weights[keep])
    for point in ([1.5, 0.8, -0.4], [0.2, 1.9, 0.7]):
        err = optimize.check_grad(
            lambda p: engine.gamma_gamma._gg_objective(p, *args)[0],
            lambda p: engine.gamma_gamma._gg_objective(p, *args)[1],
            np.array(point),
        )
        assert err < 1e-6


def test_warm_start_reaches_the_same_optimum(
    engine, cdnow_monetary, cdnow_bgnbd, cdnow_gamma_gamma
):
    d = cdnow_monetary
    for start in (cdnow_bgnbd, (0.1, 20.0, 3.0, 1.0)):
        fit = engine.clv.fit_bgnbd(d["frequency"], d["recency"], d["T"], start=start)
        assert fit.converged
        assert (fit.r, fit.alpha, fit.a, fit.b) == pytest.approx(
            (cdnow_bgnbd.r, cdnow_bgnbd.alpha, cdnow_bgnbd.a, cdnow_bgnbd.b),
            rel=1e-4,
        )
        assert fit.log_likelihood == pytest.approx(cdnow_bgnbd.log_likelihood)
    for start in (cdnow_gamma_gamma, (1.0, 10.0, 200.0)):
        fit = engine.clv.fit_gamma_gamma(d["frequency"], d["monetary"], start=start)
        assert fit.converged
        assert (fit.p, fit.q, fit.v) == pytest.approx(
            (cdnow_gamma_gamma.p, cdnow_gamma_gamma.q, cdnow_gamma_gamma.v),
            rel=1e-4,
        )
    res = engine.clv.score_customers(
        d["frequency"],
        d["recency"],
        d["T"],
        d["monetary"],
        start=(cdnow_bgnbd, cdnow_gamma_gamma),
    )
    assert res.bgnbd.r == pytest.approx(cdnow_bgnbd.r, rel=1e-4)


def test_weighted_fit_equals_the_unweighted_fit(engine, cdnow_monetary):
    d = cdnow_monetary
    x, t_x, T, m = d["frequency"], d["recency"], d["T"], d["monetary"]
    rows, counts = np.unique(np.column_stack([x, t_x, T]), axis=0, return_counts=True)
    full = engine.clv.fit_bgnbd(x, t_x, T)
    grouped = engine.clv.fit_bgnbd(*rows.T, weights=counts)
    assert grouped.n_customers == full.n_customers == x.size
    assert (grouped.r, grouped.alpha, grouped.a, grouped.b) == pytest.approx(
        (full.r, full.alpha, full.a, full.b), rel=1e-5
    )
    assert grouped.log_likelihood == pytest.approx(full.log_likelihood, rel=1e-9)
    pairs, counts = np.unique(np.column_stack([x, m]), axis=0, return_counts=True)
    full = engine.clv.fit_gamma_gamma(x, m)
    grouped = engine.clv.fit_gamma_gamma(*pairs.T, weights=counts)
    assert grouped.n_customers == full.n_customers
    assert (grouped.p, grouped.q, grouped.v) == pytest.approx(
        (full.p, full.q, full.v), rel=1e-5
    )
    assert grouped.log_likelihood == pytest.approx(full.log_likelihood, rel=1e-9)


@pytest.mark.parametrize(
    "start",
    [
        (0.2, 4.0, 0.8),
        (0.2, -4.0, 0.8, 2.0),
        (np.nan, 4.0, 0.8, 2.0),
        (0.2, 1e9, 0.8, 2.0),
        "r",
    ],
)
def test_bad_start_is_refused(engine, cdnow, start):
    with pytest.raises(ValueError, match="invalid start"):
        engine.clv.fit_bgnbd(
            cdnow["frequency"], cdnow["recency"], cdnow["T"], start=start
        )


def test_bad_gamma_gamma_start_and_weights_are_refused(engine):
    with pytest.raises(ValueError, match="invalid start"):
        engine.clv.fit_gamma_gamma([1, 2], [3.0, 4.0], start=(1.0, 0.0, 2.0))
    with pytest.raises(ValueError, match="weights"):
        engine.clv.fit_gamma_gamma([1, 2], [3.0, 4.0], weights=[1.5, 1])
    with pytest.raises(ValueError, match="start must be a pair"):
        engine.clv.score_customers([1], [1.0], [2.0], [3.0], start="previous")
