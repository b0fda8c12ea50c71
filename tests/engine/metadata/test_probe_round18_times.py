"""Probe round 18: generation times (``created_at``, its precision and its source).

- A day kept outside the name (a date folder, SwarmUI's ``date``) is placed by a time of day that
  starts the name: ComfyUI's ``%date:yyyy-MM-dd%/%date:hhmmss%`` prefix (second), SwarmUI's default
  ``raw/[year]-[month]-[day]/[hour][minute][request_time_inc]-…`` (minute; the mtime of the save, when
  it follows within the hour, refines it).
- A naive wall-clock time in the hour repeated when clocks go back is the occurrence next to the
  file's credible mtime.
- A copy moment shared by files of several tools is no time also for files whose day came from a
  better source and whose time of day came from the mtime: they keep their day only.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from comfy_graph_builder import sampled
from metadata_png_builder import build_png, text_chunk
from PIL import ExifTags, Image

from engine.copy_times import TIME_REJECTED, reject_copy_times
from engine.metadata import read_image_bytes
from engine.records import GenerationRecord, TimePrecision

PARIS = ZoneInfo("Europe/Paris")
TOKYO = ZoneInfo("Asia/Tokyo")


def comfy_png() -> bytes:
    return build_png(text_chunk("prompt", json.dumps(sampled())))


def swarm_png(day: str) -> bytes:
    """SwarmUI's PNG ``parameters`` (T2IParamInput.GenFullMetadataObject): ``date`` is the request's day."""
    document = {
        "sui_image_params": {"prompt": "a harbour crane at dawn", "model": "juggernautXL_v9", "seed": 42},
        "sui_extra_data": {"date": day, "generation_time": "3.41 sec"},
    }
    return build_png(text_chunk("parameters", json.dumps(document, indent=2)))


def fooocus_png(seed: int) -> bytes:
    document = {"prompt": "a foggy station", "base_model": "juggernautXL_v8Rundiffusion", "seed": str(seed)}
    return build_png(text_chunk("parameters", json.dumps(document)), text_chunk("fooocus_scheme", "fooocus"))


def naive_original_jpeg(original: str) -> bytes:
    """A JPEG whose EXIF ``DateTimeOriginal`` has no ``OffsetTimeOriginal`` (a wall-clock time)."""
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[0x9003] = original
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def read(data: bytes, name: str, mtime: datetime, *, folder: str | None = None, tz: ZoneInfo | None = None):
    return read_image_bytes(data, file_name=name, mtime=mtime, local_tz=tz, folder_name=folder).record


def test_comfy_date_folder_with_an_hhmmss_name_gives_the_time_of_day() -> None:
    copied_later = datetime(2024, 9, 20, 10, 0, tzinfo=UTC)
    record = read(comfy_png(), "143015_00001_.png", copied_later, folder="2024-08-09")
    assert record.created_at == datetime(2024, 8, 9, 14, 30, 15, tzinfo=UTC)
    assert (record.created_at_source, record.created_at_precision) == (
        "folder+filename",
        TimePrecision.SECOND,
    )
    # the name's time (queue time) ranks above an mtime on the same day
    same_day = datetime(2024, 8, 10, 9, 15, 31, tzinfo=UTC)
    record = read(comfy_png(), "091502_00001_.png", same_day, folder="2024-08-10")
    assert record.created_at == datetime(2024, 8, 10, 9, 15, 2, tzinfo=UTC)


def test_swarm_default_path_gives_the_request_minute_unless_the_save_refines_it() -> None:
    copied_that_evening = datetime(2024, 5, 20, 21, 40, tzinfo=UTC)
    name = "0905001-a harbour crane at dawn-juggernautXL_v9.png"
    record = read(swarm_png("2024-05-20"), name, copied_that_evening, folder="2024-05-20")
    assert record.created_at == datetime(2024, 5, 20, 9, 5, tzinfo=UTC)
    assert record.created_at_precision is TimePrecision.MINUTE
    assert record.created_at_source == "metadata:sui_extra_data.date+filename"
    saved = datetime(2024, 5, 20, 9, 5, 52, tzinfo=UTC)
    record = read(swarm_png("2024-05-20"), name, saved, folder="2024-05-20")
    assert (record.created_at, record.created_at_precision) == (saved, TimePrecision.SECOND)
    assert record.created_at_source == "metadata:sui_extra_data.date+file:mtime"
    # in the user's zone (SwarmUI writes the server's local clock)
    copied = datetime(2024, 7, 1, tzinfo=UTC)
    late = "2330001-a night market-juggernautXL_v9.png"
    record = read(swarm_png("2024-05-21"), late, copied, folder="2024-05-21", tz=TOKYO)
    assert record.created_at == datetime(2024, 5, 21, 23, 30, tzinfo=TOKYO)


def test_a_leading_number_is_a_time_of_day_only_in_the_two_grammars() -> None:
    from engine.name_times import name_time_of_day

    assert name_time_of_day("143015_00001_.png") is not None
    assert name_time_of_day("14-30-15_00001_.png") is not None
    assert name_time_of_day("1230001-a cat-model.png") is not None
    assert name_time_of_day("00042-1234567.png") is None  # A1111 counter and seed
    assert name_time_of_day("1234567-a cat.png", seed=1234567) is None  # [seed]-[prompt]
    assert name_time_of_day("123456_00001_.png", seed=123456) is None  # %KSampler.seed% prefix
    assert name_time_of_day("256015_00001_.png") is None  # no hour 25
    assert name_time_of_day("ComfyUI_00001_.png") is None


@pytest.mark.parametrize(
    ("data", "name", "mtime", "expected"),
    [
        # fall back 2024-10-27 03:00 CEST → 02:00 CET: 02:30:15 happens twice
        (fooocus_png(5678), "2024-10-27_02-30-15_5678.png", datetime(2024, 10, 27, 1, 30, 16, tzinfo=UTC), 1),
        (
            naive_original_jpeg("2024:10:27 02:45:30"),
            "render.jpg",
            datetime(2024, 10, 27, 1, 45, 31, tzinfo=UTC),
            1,
        ),
    ],
    ids=["fooocus-name", "exif-original-without-offset"],
)
def test_a_time_in_the_repeated_hour_is_the_occurrence_next_to_the_mtime(
    data: bytes, name: str, mtime: datetime, expected: int
) -> None:
    record = read(data, name, mtime, tz=PARIS)
    assert record.created_at is not None
    assert record.created_at.utcoffset() == timedelta(hours=expected)
    assert abs(record.created_at - mtime) < timedelta(seconds=2)


def mtime_day_record(
    index: int, at: datetime, source: str, *, tool: str, model: str, name: str = ""
) -> GenerationRecord:
    return GenerationRecord(
        id=f"r{index}",
        tool=tool,
        model=model,
        file_name=name or f"0010{index}-{index}.png",
        created_at=at,
        created_at_source=source,
        created_at_precision=TimePrecision.SECOND,
    )


def test_a_copy_keeps_the_day_of_a_better_source_and_drops_the_copy_time() -> None:
    copy = datetime(2025, 2, 14, 21, 0, tzinfo=UTC)
    folder_days = [
        mtime_day_record(
            i, copy + timedelta(seconds=0.1 * i), "folder+file:mtime", tool="a1111", model=f"m{i % 2}"
        )
        for i in range(3)
    ]
    swarm_day = mtime_day_record(
        5,
        copy + timedelta(seconds=0.4),
        "metadata:sui_extra_data.date+file:mtime",
        tool="swarmui",
        model="flux",
    )
    swarm_minute = mtime_day_record(
        6,
        copy + timedelta(seconds=0.5),
        "metadata:sui_extra_data.date+file:mtime",
        tool="swarmui",
        model="flux",
        name="2052001-a quiet harbor-flux.png",
    )
    bare = mtime_day_record(7, copy + timedelta(seconds=0.6), "file:mtime", tool="novelai", model="nai")
    records = [*folder_days, swarm_day, swarm_minute, bare]
    assert reject_copy_times(records) == 6
    for record in folder_days:
        assert record.created_at == datetime(2025, 2, 14, tzinfo=UTC)
        assert (record.created_at_source, record.created_at_precision) == ("folder", TimePrecision.DAY)
        assert "copy time: 6 files" in record.extra[TIME_REJECTED]
    assert (swarm_day.created_at_source, swarm_day.created_at_precision) == (
        "metadata:sui_extra_data.date",
        TimePrecision.DAY,
    )
    assert swarm_minute.created_at == datetime(2025, 2, 14, 20, 52, tzinfo=UTC)
    assert swarm_minute.created_at_source == "metadata:sui_extra_data.date+filename"
    assert swarm_minute.created_at_precision is TimePrecision.MINUTE
    assert (bare.created_at, bare.created_at_source) == (None, None)
    assert reject_copy_times(records) == 0  # idempotent
