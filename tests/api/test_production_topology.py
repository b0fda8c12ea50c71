"""The production topology as real processes: two ``atelier serve`` (``ATELIER_EMBED_WORKER=false``) and
two ``atelier worker`` on one PostgreSQL and one Redis (the test run's embedded servers, reached through
``DATABASE_URL`` / ``REDIS_URL``, ``ATELIER_REQUIRE_SERVICES=true``), all four sharing one
``ATELIER_HOME``.

1,000 generated images are imported in three ``atelier import --background-thumbnails`` runs while
corrections (``splitSession``, ``relabelSession``) go to both APIs; one worker is killed with SIGKILL
while jobs are in progress and started again. Then: every timed asset is in exactly one session,
every thumbnail exists within a minute of the restart, no job failed (deadlocks, if any, were
retried), both APIs answer the same query identically, and a thumbnail URL signed by one API is
served by the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from sqlalchemy import func, select

from bench.import_library import write_import_library
from catalog.database import SessionFactory
from catalog.embedded_servers import ServiceUrls
from catalog.models import Asset, Session
from tests.api.conftest import free_port, make_user_with_token

pytestmark = [pytest.mark.topology, pytest.mark.slow, pytest.mark.timeout(300)]  # ~20 s: `make fuzz`

ATELIER = Path(sys.executable).with_name("atelier")
IMAGES = 1_000
IMPORT_CHUNKS = 3
TOPOLOGY_REDIS_DB = 11
HEAL_WITHIN_SECONDS = 60
USER = "artist"

SESSIONS = """query($first: Int!) { viewer { sessions(first: $first) { edges { node {
  id label labelPinned assetCount startedAt
  assets(first: 3) { edges { node { id thumbnailUrl } } }
} } } } }"""
SPLIT = """mutation($s: ID!, $a: ID!) { splitSession(sessionId: $s, atAssetId: $a) {
  __typename ... on CorrectionApplied { sessions { id } } ... on NotFound { message }
  ... on InvalidCorrection { message } } }"""
RELABEL = """mutation($s: ID!, $label: String) { relabelSession(sessionId: $s, label: $label) {
  __typename ... on CorrectionApplied { sessions { id } } ... on NotFound { message }
  ... on InvalidCorrection { message } } }"""


@dataclass
class Topology:
    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _log_files: list[IO[bytes]] = field(default_factory=list)

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        self._log_files.append(log)
        process = subprocess.Popen([str(ATELIER), *args], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def log_of(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self._log_files:
            log.close()


@pytest.fixture
def topology_redis_url(service_urls: ServiceUrls) -> Iterator[str]:
    url = f"{service_urls.redis_url}?db={TOPOLOGY_REDIS_DB}"
    _flush(service_urls.redis_url)
    yield url
    _flush(service_urls.redis_url)


def _flush(redis_url: str) -> None:
    import redis as sync_redis

    client = sync_redis.Redis(unix_socket_path=redis_url.removeprefix("unix://"), db=TOPOLOGY_REDIS_DB)
    client.flushdb()
    client.close()


@pytest.fixture
def topology(database_url: str, topology_redis_url: str, tmp_path: Path) -> Iterator[Topology]:
    home = tmp_path / "shared-home"
    home.mkdir()
    logs = tmp_path / "logs"
    logs.mkdir()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "REDIS_URL": topology_redis_url,
        "ATELIER_HOME": str(home),
        "ATELIER_SECRET_KEY": "topology-test-shared-secret-" + "0" * 36,
        "ATELIER_REQUIRE_SERVICES": "true",
        "ATELIER_EMBED_WORKER": "false",
        "ATELIER_PROMPT_EMBEDDINGS": "false",
        "HF_HUB_OFFLINE": "1",
        "COLUMNS": "200",
    }
    running = Topology(env=env, logs=logs)
    try:
        yield running
    finally:
        running.stop_all()


async def _wait_healthy(http: httpx.AsyncClient, base: str, process: subprocess.Popen[bytes]) -> None:
    give_up = time.monotonic() + 90
    while time.monotonic() < give_up:
        assert process.poll() is None, f"{base} exited with {process.returncode}"
        with contextlib.suppress(httpx.TransportError):
            if (await http.get(f"{base}/healthz")).status_code == 200:
                return
        await asyncio.sleep(0.2)
    pytest.fail(f"{base} never became healthy")


async def _run_import(env: dict[str, str], folder: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        str(ATELIER),
        "import",
        str(folder),
        "--user",
        USER,
        "--background-thumbnails",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=180)
    assert process.returncode == 0, stderr.decode()[-3000:]


async def _graphql(http: httpx.AsyncClient, base: str, token: str, document: str, **variables: Any) -> Any:
    response = await http.post(
        f"{base}/graphql",
        json={"query": document, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


@dataclass
class CorrectionTally:
    applied: int = 0
    refused: int = 0
    by_api: dict[str, int] = field(default_factory=dict)


async def _send_corrections(
    http: httpx.AsyncClient, bases: list[str], token: str, stop: asyncio.Event, tally: CorrectionTally
) -> None:
    """Alternate between the APIs: list sessions, then split one at its second image or relabel it."""
    rng = random.Random(13)
    turn = 0
    while not stop.is_set():
        base = bases[turn % len(bases)]
        turn += 1
        edges = (await _graphql(http, base, token, SESSIONS, first=50))["viewer"]["sessions"]["edges"]
        # the count and the asset page are read by separate statements while workers re-cluster, so
        # judge by the page itself: a session may have changed between the two reads
        candidates = [edge["node"] for edge in edges if len(edge["node"]["assets"]["edges"]) >= 2]
        if not candidates:
            await asyncio.sleep(0.2)
            continue
        target = rng.choice(candidates)
        if turn % 2:
            second = target["assets"]["edges"][1]["node"]["id"]
            data = await _graphql(http, base, token, SPLIT, s=target["id"], a=second)
            outcome = data["splitSession"]["__typename"]
        else:
            data = await _graphql(http, base, token, RELABEL, s=target["id"], label=f"corrected {turn}")
            outcome = data["relabelSession"]["__typename"]
        # a session re-clustered away between the read and the correction is a typed refusal, not an error
        if outcome == "CorrectionApplied":
            tally.applied += 1
            tally.by_api[base] = tally.by_api.get(base, 0) + 1
        else:
            tally.refused += 1
        await asyncio.sleep(0.05)


async def _missing_thumbnails(factory: SessionFactory) -> int:
    async with factory() as db:
        return int(
            await db.scalar(
                select(func.count()).where(Asset.file_path.is_not(None), Asset.thumbnail_sha256.is_(None))
            )
            or 0
        )


@contextlib.asynccontextmanager
async def _corrections_running(
    http: httpx.AsyncClient, bases: list[str], token: str, tally: CorrectionTally
) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(_send_corrections(http, bases, token, stop, tally))
    try:
        yield
    finally:
        stop.set()
        await task  # re-raises a failed correction (an error answer or a 500)


async def test_two_apis_two_workers_survive_a_killed_worker(
    topology: Topology, session_factory: SessionFactory, tmp_path: Path
) -> None:
    library = write_import_library(tmp_path / "library", IMAGES)
    folders = sorted({path.parent for path in library.paths})
    chunks = [folders[index::IMPORT_CHUNKS] for index in range(IMPORT_CHUNKS)]
    assert len(library.paths) == IMAGES and all(chunks)
    token = await make_user_with_token(session_factory, USER)

    ports = [free_port(), free_port()]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    apis = [topology.start(f"api{n}", "serve", "--port", str(port)) for n, port in enumerate(ports)]
    topology.start("worker-a", "worker")
    topology.start("worker-b", "worker")

    tally = CorrectionTally()
    async with httpx.AsyncClient(timeout=60) as http:
        await asyncio.gather(*(_wait_healthy(http, base, api) for base, api in zip(bases, apis, strict=True)))

        for folder in chunks[0]:
            await _run_import(topology.env, folder)
        async with _corrections_running(http, bases, token, tally):
            second_import = asyncio.create_task(_import_all(topology.env, chunks[1]))
            # SIGKILL worker A while it has a job in hand (its log shows a job started and not ended)
            give_up = time.monotonic() + 90
            while not _has_job_in_hand(topology.log_of("worker-a")):
                assert time.monotonic() < give_up, "worker A never had a job in hand"
                await asyncio.sleep(0.02)
            killed = topology.processes["worker-a"]
            killed.send_signal(signal.SIGKILL)
            killed.wait(timeout=10)
            await second_import
            for folder in chunks[2]:
                await _run_import(topology.env, folder)
            topology.start("worker-a", "worker")
            restarted_at = time.monotonic()
            while await _missing_thumbnails(session_factory):
                assert time.monotonic() - restarted_at < HEAL_WITHIN_SECONDS, (
                    f"{await _missing_thumbnails(session_factory)} thumbnails still missing "
                    f"{HEAL_WITHIN_SECONDS} s after the worker restarted"
                )
                await asyncio.sleep(0.5)
        assert killed.returncode == -signal.SIGKILL

        # every timed asset in exactly one session; every session's count matches its members (one
        # snapshot: a re-clustering may still be committing)
        async with session_factory() as db:
            await db.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            assets = await db.scalar(select(func.count()).select_from(Asset))
            unclustered = await db.scalar(
                select(func.count()).where(Asset.created_at.is_not(None), Asset.session_id.is_(None))
            )
            members = dict(
                (await db.execute(select(Asset.session_id, func.count()).group_by(Asset.session_id))).all()
            )
            counts = dict((await db.execute(select(Session.id, Session.asset_count))).all())
        assert assets == IMAGES
        assert unclustered == 0
        assert {session_id: members.get(session_id, 0) for session_id in counts} == counts
        assert set(members) - {None} == set(counts)

        # no job failed: deadlocks and lost connections, if any, were retried
        for name in ("worker-a", "worker-b"):
            log = topology.log_of(name)
            assert " failed, " not in log and "retries exceeded" not in log, log[-4000:]
            assert "Traceback" not in log, log[-4000:]
        for name in ("api0", "api1"):
            assert "Traceback" not in topology.log_of(name), topology.log_of(name)[-4000:]
        assert tally.applied > 0 and set(tally.by_api) == set(bases), tally

        # both replicas answer the same query identically: B's answer equals A's whenever A's did not
        # change around it (a last job may still be writing; a later round then sees it settled)
        for _ in range(60):
            before = await _graphql(http, bases[0], token, SESSIONS, first=100)
            second = await _graphql(http, bases[1], token, SESSIONS, first=100)
            after = await _graphql(http, bases[0], token, SESSIONS, first=100)
            if before == after:
                break
            await asyncio.sleep(0.5)
        assert before == after, "the library never stopped changing"
        assert second == before
        first = before
        sessions = first["viewer"]["sessions"]["edges"]
        assert sessions

        # a thumbnail URL signed by one replica is served by the other
        url = sessions[0]["node"]["assets"]["edges"][0]["node"]["thumbnailUrl"]
        assert url is not None
        served = await http.get(f"{bases[1]}{url}")
        assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
        assert served.content[:4] == b"RIFF"


async def _import_all(env: dict[str, str], folders: list[Path]) -> None:
    for folder in folders:
        await _run_import(env, folder)


def _has_job_in_hand(log: str) -> bool:
    """arq logs ``→ job(…)`` when a job starts and ``←`` (done), ``↻`` (retry) or ``!`` (failed) when
    it ends."""
    started = log.count(" → ")
    ended = log.count(" ← ") + log.count(" ↻ ") + log.count(" ! ")
    return started > ended
