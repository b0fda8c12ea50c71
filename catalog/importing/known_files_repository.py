"""SQL: which files a user's catalog already holds, by path — for a watched folder's catch-up, and
for an import to find the images whose file was overwritten with other content since.

Scoped by ``user_id``; callers pass the session and commit. The paths travel as one ``text[]``
parameter (pairs as ``unnest`` of arrays), so a 500k-file folder is one statement.

An asset's ``file_path`` is where its bytes were first read; two of a user's assets at one path mean
the file there was overwritten with other content (an import keeps only the one for the bytes on disk:
:func:`overwritten_assets`, :mod:`catalog.importing.service`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ARRAY, LargeBinary, String, bindparam, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.sql_types import TEXT_ARRAY, UUID_ARRAY
from catalog.stored_paths import StoredPath, stored_path

_KNOWN_FILES = text(
    """
    SELECT file_path, file_path_bytes, file_size_bytes, true AS stored, imported_at AS since FROM assets
    WHERE user_id = :user_id AND file_size_bytes IS NOT NULL
      AND (file_path = ANY(:paths) AND file_path_bytes IS NULL OR file_path_bytes = ANY(:raw_paths))
    UNION ALL
    SELECT file_path, file_path_bytes, file_size_bytes, false, removed_at FROM removed_records
    WHERE user_id = :user_id AND file_size_bytes IS NOT NULL
      AND (file_path = ANY(:paths) AND file_path_bytes IS NULL OR file_path_bytes = ANY(:raw_paths))
    """
).bindparams(
    bindparam("user_id", type_=UUID(as_uuid=True)),
    bindparam("paths", type_=TEXT_ARRAY),
    bindparam("raw_paths", type_=ARRAY(LargeBinary())),
)
_OVERWRITTEN = text(
    """
    SELECT DISTINCT assets.id, assets.record_id
    FROM unnest(:paths, :raw_paths, :asset_ids, :names)
      AS read(file_path, file_path_bytes, asset_id, file_name)
    JOIN assets ON assets.user_id = :user_id AND assets.file_name = read.file_name
     AND assets.file_path = read.file_path
     AND assets.file_path_bytes IS NOT DISTINCT FROM read.file_path_bytes
    WHERE assets.id IS DISTINCT FROM read.asset_id
    ORDER BY assets.id
    """
).bindparams(
    bindparam("user_id", type_=UUID(as_uuid=True)),
    bindparam("paths", type_=TEXT_ARRAY),
    bindparam("raw_paths", type_=ARRAY(LargeBinary())),
    bindparam("asset_ids", type_=UUID_ARRAY),
    bindparam("names", type_=TEXT_ARRAY),
)
_ASSETS_AT = text(
    """
    SELECT file_path, file_path_bytes FROM assets
    WHERE user_id = :user_id
      AND (file_path = ANY(:paths) AND file_path_bytes IS NULL OR file_path_bytes = ANY(:raw_paths))
    """
).bindparams(
    bindparam("user_id", type_=UUID(as_uuid=True)),
    bindparam("paths", type_=TEXT_ARRAY),
    bindparam("raw_paths", type_=ARRAY(LargeBinary())),
)
_REPOINT = text(
    """
    UPDATE assets SET file_path = moved.file_path, file_path_bytes = moved.file_path_bytes
    FROM unnest(:ids, :paths, :raw_paths) AS moved(id, file_path, file_path_bytes)
    WHERE assets.user_id = :user_id AND assets.id = moved.id
    """
).bindparams(
    bindparam("user_id", type_=UUID(as_uuid=True)),
    bindparam("ids", type_=UUID_ARRAY),
    bindparam("paths", type_=TEXT_ARRAY),
    bindparam("raw_paths", type_=ARRAY(LargeBinary())),
)
_FORGET_REMOVALS = text(
    "DELETE FROM removed_records WHERE user_id = :user_id AND record_id = ANY(:record_ids)"
).bindparams(bindparam("user_id", type_=UUID(as_uuid=True)), bindparam("record_ids", type_=ARRAY(String())))


@dataclass(frozen=True, slots=True)
class KnownFile:
    """One row the catalog holds for a path: an asset read from it, or an image removed from it."""

    size_bytes: int
    since: datetime
    """When the row was written: the asset's import, or the image's removal."""
    stored: bool
    """An asset (``True``), or a removed image (``False``)."""


ReadFile = tuple[str, bytes | None, uuid.UUID | None, str | None]
"""An image file an import just read: its path as the asset rows hold it (``file_path``,
``file_path_bytes``), the asset its bytes are (``None``: bytes the artist removed), and its
``file_name`` as the rows hold it (the lookup goes through the ``(user_id, file_name)`` index)."""


@dataclass(frozen=True, slots=True)
class OverwrittenAsset:
    """An asset read from a path that now holds other bytes."""

    asset_id: uuid.UUID
    record_id: str


async def known_files(
    session: AsyncSession, user_id: uuid.UUID, paths: Sequence[str]
) -> dict[str, list[KnownFile]]:
    """``path → rows`` for those of ``paths`` (as Python read them from the file system) the user's
    assets were imported from, or images the user removed from the library were. A path that is not
    valid UTF-8 is matched by its bytes (:mod:`catalog.stored_paths`), never by its readable text,
    which several such paths can share."""
    if not paths:
        return {}
    by_text: list[str] = []
    by_raw: dict[bytes, str] = {}
    for path in paths:
        stored = stored_path(path)
        if stored.raw is None:
            by_text.append(path)
        else:
            by_raw[stored.raw] = path
    rows = await session.execute(
        _KNOWN_FILES, {"user_id": user_id, "paths": by_text, "raw_paths": list(by_raw)}
    )
    found: dict[str, list[KnownFile]] = {}
    for path, raw, size, from_asset, since in rows.all():
        key = by_raw[raw] if raw is not None else path
        found.setdefault(key, []).append(KnownFile(int(size), since, bool(from_asset)))
    return found


async def known_file_sizes(session: AsyncSession, user_id: uuid.UUID, paths: Sequence[str]) -> dict[str, int]:
    """``path → size in bytes`` of :func:`known_files`: a stored asset's size wins over a removed
    image's at the same path."""
    sizes: dict[str, int] = {}
    for path, rows in (await known_files(session, user_id, paths)).items():
        sizes[path] = max(rows, key=lambda row: row.stored).size_bytes
    return sizes


async def overwritten_assets(
    session: AsyncSession, user_id: uuid.UUID, read: Sequence[ReadFile]
) -> list[OverwrittenAsset]:
    """The user's assets read from one of the ``read`` paths that are not the asset just read there,
    i.e. whose bytes that file no longer holds. One statement; ``assets`` has no index on
    ``file_path``, so each path's candidates are found by its file name (``ix_assets_user_file_name``)
    rather than by a scan of the user's assets."""
    if not read:
        return []
    rows = await session.execute(
        _OVERWRITTEN,
        {
            "user_id": user_id,
            "paths": [path for path, _, _, _ in read],
            "raw_paths": [raw for _, raw, _, _ in read],
            "asset_ids": [asset_id for _, _, asset_id, _ in read],
            "names": [name for _, _, _, name in read],
        },
    )
    return [OverwrittenAsset(asset_id, record_id) for asset_id, record_id in rows.all()]


async def paths_holding_assets(
    session: AsyncSession, user_id: uuid.UUID, paths: Sequence[StoredPath]
) -> set[StoredPath]:
    """Those of ``paths`` (stored form) some asset of the user was read from."""
    if not paths:
        return set()
    rows = await session.execute(
        _ASSETS_AT,
        {
            "user_id": user_id,
            "paths": [path.text for path in paths if path.raw is None],
            "raw_paths": [path.raw for path in paths if path.raw is not None],
        },
    )
    return {StoredPath(file_path, raw) for file_path, raw in rows.all()}


async def repoint_assets(
    session: AsyncSession, user_id: uuid.UUID, moved: Mapping[uuid.UUID, StoredPath]
) -> None:
    """Record that each asset's bytes are now read from another path (the caller holds the user's
    library lock: these are existing rows)."""
    if not moved:
        return
    await session.execute(
        _REPOINT,
        {
            "user_id": user_id,
            "ids": list(moved),
            "paths": [path.text for path in moved.values()],
            "raw_paths": [path.raw for path in moved.values()],
        },
    )


async def forget_removals(session: AsyncSession, user_id: uuid.UUID, record_ids: Sequence[str]) -> None:
    """Delete the removed-records rows of ``record_ids``: images that left the library because their
    file changed, not because the artist removed them (their bytes are imported again if they return)."""
    if record_ids:
        await session.execute(_FORGET_REMOVALS, {"user_id": user_id, "record_ids": list(record_ids)})
