"""A re-description that fails for good is recorded on its user, and the healing tick backs off.

Without the record, arq keeps no result of the failed job (``keep_result=0``), so the next tick (30 s
later) queued the same failing whole-library run again, for ever. Failures are made for real: the
re-description's child process is given a database that does not exist, so it exits with an error as
a bug or bad data would make it; time is moved by writing ``redescription_failed_at`` in the past.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from arq import Retry, create_pool
from arq.connections import RedisSettings
from sqlalchemy import select, text

from bench.recluster_bench import one_artist_history
from catalog import tasks
from catalog.database import SessionFactory, unit_of_work
from catalog.models import User
from catalog.sessions.reclustering import recluster_user
from catalog.sessions.redescription import (
    REDESCRIPTION_BACKOFF_FIRST,
    REDESCRIPTION_BACKOFF_MAX,
    count_redescriptions_backing_off,
    record_redescription_failure,
    redescription_backoff,
    redescription_owed,
    users_to_redescribe,
)
from catalog.settings import AtelierSettings
from catalog.tasks import (
    CATALOG_FUNCTIONS,
    TRANSIENT_MAX_TRIES,
    heal_owed_catalog_work,
    queue_owed_redescriptions,
)
from engine.analysis import DESCRIPTION_VERSION
from tests.arq_worker import run_worker_burst
from tests.catalog.test_recluster_writes import _import, _write
from tests.catalog.test_redescription import _as_if_described_by_an_earlier_engine, _described_with

FailureRecord = tuple[int, object, int | None]


def _registered_job() -> Any:
    """The re-description job as the worker runs it (every wrapper included)."""
    return next(entry for entry in CATALOG_FUNCTIONS if entry.name == "redescribe_user_job").coroutine


def _child_cannot_reach_its_database(settings: AtelierSettings) -> AtelierSettings:
    """Settings whose database URL (the one handed to the re-description's child) names a missing
    database: the child exits with an error. The worker's own session factory is unaffected."""
    url = settings.database_url or ""
    prefix, _, rest = url.partition("@/")
    database, _, query = rest.partition("?")
    return settings.model_copy(update={"database_url": f"{prefix}@/{database}_missing?{query}"})


async def _stale_library(
    factory: SessionFactory, settings: AtelierSettings, tmp_path: Path, handle: str
) -> uuid.UUID:
    records = _write(tmp_path / f"{handle}.jsonl", one_artist_history(60))
    user_id = await _import(factory, settings, handle, records)
    await _as_if_described_by_an_earlier_engine(factory, user_id)
    return user_id


async def _stale_user(factory: SessionFactory, handle: str) -> uuid.UUID:
    """A user without assets, described by an earlier engine (NULL version)."""
    async with unit_of_work(factory) as db:
        user_id = await db.scalar(text("INSERT INTO users (handle) VALUES (:h) RETURNING id"), {"h": handle})
    assert isinstance(user_id, uuid.UUID)
    return user_id


async def _failure_record(factory: SessionFactory, user_id: uuid.UUID) -> FailureRecord:
    async with factory() as db:
        row = (
            await db.execute(
                select(
                    User.redescription_failures,
                    User.redescription_failed_at,
                    User.redescription_failed_version,
                ).where(User.id == user_id)
            )
        ).one()
    return row[0], row[1], row[2]


async def _set_failures(
    factory: SessionFactory,
    user_id: uuid.UUID,
    failures: int,
    *,
    ago: timedelta,
    version: int = DESCRIPTION_VERSION,
) -> None:
    """As if the last of ``failures`` failed re-descriptions (met with ``version``) was ``ago`` ago."""
    async with unit_of_work(factory) as db:
        await db.execute(
            text(
                "UPDATE users SET redescription_failures = :n, redescription_failed_version = :v, "
                "redescription_failed_at = now() - make_interval(secs => :ago) WHERE id = :u"
            ),
            {"n": failures, "v": version, "ago": ago.total_seconds(), "u": user_id},
        )


async def _due_and_backing_off(factory: SessionFactory) -> tuple[list[uuid.UUID], int]:
    """(users the tick would queue, users it leaves alone for their back-off)."""
    async with factory() as db:
        return await users_to_redescribe(db, limit=None), await count_redescriptions_backing_off(db)


async def test_a_failed_re_description_is_not_queued_again_before_its_back_off_has_passed(
    queue_settings: AtelierSettings,
    session_factory: SessionFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user_id = await _stale_library(session_factory, queue_settings, tmp_path, "failing")
    pool = await create_pool(RedisSettings.from_dsn(queue_settings.redis_url or ""))
    ctx: dict[str, Any] = {"session_factory": session_factory, "settings": queue_settings, "redis": pool}
    try:
        assert await queue_owed_redescriptions(ctx) == 1
        with caplog.at_level(logging.WARNING, logger="catalog.tasks"):
            failing = _child_cannot_reach_its_database(queue_settings)
            worker = await run_worker_burst(session_factory, failing, CATALOG_FUNCTIONS)
        assert (worker.jobs_complete, worker.jobs_failed, worker.jobs_retried) == (0, 1, 0)  # not transient
        failures, failed_at, version = await _failure_record(session_factory, user_id)
        assert (failures, version) == (1, DESCRIPTION_VERSION) and failed_at is not None

        # one warning: the user, the attempt, when it is tried next
        warnings = [record.getMessage() for record in caplog.records if record.name == "catalog.tasks"]
        assert len(warnings) == 1, warnings
        next_try = (failed_at + REDESCRIPTION_BACKOFF_FIRST).isoformat(timespec="seconds")
        assert str(user_id) in warnings[0] and "attempt 1 " in warnings[0] and next_try in warnings[0]

        healed = await heal_owed_catalog_work(dict(ctx))  # the next tick: arq forgot the failed job
        assert (healed["redescriptions_queued"], healed["redescriptions_backing_off"]) == (0, 1)
        assert await pool.queued_jobs() == []

        await _set_failures(
            session_factory, user_id, 1, ago=REDESCRIPTION_BACKOFF_FIRST - timedelta(seconds=30)
        )
        assert await queue_owed_redescriptions(ctx) == 0  # not yet
        await _set_failures(
            session_factory, user_id, 1, ago=REDESCRIPTION_BACKOFF_FIRST + timedelta(seconds=1)
        )
        assert await queue_owed_redescriptions(ctx) == 1  # the back-off has passed

        worker = await run_worker_burst(
            session_factory, queue_settings, CATALOG_FUNCTIONS
        )  # the fault is gone
        assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    finally:
        await pool.aclose()
    assert await _failure_record(session_factory, user_id) == (0, None, None)  # success clears the record
    assert await _described_with(session_factory, user_id) == DESCRIPTION_VERSION


async def test_the_back_off_doubles_with_each_failure_in_a_row_and_is_capped(
    session_factory: SessionFactory,
) -> None:
    minutes = [redescription_backoff(failures) / timedelta(minutes=1) for failures in range(1, 6)]
    assert minutes == [5, 10, 20, 40, 80]
    assert redescription_backoff(9) < REDESCRIPTION_BACKOFF_MAX == timedelta(hours=24)
    assert redescription_backoff(10) == redescription_backoff(10_000) == REDESCRIPTION_BACKOFF_MAX

    user_id = await _stale_user(session_factory, "ada")
    assert await _due_and_backing_off(session_factory) == ([user_id], 0)  # never failed
    for failures in (1, 2, 3, 9, 10, 10_000):  # the database applies the same back-off
        wait = redescription_backoff(failures)
        await _set_failures(session_factory, user_id, failures, ago=wait - timedelta(minutes=1))
        assert await _due_and_backing_off(session_factory) == ([], 1), failures
        await _set_failures(session_factory, user_id, failures, ago=wait + timedelta(minutes=1))
        assert await _due_and_backing_off(session_factory) == ([user_id], 0), failures


async def test_each_failure_counts_and_describing_the_stream_clears_them(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    user_id = await _stale_library(session_factory, settings, tmp_path, "ada")
    failures = []
    for _ in range(3):
        async with unit_of_work(session_factory) as db:
            failures.append(await record_redescription_failure(db, user_id))
    assert [failure.attempt for failure in failures if failure is not None] == [1, 2, 3]
    last = failures[-1]
    assert last is not None and last.retry_after == last.failed_at + timedelta(minutes=20)
    assert await _due_and_backing_off(session_factory) == ([], 1)
    async with unit_of_work(session_factory) as db:
        assert await record_redescription_failure(db, uuid.uuid4()) is None  # no such user

    async with unit_of_work(session_factory) as db:  # a full re-cluster describes the stream too
        await recluster_user(db, user_id)

    assert await _failure_record(session_factory, user_id) == (0, None, None)
    assert await _due_and_backing_off(session_factory) == ([], 0)


async def test_failures_met_with_an_earlier_engine_hold_nothing_back(session_factory: SessionFactory) -> None:
    user_id = await _stale_user(session_factory, "ada")
    await _set_failures(session_factory, user_id, 9, ago=timedelta(0), version=DESCRIPTION_VERSION - 1)

    assert await _due_and_backing_off(session_factory) == ([user_id], 0)  # the upgrade may be the fix
    async with unit_of_work(session_factory) as db:
        failure = await record_redescription_failure(db, user_id)
    assert failure is not None and failure.attempt == 1  # the count starts again with this engine


async def test_transient_errors_are_retried_and_count_only_when_arq_gives_up(
    settings: AtelierSettings, session_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = await _stale_user(session_factory, "ada")

    async def connection_reset(*args: object, **kwargs: object) -> object:
        raise ConnectionResetError("the connection was reset")  # transient (catalog.job_retry)

    monkeypatch.setattr(tasks, "recluster_user_in_child_process", connection_reset)
    job = _registered_job()
    ctx = {"session_factory": session_factory, "settings": settings}
    for job_try in range(1, TRANSIENT_MAX_TRIES):  # arq runs it again: no failure yet
        with pytest.raises(Retry):
            await job({**ctx, "job_try": job_try}, str(user_id))
        assert (await _failure_record(session_factory, user_id))[0] == 0, job_try

    with pytest.raises(Retry):  # the last try: arq runs no further one
        await job({**ctx, "job_try": TRANSIENT_MAX_TRIES}, str(user_id))
    assert (await _failure_record(session_factory, user_id))[0] == 1


async def test_a_run_past_its_deadline_counts_and_a_cancelled_one_does_not(
    settings: AtelierSettings, session_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = await _stale_user(session_factory, "ada")
    job = _registered_job()
    ctx = {"session_factory": session_factory, "settings": settings, "job_try": 1}

    monkeypatch.setattr(tasks, "REDESCRIBE_DEADLINE_SECONDS", 0.3)  # the child needs longer to start
    with pytest.raises(TimeoutError):
        await job(dict(ctx), str(user_id))
    assert (await _failure_record(session_factory, user_id))[0] == 1
    async with session_factory() as db:
        assert await redescription_owed(db, user_id)  # the child was stopped before it wrote anything

    monkeypatch.setattr(tasks, "REDESCRIBE_DEADLINE_SECONDS", 60.0)
    running = asyncio.create_task(job(dict(ctx), str(user_id)))
    await asyncio.sleep(0.3)
    running.cancel()  # the worker stopping: arq runs the job again, nothing failed
    with pytest.raises(asyncio.CancelledError):
        await running
    assert (await _failure_record(session_factory, user_id))[0] == 1
