"""Shared setup for the metadata reader tests.

Works under both pytest import modes:

- helper modules of this folder (``metadata_fixture_paths``, ``metadata_png_builder``) are imported
  by bare name, so this folder is put on ``sys.path`` (their names are prefixed to stay unique);
- under the "prepend" mode ``tests/`` is on ``sys.path`` and ``tests/engine`` has no
  ``__init__.py``, so ``engine`` could resolve to a namespace package made of ``tests/engine``:
  make sure ``engine`` is the real package of this repository before any test module is imported.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]

if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


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


@pytest.fixture
def image_opens(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Counts Pillow ``Image.open`` calls: the only way a reader could decode pixels, so a test can
    assert that reading a file's metadata decoded none."""
    from PIL import Image

    calls: list[str] = []
    original: Callable[..., Image.Image] = Image.open

    def counting_open(*args: Any, **kwargs: Any) -> Image.Image:
        calls.append("open")
        return original(*args, **kwargs)

    monkeypatch.setattr(Image, "open", counting_open)
    yield calls
