"""The library lock order (``catalog.library_locks``): a thumbnail job waits for the user's stream
lock before it touches a single asset row, so a re-clustering or correction holding that lock can
always take the rows it needs — the order that made thumbnail jobs and re-clustering deadlock."""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select, text

from catalog.database import SessionFactory, unit_of_work
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.library_locks import lock_user_library
from catalog.models import Asset
from catalog.settings import AtelierSettings
from catalog.tasks import make_thumbnails

WAITING_ADVISORY = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"


async def test_a_thumbnail_job_takes_the_stream_lock_before_any_asset_row(
    session_factory: SessionFactory, settings: AtelierSettings, fixtures_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    for source in sorted((fixtures_dir / "images" / "ComfyUI").glob("*.png"))[:4]:
        shutil.copy(source, folder / source.name)
    await import_paths(
        session_factory, settings, user_handle="ada", paths=[folder], thumbnails=ThumbnailMode.SKIP
    )
    async with session_factory() as db:
        rows = (await db.execute(select(Asset.user_id, Asset.id))).all()
    owner: uuid.UUID = rows[0][0]
    asset_ids = [asset_id for _, asset_id in rows]
    ctx = {"session_factory": session_factory, "settings": settings}

    async with unit_of_work(session_factory) as holder:  # a re-clustering of this user, in progress
        await lock_user_library(holder, owner)
        job = asyncio.create_task(make_thumbnails(ctx, str(owner), [str(i) for i in asset_ids]))
        give_up = time.monotonic() + 60
        async with session_factory() as observer:
            while not await observer.scalar(text(WAITING_ADVISORY)):  # the job now waits for the lock
                assert not job.done(), job.exception() if job.done() else None
                assert time.monotonic() < give_up, "the thumbnail job never waited for the stream lock"
                await asyncio.sleep(0.05)
        # the lock holder can still take every asset row at once: the job holds none of them
        locked = await holder.execute(
            select(Asset.id).where(Asset.id.in_(asset_ids)).with_for_update(nowait=True)
        )
        assert len(locked.all()) == len(asset_ids)
    assert await asyncio.wait_for(job, timeout=60) == len(asset_ids)
    async with session_factory() as db:
        assert await db.scalar(select(func.count()).where(Asset.thumbnail_sha256.is_(None))) == 0
