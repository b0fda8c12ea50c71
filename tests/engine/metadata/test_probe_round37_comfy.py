"""Probe round 37: 2025-era ComfyUI graphs: Wan 2.2's split experts, Qwen-Image-Edit, Flux Kontext,
GGUF and cache/compile patches, captioners and long string joins.

Each graph is written as ComfyUI writes it (the API ``prompt`` chunk) with a file name its output node
writes; the expected values are worked out by hand from the graph, tracing from the output node that
wrote the file back to its sampler and conditioning. Sources, and what was read wrong before this round:

- Wan 2.2 14B image-to-video with the LightX2V 4-step LoRAs: the ComfyUI template as an API graph in
  ``itupitsyn/go-bot-test`` ``aiApi/prompts.go`` (two ``UNETLoader`` experts, a
  ``LoraLoaderModelOnly`` and ``ModelSamplingSD3`` on each, ``WanImageToVideo``, two
  ``KSamplerAdvanced``: high noise ``add_noise`` enable, steps 0-2 of 4 with its noise left in; low
  noise ``add_noise`` disable, seed 0, steps 2-4). The template saves through ``CreateVideo`` ->
  ``SaveVideo``, an MP4 no image reader opens; the image file here is the same frames saved by core
  ``SaveAnimatedWEBP`` (``{prefix}_{counter:05}_.webp``, the Wan 2.1 templates' saver). Rule (ComfyUI
  ``KSamplerAdvanced`` semantics: a pass that adds no noise continues the leftover noise of the latent
  it is given; one schedule split across samplers): the stages of the run are the passes back to the
  one that added the noise; the seed is that stage's (read so before), the model and the schedule
  (steps, cfg, sampler) are the last stage's, the one that made the pixels (as for the SDXL refiner of
  ``test_comfy_outputs``), and the LoRAs are every stage's in the order they run (a LoRA met again is
  kept once, at its first stage's strength). Failed before: the LoRAs were the low-noise stage's only,
  so the high-noise LightX2V LoRA that shaped the composition was lost.
- VraethrDalkr ``ComfyUI-TripleKSampler`` ``triple_ksampler_wan22.py``: the three-stage Wan 2.2
  Lightning recipe (base high-noise model without LoRA, ``base_cfg``; Lightning high; Lightning low at
  ``cfg=1.0`` on a ``lightning_steps`` schedule; only stage 1 adds noise, from ``seed``), both as the
  three ``KSamplerAdvanced`` its code runs and as its ``TripleKSamplerWan22LightningAdvanced`` node
  (``base_high``, ``lightning_high``, ``lightning_low`` MODEL inputs, no ``model``, ``steps`` or ``cfg``).
  Failed before: the three samplers gave the last stage's LoRA only; the node gave no model, LoRAs,
  steps or cfg at all.
- A Wan 2.2 text-to-video API graph in the index (an "oelala" backend's ``WAN22_T2V_Q6_API_WORKFLOW``;
  the search tools named no repository for it): ComfyUI-MultiGPU's
  ``UnetLoaderGGUFAdvancedDisTorch2MultiGPU`` experts, ``ModelSamplingSD3`` and KJNodes'
  ``PathchSageAttentionKJ`` on each, ``VHS_VideoCombine`` (first frame ``{prefix}_{counter:05}.png``).
  Read right before (guard): the model is the GGUF file behind the patches.
- ``kirusanth-08/fal-light_reference`` ``workflow.py``: Qwen-Image-Edit-2509 relighting
  (``TextEncodeQwenImageEditPlus`` with two images, ``ModelSamplingAuraFlow``, ``CFGNorm``, two
  ``LoraLoaderModelOnly``), its output restored by ``SeedVR2VideoUpscaler`` before ``SaveImage``
  (a restorer with a seed and no prompt, not a pass). Guard.
- ``OriMeAI/VisionY`` ``app/models/image/runninghub_api/dev/kontext_dev_text_edit_api.py``: Flux
  Kontext dev (``ReferenceLatent``, ``FluxGuidance``, a ``ConditioningZeroOut`` negative), saved here by
  core ``SaveImage`` (the graph's "Save Image w/o Metadata" writes no graph). Guard.
- Captioners. A Flux image-to-image API graph in the index (Dart ``fluxI2I``; repository not named):
  ``Florence2Run`` ``more_detailed_caption`` (output 2) as the whole prompt: unknowable, no prompt,
  the captioner listed (guard). stavsap ``comfyui-ollama`` ``example_workflows/ollama-vision.json``:
  ``OllamaGenerateV2`` with ``images`` and the prompt "Describe the image in detail."; here its
  ``result`` is encoded for an SDXL pass (image -> description -> image). 1038lab ``ComfyUI-JoyCaption``
  ``JC.py``: ``JC_adv`` (its caption output 1) joined after the artist's own words. Rule: a text
  generator given an image describes that image; what it writes is known only at run time, and what
  it was asked is an instruction about the image, never a prompt: it gives no text, and the artist's
  own words around it stay. Failed before: the Ollama instruction was read as the image's prompt; the
  JoyCaption node was not listed as a prompt generator.
- KJNodes ``JoinStringMulti`` (``kijai/ComfyUI-KJNodes`` ``nodes/nodes.py``: ``string_1`` …
  ``string_{inputcount}`` joined with ``delimiter`` in number order), eleven prompt parts. Failed
  before: the parts were joined in name order, ``string_10`` and ``string_11`` before ``string_2``.
- A Flux GGUF API graph in the index (a service's ``flux_wavespeed.json``; repository not named):
  ``UnetLoaderGGUF`` named through a primitive, WaveSpeed's ``ApplyFBCacheOnModel`` behind a model
  switch, Easy-Use's ``easy loraStackApply`` with a stack whose one row is "None",
  ``DualCLIPLoaderGGUF``, ``ModelSamplingFlux``. Guard: the GGUF file, no LoRA.
- Bounds: 1,200 stages each continuing the last one's noise, and a join of 3,000 strings with a
  hostile 5,000-digit input name, each read within the CPU budget.
"""

from __future__ import annotations

import copy
from typing import Any

from comfy_graph_builder import Graph, node, read
from comfy_graph_builder import link as _link
from comfy_graph_builder import record_settings as _settings

from tests.cpu_budget import run_within_cpu_budget


def _advanced(
    add_noise: str, seed: int, steps: int, cfg: float, start: int, end: int, model: int, latent: list[Any]
) -> dict[str, Any]:
    return node(
        "KSamplerAdvanced",
        add_noise=add_noise,
        noise_seed=seed,
        steps=steps,
        cfg=cfg,
        sampler_name="euler",
        scheduler="simple",
        start_at_step=start,
        end_at_step=end,
        return_with_leftover_noise="enable" if end < steps else "disable",
        model=_link(model),
        positive=_link(98, 0),
        negative=_link(98, 1),
        latent_image=latent,
    )


# -- Wan 2.2 14B image-to-video, LightX2V 4 steps (the ComfyUI template) ---------------------------
HIGH = "wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors"
LOW = "wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors"
HIGH_LORA = "wan2.2_i2v_lightx2v_4steps_lora_v1_high_noise.safetensors"
LOW_LORA = "wan2.2_i2v_lightx2v_4steps_lora_v1_low_noise.safetensors"
WAN_PROMPT = (
    "The white dragon warrior stands still, eyes full of determination and strength. The camera slowly "
    "moves closer or circles around the warrior, highlighting the powerful presence and heroic spirit of "
    "the character."
)
WAN_NEGATIVE = (
    "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，低质量"
)
WAN_SEED = 206275406212235


def _wan22_i2v() -> Graph:
    """``aiApi/prompts.go``'s template graph (texts shortened), its frames saved by ``SaveAnimatedWEBP``
    beside the template's ``CreateVideo`` -> ``SaveVideo``."""
    return {
        "84": node(
            "CLIPLoader", clip_name="umt5_xxl_fp8_e4m3fn_scaled.safetensors", type="wan", device="default"
        ),
        "85": _advanced("disable", 0, 4, 1, 2, 4, 103, _link(86)),
        "86": _advanced("enable", WAN_SEED, 4, 1, 0, 2, 104, _link(98, 2)),
        "87": node("VAEDecode", samples=_link(85), vae=_link(90)),
        "89": node("CLIPTextEncode", text=WAN_NEGATIVE, clip=_link(84)),
        "90": node("VAELoader", vae_name="wan_2.1_vae.safetensors"),
        "93": node("CLIPTextEncode", text=WAN_PROMPT, clip=_link(84)),
        "94": node("CreateVideo", fps=16, images=_link(87)),
        "95": node("UNETLoader", unet_name=HIGH, weight_dtype="default"),
        "96": node("UNETLoader", unet_name=LOW, weight_dtype="default"),
        "97": node("LoadImage", image="dragon_warrior.png"),
        "98": node(
            "WanImageToVideo",
            width=800,
            height=496,
            length=81,
            batch_size=1,
            positive=_link(93),
            negative=_link(89),
            vae=_link(90),
            start_image=_link(97),
        ),
        "101": node(
            "LoraLoaderModelOnly", lora_name=HIGH_LORA, strength_model=1.0000000000000002, model=_link(95)
        ),
        "102": node(
            "LoraLoaderModelOnly", lora_name=LOW_LORA, strength_model=1.0000000000000002, model=_link(96)
        ),
        "103": node("ModelSamplingSD3", shift=5.000000000000001, model=_link(102)),
        "104": node("ModelSamplingSD3", shift=5.000000000000001, model=_link(101)),
        "108": node(
            "SaveVideo",
            filename_prefix="video/ComfyUI",
            format="auto",
            codec="auto",
            **{"video-preview": ""},
            video=_link(94),
        ),
        "109": node(
            "SaveAnimatedWEBP",
            filename_prefix="ComfyUI",
            fps=16,
            lossless=False,
            quality=90,
            method="default",
            images=_link(87),
        ),
    }


def test_wan22_split_experts_read_the_noise_stages_seed_and_every_stages_loras() -> None:
    """The low-noise stage made the frames: its model, its 4-step schedule; the seed is the high-noise
    stage's (the low one adds no noise: its seed widget 0 is never used); the LoRAs are the high-noise
    stage's, then the low-noise stage's. The size is the ``WanImageToVideo`` latent's."""
    record = read(_wan22_i2v(), "ComfyUI_00001_.webp")
    assert record.extra["output_node"]["node_id"] == "109"
    assert record.extra["primary_sampler"] == "85"
    assert (record.prompt, record.negative_prompt) == (WAN_PROMPT, WAN_NEGATIVE)
    expected = (
        WAN_SEED,
        4,
        1.0,
        "euler",
        "simple",
        LOW,
        [(HIGH_LORA, 1.0000000000000002), (LOW_LORA, 1.0000000000000002)],
        800,
        496,
    )
    assert _settings(record) == expected
    assert record.source_image == "dragon_warrior.png"
    listed = {entry["node_id"]: entry for entry in record.extra["samplers"]}
    assert (listed["86"]["model"], listed["85"]["model"]) == (HIGH, LOW)
    assert listed["85"]["noise_from"] == "86" and listed["85"]["seed"] == 0


def test_guard_a_second_pass_that_adds_its_own_noise_is_its_own_run() -> None:
    """With ``add_noise`` enabled on the low-noise sampler it samples noise of its own seed: a run of
    its own (a refine), with its own LoRAs only."""
    graph = _wan22_i2v()
    graph["85"]["inputs"] |= {"add_noise": "enable", "noise_seed": 77}
    record = read(graph, "ComfyUI_00002_.webp")
    assert _settings(record)[:7] == (77, 4, 1.0, "euler", "simple", LOW, [(LOW_LORA, 1.0000000000000002)])


# -- Wan 2.2 three stages: base high, Lightning high, Lightning low ---------------------------------
BASE_SEED = 918273645
T2V_HIGH = "wan2.2_t2v_high_noise_14B_fp8_scaled.safetensors"
T2V_LOW = "wan2.2_t2v_low_noise_14B_fp8_scaled.safetensors"
T2V_HIGH_LORA = "wan2.2_t2v_lightx2v_4steps_lora_v1.1_high_noise.safetensors"
T2V_LOW_LORA = "wan2.2_t2v_lightx2v_4steps_lora_v1.1_low_noise.safetensors"


def _three_stage_loaders() -> Graph:
    """The two experts, a Lightning LoRA on a second path of each (``95`` base high, ``101`` Lightning
    high, ``102`` Lightning low), the prompts and a 640 × 640 ``WanImageToVideo`` latent without a start
    image (text to video)."""
    return {
        "84": node(
            "CLIPLoader", clip_name="umt5_xxl_fp8_e4m3fn_scaled.safetensors", type="wan", device="default"
        ),
        "90": node("VAELoader", vae_name="wan_2.1_vae.safetensors"),
        "93": node("CLIPTextEncode", text=WAN_PROMPT, clip=_link(84)),
        "89": node("CLIPTextEncode", text=WAN_NEGATIVE, clip=_link(84)),
        "98": node(
            "WanImageToVideo",
            width=640,
            height=640,
            length=81,
            batch_size=1,
            positive=_link(93),
            negative=_link(89),
            vae=_link(90),
        ),
        "95": node("UNETLoader", unet_name=T2V_HIGH, weight_dtype="default"),
        "96": node("UNETLoader", unet_name=T2V_LOW, weight_dtype="default"),
        "101": node("LoraLoaderModelOnly", lora_name=T2V_HIGH_LORA, strength_model=1.0, model=_link(95)),
        "102": node("LoraLoaderModelOnly", lora_name=T2V_LOW_LORA, strength_model=1.0, model=_link(96)),
        "87": node("VAEDecode", samples=_link(12), vae=_link(90)),
        "9": node("SaveImage", filename_prefix="wan22_3stage", images=_link(87)),
    }


def test_three_split_stages_keep_the_first_stages_seed_and_all_their_loras() -> None:
    """The three ``KSamplerAdvanced`` the TripleKSampler runs (its default quality threshold: stage 1
    steps 0-2 of 16 at cfg 3.5; stage 2 steps 1-4 of 8; stage 3 steps 4-8 of 8 at cfg 1): the seed of
    stage 1, the last stage's model, schedule and cfg, the Lightning LoRAs of stages 2 and 3."""
    graph = _three_stage_loaders()
    graph["10"] = _advanced("enable", BASE_SEED, 16, 3.5, 0, 2, 95, _link(98, 2))
    graph["11"] = _advanced("disable", BASE_SEED, 8, 1.0, 1, 4, 101, _link(10))
    graph["12"] = _advanced("disable", BASE_SEED + 1, 8, 1.0, 4, 8, 102, _link(11))
    record = read(graph, "wan22_3stage_00001_.png")
    assert record.extra["primary_sampler"] == "12"
    assert (record.prompt, record.negative_prompt) == (WAN_PROMPT, WAN_NEGATIVE)
    expected = (
        BASE_SEED,
        8,
        1.0,
        "euler",
        "simple",
        T2V_LOW,
        [(T2V_HIGH_LORA, 1.0), (T2V_LOW_LORA, 1.0)],
        640,
        640,
    )
    assert _settings(record) == expected


def _triple_ksampler_node() -> Graph:
    """:func:`_three_stage_loaders` sampled by one ``TripleKSamplerWan22LightningAdvanced`` node ``12``."""
    graph = _three_stage_loaders()
    graph["12"] = node(
        "TripleKSamplerWan22LightningAdvanced",
        base_high=_link(95),
        lightning_high=_link(101),
        lightning_low=_link(102),
        positive=_link(98, 0),
        negative=_link(98, 1),
        latent_image=_link(98, 2),
        seed=BASE_SEED,
        sigma_shift=5.0,
        base_steps=-1,
        base_cfg=3.5,
        lightning_start=1,
        lightning_steps=8,
        lightning_cfg=1.0,
        sampler_name="euler",
        scheduler="simple",
        dry_run=False,
        switch_strategy="50% of steps",
        switch_step=-1,
        switch_boundary=0.875,
    )
    return graph


def test_triple_ksampler_node_reads_its_last_stages_model_and_every_stages_loras() -> None:
    """``TripleKSamplerWan22LightningAdvanced`` runs the same three stages inside one node: the model is
    ``lightning_low``'s, the LoRAs those of ``base_high``, ``lightning_high``, ``lightning_low`` in that
    order, the schedule ``lightning_steps`` and the last stage's fixed cfg 1.0; its seed is stage 1's."""
    graph = _triple_ksampler_node()
    record = read(graph, "wan22_3stage_00002_.png")
    assert (record.prompt, record.negative_prompt) == (WAN_PROMPT, WAN_NEGATIVE)
    expected = (
        BASE_SEED,
        8,
        1.0,
        "euler",
        "simple",
        T2V_LOW,
        [(T2V_HIGH_LORA, 1.0), (T2V_LOW_LORA, 1.0)],
        640,
        640,
    )
    assert _settings(record) == expected
    simple = copy.deepcopy(graph)
    for key in (
        "base_steps",
        "lightning_start",
        "lightning_cfg",
        "dry_run",
        "switch_step",
        "switch_boundary",
    ):
        del simple["12"]["inputs"][key]
    simple["12"]["class_type"] = "TripleKSamplerWan22Lightning"
    assert _settings(read(simple, "wan22_3stage_00003_.png")) == expected


# -- Wan 2.2 T2V: GGUF experts through MultiGPU, SageAttention, VHS ------------------------------
def test_guard_wan22_gguf_experts_behind_sage_attention_and_shift() -> None:
    """The model is the low-noise GGUF file behind ``PathchSageAttentionKJ`` and ``ModelSamplingSD3``;
    the seed is the high-noise stage's; ``VHS_VideoCombine`` writes ``oelala_t2v_00001.png``."""
    graph: Graph = {
        "1": node(
            "UnetLoaderGGUFAdvancedDisTorch2MultiGPU",
            unet_name="wan2.2_t2v_high_noise_14B_Q6_K.gguf",
            dequant_dtype="default",
            patch_dtype="default",
            patch_on_device=False,
            compute_device="cuda:1",
            virtual_vram_gb=16,
            donor_device="cuda:0",
            expert_mode_allocations="cuda:1,0.25gb;cuda:0,8gb;cpu,*",
            eject_models=True,
        ),
        "3": node("VAELoaderDisTorch2MultiGPU", vae_name="wan_2.1_vae.safetensors", compute_device="cuda:1"),
        "4": node("CLIPLoaderDisTorch2MultiGPU", clip_name="umt5-xxl-enc-bf16.safetensors", type="wan"),
        "5": node("ModelSamplingSD3", shift=8, model=_link(1)),
        "6": node("ModelSamplingSD3", shift=8, model=_link(2)),
        "7": node(
            "PathchSageAttentionKJ",
            sage_attention="sageattn_qk_int8_pv_fp16_triton",
            allow_compile=False,
            model=_link(5),
        ),
        "8": node(
            "PathchSageAttentionKJ",
            sage_attention="sageattn_qk_int8_pv_fp16_triton",
            allow_compile=False,
            model=_link(6),
        ),
        "9": node("CLIPTextEncode", text="smooth motion, cinematic", clip=_link(4)),
        "10": node("CLIPTextEncode", text="low quality, blurry, out of focus", clip=_link(4)),
        "12": node(
            "WanImageToVideo",
            width=480,
            height=848,
            length=41,
            batch_size=1,
            positive=_link(9),
            negative=_link(10),
            vae=_link(3),
        ),
        "15": node("VAEDecode", samples=_link(14), vae=_link(3)),
        "16": node(
            "VHS_VideoCombine",
            frame_rate=16,
            loop_count=0,
            filename_prefix="oelala_t2v",
            format="video/h264-mp4",
            pix_fmt="yuv420p",
            crf=19,
            save_metadata=True,
            trim_to_audio=False,
            pingpong=False,
            save_output=True,
            images=_link(15),
        ),
    }
    graph["2"] = copy.deepcopy(graph["1"])
    graph["2"]["inputs"]["unet_name"] = "wan2.2_t2v_low_noise_14B_Q6_K.gguf"
    for node_id, add_noise, seed, start, end, model, latent in (
        ("13", "enable", 42, 0, 3, 7, _link(12, 2)),
        ("14", "disable", 0, 3, 10000, 8, _link(13)),
    ):
        graph[node_id] = node(
            "KSamplerAdvanced",
            add_noise=add_noise,
            noise_seed=seed,
            steps=6,
            cfg=1.0,
            sampler_name="uni_pc",
            scheduler="normal",
            start_at_step=start,
            end_at_step=end,
            return_with_leftover_noise="enable" if end == 3 else "disable",
            model=_link(model),
            positive=_link(12, 0),
            negative=_link(12, 1),
            latent_image=latent,
        )
    record = read(graph, "oelala_t2v_00001.png")
    assert record.extra["output_node"]["class_type"] == "VHS_VideoCombine"
    assert (record.prompt, record.negative_prompt) == (
        "smooth motion, cinematic",
        "low quality, blurry, out of focus",
    )
    expected = (42, 6, 1.0, "uni_pc", "normal", "wan2.2_t2v_low_noise_14B_Q6_K.gguf", [], 480, 848)
    assert _settings(record) == expected


# -- Qwen-Image-Edit-2509 relighting, SeedVR2 restoration ------------------------------------------
QWEN_INSTRUCTION = "参考色调，移除图1原有的光照并参考图2的光照和色调对图1重新照明"


def _qwen_relight() -> Graph:
    """``fal-light_reference``'s Qwen-Image-Edit-2509 relight graph, restored by SeedVR2 before the save."""
    return {
        "1": node("CFGNorm", strength=1, model=_link(2)),
        "2": node("ModelSamplingAuraFlow", shift=3, model=_link(20)),
        "3": node(
            "TextEncodeQwenImageEditPlus",
            prompt="",
            clip=_link(76),
            vae=_link(22),
            image1=_link(39),
            image2=_link(40),
        ),
        "7": node("LoadImage", image="Photos-During-Golden-Hour-009.jpg"),
        "10": node("VAEEncode", pixels=_link(39), vae=_link(22)),
        "11": node(
            "TextEncodeQwenImageEditPlus",
            prompt=QWEN_INSTRUCTION,
            clip=_link(76),
            vae=_link(22),
            image1=_link(39),
            image2=_link(40),
        ),
        "12": node("VAEDecode", samples=_link(14), vae=_link(22)),
        "14": node(
            "KSampler",
            seed=1053423613535130,
            steps=8,
            cfg=1,
            sampler_name="euler",
            scheduler="simple",
            denoise=1,
            model=_link(1),
            positive=_link(11),
            negative=_link(3),
            latent_image=_link(10),
        ),
        "20": node(
            "LoraLoaderModelOnly",
            lora_name="Qwen-Image-Edit-Lightning-8steps-V1.0.safetensors",
            strength_model=1,
            model=_link(81),
        ),
        "22": node("VAELoader", vae_name="qwen_image_vae.safetensors"),
        "31": node("LoadImage", image="istockphoto-1077242420-612x612.jpg"),
        "39": node("ImageScaleToTotalPixels", upscale_method="lanczos", megapixels=1, image=_link(31)),
        "40": node("ImageScaleToTotalPixels", upscale_method="lanczos", megapixels=1, image=_link(7)),
        "76": node(
            "CLIPLoader", clip_name="qwen_2.5_vl_7b.safetensors", type="stable_diffusion", device="default"
        ),
        "77": node(
            "UNETLoader", unet_name="Qwen-Image-Edit-2509_fp8_e4m3fn.safetensors", weight_dtype="default"
        ),
        "81": node(
            "LoraLoaderModelOnly", lora_name="light_migrate.safetensors", strength_model=1, model=_link(77)
        ),
        "82": node("SeedVR2LoadDiTModel", model="seedvr2_ema_7b_fp16.safetensors", device="cuda:0"),
        "83": node("SeedVR2LoadVAEModel", model="ema_vae_fp16.safetensors", device="cuda:0"),
        "84": node("ImageScaleBy", upscale_method="lanczos", scale_by=0.5000000000000001, image=_link(12)),
        "85": node(
            "SeedVR2VideoUpscaler",
            seed=1419136762,
            resolution=_link(96),
            max_resolution=4096,
            batch_size=5,
            color_correction="lab",
            image=_link(84),
            dit=_link(82),
            vae=_link(83),
        ),
        "87": node("SaveImage", filename_prefix="ComfyUI", images=_link(85)),
        "96": node("Multiply Int Float (JPS)", int_a=_link(97), float_b=2),
        "97": node("GetImageSize+", image=_link(31)),
    }


def test_guard_qwen_image_edit_plus_relight_behind_a_seedvr2_restorer() -> None:
    """The KSampler on ``CFGNorm`` <- ``ModelSamplingAuraFlow`` <- two ``LoraLoaderModelOnly`` <- the
    2509 UNet; the edit instruction (the negative ``TextEncodeQwenImageEditPlus`` has an empty prompt:
    no negative); a latent encoded from a scaled photo (no size the graph can tell)."""
    instruction = QWEN_INSTRUCTION
    graph = _qwen_relight()
    record = read(graph, "ComfyUI_00001_.png")
    assert (record.prompt, record.negative_prompt) == (instruction, None)
    expected = (
        1053423613535130,
        8,
        1.0,
        "euler",
        "simple",
        "Qwen-Image-Edit-2509_fp8_e4m3fn.safetensors",
        [("light_migrate.safetensors", 1.0), ("Qwen-Image-Edit-Lightning-8steps-V1.0.safetensors", 1.0)],
        None,
        None,
    )
    assert _settings(record) == expected
    assert record.source_image == "istockphoto-1077242420-612x612.jpg"


# -- Flux Kontext dev ----------------------------------------------------------------------------
KONTEXT_PROMPT = "make the jacket red leather, keep the face and pose"


def _flux_kontext() -> Graph:
    """``kontext_dev_text_edit_api.py``'s Flux Kontext dev graph, saved by core ``SaveImage``."""
    return {
        "1": node("LoadImage", image="portrait.png"),
        "6": node(
            "DualCLIPLoader",
            clip_name1="clip_l.safetensors",
            clip_name2="t5xxl_fp8_e4m3fn.safetensors",
            type="flux",
            device="default",
        ),
        "8": node(
            "UNETLoader", unet_name="flux1-dev-kontext_fp8_scaled.safetensors", weight_dtype="fp8_e4m3fn"
        ),
        "9": node("CLIPTextEncode", text=KONTEXT_PROMPT, clip=_link(6)),
        "10": node("VAELoader", vae_name="ae.safetensors"),
        "11": node("VAEEncode", pixels=_link(1), vae=_link(10)),
        "12": node("ReferenceLatent", conditioning=_link(9), latent=_link(11)),
        "13": node("ConditioningZeroOut", conditioning=_link(9)),
        "14": node("FluxGuidance", guidance=4.5, conditioning=_link(12)),
        "15": node(
            "KSampler",
            seed=5150,
            steps=20,
            cfg=1,
            sampler_name="euler",
            scheduler="simple",
            denoise=1,
            model=_link(8),
            positive=_link(14),
            negative=_link(13),
            latent_image=_link(11),
        ),
        "17": node("VAEDecode", samples=_link(15), vae=_link(10)),
        "18": node("SaveImage", filename_prefix="ComfyUI", images=_link(17)),
    }


def test_guard_flux_kontext_reference_latent_and_zeroed_negative() -> None:
    """The prompt through ``FluxGuidance`` <- ``ReferenceLatent``; the negative is zeroed (none)."""
    prompt = KONTEXT_PROMPT
    graph = _flux_kontext()
    record = read(graph, "ComfyUI_00001_.png")
    assert (record.prompt, record.negative_prompt) == (prompt, None)
    expected = (5150, 20, 1.0, "euler", "simple", "flux1-dev-kontext_fp8_scaled.safetensors", [], None, None)
    assert _settings(record) == expected
    assert record.extra["guidance"] == 4.5 and record.source_image == "portrait.png"


# -- captioners ---------------------------------------------------------------------------------
def _florence2_caption() -> Graph:
    """A Flux image-to-image pass whose prompt is ``Florence2Run``'s caption (output 2)."""
    return {
        "8": node("VAEDecode", samples=_link(13), vae=_link(10)),
        "10": node("VAELoader", vae_name="ae.safetensors"),
        "11": node(
            "DualCLIPLoader",
            clip_name1="fluxTextencoderT5XxlFp8_v10.safetensors",
            clip_name2="clip_l.safetensors",
            type="flux",
            device="default",
        ),
        "12": node("UNETLoader", unet_name="flux1-dev-fp8-kijai.safetensors", weight_dtype="fp8_e4m3fn"),
        "13": node(
            "SamplerCustomAdvanced",
            noise=_link(25),
            guider=_link(22),
            sampler=_link(16),
            sigmas=_link(17),
            latent_image=_link(59),
        ),
        "16": node("KSamplerSelect", sampler_name="euler"),
        "17": node("BasicScheduler", scheduler="simple", steps=20, denoise=0.8, model=_link(12)),
        "22": node("BasicGuider", model=_link(12), conditioning=_link(39)),
        "25": node("RandomNoise", noise_seed=619703667972720),
        "39": node("CLIPTextEncode", text=_link(57, 2), clip=_link(11)),
        "43": node("VAEEncode", pixels=_link(49), vae=_link(10)),
        "44": node("LoadImage", image="微信图片_20241225170720.jpg", upload="image"),
        "49": node(
            "ImageResize+",
            width=1280,
            height=1280,
            interpolation="nearest",
            method="keep proportion",
            condition="always",
            multiple_of=0,
            image=_link(44),
        ),
        "57": node(
            "Florence2Run",
            text_input="",
            task="more_detailed_caption",
            fill_mask=True,
            keep_model_loaded=False,
            max_new_tokens=1024,
            num_beams=3,
            do_sample=True,
            output_mask_select="",
            seed=693875878214897,
            image=_link(44),
            florence2_model=_link(58),
        ),
        "58": node("Florence2ModelLoader", model="CogFlorence-2.2-Large", precision="fp16", attention="sdpa"),
        "59": node("CR Latent Batch Size", batch_size=1, latent=_link(43)),
        "64": node(
            "Image Save",
            output_path="[time(%Y-%m-%d)]",
            filename_prefix="ComfyUI",
            filename_delimiter="_",
            filename_number_padding=4,
            filename_number_start="false",
            extension="png",
            images=_link(8),
        ),
    }


def test_guard_florence2_caption_as_the_whole_prompt_is_unknowable() -> None:
    """``Florence2Run``'s caption (output 2) is the prompt of a Flux image-to-image pass: no prompt the
    file can tell, the captioner listed; the rest of the pass as written."""
    graph = _florence2_caption()
    record = read(graph, "ComfyUI_0001.png")
    assert record.prompt is None
    assert record.extra["prompt_generators"] == [{"class_type": "Florence2Run", "request": None}]
    expected = (
        619703667972720,
        20,
        None,
        "euler",
        "simple",
        "flux1-dev-fp8-kijai.safetensors",
        [],
        None,
        None,
    )
    assert _settings(record) == expected
    assert record.denoise == 0.8


def _described(describer: dict[str, Any], output: int = 0) -> Graph:
    """An SDXL pass whose prompt is what ``describer`` (node ``1``, given the loaded image ``3``) writes
    at its output ``output``."""
    return {
        "3": node("LoadImage", image="pasted/image (85).png", upload="image"),
        "1": describer,
        "4": node("CheckpointLoaderSimple", ckpt_name="juggernautXL_v9.safetensors"),
        "6": node("CLIPTextEncode", text=_link(1, output), clip=_link(4, 1)),
        "7": node("CLIPTextEncode", text="blurry, lowres", clip=_link(4, 1)),
        "5": node("EmptyLatentImage", width=1216, height=832, batch_size=1),
        "10": node(
            "KSampler",
            seed=31337,
            steps=30,
            cfg=6.0,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            denoise=1.0,
            model=_link(4),
            positive=_link(6),
            negative=_link(7),
            latent_image=_link(5),
        ),
        "11": node("VAEDecode", samples=_link(10), vae=_link(4, 2)),
        "12": node("SaveImage", filename_prefix="described", images=_link(11)),
    }


def _ollama_described() -> Graph:
    """``ollama-vision.json``'s ``OllamaGenerateV2`` (``images`` linked) writing the prompt of
    :func:`_described`'s pass."""
    ollama = node(
        "OllamaGenerateV2",
        system="",
        prompt="Describe the image in detail.",
        think=False,
        keep_context=False,
        format="text",
        connectivity=_link(17),
        images=_link(3),
    )
    graph = _described(ollama)
    graph["17"] = node(
        "OllamaConnectivityV2",
        url="http://127.0.0.1:11434",
        model="mistral-small3.2:latest",
        keep_alive=5,
        keep_alive_unit="minutes",
    )
    return graph


def test_an_llm_given_an_image_writes_no_prompt_the_file_can_tell() -> None:
    """``ollama-vision.json``'s ``OllamaGenerateV2`` (``images`` linked, prompt "Describe the image in
    detail.") feeding the positive: its description is written at run time, and its instruction is no
    prompt of the image. No prompt; the generator is listed; the rest of the pass as written."""
    graph = _ollama_described()
    record = read(graph, "described_00001_.png")
    assert (record.prompt, record.negative_prompt) == (None, "blurry, lowres")
    assert record.extra["prompt_generators"] == [{"class_type": "OllamaGenerateV2", "request": None}]
    assert "prompt_is_generator_input" not in record.extra
    expected = (31337, 30, 6.0, "dpmpp_2m", "karras", "juggernautXL_v9.safetensors", [], 1216, 832)
    assert _settings(record) == expected
    text_only = copy.deepcopy(graph)  # guard: without an image the LLM expands the artist's words
    del text_only["1"]["inputs"]["images"]
    text_only["1"]["inputs"]["prompt"] = "a lighthouse in a storm"
    record = read(text_only, "described_00002_.png")
    assert record.prompt == "a lighthouse in a storm" and record.extra["prompt_is_generator_input"] is True


def test_a_joycaption_caption_joined_after_the_artists_words_keeps_the_words() -> None:
    """``JC_adv``'s caption (output 1, "STRING") joined after the artist's trigger words by a
    ``StringConcatenate``: the artist's words stay, the caption is unknowable, and the captioner is
    listed (its ``custom_prompt``, an instruction, is never the prompt)."""
    caption = node(
        "JC_adv",
        model="llama-joycaption-beta-one-hf-llava",
        quantization="Balanced (8-bit)",
        prompt_style="Stable Diffusion Prompt",
        caption_length="medium-length",
        max_new_tokens=512,
        temperature=0.6,
        top_p=0.9,
        top_k=0,
        custom_prompt="Write a stable diffusion prompt for this image.",
        memory_management="Keep in Memory",
        image=_link(3),
    )
    graph = _described(caption, 1)
    graph["20"] = node(
        "StringConcatenate", string_a="ohwx woman, film photo", string_b=_link(1, 1), delimiter=", "
    )
    graph["6"]["inputs"]["text"] = _link(20)
    record = read(graph, "described_00003_.png")
    assert record.prompt == "ohwx woman, film photo"
    assert record.extra["prompt_generators"] == [{"class_type": "JC_adv", "request": None}]


# -- KJNodes JoinStringMulti ----------------------------------------------------------------------
TAG_GROUPS = (
    "masterpiece",
    "best quality",
    "1girl",
    "silver hair",
    "long hair",
    "red eyes",
    "hooded cloak",
    "night market",
    "lanterns",
    "rain",
    "cinematic lighting",
)


def test_join_string_multi_joins_its_strings_in_number_order() -> None:
    """Eleven ``PrimitiveString`` parts into ``string_1`` … ``string_11`` (``inputcount`` 11): the prompt
    is them in that order, ``string_10`` and ``string_11`` last."""
    graph: Graph = {
        str(100 + index): node("PrimitiveString", value=tag) for index, tag in enumerate(TAG_GROUPS)
    }
    strings = {f"string_{index + 1}": _link(100 + index) for index in range(len(TAG_GROUPS))}
    graph["20"] = node(
        "JoinStringMulti", inputcount=len(TAG_GROUPS), delimiter=", ", return_list=False, **strings
    )
    graph |= _described(node("PrimitiveString", value="unused"))
    graph["6"]["inputs"]["text"] = _link(20)
    record = read(graph, "described_00004_.png")
    assert record.prompt == ", ".join(TAG_GROUPS)


# -- Flux GGUF with First Block Cache and a compile patch ------------------------------------------
def test_guard_flux_gguf_behind_a_first_block_cache_switch_and_an_easy_lora_stack() -> None:
    """``flux_wavespeed.json``: the GGUF file named through a primitive, behind ``ApplyFBCacheOnModel``,
    a model bypass switch and ``easy loraStackApply`` (its one row "None": no LoRA); the size from two
    integer primitives; the guidance kept."""
    graph: Graph = {
        "6": node("CLIPTextEncode", text=_link(67), clip=_link(46, 1)),
        "8": node("VAEDecode", samples=_link(13), vae=_link(10)),
        "10": node("VAELoader", vae_name="ae.safetensors"),
        "13": node(
            "SamplerCustomAdvanced",
            noise=_link(25),
            guider=_link(22),
            sampler=_link(16),
            sigmas=_link(17),
            latent_image=_link(27),
        ),
        "16": node("KSamplerSelect", sampler_name="euler"),
        "17": node("BasicScheduler", scheduler="simple", steps=_link(65), denoise=1, model=_link(46)),
        "22": node("BasicGuider", model=_link(30), conditioning=_link(26)),
        "25": node("RandomNoise", noise_seed=_link(66)),
        "26": node("FluxGuidance", guidance=3.5, conditioning=_link(6)),
        "27": node("EmptySD3LatentImage", width=_link(63), height=_link(64), batch_size=1),
        "30": node(
            "ModelSamplingFlux",
            max_shift=1.1500000000000001,
            base_shift=0.5,
            width=_link(63),
            height=_link(64),
            model=_link(46),
        ),
        "38": node(
            "ApplyFBCacheOnModel",
            object_to_patch="diffusion_model",
            residual_diff_threshold=0.12,
            start=0,
            end=1,
            max_consecutive_cache_hits=-1,
            model=_link(40),
        ),
        "40": node("UnetLoaderGGUF", unet_name=_link(73)),
        "41": node(
            "DualCLIPLoaderGGUF",
            clip_name1="t5-v1_1-xxl-encoder-Q5_K_M.gguf",
            clip_name2="clip_l.safetensors",
            type="flux",
        ),
        "46": node("easy loraStackApply", lora_stack=_link(47), model=_link(60), optional_clip=_link(41)),
        "47": node(
            "easy loraStack",
            toggle=True,
            mode="simple",
            num_loras=1,
            lora_1_name=_link(74),
            lora_1_strength=_link(75),
            lora_1_model_strength=1,
            lora_1_clip_strength=1,
            lora_2_name="None",
            lora_2_strength=1,
        ),
        "60": node(
            "CPackModelBypassSwitch",
            enable_processing=_link(72),
            model_original=_link(40),
            model_processed=_link(38),
        ),
        "63": node("CPackInputInt", value=1024, min=24, max=2048),
        "64": node("CPackInputInt", value=768, min=24, max=2048),
        "65": node("CPackInputInt", value=4, min=1, max=50),
        "66": node("CPackInputInt", value=8675309, min=0, max=2**63),
        "67": node("CPackInputString", value="a transformer robot in a neon city"),
        "71": node("SaveImage", filename_prefix="cpack_output_", images=_link(8)),
        "72": node("CPackInputBoolean", value=True),
        "73": node("CPackInputUniversal", value="flux1-schnell-Q4_K_S.gguf"),
        "74": node("CPackInputUniversal", value="None"),
        "75": node("CPackInputFloat", value=0.8500000000000002),
    }
    record = read(graph, "cpack_output__00001_.png")
    assert record.prompt == "a transformer robot in a neon city"
    expected = (8675309, 4, None, "euler", "simple", "flux1-schnell-Q4_K_S.gguf", [], 1024, 768)
    assert _settings(record) == expected
    assert record.extra["guidance"] == 3.5


# -- bounds --------------------------------------------------------------------------------------
def test_long_chains_of_stages_and_huge_string_joins_end_quickly() -> None:
    """1,200 ``KSamplerAdvanced`` each continuing the last one's noise (the stage walk is linear), and a
    ``JoinStringMulti`` of 3,000 strings plus one whose name holds 5,000 digits (no number conversion)."""
    graph = _wan22_i2v()
    previous = "86"
    for number in range(1000, 2200):
        graph[str(number)] = _advanced("disable", 0, 4, 1, 2, 4, 103, _link(int(previous)))
        previous = str(number)
    graph["85"]["inputs"]["latent_image"] = _link(int(previous))
    record = run_within_cpu_budget(lambda: read(graph, "ComfyUI_00003_.webp"), 1.0, "the stages")
    assert record.seed == WAN_SEED and record.model == LOW
    assert [lora.name for lora in record.loras] == [HIGH_LORA, LOW_LORA]
    joined: Graph = {"30": node("PrimitiveString", value="tag")}
    strings = {f"string_{index}": _link(30) for index in range(1, 3001)}
    strings["string_" + "9" * 5000] = _link(30)
    joined["20"] = node("JoinStringMulti", inputcount=3001, delimiter=", ", **strings)
    joined |= _described(node("PrimitiveString", value="unused"))
    joined["6"]["inputs"]["text"] = _link(20)
    record = run_within_cpu_budget(lambda: read(joined, "described_00005_.png"), 1.0, "the join")
    assert record.seed == 31337
