"""SQL: which files a user's catalog already holds, by path (for a watched folder's catch-up).

Scoped by ``user_id``; callers pass the session and commit. The paths travel as one ``text[]``
parameter, so a 500k-file folder is one statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ARRAY, Text, bindparam, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

_KNOWN_SIZES = text(
    """
    SELECT file_path, file_size_bytes FROM assets
    WHERE user_id = :user_id AND file_path = ANY(:paths) AND file_size_bytes IS NOT NULL
    """
).bindparams(bindparam("user_id", type_=UUID(as_uuid=True)), bindparam("paths", type_=ARRAY(Text())))


async def known_file_sizes(session: AsyncSession, user_id: uuid.UUID, paths: Sequence[str]) -> dict[str, int]:
    """``file_path → size in bytes`` for those of ``paths`` the user's assets were imported from."""
    if not paths:
        return {}
    rows = await session.execute(_KNOWN_SIZES, {"user_id": user_id, "paths": list(paths)})
    return {path: int(size) for path, size in rows.all()}
