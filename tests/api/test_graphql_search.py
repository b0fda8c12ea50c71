"""viewer.search and session.similarSessions end to end: real app, real database, the real prompt model.

The library is a generation log of real prompts in four evenings (four sessions). Embeddings are made
with the bundled all-MiniLM-L6-v2, exactly as the worker makes them; queries are paraphrases that share
no word with the prompts they should find, so only the semantic mode can rank them first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from catalog.database import SessionFactory, unit_of_work
from catalog.importing.service import import_paths
from catalog.prompt_embeddings import embed_missing_prompts
from catalog.search.query_embedding import shared_prompt_embedder
from catalog.settings import AtelierSettings
from catalog.tasks import PROMPT_EMBEDDING_MODEL
from tests.api.conftest import GraphQLClient, app_http, make_user_with_token

EVENINGS: dict[str, list[str]] = {
    "ramen": [
        "a steaming bowl of tonkotsu ramen, chopsticks, food photography",
        "a steaming bowl of tonkotsu ramen, soft boiled egg, food photography",
        "bowl of miso ramen on a wooden table, steam, overhead shot",
    ],
    "storm lighthouse": [
        "lighthouse in a storm, crashing waves, dramatic sky, oil painting",
        "lighthouse in a storm, crashing waves, lightning, oil painting",
        "old lighthouse on a cliff, storm clouds, huge waves",
    ],
    "robot": [
        "art deco robot, brass and enamel, symmetrical, poster, gold leaf",
        "art deco robot, chrome and enamel, poster",
    ],
    "calm lighthouse": [
        "a lighthouse at sunset on the coast, calm sea, watercolor",
        "lighthouse at dusk, calm ocean, watercolor painting",
    ],
}
PARAPHRASE = "beacon tower on a rocky shore during a tempest"
"""Shares no word (nor stem) with any prompt above: words alone cannot find the storm lighthouse."""

SEARCH = """
query Search($text: String!, $first: Int!) {
  viewer { search(text: $text, first: $first) {
    mode fallbackReason
    sessions { score session { id label assetCount } bestMatch { id prompt } }
    assets { score asset { id prompt } }
  } }
}
"""
SIMILAR = """
query Similar($id: ID!, $first: Int!) {
  session(id: $id) { id similarSessions(first: $first) {
    mode fallbackReason sessions { score session { id } bestMatch { prompt } }
  } }
}
"""
SESSIONS = """
{ viewer { sessions(first: 50) { edges { node {
  id assets(first: 50) { edges { node { id prompt } } }
} } } } }
"""


def _write_log(path: Path, evenings: dict[str, list[str]], *, day: int = 1) -> Path:
    """One evening per theme (days apart: separate sessions), a few minutes between generations."""
    records = [
        {
            "id": f"{path.stem}-{index}-{position}",
            "tool": "comfyui",
            "created_at": f"2026-03-{day + index:02d}T19:{position * 3:02d}:00Z",
            "prompt": prompt,
        }
        for index, prompts in enumerate(evenings.values())
        for position, prompt in enumerate(prompts)
    ]
    path.write_text("\n".join(json.dumps(record) for record in records))
    return path


async def _import(
    factory: SessionFactory, settings: AtelierSettings, handle: str, log: Path, records: int
) -> str:
    report = await import_paths(factory, settings, user_handle=handle, paths=[log])
    assert report.problems == [] and report.records_imported == records
    return await make_user_with_token(factory, handle)


async def _embed_all_prompts(factory: SessionFactory) -> None:
    """What the worker's ``embed_prompts`` job stores, with the same model."""
    while True:
        async with unit_of_work(factory) as db:
            if not await embed_missing_prompts(
                db, shared_prompt_embedder().embed_prompts, model=PROMPT_EMBEDDING_MODEL
            ):
                return


async def _session_by_theme(client: GraphQLClient, token: str) -> dict[str, str]:
    """Theme → the id of the session holding that evening's prompts (each evening is one session)."""
    body = await client.query(SESSIONS, token)
    assert "errors" not in body, body
    found: dict[str, str] = {}
    for edge in body["data"]["viewer"]["sessions"]["edges"]:
        prompts = {asset["node"]["prompt"] for asset in edge["node"]["assets"]["edges"]}
        (theme,) = [theme for theme, wanted in EVENINGS.items() if prompts == set(wanted)]
        found[theme] = edge["node"]["id"]
    assert set(found) == set(EVENINGS)
    return found


async def _search(client: GraphQLClient, token: str, text: str, first: int = 20) -> dict[str, Any]:
    body = await client.query(SEARCH, token, text=text, first=first)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["viewer"]["search"]
    return result


@pytest.fixture
async def library(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> tuple[str, str]:
    """Ada's four evenings, and Mallory's library holding the paraphrase itself plus one of Ada's
    prompts (same hash: one shared embedding row); returns both tokens."""
    ada_log = _write_log(tmp_path / "ada.jsonl", EVENINGS)
    ada = await _import(session_factory, settings, "ada", ada_log, records=10)
    theirs = {"closer": [PARAPHRASE, PARAPHRASE + ", oil painting"], "shared": [EVENINGS["robot"][0]]}
    mallory_log = _write_log(tmp_path / "mallory.jsonl", theirs)
    mallory = await _import(session_factory, settings, "mallory", mallory_log, records=3)
    return ada, mallory


async def test_semantic_search_ranks_the_session_that_means_the_text_first_and_only_the_viewers(
    client: GraphQLClient, session_factory: SessionFactory, library: tuple[str, str]
) -> None:
    ada, mallory = library
    await _embed_all_prompts(session_factory)
    sessions = await _session_by_theme(client, ada)

    result = await _search(client, ada, PARAPHRASE)

    assert result["mode"] == "SEMANTIC" and result["fallbackReason"] is None
    ranked = [hit["session"]["id"] for hit in result["sessions"]]
    assert ranked[0] == sessions["storm lighthouse"], result["sessions"]
    assert set(ranked) == set(sessions.values())  # every session of Ada's, none of Mallory's
    assert result["sessions"][0]["bestMatch"]["prompt"] in EVENINGS["storm lighthouse"]
    scores = [hit["score"] for hit in result["sessions"]]
    assert scores == sorted(scores, reverse=True) and all(-1 <= score <= 1 for score in scores)
    top_prompts = [hit["asset"]["prompt"] for hit in result["assets"][:3]]
    assert set(top_prompts) <= set(EVENINGS["storm lighthouse"]) | set(EVENINGS["calm lighthouse"])
    assert len(result["assets"]) == sum(len(prompts) for prompts in EVENINGS.values())
    # Mallory's prompt *is* the text (similarity 1.0), yet Ada never sees it
    assert PARAPHRASE not in {hit["asset"]["prompt"] for hit in result["assets"]}
    assert max(hit["score"] for hit in result["assets"]) < 0.99

    theirs = await _search(client, mallory, PARAPHRASE, first=5)
    assert theirs["mode"] == "SEMANTIC"
    assert theirs["assets"][0]["asset"]["prompt"] == PARAPHRASE
    assert theirs["assets"][0]["score"] == pytest.approx(1.0, abs=1e-4)
    ada_ids = {hit["asset"]["id"] for hit in result["assets"]}
    assert not ada_ids & {hit["asset"]["id"] for hit in theirs["assets"]}
    assert len(theirs["sessions"]) <= 2  # Mallory's own sessions only


async def test_lexical_fallback_before_any_prompt_is_embedded_says_so(
    client: GraphQLClient, library: tuple[str, str]
) -> None:
    ada, _ = library
    sessions = await _session_by_theme(client, ada)

    result = await _search(client, ada, "ramen bowls")

    assert result["mode"] == "LEXICAL"
    assert "embedding" in result["fallbackReason"]
    assert [hit["session"]["id"] for hit in result["sessions"]] == [sessions["ramen"]]
    assert {hit["asset"]["prompt"] for hit in result["assets"]} == set(EVENINGS["ramen"])
    assert all(hit["score"] > 0 for hit in result["assets"])
    # words alone cannot find the paraphrase, and Mallory's exact text is not Ada's
    paraphrase = await _search(client, ada, PARAPHRASE)
    assert paraphrase["mode"] == "LEXICAL" and paraphrase["sessions"] == paraphrase["assets"] == []


async def test_switched_off_embeddings_search_by_words_and_say_why(
    settings: AtelierSettings, session_factory: SessionFactory, library: tuple[str, str]
) -> None:
    ada, _ = library
    await _embed_all_prompts(session_factory)
    async with app_http(settings.model_copy(update={"prompt_embeddings": False})) as http:
        result = await _search(GraphQLClient(http), ada, "lighthouse storm")
    assert result["mode"] == "LEXICAL"
    assert "ATELIER_PROMPT_EMBEDDINGS" in result["fallbackReason"]
    assert result["sessions"][0]["bestMatch"]["prompt"] in EVENINGS["storm lighthouse"]


async def test_similar_sessions_rank_by_prompt_meaning_exclude_the_session_and_other_users(
    client: GraphQLClient, session_factory: SessionFactory, library: tuple[str, str]
) -> None:
    ada, mallory = library
    sessions = await _session_by_theme(client, ada)
    before = await client.query(SIMILAR, ada, id=sessions["storm lighthouse"], first=5)
    assert "errors" not in before, before
    lexical = before["data"]["session"]["similarSessions"]
    assert lexical["mode"] == "LEXICAL" and "embedding" in lexical["fallbackReason"]
    assert sessions["storm lighthouse"] not in {hit["session"]["id"] for hit in lexical["sessions"]}

    await _embed_all_prompts(session_factory)
    body = await client.query(SIMILAR, ada, id=sessions["storm lighthouse"], first=5)

    assert "errors" not in body, body
    similar = body["data"]["session"]["similarSessions"]
    assert similar["mode"] == "SEMANTIC" and similar["fallbackReason"] is None
    ranked = [hit["session"]["id"] for hit in similar["sessions"]]
    assert ranked[0] == sessions["calm lighthouse"]
    assert sessions["storm lighthouse"] not in ranked
    assert set(ranked) <= set(sessions.values())
    first_only = await client.query(SIMILAR, ada, id=sessions["storm lighthouse"], first=1)
    assert [hit["session"]["id"] for hit in first_only["data"]["session"]["similarSessions"]["sessions"]] == [
        sessions["calm lighthouse"]
    ]
    # Ada's session id is nothing to Mallory
    theirs = await client.query(SIMILAR, mallory, id=sessions["storm lighthouse"], first=5)
    assert theirs["data"] == {"session": None}


async def test_read_only_tokens_may_search_tokens_without_library_read_may_not(
    client: GraphQLClient, session_factory: SessionFactory, library: tuple[str, str]
) -> None:
    read_only = await make_user_with_token(session_factory, "ada", scopes=["library:read"])
    result = await _search(client, read_only, "ramen")
    assert result["sessions"]

    credits_only = await make_user_with_token(session_factory, "ada", scopes=["credits:read"])
    body = await client.query(SEARCH, credits_only, text="ramen", first=5)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await client.query(SEARCH, None, text="ramen", first=5)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


_FIELD = ["viewer", "search"]


@pytest.mark.parametrize(
    ("text", "first", "says", "path"),
    [
        ("", 20, "empty", _FIELD),
        ("   \n\t", 20, "empty", _FIELD),
        ("x" * 501, 20, "at most 500 characters, got 501", _FIELD),
        ("ramen", 0, "`first` must be between 1 and 100, got 0", _FIELD),
        ("ramen", 101, "`first` must be between 1 and 100, got 101", _FIELD),
        ("ramen\x00", 20, "NUL", None),  # refused with the variables, before any resolver runs
    ],
)
async def test_bad_search_input_is_the_clients_error(
    client: GraphQLClient,
    session_factory: SessionFactory,
    text: str,
    first: int,
    says: str,
    path: list[str] | None,
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    body = await client.query(SEARCH, token, text=text, first=first)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert says in error["message"]
    assert error.get("path") == path


async def test_bad_similar_sessions_page_size_is_the_clients_error(
    client: GraphQLClient, library: tuple[str, str]
) -> None:
    ada, _ = library
    sessions = await _session_by_theme(client, ada)
    body = await client.query(SIMILAR, ada, id=sessions["robot"], first=0)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "`first`" in error["message"]


async def test_statements_per_search_do_not_grow_with_the_page_size(
    client: GraphQLClient, session_factory: SessionFactory, library: tuple[str, str]
) -> None:
    ada, _ = library
    await _embed_all_prompts(session_factory)
    await _search(client, ada, PARAPHRASE)  # the model is loaded and the text cached before counting
    statements: list[str] = []

    def count(*args: Sequence[Any]) -> None:
        statements.append(str(args[2]))

    event.listen(Engine, "before_cursor_execute", count)
    try:
        small = await _search(client, ada, PARAPHRASE, first=1)
        small_count = len(statements)
        statements.clear()
        large = await _search(client, ada, PARAPHRASE, first=100)
        large_count = len(statements)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert len(small["sessions"]) == 1 and len(large["sessions"]) == len(EVENINGS)
    assert small_count == large_count
    # authentication, then: hnsw settings, nearest prompts (HNSW), exact ranking when the user has
    # fewer prompts than candidates asked for, hits, assets, sessions
    assert large_count <= 9, statements
