"""Hypothesis stateful test of the credit ledger against the real database.

Random sequences of grant, retried grant (a webhook delivered again: same idempotency key), quote,
confirm (new key / retried key / the same key on another quote), hold, capture (full, partial, none;
of pending and of already-resolved holds), void, expire (the sweeper's ``expired_pending_holds`` +
``void_hold`` with a ``now`` in the future) and refund (``ledger.take_back``) run on two users who each
have a real imported session of ≥ 50 assets. After every step, checked by SQL on the database itself
(:func:`ledger_violations`):

- every transfer has exactly two entries, ``-amount`` on its debit and ``+amount`` on its credit
  account (so it sums to zero), and every entry's ``balance_after`` is its account's running sum;
- every account's cached balance equals the sum of its entries, its cached held the sum of its
  pending holds; user accounts have ``held ≥ 0``, ``owed ≥ 0`` and available ``balance − held ≥ 0``;
- every hold resolved at most once and consistently: pending/voided holds have no capture transfer,
  a captured one exactly one of its captured amount (≤ the hold) unless it charged nothing, and the
  ``consumed`` account holds exactly the sum of the captured amounts;
- the model (each user's balance, held and owed, each hold's state and captured amount) equals the
  database.

Each rule also checks its own answer (a capture or void of a resolved hold says ``resolved=False`` and
changes nothing; a retried grant posts nothing; a refused confirm or hold reserves nothing; a quote
carries the documented price and the available credits).

The users and their sessions are imported once per test; every example then runs on its own database
cloned from that one (``CREATE DATABASE … TEMPLATE``, tens of milliseconds). Examples must start from
the same state: hypothesis replays examples while shrinking, and on a database that keeps the earlier
examples' history a replay draws and fails differently (``FlakyStrategyDefinition`` instead of a
minimal failing sequence). The test function is synchronous and drives the async code on its own
event loop (one ``asyncio.Runner`` for the whole test).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from billing import ledger, quotes
from billing.models import CreditHold
from billing.pricing import reflection_price
from catalog.database import create_database_engine, create_session_factory, unit_of_work
from catalog.settings import AtelierSettings
from tests.billing.library_builder import user_with_session

T = TypeVar("T")

USERS = (("ada", 50), ("bo", 120))
"""Handles and session sizes of the users the machine works on."""
HOLD_TTL_MINUTES = (5, 20, 45)
"""TTLs of holds placed directly; a confirm's hold lives ``hold_ttl_seconds`` (30 min)."""
EXPIRE_AHEAD_MINUTES = (0, 10, 25, 60)
"""How far in the future the sweeper's ``now`` is (0: only holds already past their expiry). Never
equal to a TTL, so which holds have expired does not depend on how long the steps took."""

MACHINE_SETTINGS = settings(
    max_examples=24,  # ~9 s on the real database; no example database, so each run draws new histories
    stateful_step_count=30,
    deadline=None,
    database=None,  # no example database in the shared checkout
    suppress_health_check=[HealthCheck.too_slow],
)

USER = st.integers(min_value=0, max_value=len(USERS) - 1)
PICK = st.integers(min_value=0, max_value=10**6)


@dataclass
class World:
    """What every example shares: the event loop, the seeded database and its users."""

    runner: asyncio.Runner
    admin: asyncpg.Connection
    """On the server's maintenance database: creates and drops the examples' databases."""
    seeded_url: str
    """The test's database, with the users and sessions imported: the examples' template."""
    users: list[tuple[uuid.UUID, uuid.UUID, int]]
    """(user id, session id, the session's asset count)"""
    terms: quotes.ReflectionTerms
    example_numbers: itertools.count[int] = field(default_factory=itertools.count)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coroutine)


@dataclass
class ModelAccount:
    balance: int = 0
    held: int = 0
    owed: int = 0


@dataclass
class ModelHold:
    user: int
    amount: int
    expires_at: datetime
    state: str = "pending"
    captured: int | None = None


@dataclass
class ModelQuote:
    user: int
    id: uuid.UUID
    cost: int
    confirmed: bool = False


@dataclass
class Model:
    """What the ledger should hold; lists and dicts in insertion order, so a pick is reproducible."""

    accounts: list[ModelAccount]
    holds: dict[uuid.UUID, ModelHold] = field(default_factory=dict)
    quotes: list[ModelQuote] = field(default_factory=list)
    keys: dict[tuple[int, str], tuple[uuid.UUID, uuid.UUID]] = field(default_factory=dict)
    """(user, confirm key) → (quote id, hold id) of the successful confirms."""
    grants: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    """grant idempotency key → (user, amount, source)."""

    def available(self, user: int) -> int:
        return self.accounts[user].balance - self.accounts[user].held

    def pending(self) -> list[uuid.UUID]:
        return [hold_id for hold_id, hold in self.holds.items() if hold.state == "pending"]


VIOLATIONS_SQL = text(
    """
    SELECT 'transfer is not a balanced pair of entries', t.id::text
      FROM credit_transfers t LEFT JOIN credit_entries e ON e.transfer_id = t.id
     GROUP BY t.id
    HAVING count(e.id) <> 2
        OR coalesce(sum(e.amount), 0) <> 0
        OR count(*) FILTER (WHERE e.account_id = t.debit_account_id AND e.amount = -t.amount) <> 1
        OR count(*) FILTER (WHERE e.account_id = t.credit_account_id AND e.amount = t.amount) <> 1
    UNION ALL
    SELECT 'entry balance_after is not the running sum', id::text
      FROM (SELECT id, balance_after,
                   sum(amount) OVER (PARTITION BY account_id ORDER BY id) AS running
              FROM credit_entries) s
     WHERE balance_after <> running
    UNION ALL
    SELECT 'cached balance is not the sum of entries', a.id::text
      FROM credit_accounts a LEFT JOIN credit_entries e ON e.account_id = a.id
     GROUP BY a.id
    HAVING a.balance <> coalesce(sum(e.amount), 0)
    UNION ALL
    SELECT 'cached held is not the sum of pending holds', a.id::text
      FROM credit_accounts a LEFT JOIN credit_holds h ON h.account_id = a.id AND h.state = 'pending'
     GROUP BY a.id
    HAVING a.held <> coalesce(sum(h.amount), 0)
    UNION ALL
    SELECT 'user account with negative held, owed or available', id::text
      FROM credit_accounts
     WHERE system_code IS NULL AND (held < 0 OR owed < 0 OR balance - held < 0)
    UNION ALL
    SELECT 'hold resolution is inconsistent', h.id::text
      FROM credit_holds h LEFT JOIN credit_transfers t ON t.idempotency_key = 'capture:' || h.id::text
     WHERE NOT (
           (h.state IN ('pending', 'voided') AND h.captured_amount IS NULL
             AND h.capture_transfer_id IS NULL AND t.id IS NULL)
        OR (h.state = 'captured' AND h.captured_amount = 0
             AND h.capture_transfer_id IS NULL AND t.id IS NULL)
        OR (h.state = 'captured' AND h.captured_amount > 0 AND h.captured_amount <= h.amount
             AND h.capture_transfer_id = t.id AND t.kind = 'capture' AND t.amount = h.captured_amount
             AND t.debit_account_id = h.account_id)
     ) OR (h.state = 'pending') <> (h.resolved_at IS NULL)
    UNION ALL
    SELECT 'capture transfer without a captured hold', t.id::text
      FROM credit_transfers t
     WHERE t.kind = 'capture'
       AND NOT EXISTS (SELECT 1 FROM credit_holds h WHERE h.capture_transfer_id = t.id)
    UNION ALL
    SELECT 'consumed is not the sum of captured amounts', a.id::text
      FROM credit_accounts a
     WHERE a.system_code = 'consumed'
       AND a.balance <> (SELECT coalesce(sum(captured_amount), 0) FROM credit_holds WHERE state = 'captured')
    """
)


USER_ACCOUNTS_SQL = text("SELECT user_id, balance, held, owed FROM credit_accounts WHERE user_id IS NOT NULL")


async def ledger_violations(db: AsyncSession) -> list[tuple[str, str]]:
    """Every broken ledger invariant found by SQL, as (what, which row); empty when all hold."""
    return [(str(row[0]), str(row[1])) for row in await db.execute(VIOLATIONS_SQL)]


class LedgerMachine(RuleBasedStateMachine):
    """Random ledger operations on a fresh copy of the seeded database; a model of it beside."""

    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world
        seeded = make_url(world.seeded_url)
        self.database = f"{seeded.database}_ex{next(world.example_numbers)}"
        world.run(world.admin.execute(f"CREATE DATABASE {self.database} TEMPLATE {seeded.database}"))
        self.engine: AsyncEngine = create_database_engine(
            seeded.set(database=self.database).render_as_string(hide_password=False), pool_size=1
        )
        self.factory = create_session_factory(self.engine)
        self.model = Model(accounts=[ModelAccount() for _ in world.users])
        self.numbers = itertools.count()

    def teardown(self) -> None:
        self.world.run(self.engine.dispose())
        self.world.run(self.world.admin.execute(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)"))

    def _user_id(self, user: int) -> uuid.UUID:
        return self.world.users[user][0]

    def _key(self, prefix: str) -> str:
        """A new idempotency key (numbered, not random: a replayed example uses the same keys)."""
        return f"{prefix}-{next(self.numbers)}"

    # -- credits in -------------------------------------------------------------------------------

    @initialize(amounts=st.lists(st.integers(0, 40), min_size=len(USERS), max_size=len(USERS)))
    def opening_grants(self, amounts: list[int]) -> None:
        """Each example starts by granting each user some credits (0: none), so holds get placed."""
        for user, amount in enumerate(amounts):
            if amount:
                self._grant(user, amount, "grants")

    @rule(user=USER, amount=st.integers(1, 30), source=st.sampled_from(["grants", "purchases"]))
    def grant(self, user: int, amount: int, source: str) -> None:
        """Credits bought or granted, each with a new idempotency key; they settle what is owed first."""
        self._grant(user, amount, source)

    def _grant(self, user: int, amount: int, source: str) -> None:
        key = self._key("grant")
        kind = "purchase" if source == "purchases" else "grant"

        async def work() -> ledger.PostedTransfer | None:
            async with unit_of_work(self.factory) as db:
                return await ledger.grant(
                    db, self._user_id(user), amount, source=source, kind=kind, idempotency_key=key
                )

        posted = self.world.run(work())
        assert posted is not None and posted.amount == amount
        self.model.grants[key] = (user, amount, source)
        self.model.accounts[user].balance += amount
        self._settle(user)

    def _settle(self, user: int) -> None:
        """What the ledger does after credits arrive or held credits are released: pay what is owed."""
        account = self.model.accounts[user]
        settled = min(account.owed, account.balance - account.held)
        if settled > 0:
            account.balance -= settled
            account.owed -= settled

    @precondition(lambda self: self.model.grants)
    @rule(pick=PICK)
    def retried_grant(self, pick: int) -> None:
        """The same grant again with its idempotency key (a redelivered webhook): nothing is posted."""
        key = list(self.model.grants)[pick % len(self.model.grants)]
        user, amount, source = self.model.grants[key]

        async def work() -> ledger.PostedTransfer | None:
            async with unit_of_work(self.factory) as db:
                return await ledger.grant(db, self._user_id(user), amount, source=source, idempotency_key=key)

        assert self.world.run(work()) is None

    # -- quotes and confirms ----------------------------------------------------------------------

    def _create_quote(self, user: int) -> ModelQuote:
        user_id, session_id, asset_count = self.world.users[user]

        async def work() -> quotes.QuoteCreated | quotes.BelowThreshold | quotes.SessionMissing:
            async with unit_of_work(self.factory) as db:
                return await quotes.create_quote(db, user_id, session_id, self.world.terms)

        created = self.world.run(work())
        assert isinstance(created, quotes.QuoteCreated), created
        assert created.available == self.model.available(user)
        assert created.quote.asset_count == asset_count
        assert created.quote.cost == reflection_price(
            asset_count=asset_count,
            image_count=created.quote.image_count,
            model=self.world.terms.model,
            model_rate=self.world.terms.model_rate,
        )
        quote = ModelQuote(user, created.quote.id, created.quote.cost)
        self.model.quotes.append(quote)
        return quote

    @rule(user=USER)
    def quote(self, user: int) -> None:
        """A quote of the user's session at the documented price (left unconfirmed, or confirmed later)."""
        self._create_quote(user)

    def _confirm(self, quote: ModelQuote, key: str) -> quotes.HoldPlaced | quotes.ConfirmRefusal:
        async def work() -> tuple[quotes.HoldPlaced, datetime | None]:
            async with unit_of_work(self.factory) as db:
                placed = await quotes.confirm_quote(
                    db, self._user_id(quote.user), quote.id, key, self.world.terms
                )
                hold = await db.get(CreditHold, placed.hold_id)
                return placed, None if hold is None else hold.expires_at

        try:
            placed, expires_at = self.world.run(work())
        except quotes.ConfirmRefused as refused:
            return refused.refusal
        if not placed.replayed:
            assert expires_at is not None
            self.model.holds[placed.hold_id] = ModelHold(quote.user, quote.cost, expires_at)
        return placed

    @rule(user=USER, pick=PICK, fresh=st.booleans())
    def confirm_with_new_key(self, user: int, pick: int, fresh: bool) -> None:
        """A first confirm of a fresh quote or of an earlier one: a hold of the price if the quote is
        unused and the credits cover it (and nothing is owed); otherwise the refusal, nothing held."""
        earlier = [quote for quote in self.model.quotes if quote.user == user]
        quote = self._create_quote(user) if fresh or not earlier else earlier[pick % len(earlier)]
        key = self._key("confirm")
        account = self.model.accounts[user]
        answer = self._confirm(quote, key)
        if quote.confirmed:
            assert isinstance(answer, quotes.QuoteUnusable), answer
        elif account.owed > 0 or self.model.available(user) < quote.cost:
            assert answer == quotes.CreditsShort(quote.cost, self.model.available(user), account.owed)
        else:
            assert isinstance(answer, quotes.HoldPlaced) and not answer.replayed, answer
            account.held += quote.cost
            quote.confirmed = True
            self.model.keys[(user, key)] = (quote.id, answer.hold_id)

    @precondition(lambda self: self.model.keys)
    @rule(pick=PICK)
    def confirm_with_retried_key(self, pick: int) -> None:
        """The same key and quote again (even after the hold resolved): the first answer, nothing new."""
        (_, key), (quote_id, hold_id) = list(self.model.keys.items())[pick % len(self.model.keys)]
        quote = next(quote for quote in self.model.quotes if quote.id == quote_id)
        answer = self._confirm(quote, key)
        assert isinstance(answer, quotes.HoldPlaced), answer
        assert answer.replayed and answer.hold_id == hold_id

    @precondition(lambda self: self.model.keys)
    @rule(pick=PICK, fresh=st.booleans())
    def confirm_with_key_of_another_quote(self, pick: int, fresh: bool) -> None:
        """A used key on another quote of the same user (a fresh one or an earlier one): refused."""
        (user, key), (quote_id, _) = list(self.model.keys.items())[pick % len(self.model.keys)]
        others = [quote for quote in self.model.quotes if quote.user == user and quote.id != quote_id]
        other = self._create_quote(user) if fresh or not others else others[pick % len(others)]
        assert isinstance(self._confirm(other, key), quotes.KeyReused)

    # -- holds ------------------------------------------------------------------------------------

    @rule(user=USER, amount=st.integers(1, 25), ttl_minutes=st.sampled_from(HOLD_TTL_MINUTES))
    def hold(self, user: int, amount: int, ttl_minutes: int) -> None:
        """A hold placed directly (as the Curator's billing service does) with a chosen TTL; refused,
        reserving nothing, when the available credits do not cover it or the account owes."""

        async def work() -> CreditHold | ledger.HoldRefused:
            async with unit_of_work(self.factory) as db:
                return await ledger.place_hold(
                    db, self._user_id(user), amount, ttl=timedelta(minutes=ttl_minutes)
                )

        account = self.model.accounts[user]
        placed = self.world.run(work())
        if account.owed > 0 or self.model.available(user) < amount:
            assert placed == ledger.HoldRefused(amount, self.model.available(user), account.owed)
        else:
            assert isinstance(placed, CreditHold), placed
            account.held += amount
            self.model.holds[placed.id] = ModelHold(user, amount, placed.expires_at)

    def _pick_hold(self, pick: int, pending_only: bool) -> uuid.UUID:
        candidates = (self.model.pending() if pending_only else []) or list(self.model.holds)
        return candidates[pick % len(candidates)]

    @staticmethod
    def _expect_unchanged(answer: ledger.HoldResolution, hold: ModelHold) -> None:
        assert not answer.resolved, answer
        assert (answer.state, answer.captured_amount) == (hold.state, hold.captured), answer

    @precondition(lambda self: self.model.holds)
    @rule(pick=PICK, pending_only=st.booleans(), percent=st.one_of(st.just(100), st.integers(0, 100)))
    def capture(self, pick: int, pending_only: bool, percent: int) -> None:
        """Charge ``percent`` of a hold (all, part or nothing) and release the rest; a hold that has
        resolved already says so and nothing changes."""
        hold_id = self._pick_hold(pick, pending_only)
        hold = self.model.holds[hold_id]
        charged = hold.amount * percent // 100

        async def work() -> ledger.HoldResolution:
            async with unit_of_work(self.factory) as db:
                return await ledger.capture_hold(db, hold_id, charged, reference="property test")

        answer = self.world.run(work())
        if hold.state != "pending":
            self._expect_unchanged(answer, hold)
            return
        assert answer == ledger.HoldResolution(hold_id, True, "captured", charged)
        account = self.model.accounts[hold.user]
        account.held -= hold.amount
        account.balance -= charged
        hold.state, hold.captured = "captured", charged
        self._settle(hold.user)

    @precondition(lambda self: self.model.holds)
    @rule(pick=PICK, pending_only=st.booleans())
    def void(self, pick: int, pending_only: bool) -> None:
        """Release a hold in full; a hold that has resolved already says so and nothing changes."""
        hold_id = self._pick_hold(pick, pending_only)
        hold = self.model.holds[hold_id]

        async def work() -> ledger.HoldResolution:
            async with unit_of_work(self.factory) as db:
                return await ledger.void_hold(db, hold_id, reason="property test")

        answer = self.world.run(work())
        if hold.state != "pending":
            self._expect_unchanged(answer, hold)
            return
        assert answer == ledger.HoldResolution(hold_id, True, "voided")
        self.model.accounts[hold.user].held -= hold.amount
        hold.state = "voided"
        self._settle(hold.user)

    @rule(ahead_minutes=st.sampled_from(EXPIRE_AHEAD_MINUTES))
    def expire(self, ahead_minutes: int) -> None:
        """The sweeper at ``now + ahead``: exactly the pending holds past their expiry are voided."""
        now = datetime.now(UTC) + timedelta(minutes=ahead_minutes)

        async def work() -> tuple[list[uuid.UUID], list[ledger.HoldResolution]]:
            async with unit_of_work(self.factory) as db:
                expired = await ledger.expired_pending_holds(db, now=now)
                return expired, [await ledger.void_hold(db, hold_id, reason="expired") for hold_id in expired]

        expected = {
            hold_id for hold_id in self.model.pending() if self.model.holds[hold_id].expires_at <= now
        }
        expired, answers = self.world.run(work())
        assert set(expired) == expected and len(expired) == len(expected)
        assert all(answer.resolved and answer.state == "voided" for answer in answers), answers
        for hold_id in expired:
            hold = self.model.holds[hold_id]
            self.model.accounts[hold.user].held -= hold.amount
            hold.state = "voided"
            self._settle(hold.user)

    # -- credits out ------------------------------------------------------------------------------

    @rule(user=USER, amount=st.integers(1, 40))
    def refund(self, user: int, amount: int) -> None:
        """A refunded payment: what is available (not held) is taken back, the rest becomes owed."""
        key = self._key("refund")

        async def work() -> tuple[int, int]:
            async with unit_of_work(self.factory) as db:
                return await ledger.take_back(
                    db, self._user_id(user), amount, reference="property test refund", idempotency_key=key
                )

        account = self.model.accounts[user]
        taken = min(amount, max(0, self.model.available(user)))
        assert self.world.run(work()) == (taken, amount - taken)
        account.balance -= taken
        account.owed += amount - taken

    # -- after every step -------------------------------------------------------------------------

    @invariant()
    def ledger_is_consistent_and_matches_the_model(self) -> None:
        """The SQL checks of :func:`ledger_violations`, then the database against the model."""

        async def read() -> tuple[list[tuple[str, str]], dict[uuid.UUID, ModelAccount], dict[uuid.UUID, Any]]:
            async with self.factory() as db:
                violations = await ledger_violations(db)
                accounts = {
                    row[0]: ModelAccount(int(row[1]), int(row[2]), int(row[3]))
                    for row in await db.execute(USER_ACCOUNTS_SQL)
                }
                holds = {
                    row[0]: (row[1], None if row[2] is None else int(row[2]))
                    for row in await db.execute(text("SELECT id, state, captured_amount FROM credit_holds"))
                }
                return violations, accounts, holds

        violations, accounts, holds = self.world.run(read())
        assert violations == [], violations
        for user, (user_id, _, _) in enumerate(self.world.users):
            assert accounts.get(user_id, ModelAccount()) == self.model.accounts[user], (user, accounts)
        assert holds == {hold_id: (hold.state, hold.captured) for hold_id, hold in self.model.holds.items()}


async def _seed(
    database_url: str, settings: AtelierSettings, folder: Path
) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """Import the users' sessions into the test's database (then closed: it becomes a template)."""
    engine = create_database_engine(database_url, pool_size=1)
    try:
        factory = create_session_factory(engine)
        users = []
        for handle, asset_count in USERS:
            user_id, session_id = await user_with_session(
                factory, settings, folder, handle=handle, asset_count=asset_count
            )
            users.append((user_id, session_id, asset_count))
        return users
    finally:
        await engine.dispose()


@pytest.mark.timeout(420)  # a pass takes ~25 s; a failure is shrunk for up to 5 min (hypothesis' own limit)
def test_ledger_invariants_hold_after_every_step(
    database_url: str, settings: AtelierSettings, tmp_path: Path
) -> None:
    """The machine above: 40 examples of up to 30 steps, each on its own copy of the seeded database."""
    # priced like a configured model (rate 1.0): quotes of 5–6 credits, comparable to the grants
    terms = replace(quotes.ReflectionTerms.from_settings(settings), model="priced-model", model_rate=1.0)
    url = make_url(database_url)
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        users = runner.run(_seed(database_url, settings, tmp_path / "imports"))
        admin = runner.run(asyncpg.connect(host=url.query["host"], user=url.username, database="postgres"))
        try:
            world = World(runner, admin, database_url, users, terms)

            class MachineInThisWorld(LedgerMachine):
                def __init__(self) -> None:
                    super().__init__(world)

            run_state_machine_as_test(MachineInThisWorld, settings=MACHINE_SETTINGS)
            assert next(world.example_numbers) >= 10  # the examples did run
        finally:
            runner.run(admin.close())
