"""GraphQL API speed: three pages on a 200,000-asset library against the same rows by raw SQL, and the
throughput of the demo's sessions page under 20 concurrent clients.

Targets (issue 9, "Speed"): every page within 3× its raw SQL and ≤ 12 ms p50; ≥ 100 req/s per process
and p99 ≤ 100 ms at 20 clients.

The library is built once and kept under ``bench/out/api_bench_home`` (or ``ATELIER_BENCH_HOME``):
one artist's ``--assets`` simulated records imported through the real import path (JSONL, COPY, one
re-cluster; thumbnails skipped, then every asset given a thumbnail address and a 160-dimension visual
embedding by SQL, so the pages carry what a real library's do), and the demo library (~390 real PNGs
with thumbnails) for a second user. Later runs reuse it (``--rebuild`` starts over).

Each measurement runs ``atelier serve`` (``--workers N``) as a subprocess on loopback against that
database (embedded worker off, so nothing else competes for the CPU) and speaks plain HTTP/1.1 with
keep-alive to it from this process (a minimal client: httpx would cost more CPU than the server):

- latency: each page requested sequentially (warm-up first), p50 and p90; the same rows by raw SQL
  (asyncpg, the statements a hand-written page needs, run back to back on one connection) measured in
  the same run, and the ratio;
- load: ``--clients`` concurrent clients (one keep-alive connection each) for ``--seconds`` on the
  demo user's sessions page (20 cards, 9 thumbnails each, phases): requests per second, p50 and p99,
  once per ``--workers`` value.

Run: ``python -m bench.api_bench [--assets 200000] [--workers 1,2] [--compare ../main]``
(``--compare``: another checkout's ``atelier serve``, measured first in the same run, as a before).
Writes ``bench/out/api_bench.md``.
The machine may be shared: compare ratios within one run rather than absolute times across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, select, text

import api
from bench.recluster_bench import one_artist_history
from catalog.accounts import service as accounts
from catalog.database import create_database_engine, create_session_factory, unit_of_work
from catalog.embedded_servers import EmbeddedServers
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.migration_runner import upgrade_async
from catalog.models import Asset, Session, User
from catalog.settings import AtelierSettings
from engine.record_codec import record_to_json

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = Path(api.__file__).resolve().parent.parent
"""The checkout whose ``api`` this run imports; ``atelier serve`` runs from it too (a baseline can run
this script against another checkout with ``PYTHONPATH=<checkout>``)."""
OUT = BENCH_DIR / "out" / "api_bench.md"
BIG_USER = "library"
DEMO_USER = "demo"
VISUAL_DIMS = 160
SECRET_KEY = "api-bench-" + "0" * 54

SESSIONS_PAGE = """query SessionsPage($after: String) { viewer { sessions(first: 20, after: $after) {
  edges { cursor node { id label intent startedAt endedAt assetCount tool
    thumbnails { assetId url } phases { id intent label startedAt endedAt assetCount } } }
  pageInfo { hasNextPage endCursor } } } }"""
CURSOR_WALK = """query Walk($after: String) { viewer { sessions(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor } } } }"""
ASSETS_PAGE = """query SessionAssets($id: ID!) { session(id: $id) { assets(first: 100) {
  edges { cursor node { id tool fileName createdAt prompt negativePrompt seed cfgScale steps sampler
    model loras { name weight } width height thumbnailUrl parent { parentId kind confidence } } }
  pageInfo { hasNextPage endCursor } } } }"""

_STREAM_ORDER = "created_at, coalesce(file_counter, -4611686018427387904), coalesce(file_name, ''), id"
RAW_SESSIONS = (
    "SELECT id, label, intent, started_at, ended_at, asset_count, tool FROM sessions WHERE user_id = $1 "
    "ORDER BY started_at DESC, id DESC LIMIT 21"
)
RAW_SESSIONS_AFTER = (
    "SELECT id, label, intent, started_at, ended_at, asset_count, tool FROM sessions WHERE user_id = $1 "
    "AND (started_at, id) < ($2, $3) ORDER BY started_at DESC, id DESC LIMIT 21"
)
RAW_THUMBNAILS = (
    "SELECT session_id, id, thumbnail_sha256 FROM (SELECT session_id, id, thumbnail_sha256, "
    f"row_number() OVER (PARTITION BY session_id ORDER BY {_STREAM_ORDER}) AS position FROM assets "
    "WHERE user_id = $1 AND session_id = ANY($2::uuid[]) AND thumbnail_sha256 IS NOT NULL) ranked "
    "WHERE position <= 9 ORDER BY session_id, position"
)
RAW_PHASES = (
    "SELECT p.session_id, p.id, p.intent, p.label, p.started_at, p.ended_at, p.asset_count FROM phases p "
    "JOIN sessions s ON s.id = p.session_id WHERE s.user_id = $1 AND p.session_id = ANY($2::uuid[]) "
    "ORDER BY p.session_id, p.ordinal"
)
RAW_SESSION = "SELECT id FROM sessions WHERE user_id = $1 AND id = $2"
RAW_ASSETS = (
    "SELECT id, tool, file_name, created_at, file_counter, prompt, negative_prompt, seed, cfg_scale, "
    "steps, sampler, model, loras, width, height, thumbnail_sha256 FROM assets "
    f"WHERE user_id = $1 AND session_id = $2 ORDER BY {_STREAM_ORDER} LIMIT 101"
)
RAW_PARENTS = (
    "SELECT child_asset_id, parent_asset_id, kind, confidence FROM lineage_edges "
    "WHERE user_id = $1 AND child_asset_id = ANY($2::uuid[])"
)


# --- the library ---------------------------------------------------------------------------------


@dataclass
class Library:
    big_user_id: uuid.UUID
    big_token: str
    demo_token: str
    assets: int
    sessions: int
    build_seconds: float | None
    """None when reused from an earlier run."""


async def prepare_library(database_url: str, home: Path, asset_count: int) -> Library:
    await upgrade_async(database_url)
    engine = create_database_engine(database_url, pool_size=2)
    factory = create_session_factory(engine)
    marker = home / "library.json"
    settings = AtelierSettings(home=home / "import", database_url=database_url, redis_url=None)
    try:
        built = json.loads(marker.read_text()) if marker.exists() else None
        build_seconds: float | None = None
        if built is None or built.get("requested") != asset_count:
            started = time.perf_counter()
            work = home / "work"
            work.mkdir(parents=True, exist_ok=True)
            history = work / "history.jsonl"
            with history.open("w") as out:
                for record in one_artist_history(asset_count):
                    out.write(json.dumps(record_to_json(record)) + "\n")
            await import_paths(
                factory, settings, user_handle=BIG_USER, paths=[history], thumbnails=ThumbnailMode.SKIP
            )
            async with unit_of_work(factory) as db:
                user_id = await db.scalar(select(User.id).where(User.handle == BIG_USER))
                await db.execute(
                    text(
                        "UPDATE assets SET thumbnail_sha256 = encode(sha256(id::text::bytea), 'hex'), "
                        "visual_embedding = (SELECT array_agg(random())::real[]::vector "
                        f"FROM generate_series(1, {VISUAL_DIMS})), visual_model = 'bench' "
                        "WHERE user_id = :user_id"
                    ),
                    {"user_id": user_id},
                )
            from catalog.demo_library import write_demo_library

            folder = work / "demo-library"
            write_demo_library(folder)
            await import_paths(factory, settings, user_handle=DEMO_USER, paths=[folder])
            async with unit_of_work(factory) as db:
                big = await accounts.issue_token(db, BIG_USER, name="api bench")
                demo = await accounts.issue_token(db, DEMO_USER, name="api bench")
            async with engine.connect() as connection:
                await connection.execute(text("COMMIT"))
                await connection.execute(text("VACUUM ANALYZE"))
            built = {"requested": asset_count, "big_token": big.plaintext, "demo_token": demo.plaintext}
            marker.write_text(json.dumps(built))
            build_seconds = time.perf_counter() - started
        async with factory() as db:
            user_id = await db.scalar(select(User.id).where(User.handle == BIG_USER))
            assert user_id is not None
            assets = await db.scalar(select(func.count()).select_from(Asset).where(Asset.user_id == user_id))
            sessions = await db.scalar(
                select(func.count()).select_from(Session).where(Session.user_id == user_id)
            )
        return Library(
            big_user_id=user_id,
            big_token=built["big_token"],
            demo_token=built["demo_token"],
            assets=int(assets or 0),
            sessions=int(sessions or 0),
            build_seconds=build_seconds,
        )
    finally:
        await engine.dispose()


# --- a minimal HTTP/1.1 client --------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection posting GraphQL documents (Content-Length responses only)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, token: str) -> None:
        self._reader, self._writer, self._token = reader, writer, token

    @classmethod
    async def open(cls, port: int, token: str) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, token)

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> bytes:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        head = (
            "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {self._token}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self._writer.write(head + body)
        headers = await self._reader.readuntil(b"\r\n\r\n")
        status = int(headers.split(b" ", 2)[1])
        length = 0
        for line in headers.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        payload = await self._reader.readexactly(length)
        if status != 200 or b'"errors"' in payload:
            raise RuntimeError(f"HTTP {status}: {payload[:300]!r}")
        return payload

    async def close(self) -> None:
        self._writer.close()
        await self._writer.wait_closed()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """``atelier serve`` in a subprocess on loopback, against the bench's database and Redis."""

    def __init__(
        self, home: Path, database_url: str, redis_url: str, workers: int, checkout: Path = REPO_ROOT
    ) -> None:
        self.port = _free_port()
        serve_home = home / f"serve-{workers}-{checkout.name}"
        serve_home.mkdir(parents=True, exist_ok=True)
        env = os.environ | {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "ATELIER_HOME": str(serve_home),
            "ATELIER_EMBED_WORKER": "false",
            "ATELIER_SECRET_KEY": SECRET_KEY,
            # the bench's one token sends far more than a client's per-minute cost budget allows
            "ATELIER_API_COST_BUDGET": str(10**12),
            "PYTHONPATH": str(checkout),
        }
        command = [
            str(Path(sys.executable).with_name("atelier")),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        if workers != 1:
            command += ["--workers", str(workers)]
        self.log = (serve_home / "serve.log").open("wb")  # JSON lines: one per request
        self.process = subprocess.Popen(
            command, env=env, cwd=checkout, stdout=subprocess.DEVNULL, stderr=self.log
        )

    async def until_ready(self) -> None:
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"atelier serve exited with {self.process.returncode}")
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answer = await reader.read()
                writer.close()
                if answer.startswith(b"HTTP/1.1 200"):
                    return
            except OSError:
                pass
            await asyncio.sleep(0.2)
        raise RuntimeError("atelier serve did not answer /healthz in time")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server's processes (Linux ``/proc``): less
        sensitive than wall time to other work on a shared machine."""
        return _cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its live descendants."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_seconds(int(child)) for child in children)


# --- measurements --------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _timed(action: Callable[[], Awaitable[object]], repeats: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        await action()
    durations = []
    for _ in range(repeats):
        started = time.perf_counter()
        await action()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


@dataclass
class PageTiming:
    name: str
    api_ms: list[float]
    raw_ms: list[float]
    server_cpu_ms: float
    """The server's CPU time per request (mean)."""


async def measure_pages(
    server: Server, database_url: str, library: Library, repeats: int
) -> list[PageTiming]:
    client = await Connection.open(server.port, library.big_token)
    raw = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    user_id = library.big_user_id
    try:
        after: str | None = None
        for _ in range(10):  # 1,000 sessions: page 51 of 20 starts after them
            walked = json.loads(await client.post(CURSOR_WALK, {"after": after}))
            after = walked["data"]["viewer"]["sessions"]["pageInfo"]["endCursor"]
        thousandth = await raw.fetchrow(
            "SELECT started_at, id FROM sessions WHERE user_id = $1 ORDER BY started_at DESC, id DESC "
            "OFFSET 999 LIMIT 1",
            user_id,
        )
        largest = await raw.fetchval(
            "SELECT id FROM sessions WHERE user_id = $1 ORDER BY asset_count DESC LIMIT 1", user_id
        )
        session_gid = f"Session:{largest}"

        async def raw_sessions(after_row: asyncpg.Record | None) -> None:
            if after_row is None:
                rows = await raw.fetch(RAW_SESSIONS, user_id)
            else:
                rows = await raw.fetch(RAW_SESSIONS_AFTER, user_id, after_row[0], after_row[1])
            ids = [row["id"] for row in rows[:20]]
            await raw.fetch(RAW_THUMBNAILS, user_id, ids)
            await raw.fetch(RAW_PHASES, user_id, ids)

        async def raw_assets() -> None:
            await raw.fetchval(RAW_SESSION, user_id, largest)
            rows = await raw.fetch(RAW_ASSETS, user_id, largest)
            await raw.fetch(RAW_PARENTS, user_id, [row["id"] for row in rows[:100]])

        cases: list[tuple[str, Callable[[], Awaitable[object]], Callable[[], Awaitable[object]]]] = [
            (
                "sessions page: 20 cards with 9 thumbnails and phases",
                lambda: client.post(SESSIONS_PAGE),
                lambda: raw_sessions(None),
            ),
            (
                "page 51 by cursor",
                lambda: client.post(SESSIONS_PAGE, {"after": after}),
                lambda: raw_sessions(thousandth),
            ),
            (
                "100 assets of one session",
                lambda: client.post(ASSETS_PAGE, {"id": session_gid}),
                raw_assets,
            ),
        ]
        timings = []
        for name, api_call, raw_call in cases:
            # interleaved rounds, so a burst of load from elsewhere hits both sides alike
            api_ms: list[float] = []
            raw_ms: list[float] = []
            cpu = 0.0
            for _ in range(4):
                await _timed(api_call, 0, warmup=5)
                before = server.cpu_seconds()
                api_ms += await _timed(api_call, repeats // 4, warmup=0)
                cpu += server.cpu_seconds() - before
                raw_ms += await _timed(raw_call, repeats // 4, warmup=5)
            timings.append(PageTiming(name, api_ms, raw_ms, 1000 * cpu / len(api_ms)))
        return timings
    finally:
        await client.close()
        await raw.close()


@dataclass
class LoadResult:
    workers: int
    requests: int
    seconds: float
    latencies_ms: list[float]
    server_cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


async def measure_load(server: Server, token: str, clients: int, seconds: float, workers: int) -> LoadResult:
    connections = [await Connection.open(server.port, token) for _ in range(clients)]

    async def warm(connection: Connection) -> None:  # every worker's caches and pool, all at once:
        for _ in range(3):  # a connection idle past uvicorn's keep-alive (5 s) would be closed
            await connection.post(SESSIONS_PAGE)

    await asyncio.gather(*(warm(connection) for connection in connections))
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client(connection: Connection) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await connection.post(SESSIONS_PAGE)
            latencies.append((time.perf_counter() - started) * 1000)

    started, cpu = time.perf_counter(), server.cpu_seconds()
    await asyncio.gather(*(client(connection) for connection in connections))
    elapsed, cpu = time.perf_counter() - started, server.cpu_seconds() - cpu
    for connection in connections:
        await connection.close()
    return LoadResult(workers, len(latencies), elapsed, latencies, cpu)


# --- the run -------------------------------------------------------------------------------------


async def run(arguments: argparse.Namespace) -> str:
    home = arguments.home
    servers = EmbeddedServers(AtelierSettings(home=home, database_url=None, redis_url=None))
    urls = servers.start()
    try:
        library = await prepare_library(urls.database_url, home, arguments.assets)
        page_timings: list[PageTiming] = []
        loads: list[LoadResult] = []
        if arguments.compare is not None:  # another checkout first (e.g. main): a before in the same run
            server = Server(home, urls.database_url, urls.redis_url, 1, arguments.compare)
            try:
                await server.until_ready()
                before = await measure_pages(server, urls.database_url, library, arguments.repeats)
                page_timings += [
                    replace(page, name=f"{page.name} — `{arguments.compare.name}`") for page in before
                ]
                loads.append(
                    await measure_load(server, library.demo_token, arguments.clients, arguments.seconds, 0)
                )
            finally:
                server.stop()
        for workers in arguments.workers:
            server = Server(home, urls.database_url, urls.redis_url, workers)
            try:
                await server.until_ready()
                if workers == arguments.workers[0]:
                    page_timings += await measure_pages(server, urls.database_url, library, arguments.repeats)
                loads.append(
                    await measure_load(
                        server, library.demo_token, arguments.clients, arguments.seconds, workers
                    )
                )
            finally:
                server.stop()
    finally:
        servers.stop()
    return report(library, page_timings, loads, arguments)


def report(
    library: Library, pages: list[PageTiming], loads: list[LoadResult], arguments: argparse.Namespace
) -> str:
    built = (
        f"built in {library.build_seconds:.0f} s"
        if library.build_seconds is not None
        else "reused from an earlier run"
    )
    lines = [
        f"# GraphQL API speed — {library.assets:,} assets of one user, {library.sessions:,} sessions",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared), "
        f"Python {platform.python_version()}; embedded PostgreSQL 18. Library {built}. "
        f"Load average at the end: {os.getloadavg()[0]:.1f} (other work shares the cores). "
        "`atelier serve` on loopback, plain HTTP/1.1 keep-alive; "
        f"raw SQL by asyncpg in the same run ({arguments.repeats} requests each, interleaved).",
        "",
        "| request | GraphQL p50 | GraphQL p90 | server CPU per request | same rows by raw SQL p50 | ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for page in pages:
        api, raw = statistics.median(page.api_ms), statistics.median(page.raw_ms)
        lines.append(
            f"| {page.name} | {api:.1f} ms | {_percentile(page.api_ms, 0.9):.1f} ms | "
            f"{page.server_cpu_ms:.1f} ms | {raw:.2f} ms | {api / raw:.1f}× |"
        )
    lines += [
        "",
        f"Load: {arguments.clients} concurrent clients for {arguments.seconds:.0f} s on the demo user's "
        "sessions page (20 cards, 9 thumbnails each, phases).",
        "",
        "| `atelier serve` | requests/s | p50 | p99 | server CPU per request |",
        "|---|---:|---:|---:|---:|",
    ]
    for load in loads:
        label = "1 process" if load.workers == 1 else f"`--workers {load.workers}`"
        if load.workers == 0:
            label = f"1 process — `{arguments.compare.name}`"
        lines.append(
            f"| {label} | {load.rate:.0f} | {statistics.median(load.latencies_ms):.1f} ms | "
            f"{_percentile(load.latencies_ms, 0.99):.1f} ms | "
            f"{1000 * load.server_cpu_seconds / max(load.requests, 1):.1f} ms |"
        )
    text_report = "\n".join(lines)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text_report + "\n")
    return text_report


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--assets", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=200, help="requests per page (a multiple of 4)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--workers",
        type=lambda value: [int(item) for item in value.split(",")],
        default=[1, 2],
        help="comma-separated `--workers` values to load (pages are timed with the first)",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the library again")
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        help="another checkout (e.g. of main) to measure first, 1 process, in the same run",
    )
    arguments = parser.parse_args()
    arguments.home = Path(os.environ.get("ATELIER_BENCH_HOME", BENCH_DIR / "out" / "api_bench_home"))
    if arguments.rebuild:
        shutil.rmtree(arguments.home, ignore_errors=True)
    arguments.home.mkdir(parents=True, exist_ok=True)
    print(asyncio.run(run(arguments)))


if __name__ == "__main__":
    main()
