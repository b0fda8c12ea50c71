"""Correction history, undo, calibration and the library re-cluster through the real app over HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from catalog.database import SessionFactory
from catalog.settings import AtelierSettings
from catalog.tasks import CATALOG_FUNCTIONS
from tests.api.conftest import GraphQLClient, app_http, make_user_with_token
from tests.arq_worker import run_worker_burst
from tests.catalog.test_corrections import _asset, _evening, _import

HISTORY = """query($first: Int!, $after: String) { viewer { corrections(first: $first, after: $after) {
  edges { cursor node { id kind summary undone undoneAt canUndo undoBlockedReason boundaryMargin
    sessions { id } assets { id } } }
  pageInfo { hasNextPage endCursor } } } }"""
CALIBRATION = """{ viewer { calibration {
  thresholdOffset corrections defaultOffset appliesTo reclusterState } } }"""
SPLIT = """mutation($session: ID!, $at: ID!) { splitSession(sessionId: $session, atAssetId: $at) {
  __typename ... on CorrectionApplied {
    thresholdOffset sessions { id } corrections { id kind undone } } } }"""
RELABEL = """mutation($id: ID!, $label: String) { relabelSession(sessionId: $id, label: $label) {
  __typename } }"""
UNDO = """mutation($id: ID!) { undoCorrection(id: $id) {
  __typename
  ... on CorrectionUndone { correction { id undone canUndo } sessions { id assetCount } thresholdOffset }
  ... on AlreadyUndone { message correction { id undoneAt } }
  ... on CannotUndo { message }
  ... on NotFound { message } } }"""
RECLUSTER = """mutation { reclusterLibrary {
  __typename
  ... on LibraryReclusterQueued { jobId alreadyQueued state thresholdOffset }
  ... on JobQueueUnavailable { message } } }"""
NODE = """query($id: ID!) { node(id: $id) { __typename ... on Correction { id kind summary } } }"""
SESSIONS = "{ viewer { sessions(first: 100) { edges { node { id label labelPinned } } } } }"


def _id(kind: str, value: object) -> str:
    return f"{kind}:{value}"


async def _split(
    client: GraphQLClient, token: str, factory: SessionFactory, record_id: str
) -> dict[str, Any]:
    at = await _asset(factory, record_id)
    body = await client.query(SPLIT, token, session=_id("Session", at.session_id), at=_id("Asset", at.id))
    result: dict[str, Any] = body["data"]["splitSession"]
    assert result["__typename"] == "CorrectionApplied", body
    return result


async def _history(client: GraphQLClient, token: str, first: int = 20, after: str | None = None) -> Any:
    return (await client.query(HISTORY, token, first=first, after=after))["data"]["viewer"]["corrections"]


async def test_history_pages_newest_first_with_what_each_changed_and_node_finds_them(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, _evening(0))
    token = await make_user_with_token(session_factory, "ada")
    split = await _split(client, token, session_factory, "d00h1i00")
    session_id = split["sessions"][0]["id"]
    assert (await client.query(RELABEL, token, id=session_id, label="Neon"))["data"]["relabelSession"][
        "__typename"
    ] == "CorrectionApplied"

    first = await _history(client, token, first=1)
    assert first["pageInfo"]["hasNextPage"] is True
    (relabel,) = [edge["node"] for edge in first["edges"]]
    assert relabel["kind"] == "RELABEL" and relabel["summary"].endswith("→ 'Neon'")
    assert (relabel["sessions"], relabel["assets"], relabel["boundaryMargin"]) == (
        [{"id": session_id}],
        [],
        None,
    )
    assert (relabel["undone"], relabel["canUndo"], relabel["undoBlockedReason"]) == (False, True, None)
    second = await _history(client, token, first=1, after=first["pageInfo"]["endCursor"])
    assert second["pageInfo"] == {"hasNextPage": False, "endCursor": second["edges"][0]["cursor"]}
    (split_node,) = [edge["node"] for edge in second["edges"]]
    assert split_node["kind"] == "SPLIT" and split_node["summary"].endswith(" at image 16 of 30")
    assert len(split_node["assets"]) == 2 and split_node["boundaryMargin"] is not None
    assert split_node["id"].startswith("Correction:")

    found = (await client.query(NODE, token, id=split_node["id"]))["data"]["node"]
    assert found == {
        "__typename": "Correction",
        "id": split_node["id"],
        "kind": "SPLIT",
        "summary": split_node["summary"],
    }
    bob = await make_user_with_token(session_factory, "bob")
    assert (await client.query(NODE, bob, id=split_node["id"]))["data"]["node"] is None
    assert (await _history(client, bob))["edges"] == []  # never another artist's history

    calibration = (await client.query(CALIBRATION, token))["data"]["viewer"]["calibration"]
    assert calibration["thresholdOffset"] == split["thresholdOffset"] < 0
    assert (calibration["corrections"], calibration["defaultOffset"]) == (1, 0.0)
    assert "reclusterLibrary" in calibration["appliesTo"] and calibration["reclusterState"] == "IDLE"

    bad = await client.query(HISTORY, token, first=1, after="not-a-cursor")
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_history_page_reads_with_a_fixed_number_of_statements(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, _evening(0) + _evening(1))
    token = await make_user_with_token(session_factory, "ada")
    for day in range(2):  # newest first: relabel, split, relabel, split
        split = await _split(client, token, session_factory, f"d{day:02d}h1i00")
        await client.query(RELABEL, token, id=split["sessions"][0]["id"], label=f"Day {day}")
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        statements.clear()
        assert len((await _history(client, token, first=2))["edges"]) == 2
        small = len(statements)
        statements.clear()
        assert len((await _history(client, token, first=4))["edges"]) == 4
        large = len(statements)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    # authentication, the page, its sessions, its images, and two for what blocks a rename's undo
    assert small == large <= 1 + 5, statements


async def test_undo_reverses_records_and_refuses_twice_others_and_read_only_tokens(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, _evening(0))
    token = await make_user_with_token(session_factory, "ada")
    (recorded,) = (await _split(client, token, session_factory, "d00h1i00"))["corrections"]
    assert recorded["kind"] == "SPLIT" and recorded["undone"] is False
    correction_id = recorded["id"]

    bob = await make_user_with_token(session_factory, "bob")
    assert (await client.query(UNDO, bob, id=correction_id))["data"]["undoCorrection"] == {
        "__typename": "NotFound",
        "message": "no such correction",
    }
    reader = await make_user_with_token(session_factory, "ada", scopes=["library:read"])
    forbidden = await client.query(UNDO, reader, id=correction_id)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await _history(client, reader))["edges"][0]["node"]["undone"] is False  # untouched, readable

    undone = (await client.query(UNDO, token, id=correction_id))["data"]["undoCorrection"]
    assert undone["__typename"] == "CorrectionUndone"
    assert undone["correction"] == {"id": correction_id, "undone": True, "canUndo": False}
    assert [session["assetCount"] for session in undone["sessions"]] == [30]  # the evening is whole again
    assert undone["thresholdOffset"] == 0.0
    calibration = (await client.query(CALIBRATION, token))["data"]["viewer"]["calibration"]
    assert (calibration["thresholdOffset"], calibration["corrections"]) == (0.0, 0)
    (node,) = [edge["node"] for edge in (await _history(client, token))["edges"]]  # kept as history
    assert node["undone"] is True and node["undoneAt"] is not None
    assert node["undoBlockedReason"] == "this correction is already undone"

    again = (await client.query(UNDO, token, id=correction_id))["data"]["undoCorrection"]
    assert again["__typename"] == "AlreadyUndone"
    assert again["correction"] == {"id": correction_id, "undoneAt": node["undoneAt"]}
    bogus = (await client.query(UNDO, token, id="Correction:nope"))["data"]["undoCorrection"]
    assert bogus["__typename"] == "NotFound"


async def test_two_concurrent_undo_requests_apply_once(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, _evening(0))
    token = await make_user_with_token(session_factory, "ada")
    await _split(client, token, session_factory, "d00h1i00")
    (edge,) = (await _history(client, token))["edges"]
    bodies = await asyncio.gather(
        client.query(UNDO, token, id=edge["node"]["id"]), client.query(UNDO, token, id=edge["node"]["id"])
    )
    kinds = sorted(body["data"]["undoCorrection"]["__typename"] for body in bodies)
    assert kinds == ["AlreadyUndone", "CorrectionUndone"]
    calibration = (await client.query(CALIBRATION, token))["data"]["viewer"]["calibration"]
    assert calibration["corrections"] == 0


async def test_recluster_library_applies_the_learned_offset_to_the_rest_and_keeps_corrections(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Eight evenings that this artist sees as two sessions each; splits teach the offset, which
    reaches only the spans re-clustered afterwards, until ``reclusterLibrary`` applies it to all."""
    await _import(session_factory, queue_settings, tmp_path, [r for day in range(8) for r in _evening(day)])
    async with app_http(queue_settings) as http:
        client = GraphQLClient(http)
        token = await make_user_with_token(session_factory, "ada")
        for day in range(5):  # the artist corrects only where the engine still disagrees with them
            at = await _asset(session_factory, f"d{day:02d}h1i00")
            if at.session_id == (await _asset(session_factory, f"d{day:02d}h0i14")).session_id:
                await _split(client, token, session_factory, f"d{day:02d}h1i00")
        late = await _asset(session_factory, "d07h1i00")
        assert late.session_id == (await _asset(session_factory, "d07h0i00")).session_id  # not reached yet
        pinned_id = _id("Session", (await _asset(session_factory, "d00h0i00")).session_id)
        await client.query(RELABEL, token, id=pinned_id, label="First evening")

        reader = await make_user_with_token(session_factory, "ada", scopes=["library:read"])
        forbidden = await client.query(RECLUSTER, reader)
        assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        queued = (await client.query(RECLUSTER, token))["data"]["reclusterLibrary"]
        assert queued["__typename"] == "LibraryReclusterQueued" and queued["alreadyQueued"] is False
        assert queued["state"] == "QUEUED" and queued["thresholdOffset"] < 0
        assert (await client.query(RECLUSTER, token))["data"]["reclusterLibrary"]["alreadyQueued"] is True
        calibration = (await client.query(CALIBRATION, token))["data"]["viewer"]["calibration"]
        assert calibration["reclusterState"] == "QUEUED"

        worker = await run_worker_burst(session_factory, queue_settings, CATALOG_FUNCTIONS)
        assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
        calibration = (await client.query(CALIBRATION, token))["data"]["viewer"]["calibration"]
        assert calibration["reclusterState"] == "IDLE"
        for day in range(8):  # every evening as the artist sees it, corrected or not
            assert (await _asset(session_factory, f"d{day:02d}h1i00")).session_id != (
                await _asset(session_factory, f"d{day:02d}h0i14")
            ).session_id, day
        sessions = (await client.query(SESSIONS, token))["data"]["viewer"]["sessions"]["edges"]
        assert {"id": pinned_id, "label": "First evening", "labelPinned": True} in [
            e["node"] for e in sessions
        ]
        assert all(edge["node"]["undone"] is False for edge in (await _history(client, token))["edges"])


async def test_recluster_library_without_a_job_queue_says_so(
    settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    async with app_http(settings.model_copy(update={"redis_url": None})) as http:
        client = GraphQLClient(http)
        token = await make_user_with_token(session_factory, "ada")
        result = (await client.query(RECLUSTER, token))["data"]["reclusterLibrary"]
        calibration = (await client.query(CALIBRATION, token))["data"]["viewer"]["calibration"]
    assert result == {
        "__typename": "JobQueueUnavailable",
        "message": "this server has no job queue (Redis) configured",
    }
    assert calibration["reclusterState"] is None and calibration["corrections"] == 0
