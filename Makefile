# Two commands do everything on a fresh machine with Python 3.11+:
#   make run    create .venv, install, create the store with the seed, start the main job
#   make test   create/update .venv with the test extras and run the whole suite
#   make test-lake  the DuckLake tests in .venv-lake (duckdb 1.5.5) against a throwaway PostgreSQL
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The lake needs the DuckDB release whose extensions ship as wheels: an environment of its own.
LAKE_VENV  := .venv-lake
LAKE_BIN   := $(LAKE_VENV)/bin
LAKE_STAMP := $(LAKE_VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8050
# pytest workers (pytest-xdist): one per core. Each test file stays on one worker, so a file's
# shared server, browser or big store is built once (--dist loadgroup would be finer, but
# xdist 3.8 ignores xdist_group marks under pytest 9.2: pytest-xdist issue #1386).
WORKERS ?= auto

.PHONY: run test test-lake lint format bench loadtest screenshots clean help

help:
	@echo "make run          create .venv, build data/tracker.duckdb with the seed, serve the dashboard"
	@echo "make test         ruff, mypy and the whole pytest suite in parallel (WORKERS=auto), browser included"
	@echo "make test-lake    the DuckLake tests in .venv-lake (duckdb 1.5.5), PostgreSQL started and stopped by them"
	@echo "make lint         ruff check, ruff format --check, mypy"
	@echo "make format       let ruff fix and format what it can"
	@echo "make bench        the full benchmark (docs/benchmarks.md)"
	@echo "make loadtest     dashboard clients while releases are appended (docs/reliability.md)"
	@echo "make screenshots  refresh docs/screenshots/ from the browser tests"
	@echo "make clean        remove .venv, the stores in data/ and the tools' caches"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tracker needs Python 3.11 or newer (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,serve,bench]'
	touch $(STAMP)

$(LAKE_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tracker needs Python 3.11 or newer (set PYTHON=python3.11)")'
	test -x $(LAKE_BIN)/python || $(PYTHON) -m venv $(LAKE_VENV)
	$(LAKE_BIN)/python -m pip install --quiet --upgrade pip
	$(LAKE_BIN)/python -m pip install --quiet -e '.[test,lake,serve]'
	touch $(LAKE_STAMP)

# The tests start a PostgreSQL of their own on 127.0.0.1 (as the postgres user when run as root)
# in a temporary folder (one per pytest worker), and stop it when they end.
test-lake: $(LAKE_STAMP)
	@test -n "$$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null)" || command -v initdb >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq postgresql; \
		else echo "error: the lake tests need PostgreSQL: run  sudo apt-get update && sudo apt-get install -y postgresql"; exit 1; fi; }
	$(LAKE_BIN)/python -m pytest -m lake -p no:cacheprovider -n $(WORKERS) --dist load

# A taken port stops it with tracker's one-line error, and how to pick another port with make.
run: $(STAMP)
	$(BIN)/tracker init
	@echo "$(BIN)/tracker serve --host $(HOST) --port $(PORT)"
	@$(BIN)/tracker serve --host $(HOST) --port $(PORT) || { \
		echo "make run: pick another port with  make run PORT=$$(($(PORT) + 1))" >&2; exit 1; }

test: $(STAMP)
	@test -x /usr/bin/chromium || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else echo "error: the browser tests need Debian's chromium: run  sudo apt-get update && sudo apt-get install -y chromium"; exit 1; fi; }
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refresh the README's screenshots (docs/screenshots/) from the browser tests.
screenshots: $(STAMP)
	TRACKER_SCREENSHOTS=1 $(BIN)/python -m pytest tests/test_dashboard_browser.py -q

# Synthetic FRED-scale data in a temporary folder; writes docs/benchmarks.md (~30 min on 2 shared cores).
bench: $(STAMP)
	$(BIN)/python -m bench.run --size full --out docs/benchmarks.md --raw docs/benchmarks.json \
		--before docs/benchmarks.json

# 10 clients on the Explorer's chart callback while 50 releases are appended; loopback only.
loadtest: $(STAMP)
	$(BIN)/python -m bench.loadtest --clients 10 --releases 50 --workers 0 2 --out docs/reliability.md

clean:
	rm -rf $(VENV) $(LAKE_VENV) data/*.duckdb data/*.duckdb.wal .pytest_cache .mypy_cache .hypothesis .ruff_cache
