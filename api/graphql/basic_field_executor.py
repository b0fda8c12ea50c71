"""An executor that completes plain attributes and values of known shapes without graphql-core's
per-field machinery.

A page of 100 images is ~1,900 fields, nearly all of them plain attributes: scalars (``prompt``,
``seed``), enums, and the objects and lists that hold them (``edges``, ``node``, ``loras``). For each
one graphql-core builds a resolve-info tuple, calls strawberry's attribute resolver through its
wrapper, and walks ``complete_value``'s type dispatch (``complete_list_value`` →
``complete_object_value`` → ``collect_and_execute_subfields``) — ~10 µs a field, most of a page's
CPU. :class:`BasicFieldExecutor`:

- completes a *basic* field directly: it reads the attribute strawberry would read (the field's
  configured default resolver and Python name);
- completes a value of a known shape directly, whether a basic field read it or a resolver returned
  it (``complete_value``): a scalar or enum is coerced by its type's own ``coerce_output_value`` (a
  built-in scalar's value that is already what coercion returns is used as it is); an object, or each
  object of a list, has its sub-selection collected by graphql-core's own (memoised)
  ``collect_subfields`` and executed by ``execute_collected_subfields``, so ``@defer`` inside,
  resolvers below, and the paths of errors stay graphql-core's.

Invariants:
- a *basic* field has no resolver, no field extensions (so no permission classes), no exception
  handlers (strawberry resolves it with ``_get_basic_result``, marked ``_is_default``); basic fields
  take the fast path only when no middleware is installed (a schema extension's ``resolve`` hook must
  see every field);
- a *known shape* is a scalar, an enum, an object type whose ``is_type_of`` is absent or strawberry's
  own (which ignores the resolve info), or a list of one of these — each possibly non-null — on a
  field carrying no directive (``@stream``); abstract types and lists of lists go graphql-core's way;
- every check that can send a value the ordinary way (a null in a non-null position, a value the
  scalar refuses, an object ``is_type_of`` refuses, an awaitable, a list that is not a list or
  tuple) is made *before* anything below the value runs; the ordinary way then completes it (a basic
  field's attribute is read again: plain data, so reading it twice is harmless) and reports the
  error exactly as before;
- once sub-selections run, their errors are handled as graphql-core handles them
  (``handle_field_error`` at the item, then at the field: a null where allowed, else propagated),
  and awaitables are gathered the way ``execute_fields`` and ``complete_iterable_value`` gather them;
- a *plain resolver* — synchronous, no field extensions (so no permission classes), no exception
  handler, taking ``self`` and/or ``info`` and arguments of plain scalar types only (``int``,
  ``str``, ``float``, ``bool``, possibly optional: strawberry passes them as graphql-core coerced
  them) — is called directly with the arguments strawberry's wrapper would pass (the source, an
  ``Info`` of the schema's class around the same resolve info, the coerced arguments under their
  Python names), then completed as ``execute_field`` completes it (an awaitable it returns is
  awaited the same way); strawberry's wrapper would convert no argument, run no extension and
  handle no exception for it;
- the response keeps the selection's order; every other field (async resolvers, resolvers with
  arguments, ``__typename``) is executed by graphql-core's ``execute_field`` unchanged.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from math import isfinite
from operator import attrgetter
from typing import Any, cast

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLResolveInfoHelpers,
    GraphQLScalarType,
    GraphQLString,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import to_nodes
from graphql.execution.middleware import MiddlewareManager
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info

# values that can never be awaitable: checked by class before asking the costlier awaitable test
_PLAIN_VALUES: frozenset[type] = frozenset({str, int, float, bool, datetime, date})
_SEQUENCES: frozenset[type] = frozenset({list, tuple})


@dataclass(frozen=True, slots=True)
class Completion:
    """How a value of one output type is completed directly.

    Exactly one of ``leaf`` and ``object_type`` is set: the named type's coercion, or the object
    type whose sub-selection completes each value.
    """

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
    single_leaf: bool
    """One scalar or enum value (not a list): ``leaf is not None and not is_list``."""


@dataclass(frozen=True, slots=True)
class BasicField:
    """How to complete one basic field: ``read(source, attribute)``, then by its type's completion."""

    read: Callable[[Any, str], Any]
    attribute: str
    completion: Completion


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


def _completion(field_type: GraphQLOutputType) -> Completion | None:
    """The direct completion of ``field_type``, or ``None`` when graphql-core must complete it."""
    non_null, named = _unwrapped(field_type)
    item_type: GraphQLOutputType | None = None
    item_non_null = False
    if isinstance(named, GraphQLList):
        item_type = named.of_type
        item_non_null, named = _unwrapped(item_type)
    leaf = named if isinstance(named, GraphQLScalarType | GraphQLEnumType) else None
    object_type = named if isinstance(named, GraphQLObjectType) else None
    if leaf is None and (object_type is None or not _info_free_is_type_of(object_type)):
        return None  # an abstract type, a list of lists: graphql-core's way
    return Completion(
        field_type=field_type,
        non_null=non_null,
        is_list=item_type is not None,
        item_type=item_type,
        item_non_null=item_non_null,
        leaf=leaf,
        object_type=object_type,
        is_type_of=None if object_type is None else object_type.is_type_of,
        as_is=_AS_IS.get(leaf, _never) if isinstance(leaf, GraphQLScalarType) else _never,
        single_leaf=leaf is not None and item_type is None,
    )


# per output type object of a live schema (wrappers included): its direct completion, or None
_COMPLETIONS: weakref.WeakKeyDictionary[GraphQLOutputType, Completion | None] = weakref.WeakKeyDictionary()


def completion_of(field_type: GraphQLOutputType) -> Completion | None:
    """:func:`_completion`, computed once per type object."""
    try:
        return _COMPLETIONS[field_type]
    except KeyError:
        completion = _COMPLETIONS[field_type] = _completion(field_type)
        return completion


def _basic_field(field_def: Any) -> BasicField | None:
    """The direct completion of a field, or ``None`` when it must go through graphql-core."""
    if not getattr(field_def.resolve, "_is_default", False):
        return None
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
        return None
    completion = completion_of(field_def.type)
    if completion is None:
        return None
    return BasicField(definition.default_resolver, definition.python_name, completion)


@dataclass(frozen=True, slots=True, eq=False)  # compared and hashed by identity (a per-request key)
class PlainResolver:
    """A synchronous resolver without field extensions or exception handlers, whose arguments are of
    plain scalar types, called directly: ``function(source, info=Info, **arguments)`` as strawberry
    would call it, then completed as graphql-core completes a resolver's value."""

    field_def: GraphQLField
    definition: StrawberryField
    function: Callable[..., Any]
    takes_source: bool
    """The resolver is a method: the source is its first argument (``self``)."""
    info_name: str | None
    """The name of its ``Info`` parameter, if it has one."""
    info_class: type[Info]
    """The schema's ``Info`` class (its config's)."""
    argument_names: dict[str, str]
    """GraphQL argument name → the resolver's parameter name (arguments of plain scalar types only)."""


_PLAIN_ARGUMENT_TYPES: frozenset[object] = frozenset({int, str, float, bool})
"""Argument types strawberry passes to a resolver as graphql-core coerced them (no conversion)."""


def _plain_resolver(field_def: GraphQLField, strawberry_schema: Any) -> PlainResolver | None:
    """The direct call of a field's resolver, or ``None`` when strawberry's wrapper must call it."""
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or definition.base_resolver is None:
        return None
    resolver = definition.base_resolver
    if definition.is_async or definition.extensions:
        return None
    if resolver.root_parameter is not None or resolver.parent_parameter is not None:
        return None
    converter = getattr(strawberry_schema, "schema_converter", None)
    if converter is None or converter._get_field_exception_handlers(definition):
        return None
    function = resolver.wrapped_func
    if not callable(function):  # a staticmethod or classmethod object not bound by strawberry
        return None
    argument_names: dict[str, str] = {}
    for argument in definition.arguments:
        argument_type = argument.type
        if isinstance(argument_type, StrawberryOptional):
            argument_type = argument_type.of_type
        if argument_type not in _PLAIN_ARGUMENT_TYPES:
            return None  # strawberry converts it (an input type, an enum, a list, a custom scalar)
        argument_names[strawberry_schema.config.name_converter.get_graphql_name(argument)] = (
            argument.python_name
        )
    if set(argument_names) != set(field_def.args):
        return None
    info = resolver.info_parameter
    return PlainResolver(
        field_def=field_def,
        definition=definition,
        function=function,
        takes_source=resolver.self_parameter is not None,
        info_name=None if info is None else info.name,
        info_class=strawberry_schema.config.info_class,
        argument_names=argument_names,
    )


FastField = BasicField | PlainResolver


@dataclass(frozen=True, slots=True)
class SelectionPlan:
    """How one collected selection of ``parent_type`` is executed, field by field (``None``: by
    graphql-core's ``execute_field``), made once per selection and request (graphql-core collects a
    list's items' sub-selection once, so every item shares it)."""

    fields: GroupedFieldSet
    """The selection itself (kept alive and compared by identity: the plan is found by its ``id``)."""
    parent_type: GraphQLObjectType
    steps: tuple[tuple[str, FieldDetailsList, FastField | None], ...]
    read_leaves: Callable[[Any], tuple[Any, ...]] | None
    """Every basic leaf's attribute read at once (``operator.attrgetter``, in the steps' order) when
    each is read by ``getattr``; if it raises, each leaf is read on its own."""
    leaves_only: bool
    """Every field is a basic leaf read by ``read_leaves``: an object completes in one loop."""
    any_fast: bool
    """Some field takes a fast way (else graphql-core's ``execute_fields`` runs the selection)."""


# per object type of a live schema: field name → its fast way (absent: graphql-core's execute_field)
_FAST: weakref.WeakKeyDictionary[GraphQLObjectType, dict[str, FastField]] = weakref.WeakKeyDictionary()


def fast_fields(parent_type: GraphQLObjectType, strawberry_schema: Any) -> dict[str, FastField]:
    """The basic fields and plain resolvers of ``parent_type``, computed once per type object."""
    fields = _FAST.get(parent_type)
    if fields is None:
        fields = {}
        for name, field_def in parent_type.fields.items():
            fast = _basic_field(field_def) or _plain_resolver(field_def, strawberry_schema)
            if fast is not None:
                fields[name] = fast
        _FAST[parent_type] = fields
    return fields


class BasicFieldExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, completing basic fields and the values of known shapes directly (see
    the module's invariants)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.async_helpers = _weak_async_helpers(self)
        # per request: plain dicts (no weak references to make per lookup); the schema outlives it
        self._plans: dict[int, SelectionPlan] = {}
        self._completions: dict[GraphQLOutputType, Completion | None] = {}
        self._defaults: dict[PlainResolver, dict[str, Any]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        plan = self._plan_for(parent_type, grouped_field_set)
        if not plan.any_fast:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        leaf_values: tuple[Any, ...] | None = None
        if plan.read_leaves is not None:
            try:
                leaf_values = plan.read_leaves(source_value)
            except Exception:
                leaf_values = None  # each leaf read on its own: the failing one goes the ordinary way
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        is_awaitable = self.is_awaitable
        leaf_index = 0
        try:
            for response_name, field_group, way in plan.steps:
                if way.__class__ is BasicField:
                    completion = way.completion
                    if completion.single_leaf:
                        if leaf_values is None:
                            value = self._read_leaf(way, source_value)
                        else:
                            value = self._leaf_value(completion, leaf_values[leaf_index])
                            leaf_index += 1
                        if value is not Undefined:
                            results[response_name] = value  # a coerced leaf: never awaitable
                            continue
                    else:
                        result = self._complete_basic(
                            way, parent_type, source_value, path, response_name, field_group, position_context
                        )
                        if result is not Undefined:
                            results[response_name] = result
                            if is_awaitable(result):
                                awaitable_fields.append(response_name)
                            continue
                elif way.__class__ is PlainResolver:
                    result = self._execute_plain(
                        way,
                        parent_type,
                        source_value,
                        field_group,
                        Path(path, response_name, parent_type.name),
                        position_context,
                    )
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

    def _plan_for(self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> SelectionPlan:
        """The plan of this selection, made on first use in this request."""
        plan = self._plans.get(id(grouped_field_set))
        if plan is None or plan.fields is not grouped_field_set or plan.parent_type is not parent_type:
            plan = self._plans[id(grouped_field_set)] = self._plan(parent_type, grouped_field_set)
        return plan

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> SelectionPlan:
        """How each field of this selection is executed (none a fast way when middleware must see
        every field)."""
        if not _no_middleware(self.middleware_manager):
            return SelectionPlan(grouped_field_set, parent_type, (), None, leaves_only=False, any_fast=False)
        fast = fast_fields(parent_type, getattr(self.schema, "_strawberry_schema", None))
        steps: list[tuple[str, FieldDetailsList, FastField | None]] = []
        leaf_attributes: list[str] = []
        every_leaf_by_getattr = True
        for response_name, field_group in grouped_field_set.items():
            way = fast.get(field_group[0].node.name.value)
            if way is not None and field_group[0].node.directives:
                way = None
            if isinstance(way, BasicField) and way.completion.single_leaf:
                leaf_attributes.append(way.attribute)
                every_leaf_by_getattr = every_leaf_by_getattr and way.read is getattr
            steps.append((response_name, field_group, way))
        read_leaves: Callable[[Any], tuple[Any, ...]] | None = None
        if leaf_attributes and every_leaf_by_getattr:
            getter = attrgetter(*leaf_attributes)
            read_leaves = getter if len(leaf_attributes) > 1 else lambda source: (getter(source),)
        return SelectionPlan(
            grouped_field_set,
            parent_type,
            tuple(steps),
            read_leaves,
            leaves_only=read_leaves is not None and len(leaf_attributes) == len(steps),
            any_fast=any(way is not None for _, _, way in steps),
        )

    def _leaf_value(self, completion: Completion, value: Any) -> Any:
        """A basic leaf's value (already read) completed, or ``Undefined`` for the ordinary way."""
        if value is None:
            return Undefined if completion.non_null else None
        if completion.as_is(value):
            return value
        return self._coerced(completion, value)

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's completion, but a resolver's object, list of objects or leaf of a known
        shape is completed directly (errors raised to the caller exactly as graphql-core raises them)."""
        if result is not None and not isinstance(result, Exception):
            try:
                completion = self._completions[return_type]
            except KeyError:
                completion = self._completions[return_type] = completion_of(return_type)
            if completion is not None and not field_details_list[0].node.directives:
                completed = self._complete_direct(
                    completion, field_details_list, path, result, position_context
                )
                if completed is not Undefined:
                    return completed
        return super().complete_value(return_type, field_details_list, info, path, result, position_context)

    def _execute_plain(
        self,
        plain: PlainResolver,
        parent_type: GraphQLObjectType,
        source: Any,
        field_group: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        """What ``execute_field`` does for this field, calling the resolver without strawberry's
        wrapper (which would convert no argument, run no extension and handle no exception here)."""
        return_type = plain.field_def.type
        info = self.build_resolve_info(plain.field_def, to_nodes(field_group), parent_type, path)
        try:
            arguments: dict[str, Any] = {}
            if plain.argument_names:
                arguments = self._plain_arguments(plain, field_group)
            if plain.info_name is not None:
                arguments[plain.info_name] = plain.info_class(_raw_info=info, _field=plain.definition)
            result = (
                plain.function(source, **arguments) if plain.takes_source else plain.function(**arguments)
            )
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type, field_group, info, path, result, position_context
                )
            completed = self.complete_value(return_type, field_group, info, path, result, position_context)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_group, path)
            return None
        if self.is_awaitable(completed):
            return self._awaited(completed, return_type, field_group, path)
        return completed

    def _plain_arguments(self, plain: PlainResolver, field_group: FieldDetailsList) -> dict[str, Any]:
        """The resolver's arguments as graphql-core coerces them, under their Python names. A field
        written without arguments gets its defaults, the same on every item of a list: coerced once
        per request."""
        details = field_group[0]
        written = bool(details.node.arguments)
        if not written and plain in self._defaults:
            return dict(self._defaults[plain])
        coerced = get_argument_values(
            plain.field_def,
            details.node,
            self.variable_values,
            details.fragment_variable_values,
            self.hide_suggestions,
        )
        arguments = {plain.argument_names[name]: value for name, value in coerced.items()}
        if not written:
            self._defaults[plain] = dict(arguments)
        return arguments

    def _read_leaf(self, basic: BasicField, source: Any) -> Any:
        """The field's completed value, or ``Undefined`` when the ordinary path must take it."""
        try:
            value = basic.read(source, basic.attribute)
        except Exception:
            return Undefined
        return self._leaf_value(basic.completion, value)

    def _coerced(self, completion: Completion, value: Any) -> Any:
        """``value`` (not null) coerced by the leaf type, or ``Undefined``."""
        if value.__class__ not in _PLAIN_VALUES and not isinstance(value, Enum) and self.is_awaitable(value):
            return Undefined
        try:
            coerced = completion.leaf.coerce_output_value(value)  # type: ignore[union-attr]
        except Exception:
            return Undefined
        return Undefined if coerced is None else coerced

    def _accepts_object(self, completion: Completion, value: Any) -> bool:
        """Whether ``value`` (not null) completes as the object type without an error."""
        if completion.is_type_of is not None:
            return completion.is_type_of(value, None) is True
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
        """A basic field's object or list, completed with its errors handled at the field;
        ``Undefined`` when it must go the ordinary way."""
        try:
            value = basic.read(source, basic.attribute)
        except Exception:
            return Undefined
        completion = basic.completion
        if value is None:
            return Undefined if completion.non_null else None
        field_path = Path(path, response_name, parent_type.name)
        try:
            completed = self._complete_direct(completion, field_group, field_path, value, position_context)
        except Exception as raw_error:
            self.handle_field_error(raw_error, completion.field_type, field_group, field_path)
            return None
        if completed is not Undefined and self.is_awaitable(completed):
            return self._awaited(completed, completion.field_type, field_group, field_path)
        return completed

    def _complete_direct(
        self,
        completion: Completion,
        field_group: FieldDetailsList,
        path: Path,
        value: Any,
        position_context: Any,
    ) -> Any:
        """``value`` (not null) completed — possibly an awaitable; an error below a list item is
        handled at the item, one below the value raised — or ``Undefined`` when graphql-core must
        complete it, decided before anything below the value runs."""
        if not completion.is_list:
            if completion.leaf is not None:
                return value if completion.as_is(value) else self._coerced(completion, value)
            if not self._accepts_object(completion, value):
                return Undefined
            return self._object(completion, field_group, path, value, position_context)
        if value.__class__ not in _SEQUENCES:
            return Undefined
        items = cast(Sequence[Any], value)
        if completion.leaf is not None:
            return self._leaf_list(completion, items)
        for item in items:
            if item is None:
                if completion.item_non_null:
                    return Undefined
            elif not self._accepts_object(completion, item):
                return Undefined
        return self._object_list(completion, field_group, path, items, position_context)

    def _leaf_list(self, completion: Completion, items: Sequence[Any]) -> Any:
        """A list of scalars or enums, coerced; ``Undefined`` if any item is not valid as it is."""
        completed: list[Any] = []
        for item in items:
            if item is None:
                if completion.item_non_null:
                    return Undefined
                completed.append(None)
                continue
            coerced = item if completion.as_is(item) else self._coerced(completion, item)
            if coerced is Undefined:
                return Undefined
            completed.append(coerced)
        return completed

    def _object(
        self,
        completion: Completion,
        field_group: FieldDetailsList,
        path: Path,
        value: Any,
        position_context: Any,
    ) -> Any:
        """One object's sub-selection executed (``is_type_of`` already passed)."""
        object_type = completion.object_type
        assert object_type is not None
        grouped, defer_usages, _forbidden = self.collect_subfields(object_type, field_group)
        plan = self._leaves_plan(object_type, grouped, defer_usages, position_context)
        if plan is not None:
            completed = self._leaves_of(plan, value)
            if completed is not Undefined:
                return completed
        return self.execute_collected_subfields(
            object_type, value, path, grouped, defer_usages, position_context
        )

    def _leaves_plan(
        self, object_type: GraphQLObjectType, grouped: Any, defer_usages: Any, position_context: Any
    ) -> SelectionPlan | None:
        """The plan of an object's collected selection (``grouped``) when it is basic leaves only and
        executed plainly (no ``@defer``: what ``execute_fields`` would be given), else ``None``."""
        if defer_usages or position_context is not None:
            return None
        plan = self._plan_for(object_type, grouped)
        return plan if plan.leaves_only else None

    def _leaves_of(self, plan: SelectionPlan, value: Any) -> Any:
        """An object whose selection is basic leaves only, completed in one loop; ``Undefined`` when
        any leaf must go the ordinary way (``execute_fields`` then reads them all again)."""
        assert plan.read_leaves is not None
        try:
            values = plan.read_leaves(value)
        except Exception:
            return Undefined
        completed: dict[str, Any] = {}
        for (response_name, _group, way), leaf in zip(plan.steps, values, strict=True):
            completion = cast(BasicField, way).completion
            if leaf is None:
                if completion.non_null:
                    return Undefined
                completed[response_name] = None
            elif completion.as_is(leaf):
                completed[response_name] = leaf
            else:
                coerced = self._coerced(completion, leaf)
                if coerced is Undefined:
                    return Undefined
                completed[response_name] = coerced
        return completed

    def _object_list(
        self,
        completion: Completion,
        field_group: FieldDetailsList,
        path: Path,
        items: Sequence[Any],
        position_context: Any,
    ) -> Any:
        """Each object of a list completed; an item's error handled at the item, as graphql-core does.

        Every item has the same type and selection: when that selection is basic leaves only, its plan
        is found once for the list and each item completed in one loop (:meth:`_leaves_of`), with no
        path of its own; an item it cannot complete goes through :meth:`_object` as any other."""
        item_type = completion.item_type
        assert item_type is not None
        is_awaitable = self.is_awaitable
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        object_type = completion.object_type
        assert object_type is not None
        grouped, defer_usages, _forbidden = self.collect_subfields(object_type, field_group)
        leaves_plan = self._leaves_plan(object_type, grouped, defer_usages, position_context)
        try:
            for index, item in enumerate(items):
                if item is None:
                    completed.append(None)
                    continue
                if leaves_plan is not None:
                    leaves = self._leaves_of(leaves_plan, item)
                    if leaves is not Undefined:
                        completed.append(leaves)
                        continue
                item_path = path.add_key(index, None)
                try:
                    result = self._object(completion, field_group, item_path, item, position_context)
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


def _weak_async_helpers(executor: BasicFieldExecutor) -> GraphQLResolveInfoHelpers:
    """graphql-core's resolver helpers (``info.async_helpers``), reaching the executor through a weak
    reference. graphql-core builds them from the executor's bound methods, a reference cycle through
    which the whole request — its context, loaders and every row they read — stayed alive until the
    cyclic collector found it (~500 objects a sessions page). Without the cycle, a request's objects
    are freed by reference counting when it ends. Resolvers only call the helpers during execution,
    while strawberry holds the executor."""
    owner = weakref.ref(executor)

    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return _alive(owner).gather_async_work(values)

    def track(values: Sequence[Any]) -> None:
        _alive(owner).track_async_work(values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


def _alive(owner: weakref.ReferenceType[BasicFieldExecutor]) -> BasicFieldExecutor:
    executor = owner()
    if executor is None:  # pragma: no cover - helpers are only handed to resolvers of a live execution
        raise RuntimeError("a resolver used info.async_helpers after its execution ended")
    return executor


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
