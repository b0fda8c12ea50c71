"""Revision 0016: the record of failed re-descriptions on ``users`` (none for existing users)."""

from __future__ import annotations

from catalog.migration_runner import downgrade_async, upgrade_async
from tests.conftest import superuser_connection

COLUMNS_QUERY = """
SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = 'users' AND column_name LIKE 'redescription%'
ORDER BY column_name
"""


async def test_upgrading_adds_an_empty_failure_record_and_downgrading_removes_it(database_url: str) -> None:
    await downgrade_async(database_url, "0015")
    async with superuser_connection(database_url) as connection:
        assert await connection.fetch(COLUMNS_QUERY) == []
        user_id = await connection.fetchval("INSERT INTO users (handle) VALUES ('ada') RETURNING id")

        await upgrade_async(database_url, "0016")
        columns = [tuple(row) for row in await connection.fetch(COLUMNS_QUERY)]
        record = await connection.fetchrow(
            "SELECT redescription_failures, redescription_failed_at, redescription_failed_version "
            "FROM users WHERE id = $1",
            user_id,
        )

        await downgrade_async(database_url, "0015")
        after_downgrade = await connection.fetch(COLUMNS_QUERY)
        users_kept = await connection.fetchval("SELECT count(*) FROM users WHERE id = $1", user_id)
    assert columns == [
        ("redescription_failed_at", "timestamp with time zone", "YES", None),
        ("redescription_failed_version", "integer", "YES", None),
        ("redescription_failures", "integer", "NO", "0"),
    ]
    assert tuple(record) == (0, None, None)
    assert after_downgrade == [] and users_kept == 1
