"""SQL for sessions, phases, lineage edges, constraints and calibration. Always scoped by user."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import any_, bindparam, delete, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.database import copy_rows
from catalog.models import Asset, LineageEdge, Phase, Session, SessionConstraint, UserCalibration
from catalog.sql_types import UUID_ARRAY


def _uuids(name: str, values: Sequence[uuid.UUID]) -> Any:
    """One ``uuid[]`` parameter (span-sized id lists exceed asyncpg's 32,767-parameter limit)."""
    return bindparam(name, list(values), type_=UUID_ARRAY)


async def lock_user_stream(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Serialise re-clustering and corrections of one user's stream across processes.

    A transaction-scoped advisory lock: held until the caller's transaction ends, so whoever comes
    second reads the stream as the first one left it. Take it before reading the span.
    """
    key = int.from_bytes(user_id.bytes[:8], "big", signed=True)
    await session.execute(select(func.pg_advisory_xact_lock(key)))


async def sessions_overlapping(
    session: AsyncSession, user_id: uuid.UUID, start: datetime, end: datetime
) -> list[Session]:
    return list(
        await session.scalars(
            select(Session)
            .where(Session.user_id == user_id, Session.started_at <= end, Session.ended_at >= start)
            .order_by(Session.started_at)
        )
    )


async def session_of_asset_at(session: AsyncSession, user_id: uuid.UUID, when: datetime) -> Session | None:
    return await session.scalar(
        select(Session)
        .join(Asset, Asset.session_id == Session.id)
        .where(Asset.user_id == user_id, Asset.created_at == when)
        .limit(1)
    )


async def assign_assets(
    session: AsyncSession,
    user_id: uuid.UUID,
    asset_ids: Sequence[uuid.UUID],
    session_ids: Sequence[uuid.UUID | None],
    phase_ids: Sequence[uuid.UUID | None],
) -> None:
    """Set ``session_id`` / ``phase_id`` for many assets in one statement. Pass only the assets whose
    assignment changes: each row written is a new row version with an entry in every index of
    ``assets`` (session and phase ids are indexed, so no update is HOT)."""
    if not asset_ids:
        return
    statement = text(
        """
        UPDATE assets SET session_id = v.session_id, phase_id = v.phase_id
        FROM unnest(:asset_ids, :session_ids, :phase_ids) AS v(asset_id, session_id, phase_id)
        WHERE assets.id = v.asset_id AND assets.user_id = :user_id
        """
    ).bindparams(
        bindparam("asset_ids", type_=UUID_ARRAY),
        bindparam("session_ids", type_=UUID_ARRAY),
        bindparam("phase_ids", type_=UUID_ARRAY),
    )
    await session.execute(
        statement,
        {
            "asset_ids": list(asset_ids),
            "session_ids": list(session_ids),
            "phase_ids": list(phase_ids),
            "user_id": user_id,
        },
    )


async def delete_sessions(
    session: AsyncSession, user_id: uuid.UUID, session_ids: Sequence[uuid.UUID]
) -> None:
    if session_ids:
        await session.execute(
            delete(Session).where(
                Session.user_id == user_id, Session.id == any_(_uuids("sessions", session_ids))
            )
        )


async def phases_of(session: AsyncSession, session_ids: Sequence[uuid.UUID]) -> list[Phase]:
    """The stored phases of ``session_ids`` (ORM rows: a re-clustering updates them in place)."""
    if not session_ids:
        return []
    return list(
        await session.scalars(select(Phase).where(Phase.session_id == any_(_uuids("sessions", session_ids))))
    )


async def delete_phases(session: AsyncSession, phase_ids: Sequence[uuid.UUID]) -> None:
    """Delete phases by id. Reassign their assets first: each asset still pointing at a deleted phase
    is rewritten by the ``SET NULL`` foreign key (a whole row with every index, per asset)."""
    if phase_ids:
        await session.execute(delete(Phase).where(Phase.id == any_(_uuids("phases", phase_ids))))


async def replace_lineage_for_children(
    session: AsyncSession, user_id: uuid.UUID, child_ids: Sequence[uuid.UUID], edges: Sequence[dict[str, Any]]
) -> None:
    """Make ``edges`` (``id``, ``user_id``, ``parent_asset_id``, ``child_asset_id``, ``kind``,
    ``confidence``) the only edges into ``child_ids``. Idempotent: an edge stored the same (parent,
    kind, confidence) is kept with its id, so writing the same lineage twice changes no row; only
    the edges that differ are deleted and inserted."""
    wanted = {edge["child_asset_id"]: edge for edge in edges}
    stale: list[uuid.UUID] = []
    if child_ids:
        stored = await session.execute(
            select(
                LineageEdge.id,
                LineageEdge.child_asset_id,
                LineageEdge.parent_asset_id,
                LineageEdge.kind,
                LineageEdge.confidence,
            ).where(
                LineageEdge.user_id == user_id,
                LineageEdge.child_asset_id == any_(bindparam("children", list(child_ids), type_=UUID_ARRAY)),
            )
        )
        for edge_id, child, parent, kind, confidence in stored.all():
            edge = wanted.get(child)
            if edge is not None and (edge["parent_asset_id"], edge["kind"], edge["confidence"]) == (
                parent,
                kind,
                confidence,
            ):
                del wanted[child]  # stored as wanted: nothing to write
            else:
                stale.append(edge_id)
    if stale:
        await session.execute(delete(LineageEdge).where(LineageEdge.id == any_(_uuids("stale_edges", stale))))
    await copy_rows(
        session,
        "lineage_edges",
        _EDGE_COLUMNS,
        [tuple(edge[column] for column in _EDGE_COLUMNS) for edge in wanted.values()],
    )


_EDGE_COLUMNS = ("id", "user_id", "parent_asset_id", "child_asset_id", "kind", "confidence")


async def constraints_touching(
    session: AsyncSession, user_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
) -> list[SessionConstraint]:
    """The pairs in force (not superseded) naming any of ``asset_ids``."""
    if not asset_ids:
        return []
    # one array parameter, not one parameter per id: a large span would exceed asyncpg's 32,767
    ids = bindparam("constraint_asset_ids", list(asset_ids), type_=UUID_ARRAY)
    return list(
        await session.scalars(
            select(SessionConstraint).where(
                SessionConstraint.user_id == user_id,
                or_(SessionConstraint.asset_a_id == any_(ids), SessionConstraint.asset_b_id == any_(ids)),
                SessionConstraint.superseded_by_id.is_(None),
            )
        )
    )


async def threshold_offset(session: AsyncSession, user_id: uuid.UUID) -> float:
    calibration = await session.get(UserCalibration, user_id)
    return calibration.threshold_offset if calibration is not None else 0.0


async def sessions_by_ids(
    session: AsyncSession, user_id: uuid.UUID, session_ids: Sequence[uuid.UUID]
) -> list[Session]:
    if not session_ids:
        return []
    return list(
        await session.scalars(
            select(Session).where(
                Session.user_id == user_id, Session.id == any_(_uuids("sessions", session_ids))
            )
        )
    )
