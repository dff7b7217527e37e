"""pytest plugin: a skipped or xfailed test is a failure.

Odoo silently skips browser tests when Chromium or websocket-client is missing;
in this project a test that cannot run must fail loudly instead.
"""

import logging

import pytest


class _PytestOdooImportNoise(logging.Filter):
    """pytest-odoo imports odoo.tests before Odoo's test mode is on; Odoo then
    logs a scary "Importing test framework" error with a stack. It is expected
    here, so it is dropped (every other record passes)."""

    def filter(self, record):
        return not record.getMessage().startswith("Importing test framework")


logging.getLogger("odoo.tests.common").addFilter(_PytestOdooImportNoise())


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = reporter.stats.get("skipped", [])
    xfailed = reporter.stats.get("xfailed", [])
    if (skipped or xfailed) and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.write_line(
            f"strict_skips: {len(skipped)} skipped test(s) count as failures",
            red=True,
        )
