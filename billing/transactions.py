"""Units of work that are retried when PostgreSQL aborts them for concurrency.

A serialization failure (SQLSTATE 40001) or a deadlock (40P01) means the transaction did nothing: it
is rolled back and can simply run again. Money-moving units of work run through
:func:`retrying_unit_of_work`, at most :data:`ATTEMPTS_MAX` times with a short jittered pause, so a
concurrent grant, refund or capture never surfaces as an error; any other error is raised at once.
``work`` must be safe to run again from the start (it is: each attempt is a fresh transaction).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.database import SessionFactory, unit_of_work

log = logging.getLogger(__name__)

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
ATTEMPTS_MAX = 4
PAUSE_SECONDS = 0.02
T = TypeVar("T")


def is_retryable(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


async def retrying_unit_of_work(
    factory: SessionFactory, work: Callable[[AsyncSession], Awaitable[T]], *, attempts: int = ATTEMPTS_MAX
) -> T:
    """Run ``work`` in a unit of work (one commit), again after a serialization failure or deadlock."""
    for attempt in range(1, attempts + 1):
        try:
            async with unit_of_work(factory) as db:
                return await work(db)
        except DBAPIError as error:
            if attempt == attempts or not is_retryable(error):
                raise
            log.info("retrying a transaction after %s (attempt %d)", error.orig, attempt)
            await asyncio.sleep(random.uniform(0, PAUSE_SECONDS * 2**attempt))
    raise AssertionError("unreachable")
