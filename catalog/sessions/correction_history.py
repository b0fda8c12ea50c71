"""The artist's correction history as they read it: pages newest first, what each one changed.

Reads only; always scoped by user (another user's correction is simply absent). Summaries are built
from what the correction stored when it was made (labels, counts, file names), so they do not
change when sessions are re-clustered later; corrections made before those details were stored get a
plainer sentence.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Correction, UserCalibration
from engine.calibration import CalibrationSettings

DEFAULT_THRESHOLD_OFFSET = CalibrationSettings().prior_offset
"""The engine's offset for an artist who has corrected nothing (the learned offset's prior)."""


@dataclass(frozen=True, slots=True)
class Calibration:
    threshold_offset: float
    """Learned from the merges and splits not undone (engine boundary-score units)."""
    corrections_counted: int
    """How many merges and splits taught it (undone ones and those across forced boundaries excluded)."""
    default_offset: float


async def calibration_of(db: AsyncSession, user_id: uuid.UUID) -> Calibration:
    row = await db.get(UserCalibration, user_id)
    if row is None:
        return Calibration(DEFAULT_THRESHOLD_OFFSET, 0, DEFAULT_THRESHOLD_OFFSET)
    return Calibration(row.threshold_offset, row.correction_count, DEFAULT_THRESHOLD_OFFSET)


async def correction_page(
    db: AsyncSession, user_id: uuid.UUID, *, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[Correction]:
    """Up to ``limit + 1`` of the user's corrections (undone ones too), newest first: keyset on
    ``(created_at, id)`` descending (index ``ix_corrections_user_history``)."""
    statement = select(Correction).where(Correction.user_id == user_id)
    if after is not None:
        created_at, correction_id = after
        statement = statement.where(
            or_(
                Correction.created_at < created_at,
                and_(Correction.created_at == created_at, Correction.id < correction_id),
            )
        )
    statement = statement.order_by(Correction.created_at.desc(), Correction.id.desc()).limit(limit + 1)
    return list(await db.scalars(statement))


async def corrections_by_ids(
    db: AsyncSession, user_id: uuid.UUID, correction_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Correction]:
    """The user's corrections among ``correction_ids``; others' and unknown ids are absent."""
    if not correction_ids:
        return {}
    rows = await db.scalars(
        select(Correction).where(Correction.user_id == user_id, Correction.id.in_(list(correction_ids)))
    )
    return {row.id: row for row in rows}


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None


def _uuids(values: object) -> list[uuid.UUID]:
    found = [_uuid(value) for value in values] if isinstance(values, list) else []
    return [value for value in found if value is not None]


def affected_session_ids(correction: Correction) -> list[uuid.UUID]:
    """The sessions the correction named when it was made (they may no longer exist)."""
    payload = correction.payload
    if correction.kind == "merge":
        return _uuids(payload.get("sessions"))
    key = "to_session" if correction.kind == "move" else "session"
    found = _uuid(payload.get(key))
    return [found] if found is not None else []


def affected_asset_ids(correction: Correction) -> list[uuid.UUID]:
    """The images the correction tied or moved: the joined pair of a merge, the pair either side of
    a split (only the image it starts at for splits stored without it), the moved images; none for a
    relabel."""
    payload = correction.payload
    if correction.kind == "merge":
        return _uuids(payload.get("joined"))
    if correction.kind == "split":
        return _uuids([value for value in (payload.get("before"), payload.get("at")) if value is not None])
    if correction.kind == "move":
        return _uuids(payload.get("assets"))
    return []


def _quoted(label: object) -> str:
    return f"'{label}'" if isinstance(label, str) and label else "an unnamed session"


def summary_of(correction: Correction) -> str:
    """One English sentence saying what the correction changed, from what it stored when made."""
    payload = correction.payload
    if correction.kind == "merge":
        sessions = len(_uuids(payload.get("sessions"))) or 2
        count = payload.get("asset_count")
        images = f" ({count} images)" if isinstance(count, int) else ""
        return f"Merged {sessions} sessions{images}"
    if correction.kind == "split":
        if "label" in payload:
            where = ""
            if payload.get("at_file"):
                where = f" at image {payload['at_file']}"
            elif isinstance(payload.get("at_position"), int):
                where = f" at image {payload['at_position']} of {payload.get('asset_count')}"
            return f"Split {_quoted(payload.get('label'))}{where}"
        return "Split a session"
    if correction.kind == "move":
        count = len(_uuids(payload.get("assets")))
        noun = "image" if count == 1 else "images"
        target = f" to {_quoted(payload.get('to_label'))}" if "to_label" in payload else " to another session"
        return f"Moved {count} {noun}{target}"
    if correction.kind == "relabel":
        label = payload.get("label")
        if "previous_label" not in payload:
            return (
                f"Renamed a session to {_quoted(label)}"
                if label
                else "Returned a session to its automatic label"
            )
        previous = _quoted(payload.get("previous_label"))
        if label is None:
            return f"Returned {previous} to its automatic label"
        return f"Renamed {previous} → {_quoted(label)}"
    return f"A {correction.kind} correction"
