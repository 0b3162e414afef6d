# Kakehashi: `make run` serves the demo on http://127.0.0.1:8000; `make test` runs everything.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
STAMP := $(VENV)/.installed-stamp
PO := $(wildcard fair/locale/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
# The packages whose code and templates hold UI strings (tests/fair/test_catalogs.py reads it).
I18N_SOURCES := fair booths meetings matchmaking conversations reports

.PHONY: run test mutation screenshots install catalogs extract lint format browser clean

run: install catalogs
	mkdir -p var
	$(BIN)/fair migrate
	$(BIN)/fair demo --if-empty
	$(BIN)/fair serve --host 127.0.0.1 --port 8000 --workers 1

test: install catalogs browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# One worker per core; a file's tests stay on one worker, so what a module sets up once
	# (a world, a server, a demo) is built once.
	$(BIN)/pytest --ignore=tests/e2e -n $(WORKERS) --dist loadfile
	# Own process: playwright's sync API keeps an event loop running for its session.
	$(BIN)/pytest tests/e2e

# Named mutants against the tests that must catch them (minutes; not part of `make test`).
mutation: install catalogs
	$(BIN)/python scripts/mutation.py

# The README's screenshots, from the ones `make test`'s browser tests took.
screenshots: install
	$(BIN)/python scripts/docs_screenshots.py

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

catalogs: $(MO)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -D messages -i $< -o $@

# Refresh the template and merge new msgids into every language's catalog.
extract: install
	$(BIN)/pybabel extract -F babel.cfg -k lazy --no-location --sort-output -o fair/locale/messages.pot $(I18N_SOURCES)
	$(BIN)/pybabel update -D messages -i fair/locale/messages.pot -d fair/locale --no-fuzzy-matching

# Debian's Chromium for the browser tests (never a downloaded browser) and coturn for the
# TURN tests; needs root.
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/turnserver || scripts/install-chromium

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var $(MO)
