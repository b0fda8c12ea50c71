"""The gallery: ``viewer.assets(first, after, filter)``, every image of the viewer, newest first.

Order and filters are :mod:`catalog.assets.gallery`'s: dated images by generation time (newest first,
ties by file counter, name and id), then the images without a generation time (never in a session),
newest import first. One SQL statement per page whatever its size. Inputs are checked before any
query: ``from`` after ``to``, times without a zone or outside the years UTC holds, blank or over-long
text are ``BAD_USER_INPUT``.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.graphql.pagination import (
    INVALID_CURSOR,
    CursorReader,
    InvalidArgument,
    PageInfo,
    check_page_size,
    encode_cursor,
    utc_instant,
)
from api.graphql.types import Asset, AssetEdge
from catalog.assets.gallery import DatedKey, GalleryFilter, GalleryKey, UndatedKey, gallery_key, gallery_page

_GALLERY_CURSOR = "gallery"
_DATED, _UNDATED = 0, 1
TEXT_MAX_CHARS = 200
NAME_MAX_CHARS = 500
"""tool, model and LoRA names: longer than any a tool writes."""


@strawberry.input(description="Which images the gallery shows; every field optional, all combined (AND)")
class AssetFilter:
    tool: str | None = strawberry.field(
        default=None, description="Only this generator (exact id: comfyui, a1111, midjourney, …)"
    )
    model: str | None = strawberry.field(
        default=None, description="Only this checkpoint (exact name as the tool wrote it)"
    )
    lora: str | None = strawberry.field(
        default=None, description="Only images with a LoRA of exactly this name among their loras"
    )
    start: datetime | None = strawberry.field(
        default=None,
        name="from",
        description=(
            "Generated at or after this instant (with a zone); excludes images without a generation time"
        ),
    )
    end: datetime | None = strawberry.field(
        default=None,
        name="to",
        description="Generated before this instant (with a zone); excludes images without a generation time",
    )
    text: str | None = strawberry.field(
        default=None,
        description=(
            f"Prompt contains this text, ignoring case (1–{TEXT_MAX_CHARS} characters; % and _ are "
            "literal characters, not wildcards)"
        ),
    )
    in_session: bool | None = strawberry.field(
        default=None,
        description=(
            "true: only images in a session; false: only images in none (those without a generation time "
            "included); null: both"
        ),
    )


@strawberry.type(
    description=(
        "A page of the gallery: images by generation time, newest first, then those without a generation "
        "time, newest import first"
    )
)
class GalleryConnection:
    edges: list[AssetEdge] = strawberry.field(description="The images of this page, in gallery order")
    page_info: PageInfo = strawberry.field(description="Whether more images follow, and from where")


def _zoned(value: datetime | None, name: str) -> datetime | None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise InvalidArgument(f"`filter.{name}` must carry a time zone (e.g. 2026-03-01T00:00:00Z)")
    if value is not None and utc_instant(value) is None:
        raise InvalidArgument(
            f"`filter.{name}` ({value.isoformat()}) is outside the years 1–9999 once in UTC"
        )
    return value


def _name(value: str | None, name: str) -> str | None:
    if value is not None and not 1 <= len(value) <= NAME_MAX_CHARS:
        raise InvalidArgument(f"`filter.{name}` must be 1–{NAME_MAX_CHARS} characters, got {len(value)}")
    return value


def checked_filter(given: AssetFilter | None) -> GalleryFilter:
    """The catalog filter for ``given``, or :class:`InvalidArgument` saying what is wrong."""
    if given is None:
        return GalleryFilter()
    start, end = _zoned(given.start, "from"), _zoned(given.end, "to")
    if start is not None and end is not None and start > end:
        raise InvalidArgument(f"`filter.from` ({start.isoformat()}) is after `filter.to` ({end.isoformat()})")
    text = given.text
    if text is not None:
        if not text.strip():
            raise InvalidArgument("`filter.text` must not be blank; leave it out to match every prompt")
        if len(text) > TEXT_MAX_CHARS:
            raise InvalidArgument(
                f"`filter.text` must be at most {TEXT_MAX_CHARS} characters, got {len(text)}"
            )
    return GalleryFilter(
        tool=_name(given.tool, "tool"),
        model=_name(given.model, "model"),
        lora=_name(given.lora, "lora"),
        start=start,
        end=end,
        text=text,
        in_session=given.in_session,
    )


def _cursor(key: GalleryKey) -> str:
    if isinstance(key, UndatedKey):
        return encode_cursor(_GALLERY_CURSOR, _UNDATED, key.imported_at, key.id)
    return encode_cursor(_GALLERY_CURSOR, _DATED, key.created_at, key.file_counter, key.file_name, key.id)


def _key_of(cursor: str) -> GalleryKey:
    reader = CursorReader(cursor, _GALLERY_CURSOR)
    segment = reader.read_int64()
    key: GalleryKey
    if segment == _DATED:
        key = DatedKey(
            reader.read_datetime(),
            reader.read_optional_int64(),
            reader.read_optional_text(),
            reader.read_uuid(),
        )
    elif segment == _UNDATED:
        key = UndatedKey(reader.read_datetime(), reader.read_uuid())
    else:
        raise InvalidArgument(INVALID_CURSOR)
    reader.finish()
    return key


async def viewer_assets(
    info: Info[RequestContext, None], first: int, after: str | None, given: AssetFilter | None
) -> GalleryConnection:
    limit = check_page_size(first)
    wanted = checked_filter(given)
    key = None if after is None else _key_of(after)
    async with info.context.session_factory() as db:
        rows = await gallery_page(db, info.context.user_id, wanted, limit=limit, after=key)
    edges = [AssetEdge(node=Asset.from_row(row), cursor=_cursor(gallery_key(row))) for row in rows[:limit]]
    return GalleryConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None),
    )
