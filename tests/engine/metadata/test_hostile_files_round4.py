"""Hostile files, fourth round: work linear in a crafted value, but a great deal of it.

Each shape here was read right but at a cost out of proportion to what it holds (a zTXt or compressed
XMP of a few kB holds 8 MB of text; a file name or a ``filename_prefix`` can be 10,000 characters):

- a Mochi Diffusion caption split into a field for each of millions of ``; Date: `` marks (version 1:
  1.2 to 1.6 s, 160 MB) or lines (version 2: 0.5 to 1 s, 180 MB);
- a Midjourney prompt split into a parameter for each of millions of ``--p`` (1 s, 100 MB);
- an A1111 ``<lora:…>`` tag split into a list of its millions of ``:``-separated arguments (0.7 s,
  200 MB);
- ComfyUI's own ``{prefix}_{counter:05}_`` form looked for from each character of the file name in turn
  (a 5,000-character part in a 10,000-character name: 5,000 searches of 5,000 characters);
- a chain of reroutes read from its far end first walked again by each reader down to the 64-link
  bound: 2,000 readers spent the 100,000-link budget and the sampler, read last, got no model.

The bounds are written out here (not imported), so that the tests also run against the tree before the
fixes; the ones that compare with the search before the fix keep a copy of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from comfy_graph_builder import ui_node
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from metadata_png_builder import build_png, itxt_chunk, text_chunk
from test_comfy_hostile_workflows import _assert_sampled, _document, _read, _reader, _sampled
from test_hostile_files_round3 import PARAMS, errors_of, peak_megabytes, read, ztext

from engine.metadata import comfy_outputs, comfy_ui

MAX_TEXT_FIELDS = 1000
"""``engine.metadata.limits.MAX_TEXT_FIELDS``."""
MAX_DEPTH = 64
"""``engine.metadata.comfy_ui._MAX_DEPTH``."""


# -- fields, parameters and arguments split off one text ------------------------------------------


def _mochi_png(caption: str) -> bytes:
    """A PNG whose compressed XMP holds ``caption`` as its ``dc:description`` (as ImageIO writes it)."""
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description><rdf:Alt>'
        f'<rdf:li xml:lang="x-default">{caption}</rdf:li></rdf:Alt></dc:description>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return build_png(itxt_chunk("XML:com.adobe.xmp", xmp, compressed=True))


MOCHI_FLOODS = {
    "version 1": "Include in Image: a cat; Seed: 42; "
    + "Date: ; " * 999_000
    + "Generator: Mochi Diffusion 4.7",
    "version 2": "Metadata Version: 2\nInclude in Image: a cat\nSeed: 42\n"
    + "ab\n" * 2_660_000
    + "Generator: Mochi Diffusion 6.1",
}


@pytest.mark.parametrize("version", sorted(MOCHI_FLOODS))
def test_a_mochi_caption_of_millions_of_fields_is_not_split_into_all_of_them(version: str) -> None:
    """8 MB of ``; Date: `` marks (version 1) or of short lines (version 2) held 160 to 180 MB as a list
    of fields or lines; the fields before them are read."""
    result, peak = peak_megabytes(lambda: read(_mochi_png(MOCHI_FLOODS[version])))

    errors_of(result)
    assert peak < 80, f"the read held {peak:.0f} MB"
    record = result.record
    assert (record.tool, record.prompt, record.seed) == ("mochidiffusion", "a cat", 42)


def test_a_midjourney_prompt_of_millions_of_parameters_keeps_the_first_thousand() -> None:
    """800,000 ``--p<n>`` after the prompt's ``--v 7`` were 800,000 entries of ``mj_params`` (1 s,
    100 MB); the first 1,000 are read, the model among them."""
    flood = " ".join(f"--p{number}" for number in range(800_000))
    description = f"a tiny dragon --v 7 {flood} Job ID: 3f2a1b0c-9d8e-4f7a-a6b5-c4d3e2f1a0b9"
    data = build_png(text_chunk("Author", "5c1e9a7b"), ztext("Description", description))

    result = read(data)

    errors_of(result)
    record = result.record
    assert (record.tool, record.model) == ("midjourney", "v7")
    assert len(record.extra["mj_params"]) <= MAX_TEXT_FIELDS


def test_a_lora_tag_of_millions_of_arguments_reads_only_its_first_ones() -> None:
    """A closed tag of 2 million ``:k=a`` arguments was split into a list of them all (0.7 s, 200 MB);
    the weight is its only positional value, a ``unet=`` millions of arguments later is not read."""
    text = "a cat <lora:add_detail:0.6> <lora:x:0.5" + ":k=a" * 2_000_000 + f":unet=0.9>\n{PARAMS}"

    result, peak = peak_megabytes(lambda: read(build_png(ztext("parameters", text))))

    errors_of(result)
    assert peak < 80, f"the read held {peak:.0f} MB"
    record = result.record
    assert (record.tool, record.steps, record.seed) == ("a1111", 20, 42)
    assert [(lora.name, lora.weight) for lora in record.loras] == [("add_detail", 0.6), ("x", 0.5)]


# -- ComfyUI's own counter form in a long file name -------------------------------------------------


def _counted_may_begin() -> tuple[Callable[[str, int], bool], list[int]]:
    """``comfy_outputs._may_begin`` and a list whose one item counts its calls."""
    calls = [0]
    may_begin = comfy_outputs._may_begin

    def counted(text: str, start: int) -> bool:
        calls[0] += 1
        return may_begin(text, start)

    return counted, calls


def test_a_long_prefix_part_in_a_long_name_is_looked_for_a_few_times_not_once_per_character() -> None:
    """A 5,000-character part before a ``%token%``, in a 10,000-character name where it is found at every
    character but never where a name may begin (a letter before it): each was looked at in turn, 5,001
    ``str.find`` of 5,000 characters each. The output is still told by its name."""
    graph = {
        "1": {
            "class_type": "SaveImage",
            "inputs": {"filename_prefix": "a" * 5000 + "%date%", "images": ["3", 0]},
        },
        "2": {"class_type": "SaveImage", "inputs": {"filename_prefix": "other", "images": ["3", 0]}},
        "3": {"class_type": "VAEDecode", "inputs": {}},
    }
    counted, calls = _counted_may_begin()
    with mock.patch.object(comfy_outputs, "_may_begin", counted):
        hostile = comfy_outputs.choose_output(
            graph, ["1", "2"], "b" + "a" * 10_000 + "_00001_.png", _prefix_of(graph), _is_link
        )
        fitting = comfy_outputs.choose_output(
            graph, ["1", "2"], "a" * 5000 + "2025-06-01_00001_.png", _prefix_of(graph), _is_link
        )

    assert (hostile, fitting) == ("2", "1")
    assert calls[0] <= 10, f"{calls[0]} places looked at"


def _prefix_of(graph: dict[str, Any]) -> Callable[[str], str | None]:
    return lambda node_id: graph[node_id]["inputs"]["filename_prefix"]


def _is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


def _name_start_before_the_fix(text: str, first: str, start: int) -> int:
    """The search before the fix: ``str.find`` from each next character."""
    found = text.find(first, start)
    while found >= 0 and not comfy_outputs._may_begin(text, found):
        found = text.find(first, found + 1)
    return found


NAME_CHARACTERS = "aab_-0\n.é"
"""Letters, separators, a digit, a line break and a non-ASCII letter (no ASCII letter: a separator)."""
PROPERTIES = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTIES
@given(
    st.text(NAME_CHARACTERS, max_size=60),
    st.text(NAME_CHARACTERS, max_size=8),
    st.integers(min_value=0, max_value=60),
)
def test_a_prefix_part_is_found_where_the_search_before_the_fix_found_it(
    text: str, first: str, start: int
) -> None:
    assert comfy_outputs._name_start(text, first, start) == _name_start_before_the_fix(text, first, start)


@PROPERTIES
@given(
    st.text(NAME_CHARACTERS, min_size=1, max_size=4),
    st.integers(min_value=1, max_value=30),
    st.integers(min_value=0, max_value=40),
    st.text(NAME_CHARACTERS, max_size=3),
    st.text(NAME_CHARACTERS, max_size=3),
)
def test_a_periodic_prefix_part_is_found_where_the_search_before_the_fix_found_it(
    piece: str, times: int, length: int, before: str, after: str
) -> None:
    """A text and a part made of one repeated piece: the part is found at many overlapping places, which
    the search now passes over."""
    text = before + piece * times + after
    first = (piece * 20)[:length] + after
    for start in range(len(text) + 1):
        assert comfy_outputs._name_start(text, first, start) == _name_start_before_the_fix(text, first, start)


@PROPERTIES
@given(
    st.lists(st.text(NAME_CHARACTERS.replace("\n", ""), max_size=6), min_size=1, max_size=4),
    st.text(NAME_CHARACTERS, max_size=40),
    st.sampled_from(["", "_00001_", "_00042", "-7", "_12345_\n"]),
)
def test_a_file_name_fits_a_prefix_as_it_did_before_the_fix(parts: list[str], name: str, ending: str) -> None:
    """Random prefixes (literal parts between ``%…%`` tokens) against random names: the same score
    (which output wrote a file) as with the search before the fix."""
    prefix = "%date%".join(parts)
    stem = comfy_outputs._stem(name + ending)
    after = comfy_outputs._prefix_score(prefix, stem)
    with mock.patch.object(comfy_outputs, "_name_start", _name_start_before_the_fix):
        before = comfy_outputs._prefix_score(prefix, stem)
    assert after == before


# -- a long reroute chain read from its far end first ------------------------------------------------


def _reroute_chain(length: int) -> dict[str, Any]:
    """The checkpoint's model through a chain of ``length`` reroutes, each read by a node of its own,
    listed from the far end of the chain to its near end, then the sampler, which reads the first."""
    nodes, links = _sampled(model_link=90_000)
    readers = []
    for number in range(1, length + 1):
        nodes.append(ui_node(300 + number, "Reroute", inputs=(("", "*", 3000 + number),)))
        links.append([3000 + number, 1 if number == 1 else 299 + number, 0, 300 + number, 0, "MODEL"])
        readers.insert(0, _reader(20_000 + number, 40_000 + number))
        links.append([40_000 + number, 300 + number, 0, 20_000 + number, 0, "MODEL"])
    links.append([90_000, 301, 0, 5, 0, "MODEL"])
    return _document(readers + nodes, links)


def test_a_reroute_chain_read_from_its_far_end_first_is_walked_once() -> None:
    """2,000 reroutes, read from the far end first: each reader walked the chain again down to the 64-link
    bound, the 100,000-link budget ran out, and the sampler (read last) got no model. Each link is now
    walked once, so a budget of one walk per link is enough, and the readers get what they got from a
    short chain: the model when it is at most 64 links away."""
    document = _reroute_chain(2000)

    _assert_sampled(_read(document)())
    with mock.patch.object(comfy_ui, "_HOP_BUDGET", len(document["links"])):
        graph = comfy_ui.api_from_workflow(document)

    assert graph is not None
    reading = [number for number in range(1, 2001) if "model" in graph[str(20_000 + number)]["inputs"]]
    assert reading == list(range(1, MAX_DEPTH))
    assert graph["20001"]["inputs"]["model"] == ["1", 0] == graph["5"]["inputs"]["model"]
