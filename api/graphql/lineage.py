"""GraphQL lineage types: an edge between two images and a page of a session's lineage graph.

The resolvers that load them live on ``Session`` and ``Asset`` (:mod:`api.graphql.types`), which build
these objects with :func:`lineage_edge`; the rows come from :mod:`catalog.sessions.lineage_queries`
(owner-filtered, one statement per batch). ``crossSession`` is computed from the two images' current
sessions when the edge is read, so merges and splits are reflected at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.graphql.pagination import InvalidArgument, PageInfo
from catalog.models import Asset as AssetRow
from catalog.sessions.lineage_queries import LineageLinkRow

if TYPE_CHECKING:
    from api.graphql.types import Asset

LINEAGE_NODES_MAX = 500
"""Images per page of ``Session.lineage`` (the page's edges: at most one into each, plus the few that
leave the session from them)."""
CHILDREN_MAX = 100
ANCESTOR_DEPTH_MAX = 50

_AssetType = Annotated["Asset", strawberry.lazy("api.graphql.types")]

KIND_DESCRIPTION = "upscale, img2img, inpaint, variation, remix, reroll, prompt_edit or param_sweep"
CONFIDENCE_DESCRIPTION = (
    "0–1: ≥ 0.9 when the files say so explicitly, below when inferred from prompts and parameters"
)
CROSS_SESSION_DESCRIPTION = (
    "True when the parent is not in the child's session right now (another session, or no session "
    "because it has no generation time); only explicit links cross sessions; a merge that puts both "
    "in one session makes it false"
)
EXPLICIT_DESCRIPTION = (
    "True when the child's file names or states its parent (source image, parent job, hires pass: "
    "confidence ≥ 0.9); false when inferred from prompts and parameters (always within one session)"
)


@strawberry.type(description="A lineage link: the parent image the child image was made from, and how")
class LineageEdge:
    link: strawberry.Private[LineageLinkRow]
    parent: _AssetType = strawberry.field(
        description="The image it was made from; may lie outside the session asked about (crossSession)"
    )
    child: _AssetType = strawberry.field(description="The image made from the parent")
    kind: str = strawberry.field(description=KIND_DESCRIPTION)
    confidence: float = strawberry.field(description=CONFIDENCE_DESCRIPTION)
    cross_session: bool = strawberry.field(description=CROSS_SESSION_DESCRIPTION)
    explicit: bool = strawberry.field(description=EXPLICIT_DESCRIPTION)


def lineage_edge(link: LineageLinkRow, asset_of: Callable[[AssetRow], Asset]) -> LineageEdge:
    """The GraphQL edge of a loaded link (``asset_of`` builds the GraphQL image of a row)."""
    return LineageEdge(
        link=link,
        parent=asset_of(link.parent),
        child=asset_of(link.child),
        kind=link.edge.kind,
        confidence=link.edge.confidence,
        cross_session=link.cross_session,
        explicit=link.explicit,
    )


@strawberry.type(
    description=(
        f"A page of a session's lineage graph: up to {LINEAGE_NODES_MAX} of its images in stream order "
        "and every edge into them, plus the edges from them to children in other sessions. Each edge "
        "touching the session appears on exactly one page. `nodes` holds only the session's own images: "
        "an edge's parent or child outside the session is not in `nodes` (read it from the edge)."
    )
)
class LineageGraph:
    nodes: list[_AssetType] = strawberry.field(
        description="The session's images of this page, in stream order"
    )
    edges: list[LineageEdge] = strawberry.field(
        description=(
            "Edges whose child is one of `nodes` (its parent may be in another session) and edges from "
            "`nodes` to children in other sessions, ordered by the child's generation time"
        )
    )
    page_info: PageInfo = strawberry.field(description="Whether more images follow, and from where")


def check_lineage_page_size(first: int) -> int:
    if not 1 <= first <= LINEAGE_NODES_MAX:
        raise InvalidArgument(f"`first` must be between 1 and {LINEAGE_NODES_MAX}, got {first}")
    return first


def check_children_count(first: int) -> int:
    if not 1 <= first <= CHILDREN_MAX:
        raise InvalidArgument(f"`first` must be between 1 and {CHILDREN_MAX}, got {first}")
    return first


def check_ancestor_depth(depth: int) -> int:
    if not 1 <= depth <= ANCESTOR_DEPTH_MAX:
        raise InvalidArgument(f"`depth` must be between 1 and {ANCESTOR_DEPTH_MAX}, got {depth}")
    return depth
