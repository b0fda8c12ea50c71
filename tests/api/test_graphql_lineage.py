"""Lineage over GraphQL end to end: real imports, real re-clustering, the real app over HTTP."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, insert, select
from sqlalchemy.engine import Engine

from catalog.database import SessionFactory, unit_of_work
from catalog.importing.service import import_paths
from catalog.models import Asset, LineageEdge, User
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, make_user_with_token

MONDAY = datetime(2026, 3, 2, 20, tzinfo=UTC)
FRIDAY = MONDAY + timedelta(days=4)

SESSIONS = """{ viewer { sessions(first: 10) { edges { node { id startedAt } } } } }"""
LINEAGE = """query($id: ID!, $first: Int!, $after: String) { session(id: $id) {
  lineage(first: $first, after: $after) {
    nodes { id fileName }
    edges { parent { id fileName } child { id fileName } kind confidence crossSession explicit }
    pageInfo { hasNextPage endCursor }
} } }"""
ASSET = """query($id: ID!, $depth: Int!) { node(id: $id) { ... on Asset {
  id fileName
  parent { parentId kind crossSession explicit }
  children { parent { id } child { id fileName } kind crossSession explicit }
  ancestors(depth: $depth) { parent { id fileName } child { id fileName } kind crossSession }
} } }"""


def _record(record_id: str, when: datetime, **fields: object) -> dict[str, object]:
    return {
        "id": record_id,
        "tool": "comfyui",
        "created_at": when.isoformat(),
        "prompt": "a lighthouse in a storm",
        "seed": 7,
        "cfg_scale": 7.0,
        "steps": 30,
        "model": "sdxl.safetensors",
        "width": 1024,
        "height": 1024,
        "file_name": f"{record_id}.png",
        **fields,
    }


def _library() -> list[dict[str, object]]:
    """Monday: four generations of one prompt (a CFG sweep). Friday, four days later: another prompt;
    fri1 is an img2img of Monday's mon2 (its LoadImage names the file), fri2 a Midjourney-style job
    on mon3, fri3 an upscale of fri1 (same session)."""
    monday = [_record(f"mon{i}", MONDAY + timedelta(minutes=i), cfg_scale=5.0 + i) for i in range(4)]
    friday = [
        _record("fri0", FRIDAY, prompt="a castle on a cliff"),
        _record("fri1", FRIDAY + timedelta(minutes=1), prompt="a castle", source_image="input/mon2.png"),
        _record("fri2", FRIDAY + timedelta(minutes=2), prompt="a castle at dusk", parent_job_id="mon3"),
        _record(
            "fri3",
            FRIDAY + timedelta(minutes=3),
            prompt="a castle",
            source_image="fri1.png",
            width=2048,
            height=2048,
        ),
    ]
    return [*monday, *friday]


async def _import(
    factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    handle: str,
    records: list[dict[str, object]],
) -> None:
    path = tmp_path / f"{handle}-{uuid.uuid4().hex}.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    report = await import_paths(factory, settings, user_handle=handle, paths=[path])
    assert report.problems == []


async def _ids(factory: SessionFactory, handle: str) -> dict[str, uuid.UUID]:
    """record id → asset id of one user's assets."""
    async with factory() as db:
        user_id = (await db.scalars(select(User.id).where(User.handle == handle))).one()
        rows = await db.execute(select(Asset.record_id, Asset.id).where(Asset.user_id == user_id))
        return {record_id: asset_id for record_id, asset_id in rows}


def _gid(asset_id: uuid.UUID) -> str:
    return f"Asset:{asset_id}"


async def _sessions(client: GraphQLClient, token: str) -> list[str]:
    """Session ids, oldest first."""
    body = await client.query(SESSIONS, token)
    nodes = [edge["node"] for edge in body["data"]["viewer"]["sessions"]["edges"]]
    return [node["id"] for node in sorted(nodes, key=lambda node: node["startedAt"])]


@pytest.fixture
async def ada(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> str:
    # two imports, so Friday's span is re-clustered without Monday's session in it
    await _import(session_factory, settings, tmp_path, "ada", _library()[:4])
    await _import(session_factory, settings, tmp_path, "ada", _library()[4:])
    return await make_user_with_token(session_factory, "ada")


async def test_session_lineage_links_named_parents_in_another_session(
    client: GraphQLClient, session_factory: SessionFactory, ada: str
) -> None:
    monday, friday = await _sessions(client, ada)
    ids = await _ids(session_factory, "ada")
    body = await client.query(LINEAGE, ada, id=friday, first=500)
    assert "errors" not in body, body
    graph = body["data"]["session"]["lineage"]
    assert [node["fileName"] for node in graph["nodes"]] == ["fri0.png", "fri1.png", "fri2.png", "fri3.png"]
    edges = {(e["parent"]["fileName"], e["child"]["fileName"]): e for e in graph["edges"]}
    assert edges[("mon2.png", "fri1.png")] | {"parent": None, "child": None} == {
        "parent": None,
        "child": None,
        "kind": "img2img",
        "confidence": 0.97,
        "crossSession": True,
        "explicit": True,
    }
    assert edges[("mon2.png", "fri1.png")]["parent"]["id"] == _gid(ids["mon2"])  # outside `nodes`
    assert edges[("mon3.png", "fri2.png")]["crossSession"] is True
    assert edges[("fri1.png", "fri3.png")]["crossSession"] is False
    assert edges[("fri1.png", "fri3.png")]["kind"] == "upscale"
    assert graph["pageInfo"] == {"hasNextPage": False, "endCursor": graph["pageInfo"]["endCursor"]}

    # Monday's graph holds its own inferred edges and the two edges leaving it for Friday
    monday_graph = (await client.query(LINEAGE, ada, id=monday, first=500))["data"]["session"]["lineage"]
    leaving = {
        (e["parent"]["fileName"], e["child"]["fileName"]) for e in monday_graph["edges"] if e["crossSession"]
    }
    assert leaving == {("mon2.png", "fri1.png"), ("mon3.png", "fri2.png")}
    inside = [e for e in monday_graph["edges"] if not e["crossSession"]]
    assert inside and all(e["child"]["fileName"].startswith("mon") for e in inside)
    assert not any(e["crossSession"] and not e["explicit"] for e in [*graph["edges"], *monday_graph["edges"]])


async def test_asset_parent_children_and_ancestors(
    client: GraphQLClient, session_factory: SessionFactory, ada: str
) -> None:
    ids = await _ids(session_factory, "ada")
    fri3 = (await client.query(ASSET, ada, id=_gid(ids["fri3"]), depth=10))["data"]["node"]
    assert fri3["parent"] == {
        "parentId": _gid(ids["fri1"]),
        "kind": "upscale",
        "crossSession": False,
        "explicit": True,
    }
    chain = [(e["child"]["fileName"], e["parent"]["fileName"]) for e in fri3["ancestors"]]
    assert chain[:2] == [("fri3.png", "fri1.png"), ("fri1.png", "mon2.png")]  # nearest first
    assert [e["crossSession"] for e in fri3["ancestors"][:2]] == [False, True]
    assert all(
        child == parent_before for (child, _), (_, parent_before) in zip(chain[1:], chain, strict=False)
    )
    one = (await client.query(ASSET, ada, id=_gid(ids["fri3"]), depth=1))["data"]["node"]["ancestors"]
    assert len(one) == 1

    mon2 = (await client.query(ASSET, ada, id=_gid(ids["mon2"]), depth=1))["data"]["node"]
    children = {e["child"]["fileName"]: e for e in mon2["children"]}
    assert children["fri1.png"]["crossSession"] is True
    assert all(e["parent"]["id"] == _gid(ids["mon2"]) for e in mon2["children"])


@pytest.mark.parametrize("depth", [0, -1, 51])
async def test_ancestor_depth_out_of_range_is_a_clear_error(
    client: GraphQLClient, session_factory: SessionFactory, ada: str, depth: int
) -> None:
    ids = await _ids(session_factory, "ada")
    body = await client.query(ASSET, ada, id=_gid(ids["fri3"]), depth=depth)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"`depth` must be between 1 and 50, got {depth}" == error["message"]


async def test_a_merge_makes_the_edge_read_same_session(
    client: GraphQLClient, session_factory: SessionFactory, ada: str
) -> None:
    ids = await _ids(session_factory, "ada")
    before = (await client.query(ASSET, ada, id=_gid(ids["fri1"]), depth=1))["data"]["node"]["parent"]
    assert before["crossSession"] is True
    merge = "mutation($ids: [ID!]!) { mergeSessions(sessionIds: $ids) { __typename } }"
    merged = await client.query(merge, ada, ids=await _sessions(client, ada))
    assert merged["data"]["mergeSessions"]["__typename"] == "CorrectionApplied"
    after = (await client.query(ASSET, ada, id=_gid(ids["fri1"]), depth=1))["data"]["node"]["parent"]
    assert after == before | {"crossSession": False}


async def test_a_cycle_of_edges_ends_the_ancestor_walk(
    client: GraphQLClient, session_factory: SessionFactory, ada: str
) -> None:
    ids = await _ids(session_factory, "ada")
    loop = [ids["mon0"], ids["mon1"], ids["mon2"]]  # mon0 <- mon1 <- mon2 <- mon0
    async with unit_of_work(session_factory) as db:
        user_id = (await db.scalars(select(User.id).where(User.handle == "ada"))).one()
        await db.execute(delete(LineageEdge).where(LineageEdge.child_asset_id.in_(loop)))
        await db.execute(
            insert(LineageEdge),
            [
                {
                    "id": uuid.uuid4(),
                    "user_id": user_id,
                    "parent_asset_id": loop[(index + 1) % 3],
                    "child_asset_id": loop[index],
                    "kind": "img2img",
                    "confidence": 0.97,
                }
                for index in range(3)
            ],
        )
    body = await asyncio.wait_for(client.query(ASSET, ada, id=_gid(ids["mon0"]), depth=50), timeout=20)
    chain = [(e["child"]["fileName"], e["parent"]["fileName"]) for e in body["data"]["node"]["ancestors"]]
    assert chain == [("mon0.png", "mon1.png"), ("mon1.png", "mon2.png")]


async def test_another_users_identical_files_never_appear_in_lineage(
    client: GraphQLClient,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    ada: str,
) -> None:
    # bob imports the very same records (same ids, names, jobs) — in one import this time
    await _import(session_factory, settings, tmp_path, "bob", _library())
    bob = await make_user_with_token(session_factory, "bob")
    ada_ids, bob_ids = await _ids(session_factory, "ada"), await _ids(session_factory, "bob")
    ada_gids = {_gid(asset_id) for asset_id in ada_ids.values()}
    bob_gids = {_gid(asset_id) for asset_id in bob_ids.values()}

    for token, own, foreign in ((ada, ada_gids, bob_gids), (bob, bob_gids, ada_gids)):
        seen: set[str] = set()
        for session_id in await _sessions(client, token):
            graph = (await client.query(LINEAGE, token, id=session_id, first=500))["data"]["session"][
                "lineage"
            ]
            seen |= {e[end]["id"] for e in graph["edges"] for end in ("parent", "child")}
        for name in ("mon2", "fri1", "fri3"):
            asset = await client.query(
                ASSET, token, id=_gid((ada_ids if own is ada_gids else bob_ids)[name]), depth=50
            )
            node = asset["data"]["node"]
            seen |= {
                e[end]["id"] for e in [*node["children"], *node["ancestors"]] for end in ("parent", "child")
            }
            seen |= {node["parent"]["parentId"]} if node["parent"] else set()
        assert seen and seen <= own and not seen & foreign

    stolen = await client.query(ASSET, bob, id=_gid(ada_ids["mon2"]), depth=5)
    assert stolen["data"] == {"node": None}
    ada_friday = (await _sessions(client, ada))[1]
    assert (await client.query(LINEAGE, bob, id=ada_friday, first=10))["data"] == {"session": None}


async def test_read_only_token_reads_lineage_and_a_token_without_library_read_does_not(
    client: GraphQLClient, session_factory: SessionFactory, ada: str
) -> None:
    reader = await make_user_with_token(session_factory, "ada", scopes=["library:read"])
    friday = (await _sessions(client, reader))[1]
    graph = await client.query(LINEAGE, reader, id=friday, first=500)
    assert "errors" not in graph and graph["data"]["session"]["lineage"]["edges"]
    ids = await _ids(session_factory, "ada")
    asset = await client.query(ASSET, reader, id=_gid(ids["fri3"]), depth=5)
    assert "errors" not in asset and asset["data"]["node"]["ancestors"]

    outsider = await make_user_with_token(session_factory, "ada", scopes=["credits:read"])
    refused = await client.query(LINEAGE, outsider, id=friday, first=5)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_lineage_pages_cover_every_edge_once(
    client: GraphQLClient, session_factory: SessionFactory, ada: str
) -> None:
    monday, friday = await _sessions(client, ada)
    for session_id in (monday, friday):
        whole = (await client.query(LINEAGE, ada, id=session_id, first=500))["data"]["session"]["lineage"]
        nodes, edges, after = [], [], None
        while True:
            page = (await client.query(LINEAGE, ada, id=session_id, first=1, after=after))["data"]["session"]
            graph = page["lineage"]
            nodes += graph["nodes"]
            edges += graph["edges"]
            if not graph["pageInfo"]["hasNextPage"]:
                break
            after = graph["pageInfo"]["endCursor"]
        assert nodes == whole["nodes"]
        key = lambda e: (e["parent"]["id"], e["child"]["id"])  # noqa: E731
        assert sorted(map(key, edges)) == sorted(map(key, whole["edges"]))
        assert len(set(map(key, edges))) == len(edges)
    bad = await client.query(LINEAGE, ada, id=friday, first=501)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_lineage_reads_use_a_constant_number_of_statements(
    client: GraphQLClient, session_factory: SessionFactory, ada: str
) -> None:
    monday, _friday = await _sessions(client, ada)
    document = """query($id: ID!, $first: Int!) { session(id: $id) { lineage(first: $first) {
        nodes { id parent { kind crossSession } children { kind child { id } } ancestors(depth: 5) { kind } }
        edges { parent { id } child { id } crossSession }
    } } }"""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    await client.query(document, ada, id=monday, first=1)  # warm-up: the token's last_used_at
    event.listen(Engine, "before_cursor_execute", count)
    try:
        statements.clear()
        small = await client.query(document, ada, id=monday, first=1)
        few = len(statements)
        statements.clear()
        large = await client.query(document, ada, id=monday, first=4)
        many = len(statements)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert "errors" not in small and "errors" not in large, (small, large)
    assert len(large["data"]["session"]["lineage"]["nodes"]) == 4
    # auth + session + nodes + edges + one batch each for parents, children and ancestors
    assert few == many <= 7, statements

    # a page of sessions, each asking for its graph: the graphs are loaded together
    cards = """query($first: Int!) { viewer { sessions(first: $first) { edges { node {
        lineage(first: 10) { nodes { id } edges { parent { id } child { id } crossSession } }
    } } } } }"""
    event.listen(Engine, "before_cursor_execute", count)
    try:
        statements.clear()
        one = await client.query(cards, ada, first=1)
        single = len(statements)
        statements.clear()
        both = await client.query(cards, ada, first=2)
        double = len(statements)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    graphs = [edge["node"]["lineage"] for edge in both["data"]["viewer"]["sessions"]["edges"]]
    assert "errors" not in one and len(graphs) == 2 and all(graph["edges"] for graph in graphs)
    # auth + sessions + count + nodes + edges
    assert single == double <= 5, statements
