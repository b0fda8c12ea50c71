"""The static cost estimate (api/graphql/query_cost.py) of documents against the real schema: fields,
aliases, connections with literal, variable and default page sizes, fragments (and a cycle), lists
without a size, list arguments, introspection, and page-size arguments found by name on a new field.

Issue 9, item 10.
"""

from __future__ import annotations

from typing import Annotated, Any

import pytest
import strawberry
from graphql import GraphQLSchema, get_introspection_query, parse

from api.graphql.cost_limits import INTROSPECTION_MAX_COST
from api.graphql.query_cost import UNSIZED_LIST_ITEMS, estimate_cost
from api.graphql.schema import build_schema
from catalog.settings import AtelierSettings


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema()._schema


def cost(schema: GraphQLSchema, document: str, operation: str | None = None, **variables: Any) -> int:
    return estimate_cost(schema, parse(document).definitions, operation, variables)


def test_every_field_costs_one_and_aliases_count_separately(schema: GraphQLSchema) -> None:
    assert cost(schema, "{ __typename }") == 1
    assert cost(schema, "{ viewer { id handle } }") == 3
    assert cost(schema, "{ viewer { a: id b: id c: id } }") == 4
    assert cost(schema, "{ a: viewer { id } b: viewer { id } }") == 4


def test_a_page_multiplies_what_is_repeated_per_item(schema: GraphQLSchema) -> None:
    # viewer + sessions + totalCount + edges, then node and id for each of the 100 edges
    page = "{ viewer { sessions(first: 100) { totalCount edges { node { id } } } } }"
    assert cost(schema, page) == 4 + 100 * 2
    # only the connection's own fields: nothing is repeated
    connection_only = "{ viewer { sessions(first: 100) { totalCount pageInfo { hasNextPage } } } }"
    assert cost(schema, connection_only) == 5
    nested = (
        "{ viewer { sessions(first: 10) { edges { node { id "
        "assets(first: 30) { edges { node { id } } } } } } } }"
    )
    # per session: node, id, assets, edges, then 30 × (node, id)
    assert cost(schema, nested) == 3 + 10 * (4 + 30 * 2)


def test_page_sizes_from_variables_document_defaults_and_schema_defaults(schema: GraphQLSchema) -> None:
    document = "query($n: Int) { viewer { sessions(first: $n) { edges { node { id } } } } }"
    assert cost(schema, document, n=7) == 3 + 7 * 2
    # no value: the argument's default in the schema (sessions: 20)
    assert cost(schema, document) == 3 + 20 * 2
    assert cost(schema, "{ viewer { sessions { edges { node { id } } } } }") == 3 + 20 * 2
    defaulted = "query($n: Int = 4) { viewer { sessions(first: $n) { edges { node { id } } } } }"
    assert cost(schema, defaulted) == 3 + 4 * 2
    assert cost(schema, defaulted, n=9) == 3 + 9 * 2
    # a null page size counts as the largest page
    assert cost(schema, document, n=None) == 3 + 20 * 2  # null variable: the schema's default applies
    assert cost(schema, "{ viewer { sessions(first: null) { edges { node { id } } } } }") == 3 + 20 * 2


def test_fragments_cost_what_they_expand_to(schema: GraphQLSchema) -> None:
    inline = "{ viewer { sessions(first: 5) { edges { node { id label assetCount } } } } }"
    named = """
        query { viewer { sessions(first: 5) { edges { node { ...Card } } } } }
        fragment Card on Session { id ...More }
        fragment More on Session { label assetCount }
    """
    typed = "{ viewer { sessions(first: 5) { edges { node { ... on Session { id label } assetCount } } } } }"
    assert cost(schema, named) == cost(schema, inline) == cost(schema, typed) == 3 + 5 * 4


def test_a_fragment_cycle_ends_instead_of_recursing(schema: GraphQLSchema) -> None:
    # validation refuses this document; the estimate must still return
    cyclic = """
        query { viewer { ...A } }
        fragment A on Viewer { id ...B }
        fragment B on Viewer { handle ...A }
    """
    assert cost(schema, cyclic) == 3


def test_lists_without_a_size_and_list_arguments(schema: GraphQLSchema) -> None:
    # phases have no page size: a fixed number of items
    phases = "{ viewer { sessions(first: 2) { edges { node { phases { id label } } } } } }"
    assert cost(schema, phases) == 3 + 2 * (2 + UNSIZED_LIST_ITEMS * 2)
    # thumbnails(first: 9) is a list with its own page size
    thumbnails = "{ viewer { sessions(first: 2) { edges { node { thumbnails(first: 9) { url } } } } } }"
    assert cost(schema, thumbnails) == 3 + 2 * (2 + 9 * 1)
    # nodes(ids:) returns one item per id sent
    nodes = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    assert cost(schema, nodes, ids=["a", "b", "c"]) == 1 + 3
    assert cost(schema, '{ nodes(ids: ["a", "b"]) { id } }') == 1 + 2


def test_the_operation_named_is_the_one_costed(schema: GraphQLSchema) -> None:
    document = (
        "query Small { viewer { id } } query Big { viewer { sessions(first: 50) { edges { node { id } } } } }"
    )
    assert cost(schema, document, "Small") == 2
    assert cost(schema, document, "Big") == 3 + 50 * 2
    assert cost(schema, document, "Missing") == 0


def test_the_issues_heaviest_query_is_far_over_the_maximum(schema: GraphQLSchema) -> None:
    alias = "a%d: sessions(first: 100) { edges { node { id assets(first: 100) { edges { node { id } } } } } }"
    heavy = "{ viewer { " + " ".join(alias % index for index in range(29)) + " } }"
    alias_cost = 2 + 100 * (4 + 100 * 2)  # sessions, edges; per session node, id, assets, edges, 100 × 2
    assert cost(schema, heavy) == 1 + 29 * alias_cost
    assert cost(schema, heavy) > 25 * AtelierSettings().api_max_query_cost


def test_introspection_is_allowed_and_nested_introspection_is_costed(schema: GraphQLSchema) -> None:
    # GraphiQL's introspection query must stay well under its maximum, with room for the schema to grow
    assert cost(schema, get_introspection_query(descriptions=True)) < INTROSPECTION_MAX_COST * 0.5
    types = len(schema.type_map)
    assert cost(schema, "{ __schema { types { name } } }") == 2 + types
    deep = "{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }"
    assert cost(schema, deep) > cost(schema, "{ __schema { types { fields { type { name } } } } }") * 4


@strawberry.type(description="An item")
class Item:
    id: strawberry.ID = strawberry.field(description="Id")


@strawberry.type(description="A lane")
class Lane:
    items: list[Item] = strawberry.field(description="Its items")


@strawberry.type(description="A page of lanes")
class LanePage:
    edges: list[Lane] = strawberry.field(description="Lanes")


@strawberry.type(description="Root")
class LanesQuery:
    @strawberry.field(description="Lanes with a page of items each")
    def lanes(
        self,
        first: Annotated[int, strawberry.argument(description="Lanes")] = 20,
        items_per_lane: Annotated[int, strawberry.argument(description="Items per lane")] = 5,
        depth: Annotated[int, strawberry.argument(description="Not a page size")] = 99,
    ) -> LanePage:
        raise NotImplementedError


def test_page_size_arguments_are_found_by_name_on_any_field() -> None:
    lanes = strawberry.Schema(query=LanesQuery)._schema
    # lanes, edges, then per lane: items, then per item: id
    assert cost(lanes, "{ lanes(first: 3, itemsPerLane: 4) { edges { items { id } } } }") == 2 + 3 * (
        1 + 4 * 1
    )
    assert cost(lanes, "{ lanes { edges { items { id } } } }") == 2 + 20 * (1 + 5 * 1)
    assert cost(lanes, "{ lanes(depth: 1000) { edges { items { id } } } }") == 2 + 20 * (1 + 5 * 1)
