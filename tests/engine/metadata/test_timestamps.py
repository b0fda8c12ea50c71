"""Time-source ranking inside one file (``engine.metadata.timestamps``) and file-name counters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from engine.metadata.reading import ToolTime
from engine.metadata.timestamps import exif_original_time, file_counter, filename_time, resolve_created_at
from engine.records import TimePrecision

PARIS = ZoneInfo("Europe/Paris")
MTIME = datetime(2025, 3, 4, 21, 15, 30, tzinfo=UTC)


def test_tool_time_beats_exif_filename_and_mtime() -> None:
    tool = ToolTime(datetime(2024, 5, 18, 11, 28, 26, tzinfo=UTC), "Created Date", TimePrecision.MILLISECOND)
    exif = {"DateTimeOriginal": "2020:01:01 10:00:00"}
    got = resolve_created_at(tool, exif, "20230101120000.png", MTIME, UTC)
    assert (got.value, got.source, got.precision) == (
        tool.value,
        "metadata:Created Date",
        TimePrecision.MILLISECOND,
    )


def test_exif_original_with_offset_beats_filename() -> None:
    exif = {
        "DateTimeOriginal": "2024:07:01 09:30:00",
        "OffsetTimeOriginal": "+09:00",
        "DateTime": "2026:01:01 00:00:00",
    }
    got = resolve_created_at(None, exif, "20230101120000.png", MTIME, UTC)
    assert got.value == datetime(2024, 7, 1, 9, 30, tzinfo=timezone(timedelta(hours=9)))
    assert got.source == "exif:DateTimeOriginal"


def test_exif_datetime_alone_is_an_edit_time_and_ignored() -> None:
    got = resolve_created_at(
        None, {"DateTime": "2026:01:22 19:41:17", "OffsetTime": "+09:00"}, "a.webp", MTIME, UTC
    )
    assert got.source == "file:mtime"


def test_naive_times_are_localised_with_local_tz() -> None:
    tool = ToolTime(datetime(2025, 6, 30, 8, 28, 7), "Creation Time", TimePrecision.SECOND)
    got = resolve_created_at(tool, {}, "a.png", None, PARIS)
    assert got.value == datetime(2025, 6, 30, 8, 28, 7, tzinfo=PARIS)
    assert got.value is not None and got.value.utcoffset() == timedelta(hours=2)
    naive_exif = resolve_created_at(None, {"DateTimeOriginal": "2024:01:10 10:00:00"}, "a.jpg", None, PARIS)
    assert naive_exif.value == datetime(2024, 1, 10, 10, 0, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("name", "expected", "precision"),
    [
        ("Elysian_e000001_02_20250321072508.png", datetime(2025, 3, 21, 7, 25, 8), TimePrecision.SECOND),
        (
            "image - 2025-03-03T193009.186.jpeg",
            datetime(2025, 3, 3, 19, 30, 9, 186000),
            TimePrecision.MILLISECOND,
        ),
        ("Screenshot 2024-11-02 at 10.15.42.png", datetime(2024, 11, 2, 10, 15, 42), TimePrecision.SECOND),
        ("IMG_20240102_030405.jpg", datetime(2024, 1, 2, 3, 4, 5), TimePrecision.SECOND),
        ("ComfyUI_2024-05-06_07-08-09_00001_.png", datetime(2024, 5, 6, 7, 8, 9), TimePrecision.SECOND),
    ],
)
def test_filename_patterns(name: str, expected: datetime, precision: TimePrecision) -> None:
    assert filename_time(name) == (expected, precision)


@pytest.mark.parametrize(
    "name",
    [
        "00199-806698555.png",
        "shuttle_Seed1824549599_Steps20.jpg",
        "ComfyUI_08957_.jpeg",
        "20251399999999.png",
        "a.png",
    ],
)
def test_no_time_in_ordinary_names(name: str) -> None:
    assert filename_time(name) is None


def test_filename_beats_mtime() -> None:
    got = resolve_created_at(None, {}, "sample_20250607174543.png", MTIME, PARIS)
    assert got.source == "filename"
    assert got.value == datetime(2025, 6, 7, 17, 45, 43, tzinfo=PARIS)


def test_day_precision_tool_date_combines_with_same_day_mtime() -> None:
    tool = ToolTime(datetime(2025, 3, 4), "sui_extra_data.date", TimePrecision.DAY)
    got = resolve_created_at(tool, {}, "a.png", MTIME, UTC)
    assert got.value == MTIME
    assert got.source == "metadata:sui_extra_data.date+file:mtime"
    assert got.precision is TimePrecision.SECOND


def test_day_precision_compares_dates_in_the_local_timezone() -> None:
    tool = ToolTime(datetime(2025, 3, 4), "sui_extra_data.date", TimePrecision.DAY)
    tokyo = ZoneInfo("Asia/Tokyo")  # 21:15 UTC on the 4th is already the 5th in Tokyo
    got = resolve_created_at(tool, {}, "a.png", MTIME, tokyo)
    assert got.precision is TimePrecision.DAY
    assert got.value == datetime(2025, 3, 4, tzinfo=tokyo)


def test_day_precision_kept_when_mtime_is_another_day() -> None:
    tool = ToolTime(datetime(2025, 1, 1, tzinfo=UTC), "c2pa.actions.when", TimePrecision.DAY)
    got = resolve_created_at(tool, {}, "a.png", MTIME, UTC)
    assert (got.value, got.source, got.precision) == (
        datetime(2025, 1, 1, tzinfo=UTC),
        "metadata:c2pa.actions.when",
        TimePrecision.DAY,
    )


def test_no_time_at_all() -> None:
    got = resolve_created_at(None, {}, "a.png", None, UTC)
    assert (got.value, got.source, got.precision) == (None, None, None)


def test_exif_subseconds_and_bad_values() -> None:
    assert exif_original_time({"DateTimeOriginal": "2024:02:03 04:05:06", "SubSecTimeOriginal": "25"}) == (
        datetime(2024, 2, 3, 4, 5, 6, 250000),
        TimePrecision.MILLISECOND,
    )
    assert exif_original_time({"DateTimeOriginal": "0000:00:00 00:00:00"}) is None
    assert exif_original_time({"DateTimeOriginal": "2024:13:40 99:99:99"}) is None


@pytest.mark.parametrize(
    ("name", "counter"),
    [
        ("00042-1234567.png", 42),
        ("00042-1234567-a cat.png", 42),
        ("ComfyUI_00042_.png", 42),
        ("flux_00939_.png", 939),
        ("ComfyUI_temp_jpjcg_00187_.png", 187),
        ("receyuki__00199-806698555.png", 199),
        ("image (26).jpeg", None),
        ("a.png", None),
    ],
)
def test_file_counter(name: str, counter: int | None) -> None:
    assert file_counter(name) == counter


# -- mtimes that are evidently not generation times ---------------------------------------------------

NOW = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)


def test_an_mtime_in_the_future_is_no_time_and_says_why() -> None:
    future = NOW + timedelta(days=3)
    got = resolve_created_at(None, {}, "a.png", future, UTC, now=NOW)
    assert (got.value, got.source, got.precision) == (None, None, None)
    assert got.rejected is not None and "future" in got.rejected
    # A few hours ahead is clock or time-zone skew, not a bad mtime.
    near = resolve_created_at(None, {}, "a.png", NOW + timedelta(hours=5), UTC, now=NOW)
    assert (near.source, near.rejected) == ("file:mtime", None)


@pytest.mark.parametrize(
    ("exif", "editor_time", "names"),
    [
        ({"DateTime": "2023:06:01 10:00:00"}, None, "EXIF DateTime"),
        ({}, "2023-06-01T10:00:00", "PNG tIME"),
    ],
)
def test_an_mtime_long_after_the_files_own_edit_time_is_a_copy_time(
    exif: dict[str, str | int], editor_time: str | None, names: str
) -> None:
    got = resolve_created_at(None, exif, "a.png", MTIME, UTC, editor_time=editor_time, now=NOW)
    assert got.value is None
    assert got.rejected is not None and names in got.rejected and "2023-06-01" in got.rejected


def test_an_mtime_close_to_the_edit_time_is_kept() -> None:
    same_day = {"DateTime": MTIME.strftime("%Y:%m:%d %H:%M:%S")}
    got = resolve_created_at(None, same_day, "a.png", MTIME + timedelta(hours=3), UTC, now=NOW)
    assert (got.source, got.rejected) == ("file:mtime", None)
    later_edit = resolve_created_at(None, {}, "a.png", MTIME, UTC, editor_time="2025-03-20T00:00:00", now=NOW)
    assert later_edit.source == "file:mtime"  # edited after the mtime: no sign of a copy


def test_a_better_source_is_unaffected_by_a_doubtful_mtime() -> None:
    got = resolve_created_at(None, {}, "20230101120000.png", NOW + timedelta(days=30), UTC, now=NOW)
    assert (got.source, got.value) == ("filename", datetime(2023, 1, 1, 12, 0, tzinfo=UTC))
