"""Generation records ⇄ ``assets`` rows.

Invariants: every value written is acceptable to PostgreSQL — NUL characters are stripped from text
(PostgreSQL text cannot hold them), text is cut to its column's length (noted in
``extra["metadata_errors"]``) and ``extra`` is made JSON-safe (bytes become hex, unknown objects
their ``str``). Asset rows are turned back into records with ``id`` = the asset's UUID, so the engine's
output refers to catalog rows directly.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from decimal import Decimal
from typing import Any

from engine.records import GenerationRecord, LoraRef, TimePrecision

ASSET_RECORD_COLUMNS = (
    "tool",
    "created_at",
    "created_at_source",
    "created_at_precision",
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
    "file_counter",
)

ASSET_FILE_COLUMNS = (
    "content_sha256",
    "file_path",
    "file_path_bytes",
    "file_size_bytes",
    "image_format",
    "pixel_width",
    "pixel_height",
    "edited",
)
ASSET_COPY_COLUMNS = (
    "user_id",
    "record_id",
    *(column for column in ASSET_RECORD_COLUMNS if column not in ("loras", "extra")),
    "prompt_sha256",
    *ASSET_FILE_COLUMNS,
    "loras",
    "extra",
)
"""Columns of :func:`copy_values` tuples, in order (``loras``/``extra`` last, as JSON text)."""
COPY_RECORD_ID_INDEX = ASSET_COPY_COLUMNS.index("record_id")
_JSON_COLUMNS = frozenset({"loras", "extra"})

TEXT_COLUMN_LENGTHS: dict[str, int] = {
    "record_id": 200,
    "content_sha256": 64,
    "tool": 40,
    "created_at_source": 80,
    "created_at_precision": 12,
    "sampler": 120,
    "scheduler": 120,
    "job_id": 200,
    "parent_job_id": 200,
    "workflow_hash": 64,
    "image_format": 8,
    "thumbnail_sha256": 64,
    "visual_model": 120,
}
"""``varchar(n)`` limits of the ``assets`` columns. Written out rather than read from
``catalog.models`` so that reading files (``atelier inspect``, the import's pool workers) imports no
SQLAlchemy; ``tests/catalog/test_asset_rows.py`` fails when this table and the model disagree."""
MAX_INDEXED_NAME_CHARS = 600
"""Longest ``file_name`` and ``source_image`` kept. Both reach b-tree indexes (the stream order, the
named-parent stems), whose entries hold at most 2,704 bytes: a 10,000-character name in a crafted log
made the whole import fail. 600 characters are at most 2,400 bytes of UTF-8; real names are far shorter
(a POSIX file name is at most 255 bytes)."""
_KEPT_TEXT_LENGTHS: dict[str, int] = TEXT_COLUMN_LENGTHS | {
    "file_name": MAX_INDEXED_NAME_CHARS,
    "source_image": MAX_INDEXED_NAME_CHARS,
}
"""Longest text kept per column: the ``varchar`` limits and the indexed names' (computed once: a record
is fitted per call)."""

_MAX_DEPTH = 40


def prompt_digest(prompt: str | None) -> bytes | None:
    return None if not prompt else hashlib.sha256(prompt.encode()).digest()


def record_to_row(
    record: GenerationRecord, *, user_id: uuid.UUID, json_safe_extra: bool = True
) -> dict[str, Any]:
    """The ``assets`` columns of ``record``. ``json_safe_extra=False`` leaves ``extra`` as read, for
    callers that serialise it with :func:`json_text` (which makes it safe only when it must).

    Text longer than its column (a 500-character sampler name in a crafted file) is cut to fit and
    noted in ``extra["metadata_errors"]``, like any other malformed metadata; only ``record_id`` is
    never cut (it is the record's identity): :func:`row_problem` reports that case instead.
    """
    row = _record_columns(record, user_id=user_id, json_safe_extra=json_safe_extra)
    notes = _fit_text_columns(row)
    if notes:
        extra = dict(row["extra"])
        previous = extra.get("metadata_errors")
        extra["metadata_errors"] = [*(previous if isinstance(previous, list) else []), *notes]
        row["extra"] = extra
    return row


def row_problem(row: dict[str, Any]) -> str | None:
    """Why ``row`` cannot be stored at all, or ``None``."""
    record_id = row.get("record_id")
    if not record_id:
        return "the record has no id"
    if len(record_id) > TEXT_COLUMN_LENGTHS["record_id"]:
        return f"record id is {len(record_id)} characters long (at most {TEXT_COLUMN_LENGTHS['record_id']})"
    return None


def _fit_text_columns(row: dict[str, Any]) -> list[str]:
    notes: list[str] = []
    for column, limit in _KEPT_TEXT_LENGTHS.items():
        value = row.get(column)
        if column != "record_id" and isinstance(value, str) and len(value) > limit:
            row[column] = value[:limit]
            notes.append(f"{column} was {len(value)} characters long; kept the first {limit}")
    return notes


def _record_columns(record: GenerationRecord, *, user_id: uuid.UUID, json_safe_extra: bool) -> dict[str, Any]:
    prompt = clean_text(record.prompt)
    counter = record.extra.get("file_counter")
    return {
        "user_id": user_id,
        "record_id": clean_text(record.id),
        "tool": clean_text(record.tool) or "unknown",
        "created_at": record.created_at,
        "created_at_source": clean_text(record.created_at_source),
        "created_at_precision": str(record.created_at_precision) if record.created_at_precision else None,
        "prompt": prompt,
        "prompt_sha256": prompt_digest(prompt),
        "negative_prompt": clean_text(record.negative_prompt),
        "seed": Decimal(record.seed) if record.seed is not None and abs(record.seed) < 10**20 else None,
        "cfg_scale": _finite(record.cfg_scale),
        "steps": _int32(record.steps),
        "sampler": clean_text(record.sampler),
        "scheduler": clean_text(record.scheduler),
        "model": clean_text(record.model),
        "loras": [{"name": clean_text(lora.name), "weight": _finite(lora.weight)} for lora in record.loras],
        "width": _int32(record.width),
        "height": _int32(record.height),
        "denoise": _finite(record.denoise),
        "source_image": clean_text(record.source_image),
        "job_id": clean_text(record.job_id),
        "parent_job_id": clean_text(record.parent_job_id),
        "file_name": clean_text(record.file_name),
        "workflow_hash": clean_text(record.workflow_hash),
        "extra": json_safe(record.extra) if json_safe_extra else record.extra,
        "file_counter": counter if isinstance(counter, int) and abs(counter) < 2**62 else None,
    }


def copy_values(row: dict[str, Any]) -> tuple[Any, ...]:
    """A :func:`record_to_row` dict (plus any of :data:`ASSET_FILE_COLUMNS`) as one tuple in
    :data:`ASSET_COPY_COLUMNS` order for a binary ``COPY``: JSON columns as JSON text, absent file
    columns as ``None`` (``edited`` as ``False``). Pure, so import workers can build it."""
    values: list[Any] = []
    for column in ASSET_COPY_COLUMNS:
        value = row.get(column)
        if column in _JSON_COLUMNS:
            value = json_text(value if value is not None else ({} if column == "extra" else []))
        elif column == "edited":
            value = bool(value)
        values.append(value)
    return tuple(values)


def json_text(value: Any) -> str:
    """``value`` as JSON text PostgreSQL accepts, the same as ``json.dumps(json_safe(value))``.

    Fast path: plain JSON data is dumped directly; only when that fails (bytes, NaN, sets, other
    objects, nesting beyond the interpreter's recursion limit) or the text would carry a NUL
    (``\\u0000``, refused by ``jsonb``) is the value walked by :func:`json_safe` first. So nesting
    deeper than ``json_safe``'s cut but within the recursion limit is kept verbatim.
    """
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return json.dumps(json_safe(value))
    return json.dumps(json_safe(value)) if "\\u0000" in text else text


def row_to_record(row: Any, *, user: str | None = None) -> GenerationRecord:
    """An asset row (ORM object or mapping with the record columns and ``id``) as an engine record."""
    get = row.__getitem__ if isinstance(row, dict) else lambda name: getattr(row, name)
    extra = dict(get("extra") or {})
    if get("file_counter") is not None:
        extra["file_counter"] = get("file_counter")
    seed = get("seed")
    precision = get("created_at_precision")
    return GenerationRecord(
        id=str(get("id")),
        tool=get("tool"),
        created_at=get("created_at"),
        created_at_source=get("created_at_source"),
        created_at_precision=TimePrecision(precision) if precision else None,
        user=user,
        prompt=get("prompt"),
        negative_prompt=get("negative_prompt"),
        seed=int(seed) if seed is not None else None,
        cfg_scale=get("cfg_scale"),
        steps=get("steps"),
        sampler=get("sampler"),
        scheduler=get("scheduler"),
        model=get("model"),
        loras=tuple(LoraRef(item["name"], item.get("weight")) for item in get("loras") or ()),
        width=get("width"),
        height=get("height"),
        denoise=get("denoise"),
        source_image=get("source_image"),
        job_id=get("job_id"),
        parent_job_id=get("parent_job_id"),
        file_name=get("file_name"),
        workflow_hash=get("workflow_hash"),
        extra=extra,
    )


def clean_text(value: str | None) -> str | None:
    """Metadata text as PostgreSQL can store it: NUL characters dropped, and each unpaired surrogate
    (a lone ``\\ud800`` escape in a file's JSON, which no UTF-8 text can hold) replaced by U+FFFD, so
    the image is kept with the rest of its metadata rather than refused for one character."""
    if value is None:
        return None
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_safe(value: Any, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        return "…(nested too deeply)"
    if isinstance(value, str):
        return clean_text(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bytes | bytearray):
        return bytes(value[:4096]).hex()
    if isinstance(value, dict):
        return {str(clean_text(str(key))): json_safe(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(item, depth + 1) for item in value]
    return clean_text(str(value))


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _int32(value: int | None) -> int | None:
    return value if value is not None and -(2**31) <= value < 2**31 else None
