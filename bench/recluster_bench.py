"""Incremental re-clustering in a large library, against a full re-cluster in the same run.

Target (issue: session engine): re-clustering after 100 new records in a 500k-asset library ≤ 0.5 s.

One artist's library of ``--assets`` records (simulated artists laid end to end in time, so it is one
user's stream of that size) is imported into the embedded PostgreSQL through the real import path.
Then, each in its own transaction, with the time of :func:`recluster_span` alone and of the whole
``import_paths`` call (parse, COPY, re-cluster):

- 100 new records appended after the last session (the everyday case: tonight's work);
- 100 new records dropped into a quiet gap in the middle of the history (a late import of old files);

and, as the baseline, :func:`recluster_user` over the whole stream.

Run: ``python -m bench.recluster_bench [--assets 500000]``. Writes ``bench/out/recluster_bench.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from bench.simulate import simulate_many
from catalog.database import create_database_engine, create_session_factory, unit_of_work
from catalog.embedded_servers import EmbeddedServers
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.migration_runner import upgrade_async
from catalog.models import Asset, Session, User
from catalog.sessions.reclustering import recluster_span, recluster_user
from catalog.settings import AtelierSettings
from engine.record_codec import record_to_json
from engine.records import GenerationRecord

OUT = Path(__file__).resolve().parent / "out" / "recluster_bench.md"
NEW_RECORDS = 100
USER = "artist"


def one_artist_history(count: int) -> list[GenerationRecord]:
    """``count`` simulated records re-timed so the simulated artists follow one another: one stream."""
    records = list(simulate_many(count, seed=11))
    by_artist: dict[str | None, list[GenerationRecord]] = {}
    for record in records:
        by_artist.setdefault(record.user, []).append(record)
    shift = timedelta(0)
    timeline: list[GenerationRecord] = []
    for artist_records in by_artist.values():
        timed = [r.created_at for r in artist_records if r.created_at is not None]
        if not timed:
            continue
        offset = shift - (min(timed) - records[0].created_at if records[0].created_at else timedelta(0))
        for record in artist_records:
            if record.created_at is not None:
                record.created_at += offset
            record.user = None
            timeline.append(record)
        shift += max(timed) - min(timed) + timedelta(days=1)
    return timeline


def _write_jsonl(path: Path, records: list[GenerationRecord]) -> Path:
    with path.open("w") as out:
        for record in records:
            out.write(json.dumps(record_to_json(record)) + "\n")
    return path


def _new_records(
    template: list[GenerationRecord], start_after: object, prefix: str
) -> list[GenerationRecord]:
    """100 records of one new session right after ``start_after`` (a datetime), one a minute."""
    fresh = []
    for index, record in enumerate(template[:NEW_RECORDS]):
        clone = GenerationRecord(**{name: getattr(record, name) for name in GenerationRecord.__slots__})
        clone.id = f"{prefix}-{index:03d}"
        clone.user = None
        clone.created_at = start_after + timedelta(minutes=index + 1)  # type: ignore[operator]
        fresh.append(clone)
    return fresh


async def run(asset_count: int) -> str:
    home = Path(tempfile.mkdtemp(prefix="atelier-recluster-bench-"))
    servers = EmbeddedServers(AtelierSettings(home=home, database_url=None, redis_url=None))
    urls = servers.start()
    engine = create_database_engine(urls.database_url, pool_size=4)
    try:
        await upgrade_async(urls.database_url)
        settings = AtelierSettings(home=home, database_url=urls.database_url, redis_url=None)
        factory = create_session_factory(engine)
        history = one_artist_history(asset_count)
        work = home / "work"
        work.mkdir()

        started = time.perf_counter()
        report = await import_paths(
            factory,
            settings,
            user_handle=USER,
            paths=[_write_jsonl(work / "history.jsonl", history)],
            thumbnails=ThumbnailMode.SKIP,
        )
        load_seconds = time.perf_counter() - started
        async with factory() as db:
            user_id = await db.scalar(select(User.id).where(User.handle == USER))
            stored = await db.scalar(select(func.count()).select_from(Asset))
            sessions = await db.scalar(select(func.count()).select_from(Session))
            last_time = await db.scalar(select(func.max(Asset.created_at)))
            # a quiet gap in the middle: the longest gap between sessions around the median time
            starts = list(await db.scalars(select(Session.started_at).order_by(Session.started_at)))
        assert user_id is not None and last_time is not None
        middle = starts[len(starts) // 2]
        template = [record for record in history if record.prompt][: NEW_RECORDS * 2]

        rows = []
        cases = (
            ("appended after the last session", last_time),
            ("dropped into the middle of the history", middle - timedelta(hours=6)),
        )
        for case, after in cases:
            fresh = _new_records(template, after, prefix=case.split()[0])
            started = time.perf_counter()
            added = await import_paths(
                factory,
                settings,
                user_handle=USER,
                paths=[_write_jsonl(work / f"{case.split()[0]}.jsonl", fresh)],
                thumbnails=ThumbnailMode.SKIP,
            )
            import_seconds = time.perf_counter() - started
            # the re-cluster alone, again (idempotent: same result), timed on its own
            async with factory() as db:
                new_ids = list(
                    await db.scalars(select(Asset.id).where(Asset.record_id.in_([r.id for r in fresh])))
                )
            started = time.perf_counter()
            async with unit_of_work(factory) as db:
                summary = await recluster_span(db, user_id, new_ids)
            span_seconds = time.perf_counter() - started
            assert added.records_imported == NEW_RECORDS
            assert sum(s.assets_considered for s in added.reclustering) >= NEW_RECORDS, added.reclustering
            # sessions the import's own re-cluster made or changed (the timed repeat changes none)
            written = added.sessions_touched
            rows.append((case, span_seconds, import_seconds, summary.assets_considered, written))

        started = time.perf_counter()
        async with unit_of_work(factory) as db:
            full = await recluster_user(db, user_id)
        full_seconds = time.perf_counter() - started

        # a re-description after an engine upgrade: every stored label and phase described anew
        async with unit_of_work(factory) as db:
            await db.execute(text("UPDATE sessions SET label = 'old' WHERE user_id = :u"), {"u": user_id})
            await db.execute(
                text(
                    "UPDATE phases SET label = 'old' "
                    "WHERE session_id IN (SELECT id FROM sessions WHERE user_id = :u)"
                ),
                {"u": user_id},
            )
        started = time.perf_counter()
        async with unit_of_work(factory) as db:
            redescribed = await recluster_user(db, user_id, keep_sessions=True)
        redescribe_seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
        servers.stop()
        shutil.rmtree(home, ignore_errors=True)

    lines = [
        f"# Incremental re-clustering — {stored:,} assets of one user, {sessions:,} sessions",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}; embedded PostgreSQL 18. "
        f"Library loaded through `import_paths` (JSONL, COPY, one re-cluster) in {load_seconds:.1f} s "
        f"({report.records_imported:,} records).",
        "",
        "| 100 new records | recluster_span | whole import_paths | assets in span | "
        "sessions new or changed | share of full re-cluster |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for case, span_seconds, import_seconds, considered, written in rows:
        lines.append(
            f"| {case} | {span_seconds:.3f} s | {import_seconds:.3f} s | {considered:,} | {written} | "
            f"{span_seconds / full_seconds:.2%} |"
        )
    lines.append(
        f"| baseline: `recluster_user` (whole stream) | {full_seconds:.2f} s | — | "
        f"{full.assets_considered:,} | {full.sessions_written:,} | 100% |"
    )
    lines.append(
        f"| re-description after an upgrade (`recluster_user(keep_sessions=True)`, every label rewritten) "
        f"| {redescribe_seconds:.2f} s | — | {redescribed.assets_considered:,} | "
        f"{redescribed.sessions_written:,} | {redescribe_seconds / full_seconds:.0%} |"
    )
    report_text = "\n".join(lines)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(report_text + "\n")
    return report_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=500_000)
    arguments = parser.parse_args()
    print(asyncio.run(run(arguments.assets)))


if __name__ == "__main__":
    main()
