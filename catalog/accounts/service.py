"""Creating users, issuing and checking API tokens.

Invariants: a token is shown in plaintext exactly once (the return value of :func:`issue_token`);
authentication fails closed (unknown prefix, wrong secret, revoked or expired all give ``None``);
``last_used_at`` is updated at most once a minute per token to keep reads cheap.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.accounts import repository
from catalog.accounts.token_format import (
    ALL_SCOPES,
    generate_token,
    prefix_of,
    token_matches,
    validate_scopes,
)
from catalog.models import User

HANDLE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,62}$")
LAST_USED_GRANULARITY = timedelta(minutes=1)


class AccountError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class IssuedToken:
    plaintext: str
    prefix: str
    scopes: tuple[str, ...]
    user_handle: str


@dataclass(frozen=True, slots=True)
class AuthenticatedPrincipal:
    user_id: uuid.UUID
    user_handle: str
    timezone: str
    token_id: uuid.UUID
    scopes: frozenset[str]


async def create_user(
    session: AsyncSession, handle: str, *, display_name: str | None = None, timezone: str = "UTC"
) -> User:
    if not HANDLE_PATTERN.match(handle):
        raise AccountError(f"handle {handle!r} must be 2–63 lowercase letters, digits, '_', '.', '-'")
    try:
        ZoneInfo(timezone)
    except (KeyError, ValueError) as error:
        raise AccountError(f"unknown timezone {timezone!r}") from error
    if await repository.user_by_handle(session, handle) is not None:
        raise AccountError(f"a user named {handle!r} already exists")
    return await repository.insert_user(session, handle=handle, display_name=display_name, timezone=timezone)


async def get_or_create_user(session: AsyncSession, handle: str, *, timezone: str = "UTC") -> User:
    existing = await repository.user_by_handle(session, handle)
    return existing if existing is not None else await create_user(session, handle, timezone=timezone)


async def issue_token(
    session: AsyncSession,
    handle: str,
    *,
    name: str = "personal token",
    scopes: list[str] | None = None,
    expires_in: timedelta | None = None,
) -> IssuedToken:
    user = await repository.user_by_handle(session, handle)
    if user is None:
        raise AccountError(f"no user named {handle!r}; create one with `atelier user create {handle}`")
    chosen_scopes = validate_scopes(list(ALL_SCOPES) if scopes is None else scopes)
    new_token = generate_token()
    await repository.insert_token(
        session,
        user_id=user.id,
        name=name,
        prefix=new_token.prefix,
        secret_sha256=new_token.secret_sha256,
        scopes=chosen_scopes,
        expires_at=datetime.now(UTC) + expires_in if expires_in else None,
    )
    return IssuedToken(
        plaintext=new_token.plaintext,
        prefix=new_token.prefix,
        scopes=tuple(chosen_scopes),
        user_handle=user.handle,
    )


async def authenticate(session: AsyncSession, plaintext: str) -> AuthenticatedPrincipal | None:
    prefix = prefix_of(plaintext)
    if prefix is None:
        return None
    found = await repository.token_with_user_by_prefix(session, prefix)
    if found is None:
        return None
    token, user = found
    now = datetime.now(UTC)
    if not token_matches(plaintext, token.secret_sha256) or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        await repository.mark_token_used(session, token.id, now)
    return AuthenticatedPrincipal(
        user_id=user.id,
        user_handle=user.handle,
        timezone=user.timezone,
        token_id=token.id,
        scopes=frozenset(token.scopes),
    )


async def revoke_token(session: AsyncSession, prefix: str) -> bool:
    return await repository.revoke_token(session, prefix=prefix, when=datetime.now(UTC))
