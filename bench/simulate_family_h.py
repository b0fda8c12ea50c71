"""Family H: a hold-out simulator of working professionals and their habits around session boundaries —
the boundaries that lexical similarity and fixed timeouts get wrong — written from the product
documents alone (without reading the engine or families A–G).

Habits (each artist has a primary habit and sometimes a second one, used on about a third of its
active days; the first six artists cover every habit in turn, the seventh is the brand variant of
``template``):

- ``template``: templated client work. A commercial product photographer whose prompts all share one
  long template (``studio product photo of {product}, seamless white background, softbox lighting,
  85mm, high detail, commercial photography``) with only the product slot changing between client
  jobs; each job is several renders, tweaks of the slot's details and seeds, and the next job starts
  3–25 minutes after the last one. The brand variant: a character/brand artist whose style prefix (and
  character LoRA) stays the same across unrelated projects, 8–40 minutes apart.
- ``fast``: ComfyUI API scripts or Forge batches, an image every 2–8 seconds, 30–90 s hiccups inside a
  project, and 2–6 minute breaks between unrelated projects.
- ``resume``: one piece refined by hand; a 50–120 minute meal or meeting break, then the very same
  prompt, seed and parameters again; yesterday's exact prompt picked up the next morning; an upscale
  of a pre-break image after the break (ComfyUI names the file it loads).
- ``pipeline``: generate in Forge / A1111 / Fooocus, upscale in ComfyUI (``LoadImage`` names the base
  file), inpaint on the Krita AI Diffusion or InvokeAI canvas (no file named), then back to the first
  tool for low-denoise img2img passes; each tool stretch 1–6 minutes after the previous one.
- ``night``: sittings that start between 21:30 and 00:30 local time and cross local midnight; the
  artists live in UTC−10 … UTC+13, and some in zones whose offset changes during the simulated weeks
  (Europe: +1 → +2 on 30 March 2025; Sydney / Auckland fall back on 6 April 2025); on the night of the
  change the sitting runs through it. Tools: a hosted generator (``tensorart``) whose history gives
  minutes only, ComfyUI (milliseconds), Draw Things (file mtime, seconds) and Midjourney (UTC seconds,
  grids of four, variations / upscales / remixes naming their parent job).
- ``chores``: a long refinement sitting (60–130 images) interrupted once or twice by a 2–4 image
  unrelated test — a new checkpoint's sanity prompt (``a cat``) or a LoRA check — 1–3 minutes after the
  last main image, the main work resumed 1–4 minutes after the test with the same prompt and model.

Tempos: seconds (``fast``), 15–90 s by hand, 40–120 s per Midjourney job; pauses inside a sitting up to
10 minutes. Times are timezone-aware; the simulated weeks start on Monday 24 March 2025.

Truth rules (the document sentences behind each in quotes):

1. A tool switch always ends a session — "a tool switch is a session boundary, so forks of one UI that
   a user runs side by side (A1111 / Forge / reForge) keep their own ids" (generation-records.md). Each
   stretch of a pipeline (base tool, ComfyUI upscale, canvas inpaint, back to the base tool) is its own
   session, however short the switch.
2. Sessions are per user and follow each other — "Clustering runs per user over the time-ordered
   stream" (DESIGN.md). No artist here runs two tools at once, so one artist's sessions never overlap.
3. A session is one sitting, not one goal (habit ``resume``): a break of 45 minutes or more always
   starts a new session, even when the artist comes back to the very same prompt, seed and parameters;
   a project picked up on another day is a new session too. The sessions of one project are tied only
   by lineage where something was derived across the break. The documents treat a session as a span
   of the time-ordered stream with a start and an end — "Clustering runs per user over the
   time-ordered stream" (DESIGN.md), ``"started_at": "…", "ended_at": "…"`` (generation-records.md) —
   and what a careful user expects ("Where it leaves a detail open, choose what a careful user of the
   product would expect", DESIGN.md) is that lunch and the night split their work; joining them is a
   "merge" correction away ("Corrections (merge, split, relabel, move)", DESIGN.md).
4. A new goal starts a new session even after a short pause: the next client job in the same template
   (3–25 minutes later), the next brand project under the same style prefix, the next unrelated batch
   project of a fast artist (2–6 minutes later, 15–100× its own pace), the next piece. A session is
   about one concept — the documents' own example label is "Neon alley refinement — 22 variations
   across 3 seeds" and ``convergent_selection`` is "exploration followed by refinement of one explored
   concept" (generation-records.md) — so a careful user files two client jobs apart even when the
   prompts share 90 % of their words. Pauses inside one goal (30–90 s hiccups in a fast batch, up to
   10 minutes by hand) never split it.
5. An aside is part of the sitting (habit ``chores``): a quick test of 2–4 images on an unrelated prompt
   that returns to the main work within minutes stays in the surrounding session. Sessions follow each
   other (rule 2), so filing the aside apart would cut one refinement into three sessions, and the
   documents ask for what a careful user expects — one refinement session ("Neon alley refinement — 22
   variations across 3 seeds", generation-records.md), of which a reflection can be written once it
   has "at least 50 assets" (reflections-and-credits.md). The aside's images are an ``optimization``
   phase (a fixed test prompt rendered to check a model or LoRA, rule 6).
6. Phases follow the intent names — "Intent names: exploration, refinement, optimization,
   convergent_selection (a session-level pattern: exploration followed by refinement of one explored
   concept)" (generation-records.md): *exploration* = different slot details, scenes, compositions,
   seeds or Midjourney grids on the way to a choice; *refinement* = edits of the chosen concept (added
   or changed words with the seed kept, re-renders after a break, hires / upscale, img2img, inpaint,
   Midjourney variations, remixes and upscales); *optimization* = the prompt and seed held fixed while
   CFG, steps, sampler, checkpoint or LoRA weight change, and checkpoint / LoRA sanity tests.
7. Session intent: ``convergent_selection`` when an exploration run of at least 3 images is followed
   later in the session by a refinement run of at least 3 images and optimization is not the majority;
   otherwise the phase with the most images (ties: optimization > refinement > exploration).
8. Explicit lineage only where the child's metadata names its parent — "``source_image``: file name or
   id of the input image (img2img, upscale, inpaint)", "``parent_job_id``: the job this one was derived
   from (variation, upscale, remix)" (generation-records.md), "``LoadImage`` nodes name the input file:
   that is explicit lineage" (metadata-sources.md). ComfyUI upscales (pipeline, resume) and Midjourney
   variations / upscales / remixes are explicit; hires passes, A1111 / Forge "SD upscale" and img2img,
   and canvas inpaints (Krita AI, InvokeAI) name nothing and are ``derived_edges`` only.
9. Times as each tool gives them — metadata-sources.md: ComfyUI history ``execution_start`` (epoch
   milliseconds, shown in the artist's offset), InvokeAI's database ``created_at`` (UTC, milliseconds),
   Midjourney ``Creation Time`` (UTC, seconds), A1111 / Forge / SD.Next / SwarmUI / Fooocus / NovelAI /
   Draw Things / Krita file mtime (seconds, the artist's offset at that instant), and the hosted
   ``tensorart`` history (minutes: "Rank time sources and record which one won (``created_at_source``)
   and its precision (day, minute, second, millisecond)"). Minute times are truncated, never rounded.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone

import numpy as np

from bench.simulate import SimulatedLibrary, TruthEdge
from engine.records import GenerationRecord, LoraRef, TimePrecision

FAMILY_H_VISUAL_DIM = 24

HABITS: tuple[str, ...] = ("template", "fast", "resume", "pipeline", "night", "chores")

FIRST_DAY = date(2025, 3, 24)
"""A Monday; Europe moves to summer time on day 6, Sydney and Auckland leave it on day 13."""

MEAL_BREAK_MINUTES = (50.0, 120.0)
NEW_SITTING_GAP_SECONDS = 45 * 60

_NAMES = (
    "amara", "bastian", "chloe", "dmitri", "esme", "farid", "greta", "hiro", "ines", "jonah",
    "kalani", "lucia", "mateo", "noor", "oskar", "priya", "quinn", "rafael", "sora", "tove",
    "ulla", "viktor", "wen", "yusuf",
)  # fmt: skip

# zone -> (offset in minutes at the start, [(UTC instant of a change, offset after it)])
ZONES: dict[str, tuple[int, tuple[tuple[datetime, int], ...]]] = {
    "Pacific/Honolulu": (-600, ()),
    "America/Los_Angeles": (-420, ()),
    "America/New_York": (-240, ()),
    "America/Sao_Paulo": (-180, ()),
    "Europe/London": (0, ((datetime(2025, 3, 30, 1, 0, tzinfo=UTC), 60),)),
    "Europe/Berlin": (60, ((datetime(2025, 3, 30, 1, 0, tzinfo=UTC), 120),)),
    "Asia/Kolkata": (330, ()),
    "Asia/Kathmandu": (345, ()),
    "Asia/Tokyo": (540, ()),
    "Australia/Sydney": (660, ((datetime(2025, 4, 5, 16, 0, tzinfo=UTC), 600),)),
    "Pacific/Auckland": (780, ((datetime(2025, 4, 5, 14, 0, tzinfo=UTC), 720),)),
    "Pacific/Tongatapu": (780, ()),
}
NIGHT_ZONES = (
    "Europe/Berlin",
    "Pacific/Auckland",
    "Pacific/Honolulu",
    "Pacific/Tongatapu",
    "Australia/Sydney",
    "Europe/London",
)
DAY_ZONES = (
    "America/Los_Angeles",
    "Asia/Tokyo",
    "America/New_York",
    "Pacific/Tongatapu",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kathmandu",
    "Europe/Berlin",
    "Pacific/Honolulu",
)

# ---------------------------------------------------------------------------------------------------
# vocabularies

PRODUCT_TEMPLATES: tuple[tuple[str, str], ...] = (
    (
        "studio product photo of ",
        ", seamless white background, softbox lighting, 85mm, high detail, commercial photography",
    ),
    (
        "e-commerce packshot of ",
        " on a pale grey paper sweep, three-point lighting, 100mm macro lens, razor sharp focus, "
        "catalogue photography, soft contact shadow",
    ),
)
PRODUCTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "a matte black wireless earbud case",
        ("lid open", "one earbud resting beside it", "three-quarter view"),
    ),
    ("a ceramic pour-over coffee dripper", ("on a glass carafe", "speckled glaze", "top-down angle")),
    ("a slim leather bifold wallet", ("cognac brown", "cards fanned out", "stitching close-up")),
    ("an amber glass serum bottle with a pipette", ("pipette lifted", "golden drop falling", "label facing")),
    ("a mechanical keyboard with cream keycaps", ("low angle", "one keycap removed", "coiled cable")),
    ("a brushed steel insulated water bottle", ("condensation beads", "bamboo lid", "lying on its side")),
    ("a pair of white knit running shoes", ("laces loose", "sole visible", "mid-air levitating")),
    ("a soy candle in a concrete jar", ("lit, small flame", "wooden wick", "lid leaning on it")),
    ("a smartwatch with a woven olive strap", ("screen glowing", "strap curled", "side buttons visible")),
    ("a set of bamboo toothbrushes", ("fanned out", "in a linen pouch", "bristles in charcoal")),
    ("a compact mirrorless camera body", ("lens cap off", "flip screen open", "front view")),
    ("a bottle of cold-pressed olive oil", ("olive branch beside it", "cork stopper", "green glass")),
    ("a wooden toy train with three carriages", ("painted red and blue", "on a curved track", "top view")),
    ("a glass jar of wildflower honey", ("honey dipper resting", "lid off", "dripping honey")),
    ("tortoiseshell sunglasses", ("folded", "lenses reflecting a window", "arms open")),
    ("a linen throw pillow in terracotta", ("tassels", "slight crease", "leaning upright")),
    ("a cast iron skillet", ("handle toward camera", "seasoned sheen", "with a wooden trivet")),
    ("a pair of noise cancelling headphones", ("ear cups rotated", "carrying case", "cable detached")),
)
PRODUCT_TWEAKS = (
    "slightly warmer tone",
    "softer shadow",
    "subtle reflection on the floor",
    "rim light from the left",
    "crisper edges",
    "more negative space",
    "centered composition",
    "tiny dust removed",
)
PRODUCT_NEGATIVE = "lowres, watermark, text, logo, blurry, deformed, cropped, cluttered background"

BRAND_PREFIX = (
    "flat vector mascot illustration of Pip the otter, brand character sheet style, thick clean outlines, "
    "limited pastel palette, soft grain texture, "
)
BRAND_SCENES: tuple[str, ...] = (
    "holding a steaming coffee cup, autumn cafe menu banner",
    "waving from a laptop screen, app onboarding screen",
    "wearing a tiny hard hat, under construction 404 page",
    "surfing on a paper plane, newsletter header",
    "sleeping on a stack of books, loading screen",
    "carrying shopping bags, spring sale sticker",
    "in an astronaut helmet floating among stars, kids app splash",
    "holding an umbrella in the rain, weather widget icon",
    "cheering with confetti, achievement badge",
    "reading a folded map, travel blog hero image",
    "watering a potted plant, sustainability report cover",
    "playing a ukulele, podcast thumbnail",
)
BRAND_DETAILS = (
    "facing left",
    "big smile",
    "sticker with white border",
    "mint background",
    "full body",
    "waist up",
    "eyes closed, content",
    "lavender background",
)

FAST_THEMES: tuple[str, ...] = (
    "isometric low poly island with a lighthouse, game asset, soft pastel colors",
    "portrait of an elderly fisherman, weathered skin, rim light, 50mm photo",
    "art nouveau poster of a peacock, gold leaf, ornate border",
    "cyberpunk street market in the rain, neon signs, volumetric fog",
    "watercolor botanical study of a fern, cream paper texture",
    "brutalist concrete house in a pine forest, overcast, architectural photo",
    "cute chibi knight with an oversized sword, sticker sheet",
    "macro photo of a dew covered spider web at dawn",
    "retro synthwave sports car on a grid highway, magenta sunset",
    "ancient library carved into a cliff, warm lantern light, matte painting",
    "ukiyo-e wave crashing over a modern harbor city",
    "top-down food photo of a ramen bowl, chopsticks, dark slate",
    "sci-fi hangar with a dropship, hard surface concept art",
    "children's book illustration of a bear baking bread",
    "moody still life of pears and a brass jug, dutch golden age painting",
    "aerial photo of terraced rice fields in morning mist",
)
FAST_ADDITIONS = (
    "dramatic lighting",
    "highly detailed",
    "muted colors",
    "wide angle",
    "film grain",
    "sharp focus",
    "depth of field",
    "golden hour",
)

PIECES: tuple[str, ...] = (
    "oil painting of a lighthouse keeper's kitchen at dusk, copper pots, warm window light",
    "cinematic still of a lone astronaut in a sunflower field, anamorphic lens, 35mm film grain",
    "portrait of a red-haired violinist in a dim jazz bar, bokeh, kodak portra 400",
    "gothic cathedral interior flooded with turquoise water, god rays",
    "cozy treehouse library in autumn, hanging lanterns, hand painted anime background",
    "a fox made of folded origami paper in a snowy forest, macro photography",
    "desert caravan at golden hour, towering dunes, epic wide shot",
    "victorian greenhouse overgrown with orchids, misty morning light",
    "samurai standing in a bamboo grove during a thunderstorm, ink wash painting",
    "floating market at dawn, wooden boats piled with mangoes, travel photography",
    "steampunk airship docking at a clocktower, brass and mahogany, concept art",
    "bioluminescent mushrooms in a cave, tiny explorer with a lantern, fantasy illustration",
    "art deco hotel lobby, emerald marble, symmetrical composition, architectural digest",
    "old fisherman's hut on stilts in a frozen lake, northern lights",
)
PIECE_VARIANTS = (
    "from a low angle",
    "close-up",
    "wide shot",
    "at night",
    "in fog",
    "overhead view",
    "with a figure in the distance",
    "rule of thirds",
)
PIECE_EDITS = (
    "warmer highlights",
    "more contrast",
    "intricate details",
    "soft rim light",
    "subtle lens flare",
    "richer shadows",
    "cleaner background",
    "muted teal palette",
    "sharper eyes",
    "less saturation",
    "volumetric light",
    "slight haze",
)
GENERAL_NEGATIVE = "lowres, bad anatomy, extra fingers, jpeg artifacts, watermark, signature"

NIGHT_SUBJECTS: tuple[str, ...] = (
    "empty diner at 3am, neon reflections on wet asphalt, edward hopper mood",
    "witch's apothecary shelves, glowing bottles, candlelight",
    "koi pond under a full moon, paper lanterns",
    "abandoned subway station reclaimed by ferns",
    "lofi girl studying by a rainy window, anime style",
    "deep sea anglerfish portrait, bioluminescent lure",
    "city rooftop garden at night, string lights, fog",
    "vintage observatory with a brass telescope, starry sky through the dome",
    "ghost ship in a midnight storm, dramatic waves",
    "night train crossing a snowy viaduct, warm windows",
)
MJ_SUFFIXES = ("--ar 3:2 --v 6.1", "--ar 2:3 --v 6.1 --style raw", "--ar 16:9 --v 6.1 --s 250")
MJ_SIZES = {"3:2": (1456, 970), "2:3": (970, 1456), "16:9": (1456, 816)}

CHORE_PROMPTS: tuple[str, ...] = (
    "a cat",
    "a photo of a cat sitting on a windowsill",
    "portrait of a woman, studio lighting",
    "a red apple on a table",
)
CHORE_CHECKPOINTS = (
    "illustriousXL_v01.safetensors",
    "newrealityxl_v40.safetensors",
    "flux1-schnell-fp8.safetensors",
    "cyberrealisticPony_v65.safetensors",
)
CHORE_LORAS = ("detail_tweaker_xl", "film_photo_v2", "pixel_art_xl_v1.1", "add_more_details_xl")

SDXL_MODELS = (
    "sd_xl_base_1.0.safetensors",
    "juggernautXL_v9Rdphoto2Lightning.safetensors",
    "realvisxlV40_v40Bakedvae.safetensors",
    "dreamshaperXL_v21TurboDPMSDE.safetensors",
    "zavychromaxl_v90.safetensors",
    "leosamsHelloworldXL_70.safetensors",
    "albedobaseXL_v21.safetensors",
    "flux1-dev-fp8.safetensors",
)
SIZES = ((1024, 1024), (832, 1216), (1216, 832), (896, 1152), (1152, 896))
COMFY_SAMPLERS = (
    ("dpmpp_2m", "karras"),
    ("euler", "normal"),
    ("dpmpp_2m_sde", "karras"),
    ("euler", "simple"),
)
WEBUI_SAMPLERS = (("DPM++ 2M", "Karras"), ("Euler a", "Automatic"), ("DPM++ SDE", "Karras"), ("UniPC", None))

TOOL_TIME: dict[str, tuple[str, TimePrecision, bool]] = {
    # tool -> (created_at_source, precision, written in UTC)
    "comfyui": ("metadata:execution_start", TimePrecision.MILLISECOND, False),
    "invokeai": ("metadata:created_at", TimePrecision.MILLISECOND, True),
    "midjourney": ("metadata:Creation Time", TimePrecision.SECOND, True),
    "tensorart": ("metadata:history.createdAt", TimePrecision.MINUTE, False),
}
MTIME = ("file:mtime", TimePrecision.SECOND, False)


# ---------------------------------------------------------------------------------------------------
# artists


@dataclass(slots=True)
class _Artist:
    index: int
    name: str
    habit: str
    second: str | None
    variant: str
    zone: str
    tools: dict[str, str]
    model: str
    sampler: tuple[str, str | None]
    size: tuple[int, int]
    workflow: str


def _roster(seed: int, artists: int) -> list[_Artist]:
    rng = random.Random(f"family-h-roster-{seed}")
    extremes = ["Pacific/Honolulu", "Pacific/Tongatapu"]  # UTC−10 and UTC+13 among the first artists
    day_zones = [zone for zone in DAY_ZONES if zone not in extremes]
    rng.shuffle(day_zones)
    rng.shuffle(extremes)
    for position, zone in zip(sorted(rng.sample(range(4), 2)), extremes, strict=True):
        day_zones.insert(position, zone)
    roster: list[_Artist] = []
    nights = 0
    for i in range(artists):
        habit = HABITS[i % len(HABITS)]
        second: str | None = None
        if rng.random() < 0.45:
            second = rng.choice([h for h in HABITS if h != habit])
        variant = "brand" if habit == "template" and (i // len(HABITS)) % 2 == 1 else "product"
        if habit == "night":
            zone = NIGHT_ZONES[nights % len(NIGHT_ZONES)]
            nights += 1
        else:
            zone = day_zones[i % len(day_zones)]
        tools = {
            "template": rng.choice(
                ("comfyui", "forge", "a1111") if variant == "product" else ("forge", "comfyui", "reforge")
            ),
            "fast": rng.choice(("comfyui", "forge")),
            "resume": rng.choice(("comfyui", "a1111", "forge", "comfyui")),
            "pipeline": rng.choice(("forge", "a1111", "fooocus")),
            "pipeline_canvas": rng.choice(("kritaai", "invokeai")),
            "night": rng.choice(("tensorart", "comfyui", "drawthings")),
            "night_second": rng.choice(("midjourney", "midjourney", "tensorart", "drawthings")),
            "chores": rng.choice(("comfyui", "forge", "sdnext", "swarmui")),
        }
        if tools["night_second"] == tools["night"]:
            tools["night_second"] = "midjourney"
        name = _NAMES[i % len(_NAMES)] + (str(i // len(_NAMES)) if i >= len(_NAMES) else "")
        roster.append(
            _Artist(
                index=i,
                name=name,
                habit=habit,
                second=second,
                variant=variant,
                zone=zone,
                tools=tools,
                model=rng.choice(SDXL_MODELS),
                sampler=rng.choice(COMFY_SAMPLERS),
                size=rng.choice(SIZES),
                workflow=f"{rng.getrandbits(64):016x}",
            )
        )
    return roster


def family_h_artist_habits(seed: int = 71, artists: int = 20) -> dict[str, tuple[str, ...]]:
    """User name → its habits (primary first) and, for ``template``, its variant as a third-party check
    for tests; never part of the records."""
    out: dict[str, tuple[str, ...]] = {}
    for artist in _roster(seed, artists):
        habits = (artist.habit,) + ((artist.second,) if artist.second else ())
        out[artist.name] = habits + ((f"template:{artist.variant}",) if artist.habit == "template" else ())
    return out


def family_h_zone_of(seed: int = 71, artists: int = 20) -> dict[str, str]:
    """User name → the time zone the simulator gave it (for tests)."""
    return {artist.name: artist.zone for artist in _roster(seed, artists)}


def zone_offset_minutes(zone: str, instant: datetime) -> int:
    """The zone's UTC offset (minutes) at an aware instant."""
    offset, changes = ZONES[zone]
    for when, after in changes:
        if instant >= when:
            offset = after
    return offset


def _local_to_utc(zone: str, day: date, wall: time) -> datetime:
    naive = datetime.combine(day, wall, tzinfo=UTC)
    guess = naive - timedelta(minutes=zone_offset_minutes(zone, naive))
    return naive - timedelta(minutes=zone_offset_minutes(zone, guess))


# ---------------------------------------------------------------------------------------------------
# generation parameters and the builder


@dataclass(slots=True)
class _Params:
    prompt: str
    negative: str | None = None
    seed: int | None = None
    cfg: float | None = None
    steps: int | None = None
    sampler: str | None = None
    scheduler: str | None = None
    model: str | None = None
    loras: tuple[LoraRef, ...] = ()
    width: int | None = None
    height: int | None = None
    denoise: float | None = None


def _slug(prompt: str, words: int = 5) -> str:
    tokens = re.findall(r"[a-z0-9]+", prompt.lower())
    return "_".join(tokens[:words]) or "image"


def _direction(key: str) -> np.ndarray:
    digest = hashlib.sha256(f"family-h-look:{key}".encode()).digest()
    vector = np.random.default_rng(int.from_bytes(digest[:8], "little")).normal(size=FAMILY_H_VISUAL_DIM)
    return np.asarray(vector / np.linalg.norm(vector), dtype=np.float64)


@dataclass(slots=True)
class _ResumeState:
    params: _Params
    piece: str
    days: int
    look: tuple[tuple[str, float], ...]


@dataclass
class _Builder:
    seed: int
    with_visual: bool
    rng: random.Random
    library: SimulatedLibrary = field(default_factory=SimulatedLibrary)
    session_numbers: Counter[str] = field(default_factory=Counter)
    record_numbers: Counter[str] = field(default_factory=Counter)
    file_counters: Counter[tuple[str, str]] = field(default_factory=Counter)
    phases: dict[str, list[str]] = field(default_factory=dict)
    resume: dict[str, _ResumeState] = field(default_factory=dict)
    used: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    last_at: dict[str, datetime] = field(default_factory=dict)
    """User → the (untruncated UTC) time of its latest image: breaks are measured from it."""
    vis_rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))

    def open_session(self, artist: _Artist) -> str:
        self.session_numbers[artist.name] += 1
        key = f"{artist.name}/{self.session_numbers[artist.name]}"
        self.phases[key] = []
        return key

    def pick(self, artist: _Artist, pool: str, size: int) -> int:
        """An index into a vocabulary, cycling through a per-artist shuffle so projects rarely repeat."""
        queue = self.used.setdefault((artist.name, pool), [])
        if not queue:
            queue.extend(range(size))
            self.rng.shuffle(queue)
        return queue.pop()

    def hex_id(self, bits: int = 128) -> str:
        raw = f"{self.rng.getrandbits(bits):0{bits // 4}x}"
        if bits == 128:
            return f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-a{raw[17:20]}-{raw[20:32]}"
        return raw

    def emit(
        self,
        artist: _Artist,
        session: str,
        phase: str,
        when: datetime,
        tool: str,
        params: _Params,
        look: tuple[tuple[str, float], ...],
        *,
        source_image: str | None = None,
        job_id: str | None = None,
        parent_job_id: str | None = None,
        file_name: str | None = None,
        extra: dict[str, object] | None = None,
        workflow_hash: str | None = None,
    ) -> GenerationRecord:
        source, precision, in_utc = TOOL_TIME.get(tool, MTIME)
        if precision is TimePrecision.MINUTE:
            instant = when.replace(second=0, microsecond=0)
        elif precision is TimePrecision.SECOND:
            instant = when.replace(microsecond=0)
        else:
            instant = when.replace(microsecond=when.microsecond // 1000 * 1000)
        offset = 0 if in_utc else zone_offset_minutes(artist.zone, instant)
        created_at = instant.astimezone(timezone(timedelta(minutes=offset)))
        self.record_numbers[artist.name] += 1
        number = self.record_numbers[artist.name]
        record_id = f"h{self.seed:03d}{artist.index:02d}{number:06d}"
        self.file_counters[(artist.name, tool)] += 1
        counter = self.file_counters[(artist.name, tool)]
        if file_name is None:
            file_name = self._file_name(tool, counter, params, created_at)
        record = GenerationRecord(
            id=record_id,
            tool=tool,
            created_at=created_at,
            created_at_source=source,
            created_at_precision=precision,
            user=artist.name,
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
            source_image=source_image,
            job_id=job_id,
            parent_job_id=parent_job_id,
            file_name=file_name,
            workflow_hash=workflow_hash,
            extra=dict(extra or {}),
        )
        self.library.records.append(record)
        self.last_at[artist.name] = when
        self.library.session_of[record_id] = session
        self.library.phase_of[record_id] = phase
        self.phases[session].append(phase)
        if self.with_visual:
            vector = np.zeros(FAMILY_H_VISUAL_DIM, dtype=np.float64)
            for key, weight in look:
                vector += weight * _direction(key)
            vector += 0.12 * self.vis_rng.normal(size=FAMILY_H_VISUAL_DIM)
            self.library.visual[record_id] = np.asarray(vector / np.linalg.norm(vector), dtype=np.float64)
        return record

    def _file_name(self, tool: str, counter: int, params: _Params, created_at: datetime) -> str:
        slug = _slug(params.prompt)
        if tool == "comfyui":
            return f"ComfyUI_{counter:05d}_.png"
        if tool in ("a1111", "forge", "reforge"):
            return f"{counter:05d}-{params.seed}.png"
        if tool == "sdnext":
            model = (params.model or "model").split(".")[0]
            return f"{counter:05d}-{model}-{_slug(params.prompt, 3)}.png"
        if tool == "swarmui":
            model = (params.model or "model").split(".")[0]
            return f"{created_at:%H%M%S}{counter % 100:02d}-{_slug(params.prompt, 4)}-{model}.png"
        if tool == "fooocus":
            return f"{created_at:%Y-%m-%d_%H-%M-%S}_{self.rng.randrange(1000, 10000)}.png"
        if tool == "kritaai":
            return f"{slug}_{counter:04d}.png"
        if tool == "drawthings":
            return f"{_slug(params.prompt, 4)}_{params.seed}.png"
        if tool == "novelai":
            return f"{_slug(params.prompt, 4).replace('_', ' ')} s-{params.seed}.png"
        if tool == "invokeai":
            return f"{self.hex_id()}.png"
        if tool == "tensorart":
            return f"{self.hex_id(64)}-{counter % 4}.png"
        return f"{tool}_{counter:05d}.png"

    def edge(self, parent: GenerationRecord, child: GenerationRecord, kind: str, *, explicit: bool) -> None:
        edge = TruthEdge(parent=parent.id, child=child.id, kind=kind)
        self.library.derived_edges.append(edge)
        if explicit:
            self.library.explicit_edges.append(TruthEdge(parent=parent.id, child=child.id, kind=kind))

    def finish(self) -> SimulatedLibrary:
        for key, phases in self.phases.items():
            self.library.session_intent[key] = _session_intent(phases)
        self.library.records.sort(key=lambda r: (r.created_at, r.user, r.id))
        return self.library


def _session_intent(phases: list[str]) -> str:
    runs: list[tuple[str, int]] = []
    for phase in phases:
        if runs and runs[-1][0] == phase:
            runs[-1] = (phase, runs[-1][1] + 1)
        else:
            runs.append((phase, 1))
    counts = Counter(phases)
    explored = False
    for phase, length in runs:
        if phase == "exploration" and length >= 3:
            explored = True
        if explored and phase == "refinement" and length >= 3 and counts["optimization"] * 2 <= len(phases):
            return "convergent_selection"
    order = {"optimization": 2, "refinement": 1, "exploration": 0}
    return max(counts, key=lambda p: (counts[p], order[p]))


# ---------------------------------------------------------------------------------------------------
# habits: each takes the builder, the artist and a UTC start, and returns the UTC time of its last image


def _seconds(t: datetime, low: float, high: float, rng: random.Random) -> datetime:
    return t + timedelta(seconds=rng.uniform(low, high))


def _hand_pace(t: datetime, rng: random.Random, low: float = 20.0, high: float = 75.0) -> datetime:
    """The next image by hand; now and then a pause of 2–10 minutes (never a new sitting)."""
    if rng.random() < 0.06:
        return _seconds(t, 120, 600, rng)
    return _seconds(t, low, high, rng)


def _base_params(b: _Builder, artist: _Artist, tool: str, prompt: str, negative: str | None) -> _Params:
    rng = b.rng
    if tool == "comfyui":
        sampler, scheduler = artist.sampler
    elif tool in ("novelai",):
        sampler, scheduler = "k_euler_ancestral", "karras"
    elif tool in ("midjourney",):
        return _Params(prompt=prompt, model="midjourney v6.1")
    else:
        sampler, scheduler = WEBUI_SAMPLERS[artist.index % len(WEBUI_SAMPLERS)]
        if tool == "a1111" and scheduler is not None:
            sampler, scheduler = f"{sampler} {scheduler}", None
    model = "nai-diffusion-3" if tool == "novelai" else artist.model
    width, height = artist.size
    return _Params(
        prompt=prompt,
        negative=negative,
        seed=rng.randrange(1, 2**32),
        cfg=rng.choice((4.5, 5.0, 6.0, 7.0)) if "flux" not in model else 1.0,
        steps=rng.choice((25, 28, 30, 35)),
        sampler=sampler,
        scheduler=scheduler,
        model=model,
        width=width,
        height=height,
    )


def _emit_generic(
    b: _Builder,
    artist: _Artist,
    session: str,
    phase: str,
    t: datetime,
    tool: str,
    params: _Params,
    look: tuple[tuple[str, float], ...],
    *,
    source_image: str | None = None,
    extra: dict[str, object] | None = None,
) -> GenerationRecord:
    """One image from a local tool, with the job id / workflow hash that tool records."""
    job_id = b.hex_id() if tool == "comfyui" else None
    workflow = artist.workflow if tool == "comfyui" else None
    return b.emit(
        artist, session, phase, t, tool, params, look, job_id=job_id, workflow_hash=workflow,
        source_image=source_image, extra=extra,
    )  # fmt: skip


def _template_day(b: _Builder, artist: _Artist, t: datetime) -> datetime:
    if artist.variant == "brand" and artist.habit == "template":
        return _brand_day(b, artist, t)
    rng = b.rng
    tool = artist.tools["template"]
    head, tail = PRODUCT_TEMPLATES[artist.index % len(PRODUCT_TEMPLATES)]
    for job in range(rng.randint(3, 6)):
        if job:
            t = _seconds(b.last_at[artist.name], 3 * 60, 25 * 60, rng)
        product, details = PRODUCTS[b.pick(artist, "products", len(PRODUCTS))]
        session = b.open_session(artist)
        style = (f"{artist.name}:studio", 0.6)
        base = _base_params(b, artist, tool, "", PRODUCT_NEGATIVE)
        chosen: _Params | None = None
        for _ in range(rng.randint(4, 8)):
            detail = rng.choice((*details, ""))
            slot = f"{product}, {detail}" if detail else product
            params = replace(base, prompt=f"{head}{slot}{tail}", seed=rng.randrange(1, 2**32))
            look = (style, (f"product:{product}", 0.7), (f"detail:{product}:{detail}", 0.3))
            _emit_generic(b, artist, session, "exploration", t, tool, params, look)
            if chosen is None or rng.random() < 0.3:
                chosen, chosen_look, chosen_slot = params, look, slot
            t = _hand_pace(t, rng)
        assert chosen is not None
        tweaks: list[str] = []
        last: GenerationRecord | None = None
        for _ in range(rng.randint(4, 11)):
            unused = [w for w in PRODUCT_TWEAKS if w not in tweaks]
            if not tweaks or (rng.random() < 0.6 and len(tweaks) < 4):
                tweaks.append(rng.choice(unused))
            else:  # change the latest tweak instead of adding one
                tweaks[-1] = rng.choice(unused)
            slot = ", ".join((chosen_slot, *tweaks))
            params = replace(chosen, prompt=f"{head}{slot}{tail}")
            if rng.random() < 0.25:
                params = replace(params, seed=rng.randrange(1, 2**32))
            last = _emit_generic(b, artist, session, "refinement", t, tool, params, chosen_look)
            chosen = params
            t = _hand_pace(t, rng)
        if rng.random() < 0.35:
            for cfg, steps in rng.sample(
                [(4.0, 30), (5.0, 30), (6.0, 30), (7.0, 30), (5.0, 40), (5.0, 20)], 4
            ):
                params = replace(chosen, cfg=cfg, steps=steps)
                last = _emit_generic(b, artist, session, "optimization", t, tool, params, chosen_look)
                t = _seconds(t, 15, 45, rng)
        if last is not None and rng.random() < 0.6:
            w, h = chosen.width or 1024, chosen.height or 1024
            hires = replace(chosen, width=w * 2, height=h * 2, denoise=0.35)
            child = _emit_generic(b, artist, session, "refinement", t, tool, hires, chosen_look)
            b.edge(last, child, "upscale", explicit=False)
            t = _hand_pace(t, rng)
    return t


def _brand_day(b: _Builder, artist: _Artist, t: datetime) -> datetime:
    rng = b.rng
    tool = artist.tools["template"]
    lora = (LoraRef("pip_otter_v3", 0.8),)
    for project in range(rng.randint(1, 3)):
        if project:
            t = _seconds(b.last_at[artist.name], 8 * 60, 40 * 60, rng)
        scene = BRAND_SCENES[b.pick(artist, "scenes", len(BRAND_SCENES))]
        session = b.open_session(artist)
        base = replace(_base_params(b, artist, tool, "", GENERAL_NEGATIVE), loras=lora, cfg=6.0)
        style = (f"{artist.name}:pip", 0.75)
        chosen = base
        chosen_look: tuple[tuple[str, float], ...] = ()
        for i in range(rng.randint(4, 8)):
            detail = rng.choice(BRAND_DETAILS)
            params = replace(base, prompt=f"{BRAND_PREFIX}{scene}, {detail}", seed=rng.randrange(1, 2**32))
            look = (style, (f"scene:{scene}", 0.55), (f"detail:{detail}", 0.2))
            _emit_generic(b, artist, session, "exploration", t, tool, params, look)
            if i == 0 or rng.random() < 0.3:
                chosen, chosen_look = params, look
            t = _hand_pace(t, rng, 25, 80)
        for _ in range(rng.randint(4, 10)):
            detail = rng.choice(BRAND_DETAILS)
            if detail not in chosen.prompt:
                chosen = replace(chosen, prompt=f"{chosen.prompt}, {detail}")
            else:
                weight = rng.choice((0.7, 0.8, 0.9))
                chosen = replace(chosen, loras=(LoraRef("pip_otter_v3", weight),))
            _emit_generic(b, artist, session, "refinement", t, tool, chosen, chosen_look)
            t = _hand_pace(t, rng, 25, 80)
    return t


def _fast_day(b: _Builder, artist: _Artist, t: datetime) -> datetime:
    rng = b.rng
    tool = artist.tools["fast"]
    api = tool == "comfyui"
    for project in range(rng.randint(2, 5)):
        if project:
            t = _seconds(b.last_at[artist.name], 120, 360, rng)
        theme = FAST_THEMES[b.pick(artist, "themes", len(FAST_THEMES))]
        session = b.open_session(artist)
        base = _base_params(b, artist, tool, theme, GENERAL_NEGATIVE)
        base = replace(base, steps=rng.choice((8, 12, 20)))  # a fast model or few steps: seconds per image
        look = ((f"theme:{theme}", 0.9),)
        extra: dict[str, object] = {"client": "api", "script": "queue_batch.py"} if api else {"batch_size": 4}
        total = rng.randint(30, 110)
        explore = int(total * rng.uniform(0.45, 0.75))
        seed = base.seed or 1
        for i in range(explore):
            seed = rng.randrange(1, 2**32) if api or i % 4 == 0 else seed + 1  # a batch counts seeds up
            params = replace(base, seed=seed)
            _emit_generic(b, artist, session, "exploration", t, tool, params, look, extra=extra)
            t = _seconds(t, 2, 8, rng)
            if rng.random() < 0.03:
                t = _seconds(t, 30, 90, rng)
        chosen = replace(base, seed=seed)
        sweep = rng.random() < 0.5
        for i in range(total - explore):
            if sweep:
                sampler = chosen.sampler if i < 24 else ("euler" if api else "Euler a")
                cfg, steps = (3.0, 4.0, 5.0, 6.0, 7.0, 8.0)[i % 6], (8, 12, 20, 30)[i // 6 % 4]
                params = replace(chosen, cfg=cfg, steps=steps, sampler=sampler)
                phase = "optimization"
            else:
                if i % 5 == 0:
                    chosen = replace(chosen, prompt=f"{chosen.prompt}, {rng.choice(FAST_ADDITIONS)}")
                params = chosen
                phase = "refinement"
            _emit_generic(b, artist, session, phase, t, tool, params, look, extra=extra)
            t = _seconds(t, 2, 8, rng)
            if rng.random() < 0.03:
                t = _seconds(t, 30, 90, rng)
    return t


def _upscale_child(
    b: _Builder,
    artist: _Artist,
    session: str,
    t: datetime,
    tool: str,
    parent: GenerationRecord,
    params: _Params,
    look: tuple[tuple[str, float], ...],
) -> GenerationRecord:
    """An upscale of ``parent``: ComfyUI names the loaded file, the web UIs' SD upscale names nothing."""
    w, h = parent.width or 1024, parent.height or 1024
    up = replace(params, width=w * 2, height=h * 2, denoise=0.3, steps=20)
    if tool == "comfyui":
        child = _emit_generic(
            b, artist, session, "refinement", t, tool, up, look, source_image=parent.file_name,
            extra={"LoadImage": parent.file_name, "upscale_model": "4x-UltraSharp.pth"},
        )  # fmt: skip
        b.edge(parent, child, "upscale", explicit=True)
    else:
        child = _emit_generic(
            b, artist, session, "refinement", t, tool, up, look, extra={"script": "SD upscale"}
        )
        b.edge(parent, child, "upscale", explicit=False)
    return child


def _refine_run(
    b: _Builder,
    artist: _Artist,
    session: str,
    t: datetime,
    tool: str,
    params: _Params,
    look: tuple[tuple[str, float], ...],
    count: int,
) -> tuple[datetime, _Params, GenerationRecord | None]:
    rng = b.rng
    last: GenerationRecord | None = None
    for _ in range(count):
        if rng.random() < 0.7:
            parts = params.prompt.split(", ")
            edits = [i for i, part in enumerate(parts) if part in PIECE_EDITS]
            unused = [edit for edit in PIECE_EDITS if edit not in parts]
            if len(edits) >= 6 or (len(edits) >= 4 and rng.random() < 0.6):  # swap or drop an earlier edit
                index = rng.choice(edits)
                if rng.random() < 0.5:
                    parts[index] = rng.choice(unused)
                else:
                    del parts[index]
            else:
                parts.append(rng.choice(unused))
            params = replace(params, prompt=", ".join(parts))
        elif rng.random() < 0.5:
            params = replace(params, seed=rng.randrange(1, 2**32))
        last = _emit_generic(b, artist, session, "refinement", t, tool, params, look)
        t = _hand_pace(t, rng, 25, 90)
    return t, params, last


def _resume_day(b: _Builder, artist: _Artist, t: datetime) -> datetime:
    rng = b.rng
    tool = artist.tools["resume"]
    state = b.resume.get(artist.name)
    session = b.open_session(artist)
    if state is not None and state.days < 3 and rng.random() < 0.8:
        # the morning after: yesterday's exact prompt, seed and parameters
        params, look = state.params, state.look
        first = _emit_generic(b, artist, session, "refinement", t, tool, params, look)
        t = _hand_pace(t, rng, 25, 90)
        t, params, last = _refine_run(b, artist, session, t, tool, params, look, rng.randint(6, 18))
        before_break = [first] + ([last] if last is not None else [])
        state = _ResumeState(params=params, piece=state.piece, days=state.days + 1, look=look)
    else:
        piece = PIECES[b.pick(artist, "pieces", len(PIECES))]
        base = _base_params(b, artist, tool, piece, GENERAL_NEGATIVE)
        chosen, look = base, ((f"piece:{piece}", 0.85),)
        for i in range(rng.randint(6, 12)):
            variant = rng.choice(PIECE_VARIANTS)
            params = replace(base, prompt=f"{piece}, {variant}", seed=rng.randrange(1, 2**32))
            this_look = ((f"piece:{piece}", 0.85), (f"variant:{variant}", 0.35))
            _emit_generic(b, artist, session, "exploration", t, tool, params, this_look)
            if i == 0 or rng.random() < 0.3:
                chosen, look = params, this_look
            t = _hand_pace(t, rng, 25, 90)
        t, params, last = _refine_run(b, artist, session, t, tool, chosen, look, rng.randint(8, 20))
        before_break = [last] if last is not None else []
        state = _ResumeState(params=params, piece=piece, days=1, look=look)
    if rng.random() < 0.85 and before_break:
        # a meal or a meeting, then the very same prompt, seed and parameters again: a new sitting
        t = b.last_at[artist.name] + timedelta(minutes=rng.uniform(*MEAL_BREAK_MINUTES))
        session = b.open_session(artist)
        params = state.params
        _emit_generic(b, artist, session, "refinement", t, tool, params, state.look)
        t = _hand_pace(t, rng, 25, 90)
        t, params, _ = _refine_run(b, artist, session, t, tool, params, state.look, rng.randint(5, 15))
        if rng.random() < 0.7:
            parent = rng.choice(before_break)
            _upscale_child(b, artist, session, t, tool, parent, params, state.look)
            t = _hand_pace(t, rng, 30, 90)
        if rng.random() < 0.4:
            for cfg in rng.sample([3.5, 4.5, 5.5, 6.5, 7.5], rng.randint(3, 5)):
                _emit_generic(
                    b, artist, session, "optimization", t, tool, replace(params, cfg=cfg), state.look
                )
                t = _seconds(t, 20, 50, rng)
        state = replace(state, params=params)
    b.resume[artist.name] = state
    return t


def _pipeline_day(b: _Builder, artist: _Artist, t: datetime) -> datetime:
    rng = b.rng
    base_tool, canvas = artist.tools["pipeline"], artist.tools["pipeline_canvas"]
    for piece_number in range(rng.randint(1, 2)):
        if piece_number:
            t = _seconds(b.last_at[artist.name], 10 * 60, 40 * 60, rng)
        piece = PIECES[b.pick(artist, "pipeline_pieces", len(PIECES))]
        look = ((f"piece:{piece}", 0.85),)
        # 1. generate in the base tool
        session = b.open_session(artist)
        base = _base_params(b, artist, base_tool, piece, GENERAL_NEGATIVE)
        chosen = base
        for i in range(rng.randint(8, 16)):
            variant = rng.choice(PIECE_VARIANTS)
            params = replace(base, prompt=f"{piece}, {variant}", seed=rng.randrange(1, 2**32))
            _emit_generic(b, artist, session, "exploration", t, base_tool, params, look)
            if i == 0 or rng.random() < 0.25:
                chosen = params
            t = _hand_pace(t, rng, 20, 60)
        picks: list[GenerationRecord] = []
        for _ in range(rng.randint(3, 8)):
            chosen = replace(chosen, prompt=f"{chosen.prompt}, {rng.choice(PIECE_EDITS)}")
            picks.append(_emit_generic(b, artist, session, "refinement", t, base_tool, chosen, look))
            t = _hand_pace(t, rng, 20, 60)
        # 2. upscale in ComfyUI: LoadImage names the base file
        t = _seconds(b.last_at[artist.name], 60, 360, rng)
        session = b.open_session(artist)
        upscaled: list[GenerationRecord] = []
        for parent in rng.sample(picks, min(len(picks), rng.randint(1, 3))):
            for _ in range(rng.randint(1, 2)):
                params = replace(
                    chosen, sampler=artist.sampler[0], scheduler=artist.sampler[1], seed=parent.seed
                )
                upscaled.append(_upscale_child(b, artist, session, t, "comfyui", parent, params, look))
                t = _seconds(t, 40, 120, rng)
        # 3. inpaint on a canvas: no file named, derived only
        t = _seconds(b.last_at[artist.name], 60, 360, rng)
        session = b.open_session(artist)
        parent = upscaled[-1]
        for _ in range(rng.randint(4, 10)):
            fix = rng.choice(
                ("fix the left hand", "replace the sky", "remove the stray figure", "sharpen the face")
            )
            params = replace(
                chosen, prompt=f"{piece}, {fix}", denoise=rng.choice((0.45, 0.55, 0.65)),
                seed=rng.randrange(1, 2**32), width=parent.width, height=parent.height,
            )  # fmt: skip
            child = b.emit(
                artist, session, "refinement", t, canvas, params, look, extra={"canvas": "inpaint"}
            )
            b.edge(parent, child, "inpaint", explicit=False)
            parent = child
            t = _hand_pace(t, rng, 45, 150)
        # 4. back to the base tool: low-denoise img2img of the inpainted image (names nothing)
        t = _seconds(b.last_at[artist.name], 60, 360, rng)
        session = b.open_session(artist)
        for _ in range(rng.randint(3, 8)):
            params = replace(chosen, denoise=rng.choice((0.2, 0.3, 0.4)), seed=rng.randrange(1, 2**32))
            child = _emit_generic(
                b, artist, session, "refinement", t, base_tool, params, look, extra={"mode": "img2img"}
            )
            b.edge(parent, child, "img2img", explicit=False)
            t = _hand_pace(t, rng, 20, 60)
    return t


def _midjourney_session(
    b: _Builder, artist: _Artist, session: str, t: datetime, until: datetime | None
) -> datetime:
    rng = b.rng
    subject = NIGHT_SUBJECTS[b.pick(artist, "mj_subjects", len(NIGHT_SUBJECTS))]
    suffix = rng.choice(MJ_SUFFIXES)
    ratio = suffix.split()[1]
    width, height = MJ_SIZES[ratio]
    look_base = (f"night:{subject}", 0.85)

    def job(
        phase: str, prompt: str, parent: GenerationRecord | None, kind: str | None, count: int
    ) -> list[GenerationRecord]:
        job_id = b.hex_id()
        params = _Params(prompt=f"{prompt} {suffix}", model="midjourney v6.1", width=width, height=height)
        if kind == "upscale":
            params = replace(params, width=width * 2, height=height * 2)
        out = []
        for index in range(count):
            name = f"{artist.name}_{_slug(prompt, 6)}_{job_id}" + (f"_{index}" if count > 1 else "") + ".png"
            look = (look_base, (f"mjprompt:{prompt}", 0.3))
            record = b.emit(
                artist, session, phase, t, "midjourney", params, look, job_id=job_id,
                parent_job_id=parent.job_id if parent else None, file_name=name,
                extra={"Author": f"mj-{artist.name}", "image_index": index},
            )  # fmt: skip
            if parent is not None and kind is not None:
                b.edge(parent, record, kind, explicit=True)
            out.append(record)
        return out

    grids: list[list[GenerationRecord]] = []
    for _ in range(rng.randint(3, 6)):
        grids.append(job("exploration", f"{subject}, {rng.choice(PIECE_VARIANTS)}", None, None, 4))
        t = _seconds(t, 40, 120, rng)
    current = rng.choice(grids)
    steps, wanted = 0, rng.randint(3, 7)
    while steps < wanted or (until is not None and t < until):
        parent = rng.choice(current)
        kind = rng.choice(("variation", "variation", "remix", "upscale"))
        prompt = (parent.prompt or "").split(" --")[0]
        if kind == "remix":
            prompt = f"{prompt}, {rng.choice(PIECE_EDITS)}"
        children = job("refinement", prompt, parent, kind, 1 if kind == "upscale" else 4)
        if kind != "upscale":
            current = children
        t = _hand_pace(t, rng, 40, 120)
        steps += 1
    return t


def _night_session(b: _Builder, artist: _Artist, t: datetime, tool: str, until: datetime | None) -> datetime:
    session = b.open_session(artist)
    if tool == "midjourney":
        return _midjourney_session(b, artist, session, t, until)
    rng = b.rng
    subject = NIGHT_SUBJECTS[b.pick(artist, "subjects", len(NIGHT_SUBJECTS))]
    base = _base_params(b, artist, tool, subject, GENERAL_NEGATIVE)
    look = ((f"night:{subject}", 0.85),)
    chosen = base
    for i in range(rng.randint(6, 14)):
        params = replace(
            base, prompt=f"{subject}, {rng.choice(PIECE_VARIANTS)}", seed=rng.randrange(1, 2**32)
        )
        _emit_generic(b, artist, session, "exploration", t, tool, params, look)
        if i == 0 or rng.random() < 0.3:
            chosen = params
        t = _hand_pace(t, rng, 40, 120)
    count = rng.randint(10, 30)
    while count > 0 or (until is not None and t < until):
        t, chosen, _ = _refine_run(b, artist, session, t, tool, chosen, look, 1)
        t = _seconds(t, 10, 40, rng)  # night work is slower
        count -= 1
    return t


def _night_day(b: _Builder, artist: _Artist, t: datetime, until: datetime | None = None) -> datetime:
    rng = b.rng
    t = _night_session(b, artist, t, artist.tools["night"], until)
    roll = rng.random()
    if roll < 0.35:  # a switch to the other tool a few minutes later
        t = _seconds(b.last_at[artist.name], 120, 600, rng)
        t = _night_session(b, artist, t, artist.tools["night_second"], None)
    elif roll < 0.55:  # a break for a new sitting
        t = b.last_at[artist.name] + timedelta(minutes=rng.uniform(50, 90))
        t = _night_session(b, artist, t, artist.tools["night"], None)
    return t


def _chores_day(b: _Builder, artist: _Artist, t: datetime) -> datetime:
    rng = b.rng
    tool = artist.tools["chores"]
    piece = PIECES[b.pick(artist, "chore_pieces", len(PIECES))]
    session = b.open_session(artist)
    base = _base_params(b, artist, tool, piece, GENERAL_NEGATIVE)
    look = ((f"piece:{piece}", 0.85),)
    chosen = base
    for i in range(rng.randint(5, 10)):
        params = replace(base, prompt=f"{piece}, {rng.choice(PIECE_VARIANTS)}", seed=rng.randrange(1, 2**32))
        _emit_generic(b, artist, session, "exploration", t, tool, params, look)
        if i == 0 or rng.random() < 0.3:
            chosen = params
        t = _hand_pace(t, rng, 20, 60)
    total = rng.randint(60, 130)
    chores = sorted(rng.sample(range(15, total - 5), rng.randint(1, 2)))
    last: GenerationRecord | None = None
    for i in range(total):
        if i in chores:
            t = _seconds(b.last_at[artist.name], 60, 180, rng)
            if rng.random() < 0.5:
                test = replace(
                    base, prompt=rng.choice(CHORE_PROMPTS), model=rng.choice(CHORE_CHECKPOINTS), loras=()
                )
                variants = [replace(test, seed=rng.randrange(1, 2**32)) for _ in range(rng.randint(2, 4))]
                key = f"chore:{test.model}"
            else:
                name = rng.choice(CHORE_LORAS)
                test = replace(base, prompt=rng.choice(CHORE_PROMPTS[1:]), seed=rng.randrange(1, 2**32))
                variants = [
                    replace(test, loras=(LoraRef(name, w),))
                    for w in (0.6, 0.8, 1.0, 1.2)[: rng.randint(2, 4)]
                ]
                key = f"chore:{name}"
            for params in variants:
                _emit_generic(b, artist, session, "optimization", t, tool, params, ((key, 0.9),))
                t = _seconds(t, 12, 40, rng)
            t = _seconds(t, 60, 240, rng)
            # back to the main work: the same prompt and model as before the test
            last = _emit_generic(b, artist, session, "refinement", t, tool, chosen, look)
            t = _hand_pace(t, rng, 20, 60)
            continue
        t, chosen, last = _refine_run(b, artist, session, t, tool, chosen, look, 1)
    if last is not None and rng.random() < 0.5:
        hires = replace(
            chosen, width=(chosen.width or 1024) * 2, height=(chosen.height or 1024) * 2, denoise=0.35
        )
        child = _emit_generic(b, artist, session, "refinement", t, tool, hires, look)
        b.edge(last, child, "upscale", explicit=False)
        t = _hand_pace(t, rng, 20, 60)
    return t


_DAY_START: dict[str, tuple[float, float]] = {  # local start hour ranges
    "template": (8.5, 10.5),
    "fast": (10.0, 15.0),
    "resume": (8.0, 10.0),
    "pipeline": (13.0, 16.0),
    "night": (21.5, 24.5),
    "chores": (9.0, 13.0),
}
_ACTIVE: dict[str, float] = {
    "template": 0.75,
    "fast": 0.55,
    "resume": 0.8,
    "pipeline": 0.6,
    "night": 0.7,
    "chores": 0.6,
}


def simulate_family_h_library(
    seed: int = 71, artists: int = 20, days: int = 21, with_visual: bool = True
) -> SimulatedLibrary:
    """Family H: ``artists`` working professionals over ``days`` days from Monday 24 March 2025 (see the
    module docstring for habits and truth rules). Deterministic for its arguments."""
    builder = _Builder(
        seed=seed,
        with_visual=with_visual,
        rng=random.Random(f"family-h-{seed}"),
        vis_rng=np.random.default_rng(seed + 8_000_000),
    )
    rng = builder.rng
    for artist in _roster(seed, artists):
        last_end: datetime | None = None
        changes = ZONES[artist.zone][1]
        for day_index in range(days):
            day = FIRST_DAY + timedelta(days=day_index)
            habit = artist.habit
            if artist.second is not None and rng.random() < 0.33:
                habit = artist.second
            active = rng.random() < _ACTIVE[habit]
            until: datetime | None = None
            low, high = _DAY_START[habit]
            if artist.habit == "night":
                # the night the clocks change: always up, sitting straight through the change
                night_start = _local_to_utc(artist.zone, day, time(22, 0))
                for when, _ in changes:
                    if night_start <= when < night_start + timedelta(hours=8):
                        habit, active, low, high = "night", True, 23.3, 23.8
                        until = when + timedelta(minutes=rng.uniform(20, 50))
            if not active:
                continue
            hour = rng.uniform(low, high)
            minutes = round(hour * 60) % (24 * 60)
            start_day = day + timedelta(days=1) if hour >= 24 else day
            start = _local_to_utc(artist.zone, start_day, time(minutes // 60, minutes % 60))
            start += timedelta(seconds=rng.uniform(0, 59))
            if last_end is not None and start < last_end + timedelta(minutes=60):
                start = last_end + timedelta(minutes=rng.uniform(60, 90))
            if habit == "template":
                last_end = _template_day(builder, artist, start)
            elif habit == "fast":
                last_end = _fast_day(builder, artist, start)
            elif habit == "resume":
                last_end = _resume_day(builder, artist, start)
            elif habit == "pipeline":
                last_end = _pipeline_day(builder, artist, start)
            elif habit == "night":
                last_end = _night_day(builder, artist, start, until)
            else:
                last_end = _chores_day(builder, artist, start)
    return builder.finish()
