"""Probe round 41: a wrapper sampler's image-to-image strength, SUPIR's one-node upscaler, Searge's
later SDXL samplers, and core save nodes that write no image file beside one that does.

Each graph is written as ComfyUI writes it (the API ``prompt`` chunk) with a file name its output node
writes; the expected values are worked out by hand from the workflow and the nodes' source, tracing
from the output node that wrote the file back to its sampler and conditioning. Sources, and what was
read wrong before this round:

- Kolors image-to-image: ``kijai/ComfyUI-KwaiKolorsWrapper`` ``examples/kolors_img2img_example.json``
  (``LoadImage`` -> ``VAEEncode`` -> ``KolorsSampler.latent``, ``denoise_strength`` 0.75, saved here by
  ``SaveImage`` beside the example's ``PreviewImage``); ``nodes.py``: the optional ``latent`` goes to
  the diffusers pipeline as ``latents`` with ``strength=denoise_strength``. Failed before: no denoise.
- SUPIR's one-node upscaler: ``kijai/ComfyUI-SUPIR`` ``nodes.py`` ``SUPIR_Upscale`` (``supir_model`` and
  ``sdxl_model`` checkpoint names, ``image``, ``seed``, ``steps``, ``cfg_scale``, ``a_prompt``/``n_prompt``
  into ``batchify_sample``), built from its ``INPUT_TYPES`` defaults. Failed before: no pass at all (no
  "sampler" in its name, no ``positive``), so no prompt, seed, steps, CFG or model.
- Searge: ``SeargeDP/SeargeSDXL`` ``SeargeSDXLSampler2`` (``modules/legacy.py``: base stage of
  ``int(steps * base_ratio)`` steps, refiner stage on ``refiner_model`` from ``noise_seed +
  noise_offset``) and ``SeargeSDXLSamplerV3`` (``searge_sdxl_sampler_node.py``: ``sdxl_ksampler`` on
  one ``noise_seed``), the inputs of round 38's ``SeargeSDXLSampler``. Failed before: no model (only
  ``SeargeSDXLSampler`` was read as a staged sampler; the others have no ``model`` input).
- Core save nodes: ``comfyanonymous/ComfyUI`` ``comfy_extras/nodes_video.py`` ``SaveWEBM`` (``images``,
  ``filename_prefix`` "ComfyUI", ``codec``, ``fps``, ``crf``: a ``.webm``) and ``nodes.py`` ``SaveLatent``
  (``samples``: a ``.latent`` file) beside a ``SaveAnimatedWEBP`` of the same prefix (the Wan 2.1
  templates save both a WEBP and a WEBM). Failed before: they share ComfyUI's counter, so the name
  could not tell them apart and the last to run, the video or latent of another pass, was taken for
  the writer of the image.
- Probed and read right before this round (no test: each agreed field for field): an SD3.5 Large graph
  (``TripleCLIPLoader``, ``ModelSamplingSD3``, ``EmptySD3LatentImage``, the template's negative of
  ``ConditioningZeroOut`` + ``ConditioningSetTimestepRange`` joined by ``ConditioningCombine``); LTX-Video
  image-to-video (``LTXVImgToVideo``, ``LTXVConditioning``, ``LTXVScheduler`` -> ``SamplerCustom``) saved
  by ``SaveAnimatedWEBP`` beside ``CreateVideo`` -> ``SaveVideo`` (a ``video`` input: no image output);
  HunyuanImage 2.1 with its refiner (``EmptyHunyuanImageLatent``, ``HunyuanRefinerLatent`` -> a second
  ``KSamplerAdvanced`` on the refiner model, ``comfy_extras/nodes_hunyuan.py``); Flux Redux
  (``StyleModelApply`` of a ``CLIPVisionEncode``) with PuLID's ``ApplyPulidFlux`` on the model path, and
  ``PreviewImage`` beside ``SaveImage``.
"""

from __future__ import annotations

from typing import Any

import pytest
from comfy_graph_builder import Graph, node, read
from comfy_graph_builder import link as _link
from comfy_graph_builder import record_settings as _settings

# -- Kolors image-to-image (kijai/ComfyUI-KwaiKolorsWrapper, kolors_img2img_example.json) -------------
KOLORS_PROMPT = "illustration a wolf|\ncinematic photograph a cyborg wolf"


def _kolors_img2img() -> Graph:
    """The example's nodes as its API graph (widget values in ``INPUT_TYPES`` order)."""
    return {
        "6": node("DownloadAndLoadKolorsModel", model="Kwai-Kolors/Kolors", precision="fp16"),
        "13": node("DownloadAndLoadChatGLM3", precision="quant8"),
        "11": node("VAELoader", vae_name="sdxl.vae.safetensors"),
        "17": node("LoadImage", image="ComfyUI_temp_pkpxa_00007_.png", upload="image"),
        "16": node("VAEEncode", pixels=_link(17), vae=_link(11)),
        "12": node(
            "KolorsTextEncode",
            prompt=KOLORS_PROMPT,
            negative_prompt="",
            num_images_per_prompt=1,
            chatglm3_model=_link(13),
        ),
        "14": node(
            "KolorsSampler",
            width=1024,
            height=1024,
            seed=1000102404233414,
            steps=25,
            cfg=5,
            scheduler="EulerDiscreteScheduler",
            denoise_strength=0.75,
            kolors_model=_link(6),
            kolors_embeds=_link(12),
            latent=_link(16),
        ),
        "10": node("VAEDecode", samples=_link(14), vae=_link(11)),
        "3": node("PreviewImage", images=_link(10)),
        "30": node("SaveImage", filename_prefix="Kolors", images=_link(10)),
    }


def test_kolors_img2img_reads_its_strength_as_the_denoise() -> None:
    """Given a latent, the sampler re-noises it to ``denoise_strength``: 0.75 is the pass's denoise.
    The size is the loaded image's (no size the graph can tell), the source its ``LoadImage``. The
    prompt is the typed text (its "|" makes a batch of two prompts at run time; the file is one of
    them); the empty negative is no prompt."""
    record = read(_kolors_img2img(), "Kolors_00001_.png")
    assert (record.prompt, record.negative_prompt) == (KOLORS_PROMPT, None)
    expected = (
        1000102404233414,
        25,
        5.0,
        None,
        "EulerDiscreteScheduler",
        "Kwai-Kolors/Kolors",
        [],
        None,
        None,
    )
    assert _settings(record) == expected
    assert (record.denoise, record.source_image) == (0.75, "ComfyUI_temp_pkpxa_00007_.png")


# -- SUPIR one-node upscaler (kijai/ComfyUI-SUPIR, nodes.py SUPIR_Upscale) ----------------------------
SDXL = "sd_xl_base_1.0_0.9vae.safetensors"


def _supir_upscale(**overrides: Any) -> Graph:
    inputs: dict[str, Any] = {
        "supir_model": "SUPIR-v0Q.ckpt",
        "sdxl_model": SDXL,
        "image": _link(1),
        "seed": 123,
        "resize_method": "lanczos",
        "scale_by": 2.0,
        "steps": 45,
        "restoration_scale": -1.0,
        "cfg_scale": 7.5,
        "a_prompt": "high quality, detailed",
        "n_prompt": "bad quality, blurry, messy",
        "s_churn": 5,
        "s_noise": 1.003,
        "control_scale": 1.0,
        "cfg_scale_start": 0.0,
        "control_scale_start": 0.0,
        "color_fix_type": "Wavelet",
        "keep_model_loaded": True,
        "use_tiled_vae": True,
        "encoder_tile_size_pixels": 512,
        "decoder_tile_size_latent": 64,
        "diffusion_dtype": "auto",
        "encoder_dtype": "auto",
    }
    return {
        "1": node("LoadImage", image="old_photo.png", upload="image"),
        "2": node("SUPIR_Upscale", **(inputs | overrides)),
        "3": node("SaveImage", filename_prefix="SUPIR", images=_link(2)),
    }


def test_supir_upscale_is_the_pass_with_its_own_prompts_and_sdxl_checkpoint() -> None:
    """``SUPIR_Upscale`` samples the loaded image with its own ``a_prompt``/``n_prompt``, ``seed``,
    ``steps`` and ``cfg_scale`` (``cfg_scale_start`` 0: no linear CFG) on the SDXL checkpoint it loads
    the SUPIR weights over; no sampler or scheduler choice, no size (``scale_by`` of a loaded image)."""
    record = read(_supir_upscale(), "SUPIR_00001_.png")
    assert [entry["node_id"] for entry in record.extra["samplers"]] == ["2"]
    assert (record.prompt, record.negative_prompt) == ("high quality, detailed", "bad quality, blurry, messy")
    assert _settings(record) == (123, 45, 7.5, None, None, SDXL, [], None, None)
    assert (record.denoise, record.source_image) == (None, "old_photo.png")


# -- Searge SDXL samplers (SeargeDP/SeargeSDXL SeargeSDXLSampler2, SeargeSDXLSamplerV3) ---------------
BASE = "sd_xl_base_1.0.safetensors"
REFINER = "sd_xl_refiner_1.0.safetensors"


def _searge(class_type: str, **extra: Any) -> Graph:
    """SDXL base + refiner checkpoints, ``CLIPTextEncodeSDXL`` base and ``CLIPTextEncodeSDXLRefiner``
    refiner prompts, a 1024 × 1024 latent, the sampler ``class_type`` at 30 steps with base_ratio 0.8."""

    def sdxl_text(text: str) -> dict[str, Any]:
        size = {"width": 4096, "height": 4096, "crop_w": 0, "crop_h": 0}
        return node(
            "CLIPTextEncodeSDXL",
            **size,
            target_width=4096,
            target_height=4096,
            text_g=text,
            text_l=text,
            clip=_link(4, 1),
        )

    def refiner_text(text: str, ascore: float) -> dict[str, Any]:
        return node(
            "CLIPTextEncodeSDXLRefiner", ascore=ascore, width=4096, height=4096, text=text, clip=_link(12, 1)
        )

    return {
        "4": node("CheckpointLoaderSimple", ckpt_name=BASE),
        "12": node("CheckpointLoaderSimple", ckpt_name=REFINER),
        "6": sdxl_text("a red fox in fresh snow, golden hour"),
        "7": sdxl_text("blurry, lowres"),
        "15": refiner_text("a red fox in fresh snow, golden hour", 6),
        "16": refiner_text("blurry, lowres", 2.5),
        "5": node("EmptyLatentImage", width=1024, height=1024, batch_size=1),
        "20": node(
            class_type,
            base_model=_link(4),
            base_positive=_link(6),
            base_negative=_link(7),
            refiner_model=_link(12),
            refiner_positive=_link(15),
            refiner_negative=_link(16),
            latent_image=_link(5),
            noise_seed=421337,
            steps=30,
            cfg=7,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            base_ratio=0.8,
            denoise=1.0,
            refiner_prep_steps=0,
            **extra,
        ),
        "8": node("VAEDecode", samples=_link(20), vae=_link(4, 2)),
        "9": node("SaveImage", filename_prefix="Searge", images=_link(8)),
    }


@pytest.mark.parametrize(
    ("class_type", "extra"),
    [("SeargeSDXLSampler2", {"noise_offset": 1, "refiner_strength": 1.0}), ("SeargeSDXLSamplerV3", {})],
)
def test_searge_sampler2_and_v3_split_the_schedule_onto_the_refiner(
    class_type: str, extra: dict[str, Any]
) -> None:
    """24 of 30 steps on the base, the last 6 on the refiner, which made the pixels: the refiner's
    model, the base stage's prompts, the node's ``noise_seed``, steps, CFG and schedule; with
    ``base_ratio`` 1 the base runs every step alone and is the model."""
    record = read(_searge(class_type, **extra), "Searge_00001_.png")
    assert (record.prompt, record.negative_prompt) == (
        "a red fox in fresh snow, golden hour",
        "blurry, lowres",
    )
    assert _settings(record) == (421337, 30, 7.0, "dpmpp_2m", "karras", REFINER, [], 1024, 1024)
    assert record.denoise == 1.0
    alone = _searge(class_type, **extra)
    alone["20"]["inputs"]["base_ratio"] = 1.0
    assert read(alone, "Searge_00002_.png").model == BASE


# -- Core save nodes that write no image (comfy_extras/nodes_video.py SaveWEBM, nodes.py SaveLatent) ---
def _webp_and_webm() -> Graph:
    """A Wan 2.1 text-to-video pass saved by ``SaveAnimatedWEBP`` "ComfyUI"; a second pass re-samples its
    latent (denoise 0.5, its own seed) and is saved by ``SaveWEBM`` "ComfyUI" and ``SaveLatent``
    "ComfyUI"."""
    return {
        "37": node("UNETLoader", unet_name="wan2.1_t2v_1.3B_fp16.safetensors", weight_dtype="default"),
        "38": node(
            "CLIPLoader", clip_name="umt5_xxl_fp8_e4m3fn_scaled.safetensors", type="wan", device="default"
        ),
        "39": node("VAELoader", vae_name="wan_2.1_vae.safetensors"),
        "48": node("ModelSamplingSD3", shift=8, model=_link(37)),
        "6": node("CLIPTextEncode", text="a fox running through snow", clip=_link(38)),
        "7": node("CLIPTextEncode", text="static, blurry", clip=_link(38)),
        "40": node("EmptyHunyuanLatentVideo", width=832, height=480, length=33, batch_size=1),
        "3": node(
            "KSampler",
            seed=82628696717253,
            steps=30,
            cfg=6,
            sampler_name="uni_pc",
            scheduler="simple",
            denoise=1,
            model=_link(48),
            positive=_link(6),
            negative=_link(7),
            latent_image=_link(40),
        ),
        "8": node("VAEDecode", samples=_link(3), vae=_link(39)),
        "28": node(
            "SaveAnimatedWEBP",
            filename_prefix="ComfyUI",
            fps=16,
            lossless=False,
            quality=90,
            method="default",
            images=_link(8),
        ),
        "50": node(
            "KSampler",
            seed=7,
            steps=12,
            cfg=4,
            sampler_name="euler",
            scheduler="beta",
            denoise=0.5,
            model=_link(48),
            positive=_link(6),
            negative=_link(7),
            latent_image=_link(3),
        ),
        "51": node("VAEDecode", samples=_link(50), vae=_link(39)),
        "47": node("SaveWEBM", filename_prefix="ComfyUI", codec="vp9", fps=16, crf=32, images=_link(51)),
        "52": node("SaveLatent", filename_prefix="ComfyUI", samples=_link(50)),
    }


def test_a_webm_or_latent_saver_never_wrote_the_image() -> None:
    """The ``.webp`` was written by ``SaveAnimatedWEBP``: the first pass. ``SaveWEBM`` and ``SaveLatent``
    share its prefix and counter but write a ``.webm`` video and a ``.latent`` file, so neither is the
    output, though they run last."""
    record = read(_webp_and_webm(), "ComfyUI_00001_.webp")
    assert record.extra["output_node"]["class_type"] == "SaveAnimatedWEBP"
    assert (record.prompt, record.negative_prompt) == ("a fox running through snow", "static, blurry")
    expected = (82628696717253, 30, 6.0, "uni_pc", "simple", "wan2.1_t2v_1.3B_fp16.safetensors", [], 832, 480)
    assert _settings(record) == expected
    assert record.denoise == 1.0
