"""Start-up of the commands a user types first: ``atelier --help``, ``atelier inspect FILE`` and
``atelier analyze FILE`` on one image / one record, timed as subprocesses (the installed entry point).

Baseline in the same run: a bare interpreter (``python -c pass``), the floor no command can go below;
with ``--previous-tree DIR`` (a checkout of an older commit, e.g. ``git archive REV | tar -x -C DIR``)
the same commands from that tree too. Every contestant runs in rotation, ``--repeats`` rounds; the
table gives medians of wall time and the ratios of the medians. None of these commands touches a
database: ``DATABASE_URL`` points nowhere, so a command that tried would fail the run.

    python -m bench.cli_startup_bench --repeats 15 --previous-tree /tmp/before
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ATELIER = Path(sys.executable).with_name("atelier")
OUT_DIR = REPO_ROOT / "bench" / "out"
FIXTURE_IMAGE = (
    REPO_ROOT.parent / "shared" / "fixtures" / "images" / "AUTOMATIC1111" / "receyuki__00199-806698555.png"
)
RECORD_LINE = '{"id": "a", "tool": "comfyui", "created_at": "2026-01-01T10:00:00Z", "prompt": "a fox"}\n'


def _commands(record_file: Path) -> dict[str, list[str]]:
    """Name → arguments after ``atelier``."""
    return {
        "atelier --help": ["--help"],
        "atelier inspect IMAGE --json": ["inspect", str(FIXTURE_IMAGE), "--json"],
        "atelier analyze RECORD --json": ["analyze", str(record_file), "--json"],
    }


def _wall(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    completed = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{argv} failed: {completed.stderr.decode()[-2000:]}")
    return elapsed


def measure(repeats: int, previous_tree: Path | None) -> dict[str, dict[str, float]]:
    """Median wall seconds per (command, tree); ``python -c pass`` under the key ``interpreter``."""
    env = os.environ | {"HF_HUB_OFFLINE": "1", "DATABASE_URL": "postgresql://nowhere.invalid/none"}
    with tempfile.TemporaryDirectory(prefix="atelier-startup-bench-") as folder:
        record_file = Path(folder) / "one.jsonl"
        record_file.write_text(RECORD_LINE)
        contestants: list[tuple[str, str, list[str], dict[str, str], Path]] = [
            ("interpreter", "-", [sys.executable, "-c", "pass"], env, REPO_ROOT)
        ]
        for name, args in _commands(record_file).items():
            contestants.append((name, "this tree", [str(ATELIER), *args], env, REPO_ROOT))
            if previous_tree is not None:
                # ``python -c`` puts the working directory first on sys.path: run inside the old tree
                old = [sys.executable, "-c", "from api.cli import app; app()", *args]
                contestants.append(
                    (name, "previous", old, env | {"PYTHONPATH": str(previous_tree)}, previous_tree)
                )
        for _, _, argv, run_env, cwd in contestants:  # warm: bytecode compiled, files cached
            _wall(argv, run_env, cwd)
        walls: dict[tuple[str, str], list[float]] = {(name, tree): [] for name, tree, *_ in contestants}
        for repeat in range(repeats):
            shift = repeat % len(contestants)
            for name, tree, argv, run_env, cwd in contestants[shift:] + contestants[:shift]:
                walls[(name, tree)].append(_wall(argv, run_env, cwd))
    medians: dict[str, dict[str, float]] = {}
    for (name, tree), values in walls.items():
        medians.setdefault(name, {})[tree] = statistics.median(values)
    return medians


def render(medians: dict[str, dict[str, float]], repeats: int) -> str:
    floor = medians["interpreter"]["-"]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [
        f"Start-up, median wall of {repeats} rotated rounds (load average at the end {load}); "
        f"bare interpreter {floor * 1000:.0f} ms.",
        "",
        "| command | this tree | × interpreter | previous tree | this / previous |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, trees in medians.items():
        if name == "interpreter":
            continue
        now = trees["this tree"]
        previous = trees.get("previous")
        before = f"{previous * 1000:.0f} ms" if previous is not None else "—"
        ratio = f"{now / previous:.2f}×" if previous is not None else "—"
        lines.append(f"| `{name}` | {now * 1000:.0f} ms | {now / floor:.1f}× | {before} | {ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--previous-tree", type=Path, help="an older checkout to time as well (before/after)")
    options = parser.parse_args(argv)
    report = render(measure(options.repeats, options.previous_tree), options.repeats)
    print(report)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "cli_startup_bench.md").write_text(report + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
