"""Import speed: ``atelier import FOLDER`` as a user types it, and the metadata import inside it,
beside baselines measured in the same run on the same files.

The library (``bench/import_library.py``): ``--files`` (default 5,000) real-format files — PNG with
real ComfyUI/A1111 text chunks, plus JPEG and WEBP with the A1111 infotext in EXIF ``UserComment`` —
written to a temporary folder (so every measurement reads from a warm page cache).

Measured, in this order, on the same files:

(a) raw walk: read each file and list its container segments (``walk_metadata_segments``), nothing
    else — once in this process and once on a process pool of one worker per core;
(b) ``read_image``: the full metadata read (container, tool readers, time resolution, hashing),
    in this process and on the pool (workers return only a count: no result transfer);
(c) end to end: ``import_paths`` into an embedded PostgreSQL started in a temporary ``ATELIER_HOME``
    (migrated first), thumbnails deferred to the worker (``ThumbnailMode.BACKGROUND``: jobs queued
    in the embedded Redis, none rendered), including re-clustering the new span; then
(d) the same import again (every file already known);
(e) the README command, ``atelier import FOLDER``, as a subprocess (the installed entry point, this
    checkout first on ``PYTHONPATH``), each run into a fresh database and a fresh thumbnail folder,
    in rotation so a load change on a shared machine hits every variant alike:
    - ``cat``: every file's bytes read once in this process (what ``cat`` does), the floor of any
      import;
    - ``atelier import EMPTY``: the command's fixed cost (interpreter, imports, migration check,
      connections) — the embedded servers are already running (started once by this bench, as
      under ``atelier serve``), their start is ``bench/startup_bench.py``'s (0.1-0.3 s warm);
    - the default (sessions first, thumbnails on a process pool), with the moment its
      "sessions ready" line reaches stderr;
    - ``--inline-thumbnails`` (the default before: thumbnails in threads, then re-clustering);
    - ``--background-thumbnails`` (thumbnails only queued for a worker).
    files/s are given for the whole command and net of the fixed cost.

The ratio of (c) is end to end over the **faster** raw walk (the stricter comparison). Targets:
≥ 2,000 files/s end to end and ≥ 25 % of the raw walk; for (e), the default command's sessions
ready at ≥ 2,000 files/s. Output: a Markdown table on stdout and ``bench/out/import_bench.md``.

    python -m bench.import_bench                # 5,000 files
    python -m bench.import_bench --files 20000  # the larger library of earlier reports
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from bench.import_library import GeneratedLibrary, write_import_library
from catalog.database import create_database_engine, create_session_factory
from catalog.embedded_servers import EmbeddedServers
from catalog.importing.service import ImportReport, ThumbnailMode, import_paths
from catalog.migration_runner import upgrade
from catalog.settings import AtelierSettings
from engine.metadata import read_image, walk_metadata_segments

REPO_ROOT = Path(__file__).resolve().parents[1]
ATELIER = Path(sys.executable).parent / "atelier"
SESSIONS_READY = "sessions ready"
CLI_VARIANTS: dict[str, tuple[str, ...]] = {
    "default": (),
    "--inline-thumbnails": ("--inline-thumbnails",),
    "--background-thumbnails": ("--background-thumbnails",),
}
OUT_FILE = REPO_ROOT / "bench" / "out" / "import_bench.md"
TARGET_FILES_PER_SECOND = 2_000
TARGET_RATIO = 0.25
POOL_CHUNK_FILES = 500


@dataclass(frozen=True, slots=True)
class Measurement:
    name: str
    files: int
    seconds: float
    note: str = ""

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds if self.seconds > 0 else float("inf")


def walk_files(paths: Sequence[str]) -> int:
    segments = 0
    for path in paths:
        with open(path, "rb") as handle:
            segments += len(walk_metadata_segments(handle.read()))
    return segments


def read_files(paths: Sequence[str]) -> int:
    return sum(1 for path in paths if read_image(Path(path)).record.tool)


def timed_in_process(name: str, work: Callable[[Sequence[str]], int], paths: Sequence[str]) -> Measurement:
    started = time.perf_counter()
    work(paths)
    return Measurement(name, len(paths), time.perf_counter() - started, "1 process")


def timed_on_pool(
    name: str,
    work: Callable[[Sequence[str]], int],
    paths: Sequence[str],
    pool: ProcessPoolExecutor,
    workers: int,
) -> Measurement:
    chunks = [paths[i : i + POOL_CHUNK_FILES] for i in range(0, len(paths), POOL_CHUNK_FILES)]
    started = time.perf_counter()
    sum(pool.map(work, chunks))
    return Measurement(name, len(paths), time.perf_counter() - started, f"pool of {workers}")


def best_of(repeats: int, measure: Callable[[], Measurement]) -> Measurement:
    """The fastest of ``repeats`` runs (the machine may be shared; the minimum is the least noisy)."""
    return min((measure() for _ in range(repeats)), key=lambda m: m.seconds)


async def fresh_database(server_url: str, name: str) -> str:
    """Create an empty database ``name`` on the embedded server; returns its URL."""
    socket_dir = server_url.split("host=", 1)[1].split("&", 1)[0]
    connection = await asyncpg.connect(host=socket_dir, user="postgres", database="postgres")
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {name}")
        await connection.execute(f"CREATE DATABASE {name}")
    finally:
        await connection.close()
    prefix, _, rest = server_url.partition("@/")
    return f"{prefix}@/{name}?{rest.partition('?')[2]}"


@dataclass(frozen=True, slots=True)
class ImportRun:
    first: ImportReport
    first_seconds: float
    again: ImportReport
    again_seconds: float


async def import_twice(settings: AtelierSettings, folder: Path) -> ImportRun:
    """A full import (thumbnails queued, not rendered), then the same import again."""
    engine = create_database_engine(settings.database_url or "", pool_size=4)
    factory = create_session_factory(engine)
    mode = ThumbnailMode.BACKGROUND
    try:
        started = time.perf_counter()
        first = await import_paths(factory, settings, user_handle="bench", paths=[folder], thumbnails=mode)
        first_seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = await import_paths(factory, settings, user_handle="bench", paths=[folder], thumbnails=mode)
        return ImportRun(first, first_seconds, again, time.perf_counter() - started)
    finally:
        await engine.dispose()


@dataclass(frozen=True, slots=True)
class CommandRun:
    seconds: float
    sessions_ready_seconds: float | None
    """When the default command's "sessions ready" line reached stderr (None for other variants)."""
    summary: str


def time_command(args: Sequence[str], env: dict[str, str]) -> CommandRun:
    """Wall time of ``atelier import …`` from launch to exit; stderr read line by line as it comes."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(ATELIER), "import", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    ready: float | None = None
    lines: list[str] = []
    for line in process.stderr:
        if ready is None and SESSIONS_READY in line:
            ready = time.perf_counter() - started
        lines.append(line.rstrip())
    code = process.wait()
    seconds = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"atelier import {' '.join(args)} exited {code}: {lines[-5:]}")
    return CommandRun(seconds, ready, lines[-1] if lines else "")


def compile_checkout() -> None:
    """Write this checkout's bytecode caches first, as an installed copy has them: under
    ``PYTHONDONTWRITEBYTECODE=1`` (set on some machines) every run would otherwise compile the
    project's modules again, a cost the command does not have for a user (~0.07 s of CPU per run
    on the 2-core machine, 2026-11-30)."""
    for package in ("api", "catalog", "engine", "billing", "reflection", "migrations"):
        compileall.compile_dir(REPO_ROOT / package, quiet=1)


def cat_files(folder: Path) -> float:
    """Seconds to read every file's bytes once (what ``cat`` would do), in this process."""
    started = time.perf_counter()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            path.read_bytes()
    return time.perf_counter() - started


@dataclass(frozen=True, slots=True)
class CliResults:
    files: int
    cat_seconds: float
    fixed: CommandRun
    runs: dict[str, list[CommandRun]]


def measure_cli(
    urls_database: str, redis_url: str, home: Path, library: Path, file_count: int, repeats: int
) -> CliResults:
    """(e): each variant ``repeats`` times, in rotation, each into a fresh database and thumbnail folder."""
    empty = home / "empty"
    empty.mkdir(parents=True, exist_ok=True)
    base_env = os.environ | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "ATELIER_HOME": str(home),
        "REDIS_URL": redis_url,
        "HF_HUB_OFFLINE": "1",
    }
    compile_checkout()
    cat_seconds = min(cat_files(library) for _ in range(repeats))
    fixed_runs: list[CommandRun] = []
    runs: dict[str, list[CommandRun]] = {name: [] for name in CLI_VARIANTS}
    number = 0
    for _ in range(repeats):
        for name, flags in [("empty", ()), *CLI_VARIANTS.items()]:
            number += 1
            database_url = asyncio.run(fresh_database(urls_database, f"import_cli_{number}"))
            upgrade(database_url)
            thumbnails = home / f"thumbnails_{number}"
            env = base_env | {"DATABASE_URL": database_url, "ATELIER_THUMBNAIL_DIR": str(thumbnails)}
            if name == "empty":
                fixed_runs.append(time_command([str(empty)], env))
                continue
            result = time_command([str(library), *flags], env)
            if f"{file_count} files: {file_count} imported" not in result.summary:
                raise RuntimeError(f"{name}: {result.summary}")
            runs[name].append(result)
            shutil.rmtree(thumbnails, ignore_errors=True)
    fixed = min(fixed_runs, key=lambda each: each.seconds)
    return CliResults(file_count, cat_seconds, fixed, runs)


def render_cli(cli: CliResults, repeats: int) -> list[str]:
    files = cli.files
    best = {name: min(runs, key=lambda each: each.seconds) for name, runs in cli.runs.items()}
    inline = best["--inline-thumbnails"].seconds

    def rate(seconds: float) -> str:
        return f"{files / seconds:,.0f}" if seconds > 0 else "—"

    lines = [
        "",
        f"## (e) `atelier import FOLDER` as a subprocess ({files} files, best of {repeats}, in rotation)",
        "",
        f"Fixed cost of the command (`atelier import EMPTY`): {cli.fixed.seconds:.2f} s (servers already "
        "running). `cat` of every file: "
        f"{cli.cat_seconds:.3f} s ({rate(cli.cat_seconds)} files/s).",
        "",
        "| command | until | seconds | files/s | files/s net of the fixed cost | time vs inline |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, run in best.items():
        lines.append(
            f"| `{' '.join(['atelier import FOLDER', *CLI_VARIANTS[name]])}` | exit | "
            f"{run.seconds:.2f} | {rate(run.seconds)} | {rate(run.seconds - cli.fixed.seconds)} | "
            f"{run.seconds / inline:.2f} |"
        )
        if run.sessions_ready_seconds is not None:
            ready = run.sessions_ready_seconds
            lines.append(
                f"| `atelier import FOLDER` | sessions ready | {ready:.2f} | {rate(ready)} | "
                f"{rate(ready - cli.fixed.seconds)} | {ready / inline:.2f} |"
            )
    runs_text = "; ".join(
        f"{name}: " + ", ".join(f"{each.seconds:.2f}" for each in runs) for name, runs in cli.runs.items()
    )
    default = best["default"]
    ready = default.sessions_ready_seconds or default.seconds
    lines += [
        "",
        f"All runs (s): {runs_text}.",
        f"Default command: sessions ready at **{files / ready:,.0f} files/s** "
        f"({files / (ready - cli.fixed.seconds):,.0f} net of the fixed cost), every thumbnail made at "
        f"**{files / default.seconds:,.0f} files/s**; **{inline / default.seconds:.2f}×** the speed of "
        "`--inline-thumbnails` over the whole command.",
    ]
    return lines


def run(file_count: int, keep: bool, repeats: int) -> str:
    workdir = Path(tempfile.mkdtemp(prefix="atelier-import-bench-"))
    try:
        started = time.perf_counter()
        library = write_import_library(workdir / "library", file_count)
        generation_seconds = time.perf_counter() - started
        paths = [str(path) for path in library.paths]
        workers = max(1, min(os.cpu_count() or 1, 8))
        load_before = os.getloadavg()[0]
        measurements: list[Measurement] = []
        with ProcessPoolExecutor(max_workers=workers) as pool:
            warm_up = [paths[:POOL_CHUNK_FILES]] * workers * 2  # every worker started and warm
            list(pool.map(walk_files, warm_up))
            list(pool.map(read_files, warm_up))
            for name, work in (("(a) raw chunk walk", walk_files), ("(b) read_image", read_files)):
                measurements.append(best_of(repeats, partial(timed_in_process, name, work, paths)))
                measurements.append(
                    best_of(repeats, partial(timed_on_pool, name, work, paths, pool, workers))
                )

        home = workdir / "home"
        servers = EmbeddedServers(AtelierSettings(home=home, database_url=None, redis_url=None))
        urls = servers.start()
        runs: list[ImportRun] = []
        try:
            for number in range(repeats):
                database_url = asyncio.run(fresh_database(urls.database_url, f"import_bench_{number}"))
                upgrade(database_url)
                settings = AtelierSettings(home=home, database_url=database_url, redis_url=urls.redis_url)
                runs.append(asyncio.run(import_twice(settings, library.root)))
            cli = measure_cli(urls.database_url, urls.redis_url, home, library.root, file_count, repeats)
        finally:
            servers.stop()
        for each in runs:
            if each.first.imported != file_count or each.first.problems:
                raise RuntimeError(
                    f"import stored {each.first.imported} of {file_count}: {each.first.problems[:3]}"
                )
        best = min(runs, key=lambda each: each.first_seconds)
        phases = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in best.first.phase_seconds.items())
        all_runs = ", ".join(f"{each.first_seconds:.2f}" for each in runs)
        measurements.append(
            Measurement(
                "(c) import_paths end to end",
                best.first.files_seen,
                best.first_seconds,
                f"{phases} (runs: {all_runs} s)",
            )
        )
        again = min(runs, key=lambda each: each.again_seconds)
        measurements.append(
            Measurement("(d) same import again", again.again.files_seen, again.again_seconds, "all known")
        )
        table = render(library, generation_seconds, measurements, best.first, workers, repeats, load_before)
        return table + "\n".join(render_cli(cli, repeats)) + "\n"
    finally:
        if keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def render(
    library: GeneratedLibrary,
    generation_seconds: float,
    measurements: list[Measurement],
    first: ImportReport,
    workers: int,
    repeats: int,
    load_before: float,
) -> str:
    raw_walk = max((m for m in measurements if m.name.startswith("(a)")), key=lambda m: m.files_per_second)
    read_pooled = max((m for m in measurements if m.name.startswith("(b)")), key=lambda m: m.files_per_second)
    end_to_end = next(m for m in measurements if m.name.startswith("(c)"))
    ratio = end_to_end.files_per_second / raw_walk.files_per_second
    speed_met = end_to_end.files_per_second >= TARGET_FILES_PER_SECOND
    ratio_met = ratio >= TARGET_RATIO
    read_share = read_pooled.files_per_second / raw_walk.files_per_second
    formats = ", ".join(f"{count} {kind}" for kind, count in library.formats.items())
    lines = [
        "# Import speed",
        "",
        f"{len(library.paths)} files ({formats}; {library.bytes_total / 1e6:.1f} MB), generated in "
        f"{generation_seconds:.1f} s; {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores ({workers} pool workers; 1-minute load average {load_before:.2f} before "
        f"the run), embedded PostgreSQL, warm page cache; best of {repeats} runs per measurement "
        "(each end-to-end run into a fresh database).",
        f"End to end stored {first.imported} assets in {first.sessions_touched} sessions; thumbnails "
        f"queued for the worker: {first.thumbnails_queued}.",
        "",
        "| measurement | how | files | seconds | files/s | share of raw walk |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for m in measurements:
        share = m.files_per_second / raw_walk.files_per_second
        lines.append(
            f"| {m.name} | {m.note} | {m.files} | {m.seconds:.2f} | {m.files_per_second:,.0f} | {share:.1%} |"
        )
    lines += [
        "",
        f"End to end: **{end_to_end.files_per_second:,.0f} files/s** (target ≥ "
        f"{TARGET_FILES_PER_SECOND:,}: {'met' if speed_met else 'NOT met'}); **{ratio:.1%} of the raw "
        f"walk** ({raw_walk.note}; target ≥ {TARGET_RATIO:.0%}: {'met' if ratio_met else 'NOT met'}).",
        f"The metadata read alone (b, best) is {read_share:.1%} of the raw walk: no import that reads "
        "the metadata can be faster than that.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=5_000, help="library size (default 5,000)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and database")
    parser.add_argument("--repeats", type=int, default=2, help="runs per measurement; the best is shown")
    args = parser.parse_args(argv)
    table = run(args.files, args.keep, args.repeats)
    OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    OUT_FILE.write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
