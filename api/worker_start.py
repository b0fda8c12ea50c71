"""Starting ``atelier serve``'s in-process worker when Redis may not be up yet.

arq's worker connects to Redis first thing (``create_pool``: five tries a second apart) and its main
task ends with the connection error if Redis does not answer. Under ``atelier serve`` that task is
a background task beside the API, so the API went on serving while the worker was gone for good
(queued jobs waited for a restart) and the shut-down then failed on the task's error.
:func:`run_worker_when_redis_answers` starts it again every :data:`START_RETRY_SECONDS` for as long
as Redis cannot be reached *before the worker started*; once it has started (connected, its
``ctx["redis"]`` set) any error ends the task as before. Cancelling the task (shut-down) stops the
waiting at once.
"""

from __future__ import annotations

import asyncio
import logging

from arq.worker import Worker
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

START_RETRY_SECONDS = 5.0
"""Pause between start attempts (each attempt itself takes arq's ~5 s of connection retries)."""


async def run_worker_when_redis_answers(
    worker: Worker, *, retry_seconds: float = START_RETRY_SECONDS
) -> None:
    """``worker.async_run()``, tried again while Redis cannot be reached at start-up."""
    while True:
        try:
            await worker.async_run()
            return
        except (OSError, RedisError, TimeoutError) as error:
            if "redis" in worker.ctx:  # it had started: not a start-up failure
                raise
            log.warning(
                "the worker cannot reach Redis to start (%s: %s); trying again in %.0f s",
                type(error).__name__,
                error,
                retry_seconds,
            )
        await asyncio.sleep(retry_seconds)
