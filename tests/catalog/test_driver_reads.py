"""Hot reads on the asyncpg driver give SQLAlchemy's rows, see a transaction's own writes, and are counted."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asyncpg import ConnectionDoesNotExistError, InterfaceError
from asyncpg.exceptions import InternalClientError
from sqlalchemy import Enum, any_, bindparam, event, literal, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog.database import SessionFactory, create_database_engine, create_session_factory, unit_of_work
from catalog.driver_reads import DriverRead
from catalog.models import User
from catalog.sql_types import UUID_ARRAY

_USERS = DriverRead(
    select(User.id, User.handle, User.created_at, literal(7).label("seven"))
    .where(User.id == any_(bindparam("ids", type_=UUID_ARRAY)))
    .order_by(User.handle)
)


async def _add_users(factory: SessionFactory, *handles: str) -> list[uuid.UUID]:
    async with unit_of_work(factory) as db:
        users = [User(handle=handle) for handle in handles]
        db.add_all(users)
        await db.flush()
        return [user.id for user in users]


async def test_driver_rows_are_sqlalchemys_rows(session_factory: SessionFactory) -> None:
    ids = await _add_users(session_factory, "ann", "bo")
    async with session_factory() as db:
        driven = await _USERS.rows(db, {"ids": ids})
        assert not db.in_transaction()  # the session lent its engine only
    async with session_factory() as db:
        expected = (await db.execute(_USERS.statement, {"ids": ids})).all()
    assert [tuple(row) for row in driven] == [tuple(row) for row in expected]
    assert [row[1] for row in driven] == ["ann", "bo"] and driven[0][
        3
    ] == 7  # a literal bound at compile time
    assert all(isinstance(row[0], uuid.UUID) and row[0] in ids for row in driven)  # equal, same hash


async def test_inside_a_transaction_the_read_sees_its_writes(session_factory: SessionFactory) -> None:
    async with unit_of_work(session_factory) as db:
        user = User(handle="not-yet-committed")
        db.add(user)
        await db.flush()
        rows = await _USERS.rows(db, {"ids": [user.id]})
        assert [row[1] for row in rows] == ["not-yet-committed"]
        await db.rollback()
    async with session_factory() as db:
        assert await _USERS.rows(db, {"ids": [user.id]}) == []


async def test_driver_reads_are_announced_to_statement_listeners(session_factory: SessionFactory) -> None:
    ids = await _add_users(session_factory, "cy")
    seen: list[tuple[str, Any]] = []

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        seen.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", count)
    try:
        async with session_factory() as db:
            await _USERS.rows(db, {"ids": ids})
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert seen == [(_USERS.sql, _USERS.arguments({"ids": ids}))]


def test_a_statement_needing_result_processing_is_refused() -> None:
    with pytest.raises(ValueError, match="result processing"):
        DriverRead(select(literal("a", type_=Enum("a", "b", name="letters", native_enum=False))))


LOST_CONNECTION_ERRORS = (InterfaceError, ConnectionDoesNotExistError, InternalClientError)


async def _kill_the_pooled_connection(engine: AsyncEngine, database_url: str) -> int:
    """Terminate, from another engine, the backend of ``engine``'s one pooled connection (which goes
    back to the pool unaware); its process id."""
    async with engine.connect() as connection:
        victim = await connection.scalar(text("SELECT pg_backend_pid()"))
    other = create_database_engine(database_url, pool_size=1)
    try:
        async with other.connect() as connection:
            assert await connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
    finally:
        await other.dispose()
    assert isinstance(victim, int)
    return victim


async def test_a_connection_lost_during_a_read_is_discarded_not_pooled(database_url: str) -> None:
    engine = create_database_engine(database_url, pool_size=1)  # no ping: used moments ago
    factory = create_session_factory(engine)
    try:
        ids = await _add_users(factory, "dee")
        await _kill_the_pooled_connection(engine, database_url)
        async with factory() as db:
            # what asyncpg raises depends on when it notices the backend is gone ("connection is
            # closed", "closed in the middle of operation", or a protocol state error while the
            # termination notice is being handled): whichever, the read fails and the connection
            # is discarded
            with pytest.raises(LOST_CONNECTION_ERRORS):
                await _USERS.rows(db, {"ids": ids})
        async with factory() as db:  # the dead connection was not handed back: a new one answers
            assert [row[1] for row in await _USERS.rows(db, {"ids": ids})] == ["dee"]
    finally:
        await engine.dispose()


async def test_a_driver_read_on_a_connection_killed_while_idle_gets_a_live_one(database_url: str) -> None:
    """Driver reads check out of the pool itself: its idle ping still applies, so a connection the
    server killed while it sat idle is replaced before the read, which succeeds."""
    engine = create_database_engine(database_url, pool_size=1, idle_ping_seconds=0.0)
    factory = create_session_factory(engine)
    try:
        ids = await _add_users(factory, "eve")
        victim = await _kill_the_pooled_connection(engine, database_url)
        async with factory() as db:
            assert [row[1] for row in await _USERS.rows(db, {"ids": ids})] == ["eve"]
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT pg_backend_pid()")) != victim
    finally:
        await engine.dispose()
