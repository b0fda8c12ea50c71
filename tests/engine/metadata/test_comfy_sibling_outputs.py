"""Text walks over node *outputs*: two outputs of one node joined by one concatenation are two parts.

WAS ``Text String`` hands out its four texts on four STRING outputs; a ``Text Concatenate`` that takes
outputs 0 and 1 joins both (WAS_Node_Suite.py ``WAS_Text_String`` / ``WAS_Text_Concatenate``). The
walk reads each ``(node, output)`` once and keeps what it gave, so a cycle still ends where it closes
and a lattice of concatenations that each take a lower one twice is read in linear work (its text,
2^depth copies, is past the walk's text budget and is not made). Probe: /tmp/probe46 WAS_00003.
"""

from __future__ import annotations

from typing import Any

import pytest
from comfy_graph_builder import Graph, node, read, read_workflow, sampled, ui_node

from engine.metadata.comfygraph import GraphWalker

FIRST = "a paper boat floating on a puddle"
SECOND = "reflections of neon signs, rainy night"
NEGATIVE = "lowres, deformed"


def _with_prompt_from(nodes: Graph, link: list[Any]) -> Graph:
    """:func:`sampled` whose positive encoder ``6`` takes its text from ``link`` (``nodes`` added)."""
    graph = sampled()
    graph["6"] = node("CLIPTextEncode", text=link, clip=["4", 1])
    return graph | nodes


TEXT_STRING = node("Text String", text=FIRST, text_b=SECOND, text_c="", text_d="")
WAS_JOIN = {"delimiter": " | ", "clean_whitespace": "true"}


@pytest.mark.parametrize(
    ("concatenation", "expected"),
    [
        (
            node("Text Concatenate", text_a=["10", 0], text_b=["10", 1], **WAS_JOIN),
            f"{FIRST} | {SECOND}",
        ),
        (  # one output taken twice is joined twice, as the node does
            node("StringConcatenate", string_a=["10", 0], string_b=["10", 0], delimiter=" / "),
            f"{FIRST} / {FIRST}",
        ),
    ],
    ids=["outputs 0 and 1", "output 0 twice"],
)
def test_api_graph_joins_every_output_of_one_node(concatenation: dict[str, Any], expected: str) -> None:
    record = read(_with_prompt_from({"10": TEXT_STRING, "11": concatenation}, ["11", 0]))
    assert (record.prompt, record.negative_prompt) == (expected, "blurry")
    assert (record.seed, record.steps) == (11, 20)


def _was_workflow() -> dict[str, Any]:
    """WAS_00003's UI workflow: CLIPTextEncode text (converted) <- Text Concatenate " | " <- Text
    String outputs 0 and 1."""
    nodes = [
        ui_node(
            1,
            "CheckpointLoaderSimple",
            outputs=(("MODEL", "MODEL", [1]), ("CLIP", "CLIP", [2, 3]), ("VAE", "VAE", [9])),
            widgets=["dreamshaper_8.safetensors"],
        ),
        ui_node(
            2,
            "Text String",
            outputs=(("STRING", "STRING", [4]), ("STRING", "STRING", [5]), ("STRING", "STRING", [])),
            widgets=[FIRST, SECOND, "", ""],
        ),
        ui_node(
            3,
            "Text Concatenate",
            inputs=(("text_a", "STRING", 4), ("text_b", "STRING", 5), ("text_c", "STRING", None)),
            outputs=(("STRING", "STRING", [6]),),
            widgets=[" | ", "true"],
        ),
        ui_node(
            4,
            "CLIPTextEncode",
            inputs=(("clip", "CLIP", 2), ("text", "STRING", 6)),
            outputs=(("CONDITIONING", "CONDITIONING", [7]),),
            widgets=["stale"],
        ),
        ui_node(
            5,
            "CLIPTextEncode",
            inputs=(("clip", "CLIP", 3),),
            outputs=(("CONDITIONING", "CONDITIONING", [8]),),
            widgets=[NEGATIVE],
        ),
        ui_node(6, "EmptyLatentImage", outputs=(("LATENT", "LATENT", [10]),), widgets=[512, 512, 1]),
        ui_node(
            7,
            "KSampler",
            inputs=(
                ("model", "MODEL", 1),
                ("positive", "CONDITIONING", 7),
                ("negative", "CONDITIONING", 8),
                ("latent_image", "LATENT", 10),
            ),
            outputs=(("LATENT", "LATENT", [11]),),
            widgets=[27182818, "fixed", 20, 7, "euler", "normal", 1],
        ),
        ui_node(
            8,
            "VAEDecode",
            inputs=(("samples", "LATENT", 11), ("vae", "VAE", 9)),
            outputs=(("IMAGE", "IMAGE", [12]),),
        ),
        ui_node(9, "SaveImage", inputs=(("images", "IMAGE", 12),), widgets=["WAS"]),
    ]
    nodes[3]["inputs"][1]["widget"] = {"name": "text"}
    links = [
        [1, 1, 0, 7, 0, "MODEL"],
        [2, 1, 1, 4, 0, "CLIP"],
        [3, 1, 1, 5, 0, "CLIP"],
        [4, 2, 0, 3, 0, "STRING"],
        [5, 2, 1, 3, 1, "STRING"],
        [6, 3, 0, 4, 1, "STRING"],
        [7, 4, 0, 7, 1, "CONDITIONING"],
        [8, 5, 0, 7, 2, "CONDITIONING"],
        [9, 1, 2, 8, 1, "VAE"],
        [10, 6, 0, 7, 3, "LATENT"],
        [11, 7, 0, 8, 0, "LATENT"],
        [12, 8, 0, 9, 0, "IMAGE"],
    ]
    return {"nodes": nodes, "links": links, "version": 0.4}


def test_ui_workflow_joins_two_outputs_of_one_text_string() -> None:
    record = read_workflow(_was_workflow(), file_name="WAS_00003_.png")
    assert (record.prompt, record.negative_prompt) == (f"{FIRST} | {SECOND}", NEGATIVE)
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (27182818, 20, 7.0, "euler")
    assert (record.model, record.width, record.height) == ("dreamshaper_8.safetensors", 512, 512)


def test_cycle_through_a_sibling_output_ends_where_it_closes() -> None:
    """Text String's ``text_c`` is the concatenation that takes its outputs 0, 1 and 2 (and itself):
    outputs 0 and 1 are read, output 2 and the self-link close cycles and give nothing."""
    looped = node("Text String", text="x", text_b="y", text_c=["11", 0], text_d="")
    concatenation = node(
        "Text Concatenate",
        text_a=["10", 0],
        text_b=["10", 1],
        text_c=["10", 2],
        text_d=["11", 0],
        **WAS_JOIN,
    )
    graph = _with_prompt_from({"10": looped, "11": concatenation}, ["11", 0])
    assert read(graph).prompt == "x | y"
    walker = GraphWalker(graph)
    assert walker.string(["10", 2]) == "x | y"  # entered at the other end of the cycle
    assert walker.text_steps == 4  # 10:2, 11:0, 10:0, 10:1 once each


def _lattice(depth: int) -> Graph:
    """Concatenation ``L<k>`` joins ``L<k-1>`` with itself, ``depth`` levels above the text ``L0``."""
    graph: Graph = {"L0": node("PrimitiveString", value="a")}
    for level in range(1, depth + 1):
        lower = [f"L{level - 1}", 0]
        graph[f"L{level}"] = node("StringConcatenate", string_a=lower, string_b=lower, delimiter="")
    return graph


def test_shared_lower_concatenations_are_read_once() -> None:
    walker = GraphWalker(_lattice(4))
    assert walker.string(["L4", 0]) == "a" * 16
    assert walker.text_steps == 5


def test_sixty_level_lattice_reads_in_linear_work() -> None:
    """2^60 walks without the kept texts; 61 outputs read with them. Its text (2^60 characters) is
    past the walk's text budget, so the prompt is not found; the rest of the file is read."""
    walker = GraphWalker(_lattice(60))
    assert walker.string(["L60", 0]) is None
    assert walker.text_steps == 61
    record = read(_with_prompt_from(_lattice(60), ["L60", 0]))
    assert record.prompt is None
    assert (record.negative_prompt, record.seed, record.steps, record.width) == ("blurry", 11, 20, 1024)


def test_chain_of_string_nodes_deeper_than_the_stack_reads_without_raising() -> None:
    """400 concatenations one inside another: the walk stops at its depth bound (the outer parts
    stay) where it used to run out of Python's stack (a reader bug)."""
    chain: Graph = {"C0": node("PrimitiveString", value="x")}
    for level in range(1, 400):
        lower = [f"C{level - 1}", 0]
        chain[f"C{level}"] = node("StringConcatenate", string_a=lower, string_b="x", delimiter="")
    record = read(_with_prompt_from(chain, ["C399", 0]))
    assert not [error for error in record.extra.get("metadata_errors", []) if "reader bug" in error]
    assert record.prompt is not None and set(record.prompt) == {"x"}
    assert (record.tool, record.seed) == ("comfyui", 11)
