"""The parameter an optimization phase swept: what its label names ("Optimized: CFG 5→12 for …").

A phase is parameter optimization when, under the same prompt and seed, one of the knobs
:func:`engine.sessions.phases.step_observations` compares moved: CFG, steps, denoise, the sampler or
scheduler, the LoRAs or their weights, the model, the prompt's inline tool parameters (Midjourney's
``--stylize 250``) or FLUX guidance (``extra["guidance"]``). :func:`swept_parameter` looks at every one of
them, so a phase never names a knob that did not move, nor stays silent about one that did.

The knob with the most distinct values wins (ties: the order below — CFG, steps, denoise, guidance,
LoRA weights, inline numbers, then the categorical knobs). Numeric values read as ``"CFG 5→12"`` when
they only rise or only fall, else as their range ``"CFG 2–11"``; categorical ones list the first three
in order of use (``"sampler: euler, dpmpp_2m, ddim, …"``). Missing values (a row without the knob) are
left out. ``{}`` when nothing moved: the phase was called optimization on its neighbours' evidence,
and its label says "parameter optimization" without naming a knob.

Pure; bounded work per phase (one pass over its rows per knob).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from engine.features.prompt_text import prompt_parameters
from engine.model_files import model_file_stem
from engine.records import GenerationRecord
from engine.sessions.record_stream import GUIDANCE_KEY, RecordStream

_NUMERIC_FIELDS: tuple[tuple[str, str], ...] = (
    ("cfg_scale", "CFG"),
    ("steps", "steps"),
    ("denoise", "denoise"),
)

INLINE_PARAMETER_NAMES: dict[str, str] = {
    "s": "stylize",
    "c": "chaos",
    "w": "weird",
    "q": "quality",
    "iw": "image weight",
    "sw": "style weight",
    "cw": "character weight",
    "ow": "omni weight",
    "ar": "aspect ratio",
    "aspect": "aspect ratio",
    "v": "version",
    "no": "--no",
}
"""Display names of Midjourney's short inline parameters; others show as written (``stylize``)."""

_NOT_KNOBS = frozenset({"seed", "sameseed"})
"""Inline parameters that are no setting to optimise (the seed is a reroll's business)."""


@dataclass(frozen=True, slots=True)
class _Knob:
    display: str
    values: list[Any]
    """One entry per row with the knob set (missing rows left out), in row order."""
    numeric: bool


def swept_parameter(stream: RecordStream, start: int, end: int) -> dict[str, Any]:
    """``{"parameter", "parameter_range", "values"}`` of the knob that moved most in rows
    ``start:end`` of ``stream``, or ``{}`` when none moved."""
    records = stream.records[start:end]
    best: tuple[int, dict[str, Any]] | None = None
    for knob in _knobs(stream, start, end, records):
        distinct = len(set(knob.values))
        if distinct < 2 or (best is not None and distinct <= best[0]):
            continue
        best = (distinct, _described(knob))
    return best[1] if best else {}


def _knobs(
    stream: RecordStream, start: int, end: int, records: Sequence[GenerationRecord]
) -> Iterable[_Knob]:
    """Each knob's values in the rows; a knob whose stream code is the same on every row (the
    phases compare the same codes) is skipped without reading the records."""
    for attribute, display in _NUMERIC_FIELDS:
        # Python floats for these few values (numpy's per-call cost dominates at this size).
        known = [v for v in getattr(stream, attribute)[start:end].tolist() if v == v]  # NaN dropped
        yield _Knob(display, known, numeric=True)
    knobs_vary = _varies(stream.knob_codes, start, end)  # inline parameters and FLUX guidance
    if knobs_vary:
        yield _Knob("guidance", _guidance_values(records), numeric=True)
    if _varies(stream.lora_codes, start, end):
        yield from _lora_knobs(records)
    if knobs_vary:
        yield from _inline_knobs(records)
    if _varies(stream.sampler_codes, start, end):  # the (sampler, scheduler) pair
        yield _Knob("sampler", [r.sampler for r in records if r.sampler], numeric=False)
        yield _Knob("scheduler", [r.scheduler for r in records if r.scheduler], numeric=False)
    if _varies(stream.model_codes, start, end):
        yield _Knob("model", [model_file_stem(r.model) for r in records if r.model], numeric=False)


def _varies(codes: np.ndarray, start: int, end: int) -> bool:
    window = codes[start:end]
    return bool(len(window)) and bool((window != window[0]).any())


def _guidance_values(records: Sequence[GenerationRecord]) -> list[float]:
    values: list[float] = []
    for record in records:
        value = record.extra.get(GUIDANCE_KEY) if record.extra else None
        if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
            values.append(float(value))
    return values


def _lora_knobs(records: Sequence[GenerationRecord]) -> Iterable[_Knob]:
    """The weight of each LoRA when every row uses the same LoRAs, else which LoRAs each row used
    (names compared without folder, extension or case)."""
    spelling: dict[str, str] = {}
    used: list[tuple[str, ...]] = []
    weights: dict[str, list[float]] = {}
    for record in records:
        keys: set[str] = set()
        for lora in record.loras:
            stem = model_file_stem(lora.name)
            key = stem.lower()
            spelling.setdefault(key, stem)
            keys.add(key)
            if lora.weight is not None:
                weights.setdefault(key, []).append(lora.weight)
        used.append(tuple(sorted(keys)))
    if len(set(used)) > 1:
        shown = [", ".join(spelling[key] for key in keys) or "none" for keys in used]
        yield _Knob("LoRAs", shown, numeric=False)
        return
    for key, values in weights.items():
        yield _Knob(f"{spelling[key]} weight", values, numeric=True)


def _inline_knobs(records: Sequence[GenerationRecord]) -> Iterable[_Knob]:
    """Each inline tool parameter the rows' prompts set (``--stylize 250``), by its full name."""
    by_name: dict[str, list[str]] = {}
    for record in records:
        for parameter in prompt_parameters(record.prompt):
            flag, _, value = parameter.partition(" ")
            name = flag.removeprefix("--")
            if name not in _NOT_KNOBS:
                by_name.setdefault(INLINE_PARAMETER_NAMES.get(name, name), []).append(value or "on")
    for display, values in by_name.items():
        numbers = [_number(value) for value in values]
        if all(number is not None for number in numbers):
            yield _Knob(display, numbers, numeric=True)
        else:
            yield _Knob(display, values, numeric=False)


_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


def _number(text: str) -> float | None:
    """The value of a plain decimal number (ASCII digits, one optional point), else ``None``."""
    return float(text) if _DECIMAL.fullmatch(text) else None


def _described(knob: _Knob) -> dict[str, Any]:
    if knob.numeric:
        text = f"{knob.display} {_numeric_range(knob.values)}"
    else:
        ordered = list(dict.fromkeys(knob.values))
        text = f"{knob.display}: " + ", ".join(ordered[:3]) + (", …" if len(ordered) > 3 else "")
        return {"parameter": knob.display, "parameter_range": text, "values": ordered}
    return {"parameter": knob.display, "parameter_range": text, "values": knob.values}


def _numeric_range(values: list[float]) -> str:
    steps = [later - earlier for earlier, later in pairwise(values)]
    if all(step >= 0 for step in steps) or all(step <= 0 for step in steps):
        return f"{_format_number(values[0])}→{_format_number(values[-1])}"
    return f"{_format_number(min(values))}–{_format_number(max(values))}"


def _format_number(value: float) -> str:
    return f"{value:g}"
