"""Probe round 31: ComfyUI graph formats of 2025-26 in files that carry only the UI ``workflow``.

Shapes from ComfyUI_frontend and rgthree-comfy (sources in the round's report, /tmp/probe61/sources.md):

- a subgraph instance whose ``widgets_values`` keeps a ``control_after_generate`` value after its
  promoted seed (a legacy or imported instance: ``SubgraphNode._applyPromotedWidgetValues`` skips that
  slot when the array is longer than the promoted inputs);
- rgthree's ``Reroute (rgthree)``, a frontend-only node (``isVirtualNode``) that the frontend resolves to
  the link into its one input, at the top level and inside a subgraph definition.
"""

from __future__ import annotations

import time
from typing import Any

from comfy_graph_builder import UiWorkflow, read_workflow, ui_node

CHECKPOINT = "juggernautXL_v9Rdphoto2Lightning.safetensors"
LORA = "add-detail-xl.safetensors"
POSITIVE = "a lighthouse on a basalt cliff at dusk, volumetric light"
NEGATIVE = "blurry, lowres"
SUBGRAPH = "8f3c2a10-6d4e-4c1b-9a77-1f2e3d4c5b6a"
SAMPLER_INPUTS = (
    ("model", "MODEL"),
    ("positive", "CONDITIONING"),
    ("negative", "CONDITIONING"),
    ("latent_image", "LATENT"),
)


def _definition(
    nodes: list[dict[str, Any]],
    links: list[list[Any]],
    inputs: list[tuple[str, str, list[int]]],
    outputs: list[tuple[str, str, list[int]]],
) -> dict[str, Any]:
    """A ``definitions.subgraphs`` entry as the frontend writes it: object links, input / output IO nodes
    ``-10`` / ``-20``, ``inputs`` / ``outputs`` with the ids of their links inside."""
    keys = ("id", "origin_id", "origin_slot", "target_id", "target_slot", "type")
    return {
        "id": SUBGRAPH,
        "version": 1,
        "name": "Text to image",
        "inputNode": {"id": -10, "bounding": [0, 0, 120, 60]},
        "outputNode": {"id": -20, "bounding": [900, 0, 120, 60]},
        "inputs": [
            {"id": f"in-{name}", "name": name, "type": kind, "linkIds": ids} for name, kind, ids in inputs
        ],
        "outputs": [
            {"id": f"out-{name}", "name": name, "type": kind, "linkIds": ids} for name, kind, ids in outputs
        ],
        "widgets": [],
        "nodes": nodes,
        "links": [dict(zip(keys, link, strict=True)) for link in links],
        "extra": {},
    }


def _text_to_image(*, model_reroute: bool = False) -> dict[str, Any]:
    """'Text to image': checkpoint 4, encoders 6 / 7, latent 5, KSampler 3 (its seed and the positive text
    promoted as subgraph inputs ``seed`` and ``text``), decode 8 -> output ``IMAGE``; with
    ``model_reroute``, the MODEL goes through a ``Reroute (rgthree)`` 50."""
    model_link = 20 if model_reroute else 10
    nodes = [
        ui_node(
            4,
            "CheckpointLoaderSimple",
            outputs=(("MODEL", "MODEL", [10]), ("CLIP", "CLIP", [11, 12]), ("VAE", "VAE", [17])),
            widgets=[CHECKPOINT],
        ),
        ui_node(
            6,
            "CLIPTextEncode",
            inputs=(("clip", "CLIP", 11), ("text", "STRING", 31)),
            outputs=(("C", "CONDITIONING", [13]),),
            widgets=["(stale inner text)"],
        ),
        ui_node(
            7,
            "CLIPTextEncode",
            inputs=(("clip", "CLIP", 12),),
            outputs=(("C", "CONDITIONING", [14]),),
            widgets=[NEGATIVE],
        ),
        ui_node(5, "EmptyLatentImage", outputs=(("LATENT", "LATENT", [15]),), widgets=[832, 1216, 1]),
        ui_node(
            3,
            "KSampler",
            inputs=(
                ("model", "MODEL", model_link),
                ("positive", "CONDITIONING", 13),
                ("negative", "CONDITIONING", 14),
                ("latent_image", "LATENT", 15),
                ("seed", "INT", 30),
            ),
            outputs=(("LATENT", "LATENT", [16]),),
            widgets=[1, "randomize", 30, 6.5, "dpmpp_2m", "karras", 1.0],
        ),
        ui_node(
            8,
            "VAEDecode",
            inputs=(("samples", "LATENT", 16), ("vae", "VAE", 17)),
            outputs=(("IMAGE", "IMAGE", [18]),),
        ),
    ]
    nodes[4]["inputs"][4]["widget"] = {"name": "seed"}
    nodes[1]["inputs"][1]["widget"] = {"name": "text"}
    links = [
        [10, 4, 0, 50 if model_reroute else 3, 0, "MODEL"],
        [11, 4, 1, 6, 0, "CLIP"],
        [12, 4, 1, 7, 0, "CLIP"],
        [13, 6, 0, 3, 1, "CONDITIONING"],
        [14, 7, 0, 3, 2, "CONDITIONING"],
        [15, 5, 0, 3, 3, "LATENT"],
        [16, 3, 0, 8, 0, "LATENT"],
        [17, 4, 2, 8, 1, "VAE"],
        [18, 8, 0, -20, 0, "IMAGE"],
        [30, -10, 0, 3, 4, "INT"],
        [31, -10, 1, 6, 1, "STRING"],
    ]
    if model_reroute:
        nodes.append(ui_node(50, "Reroute (rgthree)", inputs=(("", "*", 10),), outputs=(("", "*", [20]),)))
        links.append([20, 50, 0, 3, 0, "MODEL"])
    return _definition(
        nodes, links, [("seed", "INT", [30]), ("text", "STRING", [31])], [("IMAGE", "IMAGE", [18])]
    )


def _instance_workflow(values: list[Any], *, model_reroute: bool = False) -> dict[str, Any]:
    """Instance 12 of 'Text to image' (promoted inputs ``seed``, ``text``; ``values`` as its
    ``widgets_values``) saved by SaveImage 9."""
    instance = ui_node(
        12,
        SUBGRAPH,
        inputs=(("seed", "INT", None), ("text", "STRING", None)),
        outputs=(("IMAGE", "IMAGE", [1]),),
        widgets=values,
    )
    instance["inputs"][0]["widget"] = {"name": "seed"}
    instance["inputs"][1]["widget"] = {"name": "text"}
    return {
        "nodes": [instance, ui_node(9, "SaveImage", inputs=(("images", "IMAGE", 1),), widgets=["ComfyUI"])],
        "links": [[1, 12, 0, 9, 0, "IMAGE"]],
        "definitions": {"subgraphs": [_text_to_image(model_reroute=model_reroute)]},
        "extra": {},
        "version": 0.4,
    }


def test_a_control_value_after_a_promoted_seed_is_skipped() -> None:
    """A legacy or imported instance keeps ``[seed, "randomize", text]`` for promoted inputs ``seed``,
    ``text``: the text is the third value, not the control choice. The current layout (one value per
    promoted input) reads as before, a text that reads like a control choice included."""
    record = read_workflow(_instance_workflow([771247, "randomize", POSITIVE]))
    assert record.seed == 771247
    assert record.prompt == POSITIVE
    assert (record.steps, record.cfg_scale, record.model) == (30, 6.5, CHECKPOINT)
    assert read_workflow(_instance_workflow([771246, POSITIVE])).prompt == POSITIVE
    current = read_workflow(_instance_workflow([5, "fixed"]))
    assert (current.seed, current.prompt) == (5, "fixed")


def _rgthree_reroutes(chain: int) -> dict[str, Any]:
    """Checkpoint 4 -> LoraLoader 10 -> ``chain`` chained ``Reroute (rgthree)`` nodes -> KSampler.model;
    the CLIP through one more rgthree reroute to both encoders."""
    flow = UiWorkflow()
    flow.add(
        4,
        "CheckpointLoaderSimple",
        [CHECKPOINT],
        outputs=(("MODEL", "MODEL"), ("CLIP", "CLIP"), ("VAE", "VAE")),
    )
    flow.add(
        10,
        "LoraLoader",
        [LORA, 0.8, 0.8],
        inputs=(("model", "MODEL"), ("clip", "CLIP")),
        outputs=(("MODEL", "MODEL"), ("CLIP", "CLIP")),
    )
    flow.add(6, "CLIPTextEncode", [POSITIVE], inputs=(("clip", "CLIP"),), outputs=(("C", "CONDITIONING"),))
    flow.add(7, "CLIPTextEncode", [NEGATIVE], inputs=(("clip", "CLIP"),), outputs=(("C", "CONDITIONING"),))
    flow.add(5, "EmptyLatentImage", [832, 1216, 1], outputs=(("LATENT", "LATENT"),))
    flow.add(
        3,
        "KSampler",
        [222333, "fixed", 28, 5.5, "euler_ancestral", "normal", 1.0],
        inputs=SAMPLER_INPUTS,
        outputs=(("LATENT", "LATENT"),),
    )
    flow.link(4, 0, 10, "model")
    flow.link(4, 1, 10, "clip")
    previous = 10
    for reroute in range(1000, 1000 + chain):
        flow.add(reroute, "Reroute (rgthree)", inputs=(("", "*"),), outputs=(("", "*"),))
        flow.link(previous, 0, reroute, "")
        previous = reroute
    flow.link(previous, 0, 3, "model")
    flow.add(40, "Reroute (rgthree)", inputs=(("", "*"),), outputs=(("", "*"),))
    flow.link(10, 1, 40, "")
    flow.link(40, 0, 6, "clip")
    flow.link(40, 0, 7, "clip")
    flow.link(6, 0, 3, "positive")
    flow.link(7, 0, 3, "negative")
    flow.link(5, 0, 3, "latent_image")
    return flow.save((3, 0), (4, 2))


def test_rgthree_reroutes_pass_their_link_on() -> None:
    record = read_workflow(_rgthree_reroutes(3))
    assert record.model == CHECKPOINT
    assert [(lora.name, lora.weight) for lora in record.loras] == [(LORA, 0.8)]
    assert (record.prompt, record.negative_prompt, record.seed) == (POSITIVE, NEGATIVE, 222333)
    assert all(entry["class_type"] != "Reroute (rgthree)" for entry in record.extra["samplers"])


def test_an_rgthree_reroute_inside_a_subgraph_definition() -> None:
    record = read_workflow(_instance_workflow([808080, POSITIVE], model_reroute=True))
    assert (record.model, record.seed, record.prompt) == (CHECKPOINT, 808080, POSITIVE)


def test_hostile_rgthree_reroutes_and_promoted_values_end_quickly() -> None:
    """A chain of 30 rgthree reroutes passes the model on; a cycle of them gives nothing; a chain of 5,000
    (past the link-depth bound) ends without the model; 100,000 control values on an instance are read in
    linear time."""
    started = time.thread_time()
    assert read_workflow(_rgthree_reroutes(30)).model == CHECKPOINT
    cyclic = {
        "nodes": [
            ui_node(1, "Reroute (rgthree)", inputs=(("", "*", 2),), outputs=(("", "*", [1]),)),
            ui_node(2, "Reroute (rgthree)", inputs=(("", "*", 1),), outputs=(("", "*", [2, 3]),)),
            ui_node(3, "CheckpointLoaderSimple", outputs=(("MODEL", "MODEL", []),), widgets=[CHECKPOINT]),
            ui_node(
                4,
                "KSampler",
                inputs=(("model", "MODEL", 3),),
                widgets=[1, "fixed", 20, 7.0, "euler", "normal", 1.0],
            ),
        ],
        "links": [[1, 1, 0, 2, 0, "*"], [2, 2, 0, 1, 0, "*"], [3, 2, 0, 4, 0, "MODEL"]],
    }
    record = read_workflow(cyclic)
    assert (record.tool, record.model, record.seed) == ("comfyui", None, 1)
    long_chain = read_workflow(_rgthree_reroutes(5000))
    assert long_chain.model is None and long_chain.prompt == POSITIVE
    flooded = read_workflow(_instance_workflow([771247, *["randomize"] * 100_000, POSITIVE]))
    assert flooded.seed == 771247 and flooded.prompt != POSITIVE
    assert time.thread_time() - started < 20
