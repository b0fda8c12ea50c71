"""Issuing and revoking tokens on behalf of a token (the GraphQL path): no token widens its reach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from catalog.accounts import service as accounts
from catalog.database import SessionFactory, unit_of_work
from catalog.models import ApiToken


async def _token_id(factory: SessionFactory, plaintext: str) -> accounts.AuthenticatedPrincipal:
    async with unit_of_work(factory) as db:
        principal = await accounts.authenticate(db, plaintext)
    assert principal is not None
    return principal


async def test_scopes_and_lifetime_are_bounded_by_the_creating_token(session_factory: SessionFactory) -> None:
    async with unit_of_work(session_factory) as db:
        await accounts.create_user(db, "ada")
        narrow = await accounts.issue_token(
            db, "ada", scopes=["library:read", "library:write"], expires_in=timedelta(days=2)
        )
    creator = await _token_id(session_factory, narrow.plaintext)

    with pytest.raises(accounts.ScopesNotHeld) as refused:
        async with unit_of_work(session_factory) as db:
            await accounts.issue_token_by_token(
                db, creator.token_id, name="x", scopes=["credits:read"], expires_at=None
            )
    assert refused.value.missing == ["credits:read"]
    with pytest.raises(accounts.InvalidTokenLifetime, match="outlive"):
        async with unit_of_work(session_factory) as db:
            await accounts.issue_token_by_token(
                db, creator.token_id, name="x", scopes=["library:read"], expires_at=None
            )
    async with session_factory() as db:
        assert await db.scalar(select(func.count()).select_from(ApiToken)) == 1

    expires = datetime.now(UTC) + timedelta(days=1)
    async with unit_of_work(session_factory) as db:
        issued, row = await accounts.issue_token_by_token(
            db, creator.token_id, name="reader", scopes=["library:read"], expires_at=expires
        )
    assert issued.expires_at == expires == row.expires_at and row.created_at is not None
    assert (await _token_id(session_factory, issued.plaintext)).scopes == {"library:read"}


async def test_revoking_needs_every_scope_of_the_target_and_its_owner(
    session_factory: SessionFactory,
) -> None:
    async with unit_of_work(session_factory) as db:
        await accounts.create_user(db, "ada")
        await accounts.create_user(db, "bob")
        full = await accounts.issue_token(db, "ada")
        bobs = await accounts.issue_token(db, "bob")
    ada = await _token_id(session_factory, full.plaintext)
    bob = await _token_id(session_factory, bobs.plaintext)

    with pytest.raises(accounts.TokenNotFound):
        async with unit_of_work(session_factory) as db:
            await accounts.revoke_user_token(db, bob.user_id, ada.token_id, held_scopes=bob.scopes)
    with pytest.raises(accounts.ScopesNotHeld):
        async with unit_of_work(session_factory) as db:
            await accounts.revoke_user_token(
                db, ada.user_id, ada.token_id, held_scopes=frozenset({"library:read"})
            )
    await _token_id(session_factory, full.plaintext)  # still works
    async with unit_of_work(session_factory) as db:
        row = await accounts.revoke_user_token(db, ada.user_id, ada.token_id, held_scopes=ada.scopes)
    assert row.revoked_at is not None
    async with unit_of_work(session_factory) as db:
        assert await accounts.authenticate(db, full.plaintext) is None
