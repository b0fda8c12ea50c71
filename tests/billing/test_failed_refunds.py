"""Refunds that fail at Stripe (the customer's card closed, lost or expired) give their credits back:
the money went back to the merchant, not the customer. Real PostgreSQL, the official SDK verifying
events signed as the loopback Stripe signs them."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from billing import ledger
from billing.models import CreditTransfer
from catalog.database import SessionFactory, unit_of_work
from catalog.settings import AtelierSettings
from tests.billing import stripe_loopback as loopback
from tests.billing.stripe_loopback import StripeLoopback
from tests.billing.test_purchases import HOUR, _balance, _deliver, _paid, _purchase, _spend, _start, _user


def _charge(payment_intent: str, refunded: int) -> bytes:
    return loopback.charge_refunded(payment_intent=payment_intent, amount=500, amount_refunded=refunded)


def _refund(payment_intent: str, refund_id: str, amount: int, status: str, event_type: str) -> bytes:
    return loopback.refund_event(
        payment_intent=payment_intent,
        refund_id=refund_id,
        amount=amount,
        status=status,
        event_type=event_type,
    )


async def _transfers(factory: SessionFactory, kind: str) -> list[int]:
    async with factory() as db:
        return list(await db.scalars(select(CreditTransfer.amount).where(CreditTransfer.kind == kind)))


async def test_a_full_refund_that_fails_gives_the_credits_back_once(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    """Before: ``charge.refund.updated`` (status ``failed``) was ignored, and the artist lost the pack's
    credits although the money never reached them."""
    user_id = await _user(session_factory)
    started, intent = await _paid(session_factory, stripe_settings, stripe_api, user_id)
    await _deliver(session_factory, _charge(intent, 500))
    assert await _balance(session_factory, user_id) == ledger.Balance(0, 0, 0)

    failed = _refund(intent, "re_full", 500, "failed", "charge.refund.updated")
    outcome = await _deliver(session_factory, failed)
    assert "gave back 50 credits" in outcome, outcome
    await asyncio.gather(*(_deliver(session_factory, failed) for _ in range(3)))  # redeliveries
    await _deliver(session_factory, _charge(intent, 500))  # a late copy of the refund's charge event
    await _deliver(session_factory, _refund(intent, "re_full", 500, "succeeded", "refund.created"))  # late

    assert await _balance(session_factory, user_id) == ledger.Balance(50, 0, 0)
    purchase = await _purchase(session_factory, started.purchase_id)
    assert (purchase.state, purchase.refunded_credits) == ("paid", 0)
    assert await _transfers(session_factory, "refund_reversed") == [50]


async def test_a_failed_refund_of_spent_credits_forgives_what_is_owed_first(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    user_id = await _user(session_factory)
    _, intent = await _paid(session_factory, stripe_settings, stripe_api, user_id)
    await _spend(session_factory, user_id, 40)  # a reflection spends 40 of the 50 credits
    await _deliver(session_factory, _charge(intent, 500))
    assert await _balance(session_factory, user_id) == ledger.Balance(0, 0, 40)

    outcome = await _deliver(session_factory, _refund(intent, "re_1", 500, "failed", "refund.failed"))

    assert "gave back 10 credits, forgave 40 owed" in outcome, outcome
    assert await _balance(session_factory, user_id) == ledger.Balance(10, 0, 0)
    async with unit_of_work(session_factory) as db:  # owing nothing, the account can hold again
        assert not isinstance(await ledger.place_hold(db, user_id, 10, ttl=HOUR), ledger.HoldRefused)


async def test_a_failed_partial_refund_then_a_new_one_counts_only_what_reached_the_customer(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    """Whether Stripe lowers ``amount_refunded`` after a failure or not, the credits follow the money."""
    user_id = await _user(session_factory)
    started, intent = await _paid(session_factory, stripe_settings, stripe_api, user_id)
    await _deliver(session_factory, _refund(intent, "re_a", 200, "pending", "refund.created"))
    await _deliver(session_factory, _charge(intent, 200))  # 40 % → 20 credits
    assert (await _balance(session_factory, user_id)).balance == 30

    await _deliver(session_factory, _refund(intent, "re_a", 200, "failed", "refund.updated"))
    assert (await _balance(session_factory, user_id)).balance == 50

    # A second refund of 300 (to another card, say): its events, and the charge's cumulative amount
    # with the failed refund counted (500) and, in the other reading, without it (300).
    await _deliver(session_factory, _refund(intent, "re_b", 300, "succeeded", "refund.created"))
    await _deliver(session_factory, _charge(intent, 500))
    await _deliver(session_factory, _charge(intent, 300))
    purchase = await _purchase(session_factory, started.purchase_id)
    assert (purchase.state, purchase.refunded_credits) == ("paid", 30)
    assert (await _balance(session_factory, user_id)).balance == 20

    # The same total again after a second failure is a new change, not a duplicate of the first.
    await _deliver(session_factory, _refund(intent, "re_b", 300, "failed", "charge.refund.updated"))
    await _deliver(session_factory, _refund(intent, "re_c", 200, "succeeded", "refund.created"))
    assert (await _purchase(session_factory, started.purchase_id)).refunded_credits == 20
    assert (await _balance(session_factory, user_id)).balance == 30
    assert await _transfers(session_factory, "refund") == [20, 30, 20]
    assert await _transfers(session_factory, "refund_reversed") == [20, 30]


async def test_a_refund_that_failed_before_its_payment_arrived_takes_nothing(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    """Every event of a payment can arrive before the payment event itself (its first delivery failed)."""
    user_id = await _user(session_factory)
    started = (await _start(session_factory, stripe_settings, user_id)).purchase_id
    session = stripe_api.sessions[(await _purchase(session_factory, started)).provider_session_id or ""]
    intent = loopback.payment_intent_id()
    await _deliver(session_factory, _charge(intent, 500))
    kept = await _deliver(session_factory, _refund(intent, "re_early", 500, "failed", "refund.failed"))
    assert "no paid purchase yet" in kept, kept

    outcome = await _deliver(session_factory, loopback.checkout_completed(session, payment_intent=intent))

    assert outcome.startswith("granted 50 credits"), outcome
    assert (await _balance(session_factory, user_id)).balance == 50
    assert (await _purchase(session_factory, started)).refunded_credits == 0
    assert await _transfers(session_factory, "refund") == []


async def test_a_refund_known_only_by_its_own_event_is_taken_back(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    """An endpoint subscribed to refund events but whose ``charge.refunded`` is lost still takes back."""
    user_id = await _user(session_factory)
    _, intent = await _paid(session_factory, stripe_settings, stripe_api, user_id)
    await _deliver(session_factory, _refund(intent, "re_only", 250, "succeeded", "refund.created"))
    assert (await _balance(session_factory, user_id)).balance == 25


async def test_refund_events_without_a_payment_or_amount_are_ignored(session_factory: SessionFactory) -> None:
    no_intent = loopback.event(
        "refund.failed", {"id": "re_x", "object": "refund", "amount": 5, "status": "failed"}
    )
    assert (await _deliver(session_factory, no_intent)).startswith("ignored refund 're_x'")
    no_amount = loopback.event(
        "refund.failed", {"id": "re_y", "object": "refund", "payment_intent": "pi_1", "status": "failed"}
    )
    assert (await _deliver(session_factory, no_amount)).startswith("ignored refund 're_y'")
