"""Money-moving units of work survive PostgreSQL's concurrency aborts (real SQLSTATEs, real server)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from billing.transactions import ATTEMPTS_MAX, retrying_unit_of_work
from catalog.database import SessionFactory


def _abort_first(times: int, sqlstate: str) -> tuple[list[int], object]:
    attempts: list[int] = []

    async def work(db: AsyncSession) -> int:
        attempts.append(len(attempts) + 1)
        await db.execute(text("CREATE TEMP TABLE IF NOT EXISTS scratch (n int) ON COMMIT DROP"))
        if len(attempts) <= times:
            await db.execute(
                text(f"DO $$ BEGIN RAISE EXCEPTION 'aborted' USING ERRCODE = '{sqlstate}'; END $$")
            )
        return len(attempts)

    return attempts, work


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
async def test_serialization_failures_and_deadlocks_are_retried(
    session_factory: SessionFactory, sqlstate: str
) -> None:
    attempts, work = _abort_first(2, sqlstate)
    assert await retrying_unit_of_work(session_factory, work) == 3  # type: ignore[arg-type]
    assert attempts == [1, 2, 3]


async def test_retries_are_bounded(session_factory: SessionFactory) -> None:
    attempts, work = _abort_first(ATTEMPTS_MAX, "40001")
    with pytest.raises(DBAPIError):
        await retrying_unit_of_work(session_factory, work)  # type: ignore[arg-type]
    assert len(attempts) == ATTEMPTS_MAX


async def test_other_errors_are_not_retried(session_factory: SessionFactory) -> None:
    attempts, work = _abort_first(1, "23505")
    with pytest.raises(DBAPIError):
        await retrying_unit_of_work(session_factory, work)  # type: ignore[arg-type]
    assert attempts == [1]
