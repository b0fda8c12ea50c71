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
from engine.sessions.group_counts import GroupCounts, GroupLists, count_codes_by_group
from engine.sessions.labels import concept_from_counts, explored_subjects, phase_label, session_label
from engine.sessions.lineage import LineageSettings, session_lineage
from engine.sessions.parameter_signal import ParameterSignal
from engine.sessions.phases import (
    PhaseColumns,
    PhaseSettings,
    PhaseSpan,
    StepFeatures,
    session_intent,
    session_phases,
    step_observations,
)
from engine.sessions.record_stream import RecordStream
from engine.sessions.temporal_signal import TemporalSignal

CONCEPT_PROMPTS = 6
"""A label's concept is drawn from at most this many of the group's most used prompts."""


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
    """Deterministic id from the user and the first member: ``ses_`` + 16 hex digits.

    Unique per (user, first member): ``user NUL id`` reads back unambiguously while the user holds no
    NUL; a user that does (or the empty user, beside no user) is hashed length-prefixed under another
    personalisation, so no text of either field can make two sessions share an id."""
    if user is not None and (not user or "\x00" in user):
        text = f"{len(user)}:{user}{first_asset_id}".encode(errors="surrogatepass")
        return f"ses_{hashlib.blake2b(text, digest_size=8, person=b'atelier-user').hexdigest()}"
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
    columns = PhaseColumns.of(steps, stream)
    phases_by_session = [
        session_phases(start, end, steps, stream, inputs.phase_settings, columns)
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
    ]
    phase_starts = np.array([p.start for phases in phases_by_session for p in phases], dtype=np.int64)
    phase_of_row = np.cumsum(np.isin(np.arange(len(stream)), phase_starts)) - 1
    session_of_row = np.cumsum(steps.session_start) - 1
    session_prompts = count_codes_by_group(session_of_row, stream.prompt_codes, len(starts))
    phase_prompts = count_codes_by_group(phase_of_row, stream.prompt_codes, len(phase_starts))
    groups = _GroupTables(
        session_prompts=session_prompts,
        session_seeds=count_codes_by_group(session_of_row, stream.seed_codes, len(starts)),
        phase_prompts=phase_prompts,
        phase_seeds=count_codes_by_group(phase_of_row, stream.seed_codes, len(phase_starts)),
        session_prompt_lists=session_prompts.lists(),
        phase_prompt_lists=phase_prompts.lists(),
    )
    facts = _session_facts(inputs, steps.session_start, session_of_row, starts, ends, groups)
    sessions: list[SessionResult] = []
    phase_number = 0
    for number, (start, end, phases) in enumerate(
        zip(starts.tolist(), ends.tolist(), phases_by_session, strict=True)
    ):
        sessions.append(_session_result(inputs, groups, facts, number, phase_number, start, end, phases))
        phase_number += len(phases)
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


@dataclass(frozen=True, slots=True)
class _SessionFacts:
    """Per-session values computed for all sessions at once (lists indexed by session number)."""

    first_row: list[int]
    """Row of the session's earliest time (ties: the first such row)."""
    last_row: list[int]
    """Row of the session's latest time (ties: the last such row)."""
    mixed_tools: list[bool]
    first_tool: list[int]
    """Tool code of the session's first row."""
    day_precision: list[bool]
    confidence: list[float]
    distinct_seeds: list[int]
    phase_distinct_seeds: list[int]


def _session_facts(
    inputs: SessionInputs,
    session_start: np.ndarray,
    session_of_row: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    groups: _GroupTables,
) -> _SessionFacts:
    stream = inputs.stream
    by_time = np.lexsort((np.arange(len(stream)), stream.time_seconds, session_of_row))
    tool_change = np.zeros(len(stream), dtype=bool)
    tool_change[1:] = stream.tool_codes[1:] != stream.tool_codes[:-1]
    tool_change &= ~session_start
    return _SessionFacts(
        first_row=by_time[starts].tolist(),
        last_row=by_time[ends - 1].tolist(),
        mixed_tools=(np.add.reduceat(tool_change, starts) > 0).tolist(),
        first_tool=stream.tool_codes[starts].tolist(),
        day_precision=stream.day_precision[starts].tolist(),
        confidence=inputs.session_confidence[inputs.session_codes[starts]].tolist(),
        distinct_seeds=groups.session_seeds.distinct_known_all().tolist(),
        phase_distinct_seeds=groups.phase_seeds.distinct_known_all().tolist(),
    )


@dataclass(frozen=True, slots=True)
class _GroupTables:
    session_prompts: GroupCounts
    session_seeds: GroupCounts
    phase_prompts: GroupCounts
    phase_seeds: GroupCounts
    session_prompt_lists: GroupLists
    phase_prompt_lists: GroupLists


def _top_prompts(inputs: SessionInputs, counts: GroupLists, group: int) -> list[tuple[str, int]]:
    """The group's most used prompts with their numbers of records (ties: the earliest prompt), at most
    :data:`CONCEPT_PROMPTS` of them: what its label is drawn from (bounded work per group)."""
    start, end = counts.offsets[group], counts.offsets[group + 1]
    pairs = [(c, n) for c, n in zip(counts.codes[start:end], counts.counts[start:end], strict=True) if c >= 0]
    if len(pairs) > CONCEPT_PROMPTS:
        # Codes are distinct within a group, so this order is total.
        pairs = sorted(pairs, key=lambda pair: (-pair[1], pair[0]))[:CONCEPT_PROMPTS]
    prompts = inputs.stream.prompts
    return [(prompts[c], n) for c, n in pairs]


def _described(
    inputs: SessionInputs, counts: GroupLists, group: int, exploring: bool
) -> tuple[str | None, tuple[str, ...]]:
    """The group's concept and, when ``exploring`` (an exploration of several images), the subjects
    it went through (:func:`~engine.sessions.labels.explored_subjects`)."""
    top = _top_prompts(inputs, counts, group)
    concept = concept_from_counts(top, inputs.prompt_embeddings)
    return concept, explored_subjects(top, inputs.prompt_embeddings) if exploring else ()


def _session_result(
    inputs: SessionInputs,
    groups: _GroupTables,
    facts: _SessionFacts,
    number: int,
    first_phase: int,
    start: int,
    end: int,
    phases: list[PhaseSpan],
) -> SessionResult:
    stream = inputs.stream
    records = stream.records
    ids = stream.ids[start:end]
    started_at = records[facts.first_row[number]].created_at
    ended_at = records[facts.last_row[number]].created_at
    assert started_at is not None and ended_at is not None
    if facts.mixed_tools[number]:
        tool_counts = Counter(stream.tool_names[c] for c in stream.tool_codes[start:end].tolist())
        tool = tool_counts.most_common(1)[0][0]  # ties: the tool seen first
    else:
        tool = stream.tool_names[facts.first_tool[number]]
    intent = session_intent(phases, stream, inputs.similarity, inputs.phase_settings)
    duration: timedelta | None = None if facts.day_precision[number] else ended_at - started_at
    optimized = next(
        (
            p.detail["parameter_range"]
            for p in phases
            if p.intent is Intent.OPTIMIZATION and "parameter_range" in p.detail
        ),
        None,
    )
    pinned = _pinned_label(inputs.pinned_labels, ids)
    session_exploring = intent is Intent.EXPLORATION and end - start > 1 and not pinned
    phase_described: list[tuple[str | None, tuple[str, ...]]] = []
    if len(phases) == 1:
        exploring = phases[0].intent is Intent.EXPLORATION and phases[0].end - phases[0].start > 1
        concept, explored = _described(inputs, groups.session_prompt_lists, number, session_exploring)
        phase_described.append(
            (concept, explored)
            if exploring == session_exploring  # the session's own group
            else _described(inputs, groups.phase_prompt_lists, first_phase, exploring)
        )
    else:
        for i, phase in enumerate(phases):
            exploring = phase.intent is Intent.EXPLORATION and phase.end - phase.start > 1
            phase_described.append(_described(inputs, groups.phase_prompt_lists, first_phase + i, exploring))
        focus = _focus_phase(intent, phases)
        if focus is None or phase_described[focus][0] is None:
            concept, explored = _described(inputs, groups.session_prompt_lists, number, session_exploring)
        else:
            concept, explored = phase_described[focus][0], ()
    label = pinned or session_label(
        concept=concept,
        tool=tool,
        intent=intent,
        image_count=end - start,
        duration=duration,
        distinct_seeds=facts.distinct_seeds[number],
        optimized_parameter=optimized,
        explored=explored,
    )
    phase_results = [
        PhaseResult(
            intent=phase.intent,
            label=phase_label(
                concept=phase_concept,
                intent=phase.intent,
                image_count=phase.end - phase.start,
                distinct_seeds=facts.phase_distinct_seeds[first_phase + i],
                optimized_parameter=phase.detail.get("parameter_range"),
                explored=phase_explored,
            ),
            asset_ids=stream.ids[phase.start : phase.end],
            detail=dict(phase.detail),
        )
        for i, (phase, (phase_concept, phase_explored)) in enumerate(
            zip(phases, phase_described, strict=True)
        )
    ]
    return SessionResult(
        id=session_id(records[start].user, ids[0]),
        user=records[start].user,
        tool=tool,
        started_at=started_at,
        ended_at=ended_at,
        label=label,
        intent=intent,
        asset_ids=ids,
        phases=phase_results,
        confidence=facts.confidence[number],
    )


_FOCUS_INTENT = {
    Intent.REFINEMENT: Intent.REFINEMENT,
    Intent.CONVERGENT_SELECTION: Intent.REFINEMENT,
    Intent.OPTIMIZATION: Intent.OPTIMIZATION,
}


def _focus_phase(intent: Intent, phases: list[PhaseSpan]) -> int | None:
    """Index of the phase a session of several phases is about: its largest phase of the session's
    intent (a convergent selection's largest refinement: what it converged on; ties: the earliest), so
    the session is named by what was refined or optimised, not by the look its explored prompts shared.
    ``None`` for an exploration (named by its own prompts, listing what it explored)."""
    wanted = _FOCUS_INTENT.get(intent)
    sizes = [(p.end - p.start, -i) for i, p in enumerate(phases) if p.intent is wanted]
    return -max(sizes)[1] if sizes else None


def _pinned_label(pinned: dict[str, str], ids: list[str]) -> str | None:
    if not pinned:
        return None
    for asset_id in ids:
        label = pinned.get(asset_id)
        if label:
            return label
    return None
