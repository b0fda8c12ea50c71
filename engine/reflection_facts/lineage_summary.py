"""The session's lineage forest and its summary: edges by kind, roots, deepest chain, final descendants.

Only edges whose parent and child are both assets of the session count (an edge to an asset outside
it says nothing about this session). A child keeps its first parent if the input names two. Terms:

- a *root* has children and no parent; a *final descendant* has a parent and no children;
- a node's *depth* is the number of edges from its root (a root: 0); the *deepest chain* is the
  largest depth, in edges (an upscale of an img2img of a root: 2);
- a *family* is a root and all its descendants (its size counts the root).

Computed in linear time in the number of edges (depths memoised; a cycle, which the engine never
produces, is cut where it closes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.reflection_facts.inputs import FactLineageEdge


@dataclass(frozen=True, slots=True)
class LineageForest:
    """Parent and depth per asset in the lineage; ``family_size`` per root; ``kinds`` per edge kind."""

    parent_of: dict[str, str]
    child_count: dict[str, int]
    depth_of: dict[str, int]
    root_of: dict[str, str]
    family_size: dict[str, int]
    kinds: Counter[str]

    def is_root(self, asset_id: str) -> bool:
        return asset_id not in self.parent_of and self.child_count.get(asset_id, 0) > 0

    def is_final_descendant(self, asset_id: str) -> bool:
        return asset_id in self.parent_of and self.child_count.get(asset_id, 0) == 0


@dataclass(frozen=True, slots=True)
class LineageSummary:
    """``edges`` counted ``by_kind`` (most first, ties by name); ``assets`` = assets on any edge."""

    edges: int
    by_kind: tuple[tuple[str, int], ...]
    assets: int
    roots: int
    deepest_chain: int
    final_descendants: int
    largest_family: int


def lineage_forest(edges: Sequence[FactLineageEdge], asset_ids: Iterable[str]) -> LineageForest:
    members = set(asset_ids)
    parent_of: dict[str, str] = {}
    kinds: Counter[str] = Counter()
    for edge in edges:
        if edge.parent_id in members and edge.child_id in members and edge.child_id not in parent_of:
            if edge.parent_id == edge.child_id:
                continue
            parent_of[edge.child_id] = edge.parent_id
            kinds[edge.kind] += 1
    child_count: Counter[str] = Counter(parent_of.values())
    depth_of: dict[str, int] = {}
    root_of: dict[str, str] = {}
    for node in [*parent_of, *child_count]:
        _resolve(node, parent_of, depth_of, root_of)
    family_size: Counter[str] = Counter(root_of.values())
    return LineageForest(parent_of, dict(child_count), depth_of, root_of, dict(family_size), kinds)


def summarise_lineage(forest: LineageForest) -> LineageSummary:
    by_kind = tuple(sorted(forest.kinds.items(), key=lambda item: (-item[1], item[0])))
    nodes = forest.depth_of
    return LineageSummary(
        edges=len(forest.parent_of),
        by_kind=by_kind,
        assets=len(nodes),
        roots=sum(1 for node in nodes if forest.is_root(node)),
        deepest_chain=max(nodes.values(), default=0),
        final_descendants=sum(1 for node in nodes if forest.is_final_descendant(node)),
        largest_family=max(forest.family_size.values(), default=0),
    )


def _resolve(node: str, parent_of: dict[str, str], depth_of: dict[str, int], root_of: dict[str, str]) -> None:
    """Depth and root of ``node`` and of every unresolved ancestor, iteratively (chains can be long)."""
    chain: list[str] = []
    on_chain: set[str] = set()
    current = node
    while current not in depth_of:
        parent = parent_of.get(current)
        if parent is None or parent in on_chain or parent == node:
            depth_of[current], root_of[current] = 0, current
            break
        chain.append(current)
        on_chain.add(current)
        current = parent
    for member in reversed(chain):
        parent = parent_of[member]
        depth_of[member] = depth_of[parent] + 1
        root_of[member] = root_of[parent]
