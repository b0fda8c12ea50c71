"""``/healthz`` (alive) and ``/readyz`` (able to serve).

``/healthz`` answers 200 ``{"status": "ok"}`` without touching any service: it says the process and
its event loop are alive (a container runtime restarts it otherwise), never that PostgreSQL is up.

``/readyz`` answers 200 only when PostgreSQL answers, Redis answers and the database schema is at the
code's Alembic head; otherwise 503. The body names every check either way::

    {"status": "ready" | "not ready", "failed": ["redis"],
     "checks": {"database": "ok", "redis": "error: ...", "migrations": "ok"}}

Each check is bounded by :data:`CHECK_TIMEOUT_SECONDS` (a hung service fails its check, never the
probe); the checks run concurrently. An error text is the exception's class and message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from catalog.database import SessionFactory
from catalog.schema_revision import applied_revisions, head_revisions

CHECK_TIMEOUT_SECONDS = 2.0


class Pingable(Protocol):
    def ping(self, **kwargs: Any) -> Any: ...


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def readiness_endpoint(
    session_factory: Callable[[], SessionFactory], redis: Callable[[], Pingable | None]
) -> Callable[[Request], Awaitable[Response]]:
    """The ``/readyz`` handler over the app's session factory and Redis client (looked up per probe:
    both are made by the app's lifespan)."""

    async def database() -> str:
        async with session_factory()() as session:
            await session.execute(text("SELECT 1"))
        return "ok"

    async def migrations() -> str:
        async with session_factory()() as session:
            applied = await applied_revisions(session)
        heads = head_revisions()
        if applied == heads:
            return "ok"
        database_at = ", ".join(sorted(applied)) or "no revision"
        return f"error: database at {database_at}, code at {', '.join(sorted(heads))}"

    async def redis_ping() -> str:
        client = redis()
        if client is None:
            return "error: no Redis URL configured"
        await client.ping()
        return "ok"

    async def readyz(request: Request) -> Response:
        names = ("database", "redis", "migrations")
        results = await asyncio.gather(*(_bounded(check()) for check in (database, redis_ping, migrations)))
        checks = dict(zip(names, results, strict=True))
        failed = [name for name, result in checks.items() if result != "ok"]
        return JSONResponse(
            {"status": "not ready" if failed else "ready", "failed": failed, "checks": checks},
            status_code=503 if failed else 200,
        )

    return readyz


async def _bounded(check: Awaitable[str]) -> str:
    try:
        return await asyncio.wait_for(check, timeout=CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"error: no answer within {CHECK_TIMEOUT_SECONDS:g} s"
    except Exception as error:
        return f"error: {type(error).__name__}: {error}"
