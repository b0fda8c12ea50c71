"""Revision 0017: ``export_time_evidence.parent_grid`` (none for evidence stored before it)."""

from __future__ import annotations

import asyncpg
import pytest

from catalog.migration_runner import downgrade_async, upgrade_async
from tests.conftest import superuser_connection

COLUMNS_QUERY = """
SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = 'export_time_evidence' AND column_name = 'parent_grid'
"""
INSERT_BEFORE_0017 = """
INSERT INTO export_time_evidence (user_id, key_kind, key, created_at, source, precision, time_field)
VALUES ($1, 'job_id', $2, now(), 'export:midjourney_archive', 'millisecond', 'enqueue_time')
"""
INSERT = """
INSERT INTO export_time_evidence
    (user_id, key_kind, key, created_at, source, precision, time_field, parent_job_id, parent_grid)
VALUES ($1, 'job_id', $2, now(), 'export:midjourney_archive', 'millisecond', 'enqueue_time', 'g', $3)
"""


async def test_upgrading_adds_an_empty_parent_grid_and_downgrading_removes_it(database_url: str) -> None:
    await downgrade_async(database_url, "0016")
    async with superuser_connection(database_url) as connection:
        assert await connection.fetch(COLUMNS_QUERY) == []
        user_id = await connection.fetchval("INSERT INTO users (handle) VALUES ('ada') RETURNING id")
        await connection.execute(INSERT_BEFORE_0017, user_id, "stored-before")

        await upgrade_async(database_url, "0017")
        columns = [tuple(row) for row in await connection.fetch(COLUMNS_QUERY)]
        stored_before = await connection.fetchval(
            "SELECT parent_grid FROM export_time_evidence WHERE key = 'stored-before'"
        )
        await connection.execute(INSERT, user_id, "largest", 63)
        with pytest.raises(asyncpg.CheckViolationError):
            await connection.execute(INSERT, user_id, "too-large", 64)

        await downgrade_async(database_url, "0016")
        after_downgrade = await connection.fetch(COLUMNS_QUERY)
        evidence_kept = await connection.fetchval("SELECT count(*) FROM export_time_evidence")
    assert columns == [("parent_grid", "smallint", "YES", None)]
    assert stored_before is None
    assert after_downgrade == [] and evidence_kept == 2
