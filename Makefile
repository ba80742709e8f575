# boekbox developer entry points.  The README's two commands:
#
#   make run    install what is missing, create ./var/boekbox.db with a demo dossier, start
#               SMTP (127.0.0.1:2525), the worker and the UI (http://127.0.0.1:8501)
#   make test   install what is missing, then every gate (ruff, mypy, import contracts,
#               compose file, pytest against throwaway PostgreSQL and Redis servers)
#
# Everything is idempotent: Debian packages are installed only when dpkg says they are
# missing (and only as root), the virtualenv is (re)installed only when pyproject.toml changed.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.boekbox-installed
export PATH := $(abspath $(BIN)):$(PATH)

# Debian packages: what `make run` needs, and what the test suite needs on top.
RUN_PACKAGES := python3-venv tesseract-ocr tesseract-ocr-nld tesseract-ocr-fra \
	tesseract-ocr-deu tesseract-ocr-eng poppler-utils fonts-dejavu-core \
	libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
	cmake g++ make curl pkg-config
TEST_PACKAGES := $(RUN_PACKAGES) postgresql redis-server chromium docker-compose

PYTEST_WORKERS ?= auto
PYTEST_TIMEOUT ?= 600
PYTEST_ARGS ?=
GATES := lint typecheck imports compose-check pytest

.PHONY: help run test install install-test lock system-packages system-packages-test \
	lint format typecheck imports compose-check pytest clean distclean

help:
	@echo "make run      install, init ./var/boekbox.db with a demo dossier, start smtp+worker+ui"
	@echo "make test     install, then: $(GATES)"
	@echo "make install  Debian packages for run + .venv with the project (editable, dev extra)"
	@echo "make lock     re-resolve the dependencies and pin them in constraints.txt"
	@echo "make lint | format | typecheck | imports | compose-check | pytest   single gates"
	@echo "make clean    caches and build output (keeps .venv and var/)"
	@echo "make distclean  clean + .venv (keeps var/)"

# ---------------------------------------------------------------------------- install

system-packages:
	@scripts/ensure-debian-packages.sh $(RUN_PACKAGES)

system-packages-test:
	@scripts/ensure-debian-packages.sh $(TEST_PACKAGES)

# constraints.txt pins every package (and its dependencies) to the versions tested here,
# so a fresh machine next year installs the same; `make lock` refreshes it.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $@

# Re-resolve the newest versions pyproject.toml allows in a throwaway venv and pin them.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	.lock-venv/bin/python -m pip freeze --exclude-editable --all \
		| grep -v -E '^(pip|setuptools|wheel)==' > constraints.txt
	rm -rf .lock-venv
	@echo "constraints.txt refreshed: run make test, then commit it"

# tesseract's library for in-process OCR, built without libtiff/libjbig (GPL): about half
# the CPU per page of the tesseract program.  Optional: if the build fails, OCR runs
# through the program (extractors/tess.py says which).
ENGINE := $(VENV)/ocr-engine/.built
$(ENGINE): scripts/build_ocr_engine.sh $(STAMP)
	@scripts/build_ocr_engine.sh $(VENV) || echo "warning: the OCR engine library was not built; OCR runs through the tesseract program" >&2

install: system-packages $(STAMP) $(ENGINE)

install-test: system-packages-test $(STAMP) $(ENGINE)

# ---------------------------------------------------------------------------- run

run: install
	$(BIN)/python scripts/run_demo.py

# ---------------------------------------------------------------------------- test

# Runs every gate even when one fails, then fails if any did.
test: install-test
	@failed=""; \
	for gate in $(GATES); do \
		echo "==> make $$gate"; \
		$(MAKE) $$gate || failed="$$failed $$gate"; \
	done; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed" >&2; exit 1; fi; \
	echo "make test: all gates passed"

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck:
	$(BIN)/mypy

imports:
	$(BIN)/lint-imports

compose-check:
	@if command -v docker-compose >/dev/null 2>&1; then \
		echo "docker-compose -f docker-compose.yml config -q"; \
		docker-compose -f docker-compose.yml config -q; \
	elif docker compose version >/dev/null 2>&1; then \
		echo "docker compose -f docker-compose.yml config -q"; \
		docker compose -f docker-compose.yml config -q; \
	else \
		echo "compose-check: no docker-compose client, skipped" >&2; \
	fi

# Throwaway PostgreSQL + Redis on free loopback ports for the duration of the run.
pytest:
	$(BIN)/python scripts/testenv.py -- $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup \
		--timeout=$(PYTEST_TIMEOUT) --durations=25 $(PYTEST_ARGS)

# ---------------------------------------------------------------------------- clean

clean:
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis .import_linter_cache \
		build dist *.egg-info bench/out
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV)
