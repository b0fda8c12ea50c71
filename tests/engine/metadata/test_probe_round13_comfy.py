"""Probe round 13: ComfyUI files that carry only the UI-format ``workflow`` chunk (no ``prompt``).

Frontends and tools that re-save an image keep only the litegraph workflow; its values are read
from the API graph the frontend would queue (:mod:`engine.metadata.comfy_ui`). The shapes mirror
published workflows (sources in the round's report, /tmp/probe43/sources.md): the Comfy-Org
templates (HiDream-I1 fast, the SDXL base + refiner with ``PrimitiveNode`` step controls, the
Z-Image and Qwen-Image subgraph templates with ``proxyWidgets``), frontend ``Reroute`` nodes,
bypassed (``mode`` 4) and muted (``mode`` 2) nodes and VideoHelperSuite's dict of widget values.
"""

from __future__ import annotations

from typing import Any

from comfy_graph_builder import read_workflow, ui_node

POSITIVE = "a ragged large red tree leaning slightly to one side, Polaroid aesthetic"
NEGATIVE = "bad ugly jpeg artifacts"


def _links(*rows: tuple[int, int, int, int, int, str]) -> list[list[Any]]:
    return [list(row) for row in rows]


def _hidream(*, reroute: bool = False, lora_mode: int | None = None) -> dict[str, Any]:
    """The HiDream-I1 fast template: QuadrupleCLIPLoader, two encoders, KSampler with its
    ``control_after_generate`` value after the seed; optionally a Reroute on the positive and a
    LoraLoader between UNET and sampler in ``lora_mode``."""
    model_link = 178 if lora_mode is None else 190
    nodes = [
        ui_node(81, "VAELoader", outputs=(("VAE", "VAE", [169]),), widgets=["ae.safetensors"]),
        ui_node(
            82,
            "QuadrupleCLIPLoader",
            outputs=(("CLIP", "CLIP", [167, 175]),),
            widgets=[
                "clip_l_hidream.safetensors",
                "clip_g_hidream.safetensors",
                "t5.safetensors",
                "llama.safetensors",
            ],
        ),
        ui_node(
            93,
            "UNETLoader",
            outputs=(("MODEL", "MODEL", [178]),),
            widgets=["hidream_i1_fast_fp8.safetensors"],
        ),
        ui_node(
            90,
            "CLIPTextEncode",
            inputs=(("clip", "CLIP", 175),),
            outputs=(("C", "CONDITIONING", [180]),),
            widgets=[NEGATIVE],
        ),
        ui_node(
            85,
            "CLIPTextEncode",
            inputs=(("clip", "CLIP", 167),),
            outputs=(("C", "CONDITIONING", [179]),),
            widgets=[POSITIVE],
        ),
        ui_node(84, "EmptySD3LatentImage", outputs=(("LATENT", "LATENT", [181]),), widgets=[1024, 768, 1]),
        ui_node(
            94,
            "KSampler",
            inputs=(
                ("model", "MODEL", model_link),
                ("positive", "CONDITIONING", 196 if reroute else 179),
                ("negative", "CONDITIONING", 180),
                ("latent_image", "LATENT", 181),
            ),
            outputs=(("LATENT", "LATENT", [182]),),
            widgets=[833271177511441, "randomize", 16, 1, "lcm", "normal", 1],
        ),
        ui_node(
            86,
            "VAEDecode",
            inputs=(("samples", "LATENT", 182), ("vae", "VAE", 169)),
            outputs=(("IMAGE", "IMAGE", [174]),),
        ),
        ui_node(88, "SaveImage", inputs=(("images", "IMAGE", 174),), widgets=["ComfyUI"]),
        ui_node(89, "MarkdownNote", widgets=["## Official sampling settings"]),
    ]
    links = _links(
        (167, 82, 0, 85, 0, "CLIP"),
        (169, 81, 0, 86, 1, "VAE"),
        (174, 86, 0, 88, 0, "IMAGE"),
        (175, 82, 0, 90, 0, "CLIP"),
        (180, 90, 0, 94, 2, "CONDITIONING"),
        (181, 84, 0, 94, 3, "LATENT"),
        (182, 94, 0, 86, 0, "LATENT"),
    )
    links.append([179, 85, 0, 96 if reroute else 94, 0 if reroute else 1, "CONDITIONING"])
    if reroute:
        nodes.append(ui_node(96, "Reroute", inputs=(("", "*", 179),), outputs=(("", "CONDITIONING", [196]),)))
        links.append([196, 96, 0, 94, 1, "CONDITIONING"])
    if lora_mode is None:
        links.append([178, 93, 0, 94, 0, "MODEL"])
    else:
        nodes.append(
            ui_node(
                95,
                "LoraLoaderModelOnly",
                inputs=(("model", "MODEL", 178),),
                outputs=(("MODEL", "MODEL", [190]),),
                widgets=["red_tree_style.safetensors", 0.8],
                mode=lora_mode,
            )
        )
        links += _links((178, 93, 0, 95, 0, "MODEL"), (190, 95, 0, 94, 0, "MODEL"))
    return {"last_node_id": 96, "last_link_id": 196, "nodes": nodes, "links": links, "version": 0.4}


def test_a_workflow_only_file_is_read_from_its_widgets() -> None:
    record = read_workflow(_hidream())
    assert record.tool == "comfyui"
    assert (record.prompt, record.negative_prompt) == (POSITIVE, NEGATIVE)
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (833271177511441, 16, 1.0, "lcm")
    assert record.model == "hidream_i1_fast_fp8.safetensors"
    assert (record.width, record.height) == (1024, 768)
    assert record.extra["workflow_only"] is True


def test_a_reroute_passes_its_link_on() -> None:
    assert read_workflow(_hidream(reroute=True)).prompt == POSITIVE


def test_a_bypassed_lora_passes_the_model_through_and_an_active_one_counts() -> None:
    bypassed = read_workflow(_hidream(lora_mode=4))
    assert bypassed.model == "hidream_i1_fast_fp8.safetensors"
    assert not bypassed.loras
    active = read_workflow(_hidream(lora_mode=0))
    assert [(lora.name, lora.weight) for lora in active.loras] == [("red_tree_style.safetensors", 0.8)]


def test_a_muted_source_gives_nothing_to_the_input_it_fed() -> None:
    record = read_workflow(_hidream(lora_mode=2))
    assert record.model is None
    assert record.prompt == POSITIVE


def _sdxl_refiner(refiner_mode: int) -> dict[str, Any]:
    """The template's SDXL base + refiner: both KSamplerAdvanced take ``steps`` from one PrimitiveNode
    (a converted widget), the base's ``end_at_step`` / the refiner's ``start_at_step`` from another."""
    nodes = [
        ui_node(
            4,
            "CheckpointLoaderSimple",
            outputs=(("MODEL", "MODEL", [10]), ("CLIP", "CLIP", [3])),
            widgets=["sd_xl_base_1.0.safetensors"],
        ),
        ui_node(
            12,
            "CheckpointLoaderSimple",
            outputs=(("MODEL", "MODEL", [14]), ("CLIP", "CLIP", [19]), ("VAE", "VAE", [34])),
            widgets=["sd_xl_refiner_1.0.safetensors"],
        ),
        ui_node(
            6,
            "CLIPTextEncode",
            inputs=(("clip", "CLIP", 3),),
            outputs=(("C", "CONDITIONING", [11, 12]),),
            widgets=["daytime sky nature dark blue galaxy bottle"],
        ),
        ui_node(
            15,
            "CLIPTextEncode",
            inputs=(("clip", "CLIP", 19),),
            outputs=(("C", "CONDITIONING", [23, 24]),),
            widgets=["a bottle with a galaxy in it"],
        ),
        ui_node(5, "EmptyLatentImage", outputs=(("LATENT", "LATENT", [27]),), widgets=[1024, 1024, 1]),
        ui_node(45, "PrimitiveNode", outputs=(("INT", "INT", [38, 41]),), widgets=[30, "fixed"]),
        ui_node(47, "PrimitiveNode", outputs=(("INT", "INT", [43, 44]),), widgets=[24, "fixed"]),
        ui_node(
            10,
            "KSamplerAdvanced",
            inputs=(
                ("model", "MODEL", 10),
                ("positive", "CONDITIONING", 11),
                ("negative", "CONDITIONING", 12),
                ("latent_image", "LATENT", 27),
                ("steps", "INT", 41),
                ("end_at_step", "INT", 43),
            ),
            outputs=(("LATENT", "LATENT", [13]),),
            widgets=["enable", 1102966908265645, "randomize", 25, 8, "euler", "normal", 0, 20, "enable"],
        ),
        ui_node(
            11,
            "KSamplerAdvanced",
            inputs=(
                ("model", "MODEL", 14),
                ("positive", "CONDITIONING", 23),
                ("negative", "CONDITIONING", 24),
                ("latent_image", "LATENT", 13),
                ("steps", "INT", 38),
                ("start_at_step", "INT", 44),
            ),
            outputs=(("LATENT", "LATENT", [25]),),
            widgets=["disable", 0, "fixed", 25, 8, "euler", "normal", 20, 10000, "disable"],
            mode=refiner_mode,
        ),
        ui_node(
            17,
            "VAEDecode",
            inputs=(("samples", "LATENT", 25), ("vae", "VAE", 34)),
            outputs=(("IMAGE", "IMAGE", [28]),),
        ),
        ui_node(19, "SaveImage", inputs=(("images", "IMAGE", 28),), widgets=["ComfyUI"]),
    ]
    links = _links(
        (3, 4, 1, 6, 0, "CLIP"),
        (10, 4, 0, 10, 0, "MODEL"),
        (11, 6, 0, 10, 1, "CONDITIONING"),
        (12, 6, 0, 10, 2, "CONDITIONING"),
        (13, 10, 0, 11, 3, "LATENT"),
        (14, 12, 0, 11, 0, "MODEL"),
        (19, 12, 1, 15, 0, "CLIP"),
        (23, 15, 0, 11, 1, "CONDITIONING"),
        (24, 15, 0, 11, 2, "CONDITIONING"),
        (25, 11, 0, 17, 0, "LATENT"),
        (27, 5, 0, 10, 3, "LATENT"),
        (28, 17, 0, 19, 0, "IMAGE"),
        (34, 12, 2, 17, 1, "VAE"),
        (38, 45, 0, 11, 4, "INT"),
        (41, 45, 0, 10, 4, "INT"),
        (43, 47, 0, 10, 5, "INT"),
        (44, 47, 0, 11, 5, "INT"),
    )
    return {"nodes": nodes, "links": links, "version": 0.4}


def test_a_primitive_node_gives_its_value_to_the_widgets_it_feeds() -> None:
    record = read_workflow(_sdxl_refiner(refiner_mode=0))
    assert record.steps == 30  # the PrimitiveNode's value, not the widgets' stale 25
    assert record.seed == 1102966908265645  # the refiner continues the base's noise
    assert (record.cfg_scale, record.sampler, record.width) == (8, "euler", 1024)


def test_a_bypassed_sampler_passes_its_latent_input_through() -> None:
    record = read_workflow(_sdxl_refiner(refiner_mode=4))
    assert record.prompt == "daytime sky nature dark blue galaxy bottle"
    assert record.model == "sd_xl_base_1.0.safetensors"
    assert len(record.extra["samplers"]) == 1


def _subgraph_workflow(outer_values: list[Any], *, text_link: bool = False) -> dict[str, Any]:
    """The Qwen-Image subgraph template's shape: instance ``75`` promotes subgraph inputs (``proxyWidgets``
    ``["-1", name]``, values on the instance) that feed the inner nodes; inner widgets keep stale values."""
    sg_id = "2c61139d-9c34-4c7e-a083-7a67cc4770ad"
    names = ["unet_name", "seed", "steps", "text", "width", "height"]
    inner = [
        ui_node(
            37,
            "UNETLoader",
            inputs=(("unet_name", "COMBO", 131),),
            outputs=(("MODEL", "MODEL", [125]),),
            widgets=["stale.safetensors", "default"],
        ),
        ui_node(
            38, "CLIPLoader", outputs=(("CLIP", "CLIP", [74, 75]),), widgets=["qwen_2.5_vl_7b.safetensors"]
        ),
        ui_node(
            6,
            "CLIPTextEncode",
            inputs=(("clip", "CLIP", 74), ("text", "STRING", 141)),
            outputs=(("C", "CONDITIONING", [46]),),
            widgets=["stale template prompt"],
        ),
        ui_node(
            7,
            "CLIPTextEncode",
            inputs=(("clip", "CLIP", 75),),
            outputs=(("C", "CONDITIONING", [52]),),
            widgets=[""],
        ),
        ui_node(
            58,
            "EmptySD3LatentImage",
            inputs=(("width", "INT", 134), ("height", "INT", 135)),
            outputs=(("LATENT", "LATENT", [107]),),
            widgets=[1328, 1328, 1],
        ),
        ui_node(
            11,
            "ModelSamplingAuraFlow",
            inputs=(("model", "MODEL", 125),),
            outputs=(("MODEL", "MODEL", [126]),),
            widgets=[3.1],
            mode=4,
        ),
        ui_node(
            3,
            "KSampler",
            inputs=(
                ("model", "MODEL", 126),
                ("positive", "CONDITIONING", 46),
                ("negative", "CONDITIONING", 52),
                ("latent_image", "LATENT", 107),
                ("seed", "INT", 137),
                ("steps", "INT", 138),
            ),
            outputs=(("LATENT", "LATENT", [128]),),
            widgets=[1125488487853216, "randomize", 4, 2.5, "euler", "simple", 1],
        ),
        ui_node(8, "VAEDecode", inputs=(("samples", "LATENT", 128),), outputs=(("IMAGE", "IMAGE", [110]),)),
    ]
    inner_links = [
        {"id": lid, "origin_id": o, "origin_slot": os_, "target_id": t, "target_slot": ts, "type": ty}
        for lid, o, os_, t, ts, ty in (
            (74, 38, 0, 6, 0, "CLIP"),
            (75, 38, 0, 7, 0, "CLIP"),
            (125, 37, 0, 11, 0, "MODEL"),
            (126, 11, 0, 3, 0, "MODEL"),
            (46, 6, 0, 3, 1, "CONDITIONING"),
            (52, 7, 0, 3, 2, "CONDITIONING"),
            (107, 58, 0, 3, 3, "LATENT"),
            (128, 3, 0, 8, 0, "LATENT"),
            (110, 8, 0, -20, 0, "IMAGE"),
            (131, -10, 0, 37, 0, "COMBO"),
            (137, -10, 1, 3, 4, "INT"),
            (138, -10, 2, 3, 5, "INT"),
            (141, -10, 3, 6, 1, "STRING"),
            (134, -10, 4, 58, 0, "INT"),
            (135, -10, 5, 58, 1, "INT"),
        )
    ]
    definition = {
        "id": sg_id,
        "inputNode": {"id": -10},
        "outputNode": {"id": -20},
        "inputs": [{"name": name, "type": "*", "linkIds": []} for name in names],
        "outputs": [{"name": "IMAGE", "type": "IMAGE", "linkIds": [110]}],
        "nodes": inner,
        "links": inner_links,
    }
    outer_inputs = (("text", "STRING", 140),) if text_link else ()
    outer = [
        ui_node(
            75,
            sg_id,
            inputs=outer_inputs,
            outputs=(("IMAGE", "IMAGE", [133]),),
            widgets=outer_values,
            properties={"proxyWidgets": [["-1", name] for name in names]},
        ),
        ui_node(60, "SaveImage", inputs=(("images", "IMAGE", 133),), widgets=["Qwen_t2i"]),
    ]
    links: list[list[Any]] = [[133, 75, 0, 60, 0, "IMAGE"]]
    if text_link:
        outer.append(
            ui_node(
                83,
                "PrimitiveStringMultiline",
                outputs=(("STRING", "STRING", [140]),),
                widgets=["a lighthouse in a winter storm"],
            )
        )
        links.append([140, 83, 0, 75, 0, "STRING"])
    return {"nodes": outer, "links": links, "definitions": {"subgraphs": [definition]}, "version": 0.4}


OUTER = ["qwen_image_fp8_e4m3fn.safetensors", 90210774411, 6, "a red fox asleep on a mossy stump", 1664, 928]


def test_a_subgraph_reads_the_values_promoted_on_its_instance() -> None:
    record = read_workflow(_subgraph_workflow(OUTER), file_name="Qwen_t2i_00001_.png")
    assert record.prompt == "a red fox asleep on a mossy stump"
    assert (record.seed, record.steps, record.cfg_scale) == (90210774411, 6, 2.5)
    assert record.model == "qwen_image_fp8_e4m3fn.safetensors"
    assert (record.width, record.height) == (1664, 928)
    assert record.negative_prompt is None


def test_a_subgraph_input_linked_outside_takes_the_linked_value() -> None:
    record = read_workflow(_subgraph_workflow(OUTER, text_link=True), file_name="Qwen_t2i_00002_.png")
    assert record.prompt == "a lighthouse in a winter storm"


def test_a_dict_of_widget_values_names_the_output_that_wrote_the_file() -> None:
    workflow = _hidream()
    workflow["nodes"][6]["outputs"][0]["links"] = [182, 183]  # KSampler -> a second decode
    workflow["nodes"] += [
        ui_node(
            97,
            "VAEDecode",
            inputs=(("samples", "LATENT", 183), ("vae", "VAE", 169)),
            outputs=(("IMAGE", "IMAGE", [184]),),
        ),
        ui_node(
            98,
            "VHS_VideoCombine",
            inputs=(("images", "IMAGE", 184),),
            widgets={
                "frame_rate": 8,
                "filename_prefix": "AnimateDiff",
                "format": "image/webp",
                "save_output": True,
                "videopreview": {"hidden": False},
            },
        ),
    ]
    workflow["links"] += _links((183, 94, 0, 97, 0, "LATENT"), (184, 97, 0, 98, 0, "IMAGE"))
    record = read_workflow(workflow, file_name="AnimateDiff_00001.png")
    assert record.extra["output_node"]["class_type"] == "VHS_VideoCombine"
    assert record.seed == 833271177511441


def test_hostile_workflows_end_quickly() -> None:
    cyclic = {
        "nodes": [
            ui_node(1, "Reroute", inputs=(("", "*", 2),), outputs=(("", "*", [1]),)),
            ui_node(2, "Reroute", inputs=(("", "*", 1),), outputs=(("", "*", [2]),)),
            ui_node(3, "CLIPTextEncode", inputs=(("clip", "CLIP", 1),), widgets=["x"]),
        ],
        "links": _links((1, 1, 0, 2, 0, "*"), (2, 2, 0, 1, 0, "*")),
    }
    assert read_workflow(cyclic).tool == "comfyui"
    looping = {
        "nodes": [
            ui_node(1, "loop", outputs=(("IMAGE", "IMAGE", [1]),)),
            ui_node(2, "SaveImage", inputs=(("images", "IMAGE", 1),)),
        ],
        "links": _links((1, 1, 0, 2, 0, "IMAGE")),
        "definitions": {
            "subgraphs": [
                {"id": "loop", "nodes": [ui_node(5, "loop")], "links": [[9, 5, 0, -20, 0, "IMAGE"]]}
            ]
        },
    }
    assert read_workflow(looping).tool == "comfyui"


def test_self_nesting_subgraphs_stop_within_a_budget() -> None:
    fan_out = [ui_node(i, "fan", outputs=(("IMAGE", "IMAGE", []),)) for i in range(1, 41)]
    workflow = {
        "nodes": [
            ui_node(1, "fan", outputs=(("IMAGE", "IMAGE", [1]),)),
            ui_node(2, "SaveImage", inputs=(("images", "IMAGE", 1),)),
        ],
        "links": _links((1, 1, 0, 2, 0, "IMAGE")),
        "definitions": {"subgraphs": [{"id": "fan", "nodes": fan_out, "links": []}]},
    }
    assert read_workflow(workflow).tool == "comfyui"  # 40 ** 8 instances if nothing stopped it


def test_a_workflow_with_values_of_the_wrong_type_anywhere_is_read_without_a_reader_bug() -> None:
    """A workflow's arrays may hold anything: every one replaced by a number, a string or an object
    still gives a ``comfyui`` record (found by mutating the probe round's real workflows: an ``inputs``
    that was a number raised out of the reader)."""
    base = _hidream()
    for junk in (5, "x", {"a": 1}, None):
        for key in ("inputs", "outputs", "widgets_values", "mode", "type"):
            for index in range(len(base["nodes"])):
                workflow = {**base, "nodes": [dict(node) for node in base["nodes"]]}
                workflow["nodes"][index][key] = junk
                record = read_workflow(workflow)
                assert record.tool == "comfyui", (key, junk, index)
                assert not any("reader bug" in error for error in record.extra.get("metadata_errors", []))
        for key in ("nodes", "links", "definitions"):
            record = read_workflow({**base, key: junk})
            assert record.tool == "comfyui", (key, junk)
