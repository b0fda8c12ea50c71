"""Prompt embeddings: one per unique prompt, stored in pgvector, used by re-clustering."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from catalog.database import SessionFactory, unit_of_work
from catalog.importing.service import import_paths
from catalog.models import Asset, PromptEmbedding
from catalog.prompt_embeddings import embed_missing_prompts, embeddings_for_assets
from catalog.settings import AtelierSettings
from engine.features.prompt_embedding import PromptEmbedder


@pytest.fixture(scope="module")
def embedder() -> PromptEmbedder:
    return PromptEmbedder()


async def test_each_unique_prompt_is_embedded_once_with_the_real_model(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path, embedder: PromptEmbedder
) -> None:
    prompts = ["neon alley at night", "neon alley at night", "a bowl of ramen", "neon alley at night, rain"]
    records = [
        {
            "id": f"r{index}",
            "tool": "comfyui",
            "created_at": f"2026-03-01T19:{index:02d}:00Z",
            "prompt": prompt,
        }
        for index, prompt in enumerate(prompts)
    ]
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in records))
    await import_paths(session_factory, settings, user_handle="ada", paths=[path])
    calls: list[Sequence[str]] = []

    def embed(texts: Sequence[str]) -> dict[str, np.ndarray]:
        calls.append(list(texts))
        return embedder.embed_prompts(texts)

    async with unit_of_work(session_factory) as db:
        covered = await embed_missing_prompts(db, embed, model="all-MiniLM-L6-v2")
    async with unit_of_work(session_factory) as db:
        again = await embed_missing_prompts(db, embed, model="all-MiniLM-L6-v2")

    assert len(covered) == 3 and again == []
    assert sorted(calls[0]) == sorted(set(prompts))
    async with session_factory() as db:
        assert await db.scalar(select(func.count()).select_from(PromptEmbedding)) == 3
        assets = list(await db.scalars(select(Asset)))
        vectors = await embeddings_for_assets(db, assets)
    assert set(vectors) == set(prompts)
    assert all(
        vector.shape == (384,) and abs(float(np.linalg.norm(vector)) - 1) < 1e-3
        for vector in vectors.values()
    )
    near = float(vectors["neon alley at night"] @ vectors["neon alley at night, rain"])
    far = float(vectors["neon alley at night"] @ vectors["a bowl of ramen"])
    assert near > far
    stored_sha = hashlib.sha256(b"a bowl of ramen").digest()
    async with session_factory() as db:
        assert await db.get(PromptEmbedding, stored_sha) is not None
