"""Database plumbing: the async engine and session factory.

Invariants: services take an explicit ``AsyncSession`` and never commit; the unit of work (a GraphQL
mutation, a DataLoader batch, a job, a CLI command) opens a session with :func:`unit_of_work` and
commits once. ``expire_on_commit`` is off so loaded rows stay usable after the commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from catalog.embedded_servers import normalise_database_url

SessionFactory = async_sessionmaker[AsyncSession]


def create_database_engine(database_url: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        normalise_database_url(database_url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
    )


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    async with factory() as session, session.begin():
        yield session
