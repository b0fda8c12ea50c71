"""``/graphql`` over HTTP that answers every malformed request with a 4xx and a GraphQL error body.

strawberry's view trusts the body more than a public endpoint can: ``null``, ``"x"`` or ``1`` as a
body, JSON nested 100,000 deep, invalid UTF-8 or 5,000-digit numbers escaped as server errors, and
its own refusals were plain text. :class:`GuardedGraphQL` puts limits in front and answers in one
shape, ``{"errors": [{"message": ..., "extensions": {"code": ...}}]}``:

- the body is at most :data:`MAX_BODY_BYTES` (413 ``PAYLOAD_TOO_LARGE``, checked against
  ``Content-Length`` first and counted while reading, so an oversized body is never held whole);
  a subclass may allow more for some requests (:meth:`GuardedGraphQL.body_limit`: multipart
  uploads, :mod:`api.graphql.multipart`);
- the JSON (body, a GET's ``variables``, and WebSocket messages, which share ``decode_json``) is
  strict JSON, nested at most :data:`MAX_JSON_DEPTH` deep, and a request body is an object (or a
  batch, which is refused as strawberry refuses it); ``operationName`` is a string or null; a
  WebSocket operation message is checked the same way (:mod:`api.graphql.ws_messages`);
- every refusal strawberry raises (unsupported content type, no query, unknown operation name,
  a mutation over GET) becomes that GraphQL-shaped body with its status and a code;
- the response's media type is negotiated (:mod:`api.graphql.media_type`): a client that accepts
  ``application/graphql-response+json`` gets it, and then a request error of the GraphQL layer
  (syntax, validation, variables; see :mod:`api.graphql.error_codes`) is HTTP 400; an
  ``application/json`` client gets 200 for those (GraphQL over HTTP). Either way the body of a
  request error has no ``data`` (the operation never ran).

Limits on the document itself (depth, aliases, tokens) are schema extensions (:mod:`api.graphql.schema`),
its cost too (:mod:`api.graphql.cost_limits`); a request refused for a spent cost budget
(``RATE_LIMITED``) is HTTP 429 with a ``Retry-After`` header, whatever the media type. With
``request_slots`` set, at most that many requests of one client (its ``Authorization`` header, else
its address) are answered at once; the others wait (:mod:`api.graphql.request_slots`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types.execution import ExecutionResult

from api.context import RequestContext
from api.graphql import error_codes
from api.graphql.media_type import GRAPHQL_RESPONSE_JSON, accepts_graphql_response_json
from api.graphql.request_slots import RequestSlots
from api.graphql.ws_messages import CheckedTransportWSHandler, CheckedWSHandler
from engine.record_codec import MAX_INT_DIGITS

MAX_BODY_BYTES = 1_000_000
"""Far above any real document (≤ 4,000 tokens) with its variables (at most a few thousand ids)."""
MAX_JSON_DEPTH = 32
"""Real requests nest 5–6 deep (body, variables, input object, list); 32 leaves room for any input type."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class JSONTooDeep(json.JSONDecodeError):
    """JSON nested deeper than :data:`MAX_JSON_DEPTH` (a ``JSONDecodeError``, so WebSocket messages
    are refused the way strawberry refuses any unparsable message)."""

    def __init__(self) -> None:
        super().__init__(f"JSON is nested deeper than {MAX_JSON_DEPTH} levels", "", 0)


class BodyTooLarge(Exception):
    def __init__(self, limit: int, what: str) -> None:
        super().__init__(f"The request body is larger than {limit:,} bytes ({what}).")


class GuardedGraphQL(GraphQL[RequestContext, None]):
    request_slots: RequestSlots | None = None
    """Requests of one client answered at once (``None``: no limit)."""
    graphql_transport_ws_handler_class = CheckedTransportWSHandler
    graphql_ws_handler_class = CheckedWSHandler
    """WebSocket operation messages are checked for shape as HTTP bodies are
    (:mod:`api.graphql.ws_messages`)."""

    async def context_for_ws_operation(self, context: RequestContext) -> RequestContext:
        """The context one WebSocket operation runs with (:mod:`api.graphql.ws_messages`): the
        connection's own here; the app's looks its token up again."""
        return context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        limit, what = self.body_limit(scope)
        try:
            declared = declared_length(scope)
        except ValueError:
            response: Response = error_response(400, "Content-Length is not a number of bytes.")
        else:
            if declared is not None and declared > limit:
                response = _too_large_response(BodyTooLarge(limit, what))
            else:
                response = await self._answer(Request(scope, capped_receive(receive, limit, what)))
        await response(scope, receive, send)

    def body_limit(self, scope: Scope) -> tuple[int, str]:
        """The largest body this request may have, and what that limit is (for the 413's message)."""
        return MAX_BODY_BYTES, "the limit for a GraphQL request"

    async def _answer(self, request: Request) -> Response:
        """strawberry's answer, with its refusals (and an oversized body) as GraphQL error bodies, in
        the negotiated media type."""
        try:
            if self.request_slots is None:
                response = await self.run(request)
            else:
                async with self.request_slots.slot(client_key(request)):
                    response = await self.run(request)
        except HTTPException as refusal:
            if _is_operation_choice(refusal) and not _wants_graphql_response_json(request):
                # a well-formed request the GraphQL layer refuses: 200 for application/json clients
                response = error_response(200, refusal.reason, error_codes.BAD_REQUEST)
            else:
                response = error_response(refusal.status_code, refusal.reason)
        except BodyTooLarge as error:
            response = _too_large_response(error)
        if _wants_graphql_response_json(request) and response.headers.get("content-type", "").startswith(
            "application/json"
        ):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
        return response

    def decode_json(self, data: str | bytes) -> object:
        """Strict JSON (no ``NaN``/``Infinity``), nested at most :data:`MAX_JSON_DEPTH` deep."""
        try:
            value = json.loads(data, parse_constant=_refuse_constant, parse_int=_bounded_int)
        except RecursionError as error:
            raise JSONTooDeep from error
        except json.JSONDecodeError:
            raise
        except ValueError as error:  # invalid UTF-8 bytes, numbers longer than int() takes, NaN
            raise json.JSONDecodeError(str(error), "", 0) from error
        if _nesting_depth(value) > MAX_JSON_DEPTH:
            raise JSONTooDeep
        return value

    def parse_json(self, data: str | bytes) -> Any:
        try:
            value = self.decode_json(data)
        except JSONTooDeep as error:
            raise HTTPException(400, f"The request's {error.msg}.") from error
        except json.JSONDecodeError as error:
            raise HTTPException(400, f"Unable to parse the request as JSON: {error.msg}.") from error
        if not isinstance(value, dict | list):
            raise HTTPException(
                400, f'A GraphQL request is a JSON object ({{"query": ...}}), not {_json_kind(value)}.'
            )
        return value

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        for item in parsed if isinstance(parsed, list) else [parsed]:
            if not isinstance(item.operation_name, str | None):
                raise HTTPException(400, "The GraphQL operation's `operationName` must be a string or null.")
        return parsed

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        result = await super().execute_single(
            request=request,
            request_adapter=request_adapter,
            sub_response=sub_response,
            context=context,
            root_value=root_value,
            request_data=request_data,
        )
        retry_after = rate_limited_retry_after(result)
        if retry_after is not None:
            sub_response.status_code = 429
            sub_response.headers["Retry-After"] = str(retry_after)
        elif is_request_error(result) and _wants_graphql_response_json(request):
            sub_response.status_code = 400
        return result

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        if is_request_error(result) or rate_limited_retry_after(result) is not None:
            processed.pop("data", None)  # the operation never ran: no data entry (GraphQL spec)
        return processed


def is_request_error(result: ExecutionResult) -> bool:
    """Whether ``result`` is a refusal before execution: no data, only client-coded pathless errors."""
    errors: list[GraphQLError] = result.errors or []
    return (
        result.data is None
        and bool(errors)
        and all(
            error.path is None and (error.extensions or {}).get("code") in error_codes.REQUEST_ERROR_CODES
            for error in errors
        )
    )


def rate_limited_retry_after(result: ExecutionResult) -> int | None:
    """The ``retryAfter`` seconds of a request refused as ``RATE_LIMITED`` (``None`` otherwise)."""
    if result.data is not None:
        return None
    for error in result.errors or []:
        extensions = error.extensions or {}
        if extensions.get("code") == error_codes.RATE_LIMITED and isinstance(
            extensions.get("retryAfter"), int
        ):
            return int(extensions["retryAfter"])
    return None


def client_key(request: Request) -> str:
    """Who a request is from, for :class:`RequestSlots`: its bearer credentials (hashed: the key is
    kept in memory) or, without any, its address."""
    authorization = request.headers.get("authorization")
    if authorization:
        return "auth:" + hashlib.sha256(authorization.encode("utf-8", "surrogateescape")).hexdigest()
    return f"ip:{request.client.host if request.client else 'unknown'}"


def _wants_graphql_response_json(request: Request) -> bool:
    return accepts_graphql_response_json(request.headers.get("accept"))


_UNKNOWN_OPERATION = "Unknown operation named"
"""How strawberry words its refusal of an ``operationName`` the document does not hold."""


def _is_operation_choice(refusal: HTTPException) -> bool:
    """Whether strawberry refused the request's choice of operation (an unknown ``operationName``):
    a GraphQL request error, 200 for ``application/json`` clients like the other operation-choice
    refusal (several operations without a name, :mod:`api.graphql.request_checks`)."""
    return refusal.status_code == 400 and refusal.reason.startswith(_UNKNOWN_OPERATION)


def error_response(status_code: int, message: str, code: str | None = None) -> JSONResponse:
    chosen = code or error_codes.code_for_http_status(status_code)
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": chosen}}]}, status_code)


def _too_large_response(error: BodyTooLarge) -> JSONResponse:
    return error_response(413, str(error))


def declared_length(scope: Scope) -> int | None:
    """The ``Content-Length`` the client declared (``None`` when absent); ``ValueError`` if not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if not (text.isascii() and text.isdigit()):
                raise ValueError(text)
            return int(text)
    return None


def capped_receive(receive: Receive, limit: int, what: str) -> Receive:
    """``receive`` that raises :class:`BodyTooLarge` once the body passes ``limit`` bytes."""
    seen = 0

    async def capped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit, what)
        return message

    return capped


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _bounded_int(text: str) -> int:
    """A JSON integer, or a ``ValueError`` a client can read when it has more digits than ``int``
    converts (Python's own message tells the reader to call ``sys.set_int_max_str_digits()``)."""
    digits = len(text) - text.startswith("-")
    if digits > MAX_INT_DIGITS:
        raise ValueError(f"a number has {digits} digits (at most {MAX_INT_DIGITS} are read)")
    return int(text)


def _nesting_depth(value: object) -> int:
    """How deep ``value`` nests (a scalar is 0), counted no further than one past the limit."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending and deepest <= MAX_JSON_DEPTH:
        item, depth = pending.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in item)
    return deepest


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string"
