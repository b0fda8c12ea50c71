"""SQL for the import's owed work: ``clustering_owed`` marks and assets still lacking a thumbnail.

Scoped by ``user_id`` wherever a user is named; callers pass the session and commit. Ids travel as
one ``uuid[]`` parameter, so marking or clearing a batch is one statement whatever its size.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Asset, ClusteringOwed
from catalog.sql_types import UUID_ARRAY
from catalog.stored_paths import opened_path

_MARK = text(
    """
    INSERT INTO clustering_owed (asset_id, user_id)
    SELECT asset_id, :user_id FROM unnest(:asset_ids) AS owed(asset_id)
    ON CONFLICT (asset_id) DO NOTHING
    """
).bindparams(bindparam("user_id", type_=UUID(as_uuid=True)), bindparam("asset_ids", type_=UUID_ARRAY))
_CLEAR = text(
    "DELETE FROM clustering_owed WHERE user_id = :user_id AND asset_id = ANY(:asset_ids)"
).bindparams(bindparam("user_id", type_=UUID(as_uuid=True)), bindparam("asset_ids", type_=UUID_ARRAY))


async def mark_clustering_owed(
    session: AsyncSession, user_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
) -> None:
    """Owe a re-clustering of ``asset_ids`` (idempotent). Call in the transaction that stores them."""
    if asset_ids:
        await session.execute(_MARK, {"user_id": user_id, "asset_ids": list(asset_ids)})


async def clear_clustering_owed(
    session: AsyncSession, user_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
) -> None:
    """Settle the marks of ``asset_ids``. Call in the transaction of the re-clustering covering them."""
    if asset_ids:
        await session.execute(_CLEAR, {"user_id": user_id, "asset_ids": list(asset_ids)})


async def users_owed_clustering(session: AsyncSession) -> list[uuid.UUID]:
    return list(await session.scalars(select(ClusteringOwed.user_id).distinct()))


async def clustering_owed_assets(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(select(ClusteringOwed.asset_id).where(ClusteringOwed.user_id == user_id))
    )


OWES_THUMBNAIL = (
    Asset.thumbnail_sha256.is_(None),
    Asset.file_path.is_not(None),
    Asset.thumbnail_error.is_(None),  # its content cannot be rendered (by this decoder): not tried again
)
"""Criteria of an asset owing a thumbnail, for every path that selects them (imports, the worker's jobs
and backfill): the predicate of the partial index ``ix_assets_missing_thumbnail``."""


async def assets_missing_thumbnails(
    session: AsyncSession, user_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> list[tuple[uuid.UUID, Path]]:
    """Up to ``limit`` of the user's assets with a file but no thumbnail, in id order after ``after``
    (keyset paging: a file that cannot be rendered is passed over, not fetched again)."""
    statement = (
        select(Asset.id, Asset.file_path, Asset.file_path_bytes)
        .where(Asset.user_id == user_id, *OWES_THUMBNAIL)
        .order_by(Asset.id)
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(Asset.id > after)
    rows = await session.execute(statement)
    return [
        (asset_id, opened_path(file_path, raw))
        for asset_id, file_path, raw in rows.all()
        if file_path is not None
    ]
