"""``POST /webhooks/stripe``: Stripe's events about credit-pack checkouts and refunds.

The body (at most :data:`MAX_WEBHOOK_BYTES`, else 413 before it is all read) is verified against
``ATELIER_STRIPE_WEBHOOK_SECRET`` before anything else is read (400 on a missing or wrong signature;
503 when no secret is configured, so Stripe keeps the event and retries once the server is
configured). A verified event is applied in one unit of work and answered
``200 {"received": true}``; Stripe redelivers anything else, and applying an event again is a no-op
(:mod:`billing.purchases`). A serialization failure or deadlock is retried a bounded number of times
before the error is left to Stripe's own redelivery.

The app provides ``app.state.settings`` and ``app.state.session_factory``.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from api.graphql.http_guard import BodyTooLarge, capped_receive, declared_length
from billing import purchases
from billing.stripe_gateway import InvalidWebhook, verify_webhook
from billing.transactions import retrying_unit_of_work
from catalog.database import SessionFactory
from catalog.settings import AtelierSettings

log = logging.getLogger(__name__)


async def stripe_webhook(request: Request) -> Response:
    settings: AtelierSettings = request.app.state.settings
    secret = settings.stripe_webhook_secret
    if not secret:
        return JSONResponse(
            {"error": "Stripe webhooks are not configured (ATELIER_STRIPE_WEBHOOK_SECRET is not set)"},
            status_code=503,
        )
    payload = await _bounded_body(request)
    if payload is None:
        return JSONResponse(
            {"error": f"a Stripe event is at most {MAX_WEBHOOK_BYTES} bytes; this body is larger"},
            status_code=413,
        )
    try:
        event = verify_webhook(payload, request.headers.get("stripe-signature", ""), secret)
    except InvalidWebhook as error:
        log.warning("refused a Stripe webhook: %s", error)
        return JSONResponse({"error": str(error)}, status_code=400)
    outcome = await apply_with_retries(request.app.state.session_factory, event)
    log.info("stripe %s %s: %s", event.get("type"), event.get("id"), outcome)
    return JSONResponse({"received": True})


MAX_WEBHOOK_BYTES = 256 * 1024
"""The largest webhook body read (Stripe's events are a few KB): the body is read before its signature
can be checked, so anyone can send one; a larger one is refused (413) without being held in memory."""


async def _bounded_body(request: Request) -> bytes | None:
    """The body, or ``None`` once it is known to pass :data:`MAX_WEBHOOK_BYTES` (by its
    ``Content-Length``, or while it streams in, as the GraphQL endpoint caps its bodies)."""
    try:
        declared = declared_length(request.scope)
    except ValueError:  # not a number: the streamed length decides
        declared = None
    if declared is not None and declared > MAX_WEBHOOK_BYTES:
        return None
    capped = capped_receive(request.receive, MAX_WEBHOOK_BYTES, "the limit for a Stripe event")
    try:
        return await Request(request.scope, capped).body()
    except BodyTooLarge:
        return None


async def apply_with_retries(factory: SessionFactory, event: dict[str, Any]) -> str:
    """Apply ``event`` in its own unit of work, again on a serialization failure or deadlock."""
    return await retrying_unit_of_work(factory, lambda db: purchases.apply_stripe_event(db, event))


_RETURN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Atelier credits</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">
<h1>{title}</h1><p>{text}</p><p>You can close this tab and return to Atelier.</p></body></html>"""


async def checkout_success(request: Request) -> Response:
    """Where Stripe Checkout returns the browser after paying. The credits are granted by the webhook,
    not by this page (a browser can be closed, or forge a visit); it only says what happens next."""
    return HTMLResponse(
        _RETURN_PAGE.format(
            title="Thank you — payment received",
            text="Your credits are added to your balance as soon as Stripe confirms the payment, "
            "usually within seconds.",
        )
    )


async def checkout_cancelled(request: Request) -> Response:
    return HTMLResponse(
        _RETURN_PAGE.format(title="Purchase cancelled", text="Nothing was charged and no credits were added.")
    )
