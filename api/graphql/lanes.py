"""Lanes: ``viewer.lanes(first, after, assetsPerLane)``, sessions newest first, each with a horizontal
first page of its images.

Invariants: one SQL statement fetches the whole page, sessions and every lane's assets
(:func:`catalog.sessions.lanes.lane_page`), whatever ``first`` and ``assetsPerLane``; fields of the
lane's session (thumbnails, phases, summary…) use the usual batched loaders. A lane's ``endCursor`` is
a cursor of the session's own assets connection: ``session(id) { assets(after: endCursor) }``
continues that lane. Only the viewer's sessions and images are read.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.graphql.pagination import CursorReader, PageInfo, check_page_size, encode_cursor
from api.graphql.types import Asset, AssetConnection, AssetEdge, Session, _asset_cursor
from catalog.sessions.lanes import lane_page
from catalog.sessions.queries import SessionKey, asset_key

_LANE_CURSOR = "lane"


@strawberry.type(description="One session as a lane: the session and a first page of its images")
class Lane:
    session: Session = strawberry.field(description="The session")
    assets: AssetConnection = strawberry.field(
        description=(
            "Its first images in stream order; continue with `session(id) { assets(after: endCursor) }`"
        )
    )


@strawberry.type(description="One lane with its cursor")
class LaneEdge:
    node: Lane = strawberry.field(description="The lane")
    cursor: str = strawberry.field(description="Opaque cursor of this lane, for `lanes(after:)`")


@strawberry.type(description="A page of lanes: the viewer's sessions newest first (startedAt), with images")
class LaneConnection:
    edges: list[LaneEdge] = strawberry.field(description="The lanes of this page, newest session first")
    page_info: PageInfo = strawberry.field(description="Whether more (older) lanes follow, and from where")


def _lane_key_of(cursor: str) -> SessionKey:
    reader = CursorReader(cursor, _LANE_CURSOR)
    key = SessionKey(reader.read_datetime(), reader.read_uuid())
    reader.finish()
    return key


async def viewer_lanes(
    info: Info[RequestContext, None], first: int, after: str | None, assets_per_lane: int
) -> LaneConnection:
    limit, per_lane = check_page_size(first), check_page_size(assets_per_lane)
    key = None if after is None else _lane_key_of(after)
    async with info.context.session_factory() as db:
        lanes = await lane_page(db, info.context.user_id, limit=limit, after=key, per_lane=per_lane)
    edges = []
    for lane in lanes[:limit]:
        asset_edges = [
            AssetEdge(node=Asset.from_row(row), cursor=_asset_cursor(asset_key(row)))
            for row in lane.assets[:per_lane]
        ]
        assets = AssetConnection(
            edges=asset_edges,
            page_info=PageInfo(
                has_next_page=len(lane.assets) > per_lane,
                end_cursor=asset_edges[-1].cursor if asset_edges else None,
            ),
        )
        cursor = encode_cursor(_LANE_CURSOR, lane.session.started_at, lane.session.id)
        edges.append(
            LaneEdge(node=Lane(session=Session.from_row(lane.session), assets=assets), cursor=cursor)
        )
    return LaneConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(lanes) > limit, end_cursor=edges[-1].cursor if edges else None),
    )
