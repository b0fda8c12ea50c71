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
- **Charged ≤ quoted.** The charge is the quoted cost (the prompt budget bounds the work), never more;
  the writer is the one quoted (:attr:`CuratorInput.quoted_model`), whatever the worker would pick now.
- **Cancelled → handed back.** A run cancelled before it resolved the reflection (arq cancels the jobs
  in hand when a worker stops gracefully, and delivers them again; arq's job timeout cancels it too,
  and the sweeper queues it again) returns it to ``queued`` and drops its lease, shielded from the
  cancellation, in a transaction that changes the row only while this run still holds it: the
  redelivered job (or the sweeper's requeue) takes it at once instead of finding a dead run's live
  lease and skipping. The hold stays pending for that run.
- **At most** :attr:`RunSettings.max_runs` **runs** (``ATELIER_REFLECTION_MAX_RUNS``, default 3). The
  count is ``reflections.runs``, incremented only when a run takes the lease, in the transaction that
  takes it, under the row lock: a duplicate delivery that finds the lease live or the row final
  changes nothing, so it does not count, and two runs can never both count as the same run. Every
  run that took the lease counts, whatever ended it — arq's job timeout, a graceful worker stop (a
  deploy) or a killed worker — because the cap bounds what the artist waits and what the company
  pays the LLM provider, and a cancelled run may already have paid for its call; three runs leave
  room for a deploy or two. When the last allowed run is handed back, the reflection fails at once
  with :func:`runs_exhausted_reason` and its hold is voided (nothing charged, nothing lost) instead
  of being queued again; a run that would start beyond the cap (a redelivery finding the last run's
  lease expired, or a queued row whose cap was lowered) fails it the same way without calling the
  model. (The sweeper fails a run past its lease with the same reason when it was the last one.)
- **Temporary database errors are waited out by the run that holds the lease.** Reading the session
  and writing the outcome are retried, with a growing pause (:data:`DB_RETRY_FIRST_SECONDS` up to
  :data:`DB_RETRY_MAX_SECONDS`), while the error is transient (:func:`catalog.job_retry.is_transient`:
  a lost or refused connection, a server shutting down, too many connections) and until the lease
  expires. No other run can take the reflection while the lease is live, so an arq retry of the job
  would only find the lease and skip, leaving the reflection ``running`` until the lease ran out; and
  the curator's answer, already paid for, is delivered as soon as the database answers again. Each
  write is idempotent (it changes the row only while this run holds the lease, and reports what this
  run already left when a commit's acknowledgement was lost). A database still unreachable when the
  lease expires makes the run raise; the sweeper then fails the reflection (hold voided), or a
  redelivery takes it over as its next run, within the cap.
- **Never stranded.** A delivery the database refuses (an error that is neither a transient conflict,
  which :func:`billing.transactions.retrying_unit_of_work` retries, nor a lost connection, retried as
  above) rolls back its capture and fails the reflection at once with :data:`DELIVERY_FAILURE`, hold
  voided, rather than leaving it ``running`` until its lease runs out. Failure reasons are stored
  without NUL or unpaired surrogates (a server's error text may carry them; PostgreSQL refuses them).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing import ledger
from billing.transactions import retrying_unit_of_work
from catalog.database import SessionFactory
from catalog.job_retry import is_transient
from catalog.settings import AtelierSettings
from catalog.storage import ThumbnailStore
from engine.grounding import GroundingVocabulary
from engine.reflection_facts import SessionFacts, build_session_facts
from reflection.curator_output import CuratorReflection, storable
from reflection.models import Reflection
from reflection.prompt_builder import CuratorRequest, build_curator_request
from reflection.session_inputs import SessionInputs, load_session_inputs, read_representative_images

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_MAX_RUNS = int(AtelierSettings.model_fields["reflection_max_runs"].default)
"""Runs one reflection may start when :class:`RunSettings` is built without ``max_runs`` (3)."""
DB_RETRY_FIRST_SECONDS = 0.2
"""First pause before reading or writing again after a transient database error (doubled each time)."""
DB_RETRY_MAX_SECONDS = 5.0
"""Longest pause between two tries of one read or write (the lease bounds the whole wait)."""

SESSION_GONE = "The session was merged or re-clustered before the Curator could read it; nothing was charged."
INTERNAL_FAILURE = "An internal error stopped this reflection; nothing was charged. Please try again."
DELIVERY_FAILURE = (
    "The Curator's answer could not be stored, so it was not delivered; nothing was charged. "
    "Please try again."
)


def runs_exhausted_reason(runs: int) -> str:
    """The failure reason of a reflection whose ``runs`` runs were all lost before finishing."""
    times = "once" if runs == 1 else f"{runs} times"
    return (
        f"The Curator was stopped {times} before finishing (timed out or the worker restarted); "
        "nothing was charged."
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
    quoted_model: str
    """The writer the artist was quoted for and confirmed (``reflections.model`` before delivery):
    :class:`reflection.backends.QuotedCurator` has only that writer write it."""


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
    max_runs: int = DEFAULT_MAX_RUNS
    """How many runs one reflection may start (``ATELIER_REFLECTION_MAX_RUNS``, ≥ 1)."""


@dataclass(frozen=True, slots=True)
class _Lease:
    """What a run learns when it takes the lease: whose session to read, and until when it owns the
    reflection (the Python clock's ``now + deadline`` it wrote as ``lease_expires_at``)."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: datetime
    quoted_model: str


async def run_reflection(
    factory: SessionFactory,
    reflection_id: uuid.UUID,
    backend: CuratorBackend,
    settings: RunSettings,
) -> str:
    """Run one reflection to its end; returns the state it left: ``done`` or ``failed``, ``skipped``
    (final already, or another run holds a live lease), or ``superseded`` (this run lost its lease)."""
    run_id = uuid.uuid4()
    try:
        claimed = await retrying_unit_of_work(
            factory, lambda db: _take_lease(db, reflection_id, run_id, settings)
        )
        if isinstance(claimed, str):
            return claimed
        return await _write_and_finish(factory, reflection_id, run_id, claimed, backend, settings)
    except asyncio.CancelledError:
        await asyncio.shield(_hand_back(factory, reflection_id, run_id, settings.max_runs))
        raise


async def _write_and_finish(
    factory: SessionFactory,
    reflection_id: uuid.UUID,
    run_id: uuid.UUID,
    lease: _Lease,
    backend: CuratorBackend,
    settings: RunSettings,
) -> str:
    """Facts, prompt, curator, then deliver or fail, under the lease ``run_id`` already took; the
    database steps wait out transient errors while the lease lasts (:func:`_while_leased`)."""

    async def load() -> SessionInputs | None:
        async with factory() as db:
            return await load_session_inputs(db, lease.user_id, lease.session_id)

    def finish_failed(reason: str) -> Awaitable[str]:
        return _while_leased(
            reflection_id, lease, lambda: _finish_failed(factory, reflection_id, run_id, reason)
        )

    try:
        inputs = await _while_leased(reflection_id, lease, load)
        if inputs is None:
            raise CuratorFailed(SESSION_GONE)
        prepared = await asyncio.to_thread(
            prepare_curator_input, inputs, settings.thumbnails, quoted_model=lease.quoted_model
        )
        outcome = await backend.write(prepared)
    except CuratorFailed as failure:
        return await finish_failed(failure.reason)
    except Exception:
        log.exception("reflection %s failed unexpectedly", reflection_id)
        return await finish_failed(INTERNAL_FAILURE)
    try:
        return await _while_leased(
            reflection_id,
            lease,
            lambda: _finish_delivered(factory, reflection_id, run_id, prepared, outcome),
        )
    except Exception:
        log.exception("reflection %s: the delivery could not be stored", reflection_id)
        return await finish_failed(DELIVERY_FAILURE)


async def _while_leased(reflection_id: uuid.UUID, lease: _Lease, attempt: Callable[[], Awaitable[T]]) -> T:
    """``attempt()``, tried again after a transient database error until ``lease`` expires.

    The pause starts at :data:`DB_RETRY_FIRST_SECONDS` and doubles up to :data:`DB_RETRY_MAX_SECONDS`,
    never sleeping past the lease's expiry; the last try is made at the expiry and its error raised.
    Any other error is raised at once. ``attempt`` must be safe to run again (each is a fresh
    transaction that changes the row only while this run holds the lease)."""
    pause = DB_RETRY_FIRST_SECONDS
    while True:
        try:
            return await attempt()
        except Exception as error:
            remaining_seconds = (lease.expires_at - datetime.now(UTC)).total_seconds()
            if not is_transient(error) or remaining_seconds <= 0:
                raise
            log.warning(
                "reflection %s: the database is unreachable (%s); trying again in %.1f s "
                "(the run's lease lasts %.0f s more)",
                reflection_id,
                type(error).__name__,
                min(pause, remaining_seconds),
                remaining_seconds,
            )
            await asyncio.sleep(min(pause, remaining_seconds))
            pause = min(pause * 2, DB_RETRY_MAX_SECONDS)


async def _hand_back(
    factory: SessionFactory, reflection_id: uuid.UUID, run_id: uuid.UUID, max_runs: int
) -> None:
    """Return a reflection this (cancelled) run still holds to ``queued``, lease dropped — or, when this
    run was the last of ``max_runs``, fail it with :func:`runs_exhausted_reason` and void its hold.
    Changes nothing unless this run still holds the lease (row locked first). Never raises: a failure
    here only leaves the lease to run out, as after a killed worker (the sweeper then fails it)."""

    async def hand_back(db: AsyncSession) -> None:
        row = await _lock(db, reflection_id)
        if row is None or row.state != "running" or row.run_id != run_id:
            return
        if row.runs >= max_runs:
            await fail_and_void(db, row, runs_exhausted_reason(row.runs))
            return
        row.state = "queued"
        row.run_id = None
        row.lease_expires_at = None
        row.updated_at = datetime.now(UTC)

    try:
        await retrying_unit_of_work(factory, hand_back)
    except Exception:
        log.exception("reflection %s: could not hand back the lease of a cancelled run", reflection_id)


def prepare_curator_input(
    inputs: SessionInputs, thumbnails: ThumbnailStore, *, quoted_model: str
) -> CuratorInput:
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
    request = build_curator_request(facts, images)
    return CuratorInput(facts, request, facts.grounding_vocabulary(), quoted_model)


async def _lock(db: AsyncSession, reflection_id: uuid.UUID) -> Reflection | None:
    return await db.scalar(
        select(Reflection)
        .where(Reflection.id == reflection_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _take_lease(
    db: AsyncSession, reflection_id: uuid.UUID, run_id: uuid.UUID, settings: RunSettings
) -> _Lease | str:
    """Take the lease for ``run_id`` and count the run (``runs + 1``), under the row lock; or return
    the state to report without counting: ``skipped`` when the row is final or another run holds a live
    lease, ``failed`` when every allowed run already started (the reflection is failed here, hold
    voided, and the model is not called)."""
    row = await _lock(db, reflection_id)
    now = datetime.now(UTC)
    if row is None or row.state in ("done", "failed"):
        return "skipped"
    if row.state == "running" and row.lease_expires_at is not None and row.lease_expires_at > now:
        return "skipped"
    if row.runs >= settings.max_runs:  # the last allowed run was lost (its lease ran out) or the cap fell
        await fail_and_void(db, row, runs_exhausted_reason(row.runs))
        return "failed"
    expires_at = now + settings.deadline
    row.state = "running"
    row.run_id = run_id
    row.runs += 1
    row.lease_expires_at = expires_at
    row.started_at = row.started_at or now
    row.updated_at = now
    return _Lease(row.user_id, row.session_id, expires_at, row.model or "")


async def _finish_delivered(
    factory: SessionFactory,
    reflection_id: uuid.UUID,
    run_id: uuid.UUID,
    prepared: CuratorInput,
    outcome: CuratorOutcome,
) -> str:
    async def deliver(db: AsyncSession) -> str:
        row = await _lock(db, reflection_id)
        if row is not None and row.run_id == run_id and row.state == "done":
            return "done"  # this run's own delivery, whose commit was acknowledged too late (retried)
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
        if (
            row is not None
            and row.run_id == run_id
            and row.state == "failed"
            and row.failure_reason == storable(reason)
        ):
            return "failed"  # this run's own failure, whose commit was acknowledged too late (retried)
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
