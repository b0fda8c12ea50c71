"""Lanes (``viewer.lanes``) over the real app: order, continuing a lane, other users, statement count."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from catalog.database import SessionFactory
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, make_user_with_token
from tests.api.record_library import import_records, record

LANES = """
query($first: Int!, $after: String, $perLane: Int!) { viewer { lanes(first: $first, after: $after,
  assetsPerLane: $perLane) { edges { cursor node {
    session { id label startedAt assetCount thumbnails { url } summary }
    assets { edges { cursor node { id createdAt fileName } } pageInfo { hasNextPage endCursor } } } }
  pageInfo { hasNextPage endCursor } } } }
"""
SESSION_ASSETS = """
query($id: ID!, $after: String) { session(id: $id) { assets(first: 100, after: $after) {
  edges { node { id } } } } }
"""
START = datetime(2026, 2, 1, 20, 0, tzinfo=UTC)


def _library(users: dict[str, int], sizes: list[int]) -> dict[str, list[dict[str, Any]]]:
    """For each user, sessions a day apart (sizes[i] images each, a minute apart)."""
    return {
        handle: [
            record(
                f"{handle}-{day}-{n}",
                START + timedelta(days=day + offset, minutes=n),
                prompt=f"{handle} day {day}",
                file_name=f"ComfyUI_{n:05d}_.png" if n % 3 else None,
            )
            for day, size in enumerate(sizes)
            for n in range(size)
        ]
        for handle, offset in users.items()
    }


async def _lanes(client: GraphQLClient, token: str, first: int, per_lane: int) -> list[dict[str, Any]]:
    lanes: list[dict[str, Any]] = []
    after = None
    while True:
        body = await client.query(LANES, token, first=first, after=after, perLane=per_lane)
        assert "errors" not in body, body
        connection = body["data"]["viewer"]["lanes"]
        lanes += [edge["node"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return lanes
        after = connection["pageInfo"]["endCursor"]


async def test_lanes_are_sessions_newest_first_with_a_continuable_first_page(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    sizes = [5, 2, 7, 1]
    for handle, records in _library({"ada": 0, "bob": 0}, sizes).items():
        await import_records(session_factory, settings, tmp_path / handle, handle, records)
    ada = await make_user_with_token(session_factory, "ada")
    bob = await make_user_with_token(session_factory, "bob")

    lanes = await _lanes(client, ada, first=3, per_lane=3)
    assert [lane["session"]["assetCount"] for lane in lanes] == sizes[::-1]
    starts = [lane["session"]["startedAt"] for lane in lanes]
    assert starts == sorted(starts, reverse=True)
    for lane in lanes:
        edges, info = lane["assets"]["edges"], lane["assets"]["pageInfo"]
        assert len(edges) == min(3, lane["session"]["assetCount"])
        assert info["hasNextPage"] == (lane["session"]["assetCount"] > 3)
        # the lane's first page and its continuation are exactly the session's own stream
        whole = await client.query(SESSION_ASSETS, ada, id=lane["session"]["id"])
        rest = await client.query(SESSION_ASSETS, ada, id=lane["session"]["id"], after=info["endCursor"])
        stream = [edge["node"]["id"] for edge in whole["data"]["session"]["assets"]["edges"]]
        continued = [edge["node"]["id"] for edge in rest["data"]["session"]["assets"]["edges"]]
        assert [edge["node"]["id"] for edge in edges] + continued == stream

    bob_lanes = await _lanes(client, bob, first=12, per_lane=50)
    ada_ids = {lane["session"]["id"] for lane in lanes}
    ada_assets = {edge["node"]["id"] for lane in lanes for edge in lane["assets"]["edges"]}
    assert len(bob_lanes) == len(sizes)
    assert not {lane["session"]["id"] for lane in bob_lanes} & ada_ids
    assert not {edge["node"]["id"] for lane in bob_lanes for edge in lane["assets"]["edges"]} & ada_assets
    stolen = await client.query(SESSION_ASSETS, bob, id=lanes[0]["session"]["id"])
    assert stolen["data"] == {"session": None}


async def test_lane_arguments_are_checked(client: GraphQLClient, session_factory: SessionFactory) -> None:
    token = await make_user_with_token(session_factory, "ada")
    for first, per_lane, after in ((0, 5, None), (5, 101, None), (5, 5, "bm9wZQ")):
        body = await client.query(LANES, token, first=first, perLane=per_lane, after=after)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    read_less = await make_user_with_token(session_factory, "ada", scopes=["credits:read"])
    body = await client.query(LANES, read_less, first=5, perLane=5)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_page_of_lanes_costs_the_same_statements_whatever_its_size(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    records = _library({"ada": 0}, [4, 6, 3, 5, 2, 6, 4, 3])["ada"]
    await import_records(session_factory, settings, tmp_path / "ada", "ada", records)
    token = await make_user_with_token(session_factory, "ada")
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    await client.query(LANES, token, first=1, perLane=1)  # warm-up: the token's last_used_at is written once
    event.listen(Engine, "before_cursor_execute", count)
    try:
        sizes = {}
        for first, per_lane in ((2, 1), (12, 50)):
            statements.clear()
            body = await client.query(LANES, token, first=first, perLane=per_lane)
            assert "errors" not in body, body
            sizes[(first, per_lane)] = len(statements)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    lanes = body["data"]["viewer"]["lanes"]["edges"]
    assert len(lanes) == 8 and sum(len(lane["node"]["assets"]["edges"]) for lane in lanes) == len(records)
    kinds = Counter(" ".join(statement.split())[:60] for statement in statements)
    # authentication + the lanes (sessions and their assets in one) + thumbnails + summaries
    assert sizes[(2, 1)] == sizes[(12, 50)], kinds
    assert sizes[(12, 50)] <= 5, kinds
    assert sum("lane_assets" in statement for statement in statements) == 1
