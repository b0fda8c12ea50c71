"""A stand-in for the Stripe API on loopback, and webhook events signed the way Stripe signs them.

:class:`StripeLoopback` is a real HTTP server on ``127.0.0.1`` (in a thread) that the official SDK
talks to once ``ATELIER_STRIPE_API_BASE`` points at it. It answers ``POST /v1/checkout/sessions`` with
a checkout session object shaped like Stripe's and records every request (path, headers, the
form-encoded body decoded to ``{"line_items[0][quantity]": "1", …}``). ``fail_with`` makes it answer
Stripe-style errors instead.

:func:`signed` builds the ``Stripe-Signature`` header from scratch (``t=<unix>,v1=<hex HMAC-SHA256 of
"<t>.<body>">``), independently of the SDK that verifies it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

WEBHOOK_SECRET = "whsec_test_atelier_loopback_secret"
SECRET_KEY = "sk_test_atelier_loopback"


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class StripeLoopback:
    base_url: str = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_with: tuple[int, dict[str, Any]] | None = None
    """``(status, error object)`` to answer instead of creating a session."""

    def answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        self.requests.append(RecordedRequest(method, path, headers, form))
        if self.fail_with is not None:
            status, error = self.fail_with
            return status, {"error": error}
        if method == "POST" and path == "/v1/checkout/sessions":
            session = checkout_session_object(form)
            self.sessions[session["id"]] = session
            return 200, session
        return 404, {
            "error": {
                "type": "invalid_request_error",
                "message": f"Unrecognized request URL ({method}: {path}).",
            }
        }


def checkout_session_object(form: dict[str, str]) -> dict[str, Any]:
    """A Checkout Session as Stripe returns it on creation (the fields Atelier or a reader cares about)."""
    session_id = "cs_test_a1" + secrets.token_hex(28)
    amount = int(form["line_items[0][price_data][unit_amount]"]) * int(
        form.get("line_items[0][quantity]", "1")
    )
    now = int(time.time())
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": amount,
        "amount_total": amount,
        "cancel_url": form.get("cancel_url"),
        "client_reference_id": form.get("client_reference_id"),
        "created": now,
        "currency": form["line_items[0][price_data][currency]"],
        "customer": None,
        "customer_details": None,
        "expires_at": now + 24 * 3600,
        "livemode": False,
        "metadata": {
            key[len("metadata[") : -1]: value for key, value in form.items() if key.startswith("metadata[")
        },
        "mode": form.get("mode"),
        "payment_intent": None,
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "status": "open",
        "success_url": form.get("success_url"),
        "url": f"https://checkout.stripe.com/c/pay/{session_id}#fidkdWxOYHwnPyd1blpxYHZxWjA0",
    }


@contextmanager
def stripe_loopback() -> Iterator[StripeLoopback]:
    fake = StripeLoopback()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._answer()

        def do_GET(self) -> None:
            self._answer()

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            status, answer = fake.answer(self.command, path, dict(self.headers.items()), body)
            encoded = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.send_header("Request-Id", "req_" + secrets.token_hex(7))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def signed(payload: bytes, secret: str = WEBHOOK_SECRET, *, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe sends with ``payload``."""
    moment = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{moment}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"


def event(event_type: str, data_object: dict[str, Any]) -> bytes:
    """A webhook body (a snapshot event) as Stripe delivers it."""
    return json.dumps(
        {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "api_version": "2025-09-30.clover",
            "created": int(time.time()),
            "data": {"object": data_object},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
    ).encode()


def checkout_completed(
    session: dict[str, Any],
    *,
    payment_intent: str,
    payment_status: str = "paid",
    async_succeeded: bool = False,
) -> bytes:
    completed = {**session, "status": "complete", "payment_status": payment_status}
    completed["payment_intent"] = payment_intent
    kind = "checkout.session.async_payment_succeeded" if async_succeeded else "checkout.session.completed"
    return event(kind, completed)


def checkout_expired(session: dict[str, Any]) -> bytes:
    return event("checkout.session.expired", {**session, "status": "expired", "url": None})


def charge_refunded(
    *, payment_intent: str, amount: int, amount_refunded: int, currency: str = "usd"
) -> bytes:
    return event(
        "charge.refunded",
        {
            "id": "ch_" + payment_intent.removeprefix("pi_"),
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": amount_refunded,
            "captured": True,
            "currency": currency,
            "paid": True,
            "payment_intent": payment_intent,
            "refunded": amount_refunded >= amount,
            "status": "succeeded",
        },
    )


def refund_event(
    *,
    payment_intent: str,
    refund_id: str,
    amount: int,
    status: str,
    event_type: str = "charge.refund.updated",
    currency: str = "usd",
) -> bytes:
    """A refund object's event (``charge.refund.updated``, ``refund.created``, ``refund.updated``,
    ``refund.failed``) as Stripe sends it; a failed refund carries its failure reason."""
    failed = status == "failed"
    return event(
        event_type,
        {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "charge": "ch_" + payment_intent.removeprefix("pi_"),
            "currency": currency,
            "failure_reason": "expired_or_canceled_card" if failed else None,
            "payment_intent": payment_intent,
            "reason": "requested_by_customer",
            "status": status,
        },
    )


def dispute_closed(*, payment_intent: str, amount: int, status: str, dispute_id: str | None = None) -> bytes:
    """``charge.dispute.closed`` as Stripe sends it (status ``lost``, ``won`` or ``warning_closed``)."""
    return event(
        "charge.dispute.closed",
        {
            "id": dispute_id or "dp_" + secrets.token_hex(12),
            "object": "dispute",
            "amount": amount,
            "charge": "ch_" + payment_intent.removeprefix("pi_"),
            "currency": "usd",
            "payment_intent": payment_intent,
            "reason": "fraudulent",
            "status": status,
        },
    )


def payment_intent_id() -> str:
    return "pi_" + secrets.token_hex(12)
