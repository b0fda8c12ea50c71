"""Phases inside a session (placeholder: one phase per session, intent from simple ratios)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.analysis import Intent


@dataclass(frozen=True, slots=True)
class PhaseSettings:
    min_phase_images: int = 3


@dataclass(frozen=True, slots=True)
class PhaseSpan:
    intent: Intent
    start: int
    """First row (absolute, in the session stream)."""
    end: int
    """One past the last row."""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StepFeatures:
    """Per-row features relative to the previous row of the same session (row 0 of a session: undefined)."""

    session_start: np.ndarray
    same_prompt: np.ndarray
    same_seed: np.ndarray
    prompt_similarity: np.ndarray
    is_batch: np.ndarray


def session_phases(start: int, end: int, steps: StepFeatures, settings: PhaseSettings) -> list[PhaseSpan]:
    count = end - start
    if count <= 1:
        return [PhaseSpan(Intent.EXPLORATION, start, end)]
    same_prompt = steps.same_prompt[start + 1 : end]
    same_seed = steps.same_seed[start + 1 : end]
    if float(np.mean(~same_prompt)) > 0.5:
        intent = Intent.EXPLORATION
    elif float(np.mean(same_prompt & same_seed)) > 0.5:
        intent = Intent.OPTIMIZATION
    else:
        intent = Intent.REFINEMENT
    return [PhaseSpan(intent, start, end)]


def session_intent(phases: list[PhaseSpan]) -> Intent:
    sizes: dict[Intent, int] = {}
    for phase in phases:
        sizes[phase.intent] = sizes.get(phase.intent, 0) + phase.end - phase.start
    return max(sizes, key=lambda intent: sizes[intent])
