# Build / test entry points. CI runs `.ci/run`, which is just `make test`.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

PG_MAJOR := 15
PG_BINDIR := /usr/lib/postgresql/$(PG_MAJOR)/bin
POSTGIS_CONTROL := /usr/share/postgresql/$(PG_MAJOR)/extension/postgis.control
APT_PACKAGES := postgresql-$(PG_MAJOR) postgresql-$(PG_MAJOR)-postgis-3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

PYTEST_ARGS ?= -n 2

.PHONY: all venv system-deps web lint test run bench clean distclean

all: test

## venv: create .venv and install the package editable with dev extras (again when
## pyproject.toml changes).
venv: $(STAMP)

$(STAMP): pyproject.toml
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[dev]'
	touch $@

## system-deps: PostgreSQL 15 + PostGIS 3 and Chromium (the web tests' browser) from Debian,
## only the ones missing.
CHROMIUM := /usr/bin/chromium
system-deps:
	@missing=""
	if ! [ -x $(PG_BINDIR)/initdb ] || ! [ -f $(POSTGIS_CONTROL) ]; then missing="$(APT_PACKAGES)"; fi
	if ! [ -x $(CHROMIUM) ]; then missing="$$missing chromium"; fi
	if [ -z "$$missing" ]; then
	  echo "system-deps: PostgreSQL $(PG_MAJOR) + PostGIS and Chromium already installed"
	else
	  command -v apt-get >/dev/null || { echo "system-deps: apt-get not found; install$$missing by hand" >&2; exit 1; }
	  echo "system-deps: installing$$missing"
	  $(SUDO) apt-get update -qq
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing </dev/null
	  if ! [ -x $(PG_BINDIR)/initdb ] || ! [ -f $(POSTGIS_CONTROL) ] || ! [ -x $(CHROMIUM) ]; then
	    echo "system-deps: PostgreSQL/PostGIS or Chromium still missing after install" >&2; exit 1
	  fi
	fi

## web: the map libraries from npm (package-lock.json, `npm ci`), their built files and
## licences copied into src/deconfliction/web/vendor/ (git-ignored; served under /web/vendor/).
WEB_VENDOR := src/deconfliction/web/vendor
WEB_STAMP := $(WEB_VENDOR)/.installed
web: $(WEB_STAMP)

$(WEB_STAMP): package.json package-lock.json
	command -v npm >/dev/null || { echo "web: npm not found; install Node.js >= 18 and npm" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(WEB_VENDOR)
	mkdir -p $(WEB_VENDOR)/leaflet $(WEB_VENDOR)/topojson-client $(WEB_VENDOR)/world-atlas
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
	  node_modules/leaflet/dist/images node_modules/leaflet/LICENSE $(WEB_VENDOR)/leaflet/
	cp node_modules/topojson-client/dist/topojson-client.min.js \
	  node_modules/topojson-client/LICENSE $(WEB_VENDOR)/topojson-client/
	cp node_modules/world-atlas/countries-50m.json node_modules/world-atlas/LICENSE \
	  $(WEB_VENDOR)/world-atlas/
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

## test: lint, then the whole suite (tests/ + doctests in src/deconfliction/core).
## pytest's exit code is the target's; 5 (nothing collected) fails too.
test: $(STAMP) system-deps web lint
	$(BIN)/pytest $(PYTEST_ARGS)

## run: the service on http://127.0.0.1:8000 (the map at /, docs at /docs) with the At Tanf scenario on a
## fresh SQLite file; each party's token is printed and kept in .run/attanf.db.tokens.json.
## The simulator's live tracks are posted to /reports at 4x real time (a background
## `deconfliction simulate`, which waits for the service): its alerts are printed as they
## come, and land in the parties' inboxes and SSE streams.
RUN_DB := .run/attanf.db
run: $(STAMP) web
	mkdir -p .run
	rm -f $(RUN_DB) $(RUN_DB)-wal $(RUN_DB)-shm $(RUN_DB).tokens.json
	$(BIN)/deconfliction demo
	$(BIN)/deconfliction simulate --tokens $(RUN_DB).tokens.json --speed 4 &
	exec $(BIN)/deconfliction serve --db $(RUN_DB) --scenario attanf

## bench: every bench/bench_*.py in order; the scripts write into bench/results/.
bench: $(STAMP) system-deps web
	mkdir -p bench/results
	shopt -s nullglob
	for f in bench/bench_*.py; do
	  echo "== $$f"
	  $(BIN)/python "$$f" || exit 1
	done

clean:
	rm -rf build dist src/*.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) node_modules $(WEB_VENDOR)
