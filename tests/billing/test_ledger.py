"""The credit ledger against real PostgreSQL: transfers balance, holds resolve once, entries are immutable."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from billing import accounts, ledger, quotes
from billing.models import CreditAccount, CreditEntry, CreditHold
from catalog.accounts import service as catalog_accounts
from catalog.database import SessionFactory, unit_of_work
from catalog.settings import AtelierSettings
from tests.billing.library_builder import user_with_session

HOUR = timedelta(hours=1)


async def _user(factory: SessionFactory, handle: str = "ada") -> uuid.UUID:
    async with unit_of_work(factory) as db:
        return (await catalog_accounts.get_or_create_user(db, handle)).id


async def _sums(factory: SessionFactory, user_id: uuid.UUID) -> tuple[int, int, int, int]:
    """(cached balance, Σ entries, cached held, Σ pending holds) of the user's account."""
    async with factory() as db:
        account = await db.scalar(select(CreditAccount).where(CreditAccount.user_id == user_id))
        assert account is not None
        entries = await db.scalar(
            select(func.coalesce(func.sum(CreditEntry.amount), 0)).where(CreditEntry.account_id == account.id)
        )
        pending = await db.scalar(
            select(func.coalesce(func.sum(CreditHold.amount), 0)).where(
                CreditHold.account_id == account.id, CreditHold.state == "pending"
            )
        )
        return account.balance, int(entries or 0), account.held, int(pending or 0)


async def test_grant_hold_capture_and_void_keep_balances_equal_to_entries(
    session_factory: SessionFactory,
) -> None:
    user_id = await _user(session_factory)
    async with unit_of_work(session_factory) as db:
        await ledger.grant(db, user_id, 30, reference="welcome")
        first = await ledger.place_hold(db, user_id, 12, ttl=HOUR)
        second = await ledger.place_hold(db, user_id, 10, ttl=HOUR)
    assert isinstance(first, CreditHold) and isinstance(second, CreditHold)
    assert await _sums(session_factory, user_id) == (30, 30, 22, 22)

    async with unit_of_work(session_factory) as db:
        refused = await ledger.place_hold(db, user_id, 9, ttl=HOUR)
    assert refused == ledger.HoldRefused(required=9, available=8, owed=0)

    async with unit_of_work(session_factory) as db:
        captured = await ledger.capture_hold(db, first.id, 11, reference="reflection:x")
        again = await ledger.capture_hold(db, first.id, 11)
        voided_after_capture = await ledger.void_hold(db, first.id, reason="late")
        voided = await ledger.void_hold(db, second.id, reason="failed")
    assert (captured.resolved, captured.captured_amount) == (True, 11)
    assert not again.resolved and again.state == "captured"
    assert not voided_after_capture.resolved
    assert voided.resolved and voided.state == "voided"
    assert await _sums(session_factory, user_id) == (19, 19, 0, 0)
    async with session_factory() as db:
        assert (await ledger.balance_of(db, user_id)).available == 19
        transfers_sum = await db.scalar(text("SELECT coalesce(sum(amount), 0) FROM credit_entries"))
        assert transfers_sum == 0  # double entry: every transfer sums to zero
        page = await ledger.ledger_page(db, user_id, limit=10)
    assert [(line.kind, line.amount, line.balance_after) for line in page] == [
        ("capture", -11, 19),
        ("grant", 30, 30),
    ]


async def test_capture_never_charges_more_than_the_hold(session_factory: SessionFactory) -> None:
    user_id = await _user(session_factory)
    async with unit_of_work(session_factory) as db:
        await ledger.grant(db, user_id, 10)
        hold = await ledger.place_hold(db, user_id, 5, ttl=HOUR)
    assert isinstance(hold, CreditHold)
    with pytest.raises(ledger.LedgerError, match="between 0 and the held credits, got 6"):
        async with unit_of_work(session_factory) as db:
            await ledger.capture_hold(db, hold.id, 6)
    async with unit_of_work(session_factory) as db:
        assert (await ledger.capture_hold(db, hold.id, 0)).resolved
    assert await _sums(session_factory, user_id) == (10, 10, 0, 0)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE credit_entries SET amount = amount + 1",
        "DELETE FROM credit_entries",
        "TRUNCATE credit_entries CASCADE",
        "UPDATE credit_transfers SET amount = 1",
        "DELETE FROM credit_transfers",
    ],
)
async def test_the_database_refuses_to_change_entries(
    session_factory: SessionFactory, statement: str
) -> None:
    user_id = await _user(session_factory)
    async with unit_of_work(session_factory) as db:
        await ledger.grant(db, user_id, 5)
    with pytest.raises(DBAPIError, match="append-only"):
        async with unit_of_work(session_factory) as db:
            await db.execute(text(statement))
    assert await _sums(session_factory, user_id) == (5, 5, 0, 0)


async def test_the_database_refuses_a_negative_available_balance(session_factory: SessionFactory) -> None:
    user_id = await _user(session_factory)
    async with unit_of_work(session_factory) as db:
        await ledger.grant(db, user_id, 5)
    with pytest.raises(DBAPIError, match="ck_credit_account_available"):
        async with unit_of_work(session_factory) as db:
            await db.execute(text("UPDATE credit_accounts SET held = 6 WHERE user_id = :u"), {"u": user_id})


async def test_a_grant_with_the_same_key_is_posted_once(session_factory: SessionFactory) -> None:
    user_id = await _user(session_factory)
    for _ in range(3):
        async with unit_of_work(session_factory) as db:
            await ledger.grant(db, user_id, 7, idempotency_key="promo:spring")
    assert await _sums(session_factory, user_id) == (7, 7, 0, 0)


async def test_signup_credits_are_granted_once_when_the_account_opens(
    session_factory: SessionFactory,
) -> None:
    user_id = await _user(session_factory)
    for _ in range(2):
        async with unit_of_work(session_factory) as db:
            balance = await accounts.open_account(db, user_id, signup_credits=15)
    assert balance.balance == 15


async def test_a_refund_of_spent_credits_is_owed_and_blocks_holds_until_settled(
    session_factory: SessionFactory,
) -> None:
    user_id = await _user(session_factory)
    async with unit_of_work(session_factory) as db:
        await ledger.grant(db, user_id, 20, source="purchases", kind="purchase")
        hold = await ledger.place_hold(db, user_id, 15, ttl=HOUR)
        assert isinstance(hold, CreditHold)
        await ledger.capture_hold(db, hold.id, 15)
        taken, owed = await ledger.take_back(db, user_id, 20, reference="refund", idempotency_key="refund:1")
    assert (taken, owed) == (5, 15)
    async with unit_of_work(session_factory) as db:
        await ledger.grant(db, user_id, 10)
        refused = await ledger.place_hold(db, user_id, 1, ttl=HOUR)
        assert isinstance(refused, ledger.HoldRefused) and refused.owed == 5
        await ledger.grant(db, user_id, 8)
        settled = await ledger.balance_of(db, user_id)
        assert (settled.balance, settled.owed) == (3, 0)
        assert isinstance(await ledger.place_hold(db, user_id, 3, ttl=HOUR), CreditHold)


async def test_quote_and_confirm_follow_the_contract(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    user_id, session_id = await user_with_session(session_factory, settings, tmp_path, asset_count=55)
    _, small_session = await user_with_session(session_factory, settings, tmp_path, asset_count=30, day=3)
    terms = quotes.ReflectionTerms.from_settings(settings)
    async with unit_of_work(session_factory) as db:
        below = await quotes.create_quote(db, user_id, small_session, terms)
        missing = await quotes.create_quote(db, user_id, uuid.uuid4(), terms)
        created = await quotes.create_quote(db, user_id, session_id, terms)
    assert below == quotes.BelowThreshold(30, 50)
    assert isinstance(missing, quotes.SessionMissing)
    assert isinstance(created, quotes.QuoteCreated)
    quote = created.quote
    assert quote.cost >= 1 and quote.asset_count == 55 and created.available == 0

    async def confirm(key: str, quote_id: uuid.UUID = quote.id, **kwargs: datetime) -> object:
        try:
            async with unit_of_work(session_factory) as db:
                return await quotes.confirm_quote(db, user_id, quote_id, key, terms, **kwargs)
        except quotes.ConfirmRefused as refused:
            return refused.refusal

    short = await confirm("k1")
    assert isinstance(short, quotes.CreditsShort) and short.required == quote.cost and short.available == 0
    async with unit_of_work(session_factory) as db:
        await ledger.grant(db, user_id, quote.cost + 1)
    late = await confirm("k1", now=datetime.now(UTC) + timedelta(minutes=16))
    assert isinstance(late, quotes.QuoteUnusable) and "expired" in late.message
    placed = await confirm("k1")  # the refused attempts left the key unused
    assert isinstance(placed, quotes.HoldPlaced) and not placed.replayed
    replay = await confirm("k1")
    assert isinstance(replay, quotes.HoldPlaced) and replay.replayed and replay.hold_id == placed.hold_id
    assert isinstance(await confirm("k2"), quotes.QuoteUnusable)  # confirmed once, under k1
    async with unit_of_work(session_factory) as db:
        other = await quotes.create_quote(db, user_id, session_id, terms)
    assert isinstance(other, quotes.QuoteCreated)
    assert isinstance(await confirm("k1", quote_id=other.quote.id), quotes.KeyReused)
    assert await _sums(session_factory, user_id) == (quote.cost + 1, quote.cost + 1, quote.cost, quote.cost)


async def test_confirm_refuses_a_session_that_changed_or_shrank(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    from catalog.sessions import corrections
    from catalog.sessions.queries import session_assets_in_order

    user_id, session_id = await user_with_session(session_factory, settings, tmp_path, asset_count=70)
    terms = quotes.ReflectionTerms.from_settings(settings)
    async with unit_of_work(session_factory) as db:
        await ledger.grant(db, user_id, 100)
        first = await quotes.create_quote(db, user_id, session_id, terms)
        second = await quotes.create_quote(db, user_id, session_id, terms)
        members = await session_assets_in_order(db, user_id, session_id)
    assert isinstance(first, quotes.QuoteCreated) and isinstance(second, quotes.QuoteCreated)
    async with unit_of_work(session_factory) as db:  # split at 60: the session keeps 60 images
        await corrections.split_session(db, user_id, session_id, members[60].id)
    with pytest.raises(quotes.ConfirmRefused) as stale:
        async with unit_of_work(session_factory) as db:
            await quotes.confirm_quote(db, user_id, first.quote.id, "a", terms)
    assert isinstance(stale.value.refusal, quotes.QuoteOutdated)
    async with unit_of_work(session_factory) as db:  # split at 30: now below the threshold
        await corrections.split_session(db, user_id, session_id, members[30].id)
    with pytest.raises(quotes.ConfirmRefused) as below:
        async with unit_of_work(session_factory) as db:
            await quotes.confirm_quote(db, user_id, second.quote.id, "b", terms)
    assert below.value.refusal == quotes.BelowThreshold(30, 50)
    assert await _sums(session_factory, user_id) == (100, 100, 0, 0)


async def test_credits_released_from_a_hold_settle_what_a_refund_left_owed(
    session_factory: SessionFactory,
) -> None:
    user_id = await _user(session_factory)
    async with unit_of_work(session_factory) as db:
        await ledger.grant(db, user_id, 20, source="purchases", kind="purchase")
        hold = await ledger.place_hold(db, user_id, 15, ttl=HOUR)
        assert isinstance(hold, CreditHold)
        assert await ledger.take_back(db, user_id, 20, reference="refund", idempotency_key="r") == (5, 15)
        await ledger.void_hold(db, hold.id, reason="failed")
        settled = await ledger.balance_of(db, user_id)
    assert (settled.balance, settled.held, settled.owed) == (0, 0, 0)
    assert await _sums(session_factory, user_id) == (0, 0, 0, 0)
