"""Hugging Face Spaces (diffusers-based demo apps): JSON in PNG ``parameters`` with diffusers names.

Tool id ``huggingface`` (not in the base list of generation-records.md; added because these files
are common and carry full parameters). Recognised by a JSON object with ``prompt`` and at least one
of ``num_inference_steps`` / ``guidance_scale``. ``resolution`` is ``"W x H"``; the upscaler block is
kept in ``extra``. No time is written.
"""

from __future__ import annotations

import re

from engine.metadata.jsontext import try_json_object
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading
from engine.metadata.values import as_float, as_int, as_text

_RESOLUTION = re.compile(r"^\s*(\d{1,6})\s*[x×]\s*(\d{1,6})\s*$")


def read(raw: RawMetadata) -> ToolReading | None:
    text = raw.texts.get("parameters")
    if text is None or not text.lstrip().startswith("{"):
        return None
    doc = try_json_object(text)
    if doc is None or "prompt" not in doc:
        return None
    if "num_inference_steps" not in doc and "guidance_scale" not in doc:
        return None
    reading = ToolReading()
    rec = reading.record
    rec.tool = "huggingface"
    rec.prompt = as_text(doc.get("prompt"))
    rec.negative_prompt = as_text(doc.get("negative_prompt"))
    rec.steps = as_int(doc.get("num_inference_steps"))
    rec.cfg_scale = as_float(doc.get("guidance_scale"))
    rec.seed = as_int(doc.get("seed"))
    rec.sampler = as_text(doc.get("sampler"))
    rec.model = as_text(doc.get("Model")) or as_text(doc.get("model"))
    match = _RESOLUTION.match(str(doc.get("resolution", "")))
    if match:
        rec.width, rec.height = int(match.group(1)), int(match.group(2))
    else:
        rec.width, rec.height = as_int(doc.get("width")), as_int(doc.get("height"))
    upscaler = doc.get("use_upscaler")
    if isinstance(upscaler, dict):
        rec.denoise = as_float(upscaler.get("upscaler_strength"))
        rec.extra["hires_upscale"] = as_float(upscaler.get("upscale_by"))
    rec.extra["parameters"] = doc
    return reading
