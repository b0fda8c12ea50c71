"""Migrations round-trip: upgrade → downgrade → upgrade leaves the same schema."""

from __future__ import annotations

import asyncpg

from catalog.migration_runner import downgrade_async, upgrade_async

SCHEMA_QUERY = """
SELECT table_name, column_name, data_type, is_nullable
FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2
"""


async def _schema(database_url: str) -> list[tuple[str, str, str, str]]:
    socket_dir = database_url.split("host=", 1)[1]
    database = database_url.split("@/", 1)[1].split("?", 1)[0]
    connection = await asyncpg.connect(host=socket_dir, user="postgres", database=database)
    try:
        return [tuple(row) for row in await connection.fetch(SCHEMA_QUERY)]
    finally:
        await connection.close()


async def test_upgrade_downgrade_upgrade_round_trips(database_url: str) -> None:
    migrated = await _schema(database_url)
    assert {"users", "api_tokens", "assets", "sessions", "phases", "lineage_edges"} <= {
        table for table, *_ in migrated
    }

    await downgrade_async(database_url, "base")
    tables_after_downgrade = {table for table, *_ in await _schema(database_url)}
    assert tables_after_downgrade <= {"alembic_version"}

    await upgrade_async(database_url)
    assert await _schema(database_url) == migrated


async def test_vector_columns_exist(database_url: str) -> None:
    columns = {(table, column): kind for table, column, kind, _ in await _schema(database_url)}
    assert columns[("prompt_embeddings", "embedding")] == "USER-DEFINED"
    assert columns[("assets", "visual_embedding")] == "USER-DEFINED"
