"""Buying a reflection end to end, as an artist meets it on ``make run``, beside the sessions page.

No target was set (measure only). Everything runs as ``make run`` runs it, in one process: embedded
PostgreSQL and Redis in a temporary ``ATELIER_HOME`` (migrated), the demo library written and imported
with thumbnails (``import_paths``, thumbnails inline), the demo user with a token and credits, the real
app (``create_app``) behind a real uvicorn on ``127.0.0.1`` and the real arq worker
(``build_worker(settings)``, ``async_run`` as a task on the same loop, as ``atelier serve`` does). The
prompt-embedding and thumbnail-backfill jobs the start-up queues are let finish before anything is timed.

For the demo's big session (63 images; found on the sessions page each round, as a UI would), each
round times over HTTP (httpx, one keep-alive connection, in the same process as the server):

- the **baseline**: the sessions page the README shows (10 sessions with 9 signed thumbnail URLs each)
  and ``viewer.credits.balance``, both timed in every round just before the purchase;
- ``quoteReflection`` and ``confirmReflection`` round trips;
- **confirm → DONE**: from the confirm answer until the reflection row reads ``done`` (a separate
  autocommit connection polls it every 10 ms), and until the ``reflectionUpdated`` subscription
  (graphql-transport-ws over a real WebSocket, opened right after the confirm answer, as a UI would)
  pushes ``DONE``.

The wait is split with arq's own figure (its log line's enqueue → job start, the *pickup delay*) and the
reflection row's timestamps (``started_at`` = lease taken, ``completed_at`` = delivered, just before the
commit); with an LLM, the loopback server's arrival time of the request splits the run into Atelier's
work before the model (facts, prompt with 8 thumbnails, SDK) and after it (parse, grounding, capture).

Four configurations, ``--repeats`` rounds each after ``--warmup`` unrecorded rounds: the **offline
curator** (no LLM configured, the default of ``make run``) and an **LLM** (``OPENAI_BASE_URL`` at
:class:`tests.reflection.openai_server.ScriptedOpenAIServer`, a real HTTP server on loopback answering
its default reply at once, so the figure is Atelier's own overhead around a model), each with the
worker's own poll (``api.worker.WORKER_POLL_SECONDS``, what a user meets) and with 0.01 s (what the
work itself costs).

Afterwards the run is checked: every reflection ``done`` after one run, the balance is the grant minus the
sum of the costs, nothing held; every model request carried 8 images. Then ``load_session_inputs`` and
``prepare_curator_input`` (the run's facts + prompt) are timed alone on the same session, for scale.

Run: ``python -m bench.reflection_flow_bench [--repeats 15] [--warmup 2]``. Writes
``bench/out/reflection_flow_bench.md`` and ``reflection_flow_bench.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from arq import create_pool
from arq.worker import Worker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.asyncio.client import connect as websocket_connect
from websockets.typing import Subprotocol

from api.app import create_app
from api.worker import WORKER_POLL_SECONDS, build_worker, redis_settings
from billing import ledger
from billing.pricing import OFFLINE_MODEL
from catalog.accounts import service as accounts
from catalog.database import SessionFactory, create_database_engine, create_session_factory, unit_of_work
from catalog.demo_library import write_demo_library
from catalog.embedded_servers import EmbeddedServers
from catalog.importing.service import import_paths
from catalog.migration_runner import upgrade_async
from catalog.settings import AtelierSettings
from catalog.storage.local import LocalThumbnailStore
from reflection.backends import OfflineCurator
from reflection.runner import prepare_curator_input
from reflection.session_inputs import load_session_inputs
from tests.reflection.openai_server import ScriptedOpenAIServer

OUT_DIR = Path(__file__).resolve().parent / "out"
DEMO_USER = "artist"
GRANT = 10_000
DB_POLL_SECONDS = 0.01
ARQ_DEFAULT_POLL = WORKER_POLL_SECONDS
ARQ_FAST_POLL = 0.01
SETTLE_TIMEOUT_SECONDS = 180.0
DONE_TIMEOUT_SECONDS = 30.0

SESSIONS_PAGE = """{ viewer { sessions(first: 10) { edges { node { id label startedAt endedAt assetCount
  tool intent thumbnails(first: 9) { url } } } } } }"""
CREDITS = "{ viewer { credits { balance } } }"
CREDITS_FULL = "{ viewer { credits { balance held available } } }"
QUOTE = """mutation($s: ID!) { quoteReflection(sessionId: $s) { __typename
  ... on ReflectionQuote { id cost expiresAt available model }
  ... on BelowReflectionThreshold { message } } }"""
CONFIRM = """mutation($q: ID!, $k: String!) { confirmReflection(quoteId: $q, idempotencyKey: $k) { __typename
  ... on ReflectionStarted { reflection { id state cost } } ... on InsufficientCredits { message } } }"""
SUBSCRIPTION = "subscription($id: ID!) { reflectionUpdated(id: $id) { state } }"
ROW = text("SELECT state, started_at, completed_at, runs, charged, cost FROM reflections WHERE id = :id")

ARQ_START = "%6.2fs → %s(%s)%s"
ARQ_DONE = "%6.2fs ← %s ● %s"


class ArqJobLog(logging.Handler):
    """arq's own per-job figures from its log lines: enqueue → start (pickup) and start → finish."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.pickup: dict[str, float] = {}
        self.duration: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg not in (ARQ_START, ARQ_DONE) or not isinstance(record.args, tuple):
            return
        seconds, ref = float(str(record.args[0])), str(record.args[1])
        job_id = ref.partition(":")[0]
        (self.pickup if record.msg == ARQ_START else self.duration)[job_id] = seconds


@dataclass(frozen=True)
class Config:
    name: str
    llm: bool
    poll_delay: float


@dataclass
class Round:
    page_ms: float
    credits_ms: float
    quote_ms: float
    confirm_ms: float
    done_ms: float
    seen_ms: float
    pickup_ms: float
    lease_ms: float
    """Confirm answer → lease taken (``started_at``); may be slightly negative with a fast poll."""
    run_ms: float
    """Lease taken → delivered (``completed_at``, set just before the commit)."""
    commit_seen_ms: float
    before_model_ms: float | None
    after_model_ms: float | None
    cost: int
    charged: int
    runs: int


@dataclass
class Library:
    home: Path
    database_url: str
    redis_url: str
    user_id: uuid.UUID
    token: str
    imported: int
    import_seconds: float
    settle_seconds: float = 0.0
    server_version: str = ""


@dataclass
class Results:
    rounds: dict[str, list[Round]] = field(default_factory=dict)
    first_rounds: dict[str, Round] = field(default_factory=dict)
    llm_images: list[int] = field(default_factory=list)
    llm_requests: int = 0
    direct_ms: dict[str, float] = field(default_factory=dict)
    check: dict[str, Any] = field(default_factory=dict)
    graphql_credits: dict[str, int] = field(default_factory=dict)


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def settings_for(library: Library, *, llm_base_url: str | None = None) -> AtelierSettings:
    return AtelierSettings(
        home=library.home,
        database_url=library.database_url,
        redis_url=library.redis_url,
        openai_base_url=llm_base_url,
        openai_api_key=None,
    )


@contextlib.asynccontextmanager
async def serving(settings: AtelierSettings) -> AsyncIterator[int]:
    """The real app behind uvicorn on a free loopback port (lifespan on, as ``atelier serve``). uvicorn
    binds the socket itself, as in ``make run``: a socket made here with ``proto=0`` would make asyncio
    skip ``TCP_NODELAY`` and cost every back-to-back request on a kept-alive connection ~40 ms."""
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            lifespan="on",
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped during start-up")
        await asyncio.sleep(0.01)
    listener = server.servers[0].sockets[0]
    try:
        yield int(listener.getsockname()[1])
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def working(settings: AtelierSettings, poll_delay: float) -> AsyncIterator[Worker]:
    """``build_worker(settings)`` running on this loop, as ``atelier serve`` runs it."""
    worker = build_worker(settings)
    worker.poll_delay_s = poll_delay
    task = asyncio.create_task(worker.async_run())
    try:
        while worker._pool is None or "session_factory" not in worker.ctx:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield worker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await worker.close()


async def wait_idle(worker: Worker, limit_seconds: float) -> float:
    """Until arq's queue is empty and the worker runs nothing (twice in a row); returns seconds waited."""
    started = time.perf_counter()
    calm = 0
    while calm < 2:
        if time.perf_counter() - started > limit_seconds:
            raise TimeoutError("the worker did not go idle")
        queued = await worker.pool.zcard(worker.queue_name)
        calm = calm + 1 if queued == 0 and worker.job_counter == 0 else 0
        await asyncio.sleep(0.1)
    return time.perf_counter() - started


async def gql(http: httpx.AsyncClient, document: str, **variables: Any) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = await http.post("/graphql", json={"query": document, "variables": variables})
    elapsed = 1000 * (time.perf_counter() - started)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    data: dict[str, Any] = body["data"]
    return elapsed, data


async def wait_done_in_db(poller: AsyncEngine, reflection_id: uuid.UUID) -> float:
    """``perf_counter`` when the row first reads ``done`` (fails loudly on ``failed``)."""
    deadline = time.perf_counter() + DONE_TIMEOUT_SECONDS
    async with poller.connect() as connection:
        while time.perf_counter() < deadline:
            state = (await connection.execute(ROW, {"id": reflection_id})).one()[0]
            if state == "done":
                return time.perf_counter()
            if state == "failed":
                raise RuntimeError(f"reflection {reflection_id} failed")
            await asyncio.sleep(DB_POLL_SECONDS)
    raise TimeoutError(f"reflection {reflection_id} not done in {DONE_TIMEOUT_SECONDS} s")


async def wait_done_by_subscription(port: int, token: str, reflection_global_id: str) -> float:
    """``perf_counter`` when ``reflectionUpdated`` pushes ``DONE`` over graphql-transport-ws."""
    async with websocket_connect(
        f"ws://127.0.0.1:{port}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        ack = json.loads(await ws.recv())
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"no connection_ack: {ack}")
        subscribe = {"query": SUBSCRIPTION, "variables": {"id": reflection_global_id}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), DONE_TIMEOUT_SECONDS))
            if message.get("type") != "next":
                raise RuntimeError(f"subscription ended before DONE: {message}")
            state = message["payload"]["data"]["reflectionUpdated"]["state"]
            if state == "DONE":
                return time.perf_counter()
            if state == "FAILED":
                raise RuntimeError("reflection failed")


def big_session_id(page: dict[str, Any]) -> str:
    nodes = [edge["node"] for edge in page["viewer"]["sessions"]["edges"]]
    biggest = max(nodes, key=lambda node: node["assetCount"])
    if biggest["assetCount"] < 50:
        raise RuntimeError("the demo's big session is not on the first sessions page")
    return str(biggest["id"])


async def one_round(
    http: httpx.AsyncClient,
    port: int,
    library: Library,
    poller: AsyncEngine,
    arq_log: ArqJobLog,
    server: ScriptedOpenAIServer | None,
    key: str,
) -> Round:
    page_ms, page = await gql(http, SESSIONS_PAGE)
    credits_ms, _ = await gql(http, CREDITS)
    quote_ms, quoted = await gql(http, QUOTE, s=big_session_id(page))
    quote = quoted["quoteReflection"]
    if quote["__typename"] != "ReflectionQuote":
        raise RuntimeError(f"no quote: {quote}")
    requests_before = len(server.chat_requests) if server is not None else 0
    confirm_ms, confirmed = await gql(http, CONFIRM, q=quote["id"], k=key)
    answered = time.perf_counter()
    answered_wall = time.time()
    started = confirmed["confirmReflection"]
    if started["__typename"] != "ReflectionStarted":
        raise RuntimeError(f"not started: {started}")
    global_id = str(started["reflection"]["id"])
    reflection_id = uuid.UUID(global_id.partition(":")[2])
    done_at, seen_at = await asyncio.gather(
        wait_done_in_db(poller, reflection_id), wait_done_by_subscription(port, library.token, global_id)
    )
    async with poller.connect() as connection:
        row = (await connection.execute(ROW, {"id": reflection_id})).one()
    started_at: datetime = row[1]
    completed_at: datetime = row[2]
    before_model_ms = after_model_ms = None
    if server is not None:
        requests = server.chat_requests[requests_before:]
        if len(requests) != 1:
            raise RuntimeError(f"expected one model request, got {len(requests)}")
        # received_at is time.monotonic(); both clocks are read in this process
        received_wall = requests[0].received_at + (time.time() - time.monotonic())
        before_model_ms = 1000 * (received_wall - started_at.timestamp())
        after_model_ms = 1000 * (completed_at.timestamp() - received_wall)
    done_wall = answered_wall + (done_at - answered)
    return Round(
        page_ms=page_ms,
        credits_ms=credits_ms,
        quote_ms=quote_ms,
        confirm_ms=confirm_ms,
        done_ms=1000 * (done_at - answered),
        seen_ms=1000 * (seen_at - answered),
        pickup_ms=1000 * arq_log.pickup.get(str(reflection_id), float("nan")),
        lease_ms=1000 * (started_at.timestamp() - answered_wall),
        run_ms=1000 * (completed_at - started_at).total_seconds(),
        commit_seen_ms=1000 * (done_wall - completed_at.timestamp()),
        before_model_ms=before_model_ms,
        after_model_ms=after_model_ms,
        cost=int(row[5]),
        charged=int(row[4]),
        runs=int(row[3]),
    )


async def measure_config(
    config: Config,
    library: Library,
    poller: AsyncEngine,
    arq_log: ArqJobLog,
    server: ScriptedOpenAIServer,
    rounds: int,
    warmup: int,
    results: Results,
) -> None:
    settings = settings_for(library, llm_base_url=server.base_url if config.llm else None)
    scripted = server if config.llm else None
    recorded: list[Round] = []
    async with (
        working(settings, config.poll_delay) as worker,
        serving(settings) as port,
        httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {library.token}"},
            timeout=60,
        ) as http,
    ):
        await wait_idle(worker, SETTLE_TIMEOUT_SECONDS)  # the start-up sweep
        for number in range(warmup + rounds):
            measured = await one_round(
                http, port, library, poller, arq_log, scripted, key=f"bench-{config.name}-{number}"
            )
            if number == 0:
                results.first_rounds[config.name] = measured
            if number >= warmup:
                recorded.append(measured)
        await wait_idle(worker, SETTLE_TIMEOUT_SECONDS)
        _, credits = await gql(http, CREDITS_FULL)
        results.graphql_credits = credits["viewer"]["credits"]
    results.rounds[config.name] = recorded


async def prepare_library(home: Path) -> tuple[Library, EmbeddedServers]:
    servers = EmbeddedServers(AtelierSettings(home=home, database_url=None, redis_url=None))
    urls = servers.start()
    await upgrade_async(urls.database_url)
    assert urls.redis_url is not None
    library = Library(home, urls.database_url, urls.redis_url, uuid.UUID(int=0), "", 0, 0.0)
    settings = settings_for(library)
    engine = create_database_engine(urls.database_url, pool_size=4)
    try:
        factory = create_session_factory(engine)
        folder = home / "demo-library"
        write_demo_library(folder)
        started = time.perf_counter()
        report = await import_paths(factory, settings, user_handle=DEMO_USER, paths=[folder])
        library.import_seconds = time.perf_counter() - started
        library.imported = report.imported
        if report.problems:
            raise RuntimeError(f"demo import problems: {report.problems}")
        async with unit_of_work(factory) as db:
            issued = await accounts.issue_token(db, DEMO_USER, name="bench token")
            user = await accounts.get_or_create_user(db, DEMO_USER)
            await ledger.grant(db, user.id, GRANT, reference="reflection flow bench")
            library.server_version = str(await db.scalar(text("SHOW server_version")))
        library.user_id = user.id
        library.token = issued.plaintext
    finally:
        await engine.dispose()
    return library, servers


async def settle_start_up_jobs(library: Library) -> None:
    """What ``atelier serve`` does first: queue the thumbnail backfill, run the worker until the queue
    (with the import's prompt-embedding job, which may re-cluster) is empty."""
    settings = settings_for(library)
    pool = await create_pool(redis_settings(settings))
    await pool.enqueue_job("backfill_thumbnails", _job_id="backfill_thumbnails:startup")
    await pool.aclose()
    async with working(settings, ARQ_DEFAULT_POLL) as worker:
        library.settle_seconds = await wait_idle(worker, SETTLE_TIMEOUT_SECONDS)


async def time_the_run_alone(
    factory: SessionFactory, library: Library, session_id: uuid.UUID
) -> dict[str, Any]:
    """``load_session_inputs`` (database) and ``prepare_curator_input`` (facts + prompt, CPU) alone."""
    load: list[float] = []
    prepare: list[float] = []
    offline: list[float] = []
    curator = OfflineCurator()
    image_count = 0
    for _ in range(11):
        started = time.perf_counter()
        async with factory() as db:
            inputs = await load_session_inputs(db, library.user_id, session_id)
        load.append(1000 * (time.perf_counter() - started))
        assert inputs is not None
        started = time.perf_counter()
        prepared = prepare_curator_input(
            inputs, LocalThumbnailStore(library.home / "thumbnails"), quoted_model=OFFLINE_MODEL
        )
        prepare.append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        await curator.write(prepared)
        offline.append(1000 * (time.perf_counter() - started))
        image_count = int(prepared.request.audit["image_count"])
    return {
        "load_session_inputs": median(load),
        "prepare_curator_input": median(prepare),
        "offline_write": median(offline),
        "images": image_count,
    }


async def check_ledger(factory: SessionFactory, library: Library) -> dict[str, Any]:
    async with factory() as db:
        grouped = await db.execute(text("SELECT state, count(*) FROM reflections GROUP BY state"))
        states = {str(state): int(count) for state, count in grouped.all()}
        charged, cost, max_runs = (
            await db.execute(
                text("SELECT sum(charged), sum(cost), max(runs) FROM reflections WHERE user_id = :u"),
                {"u": library.user_id},
            )
        ).one()
        balance = await ledger.balance_of(db, library.user_id)
    return {
        "states": states,
        "charged": int(charged),
        "cost": int(cost),
        "max_runs": int(max_runs),
        "balance": balance.balance,
        "held": balance.held,
        "owed": balance.owed,
        "ok": set(states) == {"done"}
        and int(charged) == int(cost)
        and balance.balance == GRANT - int(charged)
        and balance.held == 0
        and balance.owed == 0
        and int(max_runs) == 1,
    }


async def run(repeats: int, warmup: int) -> tuple[Library, Results]:
    home = Path(tempfile.mkdtemp(prefix="atelier-reflection-flow-bench-"))
    arq_log = ArqJobLog()
    arq_logger = logging.getLogger("arq.worker")
    arq_logger.addHandler(arq_log)
    arq_logger.setLevel(logging.INFO)
    arq_logger.propagate = False
    results = Results()
    servers: EmbeddedServers | None = None
    try:
        library, servers = await prepare_library(home)
        await settle_start_up_jobs(library)
        poller = create_database_engine(library.database_url, pool_size=1).execution_options(
            isolation_level="AUTOCOMMIT"
        )
        configs = [
            Config("offline", llm=False, poll_delay=ARQ_DEFAULT_POLL),
            Config("llm", llm=True, poll_delay=ARQ_DEFAULT_POLL),
            Config("offline-fast", llm=False, poll_delay=ARQ_FAST_POLL),
            Config("llm-fast", llm=True, poll_delay=ARQ_FAST_POLL),
        ]
        try:
            with ScriptedOpenAIServer() as openai_server:
                for config in configs:
                    await measure_config(
                        config, library, poller, arq_log, openai_server, repeats, warmup, results
                    )
                chat = openai_server.chat_requests
                results.llm_requests = len(chat)
                results.llm_images = sorted({len(request.image_urls) for request in chat})
            engine = create_database_engine(library.database_url, pool_size=2)
            try:
                factory = create_session_factory(engine)
                results.check = await check_ledger(factory, library)
                agrees = results.graphql_credits.get("balance") == results.check["balance"]
                results.check["ok"] = results.check["ok"] and agrees and results.llm_images == [8]
                async with factory() as db:
                    session_id = await db.scalar(
                        text("SELECT session_id FROM reflections ORDER BY created_at DESC LIMIT 1")
                    )
                results.direct_ms = await time_the_run_alone(factory, library, session_id)
            finally:
                await engine.dispose()
        finally:
            await poller.dispose()
    finally:
        if servers is not None:
            servers.stop()
        shutil.rmtree(home, ignore_errors=True)
        arq_logger.removeHandler(arq_log)
    return library, results


def _row(label: str, values: list[float], baseline: float, *, bold: bool = False) -> str:
    mid, high = median(values), p95(values)
    shown = f"**{mid:.1f}**" if bold else f"{mid:.1f}"
    return f"| {label} | {shown} | {high:.1f} | {mid / baseline:.1f} |"


def markdown(library: Library, results: Results, machine: str, repeats: int, warmup: int) -> str:
    rounds = results.rounds
    every = [item for config in rounds.values() for item in config]
    page = median([item.page_ms for item in every])

    def pick(config: str, attribute: str) -> list[float]:
        return [float(getattr(item, attribute)) for item in rounds[config]]

    offline_cost = rounds["offline"][0].cost
    llm_cost = rounds["llm"][0].cost
    lines = [
        f"Machine: {machine}; embedded PostgreSQL {library.server_version}, embedded Redis; app on uvicorn "
        "(127.0.0.1), arq worker and the HTTP/WebSocket client all on one event loop, as `make run` with a "
        f"local client. Demo library: {library.imported} images imported with thumbnails in "
        f"{library.import_seconds:.1f} s; the start-up jobs (thumbnail backfill, prompt embeddings and "
        f"their re-cluster) then took {library.settle_seconds:.1f} s and were let finish first.",
        f"Per configuration {repeats} rounds after {warmup} unrecorded; the baseline is timed in every "
        f"round ({len(every)} in all). Offline reflection: {offline_cost} credits; LLM "
        f"(gpt-4o-mini price): {llm_cost} credits.",
        "",
        "| step (ms) | median | p95 | × sessions page |",
        "|---|---:|---:|---:|",
        _row(
            "**baseline**: sessions page (10 sessions, 9 thumbnails each)", pick_all(every, "page_ms"), page
        ),
        _row("baseline: `viewer.credits.balance`", pick_all(every, "credits_ms"), page),
        _row("`quoteReflection` (offline curator)", pick("offline", "quote_ms"), page, bold=True),
        _row("`quoteReflection` (LLM configured)", pick("llm", "quote_ms"), page),
        _row("`confirmReflection` (offline curator)", pick("offline", "confirm_ms"), page, bold=True),
        _row("`confirmReflection` (LLM configured)", pick("llm", "confirm_ms"), page),
    ]
    titles = {
        "offline": f"offline curator, worker poll {ARQ_DEFAULT_POLL:g} s (default)",
        "llm": f"LLM (loopback, instant), worker poll {ARQ_DEFAULT_POLL:g} s (default)",
        "offline-fast": "offline curator, arq poll 0.01 s",
        "llm-fast": "LLM (loopback, instant), arq poll 0.01 s",
    }
    for config, title in titles.items():
        bold = config in ("offline", "llm")
        lines.append(
            _row(
                f"confirm answer → `done` in the database, {title}", pick(config, "done_ms"), page, bold=bold
            )
        )
        lines.append(
            _row(
                f"confirm answer → `DONE` pushed by `reflectionUpdated`, {title}",
                pick(config, "seen_ms"),
                page,
            )
        )
    lines += [
        "",
        "Where confirm → `done` goes (medians, ms). *arq pickup*: arq's own enqueue → job start (its log "
        "line); *job start → lease*: answer → `started_at` minus the pickup (the enqueue precedes the "
        "answer by ~1 ms); *run*: lease taken → delivered (`started_at` → `completed_at`, before the "
        f"commit); *commit + seen*: delivered → the {int(DB_POLL_SECONDS * 1000)} ms poller reads `done`. "
        "With an LLM the run splits at the loopback server's arrival of the request.",
        "",
        "| configuration | confirm → `done` | arq pickup | job start → lease | run | run: before the model "
        "| run: model answer → delivered | commit + seen | subscription lag after `done` |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for config, title in titles.items():
        items = rounds[config]
        before = [item.before_model_ms for item in items if item.before_model_ms is not None]
        after = [item.after_model_ms for item in items if item.after_model_ms is not None]
        lag = [item.seen_ms - item.done_ms for item in items]
        lines.append(
            "| "
            + " | ".join(
                [
                    title,
                    f"{median(pick(config, 'done_ms')):.0f}",
                    f"{median(pick(config, 'pickup_ms')):.0f}",
                    f"{median([item.lease_ms - item.pickup_ms for item in items]):.1f}",
                    f"{median(pick(config, 'run_ms')):.1f}",
                    f"{median(before):.1f}" if before else "—",
                    f"{median(after):.1f}" if after else "—",
                    f"{median(pick(config, 'commit_seen_ms')):.1f}",
                    f"{median(lag):.0f}",
                ]
            )
            + " |"
        )
    direct = results.direct_ms
    first = results.first_rounds
    check = results.check
    lines += [
        "",
        "Alone on the same session (median of 11): "
        f"`load_session_inputs` {direct['load_session_inputs']:.1f} ms, "
        f"`prepare_curator_input` (facts + prompt with {direct['images']} thumbnails) "
        f"{direct['prepare_curator_input']:.1f} ms, "
        f"the offline curator's write {direct['offline_write']:.1f} ms. "
        f"First (cold) round per configuration, confirm → `done`: "
        + ", ".join(f"{name} {first[name].done_ms:.0f} ms (run {first[name].run_ms:.0f})" for name in titles)
        + ".",
        "",
        f"Check: reflections by state {check['states']}, each run once (max runs {check['max_runs']}); "
        f"credits granted {GRANT}, charged {check['charged']} (= Σ quoted {check['cost']}), balance "
        f"{check['balance']} (= {GRANT} − {check['charged']}: "
        f"{'yes' if check['balance'] == GRANT - check['charged'] else 'NO'}), held {check['held']}, "
        f"owed {check['owed']}; `viewer.credits` says {results.graphql_credits}; "
        f"{results.llm_requests} model requests, image parts per request "
        f"{results.llm_images} — **{'OK' if check['ok'] else 'FAILED'}**.",
    ]
    return "\n".join(lines)


def pick_all(items: list[Round], attribute: str) -> list[float]:
    return [float(getattr(item, attribute)) for item in items]


def main() -> None:
    parser = argparse.ArgumentParser(description="Buying a reflection end to end")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    library, results = asyncio.run(run(args.repeats, args.warmup))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    table = markdown(library, results, machine, args.repeats, args.warmup)
    table += f"\n\nBench wall time: {time.perf_counter() - started:.0f} s."
    print(table)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "reflection_flow_bench.md").write_text(table + "\n")
    raw = {
        "machine": machine,
        "import_seconds": library.import_seconds,
        "settle_seconds": library.settle_seconds,
        "rounds": {name: [vars(item) for item in items] for name, items in results.rounds.items()},
        "first_rounds": {name: vars(item) for name, item in results.first_rounds.items()},
        "direct_ms": results.direct_ms,
        "check": results.check,
    }
    (OUT_DIR / "reflection_flow_bench.json").write_text(json.dumps(raw, indent=2, default=str))
    if not results.check.get("ok"):
        raise SystemExit("correctness check failed (see the table)")


if __name__ == "__main__":
    main()
