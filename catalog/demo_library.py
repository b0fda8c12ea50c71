"""A deterministic demo library: real PNG files with real ComfyUI and AUTOMATIC1111 metadata.

``write_demo_library(target, seed=7)`` writes about 390 small PNGs that mimic five days of one artist
(four evenings, then a Sunday afternoon and evening: 15 sessions), and returns the ground truth
(sessions, and every image's generation parameters).

Invariants:

- **Deterministic.** The same ``seed`` yields the same relative paths, the same bytes and the same
  mtimes, on every run and into any folder. Rewriting a target overwrites the library's own files
  with identical bytes; files in ``target`` that are not part of the library are left alone.
- **Real formats.** ComfyUI files carry PNG ``tEXt`` chunks ``prompt`` (the API graph: node id ->
  ``{"inputs", "class_type", "_meta"}``, serialised with ``json.dumps`` exactly as ComfyUI's
  ``SaveImage`` does) then ``workflow`` (a reduced but well-formed UI graph with ``nodes`` and
  ``links``). AUTOMATIC1111 files carry one ``tEXt`` chunk ``parameters`` in v1.10 infotext format.
  File names follow the tools' counters: ``ComfyUI/output/ComfyUI_00042_.png`` and
  ``stable-diffusion-webui/outputs/txt2img-images/<local date>/00042-<seed>.png``.
- **Times.** Neither tool writes the generation time into the PNG, so each file's mtime (and atime)
  is set to its simulated generation time, ``DemoImage.created_at`` (aware, UTC, millisecond
  precision). The artist lives at UTC+01:00 (February and early March, CET); A1111's date folders use
  that local date.
- **Sessions are unambiguous.** Inside a session consecutive runs (queue items) are 10 s - 240 s
  apart, counted in whole wall-clock seconds; the images of one batch share one wall-clock second
  (35 ms apart). Consecutive sessions either switch tool
  (a few minutes apart) or are at least 90 minutes apart; any two sessions of the same tool are at
  least 90 minutes apart as well.
- **Sizes.** ``width``/``height`` in the metadata (``EmptyLatentImage``, ``Size:``) are real SDXL
  sizes (1024-class). The pixels are a procedurally drawn thumbnail, 256 px on the long side with the
  same aspect ratio: one palette and layout per concept, jittered per seed, so images of one concept
  look alike and different concepts look different.
- **Session sizes straddle the reflection threshold (50 assets).** The Sunday ComfyUI portrait
  evening (``e5-comfyui-portrait-evening``, 63 assets over about two hours) is a long refinement with
  prompt edits, a re-weighted LoRA, CFG / steps / LoRA-weight sweeps on kept seeds and img2img /
  upscale lineage; the Sunday A1111 afternoon (``e5-a1111-refinement``, 44 assets) stays just below.
  Those two counts do not depend on ``seed``; with the default seed every other session has fewer
  than 40 assets.
- **Distinct bytes.** No two files are byte-identical (the catalog keys files by content hash).

The module imports nothing from ``api``; it needs only Pillow and numpy.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

from engine.analysis import Intent, LineageKind

ARTIST_UTC_OFFSET = timezone(timedelta(hours=1))
"""The artist's local time zone (CET in February); only A1111's date folder names use it."""

COMFYUI_OUTPUT_DIR = "ComfyUI/output"
A1111_OUTPUT_DIR = "stable-diffusion-webui/outputs/txt2img-images"
PIXEL_LONG_SIDE_PX = 256
_GRAIN_PX = 8

COMFYUI = "comfyui"
A1111 = "a1111"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------------------------------
# Public ground truth
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSession:
    """One creative session of the ground truth.

    ``file_names`` are POSIX paths relative to the library root, in generation order.
    ``intent`` is an :class:`engine.analysis.Intent` value (a ``str``).
    """

    key: str
    tool: str
    intent: str
    file_names: tuple[str, ...]


@dataclass(frozen=True)
class DemoImage:
    """The ground truth of one file, with values spelled the way the tool writes them.

    ``width``/``height`` are the generation size (``EmptyLatentImage`` / ``Size:``); for ComfyUI
    img2img it is the input image's size, which the graph itself does not state, and ``None`` for
    (model) upscales, which have no latent size. ``upscale_factor`` multiplies it (hires fix,
    upscalers).
    ``seed``/``cfg_scale``/``steps``/``sampler``/``scheduler`` belong to the first (base) sampling
    pass; ``denoise`` is the img2img strength or the hires pass's denoise. ``source_image`` is the
    base name of the input image (``LoadImage`` / the hires-fixed original), which may lie in an
    earlier session (the engine's lineage only links within a session). ``lineage_kind`` is an
    :class:`engine.analysis.LineageKind` value: ``img2img``/``upscale`` with a ``source_image``, or
    ``param_sweep`` for every member of a CFG, steps or LoRA-weight sweep (no single parent file).
    """

    file_name: str
    session_key: str
    tool: str
    created_at: datetime
    concept: str
    kind: str
    """``txt2img``, ``img2img``, ``hires``, ``upscale`` (model only) or ``upscale_refine``."""
    prompt: str | None
    negative_prompt: str | None
    seed: int | None
    cfg_scale: float | None
    steps: int | None
    sampler: str | None
    scheduler: str | None
    model: str | None
    loras: tuple[tuple[str, float], ...]
    width: int | None
    height: int | None
    batch_size: int
    batch_index: int
    denoise: float | None = None
    upscale_factor: float | None = None
    hires_steps: int | None = None
    upscaler: str | None = None
    source_image: str | None = None
    lineage_kind: str | None = None

    @property
    def base_name(self) -> str:
        return self.file_name.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class DemoLibrary:
    root: Path
    sessions: tuple[DemoSession, ...]
    file_count: int
    images: tuple[DemoImage, ...] = ()
    """Every file's ground truth, in generation order."""

    def image(self, file_name: str) -> DemoImage:
        """The ground truth of one file, by its root-relative path."""
        for image in self.images:
            if image.file_name == file_name:
                return image
        raise KeyError(file_name)


# --------------------------------------------------------------------------------------------------
# Concepts: what the artist paints, and how its thumbnails look
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Concept:
    key: str
    subject: str
    palette: tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]
    """Gradient start, gradient end, shape colour."""
    shape: str
    gradient_angle: float
    """Radians."""
    size: tuple[int, int]


_CONCEPTS: dict[str, _Concept] = {
    c.key: c
    for c in (
        _Concept(
            "neon_alley",
            "neon-lit alley at night, rain-slick cobblestones",
            ((15, 15, 45), (120, 20, 110), (20, 220, 230)),
            "bars",
            1.57,
            (832, 1216),
        ),
        _Concept(
            "pine_forest",
            "misty pine forest at dawn, soft fog between the trees",
            ((190, 200, 195), (40, 80, 55), (20, 45, 30)),
            "triangles",
            1.40,
            (1216, 832),
        ),
        _Concept(
            "desert_dunes",
            "desert dunes at golden hour, long shadows",
            ((120, 170, 220), (240, 200, 140), (215, 120, 50)),
            "arcs",
            1.75,
            (1216, 832),
        ),
        _Concept(
            "old_sailor",
            "portrait of an old sailor, weathered face, knitted cap",
            ((40, 60, 100), (25, 35, 60), (200, 150, 110)),
            "face",
            0.3,
            (832, 1216),
        ),
        _Concept(
            "coral_city",
            "underwater coral city, bioluminescent towers",
            ((10, 100, 120), (5, 20, 60), (250, 110, 90)),
            "bubbles",
            1.2,
            (1024, 1024),
        ),
        _Concept(
            "teapot",
            "ceramic teapot still life on a linen cloth",
            ((235, 232, 225), (180, 175, 170), (120, 170, 150)),
            "teapot",
            1.57,
            (1024, 1024),
        ),
        _Concept(
            "mountain_cabin",
            "snowy mountain cabin, warm window light, blue hour",
            ((40, 60, 120), (190, 205, 235), (250, 175, 70)),
            "cabin",
            1.57,
            (1216, 832),
        ),
        _Concept(
            "deco_robot",
            "art deco robot, brass and enamel, symmetrical",
            ((15, 15, 18), (40, 45, 50), (205, 165, 60)),
            "frames",
            0.0,
            (832, 1216),
        ),
        _Concept(
            "koi_pond",
            "koi pond in autumn, floating maple leaves, top-down view",
            ((25, 70, 80), (15, 40, 50), (240, 120, 30)),
            "koi",
            0.8,
            (1024, 1024),
        ),
        _Concept(
            "lighthouse",
            "lighthouse in a storm, crashing waves, dramatic sky",
            ((60, 65, 85), (140, 150, 165), (245, 235, 200)),
            "tower",
            1.57,
            (896, 1152),
        ),
    )
}

_STYLE_MODIFIERS = (
    "cinematic photo",
    "35mm film grain",
    "watercolor illustration",
    "oil painting",
    "isometric 3d render",
    "ukiyo-e woodblock print",
    "volumetric light",
    "dramatic rim lighting",
    "pastel palette",
    "high contrast",
    "wide angle",
    "macro lens",
    "overcast light",
    "highly detailed",
    "minimalist composition",
    "concept art",
    "matte painting",
    "analog photo",
    "studio ghibli style",
    "low poly",
)
_EXPLORATION_SIZES = ((1024, 1024), (832, 1216), (1216, 832), (896, 1152))

_NEGATIVE_COMFYUI = "blurry, lowres, watermark, text, jpeg artifacts"
_NEGATIVE_A1111 = "(worst quality, low quality:1.4), blurry, watermark, text, signature"

_COMFYUI_CHECKPOINT = "sd_xl_base_1.0.safetensors"
_COMFYUI_CHECKPOINT_ALT = "juggernautXL_v9Rundiffusionphoto2.safetensors"
_A1111_MODEL = "dreamshaperXL_v21TurboDPMSDE"
_A1111_MODEL_ALT = "juggernautXL_v9Rundiffusionphoto2"
_A1111_VERSION = "v1.10.1"
_UPSCALE_MODEL = "4x-UltraSharp.pth"
_A1111_HIRES_UPSCALER = "4x-UltraSharp"


# --------------------------------------------------------------------------------------------------
# Planning: the schedule of generations (pure, deterministic for a seed)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Look:
    """What a thumbnail looks like: a concept layout jittered by ``layout_seed``, then by
    ``detail_seed`` with strength ``detail_strength`` (0..1), contrast from ``cfg_scale``."""

    concept: str
    layout_seed: int
    detail_seed: int = 0
    detail_strength: float = 0.0
    cfg_scale: float = 7.0


@dataclass(frozen=True)
class _Planned:
    image: DemoImage
    look: _Look


@dataclass
class _Planner:
    """Lays out the sessions on a clock. All randomness comes from ``rng``."""

    rng: np.random.Generator
    now: datetime = _EPOCH
    comfy_counter: int = 1
    a1111_counters: dict[str, int] = field(default_factory=dict)
    planned: list[_Planned] = field(default_factory=list)
    sessions: list[DemoSession] = field(default_factory=list)
    _session_key: str = ""
    _session_tool: str = ""
    _session_start: int = 0
    _first_in_session: bool = True

    # ---- time -----------------------------------------------------------------------------------

    def start_session(self, key: str, tool: str, at: datetime) -> None:
        """Begin a session whose first image is written at ``at`` (UTC)."""
        self._session_key, self._session_tool = key, tool
        self._session_start = len(self.planned)
        self._first_in_session = True
        self.now = at

    def end_session(self, intent: Intent) -> None:
        names = tuple(p.image.file_name for p in self.planned[self._session_start :])
        self.sessions.append(DemoSession(self._session_key, self._session_tool, str(intent), names))

    def after_pause(self, minimum_minutes: float, maximum_minutes: float) -> datetime:
        """A session start: the last image time plus a pause, on a whole second."""
        pause_s = int(self.rng.integers(int(minimum_minutes * 60), int(maximum_minutes * 60) + 1))
        return self.now.replace(microsecond=0) + timedelta(seconds=pause_s)

    def _batch_times(self, batch_size: int) -> list[datetime]:
        """Times of one queued run: 10-240 s after the previous run (none for a session's first run);
        batch members are written 35 ms apart inside one wall-clock second."""
        if not self._first_in_session:
            gap_s = int(self.rng.integers(10, 241))
            self.now = self.now.replace(microsecond=0) + timedelta(seconds=gap_s)
        self._first_in_session = False
        first_ms = int(self.rng.integers(0, 1000 - 35 * batch_size))
        base = self.now.replace(microsecond=0)
        times = [base + timedelta(milliseconds=first_ms + 35 * i) for i in range(batch_size)]
        self.now = times[-1]
        return times

    # ---- seeds and names ------------------------------------------------------------------------

    def comfy_seed(self) -> int:
        return int(self.rng.integers(10**13, 2**50))

    def a1111_seed(self) -> int:
        return int(self.rng.integers(10**8, 2**32 - 8))

    def pick(self, options: tuple[str, ...], count: int) -> list[str]:
        indices = self.rng.choice(len(options), size=count, replace=False)
        return [options[int(i)] for i in indices]

    def _file_name(self, tool: str, at: datetime, seed: int | None) -> str:
        if tool == COMFYUI:
            name = f"{COMFYUI_OUTPUT_DIR}/ComfyUI_{self.comfy_counter:05}_.png"
            self.comfy_counter += 1
            return name
        day = at.astimezone(ARTIST_UTC_OFFSET).date().isoformat()
        counter = self.a1111_counters.get(day, 0)
        self.a1111_counters[day] = counter + 1
        return f"{A1111_OUTPUT_DIR}/{day}/{counter:05}-{seed}.png"

    # ---- runs -----------------------------------------------------------------------------------

    def run(self, template: DemoImage, look: _Look, *, batch_size: int = 1) -> list[_Planned]:
        """Queue one run of ``batch_size`` images. ComfyUI batches share one seed (one latent batch);
        A1111 batches use consecutive seeds, as the tools do."""
        out: list[_Planned] = []
        for index, at in enumerate(self._batch_times(batch_size)):
            seed = template.seed
            if self._session_tool == A1111 and seed is not None:
                seed += index
            image = replace(
                template,
                file_name=self._file_name(self._session_tool, at, seed),
                session_key=self._session_key,
                tool=self._session_tool,
                created_at=at,
                seed=seed,
                batch_size=batch_size,
                batch_index=index,
            )
            layout_seed = look.layout_seed + (index * 7919 if look.detail_strength == 0.0 else 0)
            detail_seed = look.detail_seed + index * 104729
            planned = _Planned(image, replace(look, layout_seed=layout_seed, detail_seed=detail_seed))
            self.planned.append(planned)
            out.append(planned)
        return out


def _template(tool: str, concept: str, **values: Any) -> DemoImage:
    defaults: dict[str, Any] = {
        "file_name": "",
        "session_key": "",
        "tool": tool,
        "created_at": _EPOCH,
        "concept": concept,
        "kind": "txt2img",
        "prompt": None,
        "negative_prompt": _NEGATIVE_COMFYUI if tool == COMFYUI else _NEGATIVE_A1111,
        "seed": None,
        "cfg_scale": None,
        "steps": None,
        "sampler": "dpmpp_2m" if tool == COMFYUI else "DPM++ 2M",
        "scheduler": "karras" if tool == COMFYUI else "Karras",
        "model": _COMFYUI_CHECKPOINT if tool == COMFYUI else _A1111_MODEL,
        "loras": (),
        "width": _CONCEPTS[concept].size[0],
        "height": _CONCEPTS[concept].size[1],
        "batch_size": 1,
        "batch_index": 0,
    }
    defaults.update(values)
    return DemoImage(**defaults)


def _exploration(p: _Planner, tool: str, concepts: tuple[str, ...], runs: int) -> None:
    """Prompts change a lot: every run has new styles, and each round of ``len(concepts)`` runs visits
    every concept once, in a shuffled order."""
    order: list[str] = []
    for _ in range(runs):
        if not order:
            order = [concepts[int(i)] for i in p.rng.permutation(len(concepts))]
        concept = order.pop()
        styles = p.pick(_STYLE_MODIFIERS, 2)
        width, height = _EXPLORATION_SIZES[int(p.rng.integers(0, len(_EXPLORATION_SIZES)))]
        seed = p.comfy_seed() if tool == COMFYUI else p.a1111_seed()
        cfg = float(p.rng.choice([5.0, 6.0, 6.5, 7.0, 7.5, 8.0]))
        steps = int(p.rng.choice([20, 25, 28, 30]))
        template = _template(
            tool,
            concept,
            prompt=f"{_CONCEPTS[concept].subject}, {', '.join(styles)}",
            seed=seed,
            cfg_scale=cfg,
            steps=steps,
            width=width,
            height=height,
        )
        batch = int(p.rng.choice([1, 1, 2])) if tool == COMFYUI else int(p.rng.choice([2, 3, 4]))
        p.run(template, _Look(concept, seed, cfg_scale=cfg), batch_size=batch)


def _refinement(p: _Planner, template: DemoImage, runs: int, *, batch_size: int = 1) -> list[_Planned]:
    """Same prompt and settings, new seed on every run."""
    out: list[_Planned] = []
    for _ in range(runs):
        seed = p.comfy_seed() if template.tool == COMFYUI else p.a1111_seed()
        image = replace(template, seed=seed)
        out += p.run(
            image, _Look(template.concept, seed, cfg_scale=template.cfg_scale or 7.0), batch_size=batch_size
        )
    return out


def _cfg_sweep(p: _Planner, chosen: _Planned, cfg_values: list[float]) -> list[_Planned]:
    """Fixed prompt and seed; only CFG changes."""
    out: list[_Planned] = []
    for cfg in cfg_values:
        image = replace(chosen.image, cfg_scale=cfg, lineage_kind=str(LineageKind.PARAM_SWEEP))
        out += p.run(image, replace(chosen.look, cfg_scale=cfg))
    return out


def _settings_sweep(p: _Planner, chosen: _Planned, changes: list[dict[str, Any]]) -> list[_Planned]:
    """Fixed prompt and seed; each run moves one setting of ``chosen`` (``steps`` or ``loras``, the
    LoRA weight): the same picture with slightly different fine detail. ``changes`` must not repeat
    ``chosen``'s own values (that run would write a byte-identical file)."""
    out: list[_Planned] = []
    for index, change in enumerate(changes):
        image = replace(chosen.image, lineage_kind=str(LineageKind.PARAM_SWEEP), **change)
        if image == replace(chosen.image, lineage_kind=image.lineage_kind):
            raise ValueError(f"a sweep run must change a setting: {change}")
        look = replace(chosen.look, detail_seed=chosen.look.detail_seed + 1 + index, detail_strength=0.04)
        out += p.run(image, look)
    return out


def _img2img(
    p: _Planner,
    source: _Planned,
    denoise: float,
    prompt_suffix: str,
    *,
    keep_setup: bool = False,
    cfg_scale: float = 6.5,
    steps: int = 30,
) -> _Planned:
    """A ComfyUI img2img of ``source``. By default with the stock checkpoint and sampler and no LoRA
    (the source may be an A1111 image); with ``keep_setup`` the source's ComfyUI checkpoint, LoRAs,
    sampler and negative prompt are kept."""
    seed = p.comfy_seed()
    src = source.image
    setup: dict[str, Any] = (
        {}
        if keep_setup
        else {
            "loras": (),
            "sampler": "dpmpp_2m",
            "scheduler": "karras",
            "model": _COMFYUI_CHECKPOINT,
            "negative_prompt": _NEGATIVE_COMFYUI,
        }
    )
    image = replace(
        src,
        kind="img2img",
        seed=seed,
        denoise=denoise,
        prompt=f"{src.prompt}{prompt_suffix}",
        steps=steps,
        cfg_scale=cfg_scale,
        source_image=src.base_name,
        lineage_kind=str(LineageKind.IMG2IMG),
        upscale_factor=None,
        hires_steps=None,
        upscaler=None,
        tool=COMFYUI,
        **setup,
    )
    look = replace(source.look, detail_seed=seed, detail_strength=denoise)
    return p.run(image, look)[0]


def _comfy_upscale(
    p: _Planner, source: _Planned, *, refine_denoise: float | None, upscaler: str = _UPSCALE_MODEL
) -> _Planned:
    """Model upscale x4 then scale by 0.5 (= x2); with ``refine_denoise`` a low-denoise KSampler pass.
    Pure model upscales are deterministic, so repeated attempts on one source compare upscalers
    (identical attempts would write byte-identical files)."""
    src = source.image
    if refine_denoise is None:
        image = replace(
            src,
            kind="upscale",
            prompt=None,
            negative_prompt=None,
            seed=None,
            cfg_scale=None,
            steps=None,
            sampler=None,
            scheduler=None,
            model=None,
            loras=(),
            width=None,
            height=None,
            denoise=None,
            upscale_factor=2.0,
            upscaler=upscaler,
            source_image=src.base_name,
            lineage_kind=str(LineageKind.UPSCALE),
            hires_steps=None,
        )
        look = replace(
            source.look,
            detail_seed=source.look.detail_seed + 1 + sum(map(ord, upscaler)),
            detail_strength=0.03,
        )
    else:
        seed = p.comfy_seed()
        image = replace(
            src,
            kind="upscale_refine",
            seed=seed,
            cfg_scale=5.5,
            steps=20,
            denoise=refine_denoise,
            upscale_factor=2.0,
            upscaler=_UPSCALE_MODEL,
            source_image=src.base_name,
            width=None,
            height=None,
            lineage_kind=str(LineageKind.UPSCALE),
            hires_steps=None,
            loras=(),
        )
        look = replace(source.look, detail_seed=seed, detail_strength=refine_denoise * 0.5)
    return p.run(image, look)[0]


def _plan(seed: int) -> _Planner:
    """Four evenings and a Sunday. Times are UTC; the artist's local time is UTC+1."""
    p = _Planner(rng=np.random.default_rng([0xA7E1, seed]))

    # Evening 1 — Monday: ComfyUI exploration, then (after dinner) a refinement run.
    p.start_session("e1-comfyui-exploration", COMFYUI, datetime(2026, 2, 23, 18, 34, 12, tzinfo=UTC))
    _exploration(
        p,
        COMFYUI,
        ("neon_alley", "coral_city", "old_sailor", "desert_dunes", "teapot", "lighthouse"),
        runs=24,
    )
    p.end_session(Intent.EXPLORATION)

    p.start_session("e1-comfyui-refinement", COMFYUI, p.after_pause(100, 150))
    neon = _template(
        COMFYUI,
        "neon_alley",
        cfg_scale=7.0,
        steps=30,
        prompt="neon-lit alley at night, rain-slick cobblestones, cinematic photo, "
        "volumetric light, reflections in puddles",
    )
    neon_runs = _refinement(p, neon, runs=24)
    p.end_session(Intent.REFINEMENT)

    # Evening 2 — Tuesday: CFG sweep on the favourite, img2img/upscale, then a switch to A1111.
    favourite = neon_runs[13]
    p.start_session("e2-comfyui-cfg-sweep", COMFYUI, datetime(2026, 2, 24, 18, 5, 40, tzinfo=UTC))
    sweep = _cfg_sweep(p, favourite, [5.0 + 0.5 * i for i in range(15)])
    p.end_session(Intent.OPTIMIZATION)

    chosen = sweep[3]  # CFG 6.5
    p.start_session("e2-comfyui-img2img-upscale", COMFYUI, p.after_pause(95, 130))
    variants = [
        _img2img(p, chosen, round(0.35 + 0.03 * i, 2), ", intricate details, wet neon signs")
        for i in range(10)
    ]
    best = variants[4]
    for upscaler in (_UPSCALE_MODEL, "4x_NMKD-Siax_200k.pth", "RealESRGAN_x4plus.pth"):
        _comfy_upscale(p, best, refine_denoise=None, upscaler=upscaler)
    for denoise in (0.3, 0.35):
        _comfy_upscale(p, best, refine_denoise=denoise)
    p.end_session(Intent.REFINEMENT)

    p.start_session("e2-a1111-exploration", A1111, p.after_pause(4, 12))
    _exploration(p, A1111, ("mountain_cabin", "koi_pond", "pine_forest", "deco_robot", "lighthouse"), runs=10)
    p.end_session(Intent.EXPLORATION)

    # Evening 3 — Thursday: A1111 refinement, a hires-fix pass, then ComfyUI convergent selection.
    p.start_session("e3-a1111-refinement", A1111, datetime(2026, 2, 26, 17, 48, 3, tzinfo=UTC))
    forest = _template(
        A1111,
        "pine_forest",
        cfg_scale=6.0,
        steps=28,
        model=_A1111_MODEL_ALT,
        prompt="misty pine forest at dawn, soft fog between the trees, god rays, <lora:add-detail-xl:0.8>",
        loras=(("add-detail-xl", 0.8),),
    )
    forest_runs = _refinement(p, forest, runs=7, batch_size=4)
    p.end_session(Intent.REFINEMENT)

    p.start_session("e3-a1111-hires-fix", A1111, p.after_pause(92, 120))
    for pick, scale in ((2, 1.5), (9, 1.5), (9, 2.0), (17, 1.5), (17, 2.0), (22, 2.0)):
        src = forest_runs[pick]
        image = replace(
            src.image,
            kind="hires",
            denoise=0.45,
            upscale_factor=scale,
            hires_steps=15,
            upscaler=_A1111_HIRES_UPSCALER,
            source_image=src.image.base_name,
            lineage_kind=str(LineageKind.UPSCALE),
        )
        p.run(image, replace(src.look, detail_seed=int(scale * 10), detail_strength=0.05))
    p.end_session(Intent.REFINEMENT)

    p.start_session("e3-comfyui-convergent", COMFYUI, p.after_pause(5, 9))
    _exploration(p, COMFYUI, ("deco_robot", "teapot", "coral_city", "old_sailor"), runs=10)
    robot = _template(
        COMFYUI,
        "deco_robot",
        cfg_scale=7.5,
        steps=28,
        prompt="art deco robot, brass and enamel, symmetrical, poster, gold leaf",
        loras=(("artdeco_style_xl.safetensors", 0.7),),
        model=_COMFYUI_CHECKPOINT_ALT,
        sampler="euler_ancestral",
        scheduler="normal",
    )
    _refinement(p, robot, runs=20)
    p.end_session(Intent.CONVERGENT_SELECTION)

    # Evening 4 — Saturday: ComfyUI afternoon, A1111 evening, ComfyUI img2img of an A1111 image.
    p.start_session("e4-comfyui-exploration", COMFYUI, datetime(2026, 2, 28, 13, 31, 27, tzinfo=UTC))
    _exploration(
        p,
        COMFYUI,
        ("lighthouse", "mountain_cabin", "pine_forest", "koi_pond", "desert_dunes", "neon_alley", "teapot"),
        runs=24,
    )
    p.end_session(Intent.EXPLORATION)

    p.start_session("e4-comfyui-hires-refinement", COMFYUI, p.after_pause(110, 160))
    lighthouse = _template(
        COMFYUI,
        "lighthouse",
        kind="hires",
        cfg_scale=6.0,
        steps=25,
        denoise=0.5,
        upscale_factor=1.5,
        hires_steps=14,
        sampler="dpmpp_2m_sde",
        prompt="lighthouse in a storm, crashing waves, dramatic sky, oil painting",
    )
    _refinement(p, lighthouse, runs=20)
    p.end_session(Intent.REFINEMENT)

    p.start_session("e4-a1111-cfg-sweep", A1111, p.after_pause(6, 10))
    koi = _template(
        A1111,
        "koi_pond",
        cfg_scale=7.0,
        steps=30,
        seed=p.a1111_seed(),
        prompt="koi pond in autumn, floating maple leaves, top-down view, ukiyo-e",
    )
    koi_planned = _Planned(koi, _Look("koi_pond", koi.seed or 0))
    _cfg_sweep(p, koi_planned, [float(c) for c in range(4, 13)])
    p.end_session(Intent.OPTIMIZATION)

    p.start_session("e4-a1111-refinement", A1111, p.after_pause(95, 120))
    koi_runs = _refinement(p, replace(koi, cfg_scale=8.0), runs=7, batch_size=4)
    p.end_session(Intent.REFINEMENT)

    p.start_session("e4-comfyui-img2img", COMFYUI, p.after_pause(8, 15))
    source = koi_runs[10]
    for i in range(14):
        _img2img(p, source, round(0.4 + 0.025 * i, 3), ", watercolor wash")
    p.end_session(Intent.REFINEMENT)

    # Evening 5 — Sunday: an A1111 afternoon of seed hunting, then a long ComfyUI portrait evening.
    p.start_session("e5-a1111-refinement", A1111, datetime(2026, 3, 1, 15, 52, 38, tzinfo=UTC))
    dunes = _template(
        A1111,
        "desert_dunes",
        cfg_scale=6.5,
        steps=30,
        prompt="desert dunes at golden hour, long shadows, aerial photo, <lora:add-detail-xl:0.5>",
        loras=(("add-detail-xl", 0.5),),
    )
    _refinement(p, dunes, runs=11, batch_size=4)
    p.end_session(Intent.REFINEMENT)

    p.start_session("e5-comfyui-portrait-evening", COMFYUI, p.after_pause(100, 140))
    _portrait_evening(p)
    p.end_session(Intent.REFINEMENT)
    return p


_PORTRAIT_LORA = "weathered_skin_xl.safetensors"
_PORTRAIT_STAGES: tuple[tuple[str, float, int, int], ...] = (
    # (prompt, LoRA weight, runs, batch size): each edit adds, removes or reweights a few terms.
    ("portrait of an old sailor, weathered face, knitted cap, cinematic photo, 85mm lens", 0.6, 3, 2),
    (
        "portrait of an old sailor, weathered face, knitted cap, grey stubble beard, deep wrinkles, "
        "cinematic photo, 85mm lens",
        0.6,
        4,
        1,
    ),
    (
        "portrait of an old sailor, weathered face, knitted cap, grey stubble beard, deep wrinkles, "
        "(piercing blue eyes:1.2), cinematic photo, 85mm lens",
        0.6,
        5,
        1,
    ),
    (
        "portrait of an old sailor, weathered face, knitted cap, grey stubble beard, deep wrinkles, "
        "(piercing blue eyes:1.2), rembrandt lighting, dark background, 85mm lens",
        0.8,
        5,
        1,
    ),
    (
        "portrait of an old sailor, weathered face, knitted cap, grey stubble beard, deep wrinkles, "
        "(piercing blue eyes:1.35), rembrandt lighting, dark background, (sea spray:0.8), 85mm lens",
        0.8,
        4,
        2,
    ),
    (
        "portrait of an old sailor, weathered face, knitted cap, grey stubble beard, deep wrinkles, "
        "(piercing blue eyes:1.3), yellow oilskin collar, rembrandt lighting, dark background, 85mm lens",
        0.7,
        5,
        1,
    ),
)


def _portrait_evening(p: _Planner) -> None:
    """One portrait refined for about two hours, in three acts.

    1. Prompt edits (``_PORTRAIT_STAGES``), the LoRA re-weighted along the way; each edit is first
       tried on the previous edit's favourite seed, then on new seeds.
    2. Two kept seeds: a CFG sweep, a steps sweep and a LoRA-weight check on the favourite (seed A),
       a short CFG check on the runner-up (seed B).
    3. img2img children of the keeper, img2img grandchildren of the best child, then model upscales
       and low-denoise upscale refinements of the best grandchild.
    """
    base = _template(
        COMFYUI,
        "old_sailor",
        model=_COMFYUI_CHECKPOINT_ALT,
        sampler="dpmpp_2m_sde",
        scheduler="karras",
        cfg_scale=6.0,
        steps=28,
    )
    favourites: list[_Planned] = []
    for prompt, lora_weight, runs, batch_size in _PORTRAIT_STAGES:
        template = replace(base, prompt=prompt, loras=((_PORTRAIT_LORA, lora_weight),))
        if favourites:  # the edit, on the last favourite's seed: a like-for-like comparison
            kept = favourites[-1]
            p.run(replace(template, seed=kept.image.seed), replace(kept.look, cfg_scale=6.0))
            runs -= 1
        stage = _refinement(p, template, runs, batch_size=batch_size)
        # a favourite whose seed alone reproduces it (a ComfyUI batch's later images need the batch)
        firsts = [planned for planned in stage if planned.image.batch_index == 0]
        favourites.append(firsts[len(firsts) // 2])

    seed_a, seed_b = favourites[-1], favourites[-2]
    cfg_sweep = _cfg_sweep(p, seed_a, [4.0, 4.5, 5.0, 5.5, 6.5, 7.0, 7.5, 8.0])
    steps_sweep = _settings_sweep(p, cfg_sweep[3], [{"steps": s} for s in (20, 24, 32, 36, 40)])
    keeper = steps_sweep[2]  # CFG 5.5, 32 steps
    lora_check = [{"loras": ((_PORTRAIT_LORA, w),)} for w in (0.5, 0.6, 0.8, 0.9)]
    _settings_sweep(p, keeper, lora_check)
    runner_up = replace(seed_b.image, prompt=keeper.image.prompt, loras=keeper.image.loras, steps=32)
    _cfg_sweep(p, _Planned(runner_up, seed_b.look), [5.0, 5.5, 6.0])

    children = [
        _img2img(p, keeper, d, ", (detailed skin texture:1.1)", keep_setup=True, cfg_scale=5.5, steps=32)
        for d in (0.3, 0.35, 0.4, 0.45, 0.5)
    ]
    grandchildren = [
        _img2img(p, children[2], d, ", sharp focus on the eyes", keep_setup=True, cfg_scale=5.5, steps=32)
        for d in (0.25, 0.3)
    ]
    best = grandchildren[1]
    for upscaler in (_UPSCALE_MODEL, "4x_NMKD-Siax_200k.pth"):
        _comfy_upscale(p, best, refine_denoise=None, upscaler=upscaler)
    for denoise in (0.3, 0.35):
        _comfy_upscale(p, best, refine_denoise=denoise)


# --------------------------------------------------------------------------------------------------
# ComfyUI graphs
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _NodeSpec:
    title: str
    outputs: tuple[tuple[str, str], ...]
    link_inputs: tuple[tuple[str, str], ...]
    widgets: tuple[str, ...]
    """Widget input names in UI order; ``control_after_generate`` is a UI-only widget."""


_NODE_SPECS: dict[str, _NodeSpec] = {
    "CheckpointLoaderSimple": _NodeSpec(
        "Load Checkpoint", (("MODEL", "MODEL"), ("CLIP", "CLIP"), ("VAE", "VAE")), (), ("ckpt_name",)
    ),
    "LoraLoader": _NodeSpec(
        "Load LoRA",
        (("MODEL", "MODEL"), ("CLIP", "CLIP")),
        (("model", "MODEL"), ("clip", "CLIP")),
        ("lora_name", "strength_model", "strength_clip"),
    ),
    "CLIPTextEncode": _NodeSpec(
        "CLIP Text Encode (Prompt)", (("CONDITIONING", "CONDITIONING"),), (("clip", "CLIP"),), ("text",)
    ),
    "EmptyLatentImage": _NodeSpec(
        "Empty Latent Image", (("LATENT", "LATENT"),), (), ("width", "height", "batch_size")
    ),
    "KSampler": _NodeSpec(
        "KSampler",
        (("LATENT", "LATENT"),),
        (
            ("model", "MODEL"),
            ("positive", "CONDITIONING"),
            ("negative", "CONDITIONING"),
            ("latent_image", "LATENT"),
        ),
        ("seed", "control_after_generate", "steps", "cfg", "sampler_name", "scheduler", "denoise"),
    ),
    "VAEDecode": _NodeSpec("VAE Decode", (("IMAGE", "IMAGE"),), (("samples", "LATENT"), ("vae", "VAE")), ()),
    "VAEEncode": _NodeSpec("VAE Encode", (("LATENT", "LATENT"),), (("pixels", "IMAGE"), ("vae", "VAE")), ()),
    "SaveImage": _NodeSpec("Save Image", (), (("images", "IMAGE"),), ("filename_prefix",)),
    "LoadImage": _NodeSpec("Load Image", (("IMAGE", "IMAGE"), ("MASK", "MASK")), (), ("image", "upload")),
    "UpscaleModelLoader": _NodeSpec(
        "Load Upscale Model", (("UPSCALE_MODEL", "UPSCALE_MODEL"),), (), ("model_name",)
    ),
    "ImageUpscaleWithModel": _NodeSpec(
        "Upscale Image (using Model)",
        (("IMAGE", "IMAGE"),),
        (("upscale_model", "UPSCALE_MODEL"), ("image", "IMAGE")),
        (),
    ),
    "ImageScaleBy": _NodeSpec(
        "Upscale Image By", (("IMAGE", "IMAGE"),), (("image", "IMAGE"),), ("upscale_method", "scale_by")
    ),
    "LatentUpscaleBy": _NodeSpec(
        "Upscale Latent By", (("LATENT", "LATENT"),), (("samples", "LATENT"),), ("upscale_method", "scale_by")
    ),
}

_Graph = dict[str, dict[str, Any]]


def _node(class_type: str, **inputs: Any) -> dict[str, Any]:
    return {"inputs": inputs, "class_type": class_type, "_meta": {"title": _NODE_SPECS[class_type].title}}


def _comfy_api_graph(image: DemoImage) -> _Graph:
    """The API-format graph (``prompt`` chunk) for one ComfyUI image, with the default workflow's ids."""
    graph: _Graph = {}
    save_source: list[Any]
    if image.kind == "upscale":
        graph["10"] = _node("LoadImage", image=image.source_image)
        graph["11"] = _node("UpscaleModelLoader", model_name=image.upscaler)
        graph["12"] = _node("ImageUpscaleWithModel", upscale_model=["11", 0], image=["10", 0])
        graph["13"] = _node(
            "ImageScaleBy",
            upscale_method="lanczos",
            scale_by=(image.upscale_factor or 4) / 4,
            image=["12", 0],
        )
        graph["9"] = _node("SaveImage", filename_prefix="ComfyUI", images=["13", 0])
        return dict(sorted(graph.items(), key=lambda item: int(item[0])))

    clip_source: list[Any] = ["4", 1]
    model_source: list[Any] = ["4", 0]
    graph["4"] = _node("CheckpointLoaderSimple", ckpt_name=image.model)
    for index, (lora, weight) in enumerate(image.loras):
        node_id = str(20 + index)
        graph[node_id] = _node(
            "LoraLoader",
            lora_name=lora,
            strength_model=weight,
            strength_clip=weight,
            model=model_source,
            clip=clip_source,
        )
        model_source, clip_source = [node_id, 0], [node_id, 1]
    graph["6"] = _node("CLIPTextEncode", text=image.prompt, clip=clip_source)
    graph["7"] = _node("CLIPTextEncode", text=image.negative_prompt, clip=clip_source)

    latent: list[Any]
    first_denoise = 1.0
    if image.kind == "img2img":
        graph["10"] = _node("LoadImage", image=image.source_image)
        graph["11"] = _node("VAEEncode", pixels=["10", 0], vae=["4", 2])
        latent, first_denoise = ["11", 0], image.denoise or 1.0
    elif image.kind == "upscale_refine":
        graph["10"] = _node("LoadImage", image=image.source_image)
        graph["12"] = _node("UpscaleModelLoader", model_name=image.upscaler)
        graph["13"] = _node("ImageUpscaleWithModel", upscale_model=["12", 0], image=["10", 0])
        graph["14"] = _node(
            "ImageScaleBy",
            upscale_method="lanczos",
            scale_by=(image.upscale_factor or 4) / 4,
            image=["13", 0],
        )
        graph["11"] = _node("VAEEncode", pixels=["14", 0], vae=["4", 2])
        latent, first_denoise = ["11", 0], image.denoise or 1.0
    else:
        graph["5"] = _node(
            "EmptyLatentImage", width=image.width, height=image.height, batch_size=image.batch_size
        )
        latent = ["5", 0]
    graph["3"] = _node(
        "KSampler",
        seed=image.seed,
        steps=image.steps,
        cfg=image.cfg_scale,
        sampler_name=image.sampler,
        scheduler=image.scheduler,
        denoise=first_denoise,
        model=model_source,
        positive=["6", 0],
        negative=["7", 0],
        latent_image=latent,
    )
    save_source = ["3", 0]
    if image.kind == "hires":
        graph["15"] = _node(
            "LatentUpscaleBy", upscale_method="nearest-exact", scale_by=image.upscale_factor, samples=["3", 0]
        )
        graph["16"] = _node(
            "KSampler",
            seed=image.seed,
            steps=image.hires_steps,
            cfg=image.cfg_scale,
            sampler_name=image.sampler,
            scheduler=image.scheduler,
            denoise=image.denoise,
            model=model_source,
            positive=["6", 0],
            negative=["7", 0],
            latent_image=["15", 0],
        )
        save_source = ["16", 0]
    graph["8"] = _node("VAEDecode", samples=save_source, vae=["4", 2])
    graph["9"] = _node("SaveImage", filename_prefix="ComfyUI", images=["8", 0])
    return dict(sorted(graph.items(), key=lambda item: int(item[0])))


def _execution_order(graph: _Graph) -> list[str]:
    """Node ids in a topological order (inputs before consumers), ties by numeric id."""
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(graph):
        for node_id in graph:
            if node_id in placed:
                continue
            sources = {v[0] for v in graph[node_id]["inputs"].values() if isinstance(v, list)}
            if sources <= placed:
                order.append(node_id)
                placed.add(node_id)
    return order


def _comfy_ui_workflow(graph: _Graph, workflow_id: str) -> dict[str, Any]:
    """A reduced UI-format graph consistent with ``graph``: nodes with typed inputs/outputs and
    widget values, and links as ``[id, origin_id, origin_slot, target_id, target_slot, type]``."""
    order = _execution_order(graph)
    nodes: dict[str, dict[str, Any]] = {}
    for position, node_id in enumerate(order):
        spec = _NODE_SPECS[graph[node_id]["class_type"]]
        inputs = graph[node_id]["inputs"]
        widgets: list[Any] = []
        for name in spec.widgets:
            if name == "control_after_generate":
                widgets.append("randomize")
            elif name == "upload":
                widgets.append("image")
            else:
                widgets.append(inputs[name])
        nodes[node_id] = {
            "id": int(node_id),
            "type": graph[node_id]["class_type"],
            "pos": [60 + 330 * (position % 5), 80 + 300 * (position // 5)],
            "size": [315, 262 if spec.widgets else 46],
            "flags": {},
            "order": position,
            "mode": 0,
            "inputs": [{"name": n, "type": t, "link": None} for n, t in spec.link_inputs],
            "outputs": [
                {"name": n, "type": t, "links": [], "slot_index": i} for i, (n, t) in enumerate(spec.outputs)
            ],
            "properties": {"Node name for S&R": graph[node_id]["class_type"]},
            "widgets_values": widgets,
        }
    links: list[list[Any]] = []
    for node_id in order:
        spec = _NODE_SPECS[graph[node_id]["class_type"]]
        for slot, (name, link_type) in enumerate(spec.link_inputs):
            origin_id, origin_slot = graph[node_id]["inputs"][name]
            link_id = len(links) + 1
            links.append([link_id, int(origin_id), origin_slot, int(node_id), slot, link_type])
            nodes[node_id]["inputs"][slot]["link"] = link_id
            nodes[origin_id]["outputs"][origin_slot]["links"].append(link_id)
    return {
        "id": workflow_id,
        "revision": 0,
        "last_node_id": max(int(n) for n in graph),
        "last_link_id": len(links),
        "nodes": [nodes[n] for n in order],
        "links": links,
        "groups": [],
        "config": {},
        "extra": {"ds": {"scale": 0.8264462809917354, "offset": [112.5, 46.25]}, "frontendVersion": "1.28.7"},
        "version": 0.4,
    }


def _workflow_id(image: DemoImage) -> str:
    """A stable UUID-shaped id for the UI workflow (the user keeps one workflow per session)."""
    digest = abs(_fnv1a_128(image.session_key + image.kind))
    hex32 = f"{digest:032x}"[-32:]
    return f"{hex32[:8]}-{hex32[8:12]}-4{hex32[13:16]}-a{hex32[17:20]}-{hex32[20:]}"


def _fnv1a_128(text: str) -> int:
    """A process-independent 128-bit FNV-1a hash (``hash()`` is salted per process)."""
    value = 0x6C62272E07BB014262B821756295C58D
    for byte in text.encode():
        value ^= byte
        value = (value * 0x0000000001000000000000000000013B) % (1 << 128)
    return value


def _comfy_pnginfo(image: DemoImage) -> PngInfo:
    graph = _comfy_api_graph(image)
    info = PngInfo()
    info.add_text("prompt", json.dumps(graph))
    info.add_text("workflow", json.dumps(_comfy_ui_workflow(graph, _workflow_id(image))))
    return info


# --------------------------------------------------------------------------------------------------
# A1111 infotext
# --------------------------------------------------------------------------------------------------


def _a1111_quote(value: str) -> str:
    """A1111's ``infotext_utils.quote``: JSON-quote values containing ``,``, ``:`` or a newline."""
    if "," not in value and "\n" not in value and ":" not in value:
        return value
    return json.dumps(value, ensure_ascii=False)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _short_model_hash(name: str) -> str:
    """A stand-in for A1111's 10-hex-digit ``Model hash`` (sha256 prefix), stable per name."""
    return f"{_fnv1a_128('model:' + name):032x}"[:10]


def a1111_infotext(image: DemoImage) -> str:
    """The ``parameters`` text exactly as A1111 v1.10 writes it (``processing.create_infotext``)."""
    params: list[tuple[str, str]] = [
        ("Steps", str(image.steps)),
        ("Sampler", str(image.sampler)),
        ("Schedule type", str(image.scheduler)),
        ("CFG scale", _number(image.cfg_scale or 0.0)),
        ("Seed", str(image.seed)),
        ("Size", f"{image.width}x{image.height}"),
        ("Model hash", _short_model_hash(str(image.model))),
        ("Model", str(image.model)),
    ]
    if image.kind == "hires":
        params.append(("Denoising strength", _number(image.denoise or 0.0)))
        params += [
            ("Hires upscale", _number(image.upscale_factor or 1.0)),
            ("Hires steps", str(image.hires_steps)),
            ("Hires upscaler", str(image.upscaler)),
        ]
    if image.loras:
        hashes = ", ".join(f"{name}: {_short_model_hash(name)[:12]}" for name, _ in image.loras)
        params.append(("Lora hashes", _a1111_quote(hashes)))
    params.append(("Version", _A1111_VERSION))
    settings = ", ".join(f"{key}: {value}" for key, value in params)
    return f"{image.prompt}\nNegative prompt: {image.negative_prompt}\n{settings}"


def _a1111_pnginfo(image: DemoImage) -> PngInfo:
    info = PngInfo()
    info.add_text("parameters", a1111_infotext(image))
    return info


# --------------------------------------------------------------------------------------------------
# Pixels
# --------------------------------------------------------------------------------------------------


def _pixel_size(width: int, height: int) -> tuple[int, int]:
    scale = PIXEL_LONG_SIDE_PX / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _render(look: _Look, size_px: tuple[int, int]) -> Image.Image:
    """Gradient + concept shapes + grain. Same concept -> same palette and layout family."""
    concept = _CONCEPTS[look.concept]
    w, h = size_px
    layout = np.random.default_rng([sum(map(ord, concept.key)), look.layout_seed % (1 << 63)])
    detail = np.random.default_rng([look.detail_seed % (1 << 63), 17])

    def jitter(scale: float, count: int = 1) -> np.ndarray:
        return layout.normal(0.0, scale, count) + detail.normal(0.0, scale, count) * look.detail_strength

    c0, c1, c2 = (np.array(c, dtype=np.float32) for c in concept.palette)
    angle = concept.gradient_angle + float(jitter(0.2)[0])
    xs = (np.arange(w, dtype=np.float32) / w - 0.5)[None, :]
    ys = (np.arange(h, dtype=np.float32) / h - 0.5)[:, None]
    t = xs * math.cos(angle) + ys * math.sin(angle)
    t = np.clip(t / max(abs(math.cos(angle)) + abs(math.sin(angle)), 1e-3) + 0.5, 0.0, 1.0)
    canvas = Image.fromarray((c0 * (1 - t[..., None]) + c1 * t[..., None]).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(canvas)
    for box, colour in _shapes(concept, jitter, c2):
        x0, y0, x1, y1, kind = box
        xy = [(x0 * w, y0 * h), (x1 * w, y1 * h)]
        xy_sorted = [
            (min(xy[0][0], xy[1][0]), min(xy[0][1], xy[1][1])),
            (max(xy[0][0], xy[1][0]), max(xy[0][1], xy[1][1])),
        ]
        if kind == "ellipse":
            draw.ellipse(xy_sorted, fill=colour)
        elif kind == "triangle":
            draw.polygon([((x0 + x1) / 2 * w, y0 * h), (x0 * w, y1 * h), (x1 * w, y1 * h)], fill=colour)
        else:
            draw.rectangle(xy_sorted, fill=colour)
    pixels = np.asarray(canvas, dtype=np.float32)
    contrast = 0.75 + 0.05 * (look.cfg_scale - 4.0)
    pixels = (pixels - pixels.mean()) * contrast + pixels.mean()
    # Grain in 8 px cells: texture that still compresses (per-pixel noise makes PNG encoding slow).
    cells = detail.normal(0.0, 5.0 + 6.0 * look.detail_strength, (h // _GRAIN_PX + 1, w // _GRAIN_PX + 1, 3))
    grain = np.repeat(np.repeat(cells, _GRAIN_PX, axis=0), _GRAIN_PX, axis=1)[:h, :w]
    pixels += grain.astype(np.float32)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def _shapes(
    concept: _Concept, jitter: Any, colour: np.ndarray
) -> Iterator[tuple[tuple[float, float, float, float, str], tuple[int, int, int]]]:
    """Boxes in relative coordinates ``(x0, y0, x1, y1, kind)`` with a fill colour."""

    def fill(shade: float) -> tuple[int, int, int]:
        rgb = np.clip(colour * shade + jitter(8.0, 3), 0, 255)
        return int(rgb[0]), int(rgb[1]), int(rgb[2])

    layouts: dict[str, list[tuple[float, float, float, float, str]]] = {
        "bars": [(0.1 + 0.2 * i, 0.2, 0.16 + 0.2 * i, 0.95, "rect") for i in range(4)],
        "triangles": [(0.05 + 0.22 * i, 0.25, 0.3 + 0.22 * i, 0.95, "triangle") for i in range(4)],
        "arcs": [(-0.2, 0.55, 0.7, 1.2, "ellipse"), (0.3, 0.65, 1.3, 1.3, "ellipse")],
        "face": [(0.25, 0.2, 0.75, 0.7, "ellipse"), (0.2, 0.65, 0.8, 1.05, "rect")],
        "bubbles": [
            (0.1 + 0.15 * i, 0.15 + 0.12 * (i % 3), 0.2 + 0.15 * i, 0.25 + 0.12 * (i % 3), "ellipse")
            for i in range(5)
        ]
        + [(0.3, 0.5, 0.45, 1.0, "rect"), (0.55, 0.4, 0.7, 1.0, "rect")],
        "teapot": [
            (0.3, 0.4, 0.7, 0.8, "ellipse"),
            (0.68, 0.5, 0.85, 0.58, "rect"),
            (0.0, 0.78, 1.0, 1.0, "rect"),
        ],
        "cabin": [
            (0.0, 0.2, 0.6, 0.9, "triangle"),
            (0.4, 0.1, 1.1, 0.9, "triangle"),
            (0.35, 0.65, 0.6, 0.85, "rect"),
        ],
        "frames": [
            (0.2 + 0.06 * i, 0.15 + 0.06 * i, 0.8 - 0.06 * i, 0.85 - 0.06 * i, "rect") for i in range(3)
        ],
        "koi": [
            (
                0.1 + 0.17 * i,
                0.2 + 0.14 * ((i * 2) % 5),
                0.25 + 0.17 * i,
                0.28 + 0.14 * ((i * 2) % 5),
                "ellipse",
            )
            for i in range(5)
        ],
        "tower": [
            (0.42, 0.25, 0.58, 0.85, "rect"),
            (0.38, 0.15, 0.62, 0.27, "rect"),
            (0.0, 0.82, 1.0, 1.0, "rect"),
        ],
    }
    for index, (x0, y0, x1, y1, kind) in enumerate(layouts[concept.shape]):
        dx, dy = (float(v) for v in jitter(0.03, 2))
        yield (x0 + dx, y0 + dy, x1 + dx, y1 + dy, kind), fill(1.0 - 0.12 * (index % 3))


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------


def _mtime_ns(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1) * 1000


def _write_one(root: Path, planned: _Planned) -> None:
    image = planned.image
    if image.width is not None and image.height is not None:
        width, height = image.width, image.height
    else:
        width, height = _CONCEPTS[image.concept].size
    pixels = _render(planned.look, _pixel_size(width, height))
    path = root / image.file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    if image.tool == COMFYUI:
        pixels.save(path, format="PNG", pnginfo=_comfy_pnginfo(image), compress_level=4)
    else:
        pixels.save(path, format="PNG", pnginfo=_a1111_pnginfo(image))
    stamp = _mtime_ns(image.created_at)
    os.utime(path, ns=(stamp, stamp))


def plan_demo_library(root: Path, *, seed: int = 7) -> DemoLibrary:
    """The ground truth ``write_demo_library`` would write, without touching the disk."""
    planner = _plan(seed)
    images = tuple(p.image for p in planner.planned)
    return DemoLibrary(
        root=Path(root), sessions=tuple(planner.sessions), file_count=len(images), images=images
    )


def write_demo_library(target: Path, *, seed: int = 7) -> DemoLibrary:
    """Write the demo library under ``target`` (created if needed) and return its ground truth."""
    root = Path(target)
    planner = _plan(seed)
    for planned in planner.planned:
        _write_one(root, planned)
    images = tuple(p.image for p in planner.planned)
    return DemoLibrary(root=root, sessions=tuple(planner.sessions), file_count=len(images), images=images)
