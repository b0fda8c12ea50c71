"""catalog.search: the HNSW candidate scan keeps only the user's prompts, in order; fallbacks say why.

Vectors here are built with known angles to the query (cosine similarity 0.9, 0.8, …) so the expected
order is exact; the end-to-end tests (tests/api/test_graphql_search.py) use the real model.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import text

from catalog.database import SessionFactory, unit_of_work
from catalog.models import PROMPT_EMBEDDING_DIMENSIONS, Asset, PromptEmbedding, User
from catalog.models import Session as SessionRow
from catalog.search.candidates import NEAREST_BY_INDEX, nearest_prompts
from catalog.search.query_embedding import QueryEmbedder, prompt_model_loader, shared_prompt_embedder
from catalog.search.service import SearchMode, search_library
from catalog.tasks import PROMPT_EMBEDDING_MODEL
from engine.features.prompt_embedding import PromptEmbedder

QUERY = np.eye(PROMPT_EMBEDDING_DIMENSIONS, dtype=np.float32)[0]


def _at_similarity(similarity: float, axis: int) -> np.ndarray:
    """A unit vector whose cosine similarity to :data:`QUERY` is ``similarity``."""
    vector = np.zeros(PROMPT_EMBEDDING_DIMENSIONS, dtype=np.float32)
    vector[0] = similarity
    vector[axis] = np.sqrt(1 - similarity**2)
    return vector


def _sha(prompt: str) -> bytes:
    return hashlib.sha256(prompt.encode()).digest()


async def _library(factory: SessionFactory) -> tuple[uuid.UUID, uuid.UUID, dict[str, float]]:
    """Ada: prompts at similarity 0.9 … 0.5 (the 0.9 and 0.8 ones in one session); Mallory: the query
    itself (1.0). Returns the two user ids and Ada's prompt → similarity."""
    ada_prompts = {f"ada prompt {index}": 0.9 - 0.1 * index for index in range(5)}
    start = datetime(2026, 3, 1, 19, tzinfo=UTC)
    async with unit_of_work(factory) as db:
        ada, mallory = User(handle="ada"), User(handle="mallory")
        db.add_all([ada, mallory])
        await db.flush()
        session = SessionRow(
            user_id=ada.id,
            tool="comfyui",
            label="first two",
            intent="exploration",
            confidence=0.9,
            started_at=start,
            ended_at=start,
            asset_count=2,
            first_asset_id=uuid.uuid4(),
        )
        db.add(session)
        await db.flush()
        for index, (prompt, similarity) in enumerate(ada_prompts.items()):
            db.add(
                Asset(
                    user_id=ada.id,
                    record_id=prompt,
                    tool="comfyui",
                    created_at=start + timedelta(minutes=index),
                    prompt=prompt,
                    prompt_sha256=_sha(prompt),
                    session_id=session.id if index < 2 else None,
                )
            )
            db.add(
                PromptEmbedding(
                    prompt_sha256=_sha(prompt),
                    model=PROMPT_EMBEDDING_MODEL,
                    embedding=_at_similarity(similarity, index + 1),
                )
            )
        db.add(
            Asset(
                user_id=mallory.id,
                record_id="m",
                tool="comfyui",
                prompt="theirs",
                prompt_sha256=_sha("theirs"),
            )
        )
        db.add(PromptEmbedding(prompt_sha256=_sha("theirs"), model=PROMPT_EMBEDDING_MODEL, embedding=QUERY))
    return ada.id, mallory.id, ada_prompts


async def test_nearest_prompts_come_from_the_index_in_order_and_are_only_the_users(
    session_factory: SessionFactory,
) -> None:
    ada, mallory, prompts = await _library(session_factory)
    expected = sorted(prompts.items(), key=lambda item: -item[1])

    async with session_factory() as db:
        by_index = await nearest_prompts(db, ada, QUERY, limit=3)  # Ada has more: the HNSW scan answers
        exact = await nearest_prompts(db, ada, QUERY, limit=10)  # fewer than asked: the exact ranking
        theirs = await nearest_prompts(db, mallory, QUERY, limit=10)
        outside = await nearest_prompts(
            db, ada, QUERY, limit=10, exclude_session_id=await db.scalar(text("SELECT id FROM sessions"))
        )

    assert [hit.prompt_sha256 for hit in by_index] == [_sha(prompt) for prompt, _ in expected[:3]]
    assert [round(hit.score, 4) for hit in by_index] == [0.9, 0.8, 0.7]
    assert [hit.prompt_sha256 for hit in exact] == [_sha(prompt) for prompt, _ in expected]
    assert _sha("theirs") not in {hit.prompt_sha256 for hit in by_index + exact}
    assert [(hit.prompt_sha256, round(hit.score, 4)) for hit in theirs] == [(_sha("theirs"), 1.0)]
    assert [hit.prompt_sha256 for hit in outside] == [_sha(prompt) for prompt, _ in expected[2:]]


async def test_the_candidate_statement_is_an_hnsw_index_scan_filtered_through_the_users_prompts(
    session_factory: SessionFactory,
) -> None:
    """On a handful of rows the planner rightly prefers ranking the user's few prompts exactly (a sort);
    with sorting discouraged the plan shows the statement's shape is one the HNSW index serves: ORDER
    BY the cosine operator of the index's opclass with a LIMIT, the ownership test a per-row probe of
    ix_assets_user_prompt. (On a 200,000-asset library the planner picks this plan by itself: see
    BENCHMARKS.md.) A statement the index cannot serve would still sort here."""
    ada, _, _ = await _library(session_factory)
    async with session_factory() as db:
        for setting in ("enable_sort", "enable_seqscan", "enable_hashagg"):
            await db.execute(text(f"SET LOCAL {setting} = off"))
        await db.execute(text("SET LOCAL hnsw.iterative_scan = strict_order"))
        explain = text("EXPLAIN " + NEAREST_BY_INDEX.text).bindparams(*NEAREST_BY_INDEX._bindparams.values())
        plan = "\n".join(
            row[0]
            for row in await db.execute(
                explain,
                {"query": QUERY, "user_id": ada, "exclude_session_id": None, "limit": 3, "model": "x"},
            )
        )
    assert "Index Scan using ix_prompt_embeddings_hnsw on prompt_embeddings" in plan, plan
    assert "ix_assets_user_prompt" in plan, plan
    assert "Sort" not in plan, plan


async def test_a_model_that_cannot_load_falls_back_to_words_and_says_why(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    ada, _, _ = await _library(session_factory)
    missing = QueryEmbedder(prompt_model_loader(lambda: PromptEmbedder(tmp_path / "no-model-here")))

    outcome = await search_library(session_factory, ada, "ada prompt", first=3, embedder=missing)
    again = await search_library(session_factory, ada, "ada prompt", first=3, embedder=missing)

    assert outcome.mode is SearchMode.LEXICAL and again.mode is SearchMode.LEXICAL
    assert outcome.fallback_reason is not None and "could not be loaded" in outcome.fallback_reason
    assert len(outcome.assets) == 3 and {found.asset.user_id for found in outcome.assets} == {ada}
    assert [found.session.label for found in outcome.sessions] == ["first two"]


async def test_query_vectors_come_from_the_real_model_once_per_text() -> None:
    calls: list[list[str]] = []

    def load():  # type: ignore[no-untyped-def]
        embed = prompt_model_loader(shared_prompt_embedder)()

        def counted(texts: list[str]) -> dict[str, np.ndarray]:
            calls.append(texts)
            return embed(texts)

        return counted

    embedder = QueryEmbedder(load)
    first = await embedder.vector("a lighthouse in a storm")
    second = await embedder.vector("a lighthouse in a storm")
    other = await embedder.vector("a bowl of ramen")

    assert calls == [["a lighthouse in a storm"], ["a bowl of ramen"]]
    assert first is not None and second is not None and other is not None
    assert first.shape == (PROMPT_EMBEDDING_DIMENSIONS,) and abs(float(np.linalg.norm(first)) - 1) < 1e-3
    assert np.array_equal(first, second) and float(first @ other) < 0.5
    assert embedder.problem is None
