"""Thumbnails in the background: the import queues arq jobs, a real arq worker (burst mode, the real
Redis of the test run) renders them; sessions are queryable before any thumbnail exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from arq.worker import Worker
from sqlalchemy import func, select

from catalog.database import SessionFactory
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.models import Asset, PromptEmbedding, Session
from catalog.settings import AtelierSettings
from catalog.tasks import embed_prompts, make_thumbnails
from catalog.thumbnails import VISUAL_MODEL, thumbnail_path
from tests.arq_worker import run_worker_burst
from tests.generated_copies import copy_as_generated


def _copy_images(fixtures_dir: Path, target: Path) -> list[Path]:
    target.mkdir()
    sources = sorted((fixtures_dir / "images" / "AUTOMATIC1111").glob("*.png"))[:4]
    sources += sorted((fixtures_dir / "images" / "ComfyUI").glob("*.png"))[:4]
    return copy_as_generated(sources, target)


async def _run_worker_burst(
    factory: SessionFactory, settings: AtelierSettings, functions: list[Any] | None = None
) -> Worker:
    return await run_worker_burst(factory, settings, functions or [make_thumbnails])


async def test_import_queues_thumbnails_and_a_worker_makes_them(
    session_factory: SessionFactory, queue_settings: AtelierSettings, fixtures_dir: Path, tmp_path: Path
) -> None:
    files = _copy_images(fixtures_dir, tmp_path / "images")

    report = await import_paths(
        session_factory,
        queue_settings,
        user_handle="ada",
        paths=[tmp_path / "images"],
        thumbnails=ThumbnailMode.BACKGROUND,
    )

    assert report.imported == len(files) and report.thumbnails_queued == len(files)
    assert report.thumbnails_made == 0
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Session)) > 0
        assert await session.scalar(select(func.count()).where(Asset.thumbnail_sha256.is_not(None))) == 0

    worker = await _run_worker_burst(session_factory, queue_settings)

    assert worker.jobs_complete >= 1 and worker.jobs_failed == 0
    async with session_factory() as session:
        shas = list(await session.scalars(select(Asset.thumbnail_sha256)))
    assert len(shas) == len(files) and all(shas)
    assert all(thumbnail_path(queue_settings.thumbnails_dir, sha).is_file() for sha in shas if sha)
    async with session_factory() as session:
        models = list(await session.scalars(select(Asset.visual_model)))
    assert models == [VISUAL_MODEL] * len(files)  # descriptors stored with the thumbnails


async def test_the_worker_embeds_new_prompts_and_reclusters_with_them(
    session_factory: SessionFactory, queue_settings: AtelierSettings, fixtures_dir: Path, tmp_path: Path
) -> None:
    settings = queue_settings.model_copy(update={"prompt_embeddings": True})
    _copy_images(fixtures_dir, tmp_path / "images")
    await import_paths(
        session_factory,
        settings,
        user_handle="ada",
        paths=[tmp_path / "images"],
        thumbnails=ThumbnailMode.BACKGROUND,
    )
    async with session_factory() as session:
        prompts = set(
            await session.scalars(select(Asset.prompt_sha256).where(Asset.prompt_sha256.is_not(None)))
        )
        assert await session.scalar(select(func.count()).select_from(PromptEmbedding)) == 0

    worker = await _run_worker_burst(session_factory, settings, [make_thumbnails, embed_prompts])

    assert worker.jobs_failed == 0 and worker.jobs_complete >= 2
    async with session_factory() as session:
        embedded = set(await session.scalars(select(PromptEmbedding.prompt_sha256)))
        clustered = await session.scalar(
            select(func.count()).where(Asset.created_at.is_not(None), Asset.session_id.is_(None))
        )
    assert prompts and embedded == prompts
    assert clustered == 0


async def test_without_redis_the_background_mode_renders_inline(
    session_factory: SessionFactory, settings: AtelierSettings, fixtures_dir: Path, tmp_path: Path
) -> None:
    files = _copy_images(fixtures_dir, tmp_path / "images")
    no_redis = settings.model_copy(update={"redis_url": None})

    report = await import_paths(
        session_factory,
        no_redis,
        user_handle="ada",
        paths=[tmp_path / "images"],
        thumbnails=ThumbnailMode.BACKGROUND,
    )

    assert (report.thumbnails_made, report.thumbnails_queued) == (len(files), 0)
