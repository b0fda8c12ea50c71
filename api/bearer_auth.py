"""The principal behind a request's ``Authorization: Bearer <token>`` header (or ``None``).

Fails closed: a missing header, another scheme, or a token that is unknown, revoked, expired or not
well formed all give ``None``; nothing about the header can make this raise.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from catalog.accounts.service import AuthenticatedPrincipal, authenticate
from catalog.database import SessionFactory, unit_of_work


def bearer_token(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def principal_from_request(
    factory: SessionFactory, request: HTTPConnection
) -> AuthenticatedPrincipal | None:
    token = bearer_token(request.headers.get("authorization", ""))
    if token is None:
        return None
    async with unit_of_work(factory) as db:
        return await authenticate(db, token)
