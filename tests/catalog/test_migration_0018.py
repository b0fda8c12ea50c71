"""Revision 0018: ``export_time_evidence.job_type`` (none for evidence stored before it)."""

from __future__ import annotations

import asyncpg
import pytest

from catalog.migration_runner import downgrade_async, upgrade_async
from tests.conftest import superuser_connection

COLUMNS_QUERY = """
SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = 'export_time_evidence' AND column_name = 'job_type'
"""
INSERT_BEFORE_0018 = """
INSERT INTO export_time_evidence (user_id, key_kind, key, created_at, source, precision, time_field)
VALUES ($1, 'job_id', $2, now(), 'export:midjourney_archive', 'millisecond', 'enqueue_time')
"""
INSERT = """
INSERT INTO export_time_evidence (user_id, key_kind, key, created_at, source, precision, time_field, job_type)
VALUES ($1, 'job_id', $2, now(), 'export:midjourney_archive', 'millisecond', 'enqueue_time', $3)
"""


async def test_upgrading_adds_an_empty_job_type_and_downgrading_removes_it(database_url: str) -> None:
    await downgrade_async(database_url, "0017")
    async with superuser_connection(database_url) as connection:
        assert await connection.fetch(COLUMNS_QUERY) == []
        user_id = await connection.fetchval("INSERT INTO users (handle) VALUES ('ada') RETURNING id")
        await connection.execute(INSERT_BEFORE_0018, user_id, "stored-before")

        await upgrade_async(database_url, "0018")
        columns = [tuple(row) for row in await connection.fetch(COLUMNS_QUERY)]
        stored_before = await connection.fetchval(
            "SELECT job_type FROM export_time_evidence WHERE key = 'stored-before'"
        )
        await connection.execute(INSERT, user_id, "upscale", "v7_upsample")
        await connection.execute(INSERT, user_id, "longest", "u" * 80)
        with pytest.raises(asyncpg.StringDataRightTruncationError):
            await connection.execute(INSERT, user_id, "too-long", "u" * 81)

        await downgrade_async(database_url, "0017")
        after_downgrade = await connection.fetch(COLUMNS_QUERY)
        evidence_kept = await connection.fetchval("SELECT count(*) FROM export_time_evidence")
        parent_grid_kept = await connection.fetchval(
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_name = 'export_time_evidence' AND column_name = 'parent_grid'"
        )
    assert columns == [("job_type", "character varying", 80, "YES", None)]
    assert stored_before is None
    assert after_downgrade == [] and evidence_kept == 3
    assert parent_grid_kept == 1  # 0017's column stays
