# crm_relationship developer commands. See README.md.
PYTHON ?= python3
DEV := $(PYTHON) setup/dev.py
HTTP_PORT ?= 8069
export HTTP_PORT

.PHONY: run test stop env lint i18n bench screenshots help

help:
	@echo "make run   - create/upgrade the demo database and serve Odoo on http://localhost:$(HTTP_PORT)"
	@echo "make test  - pure-Python tests, Odoo tests on a fresh database, lint"
	@echo "make stop  - stop the embedded PostgreSQL"
	@echo "make lint  - ruff + pylint-odoo (mandatory checks)"
	@echo "make bench - benchmarks on the test database (figures printed, data rolled back)"
	@echo "make screenshots - pictures of the running demo (make run) in docs/screenshots"

run:
	@$(DEV) run

test:
	@$(DEV) test

stop:
	@$(DEV) stop

env:
	@$(DEV) env

lint:
	@$(DEV) lint

i18n:
	@$(DEV) i18n

bench:
	@$(DEV) bench

screenshots:
	@$(DEV) screenshots
