"""A token lifetime is positive or absent; 0 never means "no expiry" (issue 10, item 12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from catalog.accounts import service as accounts
from catalog.database import SessionFactory, unit_of_work
from catalog.models import ApiToken


@pytest.mark.parametrize(
    "lifetime", [timedelta(0), timedelta(days=-1), timedelta(seconds=-1), timedelta(days=3651)]
)
async def test_a_zero_negative_or_endless_lifetime_is_refused_and_nothing_is_stored(
    session_factory: SessionFactory, lifetime: timedelta
) -> None:
    async with unit_of_work(session_factory) as db:
        await accounts.create_user(db, "ada")
    with pytest.raises(accounts.InvalidTokenLifetime, match="lifetime"):
        async with unit_of_work(session_factory) as db:
            await accounts.issue_token(db, "ada", expires_in=lifetime)
    async with session_factory() as db:
        assert (await db.scalars(select(ApiToken))).all() == []


async def test_tokens_expire_when_asked_and_only_none_means_never(session_factory: SessionFactory) -> None:
    async with unit_of_work(session_factory) as db:
        await accounts.create_user(db, "ada")
        day = await accounts.issue_token(db, "ada", expires_in=timedelta(days=1))
        forever = await accounts.issue_token(db, "ada")
        brief = await accounts.issue_token(db, "ada", expires_in=timedelta(microseconds=1))
    assert forever.expires_at is None
    assert day.expires_at is not None
    assert abs(day.expires_at - (datetime.now(UTC) + timedelta(days=1))) < timedelta(minutes=5)
    async with unit_of_work(session_factory) as db:
        assert await accounts.authenticate(db, day.plaintext) is not None
        assert await accounts.authenticate(db, forever.plaintext) is not None
        assert await accounts.authenticate(db, brief.plaintext) is None  # already expired


async def test_token_names_and_malformed_tokens_cannot_reach_the_database(
    session_factory: SessionFactory,
) -> None:
    async with unit_of_work(session_factory) as db:
        await accounts.create_user(db, "ada")
        issued = await accounts.issue_token(db, "ada")
    for name in ("ci\x00", "lone \ud800", " ", "x" * 101):
        with pytest.raises(accounts.AccountError):
            async with unit_of_work(session_factory) as db:
                await accounts.issue_token(db, "ada", name=name)
    with pytest.raises(accounts.AccountError, match="no user"):
        async with unit_of_work(session_factory) as db:
            await accounts.issue_token(db, "ada\udcff")
    for handle in ("ada\udcff", "ada\x00", "ada\n"):  # e.g. `atelier import --user` with bytes from argv
        with pytest.raises(accounts.AccountError, match="handle"):
            async with unit_of_work(session_factory) as db:
                await accounts.get_or_create_user(db, handle)
    async with unit_of_work(session_factory) as db:
        for plaintext in (
            issued.plaintext + "\n",
            issued.plaintext.replace("atl_", "atl_\x00", 1),
            f"atl_{issued.prefix}_\ud800",
            f"atl_{'é' * 10}_secret",
            f"atl_{issued.prefix}_",
        ):
            assert await accounts.authenticate(db, plaintext) is None, plaintext
        assert await accounts.revoke_token(db, "\x00" * 10) is False
        assert await accounts.revoke_token(db, "\udcff") is False
        assert await accounts.authenticate(db, issued.plaintext) is not None
