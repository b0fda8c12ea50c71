"""The worker's prompt-embedding job on a large library, against the job's previous design in the same run.

One artist's simulated history (``--days`` of ``bench/simulate.py``, one user; 360 days ≈ 21,000
images and 2,800 distinct prompts) is imported into a fresh database on the embedded PostgreSQL through
the real import path (thumbnails skipped), then embedded with the bundled sentence model (loaded and
warmed once, before any timing):

- **now**: :func:`catalog.tasks.embed_prompts` as the worker runs it — batches of
  :data:`~catalog.tasks.EMBED_BATCH` prompts stored with ``clustering_owed`` marks, one re-clustering of
  the user's owed images at the end;
- **baseline**: the design before (twentieth session), re-created here: the same batches, each followed
  by a span re-clustering of the images using that batch's prompts. A batch's prompts lie all over the
  history, so each of those spans is the whole library.

Each variant runs on its own fresh import of the same library (the order alternates between repeats).
Reported: wall seconds of the job, the seconds spent re-clustering, and how many re-clusterings ran.

    python -m bench.embedding_bench                 # 360 days, 1 repeat
    python -m bench.embedding_bench --days 60 --repeats 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.import_bench import fresh_database, upgrade
from bench.simulate import simulate_library
from catalog import tasks
from catalog.database import SessionFactory, create_database_engine, create_session_factory, unit_of_work
from catalog.embedded_servers import EmbeddedServers
from catalog.importing import owed_work
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.library_locks import lock_user_library
from catalog.prompt_embeddings import assets_using_prompts, embed_missing_prompts
from catalog.search.query_embedding import shared_prompt_embedder
from catalog.sessions import reclustering
from catalog.settings import AtelierSettings
from engine.record_codec import record_to_json

OUT_DIR = Path(__file__).resolve().parent / "out"


@dataclass(frozen=True, slots=True)
class JobRun:
    variant: str
    seconds: float
    recluster_seconds: float
    reclusterings: int
    prompts: int


class ReclusterClock:
    """Times every span re-clustering (``reclustering.recluster_span``, which both variants reach)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0
        self._original = reclustering.recluster_span

    def __enter__(self) -> ReclusterClock:
        original = self._original

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.count += 1

        reclustering.recluster_span = timed
        owed_work.recluster_span = timed
        return self

    def __exit__(self, *exc: object) -> None:
        reclustering.recluster_span = self._original
        owed_work.recluster_span = self._original


async def embed_then_recluster_each_batch(factory: SessionFactory, embedder: Any) -> int:
    """The baseline: the job before this bench existed (a span re-clustering after every batch)."""
    embedded = 0
    while True:
        async with unit_of_work(factory) as session:
            covered = await embed_missing_prompts(
                session,
                embedder.embed_prompts,
                model=tasks.PROMPT_EMBEDDING_MODEL,
                batch_size=tasks.EMBED_BATCH,
            )
        if not covered:
            return embedded
        embedded += len(covered)
        async with factory() as session:
            users = await assets_using_prompts(session, covered)
        for owner_id, asset_ids in sorted(users.items()):
            async with unit_of_work(factory) as session:
                await lock_user_library(session, owner_id)
                await reclustering.recluster_span(session, owner_id, asset_ids)


async def run_variant(
    variant: str, job: Callable[[SessionFactory], Awaitable[int]], settings: AtelierSettings, log: Path
) -> JobRun:
    engine = create_database_engine(settings.database_url or "", pool_size=4)
    factory = create_session_factory(engine)
    try:
        await import_paths(factory, settings, user_handle="bench", paths=[log], thumbnails=ThumbnailMode.SKIP)
        with ReclusterClock() as clock:
            started = time.perf_counter()
            prompts = await job(factory)
            seconds = time.perf_counter() - started
        return JobRun(variant, seconds, clock.seconds, clock.count, prompts)
    finally:
        await engine.dispose()


def write_library(folder: Path, days: int) -> tuple[Path, int, int]:
    library = simulate_library(seed=5, artists=1, days=days, with_visual=False)
    log = folder / "library.jsonl"
    with log.open("w") as handle:
        for record in library.records:
            fields = record_to_json(record)
            fields.pop("user", None)
            handle.write(json.dumps(fields) + "\n")
    return log, len(library.records), len({record.prompt for record in library.records})


def measure(days: int, repeats: int) -> tuple[list[JobRun], int, int]:
    workdir = Path(tempfile.mkdtemp(prefix="atelier-embedding-bench-"))
    try:
        log, images, prompts = write_library(workdir, days)
        home = workdir / "home"
        servers = EmbeddedServers(AtelierSettings(home=home, database_url=None, redis_url=None))
        urls = servers.start()
        embedder = shared_prompt_embedder()
        embedder.embed_prompts(["a warm-up prompt, loads the model"])
        variants: list[tuple[str, Callable[[SessionFactory], Awaitable[int]]]] = [
            (
                "now",
                lambda factory: tasks.embed_prompts(
                    {"session_factory": factory, "models": {"prompt_embedder": embedder}}
                ),
            ),
            ("baseline", lambda factory: embed_then_recluster_each_batch(factory, embedder)),
        ]
        runs: list[JobRun] = []
        try:
            for repeat in range(repeats):
                for number, (variant, job) in enumerate(variants if repeat % 2 == 0 else variants[::-1]):
                    database_url = asyncio.run(
                        fresh_database(urls.database_url, f"embedding_bench_{repeat}_{number}")
                    )
                    upgrade(database_url)
                    settings = AtelierSettings(home=home, database_url=database_url, redis_url=urls.redis_url)
                    runs.append(asyncio.run(run_variant(variant, job, settings, log)))
        finally:
            servers.stop()
        return runs, images, prompts
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def render(runs: list[JobRun], images: int, prompts: int, days: int, load_before: float) -> str:
    lines = [
        f"One artist's {days} days: {images:,} images, {prompts:,} distinct prompts; CPython "
        f"{platform.python_version()}, {os.cpu_count()} cores (1-minute load average {load_before:.2f} "
        "before the run), embedded PostgreSQL, the bundled all-MiniLM-L6-v2 on CPU (warm).",
        "",
        "| variant | run | job seconds | of which re-clustering | re-clusterings | prompts embedded |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for number, run in enumerate(runs):
        lines.append(
            f"| {run.variant} | {number // 2 + 1} | {run.seconds:.1f} | {run.recluster_seconds:.1f} | "
            f"{run.reclusterings} | {run.prompts:,} |"
        )
    best = {
        variant: min(run.seconds for run in runs if run.variant == variant) for variant in ("now", "baseline")
    }
    lines += [
        "",
        f"Best job time: now {best['now']:.1f} s, baseline {best['baseline']:.1f} s "
        f"(**{best['now'] / best['baseline']:.2f}×** the baseline's time).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=360, help="days of the simulated artist's history")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    load_before = os.getloadavg()[0]
    runs, images, prompts = measure(args.days, args.repeats)
    report = render(runs, images, prompts, args.days, load_before)
    print(report)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "embedding_bench.md").write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
