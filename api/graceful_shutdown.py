"""Stopping ``atelier serve`` without dropping work in hand.

On SIGTERM (or SIGINT) uvicorn stops accepting connections, closes idle keep-alive connections and
waits up to :data:`HTTP_DRAIN_SECONDS` for requests in flight to be answered (then cancels them).
After that, :func:`finish_jobs_in_hand` lets the in-process arq worker finish the jobs it is running
— it picks no new ones — for up to :data:`JOB_DRAIN_SECONDS`; jobs still running then are cancelled
(arq leaves them queued, so the next start runs them again: every job is idempotent). So a stop takes
at most ``HTTP_DRAIN_SECONDS + JOB_DRAIN_SECONDS`` (plus the servers' own stop), and a deployment's
stop timeout (Docker's default is 10 s) should be at least that; the defaults fit in 60 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from arq.worker import Worker

HTTP_DRAIN_SECONDS = 25
JOB_DRAIN_SECONDS = 30
logger = logging.getLogger("atelier.shutdown")


def uvicorn_options() -> dict[str, object]:
    """The ``uvicorn.Config`` options every way of serving shares (one process or ``--workers N``):
    our JSON logging instead of uvicorn's, no access log (one line per request is ours), the app's
    lifespan on, and requests in flight drained for :data:`HTTP_DRAIN_SECONDS` at shutdown."""
    return {
        "log_level": "info",
        "lifespan": "on",
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": HTTP_DRAIN_SECONDS,
    }


async def finish_jobs_in_hand(
    worker: Worker, worker_task: asyncio.Task[Any], *, timeout_seconds: float = JOB_DRAIN_SECONDS
) -> bool:
    """Stop ``worker`` picking jobs, wait up to ``timeout_seconds`` for the running ones, then stop its
    main task (``worker.close()`` afterwards cancels whatever is left). True when none was left.

    The worker's own poll loop keeps running while we wait (it clears finished jobs and keeps its
    health check fresh); with ``allow_pick_jobs`` off it starts nothing new.
    """
    worker.allow_pick_jobs = False
    deadline = time.monotonic() + timeout_seconds
    left: set[asyncio.Task[Any]] = set()
    # snapshot again after each wait: a poll that was already fetching may have started one more job
    while in_hand := [task for task in worker.tasks.values() if not task.done()]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            left = set(in_hand)
            break
        logger.info("waiting for jobs in hand", extra={"fields": {"jobs": len(in_hand)}})
        _, left = await asyncio.wait(in_hand, timeout=remaining)
        if left:
            break
    if left:
        logger.warning(
            "cancelling jobs still running at the shutdown deadline", extra={"fields": {"jobs": len(left)}}
        )
    worker_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await worker_task
    return not left
