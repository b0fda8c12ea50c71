"""Revision 0008: corrections made before it get their merge / split constraints tied to them."""

from __future__ import annotations

import json

from catalog.migration_runner import downgrade_async, upgrade_async
from tests.conftest import superuser_connection


async def test_upgrading_ties_legacy_constraints_to_the_latest_correction_of_their_pair(
    database_url: str,
) -> None:
    await downgrade_async(database_url, "0008-1")
    async with superuser_connection(database_url) as connection:
        user_id = await connection.fetchval("INSERT INTO users (handle) VALUES ('ada') RETURNING id")
        a, b, c, d = [
            await connection.fetchval(
                "INSERT INTO assets (user_id, record_id, tool, created_at) "
                "VALUES ($1, $2, 'unknown', now()) RETURNING id",
                user_id,
                name,
            )
            for name in "abcd"
        ]

        async def correction(kind: str, payload: dict[str, object], when: str) -> object:
            return await connection.fetchval(
                "INSERT INTO corrections (user_id, kind, payload, created_at) "
                "VALUES ($1, $2, $3::jsonb, $4::text::timestamptz) RETURNING id",
                user_id,
                kind,
                json.dumps(payload),
                when,
            )

        await correction("merge", {"sessions": [], "joined": [str(a), str(b)]}, "2026-01-01T10:00Z")
        latest_merge = await correction(
            "merge", {"sessions": [], "joined": [str(a), str(b)]}, "2026-01-02T10:00Z"
        )
        split = await correction("split", {"session": "x", "at": str(c)}, "2026-01-03T10:00Z")
        for kind, first, second in (("must_link", a, b), ("cannot_link", b, c), ("must_link", c, d)):
            await connection.execute(
                "INSERT INTO session_constraints (user_id, kind, asset_a_id, asset_b_id) "
                "VALUES ($1, $2, $3, $4)",
                user_id,
                kind,
                first,
                second,
            )
        await upgrade_async(database_url)
        tied = await connection.fetch("SELECT kind, asset_a_id, correction_id FROM session_constraints")
        undone = await connection.fetchval("SELECT count(*) FROM corrections WHERE undone_at IS NOT NULL")
    assert {(row["kind"], row["asset_a_id"]): row["correction_id"] for row in tied} == {
        ("must_link", a): latest_merge,
        ("cannot_link", b): split,
        ("must_link", c): None,  # no correction names that pair: it stays untied
    }
    assert undone == 0
