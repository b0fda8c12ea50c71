"""The gallery (``viewer.assets``) over the real app: order, undated images, filters, paging, EXPLAIN."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog.assets.gallery import GalleryFilter, gallery_page
from catalog.database import SessionFactory, unit_of_work
from catalog.models import User
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, make_user_with_token
from tests.api.record_library import import_records, record

GALLERY = """
query($first: Int!, $after: String, $filter: AssetFilter) { viewer { assets(first: $first, after: $after,
  filter: $filter) { edges { cursor node { id fileName createdAt prompt tool model } }
  pageInfo { hasNextPage endCursor } } } }
"""
T0 = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


DATED = [
    record("d-sale", at(0), prompt="50% off sale", model="sdxl", loras=[{"name": "detail", "weight": 0.5}]),
    record("d-cents", at(1), prompt="50 cents off", model="sdxl", loras=[{"name": "detail_v2", "weight": 1}]),
    record("d-snake", at(2), prompt="Snake_Case title", model="flux"),
    record("d-snakex", at(3), prompt="snakeXcase title", model="flux"),
    record("d-slash", at(4), "a1111", prompt="back\\slash path"),
    # three at one instant: no counter/name first, then by counter, descending
    record("d-tie-none", at(10), prompt="tie"),
    record("d-tie-1", at(10), prompt="tie", file_name="ComfyUI_00001_.png", file_counter=1),
    record("d-tie-2", at(10), prompt="tie", file_name="ComfyUI_00002_.png", file_counter=2),
]
UNDATED_FIRST = [record("u-old-1", None, prompt="undated old"), record("u-old-2", None, "a1111")]
UNDATED_LATER = [record("u-new-1", None, prompt="Undated new 50% off"), record("u-new-2", None)]


async def _library(factory: SessionFactory, settings: AtelierSettings, folder: Path) -> str:
    await import_records(factory, settings, folder, "ada", DATED + UNDATED_FIRST)
    await import_records(factory, settings, folder, "ada", UNDATED_LATER)
    await import_records(factory, settings, folder, "bob", [record("b-1", at(5), prompt="50% off sale")])
    return await make_user_with_token(factory, "ada")


async def _pages(client: GraphQLClient, token: str, size: int, **filter: Any) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        body = await client.query(GALLERY, token, first=size, after=after, filter=filter or None)
        assert "errors" not in body, body
        connection = body["data"]["viewer"]["assets"]
        nodes += [edge["node"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return nodes
        after = connection["pageInfo"]["endCursor"]


async def _record_ids(factory: SessionFactory, nodes: list[dict[str, Any]]) -> list[str]:
    ids = [uuid.UUID(node["id"].removeprefix("Asset:")) for node in nodes]
    async with factory() as db:
        rows = dict(
            (
                await db.execute(text("SELECT id, record_id FROM assets WHERE id = ANY(:ids)"), {"ids": ids})
            ).all()
        )
    return [rows[asset_id] for asset_id in ids]


async def test_newest_first_then_undated_by_import_and_pages_straddle_the_boundary(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    token = await _library(session_factory, settings, tmp_path / "records")
    whole = await _pages(client, token, 100)
    order = await _record_ids(session_factory, whole)
    assert order[:6] == ["d-tie-none", "d-tie-2", "d-tie-1", "d-slash", "d-snakex", "d-snake"]
    assert order[6:8] == ["d-cents", "d-sale"]
    assert set(order[8:10]) == {"u-new-1", "u-new-2"} and set(order[10:]) == {"u-old-1", "u-old-2"}
    assert [node["createdAt"] for node in whole[8:]] == [None] * 4
    for size in (1, 2, 3, 7, 9):  # 3: a page of 2 dated + 1 undated; 9: of 1 undated + more
        assert await _pages(client, token, size) == whole, size


async def test_filters(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    token = await _library(session_factory, settings, tmp_path / "records")

    async def ids(**filter: Any) -> list[str]:
        return await _record_ids(session_factory, await _pages(client, token, 2, **filter))

    assert await ids(tool="a1111") == ["d-slash", "u-old-2"]
    assert await ids(model="flux") == ["d-snakex", "d-snake"]
    assert await ids(lora="detail") == ["d-sale"]
    assert await ids(text="50%") == ["d-sale", "u-new-1"]  # % is literal: "50 cents" does not match
    assert await ids(text="e_c") == ["d-snake"]  # _ is literal: "snakeXcase" does not match
    assert await ids(text="SNAKE") == ["d-snakex", "d-snake"]  # case-insensitive
    assert await ids(text="k\\s") == ["d-slash"]
    assert await ids(**{"from": at(2).isoformat(), "to": at(10).isoformat()}) == [
        "d-slash",
        "d-snakex",
        "d-snake",
    ]
    assert await ids(**{"from": at(4).isoformat()}) == ["d-tie-none", "d-tie-2", "d-tie-1", "d-slash"]
    assert len(await ids(inSession=True)) == len(DATED)
    assert set(await ids(inSession=False)) == {"u-new-1", "u-new-2", "u-old-1", "u-old-2"}
    assert await ids(inSession=False, tool="a1111") == ["u-old-2"]
    assert await ids(text="50%", inSession=True) == ["d-sale"]


@pytest.mark.parametrize(
    ("filter", "message"),
    [
        ({"from": "2026-03-11T00:00:00Z", "to": "2026-03-10T00:00:00Z"}, "is after `filter.to`"),
        ({"from": "2026-03-11T00:00:00"}, "must carry a time zone"),
        ({"text": "   "}, "must not be blank"),
        ({"text": "x" * 201}, "at most 200 characters"),
        ({"model": ""}, "must be 1–500 characters"),
    ],
)
async def test_bad_filters_are_clear_errors(
    client: GraphQLClient, session_factory: SessionFactory, filter: dict[str, Any], message: str
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    body = await client.query(GALLERY, token, first=5, filter=filter)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    assert message in error["message"]


async def test_another_user_never_sees_the_viewers_images(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    ada = await _library(session_factory, settings, tmp_path / "records")
    bob = await make_user_with_token(session_factory, "bob")
    ada_page = (await client.query(GALLERY, ada, first=3))["data"]["viewer"]["assets"]
    bob_all = await _pages(client, bob, 100)
    assert await _record_ids(session_factory, bob_all) == ["b-1"]
    assert not {node["id"] for node in bob_all} & {edge["node"]["id"] for edge in ada_page["edges"]}
    # ada's cursor in bob's hands pages bob's images only
    body = await client.query(GALLERY, bob, first=100, after=ada_page["pageInfo"]["endCursor"])
    assert [edge["node"]["id"] for edge in body["data"]["viewer"]["assets"]["edges"]] in (
        [],
        [bob_all[0]["id"]],
    )
    bad = await client.query(GALLERY, bob, first=5, after="not-a-cursor")
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    read_less = await make_user_with_token(session_factory, "bob", scopes=["credits:read"])
    assert (await client.query(GALLERY, read_less, first=5))["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_default_page_reads_through_indexes_on_a_large_library(
    database_engine: AsyncEngine, session_factory: SessionFactory
) -> None:
    async with unit_of_work(session_factory) as db:
        user = User(handle="big")
        db.add(user)
        await db.flush()
        await db.execute(
            text(
                "INSERT INTO assets (user_id, record_id, tool, created_at, file_counter, file_name) "
                "SELECT :user, 'r' || n, 'comfyui', "
                "CASE WHEN n % 50 = 0 THEN NULL "
                "ELSE timestamptz '2025-01-01' + n * interval '37 seconds' END, "
                "n, 'ComfyUI_' || n || '.png' FROM generate_series(1, 30000) AS n"
            ),
            {"user": user.id},
        )
        user_id = user.id
    async with database_engine.connect() as connection:
        await connection.execute(text("ANALYZE assets"))
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", capture)
    try:
        async with session_factory() as db:
            first = await gallery_page(db, user_id, GalleryFilter(), limit=50, after=None)
            outside = await gallery_page(db, user_id, GalleryFilter(in_session=False), limit=50, after=None)
    finally:
        event.remove(Engine, "before_cursor_execute", capture)
    assert len(first) == len(outside) == 51 and first[0].created_at is not None
    plans = []
    async with database_engine.connect() as connection:
        for statement, parameters in statements:
            raw = await connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
            plans.append(json.dumps(raw.scalar()))
    default, unclustered = plans
    assert "ix_assets_user_stream" in default and "Backward" in default, default
    assert "ix_assets_user_undated" in default, default
    assert '"Seq Scan"' not in default, default
    # no asset here is in a session: the partial index on unclustered assets serves the filter
    assert "ix_assets_user_unclustered" in unclustered and '"Seq Scan"' not in unclustered, unclustered
