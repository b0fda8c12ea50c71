"""The sessions API end to end: real app, real database, real imported images."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from catalog.database import SessionFactory
from catalog.demo_library import write_demo_library
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, make_user_with_token
from tests.generated_copies import copy_as_generated

SESSIONS_QUERY = """
query Sessions($first: Int!, $after: String) {
  viewer {
    handle
    sessions(first: $first, after: $after) {
      totalCount
      edges { cursor node {
        id label startedAt endedAt assetCount tool intent thumbnails(first: 9) { assetId url }
      } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""


async def _all_sessions(client: GraphQLClient, token: str, page_size: int = 7) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        body = await client.query(SESSIONS_QUERY, token, first=page_size, after=after)
        assert "errors" not in body, body
        connection = body["data"]["viewer"]["sessions"]
        nodes += [edge["node"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return nodes
        after = connection["pageInfo"]["endCursor"]


async def test_unauthenticated_and_bad_tokens_are_refused_clearly(client: GraphQLClient) -> None:
    for token in (None, "atl_0000000000_not-a-real-secret", "garbage"):
        body = await client.query("{ viewer { handle } }", token)
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert "Authorization: Bearer" in error["message"]


async def test_demo_library_sessions_match_the_ground_truth(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    library = write_demo_library(tmp_path / "demo")
    report = await import_paths(session_factory, settings, user_handle="artist", paths=[library.root])
    assert report.problems == []
    assert report.imported + report.already_known == library.file_count
    token = await make_user_with_token(session_factory, "artist")

    nodes = await _all_sessions(client, token)

    assert len({node["id"] for node in nodes}) == len(nodes) == len(library.sessions)
    expected = Counter((session.tool, len(session.file_names)) for session in library.sessions)
    assert Counter((node["tool"], node["assetCount"]) for node in nodes) == expected
    starts = [node["startedAt"] for node in nodes]
    assert starts == sorted(starts, reverse=True)
    assert all(1 <= len(node["thumbnails"]) <= 9 for node in nodes)
    assert all(node["label"] for node in nodes)


async def test_one_user_never_sees_another_users_sessions(
    client: GraphQLClient,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    fixtures_dir: Path,
    tmp_path: Path,
) -> None:
    outputs = copy_as_generated(sorted((fixtures_dir / "images" / "ComfyUI").iterdir()), tmp_path / "outputs")
    await import_paths(session_factory, settings, user_handle="ada", paths=outputs)
    ada = await make_user_with_token(session_factory, "ada")
    bob = await make_user_with_token(session_factory, "bob")

    ada_sessions = await _all_sessions(client, ada)
    assert ada_sessions
    bob_view = await client.query(SESSIONS_QUERY, bob, first=50)
    assert bob_view["data"]["viewer"]["sessions"] == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }
    stolen = await client.query(
        "query($id: ID!) { session(id: $id) { id label } }", bob, id=ada_sessions[0]["id"]
    )
    assert stolen["data"] == {"session": None} and "errors" not in stolen
    own = await client.query("query($id: ID!) { session(id: $id) { id } }", ada, id=ada_sessions[0]["id"])
    assert own["data"]["session"]["id"] == ada_sessions[0]["id"]


async def test_session_assets_page_through_in_stream_order(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    library = write_demo_library(tmp_path / "demo")
    await import_paths(
        session_factory, settings, user_handle="artist", paths=[library.root], make_thumbnails=False
    )
    token = await make_user_with_token(session_factory, "artist")
    biggest = max(await _all_sessions(client, token), key=lambda node: node["assetCount"])
    document = """
    query($id: ID!, $after: String) { session(id: $id) { assets(first: 4, after: $after) {
        edges { node { id createdAt fileName seed prompt } } pageInfo { hasNextPage endCursor } } } }
    """
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        body = await client.query(document, token, id=biggest["id"], after=after)
        assets = body["data"]["session"]["assets"]
        seen += [edge["node"] for edge in assets["edges"]]
        if not assets["pageInfo"]["hasNextPage"]:
            break
        after = assets["pageInfo"]["endCursor"]
    assert len(seen) == len({node["id"] for node in seen}) == biggest["assetCount"]
    assert [node["createdAt"] for node in seen] == sorted(node["createdAt"] for node in seen)


@pytest.mark.parametrize("first", [0, 101])
async def test_page_size_out_of_range_is_a_clear_error(
    client: GraphQLClient, session_factory: SessionFactory, first: int
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    body = await client.query(SESSIONS_QUERY, token, first=first)
    assert "between 1 and 100" in body["errors"][0]["message"]


async def test_bad_cursor_is_a_clear_error(client: GraphQLClient, session_factory: SessionFactory) -> None:
    token = await make_user_with_token(session_factory, "ada")
    body = await client.query(SESSIONS_QUERY, token, first=5, after="bm9wZQ")
    assert "invalid cursor" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_token_without_read_scope_is_forbidden(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada", scopes=["credits:read"])
    body = await client.query(SESSIONS_QUERY, token, first=5)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "library:read" in body["errors"][0]["message"]


async def test_sessions_page_uses_a_constant_number_of_queries(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    library = write_demo_library(tmp_path / "demo")
    await import_paths(session_factory, settings, user_handle="artist", paths=[library.root])
    token = await make_user_with_token(session_factory, "artist")
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    document = """query($first: Int!) { viewer { sessions(first: $first) { edges { node {
        label thumbnails { url } phases { label } assets(first: 1) { edges { node { id parent { kind } } } }
        summary reflection { state } reflectionEligibility { eligible }
    } } } } }"""
    await client.query(document, token, first=1)  # warm-up: the token's last_used_at is written once
    event.listen(Engine, "before_cursor_execute", count)
    try:
        statements.clear()
        await client.query(document, token, first=2)
        small = len(statements)
        statements.clear()
        await client.query(document, token, first=10)
        large = len(statements)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    # auth + sessions + count + one batched load each for thumbnails, phases, first assets, parents,
    # latest reflections and delivered summaries (eligibility reads the session row itself)
    kinds = Counter(" ".join(statement.split())[:60] for statement in statements)
    assert small == large, kinds
    assert large <= 9, kinds
