"""One boundary score per gap, from the temporal and parameter signals, and the forced boundaries.

The score is a margin in logit-like units (positive = break), *before* the user's learned offset:

    margin = time_weight · T + long_pause_weight · P
           + context_weight · C′ · (1 − churn_discount · c_C) + interaction_weight · C′ · max(T, 0)
           + major_weight · M · (1 − churn_discount · c_M) + minor_weight · m − threshold

with T the adaptive temporal evidence, C′ = max(0, C − context_floor) / (1 − context_floor) the prompt
context dissimilarity above what refinement tweaks produce, M the major (model / workflow / size) and m
the minor (seed, sampler, CFG, …) parameter change. The weights are chosen so that (a) a long pause with
the same context is *not* a break, (b) a new context after a gap clearly longer than the local pace is,
(c) a model / workflow change is a break even after a short gap, and (d) a prompt change at the artist's
usual pace (exploration) is not. A gap is a boundary when ``margin > threshold_offset``.

Change is judged against the stretch's own churn, as gaps are judged against its pace: c_C and c_M are
the mean context change and the mean raw set-up change (size or model differs from the previous row)
over the previous ``churn_window_steps`` steps since the last hard break, shrunk toward
``churn_prior`` (so a session's first steps are judged with an open mind). In exploration, where every
step brings a new concept and often a new aspect ratio, novelty is the norm and does not split; after
a steady refinement the same novelty counts in full. The context × time interaction is not
discounted, so a new theme after a real pause still breaks.

P ramps from 0 at ``long_pause_start_seconds`` (45 min, beyond usual in-session pauses) to 1 at
``long_pause_full_seconds`` (90 min): such a pause ends a session even when the artist comes back to
the same prompt. Unlike forced boundaries it is finite, so a merge or the learned offset can keep an
artist's long breaks inside one session.

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
    churn_window_steps: int = 6
    churn_prior: float = 0.7
    churn_prior_steps: float = 1.0
    churn_discount: float = 0.9
    long_pause_start_seconds: float = 45 * 60.0
    long_pause_full_seconds: float = 90 * 60.0
    long_pause_weight: float = 3.2


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
    steps = ~temporal.is_batch & ~np.isnan(temporal.gap_seconds)
    # churn never looks across a hard break: a tool switch or a pause of max_pause_seconds
    with np.errstate(invalid="ignore"):
        hard_break = parameters.tool_switch | (temporal.gap_seconds >= settings.max_pause_seconds)
    stretches = np.cumsum(np.r_[True, stream.segment_codes[1:] != stream.segment_codes[:-1]] | hard_break)
    context_churn = _recent_mean(context, stretches, steps, settings)
    major_churn = _recent_mean(_raw_setup_changes(stream), stretches, steps, settings)
    with np.errstate(invalid="ignore"):
        pause = np.clip(
            (np.nan_to_num(temporal.gap_seconds) - settings.long_pause_start_seconds)
            / (settings.long_pause_full_seconds - settings.long_pause_start_seconds),
            0.0,
            1.0,
        )
    margin = (
        settings.time_weight * time_evidence
        + settings.long_pause_weight * pause
        + settings.context_weight * context * (1.0 - settings.churn_discount * context_churn)
        + settings.interaction_weight * context * np.maximum(time_evidence, 0.0)
        + settings.major_weight * parameters.major_change * (1.0 - settings.churn_discount * major_churn)
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


def _raw_setup_changes(stream: RecordStream) -> np.ndarray:
    """1.0 where the size or model differs from the previous row (even one used moments ago): how much
    this stretch of work keeps changing its set-up, the yardstick for a major change."""
    changed = np.zeros(len(stream))
    if len(stream) > 1:
        with np.errstate(invalid="ignore"):
            size = (stream.width[1:] != stream.width[:-1]) | (stream.height[1:] != stream.height[:-1])
        size &= ~np.isnan(stream.width[1:]) & ~np.isnan(stream.width[:-1])
        model = stream.model_codes[1:] != stream.model_codes[:-1]
        changed[1:] = (size | model) & (stream.segment_codes[1:] == stream.segment_codes[:-1])
    return changed


def _recent_mean(
    values: np.ndarray, segment_codes: np.ndarray, informative: np.ndarray, settings: BoundarySettings
) -> np.ndarray:
    """Per row, the mean of ``values`` over the previous ``churn_window_steps`` informative rows of
    the same segment, shrunk toward ``churn_prior`` by ``churn_prior_steps`` pseudo-steps (so a
    session's first steps are judged with an open mind). Vectorised: prefix sums over the informative
    rows, window starts clipped at each segment's first informative row."""
    count = len(values)
    positions = np.flatnonzero(informative)
    prefix = np.concatenate(([0.0], np.cumsum(values[positions])))
    before = np.searchsorted(positions, np.arange(count), side="left")  # informative rows before i
    segment_start_rows = np.flatnonzero(np.r_[True, segment_codes[1:] != segment_codes[:-1]])
    segment_first = segment_start_rows[
        np.searchsorted(segment_start_rows, np.arange(count), side="right") - 1
    ]
    first_informative = np.searchsorted(positions, segment_first, side="left")
    start = np.maximum(before - settings.churn_window_steps, first_informative)
    taken = np.maximum(before - start, 0)
    total = prefix[before] - prefix[np.minimum(start, before)]
    return (total + settings.churn_prior * settings.churn_prior_steps) / (taken + settings.churn_prior_steps)


def boundary_confidence(margin: np.ndarray, threshold_offset: float, slope: float) -> np.ndarray:
    """Probability-like confidence that a gap is a real break (1.0 for forced boundaries)."""
    with np.errstate(over="ignore", invalid="ignore"):
        confidence = 1.0 / (1.0 + np.exp(-slope * (margin - threshold_offset)))
    return np.where(np.isinf(margin) & (margin > 0), 1.0, confidence)
