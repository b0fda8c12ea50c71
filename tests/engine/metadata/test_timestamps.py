"""Time-source ranking inside one file (``engine.metadata.timestamps``) and file-name counters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from engine.metadata.reading import ToolTime
from engine.metadata.timestamps import (
    XMP_ORIGINAL_SOURCE,
    exif_original_time,
    file_counter,
    filename_time,
    folder_date,
    parse_xmp_date,
    resolve_created_at,
)
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
        (
            "ChatGPT Image Jun 13, 2025, 11_02_09 PM.png",
            datetime(2025, 6, 13, 23, 2, 9),
            TimePrecision.SECOND,
        ),
        (
            "ChatGPT Image Apr 27, 2025, 09_10_29 AM (1).png",
            datetime(2025, 4, 27, 9, 10, 29),
            TimePrecision.SECOND,
        ),
        (
            "ChatGPT Image Jan 1, 2025, 12_00_01\u202fAM.png",
            datetime(2025, 1, 1, 0, 0, 1),
            TimePrecision.SECOND,
        ),
        (
            "Screenshot 2025-06-12 at 9.07.45\u202fPM.png",
            datetime(2025, 6, 12, 21, 7, 45),
            TimePrecision.SECOND,
        ),
        ("Screenshot 2025-06-12 at 9.07.45 AM.png", datetime(2025, 6, 12, 9, 7, 45), TimePrecision.SECOND),
        (
            "Screen Shot 2024-11-02 at 10.15.42 PM.png",
            datetime(2024, 11, 2, 22, 15, 42),
            TimePrecision.SECOND,
        ),
        ("Screenshot 2024-11-02 at 12.15.42 AM.png", datetime(2024, 11, 2, 0, 15, 42), TimePrecision.SECOND),
        ("IMG-20250613-WA0003.jpg", datetime(2025, 6, 13), TimePrecision.DAY),
        ("CR_20250612_00001_.png", datetime(2025, 6, 12), TimePrecision.DAY),
        ("2024-05-18_00003_.png", datetime(2024, 5, 18), TimePrecision.DAY),
        ("00521-2024.05.18-3141592654.png", datetime(2024, 5, 18), TimePrecision.DAY),
        # a date-time anywhere in the name wins over a bare date before it
        ("2024-05-17_00003_2024-05-18_14-03-22.png", datetime(2024, 5, 18, 14, 3, 22), TimePrecision.SECOND),
        # an impossible 12-hour time leaves its date
        ("Screenshot 2025-06-12 at 0.07.45 AM.png", datetime(2025, 6, 12), TimePrecision.DAY),
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
        "00042-20240518.png",  # A1111 [number]-[seed]: the seed slot
        "00712-2024051801.png",  # ten digits are no date
        "seed20240518.png",  # a compact date must stand alone
        "2024-05_18.png",  # mixed separators
        "1999-12-31.png",  # before 2000: not a date in a name
        "2025-02-30.png",
        "ChatGPT Image Jun 13, 2025, 13_02_09 PM.png",  # no 13 PM
        "ChatGPT Image Jun 13, 2025, 11_02_09.png",  # ChatGPT names always carry AM/PM
    ],
)
def test_no_time_in_ordinary_names(name: str) -> None:
    assert filename_time(name) is None


def test_digits_that_are_the_recorded_seed_are_no_time() -> None:
    assert filename_time("ComfyUI_20240518_00001_.png", seed=20240518) is None
    assert filename_time("img_20250321072508.png", seed=20250321072508) is None
    assert filename_time("ComfyUI_20240518_00001_.png", seed=7) == (datetime(2024, 5, 18), TimePrecision.DAY)


def test_a_date_only_name_is_placed_by_a_same_day_mtime_like_a_tool_day() -> None:
    got = resolve_created_at(None, {}, "IMG-20250304-WA0001.jpg", MTIME, UTC)
    assert (got.value, got.source, got.precision) == (MTIME, "filename+file:mtime", TimePrecision.SECOND)
    other_day = resolve_created_at(None, {}, "IMG-20250301-WA0001.jpg", MTIME, PARIS)
    assert (other_day.value, other_day.source, other_day.precision) == (
        datetime(2025, 3, 1, tzinfo=PARIS),
        "filename",
        TimePrecision.DAY,
    )


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
    odd_subseconds = {"DateTimeOriginal": "2024:02:03 04:05:06", "SubSecTimeOriginal": "²"}
    assert exif_original_time(odd_subseconds) == (datetime(2024, 2, 3, 4, 5, 6), TimePrecision.SECOND)
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


# -- one credible window for every source ---------------------------------------------------------------


def test_every_source_outside_the_window_is_passed_over_and_named() -> None:
    future_tool = ToolTime(datetime(2031, 7, 4, 12), "Created Date", TimePrecision.SECOND)
    exif = {"DateTimeOriginal": "1970:01:01 00:00:00"}
    xmp = '<x:xmpmeta><rdf:Description exif:DateTimeOriginal="2099-01-01T00:00:00Z"/></x:xmpmeta>'
    got = resolve_created_at(future_tool, exif, "sample_19990101120000.png", MTIME, UTC, xmp=xmp, now=NOW)
    assert (got.value, got.source) == (MTIME, "file:mtime")
    assert got.rejected is not None
    reasons = got.rejected.split("; ")
    assert [reason.split(" 2")[0].split(" 1")[0] for reason in reasons] == [
        "the tool's Created Date",
        "EXIF DateTimeOriginal",
        "XMP exif:DateTimeOriginal",
    ]
    assert "in the future" in reasons[0] and "before 2000" in reasons[1] and "in the future" in reasons[2]


def test_reasons_for_passed_over_sources_and_a_rejected_mtime_are_joined() -> None:
    exif = {"DateTimeOriginal": "2031:07:04 12:00:00", "DateTime": "2023:06:01 10:00:00"}
    got = resolve_created_at(None, exif, "a.jpg", MTIME, UTC, now=NOW)
    assert (got.value, got.source) == (None, None)
    assert got.rejected is not None
    assert got.rejected.startswith("EXIF DateTimeOriginal 2031-07-04T12:00:00+00:00 is in the future; ")
    assert got.rejected.endswith("EXIF DateTime 2023-06-01 (copied since)")


def test_an_mtime_before_2000_is_rejected() -> None:
    got = resolve_created_at(None, {}, "a.png", datetime(1980, 1, 1, tzinfo=UTC), UTC, now=NOW)
    assert (got.value, got.source) == (None, None)
    assert got.rejected is not None and "before 2000" in got.rejected


def test_a_day_precision_tool_date_in_the_future_is_passed_over() -> None:
    tool = ToolTime(datetime(2031, 1, 1, tzinfo=UTC), "c2pa.actions.when", TimePrecision.DAY)
    got = resolve_created_at(tool, {}, "a.png", MTIME, UTC, now=NOW)
    assert (got.value, got.source) == (MTIME, "file:mtime")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "2024-06-02T21:14:05.37+02:00",
            (
                datetime(2024, 6, 2, 21, 14, 5, 370000, tzinfo=timezone(timedelta(hours=2))),
                TimePrecision.MILLISECOND,
            ),
        ),
        ("2024-06-02T19:14:05Z", (datetime(2024, 6, 2, 19, 14, 5, tzinfo=UTC), TimePrecision.SECOND)),
        ("2025-06-12T21:07", (datetime(2025, 6, 12, 21, 7), TimePrecision.MINUTE)),
        (
            "2025-06-12T21:07-05:00",
            (datetime(2025, 6, 12, 21, 7, tzinfo=timezone(timedelta(hours=-5))), TimePrecision.MINUTE),
        ),
        ("2025-06-12", (datetime(2025, 6, 12), TimePrecision.DAY)),
        ("2025:06:12 21:07:45", (datetime(2025, 6, 12, 21, 7, 45), TimePrecision.SECOND)),
        ("2025-06", None),
        ("2025", None),
        ("2025-02-30T10:00", None),
        ("2025-06-12T21:07+25:00", None),
        ("yesterday", None),
    ],
)
def test_parse_xmp_date(text: str, expected: tuple[datetime, TimePrecision] | None) -> None:
    assert parse_xmp_date(text) == expected


def test_xmp_original_ranks_after_exif_original_and_before_the_name() -> None:
    xmp = "<exif:DateTimeOriginal>2024-06-02T21:14:05</exif:DateTimeOriginal>"
    got = resolve_created_at(None, {}, "sample_20250607174543.png", MTIME, PARIS, xmp=xmp, now=NOW)
    assert (got.value, got.source) == (datetime(2024, 6, 2, 21, 14, 5, tzinfo=PARIS), XMP_ORIGINAL_SOURCE)
    exif = {"DateTimeOriginal": "2024:06:01 08:00:00"}
    first = resolve_created_at(None, exif, "a.png", MTIME, UTC, xmp=xmp, now=NOW)
    assert first.source == "exif:DateTimeOriginal"


@pytest.mark.parametrize(
    "xmp",
    [
        '<rdf:Description xmp:ModifyDate="2023-06-01T10:00:00+02:00"/>',
        "<xmp:MetadataDate>2023-06-01</xmp:MetadataDate>",
    ],
)
def test_an_mtime_long_after_an_xmp_edit_time_is_a_copy_time(xmp: str) -> None:
    got = resolve_created_at(None, {}, "a.png", MTIME, UTC, xmp=xmp, now=NOW)
    assert got.value is None
    assert got.rejected is not None and "2023-06-01 (copied since)" in got.rejected


def test_a_date_only_xmp_edit_time_covers_its_whole_day() -> None:
    edited_that_evening = datetime(2025, 3, 5, 10, 0, tzinfo=UTC)  # next morning: within a day of 23:59
    xmp = "<xmp:ModifyDate>2025-03-04</xmp:ModifyDate>"
    got = resolve_created_at(None, {}, "a.png", edited_that_evening, UTC, xmp=xmp, now=NOW)
    assert (got.source, got.rejected) == ("file:mtime", None)


def test_a_leading_date_in_a_file_name_is_no_output_counter() -> None:
    """The year of ``2024-05-18-00012.png`` is not image number 2024 (it ordered ties wrongly)."""
    assert file_counter("00042-1234567.png") == 42
    assert file_counter("ComfyUI_00042_.png") == 42
    assert file_counter("00520-2024-05-18_14-03-22-3141592653.png") == 520
    assert file_counter("2024-05-18_14-03-22_00007_.png") == 7
    assert file_counter("2024-05-18-00012.png") is None
    assert file_counter("20240518-142233.png") is None
    assert file_counter("1234-5678.png") == 1234  # not a date: a counter as before
    assert file_counter("19991231-5.png") == 19991231  # before MIN_YEAR: no date either


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("2024-05-18", datetime(2024, 5, 18)),
        ("2024_05_18", datetime(2024, 5, 18)),
        ("2024.05.18", datetime(2024, 5, 18)),
        ("20240518", datetime(2024, 5, 18)),
        (" 2024-05-18 ", datetime(2024, 5, 18)),
        ("2024-05_18", None),  # mixed separators
        ("2024-02-30", None),
        ("renders 2024-05-18", None),  # a name someone chose
        ("project_20240518_v2", None),
        ("txt2img-images", None),
        ("2024", None),
    ],
)
def test_folder_date(folder: str, expected: datetime | None) -> None:
    assert folder_date(folder) == expected


def test_a_dated_folder_places_a_copied_file_on_its_day() -> None:
    """AUTOMATIC1111 saves into ``outputs/txt2img-images/2024-05-18/``; after a copy the mtime is the
    copy's (another day): the folder's day is kept, at day precision."""
    got = resolve_created_at(
        None, {}, "00012-1234567.png", MTIME, UTC, seed=1234567, folder_name="2024-05-18"
    )
    assert (got.value, got.source, got.precision) == (
        datetime(2024, 5, 18, tzinfo=UTC),
        "folder",
        TimePrecision.DAY,
    )


def test_a_dated_folder_takes_the_time_of_day_from_a_same_day_mtime() -> None:
    got = resolve_created_at(
        None, {}, "00012-1234567.png", MTIME, UTC, seed=1234567, folder_name="2025-03-04"
    )
    assert (got.value, got.source, got.precision) == (MTIME, "folder+file:mtime", TimePrecision.SECOND)


def test_the_file_names_time_and_the_files_own_times_outrank_the_folder() -> None:
    named = resolve_created_at(None, {}, "20230101120000.png", MTIME, UTC, folder_name="2024-05-18")
    assert (named.source, named.value) == ("filename", datetime(2023, 1, 1, 12, tzinfo=UTC))
    exif = {"DateTimeOriginal": "2024:07:01 09:30:00"}
    from_exif = resolve_created_at(None, exif, "x.png", MTIME, UTC, folder_name="2024-05-18")
    assert from_exif.source == "exif:DateTimeOriginal"


def test_an_undated_or_implausible_folder_leaves_the_mtime() -> None:
    for folder in ("txt2img-images", "1999-12-31", "2099-01-01"):
        got = resolve_created_at(None, {}, "x.png", MTIME, UTC, folder_name=folder)
        assert (got.value, got.source) == (MTIME, "file:mtime"), folder
    passed = resolve_created_at(None, {}, "x.png", MTIME, UTC, folder_name="1999-12-31")
    assert passed.rejected is not None and "folder" in passed.rejected
