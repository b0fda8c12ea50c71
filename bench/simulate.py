"""Simulated generation histories with ground truth, for the session-engine benchmarks.

The generative process is written from how people use image generators, not from the engine's rules
(the engine never sees the truth; the quality bench only compares). Per artist:

- a personal pace (median seconds between steps, 12 s – 5 min, log-uniform) with lognormal jitter,
  a batch habit (1, 2 or 4 images written in the same second), a primary tool (sometimes a second
  one), a few models and sizes, a personal style suffix (artist names, film stocks, …) that recurs in
  most prompts, and a habit of in-session pauses (4–45 min, same context afterwards);
- active days over a history of ``days`` days; 1–5 sessions per active day; between sessions on a day
  a gap that is sometimes short (2–12 min: a quick context switch), often medium (15–90 min), sometimes
  long (2–5 h); the next session changes theme, often model, sometimes tool;
- a session is a sequence of phases from a template: exploration (prompts vary around a theme;
  visually diverse), refinement (one prompt, seeds vary, small tweaks), optimization (prompt and seed
  fixed, one parameter swept: CFG, steps, sampler or denoise); "explore → refine" refines one of the
  explored prompts (convergent selection);
- explicit lineage: upscales (``source_image``, or hires: same prompt and seed, larger size, different
  workflow for ComfyUI), img2img and inpaint (``source_image`` + denoise / mask), A1111 variation seeds
  (``extra.subseed``), Midjourney variations / upscales / remixes (``parent_job_id``);
- a few records without a time (unclustered) and some artists with minute-precision timestamps.

Ground truth: the session and phase of every record, session intents, and explicit lineage edges.
Visual embeddings are simulated (theme → prompt → image noise) so the visual signal can be tested.

Run ``python -m bench.simulate --records 1000000 --out bench/out/sim_1m.jsonl`` to write JSONL.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.records import GenerationRecord, TimePrecision

THEMES: dict[str, tuple[list[str], list[str]]] = {
    "cyberpunk": (
        [
            "cyberpunk cityscape",
            "neon alley",
            "futuristic street market",
            "cyberpunk skyline with flying cars",
            "hacker den full of monitors",
            "rainy megacity rooftop",
        ],
        [
            "neon signs",
            "rain soaked streets",
            "holographic billboards",
            "purple and teal glow",
            "blade runner mood",
            "dense fog",
            "chrome reflections",
        ],
    ),
    "portrait_fisherman": (
        [
            "portrait of an old fisherman",
            "weathered sailor face",
            "old man with a pipe",
            "fisherman mending nets",
            "grizzled captain in a storm",
        ],
        [
            "deep wrinkles",
            "salt and pepper beard",
            "wool sweater",
            "harbor background",
            "piercing blue eyes",
            "golden hour side light",
        ],
    ),
    "mountains": (
        [
            "mountain landscape",
            "snowy alpine peaks",
            "valley with a winding river",
            "mountain lake at dawn",
            "misty pine forest below cliffs",
        ],
        [
            "morning mist",
            "alpenglow",
            "reflections in the water",
            "wildflowers in the foreground",
            "dramatic clouds",
            "long exposure",
        ],
    ),
    "fox": (
        [
            "red fox in the snow",
            "fox curled up sleeping",
            "arctic fox on ice",
            "fox cub in a meadow",
            "fox hunting mice",
        ],
        ["fluffy tail", "frost on fur", "shallow depth", "soft winter light", "tracks in snow", "amber eyes"],
    ),
    "steampunk": (
        [
            "steampunk airship",
            "brass clockwork city",
            "victorian inventor workshop",
            "mechanical owl",
            "airship dock in the clouds",
        ],
        ["copper pipes", "gears and cogs", "steam vents", "leather and brass", "sepia tones", "riveted hull"],
    ),
    "space": (
        [
            "astronaut on an alien planet",
            "space station interior",
            "nebula with a lone spaceship",
            "ringed gas giant over a moon",
            "derelict spacecraft",
        ],
        ["cosmic dust", "lens flare", "bioluminescent plants", "vast scale", "hard sci-fi", "starfield"],
    ),
    "food": (
        [
            "bowl of ramen",
            "stack of pancakes with syrup",
            "sushi platter",
            "rustic sourdough bread",
            "chocolate lava cake",
        ],
        ["steam rising", "top down shot", "wooden table", "food photography", "garnish", "warm tones"],
    ),
    "castle": (
        [
            "gothic castle on a cliff",
            "ruined fortress",
            "fairy tale palace",
            "castle courtyard at night",
            "dragon circling a tower",
        ],
        ["stormy sky", "moonlight", "ivy covered walls", "torches", "medieval banners", "crumbling stone"],
    ),
    "interior": (
        [
            "cozy reading nook",
            "scandinavian living room",
            "japanese tea room",
            "loft apartment with plants",
            "rainy cafe interior",
        ],
        ["soft daylight", "wooden floor", "indoor plants", "minimalist", "warm lamp", "large windows"],
    ),
    "underwater": (
        ["coral reef", "sunken ship", "giant jellyfish", "underwater city ruins", "whale shark with divers"],
        ["god rays", "turquoise water", "bubbles", "schools of fish", "bioluminescence", "sandy sea floor"],
    ),
    "anime_girl": (
        [
            "anime girl with silver hair",
            "magical girl transformation",
            "schoolgirl under cherry blossoms",
            "anime swordswoman",
            "girl reading on a train",
        ],
        ["sakura petals", "school uniform", "detailed eyes", "cel shading", "pastel palette", "wind in hair"],
    ),
    "car": (
        [
            "vintage sports car",
            "muscle car on a desert highway",
            "rally car in mud",
            "concept supercar",
            "old pickup truck in a barn",
        ],
        ["motion blur", "dust cloud", "chrome bumper", "sunset reflections", "studio backdrop", "tire smoke"],
    ),
    "forest_spirit": (
        [
            "forest spirit",
            "ancient tree guardian",
            "moss covered golem",
            "deer with glowing antlers",
            "fairy ring in the woods",
        ],
        [
            "glowing mushrooms",
            "fireflies",
            "ethereal",
            "dappled light",
            "mossy stones",
            "mist between trunks",
        ],
    ),
    "architecture": (
        [
            "brutalist concrete building",
            "glass skyscraper",
            "modern villa on a cliff",
            "spiral staircase",
            "museum atrium",
        ],
        ["clean lines", "overcast sky", "symmetry", "wide angle", "people for scale", "geometric shadows"],
    ),
    "dragon": (
        ["red dragon", "dragon hatchling", "sea serpent", "dragon rider over mountains", "skeletal dragon"],
        ["scales glinting", "fire breath", "leathery wings", "smoke", "epic scale", "ember particles"],
    ),
    "cat": (
        [
            "ginger cat on a windowsill",
            "black cat with a witch hat",
            "kitten playing with yarn",
            "cat astronaut",
            "sleepy tabby",
        ],
        ["whiskers", "soft fur", "sunbeam", "curious eyes", "cozy blanket", "paws"],
    ),
    "desert": (
        [
            "desert caravan",
            "sand dunes at sunset",
            "oasis town",
            "abandoned desert temple",
            "camel silhouette",
        ],
        ["heat haze", "long shadows", "orange sky", "wind blown sand", "ancient ruins", "starry night"],
    ),
    "robot": (
        ["giant mech", "robot gardener", "retro tin robot", "android with human face", "robot repair shop"],
        ["exposed wiring", "rust patches", "glowing eyes", "hydraulics", "oil stains", "scrap metal"],
    ),
    "wedding": (
        [
            "bride in a flower field",
            "wedding couple at sunset",
            "wedding cake",
            "bouquet of peonies",
            "reception hall decorations",
        ],
        ["soft focus", "pastel flowers", "lace details", "fairy lights", "candid", "champagne"],
    ),
    "horror": (
        [
            "haunted house",
            "creepy doll in an attic",
            "foggy graveyard",
            "abandoned asylum corridor",
            "shadow figure in a doorway",
        ],
        ["flickering light", "peeling wallpaper", "eerie", "desaturated", "long shadows", "dust motes"],
    ),
    "botanical": (
        [
            "botanical illustration of a fern",
            "monstera leaf study",
            "wild orchid",
            "succulent collection",
            "herbarium page",
        ],
        ["fine linework", "labels", "watercolor wash", "cream paper", "scientific", "muted greens"],
    ),
    "knight": (
        [
            "knight in shining armor",
            "paladin with a glowing sword",
            "fallen knight in a battlefield",
            "knight on horseback",
            "templar in a chapel",
        ],
        ["ornate armor", "tattered cape", "battle scars", "heraldry", "cathedral light", "mud and rain"],
    ),
}

SETTINGS = [
    "at night",
    "at sunrise",
    "in winter",
    "under a full moon",
    "on a rainy day",
    "in autumn",
    "at golden hour",
    "in heavy fog",
    "during a storm",
    "in spring",
]
STYLES = [
    "oil painting",
    "watercolor",
    "35mm film photo",
    "digital painting",
    "pencil sketch",
    "3d render",
    "ukiyo-e woodblock print",
    "pixel art",
    "art nouveau poster",
    "matte painting",
    "low poly",
    "polaroid photo",
    "comic book style",
    "isometric illustration",
    "charcoal drawing",
]
PERSONAL_STYLE_POOL = [
    "by james gurney",
    "by studio ghibli",
    "kodak portra 400",
    "by moebius",
    "film grain",
    "by simon stalenhag",
    "volumetric light",
    "by makoto shinkai",
    "highly detailed",
    "trending on artstation",
    "8k",
    "by craig mullins",
    "moody lighting",
    "by hiroshi yoshida",
    "sharp focus",
    "by syd mead",
    "octane render",
    "cinematic composition",
    "by alphonse mucha",
    "unreal engine",
    "masterpiece",
    "by wlop",
    "vibrant colors",
]
TOOLS = ["comfyui", "a1111", "forge", "invokeai", "fooocus", "midjourney", "swarmui", "novelai"]
MODELS = [
    "sd_xl_base_1.0",
    "juggernautXL_v9",
    "dreamshaper_8",
    "realisticVision_v51",
    "flux1-dev",
    "ponyDiffusionV6XL",
    "animagineXL_v3",
    "sd_v1-5",
    "epicrealism_naturalSin",
    "playground_v2.5",
]
SIZES = [(512, 512), (512, 768), (768, 512), (1024, 1024), (832, 1216), (1216, 832), (896, 1152)]
SAMPLERS = ["euler", "euler_a", "dpmpp_2m", "dpmpp_2m_karras", "dpmpp_sde", "ddim", "uni_pc", "heun"]
NEGATIVES = [
    "blurry, lowres",
    "bad anatomy, extra fingers",
    "watermark, text",
    "ugly, deformed",
    "jpeg artifacts",
    None,
]

PHASE_TEMPLATES: list[tuple[tuple[str, ...], float]] = [
    (("exploration",), 0.18),
    (("refinement",), 0.20),
    (("exploration", "refinement"), 0.24),
    (("refinement", "optimization"), 0.14),
    (("exploration", "refinement", "optimization"), 0.10),
    (("optimization",), 0.04),
    (("quick",), 0.10),
]

VISUAL_DIM = 32


@dataclass(slots=True)
class TruthEdge:
    parent: str
    child: str
    kind: str


@dataclass(slots=True)
class SimulatedLibrary:
    records: list[GenerationRecord] = field(default_factory=list)
    session_of: dict[str, str] = field(default_factory=dict)
    """Record id → true session key (``user/number``)."""
    phase_of: dict[str, str] = field(default_factory=dict)
    """Record id → true phase intent (exploration / refinement / optimization)."""
    session_intent: dict[str, str] = field(default_factory=dict)
    explicit_edges: list[TruthEdge] = field(default_factory=list)
    """Derivations the child's metadata names (a parent job, a source image): what explicit lineage
    should find (recall)."""
    derived_edges: list[TruthEdge] = field(default_factory=list)
    """Every derivation a simulator made, named or not (a superset of ``explicit_edges``; empty when a
    simulator names every derivation it makes): an engine edge found here is no false positive even
    if the files do not name it (a hires pass recognised by its seed, prompt and size)."""
    visual: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(slots=True)
class _Artist:
    name: str
    pace_seconds: float
    jitter: float
    batch_size: int
    primary_tool: str
    secondary_tool: str | None
    models: list[str]
    sizes: list[tuple[int, int]]
    personal_style: list[str]
    pause_probability: float
    minute_precision: bool
    cfg_habit: float
    steps_habit: int
    sampler_habit: str


class _Writer:
    """Appends records for one artist, tracking time, counters and ground truth."""

    def __init__(
        self, rng: np.random.Generator, library: SimulatedLibrary, artist: _Artist, with_visual: bool
    ):
        self.rng = rng
        self.library = library
        self.artist = artist
        self.with_visual = with_visual
        self.time = datetime(2025, 3, 1, tzinfo=UTC)
        self.counter = 0
        self.session_key = ""
        self.phase = ""
        self.tool = artist.primary_tool
        self.model = artist.models[0]
        self.size = artist.sizes[0]
        self.workflow = "wf0"
        self.negative: str | None = None
        self.job_counter = 0

    def step(self) -> None:
        a = self.artist
        seconds = a.pace_seconds * math.exp(self.rng.normal(0.0, a.jitter))
        if self.rng.random() < a.pause_probability:
            seconds += self.rng.uniform(4, 45) * 60.0
        self.time += timedelta(seconds=max(1.0, seconds))

    def emit(
        self,
        prompt: str,
        seed: int,
        visual: np.ndarray | None,
        *,
        cfg: float | None = None,
        steps: int | None = None,
        sampler: str | None = None,
        size: tuple[int, int] | None = None,
        denoise: float | None = None,
        source_image: str | None = None,
        parent_job_id: str | None = None,
        workflow: str | None = None,
        extra: dict[str, object] | None = None,
        same_second_offset: float = 0.0,
    ) -> GenerationRecord:
        a = self.artist
        self.counter += 1
        record_id = f"{a.name}-{self.counter:06d}"
        width, height = size or self.size
        created_at = self.time + timedelta(seconds=same_second_offset)
        precision = TimePrecision.SECOND
        if a.minute_precision:
            created_at = created_at.replace(second=0, microsecond=0)
            precision = TimePrecision.MINUTE
        else:
            created_at = created_at.replace(microsecond=0)
        self.job_counter += 1
        record = GenerationRecord(
            id=record_id,
            tool=self.tool,
            created_at=created_at,
            created_at_source="metadata:sim",
            created_at_precision=precision,
            user=a.name,
            prompt=prompt,
            negative_prompt=self.negative,
            seed=seed,
            cfg_scale=cfg if cfg is not None else a.cfg_habit,
            steps=steps if steps is not None else a.steps_habit,
            sampler=sampler or a.sampler_habit,
            model=self.model,
            width=width,
            height=height,
            denoise=denoise,
            source_image=source_image,
            job_id=f"job-{a.name}-{self.job_counter:06d}" if self.tool == "midjourney" else None,
            parent_job_id=parent_job_id,
            file_name=f"{self.counter:05d}-{seed}.png",
            workflow_hash=(workflow or self.workflow) if self.tool == "comfyui" else None,
            extra={"file_counter": self.counter, **(extra or {})},
        )
        self.library.records.append(record)
        self.library.session_of[record_id] = self.session_key
        self.library.phase_of[record_id] = self.phase
        if visual is not None and self.with_visual:
            self.library.visual[record_id] = visual
        return record


def _noise(rng: np.random.Generator) -> np.ndarray:
    """Isotropic noise with expected norm 1 (so ``a + σ·noise`` has a cosine ≈ 1/√(1+σ²) with ``a``)."""
    return rng.normal(size=VISUAL_DIM) / math.sqrt(VISUAL_DIM)


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / (np.linalg.norm(vector) or 1.0)


class _SessionPlayer:
    """Plays one session of an artist through its phases."""

    def __init__(self, writer: _Writer, theme: str):
        self.w = writer
        self.rng = writer.rng
        self.theme = theme
        self.theme_vector = _noise(self.rng)
        self.made: list[tuple[GenerationRecord, np.ndarray]] = []
        self.explored: list[tuple[str, np.ndarray]] = []

    # -- prompts ---------------------------------------------------------------------------------
    def new_prompt(self) -> tuple[str, np.ndarray]:
        subjects, descriptors = THEMES[self.theme]
        rng = self.rng
        parts = [str(rng.choice(subjects))]
        chosen = rng.choice(len(descriptors), size=int(rng.integers(1, 4)), replace=False)
        parts.extend(descriptors[i] for i in sorted(chosen.tolist()))
        if rng.random() < 0.5:
            parts.append(str(rng.choice(SETTINGS)))
        if rng.random() < 0.6:
            parts.append(str(rng.choice(STYLES)))
        if rng.random() < 0.8:
            parts.extend(self.w.artist.personal_style)
        prompt = ", ".join(parts)
        vector = _unit(self.theme_vector + 0.8 * _noise(rng))
        return prompt, vector

    def tweak(self, prompt: str, vector: np.ndarray) -> tuple[str, np.ndarray]:
        rng = self.rng
        parts = prompt.split(", ")
        _, descriptors = THEMES[self.theme]
        move = rng.random()
        if move < 0.4 and len(parts) > 2:
            parts.pop(int(rng.integers(1, len(parts))))
        elif move < 0.8:
            parts.insert(int(rng.integers(1, len(parts) + 1)), str(rng.choice(descriptors + SETTINGS)))
        else:
            index = int(rng.integers(0, len(parts)))
            parts[index] = f"({parts[index]}:{rng.choice([0.8, 1.1, 1.2, 1.3])})"
        return ", ".join(parts), _unit(vector + 0.15 * _noise(rng))

    def image_vector(self, prompt_vector: np.ndarray, seed_noise: float = 0.45) -> np.ndarray:
        return _unit(prompt_vector + seed_noise * _noise(self.rng))

    # -- takes -----------------------------------------------------------------------------------
    def take(self, prompt: str, vector: np.ndarray, batch: int | None = None, **params: object) -> None:
        """One generation run: ``batch`` images written in the same second with consecutive seeds."""
        w = self.w
        w.step()
        size = batch or w.artist.batch_size
        base_seed = int(self.rng.integers(0, 2**32))
        tool_is_mj = w.tool == "midjourney"
        for i in range(4 if tool_is_mj else size):
            image_vector = self.image_vector(vector)
            record = w.emit(prompt, base_seed + i, image_vector, **params)  # type: ignore[arg-type]
            self.made.append((record, image_vector))

    def exploration(self) -> None:
        for _ in range(int(self.rng.integers(3, 9))):
            prompt, vector = self.new_prompt()
            self.explored.append((prompt, vector))
            for _ in range(1 if self.rng.random() < 0.7 else 2):
                self.take(prompt, vector)

    def refinement(self, base: tuple[str, np.ndarray] | None) -> tuple[str, np.ndarray]:
        prompt, vector = base if base is not None else self.new_prompt()
        takes = int(self.rng.integers(3, 9))
        for _ in range(takes):
            if self.rng.random() < 0.25:
                prompt, vector = self.tweak(prompt, vector)
            self.take(prompt, vector)
            self.maybe_variation_seed(prompt)
        self.maybe_derivatives()
        return prompt, vector

    def optimization(self, base: tuple[str, np.ndarray] | None) -> None:
        w = self.w
        prompt, vector = base if base is not None else self.new_prompt()
        seed = int(self.rng.integers(0, 2**32))
        fixed_image = self.image_vector(vector)
        parameter = str(self.rng.choice(["cfg", "steps", "sampler", "denoise"]))
        count = int(self.rng.integers(5, 11))
        if parameter == "cfg":
            start = float(self.rng.choice([3.0, 4.0, 5.0]))
            stride = float(self.rng.choice([0.5, 1.0, 1.5]))
            values: list[object] = [start + stride * i for i in range(count)]
        elif parameter == "steps":
            start_steps = int(self.rng.choice([10, 15, 20]))
            values = [start_steps + 5 * i for i in range(count)]
        elif parameter == "sampler":
            count = min(count, len(SAMPLERS))
            values = list(self.rng.permutation(SAMPLERS)[:count])
        else:
            values = [round(0.3 + 0.07 * i, 2) for i in range(count)]
        for value in values:
            w.step()
            params: dict[str, object] = {}
            if parameter == "cfg":
                params["cfg"] = value
            elif parameter == "steps":
                params["steps"] = value
            elif parameter == "sampler":
                params["sampler"] = value
            else:
                params["denoise"] = value
            image_vector = _unit(fixed_image + 0.12 * _noise(self.rng))
            record = w.emit(prompt, seed, image_vector, **params)  # type: ignore[arg-type]
            self.made.append((record, image_vector))
        self.maybe_derivatives()

    def quick(self) -> None:
        prompt, vector = self.new_prompt()
        for _ in range(int(self.rng.integers(1, 3))):
            self.take(prompt, vector)

    # -- lineage ---------------------------------------------------------------------------------
    def maybe_variation_seed(self, prompt: str) -> None:
        w = self.w
        if w.tool not in ("a1111", "forge") or self.rng.random() > 0.15 or not self.made:
            return
        parent, parent_vector = self.made[-1]
        if parent.prompt != prompt or parent.seed is None or "subseed" in parent.extra:
            return  # a variation seed varies a base image, not another variation
        w.step()
        record = w.emit(
            prompt,
            parent.seed,
            _unit(parent_vector + 0.1 * _noise(self.rng)),
            extra={"subseed": int(self.rng.integers(0, 2**32)), "subseed_strength": 0.1},
        )
        self.made.append((record, parent_vector))
        self.w.library.explicit_edges.append(TruthEdge(parent.id, record.id, "variation"))

    def maybe_derivatives(self) -> None:
        """Upscales / img2img / inpaint / Midjourney jobs derived from images of this session."""
        w = self.w
        rng = self.rng
        if not self.made or rng.random() > 0.55:
            return
        for _ in range(int(rng.integers(1, 4))):
            parent, parent_vector = self.made[int(rng.integers(max(0, len(self.made) - 12), len(self.made)))]
            w.step()
            width, height = parent.width or 512, parent.height or 512
            kind = str(rng.choice(["upscale", "hires", "img2img", "inpaint"], p=[0.35, 0.25, 0.25, 0.15]))
            if w.tool == "midjourney":
                kind = str(rng.choice(["upscale", "variation", "remix"]))
                prompt = parent.prompt or ""
                if kind == "remix":
                    prompt, _ = self.tweak(prompt, parent_vector)
                record = w.emit(
                    prompt,
                    int(rng.integers(0, 2**32)),
                    _unit(parent_vector + 0.2 * _noise(rng)),
                    size=(width * 2, height * 2) if kind == "upscale" else None,
                    parent_job_id=parent.job_id,
                    extra={"job_type": kind},
                )
            elif kind in ("upscale", "hires"):
                factor = float(rng.choice([1.5, 2.0]))
                record = w.emit(
                    parent.prompt or "",
                    parent.seed or 0,
                    _unit(parent_vector + 0.05 * _noise(rng)),
                    size=(int(width * factor), int(height * factor)),
                    cfg=parent.cfg_scale,
                    steps=parent.steps,
                    sampler=parent.sampler,
                    source_image=(parent.file_name if kind == "upscale" else None),
                    denoise=0.35 if kind == "hires" else None,
                    workflow="wf-upscale",
                )
                kind = "upscale"
            else:
                prompt = parent.prompt or ""
                if rng.random() < 0.5:
                    prompt, _ = self.tweak(prompt, parent_vector)
                record = w.emit(
                    prompt,
                    int(rng.integers(0, 2**32)),
                    _unit(parent_vector + 0.25 * _noise(rng)),
                    size=(width, height),
                    denoise=round(float(rng.uniform(0.3, 0.75)), 2),
                    source_image=parent.id,
                    workflow="wf-img2img",
                    extra={"mask_image": "mask.png"} if kind == "inpaint" else None,
                )
            self.made.append((record, parent_vector))
            w.library.explicit_edges.append(TruthEdge(parent.id, record.id, kind))


def _make_artist(rng: np.random.Generator, index: int) -> _Artist:
    primary = str(rng.choice(TOOLS, p=[0.3, 0.2, 0.1, 0.08, 0.08, 0.12, 0.07, 0.05]))
    secondary = str(rng.choice([t for t in TOOLS if t != primary])) if rng.random() < 0.35 else None
    models = [str(m) for m in rng.choice(MODELS, size=int(rng.integers(1, 5)), replace=False)]
    return _Artist(
        name=f"artist{index:02d}",
        pace_seconds=float(math.exp(rng.uniform(math.log(12), math.log(300)))),
        jitter=float(rng.uniform(0.25, 0.7)),
        batch_size=int(rng.choice([1, 1, 2, 4])),
        primary_tool=primary,
        secondary_tool=secondary,
        models=models,
        sizes=[SIZES[int(i)] for i in rng.choice(len(SIZES), size=2, replace=False)],
        personal_style=[
            str(s) for s in rng.choice(PERSONAL_STYLE_POOL, size=int(rng.integers(1, 4)), replace=False)
        ],
        pause_probability=float(rng.uniform(0.0, 0.05)),
        minute_precision=bool(rng.random() < 0.12),
        cfg_habit=float(rng.choice([4.5, 6.0, 7.0, 7.5])),
        steps_habit=int(rng.choice([20, 25, 30, 40])),
        sampler_habit=str(rng.choice(SAMPLERS)),
    )


def _play_session(writer: _Writer, session_number: int, theme: str) -> None:
    rng = writer.rng
    artist = writer.artist
    library = writer.library
    writer.session_key = f"{artist.name}/{session_number:04d}"
    templates = [t for t, _ in PHASE_TEMPLATES]
    weights = np.array([p for _, p in PHASE_TEMPLATES])
    template = templates[int(rng.choice(len(templates), p=weights / weights.sum()))]
    if artist.secondary_tool and rng.random() < 0.25:
        writer.tool = artist.secondary_tool
    else:
        writer.tool = artist.primary_tool
    if rng.random() < 0.4:
        writer.model = str(rng.choice(artist.models))
    if rng.random() < 0.3:
        writer.size = artist.sizes[int(rng.integers(0, len(artist.sizes)))]
    writer.workflow = f"wf{int(rng.integers(0, 3))}"
    writer.negative = NEGATIVES[int(rng.integers(0, len(NEGATIVES)))]
    player = _SessionPlayer(writer, theme)
    base: tuple[str, np.ndarray] | None = None
    for phase in template:
        if phase == "quick":
            writer.phase = "refinement"
            player.quick()
        elif phase == "exploration":
            writer.phase = "exploration"
            player.exploration()
        elif phase == "refinement":
            writer.phase = "refinement"
            if player.explored:
                base = player.explored[int(rng.integers(0, len(player.explored)))]
            base = player.refinement(base)
        else:
            writer.phase = "optimization"
            player.optimization(base)
    if template == ("exploration", "refinement") or template[:2] == ("exploration", "refinement"):
        intent = "convergent_selection"
    else:
        intent = {"quick": "refinement"}.get(template[0], template[0]) if len(template) == 1 else template[-1]
    library.session_intent[writer.session_key] = intent


def simulate_library(
    seed: int = 1,
    artists: int = 12,
    days: int = 14,
    with_visual: bool = True,
    undated_fraction: float = 0.005,
) -> SimulatedLibrary:
    """A deterministic simulated library for ``seed``."""
    rng = np.random.default_rng(seed)
    library = SimulatedLibrary()
    for index in range(artists):
        artist = _make_artist(rng, index)
        writer = _Writer(rng, library, artist, with_visual)
        session_number = 0
        theme = str(rng.choice(list(THEMES)))
        day_start = datetime(2025, 3, 1, tzinfo=UTC)
        for day in range(days):
            if rng.random() > 0.6:
                continue
            writer.time = day_start + timedelta(days=day, hours=float(rng.uniform(7, 20)))
            for position in range(int(rng.integers(1, 6))):
                if position:
                    kind = rng.random()
                    if kind < 0.3:
                        gap_minutes = rng.uniform(2, 12)
                    elif kind < 0.7:
                        gap_minutes = rng.uniform(15, 90)
                    else:
                        gap_minutes = rng.uniform(120, 300)
                    writer.time += timedelta(minutes=float(gap_minutes))
                themes = [t for t in THEMES if t != theme]
                theme = str(rng.choice(themes))
                _play_session(writer, session_number, theme)
                session_number += 1
    _drop_some_times(rng, library, undated_fraction)
    return library


def _drop_some_times(rng: np.random.Generator, library: SimulatedLibrary, fraction: float) -> None:
    for record in library.records:
        if rng.random() < fraction:
            record.created_at = None
            record.created_at_precision = None


def simulate_many(record_count: int, seed: int = 7) -> Iterator[GenerationRecord]:
    """At least ``record_count`` records (in whole artists), for speed benchmarks; no visual vectors."""
    produced = 0
    batch = 0
    while produced < record_count:
        library = simulate_library(seed=seed + batch, artists=20, days=60, with_visual=False)
        for record in library.records:
            record.user = f"{record.user}-b{batch}"
            record.id = f"b{batch}-{record.id}"
            yield record
            produced += 1
            if produced >= record_count:
                return
        batch += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=0, help="write this many records as JSONL")
    parser.add_argument("--out", type=Path, default=Path("bench/out/simulated.jsonl"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.records:
        from engine.record_codec import record_to_json

        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w") as handle:
            for record in simulate_many(args.records, seed=args.seed):
                handle.write(json.dumps(record_to_json(record)) + "\n")
        print(f"wrote {args.records} records to {args.out}")
        return
    library = simulate_library(seed=args.seed)
    sessions = len(set(library.session_of.values()))
    phases: dict[str, int] = {}
    for phase in library.phase_of.values():
        phases[phase] = phases.get(phase, 0) + 1
    print("| records | sessions | artists | explicit edges | phases |")
    print("|---|---|---|---|---|")
    users = len({r.user for r in library.records})
    print(f"| {len(library.records)} | {sessions} | {users} | {len(library.explicit_edges)} | {phases} |")


if __name__ == "__main__":
    main()
