"""The principal behind a request's ``Authorization: Bearer <token>`` header (or ``None``).

Fails closed: a missing header, another scheme, or a token that is unknown, revoked, expired or not
well formed all give ``None``; nothing about the header can make this raise.

One lookup per HTTP request: the answer is kept in the request's ASGI scope, so the upload check
before a multipart body is read and the GraphQL context made afterwards (two ``Request`` objects on
one scope) share it — one token lookup (and at most one ``last_used_at`` write) per request. Not for
WebSockets: a connection lives long, and each of its operations looks the token up afresh (a revoked
token stops working on it: ``AtelierGraphQL.context_for_ws_operation``; a subscription already running
ends with ``UNAUTHENTICATED`` at its next token check, ``api.graphql.reflections.TOKEN_RECHECK_SECONDS``).
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from catalog.accounts.service import AuthenticatedPrincipal, authenticate
from catalog.database import SessionFactory


def bearer_token(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


_PRINCIPAL_KEY = "atelier.principal"
"""Where an HTTP request's principal (or ``None``) is kept in its ASGI scope once looked up."""


async def principal_from_request(
    factory: SessionFactory, request: HTTPConnection
) -> AuthenticatedPrincipal | None:
    http = request.scope["type"] == "http"
    if http and _PRINCIPAL_KEY in request.scope:
        remembered: AuthenticatedPrincipal | None = request.scope[_PRINCIPAL_KEY]
        return remembered
    principal = await _look_up(factory, request)
    if http:
        request.scope[_PRINCIPAL_KEY] = principal
    return principal


async def _look_up(factory: SessionFactory, request: HTTPConnection) -> AuthenticatedPrincipal | None:
    token = bearer_token(request.headers.get("authorization", ""))
    if token is None:
        return None
    # no transaction for the lookup (a read on the driver); one only when the token's last-used
    # time is written (at most once per granularity), committed here
    async with factory() as db:
        principal = await authenticate(db, token)
        await db.commit()
    return principal
