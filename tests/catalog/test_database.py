"""The engine's pool: no ping for a connection used moments ago, a ping (and a replacement) for one
that sat idle — a connection the server killed while it was idle never reaches a caller."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import column, event, text
from sqlalchemy.dialects.postgresql import JSONB

from catalog.database import create_database_engine, decode_json_column


async def test_a_busy_connection_is_not_pinged_and_an_idle_dead_one_is_replaced(database_url: str) -> None:
    recent = create_database_engine(database_url, pool_size=1)  # default: ping after 10 s idle
    idle = create_database_engine(database_url, pool_size=1, idle_ping_seconds=0.0)
    statements: list[str] = []
    pings: list[object] = []
    dialect = recent.sync_engine.dialect
    real_ping = dialect.do_ping

    def counted_ping(dbapi_connection: Any) -> bool:  # a spy: the real ping runs
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    dialect.do_ping = counted_ping  # type: ignore[method-assign]

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    try:
        async with recent.connect() as connection:
            await connection.execute(text("SELECT 1"))
        async with recent.connect() as connection:  # back in the pool moments ago: trusted
            pid_before = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert pid_before is not None
        assert pings == []

        async with idle.connect() as connection:
            victim = await connection.scalar(text("SELECT pg_backend_pid()"))
        async with recent.connect() as connection:  # kill the idle connection from the other engine
            assert await connection.scalar(text("SELECT pg_backend_pid()")) == pid_before
            assert await connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
        event.listen(idle.sync_engine, "before_cursor_execute", count)
        async with idle.connect() as connection:  # pinged at checkout, found dead, replaced
            survivor = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert survivor is not None and survivor != victim
        assert statements == ["SELECT pg_backend_pid()"]  # the ping is not a statement of the caller's
    finally:
        await recent.dispose()
        await idle.dispose()


JSONB_VALUES = [
    '{"a": 1e400, "b": -1e400, "c": 1e-400}',  # jsonb numbers are arbitrary-precision
    "[1, 2.5, -0.0, 1.7976931348623157e308, 5e-324, 123456789012345678901234567890]",
    '{"text": "é \\u2603 \\ud83c\\udfa8", "nested": {"list": [null, true, false, {"x": []}]}}',
    '{"k": 1, "k": 2}',
    '"just a string"',
]


async def test_json_columns_decode_exactly_as_json_loads(database_url: str) -> None:
    """What PostgreSQL sends back for ``jsonb`` values (its own normal form) decodes through the
    engine's faster decoder to exactly what ``json.loads`` gives, the out-of-range numbers included."""
    engine = create_database_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            for value in JSONB_VALUES:
                decoded = await connection.scalar(
                    text("SELECT CAST(:v AS jsonb)").columns(column("v", JSONB)), {"v": value}
                )
                normal_form = await connection.scalar(text("SELECT CAST(:v AS jsonb)::text"), {"v": value})
                assert repr(decoded) == repr(json.loads(normal_form)), value
                assert repr(decode_json_column(normal_form)) == repr(json.loads(normal_form))
    finally:
        await engine.dispose()
