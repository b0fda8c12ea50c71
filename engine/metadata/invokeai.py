"""InvokeAI, all three generations of its PNG metadata.

- v3+: ``invokeai_metadata`` JSON (``positive_prompt``, ``negative_prompt``, ``model.name``, …; a 5.x/6.x
  canvas edit writes no ``strength``: its denoise comes from the ``invokeai_graph`` chunk beside it,
  :func:`_graph_denoise`); the
  source image it names is the record's ``source_image``: ``init_image`` (3.x/4.x image-to-image, an
  image name) or ``upscale_initial_image.image_name`` (5.x/6.x Upscaling tab,
  ``buildMultidiffusionUpscaleGraph``: ``{image_name, width, height}``, the image it upscaled); a
  text-to-image with the high resolution fix (``hrf_enabled``) is read as an A1111 hires pass
  (:func:`_hires_fix`);
- v2: ``sd-metadata`` JSON (``image.prompt`` list, ``model_weights``, ``sampler``, …);
- v1/v2: ``Dream`` text: ``"prompt [negative]" -s steps -S seed -W w -H h -C cfg -A sampler``;
- an image of the workflow editor whose graph has no metadata node carries only ``invokeai_graph``
  (v4+) and/or ``invokeai_workflow`` (``image_files_disk.py`` ``save``): the tool is InvokeAI, and the
  graph's denoise node and what its edges connect to it (the noise node's seed and size, the model
  loader, the prompt nodes behind the positive and negative conditioning) give the fields.

In v1/v2 prompts, ``[bracketed]`` parts are the negative prompt (InvokeAI's syntax), split as InvokeAI 2.x
split them before conditioning (``ldm/invoke/conditioning.py`` ``split_prompt_to_positive_and_negative``,
``get_uc_and_c``): the negative prompt is the contents of every ``[…]`` (matched non-greedily) joined by
ONE SPACE, the prompt the text with each of them replaced by a space and runs of spaces collapsed to one.
InvokeAI writes no time into the image (its database has ``created_at``).
"""

from __future__ import annotations

import math
import re
import shlex
from typing import Any

from engine.metadata.jsontext import try_json_object
from engine.metadata.loras import dedupe
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading, note_error
from engine.metadata.values import as_float, as_int, as_list, as_text
from engine.records import LoraRef

_BRACKETED = re.compile(r"\[([^\]\n]*+)\]|(\[[^\]\n]*+)")
"""InvokeAI 2.x's ``unconditional_regex`` (``ldm/invoke/conditioning.py``: ``\\[(.*?)\\]``, non-greedy, ``.``
not matching a newline) as its first alternative, group 1 the bracketed text: a ``[`` and the first ``]``
after it on the same line. The second, group 2, takes a ``[`` that no ``]`` closes before its line ends
together with the text after it up to that end (any ``[`` there is unclosed too), kept as written: each
character is scanned at most twice, where InvokeAI's regex alone scans from every unclosed ``[`` to the
line's end (a prompt of 30,000 unclosed ``[`` took 9 s)."""
_SPACES = re.compile(" +")
_MAX_DREAM_CHARS = 64 * 1024
"""``shlex`` is slow pure Python; real Dream strings are a prompt and a few flags."""
_DREAM_FLAGS = {
    "-s": "steps",
    "-S": "seed",
    "-W": "width",
    "-H": "height",
    "-C": "cfg_scale",
    "-A": "sampler",
}


def read(raw: RawMetadata) -> ToolReading | None:
    texts = raw.texts
    if "invokeai_metadata" in texts:
        return _from_v3(texts["invokeai_metadata"], texts.get("invokeai_graph"))
    if "sd-metadata" in texts:
        return _from_v2(texts["sd-metadata"], texts.get("Dream"))
    if "Dream" in texts:
        return _from_dream(texts["Dream"])
    if "invokeai_graph" in texts or "invokeai_workflow" in texts:
        return _from_graph(texts.get("invokeai_graph"))
    return None


def _from_graph(text: str | None) -> ToolReading:
    """The fields of an executed graph (``{"nodes": {id: {"type": …, …}}, "edges": [{"source":
    {"node_id", "field"}, "destination": {…}}]}``): its denoise node's steps, CFG and scheduler, and
    the nodes its edges bring in. Nothing that no edge names is guessed."""
    reading = ToolReading()
    rec = reading.record
    rec.tool = "invokeai"
    graph = try_json_object(text) if text else None
    nodes_value = graph.get("nodes") if graph is not None else None
    nodes: dict[str, Any] = nodes_value if isinstance(nodes_value, dict) else {}
    if graph is not None:
        rec.extra["invokeai_graph"] = graph
    edges = [edge for edge in as_list(graph.get("edges") if graph else None) if isinstance(edge, dict)]
    denoise = [
        key for key, node in nodes.items() if isinstance(node, dict) and "denoise" in str(node.get("type"))
    ]
    if len(denoise) != 1:
        return reading
    node = nodes[denoise[0]]
    rec.steps = as_int(node.get("steps"))
    rec.cfg_scale = as_float(node.get("cfg_scale"))
    rec.sampler = as_text(node.get("scheduler"))
    feeding = {_edge_end(edge, "destination"): _edge_end(edge, "source") for edge in edges}
    noise = nodes.get(feeding.get((denoise[0], "noise"), ("", ""))[0])
    if isinstance(noise, dict):
        rec.seed = as_int(noise.get("seed"))
        rec.width, rec.height = as_int(noise.get("width")), as_int(noise.get("height"))
    for field, role in (("positive_conditioning", "prompt"), ("negative_conditioning", "negative_prompt")):
        prompt_node = nodes.get(feeding.get((denoise[0], field), ("", ""))[0])
        if isinstance(prompt_node, dict):
            setattr(rec, role, as_text(prompt_node.get("prompt")))
    loaders = [
        n for n in nodes.values() if isinstance(n, dict) and str(n.get("type")).endswith("model_loader")
    ]
    model = loaders[0].get("model") if len(loaders) == 1 else None
    if isinstance(model, dict):
        rec.model = as_text(model.get("name")) or as_text(model.get("model_name"))
    return reading


def _edge_end(edge: dict[str, Any], end: str) -> tuple[str, str]:
    value = edge.get(end)
    if not isinstance(value, dict):
        return ("", "")
    return (str(value.get("node_id", "")), str(value.get("field", "")))


def split_negative(prompt: str) -> tuple[str, str | None]:
    """``"a cat [blurry, text] on a mat [lowres]"`` → ``("a cat on a mat", "blurry, text lowres")``: what
    InvokeAI 2.x conditioned on (``split_prompt_to_positive_and_negative``: ``" ".join`` of the bracketed
    parts; each bracket replaced by ``" "`` and ``re.sub(" +", " ", …)``), minus surrounding whitespace."""
    parts = _BRACKETED.split(prompt)  # text, group 1, group 2, text, group 1, group 2, …, text
    negatives = [inner for inner in parts[1::3] if inner is not None]
    if not negatives:
        return prompt.strip(), None
    between = parts[0::3]
    replaced = between[0] + "".join(
        (" " if inner is not None else unclosed) + after
        for inner, unclosed, after in zip(parts[1::3], parts[2::3], between[1:], strict=True)
    )
    positive = _SPACES.sub(" ", replaced).strip()
    negative = " ".join(negatives).strip()
    return positive, negative or None


def _from_v3(text: str, graph_text: str | None = None) -> ToolReading:
    reading = ToolReading()
    rec = reading.record
    rec.tool = "invokeai"
    meta = try_json_object(text)
    if meta is None:
        note_error(reading, "invokeai_metadata is not a JSON object")
        return reading
    rec.prompt = as_text(meta.get("positive_prompt"))
    rec.negative_prompt = as_text(meta.get("negative_prompt"))
    rec.width = as_int(meta.get("width"))
    rec.height = as_int(meta.get("height"))
    rec.seed = as_int(meta.get("seed"))
    rec.cfg_scale = as_float(meta.get("cfg_scale"))
    rec.steps = as_int(meta.get("steps"))
    rec.sampler = as_text(meta.get("scheduler"))
    rec.denoise = as_float(meta.get("strength"))
    if rec.denoise is None:
        rec.denoise = _graph_denoise(meta, graph_text)
    model = meta.get("model")
    if isinstance(model, dict):
        rec.model = as_text(model.get("name")) or as_text(model.get("model_name"))
    else:
        rec.model = as_text(model)
    rec.loras = dedupe([ref for ref in (_v3_lora(item) for item in as_list(meta.get("loras"))) if ref])
    rec.source_image = _source_image(meta)
    _hires_fix(reading, meta)
    rec.extra["invokeai_metadata"] = meta
    return reading


_EDIT_MODES = ("img2img", "inpaint", "outpaint")
"""``generation_mode`` endings of a canvas generation that starts from an image (``sdxl_img2img``,
``flux_inpaint``, ``z_image_outpaint``, …; 3.x/4.x wrote ``img2img`` itself)."""


def _graph_denoise(meta: dict[str, Any], graph_text: str | None) -> float | None:
    """An edit's denoise when the metadata names none: ``1 - denoising_start`` of the executed graph's one
    denoise node (``invokeai_graph``).

    5.x/6.x canvas graphs (``addImageToImage`` / ``addInpaint`` / ``addOutpaint``) set the denoise node's
    ``denoising_start`` from ``getDenoisingStartAndEnd`` and write no ``strength`` into the metadata: for
    SD1/SD2/SDXL/CogView4 without a refiner it is ``1 - img2imgStrength``; for FLUX and SD3 with
    "optimized denoising" ``1 - img2imgStrength ** 0.2``, so the value here is the part of the schedule
    the node re-ran, not the slider. Only when ``generation_mode`` is an edit (:data:`_EDIT_MODES`) and
    the graph has exactly one denoise node with a literal ``denoising_start`` below 1 (an SDXL refiner
    adds a second node: no guess)."""
    mode = as_text(meta.get("generation_mode"))
    if mode is None or not mode.endswith(_EDIT_MODES) or not graph_text:
        return None
    graph = try_json_object(graph_text)
    nodes = graph.get("nodes") if graph is not None else None
    if not isinstance(nodes, dict):
        return None
    starts = [
        as_float(node.get("denoising_start"))
        for node in nodes.values()
        if isinstance(node, dict) and "denoise" in str(node.get("type"))
    ]
    if len(starts) != 1 or starts[0] is None or not 0 <= starts[0] < 1:
        return None
    return round(1 - starts[0], 6)


_HRF_GRID = 8
"""The size multiple InvokeAI's SD1/SD2/SDXL sizes keep (``getGridSize``; FLUX/SD3 sizes are multiples of
16, so of 8 too)."""
_HRF_SMALL_BASES = ("sd-1", "sd-2")
"""Model bases whose ``getOptimalDimension`` is 512 (any other base: 1024)."""


def _hires_fix(reading: ToolReading, meta: dict[str, Any]) -> None:
    """A text-to-image's high resolution fix, as an A1111 hires pass (``engine.metadata`` invariant): the
    record's ``width``/``height`` become the first pass, ``denoise`` is ``hrf_strength`` (the second pass
    starts at ``1 - hrfStrength``) and ``extra["hires_upscale"]`` the factor. The metadata's
    ``width``/``height`` are the FINAL size in both writers:

    - the Generate tab (``addHighResFix.ts``): ``hrf_scale`` is written, the final size is
      ``roundDownToMultiple(size * hrfScale, grid)``, so the first pass is the final size over the
      factor, to the nearest multiple of :data:`_HRF_GRID`;
    - the 5.x canvas graphs (``addHRF.ts``): no ``hrf_scale``; the first pass is
      ``calculateHrfRes(optimalDimension, width, height)`` (:func:`_calculate_hrf_res`).

    Changes nothing unless ``hrf_enabled`` is true, ``hrf_strength`` is a number, the metadata names no
    edit denoise (``strength``) and the first pass is smaller than the final size in both sides."""
    rec = reading.record
    strength = as_float(meta.get("hrf_strength"))
    if meta.get("hrf_enabled") is not True or strength is None or rec.denoise is not None:
        return
    if rec.width is None or rec.height is None or rec.width <= 0 or rec.height <= 0:
        return  # no size, or a nonsense one (a crafted file): nothing to divide
    scale = as_float(meta.get("hrf_scale"))
    if scale is not None:
        if scale <= 1:
            return
        first = (_nearest_multiple(rec.width / scale), _nearest_multiple(rec.height / scale))
        factor = scale
    else:
        first = _calculate_hrf_res(_optimal_dimension(meta.get("model")), rec.width, rec.height)
        factor = round(rec.width / first[0], 4) if first[0] else 0.0
    if not (0 < first[0] < rec.width and 0 < first[1] < rec.height):
        return
    rec.width, rec.height = first
    rec.denoise = strength
    rec.extra["hires_upscale"] = factor


def _nearest_multiple(value: float, multiple: int = _HRF_GRID) -> int:
    """JavaScript's ``Math.round(value / multiple) * multiple`` (halves round up)."""
    return math.floor(value / multiple + 0.5) * multiple


def _optimal_dimension(model: Any) -> int:
    """``getOptimalDimension`` of the model's base (``base`` in 4.x+, ``base_model`` in 3.x)."""
    if not isinstance(model, dict):
        return 1024
    base = as_text(model.get("base")) or as_text(model.get("base_model"))
    return 512 if base in _HRF_SMALL_BASES else 1024


def _calculate_hrf_res(optimal: int, width: int, height: int) -> tuple[int, int]:
    """``addHRF.ts`` ``calculateHrfRes``: the first pass keeps the aspect at the model's optimal area (no
    side below half the optimal dimension, none above the final size), each side
    ``roundToMultiple(floor(side), 8)``."""
    aspect = width / height
    min_dimension = math.floor(optimal * 0.5)
    area = optimal * optimal
    if aspect > 1.0:
        init_height = max(min_dimension, math.sqrt(area / aspect))
        init_width = init_height * aspect
    else:
        init_width = max(min_dimension, math.sqrt(area * aspect))
        init_height = init_width / aspect
    init_width, init_height = min(width, init_width), min(height, init_height)
    return _nearest_multiple(math.floor(init_width)), _nearest_multiple(math.floor(init_height))


def _source_image(meta: dict[str, Any]) -> str | None:
    """The image this one was made from, as the metadata names it (module docstring): the image-to-image
    ``init_image`` first, else the upscaled ``upscale_initial_image``; ``None`` when neither names one."""
    init = as_text(meta.get("init_image"))
    if init is not None:
        return init
    upscaled = meta.get("upscale_initial_image")
    return as_text(upscaled.get("image_name")) if isinstance(upscaled, dict) else None


def _v3_lora(item: Any) -> LoraRef | None:
    if not isinstance(item, dict):
        return None
    model = item.get("model") or item.get("lora")
    name = None
    if isinstance(model, dict):
        name = as_text(model.get("name")) or as_text(model.get("model_name"))
    return LoraRef(name, as_float(item.get("weight"))) if name else None


def _from_v2(text: str, dream: str | None) -> ToolReading:
    meta = try_json_object(text)
    if meta is None:
        reading = _from_dream(dream) if dream else ToolReading()
        reading.record.tool = "invokeai"
        note_error(reading, "sd-metadata is not a JSON object")
        return reading
    reading = ToolReading()
    rec = reading.record
    rec.tool = "invokeai"
    image_value = meta.get("image")
    image: dict[str, Any] = image_value if isinstance(image_value, dict) else {}
    prompt = image.get("prompt")
    if isinstance(prompt, list):
        parts = [str(item.get("prompt", "")) for item in prompt if isinstance(item, dict)]
        prompt = " ".join(part for part in parts if part)
    if isinstance(prompt, str):
        rec.prompt, rec.negative_prompt = split_negative(prompt)
    rec.steps = as_int(image.get("steps"))
    rec.cfg_scale = as_float(image.get("cfg_scale"))
    rec.seed = as_int(image.get("seed"))
    rec.width = as_int(image.get("width"))
    rec.height = as_int(image.get("height"))
    rec.sampler = as_text(image.get("sampler"))
    rec.denoise = as_float(image.get("strength"))
    # 2.3 writes ``model_weights``; 2.2 writes ``model_id`` (beside a generic ``model: "stable diffusion"``)
    rec.model = as_text(meta.get("model_weights")) or as_text(meta.get("model_id"))
    init = image.get("init_image_path")
    if isinstance(init, str):
        rec.source_image = init
    rec.extra["sd_metadata"] = meta
    return reading


def _from_dream(text: str) -> ToolReading:
    reading = ToolReading()
    rec = reading.record
    rec.tool = "invokeai"
    if len(text) > _MAX_DREAM_CHARS:
        note_error(reading, f"invokeai: Dream text longer than {_MAX_DREAM_CHARS} characters was cut")
        text = text[:_MAX_DREAM_CHARS]
    try:
        tokens = shlex.split(text)
    except ValueError:
        note_error(reading, "invokeai: Dream text could not be tokenised")
        tokens = text.split()
    if not tokens:
        return reading
    rec.prompt, rec.negative_prompt = split_negative(tokens[0])
    values: dict[str, str] = {}
    for index, token in enumerate(tokens[1:-1], start=1):
        if token in _DREAM_FLAGS:
            values[_DREAM_FLAGS[token]] = tokens[index + 1]
    rec.steps = as_int(values.get("steps"))
    rec.seed = as_int(values.get("seed"))
    rec.width = as_int(values.get("width"))
    rec.height = as_int(values.get("height"))
    rec.cfg_scale = as_float(values.get("cfg_scale"))
    rec.sampler = values.get("sampler")
    rec.extra["dream"] = text
    return reading
