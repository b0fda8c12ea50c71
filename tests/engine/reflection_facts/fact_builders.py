"""Builders shared by the session-facts and Curator tests: single assets, and a long synthetic session.

:func:`long_session` is deterministic for a given size and seed: phases cycling through exploration
(a new prompt every few images, random seeds), refinement (one prompt edited term by term, a LoRA
whose weight climbs) and optimization (prompt and seed fixed, CFG or steps swept), a model switch
two thirds in, upscale and img2img lineage, 384-dim visual embeddings and thumbnails on most images.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from engine.records import LoraRef
from engine.reflection_facts import FactAsset, FactLineageEdge, FactPhase, SessionFacts, build_session_facts

T0 = datetime(2026, 3, 14, 19, 30, tzinfo=UTC)
EMBEDDING_DIMENSIONS = 384

SUBJECTS = (
    "lighthouse on a cliff",
    "fox in a snowy forest",
    "old fisherman portrait",
    "neon alley at night",
    "desert caravan at dusk",
    "koi pond in a temple garden",
    "clockwork owl",
    "submarine greenhouse",
)
STYLES = ("oil painting", "watercolor", "35mm film photo", "ink wash", "gouache", "cinematic still")
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
)
INTENT_CYCLE = ("exploration", "refinement", "optimization")


def asset(asset_id: str, minutes: float, **fields: Any) -> FactAsset:
    """A thumbnailed SDXL asset ``minutes`` after :data:`T0` in phase 0; ``fields`` override."""
    values: dict[str, Any] = {
        "id": asset_id,
        "created_at": T0 + timedelta(minutes=minutes),
        "prompt": "lighthouse on a cliff, stormy sea, oil painting",
        "negative_prompt": None,
        "seed": None,
        "cfg_scale": 7.0,
        "steps": 30,
        "sampler": "dpmpp_2m",
        "scheduler": "karras",
        "model": "sdxl_base_1.0",
        "loras": (),
        "width": 832,
        "height": 1216,
        "denoise": None,
        "phase_ordinal": 0,
        "visual_embedding": None,
        "has_thumbnail": True,
    }
    values.update(fields)
    return FactAsset(**values)


def bare_asset(asset_id: str, **fields: Any) -> FactAsset:
    """An asset with nothing but its id: no time, prompt, parameters or model (``fields`` override)."""
    empty: dict[str, Any] = dict.fromkeys(
        ("created_at", "prompt", "cfg_scale", "steps", "sampler", "scheduler", "model", "width", "height")
    )
    return asset(asset_id, 0, **(empty | fields))


def phase(ordinal: int, intent: str, members: list[FactAsset], label: str | None = None) -> FactPhase:
    times = [member.created_at for member in members if member.created_at is not None]
    return FactPhase(
        ordinal=ordinal,
        intent=intent,
        label=label or f"{intent} {ordinal + 1}",
        asset_count=len(members),
        started_at=min(times),
        ended_at=max(times),
    )


@dataclass(frozen=True, slots=True)
class SyntheticSession:
    label: str
    intent: str
    tool: str
    assets: list[FactAsset]
    phases: list[FactPhase]
    lineage: list[FactLineageEdge]

    def facts_arguments(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "intent": self.intent,
            "tool": self.tool,
            "assets": self.assets,
            "phases": self.phases,
            "lineage": self.lineage,
        }


def long_session(asset_count: int, *, seed: int = 7, phase_size: int = 250) -> SyntheticSession:
    """A refinement evening of ``asset_count`` assets (see the module docstring)."""
    rng = np.random.default_rng(seed)
    assets: list[FactAsset] = []
    lineage: list[FactLineageEdge] = []
    time = T0
    phase_count = max(3, round(asset_count / phase_size))
    bounds = np.linspace(0, asset_count, phase_count + 1).round().astype(int)
    themes = rng.normal(size=(len(SUBJECTS), EMBEDDING_DIMENSIONS)).astype(np.float32)
    prompt = _prompt(rng)
    weight = 0.4
    for ordinal in range(phase_count):
        intent = INTENT_CYCLE[ordinal % 3]
        fixed_seed = int(rng.integers(1, 2**32))
        sweep = "cfg" if ordinal % 2 else "steps"
        sampler = ("dpmpp_2m", "euler_a", "dpmpp_sde")[ordinal % 3]
        for offset, index in enumerate(range(bounds[ordinal], bounds[ordinal + 1])):
            time += timedelta(seconds=int(rng.integers(15, 75)))
            cfg, steps = 7.0, 30
            loras: tuple[LoraRef, ...] = ()
            seed_value = int(rng.integers(1, 2**32))
            if intent == "exploration" and offset % 3 == 0:
                prompt = _prompt(rng)
            elif intent == "refinement":
                if offset % 6 == 0:
                    prompt = _edited(prompt, rng)
                weight = min(1.2, round(weight + 0.05, 2)) if offset % 20 == 19 else weight
                loras = (LoraRef("add_detail_xl", weight),)
            elif intent == "optimization":
                seed_value = fixed_seed
                if sweep == "cfg":
                    cfg = 4.0 + 0.5 * (offset % 17)
                else:
                    steps = 20 + 5 * (offset % 7)
            subject = next((i for i, s in enumerate(SUBJECTS) if prompt.startswith(s)), 0)
            embedding = themes[subject] + 0.6 * rng.normal(size=EMBEDDING_DIMENSIONS).astype(np.float32)
            model = "sdxl_base_1.0" if index < 2 * asset_count // 3 else "juggernautXL_v9"
            item = asset(
                f"a{index:05d}",
                0,
                created_at=time,
                prompt=prompt,
                negative_prompt="blurry, lowres" if index < asset_count // 2 else "blurry, lowres, watermark",
                seed=seed_value,
                cfg_scale=cfg,
                steps=steps,
                sampler=sampler,
                model=model,
                loras=loras,
                phase_ordinal=ordinal,
                visual_embedding=embedding,
                has_thumbnail=bool(rng.random() < 0.95),
            )
            if intent == "refinement" and offset % 10 == 9 and assets:
                parent = assets[-1]
                item = replace(item, prompt=parent.prompt, seed=parent.seed, width=1664, height=2432)
                lineage.append(FactLineageEdge(parent.id, item.id, "upscale"))
            elif intent == "exploration" and offset % 25 == 24 and assets:
                parent = assets[-2]
                item = replace(item, denoise=0.55)
                lineage.append(FactLineageEdge(parent.id, item.id, "img2img"))
            assets.append(item)
    phases = [
        phase(ordinal, INTENT_CYCLE[ordinal % 3], assets[bounds[ordinal] : bounds[ordinal + 1]])
        for ordinal in range(phase_count)
    ]
    return SyntheticSession(
        label="Lighthouse refinement evening",
        intent="convergent_selection",
        tool="comfyui",
        assets=assets,
        phases=phases,
        lineage=lineage,
    )


def _prompt(rng: np.random.Generator) -> str:
    subject = SUBJECTS[int(rng.integers(len(SUBJECTS)))]
    style = STYLES[int(rng.integers(len(STYLES)))]
    details = [DETAILS[int(i)] for i in rng.choice(len(DETAILS), size=3, replace=False)]
    return ", ".join([subject, *details, style])


def _edited(prompt: str, rng: np.random.Generator) -> str:
    terms = prompt.split(", ")
    move = int(rng.integers(3))
    if move == 0 and len(terms) > 2:
        terms.pop(int(rng.integers(1, len(terms))))
    elif move == 1:
        terms.insert(1, f"({DETAILS[int(rng.integers(len(DETAILS)))]}:{1 + int(rng.integers(1, 5)) / 10})")
    else:
        terms.append(f"{DETAILS[int(rng.integers(len(DETAILS)))]} {int(rng.integers(2, 99))}")
    return ", ".join(terms)


def one_phase_facts(
    assets: list[FactAsset], *, intent: str = "exploration", lineage: list[FactLineageEdge] | None = None
) -> SessionFacts:
    """The facts of ``assets`` as a session of one phase of ``intent``."""
    return build_session_facts(
        label="Studies",
        intent=intent,
        tool="comfyui",
        assets=assets,
        phases=[phase(0, intent, assets)],
        lineage=lineage or [],
    )
