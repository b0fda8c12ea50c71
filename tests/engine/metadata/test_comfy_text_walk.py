"""Settled texts (:mod:`engine.metadata.comfy_text_walk`): a text a walk read without meeting a bound is
reused by later walks of the same graph, and reusing it never changes what any walk gives.

The property checked on random graphs: for every node output, what a walker that has already read
other outputs gives (text, prompt styles and text generators noted) equals what a fresh walker gives.
The graphs mix literal strings, concatenations, a styler and an LLM enhancer, linked at random, cycles
and links to sibling outputs included (the shapes whose readings depend on the walk's path).
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from comfy_graph_builder import Graph, node, read, sampled

from engine.metadata.comfy_text_walk import MAX_TEXT_DEPTH, TextWalk
from engine.metadata.comfygraph import GraphWalker


def _random_graph(rng: random.Random, size: int) -> Graph:
    """``size`` string nodes ``"1"``…, each input a literal or a link to any output of any of them."""

    def part() -> Any:
        if rng.random() < 0.3:
            return rng.choice(["ab", "cd", "", " ef "])
        return [str(rng.randint(1, size)), rng.randint(0, 1)]

    graph: Graph = {}
    for number in range(1, size + 1):
        kind = rng.randrange(5)
        if kind == 0:
            graph[str(number)] = node("PrimitiveString", value=rng.choice(["x", "y z", ""]))
        elif kind == 1:
            graph[str(number)] = node("StringConcatenate", string_a=part(), string_b=part(), delimiter="-")
        elif kind == 2:
            graph[str(number)] = node(
                "Text Concatenate", text_a=part(), text_b=part(), delimiter=" | ", clean_whitespace="true"
            )
        elif kind == 3:
            graph[str(number)] = node(
                "SDXLPromptStyler", text_positive=part(), text_negative=part(), style=f"style{number}"
            )
        else:
            graph[str(number)] = node("OllamaGenerate", prompt=part(), model="llama")
    return graph


def _reading(walker: GraphWalker, link: list[Any]) -> tuple[str | None, list[str], list[Any]]:
    """What ``walker.string(link)`` gives and notes."""
    styles, generated = len(walker.styles), len(walker.generated)
    text = walker.string(link)
    return text, walker.styles[styles:], walker.generated[generated:]


@pytest.mark.parametrize("seed", range(300))
def test_a_reused_text_reads_as_a_fresh_walk_would(seed: int) -> None:
    rng = random.Random(seed)
    graph = _random_graph(rng, rng.randint(2, 12))
    outputs = [[node_id, output] for node_id in graph for output in (0, 1)]
    rng.shuffle(outputs)
    shared = GraphWalker(graph)
    for link in outputs * 2:  # every output read twice: the second time, many are settled
        assert _reading(shared, link) == _reading(GraphWalker(graph), link), link


def test_a_text_cut_by_the_depth_bound_is_not_settled() -> None:
    """A chain of ``MAX_TEXT_DEPTH + 20`` concatenations: read from the top, the walk stops at the bound
    and the top's text is cut; read from the middle, it is whole. Whichever is read first, each gives
    what a fresh walk gives."""
    depth = MAX_TEXT_DEPTH + 20
    graph: Graph = {"0": node("PrimitiveString", value="a")}
    for level in range(1, depth + 1):
        graph[str(level)] = node(
            "StringConcatenate", string_a=[str(level - 1), 0], string_b="b", delimiter=""
        )
    top, middle = [str(depth), 0], [str(depth // 2), 0]
    fresh_top, fresh_middle = GraphWalker(graph).string(top), GraphWalker(graph).string(middle)
    assert fresh_middle == "a" + "b" * (depth // 2)
    assert fresh_top == "b" * MAX_TEXT_DEPTH  # the levels past the bound give nothing
    walker = GraphWalker(graph)
    assert (walker.string(top), walker.string(middle), walker.string(top)) == (
        fresh_top,
        fresh_middle,
        fresh_top,
    )
    walker = GraphWalker(graph)
    assert (walker.string(middle), walker.string(top)) == (fresh_middle, fresh_top)


def test_a_settled_text_is_read_once_and_counts_its_cost_on_each_walk() -> None:
    """Five concatenations over a string, read by one walk, then asked for again: nothing is read again
    (the walker's ``text_steps`` count reads), but each later walk counts the six outputs and the
    characters their joins made against its own budgets."""
    graph: Graph = {"0": node("PrimitiveString", value="a")}
    for level in range(1, 6):
        graph[str(level)] = node(
            "StringConcatenate", string_a=[str(level - 1), 0], string_b="b", delimiter=""
        )
    walker = GraphWalker(graph)
    assert walker.string(["5", 0]) == "abbbbb"
    assert walker.text_steps == 6
    assert walker.string(["5", 0]) == "abbbbb"
    assert walker.text_steps == 6
    walk = TextWalk(budget=100, reads_left=100)
    assert walker._string(["5", 0], walk) == "abbbbb"
    joined = 2 + 3 + 4 + 5 + 6
    assert (walk.steps, walk.reads, walk.made, walk.refusals) == (6, 0, joined, 0)


def test_a_walk_that_cannot_afford_a_settled_text_reads_it_under_its_own_budget() -> None:
    graph: Graph = {"0": node("PrimitiveString", value="a" * 50)}
    graph["1"] = node("StringConcatenate", string_a=["0", 0], string_b=["0", 0], delimiter="")
    walker = GraphWalker(graph)
    assert walker.string(["1", 0]) == "a" * 100
    poor = TextWalk(budget=99, reads_left=100)
    assert walker._string(["1", 0], poor) is None  # the join would make 100 characters
    assert poor.refusals == 1


def test_two_samplers_sharing_a_styled_prompt_each_note_its_style() -> None:
    """The second sampler reuses the styled text the first one read, and still lists the style."""
    graph = sampled()
    graph["20"] = node(
        "SDXLPromptStyler", text_positive="a lighthouse", text_negative="", style="sai-origami"
    )
    graph["6"] = node("CLIPTextEncode", text=["20", 0], clip=["4", 1])
    graph["30"] = node("KSampler", **(graph["3"]["inputs"] | {"seed": 12, "latent_image": ["3", 0]}))
    graph["8"]["inputs"]["samples"] = ["30", 0]
    record = read(graph)
    assert record.prompt == "a lighthouse" and record.seed == 12
    listed = {entry["node_id"]: entry for entry in record.extra["samplers"]}
    assert listed["3"]["prompt_styles"] == listed["30"]["prompt_styles"] == ["sai-origami"]
