"""Job options and healing, on a real arq worker (burst mode) and the real database:

- a transient PostgreSQL error (deadlock 40P01, raised by the server) is retried with backoff and the
  job then succeeds; a permanent one (division by zero, 22012) fails at once, without a retry;
- a job whose id is derived from its arguments can be queued and run again after it ran (no kept
  result blocks the id);
- the healing cron completes owed clustering and makes missing thumbnails; only one healer runs at a
  time across workers.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import func
from sqlalchemy import delete, select, text, update
from sqlalchemy import func as sql_func
from sqlalchemy.exc import DBAPIError

from catalog.database import SessionFactory, unit_of_work
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.job_retry import is_transient, retry_transient
from catalog.models import Asset, Phase, Session
from catalog.settings import AtelierSettings
from catalog.tasks import CATALOG_FUNCTIONS, HEAL_LOCK_KEY, heal_owed_catalog_work, queue_thumbnails
from tests.arq_worker import run_worker_burst
from tests.generated_copies import copy_as_generated

RAISE = "DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '{state}'; END $$"
attempts: dict[str, int] = {}


async def _fails_first_with(ctx: dict[str, Any], key: str, state: str) -> str:
    """Raises a real server error with SQLSTATE ``state`` on the first try, then succeeds."""
    attempts[key] = attempts.get(key, 0) + 1
    if attempts[key] == 1:
        async with unit_of_work(ctx["session_factory"]) as db:
            await db.execute(text(RAISE.format(state=state)))
    return "done"


async def _always_divides_by_zero(ctx: dict[str, Any]) -> None:
    async with unit_of_work(ctx["session_factory"]) as db:
        await db.execute(text("SELECT 1 / 0"))


async def _enqueue(settings: AtelierSettings, name: str, *args: Any) -> None:
    pool = await create_pool(RedisSettings.from_dsn(settings.redis_url or ""))
    try:
        await pool.enqueue_job(name, *args)
    finally:
        await pool.aclose()


async def test_a_deadlock_is_retried_and_a_permanent_error_is_not(
    session_factory: SessionFactory, queue_settings: AtelierSettings
) -> None:
    key = uuid.uuid4().hex
    await _enqueue(queue_settings, "flaky", key, "40P01")
    flaky = func(retry_transient(_fails_first_with), name="flaky", max_tries=3)
    worker = await run_worker_burst(session_factory, queue_settings, [flaky])
    assert (worker.jobs_retried, worker.jobs_complete, worker.jobs_failed) == (1, 1, 0)
    assert attempts[key] == 2

    await _enqueue(queue_settings, "broken")
    broken = func(retry_transient(_always_divides_by_zero), name="broken", max_tries=3)
    worker = await run_worker_burst(session_factory, queue_settings, [broken])
    assert (worker.jobs_retried, worker.jobs_complete, worker.jobs_failed) == (0, 0, 1)


async def test_which_errors_are_transient(session_factory: SessionFactory) -> None:
    async def error_for(statement: str) -> DBAPIError:
        with pytest.raises(DBAPIError) as raised:
            async with unit_of_work(session_factory) as db:
                await db.execute(text(statement))
        return raised.value

    for state in ("40P01", "40001", "08006", "57P01"):
        assert is_transient(await error_for(RAISE.format(state=state))), state
    for state in ("22012", "23505", "42P01"):
        assert not is_transient(await error_for(RAISE.format(state=state))), state
    assert is_transient(ConnectionResetError())
    assert not is_transient(ValueError("bad input"))


def _copy_fixtures(fixtures_dir: Path, target: Path, *, with_broken_pixels: bool = False) -> None:
    target.mkdir()
    sources = sorted((fixtures_dir / "images" / "ComfyUI").glob("*.png"))[:6]
    copy_as_generated(sources, target)
    if with_broken_pixels:  # readable metadata, pixels that cannot be decoded
        data = bytearray(sources[0].read_bytes())
        start = data.index(b"IDAT") + 4
        data[start : start + 64] = bytes(64)
        (target / "broken-pixels.png").write_bytes(bytes(data))


async def _missing_thumbnails(factory: SessionFactory) -> int:
    async with factory() as db:
        return int(await db.scalar(select(sql_func.count()).where(Asset.thumbnail_sha256.is_(None))) or 0)


async def test_a_thumbnail_job_can_run_again_with_the_same_id(
    session_factory: SessionFactory, queue_settings: AtelierSettings, fixtures_dir: Path, tmp_path: Path
) -> None:
    _copy_fixtures(fixtures_dir, tmp_path / "images")
    await import_paths(
        session_factory,
        queue_settings,
        user_handle="ada",
        paths=[tmp_path / "images"],
        thumbnails=ThumbnailMode.SKIP,
    )
    async with session_factory() as db:
        rows = (await db.execute(select(Asset.user_id, Asset.id))).all()
    owner, asset_ids = rows[0][0], [asset_id for _, asset_id in rows]

    for _ in range(2):  # the second round queues the very same job id after the first one ran
        async with unit_of_work(session_factory) as db:
            await db.execute(update(Asset).values(thumbnail_sha256=None))
        assert await queue_thumbnails(queue_settings.redis_url or "", owner, asset_ids) == 1
        worker = await run_worker_burst(session_factory, queue_settings, CATALOG_FUNCTIONS)
        assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
        assert await _missing_thumbnails(session_factory) == 0


async def test_healing_completes_owed_clustering_and_thumbnails_one_healer_at_a_time(
    session_factory: SessionFactory, queue_settings: AtelierSettings, fixtures_dir: Path, tmp_path: Path
) -> None:
    _copy_fixtures(fixtures_dir, tmp_path / "images", with_broken_pixels=True)
    await import_paths(
        session_factory,
        queue_settings,
        user_handle="ada",
        paths=[tmp_path / "images"],
        thumbnails=ThumbnailMode.SKIP,
    )
    async with unit_of_work(session_factory) as db:  # as if the import died before re-clustering
        await db.execute(update(Asset).values(session_id=None, phase_id=None))
        await db.execute(delete(Phase))
        await db.execute(delete(Session))
    pool = await create_pool(RedisSettings.from_dsn(queue_settings.redis_url or ""))
    unrenderable: set[uuid.UUID] = set()
    ctx = {
        "session_factory": session_factory,
        "settings": queue_settings,
        "redis": pool,
        "unrenderable": unrenderable,
    }
    try:
        async with session_factory() as other_healer:  # another worker is healing right now
            await other_healer.execute(select(sql_func.pg_advisory_lock(HEAL_LOCK_KEY)))
            assert await heal_owed_catalog_work(dict(ctx)) == {"skipped": 1}
            await other_healer.execute(select(sql_func.pg_advisory_unlock(HEAL_LOCK_KEY)))

        healed = await heal_owed_catalog_work(dict(ctx))
        again = await heal_owed_catalog_work(dict(ctx))
    finally:
        await pool.aclose()

    async with session_factory() as db:
        timed = await db.scalar(select(sql_func.count()).where(Asset.created_at.is_not(None)))
        unclustered = await db.scalar(
            select(sql_func.count()).where(Asset.created_at.is_not(None), Asset.session_id.is_(None))
        )
        broken = await db.scalar(select(Asset.id).where(Asset.file_name == "broken-pixels.png"))
    assert timed and healed["clustered"] == timed and healed["thumbnails"] == 6
    assert unclustered == 0 and await _missing_thumbnails(session_factory) == 1
    # the file that cannot be rendered is remembered by this worker and not decoded on every tick
    assert broken is not None and unrenderable == {broken}
    assert (again["clustered"], again["thumbnails"]) == (0, 0)  # nothing else owed
