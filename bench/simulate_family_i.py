"""Family I: a hold-out simulator of hosted-service users and newcomers — the artists a local-UI simulator
leaves out — written from the product documents alone (``shared/docs``), without reading the engine, its
scores or the habits of families A–H.

Run ``python -m bench.simulate_family_i [SEED]`` for a summary. Seeds: 81 development, 82 held-out,
83 unseen. Default: 30 artists over 21 days from Monday 17 March 2025 (the period holds Europe's DST
change on 30 March and Australia's / New Zealand's on 6 April).

Artists (the roster cycles through the five kinds twice, then shares the rest by the weights
.30/.20/.20/.15/.15, largest remainders first, in a seeded order: 8/6/6/5/5 of the default 30)
---------------------------------------------------------------------------------------------------
1. **Midjourney power users** (``midjourney``). 0–2 sittings a day (30 % / 55 % / 15 %), in a preferred
   window of the day (the first MJ artist: 21:30–23:30, so sittings run past midnight), each sitting 1–3
   projects (50 / 38 / 12 %) on different subjects, 1–8 min apart (plus the first job's render). Jobs:
   ``/imagine`` renders a grid of four records sharing one ``job_id`` (``extra.image_index`` 0–3 and file
   names ``<handle>_<prompt words>_<job id>_<index>.png``); U1–U4 split one image into a single record (1–4
   clicked in a row), V1–V4 / Vary (Strong) / Vary (Subtle) render a new grid (``variation``), Remix
   (Strong/Subtle) renders a grid from an edited prompt (``remix``), Vary (Region), Zoom Out 2x / 1.5x,
   Custom Zoom and Pan Left/Right/Up/Down repaint or extend one upscaled image (``inpaint``: outpainting
   keeps the parent's pixels and paints around them), Upscale (Subtle/Creative) doubles it (``upscale``).
   Every derived job names ``parent_job_id`` and ``extra.parent_grid`` (which image of the parent job).
   Parameters live inside the prompt (``--ar``, ``--stylize``, ``--chaos``, ``--weird``, ``--sref``,
   ``--cref``/``--cw`` on v6.1 and niji, ``--oref``/``--ow`` on v7, ``--style raw``, ``--v``/``--niji``);
   sweeps change one of them on a fixed prompt. Permutation prompts (``a fox, {ukiyo-e, watercolor}``)
   submit 2–4 (sweeps: 3–6) jobs at once. Per session the speed is relax (per-artist share 0–80 %: each job
   waits 1.5–10 min in the queue), turbo (0–10 %) or fast (35–70 s a grid); clicks on results come only
   after they rendered. Half the artists import the web archive (time = ``enqueue_time``, UTC, milliseconds:
   the submission), the other half web downloads (time = PNG ``Creation Time``, UTC, seconds: when the job
   finished — so relax results arrive minutes after their submission). Refinement sessions sometimes (40 %)
   start from an upscale made in an earlier sitting (an explicit edge across sessions).
2. **NovelAI anime artists** (``novelai``). A sitting on ~70 % of days (two on 15 %; the first NovelAI
   artist starts at 22:00–23:36), 1–2 projects (60 / 40 %), each on another of the artist's 2–4 characters;
   booru-tag prompts with ``{{tag}}`` / ``[tag]`` weights, the default undesired-content preset (sometimes
   edited mid-session), 832×1216 portraits (sometimes 1216×832 or 1024×1024), prompt guidance 5–6, 28 steps,
   NovelAI sampler and noise-schedule names, one image per click every 10–55 s. Enhance: img2img upscale
   ×1.5 of a picked image (same prompt and seed, strength 0.2–0.5); director tools (emotion, colorize,
   declutter, line art, sketch): an edit of a picked image with no prompt in the file; vibe transfer:
   generations with reference strengths in ``extra`` (a style input, not a parent). NovelAI files name no
   source image: these derivations are ``derived_edges`` only. Time: file mtime, local clock, seconds.
3. **Newcomers** (``a1111``, ``forge``, ``fooocus``, ``easydiffusion``, ``drawthings``, ``sdnext``).
   Sittings every 1–7 days (about six in three weeks), 12–60 min, 60 % starting between 22:00 and 03:59
   local; about one click a minute, batches of 1–4. Each click copies a different long gallery prompt (a
   different subject, 8–14 style tags, often a copied ``<lora:…>`` and negative prompt); after a batch of
   2–4 images, a third of the time they re-run that prompt once (one image) with parameters swung. CFG is
   redrawn from 3–15 on 60 % of clicks, steps from 10–80 on half, the sampler changes every 2–6 images, the
   checkpoint every 3–8 images (with 20–90 s to load), the size on 30 % of clicks. In 12 % of sittings they
   close the UI and try their second one (always in the first newcomer's second sitting). The first newcomer
   (Europe/Berlin) has a sitting from 01:24 on the night of the DST change. Time: file mtime, local clock,
   seconds.
4. **Casual hobbyists on hosted web apps** (``civitai``, ``tensorart``, ``yodayo``, ``krea``, ``dalle``,
   ``chatgpt``). One sitting a week (a fixed weekday, ±1 day now and then), 1–3 requests of 1–4 images, 3–12
   images in all. Civitai writes ``Created Date`` (UTC, milliseconds), DALL·E 3 (Designer) a C2PA ``when``
   (UTC, seconds), ChatGPT a day-truncated C2PA ``when`` plus a precise signature time (the one used, UTC,
   seconds); TensorArt, Yodayo and Krea only the file mtime (local). DALL·E and ChatGPT files carry no
   prompt; a ChatGPT sitting is one conversation of edits, each an unnamed ``img2img`` of the previous
   image.
5. **A shared household / studio account** (two people on one login and one machine). On ~60 % of days an
   evening (start 18:30–21:30 local) of 2–4 stretches of 12–40 min, alternating between the two people 1–6
   min apart; each person has a tool (pairs: forge/fooocus, comfyui/a1111, a1111/invokeai,
   fooocus/drawthings, forge/comfyui) and a domain of subjects of their own. In 20 % of handovers the second
   person stays in the first one's tool. A person coming back in the same evening resumes their project
   (60 %), sometimes upscaling an image from their previous stretch. ComfyUI upscales / img2img name their
   input (``LoadImage`` → ``source_image``: explicit); A1111/Forge/Fooocus/Draw Things derivations and
   InvokeAI canvas inpaints name nothing (derived only). ComfyUI time comes from ``/history`` (UTC, ms),
   InvokeAI from its database (UTC, ms), the others from mtime (local, s).

Time zones: 12 zones from UTC−8 to UTC+13 (the first artist of each kind: Sydney, Tokyo, Berlin,
New York, London); local-clock tools show the fixed UTC offset of the moment, as an ISO 8601 string
gives it (so DST changes show and differences are real time), UTC tools show +00:00. ``created_at`` is
truncated to the precision it claims.

What a session is (the truth)
-----------------------------
1. Per user. "Clustering runs per user over the time-ordered stream." A shared login is one user (the
   documents know no person below the user), so the household's two people share one stream.
2. One tool. "a tool switch is a session boundary": each household handover to the other tool, and a
   newcomer opening a second UI, starts a session even one minute later.
3. One sitting. A session never spans the break between sittings (≥ 90 min, usually hours or days;
   the documents give no number, so the simulator keeps clear of any plausible threshold); inside a
   session pauses stay below ~12 min (a relax queue plus a look at the results).
4. One project. A project is a stretch spent on one subject; the next project (MJ and NovelAI artists
   moving to another subject, a household member taking over the same tool for their own subject) is a
   new session, even minutes later — the documents' ``convergent_selection`` ("exploration followed by
   refinement of one explored concept") is a pattern inside one session, so a session is about one
   concept family. A person resuming a project after the other person's stretch is a new session all
   the same (rule 2, or rule 4 for the stretch between).
5. Unsettled tries are one session. A newcomer "trying prompts" and a hobbyist's handful of images
   have no project: the whole sitting (per tool) is one session, its intent ``exploration`` when the
   prompts differ — exploring is what the documents' ``exploration`` intent names, and nothing in them
   cuts a sitting because its prompts share no words.

Phases (``phase_of``, the documents' intent names) and intents
---------------------------------------------------------------
- ``exploration``: records opening a concept not pursued yet: MJ ``/imagine`` jobs and permutation
  prompts across styles, NovelAI generations with new scene / pose tags and fresh seeds, a newcomer's
  newly copied prompt, a household person's first prompts on a subject, a hobbyist's different ideas.
- ``refinement``: records made from, or on, one chosen concept: every derivation (upscale, variation,
  remix, inpaint / zoom / pan, enhance, director tools, img2img), prompt edits and rerolls of it, seed
  changes, vibe-transfer generations, undesired-content edits.
- ``optimization``: the same prompt with only parameters changed: MJ ``--stylize``/``--chaos``/
  ``--weird``/``--sref``/``--cw``/``--ow``/``--ar`` sweeps, NovelAI guidance / rescale / sampler /
  noise-schedule / steps sweeps on a fixed seed, CFG / steps / sampler / LoRA-weight sweeps, a newcomer's
  re-run of the last prompt with parameters swung.
- Session intent: ``convergent_selection`` when the session opens with exploration and goes on to
  refine one explored concept; otherwise the phase most of its records have (ties: refinement, then
  optimization, then exploration).

Lineage
-------
``explicit_edges``: the child's record names the parent — Midjourney ``parent_job_id`` (+
``extra.parent_grid`` for the image; kinds ``upscale``, ``variation``, ``remix``, ``inpaint``) and
ComfyUI ``source_image`` = the parent's file name (``upscale``, ``img2img``). ``derived_edges`` add the
derivations whose files name nothing (NovelAI enhance / director tools, A1111/Forge/Fooocus/Draw Things
img2img and upscales, InvokeAI inpaints, ChatGPT edits). Style references (``--sref``, ``--cref``,
``--oref``, vibe transfer), rerolls and prompt edits are no edges.

Ambiguities decided here: pan / zoom are ``inpaint`` (outpainting); a MJ plain U1–U4 is ``upscale``
although it only separates the image; a relax job's time is its submission for archive imports and its
completion for web downloads; ``source_image`` is set only where metadata-sources.md shows the tool
writing its input (ComfyUI's ``LoadImage``): NovelAI's, the web UIs' and ChatGPT's edits leave it empty,
so their edges are derived only; the intent names are the documents' (``optimization``, not
"parameter_optimization"); DALL·E and ChatGPT records have no prompt, as their C2PA data holds none.
"""

from __future__ import annotations

import functools
import hashlib
import random
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from bench.simulate import SimulatedLibrary, TruthEdge
from engine.records import GenerationRecord, LoraRef, TimePrecision

FIRST_DAY = datetime(2025, 3, 17, tzinfo=UTC)
"""Monday 17 March 2025, 00:00 UTC: the first simulated (local) day."""
FAMILY_I_VISUAL_DIM = 28
DEFAULT_ARTISTS = 30

KINDS = ("midjourney", "novelai", "newcomer", "hobbyist", "household")
_KIND_WEIGHTS = (0.30, 0.20, 0.20, 0.15, 0.15)
FIRST_ZONES = {
    "midjourney": "Australia/Sydney",
    "novelai": "Asia/Tokyo",
    "newcomer": "Europe/Berlin",
    "hobbyist": "America/New_York",
    "household": "Europe/London",
}
ZONES = (
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Madrid",
    "Asia/Kolkata",
    "Asia/Jakarta",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Asia/Seoul",
)
DST_NIGHT = date(2025, 3, 30)
"""Europe's DST change (02:00 → 03:00 local): the first newcomer sits through it."""

NEWCOMER_TOOLS = ("a1111", "forge", "fooocus", "easydiffusion", "drawthings", "sdnext")
HOBBYIST_TOOLS = ("civitai", "chatgpt", "tensorart", "dalle", "yodayo", "krea")
HOUSEHOLD_TOOL_PAIRS = (
    ("forge", "fooocus"),
    ("comfyui", "a1111"),
    ("a1111", "invokeai"),
    ("fooocus", "drawthings"),
    ("forge", "comfyui"),
)

_CLOCKS: dict[str, tuple[str, TimePrecision, bool]] = {
    # tool: (created_at_source, precision, shown on the local clock)
    "novelai": ("file:mtime", TimePrecision.SECOND, True),
    "comfyui": ("metadata:execution_success", TimePrecision.MILLISECOND, False),
    "invokeai": ("metadata:created_at", TimePrecision.MILLISECOND, False),
    "civitai": ("metadata:Created Date", TimePrecision.MILLISECOND, False),
    "dalle": ("metadata:c2pa.actions.when", TimePrecision.SECOND, False),
    "chatgpt": ("metadata:c2pa.signature_time", TimePrecision.SECOND, False),
}
_MTIME_CLOCK = ("file:mtime", TimePrecision.SECOND, True)
MJ_ARCHIVE_CLOCK = ("metadata:enqueue_time", TimePrecision.MILLISECOND, False)
MJ_DOWNLOAD_CLOCK = ("metadata:Creation Time", TimePrecision.SECOND, False)

# --- Midjourney ------------------------------------------------------------------------------------

MJ_SUBJECTS = (
    "a lighthouse on a basalt cliff", "an old fisherman mending nets", "a glass greenhouse in a snowstorm",
    "a brutalist library interior", "a koi pond seen from above", "a ramen stall in a rainy alley",
    "a tarot card of the moon", "a ceramic teapot on linen", "a red fox in tall grass",
    "an astronaut in a sunflower field", "a floating island monastery", "a jazz trio in a smoky bar",
    "a desert caravan at dusk", "a mechanical hummingbird", "a child reading in a blanket fort",
    "a flooded subway station", "a matcha dessert on a marble counter", "a samurai resting under a maple",
    "an art deco train station", "a giant tortoise carrying a village", "a moth made of stained glass",
    "a lone cyclist on a mountain road", "a witch's apothecary shelf", "a sea cave with glowing water",
    "a retro-futurist kitchen", "a grey-haired botanist in her lab", "a paper boat on a puddle",
    "a polar bear under an aurora", "a cathedral made of coral", "a spice market in Marrakech",
    "a vintage motorcycle in a garage", "a snow leopard on a ledge", "a treehouse city at night",
    "a ballerina in a thunderstorm", "a perfume bottle on wet stone", "a cozy bookshop window",
)  # fmt: skip
MJ_STYLES = (
    "cinematic lighting, 35mm film, kodak portra 400", "watercolor, loose ink lines, paper texture",
    "isometric 3d render, soft pastel palette", "ukiyo-e woodblock print", "hyper-detailed, volumetric light",
    "editorial photography, soft window light", "art nouveau poster, gold leaf", "low-poly, flat shading",
    "double exposure, monochrome", "claymation, stop-motion set", "oil painting, impasto, chiaroscuro",
    "lush painterly anime background", "risograph print, two-tone", "macro photography, shallow focus",
    "dark fantasy, moody fog", "synthwave, neon magenta and cyan", "charcoal sketch, rough strokes",
    "vintage travel poster", "baroque still life", "minimalist vector illustration",
    "infrared photography, surreal colours", "tilt-shift miniature", "gouache storybook illustration",
    "bold swiss graphic design",
)  # fmt: skip
MJ_DETAILS = (
    "at golden hour", "in heavy rain", "under a full moon", "with a red umbrella", "seen from a low angle",
    "wide establishing shot", "close-up", "in morning mist", "with scattered lanterns", "covered in snow",
    "reflected in still water", "among wildflowers", "backlit by the sun", "with long shadows",
    "in autumn colours", "in a thunderstorm",
)  # fmt: skip
MJ_HANDLES = ("nightjar", "pixelmoth", "aurelia", "kestrel", "lumen", "oakhart", "velvetfox", "tidewright")
_MJ_PARAM_ORDER = (
    "ar",
    "chaos",
    "stylize",
    "weird",
    "sref",
    "cref",
    "cw",
    "oref",
    "ow",
    "style",
    "v",
    "niji",
)
_AR_SIZES = {
    "1:1": (1024, 1024),
    "4:5": (928, 1152),
    "2:3": (896, 1344),
    "3:2": (1344, 896),
    "16:9": (1456, 816),
    "9:16": (816, 1456),
    "21:9": (1680, 720),
}
MJ_ACTION_KINDS = {
    "U": "upscale",  # U1–U4
    "V": "variation",  # V1–V4
    "Remix (Strong)": "remix",
    "Remix (Subtle)": "remix",
    "Vary (Strong)": "variation",
    "Vary (Subtle)": "variation",
    "Vary (Region)": "inpaint",
    "Zoom Out 2x": "inpaint",
    "Zoom Out 1.5x": "inpaint",
    "Custom Zoom": "inpaint",
    "Pan Left": "inpaint",
    "Pan Right": "inpaint",
    "Pan Up": "inpaint",
    "Pan Down": "inpaint",
    "Upscale (Subtle)": "upscale",
    "Upscale (Creative)": "upscale",
}
"""Midjourney button (``extra.action``) → lineage kind; ``imagine`` has no parent."""
_MJ_SPREAD = {
    "U": 0.03, "V": 0.25, "Remix (Strong)": 0.35, "Remix (Subtle)": 0.2, "Vary (Strong)": 0.3,
    "Vary (Subtle)": 0.12, "Vary (Region)": 0.18, "Upscale (Subtle)": 0.02, "Upscale (Creative)": 0.07,
}  # fmt: skip
_MJ_SINGLE_ACTIONS = (
    ("Vary (Strong)", 0.14), ("Vary (Subtle)", 0.12), ("Vary (Region)", 0.18), ("Zoom Out 2x", 0.08),
    ("Zoom Out 1.5x", 0.06), ("Custom Zoom", 0.04), ("Pan Left", 0.03), ("Pan Right", 0.03),
    ("Pan Up", 0.02), ("Pan Down", 0.02), ("Upscale (Subtle)", 0.12), ("Upscale (Creative)", 0.08),
    ("Remix (Subtle)", 0.08),
)  # fmt: skip
MJ_SWEEPS: dict[str, tuple[str, ...]] = {
    "stylize": ("0", "50", "100", "250", "500", "750", "1000"),
    "chaos": ("0", "10", "25", "40", "60", "100"),
    "weird": ("0", "250", "500", "1000"),
    "ar": ("1:1", "4:5", "2:3", "3:2", "16:9", "9:16"),
    "cw": ("0", "25", "50", "100"),
    "ow": ("25", "100", "250", "400"),
}
"""Parameters a MJ sweep changes (``sref`` sweeps draw style codes)."""


def mj_action_kind(label: str) -> str:
    """The lineage kind of a Midjourney button label (``U2``, ``V4``, ``Vary (Region)``, …)."""
    if label[:1] in ("U", "V") and label[1:].isdigit():
        return MJ_ACTION_KINDS[label[0]]
    return MJ_ACTION_KINDS[label]


def mj_prompt(base: str, params: dict[str, str]) -> str:
    """A Midjourney prompt as the archive writes it: the text, then ``--name value`` parameters."""
    parts = [base]
    for name in _MJ_PARAM_ORDER:
        if name in params:
            parts.append(f"--{name} {params[name]}")
    return " ".join(parts)


# --- NovelAI ---------------------------------------------------------------------------------------

NAI_CHARACTERS = (
    ("1girl", "solo", "silver hair", "long hair", "red eyes", "hair ribbon", "black serafuku"),
    ("1girl", "solo", "pink hair", "twintails", "green eyes", "maid", "frilled apron"),
    ("1boy", "solo", "black hair", "short hair", "yellow eyes", "scar on face", "military uniform"),
    ("1girl", "solo", "blonde hair", "ponytail", "blue eyes", "knight", "silver armor", "cape"),
    ("1girl", "solo", "purple hair", "bob cut", "heterochromia", "witch hat", "oversized sweater"),
    ("2girls", "blue hair", "orange hair", "matching outfits", "holding hands"),
    ("1girl", "solo", "fox ears", "fox tail", "white hair", "miko", "red hakama"),
    ("1boy", "solo", "brown hair", "glasses", "labcoat", "messy hair"),
)
NAI_SCENES = (
    "cherry blossoms", "classroom", "night sky", "rooftop", "rain", "cafe", "library", "beach", "festival",
    "shrine", "snow", "city lights", "sunset", "forest", "bedroom", "train interior", "underwater",
    "flower field", "starry sky", "lantern",
)  # fmt: skip
NAI_POSES = (
    "standing", "sitting", "looking at viewer", "from side", "smile", "open mouth", "hand up", "looking back",
    "upper body", "full body", "cowboy shot", "dynamic pose", "head tilt", "arms behind back",
)  # fmt: skip
NAI_QUALITY = "best quality, amazing quality, very aesthetic, absurdres"
NAI_UC_PRESET = (
    "lowres, {bad}, error, fewer, extra, missing, worst quality, jpeg artifacts, bad quality, watermark, "
    "unfinished, displeasing, chromatic aberration, signature, extra digits, artistic error, username, "
    "scan, [abstract]"
)
NAI_UC_ADDITIONS = ("{{bad hands}}", "extra fingers", "multiple views", "[[blurry]]", "{{text}}", "3d")
NAI_MODELS = (
    "NovelAI Diffusion V4.5 4BDE2A90",
    "NovelAI Diffusion V4 4F49EC75",
    "Stable Diffusion XL C1E1DE52",
)
NAI_SAMPLERS = ("k_euler_ancestral", "k_euler", "k_dpmpp_2s_ancestral", "k_dpmpp_2m_sde", "k_dpmpp_2m")
NAI_SCHEDULES = ("karras", "exponential", "polyexponential", "native")
NAI_DIRECTOR_TOOLS = ("emotion", "colorize", "declutter", "lineart", "sketch")
NAI_PORTRAIT = (832, 1216)

# --- newcomers -------------------------------------------------------------------------------------

GALLERY_SUBJECTS = (
    "beautiful elven queen with glowing runes on her skin", "cyberpunk samurai standing in neon rain",
    "cozy wooden cabin in snowy mountains at dusk", "portrait of an old sea captain with a pipe",
    "majestic white tiger in a misty bamboo forest", "futuristic city floating above the clouds",
    "cute chibi witch brewing a potion", "hyperrealistic portrait of a woman with freckles",
    "steampunk airship over victorian london", "ancient dragon sleeping on a pile of gold",
    "astronaut cat on the surface of mars", "mermaid princess in an underwater palace",
    "post-apocalyptic wasteland with a rusted car", "japanese garden with a red bridge in autumn",
    "knight in ornate armor facing a giant", "bioluminescent jungle at night",
    "retro 80s car on a neon highway", "fairy sitting on a giant mushroom",
    "viking warrior on a cliff in a storm", "gothic vampire lady in a candlelit hall",
    "lofi girl studying by a rainy window", "abandoned cathedral overgrown with vines",
    "cute robot watering flowers", "portrait of a tribal warrior with face paint",
    "magical library with floating books", "wolf howling at a giant moon",
    "anime boy with headphones on a rooftop", "tropical beach with crystal clear water",
    "phoenix rising from flames", "medieval tavern interior full of people",
    "space station orbiting a gas giant", "porcelain doll with cracked face",
    "samurai cat in a bamboo grove", "ice queen on a frozen throne", "desert nomad riding a camel",
    "haunted victorian mansion at midnight", "goddess made of galaxies and stars",
    "kitsune spirit in a moonlit shrine", "hyperdetailed mechanical owl", "cottagecore girl with a basket",
    "dieselpunk soldier in a trench", "underwater city with glowing domes", "clockwork heart in a glass jar",
    "pirate ship in a whirlpool", "golden retriever in a field of tulips",
)  # fmt: skip
GALLERY_TAILS = (
    "masterpiece", "best quality", "ultra detailed", "8k uhd", "highly detailed", "intricate details",
    "sharp focus", "octane render", "unreal engine 5", "trending on artstation", "concept art",
    "digital painting", "cinematic lighting", "volumetric lighting", "dramatic lighting", "rim light",
    "depth of field", "bokeh", "hdr", "photorealistic", "hyperrealism", "studio quality", "award winning",
    "by greg rutkowski", "by artgerm", "by alphonse mucha", "by wlop", "fantasy art", "dark fantasy",
    "golden ratio", "epic composition", "vibrant colors", "muted colors", "film grain", "dslr",
    "85mm lens", "soft shadows", "god rays", "smooth", "elegant",
)  # fmt: skip
GALLERY_NEGATIVES = (
    "worst quality, low quality, normal quality, lowres, bad anatomy, bad hands, text, error, missing "
    "fingers, extra digit, fewer digits, cropped, jpeg artifacts, signature, watermark, username, blurry",
    "EasyNegative, bad-hands-5, (worst quality:2), (low quality:2), (normal quality:2), monochrome",
    "ugly, deformed, disfigured, poorly drawn face, mutation, mutated, extra limbs, bad proportions, "
    "cloned face, gross proportions, malformed limbs, missing arms, missing legs, fused fingers",
    "(deformed iris, deformed pupils, semi-realistic, cgi, 3d, render, sketch, cartoon, drawing, anime), "
    "text, close up, cropped, out of frame, worst quality, low quality",
)
GALLERY_LORAS = (("add_detail", 0.8), ("more_details", 0.6), ("epiCRealismHelper", 1.0), ("LowRA", 0.4))
NEWCOMER_CHECKPOINTS = (
    "dreamshaper_8.safetensors", "realisticVisionV60B1_v51VAE.safetensors", "revAnimated_v122EOL.safetensors",
    "meinamix_meinaV11.safetensors", "juggernautXL_v9Rundiffusionphoto2.safetensors",
    "sd_xl_base_1.0.safetensors", "ponyDiffusionV6XL_v6StartWithThisOne.safetensors",
    "epicrealism_naturalSinRC1VAE.safetensors", "counterfeitV30_v30.safetensors",
    "absolutereality_v181.safetensors", "v1-5-pruned-emaonly.safetensors", "animagineXLV31_v31.safetensors",
)  # fmt: skip
NEWCOMER_CFGS = (3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 12.0, 15.0)
NEWCOMER_STEPS = (10, 15, 20, 25, 30, 40, 50, 60, 80)
NEWCOMER_SIZES = ((512, 512), (512, 768), (768, 512), (768, 768), (1024, 1024), (832, 1216), (640, 960))
_SAMPLERS = {
    "a1111": ("Euler a", "DPM++ 2M Karras", "DPM++ SDE Karras", "DDIM", "UniPC", "Heun", "LMS", "DPM2 a"),
    "forge": ("Euler a", "DPM++ 2M", "DPM++ 2M SDE", "DDIM", "UniPC", "Restart", "LCM"),
    "sdnext": ("Euler a", "DPM++ 2M", "UniPC", "DDIM", "Heun", "DEIS"),
    "fooocus": ("dpmpp_2m_sde_gpu", "euler_ancestral", "dpmpp_3m_sde_gpu", "lcm", "dpmpp_2m"),
    "easydiffusion": ("euler_a", "dpmpp_2m", "ddim", "unipc_snr", "dpm2_a"),
    "drawthings": ("DPM++ 2M Karras", "Euler A Trailing", "DDIM Trailing", "UniPC", "DPM++ SDE Karras"),
    "comfyui": ("euler", "dpmpp_2m", "dpmpp_2m_sde", "uni_pc", "euler_ancestral"),
    "invokeai": ("dpmpp_2m_k", "euler_a", "dpmpp_sde_k", "unipc"),
}

# --- hobbyists and households ------------------------------------------------------------------------

HOBBY_IDEAS = (
    "a corgi astronaut floating in space, digital art", "my cat as a renaissance painting",
    "a cozy coffee shop on a rainy day, anime style", "a dragon made of flowers", "a castle on a cloud",
    "a birthday card with balloons and a teddy bear", "a superhero version of a hamster",
    "a watercolor of the amalfi coast", "a robot chef making pancakes", "a unicorn in a neon city",
    "a logo for a bakery called sunny crumbs", "a fantasy map of an island", "a sloth playing guitar",
    "a haunted pumpkin patch", "a frog wizard reading a book", "a tiny house in a forest",
)  # fmt: skip
HOBBY_TWEAKS = (", pastel colors", ", more detailed", ", at night", ", cartoon style", ", photorealistic",
                ", with sparkles", ", wide angle", ", cute")  # fmt: skip
HOBBY_MODELS = {
    "civitai": ("Juggernaut XL", "Pony Diffusion V6 XL", "Flux.1 D", "DreamShaper XL"),
    "tensorart": ("AnythingXL", "RealVisXL V4.0", "Flux.1 Schnell"),
    "yodayo": ("Yodayo Anime XL", "Counterfeit-V3.0"),
    "krea": ("Krea 1", "Flux"),
}
HOUSEHOLD_DOMAINS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # domain: (project subjects, style tags)
    "fantasy portraits": (
        (
            "elf ranger with a longbow",
            "dwarf blacksmith at the forge",
            "tiefling bard with a lute",
            "half-orc paladin in white armor",
            "gnome artificer with goggles",
            "human cleric with a lantern",
        ),
        ("fantasy portrait", "detailed face", "dramatic rim light", "painterly", "dnd character art"),
    ),
    "interior design": (
        (
            "scandinavian living room",
            "japandi bedroom",
            "industrial loft kitchen",
            "mid-century home office",
            "boho reading nook",
            "minimalist bathroom with terrazzo",
        ),
        ("interior photography", "natural light", "architectural digest", "wide angle", "soft shadows"),
    ),
    "storybook animals": (
        (
            "a hedgehog baking bread",
            "a family of otters in a canoe",
            "a bear knitting a scarf",
            "a mouse postman in the rain",
            "a fox and a rabbit sharing tea",
            "an owl teacher at a blackboard",
        ),
        ("children's book illustration", "watercolor", "soft pastel colors", "whimsical", "cute"),
    ),
    "sci-fi vehicles": (
        (
            "hover tank in a desert",
            "cargo starship docking",
            "armored rover on an ice moon",
            "racing pod on a neon track",
            "orbital shuttle at launch",
            "mech walker in a forest",
        ),
        ("hard surface concept art", "industrial design", "octane render", "cinematic", "matte painting"),
    ),
    "botanical plates": (
        (
            "monstera leaf study",
            "wild orchid specimen",
            "mushroom cross-section",
            "fern fronds unfurling",
            "succulent collection",
            "poppy seed head",
        ),
        ("botanical illustration", "vintage scientific plate", "ink and watercolor", "white background"),
    ),
    "pet portraits": (
        (
            "grey tabby cat on a windowsill",
            "border collie in a meadow",
            "pair of budgies on a branch",
            "old labrador by the fireplace",
            "rabbit in a flower crown",
            "tortoise in a garden",
        ),
        ("pet portrait", "oil painting", "soft studio light", "shallow depth of field", "warm tones"),
    ),
}
HOUSEHOLD_MODELS = (
    "juggernautXL_v9Rundiffusionphoto2.safetensors", "sd_xl_base_1.0.safetensors",
    "flux1-dev-fp8.safetensors", "realvisxlV40_v40Bakedvae.safetensors",
    "dreamshaperXL_lightningDPMSDE.safetensors",
)  # fmt: skip

Look = tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class FamilyIArtist:
    """One simulated artist (or shared account): its user name, kind, home time zone, and its rank among
    the artists of its kind (``ordinal``; the first of a kind gets the habits the tests rely on)."""

    name: str
    kind: str
    zone: str
    ordinal: int


def family_i_roster(seed: int, artists: int) -> list[FamilyIArtist]:
    """The artists of a library: the five kinds twice over, then the rest shared by the kinds' weights
    (largest remainders) in a seeded order; every artist past the first of its kind gets a drawn zone."""
    rng = _Rng(f"family-i-roster-{seed}")
    kinds = [KINDS[i % len(KINDS)] for i in range(min(artists, 2 * len(KINDS)))]
    rest = artists - len(kinds)
    if rest > 0:
        shares = [rest * w for w in _KIND_WEIGHTS]
        quota = [int(share) for share in shares]
        by_remainder = sorted(range(len(KINDS)), key=lambda i: (quota[i] - shares[i], i))
        for i in by_remainder[: rest - sum(quota)]:
            quota[i] += 1
        extra = [kind for kind, n in zip(KINDS, quota, strict=True) for _ in range(n)]
        rng.shuffle(extra)
        kinds += extra
    counts: Counter[str] = Counter()
    out: list[FamilyIArtist] = []
    for index, kind in enumerate(kinds):
        zone = FIRST_ZONES[kind] if counts[kind] == 0 else rng.choice(ZONES)
        out.append(FamilyIArtist(name=f"i-artist-{index:02d}", kind=kind, zone=zone, ordinal=counts[kind]))
        counts[kind] += 1
    return out


class _Rng(random.Random):
    """``random.Random`` seeded from a string, plus the draws used throughout."""

    def seconds(self, low: float, high: float) -> timedelta:
        return timedelta(seconds=self.uniform(low, high))

    def weighted(self, pairs: tuple[tuple[str, float], ...]) -> str:
        return self.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.getrandbits(128), version=4))


@functools.lru_cache(maxsize=8192)
def _direction(key: str) -> np.ndarray:
    digest = hashlib.sha256(f"family-i-look:{key}".encode()).digest()
    vector = np.random.default_rng(int.from_bytes(digest[:8], "little")).normal(size=FAMILY_I_VISUAL_DIM)
    return np.asarray(vector / np.linalg.norm(vector), dtype=np.float64)


def _slug(text: str, words: int = 6) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", text.lower())[:words]) or "image"


def _local_start(day_index: int, hour: float, zone: ZoneInfo) -> datetime:
    """The UTC instant of ``hour`` (may exceed 24) on simulated local day ``day_index``."""
    day = (FIRST_DAY + timedelta(days=day_index)).date()
    wall = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(hours=hour)
    return wall.astimezone(UTC)


def _stamp(when: datetime, zone: ZoneInfo | None, precision: TimePrecision) -> datetime:
    shown = when.astimezone(UTC)
    if zone is not None:  # a fixed offset, as an ISO 8601 string gives it (and real-time arithmetic)
        local = when.astimezone(zone)
        shown = local.replace(tzinfo=timezone(local.utcoffset() or timedelta(0)))
    if precision is TimePrecision.SECOND:
        return shown.replace(microsecond=0)
    if precision is TimePrecision.MILLISECOND:
        return shown.replace(microsecond=shown.microsecond - shown.microsecond % 1000)
    if precision is TimePrecision.MINUTE:
        return shown.replace(second=0, microsecond=0)
    return shown


def _intent_of(script: str, phases: list[str]) -> str:
    if script == "convergent_selection" and phases[0] == "exploration" and "refinement" in phases:
        return script
    counts = Counter(phases)
    return max(("refinement", "optimization", "exploration"), key=lambda phase: counts[phase])


@dataclass(slots=True)
class _Session:
    key: str
    user: str
    tool: str
    zone: ZoneInfo | None
    source: str
    precision: TimePrecision
    script: str
    phases: list[str] = field(default_factory=list)
    records: list[GenerationRecord] = field(default_factory=list)


class _Builder:
    """Collects records, truth and visual vectors; sorts everything by time at the end."""

    def __init__(self, seed: int, with_visual: bool) -> None:
        self.seed = seed
        self.with_visual = with_visual
        self.library = SimulatedLibrary()
        self.vis_rng = np.random.default_rng(seed + 8_100_000)
        self.rows: list[tuple[float, str, int, GenerationRecord]] = []
        self.sessions_of_user: Counter[str] = Counter()
        self.records_of_user: Counter[str] = Counter()
        self.counters: Counter[str] = Counter()

    def open(
        self,
        artist: FamilyIArtist,
        tool: str,
        script: str,
        clock: tuple[str, TimePrecision, bool] | None = None,
    ) -> _Session:
        source, precision, local = clock or _CLOCKS.get(tool, _MTIME_CLOCK)
        self.sessions_of_user[artist.name] += 1
        return _Session(
            key=f"{artist.name}/{self.sessions_of_user[artist.name]:03d}",
            user=artist.name,
            tool=tool,
            zone=ZoneInfo(artist.zone) if local else None,
            source=source,
            precision=precision,
            script=script,
        )

    def counter(self, key: str) -> int:
        self.counters[key] += 1
        return self.counters[key]

    def emit(
        self,
        session: _Session,
        when: datetime,
        phase: str,
        *,
        look: Look = (),
        near: GenerationRecord | None = None,
        spread: float = 0.3,
        **fields: Any,
    ) -> GenerationRecord:
        user = session.user
        number = self.records_of_user[user]
        self.records_of_user[user] += 1
        record_id = hashlib.sha1(f"family-i:{self.seed}:{user}:{number}".encode()).hexdigest()[:16]
        stamp = _stamp(when, session.zone, session.precision)
        record = GenerationRecord(
            id=record_id,
            tool=session.tool,
            created_at=stamp,
            created_at_source=session.source,
            created_at_precision=session.precision,
            user=user,
            **fields,
        )
        self.rows.append((stamp.timestamp(), user, len(self.rows), record))
        session.records.append(record)
        session.phases.append(phase)
        self.library.session_of[record_id] = session.key
        self.library.phase_of[record_id] = phase
        if self.with_visual:
            if near is not None:
                vector = self.library.visual[near.id].copy()
            else:
                vector = np.zeros(FAMILY_I_VISUAL_DIM, dtype=np.float64)
                for key, weight in look:
                    vector += weight * _direction(key)
            vector += spread * self.vis_rng.normal(size=FAMILY_I_VISUAL_DIM) / np.sqrt(FAMILY_I_VISUAL_DIM)
            self.library.visual[record_id] = np.asarray(vector / np.linalg.norm(vector), dtype=np.float64)
        return record

    def edge(self, parent: GenerationRecord, child: GenerationRecord, kind: str, explicit: bool) -> None:
        assert parent.created_at is not None and child.created_at is not None
        assert parent.created_at < child.created_at, (parent, child)
        edge = TruthEdge(parent=parent.id, child=child.id, kind=kind)
        self.library.derived_edges.append(edge)
        if explicit:
            assert child.source_image == parent.file_name or child.parent_job_id == parent.job_id
            self.library.explicit_edges.append(edge)

    def close(self, session: _Session) -> None:
        if session.records:
            self.library.session_intent[session.key] = _intent_of(session.script, session.phases)

    def finish(self) -> SimulatedLibrary:
        self.rows.sort(key=lambda row: (row[0], row[1], row[2]))
        self.library.records = [row[3] for row in self.rows]
        return self.library


# --- Midjourney power users ------------------------------------------------------------------------


@dataclass(slots=True)
class _MjHabits:
    version: tuple[str, str]
    archive: bool
    author: str
    handle: str
    relax_share: float
    turbo_share: float
    think: tuple[float, float]
    ar: str
    raw: bool
    stylize: str | None
    window: tuple[float, float]


@dataclass(slots=True)
class _MjJob:
    job_id: str
    single: bool
    base: str
    params: dict[str, str]
    records: list[GenerationRecord]


@dataclass(slots=True)
class _MjSpec:
    base: str
    params: dict[str, str]
    phase: str
    look: Look = ()
    action: str = "imagine"
    parent: _MjJob | None = None
    index: int = 0
    near: GenerationRecord | None = None


def _mj_habits(rng: _Rng, artist: FamilyIArtist) -> _MjHabits:
    version = rng.choices([("v", "6.1"), ("v", "7"), ("niji", "6")], weights=[0.4, 0.45, 0.15])[0]
    archive = rng.random() < 0.5
    relax = rng.choice((0.0, 0.2, 0.5, 0.8))
    if artist.ordinal < 2:  # the first two: one archive, one download user, both often in relax
        archive, relax = artist.ordinal == 0, 0.6
    return _MjHabits(
        version=version,
        archive=archive,
        author=f"u{rng.randint(10**9, 10**10 - 1)}",
        handle=f"{rng.choice(MJ_HANDLES)}{rng.randint(1, 99)}",
        relax_share=relax,
        turbo_share=rng.choice((0.0, 0.0, 0.1)),
        think=(rng.uniform(5, 15), rng.uniform(30, 90)),
        ar=rng.choice(("1:1", "2:3", "3:2", "16:9", "4:5")),
        raw=version[0] == "v" and rng.random() < 0.4,
        stylize=rng.choice((None, "100", "250", "400")),
        window=rng.choice(((19.0, 22.5), (13.0, 17.0), (8.0, 11.0), (21.5, 23.5)))
        if artist.ordinal
        else (21.5, 23.5),  # the first one is a night owl: sittings run past local midnight
    )


def _mj_edit(base: str, rng: _Rng) -> str:
    """A remix / prompt edit: swap or add a detail, or change the style (always a different text)."""
    subject, _, rest = base.partition(", ")
    words = next(s for s in MJ_SUBJECTS if subject.startswith(s))  # the subject without its detail
    while True:
        if rng.random() < 0.6:
            detail = rng.choice(MJ_DETAILS)
            edited = f"{words} {detail}, {rest}" if rest else f"{words} {detail}"
        else:
            edited = f"{subject}, {rng.choice(MJ_STYLES)}"
        if edited != base:
            return edited


class _MjRun:
    """One Midjourney project session: rounds of jobs, submitted and waited for."""

    def __init__(
        self,
        b: _Builder,
        artist: FamilyIArtist,
        habits: _MjHabits,
        rng: _Rng,
        session: _Session,
        now: datetime,
        subject: str,
    ) -> None:
        self.b, self.artist, self.habits, self.rng, self.session = b, artist, habits, rng, session
        self.now = now
        self.subject = subject
        draw = rng.random()
        self.speed = "relax" if draw < habits.relax_share else "fast"
        if self.speed == "fast" and draw < habits.relax_share + habits.turbo_share:
            self.speed = "turbo"

    def base_params(self) -> dict[str, str]:
        params = {"ar": self.habits.ar}
        if self.habits.stylize:
            params["stylize"] = self.habits.stylize
        if self.habits.raw:
            params["style"] = "raw"
        params[self.habits.version[0]] = self.habits.version[1]
        return params

    def _render_seconds(self, action: str) -> float:
        rng = self.rng
        if action[:1] == "U" and action[1:].isdigit():
            return rng.uniform(2, 6)
        heavy = action.startswith("Upscale (")
        if self.speed == "turbo":
            return rng.uniform(30, 50) if heavy else rng.uniform(14, 25)
        work = rng.uniform(60, 120) if heavy else rng.uniform(35, 70)
        if self.speed == "relax":
            work += rng.uniform(90, 540)
        return work

    def round(self, specs: list[_MjSpec], together: bool) -> list[_MjJob]:
        rng, habits = self.rng, self.habits
        submit = self.now
        latest = submit
        jobs: list[_MjJob] = []
        for position, spec in enumerate(specs):
            if position:
                submit += timedelta(milliseconds=rng.randint(3, 80)) if together else rng.seconds(1.5, 8)
            done = submit + timedelta(seconds=self._render_seconds(spec.action))
            latest = max(latest, done)
            jobs.append(self._job(spec, submit if habits.archive else done, submit))
        self.now = latest + rng.seconds(*habits.think)
        return jobs

    def _job(self, spec: _MjSpec, when: datetime, submitted: datetime) -> _MjJob:
        habits, rng = self.habits, self.rng
        action = spec.action
        single = action.startswith("Upscale (") or (action[:1] == "U" and action[1:].isdigit())
        job_id = rng.uuid()
        prompt = mj_prompt(spec.base, spec.params)
        parent = spec.parent.records[spec.index] if spec.parent is not None else None
        width, height = _AR_SIZES[spec.params.get("ar", "1:1")]
        if parent is not None and parent.width and parent.height:
            if single:
                factor = 2 if action.startswith("Upscale (") else 1
                width, height = parent.width * factor, parent.height * factor
            elif action in ("Pan Left", "Pan Right"):
                width = width * 3 // 2
            elif action in ("Pan Up", "Pan Down"):
                height = height * 3 // 2
        kind = mj_action_kind(action) if parent is not None else None
        spread = _MJ_SPREAD.get(action.rstrip("1234") if action[:1] in "UV" else action, 0.22)
        stem = f"{habits.handle}_{_slug(spec.base, 5)}_{job_id}"
        records: list[GenerationRecord] = []
        for index in range(1 if single else 4):
            extra: dict[str, Any] = {"action": action, "speed": self.speed}
            if not single:
                extra["image_index"] = index
            if parent is not None:
                extra["parent_grid"] = spec.index
            if habits.archive:
                extra["enqueue_time"] = f"{submitted:%Y-%m-%d %H:%M:%S}.{submitted.microsecond // 1000:03d}"
            else:
                extra["Author"] = habits.author
                extra["Digital Image GUID"] = job_id
            near = parent if parent is not None else spec.near
            record = self.b.emit(
                self.session,
                when,
                spec.phase,
                look=spec.look,
                near=near,
                spread=spread if parent is not None else (0.25 if near is not None else 0.4),
                prompt=prompt,
                width=width,
                height=height,
                job_id=job_id,
                parent_job_id=spec.parent.job_id if spec.parent is not None else None,
                file_name=f"{stem}.png" if single else f"{stem}_{index}.png",
                extra=extra,
            )
            if parent is not None and kind is not None:
                self.b.edge(parent, record, kind, explicit=True)
            records.append(record)
        return _MjJob(job_id=job_id, single=single, base=spec.base, params=dict(spec.params), records=records)

    def look(self, style: str, extra_key: str | None = None) -> Look:
        keys: list[tuple[str, float]] = [(f"mj:{self.subject}", 1.0), (f"style:{style}", 0.6)]
        keys.append((f"artist:{self.artist.name}", 0.25))
        if extra_key:
            keys.append((extra_key, 0.25))
        return tuple(keys)

    def explore(self, styles: list[str], params: dict[str, str], rounds: int) -> list[_MjJob]:
        rng = self.rng
        jobs: list[_MjJob] = []
        for _ in range(rounds):
            detail = f" {rng.choice(MJ_DETAILS)}" if rng.random() < 0.4 else ""
            if rng.random() < 0.35:  # a permutation prompt: {style a, style b, …}
                picks = rng.sample(MJ_STYLES, rng.randint(2, 4))
                specs = [
                    _MjSpec(f"{self.subject}{detail}, {style}", dict(params), "exploration", self.look(style))
                    for style in picks
                ]
                jobs += self.round(specs, together=True)
            else:
                style = rng.choice(styles)
                spec = _MjSpec(
                    f"{self.subject}{detail}, {style}", dict(params), "exploration", self.look(style)
                )
                jobs += self.round([spec], together=False)
        return jobs

    def sweep(self, base: str, style: str, params: dict[str, str], sweeps: int) -> list[_MjJob]:
        rng = self.rng
        jobs = self.round([_MjSpec(base, dict(params), "optimization", self.look(style))], together=False)
        version7 = params.get("v") == "7"
        for _ in range(sweeps):
            name = rng.choice(("stylize", "stylize", "chaos", "weird", "ar", "sref", "cref"))
            fixed = dict(params)
            if name == "sref":
                values = [str(rng.randint(10**6, 10**10)) for _ in range(rng.randint(3, 5))]
            elif name == "cref":
                fixed["oref" if version7 else "cref"] = f"https://s.mj.run/{rng.uuid()[:11]}"
                name = "ow" if version7 else "cw"
                values = list(MJ_SWEEPS[name])
            else:
                pool = MJ_SWEEPS[name]
                values = [
                    pool[i] for i in sorted(rng.sample(range(len(pool)), rng.randint(3, min(6, len(pool)))))
                ]
            specs = [
                _MjSpec(base, {**fixed, name: value}, "optimization", self.look(style, f"{name}:{value}"))
                for value in values
            ]
            if rng.random() < 0.5:
                jobs += self.round(specs, together=True)
            else:
                for spec in specs:
                    jobs += self.round([spec], together=False)
            params = {**fixed, name: rng.choice(values)}
        return jobs

    def refine(self, start: _MjJob, index: int, steps: int, rerolls: bool) -> list[_MjJob]:
        rng = self.rng
        pool = [start]
        chosen = {start.job_id: index}
        for _ in range(steps):
            job = pool[-1] if rng.random() < 0.65 else rng.choice(pool)
            idx = chosen.get(job.job_id, rng.randrange(4)) if not job.single else 0
            if rerolls and rng.random() < 0.12:  # a prompt edit, submitted as a new job
                spec = _MjSpec(_mj_edit(job.base, rng), dict(job.params), "refinement", near=job.records[idx])
                pool += self.round([spec], together=False)
                continue
            if not job.single:
                draw = rng.random()
                if draw < 0.45:
                    picks = rng.sample(range(4), rng.choice((1, 1, 1, 2, 2, 4)))
                    specs = [
                        _MjSpec(
                            job.base, dict(job.params), "refinement", action=f"U{k + 1}", parent=job, index=k
                        )
                        for k in picks
                    ]
                elif draw < 0.78:
                    specs = [
                        _MjSpec(
                            job.base,
                            dict(job.params),
                            "refinement",
                            action=f"V{idx + 1}",
                            parent=job,
                            index=idx,
                        )
                    ]
                else:
                    specs = [
                        _MjSpec(
                            _mj_edit(job.base, rng), dict(job.params), "refinement",
                            action="Remix (Strong)", parent=job, index=idx,
                        )
                    ]  # fmt: skip
            else:
                action = rng.weighted(_MJ_SINGLE_ACTIONS)
                base = job.base
                if action.startswith("Remix") or (
                    action in ("Vary (Region)", "Custom Zoom") and rng.random() < 0.5
                ):
                    base = _mj_edit(job.base, rng)
                specs = [_MjSpec(base, dict(job.params), "refinement", action=action, parent=job, index=0)]
            new = self.round(specs, together=False)
            pool += new
        return pool


def _simulate_midjourney(b: _Builder, artist: FamilyIArtist, rng: _Rng, days: int) -> None:
    habits = _mj_habits(rng, artist)
    zone = ZoneInfo(artist.zone)
    clock = MJ_ARCHIVE_CLOCK if habits.archive else MJ_DOWNLOAD_CLOCK
    last_end = FIRST_DAY - timedelta(days=1)
    singles: list[_MjJob] = []
    for day in range(days):
        count = rng.choices((0, 1, 2), weights=(0.3, 0.55, 0.15))[0]
        hours = [rng.uniform(*habits.window)] if count == 1 else []
        if count == 2:
            hours = [rng.uniform(8.0, 12.5), rng.uniform(18.5, 22.5)]
        for hour in hours:
            now = _local_start(day, hour, zone)
            if now < last_end + timedelta(minutes=90):
                continue
            earlier = list(singles)  # a revisit starts from an upscale of an earlier sitting
            subjects = rng.sample(MJ_SUBJECTS, 3)  # one subject per project
            for subject in subjects[: rng.choices((1, 2, 3), weights=(0.5, 0.38, 0.12))[0]]:
                script = rng.choices(
                    ("convergent_selection", "refinement", "optimization", "exploration"),
                    weights=(0.45, 0.2, 0.2, 0.15),
                )[0]
                session = b.open(artist, "midjourney", script, clock)
                revisit = earlier[-rng.randint(1, min(6, len(earlier)))] if earlier else None
                if script == "refinement" and revisit is not None and rng.random() < 0.4:
                    subject = revisit.base.split(", ")[0]
                else:
                    revisit = None
                run = _MjRun(b, artist, habits, rng, session, now, subject)
                styles = rng.sample(MJ_STYLES, 6)
                params = run.base_params()
                if script == "convergent_selection":
                    explored = run.explore(styles, params, rng.randint(3, 7))
                    jobs = run.refine(
                        rng.choice(explored), rng.randrange(4), rng.randint(5, 13), rerolls=False
                    )
                elif script == "refinement":
                    if revisit is None:
                        start = run.round(
                            [_MjSpec(f"{subject}, {styles[0]}", params, "refinement", run.look(styles[0]))],
                            False,
                        )[0]
                        jobs = run.refine(start, rng.randrange(4), rng.randint(8, 18), rerolls=True)
                    else:
                        jobs = run.refine(revisit, 0, rng.randint(6, 14), rerolls=True)
                else:
                    if script == "optimization":
                        jobs = run.sweep(f"{subject}, {styles[0]}", styles[0], params, rng.randint(1, 2))
                        upscales = rng.randint(1, 3)
                    else:
                        jobs = run.explore(styles, params, rng.randint(6, 12))
                        upscales = rng.randint(0, 2)
                    grids = [job for job in jobs if not job.single]
                    for job in rng.sample(grids, min(upscales, len(grids))):
                        k = rng.randrange(4)
                        jobs += run.round(
                            [
                                _MjSpec(
                                    job.base,
                                    job.params,
                                    "refinement",
                                    action=f"U{k + 1}",
                                    parent=job,
                                    index=k,
                                )
                            ],
                            False,
                        )
                singles += [job for job in jobs if job.single]
                b.close(session)
                now = run.now + rng.seconds(60, 480)
                last_end = run.now


# --- NovelAI anime artists -------------------------------------------------------------------------


@dataclass(slots=True)
class _NaiState:
    character: tuple[str, ...]
    scene: list[str]
    weights: dict[str, int]
    uc: str
    seed: int
    scale: float
    steps: int
    sampler: str
    schedule: str
    rescale: float
    size: tuple[int, int]

    def prompt(self) -> str:
        tags: list[str] = []
        for tag in (*self.character, *self.scene):
            weight = self.weights.get(tag, 0)
            tags.append(
                "{" * weight + tag + "}" * weight if weight >= 0 else "[" * -weight + tag + "]" * -weight
            )
        return ", ".join(tags) + ", " + NAI_QUALITY

    def copy(self) -> _NaiState:
        return _NaiState(
            self.character, list(self.scene), dict(self.weights), self.uc, self.seed, self.scale, self.steps,
            self.sampler, self.schedule, self.rescale, self.size,
        )  # fmt: skip


class _NaiRun:
    def __init__(
        self, b: _Builder, session: _Session, rng: _Rng, model: str, now: datetime, think: float
    ) -> None:
        self.b, self.session, self.rng, self.model, self.now, self.think = b, session, rng, model, now, think

    def _advance(self, low: float, high: float) -> datetime:
        self.now += self.rng.seconds(low, high)
        return self.now

    def gen(
        self,
        st: _NaiState,
        phase: str,
        *,
        near: GenerationRecord | None = None,
        spread: float = 0.35,
        extra: dict[str, Any] | None = None,
    ) -> GenerationRecord:
        when = self._advance(5, 14)
        prompt = st.prompt()
        words = re.sub(r"[{}\[\]]", "", prompt)[:48].rstrip(", ")
        record = self.b.emit(
            self.session,
            when,
            phase,
            look=((f"nai:{','.join(st.character)}", 1.0), (f"scene:{','.join(sorted(st.scene))}", 0.6)),
            near=near,
            spread=spread,
            prompt=prompt,
            negative_prompt=st.uc,
            seed=st.seed,
            cfg_scale=st.scale,
            steps=st.steps,
            sampler=st.sampler,
            scheduler=st.schedule,
            model=self.model,
            width=st.size[0],
            height=st.size[1],
            file_name=f"{words} s-{st.seed}.png",
            extra={"Software": "NovelAI", "Source": self.model, "cfg_rescale": st.rescale, **(extra or {})},
        )
        self._advance(4, self.think)
        return record

    def enhance(self, parent: GenerationRecord) -> GenerationRecord:
        assert parent.width is not None and parent.height is not None
        strength = round(self.rng.uniform(0.2, 0.5), 2)
        when = self._advance(20, 40)
        record = self.b.emit(
            self.session,
            when,
            "refinement",
            near=parent,
            spread=0.04,
            prompt=parent.prompt,
            negative_prompt=parent.negative_prompt,
            seed=parent.seed,
            cfg_scale=parent.cfg_scale,
            steps=parent.steps,
            sampler=parent.sampler,
            scheduler=parent.scheduler,
            model=parent.model,
            width=parent.width * 3 // 2,
            height=parent.height * 3 // 2,
            denoise=strength,
            file_name=f"{(parent.file_name or 'image').removesuffix('.png')} enhanced.png",
            extra={
                "Software": "NovelAI",
                "Source": self.model,
                "strength": strength,
                "noise": 0.0,
                "enhance": True,
            },
        )
        self.b.edge(parent, record, "upscale", explicit=False)
        self._advance(4, self.think)
        return record

    def director(self, parent: GenerationRecord) -> GenerationRecord:
        tool = self.rng.choice(NAI_DIRECTOR_TOOLS)
        extra: dict[str, Any] = {"Software": "NovelAI", "director_tool": tool}
        if tool == "emotion":
            extra["emotion"] = self.rng.choice(("happy", "sad", "angry", "surprised", "shy", "smug"))
        when = self._advance(6, 15)
        record = self.b.emit(
            self.session,
            when,
            "refinement",
            near=parent,
            spread=0.12,
            width=parent.width,
            height=parent.height,
            file_name=f"NovelAI_{tool}_{self.b.counter(self.session.user + ':director'):04d}.png",
            extra=extra,
        )
        self.b.edge(parent, record, "img2img", explicit=False)
        self._advance(4, self.think)
        return record


def _nai_tweak(st: _NaiState, rng: _Rng) -> None:
    draw = rng.random()
    if draw < 0.35:
        st.scene.append(rng.choice([t for t in NAI_SCENES + NAI_POSES if t not in st.scene]))
    elif draw < 0.55 and len(st.scene) > 2:
        st.scene.remove(rng.choice(st.scene))
    else:
        tag = rng.choice([*st.character, *st.scene])
        st.weights[tag] = max(-2, min(3, st.weights.get(tag, 0) + rng.choice((-1, 1, 1))))


def _nai_session(run: _NaiRun, rng: _Rng, base: _NaiState, script: str) -> None:
    st = base.copy()
    best: GenerationRecord | None = None
    if script in ("convergent_selection", "exploration"):
        explored: list[tuple[GenerationRecord, _NaiState]] = []
        for _ in range(rng.randint(8, 18) if script == "convergent_selection" else rng.randint(15, 30)):
            st.scene = rng.sample(NAI_SCENES, rng.randint(1, 3)) + rng.sample(NAI_POSES, rng.randint(1, 3))
            st.seed = rng.randint(0, 2**32 - 1)
            explored.append((run.gen(st, "exploration"), st.copy()))
        if script == "exploration":
            for parent, _ in rng.sample(explored, rng.randint(0, 1)):
                run.enhance(parent)
            return
        best, st = rng.choice(explored)
        st = st.copy()
    elif script == "refinement":
        st.scene = rng.sample(NAI_SCENES, 2) + rng.sample(NAI_POSES, 2)
        st.seed = rng.randint(0, 2**32 - 1)
        best = run.gen(st, "refinement")
    if script == "optimization":
        st.scene = rng.sample(NAI_SCENES, 2) + rng.sample(NAI_POSES, 2)
        st.seed = rng.randint(0, 2**32 - 1)
        made = [run.gen(st, "optimization")]
        for _ in range(rng.randint(8, 20)):
            sweep = rng.choice(("scale", "scale", "rescale", "sampler", "schedule", "steps"))
            if sweep == "scale":
                st.scale = rng.choice((3.0, 4.0, 4.5, 5.0, 5.5, 6.0, 7.0, 8.0))
            elif sweep == "rescale":
                st.rescale = rng.choice((0.0, 0.1, 0.2, 0.4, 0.7))
            elif sweep == "sampler":
                st.sampler = rng.choice(NAI_SAMPLERS)
            elif sweep == "schedule":
                st.schedule = rng.choice(NAI_SCHEDULES)
            else:
                st.steps = rng.choice((23, 28, 35, 50))
            made.append(run.gen(st, "optimization", near=made[0], spread=0.1))
        for parent in rng.sample(made, rng.randint(1, 2)):
            run.enhance(parent)
        return
    assert best is not None
    for _ in range(rng.randint(10, 25) if script == "convergent_selection" else rng.randint(15, 35)):
        draw = rng.random()
        if draw < 0.35:
            _nai_tweak(st, rng)
            if rng.random() < 0.4:
                st.seed = rng.randint(0, 2**32 - 1)
            best = run.gen(st, "refinement", near=best, spread=0.2)
        elif draw < 0.52:
            st.seed = rng.randint(0, 2**32 - 1)
            best = run.gen(st, "refinement", near=best, spread=0.22)
        elif draw < 0.6:
            addition = rng.choice([a for a in NAI_UC_ADDITIONS if a not in st.uc] or ["{{worst quality}}"])
            st.uc = f"{st.uc}, {addition}"
            best = run.gen(st, "refinement", near=best, spread=0.15)
        elif draw < 0.75:
            run.enhance(best)
        elif draw < 0.83:
            run.director(best)
        else:
            vibe = {
                "reference_information_extracted_multiple": [1.0],
                "reference_strength_multiple": [round(rng.uniform(0.3, 0.8), 2)],
            }
            run.gen(st, "refinement", near=best, spread=0.25, extra=vibe)


def _simulate_novelai(b: _Builder, artist: FamilyIArtist, rng: _Rng, days: int) -> None:
    zone = ZoneInfo(artist.zone)
    model = rng.choice(NAI_MODELS)
    characters = rng.sample(NAI_CHARACTERS, rng.randint(2, 4))
    think = rng.uniform(15, 40)
    window = rng.choice(((19.0, 23.0), (20.5, 23.5), (13.0, 17.0))) if artist.ordinal else (22.0, 23.6)
    sampler = rng.choice(NAI_SAMPLERS[:3])
    last_end = FIRST_DAY - timedelta(days=1)
    for day in range(days):
        draw = rng.random()
        hours = [] if draw < 0.3 else [rng.uniform(*window)]
        if draw > 0.85:
            hours = [rng.uniform(10.0, 13.0), rng.uniform(*window)]
        for hour in hours:
            now = _local_start(day, hour, zone)
            if now < last_end + timedelta(minutes=90):
                continue
            cast = rng.sample(characters, 2)  # one character per project
            for character in cast[: rng.choices((1, 2), weights=(0.6, 0.4))[0]]:
                script = rng.choices(
                    ("convergent_selection", "refinement", "optimization", "exploration"),
                    weights=(0.45, 0.3, 0.15, 0.1),
                )[0]
                session = b.open(artist, "novelai", script)
                size = NAI_PORTRAIT if rng.random() < 0.8 else rng.choice(((1216, 832), (1024, 1024)))
                base = _NaiState(
                    character=character,
                    scene=[],
                    weights={},
                    uc=NAI_UC_PRESET,
                    seed=0,
                    scale=rng.choice((5.0, 5.5, 6.0)),
                    steps=28,
                    sampler=sampler,
                    schedule="karras",
                    rescale=0.0,
                    size=size,
                )
                run = _NaiRun(b, session, rng, model, now, think)
                _nai_session(run, rng, base, script)
                b.close(session)
                last_end = run.now
                now = run.now + rng.seconds(60, 600)


# --- newcomers -------------------------------------------------------------------------------------


def _gallery_prompt(subject: str, rng: _Rng) -> tuple[str, tuple[LoraRef, ...]]:
    head = "masterpiece, best quality, ultra detailed, " if rng.random() < 0.5 else ""
    tail = ", ".join(rng.sample(GALLERY_TAILS, rng.randint(8, 14)))
    prompt = f"{head}{subject}, {tail}"
    loras: tuple[LoraRef, ...] = ()
    if rng.random() < 0.3:
        name, weight = rng.choice(GALLERY_LORAS)
        prompt += f", <lora:{name}:{weight}>"
        loras = (LoraRef(name, weight),)
    return prompt, loras


def _newcomer_file_name(b: _Builder, tool: str, user: str, when: datetime, seed: int, prompt: str) -> str:
    counter = b.counter(f"{user}:{tool}")
    if tool in ("a1111", "forge", "sdnext"):
        return f"{counter:05d}-{seed}.png"
    if tool == "fooocus":
        return f"{when:%Y-%m-%d_%H-%M-%S}_{counter % 10000:04d}.png"
    if tool == "easydiffusion":
        return f"{_slug(prompt, 4)}_{seed}_{counter}.png"
    return f"{_slug(prompt, 8)}_{seed}.png"


def _newcomer_sitting(
    b: _Builder,
    artist: FamilyIArtist,
    rng: _Rng,
    tools: tuple[str, str],
    now: datetime,
    minutes: float,
    switch: bool,
) -> datetime:
    zone = ZoneInfo(artist.zone)
    end = now + timedelta(minutes=minutes)
    switch_at = now + timedelta(minutes=minutes * rng.uniform(0.4, 0.6)) if switch else None
    tool = tools[0]
    session = b.open(artist, tool, "exploration")
    subjects = rng.sample(GALLERY_SUBJECTS, len(GALLERY_SUBJECTS))
    model = rng.choice(NEWCOMER_CHECKPOINTS)
    sampler = rng.choice(_SAMPLERS[tool])
    cfg, steps, size = rng.choice(NEWCOMER_CFGS), rng.choice(NEWCOMER_STEPS), rng.choice(NEWCOMER_SIZES)
    until_sampler, until_model = rng.randint(2, 6), rng.randint(3, 8)
    prompt: str | None = None
    clicked: tuple[float, int, str, str] | None = None
    negative: str | None = None
    loras: tuple[LoraRef, ...] = ()
    subject = ""
    last: GenerationRecord | None = None
    batch, phase = 0, "exploration"
    while now < end and subjects:
        if switch_at is not None and now >= switch_at:
            b.close(session)
            now += rng.seconds(60, 240)  # closes one UI, opens the other
            tool = tools[1]
            session = b.open(artist, tool, "exploration")
            sampler, switch_at, prompt = rng.choice(_SAMPLERS[tool]), None, None
        # after a batch of a new prompt, now and then one re-run of it (one image) with parameters swung
        rerun = prompt is not None and batch >= 2 and phase == "exploration" and rng.random() < 0.35
        if rerun:
            phase = "optimization"
            changed = False
            while not changed or (cfg, steps, sampler, model) == clicked:  # swing at least one parameter
                if rng.random() < 0.7:
                    cfg, changed = rng.choice([c for c in NEWCOMER_CFGS if c != cfg]), True
                if rng.random() < 0.5:
                    steps, changed = rng.choice([n for n in NEWCOMER_STEPS if n != steps]), True
                if rng.random() < 0.3:
                    sampler, changed = rng.choice([m for m in _SAMPLERS[tool] if m != sampler]), True
        else:
            phase = "exploration"
            subject = subjects.pop()
            prompt, loras = _gallery_prompt(subject, rng)
            negative = rng.choice(GALLERY_NEGATIVES) if rng.random() < 0.7 else None
            if rng.random() < 0.6:
                cfg = rng.choice(NEWCOMER_CFGS)
            if rng.random() < 0.5:
                steps = rng.choice(NEWCOMER_STEPS)
            if rng.random() < 0.3:
                size = rng.choice(NEWCOMER_SIZES)
        assert prompt is not None
        clicked = (cfg, steps, sampler, model)
        batch = 1 if rerun else rng.choice((1, 1, 2, 4))
        seed = rng.randint(0, 2**32 - 1)
        now += timedelta(seconds=steps * rng.uniform(0.15, 0.5) * batch)
        for i in range(batch):
            when = now + timedelta(milliseconds=300 * i)
            record = b.emit(
                session,
                when,
                phase,
                look=((f"gallery:{subject}", 1.0), (f"ckpt:{model}", 0.3)),
                near=last if phase == "optimization" else None,
                spread=0.3 if phase == "optimization" else 0.35,
                prompt=prompt,
                negative_prompt=negative,
                seed=seed + i,
                cfg_scale=cfg,
                steps=steps,
                sampler=sampler,
                model=model,
                loras=loras,
                width=size[0],
                height=size[1],
                file_name=_newcomer_file_name(b, tool, artist.name, when.astimezone(zone), seed + i, prompt),
                extra={"batch_size": batch} if batch > 1 else {},
            )
            until_sampler -= 1
            until_model -= 1
        last = record
        now += timedelta(milliseconds=300 * batch) + rng.seconds(8, 60)
        if until_sampler <= 0:
            sampler, until_sampler = (
                rng.choice([s for s in _SAMPLERS[tool] if s != sampler]),
                rng.randint(2, 6),
            )
        if until_model <= 0:
            model = rng.choice([m for m in NEWCOMER_CHECKPOINTS if m != model])
            until_model = rng.randint(3, 8)
            now += rng.seconds(20, 90)  # loading the checkpoint
    b.close(session)
    return now


def _simulate_newcomer(b: _Builder, artist: FamilyIArtist, rng: _Rng, days: int) -> None:
    zone = ZoneInfo(artist.zone)
    first = rng.choice(NEWCOMER_TOOLS)
    tools = (first, rng.choice([t for t in NEWCOMER_TOOLS if t != first]))
    plan: list[tuple[int, float, float]] = []
    day = rng.randint(0, 3)
    while day < days:
        odd = rng.random() < 0.6
        hour = rng.uniform(22.0, 28.0) if odd else rng.uniform(7.0, 21.0)
        plan.append((day, hour, rng.uniform(12, 60)))
        day += rng.choice((1, 2, 2, 3, 4, 5, 7))
    dst_day = (DST_NIGHT - FIRST_DAY.date()).days
    if artist.ordinal == 0 and artist.zone == "Europe/Berlin" and dst_day < days:
        plan = [p for p in plan if abs(p[0] - dst_day) > 1]
        plan.append((dst_day, 1.4, rng.uniform(55, 80)))  # 01:24 local: runs through 02:00 → 03:00
        plan.sort()
    last_end = FIRST_DAY - timedelta(days=1)
    for number, (day, hour, minutes) in enumerate(plan):
        start = _local_start(day, hour, zone)
        if start < last_end + timedelta(hours=2):
            continue
        switch = rng.random() < 0.12 or (artist.ordinal == 0 and number == 1)
        last_end = _newcomer_sitting(b, artist, rng, tools, start, minutes, switch)


# --- casual hobbyists ------------------------------------------------------------------------------


def _simulate_hobbyist(b: _Builder, artist: FamilyIArtist, rng: _Rng, days: int) -> None:
    zone = ZoneInfo(artist.zone)
    tool = HOBBYIST_TOOLS[artist.ordinal] if artist.ordinal < len(HOBBYIST_TOOLS) else None
    tool = tool or rng.choices(HOBBYIST_TOOLS, weights=(0.35, 0.15, 0.2, 0.1, 0.1, 0.1))[0]
    weekday, hour = rng.randrange(7), rng.uniform(10.0, 21.5)
    model = rng.choice(HOBBY_MODELS.get(tool, ("",)))
    for week in range((days + 6) // 7):
        day = week * 7 + weekday + (rng.choice((-1, 1)) if rng.random() < 0.3 else 0)
        if not 0 <= day < days:
            continue
        now = _local_start(day, hour + rng.uniform(-1.5, 1.5), zone)
        one_idea = tool == "chatgpt" or rng.random() < 0.6
        session = b.open(artist, tool, "refinement" if one_idea else "exploration")
        phase = "refinement" if one_idea else "exploration"
        ideas = rng.sample(HOBBY_IDEAS, 3)
        total = rng.randint(3, 12)
        last: GenerationRecord | None = None
        request = 0
        while len(session.records) < total:
            count = 1 if tool == "chatgpt" else min(rng.randint(1, 4), total - len(session.records))
            idea = ideas[0] if one_idea else ideas[request % len(ideas)]
            prompt = idea + ("".join(rng.sample(HOBBY_TWEAKS, min(request, 2))) if one_idea else "")
            now += rng.seconds(15, 60)
            seed = rng.randint(0, 2**32 - 1)
            cfg, steps = rng.choice((3.5, 5.0, 7.0)), rng.choice((20, 25, 30))
            size = rng.choice(((832, 1216), (1024, 1024), (1216, 832)))
            if tool == "dalle":
                size = (1024, 1024)
            elif tool == "chatgpt":
                size = rng.choice(((1024, 1024), (1024, 1536), (1536, 1024)))
            for i in range(count):
                when = now + timedelta(milliseconds=250 * i)
                local = when.astimezone(zone)
                fields: dict[str, Any] = {"width": size[0], "height": size[1]}
                if tool == "chatgpt":  # C2PA only: no prompt, no parameters
                    fields["file_name"] = f"ChatGPT Image {local:%b} {local.day}, {local:%Y, %I_%M_%S %p}.png"
                    fields["extra"] = {"claim_generator": "ChatGPT", "c2pa_when": f"{when:%Y-%m-%d}"}
                elif tool == "dalle":
                    fields["file_name"] = f"_{rng.uuid()}.jpg"
                    fields["extra"] = {"softwareAgent": "Image Creator from Designer"}
                else:
                    fields.update(
                        prompt=prompt,
                        negative_prompt=None if tool == "krea" else "worst quality, low quality",
                        seed=seed + i,
                        cfg_scale=cfg,
                        steps=steps,
                        sampler="euler" if tool == "krea" else "Euler a",
                        model=model,
                        file_name=f"{rng.uuid()}.{'jpeg' if tool == 'civitai' else 'png'}",
                    )
                record = b.emit(
                    session,
                    when,
                    phase,
                    look=((f"hobby:{idea}", 1.0),),
                    near=last if (one_idea and last is not None) else None,
                    spread=0.3,
                    **fields,
                )
                if tool == "chatgpt" and last is not None:
                    b.edge(last, record, "img2img", explicit=False)  # a conversational edit
                last = record
            now += timedelta(milliseconds=250 * count) + rng.seconds(30, 240)
            request += 1
        b.close(session)


# --- shared household / studio account -------------------------------------------------------------


@dataclass(slots=True)
class _Person:
    tool: str
    domain: str
    model: str
    sampler: str
    cfg: float
    steps: int
    size: tuple[int, int]
    lora: LoraRef | None
    scripts: tuple[float, float, float, float]  # convergent, refinement, optimization, exploration


@dataclass(slots=True)
class _Project:
    subject: str
    prompt: str
    seed: int
    tool: str
    images: list[GenerationRecord]


class _LocalRun:
    """One household stretch on a local tool."""

    def __init__(
        self, b: _Builder, session: _Session, rng: _Rng, person: _Person, zone: ZoneInfo, now: datetime
    ) -> None:
        self.b, self.session, self.rng, self.person, self.zone, self.now = b, session, rng, person, zone, now
        self.sampler = person.sampler if session.tool == person.tool else rng.choice(_SAMPLERS[session.tool])

    def _file_name(self, when: datetime, seed: int, prompt: str) -> str:
        tool = self.session.tool
        counter = self.b.counter(f"{self.session.user}:{tool}")
        if tool == "comfyui":
            return f"ComfyUI_{counter:05d}_.png"
        if tool == "invokeai":
            return f"{self.rng.uuid()}.png"
        return _newcomer_file_name(self.b, tool, self.session.user, when.astimezone(self.zone), seed, prompt)

    def gen(
        self,
        prompt: str,
        seed: int,
        phase: str,
        *,
        subject: str,
        batch: int = 1,
        cfg: float | None = None,
        steps: int | None = None,
        sampler: str | None = None,
        lora_weight: float | None = None,
        near: GenerationRecord | None = None,
        spread: float = 0.35,
    ) -> list[GenerationRecord]:
        person, rng = self.person, self.rng
        steps = steps or person.steps
        self.now += timedelta(seconds=steps * rng.uniform(0.2, 0.45) * batch)
        loras: tuple[LoraRef, ...] = ()
        if person.lora is not None:
            loras = (
                LoraRef(person.lora.name, lora_weight if lora_weight is not None else person.lora.weight),
            )
        out: list[GenerationRecord] = []
        for i in range(batch):
            when = self.now + timedelta(milliseconds=400 * i)
            out.append(
                self.b.emit(
                    self.session,
                    when,
                    phase,
                    look=((f"hh:{subject}", 1.0), (f"hh-domain:{person.domain}", 0.5)),
                    near=near,
                    spread=spread,
                    prompt=prompt,
                    negative_prompt="lowres, blurry, watermark",
                    seed=seed + i,
                    cfg_scale=cfg if cfg is not None else person.cfg,
                    steps=steps,
                    sampler=sampler or self.sampler,
                    model=person.model,
                    loras=loras,
                    width=person.size[0],
                    height=person.size[1],
                    file_name=self._file_name(when, seed + i, prompt),
                    workflow_hash="wf-txt2img" if self.session.tool == "comfyui" else None,
                    extra={"batch_size": batch} if batch > 1 else {},
                )
            )
        self.now += timedelta(milliseconds=400 * batch) + rng.seconds(10, 60)
        return out

    def derive(self, parent: GenerationRecord, kind: str, subject: str) -> GenerationRecord:
        """An upscale / img2img / inpaint of ``parent``; only ComfyUI's LoadImage names it."""
        rng, tool = self.rng, self.session.tool
        if tool == "invokeai" and kind == "img2img":
            kind = "inpaint"  # the canvas
        assert parent.width is not None and parent.height is not None
        factor = 2 if kind == "upscale" else 1
        self.now += rng.seconds(15, 60) if kind == "upscale" else rng.seconds(8, 30)
        names = tool == "comfyui"
        record = self.b.emit(
            self.session,
            self.now,
            "refinement",
            near=parent,
            spread=0.05 if kind == "upscale" else 0.18,
            prompt=parent.prompt,
            negative_prompt=parent.negative_prompt,
            seed=parent.seed if kind == "upscale" else rng.randint(0, 2**32 - 1),
            cfg_scale=parent.cfg_scale,
            steps=parent.steps,
            sampler=parent.sampler,
            model=parent.model,
            loras=parent.loras,
            width=parent.width * factor,
            height=parent.height * factor,
            denoise=round(rng.uniform(0.25, 0.45) if kind == "upscale" else rng.uniform(0.45, 0.75), 2),
            source_image=parent.file_name if names else None,
            file_name=self._file_name(self.now, parent.seed or 0, parent.prompt or subject),
            workflow_hash=f"wf-{kind}" if tool == "comfyui" else None,
        )
        self.b.edge(parent, record, kind, explicit=names)
        self.now += rng.seconds(5, 40)
        return record


def _household_stretch(
    run: _LocalRun, rng: _Rng, person: _Person, script: str, minutes: float, carry: _Project | None
) -> _Project:
    subjects, styles = HOUSEHOLD_DOMAINS[person.domain]
    end = run.now + timedelta(minutes=minutes)
    tool = run.session.tool

    def compose(subject: str) -> str:
        return f"{subject}, " + ", ".join(rng.sample(styles, 3))

    if carry is not None:
        project = _Project(carry.subject, carry.prompt, carry.seed, tool, [])
        if carry.tool == tool and carry.images and rng.random() < 0.5:  # back to an image from before
            project.images.append(run.derive(rng.choice(carry.images[-6:]), "upscale", project.subject))
    else:
        subject = rng.choice(subjects)
        project = _Project(subject, compose(subject), rng.randint(0, 2**32 - 1), tool, [])
    if script in ("convergent_selection", "exploration"):
        explore_until = run.now + timedelta(
            minutes=minutes * (0.4 if script == "convergent_selection" else 0.9)
        )
        explored: list[tuple[GenerationRecord, str]] = []
        while run.now < explore_until:
            prompt = compose(project.subject)
            for record in run.gen(prompt, rng.randint(0, 2**32 - 1), "exploration", subject=project.subject,
                                  batch=rng.choice((1, 1, 2, 4))):  # fmt: skip
                explored.append((record, prompt))
        pick, project.prompt = rng.choice(explored)
        project.seed = pick.seed or 0
        project.images.append(pick)
    best = project.images[-1] if project.images else None
    if script == "optimization":
        made = run.gen(project.prompt, project.seed, "optimization", subject=project.subject, near=best)
        sweep = rng.choice(
            ("cfg", "steps", "sampler", "lora") if person.lora else ("cfg", "steps", "sampler")
        )
        sweeps: dict[str, list[Any]] = {
            "cfg": [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
            "steps": [12, 16, 20, 25, 30, 40, 50],
            "sampler": list(_SAMPLERS[tool]),
            "lora": [0.2, 0.4, 0.6, 0.8, 1.0, 1.2],
        }
        values = sweeps[sweep]
        while run.now < end - timedelta(minutes=minutes * 0.1) or len(made) < 3:
            value = values[len(made) % len(values)]
            made += run.gen(
                project.prompt, project.seed, "optimization", subject=project.subject, near=made[0],
                spread=0.12, cfg=value if sweep == "cfg" else None, steps=value if sweep == "steps" else None,
                sampler=value if sweep == "sampler" else None, lora_weight=value if sweep == "lora" else None,
            )  # fmt: skip
        project.images.append(run.derive(rng.choice(made), "upscale", project.subject))
        return project
    if script == "exploration":
        return project
    while run.now < end:  # refinement of one concept
        draw = rng.random()
        if best is not None and draw < 0.2:
            project.images.append(run.derive(best, rng.choice(("upscale", "img2img")), project.subject))
            continue
        if draw < 0.55:
            project.prompt = project.prompt + ", " + rng.choice(styles + MJ_DETAILS)
        else:
            project.seed = rng.randint(0, 2**32 - 1)
        made = run.gen(
            project.prompt, project.seed, "refinement", subject=project.subject, batch=rng.choice((1, 1, 2)),
            near=best, spread=0.2,
        )  # fmt: skip
        project.images += made
        best = made[0]
    return project


def _simulate_household(b: _Builder, artist: FamilyIArtist, rng: _Rng, days: int) -> None:
    zone = ZoneInfo(artist.zone)
    pair = HOUSEHOLD_TOOL_PAIRS[(artist.ordinal + rng.randrange(len(HOUSEHOLD_TOOL_PAIRS))) % 5]
    if artist.ordinal == 0:
        pair = ("comfyui", "a1111")
    domains = rng.sample(sorted(HOUSEHOLD_DOMAINS), 2)
    people = [
        _Person(
            tool=tool,
            domain=domain,
            model=rng.choice(HOUSEHOLD_MODELS),
            sampler=rng.choice(_SAMPLERS[tool]),
            cfg=rng.choice((4.0, 5.5, 7.0)),
            steps=rng.choice((20, 25, 30)),
            size=rng.choice(((1024, 1024), (832, 1216), (1216, 832))),
            lora=LoraRef(rng.choice(("detail_tweaker_xl", "add_brightness", "film_grain_xl")), 0.6)
            if rng.random() < 0.5
            else None,
            scripts=weights,
        )
        for tool, domain, weights in zip(
            pair, domains, ((0.5, 0.3, 0.2, 0.0), (0.0, 0.4, 0.3, 0.3)), strict=True
        )
    ]
    last_end = FIRST_DAY - timedelta(days=1)
    for day in range(days):
        if rng.random() > 0.6:
            continue
        now = _local_start(day, rng.uniform(18.5, 21.5), zone)
        if now < last_end + timedelta(minutes=90):
            continue
        who = rng.randrange(2)
        previous_tool: str | None = None
        projects: dict[int, _Project] = {}
        for stretch in range(rng.randint(2, 4)):
            person = people[who]
            tool = person.tool
            if stretch and previous_tool is not None and rng.random() < 0.2:
                tool = previous_tool  # stays in the other person's tool
            script = rng.choices(
                ("convergent_selection", "refinement", "optimization", "exploration"), weights=person.scripts
            )[0]
            carry = projects.get(who) if rng.random() < 0.6 else None
            session = b.open(artist, tool, script)
            run = _LocalRun(b, session, rng, person, zone, now)
            projects[who] = _household_stretch(run, rng, person, script, rng.uniform(12, 40), carry)
            b.close(session)
            previous_tool = tool
            last_end = run.now
            now = run.now + rng.seconds(60, 360)
            who = 1 - who


# --- the library -----------------------------------------------------------------------------------

_SIMULATORS = {
    "midjourney": _simulate_midjourney,
    "novelai": _simulate_novelai,
    "newcomer": _simulate_newcomer,
    "hobbyist": _simulate_hobbyist,
    "household": _simulate_household,
}


def simulate_family_i_library(
    seed: int = 81, artists: int = DEFAULT_ARTISTS, days: int = 21, with_visual: bool = True
) -> SimulatedLibrary:
    """Family I: ``artists`` hosted-service users, newcomers, hobbyists and shared accounts over ``days``
    days from Monday 17 March 2025 (habits and truth rules: the module docstring). Deterministic for its
    arguments; ``with_visual`` only adds the visual vectors."""
    builder = _Builder(seed, with_visual)
    for artist in family_i_roster(seed, artists):
        rng = _Rng(f"family-i-{seed}-{artist.name}")
        _SIMULATORS[artist.kind](builder, artist, rng, days)
    return builder.finish()


def _summary(seed: int) -> None:
    started = time.perf_counter()
    library = simulate_family_i_library(seed=seed)
    elapsed = time.perf_counter() - started
    kinds = {artist.name: artist.kind for artist in family_i_roster(seed, DEFAULT_ARTISTS)}
    records = Counter(kinds[r.user or ""] for r in library.records)
    sessions = Counter(kinds[key.split("/")[0]] for key in library.session_intent)
    print(f"family I, seed {seed}: {len(library.records)} records, {len(library.session_intent)} sessions, "
          f"{len(set(kinds))} artists, {elapsed:.2f} s")  # fmt: skip
    for kind in KINDS:
        artists = sum(1 for k in kinds.values() if k == kind)
        print(f"  {kind:<11} {artists:>2} artists {records[kind]:>6} records {sessions[kind]:>5} sessions")
    print("  intents:", dict(Counter(library.session_intent.values()).most_common()))
    print("  phases: ", dict(Counter(library.phase_of.values()).most_common()))
    print("  tools:  ", dict(Counter(r.tool for r in library.records).most_common()))
    explicit = Counter(e.kind for e in library.explicit_edges)
    derived = Counter(e.kind for e in library.derived_edges)
    print(f"  edges: explicit {dict(explicit.most_common())}, derived {dict(derived.most_common())}")


if __name__ == "__main__":
    _summary(int(sys.argv[1]) if len(sys.argv) > 1 else 81)
