"""Lint as part of the test run: ruff and pylint-odoo's mandatory checks.

Zero findings are expected; the output of the tool is the failure message.
"""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ADDONS = [
    "crm_relationship",
    "crm_relationship_scoring",
    "crm_relationship_survey",
    "crm_relationship_dashboard",
]


def _run(*args):
    res = subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True
    )
    return res.returncode, res.stdout + res.stderr


def test_ruff_check():
    code, out = _run("ruff", "check", "--no-fix", ".")
    assert code == 0, out


def test_ruff_format():
    code, out = _run("ruff", "format", "--check", ".")
    assert code == 0, out


@pytest.mark.parametrize("addon", ADDONS)
def test_pylint_odoo_mandatory(addon):
    code, out = _run("pylint", "--rcfile=.pylintrc-mandatory", addon)
    assert code == 0, out
