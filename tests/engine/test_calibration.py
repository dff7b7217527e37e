"""Holdout check of the predicted purchases (engine/calibration.py).

Two references: a population simulated from known BG/NBD parameters, whose
total holdout purchases must match the prediction within their sampling
error, and the CDNOW sample split as in Fader, Hardie & Lee (2005), section
4 (39 weeks of calibration, 39 weeks of holdout).

About the CDNOW reference: FHL 2005 publish the conditional expectations by
number of calibration repeat transactions (0..7+) as a chart (their Figure
5), not as numbers, and no table of them was found in Hardie's notes. The
test therefore pins (a) the actual holdout means computed from the data (the
same means as the BTYD-based analyses of this sample print: 0.2367116,
0.6970387, ... with 1,411, 439, ... customers), (b) our fitted predictions
against the predictions of the *published* parameters (r = 0.243, alpha =
4.414, a = 0.793, b = 2.426) within the rounding of those parameters, and
(c) the model against the actual means within a stated tolerance derived
from the data's sampling error.
"""

import importlib
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parent / "data"

CDNOW_BGNBD = (0.243, 4.414, 0.793, 2.426)  # r, alpha, a, b (FHL 2005, weeks)
#: customers per bucket 0..6, 7+ and their mean purchase days in weeks 40-78
CDNOW_CUSTOMERS = [1411, 439, 214, 100, 62, 38, 29, 64]
CDNOW_ACTUAL = [
    0.2367116,
    0.6970387,
    1.3925234,
    1.5600000,
    2.5322581,
    2.9473684,
    3.8620690,
    6.3593750,
]
#: a normal deviate this large has a two-sided probability of 6e-5
SIGMAS = 4.0


@pytest.fixture(scope="module")
def calibration(engine):
    return importlib.import_module(f"{engine.__name__}.calibration")


@pytest.fixture(scope="module")
def cdnow_holdout():
    data = np.genfromtxt(
        DATA / "cdnow_calibration_holdout.csv", delimiter=",", names=True
    )
    assert data.shape == (2357,)
    return {name: data[name] for name in ("x", "t_x", "T", "x_star")}


def simulate_bgnbd(params, n, birth_span, calibration, holdout, seed):
    """Transaction times of ``n`` BG/NBD customers, split at the cutoff.

    Customers are born (first purchase) uniformly in ``[0, birth_span)``,
    buy at Poisson rate ``lambda ~ Gamma(r, alpha)`` and drop out after
    each repeat purchase with probability ``p ~ Beta(a, b)``. Returns the
    calibration summary ``(x, t_x, T)`` at time ``calibration`` and the
    purchases in ``(calibration, calibration + holdout]``.
    """
    r, alpha, a, b = params
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1.0 / alpha, n)
    drop = rng.beta(a, b, n)
    birth = rng.uniform(0.0, birth_span, n)
    end = calibration + holdout
    t, last = birth.copy(), birth.copy()
    x, seen = np.zeros(n), np.zeros(n)
    active = np.flatnonzero(rate > 0)
    while active.size:
        t[active] += rng.exponential(1.0 / rate[active])
        active = active[t[active] <= end]
        before = t[active] <= calibration
        x[active[before]] += 1
        last[active[before]] = t[active[before]]
        seen[active[~before]] += 1
        active = active[rng.random(active.size) >= drop[active]]
    return x, last - birth, calibration - birth, seen


# -- simulated population ------------------------------------------------------


@pytest.fixture(scope="module")
def simulated(calibration):
    params = (0.8, 10.0, 0.8, 3.0)
    x, t_x, T, seen = simulate_bgnbd(params, 6000, 12.0, 39.0, 39.0, seed=17)
    return params, (x, t_x, T, seen), calibration.holdout_check(x, t_x, T, seen, 39.0)


def parameter_variance(engine, check, x, t_x, T, members=None):
    """Variance of the predicted total (of ``members``) due to the error of
    the fitted parameters (delta method): ``g' H^-1 g`` with ``H`` the
    observed information of the BG/NBD fit (finite differences of its
    analytic gradient) and ``g`` the gradient of the predicted total with
    respect to ``(r, alpha, a, b)`` (central differences)."""
    theta = np.array([check.bgnbd.r, check.bgnbd.alpha, check.bgnbd.a, check.bgnbd.b])
    weights = np.ones_like(x)
    members = np.ones(x.size, dtype=bool) if members is None else members
    steps = theta * 1e-5
    hessian, gradient = [], []
    for step in np.diag(steps):
        up = engine.bgnbd._bgnbd_loglik_grad(theta + step, x, t_x, T, weights)[1]
        down = engine.bgnbd._bgnbd_loglik_grad(theta - step, x, t_x, T, weights)[1]
        hessian.append(-(up - down) / (2 * step.sum()))
        total = [
            engine.bgnbd.bgnbd_expected_purchases(
                tuple(point), check.holdout, x[members], t_x[members], T[members]
            ).sum()
            for point in (theta + step, theta - step)
        ]
        gradient.append((total[0] - total[1]) / (2 * step.sum()))
    hessian = np.array(hessian)
    gradient = np.array(gradient)
    return float(gradient @ np.linalg.solve((hessian + hessian.T) / 2, gradient))


def test_simulated_totals_agree_within_their_sampling_error(engine, simulated):
    """Each customer's holdout purchases Y_i are independent given the
    calibration, so the variance of sum(Y_i) around the sum of their
    conditional expectations E_i is sum(Var(Y_i | history)), estimated
    without bias by sum((Y_i - E_i) ** 2); the fitted parameters add their
    own error to the predicted total (:func:`parameter_variance`), which is
    independent of the holdout's. The gap must stay within SIGMAS standard
    errors; with the true parameters, within SIGMAS holdout errors (on
    6,000 customers the error of the fit is as large as the holdout's)."""
    params, (x, t_x, T, seen), check = simulated
    assert check.method == "bgnbd_gamma_gamma"
    assert check.bgnbd.converged
    assert check.actual_total == seen.sum() > 1000
    truth = engine.bgnbd.bgnbd_expected_purchases(params, 39.0, x, t_x, T)
    holdout_variance = np.sum((seen - truth) ** 2)
    fit_variance = parameter_variance(engine, check, x, t_x, T)
    assert fit_variance > 0
    std_error = np.sqrt(holdout_variance + fit_variance)
    assert abs(check.predicted_total - check.actual_total) <= SIGMAS * std_error
    assert abs(truth.sum() - check.actual_total) <= SIGMAS * np.sqrt(holdout_variance)
    assert check.relative_gap == pytest.approx(
        check.actual_total / check.predicted_total - 1
    )
    assert check.mae == pytest.approx(np.abs(seen - check.predicted).mean())


def test_simulated_buckets_agree_within_their_sampling_error(engine, simulated):
    params, (x, t_x, T, seen), check = simulated
    truth = engine.bgnbd.bgnbd_expected_purchases(params, 39.0, x, t_x, T)
    bucket = np.minimum(x, 7)
    for k in range(8):
        members = bucket == k
        n = members.sum()
        assert check.customers[k] == n > 20
        assert check.actual_mean[k] == pytest.approx(seen[members].mean())
        assert check.predicted_mean[k] == pytest.approx(check.predicted[members].mean())
        variance = np.sum((seen - truth)[members] ** 2) + parameter_variance(
            engine, check, x, t_x, T, members
        )
        gap = abs(check.predicted_mean[k] - check.actual_mean[k])
        assert gap <= SIGMAS * np.sqrt(variance) / n, k


# -- CDNOW (Fader, Hardie & Lee 2005, 39 + 39 weeks) ---------------------------


@pytest.fixture(scope="module")
def cdnow_check(calibration, cdnow_holdout):
    d = cdnow_holdout
    return calibration.holdout_check(d["x"], d["t_x"], d["T"], d["x_star"], 39.0)


def test_cdnow_calibration_is_the_bundled_summary(cdnow_holdout, cdnow):
    for ours, theirs in (("x", "frequency"), ("t_x", "recency"), ("T", "T")):
        np.testing.assert_array_equal(cdnow_holdout[ours], cdnow[theirs])


def test_cdnow_actual_holdout_means(cdnow_check):
    np.testing.assert_array_equal(cdnow_check.customers, CDNOW_CUSTOMERS)
    np.testing.assert_allclose(cdnow_check.actual_mean, CDNOW_ACTUAL, atol=5e-8)
    assert cdnow_check.actual_total == 1882
    assert cdnow_check.n_customers == 2357


def test_cdnow_fit_predicts_what_the_published_parameters_predict(
    engine, cdnow_check, cdnow_holdout
):
    d = cdnow_holdout
    assert cdnow_check.method == "bgnbd_gamma_gamma"
    fit = cdnow_check.bgnbd
    assert (fit.r, fit.alpha, fit.a, fit.b) == pytest.approx(CDNOW_BGNBD, rel=1e-2)
    published = engine.bgnbd.bgnbd_expected_purchases(
        CDNOW_BGNBD, 39.0, d["x"], d["t_x"], d["T"]
    )
    bucket = np.minimum(d["x"], 7).astype(int)
    means = np.bincount(bucket, weights=published) / np.bincount(bucket)
    # the published parameters are rounded to 3 decimals: so are the means
    np.testing.assert_allclose(cdnow_check.predicted_mean, means, atol=1e-3)
    np.testing.assert_allclose(
        means,
        [0.2255, 0.5232, 1.0442, 1.5203, 2.1639, 2.6539, 3.5040, 6.1572],
        atol=5e-5,
    )
    assert cdnow_check.predicted_total == pytest.approx(published.sum(), rel=1e-3)


def test_cdnow_model_against_the_holdout(cdnow_check, cdnow_holdout):
    """The stated tolerance: every bucket's mean prediction within 3
    standard errors of its actual mean (the error of the mean of the
    bucket's residuals); the model under-predicts the CDNOW holdout by 12 %
    in all (1,653 purchases predicted, 1,882 made), as FHL's Figure 5 shows
    the BG/NBD curve slightly below the actual one for 1 to 4 repeat
    transactions."""
    d, check = cdnow_holdout, cdnow_check
    bucket = np.minimum(d["x"], 7).astype(int)
    residual = d["x_star"] - check.predicted
    std_error = np.sqrt(np.bincount(bucket, weights=residual**2)) / np.bincount(bucket)
    assert np.all(np.abs(check.predicted_mean - check.actual_mean) <= 3 * std_error)
    assert check.predicted_total == pytest.approx(1653.4, abs=0.5)
    assert check.relative_gap == pytest.approx(0.138, abs=1e-3)
    assert check.mae == pytest.approx(0.785, abs=1e-3)
    # the predictions rise with the calibration frequency, like the actuals
    assert np.all(np.diff(check.predicted_mean) > 0)


# -- fallback, shape and validation -------------------------------------------


def test_heuristic_on_request_is_the_heuristic_expectation(
    engine, calibration, cdnow_holdout
):
    d = cdnow_holdout
    check = calibration.holdout_check(
        d["x"], d["t_x"], d["T"], d["x_star"], 39.0, method="heuristic"
    )
    assert check.method == "heuristic"
    assert check.bgnbd is None
    expected = engine.clv.heuristic_clv(
        d["x"], d["t_x"], d["T"], np.zeros(2357), horizon=39.0, discount_rate=0.0
    ).expected_purchases
    np.testing.assert_allclose(check.predicted, expected)


def test_small_bases_fall_back_to_the_heuristic(calibration):
    x = np.array([0, 1, 2, 8, 12.0])
    t_x = np.array([0, 10, 20, 60, 80.0])
    T = np.full(5, 90.0)
    seen = np.array([0, 1, 0, 3, 5.0])
    check = calibration.holdout_check(x, t_x, T, seen, 30.0, time_step=30.0)
    assert check.method == "heuristic"
    assert "customer" in check.reason
    assert check.bgnbd is None
    # 7 or more repeat purchases share the last bucket; empty buckets are 0
    np.testing.assert_array_equal(check.customers, [1, 1, 1, 0, 0, 0, 0, 2])
    assert check.actual_mean[7] == 4.0
    assert check.predicted_mean[3] == check.actual_mean[3] == 0.0
    assert check.actual_total == 9.0
    assert check.mae == pytest.approx(np.abs(check.predicted - seen).mean())
    assert np.all(check.predicted > 0)


def test_gap_is_relative_to_the_prediction(calibration):
    check = calibration._compare(
        np.array([0.0, 1.0]),
        np.array([1.0, 2.0]),
        np.array([2.0, 2.0]),
        10.0,
        "heuristic",
        "",
        None,
    )
    # 3 purchases made where 4 were predicted: 25 % fewer
    assert check.relative_gap == pytest.approx(-0.25)
    assert check.mae == pytest.approx(0.5)
    nothing = calibration._compare(
        np.zeros(1), np.ones(1), np.zeros(1), 10.0, "heuristic", "", None
    )
    assert np.isnan(nothing.relative_gap)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"actual": [0.5, 1.0, 0.0]}, "whole numbers"),
        ({"actual": [1.0, 1.0]}, "mismatched"),
        ({"actual": [-1.0, 0.0, 0.0]}, ">= 0"),
        ({"holdout": 0.0}, "holdout"),
        ({"method": "magic"}, "method"),
        ({"recency": [5.0, 50.0, 0.0]}, "recency"),
    ],
)
def test_bad_input(calibration, change, message):
    args = {
        "frequency": [0.0, 1.0, 2.0],
        "recency": [0.0, 5.0, 8.0],
        "T": [10.0, 10.0, 10.0],
        "actual": [0.0, 1.0, 2.0],
        "holdout": 5.0,
    }
    args.update(change)
    with pytest.raises(ValueError, match=message):
        calibration.holdout_check(**args)
