"""Probe round 35: ComfyUI graphs whose pass samples with a sampler, or a pipe, that other nodes made.

Real graphs from public repositories, written as ComfyUI writes them (the API ``prompt`` chunk; the
inputs of nodes whose UI file predates their current schema are those of the current schema), each
with a file name its output node writes; the expected values are worked out by hand from the graph:

- ``ltdrdata/ComfyUI-Impact-Pack`` ``test/regional_prompt.json``: ``RegionalSampler`` (seed, steps,
  denoise) sampling with a ``KSamplerAdvancedProvider`` (cfg, sampler, scheduler, BASIC_PIPE) and two
  ``RegionalPrompt`` regions (mask + their own provider, whose pipe an ``EditBasicPipe`` gave another
  positive) joined by ``CombineRegionalPrompts``. The "## make-basic_pipe" component node is written
  as the checkpoint, encoders and ``ToBasicPipe`` it builds. Failed before: the providers were taken
  for passes (no seed, no steps, no size) and the regions' prompts were lost.
- ``ltdrdata/ComfyUI-Impact-Pack`` ``test/advanced-sampler.json``: ``TwoAdvancedSamplersForMask``
  (base and mask samplers from two providers, the mask from a ``PreviewBridge``) beside a plain
  ``KSampler`` branch; both outputs are previews, the file is the last one's. Failed before (a
  provider was the primary: no seed, steps or size).
- ``ltdrdata/ComfyUI-Impact-Pack`` ``test/detailer-pipe-test-sdxl.json``: ``ToDetailerPipeSDXL`` ->
  ``FromDetailerPipe_SDXL`` -> ``ToBasicPipe`` x2 -> ``BasicPipeToDetailerPipeSDXL`` ->
  ``FaceDetailerPipe`` x2 and a ``DetailerForEachPipe`` (BASIC_PIPE), six previews. Failed before:
  ``DetailerForEachPipe`` was no pass, the detailer pipe's fields were not found through
  ``FromDetailerPipe_SDXL`` / ``base_basic_pipe`` (no prompt, no model).
- ``ltdrdata/ComfyUI-Impact-Pack`` ``modules/impact/impact_pack.py`` node definitions of
  ``PixelKSampleUpscalerProviderPipe`` and ``IterativeLatentUpscale`` (no public graph of them was found
  in the index): the upscaler's seed, steps and denoise, never the iteration count. Failed before.
- Guards, read right before this round too: ``ltdrdata/ComfyUI-Impact-Pack`` ``misc/2pass-refine.json``
  (two chained ``DetailerForEach`` saved under one prefix, the first fed the negative text as its
  positive); ``nicekriss/2BZ-ComfyUI-Workflows`` ``Photoshop-Bridge/workflows/TooBusy-Photoshop-Pro.api.json``
  (an API graph of ``LazySwitchKJ`` switches on the latent, prompt, model and image paths, a latent sized
  by ``GetImageSize`` of the loaded canvas); ``yameprogrammer/comfyui-workflows`` ``T2I-moody.json``
  (Z-Image Turbo, Lora Manager's ``Prompt (LoraManager)`` fed trigger words, a ``ConditioningZeroOut``
  negative, ``Save Image (LoraManager)`` beside a preview).
"""

from __future__ import annotations

import copy
from typing import Any

from comfy_graph_builder import MOODY_TEXT, MOODY_UNET, Graph, moody_graph, node, read
from comfy_graph_builder import REGIONAL_BASE as BASE
from comfy_graph_builder import REGIONAL_GIRL as GIRL
from comfy_graph_builder import REGIONAL_MAN as MAN
from comfy_graph_builder import REGIONAL_MODEL as V07
from comfy_graph_builder import link as _link
from comfy_graph_builder import record_settings as _settings
from comfy_graph_builder import regional_prompt_graph as _regional
from comfy_graph_builder import regional_provider as _provider

from tests.cpu_budget import run_within_cpu_budget


# -- Impact: RegionalSampler ---------------------------------------------------------------------
def test_regional_sampler_takes_its_base_samplers_settings_and_every_regions_prompt() -> None:
    """The pass is the ``RegionalSampler``: its own seed, steps and denoise; the base provider's cfg,
    sampler, scheduler and pipe (model, prompts); each region samples its mask with its own positive,
    kept after the base prompt in ``CombineRegionalPrompts`` order. Providers are no passes."""
    record = read(_regional(), "ComfyUI_temp_qzbcx_00001_.png")
    assert record.prompt == "\n".join([BASE, GIRL, MAN])
    assert record.negative_prompt == "lowres, bad anatomy"
    assert _settings(record) == (212608453650633, 20, 8.0, "euler", "normal", V07, [], 1024, 768)
    assert record.denoise == 1.0
    assert [entry["class_type"] for entry in record.extra["samplers"]] == ["RegionalSampler"]


def test_a_cycle_or_a_long_chain_of_regional_combiners_ends_quickly() -> None:
    """Combiners that take each other, and a chain of 4,000 of them, end within the walk budget."""
    graph = _regional()
    graph["22"]["inputs"]["regional_prompts3"] = _link(23)
    graph["23"] = node("CombineRegionalPrompts", regional_prompts1=_link(22), regional_prompts2=_link(23))
    record = run_within_cpu_budget(lambda: read(graph, "ComfyUI_temp_qzbcx_00002_.png"), 1.0, "the cycle")
    assert record.prompt == "\n".join([BASE, GIRL, MAN]) and record.seed == 212608453650633
    chained = _regional()
    for number in range(1000, 5000):
        chained[str(number)] = node(
            "CombineRegionalPrompts", regional_prompts1=_link(number + 1), regional_prompts2=_link(12)
        )
    chained["2"]["inputs"]["regional_prompts"] = _link(1000)
    record = run_within_cpu_budget(lambda: read(chained, "ComfyUI_temp_qzbcx_00003_.png"), 1.0, "the chain")
    assert record.seed == 212608453650633 and record.prompt is not None and record.prompt.startswith(BASE)


# -- Impact: TwoAdvancedSamplersForMask ----------------------------------------------------------
CAFE = "photorealistic:1.4, best quality:1.4, masterpiece, 1girl is sitting in the cafe terrace"
HAIR = CAFE + ", colorful hair"
WATERMARK = "text, watermark, low quality:1.4, worst quality:1.4"


def _mask_samplers() -> Graph:
    return {
        "4": node("CheckpointLoaderSimple", ckpt_name=V07),
        "6": node("CLIPTextEncode", text=CAFE, clip=_link(4, 1)),
        "7": node("CLIPTextEncode", text=WATERMARK, clip=_link(4, 1)),
        "12": node("CLIPTextEncode", text=HAIR, clip=_link(4, 1)),
        "10": node(
            "ToBasicPipe",
            model=_link(4),
            clip=_link(4, 1),
            vae=_link(4, 2),
            positive=_link(6),
            negative=_link(7),
        ),
        "11": node("EditBasicPipe", basic_pipe=_link(10), positive=_link(12)),
        "16": node("EmptyLatentImage", width=792, height=512, batch_size=1),
        "22": node("FromBasicPipe", basic_pipe=_link(10)),
        "19": node(
            "KSampler",
            seed=1107040072933062,
            steps=20,
            cfg=8.0,
            sampler_name="euler",
            scheduler="normal",
            denoise=1.0,
            model=_link(22),
            positive=_link(22, 3),
            negative=_link(22, 4),
            latent_image=_link(16),
        ),
        "20": node("VAEDecode", samples=_link(19), vae=_link(4, 2)),
        "23": node("PreviewBridge", images=_link(20), image="$23-0"),
        "13": _provider(10),
        "15": _provider(11),
        "14": node(
            "TwoAdvancedSamplersForMask",
            seed=1107040072933063,
            steps=24,
            denoise=1.0,
            samples=_link(16),
            base_sampler=_link(13),
            mask_sampler=_link(15),
            mask=_link(23, 1),
            overlap_factor=10,
        ),
        "24": node("VAEDecode", samples=_link(14), vae=_link(22, 2)),
        "25": node("PreviewImage", images=_link(24)),
    }


def test_two_advanced_samplers_for_mask_is_the_pass_with_the_mask_samplers_prompt_after() -> None:
    """The last preview's pass is ``TwoAdvancedSamplersForMask`` (its seed and steps; the values in
    the source file are the same as the other branch's, told apart here); its base sampler's settings
    and prompts, the mask sampler's positive after the base one. The plain KSampler is listed."""
    record = read(_mask_samplers(), "ComfyUI_temp_vwxyz_00002_.png")
    assert record.extra["output_node"]["node_id"] == "25"
    assert record.prompt == CAFE + "\n" + HAIR
    assert record.negative_prompt == WATERMARK
    assert _settings(record) == (1107040072933063, 24, 8.0, "euler", "normal", V07, [], 792, 512)
    listed = {entry["node_id"]: entry["class_type"] for entry in record.extra["samplers"]}
    assert listed == {"19": "KSampler", "14": "TwoAdvancedSamplersForMask"}


def _on_ksampler_providers(graph: Graph) -> Graph:
    """``graph`` (:func:`_mask_samplers`) with its mask samplers as ``TwoSamplersForMask`` on two
    ``KSamplerProvider`` nodes (seeds 5150 / 5151, 28 steps, CFG 6.5, dpmpp_2m karras, denoise 0.8)."""
    for node_id, seed, pipe in (("13", 5150, 10), ("15", 5151, 11)):
        graph[node_id] = node(
            "KSamplerProvider",
            seed=seed,
            steps=28,
            cfg=6.5,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            denoise=0.8,
            basic_pipe=_link(pipe),
        )
    graph["14"] = node(
        "TwoSamplersForMask",
        latent_image=_link(16),
        base_sampler=_link(13),
        mask_sampler=_link(15),
        mask=_link(23, 1),
    )
    return graph


def test_two_samplers_for_mask_takes_everything_from_its_base_sampler() -> None:
    """``TwoSamplersForMask`` (``latent_image``, ``base_sampler``, ``mask_sampler``, ``mask``) has no
    settings of its own: its base ``KSamplerProvider``'s seed, steps, cfg, sampler, scheduler, denoise."""
    graph = _on_ksampler_providers(_mask_samplers())
    record = read(graph, "ComfyUI_temp_vwxyz_00003_.png")
    assert record.prompt == CAFE + "\n" + HAIR
    assert _settings(record) == (5150, 28, 6.5, "dpmpp_2m", "karras", V07, [], 792, 512)
    assert record.denoise == 0.8


# -- Impact: SDXL detailer pipes -----------------------------------------------------------------
RUNDIFFUSION = "SDXL/rundiffusionXL_beta.safetensors"


def _face_detailer(image: list[Any], pipe: list[Any]) -> dict[str, Any]:
    return node(
        "FaceDetailerPipe",
        image=image,
        detailer_pipe=pipe,
        guide_size=1024,
        guide_size_for=False,
        max_size=768,
        seed=104033248204033,
        steps=30,
        cfg=8.0,
        sampler_name="euler",
        scheduler="normal",
        denoise=0.5,
        feather=5,
        noise_mask=True,
        force_inpaint=True,
        bbox_threshold=0.6,
        bbox_dilation=30,
        bbox_crop_factor=3,
        sam_detection_hint="center-1",
        sam_dilation=30,
        sam_threshold=0.93,
        sam_bbox_expansion=0,
        sam_mask_hint_threshold=0.7,
        sam_mask_hint_use_negative="False",
        drop_size=10,
        refiner_ratio=0.1,
        cycle=1,
    )


def _sdxl_encoder(text_g: str, text_l: str) -> dict[str, Any]:
    return node(
        "CLIPTextEncodeSDXL",
        width=1024,
        height=1024,
        crop_w=0,
        crop_h=0,
        target_width=1024,
        target_height=1024,
        text_g=text_g,
        text_l=text_l,
        clip=_link(7, 1),
    )


def _detailer_pipes() -> Graph:
    lora_choice = {"Select to add LoRA": "Select the LoRA to add to the text"}
    return {
        "7": node("CheckpointLoaderSimple", ckpt_name=RUNDIFFUSION),
        "8": node("CheckpointLoaderSimple", ckpt_name="SDXL/sd_xl_refiner_1.0_0.9vae.safetensors"),
        "9": _sdxl_encoder("a closeup photograph of cute girl", "closeup"),
        "10": _sdxl_encoder("ugly, male", "ugly, male"),
        "11": node(
            "CLIPTextEncodeSDXLRefiner",
            ascore=6,
            width=1024,
            height=1024,
            text="high quality",
            clip=_link(8, 1),
        ),
        "12": node(
            "CLIPTextEncodeSDXLRefiner",
            ascore=6,
            width=1024,
            height=1024,
            text="ugly, male, western",
            clip=_link(8, 1),
        ),
        "13": node("LoadImage", image="chunli.png", upload="image"),
        "14": node("UltralyticsDetectorProvider", model_name="bbox/face_yolov8m.pt"),
        "15": node("SAMLoader", model_name="sam_vit_b_01ec64.pth", device_mode="CPU"),
        "6": node(
            "ToDetailerPipeSDXL",
            model=_link(7),
            clip=_link(7, 1),
            vae=_link(7, 2),
            positive=_link(9),
            negative=_link(10),
            refiner_model=_link(8),
            refiner_clip=_link(8, 1),
            refiner_positive=_link(11),
            refiner_negative=_link(12),
            bbox_detector=_link(14),
            sam_model_opt=_link(15),
            wildcard="",
            **lora_choice,
        ),
        "39": node("FromDetailerPipe_SDXL", detailer_pipe=_link(6)),
        "42": node(
            "ToBasicPipe",
            model=_link(39, 1),
            clip=_link(39, 2),
            vae=_link(39, 3),
            positive=_link(39, 4),
            negative=_link(39, 5),
        ),
        "43": node(
            "ToBasicPipe",
            model=_link(39, 10),
            clip=_link(39, 11),
            vae=_link(39, 3),
            positive=_link(39, 12),
            negative=_link(39, 13),
        ),
        "41": node(
            "BasicPipeToDetailerPipeSDXL",
            base_basic_pipe=_link(42),
            refiner_basic_pipe=_link(43),
            bbox_detector=_link(39, 6),
            sam_model_opt=_link(39, 7),
            segm_detector_opt=_link(39, 8),
            detailer_hook=_link(39, 9),
            wildcard="",
            **lora_choice,
        ),
        "1": _face_detailer(_link(13), _link(41)),
        "17": node("PreviewImage", images=_link(1, 1)),
        "18": node("PreviewImage", images=_link(1, 2)),
        "38": node("PreviewImage", images=_link(1, 0)),
        "44": _face_detailer(_link(1, 0), _link(1, 4)),
        "45": node("PreviewImage", images=_link(44, 2)),
        "49": node(
            "ImpactSimpleDetectorSEGSPipe",
            detailer_pipe=_link(41),
            image=_link(13),
            bbox_threshold=0.5,
            bbox_dilation=0,
            crop_factor=3,
            drop_size=10,
            sub_threshold=0.5,
            sub_dilation=0,
            sub_bbox_expansion=0,
            sam_mask_hint_threshold=0.7,
        ),
        "47": node(
            "DetailerForEachPipe",
            image=_link(1, 0),
            segs=_link(49),
            guide_size=256,
            guide_size_for=True,
            max_size=768,
            seed=450265819682234,
            steps=20,
            cfg=8.0,
            sampler_name="euler",
            scheduler="normal",
            denoise=0.5,
            feather=5,
            noise_mask=True,
            force_inpaint=True,
            basic_pipe=_link(42),
            wildcard="",
            refiner_ratio=0.2,
            refiner_basic_pipe_opt=_link(43),
            cycle=1,
        ),
        "50": node("PreviewImage", images=_link(47)),
    }


def test_detailer_for_each_pipe_is_a_pass_reading_its_basic_pipe_through_a_detailer_pipe() -> None:
    """Six previews share ComfyUI's temp counter: the file is the last to run, the
    ``DetailerForEachPipe``'s. Its prompts and model are those of the BASIC_PIPE built from the outputs
    of ``FromDetailerPipe_SDXL`` (the ``ToDetailerPipeSDXL`` base fields); a detailer on a loaded image
    has no generation size."""
    record = read(_detailer_pipes(), "ComfyUI_temp_pqrst_00005_.png")
    assert record.extra["output_node"]["node_id"] == "50"
    assert record.extra["primary_sampler"] == "47"
    assert (record.prompt, record.negative_prompt) == ("a closeup photograph of cute girl", "ugly, male")
    assert _settings(record) == (450265819682234, 20, 8.0, "euler", "normal", RUNDIFFUSION, [], None, None)
    assert record.source_image == "chunli.png"


def test_face_detailer_pipe_reads_an_sdxl_detailer_pipe_built_from_base_and_refiner_pipes() -> None:
    """With only the ``FaceDetailerPipe``'s own output saved: the base pipe of
    ``BasicPipeToDetailerPipeSDXL`` (``base_basic_pipe``) holds the prompts and the base model."""
    graph = {
        key: value
        for key, value in _detailer_pipes().items()
        if key not in {"17", "18", "44", "45", "49", "47", "50"}
    }
    record = read(graph, "ComfyUI_temp_pqrst_00001_.png")
    assert (record.prompt, record.negative_prompt) == ("a closeup photograph of cute girl", "ugly, male")
    assert _settings(record) == (104033248204033, 30, 8.0, "euler", "normal", RUNDIFFUSION, [], None, None)


# -- Impact: iterative upscale with an upscaler provider -----------------------------------------
def _iterative_upscale() -> Graph:
    """``ToBasicPipe`` sampled by ``ImpactKSamplerBasicPipe``, re-sampled by ``IterativeLatentUpscale`` with a
    ``PixelKSampleUpscalerProviderPipe`` (seed 2002, 12 steps, denoise 0.45), saved."""
    return {
        "4": node("CheckpointLoaderSimple", ckpt_name=V07),
        "6": node("CLIPTextEncode", text=CAFE, clip=_link(4, 1)),
        "7": node("CLIPTextEncode", text=WATERMARK, clip=_link(4, 1)),
        "10": node(
            "ToBasicPipe",
            model=_link(4),
            clip=_link(4, 1),
            vae=_link(4, 2),
            positive=_link(6),
            negative=_link(7),
        ),
        "5": node("EmptyLatentImage", width=512, height=768, batch_size=1),
        "3": node(
            "ImpactKSamplerBasicPipe",
            basic_pipe=_link(10),
            seed=1001,
            steps=20,
            cfg=7.0,
            sampler_name="euler_ancestral",
            scheduler="normal",
            latent_image=_link(5),
            denoise=1.0,
        ),
        "20": node(
            "PixelKSampleUpscalerProviderPipe",
            scale_method="bilinear",
            seed=2002,
            steps=12,
            cfg=6.0,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            denoise=0.45,
            use_tiled_vae=False,
            basic_pipe=_link(10),
            tile_size=512,
        ),
        "21": node(
            "IterativeLatentUpscale",
            samples=_link(3, 1),
            upscale_factor=1.5,
            steps=3,
            temp_prefix="",
            upscaler=_link(20),
            step_mode="simple",
        ),
        "8": node("VAEDecode", samples=_link(21), vae=_link(21, 1)),
        "9": node("SaveImage", filename_prefix="iterative", images=_link(8)),
    }


def test_iterative_latent_upscale_takes_its_upscalers_settings_not_its_iteration_count() -> None:
    """``IterativeLatentUpscale`` (samples, upscale_factor, steps = upscale iterations, upscaler) re-samples
    with the ``PixelKSampleUpscalerProviderPipe``'s seed, steps, cfg, sampler, scheduler, denoise and
    pipe; the size is the first pass's."""
    graph = _iterative_upscale()
    record = read(graph, "iterative_00001_.png")
    assert (record.prompt, record.negative_prompt) == (CAFE, WATERMARK)
    assert _settings(record) == (2002, 12, 6.0, "dpmpp_2m", "karras", V07, [], 512, 768)
    assert record.denoise == 0.45
    assert record.extra["primary_sampler"] == "21"


# -- guards: read right before this round too -----------------------------------------------------
def test_guard_chained_detailers_saved_under_one_prefix() -> None:
    """Impact ``misc/2pass-refine.json``: two ``SaveImage`` "refined" share the counter, so the file is
    the later one's, after the second ``DetailerForEach``; the first one (fed the negative text as its
    positive) is listed only. The size is the first pass's latent."""
    positive = (
        "1girl, photorealistic:1.4, masterpiece, jump, full shot, jacket, jean shorts, perfect anatomy, "
        "street city background, detailed eyes"
    )
    negative = "low quality, worst quality, bad anatomy"

    def detailer(
        seed: int, denoise: float, image: list[Any], segs: list[Any], first: list[Any]
    ) -> dict[str, Any]:
        return node(
            "DetailerForEach",
            image=image,
            segs=segs,
            model=_link(30),
            clip=_link(30, 1),
            vae=_link(30, 2),
            guide_size=256,
            guide_size_for=True,
            max_size=1024,
            seed=seed,
            steps=20,
            cfg=8.0,
            sampler_name="euler",
            scheduler="karras",
            positive=first,
            negative=_link(37),
            denoise=denoise,
            feather=5,
            noise_mask=True,
            force_inpaint=True,
            wildcard="",
            cycle=1,
        )

    graph: Graph = {
        "30": node("CheckpointLoader", config_name="anything_v3.yaml", ckpt_name=V07),
        "31": node("CLIPTextEncode", text=positive, clip=_link(30, 1)),
        "37": node("CLIPTextEncode", text=negative, clip=_link(30, 1)),
        "44": node("EmptyLatentImage", width=256, height=320, batch_size=1),
        "42": node(
            "KSampler",
            seed=805157917915454,
            steps=20,
            cfg=8.0,
            sampler_name="euler",
            scheduler="karras",
            denoise=1.0,
            model=_link(30),
            positive=_link(31),
            negative=_link(37),
            latent_image=_link(44),
        ),
        "40": node("VAEDecode", samples=_link(42), vae=_link(30, 2)),
        "41": node("PreviewImage", images=_link(40)),
        "45": node("MMDetLoader", model_name="bbox/mmdet_anime-face_yolov3.pth"),
        "67": node(
            "BboxDetectorForEach",
            bbox_model=_link(45),
            image=_link(40),
            threshold=0.5,
            dilation=10,
            crop_factor=4,
        ),
        "70": detailer(809263269440823, 0.6, _link(40), _link(67), _link(37)),
        "71": node("SaveImage", filename_prefix="refined", images=_link(70)),
        "73": node(
            "BboxDetectorForEach",
            bbox_model=_link(45),
            image=_link(70),
            threshold=0.5,
            dilation=10,
            crop_factor=4,
        ),
        "74": detailer(529990107233972, 0.4, _link(70), _link(73), _link(31)),
        "75": node("SaveImage", filename_prefix="refined", images=_link(74)),
    }
    record = read(graph, "refined_00002_.png")
    assert (record.prompt, record.negative_prompt) == (positive, negative)
    assert _settings(record) == (529990107233972, 20, 8.0, "euler", "karras", V07, [], 256, 320)
    assert record.denoise == 0.4 and record.extra["primary_sampler"] == "74"


def _photoshop_bridge() -> Graph:
    """``TooBusy-Photoshop-Pro.api.json`` (the depth and pose ControlNet branches, all switched off, left
    out; texts shortened)."""
    return {
        "1": node(
            "CheckpointLoaderKJ",
            ckpt_name="illustrious\\zenijiMixKWebtoon_v10.safetensors",
            weight_dtype="fp8_e4m3fn",
        ),
        "17": node(
            "LoraLoader",
            model=_link(1),
            clip=_link(1, 1),
            lora_name="IL\\illustrious_style_painterly_v1.1.safetensors",
            strength_model=0.55,
            strength_clip=0.55,
        ),
        "2": node(
            "CLIPTextEncode", clip=_link(17, 1), text="best quality, hand-drawn character illustration, solo"
        ),
        "3": node("CLIPTextEncode", clip=_link(17, 1), text="worst quality, low quality, lowres, blurry"),
        "4": node("LoadImage", image="choose-input-image.png"),
        "25": node("GetImageSize", image=_link(4)),
        "8": node("EmptyLatentImage", width=_link(25, 0), height=_link(25, 1), batch_size=1),
        "31": node("VAEEncode", pixels=_link(4), vae=_link(1, 2)),
        "32": node("LazySwitchKJ", switch=False, on_false=_link(8), on_true=_link(31)),
        "7": node(
            "ControlNetLoader",
            control_net_name="test_controlnet2\\CN-anytest4_illustrious2_B_fp16.safetensors",
        ),
        "9": node(
            "ControlNetApplyAdvanced",
            positive=_link(2),
            negative=_link(3),
            control_net=_link(7),
            image=_link(4),
            vae=_link(1, 2),
            strength=0.85,
            start_percent=0.0,
            end_percent=0.8,
        ),
        "53": node("PrimitiveBoolean", value=False),
        "54": node("LazySwitchKJ", switch=_link(53), on_false=_link(2), on_true=_link(9)),
        "55": node("LazySwitchKJ", switch=_link(53), on_false=_link(3), on_true=_link(9, 1)),
        "56": node("LoadImage", image="choose-input-image.png"),
        "57": node("PrimitiveBoolean", value=False),
        "58": node("IPAdapterModelLoader", ipadapter_file="ip-adapter-plus_sdxl_vit-h.safetensors"),
        "68": node("CLIPVisionLoader", clip_name="CLIP-ViT-H-14-laion2B-s32B-b79K.safetensors"),
        "59": node(
            "IPAdapterAdvanced",
            model=_link(17),
            ipadapter=_link(58),
            image=_link(56),
            clip_vision=_link(68),
            weight=0.6,
        ),
        "60": node("LazySwitchKJ", switch=_link(57), on_false=_link(17), on_true=_link(59)),
        "61": node("PrimitiveBoolean", value=False),
        "62": node("GrowMaskWithBlur", mask=_link(4, 1), expand=8, blur_radius=6.0),
        "63": node("SetLatentNoiseMask", samples=_link(31), mask=_link(62)),
        "64": node("LazySwitchKJ", switch=_link(61), on_false=_link(32), on_true=_link(63)),
        "10": node(
            "KSampler",
            model=_link(60),
            positive=_link(54),
            negative=_link(55),
            latent_image=_link(64),
            seed=260910,
            steps=28,
            cfg=5.5,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            denoise=1.0,
        ),
        "11": node("VAEDecodeTiled", samples=_link(10), vae=_link(1, 2), tile_size=512, overlap=64),
        "6": node(
            "ImageScale",
            image=_link(11),
            upscale_method="lanczos",
            width=_link(25, 0),
            height=_link(25, 1),
            crop="disabled",
        ),
        "65": node(
            "ImageCompositeMasked",
            destination=_link(4),
            source=_link(6),
            x=0,
            y=0,
            resize_source=False,
            mask=_link(62),
        ),
        "66": node("LazySwitchKJ", switch=_link(61), on_false=_link(6), on_true=_link(65)),
        "12": node("SaveImage", images=_link(66), filename_prefix="2BZ_PS/pro"),
    }


def test_guard_lazy_switches_on_every_path_and_a_latent_sized_by_the_loaded_canvas() -> None:
    """Off: text-to-image on an ``EmptyLatentImage`` sized by ``GetImageSize`` (no size the graph can
    tell). On (ControlNet, IP-Adapter, inpainting): the same prompts through ``ControlNetApplyAdvanced``,
    the same LoRA through the IP-Adapter patch, the output through ``ImageCompositeMasked``."""
    expected = (
        260910,
        28,
        5.5,
        "dpmpp_2m",
        "karras",
        "illustrious\\zenijiMixKWebtoon_v10.safetensors",
        [("IL\\illustrious_style_painterly_v1.1.safetensors", 0.55)],
        None,
        None,
    )
    graph = _photoshop_bridge()
    record = read(graph, "pro_00001_.png")
    assert record.prompt == "best quality, hand-drawn character illustration, solo"
    assert record.negative_prompt == "worst quality, low quality, lowres, blurry"
    assert _settings(record) == expected
    switched = copy.deepcopy(graph)
    for node_id in ("53", "57", "61"):
        switched[node_id]["inputs"]["value"] = True
    record = read(switched, "pro_00002_.png")
    assert (record.prompt, record.negative_prompt) == (
        "best quality, hand-drawn character illustration, solo",
        "worst quality, low quality, lowres, blurry",
    )
    assert _settings(record) == expected
    assert record.source_image == "choose-input-image.png"


def test_guard_z_image_with_lora_manager_prompt_and_a_zeroed_negative() -> None:
    """``T2I-moody.json``: the Lora Manager prompt's text (its trigger-word toggle lists none), no
    negative (``ConditioningZeroOut`` of the positive), the file is ``Save Image (LoraManager)``'s."""
    toggle = {
        "group_mode": False,
        "default_active": True,
        "allow_strength_adjustment": False,
        "toggle_trigger_words": {"__value__": []},
    }
    graph = moody_graph(toggle, trigger_words1=_link(37))
    record = read(graph, "z-image-turbo_00001_.png")
    assert (record.prompt, record.negative_prompt) == (MOODY_TEXT, None)
    expected: tuple[Any, ...] = (
        320187269393257,
        20,
        1.0,
        "res_multistep",
        "simple",
        MOODY_UNET,
        [],
        1024,
        1024,
    )
    assert _settings(record) == expected
    assert record.extra["output_node"]["node_id"] == "49"
