"""Buying credit packs with Stripe Checkout, and applying Stripe's webhook events to the ledger.

Functions take the caller's ``AsyncSession`` and never commit; one webhook event is one unit of work.

Exactly once, whatever Stripe retries (it redelivers an event until it gets a 2xx, possibly several
copies at once):

- **Payment → grant, once per checkout session.** A conditional
  ``UPDATE credit_purchases SET state = 'paid' … WHERE provider_session_id = :id AND state IN ('open',
  'expired') RETURNING`` lets exactly one delivery through: concurrent copies block on the row lock and,
  once the first commits, re-check the condition and find the purchase paid. Only that delivery grants,
  and its grant carries the idempotency key ``purchase:<purchase id>`` as a second guard. (An expired
  purchase is still granted if Stripe reports it paid: a customer who paid always gets the credits.)
- **Refund → take back, once per refunded amount.** ``charge.refunded`` carries the charge's
  cumulative ``amount_refunded``. The purchase row is locked (``SELECT … FOR UPDATE``) and
  ``refunded_credits`` says how much was taken back already, so only the difference is taken; a
  redelivered or out-of-order older refund event changes nothing. A full refund takes back all of the
  pack's credits, a partial one ``floor(credits × refunded / charged)``. What the account no longer
  has (spent on reflections) is recorded as owed by :func:`billing.ledger.take_back`; an account that
  owes places no new holds until later credits settle it.
- **A lost chargeback is taken back like a refund of its amount** (``charge.dispute.closed`` with status
  ``lost``; the purchase's ``detail.disputes_lost`` keeps each dispute's cents, so a redelivery adds
  nothing): the credits taken back cover refunds and lost disputes together, never more than the pack.
  A dispute that is won or withdrawn changes nothing; nothing is taken when one is opened.
- **A refund that fails gives its credits back.** A refund Stripe cannot deliver (the card closed,
  lost or expired) turns ``failed`` — or a pending one ``canceled`` — and the money goes back to the
  merchant, not the customer. Refund objects (``refund.created``/``updated``/``failed``,
  ``charge.refund.updated``) are kept by id (:class:`billing.models.StripeRefund`); what a purchase
  counts as refunded is ``max(live refunds known by id, cumulative amount_refunded − failed refunds)``
  — right whether or not Stripe lowers ``amount_refunded`` after a failure, never more than was
  returned — so a failure lowers the credits to take back and :func:`billing.ledger.give_back` returns
  the difference (what the account still owes is forgiven first). A purchase's credits taken back
  may therefore go down as well as up; each change is one ledger transfer whose idempotency key names
  the new total and the number of failed refunds known, unique because the total only grows between
  two failures.
- **A refund before its payment is kept, not dropped.** Stripe does not order events: a payment event
  whose first delivery failed is retried later, possibly after a refund of it. A refund matching no
  paid purchase is stored by payment intent (:class:`billing.models.UnmatchedRefund`, the largest
  cumulative amount seen) and applied, as above, in the transaction that applies the payment. Both
  paths first take a transaction-level advisory lock on the payment intent, so a refund and its
  payment delivered at the same moment are applied one after the other, never both missed.

States: ``open`` → ``paid`` → ``refunded`` (once fully refunded; a partial refund stays ``paid`` with
``refunded_credits`` > 0); ``open`` → ``expired`` (checkout expired, or a delayed payment failed).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing import accounts, ledger
from billing.models import CreditPurchase, StripeRefund, UnmatchedRefund
from billing.packs import CreditPack
from billing.stripe_gateway import StripeGateway
from catalog.settings import AtelierSettings

PROVIDER = "stripe"
PAID_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})
CLOSED_UNPAID_EVENTS = frozenset({"checkout.session.expired", "checkout.session.async_payment_failed"})
REFUND_EVENTS = frozenset({"charge.refunded"})
REFUND_OBJECT_EVENTS = frozenset(
    {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
)
NOT_RETURNED_REFUND_STATUSES = frozenset({"failed", "canceled"})
"""A refund in one of these (final) states returned nothing to the customer."""
DISPUTE_CLOSED_EVENTS = frozenset({"charge.dispute.closed"})


@dataclass(frozen=True, slots=True)
class CheckoutStarted:
    purchase_id: uuid.UUID
    checkout_url: str


CHECKOUT_SUCCESS_PATH = "/credits/checkout/success"
CHECKOUT_CANCELLED_PATH = "/credits/checkout/cancelled"


def checkout_return_urls(settings: AtelierSettings, purchase_id: uuid.UUID) -> tuple[str, str]:
    """Where Stripe sends the browser after paying and after cancelling (``{CHECKOUT_SESSION_ID}`` is
    filled in by Stripe)."""
    base = settings.public_base_url.rstrip("/")
    success = f"{base}{CHECKOUT_SUCCESS_PATH}?purchase={purchase_id}&session_id={{CHECKOUT_SESSION_ID}}"
    cancel = f"{base}{CHECKOUT_CANCELLED_PATH}?purchase={purchase_id}"
    return success, cancel


async def start_purchase(
    db: AsyncSession,
    user_id: uuid.UUID,
    pack: CreditPack,
    gateway: StripeGateway,
    *,
    settings: AtelierSettings,
) -> CheckoutStarted:
    """Record an ``open`` purchase of ``pack`` and create its Stripe Checkout session.

    The purchase row and the session id are written in the caller's transaction; the Stripe call is
    made inside it, so if the transaction fails the checkout URL is never shown to anyone (the orphan
    session simply expires at Stripe). The user's credit account is opened first (with its signup
    credits) so that a purchase is never the thing that creates an account without them.
    """
    await accounts.open_account(db, user_id, signup_credits=settings.signup_credits)
    purchase = CreditPurchase(
        id=uuid.uuid4(),
        user_id=user_id,
        pack_id=pack.id,
        credits=pack.credits,
        price_cents=pack.price_cents,
        currency=pack.currency,
        provider=PROVIDER,
        state="open",
        refunded_credits=0,
        detail={"pack_name": pack.name},
    )
    db.add(purchase)
    await db.flush()
    success_url, cancel_url = checkout_return_urls(settings, purchase.id)
    session = await gateway.create_checkout_session(
        purchase_id=purchase.id, user_id=user_id, pack=pack, success_url=success_url, cancel_url=cancel_url
    )
    purchase.provider_session_id = session.id
    purchase.checkout_url = session.url
    purchase.detail = {"pack_name": pack.name, "checkout_expires_at": session.expires_at}
    await db.flush()
    return CheckoutStarted(purchase_id=purchase.id, checkout_url=session.url)


async def apply_stripe_event(db: AsyncSession, event: dict[str, Any]) -> str:
    """Apply one verified Stripe event; returns what happened (for the log). Unknown types are ignored.

    Safe to call any number of times, concurrently, with the same event (see the module docstring)."""
    event_type = str(event.get("type"))
    event_id = str(event.get("id"))
    data_object: dict[str, Any] = event["data"]["object"]
    if event_type in PAID_EVENTS:
        return await _apply_paid(db, event_id, data_object)
    if event_type in CLOSED_UNPAID_EVENTS:
        return await _apply_closed_unpaid(db, event_type, event_id, data_object)
    if event_type in REFUND_EVENTS:
        return await _apply_refund(db, event_id, data_object)
    if event_type in REFUND_OBJECT_EVENTS:
        return await _apply_refund_object(db, event_id, data_object)
    if event_type in DISPUTE_CLOSED_EVENTS:
        return await _apply_dispute_closed(db, event_id, data_object)
    return f"ignored {event_type} {event_id}"


async def _apply_paid(db: AsyncSession, event_id: str, checkout: dict[str, Any]) -> str:
    session_id = str(checkout.get("id"))
    if checkout.get("payment_status") != "paid":
        return f"checkout {session_id} completed, payment still pending ({checkout.get('payment_status')})"
    payment_intent = _object_id(checkout.get("payment_intent"))
    if payment_intent is not None:
        await _lock_payment(db, payment_intent)
    row = (
        await db.execute(
            update(CreditPurchase)
            .where(
                CreditPurchase.provider_session_id == session_id,
                CreditPurchase.state.in_(("open", "expired")),
            )
            .values(
                state="paid",
                paid_at=func.now(),
                provider_payment_id=payment_intent,
                detail=_detail_merged(
                    {
                        "paid_event_id": event_id,
                        "amount_total": checkout.get("amount_total"),
                        "paid_currency": checkout.get("currency"),
                    }
                ),
            )
            .returning(
                CreditPurchase.id, CreditPurchase.user_id, CreditPurchase.credits, CreditPurchase.detail
            )
        )
    ).one_or_none()
    if row is None:
        return await _not_applicable(db, session_id, "payment")
    purchase_id, user_id, credits, detail = row
    posted = await ledger.grant(
        db,
        user_id,
        int(credits),
        source="purchases",
        kind="purchase",
        reference=str(detail.get("pack_name") or "credit pack"),
        idempotency_key=f"purchase:{purchase_id}",
    )
    if posted is None:  # the purchase was unpaid, so its grant cannot exist; keep the state, say so
        outcome = f"purchase {purchase_id} marked paid; its grant existed already"
    else:
        await db.execute(
            update(CreditPurchase).where(CreditPurchase.id == purchase_id).values(grant_transfer_id=posted.id)
        )
        outcome = f"granted {credits} credits for purchase {purchase_id} (checkout {session_id})"
    if payment_intent is None:
        return outcome
    early = (
        await db.execute(
            delete(UnmatchedRefund)
            .where(UnmatchedRefund.payment_intent_id == payment_intent)
            .returning(
                UnmatchedRefund.event_id,
                UnmatchedRefund.charged_cents,
                UnmatchedRefund.refunded_cents,
                UnmatchedRefund.fully_refunded,
            )
        )
    ).one_or_none()
    if early is not None:
        event, charged_cents, refunded_cents, fully_refunded = early
        kept = _Refund(
            payment_intent, str(event), int(charged_cents), int(refunded_cents), bool(fully_refunded)
        )
    elif (await _refund_objects(db, payment_intent)).known:
        kept = _Refund(payment_intent, event_id, None, 0, False)  # refunds known only by their own events
    else:
        return outcome
    refunded = await _take_back_refund(db, kept)
    return f"{outcome}; the refund received earlier: {refunded}"


async def _apply_closed_unpaid(
    db: AsyncSession, event_type: str, event_id: str, checkout: dict[str, Any]
) -> str:
    session_id = str(checkout.get("id"))
    reason = "checkout expired" if event_type == "checkout.session.expired" else "delayed payment failed"
    purchase_id = await db.scalar(
        update(CreditPurchase)
        .where(CreditPurchase.provider_session_id == session_id, CreditPurchase.state == "open")
        .values(
            state="expired", detail=_detail_merged({"closed_event_id": event_id, "closed_because": reason})
        )
        .returning(CreditPurchase.id)
    )
    if purchase_id is None:
        return await _not_applicable(db, session_id, reason)
    return f"purchase {purchase_id} expired: {reason}"


async def _apply_refund(db: AsyncSession, event_id: str, charge: dict[str, Any]) -> str:
    payment_intent = _object_id(charge.get("payment_intent"))
    if payment_intent is None:
        return f"ignored refund of charge {charge.get('id')}: no payment intent"
    await _lock_payment(db, payment_intent)
    refund = _Refund(
        payment_intent,
        event_id,
        charged_cents=_cents(charge.get("amount")),
        refunded_cents=_cents(charge.get("amount_refunded")) or 0,
        fully_refunded=bool(charge.get("refunded")),
    )
    return await _take_back_refund(db, refund)


async def _take_back_refund(db: AsyncSession, refund: _Refund) -> str:
    """Take back what ``refund`` adds to what was taken back already — or keep it for the payment when
    no paid purchase holds that yet. The caller holds the payment's advisory lock (:func:`_lock_payment`)."""
    purchase = await _paid_purchase(db, refund.payment_intent)
    if purchase is None:
        return await _keep_unmatched_refund(db, refund)
    return await _take_back_to(
        db,
        purchase,
        refund.event_id,
        charged_cents=refund.charged_cents or purchase.charged_cents,
        refunded_cents=max(refund.refunded_cents, purchase.refunded_cents),
        fully_refunded=refund.fully_refunded or purchase.fully_refunded,
        disputes_lost=purchase.disputes_lost,
    )


async def _apply_refund_object(db: AsyncSession, event_id: str, refund: dict[str, Any]) -> str:
    """Keep one refund by id (whether it failed); then count the purchase's refunds again, which gives
    credits back when this one failed after its charge's ``charge.refunded`` took them."""
    refund_id = refund.get("id")
    payment_intent = _object_id(refund.get("payment_intent"))
    cents = _cents(refund.get("amount"))
    if not isinstance(refund_id, str) or not refund_id or payment_intent is None or cents is None:
        return f"ignored refund {refund_id!r}: no payment intent or amount"
    status = str(refund.get("status"))
    failed = status in NOT_RETURNED_REFUND_STATUSES
    await _lock_payment(db, payment_intent)
    stored = insert(StripeRefund).values(
        refund_id=refund_id, payment_intent_id=payment_intent, cents=cents, failed=failed, event_id=event_id
    )
    await db.execute(
        stored.on_conflict_do_update(
            index_elements=[StripeRefund.refund_id],
            set_={"failed": True, "event_id": stored.excluded.event_id},
            where=stored.excluded.failed & ~StripeRefund.failed,
        )
    )
    purchase = await _paid_purchase(db, payment_intent)
    if purchase is None:
        return f"kept refund {refund_id} ({status}) of {payment_intent} for its payment: no paid purchase yet"
    outcome = await _take_back_to(
        db,
        purchase,
        event_id,
        charged_cents=purchase.charged_cents,
        refunded_cents=purchase.refunded_cents,
        fully_refunded=purchase.fully_refunded,
        disputes_lost=purchase.disputes_lost,
    )
    return f"refund {refund_id} {status}: {outcome}"


@dataclass(frozen=True, slots=True)
class _RefundObjects:
    """What a payment's refunds known by id add up to, in cents."""

    live_cents: int
    """Refunds not failed nor canceled (pending or succeeded)."""
    failed_cents: int
    failed_count: int

    @property
    def known(self) -> bool:
        return bool(self.live_cents or self.failed_count)


async def _refund_objects(db: AsyncSession, payment_intent: str) -> _RefundObjects:
    live, failed, count = (
        await db.execute(
            select(
                func.coalesce(func.sum(StripeRefund.cents).filter(~StripeRefund.failed), 0),
                func.coalesce(func.sum(StripeRefund.cents).filter(StripeRefund.failed), 0),
                func.count().filter(StripeRefund.failed),
            ).where(StripeRefund.payment_intent_id == payment_intent)
        )
    ).one()
    return _RefundObjects(int(live), int(failed), int(count))


async def _apply_dispute_closed(db: AsyncSession, event_id: str, dispute: dict[str, Any]) -> str:
    """A chargeback the merchant lost takes its amount's credits back, as a refund of it does; a won
    or withdrawn one changes nothing (the credits were never taken on its opening)."""
    dispute_id = str(dispute.get("id"))
    status = dispute.get("status")
    if status != "lost":
        return f"dispute {dispute_id} closed {status}: nothing taken back"
    payment_intent = _object_id(dispute.get("payment_intent"))
    if payment_intent is None:
        return f"ignored lost dispute {dispute_id}: no payment intent"
    await _lock_payment(db, payment_intent)
    purchase = await _paid_purchase(db, payment_intent)
    if purchase is None:
        return f"ignored lost dispute {dispute_id} of {payment_intent}: no paid purchase"
    lost = _cents(dispute.get("amount"))
    return await _take_back_to(
        db,
        purchase,
        event_id,
        charged_cents=purchase.charged_cents,
        refunded_cents=purchase.refunded_cents,
        fully_refunded=purchase.fully_refunded,
        disputes_lost={**purchase.disputes_lost, dispute_id: purchase.price_cents if lost is None else lost},
    )


@dataclass(frozen=True, slots=True)
class _Refund:
    """What a ``charge.refunded`` event says of one payment (or what was kept of it)."""

    payment_intent: str
    event_id: str
    charged_cents: int | None
    """The charge's amount; ``None``: not given (the purchase's price is used)."""
    refunded_cents: int
    """Cumulative: every refund of the charge so far."""
    fully_refunded: bool


@dataclass(frozen=True, slots=True)
class _PaidPurchase:
    id: uuid.UUID
    payment_intent: str
    user_id: uuid.UUID
    credits: int
    price_cents: int
    refunded_credits: int
    """Credits taken back so far (refunds and lost disputes)."""
    refunded_cents: int
    """The largest cumulative refunded amount a ``charge.refunded`` event reported."""
    fully_refunded: bool
    """A ``charge.refunded`` event said the charge was refunded in full."""
    charged_cents: int | None
    """The charge's amount as its refund events gave it (``None``: none did)."""
    disputes_lost: dict[str, int]
    """Cents of each lost dispute, by dispute id."""
    pack_name: str


async def _paid_purchase(db: AsyncSession, payment_intent: str) -> _PaidPurchase | None:
    """The paid (or refunded) purchase of ``payment_intent``, its row locked."""
    row = (
        await db.execute(
            select(
                CreditPurchase.id,
                CreditPurchase.user_id,
                CreditPurchase.credits,
                CreditPurchase.price_cents,
                CreditPurchase.refunded_credits,
                CreditPurchase.detail,
            )
            .where(
                CreditPurchase.provider_payment_id == payment_intent,
                CreditPurchase.state.in_(("paid", "refunded")),
            )
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        return None
    purchase_id, user_id, credits, price_cents, refunded_credits, detail = row
    disputes = detail.get("disputes_lost")
    return _PaidPurchase(
        id=purchase_id,
        payment_intent=payment_intent,
        user_id=user_id,
        credits=int(credits),
        price_cents=int(price_cents),
        refunded_credits=int(refunded_credits),
        refunded_cents=int(detail.get("refunded_cents") or 0),
        fully_refunded=bool(detail.get("fully_refunded")),
        charged_cents=_cents(detail.get("charged_cents")),
        disputes_lost={str(k): int(v) for k, v in disputes.items()} if isinstance(disputes, dict) else {},
        pack_name=str(detail.get("pack_name") or "credit pack"),
    )


async def _take_back_to(
    db: AsyncSession,
    purchase: _PaidPurchase,
    event_id: str,
    *,
    charged_cents: int | None,
    refunded_cents: int,
    fully_refunded: bool,
    disputes_lost: dict[str, int],
) -> str:
    """Bring the credits taken back from ``purchase`` to what its refunds (cumulative
    ``refunded_cents``, less refunds that failed; see the module docstring) and lost disputes now
    cover: take back the difference, or give it back when a refund failed. Never more than the pack,
    never twice for one total."""
    charged = charged_cents or purchase.price_cents
    objects = await _refund_objects(db, purchase.payment_intent)
    cumulative = charged if fully_refunded else refunded_cents
    refunded_now = max(objects.live_cents, cumulative - objects.failed_cents)
    returned_cents = refunded_now + sum(disputes_lost.values())
    target = refunded_credits_for(
        purchase.credits, charged, returned_cents, fully_refunded and not objects.failed_count
    )
    difference = target - purchase.refunded_credits
    seen = (refunded_cents, fully_refunded, charged_cents, disputes_lost)
    known = seen == (
        purchase.refunded_cents,
        purchase.fully_refunded,
        purchase.charged_cents,
        purchase.disputes_lost,
    )
    if difference == 0 and known:
        return f"refund of purchase {purchase.id} already applied ({purchase.refunded_credits} credits)"
    detail: dict[str, Any] = {
        "refund_event_id": event_id,
        "refunded_cents": refunded_cents,
        "fully_refunded": fully_refunded,
        "disputes_lost": disputes_lost,
    }
    if charged_cents is not None:
        detail["charged_cents"] = charged_cents
    values: dict[str, Any] = {"detail": _detail_merged(detail)}
    if difference != 0:
        values |= {"refunded_credits": target, "state": "refunded" if target >= purchase.credits else "paid"}
    if difference > 0:
        values["refunded_at"] = func.now()
    await db.execute(update(CreditPurchase).where(CreditPurchase.id == purchase.id).values(**values))
    if difference == 0:
        return f"refund of purchase {purchase.id} noted; nothing more to take back"
    # The total only grows between two failures, so (total, failures known) names each change once.
    key_suffix = f":{objects.failed_count}" if objects.failed_count else ""
    if difference < 0:
        credited, forgiven = await ledger.give_back(
            db,
            purchase.user_id,
            -difference,
            reference=f"refund failed: {purchase.pack_name}",
            idempotency_key=f"refund-reversed:{purchase.id}:{target}{key_suffix}",
        )
        return (
            f"failed refund of purchase {purchase.id}: gave back {credited} credits, forgave {forgiven} owed"
        )
    what = "chargeback" if disputes_lost != purchase.disputes_lost else "refund"
    taken, owed = await ledger.take_back(
        db,
        purchase.user_id,
        difference,
        reference=f"{what}: {purchase.pack_name}",
        idempotency_key=f"refund:{purchase.id}:{target}{key_suffix}",
    )
    return f"{what} of purchase {purchase.id}: took back {taken} credits, {owed} owed"


async def _keep_unmatched_refund(db: AsyncSession, refund: _Refund) -> str:
    """Store a refund no paid purchase holds yet; a later copy or a larger refund of the same payment
    replaces it only by growing (an older event delivered late changes nothing)."""
    stored = insert(UnmatchedRefund).values(
        payment_intent_id=refund.payment_intent,
        charged_cents=refund.charged_cents or 0,
        refunded_cents=refund.refunded_cents,
        fully_refunded=refund.fully_refunded,
        event_id=refund.event_id,
    )
    grows = (stored.excluded.refunded_cents > UnmatchedRefund.refunded_cents) | (
        stored.excluded.fully_refunded & ~UnmatchedRefund.fully_refunded
    )
    await db.execute(
        stored.on_conflict_do_update(
            index_elements=[UnmatchedRefund.payment_intent_id],
            set_={
                "charged_cents": stored.excluded.charged_cents,
                "refunded_cents": func.greatest(
                    UnmatchedRefund.refunded_cents, stored.excluded.refunded_cents
                ),
                "fully_refunded": UnmatchedRefund.fully_refunded | stored.excluded.fully_refunded,
                "event_id": stored.excluded.event_id,
            },
            where=grows,
        )
    )
    return f"kept refund of {refund.payment_intent} for its payment: no paid purchase yet"


async def _lock_payment(db: AsyncSession, payment_intent: str) -> None:
    """Serialise this transaction with every other one applying an event of ``payment_intent``
    (released at commit or rollback)."""
    key = func.hashtextextended(f"stripe-payment:{payment_intent}", 0)
    await db.execute(select(func.pg_advisory_xact_lock(key)))


def _cents(value: object) -> int | None:
    """An amount in cents as Stripe sends it (an integer); ``None`` when missing or not a whole number."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def refunded_credits_for(credits: int, charged_cents: int, refunded_cents: int, fully_refunded: bool) -> int:
    """Credits a refund of ``refunded_cents`` (cumulative) out of ``charged_cents`` takes back: all of
    them for a full refund, else the same fraction rounded down (rounding favours the artist)."""
    if fully_refunded or refunded_cents >= charged_cents:
        return credits
    return max(0, credits * refunded_cents // max(charged_cents, 1))


async def _not_applicable(db: AsyncSession, session_id: str, what: str) -> str:
    state = await db.scalar(
        select(CreditPurchase.state).where(CreditPurchase.provider_session_id == session_id)
    )
    if state is None:
        return f"ignored {what} of unknown checkout {session_id}"
    return f"ignored {what} of checkout {session_id}: purchase is {state} already"


def _object_id(value: object) -> str | None:
    """An id field that Stripe sends as a string, or as the object itself when expanded."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _detail_merged(extra: dict[str, Any]) -> ColumnElement[Any]:
    return CreditPurchase.detail.op("||", return_type=JSONB)(bindparam(None, extra, type_=JSONB))
