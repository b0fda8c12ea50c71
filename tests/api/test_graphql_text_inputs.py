"""Text PostgreSQL cannot store is the client's BAD_USER_INPUT, in any argument (issue 10, item 9)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from tests.api.conftest import make_user_with_token

RELABEL = """mutation($id: ID!, $label: String) { relabelSession(sessionId: $id, label: $label) {
  __typename ... on CorrectionApplied { sessions { label labelPinned } } } }"""
SESSIONS = "{ viewer { sessions(first: 5) { edges { node { id label labelPinned } } } } }"


async def _library_token(factory: SessionFactory, settings: AtelierSettings, tmp_path: Path) -> str:
    start = datetime(2026, 3, 1, 19, tzinfo=UTC)
    records = [
        {"id": f"r{index}", "tool": "comfyui", "created_at": (start + timedelta(minutes=index)).isoformat()}
        for index in range(5)
    ]
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in records))
    await import_paths(factory, settings, user_handle="ada", paths=[path])
    return await make_user_with_token(factory, "ada")


async def _post(http: httpx.AsyncClient, token: str, query: str, **variables: Any) -> httpx.Response:
    # json.dumps escapes lone surrogates as \ud800, which is how a JSON client sends them
    body = json.dumps({"query": query, "variables": variables})
    headers = {
        "Authorization": f"Bearer {token}",
        "content-type": "application/json",
        "accept": "application/graphql-response+json",  # request errors are 400s (GraphQL over HTTP)
    }
    return await http.post("/graphql", content=body.encode(), headers=headers)


def _bad_input(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body
    assert body["errors"], body
    assert {error["extensions"]["code"] for error in body["errors"]} == {"BAD_USER_INPUT"}, body
    message: str = body["errors"][0]["message"]
    assert "Unexpected error" not in message
    return message


async def test_relabel_with_nul_or_a_lone_surrogate_is_bad_input_and_changes_nothing(
    lenient_http: httpx.AsyncClient,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
) -> None:
    token = await _library_token(session_factory, settings, tmp_path)
    before = (await _post(lenient_http, token, SESSIONS)).json()["data"]["viewer"]["sessions"]["edges"]
    session_id = before[0]["node"]["id"]

    message = _bad_input(await _post(lenient_http, token, RELABEL, id=session_id, label="koi\x00pond"))
    assert "$label" in message and "NUL" in message and "position 3" in message
    message = _bad_input(await _post(lenient_http, token, RELABEL, id=session_id, label="koi \ud800"))
    assert "$label" in message and "surrogate" in message and "U+D800" in message
    literal = RELABEL.replace("$label: String", "").replace("label: $label", 'label: "koi\\u0000pond"')
    assert "NUL" in _bad_input(await _post(lenient_http, token, literal, id=session_id))
    # hidden deep in a list, and in a variable the operation does not even use
    query = "mutation($ids: [ID!]!) { mergeSessions(sessionIds: $ids) { __typename } }"
    assert "$ids[1]" in _bad_input(await _post(lenient_http, token, query, ids=[session_id, "Session:\x00"]))
    assert "$spare" in _bad_input(await _post(lenient_http, token, SESSIONS, spare={"k": ["\udfff"]}))

    after = (await _post(lenient_http, token, SESSIONS)).json()["data"]["viewer"]["sessions"]["edges"]
    assert after == before
    applied = (await _post(lenient_http, token, RELABEL, id=session_id, label="koi pond ✨")).json()
    assert applied["data"]["relabelSession"]["sessions"][0] == {"label": "koi pond ✨", "labelPinned": True}


async def test_every_text_argument_is_checked_the_same_way(
    lenient_http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    cases = {
        'mutation($k: String!) { confirmReflection(quoteId: "ReflectionQuote:x", idempotencyKey: $k) '
        "{ __typename } }": {"k": "click\x00"},
        "mutation($p: ID!) { startCreditPurchase(packId: $p) { __typename } }": {"p": "\ud83d"},
        "query($a: String) { viewer { sessions(first: 1, after: $a) { totalCount } } }": {"a": "\x00"},
        "query($id: ID!) { session(id: $id) { id } }": {"id": "Session:\x00"},
    }
    for query, variables in cases.items():
        assert "text cannot contain" in _bad_input(await _post(lenient_http, token, query, **variables))
