"""What must hold in one consistent read of a user's library through the GraphQL API, whatever
corrections, removals, uploads and re-clusterings came before it (used by the random walks of
``test_api_consistency_walks.py``).

A :class:`Snapshot` is every session with all its images (paged to the end), the gallery (whole,
``inSession: true`` and ``inSession: false``), the correction history and the calibration.
:func:`check_snapshot` asserts the invariants inside one snapshot; :func:`check_views` reads the other
views of the same library and asserts that they agree with it. Every invariant has a name (the first
argument of :meth:`Checker.check`), which a failure quotes with its details.

Sessions
    ``sessions.totalCount`` is the number paged; each session is listed once, newest ``startedAt`` first;
    an image is in at most one session; no session is empty; ``assetCount`` is the number of images
    paged, and so is ``reflectionEligibility.assetCount``; ``eligible`` is ``assetCount >=
    requiredAssets``; a session's images are all dated and in stream order, and ``startedAt`` /
    ``endedAt`` are the first and last of their times.
Phases
    their ``assetCount`` add up to the session's, each at least 1; each lies inside the session's range;
    they are in time order without overlap; each is a consecutive run of the session's stream (its
    start and end are the times of the run's first and last image).
Gallery
    each image listed once, by generation time newest first, undated ones last; every dated image is in
    exactly one session and no undated one in any; every session image is in the gallery;
    ``inSession: true`` is exactly the session images (as many as the sessions' counts add up to),
    ``inSession: false`` exactly the others.
Parent links
    ``Asset.parent`` is one of the viewer's images; ``crossSession`` is true exactly when the parent is
    not in the child's session now (or the child has no session); an inferred (not explicit) link never
    crosses sessions.
Corrections
    ``calibration.corrections`` counts the merges and splits in force that have a boundary margin; the
    history is newest first; ``undone`` exactly when ``undoneAt`` is set; ``canUndo`` exactly when there
    is no ``undoBlockedReason``; an undone correction cannot be undone; a correction names only sessions
    and images that exist; a relabel names no image.
Session groups (check_views)
    each group's ``sessionCount`` is the number paged; its sessions are latest ``endedAt`` first, end
    inside ``[from, to)``, carry the session's ``assetCount``; ``from`` / ``to`` are the local midnights
    (today, Monday of the ISO week) of the viewer's zone at the app's clock; together the groups list
    every session once.
Lanes (check_views)
    every session once; a lane's images are the session's first images; ``hasNextPage`` exactly when
    the session has more than the lane shows.
Lineage (check_views)
    a session's lineage ``nodes`` are its images in stream order; every edge joins two of the viewer's
    images and touches the session; ``crossSession`` is true exactly when parent and child are not in
    one session now.
Search (check_views)
    a matched session exists, holds its ``bestMatch`` and carries its ``assetCount``; a matched image exists.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from itertools import pairwise
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import httpx
import pytest

Node = dict[str, Any]
"""A JSON object as the API returned it."""

LANE_ASSETS = 5
SEARCH_TEXTS = ("castle", "koi pond")

SESSIONS = """query($after: String) { viewer { sessions(first: 100, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { id label labelPinned intent confidence startedAt endedAt assetCount tool
    reflectionEligibility { assetCount eligible requiredAssets }
    phases { id intent label startedAt endedAt assetCount }
    assets(first: 100) { pageInfo { hasNextPage endCursor } edges { node { id createdAt } } } } } } } }"""
SESSION_ASSETS = """query($id: ID!, $after: String) { session(id: $id) {
  assets(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
    edges { node { id createdAt } } } } }"""
GALLERY = """query($after: String, $filter: AssetFilter) {
  viewer { assets(first: 100, after: $after, filter: $filter) { pageInfo { hasNextPage endCursor }
    edges { node { id createdAt fileName parent { parentId crossSession explicit } } } } } }"""
HISTORY = """query($after: String) { viewer {
  calibration { corrections thresholdOffset defaultOffset }
  corrections(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
    edges { node { id kind createdAt summary boundaryMargin undone undoneAt canUndo undoBlockedReason
      sessions { id } assets { id } } } } } }"""
GROUPS = """query($periods: [SessionPeriod!], $after: String) { viewer { timezone
  sessionGroups(periods: $periods) { period from to sessionCount
    sessions(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
      edges { node { id endedAt assetCount } } } } } }"""
LANES = (
    "query($after: String) { viewer { lanes(first: 100, after: $after, assetsPerLane: "
    + str(LANE_ASSETS)
    + """) { pageInfo { hasNextPage endCursor }
  edges { node { session { id assetCount startedAt }
    assets { pageInfo { hasNextPage } edges { node { id } } } } } } } }"""
)
LINEAGE = """query($id: ID!, $after: String) { session(id: $id) { lineage(first: 500, after: $after) {
  pageInfo { hasNextPage endCursor } nodes { id }
  edges { parent { id } child { id } crossSession explicit kind } } } }"""
SEARCH = """query($t: String!) { viewer { search(text: $t, first: 20) { mode
  sessions { session { id assetCount } score bestMatch { id } } assets { asset { id } score } } } }"""


def ts(value: str | None) -> datetime | None:
    """An API ``DateTime`` (``Z`` or offset) as an aware datetime; None stays None."""
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def at(value: str) -> datetime:
    """An API ``DateTime`` that is never null."""
    parsed = ts(value)
    assert parsed is not None
    return parsed


class Checker:
    """Counts and asserts named invariants. A violation fails the test at once through
    :meth:`violated`, which a subclass overrides to say where (seed, step) and to keep a trace."""

    def __init__(self) -> None:
        self.checks = 0

    def check(self, name: str, ok: bool, **detail: Any) -> None:
        self.checks += 1
        if not ok:
            self.violated(name, detail)

    def violated(self, name: str, detail: dict[str, Any]) -> NoReturn:
        pytest.fail(f"invariant {name!r} violated: {json.dumps(detail, default=str)}")


@dataclass(frozen=True)
class Snapshot:
    """One read of the whole library through the API."""

    sessions: dict[str, Node]
    """By id, in the order listed; each also has ``asset_list``: all its images (``id``, ``createdAt``)."""
    order: list[str]
    """Session ids as listed (with repeats, if the API repeated one)."""
    total_count: int
    gallery: list[Node]
    in_session: list[Node]
    out_session: list[Node]
    history: list[Node]
    calibration: Node

    @cached_property
    def where(self) -> dict[str, str]:
        """The session holding each session image."""
        return {asset["id"]: sid for sid, session in self.sessions.items() for asset in session["asset_list"]}

    @cached_property
    def gallery_ids(self) -> set[str]:
        return {asset["id"] for asset in self.gallery}

    @cached_property
    def file_names(self) -> dict[str, str]:
        return {asset["id"]: asset["fileName"] for asset in self.gallery}

    def members(self, session_id: str) -> list[str]:
        return [asset["id"] for asset in self.sessions[session_id]["asset_list"]]

    def partition(self) -> set[frozenset[str]]:
        """The grouping of images into sessions, ids aside."""
        return {frozenset(self.members(sid)) for sid in self.sessions}

    def compact(self) -> Node:
        """What a failure trace keeps: sessions in time order with their images' file names and times,
        and the correction history."""
        return {
            "sessions": [
                {
                    "id": session["id"],
                    "label": session["label"],
                    "labelPinned": session["labelPinned"],
                    "startedAt": session["startedAt"],
                    "endedAt": session["endedAt"],
                    "assetCount": session["assetCount"],
                    "phases": [[p["assetCount"], p["startedAt"], p["endedAt"]] for p in session["phases"]],
                    "assets": [
                        [a["id"], self.file_names.get(a["id"]), a["createdAt"]] for a in session["asset_list"]
                    ],
                }
                for session in sorted(self.sessions.values(), key=lambda s: s["startedAt"])
            ],
            "undated": [[a["id"], a["fileName"]] for a in self.gallery if a["createdAt"] is None],
            "history": [
                [c["id"], c["kind"], c["undone"], c["summary"], [x["id"] for x in c["assets"]]]
                for c in self.history
            ],
            "calibration": self.calibration,
        }


class LibraryReader:
    """Reads the viewer's library through ``/graphql`` with a bearer token."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.token = token

    async def query(self, document: str, **variables: Any) -> Node:
        """The ``data`` of an answer that must carry no ``errors``."""
        response = await self.http.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        body: Node = response.json()
        assert "errors" not in body, (document[:80], variables, body["errors"])
        data: Node = body["data"]
        return data

    async def snapshot(self) -> Snapshot:
        sessions: dict[str, Node] = {}
        order: list[str] = []
        after: str | None = None
        while True:
            page = (await self.query(SESSIONS, after=after))["viewer"]["sessions"]
            total_count: int = page["totalCount"]
            for edge in page["edges"]:
                node = edge["node"]
                node["asset_list"] = await self._all_assets(node)
                sessions[node["id"]] = node
                order.append(node["id"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        history: list[Node] = []
        after = None
        while True:
            viewer = (await self.query(HISTORY, after=after))["viewer"]
            calibration: Node = viewer["calibration"]
            history += [edge["node"] for edge in viewer["corrections"]["edges"]]
            if not viewer["corrections"]["pageInfo"]["hasNextPage"]:
                break
            after = viewer["corrections"]["pageInfo"]["endCursor"]
        return Snapshot(
            sessions=sessions,
            order=order,
            total_count=total_count,
            gallery=await self.gallery(None),
            in_session=await self.gallery({"inSession": True}),
            out_session=await self.gallery({"inSession": False}),
            history=history,
            calibration=calibration,
        )

    async def _all_assets(self, session: Node) -> list[Node]:
        assets = [edge["node"] for edge in session["assets"]["edges"]]
        info = session["assets"]["pageInfo"]
        while info["hasNextPage"]:
            more = (await self.query(SESSION_ASSETS, id=session["id"], after=info["endCursor"]))["session"]
            assets += [edge["node"] for edge in more["assets"]["edges"]]
            info = more["assets"]["pageInfo"]
        return assets

    async def gallery(self, filter_: Node | None) -> list[Node]:
        items: list[Node] = []
        after: str | None = None
        while True:
            page = (await self.query(GALLERY, after=after, filter=filter_))["viewer"]["assets"]
            items += [edge["node"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return items
            after = page["pageInfo"]["endCursor"]

    async def paged(self, document: str, path: Callable[[Node], Node], **variables: Any) -> list[Node]:
        """Every edge's node of a connection, ``path`` picking the connection out of ``data``."""
        nodes: list[Node] = []
        after: str | None = None
        while True:
            connection = path(await self.query(document, after=after, **variables))
            nodes += [edge["node"] for edge in connection["edges"]]
            if not connection["pageInfo"]["hasNextPage"]:
                return nodes
            after = connection["pageInfo"]["endCursor"]


def check_snapshot(checker: Checker, snap: Snapshot) -> None:
    """The invariants inside one snapshot (sessions, phases, gallery, parent links, corrections)."""
    _check_sessions(checker, snap)
    _check_gallery(checker, snap)
    _check_corrections(checker, snap)


def _check_sessions(checker: Checker, snap: Snapshot) -> None:
    check = checker.check
    sessions = snap.sessions
    check(
        "sessions.totalCount == sessions paged",
        snap.total_count == len(snap.order),
        totalCount=snap.total_count,
        paged=len(snap.order),
    )
    check("sessions listed once", len(snap.order) == len(set(snap.order)), order=snap.order)
    starts = [at(sessions[sid]["startedAt"]) for sid in snap.order]
    check("sessions newest first (startedAt desc)", starts == sorted(starts, reverse=True))
    holder: dict[str, str] = {}
    for sid, session in sessions.items():
        assets = session["asset_list"]
        for asset_id in (asset["id"] for asset in assets):
            check(
                "asset in at most one session",
                asset_id not in holder,
                asset=asset_id,
                sessions=[holder.get(asset_id), sid],
            )
            holder[asset_id] = sid
        count = session["assetCount"]
        check(
            "session.assetCount == assets paged",
            count == len(assets),
            session=sid,
            assetCount=count,
            paged=len(assets),
        )
        check("session not empty", len(assets) > 0, session=sid)
        eligibility = session["reflectionEligibility"]
        check(
            "reflectionEligibility.assetCount == assetCount",
            eligibility["assetCount"] == count,
            session=sid,
            eligibility=eligibility["assetCount"],
            assetCount=count,
        )
        check(
            "eligible == assetCount >= requiredAssets",
            eligibility["eligible"] == (eligibility["assetCount"] >= eligibility["requiredAssets"]),
            session=sid,
            eligibility=eligibility,
        )
        undated = [asset["id"] for asset in assets if asset["createdAt"] is None]
        check("session assets all dated", not undated, session=sid, undated=undated)
        times = [at(asset["createdAt"]) for asset in assets]
        if times:
            check(
                "startedAt == min(asset.createdAt)",
                at(session["startedAt"]) == min(times),
                session=sid,
                startedAt=session["startedAt"],
                min=min(times).isoformat(),
            )
            check(
                "endedAt == max(asset.createdAt)",
                at(session["endedAt"]) == max(times),
                session=sid,
                endedAt=session["endedAt"],
                max=max(times).isoformat(),
            )
        check("session assets in stream order", times == sorted(times), session=sid)
        _check_phases(checker, session)


def _check_phases(checker: Checker, session: Node) -> None:
    check = checker.check
    sid = session["id"]
    phases = session["phases"]
    assets = session["asset_list"]
    check(
        "sum(phase.assetCount) == session.assetCount",
        sum(phase["assetCount"] for phase in phases) == session["assetCount"],
        session=sid,
        phases=[phase["assetCount"] for phase in phases],
        assetCount=session["assetCount"],
    )
    start, end = at(session["startedAt"]), at(session["endedAt"])
    for phase in phases:
        check(
            "phase range inside session",
            start <= at(phase["startedAt"]) <= at(phase["endedAt"]) <= end,
            session=sid,
            phase=phase,
            session_range=[session["startedAt"], session["endedAt"]],
        )
        check("phase.assetCount >= 1", phase["assetCount"] >= 1, session=sid, phase=phase)
    for earlier, later in pairwise(phases):
        check(
            "phases in time order, not overlapping",
            at(earlier["endedAt"]) <= at(later["startedAt"]),
            session=sid,
            phases=[earlier, later],
        )
    position = 0
    for phase in phases:
        run = assets[position : position + phase["assetCount"]]
        if run:
            check(
                "phase = consecutive run of the stream (start/end match)",
                ts(run[0]["createdAt"]) == at(phase["startedAt"])
                and ts(run[-1]["createdAt"]) == at(phase["endedAt"]),
                session=sid,
                phase=phase,
                run=[run[0]["createdAt"], run[-1]["createdAt"]],
            )
        position += phase["assetCount"]


def _check_gallery(checker: Checker, snap: Snapshot) -> None:
    check = checker.check
    where = snap.where
    gallery_ids = [asset["id"] for asset in snap.gallery]
    check("gallery lists each asset once", len(gallery_ids) == len(set(gallery_ids)))
    for asset in snap.gallery:
        if asset["createdAt"] is None:
            check("undated asset in no session", asset["id"] not in where, asset=asset["id"])
        else:
            check(
                "dated asset in exactly one session",
                asset["id"] in where,
                asset=asset["id"],
                createdAt=asset["createdAt"],
            )
    check(
        "every session asset is in the gallery",
        set(where) <= snap.gallery_ids,
        missing=sorted(set(where) - snap.gallery_ids)[:5],
    )
    counted = sum(session["assetCount"] for session in snap.sessions.values())
    check(
        "gallery(inSession:true) == sum(assetCount)",
        len(snap.in_session) == counted,
        inSession=len(snap.in_session),
        sum=counted,
    )
    in_ids = {asset["id"] for asset in snap.in_session}
    check(
        "gallery(inSession:true) ids == session assets",
        in_ids == set(where),
        only_filter=sorted(in_ids - set(where))[:5],
        only_sessions=sorted(set(where) - in_ids)[:5],
    )
    out_ids = {asset["id"] for asset in snap.out_session}
    expected_out = snap.gallery_ids - set(where)
    check(
        "gallery(inSession:false) ids == gallery - session assets",
        out_ids == expected_out,
        out=len(out_ids),
        expected=len(expected_out),
    )
    dated = [at(asset["createdAt"]) for asset in snap.gallery if asset["createdAt"]]
    check(
        "gallery newest first, undated last",
        dated == sorted(dated, reverse=True)
        and all(asset["createdAt"] is None for asset in snap.gallery[len(dated) :]),
    )
    for asset in snap.gallery:
        link = asset["parent"]
        if link is None:
            continue
        parent = link["parentId"]
        check(
            "asset.parent is one of the viewer's assets",
            parent in snap.gallery_ids,
            asset=asset["id"],
            parent=parent,
        )
        expected = where.get(parent) != where.get(asset["id"]) or where.get(asset["id"]) is None
        check(
            "asset.parent.crossSession == different sessions now",
            link["crossSession"] == expected,
            asset=asset["id"],
            parent=parent,
            crossSession=link["crossSession"],
            child_session=where.get(asset["id"]),
            parent_session=where.get(parent),
        )
        if not link["explicit"]:
            check(
                "inferred link within one session", not link["crossSession"], asset=asset["id"], parent=parent
            )


def _check_corrections(checker: Checker, snap: Snapshot) -> None:
    check = checker.check
    history = snap.history
    in_force = [c for c in history if c["kind"] in ("MERGE", "SPLIT") and not c["undone"]]
    learned = [c for c in in_force if c["boundaryMargin"] is not None]
    check(
        "calibration.corrections == merges+splits in force with a margin",
        snap.calibration["corrections"] == len(learned),
        calibration=snap.calibration["corrections"],
        counted=len(learned),
        in_force_merge_split=len(in_force),
    )
    created = [at(c["createdAt"]) for c in history]
    check("corrections newest first", created == sorted(created, reverse=True))
    for correction in history:
        cid = correction["id"]
        check(
            "undone == (undoneAt set)",
            correction["undone"] == (correction["undoneAt"] is not None),
            correction=cid,
        )
        check(
            "canUndo == (undoBlockedReason null)",
            correction["canUndo"] == (correction["undoBlockedReason"] is None),
            correction=cid,
            canUndo=correction["canUndo"],
            reason=correction["undoBlockedReason"],
        )
        if correction["undone"]:
            check("undone correction cannot be undone", not correction["canUndo"], correction=cid)
        missing = [x["id"] for x in correction["sessions"] if x["id"] not in snap.sessions]
        check(
            "Correction.sessions only existing sessions",
            not missing,
            correction=cid,
            kind=correction["kind"],
            missing=missing,
        )
        gone = [x["id"] for x in correction["assets"] if x["id"] not in snap.gallery_ids]
        check("Correction.assets only existing assets", not gone, correction=cid, gone=gone)
        if correction["kind"] == "RELABEL":
            check("relabel correction has no assets", correction["assets"] == [], correction=cid)


async def check_views(checker: Checker, reader: LibraryReader, snap: Snapshot, now: datetime) -> None:
    """The other views of the library agree with ``snap``: session groups (at the app's clock
    ``now``), lanes, every session's lineage and search."""
    await _check_groups(checker, reader, snap, now)
    await _check_lanes(checker, reader, snap)
    await _check_lineage(checker, reader, snap)
    await _check_search(checker, reader, snap)


def period_bounds(zone_name: str, now: datetime) -> dict[str, tuple[datetime | None, datetime | None]]:
    """``[from, to)`` of each period: today's and this ISO week's Monday's local midnights in the zone."""
    zone = ZoneInfo(zone_name)
    today = now.astimezone(zone).date()
    today_start = datetime.combine(today, datetime.min.time(), zone).astimezone(UTC)
    monday = today - timedelta(days=today.weekday())
    week_start = datetime.combine(monday, datetime.min.time(), zone).astimezone(UTC)
    return {
        "TODAY": (today_start, None),
        "THIS_WEEK": (week_start, today_start),
        "EARLIER": (None, week_start),
    }


async def _check_groups(checker: Checker, reader: LibraryReader, snap: Snapshot, now: datetime) -> None:
    check = checker.check
    viewer = (await reader.query(GROUPS, periods=None, after=None))["viewer"]
    zone = viewer["timezone"]
    bounds = period_bounds(zone, now)
    seen: list[str] = []
    for group in viewer["sessionGroups"]:
        period = group["period"]
        listed = [edge["node"] for edge in group["sessions"]["edges"]]
        info = group["sessions"]["pageInfo"]
        while info["hasNextPage"]:
            more = (await reader.query(GROUPS, periods=[period], after=info["endCursor"]))["viewer"]
            listed += [edge["node"] for edge in more["sessionGroups"][0]["sessions"]["edges"]]
            info = more["sessionGroups"][0]["sessions"]["pageInfo"]
        check(
            "sessionGroup.sessionCount == sessions paged",
            group["sessionCount"] == len(listed),
            period=period,
            sessionCount=group["sessionCount"],
            paged=len(listed),
        )
        ends = [at(node["endedAt"]) for node in listed]
        check("group sessions latest endedAt first", ends == sorted(ends, reverse=True), period=period)
        low, high = ts(group["from"]), ts(group["to"])
        check(
            "sessionGroup from/to == local midnights of the viewer's zone",
            (low, high) == bounds[period],
            period=period,
            tz=zone,
            got=[group["from"], group["to"]],
            expected=[str(x) for x in bounds[period]],
        )
        for node in listed:
            ended = at(node["endedAt"])
            check(
                "group session endedAt inside period",
                (low is None or ended >= low) and (high is None or ended < high),
                period=period,
                endedAt=node["endedAt"],
                bounds=[group["from"], group["to"]],
                tz=zone,
            )
            check(
                "group card assetCount == session assetCount",
                node["id"] in snap.sessions and snap.sessions[node["id"]]["assetCount"] == node["assetCount"],
                session=node["id"],
                card=node["assetCount"],
            )
        seen += [node["id"] for node in listed]
    check(
        "groups together list every session once",
        sorted(seen) == sorted(snap.sessions),
        grouped=len(seen),
        sessions=len(snap.sessions),
    )


async def _check_lanes(checker: Checker, reader: LibraryReader, snap: Snapshot) -> None:
    check = checker.check
    lanes = await reader.paged(LANES, lambda data: data["viewer"]["lanes"])
    check(
        "lanes list every session once",
        sorted(lane["session"]["id"] for lane in lanes) == sorted(snap.sessions),
        lanes=len(lanes),
        sessions=len(snap.sessions),
    )
    for lane in lanes:
        sid = lane["session"]["id"]
        if sid not in snap.sessions:
            continue
        want = snap.members(sid)[:LANE_ASSETS]
        got = [edge["node"]["id"] for edge in lane["assets"]["edges"]]
        check("lane assets == session's first assets", got == want, session=sid, lane=got, session_first=want)
        check(
            "lane hasNextPage == assetCount > lane size",
            lane["assets"]["pageInfo"]["hasNextPage"] == (snap.sessions[sid]["assetCount"] > LANE_ASSETS),
            session=sid,
            hasNextPage=lane["assets"]["pageInfo"]["hasNextPage"],
            assetCount=snap.sessions[sid]["assetCount"],
        )


async def _check_lineage(checker: Checker, reader: LibraryReader, snap: Snapshot) -> None:
    check = checker.check
    where = snap.where
    for sid in snap.sessions:
        edges: list[Node] = []
        nodes: list[str] = []
        after: str | None = None
        while True:
            page = (await reader.query(LINEAGE, id=sid, after=after))["session"]["lineage"]
            edges += page["edges"]
            nodes += [node["id"] for node in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        check("lineage nodes == session assets", nodes == snap.members(sid), session=sid)
        for edge in edges:
            parent, child = edge["parent"]["id"], edge["child"]["id"]
            check(
                "lineage edge between viewer's assets",
                parent in snap.gallery_ids and child in snap.gallery_ids,
                session=sid,
                parent=parent,
                child=child,
            )
            check(
                "lineage edge touches the session",
                sid in (where.get(parent), where.get(child)),
                session=sid,
                parent=parent,
                child=child,
            )
            expected = where.get(parent) != where.get(child) or where.get(child) is None
            check(
                "lineage crossSession == different sessions now",
                edge["crossSession"] == expected,
                session=sid,
                parent=parent,
                child=child,
                crossSession=edge["crossSession"],
                parent_session=where.get(parent),
                child_session=where.get(child),
            )


async def _check_search(checker: Checker, reader: LibraryReader, snap: Snapshot) -> None:
    check = checker.check
    for text in SEARCH_TEXTS:
        result = (await reader.query(SEARCH, t=text))["viewer"]["search"]
        for hit in result["sessions"]:
            sid = hit["session"]["id"]
            check("search session exists", sid in snap.sessions, text=text, session=sid)
            best = hit["bestMatch"]["id"]
            check(
                "search bestMatch is in the session",
                snap.where.get(best) == sid,
                text=text,
                session=sid,
                best=best,
            )
            if sid in snap.sessions:
                check(
                    "search session assetCount == session assetCount",
                    hit["session"]["assetCount"] == snap.sessions[sid]["assetCount"],
                    text=text,
                    session=sid,
                    hit=hit["session"]["assetCount"],
                    assetCount=snap.sessions[sid]["assetCount"],
                )
        for hit in result["assets"]:
            check(
                "search asset exists",
                hit["asset"]["id"] in snap.gallery_ids,
                text=text,
                asset=hit["asset"]["id"],
            )
