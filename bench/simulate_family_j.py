"""Simulated library, family J: seven kinds of working artist, written independently of families A-I.

``simulate_family_j_library(seed, artists, days)`` returns a :class:`~bench.simulate.SimulatedLibrary`
(records, true sessions, phases, intents, lineage and a small visual vector per image);
``build_family_j`` returns the same library with the generator's own bookkeeping (roster, the concept
each image is about, what kind of sitting each session is) so that tests can check the habits.
``python -m bench.simulate_family_j [SEED]`` prints a summary. Seeds 91 (development), 92 (held out),
93 (unseen). Artists are dealt the habits in turn (``HABITS``), so every habit is present from seven
artists on; the calendar starts on Monday ``FAMILY_J_START``.

Readings of the product documents (they name sessions, phases, intents and lineage but give no
thresholds, so these are this family's choices, applied to every habit alike)
--------------------------------------------------------------------------------------------------------
- **Session** = one artist, one tool, one sitting, one project. It ends when the artist leaves the
  sitting (hours or days until the next one), when the tool changes (the documents make a tool switch a
  hard boundary; every artist here keeps to one tool), or when the artist puts one project away and
  starts another inside a sitting. A pause that belongs to the activity does *not* end a session: the
  lulls of a tabletop game night (up to 52 min, the players are still at the table and the artist keeps
  drawing for the same campaign), the coffee break of a workshop (10-20 min), the wait for a video render.
  A project carried over to another sitting (a commuter's series, a concept artist returning to an old
  thumbnail weeks later) is a new session every time: a session is a sitting, a project may span many.
- **Phases** (per image): *exploration* = a new subject, item, scene, photo style or composition is tried
  (the first images of something); *refinement* = the artist keeps one concept and changes its content:
  prompt edits, rerolls of the picked idea, img2img passes, inpaints, variations; *optimization* = the
  content is settled and only parameters move (denoise / CFG / steps / sampler / motion sweeps on a fixed
  prompt and seed) or the picked image is finished (upscale).
- **Session intent**: ``convergent_selection`` when the session is "exploration followed by refinement of
  one explored concept": it has exploration and refinement, every refinement image comes after the last
  exploration image, the refinement images are all about one concept, that concept is one of the explored
  ones, and at least two concepts were explored (an optimization tail is allowed). Otherwise the phase
  with the most images (ties: exploration, refinement, optimization). See
  :func:`family_j_session_intent`.
- **Lineage**: an edge for every derivation the simulator makes (``derived_edges``: upscale, img2img,
  inpaint, variation). It is *explicit* only where the child's metadata names the parent record: ComfyUI
  ``LoadImage`` (``source_image`` = the parent's output file name) and InvokeAI (the init / canvas image
  name). AUTOMATIC1111, Forge, Fooocus, SwarmUI and Draw Things do not write the input image's name, so
  their derivations are derived-only. A source that is not a generated image (a camera photo, a video
  file) is named in the metadata but is no record, so it gives no edge.

Habits
------
1. ``asset_set`` - game-asset designers (ComfyUI / Forge, weekday office hours): one sitting produces a
   *set* of different items (inventory icons, platformer sprites, iso tiles, ability icons, card art, gem
   pieces) in one fixed style phrase + style LoRA + size. Per item: 1-3 batches of four (Forge: two or
   four) (exploration),
   sometimes prompt-edit rerolls or an img2img of the pick (refinement), usually a 2x upscale of the pick
   (optimization). The set is the project: items change inside one session. 30 % of sittings put the set
   away after about half the sitting and, after an 8-15 min pause, start another set: a new session.
2. ``thumbnailer`` - concept artists (InvokeAI, one on SwarmUI): a thumbnail pass of 8-20 clicks on one
   brief at 768x432, low steps, varied composition and mood (exploration; each composition is a concept);
   then one thumbnail is picked and developed by a chain of img2img / inpaint / reroll passes at 1344x768
   (refinement), then upscaled and given a low-denoise polish (optimization): ``convergent_selection``.
   From day 10, about once a week, a sitting *returns to an old project*: it starts from an unpicked
   thumbnail of a session at least 7 days older (a cross-session img2img edge) and only refines and
   finishes it.
3. ``animator`` - AnimateDiff in ComfyUI, evenings: every clip is 16-32 frame images saved by one
   execution (same ``job_id``, seed, prompt and time, ``extra.frame_index`` 0..n-1). A sitting explores
   3-5 scenes with 16-frame previews, picks one and refines it with prompt-travel edits and new seeds
   (skipped in a quarter of sittings), sweeps one parameter at a time (CFG, steps, motion scale, motion
   LoRA weight, context overlap, frame count) on a fixed prompt and seed,
   and finally upscales the best clip frame by frame (derived ``upscale`` edges frame i -> frame i; the
   upscale workflow loads the video file, so they are not explicit). Gaps inside a sitting are render
   waits and tweaking (up to ~9 min). Frames of one clip share one time: ties are normal.
4. ``photo_restorer`` - photographers restyling / restoring their own photos by img2img (ComfyUI or
   Forge), weekends and some evenings. One sitting = one roll (a trip, a scanned album, a wedding).
   Per photo: 1-4 style tries (exploration; the concept is the photo), a denoise or CFG sweep on the chosen
   style with a fixed seed (optimization), a second low-denoise pass and a face inpaint on the chosen output
   (refinement), sometimes an upscale (optimization). ComfyUI names the camera file
   (``DSC04512.JPG`` ...) of first passes - a name that is no record - and names its own outputs for later
   passes (explicit); Forge names nothing.
5. ``game_night`` - tabletop-RPG game masters (Fooocus / SwarmUI): one weekly evening of 3-4.5 h in bursts
   (an NPC, a location, a monster when the party meets it: exploration, then a prompt fix or Fooocus
   "Vary (Subtle)" - refinement, and an "Upscale (2x)" of the one shown to the players - optimization),
   separated by lulls of 3-52 min (no gap inside a night reaches 55 min); the whole night is ONE
   session. A prep sitting 1-2 days before (30-70 min, next week's NPCs) is another session.
6. ``commuter`` - Draw Things on a phone (iPad at the weekend): short sittings on the morning and evening
   commute (15-40 min, sometimes a 3-8 min pause when changing trains) on slow on-device renders, one
   running series (a theme) for 3-6 days. The first sitting of a series explores its ideas; later
   sittings mostly refine a favourite idea (prompt edits, img2img of an earlier image - also of one from an
   earlier sitting - and an in-app upscale); every commute is its own session.
7. ``teacher`` - workshop teachers (AUTOMATIC1111, ComfyUI, Forge on a projector): workshops of about an
   hour of demos with a 10-20 min coffee break inside, one generation per click and long talking pauses
   (0.5-3 min). Modules:
   intro subjects and audience requests (exploration), one-parameter-at-a-time demos on a fixed prompt
   and seed - CFG, steps, sampler, size (optimization), prompt building one phrase at a time on a fixed
   seed, img2img at three strengths and an inpaint of an earlier output (refinement), an upscale demo
   (optimization). A prep sitting the evening before is its own session.

Clocks: ComfyUI ``metadata:execution_success`` (ms, user's offset), InvokeAI ``metadata:created_at`` (ms,
UTC), AUTOMATIC1111 / Forge / SwarmUI ``file:mtime`` (s), Fooocus ``filename`` (s, naive local time in
the file name, localised), Draw Things ``metadata:DateTimeOriginal`` (s, EXIF with offset).
"""

from __future__ import annotations

import hashlib
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from bench.simulate import SimulatedLibrary, TruthEdge
from engine.records import GenerationRecord, LoraRef, TimePrecision

FAMILY_J_VISUAL_DIM = 32
FAMILY_J_START = date(2025, 3, 3)  # a Monday
DEFAULT_SEED = 91
DEFAULT_ARTISTS = 24
DEFAULT_DAYS = 21

HABITS: tuple[str, ...] = (
    "asset_set",
    "thumbnailer",
    "animator",
    "photo_restorer",
    "game_night",
    "commuter",
    "teacher",
)
PHASE_ORDER: tuple[str, ...] = ("exploration", "refinement", "optimization")

HABIT_TOOLS: dict[str, tuple[str, ...]] = {
    "asset_set": ("comfyui", "forge"),
    "thumbnailer": ("invokeai", "invokeai", "swarmui"),
    "animator": ("comfyui",),
    "photo_restorer": ("comfyui", "forge"),
    "game_night": ("fooocus", "swarmui", "fooocus"),
    "commuter": ("drawthings",),
    "teacher": ("a1111", "comfyui", "forge"),
}
NAMING_TOOLS = frozenset({"comfyui", "invokeai"})
"""Tools whose metadata names the input image of a derivation (explicit lineage)."""

CLOCKS: dict[str, tuple[str, TimePrecision, bool]] = {
    "comfyui": ("metadata:execution_success", TimePrecision.MILLISECOND, False),
    "invokeai": ("metadata:created_at", TimePrecision.MILLISECOND, True),
    "a1111": ("file:mtime", TimePrecision.SECOND, False),
    "forge": ("file:mtime", TimePrecision.SECOND, False),
    "swarmui": ("file:mtime", TimePrecision.SECOND, False),
    "fooocus": ("filename", TimePrecision.SECOND, False),
    "drawthings": ("metadata:DateTimeOriginal", TimePrecision.SECOND, False),
}
"""Tool -> (created_at_source, precision, written in UTC)."""

ZONES: dict[str, tuple[str, ...]] = {
    "asset_set": ("Europe/Warsaw", "America/Los_Angeles", "Asia/Seoul", "Europe/Helsinki"),
    "thumbnailer": ("America/Toronto", "Europe/Madrid", "Australia/Melbourne", "America/Sao_Paulo"),
    "animator": ("Asia/Singapore", "Europe/Amsterdam", "America/Chicago"),
    "photo_restorer": ("Europe/Lisbon", "Asia/Kolkata", "America/Denver", "Pacific/Auckland"),
    "game_night": ("America/New_York", "Europe/Dublin", "America/Mexico_City"),
    "commuter": ("Asia/Tokyo", "Europe/London", "Europe/Berlin", "Asia/Seoul"),
    "teacher": ("Europe/Paris", "Africa/Johannesburg", "America/Vancouver"),
}

SDXL_NEGATIVE = "lowres, blurry, watermark, text, signature, jpeg artifacts"
SD15_NEGATIVE = "(worst quality, low quality:1.4), bad anatomy, extra fingers, watermark, text"


# --- vocabulary ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssetProject:
    key: str
    style: str
    lora: str
    size: tuple[int, int]
    items: tuple[str, ...]
    touches: tuple[str, ...]


ASSET_PROJECTS: tuple[AssetProject, ...] = (
    AssetProject(
        "inventory-icons",
        "hand-painted fantasy RPG inventory icon, centered object, dark vignette background, crisp edges",
        "RPGInventoryIconsXL_v2",
        (1024, 1024),
        (
            "rusty longsword",
            "elven longbow",
            "dwarven war hammer",
            "healing potion in a round flask",
            "blue mana potion",
            "iron kite shield",
            "worn leather boots",
            "pointed wizard hat",
            "golden ring with a ruby",
            "scroll with a wax seal",
            "bag of gold coins",
            "lockpick set",
            "bone dagger",
            "crystal scrying orb",
            "brass lantern",
            "coil of rope",
            "roasted chicken leg",
            "antidote vial",
            "leather-bound spell tome",
            "silver amulet",
        ),
        ("glowing runes", "chipped edges", "ornate engraving", "soft rim light", "gold trim"),
    ),
    AssetProject(
        "platformer-sprites",
        "pixel art game sprite, 16-bit, side view, plain white background, clean dark outline",
        "PixelSpriteSheetXL",
        (1024, 1024),
        (
            "knight in idle pose",
            "green slime enemy",
            "cave bat flying",
            "wooden treasure chest",
            "moving stone platform",
            "checkpoint flag",
            "bouncy mushroom",
            "spike trap",
            "spinning coin",
            "heart pickup",
            "skeleton archer",
            "rock golem boss",
            "frog merchant",
            "floating lantern ghost",
        ),
        ("limited palette", "bigger eyes", "thicker outline", "more contrast", "two-frame pose"),
    ),
    AssetProject(
        "iso-tiles",
        "isometric game tile, 45 degree top-down view, single block, soft ambient occlusion, low poly",
        "IsoDioramaTiles_v1",
        (1024, 1024),
        (
            "grass tile with flowers",
            "cobblestone road tile",
            "shallow water tile",
            "sand tile with shells",
            "lava tile",
            "wooden bridge tile",
            "farm field tile",
            "snowy tile with pine",
            "ruined wall tile",
            "market stall tile",
            "well tile",
            "swamp tile with reeds",
        ),
        ("warmer light", "more saturated", "cleaner edges", "add small props", "darker base"),
    ),
    AssetProject(
        "ability-icons",
        "sci-fi ability icon, glowing holographic symbol, square frame, dark navy background, game UI",
        "HoloUIIconsXL",
        (1024, 1024),
        (
            "shield overcharge",
            "plasma grenade",
            "cloaking field",
            "orbital strike",
            "nanite repair",
            "grappling hook",
            "emp pulse",
            "speed boost",
            "drone swarm",
            "time slow",
            "sniper focus",
            "gravity well",
        ),
        ("cyan glow", "magenta accents", "thinner lines", "stronger bloom", "hexagon frame"),
    ),
    AssetProject(
        "creature-cards",
        "trading card art of a creature, full body, dynamic pose, painterly fantasy illustration, card frame",
        "CardArtFantasyXL",
        (832, 1216),
        (
            "storm griffin",
            "moss troll",
            "ember salamander",
            "frost wyrm",
            "clockwork owl",
            "bog witch",
            "sand scorpion king",
            "crystal stag",
            "thunder ox",
            "shadow fox",
        ),
        ("dramatic backlight", "more motion", "closer crop", "epic scale", "foggy background"),
    ),
    AssetProject(
        "match3-gems",
        "match-3 puzzle game piece, glossy gem, centered, flat pastel background, casual mobile game",
        "CasualGemsXL",
        (1024, 1024),
        (
            "red heart-cut gem",
            "blue teardrop gem",
            "green emerald square",
            "yellow star gem",
            "purple hexagon gem",
            "orange round candy gem",
            "rainbow bomb",
            "ice-locked gem",
            "striped gem",
            "golden crown bonus",
        ),
        ("more sparkle", "softer shadow", "brighter highlight", "rounder shape", "inner glow"),
    ),
)

THUMB_BRIEFS: tuple[str, ...] = (
    "derelict lighthouse on a sea cliff",
    "desert caravan city built into a canyon",
    "orbital greenhouse station",
    "flooded cathedral overgrown with ivy",
    "mining town on the back of a giant tortoise",
    "abandoned amusement park in the snow",
    "floating monastery above the clouds",
    "rainy cyberpunk noodle market",
    "ancient library inside a hollow tree",
    "crashed starship in a jungle",
    "tidal fortress at low tide",
    "volcano observatory",
    "sunken subway station turned into a reef",
    "nomad camp on a salt flat",
    "clockwork harbour at dusk",
    "frozen waterfall village",
    "terraced tea fields on a mountain",
    "bioluminescent cave city",
    "giant statue half buried in sand",
    "rooftop garden in a megacity",
)
THUMB_COMPOSITIONS: tuple[str, ...] = (
    "wide establishing shot",
    "low angle",
    "aerial view",
    "silhouette against the sky",
    "framed through an archway",
    "tiny figure for scale",
    "symmetrical composition",
    "dutch angle",
    "over the shoulder of a traveller",
    "panoramic vista",
    "close foreground rocks",
    "high contrast backlight",
    "reflection in water",
    "leading lines toward the center",
)
THUMB_MOODS: tuple[str, ...] = (
    "foggy dawn",
    "stormy night",
    "golden hour",
    "overcast and muted",
    "harsh noon sun",
    "blue hour",
    "heavy rain",
    "dust storm",
    "moonlit",
    "first snow",
)
THUMB_SUFFIX = "concept art thumbnail, loose painterly brushwork, value study"
DEVELOP_SUFFIX = "detailed matte painting, cinematic lighting, high detail"
DEVELOP_EDITS: tuple[str, ...] = (
    "add a lone traveller",
    "birds in the sky",
    "warm windows",
    "more atmospheric haze",
    "broken railings",
    "banners fluttering",
    "wet reflective ground",
    "distant mountains",
    "a small boat",
    "sharper focal point",
    "moss on the stones",
    "smoke from chimneys",
)
INPAINT_REGIONS: tuple[str, ...] = ("sky", "foreground", "left building", "figure", "water", "horizon")

ANIM_SCENES: tuple[str, ...] = (
    "a koi fish swimming through clouds",
    "cherry blossom petals falling on a mountain temple",
    "a neon city street in the rain, camera moving forward",
    "a paper boat drifting down a gutter stream",
    "a witch flying over a pumpkin field at night",
    "waves crashing on a black sand beach",
    "a cozy cabin with smoke rising from the chimney in snow",
    "an astronaut floating above the earth",
    "a forest spirit opening its eyes",
    "a steam train crossing a stone viaduct",
    "jellyfish glowing in the deep ocean",
    "a candle flame flickering in a dark room",
    "a dragon waking up on a pile of gold",
    "clouds rolling over a desert mesa, timelapse",
    "a girl with an umbrella walking through a lavender field",
    "northern lights over a frozen lake",
    "a mechanical heart beating",
    "autumn leaves swirling in the wind",
)
ANIM_TRAVEL: tuple[str, ...] = (
    "at night",
    "snow begins to fall",
    "sunrise light",
    "fireflies appear",
    "colors shift to purple",
    "everything turns to ink",
    "rain starts",
    "flowers bloom",
)
ANIM_STYLE = "masterpiece, best quality, highly detailed, cinematic, smooth motion"
ANIM_MODELS: tuple[str, ...] = (
    "dreamshaper_8.safetensors",
    "revAnimated_v122EOL.safetensors",
    "toonyou_beta6.safetensors",
)
MOTION_MODULES: tuple[str, ...] = ("mm_sd_v15_v2.ckpt", "v3_sd15_mm.ckpt")
MOTION_LORAS: tuple[str, ...] = (
    "v2_lora_ZoomIn.ckpt",
    "v2_lora_PanLeft.ckpt",
    "v2_lora_TiltUp.ckpt",
    "v2_lora_RollingClockwise.ckpt",
)
ANIM_SWEEPS: tuple[str, ...] = (
    "cfg_scale",
    "steps",
    "motion_scale",
    "motion_lora_weight",
    "context_overlap",
    "frame_count",
)


@dataclass(frozen=True, slots=True)
class PhotoRoll:
    key: str
    file_pattern: str
    captions: tuple[str, ...]
    portrait: bool


PHOTO_ROLLS: tuple[PhotoRoll, ...] = (
    PhotoRoll(
        "lisbon-trip",
        "DSC0{n:04d}.JPG",
        (
            "yellow tram on a steep street",
            "tiled facade with laundry hanging",
            "view over red roofs to the river",
            "old man reading a newspaper at a cafe",
            "pastel de nata on a plate",
            "sunset at a viewpoint with a crowd",
            "narrow alley with stairs",
            "fishing boats at the harbour",
        ),
        False,
    ),
    PhotoRoll(
        "grandma-album",
        "scan_album1962_{n:03d}.tif",
        (
            "young woman in a polka dot dress",
            "family picnic by a lake",
            "wedding portrait in a studio",
            "boy on a tricycle",
            "soldier in uniform",
            "christmas table with relatives",
            "couple on a motorbike",
            "girl holding a cat",
        ),
        True,
    ),
    PhotoRoll(
        "ana-tom-wedding",
        "IMG_{n:04d}.CR3.jpg",
        (
            "bride and groom under an olive tree",
            "rings on a wooden table",
            "first dance under string lights",
            "flower girl laughing",
            "guests toasting",
            "bouquet close up",
            "couple walking at golden hour",
        ),
        True,
    ),
    PhotoRoll(
        "dog-portraits",
        "PXL_20250215_{n:06d}.jpg",
        (
            "border collie running on a beach",
            "old labrador sleeping on a sofa",
            "puppy with a chewed slipper",
            "dachshund in a raincoat",
            "husky in the snow",
            "terrier catching a ball",
        ),
        False,
    ),
    PhotoRoll(
        "street-night",
        "DSCF{n:04d}.JPG",
        (
            "neon sign reflected in a puddle",
            "taxi queue in the rain",
            "night market stall with steam",
            "cyclist under a street lamp",
            "empty tram stop",
            "couple under one umbrella",
        ),
        False,
    ),
)
PHOTO_STYLES: tuple[str, ...] = (
    "restored photograph, sharp details, natural colors, film grain removed",
    "oil painting, impasto brushstrokes, rich colors",
    "watercolor illustration, soft washes, paper texture",
    "studio ghibli style anime background",
    "colorized vintage photo, kodachrome",
    "linocut print, bold black lines",
    "cinematic still, teal and orange grade, anamorphic",
    "pencil sketch, cross hatching",
)


@dataclass(frozen=True, slots=True)
class Campaign:
    name: str
    style: str
    npcs: tuple[str, ...]
    places: tuple[str, ...]
    monsters: tuple[str, ...]
    fixes: tuple[str, ...]


CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign(
        "curse-of-the-marsh",
        "dark fantasy, painterly, dramatic lighting, muted greens",
        (
            "dwarven blacksmith with a burn scar",
            "nervous halfling innkeeper",
            "tiefling bard with a lute",
            "one-eyed ferryman",
            "elderly herbalist witch",
            "corrupt town guard captain",
            "child oracle with white eyes",
            "mercenary with a crossbow",
            "noble lady in mourning",
            "goblin fence selling trinkets",
        ),
        (
            "sunken chapel in the marsh",
            "misty crossroads with a gallows",
            "smugglers' cave entrance",
            "village square at market day",
            "ruined watchtower at dusk",
            "witch hut on stilts",
        ),
        ("bog troll", "will-o'-the-wisp swarm", "giant leech", "drowned knight", "hag in a bone mask"),
        ("older", "add a scar", "hooded", "holding a torch", "more sinister", "smiling"),
    ),
    Campaign(
        "neon-sprawl",
        "cyberpunk, gritty, neon rim light, rain",
        (
            "street doctor with chrome hands",
            "corporate fixer in a white suit",
            "teen netrunner with goggles",
            "bartender android",
            "gang leader with tattoos",
            "retired detective",
            "noodle vendor",
            "drone courier",
        ),
        (
            "rooftop helipad in the rain",
            "underground clinic",
            "megacorp lobby",
            "flooded metro tunnel",
            "night market alley",
        ),
        ("security mech", "cyber-hound", "rogue AI avatar", "combat drone swarm"),
        ("more chrome", "add a hood", "scarred face", "glowing eyes", "older", "in a trenchcoat"),
    ),
    Campaign(
        "frost-road",
        "nordic fantasy, snow, cold blue light, epic illustration",
        (
            "jarl with a fur cloak",
            "young shieldmaiden",
            "blind skald",
            "trader from the south",
            "runecarver",
            "exiled priest",
            "frost giant envoy",
        ),
        ("longhouse feast hall", "frozen fjord harbour", "ice cave shrine", "burial mound under aurora"),
        ("draugr", "ice wolf pack", "sea serpent", "troll under a bridge"),
        ("braided beard", "older", "bloodied", "holding a spear", "with a raven", "in armor"),
    ),
)

COMMUTE_SERIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "cyberpunk cats",
        (
            "cat hacker with neon goggles",
            "cat riding a hover scooter",
            "cat noodle chef in a food stall",
            "cat samurai on a rooftop",
            "cat DJ in a club",
            "cat detective in the rain",
        ),
    ),
    (
        "tiny worlds in teacups",
        (
            "tiny island in a teacup",
            "tiny forest in a coffee cup",
            "tiny village in a glass jar",
            "tiny beach in a seashell",
            "tiny castle in a lightbulb",
        ),
    ),
    (
        "tarot deck",
        (
            "the moon tarot card",
            "the tower tarot card",
            "the star tarot card",
            "the magician tarot card",
            "the hermit tarot card",
            "wheel of fortune tarot card",
            "the lovers tarot card",
        ),
    ),
    (
        "retro travel posters",
        (
            "travel poster of mars colony",
            "travel poster of venice under water",
            "travel poster of a moon hotel",
            "travel poster of a jungle railway",
            "travel poster of atlantis",
        ),
    ),
    (
        "cozy rooms",
        (
            "cozy attic reading nook with rain",
            "cozy kitchen at night",
            "cozy greenhouse office",
            "cozy train cabin",
            "cozy bookshop corner",
        ),
    ),
    (
        "mushroom folk",
        (
            "mushroom knight",
            "mushroom grandma knitting",
            "mushroom village festival",
            "mushroom wizard tower",
            "mushroom postman",
        ),
    ),
)
COMMUTE_EDITS: tuple[str, ...] = (
    "pastel colors",
    "studio ghibli style",
    "isometric",
    "soft lighting",
    "highly detailed",
    "watercolor",
    "night time",
    "vaporwave",
    "golden hour",
    "film grain",
)
DT_MODELS: tuple[tuple[str, tuple[int, int], tuple[float, float], int], ...] = (
    ("dreamshaper_8_q6p_q8p.ckpt", (512, 768), (18.0, 32.0), 25),
    ("sd_xl_base_1.0_f16.ckpt", (1024, 1024), (60.0, 105.0), 30),
    ("juggernaut_reborn_q6p_q8p.ckpt", (640, 960), (22.0, 40.0), 25),
    ("dreamshaper_xl_v2_1_turbo_f16.ckpt", (768, 1152), (12.0, 22.0), 8),
)

TEACH_INTRO: tuple[str, ...] = (
    "a red fox in a snowy forest",
    "a lighthouse during a storm",
    "portrait of an old fisherman",
    "a bowl of ramen, food photography",
    "a castle on a floating island",
    "an astronaut riding a horse",
    "a watercolor map of a fantasy kingdom",
    "a robot gardener watering plants",
    "a jazz club in 1920s new york",
    "a tiny house in the mountains",
    "a cat wearing a wizard hat",
    "a futuristic sports car",
)
TEACH_REQUESTS: tuple[str, ...] = (
    "my dog as a superhero",
    "the city hall made of candy",
    "a dinosaur at a birthday party",
    "our school in the year 3000",
    "a mermaid playing the cello",
    "a penguin barista",
    "a medieval knight on a skateboard",
    "a sunflower field on mars",
    "grandma as a rock star",
    "a whale in the sky",
)
TEACH_BASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "a cottage",
        (
            "in a forest",
            "at dusk",
            "warm light in the windows",
            "(fog:1.2)",
            "by a river",
            "oil painting",
            "highly detailed",
            "wide angle",
            "(fireflies:1.3)",
        ),
    ),
    (
        "a woman",
        (
            "with red hair",
            "wearing a green coat",
            "standing in the rain",
            "neon lights",
            "cinematic photo",
            "85mm lens",
            "(bokeh:1.2)",
            "looking at the camera",
            "night city",
        ),
    ),
    (
        "a ship",
        (
            "on a stormy sea",
            "tall sails",
            "lightning",
            "dramatic clouds",
            "(waves:1.3)",
            "by turner",
            "golden light breaking through",
            "seagulls",
        ),
    ),
)
TEACH_SWEEPS: dict[str, tuple[object, ...]] = {
    "cfg_scale": (1.0, 3.0, 5.0, 7.0, 9.0, 12.0, 15.0, 20.0),
    "steps": (4, 8, 12, 20, 30, 50),
    "sampler": ("Euler a", "Euler", "DPM++ 2M Karras", "DPM++ SDE Karras", "DDIM", "UniPC", "Heun"),
    "size": ((512, 512), (768, 512), (512, 768), (1024, 1024), (896, 1152)),
}


# --- the roster ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FamilyJArtist:
    name: str
    habit: str
    tool: str
    zone: str
    model: str
    sampler: str
    scheduler: str | None
    cfg: float
    steps: int


_TOOL_DEFAULTS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str | None], ...]]] = {
    "comfyui": (
        (
            "juggernautXL_v9Rdphoto2Lightning.safetensors",
            "sd_xl_base_1.0.safetensors",
            "zavychromaxl_v80.safetensors",
        ),
        (("dpmpp_2m", "karras"), ("euler_ancestral", "normal"), ("dpmpp_2m_sde", "exponential")),
    ),
    "forge": (
        ("realvisxlV40_v40Bakedvae.safetensors", "dreamshaperXL_v21TurboDPMSDE.safetensors"),
        (("DPM++ 2M Karras", None), ("DPM++ SDE Karras", None), ("Euler a", None)),
    ),
    "a1111": (
        ("v1-5-pruned-emaonly.safetensors", "realisticVisionV60B1_v51VAE.safetensors"),
        (("DPM++ 2M Karras", None), ("Euler a", None)),
    ),
    "invokeai": (
        ("Juggernaut XL v9", "DreamShaper XL v2 Turbo", "SDXL Base 1.0"),
        (("dpmpp_2m_k", None), ("euler_a", None), ("dpmpp_sde_k", None)),
    ),
    "swarmui": (
        ("OfficialStableDiffusion/sd_xl_base_1.0", "albedobaseXL_v21"),
        (("dpmpp_2m", "karras"), ("euler", "normal")),
    ),
    "fooocus": (
        ("juggernautXL_v8Rundiffusion.safetensors", "realisticStockPhoto_v20.safetensors"),
        (("dpmpp_2m_sde_gpu", "karras"),),
    ),
    "drawthings": (tuple(m for m, *_ in DT_MODELS), (("DPM++ 2M Karras", None), ("Euler A Trailing", None))),
}


def family_j_roster(seed: int = DEFAULT_SEED, artists: int = DEFAULT_ARTISTS) -> list[FamilyJArtist]:
    """The artists: habits dealt in turn, tools in turn within a habit; zones and settings by seed."""
    rng = random.Random(f"family-j/{seed}/roster")
    seen: Counter[str] = Counter()
    roster: list[FamilyJArtist] = []
    for index in range(artists):
        habit = HABITS[index % len(HABITS)]
        nth = seen[habit]
        seen[habit] += 1
        tool = HABIT_TOOLS[habit][nth % len(HABIT_TOOLS[habit])]
        zones = ZONES[habit]
        zone = zones[(nth + rng.randrange(len(zones))) % len(zones)]
        models, samplers = _TOOL_DEFAULTS[tool]
        model = rng.choice(models)
        if habit == "animator":
            model = rng.choice(ANIM_MODELS)
        sampler, scheduler = rng.choice(samplers)
        cfg = {"fooocus": 4.0, "drawthings": 5.0}.get(tool, rng.choice((5.0, 5.5, 6.0, 6.5, 7.0)))
        steps = {"fooocus": 30}.get(tool, rng.choice((20, 25, 28, 30, 35)))
        if "Turbo" in model or "Lightning" in model:
            cfg, steps = 2.0, rng.choice((6, 8))
        roster.append(
            FamilyJArtist(
                f"j-artist-{index + 1:02d}", habit, tool, zone, model, sampler, scheduler, cfg, steps
            )
        )
    return roster


# --- intent rule -----------------------------------------------------------------------------------


def family_j_session_intent(phases: Sequence[str], concepts: Sequence[str]) -> str:
    """A session's intent from its images' phases and concepts, in time order (see the module docstring)."""
    explored = [c for p, c in zip(phases, concepts, strict=True) if p == "exploration"]
    refined = [i for i, p in enumerate(phases) if p == "refinement"]
    if explored and refined:
        last_explored = max(i for i, p in enumerate(phases) if p == "exploration")
        refined_concepts = {concepts[i] for i in refined}
        if (
            min(refined) > last_explored
            and len(refined_concepts) == 1
            and refined_concepts <= set(explored)
            and len(set(explored)) >= 2
        ):
            return "convergent_selection"
    counts = Counter(phases)
    return max(PHASE_ORDER, key=lambda p: (counts[p], -PHASE_ORDER.index(p)))


# --- the builder -----------------------------------------------------------------------------------

Look = tuple[tuple[str, float], ...]


@dataclass(slots=True)
class _Pending:
    record: GenerationRecord
    order: tuple[float, int, int]
    look: Look
    noise: float
    visual_parent: str | None


@dataclass(slots=True)
class FamilyJBuild:
    """The library plus the generator's bookkeeping (for tests; the engine never sees it)."""

    library: SimulatedLibrary
    roster: list[FamilyJArtist]
    concept_of: dict[str, str] = field(default_factory=dict)
    """Record id -> what it is about (an item, a thumbnail composition, a scene, a photo, an NPC, ...)."""
    session_kind: dict[str, str] = field(default_factory=dict)
    """Session key -> the kind of sitting (``sitting``, ``switched``, ``fresh``, ``revisit``, ``game_night``,
    ``prep``, ``commute_am``, ``commute_pm``, ``couch``, ``workshop``)."""
    session_project: dict[str, str] = field(default_factory=dict)
    """Session key -> the project (asset set, brief, roll, campaign, series, workshop base...)."""
    clip_of: dict[str, str] = field(default_factory=dict)
    """Animator frame id -> its clip (job) key."""


class _Writer:
    """Emits one artist's records in time order, with their truth."""

    def __init__(
        self, build: FamilyJBuild, pending: list[_Pending], artist: FamilyJArtist, index: int, seed: int
    ):
        self.build = build
        self.pending = pending
        self.artist = artist
        self.index = index
        self.seed = seed
        self.rng = random.Random(f"family-j/{seed}/{artist.name}")
        self.zone = ZoneInfo(artist.zone)
        self.t = 0.0
        self.session: str | None = None
        self.sessions = 0
        self.emitted = 0
        self.counters: Counter[str] = Counter()
        self.by_id: dict[str, GenerationRecord] = {}
        self.phases: list[str] = []
        self.concepts: list[str] = []

    # -- time ---------------------------------------------------------------------------------------

    def at(self, day: date, hour: float) -> float:
        """Epoch seconds of a local wall-clock time (``hour`` may pass 24)."""
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
        return (midnight + timedelta(hours=hour)).timestamp()

    def days(self, days: int) -> Iterator[date]:
        for offset in range(days):
            yield FAMILY_J_START + timedelta(days=offset)

    def start_at(self, t: float) -> None:
        """Start a sitting at ``t`` (never before the previous sitting has ended)."""
        self.t = max(self.t + 1200.0, t)

    def wait(self, low: float, high: float) -> None:
        self.t += self.rng.uniform(low, high)

    # -- sessions -----------------------------------------------------------------------------------

    def begin(self, kind: str, project: str) -> str:
        assert self.session is None
        self.sessions += 1
        self.session = f"{self.artist.name}/{self.sessions:03d}"
        self.build.session_kind[self.session] = kind
        self.build.session_project[self.session] = project
        self.phases, self.concepts = [], []
        return self.session

    def end(self) -> None:
        assert self.session is not None
        if self.phases:
            intent = family_j_session_intent(self.phases, self.concepts)
            self.build.library.session_intent[self.session] = intent
        else:  # an empty sitting (nothing fitted): forget it
            del self.build.session_kind[self.session]
            del self.build.session_project[self.session]
            self.sessions -= 1
        self.session = None

    # -- records ------------------------------------------------------------------------------------

    def clock(self, t: float) -> tuple[datetime, str, TimePrecision]:
        source, precision, utc = CLOCKS[self.artist.tool]
        moment = datetime.fromtimestamp(t, UTC)
        if precision is TimePrecision.MILLISECOND:
            moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        else:
            moment = moment.replace(microsecond=0)
        return (moment if utc else moment.astimezone(self.zone)), source, precision

    def file_name(self, created_at: datetime, seed: int | None, prefix: str, prompt: str | None) -> str:
        tool = self.artist.tool
        local = created_at.astimezone(self.zone)
        counter = prefix if tool == "comfyui" else tool
        self.counters[counter] += 1
        n = self.counters[counter]
        if tool == "comfyui":
            return f"{prefix}_{n:05d}_.png"
        if tool in ("a1111", "forge"):
            return f"{n + 40:05d}-{seed}.png"
        if tool == "invokeai":
            h = f"{self.rng.getrandbits(128):032x}"
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}.png"
        if tool == "fooocus":
            return f"{local:%Y-%m-%d_%H-%M-%S}_{self.rng.randrange(1000, 10000)}.png"
        if tool == "swarmui":
            slug = "".join(ch if ch.isalnum() else " " for ch in (prompt or "")[:40]).split()
            return f"{local:%Y-%m-%d}/{local:%H%M}{n % 100:02d}-{' '.join(slug)}-{seed}.png"
        return f"IMG_{n + 1200:04d}.PNG"  # drawthings, saved to the photo library

    def emit(
        self,
        t: float,
        phase: str,
        concept: str,
        look: Look,
        params: dict[str, Any],
        *,
        parent: tuple[GenerationRecord, str] | None = None,
        noise: float = 0.3,
        drift: float | None = None,
        prefix: str = "ComfyUI",
    ) -> GenerationRecord:
        """One image at epoch ``t``; ``parent`` = (the record it was derived from, edge kind)."""
        assert self.session is not None and phase in PHASE_ORDER
        assert t >= self.t - 1e-6, "an artist's records are written in time order"
        self.t = t
        created_at, source, precision = self.clock(t)
        self.emitted += 1
        digest = hashlib.blake2b(f"{self.seed}/{self.artist.name}/{self.emitted}".encode(), digest_size=8)
        fields = dict(params)
        extra = dict(fields.pop("extra", {}))
        if self.artist.tool == "swarmui":
            extra["sui_extra_data"] = {"date": f"{created_at:%Y-%m-%d}"}
        if "file_name" not in fields:
            fields["file_name"] = self.file_name(created_at, fields.get("seed"), prefix, fields.get("prompt"))
        record = GenerationRecord(
            id=f"j{digest.hexdigest()}",
            tool=self.artist.tool,
            created_at=created_at,
            created_at_source=source,
            created_at_precision=precision,
            user=self.artist.name,
            extra=extra,
            **fields,
        )
        library = self.build.library
        visual_parent: str | None = None
        if parent is not None:
            source_record, kind = parent
            assert source_record.created_at is not None and source_record.created_at < created_at
            edge = TruthEdge(source_record.id, record.id, kind)
            library.derived_edges.append(edge)
            named = (record.source_image is not None and record.source_image == source_record.file_name) or (
                record.parent_job_id is not None and record.parent_job_id == source_record.job_id
            )
            if named:
                assert self.artist.tool in NAMING_TOOLS
                library.explicit_edges.append(TruthEdge(source_record.id, record.id, kind))
            visual_parent = source_record.id
            noise = drift if drift is not None else noise
        library.records.append(record)
        library.session_of[record.id] = self.session
        library.phase_of[record.id] = phase
        self.build.concept_of[record.id] = concept
        self.by_id[record.id] = record
        self.phases.append(phase)
        self.concepts.append(concept)
        self.pending.append(
            _Pending(record, (created_at.timestamp(), self.index, self.emitted), look, noise, visual_parent)
        )
        return record

    # -- helpers used by the habits -----------------------------------------------------------------

    def base(self, prompt: str, negative: str | None, seed: int, size: tuple[int, int]) -> dict[str, Any]:
        a = self.artist
        return {
            "prompt": prompt,
            "negative_prompt": negative,
            "seed": seed,
            "cfg_scale": a.cfg,
            "steps": a.steps,
            "sampler": a.sampler,
            "scheduler": a.scheduler,
            "model": a.model,
            "width": size[0],
            "height": size[1],
        }

    def seed32(self) -> int:
        return self.rng.randrange(1, 2**32)

    def click(
        self,
        count: int,
        render_seconds: float,
        phase: str,
        concept: str,
        look: Look,
        params: dict[str, Any],
        *,
        prefix: str = "ComfyUI",
        noise: float = 0.3,
    ) -> list[GenerationRecord]:
        """One press of Generate making ``count`` images, as the artist's tool writes a batch."""
        tool = self.artist.tool
        seed = int(params["seed"])
        out: list[GenerationRecord] = []
        job = self.job_id() if tool == "comfyui" else None
        start = self.t
        for i in range(count):
            p = dict(params)
            p["extra"] = dict(params.get("extra", {}))
            if tool == "comfyui":  # one execution: one time, one seed, batch_index
                t = start + render_seconds
                p["job_id"] = job
                p["extra"]["batch_index"] = i
            elif tool in ("a1111", "forge"):  # a batch written at the end, seeds counted up
                t = start + render_seconds + 0.08 * i
                p["seed"] = seed + i
            elif tool == "invokeai":  # queue items, a random seed each
                t = start + render_seconds * (i + 1)
                if i:
                    p["seed"] = self.seed32()
            else:  # fooocus image number, swarmui images, draw things: one after the other, seed + i
                t = start + render_seconds * (i + 1)
                p["seed"] = seed + i
            out.append(self.emit(t, phase, concept, look, p, prefix=prefix, noise=noise))
        return out

    def derive(
        self,
        parent: GenerationRecord,
        kind: str,
        render_seconds: float,
        phase: str,
        concept: str,
        changes: dict[str, Any],
        *,
        drift: float,
        prefix: str = "ComfyUI",
        name_parent: bool = True,
    ) -> GenerationRecord:
        """An image made from ``parent`` (upscale / img2img / inpaint / variation); the tool names the
        parent when it can (ComfyUI LoadImage, InvokeAI init image)."""
        p = params_of(parent)
        p.update(changes)
        extra = dict(p.get("extra", {}))
        if self.artist.tool in NAMING_TOOLS and name_parent:
            p["source_image"] = parent.file_name
        if self.artist.tool == "comfyui":
            p["job_id"] = self.job_id()
            extra.pop("batch_index", None)
        p["extra"] = extra
        t = max(self.t, (parent.created_at.timestamp() if parent.created_at else self.t)) + render_seconds
        return self.emit(t, phase, concept, (), p, parent=(parent, kind), drift=drift, prefix=prefix)

    def job_id(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


def params_of(record: GenerationRecord) -> dict[str, Any]:
    """A record's generation fields, to derive another from."""
    return {
        "prompt": record.prompt,
        "negative_prompt": record.negative_prompt,
        "seed": record.seed,
        "cfg_scale": record.cfg_scale,
        "steps": record.steps,
        "sampler": record.sampler,
        "scheduler": record.scheduler,
        "model": record.model,
        "loras": record.loras,
        "width": record.width,
        "height": record.height,
        "denoise": record.denoise,
        "workflow_hash": record.workflow_hash,
        "extra": {k: v for k, v in record.extra.items() if k != "sui_extra_data"},
    }


def _tool_extra(tool: str) -> dict[str, Any]:
    return {
        "forge": {"Version": "f2.0.1v1.10.1-previous-313-g8a042934"},
        "a1111": {"Version": "v1.10.1"},
        "invokeai": {"app_version": "5.6.2"},
        "fooocus": {"fooocus_scheme": "fooocus", "Version": "Fooocus v2.5.5"},
        "drawthings": {"CreatorTool": "Draw Things"},
    }.get(tool, {})


# --- habit 1: game-asset sets ----------------------------------------------------------------------


def _asset_designer(w: _Writer, days: int) -> None:
    rng = w.rng
    comfy = w.artist.tool == "comfyui"
    projects = list(ASSET_PROJECTS)
    rng.shuffle(projects)
    state = {"project": 0, "sittings": 0, "span": rng.randint(2, 4)}
    todo: dict[str, list[str]] = {}

    def next_project() -> AssetProject:
        state["project"] += 1
        state["sittings"] = 0
        state["span"] = rng.randint(2, 4)
        return projects[state["project"] % len(projects)]

    project = projects[0]
    for day in w.days(days):
        if day.weekday() >= 5 or rng.random() < 0.35:
            continue
        w.start_at(w.at(day, rng.uniform(9.0, 10.6)))
        length = rng.uniform(60, 130) * 60
        end = w.t + length
        if state["sittings"] >= state["span"]:
            project = next_project()
        switch = rng.random() < 0.3
        first_end = w.t + length * rng.uniform(0.45, 0.6) if switch else end
        w.begin("sitting", project.key)
        _asset_set_until(w, project, first_end, todo, comfy)
        w.end()
        state["sittings"] += 1
        if switch:
            project = next_project()
            w.wait(8 * 60, 15 * 60)
            w.begin("switched", project.key)
            _asset_set_until(w, project, end, todo, comfy)
            w.end()
            state["sittings"] += 1


def _asset_set_until(
    w: _Writer, project: AssetProject, end: float, todo: dict[str, list[str]], comfy: bool
) -> None:
    rng = w.rng
    a = w.artist
    lora = (LoraRef(project.lora, rng.choice((0.7, 0.8, 0.9))),)
    negative = SDXL_NEGATIVE + (", background clutter" if "sprite" in project.key else "")
    prefix = project.key
    workflow = f"wf-asset-{a.name}" if comfy else None
    style_key = f"style:{a.name}:{project.key}"
    while w.t < end:
        queue = todo.setdefault(project.key, [])
        if not queue:
            queue.extend(rng.sample(project.items, k=len(project.items)))
        item = queue.pop()
        concept = f"{project.key}:{item}"
        look: Look = ((style_key, 0.8), (f"item:{concept}", 0.55))
        candidates: list[GenerationRecord] = []
        for b in range(rng.choice((1, 1, 1, 2, 2, 3))):
            prompt = f"{item}, {project.style}"
            if b and rng.random() < 0.5:
                prompt = f"{item}, {rng.choice(project.touches)}, {project.style}"
            params = w.base(prompt, negative, w.seed32(), project.size)
            params.update(loras=lora, workflow_hash=workflow, extra=_tool_extra(a.tool))
            batch = 4 if comfy else rng.choice((2, 4))
            candidates += w.click(
                batch, rng.uniform(14, 26), "exploration", concept, look, params, prefix=prefix
            )
            w.wait(25, 110)
        pick = rng.choice(candidates)
        if rng.random() < 0.55:
            for _ in range(rng.randint(1, 3)):
                if rng.random() < 0.5:
                    touch = rng.choice(project.touches)
                    params = w.base(f"{item}, {touch}, {project.style}", negative, w.seed32(), project.size)
                    params.update(loras=lora, workflow_hash=workflow, extra=_tool_extra(a.tool))
                    n = rng.choice((2, 4))
                    rerolls = w.click(
                        n, rng.uniform(8, 22), "refinement", concept, look, params, prefix=prefix
                    )
                    pick = rng.choice(rerolls)
                else:
                    pick = w.derive(
                        pick,
                        "img2img",
                        rng.uniform(8, 16),
                        "refinement",
                        concept,
                        {"denoise": rng.choice((0.35, 0.4, 0.45, 0.5, 0.55)), "seed": w.seed32()},
                        drift=0.15,
                        prefix=prefix,
                    )
                w.wait(10, 50)
        if rng.random() < 0.8:
            changes: dict[str, Any] = {
                "width": (pick.width or 0) * 2,
                "height": (pick.height or 0) * 2,
                "denoise": rng.choice((0.25, 0.3, 0.35)),
            }
            if not comfy:
                changes["extra"] = {
                    **pick.extra,
                    "Postprocess upscale by": 2,
                    "Postprocess upscaler": "4x-UltraSharp",
                }
                changes["denoise"] = None
            w.derive(
                pick,
                "upscale",
                rng.uniform(12, 30),
                "optimization",
                concept,
                changes,
                drift=0.04,
                prefix=prefix,
            )
            w.wait(8, 40)


# --- habit 2: thumbnail passes ---------------------------------------------------------------------


def _thumbnailer(w: _Writer, days: int) -> None:
    rng = w.rng
    briefs = list(THUMB_BRIEFS)
    rng.shuffle(briefs)
    unpicked: list[tuple[GenerationRecord, str, date]] = []  # thumbnails left for later, with their brief
    made = 0
    last_revisit: date | None = None
    for day in w.days(days):
        if rng.random() > (0.78 if day.weekday() < 5 else 0.4):
            continue
        w.start_at(w.at(day, rng.uniform(13.0, 20.5)))
        length = rng.uniform(60, 170) * 60
        end = w.t + length
        old = [u for u in unpicked if (day - u[2]).days >= 7]
        due = last_revisit is None or (day - last_revisit).days >= 7
        if (day - FAMILY_J_START).days >= 10 and old and (due or rng.random() < 0.15):
            last_revisit = day
            entry = old[rng.randrange(len(old))]
            unpicked.remove(entry)
            thumb, brief, _made_on = entry
            w.begin("revisit", brief)
            _develop(w, thumb, w.build.concept_of[thumb.id], end, first_gap=True)
            w.end()
            continue
        brief = briefs[made % len(briefs)]
        made += 1
        w.begin("fresh", brief)
        thumbs: list[tuple[GenerationRecord, str]] = []
        thumb_end = w.t + length * rng.uniform(0.3, 0.45)
        clicks = 0
        while clicks < 8 or (w.t < thumb_end and clicks < 20):
            clicks += 1
            comp, mood = rng.choice(THUMB_COMPOSITIONS), rng.choice(THUMB_MOODS)
            concept = f"{brief}|{comp}|{mood}"
            prompt = f"{comp}, {brief}, {mood}, {THUMB_SUFFIX}"
            params = w.base(prompt, SDXL_NEGATIVE, w.seed32(), (768, 432))
            if w.artist.steps <= 8:  # a turbo / lightning model: fewer steps, low guidance either way
                params.update(steps=rng.choice((4, 5, 6)), cfg_scale=rng.choice((1.5, 2.0)))
            else:
                params.update(steps=rng.choice((12, 14, 16, 18)), cfg_scale=rng.choice((5.0, 5.5, 6.0)))
            params["extra"] = {**_tool_extra(w.artist.tool), "generation_mode": "txt2img"}
            look: Look = ((f"brief:{w.artist.name}:{brief}", 0.6), (f"comp:{concept}", 0.6))
            for record in w.click(
                rng.choice((1, 2, 3, 4)), rng.uniform(3, 6), "exploration", concept, look, params
            ):
                thumbs.append((record, concept))
            w.wait(8, 45)
        chosen, concept = rng.choice(thumbs)
        for record, _c in thumbs:
            if record is not chosen and rng.random() < 0.25:
                unpicked.append((record, brief, day))
        w.wait(30, 120)
        _develop(w, chosen, concept, end, first_gap=False)
        w.end()


def _develop(w: _Writer, thumb: GenerationRecord, concept: str, end: float, *, first_gap: bool) -> None:
    """Develop one thumbnail: img2img up to 1344x768, a chain of passes (refinement), then finish it."""
    rng = w.rng
    img2img = {**_tool_extra(w.artist.tool), "generation_mode": "img2img"}
    prompt = (thumb.prompt or "").replace(THUMB_SUFFIX, DEVELOP_SUFFIX)
    if first_gap:
        w.wait(20, 90)
    current = w.derive(
        thumb,
        "img2img",
        rng.uniform(8, 14),
        "refinement",
        concept,
        {
            "prompt": prompt,
            "width": 1344,
            "height": 768,
            "steps": w.artist.steps,
            "cfg_scale": w.artist.cfg,
            "denoise": rng.choice((0.55, 0.6, 0.65, 0.7)),
            "seed": w.seed32(),
            "extra": img2img,
        },
        drift=0.2,
    )
    passes = 0
    while passes < 5 or (w.t < end - 600 and passes < 24):
        passes += 1
        w.wait(40, 180)
        roll = rng.random()
        if roll < 0.4:
            if rng.random() < 0.6:
                prompt = f"{prompt}, {rng.choice(DEVELOP_EDITS)}"
            child = w.derive(
                current,
                "img2img",
                rng.uniform(8, 14),
                "refinement",
                concept,
                {
                    "prompt": prompt,
                    "denoise": rng.choice((0.3, 0.35, 0.4, 0.45, 0.5)),
                    "seed": w.seed32(),
                    "extra": img2img,
                },
                drift=0.12,
            )
        elif roll < 0.75:
            region = rng.choice(INPAINT_REGIONS)
            child = w.derive(
                current,
                "inpaint",
                rng.uniform(6, 12),
                "refinement",
                concept,
                {
                    "denoise": rng.choice((0.6, 0.7, 0.75, 0.85)),
                    "seed": w.seed32(),
                    "extra": {
                        **_tool_extra(w.artist.tool),
                        "generation_mode": "inpaint",
                        "inpaint_region": region,
                    },
                },
                drift=0.1,
            )
        else:  # two more tries from the same input, keep the better
            tries = [
                w.derive(
                    current,
                    "img2img",
                    rng.uniform(8, 14),
                    "refinement",
                    concept,
                    {"prompt": prompt, "denoise": 0.45, "seed": w.seed32(), "extra": img2img},
                    drift=0.14,
                )
                for _ in range(2)
            ]
            child = rng.choice(tries)
        if rng.random() < 0.6:
            current = child
    w.wait(30, 120)
    final = w.derive(
        current,
        "upscale",
        rng.uniform(20, 40),
        "optimization",
        concept,
        {
            "width": 2688,
            "height": 1536,
            "denoise": 0.3,
            "extra": {**_tool_extra(w.artist.tool), "generation_mode": "upscale"},
        },
        drift=0.04,
    )
    for denoise in rng.sample((0.15, 0.2, 0.25, 0.35), k=rng.randint(1, 3)):
        w.wait(20, 60)
        w.derive(
            current,
            "upscale",
            rng.uniform(20, 40),
            "optimization",
            concept,
            {"width": 2688, "height": 1536, "denoise": denoise, "extra": dict(final.extra)},
            drift=0.04,
        )


# --- habit 3: AnimateDiff clips --------------------------------------------------------------------


@dataclass(slots=True)
class _AnimRig:
    """One animator's AnimateDiff workflow for a sitting."""

    w: _Writer
    size: tuple[int, int]
    motion_module: str
    style_lora: LoraRef
    workflow: str
    clips: list[list[GenerationRecord]] = field(default_factory=list)

    def settings_for(self, scene: str) -> dict[str, Any]:
        rng = self.w.rng
        return {
            "prompt": f"{scene}, {ANIM_STYLE}",
            "seed": self.w.seed32(),
            "cfg_scale": rng.choice((7.0, 7.5, 8.0)),
            "steps": rng.choice((20, 25)),
            "frame_count": 16,
            "frame_rate": 8,
            "motion_scale": 1.0,
            "context_overlap": 4,
            "motion_lora": rng.choice(MOTION_LORAS),
            "motion_lora_weight": 0.8,
        }

    def clip(
        self, settings: dict[str, Any], phase: str, scene: str, *, queued: bool
    ) -> list[GenerationRecord]:
        """One execution: ``frame_count`` frame images with one job id, seed, prompt and time."""
        w = self.w
        rng = w.rng
        frames = int(settings["frame_count"])
        if not queued:
            w.wait(45, 300)
        w.t += frames * int(settings["steps"]) * rng.uniform(0.12, 0.2) + rng.uniform(8, 20)
        job = w.job_id()
        key = f"{scene}#{job}"
        out = []
        for i in range(frames):
            params = w.base(settings["prompt"], SD15_NEGATIVE, settings["seed"], self.size)
            params.update(
                cfg_scale=settings["cfg_scale"],
                steps=settings["steps"],
                loras=(self.style_lora, LoraRef(settings["motion_lora"], settings["motion_lora_weight"])),
                job_id=job,
                workflow_hash=self.workflow,
                extra={
                    "prompt_id": job,
                    "frame_index": i,
                    "frame_count": frames,
                    "frame_rate": settings["frame_rate"],
                    "motion_module": self.motion_module,
                    "motion_scale": settings["motion_scale"],
                    "context_length": 16,
                    "context_overlap": settings["context_overlap"],
                },
            )
            look: Look = (
                (f"scene:{w.artist.name}:{scene}", 0.7),
                (f"clip:{key}", 0.45),
                (f"motion:{key}", 0.02 * i),
            )
            record = w.emit(w.t, phase, scene, look, params, noise=0.04, prefix="AnimateDiff")
            w.build.clip_of[record.id] = job
            out.append(record)
        self.clips.append(out)
        return out


def _animator(w: _Writer, days: int) -> None:
    rng = w.rng
    a = w.artist
    motion_module = rng.choice(MOTION_MODULES)
    style_lora = LoraRef(rng.choice(("add_detail", "more_details", "ghibli_style_offset")), 0.6)
    scenes = list(ANIM_SCENES)
    rng.shuffle(scenes)
    used = 0
    for day in w.days(days):
        if rng.random() > (0.33 if day.weekday() < 5 else 0.6):
            continue
        w.start_at(w.at(day, rng.uniform(19.3, 21.6)))
        end = w.t + rng.uniform(90, 180) * 60
        picks = [scenes[(used + i) % len(scenes)] for i in range(rng.randint(3, 5))]
        used += len(picks)
        w.begin("sitting", picks[0])
        size = rng.choice(((512, 768), (768, 512), (512, 512)))
        rig = _AnimRig(w, size, motion_module, style_lora, f"wf-animatediff-{a.name}")
        explored: dict[str, dict[str, Any]] = {}
        for i, scene in enumerate(picks):
            explored[scene] = rig.settings_for(scene)
            rig.clip(explored[scene], "exploration", scene, queued=i > 0 and rng.random() < 0.4)
        scene = rng.choice(picks)
        current = dict(explored[scene])
        if rng.random() < 0.75:
            for _ in range(rng.randint(2, 5)):
                current = dict(current)
                if rng.random() < 0.6:
                    keyframe = rng.choice((8, 12, 16))
                    travel = rng.choice(ANIM_TRAVEL)
                    current["prompt"] = f'"0": "{scene}, {ANIM_STYLE}", "{keyframe}": "{scene}, {travel}"'
                else:
                    current["seed"] = w.seed32()
                rig.clip(current, "refinement", scene, queued=False)
        best = rig.clips[-1]
        for _ in range(rng.randint(2, 7)):
            if w.t > end:
                break
            knob = rng.choice(ANIM_SWEEPS)
            changed = dict(current)
            if knob == "cfg_scale":
                changed[knob] = rng.choice([c for c in (6.0, 6.5, 7.0, 7.5, 8.0, 9.0) if c != current[knob]])
            elif knob == "steps":
                changed[knob] = rng.choice([s for s in (15, 20, 25, 30) if s != current[knob]])
            elif knob == "motion_scale":
                changed[knob] = rng.choice([m for m in (0.8, 1.0, 1.1, 1.2, 1.3) if m != current[knob]])
            elif knob == "motion_lora_weight":
                changed[knob] = rng.choice([m for m in (0.5, 0.6, 0.8, 1.0, 1.2) if m != current[knob]])
            elif knob == "context_overlap":
                changed[knob] = rng.choice([c for c in (2, 4, 6, 8) if c != current[knob]])
            else:  # longer clips once the motion looks right
                changed[knob] = rng.choice([f for f in (16, 24, 32) if f != current[knob]])
            best = rig.clip(changed, "optimization", scene, queued=rng.random() < 0.3)
            if rng.random() < 0.5:
                current = changed
        if rng.random() < 0.7:
            _upscale_clip(w, best, scene)
        w.end()


def _upscale_clip(w: _Writer, best: list[GenerationRecord], scene: str) -> None:
    """The best clip upscaled frame by frame; the workflow loads the video file, not the frames."""
    rng = w.rng
    w.wait(40, 150)
    w.t += len(best) * rng.uniform(6, 12)
    job = w.job_id()
    w.counters["video"] += 1
    video = f"AnimateDiff_{w.counters['video']:05d}.mp4"
    for frame in best:
        child = w.emit(
            w.t,
            "optimization",
            scene,
            (),
            {
                **params_of(frame),
                "width": (frame.width or 0) * 2,
                "height": (frame.height or 0) * 2,
                "denoise": 0.35,
                "job_id": job,
                "workflow_hash": f"wf-animatediff-upscale-{w.artist.name}",
                "extra": {**frame.extra, "prompt_id": job, "source_video": video},
            },
            parent=(frame, "upscale"),
            drift=0.03,
            prefix="AnimateDiff_upscaled",
        )
        w.build.clip_of[child.id] = job


# --- habit 4: photographers restyling their own photos ---------------------------------------------


def _photo_restorer(w: _Writer, days: int) -> None:
    rng = w.rng
    a = w.artist
    comfy = a.tool == "comfyui"
    rolls = list(PHOTO_ROLLS)
    rng.shuffle(rolls)
    roll_i = 0
    photo_numbers: dict[str, int] = {}
    for day in w.days(days):
        weekend = day.weekday() >= 5
        if rng.random() > (0.8 if weekend else 0.25):
            continue
        start_hour = rng.uniform(10.0, 15.0) if weekend else rng.uniform(20.0, 21.5)
        w.start_at(w.at(day, start_hour))
        end = w.t + rng.uniform(45, 150) * 60
        roll = rolls[roll_i % len(rolls)]
        roll_i += 1
        w.begin("sitting", roll.key)
        size = (832, 1216) if roll.portrait else (1216, 832)
        roll_style: str | None = None
        number = photo_numbers.setdefault(roll.key, rng.randrange(100, 4000))
        captions = list(roll.captions)
        rng.shuffle(captions)
        for caption in captions:
            if w.t > end:
                break
            number += rng.randint(1, 9)
            photo = roll.file_pattern.format(n=number)
            concept = f"{roll.key}:{photo}"
            photo_key = f"photo:{a.name}:{concept}"
            tries = (
                [roll_style]
                if roll_style and rng.random() < 0.6
                else rng.sample(PHOTO_STYLES, k=rng.randint(2, 4))
            )
            outputs: list[tuple[GenerationRecord, str]] = []
            for style in tries:
                assert style is not None
                denoise = rng.choice((0.45, 0.5, 0.55, 0.6, 0.65))
                params = w.base(f"{style}, {caption}", SDXL_NEGATIVE, w.seed32(), size)
                params.update(denoise=denoise, extra=_tool_extra(a.tool))
                if comfy:
                    params.update(source_image=photo, workflow_hash=f"wf-photo-img2img-{a.name}")
                look: Look = ((photo_key, 1.0 - 0.5 * denoise), (f"pstyle:{style}", 0.4 + 0.5 * denoise))
                for record in w.click(
                    rng.choice((1, 2)), rng.uniform(9, 18), "exploration", concept, look, params
                ):
                    outputs.append((record, style))
                w.wait(15, 60)
            chosen, style = rng.choice(outputs)
            roll_style = style
            if rng.random() < 0.7:  # a strength (or guidance) sweep on the chosen style, fixed seed
                knob = "denoise" if rng.random() < 0.7 else "cfg_scale"
                values = (0.25, 0.35, 0.45, 0.55, 0.65) if knob == "denoise" else (3.5, 5.0, 6.5, 8.0)
                for value in rng.sample(values, k=rng.randint(3, len(values))):
                    params = params_of(chosen)
                    params[knob] = value
                    if comfy:
                        params.update(source_image=photo)
                    d = float(params.get("denoise") or 0.5)
                    look = ((photo_key, 1.0 - 0.5 * d), (f"pstyle:{style}", 0.4 + 0.5 * d))
                    sweep = w.click(1, rng.uniform(9, 18), "optimization", concept, look, params, noise=0.12)
                    if rng.random() < 0.35:
                        chosen = sweep[0]
                    w.wait(8, 35)
            for _ in range(rng.choice((0, 1, 1, 2))):
                if rng.random() < 0.5:
                    changes: dict[str, Any] = {
                        "denoise": rng.choice((0.2, 0.25, 0.3, 0.35)),
                        "seed": w.seed32(),
                    }
                    chosen = w.derive(
                        chosen, "img2img", rng.uniform(9, 16), "refinement", concept, changes, drift=0.08
                    )
                else:
                    changes = {
                        "prompt": f"{chosen.prompt}, detailed face, sharp eyes",
                        "denoise": 0.4,
                        "seed": w.seed32(),
                        "extra": {**chosen.extra, "inpaint": "face"},
                    }
                    chosen = w.derive(
                        chosen, "inpaint", rng.uniform(6, 12), "refinement", concept, changes, drift=0.06
                    )
                w.wait(10, 40)
            if rng.random() < 0.6:
                changes = {
                    "width": (chosen.width or 0) * 2,
                    "height": (chosen.height or 0) * 2,
                    "denoise": 0.2,
                }
                w.derive(chosen, "upscale", rng.uniform(20, 45), "optimization", concept, changes, drift=0.03)
            w.wait(30, 150)
        w.end()


# --- habit 5: tabletop game nights -----------------------------------------------------------------


def _game_master(w: _Writer, days: int) -> None:
    rng = w.rng
    campaign = CAMPAIGNS[w.index % len(CAMPAIGNS)]
    night = rng.choice((3, 4, 5))  # Thursday, Friday or Saturday
    prep_before = rng.choice((1, 2))
    for day in w.days(days):
        if day.weekday() == (night - prep_before) % 7 and rng.random() < 0.65:
            w.start_at(w.at(day, rng.uniform(16.0, 21.0)))
            w.begin("prep", campaign.name)
            end = w.t + rng.uniform(30, 70) * 60
            while w.t < end:
                _game_subject(w, campaign, rng.choice(("npc", "npc", "place", "monster")))
                w.wait(20, 90)
            w.end()
        if day.weekday() == night and rng.random() < 0.92:
            w.start_at(w.at(day, rng.uniform(19.0, 20.0)))
            w.begin("game_night", campaign.name)
            end = w.t + rng.uniform(3.0, 4.5) * 3600
            while True:
                for _ in range(rng.choice((1, 1, 2, 3))):
                    _game_subject(w, campaign, rng.choice(("npc", "npc", "place", "monster", "monster")))
                    w.wait(10, 60)
                roll = rng.random()
                lull = (
                    rng.uniform(3, 15)
                    if roll < 0.6
                    else rng.uniform(15, 35)
                    if roll < 0.9
                    else rng.uniform(35, 52)
                )
                if w.t + lull * 60 > end:
                    break
                w.t += lull * 60
            w.end()


def _game_subject(w: _Writer, campaign: Campaign, kind: str) -> None:
    rng = w.rng
    a = w.artist
    fooocus = a.tool == "fooocus"
    pool = {"npc": campaign.npcs, "place": campaign.places, "monster": campaign.monsters}[kind]
    subject = rng.choice(pool)
    size = (1152, 896) if kind == "place" else (896, 1152)
    concept = f"{campaign.name}:{subject}:{w.t:.0f}"
    look: Look = ((f"campaign:{a.name}", 0.6), (f"subject:{campaign.name}:{subject}", 0.7))
    styles = ["Fooocus V2", "Fooocus Enhance", "SAI Fantasy Art"]
    render = rng.uniform(10, 18) if fooocus else rng.uniform(7, 14)
    prompt = f"{subject}, {campaign.style}"

    def params(text: str) -> dict[str, Any]:
        p = w.base(text, None if fooocus else SDXL_NEGATIVE, w.seed32(), size)
        if fooocus:
            p.update(
                loras=(LoraRef("sd_xl_offset_example-lora_1.0.safetensors", 0.1),),
                extra={**_tool_extra(a.tool), "styles": styles, "performance": "Speed", "sharpness": 2.0},
            )
        return p

    images = w.click(2, render, "exploration", concept, look, params(prompt))
    if rng.random() < 0.4:
        w.wait(8, 30)
        images += w.click(2, render, "exploration", concept, look, params(prompt))
    pick = rng.choice(images)
    for _ in range(rng.choice((0, 0, 1, 2))):
        w.wait(10, 40)
        prompt = f"{subject}, {rng.choice(campaign.fixes)}, {campaign.style}"
        pick = rng.choice(w.click(2, render, "refinement", concept, look, params(prompt)))
    if fooocus and rng.random() < 0.35:
        w.wait(6, 25)
        extra = {**pick.extra, "uov_method": "Vary (Subtle)"}
        pick = w.derive(
            pick,
            "variation",
            render,
            "refinement",
            concept,
            {"denoise": 0.5, "seed": w.seed32(), "extra": extra},
            drift=0.15,
        )
    if rng.random() < 0.3:
        w.wait(5, 20)
        changes: dict[str, Any] = {"width": (pick.width or 0) * 2, "height": (pick.height or 0) * 2}
        if fooocus:
            changes.update(denoise=0.382, extra={**pick.extra, "uov_method": "Upscale (2x)"})
        else:
            changes.update(denoise=0.3, extra={"refinerupscale": 2})
        w.derive(pick, "upscale", render * 2.5, "optimization", concept, changes, drift=0.04)


# --- habit 6: commuters on a phone -----------------------------------------------------------------


def _commuter(w: _Writer, days: int) -> None:
    rng = w.rng
    series = list(COMMUTE_SERIES)
    rng.shuffle(series)
    model = DT_MODELS[w.index % len(DT_MODELS)]
    state: dict[str, Any] = {"series": 0, "days_left": rng.randint(3, 6), "sittings": 0}
    favourites: list[tuple[GenerationRecord, str]] = []
    for day in w.days(days):
        slots: list[tuple[str, float, float]] = []
        if day.weekday() < 5:
            if rng.random() < 0.85:
                slots.append(("commute_am", rng.uniform(7.3, 7.9), rng.uniform(16, 34)))
            if rng.random() < 0.7:
                slots.append(("commute_pm", rng.uniform(17.4, 18.4), rng.uniform(16, 40)))
        elif rng.random() < 0.35:
            slots.append(("couch", rng.uniform(20.0, 22.0), rng.uniform(20, 45)))
        if not slots:
            continue
        if state["days_left"] <= 0:
            state.update(series=state["series"] + 1, days_left=rng.randint(3, 6), sittings=0)
            favourites.clear()
        state["days_left"] -= 1
        theme, ideas = series[state["series"] % len(series)]
        for kind, hour, minutes in slots:
            w.start_at(w.at(day, hour))
            end = w.t + minutes * 60
            transfer = (
                w.t + minutes * 60 * rng.uniform(0.35, 0.6)
                if kind != "couch" and rng.random() < 0.5
                else None
            )
            w.begin(kind, theme)
            _commute_sitting(
                w, theme, ideas, model, end, transfer, favourites, first=state["sittings"] == 0, kind=kind
            )
            w.end()
            state["sittings"] += 1


def _commute_sitting(
    w: _Writer,
    theme: str,
    ideas: tuple[str, ...],
    model: tuple[str, tuple[int, int], tuple[float, float], int],
    end: float,
    transfer: float | None,
    favourites: list[tuple[GenerationRecord, str]],
    *,
    first: bool,
    kind: str,
) -> None:
    rng = w.rng
    a = w.artist
    name, size, render_range, steps = model
    device = "iPad Pro (M2)" if kind == "couch" else "iPhone 15 Pro"
    sampler = "Euler A Trailing" if steps <= 8 else a.sampler
    cfg = 2.0 if steps <= 8 else 5.0

    def params(text: str) -> dict[str, Any]:
        p = w.base(text, "blurry, deformed", w.seed32(), size)
        p.update(model=name, steps=steps, sampler=sampler, cfg_scale=cfg)
        p["extra"] = {**_tool_extra(a.tool), "device": device, "seed_mode": "Scale Alike", "strength": 1.0}
        return p

    def look(idea: str) -> Look:
        return ((f"series:{a.name}:{theme}", 0.6), (f"idea:{a.name}:{idea}", 0.6))

    def render() -> float:
        return rng.uniform(*render_range)

    def pause_for_transfer() -> None:
        nonlocal transfer
        if transfer is not None and w.t >= transfer:
            w.wait(3 * 60, 8 * 60)
            transfer = None

    explore = rng.sample(ideas, k=min(len(ideas), rng.randint(3, 5))) if first or not favourites else []
    if not first and favourites and rng.random() < 0.35:
        explore = [rng.choice([i for i in ideas if i not in {c for _, c in favourites}] or list(ideas))]
    for idea in explore:
        for _ in range(rng.randint(1, 3)):
            if w.t > end:
                break
            w.wait(10, 40)
            record = w.click(1, render(), "exploration", idea, look(idea), params(f"{idea}, {theme}"))[0]
            if rng.random() < 0.4:
                favourites.append((record, idea))
            pause_for_transfer()
    if not favourites and explore:  # nothing stood out: keep going with the last idea tried
        last = w.by_id[next(reversed(w.by_id))]
        favourites.append((last, w.build.concept_of[last.id]))
    if not favourites:
        return
    current, idea = favourites[-1] if rng.random() < 0.5 else rng.choice(favourites)
    prompt = current.prompt or idea
    while w.t < end:
        w.wait(12, 50)
        pause_for_transfer()
        if w.t >= end:
            break
        roll = rng.random()
        if roll < 0.55:
            prompt = _commute_edit(rng, prompt)
            current = w.click(1, render(), "refinement", idea, look(idea), params(prompt))[0]
        elif roll < 0.85:
            current = w.derive(
                current,
                "img2img",
                render(),
                "refinement",
                idea,
                {
                    "prompt": prompt,
                    "seed": w.seed32(),
                    "denoise": rng.choice((0.4, 0.5, 0.6, 0.7)),
                    "extra": {**current.extra, "device": device, "strength": 0.6},
                },
                drift=0.15,
            )
        else:
            w.derive(
                current,
                "upscale",
                rng.uniform(6, 15),
                "optimization",
                idea,
                {
                    "width": (current.width or 0) * 2,
                    "height": (current.height or 0) * 2,
                    "denoise": None,
                    "extra": {**current.extra, "device": device, "upscaler": "realesrgan_x2plus_f16.ckpt"},
                },
                drift=0.03,
            )
        if rng.random() < 0.3:
            favourites.append((current, idea))


def _commute_edit(rng: random.Random, prompt: str) -> str:
    """One more style word typed on the phone; with three already there, one is swapped for another."""
    parts = prompt.split(", ")
    present = [p for p in parts if p in COMMUTE_EDITS]
    if len(present) >= 3 or (present and rng.random() < 0.3):
        parts.remove(rng.choice(present))
    fresh = [e for e in COMMUTE_EDITS if e not in parts]
    return ", ".join([*parts, rng.choice(fresh)])


# --- habit 7: workshop teachers --------------------------------------------------------------------


def _teacher(w: _Writer, days: int) -> None:
    rng = w.rng
    workshop_days = rng.sample((1, 2, 3, 5), k=2)
    bases = list(TEACH_BASES)
    rng.shuffle(bases)
    held = 0
    for day in w.days(days):
        if day.weekday() in workshop_days:
            hour = 10.0 if day.weekday() == 5 else rng.choice((14.0, 18.5))
            w.start_at(w.at(day, hour + rng.uniform(-0.1, 0.2)))
            base, additions = bases[held % len(bases)]
            held += 1
            w.begin("workshop", base)
            _workshop(w, base, additions)
            w.end()
        if (day.weekday() + 1) % 7 in workshop_days and rng.random() < 0.5:
            w.start_at(w.at(day, rng.uniform(19.0, 21.0)))
            base, _additions = bases[held % len(bases)]
            w.begin("prep", base)
            _teach_explore(w, rng.sample(TEACH_INTRO, k=4), "exploration")
            _teach_sweep(w, base, rng.choice(list(TEACH_SWEEPS)))
            w.end()


def _workshop(w: _Writer, base: str, additions: tuple[str, ...]) -> None:
    """Intro, then the modules in some order with the coffee break after the middle one."""
    rng = w.rng
    modules = ["sweep", "sweep", "build", "img2img", "requests", "upscale"]
    rng.shuffle(modules)
    modules = ["intro", *modules]
    knobs = rng.sample(list(TEACH_SWEEPS), k=2)
    outputs: list[GenerationRecord] = []
    for index, module in enumerate(modules):
        if index == len(modules) // 2 + 1:
            w.wait(10 * 60, 20 * 60)  # coffee break: same workshop, same session
        if module == "intro":
            outputs += _teach_explore(w, rng.sample(TEACH_INTRO, k=rng.randint(4, 8)), "exploration")
        elif module == "requests":
            outputs += _teach_explore(w, rng.sample(TEACH_REQUESTS, k=rng.randint(3, 7)), "exploration")
        elif module == "sweep":
            outputs += _teach_sweep(w, base, knobs.pop())
        elif module == "build":
            outputs += _teach_build(w, base, additions)
        elif module == "img2img":
            source = rng.choice(outputs)
            concept = w.build.concept_of[source.id]
            for denoise in (0.3, 0.5, 0.7):
                w.wait(40, 120)
                w.derive(
                    source,
                    "img2img",
                    rng.uniform(5, 12),
                    "refinement",
                    concept,
                    {"denoise": denoise, "prompt": f"{source.prompt}, watercolor"},
                    drift=0.1 + 0.3 * denoise,
                )
            w.wait(40, 120)
            w.derive(
                source,
                "inpaint",
                rng.uniform(5, 12),
                "refinement",
                concept,
                {
                    "denoise": 0.75,
                    "seed": w.seed32(),
                    "extra": {**source.extra, "inpaint": "mask drawn live"},
                },
                drift=0.12,
            )
        else:  # upscale demo
            source = rng.choice(outputs)
            w.wait(40, 120)
            w.derive(
                source,
                "upscale",
                rng.uniform(15, 30),
                "optimization",
                w.build.concept_of[source.id],
                {"width": (source.width or 0) * 2, "height": (source.height or 0) * 2, "denoise": 0.3},
                drift=0.04,
            )


def _teach_params(w: _Writer, prompt: str, seed: int) -> dict[str, Any]:
    size = (512, 512) if "v1-5" in (w.artist.model or "") or "realistic" in w.artist.model else (1024, 1024)
    p = w.base(prompt, None, seed, size)
    p["extra"] = _tool_extra(w.artist.tool)
    p["workflow_hash"] = f"wf-teach-{w.artist.name}" if w.artist.tool == "comfyui" else None
    return p


def _teach_explore(w: _Writer, subjects: Sequence[str], phase: str) -> list[GenerationRecord]:
    out = []
    for subject in subjects:
        w.wait(45, 180)
        look: Look = ((f"teach:{subject}", 1.0),)
        out += w.click(1, w.rng.uniform(4, 12), phase, subject, look, _teach_params(w, subject, w.seed32()))
    return out


def _teach_sweep(w: _Writer, base: str, knob: str) -> list[GenerationRecord]:
    """One parameter at a time on a fixed prompt and seed: what the knob does."""
    rng = w.rng
    seed = w.seed32()
    prompt = f"{base}, {TEACH_BASES[[b for b, _ in TEACH_BASES].index(base)][1][0]}"
    out = []
    values = TEACH_SWEEPS[knob]
    for value in values[: rng.randint(4, len(values))]:
        w.wait(20, 90)
        params = _teach_params(w, prompt, seed)
        if knob == "size":
            assert isinstance(value, tuple)
            params["width"], params["height"] = value
        else:
            params[knob] = value
        look: Look = ((f"teach:{prompt}", 1.0),)
        out += w.click(1, rng.uniform(4, 14), "optimization", prompt, look, params, noise=0.15)
    return out


def _teach_build(w: _Writer, base: str, additions: tuple[str, ...]) -> list[GenerationRecord]:
    """Prompt building on a fixed seed: one phrase at a time, then a negative prompt."""
    rng = w.rng
    seed = w.seed32()
    prompt = base
    out = []
    look: Look = ((f"teach:{base}", 0.8),)
    for i, addition in enumerate(additions[: rng.randint(5, len(additions))]):
        prompt = f"{prompt}, {addition}"
        w.wait(30, 120)
        params = _teach_params(w, prompt, seed)
        extra_look: Look = ((f"teach-add:{base}:{i}", 0.15 * (i + 1)),)
        out += w.click(1, rng.uniform(4, 12), "refinement", base, look + extra_look, params, noise=0.12)
    w.wait(30, 120)
    params = _teach_params(w, prompt, seed)
    params["negative_prompt"] = SD15_NEGATIVE
    out += w.click(1, rng.uniform(4, 12), "refinement", base, look, params, noise=0.12)
    return out


_HABIT_WRITERS = {
    "asset_set": _asset_designer,
    "thumbnailer": _thumbnailer,
    "animator": _animator,
    "photo_restorer": _photo_restorer,
    "game_night": _game_master,
    "commuter": _commuter,
    "teacher": _teacher,
}


# --- the library -----------------------------------------------------------------------------------


def build_family_j(
    seed: int = DEFAULT_SEED,
    artists: int = DEFAULT_ARTISTS,
    days: int = DEFAULT_DAYS,
    *,
    with_visual: bool = True,
) -> FamilyJBuild:
    """The family J library and its bookkeeping; deterministic for (seed, artists, days)."""
    roster = family_j_roster(seed, artists)
    build = FamilyJBuild(SimulatedLibrary(), roster)
    pending: list[_Pending] = []
    for index, artist in enumerate(roster):
        writer = _Writer(build, pending, artist, index, seed)
        _HABIT_WRITERS[artist.habit](writer, days)
        assert writer.session is None
    pending.sort(key=lambda p: p.order)
    library = build.library
    library.records = [p.record for p in pending]
    if with_visual:
        library.visual = _visual_vectors(pending, seed)
    return build


def simulate_family_j_library(
    seed: int = DEFAULT_SEED,
    artists: int = DEFAULT_ARTISTS,
    days: int = DEFAULT_DAYS,
    *,
    with_visual: bool = True,
) -> SimulatedLibrary:
    """Family J (see the module docstring): records sorted by time, their truth, unit visual vectors."""
    return build_family_j(seed, artists, days, with_visual=with_visual).library


def _visual_vectors(pending: Sequence[_Pending], seed: int) -> dict[str, np.ndarray]:
    """Look components are random unit directions (one per key); a derived image is its parent moved a
    little (``drift``); everything gets some image noise. Its own generator: records never depend on it."""
    rng = np.random.default_rng([seed, 0x4A])
    directions: dict[str, np.ndarray] = {}

    def direction(key: str) -> np.ndarray:
        vector = directions.get(key)
        if vector is None:
            vector = rng.standard_normal(FAMILY_J_VISUAL_DIM)
            vector /= np.linalg.norm(vector)
            directions[key] = vector
        return vector

    visual: dict[str, np.ndarray] = {}
    for item in pending:
        noise = rng.standard_normal(FAMILY_J_VISUAL_DIM) / np.sqrt(FAMILY_J_VISUAL_DIM)
        if item.visual_parent is not None:
            vector = visual[item.visual_parent] + item.noise * noise
        else:
            vector = item.noise * noise
            for key, weight in item.look:
                vector = vector + weight * direction(key)
        vector = vector.astype(np.float64)
        vector /= np.linalg.norm(vector)
        visual[item.record.id] = vector
    return visual


def family_j_summary(build: FamilyJBuild) -> dict[str, Any]:
    """Counts for the command line: records, sessions, edges, per habit and intent."""
    library = build.library
    habit_of = {a.name: a.habit for a in build.roster}
    records: Counter[str] = Counter(habit_of[r.user or ""] for r in library.records)
    sessions: dict[str, set[str]] = defaultdict(set)
    for record in library.records:
        sessions[habit_of[record.user or ""]].add(library.session_of[record.id])
    return {
        "records": len(library.records),
        "sessions": len(library.session_intent),
        "explicit_edges": len(library.explicit_edges),
        "derived_edges": len(library.derived_edges),
        "intents": dict(Counter(library.session_intent.values())),
        "phases": dict(Counter(library.phase_of.values())),
        "habits": {
            h: {
                "artists": sum(a.habit == h for a in build.roster),
                "records": records[h],
                "sessions": len(sessions[h]),
            }
            for h in HABITS
        },
    }


def main(argv: Sequence[str]) -> None:
    seed = int(argv[0]) if argv else DEFAULT_SEED
    started = time.perf_counter()
    build = build_family_j(seed)
    elapsed = time.perf_counter() - started
    summary = family_j_summary(build)
    print(
        f"family J, seed {seed}: {summary['records']} records, "
        f"{summary['sessions']} sessions ({elapsed:.1f} s)"
    )
    print(f"  edges: {summary['explicit_edges']} explicit of {summary['derived_edges']} derived")
    print(f"  intents: {summary['intents']}")
    print(f"  phases: {summary['phases']}")
    for habit, counts in summary["habits"].items():
        print(
            f"  {habit:15s} artists {counts['artists']:2d}  "
            f"sessions {counts['sessions']:4d}  records {counts['records']:6d}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
