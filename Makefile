# steerco: two commands do all the set-up.  `make run` serves the demo; `make test` tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2

.PHONY: run test test-pg lint bench bench-quick demo-xl clean help assets
.DEFAULT_GOAL := help

help:
	@echo "make run    install what is missing, load the demo and the real-data workspace on"
	@echo "            first run, serve on :8000"
	@echo "make test   install dev tools, run ruff, mypy, import-linter and the test suite"
	@echo "make bench  run every benchmark (results in bench/results/, summary in bench/README.md)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "steerco needs Python 3.11 or newer ($(PYTHON) is older); set PYTHON=python3.x"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Each stamp records that the matching lock file is installed; it is redone when the
# lock (or the package metadata) changes.
$(VENV)/.run.stamp: requirements/run.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -r requirements/run.lock
	$(BIN)/pip install -q --no-deps -e .
	@touch $@

$(VENV)/.dev.stamp: requirements/dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -r requirements/dev.lock
	$(BIN)/pip install -q --no-deps -e .
	@touch $@ $(VENV)/.run.stamp

$(VENV)/.bench.stamp: requirements/bench.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -r requirements/bench.lock
	$(BIN)/pip install -q --no-deps -e .
	@touch $@ $(VENV)/.dev.stamp $(VENV)/.run.stamp

# Front-end libraries come from the npm registry (pinned by package-lock.json) and are
# copied into src/steerco/web/static/vendor/, which is committed so the wheel ships them;
# `npm ci` runs only when node_modules or a vendor file is missing.
VENDOR := src/steerco/web/static/vendor
VENDOR_FILES := $(addprefix $(VENDOR)/,htmx.min.js echarts.min.js cytoscape.min.js \
	dagre.min.js cytoscape-dagre.js swagger-ui-bundle.js swagger-ui.css \
	swagger-favicon-32x32.png)
# Only missing vendor files need Node.js: with every file present (a checkout has them
# committed) `make run` must not ask for npm at all, which an order-only prerequisite
# on node_modules did.
MISSING_VENDOR := $(filter-out $(wildcard $(VENDOR_FILES)),$(VENDOR_FILES))

node_modules/.package-lock.json:
	@command -v npm >/dev/null || { echo "the web assets need Node.js with npm (see README)"; exit 1; }
	npm ci --no-audit --no-fund

ifneq ($(MISSING_VENDOR),)
$(MISSING_VENDOR): | node_modules/.package-lock.json
	python3 src/steerco/web/pages/assets.py
endif

assets: $(VENDOR_FILES)

# Without an SMTP server (STEERCO_SMTP_HOST) the e-mails land in ./mail as .eml files.
run: $(VENV)/.run.stamp assets
	$(BIN)/steerco demo --size s --if-missing
	$(BIN)/steerco real-data
	STEERCO_MAIL_DIR="$${STEERCO_MAIL_DIR-mail}" $(BIN)/steerco serve

lint: $(VENV)/.dev.stamp
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports

test: lint assets node_modules/.package-lock.json
	$(BIN)/pytest -n $(PYTEST_WORKERS)

# The database-backed tests again, on PostgreSQL (STEERCO_TEST_POSTGRES_URL must name a
# database on a running server; .ci/run makes one). tests/core needs no database and the
# browser journeys serve their own SQLite demo, so neither runs twice.
test-pg: $(VENV)/.dev.stamp
	@test -n "$$STEERCO_TEST_POSTGRES_URL" || { echo "set STEERCO_TEST_POSTGRES_URL"; exit 1; }
	$(BIN)/pytest -n $(PYTEST_WORKERS) --ignore=tests/core --ignore=tests/browser

bench: $(VENV)/.bench.stamp
	$(BIN)/python -m bench.run_all

bench-quick: $(VENV)/.bench.stamp
	$(BIN)/python -m bench.run_all --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
