"""Search in GraphQL: ``viewer.search(text, first)`` and ``session.similarSessions(first)``.

Ranking is :mod:`catalog.search`'s (prompts by meaning through pgvector's HNSW index, or by words
before embeddings exist); the answer says which mode ranked it and why it fell back. Both fields are
reads (scope ``library:read``, so read-only tokens may search) and only ever return the viewer's own
sessions and images. Statements per request are bounded whatever ``first`` is.
"""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.graphql.pagination import InvalidArgument, check_page_size
from api.graphql.types import Asset, Session
from catalog.models import Session as SessionModel
from catalog.search import service
from catalog.sessions.session_views import SessionView
from catalog.text_values import text_problem

SEARCH_TEXT_MAX_CHARS = 500
SIMILAR_SESSIONS_DEFAULT = 5


@strawberry.enum(description="How results were ranked")
class SearchMode(Enum):
    SEMANTIC = strawberry.enum_value(
        "semantic",
        description="By meaning: cosine similarity of prompt embeddings (all-MiniLM-L6-v2, pgvector HNSW)",
    )
    LEXICAL = strawberry.enum_value(
        "lexical",
        description=(
            "By words: PostgreSQL full text over prompts (English stemming; any word may match), "
            "used while embeddings are unavailable"
        ),
    )


@strawberry.type(description="An image that matched, with its score")
class AssetHit:
    asset: Asset = strawberry.field(description="The image")
    score: float = strawberry.field(
        description=(
            "Higher is better. SEMANTIC: cosine similarity of its prompt to the text (−1…1); "
            "LEXICAL: PostgreSQL ts_rank (≥ 0, comparable only within one answer)"
        )
    )


@strawberry.type(description="A session that matched, with its score and the image that matched best")
class SessionHit:
    session: Session = strawberry.field(description="The session")
    score: float = strawberry.field(
        description="Its best image's score (the maximum over its images; same scale as AssetHit.score)"
    )
    best_match: Asset = strawberry.field(
        description="The session's image whose prompt matched best (the newest among equals)"
    )


@strawberry.type(
    description=(
        "Search results: the best sessions and the best images, each list best first. Ties: newer first."
    )
)
class SearchResults:
    mode: SearchMode = strawberry.field(description="How the results were ranked")
    fallback_reason: str | None = strawberry.field(
        description="Why the results are LEXICAL (e.g. no prompt has an embedding yet); null when SEMANTIC"
    )
    sessions: list[SessionHit] = strawberry.field(description="Matching sessions, best first")
    assets: list[AssetHit] = strawberry.field(description="Matching images, best first")


@strawberry.type(description="Sessions like one session, best first")
class SimilarSessions:
    mode: SearchMode = strawberry.field(
        description=(
            "SEMANTIC: other sessions' prompts near this session's mean prompt embedding; LEXICAL: "
            "sessions whose prompts share words with this session's label"
        )
    )
    fallback_reason: str | None = strawberry.field(
        description="Why the sessions were matched by words; null when SEMANTIC"
    )
    sessions: list[SessionHit] = strawberry.field(
        description="The viewer's other sessions, most similar first (never this one)"
    )


def _search_text(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        raise InvalidArgument("`text` must contain something to search for; it is empty")
    if len(stripped) > SEARCH_TEXT_MAX_CHARS:
        raise InvalidArgument(
            f"`text` must be at most {SEARCH_TEXT_MAX_CHARS} characters, got {len(stripped)}"
        )
    problem = text_problem(stripped)
    if problem is not None:
        raise InvalidArgument(f"`text` {problem}")
    return stripped


def _session_hits(found: list[service.FoundSession]) -> list[SessionHit]:
    return [
        SessionHit(
            session=Session.from_row(hit.session), score=hit.score, best_match=Asset.from_row(hit.best_match)
        )
        for hit in found
    ]


async def viewer_search(info: Info[RequestContext, None], text: str, first: int) -> SearchResults:
    limit = check_page_size(first)
    query = _search_text(text)
    context = info.context
    outcome = await service.search_library(
        context.session_factory, context.user_id, query, first=limit, embedder=context.query_embedder
    )
    return SearchResults(
        mode=SearchMode(outcome.mode.value),
        fallback_reason=outcome.fallback_reason,
        sessions=_session_hits(outcome.sessions),
        assets=[AssetHit(asset=Asset.from_row(hit.asset), score=hit.score) for hit in outcome.assets],
    )


async def session_similar_sessions(
    info: Info[RequestContext, None], session: SessionModel | SessionView, first: int
) -> SimilarSessions:
    limit = check_page_size(first)
    context = info.context
    outcome = await service.similar_sessions(context.session_factory, context.user_id, session, first=limit)
    return SimilarSessions(
        mode=SearchMode(outcome.mode.value),
        fallback_reason=outcome.fallback_reason,
        sessions=_session_hits(outcome.sessions),
    )
