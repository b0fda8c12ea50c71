# Atelier — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall whenever the dependency declarations change.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)
# This machine keeps the CPU build of torch in /opt/wheels; elsewhere pip finds it as usual.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels)
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: install run test lint typecheck bench fuzz clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet $(FIND_LINKS) -c constraints.txt torch==2.13.0
	$(PIP) install --quiet $(FIND_LINKS) -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: install
	$(BIN)/atelier serve --with-demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	HF_HUB_OFFLINE=1 $(BIN)/pytest

bench: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.run_all

fuzz: install
	HF_HUB_OFFLINE=1 $(BIN)/pytest -m slow tests/engine/metadata tests/api/test_cli_import_hostile.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache
