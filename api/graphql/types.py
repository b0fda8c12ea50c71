"""GraphQL object types. Resolvers are thin: they translate to catalog queries and nothing else.

Ids are opaque strings (``Session:<uuid>``, ``Asset:<uuid>``) so clients never build them; seeds are
strings because ComfyUI seeds exceed GraphQL's 32-bit ``Int``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.types import Info

from api.context import LORA_ITEM_CHARS, MAX_RESPONSE_TEXT_CHARS, SESSION_THUMBNAILS_MAX, RequestContext
from api.graphql.api_tokens import ApiTokenConnection, viewer_api_tokens
from api.graphql.correction_history import (
    Calibration,
    CorrectionConnection,
    viewer_calibration,
    viewer_corrections,
)
from api.graphql.credits import (
    CreditBalance,
    CreditLedgerConnection,
    viewer_credit_ledger,
    viewer_credits,
)
from api.graphql.lineage import (
    ANCESTOR_DEPTH_MAX,
    CHILDREN_MAX,
    CROSS_SESSION_DESCRIPTION,
    EXPLICIT_DESCRIPTION,
    LINEAGE_NODES_MAX,
    LineageEdge,
    LineageGraph,
    check_ancestor_depth,
    check_children_count,
    check_lineage_page_size,
    lineage_edge,
)
from api.graphql.node_interface import Node
from api.graphql.pagination import (
    PAGE_SIZE_MAX,
    CursorReader,
    InvalidArgument,
    PageInfo,
    check_page_size,
    encode_cursor,
    encode_id,
)
from api.graphql.permissions import CREDITS_READ, LIBRARY_READ, check_scope, requires_scope, scope_directives
from api.graphql.reflections import (
    Reflection,
    ReflectionConnection,
    ReflectionEligibility,
    eligibility_of,
    viewer_reflections,
)
from api.graphql.selection import selects
from catalog.assets.asset_views import AssetView
from catalog.models import Asset as AssetModel
from catalog.models import Phase as PhaseModel
from catalog.models import Session as SessionModel
from catalog.sessions import lineage_queries, queries
from catalog.sessions.lineage_queries import ParentEdge
from catalog.sessions.session_views import PhaseView, SessionView
from engine.short_text import cut_text

if TYPE_CHECKING:  # these modules build on the types here; the schema resolves them lazily
    from api.graphql.gallery import AssetFilter, GalleryConnection
    from api.graphql.lanes import LaneConnection
    from api.graphql.session_cards import SessionGroup, SessionPeriod

if TYPE_CHECKING:
    from api.graphql.search import SearchResults, SimilarSessions

_FIRST = f"Page size, 1–{PAGE_SIZE_MAX}"
_AFTER = "The endCursor of the previous page, unchanged; omit for the first page"

AssetRow = AssetModel | AssetView
"""What backs a GraphQL ``Asset``: an ORM row, or the plain tuple the pages of images read."""
SessionRow = SessionModel | SessionView
"""What backs a GraphQL ``Session``: an ORM row, or the plain tuple a page reads (same attribute names)."""
PhaseRow = PhaseModel | PhaseView
"""What backs a GraphQL ``Phase``: likewise."""


@strawberry.type(description="A session card's thumbnail")
class Thumbnail:
    asset_id: strawberry.ID = strawberry.field(description="Opaque id of the image it shows")
    url: str = strawberry.field(
        description="Signed path of the WebP thumbnail on this server (an <img> can load it; valid ≥ 5 hours)"
    )


@strawberry.type(description="A LoRA applied to a generation")
class Lora:
    name: str = strawberry.field(description="The LoRA's name or file name, as the tool recorded it")
    weight: float | None = strawberry.field(description="Its strength; null when the tool recorded none")


@strawberry.type(description="An image's most likely parent and how it was derived")
class LineageLink:
    parent_id: strawberry.ID = strawberry.field(
        description=(
            "Opaque id of the parent image: in the same session, or in another one when crossSession "
            "(a parent the file names explicitly)"
        )
    )
    kind: str = strawberry.field(
        description="upscale, img2img, inpaint, variation, remix, reroll, prompt_edit or param_sweep"
    )
    confidence: float = strawberry.field(
        description=(
            "0–1: ≥ 0.9 when the files say so explicitly, below when inferred from prompts and parameters"
        )
    )
    cross_session: bool = strawberry.field(description=CROSS_SESSION_DESCRIPTION)
    explicit: bool = strawberry.field(description=EXPLICIT_DESCRIPTION)


PROMPT_PREVIEW_CHARS = 300
"""Longest ``Asset.promptPreview``: a few lines of a card or a search hit."""


@strawberry.type(description="One generated image and the generation parameters read from its file")
class Asset(Node):
    row: strawberry.Private[AssetRow]
    id: strawberry.ID = strawberry.field(description="Opaque id (`Asset:<uuid>`)")
    tool: str = strawberry.field(
        description=(
            "The generator that made it (comfyui, a1111, invokeai, …); unknown when none is recognised"
        )
    )
    file_name: str | None = strawberry.field(description="The file's name when imported; null when unknown")
    created_at: datetime | None = strawberry.field(
        description="When it was generated (UTC); null when no time could be read (it is then in no session)"
    )
    created_at_source: str | None = strawberry.field(
        description=(
            "Where the time came from: metadata:<field>, export:<tool>, exif:…, filename, folder, "
            "file:mtime (a day placed by the mtime: <source>+file:mtime)"
        )
    )
    created_at_precision: str | None = strawberry.field(description="day, minute, second or millisecond")

    @strawberry.field(
        description=(
            "The positive prompt; null when the file has none. A response carries at most "
            f"{MAX_RESPONSE_TEXT_CHARS:,} characters of prompts and LoRAs (past them: RESPONSE_TOO_LARGE)"
        )
    )
    def prompt(self, info: Info[RequestContext, None]) -> str | None:
        return info.context.charged_text(self.row.prompt)

    @strawberry.field(description="The negative prompt; null when none (counted with the prompts)")
    def negative_prompt(self, info: Info[RequestContext, None]) -> str | None:
        return info.context.charged_text(self.row.negative_prompt)

    seed: str | None = strawberry.field(description="Decimal string: seeds can exceed 32-bit integers")
    cfg_scale: float | None = strawberry.field(
        description="Classifier-free guidance scale; null when unknown"
    )
    steps: int | None = strawberry.field(description="Sampling steps; null when unknown")
    sampler: str | None = strawberry.field(
        description="Sampler name as the tool spells it; null when unknown"
    )
    scheduler: str | None = strawberry.field(
        description="Scheduler name as the tool spells it; null when unknown"
    )
    model: str | None = strawberry.field(description="Checkpoint (model) name or file; null when unknown")

    @strawberry.field(
        description=(
            "LoRAs applied, in the file's order; empty when none (counted with the prompts: a file may "
            "name up to 1,000)"
        )
    )
    def loras(self, info: Info[RequestContext, None]) -> list[Lora]:
        items = self.row.loras or []
        info.context.charge_text(sum(len(item["name"]) + LORA_ITEM_CHARS for item in items))
        return [Lora(name=item["name"], weight=item.get("weight")) for item in items]

    width: int | None = strawberry.field(description="Generation width the tool recorded (pixels)")
    height: int | None = strawberry.field(description="Generation height the tool recorded (pixels)")
    denoise: float | None = strawberry.field(
        description="Denoising strength 0–1 as the tool recorded it; null when unknown"
    )
    thumbnail_error: str | None = strawberry.field(
        description=(
            "Why no thumbnail can be made from this image's file (its pixels cannot be decoded, or its "
            "declared size is refused); it is not tried again. Null when thumbnailUrl is set or a "
            "thumbnail may still be made"
        )
    )

    parent_preloaded: strawberry.Private[bool] = False
    """True when the page of images loaded every image's parent link at once (``preloaded_parent``)."""
    preloaded_parent: strawberry.Private[ParentEdge | None] = None
    """The parent link when ``parent_preloaded`` (``None``: no parent)."""

    @classmethod
    def from_row(cls, row: AssetRow) -> Asset:
        return cls(
            row=row,
            id=encode_id("Asset", row.id),
            tool=row.tool,
            file_name=row.file_name,
            created_at=row.created_at,
            created_at_source=row.created_at_source,
            created_at_precision=row.created_at_precision,
            seed=None if row.seed is None else str(int(row.seed)),
            cfg_scale=row.cfg_scale,
            steps=row.steps,
            sampler=row.sampler,
            scheduler=row.scheduler,
            model=row.model,
            width=row.width,
            height=row.height,
            denoise=row.denoise,
            thumbnail_error=row.thumbnail_error,
        )

    @strawberry.field(
        description=(
            f"The positive prompt cut to at most {PROMPT_PREVIEW_CHARS} characters at a word boundary "
            "(ending in …), for lists and search results: a file's prompt can be megabytes; null when none"
        )
    )
    def prompt_preview(self) -> str | None:
        return None if self.row.prompt is None else cut_text(self.row.prompt, PROMPT_PREVIEW_CHARS)

    @strawberry.field(
        description=(
            "Signed path of the WebP thumbnail on this server (an <img> can load it; valid ≥ 5 hours); "
            "null when none was made; scope `library:read`"
        ),
        directives=scope_directives(LIBRARY_READ),
    )
    def thumbnail_url(self, info: Info[RequestContext, None]) -> str | None:
        # the check `requires_scope` would make, inline: once per image of a page, its extension cost
        check_scope(info, LIBRARY_READ)
        if self.row.thumbnail_sha256 is None:
            return None
        return info.context.thumbnail_signer.url(self.row.user_id, self.row.thumbnail_sha256)

    @strawberry.field(
        description=(
            "The most likely parent, if any: inside the session, or in another session when the file "
            "names it (crossSession)"
        )
    )
    def parent(self, info: Info[RequestContext, None]) -> LineageLink | None:
        if self.parent_preloaded:  # resolved synchronously: no await per image
            return _lineage_link(self.preloaded_parent)
        # graphql-core awaits an awaitable that a plain resolver returns, like an async resolver's
        return cast(LineageLink | None, self._load_parent(info))

    async def _load_parent(self, info: Info[RequestContext, None]) -> LineageLink | None:
        (edge,) = await info.context.parent_edges.load((self.row.id,))
        return _lineage_link(edge)

    @strawberry.field(
        description=(
            f"Edges to the images made from this one, in stream order (at most {CHILDREN_MAX}); children "
            "in other sessions included (crossSession); scope `library:read`"
        ),
        extensions=requires_scope(LIBRARY_READ),
    )
    async def children(
        self,
        info: Info[RequestContext, None],
        first: Annotated[int, strawberry.argument(description=f"How many, 1–{CHILDREN_MAX}")] = 50,
    ) -> list[LineageEdge]:
        links = await info.context.asset_children.load((self.row.id, check_children_count(first)))
        return [lineage_edge(link, Asset.from_row) for link in links]

    @strawberry.field(
        description=(
            "The chain of edges up from this image: its parent's edge first, then the grandparent's, up to "
            "`depth` edges; ends early at an image without a parent or one already on the chain (files "
            "naming each other); scope `library:read`"
        ),
        extensions=requires_scope(LIBRARY_READ),
    )
    async def ancestors(
        self,
        info: Info[RequestContext, None],
        depth: Annotated[
            int, strawberry.argument(description=f"How many edges up at most, 1–{ANCESTOR_DEPTH_MAX}")
        ] = 10,
    ) -> list[LineageEdge]:
        links = await info.context.asset_ancestors.load((self.row.id, check_ancestor_depth(depth)))
        return [lineage_edge(link, Asset.from_row) for link in links]


@strawberry.type(description="One image with its cursor")
class AssetEdge:
    node: Asset = strawberry.field(description="The image")
    cursor: str = strawberry.field(description="Opaque cursor of this image, for `after`")


@strawberry.type(
    description="A page of a session's images in stream order (generation time, then file order)"
)
class AssetConnection:
    edges: list[AssetEdge] = strawberry.field(description="The images of this page, in stream order")
    page_info: PageInfo = strawberry.field(description="Whether more images follow, and from where")


@strawberry.type(description="A run of consecutive images inside a session with one kind of work")
class Phase(Node):
    id: strawberry.ID = strawberry.field(description="Opaque id (`Phase:<uuid>`)")
    intent: str = strawberry.field(
        description="exploration, refinement, optimization or convergent_selection"
    )
    label: str = strawberry.field(description="Short automatic name for the phase")
    started_at: datetime = strawberry.field(description="Generation time of its first image (UTC)")
    ended_at: datetime = strawberry.field(description="Generation time of its last image (UTC)")
    asset_count: int = strawberry.field(description="Images in the phase")

    @classmethod
    def from_row(cls, row: PhaseRow) -> Phase:
        return cls(
            id=encode_id("Phase", row.id),
            intent=row.intent,
            label=row.label,
            started_at=row.started_at,
            ended_at=row.ended_at,
            asset_count=row.asset_count,
        )


@strawberry.type(description="A creative session: a run of an artist's generations that belong together")
class Session(Node):
    row: strawberry.Private[SessionRow]
    id: strawberry.ID = strawberry.field(description="Opaque id (`Session:<uuid>`)")
    label: str = strawberry.field(description="Short name: automatic, or the artist's when labelPinned")
    label_pinned: bool = strawberry.field(
        description="True when the artist set the label; re-clustering never changes it"
    )
    intent: str = strawberry.field(
        description="exploration, refinement, optimization or convergent_selection"
    )
    confidence: float = strawberry.field(
        description="Confidence (0–1) that the boundary opening this session is real"
    )
    started_at: datetime = strawberry.field(description="Generation time of its first image (UTC)")
    ended_at: datetime = strawberry.field(description="Generation time of its last image (UTC)")
    asset_count: int = strawberry.field(description="Images in the session")
    tool: str = strawberry.field(description="The generator used most in the session (ties: the first seen)")

    preloaded_thumbnails: strawberry.Private[list[queries.ThumbnailRef] | None] = None
    """The card's thumbnails, when the page of sessions loaded them for all its cards at once."""
    preloaded_phases: strawberry.Private[list[PhaseRow] | None] = None
    """The phases, when the page of sessions loaded them for all its sessions at once."""

    @classmethod
    def from_row(
        cls,
        row: SessionRow,
        thumbnails: list[queries.ThumbnailRef] | None = None,
        phases: list[PhaseRow] | None = None,
    ) -> Session:
        """``thumbnails``/``phases``: loaded by the page for all its sessions (else loaded when asked)."""
        return cls(
            preloaded_thumbnails=thumbnails,
            preloaded_phases=phases,
            row=row,
            id=encode_id("Session", row.id),
            label=row.label,
            label_pinned=row.label_pinned,
            intent=row.intent,
            confidence=row.confidence,
            started_at=row.started_at,
            ended_at=row.ended_at,
            asset_count=row.asset_count,
            tool=row.tool,
        )

    @strawberry.field(
        description=(
            f"Up to {SESSION_THUMBNAILS_MAX} thumbnails in stream order (signed URLs); scope `library:read`"
        ),
        directives=scope_directives(LIBRARY_READ),
    )
    def thumbnails(
        self,
        info: Info[RequestContext, None],
        first: Annotated[
            int, strawberry.argument(description=f"How many, 1–{SESSION_THUMBNAILS_MAX}")
        ] = SESSION_THUMBNAILS_MAX,
    ) -> list[Thumbnail]:
        check_scope(info, LIBRARY_READ)  # once per card: `requires_scope`'s check without its extension
        if not 1 <= first <= SESSION_THUMBNAILS_MAX:
            raise InvalidArgument(f"`first` must be between 1 and {SESSION_THUMBNAILS_MAX}, got {first}")
        if self.preloaded_thumbnails is not None:  # resolved synchronously: no await per card
            return _thumbnails(info, self.preloaded_thumbnails, first)
        # graphql-core awaits an awaitable that a plain resolver returns, like an async resolver's
        return cast(list[Thumbnail], self._load_thumbnails(info, first))

    async def _load_thumbnails(self, info: Info[RequestContext, None], first: int) -> list[Thumbnail]:
        (refs,) = await info.context.session_thumbnails.load((self.row.id,))
        return _thumbnails(info, refs, first)

    @strawberry.field(description="Whether the session is large enough for an AI reflection")
    def reflection_eligibility(self, info: Info[RequestContext, None]) -> ReflectionEligibility:
        return eligibility_of(self.row.asset_count, info.context.settings.reflection_min_assets)

    @strawberry.field(description="The session's latest reflection (any state)")
    async def reflection(self, info: Info[RequestContext, None]) -> Reflection | None:
        row = await info.context.session_reflections.load(self.row.id)
        return None if row is None else Reflection.from_row(row)

    @strawberry.field(
        description="The latest delivered reflection's summary, for session cards; null when none"
    )
    async def summary(self, info: Info[RequestContext, None]) -> str | None:
        return await info.context.session_summaries.load(self.row.id)

    @strawberry.field(description="The session's phases in time order")
    def phases(self, info: Info[RequestContext, None]) -> list[Phase]:
        if self.preloaded_phases is not None:  # resolved synchronously: no await per session
            return [Phase.from_row(phase) for phase in self.preloaded_phases]
        return cast(list[Phase], self._load_phases(info))

    async def _load_phases(self, info: Info[RequestContext, None]) -> list[Phase]:
        (rows,) = await info.context.session_phases.load((self.row.id,))
        return [Phase.from_row(phase) for phase in rows]

    @strawberry.field(description="The session's images in stream order (generation time, then file order)")
    async def assets(
        self,
        info: Info[RequestContext, None],
        first: Annotated[int, strawberry.argument(description=_FIRST)] = 50,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
    ) -> AssetConnection:
        limit = check_page_size(first)
        key = None if after is None else _asset_key_of(after)
        if key is None:
            rows = await info.context.session_first_assets.load((self.row.id, limit + 1))
        else:
            async with info.context.session_factory() as db:
                rows = await queries.asset_page(db, info.context.user_id, self.row.id, limit=limit, after=key)
        edges = [
            AssetEdge(node=Asset.from_row(row), cursor=_asset_cursor(queries.asset_key(row)))
            for row in rows[:limit]
        ]
        await _preload_parents(info, [edge.node for edge in edges])
        return AssetConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None
            ),
        )

    @strawberry.field(
        description=(
            f"A page of the session's lineage graph (images in stream order, 1–{LINEAGE_NODES_MAX} a page) "
            "with the edges into them and out of the session; scope `library:read`"
        ),
        extensions=requires_scope(LIBRARY_READ),
    )
    async def lineage(
        self,
        info: Info[RequestContext, None],
        first: Annotated[
            int, strawberry.argument(description=f"Images per page, 1–{LINEAGE_NODES_MAX}")
        ] = LINEAGE_NODES_MAX,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
    ) -> LineageGraph:
        limit = check_lineage_page_size(first)
        if after is None:
            page = await info.context.session_lineage_pages.load((self.row.id, limit))
        else:
            async with info.context.session_factory() as db:
                page = await lineage_queries.session_lineage_page(
                    db, info.context.user_id, self.row.id, limit=limit, after=_asset_key_of(after)
                )
        nodes = [Asset.from_row(row) for row in page.nodes[:limit]]
        end = page.nodes[: len(nodes)][-1] if nodes else None
        return LineageGraph(
            nodes=nodes,
            edges=[lineage_edge(link, Asset.from_row) for link in page.links],
            page_info=PageInfo(
                has_next_page=len(page.nodes) > limit,
                end_cursor=None if end is None else _asset_cursor(queries.asset_key(end)),
            ),
        )

    @strawberry.field(
        description=(
            "The viewer's other sessions most like this one (by prompt embeddings; by words before "
            "embeddings exist), best first; scope `library:read`"
        ),
        extensions=requires_scope(LIBRARY_READ),
    )
    async def similar_sessions(
        self,
        info: Info[RequestContext, None],
        first: Annotated[int, strawberry.argument(description=f"How many, 1–{PAGE_SIZE_MAX}")] = 5,
    ) -> Annotated[SimilarSessions, strawberry.lazy("api.graphql.search")]:
        from api.graphql.search import session_similar_sessions

        return await session_similar_sessions(info, self.row, first)


def _lineage_link(edge: ParentEdge | None) -> LineageLink | None:
    if edge is None:
        return None
    return LineageLink(
        parent_id=encode_id("Asset", edge.parent_id),
        kind=edge.kind,
        confidence=edge.confidence,
        cross_session=edge.cross_session,
        explicit=edge.explicit,
    )


def _thumbnails(
    info: Info[RequestContext, None], assets: list[queries.ThumbnailRef], first: int
) -> list[Thumbnail]:
    shown = assets[:first]
    urls = info.context.thumbnail_signer.urls((asset.user_id, asset.thumbnail_sha256) for asset in shown)
    return [
        Thumbnail(asset_id=encode_id("Asset", asset.id), url=url)
        for asset, url in zip(shown, urls, strict=True)
    ]


async def _card_parts(
    info: Info[RequestContext, None], rows: Sequence[SessionRow]
) -> tuple[dict[uuid.UUID, list[queries.ThumbnailRef]] | None, dict[uuid.UUID, list[PhaseRow]] | None]:
    """The thumbnails and phases of a page of sessions, each loaded (one batch, concurrently) only when
    the page selects it, so every session of the page resolves them synchronously."""
    ids = tuple(row.id for row in rows)
    want_thumbnails = bool(ids) and selects(info, ("edges", "node", "thumbnails"))
    want_phases = bool(ids) and selects(info, ("edges", "node", "phases"))
    thumbnails, phases = await asyncio.gather(
        info.context.session_thumbnails.load(ids) if want_thumbnails else _nothing(),
        info.context.session_phases.load(ids) if want_phases else _nothing(),
    )
    return (
        None if thumbnails is None else dict(zip(ids, thumbnails, strict=True)),
        None if phases is None else dict(zip(ids, phases, strict=True)),
    )


async def _preload_parents(info: Info[RequestContext, None], assets: list[Asset]) -> None:
    """Every image's parent link of a page in one batch (the loader's), only when the page selects
    ``parent``: each image then resolves it synchronously instead of awaiting the loader."""
    if not assets or not selects(info, ("edges", "node", "parent")):
        return
    edges = await info.context.parent_edges.load(tuple(asset.row.id for asset in assets))
    for asset, edge in zip(assets, edges, strict=True):
        asset.parent_preloaded, asset.preloaded_parent = True, edge


async def _nothing() -> None:
    return None


_ASSET_CURSOR = "asset"
_SESSION_CURSOR = "session"


def _asset_cursor(key: queries.AssetKey) -> str:
    return encode_cursor(_ASSET_CURSOR, key.created_at, key.file_counter, key.file_name, key.id)


def _asset_key_of(cursor: str) -> queries.AssetKey:
    reader = CursorReader(cursor, _ASSET_CURSOR)
    created_at, counter, name, asset_id = (
        reader.read_datetime(),
        reader.read_int64(),
        reader.read_text(),
        reader.read_uuid(),
    )
    reader.finish()
    return queries.AssetKey(created_at, counter, name, asset_id)


def _session_key_of(cursor: str) -> queries.SessionKey:
    reader = CursorReader(cursor, _SESSION_CURSOR)
    started_at, session_id = reader.read_datetime(), reader.read_uuid()
    reader.finish()
    return queries.SessionKey(started_at, session_id)


@strawberry.type(description="One session with its cursor")
class SessionEdge:
    node: Session = strawberry.field(description="The session")
    cursor: str = strawberry.field(description="Opaque cursor of this session, for `after`")


@strawberry.type(description="A page of the viewer's sessions, newest first")
class SessionConnection:
    edges: list[SessionEdge] = strawberry.field(description="The sessions of this page, newest first")
    page_info: PageInfo = strawberry.field(description="Whether more (older) sessions follow, and from where")
    user_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="All of the viewer's sessions, not only this page's")
    async def total_count(self, info: Info[RequestContext, None]) -> int:
        # counted only when asked for: a count reads every session of the viewer
        async with info.context.session_factory() as db:
            return await queries.session_count(db, self.user_id)


@strawberry.type(description="The artist the API token belongs to")
class Viewer(Node):
    id: strawberry.ID = strawberry.field(description="Opaque id (`User:<uuid>`)")
    handle: str = strawberry.field(description="The artist's unique handle")
    timezone: str = strawberry.field(
        description=(
            "IANA zone (e.g. Europe/Paris) used for tool times recorded without a zone and for the days of "
            "sessionGroups; set it with updateViewer"
        )
    )

    @strawberry.field(
        description="The artist's sessions, newest first; scope `library:read`",
        extensions=requires_scope(LIBRARY_READ),
    )
    async def sessions(
        self,
        info: Info[RequestContext, None],
        first: Annotated[int, strawberry.argument(description=_FIRST)] = 20,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
    ) -> SessionConnection:
        limit = check_page_size(first)
        key = None if after is None else _session_key_of(after)
        user_id = info.context.user_id
        async with info.context.session_factory() as db:
            rows = await queries.session_page(db, user_id, limit=limit, after=key)
        thumbnails, phases = await _card_parts(info, rows[:limit])
        edges = [
            SessionEdge(
                node=Session.from_row(
                    row,
                    thumbnails=None if thumbnails is None else thumbnails[row.id],
                    phases=None if phases is None else phases[row.id],
                ),
                cursor=encode_cursor(_SESSION_CURSOR, row.started_at, row.id),
            )
            for row in rows[:limit]
        ]
        return SessionConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None
            ),
            user_id=user_id,
        )

    @strawberry.field(
        description="The viewer's credits; scope `credits:read`",
        extensions=requires_scope(CREDITS_READ),
    )
    async def credits(self, info: Info[RequestContext, None]) -> CreditBalance:
        return await viewer_credits(info)

    @strawberry.field(
        description="The viewer's credit ledger, newest first; scope `credits:read`",
        extensions=requires_scope(CREDITS_READ),
    )
    async def credit_ledger(
        self,
        info: Info[RequestContext, None],
        first: Annotated[int, strawberry.argument(description=_FIRST)] = 20,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
    ) -> CreditLedgerConnection:
        return await viewer_credit_ledger(info, first, after)

    @strawberry.field(
        description=(
            "The viewer's API tokens, newest first (revoked and expired ones too); never their secrets; "
            "scope `library:read`"
        ),
        extensions=requires_scope(LIBRARY_READ),
    )
    async def api_tokens(
        self,
        info: Info[RequestContext, None],
        first: Annotated[int, strawberry.argument(description=_FIRST)] = 20,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
    ) -> ApiTokenConnection:
        return await viewer_api_tokens(info, first, after)

    @strawberry.field(
        description="The viewer's reflections, newest first (any state); scope `library:read`",
        extensions=requires_scope(LIBRARY_READ),
    )
    async def reflections(
        self,
        info: Info[RequestContext, None],
        first: Annotated[int, strawberry.argument(description=_FIRST)] = 20,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
    ) -> ReflectionConnection:
        return await viewer_reflections(info, first, after)

    @strawberry.field(
        description=(
            "The viewer's corrections (merges, splits, moves, relabels), newest first, undone ones too; "
            "scope `library:read`"
        ),
        extensions=requires_scope(LIBRARY_READ),
    )
    async def corrections(
        self,
        info: Info[RequestContext, None],
        first: Annotated[int, strawberry.argument(description=_FIRST)] = 20,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
    ) -> CorrectionConnection:
        return await viewer_corrections(info, first, after)

    @strawberry.field(
        description="What the session engine learned from the viewer's corrections; scope `library:read`",
        extensions=requires_scope(LIBRARY_READ),
    )
    async def calibration(self, info: Info[RequestContext, None]) -> Calibration:
        return await viewer_calibration(info)

    @strawberry.field(
        description=(
            "Session cards grouped by when their latest activity (endedAt) was, in the viewer's time zone: "
            "TODAY (since today's midnight), THIS_WEEK (since Monday's midnight of the current ISO week, "
            "before today; empty on Mondays), EARLIER. Every group asked for is returned, empty ones too. "
            "Scope `library:read`"
        ),
        extensions=requires_scope(LIBRARY_READ),
    )
    def session_groups(
        self,
        info: Info[RequestContext, None],
        periods: Annotated[
            list[Annotated[SessionPeriod, strawberry.lazy("api.graphql.session_cards")]] | None,
            strawberry.argument(
                description="Which groups, in this order, each at most once; null: TODAY, THIS_WEEK, EARLIER"
            ),
        ] = None,
    ) -> list[Annotated[SessionGroup, strawberry.lazy("api.graphql.session_cards")]]:
        from api.graphql.session_cards import session_groups

        return session_groups(info, self.timezone, periods)

    @strawberry.field(
        description=(
            "Lanes: the viewer's sessions newest first (startedAt), each with a first page of its images; "
            "one SQL statement per page whatever its size. Scope `library:read`"
        ),
        extensions=requires_scope(LIBRARY_READ),
    )
    async def lanes(
        self,
        info: Info[RequestContext, None],
        first: Annotated[int, strawberry.argument(description="How many lanes (sessions), 1–100")] = 10,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
        assets_per_lane: Annotated[
            int, strawberry.argument(description="How many images in each lane's first page, 1–100")
        ] = 10,
    ) -> Annotated[LaneConnection, strawberry.lazy("api.graphql.lanes")]:
        from api.graphql.lanes import viewer_lanes

        return await viewer_lanes(info, first, after, assets_per_lane)

    @strawberry.field(
        description=(
            "The gallery: every image of the viewer, by generation time newest first, then the images "
            "without a generation time (never in a session), newest import first. Scope `library:read`"
        ),
        extensions=requires_scope(LIBRARY_READ),
    )
    async def assets(
        self,
        info: Info[RequestContext, None],
        first: Annotated[int, strawberry.argument(description=_FIRST)] = 50,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
        filter: Annotated[
            Annotated[AssetFilter, strawberry.lazy("api.graphql.gallery")] | None,
            strawberry.argument(description="Which images; null: all"),
        ] = None,
    ) -> Annotated[GalleryConnection, strawberry.lazy("api.graphql.gallery")]:
        from api.graphql.gallery import viewer_assets

        return await viewer_assets(info, first, after, filter)

    @strawberry.field(
        description=(
            "The viewer's sessions and images ranked by how well their prompts match `text` (by meaning "
            "through prompt embeddings; by words while embeddings are unavailable, as `mode` says); "
            "scope `library:read`"
        ),
        extensions=requires_scope(LIBRARY_READ),
    )
    async def search(
        self,
        info: Info[RequestContext, None],
        text: Annotated[
            str, strawberry.argument(description="What to look for, in words (1–500 characters)")
        ],
        first: Annotated[
            int, strawberry.argument(description=f"How many sessions and how many images, 1–{PAGE_SIZE_MAX}")
        ] = 20,
    ) -> Annotated[SearchResults, strawberry.lazy("api.graphql.search")]:
        from api.graphql.search import viewer_search

        return await viewer_search(info, text, first)
