"""A malformed operation message over a WebSocket closes the socket with 4400 and a reason saying what
is wrong, in both subscription protocols; it never reaches the schema.

strawberry read ``payload.query``, ``variables`` and ``operationName`` without checking their types:
``"payload": null`` raised out of the connection handler (the socket dropped without a close frame, a
server error), ``"operationName": 5`` came back as ``INTERNAL_SERVER_ERROR``, and ``"query": 5`` or
``"variables": [1]`` ended the operation with a bare ``complete``, no error at all. Over HTTP the same
mistakes are a 400 (``api.graphql.http_guard``).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from catalog.database import SessionFactory
from catalog.settings import AtelierSettings
from tests.api.conftest import make_user_with_token

QUERY = 'subscription { reflectionUpdated(id: "Reflection:00000000-0000-0000-0000-000000000000") { id } }'

MALFORMED: dict[str, tuple[object, str]] = {
    "payload null": ({"id": "1", "payload": None}, "`payload` must be an object"),
    "payload a list": ({"id": "1", "payload": [QUERY]}, "`payload` must be an object"),
    "no query": ({"id": "1", "payload": {"variables": {}}}, "`payload.query` must be a string"),
    "query a number": ({"id": "1", "payload": {"query": 5}}, "`payload.query` must be a string"),
    "variables a list": (
        {"id": "1", "payload": {"query": QUERY, "variables": [1]}},
        "`payload.variables` must be an object or null",
    ),
    "operationName a number": (
        {"id": "1", "payload": {"query": QUERY, "operationName": 5}},
        "`payload.operationName` must be a string or null",
    ),
    "extensions a string": (
        {"id": "1", "payload": {"query": QUERY, "extensions": "x"}},
        "`payload.extensions` must be an object or null",
    ),
    "id a number": ({"id": 5, "payload": {"query": QUERY}}, "`id` must be a non-empty string"),
    "id missing": ({"payload": {"query": QUERY}}, "`id` must be a non-empty string"),
}


def _close_of(
    settings: AtelierSettings, token: str, protocol: str, message: dict[str, Any]
) -> tuple[Any, ...]:
    """What the server answers ``message`` with after the handshake: ``("closed", code, reason)`` or the
    first other message."""
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    with (
        TestClient(create_app(settings)) as http,
        http.websocket_connect("/graphql", subprotocols=[protocol]) as ws,
    ):
        ws.send_text(json.dumps(init))
        assert json.loads(ws.receive_text())["type"] == "connection_ack"
        ws.send_text(json.dumps({"type": kind, **message}))
        try:
            while True:
                reply = json.loads(ws.receive_text())
                if reply["type"] != "ka":  # graphql-ws keep-alives
                    return ("message", reply)
        except WebSocketDisconnect as closed:
            return ("closed", closed.code, closed.reason)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_malformed_operation_message_closes_the_socket_with_a_reason(
    settings: AtelierSettings, session_factory: SessionFactory, protocol: str
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    for label, (message, reason) in MALFORMED.items():
        assert isinstance(message, dict)
        answer = await asyncio.to_thread(_close_of, settings, token, protocol, message)
        assert answer[:2] == ("closed", 4400), (label, answer)
        assert reason in answer[2], (label, answer)
    # a well-formed one still runs: the reflection is not the viewer's, so it is null
    answer = await asyncio.to_thread(
        _close_of, settings, token, protocol, {"id": "1", "payload": {"query": QUERY}}
    )
    assert answer[0] == "message" and answer[1]["payload"]["data"] == {"reflectionUpdated": None}, answer
