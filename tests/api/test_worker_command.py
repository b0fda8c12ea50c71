"""``atelier worker`` as its own process: it starts (the arq Worker is built inside the running loop),
reports health for ``atelier worker --check`` and arq's own ``--check`` on the same settings class,
runs queued jobs, and on SIGTERM finishes the job in hand before it exits cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from sqlalchemy import func, select

from bench.import_library import write_import_library
from catalog.database import SessionFactory
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.models import Asset
from catalog.settings import AtelierSettings
from tests.api.conftest import atelier_env

BIN = Path(sys.executable).parent
IMAGES = 200


def _env(settings: AtelierSettings) -> dict[str, str]:
    return atelier_env(settings, ATELIER_PROMPT_EMBEDDINGS="false")


def _check(settings: AtelierSettings, *command: str) -> int:
    return subprocess.run(list(command), env=_env(settings), capture_output=True, check=False).returncode


def _read(log: Path) -> str:
    return log.read_text(errors="replace")


async def _wait_for_log(log: Path, text: str, process: subprocess.Popen[bytes], within: float) -> None:
    give_up = time.monotonic() + within
    while text not in _read(log):
        assert process.poll() is None, f"the worker exited ({process.returncode}):\n{_read(log)[-3000:]}"
        assert time.monotonic() < give_up, f"{text!r} never logged:\n{_read(log)[-3000:]}"
        await asyncio.sleep(0.02)


async def test_worker_process_checks_runs_jobs_and_stops_gracefully(
    session_factory: SessionFactory, queue_settings: AtelierSettings, tmp_path: Path
) -> None:
    settings = queue_settings
    assert _check(settings, str(BIN / "atelier"), "worker", "--check") == 1  # no worker yet

    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(  # noqa: ASYNC220 - a real worker process, stopped below
            [str(BIN / "atelier"), "worker"], env=_env(settings), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        await _wait_for_log(log, "cron:heal_owed_work ●", worker, within=90)  # started, healed at start-up
        assert _check(settings, str(BIN / "atelier"), "worker", "--check") == 0
        assert _check(settings, str(BIN / "arq"), "--check", "api.worker_settings.WorkerSettings") == 0

        write_import_library(tmp_path / "images", IMAGES)
        await import_paths(
            session_factory,
            settings,
            user_handle="ada",
            paths=[tmp_path / "images"],
            thumbnails=ThumbnailMode.SKIP,
        )
        async with session_factory() as db:
            owner, asset_ids = None, []
            for user_id, asset_id in (await db.execute(select(Asset.user_id, Asset.id))).all():
                owner = user_id
                asset_ids.append(str(asset_id))
        assert isinstance(owner, uuid.UUID) and len(asset_ids) == IMAGES
        pool = await create_pool(RedisSettings.from_dsn(settings.redis_url or ""))
        try:  # one job for all of them: a few seconds of work to be in hand at SIGTERM
            await pool.enqueue_job("make_thumbnails", str(owner), asset_ids, _job_id="one-big-batch")
        finally:
            await pool.aclose()
        await _wait_for_log(log, "→ one-big-batch:make_thumbnails", worker, within=60)
        worker.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(worker.wait, 60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    text = _read(log)
    assert code == 0, text[-3000:]
    assert "shutdown on SIGTERM" in text
    assert "← one-big-batch:make_thumbnails ●" in text  # finished, not cancelled
    async with session_factory() as db:
        missing = await db.scalar(select(func.count()).where(Asset.thumbnail_sha256.is_(None)))
    assert missing == 0
    assert _check(settings, str(BIN / "atelier"), "worker", "--check") == 1  # its health key went with it


def test_production_mode_needs_a_secret_key(tmp_path: Path) -> None:
    env = os.environ | {
        "ATELIER_HOME": str(tmp_path),
        "ATELIER_REQUIRE_SERVICES": "true",
        "DATABASE_URL": "postgresql://db.invalid/atelier",
        "REDIS_URL": "redis://cache.invalid:6379/0",
    }
    env.pop("ATELIER_SECRET_KEY", None)
    result = subprocess.run(
        [str(BIN / "atelier"), "worker"], env=env, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 1
    assert "ATELIER_SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("environment", "said"),
    [
        ({"REDIS_URL": "redis://cache.invalid:6379/0"}, "error: arq's CLI needs DATABASE_URL and REDIS_URL"),
        (
            {"REDIS_URL": "redis://cache.invalid:6379/0", "DATABASE_URL": "x", "ATELIER_PORT": "99999"},
            "error: ATELIER_PORT: Input should be less than or equal to 65535",
        ),
    ],
    ids=["no-database-url", "bad-setting"],
)
def test_arqs_own_command_says_what_it_needs_in_one_line(
    tmp_path: Path, environment: dict[str, str], said: str
) -> None:
    """It answered with a Python traceback (a README tour probe: the README said it needs only REDIS_URL)."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [str(BIN / "arq"), "--check", "api.worker_settings.WorkerSettings"],
        env=env | {"ATELIER_HOME": str(tmp_path)} | environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1
    assert said in result.stderr and "Traceback" not in result.stderr


def test_check_finds_the_embedded_redis_of_its_home(settings: AtelierSettings, tmp_path: Path) -> None:
    """Under ``make run`` nothing sets REDIS_URL: ``--check`` refused ("needs REDIS_URL") although the
    workers' Redis was running on the home's socket. It now checks that one, and says when none runs."""
    from arq.constants import default_queue_name, health_check_key_suffix

    from catalog.embedded_servers import EmbeddedRedis

    home = tmp_path / "home"
    env = atelier_env(settings, REDIS_URL="", ATELIER_HOME=str(home))

    def check() -> subprocess.CompletedProcess[str]:
        command = [str(BIN / "atelier"), "worker", "--check"]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=False)

    none_running = check()
    assert none_running.returncode == 1
    assert "no embedded Redis running" in none_running.stdout + none_running.stderr

    redis_server = EmbeddedRedis(home / "redis")
    url = redis_server.start()
    try:
        quiet = check()
        assert quiet.returncode == 1 and "error" not in quiet.stdout + quiet.stderr  # no worker reported yet
        import redis

        client = redis.Redis.from_url(url)
        client.set(default_queue_name + health_check_key_suffix, b"j_complete=0", ex=30)  # as a worker does
        client.close()
        assert check().returncode == 0
    finally:
        redis_server.release()
