"""GraphQL object types. Resolvers are thin: they translate to catalog queries and nothing else.

Ids are opaque strings (``Session:<uuid>``, ``Asset:<uuid>``) so clients never build them; seeds are
strings because ComfyUI seeds exceed GraphQL's 32-bit ``Int``.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from api.context import SESSION_THUMBNAILS_MAX, RequestContext
from api.graphql.permissions import HasScope
from catalog.models import Asset as AssetRow
from catalog.models import Phase as PhaseRow
from catalog.models import Session as SessionRow
from catalog.sessions import queries

PAGE_SIZE_MAX = 100


class InvalidArgument(ValueError):
    """A client mistake (bad cursor, page size out of range); shown to the client as is."""


def encode_id(kind: str, value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(f"{kind}:{value}")


def decode_id(kind: str, value: str) -> uuid.UUID | None:
    prefix, _, raw = value.partition(":")
    if prefix != kind:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def check_page_size(first: int) -> int:
    if not 1 <= first <= PAGE_SIZE_MAX:
        raise InvalidArgument(f"`first` must be between 1 and {PAGE_SIZE_MAX}, got {first}")
    return first


def encode_cursor(*parts: object) -> str:
    text = "|".join(part.isoformat() if isinstance(part, datetime) else str(part) for part in parts)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidArgument("malformed cursor; pass an endCursor you received") from error
    if len(parts) != arity:
        raise InvalidArgument("malformed cursor; pass an endCursor you received")
    return parts


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Thumbnail:
    asset_id: strawberry.ID
    url: str


@strawberry.type
class Lora:
    name: str
    weight: float | None


@strawberry.type
class LineageLink:
    parent_id: strawberry.ID
    kind: str
    confidence: float


@strawberry.type
class Asset:
    row: strawberry.Private[AssetRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return encode_id("Asset", self.row.id)

    @strawberry.field
    def tool(self) -> str:
        return self.row.tool

    @strawberry.field
    def file_name(self) -> str | None:
        return self.row.file_name

    @strawberry.field
    def created_at(self) -> datetime | None:
        return self.row.created_at

    @strawberry.field(description="Where the time came from: metadata:<field>, file:mtime, filename, …")
    def created_at_source(self) -> str | None:
        return self.row.created_at_source

    @strawberry.field(description="day, minute, second or millisecond")
    def created_at_precision(self) -> str | None:
        return self.row.created_at_precision

    @strawberry.field
    def prompt(self) -> str | None:
        return self.row.prompt

    @strawberry.field
    def negative_prompt(self) -> str | None:
        return self.row.negative_prompt

    @strawberry.field(description="Decimal string: seeds can exceed 32-bit integers")
    def seed(self) -> str | None:
        return None if self.row.seed is None else str(int(self.row.seed))

    @strawberry.field
    def cfg_scale(self) -> float | None:
        return self.row.cfg_scale

    @strawberry.field
    def steps(self) -> int | None:
        return self.row.steps

    @strawberry.field
    def sampler(self) -> str | None:
        return self.row.sampler

    @strawberry.field
    def scheduler(self) -> str | None:
        return self.row.scheduler

    @strawberry.field
    def model(self) -> str | None:
        return self.row.model

    @strawberry.field
    def loras(self) -> list[Lora]:
        return [Lora(name=item["name"], weight=item.get("weight")) for item in self.row.loras or []]

    @strawberry.field
    def width(self) -> int | None:
        return self.row.width

    @strawberry.field
    def height(self) -> int | None:
        return self.row.height

    @strawberry.field
    def denoise(self) -> float | None:
        return self.row.denoise

    @strawberry.field
    def thumbnail_url(self, info: Info[RequestContext, None]) -> str | None:
        if self.row.thumbnail_sha256 is None:
            return None
        return info.context.thumbnail_signer.url(self.row.user_id, self.row.thumbnail_sha256)

    @strawberry.field(description="The most likely parent inside the session, if any")
    async def parent(self, info: Info[RequestContext, None]) -> LineageLink | None:
        edge = await info.context.asset_parents.load(self.row.id)
        if edge is None:
            return None
        return LineageLink(
            parent_id=encode_id("Asset", edge.parent_asset_id), kind=edge.kind, confidence=edge.confidence
        )


@strawberry.type
class AssetEdge:
    node: Asset
    cursor: str


@strawberry.type
class AssetConnection:
    edges: list[AssetEdge]
    page_info: PageInfo


@strawberry.type
class Phase:
    row: strawberry.Private[PhaseRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return encode_id("Phase", self.row.id)

    @strawberry.field
    def intent(self) -> str:
        return self.row.intent

    @strawberry.field
    def label(self) -> str:
        return self.row.label

    @strawberry.field
    def started_at(self) -> datetime:
        return self.row.started_at

    @strawberry.field
    def ended_at(self) -> datetime:
        return self.row.ended_at

    @strawberry.field
    def asset_count(self) -> int:
        return self.row.asset_count


@strawberry.type
class Session:
    row: strawberry.Private[SessionRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return encode_id("Session", self.row.id)

    @strawberry.field
    def label(self) -> str:
        return self.row.label

    @strawberry.field(description="True when the artist set the label; re-clustering never changes it")
    def label_pinned(self) -> bool:
        return self.row.label_pinned

    @strawberry.field(description="exploration, refinement, optimization or convergent_selection")
    def intent(self) -> str:
        return self.row.intent

    @strawberry.field(description="Confidence (0–1) that the boundary opening this session is real")
    def confidence(self) -> float:
        return self.row.confidence

    @strawberry.field
    def started_at(self) -> datetime:
        return self.row.started_at

    @strawberry.field
    def ended_at(self) -> datetime:
        return self.row.ended_at

    @strawberry.field
    def asset_count(self) -> int:
        return self.row.asset_count

    @strawberry.field
    def tool(self) -> str:
        return self.row.tool

    @strawberry.field(description=f"Up to {SESSION_THUMBNAILS_MAX} thumbnails in stream order")
    async def thumbnails(
        self,
        info: Info[RequestContext, None],
        first: Annotated[int, strawberry.argument()] = SESSION_THUMBNAILS_MAX,
    ) -> list[Thumbnail]:
        if not 1 <= first <= SESSION_THUMBNAILS_MAX:
            raise InvalidArgument(f"`first` must be between 1 and {SESSION_THUMBNAILS_MAX}, got {first}")
        assets = await info.context.session_thumbnails.load(self.row.id)
        signer = info.context.thumbnail_signer
        return [
            Thumbnail(
                asset_id=encode_id("Asset", asset.id),
                url=signer.url(asset.user_id, asset.thumbnail_sha256 or ""),
            )
            for asset in assets[:first]
        ]

    @strawberry.field
    async def phases(self, info: Info[RequestContext, None]) -> list[Phase]:
        return [Phase(row=phase) for phase in await info.context.session_phases.load(self.row.id)]

    @strawberry.field
    async def assets(
        self, info: Info[RequestContext, None], first: int = 50, after: str | None = None
    ) -> AssetConnection:
        limit = check_page_size(first)
        key = None
        if after is not None:
            created_at, counter, name, asset_id = decode_cursor(after, 4)
            try:
                key = queries.AssetKey(
                    datetime.fromisoformat(created_at), int(counter), name, uuid.UUID(asset_id)
                )
            except ValueError as error:
                raise InvalidArgument("malformed cursor; pass an endCursor you received") from error
        if key is None:
            rows = await info.context.session_first_assets.load((self.row.id, limit + 1))
        else:
            async with info.context.session_factory() as db:
                rows = await queries.asset_page(db, info.context.user_id, self.row.id, limit=limit, after=key)
        edges = [
            AssetEdge(node=Asset(row=row), cursor=encode_cursor(*_asset_key_parts(queries.asset_key(row))))
            for row in rows[:limit]
        ]
        return AssetConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None
            ),
        )


def _asset_key_parts(key: queries.AssetKey) -> tuple[object, ...]:
    return (key.created_at, key.file_counter, key.file_name, key.id)


@strawberry.type
class SessionEdge:
    node: Session
    cursor: str


@strawberry.type
class SessionConnection:
    edges: list[SessionEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class Viewer:
    id: strawberry.ID
    handle: str
    timezone: str

    @strawberry.field(
        description="The artist's sessions, newest first",
        extensions=[PermissionExtension(permissions=[HasScope("library:read")])],
    )
    async def sessions(
        self, info: Info[RequestContext, None], first: int = 20, after: str | None = None
    ) -> SessionConnection:
        limit = check_page_size(first)
        key = None
        if after is not None:
            started_at, session_id = decode_cursor(after, 2)
            try:
                key = queries.SessionKey(datetime.fromisoformat(started_at), uuid.UUID(session_id))
            except ValueError as error:
                raise InvalidArgument("malformed cursor; pass an endCursor you received") from error
        user_id = info.context.user_id
        async with info.context.session_factory() as db:
            rows = await queries.session_page(db, user_id, limit=limit, after=key)
            total = await queries.session_count(db, user_id)
        edges = [
            SessionEdge(node=Session(row=row), cursor=encode_cursor(row.started_at, row.id))
            for row in rows[:limit]
        ]
        return SessionConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None
            ),
            total_count=total,
        )
