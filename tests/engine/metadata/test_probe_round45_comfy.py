"""Probe round 45: more of rounds 35-37's graphs in files that carry only the UI ``workflow``.

As round 42 did for rounds 35-41's samplers: each test writes an earlier round's API graph as the
frontend saves it (``comfy_graph_builder.ui_from_api``: widgets in ``INPUT_TYPES`` order, the frontend's
``control_after_generate`` value after every ``seed`` / ``noise_seed``, a list widget saved as the list
the frontend wraps as ``{"__value__": …}`` when queueing), reads it and the API file, and checks that
they agree field for field. Read wrong before this round (fields agreeing of 14):

- Lora Manager (willmiao/ComfyUI-Lora-Manager ``py/nodes/lora_loader.py``, ``trigger_word_toggle.py``,
  ``prompt.py``; ``web/comfyui/lora_loader.js``, ``trigger_word_toggle.js`` add the ``loras`` and
  ``toggle_trigger_words`` list widgets and the hidden ``orinalMessage``): 12/14, the LoRA and the
  trigger words lost. Newer loaders save the autocomplete's ``{"version", "textWidgetName"}`` state first.
- Impact ``SEGSDetailer`` -> ``SEGSPaste`` (``modules/impact/segs_nodes.py``): 7/14, the first pass read.
- Impact ``DetailerForEachPipe`` (``modules/impact/impact_pack.py``): 12/14, the face detailer's seed.
- Impact ``IterativeLatentUpscale`` + ``PixelKSampleUpscalerProviderPipe`` (``impact_pack.py``): 8/14.
- Impact ``ImpactConditionalBranch`` / ``ImpactCompare`` / ``ImpactInt`` (``modules/impact/logics.py``):
  9/14 and 12/14, the branch unknown.
- Inspire ``RegionalPromptSimple //Inspire`` (``inspire/regional_nodes.py``): 13/14, regions' prompts lost.
- stavsap ``OllamaGenerateV2`` expanding the artist's words (``system``, ``prompt`` …): 13/14.

Read right already (guards): rgthree ``Any Switch``, Wan 2.2 ``KSamplerAdvanced`` stages with
``WanImageToVideo``, Qwen-Image-Edit-2509 with ``TextEncodeQwenImageEditPlus``, Flux Kontext with
``ReferenceLatent``, a ``Florence2Run`` caption, an ``OllamaGenerateV2`` describing an image.

The widgets of nodes the reader does not name (detector providers, pipe builders, previews, the video
saver) are written in the order of the earlier rounds' graphs; they change no field either way.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from comfy_graph_builder import (
    Graph,
    link,
    node,
    read,
    read_ui_and_api,
    read_workflow,
    record_fields,
    ui_from_api,
)
from test_probe_round35_comfy import _detailer_pipes, _iterative_upscale
from test_probe_round36_comfy import (
    _any_switches,
    _branches,
    _generated_segs_detailer,
    _inspire_regional,
    _moody,
)
from test_probe_round37_comfy import (
    _florence2_caption,
    _flux_kontext,
    _ollama_described,
    _qwen_relight,
    _wan22_i2v,
)
from test_probe_round42_comfy import WIDGETS as ROUND42_WIDGETS

from engine.records import GenerationRecord

_DETAILER = (
    "guide_size",
    "guide_size_for",
    "max_size",
    "seed+",
    "steps",
    "cfg",
    "sampler_name",
    "scheduler",
    "denoise",
)
_DETECTOR = (
    "bbox_threshold",
    "bbox_dilation",
    "crop_factor",
    "drop_size",
    "sub_threshold",
    "sub_dilation",
    "sub_bbox_expansion",
    "sam_mask_hint_threshold",
)
_LORA_CHOICE = ("wildcard", "Select to add LoRA")
WIDGETS: dict[str, tuple[str, ...]] = ROUND42_WIDGETS | {
    # Lora Manager (py/nodes + web/comfyui, see above)
    "Lora Loader (LoraManager)": ("text", "loras"),
    "TriggerWord Toggle (LoraManager)": (
        "group_mode",
        "default_active",
        "allow_strength_adjustment",
        "toggle_trigger_words",
        "orinalMessage",
    ),
    "Prompt (LoraManager)": ("text",),
    "Save Image (LoraManager)": ("filename_prefix", "file_format", "add_counter_to_filename"),
    "UNETLoader": ("unet_name", "weight_dtype"),
    "ModelSamplingAuraFlow": ("shift",),
    "EmptySD3LatentImage": ("width", "height", "batch_size"),
    # Impact segs_nodes.py SEGSDetailer (required, then optional), SEGSPaste, SEGSPreview
    "SEGSDetailer": (
        *_DETAILER,
        "noise_mask",
        "force_inpaint",
        "refiner_ratio",
        "batch_size",
        "cycle",
        "inpaint_model",
        "noise_mask_feather",
    ),
    "SEGSPaste": ("feather", "alpha"),
    "SEGSPreview": ("alpha_mode", "min_alpha"),
    # Impact impact_pack.py DetailerForEachPipe (required, then optional)
    "DetailerForEachPipe": (
        *_DETAILER,
        "feather",
        "noise_mask",
        "force_inpaint",
        "wildcard",
        "refiner_ratio",
        "cycle",
    ),
    "FaceDetailerPipe": (
        *_DETAILER,
        "feather",
        "noise_mask",
        "force_inpaint",
        "bbox_threshold",
        "bbox_dilation",
        "bbox_crop_factor",
        "sam_detection_hint",
        "sam_dilation",
        "sam_threshold",
        "sam_bbox_expansion",
        "sam_mask_hint_threshold",
        "sam_mask_hint_use_negative",
        "drop_size",
        "refiner_ratio",
        "cycle",
    ),
    "ImpactSimpleDetectorSEGS": _DETECTOR,
    "ImpactSimpleDetectorSEGSPipe": _DETECTOR,
    "UltralyticsDetectorProvider": ("model_name",),
    "SAMLoader": ("model_name", "device_mode"),
    "ToDetailerPipeSDXL": _LORA_CHOICE,
    "BasicPipeToDetailerPipeSDXL": _LORA_CHOICE,
    # Impact impact_pack.py PixelKSampleUpscalerProviderPipe, IterativeLatentUpscale, the pipe sampler
    "PixelKSampleUpscalerProviderPipe": (
        "scale_method",
        "seed+",
        "steps",
        "cfg",
        "sampler_name",
        "scheduler",
        "denoise",
        "use_tiled_vae",
        "tile_size",
    ),
    "IterativeLatentUpscale": ("upscale_factor", "steps", "temp_prefix", "step_mode"),
    "ImpactKSamplerBasicPipe": ("seed+", "steps", "cfg", "sampler_name", "scheduler", "denoise"),
    # Impact logics.py
    "ImpactConditionalBranch": ("cond",),
    "ImpactCompare": ("cmp",),
    "ImpactInt": ("value",),
    "ImpactBoolean": ("value",),
    "PrimitiveStringMultiline": ("value",),
    "LatentUpscaleBy": ("upscale_method", "scale_by"),
    # Inspire regional_nodes.py RegionalPromptSimple (sigma_factor last)
    "RegionalPromptSimple //Inspire": (
        "cfg",
        "sampler_name",
        "scheduler",
        "wildcard_prompt",
        "controlnet_in_pipe",
        "sigma_factor",
    ),
    # rgthree Power Lora Loader: its header, rows and button widgets
    "Power Lora Loader (rgthree)": ("PowerLoraLoaderHeaderWidget", "lora_1", "➕ Add Lora"),
    # stavsap/comfyui-ollama OllamaGenerateV2, OllamaConnectivityV2
    "OllamaGenerateV2": ("system", "prompt", "think", "keep_context", "format"),
    "OllamaConnectivityV2": ("url", "model", "keep_alive", "keep_alive_unit"),
    # the guards' other nodes, in their rounds' order
    "KSamplerAdvanced": (
        "add_noise",
        "noise_seed+",
        "steps",
        "cfg",
        "sampler_name",
        "scheduler",
        "start_at_step",
        "end_at_step",
        "return_with_leftover_noise",
    ),
    "WanImageToVideo": ("width", "height", "length", "batch_size"),
    "LoraLoaderModelOnly": ("lora_name", "strength_model"),
    "ModelSamplingSD3": ("shift",),
    "CreateVideo": ("fps",),
    "SaveVideo": ("filename_prefix", "format", "codec", "video-preview"),
    "SaveAnimatedWEBP": ("filename_prefix", "fps", "lossless", "quality", "method"),
    "CFGNorm": ("strength",),
    "TextEncodeQwenImageEditPlus": ("prompt",),
    "ImageScaleToTotalPixels": ("upscale_method", "megapixels"),
    "ImageScaleBy": ("upscale_method", "scale_by"),
    "SeedVR2LoadDiTModel": ("model", "device"),
    "SeedVR2LoadVAEModel": ("model", "device"),
    "SeedVR2VideoUpscaler": ("seed+", "resolution", "max_resolution", "batch_size", "color_correction"),
    "Multiply Int Float (JPS)": ("float_b",),
    "DualCLIPLoader": ("clip_name1", "clip_name2", "type", "device"),
    "FluxGuidance": ("guidance",),
    "KSamplerSelect": ("sampler_name",),
    "BasicScheduler": ("scheduler", "steps", "denoise"),
    "RandomNoise": ("noise_seed+",),
    "Florence2Run": (
        "text_input",
        "task",
        "fill_mask",
        "keep_model_loaded",
        "max_new_tokens",
        "num_beams",
        "do_sample",
        "output_mask_select",
        "seed+",
    ),
    "Florence2ModelLoader": ("model", "precision", "attention"),
    "CR Latent Batch Size": ("batch_size",),
    "Image Save": (
        "output_path",
        "filename_prefix",
        "filename_delimiter",
        "filename_number_padding",
        "filename_number_start",
        "extension",
    ),
}


def _both(graph: Graph, file_name: str) -> GenerationRecord:
    """The record of the UI-only file, checked equal, field for field, to the API file's."""
    return read_ui_and_api(graph, ui_from_api(graph, WIDGETS), file_name)


MOODY_TOGGLE = {
    "group_mode": True,
    "default_active": True,
    "allow_strength_adjustment": False,
    "toggle_trigger_words": {
        "__value__": [
            {"text": "moody portrait", "active": True, "strength": None, "highlighted": False},
            {"text": "film grain, soft light", "active": False, "strength": None, "highlighted": False},
        ]
    },
    "orinalMessage": "moody portrait,, film grain, soft light",
}


def test_lora_manager_loader_toggle_and_prompt_read_their_list_widgets() -> None:
    """Round 36's moody graph: the loader's ``loras`` list gives the LoRA, the toggle's list its active
    group, which the prompt node puts before the typed text."""
    record = _both(_moody(MOODY_TOGGLE, trigger_words1=link(37)), "z-image-turbo_00002_.png")
    assert record.prompt is not None and record.prompt.startswith("moody portrait, Proportional")
    assert [(lora.name, lora.weight) for lora in record.loras] == [("moodyPortrait_zit", 0.8)]


def test_lora_manager_loader_with_the_autocomplete_state_saved_first() -> None:
    """Newer loaders save ``[{"version": 1, "textWidgetName": "text"}, text, loras]`` (or ``null``
    first): the state is skipped, the text and list read as before."""
    graph = _moody(MOODY_TOGGLE, trigger_words1=link(37))
    expected = record_fields(read(copy.deepcopy(graph), "z-image-turbo_00003_.png"))
    for leader in ({"version": 1, "textWidgetName": "text"}, None):
        workflow = ui_from_api(graph, WIDGETS)
        loader = next(n for n in workflow["nodes"] if n["type"] == "Lora Loader (LoraManager)")
        loader["widgets_values"].insert(0, leader)
        assert record_fields(read_workflow(workflow, "z-image-turbo_00003_.png")) == expected


def test_segs_detailer_pasted_over_a_generated_image_reads_the_detailer() -> None:
    """Round 36: the paste's SEGS are the ``SEGSDetailer``'s: its seed, steps, cfg, sampler, denoise."""
    record = _both(_generated_segs_detailer(), "ComfyUI_00002_.png")
    assert (record.seed, record.steps, record.denoise) == (175808616555701, 20, 0.5)


def test_detailer_for_each_pipe_reads_its_own_seed_and_steps() -> None:
    """Round 35's detailer pipes: the last preview is the ``DetailerForEachPipe``'s."""
    record = _both(_detailer_pipes(), "ComfyUI_temp_pqrst_00005_.png")
    assert (record.seed, record.steps) == (450265819682234, 20)


def test_iterative_latent_upscale_reads_its_upscaler_providers_settings() -> None:
    """Round 35: the ``PixelKSampleUpscalerProviderPipe``'s seed, steps, cfg, sampler and denoise."""
    record = _both(_iterative_upscale(), "iterative_00001_.png")
    assert (record.seed, record.steps, record.cfg_scale, record.denoise) == (2002, 12, 6.0, 0.45)


@pytest.mark.parametrize(("cond", "seed"), [(True, 809), (False, 808)])
def test_conditional_branch_on_its_own_boolean_widget(cond: bool, seed: int) -> None:
    """Round 36: the ``cond`` widget chooses the model, prompt and image branches."""
    record = _both(_branches(cond), f"branch_0000{int(cond)}_.png")
    assert record.seed == seed and record.model is not None


def test_conditional_branch_on_a_comparison_of_two_constants() -> None:
    """Round 36: ``ImpactCompare`` ("a >= b") of two ``ImpactInt`` (2048, 1536) is true."""
    graph = _branches(link(70)) | {
        "71": node("ImpactInt", value=2048),
        "72": node("ImpactInt", value=1536),
        "70": node("ImpactCompare", cmp="a >= b", a=link(71), b=link(72)),
    }
    assert _both(graph, "branch_00003_.png").seed == 809


def test_inspire_regional_prompt_simple_reads_its_regions_prompts() -> None:
    """Round 36: each region's ``wildcard_prompt`` after the base prompt."""
    record = _both(_inspire_regional(), "ComfyUI_temp_inspr_00001_.png")
    assert record.prompt is not None and record.prompt.count("\n") == 2


def test_ollama_expanding_the_artists_words_keeps_them() -> None:
    """Round 37: without an image, ``OllamaGenerateV2``'s ``prompt`` is the artist's words."""
    graph = _ollama_described()
    del graph["1"]["inputs"]["images"]
    graph["1"]["inputs"]["prompt"] = "a lighthouse in a storm"
    assert _both(graph, "described_00002_.png").prompt == "a lighthouse in a storm"


@pytest.mark.parametrize(
    ("build", "file_name"),
    [
        (_any_switches, "anyswitch_00001_.png"),
        (_wan22_i2v, "ComfyUI_00001_.webp"),
        (_qwen_relight, "ComfyUI_00001_.png"),
        (_flux_kontext, "ComfyUI_00001_.png"),
        (_florence2_caption, "ComfyUI_0001.png"),
        (_ollama_described, "described_00001_.png"),
    ],
)
def test_guard_graphs_read_alike_from_the_workflow(build: Any, file_name: str) -> None:
    """Shapes read the same from either chunk before this round too."""
    _both(build(), file_name)
