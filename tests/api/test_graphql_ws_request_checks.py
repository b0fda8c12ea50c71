"""The request checks hold over graphql-transport-ws too: one operation, storable text, bounded JSON."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, update
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from catalog.database import SessionFactory, unit_of_work
from catalog.models import ApiToken
from catalog.settings import AtelierSettings
from tests.api.conftest import make_user_with_token

TWO = (
    'subscription A { reflectionUpdated(id: "Reflection:x") { id } } '
    'subscription B { reflectionUpdated(id: "Reflection:y") { id } }'
)
ONE = "subscription($id: ID!) { reflectionUpdated(id: $id) { id } }"


def _exchange(settings: AtelierSettings, token: str, messages: list[str]) -> list[Any]:
    """Send ``messages`` after the handshake and collect what comes back until an error, a completion or
    a close (the close code is collected as an int)."""
    received: list[Any] = []
    with (
        TestClient(create_app(settings)) as http,
        http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        ws.send_text(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(ws.receive_text())["type"] == "connection_ack"
        for message in messages:
            ws.send_text(message)
        try:
            while True:
                reply = json.loads(ws.receive_text())
                received.append(reply)
                if reply["type"] in ("error", "complete"):
                    return received
        except WebSocketDisconnect as closed:
            received.append(closed.code)
    return received


def _subscribe(query: str, variables: dict[str, object] | None = None, operation: str | None = None) -> str:
    payload: dict[str, object] = {"query": query, "variables": variables or {}}
    if operation is not None:
        payload["operationName"] = operation
    return json.dumps({"id": "1", "type": "subscribe", "payload": payload})


async def test_subscriptions_are_checked_like_http_requests(
    settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada")

    (two,) = await asyncio.to_thread(_exchange, settings, token, [_subscribe(TWO)])
    assert two["type"] == "error"
    assert "2 operations (A, B)" in two["payload"][0]["message"]
    assert two["payload"][0]["extensions"]["code"] == "BAD_REQUEST"

    chosen = await asyncio.to_thread(_exchange, settings, token, [_subscribe(TWO, operation="B")])
    assert chosen[0] == {"id": "1", "type": "next", "payload": {"data": {"reflectionUpdated": None}}}

    (nul,) = await asyncio.to_thread(_exchange, settings, token, [_subscribe(ONE, {"id": "Reflection:\x00"})])
    assert nul["type"] == "error" and nul["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    deep = '{"id": "1", "type": "subscribe", "payload": {"query": "x", "variables": ' + "[" * 10_000
    deep += "]" * 10_000 + "}}"
    (closed,) = await asyncio.to_thread(_exchange, settings, token, [deep])
    assert closed == 4400  # strawberry's answer to a message it cannot parse


def _viewer_then_again(settings: AtelierSettings, token: str, between: Callable[[], None]) -> list[Any]:
    """``{ viewer { handle } }`` twice on one graphql-transport-ws connection, ``between()`` in between;
    each operation's first reply."""
    replies: list[Any] = []
    with (
        TestClient(create_app(settings)) as http,
        http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        ws.send_text(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(ws.receive_text())["type"] == "connection_ack"
        for operation in ("1", "2"):
            if operation == "2":
                between()
            message = {"id": operation, "type": "subscribe", "payload": {"query": "{ viewer { handle } }"}}
            ws.send_text(json.dumps(message))
            replies.append(json.loads(ws.receive_text()))
            if replies[-1]["type"] == "next":
                assert json.loads(ws.receive_text())["type"] == "complete"
    return replies


async def test_a_token_revoked_while_its_socket_is_open_stops_working_on_it(
    settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    """Before, the principal was looked up once per connection: a revoked (stolen) token kept reading
    and writing over a socket opened before its revocation, for as long as the socket lived."""
    token = await make_user_with_token(session_factory, "ada")
    loop = asyncio.get_running_loop()

    async def revoke() -> None:
        async with unit_of_work(session_factory) as db:
            await db.execute(update(ApiToken).values(revoked_at=func.now()))

    def revoke_from_the_socket_thread() -> None:
        asyncio.run_coroutine_threadsafe(revoke(), loop).result(timeout=30)

    first, second = await asyncio.to_thread(
        _viewer_then_again, settings, token, revoke_from_the_socket_thread
    )
    assert first["payload"]["data"] == {"viewer": {"handle": "ada"}}
    assert second["type"] in ("next", "error")
    errors = second["payload"] if second["type"] == "error" else second["payload"].get("errors", [])
    assert [error["extensions"]["code"] for error in errors] == ["UNAUTHENTICATED"], second
