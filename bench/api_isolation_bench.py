"""One user's heaviest queries against another user's light one, on a real ``atelier serve``.

Setup: embedded PostgreSQL and Redis in a temporary home, migrated; user ``heavy`` owns
:data:`SESSIONS` sessions of :data:`ASSETS_PER_SESSION` assets each (rows inserted directly: the
GraphQL read path is what is measured, not the import); user ``light`` has a token of their own.
``atelier serve`` (no embedded worker) runs on loopback as a subprocess, once per scenario:

- **before** — limits as before this change (no cost maximum, no budget, no per-client slots) and
  the issue's heaviest query then allowed: 29 aliases × ``sessions(first: 100)`` ×
  ``assets(first: 100)``;
- **limits** — the defaults (maximum cost per request, one request at a time per token) with the
  heaviest query they allow (:func:`heaviest_allowed`); the per-minute budget is raised so the heavy
  client keeps running instead of being refused (a budget refusal costs nothing: that would only
  flatter the figures).

In each, the light user's ``{ viewer { id } }`` is timed idle, then while 1 and 10 heavy clients
(a separate process, reading and discarding the responses) send the heavy query back to back. The
ratio of loaded p50 (and p90) to idle p50 is reported; the goal is ≤ 5×.

    python -m bench.api_isolation_bench            # Markdown on stdout and bench/out/api_isolation_bench.md
    python -m bench.api_isolation_bench --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import text

from catalog.accounts import service as accounts
from catalog.database import create_database_engine, create_session_factory, unit_of_work
from catalog.embedded_servers import EmbeddedServers
from catalog.migration_runner import upgrade_async
from catalog.settings import AtelierSettings

SESSIONS = 100
ASSETS_PER_SESSION = 100
OUT = Path(__file__).resolve().parent / "out" / "api_isolation_bench.md"
ATELIER = Path(sys.executable).with_name("atelier")
LIGHT = "{ viewer { id } }"
UNLIMITED = str(10**12)


def sessions_with_assets(alias: str, sessions: int, assets: int) -> str:
    return (
        f"{alias}: sessions(first: {sessions}) {{ edges {{ node {{ id "
        f"assets(first: {assets}) {{ edges {{ node {{ id }} }} }} }} }} }}"
    )


def issue_heavy() -> str:
    """The issue's heaviest query before cost limits: 29 aliases of 100 sessions × 100 assets."""
    return "{ viewer { " + " ".join(sessions_with_assets(f"a{i}", 100, 100) for i in range(29)) + " } }"


def heaviest_allowed(maximum: int) -> str:
    """100 sessions × as many assets as the maximum cost allows (one alias)."""
    from api.graphql.query_cost import estimate_cost
    from api.graphql.schema import build_schema

    schema = build_schema()._schema
    from graphql import parse

    best = 1
    for assets in range(1, 101):
        document = "{ viewer { " + sessions_with_assets("a", 100, assets) + " } }"
        if estimate_cost(schema, parse(document).definitions, None, None) <= maximum:
            best = assets
    return "{ viewer { " + sessions_with_assets("a", 100, best) + " } }"


@dataclass
class Phase:
    name: str
    samples_ms: list[float]
    failures: list[str]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p90(self) -> float:
        return (
            statistics.quantiles(self.samples_ms, n=10)[-1]
            if len(self.samples_ms) >= 10
            else max(self.samples_ms)
        )


async def _prepare(home: Path) -> tuple[AtelierSettings, EmbeddedServers, str, str]:
    servers = EmbeddedServers(AtelierSettings(home=home, database_url=None, redis_url=None))
    urls = servers.start()
    settings = AtelierSettings(home=home, database_url=urls.database_url, redis_url=urls.redis_url)
    await upgrade_async(urls.database_url)
    engine = create_database_engine(urls.database_url)
    factory = create_session_factory(engine)
    tokens = []
    async with unit_of_work(factory) as db:
        for handle in ("heavy", "light"):
            await accounts.get_or_create_user(db, handle)
            tokens.append((await accounts.issue_token(db, handle)).plaintext)
        user_id = (await db.execute(text("SELECT id FROM users WHERE handle = 'heavy'"))).scalar_one()
        await db.execute(
            text(
                "INSERT INTO sessions (user_id, tool, label, intent, confidence, started_at, ended_at, "
                "asset_count, first_asset_id) "
                "SELECT :user, 'comfyui', 'session ' || s, 'exploration', 0.9, "
                "timestamptz '2026-01-01' + s * interval '1 day', "
                "timestamptz '2026-01-01' + s * interval '1 day' + interval '1 hour', "
                ":per, gen_random_uuid() "
                "FROM generate_series(1, :n) s"
            ),
            {"user": user_id, "per": ASSETS_PER_SESSION, "n": SESSIONS},
        )
        await db.execute(
            text(
                "INSERT INTO assets (user_id, record_id, tool, created_at, session_id, prompt, file_counter, "
                "file_name) SELECT :user, s.id || '-' || a, 'comfyui', s.started_at + a * interval '10 s', "
                "s.id, 'a lighthouse at dusk, oil painting', a, 'img_' || a || '.png' "
                "FROM sessions s, generate_series(1, :per) a WHERE s.user_id = :user"
            ),
            {"user": user_id, "per": ASSETS_PER_SESSION},
        )
    await engine.dispose()
    return settings, servers, tokens[0], tokens[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _serve(
    settings: AtelierSettings, extra_env: dict[str, str], checkout: Path | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """``atelier serve`` of this checkout, or of ``checkout`` (its code first on the path)."""
    port = _free_port()
    env = (
        os.environ
        | {
            "DATABASE_URL": settings.database_url or "",
            "REDIS_URL": settings.redis_url or "",
            "ATELIER_HOME": str(settings.home),
            "ATELIER_PORT": str(port),
            "ATELIER_EMBED_WORKER": "false",
            "ATELIER_GRAPHIQL": "false",
            "HF_HUB_OFFLINE": "1",
        }
        | ({"PYTHONPATH": str(checkout)} if checkout is not None else {})
        | extra_env
    )
    process = subprocess.Popen(  # noqa: ASYNC220 - a server that outlives this call, polled below
        [str(ATELIER), "serve"],
        env=env,
        cwd=checkout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"atelier serve exited with {process.returncode}")
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return process, base
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("atelier serve did not become healthy")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def _time_light(base: str, token: str, seconds: float, failures: list[str]) -> list[float]:
    """Light queries one after another (30 ms apart) for ``seconds``; each one's latency in ms (a
    failed answer is timed too, and added to ``failures``)."""
    samples: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        await http.post("/graphql", json={"query": LIGHT}, headers=headers)  # warm the connection
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline or len(samples) < 3:
            started = time.perf_counter()
            response = await http.post("/graphql", json={"query": LIGHT}, headers=headers)
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or "errors" in response.json():
                failures.append(f"{response.status_code} {response.text[:120]}")
            await asyncio.sleep(0.03)
    return samples


def _start_load(base: str, token: str, query: str, clients: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.api_isolation_bench", "--load", base, token, query, str(clients)],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
    )


async def _load(base: str, token: str, query: str, clients: int) -> None:
    """Heavy clients sending ``query`` back to back until killed; counts answers by status on exit."""
    counts: dict[int, int] = {}
    sizes: list[int] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=600) as http:
            while True:
                response = await http.post(
                    "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
                )
                counts[response.status_code] = counts.get(response.status_code, 0) + 1
                sizes.append(len(response.content))
                print(
                    json.dumps({"status": response.status_code, "bytes": len(response.content)}), flush=True
                )

    await asyncio.gather(*(client() for _ in range(clients)))


async def _scenario(
    settings: AtelierSettings,
    name: str,
    env: dict[str, str],
    heavy_query: str,
    tokens: tuple[str, str],
    seconds: float,
    checkout: Path | None = None,
) -> dict[str, object]:
    heavy_token, light_token = tokens
    process, base = await _serve(settings, env, checkout)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=600) as http:
            started = time.perf_counter()
            response = await http.post(
                "/graphql", json={"query": heavy_query}, headers={"Authorization": f"Bearer {heavy_token}"}
            )
            heavy_ms = (time.perf_counter() - started) * 1000
            body = response.json()
            assert "errors" not in body, body["errors"]
            heavy_bytes = len(response.content)
            heavy_cost = body.get("extensions", {}).get("cost", {}).get("requested")
        failures: list[str] = []
        phases = [Phase("idle", await _time_light(base, light_token, seconds, failures), failures)]
        for clients in (1, 10):
            load = _start_load(base, heavy_token, heavy_query, clients)
            await asyncio.sleep(1.0)  # let the heavy clients get going
            try:
                failures = []
                samples = await _time_light(base, light_token, seconds, failures)
                phases.append(Phase(f"{clients} heavy", samples, failures))
            finally:
                load.kill()
                output = load.communicate()[0].decode().splitlines()
            statuses = [json.loads(line)["status"] for line in output if line.startswith("{")]
            answered = ", ".join(f"{statuses.count(code)}× {code}" for code in sorted(set(statuses)))
            phases[-1].name += f" (heavy answers: {answered or 'none'})"
            await asyncio.sleep(1.0)  # the server finishes what the killed clients left
    finally:
        _stop(process)
    return {
        "name": name,
        "heavy_ms": heavy_ms,
        "heavy_bytes": heavy_bytes,
        "heavy_cost": heavy_cost,
        "phases": phases,
    }


def _report(results: list[dict[str, object]], seconds: float) -> str:
    lines = [
        "## API isolation — `bench/api_isolation_bench.py`",
        "",
        f"`atelier serve` on loopback (one process), {SESSIONS} sessions × {ASSETS_PER_SESSION} "
        f"assets of user `heavy`; user `light` times `{LIGHT}` for ~{seconds:g} s per phase, 30 ms "
        "apart, idle and while 1 and 10 heavy clients send the heavy query back to back. "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs "
        "(shared with other work: compare ratios within a run).",
        "",
        "| scenario | heavy query (cost, size, alone) | during | light p50 | light p90 | light max "
        "| p50 / idle p50 | light failed |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        phases = result["phases"]
        assert isinstance(phases, list)
        idle = phases[0].p50
        heavy = (
            f"cost {result['heavy_cost'] if result['heavy_cost'] is not None else 'n/a'}, "
            f"{int(result['heavy_bytes']) / 1e6:.2f} MB, {float(result['heavy_ms']):.0f} ms"  # type: ignore[arg-type]
        )
        for phase in phases:
            lines.append(
                f"| {result['name']} | {heavy} | {phase.name} | {phase.p50:.1f} ms | {phase.p90:.1f} ms | "
                f"{max(phase.samples_ms):.0f} ms | "
                f"{phase.p50 / idle:.1f}× | {len(phase.failures)} of {len(phase.samples_ms)} |"
            )
    for result in results:
        for phase in result["phases"]:  # type: ignore[attr-defined]
            if phase.failures:
                lines.append(f"\n{result['name']}, {phase.name}: first failure: `{phase.failures[0]}`")
    return "\n".join(lines) + "\n"


async def main(
    seconds: float, *, with_before: bool = True, max_cost: int | None = None, compare: Path | None = None
) -> str:
    home = Path(tempfile.mkdtemp(prefix="atelier-isolation-"))
    settings, servers, heavy_token, light_token = await _prepare(home)
    defaults = AtelierSettings(home=home)
    maximum = max_cost or defaults.api_max_query_cost
    try:
        results = []
        if with_before:
            results.append(
                await _scenario(
                    settings,
                    "before (no cost limits)",
                    {
                        "ATELIER_API_MAX_QUERY_COST": UNLIMITED,
                        "ATELIER_API_COST_BUDGET": UNLIMITED,
                        "ATELIER_API_MAX_CONCURRENT_PER_TOKEN": "1000",
                    },
                    issue_heavy(),
                    (heavy_token, light_token),
                    seconds,
                )
            )
        limits_env = {"ATELIER_API_COST_BUDGET": UNLIMITED, "ATELIER_API_MAX_QUERY_COST": str(maximum)}
        limits = (
            f"limits (max cost {maximum:,}, {defaults.api_max_concurrent_per_token} request/token at once)"
        )
        checkouts: list[Path | None] = [compare, None] if compare is not None else [None]
        for checkout in checkouts:  # another checkout first, as a before in the same run
            name = limits if checkout is None else f"{limits} — `{checkout.name}`"
            results.append(
                await _scenario(
                    settings,
                    name,
                    limits_env,
                    heaviest_allowed(maximum),
                    (heavy_token, light_token),
                    seconds,
                    checkout,
                )
            )
    finally:
        servers.stop()
        shutil.rmtree(home, ignore_errors=True)
    return _report(results, seconds)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        _, _, url, load_token, load_query, load_clients = sys.argv
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_load(url, load_token, load_query, int(load_clients)))
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=8.0, help="How long each phase times the light query"
    )
    parser.add_argument("--without-before", action="store_true", help="Skip the scenario without limits")
    parser.add_argument("--max-cost", type=int, help="The maximum cost to measure (default: the setting's)")
    parser.add_argument(
        "--compare", type=Path, help="Another checkout whose server runs the limits scenario first (a before)"
    )
    arguments = parser.parse_args()
    report = asyncio.run(
        main(
            arguments.seconds,
            with_before=not arguments.without_before,
            max_cost=arguments.max_cost,
            compare=arguments.compare.resolve() if arguments.compare else None,
        )
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(report)
    print(report)
