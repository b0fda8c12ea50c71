"""Building the Museum Curator's facts and prompt, against serialising the same asset rows in the same run.

Target (issue: the Museum Curator): building the facts + prompt for a 5,000-asset session ≤ 200 ms.

What is timed, per session size (median of ``--repeats`` runs, each cold: the prompt-term memos are
emptied first, so every distinct prompt is parsed again):

- ``build_session_facts`` on the session's assets, phases and lineage;
- ``build_curator_request`` on those facts with 8 real 256-px WEBP thumbnails (~6 KB each);
- the baseline: ``json.dumps`` of the same asset rows (every scalar column the facts read; the
  384-float embeddings left out), the floor any work over the rows starts from.

The sessions are synthetic and deterministic (:func:`synthetic_session`): an evening of batches of
four images every ~40 s, phases cycling exploration (a new prompt every 4–8 images, random seeds),
refinement (one prompt edited term by term every 8–16 images with weights and a LoRA whose weight
moves, upscales and img2img children) and optimization (prompt and seed fixed, CFG 3–12 or steps
20–60 swept), a model switch late in the session, 384-dim visual embeddings and thumbnails for
every image.

A second, harsher kind of session (:func:`varied_session`, rows marked *varied*) has what real
sessions vary on: long prompts (30–80 terms, ~800 characters) edited term by term on most images
(weights ``(word:1.2)``, nested ``((word))`` and ``[word]``, LoRA tags ``<lora:name:0.8>`` in the
text, groups spanning commas ``(a, b:1.1)``, escaped ``\\(style\\)``, prompt editing
``[a:b:0.5]``, ``BREAK``, Chinese/Japanese/Korean terms, now and then an unbalanced bracket or a
Midjourney ``--ar``), returns to earlier prompts, random and incrementing seeds, CFG, steps,
sampler, scheduler and LoRA weights changing, lineage links, phases of 20–500 images, a few images
without time, prompt, embedding or thumbnail. A 5,000-image one has ~2,700 distinct prompts.

Run: ``python -m bench.curator_bench [--sizes 500 5000] [--varied 5000] [--repeats 7]``. Writes
``bench/out/curator_bench.md`` and ``curator_bench.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.records import LoraRef
from engine.reflection_facts import (
    FactAsset,
    FactLineageEdge,
    FactPhase,
    SessionFacts,
    build_session_facts,
    reset_term_caches,
)
from reflection.prompt_builder import CuratorRequest, RepresentativeImage, build_curator_request

OUT_DIR = Path(__file__).resolve().parent / "out"
TARGET_MS = 200.0
EMBEDDING_DIMENSIONS = 384
THUMBNAIL_PX = 256
START = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)

SUBJECTS = (
    "a lighthouse on a basalt cliff",
    "an old fisherman mending nets",
    "a fox asleep in a snowy birch forest",
    "a tram crossing a rainy boulevard",
    "a greenhouse inside a submarine",
    "a clockwork owl on a library shelf",
    "a koi pond in a temple garden",
    "a desert caravan at dusk",
    "a glass cathedral in the clouds",
    "a night market under paper lanterns",
)
STYLES = (
    "oil painting",
    "watercolor",
    "35mm film photo",
    "ink wash",
    "gouache illustration",
    "cinematic still",
    "linocut print",
    "matte painting",
)
DETAILS = (
    "volumetric fog",
    "golden hour",
    "rim light",
    "muted palette",
    "high contrast",
    "soft bokeh",
    "rain reflections",
    "dramatic clouds",
    "intricate detail",
    "wide angle",
    "long shadows",
    "teal and orange",
    "film grain",
    "overcast light",
    "low angle",
)
MODELS = ("sd_xl_base_1.0.safetensors", "juggernautXL_v9.safetensors")
SAMPLERS = ("dpmpp_2m", "euler_ancestral", "dpmpp_sde")


@dataclass(frozen=True, slots=True)
class SyntheticSession:
    assets: list[FactAsset]
    phases: list[FactPhase]
    lineage: list[FactLineageEdge]


def synthetic_session(asset_count: int, *, seed: int = 1) -> SyntheticSession:
    """A deterministic session of ``asset_count`` images (see the module docstring)."""
    rng = np.random.default_rng(seed)
    themes = rng.normal(size=(len(SUBJECTS), EMBEDDING_DIMENSIONS)).astype(np.float32)
    assets: list[FactAsset] = []
    lineage: list[FactLineageEdge] = []
    phase_bounds: list[tuple[int, str]] = []
    time = START
    prompt = _fresh_prompt(rng)
    lora_weight = 0.5
    ordinal = 0
    while len(assets) < asset_count:
        intent = ("exploration", "refinement", "optimization")[ordinal % 3]
        length = min(int(rng.integers(150, 400)), asset_count - len(assets))
        phase_bounds.append((len(assets), intent))
        fixed_seed = int(rng.integers(1, 2**32))
        swept = "cfg" if rng.random() < 0.6 else "steps"
        sampler = SAMPLERS[int(rng.integers(len(SAMPLERS)))]
        next_prompt_at = 0
        for offset in range(length):
            index = len(assets)
            if offset % 4 == 0:
                time += timedelta(seconds=float(rng.uniform(20, 60)))
            seed_value = int(rng.integers(1, 2**32))
            cfg, steps, denoise = 7.0, 30, None
            loras: tuple[LoraRef, ...] = ()
            if intent == "exploration" and offset >= next_prompt_at:
                prompt = _fresh_prompt(rng)
                next_prompt_at = offset + int(rng.integers(4, 9))
            elif intent == "refinement":
                if offset >= next_prompt_at:
                    prompt = _edited_prompt(prompt, rng)
                    next_prompt_at = offset + int(rng.integers(8, 17))
                if offset % 40 == 39:
                    lora_weight = round(min(1.2, max(0.2, lora_weight + float(rng.choice([-0.1, 0.1])))), 2)
                loras = (LoraRef("film_grain_xl", lora_weight),)
            elif intent == "optimization":
                seed_value = fixed_seed
                if swept == "cfg":
                    cfg = 3.0 + 0.5 * (offset % 19)
                else:
                    steps = 20 + 5 * (offset % 9)
            subject = next((number for number, text in enumerate(SUBJECTS) if prompt.startswith(text)), 0)
            embedding = themes[subject] + 0.7 * rng.normal(size=EMBEDDING_DIMENSIONS).astype(np.float32)
            width, height = 832, 1216
            if intent == "refinement" and offset % 12 == 11:
                parent = assets[-1]
                width, height, prompt_used, seed_value = 1664, 2432, parent.prompt, parent.seed or seed_value
                lineage.append(FactLineageEdge(parent.id, f"img{index:05d}", "upscale"))
            else:
                prompt_used = prompt
                if intent == "exploration" and offset % 30 == 29:
                    denoise = 0.55
                    lineage.append(FactLineageEdge(assets[-3].id, f"img{index:05d}", "img2img"))
            assets.append(
                FactAsset(
                    id=f"img{index:05d}",
                    created_at=time,
                    prompt=prompt_used,
                    negative_prompt="blurry, lowres, watermark",
                    seed=seed_value,
                    cfg_scale=cfg,
                    steps=steps,
                    sampler=sampler,
                    scheduler="karras",
                    model=MODELS[0] if index < asset_count * 3 // 4 else MODELS[1],
                    loras=loras,
                    width=width,
                    height=height,
                    denoise=denoise,
                    phase_ordinal=ordinal,
                    visual_embedding=embedding,
                    has_thumbnail=True,
                )
            )
        ordinal += 1
    phases = []
    for number, (start, intent) in enumerate(phase_bounds):
        end = phase_bounds[number + 1][0] if number + 1 < len(phase_bounds) else len(assets)
        members = assets[start:end]
        phases.append(
            FactPhase(
                ordinal=number,
                intent=intent,
                label=f"{intent} of {members[0].prompt.split(',')[0] if members[0].prompt else 'images'}",
                asset_count=len(members),
                started_at=members[0].created_at or START,
                ended_at=members[-1].created_at or START,
            )
        )
    return SyntheticSession(assets, phases, lineage)


VARIED_WORDS = (
    *("lighthouse", "cliff", "storm", "sea", "fox", "forest", "snow", "fisherman", "neon", "alley"),
    *("night", "desert", "caravan", "dusk", "koi", "pond", "temple", "garden", "owl", "clockwork"),
    *("submarine", "greenhouse", "cathedral", "glass", "cloud", "market", "lantern", "tram", "rain"),
    *("mist", "ruin", "castle", "dragon", "knight", "princess", "robot", "city", "river", "bridge"),
)
VARIED_DETAILS = (*DETAILS, "masterpiece", "best quality", "8k")
VARIED_CJK = ("杰作", "最高质量", "灯塔", "悬崖上的灯塔", "暴风雨的海", "油画", "夕焼け", "桜の木", "고품질")
VARIED_LORAS = ("film_grain_xl", "detail_tweaker", "ink_style", "add_more_details", "eyes_v2", "Pixel-Art_XL")
VARIED_SAMPLERS = (*SAMPLERS, "euler", "ddim", "uni_pc")


def varied_session(asset_count: int, *, seed: int = 7) -> SyntheticSession:
    """A deterministic session of ``asset_count`` images with realistic variety (see the module
    docstring)."""
    rng = random.Random(seed)
    vectors = np.random.default_rng(seed)
    themes = vectors.normal(size=(12, EMBEDDING_DIMENSIONS)).astype(np.float32)
    assets: list[FactAsset] = []
    lineage: list[FactLineageEdge] = []
    bounds: list[tuple[int, str]] = []
    now = START
    terms = _varied_prompt(rng)
    history = [tuple(terms)]
    negative = ["blurry", "lowres", "(worst quality:1.4)", "watermark"]
    cfg, steps, sampler, model, lora_weight = 7.0, 30, VARIED_SAMPLERS[0], MODELS[0], 0.6
    fixed_seed = rng.randrange(2**32)
    ordinal = 0
    while len(assets) < asset_count:
        intent = rng.choice(("exploration", "refinement", "optimization", "variation"))
        bounds.append((len(assets), intent))
        for _ in range(min(rng.randint(20, 500), asset_count - len(assets))):
            index = len(assets)
            now += timedelta(
                seconds=rng.uniform(2, 90) + (rng.uniform(300, 2400) if rng.random() < 0.02 else 0)
            )
            roll = rng.random()
            if intent == "exploration" and roll < 0.4:
                terms = _varied_prompt(rng)
            elif roll < 0.5:
                terms = _varied_edit(terms, rng)
            elif roll < 0.53:
                terms = list(history[rng.randrange(len(history))])
            elif roll < 0.532 and len(terms) > 3:
                terms = list(terms)
                terms[rng.randrange(len(terms))] += rng.choice(("(", ")", "[", "]"))
            history.append(tuple(terms))
            if rng.random() < 0.1:
                negative = _varied_edit(negative, rng)
            if rng.random() < 0.15:
                cfg = rng.choice((3, 4, 4.5, 5, 6, 7, 7.5, 8, 9, 10, 12, 5.55, 6.125))
            if rng.random() < 0.1:
                steps = rng.choice((20, 25, 28, 30, 35, 40, 50, 60))
            if rng.random() < 0.05:
                sampler = rng.choice(VARIED_SAMPLERS)
            if rng.random() < 0.01:
                model = rng.choice(MODELS)
            if rng.random() < 0.05:
                lora_weight = round(rng.uniform(0.1, 1.3), 2)
            if intent == "optimization" and rng.random() < 0.8:
                seed_value: int | None = fixed_seed
            elif rng.random() < 0.3:
                seed_value = (assets[-1].seed or 0) + 1 if assets else 1
            else:
                seed_value = rng.randrange(2**32) if rng.random() > 0.02 else None
            if rng.random() < 0.01:
                fixed_seed = rng.randrange(2**32)
            loras = tuple(
                LoraRef(name, lora_weight if rng.random() > 0.1 else None)
                for name in rng.sample(VARIED_LORAS, rng.randint(0, 3))
            )
            prompt: str | None = ", ".join(terms) if rng.random() > 0.01 else None
            if prompt and rng.random() < 0.03:
                prompt += f" --ar 2:3 --stylize {rng.choice((100, 250, 750))}"
            embedding = None
            if rng.random() > 0.05:
                embedding = themes[rng.randrange(12)] + 0.8 * vectors.normal(
                    size=EMBEDDING_DIMENSIONS
                ).astype(np.float32)
            if rng.random() < 0.08 and index > 0:
                parent = assets[rng.randrange(max(0, index - 30), index)]
                kind = rng.choice(("upscale", "img2img", "variation", "inpaint"))
                lineage.append(FactLineageEdge(parent.id, f"img{index:05d}", kind))
            width, height = rng.choice(((832, 1216), (1024, 1024), (1216, 832), (None, None), (1664, 2432)))
            assets.append(
                FactAsset(
                    id=f"img{index:05d}",
                    created_at=None if rng.random() < 0.01 else now,
                    prompt=prompt,
                    negative_prompt=", ".join(negative) if rng.random() > 0.05 else None,
                    seed=seed_value,
                    cfg_scale=float(cfg) if rng.random() > 0.02 else None,
                    steps=steps,
                    sampler=sampler,
                    scheduler=rng.choice(("karras", "karras", "karras", "exponential", None)),
                    model=model,
                    loras=loras,
                    width=width,
                    height=height,
                    denoise=rng.choice((None, None, None, 0.35, 0.5, 0.55, 0.75)),
                    phase_ordinal=ordinal,
                    visual_embedding=embedding,
                    has_thumbnail=rng.random() > 0.03,
                )
            )
        ordinal += 1
    phases = []
    for number, (start, intent) in enumerate(bounds):
        end = bounds[number + 1][0] if number + 1 < len(bounds) else len(assets)
        known = [asset.created_at for asset in assets[start:end] if asset.created_at] or [START]
        phases.append(
            FactPhase(number, intent, f"{intent} {number + 1}", end - start, min(known), max(known))
        )
    return SyntheticSession(assets, phases, lineage)


def _varied_term(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(VARIED_DETAILS)
    if roll < 0.5:
        return f"({rng.choice(VARIED_DETAILS)}:{rng.choice((0.8, 0.9, 1.1, 1.2, 1.3, 1.5))})"
    if roll < 0.6:
        return rng.choice(VARIED_CJK)
    if roll < 0.66:
        return f"<lora:{rng.choice(VARIED_LORAS)}:{rng.choice((0.4, 0.5, 0.6, 0.7, 0.8, 1))}>"
    if roll < 0.7:
        return f"(({rng.choice(VARIED_WORDS)}))"
    if roll < 0.74:
        return f"[{rng.choice(VARIED_WORDS)}]"
    if roll < 0.76:
        return f"[{rng.choice(VARIED_WORDS)}:{rng.choice(VARIED_WORDS)}:{rng.choice((0.3, 0.5, 0.7))}]"
    if roll < 0.78:
        return f"({rng.choice(VARIED_WORDS)}, {rng.choice(VARIED_DETAILS)}:1.{rng.randint(1, 4)})"
    if roll < 0.8:
        return "BREAK"
    if roll < 0.82:
        return f"{rng.choice(VARIED_WORDS)} \\(style\\)"
    return " ".join(rng.choice(VARIED_WORDS) for _ in range(rng.randint(1, 4)))


def _varied_prompt(rng: random.Random) -> list[str]:
    return [_varied_term(rng) for _ in range(rng.randint(30, 80))]


def _varied_edit(terms: list[str], rng: random.Random) -> list[str]:
    terms = list(terms)
    move = rng.randrange(5)
    if move == 0 and len(terms) > 2:
        terms.pop(rng.randrange(len(terms)))
    elif move == 1:
        terms.insert(rng.randrange(len(terms) + 1), _varied_term(rng))
    elif move == 2:
        terms[rng.randrange(len(terms))] = _varied_term(rng)
    elif move == 3:
        at = rng.randrange(len(terms))
        terms[at] = f"({terms[at].strip('()')}:{rng.choice((0.7, 0.9, 1.1, 1.25, 1.4))})"
    else:
        rng.shuffle(terms)
    return terms


def _fresh_prompt(rng: np.random.Generator) -> str:
    subject = SUBJECTS[int(rng.integers(len(SUBJECTS)))]
    style = STYLES[int(rng.integers(len(STYLES)))]
    details = [DETAILS[int(i)] for i in rng.choice(len(DETAILS), size=int(rng.integers(2, 5)), replace=False)]
    return ", ".join([subject, *details, style, "highly detailed"])


def _edited_prompt(prompt: str, rng: np.random.Generator) -> str:
    terms = prompt.split(", ")
    move = int(rng.integers(4))
    if move == 0 and len(terms) > 3:
        terms.pop(int(rng.integers(1, len(terms) - 1)))
    elif move == 1:
        detail = DETAILS[int(rng.integers(len(DETAILS)))]
        terms = [term for term in terms if detail not in term]
        terms.insert(1, f"({detail}:{round(1 + int(rng.integers(1, 5)) / 10, 1)})")
    elif move == 2:
        terms.insert(-1, DETAILS[int(rng.integers(len(DETAILS)))])
    else:
        terms[-2] = STYLES[int(rng.integers(len(STYLES)))]
    return ", ".join(dict.fromkeys(terms))


def thumbnails(facts: SessionFacts, *, seed: int = 2) -> list[RepresentativeImage]:
    """Real 256-px WEBP thumbnails (smooth noise, ~6 KB) for the chosen images."""
    rng = np.random.default_rng(seed)
    images: list[RepresentativeImage] = []
    for asset_id in facts.representative_ids:
        small = rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)
        picture = Image.fromarray(small).resize((THUMBNAIL_PX, THUMBNAIL_PX), Image.Resampling.BICUBIC)
        buffer = io.BytesIO()
        picture.save(buffer, format="WEBP", quality=80)
        images.append(RepresentativeImage(asset_id, "image/webp", buffer.getvalue()))
    return images


def raw_rows(session: SyntheticSession) -> list[dict[str, Any]]:
    """The asset rows as a catalog query would return them (scalar columns only)."""
    return [
        {
            "id": asset.id,
            "created_at": asset.created_at.isoformat() if asset.created_at else None,
            "prompt": asset.prompt,
            "negative_prompt": asset.negative_prompt,
            "seed": asset.seed,
            "cfg_scale": asset.cfg_scale,
            "steps": asset.steps,
            "sampler": asset.sampler,
            "scheduler": asset.scheduler,
            "model": asset.model,
            "loras": [{"name": lora.name, "weight": lora.weight} for lora in asset.loras],
            "width": asset.width,
            "height": asset.height,
            "denoise": asset.denoise,
            "phase_ordinal": asset.phase_ordinal,
            "has_thumbnail": asset.has_thumbnail,
        }
        for asset in session.assets
    ]


def measure(asset_count: int, repeats: int, *, varied: bool = False) -> dict[str, Any]:
    session = varied_session(asset_count) if varied else synthetic_session(asset_count)
    rows = raw_rows(session)
    baseline: list[float] = []
    facts_seconds: list[float] = []
    prompt_seconds: list[float] = []
    cpu_seconds: list[float] = []
    images: list[RepresentativeImage] = []
    facts: SessionFacts | None = None
    request: CuratorRequest | None = None
    for _ in range(repeats):
        started = time.perf_counter()
        json.dumps(rows)
        baseline.append(time.perf_counter() - started)
        reset_term_caches()
        started, started_cpu = time.perf_counter(), time.process_time()
        facts = build_session_facts(
            label="Evening of lighthouses",
            intent="convergent_selection",
            tool="comfyui",
            assets=session.assets,
            phases=session.phases,
            lineage=session.lineage,
        )
        facts_seconds.append(time.perf_counter() - started)
        cpu_spent_on_thumbnails = 0.0
        if not images:
            before = time.process_time()
            images = thumbnails(facts)
            cpu_spent_on_thumbnails = time.process_time() - before
        started = time.perf_counter()
        request = build_curator_request(facts, images)
        prompt_seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - started_cpu - cpu_spent_on_thumbnails)
    assert facts is not None and request is not None
    totals = [a + b for a, b in zip(facts_seconds, prompt_seconds, strict=True)]
    median_ms = {
        "baseline": 1000 * statistics.median(baseline),
        "facts": 1000 * statistics.median(facts_seconds),
        "prompt": 1000 * statistics.median(prompt_seconds),
        "total": 1000 * statistics.median(totals),
        "total_cpu": 1000 * statistics.median(cpu_seconds),
    }
    return {
        "assets": asset_count,
        "kind": "varied" if varied else "evening",
        "phases": len(session.phases),
        "distinct_prompts": facts.distinct_prompt_count,
        "lineage_edges": len(session.lineage),
        "image_bytes": sum(len(image.data) for image in images),
        "median_ms": median_ms,
        "max_total_ms": 1000 * max(totals),
        "ratio_to_baseline": median_ms["total"] / median_ms["baseline"],
        "facts_tokens": request.audit["facts_tokens"],
        "facts_detail_level": request.audit["facts_detail_level"],
        "estimated_prompt_tokens": request.estimated_prompt_tokens,
        "repeats": repeats,
    }


def markdown(rows: list[dict[str, Any]], machine: str) -> str:
    lines = [
        f"Machine: {machine}. Median of {rows[0]['repeats']} cold runs (prompt-term memos emptied",
        "before each); baseline: `json.dumps` of the same asset rows (scalar columns) in the same process.",
        "Wall times unless marked CPU (process time of facts + prompt, which other load disturbs less).",
        "",
        "| assets | phases | distinct prompts | baseline: json.dumps rows | build_session_facts "
        "| build_curator_request | **facts + prompt** | × baseline | CPU | worst run | facts tokens (level) "
        "| prompt tokens | target ≤ 200 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        ms = row["median_ms"]
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{row['assets']:,}" + (" varied" if row["kind"] == "varied" else ""),
                    str(row["phases"]),
                    f"{row['distinct_prompts']:,}",
                    f"{ms['baseline']:.1f} ms",
                    f"{ms['facts']:.1f} ms",
                    f"{ms['prompt']:.1f} ms",
                    f"**{ms['total']:.1f} ms**",
                    f"{row['ratio_to_baseline']:.1f}",
                    f"{ms['total_cpu']:.1f} ms",
                    f"{row['max_total_ms']:.1f} ms",
                    f"{row['facts_tokens']:,} ({row['facts_detail_level']})",
                    f"{row['estimated_prompt_tokens']:,}",
                    "met" if ms["total"] <= TARGET_MS else "not met",
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Curator facts + prompt benchmark")
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--varied", type=int, nargs="*", default=[5000], help="sizes of varied sessions")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rows = [measure(size, args.repeats) for size in args.sizes]
    rows += [measure(size, args.repeats, varied=True) for size in args.varied]
    processor = platform.processor() or platform.machine()
    machine = f"{processor}, {os.cpu_count()} cores, Python {platform.python_version()}"
    table = markdown(rows, machine)
    print(table)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "curator_bench.md").write_text(table + "\n")
    (OUT_DIR / "curator_bench.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
