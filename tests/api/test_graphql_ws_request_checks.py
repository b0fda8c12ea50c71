"""The request checks hold over graphql-transport-ws too: one operation, storable text, bounded JSON."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from catalog.database import SessionFactory
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
