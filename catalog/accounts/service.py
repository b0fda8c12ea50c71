"""Creating users, issuing and checking API tokens.

Invariants: a token is shown in plaintext exactly once (the return value of :func:`issue_token`);
authentication fails closed (unknown prefix, wrong secret, revoked or expired all give ``None``);
``last_used_at`` is updated at most once a minute per token to keep reads cheap.

Token lifetime: ``expires_in=None`` is the only way to a token that never expires; any given
lifetime must be positive and at most :data:`TOKEN_LIFETIME_MAX` (zero or negative used to be
stored as "no expiry", the opposite of what was asked). Every caller (CLI, a future GraphQL token
API) goes through :func:`issue_token`, so the rule holds everywhere.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.accounts import repository
from catalog.accounts.time_zones import InvalidTimeZone, checked_time_zone
from catalog.accounts.token_format import (
    ALL_SCOPES,
    TOKEN_LIFETIME_MAX,
    generate_token,
    is_token_prefix,
    prefix_of,
    token_matches,
    validate_scopes,
)
from catalog.models import ApiToken, User
from catalog.text_values import UnstorableText, name_problem, storable_text

HANDLE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{1,62}")
LAST_USED_GRANULARITY = timedelta(minutes=1)
TOKEN_NAME_MAX_CHARS = 100
DISPLAY_NAME_MAX_CHARS = 200


class AccountError(ValueError):
    pass


class InvalidTokenLifetime(AccountError):
    pass


class InvalidTokenName(AccountError):
    pass


class ScopesNotHeld(AccountError):
    """A token asked for, or acted on, scopes the acting token does not carry."""

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing


class TokenNotFound(AccountError):
    pass


@dataclass(frozen=True, slots=True)
class IssuedToken:
    plaintext: str
    prefix: str
    scopes: tuple[str, ...]
    user_handle: str
    expires_at: datetime | None
    """When the token stops working; ``None``: never."""
    token_id: uuid.UUID


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
    if not HANDLE_PATTERN.fullmatch(handle):
        raise AccountError(f"handle {handle!r} must be 2–63 lowercase letters, digits, '_', '.', '-'")
    if display_name is not None:
        _storable(display_name, what="the display name", max_chars=DISPLAY_NAME_MAX_CHARS)
    try:
        checked_time_zone(timezone)  # the one rule, updateViewer's: a zone the user can set again
    except InvalidTimeZone as error:
        raise AccountError(f"unknown timezone {error.shown!r}: {error.advice}") from error
    if await repository.user_by_handle(session, handle) is not None:
        raise AccountError(f"a user named {handle!r} already exists")
    return await repository.insert_user(session, handle=handle, display_name=display_name, timezone=timezone)


async def get_or_create_user(session: AsyncSession, handle: str, *, timezone: str = "UTC") -> User:
    if not HANDLE_PATTERN.fullmatch(handle):  # before the lookup: text SQL cannot take never gets there
        raise AccountError(f"handle {handle!r} must be 2–63 lowercase letters, digits, '_', '.', '-'")
    existing = await repository.user_by_handle(session, handle)
    return existing if existing is not None else await create_user(session, handle, timezone=timezone)


async def issue_token(
    session: AsyncSession,
    handle: str,
    *,
    name: str = "personal token",
    scopes: list[str] | None = None,
    expires_in: timedelta | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """``now``: the issue time the lifetime counts from (default: the clock)."""
    expires_at = token_expiry(datetime.now(UTC) if now is None else now, expires_in)
    try:
        _storable(name, what="the token name", max_chars=TOKEN_NAME_MAX_CHARS)
    except AccountError as error:
        raise InvalidTokenName(str(error)) from error
    if not name.strip():
        raise InvalidTokenName("the token name must not be blank")
    user = await repository.user_by_handle(session, handle) if HANDLE_PATTERN.fullmatch(handle) else None
    if user is None:
        raise AccountError(f"no user named {handle!r}; create one with `atelier user create {handle}`")
    chosen_scopes = validate_scopes(list(ALL_SCOPES) if scopes is None else scopes)
    new_token = generate_token()
    row = await repository.insert_token(
        session,
        user_id=user.id,
        name=name,
        prefix=new_token.prefix,
        secret_sha256=new_token.secret_sha256,
        scopes=chosen_scopes,
        expires_at=expires_at,
    )
    return IssuedToken(
        plaintext=new_token.plaintext,
        prefix=new_token.prefix,
        scopes=tuple(chosen_scopes),
        user_handle=user.handle,
        expires_at=expires_at,
        token_id=row.id,
    )


async def issue_token_by_token(
    session: AsyncSession,
    creator_token_id: uuid.UUID,
    *,
    name: str,
    scopes: list[str],
    expires_at: datetime | None,
) -> tuple[IssuedToken, ApiToken]:
    """Issue a token for the owner of ``creator_token_id`` (the GraphQL ``createApiToken``).

    No escalation: the new token's scopes must all be carried by the creating token, and it may not
    outlive it (a creator that expires cannot make a token that never does; revoking the creator
    revokes it too). Lifetime, name and scope
    rules are :func:`issue_token`'s. Returns the issued token and its stored row (defaults loaded).
    Raises :class:`~catalog.accounts.token_format.UnknownScope`, :class:`ScopesNotHeld`,
    :class:`InvalidTokenLifetime` or :class:`InvalidTokenName`.
    """
    creator = await repository.token_by_id(session, creator_token_id)
    user = None if creator is None else await repository.user_by_id(session, creator.user_id)
    if creator is None or user is None:
        raise TokenNotFound("the token making this request no longer exists")
    chosen = validate_scopes(scopes)
    missing = sorted(set(chosen) - set(creator.scopes))
    if missing:
        raise ScopesNotHeld(
            f"a token can only grant scopes it has itself; this one lacks {', '.join(missing)}", missing
        )
    if expires_at is not None and (expires_at.tzinfo is None or expires_at.utcoffset() is None):
        raise InvalidTokenLifetime("the expiry must carry a time zone (e.g. 2027-01-31T00:00:00Z)")
    now = datetime.now(UTC)
    if expires_at is not None and expires_at <= now:
        raise InvalidTokenLifetime(
            f"the expiry {expires_at.isoformat()} is not in the future; "
            "leave it out for a token that never expires"
        )
    if creator.expires_at is not None and (expires_at is None or expires_at > creator.expires_at):
        raise InvalidTokenLifetime(
            f"the new token may not outlive the token creating it (which expires {creator.expires_at})"
        )
    issued = await issue_token(
        session,
        user.handle,
        name=name,
        scopes=chosen,
        expires_in=None if expires_at is None else expires_at - now,
        now=now,
    )
    row = await repository.token_by_id(session, issued.token_id)
    assert row is not None
    row.created_by_token_id = creator.id  # revoked with its creator
    await session.flush()
    await session.refresh(row)
    return issued, row


async def user_tokens_page(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[ApiToken]:
    """Up to ``limit + 1`` of the user's tokens (revoked ones too), newest first."""
    return await repository.user_tokens_page(session, user_id, limit=limit, after=after)


async def user_tokens_by_ids(
    session: AsyncSession, user_id: uuid.UUID, token_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ApiToken]:
    """The user's tokens among ``token_ids`` (revoked ones too); another user's ids are absent."""
    return await repository.user_tokens_by_ids(session, user_id, token_ids)


async def revoke_user_token(
    session: AsyncSession, user_id: uuid.UUID, token_id: uuid.UUID, *, held_scopes: frozenset[str]
) -> ApiToken:
    """Revoke the user's token ``token_id`` (idempotent: an already revoked one is returned as it is).

    Another user's token is :class:`TokenNotFound`, exactly like a token that does not exist. A token
    carrying scopes outside ``held_scopes`` (the acting token's) is :class:`ScopesNotHeld`: a narrow
    token cannot switch off a broader one.
    """
    token = await repository.user_token(session, user_id, token_id)
    if token is None:
        raise TokenNotFound("no such API token")
    missing = sorted(set(token.scopes) - held_scopes)
    if missing:
        raise ScopesNotHeld(
            "only a token carrying all of a token's scopes may revoke it; "
            f"this one lacks {', '.join(missing)}",
            missing,
        )
    if token.revoked_at is None:
        await repository.revoke_token_by_id(session, token.id, datetime.now(UTC))
        await session.refresh(token)
    return token


def token_expiry(now: datetime, expires_in: timedelta | None) -> datetime | None:
    """When a token issued at ``now`` for ``expires_in`` expires; ``None`` only for ``None``.

    Raises :class:`InvalidTokenLifetime` for a lifetime that is zero, negative or longer than
    :data:`TOKEN_LIFETIME_MAX`.
    """
    if expires_in is None:
        return None
    if expires_in <= timedelta(0):
        raise InvalidTokenLifetime(
            f"a token's lifetime must be positive, got {expires_in}; "
            "leave the expiry out for a token that never expires"
        )
    if expires_in > TOKEN_LIFETIME_MAX:
        raise InvalidTokenLifetime(
            f"a token's lifetime is at most {TOKEN_LIFETIME_MAX.days} days, got {expires_in.days}"
        )
    return now + expires_in


def _storable(value: str, *, what: str, max_chars: int) -> None:
    """``value`` is a name that can be stored and shown (:func:`catalog.text_values.name_problem`:
    no control characters or bidirectional overrides) of at most ``max_chars``; else an
    :class:`AccountError` naming ``what``."""
    try:
        storable_text(value, what=what, max_chars=max_chars)
    except UnstorableText as error:
        raise AccountError(str(error)) from error
    problem = name_problem(value)
    if problem is not None:
        raise AccountError(f"{what} {problem}")


async def authenticate(session: AsyncSession, plaintext: str) -> AuthenticatedPrincipal | None:
    prefix = prefix_of(plaintext)
    if prefix is None:
        return None
    token = await repository.token_with_user_by_prefix(session, prefix)
    if token is None:
        return None
    now = datetime.now(UTC)
    if not token_matches(plaintext, token.secret_sha256) or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        await repository.mark_token_used(session, token.token_id, now, granularity=LAST_USED_GRANULARITY)
    return AuthenticatedPrincipal(
        user_id=token.user_id,
        user_handle=token.user_handle,
        timezone=token.timezone,
        token_id=token.token_id,
        scopes=frozenset(token.scopes),
    )


async def revoke_token(session: AsyncSession, prefix: str) -> bool:
    """Revoke the active token with this public ``prefix``; ``False`` when there is none."""
    if not is_token_prefix(prefix):
        return False
    return await repository.revoke_token(session, prefix=prefix, when=datetime.now(UTC))
