"""Run Alembic migrations programmatically (``atelier migrate``, start-up, tests).

Concurrency: every command migrates on start, so replicas starting together run ``upgrade`` at the
same moment. Each run takes a transaction-scoped PostgreSQL advisory lock
(:data:`MIGRATION_LOCK_KEY`) on one connection and runs Alembic on that same connection, inside that
same transaction: the first process migrates and commits (which releases the lock); the others wait
on the lock, then read ``alembic_version`` afresh and find nothing to do. Any number of processes may
start at once; none sees a half-made schema.

Alembic's command API is synchronous and our ``env.py`` uses a connection handed to it in
``config.attributes["connection"]`` (else it drives its own async engine with ``asyncio.run``);
callers inside an event loop use the ``*_async`` helpers, which run the command in a worker thread so
the two loops never meet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import func as sql_func
from sqlalchemy import pool, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import migrations
from catalog.embedded_servers import normalise_database_url

MIGRATION_LOCK_KEY = 0x61746C_6D6967  # "atlmig": one key for every Atelier database
"""Advisory lock key held while a process migrates (``pg_advisory_xact_lock``)."""


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", normalise_database_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Upgrade to ``revision`` under the migration lock (idempotent; a few ms when current)."""
    _run_locked(database_url, lambda config: command.upgrade(config, revision))


def downgrade(database_url: str, revision: str) -> None:
    _run_locked(database_url, lambda config: command.downgrade(config, revision))


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, database_url, revision)


async def downgrade_async(database_url: str, revision: str) -> None:
    await asyncio.to_thread(downgrade, database_url, revision)


def _run_locked(database_url: str, alembic_command: Callable[[Config], None]) -> None:
    """Run ``alembic_command`` on one connection, in one transaction, under the migration lock."""
    config = alembic_config(database_url)

    def run(connection: Connection) -> None:
        connection.execute(select(sql_func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
        config.attributes["connection"] = connection
        alembic_command(config)

    async def main() -> None:
        engine = create_async_engine(normalise_database_url(database_url), poolclass=pool.NullPool)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run)
                await connection.commit()  # Alembic ran inside our transaction; this ends it and the lock
        finally:
            await engine.dispose()

    asyncio.run(main())
