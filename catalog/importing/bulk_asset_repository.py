"""SQL for inserting many assets at once: binary ``COPY`` into a staging table, then one
``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING``.

Why: a multi-row ``INSERT … VALUES`` of 500 rows × 33 columns is 16,500 bind parameters that
SQLAlchemy compiles on every batch (most of an import's time, measured by ``bench/import_bench.py``);
``COPY`` ships the rows in asyncpg's binary format with no SQL to compile at all.

Invariants: runs in the caller's transaction and never commits. Already-known ``(user_id, record_id)``
pairs are skipped by the database itself (the unique constraint), so concurrent imports of the same
files cannot duplicate rows. Records the artist removed (``removed_records``, migration 0020) are
skipped too, unless the caller takes them back in (``include_removed``: their removal rows go); the
user's removal gate, held shared (:func:`catalog.library_locks.hold_off_removals`), makes an insert
running beside a removal of the same records see that removal's rows.
The staging table is a per-connection temporary table, emptied after each use and on commit; other
connections never see it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.database import copy_rows
from catalog.importing.asset_rows import ASSET_COPY_COLUMNS
from catalog.library_locks import hold_off_removals

_STAGE = "atelier_asset_import_stage"
_COLUMN_LIST = ", ".join(ASSET_COPY_COLUMNS)
_CREATE_STAGE = text(
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} ON COMMIT DELETE ROWS AS "
    f"SELECT {_COLUMN_LIST} FROM assets WITH NO DATA"
)
_MOVE_NEW = text(
    f"INSERT INTO assets ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM {_STAGE} AS stage "
    "WHERE NOT EXISTS (SELECT 1 FROM removed_records AS removed "
    "WHERE removed.user_id = stage.user_id AND removed.record_id = stage.record_id) "
    "ON CONFLICT ON CONSTRAINT uq_assets_user_record DO NOTHING RETURNING record_id, id"
)
_REMOVED_IN_STAGE = text(
    f"SELECT stage.record_id FROM {_STAGE} AS stage JOIN removed_records AS removed "
    "ON removed.user_id = stage.user_id AND removed.record_id = stage.record_id"
)
_TAKE_BACK_REMOVED = text(
    f"DELETE FROM removed_records AS removed USING {_STAGE} AS stage "
    "WHERE removed.user_id = stage.user_id AND removed.record_id = stage.record_id"
)
_KNOWN_IN_STAGE = text(
    f"SELECT stage.record_id, assets.id FROM {_STAGE} AS stage JOIN assets "
    "ON assets.user_id = stage.user_id AND assets.record_id = stage.record_id"
)
_EMPTY_STAGE = text(f"TRUNCATE {_STAGE}")


@dataclass(slots=True)
class CopiedAssets:
    """What became of a batch's rows, by record id."""

    new: dict[str, uuid.UUID] = field(default_factory=dict)
    """Inserted now: record id → the new asset's id."""
    known: dict[str, uuid.UUID] = field(default_factory=dict)
    """Already stored: record id → that asset's id."""
    removed: set[str] = field(default_factory=set)
    """Removed by the artist earlier, and left out."""


async def copy_new_assets(
    session: AsyncSession,
    user_id: uuid.UUID,
    values: Sequence[tuple[Any, ...]],
    *,
    include_removed: bool = False,
) -> CopiedAssets:
    """Insert ``values`` (rows of ``user_id``: tuples in :data:`ASSET_COPY_COLUMNS` order, each
    ``record_id`` at most once) whose ``(user_id, record_id)`` is new and, unless ``include_removed``,
    not removed by the artist.
    Rows neither inserted nor removed are already stored (one more statement finds their ids, and one
    the removed ones, only when the batch held any that were not inserted). ``include_removed``: the
    batch's removal rows are deleted first, so those records are imported again."""
    if not values:
        return CopiedAssets()
    await hold_off_removals(session, user_id)  # a removal in flight commits its removed records first
    await session.execute(_CREATE_STAGE)
    await copy_rows(session, _STAGE, ASSET_COPY_COLUMNS, values)
    if include_removed:  # their removal rows go first: the insert below then takes them like new ones
        await session.execute(_TAKE_BACK_REMOVED)
    inserted = await session.execute(_MOVE_NEW)
    copied = CopiedAssets(new={record_id: asset_id for record_id, asset_id in inserted.all()})
    if len(copied.new) < len(values):
        rows = await session.execute(_KNOWN_IN_STAGE)
        copied.known = {
            record_id: asset_id for record_id, asset_id in rows.all() if record_id not in copied.new
        }
        if not include_removed and len(copied.new) + len(copied.known) < len(values):
            copied.removed = set((await session.scalars(_REMOVED_IN_STAGE)).all()) - copied.known.keys()
    await session.execute(_EMPTY_STAGE)
    return copied
