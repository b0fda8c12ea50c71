"""ComfyUI partner (API) nodes that make an image with no sampler: the node is the pass behind the
output, read through its schema (``API_IMAGE_NODES``). Each graph follows the node's
``define_schema`` in comfyanonymous/ComfyUI ``comfy_api_nodes/nodes_*.py`` (named per test) and the
partner templates of Comfy-Org/workflow_templates (partner node -> SaveImage)."""

from __future__ import annotations

from typing import Any

import pytest
from comfy_graph_builder import Graph, node, read, sampled

from engine.records import GenerationRecord


def _saved(class_type: str, prefix: str = "ComfyUI", **inputs: Any) -> Graph:
    """The partner node ``1`` with ``inputs``, its image saved by ``SaveImage`` ``2``."""
    return {
        "1": node(class_type, **inputs),
        "2": node("SaveImage", filename_prefix=prefix, images=["1", 0]),
    }


def _values(record: GenerationRecord) -> tuple[Any, ...]:
    return (record.prompt, record.negative_prompt, record.seed, record.model, record.width, record.height)


# -- Gemini (nodes_gemini.py) -------------------------------------------------------------------------


def test_nano_banana_pro_is_the_pass_behind_the_save() -> None:
    """``GeminiImage2Node``: prompt, model, seed, aspect_ratio, resolution "1K"/"2K"/"4K" (a preset the
    service sizes, never read as a size), response_modalities."""
    prompt = "A cinematic wide-angle photograph of a red cabin on a misty fjord at golden hour."
    graph = _saved(
        "GeminiImage2Node",
        "Nano_Banana_Pro",
        prompt=prompt,
        model="gemini-3-pro-image-preview",
        seed=191918952969076,
        aspect_ratio="16:9",
        resolution="2K",
        response_modalities="IMAGE",
    )
    record = read(graph, "Nano_Banana_Pro_00001_.png")
    assert record.tool == "comfyui"
    assert _values(record) == (prompt, None, 191918952969076, "gemini-3-pro-image-preview", None, None)
    assert (record.steps, record.cfg_scale, record.sampler, record.loras) == (None, None, None, ())
    (listed,) = record.extra["samplers"]
    assert (listed["class_type"], listed["seed"], listed["model"]) == (
        "GeminiImage2Node",
        191918952969076,
        "gemini-3-pro-image-preview",
    )


def test_nano_banana_editing_a_loaded_photo_names_the_photo() -> None:
    """``GeminiImageNode`` with its optional ``images`` from a LoadImage."""
    graph = _saved(
        "GeminiImageNode",
        prompt="Turn this photo into a claymation figure",
        model="gemini-2.5-flash-image",
        seed=42,
        images=["3", 0],
        aspect_ratio="auto",
        response_modalities="IMAGE+TEXT",
    )
    graph["3"] = node("LoadImage", image="portrait_input.png")
    record = read(graph, "ComfyUI_00002_.png")
    assert _values(record) == (
        "Turn this photo into a claymation figure",
        None,
        42,
        "gemini-2.5-flash-image",
        None,
        None,
    )
    assert record.source_image == "portrait_input.png"


def test_a_partner_prompt_is_followed_through_string_nodes_and_switches() -> None:
    graph = _saved(
        "GeminiImage2Node",
        prompt=["4", 0],
        model="gemini-3-pro-image-preview",
        seed=["6", 0],
        aspect_ratio="auto",
        resolution="1K",
        response_modalities="IMAGE",
    )
    graph["3"] = node("PrimitiveStringMultiline", value="a lantern festival over a river")
    graph["5"] = node("PrimitiveStringMultiline", value="a paper boat")
    graph["4"] = node("ComfySwitchNode", switch=True, on_false=["5", 0], on_true=["3", 0])
    graph["6"] = node("PrimitiveInt", value=77)
    record = read(graph)
    assert (record.prompt, record.seed) == ("a lantern festival over a river", 77)


# -- Black Forest Labs (nodes_bfl.py) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("class_type", "inputs", "expected"),
    [
        # no model input: the model is the one the node's endpoint names
        # (/proxy/bfl/flux-pro-1.1-ultra/generate)
        (
            "FluxProUltraImageNode",
            {"prompt_upsampling": False, "aspect_ratio": "16:9", "raw": True},
            ("flux-pro-1.1-ultra", None, None, None, None),
        ),
        (
            "FluxKontextProImageNode",
            {"aspect_ratio": "1:1", "guidance": 3.0, "steps": 50, "prompt_upsampling": False},
            ("flux-kontext-pro", None, None, 50, 3.0),
        ),
        (
            "FluxProFillNode",
            {"prompt_upsampling": False, "guidance": 60, "steps": 40},
            ("flux-pro-1.0-fill", None, None, 40, 60.0),
        ),
        (
            "Flux2ProImageNode",
            {"width": 1440, "height": 816, "prompt_upsampling": True},
            ("flux-2-pro", 1440, 816, None, None),
        ),
        # Flux2ImageNode's model is a DynamicCombo: its sub-inputs are written "model.width", "model.height"
        (
            "Flux2ImageNode",
            {"model": "Flux.2 [max]", "model.width": 1024, "model.height": 1536},
            ("Flux.2 [max]", 1024, 1536, None, None),
        ),
    ],
)
def test_bfl_nodes(class_type: str, inputs: dict[str, Any], expected: tuple[Any, ...]) -> None:
    graph = _saved(
        class_type, prompt="macro photograph of a dew-covered spider web", seed=1357924680, **inputs
    )
    record = read(graph, "ComfyUI_00006_.png")
    assert (record.prompt, record.seed) == ("macro photograph of a dew-covered spider web", 1357924680)
    guidance = record.extra.get("guidance")
    assert (record.model, record.width, record.height, record.steps, guidance) == expected


# -- OpenAI (nodes_openai.py) -------------------------------------------------------------------------


def test_gpt_image_reads_prompt_model_and_pixel_size_but_no_seed() -> None:
    """``OpenAIGPTImage1``: its seed is "not implemented yet in backend" (the node's own tooltip), so
    it is no seed; ``size`` is a choice written in pixels that the API returns as such."""
    graph = _saved(
        "OpenAIGPTImage1",
        prompt="A hedgehog mailman in autumn rain",
        seed=0,
        quality="high",
        background="auto",
        size="1024x1536",
        n=1,
        model="gpt-image-1.5",
    )
    record = read(graph, "ComfyUI_00008_.png")
    assert _values(record) == ("A hedgehog mailman in autumn rain", None, None, "gpt-image-1.5", 1024, 1536)


def test_gpt_image_without_a_model_input_ran_gpt_image_1_and_auto_is_no_size() -> None:
    graph = _saved(
        "OpenAIGPTImage1", prompt="a teapot", seed=3, quality="low", background="auto", size="auto", n=1
    )
    assert (read(graph).model, read(graph).width) == ("gpt-image-1", None)


@pytest.mark.parametrize(
    ("class_type", "inputs", "expected"),
    [
        ("OpenAIDalle3", {"quality": "hd", "style": "vivid", "size": "1792x1024"}, ("dall-e-3", 1792, 1024)),
        ("OpenAIDalle2", {"size": "512x512", "n": 1}, ("dall-e-2", 512, 512)),
        # custom_width/custom_height override the preset when both are non-zero
        (
            "OpenAIGPTImage2",
            {"size": "1024x1024", "custom_width": 1536, "custom_height": 864, "model": "gpt-image-2"},
            ("gpt-image-2", 1536, 864),
        ),
        (
            "OpenAIGPTImage2",
            {"size": "2048x1152", "custom_width": 0, "custom_height": 0},
            ("gpt-image-2", 2048, 1152),
        ),
    ],
)
def test_openai_image_nodes(class_type: str, inputs: dict[str, Any], expected: tuple[Any, ...]) -> None:
    record = read(_saved(class_type, prompt="a lighthouse", seed=5, **inputs))
    assert (record.prompt, record.seed) == ("a lighthouse", None)
    assert (record.model, record.width, record.height) == expected


# -- Ideogram, Recraft, Stability, Luma, Kling, Runway, ByteDance, Wan ------------------------------------


@pytest.mark.parametrize(
    ("class_type", "inputs", "expected"),
    [
        # nodes_ideogram.py: the model is "V_1"/"V_2", "_TURBO" with turbo on; V2's resolution "W x H" is
        # sent as RESOLUTION_W_H; V3 sends no seed of 0 (the service picks one) and posts to ideogram-v3
        (
            "IdeogramV1",
            {"turbo": False, "aspect_ratio": "1:1", "seed": 9, "negative_prompt": "blurry"},
            ("blurry", 9, "V_1", None, None),
        ),
        (
            "IdeogramV2",
            {"turbo": True, "resolution": "1024 x 1536", "seed": 9, "negative_prompt": ""},
            (None, 9, "V_2_TURBO", 1024, 1536),
        ),
        (
            "IdeogramV3",
            {"resolution": "Auto", "aspect_ratio": "16:9", "seed": 0, "rendering_speed": "TURBO"},
            (None, None, "ideogram-v3", None, None),
        ),
        ("IdeogramV3", {"resolution": "1280x800", "seed": 31}, (None, 31, "ideogram-v3", 1280, 800)),
        # nodes_recraft.py: the request names model "recraftv3"; the seed only makes the node re-run
        (
            "RecraftTextToImageNode",
            {"size": "1707x1024", "n": 1, "seed": 4, "negative_prompt": "text"},
            ("text", None, "recraftv3", 1707, 1024),
        ),
        (
            "RecraftV4TextToImageNode",
            {
                "model": "recraftv4_pro",
                "model.size": "2048x2048",
                "n": 1,
                "seed": 4,
                "negative_prompt": "ignored by V4",
            },
            (None, None, "recraftv4_pro", 2048, 2048),
        ),
        # nodes_stability.py
        (
            "StabilityStableImageSD_3_5Node",
            {
                "model": "sd3.5-large",
                "aspect_ratio": "1:1",
                "style_preset": "None",
                "cfg_scale": 4.5,
                "seed": 8,
                "negative_prompt": "lowres",
            },
            ("lowres", 8, "sd3.5-large", None, None),
        ),
        (
            "StabilityStableImageUltraNode",
            {"aspect_ratio": "3:2", "style_preset": "None", "seed": 8},
            (None, 8, None, None, None),
        ),
        # nodes_luma.py: the seed only makes the node re-run
        (
            "LumaImageNode",
            {"model": "photon-1", "aspect_ratio": "16:9", "seed": 8, "style_image_weight": 1.0},
            (None, None, "photon-1", None, None),
        ),
        # nodes_kling.py: no seed input, the model in "model_name"
        (
            "KlingImageGenerationNode",
            {
                "negative_prompt": "ugly",
                "model_name": "kling-v2",
                "aspect_ratio": "1:1",
                "n": 1,
                "image_type": "subject",
                "image_fidelity": 0.5,
                "human_fidelity": 0.45,
            },
            ("ugly", None, "kling-v2", None, None),
        ),
        # nodes_runway.py: the request names model gen4_image
        ("RunwayTextToImageNode", {"ratio": "1920:1080"}, (None, None, "gen4_image", None, None)),
        # nodes_bytedance.py: a preset naming "WxH" wins, "Custom" takes width/height
        (
            "ByteDanceSeedreamNode",
            {
                "model": "seedream-4-5-251128",
                "size_preset": "2304x1728 (4:3)",
                "width": 2048,
                "height": 2048,
                "seed": 12,
            },
            (None, 12, "seedream-4-5-251128", 2304, 1728),
        ),
        (
            "ByteDanceImageNode",
            {
                "model": "seedream-3-0-t2i-250415",
                "size_preset": "Custom",
                "width": 1536,
                "height": 1024,
                "seed": 12,
                "guidance_scale": 2.5,
            },
            (None, 12, "seedream-3-0-t2i-250415", 1536, 1024),
        ),
        # nodes_wan.py
        (
            "WanTextToImageApi",
            {
                "model": "wan2.5-t2i-preview",
                "negative_prompt": "watermark",
                "width": 1280,
                "height": 768,
                "seed": 21,
            },
            ("watermark", 21, "wan2.5-t2i-preview", 1280, 768),
        ),
    ],
)
def test_other_partner_image_nodes(
    class_type: str, inputs: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    record = read(_saved(class_type, prompt="a red fox in fresh snow", **inputs))
    assert record.prompt == "a red fox in fresh snow"
    assert (record.negative_prompt, record.seed, record.model, record.width, record.height) == expected


def test_sd35_cfg_and_seedream_guidance_are_read() -> None:
    sd35 = read(
        _saved("StabilityStableImageSD_3_5Node", prompt="a fox", model="sd3.5-large", cfg_scale=4.5, seed=1)
    )
    assert sd35.cfg_scale == 4.5
    seedream = read(
        _saved(
            "ByteDanceImageNode",
            prompt="a fox",
            model="seedream-3-0-t2i-250415",
            seed=1,
            size_preset="1024x1024 (1:1)",
            guidance_scale=2.5,
        )
    )
    assert (seedream.extra["guidance"], seedream.cfg_scale) == (2.5, None)


# -- partner passes among local passes ----------------------------------------------------------------


def test_a_partner_image_refined_by_a_local_sampler_lists_both_passes() -> None:
    """Nano Banana's image encoded into a local img2img KSampler: the KSampler made the saved pixels, the
    partner pass is listed as the pass it refines."""
    graph = sampled(["11", 0], denoise=0.45)
    graph["10"] = node(
        "GeminiImage2Node",
        prompt="a harbour at dawn",
        model="gemini-3-pro-image-preview",
        seed=5,
        aspect_ratio="auto",
        resolution="1K",
        response_modalities="IMAGE",
    )
    graph["11"] = node("VAEEncode", pixels=["10", 0], vae=["4", 2])
    record = read(graph)
    assert (record.prompt, record.seed, record.model) == (
        "a lighthouse at dusk",
        11,
        "sd_xl_base_1.0.safetensors",
    )
    assert record.extra["primary_sampler"] == "3"
    by_id = {listed["node_id"]: listed for listed in record.extra["samplers"]}
    assert by_id["3"]["upstream_sampler"] == "10"
    assert (by_id["10"]["prompt"], by_id["10"]["model"]) == (
        "a harbour at dawn",
        "gemini-3-pro-image-preview",
    )


def test_a_partner_upscale_of_a_local_image_is_the_pass_behind_the_save() -> None:
    """Stability's creative upscale (nodes_stability.py: image, prompt, creativity, style_preset, seed,
    negative_prompt) of a local SDXL image: its prompt and seed; the generation size and the model are
    those of the pass it refines, as for a local hires pass."""
    graph = sampled()
    graph["12"] = node(
        "StabilityUpscaleCreativeNode",
        image=["8", 0],
        prompt="crisp detailed lighthouse",
        creativity=0.3,
        style_preset="None",
        seed=99,
        negative_prompt=["13", 0],
    )
    graph["13"] = node("PrimitiveString", value="jpeg artifacts")
    graph["9"]["inputs"]["images"] = ["12", 0]
    record = read(graph)
    assert (record.prompt, record.negative_prompt, record.seed) == (
        "crisp detailed lighthouse",
        "jpeg artifacts",
        99,
    )
    assert (record.width, record.height, record.model) == (1024, 1024, "sd_xl_base_1.0.safetensors")
    assert record.extra["primary_sampler"] == "12"


def test_a_partner_node_with_detailer_shaped_inputs_is_one_partner_pass() -> None:
    """A partner node given a seed, steps, an image and a pipe (inputs a detailer has; a crafted or
    future node) is read by its schema, once: it was listed twice (as a detailer and as the partner
    pass) and which reading a later step took depended on the order passes were read."""
    graph = _saved(
        "RecraftImageInpaintingNode",
        prompt="a red kite over dunes",
        negative_prompt="blurry",
        seed=7,
        steps=30,
        image=["3", 0],
        basic_pipe=["3", 0],
    )
    graph["3"] = node("LoadImage", image="dunes.png")
    record = read(graph)
    assert (record.prompt, record.negative_prompt, record.model) == (
        "a red kite over dunes",
        "blurry",
        "recraftv3",
    )
    (listed,) = record.extra["samplers"]
    assert (listed["class_type"], listed["model"]) == ("RecraftImageInpaintingNode", "recraftv3")
