"""The viewer's prompts nearest to a query: by embedding (HNSW) or by words (full text).

Both return :class:`PromptScore` rows, best first, for prompts that at least one of the user's assets
uses (an asset in ``exclude_session_id`` does not count), so nothing here can surface another user's
prompt even though ``prompt_embeddings`` rows are shared by prompt hash.

Semantic candidates (:func:`nearest_prompts`) are one statement on the HNSW index
(``ix_prompt_embeddings_hnsw``, cosine) with ``hnsw.iterative_scan = strict_order``: the index is
walked in distance order and each prompt is kept only when ``ix_assets_user_prompt`` shows the user
uses it, until ``limit`` are found (or pgvector's ``hnsw.max_scan_tuples``, 20,000 by default, is
reached). When that yields fewer than ``limit`` — the user has fewer embedded prompts, or owns so
small a share of a huge shared table that the scan gave up — one exact statement ranks all of the
user's embedded prompts instead (cheap exactly then: the user has few prompts). At most three
statements (settings, index scan, exact scan), all in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pgvector.sqlalchemy import Vector
from sqlalchemy import bindparam, column, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import PROMPT_EMBEDDING_DIMENSIONS
from catalog.tasks import PROMPT_EMBEDDING_MODEL

EF_SEARCH_MAX = 1000
"""pgvector's upper bound for ``hnsw.ef_search``."""
TEXT_SEARCH_CONFIG = "english"
"""The configuration of ``prompt_texts.document`` (``atelier_prompt_document``, migration 0019)."""


@dataclass(frozen=True, slots=True)
class PromptScore:
    prompt_sha256: bytes
    score: float
    """Semantic: cosine similarity to the query (−1…1). Lexical: ``ts_rank`` (≥ 0)."""


_BINDS = (
    bindparam("query", type_=Vector(PROMPT_EMBEDDING_DIMENSIONS)),
    bindparam("exclude_session_id", type_=UUID(as_uuid=True)),
)


def _uses_prompt(prompt_sha256: str) -> str:
    """SQL: the viewer (``:user_id``) has an asset, outside ``:exclude_session_id`` if set, whose prompt
    is the one ``prompt_sha256`` (a column of the outer query) names."""
    return f"""
    EXISTS (
        SELECT 1 FROM assets a
        WHERE a.user_id = :user_id AND a.prompt_sha256 = {prompt_sha256}
          AND (CAST(:exclude_session_id AS uuid) IS NULL
               OR a.session_id IS DISTINCT FROM CAST(:exclude_session_id AS uuid))
    )
"""


NEAREST_BY_INDEX = text(
    f"""
    SELECT pe.prompt_sha256, 1 - (pe.embedding <=> :query) AS score
    FROM prompt_embeddings pe
    WHERE pe.model = :model AND {_uses_prompt("pe.prompt_sha256")}
    ORDER BY pe.embedding <=> :query
    LIMIT :limit
    """
).bindparams(*_BINDS)

_NEAREST_EXACT = text(
    """
    SELECT pe.prompt_sha256, 1 - (pe.embedding <=> :query) AS score
    FROM (
        SELECT DISTINCT a.prompt_sha256 FROM assets a
        WHERE a.user_id = :user_id AND a.prompt_sha256 IS NOT NULL
          AND (CAST(:exclude_session_id AS uuid) IS NULL
               OR a.session_id IS DISTINCT FROM CAST(:exclude_session_id AS uuid))
    ) used
    JOIN prompt_embeddings pe ON pe.prompt_sha256 = used.prompt_sha256 AND pe.model = :model
    ORDER BY pe.embedding <=> :query, pe.prompt_sha256
    LIMIT :limit
    """
).bindparams(*_BINDS)

_MATCHING_WORDS = text(
    f"""
    WITH q AS (
        -- every word of the text may match (OR), not all of them: ranking, not filtering; the
        -- character pairs of Chinese / Japanese / Korean runs too (migration 0019)
        SELECT atelier_prompt_query(:text) AS query
    )
    SELECT pt.prompt_sha256, ts_rank(pt.document, q.query) AS score
    FROM prompt_texts pt, q
    WHERE pt.document @@ q.query AND {_uses_prompt("pt.prompt_sha256")}
    ORDER BY score DESC, pt.prompt_sha256
    LIMIT :limit
    """
).bindparams(_BINDS[1])


def _common(user_id: uuid.UUID, exclude_session_id: uuid.UUID | None, limit: int) -> dict[str, object]:
    return {"user_id": user_id, "exclude_session_id": exclude_session_id, "limit": limit}


def _scores(rows: Iterable[Sequence[Any]]) -> list[PromptScore]:
    return [PromptScore(bytes(row[0]), float(row[1])) for row in rows]


async def nearest_prompts(
    db: AsyncSession,
    user_id: uuid.UUID,
    query: np.ndarray,
    *,
    limit: int,
    exclude_session_id: uuid.UUID | None = None,
) -> list[PromptScore]:
    """The user's ``limit`` prompts nearest to ``query`` by cosine distance, nearest first.

    Sets ``hnsw.*`` for the current transaction only (``set_config(…, true)``): the caller's session
    must not be in autocommit mode (SQLAlchemy's ``AsyncSession`` opens a transaction by itself).
    """
    params = _common(user_id, exclude_session_id, limit) | {
        "model": PROMPT_EMBEDDING_MODEL,
        "query": np.asarray(query, dtype=np.float32),
    }
    await db.execute(
        text(
            "SELECT set_config('hnsw.iterative_scan', 'strict_order', true), "
            "set_config('hnsw.ef_search', :ef_search, true)"
        ),
        {"ef_search": str(min(max(limit, 40), EF_SEARCH_MAX))},
    )
    found = _scores(await db.execute(NEAREST_BY_INDEX, params))
    if len(found) >= limit:
        return found
    return _scores(await db.execute(_NEAREST_EXACT, params))


async def prompts_matching_words(
    db: AsyncSession,
    user_id: uuid.UUID,
    words: str,
    *,
    limit: int,
    exclude_session_id: uuid.UUID | None = None,
) -> list[PromptScore]:
    """The user's ``limit`` prompts sharing most words with ``words`` (``ts_rank``), best first.

    Ranks distinct prompts, not assets: each prompt's search vector is stored once in ``prompt_texts``
    (its GIN index finds the matching prompts), and a prompt counts when one of the user's assets uses it.
    """
    params = _common(user_id, exclude_session_id, limit) | {"text": words}
    return _scores(await db.execute(_MATCHING_WORDS, params))


async def session_centroid(db: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID) -> np.ndarray | None:
    """The mean prompt embedding of the session's assets (each asset counts once, so a prompt rerun
    many times weighs more); ``None`` when none of its prompts has an embedding (or it is not theirs)."""
    statement = text(
        "SELECT avg(pe.embedding) AS centroid FROM assets a "
        "JOIN prompt_embeddings pe ON pe.prompt_sha256 = a.prompt_sha256 AND pe.model = :model "
        "WHERE a.user_id = :user_id AND a.session_id = :session_id"
    ).columns(column("centroid", Vector(PROMPT_EMBEDDING_DIMENSIONS)))
    value = await db.scalar(
        statement, {"model": PROMPT_EMBEDDING_MODEL, "user_id": user_id, "session_id": session_id}
    )
    return None if value is None else np.asarray(value, dtype=np.float32)
