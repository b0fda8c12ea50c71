"""Alembic environment: async engine (asyncpg), metadata from :mod:`catalog.models`."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import billing.models
import reflection.models
from catalog.models import Base

# billing and reflection own their tables; importing their models registers them on the metadata.
_ = (billing.models, reflection.models)

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set (catalog.migration_runner.alembic_config does it)"
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
elif context.config.attributes.get("connection") is not None:
    # catalog.migration_runner hands over a connection that holds the migration lock, inside an open
    # transaction: run on it (Alembic joins that transaction; the runner commits).
    _run(context.config.attributes["connection"])
else:
    asyncio.run(_run_online())
