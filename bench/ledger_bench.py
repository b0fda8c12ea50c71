"""Credits ledger throughput: confirm-and-capture pairs per second, beside a bare INSERT of the same rows.

Target (issue: credits ledger): measure, no figure to meet. Anchor: pgledger reports ~10k transfers/s
on PostgreSQL 17 on bigger hardware; this machine has 2 cores and runs the client in the same box.

One **pair** is what a reflection costs the ledger: a hold placed in one transaction and captured in
another (``ledger.place_hold`` → commit → ``ledger.capture_hold`` of the full amount → commit: one
posted transfer, two entries, the hold row, three cached-balance updates). Measured paths:

- ``place_hold`` + ``capture_hold`` (the Curator's billing service calls);
- ``confirm_quote`` + ``capture_hold`` (the GraphQL confirm: quote locked, idempotency key claimed,
  the session's membership re-checked, then the hold), each pair on its own quote made beforehand;
- **baseline**: a bare INSERT of the same rows — one transfer-shaped and two entry-shaped rows into
  plain tables without keys, constraints or indexes, in one transaction — through the same stack
  (SQLAlchemy ``AsyncSession`` on asyncpg).

Each path runs on one connection, on 8 concurrent connections for 8 users, and on 8 concurrent
connections for ONE user (every hold and capture updates the same account row: the hot-row case);
the baseline runs beside each, in the same run, and every figure is given as a ratio to it. Units of
work that PostgreSQL aborts for a deadlock or serialization failure are retried (and counted). After
the run the ledger is checked: every account's balance is the sum of its entries, nothing is held.

The embedded PostgreSQL runs in a temporary ``ATELIER_HOME``; users get real sessions (50 records
imported through ``import_paths``) so that quotes can be made.

Run: ``python -m bench.ledger_bench [--pairs 600] [--concurrent-pairs 1600]``. Writes
``bench/out/ledger_bench.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import shutil
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Executable, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from billing import ledger, quotes
from billing.models import CreditAccount, CreditHold
from billing.transactions import is_retryable
from catalog.database import SessionFactory, create_database_engine, create_session_factory, unit_of_work
from catalog.embedded_servers import EmbeddedServers
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.migration_runner import upgrade_async
from catalog.models import Asset, User
from catalog.settings import AtelierSettings

OUT = Path(__file__).resolve().parent / "out" / "ledger_bench.md"
CONNECTIONS = 8
SESSION_ASSETS = 50
HOLD_AMOUNT = 3
HOLD_TTL = timedelta(minutes=30)
WARMUP_PAIRS = 40
QUOTES_PER_TRANSACTION = 500
T = TypeVar("T")

BASELINE_TABLES = (
    "CREATE TABLE bench_transfers (id uuid DEFAULT gen_random_uuid(), kind varchar(20), amount bigint, "
    "debit_account_id uuid, credit_account_id uuid, reference text, idempotency_key varchar(200), "
    "created_at timestamptz DEFAULT now())",
    "CREATE TABLE bench_entries (id bigint GENERATED ALWAYS AS IDENTITY, transfer_id uuid, account_id uuid, "
    "amount bigint, balance_after bigint, created_at timestamptz DEFAULT now())",
)
INSERT_TRANSFER = text(
    "INSERT INTO bench_transfers (kind, amount, debit_account_id, credit_account_id, reference, "
    "idempotency_key) VALUES ('capture', :amount, :debit, :credit, :reference, :key) RETURNING id"
)
INSERT_ENTRIES = text(
    "INSERT INTO bench_entries (transfer_id, account_id, amount, balance_after) "
    "VALUES (:transfer, :debit, :debit_amount, 0), (:transfer, :credit, :amount, 0)"
)


@dataclass(frozen=True, slots=True)
class Measurement:
    path: str
    scenario: str
    connections: int
    pairs: int
    seconds: float
    latencies: list[float]
    client_cpu_seconds: float
    """CPU time of this Python process (the client: SQLAlchemy, asyncpg, the ledger code)."""
    retries: int

    @property
    def pairs_per_second(self) -> float:
        return self.pairs / self.seconds

    @property
    def client_cpu_ms_per_pair(self) -> float:
        return 1000 * self.client_cpu_seconds / self.pairs

    def latency_ms(self, quantile: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]


@dataclass
class Bench:
    factory: SessionFactory
    terms: quotes.ReflectionTerms
    consumed_account: uuid.UUID
    users: list[uuid.UUID]
    accounts: dict[uuid.UUID, uuid.UUID]
    """user id → credit account id (the baseline writes these ids into its rows)"""
    quotes_of: dict[uuid.UUID, deque[uuid.UUID]]
    retries: int = 0

    async def unit(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """One unit of work, again after a deadlock or serialization failure (counted)."""
        while True:
            try:
                async with unit_of_work(self.factory) as db:
                    return await work(db)
            except DBAPIError as error:
                if not is_retryable(error):
                    raise
                self.retries += 1

    # -- one pair of each path ---------------------------------------------------------------------

    async def baseline_pair(self, user_id: uuid.UUID) -> None:
        async def insert(db: AsyncSession) -> None:
            values = {
                "amount": HOLD_AMOUNT,
                "debit": self.accounts[user_id],
                "credit": self.consumed_account,
                "reference": "bench",
                "key": f"capture:{uuid.uuid4()}",
            }
            transfer = await db.scalar(INSERT_TRANSFER, values)
            await db.execute(INSERT_ENTRIES, {**values, "transfer": transfer, "debit_amount": -HOLD_AMOUNT})

        await self.unit(insert)

    async def hold_pair(self, user_id: uuid.UUID) -> None:
        async def hold(db: AsyncSession) -> CreditHold | ledger.HoldRefused:
            return await ledger.place_hold(db, user_id, HOLD_AMOUNT, ttl=HOLD_TTL, reference="bench")

        placed = await self.unit(hold)
        assert isinstance(placed, CreditHold), placed
        await self._capture(placed.id, HOLD_AMOUNT)

    async def confirm_pair(self, user_id: uuid.UUID) -> None:
        quote_id = self.quotes_of[user_id].popleft()

        async def confirm(db: AsyncSession) -> quotes.HoldPlaced:
            return await quotes.confirm_quote(db, user_id, quote_id, f"bench-{quote_id}", self.terms)

        placed = await self.unit(confirm)
        await self._capture(placed.hold_id, placed.quote.cost)

    async def _capture(self, hold_id: uuid.UUID, amount: int) -> None:
        async def capture(db: AsyncSession) -> ledger.HoldResolution:
            return await ledger.capture_hold(db, hold_id, amount, reference="bench")

        resolution = await self.unit(capture)
        assert resolution.resolved, resolution

    # -- running them ------------------------------------------------------------------------------

    async def measure(
        self,
        path: str,
        pair: Callable[[uuid.UUID], Awaitable[None]],
        scenario: str,
        worker_users: list[uuid.UUID],
        pairs: int,
    ) -> Measurement:
        """``pairs`` pairs spread over one worker (one connection) per entry of ``worker_users``."""
        latencies: list[float] = []
        retries_before = self.retries
        per_worker = pairs // len(worker_users)

        async def worker(user_id: uuid.UUID) -> None:
            for _ in range(per_worker):
                started = time.perf_counter()
                await pair(user_id)
                latencies.append(time.perf_counter() - started)

        cpu_started = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(worker(user_id) for user_id in worker_users))
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        done = per_worker * len(worker_users)
        return Measurement(
            path,
            scenario,
            len(worker_users),
            done,
            seconds,
            latencies,
            cpu_seconds,
            self.retries - retries_before,
        )


def _evening(handle: str, count: int) -> list[dict[str, object]]:
    """``count`` generations 40 s apart refining one prompt: one session."""
    start = datetime(2026, 3, 2, 19, tzinfo=UTC)
    return [
        {
            "id": f"{handle}-{index:05d}",
            "tool": "comfyui",
            "created_at": (start + timedelta(seconds=40 * index)).isoformat(),
            "prompt": "portrait of an old fisherman, oil painting, warm light",
            "seed": 4242 + index,
            "cfg_scale": 7.0,
            "steps": 30,
            "sampler": "dpmpp_2m",
            "model": "juggernautXL_v9.safetensors",
            "width": 1024,
            "height": 1024,
        }
        for index in range(count)
    ]


async def _user_with_session(
    factory: SessionFactory, settings: AtelierSettings, folder: Path, handle: str
) -> tuple[uuid.UUID, uuid.UUID]:
    path = folder / f"{handle}.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in _evening(handle, SESSION_ASSETS)) + "\n")
    report = await import_paths(
        factory, settings, user_handle=handle, paths=[path], thumbnails=ThumbnailMode.SKIP
    )
    assert report.problems == [], report.problems
    async with factory() as db:
        user_id = await db.scalar(select(User.id).where(User.handle == handle))
        session_id = await db.scalar(select(Asset.session_id).where(Asset.record_id == f"{handle}-00000"))
        assert user_id is not None and session_id is not None
        size = await db.scalar(select(func.count()).where(Asset.session_id == session_id))
        assert size == SESSION_ASSETS, f"{handle}'s evening split into several sessions"
    return user_id, session_id


async def _make_quotes(
    factory: SessionFactory,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    terms: quotes.ReflectionTerms,
    count: int,
) -> deque[uuid.UUID]:
    made: deque[uuid.UUID] = deque()
    while len(made) < count:
        async with unit_of_work(factory) as db:
            for _ in range(min(QUOTES_PER_TRANSACTION, count - len(made))):
                created = await quotes.create_quote(db, user_id, session_id, terms)
                assert isinstance(created, quotes.QuoteCreated), created
                made.append(created.quote.id)
    return made


async def _ledger_check(factory: SessionFactory) -> tuple[int, int]:
    """Assert the ledger is consistent after the run; returns (transfers, captured holds)."""
    async with factory() as db:
        unbalanced = await db.scalar(
            text(
                "SELECT count(*) FROM (SELECT t.id FROM credit_transfers t JOIN credit_entries e "
                "ON e.transfer_id = t.id GROUP BY t.id HAVING count(*) <> 2 OR sum(e.amount) <> 0) s"
            )
        )
        drifted = await db.scalar(
            text(
                "SELECT count(*) FROM credit_accounts a WHERE a.balance <> "
                "(SELECT coalesce(sum(amount), 0) FROM credit_entries e WHERE e.account_id = a.id) "
                "OR a.held <> 0"
            )
        )
        pending = await db.scalar(text("SELECT count(*) FROM credit_holds WHERE state = 'pending'"))
        transfers = await db.scalar(text("SELECT count(*) FROM credit_transfers"))
        captured = await db.scalar(text("SELECT count(*) FROM credit_holds WHERE state = 'captured'"))
    assert (unbalanced, drifted, pending) == (0, 0, 0), (unbalanced, drifted, pending)
    return int(transfers or 0), int(captured or 0)


def _balance_updates(account_id: uuid.UUID) -> list[tuple[str, Callable[[], Executable]]]:
    """The cached-balance UPDATE of ``ledger._change_balance``, written four ways (last: the baseline)."""
    table = CreditAccount.metadata.tables["credit_accounts"]

    def orm() -> Executable:
        return (
            update(CreditAccount)
            .where(CreditAccount.id == account_id)
            .values(
                balance=CreditAccount.balance + 0,
                held=CreditAccount.held + 0,
                version=CreditAccount.version + 1,
            )
            .returning(CreditAccount.balance)
        )

    def core() -> Executable:
        return (
            update(table)
            .where(table.c.id == account_id)
            .values(balance=table.c.balance + 0, held=table.c.held + 0, version=table.c.version + 1)
            .returning(table.c.balance)
        )

    raw = text(
        "UPDATE credit_accounts SET balance = balance + 0, held = held + 0, version = version + 1 "
        "WHERE id = :id RETURNING balance"
    ).bindparams(id=account_id)
    return [
        ("ORM-enabled `update(CreditAccount)` (the ledger before it moved to Core)", orm),
        ("the same, `synchronize_session=False`", lambda: orm().execution_options(synchronize_session=False)),
        ("Core `update(credit_accounts table)`, as the ledger sends it", core),
        ("baseline: `text()`", lambda: raw),
    ]


async def _balance_update_costs(
    factory: SessionFactory, account_id: uuid.UUID, repeats: int = 500
) -> list[tuple[str, float, float]]:
    """Client CPU and wall ms of one balance UPDATE (``repeats`` times in one transaction, rolled back)."""
    costs = []
    for name, make in _balance_updates(account_id):
        async with factory() as db, db.begin():
            for _ in range(50):
                await db.scalar(make())
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(repeats):
                await db.scalar(make())
            costs.append(
                (
                    name,
                    1000 * (time.process_time() - cpu) / repeats,
                    1000 * (time.perf_counter() - wall) / repeats,
                )
            )
            await db.rollback()
    return costs


async def run(single_pairs: int, concurrent_pairs: int) -> str:
    home = Path(tempfile.mkdtemp(prefix="atelier-ledger-bench-"))
    servers = EmbeddedServers(AtelierSettings(home=home, database_url=None, redis_url=None))
    urls = servers.start()
    engine = create_database_engine(urls.database_url, pool_size=CONNECTIONS)
    try:
        await upgrade_async(urls.database_url)
        settings = AtelierSettings(home=home, database_url=urls.database_url, redis_url=urls.redis_url)
        factory = create_session_factory(engine)
        terms = quotes.ReflectionTerms.from_settings(settings)
        async with unit_of_work(factory) as db:
            for statement in BASELINE_TABLES:
                await db.execute(text(statement))
            server = {
                name: await db.scalar(text(f"SHOW {name}"))
                for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers")
            }
        work = home / "imports"
        work.mkdir()
        sessions = [
            await _user_with_session(factory, settings, work, f"artist{number}")
            for number in range(CONNECTIONS)
        ]
        users = [user_id for user_id, _ in sessions]
        hot_user = users[0]
        per_worker = concurrent_pairs // CONNECTIONS
        wanted = {user_id: per_worker for user_id in users}
        wanted[hot_user] += 2 * WARMUP_PAIRS + single_pairs + per_worker * CONNECTIONS
        started = time.perf_counter()
        quotes_of = {
            user_id: await _make_quotes(factory, user_id, session_id, terms, wanted[user_id])
            for user_id, session_id in sessions
        }
        quote_seconds = time.perf_counter() - started
        async with unit_of_work(factory) as db:
            for user_id in users:
                await ledger.grant(db, user_id, 10**9, reference="bench credits")
            accounts = {user_id: await ledger.user_account_id(db, user_id) for user_id in users}
            consumed = await ledger.system_account_id(db, "consumed")
        bench = Bench(factory, terms, consumed, users, accounts, quotes_of)

        paths: list[tuple[str, Callable[[uuid.UUID], Awaitable[None]]]] = [
            ("baseline: bare INSERT of the same rows (1 transaction)", bench.baseline_pair),
            ("`place_hold` + `capture_hold`", bench.hold_pair),
            ("`confirm_quote` + `capture_hold`", bench.confirm_pair),
        ]
        for _, pair in paths:  # warm up connections, statement caches and the interpreter
            await bench.measure("warm-up", pair, "warm-up", [hot_user], WARMUP_PAIRS)
        scenarios = [
            ("1 connection, 1 account", [hot_user], single_pairs),
            (f"{CONNECTIONS} connections, {CONNECTIONS} accounts", users, concurrent_pairs),
            (f"{CONNECTIONS} connections, ONE account (hot row)", [hot_user] * CONNECTIONS, concurrent_pairs),
        ]
        results: list[Measurement] = []
        for scenario, worker_users, pairs in scenarios:
            for path, pair in paths:
                results.append(await bench.measure(path, pair, scenario, worker_users, pairs))
        transfers, captured = await _ledger_check(factory)
        statement_costs = await _balance_update_costs(factory, accounts[users[-1]])
    finally:
        await engine.dispose()
        servers.stop()
        shutil.rmtree(home, ignore_errors=True)

    lines = [
        "# Credits ledger — hold-and-capture pairs per second",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, embedded PostgreSQL "
        f"{server['server_version']} (fsync {server['fsync']}, synchronous_commit "
        f"{server['synchronous_commit']}, shared_buffers {server['shared_buffers']}); client and server "
        f"on the same machine. One pair = a hold committed, then its capture committed (one posted "
        f"transfer). {len(quotes_of)} users with a {SESSION_ASSETS}-asset session; "
        f"{sum(wanted.values()):,} quotes made beforehand in {quote_seconds:.1f} s.",
        "",
        "| pair | connections, accounts | pairs/s | vs bare INSERT | p50 ms | p95 ms | client CPU ms/pair "
        "| retried |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario, _, _ in scenarios:
        in_scenario = [m for m in results if m.scenario == scenario]
        floor = in_scenario[0].pairs_per_second
        for m in in_scenario:
            lines.append(
                f"| {m.path} | {scenario} | {m.pairs_per_second:,.0f} | {m.pairs_per_second / floor:.0%} | "
                f"{m.latency_ms(0.5):.1f} | {m.latency_ms(0.95):.1f} | {m.client_cpu_ms_per_pair:.1f} | "
                f"{m.retries} |"
            )
    floor_cpu = statement_costs[-1][1]
    lines += [
        "",
        "Where the client time goes — one cached-balance UPDATE (as `ledger._change_balance` sends it), "
        "500 times in one transaction:",
        "",
        "| statement built as | client CPU ms | wall ms | CPU vs `text()` |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {cpu:.2f} | {wall:.2f} | {cpu / floor_cpu:.1f}× |"
            for name, cpu, wall in statement_costs
        ),
    ]
    lines += [
        "",
        f"After the run: {transfers:,} transfers, each two entries summing to zero; every account's "
        f"balance equals the sum of its entries; {captured:,} holds captured, none pending.",
    ]
    report = "\n".join(lines)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(report + "\n")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", type=int, default=600, help="pairs on one connection")
    parser.add_argument(
        "--concurrent-pairs", type=int, default=1600, help=f"pairs over {CONNECTIONS} connections"
    )
    arguments = parser.parse_args()
    print(asyncio.run(run(arguments.pairs, arguments.concurrent_pairs)))


if __name__ == "__main__":
    main()
