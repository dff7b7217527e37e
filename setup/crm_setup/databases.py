"""The project's databases: queries, dropping, and installing the addons
(in the foreground, or in the background while something else runs)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .common import ADDONS, LOCAL, REPO, SetupError, run, say
from .pg import psql_env, read_conf
from .venv import odoo_bin, venv_python

#: Odoo applications installed with the addons in the databases of `make run`
#: and `make test` (not dependencies: the addons use them when installed; the
#: database installed without demo data does without them)
OPTIONAL_MODULES = ("mass_mailing",)


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


def _install_cmd(src: Path, conf: Path, name: str, update: bool, demo: bool, extra=()):
    cmd = odoo_bin(src) + ["-c", conf, "-d", name, "--stop-after-init", "--no-http"]
    if update:
        # the addons updated; an addon new in this version (and the extra
        # applications) installed when missing (-i leaves installed ones as
        # they are)
        cmd += ["-u", ",".join(ADDONS), "-i", ",".join((*ADDONS, *extra))]
    else:
        cmd += ["-i", ",".join((*ADDONS, *extra))]
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
    cmd = _install_cmd(src, conf, name, update, demo, OPTIONAL_MODULES)
    say(
        ("upgrading" if update else "installing")
        + f" {', '.join(ADDONS)} (with {', '.join(OPTIONAL_MODULES)}) in '{name}'"
    )
    res = run(cmd, check=False)
    _check_installed(conf, name, res.returncode, OPTIONAL_MODULES)
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


def _check_installed(conf: Path, name: str, returncode: int, extra=()) -> None:
    if returncode != 0:
        raise SetupError(
            f"installing the addons in database '{name}' failed (see above)."
        )
    modules = (*ADDONS, *extra)
    states = db_query(
        {**read_conf(conf)},
        "SELECT name, state FROM ir_module_module WHERE name IN "
        + "("
        + ",".join(f"'{a}'" for a in modules)
        + ")",
        dbname=name,
    )
    bad = [r for r in states.splitlines() if not r.endswith("|installed")]
    if bad or len(states.splitlines()) != len(modules):
        raise SetupError(f"addons not installed in '{name}': {states}")
