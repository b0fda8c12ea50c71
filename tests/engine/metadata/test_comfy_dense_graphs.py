"""Crafted ComfyUI graphs whose every node takes the node below through every input it might read.

Each walk of a graph is bounded (``WALK_BUDGET`` nodes, ``MAX_GRAPH_NODES`` per graph), but a graph
of layers whose every node is a sampler or a string node linked to the layer below some 70 times made
each sampler's walks re-read every layer below it: 80 layers of ``StringConcatenate`` took 26 s of CPU,
320 layers of ``KSampler`` 15 s. Walks now share what they worked out (settled texts, scalars, LoRA
chains) and all of one graph's walks together look up at most ``GRAPH_NODE_VISITS`` nodes, reading the
file's own pass first, so such a file costs about a second and still gives its own pass's values.
"""

from __future__ import annotations

from typing import Any

import pytest
from comfy_graph_builder import Graph, read, sampled
from metadata_fixture_paths import IMAGES_DIR

from engine.metadata import read_image_bytes
from engine.metadata.comfygraph import GRAPH_NODE_VISITS, GraphWalker
from tests.cpu_budget import run_within_cpu_budget

COMFY_FOLDERS = ("ComfyUI", "ComfyUI_workflow_export")
LINKED_INPUTS = (
    *("model", "clip", "vae", "positive", "negative", "latent_image", "samples", "image", "images"),
    *("text", "text_g", "text_l", "string_a", "string_b", "string_1", "string_2", "conditioning_1"),
    *("conditioning_2", "conditioning_to", "conditioning_from", "seed", "noise_seed", "steps", "cfg"),
    *("a", "b", "c", "d", "value", "pipe", "basic_pipe", "sdxl_tuple", "sampler", "sigmas", "guider"),
    *("noise", "input", "Input", "input1", "input2", "select", "cond", "tt", "ff", "base_model"),
    *("refiner_model", "base_positive", "base_negative", "kolors_model", "kolors_embeds", "text_embeds"),
    *("latents", "width", "height", "denoise", "prompt", "any", "anything", "any_01", "any_02"),
    *("text_a", "text_b", "context", "lora_stack", "model_stack", "upscaled_image", "pixels", "latent"),
)
"""Inputs the walks read on one node type or another (models, prompts, scalars, pipes, switches,
stacks); each layer links every one of them to the layer below, on outputs 0, 1 and 2 in turn."""


def _layered(class_type: str, layers: int) -> Graph:
    """:func:`sampled`, whose KSampler ``3`` (the file's pass: seed 11, 20 steps, CFG 6) takes its
    prompts, model and latent from the top of ``layers`` nodes of ``class_type``, each linked to the
    one below through every :data:`LINKED_INPUTS` input."""
    graph = sampled()
    for layer in range(layers):
        below: list[Any] = ["1", 0]  # no such node: the bottom layer's inputs link nowhere
        inputs = {
            key: [str(5000 + layer - 1), index % 3] if layer else below
            for index, key in enumerate(LINKED_INPUTS)
        }
        graph[str(5000 + layer)] = {"class_type": class_type, "inputs": inputs}
    top = [str(5000 + layers - 1), 0]
    for key in ("positive", "negative", "model", "latent_image"):
        graph["3"]["inputs"][key] = top
    return graph


@pytest.mark.parametrize(
    "class_type",
    ["StringConcatenate", "KSampler", "ConditioningCombine", "LoraLoader", "ImpactKSamplerBasicPipe"],
)
def test_a_dense_layered_graph_is_read_in_bounded_time_with_its_own_pass(class_type: str) -> None:
    graph = _layered(class_type, 400)
    record = run_within_cpu_budget(lambda: read(graph), 4.0, f"400 dense layers of {class_type}")
    assert (record.tool, record.seed, record.steps, record.cfg_scale, record.sampler) == (
        "comfyui",
        11,
        20,
        6.0,
        "euler",
    )


def test_real_graphs_use_a_thousandth_of_the_visit_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ComfyUI file of the shared fixtures (and its UI workflow) is read with under a thousandth
    of ``GRAPH_NODE_VISITS``: a bound a real file could meet would silently lose its values."""
    walkers: list[GraphWalker] = []
    real_init = GraphWalker.__init__

    def kept(self: GraphWalker, graph: Graph) -> None:
        real_init(self, graph)
        walkers.append(self)

    monkeypatch.setattr(GraphWalker, "__init__", kept)
    files = sorted(
        path for folder in COMFY_FOLDERS for path in (IMAGES_DIR / folder).glob("*") if path.is_file()
    )
    if not files:
        pytest.skip(f"no ComfyUI fixtures under {IMAGES_DIR}")
    for path in files:
        read_image_bytes(path.read_bytes(), file_name=path.name, mtime=None)
    assert len(walkers) >= len(files) // 2  # most of them carry a graph
    used = max(GRAPH_NODE_VISITS - walker.visits_left for walker in walkers)
    assert 0 < used * 1000 < GRAPH_NODE_VISITS, used
