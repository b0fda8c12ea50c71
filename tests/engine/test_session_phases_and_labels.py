"""Phases (exploration / refinement / optimization), convergent selection, and session labels."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

import engine.metadata as metadata_package
from engine.analysis import Intent, SessionResult
from engine.records import GenerationRecord, LoraRef, TimePrecision
from engine.session_analysis import analyze_records
from engine.sessions.labels import (
    EXPLORED_SUBJECT_CHARS,
    MAX_CONCEPT_CHARS,
    TOOL_DISPLAY_NAMES,
    bounded_concept,
    concept_of,
    explored_subjects,
    format_duration,
    session_label,
)

T0 = datetime(2026, 4, 1, 20, 0, tzinfo=UTC)
EXPLORATION_PROMPTS = [
    "cyberpunk cityscape at night, neon signs, rain",
    "futuristic street market, holographic billboards",
    "cyberpunk skyline with flying cars, purple glow",
    "hacker den full of monitors, cables, dim light",
    "rainy megacity rooftop, chrome reflections",
    "neon alley with vending machines, fog",
    "cyberpunk cityscape, dense fog, teal glow",
    "underground club, lasers, crowd silhouettes",
]


class Clock:
    """Hands out record times one step apart (batches share a second)."""

    def __init__(self, step_seconds: float = 50.0) -> None:
        self.time = T0
        self.step = timedelta(seconds=step_seconds)
        self.count = 0

    def record(self, prompt: str | None, *, same_batch: bool = False, **fields: Any) -> GenerationRecord:
        if not same_batch:
            self.time += self.step
        self.count += 1
        fields.setdefault("tool", "comfyui")
        fields.setdefault("user", "ada")
        fields.setdefault("model", "sdxl")
        fields.setdefault("cfg_scale", 7.0)
        fields.setdefault("steps", 30)
        fields.setdefault("width", 1024)
        fields.setdefault("height", 1024)
        fields.setdefault("file_name", f"{self.count:05d}.png")
        return GenerationRecord(id=f"r{self.count:04d}", created_at=self.time, prompt=prompt, **fields)


def exploration(clock: Clock, prompts: list[str], batch: int = 1) -> Iterator[GenerationRecord]:
    for index, prompt in enumerate(prompts):
        for image in range(batch):
            yield clock.record(prompt, same_batch=image > 0, seed=1000 * index + image)


def refinement(clock: Clock, prompt: str, count: int, batch: int = 1) -> Iterator[GenerationRecord]:
    for index in range(count):
        text = f"{prompt}, warm light" if index % 5 == 4 else prompt  # a small tweak now and then
        for image in range(batch):
            yield clock.record(text, same_batch=image > 0, seed=5000 + 10 * index + image)


def cfg_sweep(clock: Clock, prompt: str, values: list[float]) -> Iterator[GenerationRecord]:
    for value in values:
        yield clock.record(prompt, seed=777, cfg_scale=value)


def _phase_of(session: SessionResult) -> dict[str, Intent]:
    return {asset: phase.intent for phase in session.phases for asset in phase.asset_ids}


def _only_session(records: list[GenerationRecord], **kwargs: Any) -> SessionResult:
    analysis = analyze_records(records, **kwargs)
    assert len(analysis.sessions) == 1, [s.asset_ids[0] for s in analysis.sessions]
    return analysis.sessions[0]


def test_exploration_then_refinement_of_an_explored_prompt_is_convergent_selection() -> None:
    clock = Clock()
    explored = list(exploration(clock, EXPLORATION_PROMPTS, batch=2))
    refined = list(refinement(clock, EXPLORATION_PROMPTS[2], 14, batch=2))
    session = _only_session([*explored, *refined])
    phases = _phase_of(session)
    accuracy = np.mean(
        [phases[r.id] is Intent.EXPLORATION for r in explored]
        + [phases[r.id] is Intent.REFINEMENT for r in refined]
    )
    assert accuracy >= 0.9
    assert session.intent is Intent.CONVERGENT_SELECTION
    assert [p.intent for p in session.phases] == [Intent.EXPLORATION, Intent.REFINEMENT]


def test_refinement_of_a_new_prompt_after_exploration_is_not_convergent() -> None:
    clock = Clock()
    records = [
        *exploration(clock, EXPLORATION_PROMPTS[:6]),
        *refinement(clock, "cyberpunk samurai portrait, red visor, studio light", 12),
    ]
    session = _only_session(records)
    assert [p.intent for p in session.phases] == [Intent.EXPLORATION, Intent.REFINEMENT]
    assert session.intent is not Intent.CONVERGENT_SELECTION


def test_cfg_sweep_is_optimization_and_names_the_parameter_and_range() -> None:
    clock = Clock()
    records = [
        *refinement(clock, "snowy mountain landscape at dawn", 8),
        *cfg_sweep(clock, "snowy mountain landscape at dawn", [5, 6, 7, 8, 9, 10, 11, 12]),
    ]
    session = _only_session(records)
    optimization = [p for p in session.phases if p.intent is Intent.OPTIMIZATION]
    assert len(optimization) == 1
    assert optimization[0].detail["parameter_range"] == "CFG 5→12"
    assert set(optimization[0].asset_ids) >= {r.id for r in records[9:]}


def _optimized_rows(records: list[GenerationRecord]) -> set[str]:
    phases = _phase_of(_only_session(records))
    return {asset for asset, intent in phases.items() if intent is Intent.OPTIMIZATION}


def test_a_cfg_sweep_on_two_seeds_is_optimization() -> None:
    """An X/Y plot of seed × CFG: every row changes seed from the previous one, but against the last
    row of its own seed only the CFG moved."""
    clock = Clock()
    prompt = "snowy mountain landscape at dawn"
    refined = list(refinement(clock, prompt, 8))
    sweep = [clock.record(prompt, seed=seed, cfg_scale=cfg) for cfg in (5, 7, 9, 11, 13) for seed in (41, 42)]
    assert _optimized_rows([*refined, *sweep]) >= {r.id for r in sweep[2:]}


def test_sweeps_written_into_the_prompt_are_optimization() -> None:
    """Midjourney's ``--stylize`` and A1111's ``<lora:…:w>`` are settings inside the prompt's text."""
    words = "a lighthouse in a storm, oil painting"
    clock = Clock()
    refined = [clock.record(f"{words} --seed {s}", tool="midjourney", seed=s) for s in range(8)]
    stylize = [
        clock.record(f"{words} --stylize {value} --seed 42", tool="midjourney", seed=42)
        for value in (50, 100, 250, 500, 750, 1000)
    ]
    assert _optimized_rows([*refined, *stylize]) >= {r.id for r in stylize[1:]}
    clock = Clock()
    refined = list(refinement(clock, words, 8))
    weights = [
        clock.record(f"{words} <lora:ink_style:{w}>", loras=(LoraRef("ink_style", w),), seed=42)
        for w in (0.2, 0.4, 0.6, 0.8, 1.0, 1.2)
    ]
    assert _optimized_rows([*refined, *weights]) >= {r.id for r in weights[1:]}


def test_a_stylize_sweep_without_seeds_is_optimization() -> None:
    """Midjourney files and hosted services write no seed: under one prompt, every job read as a reroll
    (refinement), so a ``--stylize`` sweep after a few rerolls was a refinement too."""
    words = "a lighthouse in a storm, oil painting --ar 2:3 --v 7"
    clock = Clock(step_seconds=70)
    fields: dict[str, Any] = {
        "tool": "midjourney",
        "model": "midjourney v7",
        "cfg_scale": None,
        "steps": None,
    }
    rerolls = [clock.record(words, job_id=f"r{index}", **fields) for index in range(6)]
    stylize = [
        clock.record(f"{words} --stylize {value}", job_id=f"s{value}", **fields)
        for value in (0, 100, 250, 500, 750, 1000)
    ]
    assert _optimized_rows([*rerolls, *stylize]) >= {r.id for r in stylize[1:]}


def test_optimization_session_label_names_the_sweep_and_concept() -> None:
    clock = Clock()
    records = list(cfg_sweep(clock, "mountain landscape, golden hour", [5, 6, 7, 8, 9, 10, 11, 12]))
    session = _only_session(records)
    assert session.intent is Intent.OPTIMIZATION
    assert session.label == "Optimized: CFG 5→12 for mountain landscape"


def test_batches_of_an_exploration_stay_exploration() -> None:
    clock = Clock()
    records = list(exploration(clock, EXPLORATION_PROMPTS, batch=4))
    session = _only_session(records)
    assert [p.intent for p in session.phases] == [Intent.EXPLORATION]
    # eight subjects, four images each: three listed (the cyberpunk cityscapes and skyline are one), then "…"
    listed = r"Explored: cyberpunk [a-z]+, [a-z ]+, [a-z ]+, … \(\d+ min, 32 images\)"
    assert re.fullmatch(listed, session.label)
    assert session.phases[0].label.startswith("Explored: cyberpunk ")
    assert session.phases[0].label.endswith(", … — 32 images")


def test_an_exploration_queued_a_few_images_per_subject_is_exploration() -> None:
    """A queue of four (seed "increment"), one image a step, then a new subject: each subject is
    sampled, not refined, though three steps in four are rerolls."""
    clock = Clock()
    records = [
        clock.record(prompt, seed=1000 * index + image)
        for index, prompt in enumerate(EXPLORATION_PROMPTS)
        for image in range(4)
    ]
    session = _only_session(records)
    assert [p.intent for p in session.phases] == [Intent.EXPLORATION]
    assert session.intent is Intent.EXPLORATION and session.label.startswith("Explored: ")


def test_an_exploration_queued_in_pairs_of_consecutive_seeds_is_exploration() -> None:
    """Each subject queued three times, two images each (seed, seed + 1, rendered 15 s apart): one
    decision per queue, not six rerolls."""
    clock = Clock(step_seconds=15.0)
    records = []
    for index, prompt in enumerate(EXPLORATION_PROMPTS):
        for queue in range(3):
            clock.time += timedelta(seconds=60)  # looking at the last pair, queueing the next
            records += [clock.record(prompt, seed=1000 * index + 10 * queue + image) for image in range(2)]
    sessions = analyze_records(records).sessions  # (a first or last subject may stand apart)
    exploring = max(sessions, key=lambda session: len(session.asset_ids))
    assert len(exploring.asset_ids) >= 36
    assert [p.intent for p in exploring.phases] == [Intent.EXPLORATION]


def test_an_exploration_that_queues_many_rerolls_of_each_subject_within_minutes_is_exploration() -> None:
    """Ten random-seed rerolls of each subject, 12 s apart, a new subject every ~2½ minutes: too many
    takes for a short run, but each subject is left within minutes — sampled, not refined."""
    clock = Clock(step_seconds=12.0)
    records = []
    for index, prompt in enumerate(EXPLORATION_PROMPTS):
        clock.time += timedelta(seconds=20)  # typing the next subject
        records += [clock.record(prompt, seed=7919 * (index * 10 + take) % 100_000) for take in range(10)]
    phase_of = _phase_of(_only_session(records))
    # every subject a new idea ends is explored (the last one, which nothing ends, may read either way)
    assert {phase_of[r.id] for r in records[:70]} == {Intent.EXPLORATION}


def test_an_exploration_that_tries_seeds_and_a_phrase_per_subject_is_exploration() -> None:
    """A new subject every four or five minutes, each tried with a few seeds and a phrase added or
    weighted on the way (as artists explore by hand): the subjects are sampled, not refined — a tweak
    of a subject soon left is part of trying it."""
    clock = Clock(step_seconds=70.0)
    records = []
    for index, prompt in enumerate(EXPLORATION_PROMPTS[:6]):
        takes = [prompt, prompt, f"{prompt}, soft light", f"{prompt}, (soft light:1.3)"]
        records += [
            clock.record(text, seed=7919 * (index * 10 + take) % 100_000) for take, text in enumerate(takes)
        ]
    phase_of = _phase_of(_only_session(records))
    # every subject a new idea ends is explored (the last one, which nothing ends, may read either way)
    assert {phase_of[r.id] for r in records[:20]} == {Intent.EXPLORATION}


def test_a_subject_refined_with_tweaks_for_many_minutes_before_a_new_idea_is_refinement() -> None:
    """The same subject worked for twelve minutes, rerolled and tweaked, before the next idea: a
    refinement, though a new idea ends it."""
    clock = Clock(step_seconds=60.0)
    base = EXPLORATION_PROMPTS[0]
    texts = [base if take % 3 else f"{base}, detail pass {take}" for take in range(12)]
    records = [clock.record(text, seed=7919 * take % 100_000) for take, text in enumerate(texts)]
    records += [clock.record(prompt, seed=50 + i) for i, prompt in enumerate(EXPLORATION_PROMPTS[1:5])]
    session = _only_session(records)
    assert session.phases[0].intent is Intent.REFINEMENT
    assert set(session.phases[0].asset_ids) >= {r.id for r in records[:11]}


def test_midjourney_variations_of_a_kept_image_are_refinement() -> None:
    """Midjourney writes no seed: refining an idea there is Vary (Strong / Subtle) on a grid image, each
    job naming its parent job. Working on a kept image is refinement, though no reroll shows it; the
    exploration around it stays exploration, and an upscale (a larger copy) is no evidence either way."""
    clock = Clock(step_seconds=90)
    fields: dict[str, Any] = {
        "tool": "midjourney",
        "model": "midjourney v6.1",
        "cfg_scale": None,
        "steps": None,
    }
    records: list[GenerationRecord] = []
    for index, prompt in enumerate(EXPLORATION_PROMPTS[:4]):
        job = [clock.record(prompt, same_batch=i > 0, job_id=f"e{index}", **fields) for i in range(4)]
        records += job
    kept = "a lighthouse keeper reading by lamplight, oil painting"
    parent = "k0"
    records += [clock.record(kept, same_batch=i > 0, job_id=parent, **fields) for i in range(4)]
    refined = []
    for number in range(1, 11):
        job_id = f"k{number}"
        refined += [
            clock.record(
                kept,
                same_batch=i > 0,
                job_id=job_id,
                parent_job_id=parent,
                extra={"parent_grid": number % 4, "job_type": "variation"},
                **fields,
            )
            for i in range(4)
        ]
        parent = job_id
    records += refined
    for index, prompt in enumerate(EXPLORATION_PROMPTS[4:]):
        records += [clock.record(prompt, same_batch=i > 0, job_id=f"x{index}", **fields) for i in range(4)]
    session = _only_session(records)
    phases = _phase_of(session)
    assert np.mean([phases[r.id] is Intent.REFINEMENT for r in refined]) >= 0.9, session.phases
    assert phases[records[0].id] is Intent.EXPLORATION and phases[records[-1].id] is Intent.EXPLORATION


EDIT_INSTRUCTIONS = ["fix the hands", "make her smile", "change the background to snow", "add falling petals"]


def test_edits_of_a_kept_image_under_instruction_prompts_are_refinement() -> None:
    """An edit model's prompt is an instruction, not a new idea: inpainting the hands, then "make her
    smile", is work on one kept image. Whether the file names its source (ComfyUI's ``LoadImage``, a
    Qwen-Image-Edit / Kontext chain) or not (A1111's img2img tab: only a denoise below 1 shows it),
    the edits are a refinement after the exploration that found the image."""
    for named in (True, False):
        clock = Clock(step_seconds=70)
        explored = list(exploration(clock, EXPLORATION_PROMPTS[:5]))
        kept = explored[-1]
        edits = []
        for index, instruction in enumerate(EDIT_INSTRUCTIONS * 2):
            source = {"source_image": kept.file_name} if named else {}
            edits.append(clock.record(instruction, seed=9000 + index, denoise=0.45, **source))
        session = _only_session(explored + edits)
        phases = _phase_of(session)
        assert np.mean([phases[r.id] is Intent.REFINEMENT for r in edits]) >= 0.85, (named, session.phases)
        assert phases[explored[0].id] is Intent.EXPLORATION


def test_a_denoise_below_one_is_no_edit_in_a_hires_pass_or_a_denoise_sweep() -> None:
    """A txt2img with a hires pass (A1111 ``Hires upscale``; a ComfyUI graph of several samplers)
    writes the second pass's denoise: its new prompts are an exploration still. A denoise moved under
    one prompt and seed is a sweep (optimization), not an edit."""
    clock = Clock()
    hires = [
        clock.record(prompt, seed=100 + index, denoise=0.5, extra={"hires_upscale": 2.0})
        for index, prompt in enumerate(EXPLORATION_PROMPTS)
    ]
    session = _only_session(hires)
    assert {phase.intent for phase in session.phases} == {Intent.EXPLORATION}
    clock = Clock()
    sweep = [
        clock.record("a lighthouse at dusk", seed=7, denoise=value) for value in (0.3, 0.4, 0.5, 0.6, 0.7)
    ]
    assert _only_session(sweep).intent is Intent.OPTIMIZATION


def test_a_denoise_sweep_of_img2img_passes_on_one_named_photo_is_optimization() -> None:
    """img2img passes that name their source (ComfyUI's ``LoadImage`` of a scanned photo) under one
    prompt and seed with the denoise moved are a sweep of that take, not reworks of a kept image; the
    same passes under edited prompts stay a refinement."""
    clock = Clock()
    photo = {"source_image": "scan_0042.jpg"}
    sweep = [
        clock.record("restored photograph, natural colors", seed=7, denoise=value, **photo)
        for value in (0.3, 0.4, 0.5, 0.6, 0.7)
    ]
    assert _only_session(sweep).intent is Intent.OPTIMIZATION
    clock = Clock()
    edits = [
        clock.record(f"restored photograph, natural colors, {detail}", seed=7 + index, denoise=0.45, **photo)
        for index, detail in enumerate(
            ("sharper face", "warmer skin", "no scratches", "film grain", "blue sky")
        )
    ]
    assert _only_session(edits).intent is Intent.REFINEMENT


def test_minutes_of_rerolls_before_a_new_idea_are_still_a_refinement() -> None:
    """The same rerolls kept for ten minutes (one a minute) before the next idea: a refinement."""
    clock = Clock(step_seconds=60.0)
    records = [clock.record(EXPLORATION_PROMPTS[0], seed=7919 * take % 100_000) for take in range(10)]
    records += [
        clock.record(prompt, seed=50 + index) for index, prompt in enumerate(EXPLORATION_PROMPTS[1:5])
    ]
    session = _only_session(records)
    assert session.phases[0].intent is Intent.REFINEMENT
    assert set(session.phases[0].asset_ids) >= {r.id for r in records[:9]}


def test_refinement_label_counts_seed_variations() -> None:
    clock = Clock()
    records = [clock.record("neon portrait, rim light", seed=i) for i in range(15)]
    session = _only_session(records)
    assert session.intent is Intent.REFINEMENT
    assert session.label == "Neon portrait refinement — 15 seed variations"


def test_phases_partition_the_session_in_stream_order() -> None:
    clock = Clock()
    records = [
        *exploration(clock, EXPLORATION_PROMPTS[:5], batch=2),
        *refinement(clock, EXPLORATION_PROMPTS[1], 10),
        *cfg_sweep(clock, EXPLORATION_PROMPTS[1], [4, 5, 6, 7, 8, 9]),
    ]
    session = _only_session(records)
    flattened = [asset for phase in session.phases for asset in phase.asset_ids]
    assert flattened == session.asset_ids == [r.id for r in records]
    assert all(phase.asset_ids for phase in session.phases)


def test_visual_similarity_breaks_ties_between_exploration_and_refinement() -> None:
    """Same-prompt re-rolls that look completely different read as exploration when pictures say so."""
    clock = Clock()
    records = [clock.record("abstract shapes", seed=i) for i in range(12)]
    rng = np.random.default_rng(3)
    different = {r.id: rng.normal(size=16) for r in records}
    alike_base = rng.normal(size=16)
    alike = {r.id: alike_base + 0.05 * rng.normal(size=16) for r in records}
    assert _only_session(records, visual_embeddings=alike).phases[0].intent is Intent.REFINEMENT
    diverse = _only_session(records, visual_embeddings=different)
    assert Intent.EXPLORATION in {p.intent for p in diverse.phases}


def test_labels_without_prompts_name_the_tool() -> None:
    clock = Clock()
    records = [clock.record(None, seed=i, tool="midjourney") for i in range(3)]
    assert _only_session(records).label == "Midjourney session (2 min, 3 images)"


def _tool_ids_the_readers_write() -> set[str]:
    """Every literal tool id in ``engine/metadata``: ``….tool = "x"`` assignments and the string
    returns of the functions that pick a tool (``family_tool``, ``_tool_for``)."""
    ids: set[str] = set()
    for path in Path(metadata_package.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Attribute) and target.attr == "tool" for target in node.targets
            ):
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    ids.add(node.value.value)
            elif isinstance(node, ast.FunctionDef) and node.name in ("family_tool", "_tool_for"):
                for inner in ast.walk(node):
                    returned = inner.value if isinstance(inner, ast.Return) else None
                    if isinstance(returned, ast.Constant) and isinstance(returned.value, str):
                        ids.add(returned.value)
    return ids


def test_every_tool_the_readers_name_has_a_display_name() -> None:
    """A session without a prompt is labelled by its tool: "Draw Things session", never "Drawthings"."""
    ids = _tool_ids_the_readers_write()
    assert {"comfyui", "a1111", "drawthings", "mochidiffusion", "firefly"} <= ids  # the scan finds them
    assert sorted(ids - set(TOOL_DISPLAY_NAMES)) == []
    clock = Clock()
    records = [clock.record(None, seed=i, tool="drawthings") for i in range(2)]
    assert _only_session(records).label == "Draw Things session (1 min, 2 images)"


def test_day_precision_sessions_have_no_duration_in_their_label() -> None:
    day = datetime(2026, 4, 2, tzinfo=UTC)
    records = [
        GenerationRecord(
            id=f"d{i}",
            tool="chatgpt",
            user="ada",
            created_at=day,
            created_at_precision=TimePrecision.DAY,
            prompt="watercolor fox in the snow",
            file_name=f"{i}.png",
        )
        for i in range(4)
    ]
    label = _only_session(records).label
    assert "min" not in label and " h" not in label and "4 variations" in label


def test_labels_are_descriptive_not_judgemental() -> None:
    clock = Clock()
    records = [*exploration(clock, EXPLORATION_PROMPTS), *refinement(clock, EXPLORATION_PROMPTS[0], 6)]
    analysis = analyze_records(records)
    words = " ".join(
        [s.label for s in analysis.sessions] + [p.label for s in analysis.sessions for p in s.phases]
    )
    for judgement in ("bad", "failed", "poor", "wasted", "ugly", "best", "good"):
        assert judgement not in words.lower().split()


def test_concept_prefers_the_subject_over_boilerplate_and_merges_near_duplicates() -> None:
    prompts = [
        "masterpiece, best quality, cyberpunk city, neon, 8k",
        "cyberpunk cityscape at night, highly detailed",
        "cyberpunk city, rain, trending on artstation",
        "portrait of a cat, 8k",
    ]
    assert concept_of(prompts) == "cyberpunk city"
    assert concept_of([None, ""]) is None


def test_an_exploration_lists_what_it_explored_not_the_look_it_kept() -> None:
    """Issue 11 quotes the product documents: an exploration is labelled by what it explored
    ("Explored: sci-fi interiors, fantasy landscapes, abstract patterns"); the medium every prompt
    repeats is the look, not a subject."""
    clock = Clock()
    prompts = [
        "elven city in giant trees, oil painting, warm light",
        "dragon on castle ruins, oil painting, warm light",
        "sea serpent in a stormy sea, oil painting, warm light",
        "lighthouse on a cliff, oil painting, warm light",
    ]
    session = _only_session(list(exploration(clock, prompts, batch=2)))
    assert session.intent is Intent.EXPLORATION
    assert re.fullmatch(
        r"Explored: elven city, dragon on castle ruins, sea serpent, … \(\d+ min, 8 images\)", session.label
    ), session.label
    # the same subject in several media: the media are what was explored (the most used first)
    media = [("a red fox, watercolor", 2), ("a red fox, pixel art", 1), ("a red fox, linocut", 1)]
    subjects = explored_subjects(media)
    assert subjects[0] == "watercolor" and set(subjects) == {"watercolor", "pixel art", "linocut"}


def test_a_session_that_refines_after_exploring_is_named_by_what_it_refined_not_its_look() -> None:
    """Every prompt repeats the artist's look ("charcoal sketch, muted palette"): counted over the whole
    session the look is the most used phrase, but the session is about the subject it refined."""
    look = "charcoal sketch, muted palette"
    subjects = ["old harbour", "lighthouse keeper", "fishing boats", "storm clouds", "gulls over waves"]
    clock = Clock()
    explored = list(exploration(clock, [f"{subject}, {look}" for subject in subjects], batch=3))
    refined = list(refinement(clock, f"weathered fisherman mending a net, {look}", 20))
    session = _only_session([*explored, *refined])
    assert [p.intent for p in session.phases] == [Intent.EXPLORATION, Intent.REFINEMENT]
    assert session.label.startswith("Weathered fisherman"), session.label
    assert "charcoal" not in session.label.lower()
    # converging on an explored subject: named by it too
    clock = Clock()
    explored = list(exploration(clock, [f"{subject}, {look}" for subject in subjects], batch=3))
    refined = list(refinement(clock, f"{subjects[1]}, {look}", 14))
    session = _only_session([*explored, *refined])
    assert session.intent is Intent.CONVERGENT_SELECTION
    assert re.fullmatch(r"Lighthouse keeper: exploration → refinement \(\d+ min, 29 images\)", session.label)


def test_a_subject_the_exploration_dwelt_on_is_listed_not_taken_for_the_look() -> None:
    """Ten rerolls of one idea among single tries of three others: that idea fills most records but
    one prompt of four, so it is a subject; the look is in every prompt and every record."""
    look = "oil painting, warm light"
    counts = [
        (f"red fox in the snow, {look}", 10),
        (f"heron at dawn, {look}", 1),
        (f"old mill by a river, {look}", 1),
        (f"lighthouse on a cliff, {look}", 1),
    ]
    subjects = explored_subjects(counts)
    assert subjects[0] == "red fox", subjects
    assert "oil painting" not in subjects and "warm light" not in subjects


def test_explored_subjects_rank_by_records_and_cluster_near_duplicates() -> None:
    subjects = explored_subjects(
        [
            ("cyberpunk city at night, neon", 1),
            ("mountain lake, mist", 3),
            ("cyberpunk cityscape, rain", 1),
            ("desert caravan", 1),
        ]
    )
    assert subjects == ("mountain lake", "cyberpunk cityscape", "desert caravan")
    assert explored_subjects([("one prompt only, oil painting", 9)]) == ()
    assert explored_subjects([("", 3), ("a castle", 2)]) == ()


def test_an_exploration_with_one_varying_subject_keeps_its_concept_label() -> None:
    """A list needs two subjects at least; otherwise the exploration is named by its concept."""
    one = explored_subjects([("portrait of an astronaut, film grain", 1), ("portrait of an astronaut", 1)])
    assert one == ("film grain",)

    def label(duration: timedelta | None, explored: tuple[str, ...]) -> str:
        return session_label(
            concept="astronaut",
            tool="comfyui",
            intent=Intent.EXPLORATION,
            image_count=2,
            duration=duration,
            distinct_seeds=2,
            explored=explored,
        )

    assert label(timedelta(minutes=3), one) == "Astronaut Exploration (3 min, 2 images)"
    assert label(None, ("moon", "mars")) == "Explored: moon, mars (2 images)"


def test_explored_subjects_are_cut_to_label_size() -> None:
    long_subject = "an extraordinarily elaborate baroque cathedral"
    subjects = explored_subjects([(f"{long_subject}, oil", 1), ("tiny cottage, oil", 1)])
    assert all(len(subject) <= EXPLORED_SUBJECT_CHARS for subject in subjects)
    assert len(subjects) == 2


def test_durations_read_naturally() -> None:
    assert format_duration(timedelta(seconds=20)) == "< 1 min"
    assert format_duration(timedelta(minutes=45)) == "45 min"
    assert format_duration(timedelta(minutes=130)) == "2 h 10 min"
    assert format_duration(timedelta(hours=3)) == "3 h"


def test_a_concept_of_huge_words_is_cut_to_a_label_sized_phrase() -> None:
    """A "word" can be a URL, a hash or a hostile million-character run: the label stays short."""
    clock = Clock()
    blob = "x" * 1_000_000
    session = _only_session([clock.record(f"{blob}, oil painting", seed=seed) for seed in range(3)])
    assert len(session.label) < 120 and "x" * (MAX_CONCEPT_CHARS - 1) + "…" in session.label.lower()
    assert all(len(phase.label) < 120 for phase in session.phases)

    sentence = " ".join(["supercalifragilisticexpialidocious"] * 5)  # five long words
    assert bounded_concept(sentence) == "supercalifragilisticexpialidocious…"
    assert bounded_concept("cyberpunk cityscape") == "cyberpunk cityscape"
    assert len(bounded_concept("y" * 500)) == MAX_CONCEPT_CHARS


# -- prompts written without spaces (Chinese, Japanese) ----------------------------------------------

CHINESE_EDITS = [
    "一个年轻女孩坐在樱花树下看书，水彩画风格",
    "一个年轻女孩坐在樱花树下看书，柔和的晨光，水彩画风格",
    "一个年轻女孩坐在樱花树下读一封信，柔和的晨光，水彩画风格",
    "一个年轻女孩坐在盛开的樱花树下读一封信，柔和的晨光，水彩画风格",
    "一个穿着和服的年轻女孩坐在盛开的樱花树下读一封信，柔和的晨光，水彩画风格",
]
CHINESE_HOPS = [
    "城堡废墟上栖息的巨龙",
    "巨树中的精灵之城",
    "全息地图的星舰舰桥",
    "在水中绽放的墨滴",
    "长着飞蛾翅膀的猫头鹰",
]


def _chinese_record(index: int, minutes: float, prompt: str) -> GenerationRecord:
    return GenerationRecord(
        id=f"zh{index:03d}",
        tool="comfyui",
        user="li",
        created_at=T0 + timedelta(minutes=minutes),
        prompt=prompt,
        seed=100 + index,
        model="qwen_image_fp8.safetensors",
        steps=20,
        cfg_scale=4.0,
        width=1328,
        height=1328,
    )


def test_a_chinese_prompt_edited_a_phrase_at_a_time_is_a_refinement() -> None:
    """Each edit changes a phrase inside the unspaced text; read as whole runs every edit was a new
    prompt and the session an exploration."""
    records = [
        _chinese_record(step * 4 + take, step * 6.0 + take * 0.5, prompt)
        for step, prompt in enumerate(CHINESE_EDITS)
        for take in range(4)
    ]
    (session,) = analyze_records(records).sessions
    assert session.intent == Intent.REFINEMENT
    assert session.label.startswith("一个年轻女孩坐在樱花树下看书 refinement")


def test_a_chinese_exploration_lists_its_subjects_without_the_shared_medium() -> None:
    records = [
        _chinese_record(number * 2 + take, number * 2.5 + take * 0.6, f"{subject}，油画")
        for number, subject in enumerate(CHINESE_HOPS)
        for take in range(2)
    ]
    (session,) = analyze_records(records).sessions
    assert session.intent == Intent.EXPLORATION
    assert session.label.startswith("Explored: 城堡废墟上栖息的巨龙, 巨树中的精灵之城")
    assert "油画" not in session.label


def test_lighting_tags_sharing_a_word_do_not_outweigh_the_subject() -> None:
    """A beekeeper refined thirty times under the same lighting tags ("rim light", "dust particles in
    the light", "light rain", "natural light"): the tags share only the word "light", which says nothing
    of what the image is about, so they do not pool into one concept that outweighs the subject."""
    look = "rim light, dust particles in the light, light rain, 35mm photo, natural light"
    prompts = {
        f"a beekeeper fixing a radio on a rooftop garden, {look}": 8,
        f"a beekeeper fixing a radio on a rooftop garden, {look}, reflections on wet pavement": 8,
        f"a beekeeper writing in a notebook on a rooftop garden, {look}, reflections on wet pavement": 6,
        "a beekeeper sleeping on a rooftop garden, rim light, dust particles in the light, natural light": 4,
        f"a beekeeper sleeping on a rooftop garden, {look}": 3,
        f"a beekeeper walking a dog on a rooftop garden, {look}": 1,
    }
    concept = concept_of([f"masterpiece, best quality, {p}" for p, n in prompts.items() for _ in range(n)])
    assert concept is not None and concept.startswith("beekeeper"), concept


def test_a_subject_refined_in_one_film_look_is_named_by_its_subject_not_its_look() -> None:
    """A lighthouse keeper refined with edits to what he does, every prompt in the same look ("kodak
    portra 400", "35mm", "golden hour", "wide angle"): the look is the same in every record, the subject
    is what the session is about."""
    look = "kodak portra 400, 35mm film, golden hour, wide angle, film grain"
    doing = ["mending fishing nets", "painting the railing", "reading a letter", "lighting the lamp"]
    prompts = [f"an old lighthouse keeper {what} on the gallery, {look}" for what in doing for _ in range(6)]
    concept = concept_of(prompts)
    assert concept is not None and concept.startswith("old lighthouse keeper"), concept


def test_an_exploration_lists_subjects_not_the_look_words_that_open_its_prompts() -> None:
    """Prompts that open with their light or framing ("backlit, a barn owl …", "golden hour, a red fox
    …"): the exploration went through the animals, not through the lighting."""
    openers = ["backlit", "golden hour", "blue hour", "low angle", "overhead shot", "soft light"]
    animals = ["a barn owl on a fence post", "a red fox in tall grass", "a heron in shallow water"]
    prompts = [(f"{openers[i % 6]}, {animal}, watercolor", 1) for i, animal in enumerate(animals * 2)]
    subjects = explored_subjects(prompts)
    assert subjects and all(subject.startswith(("barn owl", "red fox", "heron")) for subject in subjects), (
        subjects
    )


def test_a_set_of_test_prompts_cycled_through_a_loras_epochs_is_optimization() -> None:
    """A LoRA's epochs tested on a fixed set of prompts, each on the same two seeds: the prompt
    changes at every row, but every prompt and seed comes back with only the LoRA moved — parameter
    optimization, not an exploration of three subjects."""
    clock = Clock(step_seconds=20.0)
    tests = [
        "lumi, 1girl, solo, track suit, city street",
        "lumi, 1girl, solo, school uniform, simple background",
        "lumi, 1girl, solo, track suit, library",
    ]
    records = [
        clock.record(prompt, seed=seed, loras=(LoraRef(f"lumi-{epoch:06d}", 0.7),))
        for epoch in (2, 4, 6, 8, 10)
        for prompt in tests
        for seed in (1019361563, 1699003764)
    ]
    phase_of = _phase_of(_only_session(records))
    assert {phase_of[r.id] for r in records[6:]} == {Intent.OPTIMIZATION}
