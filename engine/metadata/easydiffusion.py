"""Easy Diffusion: one PNG text chunk per field (``prompt``, ``negative_prompt``, ``seed``,
``use_stable_diffusion_model``, ``sampler_name``, ``num_inference_steps``, ``guidance_scale``,
``width``, ``height``) or the same keys as a JSON object (PNG ``parameters``/``Comment``, EXIF
``UserComment``); newer versions use display names (``Prompt``, ``Negative Prompt``, ``Seed``,
``Stable Diffusion model``, ``Sampler``, ``Steps``, ``Guidance Scale``, ``Width``, ``Height``).

Unverified against real files: no Easy Diffusion image is in the fixtures; the layout follows the
public readers (sd-metadata, sd-prompt-reader). Recognised only by ``use_stable_diffusion_model`` /
``Stable Diffusion model`` (a ``prompt`` chunk alone is ComfyUI's). ``model`` is the model file's
base name (Easy Diffusion writes a path). No time is written.
"""

from __future__ import annotations

from typing import Any

from engine.metadata.jsontext import try_json_object
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading
from engine.metadata.values import as_float, as_int, as_text

_MODEL_KEYS = ("use_stable_diffusion_model", "Stable Diffusion model")


def _fields(raw: RawMetadata) -> dict[str, Any] | None:
    if any(key in raw.texts for key in _MODEL_KEYS):
        return dict(raw.texts)
    for text in (raw.texts.get("parameters"), raw.texts.get("Comment"), raw.exif.get("UserComment")):
        if isinstance(text, str) and any(key in text for key in _MODEL_KEYS):
            document = try_json_object(text)
            if document is not None and any(key in document for key in _MODEL_KEYS):
                return document
    return None


def _get(fields: dict[str, Any], snake: str, display: str) -> Any:
    return fields.get(snake, fields.get(display))


def read(raw: RawMetadata) -> ToolReading | None:
    fields = _fields(raw)
    if fields is None:
        return None
    reading = ToolReading()
    rec = reading.record
    rec.tool = "easydiffusion"
    rec.prompt = as_text(_get(fields, "prompt", "Prompt"))
    rec.negative_prompt = as_text(_get(fields, "negative_prompt", "Negative Prompt"))
    rec.seed = as_int(_get(fields, "seed", "Seed"))
    rec.steps = as_int(_get(fields, "num_inference_steps", "Steps"))
    rec.cfg_scale = as_float(_get(fields, "guidance_scale", "Guidance Scale"))
    rec.sampler = as_text(_get(fields, "sampler_name", "Sampler"))
    rec.width = as_int(_get(fields, "width", "Width"))
    rec.height = as_int(_get(fields, "height", "Height"))
    model = as_text(_get(fields, "use_stable_diffusion_model", "Stable Diffusion model"))
    rec.model = model.replace("\\", "/").rsplit("/", 1)[-1] if model else None
    rec.denoise = as_float(_get(fields, "prompt_strength", "Prompt Strength"))
    rec.extra["easydiffusion"] = {
        key: value for key, value in fields.items() if isinstance(value, str | int | float)
    }
    return reading
