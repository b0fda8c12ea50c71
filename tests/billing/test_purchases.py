"""Credit-pack purchases against real PostgreSQL and the official Stripe SDK talking to a loopback
Stripe: checkout creation, webhook verification, grants once, refunds, expiry."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from billing import ledger, purchases
from billing.models import CreditAccount, CreditPurchase, CreditTransfer, UnmatchedRefund
from billing.packs import DEFAULT_CREDIT_PACKS, CreditPack
from billing.stripe_gateway import (
    InvalidWebhook,
    PaymentProviderError,
    PaymentsNotConfigured,
    StripeGateway,
    verify_webhook,
)
from billing.transactions import retrying_unit_of_work
from catalog.accounts import service as catalog_accounts
from catalog.database import SessionFactory, unit_of_work
from catalog.settings import AtelierSettings
from tests.billing import stripe_loopback as loopback
from tests.billing.stripe_loopback import StripeLoopback

STARTER: CreditPack = DEFAULT_CREDIT_PACKS[0]  # 50 credits for 500 cents
HOUR = timedelta(hours=1)


async def _user(factory: SessionFactory, handle: str = "ada") -> uuid.UUID:
    async with unit_of_work(factory) as db:
        return (await catalog_accounts.get_or_create_user(db, handle)).id


async def _start(
    factory: SessionFactory, settings: AtelierSettings, user_id: uuid.UUID, pack: CreditPack = STARTER
) -> purchases.CheckoutStarted:
    async with StripeGateway.from_settings(settings) as gateway, unit_of_work(factory) as db:
        return await purchases.start_purchase(db, user_id, pack, gateway, settings=settings)


async def _purchase(factory: SessionFactory, purchase_id: uuid.UUID) -> CreditPurchase:
    async with factory() as db:
        found = await db.get(CreditPurchase, purchase_id)
    assert found is not None
    return found


async def _deliver(factory: SessionFactory, payload: bytes) -> str:
    """What the webhook endpoint does: verify the signature, apply in one unit of work."""
    event = verify_webhook(payload, loopback.signed(payload), loopback.WEBHOOK_SECRET)
    async with unit_of_work(factory) as db:
        return await purchases.apply_stripe_event(db, event)


async def _balance(factory: SessionFactory, user_id: uuid.UUID) -> ledger.Balance:
    async with factory() as db:
        return await ledger.balance_of(db, user_id)


async def _checkout_session(
    factory: SessionFactory, api: StripeLoopback, started: purchases.CheckoutStarted
) -> dict[str, Any]:
    """The loopback Stripe's checkout session of a started purchase."""
    return api.sessions[(await _purchase(factory, started.purchase_id)).provider_session_id or ""]


async def _purchase_transfers(factory: SessionFactory) -> int:
    async with factory() as db:
        return int(await db.scalar(select(func.count()).where(CreditTransfer.kind == "purchase")) or 0)


async def _spend(factory: SessionFactory, user_id: uuid.UUID, credits: int) -> None:
    """What a delivered reflection does to the account: hold ``credits``, then capture them."""
    async with unit_of_work(factory) as db:
        hold = await ledger.place_hold(db, user_id, credits, ttl=HOUR)
        assert not isinstance(hold, ledger.HoldRefused)
        await ledger.capture_hold(db, hold.id, credits, reference="reflection:x")


async def _paid(
    factory: SessionFactory, settings: AtelierSettings, api: StripeLoopback, user_id: uuid.UUID
) -> tuple[purchases.CheckoutStarted, str]:
    """A purchase of the starter pack, paid; returns it and its payment intent id."""
    started = await _start(factory, settings, user_id)
    session = api.sessions[(await _purchase(factory, started.purchase_id)).provider_session_id or ""]
    payment_intent = loopback.payment_intent_id()
    await _deliver(factory, loopback.checkout_completed(session, payment_intent=payment_intent))
    return started, payment_intent


async def test_start_purchase_creates_an_open_purchase_and_a_stripe_checkout_session(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    user_id = await _user(session_factory)
    started = await _start(session_factory, stripe_settings, user_id)

    [request] = stripe_api.requests
    assert (request.method, request.path) == ("POST", "/v1/checkout/sessions")
    assert request.headers["Authorization"] == f"Bearer {loopback.SECRET_KEY}"
    assert request.headers["Idempotency-Key"] == f"atelier-checkout-{started.purchase_id}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = request.form
    assert form["mode"] == "payment"
    assert form["line_items[0][quantity]"] == "1"
    assert form["line_items[0][price_data][currency]"] == "usd"
    assert form["line_items[0][price_data][unit_amount]"] == "500"
    assert form["line_items[0][price_data][product_data][name]"] == STARTER.name
    assert form["client_reference_id"] == str(started.purchase_id)
    assert form["metadata[purchase_id]"] == str(started.purchase_id)
    assert form["metadata[user_id]"] == str(user_id)
    assert form["metadata[pack_id]"] == "starter"
    assert form["payment_intent_data[metadata][purchase_id]"] == str(started.purchase_id)
    assert form["success_url"].startswith("https://atelier.example/credits/checkout/success?")
    assert "{CHECKOUT_SESSION_ID}" in form["success_url"]
    assert form["cancel_url"].startswith("https://atelier.example/credits/checkout/cancelled?")

    [session] = stripe_api.sessions.values()
    assert started.checkout_url == session["url"]
    purchase = await _purchase(session_factory, started.purchase_id)
    assert purchase.state == "open"
    assert purchase.provider == "stripe"
    assert purchase.provider_session_id == session["id"] and session["id"].startswith("cs_test_")
    assert purchase.checkout_url == session["url"]
    assert (purchase.user_id, purchase.pack_id, purchase.credits, purchase.price_cents) == (
        user_id,
        "starter",
        50,
        500,
    )
    assert await _balance(session_factory, user_id) == ledger.Balance(0, 0, 0)  # nothing until paid


async def test_a_paid_checkout_delivered_five_times_grants_once(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    user_id = await _user(session_factory)
    started = await _start(session_factory, stripe_settings, user_id)
    [session] = stripe_api.sessions.values()
    payload = loopback.checkout_completed(session, payment_intent="pi_3Pab1c")

    outcomes = [await _deliver(session_factory, payload) for _ in range(5)]

    assert outcomes[0].startswith("granted 50 credits")
    assert all(outcome.endswith("purchase is paid already") for outcome in outcomes[1:])
    assert await _balance(session_factory, user_id) == ledger.Balance(50, 0, 0)
    assert await _purchase_transfers(session_factory) == 1
    purchase = await _purchase(session_factory, started.purchase_id)
    assert purchase.state == "paid" and purchase.paid_at is not None
    assert purchase.provider_payment_id == "pi_3Pab1c"
    assert purchase.grant_transfer_id is not None
    async with session_factory() as db:
        transfer = await db.get(CreditTransfer, purchase.grant_transfer_id)
        assert transfer is not None
        assert (transfer.kind, transfer.amount, transfer.reference, transfer.idempotency_key) == (
            "purchase",
            50,
            STARTER.name,
            f"purchase:{started.purchase_id}",
        )
        purchases_account = await db.scalar(
            select(CreditAccount.balance).where(CreditAccount.system_code == "purchases")
        )
        assert purchases_account == -50  # the source account shows what it has issued


async def test_a_paid_checkout_delivered_five_times_concurrently_grants_once(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    user_id = await _user(session_factory)
    await _start(session_factory, stripe_settings, user_id)
    [session] = stripe_api.sessions.values()
    payload = loopback.checkout_completed(session, payment_intent="pi_concurrent")

    outcomes = await asyncio.gather(*(_deliver(session_factory, payload) for _ in range(5)))

    assert sum(outcome.startswith("granted") for outcome in outcomes) == 1
    assert await _balance(session_factory, user_id) == ledger.Balance(50, 0, 0)
    assert await _purchase_transfers(session_factory) == 1


async def test_a_checkout_paid_later_grants_on_the_async_payment_event(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    user_id = await _user(session_factory)
    started = await _start(session_factory, stripe_settings, user_id)
    [session] = stripe_api.sessions.values()

    pending = await _deliver(
        session_factory,
        loopback.checkout_completed(session, payment_intent="pi_bank", payment_status="unpaid"),
    )
    assert "payment still pending" in pending
    assert (await _purchase(session_factory, started.purchase_id)).state == "open"
    assert await _balance(session_factory, user_id) == ledger.Balance(0, 0, 0)

    succeeded = loopback.checkout_completed(session, payment_intent="pi_bank", async_succeeded=True)
    assert (await _deliver(session_factory, succeeded)).startswith("granted 50")
    assert await _balance(session_factory, user_id) == ledger.Balance(50, 0, 0)


async def test_an_expired_checkout_grants_nothing(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    user_id = await _user(session_factory)
    started = await _start(session_factory, stripe_settings, user_id)
    [session] = stripe_api.sessions.values()

    outcome = await _deliver(session_factory, loopback.checkout_expired(session))
    again = await _deliver(session_factory, loopback.checkout_expired(session))

    assert "expired" in outcome and "already" in again
    purchase = await _purchase(session_factory, started.purchase_id)
    assert purchase.state == "expired"
    assert purchase.detail["closed_because"] == "checkout expired"
    assert await _balance(session_factory, user_id) == ledger.Balance(0, 0, 0)
    assert await _purchase_transfers(session_factory) == 0


async def test_a_refund_after_spending_leaves_the_account_owing_and_unable_to_hold(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    user_id = await _user(session_factory)
    started, payment_intent = await _paid(session_factory, stripe_settings, stripe_api, user_id)
    await _spend(session_factory, user_id, 40)  # a reflection spends 40 of the 50 credits
    assert await _balance(session_factory, user_id) == ledger.Balance(10, 0, 0)

    refund = loopback.charge_refunded(payment_intent=payment_intent, amount=500, amount_refunded=500)
    outcome = await _deliver(session_factory, refund)
    for _ in range(4):
        await _deliver(session_factory, refund)

    assert outcome.endswith("took back 10 credits, 40 owed")
    assert await _balance(session_factory, user_id) == ledger.Balance(0, 0, 40)
    purchase = await _purchase(session_factory, started.purchase_id)
    assert (purchase.state, purchase.refunded_credits) == ("refunded", 50)
    assert purchase.refunded_at is not None
    async with unit_of_work(session_factory) as db:
        refused = await ledger.place_hold(db, user_id, 1, ttl=HOUR)
    assert refused == ledger.HoldRefused(required=1, available=0, owed=40)

    async with unit_of_work(session_factory) as db:  # later credits settle what is owed first
        await ledger.grant(db, user_id, 100, reference="support", idempotency_key="grant:support")
    assert await _balance(session_factory, user_id) == ledger.Balance(60, 0, 0)
    async with unit_of_work(session_factory) as db:
        assert not isinstance(await ledger.place_hold(db, user_id, 1, ttl=HOUR), ledger.HoldRefused)


async def test_a_refund_of_unspent_credits_takes_them_back(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    user_id = await _user(session_factory)
    _, payment_intent = await _paid(session_factory, stripe_settings, stripe_api, user_id)
    refund = loopback.charge_refunded(payment_intent=payment_intent, amount=500, amount_refunded=500)

    await asyncio.gather(*(_deliver(session_factory, refund) for _ in range(5)))

    assert await _balance(session_factory, user_id) == ledger.Balance(0, 0, 0)
    async with session_factory() as db:
        refunds = await db.scalar(select(CreditAccount.balance).where(CreditAccount.system_code == "refunds"))
    assert refunds == 50


async def test_partial_refunds_take_back_only_the_difference(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    user_id = await _user(session_factory)
    started, payment_intent = await _paid(session_factory, stripe_settings, stripe_api, user_id)

    def refunded(cents: int) -> bytes:
        return loopback.charge_refunded(payment_intent=payment_intent, amount=500, amount_refunded=cents)

    first = refunded(175)  # 35 % of 50 credits = 17.5 → 17
    await _deliver(session_factory, first)
    assert await _balance(session_factory, user_id) == ledger.Balance(33, 0, 0)
    purchase = await _purchase(session_factory, started.purchase_id)
    assert (purchase.state, purchase.refunded_credits) == ("paid", 17)

    await _deliver(session_factory, refunded(300))  # cumulative: 30 credits in all, 13 more
    await _deliver(session_factory, first)  # a late copy of the first refund changes nothing
    assert await _balance(session_factory, user_id) == ledger.Balance(20, 0, 0)
    assert (await _purchase(session_factory, started.purchase_id)).refunded_credits == 30

    await _deliver(session_factory, refunded(500))
    assert await _balance(session_factory, user_id) == ledger.Balance(0, 0, 0)
    purchase = await _purchase(session_factory, started.purchase_id)
    assert (purchase.state, purchase.refunded_credits) == ("refunded", 50)


def test_refunded_credits_round_down_and_a_full_refund_takes_all() -> None:
    assert purchases.refunded_credits_for(50, 500, 0, False) == 0
    assert purchases.refunded_credits_for(50, 500, 9, False) == 0
    assert purchases.refunded_credits_for(50, 500, 175, False) == 17
    assert purchases.refunded_credits_for(200, 1800, 900, False) == 100
    assert purchases.refunded_credits_for(50, 500, 500, False) == 50
    assert purchases.refunded_credits_for(50, 500, 499, True) == 50


async def test_unknown_events_sessions_and_payments_are_ignored(session_factory: SessionFactory) -> None:
    session = {"id": "cs_test_unknown", "object": "checkout.session", "payment_status": "paid"}
    payloads = [
        loopback.event("customer.created", {"id": "cus_1", "object": "customer"}),
        loopback.checkout_completed(session, payment_intent="pi_elsewhere"),
        loopback.checkout_expired(session),
        loopback.charge_refunded(payment_intent="pi_elsewhere", amount=500, amount_refunded=500),
    ]
    *outcomes, refund = [await _deliver(session_factory, payload) for payload in payloads]
    assert all(outcome.startswith("ignored") for outcome in outcomes), outcomes
    assert refund.startswith("kept refund of pi_elsewhere"), refund  # for a payment that may come later
    assert await _purchase_transfers(session_factory) == 0
    async with session_factory() as db:
        assert int(await db.scalar(select(func.count()).select_from(CreditTransfer)) or 0) == 0


async def _unmatched_refunds(factory: SessionFactory) -> list[tuple[str, int, bool]]:
    async with factory() as db:
        rows = await db.execute(
            select(
                UnmatchedRefund.payment_intent_id,
                UnmatchedRefund.refunded_cents,
                UnmatchedRefund.fully_refunded,
            )
        )
        return [(str(intent), int(cents), bool(full)) for intent, cents, full in rows]


async def test_a_refund_delivered_before_its_payment_is_applied_with_the_payment(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    """Stripe does not order events: the payment event's first delivery failed, the merchant refunded,
    then the payment event came again. The refund (answered 200, so never sent again) must still take
    the pack back; before, it was ignored and the artist kept 50 credits for a refunded payment."""
    user_id = await _user(session_factory)
    started = await _start(session_factory, stripe_settings, user_id)
    session = await _checkout_session(session_factory, stripe_api, started)
    payment_intent = loopback.payment_intent_id()
    refund = loopback.charge_refunded(payment_intent=payment_intent, amount=500, amount_refunded=500)

    kept = await _deliver(session_factory, refund)
    assert kept.startswith(f"kept refund of {payment_intent}"), kept
    assert await _unmatched_refunds(session_factory) == [(payment_intent, 500, True)]
    assert (await _purchase(session_factory, started.purchase_id)).state == "open"

    applied = await _deliver(
        session_factory, loopback.checkout_completed(session, payment_intent=payment_intent)
    )
    assert "the refund received earlier: refund of purchase" in applied, applied
    balance = await _balance(session_factory, user_id)
    assert (balance.balance, balance.held, balance.owed) == (0, 0, 0)
    purchase = await _purchase(session_factory, started.purchase_id)
    assert (purchase.state, purchase.refunded_credits) == ("refunded", 50)
    assert await _unmatched_refunds(session_factory) == []

    for payload in (refund, loopback.checkout_completed(session, payment_intent=payment_intent)):
        await _deliver(session_factory, payload)  # Stripe's later copies change nothing
    assert (await _balance(session_factory, user_id)).balance == 0
    assert await _purchase_transfers(session_factory) == 1


async def test_early_partial_refunds_keep_the_largest_and_later_ones_add_only_the_difference(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    user_id = await _user(session_factory)
    started = await _start(session_factory, stripe_settings, user_id)
    session = await _checkout_session(session_factory, stripe_api, started)
    payment_intent = loopback.payment_intent_id()

    def refunded(cents: int) -> bytes:
        return loopback.charge_refunded(payment_intent=payment_intent, amount=500, amount_refunded=cents)

    await _deliver(session_factory, refunded(300))
    await _deliver(session_factory, refunded(100))  # an older event delivered late
    assert await _unmatched_refunds(session_factory) == [(payment_intent, 300, False)]
    await _deliver(session_factory, loopback.checkout_completed(session, payment_intent=payment_intent))
    purchase = await _purchase(session_factory, started.purchase_id)
    assert (purchase.state, purchase.refunded_credits) == ("paid", 30)
    assert (await _balance(session_factory, user_id)).balance == 20

    await _deliver(session_factory, refunded(400))  # after the payment: only the difference
    assert (await _balance(session_factory, user_id)).balance == 10
    assert (await _purchase(session_factory, started.purchase_id)).refunded_credits == 40


@pytest.mark.parametrize("first", ["refund", "payment"])
async def test_a_refund_and_its_payment_delivered_at_once_are_both_applied(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback, first: str
) -> None:
    """One event's transaction is held open while the other is delivered: the other waits for it
    (both take the payment's advisory lock first) and then sees what it did. Without the lock, a
    refund looked for a paid purchase before the payment committed (or the payment looked for a kept
    refund before the refund committed) and the refund was lost."""
    user_id = await _user(session_factory)
    started = await _start(session_factory, stripe_settings, user_id)
    session = await _checkout_session(session_factory, stripe_api, started)
    payment_intent = loopback.payment_intent_id()
    refund = loopback.charge_refunded(payment_intent=payment_intent, amount=500, amount_refunded=500)
    paid = loopback.checkout_completed(session, payment_intent=payment_intent)
    held_open, delivered_meanwhile = (refund, paid) if first == "refund" else (paid, refund)

    async with unit_of_work(session_factory) as db:
        event = verify_webhook(held_open, loopback.signed(held_open), loopback.WEBHOOK_SECRET)
        await purchases.apply_stripe_event(db, event)
        meanwhile = asyncio.create_task(_deliver_retrying(session_factory, delivered_meanwhile))
        await asyncio.sleep(0.5)
        assert not meanwhile.done(), await meanwhile  # waiting for this transaction
    await asyncio.wait_for(meanwhile, timeout=30)

    assert (await _balance(session_factory, user_id)).balance == 0
    purchase = await _purchase(session_factory, started.purchase_id)
    assert (purchase.state, purchase.refunded_credits) == ("refunded", 50)
    assert await _unmatched_refunds(session_factory) == []


async def _deliver_retrying(factory: SessionFactory, payload: bytes) -> str:
    """What the endpoint does under concurrency: its unit of work is retried on a conflict."""
    event = verify_webhook(payload, loopback.signed(payload), loopback.WEBHOOK_SECRET)
    return await retrying_unit_of_work(factory, lambda db: purchases.apply_stripe_event(db, event))


def test_webhook_signatures_are_verified_with_the_sdk() -> None:
    payload = loopback.event("checkout.session.completed", {"id": "cs_test_1", "object": "checkout.session"})
    assert verify_webhook(payload, loopback.signed(payload), loopback.WEBHOOK_SECRET)["type"] == (
        "checkout.session.completed"
    )
    header = loopback.signed(payload)
    refused: list[tuple[bytes, str, str]] = [
        (payload.replace(b"cs_test_1", b"cs_test_2"), header, loopback.WEBHOOK_SECRET),  # tampered body
        (payload, loopback.signed(payload, "whsec_other"), loopback.WEBHOOK_SECRET),  # wrong secret
        (payload, loopback.signed(payload, timestamp=int(time.time()) - 3600), loopback.WEBHOOK_SECRET),
        (payload, "", loopback.WEBHOOK_SECRET),  # no header
        (payload, "t=12,v0=abc", loopback.WEBHOOK_SECRET),  # no v1 signature
        (payload, "garbage", loopback.WEBHOOK_SECRET),
    ]
    for body, signature, secret in refused:
        with pytest.raises(InvalidWebhook):
            verify_webhook(body, signature, secret)
    not_an_event = b'{"object": "charge"}'
    with pytest.raises(InvalidWebhook, match="not a Stripe event"):
        verify_webhook(not_an_event, loopback.signed(not_an_event), loopback.WEBHOOK_SECRET)


def test_payments_are_not_configured_without_a_secret_key(settings: AtelierSettings) -> None:
    with pytest.raises(PaymentsNotConfigured):
        StripeGateway.from_settings(settings)


async def test_a_stripe_error_stores_no_purchase(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    user_id = await _user(session_factory)
    error: dict[str, Any] = {"type": "invalid_request_error", "message": "Invalid currency: xyz"}
    stripe_api.fail_with = (400, error)

    with pytest.raises(PaymentProviderError, match="Invalid currency"):
        await _start(session_factory, stripe_settings, user_id)

    async with session_factory() as db:
        assert await db.scalar(select(func.count()).select_from(CreditPurchase)) == 0


async def test_a_lost_chargeback_takes_the_credits_back_once_and_a_won_one_nothing(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    """The customer's bank reversed the payment: before, ``charge.dispute.closed`` was ignored and the
    artist kept the pack's credits."""
    user_id = await _user(session_factory)
    won_purchase, won_intent = await _paid(session_factory, stripe_settings, stripe_api, user_id)
    lost_purchase, lost_intent = await _paid(session_factory, stripe_settings, stripe_api, user_id)
    assert (await _balance(session_factory, user_id)).balance == 100

    won = loopback.dispute_closed(payment_intent=won_intent, amount=500, status="won")
    assert "nothing taken back" in await _deliver(session_factory, won)
    lost = loopback.dispute_closed(payment_intent=lost_intent, amount=500, status="lost")
    outcome = await _deliver(session_factory, lost)
    assert outcome.startswith("chargeback of purchase") and "took back 50 credits" in outcome, outcome
    await asyncio.gather(*(_deliver_retrying(session_factory, lost) for _ in range(3)))  # redeliveries

    assert (await _balance(session_factory, user_id)).balance == 50
    assert ((await _purchase(session_factory, lost_purchase.purchase_id)).state) == "refunded"
    assert ((await _purchase(session_factory, won_purchase.purchase_id)).state) == "paid"
    async with session_factory() as db:
        references = list(
            await db.scalars(select(CreditTransfer.reference).where(CreditTransfer.kind == "refund"))
        )
    assert len(references) == 1 and references[0].startswith("chargeback: "), references


async def test_a_partial_refund_then_a_lost_dispute_of_the_rest_take_back_the_pack_once(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    user_id = await _user(session_factory)
    started, payment_intent = await _paid(session_factory, stripe_settings, stripe_api, user_id)
    refund = loopback.charge_refunded(payment_intent=payment_intent, amount=500, amount_refunded=200)
    await _deliver(session_factory, refund)  # 40 % → 20 credits
    assert (await _purchase(session_factory, started.purchase_id)).refunded_credits == 20

    dispute = loopback.dispute_closed(payment_intent=payment_intent, amount=300, status="lost")
    await _deliver(session_factory, dispute)
    await _deliver(session_factory, refund)  # a late copy of the refund keeps the dispute counted
    await _deliver(session_factory, dispute)
    purchase = await _purchase(session_factory, started.purchase_id)
    assert (purchase.state, purchase.refunded_credits) == ("refunded", 50)
    assert (await _balance(session_factory, user_id)).balance == 0
