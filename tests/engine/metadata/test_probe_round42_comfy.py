"""Probe round 42: the graphs of rounds 35-41 in files that carry only the UI ``workflow``.

A file re-saved by a frontend or tool keeps the UI (litegraph) ``workflow`` and drops the API
``prompt``; its nodes hold positional ``widgets_values`` that the reader names from
``comfy_widgets.WIDGET_NAMES``. Rounds 35-41 taught the API-graph reader the nodes below, but their
widgets were not named, so the same graph saved as a UI workflow lost its prompts, seed, steps, CFG,
sampler choices, model, size and denoise. Each test writes the round's API graph as the frontend saves
it (``comfy_graph_builder.ui_from_api``: widgets in each node's ``INPUT_TYPES`` order, the frontend's
``control_after_generate`` value after every ``seed`` / ``noise_seed``, links as inputs, a widget fed by
a link kept with its ``widget`` name), reads both files and checks that they agree field for field,
with the values worked out by hand. Widget orders (``WIDGETS`` below, written from the packs' source):

- SeargeDP/SeargeSDXL ``modules/_legacy.py`` / ``searge_sdxl_sampler_node.py``: ``SeargeSDXLSampler``
  (noise_seed, steps, cfg, sampler_name, scheduler, base_ratio, denoise); ``SeargeSDXLSampler2`` /
  ``SeargeSDXLSamplerV3`` (``sampler_name`` / ``scheduler`` are SAMPLER_NAME / SCHEDULER_NAME sockets fed
  by ``SeargeSamplerInputs``); the prompt encoders, ``SeargePromptText`` and the number constants.
- kijai/ComfyUI-KwaiKolorsWrapper ``nodes.py``: ``KolorsSampler`` (width, height, seed, steps, cfg,
  scheduler, denoise_strength), ``KolorsTextEncode``, ``DownloadAndLoadKolorsModel``.
- kijai/ComfyUI-SUPIR ``nodes_v2.py`` (``SUPIR_sample``, ``SUPIR_conditioner``) and ``nodes.py``
  (``SUPIR_Upscale``).
- kijai/ComfyUI-MochiWrapper ``nodes.py``: ``MochiSampler`` (width, height, num_frames, steps, cfg,
  seed), ``MochiTextEncode``, ``DownloadAndLoadMochiModel``.
- ltdrdata/ComfyUI-Impact-Pack ``modules/impact/special_samplers.py`` / ``impact_pack.py``:
  ``RegionalSampler`` (seed, seed_2nd, seed_2nd_mode, steps, base_only_steps, denoise …: no control
  value after ``seed_2nd``, as Impact's own workflows save it), ``TwoAdvancedSamplersForMask``,
  ``KSamplerProvider``, ``KSamplerAdvancedProvider``.

And one rule made consistent: Efficiency Nodes' ``KSampler SDXL (Eff.)`` (jags111
``efficiency-nodes-comfyui`` ``efficiency_nodes.py``: the base model samples to ``refine_at_step``, the
tuple's refiner the rest with the base's noise) reported the base as the model; like Searge's sampler
and split ``KSamplerAdvanced`` stages (round 37's rule, ``comfy_passes``) the refiner that made the
pixels is the model now, and the base stays the model when no refiner stage runs.
"""

from __future__ import annotations

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
    regional_prompt_graph,
    ui_from_api,
)
from test_probe_round35_comfy import _mask_samplers, _on_ksampler_providers
from test_probe_round38_comfy import _kolors, _mochi, _searge_simple, _supir
from test_probe_round41_comfy import _kolors_img2img, _searge, _supir_upscale

from engine.records import GenerationRecord

_SEARGE_SIZES = (
    "base_width",
    "base_height",
    "crop_w",
    "crop_h",
    "target_width",
    "target_height",
    "pos_ascore",
    "neg_ascore",
    "refiner_width",
    "refiner_height",
)
WIDGETS: dict[str, tuple[str, ...]] = {
    # core nodes (nodes.py, comfy_extras)
    "CheckpointLoaderSimple": ("ckpt_name",),
    "VAELoader": ("vae_name",),
    "CLIPLoader": ("clip_name", "type", "device"),
    "CLIPTextEncode": ("text",),
    "CLIPTextEncodeSDXL": (
        "width",
        "height",
        "crop_w",
        "crop_h",
        "target_width",
        "target_height",
        "text_g",
        "text_l",
    ),
    "CLIPTextEncodeSDXLRefiner": ("ascore", "width", "height", "text"),
    "EmptyLatentImage": ("width", "height", "batch_size"),
    "KSampler": ("seed+", "steps", "cfg", "sampler_name", "scheduler", "denoise"),
    "LoadImage": ("image", "upload"),
    "SaveImage": ("filename_prefix",),
    "UpscaleModelLoader": ("model_name",),
    "ImageBlend": ("blend_factor", "blend_mode"),
    "ImageScale": ("upscale_method", "width", "height", "crop"),
    "ConditioningAverage ": ("conditioning_to_strength",),
    # Impact's PreviewBridge, essentials' ImageResize+, KJNodes' ColorMatch
    "PreviewBridge": ("image",),
    "ImageResize+": ("width", "height", "interpolation", "method", "condition", "multiple_of"),
    "ColorMatch": ("method", "strength"),
    # SeargeSDXL
    "SeargePromptText": ("prompt",),
    "SeargeIntegerConstant": ("value",),
    "SeargeFloatConstant": ("value",),
    "SeargeIntegerPair": ("value1", "value2"),
    "SeargeFloatPair": ("value1", "value2"),
    "SeargeIntegerScaler": ("value", "factor", "multiple_of"),
    "SeargeSamplerInputs": ("sampler_name", "scheduler"),
    "SeargeSDXLPromptEncoder": ("pos_g", "pos_l", "pos_r", "neg_g", "neg_l", "neg_r", *_SEARGE_SIZES),
    "SeargeSDXLBasePromptEncoder": ("pos_g", "pos_l", "neg_g", "neg_l", *_SEARGE_SIZES[:6]),
    "SeargeSDXLRefinerPromptEncoder": ("pos_r", "neg_r", *_SEARGE_SIZES[6:]),
    "SeargeSDXLSampler": (
        "noise_seed+",
        "steps",
        "cfg",
        "sampler_name",
        "scheduler",
        "base_ratio",
        "denoise",
    ),
    "SeargeSDXLSampler2": (
        "noise_seed+",
        "steps",
        "cfg",
        "base_ratio",
        "denoise",
        "refiner_prep_steps",
        "noise_offset",
        "refiner_strength",
    ),
    "SeargeSDXLSamplerV3": ("noise_seed+", "steps", "cfg", "base_ratio", "denoise", "refiner_prep_steps"),
    # KwaiKolorsWrapper
    "DownloadAndLoadKolorsModel": ("model", "precision"),
    "DownloadAndLoadChatGLM3": ("precision",),
    "KolorsTextEncode": ("prompt", "negative_prompt", "num_images_per_prompt"),
    "KolorsSampler": ("width", "height", "seed+", "steps", "cfg", "scheduler", "denoise_strength"),
    # ComfyUI-SUPIR
    "SUPIR_model_loader_v2": ("supir_model", "fp8_unet", "diffusion_dtype", "high_vram"),
    "SUPIR_first_stage": ("use_tiled_vae", "encoder_tile_size", "decoder_tile_size", "encoder_dtype"),
    "SUPIR_encode": ("use_tiled_vae", "encoder_tile_size", "encoder_dtype"),
    "SUPIR_decode": ("use_tiled_vae", "decoder_tile_size"),
    "SUPIR_conditioner": ("positive_prompt", "negative_prompt"),
    "SUPIR_sample": (
        "seed+",
        "steps",
        "cfg_scale_start",
        "cfg_scale_end",
        "EDM_s_churn",
        "s_noise",
        "DPMPP_eta",
        "control_scale_start",
        "control_scale_end",
        "restore_cfg",
        "keep_model_loaded",
        "sampler",
        "sampler_tile_size",
        "sampler_tile_stride",
    ),
    "SUPIR_Upscale": (
        "supir_model",
        "sdxl_model",
        "seed+",
        "resize_method",
        "scale_by",
        "steps",
        "restoration_scale",
        "cfg_scale",
        "a_prompt",
        "n_prompt",
        "s_churn",
        "s_noise",
        "control_scale",
        "cfg_scale_start",
        "control_scale_start",
        "color_fix_type",
        "keep_model_loaded",
        "use_tiled_vae",
        "encoder_tile_size_pixels",
        "decoder_tile_size_latent",
        "diffusion_dtype",
        "encoder_dtype",
    ),
    # MochiWrapper
    "DownloadAndLoadMochiModel": ("model", "vae", "precision", "attention_mode"),
    "MochiTextEncode": ("prompt", "strength", "force_offload"),
    "MochiSampler": ("width", "height", "num_frames", "steps", "cfg", "seed+"),
    "MochiDecode": ("enable_vae_tiling",),
    # Impact Pack
    "KSamplerProvider": ("seed+", "steps", "cfg", "sampler_name", "scheduler", "denoise"),
    "KSamplerAdvancedProvider": ("cfg", "sampler_name", "scheduler", "sigma_factor"),
    "RegionalSampler": (
        "seed+",
        "seed_2nd",
        "seed_2nd_mode",
        "steps",
        "base_only_steps",
        "denoise",
        "overlap_factor",
        "restore_latent",
        "additional_mode",
        "additional_sampler",
        "additional_sigma_ratio",
    ),
    "TwoAdvancedSamplersForMask": ("seed+", "steps", "denoise", "overlap_factor"),
    # efficiency-nodes-comfyui (TSC_EfficientLoaderSDXL, TSC_KSamplerSDXL)
    "Eff. Loader SDXL": (
        "base_ckpt_name",
        "base_clip_skip",
        "refiner_ckpt_name",
        "refiner_clip_skip",
        "positive_ascore",
        "negative_ascore",
        "vae_name",
        "positive",
        "negative",
        "token_normalization",
        "weight_interpretation",
        "empty_latent_width",
        "empty_latent_height",
        "batch_size",
    ),
    "KSampler SDXL (Eff.)": (
        "noise_seed+",
        "steps",
        "cfg",
        "sampler_name",
        "scheduler",
        "start_at_step",
        "refine_at_step",
        "preview_method",
        "vae_decode",
    ),
}


def _both(graph: Graph, file_name: str) -> GenerationRecord:
    """The record of the UI-only file, checked equal, field for field, to the API file's."""
    return read_ui_and_api(graph, ui_from_api(graph, WIDGETS), file_name)


def _settings(record: GenerationRecord) -> tuple[Any, ...]:
    return (
        record.seed,
        record.steps,
        record.cfg_scale,
        record.sampler,
        record.scheduler,
        record.model,
        record.width,
        record.height,
        record.denoise,
    )


def test_searge_simple_workflow_reads_its_prompts_constants_and_refiner() -> None:
    """Round 38's ``Searge-SDXL-simple`` graph: the base prompts typed on ``SeargePromptText`` nodes, the
    seed, steps, CFG and base ratio of constant nodes, the 1024 × 1024 ``SeargeIntegerPair``, the
    sampler's own ``dpmpp_2m`` / ``karras`` and the refiner that ran the last 6 of 30 steps."""
    record = _both(_searge_simple(), "low_res_00001_.png")
    assert record.prompt is not None and record.prompt.startswith("~*~cinematic~*~ photo of abstraction")
    assert record.negative_prompt == "drawing, painting, crayon, sketch, noisy, blurry, soft, deformed"
    expected = (
        1468615445736,
        30,
        7.0,
        "dpmpp_2m",
        "karras",
        "sd_xl_refiner_1.0.safetensors",
        1024,
        1024,
        1.0,
    )
    assert _settings(record) == expected


@pytest.mark.parametrize(
    ("class_type", "extra"),
    [("SeargeSDXLSampler2", {"noise_offset": 1, "refiner_strength": 1.0}), ("SeargeSDXLSamplerV3", {})],
)
def test_searge_sampler2_and_v3_with_their_sampler_inputs_node(
    class_type: str, extra: dict[str, Any]
) -> None:
    """Round 41's samplers as their source has them: ``sampler_name`` / ``scheduler`` sockets fed by
    ``SeargeSamplerInputs`` (so the sampler's own widgets are noise_seed, steps, cfg, base_ratio,
    denoise, refiner_prep_steps …)."""
    graph = _searge(class_type, **extra)
    graph["21"] = node("SeargeSamplerInputs", sampler_name="dpmpp_2m", scheduler="karras")
    sampler = graph["20"]["inputs"]
    sampler |= {"sampler_name": link(21), "scheduler": link(21, 1)}
    record = _both(graph, "Searge_00001_.png")
    assert (record.prompt, record.negative_prompt) == (
        "a red fox in fresh snow, golden hour",
        "blurry, lowres",
    )
    expected = (421337, 30, 7.0, "dpmpp_2m", "karras", "sd_xl_refiner_1.0.safetensors", 1024, 1024, 1.0)
    assert _settings(record) == expected


def test_kolors_sampler_reads_its_seed_size_and_encoder_prompts() -> None:
    """Round 38's Kolors text-to-image: the sampler's own size, seed, steps, CFG and diffusers scheduler,
    the encoder's prompts, the loader's repository id."""
    record = _both(_kolors(), "Kolors_00001_.png")
    assert (record.prompt, record.negative_prompt) == (
        "cinematic photograph monkey giving two thumbs up",
        "nsfw, naked",
    )
    expected = (
        243590846571465,
        25,
        5.0,
        None,
        "EulerDiscreteScheduler",
        "Kwai-Kolors/Kolors",
        1024,
        1024,
        None,
    )
    assert _settings(record) == expected


def test_kolors_img2img_reads_its_strength() -> None:
    """Round 41's Kolors image-to-image: ``denoise_strength`` 0.75 of the given latent is the denoise."""
    record = _both(_kolors_img2img(), "Kolors_00001_.png")
    assert record.prompt is not None and record.prompt.startswith("illustration a wolf")
    expected = (
        1000102404233414,
        25,
        5.0,
        None,
        "EulerDiscreteScheduler",
        "Kwai-Kolors/Kolors",
        None,
        None,
        0.75,
    )
    assert _settings(record) == expected
    assert record.source_image == "ComfyUI_temp_pkpxa_00007_.png"


def test_supir_sample_reads_its_conditioner_prompts_and_settings() -> None:
    """Round 38's SUPIR v2 restore: the conditioner's prompts, the sampler's seed, steps, starting CFG
    and sampler choice."""
    record = _both(_supir(), "SUPIR_00001_.png")
    assert (record.prompt, record.negative_prompt) == (
        "high quality, detailed, photograph of an old man",
        "bad quality, blurry, messy",
    )
    expected = (
        174277455657960,
        10,
        2.0,
        "RestoreDPMPP2MSampler",
        None,
        "SDXL\\juggernautXL_v9Rdphoto2Lightning.safetensors",
        None,
        None,
        None,
    )
    assert _settings(record) == expected


def test_supir_upscale_reads_its_own_prompts_seed_and_checkpoint() -> None:
    """Round 41's one-node ``SUPIR_Upscale``: a_prompt / n_prompt, seed, steps, cfg_scale and the SDXL
    checkpoint it loads the SUPIR weights over."""
    record = _both(_supir_upscale(), "SUPIR_00001_.png")
    assert (record.prompt, record.negative_prompt) == ("high quality, detailed", "bad quality, blurry, messy")
    assert _settings(record) == (
        123,
        45,
        7.5,
        None,
        None,
        "sd_xl_base_1.0_0.9vae.safetensors",
        None,
        None,
        None,
    )


def test_mochi_sampler_reads_its_size_seed_and_model() -> None:
    """Round 38's Mochi graph (saved here by ``SaveImage``): the sampler's own 848 × 480 size, seed 0,
    50 steps at CFG 4.5, the encoder's prompt, the loader's model choice."""
    graph = _mochi(node("SaveImage", filename_prefix="Mochi_preview", images=link(10)))
    record = _both(graph, "Mochi_preview_00001_.png")
    assert record.prompt == "nature video of a red panda eating bamboo in front of a waterfall"
    expected = (0, 50, 4.5, None, None, "mochi_preview_dit_fp8_e4m3fn.safetensors", 848, 480, None)
    assert _settings(record) == expected


def test_regional_sampler_reads_its_seed_steps_and_providers_settings() -> None:
    """Round 35's Impact regional graph: the ``RegionalSampler``'s seed, steps and denoise (``seed_2nd``
    is followed by no control value), the base ``KSamplerAdvancedProvider``'s cfg, sampler, scheduler."""
    record = _both(regional_prompt_graph(), "ComfyUI_temp_abcde_00001_.png")
    expected = (212608453650633, 20, 8.0, "euler", "normal", "V07_v07.safetensors", 1024, 768, 1.0)
    assert _settings(record) == expected


def test_regional_sampler_of_the_older_layout_reads_its_seed_and_steps() -> None:
    """``RegionalSampler`` before ``seed_2nd`` / ``base_only_steps`` came in (seed, steps, denoise,
    overlap_factor: five saved values with the control one) is named by that layout."""
    graph = regional_prompt_graph()
    for key in ("seed_2nd", "seed_2nd_mode", "base_only_steps", "restore_latent"):
        del graph["2"]["inputs"][key]
    for key in ("additional_mode", "additional_sampler", "additional_sigma_ratio"):
        del graph["2"]["inputs"][key]
    older = WIDGETS | {"RegionalSampler": ("seed+", "steps", "denoise", "overlap_factor")}
    record = read_workflow(ui_from_api(graph, older), "ComfyUI_temp_abcde_00002_.png")
    assert record_fields(record) == record_fields(read(graph, "ComfyUI_temp_abcde_00002_.png"))
    assert (record.seed, record.steps, record.denoise) == (212608453650633, 20, 1.0)


def test_two_advanced_samplers_for_mask_reads_its_seed_and_steps() -> None:
    """Round 35's ``TwoAdvancedSamplersForMask``: its own seed, steps, denoise; the providers' settings."""
    record = _both(_mask_samplers(), "ComfyUI_temp_vwxyz_00002_.png")
    expected = (1107040072933063, 24, 8.0, "euler", "normal", "V07_v07.safetensors", 792, 512, 1.0)
    assert _settings(record) == expected


def test_two_samplers_for_mask_reads_its_ksampler_providers_settings() -> None:
    """Round 35's ``TwoSamplersForMask`` on two ``KSamplerProvider`` nodes: the base provider's seed,
    steps, cfg, sampler, scheduler and denoise."""
    graph = _on_ksampler_providers(_mask_samplers())
    record = _both(graph, "ComfyUI_temp_vwxyz_00003_.png")
    expected = (5150, 28, 6.5, "dpmpp_2m", "karras", "V07_v07.safetensors", 792, 512, 0.8)
    assert _settings(record) == expected


# -- Efficiency's SDXL sampler: the refiner that made the pixels is the model ------------------------
BASE = "sd_xl_base_1.0.safetensors"
REFINER = "sd_xl_refiner_1.0.safetensors"


def _efficiency_sdxl(refiner: str, refine_at_step: int) -> Graph:
    """``Eff. Loader SDXL`` (base + ``refiner``) -> ``KSampler SDXL (Eff.)``, 30 steps, the refiner taking
    over at ``refine_at_step``, saved from its IMAGE output."""
    return {
        "20": node(
            "Eff. Loader SDXL",
            base_ckpt_name=BASE,
            base_clip_skip=-2,
            refiner_ckpt_name=refiner,
            refiner_clip_skip=-2,
            positive_ascore=6.0,
            negative_ascore=2.0,
            vae_name="Baked VAE",
            positive="a cyberpunk street market at night",
            negative="blurry, lowres",
            token_normalization="none",
            weight_interpretation="comfy",
            empty_latent_width=1152,
            empty_latent_height=896,
            batch_size=1,
        ),
        "21": node(
            "KSampler SDXL (Eff.)",
            noise_seed=8675309,
            steps=30,
            cfg=7.0,
            sampler_name="dpmpp_2m_sde_gpu",
            scheduler="karras",
            start_at_step=0,
            refine_at_step=refine_at_step,
            preview_method="auto",
            vae_decode="true",
            sdxl_tuple=link(20),
            latent_image=link(20, 1),
        ),
        "22": node("SaveImage", filename_prefix="ComfyUI", images=link(21, 3)),
    }


@pytest.mark.parametrize(
    ("refiner", "refine_at_step", "model"),
    [
        (REFINER, 24, REFINER),  # the refiner runs steps 24-30 and made the pixels
        (REFINER, -1, BASE),  # "Disable refiner": the base runs every step
        (REFINER, 30, BASE),  # a split at the end: no refiner stage
        ("None", 24, BASE),  # no refiner loaded
    ],
)
def test_efficiency_sdxl_sampler_reports_the_refiner_that_ran_last(
    refiner: str, refine_at_step: int, model: str
) -> None:
    """As Searge's sampler and split ``KSamplerAdvanced`` stages: the base stage's seed, prompts and
    schedule, the model of the stage that made the pixels (in the API and the UI-only file alike)."""
    record = _both(_efficiency_sdxl(refiner, refine_at_step), "ComfyUI_00001_.png")
    assert (record.prompt, record.negative_prompt) == ("a cyberpunk street market at night", "blurry, lowres")
    assert _settings(record) == (8675309, 30, 7.0, "dpmpp_2m_sde_gpu", "karras", model, 1152, 896, None)
