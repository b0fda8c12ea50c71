"""The one lock order for everything that writes a user's library.

Every unit of work that changes a user's assets, sessions, phases, lineage or constraints takes locks
in this order, and never the other way round:

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
asset rows (the import's ``COPY``) locks no existing row and needs no stream lock.

Safety net: should PostgreSQL still abort a job for a deadlock or serialization failure, the worker
retries it with backoff (:mod:`catalog.job_retry`).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.sessions.repository import lock_user_stream


async def lock_user_library(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Step 1 of the lock order: the user's stream lock, held to the end of the transaction."""
    await lock_user_stream(session, user_id)
