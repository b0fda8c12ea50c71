"""The one ranking of time sources (pure; no database)."""

from __future__ import annotations

import pytest

from catalog.importing.time_sources import SourceRank, precision_rank, time_beats, time_source_rank


@pytest.mark.parametrize(
    ("source", "rank"),
    [
        ("metadata:Created Date", SourceRank.METADATA),
        ("export:comfyui_history", SourceRank.EXPORT),
        ("export:midjourney_archive", SourceRank.EXPORT),
        ("exif:DateTimeOriginal", SourceRank.EXIF),
        ("filename", SourceRank.FILENAME),
        ("folder", SourceRank.FOLDER),
        ("folder+file:mtime", SourceRank.FILE_MTIME),
        ("file:mtime", SourceRank.FILE_MTIME),
        ("import", SourceRank.UNKNOWN),
        ("my own log", SourceRank.UNKNOWN),
        ("", SourceRank.UNKNOWN),
        (None, SourceRank.UNKNOWN),
        ("metadata:sui_extra_data.date+file:mtime", SourceRank.FILE_MTIME),
    ],
)
def test_rank_of_each_source(source: str | None, rank: SourceRank) -> None:
    assert time_source_rank(source) is rank


def test_documented_order_is_strict() -> None:
    ordered = ["metadata:x", "export:x", "exif:DateTimeOriginal", "filename", "file:mtime", "import"]
    ranks = [time_source_rank(source) for source in ordered]
    assert ranks == sorted(ranks, reverse=True) and len(set(ranks)) == len(ranks)


def test_precision_order() -> None:
    assert [precision_rank(p) for p in (None, "day", "minute", "second", "millisecond")] == [0, 1, 2, 3, 4]


def test_higher_rank_wins_and_lower_rank_never_does() -> None:
    assert time_beats("export:comfyui_history", "millisecond", "file:mtime", "second")
    assert time_beats("export:invokeai_db", "second", "exif:DateTimeOriginal", "millisecond")
    assert not time_beats("export:comfyui_history", "millisecond", "metadata:Created Date", "second")
    assert not time_beats("file:mtime", "second", "filename", "second")


def test_equal_rank_needs_a_finer_precision_so_reapplying_changes_nothing() -> None:
    assert time_beats("export:midjourney_archive", "millisecond", "export:midjourney_archive", "second")
    assert not time_beats("export:comfyui_history", "millisecond", "export:invokeai_db", "millisecond")
    assert not time_beats("export:comfyui_history", "second", "export:comfyui_history", "millisecond")


def test_a_compound_time_of_day_from_mtime_is_beaten_by_an_export() -> None:
    assert time_beats(
        "export:comfyui_history", "millisecond", "metadata:sui_extra_data.date+file:mtime", "second"
    )


def test_a_day_only_time_is_refined_by_a_tool_record_but_not_by_weaker_sources() -> None:
    assert time_beats("export:comfyui_history", "millisecond", "metadata:c2pa.when", "day")
    assert not time_beats("export:comfyui_history", "day", "metadata:c2pa.when", "day")
    assert not time_beats("file:mtime", "second", "metadata:c2pa.when", "day")
    assert not time_beats("exif:DateTimeOriginal", "second", "metadata:c2pa.when", "day")


def test_an_asset_without_time_takes_any_time() -> None:
    assert time_beats("file:mtime", "second", None, None, current_has_time=False)
    assert time_beats("import", None, None, None, current_has_time=False)
