"""Numbers Python cannot take as given are a line error naming the field, never an exception out of
the reader (which ended ``atelier analyze`` and ``atelier import`` of the whole file with a traceback).

- an integer literal of more than 4,300 digits: ``json.loads`` refuses it with a plain ``ValueError``
  (Python's limit on int/str conversion), not a ``JSONDecodeError``;
- an integer field given as a string of non-ASCII digits (``"²"``: ``str.isdigit`` says yes, ``int``
  says no) or of more digits than ``int`` converts;
- an integer too large for a float in a float field or a LoRA weight (``math.isfinite`` raises
  ``OverflowError`` on it).
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.record_codec import (
    RecordFieldError,
    RecordLineError,
    decode_record_lines,
    read_records_jsonl,
    record_from_json,
)
from engine.records import GenerationRecord

GOOD = {"id": "good", "tool": "comfyui", "created_at": "2026-03-01T10:00:00+00:00"}
HUGE = "9" * 5000
"""More digits than ``int()`` converts from text by default (4,300)."""


def _line(**fields: object) -> bytes:
    return json.dumps(GOOD | {"id": "bad"} | fields).encode() + b"\n"


HOSTILE_LINES: dict[bytes, str] = {
    b'{"id": "bad", "created_at": "2026-03-01T10:00:00Z", "seed": ' + HUGE.encode() + b"}\n": "digits",
    b'{"id": "bad", "created_at": "2026-03-01T10:00:00Z", "extra": {"n": -'
    + HUGE.encode()
    + b"}}\n": "digits",
    _line(seed="\u00b2"): "seed",
    _line(steps="\u0661\u0662"): "steps",
    _line(width=HUGE): "width",
    _line(height="-" + HUGE): "height",
    _line(cfg_scale=10**400): "cfg_scale",
    _line(denoise=-(10**400)): "denoise",
    _line(loras=[{"name": "detail", "weight": 10**400}]): "loras",
}


def test_each_hostile_number_is_a_line_error_and_the_other_lines_still_read(tmp_path: Path) -> None:
    path = tmp_path / "numbers.jsonl"
    lines = list(HOSTILE_LINES)
    path.write_bytes(b"".join(lines) + json.dumps(GOOD).encode() + b"\n")

    read = list(read_records_jsonl(path))

    assert len(read) == len(lines) + 1
    *errors, last = read
    assert isinstance(last, GenerationRecord) and last.id == "good"
    for error, expected in zip(errors, HOSTILE_LINES.values(), strict=True):
        assert isinstance(error, RecordLineError), error
        assert expected in error.message, error.message
    assert [error.line_number for error in errors if isinstance(error, RecordLineError)] == list(
        range(1, len(lines) + 1)
    )


def test_the_parallel_decoder_refuses_the_same_lines_without_raising() -> None:
    for line in HOSTILE_LINES:
        assert decode_record_lines(line + json.dumps(GOOD).encode() + b"\n") is None


def test_record_from_json_raises_only_record_field_errors() -> None:
    for fields in (
        {"seed": "\u00b2"},
        {"steps": "20"},  # digits, but a string: the wrong type (generation-records.md)
        {"seed": HUGE},
        {"cfg_scale": 10**400},
        {"loras": [{"name": "x", "weight": -(10**400)}]},
    ):
        try:
            record_from_json(GOOD | fields)
        except RecordFieldError as error:
            assert str(error)
        else:
            raise AssertionError(f"{fields} was accepted")
    # plain large integers still read: seeds reach 2**64 - 1, and the catalog drops what it cannot store
    assert record_from_json(GOOD | {"seed": 2**70, "steps": 20}).seed == 2**70
