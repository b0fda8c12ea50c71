"""The sampling passes of a ComfyUI API graph, and the one that made this file's pixels.

Primary sampler: the sampling node (sampler, or a detailer such as FaceDetailer that samples with
its own seed and prompt) nearest to the output node that wrote this file (see
:mod:`engine.metadata.comfy_outputs`). Without an output node, or when the trace finds no sampler
behind it, it is the first pass: among the samplers whose latent input does not come (transitively)
from another sampler, the one with the smallest node id (numeric ids sort numerically); but none when
the output's pixels provably come from no pass (``NO_PASS``: a saved copy of a loaded image). Its
seed/steps/cfg/sampler/scheduler/denoise/prompts fill the record; what it does not say (model,
source image) is taken from its upstream passes, and so is the seed of a pass that adds no noise of its
own (an SDXL refiner's ``add_noise: disable``): the seed that made the image is the one that made the
noise it continues, and the LoRAs of every stage of that split schedule (Wan 2.2's high- and low-noise
experts) made it too, listed in the order the stages run; the model and schedule stay the last stage's.
A node that runs such stages itself (``STAGED_SAMPLERS``: the TripleKSampler, Searge's SDXL
sampler; ``PIPE_REFINED_SAMPLERS``: Efficiency's SDXL sampler, whose refiner comes in its pipe and
takes over at ``refine_at_step``) is read the same way. A sampler given no latent (the video and
diffusers wrappers) makes one of the size it is given.
``width``/``height`` are the generation size, as
AUTOMATIC1111 reports it for a hires fix: the latent size of the first pass the primary descends
from (its own when it is a first pass). Every sampling node
is listed in ``extra["samplers"]`` (first passes first), with its prompt when it differs from the
primary's. A pass's LoRAs are those applied on its model path, nearest the checkpoint first: loader
nodes, the ``LORA_STACK`` chains behind a ``lora_stack`` input, and the ``<lora:…>`` tags that
tag-loading encoders (Impact's ``ImpactWildcardEncode``) apply; each at its model strength, and none
that applies nothing (off, ``None``, or at strength 0). A prompt styler's output stands for the
artist's typed text (its template is not in the file); its style is listed with the pass.

A ``SamplerCustomAdvanced`` takes its prompts and CFG from the guider it samples with (``GUIDERS``:
a ``DualCFGGuider``'s ``cond1`` and ``cfg_conds``, with a ``cond2`` of a text of its own kept after
``cond1``'s; the guider's secondary settings are kept as ``guider``).

A node that samples with a sampler another node made (``SAMPLER_OBJECT_INPUTS``: Impact's
``RegionalSampler``, ``TwoSamplersForMask``, ``IterativeLatentUpscale``) is the pass; what it does not
set itself comes from the provider that made that sampler and the pipe it holds. The positives of the
regions it samples besides (a ``mask_sampler``, ``regional_prompts``) are kept after its own.

A partner (API) node that returns an image made by a hosted model (``API_IMAGE_NODES``: Gemini's Nano
Banana, BFL's Flux Pro, OpenAI's GPT Image and DALL·E, Ideogram, Recraft, Stability, Luma, Kling,
Runway, ByteDance Seedream, Wan) is a pass too, with no sampler behind it: its prompt, negative
prompt, seed, model, size and settings are the inputs its schema names (see
:class:`~engine.metadata.comfy_nodes.ApiImageNode`; no size is taken from its input images); an
image input fed by another pass makes it a pass that refines that one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.metadata.comfy_kinds import is_detailer, is_sampler
from engine.metadata.comfy_nodes import (
    API_IMAGE_NODES,
    COUNTER_FIRST_OUTPUTS,
    FIELD_INPUTS,
    GIVEN_LATENT_DENOISE,
    GUIDER_CFG,
    GUIDER_NEGATIVE,
    GUIDER_POSITIVE,
    GUIDERS,
    MASK_LOADERS,
    OUTPUT_NODES,
    OUTPUT_PREFIX_INPUT,
    OWN_TEXT_PASSES,
    PIPE_REFINED_SAMPLERS,
    PREFIX_DATE_PRESETS,
    PRESET_SIZE,
    PROMPT_PART_SEPARATOR,
    REFINER_CHECKPOINT_INPUTS,
    SAMPLER_CFG_KEYS,
    SAMPLER_CHOICE_INPUT,
    SAMPLER_LATENT_INPUTS,
    SAMPLER_MODEL_INPUTS,
    STAGED_SAMPLERS,
    TEXT_EMBEDS_INPUTS,
    OwnTextPass,
    PipeRefinedSampler,
    StagedSampler,
)
from engine.metadata.comfy_outputs import (
    NO_PASS,
    choose_output,
    is_image_input,
    node_sort_key,
    output_nodes,
    trace_sampling_node,
)
from engine.metadata.comfygraph import (
    Graph,
    GraphWalker,
    is_link,
    is_on,
    name_value,
    workflow_hash,
)
from engine.metadata.values import as_float, as_int
from engine.records import LoraRef


@dataclass(slots=True)
class SamplerInfo:
    node_id: str
    class_type: str
    seed: int | None = None
    steps: int | None = None
    cfg: float | None = None
    sampler: str | None = None
    scheduler: str | None = None
    denoise: float | None = None
    positive: str | None = None
    negative: str | None = None
    model: str | None = None
    loras: list[LoraRef] = field(default_factory=list)
    width: int | None = None
    height: int | None = None
    source_image: str | None = None
    upstream_sampler: str | None = None
    guidance: float | None = None
    adds_noise: bool = True
    """False for a pass that only continues its input's noise (``KSamplerAdvanced`` with ``add_noise``
    disabled, as an SDXL refiner runs; ``DisableNoise``): its own seed widget is never used."""
    noise_from: str | None = None
    """For a primary pass that adds no noise: the upstream pass whose seed made the noise (``seed``
    then holds that pass's seed; ``extra["samplers"]`` keeps this pass's own widget)."""
    own_seed: int | None = None
    """The pass's own seed input, as ``extra["samplers"]`` lists it (``seed`` may be inherited)."""
    styles: list[str] = field(default_factory=list)
    """Prompt-styler styles met on the pass's prompt paths: the prompts are the artist's text, without
    the style template (listed as ``prompt_styles``)."""
    guider: dict[str, Any] | None = None
    """The secondary settings of the guider the pass samples with (``GUIDERS``: a DualCFGGuider's
    ``cfg_cond2_negative`` and ``style``, a PerpNegGuider's ``neg_scale``) with its ``class_type``;
    listed as ``guider``, and for the record's pass in ``extra["guider"]``."""

    def as_extra(self, primary_prompt: str | None = None) -> dict[str, Any]:
        """This pass for ``extra["samplers"]``; its prompts only where they differ from the record's."""
        listed: dict[str, Any] = {
            "node_id": self.node_id,
            "class_type": self.class_type,
            "seed": self.own_seed,
            "steps": self.steps,
            "cfg": self.cfg,
            "sampler": self.sampler,
            "scheduler": self.scheduler,
            "denoise": self.denoise,
            "model": self.model,
            "width": self.width,
            "height": self.height,
            "upstream_sampler": self.upstream_sampler,
        }
        if not self.adds_noise:
            listed["adds_noise"] = False
        if self.noise_from is not None:
            listed["noise_from"] = self.noise_from
        if self.positive is not None and self.positive != primary_prompt:
            listed["prompt"] = self.positive
        if self.styles:
            listed["prompt_styles"] = list(self.styles)
        if self.guider is not None:
            listed["guider"] = dict(self.guider)
        return listed


@dataclass(slots=True)
class GraphSummary:
    samplers: list[SamplerInfo]
    """Every sampling node: first passes (by node id), then the passes that refine them."""
    load_images: list[str]
    workflow_hash: str
    generated_prompts: list[tuple[str, str | None]] = field(default_factory=list)
    """Text-generator nodes met on the prompt paths: ``(class_type, request_text)``."""
    primary: SamplerInfo | None = None
    """The pass whose values describe this file (``None`` without samplers)."""
    output: dict[str, Any] | None = None
    """The output node taken to have written the file: ``node_id``, ``class_type``, ``filename_prefix``
    (or ``path``), and ``counter_first`` when it starts its file names with its counter."""


def _counter_first(walker: GraphWalker, node: dict[str, Any]) -> bool:
    """Whether an output node starts the names of its files with its image counter
    (``COUNTER_FIRST_OUTPUTS``)."""
    rule = COUNTER_FIRST_OUTPUTS.get(node["class_type"])
    if rule is None:
        return False
    key, values = rule
    value = walker.scalar(node["inputs"].get(key), (key, "value"))
    return any(value is choice or (isinstance(choice, str) and value == choice) for choice in values)


def summarise(graph: Graph, file_name: str | None = None) -> GraphSummary:
    """Every sampling pass, the output that wrote ``file_name`` and the pass that made its pixels.

    A partner node (``API_IMAGE_NODES``) is read by its schema only, whatever inputs it was given.
    The output and the pass behind it are found first, and that pass and the passes it refines are
    read before the others, so that a graph past the walker's look-up bound
    (``comfygraph.GRAPH_NODE_VISITS``) keeps the values of the file's own pass. The passes are listed
    and their text generators noted in node order whatever the order they were read in.
    """
    walker = GraphWalker(graph)
    node_ids = sorted(graph, key=node_sort_key)
    api_ids = [nid for nid in node_ids if graph[nid]["class_type"] in API_IMAGE_NODES]
    others = [nid for nid in node_ids if graph[nid]["class_type"] not in API_IMAGE_NODES]
    sampler_ids = [nid for nid in others if is_sampler(graph[nid])]
    detailer_ids = [nid for nid in others if not is_sampler(graph[nid]) and is_detailer(graph[nid])]
    sampling_set = set(sampler_ids) | set(detailer_ids) | set(api_ids)
    load_images = [
        graph[nid]["inputs"]["image"]
        for nid in node_ids
        if graph[nid]["class_type"].startswith("LoadImage")
        and graph[nid]["class_type"] not in MASK_LOADERS
        and isinstance(graph[nid]["inputs"].get("image"), str)
    ]

    def link(value: Any) -> bool:
        return is_link(value, graph)

    def name_of(node_id: str) -> str | None:
        return _output_name(walker, graph[node_id])[0]

    output_id = choose_output(graph, output_nodes(graph, link), file_name, name_of, link)
    traced = None
    if output_id is not None:
        traced = trace_sampling_node(graph, output_id, sampling_set, link, walker.follow)
    naming_generated = len(walker.generated)
    by_id, generated = _read_passes(walker, sampler_ids + detailer_ids, api_ids, sampling_set, traced)
    passes_read = len(walker.generated)
    samplers = [by_id[nid] for nid in sampler_ids + detailer_ids + api_ids]
    roots = [info for info in samplers if info.upstream_sampler is None]
    ordered = roots + [info for info in samplers if info.upstream_sampler is not None]
    primary = by_id.get(traced) if traced is not None else None
    if primary is None and traced != NO_PASS:  # the output's trace found no pass, but may have missed one
        primary = ordered[0] if ordered else None
    if primary is not None:
        _inherit_from_upstream(primary, by_id)
    output = None
    if output_id is not None:
        name, is_path = _output_name(walker, graph[output_id])
        output = {
            "node_id": output_id,
            "class_type": graph[output_id]["class_type"],
            "filename_prefix": None if is_path else name,
        }
        if is_path:
            output["path"] = name
        if _counter_first(walker, graph[output_id]):
            output["counter_first"] = True
    generated_prompts = [
        *(entry for info in samplers for entry in generated[info.node_id]),
        *walker.generated[:naming_generated],
        *walker.generated[passes_read:],
    ]
    return GraphSummary(
        ordered, load_images, workflow_hash(graph), generated_prompts, primary=primary, output=output
    )


def _read_passes(
    walker: GraphWalker,
    sampler_ids: list[str],
    api_ids: list[str],
    sampling_set: set[str],
    first: str | None,
) -> tuple[dict[str, SamplerInfo], dict[str, list[tuple[str, str | None]]]]:
    """Every pass read (``SamplerInfo`` by node id) and the text generators each one's walks met:
    ``first`` and the passes behind it (``upstream_sampler``) first, then the others in the order
    given. Once the walker's look-ups are spent (``GRAPH_NODE_VISITS``), the passes left are listed
    with their class only: their walks would find nothing, at a cost per pass (thousands of crafted
    samplers took seconds more)."""
    by_id: dict[str, SamplerInfo] = {}
    generated: dict[str, list[tuple[str, str | None]]] = {}
    api_set = set(api_ids)

    def read(node_id: str) -> SamplerInfo | None:
        if node_id in by_id or node_id not in sampling_set:
            return None
        if walker.visits_left <= 0:  # past the walker's bound every walk finds nothing: listed only
            by_id[node_id] = SamplerInfo(node_id, walker.graph[node_id]["class_type"])
            generated[node_id] = []
            return by_id[node_id]
        before = len(walker.generated)
        reader = _api_image_info if node_id in api_set else _sampler_info
        by_id[node_id] = reader(walker, node_id, walker.graph[node_id], sampling_set)
        generated[node_id] = walker.generated[before:]
        return by_id[node_id]

    current = read(first) if first is not None else None
    while current is not None and current.upstream_sampler is not None:
        current = read(current.upstream_sampler)  # None at a pass read already: a cycle ends
    for node_id in sampler_ids + api_ids:
        read(node_id)
    return by_id, generated


def _output_name(walker: GraphWalker, node: dict[str, Any]) -> tuple[str | None, bool]:
    """``(name, is_path)``: what names the files an output node writes (links followed), and whether
    it is the whole path of the file (``OUTPUT_NODES``) rather than a prefix.

    A prefix is the node's ``filename_prefix`` (or its ``OUTPUT_NODES`` input); a node that appends
    the day to it (``PREFIX_DATE_PRESETS``, a choice other than "None") gives it as ComfyUI's own
    ``{prefix}_%date:{choice}%``.
    """
    key, is_path = OUTPUT_NODES.get(node["class_type"], (OUTPUT_PREFIX_INPUT, False))
    value = node["inputs"].get(key)
    name = walker.string(value) if value is not None else None
    preset_key = PREFIX_DATE_PRESETS.get(node["class_type"])
    if name is not None and preset_key is not None:
        preset = name_value(walker.scalar(node["inputs"].get(preset_key), (preset_key, "value")))
        if preset is not None and preset != "None" and "%" not in preset:
            name = f"{name}_%date:{preset}%" if name else f"%date:{preset}%"  # the node drops a leading "_"
    return name, is_path


def _inherit_from_upstream(primary: SamplerInfo, by_id: dict[str, SamplerInfo]) -> None:
    """Take the generation size from the first pass behind the primary, and fill what the primary does
    not say (model, source image) from the passes it refines.

    A primary that adds no noise is the last stage of one schedule split across samplers (an SDXL
    refiner, Wan 2.2's low-noise expert after the high-noise one): its stages are the passes behind it
    back to the one that added the noise, which made the image as much as it did. The seed is that
    stage's; the LoRAs are those of every stage, in the order the stages run (a LoRA met again is kept
    once, at its first stage's strength); the model and the schedule stay the primary's own, the stage
    that made the pixels (each stage's model is listed with it in ``extra["samplers"]``)."""
    seen = {primary.node_id}
    current = primary
    earlier_stages: list[list[LoraRef]] = []
    """LoRAs of the stages before the primary, nearest first."""
    in_stage = not primary.adds_noise
    while current.upstream_sampler is not None and current.upstream_sampler not in seen:
        upstream = by_id.get(current.upstream_sampler)
        if upstream is None:
            break
        seen.add(upstream.node_id)
        if upstream.width is not None and upstream.height is not None:
            primary.width, primary.height = upstream.width, upstream.height
        if primary.model is None:
            primary.model, primary.loras = upstream.model, list(upstream.loras)
        primary.source_image = primary.source_image or upstream.source_image
        if not primary.adds_noise and primary.noise_from is None and upstream.adds_noise:
            primary.seed, primary.noise_from = upstream.seed, upstream.node_id  # the nearest noise made
        if in_stage:
            earlier_stages.append(list(upstream.loras))
            in_stage = not upstream.adds_noise  # the stage that added the noise is the first one
        current = upstream
    if earlier_stages:
        primary.loras = [lora for stage in reversed(earlier_stages) for lora in stage] + primary.loras


def _sampler_info(walker: GraphWalker, node_id: str, node: dict[str, Any], samplers: set[str]) -> SamplerInfo:
    inputs = node["inputs"]
    info = SamplerInfo(node_id, node["class_type"])

    def given(name: str, *keys: str) -> Any:
        """The sampler's input ``name`` (or the first of ``keys``), else the pipe's field."""
        return walker.setting(node, keys or (name,), name)

    info.seed = as_int(walker.scalar(given("seed", "seed", "noise_seed")))
    info.steps = as_int(walker.scalar(given("steps")))
    info.cfg = as_float(walker.scalar(given("cfg", *SAMPLER_CFG_KEYS)))
    info.sampler = name_value(walker.scalar(given("sampler_name"), ("sampler_name", "value")))
    if info.sampler is None and isinstance(inputs.get(SAMPLER_CHOICE_INPUT), str):
        info.sampler = name_value(inputs[SAMPLER_CHOICE_INPUT])  # a written choice, never a SAMPLER link
    info.scheduler = name_value(walker.scalar(given("scheduler"), ("scheduler", "value")))
    info.denoise = as_float(walker.scalar(given("denoise")))
    positive = given("positive", *FIELD_INPUTS["positive"])
    negative = given("negative", *FIELD_INPUTS["negative"])
    model = given("model", *SAMPLER_MODEL_INPUTS)
    embeds = next((inputs[key] for key in TEXT_EMBEDS_INPUTS if inputs.get(key) is not None), None)
    if positive is None and negative is None and embeds is not None:
        positive = negative = embeds  # one input carries both prompts (TEXT_EMBEDS_INPUTS)
    # SamplerCustomAdvanced: noise / guider / sampler / sigmas are links to helper nodes.
    info.adds_noise = not _disabled(walker.scalar(given("add_noise"), ("value", "add_noise")))
    noise = walker.source(inputs.get("noise"))
    if noise is not None and noise[1]["class_type"] == "DisableNoise":
        info.adds_noise = False
    if noise is not None and info.seed is None:
        info.seed = as_int(
            walker.scalar(noise[1]["inputs"].get("noise_seed", noise[1]["inputs"].get("seed")))
        )
    info.own_seed = info.seed
    select = walker.source(inputs.get("sampler"))
    if select is not None and info.sampler is None:
        # KSamplerSelect names the sampler; dedicated nodes (SamplerDPMPP_SDE, …) are the sampler.
        named = name_value(walker.scalar(select[1]["inputs"].get("sampler_name")))
        info.sampler = named or select[1]["class_type"]
    sigmas = walker.scheduler(inputs.get("sigmas"))
    if sigmas is not None:
        sig_inputs = sigmas[1]["inputs"]
        info.steps = info.steps if info.steps is not None else as_int(walker.scalar(sig_inputs.get("steps")))
        info.scheduler = info.scheduler or name_value(walker.scalar(sig_inputs.get("scheduler")))
        info.denoise = (
            info.denoise if info.denoise is not None else as_float(walker.scalar(sig_inputs.get("denoise")))
        )
        model = model if model is not None else sig_inputs.get("model")
    guider = walker.source(inputs.get("guider"))
    more_positives: list[Any] = []
    if guider is not None:
        guider_class, g_inputs = guider[1]["class_type"], guider[1]["inputs"]
        positive_keys, cfg_key, kept = GUIDERS.get(guider_class, (GUIDER_POSITIVE, GUIDER_CFG, ()))
        given_positives = [g_inputs[key] for key in positive_keys if g_inputs.get(key) is not None]
        if guider_class not in GUIDERS:
            given_positives = given_positives[:1]  # the first present
        info.cfg = info.cfg if info.cfg is not None else as_float(walker.scalar(g_inputs.get(cfg_key)))
        if positive is None and given_positives:
            positive, more_positives = given_positives[0], given_positives[1:]
        negative = negative if negative is not None else g_inputs.get(GUIDER_NEGATIVE)
        model = g_inputs.get("model", model)
        settings = {key: walker.scalar(g_inputs[key]) for key in kept if key in g_inputs}
        settings = {key: value for key, value in settings.items() if isinstance(value, str | int | float)}
        if settings:
            info.guider = {"class_type": guider_class, **settings}
    styles_before = len(walker.styles)
    if positive is not None:
        info.positive = walker.text(positive, "positive")
        info.guidance = _flux_guidance(walker, positive)
    if negative is not None:
        info.negative = walker.text(negative, "negative")
    more_positives += walker.region_positives(node)
    if more_positives:
        info.positive = _with_more_positives(walker, info.positive, more_positives, info.negative)
    info.styles = list(dict.fromkeys(walker.styles[styles_before:]))
    if node["class_type"] in STAGED_SAMPLERS:  # its stages' models, never a first one's alone
        _read_stages(walker, info, inputs, STAGED_SAMPLERS[node["class_type"]])
    elif model is not None:
        info.model, info.loras = walker.model(model)
    if node["class_type"] in PIPE_REFINED_SAMPLERS:
        _read_pipe_refiner(walker, info, inputs, PIPE_REFINED_SAMPLERS[node["class_type"]])
    if node["class_type"] in OWN_TEXT_PASSES:
        _read_own_texts(walker, info, inputs, OWN_TEXT_PASSES[node["class_type"]])
    info.loras += walker.applied_loras(node_id, node)  # a sampler's own LoRA, on the model it is given
    latent = given("latent", *SAMPLER_LATENT_INPUTS)
    if latent is not None:
        info.width, info.height, info.upstream_sampler, info.source_image = walker.latent(
            latent, samplers - {node_id}
        )
        if info.denoise is None:  # a strength that applies to a given latent only
            info.denoise = as_float(walker.scalar(inputs.get(GIVEN_LATENT_DENOISE)))
    elif is_sampler(node):  # it makes its latent inside, of the size it is given (SAMPLER_LATENT_INPUTS)
        info.width, info.height = walker.size(node_id)
    return info


def _written(walker: GraphWalker, value: Any) -> str | None:
    """The string ``value`` resolves to (:meth:`GraphWalker.string`) when it holds more than
    whitespace, else ``None``: an empty text on a node is no prompt and no model name."""
    text = walker.string(value)
    return text if text is not None and text.strip() else None


def _read_own_texts(walker: GraphWalker, info: SamplerInfo, inputs: dict[str, Any], own: OwnTextPass) -> None:
    """An ``OWN_TEXT_PASSES`` node's prompts and checkpoint, written on the node itself (a literal, or
    a string node behind a link); an empty text is no prompt."""
    positive = _written(walker, inputs.get(own.positive))
    negative = _written(walker, inputs.get(own.negative))
    info.positive = positive.strip() if positive is not None else None
    info.negative = negative.strip() if negative is not None else None
    info.model = _written(walker, inputs.get(own.model)) or info.model


def _read_stages(
    walker: GraphWalker, info: SamplerInfo, inputs: dict[str, Any], staged: StagedSampler
) -> None:
    """A ``STAGED_SAMPLERS`` node's model, LoRAs and schedule: the model of its last stage that the
    graph names (the stage that makes the pixels), the LoRAs of every stage in the order they run, the
    last stage's schedule length and CFG scale."""
    if info.steps is None:
        info.steps = as_int(walker.scalar(inputs.get(staged.steps)))
    if info.cfg is None:
        info.cfg = staged.final_cfg
    models = staged.models
    if staged.first_share is not None:
        share = as_float(walker.scalar(inputs.get(staged.first_share)))
        if share is not None and share >= 1:
            models = models[:1]  # the first stage runs every step
    for key in models:
        if inputs.get(key) is None:
            continue
        name, loras = walker.model(inputs[key])
        info.model = name or info.model
        info.loras += loras


def _read_pipe_refiner(
    walker: GraphWalker, info: SamplerInfo, inputs: dict[str, Any], refined: PipeRefinedSampler
) -> None:
    """A ``PIPE_REFINED_SAMPLERS`` node whose refiner takes over before the last step: the refiner's
    checkpoint is the model (the stage that made the pixels), its LoRAs after the base's. No refiner
    stage runs when the split step is negative or not before the end, or the pipe holds no refiner."""
    steps = as_int(walker.scalar(inputs.get(refined.steps)))
    split = as_int(walker.scalar(inputs.get(refined.split)))
    if steps is None or split is None or not 0 <= split < steps:
        return
    found = walker.source(inputs.get(refined.pipe))
    if found is None:
        return
    key = REFINER_CHECKPOINT_INPUTS.get(found[1]["class_type"])
    if key is not None:
        name = _written(walker, found[1]["inputs"].get(key))
        if name is not None and name != "None":
            info.model = name
        return
    link = walker.pipe_field(inputs.get(refined.pipe), refined.refiner)
    if link is not None:
        name, loras = walker.model(link)
        if name is not None:
            info.model = name
            info.loras += [lora for lora in loras if lora not in info.loras]


def _api_image_info(walker: GraphWalker, node_id: str, node: dict[str, Any], passes: set[str]) -> SamplerInfo:
    """A partner node's pass (``API_IMAGE_NODES``): its texts, seed, model, size and settings as its
    schema names them; the pass it refines and the source image from its linked image inputs (their
    sizes are not the size of the image the service returns)."""
    schema = API_IMAGE_NODES[node["class_type"]]
    inputs = node["inputs"]
    info = SamplerInfo(node_id, node["class_type"])
    info.positive = walker.string(inputs.get(schema.prompt))
    if schema.negative is not None:
        info.negative = _written(walker, inputs.get(schema.negative))
    if schema.seed is not None:
        info.seed = as_int(walker.scalar(inputs.get(schema.seed)))
        if schema.zero_seed_is_random and info.seed == 0:
            info.seed = None
    info.own_seed = info.seed
    written = _written(walker, inputs.get(schema.model_input)) if schema.model_input is not None else None
    info.model = written or schema.model
    if schema.turbo is not None:
        toggle, turbo_model = schema.turbo
        if is_on(walker.scalar(inputs.get(toggle), (toggle, "value", "boolean"))):
            info.model = turbo_model
    info.width, info.height = _api_size(walker, inputs, schema.sizes)
    info.steps = as_int(walker.scalar(inputs.get(schema.steps))) if schema.steps is not None else None
    info.cfg = as_float(walker.scalar(inputs.get(schema.cfg))) if schema.cfg is not None else None
    if schema.guidance is not None:
        info.guidance = as_float(walker.scalar(inputs.get(schema.guidance)))
    for key in sorted(inputs):
        if is_image_input(key) and is_link(inputs[key], walker.graph):
            _, _, upstream, source = walker.latent(inputs[key], passes - {node_id})
            info.upstream_sampler = info.upstream_sampler or upstream
            info.source_image = info.source_image or source
    return info


def _api_size(
    walker: GraphWalker, inputs: dict[str, Any], sources: tuple[tuple[str, ...], ...]
) -> tuple[int | None, int | None]:
    """The first size the node's ``sizes`` sources give (:class:`~engine.metadata.comfy_nodes.ApiImageNode`):
    a pair of positive numbers, or a choice written in pixels; else ``(None, None)``."""
    for keys in sources:
        if len(keys) == 2:
            width, height = (as_int(walker.scalar(inputs.get(key))) for key in keys)
            if width is not None and height is not None and width > 0 and height > 0:
                return width, height
            continue
        match = PRESET_SIZE.search(walker.string(inputs.get(keys[0])) or "")
        if match is not None:
            return int(match[1]), int(match[2])
    return None, None


def _with_more_positives(
    walker: GraphWalker, positive: str | None, links: list[Any], negative: str | None
) -> str | None:
    """``positive`` followed by the texts behind a guider's further positive inputs (``GUIDERS``) and
    the positives of the regions the pass samples (:meth:`GraphWalker.region_positives`), each
    stripped and kept once, joined with ``PROMPT_PART_SEPARATOR``. A negative text is left out: one
    found in the negative role (:meth:`GraphWalker.text_and_role`), or the guider's own negative text. A
    DualCFGGuider's ``cond2`` fed by InstructPixToPixConditioning's negative output carries the
    negative text with the input image, never a prompt. Without another text, ``positive`` is
    returned as it was."""
    parts = [positive.strip()] if positive is not None and positive.strip() else []
    left_out = {negative.strip()} if negative is not None else set()
    added = False
    for link in links:
        text, role = walker.text_and_role(link, "positive")
        if text is None or not text.strip() or role != "positive":
            continue
        if text.strip() in parts or text.strip() in left_out:
            continue
        parts.append(text.strip())
        added = True
    return PROMPT_PART_SEPARATOR.join(parts) if added else positive


def _disabled(value: Any) -> bool:
    """An ``add_noise`` value that turns the noise off (``"disable"`` in the stock node, a boolean in
    some packs)."""
    return value is False or (
        isinstance(value, str) and value.strip().lower() in ("disable", "disabled", "false")
    )


def _flux_guidance(walker: GraphWalker, link: Any) -> float | None:
    found = walker.source(link)
    if found is not None and found[1]["class_type"] == "FluxGuidance":
        return as_float(walker.scalar(found[1]["inputs"].get("guidance")))
    return None
