"""Core ComfyUI's boolean ``ComfySwitchNode`` (``comfy_extras/nodes_logic.py`` ``SwitchNode``: inputs
``switch``, ``on_false``, ``on_true``; it outputs ``on_true if switch else on_false``, and in its newest
schema both branches are optional: with one connected it outputs that one) on every value path. The
2025-26 templates switch the model (a Lightning/Turbo LoRA or not) and, with the same boolean, the
steps and CFG (Comfy-Org/workflow_templates ``templates/image_flux2.json``: ``Switch(steps)`` between
PrimitiveInt 20 and 8 into ``Flux2Scheduler``). Each test names the graph it follows."""

from __future__ import annotations

from typing import Any

from comfy_graph_builder import Graph, node, read, sampled

from engine.records import LoraRef


def _switch(on: bool | list[Any], **branches: Any) -> dict[str, Any]:
    """``ComfySwitchNode`` with ``switch`` (a literal or a link) and the given branches."""
    return node("ComfySwitchNode", switch=on, **branches)


def _qwen_lightning(on: bool) -> Graph:
    """The Qwen-Image 2512 blueprint with the templates' Lightning switch on a plain KSampler: steps
    50/4 and CFG 4.0/1.0 are PrimitiveInt/PrimitiveFloat pairs behind ``ComfySwitchNode``s, the model
    goes through ``Switch(model)`` (UNET or the LoRA), all three switched by one PrimitiveBoolean."""
    graph = sampled(model=["66", 0], steps=["85", 0], cfg=["88", 0])
    del graph["4"]
    graph["37"] = node(
        "UNETLoader", unet_name="qwen_image_2512_fp8_e4m3fn.safetensors", weight_dtype="default"
    )
    graph["38"] = node("CLIPLoader", clip_name="qwen_2.5_vl_7b_fp8_scaled.safetensors", type="qwen_image")
    graph["39"] = node("VAELoader", vae_name="qwen_image_vae.safetensors")
    graph["80"] = node(
        "LoraLoaderModelOnly",
        lora_name="Qwen-Image-Lightning-4steps.safetensors",
        strength_model=1.0,
        model=["37", 0],
    )
    graph["81"] = node("PrimitiveBoolean", value=on)
    graph["82"] = _switch(["81", 0], on_false=["37", 0], on_true=["80", 0])
    graph["83"] = node("PrimitiveInt", value=50)
    graph["84"] = node("PrimitiveInt", value=4)
    graph["85"] = _switch(["81", 0], on_false=["83", 0], on_true=["84", 0])
    graph["86"] = node("PrimitiveFloat", value=4.0)
    graph["87"] = node("PrimitiveFloat", value=1.0)
    graph["88"] = _switch(["81", 0], on_false=["86", 0], on_true=["87", 0])
    graph["66"] = node("ModelSamplingAuraFlow", shift=3.1, model=["82", 0])
    for encoder in ("6", "7"):
        graph[encoder]["inputs"]["clip"] = ["38", 0]
    graph["8"]["inputs"]["vae"] = ["39", 0]
    return graph


def test_switched_steps_and_cfg_reach_the_ksampler_with_the_switch_on() -> None:
    record = read(_qwen_lightning(True))
    assert (record.steps, record.cfg_scale) == (4, 1.0)
    assert record.model == "qwen_image_2512_fp8_e4m3fn.safetensors"
    assert record.loras == (LoraRef("Qwen-Image-Lightning-4steps.safetensors", 1.0),)
    (listed,) = record.extra["samplers"]
    assert (listed["steps"], listed["cfg"]) == (4, 1.0)


def test_switched_steps_and_cfg_reach_the_ksampler_with_the_switch_off() -> None:
    record = read(_qwen_lightning(False))
    assert (record.steps, record.cfg_scale, record.loras) == (50, 4.0, ())


def _flux2_edit(turbo: bool) -> Graph:
    """``image_flux2.json``'s subgraph as the API graph has it (ids ``68:*``): RandomNoise, BasicGuider
    (FluxGuidance 4 on the prompt), KSamplerSelect and ``Flux2Scheduler`` whose ``steps`` is
    ``Switch(steps)`` (PrimitiveInt 20 off / 8 on), the model through ``Switch(model)``."""
    return {
        "68:12": node("UNETLoader", unet_name="flux2_dev_fp8mixed.safetensors", weight_dtype="default"),
        "68:38": node("CLIPLoader", clip_name="mistral_3_small_flux2_bf16.safetensors", type="flux2"),
        "68:10": node("VAELoader", vae_name="flux2-vae.safetensors"),
        "68:89": node(
            "LoraLoaderModelOnly",
            lora_name="Flux_2-Turbo-LoRA_comfyui.safetensors",
            strength_model=1,
            model=["68:12", 0],
        ),
        "68:94": node("PrimitiveBoolean", value=turbo),
        "68:92": _switch(["68:94", 0], on_false=["68:12", 0], on_true=["68:89", 0]),
        "68:90": node("PrimitiveInt", value=8),
        "68:91": node("PrimitiveInt", value=20),
        "68:93": _switch(["68:94", 0], on_false=["68:91", 0], on_true=["68:90", 0]),
        "68:6": node("CLIPTextEncode", text="a knitted beanie with an embroidered patch", clip=["68:38", 0]),
        "68:26": node("FluxGuidance", guidance=4, conditioning=["68:6", 0]),
        "68:22": node("BasicGuider", model=["68:92", 0], conditioning=["68:26", 0]),
        "68:16": node("KSamplerSelect", sampler_name="euler"),
        "68:25": node("RandomNoise", noise_seed=649422536169327),
        "68:48": node("Flux2Scheduler", steps=["68:93", 0], width=1024, height=1024),
        "68:47": node("EmptyFlux2LatentImage", width=1024, height=1024, batch_size=1),
        "68:13": node(
            "SamplerCustomAdvanced",
            noise=["68:25", 0],
            guider=["68:22", 0],
            sampler=["68:16", 0],
            sigmas=["68:48", 0],
            latent_image=["68:47", 0],
        ),
        "68:8": node("VAEDecode", samples=["68:13", 0], vae=["68:10", 0]),
        "9": node("SaveImage", filename_prefix="Flux2", images=["68:8", 0]),
    }


def test_switched_steps_reach_the_scheduler_of_a_sampler_custom_advanced() -> None:
    off = read(_flux2_edit(False), "Flux2_00001_.png")
    assert (off.steps, off.seed, off.sampler, off.extra["guidance"]) == (20, 649422536169327, "euler", 4.0)
    assert (off.model, off.loras) == ("flux2_dev_fp8mixed.safetensors", ())
    assert off.extra["samplers"][0]["steps"] == 20
    on = read(_flux2_edit(True), "Flux2_00002_.png")
    assert on.steps == 8
    assert on.loras == (LoraRef("Flux_2-Turbo-LoRA_comfyui.safetensors", 1.0),)


def test_the_sampler_helper_nodes_are_found_behind_switches() -> None:
    """Noise, guider, sampler and sigmas of a ``SamplerCustomAdvanced``, and the FluxGuidance on its
    prompt, each picked by a switch: the selected helper's values are read."""
    graph = _flux2_edit(False)
    graph["70:1"] = node("RandomNoise", noise_seed=1111)
    graph["70:2"] = _switch(True, on_false=["68:25", 0], on_true=["70:1", 0])
    graph["70:3"] = node("CFGGuider", model=["68:92", 0], positive=["70:9", 0], negative=["68:6", 0], cfg=3.5)
    graph["70:4"] = _switch(True, on_false=["68:22", 0], on_true=["70:3", 0])
    graph["70:5"] = node("KSamplerSelect", sampler_name="dpmpp_2m")
    graph["70:6"] = _switch(True, on_false=["68:16", 0], on_true=["70:5", 0])
    graph["70:7"] = node("BasicScheduler", scheduler="karras", steps=28, denoise=1.0, model=["68:92", 0])
    graph["70:8"] = _switch(True, on_false=["68:48", 0], on_true=["70:7", 0])
    graph["70:9"] = _switch(True, on_false=["68:6", 0], on_true=["68:26", 0])
    graph["68:13"]["inputs"].update(
        noise=["70:2", 0], guider=["70:4", 0], sampler=["70:6", 0], sigmas=["70:8", 0]
    )
    record = read(graph, "Flux2_00001_.png")
    assert (record.seed, record.cfg_scale, record.sampler) == (1111, 3.5, "dpmpp_2m")
    assert (record.steps, record.scheduler, record.extra["guidance"]) == (28, "karras", 4.0)
    assert record.prompt == "a knitted beanie with an embroidered patch"


def test_a_switch_with_one_branch_connected_outputs_that_branch() -> None:
    """The newest schema: ``on_false``/``on_true`` optional; with one connected the node outputs it
    whatever ``switch`` says."""
    graph = _qwen_lightning(False)
    graph["85"] = _switch(["81", 0], on_true=["84", 0])
    assert read(graph).steps == 4


def test_the_output_behind_a_switch_of_images_is_traced_to_the_selected_pass() -> None:
    """Two passes decoded separately, a ``ComfySwitchNode`` choosing the image SaveImage writes: the
    record is the selected pass's, not the first pass by node id."""
    graph = sampled()
    graph["13"] = node(
        "KSampler",
        seed=2222,
        steps=30,
        cfg=5.0,
        sampler_name="dpmpp_2m",
        scheduler="karras",
        denoise=1.0,
        model=["4", 0],
        positive=["6", 0],
        negative=["7", 0],
        latent_image=["5", 0],
    )
    graph["18"] = node("VAEDecode", samples=["13", 0], vae=["4", 2])
    graph["20"] = _switch(True, on_false=["8", 0], on_true=["18", 0])
    graph["9"]["inputs"]["images"] = ["20", 0]
    record = read(graph)
    assert (record.seed, record.steps, record.sampler) == (2222, 30, "dpmpp_2m")
    assert record.extra["primary_sampler"] == "13"


def test_switches_that_select_themselves_end_with_nothing_found() -> None:
    """Hostile shapes: a switch whose selector is its own output, a branch linked back to the switch,
    two switches selecting each other. The walks end; what they cannot resolve is not found."""
    graph = _qwen_lightning(True)
    graph["85"] = _switch(["85", 0], on_false=["85", 0], on_true=["84", 0])
    graph["88"] = _switch(["89", 0], on_false=["89", 0], on_true=["89", 0])
    graph["89"] = _switch(["88", 0], on_false=["88", 0], on_true=["88", 0])
    record = read(graph)
    assert record.cfg_scale is None
    assert record.prompt == "a lighthouse at dusk"


def test_a_switch_between_two_pipes_gives_the_fields_of_the_selected_pipe() -> None:
    """Impact's ``ToBasicPipe`` twice (two prompts), a ``ComfySwitchNode`` choosing the pipe an
    ``ImpactKSamplerBasicPipe`` samples from and the pipe a ``FromBasicPipe`` unpacks."""
    graph = sampled()
    graph["11"] = node("CLIPTextEncode", text="a harbour in fog", clip=["4", 1])
    graph["20"] = node(
        "ToBasicPipe", model=["4", 0], clip=["4", 1], vae=["4", 2], positive=["6", 0], negative=["7", 0]
    )
    graph["21"] = node(
        "ToBasicPipe", model=["4", 0], clip=["4", 1], vae=["4", 2], positive=["11", 0], negative=["7", 0]
    )
    graph["22"] = _switch(True, on_false=["20", 0], on_true=["21", 0])
    graph["3"] = node(
        "ImpactKSamplerBasicPipe",
        seed=5,
        steps=22,
        cfg=6.0,
        sampler_name="euler",
        scheduler="normal",
        denoise=1.0,
        basic_pipe=["22", 0],
        latent_image=["5", 0],
    )
    assert read(graph).prompt == "a harbour in fog"
    unpacked = sampled(model=["23", 0], positive=["23", 3], negative=["23", 4])
    unpacked.update({key: graph[key] for key in ("11", "20", "21")})
    unpacked["22"] = _switch(False, on_false=["21", 0], on_true=["20", 0])
    unpacked["23"] = node("FromBasicPipe", basic_pipe=["22", 0])
    record = read(unpacked)
    assert (record.prompt, record.model) == ("a harbour in fog", "sd_xl_base_1.0.safetensors")
