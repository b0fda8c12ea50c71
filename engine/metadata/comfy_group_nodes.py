"""Legacy ComfyUI group nodes, expanded into their inner nodes as the frontend does when it queues.

A group node instance's ``type`` is ``workflow/NAME`` (older frontends) or ``workflow>NAME``; its
definition is ``extra.groupNodes[NAME]``: ``nodes`` (clipboard-serialised inner nodes, no ids, in
order), ``links`` ``[origin_index | null, origin_slot, target_index, target_slot, origin_id, type]``
(a ``null`` origin came from outside), ``external`` ``[index, slot, type]`` (an output linked
outside; older frontends stored a node object there, which matched nothing) and ``config``.

What the frontend's ``GroupNodeConfig`` builds, and so what this reads:

- an inner node counts when the server knows its type (every type but the frontend-only ones), a
  ``PrimitiveNode`` linked inside, or a ``Reroute`` not linked on both sides inside;
- the instance's input slots are, node by node, the inner inputs that are no widget and not linked
  inside (an input ``config`` hides is none), then the converted widget inputs not linked inside;
- its outputs are, node by node, the inner outputs not linked inside or linked outside (or as
  ``config`` says);
- its ``widgets_values`` are, node by node, the inner node's own widget values (a converted widget's
  left out), then the converted widgets not linked inside (a seed with its control value); they
  replace the stored inner values when the counts agree, else the stored values stay.

Inner nodes get the ids ``"<instance id>:<index>"``; links into the instance go to the inner input
behind the slot, links out of it come from the inner output behind the slot. Instances inside a
subgraph definition (``definitions.subgraphs``) are expanded the same way, from the root's
``extra.groupNodes`` (the only place the frontend keeps group definitions). Every value read is
type-checked; nested group nodes are expanded up to :data:`_MAX_PASSES` levels and no more than
``MAX_GRAPH_NODES`` nodes come out of one graph (subgraph definitions past that many nodes in all
stay unexpanded).
"""

from __future__ import annotations

from typing import Any

from engine.metadata.comfy_widgets import VIRTUAL_NODES, widget_names
from engine.metadata.limits import MAX_GRAPH_NODES

_PREFIXES = ("workflow/", "workflow>")
_MAX_PASSES = 4
_MAX_INNER_ENTRIES = 20 * MAX_GRAPH_NODES
"""Most inner nodes, inner inputs and inner links one expansion pass copies out of group definitions,
all instances together (a definition may hold any number of inputs, and be instanced many times)."""
_SEED_NAMES = frozenset({"seed", "noise_seed"})
_CONTROLS = frozenset({"fixed", "increment", "decrement", "randomize"})


def expand_group_nodes(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every group node instance replaced by its inner nodes, at the top level and
    in each subgraph definition (``definitions.subgraphs``), which use the same root
    ``extra.groupNodes`` (a new dict; the input is not changed), or ``document`` itself when it holds
    none."""
    extra = document.get("extra")
    definitions = extra.get("groupNodes") if isinstance(extra, dict) else None
    if not isinstance(definitions, dict) or not definitions:
        return document
    groups = _Definitions(definitions)
    return _with_expanded_subgraphs(_expand_graph(document, groups), groups)


class _Definitions:
    """``extra.groupNodes``, each definition read (:class:`_Definition`) once, when first instanced."""

    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = definitions
        self._read: dict[str, _Definition] = {}

    def get(self, name: str) -> _Definition | None:
        if name not in self._read:
            definition = self.definitions.get(name)
            if not isinstance(definition, dict) or not isinstance(definition.get("nodes"), list):
                return None
            self._read[name] = _Definition(definition)
        return self._read[name]


def _expand_graph(graph: dict[str, Any], definitions: _Definitions) -> dict[str, Any]:
    """``graph`` (the workflow or one subgraph definition) with its group node instances expanded,
    nested ones up to :data:`_MAX_PASSES` levels."""
    for _ in range(_MAX_PASSES):
        expanded = _expand_once(graph, definitions)
        if expanded is None:
            break
        graph = expanded
    return graph


def _with_expanded_subgraphs(document: dict[str, Any], definitions: _Definitions) -> dict[str, Any]:
    """``document`` whose subgraph definitions have their group node instances expanded; once the
    definitions expanded so far hold ``MAX_GRAPH_NODES`` nodes, the rest stay as they are (no
    more nodes than that can be sent anyway)."""
    container = document.get("definitions")
    subgraphs = container.get("subgraphs") if isinstance(container, dict) else None
    if not isinstance(subgraphs, list):
        return document
    budget = MAX_GRAPH_NODES
    expanded: list[Any] = []
    for subgraph in subgraphs:
        if isinstance(subgraph, dict) and budget > 0:
            subgraph = _expand_graph(subgraph, definitions)
            budget -= len(_list(subgraph.get("nodes")))
        expanded.append(subgraph)
    if all(new is old for new, old in zip(expanded, subgraphs, strict=True)):
        return document
    assert isinstance(container, dict)
    return {**document, "definitions": {**container, "subgraphs": expanded}}


def _group_name(node: Any) -> str | None:
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        return None
    for prefix in _PREFIXES:
        if node["type"].startswith(prefix):
            return node["type"][len(prefix) :]
    return None


def _index(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _expand_once(document: dict[str, Any], definitions: _Definitions) -> dict[str, Any] | None:
    nodes = document.get("nodes")
    if not isinstance(nodes, list):
        return None
    groups = {}
    for node in nodes:
        name = _group_name(node)
        definition = definitions.get(name) if name is not None else None
        if (
            definition is not None
            and isinstance(node.get("id"), int | str)
            and not isinstance(node.get("id"), bool)
        ):
            groups[str(node["id"])] = _Group(str(node["id"]), node, definition)
    if not groups:
        return None
    new_nodes: list[Any] = []
    new_links: list[Any] = []
    copied = 0
    for node in nodes:
        group = groups.get(str(node.get("id"))) if isinstance(node, dict) else None
        if group is None:
            new_nodes.append(node)
        else:
            copied += group.definition.size
            if copied > _MAX_INNER_ENTRIES:
                return None
            new_nodes.extend(group.inner_nodes())
            new_links.extend(group.inner_links())
        if len(new_nodes) > MAX_GRAPH_NODES:
            return None
    for entry in _list(document.get("links")):
        new_links.append(_relinked(entry, groups))
    return {**document, "nodes": new_nodes, "links": new_links}


def _relinked(entry: Any, groups: dict[str, _Group]) -> Any:
    """A top-level link whose origin is a group instance, moved to the inner output behind its slot."""
    if isinstance(entry, list) and len(entry) >= 5:
        origin, slot = entry[1], entry[2]
    elif isinstance(entry, dict):
        origin, slot = entry.get("origin_id"), entry.get("origin_slot")
    else:
        return entry
    group = groups.get(str(origin)) if isinstance(origin, int | str) else None
    source = group.definition.outputs.get(slot) if group is not None and _index(slot) is not None else None
    if group is None:
        return entry
    if source is None:
        return None
    if isinstance(entry, list):
        return [entry[0], f"{group.gid}:{source[0]}", source[1], *entry[3:]]
    return {**entry, "origin_id": f"{group.gid}:{source[0]}", "origin_slot": source[1]}


class _Definition:
    """What one group definition says: its inner nodes, links and the instance's slots."""

    def __init__(self, definition: dict[str, Any]) -> None:
        self.nodes: list[dict[str, Any] | None] = [
            n if isinstance(n, dict) and isinstance(n.get("type"), str) else None for n in definition["nodes"]
        ]
        self.links_to: dict[tuple[int, int], tuple[int, int]] = {}
        self.links_from: set[tuple[int, int]] = set()
        for link in _list(definition.get("links")):
            if not isinstance(link, list) or len(link) < 4:
                continue
            origin, origin_slot, target, target_slot = (_index(v) for v in link[:4])
            if None in (origin, origin_slot, target, target_slot):
                continue
            assert origin is not None and origin_slot is not None
            assert target is not None and target_slot is not None
            if origin < len(self.nodes) and target < len(self.nodes):
                self.links_to[(target, target_slot)] = (origin, origin_slot)
                self.links_from.add((origin, origin_slot))
        self.external = {
            (entry[0], entry[1])
            for entry in _list(definition.get("external"))
            if isinstance(entry, list)
            and len(entry) >= 2
            and _index(entry[0]) is not None
            and _index(entry[1]) is not None
        }
        config = definition.get("config")
        self.config = config if isinstance(config, dict) else {}
        self._origins = {origin for origin, _slot in self.links_from}
        self.counted = [self._counts(i, n) for i, n in enumerate(self.nodes)]
        self.inputs: dict[int, tuple[int, int]] = {}
        """Instance input slot -> (inner index, inner input index)."""
        self.outputs: dict[int, tuple[int, int]] = {}
        """Instance output slot -> (inner index, inner output slot)."""
        self._map_slots()
        self.size = (
            len(self.nodes) + len(self.links_to) + sum(len(_list(n.get("inputs"))) for n in self.nodes if n)
        )
        """Inner nodes, links and inputs an instance's expansion copies."""

    def _counts(self, index: int, node: dict[str, Any] | None) -> bool:
        if node is None:
            return False
        if node["type"] == "PrimitiveNode":
            return index in self._origins
        if node["type"] == "Reroute":
            linked_in = (index, 0) in self.links_to
            linked_out = (index, 0) in self.links_from
            return not (linked_in and linked_out and (index, 0) not in self.external)
        return node["type"] not in VIRTUAL_NODES

    def _node_config(self, index: int, kind: str) -> dict[str, Any]:
        entry = self.config.get(str(index))
        part = entry.get(kind) if isinstance(entry, dict) else None
        return part if isinstance(part, dict) else {}

    def _map_slots(self) -> None:
        slot = 0
        converted: list[tuple[int, int]] = []
        out = 0
        for index, node in enumerate(self.nodes):
            if node is None or not self.counted[index] or node["type"] == "PrimitiveNode":
                if node is not None and self.counted[index]:
                    out = self._map_outputs(index, node, out)
                continue
            hidden = self._node_config(index, "input")
            for position, entry in enumerate(_dicts(node.get("inputs"))):
                if isinstance(entry.get("widget"), dict):
                    converted.append((index, position))
                    continue
                if (index, position) in self.links_to:
                    continue
                custom = hidden.get(str(entry.get("name")))
                if isinstance(custom, dict) and custom.get("visible") is False:
                    continue
                self.inputs[slot] = (index, position)
                slot += 1
            out = self._map_outputs(index, node, out)
        for index, position in converted:
            if (index, position) not in self.links_to:
                self.inputs[slot] = (index, position)
                slot += 1

    def _map_outputs(self, index: int, node: dict[str, Any], out: int) -> int:
        custom = self._node_config(index, "output")
        for position, _entry in enumerate(_dicts(node.get("outputs"))):
            linked = (index, position) in self.links_from and (index, position) not in self.external
            setting = custom.get(str(position))
            visible = setting.get("visible") if isinstance(setting, dict) else None
            if not (visible if isinstance(visible, bool) else not linked):
                continue
            self.outputs[out] = (index, position)
            out += 1
        return out


class _Group:
    """One group node instance and its definition."""

    def __init__(self, gid: str, instance: dict[str, Any], definition: _Definition) -> None:
        self.gid = gid
        self.instance = instance
        self.definition = definition

    def inner_nodes(self) -> list[dict[str, Any]]:
        values = self._widget_values()
        instance_links = {
            slot: entry.get("link") for slot, entry in enumerate(_dicts(self.instance.get("inputs")))
        }
        slot_of = {target: slot for slot, target in self.definition.inputs.items()}
        mode = self.instance.get("mode")
        result = []
        for index, node in enumerate(self.definition.nodes):
            if node is None:
                continue
            inputs = []
            for position, entry in enumerate(_dicts(node.get("inputs"))):
                link: Any = None
                if (index, position) in self.definition.links_to:
                    link = f"{self.gid}:link:{index}:{position}"
                elif (index, position) in slot_of:
                    outer = instance_links.get(slot_of[(index, position)])
                    link = outer if isinstance(outer, int | str) and not isinstance(outer, bool) else None
                inputs.append({**entry, "link": link})
            copy = {**node, "id": f"{self.gid}:{index}", "inputs": inputs}
            if index in values:
                copy["widgets_values"] = values[index]
            if mode in (2, 4):
                copy["mode"] = mode
            result.append(copy)
        return result

    def inner_links(self) -> list[list[Any]]:
        return [
            [f"{self.gid}:link:{t}:{ts}", f"{self.gid}:{o}", os_, f"{self.gid}:{t}", ts, ""]
            for (t, ts), (o, os_) in self.definition.links_to.items()
            if self.definition.nodes[o] is not None and self.definition.nodes[t] is not None
        ]

    def _widget_values(self) -> dict[int, list[Any]]:
        """Inner widget values from the instance's ``widgets_values``; empty when they cannot be
        placed (an unknown layout with converted widgets, or counts that disagree)."""
        given = self.instance.get("widgets_values")
        if not isinstance(given, list):
            return {}
        own: dict[int, list[int]] = {}
        late: list[tuple[int, list[int]]] = []
        for index, node in enumerate(self.definition.nodes):
            if node is None or not self.definition.counted[index]:
                continue
            stored = node.get("widgets_values")
            if not isinstance(stored, list):
                continue
            converted = [
                (position, entry["widget"].get("name"))
                for position, entry in enumerate(_dicts(node.get("inputs")))
                if isinstance(entry.get("widget"), dict)
            ]
            if not converted:
                own[index] = list(range(len(stored)))
                continue
            layout = _positions(node["type"], stored)
            if layout is None:
                return {}
            taken: set[int] = set()
            for position, name in converted:
                spots = layout.get(name) if isinstance(name, str) else None
                if spots is None:
                    return {}
                taken.update(spots)
                if (index, position) not in self.definition.links_to:
                    late.append((index, spots))
            own[index] = [p for p in range(len(stored)) if p not in taken]
        order = [(index, p) for index, spots in own.items() for p in spots]
        order += [(index, p) for index, spots in late for p in spots]
        if len(order) != len(given):
            return {}
        result: dict[int, list[Any]] = {}
        for (index, position), value in zip(order, given, strict=True):
            node = self.definition.nodes[index]
            assert node is not None
            target = result.setdefault(index, list(node["widgets_values"]))
            target[position] = value
        return result


def _is_control_name(value: Any) -> bool:
    return isinstance(value, str) and value in _CONTROLS


def _positions(node_type: str, values: list[Any]) -> dict[str, list[int]] | None:
    """Each named widget's positions in ``values`` (a seed with its control value), by
    :func:`~engine.metadata.comfy_widgets.widget_names` (an older or newer layout told apart by its
    first value); ``None`` for a type not listed."""
    names = widget_names(node_type, values)
    if names is None:
        return None
    found: dict[str, list[int]] = {}
    position = 0
    for name in names:
        if position >= len(values):
            break
        spots = [position]
        position += 1
        seed_like = name.endswith("+") or name in _SEED_NAMES
        if (
            seed_like
            and position < len(values)
            and (values[position] is None or _is_control_name(values[position]))
        ):
            spots.append(position)
            position += 1
        found[name.rstrip("+")] = spots
    return found
