"""The command line of ``setup/dev.py``: argparse and :func:`main`."""

from __future__ import annotations

import argparse
import subprocess
import sys

from .commands import (
    HTTP_PORT,
    cmd_bench,
    cmd_env,
    cmd_i18n,
    cmd_lint,
    cmd_pg,
    cmd_run,
    cmd_screenshots,
    cmd_stop,
    cmd_test,
)
from .common import SetupError

HANDLERS = {
    "env": cmd_env,
    "run": cmd_run,
    "test": cmd_test,
    "stop": cmd_stop,
    "i18n": cmd_i18n,
    "lint": cmd_lint,
    "bench": cmd_bench,
    "screenshots": cmd_screenshots,
    "pg": cmd_pg,
}


def build_parser() -> argparse.ArgumentParser:
    # the first line of the package's documentation (crm_setup/__init__.py)
    doc = sys.modules[__package__].__doc__
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("env", help="create the venv and make Odoo 18.0 available")
    p_run = sub.add_parser(
        "run", help="create/upgrade the demo database and serve Odoo"
    )
    p_run.add_argument("--port", type=int, default=HTTP_PORT)
    p_run.add_argument("--dry-run", action="store_true", help=argparse.SUPPRESS)
    p_test = sub.add_parser("test", help="pure tests, Odoo tests on a fresh db, lint")
    p_test.add_argument("pytest_args", nargs="*")
    sub.add_parser("pg", help="start the embedded PostgreSQL and print its settings")
    sub.add_parser("stop", help="stop the embedded PostgreSQL")
    p_i18n = sub.add_parser("i18n", help="export the addons' .pot files")
    p_i18n.add_argument("addons", nargs="*", help="only these addons")
    sub.add_parser("lint", help="ruff and pylint-odoo's mandatory checks")
    p_bench = sub.add_parser("bench", help="run the benchmarks/ scripts")
    p_bench.add_argument("scripts", nargs="*")
    p_shots = sub.add_parser(
        "screenshots", help="screenshots of the running demo (docs/screenshots)"
    )
    p_shots.add_argument("options", nargs=argparse.REMAINDER)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return HANDLERS[args.command](args)
    except SetupError as exc:
        print(f"\n[crm_relationship] ERROR: {exc}\n", file=sys.stderr, flush=True)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"\n[crm_relationship] ERROR: command failed: {exc}", file=sys.stderr)
        return exc.returncode or 1
