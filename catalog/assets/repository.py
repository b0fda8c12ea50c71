"""SQL for assets. Every query filters by ``user_id``; callers pass the session and commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Text, any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Asset

STREAM_ORDER = (Asset.created_at, Asset.file_counter.nulls_first(), Asset.file_name.nulls_first(), Asset.id)
"""The engine's stream order (time, then the tool's file counter, then name) plus the id as tie-break."""
STREAM_ORDER_REVERSED = (
    Asset.created_at.desc(),
    Asset.file_counter.desc().nulls_last(),
    Asset.file_name.desc().nulls_last(),
    Asset.id.desc(),
)
"""Exactly the reverse of :data:`STREAM_ORDER` (last asset first)."""


async def insert_new_assets(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> dict[str, uuid.UUID]:
    """Insert rows whose ``(user_id, record_id)`` is new; returns ``record_id → id`` of those inserted.

    One statement per call (``INSERT … ON CONFLICT DO NOTHING RETURNING``): already-known records are
    skipped by the database itself, so concurrent imports of the same files cannot duplicate rows.
    """
    if not rows:
        return {}
    statement = (
        insert(Asset)
        .values(list(rows))
        .on_conflict_do_nothing(constraint="uq_assets_user_record")
        .returning(Asset.record_id, Asset.id)
    )
    result = await session.execute(statement)
    return {record_id: asset_id for record_id, asset_id in result.all()}


async def known_record_ids(session: AsyncSession, user_id: uuid.UUID, record_ids: Sequence[str]) -> set[str]:
    if not record_ids:
        return set()
    found = await session.scalars(
        select(Asset.record_id).where(Asset.user_id == user_id, Asset.record_id.in_(list(record_ids)))
    )
    return set(found)


_SET_THUMBNAILS = text(
    """
    UPDATE assets SET thumbnail_sha256 = v.sha
    FROM unnest(:asset_ids, :shas) AS v(asset_id, sha)
    WHERE assets.id = v.asset_id AND assets.user_id = :user_id
    """
).bindparams(
    bindparam("asset_ids", type_=ARRAY(UUID(as_uuid=True))),
    bindparam("shas", type_=ARRAY(Text())),
)


async def set_thumbnails(session: AsyncSession, user_id: uuid.UUID, thumbnails: dict[uuid.UUID, str]) -> None:
    """Record thumbnails' content addresses, in one statement."""
    if thumbnails:
        await session.execute(
            _SET_THUMBNAILS,
            {"asset_ids": list(thumbnails), "shas": list(thumbnails.values()), "user_id": user_id},
        )


async def assets_in_time_window(
    session: AsyncSession, user_id: uuid.UUID, start: datetime, end: datetime
) -> list[Asset]:
    return list(
        await session.scalars(
            select(Asset)
            .where(Asset.user_id == user_id, Asset.created_at >= start, Asset.created_at <= end)
            .order_by(*STREAM_ORDER)
        )
    )


async def assets_of_sessions(
    session: AsyncSession, user_id: uuid.UUID, session_ids: Sequence[uuid.UUID]
) -> list[Asset]:
    if not session_ids:
        return []
    return list(
        await session.scalars(
            select(Asset)
            .where(Asset.user_id == user_id, Asset.session_id.in_(list(session_ids)))
            .order_by(*STREAM_ORDER)
        )
    )


async def neighbour_times(
    session: AsyncSession, user_id: uuid.UUID, start: datetime, end: datetime
) -> tuple[datetime | None, datetime | None]:
    """The latest clustered time before ``start`` and the earliest after ``end`` (None at the edges)."""
    before = await session.scalar(
        select(func.max(Asset.created_at)).where(Asset.user_id == user_id, Asset.created_at < start)
    )
    after = await session.scalar(
        select(func.min(Asset.created_at)).where(Asset.user_id == user_id, Asset.created_at > end)
    )
    return before, after


async def all_timed_assets(session: AsyncSession, user_id: uuid.UUID) -> list[Asset]:
    return list(
        await session.scalars(
            select(Asset)
            .where(Asset.user_id == user_id, Asset.created_at.is_not(None))
            .order_by(*STREAM_ORDER)
        )
    )


async def time_range_of(
    session: AsyncSession, user_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
) -> tuple[datetime, datetime] | None:
    """Earliest and latest ``created_at`` among ``asset_ids`` (None when none of them has a time);
    one aggregate query, no rows loaded."""
    if not asset_ids:
        return None
    ids = bindparam("range_asset_ids", list(asset_ids), type_=ARRAY(UUID(as_uuid=True)))
    earliest, latest = (
        await session.execute(
            select(func.min(Asset.created_at), func.max(Asset.created_at)).where(
                Asset.user_id == user_id, Asset.id == any_(ids)
            )
        )
    ).one()
    return None if earliest is None or latest is None else (earliest, latest)


async def assets_by_ids(
    session: AsyncSession, user_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
) -> list[Asset]:
    if not asset_ids:
        return []
    return list(
        await session.scalars(
            select(Asset).where(
                Asset.user_id == user_id,
                # one uuid[] parameter: a list of 20k+ ids would exceed asyncpg's 32,767 parameters
                Asset.id == any_(bindparam("asset_ids", list(asset_ids), type_=ARRAY(UUID(as_uuid=True)))),
            )
        )
    )
