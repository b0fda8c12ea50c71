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
``{"class_type": str, "inputs": dict}``; every link in it is ``[node_id, output_index]``; no walk
goes deeper than :data:`_MAX_DEPTH` links or subgraph levels, and at most ``MAX_GRAPH_NODES`` nodes
come out, so a hostile workflow ends quickly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeGuard

from engine.metadata.comfy_group_nodes import expand_group_nodes
from engine.metadata.comfy_widgets import REROUTE_NODES, ROW_WIDGETS, VIRTUAL_NODES, widget_names
from engine.metadata.limits import MAX_GRAPH_NODES

_MAX_DEPTH = 64
"""Most links one input's resolution follows (reroutes, bypasses, subgraph boundaries)."""
_MAX_LEVELS = 8
"""Most subgraph instances nested in one another that are expanded."""
_VISIT_BUDGET = 4 * MAX_GRAPH_NODES
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
class _Scope:
    """One graph level: the top-level workflow or one subgraph instance's definition."""

    nodes: dict[str, dict[str, Any]]
    links: dict[str, Link]
    prefix: str = ""
    input_ids: frozenset[str] = frozenset()
    output_ids: frozenset[str] = frozenset()
    input_names: list[str] = field(default_factory=list)
    parent: _Scope | None = None
    instance: dict[str, Any] | None = None
    level: int = 0
    setters: dict[str, dict[str, Any]] = field(default_factory=dict)
    """KJNodes ``SetNode`` nodes by their name (first widget value, a string); the first one wins."""
    broadcasts: dict[tuple[str, int], Source] = field(default_factory=dict)
    """UseEverywhere's links by ``(target_id, input_index)``."""

    def exec_id(self, node_id: str) -> str:
        return f"{self.prefix}:{node_id}" if self.prefix else node_id


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
    converter.emit(_scope(document, None, None, "", 0))
    return converter.graph or None


def _scope(
    document: dict[str, Any], parent: _Scope | None, instance: dict[str, Any] | None, prefix: str, level: int
) -> _Scope:
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
    return _Scope(
        nodes,
        links,
        prefix,
        frozenset(input_ids),
        frozenset(output_ids),
        names,
        parent,
        instance,
        level,
        setters,
        _broadcasts(document.get("extra")),
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
    if isinstance(entry, list) and len(entry) >= 5:
        values = entry[:6] + [""] * (6 - len(entry[:6]))
    elif isinstance(entry, dict):
        keys = ("id", "origin_id", "origin_slot", "target_id", "target_slot", "type")
        values = [entry.get(key) for key in keys]
    else:
        return None
    link_id, origin, origin_slot, target, target_slot, link_type = values
    if not all(isinstance(v, int | str) and not isinstance(v, bool) for v in (link_id, origin, target)):
        return None
    if not isinstance(origin_slot, int) or not isinstance(target_slot, int):
        return None
    return str(link_id), str(origin), origin_slot, str(target), target_slot, str(link_type or "")


class _Converter:
    def __init__(self, subgraphs: dict[str, dict[str, Any]]) -> None:
        self.subgraphs = subgraphs
        self.graph: dict[str, dict[str, Any]] = {}
        self.visits = 0
        """Nodes looked at by :meth:`emit`, at most ``_VISIT_BUDGET`` (instances of instances that hold
        no sendable node would otherwise multiply level by level)."""
        self._scopes: dict[str, _Scope] = {}
        """Expanded subgraph instances by their exec id, built once."""

    def emit(self, scope: _Scope) -> None:
        """Add every node of ``scope`` the frontend would send (subgraph instances expanded)."""
        for node_id, node in scope.nodes.items():
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
            self._scopes[exec_id] = _scope(definition, scope, node, exec_id, scope.level + 1)
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
            elif (node_id, index) in scope.broadcasts:
                origin, slot, link_type = scope.broadcasts[(node_id, index)]
                resolved = self._from_output(scope, origin, slot, link_type, 1)
            if resolved is not None:
                inputs[entry["name"]] = resolved[0]
        return inputs

    def resolve(self, scope: _Scope, link_id: str, depth: int) -> tuple[Any] | None:
        """What a link delivers: ``([node_id, slot],)`` of a sent node, ``(value,)`` of a primitive or
        a promoted widget, or ``None`` (no such link, a muted source, a bypass with no matching input)."""
        link = scope.links.get(link_id)
        if link is None or depth > _MAX_DEPTH:
            return None
        origin, slot, _target, _target_slot, link_type = link
        return self._from_output(scope, origin, slot, link_type, depth + 1)

    def _from_output(
        self, scope: _Scope, origin: str, slot: int, link_type: str, depth: int
    ) -> tuple[Any] | None:
        if depth > _MAX_DEPTH:
            return None
        if origin in scope.input_ids and scope.parent is not None and scope.instance is not None:
            return self._subgraph_input(scope, slot, depth)
        node = scope.nodes.get(origin)
        if node is None or node.get("mode") == _MUTED:
            return None
        node_type = node["type"]
        if node_type == "PrimitiveNode":
            values = node.get("widgets_values")
            return (values[0],) if isinstance(values, list) and values else None
        if node_type == "GetNode":
            name = _first_widget(node)
            setter = scope.setters.get(name) if isinstance(name, str) else None
            if setter is None:
                return None
            node, node_type = setter, "SetNode"
        if node_type in REROUTE_NODES or node_type == "SetNode" or node.get("mode") == _BYPASSED:
            through = _pass_through(node, slot, link_type)
            return None if through is None else self.resolve(scope, through, depth)
        inner = self._instance_scope(scope, origin, node)
        if inner is not None:
            for inner_origin, inner_slot, target, target_slot, inner_type in inner.links.values():
                if target in inner.output_ids and target_slot == slot:
                    return self._from_output(inner, inner_origin, inner_slot, inner_type, depth + 1)
            return None
        if node_type in VIRTUAL_NODES or node_type in self.subgraphs:
            return None
        return ([scope.exec_id(origin), slot],)

    def _subgraph_input(self, scope: _Scope, slot: int, depth: int) -> tuple[Any] | None:
        """What feeds input ``slot`` of the subgraph instance ``scope`` expands: the instance's link of
        that input's name, else the value of its promoted widget."""
        assert scope.parent is not None and scope.instance is not None
        name = scope.input_names[slot] if 0 <= slot < len(scope.input_names) else None
        if name is None:
            return None
        for entry in _list(scope.instance.get("inputs")):
            if isinstance(entry, dict) and entry.get("name") == name and entry.get("link") is not None:
                return self.resolve(scope.parent, str(entry["link"]), depth)
        values = _promoted_values(scope.instance)
        return (values[name],) if name in values else None


def _pass_through(node: dict[str, Any], slot: int, link_type: str) -> str | None:
    """The link id a reroute (:data:`REROUTE_NODES`) or bypassed node passes on for its output ``slot``:
    a reroute's one input; a bypassed node's input at the same slot when its type matches, else the first
    input of the output's type."""
    inputs = [entry for entry in _list(node.get("inputs")) if isinstance(entry, dict)]
    if node["type"] in REROUTE_NODES:
        candidates = inputs[:1]
    elif node["type"] == "SetNode":
        candidates = inputs[slot : slot + 1] if 0 <= slot < len(inputs) else []
    else:
        outputs = _list(node.get("outputs"))
        output = outputs[slot] if 0 <= slot < len(outputs) and isinstance(outputs[slot], dict) else {}
        wanted = str(output.get("type") or link_type)

        def matches(entry: dict[str, Any]) -> bool:
            return str(entry.get("type")) == wanted or "*" in (wanted, str(entry.get("type")))

        same_slot = inputs[slot : slot + 1] if slot < len(inputs) else []
        candidates = [e for e in same_slot if matches(e)] + [e for e in inputs if matches(e)]
    for entry in candidates:
        if entry.get("link") is not None and not isinstance(entry.get("link"), bool):
            return str(entry["link"])
    return None


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
