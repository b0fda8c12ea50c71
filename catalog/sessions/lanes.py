"""Lanes: a page of sessions, newest first, each with the first assets of its stream — one statement.

The sessions are :func:`catalog.sessions.queries.session_page`'s (``started_at DESC, id DESC``, keyset
after a :class:`~catalog.sessions.queries.SessionKey`); each lane's assets are in the session's stream
order (``created_at, file_counter, file_name, id``, nulls first for the counter and the name: the
order and keys of :func:`catalog.sessions.queries.asset_page`, so a lane continues through the
session's own assets connection). A ``LEFT JOIN LATERAL`` over the page fetches ``per_lane + 1`` assets
of every session at once, so a page costs one statement whatever its size. Every row is the owner's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, defer

from catalog.models import Asset, Session
from catalog.sessions.queries import SessionKey, _counter_key, _name_key

_STREAM = (Asset.created_at, _counter_key, _name_key, Asset.id)
"""The stream order exactly as :func:`catalog.sessions.queries.asset_page` sorts and keys it."""


@dataclass(slots=True)
class Lane:
    session: Session
    assets: list[Asset] = field(default_factory=list)
    """Up to ``per_lane + 1`` assets in stream order (one more than asked tells that more follow)."""


async def lane_page(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, after: SessionKey | None, per_lane: int
) -> list[Lane]:
    """Up to ``limit + 1`` of the user's sessions after ``after``, each with up to ``per_lane + 1`` of
    its first assets; one statement. Assets come without ``visual_embedding`` (deferred, raising)."""
    page = select(Session).where(Session.user_id == user_id)
    if after is not None:
        page = page.where(tuple_(Session.started_at, Session.id) < tuple_(after.started_at, after.id))
    sessions = page.order_by(Session.started_at.desc(), Session.id.desc()).limit(limit + 1).subquery("lanes")
    lane_session = aliased(Session, sessions)
    first_assets = (
        select(Asset, func.row_number().over(order_by=_STREAM).label("position"))
        .where(Asset.user_id == user_id, Asset.session_id == sessions.c.id)
        .order_by(*_STREAM)
        .limit(per_lane + 1)
        .lateral("lane_assets")
    )
    lane_asset = aliased(Asset, first_assets)
    statement = (
        select(lane_session, lane_asset)
        .outerjoin(first_assets, true())
        .options(defer(lane_asset.visual_embedding, raiseload=True))
        .order_by(sessions.c.started_at.desc(), sessions.c.id.desc(), first_assets.c.position)
    )
    lanes: list[Lane] = []
    for row, asset in await session.execute(statement):
        if not lanes or lanes[-1].session.id != row.id:
            lanes.append(Lane(row))
        if asset is not None:
            lanes[-1].assets.append(asset)
    return lanes
