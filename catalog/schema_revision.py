"""Is the database schema at the code's Alembic head? (readiness probes)

The head comes from the migration scripts shipped with the code (read once per process); the applied
revision from the ``alembic_version`` table, which is absent before the first migration.
"""

from __future__ import annotations

import functools

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.migration_runner import alembic_config


@functools.cache
def head_revisions() -> frozenset[str]:
    """The head revision(s) of the migration scripts."""
    return frozenset(ScriptDirectory.from_config(alembic_config("postgresql://")).get_heads())


async def applied_revisions(session: AsyncSession) -> frozenset[str]:
    """The revision(s) recorded in the database; empty when it was never migrated."""
    try:
        async with session.begin_nested():
            rows = await session.execute(text("SELECT version_num FROM alembic_version"))
    except ProgrammingError:  # no alembic_version table: never migrated
        return frozenset()
    return frozenset(str(row[0]) for row in rows)
