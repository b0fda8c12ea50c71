"""The gallery: all of a user's assets newest first, filtered, in keyset pages (one statement a page).

Order (total and stable):

1. **Dated** assets (``created_at`` set) first, newest generation first:
   ``created_at DESC, file_counter DESC, file_name DESC, id DESC`` with PostgreSQL's default
   ``NULLS FIRST`` for descending keys — exactly a backward scan of ``ix_assets_user_stream``
   (``user_id, created_at, file_counter, file_name, id``), so the first page and every later page read
   only the rows they return (plus ties on the cursor's time).
2. then **undated** assets (no usable generation time: kept and shown, never in a session), newest
   *import* first: ``imported_at DESC, id DESC`` (partial index ``ix_assets_user_undated``). They have no
   place on the generation timeline, so they never push real recent work down.

Keys: a dated asset's :class:`DatedKey` keeps ``file_counter``/``file_name`` as they are (``None``
included); in this order ``None`` counts as *above* every value (it sorts first when descending), and
the keyset predicate is spelled out column by column so NULLs compare correctly (a row comparison
would yield NULL). An :class:`UndatedKey` cursor skips the dated segment entirely. A page that crosses
from dated to undated is one ``UNION ALL`` of the two limited, index-ordered branches.

Filters (all optional, combined with AND): ``tool``/``model`` exact; ``lora`` a LoRA whose ``name`` is
exactly that in the JSONB ``loras`` array (``@>``); ``start``/``end`` generation time
``start <= created_at < end`` (so never an undated asset); ``text`` a case-insensitive substring of the
prompt, LIKE wildcards in it taken literally; ``in_session`` true: in a session; false: in none
(undated assets included). Every statement filters by ``user_id``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Text,
    and_,
    cast,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.assets.asset_views import ASSET_VIEW_COLUMNS, AssetView, asset_views
from catalog.models import Asset

_LIKE_ESCAPE = "\\"
_Branch = Select[uuid.UUID, int, Any, Any, Any]
"""A branch's columns: id, segment (0 dated, 1 undated), then the sort keys (time, counter, name)."""


@dataclass(frozen=True, slots=True)
class GalleryFilter:
    tool: str | None = None
    model: str | None = None
    lora: str | None = None
    start: datetime | None = None
    """Inclusive lower bound on the generation time."""
    end: datetime | None = None
    """Exclusive upper bound on the generation time."""
    text: str | None = None
    in_session: bool | None = None

    @property
    def needs_time(self) -> bool:
        """Only dated assets can match (a time bound, or membership of a session)."""
        return self.start is not None or self.end is not None or self.in_session is True


@dataclass(frozen=True, slots=True)
class DatedKey:
    created_at: datetime
    file_counter: int | None
    file_name: str | None
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class UndatedKey:
    imported_at: datetime
    id: uuid.UUID


GalleryKey = DatedKey | UndatedKey


def gallery_key(row: Asset | AssetView) -> GalleryKey:
    if row.created_at is None:
        return UndatedKey(row.imported_at, row.id)
    return DatedKey(row.created_at, row.file_counter, row.file_name, row.id)


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with ``\\``, ``%`` and ``_`` in it taken literally."""
    escaped = (
        text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", _LIKE_ESCAPE + "%")
        .replace("_", _LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def _filtered(user_id: uuid.UUID, wanted: GalleryFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Asset.user_id == user_id]
    if wanted.tool is not None:
        conditions.append(Asset.tool == wanted.tool)
    if wanted.model is not None:
        conditions.append(Asset.model == wanted.model)
    if wanted.lora is not None:
        conditions.append(Asset.loras.contains([{"name": wanted.lora}]))
    if wanted.start is not None:
        conditions.append(Asset.created_at >= wanted.start)
    if wanted.end is not None:
        conditions.append(Asset.created_at < wanted.end)
    if wanted.text is not None:
        conditions.append(Asset.prompt.ilike(like_pattern(wanted.text), escape=_LIKE_ESCAPE))
    if wanted.in_session is not None:
        conditions.append(Asset.session_id.is_not(None) if wanted.in_session else Asset.session_id.is_(None))
    return conditions


def _before(column: Any, value: Any) -> ColumnElement[bool]:
    """``column`` comes after ``value`` in descending NULLS FIRST order (NULL ranks above all)."""
    return column.is_not(None) if value is None else column < value


def _same(column: Any, value: Any) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def _after_dated(key: DatedKey) -> ColumnElement[bool]:
    rest = or_(
        _before(Asset.file_counter, key.file_counter),
        and_(
            _same(Asset.file_counter, key.file_counter),
            or_(
                _before(Asset.file_name, key.file_name),
                and_(_same(Asset.file_name, key.file_name), Asset.id < key.id),
            ),
        ),
    )
    # the plain ``created_at <= key`` bound is what the index scan starts from
    return and_(
        Asset.created_at <= key.created_at,
        or_(Asset.created_at < key.created_at, and_(Asset.created_at == key.created_at, rest)),
    )


def _dated_branch(conditions: Sequence[ColumnElement[bool]], after: DatedKey | None, limit: int) -> _Branch:
    statement = select(
        Asset.id,
        literal(0).label("segment"),
        Asset.created_at.label("sort_time"),
        Asset.file_counter.label("sort_counter"),
        Asset.file_name.label("sort_name"),
    ).where(*conditions, Asset.created_at.is_not(None))
    if after is not None:
        statement = statement.where(_after_dated(after))
    return statement.order_by(
        Asset.created_at.desc(), Asset.file_counter.desc(), Asset.file_name.desc(), Asset.id.desc()
    ).limit(limit)


def _undated_branch(
    conditions: Sequence[ColumnElement[bool]], after: UndatedKey | None, limit: int
) -> _Branch:
    statement = select(
        Asset.id,
        literal(1).label("segment"),
        Asset.imported_at.label("sort_time"),
        cast(null(), BigInteger).label("sort_counter"),
        cast(null(), Text).label("sort_name"),
    ).where(*conditions, Asset.created_at.is_(None))
    if after is not None:
        statement = statement.where(
            or_(
                Asset.imported_at < after.imported_at,
                and_(Asset.imported_at == after.imported_at, Asset.id < after.id),
            )
        )
    return statement.order_by(Asset.imported_at.desc(), Asset.id.desc()).limit(limit)


async def gallery_page(
    session: AsyncSession,
    user_id: uuid.UUID,
    wanted: GalleryFilter,
    *,
    limit: int,
    after: GalleryKey | None,
) -> list[AssetView]:
    """Up to ``limit + 1`` of the user's assets matching ``wanted``, after ``after``, in gallery order.

    One statement; the rows are :class:`~catalog.assets.asset_views.AssetView` tuples (no visual
    descriptor, no ``extra``: nothing the gallery shows reads them).
    """
    conditions = _filtered(user_id, wanted)
    branches: list[_Branch] = []
    if not isinstance(after, UndatedKey):
        branches.append(_dated_branch(conditions, after, limit + 1))
    if not wanted.needs_time:
        undated_after = after if isinstance(after, UndatedKey) else None
        branches.append(_undated_branch(conditions, undated_after, limit + 1))
    if not branches:  # past the dated segment with a filter only dated assets can match
        return []
    chosen = (
        union_all(*(select(*branch.subquery().c) for branch in branches)).subquery("chosen")
        if len(branches) > 1
        else branches[0].subquery("chosen")
    )
    statement = (
        select(*ASSET_VIEW_COLUMNS)
        .join(chosen, chosen.c.id == Asset.id)
        .order_by(
            chosen.c.segment,
            chosen.c.sort_time.desc(),
            chosen.c.sort_counter.desc(),
            chosen.c.sort_name.desc(),
            chosen.c.id.desc(),
        )
        .limit(limit + 1)
    )
    return await asset_views(session, statement, {})
