"""Speed of the CLV engine's fit (plain Python, no Odoo): one JSON line.

100,000 customers (``BENCH_FIT_CUSTOMERS``) drawn from a BG/NBD process with
continuous ages (no two customers share a row: nothing to deduplicate) and
Gamma-Gamma spends, times in days as the Odoo job passes them.  Prints:
``n`` customers, ``fit_seconds`` (our BG/NBD fit), ``lifetimes_seconds``
(lifetimes' ``BetaGeoFitter`` on the same data, null if lifetimes cannot be
imported: it is a test-only tool, not a dependency), their ``ratio``, both
log-likelihoods (ours on the original data, at each fit's parameters), and
``engine_seconds``: the engine's whole step as the job runs it (CLV models,
RFM scores and segments, churn risk and levels).  A fixed seed; figures, not
assertions.

    python benchmarks/bench_fit.py [--engine PATH]

``--engine`` loads another copy of the engine package (e.g. a previous
version) for a before/after comparison on the same machine.
"""

import argparse
import importlib.util
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ENGINE = Path(__file__).resolve().parents[1] / "crm_relationship_scoring" / "engine"
N = int(os.environ.get("BENCH_FIT_CUSTOMERS", "100000"))
SEED = 20261122
DAYS_PER_MONTH = 365.25 / 12
BGNBD = (1.5, 52.5, 0.5, 8.0)  # r, alpha (days), a, b: as bench_scoring.py
GAMMA_GAMMA = (4.0, 3.0, 300.0)  # p, q, v (currency)


def load_engine(path):
    spec = importlib.util.spec_from_file_location(
        "engine", Path(path) / "__init__.py", submodule_search_locations=[str(path)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["engine"] = module
    spec.loader.exec_module(module)
    return module


def simulate(n, seed):
    """(x, t_x, T, m) of ``n`` customers, ages continuous, in days."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = BGNBD
    p, q, v = GAMMA_GAMMA
    T = rng.uniform(30.0, 1095.0, n)
    k = rng.poisson(rng.gamma(r, 1 / alpha, n) * T)
    x = np.minimum(k, rng.geometric(rng.beta(a, b, n)))
    rep = x > 0
    t_x = np.zeros(n)
    t_x[rep] = T[rep] * rng.beta(x[rep], k[rep] - x[rep] + 1)
    nu = rng.gamma(q, 1 / v, n)
    m = np.zeros(n)
    m[rep] = rng.gamma(p * x[rep], 1 / (x[rep] * nu[rep]))
    return x.astype(float), t_x, T, m


def engine_step(engine, x, t_x, T, m):
    """What the scoring job runs on the extracted arrays (engine only)."""
    scores = engine.clv.score_customers(
        x,
        t_x,
        T,
        m,
        horizon=12 * DAYS_PER_MONTH,
        discount_rate=1.1 ** (1 / 12) - 1,
        time_step=DAYS_PER_MONTH,
    )
    r, f, mv = engine.rfm.rfm_scores(T - t_x, x + 1, (x + 1) * m, bins=5)
    engine.rfm.rfm_segments(r, f, mv)
    risk = engine.churn.churn_risk(scores.p_alive)
    engine.churn.risk_level(risk, (0.3, 0.6))
    return scores


def lifetimes_fit(x, t_x, T):
    try:
        import pandas as pd
        from lifetimes import BetaGeoFitter
    except Exception:  # noqa: BLE001 - any import failure: no comparison
        return None, None
    fitter = BetaGeoFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        fitter.fit(pd.Series(x), pd.Series(t_x), pd.Series(T))
        seconds = time.perf_counter() - started
    return seconds, tuple(float(fitter.params_[k]) for k in ("r", "alpha", "a", "b"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default=str(ENGINE), help="engine package")
    engine = load_engine(parser.parse_args().engine)
    x, t_x, T, m = simulate(N, SEED)
    started = time.perf_counter()
    fit = engine.clv.fit_bgnbd(x, t_x, T)
    fit_seconds = time.perf_counter() - started
    lifetimes_seconds, lifetimes_params = lifetimes_fit(x, t_x, T)
    started = time.perf_counter()
    scores = engine_step(engine, x, t_x, T, m)
    engine_seconds = time.perf_counter() - started
    ours = engine.clv.bgnbd_log_likelihood(fit, x, t_x, T)
    theirs = (
        engine.clv.bgnbd_log_likelihood(lifetimes_params, x, t_x, T)
        if lifetimes_params
        else None
    )
    print(
        json.dumps(
            {
                "n": N,
                "distinct_rows": int(np.unique(T).size),
                "fit_seconds": round(fit_seconds, 4),
                "lifetimes_seconds": lifetimes_seconds and round(lifetimes_seconds, 4),
                "ratio": lifetimes_seconds
                and round(lifetimes_seconds / fit_seconds, 2),
                "log_likelihood": round(ours, 3),
                "lifetimes_log_likelihood": theirs and round(theirs, 3),
                "engine_seconds": round(engine_seconds, 4),
                "method": scores.method,
            }
        )
    )


if __name__ == "__main__":
    main()
