"""Parameter discontinuity across each gap: how much the creative context changes from one row to the next.

Graded, smallest first: seed change < sampler / CFG / steps / negative-prompt / LoRA change < prompt
change (graded by how different the prompts are, lexically: prompt embeddings never change a session
boundary, see :class:`engine.features.prompt_similarity.PromptContext`) < model / workflow / size
change. A size change that is an upscale (same prompt and seed, same aspect ratio, larger) is lineage,
not a discontinuity.

The prompt part is a *context* dissimilarity: the new prompt is compared with the last
``context_prompts`` distinct prompts before the gap (same segment), and the best match counts, so an
exploration that returns to an earlier idea, or one odd prompt, does not look like a new context.

Invariants: every value is in [0, 1]; 0 at segment starts; vectorised except the prompt comparisons,
which run once per prompt change (memoised per prompt pair).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from engine.features.prompt_similarity import PromptContext, lexical_similarity
from engine.sessions.named_sources import file_name_named, named_references
from engine.sessions.record_stream import MISSING_CODE, RecordStream
from engine.sessions.recurring_words import RecurringWordSettings, recurring_word_scales

ONE_PROMPT_MISSING_DISSIMILARITY = 0.3


@dataclass(frozen=True, slots=True)
class ParameterSettings:
    context_prompts: int = 5
    recent_rows: int = 16
    """Rows looked back for upscale parents and for sizes / workflows used moments ago."""
    recent_model_rows: int = 6
    seed_weight: float = 0.05
    sampler_weight: float = 0.3
    cfg_weight: float = 0.2
    steps_weight: float = 0.2
    negative_prompt_weight: float = 0.3
    lora_weight: float = 0.5
    workflow_weight: float = 0.9
    size_weight: float = 0.8
    recent_source_seconds: float = 45 * 60.0
    """How far back (seconds, same segment) a row's named source counts as the work in hand
    (:func:`derives_from_recent_row`); the boundary scores' long-pause ramp starts at the same 45 min."""
    recent_source_rows: int = 24
    """Most rows looked back for a named source (bounds the work per derived row)."""
    recurring_words: RecurringWordSettings = field(default_factory=RecurringWordSettings)
    """Which words an artist writes in most sittings (a template, a style suffix) and how little they
    count in the prompt context (:mod:`engine.sessions.recurring_words`)."""


@dataclass(frozen=True, slots=True)
class ParameterSignal:
    tool_switch: np.ndarray
    """bool: the tool differs from the previous row's (same segment)."""
    prompt_similarity: np.ndarray
    """*Lexical* similarity of each row's prompt with the previous row's (1 for the same prompt; NaN if
    undefined). Lexical on purpose: "a small tweak" is about the words; semantic similarity would call
    two different ideas of one theme a tweak."""
    context_dissimilarity: np.ndarray
    """1 − best similarity with the last few distinct prompts (0 when the prompt did not change)."""
    major_change: np.ndarray
    """Model / workflow / non-upscale size change, in [0, 1]."""
    minor_change: np.ndarray
    """Noisy-OR of seed, sampler, CFG, steps, negative prompt and LoRA changes, in [0, 1]."""
    negative_prompt_changed: np.ndarray
    """bool: the negative prompt differs from the previous row's (same segment). Unlike CFG, steps or
    sampler — knobs an exploration turns at every concept — the negative prompt belongs to the
    project's set-up: artists keep it through a session and change it with the project."""
    same_prompt: np.ndarray
    same_seed: np.ndarray
    is_upscale_step: np.ndarray
    """Same prompt and seed as a recent row, same aspect ratio, larger size (a hires pass / upscale)."""
    derives_recent: np.ndarray
    """bool: the row names, as the image it was made from, one of the rows shortly before it
    (:func:`derives_from_recent_row`): work on the image in hand, whatever model or prompt it used."""


def _changed(codes: np.ndarray, continuing: np.ndarray) -> np.ndarray:
    changed = np.zeros(len(codes), dtype=bool)
    changed[1:] = (codes[1:] != codes[:-1]) & (codes[1:] != MISSING_CODE) & (codes[:-1] != MISSING_CODE)
    return changed & continuing


def _changed_any(codes: np.ndarray, continuing: np.ndarray) -> np.ndarray:
    changed = np.zeros(len(codes), dtype=bool)
    changed[1:] = codes[1:] != codes[:-1]
    return changed & continuing


MAX_CODED_SIDE = 1e9
"""Image sides (pixels) above this are coded as this when sizes are compared (no real image is that
large; a larger value would overflow the int64 size code)."""


def _number_changed(values: np.ndarray, continuing: np.ndarray, relative: float = 1e-6) -> np.ndarray:
    changed = np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):  # NaN: unknown; ±1e308 apart: inf, a change
        changed[1:] = np.abs(values[1:] - values[:-1]) > relative * np.maximum(1.0, np.abs(values[:-1]))
    return changed & continuing


def _new_to_recent_rows(codes: np.ndarray, segment_codes: np.ndarray, window_rows: int) -> np.ndarray:
    """True where a known value differs from the previous row's and appears in none of the previous
    ``window_rows`` rows of the same segment (returning to a value used moments ago is not a change)."""
    count = len(codes)
    changed = np.zeros(count, dtype=bool)
    if count < 2:
        return changed
    changed[1:] = (
        (codes[1:] != codes[:-1])
        & (codes[1:] != MISSING_CODE)
        & (codes[:-1] != MISSING_CODE)
        & (segment_codes[1:] == segment_codes[:-1])
    )
    for back in range(2, min(window_rows, count - 1) + 1):
        seen_before = (codes[back:] == codes[:-back]) & (segment_codes[back:] == segment_codes[:-back])
        changed[back:] &= ~seen_before
    return changed


def upscale_of_recent_row(stream: RecordStream, window_rows: int) -> np.ndarray:
    """True where one of the previous ``window_rows`` rows (same segment) has the same prompt and seed
    and a smaller size of the same aspect ratio: a hires pass / upscale of that image."""
    count = len(stream)
    found = np.zeros(count, dtype=bool)
    area = stream.width * stream.height
    with np.errstate(invalid="ignore", divide="ignore"):
        aspect = stream.width / stream.height
    prompt, seed, segment = stream.prompt_codes, stream.seed_codes, stream.segment_codes
    for back in range(1, min(window_rows, count - 1) + 1):
        with np.errstate(invalid="ignore", divide="ignore"):
            match = (
                (segment[back:] == segment[:-back])
                & (prompt[back:] == prompt[:-back])
                & (prompt[back:] != MISSING_CODE)
                & ((seed[back:] == seed[:-back]) | (seed[back:] == MISSING_CODE))
                & (area[back:] > area[:-back])
                & (np.abs(aspect[back:] / aspect[:-back] - 1.0) < 0.03)
            )
        found[back:] |= match
    return found


def derives_from_recent_row(stream: RecordStream, window_seconds: float, max_rows: int) -> np.ndarray:
    """True where a row names the image it was made from — a parent job, a source or init image
    (:func:`~engine.sessions.named_sources.named_references`) — and that image is one of the rows before it in
    its segment, at most ``window_seconds`` earlier and ``max_rows`` back: an edit, img2img, inpaint,
    variation or upscale of the work in hand (Qwen-Image-Edit or Kontext on the image just made, an
    inpainting model on it). Only rows that name something are looked at."""
    found = np.zeros(len(stream), dtype=bool)
    derived = np.flatnonzero(stream.explicitly_derived).tolist()
    if not derived:
        return found
    records = stream.records
    # plain lists: a numpy scalar per comparison would cost more than the comparison
    times: list[float] = stream.time_seconds.tolist()
    segments: list[int] = stream.segment_codes.tolist()
    for row in derived:
        jobs, sources = named_references(records[row])
        wanted = set(jobs) | set(sources)
        earliest, segment = times[row] - window_seconds, segments[row]
        for back in range(row - 1, max(-1, row - max_rows - 1), -1):
            if segments[back] != segment or times[back] < earliest:
                break
            candidate = records[back]
            name = candidate.file_name
            if (
                candidate.id in wanted
                or (candidate.job_id is not None and candidate.job_id in wanted)
                or (name is not None and file_name_named(name, wanted))
            ):
                found[row] = True
                break
    return found


def parameter_signal(
    stream: RecordStream,
    settings: ParameterSettings,
    word_scales: Mapping[str | None, Mapping[str, float]] | None = None,
) -> ParameterSignal:
    """``word_scales``: per user, the factor of each recurring word in the prompt context (see
    :mod:`engine.sessions.recurring_words`); computed from ``stream`` when not given."""
    count = len(stream)
    continuing = np.zeros(count, dtype=bool)
    if count > 1:
        continuing[1:] = stream.segment_codes[1:] == stream.segment_codes[:-1]

    tool_switch = _changed_any(stream.tool_codes, continuing)
    prompt_codes = stream.prompt_codes
    same_prompt = np.zeros(count, dtype=bool)
    same_prompt[1:] = prompt_codes[1:] == prompt_codes[:-1]
    same_prompt &= continuing
    same_seed = np.zeros(count, dtype=bool)
    same_seed[1:] = (stream.seed_codes[1:] == stream.seed_codes[:-1]) & (
        stream.seed_codes[1:] != MISSING_CODE
    )
    same_seed &= continuing

    size_known = ~np.isnan(stream.width) & ~np.isnan(stream.height)
    is_upscale_step = upscale_of_recent_row(stream, settings.recent_rows)

    derived = stream.explicitly_derived | is_upscale_step
    # sizes past any real image's (a hostile 2**63) are clipped so that the code fits an int64
    width, height = np.clip(stream.width, 0, MAX_CODED_SIDE), np.clip(stream.height, 0, MAX_CODED_SIDE)
    size_codes = np.where(size_known, width * 100_003 + height, -1).astype(np.int64)
    size_changed = _new_to_recent_rows(size_codes, stream.segment_codes, settings.recent_rows) & ~derived
    model_changed = _new_to_recent_rows(stream.model_codes, stream.segment_codes, settings.recent_model_rows)
    workflow_changed = _new_to_recent_rows(stream.workflow_codes, stream.segment_codes, settings.recent_rows)
    workflow_changed &= ~derived
    major_change = np.maximum.reduce(
        [
            model_changed.astype(float),
            settings.workflow_weight * workflow_changed,
            settings.size_weight * size_changed,
        ]
    )
    negative_prompt_changed = _changed_any(stream.negative_prompt_codes, continuing)
    minor_parts = [
        (settings.seed_weight, _changed(stream.seed_codes, continuing)),
        (settings.sampler_weight, _changed(stream.sampler_codes, continuing)),
        (settings.cfg_weight, _number_changed(stream.cfg_scale, continuing)),
        (settings.steps_weight, _number_changed(stream.steps, continuing)),
        (settings.negative_prompt_weight, negative_prompt_changed),
        (settings.lora_weight, _changed_any(stream.lora_codes, continuing)),
    ]
    keep = np.ones(count)
    for weight, changed in minor_parts:
        keep *= 1.0 - weight * changed
    minor_change = 1.0 - keep

    if word_scales is None:
        word_scales = recurring_word_scales(stream, settings.recurring_words)
    prompt_similarity, context_dissimilarity = _prompt_context(stream, continuing, settings, word_scales)
    return ParameterSignal(
        tool_switch=tool_switch,
        prompt_similarity=prompt_similarity,
        context_dissimilarity=context_dissimilarity,
        major_change=major_change,
        minor_change=minor_change,
        negative_prompt_changed=negative_prompt_changed,
        same_prompt=same_prompt,
        same_seed=same_seed,
        is_upscale_step=is_upscale_step,
        derives_recent=derives_from_recent_row(
            stream, settings.recent_source_seconds, settings.recent_source_rows
        ),
    )


def _prompt_context(
    stream: RecordStream,
    continuing: np.ndarray,
    settings: ParameterSettings,
    word_scales: Mapping[str | None, Mapping[str, float]],
) -> tuple[np.ndarray, np.ndarray]:
    count = len(stream)
    codes = stream.prompt_codes
    prompts = stream.prompts
    prompt_similarity = np.full(count, np.nan)
    context_dissimilarity = np.zeros(count)
    if count < 2:
        return prompt_similarity, context_dissimilarity
    unchanged = continuing.copy()
    unchanged[1:] &= codes[1:] == codes[:-1]
    prompt_similarity[unchanged & (codes != MISSING_CODE)] = 1.0

    change_rows = set(np.flatnonzero(continuing & ~unchanged).tolist())
    code_list = codes.tolist()
    segment_list = stream.segment_codes.tolist()
    context = PromptContext(settings.context_prompts)
    context_segment = -1
    users = stream.user_names
    user_list = stream.user_codes.tolist()
    # Walk only the rows that start a prompt run (incl. segment starts).
    for row in np.flatnonzero(~unchanged).tolist():
        code = code_list[row]
        if segment_list[row] != context_segment:
            context_segment = segment_list[row]
            context.clear(word_scales.get(users[user_list[row]]))
        if row in change_rows:
            previous = code_list[row - 1]
            if code == MISSING_CODE and previous == MISSING_CODE:
                pass
            elif code == MISSING_CODE or previous == MISSING_CODE:
                context_dissimilarity[row] = ONE_PROMPT_MISSING_DISSIMILARITY
            else:
                prompt_similarity[row] = lexical_similarity(prompts[code], prompts[previous])
                context_dissimilarity[row] = 1.0 - context.fit(prompts[code])
        if code != MISSING_CODE:
            context.push(prompts[code])
    return prompt_similarity, context_dissimilarity
