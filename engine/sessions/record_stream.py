"""The clustered records as one columnar, stream-ordered table (numpy arrays, one row per record).

Order (the stream order of ``engine/analysis.py``): user, then precision class (precise times before
day-precision times), then time, then the tool's file counter (``record.extra["file_counter"]``), then
file name, then id. Records without ``created_at`` are not in the table.

A *segment* is a maximal run of rows of one user and one precision class; the temporal statistics never
look across segments, and the first row of every segment opens a session.

Invariants: every array has one entry per row; codes are dense non-negative ints per distinct value of
one user (numbered per user, in first-occurrence order within the user's rows), with -1 for "missing";
numeric columns use NaN for missing. Nothing about one user's rows depends on another user's records,
the relative order of codes included, so analysing users apart gives the same results as together.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from operator import attrgetter, is_
from typing import Any

import numpy as np

from engine.features.prompt_text import normalise_prompt, prompt_identity, prompt_parameters
from engine.model_files import model_file_stem
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
    """Each user's distinct prompts (the user's first raw spelling of each normalised prompt), indexed
    by ``prompt_codes``; a prompt two users share is listed once for each."""
    prompt_codes: np.ndarray
    negative_prompt_codes: np.ndarray
    seed_codes: np.ndarray
    model_codes: np.ndarray
    workflow_codes: np.ndarray
    sampler_codes: np.ndarray
    lora_codes: np.ndarray
    knob_codes: np.ndarray
    """Codes of the knobs no named field holds: the prompt's inline tool parameters (Midjourney's
    ``--stylize 250``) and a reader's ``extra["guidance"]`` (FLUX guidance); missing where there are none."""
    cfg_scale: np.ndarray
    steps: np.ndarray
    denoise: np.ndarray
    width: np.ndarray
    height: np.ndarray
    explicitly_derived: np.ndarray
    """bool: the record names its input (source image, parent job, init-image hash)."""
    mentions_variation_seed: np.ndarray
    """bool: ``extra`` has a variation-seed field (``subseed`` / ``variation_seed``)."""

    def __len__(self) -> int:
        return len(self.ids)


def _dense_codes(values: Sequence[Hashable | None]) -> tuple[np.ndarray, list[Any]]:
    """Codes in first-occurrence order (None → MISSING_CODE) and the distinct values by code.

    One C-level pass maps every row to the row where its value first occurs (dict equality, so the
    first-seen object represents its value); a row is a first occurrence iff it maps to itself, and
    the codes number those rows in order, None's row left out."""
    count = len(values)
    first_row_of: dict[Hashable | None, int] = {}
    first_rows = np.fromiter(map(first_row_of.setdefault, values, range(count)), dtype=np.int64, count=count)
    distinct_rows = np.flatnonzero(first_rows == np.arange(count))
    if None in first_row_of:
        distinct_rows = distinct_rows[distinct_rows != first_row_of[None]]
    code_of_row = np.full(count, MISSING_CODE, dtype=np.int64)
    code_of_row[distinct_rows] = np.arange(len(distinct_rows))
    return code_of_row[first_rows], [values[row] for row in distinct_rows.tolist()]


def _normalised_codes(
    raw_values: Sequence[Any],
    normalise: Callable[[Any], Hashable | None],
    user_codes: np.ndarray,
    *,
    none_value: Hashable | None = None,
    keep_first_raw: bool = False,
    dense: tuple[np.ndarray, list[Any]] | None = None,
) -> tuple[np.ndarray, list[Any]]:
    """Codes of normalised values, numbered **per user**: one code per (user, normalised value) pair,
    in first-occurrence order. ``user_codes`` is each row's user, non-decreasing (the stream is ordered
    by user), so a user's codes follow first occurrence in that user's own rows, after every code of
    the users before it.

    Returns the codes and, per code, the normalised value — or, with ``keep_first_raw``, the first raw
    value (in the user's row order) that normalised to it. ``none_value`` is what a missing raw value
    normalises to (default: missing).

    Per user, so that nothing about one user's rows depends on another user's: the relative order of
    a user's codes (which breaks ties between equally used prompts in labels) and the spelling shown
    for a prompt are the same whether the user is analysed alone or among others — an analysis can be
    split by user (``atelier analyze`` on several cores) without changing a byte. The same value used
    by two users has two codes; codes only ever meet codes of the same user.

    ``dense``: :func:`_dense_codes` of ``raw_values``, when the caller has it already (one column
    normalised two ways).

    Cost: each distinct raw value is normalised once; one user's rows (the catalog's every call) are
    numbered by the raw values' first-occurrence pass alone, several users' by one more numpy pass
    over (user, value) pairs as integers, whatever the number of users.
    """
    raw_codes, raw_table = dense if dense is not None else _dense_codes(raw_values)
    keys: dict[Hashable, int] = {}
    first_raw: list[Any] = []
    key_of_raw = np.empty(len(raw_table) + 1, dtype=np.int64)  # the last entry: a missing raw value
    for index, value in enumerate([*raw_table, None]):
        key = normalise(value) if value is not None else none_value
        if key is None:
            key_of_raw[index] = MISSING_CODE
        elif (code := keys.get(key)) is not None:
            key_of_raw[index] = code
        else:
            key_of_raw[index] = keys[key] = len(keys)
            first_raw.append(value)
    row_keys = key_of_raw[raw_codes]
    if not len(user_codes) or user_codes[0] == user_codes[-1]:
        # one user: keys are already numbered in first-occurrence order (raw values are)
        return row_keys, first_raw if keep_first_raw else list(keys)
    known = np.flatnonzero(row_keys != MISSING_CODE)
    pairs = user_codes[known] * len(keys) + row_keys[known]
    distinct, first_of_distinct, pair_of_row = np.unique(pairs, return_index=True, return_inverse=True)
    by_first_row = np.argsort(first_of_distinct)  # a code per pair, in first-occurrence order
    code_of_pair = np.empty(len(distinct), dtype=np.int64)
    code_of_pair[by_first_row] = np.arange(len(distinct))
    codes = np.full(len(row_keys), MISSING_CODE, dtype=np.int64)
    codes[known] = code_of_pair[pair_of_row.reshape(-1)]
    first_rows = known[first_of_distinct[by_first_row]].tolist()
    if keep_first_raw:
        return codes, [raw_values[row] for row in first_rows]
    key_list = list(keys)
    return codes, [key_list[key] for key in row_keys[first_rows].tolist()]


def _seed_codes(seeds: list[int | None], user_codes: np.ndarray) -> np.ndarray:
    """Seeds as their own codes (equal seeds ⇔ equal codes); None and negative seeds ("random") are
    missing. Seeds beyond int64 fall back to dense codes, numbered per user like the others."""
    try:
        values = np.array([MISSING_CODE if s is None or s < 0 else s for s in seeds], dtype=np.int64)
    except OverflowError:
        return _normalised_codes(seeds, lambda s: None if s < 0 else s, user_codes)[0]
    return values


def _floats(values: Sequence[float | int | None]) -> np.ndarray:
    """Numbers as float64 with NaN for None (numpy converts None to NaN for float arrays)."""
    return np.array(values, dtype=np.float64)


def normalise_model_name(model: str | None) -> str | None:
    """:func:`model_file_stem`, case-folded; ``None`` for none."""
    return (model_file_stem(model).lower() or None) if model else None


def _counter_value(value: object) -> int:
    """Sort value of a non-int ``extra["file_counter"]``: a digit string counts; anything else (or
    none, or a bool) sorts after every counter."""
    digits = value.strip() if isinstance(value, str) else ""
    if digits.isascii() and digits.isdigit() and len(digits) < 19:  # "²" passes str.isdigit only
        return int(digits)
    return _NO_COUNTER


INIT_IMAGE_KEYS = ("init_image_hash", "init_image", "init_image_sha256", "source_image_hash")


def has_explicit_parent(record: GenerationRecord) -> bool:
    """The record names the image it was made from (img2img / upscale / inpaint / parent job)."""
    if record.source_image or record.parent_job_id:
        return True
    extra = record.extra
    if not extra or extra.keys().isdisjoint(INIT_IMAGE_KEYS):
        return False
    return any(extra.get(key) for key in INIT_IMAGE_KEYS)


VARIATION_SEED_KEYS = ("subseed", "variation_seed")
GUIDANCE_KEY = "guidance"
"""``extra`` key of FLUX guidance (a reader's ``FluxGuidance`` / distilled CFG), a knob of its own."""


def _extra_flags(records: Sequence[GenerationRecord]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """(:func:`has_explicit_parent`, "extra names a variation seed", rows whose ``extra`` holds a FLUX
    ``guidance``) for every record, in bulk: one pass over the ``extra`` keys."""
    count = len(records)
    derived = np.fromiter(map(bool, _attribute(records, "source_image")), dtype=bool, count=count)
    derived |= np.fromiter(map(bool, _attribute(records, "parent_job_id")), dtype=bool, count=count)
    variation = np.zeros(len(records), dtype=bool)
    guided: list[int] = []
    interesting = frozenset(INIT_IMAGE_KEYS) | frozenset(VARIATION_SEED_KEYS) | {GUIDANCE_KEY}
    isdisjoint = interesting.isdisjoint
    candidates = np.flatnonzero([not isdisjoint(extra) for extra in _attribute(records, "extra")])
    for row in candidates.tolist():
        extra = records[row].extra
        derived[row] = derived[row] or has_explicit_parent(records[row])
        variation[row] = not extra.keys().isdisjoint(VARIATION_SEED_KEYS)
        if GUIDANCE_KEY in extra:
            guided.append(row)
    return derived, variation, guided


def _knob_codes(
    parameter_codes: np.ndarray,
    guided: list[int],
    records: Sequence[GenerationRecord],
    user_codes: np.ndarray,
) -> np.ndarray:
    """Codes of (the prompt's inline tool parameters, FLUX guidance), missing where a row has neither:
    ``parameter_codes`` alone when no row (of ``guided``) has a numeric guidance."""
    knobs: list[tuple[int, float | None] | None] | None = None
    for row in guided:
        value = records[row].extra[GUIDANCE_KEY]
        if isinstance(value, int | float) and not isinstance(value, bool):
            if knobs is None:
                knobs = [None if code == MISSING_CODE else (code, None) for code in parameter_codes.tolist()]
            knobs[row] = (int(parameter_codes[row]), float(value))
    if knobs is None:
        return parameter_codes
    return _normalised_codes(knobs, lambda knob: knob, user_codes)[0]


def _attribute(records: Sequence[GenerationRecord], name: str) -> list[Any]:
    return list(map(attrgetter(name), records))


def user_stream_key(user: str | None) -> tuple[bool, str]:
    """Where ``user`` comes in the stream order: records without a user first, then by name."""
    return (user is not None, user or "")


def build_record_stream(timed_records: Sequence[GenerationRecord]) -> RecordStream:
    """Stream-ordered columns for records that all have ``created_at``."""
    count = len(timed_records)
    users = _attribute(timed_records, "user")
    user_names = sorted(set(users), key=user_stream_key)
    user_rank = {u: i for i, u in enumerate(user_names)}
    user_codes_input = np.fromiter(map(user_rank.__getitem__, users), dtype=np.int64, count=count)
    precision = _attribute(timed_records, "created_at_precision")
    day_input = np.fromiter(map(partial(is_, TimePrecision.DAY), precision), dtype=bool, count=count)
    time_input = np.fromiter(
        map(datetime.timestamp, _attribute(timed_records, "created_at")), dtype=np.float64, count=count
    )
    raw_counters = [r.extra.get("file_counter") if r.extra else None for r in timed_records]
    counters = np.fromiter(
        (c if type(c) is int and abs(c) < _NO_COUNTER else _counter_value(c) for c in raw_counters),
        dtype=np.int64,
        count=count,
    )
    order = np.lexsort((counters, time_input, day_input, user_codes_input))
    order = _break_ties_by_name(order, timed_records, user_codes_input, day_input, time_input, counters)

    records = list(map(timed_records.__getitem__, order.tolist()))
    user_codes = user_codes_input[order]
    day_precision = day_input[order]
    segment_start = np.ones(count, dtype=bool)
    if count > 1:
        segment_start[1:] = (user_codes[1:] != user_codes[:-1]) | (day_precision[1:] != day_precision[:-1])
    segment_codes = np.cumsum(segment_start) - 1

    tool_codes, tool_names = _normalised_codes(
        _attribute(records, "tool"), lambda t: (t or "unknown").lower(), user_codes, none_value="unknown"
    )
    prompts = _attribute(records, "prompt")
    prompt_dense = _dense_codes(prompts)
    prompt_codes, prompt_spellings = _normalised_codes(
        prompts, lambda p: prompt_identity(p) or None, user_codes, keep_first_raw=True, dense=prompt_dense
    )
    parameter_codes, _ = _normalised_codes(
        prompts, lambda p: prompt_parameters(p) or None, user_codes, dense=prompt_dense
    )
    negative_codes, _ = _normalised_codes(
        _attribute(records, "negative_prompt"), lambda p: normalise_prompt(p) or None, user_codes
    )
    seed_codes = _seed_codes(_attribute(records, "seed"), user_codes)
    model_codes, _ = _normalised_codes(_attribute(records, "model"), normalise_model_name, user_codes)
    workflow_codes, _ = _normalised_codes(
        _attribute(records, "workflow_hash"), lambda w: w or None, user_codes
    )
    sampler_only, sampler_names = _normalised_codes(
        _attribute(records, "sampler"), lambda v: v or None, user_codes
    )
    scheduler_only, _ = _normalised_codes(_attribute(records, "scheduler"), lambda v: v or None, user_codes)
    # (sampler, scheduler) pair code: equal pairs ⇔ equal codes; both missing → missing.
    sampler_codes = np.where(
        (sampler_only == MISSING_CODE) & (scheduler_only == MISSING_CODE),
        MISSING_CODE,
        (sampler_only + 1) * (len(sampler_names) + 2) + (scheduler_only + 1),
    )
    lora_codes, _ = _normalised_codes(
        _attribute(records, "loras"),
        lambda loras: tuple(sorted((lo.name.lower(), lo.weight or 0.0) for lo in loras)) or None,
        user_codes,
    )
    resolution = np.array(
        list(map(_RESOLUTION_SECONDS.get, _attribute(records, "created_at_precision"))), dtype=np.float64
    )
    resolution[np.isnan(resolution)] = 1.0
    calendar_day = np.zeros(count, dtype=np.int64)
    for row in np.flatnonzero(day_precision).tolist():
        created_at = records[row].created_at
        if created_at is not None:
            calendar_day[row] = created_at.date().toordinal()
    derived, mentions_variation_seed, guided = _extra_flags(records)
    knob_codes = _knob_codes(parameter_codes, guided, records, user_codes)
    return RecordStream(
        records=records,
        ids=_attribute(records, "id"),
        user_names=user_names,
        user_codes=user_codes,
        time_seconds=time_input[order],
        resolution_seconds=resolution,
        day_precision=day_precision,
        calendar_day=calendar_day,
        segment_codes=segment_codes,
        tool_names=[str(name) for name in tool_names],
        tool_codes=tool_codes,
        prompts=[str(spelling) for spelling in prompt_spellings],
        prompt_codes=prompt_codes,
        negative_prompt_codes=negative_codes,
        seed_codes=seed_codes,
        model_codes=model_codes,
        workflow_codes=workflow_codes,
        sampler_codes=sampler_codes,
        lora_codes=lora_codes,
        knob_codes=knob_codes,
        cfg_scale=_floats(_attribute(records, "cfg_scale")),
        steps=_floats(_attribute(records, "steps")),
        denoise=_floats(_attribute(records, "denoise")),
        width=_floats(_attribute(records, "width")),
        height=_floats(_attribute(records, "height")),
        explicitly_derived=derived,
        mentions_variation_seed=mentions_variation_seed,
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
