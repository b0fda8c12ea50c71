"""Billing tables: a double-entry credit ledger, holds, reflection quotes, idempotency keys, purchases.

Ledger invariants (enforced by the database where it can, by :mod:`billing.ledger` otherwise):

- **Double entry.** Every :class:`CreditTransfer` has exactly two :class:`CreditEntry` rows, one
  ``-amount`` on the debited account and one ``+amount`` on the credited one, so every transfer sums
  to zero. Amounts are whole credits (BigInteger).
- **Append-only.** A trigger (migration 0004) refuses UPDATE, DELETE and TRUNCATE on entries and
  transfers; mistakes are corrected by new transfers, never by edits.
- **Cached balances.** ``credit_accounts.balance`` equals the sum of the account's entries and is
  changed only in the transaction that writes them; ``held`` equals the sum of the account's pending
  holds; ``version`` increases with every change. For user accounts a CHECK keeps ``balance − held ≥ 0``
  (available never negative); system accounts (``purchases``, ``grants``, ``holds``, ``consumed``,
  ``refunds``) may go negative: a source account's negative balance is what it has issued.
- **Holds are pending transfers.** A hold reserves credits of a user account (raises ``held``) toward
  the ``holds`` system account; it resolves exactly once, ``captured`` (a posted transfer of the
  charged amount, ≤ the hold, to ``consumed``) or ``voided`` (nothing posted, credits available again).
- ``owed`` is what a payment refund could not take back because the credits were already spent or
  held; an account that owes cannot place new holds until credits settle it — a later grant, or held
  credits released by a void or a partial capture (settled in the same transaction).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))


def _now() -> Mapped[datetime]:
    return mapped_column(server_default=text("now()"), nullable=False)


SYSTEM_ACCOUNT_CODES: tuple[str, ...] = ("purchases", "grants", "holds", "consumed", "refunds")
"""System accounts, created by the migration: where purchased and granted credits come from, the
counterparty of pending holds, where captured credits go, and where refunded credits return."""


class CreditAccount(Base):
    __tablename__ = "credit_accounts"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (system_code IS NULL)", name="ck_credit_account_owner"),
        CheckConstraint(
            "system_code IS NOT NULL OR (held >= 0 AND balance - held >= 0 AND owed >= 0)",
            name="ck_credit_account_available",
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), unique=True
    )
    system_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    balance: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    held: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    owed: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    created_at: Mapped[datetime] = _now()


class CreditTransfer(Base):
    """One posted movement of credits. ``idempotency_key`` (unique) makes a retried grant, purchase or
    refund a no-op: the second insert finds the first."""

    __tablename__ = "credit_transfers"
    __table_args__ = (CheckConstraint("amount > 0", name="ck_credit_transfer_positive"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    kind: Mapped[str] = mapped_column(String(20))
    """``grant``, ``signup``, ``purchase``, ``capture``, ``refund``, ``settlement``, ``refund_reversed``."""
    amount: Mapped[int] = mapped_column(BigInteger)
    debit_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credit_accounts.id"))
    credit_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credit_accounts.id"))
    reference: Mapped[str | None] = mapped_column(Text)
    """What it was for, shown to the artist: an admin's reason, ``reflection:<id>``, a pack name."""
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = _now()


class CreditEntry(Base):
    """One side of a transfer on one account. ``id`` is a sequence, so ``(account_id, id)`` orders an
    account's history; ``balance_after`` is the account's balance right after this entry."""

    __tablename__ = "credit_entries"
    __table_args__ = (Index("ix_credit_entries_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    transfer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credit_transfers.id"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credit_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    """Signed: positive credits the account, negative debits it."""
    balance_after: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = _now()


class CreditHold(Base):
    __tablename__ = "credit_holds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_credit_hold_positive"),
        CheckConstraint("state IN ('pending', 'captured', 'voided')", name="ck_credit_hold_state"),
        CheckConstraint("(state = 'pending') = (resolved_at IS NULL)", name="ck_credit_hold_resolved"),
        CheckConstraint(
            "captured_amount IS NULL OR (captured_amount >= 0 AND captured_amount <= amount)",
            name="ck_credit_hold_capture_bounded",
        ),
        Index("ix_credit_holds_pending_expiry", "expires_at", postgresql_where=text("state = 'pending'")),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credit_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(10), server_default=text("'pending'"))
    reference: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime]
    captured_amount: Mapped[int | None] = mapped_column(BigInteger)
    capture_transfer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credit_transfers.id"))
    void_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    resolved_at: Mapped[datetime | None]


class ReflectionQuote(Base):
    """A price shown before confirming, valid until ``expires_at``, confirmable once.

    ``asset_count`` and ``membership_sha256`` describe the session as quoted; a confirm against a
    session that has changed since is refused as stale."""

    __tablename__ = "reflection_quotes"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    """Not a foreign key: re-clustering may delete the session; the confirm then finds it stale."""
    cost: Mapped[int] = mapped_column(Integer)
    asset_count: Mapped[int] = mapped_column(Integer)
    membership_sha256: Mapped[str] = mapped_column(String(64))
    image_count: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    confirmed_key_sha256: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 (hex) of the idempotency key that confirmed the quote: a retry with that key answers the
    same reflection even after the key itself was forgotten (``billing.quotes.purge_old_keys_and_quotes``)."""
    created_at: Mapped[datetime] = _now()


class ConfirmIdempotencyKey(Base):
    """A confirm's idempotency key: the first successful confirm stores its quote and hold; a retry with
    the same key and quote gets the same answer, with another quote ``IdempotencyKeyReused``. A refused
    confirm stores nothing (its transaction rolls back), so the key can be used again."""

    __tablename__ = "confirm_idempotency_keys"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reflection_quotes.id", ondelete="CASCADE"))
    hold_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credit_holds.id"))
    created_at: Mapped[datetime] = _now()


class CreditPurchase(Base):
    """A checkout of a credit pack with a payment provider; credits are granted once when it is paid
    (``grant_transfer_id``) and taken back once when it is refunded."""

    __tablename__ = "credit_purchases"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    pack_id: Mapped[str] = mapped_column(String(64))
    credits: Mapped[int] = mapped_column(BigInteger)
    price_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(8))
    provider: Mapped[str] = mapped_column(String(20))
    provider_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_payment_id: Mapped[str | None] = mapped_column(String(255), index=True)
    checkout_url: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), server_default=text("'open'"))
    """``open`` → ``paid`` → ``refunded``; or ``expired``."""
    grant_transfer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credit_transfers.id"))
    refunded_credits: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = _now()
    paid_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]


class UnmatchedRefund(Base):
    """A Stripe refund that arrived before the payment it refunds was applied (Stripe does not order
    its events: a payment event whose first delivery failed is retried hours later, possibly after
    a refund). Kept per payment intent with the largest cumulative ``refunded_cents`` seen; applying
    the payment takes it from here (:func:`billing.purchases.apply_stripe_event`). A refund of a
    payment that is not a credit purchase stays here, harmless."""

    __tablename__ = "unmatched_refunds"

    payment_intent_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    charged_cents: Mapped[int] = mapped_column(BigInteger)
    refunded_cents: Mapped[int] = mapped_column(BigInteger)
    fully_refunded: Mapped[bool]
    event_id: Mapped[str] = mapped_column(String(255))
    """The event that brought ``refunded_cents``."""
    received_at: Mapped[datetime] = _now()


class StripeRefund(Base):
    """One Stripe refund as its own events describe it (``refund.created``, ``refund.updated``,
    ``refund.failed``, ``charge.refund.updated``), by refund id. A refund that failed or was canceled
    returned nothing to the customer, so the credits its charge's ``charge.refunded`` took back are
    given back (:mod:`billing.purchases`). ``failed`` only ever turns true (both are final states at
    Stripe); a late copy of an earlier event cannot undo it."""

    __tablename__ = "stripe_refunds"

    refund_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    payment_intent_id: Mapped[str] = mapped_column(String(255), index=True)
    cents: Mapped[int] = mapped_column(BigInteger)
    failed: Mapped[bool]
    """The refund failed or was canceled: nothing of it reached the customer."""
    event_id: Mapped[str] = mapped_column(String(255))
    """The latest event that changed this row."""
    received_at: Mapped[datetime] = _now()
