"""The one lock order for everything that writes a user's library.

Every unit of work that changes a user's assets, sessions, phases, lineage or constraints takes locks
in this order, and never the other way round:

0. only a removal or an import's insert: the user's removal gate (:func:`hold_off_removals`, shared,
   by each import batch before its insert; :func:`exclude_imports`, exclusive, by a removal), taken
   before anything else — an import batch holding it shared never waits for the stream lock in the
   same transaction;
1. the user's stream lock — a transaction-scoped advisory lock on the user id
   (:func:`lock_user_library`, the same lock as
   :func:`catalog.sessions.repository.lock_user_stream`), taken FIRST, before the unit of work reads
   or writes any of the user's rows; re-taking it later in the same transaction is free;
2. then rows, in whatever order the work needs them: ``assets`` (thumbnails, descriptors, session
   assignment), ``sessions``, ``phases``, ``lineage_edges``, ``session_constraints``, ``corrections``.

Two units of work of one user therefore never hold rows the other waits for: the second waits on
step 1 holding nothing. A unit of work touching several users (e.g. embedding prompts shared across
users) runs one transaction per user instead of taking several stream locks at once.

Who follows it: re-clustering (:mod:`catalog.sessions.reclustering`), every correction
(:mod:`catalog.sessions.corrections`), thumbnail jobs and the healing cron (:mod:`catalog.tasks`),
the import's inline thumbnails and its re-clustering (:mod:`catalog.importing.service`). Inserting new
asset rows (the import's ``COPY``) locks no existing row and needs no stream lock; it holds the removal
gate shared, so that an import of the very bytes a removal is deleting waits for that removal to commit
and then finds its removed-records row (without the gate, the insert waited on the deleted row's
unique key, saw no removed-records row in its older snapshot and brought the image back). Import
batches share the gate: they never wait for each other on it.

Safety net: should PostgreSQL still abort a job for a deadlock or serialization failure, the worker
retries it with backoff (:mod:`catalog.job_retry`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.sessions.repository import lock_user_stream

_REMOVAL_GATE_CLASS = 0x41544C52
"""First key of the two-key advisory locks that form the removal gates (a key space apart from the
one-key stream locks); the second key is the user's (:func:`_user_key`)."""


def _user_key(user_id: uuid.UUID) -> int:
    """The user id folded to a signed 32-bit key; two users sharing one only ever wait for each other."""
    return int.from_bytes(user_id.bytes[:4], "big", signed=True)


async def hold_off_removals(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Step 0 for an import batch: the user's removal gate, shared, to the end of the transaction."""
    await session.execute(select(func.pg_advisory_xact_lock_shared(_REMOVAL_GATE_CLASS, _user_key(user_id))))


async def exclude_imports(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Step 0 for a removal: the user's removal gate, exclusive, to the end of the transaction (waits for
    the import batches in flight; later ones wait for the removal)."""
    await session.execute(select(func.pg_advisory_xact_lock(_REMOVAL_GATE_CLASS, _user_key(user_id))))


async def lock_user_library(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Step 1 of the lock order: the user's stream lock, held to the end of the transaction."""
    await lock_user_stream(session, user_id)
