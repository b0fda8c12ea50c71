"""A real arq worker in burst mode for tests: it runs what is queued on the test's Redis, then stops."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arq.connections import RedisSettings
from arq.worker import Worker

from catalog.database import SessionFactory
from catalog.settings import AtelierSettings


async def run_worker_burst(
    factory: SessionFactory, settings: AtelierSettings, functions: Sequence[Any]
) -> Worker:
    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["session_factory"] = factory
        ctx["settings"] = settings

    assert settings.redis_url is not None
    worker = Worker(
        functions=list(functions),
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        on_startup=on_startup,
        burst=True,
        handle_signals=False,
        poll_delay=0.05,
    )
    try:
        await worker.main()
    finally:
        await worker.close()
    return worker
