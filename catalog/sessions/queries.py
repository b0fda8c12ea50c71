"""Read queries behind the API: keyset pages of sessions and assets, batched thumbnails and phases.

Every function takes the owner's ``user_id`` and filters by it, so a caller cannot read another
user's rows even with a guessed id. Pages fetch ``limit + 1`` rows so the caller learns whether a next
page exists without a count query.

Orders (stable, unique thanks to the id tie-break):
- sessions: newest first — ``(started_at DESC, id DESC)``;
- a session's assets: stream order — ``(created_at, file_counter, file_name, id)``, nulls first for
  the counter and the name (``coalesce`` keeps the keyset comparison a plain row comparison).

Columns: the API's asset reads leave out the visual embedding and the ``extra`` JSONB: nothing the
API shows reads them, and decoding a vector per row was most of a page's database cost. The pages of
images (:func:`asset_page`, :func:`first_assets_of_sessions`) are plain :class:`AssetView` tuples of
the columns shown, and sessions and phases (:func:`session_page`, :func:`session_by_id`,
:func:`phases_of_sessions`) are :class:`SessionView` / :class:`PhaseView` tuples; :func:`assets_by_ids`
gives ORM rows loaded with :data:`API_ASSET_LOAD`, where
reading a left-out column raises (``raiseload``) instead of loading it lazily; thumbnails
(:func:`thumbnails_of_sessions`) are plain :class:`ThumbnailRef` values, not rows.

Statements: the reads every page makes (:func:`session_page`, :func:`session_by_id`, :func:`asset_page`,
:func:`thumbnails_of_sessions`, :func:`first_assets_of_sessions`, :func:`phases_of_sessions`) are
compiled once, at import, as :class:`~catalog.driver_reads.DriverRead` statements with named
parameters, and run on the pooled connection's asyncpg driver outside a transaction (inside the
caller's transaction when it has begun one); a call binds its values. An id list is one array
parameter (``= ANY(:ids)``), not an ``IN`` list expanded per call.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import any_, bindparam, func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer
from sqlalchemy.orm.interfaces import ORMOption
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.elements import BindParameter

from catalog.assets.asset_views import ASSET_VIEW_COLUMNS, AssetView, asset_views
from catalog.assets.span_rows import SpanAsset
from catalog.driver_reads import DriverRead
from catalog.models import Asset, LineageEdge, Phase, Session
from catalog.sessions.session_views import PHASE_VIEW_COLUMNS, SESSION_VIEW_COLUMNS, PhaseView, SessionView
from catalog.sql_types import UUID_ARRAY

_Owned = TypeVar("_Owned", Session, Asset)
_NO_COUNTER = -(2**62)
_counter_key = func.coalesce(Asset.file_counter, _NO_COUNTER)
_name_key = func.coalesce(Asset.file_name, "")
API_ASSET_LOAD = (defer(Asset.visual_embedding, raiseload=True), defer(Asset.extra, raiseload=True))
"""Loader options for assets the API reads: everything but the visual embedding and ``extra``."""


@dataclass(frozen=True, slots=True)
class SessionKey:
    started_at: datetime
    id: uuid.UUID


@dataclass(frozen=True, slots=True, order=True)
class AssetKey:
    created_at: datetime
    file_counter: int
    file_name: str
    id: uuid.UUID


def _ids(name: str) -> BindParameter[Any]:
    """A named parameter holding a list of ids, compared with ``= ANY(...)``."""
    return bindparam(name, type_=UUID_ARRAY)


def session_key(row: Session) -> SessionKey:
    return SessionKey(row.started_at, row.id)


def asset_key(row: Asset | SpanAsset | AssetView) -> AssetKey:
    assert row.created_at is not None, "only clustered (timed) assets are paged in stream order"
    return stream_key(row.created_at, row.file_counter, row.file_name, row.id)


def stream_key(
    created_at: datetime, file_counter: int | None, file_name: str | None, asset_id: uuid.UUID
) -> AssetKey:
    """An image's place in its user's stream (the order of ``ix_assets_user_stream``)."""
    counter = file_counter if file_counter is not None else _NO_COUNTER
    return AssetKey(created_at, counter, file_name or "", asset_id)


_SESSIONS_NEWEST_FIRST_SELECT = (
    select(*SESSION_VIEW_COLUMNS)
    .where(Session.user_id == bindparam("user_id"))
    .order_by(Session.started_at.desc(), Session.id.desc())
    .limit(bindparam("rows"))
)
_SESSIONS_NEWEST_FIRST = DriverRead(_SESSIONS_NEWEST_FIRST_SELECT)
_SESSIONS_AFTER = DriverRead(
    _SESSIONS_NEWEST_FIRST_SELECT.where(
        tuple_(Session.started_at, Session.id) < tuple_(bindparam("after_started_at"), bindparam("after_id"))
    )
)


async def session_page(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, after: SessionKey | None
) -> list[SessionView]:
    values: dict[str, object] = {"user_id": user_id, "rows": limit + 1}
    if after is not None:
        values |= {"after_started_at": after.started_at, "after_id": after.id}
    read = _SESSIONS_NEWEST_FIRST if after is None else _SESSIONS_AFTER
    make = SessionView._make
    return [make(row) for row in await read.rows(session, values)]


_SESSION_BY_ID = DriverRead(
    select(*SESSION_VIEW_COLUMNS).where(
        Session.user_id == bindparam("user_id"), Session.id == bindparam("id")
    )
)


async def session_by_id(
    session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID
) -> SessionView | None:
    rows = await _SESSION_BY_ID.rows(session, {"user_id": user_id, "id": session_id})
    return SessionView._make(rows[0]) if rows else None


async def session_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    return int(await session.scalar(select(func.count()).where(Session.user_id == user_id)) or 0)


_STREAM_ORDER = (Asset.created_at, _counter_key, _name_key, Asset.id)
_SESSION_ASSETS_SELECT = (
    select(*ASSET_VIEW_COLUMNS)
    .where(Asset.user_id == bindparam("user_id"), Asset.session_id == bindparam("session_id"))
    .order_by(*_STREAM_ORDER)
    .limit(bindparam("rows"))
)
_SESSION_ASSETS = DriverRead(_SESSION_ASSETS_SELECT)
_SESSION_ASSETS_AFTER = DriverRead(
    _SESSION_ASSETS_SELECT.where(
        tuple_(*_STREAM_ORDER)
        > tuple_(
            bindparam("after_created_at"),
            bindparam("after_counter"),
            bindparam("after_name"),
            bindparam("after_id"),
        )
    )
)


async def asset_page(
    session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID, *, limit: int, after: AssetKey | None
) -> list[AssetView]:
    values: dict[str, Any] = {"user_id": user_id, "session_id": session_id, "rows": limit + 1}
    if after is None:
        return await asset_views(session, _SESSION_ASSETS, values)
    values |= {
        "after_created_at": after.created_at,
        "after_counter": after.file_counter,
        "after_name": after.file_name,
        "after_id": after.id,
    }
    return await asset_views(session, _SESSION_ASSETS_AFTER, values)


class ThumbnailRef(NamedTuple):
    """What a session card's thumbnail needs of an asset (not an ORM row: a card shows nine; a tuple,
    whose construction costs a fraction of a frozen dataclass's)."""

    id: uuid.UUID
    user_id: uuid.UUID
    thumbnail_sha256: str


def _ranked_in_sessions(*, with_thumbnail: bool) -> Subquery:
    """The assets of user ``:user_id`` in sessions ``:session_ids`` (those with a thumbnail only, if
    asked) with their ``position`` (1, 2, …) in their session's stream order: a subquery of id,
    session_id, thumbnail_sha256 and position."""
    position = func.row_number().over(partition_by=Asset.session_id, order_by=_STREAM_ORDER).label("position")
    return (
        select(Asset.id, Asset.session_id, Asset.thumbnail_sha256, position)
        .where(
            Asset.user_id == bindparam("user_id"),
            Asset.session_id == any_(_ids("session_ids")),
            Asset.thumbnail_sha256.is_not(None) if with_thumbnail else Asset.id.is_not(None),
        )
        .subquery()
    )


_WITH_THUMBNAIL = _ranked_in_sessions(with_thumbnail=True)
_FIRST_THUMBNAILS = DriverRead(
    select(_WITH_THUMBNAIL.c.session_id, _WITH_THUMBNAIL.c.id, _WITH_THUMBNAIL.c.thumbnail_sha256)
    .where(_WITH_THUMBNAIL.c.position <= bindparam("per_session"))
    .order_by(_WITH_THUMBNAIL.c.session_id, _WITH_THUMBNAIL.c.position)
)


async def thumbnails_of_sessions(
    session: AsyncSession, user_id: uuid.UUID, session_ids: Sequence[uuid.UUID], per_session: int
) -> dict[uuid.UUID, list[ThumbnailRef]]:
    """The first ``per_session`` assets with a thumbnail of each session, in stream order (one query)."""
    found: dict[uuid.UUID, list[ThumbnailRef]] = {session_id: [] for session_id in session_ids}
    if not session_ids:
        return found
    values = {"user_id": user_id, "session_ids": list(session_ids), "per_session": per_session}
    for session_id, asset_id, sha in await _FIRST_THUMBNAILS.rows(session, values):
        found[session_id].append(ThumbnailRef(asset_id, user_id, sha))
    return found


_ANY_ASSET = _ranked_in_sessions(with_thumbnail=False)
_FIRST_ASSETS = DriverRead(
    select(*ASSET_VIEW_COLUMNS)
    .join(_ANY_ASSET, _ANY_ASSET.c.id == Asset.id)
    .where(_ANY_ASSET.c.position <= bindparam("per_session"))
    .order_by(Asset.session_id, _ANY_ASSET.c.position)
)


async def first_assets_of_sessions(
    session: AsyncSession,
    user_id: uuid.UUID,
    session_ids: Sequence[uuid.UUID],
    per_session: int,
) -> dict[uuid.UUID, list[AssetView]]:
    """The first ``per_session`` assets of each session in stream order, for many sessions in one query."""
    found: dict[uuid.UUID, list[AssetView]] = {session_id: [] for session_id in session_ids}
    if not session_ids:
        return found
    values = {"user_id": user_id, "session_ids": list(session_ids), "per_session": per_session}
    for asset in await asset_views(session, _FIRST_ASSETS, values):
        assert asset.session_id is not None
        found[asset.session_id].append(asset)
    return found


_PHASES_OF_SESSIONS = DriverRead(
    select(*PHASE_VIEW_COLUMNS)
    .join(Session, Session.id == Phase.session_id)
    .where(Session.user_id == bindparam("user_id"), Phase.session_id == any_(_ids("session_ids")))
    .order_by(Phase.session_id, Phase.ordinal)
)


async def phases_of_sessions(
    session: AsyncSession, user_id: uuid.UUID, session_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[PhaseView]]:
    found: dict[uuid.UUID, list[PhaseView]] = {session_id: [] for session_id in session_ids}
    if not session_ids:
        return found
    values = {"user_id": user_id, "session_ids": list(session_ids)}
    make = PhaseView._make
    for row in await _PHASES_OF_SESSIONS.rows(session, values):
        phase = make(row)
        found[phase.session_id].append(phase)
    return found


async def user_owns_thumbnail(session: AsyncSession, user_id: uuid.UUID, thumbnail_sha256: str) -> bool:
    statement = (
        select(Asset.id).where(Asset.user_id == user_id, Asset.thumbnail_sha256 == thumbnail_sha256).limit(1)
    )
    return await session.scalar(statement) is not None


async def sessions_in_order(
    session: AsyncSession, user_id: uuid.UUID, session_ids: Sequence[uuid.UUID]
) -> list[Session]:
    """The given sessions of the user, oldest first."""
    if not session_ids:
        return []
    statement = (
        select(Session)
        .where(Session.user_id == user_id, Session.id.in_(list(session_ids)))
        .order_by(Session.started_at, Session.id)
    )
    return list(await session.scalars(statement))


@dataclass(frozen=True, slots=True)
class SessionMembership:
    """What a session holds right now: its asset count, a SHA-256 over its sorted member ids (any move,
    split or merge changes it) and how many members have a thumbnail."""

    asset_count: int
    membership_sha256: str
    thumbnail_count: int


async def session_membership(
    session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID
) -> SessionMembership | None:
    """One aggregate query; ``None`` when the session does not exist or is not the user's."""
    exists = await session.scalar(
        select(Session.id).where(Session.user_id == user_id, Session.id == session_id)
    )
    if exists is None:
        return None
    row = (
        await session.execute(
            text(
                "SELECT count(*), encode(sha256(convert_to(coalesce("
                "string_agg(id::text, ',' ORDER BY id), ''), 'UTF8')), 'hex'), count(thumbnail_sha256) "
                "FROM assets WHERE user_id = :user_id AND session_id = :session_id"
            ),
            {"user_id": user_id, "session_id": session_id},
        )
    ).one()
    return SessionMembership(int(row[0]), str(row[1]), int(row[2]))


async def session_assets_in_order(
    session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID
) -> list[Asset]:
    """Every asset of one session in stream order (for reflections; a session holds at most a few
    thousand assets)."""
    statement = (
        select(Asset)
        .where(Asset.user_id == user_id, Asset.session_id == session_id)
        .order_by(Asset.created_at, _counter_key, _name_key, Asset.id)
    )
    return list(await session.scalars(statement))


async def lineage_edges_into(
    session: AsyncSession, user_id: uuid.UUID, child_asset_ids: Sequence[uuid.UUID]
) -> list[LineageEdge]:
    """The lineage edges whose child is one of ``child_asset_ids`` (bound as one array parameter)."""
    if not child_asset_ids:
        return []
    statement = select(LineageEdge).where(
        LineageEdge.user_id == user_id,
        LineageEdge.child_asset_id == any_(bindparam("children", list(child_asset_ids), type_=UUID_ARRAY)),
    )
    return list(await session.scalars(statement))


async def sessions_by_ids(
    session: AsyncSession, user_id: uuid.UUID, session_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Session]:
    """The user's sessions among ``session_ids`` (one query); others' and unknown ids are absent."""
    return await _owned_by_ids(session, Session, user_id, session_ids)


async def assets_by_ids(
    session: AsyncSession, user_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Asset]:
    """The user's assets among ``asset_ids`` (one query; the columns of :data:`API_ASSET_LOAD`); others'
    and unknown ids are absent."""
    return await _owned_by_ids(session, Asset, user_id, asset_ids, options=API_ASSET_LOAD)


async def _owned_by_ids(
    session: AsyncSession,
    model: type[_Owned],
    user_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    *,
    options: Sequence[ORMOption] = (),
) -> dict[uuid.UUID, _Owned]:
    """Rows of ``model`` (a table with ``id`` and ``user_id``) that ``user_id`` owns among ``ids``."""
    if not ids:
        return {}
    statement = select(model).options(*options).where(model.user_id == user_id, model.id.in_(list(ids)))
    return {row.id: row for row in await session.scalars(statement)}


async def phases_by_ids(
    session: AsyncSession, user_id: uuid.UUID, phase_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Phase]:
    """The user's phases among ``phase_ids`` (one query, owner through the session)."""
    if not phase_ids:
        return {}
    statement = (
        select(Phase)
        .join(Session, Session.id == Phase.session_id)
        .where(Session.user_id == user_id, Phase.id.in_(list(phase_ids)))
    )
    return {row.id: row for row in await session.scalars(statement)}
