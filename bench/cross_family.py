"""Tune on one simulator family, score on the other: does the boundary score generalise?

A small grid over the boundary parameters issue 11 §1 touched (time-evidence cap, context weight,
diversity weight, set-up change weight, weight of a settled step) is searched on one family's
development seed; the best setting is then scored on the *other* family's held-out seed, and the
other way round. The shipped defaults (chosen on both development seeds at once) are scored too.
Boundary F1 only, from the gap margins (no constraints, no offset), so the grid runs in seconds.

    python -m bench.cross_family      # Markdown on stdout and in bench/out/cross_family.md
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.simulate import simulate_library
from bench.simulate_docs import simulate_docs_library
from engine.session_analysis import AnalysisOptions
from engine.sessions.boundary_scores import BoundarySettings, boundary_scores
from engine.sessions.parameter_signal import parameter_signal
from engine.sessions.record_stream import build_record_stream
from engine.sessions.temporal_signal import TemporalSettings, temporal_signal

GRID: dict[str, list[float]] = {
    "time_evidence_cap": [3.0, 4.0, 5.0],
    "context_weight": [2.5, 3.0, 4.0],
    "diversity_weight": [0.5, 0.75, 1.0],
    "setup_weight": [0.5, 1.0, 1.5],
    "settled_step_weight": [0.25, 0.5],
}
OUT_DIR = Path(__file__).resolve().parent / "out"
SEEDS = {"A dev": ("A", 1), "A held-out": ("A", 2), "B dev": ("B", 11), "B held-out": ("B", 12)}


def _prepared(family: str, seed: int) -> tuple[object, object, object, np.ndarray, np.ndarray]:
    factory = simulate_library if family == "A" else simulate_docs_library
    library = factory(seed=seed, artists=20, days=21)
    options = AnalysisOptions()
    stream = build_record_stream([r for r in library.records if r.created_at is not None])
    temporal = temporal_signal(
        stream.time_seconds,
        stream.resolution_seconds,
        stream.segment_codes,
        stream.day_precision,
        options.temporal,
    )
    parameters = parameter_signal(stream, options.parameters)
    segment_start = np.r_[True, stream.segment_codes[1:] != stream.segment_codes[:-1]]
    truth = np.r_[
        False, [library.session_of[a] != library.session_of[b] for a, b in itertools.pairwise(stream.ids)]
    ]
    return stream, temporal, parameters, truth & ~segment_start, segment_start


def _f1(prepared: tuple[object, object, object, np.ndarray, np.ndarray], settings: BoundarySettings) -> float:
    stream, temporal, parameters, truth, segment_start = prepared
    scores = boundary_scores(stream, temporal, parameters, settings, TemporalSettings())  # type: ignore[arg-type]
    predicted = (scores.margin > 0) & ~segment_start
    hits = int((predicted & truth).sum())
    precision = hits / max(int(predicted.sum()), 1)
    recall = hits / max(int(truth.sum()), 1)
    return 2 * precision * recall / (precision + recall) if hits else 0.0


def main() -> None:
    prepared = {name: _prepared(*where) for name, where in SEEDS.items()}
    names = list(GRID)
    results = []
    for values in itertools.product(*GRID.values()):
        settings = dataclasses.replace(BoundarySettings(), **dict(zip(names, values, strict=True)))
        results.append(
            (dict(zip(names, values, strict=True)), {n: _f1(p, settings) for n, p in prepared.items()})
        )
    lines = [
        "| tuned on | parameters | A dev | A held-out | B dev | B held-out |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for label, key in (("A dev", "A dev"), ("B dev", "B dev")):
        chosen, scores = max(results, key=lambda item: item[1][key])
        lines.append(f"| {label} | {chosen} | " + " | ".join(f"{scores[n]:.3f}" for n in SEEDS) + " |")
    defaults = {n: _f1(p, BoundarySettings()) for n, p in prepared.items()}
    lines.append("| shipped defaults | – | " + " | ".join(f"{defaults[n]:.3f}" for n in SEEDS) + " |")
    markdown = "\n".join(lines)
    print(markdown)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "cross_family.md").write_text(markdown + "\n")


if __name__ == "__main__":
    main()
