"""schema.graphql is the served schema, and every part of it a client sees is described (issue 9, item 11)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
)

from api.graphql.schema import build_schema
from tests.api.conftest import ATELIER

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"
REGENERATE = "regenerate it with `atelier schema --output schema.graphql` and commit it"

# scalars defined by graphql-core and strawberry, described (or not) by them, not by us
BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID", "DateTime", "Date", "Time", "JSON", "Upload"}


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Every type, field, argument, enum value, input field and union of ``schema`` without a description."""
    missing: list[str] = []

    def check(description: str | None, where: str) -> None:
        if not (description or "").strip():
            missing.append(where)

    for name, graphql_type in sorted(schema.type_map.items()):
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        check(graphql_type.description, name)
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in graphql_type.fields.items():
                check(field.description, f"{name}.{field_name}")
                for argument_name, argument in field.args.items():
                    check(argument.description, f"{name}.{field_name}({argument_name})")
        elif isinstance(graphql_type, GraphQLInputObjectType):
            for field_name, input_field in graphql_type.fields.items():
                check(input_field.description, f"{name}.{field_name}")
        elif isinstance(graphql_type, GraphQLEnumType):
            for value_name, value in graphql_type.values.items():
                check(value.description, f"{name}.{value_name}")
        elif isinstance(graphql_type, GraphQLUnionType):
            pass  # the union's own description is checked above; its members are object types
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    missing = undescribed(build_schema()._schema)
    assert not missing, f"{len(missing)} parts of the GraphQL schema have no description:\n" + "\n".join(
        missing
    )


def test_the_walker_finds_an_undescribed_field() -> None:
    """The check above can fail: a schema with one undescribed field and argument is reported."""

    @strawberry.type(description="A query")
    class Query:
        @strawberry.field
        def hello(self, name: str) -> str:
            return name

    assert undescribed(strawberry.Schema(query=Query)._schema) == ["Query.hello", "Query.hello(name)"]


def test_committed_schema_file_is_the_served_schema() -> None:
    served = build_schema().as_str().rstrip("\n") + "\n"
    assert SCHEMA_FILE.exists(), f"{SCHEMA_FILE.name} is missing: {REGENERATE}"
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    assert committed == served, f"{SCHEMA_FILE.name} is stale (the served schema changed): {REGENERATE}"


def test_schema_command_prints_and_writes_the_sdl(tmp_path: Path) -> None:
    served = build_schema().as_str().rstrip("\n") + "\n"
    target = tmp_path / "schema.graphql"
    env = os.environ | {"ATELIER_HOME": str(tmp_path / "home")}  # needs no database: none is given
    written = subprocess.run(
        [str(ATELIER), "schema", "--output", str(target)], env=env, capture_output=True, timeout=120
    )
    assert written.returncode == 0, written.stderr
    assert written.stdout == b""
    assert target.read_text(encoding="utf-8") == served
    printed = subprocess.run([str(ATELIER), "schema"], env=env, capture_output=True, timeout=120)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.decode("utf-8") == served
