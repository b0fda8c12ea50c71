"""SQL types the catalog's statements share."""

from __future__ import annotations

from sqlalchemy import ARRAY, REAL, Text
from sqlalchemy.dialects.postgresql import UUID

UUID_ARRAY = ARRAY(UUID(as_uuid=True))
"""A ``uuid[]`` parameter: an id list bound as one array (``= ANY(:ids)``), never an ``IN`` list
expanded per call (asyncpg's 32,767-parameter limit does not apply to it)."""

REAL_ARRAY = ARRAY(REAL)
"""A ``real[]`` (float4) value: how visual descriptors travel in bulk. asyncpg encodes and decodes it
in binary, in C; pgvector's ``vector`` type goes through its text form, float by float in Python.
Cast to and from ``vector`` in SQL (``CAST(CAST(:v AS real[]) AS vector)``, ``visual_embedding::real[]``)."""

TEXT_ARRAY = ARRAY(Text())
"""A ``text[]`` parameter, bound as one array (e.g. beside a :data:`UUID_ARRAY` in ``unnest``)."""
