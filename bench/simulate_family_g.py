"""Family G: a hold-out simulator of LoRA testers, grid sweepers, booru taggers, scripted dataset runs
and sketch → img2img → inpaint → upscale chains, written from the product documents alone (without
reading the engine or families A–F).

Habits (each artist has a primary habit and sometimes a second; the first five artists cover every
habit in turn):

- ``lora``: kohya-style training samples (``civitai`` trainer files ``mychar_e000008_01_YYYYMMDDHHMMSS.png``,
  time from the file name), then the same small prompt set rendered against many LoRA epochs
  (``mychar-000004.safetensors`` …) and weights, by hand or by an X/Y/Z "Prompt S/R" grid;
- ``grid``: A1111 / Forge X/Y/Z plots (CFG × steps, sampler × scheduler) and prompt matrices, each with
  its grid image, or ComfyUI batch sweeps queued in one go;
- ``booru``: long comma-separated tag prompts (NovelAI, reForge), refined by adding, removing, reordering
  and weighting tags, and wildcard shuffles (``__outfit__``) run as a batch;
- ``dataset``: scripted API runs through ComfyUI — hundreds to thousands of images in an hour, every
  prompt different from one template, unattended, often at night;
- ``chain``: a sketch taken through img2img and inpainting in Krita AI Diffusion (``kritaai``) or the
  InvokeAI canvas, upscaled right after in ComfyUI or A1111 (which name their source file), and the
  project resumed on later days.

Tempos range from seconds (grids, scripts) to minutes (hand inpainting, training samples); artists live
in time zones from UTC−8 to UTC+10.

Truth rules (the document sentences behind each in quotes):

1. A tool switch always ends a session — "a tool switch is a session boundary, so forks of one UI that
   a user runs side by side (A1111 / Forge / reForge) keep their own ids" (generation-records.md). So
   the Krita / InvokeAI part of a chain and its ComfyUI / A1111 upscale are two sessions, and training
   samples (``civitai``) and the epoch test that follows (``forge`` / ``a1111`` / ``comfyui``) are two.
2. Sessions are per user and follow each other — "Clustering runs per user over the time-ordered
   stream" (DESIGN.md). No artist runs two tools at once here, so one artist's sessions never overlap.
3. One sitting on one goal is one session; a break of 40 minutes or more always starts a new one, and a
   project resumed on another day is a new session (a separate sitting) tied to the old one only by
   lineage. Within a sitting, an entirely new subject (new character tags, nothing shared) after a
   pause of at least 12 minutes is a new session: a careful artist would file it apart ("Where it
   leaves a detail open, choose what a careful user of the product would expect", DESIGN.md).
4. An unattended run is one session however long its internal pauses (a training run's sample bursts
   are 4–12 minutes apart; a script's images seconds apart): the artist started it once.
5. Phases follow the intent names — "Intent names: exploration, refinement, optimization,
   convergent_selection (a session-level pattern: exploration followed by refinement of one explored
   concept)" (generation-records.md): *optimization* = the prompt (or prompt set) held fixed while
   parameters or models change — LoRA file / epoch / weight, CFG, steps, sampler, scheduler, prompt
   matrix toggles over a fixed seed; a grid image belongs to its run's phase; *exploration* = different
   subjects, tag sets, wildcard draws or seeds on the way to a choice, and scripted prompt lists;
   *refinement* = edits of one chosen concept — adding / removing / reordering / weighting tags,
   img2img, inpainting, upscaling.
6. Session intent: ``convergent_selection`` when an exploration phase (≥ 3 images) is followed by a
   refinement phase (≥ 3 images) and optimization is not the majority; otherwise the phase with most
   images (ties: optimization > refinement > exploration).
7. Explicit lineage only where the child's metadata names its parent — "``source_image``: file name or
   id of the input image (img2img, upscale, inpaint)", "``parent_job_id``: the job this one was derived
   from" (generation-records.md), "``LoadImage`` nodes name the input file: that is explicit lineage"
   (metadata-sources.md). A sketch is no generation record, so it gives no edge. Krita AI inpaints
   work on the open canvas and name no source file: they are ``derived_edges`` only.
8. Times as each tool gives them — metadata-sources.md: ComfyUI history ``execution_start`` (epoch
   milliseconds), InvokeAI's database ``created_at`` (UTC), A1111 / Forge / reForge / NovelAI / Krita
   file mtime (seconds, the artist's offset), Civitai trainer samples from the file name
   (``…_YYYYMMDDHHMMSS.png``, seconds, UTC).
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import numpy as np

from bench.simulate import SimulatedLibrary, TruthEdge
from engine.records import GenerationRecord, LoraRef, TimePrecision

FAMILY_G_VISUAL_DIM = 48
HABITS = ("lora", "grid", "booru", "dataset", "chain")
_OFFSETS_HOURS = (-8.0, -5.0, -3.0, 0.0, 1.0, 2.0, 5.5, 8.0, 9.0, 10.0)
_START = datetime(2026, 3, 2, tzinfo=UTC)


def _listed(text: str) -> tuple[str, ...]:
    """A ``; ``-separated list written as one string (keeps the vocabularies compact)."""
    return tuple(item.strip() for item in text.split(";"))


_SDXL_MODELS = ("sd_xl_base_1.0.safetensors", "juggernautXL_v9.safetensors", "realvisxlV40.safetensors")
_ANIME_MODELS = _listed(
    "ponyDiffusionV6XL.safetensors; illustriousXL_v01.safetensors; animagineXL31.safetensors"
)
_SAMPLERS = ("Euler a", "DPM++ 2M", "DPM++ SDE", "DPM++ 2M SDE", "UniPC", "DDIM")
_SCHEDULERS = ("Automatic", "Karras", "Exponential", "SGM Uniform")
_COMFY_SAMPLERS = ("euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_sde", "uni_pc")
_COMFY_SCHEDULERS = ("normal", "karras", "exponential", "sgm_uniform")
_NEGATIVE = "lowres, bad anatomy, bad hands, text, error, worst quality, low quality, jpeg artifacts"

_CHARACTERS = ("mira", "kaito", "sable", "vexa", "orrin", "lumi", "tamsin", "rook", "yuzu", "corvin")
_CHAR_TAGS = _listed(
    "long hair, silver hair, red eyes; short hair, black hair, blue eyes; twintails, pink hair, green "
    "eyes; ponytail, blonde hair, amber eyes; messy hair, white hair, heterochromia; braid, brown "
    "hair, purple eyes; bob cut, teal hair, yellow eyes; very long hair, blue hair, grey eyes"
)
_OUTFITS = _listed(
    "school uniform; maid outfit; hoodie; kimono; armor; sundress; leather jacket; witch hat, robe; "
    "swimsuit; business suit; gothic lolita; track suit"
)
_POSES = _listed("standing; sitting; looking at viewer; from side; arms up; hand on hip; running; lying")
_BACKGROUNDS = _listed(
    "simple background; white background; city street; forest; classroom; beach; night sky; cafe; "
    "rooftop; library; shrine; rain"
)
_QUALITY_TAGS = ("masterpiece", "best quality", "absurdres", "highres", "score_9", "very aesthetic")
_EXTRA_TAGS = _listed(
    "smile; blush; open mouth; closed eyes; wind; depth of field; bokeh; upper body; cowboy shot; "
    "full body; dutch angle; light particles; holding umbrella; cat ears; glasses; hair ribbon; "
    "jewelry; sunset; backlighting; dynamic pose"
)
_SUBJECTS = _listed(
    "lighthouse on a cliff; overgrown greenhouse; desert caravan; clockwork owl; flooded cathedral; "
    "mountain monastery; neon ramen stand; glass whale; floating market; abandoned observatory; fox "
    "spirit shrine; crystal cave"
)
_STYLES = _listed(
    "cinematic photo; oil painting; watercolor; concept art; isometric render; film still; ink "
    "illustration; matte painting"
)
_DETAILS = _listed(
    "volumetric light; golden hour; fog; highly detailed; wide angle; dramatic shadows; soft light; "
    "rim light; 35mm; 8k"
)
_OBJECTS = _listed(
    "ceramic mug; leather boot; wristwatch; sneaker; teapot; headphones; backpack; lamp; perfume "
    "bottle; camera; vase; guitar; chair; sunglasses; notebook; bicycle helmet"
)
_ADJECTIVES = ("red", "matte black", "vintage", "glossy", "wooden", "pastel", "metallic", "worn", "white")
_SURFACES = ("marble table", "concrete floor", "wooden desk", "sand", "grass", "glass shelf", "linen cloth")
_LIGHTING = ("studio lighting", "softbox light", "natural window light", "hard flash", "overcast light")


@dataclass(slots=True)
class _Artist:
    user: str
    habit: str
    second_habit: str | None
    offset: timezone
    rng: random.Random
    tool_pref: str
    model: str
    counter: int = 0
    session_count: int = 0
    busy_until: datetime = _START
    projects: list[dict] = field(default_factory=list)


class _Writer:
    """Collects records and their truth; one artist's sessions are written one after another."""

    def __init__(self, seed: int, with_visual: bool) -> None:
        self.library = SimulatedLibrary()
        self.np_rng = np.random.default_rng(seed)
        self.with_visual = with_visual
        self.concepts: dict[str, np.ndarray] = {}
        self.by_file: dict[tuple[str, str], str] = {}
        self.seed = seed

    def concept(self, key: str) -> np.ndarray:
        if key not in self.concepts:
            self.concepts[key] = self.np_rng.normal(size=FAMILY_G_VISUAL_DIM)
        return self.concepts[key]

    def visual(self, key: str, variant: str | None, noise: float, parent: str | None) -> np.ndarray:
        if parent is not None and parent in self.library.visual:
            vector = self.library.visual[parent] * 3.0
        else:
            vector = self.concept(key).copy()
            if variant is not None:
                vector = vector + 0.45 * self.concept(f"{key}|{variant}")
        vector = vector + noise * self.np_rng.normal(size=FAMILY_G_VISUAL_DIM)
        return vector / float(np.linalg.norm(vector))


class _Session:
    """One true session: every record added through it gets its key, its phase and its tool."""

    def __init__(self, writer: _Writer, artist: _Artist, tool: str, start: datetime, concept: str) -> None:
        artist.session_count += 1
        self.key = f"{artist.user}/{artist.session_count}"
        self.writer = writer
        self.artist = artist
        self.tool = tool
        self.t = start
        self.concept = concept
        self.records: list[GenerationRecord] = []
        self.phases: list[str] = []
        self.file_counter = artist.rng.randint(1, 4000)

    def advance(self, low: float, high: float) -> None:
        self.t += timedelta(seconds=self.artist.rng.uniform(low, high))

    def _stamp(self) -> tuple[datetime, str, TimePrecision]:
        tool = self.tool
        if tool == "comfyui":
            t = self.t.replace(microsecond=self.t.microsecond // 1000 * 1000)
            return t.astimezone(self.artist.offset), "metadata:execution_start", TimePrecision.MILLISECOND
        if tool == "invokeai":
            t = self.t.replace(microsecond=self.t.microsecond // 1000 * 1000)
            return t.astimezone(UTC), "metadata:images.created_at", TimePrecision.MILLISECOND
        if tool == "civitai":
            return self.t.replace(microsecond=0).astimezone(UTC), "filename", TimePrecision.SECOND
        return (
            self.t.replace(microsecond=0).astimezone(self.artist.offset),
            "file:mtime",
            TimePrecision.SECOND,
        )

    def add(
        self,
        phase: str,
        *,
        variant: str | None = None,
        parent: GenerationRecord | None = None,
        kind: str | None = None,
        named: bool = True,
        noise: float = 0.25,
        **fields,
    ) -> GenerationRecord:
        artist = self.artist
        artist.counter += 1
        digest = hashlib.sha1(f"G{self.writer.seed}:{artist.user}:{artist.counter}".encode()).hexdigest()
        created_at, source, precision = self._stamp()
        self.file_counter += 1
        if "file_name" not in fields:
            fields["file_name"] = self._file_name(fields.get("seed"))
        record = GenerationRecord(
            id=f"g{digest[:15]}",
            tool=self.tool,
            created_at=created_at,
            created_at_source=source,
            created_at_precision=precision,
            user=artist.user,
            **fields,
        )
        library = self.writer.library
        library.records.append(record)
        library.session_of[record.id] = self.key
        library.phase_of[record.id] = phase
        if self.writer.with_visual:
            parent_id = parent.id if parent is not None else None
            library.visual[record.id] = self.writer.visual(self.concept, variant, noise, parent_id)
        if parent is not None and kind is not None:
            edge = TruthEdge(parent=parent.id, child=record.id, kind=kind)
            library.derived_edges.append(edge)
            if named:
                library.explicit_edges.append(TruthEdge(parent=parent.id, child=record.id, kind=kind))
        self.records.append(record)
        self.phases.append(phase)
        return record

    def _file_name(self, seed: int | None) -> str:
        n = self.file_counter
        if self.tool in ("a1111", "forge", "reforge"):
            return f"{n:05d}-{seed if seed is not None else 0}.png"
        if self.tool == "comfyui":
            return f"ComfyUI_{n:05d}_.png"
        if self.tool == "novelai":
            return f"image_{n:04d}_{seed}.png"
        if self.tool == "invokeai":
            return hashlib.md5(f"{self.key}:{n}".encode()).hexdigest()[:8] + "-inv.png"
        return f"{self.concept.split('|')[0].replace(' ', '_')}_{n:04d}.png"

    def finish(self) -> datetime:
        library = self.writer.library
        library.session_intent[self.key] = session_intent(self.phases)
        self.artist.busy_until = self.t
        return self.t


def session_intent(phases: list[str]) -> str:
    """Truth rule 6."""
    counts = Counter(phases)
    n = len(phases)
    if (
        counts["optimization"] * 2 <= n
        and counts["exploration"] >= 3
        and counts["refinement"] >= 3
        and phases.index("exploration") < phases.index("refinement")
    ):
        return "convergent_selection"
    order = {"optimization": 2, "refinement": 1, "exploration": 0}
    return max(counts, key=lambda p: (counts[p], order[p]))


def _wtag(tag: str, rng: random.Random) -> str:
    return f"({tag}:{rng.choice((0.8, 0.9, 1.1, 1.2, 1.3, 1.4))})"


# --------------------------------------------------------------------------------------------- habits


def _lora_training(w: _Writer, a: _Artist, start: datetime) -> datetime:
    """Kohya-style training samples on the Civitai trainer: a burst of sample prompts per epoch."""
    rng = a.rng
    char = a.projects[0]["char"] if a.projects else rng.choice(_CHARACTERS)
    version = rng.choice(("", "_v2", "_v3"))
    name = f"{char}{version}"
    prompts = [f"{char}, 1girl, solo, {p}, {b}" for p, b in zip(_POSES[:3], _BACKGROUNDS[:3], strict=True)]
    prompts = prompts[: rng.randint(2, 3)]
    s = _Session(w, a, "civitai", start, f"lora:{char}")
    epochs = rng.choice((10, 12, 16))
    for epoch in range(1, epochs + 1):
        s.advance(240, 720)
        for i, prompt in enumerate(prompts):
            stamp = s.t.astimezone(UTC).strftime("%Y%m%d%H%M%S")
            s.add(
                "optimization",
                variant=f"e{epoch}",
                noise=0.3,
                prompt=prompt,
                seed=42 + i,
                cfg_scale=7.0,
                steps=28,
                sampler="euler_a",
                model=a.model,
                loras=(LoraRef(f"{name}-{epoch:06d}", 1.0),),
                width=1024,
                height=1024,
                file_name=f"{name}_e{epoch:06d}_{i:02d}_{stamp}.png",
                extra={"trainer": "kohya_ss", "epoch": epoch, "step": epoch * 250, "sample_prompt_index": i},
            )
            s.advance(2, 6)
    a.projects.insert(0, {"char": char, "lora": name, "epochs": epochs})
    return s.finish()


def _lora_epoch_test(w: _Writer, a: _Artist, start: datetime) -> datetime:
    """The same small prompt set against many LoRA epochs and weights, by hand or as an X/Y/Z grid."""
    rng = a.rng
    project = (
        a.projects[0] if a.projects else {"char": rng.choice(_CHARACTERS), "lora": "mychar", "epochs": 12}
    )
    char, lora, epochs = project["char"], project["lora"], project["epochs"]
    tool = a.tool_pref if a.tool_pref in ("a1111", "forge", "comfyui") else "forge"
    s = _Session(w, a, tool, start, f"lora:{char}")
    prompts = [
        f"{char}, 1girl, solo, {rng.choice(_OUTFITS)}, {rng.choice(_POSES)}, {rng.choice(_BACKGROUNDS)}"
        for _ in range(rng.randint(2, 4))
    ]
    seeds = [rng.randint(1, 2**31) for _ in range(rng.randint(1, 2))]
    step = rng.choice((2, 4))
    tested = list(range(step, epochs + 1, step))
    weights = rng.choice(((0.6, 0.8, 1.0), (0.7, 1.0), (0.5, 0.75, 1.0, 1.25)))
    grid = tool != "comfyui" and rng.random() < 0.5
    for weight in weights:
        cells: list[GenerationRecord] = []
        for epoch in tested:
            for prompt in prompts:
                for seed in seeds:
                    lora_name = f"{lora}-{epoch:06d}"
                    full = prompt if tool == "comfyui" else f"{prompt}, <lora:{lora_name}:{weight}>"
                    extra = {"script": "X/Y/Z plot", "x_type": "Prompt S/R"} if grid else {}
                    cells.append(
                        s.add(
                            "optimization",
                            variant=f"e{epoch}w{weight}",
                            noise=0.28,
                            prompt=full,
                            negative_prompt=_NEGATIVE,
                            seed=seed,
                            cfg_scale=6.0,
                            steps=28,
                            sampler="DPM++ 2M" if tool != "comfyui" else "dpmpp_2m",
                            scheduler="Karras" if tool != "comfyui" else "karras",
                            model=a.model,
                            loras=(LoraRef(lora_name, weight),),
                            width=832,
                            height=1216,
                            extra=extra,
                        )
                    )
                    s.advance(*((3, 7) if grid else (6, 25)))
            if not grid:
                s.advance(10, 60)
        if grid:
            s.add(
                "optimization",
                noise=0.5,
                prompt=cells[0].prompt,
                negative_prompt=_NEGATIVE,
                seed=seeds[0],
                model=a.model,
                width=832 * len(tested),
                height=1216 * len(prompts) * len(seeds),
                file_name=f"xyz_grid-{s.file_counter:04d}-{seeds[0]}.png",
                extra={"grid": True, "script": "X/Y/Z plot", "x_values": ",".join(str(e) for e in tested)},
            )
            s.advance(30, 180)
    # a short refinement tail with the chosen epoch
    best = f"{lora}-{tested[-1 if rng.random() < 0.5 else len(tested) // 2]:06d}"
    for _ in range(rng.randint(0, 8)):
        s.advance(20, 90)
        s.add(
            "refinement",
            variant="final",
            prompt=f"{prompts[0]}, {rng.choice(_EXTRA_TAGS)}",
            negative_prompt=_NEGATIVE,
            seed=rng.randint(1, 2**31),
            cfg_scale=6.0,
            steps=28,
            sampler="DPM++ 2M" if tool != "comfyui" else "dpmpp_2m",
            model=a.model,
            loras=(LoraRef(best, 0.8),),
            width=832,
            height=1216,
        )
    return s.finish()


def _grid_session(w: _Writer, a: _Artist, start: datetime) -> datetime:
    """Exploration, then X/Y/Z plots and a prompt matrix (A1111 / Forge) or a queued ComfyUI sweep,
    then a refinement tail with an upscale."""
    rng = a.rng
    tool = a.tool_pref if a.tool_pref in ("a1111", "forge", "comfyui") else "a1111"
    comfy = tool == "comfyui"
    subject = rng.choice(_SUBJECTS)
    style = rng.choice(_STYLES)
    s = _Session(w, a, tool, start, f"grid:{subject}")
    workflow = hashlib.sha1(f"{a.user}:sweep".encode()).hexdigest()[:16] if comfy else None
    base = f"{subject}, {style}, {rng.choice(_DETAILS)}"
    samplers = _COMFY_SAMPLERS if comfy else _SAMPLERS
    schedulers = _COMFY_SCHEDULERS if comfy else _SCHEDULERS
    common = {"negative_prompt": "blurry, lowres", "model": a.model, "width": 1024, "height": 1024}
    if comfy:
        common["workflow_hash"] = workflow
    # exploration: batches of 4 with a few prompt variants
    for b in range(rng.randint(1, 3)):
        prompt = f"{subject}, {rng.choice(_STYLES)}, {rng.choice(_DETAILS)}" if b else base
        first = rng.randint(1, 2**31)
        for i in range(4):
            s.add(
                "exploration",
                variant=f"x{b}",
                noise=0.35,
                prompt=prompt,
                seed=first + i,
                cfg_scale=7.0,
                steps=25,
                sampler=samplers[1],
                **common,
            )
            s.advance(2, 5)
        s.advance(20, 120)
    seed = rng.randint(1, 2**31)
    sweeps = [("cfg_scale", "steps"), ("sampler", "scheduler")]
    rng.shuffle(sweeps)
    for x_name, y_name in sweeps[: rng.randint(1, 2)]:
        if x_name == "cfg_scale":
            xs: list = rng.choice(([4, 5, 6, 7, 8, 9], [3.5, 5, 6.5, 8], [5, 7, 9, 11]))
            ys: list = rng.choice(([20, 30, 40], [15, 25, 35, 50]))
        else:
            xs = list(rng.sample(samplers, rng.randint(3, 5)))
            ys = list(rng.sample(schedulers, rng.randint(2, 3)))
        first_cell = None
        for y in ys:
            for x in xs:
                params = {"cfg_scale": 7.0, "steps": 30, "sampler": samplers[1], "scheduler": schedulers[1]}
                params[x_name] = x
                params[y_name] = y
                extra = (
                    {"client": "api", "sweep": f"{x_name}x{y_name}"} if comfy else {"script": "X/Y/Z plot"}
                )
                job = (
                    {"job_id": hashlib.md5(f"{s.key}{s.file_counter}".encode()).hexdigest()} if comfy else {}
                )
                cell = s.add(
                    "optimization",
                    variant="sweep",
                    noise=0.22,
                    prompt=base,
                    seed=seed,
                    extra=extra,
                    **params,
                    **job,
                    **common,
                )
                first_cell = first_cell or cell
                s.advance(*((6, 14) if comfy else (3, 9)))
        if not comfy:
            s.add(
                "optimization",
                variant="sweep",
                noise=0.5,
                prompt=base,
                seed=seed,
                model=a.model,
                width=1024 * len(xs),
                height=1024 * len(ys),
                file_name=f"xyz_grid-{s.file_counter:04d}-{seed}.png",
                extra={"grid": True, "script": "X/Y/Z plot", "x_type": x_name, "y_type": y_name},
            )
        s.advance(60, 300)
    if not comfy and rng.random() < 0.6:
        parts = rng.sample(_DETAILS, 3)
        matrix = f"{base}|" + "|".join(parts)
        for mask in range(8):
            chosen = [p for bit, p in enumerate(parts) if mask >> bit & 1]
            s.add(
                "optimization",
                variant="matrix",
                noise=0.25,
                prompt=", ".join([base, *chosen]),
                seed=seed,
                cfg_scale=7.0,
                steps=30,
                sampler=samplers[1],
                extra={"script": "Prompt matrix", "matrix_prompt": matrix},
                **common,
            )
            s.advance(3, 8)
        s.add(
            "optimization",
            variant="matrix",
            noise=0.5,
            prompt=matrix,
            seed=seed,
            model=a.model,
            width=2048,
            height=4096,
            file_name=f"prompt_matrix-{s.file_counter:04d}.png",
            extra={"grid": True},
        )
        s.advance(60, 240)
    # refinement tail: small prompt edits on the chosen settings, then an upscale of the keeper
    keeper = None
    prompt = base
    for _ in range(rng.randint(2, 7)):
        prompt = f"{prompt}, {rng.choice(_DETAILS)}"
        keeper = s.add(
            "refinement",
            variant="final",
            noise=0.2,
            prompt=prompt,
            seed=seed,
            cfg_scale=6.0,
            steps=30,
            sampler=samplers[2],
            **common,
        )
        s.advance(25, 110)
    if keeper is not None and rng.random() < 0.7:
        fields = dict(common, width=2048, height=2048)
        s.add(
            "refinement",
            parent=keeper,
            kind="upscale",
            noise=0.05,
            prompt=prompt,
            seed=seed,
            cfg_scale=6.0,
            steps=20,
            denoise=0.3,
            source_image=keeper.file_name,
            sampler=samplers[2],
            **fields,
            extra={"script": "SD upscale"} if not comfy else {"node": "LoadImage"},
        )
    return s.finish()


def _booru_tags(rng: random.Random, char_tags: str) -> list[str]:
    quality = rng.sample(_QUALITY_TAGS, 2)
    return [
        *quality,
        "1girl",
        "solo",
        *char_tags.split(", "),
        rng.choice(_OUTFITS),
        rng.choice(_POSES),
        rng.choice(_BACKGROUNDS),
        *rng.sample(_EXTRA_TAGS, rng.randint(2, 5)),
    ]


def _booru_session(w: _Writer, a: _Artist, start: datetime, wildcard: bool) -> datetime:
    """Tag prompts: exploration over tag sets (or a wildcard shuffle), then tag-by-tag refinement."""
    rng = a.rng
    tool = a.tool_pref if a.tool_pref in ("novelai", "reforge", "a1111") else "novelai"
    char_tags = rng.choice(_CHAR_TAGS)
    s = _Session(w, a, tool, start, f"booru:{char_tags}")
    size = rng.choice(((832, 1216), (1216, 832), (1024, 1024)))
    common = {
        "negative_prompt": _NEGATIVE,
        "model": "nai-diffusion-4-full" if tool == "novelai" else a.model,
        "sampler": "k_euler_ancestral" if tool == "novelai" else "Euler a",
        "width": size[0],
        "height": size[1],
    }
    gap = (4, 10) if tool == "novelai" else (5, 14)
    tags: list[str] = []
    if wildcard:
        template = (
            f"{', '.join(_QUALITY_TAGS[:2])}, 1girl, solo, {char_tags}, __outfit__, __pose__, __background__"
        )
        for _ in range(rng.randint(30, 120)):
            outfit, pose, bg = rng.choice(_OUTFITS), rng.choice(_POSES), rng.choice(_BACKGROUNDS)
            prompt = (
                template.replace("__outfit__", outfit).replace("__pose__", pose).replace("__background__", bg)
            )
            s.add(
                "exploration",
                variant=outfit,
                noise=0.35,
                prompt=prompt,
                seed=rng.randint(1, 2**32),
                cfg_scale=5.0,
                steps=28,
                extra={"wildcard_prompt": template},
                **common,
            )
            s.advance(*gap)
        tags = prompt.split(", ")
        s.advance(40, 200)
        rounds = rng.randint(0, 25)
    else:
        for _ in range(rng.randint(4, 14)):
            tags = _booru_tags(rng, char_tags)
            s.add(
                "exploration",
                variant=tags[6],
                noise=0.35,
                prompt=", ".join(tags),
                seed=rng.randint(1, 2**32),
                cfg_scale=5.0,
                steps=28,
                **common,
            )
            s.advance(gap[0], gap[1] * 4)
        rounds = rng.randint(10, 50)
    seed = rng.randint(1, 2**32)
    variant = tags[6] if len(tags) > 6 else "refine"
    for _ in range(rounds):
        edit = rng.random()
        if edit < 0.3:
            tags.append(rng.choice(_EXTRA_TAGS))
        elif edit < 0.5 and len(tags) > 8:
            tags.pop(rng.randrange(5, len(tags)))
        elif edit < 0.7:
            i, j = rng.randrange(2, len(tags)), rng.randrange(2, len(tags))
            tags[i], tags[j] = tags[j], tags[i]
        else:
            i = rng.randrange(2, len(tags))
            tags[i] = _wtag(tags[i].strip("()").split(":")[0], rng)
        if rng.random() < 0.3:
            seed = rng.randint(1, 2**32)
        for _ in range(rng.choice((1, 1, 2, 4))):
            s.add(
                "refinement",
                variant=variant,
                noise=0.18,
                prompt=", ".join(tags),
                seed=seed,
                cfg_scale=5.0,
                steps=28,
                **common,
            )
            s.advance(*gap)
            seed += 1
        s.advance(15, 90)
    return s.finish()


def _dataset_run(w: _Writer, a: _Artist, start: datetime) -> datetime:
    """A scripted ComfyUI API run: one template, every prompt different, unattended."""
    rng = a.rng
    s = _Session(w, a, "comfyui", start, "dataset")
    workflow = hashlib.sha1(f"{a.user}:api".encode()).hexdigest()[:16]
    n = rng.randint(200, 900)
    per_image = rng.uniform(1.8, 4.0)
    template = "a photo of a {adj} {obj} on a {surface}, {light}, product shot"
    script = rng.choice(("make_dataset.py", "batch_api.py", "gen_products.py"))
    for i in range(n):
        obj = rng.choice(_OBJECTS)
        prompt = template.format(
            adj=rng.choice(_ADJECTIVES), obj=obj, surface=rng.choice(_SURFACES), light=rng.choice(_LIGHTING)
        )
        s.add(
            "exploration",
            variant=obj,
            noise=0.45,
            prompt=prompt,
            negative_prompt="text, watermark",
            seed=rng.randint(1, 2**63),
            cfg_scale=2.0,
            steps=6,
            sampler="dpmpp_sde",
            scheduler="karras",
            model="dreamshaperXL_lightning.safetensors",
            width=1024,
            height=1024,
            workflow_hash=workflow,
            job_id=hashlib.md5(f"{s.key}:{i}".encode()).hexdigest(),
            file_name=f"dataset_{i:05d}_.png",
            extra={"client": "api", "script": script, "row": i},
        )
        s.t += timedelta(seconds=per_image * rng.uniform(0.9, 1.1))
    return s.finish()


def _chain_canvas(w: _Writer, a: _Artist, start: datetime, project: dict | None) -> datetime:
    """Sketch → img2img → inpaint in Krita AI or the InvokeAI canvas; a new project or a resumed one."""
    rng = a.rng
    tool = "invokeai" if a.tool_pref == "invokeai" else "kritaai"
    named = tool == "invokeai"
    if project is None:
        subject = rng.choice(_SUBJECTS)
        project = {"subject": subject, "sketch": f"sketch_{subject.split()[-1]}.png", "last": None, "days": 0}
        a.projects.insert(0, project)
    subject = project["subject"]
    s = _Session(w, a, tool, start, f"chain:{subject}")
    prompt = f"{subject}, {rng.choice(_STYLES)}, {rng.choice(_DETAILS)}"
    common = {
        "negative_prompt": "blurry",
        "model": a.model,
        "width": 1024,
        "height": 1024,
        "cfg_scale": 5.5,
        "steps": 30,
        "sampler": "dpmpp_2m",
    }
    extra = {"document": f"{subject.replace(' ', '_')}.kra"} if tool == "kritaai" else {"canvas": True}
    current: GenerationRecord | None = project["last"]
    if current is None:
        for _ in range(rng.randint(4, 12)):
            current = s.add(
                "exploration",
                variant=f"i2i{rng.randint(0, 3)}",
                noise=0.3,
                prompt=prompt,
                seed=rng.randint(1, 2**31),
                denoise=round(rng.uniform(0.55, 0.85), 2),
                source_image=project["sketch"],
                extra=dict(extra, mode="img2img"),
                **common,
            )
            s.advance(15, 70)
    assert current is not None
    for _ in range(rng.randint(5, 25)):
        region = rng.choice(("face", "hands", "sky", "background", "foreground", "window", "left"))
        parent = current
        current = s.add(
            "refinement",
            parent=parent,
            kind="inpaint",
            named=named,
            noise=0.12,
            prompt=f"{prompt}, {region} detail",
            seed=rng.randint(1, 2**31),
            denoise=round(rng.uniform(0.35, 1.0), 2),
            source_image=parent.file_name if named else None,
            extra=dict(extra, mode="inpaint", mask=region),
            **common,
        )
        s.advance(30, 200)
    project["last"] = current
    project["days"] += 1
    project["prompt"] = prompt
    return s.finish()


def _chain_upscale(w: _Writer, a: _Artist, start: datetime, project: dict) -> datetime:
    """The canvas result upscaled right after in ComfyUI (LoadImage) or A1111 (SD upscale)."""
    rng = a.rng
    tool = rng.choice(("comfyui", "a1111"))
    s = _Session(w, a, tool, start, f"chain:{project['subject']}")
    parent = project["last"]
    for factor in (2, 4)[: rng.randint(1, 2)]:
        extra = (
            {"node": "LoadImage", "upscaler": "4x-UltraSharp"}
            if tool == "comfyui"
            else {"script": "SD upscale"}
        )
        parent = s.add(
            "refinement",
            parent=parent,
            kind="upscale",
            noise=0.05,
            prompt=project.get("prompt"),
            seed=rng.randint(1, 2**31),
            denoise=round(rng.uniform(0.2, 0.4), 2),
            source_image=parent.file_name,
            model=a.model,
            width=1024 * factor,
            height=1024 * factor,
            steps=20,
            cfg_scale=5.0,
            extra=extra,
        )
        s.advance(40, 150)
    return s.finish()


# ----------------------------------------------------------------------------------------- schedule


def _pick_tool(habit: str, rng: random.Random) -> tuple[str, str]:
    if habit == "lora":
        return rng.choice(("forge", "a1111", "comfyui")), rng.choice(_ANIME_MODELS)
    if habit == "grid":
        return rng.choice(("a1111", "forge", "comfyui")), rng.choice(_SDXL_MODELS)
    if habit == "booru":
        return rng.choice(("novelai", "reforge", "a1111")), rng.choice(_ANIME_MODELS)
    if habit == "dataset":
        return "comfyui", "dreamshaperXL_lightning.safetensors"
    return rng.choice(("kritaai", "invokeai")), rng.choice(_SDXL_MODELS)


def _sitting(w: _Writer, a: _Artist, habit: str, start: datetime) -> datetime:
    rng = a.rng
    if habit == "lora":
        if not a.projects or rng.random() < 0.3:
            end = _lora_training(w, a, start)
            return _lora_epoch_test(w, a, end + timedelta(minutes=rng.uniform(3, 30)))
        return _lora_epoch_test(w, a, start)
    if habit == "grid":
        end = _grid_session(w, a, start)
        if rng.random() < 0.3:  # a second subject after a pause (truth rule 3)
            end = _grid_session(w, a, end + timedelta(minutes=rng.uniform(12, 35)))
        return end
    if habit == "booru":
        end = _booru_session(w, a, start, wildcard=rng.random() < 0.35)
        if rng.random() < 0.4:  # a new character after a pause (truth rule 3)
            end = _booru_session(
                w, a, end + timedelta(minutes=rng.uniform(12, 30)), wildcard=rng.random() < 0.35
            )
        return end
    if habit == "dataset":
        return _dataset_run(w, a, start)
    project = a.projects[0] if a.projects and a.projects[0]["days"] < 3 and rng.random() < 0.6 else None
    end = _chain_canvas(w, a, start, project)
    if rng.random() < 0.7:
        end = _chain_upscale(w, a, end + timedelta(minutes=rng.uniform(1, 8)), a.projects[0])
    return end


def _start_hour(habit: str, rng: random.Random) -> float:
    if habit == "dataset":
        return rng.uniform(0.5, 4.0) if rng.random() < 0.6 else rng.uniform(10, 16)
    if habit == "lora":
        return rng.uniform(9, 20)
    return rng.uniform(18, 22.5) if rng.random() < 0.7 else rng.uniform(8, 16)


def simulate_family_g_library(
    seed: int = 61, artists: int = 20, days: int = 21, with_visual: bool = True
) -> SimulatedLibrary:
    """Family G library: deterministic for its arguments; records sorted by time (then user, id)."""
    master = random.Random(seed)
    writer = _Writer(seed, with_visual)
    for index in range(artists):
        rng = random.Random(master.randrange(2**62))
        habit = (
            HABITS[index % len(HABITS)] if index < 2 * len(HABITS) else rng.choice(HABITS[:3] + HABITS[4:])
        )
        second = (
            rng.choice([h for h in HABITS if h not in (habit, "dataset")]) if rng.random() < 0.4 else None
        )
        hours = rng.choice(_OFFSETS_HOURS)
        offset = timezone(timedelta(hours=hours))
        tool, model = _pick_tool(habit, rng)
        artist = _Artist(f"g{seed}u{index:02d}", habit, second, offset, rng, tool, model)
        activity = {"dataset": 0.25, "lora": 0.5}.get(habit, 0.55)
        for day in range(days):
            if rng.random() > activity:
                continue
            chosen = second if second is not None and rng.random() < 0.3 else habit
            if chosen != habit:
                artist.tool_pref, artist.model = _pick_tool(chosen, rng)
                saved_projects, artist.projects = artist.projects, []
            local_midnight = datetime(2026, 3, 2) + timedelta(days=day)
            start = (local_midnight + timedelta(hours=_start_hour(chosen, rng))).replace(tzinfo=offset)
            start = max(start, artist.busy_until + timedelta(minutes=rng.uniform(45, 240)))
            _sitting(writer, artist, chosen, start)
            if chosen != habit:
                artist.tool_pref, artist.model = tool, model
                artist.projects = saved_projects
            if chosen not in ("dataset",) and rng.random() < 0.2:  # a second sitting the same day
                later = artist.busy_until + timedelta(minutes=rng.uniform(60, 300))
                _sitting(writer, artist, chosen if chosen == habit else habit, later)
    library = writer.library
    library.records.sort(key=lambda r: (r.created_at, r.user, r.id))  # type: ignore[arg-type, return-value]
    return library
