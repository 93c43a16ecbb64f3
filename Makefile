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

.PHONY: all venv system-deps lint test run bench clean distclean

all: test

## venv: create .venv and install the package editable with dev extras (again when
## pyproject.toml changes).
venv: $(STAMP)

$(STAMP): pyproject.toml
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[dev]'
	touch $@

## system-deps: PostgreSQL 15 + PostGIS 3 from Debian, only when missing.
system-deps:
	@if [ -x $(PG_BINDIR)/initdb ] && [ -f $(POSTGIS_CONTROL) ]; then
	  echo "system-deps: PostgreSQL $(PG_MAJOR) + PostGIS already installed"
	else
	  command -v apt-get >/dev/null || { echo "system-deps: apt-get not found; install $(APT_PACKAGES) by hand" >&2; exit 1; }
	  echo "system-deps: installing $(APT_PACKAGES)"
	  $(SUDO) apt-get update -qq
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) </dev/null
	  if ! [ -x $(PG_BINDIR)/initdb ] || ! [ -f $(POSTGIS_CONTROL) ]; then
	    echo "system-deps: PostgreSQL/PostGIS still missing after install" >&2; exit 1
	  fi
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

## test: lint, then the whole suite (tests/ + doctests in src/deconfliction/core).
## pytest's exit code is the target's; 5 (nothing collected) fails too.
test: $(STAMP) system-deps lint
	$(BIN)/pytest $(PYTEST_ARGS)

## run: the service on http://127.0.0.1:8000 (docs at /docs) with the At Tanf scenario on a
## fresh SQLite file; each party's token is printed and kept in .run/attanf.db.tokens.json.
RUN_DB := .run/attanf.db
run: $(STAMP)
	mkdir -p .run
	rm -f $(RUN_DB) $(RUN_DB)-wal $(RUN_DB)-shm $(RUN_DB).tokens.json
	$(BIN)/deconfliction demo
	exec $(BIN)/deconfliction serve --db $(RUN_DB) --scenario attanf

## bench: every bench/bench_*.py in order; the scripts write into bench/results/.
bench: $(STAMP) system-deps
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
	rm -rf $(VENV)
