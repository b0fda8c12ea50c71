"""The leaf fast path answers exactly what strawberry's own executor answers, errors included."""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission
from strawberry.types import ExecutionResult, Info

from api.graphql.leaf_executor import LeafFastPathExecutor, leaf_reads


@strawberry.enum(description="A mood.")
class Mood(enum.Enum):
    CALM = "calm"
    BUSY = "busy"


class Denied(BasePermission):
    message = "Denied here."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Card:
    name: str
    count: int
    mood: Mood
    when: datetime
    note: str | None
    # data that breaks the schema's promises, to compare the errors both executors give
    broken_name: str
    broken_count: int
    secret: str = strawberry.field(permission_classes=[Denied], default="hidden")

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    async def later(self) -> int:
        await asyncio.sleep(0)
        return self.count * 2


@dataclass
class CardRow:
    """What a resolver hands over: plain attributes, some of them wrong on purpose."""

    name: str
    count: int
    mood: Mood
    when: datetime
    note: str | None
    broken_name: Any
    broken_count: Any
    secret: str = "hidden"

    def shout(self) -> str:
        return self.name.upper()


def _rows() -> list[CardRow]:
    when = datetime(2026, 11, 30, 3, 4, 5, tzinfo=UTC)
    return [
        CardRow("first", 1, Mood.CALM, when, None, "ok", 3),
        CardRow("second", 2, Mood.BUSY, when, "a note", None, "three"),  # null in a non-null, a str in an Int
        CardRow("third", 3, Mood.CALM, when, "x", "fine", 2**40),  # an Int out of range
    ]


@strawberry.type
class Query:
    @strawberry.field
    def cards(self) -> list[Card]:
        return _rows()  # type: ignore[return-value]

    @strawberry.field
    def card(self) -> Card | None:
        return _rows()[1]  # type: ignore[return-value]


def _schema(fast: bool, extensions: list[Any] | None = None) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        extensions=extensions or [],
        execution_context_class=LeafFastPathExecutor if fast else None,
    )


def _answer(result: ExecutionResult) -> tuple[Any, list[dict[str, Any]]]:
    return result.data, [error.formatted for error in result.errors or []]


DOCUMENTS = [
    "{ cards { name count mood when note shout later } }",
    "{ cards { later note name alias: name count __typename } }",
    "{ cards { name brokenName } }",  # a null in a non-null field: the whole list item goes
    "{ card { name brokenCount } }",
    "{ cards { count brokenCount } }",
    "{ cards { name secret } }",  # a permission class: never read by the fast path
    "{ cards { ...Parts name } } fragment Parts on Card { mood note }",
    "{ cards { name @include(if: false) count @skip(if: true) note } }",
]


@pytest.mark.parametrize("document", DOCUMENTS)
async def test_same_data_and_errors_as_strawberry(document: str) -> None:
    plain = await _schema(fast=False).execute(document)
    fast = await _schema(fast=True).execute(document)
    assert _answer(fast) == _answer(plain)
    assert list(fast.data or {}) == list(plain.data or {})  # the selection's order is kept


async def test_basic_scalar_fields_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []
    original = LeafFastPathExecutor._read_leaf

    def counting(self: LeafFastPathExecutor, leaf: Any, source: Any) -> Any:
        read.append(leaf.attribute)
        return original(self, leaf, source)

    monkeypatch.setattr(LeafFastPathExecutor, "_read_leaf", counting)
    result = await _schema(fast=True).execute("{ cards { name mood shout later } }")
    assert read == ["name", "mood"] * 3  # not the resolvers
    assert not result.errors
    read.clear()
    guarded = await _schema(fast=True).execute("{ card { secret name } }")
    assert read == ["name"]  # never the permission-guarded field, which still refuses
    assert guarded.errors and guarded.errors[0].message == "Denied here."


def test_only_basic_scalar_fields_are_read_directly() -> None:
    card_type = _schema(fast=True)._schema.type_map["Card"]
    basic = ["brokenCount", "brokenName", "count", "mood", "name", "note", "when"]
    assert sorted(leaf_reads(card_type)) == basic


async def test_a_resolve_hook_sees_every_field_so_the_fast_path_steps_aside() -> None:
    seen: list[str] = []

    class Watch(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Info, *args: Any, **kwargs: Any) -> Any:
            seen.append(info.field_name)
            return _next(root, info, *args, **kwargs)

    result = await _schema(fast=True, extensions=[Watch]).execute("{ card { name note } }")
    assert result.data == {"card": {"name": "second", "note": "a note"}}
    assert seen == ["card", "name", "note"]
