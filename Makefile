# The two commands of the README:
#   make run   set up .venv, create the demo workspace on first run, open the main window
#   make test  set up .venv with the test extra, run ruff, mypy and the whole suite headless
#   (make test-dates runs the date-sensitive tests again at other moments; .ci/run does both)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_HOME ?= $(CURDIR)/demo-home
DEMO_TICKETS ?= 20000

.PHONY: run test test-dates lint typecheck pytest demo bundle benchmark catalogues clean

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

# The translation catalogues, compiled from their sources on install (console/i18n.py).
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard console/locale/*/LC_MESSAGES/support_console.po))

%.mo: %.po | $(VENV)/.installed-app
	$(BIN)/pybabel compile --statistics -i $< -o $@

# After changing what the code says: the texts extracted again and each language's catalogue brought up to date
# (new texts untranslated, tests/unit/test_catalogue.py lists them).
catalogues: $(VENV)/.installed-app
	$(BIN)/pybabel extract -F console/locale/babel.cfg -k n_:1,2 -k p_:1c,2 -k N_ --no-location --sort-output \
	  --project "Support Console" -o console/locale/support_console.pot console views
	for language in fa ar; do $(BIN)/pybabel update --no-fuzzy-matching -i console/locale/support_console.pot \
	  -d console/locale -D support_console -l $$language; done

run: $(VENV)/.installed-app $(CATALOGUES)
	@test -f "$(DEMO_HOME)/cache.sqlite3" || $(BIN)/support-console --home "$(DEMO_HOME)" demo --tickets $(DEMO_TICKETS)
	$(BIN)/support-console-gui --home "$(DEMO_HOME)"

demo: $(VENV)/.installed-app $(CATALOGUES)
	$(BIN)/support-console --home "$(DEMO_HOME)" demo --tickets $(DEMO_TICKETS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

pytest: $(VENV)/.installed-test $(CATALOGUES)
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

# Not part of `make test`: every speed target on generated workspaces, printed as one table and written
# to $(BENCH_OUT). A size's workspace is generated when its home does not hold that demo already (a million tickets:
# about 13 GB and twenty minutes). Quick, while developing: make benchmark BENCH_SIZES=100000 BENCH_ROUNDS=3
BENCH_SIZES ?= 100000 1000000
BENCH_ROUNDS ?= 5
BENCH_HOMES ?= 100000=/tmp/support-console-100k 1000000=/tmp/support-console-1m
BENCH_OUT ?= docs/benchmark-results.md

benchmark: $(VENV)/.installed-test
	$(BIN)/python tests/benchmarks/table.py --sizes $(BENCH_SIZES) --rounds $(BENCH_ROUNDS) \
	  $(addprefix --home ,$(BENCH_HOMES)) --out $(BENCH_OUT)

bundle: $(BIN)/python $(CATALOGUES)
	$(BIN)/python -m pip install --quiet -e ".[bundle]"
	$(BIN)/pyinstaller --noconfirm --clean --distpath dist --workpath build packaging/support-console.spec

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache
