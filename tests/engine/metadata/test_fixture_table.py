"""Every fixture image against hand-checked expectations (``fixture_expectations.json``).

The expectations were written from raw chunk dumps of each file (PNG text/eXIf chunks, EXIF
UserComment decoded by hand, ComfyUI graph nodes listed one by one, C2PA strings), never from the
reader's output; ``note`` fields explain the judgement calls. A key absent from an entry is not
asserted; a key present with ``null`` asserts that the reader finds nothing there.

All files are read with the same fixed mtime (on SwarmUI's 2026-01-03 date, so its day-precision
date is combined with the mtime) and ``local_tz=UTC``; every entry without a ``time`` block must fall
back to ``file:mtime`` — durations (Time taken, Generation time, generation_time) and editor times
(PNG tIME, EXIF DateTime, date:create) must never win.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from metadata_fixture_paths import IMAGES_DIR, MANIFEST

from engine.metadata import read_image_bytes
from engine.records import UNKNOWN_TOOL

EXPECTATIONS_FILE = Path(__file__).with_name("fixture_expectations.json")
EXPECTATIONS: dict[str, dict[str, Any]] = json.loads(EXPECTATIONS_FILE.read_text(encoding="utf-8"))
MTIME = datetime(2026, 1, 3, 15, 4, 5, tzinfo=UTC)
RECORD_FIELDS = (
    "tool",
    "prompt",
    "negative_prompt",
    "seed",
    "steps",
    "cfg_scale",
    "sampler",
    "model",
    "width",
    "height",
    "denoise",
    "source_image",
)
NO_GENERATION_METADATA = frozenset({"no_metadata", "GIMP_edited"})


def manifest_rows() -> list[dict[str, str]]:
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


ROWS = manifest_rows()
skip_without_fixtures = pytest.mark.skipif(not ROWS, reason=f"shared fixtures not found at {IMAGES_DIR}")


def read_fixture(relative: str) -> Any:
    data = (IMAGES_DIR / relative).read_bytes()
    return read_image_bytes(data, file_name=Path(relative).name, mtime=MTIME, local_tz=UTC)


@skip_without_fixtures
def test_table_covers_every_manifest_row() -> None:
    assert {row["file"] for row in ROWS} == set(EXPECTATIONS)


@skip_without_fixtures
@pytest.mark.parametrize("relative", [row["file"] for row in ROWS] or ["<none>"])
def test_fixture_matches_expectations(relative: str) -> None:
    expected = EXPECTATIONS[relative]
    result = read_fixture(relative)
    record = result.record
    mismatches = {
        name: (getattr(record, name), expected[name])
        for name in RECORD_FIELDS
        if name in expected and getattr(record, name) != expected[name]
    }
    assert not mismatches, f"{relative}: (got, expected) {mismatches}"
    if "edited" in expected:
        assert result.edited is expected["edited"]
    time = expected.get("time", {"source": "file:mtime"})
    assert record.created_at_source == time["source"]
    if time["source"] is None:  # the mtime is evidently not a generation time; the file says why
        assert record.created_at is None
        assert time["rejected"] in record.extra["time_rejected"]
    else:
        want_at = time.get("created_at", "MTIME")
        want = (
            MTIME if want_at == "MTIME" or time["source"] == "file:mtime" else datetime.fromisoformat(want_at)
        )
        assert record.created_at == want
        assert record.created_at is not None and record.created_at.tzinfo is not None
    if "precision" in time:
        assert record.created_at_precision is not None
        assert record.created_at_precision.value == time["precision"]
    assert "metadata_errors" not in record.extra or not any(
        "reader bug" in message for message in record.extra["metadata_errors"]
    )


@skip_without_fixtures
def test_recognition_rate_at_least_98_percent() -> None:
    carrying = [row["file"] for row in ROWS if row["tool"] not in NO_GENERATION_METADATA]
    recognised = [name for name in carrying if read_fixture(name).record.tool != UNKNOWN_TOOL]
    rate = len(recognised) / len(carrying)
    assert rate >= 0.98, (
        f"recognised {len(recognised)}/{len(carrying)}: missing {set(carrying) - set(recognised)}"
    )


@skip_without_fixtures
def test_controls_without_generation_metadata_are_unknown() -> None:
    controls = [row["file"] for row in ROWS if row["tool"] in NO_GENERATION_METADATA]
    assert controls
    for name in controls:
        assert read_fixture(name).record.tool == UNKNOWN_TOOL, name
