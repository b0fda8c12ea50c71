"""Where the shared real-image fixtures live, relative to this repository (skips cleanly when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES_DIR = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures"
IMAGES_DIR = FIXTURES_DIR / "images"
MANIFEST = IMAGES_DIR / "MANIFEST.tsv"
EXIFTOOL_DIR = FIXTURES_DIR / "exiftool"


def fixture_image(relative: str) -> Path:
    """Path of one fixture image; skips the calling test, with the reason, when it is absent."""
    path = IMAGES_DIR / relative
    if not path.is_file():
        pytest.skip(f"fixture image not available: {path}")
    return path
