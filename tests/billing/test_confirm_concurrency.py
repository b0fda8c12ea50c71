"""1,000+ confirms from independent connections on one balance that covers 37 of them.

Each of 334 quotes is confirmed 3 times with its own idempotency key, all at once (bounded only by
the connection pool). A concurrent reader samples the account the whole time. Exactly 37 holds are
placed, every key gets one answer three times, available never dips below zero, and the cached
balance equals the sum of the entries.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from pathlib import Path

from sqlalchemy import func, select, text

from billing import ledger, quotes
from billing.models import CreditAccount, CreditEntry, CreditHold
from catalog.database import SessionFactory, create_database_engine, create_session_factory, unit_of_work
from catalog.settings import AtelierSettings
from tests.billing.library_builder import user_with_session

QUOTES = 334
CONFIRMS_PER_KEY = 3
AFFORDABLE = 37
CONNECTIONS = 24


async def test_concurrent_confirms_hold_exactly_what_the_balance_covers(
    session_factory: SessionFactory, settings: AtelierSettings, database_url: str, tmp_path: Path
) -> None:
    user_id, session_id = await user_with_session(session_factory, settings, tmp_path, asset_count=50)
    terms = quotes.ReflectionTerms.from_settings(settings)
    quote_ids: list[uuid.UUID] = []
    async with unit_of_work(session_factory) as db:
        for _ in range(QUOTES):
            created = await quotes.create_quote(db, user_id, session_id, terms)
            assert isinstance(created, quotes.QuoteCreated)
            quote_ids.append(created.quote.id)
        cost = created.quote.cost
        await ledger.grant(db, user_id, AFFORDABLE * cost + cost - 1)

    engine = create_database_engine(database_url, pool_size=CONNECTIONS)
    factory = create_session_factory(engine)
    answers: dict[str, list[object]] = defaultdict(list)
    lowest_available: list[int] = []
    done = asyncio.Event()

    async def confirm(index: int) -> None:
        key = f"key-{index // CONFIRMS_PER_KEY}"
        try:
            async with unit_of_work(factory) as db:
                placed = await quotes.confirm_quote(
                    db, user_id, quote_ids[index // CONFIRMS_PER_KEY], key, terms
                )
            answers[key].append(placed.hold_id)
        except quotes.ConfirmRefused as refused:
            answers[key].append(type(refused.refusal).__name__)

    async def watch_available() -> None:
        connection = await engine.connect()
        try:
            while not done.is_set():
                row = await connection.execute(
                    text("SELECT balance - held FROM credit_accounts WHERE user_id = :u"), {"u": user_id}
                )
                lowest_available.append(int(row.scalar_one()))
                await connection.rollback()
                await asyncio.sleep(0)
        finally:
            await connection.close()

    watcher = asyncio.create_task(watch_available())
    try:
        await asyncio.gather(*(confirm(index) for index in range(QUOTES * CONFIRMS_PER_KEY)))
    finally:
        done.set()
        await watcher
        await engine.dispose()

    assert len(answers) == QUOTES
    for key, given in answers.items():
        assert len(given) == CONFIRMS_PER_KEY and len(set(given)) == 1, (key, given)
    hold_ids = {given[0] for given in answers.values() if isinstance(given[0], uuid.UUID)}
    assert len(hold_ids) == AFFORDABLE
    refusals = [given[0] for given in answers.values() if not isinstance(given[0], uuid.UUID)]
    assert set(refusals) == {"CreditsShort"}
    assert len(lowest_available) > 10 and min(lowest_available) >= 0

    async with session_factory() as db:
        account = await db.scalar(select(CreditAccount).where(CreditAccount.user_id == user_id))
        assert account is not None
        entries = await db.scalar(
            select(func.sum(CreditEntry.amount)).where(CreditEntry.account_id == account.id)
        )
        holds = list(await db.scalars(select(CreditHold).where(CreditHold.user_id == user_id)))
    assert account.balance == entries == AFFORDABLE * cost + cost - 1
    assert len(holds) == AFFORDABLE and {hold.id for hold in holds} == hold_ids
    assert account.held == sum(hold.amount for hold in holds) == AFFORDABLE * cost
    assert account.balance - account.held == cost - 1
