"""``search_library`` and ``similar_sessions``: pick the mode, rank, load the rows.

Mode choice (the answer always says which mode ranked it, and why it fell back to words):
- search: SEMANTIC when a query embedder is configured, its model loads, and at least one of the
  user's prompts has an embedding; otherwise LEXICAL with the reason. A query holding Chinese,
  Japanese or Korean characters is always LEXICAL (:data:`UNSPACED_QUERY`): the bundled sentence
  model is English, and such text is matched by its characters and character pairs (migration 0019).
- similar sessions: SEMANTIC when the session has embedded prompts (their mean is the query; the
  model is not needed) and another session has an embedded prompt; otherwise LEXICAL on the
  session's label (its automatic label is made from its prompts' recurring words) — always for a
  session labelled in a CJK script (:data:`UNSPACED_SESSION`).

Statements per call (bounded, whatever ``first`` is): search 3–6 (candidates 1–3, ranking 1, rows 0–2);
similar sessions 5–7 (centroid 1 more). The query text is embedded before any connection is taken,
so a model load or inference never holds a pooled connection.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from catalog.database import SessionFactory
from catalog.models import Asset, Session
from catalog.search.candidates import (
    EF_SEARCH_MAX,
    PromptScore,
    nearest_prompts,
    prompts_matching_words,
    session_centroid,
)
from catalog.search.query_embedding import QueryEmbedder
from catalog.search.ranking import RankedHits, rank_hits
from catalog.sessions import queries
from catalog.sessions.session_views import SessionView
from engine.features.prompt_text import written_without_spaces

EMBEDDINGS_OFF = "prompt embeddings are switched off on this server (ATELIER_PROMPT_EMBEDDINGS=false)"
NO_EMBEDDINGS_YET = (
    "none of your prompts has an embedding yet (the worker embeds new prompts shortly after an import)"
)
UNSPACED_QUERY = (
    "the prompt model reads English; text in Chinese, Japanese or Korean script is matched by its "
    "characters and character pairs"
)
UNSPACED_SESSION = (
    "the prompt model reads English; a session labelled in Chinese, Japanese or Korean script is matched "
    "on its label's characters and character pairs"
)
SESSION_NOT_EMBEDDED = "none of this session's prompts has an embedding yet; matched on its label's words"
NO_OTHER_EMBEDDED = "no other session has a prompt with an embedding yet; matched on this session's label"


class SearchMode(StrEnum):
    SEMANTIC = "semantic"
    LEXICAL = "lexical"


@dataclass(frozen=True, slots=True)
class FoundAsset:
    asset: Asset
    score: float


@dataclass(frozen=True, slots=True)
class FoundSession:
    session: Session
    score: float
    best_match: Asset


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    mode: SearchMode
    assets: list[FoundAsset]
    sessions: list[FoundSession]
    fallback_reason: str | None
    """Why the answer is LEXICAL; ``None`` when SEMANTIC."""


def candidate_limit(first: int) -> int:
    """Prompts to rank for a page of ``first``: several per result, since many assets and sessions
    share prompts (and the sessions need distinct ones), within pgvector's ``ef_search`` bound."""
    return min(EF_SEARCH_MAX, max(100, 5 * first))


async def search_library(
    factory: SessionFactory, user_id: uuid.UUID, text: str, *, first: int, embedder: QueryEmbedder | None
) -> SearchOutcome:
    """The user's ``first`` best assets and ``first`` best sessions for ``text`` (already validated)."""
    limit = candidate_limit(first)
    reason = EMBEDDINGS_OFF
    query = None
    if embedder is not None and written_without_spaces(text):
        reason = UNSPACED_QUERY
    elif embedder is not None:
        query = await embedder.vector(text)
        reason = embedder.problem or NO_EMBEDDINGS_YET
    async with factory() as db:
        if query is not None:
            prompts = await nearest_prompts(db, user_id, query, limit=limit)
            if prompts:
                hits = await rank_hits(db, user_id, prompts, asset_limit=first, session_limit=first)
                return await _outcome(db, SearchMode.SEMANTIC, hits, user_id, None)
        prompts = await prompts_matching_words(db, user_id, text, limit=limit)
        hits = await rank_hits(db, user_id, prompts, asset_limit=first, session_limit=first)
        return await _outcome(db, SearchMode.LEXICAL, hits, user_id, reason)


async def similar_sessions(
    factory: SessionFactory, user_id: uuid.UUID, session: Session | SessionView, *, first: int
) -> SearchOutcome:
    """The user's ``first`` other sessions nearest to ``session`` (assets: always empty).

    A session's score is the cosine similarity between ``session``'s prompt centroid and its own
    best-matching prompt (max over its assets).
    """
    limit = candidate_limit(first)
    async with factory() as db:
        unspaced = written_without_spaces(session.label)
        centroid = None if unspaced else await session_centroid(db, user_id, session.id)
        reason = UNSPACED_SESSION if unspaced else SESSION_NOT_EMBEDDED
        prompts: list[PromptScore] = []
        if centroid is not None:
            prompts = await nearest_prompts(db, user_id, centroid, limit=limit, exclude_session_id=session.id)
            reason = NO_OTHER_EMBEDDED
        mode = SearchMode.SEMANTIC
        if not prompts:
            mode = SearchMode.LEXICAL
            prompts = await prompts_matching_words(
                db, user_id, session.label, limit=limit, exclude_session_id=session.id
            )
        hits = await rank_hits(
            db, user_id, prompts, asset_limit=0, session_limit=first, exclude_session_id=session.id
        )
        return await _outcome(db, mode, hits, user_id, None if mode is SearchMode.SEMANTIC else reason)


async def _outcome(
    db: AsyncSession,
    mode: SearchMode,
    hits: RankedHits,
    user_id: uuid.UUID,
    reason: str | None,
) -> SearchOutcome:
    """Load the hits' rows (one statement each for assets and sessions) and keep the ranking's order."""
    asset_ids = [hit.asset_id for hit in hits.assets] + [hit.best_asset_id for hit in hits.sessions]
    assets = await _assets_by_ids(db, user_id, list(dict.fromkeys(asset_ids)))
    sessions = await queries.sessions_by_ids(db, user_id, [hit.session_id for hit in hits.sessions])
    return SearchOutcome(
        mode=mode,
        assets=[FoundAsset(assets[hit.asset_id], hit.score) for hit in hits.assets if hit.asset_id in assets],
        sessions=[
            FoundSession(sessions[hit.session_id], hit.score, assets[hit.best_asset_id])
            for hit in hits.sessions
            if hit.session_id in sessions and hit.best_asset_id in assets
        ],
        fallback_reason=reason,
    )


async def _assets_by_ids(
    db: AsyncSession, user_id: uuid.UUID, ids: list[uuid.UUID]
) -> dict[uuid.UUID, Asset]:
    """The user's assets among ``ids``, without their visual embedding (hundreds of floats parsed per
    row, which no search answer shows)."""
    if not ids:
        return {}
    statement = (
        select(Asset)
        .options(defer(Asset.visual_embedding))
        .where(Asset.user_id == user_id, Asset.id.in_(ids))
    )
    return {row.id: row for row in await db.scalars(statement)}
