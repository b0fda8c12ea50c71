"""ComfyUI: the API graph (``prompt``) and UI graph (``workflow``), in PNG text or in EXIF.

Where the graph can be:

- PNG ``tEXt prompt`` / ``workflow`` (core SaveImage and most save nodes);
- EXIF ``UserComment`` holding ``{"prompt": {...}, "workflow": {...}}`` or a bare API graph
  (SaveImagePlus, Civitai's generator);
- EXIF ``Make`` = ``Prompt: {...}`` and ``ImageDescription`` = ``Workflow: {...}`` (save-image-
  extended); ``Model``/``ImageDescription`` may hold the bare JSON too.

Civitai's on-site generator writes ComfyUI graphs whose resources are ``urn:air:`` ids (node ids
``resource-stack…``): those records get ``tool="civitai"``. Infotext written by ComfyUI save
nodes is read by :mod:`engine.metadata.a1111` (same text format); when such a saver (Image Saver,
SaveImageWithMetaData, …) also embedded the API graph, :func:`read_saver` reads the graph: the
saver's text is built from its own inputs or from the sampler it picked (SaveImageWithMetaData's
``Farthest`` = the first pass of a hires fix), so it can disagree with the sampler behind the output.
A file with only the UI ``workflow`` (no ``prompt``) is read from the API graph the frontend would
queue, rebuilt by :mod:`engine.metadata.comfy_ui` (``extra["workflow_only"]`` marks it).
A graph that is present but malformed gives a ``comfyui`` record with ``extra["metadata_errors"]``.
ComfyUI itself writes no time into the image. The one time read is that of an output node that
writes its own (``TIMED_OUTPUTS``: VideoHelperSuite's ``CreationTime``, ``YYYY-MM-DD HH:MM:SS`` on the
machine's local clock), and only when the graph holds that node: a naive wall-clock ``ToolTime`` at
second precision, localised later like every naive tool time.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from engine.metadata import a1111
from engine.metadata.comfy_nodes import TIMED_OUTPUTS
from engine.metadata.comfy_passes import GraphSummary, summarise
from engine.metadata.comfy_ui import api_from_workflow
from engine.metadata.comfygraph import Graph, normalise_graph
from engine.metadata.jsontext import JsonRefused, loads_bounded
from engine.metadata.loras import dedupe
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading, ToolTime, note_error
from engine.records import TimePrecision

_EXIF_GRAPH_FIELDS = ("UserComment", "Make", "Model", "ImageDescription", "Software")
_LABELS = ("prompt:", "workflow:")
_LOCAL_SECOND = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
"""``datetime.now().isoformat(" ")[:19]``: a local wall-clock time to the second, without offset."""


def find_graph_texts(raw: RawMetadata) -> tuple[str | None, str | None]:
    """``(api_graph_json, ui_workflow_json)`` as text, from PNG text chunks or EXIF fields."""
    prompt = raw.texts.get("prompt")
    workflow = raw.texts.get("workflow")
    if prompt is not None and prompt.lstrip()[:1] not in ("{", "["):
        prompt = None  # a plain-text "prompt" chunk (Easy Diffusion, …) is not a graph
    if workflow is not None and workflow.lstrip()[:1] not in ("{", "["):
        workflow = None
    if prompt is not None or workflow is not None:
        return prompt, workflow
    for name in _EXIF_GRAPH_FIELDS:
        value = raw.exif.get(name)
        if not isinstance(value, str):
            continue
        text = value.strip()
        lowered = text[:10].lower()
        if lowered.startswith("prompt:"):
            prompt = prompt or text[7:]
        elif lowered.startswith("workflow:"):
            workflow = workflow or text[9:]
        elif text.startswith("{") and '"class_type"' in text:  # a graph's nodes, bare or under "prompt"
            prompt = prompt or text
        elif text.startswith("{") and '"nodes"' in text and '"links"' in text:
            workflow = workflow or text
    return prompt, workflow


def looks_like_comfyui(raw: RawMetadata) -> bool:
    prompt, workflow = find_graph_texts(raw)
    return prompt is not None or workflow is not None


def read(raw: RawMetadata, tool: str = "comfyui") -> ToolReading | None:
    prompt_text, workflow_text = find_graph_texts(raw)
    if prompt_text is None and workflow_text is None:
        return None
    reading = ToolReading()
    reading.record.tool = tool
    if prompt_text is None:
        reading.record.extra["workflow_only"] = True
        return _read_workflow_only(reading, raw, workflow_text or "")
    try:
        document: Any = loads_bounded(prompt_text)
    except JsonRefused as exc:
        note_error(reading, f"comfyui prompt: {exc}")
        return reading
    if isinstance(document, dict) and isinstance(document.get("workflow"), dict) and workflow_text is None:
        workflow_text = "embedded"
    if tool == "comfyui" and ("urn:air:" in prompt_text or '"resource-stack' in prompt_text):
        reading.record.tool = "civitai"
    return _read_graph(reading, raw, normalise_graph(document), "comfyui prompt: no nodes with a class_type")


_SAVER_GAPS = (
    "prompt",
    "negative_prompt",
    "seed",
    "steps",
    "cfg_scale",
    "sampler",
    "model",
    "width",
    "height",
)
"""Record fields a saver's infotext fills where the graph left them empty."""
_SAVER_COMPARED = ("prompt", "negative_prompt", "seed", "steps", "cfg_scale", "width", "height")
"""Fields whose infotext value, when it differs from the graph's, is kept in ``extra["saver_text_differs"]``
(sampler and model are written in other spellings by the savers, so a difference there says nothing)."""


def read_saver(raw: RawMetadata) -> ToolReading | None:
    """A ComfyUI save node's file holding both infotext (``Version: ComfyUI`` or the other ComfyUI
    markers of :func:`engine.metadata.a1111.family_tool`) and the API graph: the graph's values.

    Returns ``None`` (the infotext reader then reads the file) when the text is not a ComfyUI saver's,
    the file has no API ``prompt`` graph, or the graph names no sampler values at all. Graph fields left
    empty are filled from the text; the text's parameters stay in ``extra["parameters"]`` and the
    values where it disagrees with the graph in ``extra["saver_text_differs"]``."""
    text = a1111.infotext_source(raw)
    if text is None or find_graph_texts(raw)[0] is None:
        return None
    from_text = a1111.reading_from_infotext(text, raw)
    if from_text.record.tool != "comfyui":
        return None
    reading = read(raw)
    if reading is None or "metadata_errors" in reading.record.extra:
        return None
    rec, text_rec = reading.record, from_text.record
    if all(getattr(rec, name) is None for name in ("prompt", "seed", "steps", "model")):
        return None
    differs = {
        name: getattr(text_rec, name)
        for name in _SAVER_COMPARED
        if getattr(rec, name) is not None
        and getattr(text_rec, name) is not None
        and getattr(rec, name) != getattr(text_rec, name)
    }
    for name in _SAVER_GAPS:
        if getattr(rec, name) is None:
            setattr(rec, name, getattr(text_rec, name))
    if not rec.extra.get("samplers") and not rec.loras:
        rec.loras = text_rec.loras
    rec.extra["parameters"] = text_rec.extra.get("parameters", {})
    if differs:
        rec.extra["saver_text_differs"] = differs
    if reading.time is None:
        reading.time = from_text.time
    return reading


def _read_workflow_only(reading: ToolReading, raw: RawMetadata, workflow_text: str) -> ToolReading:
    """Values from the API graph rebuilt from the UI ``workflow`` (:mod:`engine.metadata.comfy_ui`)
    when the file carries no ``prompt``."""
    try:
        document: Any = loads_bounded(workflow_text)
    except JsonRefused as exc:
        note_error(reading, f"comfyui workflow: {exc}")
        return reading
    graph = normalise_graph(api_from_workflow(document))
    return _read_graph(reading, raw, graph, "comfyui: UI workflow without an API graph; parameters not read")


def _read_graph(reading: ToolReading, raw: RawMetadata, graph: Graph | None, missing: str) -> ToolReading:
    """Fill ``reading`` from ``graph`` (the pass that made this file, its time), or note ``missing``."""
    if graph is None:
        note_error(reading, missing)
        return reading
    fill_from_graph(reading, summarise(graph, raw.file_name))
    reading.time = _output_time(reading, raw, graph)
    return reading


def _output_time(reading: ToolReading, raw: RawMetadata, graph: Graph) -> ToolTime | None:
    """The time a ``TIMED_OUTPUTS`` node of the graph wrote into the file, or ``None``; a value not
    in its writer's form is noted and not read."""
    for class_type, key in TIMED_OUTPUTS.items():
        text = raw.texts.get(key)
        if text is None or not any(node["class_type"] == class_type for node in graph.values()):
            continue
        if _LOCAL_SECOND.fullmatch(text.strip()):
            try:
                return ToolTime(datetime.fromisoformat(text.strip()), key, TimePrecision.SECOND)
            except ValueError:
                pass
        note_error(reading, f"comfyui: unparseable {key} {text[:40]!r}")
    return None


def fill_from_graph(reading: ToolReading, summary: GraphSummary) -> None:
    """Copy the primary pass's values into the record; list every pass and the output in ``extra``."""
    rec = reading.record
    rec.workflow_hash = summary.workflow_hash
    primary = summary.primary
    primary_prompt = primary.positive if primary is not None else None
    rec.extra["samplers"] = [info.as_extra(primary_prompt) for info in summary.samplers]
    if summary.output is not None:
        rec.extra["output_node"] = summary.output
    if summary.load_images:
        rec.extra["load_images"] = list(summary.load_images)
    if summary.generated_prompts:
        rec.extra["prompt_generators"] = [
            {"class_type": class_type, "request": request}
            for class_type, request in summary.generated_prompts
        ]
    if primary is None:
        rec.source_image = summary.load_images[0] if summary.load_images else None
        return
    if len(summary.samplers) > 1:
        rec.extra["primary_sampler"] = primary.node_id
    requests = {request for _, request in summary.generated_prompts}
    if primary_prompt is not None and primary_prompt in requests:
        rec.extra["prompt_is_generator_input"] = True
    rec.prompt = primary.positive
    rec.negative_prompt = primary.negative
    rec.seed = primary.seed
    rec.steps = primary.steps
    rec.cfg_scale = primary.cfg
    rec.sampler = primary.sampler
    rec.scheduler = primary.scheduler
    rec.denoise = primary.denoise
    rec.model = primary.model
    rec.loras = dedupe(primary.loras)
    rec.width, rec.height = primary.width, primary.height
    if primary.guidance is not None:
        rec.extra["guidance"] = primary.guidance
    if primary.guider is not None:
        rec.extra["guider"] = dict(primary.guider)
    rec.source_image = primary.source_image or (summary.load_images[0] if summary.load_images else None)
