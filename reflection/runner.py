"""Running one reflection: lease, facts, prompt, curator, then capture or void — exactly once.

PostgreSQL holds the truth; arq only delivers. Each step that changes state is its own transaction
that locks the reflection row first (then the hold, then the accounts), so:

- **Idempotent.** A run finding the reflection ``done``/``failed`` does nothing; one finding it
  ``running`` under a live lease (another run is writing) does nothing either.
- **Lease.** A run takes the lease (``run_id``, ``lease_expires_at`` = now + the reflection deadline)
  before calling the model, and finishes only while it still holds it: a run that lost its lease
  (the sweeper failed it, or a later run took over after it expired) changes nothing.
- **Exactly one resolution.** Delivery captures the hold and marks ``done`` in one transaction;
  failure voids it and marks ``failed`` in one transaction. The hold's own conditional update means
  a second capture or void of it is a no-op, so a worker killed mid-call, a job delivered twice and
  the sweeper can never charge twice, nor charge for a reflection that was not delivered.
- **Charged ≤ quoted.** The charge is the quoted cost (the prompt budget bounds the work), never more.
- **Cancelled → handed back.** A run cancelled before it resolved the reflection (arq cancels the jobs
  in hand when a worker stops gracefully, and delivers them again) returns it to ``queued`` and drops
  its lease, shielded from the cancellation, in a transaction that changes the row only while this
  run still holds it: the redelivered job (or the sweeper's requeue) takes it at once instead of
  finding a dead run's live lease and skipping. The hold stays pending for that run.
- **Never stranded.** A delivery the database refuses (an error that is not a transient conflict,
  which :func:`billing.transactions.retrying_unit_of_work` retries) rolls back its capture and fails
  the reflection at once with :data:`DELIVERY_FAILURE`, hold voided, rather than leaving it ``running``
  until its lease runs out. Failure reasons are stored without NUL or unpaired surrogates (a server's
  error text may carry them; PostgreSQL refuses them).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing import ledger
from billing.transactions import retrying_unit_of_work
from catalog.database import SessionFactory, unit_of_work
from catalog.storage import ThumbnailStore
from engine.grounding import GroundingVocabulary
from engine.reflection_facts import SessionFacts, build_session_facts
from reflection.curator_output import CuratorReflection, storable
from reflection.models import Reflection
from reflection.prompt_builder import CuratorRequest, build_curator_request
from reflection.session_inputs import SessionInputs, load_session_inputs, read_representative_images

log = logging.getLogger(__name__)

SESSION_GONE = "The session was merged or re-clustered before the Curator could read it; nothing was charged."
INTERNAL_FAILURE = "An internal error stopped this reflection; nothing was charged. Please try again."
DELIVERY_FAILURE = (
    "The Curator's answer could not be stored, so it was not delivered; nothing was charged. "
    "Please try again."
)


@dataclass(frozen=True, slots=True)
class CuratorOutcome:
    reflection: CuratorReflection
    model: str
    usage: dict[str, Any] = field(default_factory=dict)
    grounding: dict[str, Any] = field(default_factory=dict)


class CuratorFailed(Exception):
    """The curator could not write the reflection; ``reason`` is shown to the artist."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CuratorInput:
    """Everything a curator needs, prepared off the event loop: the facts, the request to send and
    the vocabulary the text is grounded against."""

    facts: SessionFacts
    request: CuratorRequest
    vocabulary: GroundingVocabulary


class CuratorBackend(Protocol):
    async def write(self, prepared: CuratorInput) -> CuratorOutcome:
        """Write the reflection; raises :class:`CuratorFailed` when it cannot."""
        ...

    async def aclose(self) -> None:
        """Release what the backend holds (HTTP connections)."""
        ...


@dataclass(frozen=True, slots=True)
class RunSettings:
    thumbnails: ThumbnailStore
    """Where the representative images are read from (the worker's configured store)."""
    deadline: timedelta
    """How long a run may hold the lease (``ATELIER_REFLECTION_DEADLINE_SECONDS``)."""


async def run_reflection(
    factory: SessionFactory,
    reflection_id: uuid.UUID,
    backend: CuratorBackend,
    settings: RunSettings,
) -> str:
    """Run one reflection to its end; returns the state it left (or ``skipped``)."""
    run_id = uuid.uuid4()
    try:
        async with unit_of_work(factory) as db:
            claimed = await _take_lease(db, reflection_id, run_id, settings.deadline)
        if claimed is None:
            return "skipped"
        return await _write_and_finish(factory, reflection_id, run_id, claimed, backend, settings)
    except asyncio.CancelledError:
        await asyncio.shield(_hand_back(factory, reflection_id, run_id))
        raise


async def _write_and_finish(
    factory: SessionFactory,
    reflection_id: uuid.UUID,
    run_id: uuid.UUID,
    owner: tuple[uuid.UUID, uuid.UUID],
    backend: CuratorBackend,
    settings: RunSettings,
) -> str:
    """Facts, prompt, curator, then deliver or fail, under the lease ``run_id`` already took."""
    user_id, session_id = owner
    try:
        async with factory() as db:
            inputs = await load_session_inputs(db, user_id, session_id)
        if inputs is None:
            raise CuratorFailed(SESSION_GONE)
        prepared = await asyncio.to_thread(prepare_curator_input, inputs, settings.thumbnails)
        outcome = await backend.write(prepared)
    except CuratorFailed as failure:
        return await _finish_failed(factory, reflection_id, run_id, failure.reason)
    except Exception:
        log.exception("reflection %s failed unexpectedly", reflection_id)
        return await _finish_failed(factory, reflection_id, run_id, INTERNAL_FAILURE)
    try:
        return await _finish_delivered(factory, reflection_id, run_id, prepared, outcome)
    except Exception:
        log.exception("reflection %s: the delivery could not be stored", reflection_id)
        return await _finish_failed(factory, reflection_id, run_id, DELIVERY_FAILURE)


async def _hand_back(factory: SessionFactory, reflection_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """Return a reflection this (cancelled) run still holds to ``queued``, lease dropped; never raises
    (a failure here only leaves the lease to run out, as after a killed worker)."""
    try:
        async with unit_of_work(factory) as db:
            row = await _lock(db, reflection_id)
            if row is None or row.state != "running" or row.run_id != run_id:
                return
            row.state = "queued"
            row.run_id = None
            row.lease_expires_at = None
            row.updated_at = datetime.now(UTC)
    except Exception:
        log.exception("reflection %s: could not hand back the lease of a cancelled run", reflection_id)


def prepare_curator_input(inputs: SessionInputs, thumbnails: ThumbnailStore) -> CuratorInput:
    """Facts, request (with the representative thumbnails) and vocabulary: CPU work, run in a thread."""
    facts = build_session_facts(
        label=inputs.label,
        intent=inputs.intent,
        tool=inputs.tool,
        assets=inputs.assets,
        phases=inputs.phases,
        lineage=inputs.lineage,
    )
    images = read_representative_images(
        thumbnails, [item.asset_id for item in facts.representatives], inputs.thumbnail_sha256
    )
    return CuratorInput(facts, build_curator_request(facts, images), facts.grounding_vocabulary())


async def _lock(db: AsyncSession, reflection_id: uuid.UUID) -> Reflection | None:
    return await db.scalar(
        select(Reflection)
        .where(Reflection.id == reflection_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _take_lease(
    db: AsyncSession, reflection_id: uuid.UUID, run_id: uuid.UUID, deadline: timedelta
) -> tuple[uuid.UUID, uuid.UUID] | None:
    row = await _lock(db, reflection_id)
    now = datetime.now(UTC)
    if row is None or row.state in ("done", "failed"):
        return None
    if row.state == "running" and row.lease_expires_at is not None and row.lease_expires_at > now:
        return None
    row.state = "running"
    row.run_id = run_id
    row.runs += 1
    row.lease_expires_at = now + deadline
    row.started_at = row.started_at or now
    row.updated_at = now
    return row.user_id, row.session_id


async def _finish_delivered(
    factory: SessionFactory,
    reflection_id: uuid.UUID,
    run_id: uuid.UUID,
    prepared: CuratorInput,
    outcome: CuratorOutcome,
) -> str:
    async def deliver(db: AsyncSession) -> str:
        row = await _lock(db, reflection_id)
        if row is None or row.state != "running" or row.run_id != run_id:
            return "superseded"
        now = datetime.now(UTC)
        reference = f"AI reflection of “{prepared.facts.label}”"
        captured = await ledger.capture_hold(db, row.hold_id, row.cost, reference=reference)
        if not captured.resolved:  # voided meanwhile (expired): deliver nothing we cannot charge for
            _mark_failed(row, "The reflection took longer than its credit hold; nothing was charged.", now)
            return "failed"
        written = outcome.reflection
        row.state = "done"
        row.charged = row.cost
        row.model = outcome.model
        row.title = written.title
        row.summary = written.summary
        row.style_patterns = list(written.style_patterns)
        row.evolution_notes = list(written.evolution_notes)
        row.prompt_version = prepared.request.prompt_version
        row.request_audit = prepared.request.audit
        row.usage = outcome.usage
        row.grounding = outcome.grounding
        row.completed_at = now
        row.updated_at = now
        row.lease_expires_at = None
        return "done"

    return await retrying_unit_of_work(factory, deliver)


async def _finish_failed(
    factory: SessionFactory, reflection_id: uuid.UUID, run_id: uuid.UUID, reason: str
) -> str:
    async def fail(db: AsyncSession) -> str:
        row = await _lock(db, reflection_id)
        if row is None or row.state != "running" or row.run_id != run_id:
            return "superseded"
        await fail_and_void(db, row, reason)
        return "failed"

    return await retrying_unit_of_work(factory, fail)


async def fail_and_void(db: AsyncSession, row: Reflection, reason: str) -> None:
    """Mark a locked, unresolved reflection failed and void its hold (credits back in full)."""
    reason = storable(reason)
    await ledger.void_hold(db, row.hold_id, reason=reason)
    _mark_failed(row, reason, datetime.now(UTC))


def _mark_failed(row: Reflection, reason: str, now: datetime) -> None:
    row.state = "failed"
    row.failure_reason = reason
    row.charged = 0
    row.completed_at = now
    row.updated_at = now
    row.lease_expires_at = None
