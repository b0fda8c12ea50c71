"""The clustered records as one columnar, stream-ordered table (numpy arrays, one row per record).

Order (the stream order of ``engine/analysis.py``): user, then precision class (precise times before
day-precision times), then time, then the tool's file counter (``record.extra["file_counter"]``), then
file name, then id. Records without ``created_at`` are not in the table.

A *segment* is a maximal run of rows of one user and one precision class; the temporal statistics never
look across segments, and the first row of every segment opens a session.

Invariants: every array has one entry per row; codes are dense non-negative ints per distinct value, with
-1 for "missing"; numeric columns use NaN for missing; nothing here depends on other users' records
except the code numbering (which only ever feeds equality tests).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.features.prompt_text import normalise_prompt
from engine.records import GenerationRecord, TimePrecision

MISSING_CODE = -1
_NO_COUNTER = np.iinfo(np.int64).max

_RESOLUTION_SECONDS: dict[TimePrecision | None, float] = {
    TimePrecision.DAY: 86_400.0,
    TimePrecision.MINUTE: 60.0,
    TimePrecision.SECOND: 1.0,
    TimePrecision.MILLISECOND: 0.001,
    None: 1.0,
}


@dataclass(slots=True)
class RecordStream:
    records: list[GenerationRecord]
    ids: list[str]
    user_names: list[str | None]
    """Distinct users, indexed by ``user_codes``."""
    user_codes: np.ndarray
    time_seconds: np.ndarray
    """POSIX seconds (float64)."""
    resolution_seconds: np.ndarray
    """How much of the time is real: 86400 (day), 60 (minute), 1 (second, or unknown), 0.001 (ms)."""
    day_precision: np.ndarray
    calendar_day: np.ndarray
    """Proleptic ordinal of the record's local date for day-precision rows, 0 for the others."""
    segment_codes: np.ndarray
    tool_names: list[str]
    tool_codes: np.ndarray
    prompts: list[str]
    """Distinct prompts (first raw spelling of each normalised prompt), indexed by ``prompt_codes``."""
    prompt_codes: np.ndarray
    negative_prompt_codes: np.ndarray
    seed_codes: np.ndarray
    model_codes: np.ndarray
    workflow_codes: np.ndarray
    sampler_codes: np.ndarray
    lora_codes: np.ndarray
    cfg_scale: np.ndarray
    steps: np.ndarray
    denoise: np.ndarray
    width: np.ndarray
    height: np.ndarray
    explicitly_derived: np.ndarray
    """bool: the record names its input (source image, parent job, init-image hash)."""

    def __len__(self) -> int:
        return len(self.ids)


def _dense_codes(values: Sequence[Hashable | None]) -> tuple[np.ndarray, list[Any]]:
    table: dict[Hashable, int] = {}
    codes = np.fromiter(
        (MISSING_CODE if value is None else table.setdefault(value, len(table)) for value in values),
        dtype=np.int64,
        count=len(values),
    )
    return codes, list(table)


def _floats(values: Sequence[float | int | None]) -> np.ndarray:
    return np.fromiter((np.nan if v is None else v for v in values), dtype=np.float64, count=len(values))


def normalise_model_name(model: str | None) -> str | None:
    """``models/SDXL/sd_xl_base_1.0.safetensors`` → ``sd_xl_base_1.0`` (case-folded, no folder/extension)."""
    if not model:
        return None
    name = model.replace("\\", "/").rsplit("/", 1)[-1].strip().lower()
    for extension in (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf"):
        if name.endswith(extension):
            name = name[: -len(extension)]
            break
    return name or None


def file_counter(record: GenerationRecord) -> int | None:
    """The tool's file counter from ``extra["file_counter"]`` (int or digit string), else None."""
    value = record.extra.get("file_counter") if record.extra else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


INIT_IMAGE_KEYS = ("init_image_hash", "init_image", "init_image_sha256", "source_image_hash")


def has_explicit_parent(record: GenerationRecord) -> bool:
    """The record names the image it was made from (img2img / upscale / inpaint / parent job)."""
    if record.source_image or record.parent_job_id:
        return True
    extra = record.extra
    return bool(extra) and any(extra.get(key) for key in INIT_IMAGE_KEYS)


def _column(records: Sequence[GenerationRecord], getter: Callable[[GenerationRecord], Any]) -> list[Any]:
    return [getter(r) for r in records]


def build_record_stream(timed_records: Sequence[GenerationRecord]) -> RecordStream:
    """Stream-ordered columns for records that all have ``created_at``."""
    count = len(timed_records)
    users = [r.user for r in timed_records]
    user_names = sorted(set(users), key=lambda u: (u is not None, u or ""))
    user_rank = {u: i for i, u in enumerate(user_names)}
    user_codes_input = np.fromiter((user_rank[u] for u in users), dtype=np.int64, count=count)
    precision = [r.created_at_precision for r in timed_records]
    day_input = np.fromiter((p is TimePrecision.DAY for p in precision), dtype=bool, count=count)
    time_input = np.fromiter(
        (r.created_at.timestamp() for r in timed_records if r.created_at is not None),
        dtype=np.float64,
        count=count,
    )
    counters = np.fromiter(
        (_NO_COUNTER if (c := file_counter(r)) is None else c for r in timed_records),
        dtype=np.int64,
        count=count,
    )
    order = np.lexsort((counters, time_input, day_input, user_codes_input))
    order = _break_ties_by_name(order, timed_records, user_codes_input, day_input, time_input, counters)

    records = [timed_records[i] for i in order.tolist()]
    user_codes = user_codes_input[order]
    day_precision = day_input[order]
    segment_start = np.ones(count, dtype=bool)
    if count > 1:
        segment_start[1:] = (user_codes[1:] != user_codes[:-1]) | (day_precision[1:] != day_precision[:-1])
    segment_codes = np.cumsum(segment_start) - 1

    tool_codes, tool_names = _dense_codes(_column(records, lambda r: (r.tool or "unknown").lower()))
    normalised_prompts = [normalise_prompt(r.prompt) for r in records]
    prompt_codes, prompt_keys = _dense_codes([p or None for p in normalised_prompts])
    first_spelling: dict[str, str] = {}
    for record, key in zip(records, normalised_prompts, strict=True):
        if key and key not in first_spelling:
            first_spelling[key] = record.prompt or ""
    negative_codes, _ = _dense_codes([normalise_prompt(r.negative_prompt) or None for r in records])
    seed_codes, _ = _dense_codes(_column(records, lambda r: r.seed))
    model_codes, _ = _dense_codes(_column(records, lambda r: normalise_model_name(r.model)))
    workflow_codes, _ = _dense_codes(_column(records, lambda r: r.workflow_hash or None))
    sampler_codes, _ = _dense_codes(
        _column(records, lambda r: None if not (r.sampler or r.scheduler) else (r.sampler, r.scheduler))
    )
    lora_codes, _ = _dense_codes(
        _column(
            records, lambda r: tuple(sorted((lo.name.lower(), lo.weight or 0.0) for lo in r.loras)) or None
        )
    )
    resolution = np.fromiter(
        (_RESOLUTION_SECONDS.get(r.created_at_precision, 1.0) for r in records), dtype=np.float64, count=count
    )
    return RecordStream(
        records=records,
        ids=[r.id for r in records],
        user_names=user_names,
        user_codes=user_codes,
        time_seconds=time_input[order],
        resolution_seconds=resolution,
        day_precision=day_precision,
        calendar_day=np.fromiter(
            (
                r.created_at.date().toordinal() if is_day and r.created_at is not None else 0
                for r, is_day in zip(records, day_precision.tolist(), strict=True)
            ),
            dtype=np.int64,
            count=count,
        ),
        segment_codes=segment_codes,
        tool_names=tool_names,
        tool_codes=tool_codes,
        prompts=[first_spelling[k] for k in prompt_keys],
        prompt_codes=prompt_codes,
        negative_prompt_codes=negative_codes,
        seed_codes=seed_codes,
        model_codes=model_codes,
        workflow_codes=workflow_codes,
        sampler_codes=sampler_codes,
        lora_codes=lora_codes,
        cfg_scale=_floats(_column(records, lambda r: r.cfg_scale)),
        steps=_floats(_column(records, lambda r: r.steps)),
        denoise=_floats(_column(records, lambda r: r.denoise)),
        width=_floats(_column(records, lambda r: r.width)),
        height=_floats(_column(records, lambda r: r.height)),
        explicitly_derived=np.fromiter((has_explicit_parent(r) for r in records), dtype=bool, count=count),
    )


def _break_ties_by_name(
    order: np.ndarray,
    records: Sequence[GenerationRecord],
    user_codes: np.ndarray,
    day_precision: np.ndarray,
    time_seconds: np.ndarray,
    counters: np.ndarray,
) -> np.ndarray:
    """Within runs equal on (user, precision class, time, counter), order by (file name, id)."""
    if len(order) < 2:
        return order
    same_as_previous = (
        (user_codes[order[1:]] == user_codes[order[:-1]])
        & (day_precision[order[1:]] == day_precision[order[:-1]])
        & (time_seconds[order[1:]] == time_seconds[order[:-1]])
        & (counters[order[1:]] == counters[order[:-1]])
    )
    if not same_as_previous.any():
        return order
    run_starts = np.flatnonzero(~np.concatenate(([False], same_as_previous)))
    run_ends = np.append(run_starts[1:], len(order))
    long_runs = np.flatnonzero(run_ends - run_starts > 1)
    order = order.copy()
    for run in long_runs.tolist():
        start, end = int(run_starts[run]), int(run_ends[run])
        members = order[start:end].tolist()
        members.sort(key=lambda i: (records[i].file_name or "", records[i].id))
        order[start:end] = members
    return order


_PER_ROW_LISTS = ("records", "ids")
_SHARED_TABLES = ("user_names", "tool_names", "prompts")


def take_rows(stream: RecordStream, rows: np.ndarray, segment_codes: np.ndarray) -> RecordStream:
    """A new stream holding ``rows`` of ``stream`` in the given order, with new segment codes."""
    row_list = rows.tolist()
    values: dict[str, Any] = {}
    for name in RecordStream.__dataclass_fields__:
        value = getattr(stream, name)
        if name == "segment_codes":
            values[name] = segment_codes
        elif name in _SHARED_TABLES:
            values[name] = value
        elif name in _PER_ROW_LISTS:
            values[name] = [value[i] for i in row_list]
        else:
            values[name] = value[rows]
    return RecordStream(**values)
