"""Whether a resolver's field selects a nested field, through fragments (named and inline).

Used to fetch, in the page's own resolver, what every item of the page would otherwise load one by
one (e.g. each session card's ``thumbnails`` and ``phases``): a value ready when the item is resolved
keeps that item's resolution synchronous, which graphql-core completes far faster than an awaited one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection


def selects(info: Info, path: Sequence[str]) -> bool:
    """True when the field being resolved selects ``path`` (field names, e.g. ``edges, node, parent``)
    in any of its occurrences, however fragments spread it."""
    return any(_selects(field.selections, path) for field in info.selected_fields)


def _selects(selections: Iterable[Selection], path: Sequence[str]) -> bool:
    if not path:
        return True
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == path[0] and _selects(selection.selections, path[1:]):
                return True
        elif isinstance(selection, FragmentSpread | InlineFragment) and _selects(selection.selections, path):
            return True
    return False
