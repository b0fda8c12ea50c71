"""What the API shows of an image, read as plain tuples rather than ORM rows.

Why: pages of images read up to hundreds of rows per request, and an ORM row costs its identity-map
entry and instrumented attributes (the 100-image page's server CPU fell 43.0 → 36.2 and 41.7 →
32.0 ms without them, BENCHMARKS.md). Invariants: an :class:`AssetView` carries the same attribute
names as :class:`catalog.models.Asset` for the columns it has, so either backs the GraphQL ``Asset``;
it never has the visual embedding or ``extra`` (nothing the API shows reads them). Read-only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import Executable

from catalog.driver_reads import DriverRead
from catalog.models import Asset


class AssetView(NamedTuple):
    """What the API shows of an image, as a plain tuple: the session's pages of images read up to
    hundreds of rows per request, and an ORM row costs its identity-map entry and instrumented
    attributes (~10 % of the 100-image page's CPU in a profile). Same attribute names as
    :class:`catalog.models.Asset`, so either can back the GraphQL ``Asset``."""

    id: uuid.UUID
    user_id: uuid.UUID
    session_id: uuid.UUID | None
    tool: str
    file_name: str | None
    file_counter: int | None
    created_at: datetime | None
    created_at_source: str | None
    created_at_precision: str | None
    prompt: str | None
    negative_prompt: str | None
    seed: Decimal | None
    cfg_scale: float | None
    steps: int | None
    sampler: str | None
    scheduler: str | None
    model: str | None
    loras: list[dict[str, Any]] | None
    width: int | None
    height: int | None
    denoise: float | None
    thumbnail_sha256: str | None
    thumbnail_error: str | None
    imported_at: datetime


ASSET_VIEW_COLUMNS = [getattr(Asset, name) for name in AssetView._fields]
"""The ``assets`` columns of an :class:`AssetView`, in order: ``select(*ASSET_VIEW_COLUMNS)``."""


async def asset_views(
    session: AsyncSession, statement: DriverRead | Executable, values: dict[str, Any]
) -> list[AssetView]:
    """The rows of ``statement`` (a :class:`DriverRead` of a hot page, or a statement built per call)."""
    make = AssetView._make
    if isinstance(statement, DriverRead):
        return [make(row) for row in await statement.rows(session, values)]
    return [make(row) for row in (await session.execute(statement, values)).all()]
