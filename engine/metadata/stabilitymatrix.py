"""Stability Matrix Inference: PNG ``parameters-json`` (+ ``smproj`` project, + a ComfyUI graph).

Fields come from ``parameters-json`` (the values the app shows); the scheduler, which that JSON
lacks, from the ``smproj`` sampler card. Width/height are the ``Width``/``Height`` the app records.
No time is written.
"""

from __future__ import annotations

from typing import Any

from engine.metadata import a1111
from engine.metadata.jsontext import try_json_object
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading, note_error
from engine.metadata.values import as_float, as_int, as_text


def read(raw: RawMetadata) -> ToolReading | None:
    if "parameters-json" not in raw.texts and "smproj" not in raw.texts:
        return None
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
