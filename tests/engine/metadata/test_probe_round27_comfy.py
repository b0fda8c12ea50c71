"""Probe round 27: UI-format-only ComfyUI workflows whose nodes had no widget names.

A file that carries only the ``workflow`` chunk keeps each node's values as positional
``widgets_values``; the reader names them from ``comfy_widgets.WIDGET_NAMES``. These nodes were not
listed, so the prompt, seed, model or size of their graphs was lost although the same graph's API
``prompt`` chunk was read in full: ComfyUI's partner (API) image nodes (OpenAI, Gemini, Black Forest
Labs, Ideogram, Stability, Recraft, ByteDance Seedream; comfyanonymous/ComfyUI ``comfy_api_nodes``
``define_schema``), the audio-driven Wan nodes (``WanSoundImageToVideo``, ``WanHuMoImageToVideo``,
``comfy_extras/nodes_wan.py``), ``TextEncodeFlux2SystemPrompt`` and kijai's ComfyUI-WanVideoWrapper
encoders, model loader and sampler (``nodes.py`` ``INPUT_TYPES``). Links (images, masks, embeds)
take no widget; every seed is followed by the frontend's ``control_after_generate`` value. Sources
in /tmp/probe57/sources.md.
"""

from __future__ import annotations

import pytest
from comfy_graph_builder import UiWorkflow, read_workflow

from engine.records import GenerationRecord

IMAGE_OUT = (("IMAGE", "IMAGE"),)
LOAD_IMAGE_OUT = (("IMAGE", "IMAGE"), ("MASK", "MASK"))
COND = (("CONDITIONING", "CONDITIONING"),)
SAMPLER_IN = (
    ("model", "MODEL"),
    ("positive", "CONDITIONING"),
    ("negative", "CONDITIONING"),
    ("latent_image", "LATENT"),
)


def _partner(
    node_type: str,
    widgets: list[object],
    inputs: tuple[tuple[str, ...], ...] = (),
    photo_into: str | None = None,
) -> GenerationRecord:
    """A partner node ``1`` saved by ``SaveImage``; ``photo_into`` links a ``LoadImage`` to that input."""
    wf = UiWorkflow()
    outputs = (("IMAGE", "IMAGE"), ("STRING", "STRING")) if node_type.startswith("Gemini") else IMAGE_OUT
    wf.add(1, node_type, widgets, inputs=inputs, outputs=outputs)
    if photo_into is not None:
        wf.add(2, "LoadImage", ["photo.png", "image"], outputs=LOAD_IMAGE_OUT)
        wf.link(2, 0, 1, photo_into)
    return read_workflow(wf.save_image((1, 0)))


def test_openai_image_nodes_give_their_prompt_and_model() -> None:
    """``OpenAIGPTImage1`` (prompt, seed, quality, background, size, n, model; image and mask links)
    names its ``model`` choice; DALL·E 3's prompt comes first too."""
    gpt = _partner(
        "OpenAIGPTImage1",
        ["A travel poster of a lighthouse", 42, "fixed", "high", "opaque", "1024x1536", 1, "gpt-image-1.5"],
        inputs=(("image", "IMAGE"), ("mask", "MASK")),
        photo_into="image",
    )
    assert (gpt.prompt, gpt.model) == ("A travel poster of a lighthouse", "gpt-image-1.5")
    dalle = _partner("OpenAIDalle3", ["An isometric ramen shop", 7, "fixed", "hd", "vivid", "1792x1024"])
    assert dalle.prompt == "An isometric ramen shop"


def test_gemini_image_nodes_give_prompt_seed_and_model() -> None:
    """Nano Banana Pro (prompt, model, seed, aspect_ratio, resolution, response_modalities,
    system_prompt) and Nano Banana (no resolution; images and files are links)."""
    pro = _partner(
        "GeminiImage2Node",
        [
            "A red cabin by a fjord",
            "gemini-3-pro-image-preview",
            191918952969076,
            "randomize",
            "16:9",
            "2K",
            "IMAGE",
            "",
        ],
        inputs=(("images", "IMAGE"), ("files", "GEMINI_INPUT_FILES")),
    )
    assert (pro.prompt, pro.seed, pro.model) == (
        "A red cabin by a fjord",
        191918952969076,
        "gemini-3-pro-image-preview",
    )
    edit = _partner(
        "GeminiImageNode",
        ["Make it claymation", "gemini-2.5-flash-image", 42, "fixed", "auto", "IMAGE+TEXT"],
        inputs=(("images", "IMAGE"), ("files", "GEMINI_INPUT_FILES")),
        photo_into="images",
    )
    assert (edit.prompt, edit.seed, edit.model) == ("Make it claymation", 42, "gemini-2.5-flash-image")


def test_gpt_image_2_gives_prompt_and_model_after_its_custom_size() -> None:
    """``OpenAIGPTImage2`` (prompt, seed, quality, background, size, custom_width, custom_height,
    num_images, model): the model is the ninth widget, after the custom size."""
    record = _partner(
        "OpenAIGPTImage2",
        ["A mug lettered MONDAY", 5, "fixed", "high", "opaque", "auto", 1536, 1024, 1, "gpt-image-2"],
        inputs=(("image", "IMAGE"), ("mask", "MASK")),
    )
    assert (record.prompt, record.model) == ("A mug lettered MONDAY", "gpt-image-2")


def test_nano_banana_2_gives_prompt_and_seed() -> None:
    """``GeminiNanoBanana2`` (prompt, model, seed, aspect_ratio, resolution, response_modalities,
    thinking_level, system_prompt)."""
    record = _partner(
        "GeminiNanoBanana2",
        [
            "A Bangkok food stall",
            "Nano Banana 2 (Gemini 3.1 Flash Image)",
            8080,
            "fixed",
            "16:9",
            "2K",
            "IMAGE",
            "MINIMAL",
            "",
        ],
        inputs=(("images", "IMAGE"), ("files", "GEMINI_INPUT_FILES")),
    )
    assert (record.prompt, record.seed) == ("A Bangkok food stall", 8080)


@pytest.mark.parametrize(
    ("node_type", "widgets", "photo_into"),
    [
        (
            "ByteDanceImageNode",
            ["seedream-3-0-t2i-250415", "A koi pond", "Custom", 1024, 1536, 606, "fixed", 2.5, False],
            None,
        ),
        (
            "ByteDanceImageEditNode",
            ["seededit-3-0-i2i-250628", "A koi pond", 606, "fixed", 5.5, False],
            "image",
        ),
    ],
)
def test_seedream_3_and_seededit_give_model_prompt_and_seed(
    node_type: str, widgets: list[object], photo_into: str | None
) -> None:
    """ByteDance Seedream 3 (model, prompt, size_preset, width, height, seed, guidance_scale,
    watermark) and SeedEdit 3 (model, prompt, seed, guidance_scale, watermark; image a link)."""
    inputs = (("image", "IMAGE"),) if photo_into else ()
    record = _partner(node_type, widgets, inputs=inputs, photo_into=photo_into)
    assert (record.prompt, record.seed, record.model) == ("A koi pond", 606, widgets[0])


@pytest.mark.parametrize("node_type", ["FluxKontextProImageNode", "FluxKontextMaxImageNode"])
def test_flux_kontext_nodes_give_prompt_and_seed(node_type: str) -> None:
    """Kontext [pro] / [max] (prompt, aspect_ratio, guidance, steps, seed, prompt_upsampling;
    input_image a link), the api_bfl_flux_1_kontext templates' edit."""
    record = _partner(
        node_type,
        ["Make the car matte black", "1:1", 3.0, 50, 1234, "fixed", False],
        inputs=(("input_image", "IMAGE"),),
        photo_into="input_image",
    )
    assert (record.prompt, record.seed) == ("Make the car matte black", 1234)


def test_flux_pro_nodes_give_size_and_seed() -> None:
    """FLUX.2 [pro] (prompt, width, height, seed, prompt_upsampling) gives its size; FLUX 1.1 [pro]
    Ultra (prompt, prompt_upsampling, seed, aspect_ratio, raw, image_prompt_strength) its seed."""
    flux2 = _partner(
        "Flux2ProImageNode",
        ["An art-deco lobby", 1248, 832, 777, "fixed", True],
        inputs=(("images", "IMAGE"),),
    )
    assert (flux2.prompt, flux2.seed, flux2.width, flux2.height) == ("An art-deco lobby", 777, 1248, 832)
    ultra = _partner(
        "FluxProUltraImageNode",
        ["A hummingbird", False, 5555, "fixed", "16:9", False, 0.1],
        inputs=(("image_prompt", "IMAGE"),),
    )
    assert (ultra.prompt, ultra.seed) == ("A hummingbird", 5555)


def test_seedream_node_gives_model_prompt_and_seed() -> None:
    """ByteDance Seedream (model, prompt, size_preset, width, height, sequential_image_generation,
    max_images, seed, watermark, fail_on_partial): its model comes before the prompt."""
    record = _partner(
        "ByteDanceSeedreamNode",
        [
            "seedream-4-0-250828",
            "A cozy reading nook",
            "Custom",
            2048,
            1536,
            "disabled",
            1,
            99,
            "fixed",
            False,
            True,
        ],
        inputs=(("image", "IMAGE"),),
    )
    assert (record.prompt, record.seed, record.model) == ("A cozy reading nook", 99, "seedream-4-0-250828")


def test_ideogram_v3_template_gives_prompt_and_seed() -> None:
    """templates/api_ideogram_v3_t2i.json: IdeogramV3 (prompt, aspect_ratio, resolution,
    magic_prompt_option, seed, num_images, rendering_speed; image, mask and character images are
    links) with a bypassed LoadImage into image and mask."""
    wf = UiWorkflow()
    wf.add(
        58,
        "IdeogramV3",
        ["A solitary astronaut on a red planet", "1:1", "Auto", "AUTO", 876565950, "randomize", 1, "QUALITY"],
        inputs=(
            ("image", "IMAGE"),
            ("mask", "MASK"),
            ("character_image", "IMAGE"),
            ("character_mask", "MASK"),
        ),
        outputs=IMAGE_OUT,
    )
    wf.add(60, "LoadImage", ["example.png", "image"], outputs=LOAD_IMAGE_OUT, mode=4)
    wf.link(60, 0, 58, "image")
    wf.link(60, 1, 58, "mask")
    record = read_workflow(wf.save_image((58, 0)))
    assert (record.prompt, record.seed) == ("A solitary astronaut on a red planet", 876565950)


def test_ideogram_v2_gives_its_negative_prompt_widget() -> None:
    """IdeogramV2's negative prompt is a widget after style_type."""
    record = _partner(
        "IdeogramV2",
        ["A botanical illustration", True, "3:4", "Auto", "OFF", 31337, "fixed", "DESIGN", "photo, 3d", 1],
    )
    assert (record.prompt, record.negative_prompt, record.seed) == (
        "A botanical illustration",
        "photo, 3d",
        31337,
    )


def test_stability_sd35_node_gives_model_cfg_and_seed() -> None:
    """Stability SD 3.5 (prompt, model, aspect_ratio, style_preset, cfg_scale, seed, image_denoise;
    the negative prompt is a force_input socket, no widget)."""
    record = _partner(
        "StabilityStableImageSD_3_5Node",
        ["A storm over a cottage", "sd3.5-large", "1:1", "None", 4.5, 2025, "fixed", 0.5],
        inputs=(("image", "IMAGE"), ("negative_prompt", "STRING")),
    )
    assert (record.prompt, record.model, record.cfg_scale, record.seed) == (
        "A storm over a cottage",
        "sd3.5-large",
        4.5,
        2025,
    )


def test_recraft_text_to_image_gives_its_prompt() -> None:
    """Recraft V3 text to image (prompt, size, n, seed; style, negative prompt and controls are
    sockets)."""
    record = _partner(
        "RecraftTextToImageNode",
        ["A flat vector paper plane", "1024x1024", 1, 77, "fixed"],
        inputs=(("recraft_style", "RECRAFT_V3_STYLE"), ("negative_prompt", "STRING")),
    )
    assert record.prompt == "A flat vector paper plane"


@pytest.mark.parametrize(
    ("node_type", "widgets", "expected"),
    [
        # nodes_luma.py LumaImageNode: prompt, model, aspect_ratio, seed, style_image_weight
        ("LumaImageNode", ["A glass chess set", "photon-1", "16:9", 11, "fixed", 1.0], ("photon-1", None)),
        # nodes_runway.py RunwayTextToImageNode: prompt, ratio (its request's model is gen4_image)
        ("RunwayTextToImageNode", ["A glass chess set", "1920:1080"], ("gen4_image", None)),
        # nodes_kling.py KlingImageGenerationNode: prompt, negative_prompt, image_type, image_fidelity,
        # human_fidelity, model_name, aspect_ratio, n
        (
            "KlingImageGenerationNode",
            ["A glass chess set", "text, watermark", "subject", 0.5, 0.45, "kling-v2", "16:9", 1],
            ("kling-v2", "text, watermark"),
        ),
        # nodes_wan.py WanTextToImageApi: model, prompt, negative_prompt, width, height, seed,
        # prompt_extend, watermark
        (
            "WanTextToImageApi",
            ["wan2.5-t2i-preview", "A glass chess set", "blurry", 1280, 768, 404, "fixed", True, False],
            ("wan2.5-t2i-preview", "blurry"),
        ),
    ],
)
def test_luma_runway_kling_and_wan_partner_nodes_give_their_prompts(
    node_type: str, widgets: list[object], expected: tuple[str | None, str | None]
) -> None:
    """Four more partner image nodes: the prompt, and the model / negative prompt where they are
    widgets."""
    record = _partner(node_type, widgets)
    assert record.prompt == "A glass chess set"
    assert (record.model, record.negative_prompt) == expected


def test_wan_partner_text_to_image_gives_its_size() -> None:
    """``WanTextToImageApi``'s width and height widgets follow its negative prompt."""
    record = _partner(
        "WanTextToImageApi", ["wan2.5-t2i-preview", "A tea house", "", 1280, 768, 404, "fixed", True, False]
    )
    assert (record.prompt, record.seed, record.width, record.height) == ("A tea house", 404, 1280, 768)


@pytest.mark.parametrize(
    ("node_type", "widgets", "image_inputs"),
    [
        ("FluxProImageNode", ["A quiet harbour", False, 1024, 768, 3, "fixed"], ("image_prompt",)),
        ("FluxProExpandNode", ["A quiet harbour", False, 0, 0, 256, 256, 60, 50, 3, "fixed"], ("image",)),
        ("FluxProFillNode", ["A quiet harbour", False, 60, 50, 3, "fixed"], ("image", "mask")),
        (
            "FluxProCannyNode",
            ["A quiet harbour", False, 0.1, 0.4, False, 30, 50, 3, "fixed"],
            ("control_image",),
        ),
        ("FluxProDepthNode", ["A quiet harbour", False, False, 15, 50, 3, "fixed"], ("control_image",)),
        ("Flux2MaxImageNode", ["A quiet harbour", 1024, 768, 3, "fixed", True], ("images",)),
        ("IdeogramV1", ["A quiet harbour", False, "1:1", "AUTO", 3, "fixed", "", 1], ()),
        ("StabilityStableImageUltraNode", ["A quiet harbour", "1:1", "None", 3, "fixed", 0.5], ("image",)),
        ("StabilityUpscaleConservativeNode", ["A quiet harbour", 0.35, 3, "fixed"], ("image",)),
        ("StabilityUpscaleCreativeNode", ["A quiet harbour", 0.3, "None", 3, "fixed"], ("image",)),
        ("RecraftImageToImageNode", ["A quiet harbour", 1, 0.5, 3, "fixed"], ("image",)),
        ("RecraftImageInpaintingNode", ["A quiet harbour", 1, 3, "fixed"], ("image", "mask")),
        ("LumaImageModifyNode", ["A quiet harbour", 0.1, "photon-1", 3, "fixed"], ("image",)),
        ("WanImageToImageApi", ["wan2.5-i2i-preview", "A quiet harbour", "", 3, "fixed", False], ("image",)),
    ],
)
def test_other_partner_image_nodes_give_their_prompt(
    node_type: str, widgets: list[object], image_inputs: tuple[str, ...]
) -> None:
    """The remaining partner image nodes named this round (sources.md): each one's prompt widget is
    found behind its other widgets (an image input, where it has one, is a link from LoadImage)."""
    kinds = {"mask": "MASK"}
    inputs = tuple((name, kinds.get(name, "IMAGE")) for name in image_inputs)
    wf = UiWorkflow()
    wf.add(1, node_type, widgets, inputs=inputs, outputs=IMAGE_OUT)
    wf.add(2, "LoadImage", ["photo.png", "image"], outputs=LOAD_IMAGE_OUT)
    for name in image_inputs:
        wf.link(2, 1 if name == "mask" else 0, 1, name)
    record = read_workflow(wf.save_image((1, 0)))
    assert record.prompt == "A quiet harbour"


@pytest.mark.parametrize(
    ("node_type", "length", "extra"),
    [
        ("WanSoundImageToVideo", 77, (("control_video", "IMAGE"), ("ref_motion", "IMAGE"))),
        ("WanHuMoImageToVideo", 97, ()),
    ],
)
def test_audio_driven_wan_nodes_give_the_video_size(
    node_type: str, length: int, extra: tuple[tuple[str, str], ...]
) -> None:
    """Wan 2.2 S2V and HuMo: the conditioning node (width, height, length, batch_size; audio encoder
    output and reference image are links) makes the latent of a KSampler."""
    wf = UiWorkflow()
    wf.add(
        1, "UNETLoader", ["wan2.2_s2v_14B_fp8_scaled.safetensors", "default"], outputs=(("MODEL", "MODEL"),)
    )
    wf.add(
        2,
        "CLIPLoader",
        ["umt5_xxl_fp8_e4m3fn_scaled.safetensors", "wan", "default"],
        outputs=(("CLIP", "CLIP"),),
    )
    wf.add(3, "VAELoader", ["wan_2.1_vae.safetensors"], outputs=(("VAE", "VAE"),))
    wf.add(6, "CLIPTextEncode", ["a woman sings on a rooftop"], inputs=(("clip", "CLIP"),), outputs=COND)
    wf.add(7, "CLIPTextEncode", ["blurry"], inputs=(("clip", "CLIP"),), outputs=COND)
    wf.link(2, 0, 6, "clip")
    wf.link(2, 0, 7, "clip")
    wf.add(
        20,
        node_type,
        [832, 480, length, 1],
        inputs=(
            ("positive", "CONDITIONING"),
            ("negative", "CONDITIONING"),
            ("vae", "VAE"),
            ("audio_encoder_output", "AUDIO_ENCODER_OUTPUT"),
            ("ref_image", "IMAGE"),
            *extra,
        ),
        outputs=(("positive", "CONDITIONING"), ("negative", "CONDITIONING"), ("latent", "LATENT")),
    )
    wf.link(6, 0, 20, "positive")
    wf.link(7, 0, 20, "negative")
    wf.link(3, 0, 20, "vae")
    wf.add(
        10,
        "KSampler",
        [20250901, "fixed", 6, 1.0, "uni_pc", "simple", 1],
        inputs=SAMPLER_IN,
        outputs=(("LATENT", "LATENT"),),
    )
    wf.link(1, 0, 10, "model")
    for slot, name in enumerate(("positive", "negative", "latent_image")):
        wf.link(20, slot, 10, name)
    record = read_workflow(wf.save((10, 0), (3, 0)))
    assert (record.prompt, record.negative_prompt) == ("a woman sings on a rooftop", "blurry")
    assert (record.width, record.height, record.seed) == (832, 480, 20250901)


def _sampled_from(node_type: str, widgets: list[object], kind: str) -> GenerationRecord:
    """Loaders ``1``-``3``, encoders ``6``/``7`` and a KSampler ``10`` whose latent comes from
    ``node_type`` ``20``: ``cond3`` takes and gives (positive, negative, latent), ``cond2`` takes and
    gives the positive only (HunyuanImageToVideo), ``latent`` is an empty latent, ``vae_latent``
    encodes with the vae."""
    wf = UiWorkflow()
    wf.add(1, "UNETLoader", ["model.safetensors", "default"], outputs=(("MODEL", "MODEL"),))
    wf.add(2, "CLIPLoader", ["te.safetensors", "stable_diffusion", "default"], outputs=(("CLIP", "CLIP"),))
    wf.add(3, "VAELoader", ["vae.safetensors"], outputs=(("VAE", "VAE"),))
    wf.add(6, "CLIPTextEncode", ["a paper lantern"], inputs=(("clip", "CLIP"),), outputs=COND)
    wf.add(7, "CLIPTextEncode", ["blurry"], inputs=(("clip", "CLIP"),), outputs=COND)
    wf.link(2, 0, 6, "clip")
    wf.link(2, 0, 7, "clip")
    takes = {
        "cond3": (("positive", "CONDITIONING"), ("negative", "CONDITIONING"), ("vae", "VAE")),
        "cond2": (("positive", "CONDITIONING"), ("vae", "VAE")),
        "vae_latent": (("vae", "VAE"),),
        "latent": (),
    }[kind]
    gives = {
        "cond3": (("positive", "CONDITIONING"), ("negative", "CONDITIONING"), ("latent", "LATENT")),
        "cond2": (("positive", "CONDITIONING"), ("latent", "LATENT")),
    }.get(kind, (("LATENT", "LATENT"),))
    wf.add(20, node_type, widgets, inputs=takes, outputs=gives)
    for name, origin in (("positive", 6), ("negative", 7), ("vae", 3)):
        if any(entry[0] == name for entry in takes):
            wf.link(origin, 0, 20, name)
    wf.add(
        10,
        "KSampler",
        [31415, "fixed", 24, 5.0, "euler", "simple", 1],
        inputs=SAMPLER_IN,
        outputs=(("LATENT", "LATENT"),),
    )
    wf.link(1, 0, 10, "model")
    positive = (20, 0) if kind in ("cond3", "cond2") else (6, 0)
    negative = (20, 1) if kind == "cond3" else (7, 0)
    latent = (20, len(gives) - 1)
    wf.link(*positive, 10, "positive")
    wf.link(*negative, 10, "negative")
    wf.link(*latent, 10, "latent_image")
    return read_workflow(wf.save((10, 0), (3, 0)))


@pytest.mark.parametrize(
    ("node_type", "widgets", "kind"),
    [
        ("HunyuanVideo15ImageToVideo", [848, 480, 33, 1], "cond3"),
        ("EmptyHunyuanVideo15Latent", [848, 480, 121, 1], "latent"),
        ("HunyuanImageToVideo", [848, 480, 53, 1, "v2 (replace)"], "cond2"),
        ("LTXVImgToVideo", [848, 480, 97, 1, 1.0], "cond3"),
        ("Kandinsky5ImageToVideo", [848, 480, 121, 1], "cond3"),
        ("CosmosPredict2ImageToVideoLatent", [848, 480, 93, 1], "vae_latent"),
        ("Wan22FunControlToVideo", [848, 480, 81, 1], "cond3"),
        ("EmptyChromaRadianceLatentImage", [848, 480, 1], "latent"),
        ("EmptyQwenImageLayeredLatentImage", [848, 480, 3, 1], "latent"),
        ("StableCascade_EmptyLatentImage", [848, 480, 42, 1], "latent"),
    ],
)
def test_template_family_latent_nodes_give_the_size(node_type: str, widgets: list[object], kind: str) -> None:
    """The latent-making nodes of the 2025-26 template families (HunyuanVideo 1.5, Hunyuan I2V,
    LTX-Video, Kandinsky 5, Cosmos Predict2, Wan 2.2 Fun Control, Chroma Radiance, Qwen-Image
    Layered; Stable Cascade's too) name their width and height first."""
    record = _sampled_from(node_type, widgets, kind)
    assert (record.prompt, record.negative_prompt, record.seed) == ("a paper lantern", "blurry", 31415)
    assert (record.width, record.height) == (848, 480)


def test_ltxv_scheduler_gives_the_steps() -> None:
    """LTX-Video's SamplerCustom takes its sigmas from ``LTXVScheduler`` (steps, max_shift,
    base_shift, stretch, terminal; its latent is a link)."""
    wf = UiWorkflow()
    wf.add(
        1,
        "CheckpointLoaderSimple",
        ["ltxv-2b-0.9.8-distilled.safetensors"],
        outputs=(("MODEL", "MODEL"), ("CLIP", "CLIP"), ("VAE", "VAE")),
    )
    wf.add(6, "CLIPTextEncode", ["a hot-air balloon"], inputs=(("clip", "CLIP"),), outputs=COND)
    wf.add(7, "CLIPTextEncode", ["blurry"], inputs=(("clip", "CLIP"),), outputs=COND)
    wf.link(1, 1, 6, "clip")
    wf.link(1, 1, 7, "clip")
    wf.add(5, "EmptyLTXVLatentVideo", [768, 512, 97, 1], outputs=(("LATENT", "LATENT"),))
    wf.add(22, "KSamplerSelect", ["euler"], outputs=(("SAMPLER", "SAMPLER"),))
    wf.add(
        23,
        "LTXVScheduler",
        [30, 2.05, 0.95, True, 0.1],
        inputs=(("latent", "LATENT"),),
        outputs=(("SIGMAS", "SIGMAS"),),
    )
    wf.link(5, 0, 23, "latent")
    wf.add(
        10,
        "SamplerCustom",
        [True, 77, "fixed", 3.0],
        inputs=(*SAMPLER_IN, ("sampler", "SAMPLER"), ("sigmas", "SIGMAS")),
        outputs=(("output", "LATENT"), ("denoised_output", "LATENT")),
    )
    for origin, slot, name in (
        (1, 0, "model"),
        (6, 0, "positive"),
        (7, 0, "negative"),
        (5, 0, "latent_image"),
        (22, 0, "sampler"),
        (23, 0, "sigmas"),
    ):
        wf.link(origin, slot, 10, name)
    record = read_workflow(wf.save((10, 0), (1, 2)))
    assert (record.prompt, record.seed, record.steps, record.width) == ("a hot-air balloon", 77, 30, 768)


def test_flux2_system_prompt_encoder_gives_the_user_prompt() -> None:
    """FLUX.2 dev with ``TextEncodeFlux2SystemPrompt`` (clip link; prompt, system_prompt widgets) as
    the positive encoder."""
    wf = UiWorkflow()
    wf.add(1, "UNETLoader", ["flux2_dev_fp8mixed.safetensors", "default"], outputs=(("MODEL", "MODEL"),))
    wf.add(
        2,
        "CLIPLoader",
        ["mistral_3_small_flux2_fp8.safetensors", "flux2", "default"],
        outputs=(("CLIP", "CLIP"),),
    )
    wf.add(3, "VAELoader", ["flux2-vae.safetensors"], outputs=(("VAE", "VAE"),))
    wf.add(
        6,
        "TextEncodeFlux2SystemPrompt",
        ["a knitted wool astronaut", "You are an AI that reasons about image descriptions."],
        inputs=(("clip", "CLIP"),),
        outputs=COND,
    )
    wf.add(7, "CLIPTextEncode", [""], inputs=(("clip", "CLIP"),), outputs=COND)
    wf.link(2, 0, 6, "clip")
    wf.link(2, 0, 7, "clip")
    wf.add(5, "EmptyFlux2LatentImage", [1024, 1024, 1], outputs=(("LATENT", "LATENT"),))
    wf.add(
        10,
        "KSampler",
        [555, "fixed", 20, 4.0, "euler", "simple", 1],
        inputs=SAMPLER_IN,
        outputs=(("LATENT", "LATENT"),),
    )
    for origin, name in ((1, "model"), (6, "positive"), (7, "negative"), (5, "latent_image")):
        wf.link(origin, 0, 10, name)
    record = read_workflow(wf.save((10, 0), (3, 0)))
    assert record.prompt == "a knitted wool astronaut"
    assert (record.seed, record.steps, record.width) == (555, 20, 1024)


@pytest.mark.parametrize(
    ("encoder", "widgets", "negative"),
    [
        (
            "WanVideoTextEncode",
            ["a red kite over a beach", "blurry, static", True, False, "gpu"],
            "blurry, static",
        ),
        ("WanVideoTextEncodeSingle", ["a red kite over a beach", True, False, "gpu"], None),
    ],
)
def test_kijai_wanvideo_graph_gives_prompt_model_and_sampler(
    encoder: str, widgets: list[object], negative: str | None
) -> None:
    """kijai's T2V example: WanVideoModelLoader (model, base_precision, quantization, load_device …)
    -> WanVideoSampler (steps, cfg, shift, seed + control, force_offload, scheduler,
    riflex_freq_index, then optional widgets) whose text_embeds come from ``encoder``."""
    wf = UiWorkflow()
    wf.add(
        1,
        "WanVideoModelLoader",
        ["Wan2_1-T2V-14B_fp8_e4m3fn.safetensors", "bf16", "fp8_e4m3fn", "offload_device", "sdpa"],
        outputs=(("model", "WANVIDEOMODEL"),),
    )
    wf.add(
        2,
        "LoadWanVideoT5TextEncoder",
        ["umt5-xxl-enc-bf16.safetensors", "bf16", "offload_device", "disabled"],
        outputs=(("wan_t5_model", "WANTEXTENCODER"),),
    )
    wf.add(3, "WanVideoVAELoader", ["Wan2_1_VAE_bf16.safetensors", "bf16"], outputs=(("vae", "WANVAE"),))
    wf.add(
        6,
        encoder,
        widgets,
        inputs=(("t5", "WANTEXTENCODER"), ("model_to_offload", "WANVIDEOMODEL")),
        outputs=(("text_embeds", "WANVIDEOTEXTEMBEDS"),),
    )
    wf.link(2, 0, 6, "t5")
    wf.add(5, "WanVideoEmptyEmbeds", [832, 480, 81], outputs=(("image_embeds", "WANVIDIMAGE_EMBEDS"),))
    wf.add(
        10,
        "WanVideoSampler",
        [30, 6.0, 5.0, 4242, "fixed", True, "unipc", 0, 1.0, False, "comfy", 0, -1, False],
        inputs=(
            ("model", "WANVIDEOMODEL"),
            ("image_embeds", "WANVIDIMAGE_EMBEDS"),
            ("text_embeds", "WANVIDEOTEXTEMBEDS"),
        ),
        outputs=(("samples", "LATENT"), ("denoised_samples", "LATENT")),
    )
    wf.link(1, 0, 10, "model")
    wf.link(5, 0, 10, "image_embeds")
    wf.link(6, 0, 10, "text_embeds")
    wf.add(
        20,
        "WanVideoDecode",
        [False, 272, 272, 144, 128],
        inputs=(("vae", "WANVAE"), ("samples", "LATENT")),
        outputs=IMAGE_OUT,
    )
    wf.link(3, 0, 20, "vae")
    wf.link(10, 0, 20, "samples")
    record = read_workflow(wf.save_image((20, 0)))
    assert (record.prompt, record.negative_prompt) == ("a red kite over a beach", negative)
    assert (record.model, record.seed, record.steps, record.cfg_scale) == (
        "Wan2_1-T2V-14B_fp8_e4m3fn.safetensors",
        4242,
        30,
        6.0,
    )
