"""``make bench``: run every benchmark script present, each in a fresh interpreter.

Benchmarks are the known scripts (:data:`KNOWN_BENCHES`, in this order) plus any other
``bench/*_bench.py``; helpers (``simulate``, ``simulate_docs``, ``metrics``, ``baselines``,
``import_library``) are not benchmarks. Each runs as ``python -m bench.<name>`` with its own output
(Markdown on stdout and a file under ``bench/out/``); one failing does not stop the others, and the
exit code is non-zero if any failed.

    python -m bench.run_all            # everything
    python -m bench.run_all import_bench quality   # only these
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
KNOWN_BENCHES = ("quality", "cross_family", "script_quality", "engine_speed", "import_bench")


def discover_benches() -> list[str]:
    """Module names of the benchmark scripts present, known ones first."""
    present = [name for name in KNOWN_BENCHES if (BENCH_DIR / f"{name}.py").is_file()]
    extra = sorted(path.stem for path in BENCH_DIR.glob("*_bench.py") if path.stem not in present)
    return present + extra


def main(argv: list[str] | None = None) -> int:
    wanted = argv if argv is not None else sys.argv[1:]
    benches = discover_benches()
    unknown = [name for name in wanted if name not in benches]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; present: {', '.join(benches)}", file=sys.stderr)
        return 2
    results: list[tuple[str, int, float]] = []
    for name in wanted or benches:
        print(f"\n=== bench.{name} ===\n", flush=True)
        started = time.perf_counter()
        completed = subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=REPO_ROOT, check=False)
        results.append((name, completed.returncode, time.perf_counter() - started))
    print("\n=== summary ===")
    for name, code, seconds in results:
        print(f"bench.{name}: {'ok' if code == 0 else f'FAILED (exit {code})'} in {seconds:.0f} s")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
