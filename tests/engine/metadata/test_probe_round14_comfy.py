"""Probe round 14: UI-format-only ComfyUI workflows whose values live in popular node packs.

A file that keeps only the litegraph ``workflow`` is read from the API graph the frontend would queue
(:mod:`engine.metadata.comfy_ui`); these shapes mirror published workflows and the packs' public
``INPUT_TYPES`` (sources in /tmp/probe44/sources.md): Efficiency's Efficient Loader, LoRA Stacker and
KSampler (Efficient) in its jags111 and older LucianoCirino layouts (and its ``-1`` "random each queue"
seed), rgthree's Power Lora Loader dict rows, Comfyroll's LoRA stack and SDXL aspect-ratio preset,
ComfyUI-Image-Saver's literal and selector nodes, KJNodes' SetNode/GetNode and UseEverywhere's
``extra.ue_links`` virtual wires.
"""

from __future__ import annotations

from typing import Any

from comfy_graph_builder import read_workflow, ui_node

POSITIVE = "portrait of an old fisherman mending nets on a wooden pier at dawn"
NEGATIVE = "lowres, blurry, watermark"


def _workflow(nodes: list[dict[str, Any]], *links: tuple[int, int, int, int, int, str]) -> dict[str, Any]:
    return {"nodes": nodes, "links": [list(row) for row in links], "extra": {}, "version": 0.4}


def _decode_and_save(sampler_link: int, vae_link: int) -> list[dict[str, Any]]:
    return [
        ui_node(
            8,
            "VAEDecode",
            inputs=(("samples", "LATENT", sampler_link), ("vae", "VAE", vae_link)),
            outputs=(("IMAGE", "IMAGE", [90]),),
        ),
        ui_node(9, "SaveImage", inputs=(("images", "IMAGE", 90),), widgets=["ComfyUI"]),
    ]


def _efficient_loader(lora: str = "None", stack_link: int | None = None) -> dict[str, Any]:
    return ui_node(
        24,
        "Efficient Loader",
        inputs=(("lora_stack", "LORA_STACK", stack_link), ("cnet_stack", "CONTROL_NET_STACK", None)),
        outputs=(
            ("MODEL", "MODEL", [50]),
            ("CONDITIONING+", "CONDITIONING", [51]),
            ("CONDITIONING-", "CONDITIONING", [52]),
            ("LATENT", "LATENT", [53]),
            ("VAE", "VAE", [55]),
        ),
        widgets=[
            "AWPainting_v1.3.safetensors",
            "Baked VAE",
            -1,
            lora,
            0.6,
            0.6,
            POSITIVE,
            NEGATIVE,
            "none",
            "comfy",
            512,
            768,
            1,
        ],
    )


def _eff_links() -> list[tuple[int, int, int, int, int, str]]:
    return [
        (50, 24, 0, 27, 0, "MODEL"),
        (51, 24, 1, 27, 1, "CONDITIONING"),
        (52, 24, 2, 27, 2, "CONDITIONING"),
        (53, 24, 3, 27, 3, "LATENT"),
        (54, 27, 0, 8, 0, "LATENT"),
        (55, 24, 4, 8, 1, "VAE"),
    ]


def _sampler_inputs() -> tuple[tuple[str, str, int | None], ...]:
    return (
        ("model", "MODEL", 50),
        ("positive", "CONDITIONING", 51),
        ("negative", "CONDITIONING", 52),
        ("latent_image", "LATENT", 53),
    )


def test_efficient_loader_with_a_lora_stacker_feeding_a_core_ksampler() -> None:
    rows: list[Any] = []
    for name, weight in (("lucy_v10.safetensors", 0.92), ("3DMM_V12.safetensors", 0.62), ("None", 1)):
        rows += [name, weight, 1, 1]
    rows += ["None", 1, 1, 1] * 46
    stacker = ui_node(
        26,
        "LoRA Stacker",
        inputs=(("lora_stack", "LORA_STACK", None),),
        outputs=(("LORA_STACK", "LORA_STACK", [49]),),
        widgets=["simple", 3, *rows],
    )
    sampler = ui_node(
        27,
        "KSampler",
        inputs=_sampler_inputs(),
        outputs=(("LATENT", "LATENT", [54]),),
        widgets=[0, "randomize", 20, 8, "euler", "normal", 1],
    )
    nodes = [stacker, _efficient_loader(stack_link=49), sampler, *_decode_and_save(54, 55)]
    record = read_workflow(
        _workflow(nodes, (49, 26, 0, 24, 0, "LORA_STACK"), *_eff_links(), (90, 8, 0, 9, 0, "IMAGE"))
    )
    assert (record.prompt, record.negative_prompt) == (POSITIVE, NEGATIVE)
    assert record.model == "AWPainting_v1.3.safetensors"
    assert [(lora.name, lora.weight) for lora in record.loras] == [
        ("lucy_v10.safetensors", 0.92),
        ("3DMM_V12.safetensors", 0.62),
    ]
    assert (record.width, record.height, record.seed, record.steps) == (512, 768, 0, 20)


def _efficient_sampler(widgets: list[Any]) -> dict[str, Any]:
    return ui_node(
        27,
        "KSampler (Efficient)",
        inputs=(*_sampler_inputs(), ("optional_vae", "VAE", None), ("script", "SCRIPT", None)),
        outputs=(
            ("MODEL", "MODEL", []),
            ("C+", "CONDITIONING", []),
            ("C-", "CONDITIONING", []),
            ("LATENT", "LATENT", [54]),
        ),
        widgets=widgets,
    )


def test_ksampler_efficient_jags111_and_legacy_layouts_and_its_random_seed_marker() -> None:
    tail = [25, 7, "dpmpp_2m", "karras", 1, "auto", "true"]
    for widgets, seed in (
        ([119518652754456, "fixed", *tail], 119518652754456),
        (["Sample", 119518652754457, "randomize", *tail], 119518652754457),
        ([-1, None, *tail], None),
    ):
        nodes = [
            _efficient_loader(lora="add_detail.safetensors"),
            _efficient_sampler(widgets),
            *_decode_and_save(54, 55),
        ]
        record = read_workflow(_workflow(nodes, *_eff_links(), (90, 8, 0, 9, 0, "IMAGE")))
        assert record.seed == seed, widgets
        assert (record.steps, record.cfg_scale, record.sampler) == (25, 7.0, "dpmpp_2m"), widgets
        assert [(lora.name, lora.weight) for lora in record.loras] == [("add_detail.safetensors", 0.6)]


def _sdxl(
    model_link: int, model_node: dict[str, Any], latent_node: dict[str, Any], latent_link: int
) -> list[Any]:
    return [
        model_node,
        latent_node,
        ui_node(6, "CLIPTextEncode", outputs=(("C", "CONDITIONING", [61]),), widgets=[POSITIVE]),
        ui_node(7, "CLIPTextEncode", outputs=(("C", "CONDITIONING", [62]),), widgets=[NEGATIVE]),
        ui_node(
            27,
            "KSampler",
            inputs=(
                ("model", "MODEL", model_link),
                ("positive", "CONDITIONING", 61),
                ("negative", "CONDITIONING", 62),
                ("latent_image", "LATENT", latent_link),
            ),
            outputs=(("LATENT", "LATENT", [54]),),
            widgets=[884412007, "randomize", 8, 2, "dpmpp_sde", "karras", 1],
        ),
        ui_node(4, "VAELoader", outputs=(("VAE", "VAE", [55]),), widgets=["sdxl_vae.safetensors"]),
        *_decode_and_save(54, 55),
    ]


_SDXL_LINKS = [
    (61, 6, 0, 27, 1, "CONDITIONING"),
    (62, 7, 0, 27, 2, "CONDITIONING"),
    (54, 27, 0, 8, 0, "LATENT"),
    (55, 4, 0, 8, 1, "VAE"),
    (90, 8, 0, 9, 0, "IMAGE"),
]


def test_power_lora_rows_comfyroll_stack_and_aspect_ratio_preset() -> None:
    checkpoint = ui_node(
        1, "CheckpointLoaderSimple", outputs=(("MODEL", "MODEL", [70]),), widgets=["juggernautXL.safetensors"]
    )
    power = ui_node(
        2,
        "Power Lora Loader (rgthree)",
        inputs=(("model", "MODEL", 70),),
        outputs=(("MODEL", "MODEL", [71]),),
        widgets=[
            None,
            {"type": "PowerLoraLoaderHeaderWidget"},
            {"on": True, "lora": "flux\\realism.safetensors", "strength": 0.85, "strengthTwo": None},
            {"on": False, "lora": "flux\\anime.safetensors", "strength": 0.6, "strengthTwo": None},
            None,
            "",
        ],
    )
    stack = ui_node(
        3,
        "CR LoRA Stack",
        outputs=(("LORA_STACK", "LORA_STACK", [72]),),
        widgets=[
            "On",
            "detail.safetensors",
            0.7,
            0.7,
            "Off",
            "pixel.safetensors",
            1,
            1,
            "On",
            "grain.safetensors",
            0.45,
            0.5,
        ],
    )
    apply = ui_node(
        5,
        "CR Apply LoRA Stack",
        inputs=(("model", "MODEL", 71), ("clip", "CLIP", None), ("lora_stack", "LORA_STACK", 72)),
        outputs=(("MODEL", "MODEL", [73]),),
    )
    aspect = ui_node(
        10,
        "CR SDXL Aspect Ratio",
        outputs=(
            ("width", "INT", []),
            ("height", "INT", []),
            ("u", "FLOAT", []),
            ("b", "INT", []),
            ("empty_latent", "LATENT", [74]),
        ),
        widgets=[1024, 1024, "3:4 portrait 896x1152", "Off", 1.5, 1],
    )
    nodes = [power, stack, apply, *_sdxl(73, checkpoint, aspect, 74)]
    links = [
        (70, 1, 0, 2, 0, "MODEL"),
        (71, 2, 0, 5, 0, "MODEL"),
        (72, 3, 0, 5, 2, "LORA_STACK"),
        (73, 5, 0, 27, 0, "MODEL"),
    ]
    record = read_workflow(_workflow(nodes, *links, (74, 10, 4, 27, 3, "LATENT"), *_SDXL_LINKS))
    assert sorted((lora.name, lora.weight) for lora in record.loras) == [
        ("detail.safetensors", 0.7),
        ("flux\\realism.safetensors", 0.85),
        ("grain.safetensors", 0.45),
    ]
    assert (record.width, record.height) == (896, 1152)


def test_image_saver_literals_and_selectors_feed_converted_widgets() -> None:
    checkpoint = ui_node(
        23,
        "Checkpoint Loader with Name (Image Saver)",
        outputs=(
            ("MODEL", "MODEL", [70]),
            ("CLIP", "CLIP", []),
            ("VAE", "VAE", []),
            ("model_name", "STRING", []),
        ),
        widgets=["juggernautXL.safetensors"],
    )
    latent = ui_node(
        5,
        "EmptyLatentImage",
        inputs=(("width", "INT", 75), ("height", "INT", 76)),
        outputs=(("LATENT", "LATENT", [74]),),
        widgets=[512, 512, 1],
    )
    sources = [
        ui_node(
            30,
            "Sampler Selector (Image Saver)",
            outputs=(("s", "COMBO", [80]), ("n", "STRING", [])),
            widgets=["dpmpp_2m_sde"],
        ),
        ui_node(
            31,
            "Scheduler Selector (Image Saver)",
            outputs=(("s", "COMBO", [81]), ("n", "STRING", [])),
            widgets=["karras"],
        ),
        ui_node(
            32,
            "Seed Generator (Image Saver)",
            outputs=(("INT", "INT", [82]),),
            widgets=[612093488771245, "fixed"],
        ),
        ui_node(33, "Cfg Literal (Image Saver)", outputs=(("value", "FLOAT", [83]),), widgets=[6.5]),
        ui_node(34, "Int Literal (Image Saver)", outputs=(("INT", "INT", [84]),), widgets=[30]),
        ui_node(35, "Width/Height Literal (Image Saver)", outputs=(("size", "INT", [75]),), widgets=[832]),
        ui_node(36, "Width/Height Literal (Image Saver)", outputs=(("size", "INT", [76]),), widgets=[1216]),
    ]
    nodes = [*sources, *_sdxl(70, checkpoint, latent, 74)]
    sampler = next(node for node in nodes if node["id"] == 27)
    for name, link in (("seed", 82), ("steps", 84), ("cfg", 83), ("sampler_name", 80), ("scheduler", 81)):
        sampler["inputs"].append({"name": name, "type": "*", "link": link, "widget": {"name": name}})
    links = [
        (70, 23, 0, 27, 0, "MODEL"),
        (74, 5, 0, 27, 3, "LATENT"),
        (75, 35, 0, 5, 0, "INT"),
        (76, 36, 0, 5, 1, "INT"),
    ]
    links += [(80, 30, 0, 27, 4, "COMBO"), (81, 31, 0, 27, 5, "COMBO"), (82, 32, 0, 27, 6, "INT")]
    links += [(83, 33, 0, 27, 7, "FLOAT"), (84, 34, 0, 27, 8, "INT")]
    record = read_workflow(_workflow(nodes, *links, *_SDXL_LINKS))
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (
        612093488771245,
        30,
        6.5,
        "dpmpp_2m_sde",
    )
    assert (record.model, record.width, record.height) == ("juggernautXL.safetensors", 832, 1216)


def test_kjnodes_get_node_delivers_what_feeds_the_set_node_of_its_name() -> None:
    checkpoint = ui_node(
        1,
        "CheckpointLoaderSimple",
        outputs=(("MODEL", "MODEL", [70]),),
        widgets=["sd_xl_base_1.0.safetensors"],
    )
    latent = ui_node(5, "EmptyLatentImage", outputs=(("LATENT", "LATENT", [74]),), widgets=[832, 1216, 1])
    setter = ui_node(
        20, "SetNode", inputs=(("MODEL", "MODEL", 70),), outputs=(("*", "*", []),), widgets=["model"]
    )
    getter = ui_node(21, "GetNode", outputs=(("MODEL", "MODEL", [71]),), widgets=["model"])
    nodes = [setter, getter, *_sdxl(71, checkpoint, latent, 74)]
    links = [(70, 1, 0, 20, 0, "MODEL"), (71, 21, 0, 27, 0, "MODEL"), (74, 5, 0, 27, 3, "LATENT")]
    assert read_workflow(_workflow(nodes, *links, *_SDXL_LINKS)).model == "sd_xl_base_1.0.safetensors"


def test_use_everywhere_links_feed_unconnected_inputs_and_malformed_entries_are_skipped() -> None:
    checkpoint = ui_node(
        1,
        "CheckpointLoaderSimple",
        outputs=(("MODEL", "MODEL", [70]),),
        widgets=["sd_xl_base_1.0.safetensors"],
    )
    latent = ui_node(5, "EmptyLatentImage", outputs=(("LATENT", "LATENT", [74]),), widgets=[832, 1216, 1])
    everywhere = ui_node(12, "Anything Everywhere", inputs=(("anything", "*", 70),))
    nodes = [everywhere, *_sdxl(999, checkpoint, latent, 74)]
    workflow = _workflow(nodes, (70, 1, 0, 12, 0, "MODEL"), (74, 5, 0, 27, 3, "LATENT"), *_SDXL_LINKS)
    next(node for node in nodes if node["id"] == 27)["inputs"][0]["link"] = None
    workflow["extra"]["ue_links"] = [
        "junk",
        {"downstream": [27], "downstream_slot": 0, "upstream": "1", "upstream_slot": 0},
        {"downstream": 27, "downstream_slot": True, "upstream": "1", "upstream_slot": 0},
        {
            "downstream": 27,
            "downstream_slot": 0,
            "upstream": "1",
            "upstream_slot": 0,
            "controller": 12,
            "type": "MODEL",
        },
    ]
    assert read_workflow(workflow).model == "sd_xl_base_1.0.safetensors"


def test_impact_wildcard_encoder_text_and_face_detailer_widgets() -> None:
    populated = "a photo of a red fox sitting in a sunny meadow"
    checkpoint = ui_node(
        4,
        "CheckpointLoaderSimple",
        outputs=(("MODEL", "MODEL", [70]),),
        widgets=["realisticVision.safetensors"],
    )
    encoder = ui_node(
        10,
        "ImpactWildcardEncode",
        inputs=(("model", "MODEL", 70), ("clip", "CLIP", None)),
        outputs=(("model", "MODEL", [71]), ("clip", "CLIP", []), ("conditioning", "CONDITIONING", [72, 73])),
        widgets=[
            "a photo of __animal__ sitting in a sunny meadow",
            populated,
            True,
            "Select",
            "Select",
            42,
            "fixed",
        ],
    )
    latent = ui_node(5, "EmptyLatentImage", outputs=(("LATENT", "LATENT", [74]),), widgets=[512, 768, 1])
    detailer = ui_node(
        11,
        "FaceDetailer",
        inputs=(("image", "IMAGE", 90), ("model", "MODEL", 71), ("positive", "CONDITIONING", 73)),
        outputs=(("image", "IMAGE", [91]),),
        widgets=[512, True, 1024, 777777777, "fixed", 20, 4.5, "euler_ancestral", "normal", 0.5, 5, True],
    )
    nodes = [encoder, detailer, *_sdxl(71, checkpoint, latent, 74)]
    next(node for node in nodes if node["id"] == 6)["outputs"][0]["links"] = []
    nodes[-1]["inputs"][0]["link"] = 91
    links = [(70, 4, 0, 10, 0, "MODEL"), (71, 10, 0, 27, 0, "MODEL"), (72, 10, 2, 27, 1, "CONDITIONING")]
    links += [(73, 10, 2, 11, 4, "CONDITIONING"), (74, 5, 0, 27, 3, "LATENT"), (91, 11, 0, 9, 0, "IMAGE")]
    sdxl = [row for row in _SDXL_LINKS if row[0] not in (61, 90)] + [(90, 8, 0, 11, 0, "IMAGE")]
    record = read_workflow(_workflow(nodes, *links, *sdxl))
    assert record.prompt == populated
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) in (
        (884412007, 8, 2.0, "dpmpp_sde"),
        (777777777, 20, 4.5, "euler_ancestral"),
    )
