"""Walking a ComfyUI API graph (the ``prompt`` JSON): samplers back to prompts, model, LoRAs and size.

The graph maps node ids to ``{"class_type": str, "inputs": {...}}``; an input is a literal or a link
``[node_id, output_index]``. Every walk carries a visited set and a step budget, so cyclic links and
pathological graphs end quickly with what was found. A text walk (:meth:`GraphWalker.string`) visits
node *outputs*, keeps what each gave (an output met again is looked up, not walked again, so shared
parts cost nothing more) and also bounds its depth and the characters its joins and replaces make,
per walk and per graph. Nothing here raises on odd shapes: a missing or mistyped value is just not
found.

What a pass (a sampling node) is and which one describes the file is
:mod:`engine.metadata.comfy_passes`; this module resolves the values behind one link (:class:`GraphWalker`).

Node packs that bundle values are read through them: a sampler that takes a pipe (Impact
``BASIC_PIPE``, Efficiency ``SDXL_TUPLE``, Easy-Use ``PIPE_LINE``) or a sampler another node made
(Impact's KSAMPLER / UPSCALER providers, ``SAMPLER_OBJECT_INPUTS``) takes what it is not given from
the pipe's fields, and a link to one field output of a pipe node (rgthree contexts, ``FromBasicPipe``)
stands for what feeds that field; a loader that builds a pipe makes its model, prompts and latent
from its own widgets. Switches follow their selected input only (core ``ComfySwitchNode`` and the
packs' boolean switches, Comfyroll's input switches, Impact's ``ImpactSwitch``, rgthree's ``Any
Switch``: its first connected input, Impact's ``ImpactConditionalBranch``: the branch its condition
chooses, nothing when the graph cannot tell it), on every value path alike: every walk starts by
:meth:`GraphWalker.follow`, which takes a link to a switch or a pipe field to what it hands on. An
encoder that puts trigger words before its text (Lora Manager's ``Prompt``) gives the text it encodes;
a region node with a prompt of its own (Inspire's ``RegionalPromptSimple``) gives that prompt as its
positive. A
size node makes the size its preset names (rgthree, essentials, Comfyroll, Easy-Use), else its
width/height, and its width/height outputs carry that size.
``workflow_hash`` hashes node class types and typed links, never ids or values, so the same workflow
with different prompts or seeds hashes the same.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from engine.metadata.comfy_kinds import is_sampler
from engine.metadata.comfy_nodes import (
    ADVANCED_ROW_STRENGTHS,
    BOOLEAN_NODES,
    CAPTIONERS,
    CHAIN_FIRST_PREFIXES,
    CHECKPOINT_KEYS,
    CONDITIONAL_BRANCHES,
    CONDITIONING_JOINS,
    CONDITIONING_OUTPUT_FIRST,
    CONTEXT_INPUT,
    CR_SWITCH_INPUT,
    DESCRIBED_IMAGE_INPUTS,
    EMBEDS_BRIDGES,
    ENCODER_OUTPUT_TEXTS,
    EVERY_TAG_INPUT,
    FIELD_INPUTS,
    FIND_REPLACE,
    FIRST_CONNECTED_SWITCHES,
    GENERATOR_INPUTS,
    GENERATOR_MARKERS,
    JOINED_PARTS,
    LAST_WINS,
    LISTED_LORA_INPUT,
    LORA_CLIP_KEYS,
    LORA_MODEL_KEYS,
    LORA_NAME_KEYS,
    MATH_NODES,
    MODEL_NAME_INPUT,
    MODEL_PATCH_INPUT,
    MODEL_PATCH_NODES,
    NAG_EMBEDS,
    NOT_CONDITIONING,
    NUMBERED_LORA,
    OBJECT_FIELDS,
    OBJECT_PASS_THROUGH_KEYS,
    OBJECT_SETTINGS_ONLY,
    PASS_THROUGH_KEYS,
    PIPE_INPUTS,
    PIPE_OUTPUTS,
    PIPE_PROMPT_OVERRIDES,
    POSITIVE_ONLY_ENCODERS,
    PRESET_LORA_STRENGTH,
    PRESET_LORAS,
    PRESET_SIZE,
    PROMPT_PART_SEPARATOR,
    REGION_SAMPLER_INPUTS,
    REGIONAL_PROMPTS_INPUT,
    RESIZE_CONDITION,
    RESIZE_KEEPS_PROPORTION,
    ROLE_STRING_KEYS,
    ROLE_TEXT_KEYS,
    ROW_COUNT_KEYS,
    ROW_MODE_KEYS,
    SAMPLER_OBJECT_INPUTS,
    SCALAR_KEYS,
    SIMPLE_ROW_STRENGTHS,
    SIZE_KEYS,
    SIZE_OUTPUTS,
    SIZE_PRESET_COLUMNS,
    SIZE_PRESET_KEYS,
    SIZE_SWAP_KEYS,
    STACK_INPUTS,
    STACK_TOGGLE,
    STRING_KEYS,
    TAG_LORA_INPUTS,
    TEXT_KEYS,
    TRIGGER_WORD_PROMPTS,
    TRIGGER_WORD_SEPARATOR,
    TRIGGER_WORD_TOGGLES,
    TRIGGER_WORDS_INPUT,
    VALUE_OUTPUTS,
    WAS_CONCATENATIONS,
    WEIGHTED_JOINS,
    ZERO_CONDITIONING,
)
from engine.metadata.comfy_outputs import carries_pixels
from engine.metadata.comfy_text_walk import (
    GRAPH_TEXT_BUDGET,
    GRAPH_TEXT_READS,
    TEXT_BUDGET,
    WALK_BUDGET,
    SettledTexts,
    TextWalk,
    joined_length,
    replaced_length,
)
from engine.metadata.comfy_values import (
    arithmetic,
    conditioning_pair,
    given_text,
    in_application_order,
    is_concatenation,
    model_inputs,
    replaced,
    styler_input,
    switched_on,
)
from engine.metadata.jsontext import JsonRefused, loads_bounded
from engine.metadata.limits import MAX_GRAPH_NODES, MAX_TEXT_BYTES
from engine.metadata.loras import inline_loras
from engine.metadata.values import as_float, as_int
from engine.records import LoraRef

Graph = dict[str, dict[str, Any]]

_MAX_NESTING = 16
"""Most walks nested in one another (a pipe field or a size output met inside a walk that another such
field or size started), so hostile chains of them end long before Python's stack does."""
GRAPH_NODE_VISITS = 250_000
"""Most nodes all the walks of one :class:`GraphWalker` look up together (:meth:`GraphWalker.node`); past
it every walk finds nothing more. Each sampler's walks (model, prompts, latent, pipe fields) are
bounded by ``WALK_BUDGET`` and graphs by ``MAX_GRAPH_NODES``, but not their product: 320 samplers each
behind the next, every one linked to the one below by some 70 inputs, took 15 s to read. A look-up
costs about 4 µs of the walks around it, so this is about a second; the largest real graphs we have
make a few hundred, the 1,200-stage chain of the bounds tests 37,000. The file's own pass is read
first (:func:`engine.metadata.comfy_passes.summarise`), so a hostile graph loses its other passes'
values first."""
_T = TypeVar("_T")
_NOTHING: Any = object()
"""What :meth:`GraphWalker.switch_branch` gives for a switch that provably or possibly hands on nothing
the graph can tell: an ``Any Switch`` with no input connected, a conditional branch whose condition
cannot be read. :meth:`GraphWalker.follow` then finds nothing (``None``) behind the switch."""
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "a = b": lambda a, b: bool(a == b),
    "a <> b": lambda a, b: bool(a != b),
    "a > b": lambda a, b: bool(a > b),
    "a < b": lambda a, b: bool(a < b),
    "a >= b": lambda a, b: bool(a >= b),
    "a <= b": lambda a, b: bool(a <= b),
}
"""``ImpactCompare``'s ``cmp`` choices (besides "tt"/"ff") as Impact's ``doit`` computes them."""
_DIGITS = re.compile(r"(\d+)")
_TOGGLE_STRENGTH = re.compile(r"^\((.+):([\d.]+)\)$")
"""A trigger word written with its weight, ``(word:1.2)``, as Lora Manager's toggle parses it."""


def is_link(value: Any, graph: Graph) -> bool:
    """A ``[node_id, output_index]`` pair pointing at a node of this graph."""
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
        and isinstance(value[0], str | int)
        and not isinstance(value[0], bool)
        and str(value[0]) in graph
    )


def normalise_graph(document: Any) -> Graph | None:
    """The node dict of an API graph (``{"prompt": {...}}`` wrappers accepted), or ``None``."""
    if isinstance(document, dict) and "prompt" in document and isinstance(document["prompt"], dict):
        document = document["prompt"]
    if not isinstance(document, dict) or not document or len(document) > MAX_GRAPH_NODES:
        return None
    graph: Graph = {}
    for node_id, node in document.items():
        if isinstance(node, dict) and isinstance(node.get("class_type"), str):
            inputs = node.get("inputs")
            graph[str(node_id)] = {
                "class_type": node["class_type"],
                "inputs": inputs if isinstance(inputs, dict) else {},
            }
    return graph or None


class GraphWalker:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.generated: list[tuple[str, str | None]] = []
        """``(class_type, request_text)`` of text-generator nodes met while resolving prompts."""
        self.styles: list[str] = []
        """Style names of the prompt stylers met while resolving prompts, in walk order."""
        self._followed: dict[tuple[str, int, str], Any] = {}
        """:meth:`follow` per pipe field or switch output (and ``kind``), so nested walks (a switch's
        ``Input`` linked to a pipe field inside a pipe walk, a switch selected by a switch) stay linear
        and a cycle through them finds nothing."""
        self._sizes: dict[str, tuple[int | None, int | None]] = {}
        """:meth:`size` per node, for the same reasons (a size node's inputs linked to size outputs)."""
        self._scalars: dict[tuple[str, int, tuple[str, ...]], Any] = {}
        """:meth:`scalar` per node output and keys, for every output a walk went through that ended in a
        literal without a cycle or a bound (the chain behind an output ends in the same value whoever
        asks), so samplers that each take a value through the chain of the ones before stay linear."""
        self._computed: dict[tuple[str, int], int | float | None] = {}
        """:meth:`computed` per math node output (:meth:`_computed_output`)."""
        self._depth = 0
        """Walks now nested in one another (see ``_MAX_NESTING``)."""
        self.visits_left = GRAPH_NODE_VISITS
        """Node look-ups (:meth:`node`) the walks of this walker may still make."""
        self.text_steps = 0
        """Node outputs the text walks (:meth:`string`) have read, in all: each walk reads an output
        once and at most ``WALK_BUDGET + 1`` of them, all walks together at most
        ``GRAPH_TEXT_READS``; a settled text reused is not read again."""
        self._text_left = GRAPH_TEXT_BUDGET
        """Characters the text walks may still make (see ``GRAPH_TEXT_BUDGET``)."""
        self._applied: dict[str, list[LoraRef]] = {}
        """:meth:`applied_loras` per node: every sampler's model walk meets the same loaders, and each
        loader's stack chain is walked once."""
        self._own: dict[str, list[LoraRef]] = {}
        """:meth:`_own_loras` per node (a stack node is met by the chain of every loader above it)."""
        self._settled = SettledTexts()
        """Texts of node outputs some text walk read without meeting a bound, which later walks take
        as they are (:mod:`engine.metadata.comfy_text_walk`)."""

    def node(self, link: Any) -> tuple[str, dict[str, Any]] | None:
        """The node ``link`` points at, ``(node id, node)``; ``None`` for anything but a link of this
        graph, and for every link once the walker's walks have looked up ``GRAPH_NODE_VISITS`` nodes."""
        if not is_link(link, self.graph) or self.visits_left <= 0:
            return None
        self.visits_left -= 1
        node_id = str(link[0])
        return node_id, self.graph[node_id]

    def _nested(self, walk: Callable[[], _T]) -> _T | None:
        """``walk()`` one nesting level deeper, or ``None`` past ``_MAX_NESTING`` levels."""
        if self._depth >= _MAX_NESTING:
            return None
        self._depth += 1
        try:
            return walk()
        finally:
            self._depth -= 1

    # -- links that hand a value on ---------------------------------------------------------------
    def follow(self, value: Any, kind: str = "") -> Any:
        """``value``, with a link to a node that only hands a value on replaced by that value, again
        and again: a link to one field output of a pipe node (``PIPE_OUTPUTS``) by what feeds that
        field (:meth:`pipe_field`), a link to a switch by the input it selects (:meth:`switch_branch`;
        ``kind`` picks among a Comfyroll switch's inputs of one number). ``None`` when nothing feeds a
        field, behind a switch that hands on nothing the graph can tell (``_NOTHING``), and at a
        cycle. Any other value, a link to a whole pipe and a link to a switch whose
        selection cannot be read are returned as they are.

        Every value walk starts here (scalars, strings, conditioning, model, latent, the sampler's
        helper nodes, the output's trace back to its pass), so a switch is followed the same way
        whatever it switches.
        """
        followed: list[tuple[str, int, str]] = []
        while (found := self.node(value)) is not None:
            node_id, node = found
            key = (node_id, value[1], kind)
            if key in self._followed:  # known, or being followed: a cycle, which finds nothing
                value = self._followed[key]
                break
            name = _pipe_output(node["class_type"], value[1])
            if name is None and not _switch_like(node):
                break
            followed.append(key)
            self._followed[key] = None
            if name is not None:
                value = self._nested(partial(self._field_from, node_id, name))
                continue
            branch = self._nested(partial(self.switch_branch, node["inputs"], kind, node["class_type"]))
            if branch is _NOTHING:  # hands on nothing the graph can tell
                value = None
                break
            if branch is None:  # no selection read: the switch stands for itself
                break
            value = branch
        for key in followed:
            self._followed[key] = value
        return value

    def source(self, value: Any, kind: str = "") -> tuple[str, dict[str, Any]] | None:
        """The node that makes what ``value`` carries (:meth:`follow`), or ``None``."""
        return self.node(self.follow(value, kind))

    def pipe_field(self, link: Any, name: str) -> Any:
        """What feeds field ``name`` of the pipe ``link`` carries, or ``None``.

        The walk goes from the node that outputs the pipe back through the pipes it extends
        (:meth:`_base_pipes`) to the first node that sets the field (:meth:`_own_field`): a context or
        ``ToBasicPipe`` input, a ``preSampling`` widget, or a link to the loader that makes the field
        itself. It ends at a cycle or after ``WALK_BUDGET`` nodes. A link to a switch of pipes stands
        for the pipe it selects (:meth:`source`).
        """
        found = self.source(link)
        return self._field_from(found[0], name) if found is not None else None

    def _field_from(self, start: str, name: str) -> Any:
        """:meth:`pipe_field` from the pipe node ``start`` itself (whose outputs may be fields)."""
        seen: set[str] = set()
        pending: list[Any] = [[start, 0]]
        while pending and len(seen) <= WALK_BUDGET:
            current = pending.pop(0)
            # the start node as it is; the pipes it extends through :meth:`source` (a switch of pipes
            # is the pipe it selects)
            found = self.source(current) if seen else self.node(current)
            if found is None or found[0] in seen:
                continue
            node_id, node = found
            seen.add(node_id)
            value = self._own_field(node_id, node, name)
            if value is not None:
                return value
            pending[:0] = self._base_pipes(node)  # depth first: a merge's later context is searched first
        return None

    def _own_field(self, node_id: str, node: dict[str, Any], name: str) -> Any:
        """What a node puts into field ``name`` of the pipe it outputs, or ``None`` when it passes on
        the field of the pipe it extends.

        That is its input for the field (``FIELD_INPUTS``), when linked or, for a value field (seed,
        steps…), literal; or, for an object field (``OBJECT_FIELDS``) it makes itself, a link to the
        node: a loader (:func:`_is_loader`) makes every object field, a sampler the latent. A
        region node that replaces its pipe's prompt with its own (``PIPE_PROMPT_OVERRIDES``, a
        non-empty text) makes the positive itself (:meth:`_text` reads that text there).
        """
        inputs = node["inputs"]
        override = PIPE_PROMPT_OVERRIDES.get(node["class_type"])
        if name == "positive" and override is not None and self.string(inputs.get(override)):
            return [node_id, 0]
        value = next(
            (inputs[key] for key in FIELD_INPUTS.get(name, (name,)) if inputs.get(key) is not None), None
        )
        if name not in OBJECT_FIELDS or is_link(value, self.graph):
            return value
        if _is_loader(inputs) or (name == "latent" and is_sampler(node)):
            return [node_id, 0]
        return None

    def _base_pipes(self, node: dict[str, Any]) -> list[Any]:
        """The linked pipes a node extends, the one whose fields win first: its ``PIPE_INPUTS`` and the
        sampler it samples with (``SAMPLER_OBJECT_INPUTS``: the node that made it holds its settings,
        then its own pipe), else its ``ctx_NN`` contexts: a ``Context Switch``'s first linked one, a
        ``Context Merge``'s linked ones from the last. (A switch of pipes is never met here:
        :meth:`follow` takes a link to it to the pipe it selects.)"""
        inputs = node["inputs"]
        linked = [
            inputs[key]
            for key in (*PIPE_INPUTS, *SAMPLER_OBJECT_INPUTS)
            if is_link(inputs.get(key), self.graph)
        ]
        if linked:
            return linked
        contexts = sorted(key for key in inputs if CONTEXT_INPUT.fullmatch(key))
        linked = [inputs[key] for key in contexts if is_link(inputs[key], self.graph)]
        return linked[::-1] if node["class_type"] in LAST_WINS else linked[:1]

    def setting(self, node: dict[str, Any], keys: tuple[str, ...], name: str) -> Any:
        """A sampler's input: the first of ``keys`` it has, else field ``name`` of the pipe it samples
        from (Impact's ``basic_pipe``, Efficiency's ``sdxl_tuple``, Easy-Use's ``pipe``) or of the
        sampler it samples with (``SAMPLER_OBJECT_INPUTS``). An own input that holds something else
        (``OBJECT_SETTINGS_ONLY``) is never taken."""
        inputs = node["inputs"]
        skipped = OBJECT_SETTINGS_ONLY.get(node["class_type"], ())
        value = next((inputs[key] for key in keys if key in inputs and key not in skipped), None)
        if value is not None:
            return value
        for pipe in self._base_pipes(node):
            value = self.pipe_field(pipe, name)
            if value is not None:
                return value
        return None

    def region_positives(self, node: dict[str, Any]) -> list[Any]:
        """The positive conditionings a pass samples regions of its latent with, besides its own: the
        positive of each ``REGION_SAMPLER_INPUTS`` sampler, then of each region its
        ``REGIONAL_PROMPTS_INPUT`` input brings (a combiner's inputs in number order, each region's
        sampler read like a pipe: :meth:`pipe_field`). The walk ends at a cycle or after
        ``WALK_BUDGET`` nodes."""
        inputs = node["inputs"]
        positives = [
            self.pipe_field(inputs[key], "positive")
            for key in REGION_SAMPLER_INPUTS
            if is_link(inputs.get(key), self.graph)
        ]
        seen: set[str] = set()
        pending = _regional_inputs(inputs)
        while pending and len(seen) <= WALK_BUDGET:
            found = self.source(pending.pop(0))
            if found is None or found[0] in seen:
                continue
            node_id, region = found
            seen.add(node_id)
            combined = _regional_inputs(region["inputs"])
            if combined:
                pending[:0] = combined
                continue
            positives.append(self._field_from(node_id, "positive"))
        return [positive for positive in positives if positive is not None]

    # -- scalars and strings -------------------------------------------------------------------
    def scalar(self, value: Any, keys: tuple[str, ...] = SCALAR_KEYS) -> Any:
        """A literal, or the literal a link chain of primitive nodes ends in.

        Links into a pipe's field outputs are followed (:meth:`follow`), the width/height outputs
        of size nodes (``SIZE_OUTPUTS``) give the size the node makes (:meth:`size`), an output of
        a multi-value node (``VALUE_OUTPUTS``) the input behind it, and an output of a math node
        (``MATH_NODES``) the number its expression makes (:meth:`computed`).
        """
        seen: set[str] = set()
        walked: list[tuple[str, int, tuple[str, ...]]] = []
        while is_link(value, self.graph):
            value = self.follow(value)
            if not is_link(value, self.graph):
                break
            step = (str(value[0]), value[1], keys)
            if step in self._scalars:
                value = self._scalars[step]
                break
            found = self.node(value)
            if found is None or found[0] in seen or len(seen) > WALK_BUDGET:
                return None
            node_id, node = found
            seen.add(node_id)
            walked.append(step)
            outputs = SIZE_OUTPUTS.get(node["class_type"], ())
            if value[1] in outputs:  # kept per node by size() (a cycle through it is not kept here)
                return self.size(node_id)[outputs.index(value[1])]
            if node["class_type"] in MATH_NODES:  # kept per output by _computed_output(), likewise
                return self._computed_output(node_id, value[1])
            inputs = node["inputs"]
            behind = _value_output(node["class_type"], value[1])
            value = next((inputs[key] for key in (behind or keys) if key in inputs), None)
        for step in walked:
            self._scalars[step] = value
        return value

    def _computed_output(self, node_id: str, output: Any) -> int | float | None:
        """:meth:`computed` once per math node output: math nodes whose variables all link to the
        node before made a graph of a few kilobytes take 4**n evaluations (30 nodes never ended);
        a cycle through one finds nothing."""
        key = (node_id, output if isinstance(output, int) else -1)
        if key not in self._computed:
            self._computed[key] = None
            self._computed[key] = self._nested(partial(self.computed, self.graph[node_id], output))
        return self._computed[key]

    def computed(self, node: dict[str, Any], output: Any) -> int | float | None:
        """What output ``output`` of a ``MATH_NODES`` node gives: its expression (a literal or a
        string node's) evaluated over its variables' numbers (:meth:`scalar`; a bool or any other
        value is unknown), rounded for an ``"int"`` output; ``None`` when it cannot be worked out."""
        spec = MATH_NODES[node["class_type"]]
        if not isinstance(output, int) or not 0 <= output < len(spec.outputs):
            return None
        inputs = node["inputs"]
        expression = self.string(inputs.get(spec.expression))
        if expression is None:
            return None
        variables: dict[str, int | float | None] = {}
        for name in spec.variables:
            number = self.scalar(inputs[name]) if name in inputs else spec.default
            plain = isinstance(number, int | float) and not isinstance(number, bool)
            variables[name] = number if plain else None
        result = arithmetic(expression, variables)
        if result is None or spec.outputs[output] != "int":
            return result
        return round(result)

    def string(self, value: Any) -> str | None:
        """A string literal, or the string a chain of primitive/string nodes ends in.

        Switch nodes follow their selected branch, concatenation nodes join their resolvable parts
        with their delimiter; a name selector (``Checkpoint Selector``, a loader's name output) gives
        its ``ckpt_name``, a role-named string node (``easy positive``) its literal text, and a
        pysssss combo value ``{"content": name, …}`` its name. A text *generator* (LLM prompt
        enhancer, TIPO, …) writes its output only at run time, never into the file, so the walk
        returns the text the artist gave it (its request), or ``None`` when that cannot be resolved;
        a generator given an image (a captioner, ``DESCRIBED_IMAGE_INPUTS``) describes that image, and
        its request is an instruction, never a prompt: ``None``. Every generator met is remembered in
        :attr:`generated`.

        Each node output is read once per call (:class:`TextWalk`): two outputs of one node are two
        values (WAS ``Text String``'s texts joined by one concatenation), an output taken twice gives
        its text twice, and a cycle gives nothing where it closes.
        """
        walk = TextWalk(min(TEXT_BUDGET, self._text_left), GRAPH_TEXT_READS - self.text_steps)
        text = self._string(value, walk)
        for (_, kind), noted in walk.notes[0].items():
            (self.styles if kind == "style" else self.generated).append(noted)
        self.text_steps += walk.reads
        self._text_left -= walk.made
        return text

    def _string(self, value: Any, walk: TextWalk) -> str | None:
        value = _combo_value(self.follow(value))
        if isinstance(value, str):
            return value
        found = self.node(value)
        if found is None:
            return None
        key = (found[0], value[1])
        if key in walk.texts:
            return walk.taken_again(key, settled=key in self._settled)
        settled = self._settled.get(key)
        if settled is not None and walk.reuse(key, settled):
            return settled.text
        if not walk.enter(key):
            return None
        reading = self._settled.start(key, walk)
        text = self._output_string(found[1], value[1], walk)
        self._settled.finish(reading, text, walk.end(key, text), walk)
        return text

    def _output_string(self, node: dict[str, Any], output: int, walk: TextWalk) -> str | None:
        """The string output ``output`` of ``node`` carries (:meth:`string`)."""
        inputs = node["inputs"]
        class_type = node["class_type"]
        behind = _value_output(class_type, output)
        if behind is not None:
            return self._string(inputs.get(behind[0]), walk)
        if class_type in TRIGGER_WORD_PROMPTS:
            return self._trigger_word_prompt(inputs, TRIGGER_WORD_PROMPTS[class_type], walk)
        if class_type in TRIGGER_WORD_TOGGLES:
            return self._toggled_words(inputs, walk)
        lowered_class = class_type.lower()
        if class_type in CAPTIONERS or any(marker in lowered_class for marker in GENERATOR_MARKERS):
            if any(is_link(inputs.get(key), self.graph) for key in DESCRIBED_IMAGE_INPUTS):
                walk.note("generated", (class_type, None))  # describes an image: no text to tell
                return None
            request_link = next((inputs[key] for key in GENERATOR_INPUTS if key in inputs), None)
            request = self._artist_request(request_link, walk)
            walk.note("generated", (class_type, request))
            return request
        if is_concatenation(class_type):
            return self._concatenation(class_type, inputs, walk)
        if class_type in JOINED_PARTS:
            keys, separator_key, separator = JOINED_PARTS[class_type]
            separator = inputs[separator_key] if isinstance(inputs.get(separator_key), str) else separator
            parts = [given_text(self._string(inputs.get(key), walk)) for key in keys]
            return self._joined(parts, separator, walk)
        if class_type in FIND_REPLACE:
            return self._find_and_replace(FIND_REPLACE[class_type], inputs, walk)
        if class_type.startswith("StringFunction"):
            return self._string_function(inputs, walk)
        typed = styler_input(class_type, inputs, output)
        if typed is not None:
            self._note_style(inputs, walk)
            return self._string(inputs[typed], walk)
        for key in (*STRING_KEYS, "ckpt_name"):
            if key in inputs:
                text = self._string(inputs[key], walk)
                if text is not None:
                    return text
        for key in ROLE_STRING_KEYS:
            if isinstance(inputs.get(key), str):
                return str(inputs[key])
        for key in PASS_THROUGH_KEYS:
            if key in inputs and is_link(inputs[key], self.graph):
                return self._string(inputs[key], walk)
        return None

    def _trigger_word_prompt(self, inputs: dict[str, Any], text_key: str, walk: TextWalk) -> str | None:
        """What a ``TRIGGER_WORD_PROMPTS`` encoder encodes (and outputs as its prompt string): the
        non-empty texts of its ``trigger_words`` inputs in number order, then its text, joined with
        ``TRIGGER_WORD_SEPARATOR``. Trigger words the graph cannot tell (a loader's run-time output)
        are left out; an unknown text makes the whole unknown."""
        text = self._string(inputs.get(text_key), walk)
        if text is None:
            return None
        keys = sorted((key for key in inputs if TRIGGER_WORDS_INPUT.fullmatch(key)), key=_natural_key)
        words = [word for word in (self._string(inputs[key], walk) for key in keys) if word]
        return self._joined([*words, text], TRIGGER_WORD_SEPARATOR, walk) if words else text

    def _toggled_words(self, inputs: dict[str, Any], walk: TextWalk) -> str | None:
        """What a ``TRIGGER_WORD_TOGGLES`` node outputs: its list's active entries, or, with an empty
        list, its message as it is."""
        listed = inputs.get("toggle_trigger_words")
        if isinstance(listed, dict):
            listed = listed.get("__value__")
        if isinstance(listed, str) and len(listed) <= MAX_TEXT_BYTES:
            try:
                listed = loads_bounded(listed)
            except JsonRefused:
                listed = None
        if not isinstance(listed, list) or not listed:
            message = inputs.get("orinalMessage", inputs.get("originalMessage"))
            return self._string(message, walk) if message is not None else ""
        group_mode = self.scalar(inputs.get("group_mode", True), ("group_mode", "value")) is not False
        strengths = self.scalar(inputs.get("allow_strength_adjustment"), ("value",)) is True
        words: list[str] = []
        for item in listed:
            text = item.get("text") if isinstance(item, dict) else None
            if not isinstance(text, str) or not text.strip() or not item.get("active", False):
                continue
            word = text.strip()
            if group_mode and not strengths:
                words.append(word)
                continue
            strength = as_float(item.get("strength"))
            weighted = _TOGGLE_STRENGTH.match(word)
            if weighted is not None:
                word = weighted[1].strip()
                strength = strength if strength is not None else as_float(weighted[2])
            if word:
                words.append(f"({word}:{strength:.2f})" if strengths and strength is not None else word)
        return self._joined(words, ", ", walk) or ""

    def _joined(self, parts: list[str], separator: str, walk: TextWalk) -> str | None:
        """``parts`` joined with ``separator``; ``None`` when that is empty or would pass the walk's
        text budget (:meth:`TextWalk.make`)."""
        if not walk.make(joined_length(parts, separator)):
            return None
        return separator.join(parts) or None

    def _concatenation(self, class_type: str, inputs: dict[str, Any], walk: TextWalk) -> str | None:
        """A concatenation node's parts joined with its ``delimiter``/``separator`` (WAS ones as
        ``WAS_CONCATENATIONS`` says), ``None`` when that is empty."""
        delimiter = next(
            (inputs[key] for key in ("delimiter", "separator") if isinstance(inputs.get(key), str)), ""
        )
        parts = self._concatenated_parts(inputs, walk)
        if class_type in WAS_CONCATENATIONS:
            delimiter = "\n" if delimiter == "\\n" else delimiter
            clean = self.scalar(inputs.get("clean_whitespace", "true"), ("clean_whitespace", "value"))
            if clean in ("true", True):
                parts = [part.strip() for part in parts if part.strip()]
        return self._joined(parts, delimiter, walk)

    def _find_and_replace(self, keys: tuple[str, ...], inputs: dict[str, Any], walk: TextWalk) -> str | None:
        """What a ``FIND_REPLACE`` node outputs: its text with every ``find`` replaced, or the text
        itself when ``find``/``replace`` use regex syntax (never run on file data)."""
        text, find, replacement = (given_text(self._string(inputs.get(key), walk)) for key in keys)
        if re.escape(find) != find or "\\" in replacement:
            return text or None
        if not walk.make(replaced_length(text, find, replacement)):
            return None
        return replaced(text, find, replacement) or None

    def _concatenated_parts(self, inputs: dict[str, Any], walk: TextWalk) -> list[str]:
        """The resolvable, non-empty parts of a concatenation node, in input-name order with numbers in
        number order (KJNodes' ``JoinStringMulti`` joins ``string_1`` … ``string_{inputcount}``, so
        ``string_10`` comes after ``string_9``)."""
        keys = sorted((key for key in inputs if key.startswith(("string", "text"))), key=_natural_key)
        parts = [self._string(inputs[key], walk) for key in keys]
        return [part for part in parts if part]

    def _string_function(self, inputs: dict[str, Any], walk: TextWalk) -> str | None:
        """What pysssss' ``StringFunction`` outputs.

        ``append`` joins the non-empty ``text_a``/``text_b``/``text_c`` (with ", " when ``tidy_tags`` is
        "yes", with nothing otherwise); any other action replaces ``text_b`` by ``text_c`` in
        ``text_a``. ``tidy_tags`` then collapses double spaces and commas as the node does. A regex
        replace (``text_b`` written ``/…/``) is never run on file data: ``text_a`` stands for its result.
        A replace whose result would exceed ``MAX_TEXT_BYTES`` characters, or a text past the walk's
        budget (:meth:`TextWalk.make`), gives ``None``.
        """
        text_a, text_b, text_c = (
            given_text(self._string(inputs.get(key), walk)) for key in ("text_a", "text_b", "text_c")
        )
        tidy = self.scalar(inputs.get("tidy_tags"), ("tidy_tags", "value")) in ("yes", True)
        if self.scalar(inputs.get("action"), ("action", "value")) == "append":
            parts = [text for text in (text_a, text_b, text_c) if text]
            separator = ", " if tidy else ""
            if not walk.make(joined_length(parts, separator)):
                return None
            out = separator.join(parts)
        elif text_b.startswith("/") and text_b.endswith("/"):
            out = text_a
        else:
            if not walk.make(replaced_length(text_a, text_b, text_c)):
                return None
            result = replaced(text_a, text_b, text_c)
            if result is None:
                return None
            out = result
        if tidy:
            out = out.replace("  ", " ").replace(" ,", ",").replace(",,", ",").replace(",,", ",")
        return out or None

    def _note_style(self, inputs: dict[str, Any], walk: TextWalk) -> None:
        """Remember the style a prompt styler was set to (see :attr:`styles`)."""
        style = name_value(self.scalar(inputs.get("style", inputs.get("style_name")), ("style", "value")))
        if style is not None:
            walk.note("style", style)

    def _artist_request(self, value: Any, walk: TextWalk) -> str | None:
        """What the artist typed for a text generator.

        A request built by concatenating an instruction template with the artist's text keeps
        only the last part: templates come first ("…expand the user's prompt… User's input:")
        and the artist's words last.
        """
        value = self.follow(value)
        found = self.node(value)
        if found is not None and is_concatenation(found[1]["class_type"]):
            key = (found[0], value[1])
            if not walk.enter(key):
                return None
            parts = self._concatenated_parts(found[1]["inputs"], walk)
            walk.leave(key)
            return parts[-1] if parts else None
        return self._string(value, walk) if value is not None else None

    def switch_branch(self, inputs: dict[str, Any], kind: str = "", class_type: str = "") -> Any:
        """The selected input of a switch node, else ``None``; ``_NOTHING`` for a switch that hands on
        nothing the graph can tell.

        A first-connected switch (``FIRST_CONNECTED_SWITCHES``: rgthree's ``Any Switch``) hands on its
        first present numbered input, in number order (none present: nothing). A conditional branch
        (``CONDITIONAL_BRANCHES``: Impact's ``ImpactConditionalBranch``) hands on its true or false
        input as its condition reads (:meth:`truth`); a condition that cannot be read leaves the branch
        unknown, and it hands on nothing unless both inputs are the same value.

        A boolean switch selects ``on_true`` or ``on_false`` (core ``ComfySwitchNode``, the packs'
        boolean switches); with only one of them connected (core ``ComfySwitchNode`` in its newest
        schema, ``comfy_extras/nodes_logic.py``: both optional) it outputs that one whatever its
        ``switch`` says. A Comfyroll input switch selects with its
        ``Input``: a number picks the input of that number (``text2``, ``model1``…; past the last, the
        last, as the nodes' ``else`` does), a name the input of that name (the process switches'
        "txt2img", "image batch"). Of several inputs of that number (``CR Model And CLIP Input
        Switch``'s ``model1``/``clip1``), the one whose name starts with ``kind``. Impact's
        ``ImpactSwitch`` selects among ``input1``… by number with its ``select`` the same way.
        """
        first_connected = FIRST_CONNECTED_SWITCHES.get(class_type)
        if first_connected is not None:
            present = sorted(
                (int(match[1]), key)
                for key in inputs
                if (match := first_connected.fullmatch(key)) is not None and inputs[key] is not None
            )
            return inputs[present[0][1]] if present else _NOTHING
        branch = CONDITIONAL_BRANCHES.get(class_type)
        if branch is not None:
            condition, on_true, on_false = branch
            chosen = self.truth(inputs.get(condition))
            if chosen is None:
                same = inputs.get(on_true) == inputs.get(on_false)
                picked = inputs.get(on_true) if same else None
            else:
                picked = inputs.get(on_true if chosen else on_false)
            return picked if picked is not None else _NOTHING
        if ("on_true" in inputs) != ("on_false" in inputs):
            return inputs.get("on_true", inputs.get("on_false"))
        if "on_true" in inputs and "on_false" in inputs:
            selector = next(
                (inputs[key] for key in ("switch", "boolean", "select", "condition") if key in inputs), None
            )
            chosen = self.scalar(selector, ("value", "boolean", "switch"))
            return inputs["on_true"] if chosen is True else inputs["on_false"]
        selector = "Input" if "Input" in inputs else "select" if _impact_switch(inputs) else None
        if selector is None:
            return None
        chosen = self.scalar(inputs[selector], (selector, "value", "int"))
        if isinstance(chosen, str) and not chosen.strip().isdigit():
            return inputs.get(chosen.strip().replace(" ", "_"))
        number = as_int(chosen)
        numbered = sorted(
            (int(match[2]), not key.lower().startswith(kind.lower()), key)
            for key in inputs
            if (match := CR_SWITCH_INPUT.fullmatch(key)) is not None
        )
        if number is None or not numbered:
            return None
        picked = [row for row in numbered if row[0] == number] or [
            row for row in numbered if row[0] == numbered[-1][0]
        ]
        return inputs[picked[0][2]]

    def truth(self, value: Any) -> bool | None:
        """The BOOLEAN ``value`` carries, or ``None`` when the graph cannot tell it.

        A literal ``True``/``False`` (a number: its truth, as ``if cond:`` takes it); a link to a
        switch, the value it selects; to a ``BOOLEAN_NODES`` node, what it works out of the values the
        graph holds (a comparison of run-time values, such as an image's size, cannot be told); to
        any other node, the boolean its widget holds (``PrimitiveBoolean``, ``ImpactBoolean``). At most
        ``_MAX_NESTING`` logic nodes one behind another are read."""
        return self._truth(value, 0)

    def _truth(self, value: Any, depth: int) -> bool | None:
        value = self.follow(value)
        if isinstance(value, bool | int | float):
            return bool(value)
        found = self.node(value)
        if found is None or depth >= _MAX_NESTING:
            return None
        inputs = found[1]["inputs"]
        keys = BOOLEAN_NODES.get(found[1]["class_type"])
        if keys is None:
            held = self.scalar(value, ("value", "boolean", "BOOLEAN", "bool"))
            return held if isinstance(held, bool) else None
        if len(keys) == 1:  # ImpactNeg
            inner = self._truth(inputs.get(keys[0]), depth + 1)
            return None if inner is None else not inner
        operator, first, second = keys
        chosen = self.scalar(inputs.get(operator), (operator, "value"))
        if chosen in ("and", "or", "xor"):
            a, b = (self._truth(inputs.get(key), depth + 1) for key in (first, second))
            return _logical(str(chosen), a, b)
        if chosen in ("tt", "ff"):
            return chosen == "tt"
        compare = _COMPARISONS.get(chosen) if isinstance(chosen, str) else None
        a, b = (self.scalar(inputs.get(key)) for key in (first, second))
        if compare is None or not _comparable(a, b):
            return None
        return compare(a, b)

    # -- conditioning back to text ---------------------------------------------------------------
    def text(self, link: Any, role: str) -> str | None:
        """Follow a conditioning link back to the first text encoder and return its text.

        A node that joins conditionings (``CONDITIONING_JOINS``) gives the texts of its inputs in
        their order (:meth:`_joined_text`).
        """
        return self._text(link, role, set())[0]

    def text_and_role(self, link: Any, role: str) -> tuple[str | None, str]:
        """:meth:`text`, and the role the text was found in: the walk starts in ``role`` and takes
        the role of the output it comes through on a node with positive and negative outputs
        (``InstructPixToPixConditioning``, ``ControlNetApplyAdvanced``: output 1 is the negative)."""
        return self._text(link, role, set())

    def _text(self, link: Any, role: str, seen: set[str]) -> tuple[str | None, str]:
        pending: list[tuple[Any, str]] = [(link, role)]
        while pending and len(seen) <= WALK_BUDGET:
            current, current_role = pending.pop(0)
            current = self.follow(current)
            found = self.node(current)
            if found is None or found[0] in seen:
                continue
            node_id, node = found
            seen.add(node_id)
            if node["class_type"] in ZERO_CONDITIONING or (
                node["class_type"] in POSITIVE_ONLY_ENCODERS and current_role == "negative"
            ):
                continue
            inputs = node["inputs"]
            if node["class_type"] in NAG_EMBEDS:
                nag_text = self._nag_text(inputs, NAG_EMBEDS[node["class_type"]], current_role, seen)
                if nag_text is not None:
                    return nag_text, current_role
                continue
            if node["class_type"] in EMBEDS_BRIDGES:  # one output carrying both roles' conditionings
                if is_link(inputs.get(current_role), self.graph):
                    pending.append((inputs[current_role], current_role))
                continue
            if node["class_type"] in CONDITIONING_JOINS:
                keys = self._weighted_join_keys(node["class_type"], inputs)
                joined = self._joined_text(inputs, keys, current_role, seen)
                if joined is not None:
                    return joined, current_role
                continue
            if node["class_type"] in ENCODER_OUTPUT_TEXTS:  # one text input behind each output
                keys = ENCODER_OUTPUT_TEXTS[node["class_type"]]
                index = current[1] if isinstance(current[1], int) and 0 <= current[1] < len(keys) else 0
                value = inputs.get(keys[index])
                text = self.string(value) if is_link(value, self.graph) else value
                if isinstance(text, str) and text.strip():
                    return text, "negative" if index % 2 else "positive"
                continue
            if node["class_type"] in TRIGGER_WORD_PROMPTS:  # trigger words + text; its output 1 too
                encoded = self.string([node_id, 1])
                if encoded is not None and encoded.strip():
                    return encoded, current_role
                continue
            if node["class_type"] in PIPE_PROMPT_OVERRIDES:  # met as the positive it makes (_own_field)
                own = self.string(inputs.get(PIPE_PROMPT_OVERRIDES[node["class_type"]]))
                if own is not None and own.strip():
                    return own, current_role
                continue
            if styler_input(node["class_type"], inputs, current[1]) is not None:
                styled = self.string(current)  # a styler feeding a loader's prompt text
                if styled is not None and styled.strip():
                    return styled, current_role
                continue
            pair = conditioning_pair(inputs, partial(is_link, graph=self.graph))
            if pair is not None and not _is_loader(inputs):
                # Nodes like ControlNetApplyAdvanced: output 0 carries positive, output 1 negative
                # (CONDITIONING_OUTPUT_FIRST: further on). A loader's positive/negative (Efficient
                # Loader) are its prompt texts, and its conditioning outputs are not 0/1: the role the
                # walk came with stands. Pipe nodes (contexts) never get here: follow() took the walk
                # to the input of the field.
                negative_output = CONDITIONING_OUTPUT_FIRST.get(node["class_type"], 0) + 1
                current_role = "negative" if current[1] == negative_output else "positive"
            lowered = {key.lower(): value for key, value in inputs.items()}
            for key in ROLE_TEXT_KEYS[current_role]:
                if isinstance(lowered.get(key), str):
                    return str(lowered[key]), current_role
                if key != current_role and is_link(lowered.get(key), self.graph):  # a linked text input
                    role_text = self.string(lowered[key])
                    if role_text is not None and role_text.strip():
                        return role_text, current_role
            has_text_input = False
            for key in TEXT_KEYS:
                if key in lowered:
                    value = lowered[key]
                    if isinstance(value, str) or is_link(value, self.graph):
                        has_text_input = True
                    text = self.string(value) if is_link(value, self.graph) else value
                    if isinstance(text, str) and text.strip():
                        return text, current_role
            if has_text_input:
                continue
            pending.extend(
                (value, current_role) for value in self._conditioning_inputs(inputs, current_role, pair)
            )
        return None, role

    def _nag_text(
        self, inputs: dict[str, Any], keys: tuple[str, str], role: str, seen: set[str]
    ) -> str | None:
        """The text a ``NAG_EMBEDS`` node hands on in ``role``: the original embeds' own, else, for the
        negative, the NAG text (the positive text of the NAG embeds). The walks share ``seen``."""
        original, nag = (inputs.get(key) for key in keys)
        for link, walk_role in [(original, role)] + ([(nag, "positive")] if role == "negative" else []):
            found = self._nested(partial(self._text, link, walk_role, seen))
            if found is not None and found[0] is not None and found[0].strip():
                return found[0]
        return None

    def _weighted_join_keys(self, class_type: str, inputs: dict[str, Any]) -> tuple[str, ...]:
        """The ``CONDITIONING_JOINS`` inputs of a join whose texts shape its output: for a
        ``WEIGHTED_JOINS`` node at weight 1 only the first, at 0 only the second (a weight the graph
        cannot tell keeps both)."""
        keys = CONDITIONING_JOINS[class_type]
        if class_type not in WEIGHTED_JOINS:
            return keys
        weight = as_float(self.scalar(inputs.get(WEIGHTED_JOINS[class_type])))
        if weight is not None and weight >= 1:
            return keys[:1]
        if weight is not None and weight <= 0:
            return keys[1:2]
        return keys

    def _joined_text(
        self, inputs: dict[str, Any], keys: tuple[str, ...], role: str, seen: set[str]
    ) -> str | None:
        """The texts behind a join node's linked ``keys`` inputs, in that order, each stripped and
        kept once, joined with ``PROMPT_PART_SEPARATOR``; ``None`` when none has text. The walks
        share ``seen`` (and so the step budget) and nest at most ``_MAX_NESTING`` joins deep."""
        parts: list[str] = []
        for key in keys:
            if not is_link(inputs.get(key), self.graph):
                continue
            found = self._nested(partial(self._text, inputs[key], role, seen))
            text = found[0] if found is not None else None
            if text is not None and text.strip() and text.strip() not in parts:
                parts.append(text.strip())
        return PROMPT_PART_SEPARATOR.join(parts) or None

    def _conditioning_inputs(
        self, inputs: dict[str, Any], role: str, pair: tuple[str, str] | None = None
    ) -> list[Any]:
        """The conditioning inputs to walk on in ``role``: the input of that role (of ``pair``, the
        node's ``CONDITIONING_PAIRS`` inputs), else every linked conditioning input."""
        key = role if pair is None else pair[role == "negative"]
        if key in inputs and is_link(inputs[key], self.graph):
            return [inputs[key]]
        ordered = sorted(inputs.items(), key=lambda item: (not item[0].startswith("conditioning"), item[0]))
        return [
            value
            for key, value in ordered
            if key.lower() not in NOT_CONDITIONING and is_link(value, self.graph)
        ]

    def scheduler(self, link: Any) -> tuple[str, dict[str, Any]] | None:
        """The node that makes the sigmas ``link`` carries: back through the nodes that cut or change
        sigmas they are given (their ``sigmas`` input: ``SplitSigmas``, ``FlipSigmas``…) to the first
        one that makes them (``BasicScheduler``, ``KarrasScheduler``…). ``None`` at a cycle or past
        ``WALK_BUDGET`` nodes."""
        seen: set[str] = set()
        found = self.source(link)
        while found is not None and found[0] not in seen and len(seen) <= WALK_BUDGET:
            seen.add(found[0])
            given = found[1]["inputs"].get("sigmas")
            if not is_link(given, self.graph):
                return found
            found = self.source(given)
        return None

    # -- model back to the checkpoint -------------------------------------------------------------
    def model(self, link: Any) -> tuple[str | None, list[LoraRef]]:
        """Follow a model link through LoRA loaders/patches to the checkpoint (first model input).

        A node that patches the model it is given (:meth:`_patches_model`: LoRA loaders, AnimateDiff
        loaders whose ``model_name`` is a motion module …) is walked through, never taken for the
        loader of the checkpoint.

        The LoRAs are those every node on the way applies (:meth:`applied_loras`), in the order they
        are applied: the one nearest the checkpoint first.
        """
        applied: list[list[LoraRef]] = []
        """Per node met, nearest the sampler first."""
        seen: set[str] = set()
        current = link
        while len(seen) <= WALK_BUDGET:
            found = self.source(current, "model")
            if found is None or found[0] in seen:
                break
            node_id, node = found
            seen.add(node_id)
            inputs = node["inputs"]
            applied.append(self.applied_loras(node_id, node))
            name = None if self._patches_model(node) else self.checkpoint_name(inputs)
            if name is None and not self._patches_model(node):
                named = _combo_value(inputs.get(MODEL_NAME_INPUT))
                name = named if isinstance(named, str) and named.strip() else None
            if name is not None:
                return name, in_application_order(applied)
            linked = [value for _, value in model_inputs(inputs) if is_link(value, self.graph)]
            linked += [inputs[k] for k in OBJECT_PASS_THROUGH_KEYS if is_link(inputs.get(k), self.graph)]
            current = linked[0] if linked else None
            if current is None:
                break
        return None, in_application_order(applied)

    def _patches_model(self, node: dict[str, Any]) -> bool:
        """A node that patches the model it is given, so that a ``CHECKPOINT_KEYS`` name in it is
        what it patches in, not the checkpoint: a LoRA loader (by class name), a
        ``MODEL_PATCH_NODES`` node, or any node whose ``MODEL_PATCH_INPUT`` is linked."""
        class_type = node["class_type"]
        return (
            "lora" in class_type.lower()
            or class_type in MODEL_PATCH_NODES
            or is_link(node["inputs"].get(MODEL_PATCH_INPUT), self.graph)
        )

    def checkpoint_name(self, inputs: dict[str, Any]) -> str | None:
        """The checkpoint a loader loads: its first ``CHECKPOINT_KEYS`` input that resolves to a name
        (written, a pysssss ``{"content": name}`` combo value, or linked from a selector or a string
        node), else ``None``."""
        for key in CHECKPOINT_KEYS:
            if key in inputs:
                name = self.string(inputs[key])
                if name is not None and name.strip():
                    return name
        return None

    # -- LoRAs one model node applies -------------------------------------------------------------
    def applied_loras(self, node_id: str, node: dict[str, Any]) -> list[LoraRef]:
        """The LoRAs a node on the model path applies, in the order it applies them.

        A node's own LoRAs (:meth:`_own_loras`) come first, then those of the ``LORA_STACK`` chain
        behind its stack input (``STACK_INPUTS``), each stack node's own rows before the stack it
        extends (Efficiency Nodes); ``CHAIN_FIRST_PREFIXES`` nodes put the stack they extend first. An
        ``easy loraStack`` toggled off outputs no stack: the chain ends before it. The chain walk ends
        at a cycle or after ``WALK_BUDGET`` nodes. Worked out once per node (:attr:`_applied`); the
        list returned is the caller's own.
        """
        if node_id not in self._applied:
            self._applied[node_id] = self._chained_loras(node_id, node)
        return list(self._applied[node_id])

    def _chained_loras(self, node_id: str, node: dict[str, Any]) -> list[LoraRef]:
        """:meth:`applied_loras`, worked out."""
        groups: list[tuple[list[LoraRef], bool]] = []
        seen = {node_id}
        current: tuple[str, dict[str, Any]] | None = (node_id, node)
        while current is not None and len(seen) <= WALK_BUDGET:
            current_id, current_node = current
            inputs = current_node["inputs"]
            if current_node is not node and not switched_on(
                self.scalar(inputs.get(STACK_TOGGLE), (STACK_TOGGLE, "value"))
            ):
                break
            if current_id not in self._own:
                self._own[current_id] = self._own_loras(current_node)
            chain_first = current_node["class_type"].startswith(CHAIN_FIRST_PREFIXES)
            groups.append((self._own[current_id], chain_first))
            found = self.source(
                next((inputs[key] for key in STACK_INPUTS if is_link(inputs.get(key), self.graph)), None)
            )
            current = None
            if found is not None and found[0] not in seen:
                seen.add(found[0])
                current = found
        loras: list[LoraRef] = []
        for own, chain_first in reversed(groups):
            loras = loras + own if chain_first else own + loras
        return loras

    def _own_loras(self, node: dict[str, Any]) -> list[LoraRef]:
        """A node's own LoRAs: its ``lora_name`` (with ``strength_model``-like strengths), then its
        numbered rows (:meth:`_row_loras`), its listed ones (:meth:`_listed_loras`), then the
        ``<lora:…>`` tags of a tag-loading node's text.

        A LoRA left out applies nothing: named ``None``, switched off, or at model and clip strength 0
        (:meth:`_lora_ref`). Strengths and names follow links to primitive nodes.
        """
        inputs = node["inputs"]
        own = [
            self._lora_ref(
                self._lora_name(inputs),
                self._strength(inputs, LORA_MODEL_KEYS),
                self._strength(inputs, LORA_CLIP_KEYS),
            ),
            *self._row_loras(inputs),
            *self._listed_loras(inputs.get(LISTED_LORA_INPUT)),
            *self._tag_loras(node),
            self._preset_lora(node),
        ]
        return [lora for lora in own if lora is not None]

    def _lora_name(self, inputs: dict[str, Any]) -> Any:
        """The node's LoRA name (``LORA_NAME_KEYS``); a linked ``lora`` is a stack, never a name."""
        for key in LORA_NAME_KEYS:
            value = inputs.get(key)
            if value is not None and not (key in STACK_INPUTS and is_link(value, self.graph)):
                return value
        return None

    def _row_loras(self, inputs: dict[str, Any]) -> list[LoraRef | None]:
        """The numbered rows (``NUMBERED_LORA``) in row order, those past the ``ROW_COUNT_KEYS`` count
        left out.

        A dict row is a Power Lora Loader row (``on``, ``lora``, ``strength``, ``strengthTwo`` for
        the clip); any other row is a name whose strengths are the ``SIMPLE_ROW_STRENGTHS`` (or, with
        ``ROW_MODE_KEYS`` mode "advanced", ``ADVANCED_ROW_STRENGTHS``) inputs of the same number and
        whose ``switch_N`` ("On"/"Off") may turn it off.
        """
        count_key = next((key for key in ROW_COUNT_KEYS if key in inputs), None)
        count = as_int(self.scalar(inputs[count_key])) if count_key is not None else None
        advanced = any(self.scalar(inputs.get(key), (key, "value")) == "advanced" for key in ROW_MODE_KEYS)
        model_prefixes, clip_prefixes = ADVANCED_ROW_STRENGTHS if advanced else SIMPLE_ROW_STRENGTHS
        rows: list[tuple[int, LoraRef | None]] = []
        for key, value in inputs.items():
            match = NUMBERED_LORA.fullmatch(key)
            if match is None or (count is not None and int(match[1]) > count):
                continue
            number = match[1]
            if isinstance(value, dict):
                strength = as_float(value.get("strength"))
                clip = as_float(value["strengthTwo"]) if value.get("strengthTwo") is not None else strength
                lora = self._lora_ref(value.get("lora"), strength, clip) if value.get("on") is True else None
            elif switched_on(self.scalar(inputs.get(f"switch_{number}"), ("switch", "value"))):
                model = self._strength(inputs, tuple(key.format(number) for key in model_prefixes))
                clip = self._strength(inputs, tuple(key.format(number) for key in clip_prefixes))
                lora = self._lora_ref(value, model, clip)
            else:
                lora = None
            rows.append((int(number), lora))
        rows.sort(key=lambda row: row[0])
        return [lora for _, lora in rows]

    def _listed_loras(self, listed: Any) -> list[LoraRef | None]:
        """The LoRAs a ``loras`` input lists (``LISTED_LORA_INPUT``): Lora Manager's active rows at
        their ``strength`` (``clipStrength`` for the clip, else the same), or the ``<lora:…>`` tags of
        a text (:meth:`_tagged`). Anything else lists none."""
        if isinstance(listed, dict):
            rows = listed.get("__value__")
            return [
                self._lora_ref(
                    row.get("name"),
                    as_float(row.get("strength")),
                    as_float(row.get("clipStrength", row.get("strength"))),
                )
                for row in (rows if isinstance(rows, list) else [])
                if isinstance(row, dict) and row.get("active") is True
            ]
        return self._tagged(listed) if listed is not None else []

    def _tag_loras(self, node: dict[str, Any]) -> list[LoraRef | None]:
        """The ``<lora:name:weight>`` tags a tag-loading node (``TAG_LORA_INPUTS``) applies
        (:meth:`_tagged`): those of its first present input, or of each (``EVERY_TAG_INPUT``)."""
        inputs = node["inputs"]
        keys = [key for key in TAG_LORA_INPUTS.get(node["class_type"], ()) if key in inputs]
        if node["class_type"] not in EVERY_TAG_INPUT:
            keys = keys[:1]
        return [lora for key in keys for lora in self._tagged(inputs[key])]

    def _preset_lora(self, node: dict[str, Any]) -> LoraRef | None:
        """The LoRA a preset loader (``PRESET_LORAS``) loads for its preset, at its
        ``PRESET_LORA_STRENGTH`` on the model only; ``None`` for other nodes, presets without one, or
        strength 0. SD1.5 or SDXL is told from the checkpoint behind its ``model`` input
        (:func:`_is_sdxl_name`)."""
        presets = PRESET_LORAS.get(node["class_type"])
        if presets is None:
            return None
        inputs = node["inputs"]
        preset = self.string(inputs.get("preset"))
        names = presets.get(preset.strip().lower()) if isinstance(preset, str) else None
        if names is None:
            return None
        checkpoint = self._nested(partial(self.model, inputs.get("model")))
        name = names[1] if checkpoint is not None and _is_sdxl_name(checkpoint[0]) else names[0]
        strength = self._strength(inputs, (PRESET_LORA_STRENGTH,))
        if name is None or strength is None or strength <= 0:
            return None
        return LoraRef(name, strength)

    def _tagged(self, text: Any) -> list[LoraRef | None]:
        """The ``<lora:name:weight>`` tags of a text (links followed); a tag without a weight applies
        at 1.0, as the tag-loading nodes load it."""
        loras: list[LoraRef | None] = []
        for tagged in inline_loras(self.string(text)):
            weight = 1.0 if tagged.weight is None else tagged.weight
            loras.append(self._lora_ref(tagged.name, weight, weight))
        return loras

    def _strength(self, inputs: dict[str, Any], keys: tuple[str, ...]) -> float | None:
        """The first of ``keys`` present in ``inputs``, as a number (links followed), else ``None``."""
        key = next((key for key in keys if key in inputs), None)
        return as_float(self.scalar(inputs[key])) if key is not None else None

    def _lora_ref(self, name: Any, model: float | None, clip: float | None) -> LoraRef | None:
        """A LoRA at model strength ``model``, or ``None`` when it applies nothing: no name, ``None``,
        or model and clip strengths both 0 (a missing clip strength counts as 0; the loaders skip such
        a LoRA)."""
        resolved = self.string(name)
        if resolved is None or not resolved.strip() or resolved.strip().lower() == "none":
            return None
        if model == 0 and not clip:
            return None
        return LoraRef(resolved, model)

    # -- latent back to the size ------------------------------------------------------------------
    def latent(self, link: Any, samplers: set[str]) -> tuple[int | None, int | None, str | None, str | None]:
        """``(width, height, upstream_sampler_id, source_image)`` for a latent input.

        The walk goes back along image and latent inputs and through pass-through nodes
        (:func:`~engine.metadata.comfy_outputs.carries_pixels`; a switch's selected one only, a pipe
        field to what feeds it); the size is that of the first node met that makes one (:meth:`size`). A
        resize that keeps the input's proportions (:meth:`_keeps_proportion`) met first makes the size
        unknowable: ``None``, never a size found behind it.
        """
        seen: set[str] = set()
        pending = [link]
        width = height = None
        upstream = source = None
        sized = False  # a node met made the size, or made it unknowable (a resize keeping proportions)
        while pending and len(seen) <= WALK_BUDGET:
            found = self.source(pending.pop(0))
            if found is None or found[0] in seen:
                continue
            node_id, node = found
            seen.add(node_id)
            if node_id in samplers:
                upstream = upstream or node_id
                continue
            inputs = node["inputs"]
            if not sized:
                width, height = (None, None) if self._keeps_proportion(inputs) else self.size(node_id)
                sized = width is not None or self._keeps_proportion(inputs)
            if (
                source is None
                and node["class_type"].startswith("LoadImage")
                and isinstance(inputs.get("image"), str)
            ):
                source = inputs["image"]
            pending.extend(
                value
                for key, value in sorted(inputs.items())
                if carries_pixels(key) and is_link(value, self.graph)
            )
        return width, height, upstream, source

    def _keeps_proportion(self, inputs: dict[str, Any]) -> bool:
        """An image resize whose width/height bound the size rather than make it
        (``RESIZE_KEEPS_PROPORTION``, ``RESIZE_CONDITION``)."""
        for key, values in RESIZE_KEEPS_PROPORTION.items():
            chosen = self.scalar(inputs.get(key), (key, "value"))
            if chosen in values or (isinstance(chosen, str) and chosen.strip().lower() in values):
                return True
        key, always = RESIZE_CONDITION
        chosen = self.scalar(inputs.get(key), (key, "value"))
        return isinstance(chosen, str) and chosen.strip().lower() != always and "width" in inputs

    def size(self, node_id: str) -> tuple[int | None, int | None]:
        """``(width, height)`` of the latent a node makes, ``(None, None)`` for a node that makes none.

        A preset (``SIZE_PRESET_KEYS``) that names a size wins over the node's ``SIZE_KEYS`` inputs;
        then a non-zero ``width_override``/``height_override`` replaces a side (essentials), a
        ``swap_dimensions`` (or the node's ``SIZE_SWAP_KEYS`` toggle) turned on swaps the sides and a
        ``prescale_factor`` scales both, as Comfyroll's aspect-ratio nodes do (their ``upscale_factor``
        is for a later upscale, not the latent).
        """
        if node_id not in self._sizes:
            self._sizes[node_id] = (None, None)  # a size linked back to itself finds nothing
            node = self.graph[node_id]
            sized = self._nested(partial(self._size, node["class_type"], node["inputs"]))
            self._sizes[node_id] = sized or (None, None)
        return self._sizes[node_id]

    def _preset_column(self, class_type: str, inputs: dict[str, Any], count: int) -> int | None:
        """Which of the ``count`` sizes a preset choice lists is made: the first, or for a node of
        ``SIZE_PRESET_COLUMNS`` the one its model input picks (``None`` when that cannot be told)."""
        columns = SIZE_PRESET_COLUMNS.get(class_type)
        if columns is None:
            return 0
        key, names = columns
        chosen = self.string(inputs.get(key))
        if chosen not in names or names.index(chosen) >= count:
            return None
        return names.index(chosen)

    def _size(self, class_type: str, inputs: dict[str, Any]) -> tuple[int | None, int | None]:
        width = height = None
        for key in SIZE_PRESET_KEYS:
            sizes = PRESET_SIZE.findall(self.string(inputs.get(key)) or "")
            if sizes:
                column = self._preset_column(class_type, inputs, len(sizes))
                if column is not None:
                    width, height = int(sizes[column][0]), int(sizes[column][1])
                break
        else:
            keys = next((pair for pair in SIZE_KEYS if pair[0] in inputs and pair[1] in inputs), None)
            if keys is not None:
                width, height = (as_int(self.scalar(inputs[key])) for key in keys)
        width_override = as_int(self.scalar(inputs.get("width_override")))
        height_override = as_int(self.scalar(inputs.get("height_override")))
        width = width_override if width_override else width
        height = height_override if height_override else height
        if width is None or height is None:
            return width, height
        swap = SIZE_SWAP_KEYS.get(class_type, "swap_dimensions")
        if is_on(self.scalar(inputs.get(swap), (swap, "value"))):
            width, height = height, width
        scale = as_float(self.scalar(inputs.get("prescale_factor")))
        if scale is not None and scale > 0:
            width, height = _scaled(width, scale), _scaled(height, scale)
        return width, height


def _scaled(side: int, scale: float) -> int | None:
    """``side * scale`` truncated, or ``None`` when that is no finite integer :func:`as_int` takes: a
    hostile ``prescale_factor`` (``1e308``) makes the product infinite, on which ``int()`` raises
    ``OverflowError`` (the whole reading was lost as a reader bug)."""
    product = side * scale
    return as_int(math.trunc(product)) if math.isfinite(product) else None


def _is_loader(inputs: dict[str, Any]) -> bool:
    """A node that loads a checkpoint (a ``CHECKPOINT_KEYS`` name is written in it)."""
    return any(isinstance(_combo_value(inputs.get(key)), str) for key in CHECKPOINT_KEYS)


def _natural_key(key: str) -> list[tuple[int, str]]:
    """An input name split into text and numbers, for sorting ``string_2`` before ``string_10``: the
    split alternates text and digits, and a number compares by its length, then its digits (never
    ``int()``, which refuses a hostile name of thousands of digits)."""
    return [
        (len(part.lstrip("0")), part.lstrip("0")) if index % 2 else (0, part)
        for index, part in enumerate(_DIGITS.split(key))
    ]


def _regional_inputs(inputs: dict[str, Any]) -> list[Any]:
    """A node's ``REGIONAL_PROMPTS_INPUT`` inputs, in number order (``regional_prompts`` first)."""
    keys = sorted((key for key in inputs if REGIONAL_PROMPTS_INPUT.fullmatch(key)), key=_natural_key)
    return [inputs[key] for key in keys]


def _switch_like(node: dict[str, Any]) -> bool:
    """A node that may hand on one of its inputs (:meth:`GraphWalker.switch_branch`): a boolean
    switch's ``on_true``/``on_false``, a Comfyroll switch's ``Input``, an Impact switch's ``select``, a
    ``FIRST_CONNECTED_SWITCHES`` or ``CONDITIONAL_BRANCHES`` node."""
    inputs = node["inputs"]
    return (
        "on_true" in inputs
        or "on_false" in inputs
        or "Input" in inputs
        or _impact_switch(inputs)
        or node["class_type"] in FIRST_CONNECTED_SWITCHES
        or node["class_type"] in CONDITIONAL_BRANCHES
    )


def _comparable(a: Any, b: Any) -> bool:
    """Two values ``ImpactCompare`` compares the same way here: both numbers, or both strings."""
    numbers = all(isinstance(value, int | float) for value in (a, b))
    return numbers or (isinstance(a, str) and isinstance(b, str))


def _logical(operator: str, a: bool | None, b: bool | None) -> bool | None:
    """``ImpactLogicalOperators``' ``and``/``or``/``xor`` of two truths, ``None`` for an unknown one
    (unless the other decides: ``False and …``, ``True or …``)."""
    if operator == "and":
        return False if False in (a, b) else (None if None in (a, b) else True)
    if operator == "or":
        return True if True in (a, b) else (None if None in (a, b) else False)
    return None if a is None or b is None else a != b


def _impact_switch(inputs: dict[str, Any]) -> bool:
    """Impact's ``ImpactSwitch``: a ``select`` number picking one of ``input1``, ``input2``…"""
    return "select" in inputs and "input1" in inputs


def _combo_value(value: Any) -> Any:
    """A combo widget's value. pysssss' image combos (``CheckpointLoader|pysssss``,
    ``LoraLoader|pysssss``) write ``{"content": name, "image": preview}``: the value is ``content``."""
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return value["content"]
    return value


def _value_output(class_type: str, output: Any) -> tuple[str] | None:
    """``(input,)`` behind output ``output`` of a ``VALUE_OUTPUTS`` node; ``None`` for any other."""
    outputs = VALUE_OUTPUTS.get(class_type, ())
    if isinstance(output, int) and 0 <= output < len(outputs):
        return (outputs[output],)
    return None


_SDXL_NAME = re.compile(r"xl|pony|illustrious|noob", re.IGNORECASE)
"""Checkpoint names of the SDXL family: ``…XL…`` (``sd_xl_base``, ``juggernautXL``, ``RealVisXL``),
and the SDXL-based Pony, Illustrious and NoobAI lines."""


def _is_sdxl_name(name: str | None) -> bool:
    """Whether a checkpoint name is of the SDXL family (:data:`_SDXL_NAME`); ``False`` for none."""
    return bool(name) and _SDXL_NAME.search(name or "") is not None


def _pipe_output(class_type: str, output: Any) -> str | None:
    """The field output ``output`` of a ``PIPE_OUTPUTS`` node carries; ``None`` for a whole-pipe
    output and for any other node."""
    outputs = PIPE_OUTPUTS.get(class_type, ())
    if isinstance(output, int) and 0 <= output < len(outputs):
        return outputs[output]
    return None


def is_on(value: Any) -> bool:
    """A toggle turned on: ``True``, or "On"/"true"/"yes"/"enable(d)" (Comfyroll's ``swap_dimensions``)."""
    return value is True or (
        isinstance(value, str) and value.strip().lower() in ("on", "true", "yes", "enable", "enabled")
    )


def name_value(value: Any) -> str | None:
    """A non-empty string value, else None (a sampler, scheduler or style name)."""
    return value if isinstance(value, str) and value else None


def workflow_hash(graph: Graph) -> str:
    """SHA-256 (32 hex chars) of the sorted node class types and typed links; ids and values ignored."""
    classes = sorted(node["class_type"] for node in graph.values())
    edges: list[str] = []
    for node in graph.values():
        for key, value in node["inputs"].items():
            if is_link(value, graph):
                source = graph[str(value[0])]["class_type"]
                edges.append(f"{source}#{value[1]}->{node['class_type']}.{key}")
    edges.sort()
    digest = hashlib.sha256("\n".join([*classes, "--", *edges]).encode("utf-8", errors="replace"))
    return digest.hexdigest()[:32]
