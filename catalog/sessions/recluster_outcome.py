"""The last failure of a user's whole-library re-cluster (``recluster_user_job``), kept in Redis.

arq keeps no result for that job (its id is fixed per user, and a kept result would stop the same id
from being queued again), so without this a failed re-cluster looks exactly like one that never ran.
:func:`recording_recluster_outcome` wraps the job: a failure that ends the job — a permanent error,
a transient one on the last try (arq then refuses the next try), a timeout — writes the key
``atelier:recluster-failure:<user id>``; a run that succeeds deletes it. A try that arq will run
again writes nothing (the job is still queued). The API reads it with :func:`last_failure`.

The reason is short and meant for the artist; it never carries the error's text (SQL, paths), which
is in the worker's log. The key expires after :data:`KEEP_SECONDS` (the artist has long since seen
it or queued another run). Writing it is best effort: if Redis is unreachable the job's own outcome
(the exception arq logs) is unchanged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from arq import Retry
from arq.typing import WorkerCoroutine
from redis.asyncio import Redis
from redis.exceptions import RedisError

from catalog.job_retry import recording_final_failure
from catalog.sessions.off_loop import ChildProcessFailed

log = logging.getLogger(__name__)

KEY_PREFIX: Final = "atelier:recluster-failure:"
KEEP_SECONDS: Final = 30 * 24 * 3600
T = TypeVar("T")


@dataclass(frozen=True)
class ReclusterFailure:
    reason: str
    """What went wrong, in one short English sentence for the artist."""
    failed_at: datetime
    """When the job gave up (UTC)."""


def failure_key(user_id: uuid.UUID) -> str:
    return f"{KEY_PREFIX}{user_id}"


async def last_failure(redis: Redis, user_id: uuid.UUID) -> ReclusterFailure | None:
    """The user's recorded failure, or None (none since the last success, or expired). Redis errors
    propagate: the caller decides what an unreachable queue means."""
    raw = await redis.get(failure_key(user_id))
    if raw is None:
        return None
    stored = json.loads(raw)
    return ReclusterFailure(reason=stored["reason"], failed_at=datetime.fromisoformat(stored["failedAt"]))


async def record_failure(redis: Redis, user_id: uuid.UUID, reason: str) -> None:
    value = json.dumps({"reason": reason, "failedAt": datetime.now(UTC).isoformat()})
    await _best_effort(redis.set(failure_key(user_id), value, ex=KEEP_SECONDS), user_id)


async def clear_failure(redis: Redis, user_id: uuid.UUID) -> None:
    await _best_effort(redis.delete(failure_key(user_id)), user_id)


async def _best_effort(command: Awaitable[object], user_id: uuid.UUID) -> None:
    try:
        await asyncio.wait_for(command, timeout=5)
    except (OSError, RedisError, TimeoutError) as error:
        log.warning("could not record the re-cluster outcome of user %s: %s", user_id, error)


def failure_reason(error: BaseException, *, timeout_seconds: float) -> str:
    if isinstance(error, asyncio.CancelledError):
        return f"Interrupted: it ran longer than {timeout_seconds:g} s, or its worker stopped."
    if isinstance(error, Retry):
        return "The database or the job queue stayed unreachable; gave up after several tries."
    if isinstance(error, ChildProcessFailed):
        return "The re-cluster stopped with an error; nothing was changed. The worker's log has the details."
    return f"The re-cluster failed ({type(error).__name__}); nothing was changed."


def recording_recluster_outcome(
    job: Callable[..., Awaitable[T]], *, max_tries: int, timeout_seconds: float
) -> WorkerCoroutine:
    """Wrap the re-cluster job (``job(ctx, user_id)``, already wrapped by ``retry_transient``) so its
    outcome is recorded (:func:`catalog.job_retry.recording_final_failure`; a cancellation counts);
    ``max_tries`` and ``timeout_seconds`` must be the ones the job is registered with. It re-raises
    whatever the job raised: arq's handling is unchanged."""

    async def record(ctx: dict[str, Any], user_id: str, error: BaseException) -> None:
        reason = failure_reason(error, timeout_seconds=timeout_seconds)
        await record_failure(ctx["redis"], uuid.UUID(user_id), reason)

    async def succeeded(ctx: dict[str, Any], user_id: str) -> None:
        await clear_failure(ctx["redis"], uuid.UUID(user_id))

    return recording_final_failure(
        job, max_tries=max_tries, record=record, succeeded=succeeded, cancellation_fails=True
    )
