"""The session engine's entry point: generation records → sessions, phases, labels, lineage.

Pure and deterministic: no I/O, no global state; the same records, options, constraints, offset and
embeddings always give the same :class:`~engine.analysis.Analysis`.

Behaviour worth knowing (see the modules under ``engine/sessions`` for the details):

- clustering runs per user (``record.user``) over the stream ordered by time, then the tool's file
  counter (``extra["file_counter"]``), then file name, then id;
- records without ``created_at`` are listed in ``Analysis.unclustered`` and in no session;
- **day-precision** times (``created_at_precision == "day"``) are never mixed with precise times: they
  form their own stream per user, ordered by day, file counter and file name; a new calendar day or a
  tool switch always opens a session; inside a day only parameter discontinuities can split (the
  temporal signal is neutral there), and such sessions carry no duration in their label;
- minute-precision times: images in the same minute are treated like one batch (one step);
- a boundary is a gap with ``margin > threshold_offset`` (see ``engine.sessions.boundary_scores``),
  then the artist's constraints are applied (``engine.sessions.constraints``);
- ``prompt_embeddings`` (keyed by prompt text) and ``visual_embeddings`` (keyed by record id) are
  optional; without them prompt similarity is lexical only and the visual signal is absent. Prompt
  embeddings of prompts written without spaces (Chinese, Japanese, Korean) are left out: the sentence
  model reads English (:func:`~engine.features.prompt_similarity.readable_embeddings`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.analysis import Analysis
from engine.features.prompt_similarity import PromptSimilarity, readable_embeddings
from engine.gc_pause import cyclic_gc_paused
from engine.records import GenerationRecord
from engine.sessions.asides import AsideSettings, aside_rows
from engine.sessions.boundary_scores import BoundarySettings, boundary_confidence, boundary_scores
from engine.sessions.constraints import SessionConstraints, apply_constraints
from engine.sessions.lineage import LineageSettings
from engine.sessions.parameter_signal import ParameterSettings, parameter_signal
from engine.sessions.phases import PhaseSettings
from engine.sessions.record_stream import build_record_stream, take_rows
from engine.sessions.recurring_words import recurring_word_scales
from engine.sessions.session_builder import SessionInputs, build_sessions
from engine.sessions.temporal_signal import TemporalSettings, temporal_signal

__all__ = ["AnalysisOptions", "SessionConstraints", "analyze_records", "split_timed"]


ASIDE_SINK = 1e6
"""Subtracted from a detour's boundary margins before the constraints: below every other margin, still
ordered (a cannot-link the artist made there opens the best of them)."""


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    pause_cyclic_gc: bool = True
    """Pause Python's cyclic garbage collector during the analysis (restored afterwards). The analysis
    creates no reference cycles, but allocates ~1.5 objects per record, which on a 10⁶-record input
    triggers full collections that rescan every live object (the caller's records included): about a
    fifth of the run time. Reference counting still frees everything as usual. With several analyses
    in concurrent threads the collector is re-enabled by the one that disabled it."""
    temporal: TemporalSettings = field(default_factory=TemporalSettings)
    parameters: ParameterSettings = field(default_factory=ParameterSettings)
    boundaries: BoundarySettings = field(default_factory=BoundarySettings)
    phases: PhaseSettings = field(default_factory=PhaseSettings)
    lineage: LineageSettings = field(default_factory=LineageSettings)
    asides: AsideSettings = field(default_factory=AsideSettings)


def analyze_records(
    records: Sequence[GenerationRecord],
    *,
    options: AnalysisOptions = AnalysisOptions(),
    constraints: SessionConstraints | None = None,
    threshold_offset: float = 0.0,
    prompt_embeddings: Mapping[str, np.ndarray] | None = None,
    visual_embeddings: Mapping[str, np.ndarray] | None = None,
    recurring_words: Mapping[str | None, Mapping[str, float]] | None = None,
) -> Analysis:
    """Cluster ``records`` into sessions per user and describe each (phases, label, lineage).

    ``threshold_offset`` is the user's learned offset (``engine.calibration``): positive → fewer,
    larger sessions. With several users in ``records`` the same offset applies to all of them.
    ``recurring_words``: per user, their recurring words' factors as a whole library gives them
    (:func:`engine.sessions.recurring_words.recurring_words_of`), for an analysis of part of it (a span
    of a stored library); users not in it get them from ``records``.
    """
    with cyclic_gc_paused(options.pause_cyclic_gc):
        return _analyze(
            records,
            options=options,
            constraints=constraints,
            threshold_offset=threshold_offset,
            prompt_embeddings=prompt_embeddings,
            visual_embeddings=visual_embeddings,
            recurring_words=recurring_words,
        )


def split_timed(records: Sequence[GenerationRecord]) -> tuple[list[GenerationRecord], list[str]]:
    """The records with a ``created_at`` (in order) and the ids of the others (each once per user, in order):
    what :func:`analyze_records` clusters and what it lists as ``unclustered``."""
    unclustered: list[str] = []
    timed: list[GenerationRecord] = []
    seen_undated: set[tuple[str | None, str]] = set()  # ids are unique per user
    for record in records:
        if record.created_at is None:
            if (record.user, record.id) not in seen_undated:
                seen_undated.add((record.user, record.id))
                unclustered.append(record.id)
        else:
            timed.append(record)
    return timed, unclustered


def _analyze(
    records: Sequence[GenerationRecord],
    *,
    options: AnalysisOptions,
    constraints: SessionConstraints | None,
    threshold_offset: float,
    prompt_embeddings: Mapping[str, np.ndarray] | None,
    visual_embeddings: Mapping[str, np.ndarray] | None,
    recurring_words: Mapping[str | None, Mapping[str, float]] | None,
) -> Analysis:
    timed, unclustered = split_timed(records)
    prompt_embeddings = readable_embeddings(prompt_embeddings)
    stream = build_record_stream(timed)
    if not len(stream):
        return Analysis(sessions=[], lineage=[], unclustered=unclustered)

    moves = _valid_moves(stream.ids, stream.user_codes, constraints)
    row_of = {asset_id: row for row, asset_id in enumerate(stream.ids)} if moves else {}
    moved_rows = np.zeros(len(stream), dtype=bool)
    moved_rows[[row_of[a] for a in moves]] = True
    scored_rows = np.flatnonzero(~moved_rows)
    scored = stream if not moves else take_rows(stream, scored_rows, stream.segment_codes[scored_rows])

    similarity = PromptSimilarity(prompt_embeddings)
    given = recurring_words or {}
    word_scales: dict[str | None, Mapping[str, float]] = {
        **recurring_word_scales(stream, options.parameters.recurring_words, known=given.keys()),
        **given,
    }
    temporal = temporal_signal(
        scored.time_seconds,
        scored.resolution_seconds,
        scored.segment_codes,
        scored.day_precision,
        options.temporal,
    )
    parameters = parameter_signal(scored, options.parameters, word_scales)
    scores = boundary_scores(scored, temporal, parameters, options.boundaries, options.temporal)
    asides = aside_rows(scored, scores.margin, threshold_offset, options.asides)
    decided = apply_constraints(  # a detour's boundaries sink below every other (constraints still hold)
        scored.ids,
        scored.segment_codes,
        np.where(asides, scores.margin - ASIDE_SINK, scores.margin),
        threshold_offset,
        constraints,
    )
    confidence = boundary_confidence(scores.margin, threshold_offset, options.boundaries.confidence_slope)
    confidence = np.where(decided.opened_by_constraint, 1.0, confidence)

    scored_session = np.cumsum(decided.is_boundary) - 1
    session_of_row = np.empty(len(stream), dtype=np.int64)
    session_of_row[scored_rows] = scored_session
    scored_row_of = {asset_id: i for i, asset_id in enumerate(scored.ids)} if moves else {}
    for asset, anchor in moves.items():
        session_of_row[row_of[asset]] = scored_session[scored_row_of[anchor]]
    session_confidence = np.ones(int(scored_session[-1]) + 1)
    starts = np.flatnonzero(decided.is_boundary)
    session_confidence[scored_session[starts]] = confidence[starts]

    segment_start = np.ones(len(scored), dtype=bool)
    segment_start[1:] = scored.segment_codes[1:] != scored.segment_codes[:-1]
    gap_rows = np.flatnonzero(~segment_start)
    boundary_margins = dict(
        zip(map(scored.ids.__getitem__, gap_rows.tolist()), scores.margin[gap_rows].tolist(), strict=True)
    )

    session_rows = np.lexsort((np.arange(len(stream)), session_of_row))
    session_sorted = session_of_row[session_rows]
    if moves:
        session_stream = take_rows(stream, session_rows, session_sorted)
        session_parameters = parameter_signal(session_stream, options.parameters, word_scales)
        session_temporal = temporal_signal(
            session_stream.time_seconds,
            session_stream.resolution_seconds,
            session_sorted,
            session_stream.day_precision,
            options.temporal,
        )
    else:
        session_stream, session_parameters, session_temporal = scored, parameters, temporal
    sessions, lineage = build_sessions(
        SessionInputs(
            stream=session_stream,
            session_codes=session_sorted,
            session_confidence=session_confidence,
            parameters=session_parameters,
            temporal=session_temporal,
            similarity=similarity,
            prompt_embeddings=prompt_embeddings,
            visual_embeddings=visual_embeddings,
            pinned_labels=dict(constraints.pinned_labels) if constraints else {},
            phase_settings=options.phases,
            lineage_settings=options.lineage,
        )
    )
    return Analysis(
        sessions=sessions, lineage=lineage, unclustered=unclustered, boundary_margins=boundary_margins
    )


def _valid_moves(
    ids: list[str], user_codes: np.ndarray, constraints: SessionConstraints | None
) -> dict[str, str]:
    """Moves whose asset and anchor are both clustered and belong to the same user."""
    if constraints is None or not constraints.moved_assets:
        return {}
    row_of = {asset_id: row for row, asset_id in enumerate(ids)}
    valid: dict[str, str] = {}
    for asset, anchor in constraints.resolved_moves().items():
        asset_row = row_of.get(asset)
        anchor_row = row_of.get(anchor)
        if asset_row is None or anchor_row is None:
            continue
        if user_codes[asset_row] != user_codes[anchor_row]:
            continue
        valid[asset] = anchor
    return valid
