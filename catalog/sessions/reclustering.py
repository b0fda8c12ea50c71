"""Re-clustering a user's stream and persisting the result while keeping session identity.

Span: after an import only the span around the new records is re-clustered — from the start of the
session holding the 8th older asset to the end of the session holding the 8th newer one, widened
until every stored session it touches lies wholly inside (:func:`whole_sessions_window`) —
so 100 new images in a 500k-asset library touch a handful of sessions. The engine sees
:data:`CONTEXT_ROWS` stored images on each side as well (never written), so the span's edges are
judged with the pace and prompts around them; where its decisions on that context differ from the
stored ones, the new images changed something beyond the span, which grows over it and is clustered
again (at most :data:`MAX_WIDENINGS` times). ``recluster_user`` does the whole stream (the
``atelier recluster`` command).

Identity: each session the engine returns is matched to the stored session it shares most assets
with (greedy, largest overlap first, each stored session used once); a match keeps its UUID, its
``created_at`` and, when pinned, the artist's label, and its phases by ordinal (updated in place).
Unmatched stored sessions in the span are deleted; unmatched new ones get a fresh UUID. Sessions
outside the span are never touched.

Writes: only what changed is written — an asset whose session and phase stay the same is not
updated (every asset update rewrites the row and all ~16 of its index entries), phases are updated
in place, obsolete phases are deleted only after their assets moved (their ``SET NULL`` foreign key
would otherwise rewrite each asset once more), and unchanged lineage edges are kept. Re-clustering
an unchanged span writes no row at all (a session's ``updated_at`` moves only when it changes).

Constraints: the artist's must-link / cannot-link pairs among the span's assets and the user's
learned threshold offset are passed to the engine on every run, so corrections survive.

Lineage: the span's children's edges are made exactly the engine's (one parent per child, so
re-clustering twice leaves the same edges, with their ids); edges into children outside the span
are kept (deleting an asset cascades to its edges). Named parents the engine cannot link inside a
session are resolved across the user's library (:mod:`catalog.sessions.explicit_lineage`); inferred
links stay inside sessions.

Features: stored prompt embeddings (pgvector) of the span's prompts are passed along; prompts not
embedded yet fall back to lexical similarity inside the engine. So are the artist's recurring words as
the whole library gives them (:mod:`catalog.sessions.recurring_words_store`), so that a span decides as
a full re-clustering would; when a span brings the library's first words (or words from many more
sittings than before), the whole library is re-clustered with them instead of the span.

Event loop: the engine call runs in a thread and a full re-cluster job runs whole in a child process
(:mod:`catalog.sessions.off_loop` says why, with numbers).

Transactions: runs inside the caller's session and never commits. Concurrency: a per-user advisory
lock (held to the end of the caller's transaction) serialises re-clusterings of one stream, so an
import, a thumbnail job and a correction never interleave their reads and writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any, overload

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.assets.repository import assets_by_ids, neighbour_times, time_range_of
from catalog.assets.span_rows import (
    SpanAsset,
    all_timed_span_assets,
    span_assets_in_time_window,
    span_assets_of_sessions,
)
from catalog.importing.asset_rows import row_to_record
from catalog.models import Phase, Session
from catalog.prompt_embeddings import embeddings_for_assets
from catalog.sessions import repository
from catalog.sessions.explicit_lineage import children_naming_span, named_edges_across_library
from catalog.sessions.off_loop import analyze_off_loop
from catalog.sessions.queries import asset_key
from catalog.sessions.reclustering_summary import ReclusterSummary
from catalog.sessions.recurring_words_store import SpanWords, recurring_words_for
from catalog.sessions.redescription import mark_described, membership_pins
from catalog.thumbnails import VISUAL_MODEL
from engine.analysis import Analysis, LineageEdge, SessionResult
from engine.gc_pause import cyclic_gc_paused
from engine.session_analysis import SessionConstraints

CONTEXT_STEPS = 8
"""Assets of context kept on each side of a span (then widened to whole sessions): the engine judges
a gap against the local pace and a prompt against the last few distinct prompts, so a span needs
that much history to decide exactly as a full re-clustering would."""


async def recluster_span(
    session: AsyncSession,
    user_id: uuid.UUID,
    new_asset_ids: list[uuid.UUID],
    *,
    previous_times: Sequence[datetime] = (),
    removed_images: int = 0,
    widen: bool = True,
) -> ReclusterSummary:
    """Re-cluster the part of the stream that ``new_asset_ids`` can affect.

    The span is clustered with :data:`CONTEXT_ROWS` stored images on each side; ``widen``: where the
    engine then draws the context's boundaries otherwise than stored, the span grows over them (an
    import, a removal: new images change what lies beyond the span). A correction passes False: it
    also changes the learned offset, which applies to spans re-clustered afterwards, not to the
    sessions around the one corrected — there a disagreeing context is left out and the span
    clustered alone.

    ``previous_times``: where assets whose time changed used to be. Their old sessions must be
    re-clustered in the same pass (or they would keep a member that left, or be deleted while other
    members remain), so the span runs from the earliest to the latest of old and new times — one
    contiguous window, because the engine only sees gaps that really exist in the stream. With no
    ``new_asset_ids`` (or none timed) the span is ``previous_times``' alone: where removed images
    were (:mod:`catalog.assets.removal`), and ``removed_images`` how many timed images left the library
    (counted, like new ones, towards learning the artist's recurring words again).
    """
    with cyclic_gc_paused():  # thousands of rows and results that all survive: see engine.gc_pause
        return await _recluster_span(session, user_id, new_asset_ids, previous_times, removed_images, widen)


async def _recluster_span(
    session: AsyncSession,
    user_id: uuid.UUID,
    new_asset_ids: list[uuid.UUID],
    previous_times: Sequence[datetime],
    removed_images: int,
    widen: bool,
) -> ReclusterSummary:
    await repository.lock_user_stream(session, user_id)
    new_range = await time_range_of(session, user_id, new_asset_ids)
    span_times = [*(new_range or ()), *previous_times]
    if not span_times:
        return ReclusterSummary(user_id, 0, 0, 0, 0)
    start, end = min(span_times), max(span_times)
    before, after = await neighbour_times(session, user_id, start, end, steps=CONTEXT_STEPS)
    if before is not None:
        bounds = await _session_bounds_at(session, user_id, before)
        start = bounds[0] if bounds else before
    if after is not None:
        bounds = await _session_bounds_at(session, user_id, after)
        end = bounds[1] if bounds else after
    start, end = await whole_sessions_window(session, user_id, start, end)
    changed = len(new_asset_ids) + removed_images
    words: SpanWords | None = None
    for widenings in range(MAX_WIDENINGS + 1):
        assets = await span_assets_in_time_window(session, user_id, start, end)
        context = await span_context(session, user_id, start, end)
        outcome = await _recluster_assets(
            session,
            user_id,
            assets,
            changed_images=changed,
            context=context,
            words=words,
            may_widen=widen and widenings < MAX_WIDENINGS,
        )
        if isinstance(outcome, ReclusterSummary):
            return outcome
        words = outcome.words
        start, end = await whole_sessions_window(
            session, user_id, min(start, outcome.start), max(end, outcome.end)
        )
    raise AssertionError("the last widening re-clusters without asking for another")


CONTEXT_ROWS = 64
"""Stored images read on each side of a span as context only: the engine sees them before and after
the span (so the span's first gaps are judged with the pace and prompts before them, as a full
re-clustering judges them) but nothing of them is written. Its windows reach further than the span's
:data:`CONTEXT_STEPS` assets can promise (the pace looks 8 *steps* each way, a batch being one step;
a prompt is compared with the last 5 *distinct* prompts, however many images repeat them), so the
decisions the engine makes on the context are checked against the stored ones (the half of each side
next to the span, whose own context was read too): where they differ — the span's new images changed
a boundary beyond it — the span grows over those sessions and is clustered again."""

MAX_WIDENINGS = 4
"""At most this many such widenings (each takes whole sessions); the last pass writes the span as the
engine clusters it without the check."""


@dataclass(frozen=True, slots=True)
class SpanContext:
    """Stored images just before and after a span, in stream order; ``*_whole``: nothing lies beyond
    (the start or the end of the user's timed stream)."""

    before: list[SpanAsset]
    after: list[SpanAsset]
    before_whole: bool
    after_whole: bool


async def span_context(
    session: AsyncSession, user_id: uuid.UUID, start: datetime, end: datetime
) -> SpanContext:
    """Up to :data:`CONTEXT_ROWS` timed images before ``start`` and after ``end``."""
    before_time, after_time = await neighbour_times(session, user_id, start, end, steps=CONTEXT_ROWS)
    before: list[SpanAsset] = []
    after: list[SpanAsset] = []
    if before_time is not None:
        rows = await span_assets_in_time_window(session, user_id, before_time, start)
        before = [asset for asset in rows if asset.created_at is not None and asset.created_at < start]
    if after_time is not None:
        rows = await span_assets_in_time_window(session, user_id, end, after_time)
        after = [asset for asset in rows if asset.created_at is not None and asset.created_at > end]
    return SpanContext(before, after, len(before) < CONTEXT_ROWS, len(after) < CONTEXT_ROWS)


@dataclass(frozen=True, slots=True)
class _Widen:
    """The context's boundaries came out otherwise than stored: cluster ``start``..``end`` instead
    (with the ``words`` this change already counted)."""

    start: datetime
    end: datetime
    words: SpanWords


async def whole_sessions_window(
    session: AsyncSession, user_id: uuid.UUID, start: datetime, end: datetime
) -> tuple[datetime, datetime]:
    """``start``–``end`` widened until no stored session lies partly outside it: every session it
    overlaps is taken whole, and so are the sessions those reach into (an image moved into a session
    days away stretches that session over the ones between), so a stored session is re-clustered
    with all its members or not at all."""
    while True:
        overlapping = await repository.sessions_overlapping(session, user_id, start, end)
        wider = (
            min([start, *(stored.started_at for stored in overlapping)]),
            max([end, *(stored.ended_at for stored in overlapping)]),
        )
        if wider == (start, end):
            return start, end
        start, end = wider


async def recluster_user(
    session: AsyncSession, user_id: uuid.UUID, *, keep_sessions: bool = False
) -> ReclusterSummary:
    """Re-cluster the user's whole stream (corrections and pinned labels still hold), and record that
    this engine describes it. ``keep_sessions``: every stored session is pinned, so only descriptions
    change (a re-description, :mod:`catalog.sessions.redescription`)."""
    with cyclic_gc_paused():
        await repository.lock_user_stream(session, user_id)
        summary = await _recluster_assets(
            session,
            user_id,
            await all_timed_span_assets(session, user_id),
            whole_stream=True,
            keep_sessions=keep_sessions,
        )
        await mark_described(session, user_id)
        return summary


@overload
async def _recluster_assets(
    session: AsyncSession,
    user_id: uuid.UUID,
    assets: list[SpanAsset],
    *,
    whole_stream: bool = ...,
    keep_sessions: bool = ...,
    changed_images: int = ...,
    words: SpanWords | None = ...,
) -> ReclusterSummary: ...


@overload
async def _recluster_assets(
    session: AsyncSession,
    user_id: uuid.UUID,
    assets: list[SpanAsset],
    *,
    changed_images: int = ...,
    context: SpanContext,
    words: SpanWords | None,
    may_widen: bool,
) -> ReclusterSummary | _Widen: ...


async def _recluster_assets(
    session: AsyncSession,
    user_id: uuid.UUID,
    assets: list[SpanAsset],
    *,
    whole_stream: bool = False,
    keep_sessions: bool = False,
    changed_images: int = 0,
    context: SpanContext | None = None,
    words: SpanWords | None = None,
    may_widen: bool = False,
) -> ReclusterSummary | _Widen:
    """Cluster ``assets`` (stream order; ``whole_stream``: every timed asset of the user) and write
    what changed; ``keep_sessions``: with the stored sessions pinned; ``changed_images``: how many
    images this change added to or removed from the library (towards learning the recurring words
    again; ``words``: counted already, these are the words). ``context``: stored images around a span,
    clustered with it and checked, never written (:data:`CONTEXT_ROWS`); when their boundaries come
    out otherwise than stored, :class:`_Widen` (``may_widen``) or the span clustered without them."""
    if not assets:
        return ReclusterSummary(user_id, 0, 0, 0, 0)
    assets = await _with_move_anchors(session, user_id, assets)
    by_id = {asset.id: asset for asset in assets}
    around = _context_outside(context, by_id)
    engine_assets = sorted([*assets, *around], key=asset_key) if around else assets
    constraints = await constraints_for(session, user_id, engine_assets)
    if keep_sessions:
        must_link, cannot_link = membership_pins(assets)
        constraints = replace(
            constraints,
            must_link=(*constraints.must_link, *must_link),
            cannot_link=(*constraints.cannot_link, *cannot_link),
        )
    records = [row_to_record(asset) for asset in assets]
    if words is None:
        words = await recurring_words_for(
            session, user_id, records, whole_library=whole_stream, changed_images=changed_images
        )
    if words.relearned and not whole_stream:  # the library's first words (or a much larger library's)
        whole = await all_timed_span_assets(session, user_id)
        return await _recluster_assets(
            session, user_id, whole, whole_stream=True, keep_sessions=keep_sessions
        )
    analysis = await analyze_off_loop(  # a thread: see catalog.sessions.off_loop
        [*records, *(row_to_record(asset) for asset in around)] if around else records,
        constraints=constraints,
        threshold_offset=await repository.threshold_offset(session, user_id),
        prompt_embeddings=await embeddings_for_assets(session, engine_assets),
        visual_embeddings=visual_descriptors(engine_assets),
        recurring_words=words.words,
    )
    if around:
        assert context is not None
        widen = _where_context_differs(analysis, context, by_id)
        if widen is not None and may_widen:
            return _Widen(widen[0], widen[1], words)
        if widen is not None:  # no more widening: the span alone, as before the context was read
            return await _recluster_assets(
                session, user_id, assets, changed_images=changed_images, words=words
            )
        analysis = _span_part(analysis, {str(asset_id) for asset_id in by_id})
    stored_ids = sorted({asset.session_id for asset in assets if asset.session_id is not None})
    stored_sessions = {s.id: s for s in await repository.sessions_by_ids(session, user_id, stored_ids)}
    # every member of a stored session in the span is in the span (it is widened to whole sessions)
    identities = match_identities(
        analysis, {str(asset.id): asset.session_id for asset in assets if asset.session_id is not None}
    )

    created = 0
    now = datetime.now(UTC)
    rows: list[Session] = []
    written: set[uuid.UUID] = set()  # sessions created, or whose values, phases or members changed
    for result in analysis.sessions:
        session_id = identities.get(result.id)
        row = stored_sessions.get(session_id) if session_id is not None else None
        if row is None:
            row = Session(id=uuid.uuid4(), user_id=user_id, created_at=now)
            session.add(row)
            created += 1
            written.add(row.id)
        if _fill_session(row, result, by_id, now):
            written.add(row.id)
        rows.append(row)
    await session.flush()  # every session row exists before any phase points at it (one batch)
    assignment, obsolete_phases, phases_written = await _write_phases(
        session, stored_ids, rows, analysis.sessions, by_id
    )
    written |= phases_written
    await session.flush()
    for asset in assets:  # a span asset no result holds (none should) leaves its stored session
        assignment.setdefault(asset.id, (None, None))
    changed = [
        (asset_id, session_id, phase_id)
        for asset_id, (session_id, phase_id) in assignment.items()
        if (by_id[asset_id].session_id, by_id[asset_id].phase_id) != (session_id, phase_id)
    ]
    for asset_id, session_id, _ in changed:  # a member joined or left (possibly only its phase)
        written.update(each for each in (by_id[asset_id].session_id, session_id) if each is not None)
    await repository.assign_assets(
        session,
        user_id,
        [asset_id for asset_id, _, _ in changed],
        [session_id for _, session_id, _ in changed],
        [phase_id for _, _, phase_id in changed],
    )
    await repository.delete_phases(session, obsolete_phases)  # nothing points at them any more
    kept = set(identities.values())
    obsolete = [session_id for session_id in stored_ids if session_id not in kept]
    await repository.delete_sessions(session, user_id, obsolete)
    edges, outside_children = await _with_named_parents(
        session,
        user_id,
        assets,
        analysis,
        {asset_id: ids[0] for asset_id, ids in assignment.items()},
        whole_stream=whole_stream,
    )
    await repository.replace_lineage_for_children(
        session,
        user_id,
        [*by_id, *outside_children],
        [
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "parent_asset_id": uuid.UUID(edge.parent),
                "child_asset_id": uuid.UUID(edge.child),
                "kind": str(edge.kind),
                "confidence": edge.confidence,
            }
            for edge in edges
        ],
    )
    return ReclusterSummary(user_id, len(assets), len(written - set(obsolete)), created, len(obsolete))


async def _write_phases(
    session: AsyncSession,
    stored_ids: list[uuid.UUID],
    rows: list[Session],
    results: Sequence[SessionResult],
    by_id: dict[uuid.UUID, SpanAsset],
) -> tuple[dict[uuid.UUID, tuple[uuid.UUID | None, uuid.UUID | None]], list[uuid.UUID], set[uuid.UUID]]:
    """Write each session's phases and return every asset's new ``(session id, phase id)``, the
    ids of the stored phases no session uses any more (to delete once their assets moved) and the ids
    of the sessions whose phases changed (one added, changed or gone).

    Identity: a session that kept its stored row keeps its stored phases by ordinal, updated in place
    (the ORM writes only the columns that changed), so re-clustering an unchanged span rewrites no
    phase and, with the caller skipping unchanged assignments, no asset."""
    stored_phases = {
        (phase.session_id, phase.ordinal): phase for phase in await repository.phases_of(session, stored_ids)
    }
    assignment: dict[uuid.UUID, tuple[uuid.UUID | None, uuid.UUID | None]] = {}
    written: set[uuid.UUID] = set()
    for row, result in zip(rows, results, strict=True):
        for ordinal, phase_result in enumerate(result.phases or []):
            members = [uuid.UUID(member) for member in phase_result.asset_ids]
            phase = stored_phases.pop((row.id, ordinal), None)
            if phase is None:
                phase = Phase(id=uuid.uuid4(), session_id=row.id, ordinal=ordinal)
                session.add(phase)
                written.add(row.id)
            if _set_changed(
                phase,
                intent=str(phase_result.intent),
                label=phase_result.label,
                started_at=_time_of(by_id[members[0]]),
                ended_at=_time_of(by_id[members[-1]]),
                asset_count=len(members),
                detail=phase_result.detail,
            ):
                written.add(row.id)
            for member in members:
                assignment[member] = (row.id, phase.id)
        for asset_id in result.asset_ids:
            assignment.setdefault(uuid.UUID(asset_id), (row.id, None))
    written.update(phase.session_id for phase in stored_phases.values())  # lost a phase (or was deleted)
    return assignment, [phase.id for phase in stored_phases.values()], written


def _time_of(asset: SpanAsset) -> datetime:
    if asset.created_at is None:  # the engine only groups timed assets
        raise ValueError(f"asset {asset.id} has no time but is in a phase")
    return asset.created_at


async def _with_named_parents(
    session: AsyncSession,
    user_id: uuid.UUID,
    assets: list[SpanAsset],
    analysis: Analysis,
    session_of: dict[uuid.UUID, uuid.UUID | None],
    *,
    whole_stream: bool,
) -> tuple[list[LineageEdge], list[uuid.UUID]]:
    """The engine's edges with the named parents it could not link (another session, outside the
    span) resolved across the user's library in their place, plus edges into images outside the span
    that name a span image and had no named parent yet (imported before it). Returns the edges and
    those outside children (whose old edges the caller replaces too).
    See :mod:`catalog.sessions.explicit_lineage`."""
    named = await named_edges_across_library(session, user_id, assets, analysis.lineage, session_of)
    kept = [edge for edge in analysis.lineage if uuid.UUID(edge.child) not in named]
    outside = await children_naming_span(session, user_id, assets, whole_stream=whole_stream)
    adopted = await named_edges_across_library(session, user_id, outside, [], session_of)
    return [*kept, *named.values(), *adopted.values()], list(adopted)


def match_identities(analysis: Analysis, stored_session_of: Mapping[str, uuid.UUID]) -> dict[str, uuid.UUID]:
    """Engine session id → stored session UUID, by largest shared membership (each used once).
    ``stored_session_of``: asset id (as the engine names it) → its stored session, for the span's
    assets (members outside the span share no asset with any result, so they cannot count)."""
    candidates: list[tuple[int, str, uuid.UUID]] = []
    for result in analysis.sessions:
        overlaps: dict[uuid.UUID, int] = {}
        for member in result.asset_ids:
            stored = stored_session_of.get(member)
            if stored is not None:
                overlaps[stored] = overlaps.get(stored, 0) + 1
        candidates.extend((count, result.id, stored) for stored, count in overlaps.items())
    candidates.sort(key=lambda item: (-item[0], item[1], str(item[2])))
    matched: dict[str, uuid.UUID] = {}
    used: set[uuid.UUID] = set()
    for _, result_id, stored in candidates:
        if result_id not in matched and stored not in used:
            matched[result_id] = stored
            used.add(stored)
    return matched


SESSION_CONFIDENCE_STEP = 0.005
"""A stored session confidence is kept while the engine's differs from it by less than this (and a new
one is stored to 3 decimals). Its last digits move with any change to the artist's statistics (pace,
recurring words): after 100 images were appended to a 20,000-image library a whole re-clustering
changed nothing else but rewrote a third of its 940 sessions, ``updated_at`` included, for
confidences ~1e-5 apart (68 still at 4 decimals, where a few moved by 6e-4)."""


def _fill_session(
    row: Session, result: SessionResult, by_id: dict[uuid.UUID, SpanAsset], now: datetime
) -> bool:
    """The engine's values on ``row``; ``updated_at`` moves only when one of them changed (returned).
    The confidence counts as changed only by :data:`SESSION_CONFIDENCE_STEP` or more."""
    changed = _set_changed(
        row,
        tool=result.tool,
        intent=str(result.intent),
        started_at=result.started_at,
        ended_at=result.ended_at,
        asset_count=len(result.asset_ids),
        first_asset_id=by_id[uuid.UUID(result.asset_ids[0])].id,
    )
    confidence = float(result.confidence)
    if row.confidence is None or not abs(row.confidence - confidence) < SESSION_CONFIDENCE_STEP:
        row.confidence = round(confidence, 3)
        changed = True
    if not row.label_pinned:
        changed = _set_changed(row, label=result.label) or changed
    if changed:
        row.updated_at = now
    return changed


def _set_changed(row: Session | Phase, **values: Any) -> bool:
    """Set the attributes of ``row`` whose value differs; whether any did. The ORM would write only
    changed columns anyway, but setting an equal value still costs its history bookkeeping (most of a
    whole-library re-clustering's session and phase writing), and ``updated_at`` follows real change."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


async def _with_move_anchors(
    db: AsyncSession, user_id: uuid.UUID, assets: list[SpanAsset]
) -> list[SpanAsset]:
    """Add the sessions of move anchors lying outside the span, so moved assets stay where the artist
    put them even when a re-clustering span holds the moved asset but not its anchor."""
    in_span = {asset.id for asset in assets}
    anchors = [
        constraint.asset_b_id
        for constraint in await repository.constraints_touching(db, user_id, list(in_span))
        if constraint.kind == "move"
        and constraint.asset_a_id in in_span
        and constraint.asset_b_id not in in_span
    ]
    if not anchors:
        return assets
    anchor_sessions = sorted(
        {
            asset.session_id
            for asset in await assets_by_ids(db, user_id, anchors)
            if asset.session_id is not None
        }
    )
    extra = [
        asset
        for asset in await span_assets_of_sessions(db, user_id, anchor_sessions)
        if asset.id not in in_span
    ]
    return sorted([*assets, *extra], key=asset_key)


def _context_outside(context: SpanContext | None, in_span: Mapping[uuid.UUID, SpanAsset]) -> list[SpanAsset]:
    if context is None:
        return []
    return [asset for asset in (*context.before, *context.after) if asset.id not in in_span]


def _where_context_differs(
    analysis: Analysis, context: SpanContext, in_span: Mapping[uuid.UUID, SpanAsset]
) -> tuple[datetime, datetime] | None:
    """Where the engine's sessions over the context disagree with the stored ones — a session
    reaching from the context into the span, or two checked context images together that are stored
    apart (or the reverse) — as the time range the span must cover to decide those images again;
    None when they agree. Checked: the half of each side next to the span (all of it where the
    stream ends there: its own context is whole)."""
    session_of = {member: result.id for result in analysis.sessions for member in result.asset_ids}
    span_sessions = {session_of.get(str(asset_id)) for asset_id in in_span}
    before = [asset for asset in context.before if asset.id not in in_span]
    after = [asset for asset in context.after if asset.id not in in_span]
    checked_before = before if context.before_whole else before[len(before) // 2 :]
    checked_after = after if context.after_whole else after[: (len(after) + 1) // 2]
    start: datetime | None = None
    end: datetime | None = None
    if _reaches_into(before, session_of, span_sessions) or _differs(checked_before, session_of):
        start = checked_before[0].created_at
    if _reaches_into(after, session_of, span_sessions) or _differs(checked_after, session_of):
        end = checked_after[-1].created_at
    if start is None and end is None:
        return None
    times = [asset.created_at for asset in in_span.values() if asset.created_at is not None]
    return (start or min(times), end or max(times))


def _reaches_into(
    rows: Sequence[SpanAsset], session_of: Mapping[str, str], span_sessions: set[str | None]
) -> bool:
    """Whether one of ``rows`` (context images) is in a session of the span's images."""
    return any(session_of.get(str(asset.id)) in span_sessions for asset in rows)


def _differs(rows: Sequence[SpanAsset], session_of: Mapping[str, str]) -> bool:
    """Whether ``rows`` (consecutive context images) are clustered otherwise than stored."""
    engine = [session_of.get(str(asset.id)) for asset in rows]
    for (a, b), (engine_a, engine_b) in zip(pairwise(rows), pairwise(engine), strict=True):
        stored_together = a.session_id is not None and a.session_id == b.session_id
        if stored_together != (engine_a is not None and engine_a == engine_b):
            return True
    return False


def _span_part(analysis: Analysis, span_ids: set[str]) -> Analysis:
    """The sessions and lineage of ``analysis`` that hold the span's images (the context's sessions,
    checked to be stored as they are, are left out)."""
    return replace(
        analysis,
        sessions=[result for result in analysis.sessions if span_ids.issuperset(result.asset_ids)],
        lineage=[edge for edge in analysis.lineage if edge.child in span_ids],
    )


def visual_descriptors(assets: Sequence[SpanAsset]) -> dict[str, np.ndarray]:
    """Built-in descriptors of the span's thumbnails, by asset id (one model only: vectors of
    different models are not comparable, and assets without a thumbnail yet are simply absent)."""
    return {
        str(asset.id): np.asarray(asset.visual_embedding, dtype=np.float32)
        for asset in assets
        if asset.visual_embedding is not None and asset.visual_model == VISUAL_MODEL
    }


async def constraints_for(
    db: AsyncSession, user_id: uuid.UUID, assets: Sequence[SpanAsset]
) -> SessionConstraints:
    """The artist's constraints among ``assets`` (pairs reaching outside them cannot apply here)."""
    in_span = {asset.id for asset in assets}
    must_link: list[tuple[str, str]] = []
    cannot_link: list[tuple[str, str]] = []
    moved: dict[str, str] = {}
    for constraint in await repository.constraints_touching(db, user_id, list(in_span)):
        if constraint.asset_a_id not in in_span or constraint.asset_b_id not in in_span:
            continue
        pair = (str(constraint.asset_a_id), str(constraint.asset_b_id))
        if constraint.kind == "must_link":
            must_link.append(pair)
        elif constraint.kind == "cannot_link":
            cannot_link.append(pair)
        elif constraint.kind == "move":
            moved[pair[0]] = pair[1]
    return SessionConstraints(must_link=tuple(must_link), cannot_link=tuple(cannot_link), moved_assets=moved)


async def _session_bounds_at(
    session: AsyncSession, user_id: uuid.UUID, when: datetime
) -> tuple[datetime, datetime] | None:
    """Start and end of the stored session holding the asset at ``when`` (None if unclustered)."""
    stored = await repository.session_of_asset_at(session, user_id, when)
    return (stored.started_at, stored.ended_at) if stored is not None else None
