import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def dev():
    """setup/dev.py, loaded by path (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("crm_dev", REPO / "setup" / "dev.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["crm_dev"] = module
    spec.loader.exec_module(module)
    return module
