"""A static estimate of what a GraphQL operation costs, computed on the validated document before any
resolver runs (pure: no I/O, no clock).

The cost is the number of field resolutions the operation can cause, an upper bound:

- every selected field costs 1 (aliases are separate selections, so each counts; ``__typename`` too);
- a **page-size argument** multiplies the part of the subtree that is repeated per item. Page-size
  arguments are read from the schema, so new fields are costed without changes here: an ``Int``
  argument named ``first`` or ``last``, or one whose name has the shape ``<items>Per<Thing>``
  (``assetsPerLane``, ``sessionsPerGroup``). The value is the literal, else the variable (else the
  variable's default), else the argument's default in the schema, else :data:`UNKNOWN_PAGE_SIZE`.
  A page size is *pending* until a list field below it consumes it (in argument order, ``first``/
  ``last`` before ``…Per…``): for ``sessions(first: 100) { totalCount edges { node { id } } }`` the
  ``edges`` list is 100 items long, so ``node`` and ``id`` count 100 times each while ``totalCount``
  counts once (cost 1 + 1 + 1 + 100 × 2 = 203). A paged field that is itself a list
  (``thumbnails(first: 9)``) consumes its own size.
- a list field with no pending page size and none of its own counts :data:`UNSIZED_LIST_ITEMS`
  items, except that a list *argument* (``nodes(ids: [...])``) gives its length when it has one;
- introspection lists count what the schema really holds: ``__Schema.types`` its number of types,
  ``fields``/``enumValues``/``inputFields``/``interfaces``/``possibleTypes`` their total over all
  types divided by the number of types, ``args`` its mean per field (rounded up, at least 1), and an
  ``ofType`` chain longer than the schema's deepest wrapping (``[X!]!`` is 3) nothing (it is null).
  GraphiQL's introspection query so costs about what it resolves, and a nested one
  (``types { fields { type { fields … }``) the product it really is.
- fragment spreads are expanded (a cycle, which validation rejects anyway, is cut) and inline
  fragments counted; the alternatives of an abstract type are summed, not maxed, and ``@skip`` /
  ``@include`` are ignored: both only ever overestimate.

Invariant: the estimate depends only on the document, the operation name, the variables and the
schema, so the same request always gets the same cost.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
)
from graphql.pyutils import Undefined
from graphql.type.definition import GraphQLInterfaceType, GraphQLNamedType
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef
from graphql.type.scalars import GraphQLInt
from graphql.utilities import type_from_ast

UNSIZED_LIST_ITEMS = 10
"""Items counted for a list field that has no page size (``phases``, ``loras``, introspection's
``types``/``fields``): such lists are short in this schema (a session's phases, a file's LoRAs)."""
UNKNOWN_PAGE_SIZE = 100
"""A page size the estimate cannot read (a null literal, a missing variable without default): the
largest page the API serves (:data:`api.graphql.pagination.PAGE_SIZE_MAX`)."""

_PER_PATTERN = re.compile(r"^[a-z][A-Za-z0-9]*Per[A-Z][A-Za-z0-9]*$")
_FIRST_NAMES = frozenset({"first", "last"})


def is_page_size_argument(name: str, argument_type: object) -> bool:
    """Whether an argument called ``name`` of ``argument_type`` is a page size (see the module doc)."""
    named = argument_type.of_type if isinstance(argument_type, GraphQLNonNull) else argument_type
    return named is GraphQLInt and (name in _FIRST_NAMES or bool(_PER_PATTERN.match(name)))


def estimate_cost(
    schema: GraphQLSchema,
    document_definitions: Sequence[object],
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of the operation ``operation_name`` (or the only one) of a validated document's
    ``definitions``; 0 when there is no such operation."""
    operations = [item for item in document_definitions if isinstance(item, OperationDefinitionNode)]
    fragments = {
        item.name.value: item for item in document_definitions if isinstance(item, FragmentDefinitionNode)
    }
    if operation_name is not None:
        operations = [item for item in operations if item.name and item.name.value == operation_name]
    if not operations:
        return 0
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    estimator = _Estimator(schema, fragments, _variable_values(schema, operation, variables or {}))
    return estimator.selection_set(root, operation.selection_set, _Path())


def is_introspection_only(document_definitions: Sequence[object], operation_name: str | None) -> bool:
    """Whether the operation selects only ``__schema``, ``__type`` and ``__typename`` at its root
    (directly or through fragments): it reads the schema, never the database."""
    operations = [item for item in document_definitions if isinstance(item, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [item for item in operations if item.name and item.name.value == operation_name]
    if not operations:
        return False
    fragments = {
        item.name.value: item for item in document_definitions if isinstance(item, FragmentDefinitionNode)
    }
    pending = [operations[0].selection_set]
    seen: set[str] = set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                if not selection.name.value.startswith("__"):
                    return False
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    pending.append(fragment.selection_set)
    return True


def _variable_values(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Mapping[str, Any]
) -> dict[str, Any]:
    """Each variable's value as sent, or its default in the document (``None`` when neither)."""
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in variables:
            values[name] = variables[name]
        elif definition.default_value is not None:
            variable_type = type_from_ast(schema, definition.type)
            values[name] = _literal(definition.default_value, {}) if variable_type is not None else None
    return values


def _literal(node: ValueNode, variables: Mapping[str, Any]) -> Any:
    """A value node as a Python value, as far as the estimate needs it (ints, lists, variables)."""
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, ListValueNode):
        return [_literal(item, variables) for item in node.values]
    if isinstance(node, NullValueNode):
        return None
    return getattr(node, "value", None)


@dataclass(frozen=True)
class _Path:
    """What the estimate carries down one path of the document."""

    pending: tuple[int, ...] = ()
    """Page sizes not yet consumed by a list field."""
    fragments: frozenset[str] = frozenset()
    """Fragments being expanded on this path (a cycle is cut)."""
    of_type_depth: int = 0
    """How many ``__Type.ofType`` in a row end here."""


class _Estimator:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.introspection_sizes = introspection_list_sizes(schema)
        self.deepest_wrapping = deepest_wrapping(schema)

    def selection_set(self, parent: GraphQLNamedType, selection_set: SelectionSetNode, path: _Path) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, path)
            elif isinstance(selection, InlineFragmentNode):
                condition = parent
                if selection.type_condition is not None:
                    condition = self.schema.get_type(selection.type_condition.name.value) or parent
                total += self.selection_set(condition, selection.selection_set, path)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in path.fragments:
                    continue  # unknown or cyclic: validation refuses both; never recurse forever
                condition = self.schema.get_type(fragment.type_condition.name.value) or parent
                inner = _Path(path.pending, path.fragments | {name}, path.of_type_depth)
                total += self.selection_set(condition, fragment.selection_set, inner)
        return total

    def field(self, parent: GraphQLNamedType, node: FieldNode, path: _Path) -> int:
        definition = self._definition(parent, node.name.value)
        if definition is None:
            return 1
        of_type_depth = 0
        if parent.name == "__Type" and node.name.value == "ofType":
            of_type_depth = path.of_type_depth + 1
            if of_type_depth > self.deepest_wrapping:
                return 0  # deeper than any type of the schema is wrapped: always null, never resolved
        sizes, list_lengths = self._argument_sizes(definition, node)
        pending = path.pending + sizes
        items = 1
        if _is_list(definition.type):
            introspected = self.introspection_sizes.get((parent.name, node.name.value))
            if introspected is not None:
                items = introspected
            elif pending:
                items, pending = pending[0], pending[1:]
            elif list_lengths:
                items = max(list_lengths)
            else:
                items = UNSIZED_LIST_ITEMS
        if node.selection_set is None:
            return 1
        inner = _Path(pending, path.fragments, of_type_depth)
        return 1 + items * self.selection_set(get_named_type(definition.type), node.selection_set, inner)

    def _definition(self, parent: GraphQLNamedType, name: str) -> GraphQLField | None:
        if name == "__typename":
            return TypeNameMetaFieldDef
        if parent is self.schema.query_type:
            if name == "__schema":
                return SchemaMetaFieldDef
            if name == "__type":
                return TypeMetaFieldDef
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return parent.fields.get(name)
        return None

    def _argument_sizes(self, definition: GraphQLField, node: FieldNode) -> tuple[tuple[int, ...], list[int]]:
        """The field's page sizes (``first``/``last`` first) and the lengths of its list arguments."""
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        firsts: list[int] = []
        others: list[int] = []
        list_lengths: list[int] = []
        for name, argument in definition.args.items():
            value: Any = None
            if name in given:
                value = _literal(given[name], self.variables)
            if value is None and argument.default_value is not Undefined:
                value = argument.default_value
            if is_page_size_argument(name, argument.type):
                size = value if isinstance(value, int) and not isinstance(value, bool) else UNKNOWN_PAGE_SIZE
                (firsts if name in _FIRST_NAMES else others).append(max(0, size))
            elif _is_list(argument.type) and isinstance(value, list):
                list_lengths.append(len(value))
        # ``first`` and ``last`` on one field still ask for one page: the larger counts
        return (max(firsts), *others) if firsts else tuple(others), list_lengths


@functools.cache
def introspection_list_sizes(schema: GraphQLSchema) -> dict[tuple[str, str], int]:
    """``(introspection type, list field) -> items`` for ``schema`` (see the module doc); computed once."""
    types = list(schema.type_map.values())
    fields = [
        field
        for item in types
        if isinstance(item, GraphQLObjectType | GraphQLInterfaceType)
        for field in item.fields.values()
    ]

    def per_type(kind: type | tuple[type, ...], length: Callable[[Any], int]) -> int:
        return _mean(sum(length(item) for item in types if isinstance(item, kind)), len(types))

    return {
        ("__Schema", "types"): len(types),
        ("__Schema", "directives"): len(schema.directives),
        ("__Type", "fields"): per_type(
            (GraphQLObjectType, GraphQLInterfaceType), lambda item: len(item.fields)
        ),
        ("__Type", "interfaces"): per_type(
            (GraphQLObjectType, GraphQLInterfaceType), lambda item: len(item.interfaces)
        ),
        ("__Type", "possibleTypes"): per_type(
            (GraphQLInterfaceType, GraphQLUnionType), lambda item: len(schema.get_possible_types(item))
        ),
        ("__Type", "enumValues"): per_type(GraphQLEnumType, lambda item: len(item.values)),
        ("__Type", "inputFields"): per_type(GraphQLInputObjectType, lambda item: len(item.fields)),
        ("__Field", "args"): _mean(sum(len(field.args) for field in fields), len(fields)),
        ("__Directive", "args"): _mean(
            sum(len(item.args) for item in schema.directives), len(schema.directives)
        ),
    }


@functools.cache
def deepest_wrapping(schema: GraphQLSchema) -> int:
    """The most list/non-null wrappers around any field's or argument's type (``[X!]!`` is 3): a
    chain of ``ofType`` longer than this resolves to null."""
    deepest = 0
    for item in schema.type_map.values():
        fields = item.fields.values() if isinstance(item, GraphQLObjectType | GraphQLInterfaceType) else ()
        inputs = item.fields.values() if isinstance(item, GraphQLInputObjectType) else ()
        wrapped: list[object] = [field.type for field in fields] + [field.type for field in inputs]
        wrapped += [argument.type for field in fields for argument in field.args.values()]
        for field_type in wrapped:
            depth = 0
            while isinstance(field_type, GraphQLList | GraphQLNonNull):
                depth, field_type = depth + 1, field_type.of_type
            deepest = max(deepest, depth)
    return deepest


def _mean(total: int, count: int) -> int:
    """``total / count`` rounded up, at least 1 (a list asked for is at least one resolution)."""
    return max(1, math.ceil(total / count)) if count else 1


def _is_list(output_type: object) -> bool:
    unwrapped = output_type.of_type if isinstance(output_type, GraphQLNonNull) else output_type
    return isinstance(unwrapped, GraphQLList)
