"""Fixtures of the engine tests.

The engine is loaded BY PATH, as a standalone package named ``engine``: no
Odoo and no ``crm_relationship_scoring`` import, which is what the addon's
pure-Python contract promises.
"""

import importlib.util
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis.configuration import set_hypothesis_home_dir

REPO = Path(__file__).resolve().parents[2]
ENGINE_DIR = REPO / "crm_relationship_scoring" / "engine"
DATA = Path(__file__).resolve().parent / "data"

# the property tests run without an example database (database=None); keep
# hypothesis' other caches out of the work tree too
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "crm_relationship_hypothesis")


def load_engine():
    spec = importlib.util.spec_from_file_location(
        "engine",
        ENGINE_DIR / "__init__.py",
        submodule_search_locations=[str(ENGINE_DIR)],
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["engine"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def engine():
    """The engine package, loaded from its path."""
    return load_engine()


def _read_csv(name):
    return np.genfromtxt(DATA / name, delimiter=",", names=True)


@pytest.fixture(scope="session")
def cdnow():
    """CDNOW sample summary: 2,357 customers, times in weeks.

    Dict of arrays ``frequency``, ``recency``, ``T`` (repeat purchases, age at
    the last purchase and age at the end of week 39).
    """
    data = _read_csv("cdnow_customers_summary.csv")
    assert data.shape == (2357,)
    return {name: data[name] for name in ("frequency", "recency", "T")}


@pytest.fixture(scope="session")
def cdnow_monetary():
    """CDNOW summary with ``monetary`` (mean repeat transaction value, $)."""
    data = _read_csv("cdnow_customers_summary_with_transactions.csv")
    assert data.shape == (2357,)
    return {
        "frequency": data["x"],
        "recency": data["t_x"],
        "T": data["T"],
        "monetary": data["zbar"],
    }


@pytest.fixture(scope="session")
def cdnow_bgnbd(engine, cdnow):
    return engine.clv.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="session")
def cdnow_gamma_gamma(engine, cdnow_monetary):
    return engine.clv.fit_gamma_gamma(
        cdnow_monetary["frequency"], cdnow_monetary["monetary"]
    )
