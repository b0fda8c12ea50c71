"""Cursors round-trip any keyset value and bad ones are the client's error (issue 10, items 9 and 11)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, make_user_with_token

ODD_NAMES = [
    "pipe|in|name.png",
    "||.png",
    "new\nline.png",
    "tab\tand space .png",
    "日本語の名前 ✨.png",
    "emoji 🎨🖌️.png",
    'quote " and \\ backslash.png',
    "ComfyUI_00007_.png",
    "ComfyUI_00007_|x.png",
    "2026-03-01T19:00:00+00:00|5|a|b.png",
    "",
]
SESSION_ID = "{ viewer { sessions(first: 5) { edges { node { id assetCount } } } } }"
ASSETS = """query($id: ID!, $first: Int!, $after: String) { session(id: $id) {
  assets(first: $first, after: $after) {
    edges { cursor node { id fileName } } pageInfo { hasNextPage endCursor } }
} }"""
LEDGER = "query($after: String) { viewer { creditLedger(first: 1, after: $after) { edges { cursor } } } }"
REFLECTIONS = "query($after: String) { viewer { reflections(first: 1, after: $after) { edges { cursor } } } }"
SESSIONS = "query($after: String) { viewer { sessions(first: 1, after: $after) { edges { cursor } } } }"


async def _odd_library(factory: SessionFactory, settings: AtelierSettings, tmp_path: Path) -> str:
    """One session whose assets share one time, so the file names decide the order."""
    moment = datetime(2026, 3, 1, 19, tzinfo=UTC).isoformat()
    records = [
        {"id": f"r{index}", "tool": "comfyui", "created_at": moment, "seed": index, "file_name": name}
        for index, name in enumerate(ODD_NAMES)
    ]
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in records))
    report = await import_paths(factory, settings, user_handle="ada", paths=[path])
    assert report.problems == []
    return await make_user_with_token(factory, "ada")


def _raw_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _bad_input(body: dict[str, Any]) -> str:
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    message: str = error["message"]
    return message


async def test_paging_through_odd_file_names_accepts_every_end_cursor(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    token = await _odd_library(session_factory, settings, tmp_path)
    (session,) = (await client.query(SESSION_ID, token))["data"]["viewer"]["sessions"]["edges"]
    assert session["node"]["assetCount"] == len(ODD_NAMES)
    session_id = session["node"]["id"]

    everything = await client.query(ASSETS, token, id=session_id, first=100)
    expected = [edge["node"]["fileName"] for edge in everything["data"]["session"]["assets"]["edges"]]
    assert sorted(expected) == sorted(ODD_NAMES)

    for page_size in (1, 2, 3):
        seen: list[str | None] = []
        after = None
        while True:
            body = await client.query(ASSETS, token, id=session_id, first=page_size, after=after)
            assert "errors" not in body, body
            connection = body["data"]["session"]["assets"]
            seen += [edge["node"]["fileName"] for edge in connection["edges"]]
            if not connection["pageInfo"]["hasNextPage"]:
                break
            after = connection["pageInfo"]["endCursor"]
        assert seen == expected, page_size


async def test_a_counter_beyond_bigint_is_an_invalid_cursor_not_an_unexpected_error(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    token = await _odd_library(session_factory, settings, tmp_path)
    session_id = (await client.query(SESSION_ID, token))["data"]["viewer"]["sessions"]["edges"][0]["node"][
        "id"
    ]
    first = await client.query(ASSETS, token, id=session_id, first=1)
    issued = first["data"]["session"]["assets"]["pageInfo"]["endCursor"]
    version, kind, created_at, counter, name, asset_id = json.loads(
        base64.urlsafe_b64decode(issued + "=" * (-len(issued) % 4))
    )
    moment = datetime(2026, 3, 1, 19, tzinfo=UTC).isoformat()
    forged = [
        [version, kind, created_at, 2**63, name, asset_id],  # one past int64
        [version, kind, created_at, -(2**63) - 1, name, asset_id],
        [version, kind, created_at, 10**40, name, asset_id],
        [version, kind, created_at, 1.5, name, asset_id],
        [version, kind, created_at, True, name, asset_id],
        [version, kind, created_at, counter, "nul\x00name", asset_id],
        [version, kind, created_at, counter, "lone \ud800", asset_id],
        [version, kind, "2026-03-01T19:00:00", counter, name, asset_id],  # no zone
        [version, kind, "yesterday", counter, name, asset_id],
        [version, kind, created_at, counter, name, "not-a-uuid"],
        [version, kind, created_at, counter, name],
        [version, kind, created_at, counter, name, asset_id, "extra"],
        [version, "session", moment, str(uuid.uuid4())],  # another connection's cursor
        [99, kind, created_at, counter, name, asset_id],
        {"v": 1},
    ]
    for value in forged:
        body = await client.query(ASSETS, token, id=session_id, first=5, after=_raw_cursor(value))
        assert "invalid cursor" in _bad_input(body), value

    old_format = base64.urlsafe_b64encode(f"{moment}|{counter}|{name}|{uuid.uuid4()}".encode()).decode()
    for after in (old_format.rstrip("="), "bm9wZQ", "!!!", "é", "x" * 10_000, ""):
        body = await client.query(ASSETS, token, id=session_id, first=5, after=after)
        assert "invalid cursor" in _bad_input(body), after


async def test_every_connection_refuses_forged_cursors_as_bad_input(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    forged = {
        LEDGER: [[1, "ledger", 2**63], [1, "ledger", "7"], [1, "ledger", -(2**64)]],
        REFLECTIONS: [[1, "reflection", "2026-01-01T00:00:00+00:00", "x"], [1, "reflection"]],
        SESSIONS: [[1, "session", "2026-01-01T00:00:00", str(uuid.uuid4())], [1, "ledger", 5]],
    }
    for query, values in forged.items():
        for value in values:
            body = await client.query(query, token, after=_raw_cursor(value))
            assert "invalid cursor" in _bad_input(body), (query, value)
