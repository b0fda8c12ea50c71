"""``atelier serve --workers 2`` over real HTTP: two worker processes answer on one port, the job worker
runs once (in the parent), and SIGTERM stops every process cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from catalog.database import SessionFactory
from catalog.settings import AtelierSettings
from tests.api.conftest import (
    atelier_env,
    free_port,
    make_user_with_token,
    start_serve,
    until_healthy,
)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False


@contextlib.asynccontextmanager
async def _serving_two_workers(
    env: dict[str, str], port: int
) -> AsyncIterator[tuple[asyncio.subprocess.Process, list[dict[str, object]]]]:
    """``atelier serve --workers 2`` and the JSON log lines of its stderr as they come. A block that
    ends normally then sends SIGTERM, which must stop the server cleanly; in any case the process is
    gone (killed if need be) and every line read when the block is left."""
    process = await start_serve(env, port, "--workers", "2")
    assert process.stderr is not None
    stderr = process.stderr
    lines: list[dict[str, object]] = []

    async def collect() -> None:
        async for raw in stderr:
            if raw.startswith(b"{"):
                lines.append(json.loads(raw))

    collector = asyncio.create_task(collect())
    try:
        yield process, lines
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=90) in (0, 128 + signal.SIGTERM)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.wait_for(collector, timeout=10)


async def test_two_workers_answer_and_sigterm_stops_them_all(
    queue_settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "artist")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = atelier_env(queue_settings, ATELIER_PROMPT_EMBEDDINGS="false")
    env.pop("ATELIER_SECRET_KEY", None)  # the parent makes one key for both workers
    workers: list[int] = []
    async with _serving_two_workers(env, port) as (process, lines):
        await until_healthy(base_url, process)
        # both listen before any is asked: one healthy answer says only that the first worker is up,
        # and with a socket each (SO_REUSEPORT) a worker not yet listening is never handed a connection
        workers = await _workers_listening(process, port, 2)

        async def ask() -> None:  # a connection of its own, so the kernel may hand it to either worker
            async with httpx.AsyncClient(base_url=base_url) as http:
                response = await http.post(
                    "/graphql",
                    json={"query": "{ viewer { handle } }"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert response.json()["data"] == {"viewer": {"handle": "artist"}}

        answered: set[object] = set()
        for _ in range(30):  # bounded: concurrent connections reach both workers within a few rounds
            await asyncio.gather(*(ask() for _ in range(16)))
            await asyncio.sleep(0.1)
            answered = {line["pid"] for line in lines if line["message"] == "request"}
            if len(answered) == 2:
                break
        assert answered == set(workers), (answered, workers)
    assert not any(_is_worker(pid) for pid in workers)  # gone (or reaped): no worker left behind
    started_job_workers = [line for line in lines if str(line["message"]).startswith("Starting worker for")]
    assert len(started_job_workers) == 1, started_job_workers  # arq runs once, in the parent
    assert {line["pid"] for line in started_job_workers} == {process.pid}
    assert not any("Traceback" in json.dumps(line) for line in lines), lines


@pytest.mark.parametrize("when", ["serving", "starting"])
async def test_workers_stop_when_the_parent_is_killed(
    queue_settings: AtelierSettings, session_factory: SessionFactory, when: str
) -> None:
    """SIGKILL gives the parent no chance to stop its workers: the kernel must (parent-death signal),
    also for a worker still starting up when the parent dies (it is re-parented before it can ask)."""
    port = free_port()
    env = atelier_env(queue_settings, ATELIER_PROMPT_EMBEDDINGS="false")
    process = await start_serve(env, port, "--workers", "2", stderr=asyncio.subprocess.DEVNULL)
    workers: list[int] = []
    try:
        if when == "serving":
            await until_healthy(f"http://127.0.0.1:{port}", process)
        for _ in range(600):  # bounded: the parent starts its servers, migrates, then spawns both
            workers = [child for child in _children(process.pid) if _is_worker(child)]
            if len(workers) == 2 or process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        assert len(workers) == 2, workers
        process.kill()
        await process.wait()
        for _ in range(300):  # bounded: the signal is immediate, the workers' shutdown takes a moment
            if not any(_is_alive(pid) for pid in workers):
                break
            await asyncio.sleep(0.1)
        assert not any(_is_alive(pid) for pid in workers), workers
    finally:
        for pid in workers:
            if _is_alive(pid):
                os.kill(pid, signal.SIGKILL)


def _is_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _listening_inodes(port: int) -> set[int]:
    """Inodes of the TCP sockets listening on ``port`` (any address), from ``/proc/net/tcp*``."""
    inodes: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(int(fields[9]))
    return inodes


def _socket_inodes(pid: int) -> set[int]:
    inodes: set[int] = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def _listeners_by_pid(port: int, pids: list[int]) -> dict[int, set[int]]:
    listening = _listening_inodes(port)
    return {pid: _socket_inodes(pid) & listening for pid in pids}


LISTEN_DEADLINE_SECONDS = 60.0
"""How long a worker may take to start listening (imports, the app's start-up) before a test fails."""


async def _workers_listening(
    process: asyncio.subprocess.Process, port: int, count: int, *, killed: int | None = None
) -> list[int]:
    """The worker pids once ``count`` of them each listen on ``port`` (bounded wait:
    :data:`LISTEN_DEADLINE_SECONDS`, in time rather than in polls, since a loaded machine makes both a
    worker's start and each poll of ``/proc`` slower); ``killed``: a worker just killed, which still
    shows (with its socket) until the kernel and the supervisor are done with it, so it must be gone
    first."""
    workers: list[int] = []
    deadline = time.monotonic() + LISTEN_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        workers = [child for child in _children(process.pid) if _is_worker(child)]
        if killed in workers:
            await asyncio.sleep(0.05)
            continue
        if len(workers) == count and all(_listeners_by_pid(port, workers).values()):
            return workers
        await asyncio.sleep(0.05)
    raise AssertionError(f"workers {workers} never all listened on {port}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT balances on Linux only")
@pytest.mark.slow  # ~12 s of load on real workers: `make fuzz`
async def test_keep_alive_connections_are_spread_over_the_workers(
    queue_settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    """Each worker listens on a socket of its own (SO_REUSEPORT), so 20 keep-alive connections opened
    one after another are spread by the kernel. With one shared socket, the first worker to wake took
    every waiting connection: 20/0 in one run of four (the other worker idle); and a worker that dies
    is replaced by one that listens again."""
    token = await make_user_with_token(session_factory, "artist")
    port = free_port()
    env = atelier_env(queue_settings, ATELIER_PROMPT_EMBEDDINGS="false")
    async with _serving_two_workers(env, port) as (process, lines):
        await until_healthy(f"http://127.0.0.1:{port}", process)
        workers = await _workers_listening(process, port, 2)
        listeners = _listeners_by_pid(port, [process.pid, *workers])
        assert not listeners[process.pid]  # the parent holds the port without taking connections
        assert len(listeners[workers[0]]) == len(listeners[workers[1]]) == 1
        assert listeners[workers[0]] != listeners[workers[1]]

        clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") for _ in range(20)]
        try:
            for number, client in enumerate(clients):  # one after another, each kept alive
                response = await client.post(
                    "/graphql",
                    json={"query": "{ viewer { handle } }"},
                    headers={"Authorization": f"Bearer {token}", "X-Request-ID": f"connection-{number}"},
                )
                assert response.json()["data"] == {"viewer": {"handle": "artist"}}
        finally:
            for client in clients:
                await client.aclose()
        for _ in range(100):  # bounded: the request lines reach stderr just after the responses
            served_by = {
                line["request_id"]: line["pid"]
                for line in lines
                if line["message"] == "request" and str(line.get("request_id", "")).startswith("connection-")
            }
            if len(served_by) == 20:
                break
            await asyncio.sleep(0.05)
        counts = [list(served_by.values()).count(pid) for pid in workers]
        # a hash of each connection's ports picks its worker: fewer than 2 of 20 on one worker has a
        # chance of 2 · 21 / 2^20 (0.004 %)
        assert sum(counts) == 20 and min(counts) >= 2, counts

        os.kill(workers[0], signal.SIGKILL)  # uvicorn's supervisor replaces it; the new one listens too
        await _workers_listening(process, port, 2, killed=workers[0])  # raises if none replaces it
        assert len(_listening_inodes(port)) == 2
    assert not any("Traceback" in json.dumps(line) for line in lines), lines
