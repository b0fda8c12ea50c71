"""The columns re-clustering reads of each asset, as plain named tuples rather than ORM objects.

Why: a re-clustering reads every asset of its span (5,000 after an import of 5,000 files, a whole
library for ``atelier recluster``) and only reads them. ORM rows cost their identity map and
attribute instrumentation, and the visual descriptor came back as pgvector's *text* form, parsed
float by float in Python (~0.3 ms a row: most of a visual re-clustering's load). Here the descriptor
is cast to ``real[]`` in SQL, which asyncpg decodes in C, and each row is one tuple.

Invariants: the rows are a snapshot taken under the caller's per-user stream lock (re-clustering
and corrections take it first), so ``session_id`` / ``phase_id`` are the stored assignment that a
re-clustering compares its own result with; nothing here writes. Order is the engine's stream order
(:data:`catalog.assets.repository.STREAM_ORDER`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Select, any_, bindparam, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.assets.repository import STREAM_ORDER
from catalog.models import Asset
from catalog.sql_types import REAL_ARRAY, UUID_ARRAY


class SpanAsset(NamedTuple):
    """One asset as re-clustering sees it: the engine record's columns, the keys named-parent
    lineage matches on, and the stored assignment. ``visual_embedding`` is a list of floats."""

    id: uuid.UUID
    record_id: str
    tool: str
    created_at: datetime | None
    created_at_source: str | None
    created_at_precision: str | None
    prompt: str | None
    prompt_sha256: bytes | None
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
    source_image: str | None
    job_id: str | None
    parent_job_id: str | None
    file_name: str | None
    workflow_hash: str | None
    extra: dict[str, Any] | None
    file_counter: int | None
    content_sha256: str | None
    visual_embedding: list[float] | None
    visual_model: str | None
    session_id: uuid.UUID | None
    phase_id: uuid.UUID | None


def _columns() -> list[Any]:
    columns: list[Any] = []
    for name in SpanAsset._fields:
        column = getattr(Asset, name)
        if name == "visual_embedding":  # pgvector → real[]: decoded by asyncpg, not parsed as text
            column = cast(column, REAL_ARRAY).label(name)
        columns.append(column)
    return columns


SPAN_ASSET_SELECT: Select[Any] = select(*_columns())
"""Every :class:`SpanAsset` column of ``assets``; add the filters (always the user's) and order."""


async def fetch_span_assets(session: AsyncSession, statement: Select[Any]) -> list[SpanAsset]:
    make = SpanAsset._make
    return [make(row) for row in (await session.execute(statement)).all()]


async def span_assets_in_time_window(
    session: AsyncSession, user_id: uuid.UUID, start: datetime, end: datetime
) -> list[SpanAsset]:
    """The user's assets timed within ``start``..``end`` (inclusive), in stream order."""
    return await fetch_span_assets(
        session,
        SPAN_ASSET_SELECT.where(
            Asset.user_id == user_id, Asset.created_at >= start, Asset.created_at <= end
        ).order_by(*STREAM_ORDER),
    )


async def all_timed_span_assets(session: AsyncSession, user_id: uuid.UUID) -> list[SpanAsset]:
    """Every timed asset of the user, in stream order (a whole-library re-clustering)."""
    return await fetch_span_assets(
        session,
        SPAN_ASSET_SELECT.where(Asset.user_id == user_id, Asset.created_at.is_not(None)).order_by(
            *STREAM_ORDER
        ),
    )


async def span_assets_of_sessions(
    session: AsyncSession, user_id: uuid.UUID, session_ids: Sequence[uuid.UUID]
) -> list[SpanAsset]:
    """The members of ``session_ids`` (the user's only), in stream order."""
    if not session_ids:
        return []
    sessions = bindparam("span_sessions", list(session_ids), type_=UUID_ARRAY)
    return await fetch_span_assets(
        session,
        SPAN_ASSET_SELECT.where(Asset.user_id == user_id, Asset.session_id == any_(sessions)).order_by(
            *STREAM_ORDER
        ),
    )
