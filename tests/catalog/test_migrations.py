"""Migrations round-trip: upgrade → downgrade → upgrade leaves the same schema."""

from __future__ import annotations

from catalog.migration_runner import downgrade_async, upgrade_async
from tests.conftest import superuser_connection

SCHEMA_QUERY = """
SELECT table_name, column_name, data_type, is_nullable
FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2
"""


async def _schema(database_url: str) -> list[tuple[str, str, str, str]]:
    async with superuser_connection(database_url) as connection:
        return [tuple(row) for row in await connection.fetch(SCHEMA_QUERY)]


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


async def test_upgrading_to_0005_owes_clustering_to_timed_assets_outside_every_session(
    database_url: str,
) -> None:
    """The orphans a killed import left before ``clustering_owed`` existed are owed after upgrading."""
    await downgrade_async(database_url, "0004")
    async with superuser_connection(database_url) as connection:
        user_id = await connection.fetchval("INSERT INTO users (handle) VALUES ('ada') RETURNING id")
        orphan = await connection.fetchval(
            "INSERT INTO assets (user_id, record_id, tool, created_at) "
            "VALUES ($1, 'timed', 'unknown', now()) RETURNING id",
            user_id,
        )
        await connection.execute(
            "INSERT INTO assets (user_id, record_id, tool) VALUES ($1, 'timeless', 'unknown')", user_id
        )
        await upgrade_async(database_url)
        owed = await connection.fetch("SELECT asset_id, user_id FROM clustering_owed")
    assert [(row["asset_id"], row["user_id"]) for row in owed] == [(orphan, user_id)]
