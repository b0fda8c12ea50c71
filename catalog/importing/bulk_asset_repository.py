"""SQL for inserting many assets at once: binary ``COPY`` into a staging table, then one
``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING``.

Why: a multi-row ``INSERT … VALUES`` of 500 rows × 33 columns is 16,500 bind parameters that
SQLAlchemy compiles on every batch (most of an import's time, measured by ``bench/import_bench.py``);
``COPY`` ships the rows in asyncpg's binary format with no SQL to compile at all.

Invariants: runs in the caller's transaction and never commits. Already-known ``(user_id, record_id)``
pairs are skipped by the database itself (the unique constraint), so concurrent imports of the same
files cannot duplicate rows. The staging table is a per-connection temporary table, emptied after
each use and on commit; other connections never see it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.database import copy_rows
from catalog.importing.asset_rows import ASSET_COPY_COLUMNS

_STAGE = "atelier_asset_import_stage"
_COLUMN_LIST = ", ".join(ASSET_COPY_COLUMNS)
_CREATE_STAGE = text(
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} ON COMMIT DELETE ROWS AS "
    f"SELECT {_COLUMN_LIST} FROM assets WITH NO DATA"
)
_MOVE_NEW = text(
    f"INSERT INTO assets ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM {_STAGE} "
    "ON CONFLICT ON CONSTRAINT uq_assets_user_record DO NOTHING RETURNING record_id, id"
)
_KNOWN_IN_STAGE = text(
    f"SELECT stage.record_id, assets.id FROM {_STAGE} AS stage JOIN assets "
    "ON assets.user_id = stage.user_id AND assets.record_id = stage.record_id"
)
_EMPTY_STAGE = text(f"TRUNCATE {_STAGE}")


async def copy_new_assets(
    session: AsyncSession, values: Sequence[tuple[Any, ...]]
) -> tuple[dict[str, uuid.UUID], dict[str, uuid.UUID]]:
    """Insert ``values`` (tuples in :data:`ASSET_COPY_COLUMNS` order, each ``record_id`` at most once)
    whose ``(user_id, record_id)`` is new. Returns ``record_id → id`` of the rows inserted, and of the
    rows already stored (one more statement, only when the batch held any)."""
    if not values:
        return {}, {}
    await session.execute(_CREATE_STAGE)
    await copy_rows(session, _STAGE, ASSET_COPY_COLUMNS, values)
    inserted = await session.execute(_MOVE_NEW)
    new_ids = {record_id: asset_id for record_id, asset_id in inserted.all()}
    known_ids: dict[str, uuid.UUID] = {}
    if len(new_ids) < len(values):
        rows = await session.execute(_KNOWN_IN_STAGE)
        known_ids = {record_id: asset_id for record_id, asset_id in rows.all() if record_id not in new_ids}
    await session.execute(_EMPTY_STAGE)
    return new_ids, known_ids
