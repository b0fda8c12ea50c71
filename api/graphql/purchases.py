"""Credit packs and ``startCreditPurchase``: GraphQL over :mod:`billing.purchases`.

``startCreditPurchase`` is one unit of work (the open purchase and its Stripe session id are committed
before the checkout URL is returned). Expected outcomes are typed: ``PaymentsNotConfigured`` without
``ATELIER_STRIPE_SECRET_KEY``, ``NotFound`` for an unknown pack. Credits arrive later, through the
Stripe webhook, never through this mutation.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.graphql.errors import NotFound
from api.graphql.pagination import encode_id
from billing import packs, purchases
from billing import stripe_gateway as gateways
from catalog.database import unit_of_work


@strawberry.type(description="Credits sold together at one price")
class CreditPack:
    id: strawberry.ID = strawberry.field(description="The pack's id, for `startCreditPurchase(packId:)`")
    name: str = strawberry.field(description="Name to show the artist")
    credits: int = strawberry.field(description="Credits the pack adds once paid")
    price_cents: int = strawberry.field(description="Price in the currency's smallest unit (cents for usd)")
    currency: str = strawberry.field(description="ISO 4217 code, lower case (Stripe's spelling)")

    @classmethod
    def from_pack(cls, pack: packs.CreditPack) -> CreditPack:
        return cls(
            id=strawberry.ID(pack.id),
            name=pack.name,
            credits=pack.credits,
            price_cents=pack.price_cents,
            currency=pack.currency,
        )


@strawberry.type(description="Send the artist to checkoutUrl; the credits arrive once Stripe reports payment")
class CreditCheckout:
    purchase_id: strawberry.ID = strawberry.field(description="Opaque id of the open purchase")
    checkout_url: str = strawberry.field(description="Stripe Checkout page to open in the artist's browser")


@strawberry.type(description="Card purchases are not enabled on this server")
class PaymentsNotConfigured:
    message: str = strawberry.field(description="Why purchases are unavailable, in English, for developers")


StartCreditPurchasePayload = Annotated[
    CreditCheckout | PaymentsNotConfigured | NotFound,
    strawberry.union(
        "StartCreditPurchasePayload",
        description="CreditCheckout on success; PaymentsNotConfigured, or NotFound for an unknown packId",
    ),
]


async def credit_packs_field(info: Info[RequestContext, None]) -> list[CreditPack]:
    return [CreditPack.from_pack(pack) for pack in packs.credit_packs(info.context.settings.credit_packs)]


async def start_credit_purchase_field(
    info: Info[RequestContext, None], pack_id: strawberry.ID
) -> StartCreditPurchasePayload:
    settings = info.context.settings
    try:
        gateway = gateways.StripeGateway.from_settings(settings)
    except gateways.PaymentsNotConfigured as error:
        return PaymentsNotConfigured(message=str(error))
    async with gateway:
        pack = packs.pack_by_id(packs.credit_packs(settings.credit_packs), str(pack_id))
        if pack is None:
            return NotFound(message=f"no credit pack {pack_id!r}")
        async with unit_of_work(info.context.session_factory) as db:
            started = await purchases.start_purchase(
                db, info.context.user_id, pack, gateway, settings=settings
            )
    return CreditCheckout(
        purchase_id=encode_id("CreditPurchase", started.purchase_id), checkout_url=started.checkout_url
    )
