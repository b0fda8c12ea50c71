"""Hostile files, second adversarial round (/tmp/adv): numbers JSON allows and nothing after the reader
can take.

- a ComfyUI graph's integer of hundreds of digits (valid JSON, under Python's 4,300-digit limit) as a
  latent width reached the record as it was, and ``atelier analyze`` ended with a traceback turning it
  into a float; image readers now take integers of at most 64 bits;
- a ``prescale_factor`` of ``1e308`` made the scaled latent size infinite: ``int()`` raised
  ``OverflowError`` and the whole reading was lost as a reader bug;
- a JSONL line with such an integer as ``steps``/``width``/``height`` likewise ended ``atelier analyze``
  (now that line's error, naming the field, by both decoders), and a JSONL line of hundreds of
  megabytes was read whole and analysed (now a line error past 32 MiB, read past in pieces);
- each value a file holds was bounded, their number not: 60 PNG text chunks of 1 MB, or 1,000 JPEG
  comments, cost an import 1.6 GB (texts are kept together up to 16 MiB now), and every problem note
  was checked against all earlier ones: 100,000 corrupt zTXt chunks took over a minute (100 notes are
  kept now, then one saying more were left out).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from metadata_png_builder import (
    build_jpeg,
    build_png,
    build_webp,
    jpeg_segment,
    png_chunk,
    text_chunk,
    ztxt_chunk,
)

from engine.metadata import ImageReadResult, read_image_bytes
from engine.metadata.values import as_int
from engine.record_codec import RecordLineError, decode_record_lines, read_records_jsonl
from engine.records import GenerationRecord
from tests.cpu_budget import run_within_cpu_budget

WIDE = 10**400
"""An integer JSON writes in 401 digits: Python parses it, a float cannot hold it."""


def _graph(latent_inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 5,
                "steps": 20,
                "cfg": 7,
                "sampler_name": "euler",
                "scheduler": "normal",
                "model": ["4", 0],
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
            },
        },
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd15.safetensors"}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"batch_size": 1, **latent_inputs}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a fox", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
    }


def _read_graph(graph: dict[str, Any]) -> ImageReadResult:
    return read_image_bytes(build_png(text_chunk("prompt", json.dumps(graph))), file_name="x.png", mtime=None)


def _no_reader_bug(result: ImageReadResult) -> None:
    errors = result.record.extra.get("metadata_errors", [])
    assert not any("reader bug" in message for message in errors), errors


def test_a_graph_integer_wider_than_64_bits_is_no_value() -> None:
    graph = _graph({"width": WIDE, "height": 768})
    graph["3"]["inputs"].update(seed=-WIDE, steps=2**64)
    result = _read_graph(graph)
    _no_reader_bug(result)
    record = result.record
    assert record.tool == "comfyui" and record.prompt == "a fox"
    assert (record.width, record.height, record.seed, record.steps) == (None, 768, None, None)


def test_a_huge_prescale_factor_leaves_the_size_unknown_not_the_whole_reading() -> None:
    result = _read_graph(_graph({"width": 512, "height": 768, "prescale_factor": 1e308}))
    _no_reader_bug(result)
    assert result.record.tool == "comfyui" and result.record.seed == 5
    assert (result.record.width, result.record.height) == (None, None)
    scaled = _read_graph(_graph({"width": 512, "height": 768, "prescale_factor": 1.5}))
    assert (scaled.record.width, scaled.record.height) == (768, 1152)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2**64 - 1, 2**64 - 1),  # ComfyUI's largest seed
        (-(2**64) + 1, -(2**64) + 1),
        (2**64, None),
        (WIDE, None),
        (1e300, None),  # an integral float as wide
        ("18446744073709551615", 2**64 - 1),
        ("1" + "0" * 39, None),
    ],
    ids=["max-seed", "min", "2**64", "401-digits", "float-1e300", "max-seed-text", "40-digit-text"],
)
def test_as_int_takes_at_most_64_bits(value: object, expected: int | None) -> None:
    assert as_int(value) == expected


GOOD = {"id": "good", "tool": "comfyui", "created_at": "2026-03-01T10:00:00+00:00"}


@pytest.mark.parametrize("field", ["steps", "width", "height"])
def test_a_jsonl_count_wider_than_64_bits_is_a_line_error(tmp_path: Path, field: str) -> None:
    path = tmp_path / "wide.jsonl"
    bad = json.dumps(GOOD | {"id": "bad", field: WIDE}).encode()
    path.write_bytes(bad + b"\n" + json.dumps(GOOD).encode() + b"\n")

    error, good = list(read_records_jsonl(path))

    assert isinstance(error, RecordLineError) and error.line_number == 1
    assert f"field '{field}'" in error.message and "64 bits" in error.message, error.message
    assert isinstance(good, GenerationRecord) and good.id == "good"
    assert decode_record_lines(bad + b"\n") is None  # the indexed path refuses it too


def test_jsonl_counts_up_to_64_bits_and_any_seed_still_read(tmp_path: Path) -> None:
    """The canonical decoder takes int64 counts and hands wider ones to the reference decoder, which
    takes up to 64 bits: both give the same record."""
    lines = [
        GOOD | {"id": "a", "width": 2**63 - 1},
        GOOD | {"id": "b", "width": 2**64 - 1, "steps": -(2**63)},
        GOOD | {"id": "c", "seed": WIDE},
    ]
    data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    path = tmp_path / "ok.jsonl"
    path.write_bytes(data)
    records = list(read_records_jsonl(path))
    assert all(isinstance(record, GenerationRecord) for record in records), records
    assert decode_record_lines(data) == records
    assert [record.width for record in records if isinstance(record, GenerationRecord)] == [
        2**63 - 1,
        2**64 - 1,
        None,
    ]


# -- a JSONL line of hundreds of megabytes -----------------------------------------------------------

LONG_LINE_BYTES = 40 * 1024 * 1024
"""Over ``engine.record_codec.MAX_LINE_BYTES`` (32 MiB; written out: the test also runs on the tree
before it)."""


def test_a_jsonl_line_over_the_limit_is_a_line_error_and_the_rest_is_read(tmp_path: Path) -> None:
    """A valid record whose prompt is 40 MB: read whole and analysed before (a 200 MB one cost
    ``atelier analyze`` 10 s and 656 MB); now that line's error, the lines around it read."""
    path = tmp_path / "long.jsonl"
    prompt = "a" * LONG_LINE_BYTES
    long_line = json.dumps(GOOD | {"id": "long", "prompt": prompt}).encode() + b"\n"
    before, after = (json.dumps(GOOD | {"id": name}).encode() + b"\n" for name in ("before", "after"))
    path.write_bytes(before + long_line + after)

    first, error, last = list(read_records_jsonl(path))

    assert isinstance(first, GenerationRecord) and first.id == "before"
    assert isinstance(error, RecordLineError) and error.line_number == 2
    assert "line longer than" in error.message, error.message
    assert isinstance(last, GenerationRecord) and last.id == "after"
    assert decode_record_lines(before + long_line + after) is None


@pytest.mark.parametrize("seed", range(6))
def test_line_blocks_are_readlines_with_overlong_lines_replaced(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Small limits (pieces of 16 bytes, lines of at most 64): every way a line can meet the pieces."""
    import io
    import random

    from engine import record_codec

    monkeypatch.setattr(record_codec, "BLOCK_BYTES", 16)
    monkeypatch.setattr(record_codec, "MAX_LINE_BYTES", 64)
    rng = random.Random(seed)
    lines = [b"x" * rng.choice([0, 1, 15, 16, 17, 40, 63, 64, 65, 100, 300]) + b"\n" for _ in range(60)]
    if seed % 2:
        lines[-1] = lines[-1][:-1] or b"x"  # a last line without its newline
    data = b"".join(lines)

    read = [line for block in record_codec._line_blocks(io.BytesIO(data)) for line in block]

    expected = [record_codec._OVERLONG_LINE if len(line) > 64 else line for line in lines]
    assert [bytes(line) for line in read] == [bytes(line) for line in expected]
    assert [line is record_codec._OVERLONG_LINE for line in read] == [len(line) > 64 for line in lines]


# -- many values, each within its bound -------------------------------------------------------------

MiB = 1024 * 1024
TEXT_BOUND = 16 * MiB
"""``engine.metadata.limits.MAX_TEXT_TOTAL_BYTES`` (written out: the test also runs on the tree before
it)."""


def _errors(result: ImageReadResult) -> list[str]:
    errors: Any = result.record.extra.get("metadata_errors", [])
    assert isinstance(errors, list)
    return errors


def test_the_notes_of_many_broken_chunks_are_bounded_and_cheap() -> None:
    data = build_png(*(ztxt_chunk(f"k{index}", b"not zlib") for index in range(20_000)))
    result = run_within_cpu_budget(
        lambda: read_image_bytes(data, file_name="x.png", mtime=None), 1.0, "the read"
    )
    errors = _errors(result)
    assert len(errors) == 101, len(errors)
    assert errors[0].startswith("png: zTXt 'k0' refused") and errors[99].startswith("png: zTXt 'k99' refused")
    assert errors[-1].startswith("further problems not listed")


def test_png_texts_are_kept_up_to_the_file_bound() -> None:
    value = b"\xff" * MiB  # Latin-1: one character a byte
    data = build_png(*(png_chunk(b"tEXt", f"k{index}".encode() + b"\0" + value) for index in range(20)))
    result = read_image_bytes(data, file_name="x.png", mtime=None)
    texts = result.record.extra["texts"]
    assert list(texts) == [f"k{index}" for index in range(16)]
    assert sum(map(len, texts.values())) == TEXT_BOUND
    assert any(
        message.startswith("png: tEXt 'k16' of 1048576 characters skipped") for message in _errors(result)
    )


def test_jpeg_comments_are_kept_up_to_the_file_bound() -> None:
    data = build_jpeg(*(jpeg_segment(0xFE, b"\xff" * 65_000) for _ in range(300)))
    result = read_image_bytes(data, file_name="x.jpg", mtime=None)
    comments = result.record.extra["comments"]
    assert len(comments) == TEXT_BOUND // 65_000 == 258
    assert any(message.startswith("jpeg: comment of 65000 characters skipped") for message in _errors(result))


def test_a_webp_xmp_chunk_over_the_value_bound_is_skipped() -> None:
    data = build_webp((b"XMP ", b"<x:xmpmeta>" + b" " * (8 * MiB)))
    result = read_image_bytes(data, file_name="x.webp", mtime=None)
    assert "xmp" not in result.record.extra
    assert any(message.startswith("webp: XMP of") for message in _errors(result))
