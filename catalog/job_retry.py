"""Which job failures are worth another try, and the arq ``Retry`` that schedules it.

Transient (the work did nothing and may simply run again): a deadlock (SQLSTATE 40P01), a
serialization failure (40001), a lost or refused database connection (class 08, 57P01-57P03, 53300,
or a connection SQLAlchemy invalidated), a lost Redis connection, an OS-level connection error.
Everything else is permanent: the job fails at once and its error is logged and kept in its result.

Jobs are idempotent units of work (see :mod:`catalog.tasks`), so running one again from the start is
always safe. The pause grows with each try (:func:`backoff_seconds`), jittered so two workers that
deadlocked each other do not meet again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from arq import Retry
from arq.typing import WorkerCoroutine
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "57P01", "57P02", "57P03", "53300"})
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
T = TypeVar("T")


def sqlstate_of(error: BaseException) -> str | None:
    cause = error.orig if isinstance(error, DBAPIError) else error
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return str(state) if state else None


def is_transient(error: BaseException) -> bool:
    state = sqlstate_of(error)
    if state is not None:
        return state in TRANSIENT_SQLSTATES or state.startswith("08")
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    cause = error.orig if isinstance(error, DBAPIError) else error
    return isinstance(cause, ConnectionError | RedisConnectionError | RedisTimeoutError)


def backoff_seconds(job_try: int) -> float:
    """Pause before try ``job_try + 1``: 0.5 s, 1 s, 2 s … at most 30 s, with up to 50 % jitter."""
    base = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** max(0, job_try - 1))
    return base * random.uniform(1.0, 1.5)


def retry_transient(job: Callable[..., Awaitable[T]]) -> WorkerCoroutine:
    """Wrap an arq job: a transient failure becomes ``Retry`` (arq runs it again after the backoff,
    up to the function's ``max_tries``); any other exception propagates and fails the job."""

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> T:
        try:
            return await job(ctx, *args, **kwargs)
        except Exception as error:
            if not is_transient(error):
                raise
            job_try = int(ctx.get("job_try") or 1)
            pause = backoff_seconds(job_try)
            log.warning(
                "job %s try %d hit a transient error (%s: %s); retrying in %.1f s",
                ctx.get("job_id"),
                job_try,
                type(error).__name__,
                str(error).splitlines()[0] if str(error) else "",
                pause,
            )
            raise Retry(defer=pause) from error

    return cast(WorkerCoroutine, run)


def recording_final_failure(
    job: Callable[..., Awaitable[T]],
    *,
    max_tries: int,
    record: Callable[[dict[str, Any], str, BaseException], Awaitable[None]],
    succeeded: Callable[[dict[str, Any], str], Awaitable[None]] | None = None,
    cancellation_fails: bool = False,
) -> WorkerCoroutine:
    """Wrap a per-user job (``job(ctx, user_id)``, already wrapped by :func:`retry_transient`) so a
    failure that ends it is recorded: ``record(ctx, user_id, error)`` for a permanent error, and for a
    ``Retry`` on the last of ``max_tries`` (the job's own; arq then runs no further try, and ``error``
    is the ``Retry``, its cause the transient error). A try arq will run again records nothing; a
    cancellation only with ``cancellation_fails``. ``succeeded(ctx, user_id)`` runs after a success.
    Whatever the job raised is re-raised: arq's handling is unchanged."""
    failures: tuple[type[BaseException], ...] = (
        (Exception, asyncio.CancelledError) if cancellation_fails else (Exception,)
    )

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], user_id: str, *args: Any, **kwargs: Any) -> T:
        try:
            result = await job(ctx, user_id, *args, **kwargs)
        except Retry as error:
            if int(ctx.get("job_try") or 1) >= max_tries:
                await record(ctx, user_id, error)
            raise
        except failures as error:
            await record(ctx, user_id, error)
            raise
        if succeeded is not None:
            await succeeded(ctx, user_id)
        return result

    return cast(WorkerCoroutine, run)
