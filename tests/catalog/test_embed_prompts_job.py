"""The worker's ``embed_prompts`` job, on the real database, Redis and sentence model:

- one run at a time across workers: a second run (the healing cron queues one a minute while prompts
  are missing) ends at once while the first is embedding, instead of embedding the same batches;
- each batch's embeddings are stored with ``clustering_owed`` marks on the assets using them, settled
  by one re-clustering per user at the end of the run, whatever the number of batches (a span
  re-clustered after every batch redid the user's whole history once per batch);
- a run that dies half-way leaves its marks, and the healing cron settles them; while a run is
  embedding, the cron leaves them to it."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from arq import create_pool
from arq.connections import RedisSettings
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.assets.span_rows import SpanAsset
from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.models import ClusteringOwed, PromptEmbedding
from catalog.search.query_embedding import shared_prompt_embedder
from catalog.sessions import reclustering
from catalog.settings import AtelierSettings
from catalog.tasks import EMBED_LOCK_KEY, embed_prompts, heal_owed_catalog_work

PROMPTS = ["neon alley at night", "a bowl of ramen", "lighthouse in a storm, oil painting"]


class HeldEmbedder:
    """The real model, held inside its first call until ``release`` (a long run still embedding)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls: list[list[str]] = []

    def embed_prompts(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        self.calls.append(list(texts))
        self.entered.set()
        if not self.release.wait(timeout=30):
            raise TimeoutError("the test never released the embedder")
        return shared_prompt_embedder().embed_prompts(texts)


async def test_a_second_run_ends_at_once_while_the_first_is_embedding(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, PROMPTS)
    embedder = HeldEmbedder()
    ctx = {"session_factory": session_factory, "settings": settings, "models": {"prompt_embedder": embedder}}

    first = asyncio.create_task(embed_prompts(dict(ctx)))
    assert await asyncio.to_thread(embedder.entered.wait, 30), "the first run never started embedding"
    try:
        second = await asyncio.wait_for(embed_prompts(dict(ctx)), timeout=10)
    finally:
        embedder.release.set()
    embedded = await first

    assert (second, embedded) == (0, 3)
    assert [sorted(call) for call in embedder.calls] == [sorted(PROMPTS)]  # one batch, embedded once
    async with session_factory() as db:
        assert await db.scalar(select(func.count()).select_from(PromptEmbedding)) == 3
    assert await embed_prompts(dict(ctx)) == 0  # nothing left, and the lock was released


class CountingEmbedder:
    """The real model; fails at batch ``fail_at`` (1-based) when given, as a killed run would stop."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.batches = 0
        self.fail_at = fail_at

    def embed_prompts(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        self.batches += 1
        if self.batches == self.fail_at:
            raise RuntimeError("the worker died here")
        return shared_prompt_embedder().embed_prompts(texts)


MANY_PROMPTS = [f"{subject}, study {number}" for number in range(3) for subject in ("koi pond", "old sailor")]


async def test_every_batch_owes_a_re_clustering_settled_once_per_user_at_the_end(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _import(session_factory, settings, tmp_path, MANY_PROMPTS)
    monkeypatch.setattr("catalog.tasks.EMBED_BATCH", 2)
    spans: list[int] = []
    recluster_assets = reclustering._recluster_assets

    async def counted(
        session: AsyncSession, user_id: uuid.UUID, assets: list[SpanAsset], **options: Any
    ) -> Any:
        spans.append(len(assets))
        return await recluster_assets(session, user_id, assets, **options)

    monkeypatch.setattr(reclustering, "_recluster_assets", counted)
    embedder = CountingEmbedder()

    embedded = await embed_prompts(
        {"session_factory": session_factory, "models": {"prompt_embedder": embedder}}
    )

    assert (embedded, embedder.batches) == (6, 3)
    assert spans == [6]  # one re-clustering of the six images, not one per batch
    assert await _owed(session_factory) == 0


async def test_a_run_that_dies_leaves_its_marks_to_the_healing_cron(
    session_factory: SessionFactory,
    queue_settings: AtelierSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _import(session_factory, queue_settings, tmp_path, MANY_PROMPTS)
    monkeypatch.setattr("catalog.tasks.EMBED_BATCH", 2)
    ctx = {"session_factory": session_factory, "models": {"prompt_embedder": CountingEmbedder(fail_at=2)}}

    with pytest.raises(RuntimeError, match="the worker died here"):
        await embed_prompts(ctx)

    assert await _owed(session_factory) == 2  # the first batch's two prompts, one image each
    pool = await create_pool(RedisSettings.from_dsn(queue_settings.redis_url or ""))
    heal_ctx = {
        "session_factory": session_factory,
        "settings": queue_settings,
        "redis": pool,
        "unrenderable": set(),
    }
    try:
        async with session_factory() as running:  # a run is embedding: the cron leaves the marks to it
            await running.execute(select(func.pg_advisory_lock(EMBED_LOCK_KEY)))
            assert (await heal_owed_catalog_work(dict(heal_ctx)))["clustered"] == 0
            assert await _owed(session_factory) == 2
            await running.execute(select(func.pg_advisory_unlock(EMBED_LOCK_KEY)))
        healed = await heal_owed_catalog_work(dict(heal_ctx))
    finally:
        await pool.aclose()
    assert healed["clustered"] >= 2 and await _owed(session_factory) == 0


async def _import(
    session_factory: SessionFactory, settings: AtelierSettings, folder: Path, prompts: list[str]
) -> None:
    """One user's log of one image per prompt, a minute apart."""
    log = folder / "log.jsonl"
    records = (
        {"id": f"r{at}", "tool": "comfyui", "created_at": f"2026-03-01T19:{at:02d}:00Z", "prompt": text}
        for at, text in enumerate(prompts)
    )
    log.write_text("\n".join(json.dumps(record) for record in records))
    await import_paths(session_factory, settings, user_handle="ada", paths=[log])


async def _owed(session_factory: SessionFactory) -> int:
    async with session_factory() as db:
        return await db.scalar(select(func.count()).select_from(ClusteringOwed)) or 0
