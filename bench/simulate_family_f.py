"""Family F: a hold-out simulator of slow and uneven pace, written from the product documents alone.

Earlier families' artists render an image every few seconds to a few minutes and rarely pause long
inside a session. Family F's artists do not: heavy renders (video models, Flux at high resolution) take
4–25 minutes per output, artists break for a meal or a call in the middle of one subject and come back
to it, hobbyists make a handful of images a week, heavy users make thousands, and explorers hop from
subject to subject every few minutes before settling on one. It was written from
``shared/docs/*.md``, the ``GenerationRecord`` dataclass, the ``SimulatedLibrary`` / ``TruthEdge``
containers and ``tests/bench/library_invariants.py``, without reading the engine's session, phase or
lineage code nor the other simulators.

Habits (one artist profile per habit; artist ``i`` plays habit ``i % 9``, so any library of at least
nine artists has them all; later artists replay the habits with other zones, models and seeds):

0. ``still_to_video`` (ComfyUI, Europe/Berlin): fast Flux still exploration with rapid subject hops (a
   new subject every 1–8 minutes, same model), settles on one explored subject, refines it (sometimes
   with a 20–45 minute break), then renders Wan 2.2 image-to-video clips of picked stills, the
   ``LoadImage`` node naming the still (``source_image``): one clip every 5–15 minutes. The next sitting
   pivots to a new exploration after a pause of 2 minutes to 3 hours.
1. ``video_and_stills`` (ComfyUI + Forge, America/Los_Angeles): text-to-video projects on Wan 2.2,
   HunyuanVideo or LTX-Video (one clip every 4–25 minutes, sometimes a 20–45 minute break inside a
   project); while a clip renders the artist makes fast stills in Forge (separate sessions, interleaved
   in time). Two video projects on one day are 20–45 minutes apart — as long as the pauses inside one.
2. ``long_pauses`` (ComfyUI, Asia/Tokyo): refines one subject with fixed settings for an hour or two with
   one or two 20–45 minute breaks; the next sitting (another subject, often another model / LoRA) starts
   after the same 20–45 minutes.
3. ``hobbyist`` (A1111, America/Sao_Paulo): 2–6 images per sitting, sittings 3–6 days apart (fewer than
   20 images a week), sometimes a 20–40 minute break inside a sitting.
4. ``heavy`` (ComfyUI, Asia/Seoul): thousands of images in three weeks: batches of 1–4, sessions of every
   intent, refine → optimize sweeps, pivots after pauses of every length.
5. ``midjourney_video`` (Midjourney, America/New_York): image jobs with rapid subject hops, variations /
   upscales / remixes of a picked job (``parent_job_id``), then video jobs animating the picked image
   (relax mode: one every 4–12 minutes).
6. ``hosted_video_hobbyist`` (Midjourney + Kling / Runway, Asia/Kolkata, +05:30): every 2–5 days a few
   Midjourney stills, then 1–3 image-to-video tasks on a hosted service whose times are minute-precise,
   the task naming the uploaded still (``source_image``).
7. ``flux_hires`` (ComfyUI + A1111, Australia/Sydney): Flux dev at 1536–2048 px or a tiled upscale, one
   output every 4–9 minutes, sometimes a long break; quick SD 1.5 stills in A1111 while waiting.
8. ``heavy_forge`` (Forge, Europe/London): a heavy user whose times are file mtimes (second precision),
   batches with consecutive seeds, ``img2img`` passes the files do not name.

Tools and fields (metadata-sources.md, generation-records.md): ComfyUI times are the history's
``execution_success`` timestamps in epoch milliseconds (``created_at_source`` =
``metadata:execution_success``, precision millisecond), ``job_id`` = the prompt id, ``workflow_hash`` =
a hash of the graph's node types and links, ``source_image`` = the ``LoadImage`` file; A1111 / Forge
times are file mtimes (naive local times localised with the user's zone, second precision), file names
``00042-1234567.png``; Midjourney times are the job archive's ``enqueue_time`` (UTC, second precision),
``job_id`` / ``parent_job_id``; hosted video services (``kling``, ``runway``) give minute-precision
UTC times.

Truth rules (the document sentences behind each choice are quoted):

1. One tool per session. "a tool switch is a session boundary, so forks of one UI that a user runs side
   by side (A1111 / Forge / reForge) keep their own ids" (generation-records.md). Stills made in Forge
   while a ComfyUI video renders are their own session, interleaved in time with the video session.
2. A session is one sitting on one creative piece of work, what "a careful user of the product would
   expect" (DESIGN.md): the records a person would want reflected on together ("a written analysis of
   one session … what was explored, style patterns, and evolution notes (how prompts and parameters
   moved)", reflections-and-credits.md).
3. A break inside the work does not end it. Coming back after a 20–45 minute break (a meal, a call) to
   the same subject with the same settings continues the same session: the reflection's "evolution
   notes" of that subject would be cut in half otherwise. Slow renders (4–25 minutes apart) likewise stay
   one session however far apart, as long as the artist is still on the same piece.
4. Time alone never decides. A new sitting on a different subject or project after a pause of the same
   length (20–45 minutes) is a new session.
5. Exploration that hops between subjects (a new subject every 1–8 minutes, same tool and model) is one
   session: its phase is ``exploration`` ("prompts vary"), and settling on one explored subject continues
   it: "``convergent_selection`` (a session-level pattern: exploration followed by refinement of one
   explored concept)" (generation-records.md).
6. A pivot from a settled refinement to a new exploration of other subjects (or straight to refining
   another subject) starts a new session, whatever the pause before it (2 minutes to 3 hours): the
   documents' session-level patterns end with the refinement of one explored concept; exploring or
   refining something else afterwards is a new piece of work.
7. Image-to-video of a still made in the same session, on the same tool, continues that session (it is
   the refinement of the picked concept in another medium); its phase is ``refinement``. Video clips whose
   prompt and seed stay while one setting is swept are ``optimization``.
8. Phases per record: ``exploration`` (prompt ideas vary), ``refinement`` (one concept, seeds and small
   prompt tweaks vary, including upscales, variations, remixes and img2video of it), ``optimization``
   (prompt and seed fixed, one parameter swept: cfg, steps, sampler, denoise, shift). Session intent: only
   exploration → ``exploration``; exploration then refinement (optionally then optimization) →
   ``convergent_selection``; refinement first (optionally then optimization) → ``refinement``; only
   optimization → ``optimization``.
9. Explicit lineage: only what the child's metadata names — ``source_image`` equal to the parent's file
   name (ComfyUI ``LoadImage``; a hosted service's uploaded still), or ``parent_job_id`` equal to the
   parent's Midjourney job id ("`source_image` … file name or id of the input image (img2img, upscale,
   inpaint)", "`parent_job_id` … the job this one was derived from (variation, upscale, remix)").
   Kinds: ``upscale``, ``variation``, ``remix`` as the job says; an image-to-video clip is ``img2img`` (an
   image-conditioned generation: the allowed kind closest to it). A1111 / Forge ``img2img`` passes name no
   input file, so they are in ``derived_edges`` only. A hosted video naming a Midjourney still made in the
   artist's previous (Midjourney) session is an explicit edge across sessions: the metadata names it.
10. Times: ComfyUI (epoch ms → the user's zone), A1111 / Forge (naive mtime localised with the user's
    zone, "Naive local times are interpreted in the user's timezone setting", DESIGN.md), Midjourney
    ("`enqueue_time` … UTC"), hosted video (minute precision, UTC). Every record has an aware time.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from bench.simulate import SimulatedLibrary, TruthEdge
from engine.records import GenerationRecord, LoraRef, TimePrecision

FAMILY_F_VISUAL_DIM = 32
START_DATE = (2026, 3, 2)

_SUBJECTS = [
    "an elderly beekeeper lifting a honeycomb frame",
    "a lighthouse keeper's kitchen during a storm",
    "a red fox curled up in fresh snow",
    "a cyclist crossing a wet cobblestone bridge at dawn",
    "a brutalist library interior with tall skylights",
    "a tide pool with anemones and hermit crabs",
    "a street stall grilling corn at night",
    "a porcelain teacup mended with gold seams",
    "a child flying a paper kite on a windy hill",
    "an abandoned greenhouse overgrown with ferns",
    "a jazz trumpeter on a small smoky stage",
    "a desert caravan resting beside salt flats",
    "a knight polishing dented armor by candlelight",
    "a koi pond seen from above with falling maple leaves",
    "a roadside diner in the rain",
    "a glassblower shaping a blue vase",
    "a mountain hut under the milky way",
    "a snow leopard on a rocky ledge",
    "a floating market with wooden boats",
    "a clockmaker's bench cluttered with brass gears",
    "a humpback whale breaching beside a fishing trawler",
    "an astronaut tending tomato plants in a lunar greenhouse",
    "a ballet dancer mid-leap in an empty rehearsal hall",
    "a vintage motorcycle parked outside a barbershop",
    "a foggy pine forest with a lone deer",
    "paper lanterns drifting over a slow river",
    "a ceramic studio with shelves of unglazed pots",
    "a steam locomotive crossing a stone viaduct",
    "a rooftop vegetable garden in a dense megacity",
    "an octopus exploring a sunken ship's galley",
    "a grandmother folding dumplings at a kitchen table",
    "a surfer walking out of the sea at sunset",
    "monks copying manuscripts in a candlelit scriptorium",
    "a tiny ramen shop on a narrow alley",
    "a hot air balloon over lavender fields",
    "a barn owl perched on a fence post at dusk",
    "a climber hanging from an overhanging limestone wall",
    "a bioluminescent bay at midnight",
    "two old men playing chess in a park",
    "a sailboat heeling in choppy grey water",
    "a crystal cave around an underground lake",
    "a lone swordsman walking through a bamboo grove",
    "a bookshop cat asleep on a stack of novels",
    "harbor cranes at blue hour",
    "a wedding party dancing under string lights",
    "a volcano erupting behind a fishing village",
    "a botanical study of a passion flower",
    "a robot barista pouring latte art",
    "wild horses crossing a shallow river",
    "a yellow tram climbing a steep street",
    "a masked dancer in a carnival parade",
    "an ice fishing shack on a frozen lake",
    "grape pickers carrying baskets through a vineyard",
    "a blacksmith with soot on her face at the forge",
    "a dragon asleep on a heap of old coins",
    "a cellist busking on a subway platform",
    "a sunflower field before a thunderstorm",
    "a watchmaker's hands under a magnifying lamp",
    "a penguin colony on a windswept beach",
    "a derelict space station above a gas giant",
    "crates of heirloom tomatoes at a farmers market",
    "a gothic cathedral nave in morning light",
    "a girl reading with a flashlight inside a blanket fort",
    "a canyon river seen from the bow of a kayak",
]

_STYLES = [
    "35mm film photo, Kodak Portra 400, soft grain",
    "cinematic still, anamorphic lens, teal and orange grade",
    "watercolor on cold-press paper, loose washes",
    "oil painting, thick impasto, warm palette",
    "ukiyo-e woodblock print, flat colors",
    "hand-painted animation background, soft clouds",
    "macro photography, shallow depth of field",
    "isometric 3d render, soft global illumination",
    "charcoal sketch on rough paper",
    "vintage travel poster, bold shapes, limited palette",
    "documentary photo, natural light, candid",
    "dark fantasy concept art, dramatic rim light",
    "gouache illustration for a picture book",
    "claymation, handmade miniature set",
    "high contrast black and white noir photograph",
    "art nouveau poster with an ornate border",
    "low-poly game art, crisp edges",
    "landscape photography, 24mm wide angle",
    "editorial photo, softbox lighting",
    "two-color linocut print",
    "16-bit pixel art",
    "matte painting, epic scale, volumetric fog",
    "instant film snapshot, faded colors, light leak",
    "tilt-shift miniature photo",
]

_DETAILS = [
    "rain on the lens",
    "backlit",
    "morning mist",
    "soft rim light",
    "dust floating in the air",
    "reflections in puddles",
    "light snowfall",
    "low angle",
    "close-up",
    "wide shot",
    "warm lamplight",
    "overcast sky",
    "long exposure",
    "symmetrical composition",
    "muted colors",
    "vivid saturated colors",
    "heavy film grain",
    "deep shadows",
    "golden hour",
    "blue hour",
    "seen from above",
    "motion blur",
    "bokeh in the background",
    "intricate detail",
]

_MOTIONS = [
    "slow dolly in",
    "the camera slowly orbits the subject",
    "handheld camera with a gentle sway",
    "static camera, only the subject moves",
    "slow pan from left to right",
    "crane shot rising upward",
    "wind moves hair and clothing",
    "leaves drift across the frame",
    "subtle breathing and blinking",
    "water ripples and the light flickers",
    "tracking shot following the subject",
    "clouds race overhead in time-lapse",
    "slow push-in to a close-up",
    "rack focus from the foreground to the subject",
]

_SD_NEGATIVES = [
    "blurry, lowres, watermark, text, jpeg artifacts",
    "deformed hands, extra fingers, bad anatomy, watermark",
    "oversaturated, plastic skin, signature, frame",
    "worst quality, low quality, cropped, logo",
]
_VIDEO_NEGATIVE = "static frame, flicker, blurry, overexposed, warped faces, subtitles, watermark"

_MJ_SUFFIXES = [
    "--ar 16:9 --v 7",
    "--ar 2:3 --stylize 250 --v 7",
    "--ar 1:1 --niji 6",
    "--ar 3:2 --chaos 15 --v 6.1",
]
_MJ_SIZES = {"16:9": (1456, 816), "2:3": (896, 1344), "1:1": (1024, 1024), "3:2": (1232, 816)}

_LORAS = [
    "detail_tweaker_xl",
    "film_grain_style",
    "watercolor_v2",
    "cinematic_lighting_flux",
    "retro_poster_xl",
    "clay_world_v1",
    "ghibli_bg_flux",
    "ink_sketch_v3",
]


@dataclass(slots=True)
class _Settings:
    """The settings a sitting keeps: tool, model, size and sampler; ``render`` is the (min, max) seconds
    one output takes, which sets the pace."""

    tool: str
    model: str
    width: int
    height: int
    render: tuple[float, float]
    sampler: str | None = None
    scheduler: str | None = None
    steps: int | None = None
    cfg: float | None = None
    loras: tuple[LoraRef, ...] = ()
    workflow: str | None = None
    negative: str | None = None
    video: bool = False
    batch: tuple[int, ...] = (1,)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Concept:
    subject: int
    style: int
    prompt: str


@dataclass(slots=True)
class _Session:
    key: str
    tool: str
    phases: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Artist:
    user: str
    habit: str
    zone: ZoneInfo
    rng: np.random.Generator
    styles: list[int]
    visual_rng: np.random.Generator
    clock: float = 0.0
    sessions: int = 0
    counters: dict[str, int] = field(default_factory=dict)
    recent_subjects: list[int] = field(default_factory=list)
    last_mj_still: GenerationRecord | None = None


_HABITS = [
    ("still_to_video", "Europe/Berlin"),
    ("video_and_stills", "America/Los_Angeles"),
    ("long_pauses", "Asia/Tokyo"),
    ("hobbyist", "America/Sao_Paulo"),
    ("heavy", "Asia/Seoul"),
    ("midjourney_video", "America/New_York"),
    ("hosted_video_hobbyist", "Asia/Kolkata"),
    ("flux_hires", "Australia/Sydney"),
    ("heavy_forge", "Europe/London"),
]
_MORE_ZONES = [
    "America/Chicago",
    "Europe/Madrid",
    "Asia/Singapore",
    "Africa/Johannesburg",
    "Pacific/Auckland",
]


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


class _Builder:
    """Writes records and their truth into one library."""

    def __init__(self, seed: int, with_visual: bool) -> None:
        self.library = SimulatedLibrary()
        self.seed = seed
        self.with_visual = with_visual
        rng = np.random.default_rng([seed, 9_999])
        self.subject_vectors = rng.normal(size=(len(_SUBJECTS), FAMILY_F_VISUAL_DIM))
        self.style_vectors = rng.normal(size=(len(_STYLES), FAMILY_F_VISUAL_DIM))
        self.video_vector = rng.normal(size=FAMILY_F_VISUAL_DIM)
        self.record_count = 0
        self.sessions: dict[str, _Session] = {}

    # -- sessions -------------------------------------------------------------------------------------

    def open(self, artist: _Artist, tool: str) -> _Session:
        artist.sessions += 1
        session = _Session(f"{artist.user}/{artist.sessions:04d}", tool)
        self.sessions[session.key] = session
        return session

    def finish(self) -> None:
        for key, session in self.sessions.items():
            if not session.phases:
                continue
            order = list(dict.fromkeys(session.phases))
            if order == ["exploration"]:
                intent = "exploration"
            elif order[0] == "exploration":
                intent = "convergent_selection"
            elif order[0] == "refinement":
                intent = "refinement"
            else:
                intent = "optimization"
            self.library.session_intent[key] = intent

    # -- concepts -------------------------------------------------------------------------------------

    def concept(self, artist: _Artist, style: int | None = None) -> _Concept:
        rng = artist.rng
        while True:
            subject = int(rng.integers(len(_SUBJECTS)))
            if subject not in artist.recent_subjects:
                break
        artist.recent_subjects = [*artist.recent_subjects[-6:], subject]
        if style is None:
            style = artist.styles[int(rng.integers(len(artist.styles)))]
        details = rng.choice(len(_DETAILS), size=int(rng.integers(0, 3)), replace=False)
        parts = [_SUBJECTS[subject], *(_DETAILS[int(d)] for d in details), _STYLES[style]]
        return _Concept(subject, style, ", ".join(parts))

    @staticmethod
    def tweak(rng: np.random.Generator, prompt: str) -> str:
        """A small edit: add or drop one detail, or re-weight one."""
        parts = prompt.split(", ")
        roll = rng.random()
        present = [i for i, p in enumerate(parts[1:-1], start=1) if p in _DETAILS]
        if roll < 0.45 or not present:
            detail = _DETAILS[int(rng.integers(len(_DETAILS)))]
            if detail not in parts:
                parts.insert(len(parts) - 1, detail)
        elif roll < 0.75:
            parts.pop(present[int(rng.integers(len(present)))])
        else:
            index = present[int(rng.integers(len(present)))]
            parts[index] = f"({parts[index]}:{rng.choice([1.1, 1.2, 1.3, 0.8])})"
        return ", ".join(parts)

    # -- records --------------------------------------------------------------------------------------

    def emit(
        self,
        artist: _Artist,
        session: _Session,
        phase: str,
        t: float,
        settings: _Settings,
        concept: _Concept,
        prompt: str,
        seed: int,
        *,
        parent: GenerationRecord | None = None,
        kind: str | None = None,
        named: bool = True,
        denoise: float | None = None,
        size: tuple[int, int] | None = None,
        steps: int | None = None,
        cfg: float | None = None,
        sampler: str | None = None,
        extra: dict[str, Any] | None = None,
        batch_index: int = 0,
        job_type: str | None = None,
    ) -> GenerationRecord:
        rng = artist.rng
        tool = settings.tool
        self.record_count += 1
        record_id = f"f{self.seed}-{self.record_count:07d}"
        counter = artist.counters.get(tool, int(rng.integers(1, 400))) + 1
        artist.counters[tool] = counter
        width, height = size or (settings.width, settings.height)
        fields: dict[str, Any] = {}
        more: dict[str, Any] = dict(settings.extra)
        if extra:
            more.update(extra)
        if tool == "comfyui":
            ms = round(t * 1000)
            created = datetime.fromtimestamp(ms // 1000, artist.zone) + timedelta(milliseconds=ms % 1000)
            precision, source = TimePrecision.MILLISECOND, "metadata:execution_success"
            suffix = "mp4" if settings.video else "png"
            prefix = "video/ComfyUI" if settings.video else "ComfyUI"
            fields["file_name"] = f"{prefix}_{counter:05d}_.{suffix}"
            fields["job_id"] = str(uuid.UUID(bytes=rng.bytes(16), version=4))
            fields["workflow_hash"] = _hash(settings.workflow or "default")
            if batch_index:
                more["batch_index"] = batch_index
            if parent is not None:
                fields["source_image"] = parent.file_name
        elif tool in ("a1111", "forge"):
            created = datetime.fromtimestamp(int(t), artist.zone)  # the naive mtime, localised
            precision, source = TimePrecision.SECOND, "file:mtime"
            fields["file_name"] = f"{counter:05d}-{seed}.png"
            more["Version"] = "v1.10.1" if tool == "a1111" else "f2.0.1v1.10.1-previous-665-gae278f79"
            if denoise is not None:
                more["Denoising strength"] = denoise
        elif tool == "midjourney":
            created = datetime.fromtimestamp(int(t), UTC)
            precision, source = TimePrecision.SECOND, "metadata:enqueue_time"
            job = str(uuid.UUID(bytes=rng.bytes(16), version=4))
            fields["job_id"] = job
            words = "_".join(prompt.split(",")[0].replace("'", "").split()[:6])
            suffix = "mp4" if job_type == "video" else "png"
            fields["file_name"] = f"{artist.user}_{words}_{job}.{suffix}"
            more["job_type"] = job_type or "imagine"
            more["grid_index"] = int(rng.integers(4))
            if parent is not None:
                fields["parent_job_id"] = parent.job_id
        else:  # hosted video services: minute-precision UTC times
            created = datetime.fromtimestamp(int(t) // 60 * 60, UTC)
            precision, source = TimePrecision.MINUTE, "metadata:created_at"
            task = _hash(f"{record_id}-{tool}")[:12]
            fields["job_id"] = task
            fields["file_name"] = f"{tool}_{created:%Y%m%d_%H%M}_{task[:6]}.mp4"
            if parent is not None:
                fields["source_image"] = parent.file_name
        record = GenerationRecord(
            id=record_id,
            tool=tool,
            created_at=created,
            created_at_source=source,
            created_at_precision=precision,
            user=artist.user,
            prompt=prompt,
            negative_prompt=settings.negative,
            seed=seed,
            cfg_scale=cfg if cfg is not None else settings.cfg,
            steps=steps if steps is not None else settings.steps,
            sampler=sampler or settings.sampler,
            scheduler=settings.scheduler,
            model=settings.model,
            loras=settings.loras,
            width=width,
            height=height,
            denoise=denoise,
            extra=more,
            **fields,
        )
        self.library.records.append(record)
        self.library.session_of[record_id] = session.key
        self.library.phase_of[record_id] = phase
        session.phases.append(phase)
        if parent is not None and kind is not None:
            edge = TruthEdge(parent.id, record_id, kind)
            self.library.derived_edges.append(edge)
            if named:
                self.library.explicit_edges.append(TruthEdge(parent.id, record_id, kind))
        if self.with_visual:
            self.library.visual[record_id] = self.visual(artist, concept, prompt, settings.video, parent)
        return record

    def visual(
        self,
        artist: _Artist,
        concept: _Concept,
        prompt: str,
        video: bool,
        parent: GenerationRecord | None,
    ) -> np.ndarray:
        rng = artist.visual_rng  # its own stream: visuals on or off never change the records
        prompt_rng = np.random.default_rng(int(_hash(prompt), 16) % (2**32))
        vector = (
            self.subject_vectors[concept.subject]
            + 0.45 * self.style_vectors[concept.style]
            + 0.25 * prompt_rng.normal(size=FAMILY_F_VISUAL_DIM)
            + 0.2 * rng.normal(size=FAMILY_F_VISUAL_DIM)
        )
        if parent is not None and parent.id in self.library.visual:
            vector = 0.5 * vector + 0.5 * self.library.visual[parent.id] * np.linalg.norm(vector)
        if video:
            vector = vector + 0.3 * self.video_vector
        vector = np.asarray(vector, dtype=np.float64)
        return vector / float(np.linalg.norm(vector))


# -- settings -------------------------------------------------------------------------------------------


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(1, 2**32))


def _comfy_still(rng: np.random.Generator, kind: str) -> _Settings:
    if kind == "flux":
        lora = (LoraRef(_LORAS[int(rng.integers(3, 7))], float(rng.choice([0.6, 0.8, 1.0]))),)
        return _Settings(
            "comfyui",
            str(rng.choice(["flux1-dev-fp8.safetensors", "flux1-dev-Q8_0.gguf"])),
            *[(1024, 1024), (832, 1216), (1216, 832)][int(rng.integers(3))],
            render=(22.0, 75.0),
            sampler="euler",
            scheduler=str(rng.choice(["simple", "beta"])),
            steps=int(rng.choice([20, 25, 28])),
            cfg=1.0,
            loras=lora if rng.random() < 0.6 else (),
            workflow="flux-t2i",
            extra={"guidance": float(rng.choice([2.5, 3.0, 3.5]))},
        )
    if kind == "schnell":
        return _Settings(
            "comfyui",
            "flux1-schnell-fp8.safetensors",
            1024,
            1024,
            render=(8.0, 30.0),
            sampler="euler",
            scheduler="simple",
            steps=4,
            cfg=1.0,
            workflow="flux-schnell-batch",
            batch=(1, 2, 4, 4),
        )
    if kind == "flux_hires":
        return _Settings(
            "comfyui",
            "flux1-dev.safetensors",
            *[(1536, 1536), (2048, 2048), (1536, 2048), (2048, 1152)][int(rng.integers(4))],
            render=(240.0, 540.0),
            sampler=str(rng.choice(["euler", "dpmpp_2m"])),
            scheduler="beta",
            steps=int(rng.choice([40, 45, 50])),
            cfg=1.0,
            workflow="flux-hires-2pass",
            extra={"guidance": 3.5},
        )
    # sdxl
    model = str(
        rng.choice(
            [
                "juggernautXL_v9Rdphoto2Lightning.safetensors",
                "sd_xl_base_1.0.safetensors",
                "realvisxlV50_v50Bakedvae.safetensors",
                "illustriousXL_v01.safetensors",
            ]
        )
    )
    return _Settings(
        "comfyui",
        model,
        *[(1024, 1024), (896, 1152), (1152, 896), (832, 1216)][int(rng.integers(4))],
        render=(12.0, 50.0),
        sampler=str(rng.choice(["dpmpp_2m", "dpmpp_2m_sde", "euler_ancestral"])),
        scheduler=str(rng.choice(["karras", "normal", "exponential"])),
        steps=int(rng.choice([25, 30, 35])),
        cfg=float(rng.choice([5.0, 6.0, 7.0])),
        loras=(LoraRef(_LORAS[int(rng.integers(0, 8))], float(rng.choice([0.5, 0.7, 0.9]))),)
        if rng.random() < 0.5
        else (),
        workflow="sdxl-t2i",
        negative=_SD_NEGATIVES[int(rng.integers(len(_SD_NEGATIVES)))],
        batch=(1, 1, 2, 4),
    )


def _comfy_video(rng: np.random.Generator, kind: str, portrait: bool = False) -> _Settings:
    size = (480, 832) if portrait else (832, 480)
    if kind == "wan_i2v":
        return _Settings(
            "comfyui",
            "wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors",
            *size,
            render=(300.0, 900.0),
            sampler="euler",
            scheduler="simple",
            steps=20,
            cfg=3.5,
            workflow="wan22-i2v-2stage",
            negative=_VIDEO_NEGATIVE,
            video=True,
            extra={"frames": 81, "fps": 16, "shift": 8.0, "format": "video/h264-mp4"},
        )
    if kind == "wan_t2v":
        return _Settings(
            "comfyui",
            "wan2.2_t2v_high_noise_14B_fp8_scaled.safetensors",
            *((720, 1280) if portrait else (1280, 720)),
            render=(540.0, 1380.0),
            sampler="uni_pc",
            scheduler="simple",
            steps=20,
            cfg=4.0,
            workflow="wan22-t2v-2stage",
            negative=_VIDEO_NEGATIVE,
            video=True,
            extra={"frames": 81, "fps": 16, "shift": 8.0, "format": "video/h264-mp4"},
        )
    if kind == "hunyuan":
        return _Settings(
            "comfyui",
            "hunyuan_video_t2v_720p_bf16.safetensors",
            *((720, 1280) if portrait else (1280, 720)),
            render=(780.0, 1500.0),
            sampler="euler",
            scheduler="simple",
            steps=30,
            cfg=1.0,
            workflow="hunyuan-t2v",
            video=True,
            extra={"frames": 73, "fps": 24, "embedded_guidance": 6.0, "format": "video/h264-mp4"},
        )
    return _Settings(  # ltx
        "comfyui",
        "ltxv-13b-0.9.7-dev-fp8.safetensors",
        *((704, 1216) if portrait else (1216, 704)),
        render=(240.0, 420.0),
        sampler="euler_ancestral",
        scheduler="ltxv",
        steps=30,
        cfg=3.0,
        workflow="ltxv-t2v",
        negative="worst quality, inconsistent motion, blurry, jittery, distorted",
        video=True,
        extra={"frames": 121, "fps": 24, "format": "video/h264-mp4"},
    )


def _a1111(rng: np.random.Generator, tool: str, fast: bool = False) -> _Settings:
    sd15 = fast or rng.random() < 0.4
    model = str(
        rng.choice(
            [
                "dreamshaper_8.safetensors",
                "realisticVisionV60B1_v51VAE.safetensors",
                "revAnimated_v2.safetensors",
            ]
            if sd15
            else ["ponyDiffusionV6XL.safetensors", "juggernautXL_v9.safetensors", "animagineXL40.safetensors"]
        )
    )
    sizes = [(512, 768), (768, 512), (512, 512)] if sd15 else [(832, 1216), (1024, 1024), (1216, 832)]
    return _Settings(
        tool,
        model,
        *sizes[int(rng.integers(len(sizes)))],
        render=(6.0, 25.0) if fast else (15.0, 60.0),
        sampler=str(rng.choice(["DPM++ 2M", "Euler a", "DPM++ SDE", "DPM++ 2M SDE"])),
        scheduler=str(rng.choice(["Karras", "Automatic"])),
        steps=int(rng.choice([20, 25, 30])),
        cfg=float(rng.choice([5.0, 6.5, 7.0, 7.5])),
        loras=(LoraRef(_LORAS[int(rng.integers(0, 8))], float(rng.choice([0.6, 0.8]))),)
        if rng.random() < 0.4
        else (),
        negative=_SD_NEGATIVES[int(rng.integers(len(_SD_NEGATIVES)))],
        batch=(1, 1, 2, 4),
    )


def _midjourney(rng: np.random.Generator) -> _Settings:
    suffix = _MJ_SUFFIXES[int(rng.integers(len(_MJ_SUFFIXES)))]
    ratio = suffix.split()[1]
    model = "niji 6" if "niji" in suffix else ("6.1" if "6.1" in suffix else "7")
    return _Settings(
        "midjourney",
        model,
        *_MJ_SIZES[ratio],
        render=(35.0, 110.0),
        extra={"mj_suffix": suffix},
    )


def _hosted_video(rng: np.random.Generator) -> _Settings:
    if rng.random() < 0.6:
        return _Settings(
            "kling",
            str(rng.choice(["kling-v2.1-master", "kling-v2.1-pro"])),
            1280,
            720,
            render=(180.0, 480.0),
            cfg=0.5,
            negative="blur, distortion, low quality",
            video=True,
            extra={"duration": "5s", "mode": "professional", "task_type": "image2video"},
        )
    return _Settings(
        "runway",
        "gen4_turbo",
        1280,
        720,
        render=(120.0, 360.0),
        video=True,
        extra={"duration": 10, "task_type": "image_to_video"},
    )


# -- building blocks: each takes the time ``t`` (epoch seconds) and returns the time after ------------


def _gap(rng: np.random.Generator, settings: _Settings) -> float:
    low, high = settings.render
    return float(rng.uniform(low, high))


def _mj_prompt(prompt: str, settings: _Settings) -> str:
    return f"{prompt} {settings.extra['mj_suffix']}"


def _explore(
    b: _Builder,
    a: _Artist,
    s: _Session,
    settings: _Settings,
    t: float,
    subjects: int,
    hop_minutes: tuple[float, float] = (1.0, 8.0),
) -> tuple[float, list[tuple[_Concept, list[GenerationRecord]]]]:
    """Rapid subject hops: a new subject every ``hop_minutes``, a few prompt variants each."""
    rng = a.rng
    style = a.styles[int(rng.integers(len(a.styles)))]
    explored: list[tuple[_Concept, list[GenerationRecord]]] = []
    for _ in range(subjects):
        concept = b.concept(a, style)
        made: list[GenerationRecord] = []
        until = t + 60.0 * float(rng.uniform(*hop_minutes))
        prompt = concept.prompt
        while True:
            made.extend(_generate(b, a, s, "exploration", settings, concept, prompt, t))
            t += _gap(rng, settings) + float(rng.uniform(20.0, 100.0))  # looking, rewriting the prompt
            if t >= until:
                break
            if rng.random() < 0.5:
                prompt = b.tweak(rng, prompt)
        explored.append((concept, made))
    return t, explored


def _generate(
    b: _Builder,
    a: _Artist,
    s: _Session,
    phase: str,
    settings: _Settings,
    concept: _Concept,
    prompt: str,
    t: float,
    seed: int | None = None,
    **kwargs: Any,
) -> list[GenerationRecord]:
    """One queued generation: a batch of 1–4 images written at the same moment."""
    rng = a.rng
    seed = _seed(rng) if seed is None else seed
    if settings.tool == "midjourney":
        return [b.emit(a, s, phase, t, settings, concept, _mj_prompt(prompt, settings), seed, **kwargs)]
    batch = int(rng.choice(settings.batch))
    made = []
    for index in range(batch):
        if settings.tool == "comfyui":
            made.append(b.emit(a, s, phase, t, settings, concept, prompt, seed, batch_index=index, **kwargs))
        else:  # A1111 / Forge: consecutive seeds, files written a fraction of a second apart
            made.append(
                b.emit(a, s, phase, t + 0.4 * index, settings, concept, prompt, seed + index, **kwargs)
            )
    return made


def _refine(
    b: _Builder,
    a: _Artist,
    s: _Session,
    settings: _Settings,
    concept: _Concept,
    prompt: str,
    t: float,
    gens: int,
    breaks: int = 0,
) -> tuple[float, list[GenerationRecord], str]:
    """One concept, seeds vary, small prompt tweaks; ``breaks`` 20–45 minute pauses somewhere inside."""
    rng = a.rng
    made: list[GenerationRecord] = []
    pause_at = set(
        rng.choice(np.arange(2, max(3, gens - 1)), size=min(breaks, max(1, gens - 3)), replace=False)
    )
    for index in range(gens):
        if index in pause_at:
            t += 60.0 * float(rng.uniform(20.0, 45.0))
        made.extend(_generate(b, a, s, "refinement", settings, concept, prompt, t))
        t += _gap(rng, settings)
        if rng.random() < 0.3:
            prompt = b.tweak(rng, prompt)
    return t, made, prompt


def _optimize(
    b: _Builder,
    a: _Artist,
    s: _Session,
    settings: _Settings,
    concept: _Concept,
    prompt: str,
    t: float,
    seed: int,
) -> float:
    """Prompt and seed fixed, one parameter swept."""
    rng = a.rng
    video = settings.video
    options = ["cfg", "steps"] + (["shift"] if video else ["sampler"])
    param = options[int(rng.integers(len(options)))]
    values: list[Any]
    if param == "cfg":
        base = settings.cfg or 5.0
        values = [round(base + d, 1) for d in (-1.5, -1.0, -0.5, 0.5, 1.0, 1.5) if base + d > 0.5]
    elif param == "steps":
        values = [12, 16, 20, 24, 30, 40]
    elif param == "sampler":
        values = (
            ["Euler a", "DPM++ 2M", "DPM++ SDE", "UniPC", "DDIM"]
            if settings.tool != "comfyui"
            else ["euler", "dpmpp_2m", "uni_pc", "heun", "deis"]
        )
    else:
        values = [3.0, 5.0, 8.0, 11.0]
    count = int(rng.integers(3, len(values) + 1))
    for value in list(rng.permutation(np.array(values, dtype=object)))[:count]:
        kwargs: dict[str, Any] = {}
        if param == "cfg":
            kwargs["cfg"] = float(value)
        elif param == "steps":
            kwargs["steps"] = int(value)
        elif param == "sampler":
            kwargs["sampler"] = str(value)
        else:
            kwargs["extra"] = {"shift": float(value)}
        b.emit(a, s, "optimization", t, settings, concept, _maybe_mj(prompt, settings), seed, **kwargs)
        t += _gap(rng, settings)
    return t


def _maybe_mj(prompt: str, settings: _Settings) -> str:
    return _mj_prompt(prompt, settings) if settings.tool == "midjourney" else prompt


def _videos_of(
    b: _Builder,
    a: _Artist,
    s: _Session,
    settings: _Settings,
    concept: _Concept,
    stills: list[GenerationRecord],
    t: float,
    clips: int,
    breaks: int = 0,
) -> float:
    """Image-to-video renders of picked stills; the graph's ``LoadImage`` names each still."""
    rng = a.rng
    pause_at = set(
        rng.choice(np.arange(1, max(2, clips)), size=min(breaks, max(1, clips - 1)), replace=False)
    )
    motion = _MOTIONS[int(rng.integers(len(_MOTIONS)))]
    for index in range(clips):
        if index in pause_at:
            t += 60.0 * float(rng.uniform(20.0, 45.0))
        still = stills[min(index * len(stills) // clips, len(stills) - 1)]
        if rng.random() < 0.4:
            motion = _MOTIONS[int(rng.integers(len(_MOTIONS)))]
        prompt = f"{_SUBJECTS[concept.subject]}, {motion}"
        b.emit(a, s, "refinement", t, settings, concept, prompt, _seed(rng), parent=still, kind="img2img")
        t += _gap(rng, settings)
    return t


def _session_end(b: _Builder, s: _Session) -> None:
    assert s.phases, s.key


# -- one sitting per habit ------------------------------------------------------------------------------


def _sitting_still_to_video(b: _Builder, a: _Artist, t: float) -> float:
    rng = a.rng
    still = _comfy_still(rng, "flux")
    s = b.open(a, "comfyui")
    t, explored = _explore(b, a, s, still, t, subjects=int(rng.integers(4, 9)))
    concept, made = explored[int(rng.integers(len(explored)))]
    prompt = made[-1].prompt or concept.prompt
    t += float(rng.uniform(20.0, 90.0))
    if rng.random() < 0.25:
        _session_end(b, s)
        return t  # an exploration-only sitting
    t, refined, prompt = _refine(
        b, a, s, still, concept, prompt, t, int(rng.integers(5, 14)), int(rng.random() < 0.4)
    )
    if rng.random() < 0.8:
        picked = [
            refined[int(i)]
            for i in sorted(rng.choice(len(refined), size=min(2, len(refined)), replace=False))
        ]
        video = _comfy_video(rng, "wan_i2v", portrait=still.height > still.width)
        t += float(rng.uniform(60.0, 300.0))
        t = _videos_of(b, a, s, video, concept, picked, t, int(rng.integers(3, 8)), int(rng.random() < 0.3))
    _session_end(b, s)
    return t


def _sitting_video_project(b: _Builder, a: _Artist, t: float) -> tuple[float, float]:
    """A text-to-video project (ComfyUI) with Forge stills sessions running beside it; returns the end of
    the video session and the end of the stills."""
    rng = a.rng
    kind = str(rng.choice(["wan_t2v", "hunyuan", "ltx"]))
    video = _comfy_video(rng, kind, portrait=rng.random() < 0.25)
    s = b.open(a, "comfyui")
    start = t
    explored_prompts = []
    concept = b.concept(a)
    if rng.random() < 0.6:
        for _ in range(int(rng.integers(2, 4))):
            idea = b.concept(a)
            prompt = f"{idea.prompt}, {_MOTIONS[int(rng.integers(len(_MOTIONS)))]}"
            b.emit(a, s, "exploration", t, video, idea, prompt, _seed(rng))
            explored_prompts.append((idea, prompt))
            t += _gap(rng, video)
        concept, prompt = explored_prompts[int(rng.integers(len(explored_prompts)))]
    else:
        prompt = f"{concept.prompt}, {_MOTIONS[int(rng.integers(len(_MOTIONS)))]}"
    clips = int(rng.integers(3, 9))
    pause_at = int(rng.integers(1, clips)) if rng.random() < 0.4 else -1
    seed = _seed(rng)
    for index in range(clips):
        if index == pause_at:
            t += 60.0 * float(rng.uniform(20.0, 45.0))
        seed = _seed(rng)
        b.emit(a, s, "refinement", t, video, concept, prompt, seed)
        t += _gap(rng, video)
        if rng.random() < 0.35:
            prompt = b.tweak(rng, prompt)
    if rng.random() < 0.3:
        t = _optimize(b, a, s, video, concept, prompt, t, seed)
    video_end = t - 1.0
    # Forge stills while the clips render: one or two sessions inside the project's span
    stills_t = start + 60.0 * float(rng.uniform(3.0, 12.0))
    forge = _a1111(rng, "forge", fast=True)
    while stills_t < video_end - 600.0 and rng.random() < 0.85:
        f = b.open(a, "forge")
        stills_t, explored = _explore(
            b, a, f, forge, stills_t, int(rng.integers(2, 5)), hop_minutes=(2.0, 6.0)
        )
        if rng.random() < 0.6:
            c, made = explored[-1]
            stills_t, _, _ = _refine(
                b, a, f, forge, c, made[-1].prompt or c.prompt, stills_t, int(rng.integers(4, 12))
            )
        _session_end(b, f)
        stills_t += 60.0 * float(rng.uniform(5.0, 25.0))
    return video_end + 1.0, stills_t


def _sitting_long_pauses(b: _Builder, a: _Artist, t: float, settings: _Settings) -> float:
    rng = a.rng
    s = b.open(a, "comfyui")
    concept = b.concept(a)
    prompt = concept.prompt
    breaks = int(rng.integers(1, 3))
    t, made, prompt = _refine(b, a, s, settings, concept, prompt, t, int(rng.integers(14, 36)), breaks)
    if rng.random() < 0.35:
        t = _optimize(b, a, s, settings, concept, prompt, t, made[-1].seed or _seed(rng))
    if rng.random() < 0.3:  # an upscale pass of a picked image, LoadImage naming it
        upscale = _Settings(
            "comfyui",
            settings.model,
            settings.width * 2,
            settings.height * 2,
            render=(90.0, 240.0),
            sampler=settings.sampler,
            scheduler=settings.scheduler,
            steps=20,
            cfg=settings.cfg,
            loras=settings.loras,
            workflow="tiled-upscale",
            negative=settings.negative,
        )
        picked = made[int(rng.integers(len(made)))]
        b.emit(
            a,
            s,
            "refinement",
            t,
            upscale,
            concept,
            picked.prompt or prompt,
            picked.seed or 0,
            parent=picked,
            kind="upscale",
            denoise=0.35,
        )
        t += _gap(rng, upscale)
    _session_end(b, s)
    return t


def _sitting_hobbyist(b: _Builder, a: _Artist, t: float) -> float:
    rng = a.rng
    settings = _a1111(rng, "a1111")
    settings.batch = (1,)
    settings.render = (40.0, 150.0)
    s = b.open(a, "a1111")
    images = int(rng.integers(2, 7))
    if rng.random() < 0.35 and images >= 4:
        t, explored = _explore(b, a, s, settings, t, 2, hop_minutes=(1.0, 3.0))
        concept, made = explored[-1]
        left = max(1, images - sum(len(m) for _, m in explored))
        t, _, _ = _refine(b, a, s, settings, concept, made[-1].prompt or concept.prompt, t, left)
    else:
        concept = b.concept(a)
        t, _, _ = _refine(b, a, s, settings, concept, concept.prompt, t, images, int(rng.random() < 0.3))
    _session_end(b, s)
    return t


def _sitting_heavy(b: _Builder, a: _Artist, t: float, tool: str) -> float:
    rng = a.rng
    if tool == "comfyui":
        settings = _comfy_still(rng, str(rng.choice(["sdxl", "schnell", "flux"])))
    else:
        settings = _a1111(rng, tool)
    s = b.open(a, tool)
    template = int(rng.choice(4, p=[0.45, 0.3, 0.15, 0.1]))
    if template in (0, 3):  # explore (rapid hops) → refine (→ optimize); or exploration only
        t, explored = _explore(b, a, s, settings, t, int(rng.integers(3, 8)))
        if template == 3:
            _session_end(b, s)
            return t
        concept, made = explored[int(rng.integers(len(explored)))]
        prompt = made[-1].prompt or concept.prompt
    else:
        concept = b.concept(a)
        prompt = concept.prompt
    if template in (0, 1, 2):
        t, made, prompt = _refine(
            b, a, s, settings, concept, prompt, t, int(rng.integers(8, 30)), int(rng.random() < 0.15)
        )
        if tool != "comfyui" and rng.random() < 0.4:  # img2img passes the PNG info does not name
            for picked in [
                made[int(i)] for i in rng.choice(len(made), size=min(3, len(made)), replace=False)
            ]:
                b.emit(
                    a,
                    s,
                    "refinement",
                    t,
                    settings,
                    concept,
                    picked.prompt or prompt,
                    _seed(rng),
                    parent=picked,
                    kind="img2img",
                    named=False,
                    denoise=float(rng.choice([0.3, 0.45, 0.6])),
                )
                t += _gap(rng, settings)
        if template == 2 or rng.random() < 0.2:
            t = _optimize(b, a, s, settings, concept, prompt, t, made[-1].seed or _seed(rng))
    _session_end(b, s)
    return t


def _sitting_midjourney(b: _Builder, a: _Artist, t: float) -> float:
    rng = a.rng
    settings = _midjourney(rng)
    s = b.open(a, "midjourney")
    t, explored = _explore(b, a, s, settings, t, int(rng.integers(3, 8)), hop_minutes=(1.5, 6.0))
    if rng.random() < 0.2:
        _session_end(b, s)
        return t
    concept, made = explored[int(rng.integers(len(explored)))]
    base = made[-1]
    prompt = concept.prompt
    chain: list[GenerationRecord] = [base]
    for _ in range(int(rng.integers(3, 9))):
        parent = chain[int(rng.integers(len(chain)))]
        roll = rng.random()
        upscaled = (parent.extra or {}).get("job_type") == "upscale"
        if roll < 0.45 or (roll >= 0.7 and upscaled):
            child = b.emit(
                a,
                s,
                "refinement",
                t,
                settings,
                concept,
                parent.prompt or "",
                _seed(rng),
                parent=parent,
                kind="variation",
                job_type="variation",
            )
        elif roll < 0.7:
            prompt = b.tweak(rng, prompt)
            child = b.emit(
                a,
                s,
                "refinement",
                t,
                settings,
                concept,
                _mj_prompt(prompt, settings),
                _seed(rng),
                parent=parent,
                kind="remix",
                job_type="remix",
            )
        else:
            child = b.emit(
                a,
                s,
                "refinement",
                t,
                settings,
                concept,
                parent.prompt or "",
                parent.seed or 0,
                parent=parent,
                kind="upscale",
                job_type="upscale",
                size=((parent.width or 1024) * 2, (parent.height or 1024) * 2),
            )
        chain.append(child)
        t += _gap(rng, settings)
    if rng.random() < 0.7:  # video jobs animating the picked image (relax mode: minutes apart)
        video = _Settings(
            "midjourney",
            "video v1",
            832,
            464,
            render=(240.0, 720.0),
            video=True,
            extra={"mj_suffix": "--motion low --video 1"},
        )
        picked = chain[-1]
        for _ in range(int(rng.integers(2, 6))):
            motion = _MOTIONS[int(rng.integers(len(_MOTIONS)))]
            b.emit(
                a,
                s,
                "refinement",
                t,
                video,
                concept,
                f"{_SUBJECTS[concept.subject]}, {motion} --motion low",
                _seed(rng),
                parent=picked,
                kind="img2img",
                job_type="video",
            )
            t += _gap(rng, video)
    _session_end(b, s)
    return t


def _sitting_hosted_video(b: _Builder, a: _Artist, t: float) -> float:
    rng = a.rng
    settings = _midjourney(rng)
    s = b.open(a, "midjourney")
    concept = b.concept(a)
    prompt = concept.prompt
    made: list[GenerationRecord] = []
    for _ in range(int(rng.integers(2, 5))):
        made.extend(_generate(b, a, s, "refinement", settings, concept, prompt, t))
        t += _gap(rng, settings)
        if rng.random() < 0.4:
            prompt = b.tweak(rng, prompt)
    _session_end(b, s)
    if rng.random() < 0.8:
        video = _hosted_video(rng)
        t += 60.0 * float(rng.uniform(2.0, 10.0))
        v = b.open(a, video.tool)
        picked = made[int(rng.integers(len(made)))]
        for _ in range(int(rng.integers(1, 4))):
            motion = _MOTIONS[int(rng.integers(len(_MOTIONS)))]
            b.emit(
                a,
                v,
                "refinement",
                t,
                video,
                concept,
                f"{_SUBJECTS[concept.subject]}, {motion}",
                _seed(rng),
                parent=picked,
                kind="img2img",
            )
            t += _gap(rng, video)
        _session_end(b, v)
    return t


def _sitting_flux_hires(b: _Builder, a: _Artist, t: float) -> float:
    rng = a.rng
    settings = _comfy_still(rng, "flux_hires")
    s = b.open(a, "comfyui")
    concept = b.concept(a)
    start = t
    t, made, prompt = _refine(
        b, a, s, settings, concept, concept.prompt, t, int(rng.integers(5, 13)), int(rng.random() < 0.5)
    )
    if rng.random() < 0.4:
        t = _optimize(b, a, s, settings, concept, prompt, t, made[-1].seed or _seed(rng))
    _session_end(b, s)
    if rng.random() < 0.6:  # quick SD 1.5 stills in A1111 while the big renders run
        quick = _a1111(rng, "a1111", fast=True)
        q_t = start + 60.0 * float(rng.uniform(5.0, 20.0))
        if q_t < t - 900.0:
            q = b.open(a, "a1111")
            q_t, _ = _explore(b, a, q, quick, q_t, int(rng.integers(2, 4)), hop_minutes=(2.0, 5.0))
            _session_end(b, q)
            t = max(t, q_t)
    return t


# -- days -----------------------------------------------------------------------------------------------


def _day_start(a: _Artist, day: int, hour: float) -> float:
    local = datetime(*START_DATE, tzinfo=a.zone) + timedelta(days=day)
    moment = local.replace(hour=int(hour), minute=int(60 * (hour % 1)))
    return max(moment.timestamp() + float(a.rng.uniform(0.0, 60.0)), a.clock + 3600.0)


def _pivot_pause(rng: np.random.Generator) -> float:
    """Pauses of every length before a pivot to new work: 2 minutes to 3 hours."""
    band = int(rng.integers(4))
    low, high = [(2.0, 6.0), (8.0, 18.0), (20.0, 45.0), (60.0, 180.0)][band]
    return 60.0 * float(rng.uniform(low, high))


def _simulate_artist(b: _Builder, a: _Artist, days: int) -> None:
    rng = a.rng
    habit = a.habit
    next_sitting_day = int(rng.integers(0, 3))
    for day in range(days):
        if habit in ("hobbyist", "hosted_video_hobbyist"):
            if day < next_sitting_day:
                continue
            gap_days = (3, 7) if habit == "hobbyist" else (2, 6)
            next_sitting_day = day + int(rng.integers(*gap_days))
            t = _day_start(a, day, float(rng.uniform(18.5, 22.0)))
            a.clock = (_sitting_hobbyist if habit == "hobbyist" else _sitting_hosted_video)(b, a, t)
            continue
        active = {"heavy": 0.9, "heavy_forge": 0.85}.get(habit, 0.7)
        if rng.random() > active:
            continue
        if habit == "still_to_video":
            t = _day_start(a, day, float(rng.uniform(9.0, 15.0)))
            for index in range(int(rng.integers(1, 4))):
                if index:
                    t += _pivot_pause(rng)
                t = _sitting_still_to_video(b, a, t)
        elif habit == "video_and_stills":
            t = _day_start(a, day, float(rng.uniform(10.0, 16.0)))
            ends = t
            for index in range(int(rng.integers(1, 3))):
                if index:  # the same length as a break inside a project
                    t += 60.0 * float(rng.uniform(20.0, 45.0))
                t, stills_end = _sitting_video_project(b, a, t)
                ends = max(t, stills_end)
                t = ends
            t = ends
        elif habit == "long_pauses":
            t = _day_start(a, day, float(rng.uniform(8.0, 12.0)))
            settings = _comfy_still(rng, str(rng.choice(["sdxl", "flux"])))
            for index in range(int(rng.integers(1, 4))):
                if index:
                    t += 60.0 * float(rng.uniform(20.0, 45.0))  # as long as the breaks inside a sitting
                    if rng.random() < 0.5:
                        settings = _comfy_still(rng, str(rng.choice(["sdxl", "flux"])))
                t = _sitting_long_pauses(b, a, t, settings)
        elif habit in ("heavy", "heavy_forge"):
            t = _day_start(a, day, float(rng.uniform(8.0, 11.0)))
            tool = "comfyui" if habit == "heavy" else "forge"
            for index in range(int(rng.integers(2, 6))):
                if index:
                    t += _pivot_pause(rng)
                t = _sitting_heavy(b, a, t, tool)
        elif habit == "midjourney_video":
            t = _day_start(a, day, float(rng.uniform(12.0, 20.0)))
            for index in range(int(rng.integers(1, 3))):
                if index:
                    t += _pivot_pause(rng)
                t = _sitting_midjourney(b, a, t)
        elif habit == "flux_hires":
            t = _day_start(a, day, float(rng.uniform(17.0, 20.0)))
            for index in range(int(rng.integers(1, 3))):
                if index:
                    t += 60.0 * float(rng.uniform(20.0, 45.0))
                t = _sitting_flux_hires(b, a, t)
        else:  # pragma: no cover - every habit is listed above
            raise ValueError(habit)
        a.clock = t


def simulate_family_f_library(
    seed: int = 51, artists: int = 20, days: int = 21, with_visual: bool = True
) -> SimulatedLibrary:
    """Simulate ``artists`` family-F artists (artist ``i`` plays habit ``i % 9``) for ``days`` days from
    2026-03-02, deterministic for ``seed``; records are sorted by time (ties: the order written)."""
    b = _Builder(seed, with_visual)
    for index in range(artists):
        habit, zone = _HABITS[index % len(_HABITS)]
        rng = np.random.default_rng([seed, index])
        if index >= len(_HABITS):
            zone = _MORE_ZONES[int(rng.integers(len(_MORE_ZONES)))]
        styles = [int(x) for x in rng.choice(len(_STYLES), size=int(rng.integers(2, 5)), replace=False)]
        artist = _Artist(
            user=f"f{index:02d}_{habit}",
            habit=habit,
            zone=ZoneInfo(zone),
            rng=rng,
            styles=styles,
            visual_rng=np.random.default_rng([seed, index, 7]),
        )
        _simulate_artist(b, artist, days)
    b.finish()
    b.library.records.sort(key=_record_time)
    return b.library


def _record_time(record: GenerationRecord) -> datetime:
    assert record.created_at is not None
    return record.created_at
