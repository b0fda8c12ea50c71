"""Search on a large library: ``viewer.search`` and ``session.similarSessions`` through the real app.

One artist with ``--assets`` assets (default 200,000) in sessions of 50, using ``--prompts`` distinct
prompts (default 10,000; each reused by consecutive generations, as refinement does), and a neighbour
with a quarter as many assets (their own prompts plus some of the artist's, so embedding rows are
shared). Every distinct prompt is embedded with the real all-MiniLM-L6-v2; the HNSW index of migration
0009 is (re)built over them. Rows are written with SQL (the import path is measured elsewhere).

Measured in the same run, p50 over ``--runs`` requests each (the search texts' vectors are cached after
the first round, so the model's own time is reported apart):
- ``viewer.search`` SEMANTIC (first 20) through GraphQL, and its candidate statement alone (raw SQL);
- ``viewer.search`` LEXICAL (embeddings switched off) through GraphQL;
- ``session.similarSessions(first: 5)`` through GraphQL;
- SQL statements per request, and ``EXPLAIN ANALYZE`` of the candidate statement (index use).

Run: ``python -m bench.search_bench [--assets 200000] [--prompts 10000] [--runs 30]``.
Writes ``bench/out/search_bench.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from api.app import create_app
from catalog.accounts import service as accounts
from catalog.database import SessionFactory, create_database_engine, create_session_factory, unit_of_work
from catalog.embedded_servers import EmbeddedServers
from catalog.migration_runner import upgrade_async
from catalog.search.candidates import NEAREST_BY_INDEX
from catalog.search.query_embedding import shared_prompt_embedder
from catalog.search.service import search_library
from catalog.settings import AtelierSettings
from catalog.tasks import PROMPT_EMBEDDING_MODEL

OUT = Path(__file__).resolve().parent / "out" / "search_bench.md"
SUBJECTS = (
    "lighthouse in a storm", "bowl of ramen", "art deco robot", "misty pine forest", "desert dunes",
    "portrait of an old sailor", "neon-lit alley at night", "koi pond in autumn", "castle on a hill",
    "astronaut in a flower field", "red fox in the snow", "cyberpunk street market", "cozy reading nook",
    "ancient library", "underwater city", "steam locomotive", "mountain lake at dawn", "samurai in the rain",
    "cat wearing a crown", "floating islands", "glass greenhouse", "dragon over a village",
    "vintage race car", "jellyfish swarm", "snowy cabin", "street food stall", "ballet dancer",
    "hot air balloons", "medieval market", "crystal cave",
)  # fmt: skip
STYLES = (
    "oil painting", "watercolor", "cinematic photo", "ukiyo-e", "pixel art", "isometric render",
    "charcoal sketch", "studio ghibli style", "35mm film", "low poly", "art nouveau poster", "gouache",
)  # fmt: skip
DETAILS = (
    "golden hour", "volumetric light", "dramatic sky", "soft fog", "high detail", "muted colors",
    "rim light", "wide angle", "bokeh", "long shadows",
)  # fmt: skip
TEXTS = (
    "beacon tower on a rocky shore during a tempest",
    "noodle soup with chopsticks",
    "a mechanical man in brass",
    "foggy woods with pine trees",
    "sand dunes under the evening sun",
)
SESSION_SIZE = 50
REUSE = 20
"""Consecutive generations sharing one prompt."""


def prompts(count: int) -> list[str]:
    out: list[str] = []
    for index in range(count):
        subject = SUBJECTS[index % len(SUBJECTS)]
        style = STYLES[(index // len(SUBJECTS)) % len(STYLES)]
        detail = DETAILS[(index // (len(SUBJECTS) * len(STYLES))) % len(DETAILS)]
        round_ = index // (len(SUBJECTS) * len(STYLES) * len(DETAILS))
        out.append(f"{subject}, {style}, {detail}" + (f", seed study {round_}" if round_ else ""))
    return out


async def fill(factory: SessionFactory, handle: str, assets: int, library: list[str]) -> uuid.UUID:
    """``assets`` assets of a new user over ``library``, in sessions of :data:`SESSION_SIZE`."""
    async with unit_of_work(factory) as db:
        user = await accounts.get_or_create_user(db, handle)
        await db.execute(
            text(
                """
                WITH rows AS (
                    SELECT g, (CAST(:prompts AS text[]))[1 + (g / :reuse) % :prompt_count] AS prompt
                    FROM generate_series(0, :count - 1) g
                )
                INSERT INTO assets (user_id, record_id, tool, created_at, prompt, prompt_sha256)
                SELECT :user_id, 'r' || g, 'comfyui', timestamptz '2024-01-01' + g * interval '40 seconds'
                       + (g / :session_size) * interval '3 hours', prompt, sha256(convert_to(prompt, 'UTF8'))
                FROM rows
                """
            ),
            {
                "prompts": library,
                "prompt_count": len(library),
                "reuse": REUSE,
                "count": assets,
                "user_id": user.id,
                "session_size": SESSION_SIZE,
            },
        )
        await db.execute(
            text(
                """
                WITH numbered AS (
                    SELECT id, created_at, (row_number() OVER (ORDER BY created_at, id) - 1) / :size AS n
                    FROM assets WHERE user_id = :user_id
                ), grouped AS (
                    SELECT gen_random_uuid() AS id, n, min(created_at) AS started_at,
                           max(created_at) AS ended_at, count(*) AS c,
                           (array_agg(id ORDER BY created_at, id))[1] AS first_asset
                    FROM numbered GROUP BY n
                ), made AS (
                    INSERT INTO sessions (id, user_id, tool, label, intent, confidence, started_at, ended_at,
                                          asset_count, first_asset_id)
                    SELECT id, :user_id, 'comfyui', 'session ' || n, 'exploration', 0.9, started_at, ended_at,
                           c, first_asset FROM grouped
                    RETURNING id
                )
                UPDATE assets a SET session_id = g.id
                FROM numbered x JOIN grouped g ON g.n = x.n
                WHERE a.id = x.id
                """
            ),
            {"user_id": user.id, "size": SESSION_SIZE},
        )
    return user.id


async def embed(factory: SessionFactory, distinct: list[str]) -> float:
    """Embed every distinct prompt with the real model (returns its seconds); store; rebuild HNSW."""
    started = time.perf_counter()
    vectors = await asyncio.to_thread(shared_prompt_embedder().embed_prompts, distinct)
    model_seconds = time.perf_counter() - started
    async with unit_of_work(factory) as db:
        await db.execute(text("DROP INDEX ix_prompt_embeddings_hnsw"))
        await db.execute(
            text(
                "INSERT INTO prompt_embeddings (prompt_sha256, model, embedding) "
                "SELECT sha256(convert_to(p, 'UTF8')), :model, CAST(v AS vector) "
                "FROM unnest(CAST(:prompts AS text[]), CAST(:vectors AS text[])) AS t(p, v) "
                "ON CONFLICT DO NOTHING"
            ),
            {
                "model": PROMPT_EMBEDDING_MODEL,
                "prompts": list(vectors),
                "vectors": ["[" + ",".join(f"{x:.7f}" for x in vectors[p]) + "]" for p in vectors],
            },
        )
        await db.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        await db.execute(
            text(
                "CREATE INDEX ix_prompt_embeddings_hnsw ON prompt_embeddings "
                "USING hnsw (embedding vector_cosine_ops)"
            )
        )
    async with factory() as db:
        await db.execute(text("COMMIT"))
        await db.execute(text("VACUUM ANALYZE assets"))
        await db.execute(text("VACUUM ANALYZE prompt_embeddings"))
        await db.execute(text("VACUUM ANALYZE sessions"))
    return model_seconds


async def p50_ms(runs: int, call: Callable[[], Awaitable[Any]]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


SEARCH = """query($t: String!) { viewer { search(text: $t, first: 20) { mode
  sessions { score session { id label assetCount } bestMatch { id prompt } }
  assets { score asset { id prompt } } } } }"""
SIMILAR = """query($id: ID!) { session(id: $id) {
  similarSessions(first: 5) { mode sessions { score session { id } } } } }"""


async def graphql(http: httpx.AsyncClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body


async def run(settings: AtelierSettings, assets: int, prompt_count: int, runs: int) -> list[str]:
    engine = create_database_engine(settings.database_url or "")
    factory = create_session_factory(engine)
    library = prompts(prompt_count)
    started = time.perf_counter()
    artist = await fill(factory, "artist", assets, library)
    neighbour_library = [f"{p}, neighbour edit" for p in library[: prompt_count // 4]] + library[:500]
    await fill(factory, "neighbour", assets // 4, neighbour_library)
    fill_seconds = time.perf_counter() - started
    model_seconds = await embed(factory, sorted(set(library) | set(neighbour_library)))
    async with unit_of_work(factory) as db:
        token = (await accounts.issue_token(db, "artist")).plaintext
        session_id = await db.scalar(
            text("SELECT id FROM sessions WHERE user_id = :u LIMIT 1"), {"u": artist}
        )

    lines = [
        f"library: {assets:,} assets of one artist in sessions of {SESSION_SIZE} over "
        f"{prompt_count:,} prompts (+ a neighbour with {assets // 4:,}); "
        f"rows written in {fill_seconds:.0f} s; "
        f"{prompt_count + prompt_count // 4:,} prompts embedded by the real model in {model_seconds:.0f} s",
        f"machine: {platform.machine()}, {platform.python_version()}; p50 of {runs} requests each",
        "",
        "| request | p50 ms | SQL statements |",
        "|---|---:|---:|",
    ]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    async def measured(name: str, call: Callable[[], Awaitable[Any]]) -> None:
        await call()  # warm: model loaded, text embedded, pages cached
        statements.clear()
        event.listen(Engine, "before_cursor_execute", count)
        try:
            await call()
            per_request = len(statements)
        finally:
            event.remove(Engine, "before_cursor_execute", count)
        lines.append(f"| {name} | {await p50_ms(runs, call):.1f} | {per_request} |")

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for text_ in TEXTS:
                body = await graphql(http, token, SEARCH, t=text_)
                assert body["data"]["viewer"]["search"]["mode"] == "SEMANTIC"
            counter = iter(range(10**9))
            await measured(
                "viewer.search SEMANTIC, first 20 (GraphQL)",
                lambda: graphql(http, token, SEARCH, t=TEXTS[next(counter) % len(TEXTS)]),
            )
            await measured(
                "session.similarSessions(first: 5) SEMANTIC (GraphQL)",
                lambda: graphql(http, token, SIMILAR, id=f"Session:{session_id}"),
            )
    off = create_app(settings.model_copy(update={"prompt_embeddings": False}))
    async with off.router.lifespan_context(off):
        transport = httpx.ASGITransport(app=off)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            await measured(
                "viewer.search LEXICAL (embeddings off), 'lighthouse storm' (GraphQL)",
                lambda: graphql(http, token, SEARCH, t="lighthouse storm"),
            )

    query = (await asyncio.to_thread(shared_prompt_embedder().embed_prompts, [TEXTS[0]]))[TEXTS[0]]
    started = time.perf_counter()
    for _ in range(runs):
        await asyncio.to_thread(shared_prompt_embedder().embed_prompts, [f"{TEXTS[0]} {_}"])
    model_ms = (time.perf_counter() - started) * 1000 / runs
    params = {"query": np.asarray(query), "user_id": artist, "exclude_session_id": None, "limit": 100,
              "model": PROMPT_EMBEDDING_MODEL}  # fmt: skip

    async def raw_candidates() -> None:
        async with factory() as db:
            await db.execute(text("SELECT set_config('hnsw.iterative_scan', 'strict_order', true), "
                                  "set_config('hnsw.ef_search', '100', true)"))  # fmt: skip
            await db.execute(NEAREST_BY_INDEX, params)

    class CachedText:
        problem = None

        async def vector(self, _text: str) -> np.ndarray:
            return np.asarray(query)

    async def service_only() -> None:
        await search_library(factory, artist, TEXTS[0], first=20, embedder=CachedText())  # type: ignore[arg-type]

    lines.append(
        f"| the same search's SQL without GraphQL (`catalog.search.search_library`, vector cached) | "
        f"{await p50_ms(runs, service_only):.1f} | 5–6 |"
    )
    lines.append(f"| candidate prompts alone (raw SQL: settings + HNSW statement, 100 prompts) | "
                 f"{await p50_ms(runs, raw_candidates):.1f} | 2 |")  # fmt: skip
    lines.append(f"| embedding a new search text (model, in a thread; not cached) | {model_ms:.1f} | 0 |")
    async with factory() as db:
        await db.execute(text("SELECT set_config('hnsw.iterative_scan', 'strict_order', true), "
                              "set_config('hnsw.ef_search', '100', true)"))  # fmt: skip
        explain = text("EXPLAIN (ANALYZE, COSTS OFF) " + NEAREST_BY_INDEX.text).bindparams(
            *NEAREST_BY_INDEX._bindparams.values()
        )
        plan = [row[0] for row in await db.execute(explain, params)]
    lines += ["", "EXPLAIN ANALYZE of the candidate statement (query vector elided):", "", "```"]
    lines += [line if "<=>" not in line else line.split("<=>")[0] + "<=> $query)" for line in plan]
    lines.append("```")
    await engine.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=200_000)
    parser.add_argument("--prompts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="atelier-search-bench-"))
    servers = EmbeddedServers(AtelierSettings(home=home, database_url=None, redis_url=None))
    try:
        urls = servers.start()
        asyncio.run(upgrade_async(urls.database_url))
        settings = AtelierSettings(home=home, database_url=urls.database_url, redis_url=None)
        lines = asyncio.run(run(settings, args.assets, args.prompts, args.runs))
    finally:
        servers.stop()
        shutil.rmtree(home, ignore_errors=True)
    report = "\n".join([f"# search bench ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)", "", *lines, ""])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
