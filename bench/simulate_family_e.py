"""Family E: an independent hold-out simulator of artists' generation histories, with ground truth.

Written from the product documents only (``shared/docs/*.md``), the record dataclass
(``engine/records.py``), the output container (``SimulatedLibrary`` / ``TruthEdge`` in
``bench/simulate.py``) and the library invariants of ``tests/bench`` — without reading the engine's
session code or the other simulators. It models artists and habits a typical simulator leaves out.

Artists (``_ARTISTS``; the first thirteen cover every habit, so small test libraries have them all):

- ``mei_lin`` (UTC+8): Chinese natural-language prompts with full-width punctuation (``，``, ``。``),
  quality tags ``杰作，最佳质量``; ComfyUI with Qwen-Image and HunyuanDiT; refinements edit a phrase
  inside an unspaced sentence (``…坐在樱花树下看书`` → ``…坐在樱花树下读一封信``); Qwen-Image-Edit
  sessions whose instruction prompts (``把背景改成雪景``) each name their source image; model
  comparisons. Late evening sittings that cross local midnight.
- ``tomas_k`` (UTC+1): Midjourney web in one tab while ComfyUI renders in another — two sessions
  running at the same time, and ComfyUI img2img passes that load a downloaded Midjourney image.
- ``rendernaut`` (UTC-5): long unattended ComfyUI overnight queues (hundreds of images: XY sweeps or
  wildcard exploration) and morning reviews that upscale / img2img the night's picks.
- ``batchwitch`` (UTC-8): Forge Dynamic Prompts / "prompts from file" runs of hundreds of images, each
  a random combination of wildcards (the ``Template`` is kept in ``extra`` when the extension wrote it).
- ``canvas_carla`` (UTC-8): InvokeAI canvas editing: many small inpaints of one image, each naming its
  source (InvokeAI image names are UUIDs; its database times are UTC).
- ``haruto`` (UTC+9): Japanese prompts (``、``, ``。``, ``傑作、最高品質``) with Qwen-Image in ComfyUI;
  inpaint sessions where about half the inpaints go through ComfyUI's mask editor (the input is a
  ``clipspace/…`` file: a derivation the record does not name) and half load the output by name;
  small Japanese wildcard runs.
- ``jiayi`` (UTC+8): Seedream on the hosted Jimeng service: minute-precision times, four images per
  generation, reference-image regenerations the export does not name.
- ``dana_r`` (UTC-6): a ChatGPT hobbyist: C2PA time truncated to the (UTC) day, no prompt in the file,
  phone file names ``IMG_1234.PNG``; conversational edits that name nothing.
- ``vesna`` (UTC+2): one "look" (style suffix, checkpoint, LoRA) reused for weeks across many distinct
  projects in Forge, several projects per sitting a few minutes apart.
- ``ikaika`` (UTC-10): switches models within one idea (flux / Qwen-Image / SDXL / HiDream / Chroma).
- ``minji`` (UTC+9): Korean and mixed Korean/English prompts on Midjourney, grids, variations,
  remixes and upscales (``parent_job_id`` + the grid index).
- ``sam_forks`` (UTC+0): A1111 and Forge side by side on the same prompts (two sessions at once).
- then: a heavy Chinese Kolors wildcard user, hobbyists (Fooocus at UTC+5:30, Draw Things, Krea with
  minute precision), a Chinese/English tag-mixing anime artist (NovelAI + A1111 inpaint, nothing
  named), a heavy Midjourney user, a Korean/English Civitai user, and a ComfyUI user who combines a
  reused look with overnight queues.

Truth rules and the document sentences that decided them:

- One tool per session; sessions of two tools may overlap in time: "a tool switch is a session
  boundary, so forks of one UI that a user runs side by side (A1111 / Forge / reForge) keep their own
  ids" (generation-records.md, field ``tool``). Two tools used side by side are therefore two
  sessions, each contiguous within its own tool's stream (not one session per alternation).
- Sessions are per user over the time-ordered stream ("Clustering runs per user over the
  time-ordered stream", DESIGN.md). The documents do not define a session further; following the
  brief, and what a careful user would expect (DESIGN.md: "choose what a careful user of the product
  would expect, and write the choice down"): a new subject after settled work (refinement or
  optimization of one subject) is a new session even a few minutes later; an exploration that hops
  subjects is one session; an unattended queue (wildcards, sweeps) is one session whatever its
  prompts; the morning review of an overnight queue is its own session (a separate sitting hours
  later), linked to the night by lineage. Separate sittings (an hour or more apart) are separate
  sessions. After a session that ended in exploration, the next one starts at least 40 minutes later,
  so no truth depends on an undecidable split between two hopping explorations.
- Phases per generation: ``exploration`` (new subjects or concepts, new seeds), ``refinement`` (one
  subject kept: phrase edits, added / removed details, rerolls, img2img, inpaint, variations,
  remixes, upscales), ``optimization`` (one prompt kept, parameters swept: CFG, steps, sampler,
  LoRA weight, size, model, ``--stylize``). The intent names come from generation-records.md;
  reflections-and-credits.md describes a session as "what was explored" and "how prompts and
  parameters moved".
- Session intent: ``convergent_selection`` when exploration is followed by refinement of one explored
  concept ("a session-level pattern: exploration followed by refinement of one explored concept",
  generation-records.md); otherwise the session's only phase, or the phase with most generations
  (the documents leave mixed refinement/optimization sessions open; the majority is our choice).
- Explicit lineage is what the child's metadata names: ``parent_job_id`` ("the job this one was
  derived from (variation, upscale, remix)") and ``source_image`` ("file name or id of the input
  image (img2img, upscale, inpaint)"), generation-records.md; "``LoadImage`` nodes name the input
  file: that is explicit lineage" (metadata-sources.md). ComfyUI mask-editor inputs
  (``clipspace/…``), A1111 / NovelAI img2img and inpaint, Jimeng reference images and ChatGPT edits
  name nothing: they are in ``derived_edges`` only.
- Times: ComfyUI history times in milliseconds (local offset), InvokeAI database times in UTC,
  Midjourney ``enqueue_time`` in UTC, A1111 / Forge / Fooocus / Draw Things / NovelAI file mtimes to
  the second, Jimeng and Krea exports to the minute, ChatGPT C2PA ``when`` "truncated to the day"
  (metadata-sources.md) — a day-precision record sits at 00:00 UTC of its day, and ``dana_r`` has at
  most one sitting per day. File counters go to ``extra["file_counter"]`` where the tool has one.

Known limitation: pauses inside a session are short (think time plus render time, a few minutes at
most), while sessions of one tool are at least about two minutes apart, so a plain time gap separates
more of this family's sessions than it would in real libraries (no coffee-break pauses, no
interruptions inside a refinement).

Visual vectors (``with_visual``): 32-dimensional unit vectors = subject + action + style components
plus per-seed noise; a derivation is its parent's vector plus a little noise (less for an upscale than
for a remix). They come from their own random stream, so ``with_visual=False`` gives the same records.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import numpy as np

from bench.simulate import SimulatedLibrary, TruthEdge
from engine.records import GenerationRecord, LoraRef, TimePrecision

FAMILY_E_VISUAL_DIM = 32
FIRST_DAY = date(2026, 3, 2)
EXPLORATION, REFINEMENT, OPTIMIZATION = "exploration", "refinement", "optimization"

# -- prompt languages ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Language:
    """Phrase pools of one prompt language; ``core`` puts who / place / action in its word order."""

    code: str
    who: tuple[str, ...]
    place: tuple[str, ...]
    action: tuple[str, ...]
    detail: tuple[str, ...]
    style: tuple[str, ...]
    quality: str
    negative: str
    comma: str
    stop: str
    core: Callable[[str, str, str], str]
    edits: tuple[str, ...]
    """Instruction prompts for edit models (Qwen-Image-Edit) and short inpaint prompts."""


ZH = _Language(
    code="zh",
    who=(
        "一个年轻女孩",
        "一位白发老人",
        "一只橘猫",
        "一名宇航员",
        "一位穿汉服的少女",
        "一个机械少年",
        "一只白色的狐狸",
        "一位老渔夫",
        "一对年轻情侣",
        "一个小男孩",
        "一位女剑客",
        "一只大熊猫",
        "一位街头歌手",
        "一位茶馆老板娘",
    ),
    place=(
        "坐在樱花树下",
        "站在雨夜的霓虹街头",
        "在古老的图书馆里",
        "在江南水乡的石桥上",
        "在雪山之巅",
        "在赛博朋克城市的天台上",
        "在竹林深处",
        "在海边的灯塔旁",
        "在热闹的夜市中",
        "在沙漠的绿洲旁",
        "在老上海的弄堂里",
        "在敦煌的石窟前",
    ),
    action=(
        "看书",
        "读一封信",
        "弹古筝",
        "喝茶",
        "撑着油纸伞",
        "放风筝",
        "画画",
        "仰望星空",
        "抱着一只小猫",
        "吹笛子",
        "写毛笔字",
        "吃冰淇淋",
    ),
    detail=(
        "微风吹动衣角",
        "花瓣在空中飘落",
        "远处有几盏红灯笼",
        "地面有积水倒影",
        "背景虚化",
        "金色的夕阳光",
        "薄雾弥漫",
        "细节丰富",
        "暖色调",
        "逆光剪影",
    ),
    style=(
        "电影感，柔和的午后阳光，胶片质感",
        "国风插画，水墨风格，留白",
        "吉卜力风格，清新色调",
        "超写实摄影，85毫米镜头，浅景深",
        "赛博朋克，霓虹灯光，高对比度",
    ),
    quality="杰作，最佳质量，超高清",
    negative="低质量，模糊，变形，多余的手指，水印，文字",
    comma="，",
    stop="。",
    core=lambda who, place, action: f"{who}{place}{action}",
    edits=(
        "把背景改成雪景",
        "让她微笑",
        "把衣服换成红色的汉服",
        "在脚边添加一只小猫",
        "去掉背景里的路人",
        "把天空改成黄昏",
        "增加一些飘落的花瓣",
        "把画面改成水彩风格",
        "手部细节修复",
        "让灯光更柔和",
    ),
)

JA = _Language(
    code="ja",
    who=(
        "若い女の子",
        "白髪の老人",
        "茶トラの猫",
        "宇宙飛行士",
        "着物姿の少女",
        "機械の少年",
        "白い狐",
        "年老いた漁師",
        "小さな男の子",
        "女剣士",
        "魔法使いの少女",
        "巫女",
    ),
    place=(
        "桜の木の下で",
        "雨の夜のネオン街で",
        "古い図書館で",
        "京都の路地裏で",
        "雪山の頂上で",
        "未来都市の屋上で",
        "竹林の奥で",
        "海辺の灯台のそばで",
        "夏祭りの夜店で",
        "田舎の駅のホームで",
    ),
    action=(
        "本を読んでいる",
        "手紙を読んでいる",
        "三味線を弾いている",
        "お茶を飲んでいる",
        "和傘をさしている",
        "空を見上げている",
        "子猫を抱いている",
        "絵を描いている",
        "かき氷を食べている",
        "花火を見ている",
    ),
    detail=(
        "風に袖がなびく",
        "花びらが舞っている",
        "遠くに提灯の灯り",
        "水たまりに映る光",
        "背景ぼかし",
        "夕焼けの光",
        "霧が立ち込める",
        "細部まで描き込み",
    ),
    style=(
        "映画のワンシーン、柔らかな光、フィルム写真風",
        "水彩画風、淡い色合い",
        "アニメ調、新海誠風の空",
        "浮世絵風、木版画の質感",
    ),
    quality="傑作、最高品質、高精細",
    negative="低品質、ぼやけ、崩れた手、透かし、文字",
    comma="、",
    stop="。",
    core=lambda who, place, action: f"{place}{action}{who}",
    edits=("手を修正", "目を青くする", "髪飾りを追加", "背景の人物を消す", "指の数を直す", "表情を笑顔に"),
)

KO = _Language(
    code="ko",
    who=(
        "한복을 입은 소녀",
        "백발의 노인",
        "고양이",
        "우주비행사",
        "어린 소년",
        "여검객",
        "마법사",
        "거리의 음악가",
    ),
    place=(
        "벚꽃 나무 아래에서",
        "비 오는 밤 네온 거리에서",
        "오래된 도서관에서",
        "경복궁 앞에서",
        "눈 덮인 산 정상에서",
        "한강 공원에서",
        "바닷가 등대 옆에서",
        "제주도 돌담길에서",
    ),
    action=(
        "책을 읽는",
        "편지를 읽는",
        "가야금을 연주하는",
        "차를 마시는",
        "우산을 쓴",
        "하늘을 바라보는",
        "새끼 고양이를 안고 있는",
    ),
    detail=(
        "바람에 머리카락이 날리는",
        "꽃잎이 흩날리는",
        "물웅덩이에 비친 불빛",
        "배경 흐림",
        "노을빛",
        "안개 낀",
    ),
    style=(
        "영화 같은 분위기, 부드러운 오후 햇살",
        "수채화 스타일",
        "웹툰 스타일, 선명한 색감",
        "film photo, 35mm, kodak portra",
        "cinematic lighting, ultra detailed",
    ),
    quality="걸작, 최고 품질",
    negative="저품질, 흐림, 왜곡",
    comma=", ",
    stop="",
    core=lambda who, place, action: f"{place} {action} {who}",
    edits=("손 수정", "눈 색깔 파란색", "배경 사람 지우기"),
)

EN = _Language(
    code="en",
    who=(
        "a young woman",
        "an old fisherman",
        "a ginger cat",
        "an astronaut",
        "a knight in silver armor",
        "a little robot",
        "a red fox",
        "a street musician",
        "a lighthouse keeper",
        "a witch",
        "a samurai",
        "a deep-sea diver",
        "a baker",
        "a small dragon",
        "a girl with a yellow umbrella",
        "a vintage motorcycle",
        "a glass greenhouse",
        "an old tram",
        "a beekeeper",
        "a violinist",
    ),
    place=(
        "in a neon-lit alley at night",
        "under cherry blossoms",
        "in an abandoned library",
        "on a misty mountain ridge",
        "in a flooded subway station",
        "on a rooftop garden",
        "in a desert canyon",
        "inside a cozy bakery",
        "at a rainy bus stop",
        "in a sunflower field",
        "on a frozen lake",
        "in a brutalist concrete plaza",
        "in a moss-covered forest",
        "at a night market",
    ),
    action=(
        "reading a letter",
        "playing violin",
        "drinking coffee",
        "looking at the stars",
        "holding a lantern",
        "feeding pigeons",
        "painting a mural",
        "fixing a radio",
        "walking a dog",
        "dancing in the rain",
        "sleeping",
        "writing in a notebook",
    ),
    detail=(
        "light rain",
        "volumetric fog",
        "rim light",
        "shallow depth of field",
        "golden hour",
        "reflections on wet pavement",
        "dust particles in the light",
        "intricate details",
        "wide angle",
        "soft bokeh",
    ),
    style=(
        "cinematic still, kodak portra 400, film grain, muted teal and orange",
        "watercolor illustration, soft pastel palette",
        "35mm photo, natural light",
        "dark fantasy oil painting, dramatic chiaroscuro",
        "isometric 3d render, octane, soft shadows",
        "anime key visual, vibrant colors",
    ),
    quality="masterpiece, best quality, absurdres",
    negative="lowres, bad anatomy, bad hands, text, watermark, blurry",
    comma=", ",
    stop="",
    core=lambda who, place, action: f"{who} {action} {place}",
    edits=(
        "detailed hands, five fingers",
        "blue eyes",
        "a silver necklace",
        "remove the person in the back",
        "clean face",
        "a small bird on the shoulder",
        "wet cobblestones",
        "fix the horizon",
    ),
)

ZH_TAGS = replace(
    ZH,
    code="zh-tags",
    who=("1女孩，汉服", "1女孩，水手服", "1男孩，古风", "2女孩，旗袍", "1女孩，狐耳", "1女孩，机甲"),
    place=("樱花，庭院", "夜市，灯笼", "雪景，梅花", "书房，古籍", "湖边，荷花", "城市夜景，霓虹"),
    action=("微笑", "回眸", "持扇", "撑伞", "抱猫", "坐姿"),
    comma="，",
    stop="",
    core=lambda who, place, action: f"{who}，{place}，{action}",
)
"""Chinese booru-style tags (Kolors, NovelAI-style anime prompts), mixed with English quality tags."""

LANGUAGES = {lang.code: lang for lang in (ZH, JA, KO, EN, ZH_TAGS)}


@dataclass(frozen=True, slots=True)
class _Concept:
    """What a prompt says: indices into a language's pools, plus the artist's look."""

    lang: str
    who: int
    place: int
    action: int
    style: int
    details: tuple[int, ...] = ()
    quality: bool = False
    mixed_english: bool = False

    @property
    def subject(self) -> str:
        return f"{self.lang}:{self.who}:{self.place}"

    def text(self) -> str:
        lang = LANGUAGES[self.lang]
        core = lang.core(lang.who[self.who], lang.place[self.place], lang.action[self.action])
        parts = [core, *(lang.detail[d] for d in self.details)]
        body = lang.comma.join(parts)
        style = EN.style[self.style % len(EN.style)] if self.mixed_english else lang.style[self.style]
        if lang.stop:
            text = f"{body}{lang.stop}{style}{lang.stop}"
        else:
            text = f"{body}, {style}" if lang.comma == ", " else f"{body}{lang.comma}{style}"
        if self.quality:
            if self.lang == "zh-tags":
                return f"masterpiece, best quality, {lang.quality}，{text}"
            joiner = lang.comma if lang.stop else ", "
            return f"{lang.quality}{joiner}{text}"
        return text


def _new_concept(rng: np.random.Generator, lang: str, quality: bool, mixed: bool = False) -> _Concept:
    pools = LANGUAGES[lang]
    details = tuple(sorted(rng.choice(len(pools.detail), size=int(rng.integers(0, 3)), replace=False)))
    return _Concept(
        lang=lang,
        who=int(rng.integers(len(pools.who))),
        place=int(rng.integers(len(pools.place))),
        action=int(rng.integers(len(pools.action))),
        style=int(rng.integers(len(pools.style))),
        details=tuple(int(d) for d in details),
        quality=quality,
        mixed_english=mixed,
    )


def _hop(rng: np.random.Generator, concept: _Concept) -> _Concept:
    """An exploration move: a new subject (who and place) most of the time, else a new action / style."""
    pools = LANGUAGES[concept.lang]
    if rng.random() < 0.7:
        fresh = _new_concept(rng, concept.lang, concept.quality, concept.mixed_english)
        return replace(fresh, style=concept.style if rng.random() < 0.5 else fresh.style)
    if rng.random() < 0.5:
        return replace(concept, action=int(rng.integers(len(pools.action))))
    return replace(concept, style=int(rng.integers(len(pools.style))))


def _edit(rng: np.random.Generator, concept: _Concept) -> _Concept:
    """A refinement move on one subject: a phrase swapped inside the text, a detail added or removed."""
    pools = LANGUAGES[concept.lang]
    roll = rng.random()
    if roll < 0.45:
        options = [a for a in range(len(pools.action)) if a != concept.action]
        return replace(concept, action=int(rng.choice(options)))
    if roll < 0.8 or not concept.details:
        missing = [d for d in range(len(pools.detail)) if d not in concept.details]
        if missing and len(concept.details) < 4:
            return replace(concept, details=(*concept.details, int(rng.choice(missing))))
    if concept.details:
        drop = int(rng.integers(len(concept.details)))
        return replace(concept, details=concept.details[:drop] + concept.details[drop + 1 :])
    return concept


# -- tools ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Shot:
    """One queued generation (a ComfyUI prompt, an A1111 batch, a Midjourney job)."""

    concept: _Concept | None
    prompt: str | None
    negative: str | None
    model: str
    sampler: str | None
    scheduler: str | None
    cfg: float | None
    steps: int | None
    width: int
    height: int
    seed: int | None
    loras: tuple[LoraRef, ...] = ()
    denoise: float | None = None
    images: int = 1
    derive: tuple[str, GenerationRecord] | None = None
    """(kind, parent) when this generation is derived from an earlier image."""
    instruction: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    mj_params: str = ""


SECONDS_PER_IMAGE = {
    "qwen_image_fp8_e4m3fn.safetensors": 38.0,
    "qwen_image_edit_2509_fp8_e4m3fn.safetensors": 42.0,
    "hunyuan_dit_1.2.safetensors": 16.0,
    "kolors_unet_fp16.safetensors": 8.0,
    "flux1-dev-fp8.safetensors": 22.0,
    "sd3.5_large_fp8_scaled.safetensors": 24.0,
    "hidream_i1_dev_fp8.safetensors": 48.0,
    "chroma-unlocked-v48.safetensors": 30.0,
    "juggernautXL_ragnarokBy.safetensors": 6.0,
    "illustriousXL_v01.safetensors": 5.0,
    "ponyDiffusionV6XL.safetensors": 5.0,
    "dreamshaperXL_lightningDPMSDE.safetensors": 2.2,
    "flux1-schnell.safetensors": 4.0,
    "4x-UltraSharp.pth": 9.0,
}

COMFY_SAMPLERS = ("euler", "dpmpp_2m", "res_multistep", "euler_ancestral", "dpmpp_2m_sde", "uni_pc")
COMFY_SCHEDULERS = ("simple", "karras", "normal", "beta", "sgm_uniform")
A1111_SAMPLERS = ("DPM++ 2M", "Euler a", "DPM++ SDE", "DPM++ 2M SDE", "Euler", "DPM++ 3M SDE")
A1111_SCHEDULES = ("Karras", "Automatic", "Exponential", "SGM Uniform")
MJ_ASPECTS = {
    "1:1": (1024, 1024),
    "3:2": (1232, 816),
    "2:3": (816, 1232),
    "16:9": (1456, 816),
    "4:5": (896, 1120),
}


def _pick_size(rng: np.random.Generator, sizes: Sequence[tuple[int, int]]) -> tuple[int, int]:
    width, height = sizes[int(rng.integers(len(sizes)))]
    return int(width), int(height)


def _hex_id(*parts: object) -> str:
    return hashlib.sha1("/".join(str(p) for p in parts).encode()).hexdigest()[:20]


def _uuid(rng: np.random.Generator) -> str:
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def _slug(text: str | None, limit: int = 40) -> str:
    words = "".join(c if c.isalnum() else "_" for c in (text or "image"))
    while "__" in words:
        words = words.replace("__", "_")
    return words.strip("_")[:limit] or "image"


@dataclass(slots=True)
class _Visual:
    """How a record's visual vector is made: components by key, or its parent's vector plus noise."""

    components: tuple[tuple[str, float], ...] = ()
    parent: str | None = None
    noise: float = 0.35


EDGE_NOISE = {"upscale": 0.05, "inpaint": 0.12, "img2img": 0.22, "variation": 0.3, "remix": 0.4}


class _Artist:
    """One artist's timeline: emits records for each tool and keeps the ground truth."""

    def __init__(
        self, library: SimulatedLibrary, user: str, tz: timezone, rng: np.random.Generator, seed: int
    ) -> None:
        self.library = library
        self.user = user
        self.tz = tz
        self.rng = rng
        self.seed = seed
        self.sessions = 0
        self.records_made = 0
        self.counters: dict[str, int] = {}
        self.phase_counts: dict[str, list[str]] = {}
        self.visual_specs: dict[str, _Visual] = {}
        self.order: list[str] = []
        self.last_subject: str | None = None

    # -- truth ------------------------------------------------------------------------------------

    def open_session(self) -> str:
        self.sessions += 1
        key = f"{self.user}/{self.sessions}"
        self.phase_counts[key] = []
        return key

    def close_session(self, key: str) -> None:
        phases = self.phase_counts[key]
        if not phases:
            del self.phase_counts[key]
            return
        runs = [p for i, p in enumerate(phases) if i == 0 or phases[i - 1] != p]
        if EXPLORATION in runs and REFINEMENT in runs[runs.index(EXPLORATION) :]:
            intent = "convergent_selection"
        elif len(set(runs)) == 1:
            intent = runs[0]
        else:
            counts = {p: phases.count(p) for p in (EXPLORATION, REFINEMENT, OPTIMIZATION)}
            intent = max(counts, key=lambda p: (counts[p], p))
        self.library.session_intent[key] = intent

    def _next_counter(self, name: str) -> int:
        self.counters[name] = self.counters.get(name, 0) + 1
        return self.counters[name]

    def _add(self, record: GenerationRecord, session: str, phase: str, shot: _Shot, explicit: bool) -> None:
        self.library.records.append(record)
        self.library.session_of[record.id] = session
        self.library.phase_of[record.id] = phase
        self.phase_counts[session].append(phase)
        if shot.derive is not None:
            kind, parent = shot.derive
            edge = TruthEdge(parent=parent.id, child=record.id, kind=kind)
            self.library.derived_edges.append(edge)
            if explicit:
                self.library.explicit_edges.append(TruthEdge(parent=parent.id, child=record.id, kind=kind))
            noise = EDGE_NOISE[kind] * (0.6 + (shot.denoise or 0.5))
            self.visual_specs[record.id] = _Visual(parent=parent.id, noise=noise)
        elif shot.concept is not None:
            concept = shot.concept
            self.visual_specs[record.id] = _Visual(
                components=(
                    (f"subject:{concept.subject}", 1.0),
                    (f"action:{concept.lang}:{concept.action}", 0.35),
                    (f"style:{concept.lang}:{concept.style}", 0.45),
                    (f"user:{self.user}", 0.2),
                )
            )
        else:
            self.visual_specs[record.id] = _Visual(components=((f"user:{self.user}", 1.0),), noise=0.8)
        self.order.append(record.id)

    def _record(self, **fields: Any) -> GenerationRecord:
        self.records_made += 1
        return GenerationRecord(
            id=_hex_id("E", self.seed, self.user, self.records_made), user=self.user, **fields
        )

    def _common(self, shot: _Shot, prompt: str | None) -> dict[str, Any]:
        return {
            "prompt": prompt,
            "negative_prompt": shot.negative,
            "model": shot.model,
            "sampler": shot.sampler,
            "scheduler": shot.scheduler,
            "cfg_scale": shot.cfg,
            "steps": shot.steps,
            "loras": shot.loras,
            "width": shot.width,
            "height": shot.height,
            "denoise": shot.denoise,
        }

    # -- per tool ---------------------------------------------------------------------------------

    def comfy(
        self,
        session: str,
        phase: str,
        shot: _Shot,
        at: datetime,
        prefix: str = "ComfyUI",
        history: bool = True,
    ) -> tuple[list[GenerationRecord], datetime]:
        """A ComfyUI queue item: ``images`` outputs of one prompt id; ``LoadImage`` names its input."""
        render = SECONDS_PER_IMAGE.get(shot.model, 12.0) * float(self.rng.uniform(0.9, 1.15))
        job = _uuid(self.rng)
        done = at + timedelta(seconds=render * shot.images)
        source = None
        explicit = False
        workflow = "txt2img"
        if shot.derive is not None:
            kind, parent = shot.derive
            workflow = kind
            if kind == "inpaint" and self.rng.random() < 0.5 and parent.tool == "comfyui":
                millis = int(at.timestamp() * 1000) - int(self.rng.integers(5_000, 60_000))
                source = f"clipspace/clipspace-painted-masked-{millis}.png [input]"
            else:
                name = parent.file_name or parent.id
                output = parent.tool == "comfyui" and self.rng.random() < 0.5
                source = f"{name} [output]" if output else name
                explicit = True
        workflow_hash = _hex_id(self.user, workflow, shot.model.split("_")[0])[:16]
        records = []
        for index in range(shot.images):
            counter = self._next_counter(f"comfy:{prefix}")
            when = done + timedelta(milliseconds=40 * index + int(self.rng.integers(0, 30)))
            if history:
                created = when.astimezone(self.tz).replace(microsecond=(when.microsecond // 1000) * 1000)
                source_name, precision = "metadata:history.execution_success", TimePrecision.MILLISECOND
            else:
                created = when.astimezone(self.tz).replace(microsecond=0)
                source_name, precision = "file:mtime", TimePrecision.SECOND
            extra: dict[str, Any] = {"file_counter": counter, **shot.extra}
            if shot.images > 1:
                extra["batch_index"] = index
            record = self._record(
                tool="comfyui",
                created_at=created,
                created_at_source=source_name,
                created_at_precision=precision,
                seed=shot.seed,
                source_image=source,
                job_id=job,
                file_name=f"{prefix}_{counter:05d}_.png",
                workflow_hash=workflow_hash,
                extra=extra,
                **self._common(shot, shot.prompt),
            )
            self._add(record, session, phase, shot, explicit)
            records.append(record)
        return records, done

    def a1111(
        self, session: str, phase: str, shot: _Shot, at: datetime, tool: str = "a1111"
    ) -> tuple[list[GenerationRecord], datetime]:
        """An A1111 / Forge batch: consecutive seeds, ``NNNNN-seed.png``; img2img / inpaint name nothing."""
        render = SECONDS_PER_IMAGE.get(shot.model, 7.0) * float(self.rng.uniform(0.9, 1.2))
        records = []
        now = at
        base_seed = shot.seed if shot.seed is not None else int(self.rng.integers(0, 2**32 - 1))
        for index in range(shot.images):
            now = now + timedelta(seconds=render)
            counter = self._next_counter(f"a1111:{tool}")
            seed = base_seed + index
            extra: dict[str, Any] = {"file_counter": counter, **shot.extra}
            if shot.derive is not None and shot.derive[0] == "inpaint":
                extra.update({"Mask blur": 4, "Inpaint area": "Only masked", "Masked content": "original"})
            record = self._record(
                tool=tool,
                created_at=now.astimezone(self.tz).replace(microsecond=0),
                created_at_source="file:mtime",
                created_at_precision=TimePrecision.SECOND,
                seed=seed,
                file_name=f"{counter:05d}-{seed}.png",
                extra=extra,
                **self._common(shot, shot.prompt),
            )
            self._add(record, session, phase, shot, explicit=False)
            records.append(record)
        return records, now

    def invokeai(
        self, session: str, phase: str, shot: _Shot, at: datetime
    ) -> tuple[list[GenerationRecord], datetime]:
        """An InvokeAI invocation: UUID image names, UTC database times; canvas work names its source."""
        render = SECONDS_PER_IMAGE.get(shot.model, 8.0) * float(self.rng.uniform(0.9, 1.2))
        mode = "sdxl_txt2img" if shot.derive is None else f"sdxl_{shot.derive[0]}"
        records = []
        now = at
        for _ in range(shot.images):
            now = now + timedelta(seconds=render)
            source = shot.derive[1].file_name if shot.derive is not None else None
            record = self._record(
                tool="invokeai",
                created_at=now.astimezone(UTC).replace(microsecond=0),
                created_at_source="metadata:invokeai.images.created_at",
                created_at_precision=TimePrecision.SECOND,
                seed=int(self.rng.integers(0, 2**32 - 1)) if shot.seed is None else shot.seed,
                source_image=source,
                file_name=f"{_uuid(self.rng)}.png",
                extra={"generation_mode": mode, **shot.extra},
                **self._common(shot, shot.prompt),
            )
            self._add(record, session, phase, shot, explicit=shot.derive is not None)
            records.append(record)
        return records, now

    def midjourney(
        self, session: str, phase: str, shot: _Shot, at: datetime
    ) -> tuple[list[GenerationRecord], datetime]:
        """A Midjourney job (web archive): a grid of four, or one upscale; children name the parent job."""
        job = _uuid(self.rng)
        prompt = f"{shot.prompt} {shot.mj_params}".strip() if shot.prompt else shot.mj_params
        handle = self.user.replace("_", "")
        slug = _slug(shot.prompt, 36)
        parent_job = None
        extra: dict[str, Any] = dict(shot.extra)
        if shot.derive is not None:
            parent = shot.derive[1]
            parent_job = parent.job_id
            grid = parent.extra.get("grid_index")
            if isinstance(grid, int):
                extra["parent_grid"] = grid
        created = at.astimezone(UTC).replace(microsecond=0)
        records = []
        for index in range(shot.images):
            record = self._record(
                tool="midjourney",
                created_at=created,
                created_at_source="metadata:enqueue_time",
                created_at_precision=TimePrecision.SECOND,
                prompt=prompt,
                model=shot.model,
                width=shot.width,
                height=shot.height,
                seed=shot.seed,
                job_id=job,
                parent_job_id=parent_job,
                file_name=f"{handle}_{slug}_{job}_{index}.png",
                extra={**extra, "grid_index": index} if shot.images == 4 else extra,
            )
            self._add(record, session, phase, shot, explicit=parent_job is not None)
            records.append(record)
        return records, at + timedelta(seconds=float(self.rng.uniform(25, 70)))

    def hosted(
        self, session: str, phase: str, shot: _Shot, at: datetime, tool: str
    ) -> tuple[list[GenerationRecord], datetime]:
        """Hosted services and small apps: Jimeng / Krea (minute), ChatGPT (day), Civitai, NovelAI,
        Draw Things, Fooocus (second). None of them names an input image."""
        seconds = {"jimeng": 18, "krea": 9, "chatgpt": 55, "civitai": 25, "novelai": 6, "drawthings": 75}
        render = seconds.get(tool, 14) * float(self.rng.uniform(0.85, 1.25))
        records = []
        now = at
        for index in range(shot.images):
            now = now + timedelta(seconds=render if index == 0 or tool not in ("jimeng", "chatgpt") else 0.4)
            counter = self._next_counter(tool)
            local = now.astimezone(self.tz)
            extra: dict[str, Any] = dict(shot.extra)
            precision = TimePrecision.SECOND
            created = local.replace(microsecond=0)
            source = "file:mtime"
            if tool == "jimeng":
                created = local.replace(second=0, microsecond=0)
                precision, source = TimePrecision.MINUTE, "metadata:history.create_time"
                name = f"jimeng-{local:%Y-%m-%d}-{counter:05d}-{(shot.prompt or '')[:10]}.jpeg"
            elif tool == "krea":
                created = local.replace(second=0, microsecond=0)
                precision, source = TimePrecision.MINUTE, "metadata:export.created"
                name = f"krea-{_slug(shot.prompt, 24)}-{counter:05d}.png"
            elif tool == "chatgpt":
                day = now.astimezone(UTC).date()
                created = datetime.combine(day, time(0, 0), tzinfo=UTC)
                precision, source = TimePrecision.DAY, "metadata:c2pa.actions.when"
                name = f"IMG_{1000 + counter:04d}.PNG"
            elif tool == "civitai":
                created = now.astimezone(UTC).replace(microsecond=0)
                source = "metadata:Created Date"
                name = f"{_uuid(self.rng)}.jpeg"
            elif tool == "fooocus":
                name = f"{local:%Y-%m-%d_%H-%M-%S}_{int(self.rng.integers(1000, 9999))}.png"
                extra.setdefault("Styles", ["Fooocus V2", "Fooocus Enhance", "Fooocus Sharp"])
            elif tool == "novelai":
                name = f"{_slug(shot.prompt, 30)} s-{(shot.seed or 0) + index}.png"
            else:  # drawthings
                name = f"{_slug(shot.prompt, 30)}_{(shot.seed or 0) + index}.png"
                extra["file_counter"] = counter
            record = self._record(
                tool=tool,
                created_at=created,
                created_at_source=source,
                created_at_precision=precision,
                seed=None if shot.seed is None else shot.seed + index,
                file_name=name,
                extra=extra,
                **self._common(shot, shot.prompt),
            )
            self._add(record, session, phase, shot, explicit=False)
            records.append(record)
        return records, now


# -- habits ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Profile:
    """An artist's setup and habits (see the module docstring)."""

    user: str
    tz_minutes: int
    lang: str
    tool: str
    models: tuple[str, ...]
    habits: tuple[tuple[str, float], ...]
    active: float
    """Probability of working on a given day."""
    sittings: tuple[float, ...]
    """Typical local start hours of sittings (some are used each active day)."""
    sessions_per_sitting: tuple[int, int]
    batch: int
    quality: bool = False
    mixed: bool = False
    scale: float = 1.0
    """Multiplies the number of steps per phase (heavy users queue more)."""
    look: tuple[str, tuple[LoraRef, ...]] | None = None
    history: bool = True
    max_sittings: int = 2


_LOOK_VESNA = (
    "cinematic still, kodak portra 400, film grain, muted teal and orange",
    (LoraRef("filmgrain_xl", 0.6),),
)
_LOOK_OTTO = (
    "isometric 3d render, octane, soft shadows",
    (LoraRef("iso_diorama_v2", 0.8), LoraRef("add_detail", 0.4)),
)

_ARTISTS: tuple[_Profile, ...] = (
    _Profile(
        "mei_lin",
        480,
        "zh",
        "comfyui",
        ("qwen_image_fp8_e4m3fn.safetensors", "hunyuan_dit_1.2.safetensors"),
        (("nl", 0.5), ("qwen_edit", 0.3), ("compare", 0.2)),
        0.8,
        (20.5, 14.0),
        (2, 4),
        2,
        quality=True,
    ),
    _Profile(
        "tomas_k",
        60,
        "en",
        "comfyui",
        ("flux1-dev-fp8.safetensors",),
        (("interleave", 0.55), ("mj", 0.25), ("nl", 0.2)),
        0.6,
        (19.0, 10.0),
        (1, 3),
        2,
    ),
    _Profile(
        "rendernaut",
        -300,
        "en",
        "comfyui",
        ("juggernautXL_ragnarokBy.safetensors", "flux1-dev-fp8.safetensors"),
        (("nl", 0.6), ("compare", 0.4)),
        0.85,
        (19.5,),
        (1, 3),
        2,
        max_sittings=1,
    ),
    _Profile(
        "batchwitch",
        -480,
        "en",
        "forge",
        ("dreamshaperXL_lightningDPMSDE.safetensors",),
        (("wildcard", 0.35), ("nl", 0.65)),
        0.75,
        (9.5, 15.0, 21.0),
        (1, 3),
        3,
        quality=True,
        scale=1.2,
    ),
    _Profile(
        "canvas_carla",
        -480,
        "en",
        "invokeai",
        ("juggernautXL_ragnarokBy.safetensors",),
        (("inpaint", 0.7), ("nl", 0.3)),
        0.7,
        (10.0, 20.0),
        (1, 3),
        2,
    ),
    _Profile(
        "haruto",
        540,
        "ja",
        "comfyui",
        ("qwen_image_fp8_e4m3fn.safetensors",),
        (("nl", 0.6), ("inpaint", 0.3), ("wildcard", 0.1)),
        0.65,
        (22.0, 13.0),
        (1, 3),
        1,
        quality=True,
    ),
    _Profile(
        "jiayi",
        480,
        "zh",
        "jimeng",
        ("Seedream 4.0",),
        (("nl", 0.8), ("inpaint", 0.2)),
        0.45,
        (12.5, 21.5),
        (1, 2),
        4,
    ),
    _Profile(
        "dana_r",
        -360,
        "en",
        "chatgpt",
        ("gpt-image-1",),
        (("nl", 1.0),),
        0.35,
        (13.0,),
        (1, 1),
        1,
        max_sittings=1,
    ),
    _Profile(
        "vesna",
        120,
        "en",
        "forge",
        ("juggernautXL_ragnarokBy.safetensors",),
        (("look", 1.0),),
        0.7,
        (18.0, 10.5),
        (2, 4),
        2,
        look=_LOOK_VESNA,
    ),
    _Profile(
        "ikaika",
        -600,
        "en",
        "comfyui",
        (
            "flux1-dev-fp8.safetensors",
            "qwen_image_fp8_e4m3fn.safetensors",
            "juggernautXL_ragnarokBy.safetensors",
            "hidream_i1_dev_fp8.safetensors",
            "chroma-unlocked-v48.safetensors",
            "sd3.5_large_fp8_scaled.safetensors",
        ),
        (("compare", 0.6), ("nl", 0.4)),
        0.6,
        (20.0,),
        (1, 3),
        1,
        history=False,
    ),
    _Profile(
        "minji",
        540,
        "ko",
        "midjourney",
        ("v7",),
        (("mj", 1.0),),
        0.6,
        (21.0, 12.0),
        (1, 3),
        4,
        mixed=True,
    ),
    _Profile(
        "sam_forks",
        0,
        "en",
        "a1111",
        ("juggernautXL_ragnarokBy.safetensors",),
        (("forks", 0.5), ("nl", 0.3), ("inpaint", 0.2)),
        0.6,
        (19.0,),
        (1, 2),
        2,
    ),
    _Profile(
        "xiaobai",
        480,
        "zh-tags",
        "comfyui",
        ("kolors_unet_fp16.safetensors",),
        (("wildcard", 0.3), ("nl", 0.7)),
        0.65,
        (13.0, 20.0),
        (1, 3),
        2,
        quality=True,
    ),
    _Profile(
        "arjun",
        330,
        "en",
        "fooocus",
        ("juggernautXL_v8Rundiffusion.safetensors",),
        (("nl", 1.0),),
        0.3,
        (21.0,),
        (1, 1),
        2,
        max_sittings=1,
    ),
    _Profile(
        "kiri",
        600,
        "en",
        "drawthings",
        ("flux1-schnell.safetensors",),
        (("nl", 1.0),),
        0.25,
        (19.5,),
        (1, 2),
        1,
        max_sittings=1,
    ),
    _Profile(
        "lena_m", 60, "en", "krea", ("Krea 1",), (("nl", 1.0),), 0.3, (11.0,), (1, 2), 4, max_sittings=1
    ),
    _Profile(
        "ayaka_cn",
        480,
        "zh-tags",
        "novelai",
        ("nai-diffusion-4-5-full",),
        (("nl", 0.6), ("a1111_inpaint", 0.4)),
        0.6,
        (22.5, 15.0),
        (1, 3),
        1,
        quality=True,
    ),
    _Profile(
        "pixelmonk",
        -420,
        "en",
        "midjourney",
        ("v7",),
        (("mj", 1.0),),
        0.7,
        (8.0, 14.0, 20.0),
        (1, 3),
        4,
        scale=1.3,
        max_sittings=3,
    ),
    _Profile(
        "joon",
        540,
        "ko",
        "civitai",
        ("illustriousXL_v01.safetensors",),
        (("nl", 1.0),),
        0.45,
        (20.0,),
        (1, 2),
        4,
        mixed=True,
    ),
    _Profile(
        "ottoline",
        60,
        "en",
        "comfyui",
        ("juggernautXL_ragnarokBy.safetensors",),
        (("look", 0.6), ("inpaint", 0.4)),
        0.7,
        (20.0, 9.0),
        (1, 3),
        2,
        look=_LOOK_OTTO,
    ),
)

OVERNIGHT_USERS = {"rendernaut": 0.5, "ottoline": 0.25}
"""Artists who leave an unattended queue running at the end of an evening (probability per active day)."""

PHASE_PLANS: tuple[tuple[tuple[str, ...], float], ...] = (
    ((EXPLORATION,), 0.14),
    ((EXPLORATION, REFINEMENT), 0.3),
    ((REFINEMENT,), 0.2),
    ((REFINEMENT, OPTIMIZATION), 0.14),
    ((EXPLORATION, REFINEMENT, OPTIMIZATION), 0.12),
    ((OPTIMIZATION,), 0.1),
)


class _Session:
    """Writes one session's steps for one profile and tool, phase by phase."""

    def __init__(self, artist: _Artist, profile: _Profile, tool: str, at: datetime) -> None:
        self.artist = artist
        self.profile = profile
        self.tool = tool
        self.rng = artist.rng
        self.key = artist.open_session()
        self.now = at
        self.records: list[GenerationRecord] = []
        self.concept = self._fresh_concept()
        self.model = "v7" if tool == "midjourney" else profile.models[0]
        self.seed = self._seed()
        self.sampler, self.scheduler = self._sampler()
        self.cfg = self._default_cfg()
        self.steps = self._default_steps()
        self.size = self._size()
        self.loras: tuple[LoraRef, ...] = profile.look[1] if profile.look else ()
        self.mj_params = self._mj_defaults()
        self.last_phase: str | None = None

    # -- defaults per tool ------------------------------------------------------------------------

    def _fresh_concept(self) -> _Concept:
        """A subject other than the one the artist's previous session worked on."""
        while True:
            concept = self._with_look(
                _new_concept(self.rng, self.profile.lang, self.profile.quality, self.profile.mixed)
            )
            if concept.subject != self.artist.last_subject:
                return concept

    def _with_look(self, concept: _Concept) -> _Concept:
        """An artist with a reused look always writes its style suffix."""
        if self.profile.look is None:
            return concept
        return replace(concept, style=LANGUAGES[concept.lang].style.index(self.profile.look[0]))

    def _seed(self) -> int | None:
        if self.tool in ("midjourney", "jimeng", "krea", "chatgpt"):
            return None
        if self.tool == "comfyui":
            return int(self.rng.integers(0, 2**49))
        return int(self.rng.integers(0, 2**32 - 2**16))

    def _sampler(self) -> tuple[str | None, str | None]:
        if self.tool == "comfyui":
            return str(self.rng.choice(COMFY_SAMPLERS[:3])), str(self.rng.choice(COMFY_SCHEDULERS[:3]))
        if self.tool in ("a1111", "forge", "civitai"):
            return str(self.rng.choice(A1111_SAMPLERS[:3])), str(self.rng.choice(A1111_SCHEDULES[:2]))
        if self.tool == "invokeai":
            return None, str(self.rng.choice(["dpmpp_2m_k", "euler_a", "dpmpp_3m_k"]))
        if self.tool == "fooocus":
            return "dpmpp_2m_sde_gpu", "karras"
        if self.tool == "novelai":
            return "k_euler_ancestral", "karras"
        if self.tool == "drawthings":
            return "Euler A Trailing", None
        return None, None

    def _default_cfg(self) -> float | None:
        if self.tool in ("midjourney", "jimeng", "krea", "chatgpt"):
            return None
        if "flux" in self.model or "qwen" in self.model or "chroma" in self.model:
            return float(self.rng.choice([1.0, 2.5, 3.5, 4.0]))
        if "lightning" in self.model:
            return 2.0
        return float(self.rng.choice([4.0, 5.0, 5.5, 6.0, 7.0]))

    def _default_steps(self) -> int | None:
        if self.tool in ("midjourney", "jimeng", "krea", "chatgpt"):
            return None
        if "lightning" in self.model or "schnell" in self.model:
            return int(self.rng.choice([4, 6, 8]))
        return int(self.rng.choice([20, 25, 28, 30, 40]))

    def _size(self) -> tuple[int, int]:
        if self.tool == "chatgpt":
            return _pick_size(self.rng, [(1024, 1024), (1024, 1536), (1536, 1024)])
        if self.tool == "jimeng":
            return _pick_size(self.rng, [(2048, 2048), (1728, 2304), (2560, 1440)])
        if self.tool == "novelai":
            return (832, 1216)
        if "qwen" in self.model:
            return _pick_size(self.rng, [(1328, 1328), (928, 1664), (1664, 928)])
        return _pick_size(self.rng, [(1024, 1024), (832, 1216), (1216, 832), (896, 1152)])

    def _mj_defaults(self) -> str:
        aspect = str(self.rng.choice(list(MJ_ASPECTS)))
        version = "--niji 6" if self.rng.random() < 0.2 else "--v 7"
        stylize = int(self.rng.choice([100, 250, 400, 750]))
        if self.tool == "midjourney":
            self.model = "niji 6" if version == "--niji 6" else "v7"
        return f"--ar {aspect} {version} --stylize {stylize}"

    # -- steps ------------------------------------------------------------------------------------

    def shot(self, images: int | None = None, **changes: Any) -> _Shot:
        concept = self.concept
        prompt = None if self.tool == "chatgpt" else concept.text()
        negative: str | None = LANGUAGES[concept.lang].negative
        if self.tool in ("midjourney", "jimeng", "krea", "chatgpt", "drawthings"):
            negative = None
        width, height = self.size
        if self.tool == "midjourney":
            width, height = MJ_ASPECTS[self.mj_params.split()[1]]
        shot = _Shot(
            concept=concept,
            prompt=prompt,
            negative=negative,
            model=self.model,
            sampler=self.sampler,
            scheduler=self.scheduler,
            cfg=self.cfg,
            steps=self.steps,
            width=width,
            height=height,
            seed=self.seed,
            loras=self.loras,
            images=images if images is not None else self._batch(),
            mj_params=self.mj_params,
        )
        for name, value in changes.items():
            setattr(shot, name, value)
        return shot

    def _batch(self) -> int:
        if self.tool == "midjourney":
            return 4
        if self.tool == "jimeng":
            return 4
        return max(1, int(self.profile.batch * self.rng.choice([0.5, 1, 1, 2])))

    def think(self, phase: str) -> None:
        low, high = {EXPLORATION: (15, 110), REFINEMENT: (20, 150), OPTIMIZATION: (4, 40)}[phase]
        self.now += timedelta(seconds=float(self.rng.uniform(low, high)))

    def emit(self, phase: str, shot: _Shot, tool: str | None = None) -> list[GenerationRecord]:
        tool = tool or self.tool
        artist = self.artist
        if tool == "comfyui":
            records, end = artist.comfy(self.key, phase, shot, self.now, history=self.profile.history)
        elif tool in ("a1111", "forge", "reforge"):
            records, end = artist.a1111(self.key, phase, shot, self.now, tool)
        elif tool == "invokeai":
            records, end = artist.invokeai(self.key, phase, shot, self.now)
        elif tool == "midjourney":
            records, end = artist.midjourney(self.key, phase, shot, self.now)
        else:
            records, end = artist.hosted(self.key, phase, shot, self.now, tool)
        self.now = end
        self.records.extend(records)
        self.last_phase = phase
        return records

    def pick(self, recent: int = 10) -> GenerationRecord:
        """A favourite among the session's recent images."""
        pool = self.records[-recent:]
        return pool[int(self.rng.integers(len(pool)))]

    def steps_for(self, phase: str) -> int:
        low, high = {EXPLORATION: (3, 10), REFINEMENT: (4, 16), OPTIMIZATION: (4, 12)}[phase]
        return max(2, int(self.rng.integers(low, high + 1) * self.profile.scale))

    def explore(self, count: int) -> None:
        for index in range(count):
            self.think(EXPLORATION)
            if index > 0 or self.rng.random() < 0.5:
                self.concept = self._with_look(_hop(self.rng, self.concept))
            self.seed = self._seed()
            if self.tool == "midjourney" and self.rng.random() < 0.3:
                self.mj_params = self._mj_defaults() + f" --chaos {int(self.rng.choice([10, 20, 40]))}"
            self.emit(EXPLORATION, self.shot())

    def refine(self, count: int) -> None:
        derivations = {
            "comfyui": ("img2img", "upscale", "inpaint"),
            "a1111": ("img2img", "inpaint"),
            "forge": ("img2img", "inpaint"),
            "invokeai": ("img2img", "inpaint", "upscale"),
            "midjourney": ("variation", "variation", "upscale", "remix"),
            "jimeng": ("img2img",),
            "chatgpt": ("img2img",),
            "krea": ("img2img",),
        }.get(self.tool, ())
        for _ in range(count):
            self.think(REFINEMENT)
            if (
                derivations
                and self.records
                and self.rng.random() < (0.5 if self.tool == "midjourney" else 0.25)
            ):
                kind = str(self.rng.choice(derivations))
                self._derive(kind)
                continue
            roll = self.rng.random()
            if roll < 0.7:
                self.concept = _edit(self.rng, self.concept)
            elif roll < 0.85:
                self.seed = self._seed()
            elif self.tool not in ("midjourney", "jimeng", "krea", "chatgpt"):
                lang = LANGUAGES[self.concept.lang]
                self.emit(REFINEMENT, self.shot(negative=f"{lang.negative}{lang.comma}{lang.detail[0]}"))
                continue
            self.emit(REFINEMENT, self.shot())

    def _derive(self, kind: str) -> None:
        parent = self.pick()
        if self.tool == "midjourney":
            if kind == "upscale":
                if parent.extra.get("grid_index") is None:
                    kind = "variation"
                else:
                    mode = str(self.rng.choice(["Upscale (Subtle)", "Upscale (Creative)"]))
                    self.emit(REFINEMENT, self.shot(images=1, derive=(kind, parent), extra={"action": mode}))
                    return
            if kind == "remix":
                self.concept = _edit(self.rng, self.concept)
            mode = {"variation": str(self.rng.choice(["Vary (Subtle)", "Vary (Strong)"])), "remix": "Remix"}[
                kind
            ]
            self.emit(REFINEMENT, self.shot(images=4, derive=(kind, parent), extra={"action": mode}))
            return
        if kind == "upscale":
            width, height = parent.width or 1024, parent.height or 1024
            self.emit(
                REFINEMENT,
                self.shot(
                    images=1,
                    derive=(kind, parent),
                    width=width * 2,
                    height=height * 2,
                    denoise=0.35,
                    model=self.model,
                    seed=parent.seed,
                    prompt=parent.prompt,
                ),
            )
            return
        denoise = round(float(self.rng.uniform(0.3, 0.75)), 2)
        prompt = parent.prompt
        if self.tool not in ("chatgpt",) and self.rng.random() < 0.4:
            self.concept = _edit(self.rng, self.concept)
            prompt = self.shot().prompt
        self.emit(
            REFINEMENT,
            self.shot(
                images=1 if kind == "inpaint" else None,
                derive=(kind, parent),
                denoise=denoise,
                prompt=prompt,
                seed=self._seed(),
            ),
        )

    def optimize(self, count: int, models: Sequence[str] = ()) -> None:
        if self.seed is None and self.tool not in ("midjourney", "jimeng", "krea", "chatgpt"):
            self.seed = self._seed()
        axis = str(self.rng.choice(["cfg", "steps", "sampler", "lora", "size"]))
        for index in range(count):
            self.think(OPTIMIZATION)
            if models:
                self.model = models[index % len(models)]
                if "qwen" in self.model or "flux" in self.model or "chroma" in self.model:
                    self.cfg = float(self.rng.choice([2.5, 3.5, 4.0]))
                else:
                    self.cfg = float(self.rng.choice([4.5, 5.5, 6.5]))
            elif self.tool == "midjourney":
                stylize = int(self.rng.choice([0, 50, 100, 250, 500, 750, 1000]))
                aspect = self.mj_params.split()[1]
                extra = f" --weird {int(self.rng.choice([0, 250, 500]))}" if self.rng.random() < 0.3 else ""
                self.mj_params = f"--ar {aspect} --v 7 --stylize {stylize}{extra}"
            elif self.tool in ("jimeng", "krea"):
                self.size = _pick_size(self.rng, [(2048, 2048), (1728, 2304), (2560, 1440), (1440, 2560)])
                self.model = (
                    str(self.rng.choice(["Seedream 4.0", "Seedream 3.0"]))
                    if self.tool == "jimeng"
                    else self.model
                )
            elif axis == "cfg" and self.cfg is not None:
                self.cfg = float(np.clip(self.cfg + self.rng.choice([-1.0, -0.5, 0.5, 1.0]), 1.0, 12.0))
            elif axis == "steps" and self.steps is not None:
                self.steps = int(np.clip(self.steps + self.rng.choice([-8, -4, 4, 8, 12]), 4, 80))
            elif axis == "sampler" and self.sampler is not None:
                pool = {
                    "comfyui": COMFY_SAMPLERS,
                    "novelai": ("k_euler_ancestral", "k_dpmpp_2m", "k_dpmpp_2s_ancestral", "k_euler"),
                    "fooocus": ("dpmpp_2m_sde_gpu", "dpmpp_3m_sde_gpu", "euler_ancestral"),
                    "drawthings": ("Euler A Trailing", "DPM++ 2M Trailing", "UniPC Trailing"),
                }.get(self.tool, A1111_SAMPLERS)
                self.sampler = str(self.rng.choice(pool))
            elif axis == "lora" and self.loras:
                first = self.loras[0]
                weight = round(
                    float(np.clip((first.weight or 1.0) + self.rng.choice([-0.2, -0.1, 0.1, 0.2]), 0.1, 1.4)),
                    2,
                )
                self.loras = (LoraRef(first.name, weight), *self.loras[1:])
            else:
                self.size = _pick_size(
                    self.rng, [(1024, 1024), (832, 1216), (1216, 832), (896, 1152), (768, 1344)]
                )
            self.emit(OPTIMIZATION, self.shot(images=max(1, min(2, self._batch()))))

    def run_plan(self, plan: Sequence[str], models: Sequence[str] = ()) -> None:
        for phase in plan:
            count = self.steps_for(phase)
            if phase == EXPLORATION:
                self.explore(count)
            elif phase == REFINEMENT:
                self.refine(count)
            else:
                self.optimize(count, models)

    def close(self) -> datetime:
        self.artist.close_session(self.key)
        self.artist.last_subject = self.concept.subject
        return self.now


def _plan(
    rng: np.random.Generator, plans: Sequence[tuple[tuple[str, ...], float]] = PHASE_PLANS
) -> tuple[str, ...]:
    weights = np.array([w for _, w in plans])
    return plans[int(rng.choice(len(plans), p=weights / weights.sum()))][0]


def _natural(artist: _Artist, profile: _Profile, at: datetime) -> list[_Session]:
    """A natural-language session: explore, refine, optimize (a plan drawn from ``PHASE_PLANS``)."""
    session = _Session(artist, profile, profile.tool, at)
    plans = PHASE_PLANS
    if profile.tool == "chatgpt":
        plans = (((EXPLORATION, REFINEMENT), 0.5), ((REFINEMENT,), 0.3), ((EXPLORATION,), 0.2))
    if profile.look is not None:
        plans = (((EXPLORATION, REFINEMENT), 0.35), ((REFINEMENT,), 0.35), ((REFINEMENT, OPTIMIZATION), 0.3))
    session.run_plan(_plan(artist.rng, plans))
    return [session]


def _midjourney(artist: _Artist, profile: _Profile, at: datetime) -> list[_Session]:
    """A Midjourney web session: grids, then variations / remixes / upscales naming their parent job."""
    session = _Session(artist, profile, "midjourney", at)
    session.run_plan(_plan(artist.rng))
    return [session]


def _compare(artist: _Artist, profile: _Profile, at: datetime) -> list[_Session]:
    """One idea rendered on several models in turn (optimization), sometimes after a few refinements."""
    session = _Session(artist, profile, profile.tool, at)
    models = list(profile.models)
    if len(models) < 3:
        models += ["flux1-dev-fp8.safetensors", "sd3.5_large_fp8_scaled.safetensors"]
    chosen = [
        str(m)
        for m in artist.rng.choice(models, size=int(artist.rng.integers(3, len(models) + 1)), replace=False)
    ]
    if artist.rng.random() < 0.4:
        session.refine(int(artist.rng.integers(2, 6)))
    session.optimize(int(len(chosen) * artist.rng.integers(2, 5)), chosen)
    return [session]


def _qwen_edit(artist: _Artist, profile: _Profile, at: datetime) -> list[_Session]:
    """A Qwen-Image base, then a chain of Qwen-Image-Edit instructions, each loading the previous result."""
    rng = artist.rng
    session = _Session(artist, profile, "comfyui", at)
    session.explore(int(rng.integers(1, 4)))
    edit_model = "qwen_image_edit_2509_fp8_e4m3fn.safetensors"
    current = session.pick(4)
    lang = LANGUAGES[profile.lang]
    for _ in range(int(rng.integers(6, 22))):
        session.think(REFINEMENT)
        instruction = str(rng.choice(lang.edits))
        shot = session.shot(
            images=1,
            derive=("img2img", current),
            prompt=instruction,
            negative=None,
            model=edit_model,
            cfg=2.5,
            steps=int(rng.choice([4, 8, 20])),
            seed=int(rng.integers(0, 2**49)),
            denoise=1.0,
        )
        records = session.emit(REFINEMENT, shot)
        if rng.random() < 0.7:
            current = records[-1]
    if rng.random() < 0.5:
        session.think(REFINEMENT)
        session.emit(
            REFINEMENT,
            session.shot(
                images=1,
                derive=("upscale", current),
                model="4x-UltraSharp.pth",
                prompt=None,
                negative=None,
                cfg=None,
                steps=None,
                sampler=None,
                scheduler=None,
                seed=None,
            ),
        )
    return [session]


def _inpaint(artist: _Artist, profile: _Profile, at: datetime) -> list[_Session]:
    """Many small inpaints of one image (InvokeAI canvas, ComfyUI mask editor, A1111 inpaint)."""
    rng = artist.rng
    tool = "a1111" if profile.tool == "novelai" else profile.tool
    session = _Session(artist, profile, tool, at)
    if rng.random() < 0.6:
        session.explore(int(rng.integers(2, 5)))
    else:
        session.emit(REFINEMENT, session.shot())
    current = session.pick(6)
    lang = LANGUAGES[profile.lang]
    for _ in range(int(rng.integers(12, 45) * profile.scale)):
        session.think(REFINEMENT)
        kind = "inpaint" if rng.random() < 0.85 else "img2img"
        if tool in ("jimeng",):
            kind = "img2img"
        regional = rng.random() < 0.5
        prompt = str(rng.choice(lang.edits)) if regional else current.prompt
        shot = session.shot(
            images=1 if tool != "jimeng" else 4,
            derive=(kind, current),
            prompt=prompt,
            denoise=round(float(rng.uniform(0.25, 0.8)), 2),
            seed=session._seed(),
        )
        records = session.emit(REFINEMENT, shot)
        if rng.random() < 0.6:
            current = records[int(rng.integers(len(records)))]
    if tool in ("invokeai", "comfyui") and rng.random() < 0.6:
        session.think(REFINEMENT)
        session.emit(
            REFINEMENT,
            session.shot(
                images=1,
                derive=("upscale", current),
                width=(current.width or 1024) * 2,
                height=(current.height or 1024) * 2,
                denoise=0.3,
                prompt=current.prompt,
            ),
        )
    return [session]


def _wildcard(artist: _Artist, profile: _Profile, at: datetime) -> list[_Session]:
    """A Dynamic Prompts / "prompts from file" run: hundreds of images, each a random combination."""
    rng = artist.rng
    tool = profile.tool
    session = _Session(artist, profile, tool, at)
    lang = LANGUAGES[profile.lang]
    count = int(rng.integers(80, 320) * (0.3 if profile.lang == "ja" else 1.0))
    with_template = tool in ("a1111", "forge") and rng.random() < 0.6
    template = {
        "en": "__subjects__ __actions__ __places__, {__details__|}, __styles__",
        "zh-tags": "杰作，最佳质量，__人物__，__场景__，__动作__，{__细节__|}",
        "ja": "__場所____動作__{__人物__}、__画風__",
    }.get(profile.lang, "__subject__, __style__")
    base_seed = session._seed() or 0
    session.think(EXPLORATION)
    for index in range(count):
        session.concept = _new_concept(rng, profile.lang, profile.quality)
        extra = {"Template": template, "Negative Template": lang.negative} if with_template else {}
        shot = session.shot(images=1, seed=base_seed + index, extra=extra)
        session.emit(EXPLORATION, shot)
    return [session]


def _overnight(artist: _Artist, profile: _Profile, at: datetime) -> tuple[list[_Session], datetime]:
    """An unattended ComfyUI queue through the night (a sweep or wildcards) and the morning review."""
    rng = artist.rng
    night = _Session(artist, profile, "comfyui", at)
    if "flux1-dev-fp8.safetensors" in profile.models:
        night.model, night.cfg = "flux1-dev-fp8.safetensors", 3.5
    night.think(OPTIMIZATION)
    if rng.random() < 0.5:
        prompts = [_new_concept(rng, profile.lang, profile.quality) for _ in range(int(rng.integers(2, 6)))]
        cfgs = [3.0, 4.0, 5.0, 6.0, 7.0]
        samplers = list(COMFY_SAMPLERS[: int(rng.integers(2, 4))])
        seeds = [int(rng.integers(0, 2**49)) for _ in range(int(rng.integers(3, 7)))]
        for concept in prompts:
            night.concept = concept
            for seed in seeds:
                for sampler in samplers:
                    for cfg in cfgs:
                        night.emit(OPTIMIZATION, night.shot(images=1, seed=seed, sampler=sampler, cfg=cfg))
    else:
        base = night._seed() or 0
        for index in range(int(rng.integers(200, 500))):
            night.concept = _new_concept(rng, profile.lang, profile.quality)
            night.emit(EXPLORATION, night.shot(images=1, seed=base + index))
    finished = night.now
    wake = datetime.combine(finished.astimezone(artist.tz).date(), time(7, 30), tzinfo=artist.tz)
    if wake < finished + timedelta(minutes=90):
        wake = finished + timedelta(minutes=90)
    review_start = wake + timedelta(minutes=float(rng.uniform(0, 120)))
    review = _Session(artist, profile, "comfyui", review_start)
    night_records = list(night.records)
    for _ in range(int(rng.integers(5, 25))):
        review.think(REFINEMENT)
        parent = night_records[int(rng.integers(len(night_records)))]
        if rng.random() < 0.6:
            shot = review.shot(
                images=1,
                derive=("upscale", parent),
                prompt=parent.prompt,
                seed=parent.seed,
                width=(parent.width or 1024) * 2,
                height=(parent.height or 1024) * 2,
                denoise=0.3,
            )
        else:
            shot = review.shot(
                images=2,
                derive=("img2img", parent),
                prompt=parent.prompt,
                denoise=round(float(rng.uniform(0.3, 0.55)), 2),
            )
        shot.concept = None
        review.emit(REFINEMENT, shot)
    return [night, review], night.now


def _parallel(artist: _Artist, profile: _Profile, at: datetime, tools: tuple[str, str]) -> list[_Session]:
    """Two tools side by side (Midjourney in a tab while ComfyUI renders; A1111 next to Forge): two
    sessions at once, on the same idea; the second may load an image of the first."""
    rng = artist.rng
    first = _Session(artist, profile, tools[0], at)
    if tools[0] == "midjourney":
        first.model = "v7"
    first.run_plan(_plan(rng, (((EXPLORATION, REFINEMENT), 0.6), ((EXPLORATION,), 0.4))))
    second = _Session(artist, profile, tools[1], at + timedelta(seconds=float(rng.uniform(60, 300))))
    second.model = "flux1-dev-fp8.safetensors" if tools[1] in ("comfyui", "forge") else profile.models[0]
    second.cfg, second.steps = second._default_cfg(), second._default_steps()
    second.concept = first.concept
    for _ in range(int(rng.integers(6, 18))):
        second.think(REFINEMENT)
        earlier = [r for r in first.records if r.created_at is not None and r.created_at < second.now]
        if tools[0] == "midjourney" and earlier and rng.random() < 0.3:
            parent = earlier[int(rng.integers(max(0, len(earlier) - 8), len(earlier)))]
            shot = second.shot(
                images=2, derive=("img2img", parent), denoise=round(float(rng.uniform(0.35, 0.7)), 2)
            )
            shot.prompt = _strip_mj(parent.prompt)
            second.emit(REFINEMENT, shot)
            continue
        if rng.random() < 0.5:
            second.concept = _edit(rng, second.concept)
        else:
            second.seed = second._seed()
        second.emit(REFINEMENT, second.shot())
    return [first, second]


def _strip_mj(prompt: str | None) -> str | None:
    if prompt is None:
        return None
    return prompt.split(" --", 1)[0]


HabitFn = Callable[[_Artist, _Profile, datetime], list[_Session]]
HABITS: dict[str, HabitFn] = {
    "nl": _natural,
    "look": _natural,
    "compare": _compare,
    "qwen_edit": _qwen_edit,
    "inpaint": _inpaint,
    "a1111_inpaint": _inpaint,
    "wildcard": _wildcard,
    "mj": _midjourney,
    "interleave": lambda a, p, t: _parallel(a, p, t, ("midjourney", "comfyui")),
    "forks": lambda a, p, t: _parallel(a, p, t, ("a1111", "forge")),
}


def _simulate_artist(
    library: SimulatedLibrary, profile: _Profile, index: int, seed: int, days: int
) -> _Artist:
    rng = np.random.default_rng([seed, index, 5])
    tz = timezone(timedelta(minutes=profile.tz_minutes))
    artist = _Artist(library, profile.user, tz, rng, seed)
    cursor = datetime.combine(FIRST_DAY, time(0, 0), tzinfo=tz)
    names = [name for name, _ in profile.habits]
    weights = np.array([w for _, w in profile.habits])
    weights = weights / weights.sum()
    for day in range(days):
        if rng.random() > profile.active:
            continue
        today = FIRST_DAY + timedelta(days=day)
        sittings = sorted(
            rng.choice(
                profile.sittings,
                size=int(rng.integers(1, min(profile.max_sittings, len(profile.sittings)) + 1)),
                replace=False,
            )
        )
        for sitting_index, hour in enumerate(sittings):
            start = datetime.combine(today, time(0, 0), tzinfo=tz) + timedelta(
                hours=float(hour) + float(rng.normal(0, 0.6))
            )
            at = max(start, cursor + timedelta(minutes=float(rng.uniform(70, 180))))
            if at.date() > today + timedelta(days=1):
                continue
            low, high = profile.sessions_per_sitting
            last_phase: str | None = None
            for _ in range(int(rng.integers(low, high + 1))):
                if last_phase == EXPLORATION:
                    at += timedelta(minutes=float(rng.uniform(40, 90)))
                habit = str(rng.choice(names, p=weights))
                sessions = HABITS[habit](artist, profile, at)
                for session in sessions:
                    session.close()
                end = max(s.now for s in sessions)
                last_phase = sessions[-1].last_phase
                cursor = end
                at = end + timedelta(minutes=float(rng.uniform(2, 18)))
            is_last = sitting_index == len(sittings) - 1
            if is_last and profile.user in OVERNIGHT_USERS and rng.random() < OVERNIGHT_USERS[profile.user]:
                local = at.astimezone(tz)
                queue_at = max(at, datetime.combine(local.date(), time(22, 30), tzinfo=tz))
                sessions, _ = _overnight(
                    artist, profile, queue_at + timedelta(minutes=float(rng.uniform(0, 60)))
                )
                for session in sessions:
                    session.close()
                cursor = max(s.now for s in sessions)
    return artist


def _visual_vectors(library: SimulatedLibrary, artists: Sequence[_Artist], seed: int) -> None:
    rng = np.random.default_rng([seed, 77])
    components: dict[str, np.ndarray] = {}

    def component(key: str) -> np.ndarray:
        if key not in components:
            vector = rng.normal(size=FAMILY_E_VISUAL_DIM)
            components[key] = vector / np.linalg.norm(vector)
        return components[key]

    for artist in artists:
        for record_id in artist.order:
            spec = artist.visual_specs[record_id]
            noise = rng.normal(size=FAMILY_E_VISUAL_DIM) / np.sqrt(FAMILY_E_VISUAL_DIM)
            if spec.parent is not None:
                vector = library.visual[spec.parent] + spec.noise * noise
            else:
                vector = sum(
                    (weight * component(key) for key, weight in spec.components),
                    np.zeros(FAMILY_E_VISUAL_DIM),
                )
                vector = vector + spec.noise * noise * 2.0
            library.visual[record_id] = (vector / np.linalg.norm(vector)).astype(np.float64)


def simulate_family_e_library(
    seed: int = 41, artists: int = 20, days: int = 21, with_visual: bool = True
) -> SimulatedLibrary:
    """Simulate ``artists`` family-E artists (cycling through ``_ARTISTS``) for ``days`` days from
    2026-03-02, deterministic for ``seed``; records are sorted by time (ties: user, file counter,
    file name)."""
    library = SimulatedLibrary()
    made: list[_Artist] = []
    for index in range(artists):
        profile = _ARTISTS[index % len(_ARTISTS)]
        if index >= len(_ARTISTS):
            profile = replace(profile, user=f"{profile.user}_{index // len(_ARTISTS) + 1}")
        made.append(_simulate_artist(library, profile, index, seed, days))

    def order(record: GenerationRecord) -> tuple[float, str, int, str, str]:
        assert record.created_at is not None
        counter = record.extra.get("file_counter")
        return (
            record.created_at.timestamp(),
            record.user or "",
            counter if isinstance(counter, int) else 2**62,
            record.file_name or "",
            record.id,
        )

    library.records.sort(key=order)
    if with_visual:
        _visual_vectors(library, made, seed)
    return library
