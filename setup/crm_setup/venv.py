"""The virtual environment and Odoo 18.0: creating the venv, installing
requirements.txt, finding Odoo (``ODOO_SRC``, importable, remembered in
``odoo.json``, downloaded), installing its requirements and the ``odoo-bin``
command line."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from .common import REPO, SetupError, cache_dir, config_dir, file_digest, run, say

ODOO_SERIES = "18.0"
OFFICIAL_GIT = "https://github.com/odoo/odoo.git"
OFFICIAL_HOSTS = (("github.com", 443),)
BUILD_TOOLS = ("setuptools>=58,<70", "wheel", "setuptools_scm<9")
# Pins of Odoo's requirements.txt that cannot be installed on some Pythons.
REQUIREMENT_FIXES = {
    # python-ldap only serves auth_ldap; it needs libldap headers to build.
}


# --------------------------------------------------------------------------
# virtual environment
# --------------------------------------------------------------------------
def venv_dir() -> Path:
    if os.environ.get("CRM_VENV"):
        return Path(os.environ["CRM_VENV"])
    tag = f"py{sys.version_info.major}.{sys.version_info.minor}"
    return cache_dir() / f"venv-{tag}"


def venv_python() -> Path:
    return venv_dir() / "bin" / "python"


def pip_install(args: list[str], quiet=True) -> None:
    cmd = [venv_python(), "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet:
        cmd.append("-q")
    run(cmd + args)


def ensure_venv() -> Path:
    """Create the virtual environment and install requirements.txt (idempotent)."""
    if sys.version_info < (3, 10) or sys.version_info >= (3, 13):
        raise SetupError(
            f"Python {sys.version.split()[0]} is not supported: Odoo 18.0 needs "
            "Python 3.10, 3.11 or 3.12 (run make with PYTHON=python3.11)."
        )
    vdir = venv_dir()
    if not venv_python().exists():
        say(f"creating virtual environment {vdir}")
        vdir.parent.mkdir(parents=True, exist_ok=True)
        run([sys.executable, "-m", "venv", vdir])
        pip_install(["-U", "pip"])
    stamp = vdir / ".crm_relationship-requirements"
    digest = file_digest(REPO / "requirements.txt")
    if not stamp.exists() or stamp.read_text() != digest:
        say("installing requirements.txt")
        pip_install(list(BUILD_TOOLS))
        pip_install(["--no-build-isolation", "-r", REPO / "requirements.txt"])
        stamp.write_text(digest)
    return vdir


# --------------------------------------------------------------------------
# Odoo discovery
# --------------------------------------------------------------------------
PROBE = (
    "import json, os, odoo.release as r; import odoo; "
    "print(json.dumps({'series': r.serie, 'path': os.path.dirname(odoo.__path__[0])}))"
)


def probe_odoo(python: Path | str) -> dict | None:
    """Return {'series', 'path'} of the odoo importable by ``python``."""
    try:
        out = subprocess.run(
            [str(python), "-c", PROBE],
            capture_output=True,
            text=True,
            timeout=120,
            cwd="/",
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def tree_series(src: Path) -> str | None:
    """Series of an Odoo source tree, read from odoo/release.py without importing it."""
    release = src / "odoo" / "release.py"
    if not (src / "odoo-bin").is_file() or not release.is_file():
        return None
    namespace: dict = {}
    try:
        exec(  # release.py of Odoo is plain constants
            compile(release.read_text(), str(release), "exec"), namespace
        )
    except (OSError, SyntaxError, NameError, TypeError, ValueError):
        return None
    return namespace.get("serie")


def check_tree(src: Path, origin: str) -> Path:
    src = src.expanduser().resolve()
    if not src.is_dir():
        raise SetupError(f"{origin}={src} does not exist.")
    series = tree_series(src)
    if series is None:
        raise SetupError(
            f"{origin}={src} is not an Odoo source tree "
            "(expected odoo-bin and odoo/release.py)."
        )
    if series != ODOO_SERIES:
        raise SetupError(
            f"{origin}={src} is Odoo {series}; Odoo {ODOO_SERIES} is required."
        )
    if (
        not (src / "odoo" / "addons" / "web").is_dir()
        and not (src / "addons" / "web").is_dir()
    ):
        raise SetupError(f"{origin}={src} has no 'web' addon: the tree is incomplete.")
    return src


def remembered_file() -> Path:
    return config_dir() / "odoo.json"


def remember(src: Path) -> None:
    remembered_file().parent.mkdir(parents=True, exist_ok=True)
    remembered_file().write_text(json.dumps({"odoo_src": str(src)}, indent=2) + "\n")


def remembered() -> Path | None:
    try:
        data = json.loads(remembered_file().read_text())
    except (OSError, ValueError):
        return None
    return Path(data["odoo_src"]) if data.get("odoo_src") else None


def network_allows(hosts=OFFICIAL_HOSTS, timeout=5.0) -> bool:
    for host, port in hosts:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return True
        except OSError:
            continue
    return False


def missing_odoo_message() -> str:
    return (
        f"Odoo {ODOO_SERIES} Community was not found.\n"
        f"  Provide an Odoo {ODOO_SERIES} source tree (the directory holding odoo-bin) "
        "once, e.g.\n"
        f"      ODOO_SRC=/path/to/odoo-{ODOO_SERIES} make test\n"
        "  (it is remembered in "
        f"{remembered_file()}), or let the set-up download Odoo's official source\n"
        f"  ({OFFICIAL_GIT}, branch {ODOO_SERIES}, or "
        f"https://nightly.odoo.com/{ODOO_SERIES}/nightly/src/) "
        "by giving it network access."
    )


def download_official() -> Path:
    dest = cache_dir() / f"odoo-{ODOO_SERIES}"
    if tree_series(dest) == ODOO_SERIES:
        return dest
    if not shutil.which("git"):
        raise SetupError("git is needed to download Odoo's official source.")
    say(f"downloading Odoo {ODOO_SERIES} from {OFFICIAL_GIT} into {dest}")
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    run(["git", "clone", "--depth", "1", "--branch", ODOO_SERIES, OFFICIAL_GIT, tmp])
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


def find_odoo() -> Path:
    """Return the root of the Odoo 18.0 tree to use (see the package docstring)."""
    env_src = os.environ.get("ODOO_SRC")
    if env_src:
        return check_tree(Path(env_src), "ODOO_SRC")
    found = probe_odoo(venv_python())
    if found and found["series"] == ODOO_SERIES:
        return Path(found["path"])
    src = remembered()
    if src is not None:
        try:
            return check_tree(src, f"the remembered Odoo tree ({remembered_file()})")
        except SetupError as exc:
            say(f"ignoring: {exc}")
    found = probe_odoo(sys.executable)
    if found and found["series"] == ODOO_SERIES:
        return Path(found["path"])
    if os.environ.get("CRM_OFFLINE") != "1" and network_allows():
        return download_official()
    raise SetupError(missing_odoo_message())


def site_packages(python: Path) -> Path:
    out = subprocess.run(
        [
            str(python),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


def odoo_requirements(src: Path) -> list[str]:
    """Odoo's requirements, minus those this machine cannot build."""
    lines = (src / "requirements.txt").read_text().splitlines()
    has_ldap = Path("/usr/include/ldap.h").exists()
    out = []
    for line in lines:
        name = line.split("==")[0].split(";")[0].strip().lower()
        if name == "python-ldap" and not has_ldap:
            continue
        out.append(REQUIREMENT_FIXES.get(line.strip(), line))
    return out


def install_build_headers() -> None:
    """Debian headers for Odoo's sdists (python-ldap), when we may install them."""
    if Path("/usr/include/ldap.h").exists() or os.geteuid() != 0:
        return
    if not shutil.which("apt-get"):
        return
    say("installing libldap2-dev and libsasl2-dev (python-ldap)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    res = run(
        ["apt-get", "install", "-y", "-qq", "libldap2-dev", "libsasl2-dev"],
        check=False,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    if res.returncode != 0:
        say(
            "could not install the ldap headers: "
            "python-ldap (auth_ldap only) is skipped"
        )


def ensure_odoo() -> Path:
    """Make Odoo 18.0 importable in the venv and install its requirements."""
    ensure_venv()
    src = find_odoo()
    python = venv_python()
    found = probe_odoo(python)
    in_venv = found is not None and Path(found["path"]) == src
    req = src / "requirements.txt"
    stamp = venv_dir() / ".crm_relationship-odoo"
    digest = file_digest(req) + str(src)
    if req.exists() and (not stamp.exists() or stamp.read_text() != digest):
        say(f"installing Odoo's requirements from {req}")
        install_build_headers()
        reqs = venv_dir() / "odoo-requirements.txt"
        reqs.write_text("\n".join(odoo_requirements(src)) + "\n")
        pip_install(list(BUILD_TOOLS))
        pip_install(["--no-build-isolation", "-r", reqs])
        stamp.write_text(digest)
    if not in_venv:
        if found is not None:
            raise SetupError(
                "the virtual environment already imports another odoo "
                f"({found['path']});"
                f" remove {venv_dir()} to switch to {src}."
            )
        (site_packages(python) / "odoo_src.pth").write_text(f"{src}\n")
        if probe_odoo(python) is None:
            raise SetupError(f"odoo from {src} does not import in {venv_dir()}.")
    remember(src)
    return src


# --------------------------------------------------------------------------
# Odoo's command line
# --------------------------------------------------------------------------
def addons_path(src: Path) -> str:
    paths = [src / "odoo" / "addons"]
    if (src / "addons").is_dir():
        paths.append(src / "addons")
    paths.append(REPO)
    return ",".join(str(p) for p in paths)


def odoo_bin(src: Path) -> list[str]:
    return [str(venv_python()), str(src / "odoo-bin")]
