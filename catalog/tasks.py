"""Background jobs of the catalog, run by the arq worker (``atelier worker`` or in ``serve``).

Invariants: each job is idempotent — re-running it after a crash or a duplicate delivery does no
harm (thumbnails are content-addressed and only missing ones are made; re-clustering is a pure
function of the stored assets and constraints). Each job is its own unit of work and commits.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from arq import create_pool
from arq.connections import RedisSettings
from sqlalchemy import select

from catalog.assets.repository import set_thumbnails
from catalog.database import SessionFactory, unit_of_work
from catalog.models import Asset
from catalog.prompt_embeddings import assets_using_prompts, embed_missing_prompts
from catalog.sessions.off_loop import recluster_user_in_child_process
from catalog.sessions.reclustering import recluster_span
from catalog.settings import AtelierSettings
from catalog.thumbnails import MadeThumbnail, ThumbnailError, make_thumbnail

THUMBNAIL_BACKFILL_BATCH = 200
THUMBNAIL_JOB_ASSETS = 200
PROMPT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"


async def backfill_thumbnails(ctx: dict[str, Any], user_id: str | None = None) -> int:
    """Make thumbnails for assets that have a file but none yet; returns how many were made."""
    factory: SessionFactory = ctx["session_factory"]
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
        by_owner: dict[uuid.UUID, dict[uuid.UUID, Path]] = {}
        for asset_id, owner_id, file_path in rows:
            if file_path is not None:  # selected only where the path is set; narrows the type
                by_owner.setdefault(owner_id, {})[asset_id] = Path(file_path)
        for owner_id, sources in by_owner.items():
            made = await _make_store_and_recluster(ctx, owner_id, sources)
            failed.update(asset_id for asset_id in sources if asset_id not in made)
            made_total += len(made)


async def make_thumbnails(ctx: dict[str, Any], user_id: str, asset_ids: list[str]) -> int:
    """Thumbnails for the named assets of one user (queued by an import); returns how many were made.

    Assets already holding a thumbnail, or without a file, are skipped, so a duplicate delivery does
    nothing. A file that cannot be rendered stays without a thumbnail (the backfill retries it later).
    """
    factory: SessionFactory = ctx["session_factory"]
    owner = uuid.UUID(user_id)
    async with factory() as session:
        rows = (
            await session.execute(
                select(Asset.id, Asset.file_path).where(
                    Asset.user_id == owner,
                    Asset.id.in_([uuid.UUID(asset_id) for asset_id in asset_ids]),
                    Asset.thumbnail_sha256.is_(None),
                    Asset.file_path.is_not(None),
                )
            )
        ).all()
    sources = {asset_id: Path(file_path) for asset_id, file_path in rows if file_path is not None}
    return len(await _make_store_and_recluster(ctx, owner, sources))


async def _make_store_and_recluster(
    ctx: dict[str, Any], owner_id: uuid.UUID, sources: dict[uuid.UUID, Path]
) -> dict[uuid.UUID, MadeThumbnail]:
    """Render thumbnails (in a thread), store them with their visual descriptors, and re-cluster the
    span they belong to so the visual signal takes part (phases, lineage). One unit of work."""
    factory: SessionFactory = ctx["session_factory"]
    settings: AtelierSettings = ctx["settings"]

    def render_all() -> dict[uuid.UUID, MadeThumbnail]:
        made: dict[uuid.UUID, MadeThumbnail] = {}
        for asset_id, path in sources.items():
            try:
                made[asset_id] = make_thumbnail(
                    path, settings.thumbnails_dir, size_px=settings.thumbnail_size_px
                )
            except ThumbnailError:
                continue
        return made

    made = await asyncio.to_thread(render_all)
    if made:
        async with unit_of_work(factory) as session:
            await set_thumbnails(session, owner_id, made)
            await recluster_span(session, owner_id, list(made))
    return made


async def queue_thumbnails(redis_url: str, user_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]) -> int:
    """Queue :func:`make_thumbnails` jobs (``THUMBNAIL_JOB_ASSETS`` ids each); returns the job count.

    Job ids are derived from the asset ids, so queueing the same assets twice while the first jobs
    are pending queues nothing new (arq refuses a duplicate job id).
    """
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        jobs = 0
        for start in range(0, len(asset_ids), THUMBNAIL_JOB_ASSETS):
            chunk = [str(asset_id) for asset_id in asset_ids[start : start + THUMBNAIL_JOB_ASSETS]]
            digest = hashlib.sha256(",".join(chunk).encode()).hexdigest()[:32]
            await pool.enqueue_job(
                "make_thumbnails", str(user_id), chunk, _job_id=f"make_thumbnails:{user_id}:{digest}"
            )
            jobs += 1
        return jobs
    finally:
        await pool.aclose()


async def embed_prompts(ctx: dict[str, Any]) -> int:
    """Embed every prompt that has no embedding yet, in batches, and re-cluster the spans of the
    assets using them (semantic prompt similarity then takes part). Returns prompts embedded.

    The model (all-MiniLM-L6-v2, offline) is loaded once per worker and kept in ``ctx``. Concurrent
    or duplicate runs are harmless: embeddings are keyed by prompt hash and inserted idempotently.
    """
    from engine.features.prompt_embedding import PromptEmbedder

    factory: SessionFactory = ctx["session_factory"]
    embedder: PromptEmbedder = ctx.setdefault("prompt_embedder", PromptEmbedder())
    embedded = 0
    while True:
        async with unit_of_work(factory) as session:
            covered = await embed_missing_prompts(
                session,
                lambda prompts: embedder.embed_prompts(prompts),
                model=PROMPT_EMBEDDING_MODEL,
            )
        if not covered:
            return embedded
        embedded += len(covered)
        async with unit_of_work(factory) as session:
            for owner_id, asset_ids in (await assets_using_prompts(session, covered)).items():
                await recluster_span(session, owner_id, asset_ids)


async def queue_prompt_embeddings(redis_url: str) -> None:
    """Queue :func:`embed_prompts` (a run with nothing to do ends at once, so duplicates are cheap)."""
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        await pool.enqueue_job("embed_prompts")
    finally:
        await pool.aclose()


async def recluster_user_job(ctx: dict[str, Any], user_id: str) -> int:
    """Full re-cluster of one user's library in a child process (off the serving event loop: see
    :mod:`catalog.sessions.off_loop`); returns the number of sessions written."""
    settings: AtelierSettings = ctx["settings"]
    summary = await recluster_user_in_child_process(settings.database_url or "", uuid.UUID(user_id))
    return summary.sessions_written
