"""Probe round 23: generation times read from file names, folders, mtimes and embedded fields.

- SwarmUI's ComfyUI-workflow-tab names ``comfy-workflow-[year]-[month]-[day]-[hour][minute]
  [request_time_inc]-[number]`` give their minute (the save's mtime within the hour refines it; a
  copy gives it back).
- ComfyUI ``%date:…%`` without leading zeros (``yyyy-M-d``, ``M-d-yyyy``, ``h-mm-ss``) and with
  two-digit years (``yy-MM-dd``, ``yyMMdd-hhmmss``): read when unambiguous, a two-digit year never
  before 2021, an open day/month order decided by the mtime or refused (never guessed).
- A wall time in the hour skipped when clocks go forward is returned with the zone's real offset.
- NovelAI's `` s-<seed>`` slot holds no date, even in a file stripped of its metadata.
- Easy Diffusion's ``$tsb64`` name stamp (time in 1/10 000 s modulo 36**7) is decoded with a day or
  the save's mtime to anchor it; an mtime it shows to be a later copy is no time.
- A copy of ONE tool's dated folders is a copy; a burst of one tool within one second is not.
- A1111's ``[datetime<%Y%m%d_%H%M%S_%f>]`` microseconds; ``yyyy/MM/dd`` nested folders.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from comfy_graph_builder import sampled
from metadata_png_builder import build_png, text_chunk

from engine.copy_times import TIME_REJECTED, reject_copy_times
from engine.metadata import read_image_bytes
from engine.name_times import filename_time
from engine.records import GenerationRecord, TimePrecision

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LATER = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
"""An mtime months after every probe's day (a later copy)."""


def comfy_png() -> bytes:
    return build_png(text_chunk("prompt", json.dumps(sampled())))


def a1111_png(seed: int, model: str = "sd_xl_base_1.0") -> bytes:
    infotext = (
        "a lighthouse in a storm\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M, CFG scale: 7, "
        f"Seed: {seed}, Size: 512x768, Model: {model}, Version: v1.10.1"
    )
    return build_png(text_chunk("parameters", infotext))


def fooocus_png(seed: int) -> bytes:
    document = {"prompt": "a station clock", "base_model": "juggernautXL_v8Rundiffusion", "seed": str(seed)}
    return build_png(text_chunk("parameters", json.dumps(document)), text_chunk("fooocus_scheme", "fooocus"))


def easy_png(prompt: str) -> bytes:
    """Easy Diffusion's ``embed`` metadata: one PNG text chunk per field."""
    fields = {
        "prompt": prompt,
        "seed": "4242",
        "use_stable_diffusion_model": "sd-v1-5",
        "num_inference_steps": "25",
    }
    return build_png(*(text_chunk(key, value) for key, value in fields.items()))


def read(
    data: bytes, name: str, mtime: datetime, *, folder: str | None = None, tz: ZoneInfo | None = None
) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=mtime, local_tz=tz, folder_name=folder).record


def timed(record: GenerationRecord) -> tuple[datetime | None, str | None, TimePrecision | None]:
    return record.created_at, record.created_at_source, record.created_at_precision


def test_swarm_comfy_workflow_tab_name_gives_its_minute() -> None:
    name = "comfy-workflow-2025-03-04-1530001-1.png"
    copied = datetime(2025, 4, 10, 8, 0, tzinfo=UTC)
    assert timed(read(comfy_png(), name, copied)) == (
        datetime(2025, 3, 4, 15, 30, tzinfo=UTC),
        "filename",
        TimePrecision.MINUTE,
    )
    saved = datetime(2025, 3, 4, 15, 30, 40, tzinfo=UTC)  # the save, 40 s into the request minute
    assert timed(read(comfy_png(), name, saved)) == (saved, "filename+file:mtime", TimePrecision.SECOND)


def test_a_copy_gives_a_comfy_workflow_name_its_minute_back() -> None:
    copy = datetime(2025, 3, 4, 15, 30, 40, tzinfo=UTC)
    records = [
        read(comfy_png(), "comfy-workflow-2025-03-04-1530001-1.png", copy),
        read(a1111_png(1), "00001-1.png", copy + timedelta(milliseconds=100)),
        read(fooocus_png(2), "fooocus_render.png", copy + timedelta(milliseconds=200)),
    ]
    assert reject_copy_times(records) == 3
    assert timed(records[0]) == (datetime(2025, 3, 4, 15, 30, tzinfo=UTC), "filename", TimePrecision.MINUTE)


def test_comfy_dates_without_leading_zeros() -> None:
    assert timed(read(comfy_png(), "ComfyUI_00001_.png", LATER, folder="2025-3-4")) == (
        datetime(2025, 3, 4, tzinfo=UTC),
        "folder",
        TimePrecision.DAY,
    )
    assert timed(read(comfy_png(), "9-05-07_00001_.png", LATER, folder="2025-03-05")) == (
        datetime(2025, 3, 5, 9, 5, 7, tzinfo=UTC),
        "folder+filename",
        TimePrecision.SECOND,
    )
    assert timed(read(comfy_png(), "2025-3-6_9-5-7_00001_.png", LATER)) == (
        datetime(2025, 3, 6, 9, 5, 7, tzinfo=UTC),
        "filename",
        TimePrecision.SECOND,
    )


def test_a_day_and_month_order_is_read_only_when_something_decides_it() -> None:
    on_the_day = datetime(2025, 3, 14, 10, 20, tzinfo=UTC)
    record = read(comfy_png(), "ComfyUI_00001_.png", on_the_day, folder="3-14-2025")  # 14 is no month
    assert timed(record) == (on_the_day, "folder+file:mtime", TimePrecision.SECOND)
    march_4 = datetime(2025, 3, 4, 18, 0, tzinfo=UTC)  # April 3 is after the mtime
    record = read(comfy_png(), "ComfyUI_00002_.png", march_4, folder="3-4-2025")
    assert timed(record) == (march_4, "folder+file:mtime", TimePrecision.SECOND)
    record = read(a1111_png(4242), "00001-4242.png", LATER, folder="18.03.2025")
    assert timed(record) == (datetime(2025, 3, 18, tzinfo=UTC), "folder", TimePrecision.DAY)
    record = read(comfy_png(), "ComfyUI_00003_.png", LATER, folder="5-6-2025")  # May 6 or June 5
    assert timed(record) == (LATER, "file:mtime", TimePrecision.SECOND)
    assert "ambiguous" in record.extra[TIME_REJECTED]


def test_a_two_digit_year_is_never_before_2021() -> None:
    record = read(comfy_png(), "ComfyUI_00004_.png", LATER, folder="25-03-04")  # not 2004-03-25
    assert timed(record) == (datetime(2025, 3, 4, tzinfo=UTC), "folder", TimePrecision.DAY)
    on_the_day = datetime(2025, 3, 24, 20, 0, tzinfo=UTC)  # 25-03-24: 2025-03-24 or 2024-03-25
    record = read(comfy_png(), "ComfyUI_00005_.png", on_the_day, folder="25-03-24")
    assert timed(record) == (on_the_day, "folder+file:mtime", TimePrecision.SECOND)
    unpadded = read(comfy_png(), "ComfyUI_00006_.png", LATER, folder="1-2-25")  # %date:M-d-yy%
    assert timed(unpadded) == (LATER, "file:mtime", TimePrecision.SECOND)
    assert "ambiguous (2025-01-02 or 2025-02-01)" in unpadded.extra[TIME_REJECTED]
    january_2 = datetime(2025, 1, 2, 9, 0, tzinfo=UTC)
    record = read(comfy_png(), "ComfyUI_00007_.png", january_2, folder="1-2-25")
    assert timed(record) == (january_2, "folder+file:mtime", TimePrecision.SECOND)
    assert filename_time("250307-143015_00001_.png") == (
        datetime(2025, 3, 7, 14, 30, 15),
        TimePrecision.SECOND,
    )
    assert filename_time("240325-101010_00001_.png") is None  # 2024-03-25 or 2025-03-24


@pytest.mark.parametrize(
    ("name", "mtime", "tz", "expected"),
    [
        # no mtime nearby: the offset before the change (fold=0), shown as the real wall time
        ("2025-03-30_02-30-15_1234.png", LATER, BERLIN, "2025-03-30T03:30:15+02:00"),
        # the mtime 1 s after the fold=0 instant (07:30 UTC)
        (
            "2025-03-09_02-30-00_1234.png",
            datetime(2025, 3, 9, 7, 30, 1, tzinfo=UTC),
            NEW_YORK,
            "2025-03-09T03:30:00-04:00",
        ),
        # the mtime 1 s after the fold=1 instant (06:15 UTC; fold=0 would be after the file was written)
        (
            "2025-03-09_02-15-00_4321.png",
            datetime(2025, 3, 9, 6, 15, 1, tzinfo=UTC),
            NEW_YORK,
            "2025-03-09T01:15:00-05:00",
        ),
    ],
)
def test_a_wall_time_skipped_by_the_clocks_has_the_zones_real_offset(
    name: str, mtime: datetime, tz: ZoneInfo, expected: str
) -> None:
    record = read(fooocus_png(1234), name, mtime, tz=tz)
    assert record.created_at is not None
    assert record.created_at.isoformat() == expected
    assert record.created_at.utcoffset() == record.created_at.astimezone(UTC).astimezone(tz).utcoffset()


def test_novelai_seed_slot_holds_no_date() -> None:
    stripped = build_png()  # a download re-saved without its chunks: only the name is left
    mtime = datetime(2025, 2, 4, 10, 0, tzinfo=UTC)
    assert timed(read(stripped, "a lighthouse at dusk s-20240611.png", mtime)) == (
        mtime,
        "file:mtime",
        TimePrecision.SECOND,
    )
    assert filename_time("2025-03-04 21-15-36 s-1234567890.png") == (
        datetime(2025, 3, 4, 21, 15, 36),
        TimePrecision.SECOND,
    )


def tsb64(moment: datetime, batch: int = 0) -> str:
    """Easy Diffusion's ``base_repr(int(now * 10000), 36)[-7:] + base_repr(batch, 36)``."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def base36(number: int) -> str:
        text = ""
        while True:
            number, rest = divmod(number, 36)
            text = digits[rest] + text
            if number == 0:
                return text

    units = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=100)
    return base36(units)[-7:] + base36(batch)


def test_easy_diffusion_stamp_as_saved() -> None:
    made = datetime(2025, 3, 12, 14, 22, 33, 123400, tzinfo=UTC)
    name = f"a_photo_of_a_red_fox_in_the_snow_{tsb64(made)}.png"
    record = read(easy_png("a photo of a red fox in the snow"), name, made + timedelta(seconds=1.2))
    assert timed(record) == (made, "filename", TimePrecision.MILLISECOND)
    other_prompt = read(easy_png("a castle"), name, made + timedelta(seconds=1.2))
    assert other_prompt.created_at_source == "file:mtime"  # the name is not this file's $p_$tsb64


def test_easy_diffusion_stamp_placed_by_a_date_folder_after_a_late_copy() -> None:
    made = datetime(2025, 3, 12, 9, 10, 11, 500000, tzinfo=UTC)
    name = f"a_lantern_over_a_lake_{tsb64(made, 1)}.png"
    copied = made + timedelta(days=110)  # beyond one 90.7-day wrap of the stamp
    record = read(easy_png("a lantern over a lake"), name, copied, folder="2025-03-12")
    assert timed(record) == (made, "folder+filename", TimePrecision.MILLISECOND)


def test_easy_diffusion_stamp_shows_a_copy_time() -> None:
    made = datetime(2025, 1, 5, 20, 0, tzinfo=UTC)
    name = f"a_castle_on_a_cliff_{tsb64(made)}.png"
    record = read(easy_png("a castle on a cliff"), name, made + timedelta(days=46))
    assert timed(record) == (None, None, None)
    assert "Easy Diffusion" in record.extra[TIME_REJECTED]


def test_a_copy_of_one_tools_dated_folders_is_a_copy_and_a_burst_is_not() -> None:
    copy = datetime(2025, 2, 14, 21, 0, tzinfo=UTC)
    folders = ["2025-02-10", "2025-02-11", "2025-02-12", "2025-02-14", "2025-02-14", "2025-02-14"]
    records = [
        read(
            a1111_png(seed),
            f"0000{seed}-{seed}.png",
            copy + timedelta(milliseconds=100 * seed),
            folder=folder,
        )
        for seed, folder in enumerate(folders, start=1)
    ]
    assert reject_copy_times(records) == 3
    for record in records[3:]:
        assert timed(record) == (datetime(2025, 2, 14, tzinfo=UTC), "folder", TimePrecision.DAY)
        assert "copy time" in record.extra[TIME_REJECTED]
    assert reject_copy_times(records) == 0  # idempotent
    burst_start = datetime(2025, 2, 20, 13, 5, 10, tzinfo=UTC)
    burst = [
        read(
            a1111_png(30 + i),
            f"0003{i}-{30 + i}.png",
            burst_start + timedelta(milliseconds=150 * i),
            folder="2025-02-20",
        )
        for i in range(6)
    ]
    assert reject_copy_times(burst) == 0
    assert [record.created_at for record in burst] == [
        burst_start + timedelta(milliseconds=150 * i) for i in range(6)
    ]


def test_a1111_datetime_with_microseconds() -> None:
    assert filename_time("20250301_101531_123456-987655.png") == (
        datetime(2025, 3, 1, 10, 15, 31, 123456),
        TimePrecision.MILLISECOND,
    )
    # six digits that are the recorded seed are the seed
    assert filename_time("20250301_101531_123456.png", seed=123456) == (
        datetime(2025, 3, 1, 10, 15, 31),
        TimePrecision.SECOND,
    )


def test_nested_year_month_day_folders() -> None:
    record = read(comfy_png(), "ComfyUI_00001_.png", LATER, folder="2025/03/08")
    assert timed(record) == (datetime(2025, 3, 8, tzinfo=UTC), "folder", TimePrecision.DAY)
