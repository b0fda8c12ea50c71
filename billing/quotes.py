"""Reflection quotes and the billing half of confirming one.

A quote fixes the price of reflecting on one session as it is now (asset count and a fingerprint of
its membership) for ``ATELIER_QUOTE_TTL_SECONDS``. Confirming it, in the caller's transaction:

1. locks the quote row (``FOR UPDATE``): concurrent confirms of one quote run one after another;
2. claims the idempotency key (``INSERT … ON CONFLICT DO NOTHING`` on ``(user, key)``): a key already
   claimed with this quote replays the first answer (same hold), with another quote it is refused;
   a concurrent claimer waits for the first transaction and then sees its outcome;
3. checks the quote is unused and unexpired, the session still has ≥ the threshold and the same
   members, then places the hold (a conditional update: available never goes below zero). A quote
   already used answers the same hold again when its confirming key comes back after the sweeper
   forgot the key (the quote keeps the key's SHA-256): "however many times" holds for days too.

Refusals raise :class:`ConfirmRefused` so the caller's transaction rolls back — a refused confirm
leaves no trace, and its key stays free for a later attempt (after buying credits, say).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing import ledger
from billing.models import ConfirmIdempotencyKey, CreditHold, ReflectionQuote
from billing.pricing import OFFLINE_MODEL, reflection_price, representative_image_count
from catalog.sessions.queries import session_membership
from catalog.settings import AtelierSettings

IDEMPOTENCY_KEY_MAX_CHARS = 200


@dataclass(frozen=True, slots=True)
class ReflectionTerms:
    """What quotes are priced against (from settings)."""

    min_assets: int
    quote_ttl: timedelta
    hold_ttl: timedelta
    model: str
    model_rate: float

    @classmethod
    def from_settings(cls, settings: AtelierSettings) -> ReflectionTerms:
        return cls(
            min_assets=settings.reflection_min_assets,
            quote_ttl=timedelta(seconds=settings.quote_ttl_seconds),
            hold_ttl=timedelta(seconds=settings.hold_ttl_seconds),
            model=settings.curator_model if settings.llm_configured else OFFLINE_MODEL,
            model_rate=settings.curator_credit_rate,
        )


@dataclass(frozen=True, slots=True)
class QuoteCreated:
    quote: ReflectionQuote
    available: int


@dataclass(frozen=True, slots=True)
class SessionMissing:
    message: str = "No such session."


@dataclass(frozen=True, slots=True)
class BelowThreshold:
    asset_count: int
    required_assets: int

    @property
    def message(self) -> str:
        return (
            f"Reflections need a session of at least {self.required_assets} images; "
            f"this one has {self.asset_count}."
        )


@dataclass(frozen=True, slots=True)
class QuoteUnusable:
    """Expired, or already confirmed under another key (GraphQL ``QuoteExpired``)."""

    message: str


@dataclass(frozen=True, slots=True)
class QuoteOutdated:
    """The session changed since the quote (GraphQL ``QuoteStale``)."""

    message: str


@dataclass(frozen=True, slots=True)
class KeyReused:
    message: str = "This idempotency key was already used to confirm another quote."


@dataclass(frozen=True, slots=True)
class CreditsShort:
    required: int
    available: int
    owed: int

    @property
    def message(self) -> str:
        if self.owed:
            return (
                f"Your account owes {self.owed} credits from a refunded purchase; new reflections can "
                "start once it is settled."
            )
        return f"This reflection needs {self.required} credits; {self.available} are available."


ConfirmRefusal = SessionMissing | BelowThreshold | QuoteUnusable | QuoteOutdated | KeyReused | CreditsShort


class ConfirmRefused(Exception):
    """Raised out of the confirm so the caller's transaction rolls back; carries the typed refusal."""

    def __init__(self, refusal: ConfirmRefusal) -> None:
        super().__init__(getattr(refusal, "message", type(refusal).__name__))
        self.refusal = refusal


@dataclass(frozen=True, slots=True)
class HoldPlaced:
    quote: ReflectionQuote
    hold_id: uuid.UUID
    replayed: bool
    """True when this answers a retry of an earlier confirm with the same key (nothing new held)."""


async def create_quote(
    db: AsyncSession,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    terms: ReflectionTerms,
    *,
    now: datetime | None = None,
) -> QuoteCreated | BelowThreshold | SessionMissing:
    membership = await session_membership(db, user_id, session_id)
    if membership is None:
        return SessionMissing()
    if membership.asset_count < terms.min_assets:
        return BelowThreshold(membership.asset_count, terms.min_assets)
    image_count = representative_image_count(membership.thumbnail_count)
    quote = ReflectionQuote(
        user_id=user_id,
        session_id=session_id,
        cost=reflection_price(
            asset_count=membership.asset_count,
            image_count=image_count,
            model=terms.model,
            model_rate=terms.model_rate,
        ),
        asset_count=membership.asset_count,
        membership_sha256=membership.membership_sha256,
        image_count=image_count,
        model=terms.model,
        expires_at=(now or datetime.now(UTC)) + terms.quote_ttl,
    )
    db.add(quote)
    await db.flush()
    available = (await ledger.balance_of(db, user_id)).available
    return QuoteCreated(quote, available)


async def confirm_quote(
    db: AsyncSession,
    user_id: uuid.UUID,
    quote_id: uuid.UUID,
    idempotency_key: str,
    terms: ReflectionTerms,
    *,
    now: datetime | None = None,
) -> HoldPlaced:
    """Place the hold for a quote (see the module docstring); raises :class:`ConfirmRefused`."""
    moment = now or datetime.now(UTC)
    if not 1 <= len(idempotency_key) <= IDEMPOTENCY_KEY_MAX_CHARS:
        raise ConfirmRefused(
            QuoteUnusable(f"idempotencyKey must be 1–{IDEMPOTENCY_KEY_MAX_CHARS} characters")
        )
    quote = await db.scalar(
        select(ReflectionQuote)
        .where(ReflectionQuote.id == quote_id, ReflectionQuote.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if quote is None:
        raise ConfirmRefused(SessionMissing("No such quote."))
    claimed = await db.scalar(
        pg_insert(ConfirmIdempotencyKey)
        .values(user_id=user_id, key=idempotency_key, quote_id=quote_id)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(ConfirmIdempotencyKey.key)
    )
    if claimed is None:
        earlier = (
            await db.execute(
                select(ConfirmIdempotencyKey.quote_id, ConfirmIdempotencyKey.hold_id).where(
                    ConfirmIdempotencyKey.user_id == user_id, ConfirmIdempotencyKey.key == idempotency_key
                )
            )
        ).one()
        if earlier[0] != quote_id or earlier[1] is None:
            raise ConfirmRefused(KeyReused())
        return HoldPlaced(quote, earlier[1], replayed=True)
    if quote.confirmed_at is not None:
        replayed = await _confirmed_with(db, user_id, quote, idempotency_key)
        if replayed is not None:
            return replayed
        raise ConfirmRefused(QuoteUnusable("This quote was already confirmed; ask for a new quote."))
    if quote.expires_at <= moment:
        raise ConfirmRefused(QuoteUnusable("This quote has expired; ask for a new quote."))
    membership = await session_membership(db, user_id, quote.session_id)
    if membership is None:
        raise ConfirmRefused(QuoteOutdated("The session no longer exists (it was merged or re-clustered)."))
    if membership.asset_count < terms.min_assets:
        raise ConfirmRefused(BelowThreshold(membership.asset_count, terms.min_assets))
    if membership.membership_sha256 != quote.membership_sha256:
        raise ConfirmRefused(
            QuoteOutdated("The session changed since this quote (images were moved, split or merged).")
        )
    hold = await ledger.place_hold(
        db, user_id, quote.cost, ttl=terms.hold_ttl, reference=f"quote:{quote.id}", now=moment
    )
    if isinstance(hold, ledger.HoldRefused):
        raise ConfirmRefused(CreditsShort(hold.required, hold.available, hold.owed))
    await db.execute(
        update(ReflectionQuote)
        .where(ReflectionQuote.id == quote_id)
        .values(confirmed_at=moment, confirmed_key_sha256=_key_digest(idempotency_key))
    )
    await db.execute(
        update(ConfirmIdempotencyKey)
        .where(ConfirmIdempotencyKey.user_id == user_id, ConfirmIdempotencyKey.key == idempotency_key)
        .values(hold_id=hold.id)
    )
    quote.confirmed_at = moment
    return HoldPlaced(quote, hold.id, replayed=False)


def _key_digest(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode()).hexdigest()


async def _confirmed_with(
    db: AsyncSession, user_id: uuid.UUID, quote: ReflectionQuote, idempotency_key: str
) -> HoldPlaced | None:
    """The answer to a retry of the confirm that used ``quote`` with ``idempotency_key``, whose key row
    was forgotten since (the caller has just claimed the key afresh: it is pointed at the hold again),
    or ``None`` when another key confirmed the quote."""
    if quote.confirmed_key_sha256 != _key_digest(idempotency_key):
        return None
    hold_id = await db.scalar(
        select(CreditHold.id).where(
            CreditHold.user_id == user_id, CreditHold.reference == f"quote:{quote.id}"
        )
    )
    if hold_id is None:
        return None
    await db.execute(
        update(ConfirmIdempotencyKey)
        .where(ConfirmIdempotencyKey.user_id == user_id, ConfirmIdempotencyKey.key == idempotency_key)
        .values(hold_id=hold_id)
    )
    return HoldPlaced(quote, hold_id, replayed=True)


async def purge_old_keys_and_quotes(db: AsyncSession, *, now: datetime, retention: timedelta) -> int:
    """Forget idempotency keys and never-confirmed quotes older than ``retention`` (≥ 24 h)."""
    if retention < timedelta(hours=24):
        raise ValueError("idempotency keys are kept at least 24 hours")
    cutoff = now - retention
    keys = await db.execute(delete(ConfirmIdempotencyKey).where(ConfirmIdempotencyKey.created_at < cutoff))
    quotes = await db.execute(
        delete(ReflectionQuote).where(
            ReflectionQuote.confirmed_at.is_(None), ReflectionQuote.expires_at < cutoff
        )
    )
    return int(getattr(keys, "rowcount", 0) or 0) + int(getattr(quotes, "rowcount", 0) or 0)
