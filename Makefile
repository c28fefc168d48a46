# The project's vocabulary. Every target bootstraps .venv from requirements-dev.lock
# when the venv is missing or older than the lock, so a fresh clone needs nothing
# installed by hand.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.sentra-installed
export AIRFLOW_HOME ?= $(CURDIR)/data/airflow

.PHONY: help demo run test test-durations test-fast lint format lock bench bench-full up down clean docs browser imap

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# --compile-bytecode: shells here may set PYTHONDONTWRITEBYTECODE, and then every
# process (each Airflow task runner, each test worker) compiled Airflow and GX from
# source again: 6.6 of the 29.5 s of a no-op `sentra demo` rerun. Compiling once at
# install costs ~20 s.
$(STAMP): requirements-dev.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --compile-bytecode --python $(BIN)/python requirements-dev.lock
	$(BIN)/uv pip install --python $(BIN)/python --no-deps -e .
	@touch $@

venv: $(STAMP)  ## create or refresh .venv from the lock

demo: $(STAMP)  ## run a synthetic census round end to end through Airflow
	$(BIN)/sentra demo

# A round on your own files: make run LANDING=~/kiriman [YEAR=2026] (YEAR for a flat folder).
run: $(STAMP)  ## run a census round on LANDING=<folder or s3://…> [YEAR=<census year>]
	@test -n "$(LANDING)" || { echo "usage: make run LANDING=<folder> [YEAR=2026]"; exit 2; }
	$(BIN)/sentra run "$(LANDING)" $(if $(YEAR),--year $(YEAR))

# Two workers, one per core here: on a slow 2-core host the suite took 14.4 min in one
# process, 8.5-10 min on two (grouping whole files per worker was slower, 11 min: the
# biggest files then run alone at the end); 4.8 min on two once the venv was compiled
# to bytecode.
test: $(STAMP) browser imap  ## lint, then the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_DIST)

# The board and report rendering tests look at pages in headless Chromium: Debian's
# package, installed when missing and this is a root shell with apt (CI); elsewhere
# those tests say they skipped.
browser:  ## install Debian's chromium for the rendering tests (root + apt only)
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
	  && echo "installed chromium for the rendering tests"; } \
	  || echo "chromium not installed: the browser rendering tests will skip"

# The e-mail intake tests read a real IMAP server: Debian's Dovecot, started by the test
# itself as a private process on a loopback port (nothing is configured system-wide).
imap:  ## install Debian's dovecot-imapd for the e-mail intake tests (root + apt only)
	@command -v dovecot >/dev/null || test -x /usr/sbin/dovecot || { [ "$$(id -u)" = 0 ] \
	  && command -v apt-get >/dev/null \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-imapd >/dev/null \
	  && echo "installed dovecot for the e-mail intake tests"; } \
	  || echo "dovecot not installed: the e-mail intake tests will skip"

# Two workers; each test module whole on one worker, costliest first (tests/conftest.py
# orders them by tests/durations.json, which `make test-durations` measures).
PYTEST_DIST = -n 2 --dist loadscope --no-loadscope-reorder

test-durations: $(STAMP)  ## run the suite and record seconds per module (tests/durations.json)
	$(BIN)/python -m pytest $(PYTEST_DIST) --record-durations tests/durations.json

test-fast: $(STAMP)  ## unit tests only
	$(BIN)/python -m pytest tests/unit -q

lint: $(STAMP)  ## ruff lint + format check + mypy on include/sentra (pyproject.toml [tool.mypy])
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)  ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The dev lock is resolved first; the runtime lock is constrained by it, so both pin
# the same versions and the image runs what the tests ran.
lock: $(STAMP)  ## re-resolve requirements{,-dev}.in into the hash-pinned locks (needs the registry)
	$(BIN)/uv pip compile requirements-dev.in --python 3.11 --generate-hashes -o requirements-dev.lock
	$(BIN)/uv pip compile requirements.in --python 3.11 --generate-hashes -c requirements-dev.lock -o requirements.lock

bench: $(STAMP)  ## quick benchmarks with same-run baselines (writes bench/results.json)
	$(BIN)/python -m bench --size quick

bench-full: $(STAMP)  ## 1M-row benchmarks
	$(BIN)/python -m bench --size full

docs: $(STAMP)  ## regenerate docs/data-dictionary.md from the schema code
	$(BIN)/sentra docs data-dictionary --output docs/data-dictionary.md

up:  ## start the production-like stack (needs a Docker engine)
	docker compose up -d --build

down:  ## stop the stack
	docker compose down

clean:  ## remove generated data (keeps .venv)
	rm -rf data
