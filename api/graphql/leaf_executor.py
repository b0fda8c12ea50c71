"""An executor that completes plain scalar fields without graphql-core's per-field machinery.

A page of cards is ~900 fields, most of them plain attributes of a scalar or enum type (``label``,
``assetCount``, ``startedAt``, ``url`` …). For each one graphql-core builds a path entry and a
resolve-info tuple, calls strawberry's attribute resolver through it, and walks ``complete_value``'s
type checks — ~10 µs a field, more than half of a page's CPU. :class:`LeafFastPathExecutor` reads
such a field directly: the attribute strawberry would read (its configured default resolver and the
field's Python name) coerced by the very ``coerce_output_value`` of the field's type.

Invariants:
- only *basic* fields take the fast path: no resolver, no field extensions (so no permission
  classes), no exception handlers (strawberry resolves them with ``_get_basic_result``, marked
  ``_is_default``), whose type is a scalar or enum, possibly non-null; not when middleware is
  installed (a schema extension's ``resolve`` hook must see every field);
- a field whose fast read does not give a valid value (a null in a non-null field, a value the
  scalar refuses, an awaitable) goes the ordinary way, which reads it again and reports the error
  exactly as before: the attributes read here are plain data, so reading one twice is harmless;
- the response keeps the selection's order, and every other field (objects, lists, resolvers,
  ``__typename``) is executed by graphql-core unchanged, in one call for the rest of the set.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, cast

from graphql import (
    GraphQLEnumType,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.execution.middleware import MiddlewareManager
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# values that can never be awaitable: checked by class before asking the costlier awaitable test
_PLAIN_VALUES: frozenset[type] = frozenset({str, int, float, bool, datetime, date})


@dataclass(frozen=True, slots=True)
class LeafRead:
    """How to read one basic scalar field: ``read(source, attribute)``, coerced by ``leaf``."""

    read: Callable[[Any, str], Any]
    attribute: str
    leaf: GraphQLLeafType
    non_null: bool


def _leaf_read(field_def: Any) -> LeafRead | None:
    """The fast read of a field, or ``None`` when it must go through graphql-core."""
    if not getattr(field_def.resolve, "_is_default", False):
        return None
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
        return None
    field_type = field_def.type
    non_null = isinstance(field_type, GraphQLNonNull)
    named = field_type.of_type if non_null else field_type
    if not isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return None
    return LeafRead(definition.default_resolver, definition.python_name, named, non_null)


# per object type of a live schema: field name → its fast read (absent: the ordinary way)
_READS: weakref.WeakKeyDictionary[GraphQLObjectType, dict[str, LeafRead]] = weakref.WeakKeyDictionary()


def leaf_reads(parent_type: GraphQLObjectType) -> dict[str, LeafRead]:
    """The fast reads of ``parent_type``'s fields, computed once per type object."""
    reads = _READS.get(parent_type)
    if reads is None:
        reads = {}
        for name, field_def in parent_type.fields.items():
            read = _leaf_read(field_def)
            if read is not None:
                reads[name] = read
        _READS[parent_type] = reads
    return reads


class LeafFastPathExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, completing basic scalar fields directly (see the module's invariants)."""

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        reads = leaf_reads(parent_type) if _no_middleware(self.middleware_manager) else None
        if not reads:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        direct: dict[str, Any] = {}
        rest: GroupedFieldSet = {}
        for response_name, field_details_list in grouped_field_set.items():
            read = reads.get(field_details_list[0].node.name.value)
            if read is not None:
                value = self._read_leaf(read, source_value)
                if value is not Undefined:
                    direct[response_name] = value
                    continue
            rest[response_name] = field_details_list
        if not rest:
            return direct
        executed = super().execute_fields(parent_type, source_value, path, rest, position_context)
        if self.is_awaitable(executed):
            return self._merged_later(grouped_field_set, direct, cast(Awaitable[dict[str, Any]], executed))
        return _merged(grouped_field_set, direct, cast(dict[str, Any], executed))

    def _read_leaf(self, read: LeafRead, source: Any) -> Any:
        """The field's completed value, or ``Undefined`` when the ordinary path must take it."""
        try:
            value = read.read(source, read.attribute)
        except Exception:
            return Undefined
        if value is None:
            return Undefined if read.non_null else None
        if value.__class__ not in _PLAIN_VALUES and not isinstance(value, Enum) and self.is_awaitable(value):
            return Undefined
        try:
            coerced = read.leaf.coerce_output_value(value)
        except Exception:
            return Undefined
        return Undefined if coerced is None else coerced

    @staticmethod
    async def _merged_later(
        grouped_field_set: GroupedFieldSet, direct: dict[str, Any], executed: Awaitable[dict[str, Any]]
    ) -> dict[str, Any]:
        return _merged(grouped_field_set, direct, await executed)


def _no_middleware(manager: MiddlewareManager | None) -> bool:
    """Whether no middleware wraps resolvers (strawberry always passes a manager, empty without
    ``resolve`` hooks)."""
    return manager is None or not manager.middlewares


def _merged(
    grouped_field_set: GroupedFieldSet, direct: dict[str, Any], executed: dict[str, Any]
) -> dict[str, Any]:
    """Both parts in the selection's order (graphql-core leaves out fields it found undefined)."""
    merged: dict[str, Any] = {}
    for response_name in grouped_field_set:
        if response_name in direct:
            merged[response_name] = direct[response_name]
        elif response_name in executed:
            merged[response_name] = executed[response_name]
    return merged
