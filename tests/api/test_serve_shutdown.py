"""``atelier serve`` over real HTTP: probes, metrics, JSON logs, and SIGTERM while a request and a job
are in hand — both finish before the process exits (issue 10, item 16)."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import httpx
import pytest
from arq import create_pool
from arq.connections import RedisSettings
from arq.jobs import Job, JobStatus
from sqlalchemy import select

from bench.recluster_bench import one_artist_history
from catalog.database import SessionFactory
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.models import User
from catalog.settings import AtelierSettings
from engine.record_codec import record_to_json
from tests.api.conftest import atelier_env, free_port, make_user_with_token, start_serve, until_healthy

JOB_ID = "recluster:shutdown-test"


@pytest.mark.slow  # ~20 s of real processes: `make fuzz`
async def test_sigterm_finishes_the_request_and_the_job_in_hand(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    library = tmp_path / "library.jsonl"
    # the job must outlast the request's drain (~1 s after the SIGTERM): re-clustering 3,000 records
    # took 0.86 s on a fast machine and ended first; 10,000 take several seconds anywhere
    library.write_text("".join(json.dumps(record_to_json(r)) + "\n" for r in one_artist_history(10_000)))
    await import_paths(
        session_factory, queue_settings, user_handle="artist", paths=[library], thumbnails=ThumbnailMode.SKIP
    )
    token = await make_user_with_token(session_factory, "artist")
    async with session_factory() as db:
        user_id = await db.scalar(select(User.id).where(User.handle == "artist"))

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = atelier_env(queue_settings, ATELIER_PROMPT_EMBEDDINGS="false")
    process = await start_serve(env, port)
    assert process.stderr is not None and queue_settings.redis_url is not None
    stderr = asyncio.create_task(process.stderr.read())
    pool = await create_pool(RedisSettings.from_dsn(queue_settings.redis_url))
    try:
        await until_healthy(base_url, process)
        async with httpx.AsyncClient(base_url=base_url) as http:
            ready = await http.get("/readyz", headers={"X-Request-ID": "probe-1"})
            assert ready.status_code == 200 and ready.headers["x-request-id"] == "probe-1"
            assert "atelier_graphql_request_duration_seconds" in (await http.get("/metrics")).text

        job = await pool.enqueue_job("recluster_user_job", str(user_id), _job_id=JOB_ID)
        assert job is not None
        while True:  # the test timeout bounds this
            if await job.status() is JobStatus.in_progress:
                break
            await asyncio.sleep(0.05)

        # a request in flight: headers and half the body sent, the rest only after the SIGTERM
        body = json.dumps({"query": "query Who { viewer { handle } }"}).encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /graphql HTTP/1.1\r\nHost: atelier\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {token}\r\nX-Request-ID: in-flight\r\n".encode()
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        await writer.drain()
        await asyncio.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)
        assert process.returncode is None
        writer.write(body[10:])
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), timeout=30)  # the server closes after it
        writer.close()
        head, _, payload = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), response
        assert b"x-request-id: in-flight" in head.lower()
        assert json.loads(payload)["data"] == {"viewer": {"handle": "artist"}}

        assert await asyncio.wait_for(process.wait(), timeout=90) == 128 + signal.SIGTERM
        # the job keeps no result (re-runnable id): its completion is in arq's log line, and it is
        # no longer queued (a cancelled job would be left queued to run again)
        assert await Job(JOB_ID, pool).status() is JobStatus.not_found
    finally:
        await pool.aclose()
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = (await stderr).decode()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    requests = {line.get("request_id"): line for line in lines if line["message"] == "request"}
    assert requests["in-flight"]["status"] == 200 and requests["in-flight"]["operation"] == "Who"
    assert any(line["message"] == "waiting for jobs in hand" for line in lines), log
    finished = [line["message"] for line in lines if f"{JOB_ID}:recluster_user_job" in line["message"]]
    assert any("←" in message and "●" in message for message in finished), finished  # done, result shown
    assert not any("cancelled" in message for message in finished), finished
    assert "Traceback" not in log, log
