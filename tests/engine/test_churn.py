"""Churn risk, risk levels and the "save first" priority."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

FAST = settings(max_examples=80, deadline=None, database=None)

probabilities = st.floats(0.0, 1.0)


def test_churn_risk(engine):
    risk = engine.churn.churn_risk([1.0, 0.75, 0.0, 1 + 1e-12, -1e-12])
    np.testing.assert_allclose(risk, [0.0, 0.25, 1.0, 0.0, 1.0])
    assert risk.min() >= 0 and risk.max() <= 1


@pytest.mark.parametrize(
    "bad, message",
    [
        ([0.5, np.nan], "NaN"),
        ([1.5], r"probabilities in \[0, 1\]"),
        ([-0.2], r"probabilities in \[0, 1\]"),
        ([], "empty input"),
    ],
)
def test_churn_risk_rejects_bad_probabilities(engine, bad, message):
    with pytest.raises(ValueError, match=message):
        engine.churn.churn_risk(bad)


def test_risk_levels(engine):
    levels = engine.churn.risk_level([0.0, 0.29, 0.3, 0.59, 0.6, 1.0])
    assert levels.tolist() == ["low", "low", "medium", "medium", "high", "high"]
    assert set(engine.churn.RISK_LEVELS) == {"low", "medium", "high"}
    custom = engine.churn.risk_level([0.1, 0.5, 0.9], thresholds=(0.5, 0.5))
    assert custom.tolist() == ["low", "high", "high"]


@pytest.mark.parametrize("thresholds", [(0.6, 0.3), (-0.1, 0.5), (0.2, 1.2), (0.5,)])
def test_risk_level_rejects_bad_thresholds(engine, thresholds):
    with pytest.raises(ValueError, match="thresholds"):
        engine.churn.risk_level([0.5], thresholds=thresholds)


def test_save_priority_orders_high_value_high_risk_first(engine):
    risk = np.array([0.9, 0.9, 0.1, 0.5, 0.9])
    value = np.array([1000.0, 10.0, 5000.0, 1000.0, 0.0])
    priority = engine.churn.save_priority(risk, value)
    order = np.argsort(-priority, kind="stable")
    assert order.tolist() == [0, 3, 1, 2, 4]
    assert priority[4] == 0  # worthless customers are never urgent
    assert np.all((priority >= 0) & (priority <= 1))
    # ties in value share one percentile
    assert priority[0] / 0.9 == pytest.approx(priority[3] / 0.5)


def test_save_priority_is_scale_free(engine):
    risk = np.array([0.2, 0.8, 0.5])
    value = np.array([3.0, 1.0, 2.0])
    np.testing.assert_array_equal(
        engine.churn.save_priority(risk, value),
        engine.churn.save_priority(risk, value * 1000),
    )


@pytest.mark.parametrize(
    "risk, value, message",
    [
        ([0.5, 0.2], [1.0], "mismatched lengths"),
        ([0.5], [-1.0], "value must be >= 0"),
        ([0.5], [np.inf], "infinite"),
        ([2.0], [1.0], "probabilities"),
    ],
)
def test_save_priority_rejects_bad_input(engine, risk, value, message):
    with pytest.raises(ValueError, match=message):
        engine.churn.save_priority(risk, value)


@FAST
@given(st.lists(st.tuples(probabilities, st.floats(0.0, 1e6)), min_size=1, max_size=30))
def test_save_priority_is_monotone(engine, rows):
    risk, value = (np.array(col) for col in zip(*rows, strict=True))
    priority = engine.churn.save_priority(risk, value)
    assert np.all((priority >= 0) & (priority <= 1))
    # riskier and at least as valuable -> at least as urgent
    dominated = (risk[:, None] >= risk[None, :]) & (value[:, None] >= value[None, :])
    assert np.all((priority[:, None] >= priority[None, :])[dominated])


@FAST
@given(st.lists(probabilities, min_size=1, max_size=30))
def test_churn_risk_and_levels_are_consistent(engine, p_alive):
    risk = engine.churn.churn_risk(p_alive)
    np.testing.assert_allclose(risk, 1 - np.array(p_alive))
    levels = engine.churn.risk_level(risk)
    rank = np.array([engine.churn.RISK_LEVELS.index(code) for code in levels])
    assert np.all((rank[:, None] >= rank[None, :])[risk[:, None] >= risk[None, :]])


def test_churn_from_scores(engine, cdnow_monetary):
    d = cdnow_monetary
    res = engine.clv.score_customers(
        d["frequency"], d["recency"], d["T"], d["monetary"], 52.0, 0.0, 4.0
    )
    risk = engine.churn.churn_risk(res.p_alive)
    priority = engine.churn.save_priority(risk, res.clv)
    assert np.all(np.isfinite(priority))
    top = np.argsort(-priority, kind="stable")[:50]
    assert np.median(res.clv[top]) > np.median(res.clv)
    assert np.median(risk[top]) > np.median(risk)
