"""Probe round 15: UI-format-only ComfyUI workflows with legacy group nodes and Easy-Use pipe nodes.

A group node instance (``workflow/NAME`` or ``workflow>NAME``) is defined in ``extra.groupNodes``;
the frontend's ``GroupNodeConfig`` maps its widgets, input and output slots onto the inner nodes
(:mod:`engine.metadata.comfy_group_nodes`). The shapes follow a real saved group node and the
frontend's groupNode code, and Easy-Use's loader / preSampling / kSampler ``INPUT_TYPES`` (sources in
/tmp/probe45/make_probes.py).
"""

from __future__ import annotations

from typing import Any

from comfy_graph_builder import read_workflow, ui_node

POSITIVE = "a lighthouse on a basalt cliff at dusk, crashing waves"
NEGATIVE = "blurry, lowres, watermark"


def _inner(node_type: str, index: int, widgets: list[Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    node = ui_node(0, node_type, widgets=widgets, **kwargs)
    node.pop("id")
    node["index"] = index
    return node


def _txt2img_group() -> dict[str, Any]:
    nodes = [
        _inner(
            "CheckpointLoaderSimple",
            0,
            ["stored.safetensors"],
            outputs=(("MODEL", "MODEL", [1]), ("CLIP", "CLIP", [2, 3]), ("VAE", "VAE", [9])),
        ),
        _inner("CLIPTextEncode", 1, ["stored positive"], inputs=(("clip", "CLIP", 2),)),
        _inner("CLIPTextEncode", 2, ["stored negative"], inputs=(("clip", "CLIP", 3),)),
        _inner("EmptyLatentImage", 3, [1024, 1024, 1], outputs=(("LATENT", "LATENT", [6]),)),
        _inner(
            "KSampler",
            4,
            [1, "randomize", 20, 8, "euler", "normal", 1],
            inputs=(
                ("model", "MODEL", 1),
                ("positive", "CONDITIONING", 4),
                ("negative", "CONDITIONING", 5),
                ("latent_image", "LATENT", 6),
            ),
            outputs=(("LATENT", "LATENT", [7]),),
        ),
    ]
    links = [
        [0, 0, 4, 0, 4, "MODEL"],
        [0, 1, 1, 0, 4, "CLIP"],
        [0, 1, 2, 0, 4, "CLIP"],
        [1, 0, 4, 1, 6, "CONDITIONING"],
        [2, 0, 4, 2, 7, "CONDITIONING"],
        [3, 0, 4, 3, 5, "LATENT"],
        [None, 0, 3, 0, 50, "IMAGE"],
    ]
    # older frontends stored the inner node object in 'external' (it matched nothing)
    return {"nodes": nodes, "links": links, "external": [[dict(nodes[0]), 2, "VAE"]]}


def _txt2img(instance_widgets: list[Any], node_type: str = "workflow/txt2img") -> dict[str, Any]:
    nodes = [
        ui_node(
            10,
            node_type,
            outputs=(("VAE", "VAE", [21]), ("LATENT", "LATENT", [20])),
            widgets=instance_widgets,
        ),
        ui_node(
            11,
            "VAEDecode",
            inputs=(("samples", "LATENT", 20), ("vae", "VAE", 21)),
            outputs=(("IMAGE", "IMAGE", [22]),),
        ),
        ui_node(12, "SaveImage", inputs=(("images", "IMAGE", 22),), widgets=["ComfyUI"]),
    ]
    links = [[20, 10, 1, 11, 0, "LATENT"], [21, 10, 0, 11, 1, "VAE"], [22, 11, 0, 12, 0, "IMAGE"]]
    return {
        "nodes": nodes,
        "links": links,
        "extra": {"groupNodes": {"txt2img": _txt2img_group()}},
        "version": 0.4,
    }


INSTANCE = ["sd_xl_base_1.0.safetensors", POSITIVE, NEGATIVE, 896, 1152, 1, 4815162342, "fixed"]
INSTANCE += [30, 6.5, "dpmpp_2m", "karras", 1]


def test_group_node_instance_widgets_name_the_inner_nodes() -> None:
    record = read_workflow(_txt2img(INSTANCE))
    assert (record.prompt, record.negative_prompt) == (POSITIVE, NEGATIVE)
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (4815162342, 30, 6.5, "dpmpp_2m")
    assert (record.model, record.width, record.height) == ("sd_xl_base_1.0.safetensors", 896, 1152)


def test_group_node_with_mismatched_widget_count_keeps_the_stored_inner_values() -> None:
    record = read_workflow(_txt2img(INSTANCE[:-1], node_type="workflow>txt2img"))
    assert (record.prompt, record.negative_prompt) == ("stored positive", "stored negative")
    assert (record.seed, record.steps, record.model) == (1, 20, "stored.safetensors")


def _sampler_group_workflow(seed: int, node_type: str) -> dict[str, Any]:
    sampler = _inner(
        "KSampler",
        0,
        [5, "fixed", 20, 7, "euler", "normal", 1],
        inputs=(
            ("model", "MODEL", None),
            ("positive", "CONDITIONING", None),
            ("negative", "CONDITIONING", None),
            ("latent_image", "LATENT", None),
            ("seed", "INT", None),
        ),
        outputs=(("LATENT", "LATENT", [3]),),
    )
    sampler["inputs"][4]["widget"] = {"name": "seed"}
    decode = _inner(
        "VAEDecode",
        1,
        None,
        inputs=(("samples", "LATENT", 3), ("vae", "VAE", None)),
        outputs=(("IMAGE", "IMAGE", []),),
    )
    definition = {
        "nodes": [sampler, decode],
        "links": [[None, 0, 0, 0, 1, "MODEL"], [0, 0, 1, 0, 5, "LATENT"], [None, 2, 1, 1, 1, "VAE"]],
        "external": [[1, 0, "IMAGE"]],
    }
    group = ui_node(
        6,
        node_type,
        inputs=(
            ("model", "MODEL", 31),
            ("positive", "CONDITIONING", 36),
            ("negative", "CONDITIONING", 37),
            ("latent_image", "LATENT", 38),
            ("vae", "VAE", 35),
            ("seed", "INT", 39),
        ),
        outputs=(("IMAGE", "IMAGE", [40]),),
        widgets=[35, 5.5, "dpmpp_2m_sde", "karras", 1, seed, "fixed"],
    )
    group["inputs"][5]["widget"] = {"name": "seed"}
    nodes = [
        ui_node(
            1,
            "CheckpointLoaderSimple",
            outputs=(("MODEL", "MODEL", [31]), ("CLIP", "CLIP", [32, 33]), ("VAE", "VAE", [35])),
            widgets=["juggernautXL_v9.safetensors"],
        ),
        ui_node(
            2,
            "CLIPTextEncode",
            inputs=(("clip", "CLIP", 32),),
            outputs=(("C", "CONDITIONING", [36]),),
            widgets=[POSITIVE],
        ),
        ui_node(
            3,
            "CLIPTextEncode",
            inputs=(("clip", "CLIP", 33),),
            outputs=(("C", "CONDITIONING", [37]),),
            widgets=[NEGATIVE],
        ),
        ui_node(4, "EmptyLatentImage", outputs=(("LATENT", "LATENT", [38]),), widgets=[832, 1216, 1]),
        ui_node(5, "PrimitiveNode", outputs=(("INT", "INT", [39]),), widgets=[seed, "fixed"]),
        group,
        ui_node(7, "SaveImage", inputs=(("images", "IMAGE", 40),), widgets=["ComfyUI"]),
    ]
    links = [
        [31, 1, 0, 6, 0, "MODEL"],
        [32, 1, 1, 2, 0, "CLIP"],
        [33, 1, 1, 3, 0, "CLIP"],
        [35, 1, 2, 6, 4, "VAE"],
        [36, 2, 0, 6, 1, "CONDITIONING"],
        [37, 3, 0, 6, 2, "CONDITIONING"],
        [38, 4, 0, 6, 3, "LATENT"],
        [39, 5, 0, 6, 5, "INT"],
        [40, 6, 0, 7, 0, "IMAGE"],
    ]
    return {"nodes": nodes, "links": links, "extra": {"groupNodes": {"Sample": definition}}, "version": 0.4}


def test_group_node_converted_seed_comes_last_and_inputs_map_to_inner_slots() -> None:
    for node_type in ("workflow>Sample", "workflow/Sample"):
        record = read_workflow(_sampler_group_workflow(990011223344, node_type))
        assert (record.prompt, record.negative_prompt) == (POSITIVE, NEGATIVE)
        assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (
            990011223344,
            35,
            5.5,
            "dpmpp_2m_sde",
        )
        assert (record.model, record.width, record.height) == ("juggernautXL_v9.safetensors", 832, 1216)


def test_hostile_group_definitions_beside_a_good_one_still_read() -> None:
    workflow = _txt2img(INSTANCE)
    workflow["extra"]["groupNodes"].update(
        {"bad": {"nodes": [None, 3, {"type": 5}], "links": [[{}, "x", None]]}}
    )
    workflow["nodes"].append(ui_node(30, "workflow/bad", widgets=[{"a": 1}, [2]]))
    workflow["nodes"].append({"id": 31, "type": "workflow>missing", "inputs": "x", "widgets_values": 7})
    record = read_workflow(workflow)
    assert (record.prompt, record.seed) == (POSITIVE, 4815162342)


EASY_POSITIVE = "cozy reading nook with rain on the window, watercolor"
EASY_NEGATIVE = "text, watermark"


def _easy(loader: str, loader_widgets: list[Any]) -> dict[str, Any]:
    nodes = [
        ui_node(1, loader, outputs=(("pipe", "PIPE_LINE", [1]),), widgets=loader_widgets),
        ui_node(
            2,
            "easy preSampling",
            inputs=(("pipe", "PIPE_LINE", 1),),
            outputs=(("pipe", "PIPE_LINE", [2]),),
            widgets=[25, 7.5, "dpmpp_2m", "karras", 1, 20240607, "fixed"],
        ),
        ui_node(
            3,
            "easy kSampler",
            inputs=(("pipe", "PIPE_LINE", 2), ("model", "MODEL", None)),
            outputs=(("pipe", "PIPE_LINE", []), ("image", "IMAGE", [3])),
            widgets=["Hide", 0, "ComfyUI"],
        ),
        ui_node(4, "SaveImage", inputs=(("images", "IMAGE", 3),), widgets=["ComfyUI"]),
    ]
    links = [[1, 1, 0, 2, 0, "PIPE_LINE"], [2, 2, 0, 3, 0, "PIPE_LINE"], [3, 3, 1, 4, 0, "IMAGE"]]
    return {"nodes": nodes, "links": links, "extra": {}, "version": 0.4}


def test_easy_full_loader_pre_sampling_and_ksampler() -> None:
    widgets = ["dreamshaper_8.safetensors", "Default", "Baked VAE", -2, "add_detail.safetensors", 0.7, 0.5]
    widgets += [
        "832 x 1216",
        512,
        512,
        EASY_POSITIVE,
        "none",
        "comfy",
        EASY_NEGATIVE,
        "none",
        "comfy",
        1,
        False,
    ]
    record = read_workflow(_easy("easy fullLoader", widgets))
    assert (record.prompt, record.negative_prompt) == (EASY_POSITIVE, EASY_NEGATIVE)
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (20240607, 25, 7.5, "dpmpp_2m")
    assert (record.model, record.width, record.height) == ("dreamshaper_8.safetensors", 832, 1216)
    assert [(lora.name, lora.weight) for lora in record.loras] == [("add_detail.safetensors", 0.7)]


def test_easy_a1111_and_comfy_loaders() -> None:
    widgets = [
        "dreamshaper_8.safetensors",
        "Baked VAE",
        -2,
        "None",
        1.0,
        1.0,
        "width x height (custom)",
        768,
        1024,
    ]
    record = read_workflow(_easy("easy a1111Loader", [*widgets, EASY_POSITIVE, EASY_NEGATIVE, 1, True]))
    assert (record.prompt, record.width, record.height, record.steps) == (EASY_POSITIVE, 768, 1024, 25)
    widgets[6] = "1024 x 1024"
    record = read_workflow(_easy("easy comfyLoader", [*widgets, EASY_POSITIVE, EASY_NEGATIVE, 1]))
    assert (record.negative_prompt, record.width, record.height, record.seed) == (
        EASY_NEGATIVE,
        1024,
        1024,
        20240607,
    )
