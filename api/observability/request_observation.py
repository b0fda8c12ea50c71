"""Per-request observation: a request id, one structured log line and the request metrics.

:class:`RequestObservation` is plain ASGI middleware (HTTP only; WebSockets pass through untouched):

- the request id is the client's ``X-Request-ID`` when it is 1–128 characters of ``[A-Za-z0-9._:-]``,
  else a fresh UUID (hex); it is echoed in the response's ``X-Request-ID`` header and set in
  :data:`api.observability.json_logs.REQUEST_ID` for every log line written while handling it;
- when the response is done one line is logged (logger ``atelier.http``): ``method``, ``path``,
  ``status``, ``duration_ms`` and, for GraphQL, ``operation`` and ``operation_type`` — at ``info``,
  except the probes and ``/metrics`` (``debug``: scrapers would drown the log);
- the request is counted and, for GraphQL, timed by operation (:mod:`api.observability.metrics`).

:class:`GraphQLOperationObserver` (a strawberry schema extension) tells the middleware which operation
the request ran, through the :class:`RequestFacts` of the current context.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from api.observability.json_logs import REQUEST_ID
from api.observability.metrics import operation_label, record_http_request

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
logger = logging.getLogger("atelier.http")


@dataclass(slots=True)
class RequestFacts:
    """What parts of the app learn about the request in flight (mutated in place: one per request)."""

    request_id: str
    graphql_operation: str | None = None
    """The bounded operation label, set once a GraphQL operation was seen."""
    operation_name: str | None = None
    operation_type: str | None = None


CURRENT_REQUEST: ContextVar[RequestFacts | None] = ContextVar("atelier_request_facts", default=None)


def request_id_from(headers: Headers) -> str:
    offered = headers.get(REQUEST_ID_HEADER, "")
    return offered if _VALID_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


class RequestObservation:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        facts = RequestFacts(request_id=request_id_from(Headers(scope=scope)))
        facts_token = CURRENT_REQUEST.set(facts)
        id_token = REQUEST_ID.set(facts.request_id)
        status = 500  # unless a response starts: an exception escaping the app becomes a 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = facts.request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            path: str = scope.get("path", "")
            record_http_request(path, status, seconds, facts.graphql_operation)
            fields: dict[str, object] = {
                "method": scope.get("method"),
                "path": path,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            }
            if facts.graphql_operation is not None:
                fields["operation"] = facts.operation_name
                fields["operation_type"] = facts.operation_type
            level = logging.DEBUG if path in QUIET_PATHS and status < 500 else logging.INFO
            logger.log(level, "request", extra={"fields": fields})
            REQUEST_ID.reset(id_token)
            CURRENT_REQUEST.reset(facts_token)


class GraphQLOperationObserver(SchemaExtension):
    """Records the operation's name and type on the current request (no-op outside HTTP requests)."""

    def on_operation(self) -> Iterator[None]:
        yield
        facts = CURRENT_REQUEST.get()
        if facts is None:
            return
        context = self.execution_context
        parsed = context.graphql_document is not None
        facts.operation_name = context.operation_name if parsed else None
        facts.graphql_operation = operation_label(facts.operation_name, parsed=parsed)
        if parsed:
            try:
                facts.operation_type = context.operation_type.value
            except RuntimeError:  # an operationName the document lacks: the request failed anyway
                facts.operation_type = None
