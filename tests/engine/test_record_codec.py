from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.record_codec import (
    RecordFieldError,
    RecordLineError,
    read_records_jsonl,
    record_from_json,
    record_to_json,
)
from engine.records import GenerationRecord, LoraRef, TimePrecision

EXAMPLE = {
    "id": "g0000042",
    "tool": "comfyui",
    "created_at": "2026-02-25T20:14:03+01:00",
    "prompt": "neon alley at night, cinematic photo",
    "negative_prompt": "blurry",
    "seed": 1234,
    "cfg_scale": 7.0,
    "steps": 30,
    "sampler": "dpmpp_2m",
    "model": "sd_xl_base_1.0.safetensors",
    "loras": [{"name": "add_detail", "weight": 0.6}],
    "width": 1024,
    "height": 1024,
    "file_name": "ComfyUI_00042_.png",
}


def test_documented_example_parses_every_field() -> None:
    record = record_from_json(EXAMPLE)
    assert record.id == "g0000042"
    assert record.created_at == datetime(2026, 2, 25, 19, 14, 3, tzinfo=UTC)
    assert record.created_at_precision is TimePrecision.SECOND
    assert record.loras == (LoraRef("add_detail", 0.6),)
    assert (record.seed, record.steps, record.cfg_scale, record.width) == (1234, 30, 7.0, 1024)
    assert record.extra == {}


def test_round_trip_keeps_unknown_fields_in_extra() -> None:
    record = record_from_json(EXAMPLE | {"aesthetic_score": 6.5})
    assert record.extra == {"aesthetic_score": 6.5}
    again = record_from_json(record_to_json(record))
    assert again == record


def test_naive_time_uses_the_users_zone_and_precision_follows_the_text() -> None:
    paris = ZoneInfo("Europe/Paris")
    record = record_from_json({"id": "a", "tool": "a1111", "created_at": "2026-07-01T10:00"}, local_tz=paris)
    assert record.created_at is not None and record.created_at.utcoffset() == timedelta(hours=2)
    assert record.created_at_precision is TimePrecision.MINUTE
    day = record_from_json({"id": "b", "tool": "a1111", "created_at": "2026-07-01"}, local_tz=UTC)
    assert day.created_at_precision is TimePrecision.DAY
    ms = record_from_json({"id": "c", "tool": "a1111", "created_at": "2026-07-01T10:00:00.250Z"})
    assert ms.created_at_precision is TimePrecision.MILLISECOND
    assert ms.created_at == datetime(2026, 7, 1, 10, 0, 0, 250000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"seed": "abc"}, "seed"),
        ({"cfg_scale": "7"}, "cfg_scale"),
        ({"prompt": 12}, "prompt"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"loras": "add_detail"}, "loras"),
        ({"id": ""}, "id"),
        ({"steps": True}, "steps"),
    ],
)
def test_wrong_types_name_the_field(patch: dict[str, object], field: str) -> None:
    with pytest.raises(RecordFieldError) as caught:
        record_from_json(EXAMPLE | patch)
    assert caught.value.field == field


def test_jsonl_reports_bad_lines_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(
        '{"id": "a", "tool": "comfyui", "created_at": "2026-01-01T10:00:00Z"}\n'
        "\n"
        "{not json\n"
        '{"id": "b", "tool": "comfyui", "seed": "x"}\n'
        '{"id": "c", "tool": "comfyui"}\n'
    )
    results = list(read_records_jsonl(path, default_user="ada"))
    assert [r.id for r in results if isinstance(r, GenerationRecord)] == ["a", "c"]
    errors = [r for r in results if isinstance(r, RecordLineError)]
    assert [e.line_number for e in errors] == [3, 4]
    assert "'seed'" in errors[1].message
    assert all(r.user == "ada" for r in results if isinstance(r, GenerationRecord))


def test_a_line_nested_ten_thousand_deep_is_a_line_error_and_the_next_line_still_reads(
    tmp_path: Path,
) -> None:
    path = tmp_path / "deep.jsonl"
    good = '{"id": "after", "tool": "comfyui"}\n'
    path.write_text('{"a":' * 10_000 + "\n" + "[" * 65 + "]" * 65 + "\n" + good)

    results = list(read_records_jsonl(path))

    assert [type(item) for item in results] == [RecordLineError, RecordLineError, GenerationRecord]
    assert all("nested deeper than 64 levels" in item.message for item in results[:2])  # type: ignore[union-attr]
    assert [item.line_number for item in results[:2]] == [1, 2]  # type: ignore[union-attr]


def test_nesting_up_to_the_limit_is_kept_in_extra(tmp_path: Path) -> None:
    path = tmp_path / "nested.jsonl"
    nested = "[" * 63 + "]" * 63
    path.write_text('{"id": "n", "tool": "comfyui", "deep": ' + nested + "}\n")

    (record,) = list(read_records_jsonl(path))

    assert isinstance(record, GenerationRecord) and "deep" in record.extra
