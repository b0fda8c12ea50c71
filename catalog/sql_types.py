"""SQL types the catalog's statements share."""

from __future__ import annotations

from sqlalchemy import ARRAY
from sqlalchemy.dialects.postgresql import UUID

UUID_ARRAY = ARRAY(UUID(as_uuid=True))
"""A ``uuid[]`` parameter: an id list bound as one array (``= ANY(:ids)``), never an ``IN`` list
expanded per call (asyncpg's 32,767-parameter limit does not apply to it)."""
