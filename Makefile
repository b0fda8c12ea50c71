# Atelier — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall whenever the dependency declarations change.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)
PIP := $(BIN)/python -m pip --disable-pip-version-check
# Where the CPU build of torch comes from (PyPI's Linux torch wheels pull ~3 GB of CUDA libraries):
#   1. a local wheel folder, TORCH_WHEELS (default /opt/wheels when it exists), used as --find-links;
#   2. else on Linux PyTorch's CPU wheel index, TORCH_INDEX_URL (torch and its few pure-Python deps);
#   3. else (macOS, Windows) PyPI, whose torch wheels there are CPU-only.
# constraints.txt pins the same version, so the second install (Atelier and its dependencies) finds
# torch satisfied and never replaces it. Check with: make -n install TORCH_WHEELS= UNAME_S=Linux
TORCH_VERSION := 2.13.0
TORCH_WHEELS ?= $(wildcard /opt/wheels)
TORCH_INDEX_URL ?= https://download.pytorch.org/whl/cpu
UNAME_S ?= $(shell uname -s)
ifneq ($(strip $(TORCH_WHEELS)),)
TORCH_SOURCE := --find-links $(TORCH_WHEELS)
FIND_LINKS := --find-links $(TORCH_WHEELS)
else ifeq ($(UNAME_S),Linux)
TORCH_SOURCE := --index-url $(TORCH_INDEX_URL)
FIND_LINKS :=
else
TORCH_SOURCE :=
FIND_LINKS :=
endif

.PHONY: install run test lint typecheck bench fuzz clean chromium

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet $(TORCH_SOURCE) -c constraints.txt torch==$(TORCH_VERSION)
	$(PIP) install --quiet $(FIND_LINKS) -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# The project's own bytecode, compiled ahead of use: an editable install leaves its modules to be
# compiled when first imported, and where PYTHONDONTWRITEBYTECODE is set (these CI machines, many
# container images) that compile is never saved and happens again in every process (`atelier import
# EMPTY` 1.83 -> 1.59 s, a small `atelier analyze` 0.68 -> 0.56 s: BENCHMARKS.md, "Command start-up").
# compileall rewrites only what changed (~0.3 s when nothing did).
PACKAGES := api catalog engine billing reflection bench migrations tests

install: $(STAMP)
	$(BIN)/python -m compileall -q -j 0 $(PACKAGES)

run: install
	$(BIN)/atelier serve --with-demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

# Debian's chromium for the browser tests, when missing and we may install it (else they skip)
chromium:
	@./.ci/install-chromium

# Two pytest-xdist workers, each with its own embedded PostgreSQL and Redis (tests/conftest.py);
# --dist loadfile keeps a file's tests, and its module fixtures, on one worker.
test: lint typecheck chromium
	HF_HUB_OFFLINE=1 $(BIN)/pytest -n 2 --dist loadfile --durations=15

bench: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.run_all

# Slow property and fuzz tests (out of make test): hostile files, random walks through the API, and the
# longest real-process scenarios (the production topology, a served shutdown, load over workers)
# (tests/api/test_api_consistency_walks.py: ATELIER_WALK_SEEDS, ATELIER_WALK_STEPS)
fuzz: install
	HF_HUB_OFFLINE=1 $(BIN)/pytest -m slow tests/engine/metadata tests/api/test_cli_import_hostile.py \
		tests/api/test_api_consistency_walks.py tests/api/test_backup_atomic_restore.py \
		tests/api/test_cli_import_thumbnails.py tests/api/test_cli_import_crash.py \
		tests/api/test_production_topology.py tests/api/test_serve_shutdown.py tests/api/test_serve_workers.py \
		tests/api/test_hostile_web_browser.py tests/catalog/test_recluster_off_loop.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache
