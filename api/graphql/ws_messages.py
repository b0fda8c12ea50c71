"""Operation messages over WebSockets are checked for shape before strawberry reads them.

Both subscription protocols carry an operation as ``{"id": ..., "type": "subscribe" | "start",
"payload": {"query", "variables", "operationName", "extensions"}}``. strawberry indexes the payload
without checking it: ``"payload": null`` raised out of the connection handler (the socket dropped
without a close frame), ``"operationName": 5`` became ``INTERNAL_SERVER_ERROR``, and a number as
``query`` or a list as ``variables`` ended the operation with a bare ``complete`` and no error.

Each operation gets the context of the view's ``context_for_ws_operation`` (the app's looks the
connection's token up again — a revoked or expired token stops working on an open socket — with
fresh DataLoaders, so one operation never reads another's cached rows); operations already running
keep theirs.

Invariant: an operation message reaches strawberry only when ``id`` is a non-empty string,
``payload`` an object, ``payload.query`` a string, ``variables`` and ``extensions`` objects or null,
and ``operationName`` a string or null (the checks a JSON body gets over HTTP,
:mod:`api.graphql.http_guard`). Anything else closes the socket with 4400 and a reason naming the
field: what graphql-transport-ws prescribes for a message of a format it does not specify, and what
the legacy graphql-ws protocol gets too (it has no per-operation error for a message it cannot read).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import StartMessage

INVALID_MESSAGE_CODE = 4400
"""graphql-transport-ws's close code for a message it cannot read."""
MAX_REASON_CHARS = 120
"""A WebSocket close reason is at most 123 bytes of UTF-8; ours are short ASCII."""


def operation_message_problem(message: Mapping[str, Any]) -> str | None:
    """What is wrong with the operation message ``message`` (a ``subscribe`` or ``start``), or
    ``None`` when strawberry may read it."""
    operation_id = message.get("id")
    if not isinstance(operation_id, str) or not operation_id:
        return "`id` must be a non-empty string"
    payload = message.get("payload")
    if not isinstance(payload, Mapping):
        return "`payload` must be an object"
    if not isinstance(payload.get("query"), str):
        return "`payload.query` must be a string"
    for name in ("variables", "extensions"):
        if not isinstance(payload.get(name), Mapping | None):
            return f"`payload.{name}` must be an object or null"
    if not isinstance(payload.get("operationName"), str | None):
        return "`payload.operationName` must be a string or null"
    return None


async def _operation_context(view: object, context: Any) -> Any:
    """The context the next operation runs with: the view's ``context_for_ws_operation`` when it has
    one (:class:`api.graphql.http_guard.GuardedGraphQL`), else the connection's."""
    refresh = getattr(view, "context_for_ws_operation", None)
    return context if refresh is None else await refresh(context)


def _reason(problem: str) -> str:
    return f"Invalid operation message: {problem}"[:MAX_REASON_CHARS]


class CheckedTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws with :func:`operation_message_problem` checked before ``subscribe``."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        problem = operation_message_problem(message)
        if problem is not None:
            await self.websocket.close(code=INVALID_MESSAGE_CODE, reason=_reason(problem))
            return
        self.context = await _operation_context(self.view, self.context)
        await super().handle_subscribe(message)


class CheckedWSHandler(BaseGraphQLWSHandler[Any, Any]):
    """The legacy graphql-ws protocol with :func:`operation_message_problem` checked before ``start``."""

    async def handle_start(self, message: StartMessage) -> None:
        problem = operation_message_problem(message)
        if problem is not None:
            await self.websocket.close(code=INVALID_MESSAGE_CODE, reason=_reason(problem))
            return
        self.context = await _operation_context(self.view, self.context)
        await super().handle_start(message)
