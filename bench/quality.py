"""Session-engine quality on simulated histories (with ground truth) and on the real logs.

Reports, beside four baselines computed in the same run (fixed 30-minute timeout; timeout + tool
switch; PhotoTOC's adaptive log-gap rule; the "20-line multi-signal heuristic" of issue 11):
boundary precision / recall / F1, adjusted Rand index,
per-generation phase accuracy and explicit-lineage precision / recall / F1 (recall over the derivations
the files name; precision over every true derivation, named or not: a hires pass the engine recognises
by seed, prompt and size is no false positive when the file does not name it) — for the engine without
embeddings, with simulated visual embeddings, and (``--semantic``, default on) with real
all-MiniLM-L6-v2 prompt embeddings. Then session counts and sizes on ``../shared/fixtures/logs``.

Nine independent simulator families are reported — A (``bench/simulate.py``, written alongside the
engine), B (``bench/simulate_docs.py``, written later from the product documents alone), C
(``bench/simulate_field.py``, written from the documents by someone who read neither the engine nor
A and B), D (``bench/simulate_family_d.py``, a later hold-out written from the documents without
reading the engine's session code or A, B, C), E (``bench/simulate_family_e.py``, a hold-out of
habits the others leave out — CJK prompts, wildcard runs, inpaint-heavy editing, two tools side by
side, overnight queues, coarse times — written the same way without reading A–D), F
(``bench/simulate_family_f.py``, a hold-out of slow and uneven pace — video and high-resolution renders
minutes apart, long breaks inside a session, hobbyists and heavy users, rapid subject hops — written
the same way without reading A–E) and G (``bench/simulate_family_g.py``, a hold-out of LoRA epoch
testing and training samples, X/Y/Z grids and prompt matrices, booru-tag prompts and wildcard shuffles,
scripted API dataset runs, and sketch → img2img → inpaint → upscale chains across tools and days —
written the same way without reading A–F) and H (``bench/simulate_family_h.py``, a hold-out of working
professionals around session boundaries — templated client jobs minutes apart, fast batch projects,
meal breaks resumed on the same prompt, multi-tool pipelines, night owls across midnight and clock
changes, quick unrelated asides inside a long refinement — written the same way without reading A–G)
and I (``bench/simulate_family_i.py``, a hold-out of hosted-service users and newcomers — Midjourney
grids, buttons, permutations and relax queues, NovelAI tag prompts and enhance passes, newcomers copying
gallery prompts with every setting swung, weekly hobbyists on web apps, and two people sharing one
account — written the same way without reading A–H) and J (``bench/simulate_family_j.py``, a hold-out of
activity sittings — game-asset sets in one style, thumbnail passes developed later, AnimateDiff clips,
photo restoration rolls, tabletop game nights, phone commutes, teaching workshops — written the same way
without reading A–I)
— each on a development seed (looked at while setting the
engine's parameters) and a held-out seed. The corrections experiment runs on every family's held-out seed.
Output: Markdown on stdout, and ``bench/out/quality.md`` / ``quality.json``.

    python -m bench.quality            # or: python bench/quality.py
    python -m bench.quality --families D --no-semantic   # only family D, without MiniLM
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.baselines import fixed_timeout, multi_signal, phototoc, timeout_and_tool
from bench.metrics import accuracy, adjusted_rand, boundary_set, precision_recall, stream_order
from bench.simulate import SimulatedLibrary, simulate_library
from bench.simulate_docs import simulate_docs_library
from bench.simulate_family_d import simulate_family_d_library
from bench.simulate_family_e import simulate_family_e_library
from bench.simulate_family_f import simulate_family_f_library
from bench.simulate_family_g import simulate_family_g_library
from bench.simulate_family_h import simulate_family_h_library
from bench.simulate_family_i import simulate_family_i_library
from bench.simulate_family_j import simulate_family_j_library
from bench.simulate_field import simulate_field_library
from engine.analysis import Analysis
from engine.records import GenerationRecord, TimePrecision
from engine.session_analysis import analyze_records

REPO_ROOT = Path(__file__).resolve().parents[1]
LOGS_DIR = REPO_ROOT.parent / "shared" / "fixtures" / "logs"
OUT_DIR = REPO_ROOT / "bench" / "out"
EXPLICIT_KINDS = {"upscale", "img2img", "inpaint", "variation", "remix"}
LibraryFactory = Callable[..., SimulatedLibrary]
FAMILIES: dict[str, LibraryFactory] = {
    "A (bench/simulate.py)": simulate_library,
    "B (bench/simulate_docs.py)": simulate_docs_library,
    "C (bench/simulate_field.py)": simulate_field_library,
    "D (bench/simulate_family_d.py)": simulate_family_d_library,
    "E (bench/simulate_family_e.py)": simulate_family_e_library,
    "F (bench/simulate_family_f.py)": simulate_family_f_library,
    "G (bench/simulate_family_g.py)": simulate_family_g_library,
    "H (bench/simulate_family_h.py)": simulate_family_h_library,
    "I (bench/simulate_family_i.py)": simulate_family_i_library,
    "J (bench/simulate_family_j.py)": simulate_family_j_library,
}


def _engine_maps(analysis: Analysis) -> tuple[dict[str, str], dict[str, str], set[tuple[str, str]]]:
    session_of: dict[str, str] = {}
    phase_of: dict[str, str] = {}
    for session in analysis.sessions:
        for asset in session.asset_ids:
            session_of[asset] = session.id
        for phase in session.phases:
            for asset in phase.asset_ids:
                phase_of[asset] = str(phase.intent)
    edges = {(e.parent, e.child) for e in analysis.lineage if str(e.kind) in EXPLICIT_KINDS}
    return session_of, phase_of, edges


def _row(
    name: str,
    ordered: Sequence[GenerationRecord],
    library: SimulatedLibrary,
    session_of: Mapping[str, str],
    phase_of: Mapping[str, str] | None,
    edges: set[tuple[str, str]] | None,
    seconds: float,
) -> dict[str, Any]:
    truth_boundaries = boundary_set(ordered, library.session_of)
    boundaries = precision_recall(boundary_set(ordered, session_of), truth_boundaries)
    row: dict[str, Any] = {
        "method": name,
        "boundary_precision": boundaries.precision,
        "boundary_recall": boundaries.recall,
        "boundary_f1": boundaries.f1,
        "ari": adjusted_rand(ordered, library.session_of, session_of),
        "sessions": len(set(session_of.values())),
        "seconds": seconds,
    }
    if phase_of is not None:
        timed_truth = {r.id: library.phase_of[r.id] for r in ordered}
        row["phase_accuracy"] = accuracy(timed_truth, phase_of)
    if edges is not None:
        named = {(e.parent, e.child) for e in library.explicit_edges}
        derived = named | {(e.parent, e.child) for e in library.derived_edges}
        precision = len(edges & derived) / len(edges) if edges else 1.0
        recall = len(edges & named) / len(named) if named else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        row.update(lineage_precision=precision, lineage_recall=recall, lineage_f1=f1)
    return row


def evaluate_simulation(
    family: LibraryFactory, seed: int, artists: int, days: int, semantic: bool
) -> list[dict[str, Any]]:
    library = family(seed=seed, artists=artists, days=days)
    ordered = stream_order(library.records)
    rows: list[dict[str, Any]] = []
    for name, baseline in (
        ("baseline: 30-min timeout", fixed_timeout),
        ("baseline: timeout + tool switch", timeout_and_tool),
        ("baseline: PhotoTOC log-gap", phototoc),
        ("baseline: 20-line multi-signal heuristic", multi_signal),
    ):
        started = time.perf_counter()
        sessions = baseline(ordered)
        rows.append(_row(name, ordered, library, sessions, None, None, time.perf_counter() - started))

    prompt_embeddings: dict[str, np.ndarray] | None = None
    if semantic:
        from engine.features.prompt_embedding import PromptEmbedder

        prompt_embeddings = PromptEmbedder().embed_prompts(r.prompt for r in library.records)
    configurations: list[tuple[str, Mapping[str, np.ndarray] | None, Mapping[str, np.ndarray] | None]] = [
        ("engine: lexical only", None, None),
        ("engine: lexical + visual", None, library.visual),
    ]
    if prompt_embeddings is not None:
        configurations += [
            ("engine: lexical + semantic", prompt_embeddings, None),
            ("engine: lexical + semantic + visual", prompt_embeddings, library.visual),
        ]
    for name, prompts, visual in configurations:
        started = time.perf_counter()
        analysis = analyze_records(library.records, prompt_embeddings=prompts, visual_embeddings=visual)
        seconds = time.perf_counter() - started
        session_of, phase_of, edges = _engine_maps(analysis)
        rows.append(_row(name, ordered, library, session_of, phase_of, edges, seconds))
    for row in rows:
        row.update(seed=seed, records=len(ordered), true_sessions=len(set(library.session_of.values())))
    return rows


# -- calibration ---------------------------------------------------------------------------------


def evaluate_calibration(
    family: LibraryFactory, seed: int, artists: int, days: int, rounds: int = 5
) -> list[dict[str, Any]]:
    """Simulated users whose notion of a session is systematically coarser / finer than the default
    (they split exactly where the default margin exceeds their own threshold) correct one disagreement
    per round (a random one, fixed seed); after ``rounds`` corrections, how many *uncorrected* gaps
    still disagree, and do corrected boundaries hold?"""
    from engine.calibration import BoundaryCorrection, CorrectionKind, learn_threshold_offset
    from engine.session_analysis import SessionConstraints

    library = family(seed=seed, artists=artists, days=days)
    records = library.records
    baseline = analyze_records(records)
    margins = baseline.boundary_margins
    ordered = stream_order(records)
    previous_of = {b.id: a.id for a, b in pairwise(ordered) if a.user == b.user}

    def boundaries(analysis: Analysis) -> set[str]:
        starts = {s.asset_ids[0] for s in analysis.sessions}
        return {a for a in starts if a in previous_of}

    rows = []
    users = (("coarser user (threshold +2.0)", 2.0), ("finer user (threshold −1.5)", -1.5))
    for name, user_threshold in users:
        wanted = {a for a, m in margins.items() if m > user_threshold and a in previous_of}
        rng = np.random.default_rng(seed)
        must: list[tuple[str, str]] = []
        cannot: list[tuple[str, str]] = []
        corrections: list[BoundaryCorrection] = []
        corrected: set[str] = set()
        analysis = baseline
        offset = 0.0
        initial = len(boundaries(baseline) ^ wanted)
        held = True
        for _ in range(rounds):
            disagreements = sorted(boundaries(analysis) ^ wanted)
            if not disagreements:
                break
            asset = disagreements[int(rng.integers(0, len(disagreements)))]
            corrected.add(asset)
            split = asset in wanted
            (cannot if split else must).append((previous_of[asset], asset))
            kind = CorrectionKind.SPLIT if split else CorrectionKind.MERGE
            corrections.append(BoundaryCorrection(kind, margins[asset]))
            offset = learn_threshold_offset(corrections)
            constraints = SessionConstraints(must_link=must, cannot_link=cannot)
            analysis = analyze_records(records, constraints=constraints, threshold_offset=offset)
            found = boundaries(analysis)
            held = held and all((a in found) == (a in wanted) for a in corrected)
        rows.append(
            {
                "user": name,
                "gaps": len(margins),
                "disagreeing gaps before": initial,
                f"after {rounds} corrections (uncorrected gaps)": len(
                    (boundaries(analysis) ^ wanted) - corrected
                ),
                "learned offset": round(offset, 3),
                "corrected boundaries held in every run": held,
            }
        )
    return rows


def calibration_table(rows: Sequence[dict[str, Any]]) -> str:
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row[c]) for c in columns) + " |")
    return "\n".join(lines)


# -- real logs -----------------------------------------------------------------------------------


def krea_records(path: Path) -> list[GenerationRecord]:
    """The Krea open-prompts CSV: user = Discord channel id from the image URL, time = unix seconds."""
    records: list[GenerationRecord] = []
    with path.open(newline="") as handle:
        for index, row in enumerate(csv.DictReader(handle)):
            raw = json.loads(row["raw_data"])
            discord = raw.get("raw_discord_data") or {}
            uri = discord.get("image_uri") or ""
            parts = uri.split("/attachments/")
            channel = parts[1].split("/")[0] if len(parts) > 1 else None
            timestamp = discord.get("timestamp")
            records.append(
                GenerationRecord(
                    id=f"krea-{index:05d}",
                    tool="stable-diffusion-discord",
                    user=channel,
                    created_at=datetime.fromtimestamp(timestamp, tz=UTC) if timestamp else None,
                    created_at_precision=TimePrecision.SECOND,
                    prompt=row["prompt"],
                    seed=discord.get("seed"),
                    cfg_scale=discord.get("cfg_scale"),
                    steps=discord.get("num_step"),
                    width=discord.get("width"),
                    height=discord.get("height"),
                    file_name=uri.rsplit("/", 1)[-1] or None,
                )
            )
    return records


def diffusiondb_records(path: Path) -> list[GenerationRecord]:
    records: list[GenerationRecord] = []
    with path.open(newline="") as handle:
        for index, row in enumerate(csv.DictReader(handle)):
            records.append(
                GenerationRecord(
                    id=f"ddb-{index:05d}",
                    tool="stable-diffusion-discord",
                    user=row["user_name"],
                    created_at=datetime.fromisoformat(row["timestamp"]),
                    created_at_precision=TimePrecision.MINUTE,
                    prompt=row["prompt"],
                    seed=int(row["seed"]),
                    cfg_scale=float(row["cfg"]),
                    steps=int(row["step"]),
                    sampler=row["sampler"],
                    width=int(row["width"]),
                    height=int(row["height"]),
                    file_name=row["image_filename"],
                )
            )
    return records


def evaluate_real_logs(semantic: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    sources: list[tuple[str, Callable[[Path], list[GenerationRecord]], Path]] = [
        ("krea_open_prompts_1k", krea_records, LOGS_DIR / "krea_open_prompts_1k.csv"),
        (
            "diffusiondb sample (46)",
            diffusiondb_records,
            LOGS_DIR / "diffusiondb_2m_part1_sample_first46rows.csv",
        ),
    ]
    embedder = None
    if semantic:
        from engine.features.prompt_embedding import PromptEmbedder

        embedder = PromptEmbedder()
    for name, reader, path in sources:
        if not path.exists():
            continue
        records = reader(path)
        for label, embeddings in (("lexical", None), ("semantic", embedder)):
            if label == "semantic" and embeddings is None:
                continue
            prompt_embeddings = embeddings.embed_prompts(r.prompt for r in records) if embeddings else None
            analysis = analyze_records(records, prompt_embeddings=prompt_embeddings)
            sizes = sorted(len(s.asset_ids) for s in analysis.sessions)
            intents = Counter(str(s.intent) for s in analysis.sessions)
            users = len({s.user for s in analysis.sessions})
            ordered = stream_order(records)
            baseline_sessions = {
                "30-min timeout": len(set(fixed_timeout(ordered).values())),
                "PhotoTOC": len(set(phototoc(ordered).values())),
            }
            rows.append(
                {
                    "log": name,
                    "features": label,
                    "baseline_sessions": baseline_sessions,
                    "records": len(records),
                    "users": users,
                    "sessions": len(sizes),
                    "singletons": sum(1 for s in sizes if s == 1),
                    "size_median": float(statistics.median(sizes)) if sizes else 0.0,
                    "size_mean": round(statistics.fmean(sizes), 2) if sizes else 0,
                    "size_p90": sizes[int(0.9 * (len(sizes) - 1))] if sizes else 0,
                    "size_max": sizes[-1] if sizes else 0,
                    "intents": dict(intents),
                    "example_labels": [
                        s.label for s in sorted(analysis.sessions, key=lambda s: -len(s.asset_ids))[:5]
                    ],
                    "lineage_edges": len(analysis.lineage),
                }
            )
    return rows


# -- output --------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "–" if value is None else str(value)


def simulation_table(rows: Sequence[dict[str, Any]]) -> str:
    columns = [
        "method",
        "boundary_precision",
        "boundary_recall",
        "boundary_f1",
        "ari",
        "phase_accuracy",
        "lineage_precision",
        "lineage_recall",
        "lineage_f1",
        "sessions",
        "seconds",
    ]
    header = "| " + " | ".join(c.replace("_", " ") for c in columns) + " |"
    lines = [header, "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row.get(c)) for c in columns) + " |")
    return "\n".join(lines)


def real_table(rows: Sequence[dict[str, Any]]) -> str:
    columns = [
        "log",
        "features",
        "records",
        "users",
        "sessions",
        "singletons",
        "size_median",
        "size_mean",
        "size_p90",
        "size_max",
        "lineage_edges",
        "intents",
        "baseline_sessions",
    ]
    lines = ["| " + " | ".join(c.replace("_", " ") for c in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row.get(c)) for c in columns) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Session-engine quality benchmark")
    parser.add_argument("--seed", type=int, default=2, help="held-out seed of family A")
    parser.add_argument("--dev-seed", type=int, default=1, help="development seed of family A")
    parser.add_argument("--docs-seed", type=int, default=12, help="held-out seed of family B")
    parser.add_argument("--docs-dev-seed", type=int, default=11, help="development seed of family B")
    parser.add_argument("--field-seed", type=int, default=22, help="held-out seed of family C")
    parser.add_argument("--field-dev-seed", type=int, default=21, help="development seed of family C")
    parser.add_argument("--family-d-seed", type=int, default=32, help="held-out seed of family D")
    parser.add_argument("--family-d-dev-seed", type=int, default=31, help="development seed of family D")
    parser.add_argument("--family-e-seed", type=int, default=42, help="held-out seed of family E")
    parser.add_argument("--family-e-dev-seed", type=int, default=41, help="development seed of family E")
    parser.add_argument("--family-f-seed", type=int, default=52, help="held-out seed of family F")
    parser.add_argument("--family-f-dev-seed", type=int, default=51, help="development seed of family F")
    parser.add_argument("--family-g-seed", type=int, default=62, help="held-out seed of family G")
    parser.add_argument("--family-g-dev-seed", type=int, default=61, help="development seed of family G")
    parser.add_argument("--family-h-seed", type=int, default=72, help="held-out seed of family H")
    parser.add_argument("--family-h-dev-seed", type=int, default=71, help="development seed of family H")
    parser.add_argument("--family-i-seed", type=int, default=82, help="held-out seed of family I")
    parser.add_argument("--family-i-dev-seed", type=int, default=81, help="development seed of family I")
    parser.add_argument("--family-j-seed", type=int, default=92, help="held-out seed of family J")
    parser.add_argument("--family-j-dev-seed", type=int, default=91, help="development seed of family J")
    parser.add_argument(
        "--families",
        default=",".join(name.split()[0] for name in FAMILIES),
        help="comma-separated family letters to run (default: all); the real logs always run",
    )
    parser.add_argument("--artists", type=int, default=20)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--no-semantic", action="store_true", help="skip all-MiniLM-L6-v2 prompt embeddings")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    semantic = not args.no_semantic
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"simulation": {}, "real_logs": []}
    sections: list[str] = []
    seeds = {
        "A (bench/simulate.py)": (args.seed, args.dev_seed),
        "B (bench/simulate_docs.py)": (args.docs_seed, args.docs_dev_seed),
        "C (bench/simulate_field.py)": (args.field_seed, args.field_dev_seed),
        "D (bench/simulate_family_d.py)": (args.family_d_seed, args.family_d_dev_seed),
        "E (bench/simulate_family_e.py)": (args.family_e_seed, args.family_e_dev_seed),
        "F (bench/simulate_family_f.py)": (args.family_f_seed, args.family_f_dev_seed),
        "G (bench/simulate_family_g.py)": (args.family_g_seed, args.family_g_dev_seed),
        "H (bench/simulate_family_h.py)": (args.family_h_seed, args.family_h_dev_seed),
        "I (bench/simulate_family_i.py)": (args.family_i_seed, args.family_i_dev_seed),
        "J (bench/simulate_family_j.py)": (args.family_j_seed, args.family_j_dev_seed),
    }
    wanted = {letter.strip().upper() for letter in args.families.split(",") if letter.strip()}
    unknown = wanted - {name.split()[0] for name in FAMILIES}
    if unknown:
        parser.error(f"unknown families: {', '.join(sorted(unknown))}")
    report["calibration"] = {}
    for family_name, family in FAMILIES.items():
        if family_name.split()[0] not in wanted:
            continue
        held_out, development = seeds[family_name]
        for label, seed in (("held-out", held_out), ("development", development)):
            rows = evaluate_simulation(family, seed, args.artists, args.days, semantic)
            report["simulation"][f"{family_name} {label} seed {seed}"] = rows
            sections.append(
                f"### Family {family_name} — {label} seed {seed} ({rows[0]['records']} records, "
                f"{rows[0]['true_sessions']} true sessions, {args.artists} artists)\n\n"
                + simulation_table(rows)
            )
        calibration_rows = evaluate_calibration(family, held_out, args.artists, args.days)
        report["calibration"][family_name] = calibration_rows
        sections.append(
            f"### Learning from corrections — family {family_name}, held-out seed {held_out}, "
            "5 corrections each\n\n" + calibration_table(calibration_rows)
        )
    real_rows = evaluate_real_logs(semantic)
    report["real_logs"] = real_rows
    sections.append("### Real logs (no ground truth): sessions found\n\n" + real_table(real_rows))
    for row in real_rows:
        sections.append(
            f"- {row['log']} ({row['features']}), largest sessions: " + "; ".join(row["example_labels"])
        )
    markdown = "\n\n".join(sections)
    print(markdown)
    # a run over some families only never overwrites the full report
    everything = wanted == {name.split()[0] for name in FAMILIES}
    stem = "quality" if everything else "quality-" + "".join(sorted(wanted)).lower()
    (OUT_DIR / f"{stem}.md").write_text(markdown + "\n")
    (OUT_DIR / f"{stem}.json").write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
