"""Developer set-up for the crm_relationship addons.

One entry point, ``setup/dev.py``, behind ``make run``, ``make test`` and
``make stop``; this package is its implementation.  It only uses the standard
library so that it can run before any virtual environment exists.

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

Modules, by concern:

* :mod:`.common` -- the clone's paths, the addons, :class:`SetupError`,
  messages and subprocesses;
* :mod:`.venv` -- virtual environment, requirements, Odoo discovery
  (``ODOO_SRC``, ``odoo.json``), the ``odoo-bin`` command line;
* :mod:`.pg` -- the PostgreSQL server (external or the embedded cluster:
  init, port, unprivileged user, start, stop) and the connection settings
  (Odoo's configuration file);
* :mod:`.databases` -- queries, dropping databases, installing the addons;
* :mod:`.commands` -- the commands (env, run, test, pg, stop, i18n, lint,
  bench, screenshots);
* :mod:`.cli` -- argparse and :func:`~.cli.main`.

The package is imported by ``setup/dev.py`` only (it puts ``setup/`` on
``sys.path``); a function is patched in the module that defines it.
"""
