"""Corrections and API tokens over GraphQL given hostile arguments: typed results or a client error,
never a 5xx, never another user's data, never a half-applied correction (real PostgreSQL).

What failed before (audit round 2): ``relabelSession`` stored labels holding terminal escape
sequences, bells and bidirectional overrides (``"\\x1b[31m…"``, ``"\\u202egnp.exe"``), and
``createApiToken`` created tokens so named, and tokens with no scope at all (``scopes: []``); an
expiry in the past was refused as "a token's lifetime must be positive, got -9832 days, 19:10:05…".

Kept as checks (they held): merging a session with itself, a thousand times over, with another
user's session or with unknown ids; splitting at an image of another session, at the first image,
a one-image session; undoing twice at once, another user's correction; concurrent corrections of
the same sessions; read-only tokens on every correction.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from tests.api.conftest import make_user_with_token

SESSIONS = """{ viewer { sessions(first: 50) { edges { node { id assetCount label
  assets(first: 50) { edges { node { id } } } } } } } }"""
RESULT = """__typename ... on CorrectionApplied { sessions { id assetCount label } corrections { id } }
  ... on NotFound { message } ... on InvalidCorrection { message }"""
MERGE = "mutation($ids: [ID!]!) { mergeSessions(sessionIds: $ids) { " + RESULT + " } }"
SPLIT = "mutation($s: ID!, $a: ID!) { splitSession(sessionId: $s, atAssetId: $a) { " + RESULT + " } }"
RELABEL = (
    "mutation($id: ID!, $label: String) { relabelSession(sessionId: $id, label: $label) { " + RESULT + " } }"
)
MOVE = "mutation($ids: [ID!]!, $to: ID!) { moveAssets(assetIds: $ids, toSessionId: $to) { " + RESULT + " } }"
UNDO = """mutation($id: ID!) { undoCorrection(id: $id) { __typename
  ... on NotFound { message } ... on AlreadyUndone { message } ... on CannotUndo { message } } }"""
CREATE_TOKEN = """mutation($n: String!, $s: [String!]!, $e: DateTime) {
  createApiToken(name: $n, scopes: $s, expiresAt: $e) { __typename
    ... on UnknownTokenScope { message } ... on InvalidTokenExpiry { message }
    ... on InvalidTokenName { message } } }"""


async def _library(factory: SessionFactory, settings: AtelierSettings, folder: Path, handle: str) -> None:
    """Five sessions of five images (the tool changes between them: always a boundary), then one of
    one image; ``viewer.sessions`` lists them newest first."""
    start = datetime(2026, 3, 1, 19, tzinfo=UTC)
    records = [
        {"id": f"{handle}-{s}-{i}", "tool": ["comfyui", "a1111"][s % 2], "prompt": f"koi {s}", "seed": i,
         "created_at": (start + timedelta(hours=s, minutes=i)).isoformat()}
        for s in range(6) for i in range(1 if s == 5 else 5)
    ]  # fmt: skip
    path = folder / f"{handle}.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in records))
    await import_paths(factory, settings, user_handle=handle, paths=[path])


class Caller:
    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http, self.token = http, token

    async def __call__(self, document: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, document: str, **variables: Any) -> Any:
        body = await self(document, **variables)
        assert "errors" not in body, body
        [value] = body["data"].values()
        return value

    async def sessions(self) -> list[tuple[str, list[str], int, str]]:
        edges = (await self.data(SESSIONS))["sessions"]["edges"]
        return [
            (
                edge["node"]["id"],
                [asset["node"]["id"] for asset in edge["node"]["assets"]["edges"]],
                edge["node"]["assetCount"],
                edge["node"]["label"],
            )
            for edge in edges
        ]


async def test_labels_with_control_characters_are_refused_and_change_nothing(
    lenient_http: httpx.AsyncClient,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
) -> None:
    await _library(session_factory, settings, tmp_path, "ada")
    ada = Caller(lenient_http, await make_user_with_token(session_factory, "ada"))
    before = await ada.sessions()
    session_id = before[1][0]
    for label, problem in [
        ("\x1b[31mred\x1b[0m", "contains a control character (U+001B) at position 0"),
        ("bell\x07", "contains a control character (U+0007) at position 4"),
        ("\u202egnp.exe", "contains a bidirectional override (U+202E) at position 0"),
        ("koi \u2066studies", "contains a bidirectional override (U+2066) at position 4"),
    ]:
        assert await ada.data(RELABEL, id=session_id, label=label) == {
            "__typename": "InvalidCorrection",
            "message": f"the label {problem}",
        }
    for label in ("", "   ", "x" * 201):
        refused = await ada.data(RELABEL, id=session_id, label=label)
        assert refused == {"__typename": "InvalidCorrection", "message": "a label has 1 to 200 characters"}
    kept = await ada.data(RELABEL, id=session_id, label="  Koi\tstudies \u00e9t\u00e9\n")
    assert kept["sessions"][0]["label"] == "Koi studies \u00e9t\u00e9"
    assert [row[2:] for row in await ada.sessions()] == [
        row[2:] if row[0] != session_id else (row[2], "Koi studies \u00e9t\u00e9") for row in before
    ]


async def test_hostile_corrections_are_typed_results_and_keep_the_library_whole(
    lenient_http: httpx.AsyncClient,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
) -> None:
    await _library(session_factory, settings, tmp_path, "ada")
    await _library(session_factory, settings, tmp_path, "bob")
    ada = Caller(lenient_http, await make_user_with_token(session_factory, "ada"))
    bob = Caller(lenient_http, await make_user_with_token(session_factory, "bob"))
    reader = Caller(lenient_http, await make_user_with_token(session_factory, "ada", scopes=["library:read"]))
    sessions = await ada.sessions()
    bobs = await bob.sessions()
    ids = [row[0] for row in sessions]
    assets = [row[1] for row in sessions]

    def invalid(message: str) -> dict[str, str]:
        return {"__typename": "InvalidCorrection", "message": message}

    two_needed = invalid("choose at least two different sessions to merge")
    no_session = {"__typename": "NotFound", "message": "no such session"}
    unknown = [f"Session:{uuid.uuid4()}" for _ in range(998)]
    for variables, expected in [
        ({"ids": [ids[1], ids[1]]}, two_needed),
        ({"ids": [ids[1]] * 1000}, two_needed),
        ({"ids": [ids[1], bobs[1][0]]}, no_session),
        ({"ids": [ids[1], ids[2], *unknown]}, no_session),
        (
            {"ids": [ids[1], ids[3]]},
            invalid("only neighbouring sessions can be merged; include the sessions in between"),
        ),
    ]:
        assert await ada.data(MERGE, **variables) == expected
    for session, asset, message in [
        (ids[1], assets[2][2], "that image is not in this session"),
        (ids[1], bobs[1][1][2], "that image is not in this session"),
        (ids[1], assets[1][0], "a session cannot be split at its first image"),
        (ids[0], assets[0][0], "a session cannot be split at its first image"),
    ]:
        assert await ada.data(SPLIT, s=session, a=asset) == invalid(message)
    assert (await ada.data(MOVE, ids=[bobs[1][1][0]], to=ids[1]))["__typename"] == "NotFound"
    assert await bob.data(MERGE, ids=ids[1:3]) == no_session
    assert [row[2:] for row in await ada.sessions()] == [row[2:] for row in sessions]  # nothing changed

    for document, variables in [
        (MERGE, {"ids": ids[1:3]}),
        (SPLIT, {"s": ids[1], "a": assets[1][2]}),
        (RELABEL, {"id": ids[1], "label": "x"}),
        (MOVE, {"ids": assets[1][:1], "to": ids[2]}),
        (UNDO, {"id": f"Correction:{uuid.uuid4()}"}),
    ]:
        body = await reader(document, **variables)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    merged = await ada.data(MERGE, ids=ids[3:5])
    correction = merged["corrections"][0]["id"]
    assert (await bob.data(UNDO, id=correction)) == {
        "__typename": "NotFound",
        "message": "no such correction",
    }
    undone = await asyncio.gather(ada.data(UNDO, id=correction), ada.data(UNDO, id=correction))
    assert sorted(result["__typename"] for result in undone) == ["AlreadyUndone", "CorrectionUndone"]
    assert (await ada.data(UNDO, id=correction))["__typename"] == "AlreadyUndone"
    assert [row[2] for row in await ada.sessions()] == [row[2] for row in sessions]

    # the same sessions corrected by three requests at once: each applies in turn, none fails
    results = await asyncio.gather(
        ada.data(MERGE, ids=ids[1:3]),
        ada.data(MERGE, ids=ids[2:4]),
        ada.data(SPLIT, s=ids[2], a=assets[2][2]),
    )
    assert {result["__typename"] for result in results} <= {
        "CorrectionApplied",
        "NotFound",
        "InvalidCorrection",
    }
    after = await ada.sessions()
    assert sum(row[2] for row in after) == 26
    assert sorted(asset for row in after for asset in row[1]) == sorted(a for row in sessions for a in row[1])
    assert [row[2] for row in await bob.sessions()] == [row[2] for row in bobs]


async def test_api_tokens_without_scopes_with_control_characters_or_a_past_expiry_are_refused(
    lenient_http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    ada = Caller(lenient_http, await make_user_with_token(session_factory, "ada"))
    known = "library:read, library:write, reflections:write, credits:read"
    for variables, expected in [
        ({"n": "ok", "s": []}, ("UnknownTokenScope", f"a token needs at least one scope; known: {known}")),
        ({"n": "ok", "s": [""]}, ("UnknownTokenScope", f"unknown scope(s) ; known: {known}")),
        ({"n": "a\nb", "s": ["library:read"]}, (
            "InvalidTokenName", "the token name contains a control character (U+000A) at position 1"
        )),
        ({"n": "\x1b[2J", "s": ["library:read"]}, (
            "InvalidTokenName", "the token name contains a control character (U+001B) at position 0"
        )),
        ({"n": "ok", "s": ["library:read"], "e": "2000-01-01T00:00:00Z"}, (
            "InvalidTokenExpiry",
            "the expiry 2000-01-01T00:00:00+00:00 is not in the future; "
            "leave it out for a token that never expires",
        )),
    ]:  # fmt: skip
        result = await ada.data(CREATE_TOKEN, **variables)
        assert (result["__typename"], result["message"]) == expected
    listed = await ada.data("{ viewer { apiTokens(first: 10) { edges { node { name } } } } }")
    assert len(listed["apiTokens"]["edges"]) == 1  # only the one making the requests
