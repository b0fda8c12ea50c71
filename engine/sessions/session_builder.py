"""Turn session-ordered rows into :class:`~engine.analysis.SessionResult` objects with phases and labels.

Invariants: sessions come out in stream order (user, precision class, first member's position);
``asset_ids`` (of sessions and phases) are in stream order; phases partition their session;
the session id is derived from the user and the first member's id only.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from engine.analysis import Intent, LineageEdge, PhaseResult, SessionResult
from engine.features.prompt_similarity import PromptSimilarity
from engine.sessions.labels import concept_of, phase_label, session_label
from engine.sessions.lineage import LineageSettings, session_lineage
from engine.sessions.parameter_signal import ParameterSignal
from engine.sessions.phases import (
    PhaseSettings,
    PhaseSpan,
    StepFeatures,
    session_intent,
    session_phases,
    step_observations,
)
from engine.sessions.record_stream import MISSING_CODE, RecordStream
from engine.sessions.temporal_signal import TemporalSignal


@dataclass(frozen=True, slots=True)
class SessionInputs:
    stream: RecordStream
    """Rows in session order: each session's rows are contiguous and in stream order."""
    session_codes: np.ndarray
    session_confidence: np.ndarray
    parameters: ParameterSignal
    temporal: TemporalSignal
    similarity: PromptSimilarity
    prompt_embeddings: Mapping[str, np.ndarray] | None
    visual_embeddings: Mapping[str, np.ndarray] | None
    pinned_labels: dict[str, str]
    phase_settings: PhaseSettings
    lineage_settings: LineageSettings


def session_id(user: str | None, first_asset_id: str) -> str:
    """Deterministic id from the user and the first member: ``ses_`` + 16 hex digits."""
    digest = hashlib.blake2b(f"{user or ''}\x00{first_asset_id}".encode(), digest_size=8).hexdigest()
    return f"ses_{digest}"


def step_features(inputs: SessionInputs) -> StepFeatures:
    parameters = inputs.parameters
    return step_observations(
        inputs.stream,
        inputs.session_codes,
        same_prompt=parameters.same_prompt,
        same_seed=parameters.same_seed,
        prompt_similarity=parameters.prompt_similarity,
        is_batch=inputs.temporal.is_batch,
        derived=parameters.is_upscale_step | inputs.stream.explicitly_derived,
        visual_embeddings=inputs.visual_embeddings,
        settings=inputs.phase_settings,
    )


def build_sessions(inputs: SessionInputs) -> tuple[list[SessionResult], list[LineageEdge]]:
    stream = inputs.stream
    steps = step_features(inputs)
    starts = np.flatnonzero(steps.session_start)
    ends = np.append(starts[1:], len(stream))
    sessions: list[SessionResult] = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        phases = session_phases(start, end, steps, stream, inputs.phase_settings)
        sessions.append(_session_result(inputs, start, end, phases))
    lineage = session_lineage(
        stream,
        inputs.session_codes,
        steps,
        inputs.temporal.is_batch,
        inputs.similarity,
        inputs.visual_embeddings,
        inputs.lineage_settings,
    )
    return sessions, lineage


def _distinct_seeds(stream: RecordStream, start: int, end: int) -> int:
    seeds = stream.seed_codes[start:end]
    return len(np.unique(seeds[seeds != MISSING_CODE]))


def _session_result(inputs: SessionInputs, start: int, end: int, phases: list[PhaseSpan]) -> SessionResult:
    stream = inputs.stream
    records = stream.records[start:end]
    ids = stream.ids[start:end]
    times = [r.created_at for r in records if r.created_at is not None]
    started_at, ended_at = min(times), max(times)
    tool_counts = Counter(stream.tool_names[c] for c in stream.tool_codes[start:end].tolist())
    tool = tool_counts.most_common(1)[0][0]  # ties: the tool seen first
    intent = session_intent(phases, stream, inputs.similarity, inputs.phase_settings)
    prompts = [r.prompt for r in records]
    concept = concept_of(prompts, inputs.prompt_embeddings)
    duration: timedelta | None = None if bool(stream.day_precision[start]) else ended_at - started_at
    optimized = next(
        (p.detail.get("parameter_range") for p in phases if p.intent is Intent.OPTIMIZATION), None
    )
    label = _pinned_label(inputs.pinned_labels, ids) or session_label(
        concept=concept,
        tool=tool,
        intent=intent,
        image_count=end - start,
        duration=duration,
        distinct_seeds=_distinct_seeds(stream, start, end),
        optimized_parameter=optimized,
    )
    phase_results = [_phase_result(inputs, phase) for phase in phases]
    return SessionResult(
        id=session_id(records[0].user, ids[0]),
        user=records[0].user,
        tool=tool,
        started_at=started_at,
        ended_at=ended_at,
        label=label,
        intent=intent,
        asset_ids=ids,
        phases=phase_results,
        confidence=float(inputs.session_confidence[int(inputs.session_codes[start])]),
    )


def _phase_result(inputs: SessionInputs, phase: PhaseSpan) -> PhaseResult:
    stream = inputs.stream
    prompts = [r.prompt for r in stream.records[phase.start : phase.end]]
    label = phase_label(
        concept=concept_of(prompts, inputs.prompt_embeddings),
        intent=phase.intent,
        image_count=phase.end - phase.start,
        distinct_seeds=_distinct_seeds(stream, phase.start, phase.end),
        optimized_parameter=phase.detail.get("parameter_range"),
    )
    return PhaseResult(
        intent=phase.intent,
        label=label,
        asset_ids=stream.ids[phase.start : phase.end],
        detail=dict(phase.detail),
    )


def _pinned_label(pinned: dict[str, str], ids: list[str]) -> str | None:
    if not pinned:
        return None
    for asset_id in ids:
        label = pinned.get(asset_id)
        if label:
            return label
    return None
