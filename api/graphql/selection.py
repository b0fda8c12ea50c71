"""Whether a resolver's field selects a nested field, through fragments (named and inline).

Used to fetch, in the page's own resolver, what every item of the page would otherwise load one by
one (e.g. each session card's ``thumbnails`` and ``phases``): a value ready when the item is resolved
keeps that item's resolution synchronous, which graphql-core completes far faster than an awaited one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)
from strawberry.types import Info


def selects(info: Info, path: Sequence[str]) -> bool:
    """True when the field being resolved selects ``path`` (field names, e.g. ``edges, node, parent``)
    in any of its occurrences, however fragments spread it. Directives are not evaluated (a field under
    ``@skip`` counts as selected), as strawberry's ``selected_fields`` does not; only the branches along
    ``path`` of the document's nodes are walked."""
    raw = info._raw_info
    return any(_selects(node.selection_set, path, raw.fragments) for node in raw.field_nodes)


def _selects(
    selection_set: SelectionSetNode | None,
    path: Sequence[str],
    fragments: Mapping[str, FragmentDefinitionNode],
) -> bool:
    if not path:
        return True
    if selection_set is None:
        return False
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value == path[0] and _selects(selection.selection_set, path[1:], fragments):
                return True
        elif isinstance(selection, InlineFragmentNode):
            if _selects(selection.selection_set, path, fragments):
                return True
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None and _selects(fragment.selection_set, path, fragments):
                return True
    return False
