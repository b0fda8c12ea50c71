from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine import record_codec
from engine.record_codec import (
    MAX_NESTING_DEPTH,
    RecordFieldError,
    RecordLineError,
    nesting_too_deep,
    read_records_jsonl,
    record_from_json,
    record_to_json,
    unpaired_surrogate,
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


def test_nan_and_infinity_are_line_errors_not_numbers(tmp_path: Path) -> None:
    """Python's JSON parser takes NaN and Infinity (JSON has neither): a record must not carry them."""
    path = tmp_path / "log.jsonl"
    path.write_text(
        '{"id": "a", "tool": "comfyui", "cfg_scale": NaN}\n'
        '{"id": "b", "tool": "comfyui", "denoise": -Infinity}\n'
        '{"id": "c", "tool": "comfyui", "loras": [{"name": "detail", "weight": Infinity}]}\n'
        '{"id": "d", "tool": "comfyui", "cfg_scale": 7.5}\n'
    )
    results = list(read_records_jsonl(path))
    errors = [r for r in results if isinstance(r, RecordLineError)]
    assert [(e.line_number, e.message) for e in errors] == [
        (1, "field 'cfg_scale': must be a finite number, got nan"),
        (2, "field 'denoise': must be a finite number, got -inf"),
        (3, "field 'loras': weight of 'detail' must be a finite number"),
    ]
    assert [r.id for r in results if isinstance(r, GenerationRecord)] == ["d"]


@pytest.mark.parametrize("block_bytes", [1 << 22, 1])  # whole blocks and one line at a time
def test_an_unpaired_surrogate_in_a_text_field_is_a_line_error_and_a_pair_is_a_character(
    tmp_path: Path, block_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``\\ud800`` alone is valid JSON but no character: no UTF-8 output can print it (analyze crashed
    encoding its labels). An escaped pair is an ordinary character beyond U+FFFF."""
    path = tmp_path / "log.jsonl"
    path.write_text(
        '{"id": "a", "tool": "comfyui", "prompt": "moon \\ud800"}\n'
        '{"id": "b", "tool": "comfyui", "loras": [{"name": "x\\udfff"}]}\n'
        '{"id": "c\\uDBFF", "tool": "comfyui"}\n'
        '{"id": "d", "tool": "comfyui", "prompt": "moon \\ud83c\\udf19", "extra": {"note": "\\ud800"}}\n'
    )
    monkeypatch.setattr(record_codec, "BLOCK_BYTES", block_bytes)
    results = list(read_records_jsonl(path))
    errors = [(r.line_number, r.message) for r in results if isinstance(r, RecordLineError)]
    assert errors == [
        (1, "field 'prompt': contains an unpaired surrogate (U+D800)"),
        (2, "field 'loras': contains an unpaired surrogate (U+DFFF)"),
        (3, "field 'id': contains an unpaired surrogate (U+DBFF)"),
    ]
    (kept,) = [r for r in results if isinstance(r, GenerationRecord)]
    assert kept.prompt == "moon \U0001f319" and kept.extra == {"note": "\ud800"}  # extra kept as is


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


def _reference(path: Path, **options: Any) -> list[GenerationRecord | RecordLineError]:
    """``read_records_jsonl`` as it was before the typed fast decoder: json.loads + record_from_json."""
    results: list[GenerationRecord | RecordLineError] = []
    for line_number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            results.append(RecordLineError(line_number, f"not valid JSON ({error})"))
            continue
        try:
            record = record_from_json(obj, **options)
        except RecordFieldError as error:
            results.append(RecordLineError(line_number, str(error)))
            continue
        problem = unpaired_surrogate(record)  # the one rule added since: text that UTF-8 can carry
        results.append(record if problem is None else RecordLineError(line_number, str(problem)))
    return results


def _varied_lines(count: int, seed: int) -> list[str]:
    """Canonical lines in many shapes (every field present or absent, nulls, naive/Z/offset times of
    every precision, loras, nested extra, non-ASCII), each in canonical JSON."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    lines = []
    for index in range(count):
        when = start + timedelta(seconds=rng.randrange(0, 10**6), microseconds=rng.randrange(10**6))
        obj: dict[str, Any] = {"id": f"r{index:05d}", "tool": rng.choice(["comfyui", "A1111", "forge"])}
        time_shape = rng.randrange(7)
        if time_shape == 0:
            obj["created_at"] = when.isoformat(timespec="seconds")
        elif time_shape == 1:
            obj["created_at"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif time_shape == 2:
            obj["created_at"] = when.replace(tzinfo=None).isoformat(timespec="minutes")
        elif time_shape == 3:
            obj["created_at"] = when.astimezone(timezone(timedelta(hours=-5))).isoformat()
        elif time_shape == 4:
            obj["created_at"] = when.date().isoformat()
        elif time_shape == 5:
            obj["created_at"] = None
        if rng.random() < 0.5:
            obj["created_at_precision"] = rng.choice(["day", "minute", "second", "millisecond"])
        for name in ("user", "prompt", "negative_prompt", "sampler", "model", "file_name", "job_id"):
            if rng.random() < 0.6:
                obj[name] = rng.choice([None, f"{name} {rng.randrange(50)}", "café à l'aube, 夜"])
        for name in ("seed", "steps", "width", "height"):
            if rng.random() < 0.6:
                obj[name] = rng.choice([None, rng.randrange(-1, 2**40)])
        for name in ("cfg_scale", "denoise"):
            if rng.random() < 0.6:
                obj[name] = rng.choice([None, 7, 0.35, rng.random() * 20])
        if rng.random() < 0.3:
            obj["loras"] = [{"name": f"lora{k}", "weight": rng.choice([None, 1, 0.6])} for k in range(2)]
        if rng.random() < 0.5:
            obj["extra"] = rng.choice(
                [None, {}, {"file_counter": index}, {"nested": {"list": [1, 2.5, "x", None, True]}}]
            )
        lines.append(json.dumps(obj, ensure_ascii=rng.random() < 0.5))
    return lines


# Lines the typed decoder does not take as they are; each must mean what the reference says it means.
UNUSUAL_LINES = [
    '{"id": 42, "tool": "comfyui", "created_at": "2026-03-01T10:00:00Z"}',  # integer id
    '{"id": "", "tool": "comfyui"}',  # empty id: an error
    '{"id": "a", "tool": ""}',  # empty tool: an error
    '{"id": "a", "tool": null}',
    '{"id": "a", "seed": 7.0, "steps": "30", "width": 512.0}',  # integral float, digit string
    '{"id": "a", "seed": 7.5}',
    '{"id": "a", "steps": true}',
    '{"id": "a", "cfg_scale": "7"}',
    '{"id": "a", "cfg_scale": 1e400}',  # out of range for the typed decoder, inf for json
    '{"id": "a", "denoise": NaN}',  # not JSON, but json.loads reads it
    '{"id": "a", "aesthetic_score": 6.5, "extra": {"k": 1}}',  # unknown field goes to extra
    '{"id": "a", "extra": {"k": 1}, "k": 2}',
    '{"id": "a", "extra": []}',
    '{"id": "a", "created_at_precision": "hour"}',
    '{"id": "a", "created_at": "yesterday"}',
    '{"id": "a", "created_at": " 2026-03-01T10:00:00+01:00 "}',
    '{"id": "a", "created_at": "2026-03-01T10:00:00.250+01:00"}',
    '{"id": "a", "created_at": "2026-03-01 10:00:00+01:00"}',
    '{"id": "a", "created_at": 1740000000}',
    '{"id": "a", "loras": [{"name": "x", "weight": true}]}',
    '{"id": "a", "loras": [{"name": "x", "weight": 0.5, "clip": 1}]}',
    '{"id": "a", "loras": [{"weight": 0.5}]}',
    '{"id": "a", "loras": "x"}',
    '{"id": "a", "prompt": "\\ud800 lone surrogate"}',
    '{"id": "a", "id": "b", "tool": "comfyui"}',  # duplicate keys: the last wins in both
    '{"id": "a", "seed": 123456789012345678901234567890}',
    '["not", "an", "object"]',
    '"just a string"',
    "{not json",
    '{"id": "a"} trailing',
    "\ufeff" + '{"id": "bom"}',
]


@pytest.mark.parametrize(
    ("zone", "block_bytes"), [("UTC", None), ("Europe/Paris", None), ("UTC", 2048), ("UTC", 1)]
)
def test_fast_reader_gives_the_reference_result_for_every_line(
    tmp_path: Path, zone: str, block_bytes: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Line by line, in whole blocks, or blocks of one line: every line means what the reference
    reader says (errors with their line numbers), however the blocks fall."""
    lines = _varied_lines(3000, seed=11)
    for offset, unusual in enumerate(UNUSUAL_LINES):
        lines.insert(7 + 53 * offset, unusual)
    lines.insert(100, "   ")
    path = tmp_path / "varied.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass") + b'{"id": "\xff"}\n')
    options: dict[str, Any] = {"local_tz": ZoneInfo(zone), "default_user": "ada"}

    slow_path_lines = []

    def counted(obj: Any, **kwargs: Any) -> GenerationRecord:
        slow_path_lines.append(obj)
        return record_from_json(obj, **kwargs)

    whole_blocks = []

    def canonical_block(block: list[bytes], *args: Any) -> list[GenerationRecord] | None:
        records = canonical_block_of(block, *args)
        whole_blocks.append(records is not None)
        return records

    canonical_block_of = record_codec._canonical_block
    monkeypatch.setattr(record_codec, "record_from_json", counted)
    monkeypatch.setattr(record_codec, "_canonical_block", canonical_block)
    if block_bytes is not None:
        monkeypatch.setattr(record_codec, "BLOCK_BYTES", block_bytes)
    fast = list(read_records_jsonl(path, **options))
    monkeypatch.undo()
    if block_bytes is not None:  # most blocks are decoded whole, the ones with an unusual line are not
        assert sum(whole_blocks) > len(whole_blocks) / 2 and not all(whole_blocks)

    assert fast == _reference(path, **options)
    assert len(slow_path_lines) <= len(UNUSUAL_LINES)  # the varied canonical lines took the fast path
    assert sum(isinstance(item, RecordLineError) for item in fast) >= 15  # the bad ones are reported
    assert sum(isinstance(item, GenerationRecord) for item in fast) >= 3000


def test_deep_nesting_is_a_clean_line_error_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    deep_extra = '{"id": "d", "extra": {"k": ' + "[" * 200 + "]" * 200 + "}}"
    brackets_in_text = '{"id": "t", "prompt": "' + "[{" * 300 + '"}'
    path.write_text(
        '{"id": "a", "tool": "comfyui"}\n'
        + '{"a":' * 10_000
        + "\n"
        + "[" * 10_000
        + "\n"
        + deep_extra
        + "\n"
        + brackets_in_text
        + "\n"
        + '{"id": "b", "tool": "comfyui"}\n'
    )

    results = list(read_records_jsonl(path))

    assert [r.id for r in results if isinstance(r, GenerationRecord)] == ["a", "t", "b"]
    errors = {e.line_number: e.message for e in results if isinstance(e, RecordLineError)}
    assert set(errors) == {2, 3, 4}
    assert errors[2] == f"field 'a': nested deeper than {MAX_NESTING_DEPTH} levels"
    assert errors[3] == f"field '(record)': nested deeper than {MAX_NESTING_DEPTH} levels"
    assert errors[4] == f"field 'extra': nested deeper than {MAX_NESTING_DEPTH} levels"


def test_nesting_at_the_limit_is_accepted() -> None:
    at_limit = '{"id": "x", "extra": ' + '{"k": ' * (MAX_NESTING_DEPTH - 1) + "1" + "}" * MAX_NESTING_DEPTH
    assert nesting_too_deep(at_limit) is None
    assert json.loads(at_limit)["id"] == "x"
    one_more = '{"id": "x", "extra": ' + '{"k": ' * MAX_NESTING_DEPTH + "1" + "}" * (MAX_NESTING_DEPTH + 1)
    error = nesting_too_deep(one_more)
    assert error is not None and error.field == "extra"


def test_a_line_too_deep_in_extra_is_a_line_error_in_a_block_of_canonical_lines(tmp_path: Path) -> None:
    """Every other line canonical, so the block decodes whole: the deep ``extra`` must still be the
    line error it is when read alone (it was accepted in that case)."""
    path = tmp_path / "deep.jsonl"
    deep = '{"id": "d", "tool": "comfyui", "extra": {"k": ' + "[" * 100 + "]" * 100 + "}}"
    at_limit = '{"id": "e", "tool": "comfyui", "extra": {"k": ' + "[" * 61 + "]" * 61 + "}}"
    path.write_text('{"id": "a", "tool": "comfyui"}\n' + deep + "\n" + at_limit + "\n")
    results = list(read_records_jsonl(path))
    assert [r.id for r in results if isinstance(r, GenerationRecord)] == ["a", "e"]
    assert [(e.line_number, e.message) for e in results if isinstance(e, RecordLineError)] == [
        (2, f"field 'extra': nested deeper than {MAX_NESTING_DEPTH} levels")
    ]


_WIDE_TEXT_LINES = [
    json.dumps(
        {"id": "w1", "tool": "comfyui", "created_at": "2026-02-25T20:00:00Z", "prompt": "夜の街, neon"}
    ),
    "",
    json.dumps({"id": "w2", "tool": "a1111", "prompt": "café \U0001f3a8 fox", "seed": 3}, ensure_ascii=False),
    '{"id": "w3", "seed": "many"}',
    json.dumps({"id": "w4", "tool": "comfyui", "created_at": "2026-02-25T20:01:00Z"}),
]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be", "utf-8-sig"])
def test_a_file_with_a_byte_order_mark_reads_like_its_utf8_twin(tmp_path: Path, encoding: str) -> None:
    """Windows PowerShell 5.1 writes UTF-16 with a byte order mark (``>``, ``Out-File``): the same
    records and line errors, with the same line numbers, as the UTF-8 file."""
    text = "\r\n".join(_WIDE_TEXT_LINES) + "\r\n"
    utf8, wide = tmp_path / "utf8.jsonl", tmp_path / "wide.jsonl"
    utf8.write_bytes(text.encode("utf-8"))
    bom = {"utf-16-be": b"\xfe\xff", "utf-32-be": b"\x00\x00\xfe\xff"}.get(encoding, b"")
    wide.write_bytes(bom + text.encode(encoding))  # "utf-16" / "utf-32" / "utf-8-sig" write their own mark
    expected = list(read_records_jsonl(utf8))
    assert [type(item) for item in expected] == [
        GenerationRecord,
        GenerationRecord,
        RecordLineError,
        GenerationRecord,
    ]
    assert list(read_records_jsonl(wide)) == expected


def test_a_utf16_file_that_breaks_off_keeps_its_whole_lines_and_names_the_broken_one(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    text = "\n".join(_WIDE_TEXT_LINES[:3]) + "\n" + _WIDE_TEXT_LINES[4] + "\n"
    path.write_bytes(text.encode("utf-16")[:-3])  # the last character cut in half
    read = list(read_records_jsonl(path))
    assert [record.id for record in read if isinstance(record, GenerationRecord)] == ["w1", "w2"]
    assert isinstance(read[-1], RecordLineError) and read[-1].line_number == 4
    assert (
        "not valid UTF-16-LE text" in read[-1].message and "rest of the file is not read" in read[-1].message
    )
