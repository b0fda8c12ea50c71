"""``POST /webhooks/stripe`` and the purchase fields, through the real app (lifespan run, real
PostgreSQL) with the official Stripe SDK talking to a loopback Stripe."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import strawberry
from sqlalchemy import func, select

from api.context import RequestContext
from api.graphql.purchases import credit_packs_field, start_credit_purchase_field
from api.thumbnail_urls import ThumbnailSigner
from api.webhooks import MAX_WEBHOOK_BYTES
from billing import ledger, purchases
from billing.models import CreditPurchase, CreditTransfer
from billing.packs import DEFAULT_CREDIT_PACKS
from billing.stripe_gateway import StripeGateway
from catalog.accounts import service as accounts
from catalog.database import SessionFactory, unit_of_work
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, app_http, make_user_with_token
from tests.billing import stripe_loopback as loopback
from tests.billing.stripe_loopback import StripeLoopback

WEBHOOK = "/webhooks/stripe"
HOUR = timedelta(hours=1)


@pytest.fixture
async def http(stripe_settings: AtelierSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_http(stripe_settings) as client:
        yield client


async def _post_event(
    http: httpx.AsyncClient, payload: bytes, signature: str | None = None
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature != "":
        headers["Stripe-Signature"] = signature or loopback.signed(payload)
    return await http.post(WEBHOOK, content=payload, headers=headers)


async def _user(factory: SessionFactory, handle: str = "ada") -> uuid.UUID:
    async with unit_of_work(factory) as db:
        return (await accounts.get_or_create_user(db, handle)).id


async def _open_checkout(
    factory: SessionFactory, settings: AtelierSettings, api: StripeLoopback, user_id: uuid.UUID
) -> dict[str, Any]:
    """Start a purchase of the starter pack; returns Stripe's checkout session object."""
    async with StripeGateway.from_settings(settings) as gateway, unit_of_work(factory) as db:
        started = await purchases.start_purchase(
            db, user_id, DEFAULT_CREDIT_PACKS[0], gateway, settings=settings
        )
    return next(
        session
        for session in api.sessions.values()
        if session["client_reference_id"] == str(started.purchase_id)
    )


async def _balance(factory: SessionFactory, user_id: uuid.UUID) -> ledger.Balance:
    async with factory() as db:
        return await ledger.balance_of(db, user_id)


async def _purchase_transfers(factory: SessionFactory) -> int:
    async with factory() as db:
        return int(await db.scalar(select(func.count()).where(CreditTransfer.kind == "purchase")) or 0)


async def test_a_webhook_delivered_five_times_and_five_times_at_once_grants_once_per_checkout(
    http: httpx.AsyncClient,
    session_factory: SessionFactory,
    stripe_settings: AtelierSettings,
    stripe_api: StripeLoopback,
) -> None:
    user_id = await _user(session_factory)
    first = await _open_checkout(session_factory, stripe_settings, stripe_api, user_id)
    second = await _open_checkout(session_factory, stripe_settings, stripe_api, user_id)
    one_by_one = loopback.checkout_completed(first, payment_intent="pi_first")
    at_once = loopback.checkout_completed(second, payment_intent="pi_second")

    for _ in range(5):
        response = await _post_event(http, one_by_one)
        assert response.status_code == 200
        assert response.json() == {"received": True}
    responses = await asyncio.gather(*(_post_event(http, at_once) for _ in range(5)))

    assert [response.status_code for response in responses] == [200] * 5
    assert await _balance(session_factory, user_id) == ledger.Balance(100, 0, 0)
    assert await _purchase_transfers(session_factory) == 2
    async with session_factory() as db:
        states = await db.scalars(select(CreditPurchase.state))
        assert sorted(states) == ["paid", "paid"]


async def test_a_bad_or_missing_signature_is_refused_and_grants_nothing(
    http: httpx.AsyncClient,
    session_factory: SessionFactory,
    stripe_settings: AtelierSettings,
    stripe_api: StripeLoopback,
) -> None:
    user_id = await _user(session_factory)
    session = await _open_checkout(session_factory, stripe_settings, stripe_api, user_id)
    payload = loopback.checkout_completed(session, payment_intent="pi_forged")

    forged = await _post_event(http, payload, loopback.signed(payload, "whsec_not_ours"))
    unsigned = await _post_event(http, payload, "")
    tampered = await _post_event(
        http, payload.replace(b'"pi_forged"', b'"pi_other"'), loopback.signed(payload)
    )

    assert [forged.status_code, unsigned.status_code, tampered.status_code] == [400, 400, 400]
    assert "signature" in forged.json()["error"]
    assert await _balance(session_factory, user_id) == ledger.Balance(0, 0, 0)
    assert await _purchase_transfers(session_factory) == 0


async def test_a_body_larger_than_any_stripe_event_is_refused_unread(http: httpx.AsyncClient) -> None:
    """Anyone can post to the webhook (the signature is checked after the body is read): a 400 MB
    body held 1.6 GB of the server's memory before it was refused for its signature."""
    declared = await http.post(
        WEBHOOK, content=b"x" * (MAX_WEBHOOK_BYTES + 1), headers={"Content-Type": "application/json"}
    )

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        for _ in range(64):
            yield b"x" * 65_536

    chunked = await http.post(WEBHOOK, content=streamed(), headers={"Content-Type": "application/json"})
    assert [declared.status_code, chunked.status_code] == [413, 413]
    assert "at most" in declared.json()["error"]


async def test_webhooks_answer_503_until_a_secret_is_configured(
    stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    unconfigured = stripe_settings.model_copy(update={"stripe_webhook_secret": None})
    payload = loopback.event("checkout.session.completed", {"id": "cs_test_x", "object": "checkout.session"})
    async with app_http(unconfigured) as http:
        response = await _post_event(http, payload)
        assert response.status_code == 503


async def test_a_refund_webhook_after_spending_blocks_new_holds(
    http: httpx.AsyncClient,
    session_factory: SessionFactory,
    stripe_settings: AtelierSettings,
    stripe_api: StripeLoopback,
) -> None:
    user_id = await _user(session_factory)
    session = await _open_checkout(session_factory, stripe_settings, stripe_api, user_id)
    assert (
        await _post_event(http, loopback.checkout_completed(session, payment_intent="pi_r"))
    ).status_code == 200
    async with unit_of_work(session_factory) as db:
        hold = await ledger.place_hold(db, user_id, 45, ttl=HOUR)
        assert not isinstance(hold, ledger.HoldRefused)
        await ledger.capture_hold(db, hold.id, 45)

    refund = loopback.charge_refunded(payment_intent="pi_r", amount=500, amount_refunded=500)
    responses = await asyncio.gather(*(_post_event(http, refund) for _ in range(3)))

    assert [response.status_code for response in responses] == [200] * 3
    assert await _balance(session_factory, user_id) == ledger.Balance(0, 0, 45)
    async with unit_of_work(session_factory) as db:
        refused = await ledger.place_hold(db, user_id, 1, ttl=HOUR)
    assert refused == ledger.HoldRefused(required=1, available=0, owed=45)


# --- GraphQL: the resolvers as mounted, in a schema of their own -------------------------------------


@strawberry.type
class PurchaseQuery:
    credit_packs = strawberry.field(resolver=credit_packs_field)


@strawberry.type
class PurchaseMutation:
    start_credit_purchase = strawberry.mutation(resolver=start_credit_purchase_field)


PURCHASE_SCHEMA = strawberry.Schema(query=PurchaseQuery, mutation=PurchaseMutation)
PACKS = "{ creditPacks { id name credits priceCents currency } }"
START = """mutation($pack: ID!) { startCreditPurchase(packId: $pack) {
  __typename
  ... on CreditCheckout { purchaseId checkoutUrl }
  ... on PaymentsNotConfigured { message }
  ... on NotFound { message }
} }"""


async def _context(factory: SessionFactory, settings: AtelierSettings, handle: str) -> RequestContext:
    token = await make_user_with_token(factory, handle)
    async with unit_of_work(factory) as db:
        principal = await accounts.authenticate(db, token)
    return RequestContext(
        session_factory=factory,
        principal=principal,
        thumbnail_signer=ThumbnailSigner(b"k"),
        settings=settings,
    )


async def _execute(context: RequestContext, document: str, **variables: Any) -> dict[str, Any]:
    result = await PURCHASE_SCHEMA.execute(document, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def test_credit_packs_and_start_credit_purchase_resolvers(
    session_factory: SessionFactory, stripe_settings: AtelierSettings, stripe_api: StripeLoopback
) -> None:
    context = await _context(session_factory, stripe_settings, "ada")

    packs = (await _execute(context, PACKS))["creditPacks"]
    assert packs[0] == {
        "id": "starter",
        "name": DEFAULT_CREDIT_PACKS[0].name,
        "credits": 50,
        "priceCents": 500,
        "currency": "usd",
    }
    assert [pack["id"] for pack in packs] == [pack.id for pack in DEFAULT_CREDIT_PACKS]

    started = (await _execute(context, START, pack="studio"))["startCreditPurchase"]
    assert started["__typename"] == "CreditCheckout"
    [session] = stripe_api.sessions.values()
    assert started["checkoutUrl"] == session["url"]
    assert started["purchaseId"] == f"CreditPurchase:{session['client_reference_id']}"
    async with session_factory() as db:
        purchase = await db.scalar(select(CreditPurchase))
    assert purchase is not None
    assert (purchase.pack_id, purchase.credits, purchase.state) == ("studio", 200, "open")

    missing = (await _execute(context, START, pack="no-such-pack"))["startCreditPurchase"]
    assert missing["__typename"] == "NotFound"
    assert len(stripe_api.requests) == 1


async def test_start_credit_purchase_without_stripe_is_payments_not_configured(
    session_factory: SessionFactory, settings: AtelierSettings
) -> None:
    context = await _context(session_factory, settings, "ada")
    answer = (await _execute(context, START, pack="starter"))["startCreditPurchase"]
    assert answer["__typename"] == "PaymentsNotConfigured"
    assert "ATELIER_STRIPE_SECRET_KEY" in answer["message"]


# --- end to end through /graphql and /webhooks/stripe -----------------------------------------------


async def test_buying_a_pack_end_to_end(
    http: httpx.AsyncClient, session_factory: SessionFactory, stripe_api: StripeLoopback
) -> None:
    graphql = GraphQLClient(http)
    token = await make_user_with_token(session_factory, "ada")

    packs = (await graphql.query(PACKS, token))["data"]["creditPacks"]
    assert "starter" in [pack["id"] for pack in packs]
    started = (await graphql.query(START, token, pack="starter"))["data"]["startCreditPurchase"]
    assert started["__typename"] == "CreditCheckout"
    [session] = stripe_api.sessions.values()
    assert started["checkoutUrl"] == session["url"]

    paid = loopback.checkout_completed(session, payment_intent="pi_e2e")
    assert (await _post_event(http, paid)).status_code == 200
    credits = (await graphql.query("{ viewer { credits { balance held available } } }", token))["data"]
    assert credits["viewer"]["credits"] == {"balance": 50, "held": 0, "available": 50}


async def test_checkout_return_pages_exist(http: httpx.AsyncClient) -> None:
    paid = await http.get("/credits/checkout/success?purchase=x&session_id=cs_test")
    cancelled = await http.get("/credits/checkout/cancelled?purchase=x")
    assert paid.status_code == cancelled.status_code == 200
    assert "payment received" in paid.text and "Nothing was charged" in cancelled.text
