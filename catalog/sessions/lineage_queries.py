"""Read queries for lineage: an asset's parent, children and ancestors, and a session's lineage graph.

Every statement filters the edge *and* both of its assets by the owner's ``user_id``, so no path can
return another user's image even with a guessed id. Each function is one SQL statement whatever the
number of assets asked about (ids are bound as one array parameter), so DataLoaders batch a page.

Ancestors are walked by one recursive CTE from the nearest parent up. Edges may form a cycle (two
files that name each other): the walk carries the path of asset ids it has visited and never steps
onto one of them again, and ``depth`` bounds it besides, so it always ends.

``cross_session`` is computed here from the two assets' *current* sessions (never stored), so an edge
reads as same-session as soon as a merge puts both images in one session, and as cross-session after
a split separates them. A parent without a generation time has no session: such an edge is
cross-session. ``explicit``: the files named the parent (or said so otherwise, confidence ≥ 0.9).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, any_, bindparam, func, literal, or_, select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, defer

from catalog.assets.asset_views import AssetView
from catalog.driver_reads import DriverRead
from catalog.models import Asset, LineageEdge
from catalog.sessions.queries import AssetKey, asset_page, first_assets_of_sessions
from catalog.sql_types import UUID_ARRAY
from engine.sessions.lineage import EXPLICIT_CONFIDENCE

_Parent = aliased(Asset, name="parent_asset")
_Child = aliased(Asset, name="child_asset")


def crosses_sessions(parent_session_id: uuid.UUID | None, child_session_id: uuid.UUID | None) -> bool:
    """Whether an edge links two sessions, from its images' *current* sessions: a parent in no session
    (no generation time) makes it cross-session."""
    return parent_session_id is None or parent_session_id != child_session_id


@dataclass(frozen=True, slots=True)
class LineageLinkRow:
    """One edge with both of its images (ORM rows, owned by the same user)."""

    edge: LineageEdge
    parent: Asset
    child: Asset

    @property
    def cross_session(self) -> bool:
        return crosses_sessions(self.parent.session_id, self.child.session_id)

    @property
    def explicit(self) -> bool:
        return self.edge.confidence >= EXPLICIT_CONFIDENCE


def _ids(name: str, ids: Sequence[uuid.UUID]) -> Any:
    """One ``uuid[]`` parameter, whatever the number of ids."""
    return bindparam(name, list(ids), type_=UUID_ARRAY)


_LINK_ASSET_LOAD = tuple(
    defer(column, raiseload=True)
    for image in (_Parent, _Child)
    for column in (image.visual_embedding, image.extra)
)
"""Both images of a link come without the visual embedding and ``extra`` (as ``API_ASSET_LOAD``):
decoding the vectors was most of a page of parents' load time; reading them raises."""


def _links(user_id: uuid.UUID) -> Select[LineageEdge, Asset, Asset]:
    """Edges of ``user_id`` with both images, each image owned by ``user_id`` too (the columns of
    :data:`_LINK_ASSET_LOAD`)."""
    return (
        select(LineageEdge, _Parent, _Child)
        .options(*_LINK_ASSET_LOAD)
        .join(_Parent, _Parent.id == LineageEdge.parent_asset_id)
        .join(_Child, _Child.id == LineageEdge.child_asset_id)
        .where(LineageEdge.user_id == user_id, _Parent.user_id == user_id, _Child.user_id == user_id)
    )


class ParentEdge(NamedTuple):
    """An image's edge to its parent, without either image's columns: what ``Asset.parent`` shows."""

    child_id: uuid.UUID
    parent_id: uuid.UUID
    kind: str
    confidence: float
    parent_session_id: uuid.UUID | None
    child_session_id: uuid.UUID | None

    @property
    def cross_session(self) -> bool:
        return crosses_sessions(self.parent_session_id, self.child_session_id)

    @property
    def explicit(self) -> bool:
        return self.confidence >= EXPLICIT_CONFIDENCE


_PARENT_EDGES = DriverRead(
    select(
        LineageEdge.child_asset_id,
        LineageEdge.parent_asset_id,
        LineageEdge.kind,
        LineageEdge.confidence,
        _Parent.session_id,
        _Child.session_id,
    )
    .join(_Parent, _Parent.id == LineageEdge.parent_asset_id)
    .join(_Child, _Child.id == LineageEdge.child_asset_id)
    .where(
        LineageEdge.user_id == bindparam("user_id"),
        _Parent.user_id == bindparam("user_id"),
        _Child.user_id == bindparam("user_id"),
        LineageEdge.child_asset_id == any_(bindparam("children", type_=UUID_ARRAY)),
    )
)
"""Compiled once, read on the driver: six columns per edge, the ids one array parameter (a page of
100 images read 80 ORM columns per edge before)."""


async def parent_edges(
    db: AsyncSession, user_id: uuid.UUID, child_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ParentEdge]:
    """Child id → its edge to its parent, for the children that have one (one statement; a child has
    at most one parent edge)."""
    if not child_ids:
        return {}
    values = {"user_id": user_id, "children": list(child_ids)}
    return {row[0]: ParentEdge(*row) for row in await _PARENT_EDGES.rows(db, values)}


async def child_links(
    db: AsyncSession, user_id: uuid.UUID, parent_ids: Sequence[uuid.UUID], per_parent: int
) -> dict[uuid.UUID, list[LineageLinkRow]]:
    """Parent id → the edges to its first ``per_parent`` children in stream order (one statement)."""
    found: dict[uuid.UUID, list[LineageLinkRow]] = {parent_id: [] for parent_id in parent_ids}
    if not parent_ids:
        return found
    position = (
        func.row_number()
        .over(
            partition_by=LineageEdge.parent_asset_id,
            order_by=(_Child.created_at.asc().nulls_last(), _Child.file_counter, _Child.file_name, _Child.id),
        )
        .label("position")
    )
    ranked = (
        select(LineageEdge.id.label("edge_id"), position)
        .join(_Child, _Child.id == LineageEdge.child_asset_id)
        .where(
            LineageEdge.user_id == user_id,
            LineageEdge.parent_asset_id == any_(_ids("parents", parent_ids)),
        )
        .subquery()
    )
    statement = (
        _links(user_id)
        .join(ranked, ranked.c.edge_id == LineageEdge.id)
        .where(ranked.c.position <= per_parent)
        .order_by(LineageEdge.parent_asset_id, ranked.c.position)
    )
    for edge, parent, child in await db.execute(statement):
        found[edge.parent_asset_id].append(LineageLinkRow(edge, parent, child))
    return found


async def ancestor_links(
    db: AsyncSession, user_id: uuid.UUID, asset_ids: Sequence[uuid.UUID], depth: int
) -> dict[uuid.UUID, list[LineageLinkRow]]:
    """Asset id → the edges of its ancestry, nearest parent first, at most ``depth`` of them (one
    statement: a recursive CTE that never revisits an asset, so cycles end)."""
    found: dict[uuid.UUID, list[LineageLinkRow]] = {asset_id: [] for asset_id in asset_ids}
    if not asset_ids:
        return found
    start = (
        select(
            LineageEdge.child_asset_id.label("origin"),
            LineageEdge.id.label("edge_id"),
            LineageEdge.parent_asset_id.label("next_id"),
            literal(1, Integer).label("depth"),
            array([LineageEdge.child_asset_id, LineageEdge.parent_asset_id]).label("path"),
        )
        .where(
            LineageEdge.user_id == user_id,
            LineageEdge.child_asset_id == any_(_ids("origins", asset_ids)),
        )
        .cte("ancestry", recursive=True)
    )
    step_edge = aliased(LineageEdge, name="step_edge")
    chain = start.union_all(
        select(
            start.c.origin,
            step_edge.id,
            step_edge.parent_asset_id,
            start.c.depth + 1,
            func.array_append(start.c.path, step_edge.parent_asset_id),
        ).where(
            step_edge.child_asset_id == start.c.next_id,
            step_edge.user_id == user_id,
            start.c.depth < bindparam("max_depth", depth, type_=Integer),
            ~(step_edge.parent_asset_id == any_(start.c.path)),
        )
    )
    statement = (
        _links(user_id)
        .add_columns(chain.c.origin)
        .join(chain, chain.c.edge_id == LineageEdge.id)
        .order_by(chain.c.origin, chain.c.depth)
    )
    for edge, parent, child, origin in await db.execute(statement):
        found[origin].append(LineageLinkRow(edge, parent, child))
    return found


@dataclass(frozen=True, slots=True)
class SessionLineagePage:
    nodes: list[AssetView]
    """Up to ``limit + 1`` of the session's assets in stream order (the extra one: a next page)."""
    links: list[LineageLinkRow]
    """Edges into the page's first ``limit`` nodes, and edges from them to children in other sessions."""


async def session_lineage_page(
    db: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID, *, limit: int, after: AssetKey | None
) -> SessionLineagePage:
    """A page of a session's lineage graph (two statements whatever ``limit``): its nodes are the
    session's assets in stream order; its edges are those whose child is a node of the page (the parent
    may be in another session) and those from a node of the page to a child outside the session. Every
    edge touching the session thus appears on exactly one page."""
    nodes = await asset_page(db, user_id, session_id, limit=limit, after=after)
    return (await _with_links(db, user_id, {session_id: nodes}, limit))[session_id]


async def first_lineage_pages(
    db: AsyncSession, user_id: uuid.UUID, session_ids: Sequence[uuid.UUID], limit: int
) -> dict[uuid.UUID, SessionLineagePage]:
    """The first page (as :func:`session_lineage_page`) of many sessions' graphs in two statements."""
    nodes = await first_assets_of_sessions(db, user_id, session_ids, limit + 1)
    return await _with_links(db, user_id, nodes, limit)


async def _with_links(
    db: AsyncSession, user_id: uuid.UUID, nodes: dict[uuid.UUID, list[AssetView]], limit: int
) -> dict[uuid.UUID, SessionLineagePage]:
    """Each session's page of ``nodes`` with its edges (one statement for all sessions)."""
    session_of = {node.id: session_id for session_id, rows in nodes.items() for node in rows[:limit]}
    links: dict[uuid.UUID, list[LineageLinkRow]] = {session_id: [] for session_id in nodes}
    if session_of:
        ids = list(session_of)
        statement = (
            _links(user_id)
            .where(
                or_(
                    LineageEdge.child_asset_id == any_(_ids("nodes", ids)),
                    LineageEdge.parent_asset_id == any_(_ids("from_nodes", ids)),
                )
            )
            .order_by(_Child.created_at.asc().nulls_last(), _Child.id)
        )
        for edge, parent, child in await db.execute(statement):
            link = LineageLinkRow(edge, parent, child)
            into = session_of.get(child.id)
            if into is not None:
                links[into].append(link)
            out_of = session_of.get(parent.id)
            if out_of is not None and child.session_id != out_of:
                links[out_of].append(link)
    return {session_id: SessionLineagePage(rows, links[session_id]) for session_id, rows in nodes.items()}
