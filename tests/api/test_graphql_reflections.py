"""Paid reflections end to end over GraphQL: eligibility, quote, confirm (idempotent), a real arq
worker delivering with the offline curator, the summary on the session card, the ledger, scopes,
and the ``reflectionUpdated`` subscription over a real WebSocket."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, update
from starlette.testclient import TestClient

from api.app import create_app
from api.graphql import reflections as reflections_api
from billing import ledger
from catalog.database import SessionFactory, unit_of_work
from catalog.models import ApiToken
from catalog.settings import AtelierSettings
from reflection.tasks import REFLECTION_FUNCTIONS
from tests.api.conftest import GraphQLClient, make_user_with_token
from tests.arq_worker import run_worker_burst
from tests.billing.library_builder import user_with_session

CARD = """query($id: ID!) { session(id: $id) {
  assetCount summary reflectionEligibility { eligible assetCount requiredAssets }
  reflection { id state title summary stylePatterns evolutionNotes model cost charged failureReason }
} }"""
QUOTE = """mutation($id: ID!) { quoteReflection(sessionId: $id) { __typename
  ... on ReflectionQuote { id cost expiresAt available }
  ... on BelowReflectionThreshold { message assetCount requiredAssets }
  ... on NotFound { message } } }"""
CONFIRM = """mutation($q: ID!, $k: String!) { confirmReflection(quoteId: $q, idempotencyKey: $k) { __typename
  ... on ReflectionStarted { reflection { id state cost } }
  ... on InsufficientCredits { message required available }
  ... on QuoteExpired { message } ... on QuoteStale { message }
  ... on BelowReflectionThreshold { message } ... on IdempotencyKeyReused { message }
  ... on NotFound { message } } }"""
SUBSCRIPTION = "subscription($id: ID!) { reflectionUpdated(id: $id) { state summary charged } }"
CREDITS = """{ viewer { credits { balance held available }
  creditLedger(first: 10) { edges { node { kind amount balanceAfter reference } }
                            pageInfo { hasNextPage } } } }"""


@pytest.fixture
async def reflections_client(queue_settings: AtelierSettings) -> AsyncIterator[GraphQLClient]:
    import httpx

    app = create_app(queue_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://atelier.test") as http:
            yield GraphQLClient(http)


async def run_reflection_worker(factory: SessionFactory, settings: AtelierSettings) -> None:
    await run_worker_burst(factory, settings, REFLECTION_FUNCTIONS)


def _data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_quote_confirm_deliver_and_show_on_the_card(
    reflections_client: GraphQLClient,
    session_factory: SessionFactory,
    queue_settings: AtelierSettings,
    tmp_path: Path,
) -> None:
    client = reflections_client
    user_id, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=56)
    token = await make_user_with_token(session_factory, "ada")
    sid = f"Session:{session_id}"

    card = _data(await client.query(CARD, token, id=sid))["session"]
    assert card["reflectionEligibility"] == {"eligible": True, "assetCount": 56, "requiredAssets": 50}
    assert card["reflection"] is None and card["summary"] is None

    quote = _data(await client.query(QUOTE, token, id=sid))["quoteReflection"]
    assert quote["__typename"] == "ReflectionQuote" and quote["available"] == 0
    cost = quote["cost"]
    assert cost == 2  # offline curator: ceil(0.25 × (4 + 1 size unit + 0 images))

    short = _data(await client.query(CONFIRM, token, q=quote["id"], k="click-1"))["confirmReflection"]
    assert short == {
        "__typename": "InsufficientCredits",
        "message": f"This reflection needs {cost} credits; 0 are available.",
        "required": cost,
        "available": 0,
    }
    async with unit_of_work(session_factory) as db:
        await ledger.grant(db, user_id, 10, reference="test grant")

    answers = await asyncio.gather(
        *(client.query(CONFIRM, token, q=quote["id"], k="click-1") for _ in range(4))
    )
    started = [_data(answer)["confirmReflection"] for answer in answers]
    assert {item["__typename"] for item in started} == {"ReflectionStarted"}
    reflection_ids = {item["reflection"]["id"] for item in started}
    assert len(reflection_ids) == 1
    reused = _data(await client.query(CONFIRM, token, q=quote["id"], k="click-2"))["confirmReflection"]
    assert reused["__typename"] == "QuoteExpired"

    credits = _data(await client.query(CREDITS, token))["viewer"]["credits"]
    assert credits == {"balance": 10, "held": cost, "available": 10 - cost}

    await run_reflection_worker(session_factory, queue_settings)

    card = _data(await client.query(CARD, token, id=sid))["session"]
    reflection = card["reflection"]
    assert reflection["id"] in reflection_ids
    assert reflection["state"] == "DONE", reflection
    assert reflection["model"] == "atelier-offline"
    assert reflection["charged"] == cost and reflection["title"] and reflection["summary"]
    assert card["summary"] == reflection["summary"]
    viewer = _data(await client.query(CREDITS, token))["viewer"]
    assert viewer["credits"] == {"balance": 10 - cost, "held": 0, "available": 10 - cost}
    kinds = [(edge["node"]["kind"], edge["node"]["amount"]) for edge in viewer["creditLedger"]["edges"]]
    assert kinds == [("capture", -cost), ("grant", 10)]
    by_id = _data(
        await client.query("query($id: ID!) { reflection(id: $id) { state } }", token, id=reflection["id"])
    )
    assert by_id["reflection"] == {"state": "DONE"}
    history = (
        "{ viewer { reflections(first: 5) { edges { node { id state sessionId } } "
        "pageInfo { hasNextPage } } } }"
    )
    listed = _data(await client.query(history, token))["viewer"]["reflections"]
    assert listed == {
        "edges": [{"node": {"id": reflection["id"], "state": "DONE", "sessionId": sid}}],
        "pageInfo": {"hasNextPage": False},
    }


async def test_below_threshold_and_unknown_sessions_are_typed_results(
    reflections_client: GraphQLClient,
    session_factory: SessionFactory,
    queue_settings: AtelierSettings,
    tmp_path: Path,
) -> None:
    _, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=44)
    token = await make_user_with_token(session_factory, "ada")
    card = _data(await reflections_client.query(CARD, token, id=f"Session:{session_id}"))["session"]
    assert card["reflectionEligibility"] == {"eligible": False, "assetCount": 44, "requiredAssets": 50}
    below = _data(await reflections_client.query(QUOTE, token, id=f"Session:{session_id}"))["quoteReflection"]
    assert below == {
        "__typename": "BelowReflectionThreshold",
        "message": "Reflections need a session of at least 50 images; this one has 44.",
        "assetCount": 44,
        "requiredAssets": 50,
    }
    other = await make_user_with_token(session_factory, "bob")
    missing = _data(await reflections_client.query(QUOTE, other, id=f"Session:{session_id}"))[
        "quoteReflection"
    ]
    assert missing["__typename"] == "NotFound"


async def test_scopes_guard_spending_and_reading_credits(
    reflections_client: GraphQLClient,
    session_factory: SessionFactory,
    queue_settings: AtelierSettings,
    tmp_path: Path,
) -> None:
    _, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    read_only = await make_user_with_token(session_factory, "ada", scopes=["library:read"])
    body = await reflections_client.query(QUOTE, read_only, id=f"Session:{session_id}")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await reflections_client.query(CREDITS, read_only)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await reflections_client.query(CREDITS)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _listen(
    app: Any, token: str, reflection_id: str, received: list[dict[str, Any]], first_seen: threading.Event
) -> None:
    """Subscribe to ``reflectionUpdated`` over graphql-transport-ws and append every message to
    ``received`` until one is not ``next`` (``first_seen`` is set at the first)."""
    with (
        TestClient(app) as http,
        http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        ws.send_text(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(ws.receive_text())["type"] == "connection_ack"
        payload = {"query": SUBSCRIPTION, "variables": {"id": reflection_id}}
        ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        while True:
            message = json.loads(ws.receive_text())
            received.append(message)
            first_seen.set()
            if message["type"] != "next":
                return


async def _artist_with_credits(
    factory: SessionFactory, settings: AtelierSettings, folder: Path
) -> tuple[uuid.UUID, str]:
    """A session of 52 images (a reflection's minimum is 50) of "ada", who holds 10 credits and a token."""
    user_id, session_id = await user_with_session(factory, settings, folder, asset_count=52)
    token = await make_user_with_token(factory, "ada")
    async with unit_of_work(factory) as db:
        await ledger.grant(db, user_id, 10)
    return session_id, token


async def test_reflection_updated_subscription_follows_the_state_until_done(
    session_factory: SessionFactory, queue_settings: AtelierSettings, tmp_path: Path
) -> None:
    session_id, token = await _artist_with_credits(session_factory, queue_settings, tmp_path)
    app = create_app(queue_settings)
    received: list[dict[str, Any]] = []
    first_seen = threading.Event()

    with TestClient(app) as http:
        quote = http.post(
            "/graphql",
            json={"query": QUOTE, "variables": {"id": f"Session:{session_id}"}},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["data"]["quoteReflection"]
        started = http.post(
            "/graphql",
            json={"query": CONFIRM, "variables": {"q": quote["id"], "k": "sub-1"}},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["data"]["confirmReflection"]
    reflection_id = started["reflection"]["id"]
    listener = threading.Thread(
        target=_listen, args=(app, token, reflection_id, received, first_seen), daemon=True
    )
    listener.start()
    assert await asyncio.to_thread(first_seen.wait, 20)
    await run_reflection_worker(session_factory, queue_settings)
    await asyncio.to_thread(listener.join, 20)
    assert not listener.is_alive()
    states = [message["payload"]["data"]["reflectionUpdated"]["state"] for message in received[:-1]]
    assert states[0] == "QUEUED" and states[-1] == "DONE", received
    assert received[-1]["type"] == "complete"
    assert received[-2]["payload"]["data"]["reflectionUpdated"]["summary"]


async def test_another_artist_can_neither_confirm_nor_read_a_reflection(
    reflections_client: GraphQLClient,
    session_factory: SessionFactory,
    queue_settings: AtelierSettings,
    tmp_path: Path,
) -> None:
    user_id, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    owner = await make_user_with_token(session_factory, "ada")
    stranger = await make_user_with_token(session_factory, "bob")
    async with unit_of_work(session_factory) as db:
        await ledger.grant(db, user_id, 10)
    quote = _data(await reflections_client.query(QUOTE, owner, id=f"Session:{session_id}"))["quoteReflection"]

    stolen = _data(await reflections_client.query(CONFIRM, stranger, q=quote["id"], k="x"))
    assert stolen["confirmReflection"]["__typename"] == "NotFound"
    started = _data(await reflections_client.query(CONFIRM, owner, q=quote["id"], k="x"))["confirmReflection"]
    assert started["__typename"] == "ReflectionStarted"  # the stranger's attempt used nothing up
    reflection_id = started["reflection"]["id"]
    peek = "query($id: ID!) { reflection(id: $id) { state } }"
    assert _data(await reflections_client.query(peek, stranger, id=reflection_id)) == {"reflection": None}
    card = _data(await reflections_client.query(CARD, stranger, id=f"Session:{session_id}"))
    assert card == {"session": None}
    credits = _data(await reflections_client.query(CREDITS, stranger))["viewer"]
    assert credits["credits"] == {"balance": 0, "held": 0, "available": 0}
    assert credits["creditLedger"]["edges"] == []


async def test_an_unusable_idempotency_key_is_a_clear_error(
    reflections_client: GraphQLClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    for key in ("", "k" * 201):
        body = await reflections_client.query(CONFIRM, token, q="ReflectionQuote:x", k=key)
        assert "idempotencyKey must be 1–200 characters" in body["errors"][0]["message"]


async def test_a_subscription_ends_unauthenticated_once_its_token_is_revoked(
    session_factory: SessionFactory,
    queue_settings: AtelierSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A queued reflection's updates stream until it is done; its token revoked meanwhile, the stream
    ends with UNAUTHENTICATED at the next token check (before: it streamed on for up to 15 minutes)."""
    monkeypatch.setattr(reflections_api, "TOKEN_RECHECK_SECONDS", 0.3)
    session_id, token = await _artist_with_credits(session_factory, queue_settings, tmp_path)
    app = create_app(queue_settings)
    received: list[dict[str, Any]] = []
    first_seen = threading.Event()

    with TestClient(app) as http:
        headers = {"Authorization": f"Bearer {token}"}
        quote = http.post(
            "/graphql", json={"query": QUOTE, "variables": {"id": f"Session:{session_id}"}}, headers=headers
        ).json()["data"]["quoteReflection"]
        started = http.post(
            "/graphql",
            json={"query": CONFIRM, "variables": {"q": quote["id"], "k": "sub-2"}},
            headers=headers,
        ).json()["data"]["confirmReflection"]
    listener = threading.Thread(
        target=_listen, args=(app, token, started["reflection"]["id"], received, first_seen), daemon=True
    )
    listener.start()
    assert await asyncio.to_thread(first_seen.wait, 20)
    async with unit_of_work(session_factory) as db:
        await db.execute(update(ApiToken).values(revoked_at=func.now()))
    await asyncio.to_thread(listener.join, 20)
    assert not listener.is_alive()
    assert received[0]["payload"]["data"]["reflectionUpdated"]["state"] == "QUEUED"
    assert received[-1]["type"] == "complete", received
    errors = received[-2]["payload"]["errors"]
    assert [error["extensions"]["code"] for error in errors] == ["UNAUTHENTICATED"], received
