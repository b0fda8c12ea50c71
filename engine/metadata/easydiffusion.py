"""Easy Diffusion: one PNG text chunk per field (``prompt``, ``negative_prompt``, ``seed``,
``use_stable_diffusion_model``, ``sampler_name``, ``num_inference_steps``, ``guidance_scale``,
``width``, ``height``) or the same keys as a JSON object (PNG ``parameters``/``Comment``, EXIF
``UserComment``); newer versions use display names (``Prompt``, ``Negative Prompt``, ``Seed``,
``Stable Diffusion model``, ``Sampler``, ``Steps``, ``Guidance Scale``, ``Width``, ``Height``).
LoRAs: ``use_lora_model`` / ``LoRA model`` with ``lora_alpha`` / ``LoRA Strength`` — one name and one
strength, or lists of them (JSON lists, or in a PNG chunk their Python ``str()``:
``['add_detail', 'more_details']``, ``[0.5, 0.3]``, or — with the ``txt`` metadata format, whose
display-name keys ``save_utils.get_metadata_entries_for_request`` formats with ``", ".join`` — one
string ``add_detail, more_details`` with ``0.5, 0.3``); ``None`` is no LoRA.

Unverified against real files: no Easy Diffusion image is in the fixtures; the layout follows the
public readers (sd-metadata, sd-prompt-reader). Recognised only by ``use_stable_diffusion_model`` /
``Stable Diffusion model`` (a ``prompt`` chunk alone is ComfyUI's). ``model`` is the model file's
base name (Easy Diffusion writes a path). No time is written.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from engine.metadata.jsontext import try_json_object
from engine.metadata.limits import MAX_LORAS
from engine.metadata.loras import listed_items
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading
from engine.metadata.values import as_float, as_int, as_text
from engine.records import LoraRef

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
    names, strengths = (
        _get(fields, "use_lora_model", "LoRA model"),
        _get(fields, "lora_alpha", "LoRA Strength"),
    )
    rec.loras = _loras(names, strengths)
    rec.extra["easydiffusion"] = {
        key: value for key, value in fields.items() if isinstance(value, str | int | float)
    }
    return reading


_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE]-?\d+)?")


def _names(value: Any) -> list[str]:
    """The LoRA names of a name field (at most :data:`~engine.metadata.limits.MAX_LORAS`)."""
    if isinstance(value, list):
        items = [item for item in value[:MAX_LORAS] if isinstance(item, str)]
    elif isinstance(value, str) and value.strip().startswith("["):
        items = [quoted[1] or quoted[2] or "" for quoted in islice(_QUOTED.finditer(value), MAX_LORAS)]
    elif isinstance(value, str):
        # the txt format's ", ".join of a list; model file names hold no comma
        items = listed_items(value)
    else:
        return []
    names = [item.strip().replace("\\", "/").rsplit("/", 1)[-1] for item in items]
    return [name for name in names if name and name != "None"]


def _strengths(value: Any) -> list[float | None]:
    """The strengths of a strength field (at most :data:`~engine.metadata.limits.MAX_LORAS`)."""
    if isinstance(value, list):
        return [as_float(item) for item in value[:MAX_LORAS]]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [as_float(value)]
    if isinstance(value, str):
        return [as_float(number[0]) for number in islice(_NUMBER.finditer(value), MAX_LORAS)]
    return []


def _loras(names: Any, strengths: Any) -> tuple[LoraRef, ...]:
    """The LoRAs of the name and strength fields, paired in order (a missing strength is ``None``)."""
    weights = _strengths(strengths)
    return tuple(
        LoraRef(name, weights[index] if index < len(weights) else None)
        for index, name in enumerate(_names(names))
    )
