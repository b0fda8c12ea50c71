"""SwarmUI: JSON with ``sui_image_params`` in PNG ``parameters`` or EXIF ``UserComment`` (2023 StableSwarmUI
builds: PNG ``Parameters``, EXIF ``Model`` or ``Copyright``, :func:`find_document`).

Parameter ids changed over versions: the sampler is ``sampler`` (0.9+), ``comfyuisampler`` (StableSwarmUI's
ComfyUI backend) or ``autowebuisampler`` (its auto-webui backend, A1111 sampler names); the scheduler
``scheduler`` or ``comfyuischeduler``. List values (``loras``, ``loraweights``) are JSON lists or, as
``docs/Image Metadata Format.md`` allows, one comma-separated string.

Denoise: ``initimagecreativity`` (image-to-image: how much the init image is changed) when above 0
(Swarm also writes ``0.0`` with no init image); else the refiner's ``refinercontrolpercentage`` when
its pass re-noises the first pass's image — ``refinermethod`` ``PostApply`` (the default), the Swarm
counterpart of an A1111 hires pass (``StepSwap`` hands the steps to another model: a switch point, no
denoise). ``width``/``height`` stay the generation size the params record; when the refiner's
percentage is the denoise, its upscale factor (``refinerupscale``, 1 when absent) is kept in
``extra["hires_upscale"]``, as an A1111 hires factor is: it marks that denoise as a later pass of a
txt2img, not an edit of an unnamed image (``engine.sessions.phases``).

Stealth: with the user setting ``stealthMetadata`` ``alpha`` / ``rgb`` (``src/Media/ImageFile.cs``
``ConvertTo``, PNG or WEBP) Swarm also hides the same JSON in the pixels' lowest bits
(``src/Utils/MetadataHelper.cs``: ``stealth_pngcomp`` / ``stealth_rgbcomp``, gzip, the layout of A1111's
stealth-pnginfo); a file whose chunks were stripped keeps only that copy, read by
:func:`reading_from_document` via :mod:`engine.metadata.stealth`.

Time: ``sui_extra_data.date`` (older versions: ``sui_image_params.date``) is a DATE ONLY
(``yyyy-MM-dd``), read at day precision and combined with the mtime by ``timestamps``.
``generation_time`` / ``prep_time`` are durations and are kept in ``extra`` only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.metadata.jsontext import try_json_object
from engine.metadata.limits import MAX_LORAS
from engine.metadata.loras import dedupe, listed_items
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading, ToolTime, note_error
from engine.metadata.values import as_float, as_int, as_text
from engine.records import LoraRef, TimePrecision

_DOCUMENT_PLACES = (("text", "parameters"), ("text", "Parameters"), ("exif", "UserComment"))
_LEGACY_EXIF_PLACES = ("Model", "Copyright")
"""Where StableSwarmUI (2023) put the JSON before ``UserComment``: the first ``Image.ConvertTo``
(``src/Utils/Image.cs``) set ``ExifTag.Copyright`` for every format (ImageSharp writes a PNG's EXIF as an
``eXIf`` chunk); later builds read it back from ``ExifTag.Model`` (``GetMetadata``), where the versions
between wrote it. Its PNG text keyword was first ``Parameters`` (``TextData.Add(new("Parameters", …))``),
read back case-insensitively; today's is ``parameters``."""


def find_document(raw: RawMetadata) -> dict[str, Any] | None:
    """The Swarm JSON from the PNG ``parameters`` text (``Parameters`` in 2023 builds), EXIF ``UserComment``,
    or — 2023 builds — EXIF ``Model`` / ``Copyright`` (:data:`_LEGACY_EXIF_PLACES`); only a JSON object
    holding ``sui_image_params`` counts, so a camera's model or a copyright line never does."""
    texts = [raw.texts.get(key) if where == "text" else raw.exif.get(key) for where, key in _DOCUMENT_PLACES]
    texts += [raw.exif.get(key) for key in _LEGACY_EXIF_PLACES]
    for text in texts:
        if isinstance(text, str) and "sui_image_params" in text:
            document = try_json_object(text)
            if document is not None and is_document(document):
                return document
    return None


def read(raw: RawMetadata) -> ToolReading | None:
    document = find_document(raw)
    if document is None:
        return None
    return reading_from_document(document)


def is_document(document: dict[str, Any]) -> bool:
    """Whether a parsed JSON object is Swarm's metadata: ``sui_image_params`` holding an object."""
    return isinstance(document.get("sui_image_params"), dict)


def reading_from_document(document: dict[str, Any]) -> ToolReading:
    """The reading of Swarm's metadata JSON (``sui_image_params`` an object), wherever it was found: the
    PNG ``parameters`` chunk, EXIF ``UserComment``, or the stealth copy that
    ``MetadataHelper.EncodeStealthMetadata`` hides in the pixels (:mod:`engine.metadata.stealth`)."""
    params: dict[str, Any] = document["sui_image_params"]
    extra_data = document.get("sui_extra_data")
    extra_data = extra_data if isinstance(extra_data, dict) else {}
    reading = ToolReading()
    rec = reading.record
    rec.tool = "swarmui"
    rec.prompt = as_text(params.get("prompt"))
    rec.negative_prompt = as_text(params.get("negativeprompt"))
    rec.model = as_text(params.get("model"))
    rec.seed = as_int(params.get("seed"))
    rec.steps = as_int(params.get("steps"))
    rec.cfg_scale = as_float(params.get("cfgscale"))
    rec.width = as_int(params.get("width"))
    rec.height = as_int(params.get("height"))
    rec.sampler = _first_text(params, _SAMPLER_KEYS)
    rec.scheduler = _first_text(params, _SCHEDULER_KEYS)
    rec.denoise = _init_image_creativity(params)
    if rec.denoise is None:
        rec.denoise = _refiner_denoise(params)
        if rec.denoise is not None:
            # the factor marks the denoise as a later pass of a txt2img (as an A1111 hires factor does)
            rec.extra["hires_upscale"] = as_float(params.get("refinerupscale")) or 1.0
    rec.loras = _loras(params)
    rec.extra["sui_image_params"] = params
    rec.extra["sui_extra_data"] = extra_data
    if "sui_models" in document:
        rec.extra["sui_models"] = document["sui_models"]
    date_text = extra_data.get("date", params.get("date"))
    if isinstance(date_text, str):
        try:
            day = datetime.strptime(date_text.strip()[:10], "%Y-%m-%d")
        except ValueError:
            note_error(reading, f"swarmui: unparseable date {date_text[:30]!r}")
        else:
            field = "sui_extra_data.date" if "date" in extra_data else "sui_image_params.date"
            reading.time = ToolTime(day, field, TimePrecision.DAY)
    return reading


_REFINER_DENOISING_METHODS = ("PostApply",)
"""``refinermethod`` values whose ``refinercontrolpercentage`` is a denoise (Swarm's ``T2IParamTypes``
RefinerMethod: ``PostApply`` re-noises the finished first pass; ``StepSwap`` / ``StepSwapNoisy`` swap
models at a step fraction)."""


def _init_image_creativity(params: dict[str, Any]) -> float | None:
    """An image-to-image's denoise: ``initimagecreativity`` when above 0 (module docstring)."""
    creativity = as_float(params.get("initimagecreativity"))
    return creativity if creativity is not None and creativity > 0 else None


def _refiner_denoise(params: dict[str, Any]) -> float | None:
    """The refiner pass's denoise: ``refinercontrolpercentage`` when its ``refinermethod`` (default
    ``PostApply``) re-noises the finished image, else ``None``."""
    method = as_text(params.get("refinermethod")) or "PostApply"
    refiner = as_float(params.get("refinercontrolpercentage"))
    return refiner if method in _REFINER_DENOISING_METHODS else None


_SAMPLER_KEYS = ("sampler", "comfyuisampler", "autowebuisampler")
"""Sampler parameter ids, newest first: SwarmUI 0.9+, then StableSwarmUI's ComfyUI and auto-webui backends."""
_SCHEDULER_KEYS = ("scheduler", "comfyuischeduler")


def _first_text(params: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first of ``keys`` holding text; an image has at most one of them (one backend ran it)."""
    for key in keys:
        text = as_text(params.get(key))
        if text is not None:
            return text
    return None


def _list_value(value: Any) -> list[Any]:
    """A Swarm list parameter's items: a JSON list as is, or a comma-separated string split (older builds);
    the first :data:`~engine.metadata.limits.MAX_LORAS` of them."""
    if isinstance(value, list):
        return value[:MAX_LORAS]
    if isinstance(value, str):
        return [item.strip() for item in listed_items(value)]
    return []


def _loras(params: dict[str, Any]) -> tuple[LoraRef, ...]:
    """``loras`` paired by position with ``loraweights`` (a missing weight is ``None``); entries that are not
    a non-empty name are skipped without shifting the pairing."""
    names = _list_value(params.get("loras"))
    weights = _list_value(params.get("loraweights"))
    refs = [
        LoraRef(name.strip(), as_float(weights[index]) if index < len(weights) else None)
        for index, name in enumerate(names)
        if isinstance(name, str) and name.strip()
    ]
    return dedupe(refs)
