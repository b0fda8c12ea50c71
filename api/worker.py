"""The arq worker: job functions from the lower layers, wired to a database and settings.

``worker_settings`` builds arq's settings class for the resolved Redis URL; the same definition
serves ``atelier worker`` (a process of its own) and ``atelier serve`` (in-process).
"""

from __future__ import annotations

import asyncio
from typing import Any

from arq.connections import RedisSettings
from arq.worker import Worker

from api.observability.metrics import observed_jobs
from catalog.database import create_database_engine, create_session_factory
from catalog.settings import AtelierSettings
from catalog.tasks import backfill_thumbnails, embed_prompts, make_thumbnails, recluster_user_job
from reflection.backends import curator_for
from reflection.tasks import REFLECTION_CRON_JOBS, REFLECTION_FUNCTIONS

WORKER_POLL_SECONDS = 0.1
"""How often the worker asks Redis for queued jobs (arq's default is 0.5 s): a reflection or a
thumbnail starts within this much of being queued; an idle poll is one cheap Redis call."""

JOB_FUNCTIONS = (backfill_thumbnails, make_thumbnails, embed_prompts, recluster_user_job)


def redis_settings(settings: AtelierSettings) -> RedisSettings:
    if not settings.redis_url:
        raise ValueError("the worker needs a Redis URL (atelier resolves the embedded one)")
    return RedisSettings.from_dsn(settings.redis_url)


def build_worker(settings: AtelierSettings) -> Worker:
    async def on_startup(ctx: dict[str, Any]) -> None:
        engine = create_database_engine(settings.database_url or "", pool_size=4)
        ctx["engine"] = engine
        ctx["session_factory"] = create_session_factory(engine)
        ctx["settings"] = settings
        ctx["curator_backend"] = curator_for(settings)

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        backend = ctx.get("curator_backend")
        if backend is not None:
            await backend.aclose()
        await ctx["engine"].dispose()

    return Worker(
        functions=observed_jobs([*JOB_FUNCTIONS, *REFLECTION_FUNCTIONS]),  # metrics: api.observability
        cron_jobs=list(REFLECTION_CRON_JOBS),
        redis_settings=redis_settings(settings),
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        handle_signals=False,
        max_jobs=4,
        poll_delay=WORKER_POLL_SECONDS,
        job_timeout=3600,
    )


def run_worker(settings: AtelierSettings) -> None:
    """Run the worker until stopped. It is built inside the running loop: arq's ``Worker`` binds the
    loop it is created on, and one built before ``asyncio.run`` fails at start-up."""

    async def main() -> None:
        worker = build_worker(settings)
        try:
            await worker.async_run()
        finally:
            await worker.close()

    asyncio.run(main())
