#!/usr/bin/env python3
"""Developer set-up for the crm_relationship addons: ``python3 setup/dev.py
<command>``, what ``make run``, ``make test``, ``make stop``... call.

A thin entry point: the set-up (standard library only) is the package
``crm_setup`` next to this file, documented in ``crm_setup/__init__.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

_SETUP = str(Path(__file__).resolve().parent)
if _SETUP not in sys.path:  # loaded by path (tests, runpy) rather than run
    sys.path.insert(0, _SETUP)

# the modules, and the names tests/test_setup_dev.py uses. Patch a name in the
# module that defines it (venv.probe_odoo, pg.LOCAL), not through these aliases;
# LOCAL is deliberately not re-exported, so that patching dev.LOCAL fails
# instead of letting a test write into the clone's .local/.
from crm_setup import cli, commands, common, databases, pg, venv  # noqa: E402
from crm_setup.cli import main  # noqa: E402
from crm_setup.common import SetupError  # noqa: E402
from crm_setup.pg import (  # noqa: E402
    choose_pg_port,
    clear_stale_lock,
    external_pg,
    port_free,
    write_config,
)
from crm_setup.venv import (  # noqa: E402
    find_odoo,
    network_allows,
    odoo_requirements,
    probe_odoo,
    remember,
    tree_series,
)

__all__ = [
    "SetupError",
    "choose_pg_port",
    "clear_stale_lock",
    "cli",
    "commands",
    "common",
    "databases",
    "external_pg",
    "find_odoo",
    "main",
    "network_allows",
    "odoo_requirements",
    "pg",
    "port_free",
    "probe_odoo",
    "remember",
    "tree_series",
    "venv",
    "write_config",
]

if __name__ == "__main__":
    sys.exit(main())
