"""The A1111 family: infotext in PNG ``parameters`` or EXIF ``UserComment`` — or, after an image
editor re-saved the file, in its comment (:func:`infotext_source`). An Extras-tab output that holds only
the postprocess pairs (``Postprocess upscale by: …``) is read as well: no prompt, the pairs in ``extra``.

Tool ids from markers in the parameter line (checked in this order):

- ``civitai``: ``Civitai resources`` / ``Civitai metadata`` / ``Created Date`` keys, or an ``urn:air:``
  resource; also Civitai LoRA-trainer samples (``Model: <model-version-id>.safetensors``, no seed).
- ``sdnext``: ``App: SD.Next``.
- ``reforge``: ``Version: f1.…`` (reForge numbers itself f1) or ``f<forge version>-v<A1111 version>…``
  with a hyphen before the ``v`` (reForge's ``launch_utils.git_tag`` = ``'f' + forge_version.version +
  '-' + git describe``, and its ``forge_version.version`` is ``1.7.0-v1.10.1RC`` in 2024,
  ``2.0.0dev-v1.10.1RC`` since 2025: ``f2.0.0dev-v1.10.1RC-latest-…``).
- ``forge``: ``Version: f2.…`` (Forge 2: ``f2.0.1v1.10.1-previous-…``, no hyphen before the ``v``),
  ``f0.…`` (early Forge), ``classic`` / ``neo…`` (Forge Classic / Neo forks).
- ``yodayo``: Yodayo/Moescape write a UUID as ``Model`` (their ``NGMS`` is A1111's own "negative
  guidance minimum sigma", written by any A1111 with that setting on, so it tells nothing).
- ``kritaai``: Krita AI Diffusion's "Save image" (``ai_diffusion/text.py`` ``create_img_metadata``, one
  uncompressed iTXt ``parameters`` after IHDR): no ``Version`` and the literal ``Model hash: unknown``
  (it writes no hash; A1111 writes a hex hash or no key). Its ``Sampler`` is the style's preset name
  (``Default - DPM++ 2M``), its ``Model`` the checkpoint file, its LoRA tags name files
  (``<lora:flux/detailer_v2.safetensors:0.8>``); newer versions end with ``Mode: Generate`` etc.
- ``comfyui``: ComfyUI save nodes that write infotext: ``Version: ComfyUI``, ``Lora_0 Model name``
  keys (SaveImageWithMetaData), or no ``Version`` with a ComfyUI sampler id (``euler_ancestral``)
  or a ``Model`` that is a file name (``….safetensors``; A1111 writes the bare model title).
- ``a1111`` otherwise.

LoRAs: the prompt's ``<lora:…>`` tags and ``Lora_N Model name`` rows; when those name none, the
``Hashes`` keys ``LORA:<name>`` (weight unknown) and the named LoRAs of ``Civitai resources``.

Only ``Created Date`` (Civitai, UTC) is a generation time; ``Time taken`` is a duration and stays in
``extra``. ``width``/``height`` are the generation ``Size`` (before any hires upscale); the hires
factor is in ``extra["hires_upscale"]`` and the real pixel size in ``ImageReadResult``.

An Extras-tab upscale of a generation (:func:`_extras_upscale`: the file keeps the generation's
infotext and adds the postprocess pairs ``Postprocess upscale by`` / ``Postprocess upscale to``, in PNG
``postprocessing`` / ``extras`` texts or as a last line of the text) is a new, derived file: its
``width``/``height`` are its pixel size when that is larger than ``Size`` in both sides (the upscale
the pairs name), the generation ``Size`` moves to ``extra["generation_size"]`` and the pairs to
``extra["postprocess"]``. Same prompt and seed at a larger size is how the lineage finds an upscale of
an earlier record (``engine.sessions.lineage``, rule 4); no parent file name is made up.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from engine.metadata.infotext import (
    Infotext,
    looks_like_infotext,
    looks_like_postprocess_text,
    parse_infotext,
    postprocess_pairs,
)
from engine.metadata.jsontext import JsonRefused, loads_bounded
from engine.metadata.loras import dedupe, inline_loras
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading, ToolTime, note_error
from engine.metadata.timestamps import parse_utc_offset
from engine.metadata.values import as_float, as_int
from engine.metadata.xmp import xmp_value
from engine.records import LoraRef, TimePrecision

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_SIZE = re.compile(r"^\s*(\d{1,6})\s*x\s*(\d{1,6})\s*$")
_COMFY_SAMPLER = re.compile(r"^[a-z0-9_]+$")
_TRAINER_MODEL = re.compile(r"^\d+\.safetensors$")
_MODEL_FILE = re.compile(r"\.(?:safetensors|ckpt|pt|pth|gguf|sft|bin)$", re.IGNORECASE)
_KRITA_MODEL_HASH = "unknown"
"""The ``Model hash`` Krita AI Diffusion's ``create_img_metadata`` always writes (module docstring)."""
_HASHED_LORA = "lora:"
"""The ``Hashes`` key prefix of a LoRA (``LORA:name`` from Lora Manager, ``lora:name`` from
SaveImageWithMetaData), compared in lower case."""
_REFORGE_VERSION = re.compile(r"^f\d+\.\d+\.\d+[a-z]*-v\d")
"""reForge's ``Version``: ``f`` + its forge version (``2.0.0dev-v1.10.1RC``, ``1.7.0-v1.10.1RC``), a hyphen
before the A1111 version. Forge 2 glues them (``f2.0.1v1.10.1-previous-669-…``), early Forge too
(``f0.0.17v1.8.0rc-latest-276-…``)."""
_ISO_UTC = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$")


def infotext_source(raw: RawMetadata) -> str | None:
    """The infotext in this file, if any: PNG ``parameters`` first, then EXIF ``UserComment``, then
    the copies editors and converters leave (:func:`_editor_copies`). JSON texts are never infotext.

    Failing those, an Extras-tab postprocess text alone (:func:`_postprocess_source`): a generation
    infotext anywhere in the file always wins over it."""
    candidates = (raw.texts.get("parameters"), raw.exif.get("UserComment"), *_editor_copies(raw))
    for text in candidates:
        if isinstance(text, str) and looks_like_infotext(text) and not text.lstrip().startswith("{"):
            return text
    return _postprocess_source(raw, candidates)


def _postprocess_source(raw: RawMetadata, candidates: tuple[object, ...]) -> str | None:
    """The Extras tab's own text when it is all the file holds: A1111's Extras writes only the
    postprocess pairs to a JPEG/WEBP ``UserComment``, and to a PNG a ``postprocessing`` (and legacy
    ``extras``) text next to the source's ``parameters`` — which a source without metadata lacks."""
    extras_texts = (raw.texts.get("postprocessing"), raw.texts.get("extras"))
    for text in (*candidates, *extras_texts):
        if isinstance(text, str) and looks_like_postprocess_text(text):
            return text
    return None


def _editor_copies(raw: RawMetadata) -> tuple[str, ...]:
    """Where a re-saved file keeps the infotext it came with, in this order:

    - the image comment: GIMP 2.10 loads a JPEG's ``UserComment`` (else ``ImageDescription``) as the
      comment and exports it as PNG ``Comment`` text or a JPEG ``COM`` marker
      (``libgimp/gimpimagemetadata.c``, ``file-png.c``, ``jpeg-save.c``); with Exif export off that is
      the only copy;
    - XMP ``exif:UserComment``: the XMP toolkit's EXIF import (``ReconcileTIFF.cpp``, what Photoshop
      runs on open) and Apple ImageIO (macOS Preview's PNG export) hold the UserComment there, and a
      PNG they write keeps no EXIF of its own;
    - the caption, where photo tools keep a description the artist moved the infotext into: XMP
      ``dc:description`` (Lightroom, Photoshop, digiKam; ``rdf:Alt`` x-default), IPTC
      ``Caption-Abstract`` (Photoshop / digiKam APP13), EXIF ``ImageDescription`` (digiKam's caption
      sync) and ``XPComment`` (Windows Explorer's "Comments").

    Any of them counts only when :func:`~engine.metadata.infotext.looks_like_infotext` holds (see
    :func:`infotext_source`): an ordinary caption is never taken for a prompt.
    """
    copies = (
        raw.texts.get("Comment"),
        *raw.comments,
        xmp_value(raw.xmp, "exif:UserComment"),
        xmp_value(raw.xmp, "dc:description"),
        raw.texts.get("iptc:Caption-Abstract"),
        raw.exif.get("ImageDescription"),
        raw.exif.get("XPComment"),
    )
    return tuple(text for text in copies if isinstance(text, str))


def read(raw: RawMetadata) -> ToolReading | None:
    text = infotext_source(raw)
    if text is None:
        return None
    return reading_from_infotext(text, raw)


def reading_from_infotext(text: str, raw: RawMetadata | None = None) -> ToolReading:
    """Fill a reading from infotext; the tool id comes from the markers (module docstring)."""
    info = parse_infotext(text)
    params = info.params
    reading = ToolReading()
    rec = reading.record
    rec.tool = family_tool(info, text, raw)
    rec.prompt = info.prompt
    rec.negative_prompt = info.negative_prompt
    rec.steps = as_int(params.get("Steps"))
    rec.sampler = params.get("Sampler") or None
    rec.scheduler = params.get("Schedule type") or None
    rec.cfg_scale = as_float(params.get("CFG scale", params.get("CFG Scale")))
    rec.seed = as_int(params.get("Seed"))
    rec.model = params.get("Model") or None
    # SD.Next writes its hires pass's denoise as ``Hires strength`` (A1111: ``Denoising strength``)
    rec.denoise = as_float(params.get("Denoising strength", params.get("Hires strength")))
    size = _SIZE.match(params.get("Size", ""))
    if size:
        rec.width, rec.height = int(size.group(1)), int(size.group(2))
    if raw is not None:
        _extras_upscale(reading, params, raw)
    rec.loras = dedupe(inline_loras(info.prompt, text_encoder_first=True) + _keyed_loras(params))
    named_in_text = bool(rec.loras)
    if not named_in_text:
        rec.loras = _hashed_loras(reading, params)
    rec.extra["parameters"] = dict(params)
    if info.params_truncated:
        note_error(reading, "a1111: parameter line longer than 1 MiB; the rest was ignored")
    hires = as_float(params.get("Hires upscale", params.get("Hires scale")))
    if hires is None:
        target = params.get("Hires resize") or params.get("Hires size")
        hires = _hires_resize_factor(target, rec.width, rec.height)
    if hires is not None:
        rec.extra["hires_upscale"] = hires
    variation = as_int(params.get("Variation seed"))
    if variation is not None:
        rec.extra["variation_seed"] = variation
    if "Civitai resources" in params:
        _civitai_resources(reading, params["Civitai resources"], named_in_text)
    created = params.get("Created Date")
    if created:
        parsed = parse_iso_time(created)
        if parsed is None:
            note_error(reading, f"unparseable Created Date {created[:40]!r}")
        else:
            reading.time = ToolTime(parsed[0], "Created Date", parsed[1])
    return reading


_UPSCALE_KEYS = ("Postprocess upscale by", "Postprocess upscale to")
"""The Extras keys that say the output was resized (A1111 ``scripts/postprocessing_upscale.py``: "Scale
by" mode writes the factor, "Scale to" mode the target ``WxH``); face restoration alone writes neither."""


def _extras_upscale(reading: ToolReading, params: dict[str, str], raw: RawMetadata) -> None:
    """Mark an Extras-tab upscale of the generation the infotext describes (module docstring).

    Invariant: changes nothing unless the postprocess pairs (from the text, or the PNG
    ``postprocessing`` / ``extras`` texts) name an upscale and the pixel size is known and larger than
    the generation ``Size`` in both sides; a file resized smaller later keeps ``Size``."""
    rec = reading.record
    pairs = {key: value for key, value in params.items() if key.startswith("Postprocess ")}
    for key in ("postprocessing", "extras"):
        text = raw.texts.get(key)
        if isinstance(text, str):
            pairs = {**postprocess_pairs(text.strip()), **pairs}
    if not any(key in pairs for key in _UPSCALE_KEYS):
        return
    width, height = raw.pixel_width, raw.pixel_height
    if not (width and height and rec.width and rec.height and width > rec.width and height > rec.height):
        return
    rec.extra["generation_size"] = f"{rec.width}x{rec.height}"
    rec.extra["postprocess"] = pairs
    rec.width, rec.height = width, height


def family_tool(info: Infotext, text: str, raw: RawMetadata | None) -> str:
    params = info.params
    version = params.get("Version", "")
    if version == "ComfyUI":  # a ComfyUI saver's infotext; Image Saver adds Civitai resources by default
        return "comfyui"
    if (
        "Civitai resources" in params
        or "Civitai metadata" in params
        or "Created Date" in params
        or "urn:air:" in text
    ):
        return "civitai"
    model = params.get("Model", "")
    if _TRAINER_MODEL.match(model) and "Seed" not in params and "Version" not in params:
        return "civitai"
    if params.get("App") == "SD.Next":
        return "sdnext"
    if version.startswith("f1.") or _REFORGE_VERSION.match(version):
        return "reforge"
    if version.startswith(("f2.", "f0.")) or version == "classic" or version.startswith("neo"):
        return "forge"
    if UUID.match(model):
        return "yodayo"
    if "Lora_0 Model name" in params:
        return "comfyui"
    if not version and params.get("Model hash") == _KRITA_MODEL_HASH:
        return "kritaai"
    if not version and (_COMFY_SAMPLER.match(params.get("Sampler", "")) or _MODEL_FILE.search(model)):
        return "comfyui"
    return "a1111"


def _keyed_loras(params: dict[str, str]) -> list[LoraRef]:
    """SaveImageWithMetaData's ``Lora_<n> Model name`` / ``Lora_<n> Strength model`` pairs."""
    out: list[LoraRef] = []
    for index in range(64):
        name = params.get(f"Lora_{index} Model name")
        if name is None:
            break
        out.append(LoraRef(name, as_float(params.get(f"Lora_{index} Strength model"))))
    return out


def _hashed_loras(reading: ToolReading, params: dict[str, str]) -> tuple[LoraRef, ...]:
    """The LoRAs named by ``Hashes`` keys ``LORA:<name>`` (any case), in order, at weight ``None``.

    Lora Manager's ``Save Image`` (``py/nodes/save_image.py`` ``format_metadata``) names its LoRAs
    only there (they are not in its prompt); its ``Civitai resources`` carry their weights but no
    names, and the two lists need not hold the same LoRAs, so no weight is paired by position. Image
    Saver (``nodes.py``, its prompt's tags stripped by ``easy_remix``) lists there the LoRAs Civitai
    does not know. Read only when neither the prompt's tags nor ``Lora_N`` rows name LoRAs
    (SaveImageWithMetaData writes its weighted rows and the same LoRAs as ``lora:`` hashes).
    """
    hashes = params.get("Hashes")
    if not hashes or not hashes.lstrip().startswith("{"):
        return ()
    try:
        document: Any = loads_bounded(hashes)
    except JsonRefused as exc:
        note_error(reading, f"Hashes: {exc}")
        return ()
    if not isinstance(document, dict):
        return ()
    names = (key[len(_HASHED_LORA) :].strip() for key in document if key.lower().startswith(_HASHED_LORA))
    return dedupe([LoraRef(name, None) for name in names if name])


def _civitai_resources(reading: ToolReading, value: str, named_in_text: bool) -> None:
    """The checkpoint and LoRAs of ``Civitai resources``. Its LoRAs count only when the infotext
    names none (``named_in_text``: no ``<lora:…>`` tag, no ``Lora_N`` row): A1111 applies LoRAs by
    tags alone, and Civitai lists the same ones again under their model names ("Detail Tweaker LoRA"
    for ``<lora:add_detail:0.6>``). They add to the ``Hashes`` LoRAs already read: Image Saver lists
    a LoRA Civitai knows only here and one it does not only in ``Hashes``; Lora Manager's entries have
    no name and add nothing."""
    try:
        resources: Any = loads_bounded(value)
    except JsonRefused as exc:
        note_error(reading, f"Civitai resources: {exc}")
        return
    if not isinstance(resources, list):
        return
    reading.record.extra["civitai_resources"] = resources
    loras = list(reading.record.loras)
    for item in resources:
        if not isinstance(item, dict):
            continue
        kind = _resource_kind(item)
        name = item.get("modelName") or item.get("name")
        if kind == "checkpoint" and reading.record.model is None and isinstance(name, str):
            reading.record.model = name
        elif kind in ("lora", "lycoris", "locon") and isinstance(name, str) and not named_in_text:
            loras.append(LoraRef(name, as_float(item.get("weight"))))
    reading.record.loras = dedupe(loras)


def _resource_kind(item: dict[str, Any]) -> str:
    """A Civitai resource's kind: its ``type``, else the kind in its ``air`` id
    (``urn:air:sdxl:lora:civitai:58390@62833``; ComfyUI-Image-Saver writes no ``type``)."""
    kind = item.get("type")
    if isinstance(kind, str) and kind:
        return kind.lower()
    air = item.get("air")
    parts = air.split(":") if isinstance(air, str) else []
    return parts[3].lower() if len(parts) > 4 and parts[0] == "urn" and parts[1] == "air" else ""


def parse_iso_time(text: str) -> tuple[datetime, TimePrecision] | None:
    """ISO 8601 with any number of fraction digits (Civitai writes 7) and optional ``Z``/offset."""
    match = _ISO_UTC.match(text.strip())
    if match is None:
        return None
    base, fraction, zone = match.groups()
    try:
        value = datetime.fromisoformat(base)
    except ValueError:
        return None
    precision = TimePrecision.SECOND
    if fraction:
        value = value.replace(microsecond=int(fraction[:6].ljust(6, "0")))
        precision = TimePrecision.MILLISECOND
    if zone:
        offset = parse_utc_offset(zone)
        if offset is None:
            return None
        value = value.replace(tzinfo=offset)
    return value, precision


def _hires_resize_factor(resize: str | None, width: int | None, height: int | None) -> float | None:
    """The hires pass's factor when the infotext gives its target size instead, ``None`` without the
    target and the generation ``Size``. A hires pass must be told from an img2img (whose denoise belongs
    to its source image) by something the record keeps.

    - A1111's "Resize to" mode writes ``Hires resize: WxH`` (``hr_resize_x`` x ``hr_resize_y``), and
      ``StableDiffusionProcessingTxt2Img.calculate_target_resolution`` upscales to: ``W`` wide when ``H``
      is 0, ``H * width // height`` wide when ``W`` is 0, and for a target of another aspect an upscale
      covering it (``W`` wide when the first pass is narrower than the target, else
      ``H * width // height``), then crops;
    - SD.Next writes ``Hires size: WxH``, the size its pass ran at (with ``Hires fixed``, the requested
      size, and no ``Hires scale``, when the target was given as a size): the same rule gives ``W``.

    The factor is the upscaled width over the generation ``Size``'s, rounded to two places."""
    size = _SIZE.match(resize or "")
    if size is None or not width or not height:
        return None
    target_x, target_y = int(size.group(1)), int(size.group(2))
    if target_y == 0:
        upscaled_x = target_x
    elif target_x == 0 or width / height >= target_x / target_y:
        upscaled_x = target_y * width // height
    else:
        upscaled_x = target_x
    return round(upscaled_x / width, 2) or None
