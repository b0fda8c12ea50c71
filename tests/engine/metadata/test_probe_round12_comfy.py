"""Probe round 12 (real ComfyUI API graphs from public repositories): the shapes the reader missed.

Each graph mirrors a published one (sources in the round's report, /tmp/probe42/sources.md): kijai's
``WanVideoApplyNAG`` between the text encoders and ``WanVideoSampler``, an ``ImpactSwitch`` choosing
the prompt text, ``ForceFullUnload`` memory-freeing pass-throughs on the latent and image paths of an
LTX-2 + Wan refine graph, InstantID's ``ApplyInstantID`` (outputs ``MODEL, positive, negative``),
Comfyroll's ``CR Apply Multi-ControlNet`` (``base_positive``/``base_negative``), and a second
``SaveImage`` that saves a copy of the scaled input image.
"""

from __future__ import annotations

from comfy_graph_builder import Graph, node, read, sampled

WAN_NEGATIVE = "色调艳丽，过曝，静态，细节模糊不清"
"""The start of the Chinese default negative of the Wan templates."""


def _nag_graph(original: dict[str, object]) -> Graph:
    """kijai's WanVideoWrapper I2V with NAG: ``WanVideoSampler.text_embeds`` <- ``WanVideoApplyNAG``
    (``original_text_embeds`` <- encoder ``36`` = ``original``, ``nag_text_embeds`` <- a
    ``WanVideoTextEncodeSingle`` of the default negative), as a FusionX image-to-video client posts it."""
    return {
        "9": node("LoadWanVideoT5TextEncoder", model_name="umt5_xxl_fp16.safetensors", precision="bf16"),
        "15": node("WanVideoModelLoader", model="Wan14Bi2vFusioniX_fp16.safetensors", base_precision="fp16"),
        "33": node("CR Text", text="a girl in a red dress spins around slowly"),
        "34": node("CR Text", text="a dog runs along the beach"),
        "27": node("ImpactSwitch", select=1, sel_mode=False, input1=["33", 0], input2=["34", 0]),
        "35": node("WanVideoTextEncodeSingle", prompt=WAN_NEGATIVE, force_offload=True, t5=["9", 0]),
        "36": original,
        "38": node(
            "WanVideoApplyNAG",
            nag_scale=11,
            nag_tau=2.5,
            nag_alpha=0.25,
            original_text_embeds=["36", 0],
            nag_text_embeds=["35", 0],
        ),
        "28": node(
            "WanVideoSampler",
            steps=8,
            cfg=1.0,
            shift=5.0,
            seed=731942,
            scheduler="unipc",
            model=["15", 0],
            text_embeds=["38", 0],
        ),
        "19": node("WanVideoDecode", samples=["28", 0]),
        "31": node("VHS_VideoCombine", filename_prefix="FusionX_Video", frame_rate=16, images=["19", 0]),
    }


def test_nag_embeds_give_the_original_prompt_and_the_nag_text_as_negative() -> None:
    single = node("WanVideoTextEncodeSingle", prompt=["27", 0], force_offload=True, t5=["9", 0])
    record = read(_nag_graph(single), "FusionX_Video_00001.png")
    assert record.prompt == "a girl in a red dress spins around slowly"
    assert record.negative_prompt == WAN_NEGATIVE  # the single encoder's embeds carry no negative
    assert record.seed == 731942


def test_nag_embeds_keep_the_original_encoders_own_negative() -> None:
    both = node(
        "WanVideoTextEncode",
        positive_prompt="a paper lantern drifts up into the night sky",
        negative_prompt="flicker, low quality",
        t5=["9", 0],
    )
    record = read(_nag_graph(both), "FusionX_Video_00001.png")
    assert record.prompt == "a paper lantern drifts up into the night sky"
    assert record.negative_prompt == "flicker, low quality"


def test_impact_switch_hands_on_the_input_it_selects() -> None:
    graph = sampled()
    graph["10"] = node("Text Multiline", text="a castle on a hill")
    graph["11"] = node("Text Multiline", text="a lighthouse on a cliff")
    graph["12"] = node("ImpactSwitch", select=2, sel_mode=False, input1=["10", 0], input2=["11", 0])
    graph["6"]["inputs"]["text"] = ["12", 0]
    assert read(graph).prompt == "a lighthouse on a cliff"


def test_memory_freeing_pass_throughs_on_the_latent_and_image_paths_are_followed() -> None:
    """An LTX-2 render refined by a second pass: ``ForceFullUnload`` (``passthrough``) between the second
    sampler and its decode, between the decode and the saver, and on its latent's path."""
    graph = sampled()
    graph["9"]["inputs"]["filename_prefix"] = "draft"
    graph.update(
        {
            "15": node("EmptyLatentImage", width=768, height=512, batch_size=1),
            "16": node("ForceFullUnload", verbose=True, passthrough=["15", 0]),
            "13": node(
                "KSampler",
                seed=556677,
                steps=6,
                cfg=1.0,
                sampler_name="euler",
                scheduler="simple",
                denoise=1.0,
                model=["4", 0],
                positive=["6", 0],
                negative=["7", 0],
                latent_image=["16", 0],
            ),
            "17": node("ForceFullUnload", verbose=True, passthrough=["13", 0]),
            "18": node("VAEDecode", samples=["17", 0], vae=["4", 2]),
            "19": node("ForceFullUnload", verbose=True, passthrough=["18", 0]),
            "20": node("SaveImage", filename_prefix="LTX_WAN/refined", images=["19", 0]),
        }
    )
    record = read(graph, "refined_00001_.png")
    assert (record.seed, record.steps) == (556677, 6)
    assert (record.width, record.height) == (768, 512)


def test_apply_instantid_outputs_the_positive_then_the_negative_after_its_model() -> None:
    graph = sampled(positive=["14", 1], negative=["14", 2], model=["14", 0])
    graph["14"] = node(
        "ApplyInstantID",
        instantid=["10", 0],
        insightface=["11", 0],
        control_net=["12", 0],
        image=["13", 0],
        model=["4", 0],
        positive=["6", 0],
        negative=["7", 0],
        weight=0.8,
        start_at=0,
        end_at=1,
    )
    graph["10"] = node("InstantIDModelLoader", instantid="ip-adapter.bin")
    graph["11"] = node("InstantIDFaceAnalysis", provider="CPU")
    graph["12"] = node("ControlNetLoader", control_net_name="instantid/diffusion_pytorch_model.safetensors")
    graph["13"] = node("LoadImage", image="face.png")
    record = read(graph)
    assert (record.prompt, record.negative_prompt) == ("a lighthouse at dusk", "blurry")
    assert record.model == "sd_xl_base_1.0.safetensors"


def test_cr_apply_multi_controlnet_hands_on_its_base_positive_and_base_negative() -> None:
    graph = sampled(positive=["24", 0], negative=["24", 1])
    graph["23"] = node(
        "CR Multi-ControlNet Stack",
        switch_1="Off",
        controlnet_1="control_lora_rank128_v11p_sd15_canny_fp16.safetensors",
        switch_2="On",
        controlnet_2="control_lora_rank128_v11p_sd15_mlsd_fp16.safetensors",
        controlnet_strength_2=0.4,
        image_2=["13", 0],
    )
    graph["13"] = node("LoadImage", image="room.png")
    graph["24"] = node(
        "CR Apply Multi-ControlNet",
        switch="On",
        base_positive=["6", 0],
        base_negative=["7", 0],
        controlnet_stack=["23", 0],
    )
    record = read(graph)
    assert (record.prompt, record.negative_prompt) == ("a lighthouse at dusk", "blurry")


def test_a_saved_copy_of_a_loaded_image_has_no_pass_but_a_composite_keeps_the_fallback() -> None:
    """A second ``SaveImage`` saves the scaled input image: its file was made by no sampler. A saver
    behind a node whose links name no pixels (a composite's ``source``) may hide one: the first pass
    stands."""
    graph = sampled()
    graph["9"]["inputs"]["filename_prefix"] = "[OUTPUT]"
    graph["30"] = node("LoadImage", image="room.png")
    graph["16"] = node(
        "ImageScale", upscale_method="lanczos", width=512, height=512, crop="center", image=["30", 0]
    )
    graph["49"] = node("SaveImage", filename_prefix="[INPUT]", images=["16", 0])
    graph["50"] = node("ImageCompositeMasked", destination=["16", 0], source=["8", 0], x=0, y=0)
    graph["51"] = node("SaveImage", filename_prefix="composite", images=["50", 0])
    copy = read(graph, "[INPUT]_00001_.png")
    assert (copy.tool, copy.prompt, copy.seed, copy.model, copy.width) == ("comfyui", None, None, None, None)
    assert read(graph, "[OUTPUT]_00001_.png").seed == 11
    assert read(graph, "composite_00001_.png").seed == 11
