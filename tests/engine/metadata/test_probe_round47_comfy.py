"""Probe round 47: graphs read right as API graphs, in files that carry only the UI ``workflow``
(part A), and popular node packs never probed (part B).

Part A, as rounds 42 and 45 did: each test writes an earlier round's API graph as the frontend saves it
(``comfy_graph_builder.ui_from_api``: widgets in ``INPUT_TYPES`` order, the frontend's
``control_after_generate`` value after every ``seed``; VideoHelperSuite's saver keeps a dict of its
values), reads it and the API file, and checks that they agree field for field (``RECORD_FIELDS``). Widget
orders (``WIDGETS``) are written from the nodes' source. Fields agreeing of 14, before this round:

- round 44 ``ConditioningAverage`` (core ``nodes.py``) at weight 1.0: 13/14, the weight unnamed, so the
  ``conditioning_from`` text was kept;
- round 44 ``AILab_QwenVL_PromptEnhancer`` (1038lab/ComfyUI-QwenVL ``AILab_QwenVL_PromptEnhancer.py``):
  13/14, the artist's ``prompt_text`` lost;
- round 9 WanVideoWrapper graph: 11/14, ``WanVideoLoraSelect`` (``nodes_model_loading.py``) and JPS'
  ``Text Prompt (JPS)`` (``jps_nodes.py`` ``Text_Prompt``) unnamed: LoRA and both prompts lost;
- round 12 NAG graph through Comfyroll's ``CR Text`` and Impact's ``ImpactSwitch`` (``GeneralSwitch``):
  13/14, the prompt lost;
- kijai's ``CogVideoSampler`` (ComfyUI-CogVideoXWrapper ``nodes.py``, three layouts told apart by the
  seed's control value) with ``CogVideoTextEncode`` and ``DownloadAndLoadCogVideoModel``: 6/14 (8/14
  for the CogVideoX 1.5 layout, which has no size);
- Impact's ``MaskDetailerPipe`` (``modules/impact/impact_pack.py``), never probed: 6/14 (the first pass
  read); and as an API graph 13/14: its mask file (core ``LoadImageMask``) taken for the source image.

Left unnamed: stavsap's ``OllamaGenerateAdvance`` (its widgets were ``prompt, debug, url, model,
system, seed …`` and became ``system, prompt, keep_context, format, debug``: both begin with free
text), so round 9's CogVideoX graph, whose prompt an Ollama chain expands, still reads no prompt from
its workflow (13/14).

Read right already (guards): the Wan text-embed bridge with and without a negative, ``ConditioningAverage``
at 0.7, ``OpenAIChatNode`` describing an image, the NAG graph with ``WanVideoTextEncode``.

Part B (API graphs shaped after public ones, then their UI-only files): essentials' ``SimpleMath+``
sizing the latent and the steps (``misc.py``: API 11/14, the expression's string taken for a number),
LayerStyle's ``LayerUtility: Integer`` / ``Float`` (``py/data_nodes.py`` ``int_value`` /
``float_value``: API 12/14), Crystools' primitives (``nodes/primitive.py``: UI 11/14) and pysssss'
image-combo loaders (``py/better_combos.py``: UI 12/14, model and LoRA lost). Read right: Easy-Use's
``fullLoader`` + ``preSampling`` / ``preSamplingAdvanced`` + ``fullkSampler`` / ``kSamplerAdvanced``
pipelines, Inspire's ``KSampler //Inspire`` with an extension scheduler ("AYS SDXL"), Derfuu's
``Integer`` / ``Float``, pysssss' ``ShowText`` / ``StringFunction`` as API graphs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from comfy_graph_builder import Graph, link, node, read, read_ui_and_api, read_workflow, sampled, ui_from_api
from test_probe_round9_comfy import WAN_LORA, _cogvideo_graph
from test_probe_round9_comfy import _wan_graph as _wan_loras
from test_probe_round12_comfy import WAN_NEGATIVE, _nag_graph
from test_probe_round38_comfy import _cogvideo
from test_probe_round44_comfy import _conditioning_average, _openai_chat, _qwenvl_enhancer
from test_probe_round44_comfy import _wan_graph as _wan_bridge
from test_probe_round45_comfy import WIDGETS as ROUND45_WIDGETS

from engine.records import GenerationRecord
from tests.cpu_budget import run_within_cpu_budget

_WAN_SAMPLER = (
    "steps",
    "cfg",
    "shift",
    "seed+",
    "force_offload",
    "scheduler",
    "riflex_freq_index",
    "denoise_strength",
    "batched_cfg",
    "rope_function",
    "start_step",
    "end_step",
    "add_noise_to_samples",
)
WIDGETS: dict[str, tuple[str, ...]] = ROUND45_WIDGETS | {
    # core nodes.py ConditioningAverage (conditioning_to / conditioning_from are links)
    "ConditioningAverage": ("conditioning_to_strength",),
    # comfy_api_nodes/nodes_openai.py OpenAIChatNode (images, files, advanced_options are links)
    "OpenAIChatNode": ("prompt", "persist_context", "model"),
    # 1038lab/ComfyUI-QwenVL AILab_QwenVL_PromptEnhancer (required, then the later optional switches)
    "AILab_QwenVL_PromptEnhancer": (
        "model_name",
        "quantization",
        "attention_mode",
        "use_torch_compile",
        "device",
        "prompt_text",
        "enhancement_style",
        "custom_system_prompt",
        "max_tokens",
        "temperature",
        "top_p",
        "repetition_penalty",
        "keep_model_loaded",
        "seed+",
        "keep_last_prompt",
        "stream_tokens_to_terminal",
        "enable_thinking",
    ),
    # kijai/ComfyUI-WanVideoWrapper nodes_model_loading.py / nodes_sampler.py / nodes.py
    "WanVideoModelLoader": ("model", "base_precision", "quantization", "load_device", "attention_mode"),
    "WanVideoSampler": _WAN_SAMPLER,
    "WanVideoLoraSelect": ("lora", "strength", "low_mem_load", "merge_loras"),
    "WanVideoTextEncode": ("positive_prompt", "negative_prompt", "force_offload", "use_disk_cache", "device"),
    "WanVideoTextEncodeSingle": ("prompt", "force_offload", "use_disk_cache", "device"),
    "WanVideoApplyNAG": ("nag_scale", "nag_tau", "nag_alpha", "inplace"),
    # not read (graph order): the T5 and VAE loaders, the clip-vision encoder
    "LoadWanVideoT5TextEncoder": ("model_name", "precision"),
    "WanVideoVAELoader": ("model_name",),
    "WanVideoImageClipEncode": ("generation_width", "generation_height"),
    # JPS Text_Prompt, Comfyroll CR_Text, Impact GeneralSwitch (ImpactSwitch)
    "Text Prompt (JPS)": ("text",),
    "CR Text": ("text",),
    "ImpactSwitch": ("select", "sel_mode"),
    # kijai/ComfyUI-CogVideoXWrapper nodes.py (the pipeline / positive / negative sampler inputs, the
    # encoder's clip are links)
    "DownloadAndLoadCogVideoModel": ("model", "precision"),
    "CogVideoTextEncode": ("prompt", "strength", "force_offload"),
    "CogVideoSampler": (
        "height",
        "width",
        "num_frames",
        "steps",
        "cfg",
        "seed+",
        "scheduler",
        "denoise_strength",
    ),
    # stavsap/comfyui-ollama's first OllamaGenerateAdvance (prompt, debug, url, model, system, seed …)
    "OllamaGenerateAdvance": ("prompt", "debug", "url", "model"),
    # ltdrdata/ComfyUI-Impact-Pack impact_pack.py MaskDetailerPipe (image, mask, basic_pipe are links)
    "MaskDetailerPipe": (
        "guide_size",
        "guide_size_for",
        "max_size",
        "mask_mode",
        "seed+",
        "steps",
        "cfg",
        "sampler_name",
        "scheduler",
        "denoise",
        "feather",
        "crop_factor",
        "drop_size",
        "refiner_ratio",
        "batch_size",
        "cycle",
        "inpaint_model",
        "noise_mask_feather",
        "bbox_fill",
        "contour_fill",
    ),
    "LoadImageMask": ("image", "channel"),
    # part B: comfy_extras/nodes_primitive.py (Int's control widget), essentials misc.py SimpleMath,
    # LayerStyle py/data_nodes.py, Crystools nodes/primitive.py, pysssss py/better_combos.py (the
    # core loaders' widgets)
    "PrimitiveInt": ("value+",),
    "PrimitiveFloat": ("value",),
    "SimpleMath+": ("value",),
    "LayerUtility: Integer": ("int_value",),
    "LayerUtility: Float": ("float_value",),
    "LayerUtility: TextBox": ("text",),
    "Primitive integer [Crystools]": ("int",),
    "Primitive float [Crystools]": ("float",),
    "Primitive string multiline [Crystools]": ("string",),
    "CheckpointLoader|pysssss": ("ckpt_name",),
    "LoraLoader|pysssss": ("lora_name", "strength_model", "strength_clip"),
}
DICT_WIDGETS = frozenset({"VHS_VideoCombine"})
"""Nodes whose ``widgets_values`` the frontend saves as a dict of their values (VideoHelperSuite)."""


def _workflow(graph: Graph, widgets: dict[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
    """The UI workflow of ``graph`` (widgets in ``WIDGETS``' orders, ``widgets`` overriding some),
    VideoHelperSuite's widgets saved as their dict."""
    links_only = {
        key: entry
        if entry["class_type"] not in DICT_WIDGETS
        else {
            "class_type": entry["class_type"],
            "inputs": {name: value for name, value in entry["inputs"].items() if isinstance(value, list)},
        }
        for key, entry in graph.items()
    }
    workflow = ui_from_api(links_only, WIDGETS | (widgets or {}))
    for saved, entry in zip(workflow["nodes"], graph.values(), strict=True):
        if entry["class_type"] in DICT_WIDGETS:
            inputs = entry["inputs"].items()
            saved["widgets_values"] = {name: value for name, value in inputs if not isinstance(value, list)}
    return workflow


def _both(
    graph: Graph, file_name: str, widgets: dict[str, tuple[str, ...]] | None = None
) -> GenerationRecord:
    """The record of the UI-only file, checked equal, field for field, to the API file's."""
    return read_ui_and_api(graph, _workflow(graph, widgets), file_name)


def _nag_single() -> Graph:
    return _nag_graph(node("WanVideoTextEncodeSingle", prompt=link(27), force_offload=True, t5=link(9)))


def _nag_both() -> Graph:
    return _nag_graph(
        node(
            "WanVideoTextEncode",
            positive_prompt="a paper lantern drifts up into the night sky",
            negative_prompt="flicker, low quality",
            t5=link(9),
        )
    )


def _mask_detailer() -> Graph:
    """``sampled``'s image detailed in a loaded mask by ``MaskDetailerPipe`` on a ``ToBasicPipe`` of the
    checkpoint and a face prompt, then saved."""
    graph = sampled()
    graph["9"]["inputs"]["images"] = link(20)
    graph["12"] = node("CLIPTextEncode", text="detailed face, sharp eyes", clip=link(4, 1))
    graph["13"] = node(
        "ToBasicPipe", model=link(4), clip=link(4, 1), vae=link(4, 2), positive=link(12), negative=link(7)
    )
    graph["14"] = node("LoadImageMask", image="face_mask.png", channel="alpha")
    graph["20"] = node(
        "MaskDetailerPipe",
        guide_size=512,
        guide_size_for=True,
        max_size=1024,
        mask_mode=True,
        seed=5150,
        steps=24,
        cfg=5.5,
        sampler_name="dpmpp_2m",
        scheduler="karras",
        denoise=0.45,
        feather=5,
        crop_factor=3.0,
        drop_size=10,
        refiner_ratio=0.2,
        batch_size=1,
        cycle=1,
        inpaint_model=False,
        noise_mask_feather=20,
        bbox_fill=False,
        contour_fill=True,
        image=link(8),
        mask=link(14),
        basic_pipe=link(13),
    )
    return graph


_COGVIDEO_FPS = ("height", "width", "num_frames", "fps", "steps", "cfg", "seed+", "scheduler")
"""CogVideoXWrapper's early ``CogVideoSampler`` layout (``fps`` before ``steps``)."""
_COGVIDEO_15 = ("num_frames", "steps", "cfg", "seed+", "scheduler", "denoise_strength")
"""CogVideoXWrapper's CogVideoX 1.5 ``CogVideoSampler`` layout (no size: its ``model`` input)."""


def _cogvideo_fps() -> Graph:
    graph = _cogvideo()
    graph["57"]["inputs"]["fps"] = 8
    return graph


def _cogvideo_15() -> Graph:
    """Round 38's graph on the CogVideoX 1.5 sampler: ``model`` for ``pipeline``, no size widgets."""
    graph = _cogvideo()
    inputs = graph["57"]["inputs"]
    inputs["model"] = inputs.pop("pipeline")
    del inputs["height"], inputs["width"]
    inputs["denoise_strength"] = 1.0
    return graph


def _simple_math() -> Graph:
    """``sampled`` with its latent's sides and the steps computed by essentials' ``SimpleMath+`` (as
    public graphs size latents: ``"a*b"`` of a side and a scale) from core primitives."""
    graph = sampled()
    graph["30"] = node("PrimitiveInt", value=832)
    graph["31"] = node("PrimitiveInt", value=1216)
    graph["32"] = node("PrimitiveFloat", value=1.5)
    graph["33"] = node("SimpleMath+", value="a*b", a=link(30), b=link(32))
    graph["34"] = node("SimpleMath+", value="round(a*b/64)*64", a=link(31), b=link(32))
    graph["35"] = node("SimpleMath+", value="a // 40 + 4", a=link(30))
    graph["5"]["inputs"] |= {"width": link(33), "height": link(34)}
    graph["3"]["inputs"]["steps"] = link(35)
    return graph


def _layer_utility_numbers() -> Graph:
    """``sampled`` with steps, CFG and the prompt from LayerStyle's ``LayerUtility`` data nodes."""
    graph = sampled()
    graph["40"] = node("LayerUtility: Integer", int_value=28)
    graph["41"] = node("LayerUtility: Float", float_value=4.5)
    graph["42"] = node("LayerUtility: TextBox", text="a quiet harbor at night")
    graph["3"]["inputs"] |= {"steps": link(40), "cfg": link(41)}
    graph["6"]["inputs"]["text"] = link(42)
    return graph


def _crystools_primitives() -> Graph:
    """``sampled`` with steps, CFG and the prompt from Crystools' primitives."""
    graph = sampled()
    graph["50"] = node("Primitive integer [Crystools]", int=30)
    graph["51"] = node("Primitive float [Crystools]", float=5.5)
    graph["52"] = node("Primitive string multiline [Crystools]", string="an old lighthouse keeper")
    graph["3"]["inputs"] |= {"steps": link(50), "cfg": link(51)}
    graph["6"]["inputs"]["text"] = link(52)
    return graph


def _pysssss_loaders() -> Graph:
    """``sampled`` on pysssss' image-combo loaders: each name saved as ``{"content", "image"}``."""
    graph = sampled()
    graph["4"] = node(
        "CheckpointLoader|pysssss",
        ckpt_name={
            "content": "SDXL/juggernautXL_v9.safetensors",
            "image": "checkpoints/SDXL/juggernautXL_v9.png",
        },
    )
    graph["10"] = node(
        "LoraLoader|pysssss",
        lora_name={"content": "add-detail-xl.safetensors", "image": None},
        strength_model=0.6,
        strength_clip=0.6,
        model=link(4),
        clip=link(4, 1),
    )
    graph["3"]["inputs"]["model"] = link(10)
    graph["6"]["inputs"]["clip"] = link(10, 1)
    graph["7"]["inputs"]["clip"] = link(10, 1)
    return graph


Shape = tuple[Callable[[], Graph], str, dict[str, tuple[str, ...]]]
SHAPES: dict[str, Shape] = {
    "wan_bridge": (
        lambda: _wan_bridge(node("WanVideoTextEmbedBridge", positive=link(234), negative=link(235))),
        "ComfyUI_00001_.png",
        {},
    ),
    "wan_bridge_no_negative": (
        lambda: _wan_bridge(node("WanVideoTextEmbedBridge", positive=link(234))),
        "ComfyUI_00001_.png",
        {},
    ),
    "cond_average_0.7": (lambda: _conditioning_average(0.7), "ComfyUI_00001_.png", {}),
    "cond_average_1.0": (lambda: _conditioning_average(1.0), "ComfyUI_00001_.png", {}),
    "openai_chat": (_openai_chat, "ComfyUI_00001_.png", {}),
    "qwenvl_enhancer": (_qwenvl_enhancer, "ComfyUI_00001_.png", {}),
    "wan_loras_r9": (_wan_loras, "vid_00001.png", {}),
    "nag_single_r12": (_nag_single, "FusionX_Video_00001.png", {}),
    "nag_both_r12": (_nag_both, "FusionX_Video_00001.png", {}),
    "cogvideo_r9": (_cogvideo_graph, "CogVideoX-I2V_00001.png", {}),
    "cogvideo_r38": (_cogvideo, "CogVideoX-I2V_00001.png", {}),
    "cogvideo_fps": (_cogvideo_fps, "CogVideoX-I2V_00001.png", {"CogVideoSampler": _COGVIDEO_FPS}),
    "cogvideo_15": (_cogvideo_15, "CogVideoX-I2V_00001.png", {"CogVideoSampler": _COGVIDEO_15}),
    "mask_detailer": (_mask_detailer, "ComfyUI_00001_.png", {}),
    "simple_math": (_simple_math, "ComfyUI_00001_.png", {}),
    "layer_utility": (_layer_utility_numbers, "ComfyUI_00001_.png", {}),
    "crystools": (_crystools_primitives, "ComfyUI_00001_.png", {}),
    "pysssss_loaders": (_pysssss_loaders, "ComfyUI_00001_.png", {}),
}


# -- part A -------------------------------------------------------------------------------------------
def test_conditioning_average_at_full_weight_keeps_only_the_to_text() -> None:
    """``conditioning_to_strength`` 1.0 read from the workflow: ``conditioning_from`` adds nothing."""
    record = _both(_conditioning_average(1.0), "ComfyUI_00001_.png")
    assert record.prompt == "a lighthouse at dusk"


def test_qwenvl_prompt_enhancer_keeps_the_artists_prompt_text() -> None:
    assert _both(_qwenvl_enhancer(), "ComfyUI_00001_.png").prompt == "a fox in the snow"


def test_wan_wrapper_lora_select_and_jps_prompts() -> None:
    """Round 9: the ``WanVideoLoraSelect`` chain's LoRA, the ``Text Prompt (JPS)`` prompts."""
    record = _both(_wan_loras(), "vid_00001.png")
    assert (record.prompt, record.negative_prompt) == (
        "the woman turns toward the camera and smiles",
        "blurry, static",
    )
    assert [(lora.name, lora.weight) for lora in record.loras] == [(WAN_LORA, 0.7)]


def test_nag_prompt_through_cr_text_and_impact_switch() -> None:
    """Round 12: ``ImpactSwitch``'s ``select`` 1 picks the first ``CR Text``."""
    record = _both(_nag_single(), "FusionX_Video_00001.png")
    assert (record.prompt, record.negative_prompt) == (
        "a girl in a red dress spins around slowly",
        WAN_NEGATIVE,
    )


@pytest.mark.parametrize(
    ("build", "widgets", "size"),
    [
        (_cogvideo, {}, (720, 480)),
        (_cogvideo_fps, {"CogVideoSampler": _COGVIDEO_FPS}, (720, 480)),
        (_cogvideo_15, {"CogVideoSampler": _COGVIDEO_15}, (None, None)),
    ],
    ids=["denoise_strength", "fps", "cogvideox_1_5"],
)
def test_cogvideo_sampler_layouts_read_by_where_the_seeds_control_value_is(
    build: Callable[[], Graph], widgets: dict[str, tuple[str, ...]], size: tuple[int | None, int | None]
) -> None:
    """Round 38's graph saved by three versions of the wrapper: seed, steps, CFG, scheduler, model,
    prompt and size (none for the 1.5 sampler, which takes no size) alike."""
    record = _both(build(), "CogVideoX-I2V_00001.png", widgets)
    assert (record.seed, record.steps, record.cfg_scale) == (65334758276105, 25, 6.0)
    assert (record.model, record.prompt) == ("THUDM/CogVideoX-5b-I2V", "cherry blossom petals scattering")
    assert (record.width, record.height) == size


def test_mask_detailer_pipe_reads_its_own_pass_and_no_mask_as_source() -> None:
    """The detailer's seed, steps, CFG, sampler, scheduler, denoise and pipe prompt; the mask file is
    the area it redraws, no source image."""
    record = _both(_mask_detailer(), "ComfyUI_00001_.png")
    assert (record.seed, record.steps, record.cfg_scale, record.denoise) == (5150, 24, 5.5, 0.45)
    assert (record.sampler, record.scheduler) == ("dpmpp_2m", "karras")
    assert (record.prompt, record.source_image) == ("detailed face, sharp eyes", None)


@pytest.mark.parametrize(
    "name", ["wan_bridge", "wan_bridge_no_negative", "cond_average_0.7", "openai_chat", "nag_both_r12"]
)
def test_guard_shapes_read_alike_from_the_workflow(name: str) -> None:
    build, file_name, widgets = SHAPES[name]
    _both(build(), file_name, widgets)


# -- part B -------------------------------------------------------------------------------------------
def test_simple_math_sizes_the_latent_and_counts_the_steps() -> None:
    """``832*1.5`` = 1248, ``round(1216*1.5/64)*64`` = 1792 (INT outputs round), ``832 // 40 + 4``."""
    record = _both(_simple_math(), "ComfyUI_00001_.png")
    assert (record.width, record.height, record.steps) == (1248, 1792, 24)


@pytest.mark.parametrize("expression", ["9**9**9", "__import__('os').getpid()", "a.real", "a < 3", "1/0", ""])
def test_simple_math_expressions_beyond_arithmetic_give_no_value(expression: str) -> None:
    graph = _simple_math()
    graph["35"]["inputs"]["value"] = expression
    assert read(graph).steps is None


@pytest.mark.parametrize("expression", ["round(5, -10**15)", "round(5.5, -10**15)", "round(a, 10**15)"])
def test_simple_math_round_with_absurd_digits_gives_no_value_at_once(expression: str) -> None:
    """``round(5, -10**15)`` makes Python build ``10**(10**15)`` (it never returned): the digits ``round``
    may take are bounded, so a crafted graph is read at once, without the value."""
    graph = _simple_math()
    graph["35"]["inputs"]["value"] = expression
    record = run_within_cpu_budget(lambda: read(graph), 1.0, f"reading {expression}")
    assert record.steps is None


def test_chained_math_nodes_are_worked_out_once_each() -> None:
    """Thirty ``SimpleMath+`` nodes whose four variables all link to the node before (a crafted graph
    of a few kilobytes) took 4**n evaluations — the read never ended; each output is worked out once:
    12 nodes give 2 * 4**11 steps, 30 overflow the bound and give no value, both at once."""
    for count, steps in ((12, 2 * 4**11), (30, None)):
        graph = sampled()
        graph["1000"] = node("SimpleMath+", value="a+1", a=1)
        for index in range(1, count):
            before = link(999 + index)
            graph[str(1000 + index)] = node(
                "SimpleMath+", value="a+b+c+d", a=before, b=before, c=before, d=before
            )
        sampler = next(key for key, each in graph.items() if "steps" in each["inputs"])
        graph[sampler]["inputs"]["steps"] = link(999 + count)
        record = run_within_cpu_budget(lambda graph=graph: read(graph), 1.0, f"{count} chained math nodes")
        assert record.steps == steps


def test_layer_utility_numbers_and_text_feed_the_sampler() -> None:
    record = _both(_layer_utility_numbers(), "ComfyUI_00001_.png")
    assert (record.steps, record.cfg_scale, record.prompt) == (28, 4.5, "a quiet harbor at night")


def test_crystools_primitives_feed_the_sampler() -> None:
    record = _both(_crystools_primitives(), "ComfyUI_00001_.png")
    assert (record.steps, record.cfg_scale, record.prompt) == (30, 5.5, "an old lighthouse keeper")


def test_pysssss_image_combo_loaders_name_the_checkpoint_and_lora() -> None:
    record = _both(_pysssss_loaders(), "ComfyUI_00001_.png")
    assert record.model == "SDXL/juggernautXL_v9.safetensors"
    assert [(lora.name, lora.weight) for lora in record.loras] == [("add-detail-xl.safetensors", 0.6)]


def test_the_first_cogvideo_loader_saves_only_its_precision() -> None:
    """CogVideoXWrapper's first ``DownloadAndLoadCogVideoModel`` had no ``model`` choice: its one value
    (``["fp16"]``) is the precision, never a model name."""
    workflow = _workflow(_cogvideo())
    loader = next(entry for entry in workflow["nodes"] if entry["type"] == "DownloadAndLoadCogVideoModel")
    loader["widgets_values"] = ["fp16"]
    assert read_workflow(workflow, "CogVideoX-I2V_00001.png").model is None
