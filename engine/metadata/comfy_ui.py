"""The API graph a ComfyUI frontend would queue, rebuilt from a UI-format ``workflow``
(``nodes`` / ``links`` / ``widgets_values``), for files that carry only that chunk (frontends and
tools that re-save an image keep it and drop ``prompt``).

What the frontend does when it turns the canvas into a prompt, and so what this does:

- frontend-only nodes (``Note``, ``Reroute``, ``PrimitiveNode`` …, :data:`VIRTUAL_NODES`) are not
  sent: a link from a reroute (core ``Reroute``, rgthree's ``Reroute (rgthree)``: :data:`REROUTE_NODES`)
  is followed to its source, a link from a ``PrimitiveNode`` becomes its value;
- a muted node (``mode`` 2) is not sent and links from it are dropped; a bypassed node (``mode`` 4) is
  not sent and a link from one of its outputs passes to its input of the same type (the input at the
  same slot first);
- a legacy group node instance (``workflow/NAME``, ``workflow>NAME``) is replaced by its inner nodes
  first (:mod:`engine.metadata.comfy_group_nodes`);
- a subgraph instance (its ``type`` names an entry of ``definitions.subgraphs``) is replaced by its
  inner nodes, with ids ``"<instance id>:<inner id>"``; a link from the instance's output goes to the
  inner node linked to the subgraph's output node, a link from the subgraph's input node to what feeds
  the instance's input of that name: its link, else the value of its promoted widget;
- KJNodes' ``GetNode`` delivers what feeds the ``SetNode`` of the same name (first widget) in the same
  graph, at the same slot; a link from a ``SetNode``'s output passes to its input like a reroute's;
- an input left unconnected that UseEverywhere's ``extra.ue_links`` record names (``downstream``,
  ``downstream_slot``) gets the link the pack adds when queueing (``upstream``, ``upstream_slot``);
- positional ``widgets_values`` are named by :data:`WIDGET_NAMES` (a node not listed keeps only its
  links; :data:`LEADING_WIDGETS` tells a layout by its first value, :data:`CONTROL_LAYOUTS` by where
  its seed's control value sits; :data:`ROW_WIDGETS` name
  dict rows; a list value is wrapped as ``{"__value__": list}`` like the frontend's
  ``graphToPrompt``); a negative ``seed``/``noise_seed`` (which the server refuses: Efficiency's "random each
  queue" -1, rgthree Seed's -1 / -2 / -3) is no value; a dict of values (VideoHelperSuite) is taken
  as it is; a linked input wins over a widget.

Invariants: the result only holds nodes the frontend would send, keyed by string ids, each
``{"class_type": str, "inputs": dict}``; every link in it is ``[node_id, output_index]``; no input
gets what lies more than :data:`_MAX_DEPTH` links or subgraph levels away, a subgraph definition is
read once for all its instances, a link is walked once for all its readers (and for all the links
whose walks pass through it), all walks together follow at most :data:`_HOP_BUDGET` links, and at
most ``MAX_GRAPH_NODES`` nodes come out, so a hostile workflow ends quickly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeGuard

from engine.metadata.comfy_group_nodes import expand_group_nodes
from engine.metadata.comfy_widgets import REROUTE_NODES, ROW_WIDGETS, VIRTUAL_NODES, widget_names
from engine.metadata.limits import MAX_GRAPH_NODES

_MAX_DEPTH = 64
"""Most links one input's resolution follows (reroutes, bypasses, subgraph boundaries)."""
_MAX_LEVELS = 8
"""Most subgraph instances nested in one another that are expanded."""
_VISIT_BUDGET = 4 * MAX_GRAPH_NODES
_HOP_BUDGET = 20 * MAX_GRAPH_NODES
"""Most links the walks of one conversion follow (each link is walked once, whatever the number of its
readers: :meth:`_Converter._answer`); past it, a link not walked yet delivers nothing."""
_INPUT_NODE = "-10"
_OUTPUT_NODE = "-20"
_MUTED, _BYPASSED = 2, 4
_SEED_WIDGETS = frozenset({"seed", "noise_seed"})
"""Seed widgets: the server takes 0 or more, so a negative one is a pack's "random each queue" marker."""

Link = tuple[str, int, str, int, str]
"""``(origin_id, origin_slot, target_id, target_slot, type)``; ids as strings."""
Source = tuple[str, int, str]
"""``(origin_id, origin_slot, type)`` of a virtual link (UseEverywhere); ids as strings."""


@dataclass
class _Layout:
    """What one graph level's document says: the top-level workflow's, or a subgraph definition's,
    read once and shared by all the definition's instances."""

    nodes: dict[str, dict[str, Any]]
    links: dict[str, Link]
    input_ids: frozenset[str]
    output_ids: frozenset[str]
    input_names: list[str]
    setters: dict[str, dict[str, Any]]
    """KJNodes ``SetNode`` nodes by their name (first widget value, a string); the first one wins."""
    broadcasts: dict[tuple[str, int], Source]
    """UseEverywhere's links by ``(target_id, input_index)``."""
    outputs: dict[int, Link]
    """The first link (in ``links`` order) into the subgraph's output node, by output slot."""


@dataclass
class _Scope:
    """One graph level: the top-level workflow or one subgraph instance (its definition's layout)."""

    layout: _Layout
    prefix: str = ""
    parent: _Scope | None = None
    instance: dict[str, Any] | None = None
    level: int = 0
    fed: dict[str, Any] | None = None
    """The instance's first link into each input, by input name (read on first use)."""
    promoted: dict[str, Any] = field(default_factory=dict)
    """The instance's promoted widget values (:func:`_promoted_values`, read with ``fed``)."""

    def exec_id(self, node_id: str) -> str:
        return f"{self.prefix}:{node_id}" if self.prefix else node_id


@dataclass
class _PassThrough:
    """A node's inputs, indexed once for :meth:`_Converter._pass_through` (a bypassed node may
    carry any number of them and be read through by any number of links)."""

    inputs: list[dict[str, Any]]
    first_linked: int
    """Index of the first input with a link (``len(inputs)`` when none has one)."""
    first_of_type: dict[str, int]
    """Index of the first input with a link, by the input's type (as a string)."""


class _Step(NamedTuple):
    """Where a walk from a node's output goes: on to the link ``onward`` (its scope and link id), else
    nowhere, delivering ``result``; ``depth`` counts the subgraph outputs it went into on the way
    (each one link deeper)."""

    result: tuple[Any] | None
    onward: tuple[_Scope, str] | None
    depth: int


def api_from_workflow(document: Any) -> dict[str, dict[str, Any]] | None:
    """The API-format node dict for a UI workflow, or ``None`` when ``document`` is none."""
    if not isinstance(document, dict) or not isinstance(document.get("nodes"), list):
        return None
    document = expand_group_nodes(document)
    definitions = document.get("definitions")
    subgraphs: dict[str, dict[str, Any]] = {}
    if isinstance(definitions, dict) and isinstance(definitions.get("subgraphs"), list):
        for definition in definitions["subgraphs"]:
            if isinstance(definition, dict) and isinstance(definition.get("id"), str):
                subgraphs[definition["id"]] = definition
    converter = _Converter(subgraphs)
    converter.emit(_Scope(_layout(document)))
    return converter.graph or None


def _layout(document: dict[str, Any]) -> _Layout:
    nodes = {
        str(node["id"]): node
        for node in _list(document.get("nodes"))
        if isinstance(node, dict)
        and isinstance(node.get("id"), int | str)
        and isinstance(node.get("type"), str)
    }
    links: dict[str, Link] = {}
    for entry in _list(document.get("links")):
        link = _link(entry)
        if link is not None:
            links[link[0]] = link[1:]
    input_ids, output_ids = {_INPUT_NODE}, {_OUTPUT_NODE}
    for key, ids in (("inputNode", input_ids), ("outputNode", output_ids)):
        boundary = document.get(key)
        if isinstance(boundary, dict) and isinstance(boundary.get("id"), int | str):
            ids.add(str(boundary["id"]))
    names = [
        str(item.get("name")) if isinstance(item, dict) else "" for item in _list(document.get("inputs"))
    ]
    setters: dict[str, dict[str, Any]] = {}
    for node in nodes.values():
        name = _first_widget(node)
        if node["type"] == "SetNode" and isinstance(name, str):
            setters.setdefault(name, node)
    outputs: dict[int, Link] = {}
    for entry in links.values():
        if entry[2] in output_ids:
            outputs.setdefault(entry[3], entry)
    return _Layout(
        nodes,
        links,
        frozenset(input_ids),
        frozenset(output_ids),
        names,
        setters,
        _broadcasts(document.get("extra")),
        outputs,
    )


def _is_index(value: Any) -> TypeGuard[int]:
    """A slot index: a non-negative ``int`` (not a ``bool``)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _first_widget(node: dict[str, Any]) -> Any:
    values = node.get("widgets_values")
    return values[0] if isinstance(values, list) and values else None


def _broadcasts(extra: Any) -> dict[tuple[str, int], Source]:
    """UseEverywhere's ``extra.ue_links`` entries ``{downstream, downstream_slot, upstream,
    upstream_slot, type}`` by ``(downstream, downstream_slot)``; malformed entries are skipped."""
    found: dict[tuple[str, int], Source] = {}
    entries = extra.get("ue_links") if isinstance(extra, dict) else None
    for entry in _list(entries):
        if not isinstance(entry, dict):
            continue
        target, target_slot = entry.get("downstream"), entry.get("downstream_slot")
        origin, origin_slot = entry.get("upstream"), entry.get("upstream_slot")
        if not all(isinstance(v, int | str) and not isinstance(v, bool) for v in (target, origin)):
            continue
        if not (_is_index(target_slot) and _is_index(origin_slot)):
            continue
        link_type = entry.get("type")
        found.setdefault(
            (str(target), target_slot),
            (str(origin), origin_slot, link_type if isinstance(link_type, str) else ""),
        )
    return found


def _list(value: Any) -> list[Any]:
    """``value`` when it is a list, else empty: a workflow's arrays may hold anything."""
    return value if isinstance(value, list) else []


def _link(entry: Any) -> tuple[str, str, int, str, int, str] | None:
    """``(link_id, origin_id, origin_slot, target_id, target_slot, type)`` of an array or object link."""
    if isinstance(entry, list):
        if len(entry) < 5:
            return None
        link_id, origin, origin_slot, target, target_slot = entry[:5]
        link_type = entry[5] if len(entry) > 5 else ""
    elif isinstance(entry, dict):
        link_id, origin, target = entry.get("id"), entry.get("origin_id"), entry.get("target_id")
        origin_slot, target_slot, link_type = (
            entry.get("origin_slot"),
            entry.get("target_slot"),
            entry.get("type"),
        )
    else:
        return None
    if not (
        isinstance(origin_slot, int)
        and isinstance(target_slot, int)
        and _is_id(link_id)
        and _is_id(origin)
        and _is_id(target)
    ):
        return None
    return str(link_id), str(origin), origin_slot, str(target), target_slot, str(link_type or "")


def _is_id(value: Any) -> bool:
    """A node or link id: an ``int`` (not a ``bool``) or a ``str``."""
    return isinstance(value, int | str) and not isinstance(value, bool)


class _Converter:
    def __init__(self, subgraphs: dict[str, dict[str, Any]]) -> None:
        self.subgraphs = subgraphs
        self.graph: dict[str, dict[str, Any]] = {}
        self.visits = 0
        """Nodes looked at by :meth:`emit`, at most ``_VISIT_BUDGET`` (instances of instances that hold
        no sendable node would otherwise multiply level by level)."""
        self._scopes: dict[str, _Scope] = {}
        """Expanded subgraph instances by their exec id, built once."""
        self._layouts: dict[str, _Layout] = {}
        """Subgraph definitions' layouts by subgraph id, read once for all their instances."""
        self._pass_throughs: dict[int, _PassThrough] = {}
        """:class:`_PassThrough` per node (by ``id``), built once."""
        self._answers: dict[tuple[int, str], tuple[tuple[Any] | None, int]] = {}
        """What a link delivers, per ``(id(scope), link_id)``, and the link depth its walk needs: the
        links (and subgraph outputs) from it to where the walk ends, at most ``_MAX_DEPTH + 1`` (so
        for a walk round a cycle, or one cut short by ``_HOP_BUDGET``: it delivers nothing from any
        depth)."""
        self.hops = 0
        """Links :meth:`_answer` has followed, each once, at most ``_HOP_BUDGET``."""

    def emit(self, scope: _Scope) -> None:
        """Add every node of ``scope`` the frontend would send (subgraph instances expanded)."""
        for node_id, node in scope.layout.nodes.items():
            self.visits += 1
            if len(self.graph) >= MAX_GRAPH_NODES or self.visits > _VISIT_BUDGET:
                return
            node_type = node["type"]
            if node.get("mode") in (_MUTED, _BYPASSED) or node_type in VIRTUAL_NODES:
                continue
            inner = self._instance_scope(scope, node_id, node)
            if inner is not None:
                self.emit(inner)
                continue
            if node_type in self.subgraphs:
                continue  # nested too deep
            self.graph[scope.exec_id(node_id)] = {
                "class_type": node_type,
                "inputs": self._inputs(scope, node_id, node),
            }

    def _instance_scope(self, scope: _Scope, node_id: str, node: dict[str, Any]) -> _Scope | None:
        definition = self.subgraphs.get(node["type"])
        if definition is None or scope.level >= _MAX_LEVELS:
            return None
        exec_id = scope.exec_id(node_id)
        if exec_id not in self._scopes:
            layout = self._layouts.get(node["type"])
            if layout is None:
                layout = self._layouts[node["type"]] = _layout(definition)
            self._scopes[exec_id] = _Scope(layout, exec_id, scope, node, scope.level + 1)
        return self._scopes[exec_id]

    def _inputs(self, scope: _Scope, node_id: str, node: dict[str, Any]) -> dict[str, Any]:
        inputs = _widget_inputs(node)
        for index, entry in enumerate(_list(node.get("inputs"))):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            link_id = entry.get("link")
            resolved: tuple[Any] | None = None
            if link_id is not None and not isinstance(link_id, bool):
                resolved = self.resolve(scope, str(link_id), 0)
            elif (node_id, index) in scope.layout.broadcasts:
                origin, slot, link_type = scope.layout.broadcasts[(node_id, index)]
                resolved = self._delivered(self._output_step(scope, origin, slot, link_type), 1)
            if resolved is not None:
                inputs[entry["name"]] = resolved[0]
        return inputs

    def resolve(self, scope: _Scope, link_id: str, depth: int) -> tuple[Any] | None:
        """What a link met ``depth`` links away from the input reading it delivers: ``([node_id,
        slot],)`` of a sent node, ``(value,)`` of a primitive or a promoted widget, or ``None`` (no such
        link, a muted source, a bypass with no matching input, a walk that would go past
        ``_MAX_DEPTH`` links)."""
        result, needed = self._answer(scope, link_id)
        return result if depth + needed <= _MAX_DEPTH else None

    def _delivered(self, step: _Step, depth: int) -> tuple[Any] | None:
        """What ``step``, taken ``depth`` links away from the input reading it, delivers."""
        if step.onward is not None:
            return self.resolve(*step.onward, depth + step.depth)
        return step.result if depth + step.depth <= _MAX_DEPTH else None

    def _answer(self, scope: _Scope, link_id: str) -> tuple[tuple[Any] | None, int]:
        """What a link delivers and the link depth its walk needs (see ``_answers``), whatever the
        depth it is met at.

        A link's walk does not depend on where it was entered, so the links along it are walked one
        after another (not one inside another: a chain of thousands of reroutes is no deeper a call)
        until one whose answer is known, and every link walked keeps its answer with the depth it
        needs: a link met again (by the many readers of one reroute chain, read from its far end
        first or not; the many inputs of one node) is answered from that, and no link is walked twice.
        Once ``_HOP_BUDGET`` links have been walked, a link not answered yet delivers nothing."""
        path: list[tuple[tuple[int, str], int]] = []
        """The links walked, each with the depth from it to the next one."""
        on_path: set[tuple[int, str]] = set()
        while True:
            key = (id(scope), link_id)
            known = self._answers.get(key)
            if known is not None:
                result, needed = known
                break
            if key in on_path or self.hops >= _HOP_BUDGET:  # round a cycle, or out of budget
                result, needed = None, _MAX_DEPTH + 1
                break
            self.hops += 1
            on_path.add(key)
            link = scope.layout.links.get(link_id)
            if link is None:
                path.append((key, 0))
                result, needed = None, 0
                break
            origin, slot, _target, _target_slot, link_type = link
            step = self._output_step(scope, origin, slot, link_type)
            path.append((key, 1 + step.depth))
            if step.onward is None:
                result, needed = step.result, 0
                break
            scope, link_id = step.onward
        for key, depth in reversed(path):
            needed = min(needed + depth, _MAX_DEPTH + 1)
            self._answers[key] = (result, needed)
        return result, needed

    def _output_step(self, scope: _Scope, origin: str, slot: int, link_type: str) -> _Step:
        """Where a walk from output ``slot`` of node ``origin`` goes: on through a reroute, a
        ``SetNode`` (a ``GetNode``'s), a bypassed node or a subgraph's input, into the subgraph an
        instance expands (at most ``_MAX_LEVELS`` one inside another), or nowhere."""
        depth = 0
        while True:
            layout = scope.layout
            if origin in layout.input_ids and scope.parent is not None and scope.instance is not None:
                return self._subgraph_input(scope, slot, depth)
            node = layout.nodes.get(origin)
            if node is None or node.get("mode") == _MUTED:
                return _Step(None, None, depth)
            node_type = node["type"]
            if node_type == "PrimitiveNode":
                values = node.get("widgets_values")
                return _Step((values[0],) if isinstance(values, list) and values else None, None, depth)
            if node_type == "GetNode":
                name = _first_widget(node)
                setter = layout.setters.get(name) if isinstance(name, str) else None
                if setter is None:
                    return _Step(None, None, depth)
                node, node_type = setter, "SetNode"
            if node_type in REROUTE_NODES or node_type == "SetNode" or node.get("mode") == _BYPASSED:
                through = self._pass_through(node, slot, link_type)
                return _Step(None, None if through is None else (scope, through), depth)
            inner = self._instance_scope(scope, origin, node)
            if inner is None:
                sent = node_type not in VIRTUAL_NODES and node_type not in self.subgraphs
                return _Step(([scope.exec_id(origin), slot],) if sent else None, None, depth)
            output = inner.layout.outputs.get(slot)
            if output is None:
                return _Step(None, None, depth)
            scope, depth = inner, depth + 1
            origin, slot, _target, _target_slot, link_type = output

    def _subgraph_input(self, scope: _Scope, slot: int, depth: int) -> _Step:
        """What feeds input ``slot`` of the subgraph instance ``scope`` expands: the instance's link of
        that input's name, else the value of its promoted widget (``depth`` as :class:`_Step`'s)."""
        assert scope.parent is not None and scope.instance is not None
        names = scope.layout.input_names
        name = names[slot] if 0 <= slot < len(names) else None
        if name is None:
            return _Step(None, None, depth)
        if scope.fed is None:
            scope.fed = {}
            for entry in _list(scope.instance.get("inputs")):
                if (
                    isinstance(entry, dict)
                    and isinstance(entry.get("name"), str)
                    and entry.get("link") is not None
                ):
                    scope.fed.setdefault(entry["name"], entry["link"])
            scope.promoted = _promoted_values(scope.instance)
        if name in scope.fed:
            return _Step(None, (scope.parent, str(scope.fed[name])), depth)
        return _Step((scope.promoted[name],) if name in scope.promoted else None, None, depth)

    def _pass_through(self, node: dict[str, Any], slot: int, link_type: str) -> str | None:
        """The link id a reroute (:data:`REROUTE_NODES`) or bypassed node passes on for its output
        ``slot``: a reroute's one input; a bypassed node's input at the same slot when its type matches,
        else the first input of the output's type."""
        index = self._pass_throughs.get(id(node))
        if index is None:
            index = self._pass_throughs[id(node)] = _pass_through_index(node)
        inputs = index.inputs
        if node["type"] in REROUTE_NODES:
            return _link_of(inputs[0]) if inputs else None
        if node["type"] == "SetNode":
            return _link_of(inputs[slot]) if 0 <= slot < len(inputs) else None
        outputs = _list(node.get("outputs"))
        output = outputs[slot] if 0 <= slot < len(outputs) and isinstance(outputs[slot], dict) else {}
        wanted = str(output.get("type") or link_type)
        same_slot = inputs[slot : slot + 1] if slot < len(inputs) else []
        for entry in same_slot:
            kind = str(entry.get("type"))
            if (kind == wanted or "*" in (wanted, kind)) and _link_of(entry) is not None:
                return _link_of(entry)
        if wanted == "*":
            first = index.first_linked
        else:
            first = min(
                index.first_of_type.get(wanted, len(inputs)), index.first_of_type.get("*", len(inputs))
            )
        return _link_of(inputs[first]) if first < len(inputs) else None


def _link_of(entry: dict[str, Any]) -> str | None:
    """The link id of an input entry, or ``None`` when it has none."""
    link = entry.get("link")
    return None if link is None or isinstance(link, bool) else str(link)


def _pass_through_index(node: dict[str, Any]) -> _PassThrough:
    inputs = [entry for entry in _list(node.get("inputs")) if isinstance(entry, dict)]
    first_linked = len(inputs)
    first_of_type: dict[str, int] = {}
    for position, entry in enumerate(inputs):
        if _link_of(entry) is not None:
            first_linked = min(first_linked, position)
            first_of_type.setdefault(str(entry.get("type")), position)
    return _PassThrough(inputs, first_linked, first_of_type)


def _widget_inputs(node: dict[str, Any]) -> dict[str, Any]:
    """The node's widget values by input name (see :data:`WIDGET_NAMES`); a list value is sent as
    ``{"__value__": list}``, as the frontend does (ComfyUI_frontend ``graphToPrompt``: an array would
    be taken for a link; the server unwraps it), so Lora Manager's ``loras`` and
    ``toggle_trigger_words`` lists read as in the API graph."""
    values = node.get("widgets_values")
    if isinstance(values, dict):
        return {key: value for key, value in values.items() if isinstance(key, str) and key != "videopreview"}
    if not isinstance(values, list):
        return {}
    prefix = ROW_WIDGETS.get(node["type"])
    if prefix is not None:
        rows = [value for value in values if isinstance(value, dict) and "lora" in value]
        return {f"{prefix}{number}": row for number, row in enumerate(rows, start=1)}
    names = widget_names(node["type"], values)
    if names is None:
        return {}
    inputs: dict[str, Any] = {}
    position = 0
    for name in names:
        if position >= len(values):
            break
        value = values[position]
        position += 1
        key = name.removesuffix("+")
        if not _is_random_seed(key, value):
            inputs[key] = {"__value__": value} if isinstance(value, list) else value
        if name.endswith("+") and position < len(values) and _is_control(values[position]):
            position += 1
    return inputs


def _is_random_seed(name: str, value: Any) -> bool:
    """A negative ``seed``/``noise_seed``: no seed the server takes, but a pack's "random each queue"
    marker (Efficiency's -1, rgthree Seed's -1 / -2 / -3), with or without a control widget after it."""
    return name in _SEED_WIDGETS and isinstance(value, int) and not isinstance(value, bool) and value < 0


_CONTROLS = ("fixed", "increment", "decrement", "randomize")
"""The choices of the frontend's ``control_after_generate`` widget."""


def _is_control(value: Any) -> bool:
    """A ``control_after_generate`` value, or the ``null`` a pack leaves in its place."""
    return value is None or value in _CONTROLS


def _promoted_values(instance: dict[str, Any]) -> dict[str, Any]:
    """A subgraph instance's promoted widget values by subgraph input name: ``proxyWidgets``
    entries ``["-1", name]`` (newer frontends) or its widget inputs (older ones), each in the order of
    ``widgets_values``."""
    values = instance.get("widgets_values")
    if not isinstance(values, list):
        return {}
    properties = instance.get("properties")
    proxies = properties.get("proxyWidgets") if isinstance(properties, dict) else None
    if isinstance(proxies, list) and proxies:
        pairs = [p for p in proxies if isinstance(p, list) and len(p) == 2]
        if len(pairs) == len(values):
            return {
                str(name): value
                for (owner, name), value in zip(pairs, values, strict=True)
                if str(owner) == "-1"
            }
        own = [str(name) for owner, name in pairs if str(owner) == "-1"]
        return dict(zip(own, values, strict=True)) if len(own) == len(values) else {}
    names = [
        entry["widget"]["name"]
        for entry in _list(instance.get("inputs"))
        if isinstance(entry, dict)
        and isinstance(entry.get("widget"), dict)
        and isinstance(entry["widget"].get("name"), str)
    ]
    return _paired(names, values)


def _paired(names: list[str], values: list[Any]) -> dict[str, Any]:
    """Promoted input ``names`` paired with ``widgets_values`` in order (ComfyUI_frontend
    ``SubgraphNode.serialize``: one value per promoted input). A legacy or imported instance keeps a
    ``control_after_generate`` value after a promoted input whose interior widget has one (a seed), so
    its array is longer than its inputs; the frontend then skips that slot
    (``SubgraphNode._applyPromotedWidgetValues``): here a control choice (``"fixed"``, ``"randomize"``
    …) met after a value, while there are more values than inputs, is skipped."""
    spare = len(values) - len(names)
    paired: dict[str, Any] = {}
    position = 0
    for name in names:
        if position >= len(values):
            break
        paired[name] = values[position]
        position += 1
        if spare > 0 and position < len(values) and values[position] in _CONTROLS:
            position += 1
            spare -= 1
    return paired
