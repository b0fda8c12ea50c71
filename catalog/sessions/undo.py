"""Undoing one of the artist's corrections, durably, and saying which ones can still be undone.

What an undo does, by kind (then it re-clusters the affected span, so sessions reflect it at once):

- **merge / split**: deletes the correction's ``must_link`` / ``cannot_link`` pair; the pairs it had
  replaced (the latest word wins: an earlier merge or split of that pair, kept with ``superseded_by_id``
  since revision 0024, re-anchored like any pair when images next to them were removed or moved) are
  in force again — or, where a still later correction had replaced the undone one's own pair, replaced
  by that one instead. The offset is re-learned from the merges and splits not undone
  (:func:`catalog.sessions.corrections.relearn_offset`), so it is exactly the offset the artist would
  have without this correction.
- **move**: deletes the correction's ``move`` constraints; the earlier moves of those images it
  replaced come back the same way.

Corrections made before revision 0024 deleted the pairs they replaced: for those, the earlier merge or
split of exactly that pair, or the earlier move of that image that stored its anchor (revision 0008),
is found from its stored payload as before.
- **relabel**: restores the label the session had before (pinned again, or automatic). Renames made
  before previous labels were stored, renames of a session that no longer exists, and renames a later
  rename of the same session replaced cannot be undone (:class:`CannotUndo`, nothing changes).

History is kept: the row gets ``undone_at``, never deleted. Undoing twice is :class:`AlreadyUndone`
and changes nothing.

Concurrency: the user's stream lock first (library lock order), then the correction row ``FOR
UPDATE``; ``undone_at`` is checked under both, so of two concurrent undos of one correction exactly
one applies and the other reports :class:`AlreadyUndone`. Transactions: takes the caller's session,
never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Asset, Correction, Session, SessionConstraint
from catalog.sessions import repository
from catalog.sessions.correction_history import affected_asset_ids
from catalog.sessions.corrections import CorrectionError, NotFound, relearn_offset, sessions_holding
from catalog.sessions.reclustering import recluster_span

ALREADY_UNDONE = "this correction is already undone"
NO_PREVIOUS_LABEL = (
    "this rename was made before Atelier kept the previous label, so there is nothing to restore; "
    "rename the session again instead"
)
SESSION_GONE = "the renamed session no longer exists (re-clustering merged or removed it)"
LATER_RENAME = "a later rename of this session replaced this one; undo that one first"


class AlreadyUndone(CorrectionError):
    """The correction was undone before; nothing changed."""

    def __init__(self, undone_at: datetime) -> None:
        super().__init__(ALREADY_UNDONE)
        self.undone_at = undone_at


class CannotUndo(CorrectionError):
    """The correction cannot be undone (the message says why); nothing changed."""


@dataclass(frozen=True, slots=True)
class UndoResult:
    correction: Correction
    session_ids: list[uuid.UUID]
    """Sessions holding the affected images (or the renamed session) afterwards, in stream order."""
    threshold_offset: float


async def undo_correction(db: AsyncSession, user_id: uuid.UUID, correction_id: uuid.UUID) -> UndoResult:
    await repository.lock_user_stream(db, user_id)
    correction = await db.scalar(
        select(Correction)
        .where(Correction.id == correction_id, Correction.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if correction is None:
        raise NotFound("no such correction")
    if correction.undone_at is not None:
        raise AlreadyUndone(correction.undone_at)
    blocker = (await undo_blockers(db, user_id, [correction]))[correction.id]
    if blocker is not None:
        raise CannotUndo(blocker)
    correction.undone_at = datetime.now(UTC)
    await db.flush()
    if correction.kind in ("merge", "split"):
        span = await _undo_pair(db, user_id, correction)
    elif correction.kind == "move":
        span = await _undo_move(db, user_id, correction)
    else:
        session_ids = await _undo_relabel(db, user_id, correction)
        return UndoResult(correction, session_ids, await repository.threshold_offset(db, user_id))
    offset = await relearn_offset(db, user_id) if correction.kind != "move" else None
    await recluster_span(db, user_id, span, widen=False)
    if offset is None:
        offset = await repository.threshold_offset(db, user_id)
    return UndoResult(correction, await sessions_holding(db, span), offset)


async def undo_blockers(
    db: AsyncSession, user_id: uuid.UUID, corrections: Sequence[Correction]
) -> dict[uuid.UUID, str | None]:
    """Why each correction cannot be undone now (``None``: it can), in at most two queries."""
    blockers: dict[uuid.UUID, str | None] = {}
    renamed: dict[uuid.UUID, uuid.UUID] = {}
    for correction in corrections:
        if correction.undone_at is not None:
            blockers[correction.id] = ALREADY_UNDONE
        elif correction.kind == "relabel" and "previous_label" not in correction.payload:
            blockers[correction.id] = NO_PREVIOUS_LABEL
        elif correction.kind == "relabel":
            try:
                renamed[correction.id] = uuid.UUID(str(correction.payload.get("session")))
            except ValueError:
                blockers[correction.id] = SESSION_GONE
        else:
            blockers[correction.id] = None
    if renamed:
        existing = set(
            await db.scalars(
                select(Session.id).where(Session.user_id == user_id, Session.id.in_(set(renamed.values())))
            )
        )
        later = await db.execute(
            select(Correction.id, Correction.created_at, Correction.payload["session"].astext).where(
                Correction.user_id == user_id,
                Correction.kind == "relabel",
                Correction.undone_at.is_(None),
                Correction.payload["session"].astext.in_([str(value) for value in renamed.values()]),
            )
        )
        latest: dict[str, tuple[datetime, uuid.UUID]] = {}
        for other_id, created_at, session in later.all():
            latest[session] = max(latest.get(session, (created_at, other_id)), (created_at, other_id))
        by_id = {correction.id: correction for correction in corrections}
        for correction_id, session_id in renamed.items():
            mine = (by_id[correction_id].created_at, correction_id)
            if session_id not in existing:
                blockers[correction_id] = SESSION_GONE
            elif latest.get(str(session_id), mine) > mine:
                blockers[correction_id] = LATER_RENAME
            else:
                blockers[correction_id] = None
    return blockers


@dataclass(frozen=True, slots=True)
class _Pair:
    kind: str
    asset_a_id: uuid.UUID
    asset_b_id: uuid.UUID
    superseded_by_id: uuid.UUID | None


def _replaced_as(pair: _Pair) -> tuple[object, ...]:
    """What a later correction replaces ``pair`` by: a merge or split of the same two images (either
    order, either kind), a move of the same image."""
    if pair.kind == "move":
        return ("move", pair.asset_a_id)
    return ("link", frozenset((pair.asset_a_id, pair.asset_b_id)))


async def _remove_constraints(db: AsyncSession, user_id: uuid.UUID, correction: Correction) -> list[_Pair]:
    """Delete the constraints ``correction`` made (in force or replaced since)."""
    removed = await db.execute(
        delete(SessionConstraint)
        .where(SessionConstraint.user_id == user_id, SessionConstraint.correction_id == correction.id)
        .returning(
            SessionConstraint.kind,
            SessionConstraint.asset_a_id,
            SessionConstraint.asset_b_id,
            SessionConstraint.superseded_by_id,
        )
    )
    return [_Pair(*row) for row in removed.all()]


async def _reinstate_replaced(
    db: AsyncSession, user_id: uuid.UUID, correction: Correction, own: list[_Pair]
) -> list[SessionConstraint]:
    """The pairs ``correction`` had replaced, in force again — or replaced by the correction that had
    replaced ``correction``'s own pair there, if any (the chain of replacements closes over the gap)."""
    replaced = list(
        await db.scalars(
            select(SessionConstraint).where(
                SessionConstraint.user_id == user_id, SessionConstraint.superseded_by_id == correction.id
            )
        )
    )
    successor = {_replaced_as(pair): pair.superseded_by_id for pair in own}
    for row in replaced:
        later = successor.get(_replaced_as(_Pair(row.kind, row.asset_a_id, row.asset_b_id, None)))
        if later is None and await _in_force(db, user_id, row):
            await db.delete(row)  # another pair in force says the same
        else:
            row.superseded_by_id = later
    await db.flush()
    return replaced


async def _in_force(db: AsyncSession, user_id: uuid.UUID, row: SessionConstraint) -> bool:
    found = await db.scalar(
        select(SessionConstraint.id).where(
            SessionConstraint.user_id == user_id,
            SessionConstraint.kind == row.kind,
            SessionConstraint.asset_a_id == row.asset_a_id,
            SessionConstraint.asset_b_id == row.asset_b_id,
            SessionConstraint.superseded_by_id.is_(None),
            SessionConstraint.id != row.id,
        )
    )
    return found is not None


async def _undo_pair(db: AsyncSession, user_id: uuid.UUID, correction: Correction) -> list[uuid.UUID]:
    removed = await _remove_constraints(db, user_id, correction)
    reinstated = await _reinstate_replaced(db, user_id, correction, removed)
    if not reinstated:  # made before revision 0024: what it replaced was deleted
        for pair in removed:
            await _restore_earlier_pair(db, user_id, correction, pair.asset_a_id, pair.asset_b_id)
    return list(
        dict.fromkeys(
            [
                *affected_asset_ids(correction),
                *(asset for pair in removed for asset in (pair.asset_a_id, pair.asset_b_id)),
                *(asset for row in reinstated for asset in (row.asset_a_id, row.asset_b_id)),
            ]
        )
    )


async def _restore_earlier_pair(
    db: AsyncSession, user_id: uuid.UUID, undone: Correction, first: uuid.UUID, second: uuid.UUID
) -> None:
    """Bring back the constraint of the latest merge or split of this exact pair still in force."""
    pair = [str(first), str(second)]
    candidates = await db.scalars(
        select(Correction)
        .where(
            Correction.user_id == user_id,
            Correction.id != undone.id,
            Correction.undone_at.is_(None),
            Correction.kind.in_(["merge", "split"]),
        )
        .where(
            Correction.payload.contains({"joined": pair})
            | Correction.payload.contains({"before": pair[0], "at": pair[1]})
        )
        .order_by(Correction.created_at.desc(), Correction.id.desc())
        .limit(1)
    )
    earlier = candidates.first()
    if earlier is not None:
        kind = "must_link" if earlier.kind == "merge" else "cannot_link"
        db.add(
            SessionConstraint(
                user_id=user_id, kind=kind, asset_a_id=first, asset_b_id=second, correction_id=earlier.id
            )
        )
        await db.flush()


async def _undo_move(db: AsyncSession, user_id: uuid.UUID, correction: Correction) -> list[uuid.UUID]:
    removed = await _remove_constraints(db, user_id, correction)
    span = [*affected_asset_ids(correction), *(pair.asset_b_id for pair in removed)]
    reinstated = await _reinstate_replaced(db, user_id, correction, removed)
    span += [row.asset_b_id for row in reinstated]
    for moved in [] if reinstated else [pair.asset_a_id for pair in removed]:  # before revision 0024
        earlier = (
            await db.scalars(
                select(Correction)
                .where(
                    Correction.user_id == user_id,
                    Correction.id != correction.id,
                    Correction.undone_at.is_(None),
                    Correction.kind == "move",
                    Correction.payload.contains({"assets": [str(moved)]}),
                    Correction.payload.has_key("anchor"),
                )
                .order_by(Correction.created_at.desc(), Correction.id.desc())
                .limit(1)
            )
        ).first()
        anchor = uuid.UUID(str(earlier.payload["anchor"])) if earlier is not None else None
        if earlier is not None and anchor is not None and await _owned_asset(db, user_id, anchor):
            db.add(
                SessionConstraint(
                    user_id=user_id,
                    kind="move",
                    asset_a_id=moved,
                    asset_b_id=anchor,
                    correction_id=earlier.id,
                )
            )
            span.append(anchor)
    await db.flush()
    return list(dict.fromkeys(span))


async def _owned_asset(db: AsyncSession, user_id: uuid.UUID, asset_id: uuid.UUID) -> bool:
    found = await db.scalar(select(Asset.id).where(Asset.user_id == user_id, Asset.id == asset_id))
    return found is not None


async def _undo_relabel(db: AsyncSession, user_id: uuid.UUID, correction: Correction) -> list[uuid.UUID]:
    session_id = uuid.UUID(str(correction.payload["session"]))
    (session,) = await repository.sessions_by_ids(db, user_id, [session_id])  # undo_blockers checked it
    previous = correction.payload.get("previous_label")
    if correction.payload.get("previous_pinned") and isinstance(previous, str):
        session.label, session.label_pinned = previous, True
        await db.flush()
    else:
        session.label_pinned = False
        await db.flush()
        await recluster_span(
            db, user_id, [session.first_asset_id], widen=False
        )  # recomputes the engine's label
    return [session.id]
