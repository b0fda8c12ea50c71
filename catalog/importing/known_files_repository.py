"""SQL: which files a user's catalog already holds, by path (for a watched folder's catch-up).

Scoped by ``user_id``; callers pass the session and commit. The paths travel as one ``text[]``
parameter, so a 500k-file folder is one statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ARRAY, LargeBinary, bindparam, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.sql_types import TEXT_ARRAY
from catalog.stored_paths import stored_path

_KNOWN_SIZES = text(
    """
    SELECT file_path, file_path_bytes, file_size_bytes, true AS stored FROM assets
    WHERE user_id = :user_id AND file_size_bytes IS NOT NULL
      AND (file_path = ANY(:paths) AND file_path_bytes IS NULL OR file_path_bytes = ANY(:raw_paths))
    UNION ALL
    SELECT file_path, file_path_bytes, file_size_bytes, false FROM removed_records
    WHERE user_id = :user_id AND file_size_bytes IS NOT NULL
      AND (file_path = ANY(:paths) AND file_path_bytes IS NULL OR file_path_bytes = ANY(:raw_paths))
    """
).bindparams(
    bindparam("user_id", type_=UUID(as_uuid=True)),
    bindparam("paths", type_=TEXT_ARRAY),
    bindparam("raw_paths", type_=ARRAY(LargeBinary())),
)


async def known_file_sizes(session: AsyncSession, user_id: uuid.UUID, paths: Sequence[str]) -> dict[str, int]:
    """``path → size in bytes`` for those of ``paths`` (as Python read them from the file system) the
    user's assets were imported from, or images the user removed from the library were (a watched
    folder does not read a removed file again while its size is unchanged; a stored asset's size wins
    over a removed one's at the same path). A path that is not valid UTF-8 is matched by its bytes
    (:mod:`catalog.stored_paths`), never by its readable text, which several such paths can share."""
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
        _KNOWN_SIZES, {"user_id": user_id, "paths": by_text, "raw_paths": list(by_raw)}
    )
    sizes: dict[str, int] = {}
    for path, raw, size, _from_asset in sorted(rows.all(), key=lambda row: row[3]):  # assets win: last
        sizes[by_raw[raw] if raw is not None else path] = int(size)
    return sizes
