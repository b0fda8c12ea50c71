"""The artist's corrections: merge, split, move, relabel — stored as constraints that last.

Each correction is written twice: a ``corrections`` row (what the artist did, with the engine's
boundary margin at the corrected gap when it applies) and ``session_constraints`` rows that every
later re-clustering honours:

- merge sessions A < B (adjacent in the stream): ``must_link(last of A, first of B)``;
- split a session at asset X: ``cannot_link(asset before X, X)``;
- move assets to session T: ``move(asset → anchor)``, the anchor being T's first asset;
- relabel: the session's label is pinned (``label_pinned``) and survives re-clustering while the
  session keeps its identity; relabelling to ``None`` unpins it. A label is 1–200 characters after
  runs of whitespace become one space, and holds no control character or bidirectional override
  (:func:`catalog.text_values.name_problem`).

The latest word wins: a split exactly where an earlier merge joined replaces that ``must_link`` (and
vice versa), and a new move of an asset replaces its older move; the replaced pair is kept, marked
``superseded_by_id``, for the new correction's undo (:mod:`catalog.sessions.undo`). A split's pair
names images of the stream's own (never one a move put in that session: clustering takes those out
before it draws boundaries; a merge whose edge is one is refused by its check), and moving an image a
pair names re-points the pair first (:func:`catalog.sessions.constraint_anchors.reanchor_constraints`),
so the merge or split holds.

Learning: merges and splits carry the boundary margin the engine computed for that gap (score −
threshold, before the user's offset), and the user's threshold offset is re-learned from all of them
that are not undone (``engine.calibration``: bounded, shrunk toward the default while corrections are
few). The new offset is used by every re-clustering from then on: the corrected span at once, the
rest of the library when it is next re-clustered (an import next door, or ``reclusterLibrary``).

History and undo: each constraint row carries its ``correction_id``, and each correction stores
what undoing it needs (a relabel's previous label, a move's anchor, a split's pair); see
:mod:`catalog.sessions.undo`.

Transactions: functions take the caller's session and never commit; each ends by re-clustering the
affected span so the result is visible in the same unit of work.
"""

from __future__ import annotations

import itertools
import math
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.assets.repository import STREAM_ORDER, STREAM_ORDER_REVERSED
from catalog.assets.span_rows import SpanAsset, span_assets_in_time_window
from catalog.importing.asset_rows import row_to_record
from catalog.models import Asset, Correction, Session, SessionConstraint, UserCalibration
from catalog.prompt_embeddings import embeddings_for_assets
from catalog.sessions import repository
from catalog.sessions.constraint_anchors import reanchor_constraints
from catalog.sessions.off_loop import analyze_off_loop
from catalog.sessions.reclustering import (
    constraints_for,
    recluster_span,
    visual_descriptors,
    whole_sessions_window,
)
from catalog.sessions.recurring_words_store import stored_recurring_words
from catalog.text_values import name_problem
from engine.calibration import BoundaryCorrection, CorrectionKind, learn_threshold_offset

OFFSET_DECIMALS = 6
"""The stored offset's precision (score units): what an app shows is 0.2542, not 0.2541999999999999, and
a millionth of a score unit changes no boundary."""
CorrectionAction = Callable[[AsyncSession, uuid.UUID], Awaitable["CorrectionResult"]]
"""A correction bound to its arguments, run by the caller's unit of work."""


class CorrectionError(ValueError):
    """The correction cannot be applied as asked; the message says why, for the artist."""


class NotFound(CorrectionError):
    pass


@dataclass(frozen=True, slots=True)
class CorrectionResult:
    session_ids: list[uuid.UUID]
    """Sessions holding the corrected assets afterwards, in stream order."""
    threshold_offset: float
    correction_ids: tuple[uuid.UUID, ...] = ()
    """The ``corrections`` rows recorded (a merge records one per joined gap), oldest first."""


async def merge_sessions(
    db: AsyncSession, user_id: uuid.UUID, session_ids: list[uuid.UUID]
) -> CorrectionResult:
    await repository.lock_user_stream(db, user_id)
    sessions = await _owned_sessions(db, user_id, session_ids)
    if len(sessions) < 2:
        raise CorrectionError("choose at least two different sessions to merge")
    sessions.sort(key=lambda row: (row.started_at, row.id))
    between = await db.scalar(
        select(func.count()).where(
            Session.user_id == user_id,
            Session.started_at > sessions[0].started_at,
            Session.started_at < sessions[-1].started_at,
            Session.id.not_in([row.id for row in sessions]),
        )
    )
    if between:
        raise CorrectionError("only neighbouring sessions can be merged; include the sessions in between")
    joins: list[tuple[Asset, Asset]] = []
    for earlier, later in itertools.pairwise(sessions):
        joins.append(
            (await _edge_asset(db, earlier.id, last=True), await _edge_asset(db, later.id, last=False))
        )
    # both sides of each gap: a window of the later sessions alone starts at the gap, which then has no margin
    margins = await _margins_before(db, user_id, [asset for pair in joins for asset in pair])
    recorded: list[uuid.UUID] = []
    for earlier_asset, later_asset in joins:
        correction = await _record(
            db,
            user_id,
            "merge",
            {
                "sessions": [str(row.id) for row in sessions],
                "joined": [str(earlier_asset.id), str(later_asset.id)],
                "labels": [row.label for row in sessions],
                "asset_count": sum(row.asset_count for row in sessions),
            },
            margins.get(later_asset.id),
        )
        await _replace_pair(
            db,
            user_id,
            earlier_asset.id,
            later_asset.id,
            kind="must_link",
            opposite="cannot_link",
            correction_id=correction.id,
        )
        recorded.append(correction.id)
    offset = await relearn_offset(db, user_id)
    members = [asset for pair in joins for asset in pair]
    joined = list(
        await db.scalars(select(Asset.id).where(Asset.session_id.in_([row.id for row in sessions])))
    )
    await recluster_span(db, user_id, [asset.id for asset in members], widen=False)
    holding = await sessions_holding(db, joined)
    if len(holding) != 1:  # the caller's transaction is rolled back
        raise CorrectionError(
            "these sessions cannot be joined as they stand: other corrections keep them apart (an image "
            "moved into one of them from between them, or a split); undo or move those first"
        )
    return CorrectionResult(holding, offset, tuple(recorded))


async def split_session(
    db: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID, at_asset_id: uuid.UUID
) -> CorrectionResult:
    await repository.lock_user_stream(db, user_id)
    (session,) = await _owned_sessions(db, user_id, [session_id])
    members = list(
        await db.scalars(select(Asset).where(Asset.session_id == session.id).order_by(*STREAM_ORDER))
    )
    position = next((index for index, asset in enumerate(members) if asset.id == at_asset_id), None)
    if position is None:
        raise CorrectionError("that image is not in this session")
    moved_in = await _moved_images(db, user_id, [session.id])
    if at_asset_id in moved_in:
        raise CorrectionError(
            "that image was moved into this session by a correction, so it has no place of its own to "
            "split at; split at another image, or move it first"
        )
    # images moved in stand outside the stream's boundaries: the cut is after the nearest one that is not
    earlier = [asset for asset in members[:position] if asset.id not in moved_in]
    if not earlier:
        raise CorrectionError("a session cannot be split at its first image")
    before, at = earlier[-1], members[position]
    margin = (await _margins_before(db, user_id, [at])).get(at.id)
    correction = await _record(
        db,
        user_id,
        "split",
        {
            "session": str(session.id),
            "at": str(at.id),
            "before": str(before.id),
            "label": session.label,
            "at_file": at.file_name,
            "at_position": position + 1,
            "asset_count": len(members),
        },
        margin,
    )
    await _replace_pair(
        db,
        user_id,
        before.id,
        at.id,
        kind="cannot_link",
        opposite="must_link",
        correction_id=correction.id,
    )
    offset = await relearn_offset(db, user_id)
    await recluster_span(db, user_id, [before.id, at.id], widen=False)
    holding = await sessions_holding(db, [before.id, at.id])
    if len(holding) != 2:  # the caller's transaction is rolled back
        raise CorrectionError(
            "this split cannot hold: a merge joins images on both sides of it; undo that merge first"
        )
    return CorrectionResult(holding, offset, (correction.id,))


async def move_assets(
    db: AsyncSession, user_id: uuid.UUID, asset_ids: list[uuid.UUID], to_session_id: uuid.UUID
) -> CorrectionResult:
    await repository.lock_user_stream(db, user_id)
    (target,) = await _owned_sessions(db, user_id, [to_session_id])
    assets = list(
        await db.scalars(
            select(Asset).where(
                Asset.user_id == user_id, Asset.id.in_(asset_ids), Asset.created_at.is_not(None)
            )
        )
    )
    if len(assets) != len(set(asset_ids)) or not assets:
        raise NotFound(
            "some of these images do not exist or have no time (undated images are never clustered)"
        )
    moving = [asset.id for asset in assets]
    moved_in = await _moved_images(db, user_id, [target.id])
    anchor = await _edge_asset(db, target.id, last=False, excluding=[*moving, *moved_in])
    # merges, splits and moves anchored on an image that leaves its session keep their place
    await reanchor_constraints(db, user_id, moving, why="moved")
    correction = await _record(
        db,
        user_id,
        "move",
        {
            "assets": [str(a.id) for a in assets],
            "to_session": str(target.id),
            "anchor": str(anchor.id),
            "to_label": target.label,
        },
        None,
    )
    await db.execute(
        update(SessionConstraint)
        .where(
            SessionConstraint.user_id == user_id,
            SessionConstraint.kind == "move",
            SessionConstraint.asset_a_id.in_(moving),
            SessionConstraint.superseded_by_id.is_(None),
        )
        .values(superseded_by_id=correction.id)
    )
    for asset in assets:
        db.add(
            SessionConstraint(
                user_id=user_id,
                kind="move",
                asset_a_id=asset.id,
                asset_b_id=anchor.id,
                correction_id=correction.id,
            )
        )
    await db.flush()
    await recluster_span(db, user_id, [asset.id for asset in assets] + [anchor.id], widen=False)
    offset = await repository.threshold_offset(db, user_id)
    return CorrectionResult(await sessions_holding(db, [anchor.id]), offset, (correction.id,))


async def relabel_session(
    db: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID, label: str | None
) -> CorrectionResult:
    await repository.lock_user_stream(db, user_id)
    (session,) = await _owned_sessions(db, user_id, [session_id])
    cleaned = " ".join(label.split()) if label is not None else None
    if cleaned is not None and not 1 <= len(cleaned) <= 200:
        raise CorrectionError("a label has 1 to 200 characters")
    if cleaned is not None and (problem := name_problem(cleaned)) is not None:
        raise CorrectionError(f"the label {problem}")
    correction = await _record(
        db,
        user_id,
        "relabel",
        {
            "session": str(session.id),
            "label": cleaned,
            "previous_label": session.label,  # what undoCorrection restores
            "previous_pinned": session.label_pinned,
        },
        None,
    )
    session.label_pinned = cleaned is not None
    if cleaned is not None:
        session.label = cleaned
        await db.flush()
    else:
        await db.flush()
        await recluster_span(
            db, user_id, [session.first_asset_id], widen=False
        )  # recomputes the engine's label
    return CorrectionResult([session.id], await repository.threshold_offset(db, user_id), (correction.id,))


async def _owned_sessions(
    db: AsyncSession, user_id: uuid.UUID, session_ids: list[uuid.UUID]
) -> list[Session]:
    rows = await repository.sessions_by_ids(db, user_id, list(dict.fromkeys(session_ids)))
    if len(rows) != len(set(session_ids)):
        raise NotFound("no such session")
    return rows


async def _moved_images(
    db: AsyncSession, user_id: uuid.UUID, session_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """The images of these sessions that a move in force put there: clustering takes them out of the
    stream before it draws boundaries, so a merge or split pair naming one would not hold."""
    return list(
        await db.scalars(
            select(SessionConstraint.asset_a_id)
            .join(Asset, Asset.id == SessionConstraint.asset_a_id)
            .where(
                SessionConstraint.user_id == user_id,
                SessionConstraint.kind == "move",
                SessionConstraint.superseded_by_id.is_(None),
                Asset.session_id.in_(session_ids),
            )
        )
    )


async def _edge_asset(
    db: AsyncSession, session_id: uuid.UUID, *, last: bool, excluding: list[uuid.UUID] | None = None
) -> Asset:
    order = STREAM_ORDER_REVERSED if last else STREAM_ORDER
    statement = select(Asset).where(Asset.session_id == session_id)
    if excluding:
        statement = statement.where(Asset.id.not_in(excluding))
    asset = await db.scalar(statement.order_by(*order).limit(1))
    if asset is None:
        raise CorrectionError("that session has no other images to anchor to")
    return asset


async def _margins_before(
    db: AsyncSession, user_id: uuid.UUID, assets: list[Asset]
) -> dict[uuid.UUID, float]:
    """The engine's boundary margin of the gap before each asset, as it stands now (deterministic),
    judged in the whole sessions holding ``assets``: the gap before the window's first asset has none,
    so a caller asking about the gap between two sessions passes an asset of each."""
    times = [asset.created_at for asset in assets if asset.created_at is not None]
    if not times:
        return {}
    span = await _context_span(db, user_id, min(times), max(times))
    analysis = await analyze_off_loop(  # the same inputs as re-clustering, so margins match its decisions
        [row_to_record(row) for row in span],
        constraints=await constraints_for(db, user_id, span),
        prompt_embeddings=await embeddings_for_assets(db, span),
        visual_embeddings=visual_descriptors(span),
        recurring_words=await stored_recurring_words(db, user_id),
    )
    margins = {}
    for asset in assets:
        margin = analysis.boundary_margins.get(str(asset.id))
        if margin is not None and math.isfinite(margin):
            margins[asset.id] = margin
    return margins


async def _context_span(
    db: AsyncSession, user_id: uuid.UUID, start: datetime, end: datetime
) -> list[SpanAsset]:
    """The assets of the sessions around ``start``..``end`` (the engine judges gaps by local pace)."""
    start, end = await whole_sessions_window(db, user_id, start, end)
    return await span_assets_in_time_window(db, user_id, start, end)


async def _replace_pair(
    db: AsyncSession,
    user_id: uuid.UUID,
    first: uuid.UUID,
    second: uuid.UUID,
    *,
    kind: str,
    opposite: str,
    correction_id: uuid.UUID,
) -> None:
    same_pair = or_(
        and_(SessionConstraint.asset_a_id == first, SessionConstraint.asset_b_id == second),
        and_(SessionConstraint.asset_a_id == second, SessionConstraint.asset_b_id == first),
    )
    await db.execute(
        update(SessionConstraint)
        .where(
            SessionConstraint.user_id == user_id,
            SessionConstraint.kind.in_([kind, opposite]),
            same_pair,
            SessionConstraint.superseded_by_id.is_(None),
        )
        .values(superseded_by_id=correction_id)
    )
    db.add(
        SessionConstraint(
            user_id=user_id, kind=kind, asset_a_id=first, asset_b_id=second, correction_id=correction_id
        )
    )
    await db.flush()


async def _record(
    db: AsyncSession, user_id: uuid.UUID, kind: str, payload: dict[str, object], margin: float | None
) -> Correction:
    correction = Correction(user_id=user_id, kind=kind, payload=payload, boundary_score=margin)
    db.add(correction)
    await db.flush()
    return correction


async def relearn_offset(db: AsyncSession, user_id: uuid.UUID) -> float:
    """Re-learn and store the user's offset from all their merges and splits not undone.

    A pure function of that set (read in a fixed order, so even float sums repeat exactly): undoing a
    correction gives back the offset from before it, and making it again the offset after it.
    """
    rows = (
        await db.execute(
            select(Correction.kind, Correction.boundary_score)
            .where(
                Correction.user_id == user_id,
                Correction.kind.in_(["merge", "split"]),
                Correction.boundary_score.is_not(None),
                Correction.undone_at.is_(None),
            )
            .order_by(Correction.created_at, Correction.id)
        )
    ).all()
    corrections = [
        BoundaryCorrection(CorrectionKind(kind), float(score)) for kind, score in rows if score is not None
    ]
    offset = round(learn_threshold_offset(corrections), OFFSET_DECIMALS)
    calibration = await db.get(UserCalibration, user_id)
    if calibration is None:
        calibration = UserCalibration(user_id=user_id)
        db.add(calibration)
    calibration.threshold_offset = offset
    calibration.correction_count = len(corrections)
    calibration.updated_at = datetime.now(UTC)
    await db.flush()
    return offset


async def sessions_holding(db: AsyncSession, asset_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The sessions holding ``asset_ids`` now, in stream order (no owner filter: the ids are the
    caller's own, read from the user's rows)."""
    rows = await db.execute(
        select(Asset.session_id)
        .where(Asset.id.in_(asset_ids), Asset.session_id.is_not(None))
        .order_by(*STREAM_ORDER)
    )
    return [
        session_id for session_id in dict.fromkeys(row[0] for row in rows.all()) if session_id is not None
    ]
