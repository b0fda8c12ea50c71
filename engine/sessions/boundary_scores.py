"""One boundary score per gap, from the temporal and parameter signals, and the forced boundaries.

The score is a margin in logit-like units (positive = break), *before* the user's learned offset:

    margin = time_weight · T
           + context_weight · C′ + interaction_weight · C′ · max(T, 0)
           + major_weight · M + minor_weight · m − threshold

with T the adaptive temporal evidence, C′ = max(0, C − context_floor) / (1 − context_floor) the prompt
context dissimilarity above what refinement tweaks produce, M the major (model / workflow / size) and m
the minor (seed, sampler, CFG, …) parameter change. The weights are chosen so that (a) a long pause with
the same context is *not* a break, (b) a new context after a gap clearly longer than the local pace is,
(c) a model / workflow change is a break even after a short gap, and (d) a prompt change at the artist's
usual pace (exploration) is not. A gap is a boundary when ``margin > threshold_offset``.

Forced boundaries (margin = +inf): the first row of a segment (new user / precision class), a tool switch,
a gap of at least ``max_pause_seconds``, and a change of calendar day between day-precision rows.
``confidence = sigmoid(confidence_slope · (margin − threshold_offset))`` for every gap, 1.0 when forced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.sessions.parameter_signal import ParameterSignal
from engine.sessions.record_stream import RecordStream
from engine.sessions.temporal_signal import TemporalSignal


@dataclass(frozen=True, slots=True)
class BoundarySettings:
    time_weight: float = 0.4
    context_weight: float = 2.0
    interaction_weight: float = 0.8
    context_floor: float = 0.3
    major_weight: float = 4.0
    minor_weight: float = 0.6
    threshold: float = 3.0
    max_pause_seconds: float = 3 * 3600.0
    confidence_slope: float = 1.5


@dataclass(frozen=True, slots=True)
class BoundaryScores:
    margin: np.ndarray
    """Score minus threshold, before the user's offset; +inf where forced; row 0 of a segment is forced."""
    forced: np.ndarray


def boundary_scores(
    stream: RecordStream, temporal: TemporalSignal, parameters: ParameterSignal, settings: BoundarySettings
) -> BoundaryScores:
    count = len(stream)
    context = np.clip(
        (parameters.context_dissimilarity - settings.context_floor) / (1.0 - settings.context_floor), 0.0, 1.0
    )
    time_evidence = temporal.evidence
    margin = (
        settings.time_weight * time_evidence
        + settings.context_weight * context
        + settings.interaction_weight * context * np.maximum(time_evidence, 0.0)
        + settings.major_weight * parameters.major_change
        + settings.minor_weight * parameters.minor_change
        - settings.threshold
    )
    forced = np.ones(count, dtype=bool)
    if count > 1:
        same_segment = stream.segment_codes[1:] == stream.segment_codes[:-1]
        with np.errstate(invalid="ignore"):
            long_pause = temporal.gap_seconds[1:] >= settings.max_pause_seconds
        day_change = stream.day_precision[1:] & (stream.calendar_day[1:] != stream.calendar_day[:-1])
        forced[1:] = (
            ~same_segment | parameters.tool_switch[1:] | (long_pause & ~stream.day_precision[1:]) | day_change
        )
    margin = np.where(forced, np.inf, margin)
    return BoundaryScores(margin=margin, forced=forced)


def boundary_confidence(margin: np.ndarray, threshold_offset: float, slope: float) -> np.ndarray:
    """Probability-like confidence that a gap is a real break (1.0 for forced boundaries)."""
    with np.errstate(over="ignore", invalid="ignore"):
        confidence = 1.0 / (1.0 + np.exp(-slope * (margin - threshold_offset)))
    return np.where(np.isinf(margin) & (margin > 0), 1.0, confidence)
