"""Shared setup for the metadata reader tests.

Import-path guard: ``tests/`` goes on ``sys.path`` (rootdir conftest, pytest's default "prepend"
import mode) and ``tests/engine`` has no ``__init__.py``, so ``engine`` can resolve to a namespace
package made of ``tests/engine`` — and ``engine.metadata`` to this test folder. Before any test
module here is imported, make sure ``engine`` is the real package of this repository.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def _ensure_real_engine_package() -> None:
    module = sys.modules.get("engine")
    if module is not None and getattr(module, "__file__", None):
        return
    init = REPO_ROOT / "engine" / "__init__.py"
    spec = importlib.util.spec_from_file_location(
        "engine", init, submodule_search_locations=[str(init.parent)]
    )
    if spec is None or spec.loader is None:
        return
    package = importlib.util.module_from_spec(spec)
    sys.modules["engine"] = package
    spec.loader.exec_module(package)
    stale = sys.modules.get("engine.metadata")
    if stale is not None and not getattr(stale, "__file__", None):
        del sys.modules["engine.metadata"]


_ensure_real_engine_package()
