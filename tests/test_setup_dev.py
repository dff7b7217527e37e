"""The set-up script: Odoo discovery, remembered choice, PostgreSQL settings.

These tests build small directory trees shaped like Odoo source trees; they do
not pretend to be Odoo (the Odoo tests run on a real server).

``dev`` is setup/dev.py, which re-exports the functions used here from its
package (setup/crm_setup); a function is patched in the module that defines
it and looks it up (``dev.venv``, ``dev.pg``), not through those aliases.
"""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def make_tree(root: Path, serie="18.0", web=True) -> Path:
    (root / "odoo").mkdir(parents=True)
    (root / "odoo-bin").write_text("#!/usr/bin/env python3\n")
    (root / "odoo" / "release.py").write_text(
        f"version_info = (18, 0, 0, 'final', 0, '')\nserie = {serie!r}\n"
    )
    if web:
        (root / "addons" / "web").mkdir(parents=True)
    (root / "requirements.txt").write_text(
        "cbor2==5.4.2 ; python_version < '3.12'\n"
        "python-ldap==3.4.0 ; sys_platform != 'win32'\n"
        "pytz\n"
    )
    return root


@pytest.fixture
def isolated(dev, tmp_path, monkeypatch):
    """Config, cache and venv of the set-up pointed at empty temporary folders."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("CRM_VENV", str(tmp_path / "no-venv"))
    monkeypatch.delenv("ODOO_SRC", raising=False)
    monkeypatch.setattr(dev.venv, "probe_odoo", lambda python: None)
    return tmp_path


def test_tree_series_reads_release_without_import(dev, tmp_path):
    assert dev.tree_series(make_tree(tmp_path / "o18")) == "18.0"
    assert dev.tree_series(make_tree(tmp_path / "o17", serie="17.0")) == "17.0"
    assert dev.tree_series(tmp_path / "nothing") is None


def test_odoo_src_wins_and_is_validated(dev, isolated, monkeypatch):
    good = make_tree(isolated / "odoo18")
    monkeypatch.setenv("ODOO_SRC", str(good))
    assert dev.find_odoo() == good.resolve()

    monkeypatch.setenv("ODOO_SRC", str(make_tree(isolated / "odoo17", serie="17.0")))
    with pytest.raises(dev.SetupError, match="Odoo 17.0; Odoo 18.0 is required"):
        dev.find_odoo()

    monkeypatch.setenv("ODOO_SRC", str(isolated / "missing"))
    with pytest.raises(dev.SetupError, match="does not exist"):
        dev.find_odoo()

    monkeypatch.setenv("ODOO_SRC", str(make_tree(isolated / "noweb", web=False)))
    with pytest.raises(dev.SetupError, match="incomplete"):
        dev.find_odoo()


def test_choice_is_remembered_outside_the_clone(dev, isolated, monkeypatch):
    tree = make_tree(isolated / "odoo18")
    dev.remember(tree)
    stored = isolated / "config" / "crm_relationship" / "odoo.json"
    assert json.loads(stored.read_text()) == {"odoo_src": str(tree)}
    assert not str(stored).startswith(str(REPO))
    # no ODOO_SRC, nothing importable: the remembered tree is used
    monkeypatch.setattr(
        dev.venv, "network_allows", lambda *a, **k: pytest.fail("no network")
    )
    assert dev.find_odoo() == tree.resolve()


def test_importable_odoo_is_used(dev, isolated, monkeypatch):
    tree = make_tree(isolated / "odoo18")
    monkeypatch.setattr(
        dev.venv, "probe_odoo", lambda python: {"series": "18.0", "path": str(tree)}
    )
    assert dev.find_odoo() == tree


def test_importable_odoo_of_another_series_is_not_used(dev, isolated, monkeypatch):
    monkeypatch.setattr(
        dev.venv, "probe_odoo", lambda python: {"series": "17.0", "path": "/x"}
    )
    monkeypatch.setattr(dev.venv, "network_allows", lambda *a, **k: False)
    with pytest.raises(dev.SetupError):
        dev.find_odoo()


def test_missing_odoo_names_odoo_src_and_official_source(dev, isolated, monkeypatch):
    monkeypatch.setattr(dev.venv, "network_allows", lambda *a, **k: False)
    with pytest.raises(dev.SetupError) as err:
        dev.find_odoo()
    message = str(err.value)
    assert "ODOO_SRC" in message
    assert "https://github.com/odoo/odoo.git" in message
    assert "nightly.odoo.com" in message


def test_network_probe_gives_up_quickly(dev):
    start = time.monotonic()
    # 192.0.2.0/24 is TEST-NET-1: never routed
    assert dev.network_allows((("192.0.2.1", 9),), timeout=1.0) is False
    assert time.monotonic() - start < 5


def test_odoo_requirements_keep_pins_and_drop_unbuildable_ldap(
    dev, tmp_path, monkeypatch
):
    tree = make_tree(tmp_path / "o")
    real_exists = Path.exists
    monkeypatch.setattr(
        Path,
        "exists",
        lambda self: False if str(self) == "/usr/include/ldap.h" else real_exists(self),
    )
    reqs = dev.odoo_requirements(tree)
    assert "cbor2==5.4.2 ; python_version < '3.12'" in reqs
    assert "pytz" in reqs
    assert not any(r.startswith("python-ldap") for r in reqs)


def test_external_postgresql_settings(dev, monkeypatch):
    for var in ("DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD"):
        monkeypatch.delenv(var, raising=False)
    assert dev.external_pg() is None
    monkeypatch.setenv("PGHOST", "db.internal")
    monkeypatch.setenv("PGUSER", "odoo")
    assert dev.external_pg() == {
        "db_host": "db.internal",
        "db_port": "5432",
        "db_user": "odoo",
        "db_password": "",
    }
    monkeypatch.setenv("DATABASE_URL", "postgresql://crm:s%40cret@127.0.0.1:6543/x")
    assert dev.external_pg() == {
        "db_host": "127.0.0.1",
        "db_port": "6543",
        "db_user": "crm",
        "db_password": "s@cret",
    }


def test_pg_port_is_free_and_stable(dev):
    first = dev.choose_pg_port()
    assert 54000 <= first < 55000
    assert dev.port_free(first)
    assert dev.choose_pg_port() == first


def test_config_points_at_the_repo_addons(dev, tmp_path, monkeypatch):
    tree = make_tree(tmp_path / "o")
    (tree / "odoo" / "addons").mkdir()
    monkeypatch.setattr(dev.pg, "LOCAL", tmp_path / "local")
    conf = dev.write_config(
        tree,
        {
            "db_host": "127.0.0.1",
            "db_port": "5555",
            "db_user": "odoo",
            "db_password": "pw",
        },
        "t",
        8069,
    )
    text = conf.read_text()
    assert f"addons_path = {tree}/odoo/addons,{tree}/addons,{REPO}" in text
    assert "db_port = 5555" in text
    assert oct(conf.stat().st_mode & 0o777) == "0o600"


def test_cli_reports_missing_odoo_without_traceback(tmp_path):
    """`setup/dev.py env` with no Odoo and no network: exit 2 and a clear message."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    (venv / ".crm_relationship-requirements").write_text(
        __import__("hashlib")
        .sha256(
            str(REPO / "requirements.txt").encode()
            + (REPO / "requirements.txt").read_bytes()
        )
        .hexdigest()
    )
    env = {k: v for k, v in os.environ.items() if k not in {"ODOO_SRC", "PYTHONPATH"}}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "cfg"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        CRM_VENV=str(venv),
        CRM_OFFLINE="1",
    )
    code = textwrap.dedent(
        f"""
        import runpy, sys
        sys.argv = ["dev.py", "env"]
        mod = runpy.run_path({str(REPO / "setup" / "dev.py")!r}, run_name="not_main")
        mod["probe_odoo"].__globals__["probe_odoo"] = lambda python: None
        sys.exit(mod["main"](["env"]))
        """
    )
    start = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.monotonic() - start < 60
    assert res.returncode == 2, res.stdout + res.stderr
    assert "ODOO_SRC" in res.stderr
    assert "Traceback" not in res.stderr


def test_stale_cluster_lock_is_removed(dev, tmp_path):
    pidfile = tmp_path / "postmaster.pid"
    # a pid that cannot exist (above pid_max) and a lock of a dead server
    pidfile.write_text("99999999\n/x/pgdata\n1700000000\n54321\n")
    dev.clear_stale_lock(pidfile)
    assert not pidfile.exists()
    dev.clear_stale_lock(pidfile)  # nothing to do is fine


def test_lock_of_a_live_non_postgres_process_is_stale(dev, tmp_path):
    pidfile = tmp_path / "postmaster.pid"
    pidfile.write_text(f"{os.getpid()}\n")  # pytest, not postgres: a recycled pid
    dev.clear_stale_lock(pidfile)
    assert not pidfile.exists()


def test_lock_of_a_live_postgres_is_reported(dev, tmp_path):
    sleeper = subprocess.Popen(
        ["bash", "-c", "exec -a postgres sleep 30"], stdout=subprocess.DEVNULL
    )
    try:
        time.sleep(0.2)
        pidfile = tmp_path / "postmaster.pid"
        pidfile.write_text(f"{sleeper.pid}\n")
        with pytest.raises(dev.SetupError, match="make stop"):
            dev.clear_stale_lock(pidfile)
        assert pidfile.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_email_marketing_is_installed_with_the_addons(dev, tmp_path, monkeypatch):
    """The demo and test databases get Email Marketing (the mailing actions
    are tested, not skipped; an update installs it when missing); the
    database installed without demo data does without it."""
    databases = dev.databases
    commands, checked = [], []
    monkeypatch.setattr(databases, "odoo_bin", lambda src: ["odoo-bin"])
    monkeypatch.setattr(
        databases,
        "run",
        lambda cmd, check=True: (
            commands.append(cmd) or subprocess.CompletedProcess(cmd, 0)
        ),
    )
    monkeypatch.setattr(
        databases,
        "_check_installed",
        lambda conf, name, rc, extra=(): checked.append(extra),
    )
    addons = (
        "crm_relationship,crm_relationship_scoring,crm_relationship_survey,"
        "crm_relationship_dashboard"
    )
    databases.install_addons(tmp_path, "c.conf", "t", update=False)
    databases.install_addons(tmp_path, "c.conf", "t", update=True)
    install, update = commands
    assert install[install.index("-i") + 1] == f"{addons},mass_mailing"
    assert update[update.index("-u") + 1] == addons
    # an addon new in this version is installed by the upgrade of a database
    assert update[update.index("-i") + 1] == f"{addons},mass_mailing"
    assert checked == [("mass_mailing",), ("mass_mailing",)]
    monkeypatch.setattr(databases, "REPO", tmp_path)
    monkeypatch.setattr(databases, "LOCAL", tmp_path)
    monkeypatch.setattr(
        databases.subprocess, "Popen", lambda cmd, **kw: commands.append(cmd)
    )
    databases.start_install(tmp_path, "c.conf", "t_nodemo", demo=False)
    nodemo = commands[-1]
    assert nodemo[nodemo.index("-i") + 1] == addons
    assert "mass_mailing" not in nodemo
    assert "--without-demo=all" in nodemo
