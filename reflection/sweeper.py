"""The sweeper: PostgreSQL is the truth, arq only delivers — so lost and dead work is found here.

Run by the worker's cron (every 30 s) and at worker start-up. Each item is its own short transaction
that locks the reflection row first (``SKIP LOCKED``: a row a run is finishing right now is left to
it), then the hold — the same order as :mod:`reflection.runner`, so the two never deadlock.

1. ``running`` past its lease (the worker was killed, or hung past the deadline) → ``failed``, hold
   voided. A later delivery of its job then finds it final and does nothing. The reason is
   :data:`WORKER_LOST`, or :func:`reflection.runner.runs_exhausted_reason` when the lost run was the
   last of ``max_runs`` (``ATELIER_REFLECTION_MAX_RUNS``): earlier runs were handed back and lost too.
2. ``queued`` whose hold has expired (it never ran) → ``failed``, hold voided.
3. ``queued`` older than ``requeue_after`` → enqueued again (job id = reflection id, so a job that is
   still queued is not duplicated; a job that vanished with Redis is replaced). This is how a run
   handed back after arq's job timeout runs again; the runner's cap (``max_runs``) bounds how often.
4. any other pending hold past its expiry → voided (a hold is never left pending past its run):
   except the hold of a reflection ``running`` under a live lease. A reflection that waited long in
   the queue may start close to its hold's expiry; its run is bounded by its lease, and step 1
   fails it (voiding the hold) if the lease runs out. Voiding under a live run would fail a
   reflection that is being written, with a reason ("could not start") that is not true.
5. idempotency keys and unconfirmed quotes past retention are forgotten.

Redis only delivers: an enqueue that fails (Redis down or flaky) is logged and tried again at the
next sweep; it never stops the steps that give credits back (2 and 4) or the purge.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from billing import ledger, quotes
from billing.models import CreditHold
from catalog.database import SessionFactory, unit_of_work
from reflection.models import Reflection
from reflection.runner import DEFAULT_MAX_RUNS, fail_and_void, runs_exhausted_reason

log = logging.getLogger(__name__)

WORKER_LOST = (
    "The Curator stopped before finishing (the worker was restarted or timed out); nothing was charged."
)
NEVER_STARTED = "The reflection could not start in time; nothing was charged. Please try again."

Enqueue = Callable[[uuid.UUID], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class SweepReport:
    failed_running: int
    failed_queued: int
    requeued: int
    holds_voided: int
    purged: int


async def sweep(
    factory: SessionFactory,
    *,
    enqueue: Enqueue | None,
    key_retention: timedelta,
    requeue_after: timedelta = timedelta(seconds=30),
    max_runs: int = DEFAULT_MAX_RUNS,
    now: datetime | None = None,
) -> SweepReport:
    """One pass of the steps above; ``max_runs`` only chooses step 1's reason (the runner enforces it)."""
    moment = now or datetime.now(UTC)
    async with factory() as db:
        open_rows = (
            await db.execute(
                select(
                    Reflection.id,
                    Reflection.state,
                    Reflection.lease_expires_at,
                    Reflection.created_at,
                    CreditHold.expires_at,
                )
                .join(CreditHold, CreditHold.id == Reflection.hold_id)
                .where(Reflection.state.in_(("queued", "running")))
            )
        ).all()
    failed_running = failed_queued = requeued = 0
    for reflection_id, state, lease_expires_at, created_at, hold_expires_at in open_rows:
        if state == "running" and lease_expires_at is not None and lease_expires_at <= moment:
            failed_running += await _fail_if(
                factory, reflection_id, "running", WORKER_LOST, moment, max_runs=max_runs
            )
        elif state == "queued" and hold_expires_at <= moment:
            failed_queued += await _fail_if(factory, reflection_id, "queued", NEVER_STARTED, moment)
        elif state == "queued" and created_at <= moment - requeue_after and enqueue is not None:
            requeued += int(await _enqueue_or_log(enqueue, reflection_id))
    holds_voided = 0
    async with factory() as db:
        expired = await ledger.expired_pending_holds(db, now=moment)
    for hold_id in expired:
        async with unit_of_work(factory) as db:
            owner = await db.scalar(
                select(Reflection).where(Reflection.hold_id == hold_id).with_for_update(skip_locked=True)
            )
            if owner is not None and _holds_live_lease(owner, moment):
                continue  # its run may still deliver; step 1 takes over when the lease runs out
            if owner is not None and owner.state in ("queued", "running"):
                await fail_and_void(db, owner, NEVER_STARTED)
                holds_voided += 1
                continue
            if owner is None and await db.scalar(select(Reflection.id).where(Reflection.hold_id == hold_id)):
                continue  # its reflection is locked by a run finishing right now
            holds_voided += int((await ledger.void_hold(db, hold_id, reason="expired")).resolved)
    async with unit_of_work(factory) as db:
        purged = await quotes.purge_old_keys_and_quotes(db, now=moment, retention=key_retention)
    return SweepReport(failed_running, failed_queued, requeued, holds_voided, purged)


async def _enqueue_or_log(enqueue: Enqueue, reflection_id: uuid.UUID) -> bool:
    try:
        return await enqueue(reflection_id)
    except Exception:
        log.warning(
            "could not enqueue reflection %s; the next sweep tries again", reflection_id, exc_info=True
        )
        return False


def _holds_live_lease(row: Reflection, moment: datetime) -> bool:
    return row.state == "running" and row.lease_expires_at is not None and row.lease_expires_at > moment


async def _fail_if(
    factory: SessionFactory,
    reflection_id: uuid.UUID,
    expected_state: str,
    reason: str,
    moment: datetime,
    *,
    max_runs: int | None = None,
) -> int:
    """Fail the reflection with ``reason`` (hold voided) if it is still in ``expected_state`` — for
    ``running``, still past its lease — once its row is locked (a row locked by a run is skipped).
    With ``max_runs``, a reflection whose lost run was the last allowed is failed with
    :func:`reflection.runner.runs_exhausted_reason` instead."""
    async with unit_of_work(factory) as db:
        row = await db.scalar(
            select(Reflection)
            .where(Reflection.id == reflection_id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        if row is None or row.state != expected_state:
            return 0
        if expected_state == "running" and (row.lease_expires_at is None or row.lease_expires_at > moment):
            return 0  # a new run took the lease since we looked
        if max_runs is not None and row.runs >= max_runs:
            reason = runs_exhausted_reason(row.runs)
        await fail_and_void(db, row, reason)
        return 1
