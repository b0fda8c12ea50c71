"""A second, independent family of simulated histories, written from the product documents alone.

``bench/simulate.py`` (family A) was written alongside the engine; this family (B) was written later,
from the documents' description of what a session, an exploration and a refinement are, without
reusing family A's vocabulary or distributions. Tuning the engine on one family and scoring it on the
other is how the quality bench checks that a parameter generalises (``bench/quality.py``).

What the documents say, and how it is simulated here:

- *a session is one creative intent*: a session has a **look** (a medium such as "oil painting" or
  "35mm photograph", sometimes with finishing tags) that its prompts share, a model, an aspect ratio
  and a negative prompt, all kept for the session;
- *exploration sessions have high prompt diversity — the artist tries many concepts* ("Explored:
  sci-fi interiors, fantasy landscapes, abstract patterns"): an exploration hops between subjects of
  any genre ("dragon perched on castle ruins, oil painting" → "elven city in giant trees, oil
  painting"), one to three takes per subject, so a new subject every one to eight minutes;
- *refinement*: one prompt, new seeds, small tweaks (a detail added or removed, a weight changed),
  then upscales / img2img / inpaint of the keepers; *optimization*: prompt and seed fixed, one
  parameter swept; *convergent selection*: an exploration, then a refinement of one explored prompt;
- *an artist pauses inside a session*: short pauses (2–12 min) anywhere, and a **pivot**: after a
  refinement run a 20–40 minute pause, then a new exploration in the same look (same session);
- *a new session*: hours later; or a **switch of project** after a settled run (new genre and a new
  look, often a new model or aspect ratio) even a few minutes later — "if the artist switches from
  landscape prompts to portrait prompts, that is almost certainly a new creative session"; or a
  **tool switch** (a tool switch is always a boundary).

Pace (per artist): a median step of 6 s – 4 min (log-normal around 35 s), gamma-distributed steps
(shape 1.5–5), a typing delay before each new prompt, takes of 1–4 images written within a second or
two (a batch may straddle a second), sub-second times truncated to whole seconds.

Ground truth: the session and phase of every record, session intents, explicit lineage edges, and
simulated visual embeddings (subject → prompt → image). Deterministic for a seed.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.simulate import SimulatedLibrary, TruthEdge
from engine.records import GenerationRecord, TimePrecision

GENRES: dict[str, list[str]] = {
    "landscape": [
        "fjord under northern lights",
        "terraced rice fields in mist",
        "volcanic black sand beach",
        "lavender hills with a lone cypress",
        "glacier cave with blue ice",
        "canyon river at dusk",
        "birch forest after first snow",
        "salt flats mirroring clouds",
    ],
    "portrait": [
        "elderly beekeeper with a veil",
        "young violinist backstage",
        "tattooed chef in a busy kitchen",
        "girl with freckles and a red scarf",
        "astronomer holding a brass telescope",
        "boxer wrapping his hands",
        "grandmother knitting by a window",
        "jazz singer under a spotlight",
    ],
    "fantasy": [
        "dragon perched on castle ruins",
        "elven city in giant trees",
        "wizard tower on a floating island",
        "goblin market under a bridge",
        "phoenix rising from embers",
        "mermaid grotto with pearls",
        "troll guarding a stone bridge",
        "enchanted library with flying books",
    ],
    "scifi_interior": [
        "starship bridge with holographic maps",
        "cryosleep chamber",
        "orbital greenhouse module",
        "abandoned space station corridor",
        "android assembly line",
        "mars colony canteen",
        "neon noodle bar on a space port",
        "research lab with containment tanks",
    ],
    "abstract": [
        "flowing liquid marble swirls",
        "fractal spirals of gold leaf",
        "intersecting translucent planes",
        "ink drops blooming in water",
        "voronoi cells in pastel colours",
        "geometric tessellation of hexagons",
        "wave interference pattern",
        "shattered glass mosaic",
    ],
    "still_life": [
        "pomegranates on a silver plate",
        "antique pocket watch and keys",
        "tea set on a lace tablecloth",
        "wilting tulips in a glass vase",
        "stack of old leather books",
        "fishbowl on a windowsill",
        "lemons and a copper kettle",
        "seashells on driftwood",
    ],
    "creature": [
        "owl with moth wings",
        "armored pangolin knight",
        "jellyfish made of stained glass",
        "tiny frog wearing a leaf hat",
        "wolf made of smoke",
        "koi fish swimming through clouds",
        "hummingbird with crystal feathers",
        "octopus playing chess",
    ],
    "urban": [
        "tokyo crosswalk in the rain",
        "brownstone stoop in brooklyn",
        "venetian canal at dawn",
        "havana street with vintage cars",
        "rooftop garden in seoul",
        "night market in taipei",
        "lisbon tram on a steep hill",
        "laundromat at midnight",
    ],
}
MEDIUMS = [
    "oil painting",
    "gouache illustration",
    "ink wash",
    "35mm photograph",
    "claymation still",
    "linocut print",
    "stained glass window",
    "children's book illustration",
    "vaporwave render",
    "chalk pastel",
    "papercut diorama",
    "tilt-shift photo",
    "risograph print",
    "baroque fresco",
]
FINISHES = [
    "rich texture",
    "muted palette",
    "high contrast",
    "soft bokeh",
    "dramatic rim light",
    "golden ratio composition",
    "subtle grain",
    "award winning",
    "intricate detail",
    "bold shapes",
]
DETAILS = [
    "close-up",
    "wide shot",
    "low angle",
    "morning light",
    "overcast",
    "backlit",
    "symmetrical",
    "rule of thirds",
    "volumetric haze",
    "reflections",
    "shallow focus",
    "long shadows",
]
TOOLS = ["comfyui", "a1111", "forge", "invokeai", "fooocus", "midjourney", "swarmui", "drawthings", "novelai"]
TOOL_WEIGHTS = [0.26, 0.16, 0.1, 0.08, 0.1, 0.12, 0.08, 0.05, 0.05]
MODELS = [
    "flux1-schnell",
    "sd3.5_large",
    "zavychromaXL_v8",
    "absolutereality_v181",
    "cyberrealisticPony_v6",
    "aamXLAnimeMix",
    "majicmixRealistic_v7",
    "counterfeitV30",
    "protovisionXL_v6",
]
ASPECTS = [(1024, 1024), (896, 1152), (1152, 896), (768, 1344), (1344, 768), (640, 960), (960, 640)]
SAMPLERS = ["euler", "dpmpp_2m_sde", "dpmpp_3m_sde", "lcm", "ddpm", "restart", "dpm_fast"]
NEGATIVE_PROMPTS = [
    "lowres, bad hands",
    "text, signature",
    "nsfw",
    "deformed, disfigured",
    "(worst quality:1.4)",
]

SESSION_TEMPLATES: list[tuple[tuple[str, ...], float]] = [
    (("exploration",), 0.22),
    (("refinement",), 0.14),
    (("exploration", "refinement"), 0.24),
    (("refinement", "pivot", "exploration"), 0.14),
    (("refinement", "optimization"), 0.1),
    (("exploration", "refinement", "optimization"), 0.08),
    (("exploration", "refinement", "pivot", "exploration"), 0.05),
    (("single",), 0.03),
]
VISUAL_DIM = 32


@dataclass(slots=True)
class _Artist:
    name: str
    median_step_seconds: float
    step_shape: float
    typing_seconds: float
    take_sizes: tuple[int, ...]
    take_size_weights: tuple[float, ...]
    image_interval_seconds: float
    tools: list[str]
    second_tool_share: float
    models: list[str]
    home_aspect: tuple[int, int]
    short_pause_rate: float
    minute_precision: bool
    cfg: float
    steps: int
    sampler: str


@dataclass(slots=True)
class _Look:
    genre: str
    medium: str
    finishes: list[str]
    model: str
    aspect: tuple[int, int]
    negative: str | None
    tool: str


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / (np.linalg.norm(vector) or 1.0)


def _noise(rng: np.random.Generator, scale: float) -> np.ndarray:
    return scale * rng.normal(size=VISUAL_DIM) / math.sqrt(VISUAL_DIM)


class _History:
    """One artist's history: the clock, counters and the ground truth it writes."""

    def __init__(self, rng: np.random.Generator, library: SimulatedLibrary, artist: _Artist, visual: bool):
        self.rng = rng
        self.library = library
        self.artist = artist
        self.visual = visual
        self.clock = 0.0
        """Seconds since the epoch of the history (fractional; truncated when written)."""
        self.origin = datetime(2025, 9, 1, tzinfo=UTC)
        self.counter = 0
        self.session_key = ""
        self.phase = ""
        self.look: _Look | None = None
        self.made: list[tuple[GenerationRecord, np.ndarray]] = []
        self.subject_vectors: dict[str, np.ndarray] = {}

    # -- time ----------------------------------------------------------------------------------------
    def step(self, new_prompt: bool) -> None:
        a = self.artist
        seconds = a.median_step_seconds * self.rng.gamma(a.step_shape, 1.0 / a.step_shape)
        if new_prompt:
            seconds += a.typing_seconds * self.rng.uniform(0.3, 1.5)
        if self.rng.random() < a.short_pause_rate:
            seconds += self.rng.uniform(2, 12) * 60
        self.clock += max(1.0, seconds)

    # -- records -------------------------------------------------------------------------------------
    def vector_of(self, subject: str) -> np.ndarray:
        if subject not in self.subject_vectors:
            self.subject_vectors[subject] = _unit(self.rng.normal(size=VISUAL_DIM))
        return self.subject_vectors[subject]

    def emit(
        self,
        prompt: str,
        seed: int,
        image: np.ndarray,
        *,
        offset_seconds: float = 0.0,
        cfg: float | None = None,
        steps: int | None = None,
        sampler: str | None = None,
        size: tuple[int, int] | None = None,
        denoise: float | None = None,
        source_image: str | None = None,
        parent_job_id: str | None = None,
        extra: dict[str, object] | None = None,
    ) -> GenerationRecord:
        a, look = self.artist, self.look
        assert look is not None
        self.counter += 1
        record_id = f"{a.name}-b{self.counter:06d}"
        when = self.origin + timedelta(seconds=math.floor(self.clock + offset_seconds))
        precision = TimePrecision.SECOND
        if a.minute_precision:
            when = when.replace(second=0)
            precision = TimePrecision.MINUTE
        width, height = size or look.aspect
        job_id = f"mj-{a.name}-{self.counter:06d}" if look.tool == "midjourney" else None
        record = GenerationRecord(
            id=record_id,
            tool=look.tool,
            created_at=when,
            created_at_source="metadata:simulated",
            created_at_precision=precision,
            user=a.name,
            prompt=prompt,
            negative_prompt=None if look.tool == "midjourney" else look.negative,
            seed=seed,
            cfg_scale=None if look.tool == "midjourney" else (cfg if cfg is not None else a.cfg),
            steps=None if look.tool == "midjourney" else (steps if steps is not None else a.steps),
            sampler=None if look.tool == "midjourney" else (sampler or a.sampler),
            model=look.model if look.tool != "midjourney" else "midjourney-v7",
            width=width,
            height=height,
            denoise=denoise,
            source_image=source_image,
            job_id=job_id,
            parent_job_id=parent_job_id,
            file_name=f"{a.name}_{self.counter:05d}.png",
            workflow_hash=("graph-" + ("i2i" if source_image else "t2i")) if look.tool == "comfyui" else None,
            extra={"file_counter": self.counter, **(extra or {})},
        )
        self.library.records.append(record)
        self.library.session_of[record_id] = self.session_key
        self.library.phase_of[record_id] = self.phase
        if self.visual:
            self.library.visual[record_id] = image
        self.made.append((record, image))
        return record

    def take(self, prompt: str, vector: np.ndarray, *, new_prompt: bool, **params: object) -> None:
        """One run of the generate button: 1–4 images, each a fraction of a second apart."""
        self.step(new_prompt)
        a = self.artist
        count = (
            4
            if self.look is not None and self.look.tool == "midjourney"
            else int(self.rng.choice(a.take_sizes, p=a.take_size_weights))
        )
        seed = int(self.rng.integers(1, 2**31))
        offset = 0.0
        for index in range(count):
            image = _unit(vector + _noise(self.rng, 0.5))
            self.emit(prompt, seed + index, image, offset_seconds=offset, **params)  # type: ignore[arg-type]
            offset += a.image_interval_seconds * self.rng.uniform(0.6, 1.4)
        self.clock += offset


class _Session:
    """Plays one session (one look) through its template."""

    def __init__(self, history: _History):
        self.h = history
        self.rng = history.rng
        self.explored: list[tuple[str, np.ndarray]] = []

    def prompt_for(self, subject: str, details: list[str]) -> tuple[str, np.ndarray]:
        look = self.h.look
        assert look is not None
        parts = [subject, *details, look.medium, *look.finishes]
        vector = _unit(self.h.vector_of(subject) + _noise(self.rng, 0.3 * len(details)))
        return ", ".join(parts), vector

    def any_subject(self, genre: str | None) -> str:
        if genre is None or self.rng.random() < 0.6:
            genre = str(self.rng.choice(list(GENRES)))
        return str(self.rng.choice(GENRES[genre]))

    def details(self) -> list[str]:
        count = int(self.rng.choice([0, 1, 1, 2]))
        return [str(d) for d in self.rng.choice(DETAILS, size=count, replace=False)]

    def exploration(self) -> None:
        self.h.phase = "exploration"
        look = self.h.look
        assert look is not None
        for _ in range(int(self.rng.integers(4, 13))):
            prompt, vector = self.prompt_for(self.any_subject(look.genre), self.details())
            self.explored.append((prompt, vector))
            takes = int(self.rng.choice([1, 2, 3], p=[0.55, 0.3, 0.15]))
            for take in range(takes):
                self.h.take(prompt, vector, new_prompt=take == 0)

    def refinement(self) -> tuple[str, np.ndarray]:
        self.h.phase = "refinement"
        look = self.h.look
        assert look is not None
        if self.explored and self.rng.random() < 0.9:
            prompt, vector = self.explored[int(self.rng.integers(0, len(self.explored)))]
        else:
            prompt, vector = self.prompt_for(str(self.rng.choice(GENRES[look.genre])), self.details())
        first = True
        for _ in range(int(self.rng.integers(4, 15))):
            changed = first
            if self.rng.random() < 0.3:
                prompt, vector = self.tweak(prompt, vector)
                changed = True
            self.h.take(prompt, vector, new_prompt=changed)
            first = False
            self.maybe_variation(prompt)
        self.derivatives()
        return prompt, vector

    def tweak(self, prompt: str, vector: np.ndarray) -> tuple[str, np.ndarray]:
        parts = prompt.split(", ")
        move = self.rng.random()
        if move < 0.45:
            parts.insert(1, str(self.rng.choice(DETAILS)))
        elif move < 0.7 and len(parts) > 2:
            parts.pop(1)
        else:
            index = int(self.rng.integers(0, len(parts)))
            if not parts[index].startswith("("):
                parts[index] = f"({parts[index]}:{self.rng.choice([1.1, 1.2, 1.3, 0.9])})"
        return ", ".join(parts), _unit(vector + _noise(self.rng, 0.12))

    def optimization(self, base: tuple[str, np.ndarray] | None) -> None:
        self.h.phase = "optimization"
        look = self.h.look
        assert look is not None
        prompt, vector = base or self.prompt_for(str(self.rng.choice(GENRES[look.genre])), [])
        seed = int(self.rng.integers(1, 2**31))
        fixed = _unit(vector + _noise(self.rng, 0.5))
        swept = str(self.rng.choice(["cfg", "steps", "sampler"]))
        count = int(self.rng.integers(5, 10))
        for index in range(count):
            self.h.step(new_prompt=False)
            params: dict[str, object] = {}
            if swept == "cfg":
                params["cfg"] = 2.5 + 1.0 * index
            elif swept == "steps":
                params["steps"] = 12 + 6 * index
            else:
                params["sampler"] = SAMPLERS[index % len(SAMPLERS)]
            self.h.emit(prompt, seed, _unit(fixed + _noise(self.rng, 0.1)), **params)  # type: ignore[arg-type]

    def single(self) -> None:
        self.h.phase = "refinement"
        look = self.h.look
        assert look is not None
        prompt, vector = self.prompt_for(str(self.rng.choice(GENRES[look.genre])), self.details())
        for take in range(int(self.rng.integers(1, 4))):
            self.h.take(prompt, vector, new_prompt=take == 0)

    def pivot_pause(self) -> None:
        """After a settled run: a 20–40 minute pause inside the session."""
        self.h.clock += self.rng.uniform(20, 40) * 60
        self.explored.clear()

    # -- lineage -------------------------------------------------------------------------------------
    def maybe_variation(self, prompt: str) -> None:
        h = self.h
        look = h.look
        assert look is not None
        if look.tool not in ("a1111", "forge") or self.rng.random() > 0.12:
            return
        parent, image = h.made[-1]
        if parent.prompt != prompt or "subseed" in parent.extra or parent.seed is None:
            return
        h.step(new_prompt=False)
        child = h.emit(
            prompt,
            parent.seed,
            _unit(image + _noise(self.rng, 0.1)),
            extra={"subseed": int(self.rng.integers(1, 2**31)), "subseed_strength": 0.15},
        )
        h.library.explicit_edges.append(TruthEdge(parent.id, child.id, "variation"))

    def derivatives(self) -> None:
        h = self.h
        look = h.look
        assert look is not None
        if self.rng.random() > 0.5:
            return
        for _ in range(int(self.rng.integers(1, 3))):
            recent = h.made[-10:]
            parent, image = recent[int(self.rng.integers(0, len(recent)))]
            h.step(new_prompt=False)
            width, height = parent.width or 1024, parent.height or 1024
            if look.tool == "midjourney":
                kind = str(self.rng.choice(["upscale", "variation"]))
                child = h.emit(
                    parent.prompt or "",
                    int(self.rng.integers(1, 2**31)),
                    _unit(image + _noise(self.rng, 0.15)),
                    size=(width * 2, height * 2) if kind == "upscale" else None,
                    parent_job_id=parent.job_id,
                    extra={"job_type": kind},
                )
            else:
                kind = str(self.rng.choice(["upscale", "img2img", "inpaint"], p=[0.5, 0.3, 0.2]))
                child = h.emit(
                    parent.prompt or "",
                    parent.seed
                    if kind == "upscale" and parent.seed is not None
                    else int(self.rng.integers(1, 2**31)),
                    _unit(image + _noise(self.rng, 0.1 if kind == "upscale" else 0.3)),
                    size=(width * 2, height * 2) if kind == "upscale" else None,
                    denoise=0.3 if kind == "upscale" else round(float(self.rng.uniform(0.35, 0.7)), 2),
                    source_image=parent.file_name,
                    extra={"mask": "mask_layer.png"} if kind == "inpaint" else None,
                )
            h.library.explicit_edges.append(TruthEdge(parent.id, child.id, kind))


def _make_artist(rng: np.random.Generator, index: int) -> _Artist:
    primary = str(rng.choice(TOOLS, p=TOOL_WEIGHTS))
    tools = [primary]
    if rng.random() < 0.4:
        tools.append(str(rng.choice([t for t in TOOLS if t != primary])))
    take_habits = [
        ((1,), (1.0,)),
        ((1, 2), (0.6, 0.4)),
        ((2, 4), (0.5, 0.5)),
        ((4,), (1.0,)),
        ((1, 3), (0.7, 0.3)),
    ]
    sizes, weights = take_habits[int(rng.integers(0, len(take_habits)))]
    return _Artist(
        name=f"docs{index:02d}",
        median_step_seconds=float(np.clip(math.exp(rng.normal(math.log(35), 0.8)), 6, 240)),
        step_shape=float(rng.uniform(1.5, 5.0)),
        typing_seconds=float(rng.uniform(8, 60)),
        take_sizes=sizes,
        take_size_weights=weights,
        image_interval_seconds=float(rng.uniform(0.1, 0.7)),
        tools=tools,
        second_tool_share=float(rng.uniform(0.15, 0.4)),
        models=[str(m) for m in rng.choice(MODELS, size=int(rng.integers(1, 4)), replace=False)],
        home_aspect=ASPECTS[int(rng.integers(0, len(ASPECTS)))],
        short_pause_rate=float(rng.uniform(0.0, 0.03)),
        minute_precision=bool(rng.random() < 0.08),
        cfg=float(rng.choice([3.5, 5.0, 6.5, 7.0])),
        steps=int(rng.choice([8, 20, 28, 35])),
        sampler=str(rng.choice(SAMPLERS)),
    )


def _new_look(rng: np.random.Generator, artist: _Artist, previous: _Look | None, tool: str) -> _Look:
    """A new project: a new genre and medium; often a new model or aspect ratio."""
    genres = [g for g in GENRES if previous is None or g != previous.genre]
    mediums = [m for m in MEDIUMS if previous is None or m != previous.medium]
    model = artist.models[0] if previous is None else previous.model
    if previous is None or rng.random() < 0.45:
        model = str(rng.choice(artist.models))
    aspect = artist.home_aspect
    if rng.random() < 0.35:
        aspect = ASPECTS[int(rng.integers(0, len(ASPECTS)))]
    finishes = [str(f) for f in rng.choice(FINISHES, size=int(rng.integers(0, 3)), replace=False)]
    return _Look(
        genre=str(rng.choice(genres)),
        medium=str(rng.choice(mediums)),
        finishes=finishes,
        model=model,
        aspect=aspect,
        negative=None if rng.random() < 0.3 else str(rng.choice(NEGATIVE_PROMPTS)),
        tool=tool,
    )


def _play(history: _History, number: int, template: tuple[str, ...]) -> None:
    history.session_key = f"{history.artist.name}/{number:04d}"
    session = _Session(history)
    base: tuple[str, np.ndarray] | None = None
    for part in template:
        if part == "exploration":
            session.exploration()
        elif part == "refinement":
            base = session.refinement()
        elif part == "optimization":
            session.optimization(base)
        elif part == "pivot":
            session.pivot_pause()
        else:
            session.single()
    if template[:2] == ("exploration", "refinement"):
        intent = "convergent_selection"
    elif len(template) == 1:
        intent = "refinement" if template[0] == "single" else template[0]
    else:
        intent = "exploration" if "pivot" in template else template[-1]
    history.library.session_intent[history.session_key] = intent


def simulate_docs_library(
    seed: int = 11, artists: int = 20, days: int = 21, with_visual: bool = True
) -> SimulatedLibrary:
    """A deterministic family-B library for ``seed`` (same container as family A's)."""
    rng = np.random.default_rng(seed)
    library = SimulatedLibrary()
    templates = [t for t, _ in SESSION_TEMPLATES]
    weights = np.array([w for _, w in SESSION_TEMPLATES])
    weights /= weights.sum()
    for index in range(artists):
        artist = _make_artist(rng, index)
        history = _History(rng, library, artist, with_visual)
        number = 0
        last_template: tuple[str, ...] = ("single",)
        for day in range(days):
            if rng.random() > 0.55:
                continue
            history.clock = max(history.clock, day * 86400.0 + rng.uniform(8, 21) * 3600)
            for position in range(int(rng.integers(1, 5))):
                template = templates[int(rng.choice(len(templates), p=weights))]
                tool = artist.tools[0]
                if len(artist.tools) > 1 and rng.random() < artist.second_tool_share:
                    tool = artist.tools[1]
                if position:
                    settled = last_template[-1] in ("refinement", "optimization", "single")
                    kind = rng.random()
                    if history.look is not None and tool != history.look.tool:
                        history.clock += rng.uniform(0.5, 20) * 60  # a tool switch: any gap
                    elif settled and kind < 0.45:
                        history.clock += rng.uniform(1, 10) * 60  # a quick switch of project
                    else:
                        history.clock += rng.uniform(75, 360) * 60  # a real break
                history.look = _new_look(rng, artist, history.look, tool)
                _play(history, number, template)
                last_template = template
                number += 1
    return library


def main() -> None:
    library = simulate_docs_library()
    sessions = len(set(library.session_of.values()))
    phases: dict[str, int] = {}
    for phase in library.phase_of.values():
        phases[phase] = phases.get(phase, 0) + 1
    print(
        f"records {len(library.records)}, sessions {sessions}, edges {len(library.explicit_edges)}, {phases}"
    )


if __name__ == "__main__":
    main()
