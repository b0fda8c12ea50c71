"""SQL for assets. Every query filters by ``user_id``; callers pass the session and commit."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Asset
from catalog.sql_types import REAL_ARRAY, TEXT_ARRAY, UUID_ARRAY
from catalog.thumbnails import THUMBNAIL_DECODER, VISUAL_MODEL, MadeThumbnail

STREAM_ORDER = (Asset.created_at, Asset.file_counter.nulls_first(), Asset.file_name.nulls_first(), Asset.id)
"""The engine's stream order (time, then the tool's file counter, then name) plus the id as tie-break."""
STREAM_ORDER_REVERSED = (
    Asset.created_at.desc(),
    Asset.file_counter.desc().nulls_last(),
    Asset.file_name.desc().nulls_last(),
    Asset.id.desc(),
)
"""Exactly the reverse of :data:`STREAM_ORDER` (last asset first)."""


_SET_THUMBNAIL = text(
    "UPDATE assets SET thumbnail_sha256 = :sha256, visual_model = :model, "
    "visual_embedding = CAST(CAST(:descriptor AS real[]) AS vector) "
    "WHERE id = :asset_id AND user_id = :user_id"
).bindparams(bindparam("descriptor", type_=REAL_ARRAY))
"""The descriptor travels as a binary ``real[]`` (encoded by asyncpg in C) and becomes a ``vector`` in
SQL: pgvector's own bind formats each vector as text float by float in Python (~0.1 ms a vector).
The stored values are the same float32s either way."""


async def set_thumbnails(
    session: AsyncSession, user_id: uuid.UUID, thumbnails: Mapping[uuid.UUID, MadeThumbnail]
) -> None:
    """Record thumbnails' content addresses and visual descriptors (one executemany) on
    ``user_id``'s assets (an id of another user's asset changes nothing)."""
    if thumbnails:
        await session.execute(
            _SET_THUMBNAIL,
            [
                {
                    "asset_id": asset_id,
                    "user_id": user_id,
                    "sha256": made.sha256,
                    "descriptor": made.descriptor.tolist(),
                    "model": VISUAL_MODEL,
                }
                for asset_id, made in thumbnails.items()
            ],
        )


_SET_THUMBNAIL_ERROR = text(
    """
    UPDATE assets SET thumbnail_error = v.reason, thumbnail_error_decoder = :decoder
    FROM unnest(:asset_ids, :reasons) AS v(asset_id, reason)
    WHERE assets.id = v.asset_id AND assets.user_id = :user_id AND assets.thumbnail_sha256 IS NULL
    """
).bindparams(bindparam("asset_ids", type_=UUID_ARRAY), bindparam("reasons", type_=TEXT_ARRAY))
_RETRY_OTHER_DECODERS_FAILURES = text(
    """
    UPDATE assets SET thumbnail_error = NULL, thumbnail_error_decoder = NULL
    WHERE user_id = :user_id AND thumbnail_error IS NOT NULL
      AND thumbnail_error_decoder IS DISTINCT FROM :decoder
    """
)
_USERS_WITH_OTHER_DECODERS_FAILURES = text(
    """
    SELECT DISTINCT user_id FROM assets
    WHERE thumbnail_error IS NOT NULL AND thumbnail_error_decoder IS DISTINCT FROM :decoder
      AND (CAST(:user_id AS uuid) IS NULL OR user_id = :user_id)
    """
).bindparams(bindparam("user_id", type_=UUID(as_uuid=True)))


async def set_thumbnail_errors(
    session: AsyncSession, user_id: uuid.UUID, reasons: Mapping[uuid.UUID, str]
) -> None:
    """Record why ``user_id``'s assets' files cannot be rendered (lasting failures only), with the
    decoder that failed (:data:`~catalog.thumbnails.THUMBNAIL_DECODER`): they are no longer among the
    assets owing a thumbnail while that decoder renders. An asset that holds a thumbnail is left as it
    is."""
    if reasons:
        await session.execute(
            _SET_THUMBNAIL_ERROR,
            {
                "asset_ids": list(reasons),
                "reasons": list(reasons.values()),
                "user_id": user_id,
                "decoder": THUMBNAIL_DECODER,
            },
        )


async def retry_other_decoders_failures(session: AsyncSession, user_id: uuid.UUID) -> int:
    """Forget ``user_id``'s lasting thumbnail failures met by another decoder than this process's (or
    recorded before decoders were), so that they owe a thumbnail again and are rendered by whichever
    path completes missing thumbnails; returns how many. Call under the user's library lock (it
    writes asset rows)."""
    result = await session.execute(
        _RETRY_OTHER_DECODERS_FAILURES, {"user_id": user_id, "decoder": THUMBNAIL_DECODER}
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def users_with_other_decoders_failures(
    session: AsyncSession, user_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Users (``user_id`` alone, when given) holding a lasting thumbnail failure of another decoder
    (see :func:`retry_other_decoders_failures`). A read of the few assets holding a failure (a partial
    index), taking no lock."""
    rows = await session.execute(
        _USERS_WITH_OTHER_DECODERS_FAILURES, {"decoder": THUMBNAIL_DECODER, "user_id": user_id}
    )
    return [owner for (owner,) in rows]


async def neighbour_times(
    session: AsyncSession, user_id: uuid.UUID, start: datetime, end: datetime, *, steps: int = 1
) -> tuple[datetime | None, datetime | None]:
    """The time ``steps`` timed assets before ``start`` and after ``end`` (the farthest there is when
    fewer exist; None when there are none on that side)."""
    older = (
        select(Asset.created_at)
        .where(Asset.user_id == user_id, Asset.created_at < start)
        .order_by(Asset.created_at.desc())
        .limit(steps)
        .subquery()
    )
    newer = (
        select(Asset.created_at)
        .where(Asset.user_id == user_id, Asset.created_at > end)
        .order_by(Asset.created_at)
        .limit(steps)
        .subquery()
    )
    before = await session.scalar(select(func.min(older.c.created_at)))
    after = await session.scalar(select(func.max(newer.c.created_at)))
    return before, after


async def time_range_of(
    session: AsyncSession, user_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
) -> tuple[datetime, datetime] | None:
    """Earliest and latest ``created_at`` among ``asset_ids`` (None when none of them has a time);
    one aggregate query, no rows loaded."""
    if not asset_ids:
        return None
    ids = bindparam("range_asset_ids", list(asset_ids), type_=UUID_ARRAY)
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
                Asset.id == any_(bindparam("asset_ids", list(asset_ids), type_=UUID_ARRAY)),
            )
        )
    )
