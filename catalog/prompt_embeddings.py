"""Prompt embeddings in pgvector: one row per unique prompt text, shared by every asset that uses it.

Invariants:
- keyed by the SHA-256 of the exact prompt text (``assets.prompt_sha256``), so a prompt is embedded
  once however many assets, users or imports use it; rows are never updated, only added;
- :func:`embed_missing_prompts` is idempotent and safe to run concurrently (``ON CONFLICT DO
  NOTHING``): two workers embedding the same prompt both succeed and one row remains;
- reading embeddings for a span never needs the model: what is missing is simply absent, and the
  engine falls back to lexical prompt similarity for those prompts.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from sqlalchemy import ARRAY, LargeBinary, any_, bindparam, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.assets.span_rows import SpanAsset
from catalog.models import Asset, PromptEmbedding

_BYTEA_ARRAY = ARRAY(LargeBinary())
"""Hash lists are bound as one array: a large library has more distinct prompts than asyncpg allows
parameters (32,767) in one statement."""

EmbedPrompts = Callable[[Sequence[str]], dict[str, np.ndarray]]
"""Prompt texts → unit vectors (``engine.features.prompt_embedding.PromptEmbedder.embed_prompts``)."""


async def prompts_without_embedding(session: AsyncSession, *, limit: int) -> list[tuple[bytes, str]]:
    """Up to ``limit`` distinct (sha256, prompt) pairs that no embedding row covers yet."""
    statement = (
        select(Asset.prompt_sha256, Asset.prompt)
        .ext(distinct_on(Asset.prompt_sha256))
        .outerjoin(PromptEmbedding, PromptEmbedding.prompt_sha256 == Asset.prompt_sha256)
        .where(Asset.prompt_sha256.is_not(None), PromptEmbedding.prompt_sha256.is_(None))
        .order_by(Asset.prompt_sha256)
        .limit(limit)
    )
    return [(sha, prompt) for sha, prompt in (await session.execute(statement)).all() if sha and prompt]


async def store_prompt_embeddings(
    session: AsyncSession, embeddings: Iterable[tuple[bytes, np.ndarray]], *, model: str
) -> int:
    rows = [
        {"prompt_sha256": sha, "model": model, "embedding": np.asarray(vector, dtype=np.float32)}
        for sha, vector in embeddings
    ]
    if not rows:
        return 0
    await session.execute(insert(PromptEmbedding).values(rows).on_conflict_do_nothing())
    return len(rows)


async def embeddings_for_assets(
    session: AsyncSession, assets: Sequence[Asset | SpanAsset]
) -> dict[str, np.ndarray]:
    """Prompt text → embedding for the prompts of ``assets`` that have one (one query)."""
    text_by_sha = {
        asset.prompt_sha256: asset.prompt for asset in assets if asset.prompt_sha256 and asset.prompt
    }
    if not text_by_sha:
        return {}
    statement = select(PromptEmbedding.prompt_sha256, PromptEmbedding.embedding).where(
        PromptEmbedding.prompt_sha256 == any_(bindparam("shas", list(text_by_sha), type_=_BYTEA_ARRAY))
    )
    found: dict[str, np.ndarray] = {}
    for sha, vector in (await session.execute(statement)).all():
        prompt = text_by_sha.get(sha)
        if prompt is not None:
            found[prompt] = np.asarray(vector, dtype=np.float32)
    return found


async def assets_using_prompts(
    session: AsyncSession, prompt_shas: Sequence[bytes]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """user id → ids of that user's timed assets whose prompt is among ``prompt_shas``."""
    if not prompt_shas:
        return {}
    statement = select(Asset.user_id, Asset.id).where(
        Asset.prompt_sha256 == any_(bindparam("shas", list(prompt_shas), type_=_BYTEA_ARRAY)),
        Asset.created_at.is_not(None),
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    for user_id, asset_id in (await session.execute(statement)).all():
        found.setdefault(user_id, []).append(asset_id)
    return found


async def embed_missing_prompts(
    session: AsyncSession, embed: EmbedPrompts, *, model: str, batch_size: int = 256
) -> list[bytes]:
    """Embed one batch of prompts that have no embedding yet; returns the hashes now covered."""
    pending = await prompts_without_embedding(session, limit=batch_size)
    if not pending:
        return []
    # model inference in a thread: under ``atelier serve`` the worker shares the API's event loop
    vectors = await asyncio.to_thread(embed, [prompt for _, prompt in pending])
    pairs = [(sha, vectors[prompt]) for sha, prompt in pending if prompt in vectors]
    await store_prompt_embeddings(session, pairs, model=model)
    return [sha for sha, _ in pairs]
