"""TensorArt: PNG ``generation_data`` JSON (+ a ComfyUI API graph in ``prompt``).

``generation_data.seed`` is ``"-1"`` when the site picked a random seed; the seed actually used is
then taken from the graph's primary sampler (as are sampler/scheduler/steps/cfg when missing).
``model`` is the site's model file name (``baseModel.modelFileName``); the checkpoint file the
graph loads is kept in ``extra["checkpoint"]``. LoRAs: ``generation_data.models`` entries (display
names) describe the same LoRAs the graph loads under opaque ``EMS-<id>-EMS`` file names, so when the
site lists LoRAs the graph's EMS-named ones are dropped (each LoRA is reported once). No time is written.
"""

from __future__ import annotations

import re
from typing import Any

from engine.metadata import comfyui
from engine.metadata.jsontext import try_json_object
from engine.metadata.loras import dedupe
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading, note_error
from engine.metadata.values import as_float, as_int, as_text
from engine.records import LoraRef


def read(raw: RawMetadata) -> ToolReading | None:
    if "generation_data" not in raw.texts:
        return None
    data = try_json_object(raw.texts["generation_data"].strip())
    graph_reading = comfyui.read(raw, tool="tensorart")
    reading = graph_reading if graph_reading is not None else ToolReading()
    rec = reading.record
    rec.tool = "tensorart"
    if data is None:
        note_error(reading, "tensorart: generation_data is not a JSON object")
        return reading
    rec.extra["generation_data"] = data
    checkpoint = rec.model
    rec.prompt = as_text(data.get("prompt")) or rec.prompt
    rec.negative_prompt = as_text(data.get("negativePrompt")) or rec.negative_prompt
    rec.width = as_int(data.get("width")) or rec.width
    rec.height = as_int(data.get("height")) or rec.height
    rec.steps = as_int(data.get("steps")) or rec.steps
    rec.cfg_scale = as_float(data.get("cfgScale")) if data.get("cfgScale") is not None else rec.cfg_scale
    seed = as_int(data.get("seed"))
    if seed is not None and seed >= 0:
        rec.seed = seed
    rec.sampler = as_text(data.get("ksamplerName")) or rec.sampler
    rec.scheduler = as_text(data.get("schedule")) or rec.scheduler
    base_model = data.get("baseModel")
    if isinstance(base_model, dict):
        rec.model = as_text(base_model.get("modelFileName")) or as_text(base_model.get("label")) or rec.model
    if checkpoint:
        rec.extra["checkpoint"] = checkpoint
    loras = data.get("models")
    if isinstance(loras, list):
        refs = [ref for ref in (_lora(item) for item in loras) if ref is not None]
        graph_refs = [ref for ref in rec.loras if not (refs and _EMS_NAME.match(ref.name))]
        rec.loras = dedupe([*graph_refs, *refs])
    return reading


_EMS_NAME = re.compile(r"^EMS-\d+-EMS(?:\.\w+)?$")
"""TensorArt's placeholder file name for a site model in the graph (``EMS-902311-EMS.safetensors``)."""
_NOT_LORA = ("EMBEDDING", "TEXTUAL", "CHECKPOINT", "BASE_MODEL", "VAE", "CONTROLNET", "UPSCALER")


def _lora(item: Any) -> LoraRef | None:
    if not isinstance(item, dict):
        return None
    kind = str(item.get("type") or "").upper()
    if any(word in kind for word in _NOT_LORA):
        return None
    name = as_text(item.get("modelFileName")) or as_text(item.get("label"))
    return LoraRef(name, as_float(item.get("weight"))) if name else None
