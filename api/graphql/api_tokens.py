"""API tokens in GraphQL: ``viewer.apiTokens``, ``createApiToken``, ``revokeApiToken``.

Invariants: a token's secret (and its hash) never leaves this module except once, as
``ApiTokenCreated.token``, the moment it is made; the rules (lifetime, name, scopes) are
:mod:`catalog.accounts.service`'s, the same as ``atelier token create``. Another user's token id is
``NotFound``, indistinguishable from an id that never existed.

Scopes: listing needs ``library:read``; creating and revoking need ``library:write`` (there is no
dedicated token scope, and a read-only token must never mint or switch off tokens). On top of that a
token can only grant scopes it carries itself, may not create a token that outlives it, and can only
revoke tokens whose scopes it all carries (``ScopesNotHeld``), so no token ever widens its own reach.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.graphql.errors import NotFound
from api.graphql.node_interface import Node
from api.graphql.pagination import (
    CursorReader,
    PageInfo,
    check_page_size,
    decode_id,
    encode_cursor,
    encode_id,
)
from catalog.accounts import service as accounts
from catalog.accounts.token_format import ALL_SCOPES, UnknownScope
from catalog.database import unit_of_work
from catalog.models import ApiToken as ApiTokenRow

_TOKEN_CURSOR = "api-token"
_TOKEN_KIND = "ApiToken"


@strawberry.type(description="One of the viewer's API tokens (its secret is never shown again)")
class ApiToken(Node):
    id: strawberry.ID = strawberry.field(description="Global id (`ApiToken:<uuid>`), for `revokeApiToken`")
    name: str = strawberry.field(description="The name given at creation")
    prefix: str = strawberry.field(description="The public part of the token (`atl_<prefix>_…`)")
    scopes: list[str] = strawberry.field(description="What the token may do (e.g. `library:read`)")
    created_at: datetime = strawberry.field(description="When it was created (UTC)")
    expires_at: datetime | None = strawberry.field(description="null: never expires")
    last_used_at: datetime | None = strawberry.field(
        description="When it last authenticated a request (to the minute); null: never used"
    )
    revoked_at: datetime | None = strawberry.field(description="When it was revoked; null: not revoked")
    active: bool = strawberry.field(description="Neither revoked nor expired")
    current: bool = strawberry.field(description="This is the token making the request")

    @classmethod
    def from_row(cls, row: ApiTokenRow, *, now: datetime, current_token_id: uuid.UUID | None) -> ApiToken:
        return cls(
            id=encode_id(_TOKEN_KIND, row.id),
            name=row.name,
            prefix=row.prefix,
            scopes=sorted(row.scopes),
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
            active=row.revoked_at is None and (row.expires_at is None or row.expires_at > now),
            current=row.id == current_token_id,
        )


@strawberry.type(description="One API token with its cursor")
class ApiTokenEdge:
    node: ApiToken = strawberry.field(description="The token")
    cursor: str = strawberry.field(description="Opaque cursor of this token, for `after`")


@strawberry.type(description="A page of the viewer's API tokens, newest first")
class ApiTokenConnection:
    edges: list[ApiTokenEdge] = strawberry.field(description="The tokens of this page, newest first")
    page_info: PageInfo = strawberry.field(description="Whether more (older) tokens follow, and from where")


@strawberry.type(description="The new token: `token` is shown this once and cannot be recovered")
class ApiTokenCreated:
    token: str = strawberry.field(description="The secret token, `atl_<prefix>_<secret>`; store it now")
    api_token: ApiToken = strawberry.field(description="The new token's metadata")


@strawberry.type(description="A scope name that does not exist")
class UnknownTokenScope:
    message: str = strawberry.field(description="Which scope is unknown")
    known_scopes: list[str] = strawberry.field(description="Every scope a token may hold")


@strawberry.type(description="The request's token lacks scopes the action needs (no token widens its reach)")
class ScopesNotHeld:
    message: str = strawberry.field(description="What was refused and why")
    missing_scopes: list[str] = strawberry.field(description="The scopes the request's token lacks")


@strawberry.type(
    description="An expiry in the past, more than 3650 days ahead, or beyond the creating token's"
)
class InvalidTokenExpiry:
    message: str = strawberry.field(description="What is wrong with the expiry")


@strawberry.type(description="A blank, too long (over 100 characters) or unstorable token name")
class InvalidTokenName:
    message: str = strawberry.field(description="What is wrong with the name")


@strawberry.type(description="The token is revoked (now or earlier)")
class ApiTokenRevoked:
    api_token: ApiToken = strawberry.field(description="The revoked token, with its `revokedAt`")


CreateApiTokenPayload = Annotated[
    ApiTokenCreated | UnknownTokenScope | ScopesNotHeld | InvalidTokenExpiry | InvalidTokenName,
    strawberry.union(
        "CreateApiTokenPayload",
        description="ApiTokenCreated, or why not: UnknownTokenScope, ScopesNotHeld, InvalidTokenExpiry or "
        "InvalidTokenName",
    ),
]
RevokeApiTokenPayload = Annotated[
    ApiTokenRevoked | NotFound | ScopesNotHeld,
    strawberry.union(
        "RevokeApiTokenPayload",
        description="ApiTokenRevoked, or why not: NotFound (not one of the viewer's tokens) or ScopesNotHeld",
    ),
]


def _principal(info: Info[RequestContext, None]) -> accounts.AuthenticatedPrincipal:
    principal = info.context.principal
    if principal is None:  # permission classes run first; this is a programming error
        raise PermissionError("no authenticated user in this request")
    return principal


async def viewer_api_tokens(
    info: Info[RequestContext, None], first: int, after: str | None
) -> ApiTokenConnection:
    principal = _principal(info)
    limit = check_page_size(first)
    key: tuple[datetime, uuid.UUID] | None = None
    if after is not None:
        reader = CursorReader(after, _TOKEN_CURSOR)
        key = (reader.read_datetime(), reader.read_uuid())
        reader.finish()
    async with info.context.session_factory() as db:
        rows = await accounts.user_tokens_page(db, principal.user_id, limit=limit, after=key)
    now = datetime.now().astimezone()
    edges = [
        ApiTokenEdge(
            node=ApiToken.from_row(row, now=now, current_token_id=principal.token_id),
            cursor=encode_cursor(_TOKEN_CURSOR, row.created_at, row.id),
        )
        for row in rows[:limit]
    ]
    return ApiTokenConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None),
    )


async def create_api_token(
    info: Info[RequestContext, None], name: str, scopes: list[str], expires_at: datetime | None
) -> CreateApiTokenPayload:
    principal = _principal(info)
    try:
        async with unit_of_work(info.context.session_factory) as db:
            issued, row = await accounts.issue_token_by_token(
                db, principal.token_id, name=name, scopes=scopes, expires_at=expires_at
            )
    except UnknownScope as error:
        return UnknownTokenScope(message=str(error), known_scopes=list(ALL_SCOPES))
    except accounts.ScopesNotHeld as error:
        return ScopesNotHeld(message=str(error), missing_scopes=error.missing)
    except accounts.InvalidTokenLifetime as error:
        return InvalidTokenExpiry(message=str(error))
    except accounts.InvalidTokenName as error:
        return InvalidTokenName(message=str(error))
    now = datetime.now().astimezone()
    return ApiTokenCreated(
        token=issued.plaintext,
        api_token=ApiToken.from_row(row, now=now, current_token_id=principal.token_id),
    )


async def revoke_api_token(info: Info[RequestContext, None], id: strawberry.ID) -> RevokeApiTokenPayload:
    principal = _principal(info)
    token_id = decode_id(_TOKEN_KIND, id)
    if token_id is None:
        return NotFound(message="no such API token")
    try:
        async with unit_of_work(info.context.session_factory) as db:
            row = await accounts.revoke_user_token(
                db, principal.user_id, token_id, held_scopes=principal.scopes
            )
    except accounts.TokenNotFound as error:
        return NotFound(message=str(error))
    except accounts.ScopesNotHeld as error:
        return ScopesNotHeld(message=str(error), missing_scopes=error.missing)
    now = datetime.now().astimezone()
    return ApiTokenRevoked(api_token=ApiToken.from_row(row, now=now, current_token_id=principal.token_id))
