"""SQL for users and API tokens. Callers pass the session and commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import ColumnElement, bindparam, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from catalog.driver_reads import DriverRead
from catalog.models import ApiToken, User
from catalog.text_values import text_problem
from engine.analysis import DESCRIPTION_VERSION


async def insert_user(session: AsyncSession, *, handle: str, display_name: str | None, timezone: str) -> User:
    # a new user's sessions are all made by this engine: nothing to re-describe
    user = User(handle=handle, display_name=display_name, timezone=timezone)
    user.sessions_described_with = DESCRIPTION_VERSION
    session.add(user)
    await session.flush()
    return user


async def user_by_handle(session: AsyncSession, handle: str) -> User | None:
    """The user with ``handle``, or ``None``. A handle PostgreSQL cannot take as text (a NUL, or bytes
    of a command line that are not UTF-8, held as surrogate escapes) names no user: it is never sent,
    as no stored handle can equal it."""
    if text_problem(handle) is not None:
        return None
    return await session.scalar(select(User).where(User.handle == handle))


async def user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def insert_token(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    name: str,
    prefix: str,
    secret_sha256: bytes,
    scopes: list[str],
    expires_at: datetime | None,
) -> ApiToken:
    token = ApiToken(
        user_id=user_id,
        name=name,
        prefix=prefix,
        secret_sha256=secret_sha256,
        scopes=scopes,
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    return token


class TokenCredentials(NamedTuple):
    """What authenticating a request reads of a token and its owner (a plain tuple, read on the driver)."""

    token_id: uuid.UUID
    secret_sha256: bytes
    scopes: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    user_id: uuid.UUID
    user_handle: str
    timezone: str


_TOKEN_WITH_USER = DriverRead(
    select(
        ApiToken.id,
        ApiToken.secret_sha256,
        ApiToken.scopes,
        ApiToken.expires_at,
        ApiToken.revoked_at,
        ApiToken.last_used_at,
        User.id,
        User.handle,
        User.timezone,
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.prefix == bindparam("prefix"))
)
"""Every authenticated request runs it: compiled once, the prefix bound per call (``prefix`` is unique)."""


async def token_with_user_by_prefix(session: AsyncSession, prefix: str) -> TokenCredentials | None:
    rows = await _TOKEN_WITH_USER.rows(session, {"prefix": prefix})
    return TokenCredentials._make(rows[0]) if rows else None


async def mark_token_used(
    session: AsyncSession, token_id: uuid.UUID, when: datetime, *, granularity: timedelta
) -> None:
    """Set ``last_used_at`` unless it is already within ``granularity`` of ``when`` (concurrent
    requests with one token write at most once per ``granularity``)."""
    await session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < when - granularity),
        )
        .values(last_used_at=when)
    )


async def token_by_id(session: AsyncSession, token_id: uuid.UUID) -> ApiToken | None:
    return await session.get(ApiToken, token_id)


async def user_token(session: AsyncSession, user_id: uuid.UUID, token_id: uuid.UUID) -> ApiToken | None:
    """The token ``token_id`` if it belongs to ``user_id``, locked for update; ``None`` otherwise."""
    return await session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id).with_for_update()
    )


async def user_tokens_by_ids(
    session: AsyncSession, user_id: uuid.UUID, token_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ApiToken]:
    """The user's tokens among ``token_ids`` (revoked ones too; one query); others' ids are absent."""
    if not token_ids:
        return {}
    query = select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.id.in_(list(token_ids)))
    return {row.id: row for row in (await session.scalars(query)).all()}


async def user_tokens_page(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[ApiToken]:
    """Up to ``limit + 1`` of the user's tokens, newest first (keyset on ``created_at, id``)."""
    query = select(ApiToken).where(ApiToken.user_id == user_id)
    if after is not None:
        query = query.where(tuple_(ApiToken.created_at, ApiToken.id) < tuple_(*after))
    query = query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc()).limit(limit + 1)
    return list((await session.scalars(query)).all())


async def revoke_token_by_id(session: AsyncSession, token_id: uuid.UUID, when: datetime) -> None:
    """Revoke the token and every token it created, and theirs (a stolen token's children go with it)."""
    await _revoke_with_descendants(session, ApiToken.id == token_id, when)


async def revoke_token(session: AsyncSession, *, prefix: str, when: datetime) -> bool:
    """Revoke the token of ``prefix`` with its descendants; whether it was live."""
    return await _revoke_with_descendants(session, ApiToken.prefix == prefix, when)


async def _revoke_with_descendants(session: AsyncSession, root: ColumnElement[bool], when: datetime) -> bool:
    """Revoke the live tokens among the one ``root`` selects and all it created (recursively: a
    token's creator is older than it, so the tree has no cycle; ``UNION`` would stop one anyway);
    whether the root itself was live."""
    tree = select(ApiToken.id).where(root).cte("token_tree", recursive=True)
    children = aliased(ApiToken)
    tree = tree.union(select(children.id).join(tree, children.created_by_token_id == tree.c.id))
    root_live = await session.scalar(select(ApiToken.revoked_at.is_(None)).where(root))
    await session.execute(
        update(ApiToken)
        .where(ApiToken.id.in_(select(tree.c.id)), ApiToken.revoked_at.is_(None))
        .values(revoked_at=when)
    )
    return bool(root_live)
