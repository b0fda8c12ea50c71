"""The arq worker: job functions from the lower layers, wired to a database and settings.

One definition, three ways to run it:

- ``atelier worker``: a process of its own (:func:`run_worker`). SIGTERM or SIGINT stops it
  gracefully: it picks no new job, lets the jobs in hand finish for up to
  :data:`SHUTDOWN_GRACE_SECONDS`, then cancels what is left (arq queues those again) and closes.
  ``atelier worker --check`` exits 0 when a worker recorded its health within the last
  :data:`HEALTH_CHECK_INTERVAL_SECONDS` (+1 s), else 1 — for a container health check.
- ``arq api.worker_settings.WorkerSettings`` (arq's own CLI, including ``--check``), reading the
  same environment; it needs ``DATABASE_URL`` and ``REDIS_URL`` (it starts no embedded server).
- in-process under ``atelier serve`` (:func:`build_worker`, no signal handling of its own).

Jobs carry their own options (timeouts that fit the job, retries with backoff for transient errors
only, no kept result for fixed ids): :data:`catalog.tasks.CATALOG_FUNCTIONS` and
:func:`reflection.tasks.reflection_functions`. arq keeps a job "in progress" for the worker's longest
job timeout + 10 s; a killed worker's jobs are delivered again after that, but the work they owed is
found sooner by :func:`heal_owed_work`, a cron every 30 s and at start-up: catalog work owed
(clustering, thumbnails, embeddings) and stuck reflections (the reflection sweeper).
"""

from __future__ import annotations

import asyncio
import logging
import logging.config
from typing import Any

from arq.connections import RedisSettings
from arq.cron import CronJob, cron
from arq.logs import default_log_config
from arq.worker import Function, Worker, async_check_health

from api.observability.metrics import observed_jobs
from catalog.database import create_database_engine, create_session_factory
from catalog.job_retry import retry_transient
from catalog.settings import AtelierSettings
from catalog.storage import thumbnail_store
from catalog.tasks import CATALOG_FUNCTIONS, heal_owed_catalog_work
from reflection.backends import curator_for
from reflection.tasks import reflection_functions, sweep_reflections

WORKER_POLL_SECONDS = 0.1
"""How often the worker asks Redis for queued jobs (arq's default is 0.5 s): a reflection or a
thumbnail starts within this much of being queued; an idle poll is one cheap Redis call."""
DEFAULT_JOB_TIMEOUT_SECONDS = 300
"""For a job registered without a timeout of its own (every job here has one)."""
HEALTH_CHECK_INTERVAL_SECONDS = 15
SHUTDOWN_GRACE_SECONDS = 20
MAX_JOBS = 4
HEAL_TIMEOUT_SECONDS = 150

log = logging.getLogger(__name__)


def redis_settings(settings: AtelierSettings) -> RedisSettings:
    if not settings.redis_url:
        raise ValueError("the worker needs a Redis URL (atelier resolves the embedded one)")
    return RedisSettings.from_dsn(settings.redis_url)


async def heal_owed_work(ctx: dict[str, Any]) -> dict[str, Any]:
    """The healing cron: stuck reflections first (the sweeper, quick), then the catalog's owed work
    (:func:`catalog.tasks.heal_owed_catalog_work`)."""
    return {"reflections": await sweep_reflections(ctx), "catalog": await heal_owed_catalog_work(ctx)}


def job_functions(settings: AtelierSettings) -> list[Function]:
    """Every job with its options, wrapped for the job metrics (``api.observability``)."""
    return observed_jobs([*CATALOG_FUNCTIONS, *reflection_functions(settings.reflection_deadline_seconds)])


def cron_jobs() -> list[CronJob]:
    return [
        cron(
            retry_transient(heal_owed_work),
            name="cron:heal_owed_work",
            second={0, 30},
            run_at_startup=True,
            unique=True,
            keep_result=0,
            timeout=HEAL_TIMEOUT_SECONDS,
            max_tries=3,
        )
    ]


def worker_options(settings: AtelierSettings) -> dict[str, Any]:
    """arq ``Worker`` keyword arguments for these settings (shared by every way of running it)."""

    async def on_startup(ctx: dict[str, Any]) -> None:
        if "engine" in ctx:  # run again after Redis came back (api.worker_start): keep what was made
            return
        engine = create_database_engine(settings.database_url or "", pool_size=MAX_JOBS + 2)
        ctx["engine"] = engine
        ctx["session_factory"] = create_session_factory(engine)
        ctx["settings"] = settings
        ctx["curator_backend"] = curator_for(settings)
        ctx["thumbnail_store"] = thumbnail_store(settings)
        ctx["models"] = {}  # filled lazily by jobs; shared by the per-job copies of ctx
        ctx["unrenderable"] = set()  # assets whose file failed to render in this process (see backfill)

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        backend = ctx.get("curator_backend")
        if backend is not None:
            await backend.aclose()
        await ctx["engine"].dispose()

    return {
        "functions": job_functions(settings),
        "cron_jobs": cron_jobs(),
        "redis_settings": redis_settings(settings),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "max_jobs": MAX_JOBS,
        "poll_delay": WORKER_POLL_SECONDS,
        "job_timeout": DEFAULT_JOB_TIMEOUT_SECONDS,
        "health_check_interval": HEALTH_CHECK_INTERVAL_SECONDS,
    }


def build_worker(settings: AtelierSettings) -> Worker:
    """A worker for a loop that someone else runs and stops (``atelier serve``): no signal handlers."""
    return Worker(**worker_options(settings), handle_signals=False)


def run_worker(settings: AtelierSettings) -> None:
    """Run the worker until SIGTERM/SIGINT, then stop gracefully (see the module docstring). It is
    built inside the running loop: arq's ``Worker`` binds the loop it is created on."""

    logging.config.dictConfig(worker_log_config())

    async def main() -> None:
        worker = Worker(
            **worker_options(settings),
            handle_signals=True,
            job_completion_wait=SHUTDOWN_GRACE_SECONDS,
        )
        try:
            await worker.async_run()
        except asyncio.CancelledError:
            pass  # the signal handler cancels the main task once the jobs in hand are done
        finally:
            await worker.close()

    asyncio.run(main())


def worker_log_config() -> dict[str, Any]:
    """arq's job lines, and our jobs' own warnings (transient retries, healing), on stderr."""
    config = default_log_config(verbose=False)
    for name in ("catalog", "reflection", "billing"):
        config["loggers"][name] = {"handlers": ["arq.standard"], "level": "INFO"}
    return config


def check_worker_health(settings: AtelierSettings) -> int:
    """0 when a worker on this Redis recorded its health recently, else 1 (arq's health check)."""
    return asyncio.run(async_check_health(redis_settings(settings)))
