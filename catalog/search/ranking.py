"""From scored prompts to the user's ranked assets and sessions, in one statement.

Given the candidate prompts (:mod:`catalog.search.candidates`), every asset of the user using one of
them is a hit with its prompt's score. Orders (deterministic, ties broken as shown):
- assets: score, then newest first (``created_at DESC NULLS LAST``), then id;
- sessions: their best asset's score (max over their hits), then that asset's newness, then id; the
  best asset is returned with the session (why it matched).
Assets in ``exclude_session_id`` are left out (similar sessions of that session).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ARRAY, Float, LargeBinary, bindparam, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.search.candidates import PromptScore


@dataclass(frozen=True, slots=True)
class AssetHit:
    asset_id: uuid.UUID
    score: float


@dataclass(frozen=True, slots=True)
class SessionHit:
    session_id: uuid.UUID
    score: float
    best_asset_id: uuid.UUID
    """The session's asset whose prompt scored best (newest among equals)."""


@dataclass(frozen=True, slots=True)
class RankedHits:
    assets: list[AssetHit]
    sessions: list[SessionHit]


_RANK = text(
    """
    WITH candidates AS (
        SELECT * FROM unnest(CAST(:shas AS bytea[]), CAST(:scores AS float8[])) AS c(prompt_sha256, score)
    ),
    hits AS MATERIALIZED (
        SELECT a.id, a.session_id, a.created_at, c.score
        FROM candidates c
        JOIN assets a ON a.user_id = :user_id AND a.prompt_sha256 = c.prompt_sha256
        WHERE CAST(:exclude_session_id AS uuid) IS NULL
           OR a.session_id IS DISTINCT FROM CAST(:exclude_session_id AS uuid)
    ),
    top_assets AS (
        SELECT id, session_id, score,
               row_number() OVER (ORDER BY score DESC, created_at DESC NULLS LAST, id) AS position
        FROM hits
        ORDER BY position
        LIMIT :asset_limit
    ),
    best_of_session AS (
        SELECT DISTINCT ON (session_id) session_id, id, score, created_at FROM hits
        WHERE session_id IS NOT NULL
        ORDER BY session_id, score DESC, created_at DESC NULLS LAST, id
    ),
    top_sessions AS (
        SELECT id, session_id, score,
               row_number() OVER (ORDER BY score DESC, created_at DESC NULLS LAST, session_id) AS position
        FROM best_of_session
        ORDER BY position
        LIMIT :session_limit
    )
    SELECT 'asset' AS kind, id, session_id, score, position FROM top_assets
    UNION ALL
    SELECT 'session' AS kind, id, session_id, score, position FROM top_sessions
    ORDER BY kind, position
    """
).bindparams(
    bindparam("shas", type_=ARRAY(LargeBinary())),
    bindparam("scores", type_=ARRAY(Float())),
    bindparam("user_id", type_=UUID(as_uuid=True)),
    bindparam("exclude_session_id", type_=UUID(as_uuid=True)),
)


async def rank_hits(
    db: AsyncSession,
    user_id: uuid.UUID,
    prompts: Sequence[PromptScore],
    *,
    asset_limit: int,
    session_limit: int,
    exclude_session_id: uuid.UUID | None = None,
) -> RankedHits:
    """The best ``asset_limit`` assets and ``session_limit`` sessions of the user for ``prompts``, each
    list best first (one statement; none when ``prompts`` is empty)."""
    if not prompts or (asset_limit <= 0 and session_limit <= 0):
        return RankedHits([], [])
    rows = await db.execute(
        _RANK,
        {
            "shas": [prompt.prompt_sha256 for prompt in prompts],
            "scores": [prompt.score for prompt in prompts],
            "user_id": user_id,
            "exclude_session_id": exclude_session_id,
            "asset_limit": max(asset_limit, 0),
            "session_limit": max(session_limit, 0),
        },
    )
    assets: list[AssetHit] = []
    sessions: list[SessionHit] = []
    for kind, asset_id, session_id, score, _position in rows:
        if kind == "asset":
            assets.append(AssetHit(asset_id, float(score)))
        else:
            sessions.append(SessionHit(session_id, float(score), asset_id))
    return RankedHits(assets, sessions)
