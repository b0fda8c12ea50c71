"""Session-engine speed: the whole ``atelier analyze FILE --json`` command against a naive script.

The records come from the simulator (``bench/simulate.py``, many artists, weeks of history each),
written once to ``bench/out/speed_<n>.jsonl``. For each size the real command runs as a subprocess
(the installed ``atelier`` entry point, output to a file, as a user runs it) beside
``bench/naive_sessions.py`` (json.loads per line, sort, 30-minute gap + tool switch, json.dump) on the
same file, interleaved — command and script alternate which goes first — so both see the same load on
a shared machine. Reported: median wall seconds of each, the median of the per-repeat ratios, and
the children's CPU seconds; ``--unbuffered`` adds the same pair with ``PYTHONUNBUFFERED=1`` (as the
project's Dockerfile sets it).

    python -m bench.engine_speed                          # 318,987 and 1,000,000 records, 3 repeats
    python -m bench.engine_speed --sizes 10000 --repeats 1  # a quick check
    python -m bench.engine_speed --stages --sizes 100000  # in-process: JSONL parse and analysis apart

``--stages`` is the older in-process table (parse, analysis first run / best, GC running), each size
in a fresh interpreter. Output: Markdown on stdout and ``bench/out/engine_speed*.md`` / ``.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.simulate import simulate_many
from engine.record_codec import read_records_jsonl, record_to_json
from engine.records import GenerationRecord
from engine.session_analysis import AnalysisOptions, analyze_records

REPO_ROOT = Path(__file__).resolve().parents[1]
INTERPRETER = (sys.executable, "-m", "bench.engine_speed")
OUT_DIR = REPO_ROOT / "bench" / "out"
ATELIER = Path(sys.executable).with_name("atelier")
NAIVE_SCRIPT = REPO_ROOT / "bench" / "naive_sessions.py"
DEFAULT_SIZES = [318_987, 1_000_000]


def ensure_jsonl(count: int) -> Path:
    path = OUT_DIR / f"speed_{count}.jsonl"
    if path.exists():
        return path
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w") as handle:
        for record in simulate_many(count):
            handle.write(json.dumps(record_to_json(record)) + "\n")
    partial.rename(path)
    return path


def parse(path: Path) -> list[GenerationRecord]:
    records: list[GenerationRecord] = []
    for item in read_records_jsonl(path):
        if isinstance(item, GenerationRecord):
            records.append(item)
    return records


def measure(count: int, repeats: int) -> dict[str, Any]:
    path = ensure_jsonl(count)
    parse_seconds: list[float] = []
    records: list[GenerationRecord] = []
    for _ in range(repeats):
        records = []
        gc.collect()
        started = time.perf_counter()
        records = parse(path)
        parse_seconds.append(time.perf_counter() - started)
    analyze_seconds: list[float] = []
    analyze_cpu_seconds: list[float] = []
    sessions = edges = 0
    for _ in range(repeats):
        gc.collect()
        started, started_cpu = time.perf_counter(), time.process_time()
        analysis = analyze_records(records)
        analyze_seconds.append(time.perf_counter() - started)
        analyze_cpu_seconds.append(time.process_time() - started_cpu)
        sessions, edges = len(analysis.sessions), len(analysis.lineage)
        del analysis
    # The same analysis with the cyclic garbage collector left running during it.
    gc.collect()
    started = time.perf_counter()
    analyze_records(records, options=AnalysisOptions(pause_cyclic_gc=False))
    gc_running_seconds = time.perf_counter() - started
    return {
        "records": len(records),
        "users": len({r.user for r in records}),
        "parse_seconds": min(parse_seconds),
        "analyze_seconds": min(analyze_seconds),
        "analyze_first_run_seconds": analyze_seconds[0],
        "analyze_cpu_seconds": min(analyze_cpu_seconds),
        "analyze_gc_running_seconds": gc_running_seconds,
        "analyze_microseconds_per_record": 1e6 * min(analyze_seconds) / max(1, len(records)),
        "sessions": sessions,
        "lineage_edges": edges,
    }


def _timed_run(argv: list[str], output: Path, env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Run ``argv`` in ``cwd`` with stdout to ``output``; (wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with output.open("wb") as handle:
        completed = subprocess.run(argv, stdout=handle, stderr=subprocess.PIPE, env=env, cwd=cwd, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed: {completed.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def compare_with_naive(
    count: int, repeats: int, *, unbuffered: bool, previous_tree: Path | None = None
) -> dict[str, Any]:
    """The command and the naive script on the same file, interleaved; medians and paired ratios.

    ``previous_tree`` (a checkout of an older commit, e.g. ``git archive``) adds that version's
    ``atelier analyze`` as a third contestant in the same rotation, for a before/after figure.
    """
    path = ensure_jsonl(count)
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT), "HF_HUB_OFFLINE": "1"}
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    names = ["command", "naive"] + (["previous"] if previous_tree else [])
    outputs = {name: OUT_DIR / f"{name}_out.json" for name in names}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    argv = {
        "command": [str(ATELIER), "analyze", str(path), "--json"],
        "naive": [sys.executable, str(NAIVE_SCRIPT), str(path)],
        "previous": [sys.executable, "-c", "from api.cli import app; app()", "analyze", str(path), "--json"],
    }
    envs = {name: env for name in names}
    cwds = {name: REPO_ROOT for name in names}
    if previous_tree:
        # ``python -c`` puts the working directory first on sys.path: run it inside the old tree.
        envs["previous"] = env | {"PYTHONPATH": str(previous_tree)}
        cwds["previous"] = previous_tree
    for repeat in range(repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for name in order:
            runs[name].append(_timed_run(argv[name], outputs[name], envs[name], cwds[name]))
    document = json.loads(outputs["command"].read_bytes())
    naive_document = json.loads(outputs["naive"].read_bytes())
    ratios = [c[0] / n[0] for c, n in zip(runs["command"], runs["naive"], strict=True)]
    previous: dict[str, Any] = {}
    if previous_tree:
        previous = {
            "previous_wall": [round(w, 2) for w, _ in runs["previous"]],
            "previous_seconds": statistics.median(w for w, _ in runs["previous"]),
            "previous_cpu_seconds": statistics.median(c for _, c in runs["previous"]),
            "previous_ratio": statistics.median(
                p[0] / n[0] for p, n in zip(runs["previous"], runs["naive"], strict=True)
            ),
            "same_document_as_previous": json.loads(outputs["previous"].read_bytes()) == document,
        }
    return previous | {
        "records": count,
        "unbuffered": unbuffered,
        "repeats": repeats,
        "command_wall": [round(w, 2) for w, _ in runs["command"]],
        "naive_wall": [round(w, 2) for w, _ in runs["naive"]],
        "command_seconds": statistics.median(w for w, _ in runs["command"]),
        "naive_seconds": statistics.median(w for w, _ in runs["naive"]),
        "ratio": statistics.median(ratios),
        "command_cpu_seconds": statistics.median(c for _, c in runs["command"]),
        "naive_cpu_seconds": statistics.median(c for _, c in runs["naive"]),
        "sessions": len(document["sessions"]),
        "naive_sessions": len(naive_document["sessions"]),
        "output_mb": outputs["command"].stat().st_size / 1e6,
    }


def _machine() -> str:
    processor = platform.processor() or platform.machine()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    python = platform.python_version()
    return f"{processor}, {os.cpu_count()} cores (load average at the end {load}), Python {python}"


def main() -> None:
    parser = argparse.ArgumentParser(description="Session-engine speed benchmark")
    parser.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--unbuffered", action="store_true", help="also run both with PYTHONUNBUFFERED=1")
    parser.add_argument("--stages", action="store_true", help="in-process parse/analysis table instead")
    parser.add_argument("--previous-tree", type=Path, help="an older checkout to time as well (before/after)")
    parser.add_argument("--single", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        print(json.dumps(measure(args.single, args.repeats)))
        return
    if args.stages:
        stages_table(args.sizes, args.repeats)
        return
    rows = []
    for size in args.sizes:
        for unbuffered in (False, True) if args.unbuffered else (False,):
            row = compare_with_naive(
                size, args.repeats, unbuffered=unbuffered, previous_tree=args.previous_tree
            )
            rows.append(row)
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    machine = _machine()
    lines = [
        f"Machine: {machine}. Wall seconds, median of {args.repeats} interleaved runs of each on the same",
        "file;",
        "ratio = median of the per-run ratios (command / naive script).",
        "",
        "| records | env | `atelier analyze --json` | naive script | ratio | CPU command / naive "
        "| sessions (command / naive) | output | previous command (ratio, same output) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        cells = [
            f"{row['records']:,}",
            "PYTHONUNBUFFERED=1" if row["unbuffered"] else "default",
            f"{row['command_seconds']:.2f} s",
            f"{row['naive_seconds']:.2f} s",
            f"**{row['ratio']:.2f}×**",
            f"{row['command_cpu_seconds']:.1f} / {row['naive_cpu_seconds']:.1f} s",
            f"{row['sessions']:,} / {row['naive_sessions']:,}",
            f"{row['output_mb']:.0f} MB",
            (
                f"{row['previous_seconds']:.2f} s ({row['previous_ratio']:.2f}×, "
                f"{'identical' if row['same_document_as_previous'] else 'DIFFERENT'})"
                if "previous_seconds" in row
                else "–"
            ),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    markdown = "\n".join(lines)
    print(markdown)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "engine_speed.md").write_text(markdown + "\n")
    (OUT_DIR / "engine_speed.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=2))


def stages_table(sizes: list[int], repeats: int) -> None:
    rows = []
    for size in sizes:
        ensure_jsonl(size)
        # A fresh interpreter per size, so no size benefits from another's warm caches.
        completed = subprocess.run(
            [*INTERPRETER, "--single", str(size), "--repeats", str(repeats)],
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        rows.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    machine = _machine()
    lines = [
        f"Machine: {machine}. Analysis without embeddings; wall seconds. 'first run' includes the",
        "per-prompt tokenisation caches being filled (the honest one-shot number); 'best' is the best of",
        "the runs; 'GC running' is a warm run with AnalysisOptions(pause_cyclic_gc=False).",
        "",
        "| records | users | JSONL parse | analyze (first run) | analyze (best) | CPU (best) "
        "| analyze (GC running) | µs/record | sessions | lineage edges |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [
            f"{row['records']:,}",
            str(row["users"]),
            f"{row['parse_seconds']:.2f} s",
            f"{row['analyze_first_run_seconds']:.2f} s",
            f"{row['analyze_seconds']:.2f} s",
            f"{row['analyze_cpu_seconds']:.2f} s",
            f"{row['analyze_gc_running_seconds']:.2f} s",
            f"{row['analyze_microseconds_per_record']:.1f}",
            f"{row['sessions']:,}",
            f"{row['lineage_edges']:,}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    markdown = "\n".join(lines)
    print(markdown)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "engine_speed_stages.md").write_text(markdown + "\n")
    (OUT_DIR / "engine_speed_stages.json").write_text(
        json.dumps({"machine": machine, "rows": rows}, indent=2)
    )


if __name__ == "__main__":
    main()
