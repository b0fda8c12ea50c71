"""Reflections in GraphQL: types, ``quoteReflection``, ``confirmReflection``, ``reflectionUpdated``.

Names fixed by ``reflections-and-credits.md``. Each mutation is one unit of work. ``confirmReflection``
commits the hold and the queued reflection, then enqueues the job (job id = reflection id); if Redis
is unreachable — or accepts the connection and never answers — the enqueue gives up after
:data:`ENQUEUE_TIMEOUT_SECONDS`, the answer is still ``ReflectionStarted`` and the reflection stays
queued for the worker's sweeper. Expected refusals are union members; the refused confirm's
transaction is rolled back (nothing held, key unused).

``reflectionUpdated(id)`` (graphql-transport-ws) polls the row every
:data:`SUBSCRIPTION_POLL_SECONDS` (one primary-key read, its own short database session), yields the
reflection when its state or timestamps change (once at the start), and completes after a final
state or :data:`SUBSCRIPTION_MAX_SECONDS`. Polling keeps it correct across processes (the worker may
run elsewhere); LISTEN/NOTIFY would save the reads when subscribers are many.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from arq import ArqRedis
from redis.exceptions import RedisError
from strawberry.types import Info

from api.context import RequestContext
from api.graphql.errors import NotFound
from api.graphql.node_interface import Node
from api.graphql.pagination import (
    CursorReader,
    InvalidArgument,
    PageInfo,
    check_page_size,
    decode_id,
    encode_cursor,
    encode_id,
)
from billing import accounts, quotes
from billing.transactions import retrying_unit_of_work
from catalog.accounts.service import authenticate
from catalog.database import unit_of_work
from reflection import service as reflections
from reflection.models import Reflection as ReflectionRow
from reflection.tasks import enqueue_reflection

log = logging.getLogger(__name__)

SUBSCRIPTION_POLL_SECONDS = 0.1
SUBSCRIPTION_MAX_SECONDS = 900.0
TOKEN_RECHECK_SECONDS = 5.0
"""How often a running subscription looks its connection's token up again: one revoked or expired
while it streams ends it with ``UNAUTHENTICATED`` within this many seconds."""
ENQUEUE_TIMEOUT_SECONDS = 2.0
"""How long a confirm waits for Redis to take the job (the hold is already committed by then)."""
_REFLECTION_CURSOR = "reflection"


@strawberry.enum(description="Where a reflection is in its life: QUEUED → RUNNING → DONE or FAILED")
class ReflectionState(enum.Enum):
    QUEUED = strawberry.enum_value("queued", description="Confirmed, its credits held; waiting for a worker")
    RUNNING = strawberry.enum_value("running", description="A worker is writing it")
    DONE = strawberry.enum_value("done", description="Delivered: its text is set and its cost was charged")
    FAILED = strawberry.enum_value("failed", description="Gave up: failureReason says why; nothing charged")


@strawberry.type(description="A written analysis of one session by the Museum Curator")
class Reflection(Node):
    id: strawberry.ID = strawberry.field(description="Opaque id (`Reflection:<uuid>`)")
    state: ReflectionState = strawberry.field(description="Where it is; final once DONE or FAILED")
    title: str | None = strawberry.field(description="Its title; null until DONE")
    summary: str | None = strawberry.field(description="What the session explored, in prose; null until DONE")
    style_patterns: list[str] = strawberry.field(
        description="Recurring style choices it found, one per item; empty until DONE"
    )
    evolution_notes: list[str] = strawberry.field(
        description="How prompts and parameters changed through the session, in order; empty until DONE"
    )
    model: str | None = strawberry.field(
        description=(
            "Who wrote it: the configured language model or atelier-offline; null until a worker starts"
        )
    )
    cost: int = strawberry.field(description="The quoted price, held while the reflection runs")
    charged: int | None = strawberry.field(
        description="Credits charged: the cost when delivered, 0 when failed; null while QUEUED or RUNNING"
    )
    created_at: datetime = strawberry.field(description="When it was confirmed (UTC)")
    completed_at: datetime | None = strawberry.field(
        description="When it became DONE or FAILED (UTC); null before"
    )
    failure_reason: str | None = strawberry.field(description="Why it FAILED, in English; null otherwise")
    session_id: strawberry.ID = strawberry.field(description="Opaque id of the session it reflects on")

    @classmethod
    def from_row(cls, row: ReflectionRow) -> Reflection:
        return cls(
            id=encode_id("Reflection", row.id),
            state=ReflectionState(row.state),
            title=row.title,
            summary=row.summary,
            style_patterns=list(row.style_patterns or []),
            evolution_notes=list(row.evolution_notes or []),
            model=row.model,
            cost=row.cost,
            charged=row.charged,
            created_at=row.created_at,
            completed_at=row.completed_at,
            failure_reason=row.failure_reason,
            session_id=encode_id("Session", row.session_id),
        )


@strawberry.type(description="Whether a session can be reflected on, and why not")
class ReflectionEligibility:
    eligible: bool = strawberry.field(description="True when assetCount ≥ requiredAssets (show the button)")
    asset_count: int = strawberry.field(description="Images in the session")
    required_assets: int = strawberry.field(
        description="Images a session needs for a reflection (server setting)"
    )


@strawberry.type(description="The price of a reflection, shown before the artist confirms it")
class ReflectionQuote:
    id: strawberry.ID = strawberry.field(description="Opaque id, for `confirmReflection(quoteId:)`")
    cost: int = strawberry.field(description="Credits the reflection will hold, then charge when delivered")
    expires_at: datetime = strawberry.field(
        description="Confirm before this time (UTC; 15 minutes after quoting by default)"
    )
    available: int = strawberry.field(description="The viewer's available credits when quoted")
    model: str = strawberry.field(description="Who writes it: the configured model or atelier-offline")


@strawberry.type(description="The quote was confirmed: its credits are held and the reflection is queued")
class ReflectionStarted:
    reflection: Reflection = strawberry.field(
        description="The reflection started (the same one again when the confirm is retried with its key)"
    )


@strawberry.type(description="The viewer's available credits do not cover the quote; nothing was held")
class InsufficientCredits:
    message: str = strawberry.field(description="The refusal in English, for developers")
    required: int = strawberry.field(description="Credits the quote needs")
    available: int = strawberry.field(description="Credits the viewer has available now")


@strawberry.type(description="The session has too few images for a reflection")
class BelowReflectionThreshold:
    message: str = strawberry.field(description="The refusal in English, for developers")
    asset_count: int = strawberry.field(description="Images in the session")
    required_assets: int = strawberry.field(description="Images a session needs for a reflection")


@strawberry.type(description="The quote expired, or was already confirmed under another key")
class QuoteExpired:
    message: str = strawberry.field(description="The refusal in English; ask for a new quote")


@strawberry.type(description="The session changed since the quote")
class QuoteStale:
    message: str = strawberry.field(description="The refusal in English; ask for a new quote")


@strawberry.type(description="The same idempotency key was used with another quote")
class IdempotencyKeyReused:
    message: str = strawberry.field(description="The refusal in English; send a fresh key per click")


QuoteReflectionPayload = Annotated[
    ReflectionQuote | BelowReflectionThreshold | NotFound,
    strawberry.union(
        "QuoteReflectionPayload",
        description=(
            "A ReflectionQuote, or why there is none (too few images, or no such session of the viewer's)"
        ),
    ),
]
ConfirmReflectionPayload = Annotated[
    ReflectionStarted
    | InsufficientCredits
    | QuoteExpired
    | QuoteStale
    | BelowReflectionThreshold
    | IdempotencyKeyReused
    | NotFound,
    strawberry.union(
        "ConfirmReflectionPayload",
        description="ReflectionStarted, or why not; on a refusal nothing is held and the key stays unused",
    ),
]


@strawberry.type(description="One reflection with its cursor")
class ReflectionEdge:
    node: Reflection = strawberry.field(description="The reflection")
    cursor: str = strawberry.field(description="Opaque cursor of this reflection, for `after`")


@strawberry.type(description="A page of the viewer's reflections, newest first")
class ReflectionConnection:
    edges: list[ReflectionEdge] = strawberry.field(description="The reflections of this page, newest first")
    page_info: PageInfo = strawberry.field(
        description="Whether more (older) reflections follow, and from where"
    )


async def viewer_reflections(
    info: Info[RequestContext, None], first: int, after: str | None
) -> ReflectionConnection:
    limit = check_page_size(first)
    key: tuple[datetime, uuid.UUID] | None = None
    if after is not None:
        reader = CursorReader(after, _REFLECTION_CURSOR)
        key = (reader.read_datetime(), reader.read_uuid())
        reader.finish()
    async with info.context.session_factory() as db:
        rows = await reflections.reflection_page(db, info.context.user_id, limit=limit, after=key)
    edges = [
        ReflectionEdge(
            node=Reflection.from_row(row), cursor=encode_cursor(_REFLECTION_CURSOR, row.created_at, row.id)
        )
        for row in rows[:limit]
    ]
    return ReflectionConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None),
    )


def eligibility_of(asset_count: int, required_assets: int) -> ReflectionEligibility:
    return ReflectionEligibility(
        eligible=asset_count >= required_assets, asset_count=asset_count, required_assets=required_assets
    )


async def reflection_by_id(
    info: Info[RequestContext, None], reflection_id: strawberry.ID
) -> Reflection | None:
    decoded = decode_id("Reflection", reflection_id)
    if decoded is None:
        return None
    async with info.context.session_factory() as db:
        row = await reflections.reflection_by_id(db, info.context.user_id, decoded)
    return None if row is None else Reflection.from_row(row)


async def quote_reflection(
    info: Info[RequestContext, None], session_id: strawberry.ID
) -> QuoteReflectionPayload:
    decoded = decode_id("Session", session_id)
    if decoded is None:
        return NotFound(message="No such session.")
    context = info.context
    terms = quotes.ReflectionTerms.from_settings(context.settings)
    async with unit_of_work(context.session_factory) as db:
        await accounts.open_account(db, context.user_id, signup_credits=context.settings.signup_credits)
        result = await quotes.create_quote(db, context.user_id, decoded, terms)
    if isinstance(result, quotes.SessionMissing):
        return NotFound(message=result.message)
    if isinstance(result, quotes.BelowThreshold):
        return BelowReflectionThreshold(
            message=result.message, asset_count=result.asset_count, required_assets=result.required_assets
        )
    return ReflectionQuote(
        id=encode_id("ReflectionQuote", result.quote.id),
        cost=result.quote.cost,
        expires_at=result.quote.expires_at,
        available=result.available,
        model=result.quote.model,
    )


async def confirm_reflection(
    info: Info[RequestContext, None], quote_id: strawberry.ID, idempotency_key: str
) -> ConfirmReflectionPayload:
    if not 1 <= len(idempotency_key) <= quotes.IDEMPOTENCY_KEY_MAX_CHARS:
        limit = quotes.IDEMPOTENCY_KEY_MAX_CHARS
        raise InvalidArgument(f"idempotencyKey must be 1–{limit} characters (one fresh key per click)")
    decoded = decode_id("ReflectionQuote", quote_id)
    if decoded is None:
        return NotFound(message="No such quote.")
    context = info.context
    terms = quotes.ReflectionTerms.from_settings(context.settings)
    try:
        started = await retrying_unit_of_work(
            context.session_factory,
            lambda db: reflections.start_reflection(db, context.user_id, decoded, idempotency_key, terms),
        )
    except quotes.ConfirmRefused as refused:
        return _refusal_payload(refused.refusal)
    if context.job_queue is not None and started.reflection.state == "queued":
        await _enqueue_or_leave_to_sweeper(context.job_queue, started.reflection.id)
    return ReflectionStarted(reflection=Reflection.from_row(started.reflection))


async def _enqueue_or_leave_to_sweeper(queue: ArqRedis, reflection_id: uuid.UUID) -> None:
    """Queue the committed reflection's job, waiting at most :data:`ENQUEUE_TIMEOUT_SECONDS`; on any
    queue trouble it stays ``queued`` in PostgreSQL and the worker's sweeper enqueues it."""
    try:
        async with asyncio.timeout(ENQUEUE_TIMEOUT_SECONDS):
            await enqueue_reflection(queue, reflection_id)
    except (OSError, RedisError, TimeoutError) as error:
        log.warning("could not enqueue reflection %s: %s", reflection_id, error or type(error).__name__)


async def _token_still_valid(context: RequestContext) -> bool:
    """Whether the connection's token (a WebSocket's; over HTTP there is none to recheck) still
    authenticates."""
    if context.websocket_token is None:
        return True
    async with unit_of_work(context.session_factory) as db:
        return await authenticate(db, context.websocket_token) is not None


def _refusal_payload(refusal: quotes.ConfirmRefusal) -> ConfirmReflectionPayload:
    match refusal:
        case quotes.SessionMissing():
            return NotFound(message=refusal.message)
        case quotes.BelowThreshold():
            return BelowReflectionThreshold(
                message=refusal.message,
                asset_count=refusal.asset_count,
                required_assets=refusal.required_assets,
            )
        case quotes.QuoteUnusable():
            return QuoteExpired(message=refusal.message)
        case quotes.QuoteOutdated():
            return QuoteStale(message=refusal.message)
        case quotes.KeyReused():
            return IdempotencyKeyReused(message=refusal.message)
        case quotes.CreditsShort():
            return InsufficientCredits(
                message=refusal.message, required=refusal.required, available=refusal.available
            )


class TokenNoLongerValid(PermissionError):
    """The token a running subscription was started with has been revoked or has expired."""

    extensions = {"code": "UNAUTHENTICATED"}  # noqa: RUF012 - graphql-core copies it onto the error


async def reflection_updates(
    info: Info[RequestContext, None], reflection_id: strawberry.ID
) -> AsyncGenerator[Reflection | None, None]:
    decoded = decode_id("Reflection", reflection_id)
    if decoded is None:
        yield None
        return
    user_id: uuid.UUID = info.context.user_id
    last: tuple[object, ...] | None = None
    give_up_at = time.monotonic() + SUBSCRIPTION_MAX_SECONDS
    recheck_at = time.monotonic() + TOKEN_RECHECK_SECONDS
    while time.monotonic() < give_up_at:
        if time.monotonic() >= recheck_at:
            recheck_at = time.monotonic() + TOKEN_RECHECK_SECONDS
            if not await _token_still_valid(info.context):
                raise TokenNoLongerValid("the token of this subscription was revoked or has expired")
        async with info.context.session_factory() as db:
            row = await reflections.reflection_by_id(db, user_id, decoded)
        if row is None:
            yield None
            return
        seen = (row.state, row.updated_at, row.completed_at)
        if seen != last:
            last = seen
            yield Reflection.from_row(row)
        if row.state in ("done", "failed"):
            return
        await asyncio.sleep(SUBSCRIPTION_POLL_SECONDS)
