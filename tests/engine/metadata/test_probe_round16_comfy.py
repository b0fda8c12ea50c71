"""Probe round 16: UI-format-only ComfyUI workflows of node packs the reader did not name.

Each node's positional ``widgets_values`` follow its pack's ``INPUT_TYPES`` (rgthree-comfy, Inspire,
WAS Node Suite, BlenderNeko's advanced CLIP encoder, Impact); a legacy group node may sit inside a
subgraph definition (its definition stays in the root's ``extra.groupNodes``). Sources in
/tmp/probe46/sources.md.
"""

from __future__ import annotations

from typing import Any

import pytest
from comfy_graph_builder import UiWorkflow, read_workflow

POSITIVE = "portrait of an old fisherman mending nets at dawn, golden light"
NEGATIVE = "cartoon, lowres"
CKPT_OUT = (("MODEL", "MODEL"), ("CLIP", "CLIP"), ("VAE", "VAE"))
SAMPLER_IN = (
    ("model", "MODEL"),
    ("positive", "CONDITIONING"),
    ("negative", "CONDITIONING"),
    ("latent_image", "LATENT"),
)
COND = (("CONDITIONING", "CONDITIONING"),)


def _sampled(
    sampler_type: str,
    widgets: list[Any],
    positive: tuple[str, list[Any]] = ("CLIPTextEncode", [POSITIVE]),
    negative: tuple[str, list[Any]] = ("CLIPTextEncode", [NEGATIVE]),
) -> dict[str, Any]:
    """Checkpoint 1, encoders 2 / 3 (type and widgets), a 640 × 896 latent 4, sampler 5."""
    graph = UiWorkflow()
    graph.add(1, "CheckpointLoaderSimple", ["dreamshaper_8.safetensors"], outputs=CKPT_OUT)
    graph.add(2, positive[0], positive[1], inputs=(("clip", "CLIP"),), outputs=COND)
    graph.add(3, negative[0], negative[1], inputs=(("clip", "CLIP"),), outputs=COND)
    graph.add(4, "EmptyLatentImage", [640, 896, 1], outputs=(("LATENT", "LATENT"),))
    graph.add(5, sampler_type, widgets, inputs=SAMPLER_IN, outputs=(("LATENT", "LATENT"),))
    for target, name, origin, slot in ((2, "clip", 1, 1), (3, "clip", 1, 1), (5, "model", 1, 0)):
        graph.link(origin, slot, target, name)
    for target, name, origin in ((5, "positive", 2), (5, "negative", 3), (5, "latent_image", 4)):
        graph.link(origin, 0, target, name)
    return graph.save((5, 0), (1, 2))


def _rgthree(seed: int) -> dict[str, Any]:
    graph = UiWorkflow()
    graph.add(4, "CheckpointLoaderSimple", ["epicrealism.safetensors"], outputs=CKPT_OUT)
    power = [POSITIVE + " <lora:add_detail:0.6>", "CHOOSE", "CHOOSE", "CHOOSE"]
    graph.add(
        10,
        "Power Prompt (rgthree)",
        power,
        inputs=(("opt_model", "MODEL"), ("opt_clip", "CLIP")),
        outputs=(("CONDITIONING", "CONDITIONING"), ("MODEL", "MODEL"), ("CLIP", "CLIP"), ("TEXT", "STRING")),
    )
    graph.add(
        11,
        "Power Prompt - Simple (rgthree)",
        [NEGATIVE, "CHOOSE", "CHOOSE"],
        inputs=(("opt_clip", "CLIP"),),
        outputs=(("CONDITIONING", "CONDITIONING"), ("TEXT", "STRING")),
    )
    graph.add(12, "Seed (rgthree)", [seed, "", "", ""], outputs=(("SEED", "INT"),))
    graph.add(5, "EmptyLatentImage", [768, 1024, 1], outputs=(("LATENT", "LATENT"),))
    sampler = [5, "randomize", 28, 5.5, "dpmpp_2m_sde", "karras", 1]
    graph.add(
        3, "KSampler", sampler, inputs=(*SAMPLER_IN, ("seed", "INT", "seed")), outputs=(("LATENT", "LATENT"),)
    )
    for origin, slot, target, name in (
        (4, 0, 10, "opt_model"),
        (4, 1, 10, "opt_clip"),
        (10, 2, 11, "opt_clip"),
        (10, 1, 3, "model"),
        (10, 0, 3, "positive"),
        (11, 0, 3, "negative"),
        (5, 0, 3, "latent_image"),
        (12, 0, 3, "seed"),
    ):
        graph.link(origin, slot, target, name)
    return graph.save((3, 0), (4, 2))


def test_rgthree_power_prompts_and_seed_widgets() -> None:
    record = read_workflow(_rgthree(771155330022))
    # the node encodes the text without its tag; a record may keep the tag, as A1111's do
    assert record.prompt in (POSITIVE, POSITIVE + " <lora:add_detail:0.6>")
    assert (record.negative_prompt, record.seed) == (NEGATIVE, 771155330022)
    assert [(lora.name, lora.weight) for lora in record.loras] == [("add_detail", 0.6)]
    assert (record.steps, record.width, record.height) == (28, 768, 1024)
    # rgthree's "random each queue" seed is no seed (the stale sampler widget is no seed either)
    assert read_workflow(_rgthree(-1)).seed is None


ADVANCED_HEAD = [True, 1119808910974861, "fixed", 20, 8, "dpmpp_2m", "karras"]


@pytest.mark.parametrize(
    ("sampler_type", "widgets"),
    [
        (
            "KSampler //Inspire",
            [
                1119808910974861,
                "randomize",
                20,
                8,
                "dpmpp_2m",
                "karras",
                1,
                "GPU(=A1111)",
                "incremental",
                0,
                0,
            ],
        ),
        (
            "KSamplerAdvanced //Inspire",
            [*ADVANCED_HEAD, 0, 10000, "CPU", False, "comfy", 0, 0, "linear", 0],
        ),
    ],
)
def test_inspire_sampler_widgets_with_advanced_clip_encoders(sampler_type: str, widgets: list[Any]) -> None:
    record = read_workflow(
        _sampled(
            sampler_type,
            widgets,
            ("BNK_CLIPTextEncodeAdvanced", [POSITIVE, "none", "A1111"]),
            ("BNK_CLIPTextEncodeAdvanced", [NEGATIVE, "mean", "A1111"]),
        )
    )
    assert (record.prompt, record.negative_prompt) == (POSITIVE, NEGATIVE)
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (
        1119808910974861,
        20,
        8,
        "dpmpp_2m",
    )


@pytest.mark.parametrize(
    "nsp_widgets",
    [["Noodle Soup Prompts", "__", 987654, "fixed", NEGATIVE], ["__", 987654, "fixed", NEGATIVE]],
)
def test_was_text_nodes_nsp_encoder_and_sampler(nsp_widgets: list[Any]) -> None:
    graph = UiWorkflow()
    graph.add(1, "CheckpointLoaderSimple", ["realvisxlV40.safetensors"], outputs=CKPT_OUT)
    graph.add(2, "Text Multiline", ["  an abandoned greenhouse  "], outputs=(("STRING", "STRING"),))
    graph.add(3, "Text String", ["ferns", "cinematic fog", "", ""], outputs=(("STRING", "STRING"),) * 4)
    text_inputs = tuple((f"text_{part}", "STRING") for part in "abcd")
    graph.add(4, "Text Concatenate", [", ", "true"], inputs=text_inputs, outputs=(("STRING", "STRING"),))
    graph.add(
        5, "CLIPTextEncode", ["stale"], inputs=(("clip", "CLIP"), ("text", "STRING", "text")), outputs=COND
    )
    graph.add(6, "CLIPTextEncode (NSP)", nsp_widgets, inputs=(("clip", "CLIP"),), outputs=COND)
    graph.add(7, "Seed", [31415926535, "fixed"], outputs=(("seed", "SEED"), ("int", "INT")))
    graph.add(8, "EmptyLatentImage", [1024, 1024, 1], outputs=(("LATENT", "LATENT"),))
    was_inputs = (("model", "MODEL"), ("seed", "SEED"), *SAMPLER_IN[1:])
    sampler = [30, 4.5, "dpmpp_2m", "karras", 1]
    graph.add(9, "KSampler (WAS)", sampler, inputs=was_inputs, outputs=(("LATENT", "LATENT"),))
    for origin, slot, target, name in (
        (2, 0, 4, "text_a"),
        (3, 1, 4, "text_b"),
        (4, 0, 5, "text"),
        (1, 1, 5, "clip"),
        (1, 1, 6, "clip"),
        (1, 0, 9, "model"),
        (7, 0, 9, "seed"),
        (5, 0, 9, "positive"),
        (6, 0, 9, "negative"),
        (8, 0, 9, "latent_image"),
    ):
        graph.link(origin, slot, target, name)
    record = read_workflow(graph.save((9, 0), (1, 2)))
    assert (record.prompt, record.negative_prompt) == ("an abandoned greenhouse, cinematic fog", NEGATIVE)
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (31415926535, 30, 4.5, "dpmpp_2m")


def _rgthree_sdxl() -> dict[str, Any]:
    """A KSamplerAdvanced whose sampling widgets are all converted and fed by rgthree's Seed and
    KSampler Config; its latent from rgthree's SDXL Empty Latent Image."""
    graph = UiWorkflow()
    graph.add(1, "CheckpointLoaderSimple", ["sd_xl_base_1.0.safetensors"], outputs=CKPT_OUT)
    graph.add(2, "CLIPTextEncode", [POSITIVE], inputs=(("clip", "CLIP"),), outputs=COND)
    graph.add(3, "CLIPTextEncode", [NEGATIVE], inputs=(("clip", "CLIP"),), outputs=COND)
    latent_out = (("LATENT", "LATENT"), ("CLIP_WIDTH", "INT"), ("CLIP_HEIGHT", "INT"))
    graph.add(4, "SDXL Empty Latent Image (rgthree)", [" 832 x 1216  (portrait)", 2, 1], outputs=latent_out)
    config_out = (("STEPS", "INT"), ("REFINER_STEP", "INT"), ("CFG", "FLOAT"), ("SAMPLER", "COMBO"))
    config_out += (("SCHEDULER", "COMBO"),)
    graph.add(5, "KSampler Config (rgthree)", [30, 24, 6.5, "dpmpp_2m_sde", "karras"], outputs=config_out)
    graph.add(6, "Seed (rgthree)", [918273645, "", "", ""], outputs=(("SEED", "INT"),))
    names = ("noise_seed", "steps", "end_at_step", "cfg", "sampler_name", "scheduler")
    converted = tuple((name, "INT", name) for name in names)
    stale = ["enable", 0, "randomize", 20, 8, "euler", "normal", 0, 10000, "enable"]
    graph.add(7, "KSamplerAdvanced", stale, inputs=(*SAMPLER_IN, *converted), outputs=(("LATENT", "LATENT"),))
    for origin, slot, target, name in (
        (1, 1, 2, "clip"),
        (1, 1, 3, "clip"),
        (1, 0, 7, "model"),
        (2, 0, 7, "positive"),
        (3, 0, 7, "negative"),
        (4, 0, 7, "latent_image"),
        (6, 0, 7, "noise_seed"),
    ):
        graph.link(origin, slot, target, name)
    for slot, name in enumerate(("steps", "end_at_step", "cfg", "sampler_name", "scheduler")):
        graph.link(5, slot, 7, name)
    return graph.save((7, 0), (1, 2))


def test_rgthree_ksampler_config_and_sdxl_empty_latent_widgets() -> None:
    record = read_workflow(_rgthree_sdxl())
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (
        918273645,
        30,
        6.5,
        "dpmpp_2m_sde",
    )
    assert (record.width, record.height, record.prompt) == (832, 1216, POSITIVE)


def test_inspire_wildcard_encode_widgets() -> None:
    graph = UiWorkflow()
    graph.add(1, "CheckpointLoaderSimple", ["majicmixRealistic_v7.safetensors"], outputs=CKPT_OUT)
    populated = POSITIVE + " <lora:detail_tweaker:0.5>"
    encoder = ["none", "A1111", "a __color__ dress", populated, True, "Select the LoRA to add to the text"]
    encoder += ["Select the Wildcard to add to the text", 777, "fixed"]
    outputs = (("model", "MODEL"), ("clip", "CLIP"), ("conditioning", "CONDITIONING"), ("text", "STRING"))
    graph.add(
        2, "WildcardEncode //Inspire", encoder, inputs=(("model", "MODEL"), ("clip", "CLIP")), outputs=outputs
    )
    graph.add(3, "CLIPTextEncode", [NEGATIVE], inputs=(("clip", "CLIP"),), outputs=COND)
    graph.add(4, "EmptyLatentImage", [512, 768, 1], outputs=(("LATENT", "LATENT"),))
    sampler = [3141592653, "fixed", 24, 6, "dpmpp_2m", "karras", 1]
    graph.add(5, "KSampler", sampler, inputs=SAMPLER_IN, outputs=(("LATENT", "LATENT"),))
    for origin, slot, target, name in (
        (1, 0, 2, "model"),
        (1, 1, 2, "clip"),
        (2, 1, 3, "clip"),
        (2, 0, 5, "model"),
        (2, 2, 5, "positive"),
        (3, 0, 5, "negative"),
        (4, 0, 5, "latent_image"),
    ):
        graph.link(origin, slot, target, name)
    record = read_workflow(graph.save((5, 0), (1, 2)))
    assert record.prompt in (POSITIVE, populated)
    assert (record.negative_prompt, record.seed) == (NEGATIVE, 3141592653)
    assert [(lora.name, lora.weight) for lora in record.loras] == [("detail_tweaker", 0.5)]


def _basic_pipe(sampler_type: str, widgets: list[Any]) -> dict[str, Any]:
    """ToBasicPipe 4 -> ``sampler_type`` 6 (Impact's outputs BASIC_PIPE, LATENT, VAE; Inspire's LATENT,
    VAE) -> decode with the sampler's own VAE output."""
    graph = UiWorkflow()
    graph.add(1, "CheckpointLoaderSimple", ["juggernaut_reborn.safetensors"], outputs=CKPT_OUT)
    graph.add(2, "CLIPTextEncode", [POSITIVE], inputs=(("clip", "CLIP"),), outputs=COND)
    graph.add(3, "CLIPTextEncode", [NEGATIVE], inputs=(("clip", "CLIP"),), outputs=COND)
    pipe_in = (*CKPT_OUT, ("positive", "CONDITIONING"), ("negative", "CONDITIONING"))
    graph.add(4, "ToBasicPipe", inputs=tuple((name.lower(), kind) for name, kind in pipe_in))
    graph.nodes[4]["outputs"] = [{"name": "basic_pipe", "type": "BASIC_PIPE", "links": []}]
    graph.add(5, "EmptyLatentImage", [768, 512, 1], outputs=(("LATENT", "LATENT"),))
    sampler_out = (("LATENT", "LATENT"), ("VAE", "VAE"))
    if sampler_type.startswith("Impact"):
        sampler_out = (("BASIC_PIPE", "BASIC_PIPE"), *sampler_out)
    sampler_in = (("basic_pipe", "BASIC_PIPE"), ("latent_image", "LATENT"))
    graph.add(6, sampler_type, widgets, inputs=sampler_in, outputs=sampler_out)
    for origin, slot, target, name in (
        (1, 0, 4, "model"),
        (1, 1, 4, "clip"),
        (1, 2, 4, "vae"),
        (1, 1, 2, "clip"),
        (1, 1, 3, "clip"),
        (2, 0, 4, "positive"),
        (3, 0, 4, "negative"),
        (4, 0, 6, "basic_pipe"),
        (5, 0, 6, "latent_image"),
    ):
        graph.link(origin, slot, target, name)
    latent = len(sampler_out) - 2
    return graph.save((6, latent), (6, latent + 1))


@pytest.mark.parametrize(
    ("sampler_type", "widgets"),
    [
        ("ImpactKSamplerBasicPipe", [5551212, "fixed", 22, 6.5, "dpmpp_2m", "karras", 1]),
        (
            "ImpactKSamplerAdvancedBasicPipe",
            [True, 5551212, "fixed", 22, 6.5, "dpmpp_2m", "karras", 0, 10000, False],
        ),
        (
            "KSamplerPipe //Inspire",
            [5551212, "fixed", 22, 6.5, "dpmpp_2m", "karras", 1, "GPU(=A1111)", "incremental", 0, 0, 0],
        ),
        (
            "KSamplerAdvancedPipe //Inspire",
            [True, 5551212, "fixed", 22, 6.5, "dpmpp_2m", "karras", 0, 10000, "CPU", False, "comfy", 0, 0],
        ),
    ],
)
def test_pipe_sampler_widgets(sampler_type: str, widgets: list[Any]) -> None:
    record = read_workflow(_basic_pipe(sampler_type, widgets))
    assert (record.prompt, record.negative_prompt, record.model) == (
        POSITIVE,
        NEGATIVE,
        "juggernaut_reborn.safetensors",
    )
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (5551212, 22, 6.5, "dpmpp_2m")


def test_inspire_random_noise_for_a_custom_sampler() -> None:
    graph = UiWorkflow()
    graph.add(1, "CheckpointLoaderSimple", ["sd_xl_base_1.0.safetensors"], outputs=CKPT_OUT)
    graph.add(2, "CLIPTextEncode", [POSITIVE], inputs=(("clip", "CLIP"),), outputs=COND)
    graph.add(3, "CLIPTextEncode", [NEGATIVE], inputs=(("clip", "CLIP"),), outputs=COND)
    graph.add(4, "EmptyLatentImage", [1024, 1024, 1], outputs=(("LATENT", "LATENT"),))
    noise = [1010101010, "fixed", "GPU(=A1111)", "incremental", 0, 0, "linear", 0]
    graph.add(5, "RandomNoise //Inspire", noise, outputs=(("NOISE", "NOISE"),))
    graph.add(6, "CFGGuider", [5.5], inputs=SAMPLER_IN[:3], outputs=(("GUIDER", "GUIDER"),))
    graph.add(7, "KSamplerSelect", ["dpmpp_2m"], outputs=(("SAMPLER", "SAMPLER"),))
    graph.add(
        8, "BasicScheduler", ["karras", 28, 1], inputs=(("model", "MODEL"),), outputs=(("SIGMAS", "SIGMAS"),)
    )
    custom_in = (("noise", "NOISE"), ("guider", "GUIDER"), ("sampler", "SAMPLER"), ("sigmas", "SIGMAS"))
    custom_in += (("latent_image", "LATENT"),)
    graph.add(9, "SamplerCustomAdvanced", inputs=custom_in, outputs=(("output", "LATENT"),))
    for origin, slot, target, name in (
        (1, 1, 2, "clip"),
        (1, 1, 3, "clip"),
        (1, 0, 6, "model"),
        (2, 0, 6, "positive"),
        (3, 0, 6, "negative"),
        (1, 0, 8, "model"),
        (5, 0, 9, "noise"),
        (6, 0, 9, "guider"),
        (7, 0, 9, "sampler"),
        (8, 0, 9, "sigmas"),
        (4, 0, 9, "latent_image"),
    ):
        graph.link(origin, slot, target, name)
    record = read_workflow(graph.save((9, 0), (1, 2)))
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (1010101010, 28, 5.5, "dpmpp_2m")


DETAILER_WIDGETS = [512, True, 1024, 6655443322, "fixed", 12, 5.5, "dpmpp_2m", "karras", 0.4, 5, True, True]


@pytest.mark.parametrize(
    ("detailer_type", "settings"),
    [
        (
            "FaceDetailer",
            [0.5, 10, 3, "center-1", 0, 0.93, 0, 0.7, "False", 10, "", 1, False, 20, False, False],
        ),
        ("DetailerForEach", ["", 1, False, 20, False, False]),
    ],
)
def test_impact_detailer_on_a_loaded_image(detailer_type: str, settings: list[Any]) -> None:
    graph = UiWorkflow()
    graph.add(1, "CheckpointLoaderSimple", ["epicrealism.safetensors"], outputs=CKPT_OUT)
    graph.add(2, "CLIPTextEncode", [POSITIVE], inputs=(("clip", "CLIP"),), outputs=COND)
    graph.add(3, "CLIPTextEncode", [NEGATIVE], inputs=(("clip", "CLIP"),), outputs=COND)
    graph.add(4, "LoadImage", ["portrait.png", "image"], outputs=(("IMAGE", "IMAGE"), ("MASK", "MASK")))
    inputs = (("image", "IMAGE"), *CKPT_OUT, ("positive", "CONDITIONING"), ("negative", "CONDITIONING"))
    graph.add(5, detailer_type, DETAILER_WIDGETS + settings, inputs=tuple((n.lower(), t) for n, t in inputs))
    graph.nodes[5]["outputs"] = [{"name": "image", "type": "IMAGE", "links": []}]
    graph.add(90, "SaveImage", ["FaceFix"], inputs=(("images", "IMAGE"),))
    for origin, slot, target, name in (
        (1, 1, 2, "clip"),
        (1, 1, 3, "clip"),
        (4, 0, 5, "image"),
        (1, 0, 5, "model"),
        (1, 1, 5, "clip"),
        (1, 2, 5, "vae"),
        (2, 0, 5, "positive"),
        (3, 0, 5, "negative"),
        (5, 0, 90, "images"),
    ):
        graph.link(origin, slot, target, name)
    workflow = {"nodes": list(graph.nodes.values()), "links": graph.links, "extra": {}, "version": 0.4}
    record = read_workflow(workflow, file_name="FaceFix_00001_.png")
    assert (record.seed, record.steps, record.cfg_scale, record.denoise) == (6655443322, 12, 5.5, 0.4)
    assert (record.prompt, record.negative_prompt) == (POSITIVE, NEGATIVE)


def _sampler_group() -> dict[str, Any]:
    """'Sample' = [KSampler, VAEDecode]: model, conditionings, latent and VAE come from outside."""
    sampler_in = [{"name": n, "type": t, "link": None} for n, t in SAMPLER_IN]
    sampler = {"type": "KSampler", "index": 0, "inputs": sampler_in, "widgets_values": [1, "fixed", 20, 8]}
    sampler["widgets_values"] += ["euler", "normal", 1]
    sampler["outputs"] = [{"name": "LATENT", "type": "LATENT", "links": [3]}]
    decode_in = [
        {"name": "samples", "type": "LATENT", "link": 3},
        {"name": "vae", "type": "VAE", "link": None},
    ]
    decode = {"type": "VAEDecode", "index": 1, "inputs": decode_in}
    decode["outputs"] = [{"name": "IMAGE", "type": "IMAGE", "links": []}]
    links = [[None, 0, 0, 0, 1, "MODEL"], [0, 0, 1, 0, 5, "LATENT"], [None, 2, 1, 1, 1, "VAE"]]
    return {"nodes": [sampler, decode], "links": links, "external": [[1, 0, "IMAGE"]]}


def test_group_node_inside_a_subgraph_definition() -> None:
    inner = UiWorkflow()
    inner.add(1, "CheckpointLoaderSimple", ["sd_xl_base_1.0.safetensors"], outputs=CKPT_OUT)
    inner.add(2, "CLIPTextEncode", [POSITIVE], inputs=(("clip", "CLIP"),), outputs=COND)
    inner.add(3, "CLIPTextEncode", [NEGATIVE], inputs=(("clip", "CLIP"),), outputs=COND)
    inner.add(4, "EmptyLatentImage", [1024, 768, 1], outputs=(("LATENT", "LATENT"),))
    instance = [2468013579, "fixed", 24, 6, "dpmpp_2m", "karras", 1]
    group_in = (*SAMPLER_IN, ("vae", "VAE"))
    inner.add(5, "workflow>Sample", instance, inputs=group_in, outputs=(("IMAGE", "IMAGE"),))
    for origin, slot, target, name in (
        (1, 0, 5, "model"),
        (1, 1, 2, "clip"),
        (1, 1, 3, "clip"),
        (1, 2, 5, "vae"),
        (2, 0, 5, "positive"),
        (3, 0, 5, "negative"),
        (4, 0, 5, "latent_image"),
    ):
        inner.link(origin, slot, target, name)
    inner.links.append([len(inner.links) + 1, 5, 0, -20, 0, "IMAGE"])
    definition_id = "6d1c7f0e-3b57-4a51-9b0c-2f7e8a9d1c11"
    definition = {
        "id": definition_id,
        "nodes": list(inner.nodes.values()),
        "links": inner.links,
        "inputNode": {"id": -10},
        "outputNode": {"id": -20},
        "inputs": [],
        "outputs": [{"name": "IMAGE", "type": "IMAGE", "linkIds": [len(inner.links)]}],
    }
    outer = UiWorkflow()
    outer.add(20, definition_id, outputs=(("IMAGE", "IMAGE"),))
    outer.add(21, "SaveImage", ["ComfyUI"], inputs=(("images", "IMAGE"),))
    outer.link(20, 0, 21, "images")
    workflow = {
        "nodes": list(outer.nodes.values()),
        "links": outer.links,
        "definitions": {"subgraphs": [definition]},
        "extra": {"groupNodes": {"Sample": _sampler_group()}},
        "version": 0.4,
    }
    record = read_workflow(workflow)
    assert (record.prompt, record.negative_prompt, record.model) == (
        POSITIVE,
        NEGATIVE,
        "sd_xl_base_1.0.safetensors",
    )
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (2468013579, 24, 6, "dpmpp_2m")
    assert (record.width, record.height) == (1024, 768)


def test_group_widget_positions_follow_a_leading_widget_layout() -> None:
    """A group holding a ``CLIPTextEncode (NSP)`` in its newer layout (leading ``mode``) whose text is
    converted and left unlinked: the group puts that text last among its widgets."""
    nsp = {
        "type": "CLIPTextEncode (NSP)",
        "index": 0,
        "widgets_values": ["Wildcards", "__", 1, "fixed", "stale"],
    }
    nsp["inputs"] = [
        {"name": "clip", "type": "CLIP", "link": None},
        {"name": "text", "type": "STRING", "link": None, "widget": {"name": "text"}},
    ]
    nsp["outputs"] = [{"name": "conditioning", "type": "CONDITIONING", "links": []}]
    definition = {"nodes": [nsp], "links": [], "external": [[0, 0, "CONDITIONING"]]}
    graph = UiWorkflow()
    graph.add(1, "CheckpointLoaderSimple", ["dreamshaper_8.safetensors"], outputs=CKPT_OUT)
    graph.add(2, "CLIPTextEncode", [POSITIVE], inputs=(("clip", "CLIP"),), outputs=COND)
    group_widgets = ["Noodle Soup Prompts", "__", 987654, "fixed", NEGATIVE]
    group_in = (("clip", "CLIP"), ("text", "STRING", "text"))
    graph.add(3, "workflow>Negative", group_widgets, inputs=group_in, outputs=COND)
    graph.add(4, "EmptyLatentImage", [512, 512, 1], outputs=(("LATENT", "LATENT"),))
    sampler = [27182818, "fixed", 20, 7, "euler", "normal", 1]
    graph.add(5, "KSampler", sampler, inputs=SAMPLER_IN, outputs=(("LATENT", "LATENT"),))
    for origin, slot, target, name in (
        (1, 1, 2, "clip"),
        (1, 1, 3, "clip"),
        (1, 0, 5, "model"),
        (2, 0, 5, "positive"),
        (3, 0, 5, "negative"),
        (4, 0, 5, "latent_image"),
    ):
        graph.link(origin, slot, target, name)
    workflow = graph.save((5, 0), (1, 2))
    workflow["extra"] = {"groupNodes": {"Negative": definition}}
    record = read_workflow(workflow)
    assert (record.prompt, record.negative_prompt, record.seed) == (POSITIVE, NEGATIVE, 27182818)
