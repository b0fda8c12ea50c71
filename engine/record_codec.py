"""Generation records ⇄ JSON objects, and JSON Lines files of them (generation-records.md).

Invariants:
- a line with a wrong-typed field is a :class:`RecordLineError` naming the line number and the field;
  the caller decides to skip it, the rest of the file is still read;
- unknown fields go to ``extra`` verbatim, never dropped; ``record_to_json`` writes them back flat,
  so ``record_from_json(record_to_json(r)) == r`` for records whose ``extra`` keys are not field names;
- a time without a UTC offset is localised with ``local_tz`` (the user's zone); its precision is
  inferred from the text (``2026-02-25`` → day, ``…T20:14`` → minute, fractional seconds → millisecond);
- a line nested deeper than :data:`MAX_RECORD_JSON_DEPTH` is a :class:`RecordLineError` (never a
  ``RecursionError``), so no later step — storing ``extra`` as JSON included — meets unbounded depth;
- the file is opened without blocking on a FIFO and refused unless it is a regular file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from engine.metadata.files import open_regular_file
from engine.records import UNKNOWN_TOOL, GenerationRecord, LoraRef, TimePrecision

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
MAX_RECORD_JSON_DEPTH = 64
"""Deepest nesting of objects and arrays accepted in one record line (a workflow graph is ~10)."""
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
_TIME_OF_DAY = re.compile(r"[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?")


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
    """Parse an ISO 8601 time; naive times are read in ``local_tz``."""
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
        value = value.replace(tzinfo=local_tz)
    return value, precision


def record_from_json(
    obj: Any, *, local_tz: tzinfo = UTC, default_user: str | None = None
) -> GenerationRecord:
    if not isinstance(obj, dict):
        raise RecordFieldError("(record)", f"expected a JSON object, got {type(obj).__name__}")
    record_id = obj.get("id")
    if not isinstance(record_id, str | int) or isinstance(record_id, bool) or str(record_id) == "":
        raise RecordFieldError("id", "required, a non-empty string")
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
    for name in _FLOAT_FIELDS:
        if obj.get(name) is not None:
            value = obj[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise RecordFieldError(name, f"must be a number, got {type(value).__name__}")
            values[name] = float(value)
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
    extra_in = obj.get("extra") or {}
    if not isinstance(extra_in, dict):
        raise RecordFieldError("extra", "must be an object")
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


def read_records_jsonl(
    path: Path, *, local_tz: tzinfo = UTC, default_user: str | None = None
) -> Iterator[GenerationRecord | RecordLineError]:
    """Yield a record or a :class:`RecordLineError` per non-blank line, in file order."""
    too_deep = f"JSON nested deeper than {MAX_RECORD_JSON_DEPTH} levels"
    with open_regular_file(path) as handle:
        for line_number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                yield RecordLineError(line_number, f"not valid JSON ({error})")
                continue
            except RecursionError:
                yield RecordLineError(line_number, too_deep)
                continue
            # fast path: a line with few brackets cannot be deep, so most lines skip the walk
            brackets = raw.count(b"{") + raw.count(b"[")
            if brackets > MAX_RECORD_JSON_DEPTH and json_depth(obj) > MAX_RECORD_JSON_DEPTH:
                yield RecordLineError(line_number, too_deep)
                continue
            try:
                yield record_from_json(obj, local_tz=local_tz, default_user=default_user)
            except RecordFieldError as error:
                yield RecordLineError(line_number, str(error))


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0, ``[]`` is 1), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise RecordFieldError(name, "must be an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise RecordFieldError(name, f"must be an integer, got {value!r}")


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
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int | float)):
            raise RecordFieldError("loras", f"weight of {item['name']!r} must be a number")
        loras.append(LoraRef(item["name"], None if weight is None else float(weight)))
    return tuple(loras)
