"""Parameter discontinuity across each gap: how much the creative context changes from one row to the next.

Graded, smallest first: seed change < sampler / CFG / steps / negative-prompt / LoRA change < prompt
change (graded by how different the prompts are: lexical, plus semantic when embeddings exist)
< model / workflow / size change. A size change that is an upscale (same prompt and seed, same aspect
ratio, larger) is lineage, not a discontinuity.

The prompt part is a *context* dissimilarity: the new prompt is compared with the last
``context_prompts`` distinct prompts before the gap (same segment), and the best match counts, so an
exploration that returns to an earlier idea, or one odd prompt, does not look like a new context.

Invariants: every value is in [0, 1]; 0 at segment starts; vectorised except the prompt comparisons,
which run once per prompt change (memoised per prompt pair).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.features.prompt_similarity import PromptSimilarity
from engine.sessions.record_stream import MISSING_CODE, RecordStream

ONE_PROMPT_MISSING_DISSIMILARITY = 0.3


@dataclass(frozen=True, slots=True)
class ParameterSettings:
    context_prompts: int = 3
    seed_weight: float = 0.05
    sampler_weight: float = 0.3
    cfg_weight: float = 0.2
    steps_weight: float = 0.2
    negative_prompt_weight: float = 0.3
    lora_weight: float = 0.5
    workflow_weight: float = 0.9
    size_weight: float = 0.8


@dataclass(frozen=True, slots=True)
class ParameterSignal:
    tool_switch: np.ndarray
    """bool: the tool differs from the previous row's (same segment)."""
    prompt_similarity: np.ndarray
    """Similarity of each row's prompt with the previous row's (1 for the same prompt; NaN if undefined)."""
    context_dissimilarity: np.ndarray
    """1 − best similarity with the last few distinct prompts (0 when the prompt did not change)."""
    major_change: np.ndarray
    """Model / workflow / non-upscale size change, in [0, 1]."""
    minor_change: np.ndarray
    """Noisy-OR of seed, sampler, CFG, steps, negative prompt and LoRA changes, in [0, 1]."""
    same_prompt: np.ndarray
    same_seed: np.ndarray
    is_upscale_step: np.ndarray
    """Same prompt and seed, same aspect ratio, larger size than the previous row."""


def _changed(codes: np.ndarray, continuing: np.ndarray) -> np.ndarray:
    changed = np.zeros(len(codes), dtype=bool)
    changed[1:] = (codes[1:] != codes[:-1]) & (codes[1:] != MISSING_CODE) & (codes[:-1] != MISSING_CODE)
    return changed & continuing


def _changed_any(codes: np.ndarray, continuing: np.ndarray) -> np.ndarray:
    changed = np.zeros(len(codes), dtype=bool)
    changed[1:] = codes[1:] != codes[:-1]
    return changed & continuing


def _number_changed(values: np.ndarray, continuing: np.ndarray, relative: float = 1e-6) -> np.ndarray:
    changed = np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        changed[1:] = np.abs(values[1:] - values[:-1]) > relative * np.maximum(1.0, np.abs(values[:-1]))
    return changed & continuing


def parameter_signal(
    stream: RecordStream, similarity: PromptSimilarity, settings: ParameterSettings
) -> ParameterSignal:
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
    size_changed = np.zeros(count, dtype=bool)
    larger_same_aspect = np.zeros(count, dtype=bool)
    if count > 1:
        both = size_known[1:] & size_known[:-1]
        size_changed[1:] = both & (
            (stream.width[1:] != stream.width[:-1]) | (stream.height[1:] != stream.height[:-1])
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            aspect_now = stream.width[1:] / stream.height[1:]
            aspect_before = stream.width[:-1] / stream.height[:-1]
            larger_same_aspect[1:] = (
                both
                & (stream.width[1:] * stream.height[1:] > stream.width[:-1] * stream.height[:-1])
                & (np.abs(aspect_now / aspect_before - 1.0) < 0.03)
            )
    is_upscale_step = (
        continuing & same_prompt & larger_same_aspect & (same_seed | (stream.seed_codes == MISSING_CODE))
    )
    size_changed &= continuing & ~is_upscale_step

    model_changed = _changed(stream.model_codes, continuing)
    workflow_changed = _changed(stream.workflow_codes, continuing)
    major_change = np.maximum.reduce(
        [
            model_changed.astype(float),
            settings.workflow_weight * workflow_changed,
            settings.size_weight * size_changed,
        ]
    )
    minor_parts = [
        (settings.seed_weight, _changed(stream.seed_codes, continuing)),
        (settings.sampler_weight, _changed(stream.sampler_codes, continuing)),
        (settings.cfg_weight, _number_changed(stream.cfg_scale, continuing)),
        (settings.steps_weight, _number_changed(stream.steps, continuing)),
        (settings.negative_prompt_weight, _changed_any(stream.negative_prompt_codes, continuing)),
        (settings.lora_weight, _changed_any(stream.lora_codes, continuing)),
    ]
    keep = np.ones(count)
    for weight, changed in minor_parts:
        keep *= 1.0 - weight * changed
    minor_change = 1.0 - keep

    prompt_similarity, context_dissimilarity = _prompt_context(stream, similarity, continuing, settings)
    return ParameterSignal(
        tool_switch=tool_switch,
        prompt_similarity=prompt_similarity,
        context_dissimilarity=context_dissimilarity,
        major_change=major_change,
        minor_change=minor_change,
        same_prompt=same_prompt,
        same_seed=same_seed,
        is_upscale_step=is_upscale_step,
    )


def _prompt_context(
    stream: RecordStream, similarity: PromptSimilarity, continuing: np.ndarray, settings: ParameterSettings
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

    change_rows = np.flatnonzero(continuing & ~unchanged)
    segments = stream.segment_codes
    recent: list[int] = []
    recent_segment = -1
    # Walk only the rows where the prompt changes; "recent" holds the last distinct prompts of the segment.
    run_rows = np.flatnonzero(~unchanged)  # rows that start a prompt run (incl. segment starts)
    change_set = set(change_rows.tolist())
    code_list = codes.tolist()
    segment_list = segments.tolist()
    for row in run_rows.tolist():
        code = code_list[row]
        segment = segment_list[row]
        if segment != recent_segment:
            recent = []
            recent_segment = segment
        if row in change_set:
            previous = code_list[row - 1]
            if code == MISSING_CODE and previous == MISSING_CODE:
                prompt_similarity[row] = np.nan
            elif code == MISSING_CODE or previous == MISSING_CODE:
                context_dissimilarity[row] = ONE_PROMPT_MISSING_DISSIMILARITY
            else:
                text = prompts[code]
                best = similarity(text, prompts[previous])
                prompt_similarity[row] = best
                for earlier in recent:
                    if best >= 0.999:
                        break
                    if earlier != previous and earlier != MISSING_CODE:
                        best = max(best, similarity(text, prompts[earlier]))
                context_dissimilarity[row] = 1.0 - best
        if code != MISSING_CODE:
            if code in recent:
                recent.remove(code)
            recent.append(code)
            if len(recent) > settings.context_prompts + 1:
                recent.pop(0)
    return prompt_similarity, context_dissimilarity
