"""The basic-field fast path answers exactly what strawberry's own executor answers, errors included."""

from __future__ import annotations

import asyncio
import enum
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission
from strawberry.types import ExecutionResult, Info

from api.graphql.basic_field_executor import BasicField, BasicFieldExecutor, PlainResolver, fast_fields


@strawberry.enum(description="A mood.")
class Mood(enum.Enum):
    CALM = "calm"
    BUSY = "busy"


class Denied(BasePermission):
    message = "Denied here."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return False


@strawberry.interface(description="Something with a name.")
class Named:
    name: str


@strawberry.type
class Tag(Named):
    """Implements an interface, so strawberry gives it an ``is_type_of`` check."""

    weight: float | None
    strict: str  # null in one tag on purpose

    @strawberry.field
    async def later_name(self) -> str:
        await asyncio.sleep(0)
        return self.name + "!"

    @strawberry.field
    async def failing(self) -> str:
        await asyncio.sleep(0)
        if self.name == "boom":
            raise ValueError("no luck with boom")
        return self.name


@strawberry.type
class Owner:
    """No interface: no ``is_type_of``."""

    handle: str
    tags: list[Tag]


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
    owner: Owner
    maybe_owner: Owner | None
    tags: list[Tag]
    bad_tags: list[Tag]
    loose_tags: list[Tag | None] | None
    gap_tags: list[Tag]
    words: list[str]
    numbers: list[int | None]
    thing: Named
    ratio: float
    tally: int
    secret: str = strawberry.field(permission_classes=[Denied], default="hidden")

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    async def later(self) -> int:
        await asyncio.sleep(0)
        return self.count * 2

    # the same shapes returned by resolvers (graphql-core's ``complete_value``)
    @strawberry.field
    def owner_by_resolver(self) -> Owner | None:
        return self.maybe_owner

    @strawberry.field
    async def tags_later(self) -> list[Tag]:
        await asyncio.sleep(0)
        return self.bad_tags

    @strawberry.field
    def words_by_resolver(self) -> list[str]:
        return self.words

    # resolvers of every kind, called directly or by strawberry's wrapper
    @strawberry.field
    def where(self, info: Info) -> str:
        return f"{'.'.join(str(key) for key in info.path.as_list())} ({info.field_name}, {info.python_name})"

    @strawberry.field
    def times(self, factor: int = 2) -> int:
        return self.count * factor

    @strawberry.field
    def pick(self, mood: Mood, note: str | None = None) -> str:
        return f"{self.name} {mood.value} {note}"

    @strawberry.field
    def by_root(root) -> str:  # strawberry passes the source as `root`
        return root.name

    @strawberry.field
    def failing_now(self) -> str | None:
        if self.count == 2:
            raise ValueError("no luck with two")
        return "fine"

    @strawberry.field
    def failing_strictly(self) -> str:
        if self.count == 3:
            raise ValueError("no luck with three")
        return "fine"

    @strawberry.field
    def awaitable_later(self) -> int:
        return cast(int, self._doubled())  # an awaitable from a plain resolver: graphql-core awaits it

    async def _doubled(self) -> int:
        await asyncio.sleep(0)
        if self.count == 3:
            raise ValueError("no luck later")
        return self.count * 2


def _tag(name: str, strict: Any = "s") -> Tag:
    return Tag(name=name, weight=0.5, strict=strict)


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
    owner: Any
    maybe_owner: Any
    bad_tags: list[Any]
    loose_tags: Any
    gap_tags: list[Any]
    words: Any
    numbers: Any
    tags: list[Tag] = field(default_factory=lambda: [_tag("a"), _tag("boom"), _tag("c")])
    thing: Any = field(default_factory=lambda: _tag("thing"))
    ratio: Any = 0.5
    tally: Any = 7
    secret: str = "hidden"

    def shout(self) -> str:
        return self.name.upper()

    def where(self, info: Info) -> str:
        return Card.where(self, info)  # type: ignore[arg-type]

    def times(self, factor: int = 2) -> int:
        return self.count * factor

    def failing_now(self) -> str | None:
        return Card.failing_now(self)  # type: ignore[arg-type]

    def failing_strictly(self) -> str:
        return Card.failing_strictly(self)  # type: ignore[arg-type]

    def awaitable_later(self) -> int:
        return Card.awaitable_later(self)  # type: ignore[arg-type]

    async def _doubled(self) -> int:
        return await Card._doubled(self)  # type: ignore[arg-type]


def _rows() -> list[CardRow]:
    when = datetime(2026, 11, 30, 3, 4, 5, tzinfo=UTC)
    owner = Owner(handle="ann", tags=[_tag("x"), _tag("y")])
    odd_numbers = CardRow("odd", 4, Mood.CALM, when, None, "ok", 1, owner, None, [], None, [], [], [])
    odd_numbers.ratio, odd_numbers.tally = 3, True  # an int for a Float, a bool for an Int: coerced
    nan = CardRow("nan", 5, Mood.CALM, when, None, "ok", 1, owner, None, [], None, [], [], [])
    nan.ratio, nan.tally = float("nan"), -(2**31) - 1  # refused by Float and by Int
    return (
        [odd_numbers, nan]
        if _ODD
        else [
            CardRow(
                "first",
                1,
                Mood.CALM,
                when,
                None,
                "ok",
                3,
                owner,
                None,
                [_tag("p")],
                [_tag("l"), None],
                [_tag("g")],
                ["a", "b"],
                [1, None, 3],
            ),
            # a null in a non-null field, a str in an Int, a null owner, a null item in a non-null list
            CardRow(
                "second",
                2,
                Mood.BUSY,
                when,
                "a note",
                None,
                "three",
                None,
                owner,
                [_tag("q", strict=None)],
                None,
                [_tag("h"), None],
                ["a", None],
                [2],
            ),
            # an Int out of range, objects of the wrong type, a value the Int refuses
            CardRow(
                "third",
                3,
                Mood.CALM,
                when,
                "x",
                "fine",
                2**40,
                owner,
                _tag("not an owner"),
                [owner],
                (_tag("t"), _tag("boom")),
                [_tag("i")],
                ("c",),
                [1, "x"],
            ),
        ]
    )


_ODD = False  # the cards with odd numbers, for one test


@strawberry.type
class Query:
    @strawberry.field
    def cards(self) -> list[Card]:
        return _rows()  # type: ignore[return-value]

    @strawberry.field
    def card(self) -> Card | None:
        return _rows()[1]  # type: ignore[return-value]

    @strawberry.field
    def first_card(self) -> Card:
        return _rows()[0]  # type: ignore[return-value]


def _schema(fast: bool, extensions: list[Any] | None = None) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        extensions=extensions or [],
        execution_context_class=BasicFieldExecutor if fast else None,
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
    # objects and lists of them, through basic fields
    "{ firstCard { name owner { handle tags { name weight } } tags { name laterName } } }",
    "{ cards { name tags { name laterName weight } owner { handle } } }",
    "{ cards { name badTags { name strict } } }",  # a null in a non-null field of a list item
    "{ cards { name badTags { name } } }",  # an object is_type_of refuses
    "{ cards { looseTags { name laterName } } }",  # null items, a tuple, a null list
    "{ cards { looseTags { name failing } } }",  # an async error nulls its (nullable) item only
    "{ cards { gapTags { name } } }",  # a null item in a list of non-null items
    "{ firstCard { words numbers } cards { words } }",
    "{ cards { numbers } }",  # an item the Int refuses
    "{ cards { owner { handle } } }",  # a null in a non-null object field
    "{ cards { maybeOwner { handle } } }",  # an object of another type (no is_type_of)
    "{ firstCard { thing { name ... on Tag { weight } } } }",  # an interface: graphql-core's way
    "{ firstCard { tags { name failing } } }",  # an async error inside a list item propagates
    "{ card { owner { handle } maybeOwner { tags { failing laterName } } } }",
    "{ firstCard { a: tags { name } b: tags { weight } ...More } }"
    " fragment More on Card { tags { laterName } }",
    "{ firstCard { tags @include(if: true) { name } owner @skip(if: false) { handle } } }",
    "{ firstCard { owner { __typename handle } tags { __typename } } }",
    "{ cards { ownerByResolver { handle } } }",  # an object of another type, from a resolver
    "{ cards { tagsLater { name strict } } }",  # awaited, then a null in a non-null field of an item
    "{ cards { tagsLater { name } } }",  # awaited, then an object is_type_of refuses
    "{ firstCard { tagsLater { name laterName } wordsByResolver } }",
    "{ cards { wordsByResolver } }",  # a null item in a list of non-null strings, from a resolver
    "{ cards { name where times byRoot } firstCard { where t: times(factor: 3) } }",
    "{ cards { t1: times t2: times(factor: -5) p: pick(mood: BUSY) q: pick(mood: CALM, note: null) } }",
    "{ cards { name failingNow } }",  # a resolver's error: a null where allowed
    "{ cards { name failingStrictly } }",  # ... propagated from a non-null field
    "{ cards { name awaitableLater } }",  # an awaitable from a plain resolver, failing for one card
    "{ firstCard { awaitableLater where } }",
]


@pytest.mark.parametrize("document", DOCUMENTS)
async def test_same_data_and_errors_as_strawberry(document: str) -> None:
    plain = await _schema(fast=False).execute(document)
    fast = await _schema(fast=True).execute(document)
    assert _answer(fast) == _answer(plain)
    assert list(fast.data or {}) == list(plain.data or {})  # the selection's order is kept


def _record_calls(monkeypatch: pytest.MonkeyPatch, method: str, name_of: Callable[..., str]) -> list[str]:
    """``name_of(*arguments)`` of every call to ``BasicFieldExecutor.<method>`` from now on, in order."""
    names: list[str] = []
    original = getattr(BasicFieldExecutor, method)

    def recording(self: BasicFieldExecutor, *arguments: Any, **keywords: Any) -> Any:
        names.append(name_of(*arguments))
        return original(self, *arguments, **keywords)

    monkeypatch.setattr(BasicFieldExecutor, method, recording)
    return names


@pytest.fixture
def executed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the fields graphql-core's ``execute_field`` runs from now on, in order."""
    return _record_calls(
        monkeypatch, "execute_field", lambda _parent, _source, group, *_: group[0].node.name.value
    )


async def test_basic_scalar_fields_take_the_fast_path(executed: list[str]) -> None:
    result = await _schema(fast=True).execute("{ cards { name mood shout later } }")
    assert executed == ["later"] * 3  # only the async resolver: not the leaves, nor the plain `shout`
    assert not result.errors
    executed.clear()
    guarded = await _schema(fast=True).execute("{ card { name secret } }")
    assert executed == ["secret"]  # the permission-guarded field goes the ordinary way, and refuses
    assert guarded.errors and guarded.errors[0].message == "Denied here."


@strawberry.type
class Shy:
    name: str
    count: int
    note: str | None


class ShyRow:
    """A row one of whose attributes cannot be read."""

    def __init__(self, row: CardRow) -> None:
        self.name, self.count = row.name, row.count

    @property
    def note(self) -> str:
        raise RuntimeError("no note here")


@strawberry.type
class ShyQuery:
    @strawberry.field
    def cards(self) -> list[Shy]:
        return [ShyRow(row) for row in _rows()]  # type: ignore[misc]


async def test_a_leaf_that_cannot_be_read_goes_the_ordinary_way() -> None:
    """All leaves are read at once; when one read fails, each is read on its own (same errors)."""
    document = "{ cards { name count note } }"
    answers = [
        await strawberry.Schema(query=ShyQuery, execution_context_class=context).execute(document)
        for context in (None, BasicFieldExecutor)
    ]
    assert _answer(answers[1]) == _answer(answers[0])
    assert answers[1].data == {"cards": [{"name": r.name, "count": r.count, "note": None} for r in _rows()]}
    assert answers[1].errors and answers[1].errors[0].message == "no note here"


@pytest.mark.parametrize("document", ["{ cards { name ratio } }", "{ cards { name tally } }"])
async def test_numbers_are_coerced_or_refused_as_strawberry_does(
    document: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "_ODD", True)
    plain = await _schema(fast=False).execute(document)
    fast = await _schema(fast=True).execute(document)
    assert _answer(fast) == _answer(plain)
    assert plain.errors  # the refusals are there to compare


def test_only_basic_fields_and_plain_resolvers_take_the_fast_path() -> None:
    schema = _schema(fast=True)
    type_map = schema._schema.type_map
    card = fast_fields(type_map["Card"], schema)
    basic = sorted(name for name, way in card.items() if isinstance(way, BasicField))
    plain = sorted(name for name, way in card.items() if isinstance(way, PlainResolver))
    # not the resolvers, the permission-guarded field, nor the interface-typed one
    names = "badTags brokenCount brokenName count gapTags looseTags maybeOwner mood name note numbers owner"
    assert basic == [*names.split(), "ratio", "tags", "tally", "when", "words"]
    # not the async ones, one with an enum argument (`pick`), one taking `root`, the guarded `secret`
    assert plain == [
        "awaitableLater",
        "failingNow",
        "failingStrictly",
        "ownerByResolver",
        "shout",
        "times",
        "where",
        "wordsByResolver",
    ]
    tags = card["tags"]
    owner = card["owner"]
    assert isinstance(tags, BasicField) and isinstance(owner, BasicField)
    assert tags.completion.is_type_of is not None  # strawberry's own check, for a type with an interface
    assert owner.completion.is_type_of is None
    assert sorted(fast_fields(type_map["Tag"], schema)) == ["name", "strict", "weight"]


async def test_basic_object_fields_skip_graphql_cores_field_execution(executed: list[str]) -> None:
    result = await _schema(fast=True).execute("{ firstCard { owner { handle tags { name } } words } }")
    assert not result.errors
    assert result.data == {
        "firstCard": {"owner": {"handle": "ann", "tags": [{"name": "x"}, {"name": "y"}]}, "words": ["a", "b"]}
    }
    assert executed == []  # not even `firstCard`, a plain resolver called directly
    await _schema(fast=True).execute("{ firstCard { later times pick(mood: CALM) } }")
    assert executed == ["later", "pick"]  # an async resolver, one with an enum argument: graphql-core's way


async def test_resolved_objects_skip_graphql_cores_object_completion(monkeypatch: pytest.MonkeyPatch) -> None:
    completed = _record_calls(monkeypatch, "complete_object_value", lambda return_type, *_: return_type.name)
    result = await _schema(fast=True).execute("{ firstCard { name tagsLater { name } } cards { name } }")
    assert not result.errors
    assert result.data is not None and result.data["firstCard"]["tagsLater"] == [{"name": "p"}]
    assert completed == []  # Card (from two resolvers) and the awaited Tags: all direct
    plain = await _schema(fast=True).execute("{ firstCard { thing { name } } }")
    assert plain.data == {"firstCard": {"thing": {"name": "thing"}}}
    assert completed == ["Tag"]  # an interface-typed value: graphql-core's way


async def test_a_resolve_hook_sees_every_field_so_the_fast_path_steps_aside() -> None:
    seen: list[str] = []

    class Watch(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Info, *args: Any, **kwargs: Any) -> Any:
            seen.append(info.field_name)
            return _next(root, info, *args, **kwargs)

    result = await _schema(fast=True, extensions=[Watch]).execute("{ card { name note } }")
    assert result.data == {"card": {"name": "second", "note": "a note"}}
    assert seen == ["card", "name", "note"]


async def test_objects_of_basic_leaves_complete_without_executing_their_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    executed = _record_calls(monkeypatch, "execute_fields", lambda parent_type, *_: parent_type.name)
    result = await _schema(fast=True).execute("{ firstCard { tags { name weight } } }")
    assert result.data == {"firstCard": {"tags": [{"name": n, "weight": 0.5} for n in ("a", "boom", "c")]}}
    assert executed == ["Query", "Card"]  # not once per Tag: its selection is basic leaves only
    executed.clear()
    await _schema(fast=True).execute("{ firstCard { tags { name laterName } } }")
    assert executed == ["Query", "Card", "Tag", "Tag", "Tag"]  # a resolver among them: field by field


@pytest.mark.parametrize("factor", [3, -1])
async def test_plain_resolver_arguments_from_variables_and_defaults(factor: int) -> None:
    document = "query($f: Int!) { cards { a: times b: times(factor: $f) c: times } }"
    plain = await _schema(fast=False).execute(document, variable_values={"f": factor})
    fast = await _schema(fast=True).execute(document, variable_values={"f": factor})
    assert _answer(fast) == _answer(plain)
    assert fast.data == {"cards": [{"a": n * 2, "b": n * factor, "c": n * 2} for n in (1, 2, 3)]}
