"""Stripe through its official SDK: creating Checkout sessions and verifying webhook signatures.

Only this module imports ``stripe``. Calls are async (the SDK's ``*_async`` methods over its httpx
client); the SDK's base URL is replaced by ``ATELIER_STRIPE_API_BASE`` when that is set (tests point it
at a loopback server). A checkout creation carries a Stripe idempotency key derived from the purchase
id, so the SDK's own network retries never create a second session for one purchase.

Webhooks are verified with the SDK's ``WebhookSignature.verify_header``: the ``Stripe-Signature``
header (``t=<unix time>,v1=<hex>``) must hold an HMAC-SHA256 of ``"<t>.<raw body>"`` under the
endpoint's secret, and ``t`` must be within five minutes (replay protection).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import stripe
from stripe.params.checkout import SessionCreateParams

from billing.packs import CreditPack
from catalog.settings import AtelierSettings

NETWORK_RETRIES = 2
"""The SDK's retries of a failed request (safe: every creation carries an idempotency key)."""
REQUEST_TIMEOUT_SECONDS = 30.0
WEBHOOK_TOLERANCE_SECONDS = 300
"""A signed event older than this is refused (Stripe's default)."""


class PaymentsNotConfigured(RuntimeError):
    """Card purchases need ``ATELIER_STRIPE_SECRET_KEY``."""


class PaymentProviderError(RuntimeError):
    """Stripe refused the request or could not be reached (nothing was created on our side)."""


class InvalidWebhook(ValueError):
    """A webhook whose signature does not verify, or whose body is not a Stripe event."""


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    id: str
    url: str
    expires_at: int | None


class StripeGateway:
    """The Stripe API for one unit of work; close it (``async with``) to release its HTTP connections."""

    def __init__(self, secret_key: str, *, api_base: str | None = None) -> None:
        self._http = stripe.HTTPXClient(timeout=REQUEST_TIMEOUT_SECONDS)
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=self._http,
            max_network_retries=NETWORK_RETRIES,
        )

    @classmethod
    def from_settings(cls, settings: AtelierSettings) -> StripeGateway:
        if not settings.stripe_secret_key:
            raise PaymentsNotConfigured(
                "Card purchases are not enabled on this server (ATELIER_STRIPE_SECRET_KEY is not set)."
            )
        return cls(settings.stripe_secret_key, api_base=settings.stripe_api_base)

    async def __aenter__(self) -> StripeGateway:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.close_async()

    async def create_checkout_session(
        self,
        *,
        purchase_id: uuid.UUID,
        user_id: uuid.UUID,
        pack: CreditPack,
        success_url: str,
        cancel_url: str,
    ) -> CheckoutSession:
        """A hosted Checkout page selling one ``pack`` (mode ``payment``, price given inline)."""
        metadata = {"purchase_id": str(purchase_id), "user_id": str(user_id), "pack_id": pack.id}
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": pack.currency,
                        "unit_amount": pack.price_cents,
                        "product_data": {"name": pack.name},
                    },
                }
            ],
            "client_reference_id": str(purchase_id),
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        try:
            session = await self._client.v1.checkout.sessions.create_async(
                params, {"idempotency_key": f"atelier-checkout-{purchase_id}"}
            )
        except stripe.StripeError as error:
            raise PaymentProviderError(f"Stripe could not start the checkout: {error}") from error
        if not session.id or not session.url:
            raise PaymentProviderError("Stripe answered a checkout session without an id or url")
        return CheckoutSession(id=session.id, url=session.url, expires_at=session.expires_at)


def verify_webhook(payload: bytes, signature_header: str, secret: str) -> dict[str, Any]:
    """The event in a webhook body whose ``Stripe-Signature`` verifies under ``secret``.

    Raises :class:`InvalidWebhook` for a missing or wrong signature, a stale timestamp, or a body that
    is not a Stripe event object."""
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature_header, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as error:
        raise InvalidWebhook(f"invalid Stripe signature: {error.user_message or error}") from error
    try:
        event = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidWebhook("the webhook body is not JSON") from error
    if (
        not isinstance(event, dict)
        or event.get("object") != "event"
        or not isinstance(event.get("type"), str)
        or not isinstance(event.get("data"), dict)
        or not isinstance(event["data"].get("object"), dict)
    ):
        raise InvalidWebhook("the webhook body is not a Stripe event")
    return event
