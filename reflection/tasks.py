"""arq jobs of the Museum Curator: ``run_reflection`` (job id = reflection id) and the sweeper.

Invariants: ``run_reflection`` is idempotent (see :mod:`reflection.runner`; it runs one reflection at
most ``ATELIER_REFLECTION_MAX_RUNS`` times, however often it is delivered) and keeps no arq result
(``keep_result=0``), so the sweeper can enqueue the same job id again after Redis lost it or after a
worker died. ``sweep_reflections`` is run by the worker's healing cron (``api.worker``), every 30
seconds and once at worker start-up.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from arq import ArqRedis
from arq.worker import Function, func

from catalog.database import SessionFactory
from catalog.job_retry import retry_transient
from catalog.settings import AtelierSettings
from catalog.storage import thumbnail_store
from reflection.backends import curator_for
from reflection.runner import CuratorBackend, RunSettings, run_reflection
from reflection.sweeper import sweep

RUN_REFLECTION = "run_reflection"


def reflection_job_id(reflection_id: uuid.UUID) -> str:
    return str(reflection_id)


async def enqueue_reflection(redis: ArqRedis, reflection_id: uuid.UUID) -> bool:
    """Queue the reflection's job; False when a job with its id is already queued or running."""
    job_id = reflection_job_id(reflection_id)
    job = await redis.enqueue_job(RUN_REFLECTION, str(reflection_id), _job_id=job_id)
    return job is not None


async def _run_reflection(ctx: dict[str, Any], reflection_id: str) -> str:
    """One reflection. The curator comes from the worker's start-up context (one HTTP client for all
    jobs: arq hands each job a shallow copy of that context, so nothing a job stores there persists);
    a worker started without one gets a curator for this job alone, closed afterwards."""
    factory: SessionFactory = ctx["session_factory"]
    settings: AtelierSettings = ctx["settings"]
    shared: CuratorBackend | None = ctx.get("curator_backend")
    backend = shared if shared is not None else curator_for(settings)
    try:
        return await run_reflection(
            factory,
            uuid.UUID(reflection_id),
            backend,
            RunSettings(
                thumbnails=ctx.get("thumbnail_store") or thumbnail_store(settings),
                deadline=timedelta(seconds=settings.reflection_deadline_seconds),
                max_runs=settings.reflection_max_runs,
            ),
        )
    finally:
        if shared is None:
            await backend.aclose()


async def sweep_reflections(ctx: dict[str, Any]) -> dict[str, int]:
    factory: SessionFactory = ctx["session_factory"]
    settings: AtelierSettings = ctx["settings"]
    redis: ArqRedis = ctx["redis"]
    report = await sweep(
        factory,
        enqueue=lambda reflection_id: enqueue_reflection(redis, reflection_id),
        key_retention=timedelta(hours=settings.idempotency_key_retention_hours),
        max_runs=settings.reflection_max_runs,
    )
    return asdict(report)


RUN_MARGIN_SECONDS = 60
"""A reflection job's arq timeout is its deadline plus this: the run ends itself at the deadline (its
lease), arq's timeout is only the backstop."""


def reflection_functions(deadline_seconds: int) -> tuple[Function, ...]:
    """The reflection job with its options: no kept result (the sweeper may queue the same id
    again), a timeout just past the run's own deadline, retries for transient errors only."""
    return (
        func(
            retry_transient(_run_reflection),
            name=RUN_REFLECTION,
            keep_result=0,
            max_tries=3,
            timeout=deadline_seconds + RUN_MARGIN_SECONDS,
        ),
    )


REFLECTION_FUNCTIONS: tuple[Function, ...] = reflection_functions(
    int(AtelierSettings.model_fields["reflection_deadline_seconds"].default)
)
"""The reflection job for the default deadline (tests; the worker builds it from its settings)."""
