"""Corrections through GraphQL: typed results, scopes, and the effect on the sessions query."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, make_user_with_token

LIST = "{ viewer { sessions(first: 50) { edges { node { id assetCount label labelPinned } } } } }"
MERGE = """mutation($ids: [ID!]!) { mergeSessions(sessionIds: $ids) {
  __typename
  ... on CorrectionApplied { sessions { id assetCount } thresholdOffset }
  ... on NotFound { message }
  ... on InvalidCorrection { message }
} }"""
RELABEL = """mutation($id: ID!, $label: String) { relabelSession(sessionId: $id, label: $label) {
  __typename ... on CorrectionApplied { sessions { label labelPinned } } ... on NotFound { message } } }"""


async def _two_sessions(factory: SessionFactory, settings: AtelierSettings, tmp_path: Path) -> None:
    start = datetime(2026, 3, 1, 19, tzinfo=UTC)
    records = [
        {
            "id": f"r{index}",
            "tool": "comfyui" if index < 10 else "a1111",  # a tool switch: always a boundary
            "created_at": (start + timedelta(minutes=index)).isoformat(),
            "prompt": "koi pond in autumn",
            "seed": index,
        }
        for index in range(20)
    ]
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in records))
    await import_paths(factory, settings, user_handle="ada", paths=[path])


async def test_merge_and_relabel_through_the_api(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _two_sessions(session_factory, settings, tmp_path)
    token = await make_user_with_token(session_factory, "ada")
    ids = [
        edge["node"]["id"]
        for edge in (await client.query(LIST, token))["data"]["viewer"]["sessions"]["edges"]
    ]
    assert len(ids) == 2

    merged = (await client.query(MERGE, token, ids=ids))["data"]["mergeSessions"]
    assert merged["__typename"] == "CorrectionApplied"
    assert [session["assetCount"] for session in merged["sessions"]] == [20]
    assert merged["thresholdOffset"] == 0.0  # a merge across a tool switch teaches nothing about pace
    after = (await client.query(LIST, token))["data"]["viewer"]["sessions"]["edges"]
    assert [edge["node"]["assetCount"] for edge in after] == [20]

    session_id = after[0]["node"]["id"]
    relabelled = (await client.query(RELABEL, token, id=session_id, label="Koi studies"))["data"][
        "relabelSession"
    ]
    assert relabelled["sessions"] == [{"label": "Koi studies", "labelPinned": True}]


async def test_expected_failures_are_typed_results(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _two_sessions(session_factory, settings, tmp_path)
    token = await make_user_with_token(session_factory, "ada")
    ids = [
        edge["node"]["id"]
        for edge in (await client.query(LIST, token))["data"]["viewer"]["sessions"]["edges"]
    ]

    single = (await client.query(MERGE, token, ids=ids[:1]))["data"]["mergeSessions"]
    assert single == {
        "__typename": "InvalidCorrection",
        "message": "choose at least two different sessions to merge",
    }
    bogus = (await client.query(MERGE, token, ids=[ids[0], "Session:not-a-uuid"]))["data"]["mergeSessions"]
    assert bogus["__typename"] == "NotFound"
    other = await make_user_with_token(session_factory, "bob")
    foreign = (await client.query(MERGE, other, ids=ids))["data"]["mergeSessions"]
    assert foreign["__typename"] == "NotFound"


async def test_read_only_tokens_cannot_correct(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _two_sessions(session_factory, settings, tmp_path)
    token = await make_user_with_token(session_factory, "ada", scopes=["library:read"])
    body = await client.query(MERGE, token, ids=["Session:00000000-0000-0000-0000-000000000000"])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
