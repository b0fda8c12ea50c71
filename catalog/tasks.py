"""Background jobs of the catalog, run by the arq worker (``atelier worker`` or in ``serve``).

Invariants: each job is idempotent — re-running it after a crash or a duplicate delivery does no
harm (thumbnails are content-addressed and only missing ones are made; re-clustering is a pure
function of the stored assets and constraints). Each job is its own unit of work and commits.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from catalog.assets.repository import set_thumbnails
from catalog.database import SessionFactory, unit_of_work
from catalog.models import Asset
from catalog.sessions.reclustering import recluster_user
from catalog.settings import AtelierSettings
from catalog.thumbnails import ThumbnailError, make_thumbnail

THUMBNAIL_BACKFILL_BATCH = 200


async def backfill_thumbnails(ctx: dict[str, Any], user_id: str | None = None) -> int:
    """Make thumbnails for assets that have a file but none yet; returns how many were made."""
    factory: SessionFactory = ctx["session_factory"]
    settings: AtelierSettings = ctx["settings"]
    made_total = 0
    failed: set[uuid.UUID] = set()
    while True:
        async with factory() as session:
            statement = select(Asset.id, Asset.user_id, Asset.file_path).where(
                Asset.thumbnail_sha256.is_(None), Asset.file_path.is_not(None)
            )
            if user_id is not None:
                statement = statement.where(Asset.user_id == uuid.UUID(user_id))
            if failed:
                statement = statement.where(Asset.id.not_in(failed))
            rows = (await session.execute(statement.limit(THUMBNAIL_BACKFILL_BATCH))).all()
        if not rows:
            return made_total
        made: dict[uuid.UUID, dict[uuid.UUID, str]] = {}
        for asset_id, owner_id, file_path in rows:
            assert file_path is not None  # selected only where the path is set
            try:
                sha = make_thumbnail(
                    Path(file_path), settings.thumbnails_dir, size_px=settings.thumbnail_size_px
                )
            except ThumbnailError:
                failed.add(asset_id)
                continue
            made.setdefault(owner_id, {})[asset_id] = sha
        async with unit_of_work(factory) as session:
            for owner_id, thumbnails in made.items():
                await set_thumbnails(session, owner_id, thumbnails)
        made_total += sum(len(thumbnails) for thumbnails in made.values())


async def recluster_user_job(ctx: dict[str, Any], user_id: str) -> int:
    """Full re-cluster of one user's library; returns the number of sessions written."""
    factory: SessionFactory = ctx["session_factory"]
    async with unit_of_work(factory) as session:
        summary = await recluster_user(session, uuid.UUID(user_id))
    return summary.sessions_written
