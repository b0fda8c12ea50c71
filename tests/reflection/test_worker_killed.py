"""A real ``atelier worker`` process killed with SIGKILL in the middle of the model call: the
reflection is failed by the sweeper once its lease runs out, every held credit comes back, nothing
is captured, and a later run of the same job changes nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from arq import create_pool
from arq.connections import RedisSettings

from catalog.database import SessionFactory
from catalog.settings import AtelierSettings
from reflection.backends import OfflineCurator
from reflection.runner import run_reflection
from reflection.sweeper import sweep
from reflection.tasks import enqueue_reflection
from tests.reflection.openai_server import Hang, ScriptedOpenAIServer
from tests.reflection.test_reflection_runs import (
    GRANT,
    account_state,
    confirmed_reflection,
    reflection_row,
    run_settings,
)

LEASE_SECONDS = 5


async def _wait_for_state(
    factory: SessionFactory, reflection_id: uuid.UUID, state: str, within_seconds: float
) -> None:
    give_up = time.monotonic() + within_seconds
    while (await reflection_row(factory, reflection_id)).state != state:
        assert time.monotonic() < give_up, f"reflection never reached {state}"
        await asyncio.sleep(0.1)


async def test_sigkill_mid_call_voids_the_hold_and_never_charges(
    session_factory: SessionFactory, queue_settings: AtelierSettings, tmp_path: Path
) -> None:
    settings = queue_settings
    worker_redis_url = settings.redis_url or ""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    pool = await create_pool(RedisSettings.from_dsn(worker_redis_url))
    try:
        assert await enqueue_reflection(pool, reflection_id)
        assert not await enqueue_reflection(pool, reflection_id)  # one job per reflection id
    finally:
        await pool.aclose()

    with ScriptedOpenAIServer(default_action=Hang()) as server:
        env = {
            **os.environ,
            "ATELIER_HOME": str(tmp_path / "worker-home"),
            "DATABASE_URL": settings.database_url or "",
            "REDIS_URL": worker_redis_url,
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "test-key",
            "ATELIER_REFLECTION_DEADLINE_SECONDS": str(LEASE_SECONDS),
            "ATELIER_PROMPT_EMBEDDINGS": "false",
            "HF_HUB_OFFLINE": "1",
        }
        worker = subprocess.Popen(  # noqa: ASYNC220 - a real worker process, killed below
            [str(Path(sys.executable).parent / "atelier"), "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            try:
                await asyncio.to_thread(server.wait_for_requests, 1, 60.0)
            except TimeoutError:
                worker.kill()
                _, stderr = worker.communicate(timeout=10)
                pytest.fail(f"the worker never called the model; its stderr:\n{stderr.decode()[-3000:]}")
            await _wait_for_state(session_factory, reflection_id, "running", 10)
            killed_at = datetime.now(UTC)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert worker.returncode == -signal.SIGKILL

    row = await reflection_row(session_factory, reflection_id)
    assert row.state == "running" and row.lease_expires_at is not None
    account = await account_state(session_factory, user_id)
    assert account["held"] == row.cost and account["captures"] == 0

    before_lease = await sweep(
        session_factory, enqueue=None, key_retention=timedelta(hours=48), now=killed_at
    )
    assert before_lease.failed_running == 0
    after_lease = row.lease_expires_at + timedelta(seconds=1)
    report = await sweep(session_factory, enqueue=None, key_retention=timedelta(hours=48), now=after_lease)
    assert report.failed_running == 1

    row = await reflection_row(session_factory, reflection_id)
    assert row.state == "failed" and row.charged == 0 and row.failure_reason
    assert await account_state(session_factory, user_id) == {
        "balance": GRANT,
        "held": 0,
        "captures": 0,
        "entries_sum": 0,
        "holds": ["voided"],
    }
    # arq delivers the job again after the dead worker's in-progress marker expires: it is a no-op
    assert (
        await run_reflection(session_factory, reflection_id, OfflineCurator(), run_settings(settings))
        == "skipped"
    )
    assert (await account_state(session_factory, user_id))["captures"] == 0
