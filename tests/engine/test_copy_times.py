"""Copy times judged across files (``engine.copy_times``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.copy_times import MTIME_SOURCE, TIME_REJECTED, reject_copy_times
from engine.records import GenerationRecord, TimePrecision

T0 = datetime(2026, 5, 1, 14, 0, 0, tzinfo=UTC)


def mtime_record(
    index: int,
    seconds: float,
    *,
    tool: str = "a1111",
    model: str | None = None,
    workflow_hash: str | None = None,
    source: str = MTIME_SOURCE,
) -> GenerationRecord:
    return GenerationRecord(
        id=f"r{index}",
        tool=tool,
        created_at=T0 + timedelta(seconds=seconds),
        created_at_source=source,
        created_at_precision=TimePrecision.SECOND,
        model=model,
        workflow_hash=workflow_hash,
        prompt=f"prompt {index}",
    )


def test_unrelated_files_sharing_a_moment_lose_their_time_and_say_why() -> None:
    records = [mtime_record(i, 0.1 * i, model=f"model-{i % 3}.safetensors") for i in range(7)]
    assert reject_copy_times(records) == 7
    for record in records:
        assert (record.created_at, record.created_at_source, record.created_at_precision) == (
            None,
            None,
            None,
        )
        assert "copy time: 7 files from 3 different tools/models" in record.extra[TIME_REJECTED]
    assert reject_copy_times(records) == 0  # idempotent


def test_a_batch_from_one_source_written_in_one_second_keeps_its_times() -> None:
    a1111_batch = [mtime_record(i, 0.2 * i, model="sdxl.safetensors") for i in range(8)]
    # One ComfyUI graph saving several outputs from different checkpoints in one run: one workflow.
    comfy_run = [
        mtime_record(10 + i, 30 + 0.1 * i, tool="comfyui", model=f"m{i}", workflow_hash="w1")
        for i in range(5)
    ]
    assert reject_copy_times(a1111_batch + comfy_run) == 0
    assert all(record.created_at is not None for record in a1111_batch + comfy_run)


def test_only_mtime_times_in_one_chain_are_judged() -> None:
    copied = [mtime_record(i, 0.5 * i, model=f"m{i}") for i in range(4)]
    dated = mtime_record(9, 0.6, model="other", source="metadata:Created Date")
    apart = [mtime_record(20 + i, 120 + 10 * i, model=f"m{i}") for i in range(4)]  # 10 s apart
    pair = [mtime_record(30, 500, model="x"), mtime_record(31, 500.2, model="y")]  # too few to judge
    assert reject_copy_times([*copied, dated, *apart, *pair]) == 4
    assert dated.created_at is not None and TIME_REJECTED not in dated.extra
    assert all(record.created_at is not None for record in apart + pair)


def test_a_long_copy_spanning_seconds_is_one_chain() -> None:
    # A checkout of 600 files over ~6 s: consecutive mtimes never more than a second apart.
    records = [
        mtime_record(i, 0.01 * i, tool=("a1111", "comfyui")[i % 2], model=f"m{i % 5}") for i in range(600)
    ]
    assert reject_copy_times(records) == 600


def test_a_copy_keeps_the_reason_an_earlier_source_was_passed_over() -> None:
    records = [mtime_record(i, 0.1 * i, model=f"m{i}") for i in range(3)]
    records[0].extra[TIME_REJECTED] = "EXIF DateTimeOriginal 2031-07-04T12:00:00+00:00 is in the future"
    assert reject_copy_times(records) == 3
    assert records[0].extra[TIME_REJECTED].startswith("EXIF DateTimeOriginal 2031-07-04T12:00:00+00:00 is in")
    assert "; file mtime is a copy time: 3 files" in records[0].extra[TIME_REJECTED]
    assert records[1].extra[TIME_REJECTED].startswith("file mtime is a copy time")
