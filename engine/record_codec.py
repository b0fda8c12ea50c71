"""Generation records ⇄ JSON objects, and JSON Lines files of them (generation-records.md).

Invariants:
- a line with a wrong-typed field is a :class:`RecordLineError` naming the line number and the field;
  the caller decides to skip it, the rest of the file is still read;
- unknown fields go to ``extra`` verbatim, never dropped; ``record_to_json`` writes them back flat,
  so ``record_from_json(record_to_json(r)) == r`` for records whose ``extra`` keys are not field names;
- a time without a UTC offset is localised with ``local_tz`` (the user's zone) and carries that
  zone's fixed offset at that time (:mod:`engine.local_times`: wall time and printed form as the zone
  gives them, but two such times compare and subtract as instants across a DST change); its precision is
  inferred from the text (``2026-02-25`` → day, ``…T20:14`` → minute, fractional seconds → millisecond);
- a line nested deeper than :data:`MAX_NESTING_DEPTH` (the record object itself is level 1) is a
  :class:`RecordLineError` naming the top-level field that holds the deep value — never a
  ``RecursionError`` — and the rest of the file is still read, so no later step (storing ``extra``
  as JSON included) meets unbounded depth;
- the file is opened without blocking on a FIFO and refused unless it is a regular file.

Speed (``read_records_jsonl``): each line is first decoded by a typed msgspec decoder that accepts only
the canonical shape (known fields, exact JSON types, a string ``id``, a known precision name); any line it
does not accept is decoded again by ``json.loads`` + :func:`record_from_json`, which stays the one
definition of the format. Both give equal records for every line the fast decoder accepts
(``tests/engine/test_record_codec.py`` checks it on simulated files and on edge cases), so the fast
decoder never changes what a file means, only how long reading it takes.
"""

from __future__ import annotations

import io
import json
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import msgspec

from engine.byte_order_marks import wide_encoding
from engine.local_times import localised
from engine.records import MAX_INT_BITS, UNKNOWN_TOOL, GenerationRecord, LoraRef, TimePrecision
from engine.regular_files import open_regular_file

_STRING_FIELDS = (
    "user",
    "created_at_source",
    "prompt",
    "negative_prompt",
    "sampler",
    "scheduler",
    "model",
    "source_image",
    "job_id",
    "parent_job_id",
    "file_name",
    "workflow_hash",
)
_INT_FIELDS = ("seed", "steps", "width", "height")
_COUNT_FIELDS = ("steps", "width", "height")
MAX_COUNT_BITS = MAX_INT_BITS
"""Widest ``steps``/``width``/``height`` accepted (in magnitude), the readers' bound
(:data:`engine.records.MAX_INT_BITS`): analysis turns these into floats, and a wider integer
(JSON allows 4,300 digits) raised ``OverflowError`` there, ending ``atelier analyze`` with a traceback.
Seeds are kept whatever their size (the catalog drops what it cannot store)."""
_FLOAT_FIELDS = ("cfg_scale", "denoise")
KNOWN_FIELDS = frozenset(
    (
        "id",
        "tool",
        "created_at",
        "created_at_precision",
        "loras",
        "extra",
        *_STRING_FIELDS,
        *_INT_FIELDS,
        *_FLOAT_FIELDS,
    )
)
_TIME_OF_DAY = re.compile(r"[T ](\d{2})(?::?(\d{2})(?::?(\d{2})([.,]\d+)?)?)?")
"""The time of day of an ISO 8601 text ``fromisoformat`` took: extended (``20:14:03``) or basic
(``201403``) format, hours alone (minute precision: the finest coarser than a second there is) up to
fractions of a second."""
_PRECISIONS = {precision.value: precision for precision in TimePrecision}

MAX_NESTING_DEPTH = 64
"""Deepest JSON nesting accepted on one line (the record object is level 1, ``extra`` level 2, …)."""
_OPENERS = (b"{", b"[")
_NESTING_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}:]')


class RecordFieldError(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"field {field!r}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True, slots=True)
class RecordLineError:
    line_number: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line_number}: {self.message}"


def parse_timestamp(text: str, local_tz: tzinfo) -> tuple[datetime, TimePrecision]:
    """Parse an ISO 8601 time; naive times are read in ``local_tz`` (the first occurrence of a repeated
    wall time), with that reading's fixed offset."""
    if len(text) == 25 and text[10] == "T" and text[13] == ":" and text[16] == ":" and text[19] in "+-":
        # The common shape ``YYYY-MM-DDTHH:MM:SS±HH:MM``: offset-aware, second precision. Whatever
        # ``fromisoformat`` accepts in this shape has no blanks and no ``Z``, so the general path
        # below would read it the same.
        try:
            return datetime.fromisoformat(text), TimePrecision.SECOND
        except ValueError:
            pass
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise RecordFieldError("created_at", f"not an ISO 8601 time: {text!r}") from error
    match = _TIME_OF_DAY.search(text)
    if match is None:
        precision = TimePrecision.DAY
    elif match.group(4):
        precision = TimePrecision.MILLISECOND
    elif match.group(3):
        precision = TimePrecision.SECOND
    else:
        precision = TimePrecision.MINUTE
    if value.tzinfo is None:
        value = localised(value, local_tz)
    return value, precision


def record_from_json(
    obj: Any, *, local_tz: tzinfo = UTC, default_user: str | None = None
) -> GenerationRecord:
    if not isinstance(obj, dict):
        raise RecordFieldError("(record)", f"expected a JSON object, got {type(obj).__name__}")
    record_id = obj.get("id")
    if not isinstance(record_id, str) or record_id == "":
        shown = "" if record_id is None else f", got {_shown(record_id)}"
        raise RecordFieldError("id", f"required, a non-empty string{shown}")
    tool = obj.get("tool", UNKNOWN_TOOL)
    if not isinstance(tool, str) or not tool:
        raise RecordFieldError("tool", "must be a non-empty string")
    values: dict[str, Any] = {}
    for name in _STRING_FIELDS:
        if obj.get(name) is not None:
            if not isinstance(obj[name], str):
                raise RecordFieldError(name, f"must be a string, got {type(obj[name]).__name__}")
            values[name] = obj[name]
    for name in _INT_FIELDS:
        if obj.get(name) is not None:
            values[name] = _as_int(name, obj[name])
            if name in _COUNT_FIELDS and values[name].bit_length() > MAX_COUNT_BITS:
                raise RecordFieldError(
                    name, f"must be an integer of at most {MAX_COUNT_BITS} bits, got {_shown(values[name])}"
                )
    for name in _FLOAT_FIELDS:
        if obj.get(name) is not None:
            value = obj[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise RecordFieldError(name, f"must be a number, got {type(value).__name__}")
            number = _finite_float(value)
            if number is None:  # NaN / Infinity (not JSON, though Python's parser takes them), 1e400
                raise RecordFieldError(name, f"must be a finite number, got {_shown(value)}")
            values[name] = number
    created_at = precision = None
    if obj.get("created_at") is not None:
        if not isinstance(obj["created_at"], str):
            raise RecordFieldError("created_at", "must be an ISO 8601 string")
        created_at, precision = parse_timestamp(obj["created_at"], local_tz)
    if obj.get("created_at_precision") is not None:
        try:
            precision = TimePrecision(obj["created_at_precision"])
        except ValueError as error:
            raise RecordFieldError(
                "created_at_precision", f"one of {[p.value for p in TimePrecision]}"
            ) from error
    extra_in = obj.get("extra")
    if extra_in is None:
        extra_in = {}
    elif not isinstance(extra_in, dict):
        raise RecordFieldError("extra", f"must be an object, got {_shown(extra_in)}")
    extra = dict(extra_in) | {key: value for key, value in obj.items() if key not in KNOWN_FIELDS}
    values.setdefault("user", default_user)
    return GenerationRecord(
        id=str(record_id),
        tool=tool.lower(),
        created_at=created_at,
        created_at_precision=precision,
        loras=_loras(obj.get("loras")),
        extra=extra,
        **values,
    )


def record_to_json(record: GenerationRecord) -> dict[str, Any]:
    """The interchange object for a record; ``None`` fields and empty collections are omitted."""
    obj: dict[str, Any] = {"id": record.id, "tool": record.tool}
    if record.created_at is not None:
        obj["created_at"] = record.created_at.isoformat()
    if record.created_at_precision is not None:
        obj["created_at_precision"] = str(record.created_at_precision)
    for name in (*_STRING_FIELDS, *_INT_FIELDS, *_FLOAT_FIELDS):
        value = getattr(record, name)
        if value is not None:
            obj[name] = value
    if record.loras:
        obj["loras"] = [{"name": lora.name, "weight": lora.weight} for lora in record.loras]
    if record.extra:
        obj["extra"] = record.extra
    return obj


BLOCK_BYTES = 1 << 22
"""Lines are decoded in blocks of about this many bytes (whole lines)."""
MAX_LINE_BYTES = 1 << 25
"""Longest line read (32 MiB, four times the largest text an image reader keeps): a longer one is that
line's error, read past in pieces and never held whole. A 200 MB line was read whole and decoded, and
its record analysed: 10 s and 656 MB of ``atelier analyze`` for one line."""


def read_records_jsonl(
    path: Path, *, local_tz: tzinfo = UTC, default_user: str | None = None
) -> Iterator[GenerationRecord | RecordLineError]:
    """Yield a record or a :class:`RecordLineError` per non-blank line, in file order.

    Encoding: UTF-8 (a byte order mark is fine). A file that starts with a UTF-16 or UTF-32 byte order
    mark — what Windows PowerShell 5.1 writes with ``>`` or ``Out-File`` — is read as that encoding,
    line numbers unchanged; where such a file stops being valid text (a truncated last character, a
    lone surrogate) its lines up to there are read and one error names the line it broke in.

    Speed: a block of lines that are all in the canonical shape is decoded by one ``decode_lines``
    call (no per-line Python work before the record is built); a block with any other line — an
    unknown field, a wrong type, a bad time, broken or deeply nested JSON, a blank line is fine — is
    read line by line (:func:`_read_line`), so every line means exactly what it means on its own (a
    block whose ``extra`` nests deeper than :data:`MAX_NESTING_DEPTH` is read line by line too)."""
    with open_regular_file(path) as handle:
        wide = wide_encoding(handle.read(4))
        handle.seek(0)
        if wide is None:
            yield from _read_lines(handle, local_tz, default_user)
            return
        utf8, broken_at, reason = _as_utf8(handle.read(), *wide)
    yield from _read_lines(io.BytesIO(utf8), local_tz, default_user)
    if broken_at is not None:
        yield RecordLineError(
            broken_at, f"not valid {wide[1].upper()} text ({reason}); the rest of the file is not read"
        )


def _as_utf8(data: bytes, bom: bytes, codec: str) -> tuple[bytes, int | None, str]:
    """``data`` (starting with ``bom``) as UTF-8, its lines unchanged; if it is not valid ``codec``
    text throughout, only the lines before the one it breaks in, and that line's number and why."""
    body = data[len(bom) :]
    try:
        return body.decode(codec).encode("utf-8"), None, ""
    except UnicodeDecodeError as error:
        text = body[: error.start].decode(codec, errors="ignore")
        whole_lines = text[: text.rfind("\n") + 1]
        return whole_lines.encode("utf-8"), whole_lines.count("\n") + 1, error.reason


def _read_lines(
    handle: BinaryIO, local_tz: tzinfo, default_user: str | None
) -> Iterator[GenerationRecord | RecordLineError]:
    line_number = 0
    for block in _line_blocks(handle):
        records = _canonical_block(block, local_tz, default_user)
        if records is not None:
            yield from records
        else:
            for offset, raw in enumerate(block, start=line_number + 1):
                if not raw.isspace():
                    yield _read_line(raw, offset, local_tz, default_user)
        line_number += len(block)


class _OverlongLine(bytes):
    """Stands for a line over :data:`MAX_LINE_BYTES` in a block of lines (its bytes are not kept)."""


_OVERLONG_LINE = _OverlongLine(b"\x00\n")
"""Not JSON: a block holding it is never decoded whole, so its line is reported (:func:`_read_line`)."""


def _line_blocks(handle: BinaryIO) -> Iterator[list[bytes]]:
    """The lines of ``handle`` (each with its newline, the last one perhaps without) in blocks of about
    :data:`BLOCK_BYTES`, as ``handle.readlines(BLOCK_BYTES)`` gives them, except that a line over
    :data:`MAX_LINE_BYTES` is never held whole: it is read past in pieces and comes as an
    :data:`_OVERLONG_LINE`. Lines end at ``\n`` only (a lone ``\r`` is JSON whitespace)."""
    head = bytearray()  # the start of a line whose end is not read yet
    skipping = False  # that line is over MAX_LINE_BYTES: its bytes are dropped
    while piece := handle.read(BLOCK_BYTES):
        end = piece.rfind(b"\n") + 1
        if not end:  # the line goes on past this piece
            if not skipping:
                head += piece
                if len(head) > MAX_LINE_BYTES:
                    skipping, head = True, bytearray()
            continue
        first_end = piece.find(b"\n") + 1
        if skipping or len(head) + first_end > MAX_LINE_BYTES:
            block: list[bytes] = [_OVERLONG_LINE]
        else:
            block = [bytes(head) + piece[:first_end]]
        block += io.BytesIO(piece[first_end:end]).readlines()  # each shorter than a piece
        skipping, head = False, bytearray(piece[end:])
        yield block
    if skipping:
        yield [_OVERLONG_LINE]
    elif head:
        yield [bytes(head)]


def decode_record_lines(lines: bytes, *, local_tz: tzinfo = UTC) -> list[GenerationRecord] | None:
    """The records of ``lines`` (whole non-blank JSONL lines, each ending with a newline), each line
    read exactly as :func:`read_records_jsonl` reads it; ``None`` as soon as one line is not a record
    (the caller then reads the file the ordinary way, which says which line and why)."""
    if len(lines) > MAX_LINE_BYTES and max(map(len, lines.split(b"\n"))) >= MAX_LINE_BYTES:
        return None  # a line over the limit (with its newline): the ordinary reader says which
    records = _canonical_block([lines], local_tz, None)
    if records is not None:
        return records
    decoded: list[GenerationRecord] = []
    for raw in lines.split(b"\n")[:-1]:
        record = _read_line(raw + b"\n", 0, local_tz, None)
        if isinstance(record, RecordLineError):
            return None
        decoded.append(record)
    return decoded


def _canonical_block(
    block: list[bytes], local_tz: tzinfo, default_user: str | None
) -> list[GenerationRecord] | None:
    """The records of ``block`` when every non-blank line is canonical, else ``None``."""
    lines = b"".join(block)
    if _SURROGATE_ESCAPE.search(lines):
        return None  # each such line is checked on its own (_read_line)
    try:
        records = [
            _record_from_canonical(line, local_tz, default_user)
            for line in _CANONICAL_LINE.decode_lines(lines)
        ]
    except (msgspec.DecodeError, UnicodeDecodeError, _NotCanonical, RecordFieldError):
        return None
    # ``extra`` is free JSON: a line nesting deeper than the limit there is a line error on its own
    # (_read_line), so the block must not accept it either. Most extras are flat: looked at in this
    # loop (no call per record), only an extra holding a container is walked.
    for record in records:
        extra = record.extra
        if extra:
            for child in extra.values():
                if type(child) is dict or type(child) is list:
                    if _nests_deeper(extra, MAX_NESTING_DEPTH - 1):
                        return None
                    break
    return records


def _nests_deeper(value: dict[str, Any], levels: int) -> bool:
    """Whether the decoded JSON object ``value`` (one level itself) nests deeper than ``levels``."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > levels:
            return True
        children = item.values() if type(item) is dict else item
        stack.extend((child, depth + 1) for child in children if type(child) is dict or type(child) is list)
    return False


def _read_line(
    raw: bytes, line_number: int, local_tz: tzinfo, default_user: str | None
) -> GenerationRecord | RecordLineError:
    """One non-blank line: its record, or why it is not one."""
    if isinstance(raw, _OverlongLine):
        return RecordLineError(line_number, f"line longer than {MAX_LINE_BYTES} bytes; not read")
    record = _decode_line(raw, line_number, local_tz, default_user)
    if isinstance(record, GenerationRecord) and _SURROGATE_ESCAPE.search(raw):
        problem = unpaired_surrogate(record)
        if problem is not None:
            return RecordLineError(line_number, str(problem))
    return record


def _decode_line(
    raw: bytes, line_number: int, local_tz: tzinfo, default_user: str | None
) -> GenerationRecord | RecordLineError:
    if raw.count(b"{") + raw.count(b"[") > MAX_NESTING_DEPTH:
        too_deep = nesting_too_deep(raw)
        if too_deep is not None:
            return RecordLineError(line_number, str(too_deep))
    try:
        return _record_from_canonical(_CANONICAL_LINE.decode(raw), local_tz, default_user)
    except (msgspec.DecodeError, UnicodeDecodeError, _NotCanonical):
        pass  # anything unusual: the reference decoder below says what the line means
    except RecordFieldError as error:  # canonical shape, but a value the format rejects
        return RecordLineError(line_number, str(error))
    try:
        obj = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return RecordLineError(line_number, f"not valid JSON ({error})")
    except ValueError:  # json raises a plain ValueError for an integer longer than int() converts
        return RecordLineError(line_number, f"a number has more than {MAX_INT_DIGITS} digits")
    try:
        return record_from_json(obj, local_tz=local_tz, default_user=default_user)
    except RecordFieldError as error:
        return RecordLineError(line_number, str(error))


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
"""A ``\\uD800``–``\\uDFFF`` escape: the only way a UTF-8 line can carry a surrogate (a pair of them
is an escaped character beyond U+FFFF, and fine; one alone is no character at all)."""


def unpaired_surrogate(record: GenerationRecord) -> RecordFieldError | None:
    """The error for the first text field of ``record`` (or LoRA name) holding an unpaired surrogate,
    which no UTF-8 output can carry: ``analyze`` prints these fields. ``extra`` is kept as it is (the
    catalog refuses what it cannot store, file by file)."""
    texts = [(name, getattr(record, name)) for name in ("id", "tool", *_STRING_FIELDS)]
    texts += [("loras", lora.name) for lora in record.loras]
    for name, value in texts:
        if value is None:
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            code = ord(value[error.start])
            return RecordFieldError(name, f"contains an unpaired surrogate (U+{code:04X})")
    return None


def nesting_too_deep(raw: bytes | str) -> RecordFieldError | None:
    """The error for a JSON text nested deeper than :data:`MAX_NESTING_DEPTH`, else ``None``.

    Brackets inside strings do not count. The error names the top-level key whose value is too deep
    (``(record)`` when the text is not an object or the depth is reached before any key). Linear in the
    text's length and never recursive, so it is safe on hostile input before any JSON decoder runs.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"{") + data.count(b"[") <= MAX_NESTING_DEPTH:
        return None
    depth = 0
    key: bytes | None = None
    last_string: bytes | None = None
    for match in _NESTING_TOKENS.finditer(data):
        token = match.group()
        if token in _OPENERS:
            depth += 1
            if depth > MAX_NESTING_DEPTH:
                return RecordFieldError(_key_name(key), f"nested deeper than {MAX_NESTING_DEPTH} levels")
        elif token == b"}" or token == b"]":
            depth -= 1
        elif token == b":":
            if depth == 1:
                key = last_string
        else:
            last_string = token
    return None


def _key_name(key: bytes | None) -> str:
    if key is None:
        return "(record)"
    try:
        name = json.loads(key)
    except ValueError:
        return key.decode("utf-8", "replace")
    return name if isinstance(name, str) else "(record)"


class _NotCanonical(Exception):
    """The line decoded, but needs the reference decoder (e.g. an empty id or an unknown precision)."""


class _CanonicalLora(msgspec.Struct, gc=False):
    name: str
    weight: float | None = None


_CanonicalCount = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
"""A ``steps``/``width``/``height`` the canonical decoder takes; a wider one (msgspec bounds only fit an
int64) goes to the reference decoder, which refuses it past :data:`MAX_COUNT_BITS` bits."""


class _CanonicalLine(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A record line in its canonical shape: only known fields, each with its exact JSON type.

    An unknown top-level field (→ ``extra``), an integer id, an integral float for an integer field, a
    digit string for a number … are all valid records too, but they are left to the reference decoder.
    """

    id: str
    tool: str = UNKNOWN_TOOL
    created_at: str | None = None
    created_at_precision: str | None = None
    user: str | None = None
    created_at_source: str | None = None
    prompt: str | None = None
    negative_prompt: str | None = None
    sampler: str | None = None
    scheduler: str | None = None
    model: str | None = None
    source_image: str | None = None
    job_id: str | None = None
    parent_job_id: str | None = None
    file_name: str | None = None
    workflow_hash: str | None = None
    seed: int | None = None
    steps: _CanonicalCount | None = None
    width: _CanonicalCount | None = None
    height: _CanonicalCount | None = None
    cfg_scale: float | None = None
    denoise: float | None = None
    loras: list[_CanonicalLora] | None = None
    extra: dict[str, Any] | None = None


_CANONICAL_LINE = msgspec.json.Decoder(_CanonicalLine)


def _record_from_canonical(
    line: _CanonicalLine, local_tz: tzinfo, default_user: str | None
) -> GenerationRecord:
    """The record :func:`record_from_json` makes of the same line (raises what it would raise)."""
    if not line.id or not line.tool:
        raise _NotCanonical
    created_at = precision = None
    if line.created_at is not None:
        created_at, precision = parse_timestamp(line.created_at, local_tz)
    if line.created_at_precision is not None:
        precision = _PRECISIONS.get(line.created_at_precision)
        if precision is None:
            raise _NotCanonical
    # Positional: with 24 fields, keyword arguments cost ~4 µs a record, more than decoding the line.
    # _POSITIONAL_FIELDS is checked against the dataclass at import time.
    return GenerationRecord(
        line.id,
        line.tool.lower(),
        created_at,
        line.created_at_source,
        precision,
        default_user if line.user is None else line.user,
        line.prompt,
        line.negative_prompt,
        line.seed,
        line.cfg_scale,
        line.steps,
        line.sampler,
        line.scheduler,
        line.model,
        tuple(LoraRef(lora.name, lora.weight) for lora in line.loras) if line.loras else (),
        line.width,
        line.height,
        line.denoise,
        line.source_image,
        line.job_id,
        line.parent_job_id,
        line.file_name,
        line.workflow_hash,
        line.extra if line.extra is not None else {},
    )


_POSITIONAL_FIELDS = (
    "id",
    "tool",
    "created_at",
    "created_at_source",
    "created_at_precision",
    "user",
    "prompt",
    "negative_prompt",
    "seed",
    "cfg_scale",
    "steps",
    "sampler",
    "scheduler",
    "model",
    "loras",
    "width",
    "height",
    "denoise",
    "source_image",
    "job_id",
    "parent_job_id",
    "file_name",
    "workflow_hash",
    "extra",
)
if tuple(field.name for field in fields(GenerationRecord)) != _POSITIONAL_FIELDS:  # pragma: no cover
    raise ImportError("GenerationRecord's fields changed: update record_codec._record_from_canonical")


MAX_INT_DIGITS = sys.get_int_max_str_digits() or 4300
"""The most digits Python converts between an integer and its text (its guard against quadratic
conversions); a longer number in a line is that line's error, never an exception out of the reader."""


def _as_int(name: str, value: Any) -> int:
    """``value`` as an integer; raises only :class:`RecordFieldError`. A JSON integer, or a number
    with no fractional part (``12.0``: JSON has one number type); a string is the wrong type, digits or
    not (generation-records.md: "Values of the wrong type are a clear per-line error")."""
    if isinstance(value, bool):
        raise RecordFieldError(name, "must be an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise RecordFieldError(name, f"must be an integer, got {_shown(value)}")


def _shown(value: Any) -> str:
    """``value`` for an error message, at most about 80 characters of it."""
    if isinstance(value, int) and abs(value).bit_length() > 256:
        return "an integer too large"  # repr() itself fails past the digit limit
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:80]}… ({len(text)} characters)"


def _finite_float(value: int | float) -> float | None:
    """``value`` as a finite float, or ``None`` when it has none (NaN, infinities, an integer beyond
    a float's range, on which ``float`` and ``math.isfinite`` raise ``OverflowError``)."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _loras(value: Any) -> tuple[LoraRef, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RecordFieldError("loras", "must be a list of {name, weight}")
    loras = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise RecordFieldError("loras", "each entry needs a string 'name'")
        weight = item.get("weight")
        number = None
        if weight is not None and (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or (number := _finite_float(weight)) is None
        ):
            raise RecordFieldError("loras", f"weight of {item['name']!r} must be a finite number")
        loras.append(LoraRef(item["name"], number))
    return tuple(loras)
