"""What an optimization phase says it swept (engine.sessions.swept_parameters) and how it is labelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from engine.analysis import Intent, SessionResult
from engine.records import GenerationRecord, LoraRef
from engine.session_analysis import analyze_records
from engine.sessions.labels import phase_label, session_label

T0 = datetime(2026, 4, 1, 20, 0, tzinfo=UTC)
WORDS = "a lighthouse in a storm, oil painting"


def _records(rows: list[dict[str, Any]], step_seconds: float = 40.0) -> list[GenerationRecord]:
    """One ComfyUI record per row, ``step_seconds`` apart; a row's fields override the defaults."""
    records = []
    for index, fields in enumerate(rows):
        values: dict[str, Any] = {
            "tool": "comfyui",
            "user": "ada",
            "model": "sdxl",
            "prompt": WORDS,
            "cfg_scale": 7.0,
            "steps": 30,
            "sampler": "euler",
            "scheduler": "normal",
            "width": 1024,
            "height": 1024,
            **fields,
        }
        created_at = T0 + timedelta(seconds=step_seconds * index)
        records.append(GenerationRecord(id=f"r{index:03d}", created_at=created_at, **values))
    return records


def _rerolls(count: int = 8) -> list[dict[str, Any]]:
    return [{"seed": 5000 + i} for i in range(count)]


def _optimization(rows: list[dict[str, Any]]) -> tuple[SessionResult, dict[str, Any], str]:
    analysis = analyze_records(_records(rows))
    assert len(analysis.sessions) == 1
    session = analysis.sessions[0]
    phases = [p for p in session.phases if p.intent is Intent.OPTIMIZATION]
    assert len(phases) == 1, [(p.intent, p.label) for p in session.phases]
    return session, phases[0].detail, phases[0].label


def test_a_midjourney_stylize_sweep_is_named_by_its_full_name() -> None:
    rows = [{"tool": "midjourney", "prompt": f"{WORDS} --seed {s}", "seed": s} for s in range(8)]
    rows += [
        {"tool": "midjourney", "prompt": f"{WORDS} --s {value} --seed 42", "seed": 42}
        for value in (50, 100, 250, 500, 750, 1000)
    ]
    _, detail, label = _optimization(rows)
    assert detail["parameter_range"] == "stylize 50→1000"  # the seed moved too: never named
    assert label == f"Optimized: stylize 50→1000 for {label.split(' for ', 1)[1]}"


def test_a_lora_weight_sweep_names_the_lora_without_its_file_extension() -> None:
    rows = _rerolls()
    rows += [
        {"seed": 42, "loras": (LoraRef("loras/styles/Ink_Style.safetensors", w),)}
        for w in (0.2, 0.4, 0.6, 0.8, 1.0, 1.2)
    ]
    _, detail, label = _optimization(rows)
    assert detail["parameter_range"] == "Ink_Style weight 0.2→1.2"
    assert label.startswith("Optimized: Ink_Style weight 0.2→1.2 for ")


def test_adding_and_removing_loras_lists_the_sets_used() -> None:
    sets = [(), ("ink",), ("ink", "film_grain"), ("film_grain",), (), ("ink",)]
    rows = _rerolls()
    rows += [
        {"seed": 42, "loras": tuple(LoraRef(f"{name}.safetensors", 0.8) for name in names)} for names in sets
    ]
    _, detail, _ = _optimization(rows)
    assert detail["parameter"] == "LoRAs"
    assert detail["values"] == ["none", "ink", "film_grain, ink", "film_grain"]


def test_a_flux_guidance_sweep_is_named() -> None:
    rows = _rerolls()
    rows += [{"seed": 42, "extra": {"guidance": value}} for value in (2.0, 2.5, 3.0, 3.5, 4.0)]
    _, detail, _ = _optimization(rows)
    assert detail["parameter_range"] == "guidance 2→4"


def test_a_scheduler_sweep_is_named() -> None:
    rows = _rerolls()
    rows += [{"seed": 42, "scheduler": name} for name in ("karras", "exponential", "sgm_uniform", "beta")]
    session, detail, _ = _optimization(rows)
    assert detail["parameter_range"] == "scheduler: karras, exponential, sgm_uniform, …"
    assert "exploration" not in session.label.lower()


def test_the_knob_with_most_values_wins_and_ties_keep_the_named_numeric_fields_first() -> None:
    rows = _rerolls()
    rows += [
        {"seed": 42, "cfg_scale": cfg, "sampler": s} for cfg, s in ((4, "a"), (6, "b"), (8, "c"), (10, "d"))
    ]
    _, detail, _ = _optimization(rows)
    assert detail["parameter_range"] == "CFG 4→10"  # four values each: the named field first
    rows[-1]["sampler"] = "a"
    assert _optimization(rows)[1]["parameter_range"] == "CFG 4→10"
    for row, cfg in zip(rows[-4:], (4, 4, 6, 6), strict=True):
        row.update(cfg_scale=cfg, sampler=f"s{cfg}{row['sampler']}")
    assert _optimization(rows)[1]["parameter_range"] == "sampler: s4a, s4b, s6c, …"  # most values win


def test_an_optimization_that_names_no_knob_never_reads_as_exploration() -> None:
    intent = Intent.OPTIMIZATION
    phase = phase_label(
        concept="red fox", intent=intent, image_count=6, distinct_seeds=6, optimized_parameter=None
    )
    session = session_label(
        concept="red fox",
        tool="comfyui",
        intent=intent,
        image_count=6,
        duration=timedelta(minutes=4),
        distinct_seeds=6,
        optimized_parameter=None,
        explored=("red fox", "grey wolf"),
    )
    assert phase == "Red fox parameter optimization — 6 images"
    assert session == "Red fox parameter optimization (4 min, 6 images)"


def test_a_phase_without_a_prompt_is_named_by_its_intent_alone() -> None:
    common: dict[str, Any] = {"concept": None, "image_count": 3, "distinct_seeds": 3}
    assert (
        phase_label(intent=Intent.EXPLORATION, optimized_parameter=None, **common) == "Exploration — 3 images"
    )
    assert phase_label(intent=Intent.REFINEMENT, optimized_parameter=None, **common) == (
        "Refinement — 3 seed variations"
    )
    assert (
        phase_label(intent=Intent.OPTIMIZATION, optimized_parameter="CFG 5→12", **common)
        == "Optimized: CFG 5→12"
    )
    assert phase_label(intent=Intent.OPTIMIZATION, optimized_parameter=None, **common) == (
        "Parameter optimization — 3 images"
    )
