"""The worker's ``embed_prompts`` job: one run at a time across workers, on the real database and the
real sentence model. A second run (the healing cron queues one a minute while prompts are missing)
ends at once while the first is embedding, instead of embedding the same batches beside it."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.models import PromptEmbedding
from catalog.search.query_embedding import shared_prompt_embedder
from catalog.settings import AtelierSettings
from catalog.tasks import embed_prompts

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
    log = tmp_path / "log.jsonl"
    records = (
        {"id": f"r{at}", "tool": "comfyui", "created_at": f"2026-03-01T19:0{at}:00Z", "prompt": text}
        for at, text in enumerate(PROMPTS)
    )
    log.write_text("\n".join(json.dumps(record) for record in records))
    await import_paths(session_factory, settings, user_handle="ada", paths=[log])
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
