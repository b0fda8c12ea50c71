"""Family C: an independent field model of AI-image-generation histories, a hold-out for the session engine.

Written from the product documents (``shared/docs``) and from how artists use ComfyUI, AUTOMATIC1111 /
Forge, Midjourney, InvokeAI, NovelAI and Fooocus — *without* reading the session engine, its features,
or the two other simulator families (A: ``bench/simulate.py``, B: ``bench/simulate_docs.py``); only the
``TruthEdge`` / ``SimulatedLibrary`` containers are shared. It is a hold-out: never tune the engine on it.

What one artist looks like
--------------------------
Each artist gets an *archetype* (fast ComfyUI batcher, ComfyUI tinkerer, evening A1111 user, Forge
anime artist, slow and fast Midjourney users, NovelAI tagger, weekend hobbyist, InvokeAI canvas pro,
casual Fooocus user), a fixed UTC offset (−8 h … +10 h, including +5:30), a chronotype, a personal
prompt suffix appended to ~88 % of prompts, favourite styles and genres, a GPU speed factor
(lognormal, σ 0.35) and sometimes a second tool (A1111 next to Forge, ComfyUI next to Midjourney …).

Time
----
Days start on Monday 2025-03-03 local time. A day is active with a weekday/weekend probability of the
archetype; an active day has 1 + Poisson(λ) *sittings* (start hour ~ Normal of one of the archetype's
usual hours, so night owls cross midnight). Sittings closer than an hour are pushed to a 60–180 min
"lunch" gap, which always ends a session. A sitting holds 1 + Poisson(μ) sessions; consecutive
sessions in a sitting are 5–20 min apart (70 %), 2–5 min (15 %) or 20–45 min (15 %), and the new one is
a *different project*: another genre, almost always another style/medium, usually another model (≥ 50 %)
and LoRA set (≥ 70 %). A later sitting may continue an older project (~30 %: same look, its kept prompts
re-used) or start a new one that may still reuse a favourite style (~30 %) and the personal suffix. A tool
switch (~20 % of sessions of two-tool artists) always starts a new session; 35 % of the time it carries
the same subjects into the other tool (a Midjourney concept taken into ComfyUI).

Inside a session, the pause before a submission is lognormal around the artist's pace (median 20 s
for the batcher … 170 s for the slow Midjourney user, per-artist factor e^N(0, 0.25), σ 0.7, capped at
10 min), never shorter than the GPU render time (per family: SD1.5 ≈ 2 s, SDXL/Pony/Illustrious ≈ 7 s,
FLUX ≈ 24 s per image at 1 MP / 28 steps, times the artist's GPU factor; Midjourney grids 35–70 s).
Batches write their images within 0–1.6 s (parallel batch; ComfyUI latent batches even share one seed)
or one render apart (queued batch count, consecutive or random seeds). Short breaks of 2–15 min occur
inside sessions (~3 % of steps); a *pivot* session pauses 25–35 min after a refinement run and then
explores new subjects in the same look.
Exploration changes subject every 0.6–9 min (5th–95th percentile, median ≈ 2 min); optimization sweeps
are queued (ComfyUI/A1111 X/Y/Z: 0.5–6 s between submissions, so images come one render apart) or typed.

Sessions (one creative intent each)
-----------------------------------
Templates (archetype-weighted): exploration (4–22 concepts, the subject changing every few minutes; the
project style is kept 75 % of the time), refinement (one prompt, new seeds, small tweaks: a word added /
removed / swapped, a ``(word:1.2)`` weight changed; negative edited, LoRA added/removed/re-weighted,
CFG/steps nudged, one aspect switch, one comparison on a second model, hires-fix re-runs with the same
seed, upscales, img2img and inpaints of keepers), optimization (prompt and seed fixed, 1–3 sweeps of
4–9 values of CFG, steps, sampler, scheduler, LoRA weight, denoise, FLUX guidance, Fooocus sharpness or
Midjourney stylize/chaos/weird), convergent selection (exploration, then refinement of one explored
prompt — the last one 45 % of the time), pivot (refinement, pause, exploration in the same look,
converging again 45 % of the time) and quick tries (1–6 images, archetype rate 22–34 %; a quarter of
them re-roll a kept prompt of an older project and count as refinement). Job counts are lognormal
(σ 0.6) around 11 concepts / 15 refinement jobs, scaled by the archetype's stamina. A session's intent is
``convergent_selection`` when a refinement continues a prompt explored earlier in the same session and
that exploration+refinement stretch holds at least half of its records, otherwise its majority phase.

Records
-------
Fields are filled as each tool writes them: ComfyUI ``ComfyUI_00042_.png`` counters per save prefix,
``workflow_hash`` per graph structure (LoRA loader count, hires, img2img/upscale/inpaint graphs),
``source_image`` from ``LoadImage``, history prompt ids and millisecond times for artists who import the
history; A1111/Forge ``00042-<seed>.png`` with per-day, per-mode counters, ``<lora:…>`` tags inside the
prompt, folded (``DPM++ 2M Karras``) or split sampler names, Extras upscales that keep the parameters;
Midjourney grids of four (``…_<job>_<i>.png``) with job ids, upscales / variations / remixes / vary-region
naming the parent job, UTC times, minute precision for archive exports; NovelAI ``<prompt> s-<seed>.png``
with tag prompts; Fooocus dated file names, its 0.1 offset LoRA and image-number 2; InvokeAI UUID names
and UTC times. Only tools that name their inputs (ComfyUI, InvokeAI, Midjourney, and A1111/Forge/
NovelAI/Fooocus artists whose export carries it, ~50 %) get ``source_image`` and a :class:`TruthEdge`;
the other derived images (and every hires-fix re-run of a kept seed) are implicit lineage. ``extra``
carries what readers find beside the named fields (``file_counter``, ``batch_index``, ``grid_index``,
FLUX ``guidance``, Fooocus ``sharpness``, the upscaler). No record is untimed. With the defaults: about
30 000–32 000 records in about 800–850 sessions, generated in about 2 s.

Visual embeddings (48-d, unit): genre + subject + style + model + LoRA + prompt modifiers + a
composition term keyed by (family, seed, batch index); derived images mix their parent's vector.
"""

from __future__ import annotations

import math
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bench.simulate import SimulatedLibrary, TruthEdge
from engine.records import GenerationRecord, LoraRef, TimePrecision

FIELD_VISUAL_DIM = 48
_T = TypeVar("_T")
_DAY0 = (2025, 3, 3)  # a Monday
_MIN = 60.0

# --------------------------------------------------------------------------------------------------
# Vocabulary (written for this family; natural-language subjects are tagified for booru-style artists)
# --------------------------------------------------------------------------------------------------

_GENRE_SUBJECTS: dict[str, tuple[str, ...]] = {
    "fantasy": (
        "dragon perched on castle ruins",
        "elven city in giant trees",
        "wizard tower on a floating island",
        "knight facing a stone golem",
        "enchanted forest with glowing mushrooms",
        "dwarven forge deep under a mountain",
        "griffin nest on a sea cliff",
        "sorceress summoning a thunderstorm",
        "ancient tree spirit in the mist",
        "crystal cave with an underground lake",
        "phoenix rising from embers",
        "abandoned temple overgrown with vines",
        "goblin market at dusk",
        "sea serpent attacking a galleon",
        "paladin kneeling in a ruined chapel",
        "fairy village inside a teapot",
    ),
    "scifi": (
        "derelict spaceship corridor",
        "orbital station above a gas giant",
        "cyborg mechanic repairing a drone",
        "neon megacity skyline at night",
        "desert outpost on a red planet",
        "astronaut discovering alien ruins",
        "hydroponic garden aboard a starship",
        "battle mech standing in the rain",
        "space elevator rising through clouds",
        "android with exposed circuitry",
        "alien jungle with bioluminescent plants",
        "retro-futurist diner on the moon",
        "cryo bay of a generation ship",
        "holographic street market",
        "research base on an ice moon",
        "starfighter hangar during a scramble",
    ),
    "portrait": (
        "old fisherman with a weathered face",
        "young woman with freckles in golden light",
        "jazz saxophonist in a smoky club",
        "grandmother knitting by the window",
        "boxer resting after a fight",
        "ballerina tying her pointe shoes",
        "chef plating in a busy kitchen",
        "monk meditating in a mountain temple",
        "punk rocker with a green mohawk",
        "farmer standing in a wheat field",
        "victorian gentleman with a top hat",
        "child blowing dandelion seeds",
        "tattooed barber in his shop",
        "astronomer at a brass telescope",
        "desert nomad wrapped in indigo scarves",
        "firefighter covered in soot",
    ),
    "landscape": (
        "misty mountain valley at sunrise",
        "lavender fields in provence",
        "black sand beach in iceland",
        "autumn forest with a winding river",
        "desert canyon under the milky way",
        "fjord with a small red cabin",
        "bamboo forest path",
        "volcanic plain with lava rivers",
        "alpine lake reflecting the peaks",
        "rolling green hills after rain",
        "tropical lagoon seen from above",
        "snowy pine forest at twilight",
        "salt flats mirroring the sky",
        "sunflower field under storm clouds",
        "rice terraces in the fog",
        "rocky coastline with a lighthouse",
    ),
    "interior": (
        "brutalist concrete library",
        "cozy reading nook with rain on the window",
        "japanese tea house",
        "art deco hotel lobby",
        "abandoned soviet swimming pool",
        "scandinavian kitchen in morning light",
        "gothic cathedral nave",
        "victorian greenhouse full of ferns",
        "minimalist villa in the desert",
        "cluttered alchemist workshop",
        "empty underground metro station",
        "mediterranean courtyard with a fountain",
        "loft apartment with exposed brick",
        "treehouse bedroom",
        "futuristic airport terminal",
        "old bookshop with a spiral staircase",
    ),
    "animal": (
        "red fox in fresh snow",
        "owl perched on an old lantern",
        "lion with a wind-blown mane",
        "octopus climbing out of a teacup",
        "hummingbird drinking from a hibiscus",
        "wolf pack under the northern lights",
        "koi carp in a lily pond",
        "cat asleep on a sunny windowsill",
        "stag with glowing antlers",
        "jellyfish swarm in dark water",
        "chameleon on a twisted branch",
        "polar bear on drifting ice",
        "corgi wearing a yellow raincoat",
        "clockwork beetle",
        "humpback whale breaching at sunset",
        "raven on a mossy gravestone",
    ),
    "still_life": (
        "bowl of ramen with rising steam",
        "stack of pancakes with berries",
        "perfume bottle on wet black stone",
        "vintage camera on a wooden desk",
        "sneaker floating in mid air",
        "glass of whiskey with a large ice cube",
        "basket of autumn apples",
        "luxury wristwatch on black velvet",
        "croissant and espresso on a cafe table",
        "potion bottles on a dusty shelf",
        "sushi platter on slate",
        "skincare bottle with a water splash",
        "slice of dark chocolate cake",
        "headphones on a neon backdrop",
        "wildflowers in a mason jar",
        "mechanical keyboard with custom keycaps",
    ),
    "abstract": (
        "swirling liquid marble",
        "geometric tessellation",
        "infinite fractal spiral",
        "flowing silk ribbons",
        "shattered glass shards",
        "colliding paint splashes",
        "op art wave pattern",
        "iridescent soap film",
        "topographic contour lines",
        "ink drops blooming in water",
        "voronoi cell pattern",
        "kaleidoscope mandala",
        "glitch noise bands",
        "crumpled paper relief",
        "neon light trails",
        "organic cell structures",
    ),
    "urban": (
        "rainy tokyo alley at night",
        "new york fire escapes in summer",
        "yellow tram climbing a lisbon street",
        "night market with paper lanterns",
        "parisian cafe terrace",
        "graffiti covered underpass",
        "rooftop garden above the city",
        "crowded bazaar in marrakech",
        "empty parking garage",
        "laundromat at 3am",
        "venice canal at dawn",
        "hong kong neon signs",
        "lonely gas station in the desert",
        "subway car at rush hour",
        "skatepark at sunset",
        "flooded city street",
    ),
    "horror": (
        "haunted victorian mansion",
        "plague doctor in a foggy street",
        "cursed porcelain doll in an attic",
        "eldritch creature rising from the sea",
        "abandoned asylum hallway",
        "witch hut in a swamp",
        "skeleton king on a bone throne",
        "cemetery under a blood moon",
        "faceless figure between the trees",
        "vampire countess at a banquet",
        "scarecrow in a dead cornfield",
        "tree of flesh covered in eyes",
        "ghost ship drifting in fog",
        "mirror reflecting a different room",
        "candlelit ritual circle",
        "deep sea diver meeting a leviathan",
    ),
    "anime": (
        "1girl, solo, silver hair, long hair, witch hat, holding staff, starry sky",
        "1girl, solo, short hair, black hair, serafuku, cherry blossoms, wind",
        "1boy, solo, samurai, katana, kimono, rain, bamboo forest",
        "1girl, solo, maid, twintails, pink hair, cafe, holding tray, smile",
        "1girl, solo, knight, armor, blonde hair, ponytail, castle, cape",
        "1girl, solo, cyberpunk, techwear jacket, neon lights, headphones, blue hair",
        "2girls, picnic, meadow, sundress, sun hat, laughing",
        "1girl, solo, fox ears, fox tail, miko, torii, autumn leaves",
        "1boy, solo, pilot, flight suit, cockpit, helmet under arm",
        "1girl, solo, mermaid, underwater, coral, bubbles, red hair",
        "1girl, solo, idol, stage, microphone, frilled dress, spotlight",
        "1girl, solo, vampire, gothic lolita, red eyes, full moon, bats",
        "1girl, solo, elf, pointy ears, forest, bow (weapon), green cloak",
        "1boy, 1girl, sharing umbrella, rain, street, night",
        "1girl, solo, barista, apron, coffee shop, latte art",
        "1girl, solo, mecha pilot, bodysuit, hangar, giant robot",
        "1girl, solo, yukata, summer festival, fireworks, holding fan",
        "1girl, solo, librarian, glasses, bookshelf, sweater, holding book",
    ),
}
_SUBJECTS: tuple[tuple[str, str], ...] = tuple(
    (genre, phrase) for genre, phrases in _GENRE_SUBJECTS.items() for phrase in phrases
)
_SUBJECTS_BY_GENRE: dict[str, tuple[int, ...]] = {
    genre: tuple(i for i, (g, _) in enumerate(_SUBJECTS) if g == genre) for genre in _GENRE_SUBJECTS
}
_NATURAL_GENRES = tuple(g for g in _GENRE_SUBJECTS if g != "anime")
_TAG_GENRES = ("anime", "fantasy", "scifi", "landscape", "urban", "horror", "interior", "animal")

_STYLES_NATURAL = (
    "oil painting",
    "watercolor",
    "ink wash painting",
    "cinematic film still, 35mm",
    "studio photograph, softbox lighting",
    "isometric 3d render",
    "low poly",
    "pixel art",
    "ukiyo-e woodblock print",
    "art nouveau poster",
    "matte painting, concept art",
    "charcoal sketch",
    "gouache illustration",
    "vaporwave",
    "synthwave",
    "claymation",
    "papercut diorama",
    "stained glass",
    "baroque painting",
    "impressionist painting",
    "clean line art",
    "cel shaded anime",
    "flat vector illustration",
    "film noir photograph",
    "polaroid photo",
    "double exposure",
    "tilt-shift miniature",
    "blueprint drawing",
    "embroidery",
    "byzantine mosaic",
    "risograph print",
    "dark fantasy illustration",
    "children's book illustration",
    "macro photography",
    "analog photo, kodak portra 400",
    "unreal engine render",
    "graphite pencil drawing",
    "tarot card",
    "art deco",
    "comic book inks",
    "needle felted wool",
    "blown glass sculpture",
)
_STYLES_TAGS = (
    "watercolor (medium)",
    "flat color",
    "cel shading",
    "sketch",
    "pixel art",
    "oekaki",
    "retro artstyle, 1990s (style)",
    "chibi",
    "official art",
    "thick outlines",
    "monochrome, greyscale",
    "lineart",
    "traditional media",
    "painterly",
    "anime screencap",
    "impasto",
)
_MODS_NATURAL = (
    "dramatic lighting",
    "golden hour",
    "fog",
    "wide angle",
    "close-up",
    "rim light",
    "low angle",
    "muted colors",
    "vibrant colors",
    "symmetrical composition",
    "light rain",
    "backlit",
    "soft shadows",
    "high contrast",
    "dusk",
    "overcast",
    "bokeh",
    "long exposure",
    "aerial view",
    "red scarf",
    "glowing eyes",
    "drifting smoke",
    "reflections",
    "scattered petals",
    "snowfall",
    "candlelight",
    "teal and orange palette",
)
_MODS_TAGS = (
    "looking at viewer",
    "from side",
    "upper body",
    "full body",
    "cowboy shot",
    "smile",
    "closed eyes",
    "wind",
    "night",
    "sunset",
    "depth of field",
    "backlighting",
    "dutch angle",
    "from below",
    "blush",
    "outdoors",
    "indoors",
    "floating hair",
    "light particles",
    "petals",
)
_SUFFIX_NATURAL = (
    "highly detailed, sharp focus",
    "volumetric light, muted palette",
    "intricate details, 8k",
    "soft rim light, shallow depth of field",
    "by hollowmere",
    "film grain, subtle vignette",
    "masterful composition",
    "moody, atmospheric",
    "pastel tones, dreamy",
    "hyperdetailed, octane render",
    "in the style of vell ostrander",
    "quiet, contemplative mood",
)
_SUFFIX_TAGS = (
    "absurdres, highres, depth of field",
    "detailed background, dappled sunlight",
    "very aesthetic, newest",
    "sharp focus, intricate details",
    "ambient occlusion, soft lighting",
    "detailed eyes, beautiful detailed sky",
)
_QUALITY_PREFIX = {
    "pony": "score_9, score_8_up, score_7_up, source_anime",
    "illustrious": "masterpiece, best quality, amazing quality",
    "sd15": "masterpiece, best quality",
}
_NAI_QUALITY = "best quality, amazing quality, very aesthetic, absurdres"

_NEGATIVES: dict[str, tuple[str, ...]] = {
    "sd15": (
        "lowres, bad anatomy, bad hands, text, error, missing fingers, extra digit, cropped, "
        "worst quality, low quality, jpeg artifacts, signature, watermark, blurry",
        "EasyNegative, (worst quality:1.4), (low quality:1.4), monochrome",
        "badhandv4, ng_deepnegative_v1_75t, blurry, watermark",
    ),
    "sdxl": (
        "blurry, low quality, deformed, watermark, text",
        "(worst quality, low quality:1.3), ugly, disfigured, cartoon",
        "lowres, bad anatomy, jpeg artifacts, signature",
        "3d render, cgi, plastic skin, oversaturated",
    ),
    "pony": (
        "score_4, score_5, score_6, source_pony, source_furry, lowres, bad anatomy",
        "score_5, score_4, worst quality, blurry, watermark, signature, 3d",
    ),
    "illustrious": (
        "lowres, worst quality, bad quality, bad anatomy, sketch, jpeg artifacts, signature, watermark, old",
        "worst quality, low quality, displeasing, extra digits, censored",
    ),
    "nai": (
        "lowres, {bad}, error, fewer, extra, missing, worst quality, jpeg artifacts, bad quality, "
        "watermark, unfinished, displeasing, chromatic aberration, signature, extra digits, username, scan",
        "lowres, artistic error, film grain, scan artifacts, worst quality, bad quality, jpeg artifacts, "
        "very displeasing, dithering, halftone, screentone, multiple views, logo",
    ),
}
_NEGATIVE_EDITS = (
    "extra fingers",
    "bad hands",
    "nsfw",
    "3d",
    "photo",
    "monochrome",
    "text",
    "bokeh",
    "cropped",
    "deformed iris",
    "(blurry:1.2)",
    "duplicate",
    "mutated hands",
    "out of frame",
)

# checkpoint base names (ComfyUI adds the file extension, A1111/Forge write the bare name)
_CHECKPOINTS: dict[str, tuple[str, ...]] = {
    "sd15": (
        "dreamshaper_8",
        "realisticVisionV60B1_v51HyperVAE",
        "revAnimated_v122EOL",
        "epicrealism_naturalSinRC1VAE",
        "cyberrealistic_v42",
        "meinamix_v11",
        "aZovyaRPGArtistTools_v4",
    ),
    "sdxl": (
        "sd_xl_base_1.0",
        "juggernautXL_v9Rdphoto2Lightning",
        "RealVisXL_V4.0",
        "zavychromaxl_v90",
        "albedobaseXL_v21",
        "dreamshaperXL_v21TurboDPMSDE",
        "copaxTimelessxl_v12",
        "protovisionXLHighFidelity3D_release0630",
    ),
    "pony": (
        "ponyDiffusionV6XL_v6StartWithThisOne",
        "autismmixSDXL_autismmixPony",
        "ponyRealism_v22MainVAE",
        "cyberrealisticPony_v65",
    ),
    "illustrious": (
        "illustriousXL_v01",
        "noobaiXLNAIXL_vPred10Version",
        "waiIllustriousSDXL_v110",
        "hassakuXLIllustrious_v13StyleA",
        "novaAnimeXL_ilV50",
    ),
    "flux": (
        "flux1-dev-fp8",
        "flux1-schnell-fp8",
        "flux1-dev-Q8_0",
        "jibMixFlux_v8AccentueightFp8",
        "fluxmania_legacy",
    ),
}
_FAST_CHECKPOINTS = {
    "juggernautXL_v9Rdphoto2Lightning",
    "dreamshaperXL_v21TurboDPMSDE",
    "flux1-schnell-fp8",
}
_INVOKE_MODELS: dict[str, tuple[str, ...]] = {
    "sd15": ("Dreamshaper 8", "Realistic Vision V6.0", "Deliberate v3"),
    "sdxl": ("Juggernaut XL v9", "RealVisXL V4.0", "Animagine XL 3.1", "SDXL Base 1.0", "DreamShaper XL v2"),
    "flux": ("FLUX Dev (Quantized)", "FLUX Schnell (Quantized)"),
}
_FOOOCUS_MODELS = (
    "juggernautXL_v8Rundiffusion.safetensors",
    "realisticStockPhoto_v20.safetensors",
    "animaPencilXL_v500.safetensors",
    "playground-v2.5-1024px-aesthetic.fp16.safetensors",
)
_NAI_MODELS = ("nai-diffusion-3", "nai-diffusion-4-curated-preview", "nai-diffusion-4-full")
_MJ_MODELS = (("midjourney v6", "6"), ("midjourney v6.1", "6.1"), ("midjourney v7", "7"), ("niji 6", "niji"))

_LORAS: dict[str, tuple[str, ...]] = {
    "sd15": (
        "add_detail",
        "more_details",
        "epiNoiseoffset_v2",
        "LowRA",
        "GoodHands-beta2",
        "ghibli_style_offset",
        "blindbox_v1_mix",
        "InkArtStyle_v1",
        "polyhedron_skin",
    ),
    "sdxl": (
        "xl_more_art-full_v1",
        "add-detail-xl",
        "DetailedEyes_V3",
        "ClassipeintXL2.1",
        "pixel-art-xl-v1.1",
        "Watercolor_Painting_SDXL",
        "papercut_sdxl",
        "Hyper-SDXL-8steps-lora",
        "aether_cloud_v1",
        "cinematic_film_still_xl",
    ),
    "pony": (
        "incase_style_v3-1_ponyxl",
        "expressiveH_pony",
        "concept_art_twilight_pony",
        "sinfully_stylish_pony",
        "zy_detailed_backgrounds_pony",
    ),
    "illustrious": (
        "thick_lineart_ill",
        "retro_anime_90s_ill",
        "sinozick_style_illustrious",
        "detailer_il_v2",
        "ghibli_ill",
        "niji_flat_ill",
    ),
    "flux": (
        "flux_realism_lora",
        "FLUX.1-Turbo-Alpha",
        "aidmaMJ6.1-FLUX-v0.4",
        "flux_film_foto",
        "ink_wash_flux_v2",
        "retro_comic_flux",
        "amateurphoto-v6-forcu",
    ),
}
_UPSCALERS = (
    "4x-UltraSharp",
    "RealESRGAN_x4plus",
    "4x_NMKD-Siax_200k",
    "4x_foolhardy_Remacri",
    "R-ESRGAN 4x+",
)

_COMFY_SAMPLERS = (
    ("euler", "normal"),
    ("euler_ancestral", "normal"),
    ("dpmpp_2m", "karras"),
    ("dpmpp_2m_sde", "karras"),
    ("dpmpp_3m_sde", "exponential"),
    ("uni_pc", "normal"),
    ("deis", "beta"),
    ("dpmpp_sde", "karras"),
)
_COMFY_FLUX_SAMPLERS = (("euler", "simple"), ("euler", "beta"), ("deis", "beta"), ("dpmpp_2m", "sgm_uniform"))
_COMFY_SCHEDULERS = ("normal", "karras", "exponential", "sgm_uniform", "simple", "beta")
_A1111_SAMPLERS = (
    "DPM++ 2M",
    "Euler a",
    "DPM++ SDE",
    "DPM++ 2M SDE",
    "Euler",
    "DPM++ 3M SDE",
    "UniPC",
    "DDIM",
)
_A1111_SCHEDULERS = ("Karras", "Automatic", "Exponential", "SGM Uniform")
_INVOKE_SCHEDULERS = ("dpmpp_2m_k", "euler_a", "dpmpp_3m_k", "euler", "unipc", "dpmpp_2m_sde_k", "heun")
_NAI_SAMPLERS = ("k_euler_ancestral", "k_euler", "k_dpmpp_2s_ancestral", "k_dpmpp_2m_sde", "k_dpmpp_sde")
_NAI_SCHEDULES = ("native", "karras", "exponential", "polyexponential")

_SIZES: dict[str, tuple[tuple[int, int], ...]] = {
    "sd15": ((512, 768), (768, 512), (512, 512), (640, 896), (576, 832)),
    "xl": ((1024, 1024), (832, 1216), (1216, 832), (896, 1152), (1344, 768), (768, 1344)),
    "nai": ((832, 1216), (1216, 832), (1024, 1024)),
}
_MJ_ASPECTS = {
    "1:1": (1024, 1024),
    "2:3": (896, 1344),
    "3:2": (1344, 896),
    "16:9": (1456, 816),
    "9:16": (816, 1456),
    "4:5": (928, 1152),
    "21:9": (1568, 672),
}
_RENDER_SECONDS = {"sd15": 2.0, "sdxl": 7.0, "pony": 7.0, "illustrious": 7.0, "flux": 24.0, "nai": 5.0}

_HANDLES = (
    "ashgrove",
    "mirela.k",
    "kenji_draws",
    "vantablack_owl",
    "sol_arden",
    "pixelmoth",
    "noor",
    "tadeo.v",
    "lumen_rue",
    "brassfinch",
    "yuki_n",
    "corvid_studio",
    "hollis",
    "marta_gp",
    "fennwick",
    "oona",
    "quill_and_grain",
    "rasmus",
    "saffron_ink",
    "tobiah",
    "umbral",
    "wren.exe",
    "zeph",
    "ilse_m",
    "dovetail",
    "kasimir",
    "pallas",
    "ondine_art",
)
_UTC_OFFSETS_H = (-8.0, -7.0, -6.0, -5.0, -4.0, -3.0, 0.0, 1.0, 1.0, 2.0, 3.0, 5.5, 7.0, 8.0, 9.0, 10.0)


# --------------------------------------------------------------------------------------------------
# Artist model
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Archetype:
    name: str
    tools: tuple[tuple[str, float], ...]
    families: tuple[tuple[str, float], ...]
    tag_bias: float
    """Probability that an SD1.5/SDXL project of this artist is written as booru tags."""
    think_s: float
    batches: tuple[int, ...]
    weekday_p: float
    weekend_p: float
    extra_sittings: float
    sessions_per_sitting: float
    start_hours: tuple[tuple[float, float], ...]
    templates: tuple[tuple[str, float], ...]
    quick_p: float
    stamina: float
    secondary: tuple[tuple[str, float], ...]
    secondary_p: float


_ARCHETYPES: tuple[_Archetype, ...] = (
    _Archetype(
        "comfy_batcher",
        (("comfyui", 1.0),),
        (("sdxl", 0.35), ("pony", 0.25), ("illustrious", 0.15), ("flux", 0.25)),
        0.1,
        20.0,
        (4, 4, 4, 2, 8),
        0.6,
        0.65,
        0.4,
        1.6,
        ((21.0, 1.5), (15.0, 2.0)),
        (("explore", 0.30), ("refine", 0.24), ("optimize", 0.06), ("converge", 0.26), ("pivot", 0.14)),
        0.24,
        1.0,
        (("midjourney", 0.6), ("forge", 0.4)),
        0.25,
    ),
    _Archetype(
        "comfy_tinkerer",
        (("comfyui", 1.0),),
        (("flux", 0.45), ("sdxl", 0.35), ("sd15", 0.2)),
        0.0,
        55.0,
        (1, 1, 2),
        0.55,
        0.5,
        0.35,
        1.6,
        ((20.0, 2.0), (10.0, 2.0)),
        (("explore", 0.12), ("refine", 0.30), ("optimize", 0.32), ("converge", 0.14), ("pivot", 0.12)),
        0.22,
        1.0,
        (("forge", 1.0),),
        0.25,
    ),
    _Archetype(
        "a1111_evening",
        (("a1111", 1.0),),
        (("sd15", 0.45), ("sdxl", 0.4), ("pony", 0.15)),
        0.35,
        50.0,
        (2, 4, 4, 1),
        0.55,
        0.7,
        0.25,
        1.6,
        ((20.5, 1.2),),
        (("explore", 0.22), ("refine", 0.34), ("optimize", 0.12), ("converge", 0.22), ("pivot", 0.10)),
        0.28,
        1.0,
        (("forge", 1.0),),
        0.35,
    ),
    _Archetype(
        "forge_anime",
        (("forge", 1.0),),
        (("illustrious", 0.5), ("pony", 0.35), ("flux", 0.15)),
        1.0,
        40.0,
        (2, 4),
        0.55,
        0.75,
        0.4,
        1.7,
        ((22.0, 1.5), (16.0, 2.0)),
        (("explore", 0.26), ("refine", 0.32), ("optimize", 0.08), ("converge", 0.24), ("pivot", 0.10)),
        0.3,
        1.0,
        (("a1111", 1.0),),
        0.3,
    ),
    _Archetype(
        "mj_slow",
        (("midjourney", 1.0),),
        (("mj", 1.0),),
        0.0,
        170.0,
        (4,),
        0.5,
        0.6,
        0.25,
        1.5,
        ((9.0, 1.5), (19.0, 2.0)),
        (("explore", 0.34), ("refine", 0.26), ("optimize", 0.06), ("converge", 0.24), ("pivot", 0.10)),
        0.3,
        0.9,
        (("comfyui", 1.0),),
        0.1,
    ),
    _Archetype(
        "mj_fast",
        (("midjourney", 1.0),),
        (("mj", 1.0),),
        0.0,
        70.0,
        (4,),
        0.65,
        0.5,
        0.4,
        1.7,
        ((13.0, 2.5),),
        (("explore", 0.30), ("refine", 0.26), ("optimize", 0.10), ("converge", 0.24), ("pivot", 0.10)),
        0.26,
        1.0,
        (("comfyui", 0.6), ("forge", 0.4)),
        0.35,
    ),
    _Archetype(
        "nai_anime",
        (("novelai", 1.0),),
        (("nai", 1.0),),
        1.0,
        25.0,
        (1, 1, 1, 4),
        0.55,
        0.75,
        0.45,
        1.7,
        ((23.0, 1.5), (17.0, 2.0)),
        (("explore", 0.26), ("refine", 0.34), ("optimize", 0.08), ("converge", 0.22), ("pivot", 0.10)),
        0.3,
        1.0,
        (("forge", 1.0),),
        0.2,
    ),
    _Archetype(
        "weekend_hobbyist",
        (("fooocus", 0.4), ("a1111", 0.35), ("invokeai", 0.25)),
        (("sdxl", 0.65), ("sd15", 0.35)),
        0.15,
        110.0,
        (2,),
        0.08,
        0.85,
        0.7,
        2.0,
        ((10.5, 1.5), (15.0, 2.0), (20.5, 1.5)),
        (("explore", 0.32), ("refine", 0.28), ("optimize", 0.06), ("converge", 0.24), ("pivot", 0.10)),
        0.34,
        0.9,
        (("midjourney", 1.0),),
        0.1,
    ),
    _Archetype(
        "invoke_pro",
        (("invokeai", 1.0),),
        (("sdxl", 0.6), ("flux", 0.25), ("sd15", 0.15)),
        0.0,
        75.0,
        (1, 2, 4),
        0.75,
        0.2,
        0.6,
        1.6,
        ((10.0, 1.0), (14.5, 1.0)),
        (("explore", 0.18), ("refine", 0.40), ("optimize", 0.14), ("converge", 0.20), ("pivot", 0.08)),
        0.24,
        1.0,
        (("comfyui", 1.0),),
        0.2,
    ),
    _Archetype(
        "fooocus_casual",
        (("fooocus", 1.0),),
        (("sdxl", 1.0),),
        0.0,
        80.0,
        (2, 2, 4, 1),
        0.45,
        0.55,
        0.3,
        1.5,
        ((19.5, 2.0), (12.0, 2.0)),
        (("explore", 0.32), ("refine", 0.30), ("optimize", 0.04), ("converge", 0.24), ("pivot", 0.10)),
        0.32,
        0.85,
        (("a1111", 1.0),),
        0.15,
    ),
)


@dataclass(slots=True)
class _Artist:
    name: str
    arch: _Archetype
    tz: timezone
    primary: str
    secondary: str | None
    families: tuple[str, ...]
    family_weights: tuple[float, ...]
    sentence_prompts: bool
    suffix_natural: str
    suffix_tags: str
    fav_styles: tuple[str, ...]
    fav_tag_styles: tuple[str, ...]
    fav_genres: tuple[str, ...]
    think_s: float
    gpu: float
    names_sources: bool
    seed_mode: str
    power_lora: bool
    folded_sampler: bool
    comfy_history: bool
    mj_minute: bool
    comfy_prefix: str


@dataclass(frozen=True, slots=True)
class _Look:
    """Everything about how an image is rendered except the prompt text."""

    tool: str
    model: str
    family: str
    fast: bool
    tags: bool
    loras: tuple[tuple[str, float], ...]
    negative: str | None
    width: int
    height: int
    cfg: float | None
    steps: int | None
    sampler: str | None
    scheduler: str | None
    batch: int
    guidance: float | None = None
    sharpness: float | None = None
    mj_aspect: str = "1:1"
    mj_stylize: int = 100
    mj_chaos: int = 0
    mj_weird: int = 0
    mj_raw: bool = False


@dataclass(frozen=True, slots=True)
class _Prompt:
    subject: int
    style: str
    mods: tuple[tuple[str, float], ...]
    suffix: bool


@dataclass(slots=True)
class _Out:
    """One emitted record with what the simulator needs to derive from it later."""

    record: GenerationRecord
    prompt: _Prompt
    look: _Look
    seed: int | None
    vec: np.ndarray | None
    t: float


@dataclass(slots=True)
class _Project:
    tool: str
    genres: tuple[str, ...]
    style: str
    look: _Look
    focus: list[int]
    keepers: list[tuple[_Prompt, _Look, int | None]] = field(default_factory=list)


@dataclass(slots=True)
class _Concept:
    prompt: _Prompt
    look: _Look
    outs: list[_Out]


# --------------------------------------------------------------------------------------------------
# Visual embeddings
# --------------------------------------------------------------------------------------------------


class _Visuals:
    """Lazily drawn unit directions; a separate generator so ``with_visual`` never changes the records."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._dirs: dict[tuple[object, ...], np.ndarray] = {}

    def unit(self, key: tuple[object, ...]) -> np.ndarray:
        vec = self._dirs.get(key)
        if vec is None:
            raw = self._rng.standard_normal(FIELD_VISUAL_DIM)
            vec = raw / np.linalg.norm(raw)
            self._dirs[key] = vec
        return vec

    def fresh(self) -> np.ndarray:
        raw = self._rng.standard_normal(FIELD_VISUAL_DIM)
        return np.asarray(raw / np.linalg.norm(raw), dtype=np.float64)

    @staticmethod
    def _norm(vec: np.ndarray) -> np.ndarray:
        return np.asarray(vec / np.linalg.norm(vec), dtype=np.float64)

    def render(self, prompt: _Prompt, look: _Look, composition: tuple[object, ...] | None) -> np.ndarray:
        genre = _SUBJECTS[prompt.subject][0]
        vec = 0.55 * self.unit(("genre", genre)) + 0.95 * self.unit(("subject", prompt.subject))
        vec = vec + 0.5 * self.unit(("style", prompt.style)) + 0.22 * self.unit(("model", look.model))
        for name, weight in look.loras:
            vec = vec + 0.1 * weight * self.unit(("lora", name))
        for mod, weight in prompt.mods:
            vec = vec + 0.12 * weight * self.unit(("mod", mod))
        comp = self.unit(("comp", *composition)) if composition is not None else self.fresh()
        vec = vec + 0.42 * comp + 0.03 * self.fresh()
        return self._norm(vec)

    def near(self, parent: np.ndarray, amount: float) -> np.ndarray:
        return self._norm(parent + amount * self.fresh())

    def mix(self, parent: np.ndarray, other: np.ndarray, weight: float) -> np.ndarray:
        return self._norm((1.0 - weight) * parent + weight * other + 0.03 * self.fresh())


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------

_PREPOSITIONS = re.compile(
    r"\b(?:with|on|in|at|under|from|of|above|inside|after|through|facing|by|into|between|during|out)\b"
)
_ARTICLES = re.compile(r"\b(?:a|an|the)\b\s*")
_SCENERY_GENRES = {"landscape", "urban", "interior"}


def _tagify(phrase: str, genre: str) -> str:
    """A natural subject as booru tags: "dragon perched on castle ruins" → "dragon perched, castle ruins"."""
    parts = [p.strip() for p in _PREPOSITIONS.split(_ARTICLES.sub("", phrase)) if p.strip()]
    if genre in _SCENERY_GENRES:
        parts.append("scenery")
    if genre not in ("portrait", "anime"):
        parts.append("no humans")
    return ", ".join(parts)


def _article(phrase: str) -> str:
    head = _PREPOSITIONS.split(phrase)[0].split()
    if head and head[-1].endswith("s") and not head[-1].endswith("ss"):
        return phrase
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def _slug(text: str, limit: int = 48) -> str:
    words = re.sub(r"[^a-z0-9 ]+", " ", text.lower()).split()
    return "_".join(words)[:limit].rstrip("_")


def _pick(rng: np.random.Generator, items: tuple[_T, ...] | list[_T]) -> _T:
    return items[int(rng.integers(len(items)))]


def _weighted(rng: np.random.Generator, pairs: tuple[tuple[_T, float], ...]) -> _T:
    weights = np.array([w for _, w in pairs], dtype=np.float64)
    index = int(rng.choice(len(pairs), p=weights / weights.sum()))
    return pairs[index][0]


def _intent_of(phases: list[tuple[str, int, bool]]) -> str:
    """``(phase, records, continues_explored)`` runs → the session's intent (see the module docstring)."""
    total = sum(n for _, n, _ in phases)
    for index, (phase, _, continues) in enumerate(phases):
        if phase == "refinement" and continues and index > 0 and phases[index - 1][0] == "exploration":
            tail = sum(n for _, n, _ in phases[index - 1 :])
            if 2 * tail >= total:
                return "convergent_selection"
    counts: Counter[str] = Counter()
    for phase, n, _ in phases:
        counts[phase] += n
    return counts.most_common(1)[0][0]


# --------------------------------------------------------------------------------------------------
# One artist's history
# --------------------------------------------------------------------------------------------------


class _ArtistRun:
    def __init__(
        self,
        artist: _Artist,
        rng: np.random.Generator,
        visuals: _Visuals | None,
        library: SimulatedLibrary,
        id_prefix: str,
        id_counter: list[int],
    ) -> None:
        self.a = artist
        self.rng = rng
        self.vis = visuals
        self.lib = library
        self.id_prefix = id_prefix
        self.id_counter = id_counter
        self.t = -math.inf
        self.session_number = 0
        self.session_key = ""
        self.session_tool = ""
        self.session_runs: list[tuple[str, int, bool]] = []
        self.session_subjects: set[int] = set()
        self.projects: list[_Project] = []
        self.comfy_counters: Counter[str] = Counter()
        self.a1111_counters: Counter[tuple[str, str]] = Counter()
        self.nai_names: Counter[str] = Counter()
        self.workflow_hashes: dict[tuple[object, ...], str] = {}

    # ---- schedule -------------------------------------------------------------------------------

    def run(self, days: int) -> None:
        a, rng = self.a, self.rng
        day0 = datetime(*_DAY0, tzinfo=a.tz).timestamp()
        for day in range(days):
            weekend = day % 7 >= 5
            if rng.random() >= (a.arch.weekend_p if weekend else a.arch.weekday_p):
                continue
            sittings = 1 + min(int(rng.poisson(a.arch.extra_sittings)), 2)
            hours = sorted(
                float(np.clip(rng.normal(*_pick(rng, a.arch.start_hours)), 6.0, 25.5))
                for _ in range(sittings)
            )
            for hour in hours:
                start = day0 + day * 86400.0 + hour * 3600.0
                if start < self.t + 60 * _MIN:
                    start = self.t + float(rng.uniform(60, 180)) * _MIN
                if start > day0 + day * 86400.0 + 27.0 * 3600.0:
                    continue
                self._sitting(start)

    def _sitting(self, start: float) -> None:
        a, rng = self.a, self.rng
        sessions = 1 + min(int(rng.poisson(a.arch.sessions_per_sitting - 1.0)), 5)
        previous: _Project | None = None
        self.t = start
        for index in range(sessions):
            if index > 0:
                roll = rng.random()
                gap_min = (
                    rng.uniform(5, 20)
                    if roll < 0.70
                    else rng.uniform(2, 5)
                    if roll < 0.85
                    else rng.uniform(20, 45)
                )
                self.t += float(gap_min) * _MIN
            tool = a.primary
            if a.secondary is not None and rng.random() < 0.2:
                tool = a.secondary
            project = self._choose_project(tool, previous, first_of_sitting=index == 0)
            template = "quick" if rng.random() < a.arch.quick_p else _weighted(rng, a.arch.templates)
            if project.keepers and template == "explore" and rng.random() < 0.5:
                template = _pick(rng, ("refine", "optimize", "refine"))
            self._session(template, project)
            previous = project

    # ---- projects and looks ---------------------------------------------------------------------

    def _family_for(self, tool: str) -> str:
        if tool == "midjourney":
            return "mj"
        if tool == "novelai":
            return "nai"
        if tool == "fooocus":
            return "sdxl"
        allowed = {
            "comfyui": {"sd15", "sdxl", "pony", "illustrious", "flux"},
            "forge": {"sd15", "sdxl", "pony", "illustrious", "flux"},
            "a1111": {"sd15", "sdxl", "pony", "illustrious"},
            "invokeai": {"sd15", "sdxl", "flux"},
        }[tool]
        pairs = tuple(
            (f, w) for f, w in zip(self.a.families, self.a.family_weights, strict=True) if f in allowed
        )
        if not pairs:
            pairs = (("sdxl", 1.0),)
        return _weighted(self.rng, pairs)

    def _choose_project(self, tool: str, previous: _Project | None, *, first_of_sitting: bool) -> _Project:
        rng = self.rng
        if first_of_sitting and self.projects and rng.random() < 0.3:
            candidates = [p for p in self.projects[-5:] if p.tool == tool]
            if candidates:
                return _pick(rng, candidates)
        if previous is not None and previous.tool != tool and rng.random() < 0.35:
            # the same subject carried into another tool: still a new session (tool switch)
            family = self._family_for(tool)
            tags = family in ("pony", "illustrious", "nai") or (
                previous.look.tags and family in ("sd15", "sdxl") and tool != "midjourney"
            )
            look = self._new_look(tool, family, tags)
            project = _Project(tool, previous.genres, previous.style, look, list(previous.focus))
            self.projects.append(project)
            return project
        avoid = set(previous.genres) if previous is not None else set()
        project = self._new_project(tool, avoid, previous, habit=not first_of_sitting or rng.random() < 0.5)
        self.projects.append(project)
        return project

    def _new_project(self, tool: str, avoid: set[str], previous: _Project | None, habit: bool) -> _Project:
        a, rng = self.a, self.rng
        family = self._family_for(tool)
        tags = family in ("pony", "illustrious", "nai") or (
            family in ("sd15", "sdxl") and tool != "midjourney" and rng.random() < a.arch.tag_bias
        )
        pool = _TAG_GENRES if tags else _NATURAL_GENRES
        favourites = [g for g in a.fav_genres if g in pool and g not in avoid]
        others = [g for g in pool if g not in avoid]
        first = _pick(rng, favourites) if favourites and rng.random() < 0.7 else _pick(rng, others)
        genres = [first]
        if rng.random() < 0.3:
            second = _pick(rng, [g for g in others if g != first] or [first])
            genres.append(second)
        styles = a.fav_tag_styles if tags else a.fav_styles
        all_styles = _STYLES_TAGS if tags else _STYLES_NATURAL
        style = _pick(rng, styles) if habit and rng.random() < 0.6 else _pick(rng, all_styles)
        if previous is not None and style == previous.style and rng.random() < 0.8:
            style = _pick(rng, [s for s in all_styles if s != previous.style])
        look = self._new_look(tool, family, tags)
        if previous is not None and previous.tool == tool and previous.look.family == family:
            if rng.random() < 0.5:
                look = replace(look, model=previous.look.model, fast=previous.look.fast)
            if rng.random() < 0.3:
                look = replace(look, loras=previous.look.loras)
        focus_pool = [s for g in genres for s in _SUBJECTS_BY_GENRE[g]]
        focus = [int(s) for s in rng.choice(focus_pool, size=min(len(focus_pool), 5), replace=False)]
        return _Project(tool, tuple(genres), style, look, focus)

    def _model_name(self, tool: str, family: str) -> tuple[str, bool]:
        rng = self.rng
        if tool == "midjourney":
            return _pick(rng, _MJ_MODELS)[0], False
        if tool == "novelai":
            return _pick(rng, _NAI_MODELS), False
        if tool == "fooocus":
            return _pick(rng, _FOOOCUS_MODELS), False
        if tool == "invokeai":
            name = _pick(rng, _INVOKE_MODELS.get(family, _INVOKE_MODELS["sdxl"]))
            return name, "Schnell" in name
        base = _pick(rng, _CHECKPOINTS[family])
        fast = base in _FAST_CHECKPOINTS
        if tool == "comfyui":
            return base + (".gguf" if base.endswith("Q8_0") else ".safetensors"), fast
        return base, fast

    def _lora_name(self, tool: str, base: str) -> str:
        return base + ".safetensors" if tool in ("comfyui", "fooocus") else base

    def _new_loras(self, tool: str, family: str) -> tuple[tuple[str, float], ...]:
        rng = self.rng
        if tool == "fooocus":
            loras: list[tuple[str, float]] = [("sd_xl_offset_example-lora_1.0.safetensors", 0.1)]
            if rng.random() < 0.35:
                loras.append(
                    (
                        self._lora_name(tool, _pick(rng, _LORAS["sdxl"])),
                        round(float(rng.uniform(0.4, 1.0)), 2),
                    )
                )
            return tuple(loras)
        if tool in ("midjourney", "novelai"):
            return ()
        pool = _LORAS["sdxl" if family not in _LORAS else family]
        count = int(rng.choice([0, 1, 1, 2, 2, 3]))
        names = rng.choice(len(pool), size=min(count, len(pool)), replace=False)
        return tuple(
            (self._lora_name(tool, pool[int(i)]), round(float(rng.choice([0.4, 0.5, 0.6, 0.7, 0.8, 1.0])), 2))
            for i in names
        )

    def _sampler(self, tool: str, family: str, fast: bool) -> tuple[str | None, str | None]:
        rng = self.rng
        if tool == "comfyui":
            return _pick(rng, _COMFY_FLUX_SAMPLERS if family == "flux" else _COMFY_SAMPLERS)
        if tool in ("a1111", "forge"):
            if family == "flux":
                return "Euler", "Simple"
            sampler = "DPM++ SDE" if fast else _pick(rng, _A1111_SAMPLERS)
            scheduler = "Karras" if fast else _pick(rng, _A1111_SCHEDULERS)
            if self.a.folded_sampler and scheduler != "Automatic":
                return f"{sampler} {scheduler}", None
            return sampler, scheduler
        if tool == "invokeai":
            return _pick(rng, _INVOKE_SCHEDULERS), None
        if tool == "novelai":
            return _pick(rng, _NAI_SAMPLERS[:3]), _pick(rng, _NAI_SCHEDULES[:2])
        if tool == "fooocus":
            return "dpmpp_2m_sde_gpu", "karras"
        return None, None

    def _new_look(self, tool: str, family: str, tags: bool) -> _Look:
        a, rng = self.a, self.rng
        model, fast = self._model_name(tool, family)
        batch = int(_pick(rng, a.arch.batches))
        if tool == "midjourney":
            aspect = _pick(rng, ("1:1", "2:3", "3:2", "16:9", "4:5", "9:16", "21:9"))
            width, height = _MJ_ASPECTS[aspect]
            return _Look(
                tool,
                model,
                "mj",
                False,
                False,
                (),
                None,
                width,
                height,
                None,
                None,
                None,
                None,
                4,
                mj_aspect=aspect,
                mj_stylize=int(_pick(rng, (50, 100, 100, 250, 400, 750))),
                mj_chaos=int(_pick(rng, (0, 0, 0, 10, 25))),
                mj_weird=int(_pick(rng, (0, 0, 0, 0, 250))),
                mj_raw=bool(rng.random() < 0.3),
            )
        sizes = _SIZES["sd15"] if family == "sd15" else _SIZES["nai"] if family == "nai" else _SIZES["xl"]
        width, height = _pick(rng, sizes)
        sampler, scheduler = self._sampler(tool, family, fast)
        guidance: float | None = None
        sharpness: float | None = None
        negatives = _NEGATIVES.get(family)
        negative = _pick(rng, negatives) if negatives else None
        if family == "flux":
            cfg: float | None = 1.0
            steps = 4 if fast else int(_pick(rng, (20, 20, 25, 28, 30)))
            guidance = float(_pick(rng, (2.5, 3.0, 3.5, 3.5, 4.0)))
            negative = None
        elif fast:
            cfg = float(_pick(rng, (1.5, 2.0, 2.0, 2.5)))
            steps = int(_pick(rng, (6, 8, 8)))
        elif family == "sd15":
            cfg = float(_pick(rng, (6.0, 7.0, 7.0, 7.5, 8.0)))
            steps = int(_pick(rng, (20, 25, 30, 30)))
        elif family == "illustrious":
            cfg = float(_pick(rng, (4.5, 5.0, 5.5, 6.0)))
            steps = int(_pick(rng, (24, 28, 30)))
        elif family == "nai":
            cfg = float(_pick(rng, (5.0, 5.0, 5.5, 6.0)))
            steps = 28
        else:
            cfg = float(_pick(rng, (5.0, 5.5, 6.0, 7.0)))
            steps = int(_pick(rng, (25, 30, 30, 35, 40)))
        if tool == "fooocus":
            cfg = float(_pick(rng, (4.0, 4.0, 4.0, 5.0, 7.0)))
            steps = int(_pick(rng, (30, 30, 60)))
            sharpness = float(_pick(rng, (2.0, 2.0, 4.0)))
            negative = None if rng.random() < 0.75 else _pick(rng, _NEGATIVES["sdxl"])
        if tool == "novelai":
            batch = 4 if batch == 4 and rng.random() < 0.3 else 1
        return _Look(
            tool,
            model,
            family,
            fast,
            tags,
            self._new_loras(tool, family),
            negative,
            width,
            height,
            cfg,
            steps,
            sampler,
            scheduler,
            batch,
            guidance=guidance,
            sharpness=sharpness,
        )

    # ---- prompts --------------------------------------------------------------------------------

    def _new_prompt(self, subject: int, style: str, tags: bool) -> _Prompt:
        rng = self.rng
        mods_pool = _MODS_TAGS if tags else _MODS_NATURAL
        count = int(rng.choice([0, 1, 1, 2, 2, 3]))
        mods = tuple((mods_pool[int(i)], 1.0) for i in rng.choice(len(mods_pool), size=count, replace=False))
        return _Prompt(subject, style, mods, bool(rng.random() < 0.88))

    def _tweak(self, prompt: _Prompt, look: _Look) -> _Prompt:
        rng = self.rng
        pool = _MODS_TAGS if look.tags else _MODS_NATURAL
        mods = list(prompt.mods)
        present = {m for m, _ in mods}
        roll = rng.random()
        if roll < 0.35 or not mods:
            mods.append((_pick(rng, [m for m in pool if m not in present]), 1.0))
        elif roll < 0.55:
            mods.pop(int(rng.integers(len(mods))))
        elif roll < 0.85 and look.tool != "midjourney":
            index = int(rng.integers(len(mods)))
            word, weight = mods[index]
            new_weight = round(float(np.clip(weight + _pick(rng, (-0.2, -0.1, 0.1, 0.2, 0.3)), 0.5, 1.6)), 1)
            mods[index] = (word, new_weight)
        else:
            index = int(rng.integers(len(mods)))
            mods[index] = (_pick(rng, [m for m in pool if m not in present]), mods[index][1])
        return replace(prompt, mods=tuple(mods))

    def _weighted_word(self, word: str, weight: float, look: _Look) -> str:
        if abs(weight - 1.0) < 1e-9 or look.tool == "midjourney":
            return word
        if look.tool == "novelai":
            steps = round(math.log(weight) / math.log(1.05))
            return ("{" * steps + word + "}" * steps) if steps > 0 else ("[" * -steps + word + "]" * -steps)
        if look.tool == "invokeai":
            return f"({word}){weight:.1f}"
        return f"({word}:{weight:.1f})"

    def _text(self, prompt: _Prompt, look: _Look) -> str:
        a = self.a
        genre, phrase = _SUBJECTS[prompt.subject]
        mods = [self._weighted_word(m, w, look) for m, w in prompt.mods]
        if look.tags:
            subject = phrase if genre == "anime" else _tagify(phrase, genre)
            parts = [_QUALITY_PREFIX.get(look.family, ""), subject, *mods, prompt.style]
            if prompt.suffix:
                parts.append(a.suffix_tags)
            if look.family == "nai":
                parts.append(_NAI_QUALITY)
            text = ", ".join(p for p in parts if p)
        else:
            if genre == "anime":
                phrase = _tagify(phrase, genre)
            suffix = a.suffix_natural if prompt.suffix else ""
            if a.sentence_prompts:
                text = f"{_article(phrase).capitalize()}, {prompt.style}."
                if mods:
                    text += " " + ", ".join(mods).capitalize() + "."
                if suffix:
                    text += " " + suffix.capitalize() + "."
            else:
                text = ", ".join(p for p in (phrase, *mods, prompt.style, suffix) if p)
        if look.tool in ("a1111", "forge") and look.loras:
            text += " " + " ".join(f"<lora:{name}:{weight:g}>" for name, weight in look.loras)
        if look.tool == "midjourney":
            text += " " + self._mj_params(look)
        return text

    def _mj_params(self, look: _Look, seed: int | None = None) -> str:
        version = next(v for name, v in _MJ_MODELS if name == look.model)
        params = [f"--ar {look.mj_aspect}"]
        if look.mj_chaos:
            params.append(f"--chaos {look.mj_chaos}")
        if look.mj_weird:
            params.append(f"--weird {look.mj_weird}")
        params.append(f"--stylize {look.mj_stylize}")
        if look.mj_raw:
            params.append("--style raw")
        params.append("--niji 6" if version == "niji" else f"--v {version}")
        if seed is not None:
            params.append(f"--seed {seed}")
        return " ".join(params)

    # ---- time -----------------------------------------------------------------------------------

    def _think(self, scale: float = 1.0) -> float:
        seconds = self.a.think_s * scale * math.exp(0.7 * self.rng.standard_normal())
        return float(min(seconds, 600.0))

    def _concept_gap(self) -> float:
        median = max(45.0, 1.2 * self.a.think_s)
        return float(np.clip(median * math.exp(0.5 * self.rng.standard_normal()), 20.0, 420.0))

    def _maybe_break(self, p: float = 0.03) -> None:
        if self.rng.random() < p:
            self.t += float(self.rng.uniform(2, 15)) * _MIN

    def _render_seconds(self, look: _Look) -> float:
        if look.tool == "midjourney":
            return float(self.rng.uniform(35, 70))
        base = _RENDER_SECONDS.get(look.family, 7.0)
        steps = look.steps or 28
        area = (look.width * look.height) / (1024 * 1024)
        seconds = base * (steps / 28.0) * max(area, 0.3) * self.a.gpu
        if look.fast:
            seconds *= 0.6
        return max(0.8, seconds)

    def _stamp(self, t: float, tool: str) -> tuple[datetime, str, TimePrecision]:
        a = self.a
        if tool == "midjourney":
            if a.mj_minute:
                ts = math.floor(t / 60.0) * 60.0
                return datetime.fromtimestamp(ts, UTC), "metadata:enqueue_time", TimePrecision.MINUTE
            return datetime.fromtimestamp(math.floor(t), UTC), "metadata:Creation Time", TimePrecision.SECOND
        if tool == "comfyui" and a.comfy_history:
            ts = math.floor(t * 1000.0) / 1000.0
            return (
                datetime.fromtimestamp(ts, a.tz),
                "metadata:history.execution_success",
                TimePrecision.MILLISECOND,
            )
        if tool == "invokeai":
            return (
                datetime.fromtimestamp(math.floor(t), UTC),
                "metadata:images.created_at",
                TimePrecision.SECOND,
            )
        if tool == "fooocus":
            return datetime.fromtimestamp(math.floor(t), a.tz), "filename", TimePrecision.SECOND
        return datetime.fromtimestamp(math.floor(t), a.tz), "file:mtime", TimePrecision.SECOND

    # ---- ids, names, hashes ---------------------------------------------------------------------

    def _uuid(self) -> str:
        return str(uuid.UUID(bytes=bytes(self.rng.bytes(16)), version=4))

    def _workflow_hash(self, look: _Look, mode: str, hires: bool, sampled: bool) -> str:
        """One hash per graph structure: LoRA loader nodes, hires pass, img2img/upscale/inpaint graphs."""
        loras: object = "power" if self.a.power_lora and look.loras else len(look.loras)
        key: tuple[object, ...] = (
            (mode, look.family == "flux", loras, hires) if sampled else (mode, "model-only")
        )
        value = self.workflow_hashes.get(key)
        if value is None:
            value = self.rng.bytes(8).hex()
            self.workflow_hashes[key] = value
        return value

    def _file_name(
        self, look: _Look, mode: str, seed: int | None, t: float, text: str | None
    ) -> tuple[str, int | None]:
        a = self.a
        tool = look.tool
        if tool == "comfyui":
            prefix = {"upscale": "upscaled", "inpaint": "inpaint"}.get(mode, a.comfy_prefix)
            self.comfy_counters[prefix] += 1
            count = self.comfy_counters[prefix]
            return f"{prefix}_{count:05d}_.png", count
        if tool in ("a1111", "forge"):
            local_day = datetime.fromtimestamp(t, a.tz).strftime("%Y-%m-%d")
            folder = {"upscale": "extras", "img2img": "img2img", "inpaint": "img2img"}.get(mode, "txt2img")
            count = self.a1111_counters[(folder, local_day)]
            self.a1111_counters[(folder, local_day)] += 1
            if folder == "extras":
                return f"{count:05d}.png", count
            return f"{count:05d}-{seed}.png", count
        if tool == "novelai":
            stem = (text or "image")[:40].strip().rstrip(",")
            base = f"{stem} s-{seed}"
            self.nai_names[base] += 1
            n = self.nai_names[base]
            return (f"{base}.png" if n == 1 else f"{base} ({n - 1}).png"), None
        if tool == "fooocus":
            local = datetime.fromtimestamp(t, a.tz)
            return f"{local:%Y-%m-%d_%H-%M-%S}_{int(self.rng.integers(1000, 10000))}.png", None
        return f"{self._uuid()}.png", None

    # ---- emission -------------------------------------------------------------------------------

    def _add(
        self,
        *,
        phase: str,
        prompt: _Prompt,
        look: _Look,
        t: float,
        seed: int | None,
        mode: str,
        parent: _Out | None,
        edge: str | None,
        denoise: float | None,
        width: int,
        height: int,
        keep_prompt: bool,
        vec: np.ndarray | None,
        job_id: str | None = None,
        parent_job_id: str | None = None,
        file_name: str | None = None,
        extra: dict[str, object] | None = None,
        hires: bool = False,
    ) -> _Out:
        created_at, source, precision = self._stamp(t, look.tool)
        text = self._text(prompt, look) if keep_prompt else None
        counter: int | None = None
        if file_name is None:
            file_name, counter = self._file_name(look, mode, seed, t, text)
        names_parent = parent is not None and (
            look.tool in ("comfyui", "invokeai") or (look.tool != "midjourney" and self.a.names_sources)
        )
        record_extra: dict[str, object] = dict(extra or {})
        if counter is not None:
            record_extra["file_counter"] = counter
        if look.guidance is not None and keep_prompt:
            record_extra["guidance"] = look.guidance
        if look.sharpness is not None:
            record_extra["sharpness"] = look.sharpness
        self.id_counter[0] += 1
        record = GenerationRecord(
            id=f"{self.id_prefix}-{self.id_counter[0]:07d}",
            tool=look.tool,
            created_at=created_at,
            created_at_source=source,
            created_at_precision=precision,
            user=self.a.name,
            prompt=text,
            negative_prompt=look.negative if keep_prompt else None,
            seed=seed if keep_prompt else None,
            cfg_scale=look.cfg if keep_prompt else None,
            steps=look.steps if keep_prompt else None,
            sampler=look.sampler if keep_prompt else None,
            scheduler=look.scheduler if keep_prompt else None,
            model=look.model if keep_prompt else None,
            loras=tuple(LoraRef(n, w) for n, w in look.loras) if keep_prompt else (),
            width=width,
            height=height,
            denoise=denoise,
            source_image=parent.record.file_name if names_parent and parent is not None else None,
            job_id=job_id,
            parent_job_id=parent_job_id,
            file_name=file_name,
            workflow_hash=self._workflow_hash(look, mode, hires, keep_prompt)
            if look.tool == "comfyui"
            else None,
            extra=record_extra,
        )
        lib = self.lib
        lib.records.append(record)
        lib.session_of[record.id] = self.session_key
        lib.phase_of[record.id] = phase
        if vec is not None:
            lib.visual[record.id] = vec
        if parent is not None and edge is not None:
            lib.derived_edges.append(TruthEdge(parent.record.id, record.id, edge))
            if names_parent or parent_job_id is not None:
                lib.explicit_edges.append(TruthEdge(parent.record.id, record.id, edge))
        self.t = max(self.t, t)
        out = _Out(record, prompt, look, seed, vec, t)
        if self.session_runs and self.session_runs[-1][0] == phase:
            last = self.session_runs[-1]
            self.session_runs[-1] = (phase, last[1] + 1, last[2])
        else:
            self.session_runs.append((phase, 1, False))
        return out

    def _seeds(self, look: _Look, n: int) -> tuple[list[int], bool]:
        """Seeds for a batch of ``n`` and whether the images are written together (parallel batch)."""
        rng = self.rng
        mode = self.a.seed_mode
        if look.tool == "comfyui":
            first = int(rng.integers(0, 2**48))
            if mode == "batch":
                return [first] * n, True
            if mode == "increment":
                return [first + i for i in range(n)], False
            return [int(rng.integers(0, 2**48)) for _ in range(n)], False
        first = int(rng.integers(0, 2**32 - 8))
        if look.tool in ("a1111", "forge"):
            return [first + i for i in range(n)], mode == "batch"
        if look.tool == "fooocus":
            return [first + i for i in range(n)], False
        if look.tool == "novelai":
            return [int(rng.integers(0, 2**32 - 1)) for _ in range(n)], True
        return [int(rng.integers(0, 2**32 - 1)) for _ in range(n)], False

    def _times(self, n: int, parallel: bool, render: float, think: float) -> list[float]:
        rng = self.rng
        if parallel:
            base = self.t + max(think, render * n)
            return sorted(base + float(x) for x in rng.uniform(0.0, 1.6, n))
        base = self.t + max(think, render)
        times = [base]
        for _ in range(n - 1):
            times.append(times[-1] + render * float(rng.uniform(0.95, 1.08)))
        return times

    def _txt2img(
        self,
        phase: str,
        prompt: _Prompt,
        look: _Look,
        think: float,
        seeds: list[int] | None = None,
        hires: float | None = None,
    ) -> list[_Out]:
        """One submission of a text-to-image job (a batch); ``seeds`` fixes them (sweeps, re-runs)."""
        if look.tool == "midjourney":
            return self._mj_grid(phase, prompt, look, think)
        parallel = False
        if seeds is None:
            seeds, parallel = self._seeds(look, look.batch)
        render = self._render_seconds(look) * (2.3 if hires else 1.0)
        times = self._times(len(seeds), parallel, render, think)
        scale = 1.5 if hires and look.family != "sd15" else 2.0
        width = int(look.width * scale) if hires else look.width
        height = int(look.height * scale) if hires else look.height
        job = self._uuid() if look.tool == "comfyui" and self.a.comfy_history else None
        outs = []
        for index, (seed, t) in enumerate(zip(seeds, times, strict=True)):
            vec = None
            if self.vis is not None:
                batch_index = index if len(set(seeds)) == 1 and len(seeds) > 1 else 0
                vec = self.vis.render(prompt, look, (look.family, seed, batch_index))
            extra: dict[str, object] = {}
            if look.tool == "comfyui" and len(seeds) > 1 and len(set(seeds)) == 1:
                extra["batch_index"] = index
            if hires:
                extra["hires_upscale"] = scale
            outs.append(
                self._add(
                    phase=phase,
                    prompt=prompt,
                    look=look,
                    t=t,
                    seed=seed,
                    mode="txt2img",
                    parent=None,
                    edge=None,
                    denoise=hires,
                    width=width,
                    height=height,
                    keep_prompt=True,
                    vec=vec,
                    job_id=job if self.a.seed_mode == "batch" or job is None else self._uuid(),
                    extra=extra,
                    hires=hires is not None,
                )
            )
        return outs

    def _derive(
        self, phase: str, parent: _Out, kind: str, think: float, prompt: _Prompt | None = None
    ) -> list[_Out]:
        """An upscale / img2img / inpaint of ``parent`` (SD tools)."""
        rng = self.rng
        look = parent.look
        prompt = prompt or parent.prompt
        render = self._render_seconds(look)
        keep_prompt = True
        denoise: float | None
        width, height = parent.record.width or look.width, parent.record.height or look.height
        extra: dict[str, object] = {}
        if kind == "upscale":
            factor: float = 2 if look.tool != "novelai" else 1.5
            if look.tool in ("a1111", "forge"):
                denoise = None  # Extras keeps the parameters text, adds the upscaler
                extra["upscaler"] = _pick(rng, _UPSCALERS)
            elif look.tool == "comfyui" and rng.random() < 0.5:
                denoise, keep_prompt = None, False  # a pure model upscale graph has no prompt
                extra["upscale_model"] = _pick(rng, _UPSCALERS[:4]) + ".pth"
            elif look.tool == "fooocus":
                denoise = 0.382
                factor = 1.5 if rng.random() < 0.5 else 2
            else:
                denoise = round(float(rng.uniform(0.2, 0.4)), 2)
            width, height = int(width * factor), int(height * factor)
            render *= 1.5
            vec = self.vis.near(parent.vec, 0.04) if self.vis is not None and parent.vec is not None else None
            seeds = [parent.seed if parent.seed is not None else int(rng.integers(0, 2**32 - 1))]
        elif kind == "variation":  # Fooocus "Vary (Subtle/Strong)"
            denoise = 0.5 if rng.random() < 0.7 else 0.85
            vec = (
                self.vis.near(parent.vec, 0.3 if denoise < 0.6 else 0.65)
                if self.vis is not None and parent.vec is not None
                else None
            )
            seeds = [int(rng.integers(0, 2**32 - 1))]
        else:
            low, high = (0.3, 0.7) if kind == "img2img" else (0.4, 0.85)
            denoise = round(float(rng.uniform(low, high)), 2)
            seeds_all, _ = self._seeds(look, 1 if kind == "inpaint" else min(look.batch, 2))
            seeds = seeds_all
            vec = None
            if self.vis is not None and parent.vec is not None:
                other = self.vis.render(prompt, look, None)
                vec = self.vis.mix(parent.vec, other, denoise if kind == "img2img" else 0.25 * denoise)
        times = self._times(len(seeds), False, render, think)
        outs = []
        for seed, t in zip(seeds, times, strict=True):
            this_vec = vec
            if self.vis is not None and parent.vec is not None and len(seeds) > 1 and vec is not None:
                this_vec = self.vis.near(vec, 0.1)
            outs.append(
                self._add(
                    phase=phase,
                    prompt=prompt,
                    look=look,
                    t=t,
                    seed=seed,
                    mode=kind,
                    parent=parent,
                    edge=kind,
                    denoise=denoise,
                    width=width,
                    height=height,
                    keep_prompt=keep_prompt,
                    vec=this_vec,
                    extra=extra,
                )
            )
        return outs

    # ---- Midjourney -----------------------------------------------------------------------------

    def _mj_file(self, text: str, job: str, index: int | None) -> str:
        slug = _slug(text.split(" --")[0])
        return (
            f"{self.a.name.replace('.', '_')}_{slug}_{job}"
            + (f"_{index}" if index is not None else "")
            + ".png"
        )

    def _mj_grid(
        self,
        phase: str,
        prompt: _Prompt,
        look: _Look,
        think: float,
        parent: _Out | None = None,
        kind: str | None = None,
        seed: int | None = None,
    ) -> list[_Out]:
        job = self._uuid()
        t = self.t + max(think, self._render_seconds(look))
        text = self._text(prompt, look)
        if seed is not None:
            text = text.split(" --")[0] + " " + self._mj_params(look, seed)
        outs = []
        for index in range(4):
            grid_extra: dict[str, object] = {"grid_index": index}
            if parent is not None:
                grid_extra["parent_grid_index"] = parent.record.extra.get("grid_index")
            vec = None
            if self.vis is not None:
                if parent is not None and parent.vec is not None:
                    amount = {"variation": 0.35, "inpaint": 0.2}.get(kind or "", 0.55)
                    if kind == "remix":
                        vec = self.vis.mix(parent.vec, self.vis.render(prompt, look, None), 0.45)
                    else:
                        vec = self.vis.near(parent.vec, amount)
                else:
                    comp: tuple[object, ...] | None = ("mj", seed, index) if seed is not None else None
                    vec = self.vis.render(prompt, look, comp)
            out = self._add(
                phase=phase,
                prompt=prompt,
                look=look,
                t=t,
                seed=seed,
                mode="grid",
                parent=parent,
                edge=kind,
                denoise=None,
                width=look.width,
                height=look.height,
                keep_prompt=True,
                vec=vec,
                job_id=job,
                parent_job_id=parent.record.job_id if parent is not None else None,
                file_name=self._mj_file(text, job, index),
                extra=grid_extra,
            )
            out.record.prompt = text
            outs.append(out)
        return outs

    def _mj_single(self, phase: str, parent: _Out, think: float, factor: int) -> _Out:
        """U1–U4 (factor 1) or Upscale Subtle/Creative (factor 2) of ``parent``."""
        job = self._uuid()
        t = self.t + max(think, float(self.rng.uniform(15, 60)))
        text = parent.record.prompt or ""
        vec = self.vis.near(parent.vec, 0.04) if self.vis is not None and parent.vec is not None else None
        out = self._add(
            phase=phase,
            prompt=parent.prompt,
            look=parent.look,
            t=t,
            seed=parent.seed,
            mode="upscale",
            parent=parent,
            edge="upscale",
            denoise=None,
            width=(parent.record.width or 1024) * factor,
            height=(parent.record.height or 1024) * factor,
            keep_prompt=True,
            vec=vec,
            job_id=job,
            parent_job_id=parent.record.job_id,
            file_name=self._mj_file(text, job, None),
            extra={"upscale": "subtle" if factor == 2 and self.rng.random() < 0.6 else "creative"}
            if factor == 2
            else {},
        )
        out.record.prompt = text
        return out

    # ---- phases ---------------------------------------------------------------------------------

    def _pick_subject(self, project: _Project, wide: bool) -> int:
        rng = self.rng
        if wide:
            pool = _TAG_GENRES if project.look.tags else _NATURAL_GENRES
            genre = _pick(rng, pool)
            candidates = list(_SUBJECTS_BY_GENRE[genre])
        else:
            candidates = [s for g in project.genres for s in _SUBJECTS_BY_GENRE[g]]
        fresh = [s for s in candidates if s not in self.session_subjects]
        subject = _pick(rng, fresh or candidates)
        self.session_subjects.add(subject)
        return subject

    def _explore(self, project: _Project, look: _Look, concepts: int, first_think: float) -> list[_Concept]:
        rng = self.rng
        explored: list[_Concept] = []
        wide_rate = float(rng.choice([0.05, 0.15, 0.4]))
        for index in range(concepts):
            subject = self._pick_subject(project, wide=rng.random() < wide_rate)
            style = (
                project.style
                if rng.random() < 0.75
                else _pick(rng, _STYLES_TAGS if look.tags else _STYLES_NATURAL)
            )
            prompt = self._new_prompt(subject, style, look.tags)
            if look.negative is not None and rng.random() < 0.04:
                look = replace(look, negative=look.negative + ", " + _pick(rng, _NEGATIVE_EDITS))
            jobs = (
                1
                if look.tool == "midjourney" and rng.random() < 0.75
                else int(rng.choice([1, 1, 1, 2, 2, 3]))
            )
            outs: list[_Out] = []
            for j in range(jobs):
                think = (
                    first_think if index == 0 and j == 0 else self._concept_gap() if j == 0 else self._think()
                )
                outs.extend(self._txt2img("exploration", prompt, look, think))
            if look.tool == "midjourney" and rng.random() < 0.15:
                outs.append(self._mj_single("exploration", _pick(rng, outs[:4]), self._think(0.3), 1))
            explored.append(_Concept(prompt, look, outs))
            self._maybe_break()
        return explored

    def _keeper(self, outs: list[_Out]) -> _Out:
        recent = [o for o in outs[-12:] if o.record.prompt is not None]
        return _pick(self.rng, recent or outs)

    def _refine(
        self, project: _Project, look: _Look, prompt: _Prompt, jobs: int, first_think: float
    ) -> tuple[_Prompt, _Look, list[_Out]]:
        if look.tool == "midjourney":
            return self._refine_mj(project, look, prompt, jobs, first_think)
        rng = self.rng
        outs: list[_Out] = []
        aspect_done = compare_done = False
        actions: tuple[tuple[str, float], ...] = (
            ("reroll", 0.40),
            ("tweak", 0.20),
            ("negative", 0.03 if look.negative is not None else 0.0),
            ("lora", 0.05 if look.tool not in ("novelai",) else 0.0),
            ("nudge", 0.05),
            ("aspect", 0.02),
            ("compare", 0.03),
            ("hires", 0.05 if look.tool in ("a1111", "forge", "comfyui") else 0.0),
            ("upscale", 0.06),
            ("img2img", 0.05 if look.tool != "fooocus" else 0.0),
            ("variation", 0.05 if look.tool == "fooocus" else 0.0),
            ("inpaint", 0.10 if look.tool == "invokeai" else 0.035),
        )
        restore: _Look | None = None
        compare_left = 0
        outs.extend(self._txt2img("refinement", prompt, look, first_think))
        for _ in range(jobs - 1):
            self._maybe_break()
            action = _weighted(rng, actions)
            think = self._think()
            if action == "tweak":
                prompt = self._tweak(prompt, look)
            elif action == "negative" and look.negative is not None:
                negative = look.negative
                if rng.random() < 0.7:
                    negative = negative + ", " + _pick(rng, _NEGATIVE_EDITS)
                else:
                    negative = negative.rsplit(", ", 1)[0]
                look = replace(look, negative=negative)
            elif action == "lora":
                look = self._lora_change(look)
            elif action == "nudge":
                look = self._nudge(look)
            elif action == "aspect" and not aspect_done:
                aspect_done = True
                look = replace(look, width=look.height, height=look.width)
            elif action == "compare" and not compare_done:
                compare_done = True
                model, fast = self._model_name(look.tool, look.family)
                if model != look.model:
                    restore = look if rng.random() < 0.6 else None
                    look = replace(look, model=model, fast=fast)
                    compare_left = int(rng.integers(1, 4))
                    seeds = [o.seed for o in outs[-look.batch :] if o.seed is not None]
                    outs.extend(self._txt2img("refinement", prompt, look, think, seeds=seeds or None))
                    continue
            elif action == "hires":
                keeper = self._keeper(outs)
                denoise = round(float(rng.uniform(0.3, 0.55)), 2)
                seed = keeper.seed if keeper.seed is not None else 0
                outs.extend(
                    self._txt2img("refinement", keeper.prompt, keeper.look, think + 30, [seed], hires=denoise)
                )
                continue
            elif action in ("upscale", "img2img", "inpaint", "variation"):
                keeper = self._keeper(outs)
                derived_prompt = (
                    self._tweak(keeper.prompt, look) if action != "upscale" and rng.random() < 0.4 else None
                )
                extra_wait = float(rng.uniform(20, 240)) if action == "upscale" else 0.0
                outs.extend(self._derive("refinement", keeper, action, think + extra_wait, derived_prompt))
                continue
            outs.extend(self._txt2img("refinement", prompt, look, think))
            if compare_left:
                compare_left -= 1
                if compare_left == 0 and restore is not None:
                    look, restore = restore, None
        best = self._keeper(outs)
        project.keepers.append((best.prompt, best.look, best.seed))
        return prompt, look, outs

    def _refine_mj(
        self, project: _Project, look: _Look, prompt: _Prompt, jobs: int, first_think: float
    ) -> tuple[_Prompt, _Look, list[_Out]]:
        rng = self.rng
        grids: list[list[_Out]] = [self._txt2img("refinement", prompt, look, first_think)]
        outs = list(grids[-1])
        upscaled: list[_Out] = []
        compare_done = False
        for _ in range(jobs - 1):
            self._maybe_break()
            think = self._think()
            action = _weighted(
                rng,
                (
                    ("reroll", 0.18),
                    ("vary", 0.22),
                    ("upscale", 0.22),
                    ("upscale2", 0.06 if upscaled else 0.0),
                    ("remix", 0.08),
                    ("region", 0.05 if upscaled else 0.0),
                    ("tweak", 0.12),
                    ("param", 0.05),
                    ("compare", 0.02),
                ),
            )
            grid = grids[-1]
            if action == "vary":
                parent = _pick(rng, upscaled[-3:]) if upscaled and rng.random() < 0.6 else _pick(rng, grid)
                grids.append(
                    self._mj_grid("refinement", parent.prompt, parent.look, think, parent, "variation")
                )
            elif action == "upscale":
                upscaled.append(self._mj_single("refinement", _pick(rng, grid), think * 0.5, 1))
                outs.append(upscaled[-1])
                continue
            elif action == "upscale2":
                outs.append(self._mj_single("refinement", _pick(rng, upscaled[-3:]), think * 0.6, 2))
                continue
            elif action == "remix":
                parent = _pick(rng, upscaled[-3:]) if upscaled and rng.random() < 0.5 else _pick(rng, grid)
                prompt = self._tweak(parent.prompt, look)
                grids.append(self._mj_grid("refinement", prompt, look, think, parent, "remix"))
            elif action == "region":
                parent = _pick(rng, upscaled[-3:])
                prompt = self._tweak(parent.prompt, look) if rng.random() < 0.5 else parent.prompt
                grids.append(self._mj_grid("refinement", prompt, look, think, parent, "inpaint"))
            else:
                if action == "tweak":
                    prompt = self._tweak(prompt, look)
                elif action == "param":
                    look = replace(
                        look,
                        mj_stylize=int(_pick(rng, (50, 100, 250, 400, 750))),
                        mj_raw=not look.mj_raw if rng.random() < 0.3 else look.mj_raw,
                    )
                elif action == "compare" and not compare_done:
                    compare_done = True
                    look = replace(look, model=_pick(rng, _MJ_MODELS)[0])
                grids.append(self._txt2img("refinement", prompt, look, think))
            outs.extend(grids[-1])
        best = _pick(rng, upscaled) if upscaled else self._keeper(outs)
        project.keepers.append((best.prompt, best.look, None))
        return prompt, look, outs

    def _lora_change(self, look: _Look) -> _Look:
        rng = self.rng
        loras = list(look.loras)
        pool = _LORAS.get(look.family, _LORAS["sdxl"])
        roll = rng.random()
        if loras and roll < 0.5:
            index = int(rng.integers(len(loras)))
            name, weight = loras[index]
            loras[index] = (
                name,
                round(float(np.clip(weight + _pick(rng, (-0.2, -0.1, 0.1, 0.2)), 0.1, 1.5)), 2),
            )
        elif loras and roll < 0.7:
            loras.pop(int(rng.integers(len(loras))))
        else:
            present = {n for n, _ in loras}
            choices = [n for n in pool if self._lora_name(look.tool, n) not in present]
            if choices:
                loras.append(
                    (self._lora_name(look.tool, _pick(rng, choices)), float(_pick(rng, (0.5, 0.7, 0.8, 1.0))))
                )
        return replace(look, loras=tuple(loras))

    def _nudge(self, look: _Look) -> _Look:
        rng = self.rng
        if rng.random() < 0.6 and look.cfg is not None and look.family != "flux":
            return replace(look, cfg=round(max(1.0, look.cfg + _pick(rng, (-1.0, -0.5, 0.5, 1.0))), 1))
        if look.family == "flux" and look.guidance is not None and rng.random() < 0.5:
            return replace(look, guidance=round(max(1.5, look.guidance + _pick(rng, (-0.5, 0.5))), 1))
        if look.steps is not None:
            return replace(look, steps=max(4, look.steps + int(_pick(rng, (-5, 5, 10)))))
        return look

    def _sweep_values(self, look: _Look, parameter: str) -> list[_Look]:
        rng = self.rng
        count = int(rng.integers(4, 10))
        if parameter == "cfg":
            start = float(_pick(rng, (2.0, 3.0, 4.0, 5.0)))
            step = float(_pick(rng, (0.5, 1.0, 1.0)))
            return [replace(look, cfg=round(start + i * step, 1)) for i in range(count)]
        if parameter == "steps":
            values = (10, 15, 20, 25, 30, 35, 40, 50, 60) if not look.fast else (4, 5, 6, 8, 10, 12)
            return [replace(look, steps=v) for v in values[:count]]
        if parameter == "guidance":
            return [replace(look, guidance=round(1.5 + 0.5 * i, 1)) for i in range(count)]
        if parameter == "sharpness":
            return [replace(look, sharpness=float(v)) for v in (0, 2, 4, 6, 8, 12, 16, 20, 30)[:count]]
        if parameter == "lora" and look.loras:
            index = int(rng.integers(len(look.loras)))
            out = []
            for i in range(count):
                loras = list(look.loras)
                loras[index] = (loras[index][0], round(0.2 + 0.15 * i, 2))
                out.append(replace(look, loras=tuple(loras)))
            return out
        if parameter == "scheduler" and look.tool == "comfyui":
            return [replace(look, scheduler=s) for s in _COMFY_SCHEDULERS]
        if parameter == "mj_stylize":
            return [replace(look, mj_stylize=v) for v in (0, 50, 100, 250, 500, 750, 1000)[: max(count, 4)]]
        if parameter == "mj_chaos":
            return [replace(look, mj_chaos=v) for v in (0, 5, 10, 25, 50)]
        if parameter == "mj_weird":
            return [replace(look, mj_weird=v) for v in (0, 250, 500, 1000)]
        # sampler
        if look.tool in ("comfyui", "fooocus"):
            pool: tuple[str, ...] = tuple(dict.fromkeys(s for s, _ in _COMFY_SAMPLERS))
        elif look.tool == "invokeai":
            pool = _INVOKE_SCHEDULERS
        elif look.tool == "novelai":
            pool = _NAI_SAMPLERS
        else:
            pool = _A1111_SAMPLERS
        names = [pool[int(i)] for i in rng.choice(len(pool), size=min(count, len(pool)), replace=False)]
        return [replace(look, sampler=n) for n in names]

    def _optimize(
        self,
        look: _Look,
        prompt: _Prompt,
        seed: int | None,
        sweeps: int,
        first_think: float,
        keeper: _Out | None,
    ) -> _Look:
        rng = self.rng
        tool = look.tool
        if seed is None:
            seed = int(rng.integers(0, 2**32 - 1))
        if tool == "midjourney":
            parameters: tuple[tuple[str, float], ...] = (
                ("mj_stylize", 0.6),
                ("mj_chaos", 0.2),
                ("mj_weird", 0.2),
            )
        else:
            parameters = (
                ("cfg", 0.0 if look.family == "flux" or (tool == "fooocus" and look.cfg is None) else 0.30),
                ("steps", 0.18),
                ("sampler", 0.16 if tool not in ("fooocus",) else 0.04),
                ("scheduler", 0.08 if tool == "comfyui" else 0.0),
                ("lora", 0.16 if look.loras else 0.0),
                ("guidance", 0.25 if look.guidance is not None else 0.0),
                ("sharpness", 0.2 if tool == "fooocus" else 0.0),
                ("denoise", 0.12 if keeper is not None and tool not in ("midjourney",) else 0.0),
            )
        queued = tool in ("comfyui", "a1111", "forge", "invokeai") and rng.random() < 0.7
        seeds = [seed] if rng.random() < 0.75 else [seed, int(rng.integers(0, 2**32 - 1))]
        think = first_think
        for _ in range(sweeps):
            parameter = _weighted(rng, parameters)
            if parameter == "denoise" and keeper is not None:
                for value in (0.3, 0.4, 0.5, 0.6, 0.7)[: int(rng.integers(3, 6))]:
                    self._derive_fixed_denoise(keeper, value, think)
                    think = float(rng.uniform(0.5, 6.0)) if queued else self._think(0.6)
            else:
                variants = self._sweep_values(look, parameter)
                for variant in variants:
                    for s in seeds:
                        if tool == "midjourney":
                            self._mj_grid("optimization", prompt, variant, think, seed=s)
                        else:
                            self._txt2img("optimization", prompt, variant, think, seeds=[s])
                        think = float(rng.uniform(0.5, 6.0)) if queued else self._think(0.6)
                look = _pick(rng, variants)
            think = float(rng.uniform(40, 300))
        return look

    def _derive_fixed_denoise(self, parent: _Out, denoise: float, think: float) -> _Out:
        look = parent.look
        times = self._times(1, False, self._render_seconds(look), think)
        vec = None
        if self.vis is not None and parent.vec is not None:
            vec = self.vis.mix(
                parent.vec, self.vis.render(parent.prompt, look, ("denoise", parent.record.id)), denoise
            )
        return self._add(
            phase="optimization",
            prompt=parent.prompt,
            look=look,
            t=times[0],
            seed=parent.seed,
            mode="img2img",
            parent=parent,
            edge="img2img",
            denoise=denoise,
            width=parent.record.width or look.width,
            height=parent.record.height or look.height,
            keep_prompt=True,
            vec=vec,
        )

    # ---- sessions -------------------------------------------------------------------------------

    def _jobs(self, median: float, low: int, high: int) -> int:
        value = median * self.a.arch.stamina * math.exp(0.6 * self.rng.standard_normal())
        return int(np.clip(round(value), low, high))

    def _base_prompt(self, project: _Project) -> tuple[_Prompt, _Look, int | None]:
        rng = self.rng
        if project.keepers and rng.random() < 0.7:
            prompt, look, seed = _pick(rng, project.keepers[-4:])
            return prompt, look, seed
        subject = _pick(rng, project.focus)
        self.session_subjects.add(subject)
        style = project.style
        return self._new_prompt(subject, style, project.look.tags), project.look, None

    def _mark_continuation(self) -> None:
        phase, count, _ = self.session_runs[-1]
        self.session_runs[-1] = (phase, count, True)

    def _session(self, template: str, project: _Project) -> None:
        rng = self.rng
        self.session_number += 1
        self.session_key = f"{self.a.name}/{self.session_number}"
        self.session_tool = project.tool
        self.session_runs = []
        self.session_subjects = set()
        first_think = float(rng.uniform(5, 40))
        look = project.look
        if template == "quick":
            self._quick(project, first_think)
        elif template == "explore":
            self._explore(project, look, self._jobs(11, 4, 22), first_think)
        elif template == "refine":
            prompt, look, _ = self._base_prompt(project)
            prompt, look, outs = self._refine(project, look, prompt, self._jobs(15, 4, 70), first_think)
            if rng.random() < 0.22:
                keeper = self._keeper(outs)
                project.look = self._optimize(
                    look, keeper.prompt, keeper.seed, int(rng.integers(1, 3)), self._think(), keeper
                )
        elif template == "optimize":
            prompt, look, seed = self._base_prompt(project)
            lead_keeper: _Out | None = None
            if rng.random() < 0.5 or (seed is None and look.tool != "midjourney"):
                outs = self._txt2img("refinement", prompt, look, first_think)
                for _ in range(int(rng.integers(0, 3))):
                    outs.extend(self._txt2img("refinement", prompt, look, self._think()))
                lead_keeper = self._keeper(outs)
                seed = lead_keeper.seed
                first_think = self._think()
            project.look = self._optimize(
                look, prompt, seed, int(rng.integers(1, 4)), first_think, lead_keeper
            )
        elif template == "converge":
            explored = self._explore(project, look, self._jobs(7, 3, 15), first_think)
            chosen = explored[-1] if rng.random() < 0.45 else _pick(rng, explored)
            prompt, look, outs = self._refine(
                project, chosen.look, chosen.prompt, self._jobs(12, 3, 50), self._think()
            )
            self._mark_continuation()
            if rng.random() < 0.2:
                keeper = self._keeper(outs)
                self._optimize(look, keeper.prompt, keeper.seed, 1, self._think(), keeper)
        elif template == "pivot":
            prompt, look, _ = self._base_prompt(project)
            prompt, look, _outs = self._refine(project, look, prompt, self._jobs(10, 4, 40), first_think)
            self.t += float(rng.uniform(25, 35)) * _MIN
            explored = self._explore(project, look, self._jobs(6, 3, 14), float(rng.uniform(10, 60)))
            if rng.random() < 0.45:
                chosen = _pick(rng, explored)
                self._refine(project, chosen.look, chosen.prompt, self._jobs(7, 3, 30), self._think())
                self._mark_continuation()
        self.lib.session_intent[self.session_key] = _intent_of(self.session_runs)

    def _quick(self, project: _Project, first_think: float) -> None:
        rng = self.rng
        look = project.look
        if project.keepers and rng.random() < 0.25:
            prompt, look, _ = _pick(rng, project.keepers[-3:])
            phase = "refinement"
            concepts = 1
        else:
            prompt = self._new_prompt(self._pick_subject(project, wide=False), project.style, look.tags)
            phase = "exploration"
            concepts = 1 if look.tool == "midjourney" or rng.random() < 0.75 else 2
        budget = int(rng.integers(1, 7))
        think = first_think
        emitted = 0
        for index in range(concepts):
            if index > 0:
                prompt = self._new_prompt(self._pick_subject(project, wide=False), project.style, look.tags)
            jobs = 1 if concepts == 2 else int(rng.integers(1, 3))
            for _ in range(jobs):
                if look.tool == "midjourney":
                    outs = self._mj_grid(phase, prompt, look, think)
                    emitted += 4
                    if rng.random() < 0.4:
                        self._mj_single(phase, _pick(rng, outs), self._think(0.4), 1)
                        emitted += 1
                    return
                size = max(1, min(look.batch, budget - emitted))
                if emitted >= budget:
                    return
                self._txt2img(phase, prompt, replace(look, batch=size), think)
                emitted += size
                think = self._think() if concepts == 1 else self._concept_gap()


# --------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------


def _make_artist(index: int, rng: np.random.Generator, archetype: _Archetype, name: str) -> _Artist:
    primary = _weighted(rng, archetype.tools)
    secondary = _weighted(rng, archetype.secondary) if rng.random() < archetype.secondary_p else None
    if secondary == primary:
        secondary = None
    families = tuple(f for f, _ in archetype.families)
    weights = tuple(float(w) * float(rng.uniform(0.5, 1.5)) for _, w in archetype.families)
    if secondary not in (None, "midjourney", "novelai", "fooocus") and families in (("mj",), ("nai",)):
        families, weights = ("sdxl", "flux", "illustrious"), (0.5, 0.3, 0.2)
    genre_pool = _TAG_GENRES if archetype.tag_bias >= 1.0 else _NATURAL_GENRES
    fav_genres = tuple(str(g) for g in rng.choice(genre_pool, size=3, replace=False))
    if archetype.tag_bias >= 1.0 and "anime" not in fav_genres:
        fav_genres = ("anime", *fav_genres[:2])
    seed_modes = {
        "comfyui": ("batch", "increment", "random"),
        "a1111": ("batch", "count"),
        "forge": ("batch", "count"),
    }
    return _Artist(
        name=name,
        arch=archetype,
        tz=timezone(timedelta(hours=_pick(rng, _UTC_OFFSETS_H))),
        primary=primary,
        secondary=secondary,
        families=families,
        family_weights=weights,
        sentence_prompts=bool(rng.random() < (0.75 if primary == "midjourney" else 0.3)),
        suffix_natural=_pick(rng, _SUFFIX_NATURAL),
        suffix_tags=_pick(rng, _SUFFIX_TAGS),
        fav_styles=tuple(str(s) for s in rng.choice(_STYLES_NATURAL, size=3, replace=False)),
        fav_tag_styles=tuple(str(s) for s in rng.choice(_STYLES_TAGS, size=2, replace=False)),
        fav_genres=fav_genres,
        think_s=archetype.think_s * float(math.exp(0.25 * rng.standard_normal())),
        gpu=float(math.exp(0.35 * rng.standard_normal())),
        names_sources=bool(rng.random() < 0.5),
        seed_mode=_pick(rng, seed_modes.get(primary, ("random",))),
        power_lora=bool(rng.random() < 0.3),
        folded_sampler=bool(rng.random() < 0.35),
        comfy_history=bool(rng.random() < 0.5),
        mj_minute=archetype.name == "mj_slow" or bool(rng.random() < 0.3),
        comfy_prefix=_pick(rng, ("ComfyUI", "ComfyUI", "ComfyUI", f"img_{index}", "render", "flux")),
    )


def simulate_field_library(
    seed: int = 21, artists: int = 24, days: int = 28, with_visual: bool = True
) -> SimulatedLibrary:
    """Family C histories for ``artists`` artists over ``days`` days (deterministic for ``seed``)."""
    root = np.random.SeedSequence(seed)
    children = root.spawn(artists + 2)
    world = np.random.default_rng(children[0])
    visuals = _Visuals(np.random.default_rng(children[1])) if with_visual else None
    order = [int(i) for i in world.permutation(len(_ARCHETYPES))]
    names = [str(n) for n in world.permutation(np.array(_HANDLES))]
    library = SimulatedLibrary()
    counter = [0]
    for index in range(artists):
        rng = np.random.default_rng(children[index + 2])
        archetype = _ARCHETYPES[order[index % len(order)]]
        name = names[index % len(names)] + ("" if index < len(names) else f"_{index // len(names)}")
        artist = _make_artist(index, rng, archetype, name)
        _ArtistRun(artist, rng, visuals, library, f"c{seed}", counter).run(days)
    assert all(r.created_at is not None for r in library.records)
    library.records.sort(key=lambda r: (r.created_at.timestamp() if r.created_at else 0.0, r.id))
    return library


def _summary(library: SimulatedLibrary) -> str:
    sessions_by_intent: Counter[str] = Counter(library.session_intent.values())
    records_by_intent: Counter[str] = Counter(library.session_intent[s] for s in library.session_of.values())
    sizes = Counter(library.session_of.values())
    small = sum(1 for n in sizes.values() if n <= 6)
    tools = Counter(r.tool for r in library.records)
    lines = [
        f"records {len(library.records)}  sessions {len(library.session_intent)}  "
        f"users {len({r.user for r in library.records})}  single short tries (≤6 images) {small}",
        "intent                 sessions  records",
    ]
    for intent in ("exploration", "refinement", "optimization", "convergent_selection"):
        lines.append(f"  {intent:<20} {sessions_by_intent[intent]:>8} {records_by_intent[intent]:>8}")
    lines.append(
        "phases  " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(library.phase_of.values()).items()))
    )
    lines.append(
        "edges   "
        + ", ".join(f"{k} {v}" for k, v in sorted(Counter(e.kind for e in library.explicit_edges).items()))
    )
    lines.append("tools   " + ", ".join(f"{k} {v}" for k, v in tools.most_common()))
    return "\n".join(lines)


if __name__ == "__main__":
    started = time.perf_counter()
    simulated = simulate_field_library(int(sys.argv[1]) if len(sys.argv) > 1 else 21)
    elapsed = time.perf_counter() - started
    print(_summary(simulated))
    print(f"generated in {elapsed:.1f} s")
