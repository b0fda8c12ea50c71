"""Family D: an independent hold-out simulator of artists' generation histories (with ground truth).

Written from the product documents alone (``shared/docs``: sessions, intents, phases, lineage, the
record format), by someone who read neither the engine's session code nor families A, B and C beyond the
``TruthEdge`` / ``SimulatedLibrary`` containers. Nothing here was adjusted to any engine's score.

    python -m bench.simulate_family_d [SEED]      # prints a summary of the library

What a session is (the rules the ground truth follows)
------------------------------------------------------
The documents say a session is a creative session, that a tool switch is a session boundary, and that
``convergent_selection`` is exploration followed by refinement of one explored concept (so one session
can hold several phases). Where they leave the rest open, family D decides as a careful user would:

1. **A session is one sitting on one project with one tool.** It ends when the artist
   (a) switches tool (always, also when the same prompt is carried over a minute later),
   (b) switches project (a new brief: new subject, usually new style/model) even without a pause, or
   (c) leaves the machine for a real break (lunch, dinner, errands, the night).
2. **Returning after lunch is a new session**, even to the same project, prompt, seed and tool: the
   break ends the sitting. The continuation usually refines what the morning produced (same concept,
   img2img of a morning keeper, which is then a lineage edge that crosses sessions).
3. **Pauses inside a sitting do not end the session**: think time, reading, retouching a keeper in an
   editor, a coffee — up to 35 minutes without a change of project or tool. Real breaks last 40 minutes
   or more, but the *record* gap at a break can be shorter: renders the artist queued before leaving keep
   arriving (they belong to the session that queued them).
4. **Unattended batch runs belong to whoever queued them.** At the end of an evening some artists queue
   a long run (20–100 jobs of 1, 2 or 4 images) and go to bed: either a *wildcard batch* (a new prompt
   template ``{mood} {animal} in a {place}, {style}`` resolved per job, the template kept in
   ``extra['wildcard_template']``; a session of its own, intent exploration, starting minutes after the
   previous session's last render) or a *seed lottery* of the session's final prompt (the same session
   continued, phase refinement). The next morning's first sitting usually starts with a *review*
   session (intent refinement) that upscales / img2imgs a few overnight images: cross-session lineage.
5. **Tool hand-offs**: a Midjourney keeper taken into ComfyUI for a detail pass is a new session (tool
   switch) whose records name the Midjourney file in ``source_image``.

Phases and intents
------------------
Every record carries the phase in which it was made:

- ``exploration``: new concept per job (subject alternates, setting, style, lighting, framing drawn from
  the project's palette, 15 % from outside it), random seeds, occasionally another checkpoint.
- ``refinement``: one concept; small prompt edits (add / drop / re-weight a detail, change the
  lighting, the framing), the seed sometimes locked to a keeper's; a share of the jobs derive from a
  recent keeper of that same concept (InvokeAI 55 %, ComfyUI and NovelAI 30 %, other local tools
  20 %: img2img 0.45 / inpaint 0.35 / upscale 0.2; Midjourney 75 %: variation 0.4 / upscale 0.3 /
  remix 0.15 / Vary (Region) 0.15, plus 10 % rerolls of the latest prompt).
- ``optimization``: the prompt (and usually the seed) fixed while parameters move: CFG, steps, sampler,
  scheduler, LoRA weight, A1111 X/Y/Z plots (one record per cell plus the grid image), Midjourney
  ``--stylize`` / ``--chaos`` / ``--weird`` / ``--style raw`` sweeps with ``--seed``, Fooocus guidance
  and sharpness. Flux projects sweep the guidance (2–5) instead of the CFG.

A session's plan is drawn per artist archetype from (probabilities before the archetype's tilt):
``exploration`` 0.22, ``refinement`` 0.18, ``optimization`` 0.08, ``exploration → refinement`` 0.26,
``exploration → refinement → optimization`` 0.08, ``refinement → optimization`` 0.12,
``optimization → refinement`` 0.06; an archetype's tilt multiplies a plan's weight by the product of
its phases' tilts, each to the power 1 / (number of phases). A session that continues a project's
concept drops a leading exploration phase with probability 0.6. The session intent is
``convergent_selection`` when the emitted records have an exploration phase followed by refinement
(of one of the explored concepts); otherwise the phase with the most records (ties: the later phase).
A plan cut short by the end of a sitting keeps only the phases actually reached. Review and hand-off
sessions are refinement; a wildcard batch is exploration.

Jobs per phase are lognormal (sigma 0.6): exploration median 14 jobs, refinement median 12,
optimization median 10 (an X/Y/Z plot is one job of 4–20 cells). A project keeps its checkpoint, size,
LoRAs, CFG and steps; an optimization step is adopted as the project's new setting half of the time. In
refinement the seed is locked to the latest keeper's seed with probability 0.4 per job (and released
with 0.15).

Artists (archetypes, cycled over ``artists`` in a seeded order)
---------------------------------------------------------------
Each has tools, a schedule, a render speed per tool (seconds per image, lognormal spread 0.25, times a
per-artist factor with spread 0.3), a thinking pace (lognormal median, sigma 0.8, capped at 10 min,
times a per-artist factor) and a queueing habit (*waits* for each result, or keeps up to *n* jobs
queued, submitting the next after a third of the usual thought):

- ``comfy_tinkerer`` — ComfyUI (Forge 10 %), SDXL / Flux / Pony at 45 s per image (Forge 30 s): render-bound,
  keeps 2 jobs queued, thinks 90 s, night owl (21:30 ± 1 h for 1.5–3.5 h on 45 % of days, over
  midnight), an overnight run after the last sitting of 35 % of active days, optimization-heavy
  (tilt 2.0).
- ``a1111_hobbyist`` — AUTOMATIC1111 (Forge 15 %), SD 1.5 / Pony at 3 s per image, batches of 1–4,
  think-bound (waits, 200 s), evenings with a dinner split on 25 % of active days, weekends.
- ``mj_designer`` — Midjourney (ComfyUI 15 %: hand-offs), office hours with lunch, exploration-heavy
  (tilt 1.8), grids of 4 at 50 s, waits for each grid and thinks 240 s; U / V / Vary (Region) / Remix /
  Reroll.
- ``invoke_illustrator`` — InvokeAI canvas at 9 s, inpaint-heavy refinement (derivations on 55 % of
  refinement jobs), thinks 90 s, 7 % of jobs followed by 8–35 minutes of retouching, sporadic.
- ``nai_anime`` — NovelAI at 6 s (cloud), only downloaded images become records (32 %; 60 % of
  img2img / inpaint results), evenings.
- ``fooocus_casual`` — Fooocus at 14 s (Forge 15 %), ``Image Number`` 2–4, thinks 100 s, sporadic.
- ``drawthings_mac`` — Draw Things on a Mac at 60 s per image: render-bound, waits for each image,
  thinks 40 s, evenings.
- ``forge_flux`` — Forge and ComfyUI side by side (10 % of in-sitting sessions hop to the other UI
  with the same project and prompt), Flux at 18–20 s, waits, thinks 140 s, evenings, an overnight run
  after 20 % of active days.
- ``studio_pro`` — ComfyUI 55 % + Midjourney 30 % + InvokeAI 15 %, waits, thinks 200 s, office hours
  with lunch, client projects continued after a break with probability 0.7 (others 0.35).

All local UIs of an artist share one GPU queue (so sessions of one artist never interleave);
Midjourney and NovelAI render in the cloud.

Schedules (local time): ``office`` weekdays 75 % active, 09:00 ± 30 min for 1.5–3 h, lunch 40–85 min,
afternoon 1.5–3 h (60 %), weekends 15 % (one 1–2 h sitting); ``evening`` weekdays 50 % / weekends 75 %,
19:30 ± 1 h for 1.5–3.5 h (25 %: a 17:30 hour, a 60–100 min dinner, then 1.5–3 h), weekend
afternoons 60 %; ``night`` 45 % of days; ``sporadic`` 45 % of days, 1–3 h starting 10:00–19:00.
Whatever the schedule says, the artist is away at least 40–70 minutes between sittings. Inside a
sitting the next session starts 1–12 minutes after the artist's last action (30 %: 0.5–4 minutes).
A sitting's first session continues the previous project with the archetype's probability; a later
session in the same sitting switches project when it keeps the tool, and keeps the project with
probability 0.4 when the tool changes. After a Midjourney session a ComfyUI session becomes a hand-off
(70 %) when the project has Midjourney keepers. After an overnight run the next sitting opens with a
review session with probability 0.75. Each artist lives in a time zone (Berlin, New York, Tokyo,
Los Angeles, London, Sydney, Kolkata, São Paulo; the 21 days from 2026-03-16 cross the European DST
change and Sydney's).

What the files say (per tool)
-----------------------------
- ``comfyui``: time from the server history (``execution_success``, epoch ms, UTC), ``job_id`` = prompt
  id, images of a batch share one time and one seed; files ``ComfyUI_00042_.png`` or, for artists who
  file per project, ``<project>/img_00042_.png``; ``workflow_hash`` per graph structure (txt2img, hires,
  img2img, inpaint, upscale, flux). img2img / upscale name their input in ``source_image`` (plain,
  with ComfyUI's `` [output]`` annotation, or an uploaded Midjourney file); mask-editor inpaints name
  ``clipspace/clipspace-mask-NNN.png [input]`` — which does not name the parent (derived edge only).
- ``a1111`` / ``forge``: time from file mtime (second, local time), ``NNNNN-SEED.png`` counters (own
  counters for txt2img, img2img and Extras outputs), batch seeds consecutive; img2img, hires re-runs
  and Extras upscales name nothing (derived edges only); both upscales carry the keeper's own infotext
  (prompt, seed, settings) at twice the size, and a hires re-run only ever reproduces a plain txt2img
  keeper of the same UI;
  X/Y/Z grids saved as ``xyz_grid-NNNN-SEED.png``.
- ``midjourney``: ``Creation Time`` (second, UTC), one record per image of a grid, all four sharing the
  job id; no seed unless the prompt fixes one (``--seed``, used in optimization); U / V / Vary (Region)
  / Remix children carry ``parent_job_id`` and the grid index in ``extra['parent_grid']`` (the
  explicit edge goes to that image); rerolls name no parent.
- ``invokeai``: database ``created_at`` (ms, UTC), uuid file names, canvas img2img / inpaint / upscale
  name their input image (explicit).
- ``novelai``: file mtime of the download (seconds after the render), ``<prompt start> s-SEED.png``;
  img2img / inpaint name nothing.
- ``fooocus``: time from the ``YYYY-MM-DD_HH-MM-SS_NNNN.png`` file name (local); Vary / Upscale name
  nothing.
- ``drawthings``: mtime; img2img names nothing.

Lineage truth: ``explicit_edges`` holds exactly the derivations whose child names its parent (by file
name — possibly with a subfolder or `` [output]`` — or by job id + grid index); ``derived_edges`` holds
every image derivation (upscale, img2img, inpaint, variation, remix), named or not. Rerolls, prompt
edits and parameter sweeps are not image derivations and are in neither list. Edges may cross sessions
(review sessions, after-lunch continuations, hand-offs).

Visual vectors (``with_visual``): 32-dimensional unit vectors = project + concept + seed components
(+ noise); a derived image sits near its parent (closer for low denoise / upscales). They come from
their own random stream, so ``with_visual=False`` yields the identical records.

Scale: the default (20 artists, 21 days) gives roughly 15–25 thousand records.
"""

from __future__ import annotations

import hashlib
import re
import sys
import uuid
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import numpy as np

from bench.simulate import SimulatedLibrary, TruthEdge
from engine.records import GenerationRecord, LoraRef, TimePrecision

FAMILY_D_VISUAL_DIM = 32
START_DATE = datetime(2026, 3, 16)
T = TypeVar("T")

# -- vocabulary ----------------------------------------------------------------------------------

SUBJECTS = [
    ("lighthouse", ["an old lighthouse on a cliff", "a lighthouse keeper", "a ruined lighthouse"]),
    ("fox", ["a red fox", "a fox spirit with nine tails", "a sleeping fox cub"]),
    ("samurai", ["a lone samurai", "a female ronin", "an armored samurai on horseback"]),
    ("botanist", ["a young botanist", "an elderly herbalist", "a greenhouse gardener"]),
    ("mech", ["a giant mech", "a rusted battle robot", "a small maintenance droid"]),
    ("teahouse", ["a tiny teahouse", "a floating tea pavilion", "a tea ceremony"]),
    ("astronaut", ["an astronaut", "a cosmonaut in a retro suit", "an astronaut cat"]),
    ("witch", ["a forest witch", "a witch brewing potions", "a witch on a broom"]),
    ("dragon", ["a jade dragon", "a baby dragon", "a skeletal dragon"]),
    ("cafe", ["a cozy corner cafe", "a barista", "a rainy cafe window"]),
    ("knight", ["a knight in silver armor", "a fallen knight", "a paladin with a glowing sword"]),
    ("whale", ["a sky whale", "a humpback whale", "a whale made of stars"]),
    ("perfume", ["a perfume bottle", "a glass perfume flacon", "a luxury fragrance bottle"]),
    ("sneaker", ["a futuristic sneaker", "a high-top sneaker", "a running shoe"]),
    ("owl", ["a snowy owl", "a clockwork owl", "an owl librarian"]),
    ("city", ["a cyberpunk city", "a solarpunk city", "a walled medieval city"]),
    ("portrait", ["a portrait of a woman with freckles", "a portrait of an old fisherman", "a child"]),
    ("cabin", ["a log cabin", "a treehouse", "a mountain hut"]),
    ("ship", ["a pirate ship", "a ghost ship", "an airship"]),
    ("jellyfish", ["a glowing jellyfish", "a jellyfish swarm", "a jellyfish lamp"]),
    ("monk", ["a wandering monk", "a monk meditating", "a temple guardian"]),
    ("train", ["a steam train", "a night train", "an abandoned tram"]),
    ("cat", ["a black cat", "a ginger cat in a sweater", "a cat wizard"]),
    ("desert", ["a desert nomad", "a caravan of camels", "a sand-buried statue"]),
    ("mermaid", ["a mermaid", "a siren on a rock", "a merman warrior"]),
    ("chef", ["a chef plating a dish", "a bowl of ramen", "a sushi counter"]),
    ("greenhouse", ["a victorian greenhouse", "a glass conservatory", "a hydroponic farm"]),
    ("racer", ["a rally car", "a motorcycle racer", "a hover bike"]),
]
SETTINGS = [
    "in a misty pine forest",
    "on a rainy neon street",
    "at golden hour on a beach",
    "in a snowy mountain pass",
    "inside an abandoned cathedral",
    "in a bustling night market",
    "on the surface of the moon",
    "in a sunflower field",
    "under cherry blossoms",
    "in a flooded subway station",
    "on a floating island",
    "in a candle-lit library",
    "in a desert canyon",
    "on a stormy sea",
    "in a studio with a seamless backdrop",
    "in an overgrown greenhouse",
    "on a rooftop at dawn",
    "in a crystal cave",
    "at a foggy harbor",
    "in a Tokyo alley",
    "in an autumn village",
    "beside a waterfall",
]
STYLES = [
    "watercolor painting",
    "oil painting",
    "cinematic photo",
    "studio ghibli style",
    "ukiyo-e woodblock print",
    "art nouveau poster",
    "isometric 3d render",
    "pixel art",
    "charcoal sketch",
    "analog film photo, kodak portra 400",
    "concept art",
    "low poly",
    "vaporwave",
    "dark fantasy illustration",
    "children's book illustration",
    "product photography",
    "flat vector illustration",
    "baroque painting",
    "anime key visual",
    "claymation",
]
LIGHTING = [
    "soft diffused light",
    "dramatic rim lighting",
    "volumetric god rays",
    "neon glow",
    "candlelight",
    "overcast light",
    "backlit",
    "moonlight",
    "harsh noon sun",
    "bioluminescent light",
]
FRAMING = [
    "close-up",
    "wide shot",
    "low angle",
    "bird's eye view",
    "portrait framing",
    "symmetrical composition",
    "rule of thirds",
    "macro shot",
]
DETAILS = [
    "intricate details",
    "freckles",
    "glowing eyes",
    "flowing hair",
    "wet reflections",
    "falling leaves",
    "dust particles",
    "bokeh",
    "film grain",
    "detailed hands",
    "embroidered cloak",
    "gold accents",
    "tattered fabric",
    "fog",
    "sparks",
    "reflective puddles",
    "ornate jewelry",
    "cracked paint",
    "soft smile",
    "rain",
]
INPAINT_FOCUS = [
    "detailed hands",
    "blue eyes",
    "better face",
    "clean background",
    "sharp sword",
    "correct fingers",
    "remove text",
    "detailed fur",
    "fix teeth",
    "add a moon",
]
WILDCARD_SETS = [
    ("{animal}", ["fox", "owl", "cat", "wolf", "hare", "deer", "raven"]),
    ("{place}", ["forest", "harbor", "desert", "temple", "library", "alley", "glacier"]),
    ("{style}", ["watercolor", "ink wash", "oil painting", "gouache", "linocut", "pastel"]),
    ("{mood}", ["melancholic", "serene", "ominous", "whimsical", "triumphant"]),
]
NEGATIVES = {
    "tags": "lowres, bad anatomy, bad hands, text, error, missing fingers, worst quality, jpeg artifacts",
    "pony": "score_4, score_5, score_6, source_furry, worst quality, blurry",
    "natural": "blurry, deformed, watermark, text, low quality",
    "nai": "lowres, artistic error, film grain, scan artifacts, worst quality, bad quality, jpeg artifacts",
}

# checkpoint families: (model names as the tool writes them, prompt flavour, size choices, cfg, steps)
MODEL_FAMILIES: dict[str, dict[str, Any]] = {
    "sd15": {
        "models": ["dreamshaper_8", "realisticVisionV60B1_v51HyperVAE", "revAnimated_v2Rebirth"],
        "flavour": "tags",
        "sizes": [(512, 768), (768, 512), (512, 512)],
        "cfg": [6.0, 7.0, 7.5],
        "steps": [20, 25, 30],
    },
    "sdxl": {
        "models": ["sd_xl_base_1.0", "juggernautXL_v9Rdphoto2Lightning", "zavychromaxl_v80"],
        "flavour": "natural",
        "sizes": [(1024, 1024), (832, 1216), (1216, 832)],
        "cfg": [5.0, 6.0, 7.0],
        "steps": [25, 30, 35],
    },
    "pony": {
        "models": ["ponyDiffusionV6XL_v6StartWithThisOne", "illustriousXL_v01"],
        "flavour": "pony",
        "sizes": [(832, 1216), (1024, 1024)],
        "cfg": [6.0, 7.0],
        "steps": [25, 30],
    },
    "flux": {
        "models": ["flux1-dev-fp8", "flux1-schnell-fp8", "flux1-dev-bnb-nf4-v2"],
        "flavour": "natural",
        "sizes": [(1024, 1024), (896, 1152), (1152, 896)],
        "cfg": [3.5],  # Flux guidance, which readers report as the guidance scale
        "steps": [20, 28],
    },
}
LORAS = [
    "add_detail",
    "more_details",
    "epi_noiseoffset",
    "ghibli_style_v2",
    "watercolor_xl",
    "film_grain",
    "pixel_art_xl",
    "cinematic_lighting",
]
SAMPLERS_A1111 = ["DPM++ 2M", "Euler a", "DPM++ SDE", "DPM++ 2M SDE", "UniPC", "DDIM"]
SCHEDULERS_A1111 = ["Karras", "Automatic", "Exponential"]
SAMPLERS_COMFY = ["dpmpp_2m", "euler", "euler_ancestral", "dpmpp_2m_sde", "dpmpp_3m_sde", "uni_pc"]
SCHEDULERS_COMFY = ["karras", "normal", "simple", "sgm_uniform", "exponential"]
SAMPLERS_INVOKE = ["dpmpp_2m_k", "euler_a", "dpmpp_sde_k", "unipc", "euler"]
SAMPLERS_NAI = ["k_euler_ancestral", "k_dpmpp_2s_ancestral", "k_dpmpp_2m_sde", "k_euler"]
SAMPLERS_DT = ["DPM++ 2M Karras", "Euler A Trailing", "DPM++ SDE Karras", "UniPC"]
MJ_AR = {
    "1:1": (1024, 1024),
    "2:3": (896, 1344),
    "3:2": (1344, 896),
    "16:9": (1456, 816),
    "9:16": (816, 1456),
}
MJ_MODELS = ["6.1", "7", "niji 6"]
WORKFLOWS = ["txt2img", "hires", "img2img", "inpaint", "upscale", "flux"]
WORKFLOW_HASH = {
    name: hashlib.sha1(f"family-d-workflow:{name}".encode()).hexdigest()[:16] for name in WORKFLOWS
}
HANDLES = [
    "mara.k",
    "tobi_renders",
    "lunaverse",
    "okapi",
    "jun.h",
    "ravenink",
    "sol_atelier",
    "pix.nomad",
    "hendrik",
    "aiko.m",
    "vetch",
    "quietfox",
    "dr.lumen",
    "pastelwolf",
    "kestrel",
    "nori.studio",
    "brambles",
    "ziggy",
    "ola.w",
    "copperleaf",
    "mxr",
    "yuki_s",
    "atlas.b",
    "fennel",
]
TIMEZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "America/Los_Angeles",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Sao_Paulo",
]

PLANS: list[tuple[tuple[str, ...], float]] = [
    (("exploration",), 0.22),
    (("refinement",), 0.18),
    (("optimization",), 0.08),
    (("exploration", "refinement"), 0.26),
    (("exploration", "refinement", "optimization"), 0.08),
    (("refinement", "optimization"), 0.12),
    (("optimization", "refinement"), 0.06),
]
PHASE_JOBS_MEDIAN = {"exploration": 14.0, "refinement": 12.0, "optimization": 10.0}


@dataclass(frozen=True, slots=True)
class _Archetype:
    name: str
    tools: tuple[tuple[str, float], ...]
    schedule: str
    render_seconds: dict[str, float]
    think_median_seconds: float
    waits_for_results: bool
    queue_depth: int
    pause_probability: float
    plan_tilt: dict[str, float]
    model_families: tuple[str, ...]
    overnight_probability: float = 0.0
    continue_project_probability: float = 0.35
    tool_hop_probability: float = 0.0
    keep_fraction: float = 1.0
    batch_sizes: tuple[int, ...] = (1,)


ARCHETYPES = [
    _Archetype(
        "comfy_tinkerer",
        (("comfyui", 0.9), ("forge", 0.1)),
        "night",
        {"comfyui": 45.0, "forge": 30.0},
        90.0,
        False,
        2,
        0.02,
        {"optimization": 2.0},
        ("sdxl", "flux", "pony"),
        overnight_probability=0.35,
        batch_sizes=(1, 1, 2),
    ),
    _Archetype(
        "a1111_hobbyist",
        (("a1111", 0.85), ("forge", 0.15)),
        "evening",
        {"a1111": 3.0, "forge": 2.5},
        200.0,
        True,
        1,
        0.03,
        {},
        ("sd15", "pony"),
        batch_sizes=(1, 2, 4, 4),
    ),
    _Archetype(
        "mj_designer",
        (("midjourney", 0.85), ("comfyui", 0.15)),
        "office",
        {"midjourney": 50.0, "comfyui": 20.0},
        240.0,
        True,
        1,
        0.03,
        {"exploration": 1.8},
        ("sdxl",),
        batch_sizes=(1,),
    ),
    _Archetype(
        "invoke_illustrator",
        (("invokeai", 1.0),),
        "sporadic",
        {"invokeai": 9.0},
        90.0,
        True,
        1,
        0.07,
        {"refinement": 1.8},
        ("sdxl", "pony"),
        batch_sizes=(1, 1, 2),
    ),
    _Archetype(
        "nai_anime",
        (("novelai", 1.0),),
        "evening",
        {"novelai": 6.0},
        45.0,
        True,
        1,
        0.02,
        {},
        ("pony",),
        keep_fraction=0.32,
        batch_sizes=(1, 1, 4),
    ),
    _Archetype(
        "fooocus_casual",
        (("fooocus", 0.85), ("forge", 0.15)),
        "sporadic",
        {"fooocus": 14.0, "forge": 6.0},
        100.0,
        True,
        1,
        0.03,
        {"exploration": 1.4},
        ("sdxl",),
        batch_sizes=(2, 2, 3, 4),
    ),
    _Archetype(
        "drawthings_mac",
        (("drawthings", 1.0),),
        "evening",
        {"drawthings": 60.0},
        40.0,
        True,
        1,
        0.03,
        {},
        ("sd15", "sdxl"),
        batch_sizes=(1, 1, 2),
    ),
    _Archetype(
        "forge_flux",
        (("forge", 0.6), ("comfyui", 0.4)),
        "evening",
        {"forge": 20.0, "comfyui": 18.0},
        140.0,
        True,
        1,
        0.03,
        {"optimization": 1.3},
        ("flux",),
        overnight_probability=0.2,
        tool_hop_probability=0.10,
        batch_sizes=(1, 2, 4),
    ),
    _Archetype(
        "studio_pro",
        (("comfyui", 0.55), ("midjourney", 0.3), ("invokeai", 0.15)),
        "office",
        {"comfyui": 12.0, "midjourney": 45.0, "invokeai": 10.0},
        200.0,
        True,
        1,
        0.04,
        {"refinement": 1.3},
        ("sdxl", "flux"),
        continue_project_probability=0.7,
        batch_sizes=(1, 2, 4),
    ),
]


# -- helpers -------------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    return items[int(rng.integers(0, len(items)))]


def _weighted(rng: np.random.Generator, items: Sequence[tuple[T, float]]) -> T:
    weights = np.array([w for _, w in items], dtype=float)
    index = int(rng.choice(len(items), p=weights / weights.sum()))
    return items[index][0]


def _lognormal(rng: np.random.Generator, median: float, sigma: float) -> float:
    return float(median * np.exp(sigma * rng.standard_normal()))


def _slug(text: str, words: int = 6, limit: int = 40) -> str:
    tokens = re.findall(r"[a-z0-9]+", text.lower())[:words]
    return "_".join(tokens)[:limit].strip("_") or "image"


def _uuid(rng: np.random.Generator) -> str:
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / float(np.linalg.norm(vector))


# -- the world of one artist ----------------------------------------------------------------------


@dataclass(slots=True)
class _Concept:
    subject: str
    setting: str
    style: str
    lighting: str
    framing: str
    details: list[str] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)

    def key(self) -> tuple[str, str, str]:
        return (self.subject, self.setting, self.style)

    def copy(self) -> _Concept:
        return _Concept(
            self.subject,
            self.setting,
            self.style,
            self.lighting,
            self.framing,
            list(self.details),
            dict(self.weights),
        )


@dataclass(slots=True)
class _Project:
    number: int
    theme: str
    subjects: list[str]
    settings: list[str]
    styles: list[str]
    family: str
    model: str
    size: tuple[int, int]
    loras: list[LoraRef]
    mj_ar: str
    mj_model: str
    cfg: float
    steps: int
    concept: _Concept | None = None
    keepers: list[GenerationRecord] = field(default_factory=list)


@dataclass(slots=True)
class _Params:
    prompt: str
    negative: str | None
    seed: int | None
    cfg: float | None
    steps: int | None
    sampler: str | None
    scheduler: str | None
    model: str | None
    loras: tuple[LoraRef, ...]
    width: int
    height: int
    denoise: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class _Library:
    """Collects records and truth for all artists."""

    def __init__(self, visual_rng: np.random.Generator) -> None:
        self.out = SimulatedLibrary()
        self.visual_rng = visual_rng
        self.concept_vectors: dict[tuple[str, ...], np.ndarray] = {}

    def vector(self, key: tuple[str, ...]) -> np.ndarray:
        if key not in self.concept_vectors:
            self.concept_vectors[key] = self.visual_rng.standard_normal(FAMILY_D_VISUAL_DIM)
        return self.concept_vectors[key]


class _Artist:
    def __init__(
        self, index: int, archetype: _Archetype, rng: np.random.Generator, lib: _Library, seed: int
    ) -> None:
        self.a = archetype
        self.rng = rng
        self.lib = lib
        base = HANDLES[index % len(HANDLES)]
        self.user = base if index < len(HANDLES) else f"{base}{index // len(HANDLES) + 1}"
        self.tz = ZoneInfo(_pick(rng, TIMEZONES))
        self.id_salt = f"d{seed}:{self.user}"
        self.record_count = 0
        self.session_count = 0
        self.project_count = 0
        self.counters: dict[str, int] = {}
        self.gpu_free: dict[str, datetime] = {}
        self.mj_slots: list[datetime] = []
        self.files_per_project = rng.random() < 0.4
        self.render_scale = float(np.exp(0.3 * rng.standard_normal()))
        self.think_scale = float(np.exp(0.3 * rng.standard_normal()))
        self.project: _Project | None = None
        self.overnight: list[GenerationRecord] = []
        # per-session state
        self.t = START_DATE.replace(tzinfo=UTC)
        self.session_key = ""
        self.session_records: list[GenerationRecord] = []
        self.session_phases: list[str] = []
        self.pending: deque[datetime] = deque()
        self.final_concept: _Concept | None = None
        self.session_tool: str | None = None
        self.concept_of: dict[str, tuple[str, str, str]] = {}
        self._last_concept: _Concept | None = None
        self._last_params: _Params | None = None

    # -- ids, counters, clocks ---------------------------------------------------------------

    def _next_id(self) -> str:
        self.record_count += 1
        digest = hashlib.sha1(f"{self.id_salt}:{self.record_count}".encode()).hexdigest()
        return f"d-{digest[:16]}"

    def _counter(self, key: str, start_high: int = 3000) -> int:
        if key not in self.counters:
            self.counters[key] = int(self.rng.integers(1, start_high))
        self.counters[key] += 1
        return self.counters[key]

    def think(self, short: bool = False) -> float:
        median = self.a.think_median_seconds * self.think_scale * (0.35 if short else 1.0)
        seconds = min(_lognormal(self.rng, median, 0.8), 600.0)
        if not short and self.rng.random() < self.a.pause_probability:
            seconds = float(self.rng.uniform(8 * 60, 35 * 60))
        return max(seconds, 3.0)

    def render(self, tool: str) -> float:
        return max(1.0, _lognormal(self.rng, self.a.render_seconds.get(tool, 20.0) * self.render_scale, 0.25))

    def local(self, day: datetime, hour: float) -> datetime:
        naive = day + timedelta(hours=hour)
        return naive.replace(tzinfo=self.tz).astimezone(UTC)

    # -- projects and concepts --------------------------------------------------------------

    def new_project(self, tool: str) -> _Project:
        rng = self.rng
        self.project_count += 1
        # a new project is a new subject (rule 1b): never the theme of the project it replaces
        themes = [t for t in SUBJECTS if self.project is None or t[0] != self.project.theme]
        theme, subjects = _pick(rng, themes)
        settings = [SETTINGS[int(i)] for i in rng.choice(len(SETTINGS), 5, replace=False)]
        styles = [STYLES[int(i)] for i in rng.choice(len(STYLES), 3, replace=False)]
        family = _pick(rng, self.a.model_families)
        spec = MODEL_FAMILIES[family]
        loras = (
            [LoraRef(_pick(rng, LORAS), round(float(rng.uniform(0.4, 1.0)), 2))] if rng.random() < 0.5 else []
        )
        project = _Project(
            number=self.project_count,
            theme=theme,
            subjects=list(subjects),
            settings=settings,
            styles=styles,
            family=family,
            model=_pick(rng, spec["models"]),
            size=_pick(rng, spec["sizes"]),
            loras=loras,
            mj_ar=_pick(rng, list(MJ_AR)),
            mj_model=_pick(rng, MJ_MODELS),
            cfg=float(_pick(rng, spec["cfg"])),
            steps=int(_pick(rng, spec["steps"])),
        )
        self.project = project
        self.final_concept = None
        return project

    def explore_concept(self, project: _Project) -> _Concept:
        rng = self.rng
        subject = project.subjects[0] if rng.random() < 0.6 else _pick(rng, project.subjects)
        setting = _pick(rng, project.settings) if rng.random() < 0.85 else _pick(rng, SETTINGS)
        style = _pick(rng, project.styles) if rng.random() < 0.85 else _pick(rng, STYLES)
        details = [DETAILS[int(i)] for i in rng.choice(len(DETAILS), int(rng.integers(0, 3)), replace=False)]
        return _Concept(subject, setting, style, _pick(rng, LIGHTING), _pick(rng, FRAMING), details)

    def edit_concept(self, concept: _Concept) -> _Concept:
        rng = self.rng
        edited = concept.copy()
        roll = rng.random()
        if roll < 0.35 or not edited.details:
            candidate = _pick(rng, DETAILS)
            if candidate not in edited.details:
                edited.details.append(candidate)
        elif roll < 0.55:
            edited.details.pop(int(rng.integers(0, len(edited.details))))
        elif roll < 0.8:
            token = _pick(rng, [*edited.details, edited.lighting])
            edited.weights[token] = round(float(rng.choice([0.8, 0.9, 1.1, 1.2, 1.3, 1.4])), 1)
        elif roll < 0.92:
            edited.lighting = _pick(rng, LIGHTING)
        else:
            edited.framing = _pick(rng, FRAMING)
        return edited

    def prompt_text(self, concept: _Concept, project: _Project, tool: str) -> str:
        def w(token: str, flavour: str) -> str:
            weight = concept.weights.get(token)
            if weight is None:
                return token
            if flavour == "nai":
                return "{" + token + "}" if weight > 1 else "[" + token + "]"
            if flavour == "mj":
                return token
            return f"({token}:{weight})"

        if tool == "midjourney":
            parts = [
                concept.subject,
                concept.setting,
                concept.style,
                w(concept.lighting, "mj"),
                concept.framing,
                *concept.details,
            ]
            model = project.mj_model
            version = "--niji 6" if model.startswith("niji") else f"--v {model}"
            return ", ".join(parts) + f" --ar {project.mj_ar} {version}"
        flavour = "nai" if tool == "novelai" else MODEL_FAMILIES[project.family]["flavour"]
        details = [w(d, flavour) for d in concept.details]
        if flavour in ("tags", "pony", "nai"):
            head = {
                "tags": ["masterpiece", "best quality"],
                "pony": ["score_9", "score_8_up", "score_7_up"],
                "nai": ["very aesthetic", "masterpiece"],
            }[flavour]
            parts = [
                *head,
                concept.subject,
                concept.setting,
                concept.style,
                w(concept.lighting, flavour),
                concept.framing,
                *details,
            ]
            text = ", ".join(parts)
        else:
            text = f"{concept.style} of {concept.subject} {concept.setting}, {w(concept.lighting, flavour)}, "
            text += ", ".join([concept.framing, *details])
        if tool in ("a1111", "forge") and project.loras:
            text += "".join(f" <lora:{lora.name}:{lora.weight}>" for lora in project.loras)
        return text

    # -- parameters ------------------------------------------------------------------------

    def base_params(self, concept: _Concept, project: _Project, tool: str, seed: int | None) -> _Params:
        spec = MODEL_FAMILIES[project.family]
        prompt = self.prompt_text(concept, project, tool)
        width, height = project.size
        if tool == "midjourney":
            width, height = MJ_AR[project.mj_ar]
            # Midjourney writes no seed unless the prompt fixes one with --seed
            return _Params(prompt, None, None, None, None, None, None, project.mj_model, (), width, height)
        cfg = project.cfg
        steps = project.steps
        flavour = "nai" if tool == "novelai" else spec["flavour"]
        negative = None if project.family == "flux" else NEGATIVES[flavour]
        model = project.model
        sampler: str | None
        scheduler: str | None = None
        loras = tuple(project.loras)
        if tool == "comfyui":
            model += ".safetensors"
            sampler, scheduler = "dpmpp_2m", "karras" if project.family != "flux" else "simple"
            if project.family == "flux":
                sampler = "euler"
        elif tool in ("a1111", "forge"):
            sampler, scheduler = "DPM++ 2M", "Karras"
        elif tool == "invokeai":
            model = model.replace("_", " ")
            sampler = "dpmpp_2m_k"
        elif tool == "novelai":
            model, sampler, cfg, steps, loras = "nai-diffusion-4-5-full", "k_euler_ancestral", 5.0, 28, ()
            negative = NEGATIVES["nai"]
        elif tool == "fooocus":
            model += ".safetensors"
            sampler, scheduler, cfg, steps = "dpmpp_2m_sde_gpu", "karras", 4.0, 30
        else:  # drawthings
            model = model.lower() + "_f16.ckpt"
            sampler = "DPM++ 2M Karras"
        return _Params(prompt, negative, seed, cfg, steps, sampler, scheduler, model, loras, width, height)

    def sweep(self, params: _Params, tool: str) -> _Params:
        """One step of a parameter sweep (prompt and seed kept)."""
        rng = self.rng
        p = self._copy(params)
        if tool == "midjourney":
            base = re.sub(r" --(s|chaos|weird|style) \S+", "", p.prompt)
            knob = _pick(rng, ["s", "s", "chaos", "weird", "style"])
            value = {
                "s": _pick(rng, ["0", "50", "100", "250", "500", "750", "1000"]),
                "chaos": _pick(rng, ["0", "10", "25", "50"]),
                "weird": _pick(rng, ["0", "150", "500"]),
                "style": "raw",
            }[knob]
            p.prompt = f"{base} --{knob} {value}"
            return p
        knob = _pick(rng, ["cfg", "cfg", "steps", "sampler", "scheduler", "lora"])
        flux = p.cfg is not None and p.cfg <= 5.0 and tool in ("comfyui", "forge", "drawthings")
        if knob == "cfg" and p.cfg is not None:
            choices = [2.0, 2.5, 3.0, 3.5, 4.0, 5.0] if flux else [3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
            p.cfg = round(float(rng.choice(choices)), 1)
        elif knob == "steps" and p.steps is not None:
            p.steps = int(rng.choice([12, 15, 20, 25, 30, 35, 40, 50]))
        elif knob == "sampler":
            pool = {
                "comfyui": SAMPLERS_COMFY,
                "a1111": SAMPLERS_A1111,
                "forge": SAMPLERS_A1111,
                "invokeai": SAMPLERS_INVOKE,
                "novelai": SAMPLERS_NAI,
                "drawthings": SAMPLERS_DT,
                "fooocus": ["dpmpp_2m_sde_gpu", "euler_ancestral", "dpmpp_3m_sde_gpu"],
            }[tool]
            p.sampler = _pick(rng, pool)
        elif knob == "scheduler" and p.scheduler is not None:
            p.scheduler = _pick(rng, SCHEDULERS_COMFY if tool in ("comfyui", "fooocus") else SCHEDULERS_A1111)
        elif knob == "lora" and p.loras:
            first = p.loras[0]
            weight = round(float(rng.choice([0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.2])), 2)
            p.loras = (LoraRef(first.name, weight), *p.loras[1:])
            if tool in ("a1111", "forge"):
                p.prompt = re.sub(
                    rf"<lora:{re.escape(first.name)}:[^>]*>", f"<lora:{first.name}:{weight}>", p.prompt
                )
        elif p.cfg is not None:
            p.cfg = round(float(rng.uniform(2.0, 5.0) if flux else rng.uniform(3.0, 9.0)), 1)
        if tool == "fooocus" and rng.random() < 0.5:
            p.extra["sharpness"] = float(rng.choice([2.0, 4.0, 6.0, 8.0]))
        return p

    # -- emitting records ------------------------------------------------------------------

    def _time(self, tool: str, when: datetime) -> tuple[datetime, str, TimePrecision]:
        if tool == "comfyui":
            ms = when.replace(microsecond=(when.microsecond // 1000) * 1000)
            return ms, "metadata:history.status.execution_success", TimePrecision.MILLISECOND
        if tool == "invokeai":
            ms = when.replace(microsecond=(when.microsecond // 1000) * 1000)
            return ms, "metadata:images.created_at", TimePrecision.MILLISECOND
        if tool == "midjourney":
            return when.replace(microsecond=0), "metadata:Creation Time", TimePrecision.SECOND
        local = when.astimezone(self.tz).replace(microsecond=0)
        source = "filename" if tool == "fooocus" else "file:mtime"
        return local, source, TimePrecision.SECOND

    def _file_name(
        self,
        tool: str,
        params: _Params,
        project: _Project,
        kind: str | None,
        index: int,
        job_id: str | None,
        when: datetime,
    ) -> str:
        rng = self.rng
        if tool == "comfyui":
            if self.files_per_project:
                folder = f"{project.theme}{project.number}"
                return f"{folder}/img_{self._counter('comfy:' + folder, 2):05d}_.png"
            return f"ComfyUI_{self._counter('comfy'):05d}_.png"
        if tool in ("a1111", "forge"):
            if kind == "grid":
                return f"xyz_grid-{self._counter(tool + ':grid', 200):04d}-{params.seed}.png"
            if kind == "extras":
                return f"{self._counter(tool + ':extras', 300):05d}.png"
            folder = "img2img" if kind in ("img2img", "inpaint") else "txt2img"
            return f"{self._counter(f'{tool}:{folder}'):05d}-{params.seed}.png"
        if tool == "midjourney":
            assert job_id is not None
            slug = _slug(params.prompt)
            handle = self.user.replace(".", "")
            return f"{handle}_{slug}_{job_id}.png" if index < 0 else f"{handle}_{slug}_{job_id}_{index}.png"
        if tool == "invokeai":
            return f"{_uuid(rng)}.png"
        if tool == "novelai":
            return f"{params.prompt[:60].rstrip(', ')} s-{params.seed}.png"
        if tool == "fooocus":
            local = when.astimezone(self.tz)
            return f"{local:%Y-%m-%d_%H-%M-%S}_{int(rng.integers(1000, 9999))}.png"
        return f"{_slug(params.prompt, 5)}_{params.seed}.png"

    def _visual(
        self,
        project: _Project,
        concept: _Concept,
        seed: int | None,
        parent: GenerationRecord | None,
        strength: float,
    ) -> np.ndarray:
        lib = self.lib
        vrng = lib.visual_rng
        if parent is not None and parent.id in lib.out.visual:
            base = lib.out.visual[parent.id]
            return _unit(base + strength * 0.35 * _unit(vrng.standard_normal(FAMILY_D_VISUAL_DIM)))
        vector = (
            0.9 * _unit(lib.vector(("project", self.user, str(project.number))))
            + 0.7 * _unit(lib.vector(("concept", *concept.key())))
            + 0.25 * _unit(lib.vector(("lighting", concept.lighting)))
            + 0.45 * _unit(lib.vector(("seed", str(seed))))
            + 0.15 * _unit(vrng.standard_normal(FAMILY_D_VISUAL_DIM))
        )
        return _unit(vector)

    def emit(
        self,
        tool: str,
        params: _Params,
        when: datetime,
        phase: str,
        project: _Project,
        concept: _Concept,
        *,
        kind: str | None = None,
        parent: GenerationRecord | None = None,
        named: str | None = None,
        job_id: str | None = None,
        parent_job: str | None = None,
        index: int = 0,
        extra: dict[str, Any] | None = None,
        workflow: str | None = None,
        keep: bool = True,
        file_kind: str | None = None,
    ) -> GenerationRecord | None:
        """Make one record (or, for NovelAI, maybe none: only downloaded images exist)."""
        if tool == "novelai":
            if not keep:
                return None
            when = when + timedelta(seconds=float(self.rng.uniform(2, 40)))
        created_at, source, precision = self._time(tool, when)
        file_name = self._file_name(tool, params, project, file_kind or kind, index, job_id, when)
        record = GenerationRecord(
            id=self._next_id(),
            tool=tool,
            user=self.user,
            created_at=created_at,
            created_at_source=source,
            created_at_precision=precision,
            prompt=params.prompt,
            negative_prompt=params.negative,
            seed=params.seed,
            cfg_scale=params.cfg,
            steps=params.steps,
            sampler=params.sampler,
            scheduler=params.scheduler,
            model=params.model,
            loras=params.loras,
            width=params.width,
            height=params.height,
            denoise=params.denoise,
            source_image=named,
            job_id=job_id,
            parent_job_id=parent_job,
            file_name=file_name,
            workflow_hash=WORKFLOW_HASH[workflow] if (tool == "comfyui" and workflow) else None,
            extra={**params.extra, **(extra or {})},
        )
        out = self.lib.out
        out.records.append(record)
        self.concept_of[record.id] = concept.key()
        out.session_of[record.id] = self.session_key
        out.phase_of[record.id] = phase
        self.session_records.append(record)
        self.session_phases.append(phase)
        derivation = kind if kind in ("upscale", "img2img", "inpaint", "variation", "remix") else None
        if parent is not None and derivation is not None:
            edge = TruthEdge(parent.id, record.id, derivation)
            out.derived_edges.append(edge)
            names_parent = parent_job is not None or (
                named is not None and not named.startswith("clipspace/")
            )
            if names_parent:
                out.explicit_edges.append(TruthEdge(parent.id, record.id, derivation))
        strength = {"upscale": 0.15, "variation": 0.7, "remix": 1.0, "img2img": 0.8, "inpaint": 0.5}.get(
            kind or "", 1.0
        )
        if parent is not None and params.denoise is not None:
            strength = min(strength, params.denoise + 0.1)
        out.visual[record.id] = self._visual(
            project, concept, params.seed, parent if derivation else None, strength
        )
        return record

    # -- the job queue model ---------------------------------------------------------------

    def schedule_job(self, tool: str, images: int, batched: bool) -> list[datetime]:
        """Completion times of one job's images; advances the artist's clock."""
        submit = self.t
        if tool == "midjourney":
            while len(self.mj_slots) < 3:
                self.mj_slots.append(submit)
            self.mj_slots.sort()
            start = max(submit, self.mj_slots[0])
            done = start + timedelta(seconds=self.render(tool))
            self.mj_slots[0] = done
            times = [done] * images
        else:
            # one local GPU serves every local UI (ComfyUI and Forge side by side share it); NovelAI
            # renders in the cloud, one image after another
            queue = "novelai" if tool == "novelai" else "local"
            start = max(submit, self.gpu_free.get(queue, submit))
            times = []
            clock = start
            if batched:
                clock += timedelta(seconds=sum(self.render(tool) for _ in range(images)) * 0.8)
                times = [clock + timedelta(milliseconds=40 * i) for i in range(images)]
            else:
                for _ in range(images):
                    clock += timedelta(seconds=self.render(tool))
                    times.append(clock)
            self.gpu_free[queue] = clock
        last = max(times)
        if self.a.waits_for_results:
            self.t = last + timedelta(seconds=self.think())
        else:
            self.pending.append(last)
            self.t = submit + timedelta(seconds=self.think(short=True))
            while self.pending and self.pending[0] <= self.t:
                self.pending.popleft()
            if len(self.pending) >= self.a.queue_depth:
                self.t = max(self.t, self.pending[0]) + timedelta(seconds=self.think())
                while self.pending and self.pending[0] <= self.t:
                    self.pending.popleft()
        return times

    def txt2img_job(
        self,
        tool: str,
        params: _Params,
        phase: str,
        project: _Project,
        concept: _Concept,
        images: int,
        keep_all: bool = False,
    ) -> list[GenerationRecord]:
        rng = self.rng
        made: list[GenerationRecord] = []
        if tool == "midjourney":
            job: str | None = _uuid(rng)
            for i, when in enumerate(self.schedule_job(tool, 4, True)):
                record = self.emit(tool, params, when, phase, project, concept, job_id=job, index=i)
                assert record is not None
                made.append(record)
            return made
        batched = tool in ("comfyui", "a1111", "forge")
        times = self.schedule_job(tool, images, batched)
        job = _uuid(rng) if tool == "comfyui" else None
        workflow = "flux" if project.family == "flux" else _pick(rng, ["txt2img", "txt2img", "hires"])
        for i, when in enumerate(times):
            p = params
            if i and params.seed is not None and tool != "comfyui":
                # A1111 / Forge / Fooocus batches count seeds up; InvokeAI iterations, NovelAI samples
                # and Draw Things batches draw a new one; a ComfyUI latent batch shares one seed
                if tool in ("a1111", "forge", "fooocus"):
                    p = self._copy(params, seed=(params.seed + i) % 2**32)
                else:
                    p = self._copy(params, seed=int(rng.integers(0, 2**31)))
            extra = {"batch_index": i} if tool == "comfyui" and images > 1 else None
            keep = keep_all or rng.random() < self.a.keep_fraction
            record = self.emit(
                tool,
                p,
                when,
                phase,
                project,
                concept,
                job_id=job,
                index=i,
                extra=extra,
                workflow=workflow,
                keep=keep,
            )
            if record is not None:
                made.append(record)
        return made

    def derive_job(
        self,
        tool: str,
        parent: GenerationRecord,
        kind: str,
        phase: str,
        project: _Project,
        concept: _Concept,
        params: _Params,
    ) -> list[GenerationRecord]:
        """img2img / inpaint / upscale / variation / remix of ``parent`` as ``tool`` does it."""
        rng = self.rng
        made: list[GenerationRecord] = []
        if tool == "midjourney":
            job: str | None = _uuid(rng)
            grid_index = self._grid_index(parent)
            extra: dict[str, Any] = {"parent_grid": grid_index} if grid_index is not None else {}
            parent_job = parent.job_id
            if kind == "upscale":
                p = self._copy(params, prompt=parent.prompt or params.prompt)
                p.width, p.height = (parent.width or 1024) * 2, (parent.height or 1024) * 2
                extra["mj_action"] = _pick(rng, ["Upscale (Subtle)", "Upscale (Creative)", "U"])
                when = self.schedule_job(tool, 1, True)[0]
                record = self.emit(
                    tool,
                    p,
                    when,
                    phase,
                    project,
                    concept,
                    kind=kind,
                    parent=parent,
                    job_id=job,
                    parent_job=parent_job,
                    index=-1,
                    extra=extra,
                )
                assert record is not None
                return [record]
            if kind == "inpaint":
                extra["mj_action"] = "Vary (Region)"
            elif kind == "variation":
                extra["mj_action"] = _pick(rng, ["Vary (Subtle)", "Vary (Strong)", "V"])
            else:
                extra["mj_action"] = "Remix"
            for i, when in enumerate(self.schedule_job(tool, 4, True)):
                record = self.emit(
                    tool,
                    params,
                    when,
                    phase,
                    project,
                    concept,
                    kind=kind,
                    parent=parent,
                    job_id=job,
                    parent_job=parent_job,
                    index=i,
                    extra=dict(extra),
                )
                assert record is not None
                made.append(record)
            return made
        p = self._copy(params)
        if kind == "upscale":
            p.width, p.height = (parent.width or 1024) * 2, (parent.height or 1024) * 2
            p.denoise = round(float(rng.uniform(0.2, 0.4)), 2)
            p.seed = parent.seed if tool in ("a1111", "forge") else p.seed
        elif kind == "inpaint":
            p.denoise = round(float(rng.uniform(0.55, 1.0)), 2)
            p.width, p.height = parent.width or p.width, parent.height or p.height
            if rng.random() < 0.6:
                p.prompt = _pick(rng, INPAINT_FOCUS) + ", " + p.prompt
        else:
            p.denoise = round(float(rng.uniform(0.3, 0.65)), 2)
            p.width, p.height = parent.width or p.width, parent.height or p.height
        named: str | None = None
        workflow = {"upscale": "upscale", "inpaint": "inpaint"}.get(kind, "img2img")
        file_kind: str | None = None
        if tool == "comfyui":
            assert parent.file_name is not None
            if kind == "inpaint" and rng.random() < 0.5:
                named = f"clipspace/clipspace-mask-{int(rng.integers(10**5, 10**7))}.png [input]"
            elif rng.random() < 0.3 and parent.tool == "comfyui":
                named = f"{parent.file_name} [output]"
            else:
                named = parent.file_name
        elif tool == "invokeai":
            named = parent.file_name
        elif tool in ("a1111", "forge") and kind == "upscale":
            # both keep the keeper's own infotext (prompt, seed, settings); a hires-fix re-run can only
            # reproduce a plain txt2img image of the same UI, anything else goes through Extras
            plain = (
                parent.tool == tool
                and parent.denoise is None
                and not ({"grid", "postprocessing", "hires_upscale"} & set(parent.extra))
            )
            p = self._from_parent(p, parent)
            p.width, p.height = (parent.width or p.width) * 2, (parent.height or p.height) * 2
            if not plain or rng.random() < 0.5:  # Extras tab: infotext plus postprocessing, no source named
                p.denoise = None
                p.extra["postprocessing"] = "Upscale: 2, Upscaler: R-ESRGAN 4x+"
                file_kind = "extras"
            else:  # hires fix re-run with the keeper's seed
                p.extra["hires_upscale"] = 2
                file_kind = "txt2img"
        elif tool == "fooocus":
            p.extra["uov_method"] = "Upscale (2x)" if kind == "upscale" else "Vary (Subtle)"
            if kind != "upscale":
                kind = "variation"
        if tool == "novelai":
            p.extra["strength"] = p.denoise
        images = 1 if kind == "upscale" else int(_pick(rng, self.a.batch_sizes))
        times = self.schedule_job(tool, images, tool in ("comfyui", "a1111", "forge"))
        job = _uuid(rng) if tool == "comfyui" else None
        for i, when in enumerate(times):
            q = p
            if i:
                q = self._copy(p)
                q.seed = int(rng.integers(0, 2**31)) if tool not in ("a1111", "forge") else (p.seed or 0) + i
            keep = rng.random() < max(self.a.keep_fraction, 0.6)
            record = self.emit(
                tool,
                q,
                when,
                phase,
                project,
                concept,
                kind=kind,
                parent=parent,
                named=named,
                job_id=job,
                index=i,
                workflow=workflow,
                keep=keep,
                file_kind=file_kind,
            )
            if record is not None:
                made.append(record)
        return made

    @staticmethod
    def _grid_index(record: GenerationRecord) -> int | None:
        name = record.file_name or ""
        match = re.search(r"_(\d)\.png$", name)
        return int(match.group(1)) if match else None

    @staticmethod
    def _from_parent(params: _Params, parent: GenerationRecord) -> _Params:
        return replace(
            params,
            extra=dict(params.extra),
            prompt=parent.prompt or params.prompt,
            negative=parent.negative_prompt,
            seed=parent.seed,
            cfg=parent.cfg_scale,
            steps=parent.steps,
            sampler=parent.sampler,
            scheduler=parent.scheduler,
            model=parent.model,
            loras=parent.loras,
        )

    @staticmethod
    def _copy(params: _Params, **changes: Any) -> _Params:
        return replace(params, extra=dict(params.extra), **changes)

    # -- sessions --------------------------------------------------------------------------

    def start_session(self) -> None:
        self.session_count += 1
        self.session_key = f"{self.user}/{self.session_count}"
        self.session_records = []
        self.session_phases = []

    def finish_session(self, convergent: bool, fixed_intent: str | None = None) -> None:
        if not self.session_records:  # nothing came out (a NovelAI session with no download): no session
            return
        phases = self.session_phases
        if fixed_intent is not None:
            intent = fixed_intent
        elif (
            convergent
            and "exploration" in phases
            and "refinement" in phases
            and (phases.index("exploration") < len(phases) - 1 - phases[::-1].index("refinement"))
        ):
            intent = "convergent_selection"
        else:
            counts = Counter(phases)
            order = {p: i for i, p in enumerate(phases)}  # last occurrence wins ties
            intent = max(counts, key=lambda p: (counts[p], order[p]))
        self.lib.out.session_intent[self.session_key] = intent
        if self.project is not None:
            keepers = [r for r in self.session_records if r.width and r.width < 1800]
            self.project.keepers = keepers[-12:]

    def seed(self) -> int:
        return int(self.rng.integers(0, 2**32 - 1))

    def pick_plan(self) -> tuple[str, ...]:
        weighted = []
        for plan, weight in PLANS:
            tilt = 1.0
            for phase in plan:
                tilt *= self.a.plan_tilt.get(phase, 1.0) ** (1.0 / len(plan))
            weighted.append((plan, weight * tilt))
        return _weighted(self.rng, weighted)

    def run_session(
        self, tool: str, plan: tuple[str, ...], until: datetime, project: _Project, concept: _Concept | None
    ) -> None:
        """One planned session; stops early when the sitting is over."""
        rng = self.rng
        self.start_session()
        explored: list[_Concept] = []
        current = concept or self.explore_concept(project)
        seed_lock: int | None = None
        keepers: list[GenerationRecord] = [r for r in project.keepers if r.tool == tool]
        for phase in plan:
            jobs = max(1, round(_lognormal(rng, PHASE_JOBS_MEDIAN[phase], 0.6)))
            if phase == "refinement" and explored:
                current = _pick(rng, explored)
            params_base = self.base_params(current, project, tool, self.seed())
            for _ in range(jobs):
                if self.t >= until:
                    break
                batch = int(_pick(rng, self.a.batch_sizes))
                if phase == "exploration":
                    current = self.explore_concept(project)
                    explored.append(current)
                    if rng.random() < 0.08 and tool not in ("midjourney", "novelai"):
                        project.model = _pick(rng, MODEL_FAMILIES[project.family]["models"])
                    made = self.txt2img_job(
                        tool,
                        self.base_params(current, project, tool, self.seed()),
                        phase,
                        project,
                        current,
                        batch,
                    )
                    keepers.extend(made[:1])
                elif phase == "refinement":
                    made = self._refine_step(tool, project, current, keepers, seed_lock, batch)
                    if made:
                        keepers.extend(made[:1])
                        if rng.random() < 0.4:
                            seed_lock = made[0].seed
                        elif rng.random() < 0.15:
                            seed_lock = None
                    current = self._last_concept or current
                else:
                    made = self._optimize_step(tool, project, current, params_base)
                    if made and self._last_params is not None:
                        params_base = self._last_params
                keepers = keepers[-10:]
        self.final_concept = current
        self.finish_session(convergent=plan[:2] == ("exploration", "refinement"))

    def _refine_step(
        self,
        tool: str,
        project: _Project,
        concept: _Concept,
        keepers: list[GenerationRecord],
        seed_lock: int | None,
        batch: int,
    ) -> list[GenerationRecord]:
        rng = self.rng
        edited = self.edit_concept(concept) if rng.random() < 0.6 else concept
        self._last_concept = edited
        params = self.base_params(edited, project, tool, seed_lock if seed_lock is not None else self.seed())
        roll = rng.random()
        # refinement derives only from keepers of the concept being refined
        parents = [k for k in keepers if self.concept_of.get(k.id) == concept.key()]
        if tool == "midjourney":
            if parents and roll < 0.75:
                parent = _pick(rng, parents[-6:])
                kind = _weighted(
                    rng, [("variation", 0.4), ("upscale", 0.3), ("remix", 0.15), ("inpaint", 0.15)]
                )
                if kind == "upscale" and self._grid_index(parent) is None:
                    kind = "variation"
                if kind == "inpaint" and self._grid_index(parent) is not None:
                    kind = "variation"
                if kind == "variation" and parent.prompt:
                    params = self._copy(params, prompt=parent.prompt)
                return self.derive_job(tool, parent, kind, "refinement", project, edited, params)
            if roll < 0.85 and parents:  # reroll: same prompt, new job, no parent named
                params = self._copy(params, prompt=parents[-1].prompt or params.prompt)
            return self.txt2img_job(tool, params, "refinement", project, edited, 4)
        derive_p = {"invokeai": 0.55, "comfyui": 0.3, "novelai": 0.3}.get(tool, 0.2)
        if parents and roll < derive_p:
            parent = _pick(rng, parents[-5:])
            kind = _weighted(
                rng, [("img2img", 0.45), ("inpaint", 0.35 if tool != "fooocus" else 0.0), ("upscale", 0.2)]
            )
            if tool == "drawthings" and kind == "inpaint":
                kind = "img2img"
            return self.derive_job(tool, parent, kind, "refinement", project, edited, params)
        return self.txt2img_job(tool, params, "refinement", project, edited, batch)

    def _optimize_step(
        self, tool: str, project: _Project, concept: _Concept, base: _Params
    ) -> list[GenerationRecord]:
        rng = self.rng
        if tool == "midjourney" and base.seed is None:
            fixed = self.seed()
            base = self._copy(base, seed=fixed, prompt=f"{base.prompt} --seed {fixed}")
        self._last_params = base
        if tool in ("a1111", "forge") and rng.random() < 0.35:  # an X/Y/Z plot: cells + grid
            cols, rows = int(rng.integers(2, 6)), int(rng.integers(2, 5))
            made: list[GenerationRecord] = []
            cfgs = sorted(
                {round(float(c), 1) for c in rng.choice([3.0, 4.5, 5.0, 6.0, 7.0, 8.5, 10.0], cols)}
            )
            steps = sorted({int(s) for s in rng.choice([15, 20, 25, 30, 40, 50], rows)})
            times = self.schedule_job(tool, len(cfgs) * len(steps) + 1, False)
            index = 0
            for c in cfgs:
                for s in steps:
                    cell = self._copy(base, cfg=c, steps=s)
                    record = self.emit(
                        tool,
                        cell,
                        times[index],
                        "optimization",
                        project,
                        concept,
                        extra={"xyz_plot": "CFG Scale × Steps"},
                    )
                    assert record is not None
                    made.append(record)
                    index += 1
            grid = self._copy(base, width=base.width * len(cfgs), height=base.height * len(steps))
            self.emit(
                tool,
                grid,
                times[-1],
                "optimization",
                project,
                concept,
                kind="grid",
                extra={"xyz_plot": "CFG Scale × Steps", "grid": True},
            )
            return made
        params = self.sweep(base, tool)
        self._last_params = params if rng.random() < 0.5 else base
        if tool != "midjourney" and self._last_params.cfg is not None and self._last_params.steps is not None:
            project.cfg, project.steps = self._last_params.cfg, self._last_params.steps  # adopted
        images = 4 if tool == "midjourney" else int(_pick(rng, (1, 1, 2)))
        return self.txt2img_job(tool, params, "optimization", project, concept, images, keep_all=True)

    def review_session(self, tool: str, sources: list[GenerationRecord], until: datetime) -> None:
        """Morning-after review of an overnight run: upscales / img2img of a few overnight images."""
        rng = self.rng
        project = self.project or self.new_project(tool)
        self.start_session()
        count = min(len(sources), int(rng.integers(3, 9)))
        picks = [sources[int(i)] for i in sorted(rng.choice(len(sources), count, replace=False))]
        for parent in picks:
            if self.t >= until:
                break
            concept = self.explore_concept(project)
            params = self.base_params(concept, project, tool, self.seed())
            params = self._copy(params, prompt=parent.prompt or params.prompt)
            kind = _weighted(rng, [("upscale", 0.6), ("img2img", 0.3), ("inpaint", 0.1)])
            self.derive_job(tool, parent, kind, "refinement", project, concept, params)
        self.finish_session(convergent=False, fixed_intent="refinement")

    def handoff_session(self, tool: str, sources: list[GenerationRecord], until: datetime) -> None:
        """A Midjourney keeper taken into ComfyUI for a detail pass / upscale (new session)."""
        rng = self.rng
        project = self.project or self.new_project(tool)
        self.start_session()
        for parent in sources[: int(rng.integers(1, 4))]:
            for _ in range(int(rng.integers(1, 4))):
                if self.t >= until:
                    break
                concept = self.explore_concept(project)
                params = self.base_params(concept, project, tool, self.seed())
                params = self._copy(params, prompt=re.sub(r" --.*$", "", parent.prompt or params.prompt))
                kind = _weighted(rng, [("img2img", 0.5), ("upscale", 0.5)])
                self.derive_job(tool, parent, kind, "refinement", project, concept, params)
        self.finish_session(convergent=False, fixed_intent="refinement")

    def overnight_run(self, tool: str, project: _Project, concept: _Concept, same_session: bool) -> None:
        """A long unattended queue at the end of the evening (wildcards: own session; lottery: same)."""
        rng = self.rng
        jobs = int(rng.integers(20, 100))
        made: list[GenerationRecord] = []
        if not same_session:
            self.start_session()
            template = "{mood} {animal} in a {place}, {style}"
            base = self.base_params(concept, project, tool, self.seed())
        else:
            self.session_records = self.session_records or []
            base = self.base_params(concept, project, tool, self.seed())
        saved_wait = self.t
        for _ in range(jobs):
            self.t = saved_wait  # the artist is asleep: everything is queued at once
            params = self._copy(base, seed=self.seed())
            phase = "refinement"
            if not same_session:
                text = template
                for token, options in WILDCARD_SETS:
                    text = text.replace(token, _pick(rng, options))
                params.prompt = text + ", " + _pick(rng, DETAILS)
                params.extra = {"wildcard_template": template}
                phase = "exploration"
            made.extend(self.txt2img_job(tool, params, phase, project, concept, int(_pick(rng, (1, 2, 4)))))
        self.t = saved_wait
        self.pending.clear()
        self.overnight = made
        if not same_session:
            self.finish_session(convergent=False, fixed_intent="exploration")

    # -- days and sittings -------------------------------------------------------------------

    def sittings(self, day_index: int) -> list[tuple[float, float]]:
        """(start hour, length hours) in local time for one day, in order."""
        rng = self.rng
        weekday = (START_DATE + timedelta(days=day_index)).weekday()
        weekend = weekday >= 5
        schedule = self.a.schedule
        if schedule == "office":
            if weekend:
                return [(14.0 + rng.uniform(-1, 2), rng.uniform(1, 2))] if rng.random() < 0.15 else []
            if rng.random() > 0.75:
                return []
            start = 9.0 + rng.uniform(-0.5, 0.5)
            morning = rng.uniform(1.5, 3.0)
            sits = [(start, morning)]
            if rng.random() < 0.6:
                sits.append((start + morning + rng.uniform(40, 85) / 60, rng.uniform(1.5, 3.0)))
            return sits
        if schedule == "evening":
            if rng.random() > (0.75 if weekend else 0.5):
                return []
            sits = []
            if weekend and rng.random() < 0.6:
                sits.append((13.0 + rng.uniform(0, 2), rng.uniform(1.5, 3.0)))
            if rng.random() < 0.25:
                first = 17.5 + rng.uniform(-0.5, 0.5)
                length = rng.uniform(0.7, 1.3)
                sits.append((first, length))
                sits.append((first + length + rng.uniform(60, 100) / 60, rng.uniform(1.5, 3.0)))
            else:
                sits.append((19.5 + rng.uniform(-1, 1), rng.uniform(1.5, 3.5)))
            return sits
        if schedule == "night":
            if rng.random() > 0.45:
                return []
            return [(21.5 + rng.uniform(-1, 1), rng.uniform(1.5, 3.5))]
        if rng.random() > 0.45:
            return []
        return [(rng.uniform(10, 19), rng.uniform(1.0, 3.0))]

    def pick_tool(self) -> str:
        return _weighted(self.rng, self.a.tools)

    def run(self, days: int) -> None:
        rng = self.rng
        for day_index in range(days):
            day = START_DATE + timedelta(days=day_index)
            plan = self.sittings(day_index)
            for sit_number, (start_hour, length) in enumerate(plan):
                start = self.local(day, float(start_hour))
                until = start + timedelta(hours=float(length))
                # a break: the artist is away at least 40 minutes (renders queued before leaving go on)
                self.t = max(start, self.t + timedelta(minutes=float(rng.uniform(40, 70))))
                self.pending.clear()
                last_tool: str | None = None
                if self.overnight and sit_number == 0:
                    if rng.random() < 0.75:
                        last_tool = self.overnight[0].tool
                        self.review_session(last_tool, self.overnight, until)
                        self.t += timedelta(minutes=float(rng.uniform(1, 12)))
                    self.overnight = []
                while self.t < until:
                    self.one_session(last_tool, until)
                    last_tool = self.session_tool
                    gap_minutes = rng.uniform(0.5, 4) if rng.random() < 0.3 else rng.uniform(1, 12)
                    self.t += timedelta(minutes=float(gap_minutes))
                is_last = sit_number == len(plan) - 1
                if (
                    is_last
                    and self.a.overnight_probability
                    and rng.random() < self.a.overnight_probability
                    and last_tool in ("comfyui", "forge", "a1111")
                    and self.project is not None
                ):
                    project = self.project
                    concept = self.final_concept or self.explore_concept(project)
                    same = (
                        rng.random() < 0.5
                        and bool(self.session_records)
                        and (self.session_records[-1].tool == last_tool)
                    )
                    self.overnight_run(last_tool, project, concept, same_session=same)
                    if same:
                        self._reintent()

    def one_session(self, last_tool: str | None, until: datetime) -> None:
        """The next session of a sitting (``last_tool`` is None for a sitting's first session).

        Inside a sitting a new session means a new project or a new tool (rule 1): the same project
        only continues across a break or with a tool switch."""
        rng = self.rng
        tools = [t for t, _ in self.a.tools]
        project = self.project
        concept = self.final_concept
        tool = self.pick_tool()
        if last_tool is None:
            keep_project = project is not None and rng.random() < self.a.continue_project_probability
        else:
            if len(tools) > 1 and rng.random() < self.a.tool_hop_probability:
                tool = _pick(rng, [t for t in tools if t != last_tool])
                keep_project = project is not None
            else:
                keep_project = project is not None and tool != last_tool and rng.random() < 0.4
            if (
                last_tool == "midjourney"
                and tool == "comfyui"
                and project is not None
                and any(k.tool == "midjourney" for k in project.keepers)
                and rng.random() < 0.7
            ):
                self.handoff_session(tool, [k for k in project.keepers if k.tool == "midjourney"][-3:], until)
                self.session_tool = tool
                return
        if not keep_project or project is None:
            project = self.new_project(tool)
            concept = None
        phases = self.pick_plan()
        if concept is not None and phases[0] == "exploration" and rng.random() < 0.6:
            phases = phases[1:] or ("refinement",)
        self.run_session(tool, phases, until, project, concept)
        self.session_tool = tool

    def _reintent(self) -> None:
        """After a seed lottery extended the last session, recompute its intent by the session rule."""
        key = self.session_key
        phases = [
            self.lib.out.phase_of[r.id] for r in self.lib.out.records if self.lib.out.session_of[r.id] == key
        ]
        previous = self.lib.out.session_intent.get(key)
        if previous == "convergent_selection":
            return
        counts = Counter(phases)
        order = {p: i for i, p in enumerate(phases)}
        self.lib.out.session_intent[key] = max(counts, key=lambda p: (counts[p], order[p]))


def simulate_family_d_library(
    seed: int = 31, artists: int = 20, days: int = 21, with_visual: bool = True
) -> SimulatedLibrary:
    """Family D histories for ``artists`` artists over ``days`` days (deterministic for ``seed``)."""
    root = np.random.SeedSequence([seed, 0xD])
    streams = root.spawn(artists + 2)
    world = np.random.default_rng(streams[0])
    lib = _Library(np.random.default_rng(streams[1]))
    order = [int(i) for i in world.permutation(len(ARCHETYPES))]
    for index in range(artists):
        archetype = ARCHETYPES[order[index % len(order)]]
        artist = _Artist(index, archetype, np.random.default_rng(streams[index + 2]), lib, seed)
        artist.run(days)
    out = lib.out
    out.records.sort(key=lambda r: (r.created_at or datetime.min.replace(tzinfo=UTC), r.user or "", r.id))
    if not with_visual:
        out.visual = {}
    return out


def _summary(library: SimulatedLibrary) -> str:
    sessions = Counter(library.session_of.values())
    sizes = sorted(sessions.values())
    intents = Counter(library.session_intent.values())
    phases = Counter(library.phase_of.values())
    tools = Counter(r.tool for r in library.records)
    cross = sum(
        1 for e in library.explicit_edges if library.session_of[e.parent] != library.session_of[e.child]
    )
    return "\n".join(
        [
            f"records: {len(library.records)}  users: {len({r.user for r in library.records})}",
            f"sessions: {len(sizes)}  median size: {sizes[len(sizes) // 2]}  max: {max(sizes)}",
            f"session intents: {dict(intents)}",
            f"phases: {dict(phases)}",
            f"tools: {dict(tools)}",
            f"explicit edges: {len(library.explicit_edges)} (cross-session {cross}); "
            f"derived edges: {len(library.derived_edges)}",
        ]
    )


if __name__ == "__main__":
    print(_summary(simulate_family_d_library(int(sys.argv[1]) if len(sys.argv) > 1 else 31)))
