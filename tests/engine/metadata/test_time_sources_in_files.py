"""Time sources read from real files written to disk (``read_image``: bytes and mtime from the file).

Seventh probing round (time): every source is judged by one credible window (no time before 2000, none
more than a day in the future: ``engine.time_bounds``); XMP ``exif:DateTimeOriginal`` is read
as EXIF's, XMP ``xmp:ModifyDate`` / ``xmp:MetadataDate`` are edit times; ChatGPT and macOS 12-hour
names and date-only names are file-name times (a day placed by the mtime as SwarmUI's ``date`` is).
"""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from comfy_graph_builder import sampled
from metadata_png_builder import build_png, itxt_chunk, text_chunk
from PIL import ExifTags, Image

from engine.copy_times import TIME_REJECTED
from engine.metadata import read_image
from engine.records import GenerationRecord, TimePrecision

TOKYO = ZoneInfo("Asia/Tokyo")
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime.now(UTC).replace(microsecond=0)
A1111_TEXT = (
    "a paper boat on a puddle\nNegative prompt: blurry\n"
    "Steps: 28, Sampler: DPM++ 2M, CFG scale: 6.5, Seed: 1234500009, Size: 768x768, Model: juggernautXL"
)


def write(tmp_path: Path, name: str, data: bytes, mtime: datetime) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def read(path: Path, local_tz: timezone | ZoneInfo = UTC) -> GenerationRecord:
    return read_image(path, local_tz=local_tz).record


def exif_jpeg(original: str | None = None, *, changed: str | None = None) -> bytes:
    """A real JPEG (Pillow) with EXIF ``DateTimeOriginal`` (Exif IFD) and/or ``DateTime`` (IFD0)."""
    exif = Image.Exif()
    if changed is not None:
        exif[0x0132] = changed
    if original is not None:
        exif.get_ifd(ExifTags.IFD.Exif)[0x9003] = original
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def exif_text(value: datetime) -> str:
    return value.strftime("%Y:%m:%d %H:%M:%S")


def xmp_packet(attributes: str = "", elements: str = "") -> str:
    """An XMP packet as Photoshop / exiftool write it: properties as attributes or as elements."""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        ' <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
        ' xmlns:exif="http://ns.adobe.com/exif/1.0/"'
        ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"\n'
        f"  {attributes}>\n{elements}\n </rdf:Description>\n"
        '</rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>'
    )


def a1111_png_with_xmp(packet: str) -> bytes:
    return build_png(text_chunk("parameters", A1111_TEXT), itxt_chunk("XML:com.adobe.xmp", packet))


# -- 1. no time from the future, whatever its source ---------------------------------------------------


def test_a_future_exif_date_time_original_gives_way_to_the_mtime_and_says_why(tmp_path: Path) -> None:
    """Probe 00508: a device clock years ahead; the mtime is credible."""
    future = NOW + timedelta(days=2000)
    mtime = NOW - timedelta(days=30)
    record = read(write(tmp_path, "00508-1234500008.jpg", exif_jpeg(exif_text(future)), mtime))
    assert (record.created_at, record.created_at_source) == (mtime, "file:mtime")
    reason = record.extra[TIME_REJECTED]
    assert "EXIF DateTimeOriginal" in reason and "in the future" in reason and str(future.year) in reason


def test_a_future_tool_time_gives_way_to_the_file_name(tmp_path: Path) -> None:
    future = (NOW + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    data = build_png(text_chunk("parameters", f"{A1111_TEXT}, Created Date: {future}"))
    record = read(write(tmp_path, "sample_20250607174543.png", data, NOW - timedelta(days=3)))
    assert (record.created_at, record.created_at_source) == (
        datetime(2025, 6, 7, 17, 45, 43, tzinfo=UTC),
        "filename",
    )
    assert "the tool's Created Date" in record.extra[TIME_REJECTED]


def test_a_future_time_within_the_mtime_rules_tolerance_is_kept(tmp_path: Path) -> None:
    """The same day of slack as for an mtime: a few hours ahead is a time zone, not a wrong clock."""
    ahead = NOW + timedelta(hours=5)
    record = read(write(tmp_path, "a.jpg", exif_jpeg(exif_text(ahead)), NOW - timedelta(days=1)))
    assert (record.created_at, record.created_at_source) == (ahead, "exif:DateTimeOriginal")
    assert TIME_REJECTED not in record.extra


# -- 2. no time before 2000, whatever its source ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mtime"),
    [
        ("00510-1234500010.png", datetime(1970, 1, 1, tzinfo=UTC)),  # time_t 0: a broken sync or tar
        ("00509-1234500009.png", datetime(1980, 1, 1, tzinfo=UTC)),  # a ZIP entry without a date
    ],
)
def test_an_mtime_before_2000_is_no_time_and_says_why(tmp_path: Path, name: str, mtime: datetime) -> None:
    record = read(write(tmp_path, name, build_png(text_chunk("parameters", A1111_TEXT)), mtime))
    assert (record.tool, record.created_at, record.created_at_source) == ("a1111", None, None)
    assert "before 2000" in record.extra[TIME_REJECTED]
    assert str(mtime.year) in record.extra[TIME_REJECTED]


def test_an_exif_original_before_2000_is_passed_over_with_a_note(tmp_path: Path) -> None:
    mtime = NOW - timedelta(days=10)
    record = read(write(tmp_path, "a.jpg", exif_jpeg("1970:01:01 00:00:00"), mtime))
    assert (record.created_at, record.created_at_source) == (mtime, "file:mtime")
    assert "EXIF DateTimeOriginal 1970-01-01" in record.extra[TIME_REJECTED]
    assert "before 2000" in record.extra[TIME_REJECTED]


# -- 3. XMP ---------------------------------------------------------------------------------------------


def test_xmp_date_time_original_with_fraction_and_offset_is_read_at_millisecond_precision(
    tmp_path: Path,
) -> None:
    """Probe 00414: exiftool ``-XMP-exif:DateTimeOriginal`` on an A1111 PNG, no EXIF block."""
    packet = xmp_packet(
        elements="  <exif:DateTimeOriginal>2024-06-02T21:14:05.37+02:00</exif:DateTimeOriginal>"
    )
    record = read(
        write(
            tmp_path, "00414-1808436922.png", a1111_png_with_xmp(packet), datetime(2024, 6, 5, 11, tzinfo=UTC)
        )
    )
    assert record.created_at == datetime(2024, 6, 2, 19, 14, 5, 370000, tzinfo=UTC)
    assert record.created_at is not None and record.created_at.utcoffset() == timedelta(hours=2)
    assert record.created_at_precision is TimePrecision.MILLISECOND
    assert record.created_at_source == "exif:DateTimeOriginal (XMP)"


def test_a_naive_xmp_date_without_seconds_is_local_at_minute_precision(tmp_path: Path) -> None:
    """Probe 00516: ``2025-06-12T21:07`` (XMP Part 1: seconds and zone may be left out)."""
    packet = xmp_packet('exif:DateTimeOriginal="2025-06-12T21:07"')
    path = write(
        tmp_path, "00516-1234500016.png", a1111_png_with_xmp(packet), datetime(2025, 6, 20, 10, tzinfo=UTC)
    )
    record = read(path, TOKYO)
    assert record.created_at == datetime(2025, 6, 12, 21, 7, tzinfo=TOKYO)
    assert record.created_at_precision is TimePrecision.MINUTE


def test_xmp_in_a_jpeg_is_read_and_a_credible_exif_original_still_comes_first(tmp_path: Path) -> None:
    xmp = (
        b"http://ns.adobe.com/xap/1.0/\x00"
        + xmp_packet('exif:DateTimeOriginal="2024-06-02T21:14:05Z"').encode()
    )
    plain = exif_jpeg()
    with_xmp = plain[:2] + b"\xff\xe1" + (len(xmp) + 2).to_bytes(2, "big") + xmp + plain[2:]
    record = read(write(tmp_path, "x.jpg", with_xmp, datetime(2024, 7, 1, tzinfo=UTC)))
    assert (record.created_at, record.created_at_source) == (
        datetime(2024, 6, 2, 21, 14, 5, tzinfo=UTC),
        "exif:DateTimeOriginal (XMP)",
    )
    both = exif_jpeg("2024:06:01 08:00:00")
    both = both[:2] + b"\xff\xe1" + (len(xmp) + 2).to_bytes(2, "big") + xmp + both[2:]
    record = read(write(tmp_path, "y.jpg", both, datetime(2024, 7, 1, tzinfo=UTC)))
    assert (record.created_at, record.created_at_source) == (
        datetime(2024, 6, 1, 8, tzinfo=UTC),
        "exif:DateTimeOriginal",
    )


def test_editor_xmp_dates_are_never_generation_times(tmp_path: Path) -> None:
    packet = xmp_packet(
        'xmp:CreateDate="2024-06-03T10:20:11+02:00" xmp:ModifyDate="2024-06-03T10:21:37+02:00" '
        'xmp:MetadataDate="2024-06-03T10:21:37+02:00" photoshop:DateCreated="2024-06-01"'
    )
    mtime = datetime(2024, 6, 3, 8, 30, tzinfo=UTC)  # saved by the editor, not copied since
    record = read(
        write(tmp_path, "ComfyUI_00230_.png", build_png(itxt_chunk("XML:com.adobe.xmp", packet)), mtime)
    )
    assert (record.created_at, record.created_at_source, record.extra.get(TIME_REJECTED)) == (
        mtime,
        "file:mtime",
        None,
    )


@pytest.mark.parametrize("field", ["xmp:ModifyDate", "xmp:MetadataDate"])
def test_an_mtime_long_after_the_xmp_edit_time_is_a_copy_time(tmp_path: Path, field: str) -> None:
    """Probe ComfyUI_00231_: Photoshop 'Export As' kept only XMP; the file reached a NAS 9 months later."""
    packet = xmp_packet(
        f'xmp:CreatorTool="Adobe Photoshop 25.9 (Windows)" {field}="2024-06-03T10:21:37+02:00"'
    )
    data = build_png(itxt_chunk("XML:com.adobe.xmp", packet))
    record = read(write(tmp_path, "ComfyUI_00231_.png", data, datetime(2025, 3, 1, 18, 44, 9, tzinfo=UTC)))
    assert (record.created_at, record.created_at_source) == (None, None)
    assert f"XMP {field} 2024-06-03 (copied since)" in record.extra[TIME_REJECTED]


# -- 4. file names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ChatGPT Image Jun 13, 2025, 11_02_09 PM.png", datetime(2025, 6, 13, 23, 2, 9)),
        ("ChatGPT Image Apr 5, 2025, 12_39_09 AM.png", datetime(2025, 4, 5, 0, 39, 9)),
        ("Screenshot 2025-06-12 at 9.07.45\u202fPM.png", datetime(2025, 6, 12, 21, 7, 45)),
        ("Screenshot 2025-06-12 at 9.07.45 PM.png", datetime(2025, 6, 12, 21, 7, 45)),
        ("Screen Shot 2024-11-02 at 10.15.42 PM.png", datetime(2024, 11, 2, 22, 15, 42)),
        ("Screenshot 2024-11-02 at 12.05.00 PM (2).png", datetime(2024, 11, 2, 12, 5)),
    ],
)
def test_twelve_hour_names_are_local_second_times(tmp_path: Path, name: str, expected: datetime) -> None:
    """ChatGPT downloads (month name, ``_`` for ``:``) and macOS screenshots (one-digit hour, U+202F
    before PM since macOS 13): the stripped file's only time is its name, in the local zone."""
    mtime = datetime(2025, 7, 4, 8, tzinfo=UTC)
    record = read(write(tmp_path, name, build_png(), mtime), PARIS)
    assert record.created_at == expected.replace(tzinfo=PARIS)
    assert (record.created_at_source, record.created_at_precision) == ("filename", TimePrecision.SECOND)


@pytest.mark.parametrize(
    ("name", "day"),
    [
        ("IMG-20250613-WA0003.jpg", datetime(2025, 6, 13)),  # WhatsApp
        ("2024-05-18_00003_.png", datetime(2024, 5, 18)),  # ComfyUI %date:yyyy-MM-dd% prefix
        ("00521-2024-05-18-3141592654.png", datetime(2024, 5, 18)),  # A1111 [date]
        ("CR_20250612_00001_.png", datetime(2025, 6, 12)),  # Comfyroll prefix_presets yyyyMMdd
    ],
)
def test_a_date_only_name_is_a_day_placed_by_an_mtime_on_that_day(
    tmp_path: Path, name: str, day: datetime
) -> None:
    """The SwarmUI ``date`` rule: an mtime inside that (local) day gives the time of day, another
    day's mtime (a copy weeks later) leaves the day alone."""
    copied = read(write(tmp_path, name, exif_jpeg(), datetime(2025, 7, 5, 8, tzinfo=UTC)), TOKYO)
    assert copied.created_at == day.replace(tzinfo=TOKYO)
    assert (copied.created_at_source, copied.created_at_precision) == ("filename", TimePrecision.DAY)
    same_day = day.replace(hour=21, minute=30, second=2, tzinfo=TOKYO)
    placed = read(write(tmp_path, name, exif_jpeg(), same_day), TOKYO)
    assert placed.created_at == same_day
    assert (placed.created_at_source, placed.created_at_precision) == (
        "filename+file:mtime",
        TimePrecision.SECOND,
    )


def test_a_seed_in_the_name_is_not_a_date(tmp_path: Path) -> None:
    """``filename_prefix`` ``ComfyUI_%KSampler.seed%`` with seed 20240518 (probe35), and A1111's
    default ``[number]-[seed]`` with no metadata left: eight digits, but a seed."""
    mtime = datetime(2025, 7, 5, 8, tzinfo=UTC)
    graph = sampled(seed=20240518)
    comfy = read(
        write(
            tmp_path, "ComfyUI_20240518_00001_.png", build_png(text_chunk("prompt", json.dumps(graph))), mtime
        )
    )
    assert (comfy.seed, comfy.created_at_source) == (20240518, "file:mtime")
    stripped = read(write(tmp_path, "00042-20240518.png", build_png(), mtime))
    assert stripped.created_at_source == "file:mtime"


def test_an_a1111_file_in_its_dated_output_folder_keeps_that_day_after_a_copy(tmp_path: Path) -> None:
    """``outputs/txt2img-images/2024-05-18/00012-1234500009.png`` copied without its mtime: the infotext
    has no time, the mtime is the copy's; the folder names the day it was generated."""
    png = build_png(text_chunk("parameters", A1111_TEXT))
    folder = tmp_path / "txt2img-images" / "2024-05-18"
    folder.mkdir(parents=True)
    copied = write(folder, "00012-1234500009.png", png, NOW - timedelta(hours=1))
    record = read(copied)
    assert (record.created_at, record.created_at_source, record.created_at_precision) == (
        datetime(2024, 5, 18, tzinfo=UTC),
        "folder",
        TimePrecision.DAY,
    )
    kept = write(folder, "00013-1234500010.png", png, datetime(2024, 5, 18, 14, 3, 22, tzinfo=UTC))
    assert (read(kept).created_at, read(kept).created_at_source) == (
        datetime(2024, 5, 18, 14, 3, 22, tzinfo=UTC),
        "folder+file:mtime",
    )
    undated = write(tmp_path / "txt2img-images", "00014-1234500011.png", png, NOW - timedelta(hours=1))
    assert read(undated).created_at_source == "file:mtime"
