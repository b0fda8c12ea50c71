"""Asset rows for the binary COPY: JSON text PostgreSQL accepts, file paths resolved like pathlib."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from catalog.importing.asset_rows import TEXT_COLUMN_LENGTHS, json_safe, json_text
from catalog.importing.file_reading import resolved_path


@pytest.mark.parametrize(
    "value",
    [
        {"samplers": [{"seed": 1, "cfg": 7.5, "name": "KSampler"}], "file_counter": 42},
        {"raw": b"\x00\x01binary", "nan": math.nan, "inf": -math.inf},
        {"nul": "before\x00after", "k\x00ey": ["a\x00"]},
        {"a set": {1, 2}, "tuple": (1, "x"), 3: "int key", "object": object.__class__},
        {"escaped": "a literal \\u0000 is not a NUL"},
    ],
)
def test_json_text_equals_the_safe_walk(value: Any) -> None:
    text = json_text(value)
    assert json.loads(text) == json.loads(json.dumps(json_safe(value)))
    assert "\\u0000" not in text.replace("\\\\u0000", "")


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


def test_json_text_keeps_moderate_nesting_verbatim_and_walks_absurd_nesting() -> None:
    assert json.loads(json_text(_nested(60))) == _nested(60)  # deeper than json_safe's cut, kept
    absurd = json.loads(json_text(_nested(5000)))  # beyond the recursion limit: json_safe's cut
    assert json.dumps(absurd).count("[") < 100


def test_resolved_path_matches_pathlib_including_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.png").write_bytes(b"x")
    (tmp_path / "linked").symlink_to(real)
    (real / "b.png").symlink_to(real / "a.png")
    cache: dict[str, str] = {}
    for path in (tmp_path / "linked" / "a.png", real / "a.png", real / "b.png"):
        assert resolved_path(str(path), cache) == str(path.resolve())
    relative = os.path.relpath(real / "a.png")
    assert resolved_path(relative, cache) == str(Path(relative).resolve())


def test_text_column_limits_are_the_models_varchar_limits() -> None:
    """The written-out limits stay those of ``catalog.models.Asset`` (a new or resized column fails here)."""
    from sqlalchemy import String

    from catalog.models import Asset

    model_limits = {
        column.name: column.type.length
        for column in Asset.__table__.columns
        if isinstance(column.type, String) and column.type.length is not None
    }
    assert model_limits == TEXT_COLUMN_LENGTHS
