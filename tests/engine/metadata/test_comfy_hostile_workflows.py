"""Hostile ComfyUI UI workflows and output names, each read in bounded time with its sampler's values.

A file carrying only the UI ``workflow`` is turned into the API graph the frontend would queue
(:mod:`engine.metadata.comfy_ui`, :mod:`engine.metadata.comfy_group_nodes`); the output that wrote the
file is told by its name (:mod:`engine.metadata.comfy_outputs`). Each shape below cost seconds (some
minutes) of CPU in a document of a few hundred kB before:

- every subgraph instance re-read its definition's links, inputs and UseEverywhere links (1,000
  instances of a definition with 2,000 links: 7 s, 500 MB), and every read of an instance's output,
  input or promoted widget scanned the definition's links or the instance's inputs again;
- every link followed through a reroute, a ``SetNode`` or a bypassed node was walked again by each of
  its readers (down to the 64-link bound for a cycle), and a bypassed node's inputs were listed again
  for each reader;
- every group node instance re-read its group's definition, a group's ``PrimitiveNode`` looked at every
  inner link to tell whether it counts (quadratic), and the inner inputs copied out of a group had no
  bound;
- a filename prefix with ``%…%`` tokens became a regex whose ``.*?`` gaps backtrack exponentially in the
  number of tokens against a long file name (4 tokens, 200 characters: a minute), and every output's
  prefix or path was compiled as its own regex (5,000 outputs: 4 s);
- the trace from an output back to its pass followed every image link of a node (150,000 on one save).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from comfy_graph_builder import MTIME, ui_node
from metadata_png_builder import build_png, text_chunk

from engine.metadata import read_image_bytes
from engine.metadata.comfy_outputs import trace_sampling_node
from engine.records import GenerationRecord
from tests.cpu_budget import run_within_cpu_budget

CHECKPOINT = "juggernautXL_v9Rdphoto2Lightning.safetensors"
INNER_CHECKPOINT = "inner_model.safetensors"
POSITIVE = "a lighthouse on a basalt cliff at dusk"
SEED = 771247
SUBGRAPH = "8f3c2a10-6d4e-4c1b-9a77-1f2e3d4c5b6a"
BUDGET = 1.0
Document = dict[str, Any]


def _sampled(model_link: int = 1) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """Checkpoint 1, encoders 2 / 3, latent 4, KSampler 5 (its model from link ``model_link``), decode 6
    and SaveImage 7, with links 1 to 9."""
    nodes = [
        ui_node(
            1,
            "CheckpointLoaderSimple",
            outputs=(("MODEL", "MODEL", [1]), ("CLIP", "CLIP", [2, 3]), ("VAE", "VAE", [7])),
            widgets=[CHECKPOINT],
        ),
        ui_node(2, "CLIPTextEncode", inputs=(("clip", "CLIP", 2),), widgets=[POSITIVE]),
        ui_node(3, "CLIPTextEncode", inputs=(("clip", "CLIP", 3),), widgets=["blurry"]),
        ui_node(4, "EmptyLatentImage", widgets=[1024, 1024, 1]),
        ui_node(
            5,
            "KSampler",
            inputs=(
                ("model", "MODEL", model_link),
                ("positive", "CONDITIONING", 4),
                ("negative", "CONDITIONING", 5),
                ("latent_image", "LATENT", 6),
            ),
            widgets=[SEED, "fixed", 20, 7.0, "euler", "normal", 1.0],
        ),
        ui_node(6, "VAEDecode", inputs=(("samples", "LATENT", 8), ("vae", "VAE", 7))),
        ui_node(7, "SaveImage", inputs=(("images", "IMAGE", 9),), widgets=["ComfyUI"]),
    ]
    links = [
        [1, 1, 0, 5, 0, "MODEL"],
        [2, 1, 1, 2, 0, "CLIP"],
        [3, 1, 1, 3, 0, "CLIP"],
        [4, 2, 0, 5, 1, "CONDITIONING"],
        [5, 3, 0, 5, 2, "CONDITIONING"],
        [6, 4, 0, 5, 3, "LATENT"],
        [7, 1, 2, 6, 1, "VAE"],
        [8, 5, 0, 6, 0, "LATENT"],
        [9, 6, 0, 7, 0, "IMAGE"],
    ]
    return nodes, links


def _document(nodes: list[dict[str, Any]], links: list[list[Any]], **more: Any) -> Document:
    return {"nodes": nodes, "links": links, "extra": {}, "version": 0.4} | more


def _definition(
    nodes: list[dict[str, Any]],
    links: list[list[Any]],
    inputs: tuple[str, ...] = (),
    outputs: tuple[str, ...] = (),
    definition_id: str = SUBGRAPH,
) -> dict[str, Any]:
    """A ``definitions.subgraphs`` entry (input / output nodes ``-10`` / ``-20``)."""
    return {
        "id": definition_id,
        "name": "hostile",
        "nodes": nodes,
        "links": links,
        "inputNode": {"id": -10},
        "outputNode": {"id": -20},
        "inputs": [{"name": name, "type": "*"} for name in inputs],
        "outputs": [{"name": name, "type": "*"} for name in outputs],
    }


def _junk_links(count: int) -> list[list[Any]]:
    """Links between nodes that do not exist."""
    return [[1000 + number, 99999, 0, 99998, 0, "X"] for number in range(count)]


def _reader(node_id: int, link: int) -> dict[str, Any]:
    """A node that reads a model through ``link``."""
    return ui_node(
        node_id, "ModelSamplingDiscrete", inputs=(("model", "MODEL", link),), widgets=["eps", False]
    )


def _wide_reader(node_id: int, links: range) -> dict[str, Any]:
    """A node that reads a model through each of ``links``, one input each."""
    node = ui_node(node_id, "ModelSamplingDiscrete", widgets=["eps", False])
    node["inputs"] = [{"name": f"model_{link}", "type": "MODEL", "link": link} for link in links]
    return node


def _read(document: Document, key: str = "workflow", file_name: str = "ComfyUI_00001_.png") -> Any:
    """A reader of the PNG holding ``document`` as its ``key`` text chunk (built once, read per call)."""
    data = build_png(text_chunk(key, json.dumps(document, separators=(",", ":"))))
    return lambda: read_image_bytes(data, file_name=file_name, mtime=MTIME).record


def _assert_sampled(record: GenerationRecord, model: str = CHECKPOINT) -> None:
    assert (record.tool, record.seed, record.steps, record.prompt, record.model) == (
        "comfyui",
        SEED,
        20,
        POSITIVE,
        model,
    )


# ---------------------------------------------------------------------------------------- subgraphs


def _many_instances() -> Document:
    """1,000 instances of a definition holding one node and 2,000 links."""
    nodes, links = _sampled()
    nodes += [ui_node(100 + number, SUBGRAPH) for number in range(1000)]
    inner = [ui_node(1, "CLIPTextEncode", widgets=["inner"])]
    return _document(nodes, links, definitions={"subgraphs": [_definition(inner, _junk_links(2000))]})


def _self_instancing() -> Document:
    """A definition holding three instances of itself (8 levels deep: 6,561 scopes) and 300 links."""
    nodes, links = _sampled()
    nodes.append(ui_node(100, SUBGRAPH))
    inner = [ui_node(number, SUBGRAPH) for number in range(3)]
    inner.append(ui_node(9, "CLIPTextEncode", widgets=["inner"]))
    return _document(nodes, links, definitions={"subgraphs": [_definition(inner, _junk_links(300))]})


def _broadcasting_instances() -> Document:
    """1,000 instances of a definition whose UseEverywhere record holds 2,000 links."""
    nodes, links = _sampled()
    nodes += [ui_node(100 + number, SUBGRAPH) for number in range(1000)]
    definition = _definition([ui_node(1, "CLIPTextEncode", widgets=["inner"])], [])
    definition["extra"] = {
        "ue_links": [
            {"downstream": number, "downstream_slot": 0, "upstream": 1, "upstream_slot": 0, "type": "X"}
            for number in range(2000)
        ]
    }
    return _document(nodes, links, definitions={"subgraphs": [definition]})


@pytest.mark.parametrize("build", [_many_instances, _self_instancing, _broadcasting_instances])
def test_a_subgraph_definition_is_read_once_for_all_its_instances(build: Any) -> None:
    record = run_within_cpu_budget(_read(build()), BUDGET, build.__name__)
    _assert_sampled(record)


def _output_readers() -> tuple[Document, str]:
    """2,000 nodes (the sampler first) read the output of an instance whose definition holds 40,000
    links before the one into its output node."""
    nodes, links = _sampled(model_link=200)
    nodes.append(ui_node(100, SUBGRAPH, outputs=(("model", "MODEL", list(range(200, 2200))),)))
    links.append([200, 100, 0, 5, 0, "MODEL"])
    for number in range(1, 2000):
        nodes.append(_reader(1000 + number, 200 + number))
        links.append([200 + number, 100, 0, 1000 + number, 0, "MODEL"])
    inner = [ui_node(1, "CheckpointLoaderSimple", widgets=[INNER_CHECKPOINT])]
    inner_links = [*_junk_links(40_000), [2, 1, 0, -20, 0, "MODEL"]]
    definition = _definition(inner, inner_links, outputs=("model",))
    return _document(nodes, links, definitions={"subgraphs": [definition]}), INNER_CHECKPOINT


def _input_readers() -> tuple[Document, str]:
    """2,000 inner nodes read the last of an instance's 20,000 inputs, the only one linked."""
    names = [f"input_{number}" for number in range(20_000)]
    nodes, links = _sampled()
    instance = ui_node(100, SUBGRAPH, inputs=tuple((name, "MODEL", None) for name in names))
    instance["inputs"][-1]["link"] = 100
    nodes.append(instance)
    links.append([100, 1, 0, 100, len(names) - 1, "MODEL"])
    inner = [_reader(number, number) for number in range(2000)]
    inner_links = [[number, -10, len(names) - 1, number, 0, "MODEL"] for number in range(2000)]
    definition = _definition(inner, inner_links, inputs=tuple(names))
    return _document(nodes, links, definitions={"subgraphs": [definition]}), CHECKPOINT


def _promoted_readers() -> tuple[Document, str]:
    """2,000 inner nodes read the last of an instance's 3,000 promoted widget values."""
    names = [f"text_{number}" for number in range(3000)]
    nodes, links = _sampled()
    instance = ui_node(100, SUBGRAPH, widgets=[f"value {number}" for number in range(len(names))])
    instance["inputs"] = [
        {"name": name, "type": "STRING", "link": None, "widget": {"name": name}} for name in names
    ]
    nodes.append(instance)
    inner = [
        ui_node(number, "CLIPTextEncode", inputs=(("text", "STRING", number),), widgets=["x"])
        for number in range(2000)
    ]
    inner_links = [[number, -10, len(names) - 1, number, 0, "STRING"] for number in range(2000)]
    definition = _definition(inner, inner_links, inputs=tuple(names))
    return _document(nodes, links, definitions={"subgraphs": [definition]}), CHECKPOINT


def _boundary_cycle() -> tuple[Document, str]:
    """An instance whose input is linked from its own output, which passes its input on; 2,000 inner
    nodes read that input (each walk goes round the cycle)."""
    nodes, links = _sampled()
    nodes.append(
        ui_node(100, SUBGRAPH, inputs=(("model", "MODEL", 100),), outputs=(("model", "MODEL", [100]),))
    )
    links.append([100, 100, 0, 100, 0, "MODEL"])
    inner = [_reader(number, number) for number in range(2000)]
    inner_links = [[number, -10, 0, number, 0, "MODEL"] for number in range(2000)]
    inner_links.append([2000, -10, 0, -20, 0, "MODEL"])
    definition = _definition(inner, inner_links, inputs=("model",), outputs=("model",))
    return _document(nodes, links, definitions={"subgraphs": [definition]}), CHECKPOINT


@pytest.mark.parametrize("build", [_output_readers, _input_readers, _promoted_readers, _boundary_cycle])
def test_many_readers_of_a_subgraph_boundary_are_read_quickly(build: Any) -> None:
    document, model = build()
    record = run_within_cpu_budget(_read(document), BUDGET, build.__name__)
    _assert_sampled(record, model)


# ------------------------------------------------------------------------- reroutes and bypasses


def _inputs_through_reroutes() -> Document:
    """One node with 20,000 inputs, each linked to the end of a chain of 60 reroutes from the
    checkpoint, listed before the sampler."""
    nodes, links = _sampled()
    for number in range(60):
        nodes.insert(0, ui_node(300 + number, "Reroute", inputs=(("", "*", 3000 + number),)))
        links.append([3000 + number, 1 if number == 0 else 299 + number, 0, 300 + number, 0, "MODEL"])
    nodes.insert(0, _wide_reader(400, range(10_000, 30_000)))
    links += [[10_000 + number, 359, 0, 400, number, "MODEL"] for number in range(20_000)]
    return _document(nodes, links)


def _inputs_round_a_cycle() -> Document:
    """One node with 20,000 inputs, each linked to one of two reroutes that feed each other."""
    nodes, links = _sampled()
    nodes += [
        ui_node(300, "Reroute", inputs=(("", "*", 301),)),
        ui_node(301, "Reroute", inputs=(("", "*", 300),)),
    ]
    links += [[300, 301, 0, 300, 0, "*"], [301, 300, 0, 301, 0, "*"]]
    nodes.insert(0, _wide_reader(400, range(10_000, 30_000)))
    links += [[10_000 + number, 300 + number % 2, 0, 400, number, "MODEL"] for number in range(20_000)]
    return _document(nodes, links)


def _bypass_with_many_inputs() -> Document:
    """A bypassed node with 10,000 inputs of another type before its model input, read by 2,000
    nodes listed before the sampler, which reads it too."""
    nodes, links = _sampled(model_link=100_000)
    bypassed = ui_node(300, "LoraLoader", outputs=(("MODEL", "MODEL", []),), mode=4)
    bypassed["inputs"] = [{"name": f"clip_{n}", "type": "CLIP", "link": 50_000 + n} for n in range(10_000)]
    bypassed["inputs"].append({"name": "model", "type": "MODEL", "link": 49_999})
    links += [[49_999, 1, 0, 300, 10_000, "MODEL"], [100_000, 300, 0, 5, 0, "MODEL"]]
    readers = [_reader(10_000 + number, 100_001 + number) for number in range(2000)]
    links += [[100_001 + number, 300, 0, 10_000 + number, 0, "MODEL"] for number in range(2000)]
    return _document([*readers, bypassed, *nodes], links)


@pytest.mark.parametrize("build", [_inputs_through_reroutes, _inputs_round_a_cycle, _bypass_with_many_inputs])
def test_links_read_many_times_through_virtual_and_bypassed_nodes_are_walked_once(build: Any) -> None:
    record = run_within_cpu_budget(_read(build()), BUDGET, build.__name__)
    _assert_sampled(record)


# ----------------------------------------------------------------------------------- group nodes


def _group(nodes: list[dict[str, Any]], links: list[list[Any]], config: dict[str, Any] | None = None) -> Any:
    return {"nodes": nodes, "links": links, "external": [], "config": config or {}}


def _group_instances() -> Document:
    """1,000 instances of a group definition of two nodes and 3,000 inner links."""
    inner = [
        {"type": "CLIPTextEncode", "inputs": [{"name": "clip", "type": "CLIP"}], "widgets_values": ["x"]},
        {"type": "ConditioningCombine", "inputs": [{"name": "conditioning_1", "type": "CONDITIONING"}]},
    ]
    inner_links = [[0, 0, 1, number % 50, 0, "CONDITIONING"] for number in range(3000)]
    nodes, links = _sampled()
    nodes += [ui_node(100 + number, "workflow>G") for number in range(1000)]
    return _document(nodes, links, extra={"groupNodes": {"G": _group(inner, inner_links)}})


def _group_primitives() -> Document:
    """A group of 10,000 ``PrimitiveNode`` each feeding one input of its last node."""
    inner: list[dict[str, Any]] = [
        {"type": "PrimitiveNode", "outputs": [{"name": "INT", "type": "INT"}], "widgets_values": [1]}
        for _ in range(10_000)
    ]
    inner.append({"type": "CLIPTextEncode", "inputs": [], "widgets_values": ["x"]})
    inner_links = [[number, 0, 10_000, number, 0, "INT"] for number in range(10_000)]
    nodes, links = _sampled()
    nodes.append(ui_node(100, "workflow>G"))
    return _document(nodes, links, extra={"groupNodes": {"G": _group(inner, inner_links)}})


def _group_in_itself() -> Document:
    """10 instances of a group holding three instances of itself and 5,000 inner links."""
    inner: list[dict[str, Any]] = [{"type": "workflow>G"} for _ in range(3)]
    inner.append({"type": "CLIPTextEncode", "widgets_values": ["x"]})
    nodes, links = _sampled()
    nodes += [ui_node(100 + number, "workflow>G") for number in range(10)]
    inner_links = [[3, 0, 3, 0, 0, "X"] for _ in range(5000)]
    return _document(nodes, links, extra={"groupNodes": {"G": _group(inner, inner_links)}})


def _group_with_many_inputs() -> Document:
    """100 instances of a group whose node has 5,000 inputs hidden by its config and 5,000 converted
    widgets (each instance copies them all)."""
    inputs = [{"name": f"input_{n}", "type": "X"} for n in range(5000)]
    inputs += [{"name": f"w_{n}", "type": "INT", "widget": {"name": f"w_{n}"}} for n in range(5000)]
    inner = [
        {"type": "KSampler", "inputs": inputs, "widgets_values": [1, "fixed", 20, 7.0, "euler", "normal", 1]}
    ]
    config = {"0": {"input": {f"input_{n}": {"visible": False} for n in range(5000)}}}
    nodes, links = _sampled()
    nodes += [ui_node(100 + number, "workflow>G", widgets=list(range(10))) for number in range(100)]
    return _document(nodes, links, extra={"groupNodes": {"G": _group(inner, [], config)}})


@pytest.mark.parametrize(
    "build", [_group_instances, _group_primitives, _group_in_itself, _group_with_many_inputs]
)
def test_a_group_definition_is_read_once_and_its_copies_are_bounded(build: Any) -> None:
    record = run_within_cpu_budget(_read(build()), BUDGET, build.__name__)
    _assert_sampled(record)


# ----------------------------------------------------------------------------------- output names


def _api_sampled(prefix: str) -> dict[str, Any]:
    """An API graph: checkpoint 4, encoders 6 / 7, latent 5, KSampler 3, decode 8, save 9 (``prefix``)."""

    def node(class_type: str, **inputs: Any) -> dict[str, Any]:
        return {"class_type": class_type, "inputs": inputs}

    return {
        "4": node("CheckpointLoaderSimple", ckpt_name=CHECKPOINT),
        "6": node("CLIPTextEncode", text=POSITIVE, clip=["4", 1]),
        "7": node("CLIPTextEncode", text="blurry", clip=["4", 1]),
        "5": node("EmptyLatentImage", width=1024, height=1024, batch_size=1),
        "3": node(
            "KSampler",
            seed=SEED,
            steps=20,
            cfg=7.0,
            sampler_name="euler",
            scheduler="normal",
            denoise=1.0,
            model=["4", 0],
            positive=["6", 0],
            negative=["7", 0],
            latent_image=["5", 0],
        ),
        "8": node("VAEDecode", samples=["3", 0], vae=["4", 2]),
        "9": node("SaveImage", filename_prefix=prefix, images=["8", 0]),
    }


def test_a_prefix_of_many_tokens_is_matched_without_backtracking() -> None:
    """Three ``%KSampler.seed%`` tokens between underscores against a 300-character name of underscores
    ending in ComfyUI's counter: no output's prefix fits it, and the last output wrote it. A name that
    fits the tokens picks that output."""
    graph = _api_sampled("_%KSampler.seed%_%KSampler.seed%_%KSampler.seed%_x")
    graph["10"] = {"class_type": "SaveImage", "inputs": {"filename_prefix": "other", "images": ["8", 0]}}
    hostile = run_within_cpu_budget(_read(graph, "prompt", "_" * 300 + "_00001_.png"), BUDGET, "tokens")
    assert (hostile.seed, hostile.extra["output_node"]["node_id"]) == (SEED, "10")
    fitting = _read(graph, "prompt", "_771247_20_7_x_00001_.png")()
    assert (fitting.seed, fitting.extra["output_node"]["node_id"]) == (SEED, "9")


@pytest.mark.parametrize("kind", ["prefix", "path"])
def test_many_outputs_each_with_its_own_long_name_are_matched_quickly(kind: str) -> None:
    """4,900 outputs, each named by its own 250-character prefix (or path), one of which wrote the file."""
    graph = _api_sampled("ComfyUI")
    for number in range(4900):
        name = f"{number:05d}" + "a" * 245
        graph[str(100 + number)] = (
            {"class_type": "SaveImage", "inputs": {"filename_prefix": name, "images": ["8", 0]}}
            if kind == "prefix"
            else {
                "class_type": "JWImageSaveToPath",
                "inputs": {"path": f"/out/{name}.png", "image": ["8", 0]},
            }
        )
    stem = f"{1234:05d}" + "a" * 245 + ("_00001_" if kind == "prefix" else "")
    record = run_within_cpu_budget(_read(graph, "prompt", stem + ".png"), BUDGET, f"4,900 {kind}s")
    assert (record.seed, record.extra["output_node"]["node_id"]) == (SEED, "1334")


def test_a_trace_follows_a_bounded_number_of_image_links() -> None:
    """A save with 150,000 image inputs (a 4 MB graph can hold that many), each a distinct link: the
    trace back to the pass follows a bounded number of them."""
    graph = _api_sampled("ComfyUI")
    graph.update(
        {str(1000 + n): {"class_type": "ImageScale", "inputs": {"image": ["8", 0]}} for n in range(4000)}
    )
    graph["9"]["inputs"].update({f"image{n}": [str(1000 + n % 4000), n // 4000] for n in range(150_000)})
    followed: list[Any] = []

    def follow(link: Any) -> Any:
        followed.append(link)
        return link

    def is_link(value: Any) -> bool:
        return isinstance(value, list) and len(value) == 2 and str(value[0]) in graph

    def trace() -> str | None:
        followed.clear()
        return trace_sampling_node(graph, "9", {"3"}, is_link, follow)

    run_within_cpu_budget(trace, BUDGET, "the trace")
    assert len(followed) <= 25_000
