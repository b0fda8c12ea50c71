"""Probe round 38: passes whose inputs are named otherwise (a restorer's ``SUPIR_model`` and ``latents``,
a diffusers wrapper's ``kolors_model`` and ``kolors_embeds``, SDXL base and refiner in one node),
samplers that make their own latent of the size they are given, and encoders with one text per output.

Each graph is written as ComfyUI writes it (the API ``prompt`` chunk) with a file name its output node
writes; the expected values are worked out by hand from the workflow and the nodes' source, tracing
from the output node that wrote the file back to its sampler and conditioning. Sources, and what was
read wrong before this round:

- SUPIR: ``kijai/ComfyUI-SUPIR`` ``example_workflows/supir_lightning_example_02.json`` (nodes of
  ``nodes_v2.py``: ``SUPIR_model_loader_v2`` merges ``SUPIR-v0F_fp16.safetensors`` into the SDXL
  ``model`` it is given; ``SUPIR_first_stage`` -> ``SUPIR_encode`` -> ``SUPIR_sample`` with
  ``SUPIR_conditioner``'s prompts, ``seed``, ``steps``, a linear CFG from ``cfg_scale_start`` to
  ``cfg_scale_end``, a ``sampler`` choice; ``SUPIR_decode``, KJNodes' ``ColorMatch``), saved here by
  ``SaveImage`` (the example only previews). Failed before: ``SUPIR_sample`` (no "sampler" in its class
  name) was no pass, so no prompt, seed, steps, CFG, sampler or model at all.
- Kolors: ``kijai/ComfyUI-KwaiKolorsWrapper`` ``examples/kolors_example.json`` in the current schema
  of ``nodes.py`` (``KolorsTextEncode`` takes ``chatglm3_model``; ``KolorsSampler`` has ``kolors_model``,
  ``kolors_embeds``, ``width``/``height``, ``seed``, ``steps``, ``cfg``, a diffusers ``scheduler``, and
  only an optional ``latent``). Failed before: the sampler was no pass (its one conditioning input,
  ``kolors_embeds``, was not known), so nothing was read.
- Mochi: ``kijai/ComfyUI-MochiWrapper`` ``nodes.py`` (``DownloadAndLoadMochiModel`` ``model``,
  ``MochiTextEncode`` ``prompt``, ``MochiSampler`` with ``width``/``height``/``num_frames`` and no latent
  input), built from the definitions and saved by ``VHS_VideoCombine``. Failed before: no size (the
  sampler makes its latent inside, of the size it is given).
- CogVideoX: round 9's ``CogVideoSampler`` graph (kijai's CogVideoX wrapper: ``height``/``width`` on the
  sampler, ``image_cond_latents`` the encoded start image). Failed before: no size, for the same reason.
- Searge: ``SeargeDP/SeargeSDXL`` ``example/Searge-SDXL-simple.json`` (SDXL 1.0 base + refiner through
  ``SeargeSDXLSampler``: ``base_*`` and ``refiner_*`` model and conditioning inputs, ``base_ratio``
  0.8 of 30 steps on the base; ``SeargeSDXLPromptEncoder`` outputs ``base_positive``, ``base_negative``,
  ``refiner_positive``, ``refiner_negative`` from ``pos_g``/``pos_l``, ``neg_g``/``neg_l``, ``pos_r``,
  ``neg_r``; ``SeargePromptText``, ``SeargeIntegerConstant``/``FloatConstant``, the image size from a
  ``SeargeIntegerPair``; two ``SaveImage``, "…/low_res" and "…/high_res"). Rule (one schedule split
  across two models, as round 37 read it): the refiner stage made the pixels, so the model is the
  refiner's; the seed is ``noise_seed`` (the refiner continues the base's noise); the prompts are
  the base stage's. With ``base_ratio`` 1 the base runs every step alone. Failed before: no prompts
  (the encoder's text inputs are neither ``text`` nor role-named), no model (``base_model``), no
  size (the ``SeargeIntegerPair`` outputs were no values).
- Probed and read right before this round (no test: each agrees field for field): adieyal
  ``comfyui-dynamicprompts`` ``example_workflows/random.json`` (``DPRandomGenerator``: the template
  stands for its run-time pick), KJNodes ``JoinStrings``, Comfyroll ``CR Text Concatenate``, and a
  Stable Cascade API graph in the index (stage C ``KSampler`` -> ``StableCascade_StageB_Conditioning``
  of a ``ConditioningZeroOut`` -> stage B ``KSampler``; repository not named).
"""

from __future__ import annotations

from typing import Any

from comfy_graph_builder import Graph, node, read
from comfy_graph_builder import link as _link
from comfy_graph_builder import record_settings as _settings

# -- SUPIR (kijai/ComfyUI-SUPIR, supir_lightning_example_02.json) ------------------------------------
JUGGERNAUT = "SDXL\\juggernautXL_v9Rdphoto2Lightning.safetensors"


def _supir() -> Graph:
    """The example's nodes (Set/Get nodes and reroutes resolved), ``SaveImage`` on the colour match."""
    return {
        "22": node("CheckpointLoaderSimple", ckpt_name=JUGGERNAUT),
        "21": node(
            "SUPIR_model_loader_v2",
            supir_model="SUPIR-v0F_fp16.safetensors",
            fp8_unet=False,
            diffusion_dtype="auto",
            high_vram=False,
            model=_link(22),
            clip=_link(22, 1),
            vae=_link(22, 2),
        ),
        "2": node("LoadImage", image="oldman.jpg", upload="image"),
        "13": node(
            "ImageResize+",
            width=1536,
            height=1536,
            interpolation="lanczos",
            method="keep proportion",
            condition="always",
            multiple_of=16,
            image=_link(2),
        ),
        "5": node(
            "SUPIR_first_stage",
            use_tiled_vae=True,
            encoder_tile_size=512,
            decoder_tile_size=512,
            encoder_dtype="auto",
            SUPIR_VAE=_link(21, 1),
            image=_link(13),
        ),
        "11": node(
            "SUPIR_encode",
            use_tiled_vae=True,
            encoder_tile_size=512,
            encoder_dtype="auto",
            SUPIR_VAE=_link(5),
            image=_link(5, 1),
        ),
        "9": node(
            "SUPIR_conditioner",
            positive_prompt="high quality, detailed, photograph of an old man",
            negative_prompt="bad quality, blurry, messy",
            SUPIR_model=_link(21),
            latents=_link(5, 2),
        ),
        "7": node(
            "SUPIR_sample",
            seed=174277455657960,
            steps=10,
            cfg_scale_start=2,
            cfg_scale_end=1.5,
            EDM_s_churn=5,
            s_noise=1.0030000000000001,
            DPMPP_eta=1,
            control_scale_start=1,
            control_scale_end=0.9,
            restore_cfg=1,
            keep_model_loaded=False,
            sampler="RestoreDPMPP2MSampler",
            sampler_tile_size=1024,
            sampler_tile_stride=512,
            SUPIR_model=_link(21),
            latents=_link(11),
            positive=_link(9),
            negative=_link(9, 1),
        ),
        "10": node(
            "SUPIR_decode", use_tiled_vae=True, decoder_tile_size=512, SUPIR_VAE=_link(5), latents=_link(7)
        ),
        "14": node("ColorMatch", method="mkl", strength=1, image_ref=_link(2), image_target=_link(10)),
        "3": node("PreviewImage", images=_link(14)),
        "30": node("SaveImage", filename_prefix="SUPIR", images=_link(14)),
    }


def test_supir_sample_is_the_pass_with_its_prompts_linear_cfg_start_and_sdxl_model() -> None:
    """The SUPIR sampler restores the loaded image: its conditioner's prompts, seed, 10 steps, the CFG
    it starts at (2, scaled down to 1.5), its sampler choice, the SDXL checkpoint the SUPIR weights
    are merged into. The image is resized keeping its proportions: no size the graph can tell."""
    record = read(_supir(), "SUPIR_00001_.png")
    assert [entry["node_id"] for entry in record.extra["samplers"]] == ["7"]
    assert (record.prompt, record.negative_prompt) == (
        "high quality, detailed, photograph of an old man",
        "bad quality, blurry, messy",
    )
    expected = (174277455657960, 10, 2.0, "RestoreDPMPP2MSampler", None, JUGGERNAUT, [], None, None)
    assert _settings(record) == expected
    assert (record.denoise, record.source_image) == (None, "oldman.jpg")


# -- Kolors (kijai/ComfyUI-KwaiKolorsWrapper, kolors_example.json) -----------------------------------
def _kolors() -> Graph:
    return {
        "6": node("DownloadAndLoadKolorsModel", model="Kwai-Kolors/Kolors", precision="fp16"),
        "12": node("DownloadAndLoadChatGLM3", precision="fp16"),
        "8": node(
            "KolorsTextEncode",
            prompt="cinematic photograph monkey giving two thumbs up",
            negative_prompt="nsfw, naked",
            num_images_per_prompt=4,
            chatglm3_model=_link(12),
        ),
        "9": node(
            "KolorsSampler",
            width=1024,
            height=1024,
            seed=243590846571465,
            steps=25,
            cfg=5,
            scheduler="EulerDiscreteScheduler",
            denoise_strength=1.0,
            kolors_model=_link(6),
            kolors_embeds=_link(8),
        ),
        "11": node("VAELoader", vae_name="sdxl.vae.safetensors"),
        "10": node("VAEDecode", samples=_link(9), vae=_link(11)),
        "3": node("SaveImage", filename_prefix="Kolors", images=_link(10)),
    }


def test_kolors_sampler_reads_its_embeds_model_and_own_size() -> None:
    """``kolors_embeds`` carries both prompts (``prompt`` / ``negative_prompt``); the model is the
    loader's repository id; the diffusers scheduler is the node's ``scheduler``; without a ``latent``
    the sampler makes one of its own ``width``/``height`` (its ``denoise_strength`` applies only to a
    given latent)."""
    record = read(_kolors(), "Kolors_00001_.png")
    assert [entry["node_id"] for entry in record.extra["samplers"]] == ["9"]
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
        [],
        1024,
        1024,
    )
    assert _settings(record) == expected
    assert record.denoise is None


# -- samplers that make their own latent: Mochi, CogVideoX -------------------------------------------
def _mochi(saver: dict[str, Any] | None = None) -> Graph:
    """kijai's Mochi wrapper graph (``MochiSampler`` 848 × 480, seed 0, 50 steps at CFG 4.5), its frames
    decoded to node 10 and saved by ``saver`` (``VHS_VideoCombine`` with prefix "Mochi_preview" unless
    given)."""
    if saver is None:
        saver = node(
            "VHS_VideoCombine", frame_rate=24, loop_count=0, filename_prefix="Mochi_preview", images=_link(10)
        )
    return {
        "1": node("CLIPLoader", clip_name="t5xxl_fp8_e4m3fn.safetensors", type="sd3"),
        "4": node(
            "DownloadAndLoadMochiModel",
            model="mochi_preview_dit_fp8_e4m3fn.safetensors",
            vae="mochi_preview_vae_decoder_bf16.safetensors",
            precision="fp8_e4m3fn",
            attention_mode="sdpa",
        ),
        "2": node(
            "MochiTextEncode",
            prompt="nature video of a red panda eating bamboo in front of a waterfall",
            strength=1,
            force_offload=True,
            clip=_link(1),
        ),
        "8": node("MochiTextEncode", prompt="", strength=1, force_offload=True, clip=_link(2, 1)),
        "5": node(
            "MochiSampler",
            width=848,
            height=480,
            num_frames=49,
            steps=50,
            cfg=4.5,
            seed=0,
            model=_link(4),
            positive=_link(2),
            negative=_link(8),
        ),
        "10": node("MochiDecode", enable_vae_tiling=False, vae=_link(4, 1), samples=_link(5)),
        "9": saver,
    }


def test_mochi_sampler_size_is_the_size_it_is_given() -> None:
    graph = _mochi()
    record = read(graph, "Mochi_preview_00001.png")
    assert record.prompt == "nature video of a red panda eating bamboo in front of a waterfall"
    assert record.negative_prompt is None
    expected = (0, 50, 4.5, None, None, "mochi_preview_dit_fp8_e4m3fn.safetensors", [], 848, 480)
    assert _settings(record) == expected


def _cogvideo() -> Graph:
    """CogVideoX I2V through kijai's CogVideoX wrapper: a 720 × 480 sampler beside an encoded image."""
    return {
        "1": node("DownloadAndLoadCogVideoModel", model="THUDM/CogVideoX-5b-I2V", precision="bf16"),
        "20": node("CLIPLoader", clip_name="t5xxl_fp8_e4m3fn.safetensors", type="sd3"),
        "30": node(
            "CogVideoTextEncode", prompt="cherry blossom petals scattering", strength=1, clip=_link(20)
        ),
        "31": node("CogVideoTextEncode", prompt="", strength=1, clip=_link(20)),
        "36": node("LoadImage", image="ad.png"),
        "58": node("CogVideoImageEncode", pipeline=_link(1), image=_link(36)),
        "57": node(
            "CogVideoSampler",
            height=480,
            width=720,
            num_frames=49,
            steps=25,
            cfg=6,
            seed=65334758276105,
            scheduler="CogVideoXDPMScheduler",
            pipeline=_link(1),
            positive=_link(30),
            negative=_link(31),
            image_cond_latents=_link(58),
        ),
        "56": node("CogVideoDecode", pipeline=_link(57), samples=_link(57, 1)),
        "44": node("VHS_VideoCombine", frame_rate=16, filename_prefix="CogVideoX-I2V", images=_link(56)),
    }


def test_cogvideo_sampler_size_is_its_own_beside_the_encoded_start_image() -> None:
    """``image_cond_latents`` is the start image encoded, no latent the sampler samples: the frames are
    the sampler's ``width`` × ``height``."""
    record = read(_cogvideo(), "CogVideoX-I2V_00001.png")
    assert (record.width, record.height) == (720, 480)
    assert (record.model, record.source_image) == ("THUDM/CogVideoX-5b-I2V", "ad.png")


def test_a_sampler_given_a_latent_keeps_the_latents_size() -> None:
    """Kolors' image-to-image: with a ``latent`` linked, the size is the latent's (an empty 768 × 1344
    latent here), never the sampler's own width/height."""
    graph = _kolors()
    graph["20"] = node("EmptyLatentImage", width=768, height=1344, batch_size=1)
    graph["9"]["inputs"]["latent"] = _link(20)
    record = read(graph, "Kolors_00002_.png")
    assert (record.width, record.height, record.prompt) == (
        768,
        1344,
        "cinematic photograph monkey giving two thumbs up",
    )


# -- Searge SDXL (SeargeDP/SeargeSDXL, example/Searge-SDXL-simple.json) ------------------------------
MAIN = (
    "~*~cinematic~*~ photo of abstraction, 35mm photograph, vibrant rusted dieselpunk, miniature figures "
    "as a realistic depictions of everyday life in a small mining town, the streets are bustling with "
    "people, style of Brooke Shaden"
)
SECONDARY = (
    "miniature figures, realistic, everyday life, small mining town, bustling people, style of Brooke Shaden"
)
NEGATIVE = "drawing, painting, crayon, sketch, noisy, blurry, soft, deformed"
BASE = "sd_xl_base_1.0.safetensors"
REFINER = "sd_xl_refiner_1.0.safetensors"


def _scaler(value: list[Any], factor: list[Any]) -> dict[str, Any]:
    return node("SeargeIntegerScaler", value=value, factor=factor, multiple_of=64)


def _searge_simple() -> Graph:
    """The example's API graph: primitives written into the inputs they feed, reroutes resolved, the
    unused style encoders and conditioning mixes kept (the frontend writes them too)."""
    graph: Graph = {
        "3": node("SeargePromptText", prompt=MAIN),
        "5": node("SeargePromptText", prompt=SECONDARY),
        "6": node("SeargePromptText", prompt=""),
        "7": node("SeargePromptText", prompt=NEGATIVE),
        "8": node("SeargePromptText", prompt=""),
        "20": node("SeargeIntegerPair", value1=1024, value2=1024),
        "26": node("SeargeFloatPair", value1=2, value2=2),
        "31": node("SeargeIntegerConstant", value=30),
        "33": node("SeargeFloatConstant", value=2),
        "34": node("SeargeFloatConstant", value=7),
        "35": node("SeargeFloatConstant", value=0.8),
        "38": node("SeargeIntegerConstant", value=1),
        "43": node("SeargeFloatConstant", value=0.333),
        "74": node("SeargeIntegerConstant", value=1024),
        "15": node("SeargeIntegerConstant", value=1468615445736),
        "83": node("SeargeFloatConstant", value=1),
        "84": node("SeargeFloatConstant", value=0.667),
        "10": node("CheckpointLoaderSimple", ckpt_name=BASE),
        "27": node("CheckpointLoaderSimple", ckpt_name=REFINER),
        "12": node("VAELoader", vae_name="sdxl-vae.safetensors"),
        "51": _scaler(_link(74), _link(26, 0)),
        "52": _scaler(_link(74), _link(26, 1)),
        "54": _scaler(_link(74), _link(26, 1)),
        "53": _scaler(_link(74), _link(26, 1)),
        "64": _scaler(_link(20, 0), _link(33)),
        "65": _scaler(_link(20, 1), _link(33)),
        "41": node(
            "SeargeSDXLBasePromptEncoder",
            base_clip=_link(10, 1),
            pos_g=_link(6),
            pos_l=_link(6),
            neg_g=_link(8),
            neg_l=_link(8),
            base_width=_link(51),
            base_height=_link(52),
            crop_w=0,
            crop_h=0,
            target_width=_link(51),
            target_height=_link(52),
        ),
        "42": node(
            "SeargeSDXLRefinerPromptEncoder",
            refiner_clip=_link(27, 1),
            pos_r=_link(6),
            neg_r=_link(8),
            pos_ascore=6,
            neg_ascore=2.5,
            refiner_width=_link(54),
            refiner_height=_link(53),
        ),
        "40": node(
            "SeargeSDXLPromptEncoder",
            base_clip=_link(10, 1),
            refiner_clip=_link(27, 1),
            pos_g=_link(3),
            pos_l=_link(5),
            pos_r=_link(3),
            neg_g=_link(7),
            neg_l=_link(7),
            neg_r=_link(7),
            base_width=_link(51),
            base_height=_link(52),
            crop_w=0,
            crop_h=0,
            target_width=_link(51),
            target_height=_link(52),
            pos_ascore=6,
            neg_ascore=2.5,
            refiner_width=_link(54),
            refiner_height=_link(53),
        ),
        "44": node("EmptyLatentImage", width=_link(20, 0), height=_link(20, 1), batch_size=_link(38)),
        "28": node(
            "SeargeSDXLSampler",
            base_model=_link(10),
            base_positive=_link(40, 0),
            base_negative=_link(40, 1),
            refiner_model=_link(27),
            refiner_positive=_link(40, 2),
            refiner_negative=_link(40, 3),
            latent_image=_link(44),
            noise_seed=_link(15),
            steps=_link(31),
            cfg=_link(34),
            sampler_name="dpmpp_2m",
            scheduler="karras",
            base_ratio=_link(35),
            denoise=_link(83),
        ),
        "46": node("VAEDecode", samples=_link(28), vae=_link(12)),
        "36": node("UpscaleModelLoader", model_name="4x_NMKD-Siax_200k.pth"),
        "37": node("UpscaleModelLoader", model_name="4x-UltraSharp.pth"),
        "66": node("ImageUpscaleWithModel", upscale_model=_link(36), image=_link(46)),
        "67": node("ImageUpscaleWithModel", upscale_model=_link(37), image=_link(46)),
        "68": node("ImageBlend", blend_factor=0.75, blend_mode="normal", image1=_link(66), image2=_link(67)),
        "69": node(
            "ImageScale",
            upscale_method="bicubic",
            width=_link(64),
            height=_link(65),
            crop="center",
            image=_link(68),
        ),
        "19": node("PreviewImage", images=_link(46)),
        "63": node("SaveImage", filename_prefix="SeargeSDXL-%date:yyyy-MM-dd%/high_res", images=_link(69)),
        "59": node("SaveImage", filename_prefix="SeargeSDXL-%date:yyyy-MM-dd%/low_res", images=_link(46)),
    }
    for node_id, first, second in (("55", (40, 0), (41, 0)), ("56", (40, 1), (41, 1))):
        graph[node_id] = node(
            "ConditioningCombine", conditioning_1=_link(*first), conditioning_2=_link(*second)
        )
    for node_id, first, second in (("57", (40, 2), (42, 0)), ("58", (40, 3), (42, 1))):
        graph[node_id] = node(
            "ConditioningCombine", conditioning_1=_link(*first), conditioning_2=_link(*second)
        )
    for node_id, to, source, strength in (
        ("75", (41, 0), (40, 0), 43),
        ("76", (40, 1), (41, 1), 84),
        ("77", (42, 0), (40, 2), 43),
        ("78", (40, 3), (42, 1), 84),
    ):
        graph[node_id] = node(
            "ConditioningAverage ",
            conditioning_to=_link(*to),
            conditioning_from=_link(*source),
            conditioning_to_strength=_link(strength),
        )
    return graph


def test_searge_sdxl_sampler_reads_base_prompts_refiner_model_and_pair_size() -> None:
    """Both saved files come from the one sampler: the base prompts (``pos_g`` / ``neg_g``), the
    ``noise_seed`` constant, 30 steps at CFG 7, the refiner checkpoint that ran the last 6 steps, the
    1024 × 1024 latent of the ``SeargeIntegerPair``."""
    expected = (1468615445736, 30, 7.0, "dpmpp_2m", "karras", REFINER, [], 1024, 1024)
    for name, output in (("low_res_00001_.png", "59"), ("high_res_00001_.png", "63")):
        record = read(_searge_simple(), name)
        assert record.extra["output_node"]["node_id"] == output
        assert (record.prompt, record.negative_prompt) == (MAIN, NEGATIVE)
        assert _settings(record) == expected
        assert record.denoise == 1.0


def test_searge_sdxl_sampler_with_the_whole_schedule_on_the_base_reads_the_base_model() -> None:
    """``base_ratio`` 1: ``int(30 * 1.0) >= 30``, the base runs every step and the refiner never."""
    graph = _searge_simple()
    graph["35"]["inputs"]["value"] = 1.0
    record = read(graph, "low_res_00002_.png")
    assert (record.model, record.prompt, record.width) == (BASE, MAIN, 1024)
