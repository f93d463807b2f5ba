# Two commands do everything on a fresh machine with Python 3.11+:
#   make run    create .venv, install, create the store with the seed, start the main job
#   make test   create/update .venv with the test extras and run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8050

.PHONY: run test lint format bench loadtest screenshots clean help

help:
	@echo "make run | test | lint | format | bench | loadtest | screenshots | clean"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tracker needs Python 3.11 or newer (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,serve,bench]'
	touch $(STAMP)

# A taken port stops it with tracker's one-line error, and how to pick another port with make.
run: $(STAMP)
	$(BIN)/tracker init
	@echo "$(BIN)/tracker serve --host $(HOST) --port $(PORT)"
	@$(BIN)/tracker serve --host $(HOST) --port $(PORT) || { \
		echo "make run: pick another port with  make run PORT=$$(($(PORT) + 1))" >&2; exit 1; }

test: $(STAMP)
	@test -x /usr/bin/chromium || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else echo "browser tests need Debian's chromium: run  sudo apt-get update && sudo apt-get install -y chromium"; fi; }
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refresh the README's screenshots (docs/screenshots/) from the browser tests.
screenshots: $(STAMP)
	TRACKER_SCREENSHOTS=1 $(BIN)/python -m pytest tests/test_dashboard_browser.py -q

# Synthetic FRED-scale data in a temporary folder; writes docs/benchmarks.md (< 15 min on 2 cores).
bench: $(STAMP)
	$(BIN)/python -m bench.run --size full --out docs/benchmarks.md --raw docs/benchmarks.json \
		--before docs/benchmarks.json

# 10 clients on the Explorer's chart callback while 50 releases are appended; loopback only.
loadtest: $(STAMP)
	$(BIN)/python -m bench.loadtest --clients 10 --releases 50 --workers 0 2 --out docs/reliability.md

clean:
	rm -rf $(VENV) data/*.duckdb data/*.duckdb.wal .pytest_cache
