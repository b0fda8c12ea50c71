"""The credit ledger: posted transfers, holds, and the cached balances they keep in step.

Every function takes the caller's ``AsyncSession`` and never commits: a transfer's entries, its
cached balance changes and the hold it resolves are one transaction, the caller's.

Locking (so concurrent writers neither lose updates nor deadlock):

- a posted transfer first locks both accounts with ``SELECT … FOR NO KEY UPDATE`` **in id order**,
  then inserts the transfer (its idempotency key is checked under those locks) and its two entries;
- a hold is placed with one conditional ``UPDATE … WHERE balance − held ≥ amount AND owed = 0
  RETURNING``: it either reserves the credits or changes nothing, whatever runs beside it;
- a hold resolves with a conditional ``UPDATE credit_holds … WHERE state = 'pending'``: of any number
  of concurrent captures and voids exactly one finds it pending; then the accounts are locked in id
  order as above.

``FOR NO KEY UPDATE`` (not ``FOR UPDATE``) because inserting an entry takes a ``KEY SHARE`` lock on its
account through the foreign key; the stronger lock would conflict with that and can deadlock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models import CreditAccount, CreditEntry, CreditHold, CreditTransfer

# Statements are built on the tables (SQLAlchemy Core), not the ORM classes: the ledger never needs
# ORM identity for accounts, and the ORM's per-statement work was most of a capture's client time
# (bench/ledger_bench.py). Holds are still created as ORM objects: callers keep the row.
_accounts: Table = cast(Table, CreditAccount.__table__)
_transfers: Table = cast(Table, CreditTransfer.__table__)
_entries: Table = cast(Table, CreditEntry.__table__)
_holds: Table = cast(Table, CreditHold.__table__)


class LedgerError(RuntimeError):
    """A programming error against the ledger's rules (never an expected client outcome)."""


class NotEnoughCredits(Exception):
    """A debit the account cannot cover; raised so the caller's transaction rolls back."""

    def __init__(self, required: int, available: int) -> None:
        super().__init__(f"{required} credits required, {available} available")
        self.required = required
        self.available = available


@dataclass(frozen=True, slots=True)
class Balance:
    balance: int
    held: int
    owed: int = 0

    @property
    def available(self) -> int:
        return self.balance - self.held


@dataclass(frozen=True, slots=True)
class PostedTransfer:
    id: uuid.UUID
    amount: int
    debit_balance_after: int
    credit_balance_after: int


@dataclass(frozen=True, slots=True)
class HoldResolution:
    """The outcome of a capture or void. ``resolved`` is false when the hold had already resolved
    (then ``state`` says how, and nothing changed)."""

    hold_id: uuid.UUID
    resolved: bool
    state: str
    captured_amount: int | None = None


async def system_account_id(db: AsyncSession, code: str) -> uuid.UUID:
    account_id = await db.scalar(select(_accounts.c.id).where(_accounts.c.system_code == code))
    if account_id is None:
        raise LedgerError(f"system account {code!r} is missing (is the database migrated?)")
    return account_id


async def user_account_id(db: AsyncSession, user_id: uuid.UUID) -> uuid.UUID:
    """The user's account, created on first use (concurrent first uses create one)."""
    account_id = await db.scalar(select(_accounts.c.id).where(_accounts.c.user_id == user_id))
    if account_id is not None:
        return cast(uuid.UUID, account_id)
    await db.execute(
        pg_insert(_accounts).values(user_id=user_id).on_conflict_do_nothing(index_elements=["user_id"])
    )
    account_id = await db.scalar(select(_accounts.c.id).where(_accounts.c.user_id == user_id))
    assert account_id is not None
    return account_id


async def balance_of(db: AsyncSession, user_id: uuid.UUID) -> Balance:
    row = (
        await db.execute(
            select(_accounts.c.balance, _accounts.c.held, _accounts.c.owed).where(
                _accounts.c.user_id == user_id
            )
        )
    ).one_or_none()
    return Balance(0, 0, 0) if row is None else Balance(int(row[0]), int(row[1]), int(row[2]))


async def _lock_accounts(
    db: AsyncSession, account_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Row[Any, Any, Any, Any, Any]]:
    """Lock the accounts in id order; rows carry ``system_code``, ``balance``, ``held``, ``owed``."""
    columns = (
        _accounts.c.id,
        _accounts.c.system_code,
        _accounts.c.balance,
        _accounts.c.held,
        _accounts.c.owed,
    )
    rows = await db.execute(
        select(*columns)
        .where(_accounts.c.id.in_(sorted(set(account_ids))))
        .order_by(_accounts.c.id)
        .with_for_update(key_share=True)  # renders FOR NO KEY UPDATE
    )
    return {row.id: row for row in rows}


async def post_transfer(
    db: AsyncSession,
    *,
    kind: str,
    debit_account_id: uuid.UUID,
    credit_account_id: uuid.UUID,
    amount: int,
    reference: str | None = None,
    idempotency_key: str | None = None,
    held_release: int = 0,
) -> PostedTransfer | None:
    """Move ``amount`` credits from the debit to the credit account (two entries, balances updated).

    Returns ``None`` when a transfer with ``idempotency_key`` exists already (nothing changes).
    Raises :class:`NotEnoughCredits` when the debited account is a user's and its available credits
    (after releasing ``held_release`` of its held credits, as a capture does) do not cover ``amount``.
    """
    if amount <= 0:
        raise LedgerError(f"a transfer moves a positive amount, got {amount}")
    if debit_account_id == credit_account_id:
        raise LedgerError("a transfer needs two different accounts")
    accounts = await _lock_accounts(db, [debit_account_id, credit_account_id])
    debit = accounts[debit_account_id]
    if credit_account_id not in accounts:
        raise LedgerError(f"no account {credit_account_id}")
    if debit.system_code is None:
        available = debit.balance - debit.held + held_release
        if available < amount:
            raise NotEnoughCredits(amount, available)
    inserted = pg_insert(_transfers).values(
        kind=kind,
        amount=amount,
        debit_account_id=debit_account_id,
        credit_account_id=credit_account_id,
        reference=reference,
        idempotency_key=idempotency_key,
    )
    if idempotency_key is not None:
        inserted = inserted.on_conflict_do_nothing(index_elements=["idempotency_key"])
    transfer_id = await db.scalar(inserted.returning(_transfers.c.id))
    if transfer_id is None:
        return None
    debit_after = await _change_balance(db, debit_account_id, -amount, held_change=-held_release)
    credit_after = await _change_balance(db, credit_account_id, amount)
    await db.execute(
        insert(_entries),
        [
            {
                "transfer_id": transfer_id,
                "account_id": debit_account_id,
                "amount": -amount,
                "balance_after": debit_after,
            },
            {
                "transfer_id": transfer_id,
                "account_id": credit_account_id,
                "amount": amount,
                "balance_after": credit_after,
            },
        ],
    )
    return PostedTransfer(transfer_id, amount, debit_after, credit_after)


async def _change_balance(
    db: AsyncSession, account_id: uuid.UUID, amount: int, *, held_change: int = 0
) -> int:
    new_balance = await db.scalar(
        update(_accounts)
        .where(_accounts.c.id == account_id)
        .values(
            balance=_accounts.c.balance + amount,
            held=_accounts.c.held + held_change,
            version=_accounts.c.version + 1,
        )
        .returning(_accounts.c.balance)
    )
    assert new_balance is not None
    return int(new_balance)


async def _change_owed(db: AsyncSession, account_id: uuid.UUID, change: int) -> None:
    """Add ``change`` (negative: subtract) to what the account owes; the caller holds its row lock."""
    await db.execute(
        update(_accounts)
        .where(_accounts.c.id == account_id)
        .values(owed=_accounts.c.owed + change, version=_accounts.c.version + 1)
    )


async def grant(
    db: AsyncSession,
    user_id: uuid.UUID,
    amount: int,
    *,
    source: str = "grants",
    kind: str = "grant",
    reference: str | None = None,
    idempotency_key: str | None = None,
) -> PostedTransfer | None:
    """Credit a user ``amount`` from a system ``source`` (``grants`` or ``purchases``), then settle
    what the account owes from a refund with the new credits. ``None``: already granted (same key)."""
    account_id = await user_account_id(db, user_id)
    posted = await post_transfer(
        db,
        kind=kind,
        debit_account_id=await system_account_id(db, source),
        credit_account_id=account_id,
        amount=amount,
        reference=reference,
        idempotency_key=idempotency_key,
    )
    if posted is not None:
        await settle_owed(db, user_id)
    return posted


async def take_back(
    db: AsyncSession, user_id: uuid.UUID, amount: int, *, reference: str, idempotency_key: str
) -> tuple[int, int]:
    """Take ``amount`` credits back (a refunded payment): as much as is available goes to ``refunds``,
    the rest is recorded as owed (the account places no new holds until it is settled).

    Exactly once is the caller's duty (a purchase moves ``paid → refunded`` with a conditional update
    before calling this); the refund transfer also carries ``idempotency_key``. Returns
    ``(taken, newly_owed)``.
    """
    account_id = await user_account_id(db, user_id)
    refunds_id = await system_account_id(db, "refunds")
    accounts = await _lock_accounts(db, [account_id, refunds_id])
    available = max(0, accounts[account_id].balance - accounts[account_id].held)
    taken = min(amount, available)
    if taken > 0:
        await post_transfer(
            db,
            kind="refund",
            debit_account_id=account_id,
            credit_account_id=refunds_id,
            amount=taken,
            reference=reference,
            idempotency_key=idempotency_key,
        )
    owed = amount - taken
    if owed > 0:
        await _change_owed(db, account_id, owed)
    return (taken, owed)


async def give_back(
    db: AsyncSession, user_id: uuid.UUID, amount: int, *, reference: str, idempotency_key: str
) -> tuple[int, int]:
    """Undo ``amount`` credits of earlier :func:`take_back` calls (a refund that failed at Stripe):
    what the account still owes is forgiven first, the rest comes back from ``refunds`` as a
    ``refund_reversed`` transfer carrying ``idempotency_key``. Returns ``(credited, forgiven)``.

    Exactly once is the caller's duty, as for :func:`take_back` (the purchase row, locked, records
    how much is taken back); forgiving is not guarded by the key."""
    account_id = await user_account_id(db, user_id)
    refunds_id = await system_account_id(db, "refunds")
    accounts = await _lock_accounts(db, [account_id, refunds_id])
    forgiven = min(amount, int(accounts[account_id].owed))
    if forgiven > 0:
        await _change_owed(db, account_id, -forgiven)
    credited = amount - forgiven
    if credited > 0:
        await post_transfer(
            db,
            kind="refund_reversed",
            debit_account_id=refunds_id,
            credit_account_id=account_id,
            amount=credited,
            reference=reference,
            idempotency_key=idempotency_key,
        )
    return (credited, forgiven)


async def settle_owed(db: AsyncSession, user_id: uuid.UUID) -> int:
    """Pay what the account owes from its available credits; returns the credits settled.

    Called after a grant, which already holds the user's row: a grant and a refund of one owing user
    can then lock ``refunds`` and the user's row in opposite orders, a deadlock PostgreSQL breaks by
    aborting one of them — callers run through :func:`billing.transactions.retrying_unit_of_work`."""
    account_id = await user_account_id(db, user_id)
    owed = await db.scalar(select(_accounts.c.owed).where(_accounts.c.id == account_id))
    if not owed:  # the common case: no lock on the shared ``refunds`` row
        return 0
    refunds_id = await system_account_id(db, "refunds")
    accounts = await _lock_accounts(db, [account_id, refunds_id])
    account = accounts[account_id]
    settle = min(account.owed, account.balance - account.held)
    if settle <= 0:
        return 0
    await post_transfer(
        db,
        kind="settlement",
        debit_account_id=account_id,
        credit_account_id=refunds_id,
        amount=settle,
        reference="settles credits refunded after they were spent",
    )
    await _change_owed(db, account_id, -settle)
    return settle


@dataclass(frozen=True, slots=True)
class HoldRefused:
    required: int
    available: int
    owed: int


async def place_hold(
    db: AsyncSession,
    user_id: uuid.UUID,
    amount: int,
    *,
    ttl: timedelta,
    reference: str | None = None,
    now: datetime | None = None,
) -> CreditHold | HoldRefused:
    """Reserve ``amount`` of the user's available credits until captured, voided or expired."""
    if amount <= 0:
        raise LedgerError(f"a hold reserves a positive amount, got {amount}")
    account_id = await user_account_id(db, user_id)
    reserved = await db.scalar(
        update(_accounts)
        .where(
            _accounts.c.id == account_id,
            _accounts.c.owed == 0,
            _accounts.c.balance - _accounts.c.held >= amount,
        )
        .values(held=_accounts.c.held + amount, version=_accounts.c.version + 1)
        .returning(_accounts.c.id)
    )
    if reserved is None:
        current = await balance_of(db, user_id)
        return HoldRefused(required=amount, available=current.available, owed=current.owed)
    hold = CreditHold(
        user_id=user_id,
        account_id=account_id,
        amount=amount,
        state="pending",
        reference=reference,
        expires_at=(now or datetime.now(UTC)) + ttl,
    )
    db.add(hold)
    await db.flush()
    return hold


async def capture_hold(
    db: AsyncSession, hold_id: uuid.UUID, charged: int, *, reference: str | None = None
) -> HoldResolution:
    """Charge ``charged`` (0 ≤ charged ≤ the hold) of a pending hold and release the rest; once."""
    if charged < 0:
        raise LedgerError(f"a capture charges a non-negative amount, got {charged}")
    row = (
        await db.execute(
            update(_holds)
            .where(_holds.c.id == hold_id, _holds.c.state == "pending", _holds.c.amount >= charged)
            .values(state="captured", captured_amount=charged, resolved_at=func.now())
            .returning(_holds.c.account_id, _holds.c.user_id, _holds.c.amount)
        )
    ).one_or_none()
    if row is None:
        resolved = await _already_resolved(db, hold_id)
        if resolved.state == "pending":  # still pending: the charge exceeded the hold
            raise LedgerError(f"a capture charges between 0 and the held credits, got {charged}")
        return resolved
    account_id, user_id, amount = row[0], row[1], int(row[2])
    if charged > 0:
        posted = await post_transfer(
            db,
            kind="capture",
            debit_account_id=account_id,
            credit_account_id=await system_account_id(db, "consumed"),
            amount=charged,
            reference=reference,
            idempotency_key=f"capture:{hold_id}",
            held_release=amount,
        )
        if posted is None:  # the hold was pending, so its capture transfer cannot exist yet
            raise LedgerError(f"capture transfer of pending hold {hold_id} already exists")
        await db.execute(update(_holds).where(_holds.c.id == hold_id).values(capture_transfer_id=posted.id))
    else:
        await _release_held(db, account_id, amount)
    await settle_owed(db, user_id)
    return HoldResolution(hold_id, True, "captured", charged)


async def void_hold(db: AsyncSession, hold_id: uuid.UUID, *, reason: str) -> HoldResolution:
    """Release a pending hold in full (nothing is charged); once."""
    row = (
        await db.execute(
            update(_holds)
            .where(_holds.c.id == hold_id, _holds.c.state == "pending")
            .values(state="voided", void_reason=reason, resolved_at=func.now())
            .returning(_holds.c.account_id, _holds.c.amount, _holds.c.user_id)
        )
    ).one_or_none()
    if row is None:
        return await _already_resolved(db, hold_id)
    await _release_held(db, row[0], int(row[1]))
    await settle_owed(db, row[2])
    return HoldResolution(hold_id, True, "voided")


async def _release_held(db: AsyncSession, account_id: uuid.UUID, amount: int) -> None:
    await db.execute(
        update(_accounts)
        .where(_accounts.c.id == account_id)
        .values(held=_accounts.c.held - amount, version=_accounts.c.version + 1)
    )


async def _already_resolved(db: AsyncSession, hold_id: uuid.UUID) -> HoldResolution:
    row = (
        await db.execute(select(_holds.c.state, _holds.c.captured_amount).where(_holds.c.id == hold_id))
    ).one_or_none()
    if row is None:
        raise LedgerError(f"no hold {hold_id}")
    return HoldResolution(hold_id, False, row[0], row[1])


async def expired_pending_holds(
    db: AsyncSession, *, now: datetime, limit: int | None = None
) -> list[uuid.UUID]:
    """Pending holds past their expiry, oldest first. A plain read, no lock: each is then voided with
    :func:`void_hold`, whose conditional update makes a hold resolved meanwhile a no-op."""
    statement = (
        select(_holds.c.id)
        .where(_holds.c.state == "pending", _holds.c.expires_at <= now)
        .order_by(_holds.c.expires_at)
        .limit(limit)
    )
    return [row[0] for row in await db.execute(statement)]


@dataclass(frozen=True, slots=True)
class LedgerLine:
    entry_id: int
    kind: str
    amount: int
    balance_after: int
    created_at: datetime
    reference: str | None


async def ledger_page(
    db: AsyncSession, user_id: uuid.UUID, *, limit: int, before_entry_id: int | None = None
) -> list[LedgerLine]:
    """The user's entries newest first (keyset on the entry id), ``limit + 1`` rows at most."""
    statement = (
        select(
            CreditEntry.id,
            CreditTransfer.kind,
            CreditEntry.amount,
            CreditEntry.balance_after,
            CreditEntry.created_at,
            CreditTransfer.reference,
        )
        .join(CreditTransfer, CreditTransfer.id == CreditEntry.transfer_id)
        .join(CreditAccount, CreditAccount.id == CreditEntry.account_id)
        .where(CreditAccount.user_id == user_id)
    )
    if before_entry_id is not None:
        statement = statement.where(CreditEntry.id < before_entry_id)
    rows = await db.execute(statement.order_by(CreditEntry.id.desc()).limit(limit + 1))
    return [LedgerLine(int(r[0]), r[1], int(r[2]), int(r[3]), r[4], r[5]) for r in rows]
