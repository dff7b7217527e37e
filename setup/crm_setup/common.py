"""What every part of the set-up shares: the clone's paths, the addons, the
error shown without a traceback, messages and subprocesses."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

#: the clone (this file is setup/crm_setup/common.py)
REPO = Path(__file__).resolve().parents[2]
LOCAL = REPO / ".local"
ADDONS = (
    "crm_relationship",
    "crm_relationship_scoring",
    "crm_relationship_survey",
    "crm_relationship_dashboard",
)


class SetupError(Exception):
    """A problem the user must fix; printed without a traceback."""


def say(msg: str) -> None:
    print(f"[crm_relationship] {msg}", flush=True)


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "crm_relationship"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "crm_relationship"


def run(cmd, check=True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], check=check, **kw)


def file_digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(str(p).encode())
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()
