#!/usr/bin/env python3
"""Developer set-up for the crm_relationship addons.

One entry point behind ``make run``, ``make test`` and ``make stop``.  It only
uses the standard library so that it can run before any virtual environment
exists.

What it does, in order:

1. **Virtual environment** -- created outside the clone (under
   ``$XDG_CACHE_HOME/crm_relationship``) so that a fresh clone, CI included,
   reuses it; ``requirements.txt`` is (re)installed whenever it changes.
2. **Odoo 18.0** -- found in this order and then *remembered* in
   ``$XDG_CONFIG_HOME/crm_relationship/odoo.json``:

   a. ``ODOO_SRC`` (an Odoo 18.0 source tree: ``odoo-bin`` + ``odoo/``);
   b. an ``odoo`` of series 18.0 already importable by the environment;
   c. the tree remembered by an earlier run;
   d. an ``odoo`` of series 18.0 importable by the system Python;
   e. Odoo's official 18.0 source (github.com/odoo/odoo, branch 18.0) when
      the network allows;

   otherwise it stops with a message naming ``ODOO_SRC`` and the official
   source.  The tree is made importable with a ``.pth`` file (installer builds
   have no ``setup.py``) and its pinned requirements are installed with an old
   setuptools and no build isolation (``cbor2==5.4.2`` and friends need
   ``pkg_resources``).
3. **PostgreSQL** -- ``PGHOST``/``PGPORT``/``DATABASE_URL`` select an existing
   server; otherwise a project-owned cluster lives in ``.local/pgdata``,
   listens on 127.0.0.1 only, on a port of its own, and runs as an
   unprivileged user when invoked as root.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCAL = REPO / ".local"
ADDONS = ("crm_relationship", "crm_relationship_scoring", "crm_relationship_survey")
ODOO_SERIES = "18.0"
OFFICIAL_GIT = "https://github.com/odoo/odoo.git"
OFFICIAL_HOSTS = (("github.com", 443),)
BUILD_TOOLS = ("setuptools>=58,<70", "wheel", "setuptools_scm<9")
# Pins of Odoo's requirements.txt that cannot be installed on some Pythons.
REQUIREMENT_FIXES = {
    # python-ldap only serves auth_ldap; it needs libldap headers to build.
}
RUN_DB = os.environ.get("CRM_DB", "crm_relationship")
TEST_DB = os.environ.get("CRM_TEST_DB", "crm_relationship_test")
#: languages loaded in the demo database of ``make run`` (besides English)
RUN_LANGUAGES = ("zh_CN",)
# installed without demo data by `make test`: no demo record may exist there
NODEMO_DB = f"{TEST_DB}_nodemo"
NODEMO_CHECK = "tests/without_demo/check_no_demo_data.py"
UNINSTALL_CHECK = "tests/without_demo/uninstall_keeps_answers.py"
HTTP_PORT = int(os.environ.get("HTTP_PORT", "8069"))
PG_SUPERUSER = "odoo"
PG_SYSTEM_USER = os.environ.get("CRM_PG_SYSTEM_USER", "postgres")


class SetupError(Exception):
    """A problem the user must fix; printed without a traceback."""


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------
def say(msg: str) -> None:
    print(f"[crm_relationship] {msg}", flush=True)


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "crm_relationship"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "crm_relationship"


def venv_dir() -> Path:
    if os.environ.get("CRM_VENV"):
        return Path(os.environ["CRM_VENV"])
    tag = f"py{sys.version_info.major}.{sys.version_info.minor}"
    return cache_dir() / f"venv-{tag}"


def venv_python() -> Path:
    return venv_dir() / "bin" / "python"


def run(cmd, check=True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], check=check, **kw)


def file_digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(str(p).encode())
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()


# --------------------------------------------------------------------------
# virtual environment
# --------------------------------------------------------------------------
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
    """Return the root of the Odoo 18.0 tree to use (see module docstring)."""
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


def addons_path(src: Path) -> str:
    paths = [src / "odoo" / "addons"]
    if (src / "addons").is_dir():
        paths.append(src / "addons")
    paths.append(REPO)
    return ",".join(str(p) for p in paths)


# --------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------
def external_pg() -> dict | None:
    """Connection settings given by the environment, if any."""
    url = os.environ.get("DATABASE_URL")
    if url:
        u = urllib.parse.urlparse(url)
        return {
            "db_host": u.hostname or "",
            "db_port": str(u.port or 5432),
            "db_user": urllib.parse.unquote(u.username or ""),
            "db_password": urllib.parse.unquote(u.password or ""),
        }
    if os.environ.get("PGHOST") or os.environ.get("PGPORT"):
        return {
            "db_host": os.environ.get("PGHOST", ""),
            "db_port": os.environ.get("PGPORT", "5432"),
            "db_user": os.environ.get("PGUSER", ""),
            "db_password": os.environ.get("PGPASSWORD", ""),
        }
    return None


def pg_bindir() -> Path:
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for c in candidates:
        if (
            (c / "initdb").exists()
            and (c / "pg_ctl").exists()
            and (c / "postgres").exists()
        ):
            return c
    raise SetupError(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres >= 13) were not found: "
        "install Debian's postgresql package, set PG_BINDIR, or point PGHOST/PGPORT "
        "(or DATABASE_URL) at an existing server."
    )


def pg_paths() -> dict:
    return {
        "data": LOCAL / "pgdata",
        "log": LOCAL / "postgresql.log",
        "port": LOCAL / "pg.port",
        "password": LOCAL / "pg.password",
    }


def port_free(port: int, host="127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def choose_pg_port() -> int:
    """A port of our own: derived from the clone's path, the next free one if taken."""
    base = 54000 + int(hashlib.sha256(str(REPO).encode()).hexdigest(), 16) % 900
    for port in range(base, base + 100):
        if port_free(port):
            return port
    raise SetupError(
        "no free TCP port found for the embedded PostgreSQL (54000-55000)."
    )


def pg_system_user():
    """The unprivileged account the server runs as when we are root, else None."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError as exc:
        raise SetupError(
            f"PostgreSQL refuses to run as root and the system user '{PG_SYSTEM_USER}'"
            " does not exist: create it (adduser --system postgres) or set "
            "CRM_PG_SYSTEM_USER to another unprivileged user."
        ) from exc


def pg_run(cmd, **kw) -> subprocess.CompletedProcess:
    """Run a PostgreSQL command, as the unprivileged system user when root."""
    user = pg_system_user()
    if user is not None:
        kw.update(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
        kw["env"] = dict(kw.get("env") or os.environ, HOME=user.pw_dir)
        kw.setdefault("cwd", "/")
    kw.setdefault("check", False)
    return subprocess.run([str(c) for c in cmd], **kw)


def pg_running(bindir: Path) -> bool:
    paths = pg_paths()
    if not (paths["data"] / "PG_VERSION").exists():
        return False
    res = pg_run(
        [bindir / "pg_ctl", "status", "-D", paths["data"]], capture_output=True
    )
    return res.returncode == 0


def pg_accessible_by_user(path: Path) -> bool:
    if os.geteuid() != 0:
        return True
    return pg_run(["test", "-w", path], capture_output=True).returncode == 0


def init_cluster(bindir: Path) -> None:
    paths = pg_paths()
    data = paths["data"]
    LOCAL.mkdir(exist_ok=True)
    user = pg_system_user()
    if user is not None:
        if not pg_accessible_by_user(LOCAL):
            os.chown(LOCAL, user.pw_uid, user.pw_gid)
        if not pg_accessible_by_user(LOCAL):
            raise SetupError(
                f"the unprivileged user '{PG_SYSTEM_USER}' cannot reach {LOCAL} "
                "(a parent directory is not searchable): clone the project under a "
                "world-searchable directory, or point PGHOST/PGPORT at a server."
            )
    password = secrets.token_urlsafe(24)
    paths["password"].write_text(password)
    paths["password"].chmod(0o600)
    pwfile = LOCAL / ".pwfile"
    pwfile.write_text(password + "\n")
    if user is not None:
        os.chown(pwfile, user.pw_uid, user.pw_gid)
    pwfile.chmod(0o600)
    say(f"initialising the embedded PostgreSQL cluster in {data}")
    try:
        res = pg_run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                PG_SUPERUSER,
                "--pwfile",
                str(pwfile),
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            capture_output=True,
            text=True,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    if res.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        raise SetupError(f"initdb failed:\n{res.stdout}{res.stderr}")


def clear_stale_lock(pidfile: Path) -> None:
    """Remove the lock file a crashed or killed server left behind.

    A lock whose process still runs a postgres server is not stale: that is a
    server pg_ctl cannot see (another data directory or user), and we stop
    with a message instead of corrupting anything.
    """
    if not pidfile.exists():
        return
    lines = pidfile.read_text(errors="replace").splitlines()
    pid = lines[0].strip() if lines else ""
    cmdline = Path(f"/proc/{pid}/cmdline") if pid.isdigit() else None
    if cmdline is not None and cmdline.exists():
        try:
            alive_postgres = b"postgres" in cmdline.read_bytes()
        except OSError:
            alive_postgres = False
        if alive_postgres:
            raise SetupError(
                f"{pidfile} belongs to the running PostgreSQL process {pid}, which "
                "pg_ctl does not recognise: stop that process (make stop) and retry."
            )
    say(f"removing the stale lock {pidfile} (its server is not running)")
    pidfile.unlink()


def start_pg() -> dict:
    """Start (or reuse) the embedded cluster; return Odoo's db_* settings."""
    ext = external_pg()
    if ext is not None:
        return ext
    bindir = pg_bindir()
    paths = pg_paths()
    if not (paths["data"] / "PG_VERSION").exists():
        init_cluster(bindir)
    password = paths["password"].read_text().strip()
    if pg_running(bindir):
        port = int(paths["port"].read_text())
    else:
        port = choose_pg_port()
        paths["port"].write_text(str(port))
        clear_stale_lock(paths["data"] / "postmaster.pid")
        opts = (
            f"-c listen_addresses=127.0.0.1 -c port={port} "
            "-c unix_socket_directories='' -c fsync=off -c full_page_writes=off "
            "-c synchronous_commit=off -c max_connections=100"
        )
        user = pg_system_user()
        if user is not None:
            paths["log"].touch()
            os.chown(paths["log"], user.pw_uid, -1)
        res = pg_run(
            [
                str(bindir / "pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(paths["data"]),
                "-l",
                str(paths["log"]),
                "-o",
                opts,
            ],
            capture_output=True,
            text=True,
        )
        if res.returncode != 0:
            tail = ""
            if paths["log"].exists():
                tail = "\n".join(
                    paths["log"].read_text(errors="replace").splitlines()[-15:]
                )
            raise SetupError(
                f"the embedded PostgreSQL did not start on 127.0.0.1:{port}.\n{tail}"
            )
        say(f"embedded PostgreSQL listening on 127.0.0.1:{port}")
    return {
        "db_host": "127.0.0.1",
        "db_port": str(port),
        "db_user": PG_SUPERUSER,
        "db_password": password,
    }


def stop_pg() -> None:
    paths = pg_paths()
    if not (paths["data"] / "PG_VERSION").exists():
        say("no embedded PostgreSQL cluster in .local/")
        return
    bindir = pg_bindir()
    if not pg_running(bindir):
        say("the embedded PostgreSQL is not running")
        return
    res = pg_run([bindir / "pg_ctl", "stop", "-m", "fast", "-D", paths["data"]])
    if res.returncode != 0:
        raise SetupError("could not stop the embedded PostgreSQL (see above).")
    say("embedded PostgreSQL stopped")


# --------------------------------------------------------------------------
# Odoo configuration and databases
# --------------------------------------------------------------------------
def write_config(src: Path, db: dict, name: str, http_port: int) -> Path:
    LOCAL.mkdir(exist_ok=True)
    conf = LOCAL / f"odoo-{name}.conf"
    lines = [
        "[options]",
        f"addons_path = {addons_path(src)}",
        f"data_dir = {LOCAL / 'data'}",
        f"db_host = {db['db_host'] or 'False'}",
        f"db_port = {db['db_port'] or 'False'}",
        f"db_user = {db['db_user'] or 'False'}",
        f"db_password = {db['db_password'] or 'False'}",
        "admin_passwd = admin",
        "list_db = False",
        f"http_port = {http_port}",
        "http_interface = 127.0.0.1",
        "max_cron_threads = 1",
    ]
    conf.write_text("\n".join(lines) + "\n")
    conf.chmod(0o600)
    return conf


def odoo_bin(src: Path) -> list[str]:
    return [str(venv_python()), str(src / "odoo-bin")]


def psql_env(db: dict) -> dict:
    env = dict(os.environ)
    for key, var in (
        ("db_host", "PGHOST"),
        ("db_port", "PGPORT"),
        ("db_user", "PGUSER"),
        ("db_password", "PGPASSWORD"),
    ):
        if db.get(key):
            env[var] = db[key]
    return env


def db_query(db: dict, sql: str, dbname="postgres") -> str:
    code = (
        "import os, sys, psycopg2\n"
        "kw = {k: os.environ[v] for k, v in (('host','PGHOST'),('port','PGPORT'),"
        "('user','PGUSER'),('password','PGPASSWORD')) if os.environ.get(v)}\n"
        "c = psycopg2.connect(dbname=sys.argv[1], **kw); c.autocommit = True\n"
        "cr = c.cursor(); cr.execute(sys.argv[2])\n"
        "print('\\n'.join('|'.join(map(str, r)) for r in (cr.fetchall() "
        "if cr.description else [])))\n"
    )
    res = subprocess.run(
        [str(venv_python()), "-c", code, dbname, sql],
        env=psql_env(db),
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        raise SetupError(
            f"PostgreSQL query failed: {res.stderr.strip().splitlines()[-1]}"
        )
    return res.stdout.strip()


def db_exists(db: dict, name: str) -> bool:
    return bool(db_query(db, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))


def drop_db(db: dict, name: str) -> None:
    db_query(db, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(LOCAL / "data" / "filestore" / name, ignore_errors=True)


def _install_cmd(src: Path, conf: Path, name: str, update: bool, demo: bool):
    cmd = odoo_bin(src) + ["-c", conf, "-d", name, "--stop-after-init", "--no-http"]
    cmd += ["-u" if update else "-i", ",".join(ADDONS)]
    if not demo:
        cmd.append("--without-demo=all")
    cmd += ["--log-level=warn"]
    return cmd


def install_addons(
    src: Path,
    conf: Path,
    name: str,
    update: bool,
    demo: bool = True,
    languages: tuple[str, ...] = (),
) -> None:
    cmd = _install_cmd(src, conf, name, update, demo)
    say(("upgrading" if update else "installing") + f" {', '.join(ADDONS)} in '{name}'")
    res = run(cmd, check=False)
    _check_installed(conf, name, res.returncode)
    if languages and not update:
        load_languages(src, conf, name, languages)


def load_languages(src: Path, conf: Path, name: str, languages) -> None:
    """Install the translations of ``languages`` (users keep English; later
    updates of the addons refresh every installed language). Odoo's
    ``--load-language`` would make the first one the default of every user."""
    say(f"loading the translations of {', '.join(languages)} in '{name}'")
    script = (
        "langs = env['res.lang'].with_context(active_test=False).search("
        f"[('code', 'in', {list(languages)!r})])\n"
        "env['base.language.install'].create("
        "{'lang_ids': [(6, 0, langs.ids)], 'overwrite': False}).lang_install()\n"
        "env.cr.commit()\n"
    )
    cmd = odoo_bin(src) + ["shell", "-c", conf, "-d", name, "--no-http"]
    cmd += ["--log-level=warn"]
    res = subprocess.run([str(c) for c in cmd], input=script, text=True, check=False)
    if res.returncode != 0:
        raise SetupError(f"loading {', '.join(languages)} in '{name}' failed.")


def start_install(src: Path, conf: Path, name: str, demo: bool):
    """Install the addons in a fresh database ``name`` in the background
    (output in .local/install-<name>.log); finish with :func:`finish_install`."""
    log = LOCAL / f"install-{name}.log"
    say(
        f"installing {', '.join(ADDONS)} in '{name}'"
        + ("" if demo else " without demo data")
        + f" in the background ({log.relative_to(REPO)})"
    )
    with open(log, "w") as out:
        cmd = _install_cmd(src, conf, name, False, demo)
        proc = subprocess.Popen(
            [str(c) for c in cmd], stdout=out, stderr=subprocess.STDOUT
        )
    return proc, log


def finish_install(conf: Path, name: str, started) -> None:
    proc, log = started
    returncode = proc.wait()
    if returncode != 0:
        print(log.read_text()[-4000:], file=sys.stderr, flush=True)
    _check_installed(conf, name, returncode)


def _check_installed(conf: Path, name: str, returncode: int) -> None:
    if returncode != 0:
        raise SetupError(
            f"installing the addons in database '{name}' failed (see above)."
        )
    states = db_query(
        {**read_conf(conf)},
        "SELECT name, state FROM ir_module_module WHERE name IN "
        + "("
        + ",".join(f"'{a}'" for a in ADDONS)
        + ")",
        dbname=name,
    )
    bad = [r for r in states.splitlines() if not r.endswith("|installed")]
    if bad or len(states.splitlines()) != len(ADDONS):
        raise SetupError(f"addons not installed in '{name}': {states}")


def read_conf(conf: Path) -> dict:
    out = {}
    for line in conf.read_text().splitlines():
        if "=" in line:
            k, v = (x.strip() for x in line.split("=", 1))
            if k.startswith("db_"):
                out[k] = "" if v == "False" else v
    return out


# --------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------
def cmd_env(_args) -> int:
    src = ensure_odoo()
    say(f"Odoo {ODOO_SERIES}: {src}")
    say(f"virtual environment: {venv_dir()}")
    return 0


def cmd_run(args) -> int:
    src = ensure_odoo()
    db = start_pg()
    port = args.port
    if not port_free(port) or not port_free(port, "0.0.0.0"):
        raise SetupError(
            f"port {port} is already in use (another Odoo?): stop it, or choose "
            "another port with 'make run HTTP_PORT=8070'."
        )
    conf = write_config(src, db, "run", port)
    install_addons(
        src,
        conf,
        RUN_DB,
        update=db_exists(db, RUN_DB) and _has_addons(db),
        languages=RUN_LANGUAGES,
    )
    url = f"http://localhost:{port}"
    say(
        f"Odoo is starting on {url}  "
        f"(database '{RUN_DB}', login: admin / password: admin)"
    )
    say("stop with Ctrl+C; 'make stop' also stops the embedded PostgreSQL")
    cmd = odoo_bin(src) + ["-c", conf, "-d", RUN_DB, "--db-filter", f"^{RUN_DB}$"]
    if args.dry_run:
        return 0
    proc = subprocess.Popen(cmd)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        return proc.wait()


def _has_addons(db: dict) -> bool:
    try:
        out = db_query(
            db,
            "SELECT count(*) FROM ir_module_module "
            "WHERE state = 'installed' AND name = 'crm_relationship'",
            dbname=RUN_DB,
        )
    except SetupError:
        return False
    return out.strip() == "1"


def ensure_chromium() -> None:
    for name in (
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ):
        if shutil.which(name):
            return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing Debian's chromium for the browser tests")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update", "-qq"], check=False, env=env)
        res = run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env)
        if res.returncode == 0 and shutil.which("chromium"):
            return
    raise SetupError(
        "Chromium is needed by the browser tests (HttpCase tours): install Debian's "
        "'chromium' package (apt-get install chromium)."
    )


def uninstall_check(src: Path, conf: Path) -> int:
    """Uninstall and reinstall the survey addon for real on the scratch
    database installed without demo (after its checks): the customers' answers
    must survive (``UNINSTALL_CHECK`` says what is checked)."""
    cmd = odoo_bin(src) + ["shell", "-c", conf, "-d", NODEMO_DB, "--no-http"]
    cmd += ["--log-level=warn"]
    script = (REPO / UNINSTALL_CHECK).read_text()
    res = subprocess.run(
        [str(c) for c in cmd], input=script, text=True, check=False, cwd=REPO
    )
    return res.returncode


def cmd_test(args) -> int:
    ensure_venv()
    py = str(venv_python())
    plugins = ["-p", "no:cacheprovider", "-p", "strict_skips"]
    env = dict(os.environ, PYTHONPATH=str(REPO / "tests" / "plugins"))
    say("1/3 pure-Python tests (tests/)")
    pure = run(
        [
            py,
            "-m",
            "pytest",
            *plugins,
            "-p",
            "no:odoo",
            "tests",
            "--ignore=tests/lint",
            "-q",
        ],
        check=False,
        cwd=REPO,
        env=env,
    )
    src = ensure_odoo()
    ensure_chromium()
    db = start_pg()
    conf = write_config(src, db, "test", 0)
    # a full run also checks that a database installed without demo data gets
    # none of the addons' demo records (installed meanwhile, in the background)
    nodemo = None
    if not args.pytest_args:
        drop_db(db, NODEMO_DB)
        nodemo = start_install(src, conf, NODEMO_DB, demo=False)
    say(f"2/3 fresh test database '{TEST_DB}'")
    drop_db(db, TEST_DB)
    install_addons(src, conf, TEST_DB, update=False)
    odoo_pytest = [py, "-m", "pytest", *plugins, "--odoo-config", conf]
    checked = None
    uninstalled = 0
    if nodemo:
        finish_install(conf, NODEMO_DB, nodemo)
        say(f"no demo data in '{NODEMO_DB}' (installed without demo)")
        checked = run(
            odoo_pytest
            + ["--odoo-database", NODEMO_DB, "--odoo-log-level", "warn", "-q"]
            + ["-rfEs", NODEMO_CHECK],
            check=False,
            cwd=REPO,
            env=env,
        )
        say(f"uninstall and reinstall of crm_relationship_survey in '{NODEMO_DB}'")
        uninstalled = uninstall_check(src, conf)
    say(
        "3/3 Odoo tests (pytest-odoo: at_install + post_install, browser tours) "
        "and lint"
    )
    targets = [a for a in ADDONS] + ["tests/lint"]
    if args.pytest_args:
        targets = args.pytest_args
    res = run(
        odoo_pytest
        + [
            "--odoo-database",
            TEST_DB,
            "--odoo-http",
            "--odoo-log-level",
            "warn",
            "-q",
            "-rfEs",
            *targets,
        ],
        check=False,
        cwd=REPO,
        env=env,
    )
    if pure.returncode != 0:
        say("the pure-Python tests failed (see above)")
        return pure.returncode or 1
    if checked is not None and checked.returncode != 0:
        say(f"demo data found in '{NODEMO_DB}', installed without demo (see above)")
        return checked.returncode
    if checked is not None and uninstalled != 0:
        say("uninstalling crm_relationship_survey lost customer data (see above)")
        return uninstalled
    return res.returncode


def cmd_lint(_args) -> int:
    ensure_venv()
    env = dict(os.environ, PYTHONPATH=str(REPO / "tests" / "plugins"))
    res = run(
        [venv_python(), "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:odoo"]
        + ["-p", "strict_skips", "-q", "tests/lint"],
        check=False,
        cwd=REPO,
        env=env,
    )
    return res.returncode


def cmd_i18n(args) -> int:
    """Export the addons' .pot files from the test database (after `make test`).

    ``python3 setup/dev.py i18n crm_relationship`` exports only that addon.
    """
    unknown = sorted(set(args.addons) - set(ADDONS))
    if unknown:
        say(f"unknown addon(s): {', '.join(unknown)}; choose from {', '.join(ADDONS)}")
        return 2
    src = ensure_odoo()
    db = start_pg()
    conf = write_config(src, db, "test", 0)
    if not db_exists(db, TEST_DB):
        install_addons(src, conf, TEST_DB, update=False)
    for addon in args.addons or ADDONS:
        pot = REPO / addon / "i18n" / f"{addon}.pot"
        pot.parent.mkdir(exist_ok=True)
        cmd = odoo_bin(src) + [
            "-c",
            conf,
            "-d",
            TEST_DB,
            "--no-http",
            "--log-level=warn",
        ]
        cmd += ["--modules", addon, "--i18n-export", pot, "--stop-after-init"]
        run(cmd)
        say(f"wrote {pot.relative_to(REPO)}")
    return 0


def cmd_bench(args) -> int:
    """Run the benchmarks/ scripts in ``odoo-bin shell`` on the test database
    (those that say "(plain Python, no Odoo)" with the project's Python).

    Each script prints its figures and rolls its data back.
    """
    src = ensure_odoo()
    db = start_pg()
    conf = write_config(src, db, "test", 0)
    if not db_exists(db, TEST_DB):
        install_addons(src, conf, TEST_DB, update=False)
    scripts = [Path(s) for s in args.scripts] or sorted(
        (REPO / "benchmarks").glob("bench_*.py")
    )
    status = 0
    for script in scripts:
        say(f"benchmark {script.name}")
        if "(plain Python, no Odoo)" in script.read_text(encoding="utf-8"):
            res = run([venv_python(), script], check=False, cwd=REPO)
            status = status or res.returncode
            continue
        cmd = odoo_bin(src) + ["shell", "-c", conf, "-d", TEST_DB]
        cmd += ["--no-http", "--log-level=warn"]
        with open(script, encoding="utf-8") as stdin:
            res = run(cmd, check=False, stdin=stdin)
        status = status or res.returncode
    return status


def cmd_screenshots(args) -> int:
    """Take the README's screenshots from the server of ``make run``."""
    ensure_venv()
    res = run(
        [str(venv_python()), str(REPO / "setup" / "screenshots.py"), *args.options],
        check=False,
        cwd=REPO,
    )
    return res.returncode


def cmd_stop(_args) -> int:
    if external_pg() is None:
        stop_pg()
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    args = parser.parse_args(argv)
    handlers = {
        "env": cmd_env,
        "run": cmd_run,
        "test": cmd_test,
        "stop": cmd_stop,
        "i18n": cmd_i18n,
        "lint": cmd_lint,
        "bench": cmd_bench,
        "screenshots": cmd_screenshots,
        "pg": lambda a: print(json.dumps(start_pg(), indent=2)) or 0,
    }
    try:
        return handlers[args.command](args)
    except SetupError as exc:
        print(f"\n[crm_relationship] ERROR: {exc}\n", file=sys.stderr, flush=True)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"\n[crm_relationship] ERROR: command failed: {exc}", file=sys.stderr)
        return exc.returncode or 1


if __name__ == "__main__":
    sys.exit(main())
