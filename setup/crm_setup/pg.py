"""PostgreSQL: the server given by ``PGHOST``/``PGPORT``/``DATABASE_URL``, or
the project-owned cluster in ``.local/pgdata`` (created, started on a port of
its own, run as an unprivileged user when root, stopped), and the connection
settings handed to Odoo (its configuration file) and to psycopg2."""

from __future__ import annotations

import hashlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import urllib.parse
from pathlib import Path

from .common import LOCAL, REPO, SetupError, say
from .venv import addons_path

PG_SUPERUSER = "odoo"
PG_SYSTEM_USER = os.environ.get("CRM_PG_SYSTEM_USER", "postgres")


# --------------------------------------------------------------------------
# the server: given by the environment, or the embedded cluster
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
# connection settings: Odoo configuration file, libpq environment
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


def read_conf(conf: Path) -> dict:
    out = {}
    for line in conf.read_text().splitlines():
        if "=" in line:
            k, v = (x.strip() for x in line.split("=", 1))
            if k.startswith("db_"):
                out[k] = "" if v == "False" else v
    return out


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
