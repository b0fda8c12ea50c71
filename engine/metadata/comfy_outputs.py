"""Which node of a ComfyUI API graph wrote this file, and which sampling node made its pixels.

A graph may hold several outputs (a base save, a refined save, a preview) and several sampling
passes (hires fix, two-stage refiners, FaceDetailer with its own seed and prompt). The values that
describe *this* file are those of the sampling node nearest to the output node that wrote it:

1. **Output nodes** are nodes whose class names a save or a preview (``OUTPUT_MARKERS``), and the
   output nodes ``OUTPUT_NODES`` lists (Comfyroll's ``CR Image Output``, VideoHelperSuite's
   ``VHS_VideoCombine``, ``JWImageSaveToPath``), that take an image link; never a save node that
   writes no image file (``IMAGELESS_OUTPUTS``: ``SaveWEBM``, ``SaveLatent``).
2. **The file's output**: the output whose name input matches the file name. A ``filename_prefix``
   (or an ``OUTPUT_NODES`` prefix input) names files as ComfyUI does (``{prefix}_{counter:05}_.png``,
   possibly behind a copy tool's own prefix; ``PreviewImage`` writes ``ComfyUI_temp_xxxxx_…``); a
   path input (``JWImageSaveToPath``'s ``path``) names the one file its base name is (a batch:
   ``{stem}-{i}``), the strictest match of all;
   a stricter match beats a looser one, a longer prefix beats a shorter one. When no prefix matches
   (renamed file, unknown save node), or several outputs match equally (they share a prefix and so
   ComfyUI's counter), the file is taken to come from the *last* of them in execution order
   (deepest node; ties by node id), the one a multi-output graph writes last.
3. **Its sampling node**: a breadth-first walk back from that output along image and latent links
   (:func:`carries_pixels`; never model, CLIP or conditioning links) stops at the first sampler,
   detailer or partner image node it meets; a switch passes on only the branch it selects; a SEGS
   link (Impact's crops, which a detailer re-samples) is a pixel link, and at a node that pastes crops
   over its image (``PASTE_NODES``: ``SEGSPaste``) the crops are walked first, since they are what
   shows. When every branch of that walk ends at a node with no link at all (``LoadImage``: an output
   that saves a copy of its input) and it met no other link, no pass made the file's pixels
   (``NO_PASS``).

Every walk is bounded (visited set plus a step budget) so hostile graphs end quickly; nothing
raises. ``None`` means "not decided here" and the caller keeps its graph-wide default.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from engine.metadata.comfy_nodes import (
    IMAGELESS_OUTPUTS,
    OBJECT_PASS_THROUGH_KEYS,
    OUTPUT_MARKERS,
    OUTPUT_NODES,
    PASTE_NODES,
    SEGS_INPUT_FRAGMENT,
)

Graph = dict[str, dict[str, Any]]

_STEP_BUDGET = 2000
"""Most nodes one trace or one ranking pass visits."""
_MAX_PASTE_DEPTH = 16
"""Most paste nodes (``PASTE_NODES``) one behind another whose pasted crops a trace walks first."""

_IMAGE_KEY_FRAGMENTS = ("image", "latent", "samples", "pixels")
"""An input whose name holds one of these carries pixels or latents (``images``, ``latent_image``…)."""
_IMAGE_KEYS = ("frames",)
"""Whole input names that carry pixels too: the frame-interpolation nodes' ``frames`` (``RIFE VFI``,
``FILM VFI``: ComfyUI-Frame-Interpolation) between a video decode and its saver. (``num_frames`` is a
count, so the name must be whole.)"""
_PREVIEW_PREFIX = r"ComfyUI_temp_[a-z]{5}"
_PATH_SEPARATORS = re.compile(r"[\\/]")
_DATE_TOKEN = re.compile(r"%[^%]*%")

LinkTest = Callable[[Any], bool]
NO_PASS = ""
"""What :func:`trace_sampling_node` returns when the output's pixels provably come from no pass."""


def is_image_input(key: str) -> bool:
    """An input name that carries pixels or latents, never a model, CLIP or conditioning."""
    lowered = key.lower()
    return lowered in _IMAGE_KEYS or any(fragment in lowered for fragment in _IMAGE_KEY_FRAGMENTS)


def carries_pixels(key: str) -> bool:
    """An input an image or latent reaches a node by: an image input (:func:`is_image_input`), a SEGS
    input (``SEGS_INPUT_FRAGMENT``: crops of an image, re-sampled by a detailer), or the one input of a
    node that hands any object on unchanged (``OBJECT_PASS_THROUGH_KEYS``: met on an image path, it
    hands on the image)."""
    return is_image_input(key) or SEGS_INPUT_FRAGMENT in key.lower() or key in OBJECT_PASS_THROUGH_KEYS


def output_nodes(graph: Graph, is_link: LinkTest) -> list[str]:
    """Ids of save/preview nodes and ``OUTPUT_NODES`` that take an image link, in node-id order; the
    ``IMAGELESS_OUTPUTS`` (a WEBM video, a latent file) never wrote an image file."""
    found = []
    for node_id, node in graph.items():
        if node["class_type"] in IMAGELESS_OUTPUTS:
            continue
        lowered = node["class_type"].lower()
        if node["class_type"] not in OUTPUT_NODES and not any(marker in lowered for marker in OUTPUT_MARKERS):
            continue
        if any(is_image_input(key) and is_link(value) for key, value in node["inputs"].items()):
            found.append(node_id)
    return sorted(found, key=node_sort_key)


def choose_output(
    graph: Graph,
    outputs: list[str],
    file_name: str | None,
    name_of: Callable[[str], str | None],
    is_link: LinkTest,
) -> str | None:
    """The output that wrote ``file_name`` (see module docstring), or ``None`` without outputs.

    ``name_of(node_id)`` resolves what names a node's files (literal or linked): its
    ``filename_prefix``, or the input ``OUTPUT_NODES`` names for it.
    """
    if not outputs:
        return None
    candidates = outputs
    if file_name:
        stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
        scores: dict[str, tuple[int, int]] = {}
        for node_id in outputs:
            node = graph[node_id]
            name = name_of(node_id)
            if _names_a_path(node):
                score, prefix_length = (_path_score(name, stem) if name is not None else 0), 0
            else:
                pattern, prefix_length = _prefix_pattern(node, name)
                score = _match_score(pattern, stem) if pattern is not None else 0
            if score:
                scores[node_id] = (score, prefix_length)
        if scores:
            best = max(scores.values())
            candidates = [node_id for node_id, value in scores.items() if value == best]
    # Outputs sharing a prefix share ComfyUI's counter, so the name cannot tell them apart:
    # take the last to run, as when nothing matches.
    if len(candidates) == 1:  # the usual graph: one output, no order to work out
        return candidates[0]
    rank = execution_rank(graph, is_link)
    return max(candidates, key=lambda node_id: (rank.get(node_id, 0), node_sort_key(node_id)))


def trace_sampling_node(
    graph: Graph,
    start: str,
    sampling: set[str],
    is_link: LinkTest,
    follow: Callable[[Any], Any] | None = None,
) -> str | None:
    """The nearest node of ``sampling`` behind ``start`` along image/latent links
    (:func:`carries_pixels`); ``NO_PASS`` when the walk meets no link but pixel ones (``start``'s own
    aside: a video saver's audio) and ends at nodes with no link at all (its pixels are loaded, never
    sampled); else ``None`` (a link whose name says no pixels may hide a pass: a composite's
    ``source``, a mask).

    ``follow(link)`` takes a link to what it hands on (the graph walker's
    :meth:`~engine.metadata.comfygraph.GraphWalker.follow`: a switch's selected input, a pipe's
    field), so that the trace goes on through the branch a switch selects only; a link it cannot
    follow is walked as it is. At a node that pastes crops over its image (``PASTE_NODES``), what
    shows is the crops: the walk behind the input holding them goes first (at most
    ``_MAX_PASTE_DEPTH`` such nodes one behind another), and a pass found there is the answer. All the
    walks of one trace share ``_STEP_BUDGET``."""
    steps = [0]

    def upstream_of(value: Any) -> str:
        followed = follow(value) if follow is not None else value
        return str((followed if is_link(followed) else value)[0])

    def walk(begin: str, depth: int) -> str | None:
        queue = [begin]
        seen = {begin}
        closed = True  # every branch so far ends at a node without links
        while queue and steps[0] < _STEP_BUDGET:
            node_id = queue.pop(0)
            steps[0] += 1
            node = graph[node_id]
            inputs = node["inputs"]
            pasted = next(
                (key for key in PASTE_NODES.get(node["class_type"], ()) if is_link(inputs.get(key))), None
            )
            if pasted is not None and depth < _MAX_PASTE_DEPTH:
                shown = upstream_of(inputs[pasted])
                found = shown if shown in sampling else walk(shown, depth + 1)
                if found:  # neither None nor NO_PASS
                    return found
            for key in sorted(inputs):
                value = inputs[key]
                if not (carries_pixels(key) and is_link(value)):
                    closed = closed and (node_id == begin or not is_link(value))
                    continue
                upstream = upstream_of(value)
                if upstream in sampling:
                    return upstream
                if upstream not in seen:
                    seen.add(upstream)
                    queue.append(upstream)
        return NO_PASS if closed and not queue else None

    return walk(start, 0)


def execution_rank(graph: Graph, is_link: LinkTest) -> dict[str, int]:
    """Longest link distance from a source node, per node (cycles broken; bounded work).

    ComfyUI runs a node only after everything it links to, so a deeper node runs later.
    """
    rank: dict[str, int] = {}
    upstream_of: dict[str, list[str]] = {}
    steps = 0
    for root in sorted(graph, key=node_sort_key):
        if root in rank:
            continue
        # Iterative post-order DFS; a node on the current path counts as depth 0 (cycle).
        stack: list[tuple[str, bool]] = [(root, False)]
        on_path: set[str] = set()
        while stack and steps < _STEP_BUDGET:
            node_id, expanded = stack.pop()
            steps += 1
            upstream = upstream_of.get(node_id)
            if upstream is None:  # a node is visited up to twice per path through it: list its links once
                upstream = [str(value[0]) for value in graph[node_id]["inputs"].values() if is_link(value)]
                upstream_of[node_id] = upstream
            if expanded:
                on_path.discard(node_id)
                rank[node_id] = 1 + max((rank.get(up, 0) for up in upstream if up not in on_path), default=-1)
                continue
            if node_id in rank or node_id in on_path:
                continue
            on_path.add(node_id)
            stack.append((node_id, True))
            stack.extend((up, False) for up in upstream if up not in rank and up not in on_path)
    return rank


def _names_a_path(node: dict[str, Any]) -> bool:
    """An output whose name input is the whole path of the file it writes (``OUTPUT_NODES``)."""
    naming = OUTPUT_NODES.get(node["class_type"])
    return naming is not None and naming[1]


def _path_score(path: str, stem: str) -> int:
    """4 when ``stem`` is the stem of the file ``path`` names, or of an image of its batch
    (``{stem}-{i}``), possibly behind a copy tool's own prefix; else 0."""
    base = _PATH_SEPARATORS.split(path)[-1]
    named = base.rsplit(".", 1)[0] if "." in base else base
    if not named:
        return 0
    own_name = r"(?:^|(?<=[^0-9A-Za-z]))" + re.escape(named) + r"(?:-\d+)?"
    return 4 if re.search(own_name + "$", stem) else 0


def _prefix_pattern(node: dict[str, Any], prefix: str | None) -> tuple[re.Pattern[str] | None, int]:
    """A regex for the file stems this output writes, and the literal prefix length (tie-break)."""
    if prefix is None:
        if "preview" in node["class_type"].lower():
            return re.compile(_PREVIEW_PREFIX), len("ComfyUI_temp_")
        return None, 0
    base = _PATH_SEPARATORS.split(prefix)[-1]
    if not base:
        return None, 0
    parts = _DATE_TOKEN.split(base)
    expression = ".*?".join(re.escape(part) for part in parts)
    return re.compile(expression), sum(len(part) for part in parts)


def _match_score(pattern: re.Pattern[str], stem: str) -> int:
    """How well a stem fits an output's prefix; 0 when it does not.

    3: ComfyUI's own ``prefix_00001_`` form ending the stem (a copy tool may have put something in
    front, after a separator); 2: the stem starts with the prefix, then a separator and digits;
    1: the stem starts with the prefix.
    """
    own_form = re.compile(r"(?:^|(?<=[^0-9A-Za-z]))(?:" + pattern.pattern + r")_\d{4,}_?$")
    if own_form.search(stem):
        return 3
    match = pattern.match(stem)
    if match is None:
        return 0
    if re.match(r"[_\-. ]?\d", stem[match.end() :]):
        return 2
    return 1


def node_sort_key(node_id: str) -> tuple[int, int, str]:
    """Numeric node ids in numeric order, then other ids by name."""
    numeric = node_id.isascii() and node_id.isdigit()  # "²" passes str.isdigit and fails int()
    return (0, int(node_id), "") if numeric else (1, 0, node_id)
