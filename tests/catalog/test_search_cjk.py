"""Searching prompts written without spaces (Chinese, Japanese, Korean) by words (real PostgreSQL).

PostgreSQL's ``english`` parser reads a run of CJK characters as one word: "站在樱花树下" was one lexeme,
and a search for 樱花 (cherry blossom) found nothing. Migration 0019 indexes each run's characters and
character pairs and matches a query by the pairs of its own runs.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np

from catalog.database import SessionFactory, unit_of_work
from catalog.migration_runner import downgrade_async, upgrade_async
from catalog.models import PROMPT_EMBEDDING_DIMENSIONS, Asset, PromptEmbedding, User
from catalog.models import Session as SessionRow
from catalog.search.candidates import prompts_matching_words
from catalog.search.query_embedding import QueryEmbedder
from catalog.search.service import (
    UNSPACED_QUERY,
    UNSPACED_SESSION,
    SearchMode,
    search_library,
    similar_sessions,
)
from catalog.tasks import PROMPT_EMBEDDING_MODEL
from tests.conftest import superuser_connection

CHERRY = "一个女孩，站在樱花树下，水彩画"
CASTLE = "城堡，夜晚，月光，奇幻风格"
CAT = "一只黑猫坐在窗台上，油画"
JAPANESE = "桜の木の下に立つ少女、水彩画"
KOREAN = "고양이가 창가에 앉아 있다"
ENGLISH = "lighthouse on a cliff, stormy sea"
PROMPTS = (CHERRY, CASTLE, CAT, JAPANESE, KOREAN, ENGLISH)


def _sha(prompt: str) -> bytes:
    return hashlib.sha256(prompt.encode()).digest()


async def _library(factory: SessionFactory) -> tuple[uuid.UUID, uuid.UUID]:
    start = datetime(2026, 3, 1, 19, tzinfo=UTC)
    async with unit_of_work(factory) as db:
        li, mallory = User(handle="li"), User(handle="mallory")
        db.add_all([li, mallory])
        await db.flush()
        for index, prompt in enumerate(PROMPTS):
            db.add(
                Asset(
                    user_id=li.id,
                    record_id=f"li-{index}",
                    tool="comfyui",
                    created_at=start + timedelta(minutes=index),
                    prompt=prompt,
                    prompt_sha256=_sha(prompt),
                )
            )
        theirs = "樱花树下的少年"
        db.add(Asset(user_id=mallory.id, record_id="m", tool="x", prompt=theirs, prompt_sha256=_sha(theirs)))
    return li.id, mallory.id


async def _found(factory: SessionFactory, user_id: uuid.UUID, words: str) -> set[str]:
    by_hash = {_sha(prompt): prompt for prompt in PROMPTS}
    async with factory() as db:
        hits = await prompts_matching_words(db, user_id, words, limit=10)
    return {by_hash.get(hit.prompt_sha256, "someone else's") for hit in hits}


async def test_a_word_inside_an_unspaced_prompt_is_found(session_factory: SessionFactory) -> None:
    li, _ = await _library(session_factory)
    assert await _found(session_factory, li, "樱花") == {CHERRY}
    assert await _found(session_factory, li, "樱花树") == {CHERRY}
    assert await _found(session_factory, li, "水彩画") == {CHERRY, JAPANESE}  # shared Han characters
    assert await _found(session_factory, li, "猫") == {CAT}  # one character is a word too
    assert await _found(session_factory, li, "少女") == {JAPANESE}
    assert await _found(session_factory, li, "고양이") == {KOREAN}
    assert await _found(session_factory, li, "月光 lighthouse") == {CASTLE, ENGLISH}  # mixed scripts
    assert await _found(session_factory, li, "lighthouses") == {ENGLISH}  # English still stemmed
    assert await _found(session_factory, li, "恐龙") == set()


async def test_the_whole_search_finds_them_without_embeddings(session_factory: SessionFactory) -> None:
    li, _ = await _library(session_factory)
    outcome = await search_library(session_factory, li, "樱花", first=5, embedder=None)
    assert outcome.mode is SearchMode.LEXICAL
    assert [found.asset.prompt for found in outcome.assets] == [CHERRY]  # never Mallory's 樱花树下的少年


async def test_prompts_stored_before_the_migration_become_searchable(database_url: str) -> None:
    """Upgrading rebuilds the documents of stored prompts that hold CJK characters (and only those)."""
    await downgrade_async(database_url, "0018")
    async with superuser_connection(database_url) as connection:
        user_id = await connection.fetchval("INSERT INTO users (handle) VALUES ('li') RETURNING id")
        for index, prompt in enumerate((CHERRY, ENGLISH)):
            await connection.execute(
                "INSERT INTO assets (user_id, record_id, tool, prompt, prompt_sha256) "
                "VALUES ($1, $2, 'x', $3, $4)",
                user_id,
                f"r{index}",
                prompt,
                _sha(prompt),
            )
        before = dict(await connection.fetch("SELECT prompt_sha256, document::text FROM prompt_texts"))
        await upgrade_async(database_url)
        after = dict(await connection.fetch("SELECT prompt_sha256, document::text FROM prompt_texts"))
        matches = await connection.fetch(
            "SELECT prompt_sha256 FROM prompt_texts WHERE document @@ atelier_prompt_query('樱花')"
        )
    assert "'樱花'" not in before[_sha(CHERRY)] and "'樱花'" in after[_sha(CHERRY)]
    assert after[_sha(ENGLISH)] == before[_sha(ENGLISH)]
    assert [row["prompt_sha256"] for row in matches] == [_sha(CHERRY)]


class _UnusedEmbedder(QueryEmbedder):
    """A configured embedder that must not be asked: the bundled model reads English."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    async def vector(self, text: str) -> np.ndarray | None:
        self.asked.append(text)
        raise AssertionError("a query in a CJK script is matched by words")


async def test_a_query_in_a_cjk_script_is_matched_by_words_even_with_embeddings(
    session_factory: SessionFactory,
) -> None:
    li, _ = await _library(session_factory)
    embedder = _UnusedEmbedder()
    outcome = await search_library(session_factory, li, "樱花", first=5, embedder=embedder)
    assert (outcome.mode, outcome.fallback_reason) == (SearchMode.LEXICAL, UNSPACED_QUERY)
    assert [found.asset.prompt for found in outcome.assets] == [CHERRY]
    assert embedder.asked == []


async def test_a_huge_unspaced_prompt_indexes_its_first_ten_thousand_characters(database_url: str) -> None:
    """A crafted prompt of 100,000 Han characters: the first version of the term function took every
    character pair by ``substr`` (each a walk from the string's start: quadratic, ~50 s here, inside the
    import's INSERT). Only the first 10,000 characters give terms now, in one linear pass."""
    import random

    rng = random.Random(7)
    head = "".join(chr(0x4E00 + rng.randrange(10_000)) for _ in range(10_000))
    tail = "".join(chr(0x7000 + rng.randrange(10_000)) for _ in range(90_000))  # other characters
    async with superuser_connection(database_url) as connection:
        found = [
            await connection.fetchval(
                "SELECT atelier_prompt_document($1) @@ atelier_prompt_query($2)", head + tail, pair
            )
            for pair in (head[:2], head[-2:], tail[50_000:50_002])
        ]
    assert found == [True, True, False]


async def test_a_session_labelled_in_a_cjk_script_finds_similar_sessions_by_words(
    session_factory: SessionFactory,
) -> None:
    """Its prompts' English-model embeddings would rank an unrelated session first (here the lighthouse
    prompt has the very same vector); its label's characters find the session that shares its words."""
    start = datetime(2026, 3, 2, 19, tzinfo=UTC)
    rain = "一个女孩在雨中跳舞，油画"
    same_vector = np.eye(PROMPT_EMBEDDING_DIMENSIONS, dtype=np.float32)[0]
    other_vector = np.eye(PROMPT_EMBEDDING_DIMENSIONS, dtype=np.float32)[1]
    async with unit_of_work(session_factory) as db:
        li = User(handle="li")
        db.add(li)
        await db.flush()
        sessions = {}
        for label, prompt, vector in (
            ("一个女孩 refinement — 4 seed variations", CHERRY, same_vector),
            ("一个女孩 exploration — 2 images", rain, other_vector),
            ("Lighthouse on a cliff refinement — 3 seed variations", ENGLISH, same_vector),
        ):
            row = SessionRow(
                user_id=li.id,
                tool="comfyui",
                label=label,
                intent="refinement",
                confidence=0.9,
                started_at=start,
                ended_at=start,
                asset_count=1,
                first_asset_id=uuid.uuid4(),
            )
            db.add(row)
            await db.flush()
            sessions[prompt] = row
            db.add(
                Asset(
                    user_id=li.id,
                    record_id=prompt,
                    tool="comfyui",
                    created_at=start,
                    prompt=prompt,
                    prompt_sha256=_sha(prompt),
                    session_id=row.id,
                )
            )
            db.add(
                PromptEmbedding(prompt_sha256=_sha(prompt), model=PROMPT_EMBEDDING_MODEL, embedding=vector)
            )
    outcome = await similar_sessions(session_factory, li.id, sessions[CHERRY], first=5)
    assert (outcome.mode, outcome.fallback_reason) == (SearchMode.LEXICAL, UNSPACED_SESSION)
    assert [found.session.id for found in outcome.sessions] == [sessions[rain].id]
