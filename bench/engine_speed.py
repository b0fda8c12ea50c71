"""Session-engine speed: JSONL parsing and analysis (no embeddings) at 10k / 100k / 1M records.

The records come from the simulator (``bench/simulate.py``, many artists, weeks of history each),
written once to ``bench/out/speed_<n>.jsonl`` and parsed with the project's JSONL codec
(``engine.record_codec``). Parsing and analysis are timed separately: the analysis's first run
(cold per-prompt caches — the honest number for a one-shot ``atelier analyze``), the best of
``--repeats`` runs, and a run with the cyclic garbage collector left running; growth should be linear.

    python -m bench.engine_speed                # 10k, 100k, 1M
    python -m bench.engine_speed --sizes 10000  # a quick check

Each size runs in a fresh interpreter (no warm caches from a smaller run). Output: a Markdown table
on stdout and ``bench/out/engine_speed.md`` / ``engine_speed.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
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


def main() -> None:
    parser = argparse.ArgumentParser(description="Session-engine speed benchmark")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--single", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        print(json.dumps(measure(args.single, args.repeats)))
        return
    rows = []
    for size in args.sizes:
        ensure_jsonl(size)
        # A fresh interpreter per size, so no size benefits from another's warm caches.
        completed = subprocess.run(
            [*INTERPRETER, "--single", str(size), "--repeats", str(args.repeats)],
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        rows.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    processor = platform.processor() or platform.machine()
    machine = f"{processor}, {os.cpu_count()} cores, Python {platform.python_version()}"
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
    (OUT_DIR / "engine_speed.md").write_text(markdown + "\n")
    (OUT_DIR / "engine_speed.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
