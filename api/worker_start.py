"""Keeping ``atelier serve``'s in-process worker running while Redis may be down.

arq's worker connects to Redis first thing (``create_pool``: five tries a second apart) and its main
task ends with the connection error if Redis does not answer. Under ``atelier serve`` that task is
a background task beside the API, so the API went on serving while the worker was gone for good
(queued jobs waited for a restart) and the shut-down then failed on the task's error.
:func:`run_worker_when_redis_answers` runs it again every :data:`START_RETRY_SECONDS` for as long
as Redis cannot be reached — before the worker started, and after a started worker lost Redis (arq's
poll loop then raises; redis-py reconnects on the next command, and the worker's start-up hook keeps
the resources it made the first time: :func:`api.worker.worker_options`). Jobs already running go
on; nothing new is picked until Redis answers. Any other error ends the task as before. Cancelling
the task (shut-down) stops the waiting at once.
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
    """``worker.async_run()``, run again whenever it ends because Redis cannot be reached."""
    while True:
        try:
            await worker.async_run()
            return
        except (OSError, RedisError, TimeoutError) as error:
            what = "lost Redis" if "redis" in worker.ctx else "cannot reach Redis to start"
            log.warning(
                "the worker %s (%s: %s); trying again in %.0f s",
                what,
                type(error).__name__,
                error,
                retry_seconds,
            )
        await asyncio.sleep(retry_seconds)
