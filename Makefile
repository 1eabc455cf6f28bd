# The two commands of the README:
#   make run   set up .venv, create the demo workspace on first run, open the main window
#   make test  set up .venv with the test extra, run ruff, mypy and the whole suite headless
#   (make test-dates runs the date-sensitive tests again at other moments; .ci/run does both)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_HOME ?= $(CURDIR)/demo-home
DEMO_TICKETS ?= 20000

.PHONY: run test test-dates lint typecheck pytest demo bundle benchmark clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Support Console needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@ $(VENV)/.installed-app

run: $(VENV)/.installed-app
	@test -f "$(DEMO_HOME)/cache.sqlite3" || $(BIN)/support-console --home "$(DEMO_HOME)" demo --tickets $(DEMO_TICKETS)
	$(BIN)/support-console-gui --home "$(DEMO_HOME)"

demo: $(VENV)/.installed-app
	$(BIN)/support-console --home "$(DEMO_HOME)" demo --tickets $(DEMO_TICKETS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

pytest: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

test: lint typecheck pytest

# The date-sensitive tests (marked `clock`) again at moments where calendars turn: the last day of a
# month (already the next in Dubai and Tehran), New Year's Eve late in UTC, London's spring DST switch,
# Nowruz in Tehran, a leap day, and a Friday (the Gulf's weekend day; Riyadh's working week is Sun-Thu).
TEST_MOMENTS ?= 2027-08-31T21:00:00Z 2026-12-31T23:30:00Z 2027-03-28T00:30:00Z 2027-03-21T09:00:00Z \
	2028-02-29T09:00:00Z 2027-01-15T07:00:00Z

test-dates: $(VENV)/.installed-test
	@set -e; for moment in $(TEST_MOMENTS); do \
	  echo "== the date-sensitive tests at $$moment"; \
	  SUPPORT_CONSOLE_TEST_NOW=$$moment QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m clock; \
	done

BENCH_HOME ?= /tmp/support-console-1m
BENCH_TICKETS ?= 1000000

# Not part of `make test`: builds a large workspace (about 13 GB for a million tickets) and times it.
benchmark: $(VENV)/.installed-test
	$(BIN)/python tests/benchmarks/demo_generation.py --tickets $(BENCH_TICKETS) --home $(BENCH_HOME)
	$(BIN)/python tests/benchmarks/metrics_queries.py --home $(BENCH_HOME)

bundle: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[bundle]"
	$(BIN)/pyinstaller --noconfirm --clean --distpath dist --workpath build packaging/support-console.spec

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache
