"""Stability Matrix Inference: PNG ``parameters-json`` (+ ``smproj`` project, + a ComfyUI graph).

Fields come from ``parameters-json`` (the values the app shows); the scheduler, which that JSON
lacks, from the ``smproj`` sampler card. Width/height are the ``Width``/``Height`` the app records.
LoRAs: the ``<lora:name:weight>`` tags of the prompt (the app loads them), then those the ComfyUI graph
it ran applies (its Lora module adds ``LoraLoader`` nodes) under names no tag gave (a file extension
aside). No time is written.

A WEBP holds the same JSON in EXIF ``ImageDescription`` and nothing else
(``StabilityMatrix.Core/Helper/ImageMetadata.cs`` ``EmbedGenerationParameters``: ``.webp`` ->
``AddMetadataToWebp`` with ``ExifTag.ImageDescription`` = the serialised ``GenerationParameters``):
:func:`_exif_parameters_json`.
"""

from __future__ import annotations

from typing import Any

from engine.metadata import a1111
from engine.metadata.comfy_passes import summarise
from engine.metadata.comfygraph import normalise_graph
from engine.metadata.jsontext import try_json_object
from engine.metadata.loras import dedupe, inline_loras
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading, note_error
from engine.metadata.values import as_float, as_int, as_text
from engine.records import LoraRef

_EXIF_JSON_KEYS = ("PositivePrompt", "CfgScale", "ModelName")
"""``GenerationParameters`` properties an EXIF ``ImageDescription`` must hold to be its JSON."""


def read(raw: RawMetadata) -> ToolReading | None:
    if "parameters-json" not in raw.texts and "smproj" not in raw.texts:
        params = _exif_parameters_json(raw)
        if params is None:
            return None
    else:
        params = try_json_object(raw.texts.get("parameters-json"))
    if params is None:
        text = raw.texts.get("parameters")
        reading = a1111.reading_from_infotext(text) if text else ToolReading()
        note_error(reading, "stabilitymatrix: parameters-json missing or invalid")
    else:
        reading = ToolReading()
        rec = reading.record
        rec.prompt = as_text(params.get("PositivePrompt"))
        rec.negative_prompt = as_text(params.get("NegativePrompt"))
        rec.steps = as_int(params.get("Steps"))
        rec.sampler = as_text(params.get("Sampler"))
        rec.cfg_scale = as_float(params.get("CfgScale"))
        rec.seed = as_int(params.get("Seed"))
        rec.width = as_int(params.get("Width"))
        rec.height = as_int(params.get("Height"))
        rec.model = as_text(params.get("ModelName"))
        rec.extra["parameters_json"] = params
    reading.record.tool = "stabilitymatrix"
    reading.record.loras = _loras(reading.record.prompt, raw)
    project = try_json_object(raw.texts.get("smproj"))
    if project is not None:
        scheduler = _project_scheduler(project)
        if scheduler and reading.record.scheduler is None:
            reading.record.scheduler = scheduler
    return reading


def _project_scheduler(project: dict[str, Any]) -> str | None:
    state = project.get("State")
    sampler = state.get("Sampler") if isinstance(state, dict) else None
    selected = sampler.get("SelectedScheduler") if isinstance(sampler, dict) else None
    name = selected.get("Name") if isinstance(selected, dict) else None
    return name if isinstance(name, str) else None


def _loras(prompt: str | None, raw: RawMetadata) -> tuple[LoraRef, ...]:
    # names compared as models are (folder, extension and case aside); loaded here, off start-up
    from engine.sessions.record_stream import normalise_model_name as _stem

    tagged = inline_loras(prompt)
    graph = normalise_graph(try_json_object(raw.texts.get("prompt")))
    primary = summarise(graph, raw.file_name).primary if graph is not None else None
    named = {_stem(lora.name) for lora in tagged}
    applied = [
        lora for lora in (primary.loras if primary is not None else []) if _stem(lora.name) not in named
    ]
    return dedupe([*tagged, *applied])


def _exif_parameters_json(raw: RawMetadata) -> dict[str, Any] | None:
    """Stability Matrix's ``GenerationParameters`` JSON in EXIF ``ImageDescription`` (its WEBP shape,
    module docstring), recognised by the properties ``_EXIF_JSON_KEYS`` names; else ``None``."""
    description = raw.exif.get("ImageDescription")
    if not isinstance(description, str) or not description.lstrip().startswith("{"):
        return None
    params = try_json_object(description)
    if params is None or not all(key in params for key in _EXIF_JSON_KEYS):
        return None
    return params
