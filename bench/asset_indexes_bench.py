"""What taking expression indexes off ``assets`` changed (migrations 0012 and 0013), in one run.

Every index of ``assets`` gets an entry for each new row version, and a re-clustering rewrites every
asset it moves (session and phase are indexed, so no update is HOT); an *expression* index evaluates
its expression each time. Migration 0012 moved the prompt full text to ``prompt_texts`` (one vector per
distinct prompt), 0013 stored the named-parent lookup's two stems in plain columns. Two measurements,
each against the former schema rebuilt in the same database and run alternately:

1. **A re-clustering's write.** The ``--files`` images of ``bench.import_library`` (what
   ``bench/import_bench.py`` imports) are imported through ``import_paths``; then, on fresh copies
   of that database (``CREATE DATABASE … TEMPLATE``), every asset's session and phase are rewritten in
   one ``UPDATE`` (what a re-clustering of a new import writes), with the schema as it is, with the
   former stem expression indexes (before 0013), and with those and the former per-asset
   ``to_tsvector`` GIN index (before 0012).
2. **The lexical search's candidates.** One artist's ``--assets`` assets over ``--prompts`` prompts and a
   neighbour sharing some of their words (inserted by SQL): :func:`catalog.search.candidates.
   prompts_matching_words` against the statement it replaced (which matched every asset row through the
   former index), both through SQLAlchemy, each call in its own transaction. Both must return the same
   prompts and scores.

Run: ``python -m bench.asset_indexes_bench``. Writes ``bench/out/asset_indexes_bench.md``.
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
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bench.import_bench import fresh_database
from bench.import_library import write_import_library
from catalog.database import SessionFactory, create_database_engine, create_session_factory
from catalog.embedded_servers import EmbeddedServers
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.migration_runner import upgrade_async
from catalog.search.candidates import TEXT_SEARCH_CONFIG, PromptScore, prompts_matching_words
from catalog.sessions.explicit_lineage import REFERENCE_SQL
from catalog.settings import AtelierSettings

OUT = Path(__file__).resolve().parent / "out" / "asset_indexes_bench.md"
FORMER_INDEX = (
    "CREATE INDEX ix_assets_prompt_fts ON assets "
    f"USING gin (to_tsvector('{TEXT_SEARCH_CONFIG}'::regconfig, coalesce(prompt, '')))"
)
FORMER_FILE_STEM_SQL = r"regexp_replace(regexp_replace(file_name, '^.*[/\\]', ''), '\.[^.]*$', '')"
"""Migration 0007's indexed stem expression."""
FORMER_STEM_INDEXES = (
    "DROP INDEX ix_assets_user_file_stem",
    "DROP INDEX ix_assets_user_reference_stem",
    f"CREATE INDEX ix_assets_user_file_stem ON assets (user_id, ({FORMER_FILE_STEM_SQL}))",
    "CREATE INDEX ix_assets_user_reference_stem ON assets "
    f"(user_id, ({FORMER_FILE_STEM_SQL.replace('file_name', REFERENCE_SQL)})) "
    f"WHERE {REFERENCE_SQL} IS NOT NULL",
)
"""Migration 0007's expression indexes, in place of 0013's column indexes."""
SCHEMAS: dict[str, tuple[str, ...]] = {
    "before 0012 and 0013 (per-asset full text, stem expressions)": (FORMER_INDEX, *FORMER_STEM_INDEXES),
    "before 0013 (stem expressions)": FORMER_STEM_INDEXES,
    "**now**": (),
}
REWRITE = "UPDATE assets SET session_id = NULL, phase_id = NULL"
FORMER_CANDIDATES = f"""
    WITH q AS (
        SELECT replace(plainto_tsquery('{TEXT_SEARCH_CONFIG}', :text)::text, ' & ', ' | ')::tsquery AS query
    ),
    matched AS (
        SELECT DISTINCT a.prompt_sha256 FROM assets a, q
        WHERE a.user_id = :user_id AND a.prompt_sha256 IS NOT NULL
          AND to_tsvector('{TEXT_SEARCH_CONFIG}', coalesce(a.prompt, '')) @@ q.query
    )
    SELECT m.prompt_sha256, ts_rank(to_tsvector('{TEXT_SEARCH_CONFIG}', p.prompt), q.query) AS score
    FROM matched m CROSS JOIN q CROSS JOIN LATERAL (
        SELECT a.prompt FROM assets a WHERE a.user_id = :user_id AND a.prompt_sha256 = m.prompt_sha256 LIMIT 1
    ) p
    ORDER BY score DESC, m.prompt_sha256 LIMIT :limit
"""
"""The candidate statement before migration 0012 (it needs ``ix_assets_prompt_fts``)."""
WORDS = ["lighthouse", "storm", "castle", "fox", "neon", "city", "forest", "portrait", "ocean", "dragon"]
QUERIES = ("lighthouse storm", "dragon", "neon city at night", "zebra")
LIMIT = 100


def _socket_dir(url: str) -> str:
    return url.split("host=", 1)[1].split("&", 1)[0]


async def _rewrite_seconds(socket_dir: str, template: str, schema: tuple[str, ...]) -> float:
    admin = await asyncpg.connect(host=socket_dir, user="postgres", database="postgres")
    try:
        await admin.execute("DROP DATABASE IF EXISTS asset_indexes_copy")
        await admin.execute(f"CREATE DATABASE asset_indexes_copy TEMPLATE {template}")
        copy = await asyncpg.connect(host=socket_dir, user="postgres", database="asset_indexes_copy")
        try:
            for statement in schema:
                await copy.execute(statement)
            await copy.execute("VACUUM ANALYZE assets")
            started = time.perf_counter()
            await copy.execute(REWRITE)
            return time.perf_counter() - started
        finally:
            await copy.close()
    finally:
        await admin.execute("DROP DATABASE IF EXISTS asset_indexes_copy")
        await admin.close()


async def _search_library(connection: asyncpg.Connection, assets: int, prompts: int) -> uuid.UUID:
    """One artist's ``assets`` assets over ``prompts`` prompts (40 consecutive assets per prompt) and a
    neighbour's quarter as many over a tenth of the prompts; returns the artist's user id."""
    artist = await connection.fetchval(
        "INSERT INTO users (id, handle) VALUES (gen_random_uuid(), 'a') RETURNING id"
    )
    neighbour = await connection.fetchval(
        "INSERT INTO users (id, handle) VALUES (gen_random_uuid(), 'b') RETURNING id"
    )
    for user_id, count, distinct in (
        (artist, assets, prompts),
        (neighbour, assets // 4, max(1, prompts // 10)),
    ):
        await connection.execute(
            f"""
            INSERT INTO assets (id, user_id, record_id, tool, prompt, prompt_sha256)
            SELECT gen_random_uuid(), $1, 'r' || g, 'comfyui', x.prompt, sha256(convert_to(x.prompt, 'UTF8'))
            FROM generate_series(1, {count}) AS g, LATERAL (
                SELECT (ARRAY{WORDS})[1 + (g / 40 * 7) % {len(WORDS)}] || ' '
                    || (ARRAY{WORDS})[1 + (g / 40 * 3) % {len(WORDS)}] || ' study number '
                    || ((g / 40) % {distinct}) AS prompt
            ) AS x
            """,
            user_id,
        )
    await connection.execute("VACUUM ANALYZE")
    return uuid.UUID(str(artist))


Candidates = Callable[[AsyncSession, uuid.UUID, str], Awaitable[list[PromptScore]]]


async def _current(db: AsyncSession, user_id: uuid.UUID, words: str) -> list[PromptScore]:
    return await prompts_matching_words(db, user_id, words, limit=LIMIT)


async def _former(db: AsyncSession, user_id: uuid.UUID, words: str) -> list[PromptScore]:
    rows = await db.execute(text(FORMER_CANDIDATES), {"user_id": user_id, "text": words, "limit": LIMIT})
    return [PromptScore(bytes(sha), float(score)) for sha, score in rows.all()]


async def _timed(
    factory: SessionFactory,
    candidates: Candidates,
    user_id: uuid.UUID,
    words: str,
    repeats: int,
) -> tuple[float, list[PromptScore]]:
    """Median seconds of ``candidates`` (each call in its own transaction, as the API runs it), and
    what it found."""
    samples = []
    found: list[PromptScore] = []
    for _ in range(repeats):
        async with factory() as db:
            started = time.perf_counter()
            found = await candidates(db, user_id, words)
            samples.append(time.perf_counter() - started)
    return statistics.median(samples), found


async def run(files: int, rounds: int, assets: int, prompts: int, repeats: int) -> str:
    home = Path(tempfile.mkdtemp(prefix="atelier-asset-indexes-bench-"))
    servers = EmbeddedServers(AtelierSettings(home=home, database_url=None, redis_url=None))
    urls = servers.start()
    try:
        socket_dir = _socket_dir(urls.database_url)
        imported_url = await fresh_database(urls.database_url, "asset_indexes_import")
        await upgrade_async(imported_url)
        settings = AtelierSettings(home=home, database_url=imported_url, redis_url=None)
        write_import_library(home / "library", files)
        engine = create_database_engine(imported_url, pool_size=2)
        try:
            report = await import_paths(
                create_session_factory(engine),
                settings,
                user_handle="artist",
                paths=[home / "library"],
                thumbnails=ThumbnailMode.SKIP,
            )
        finally:
            await engine.dispose()
        rewrite: dict[str, list[float]] = {name: [] for name in SCHEMAS}
        for _ in range(rounds):
            for name, schema in SCHEMAS.items():
                rewrite[name].append(await _rewrite_seconds(socket_dir, "asset_indexes_import", schema))

        search_url = await fresh_database(urls.database_url, "asset_indexes_search")
        await upgrade_async(search_url)
        connection = await asyncpg.connect(host=socket_dir, user="postgres", database="asset_indexes_search")
        search_engine = create_database_engine(search_url, pool_size=2)
        try:
            artist = await _search_library(connection, assets, prompts)
            distinct = await connection.fetchval("SELECT count(*) FROM prompt_texts")
            factory = create_session_factory(search_engine)
            now = {words: await _timed(factory, _current, artist, words, repeats) for words in QUERIES}
            await connection.execute(FORMER_INDEX)
            await connection.execute("ANALYZE assets")
            before = {words: await _timed(factory, _former, artist, words, repeats) for words in QUERIES}
        finally:
            await search_engine.dispose()
            await connection.close()
        for words in QUERIES:
            assert now[words][1] == before[words][1], f"different candidates for {words!r}"
    finally:
        servers.stop()
        shutil.rmtree(home, ignore_errors=True)

    stored = report.imported + report.records_imported
    first_rewrite = statistics.median(next(iter(rewrite.values())))
    lines = [
        "# Expression indexes off `assets` (migrations 0012, 0013)",
        "",
        f"Python {platform.python_version()}, {platform.machine()}; medians, both schemas in one run.",
        "",
        f"Re-clustering's write: `{REWRITE}` over the {stored:,} assets of `bench.import_library`'s "
        f"{files:,} files, {rounds} alternating rounds on fresh copies:",
        "",
        "| schema | median | all rounds | ratio |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {statistics.median(times) * 1000:.0f} ms | "
            + ", ".join(f"{seconds * 1000:.0f}" for seconds in times)
            + f" | {statistics.median(times) / first_rewrite:.2f} |"
            for name, times in rewrite.items()
        ),
        "",
        f"Lexical candidates: one artist's {assets:,} assets over {prompts:,} prompts and a neighbour's "
        f"{assets // 4:,} ({distinct:,} distinct prompts in `prompt_texts`); median of {repeats}; the same "
        "prompts and scores from both statements (asserted):",
        "",
        "| search text | former statement | **now** | ratio | candidates |",
        "|---|---:|---:|---:|---:|",
    ]
    for words in QUERIES:
        former_seconds, rows = before[words]
        now_seconds = now[words][0]
        ratio = f"{now_seconds / former_seconds:.2f}" if former_seconds > 0 else "–"
        lines.append(
            f"| {words} | {former_seconds * 1000:.1f} ms | **{now_seconds * 1000:.1f} ms** | {ratio} "
            f"| {len(rows)} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--assets", type=int, default=200_000)
    parser.add_argument("--prompts", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    report = asyncio.run(run(args.files, args.rounds, args.assets, args.prompts, args.repeats))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
