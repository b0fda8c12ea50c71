"""An executor that completes *basic* fields — plain attributes — without graphql-core's per-field machinery.

A page of 100 images is ~1,900 fields, nearly all of them plain attributes: scalars (``prompt``,
``seed``), enums, and the objects and lists that hold them (``edges``, ``node``, ``loras``). For each
one graphql-core builds a resolve-info tuple, calls strawberry's attribute resolver through its
wrapper, and walks ``complete_value``'s type dispatch (``complete_list_value`` →
``complete_object_value`` → ``collect_and_execute_subfields``) — ~10 µs a field, most of a page's
CPU. :class:`BasicFieldExecutor` completes such a field directly: it reads the attribute strawberry
would read (the field's configured default resolver and Python name) and

- coerces a scalar or enum by its type's own ``coerce_output_value``;
- completes an object, or each object of a list, by collecting its sub-selection with graphql-core's
  own (memoised) ``collect_subfields`` and executing it with ``execute_collected_subfields``, so
  ``@defer`` inside, resolvers below, and the paths of errors stay graphql-core's.

Invariants:
- only *basic* fields take the fast path: no resolver, no field extensions (so no permission
  classes), no exception handlers (strawberry resolves them with ``_get_basic_result``, marked
  ``_is_default``), whose type is a scalar, an enum, an object type whose ``is_type_of`` is absent or
  strawberry's own (which ignores the resolve info), or a list of one of these — each possibly
  non-null; not when middleware is installed (a schema extension's ``resolve`` hook must see every
  field), and not for a field carrying a directive (``@stream``);
- every check that can send a field the ordinary way (a null in a non-null position, a value the
  scalar refuses, an object ``is_type_of`` refuses, an awaitable, a list that is not a list or
  tuple) is made *before* anything below the field runs; the ordinary way then reads the attribute
  again and reports the error exactly as before — the attributes read here are plain data, so reading
  one twice is harmless;
- once a field's sub-selections run, their errors are handled as graphql-core handles them
  (``handle_field_error`` at the item, then at the field: a null where allowed, else propagated),
  and awaitables are gathered the way ``execute_fields`` and ``complete_iterable_value`` gather them;
- the response keeps the selection's order; every other field (resolvers, abstract types,
  ``__typename``) is executed by graphql-core's ``execute_field`` unchanged.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from math import isfinite
from typing import Any, cast

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLString,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.middleware import MiddlewareManager
from graphql.pyutils import Path, Undefined
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# values that can never be awaitable: checked by class before asking the costlier awaitable test
_PLAIN_VALUES: frozenset[type] = frozenset({str, int, float, bool, datetime, date})
_SEQUENCES: frozenset[type] = frozenset({list, tuple})


@dataclass(frozen=True, slots=True)
class BasicField:
    """How to complete one basic field: ``read(source, attribute)``, then by the field's type.

    Exactly one of ``leaf`` and ``object_type`` is set: the named type's coercion, or the object
    type whose sub-selection completes each value.
    """

    read: Callable[[Any, str], Any]
    attribute: str
    field_type: GraphQLOutputType
    non_null: bool
    is_list: bool
    item_type: GraphQLOutputType | None
    """The list's item type as declared (``None`` when not a list)."""
    item_non_null: bool
    leaf: GraphQLLeafType | None
    object_type: GraphQLObjectType | None
    is_type_of: Callable[[Any, Any], Any] | None
    """The object type's check of a value (strawberry's own, which ignores its second argument)."""
    as_is: Callable[[Any], bool]
    """Whether a value is already what the leaf type's coercion would return (a ``str`` for a
    ``String``, an ``int`` in range for an ``Int`` …): then it is used without calling it."""


def _never(_value: Any) -> bool:
    return False


_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_AS_IS: dict[GraphQLScalarType, Callable[[Any], bool]] = {
    GraphQLString: lambda value: value.__class__ is str,
    GraphQLID: lambda value: value.__class__ is str,
    GraphQLBoolean: lambda value: value.__class__ is bool,
    GraphQLInt: lambda value: value.__class__ is int and _INT_MIN <= value <= _INT_MAX,
    GraphQLFloat: lambda value: value.__class__ is float and isfinite(value),
}
"""graphql-core's built-in scalars return these values unchanged from ``coerce_output_value``."""


def _unwrapped(field_type: Any) -> tuple[bool, Any]:
    if isinstance(field_type, GraphQLNonNull):
        return True, field_type.of_type
    return False, field_type


def _info_free_is_type_of(object_type: GraphQLObjectType) -> bool:
    """Whether the type's ``is_type_of`` may be called without a resolve info: none, or strawberry's
    (its converter's closures take ``_info`` and never read it)."""
    check = object_type.is_type_of
    return check is None or getattr(check, "__qualname__", "").startswith("GraphQLCoreConverter.")


def _basic_field(field_def: Any) -> BasicField | None:
    """The direct completion of a field, or ``None`` when it must go through graphql-core."""
    if not getattr(field_def.resolve, "_is_default", False):
        return None
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
        return None
    non_null, named = _unwrapped(field_def.type)
    item_type: GraphQLOutputType | None = None
    item_non_null = False
    if isinstance(named, GraphQLList):
        item_type = named.of_type
        item_non_null, named = _unwrapped(item_type)
    leaf = named if isinstance(named, GraphQLScalarType | GraphQLEnumType) else None
    object_type = named if isinstance(named, GraphQLObjectType) else None
    if leaf is None and (object_type is None or not _info_free_is_type_of(object_type)):
        return None  # an abstract type, a list of lists: graphql-core's way
    return BasicField(
        read=definition.default_resolver,
        attribute=definition.python_name,
        field_type=field_def.type,
        non_null=non_null,
        is_list=item_type is not None,
        item_type=item_type,
        item_non_null=item_non_null,
        leaf=leaf,
        object_type=object_type,
        is_type_of=None if object_type is None else object_type.is_type_of,
        as_is=_AS_IS.get(leaf, _never) if isinstance(leaf, GraphQLScalarType) else _never,
    )


# per object type of a live schema: field name → its direct completion (absent: the ordinary way)
_BASIC: weakref.WeakKeyDictionary[GraphQLObjectType, dict[str, BasicField]] = weakref.WeakKeyDictionary()


def basic_fields(parent_type: GraphQLObjectType) -> dict[str, BasicField]:
    """The basic fields of ``parent_type``, computed once per type object."""
    fields = _BASIC.get(parent_type)
    if fields is None:
        fields = {}
        for name, field_def in parent_type.fields.items():
            basic = _basic_field(field_def)
            if basic is not None:
                fields[name] = basic
        _BASIC[parent_type] = fields
    return fields


class BasicFieldExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, completing basic fields directly (see the module's invariants)."""

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        basics = basic_fields(parent_type) if _no_middleware(self.middleware_manager) else None
        if not basics:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, field_group in grouped_field_set.items():
                basic = basics.get(field_group[0].node.name.value)
                if basic is not None and not field_group[0].node.directives:
                    if basic.leaf is not None and not basic.is_list:
                        value = self._read_leaf(basic, source_value)
                        if value is not Undefined:
                            results[response_name] = value  # a coerced leaf: never awaitable
                            continue
                    else:
                        result = self._complete_basic(
                            basic,
                            parent_type,
                            source_value,
                            path,
                            response_name,
                            field_group,
                            position_context,
                        )
                        if result is not Undefined:
                            results[response_name] = result
                            if is_awaitable(result):
                                awaitable_fields.append(response_name)
                            continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_group,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:  # settle the siblings' awaitables, which may fail too
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return _gathered_fields(results, awaitable_fields)

    def _read_leaf(self, basic: BasicField, source: Any) -> Any:
        """The field's completed value, or ``Undefined`` when the ordinary path must take it."""
        try:
            value = basic.read(source, basic.attribute)
        except Exception:
            return Undefined
        if value is None:
            return Undefined if basic.non_null else None
        if basic.as_is(value):
            return value
        return self._coerced(basic, value)

    def _coerced(self, basic: BasicField, value: Any) -> Any:
        """``value`` (not null) coerced by the field's leaf type, or ``Undefined``."""
        if value.__class__ not in _PLAIN_VALUES and not isinstance(value, Enum) and self.is_awaitable(value):
            return Undefined
        try:
            coerced = basic.leaf.coerce_output_value(value)  # type: ignore[union-attr]
        except Exception:
            return Undefined
        return Undefined if coerced is None else coerced

    def _accepts_object(self, basic: BasicField, value: Any) -> bool:
        """Whether ``value`` (not null) completes as the field's object type without an error."""
        if basic.is_type_of is not None:
            return basic.is_type_of(value, None) is True
        return not self.is_awaitable(value)

    def _complete_basic(
        self,
        basic: BasicField,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        response_name: str,
        field_group: FieldDetailsList,
        position_context: Any,
    ) -> Any:
        """An object, a list of objects or a list of leaves, completed; ``Undefined`` when the value
        must go the ordinary way (decided before anything below the field runs)."""
        try:
            value = basic.read(source, basic.attribute)
        except Exception:
            return Undefined
        if value is None:
            return Undefined if basic.non_null else None
        if not basic.is_list:
            if not self._accepts_object(basic, value):
                return Undefined
            items: Sequence[Any] = ()
        elif value.__class__ in _SEQUENCES:
            items = cast(Sequence[Any], value)
            if basic.leaf is not None:
                return self._leaf_list(basic, items)
            for item in items:
                if item is None:
                    if basic.item_non_null:
                        return Undefined
                elif not self._accepts_object(basic, item):
                    return Undefined
        else:
            return Undefined
        field_path = Path(path, response_name, parent_type.name)
        try:
            if basic.is_list:
                completed = self._object_list(basic, field_group, field_path, items, position_context)
            else:
                completed = self._object(basic, field_group, field_path, value, position_context)
        except Exception as raw_error:
            self.handle_field_error(raw_error, basic.field_type, field_group, field_path)
            return None
        if self.is_awaitable(completed):
            return self._awaited(completed, basic.field_type, field_group, field_path)
        return completed

    def _leaf_list(self, basic: BasicField, items: Sequence[Any]) -> Any:
        """A list of scalars or enums, coerced; ``Undefined`` if any item is not valid as it is."""
        completed: list[Any] = []
        for item in items:
            if item is None:
                if basic.item_non_null:
                    return Undefined
                completed.append(None)
                continue
            coerced = item if basic.as_is(item) else self._coerced(basic, item)
            if coerced is Undefined:
                return Undefined
            completed.append(coerced)
        return completed

    def _object(
        self, basic: BasicField, field_group: FieldDetailsList, path: Path, value: Any, position_context: Any
    ) -> Any:
        """One object's sub-selection executed (``is_type_of`` already passed)."""
        object_type = basic.object_type
        assert object_type is not None
        grouped, defer_usages, _forbidden = self.collect_subfields(object_type, field_group)
        return self.execute_collected_subfields(
            object_type, value, path, grouped, defer_usages, position_context
        )

    def _object_list(
        self,
        basic: BasicField,
        field_group: FieldDetailsList,
        path: Path,
        items: Sequence[Any],
        position_context: Any,
    ) -> Any:
        """Each object of a list completed; an item's error handled at the item, as graphql-core does."""
        item_type = basic.item_type
        assert item_type is not None
        is_awaitable = self.is_awaitable
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                if item is None:
                    completed.append(None)
                    continue
                item_path = path.add_key(index, None)
                try:
                    result = self._object(basic, field_group, item_path, item, position_context)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, field_group, item_path)
                    completed.append(None)
                    continue
                if is_awaitable(result):
                    completed.append(self._awaited(result, item_type, field_group, item_path))
                    awaitable_indices.append(index)
                else:
                    completed.append(result)
        except Exception:
            if awaitable_indices:
                self.settle_in_background([completed[index] for index in awaitable_indices])
            raise
        if not awaitable_indices:
            return completed
        return _gathered_items(completed, awaitable_indices)

    async def _awaited(
        self,
        completing: Awaitable[Any],
        return_type: GraphQLOutputType,
        field_group: FieldDetailsList,
        path: Path,
    ) -> Any:
        """``completing`` awaited, its error handled at ``path`` (a null there, or propagated)."""
        try:
            return await completing
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_group, path)
            return None


async def _gathered_fields(results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
    """``results`` with its awaitable values awaited together (the first error cancels the rest)."""
    if len(awaitable_fields) == 1:
        name = awaitable_fields[0]
        results[name] = await results[name]
    else:
        awaited = await gather_with_cancel(*(results[name] for name in awaitable_fields))
        results.update(zip(awaitable_fields, awaited, strict=True))
    return results


async def _gathered_items(completed: list[Any], awaitable_indices: list[int]) -> list[Any]:
    """``completed`` with its awaitable items awaited together (the first error cancels the rest)."""
    awaited = await gather_with_cancel(*(completed[index] for index in awaitable_indices))
    for index, value in zip(awaitable_indices, awaited, strict=True):
        completed[index] = value
    return completed


def _no_middleware(manager: MiddlewareManager | None) -> bool:
    """Whether no middleware wraps resolvers (strawberry always passes a manager, empty without
    ``resolve`` hooks)."""
    return manager is None or not manager.middlewares
