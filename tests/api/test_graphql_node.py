"""Relay ``node(id)`` / ``nodes(ids)`` (issue 9, item 7): every type with a global id, the viewer's only.

Real app, real database: each node is compared with the same object read through its normal path;
another artist's ids, unknown types and malformed ids are ``null`` (never an error); a token without
``library:read`` is refused like on the normal fields; ``nodes`` keeps order and reads with a fixed
number of statements whatever the number of ids.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from billing import ledger
from catalog.database import SessionFactory, unit_of_work
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, make_user_with_token
from tests.billing.library_builder import user_with_session

NODE = "query($id: ID!) { node(id: $id) { __typename id %s } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
SESSION_FIELDS = "label labelPinned intent confidence startedAt endedAt assetCount tool"
ASSET_FIELDS = "fileName tool createdAt prompt seed model width height parent { parentId kind }"
PHASE_FIELDS = "intent label startedAt endedAt assetCount"
REFLECTION_FIELDS = "state cost charged model sessionId createdAt"
TOKEN_FIELDS = "name prefix scopes createdAt expiresAt revokedAt active current"
FRAGMENTS = {
    "Session": SESSION_FIELDS,
    "Asset": ASSET_FIELDS,
    "Phase": PHASE_FIELDS,
    "Reflection": REFLECTION_FIELDS,
    "ApiToken": TOKEN_FIELDS,
    "Viewer": "handle timezone",
}
QUOTE = "mutation($id: ID!) { quoteReflection(sessionId: $id) { ... on ReflectionQuote { id } } }"
CONFIRM = """mutation($q: ID!) { confirmReflection(quoteId: $q, idempotencyKey: "k") {
  ... on ReflectionStarted { reflection { id } } } }"""


def _data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def _node_query(typename: str) -> str:
    return NODE % f"... on {typename} {{ {FRAGMENTS[typename]} }}"


@dataclass
class Library:
    """One artist's objects as read through the normal paths, keyed by GraphQL type name."""

    token: str
    objects: dict[str, list[dict[str, Any]]]

    def ids(self) -> list[str]:
        return [item["id"] for items in self.objects.values() for item in items]


async def _library(
    client: GraphQLClient, factory: SessionFactory, settings: AtelierSettings, folder: Path, handle: str
) -> Library:
    user_id, session_id = await user_with_session(factory, settings, folder, handle=handle, asset_count=50)
    token = await make_user_with_token(factory, handle)
    await make_user_with_token(factory, handle, scopes=["library:read"])  # a second token to list
    async with unit_of_work(factory) as db:
        await ledger.grant(db, user_id, 10, reference="test grant")
    sid = f"Session:{session_id}"
    quote = _data(await client.query(QUOTE, token, id=sid))["quoteReflection"]
    reflection_id = _data(await client.query(CONFIRM, token, q=quote["id"]))["confirmReflection"][
        "reflection"
    ]
    normal = f"""query($id: ID!, $r: ID!) {{
      viewer {{ id handle timezone
        apiTokens(first: 10) {{ edges {{ node {{ id {TOKEN_FIELDS} }} }} }} }}
      session(id: $id) {{ id {SESSION_FIELDS}
        phases {{ id {PHASE_FIELDS} }}
        assets(first: 5) {{ edges {{ node {{ id {ASSET_FIELDS} }} }} }} }}
      reflection(id: $r) {{ id {REFLECTION_FIELDS} }}
    }}"""
    data = _data(await client.query(normal, token, id=sid, r=reflection_id["id"]))
    session = dict(data["session"])
    phases, assets = session.pop("phases"), [edge["node"] for edge in session.pop("assets")["edges"]]
    viewer = dict(data["viewer"])
    tokens = [edge["node"] for edge in viewer.pop("apiTokens")["edges"]]
    assert len(tokens) == 2 and phases and len(assets) == 5
    objects = {
        "Session": [session],
        "Asset": assets,
        "Phase": phases,
        "Reflection": [data["reflection"]],
        "ApiToken": tokens,
        "Viewer": [viewer],
    }
    return Library(token=token, objects=objects)


@pytest.fixture
async def two_artists(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> tuple[Library, Library]:
    ada = await _library(client, session_factory, settings, tmp_path, "ada")
    bob = await _library(client, session_factory, settings, tmp_path, "bob")
    return ada, bob


async def test_node_returns_what_the_normal_path_returns_for_every_type(
    client: GraphQLClient, two_artists: tuple[Library, Library]
) -> None:
    ada, _ = two_artists
    for typename, items in ada.objects.items():
        for item in items:
            found = _data(await client.query(_node_query(typename), ada.token, id=item["id"]))["node"]
            assert found == {"__typename": typename, **item}
    ids = ada.ids()
    listed = _data(await client.query(NODES, ada.token, ids=ids))["nodes"]
    assert [node["id"] for node in listed] == ids


async def test_another_artists_ids_are_null_never_their_data(
    client: GraphQLClient, two_artists: tuple[Library, Library]
) -> None:
    ada, bob = two_artists
    for typename, items in ada.objects.items():
        for item in items:
            found = _data(await client.query(_node_query(typename), bob.token, id=item["id"]))
            assert found == {"node": None}, (typename, item["id"])
    assert _data(await client.query(NODES, bob.token, ids=ada.ids())) == {"nodes": [None] * len(ada.ids())}


async def test_malformed_unknown_and_mismatched_ids_are_null(
    client: GraphQLClient, two_artists: tuple[Library, Library]
) -> None:
    ada, _ = two_artists
    session_uuid = ada.objects["Session"][0]["id"].partition(":")[2]
    bad = [
        "",
        "garbage",
        "Session:",
        "Session:not-a-uuid",
        f"Nope:{session_uuid}",
        f"session:{session_uuid}",  # prefixes are case-sensitive
        f"Asset:{session_uuid}",  # the right uuid under another type
        f"CreditPurchase:{session_uuid}",
        f"Session:{uuid.uuid4()}",
        f"User:{uuid.uuid4()}",
    ]
    for value in bad:
        assert _data(await client.query(NODE % "", ada.token, id=value)) == {"node": None}, value
    assert _data(await client.query(NODES, ada.token, ids=bad)) == {"nodes": [None] * len(bad)}


async def test_nodes_keeps_the_order_asked_with_nulls_and_repeats(
    client: GraphQLClient, two_artists: tuple[Library, Library]
) -> None:
    ada, bob = two_artists
    asset, session = ada.objects["Asset"][0]["id"], ada.objects["Session"][0]["id"]
    token, viewer = ada.objects["ApiToken"][1]["id"], ada.objects["Viewer"][0]["id"]
    asked = [token, "garbage", asset, bob.objects["Asset"][0]["id"], session, asset, viewer]
    listed = _data(await client.query(NODES, ada.token, ids=asked))["nodes"]
    assert listed == [
        {"__typename": "ApiToken", "id": token},
        None,
        {"__typename": "Asset", "id": asset},
        None,
        {"__typename": "Session", "id": session},
        {"__typename": "Asset", "id": asset},
        {"__typename": "Viewer", "id": viewer},
    ]
    assert _data(await client.query(NODES, ada.token, ids=[])) == {"nodes": []}


async def test_more_than_100_ids_is_a_clear_error(
    client: GraphQLClient, two_artists: tuple[Library, Library]
) -> None:
    ada, _ = two_artists
    body = await client.query(NODES, ada.token, ids=[f"Asset:{uuid.uuid4()}" for _ in range(101)])
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 100" in error["message"]


async def test_a_token_without_library_read_is_forbidden(
    client: GraphQLClient, session_factory: SessionFactory, two_artists: tuple[Library, Library]
) -> None:
    ada, _ = two_artists
    narrow = await make_user_with_token(session_factory, "ada", scopes=["credits:read"])
    session = ada.objects["Session"][0]["id"]
    cases = (
        (NODE % "", {"id": session}, {"node": None}),  # nullable: the field is null, nothing of ada's shown
        (NODES, {"ids": [session]}, None),  # non-null list: the error nulls the whole data
    )
    for document, variables, data in cases:
        body = await client.query(document, narrow, **variables)
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN", body
        assert "library:read" in error["message"]
        assert body["data"] == data
    anonymous = await client.query(NODE % "", None, id=session)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_nodes_reads_with_a_fixed_number_of_statements(
    client: GraphQLClient, two_artists: tuple[Library, Library]
) -> None:
    ada, bob = two_artists
    mixed = ada.ids() + bob.ids() + ["garbage"]
    many = (mixed * (100 // len(mixed) + 1))[:100]
    few = ada.ids()
    document = """query($ids: [ID!]!) { nodes(ids: $ids) { id
      ... on Session { label } ... on Asset { fileName } ... on Phase { label }
      ... on Reflection { state } ... on ApiToken { name } } }"""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    await client.query(document, ada.token, ids=few)  # warm-up: the token's last_used_at is written once
    event.listen(Engine, "before_cursor_execute", count)
    try:
        statements.clear()
        _data(await client.query(document, ada.token, ids=few))
        small = len(statements)
        statements.clear()
        _data(await client.query(document, ada.token, ids=many))
        large = len(statements)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    # authentication, then one statement per type present (Session, Asset, Phase, Reflection, ApiToken)
    assert small == large, statements
    assert large <= 1 + 5, statements
