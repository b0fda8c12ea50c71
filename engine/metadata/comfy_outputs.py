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

Every walk is bounded (visited set plus step and link budgets) so hostile graphs end quickly; nothing
raises. ``None`` means "not decided here" and the caller keeps its graph-wide default.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

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
_LINK_BUDGET = 10 * _STEP_BUDGET
"""Most pixel links one trace follows (a node may hold any number of them: an output with 150,000
image inputs took a second to trace)."""
_MAX_PASTE_DEPTH = 16
"""Most paste nodes (``PASTE_NODES``) one behind another whose pasted crops a trace walks first."""

_IMAGE_KEY_FRAGMENTS = ("image", "latent", "samples", "pixels")
"""An input whose name holds one of these carries pixels or latents (``images``, ``latent_image``…)."""
_IMAGE_KEYS = ("frames",)
"""Whole input names that carry pixels too: the frame-interpolation nodes' ``frames`` (``RIFE VFI``,
``FILM VFI``: ComfyUI-Frame-Interpolation) between a video decode and its saver. (``num_frames`` is a
count, so the name must be whole.)"""
_PREVIEW_PREFIX = re.compile(r"ComfyUI_temp_[a-z]{5}")
_PATH_SEPARATORS = re.compile(r"[\\/]")
_DATE_TOKEN = re.compile(r"%[^%]*%")
_COUNTER_AFTER = re.compile(r"[_\-. ]?\d")
_ASCII_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

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
        stem = _stem(file_name.rsplit(".", 1)[0] if "." in file_name else file_name)
        scores: dict[str, tuple[int, int]] = {}
        for node_id in outputs:
            node = graph[node_id]
            name = name_of(node_id)
            if _names_a_path(node):
                score, prefix_length = (_path_score(name, stem) if name is not None else 0), 0
            elif name is not None:
                score, prefix_length = _prefix_score(name, stem)
            elif "preview" in node["class_type"].lower():
                score, prefix_length = _match_score(_PREVIEW_PREFIX, stem.text), len("ComfyUI_temp_")
            else:
                score, prefix_length = 0, 0
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
    walks of one trace share ``_STEP_BUDGET`` and ``_LINK_BUDGET``."""
    steps = [0]
    links = [0]

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
                links[0] += 1
                if links[0] > _LINK_BUDGET:
                    return None
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


class _Stem(NamedTuple):
    """A file's stem and the places the name forms compared with it may end, found once for all the
    outputs compared (many outputs, each with its own long name, cost no more than their names'
    length: a regex per name cost seconds)."""

    text: str
    name_ends: tuple[int, ...]
    """Where the name a path output gives may end: the stem's end, or where a batch's ``-{i}`` begins
    (and the same before a final line break, which ``$`` also matches before)."""
    counter_starts: tuple[int, ...]
    """Where ComfyUI's own ``_{counter:05}_`` ending (``_\\d{4,}_?$``) begins."""


def _stem(text: str) -> _Stem:
    ends = [len(text)] + ([len(text) - 1] if text.endswith("\n") else [])
    name_ends: list[int] = []
    counter_starts: list[int] = []
    for end in ends:
        name_ends.append(end)
        digits = _digits_before(text, end)
        if digits < end and digits > 0 and text[digits - 1] == "-":
            name_ends.append(digits - 1)
        stop = end - 1 if end > 0 and text[end - 1] == "_" else end
        digits = _digits_before(text, stop)
        if stop - digits >= 4 and digits > 0 and text[digits - 1] == "_":
            counter_starts.append(digits - 1)
    return _Stem(text, tuple(name_ends), tuple(counter_starts))


def _digits_before(text: str, end: int) -> int:
    """Where the run of decimal digits (``\\d``) ending at ``end`` begins."""
    start = end
    while start > 0 and text[start - 1].isdecimal():
        start -= 1
    return start


def _may_begin(text: str, start: int) -> bool:
    """A name may begin at ``start``: the stem's start, or after a character that is no ASCII letter or
    digit (a copy tool's own prefix and its separator before it)."""
    return start == 0 or text[start - 1] not in _ASCII_ALNUM


def _path_score(path: str, stem: _Stem) -> int:
    """4 when ``stem`` is the stem of the file ``path`` names, or of an image of its batch
    (``{stem}-{i}``), possibly behind a copy tool's own prefix; else 0."""
    base = _PATH_SEPARATORS.split(path)[-1]
    named = base.rsplit(".", 1)[0] if "." in base else base
    if not named:
        return 0
    for end in stem.name_ends:
        start = end - len(named)
        if start >= 0 and stem.text.startswith(named, start) and _may_begin(stem.text, start):
            return 4
    return 0


def _prefix_score(prefix: str, stem: _Stem) -> tuple[int, int]:
    """How well ``stem`` fits an output's ``prefix`` (see :func:`_match_score`), and the prefix's
    literal length (tie-break). A ``%…%`` token (a date, a node's widget) stands for any text without
    a line break: the literal parts between tokens must come in order, so the first place each one fits
    is as good as any later one (but for the last part of ComfyUI's own form, which must end where the
    counter begins), and the parts are placed with ``str.find``, never a backtracking regex (whose
    ``.*?`` gaps took a minute for 4 tokens against a 200-character stem)."""
    base = _PATH_SEPARATORS.split(prefix)[-1]
    if not base:
        return 0, 0
    parts = _DATE_TOKEN.split(base)
    length = sum(len(part) for part in parts)
    text = stem.text
    if length > len(text):  # every literal character must be in the stem
        return 0, length
    if any(_fills(parts, text, end) for end in stem.counter_starts):
        return 3, length
    end = _fit(parts, text, 0)
    if end is None:
        return 0, length
    return (2 if _COUNTER_AFTER.match(text, end) else 1), length


def _fit(parts: list[str], text: str, start: int) -> int | None:
    """Where ``parts`` (literal text between tokens) end in ``text`` when the first begins at
    ``start`` and each other one is placed as early as it fits; ``None`` when they do not fit."""
    if not text.startswith(parts[0], start):
        return None
    position = start + len(parts[0])
    for part in parts[1:]:
        if part:
            found = text.find(part, position)
            if found < 0 or "\n" in text[position:found]:
                return None
            position = found + len(part)
    return position


def _fills(parts: list[str], text: str, end: int) -> bool:
    """Whether ``parts`` fill ``text`` up to ``end`` from a place a name may begin (the earliest such
    place where the first part is, whose fit ends earliest), within the line ``end`` is on (a token's
    text holds no line break; a prefix that does is matched within that line only)."""
    last = parts[-1]
    last_start = end - len(last)
    if last_start < 0 or not text.startswith(last, last_start):
        return False
    if len(parts) == 1:
        return _may_begin(text, last_start)
    start = _name_start(text, parts[0], text.rfind("\n", 0, end) + 1)
    position = _fit(parts[:-1], text, start) if start >= 0 else None
    return position is not None and position <= last_start and "\n" not in text[position:last_start]


def _name_start(text: str, first: str, start: int) -> int:
    """The first place from ``start`` on where ``first`` is in ``text`` and a name may begin
    (:func:`_may_begin`), or -1.

    Past an occurrence where no name may begin (an ASCII letter or digit before it) the search goes on
    :func:`_passed_over` characters later, not one: it then costs a bounded number of passes over the
    text, where a ``str.find`` from each next character cost the product of the two lengths (a part of
    5,000 characters in a name of 10,000: 0.05 s, growing with the square)."""
    found = text.find(first, start)
    skip = 0
    while found >= 0 and not _may_begin(text, found):
        skip = skip or _passed_over(first)
        found = text.find(first, found + skip)
    return found


def _passed_over(first: str) -> int:
    """The least number of characters from an occurrence of ``first`` where no name may begin to a later
    one where a name may: the least period ``d`` of ``first`` whose ``first[d - 1]`` is no ASCII letter or
    digit, else ``len(first)`` (at least 1).

    An occurrence ``d < len(first)`` characters later overlaps this one, so ``d`` is a period of
    ``first`` and the character before it is ``first[d - 1]``. And each occurrence passed over is then
    more than ``len(first) / 2`` characters after the one before it: two periods whose sum is at most
    the length have their greatest common divisor as a period too (Fine and Wilf), which would make the
    later occurrence one where a name may begin. The periods are the length less each border of
    ``first`` (KMP's failure function, linear in its length, worked out only once an occurrence is
    passed over)."""
    length = len(first)
    border = [0] * (length + 1)
    """``border[i]``: the longest proper border (prefix that is also a suffix) of ``first[:i]``."""
    width = 0
    for index in range(1, length):
        while width and first[index] != first[width]:
            width = border[width]
        if first[index] == first[width]:
            width += 1
        border[index + 1] = width
    width = border[length]
    while width:  # the longest border first: the least period first
        if first[length - width - 1] not in _ASCII_ALNUM:
            return length - width
        width = border[width]
    return max(length, 1)


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
