"""The commands of ``setup/dev.py`` (``make run``, ``make test``, ...): each
``cmd_<name>(args)`` returns the exit code; a :class:`SetupError` it raises is
printed by the command line (:mod:`.cli`) without a traceback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

from .common import ADDONS, REPO, SetupError, run, say
from .databases import (
    db_exists,
    db_query,
    drop_db,
    finish_install,
    install_addons,
    start_install,
)
from .pg import external_pg, port_free, start_pg, stop_pg, write_config
from .venv import ODOO_SERIES, ensure_odoo, ensure_venv, odoo_bin, venv_dir, venv_python

RUN_DB = os.environ.get("CRM_DB", "crm_relationship")
TEST_DB = os.environ.get("CRM_TEST_DB", "crm_relationship_test")
#: languages loaded in the demo database of ``make run`` (besides English)
RUN_LANGUAGES = ("zh_CN",)
# installed without demo data by `make test`: no demo record may exist there
NODEMO_DB = f"{TEST_DB}_nodemo"
NODEMO_CHECK = "tests/without_demo/check_no_demo_data.py"
UNINSTALL_CHECK = "tests/without_demo/uninstall_keeps_answers.py"
HTTP_PORT = int(os.environ.get("HTTP_PORT", "8069"))


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
    # the demo's users live in Brussels, while the order days of the suite are
    # the UTC dates of the orders: between 23:00 and 00:00 UTC "today" would be
    # a day ahead of the orders' days for them and the tests would depend on
    # the hour they run at. The tests run with every user in UTC.
    db_query(
        db,
        "UPDATE res_partner SET tz = 'UTC' "
        "WHERE id IN (SELECT partner_id FROM res_users)",
        dbname=TEST_DB,
    )
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
    bench = 0
    if not args.pytest_args and res.returncode == 0:
        # after passing tests only: a failing run has said enough
        say(
            "benchmark scripts at a small size: they run whole (make bench "
            "gives their figures)"
        )
        bench = run_benchmarks(
            src,
            db,
            conf,
            sorted((REPO / "benchmarks").glob("bench_*.py")),
            env=dict(os.environ, **SMOKE_SIZES),
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
    if bench != 0:
        say("a benchmark script failed (see above)")
        return bench
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
    """Run the benchmarks/ scripts in ``odoo-bin shell`` (those that say
    "(plain Python, no Odoo)" with the project's Python).

    Each Odoo script runs on a scratch copy of the test database
    (``<test database>_bench``, a PostgreSQL template copy, dropped
    afterwards), so that a script may commit between steps as the scheduled
    actions do; the test database itself is left as it was.
    """
    src = ensure_odoo()
    db = start_pg()
    conf = write_config(src, db, "test", 0)
    if not db_exists(db, TEST_DB):
        install_addons(src, conf, TEST_DB, update=False)
    scripts = [Path(s) for s in args.scripts] or sorted(
        (REPO / "benchmarks").glob("bench_*.py")
    )
    return run_benchmarks(src, db, conf, scripts)


#: the sizes of the benchmarks' smoke run of ``make test``: each script runs
#: whole on a few hundred customers (its figures mean nothing there)
SMOKE_SIZES = {
    "BENCH_PARTNERS": "400",
    "BENCH_PRODUCTS": "40",
    "BENCH_BATCH": "150",
    "BENCH_FIT_CUSTOMERS": "3000",
    "BENCH_RULES_PARTNERS": "300",
}


def run_benchmarks(src, db, conf, scripts, env=None) -> int:
    """Run the benchmark ``scripts``, each Odoo one in ``odoo-bin shell`` on a
    scratch copy of the test database; returns the first failing status."""
    scratch = f"{TEST_DB}_bench"
    status = 0
    for script in scripts:
        say(f"benchmark {script.name}")
        if "(plain Python, no Odoo)" in script.read_text(encoding="utf-8"):
            res = run([venv_python(), script], check=False, cwd=REPO, env=env)
            status = status or res.returncode
            continue
        drop_db(db, scratch)
        try:
            db_query(db, f'CREATE DATABASE "{scratch}" TEMPLATE "{TEST_DB}"')
        except SetupError as exc:
            raise SetupError(
                f"could not copy '{TEST_DB}' for the benchmark ({exc}): is "
                "another command using it?"
            ) from None
        try:
            cmd = odoo_bin(src) + ["shell", "-c", conf, "-d", scratch]
            cmd += ["--no-http", "--log-level=warn"]
            with open(script, encoding="utf-8") as stdin:
                res = run(cmd, check=False, stdin=stdin, env=env)
        finally:
            drop_db(db, scratch)
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


def cmd_pg(_args) -> int:
    print(json.dumps(start_pg(), indent=2))
    return 0
