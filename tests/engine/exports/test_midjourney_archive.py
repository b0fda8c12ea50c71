"""Midjourney archive parsing, against a realistic archive sample (one job matches a real download)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.exports import ExportFormatError, parse_midjourney_archive, read_midjourney_archive
from engine.records import TimePrecision

SAMPLE = Path(__file__).parent / "samples" / "midjourney_archive.json"
GRID = "d7e2a9c4-6b1f-4e83-a5d0-3c9b8f2e1a47"
UPSCALE = "31b4cc6a-32c8-4b17-9aef-15c0f405f6f6"
VARIATION = "5c8f0a3d-2e7b-4d19-b6a4-8e1c3f5d7b92"
LIGHTHOUSE = "a04e6b2c-9d3f-4a8e-81c7-6f2d0b5e9c13"


def sample_jobs() -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = json.loads(SAMPLE.read_text())["jobs"]
    return jobs


def test_jobs_become_time_evidence_by_job_id() -> None:
    result = read_midjourney_archive(SAMPLE)
    assert [e.key for e in result.evidence] == [GRID, UPSCALE, VARIATION, LIGHTHOUSE]
    grid, upscale, variation, lighthouse = result.evidence
    assert grid.key_kind == "job_id" and grid.job_id == GRID
    assert grid.created_at == datetime(2025, 6, 30, 8, 26, 52, 118204, tzinfo=UTC)
    assert grid.precision is TimePrecision.MILLISECOND
    assert (grid.source, grid.time_field) == ("export:midjourney_archive", "enqueue_time")
    assert grid.parent_job_id is None
    assert grid.prompt is not None and grid.prompt.startswith("An underwater surreal scene")
    assert grid.extra["job_type"] == "v7_diffusion"
    assert grid.extra["full_command"].endswith("--v 7")
    assert len(grid.extra["image_paths"]) == 4
    assert not {"id", "enqueue_time", "parent_id", "prompt"} & set(grid.extra)
    # The real web download of this upscale says "Creation Time 2025:06:30 08:28:07+00:00".
    assert upscale.created_at.replace(microsecond=0) == datetime(2025, 6, 30, 8, 28, 7, tzinfo=UTC)
    assert upscale.parent_job_id == GRID and upscale.extra["parent_grid"] == 2
    assert variation.parent_job_id == GRID
    assert variation.created_at == datetime(2025, 6, 30, 8, 29, 55, 870000, tzinfo=UTC)
    assert variation.prompt == variation.extra["full_command"]  # no "prompt" field: full_command
    assert lighthouse.precision is TimePrecision.SECOND
    assert lighthouse.created_at == datetime(2025, 6, 30, 9, 2, 13, tzinfo=UTC)


def test_bad_jobs_are_skipped_and_reported_duplicates_collapsed() -> None:
    result = read_midjourney_archive(SAMPLE)
    reasons = {p.entry: p.reason for p in result.problems}
    assert set(reasons) == {"e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b", "#5"}
    assert "'30/06/2025 09:15'" in reasons["e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b"]
    assert "no 'id'" in reasons["#5"]
    assert all(p.skipped for p in result.problems)
    assert [e.key for e in result.evidence].count(GRID) == 1  # the verbatim repeat is dropped silently


def test_a_repeated_id_with_other_content_is_reported() -> None:
    jobs = sample_jobs()
    changed = dict(jobs[0], enqueue_time="2025-06-30 10:00:00")
    result = parse_midjourney_archive([jobs[0], changed], source="mem")
    assert [e.created_at.hour for e in result.evidence] == [8]
    assert len(result.problems) == 1 and "repeated with different content" in result.problems[0].reason


def test_plain_list_form_equals_jobs_object_form() -> None:
    as_list = parse_midjourney_archive(sample_jobs(), source=str(SAMPLE))
    assert as_list == read_midjourney_archive(SAMPLE)


@pytest.mark.parametrize(
    ("enqueue_time", "expected"),
    [
        ("2025-06-30T08:28:07.412Z", datetime(2025, 6, 30, 8, 28, 7, 412000, tzinfo=UTC)),
        ("2025-06-30T10:28:07.412+02:00", datetime(2025, 6, 30, 8, 28, 7, 412000, tzinfo=UTC)),
        ("2025-06-30 08:28:07.412583123", datetime(2025, 6, 30, 8, 28, 7, 412583, tzinfo=UTC)),
    ],
)
def test_iso_forms_are_converted_to_utc(enqueue_time: str, expected: datetime) -> None:
    result = parse_midjourney_archive([{"id": "j1", "enqueue_time": enqueue_time}], source="mem")
    assert result.evidence[0].created_at == expected
    assert result.evidence[0].created_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        ({"data": []}, "expected a list of Midjourney jobs"),
        ("jobs", "expected a list of Midjourney jobs"),
        ({"jobs": {"a": 1}}, "'jobs' is dict"),
        ([{"id": "x"}, 3], "no entry is a Midjourney job"),
    ],
)
def test_unusable_archives_raise(archive: object, message: str) -> None:
    with pytest.raises(ExportFormatError, match=message) as caught:
        parse_midjourney_archive(archive, source="archive.json")
    assert str(caught.value).startswith("archive.json: ")


def test_implausible_years_are_rejected() -> None:
    result = parse_midjourney_archive(
        [
            {"id": "old", "enqueue_time": "1970-01-21 12:00:00"},
            {"id": "ok", "enqueue_time": "2024-01-01 00:00:00"},
        ],
        source="mem",
    )
    assert [e.key for e in result.evidence] == ["ok"]
    assert result.problems[0].entry == "old" and "outside" in result.problems[0].reason


def test_wrongly_typed_fields_are_entry_problems() -> None:
    result = parse_midjourney_archive(
        [
            {"id": 12345, "enqueue_time": "2024-01-01 00:00:00"},
            {"id": "p", "enqueue_time": "2024-01-01 00:00:00", "parent_id": ["x"]},
            {"id": "ok", "enqueue_time": "2024-01-01 00:00:01"},
        ],
        source="mem",
    )
    assert [e.key for e in result.evidence] == ["ok"]
    reasons = [p.reason for p in result.problems]
    assert any("'id' is int" in r for r in reasons)
    assert any("'parent_id' is list" in r for r in reasons)


def test_parent_grid_names_the_cell_of_the_parent_job() -> None:
    by_key = {e.key: e for e in read_midjourney_archive(SAMPLE).evidence}

    assert (by_key[UPSCALE].parent_job_id, by_key[UPSCALE].parent_grid) == (GRID, 2)
    assert (by_key[VARIATION].parent_job_id, by_key[VARIATION].parent_grid) == (GRID, 0)
    assert by_key[GRID].parent_grid is None and by_key[LIGHTHOUSE].parent_grid is None


@pytest.mark.parametrize(
    ("parent_grid", "expected", "noted"),
    [
        pytest.param(3, 3, False, id="int"),
        pytest.param("1", 1, False, id="digits"),
        pytest.param(None, None, False, id="null"),
        pytest.param(63, 63, False, id="largest"),
        pytest.param(64, None, True, id="too-large"),
        pytest.param(-1, None, True, id="negative"),
        pytest.param(True, None, True, id="bool"),
        pytest.param(1.5, None, True, id="float"),
        pytest.param("U2", None, True, id="text"),
    ],
)
def test_a_parent_grid_that_is_no_grid_position_is_dropped_and_noted(
    parent_grid: object, expected: int | None, noted: bool
) -> None:
    job = {"id": "v", "enqueue_time": "2024-01-01 00:00:00", "parent_id": "g", "parent_grid": parent_grid}

    result = parse_midjourney_archive([job], source="mem")

    (evidence,) = result.evidence
    assert (evidence.parent_job_id, evidence.parent_grid) == ("g", expected)
    assert evidence.extra["parent_grid"] == parent_grid  # kept verbatim, as every other field
    if noted:
        (problem,) = result.problems
        assert (problem.entry, problem.skipped) == ("v", False)
        assert "parent_grid" in problem.reason and "dropped" in problem.reason
    else:
        assert result.problems == ()


def test_a_parent_grid_without_a_parent_job_names_nothing() -> None:
    result = parse_midjourney_archive(
        [{"id": "v", "enqueue_time": "2024-01-01 00:00:00", "parent_id": None, "parent_grid": 2}],
        source="mem",
    )

    assert (result.evidence[0].parent_grid, result.problems) == (None, ())


def test_job_type_says_what_each_job_is() -> None:
    by_key = {e.key: e for e in read_midjourney_archive(SAMPLE).evidence}

    assert {key: e.job_type for key, e in by_key.items()} == {
        GRID: "v7_diffusion",
        UPSCALE: "v7_upscaler_2x_creative",
        VARIATION: "v7_variation",
        LIGHTHOUSE: "v7_diffusion",
    }
    assert by_key[UPSCALE].extra["job_type"] == "v7_upscaler_2x_creative"  # kept verbatim too


@pytest.mark.parametrize(
    ("job_type", "expected", "noted"),
    [
        pytest.param("v7_upsample", "v7_upsample", False, id="text"),
        pytest.param("", None, False, id="empty"),
        pytest.param(None, None, False, id="null"),
        pytest.param(7, None, True, id="int"),
        pytest.param(["upscale"], None, True, id="list"),
    ],
)
def test_a_job_type_that_is_not_text_is_dropped_and_noted(
    job_type: object, expected: str | None, noted: bool
) -> None:
    job = {"id": "u", "enqueue_time": "2024-01-01 00:00:00", "parent_id": "g", "parent_grid": 9,
           "job_type": job_type}  # fmt: skip

    result = parse_midjourney_archive([job], source="mem")

    (evidence,) = result.evidence
    assert (evidence.job_type, evidence.parent_job_id, evidence.parent_grid) == (expected, "g", 9)
    if noted:
        (problem,) = result.problems
        assert (problem.entry, problem.skipped) == ("u", False)
        assert "job_type" in problem.reason and "dropped" in problem.reason
    else:
        assert result.problems == ()


def test_a_bad_parent_grid_and_a_bad_job_type_are_both_noted() -> None:
    job = {"id": "u", "enqueue_time": "2024-01-01 00:00:00", "parent_id": "g", "parent_grid": "U2",
           "job_type": 3}  # fmt: skip

    result = parse_midjourney_archive([job], source="mem")

    assert [(p.entry, p.skipped) for p in result.problems] == [("u", False), ("u", False)]
    assert ["parent_grid" in p.reason for p in result.problems] == [True, False]
    assert result.evidence[0].job_id == "u"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_an_archive_saved_by_powershell_reads_like_its_utf8_original(tmp_path: Path, encoding: str) -> None:
    """``Get-Content … > archive.json`` in Windows PowerShell 5.1 writes UTF-16 with a byte order mark;
    ``atelier import`` reads such record files, so ``import-export`` reads such exports too (before:
    "is not UTF-8 text (byte 0)")."""
    text = SAMPLE.read_text(encoding="utf-8")
    copy = tmp_path / "archive.json"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    copy.write_bytes(data)
    read, original = read_midjourney_archive(copy), read_midjourney_archive(SAMPLE)
    assert read.evidence == original.evidence
    assert [(p.entry, p.reason) for p in read.problems] == [(p.entry, p.reason) for p in original.problems]


def test_a_wide_archive_broken_midway_names_its_encoding(tmp_path: Path) -> None:
    copy = tmp_path / "archive.json"
    copy.write_bytes(SAMPLE.read_text(encoding="utf-8").encode("utf-16")[:-1])  # half a character
    with pytest.raises(ExportFormatError, match="is not UTF-16-LE text"):
        read_midjourney_archive(copy)
