"""Draw Things: XMP ``xmp:CreatorTool`` = "Draw Things", ``exif:UserComment`` = JSON
(``c`` prompt, ``uc`` negative, ``seed``, ``scale``, ``steps``, ``sampler``, ``model``, ``size``,
``lora`` [{file|model, weight}], ``strength``), ``dc:description`` = A1111-like text.

Denoise: ``strength`` below 1 (image-to-image; text-to-image writes 1). A text-to-image with the High
Resolution Fix (``hires_fix`` true) renders ``hires_fix_start_width`` x ``hires_fix_start_height`` first
and re-noises its upscale to ``size`` at ``hires_fix_strength``: that is the denoise, and — as for an
A1111 hires pass (``engine.metadata`` invariant) — ``width``/``height`` are the first pass, with the
factor in ``extra["hires_upscale"]``. An image-to-image keeps its strength and ``size``.

``dc:description`` (written next to the JSON, read only when the JSON is missing or unreadable) is
``prompt``, a line ``-negative``, and one line of ``Key: value`` pairs: ``Steps``, ``Sampler``,
``Guidance Scale`` (the cfg), ``Seed``, ``Size``, ``Model``, ``Strength``, and with the fix ``Hires Fix:
true``, ``First Stage Size: WxH``, ``Second Stage Strength`` (an exiftool dump of a Draw Things PNG in
cocktailpeanut/breadmachine#2; image-browser parsers read ``Guidance Scale`` as the cfg and LoRAs as
``LoRA N Model`` / ``LoRA N Weight``). It is read into the JSON's keys, so both forms mean the same.

``profile.duration`` is a duration (kept in ``extra``). Draw Things writes no date.
"""

from __future__ import annotations

import re
from typing import Any

from engine.metadata import a1111
from engine.metadata.infotext import parse_params_line
from engine.metadata.jsontext import try_json_object
from engine.metadata.loras import dedupe
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading
from engine.metadata.values import as_float, as_int, as_list, as_text
from engine.metadata.xmp import xmp_value
from engine.records import GenerationRecord, LoraRef

_SIZE = re.compile(r"^\s*(\d{1,6})\s*x\s*(\d{1,6})\s*$")


def read(raw: RawMetadata) -> ToolReading | None:
    creator = xmp_value(raw.xmp, "xmp:CreatorTool")
    if creator is None or not creator.startswith("Draw Things"):
        return None
    doc = try_json_object(xmp_value(raw.xmp, "exif:UserComment"))
    if doc is None:
        description = xmp_value(raw.xmp, "dc:description")
        doc = _doc_from_description(description) if description else None
        if doc is None:
            reading = a1111.reading_from_infotext(description) if description else ToolReading()
            reading.record.tool = "drawthings"
            return reading
    reading = ToolReading()
    rec = reading.record
    rec.tool = "drawthings"
    rec.prompt = as_text(doc.get("c"))
    rec.negative_prompt = as_text(doc.get("uc"))
    rec.seed = as_int(doc.get("seed"))
    rec.cfg_scale = as_float(doc.get("scale"))
    rec.steps = as_int(doc.get("steps"))
    rec.sampler = as_text(doc.get("sampler"))
    rec.model = as_text(doc.get("model"))
    strength = as_float(doc.get("strength"))
    rec.denoise = strength if strength is not None and strength < 1.0 else None
    size = _SIZE.match(str(doc.get("size", "")))
    if size:
        rec.width, rec.height = int(size.group(1)), int(size.group(2))
    if doc.get("hires_fix") is True and rec.denoise is None:
        _hires_fix(rec, doc)
    loras: list[LoraRef] = []
    for item in as_list(doc.get("lora")):
        if isinstance(item, dict):
            name = as_text(item.get("file")) or as_text(item.get("model"))
            if name:
                loras.append(LoraRef(name, as_float(item.get("weight"))))
    rec.loras = dedupe(loras)
    rec.extra["drawthings"] = {key: value for key, value in doc.items() if key != "profile"}
    profile = doc.get("profile")
    if isinstance(profile, dict) and as_float(profile.get("duration")) is not None:
        rec.extra["generation_duration_seconds"] = as_float(profile.get("duration"))
    return reading


_DESCRIPTION_KEYS = {
    "Steps": "steps",
    "Sampler": "sampler",
    "Guidance Scale": "scale",
    "Seed": "seed",
    "Size": "size",
    "Model": "model",
    "Strength": "strength",
    "Second Stage Strength": "hires_fix_strength",
}
_LORA_KEY = re.compile(r"^LoRA(?: (\d+))? Model$")


def _doc_from_description(text: str) -> dict[str, Any] | None:
    """The ``dc:description`` text (module docstring) as the JSON's keys; ``None`` when its last line is
    not Draw Things' parameter line. The negative is the first line after the prompt's first that starts
    with ``-`` (and any lines after it). Found in the text, not in a list of its lines (8 MB of short lines,
    a compressed XMP of 8 kB, cost 235 MB as a list)."""
    body, newline, last = text.rpartition("\n")
    params = parse_params_line(last) if newline else {}
    if "Steps" not in params or not ({"Guidance Scale", "Seed", "Size"} & params.keys()):
        return None
    split = body.find("\n-")
    doc: dict[str, Any] = {"description_parameters": params}
    doc["c"] = body if split < 0 else body[:split]
    if split >= 0:
        doc["uc"] = body[split + 2 :]
    for label, key in _DESCRIPTION_KEYS.items():
        if label in params:
            doc[key] = params[label]
    doc["hires_fix"] = params.get("Hires Fix", "").lower() == "true"
    first = _SIZE.match(params.get("First Stage Size", ""))
    if first:
        doc["hires_fix_start_width"], doc["hires_fix_start_height"] = first.group(1), first.group(2)
    loras: list[dict[str, str | None]] = []
    for label, name in params.items():
        match = _LORA_KEY.match(label)
        if match:
            number = f" {match.group(1)}" if match.group(1) else ""
            loras.append({"file": name, "weight": params.get(f"LoRA{number} Weight")})
    doc["lora"] = loras
    return doc


def _hires_fix(rec: GenerationRecord, doc: dict[str, Any]) -> None:
    """A text-to-image's High Resolution Fix pass (module docstring), read only when its first pass is
    known and smaller than ``size`` in both sides: the denoise, the first-pass size and the factor (which
    marks the denoise as a later pass, not an edit: ``engine.sessions.phases``)."""
    first_width = as_int(doc.get("hires_fix_start_width"))
    first_height = as_int(doc.get("hires_fix_start_height"))
    if not (first_width and first_height and rec.width and rec.height):
        return
    if first_width < rec.width and first_height < rec.height:
        rec.denoise = as_float(doc.get("hires_fix_strength"))
        rec.extra["hires_upscale"] = round(rec.width / first_width, 4)
        rec.width, rec.height = first_width, first_height
