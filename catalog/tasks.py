"""Background jobs of the catalog, run by the arq worker (``atelier worker`` or in ``serve``).

Invariants:
- Each job is idempotent — re-running it after a crash, a retry or a duplicate delivery does no harm
  (thumbnails are content-addressed and only missing ones are made; embeddings are keyed by prompt
  hash; re-clustering is a pure function of the stored assets and constraints). Each job is its own
  unit of work (or several) and commits.
- Every write to a user's library follows :mod:`catalog.library_locks` (stream lock first, then rows).
- Job options (:data:`CATALOG_FUNCTIONS`): a timeout that fits the job, so a killed worker's
  in-progress marker (kept for the worker's longest timeout + 10 s) expires soon; retries with backoff
  for transient errors only (:mod:`catalog.job_retry`); no kept result for jobs whose id is fixed or
  derived from their arguments, so the same id can be queued again as soon as a run ends.
- Nothing depends on a queued job surviving: :func:`heal_owed_catalog_work` (a cron of the worker)
  finds work owed — assets without thumbnails, prompts without embeddings, timed assets outside
  every session — and does or queues it, so a lost job heals within one cron period.
- A re-description that fails for good is recorded on its user in PostgreSQL
  (:func:`recording_redescription_failures`), and the cron leaves the user alone for a back-off that
  doubles with each failure in a row (:mod:`catalog.sessions.redescription`): arq keeps no result of
  the job, so without the record a failing library would be run again on every tick.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from arq import ArqRedis, Retry, create_pool
from arq.connections import RedisSettings
from arq.typing import WorkerCoroutine
from arq.worker import Function, func
from sqlalchemy import func as sql_func
from sqlalchemy import select, text

from catalog.assets.repository import set_thumbnail_errors, set_thumbnails
from catalog.database import SessionFactory, unit_of_work
from catalog.importing import owed_work
from catalog.importing.owed_work_repository import OWES_THUMBNAIL, mark_clustering_owed
from catalog.job_retry import recording_final_failure, retry_transient
from catalog.library_locks import lock_user_library
from catalog.models import Asset
from catalog.prompt_embeddings import assets_using_prompts, embed_missing_prompts, prompts_without_embedding
from catalog.sessions.off_loop import recluster_user_in_child_process
from catalog.sessions.recluster_outcome import recording_recluster_outcome
from catalog.sessions.reclustering import recluster_span
from catalog.sessions.redescription import (
    RedescriptionFailure,
    count_redescriptions_backing_off,
    record_redescription_failure,
    redescription_owed,
    users_to_redescribe,
)
from catalog.settings import AtelierSettings
from catalog.storage import ThumbnailStore, thumbnail_store
from catalog.stored_paths import opened_path
from catalog.thumbnails import MadeThumbnail, ThumbnailError, make_thumbnail
from engine.analysis import DESCRIPTION_VERSION

log = logging.getLogger(__name__)

THUMBNAIL_BACKFILL_BATCH = 100
THUMBNAIL_JOB_ASSETS = 50
"""Assets per ``make_thumbnails`` job: a few seconds of work, so its timeout can be short."""
PROMPT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"

THUMBNAIL_JOB_TIMEOUT_SECONDS = 60
EMBED_JOB_TIMEOUT_SECONDS = 300
RECLUSTER_JOB_TIMEOUT_SECONDS = 600
BACKFILL_JOB_TIMEOUT_SECONDS = 600
HEAL_JOB_TIMEOUT_SECONDS = 120
HEAL_BUDGET_SECONDS = 45.0
"""The healing cron stops starting new thumbnail batches after this long; the next tick goes on."""
HEAL_LOCK_KEY = 0x61746C_6865616C  # "atlheal"
EMBED_LOCK_KEY = 0x61746C_656D6264  # "atlembd"
EMBED_BATCH = 256
"""Prompts embedded and stored per transaction."""
_ADVISORY_LOCK_HELD = text(
    """
    SELECT EXISTS (
        SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND classid = :high AND objid = :low AND objsubid = 1
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    )
    """
)
UNCLUSTERED_BATCH = 2000
REDESCRIBE_BATCH = 20
"""Users whose re-description one healing tick queues at most (the next tick queues more)."""
REDESCRIBE_DEADLINE_SECONDS = RECLUSTER_JOB_TIMEOUT_SECONDS - 20
"""A re-description still running after this long is stopped (its child killed, nothing written) and
counted as a failure. Shorter than the job's timeout, so the job itself ends the run as an ordinary
``TimeoutError`` and records it; a cancellation from outside (the worker stopping) is not counted,
as arq runs the job again."""
TRANSIENT_MAX_TRIES = 5
T = TypeVar("T")


async def backfill_thumbnails(
    ctx: dict[str, Any], user_id: str | None = None, *, budget_seconds: float | None = None
) -> int:
    """Make thumbnails for assets that have a file but none yet; returns how many were made.

    A file whose content cannot be rendered is recorded on its asset (``thumbnail_error``) and never
    selected again. Other failures (a moved or unreadable file) are tried once per run, and once per
    worker process when the worker keeps a ``ctx["unrenderable"]`` set (it does: the healing cron then
    does not try such a file every 30 s). ``budget_seconds``: start no new batch after that long
    (what is left is found again by the next run)."""
    factory: SessionFactory = ctx["session_factory"]
    started = time.monotonic()
    made_total = 0
    kept = ctx.get("unrenderable")
    failed: set[uuid.UUID] = kept if isinstance(kept, set) else set()
    while budget_seconds is None or time.monotonic() - started < budget_seconds:
        async with factory() as session:
            statement = select(Asset.id, Asset.user_id, Asset.file_path, Asset.file_path_bytes).where(
                *OWES_THUMBNAIL
            )
            if user_id is not None:
                statement = statement.where(Asset.user_id == uuid.UUID(user_id))
            if failed:
                statement = statement.where(Asset.id.not_in(failed))
            rows = (await session.execute(statement.limit(THUMBNAIL_BACKFILL_BATCH))).all()
        if not rows:
            break
        by_owner: dict[uuid.UUID, dict[uuid.UUID, Path]] = {}
        for asset_id, owner_id, file_path, raw in rows:
            if file_path is not None:  # selected only where the path is set; narrows the type
                by_owner.setdefault(owner_id, {})[asset_id] = opened_path(file_path, raw)
        for owner_id, sources in by_owner.items():
            made = await _make_store_and_recluster(ctx, owner_id, sources)
            failed.update(asset_id for asset_id in sources if asset_id not in made)
            made_total += len(made)
    return made_total


async def make_thumbnails(ctx: dict[str, Any], user_id: str, asset_ids: list[str]) -> int:
    """Thumbnails for the named assets of one user (queued by an import); returns how many were made.

    Assets already holding a thumbnail, or without a file, are skipped, so a duplicate delivery does
    nothing. A file that cannot be rendered stays without a thumbnail (the healing cron retries it).
    """
    factory: SessionFactory = ctx["session_factory"]
    owner = uuid.UUID(user_id)
    async with factory() as session:
        rows = (
            await session.execute(
                select(Asset.id, Asset.file_path, Asset.file_path_bytes).where(
                    Asset.user_id == owner,
                    Asset.id.in_([uuid.UUID(asset_id) for asset_id in asset_ids]),
                    *OWES_THUMBNAIL,
                )
            )
        ).all()
    sources = {
        asset_id: opened_path(file_path, raw) for asset_id, file_path, raw in rows if file_path is not None
    }
    return len(await _make_store_and_recluster(ctx, owner, sources))


def _store_of(ctx: dict[str, Any]) -> ThumbnailStore:
    """The worker's thumbnail store (made once at start-up), or one for this job."""
    store: ThumbnailStore | None = ctx.get("thumbnail_store")
    return store if store is not None else thumbnail_store(ctx["settings"])


async def _make_store_and_recluster(
    ctx: dict[str, Any], owner_id: uuid.UUID, sources: dict[uuid.UUID, Path]
) -> dict[uuid.UUID, MadeThumbnail]:
    """Render and store thumbnails (in a thread, holding no lock), then in one unit of work, in the
    library lock order: the user's stream lock, the assets' thumbnails and descriptors, and a
    re-clustering of their span so the visual signal takes part (phases, lineage)."""
    factory: SessionFactory = ctx["session_factory"]
    settings: AtelierSettings = ctx["settings"]
    store = _store_of(ctx)

    unrenderable: dict[uuid.UUID, str] = {}

    def render_all() -> dict[uuid.UUID, MadeThumbnail]:
        made: dict[uuid.UUID, MadeThumbnail] = {}
        for asset_id, path in sources.items():
            try:
                made[asset_id] = make_thumbnail(path, store, size_px=settings.thumbnail_size_px)
            except ThumbnailError as error:
                if error.lasting:
                    unrenderable[asset_id] = error.reason
        return made

    made = await asyncio.to_thread(render_all)
    if made or unrenderable:
        async with unit_of_work(factory) as session:
            await lock_user_library(session, owner_id)
            await set_thumbnails(session, owner_id, made)
            await set_thumbnail_errors(session, owner_id, unrenderable)
            if made:
                await recluster_span(session, owner_id, list(made))
    return made


async def queue_thumbnails(redis_url: str, user_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]) -> int:
    """Queue :func:`make_thumbnails` jobs (``THUMBNAIL_JOB_ASSETS`` ids each); returns the job count.

    Job ids are derived from the asset ids, so queueing the same assets twice while the first jobs
    are pending queues nothing new (arq refuses a duplicate job id); the job keeps no result, so the
    same assets can be queued again once it has run.
    """
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        return await enqueue_thumbnail_jobs(pool, user_id, asset_ids)
    finally:
        await pool.aclose()


async def enqueue_thumbnail_jobs(pool: ArqRedis, user_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]) -> int:
    jobs = 0
    for start in range(0, len(asset_ids), THUMBNAIL_JOB_ASSETS):
        chunk = [str(asset_id) for asset_id in asset_ids[start : start + THUMBNAIL_JOB_ASSETS]]
        digest = hashlib.sha256(",".join(chunk).encode()).hexdigest()[:32]
        await pool.enqueue_job(
            "make_thumbnails", str(user_id), chunk, _job_id=f"make_thumbnails:{user_id}:{digest}"
        )
        jobs += 1
    return jobs


def _prompt_embedder(ctx: dict[str, Any]) -> Any:
    """The embedding model, loaded once per worker: arq hands each job a shallow copy of the start-up
    context, so it is kept in the mutable holder made at start-up (else loaded for this job only)."""
    from engine.features.prompt_embedding import PromptEmbedder

    shared = ctx.get("models")
    holder: dict[str, Any] = shared if isinstance(shared, dict) else {}
    if "prompt_embedder" not in holder:
        holder["prompt_embedder"] = PromptEmbedder()
    return holder["prompt_embedder"]


async def embed_prompts(ctx: dict[str, Any]) -> int:
    """Embed every prompt that has no embedding yet, in batches, then re-cluster the assets using
    them once per user (semantic prompt similarity then takes part in lineage and phases; session
    boundaries are lexical and do not move). Returns prompts embedded.

    Each batch's embeddings are stored in one transaction with ``clustering_owed`` marks on the
    assets using those prompts (:mod:`catalog.importing.owed_work`), and the marks are settled by
    one re-clustering per user when no prompt is missing: a span re-clustered after every batch of
    :data:`EMBED_BATCH` prompts made embedding a library quadratic (each batch's prompts are spread
    over the whole history, so each re-clustered all of it). A run killed half-way leaves its marks,
    which the healing cron settles.

    One run at a time across all workers (a session-level advisory lock): a run that finds another
    one embedding ends at once and returns 0, since that run goes on until no prompt is missing; the
    healing cron leaves owed clustering to it meanwhile. A prompt committed after the running one's
    last look is left to the cron's next run (at most a minute and a tick later). Embeddings are keyed
    by prompt hash and inserted idempotently.
    """
    factory: SessionFactory = ctx["session_factory"]
    async with _session_lock(factory, EMBED_LOCK_KEY) as only_run:
        if not only_run:
            log.info("prompt embeddings: another run is embedding, this one ends")
            return 0
        return await _embed_until_none_missing(factory, _prompt_embedder(ctx))


async def _embed_until_none_missing(factory: SessionFactory, embedder: Any) -> int:
    embedded = 0
    owing: set[uuid.UUID] = set()
    while True:
        async with unit_of_work(factory) as session:
            covered = await embed_missing_prompts(
                session, embedder.embed_prompts, model=PROMPT_EMBEDDING_MODEL, batch_size=EMBED_BATCH
            )
            users = await assets_using_prompts(session, covered)
            for owner_id, asset_ids in users.items():
                await mark_clustering_owed(session, owner_id, asset_ids)
        if not covered:
            break
        embedded += len(covered)
        owing.update(users)
    for owner_id in sorted(owing):
        await owed_work.complete_owed_clustering(factory, owner_id)
    return embedded


async def _held_by_a_session(factory: SessionFactory, key: int) -> bool:
    """Whether some connection holds the session-level advisory lock ``key`` in this database (looked
    up in ``pg_locks``, never taken: a check must not make the holder's next run find it taken)."""
    async with factory() as session:
        return bool(await session.scalar(_ADVISORY_LOCK_HELD, {"high": key >> 32, "low": key & 0xFFFFFFFF}))


@asynccontextmanager
async def _session_lock(factory: SessionFactory, key: int) -> AsyncIterator[bool]:
    """Try the advisory lock ``key`` on a connection of its own; yields whether it is held here.
    Released on leaving, or by the server the moment a killed worker's connection drops, so a dead
    holder never blocks the next run."""
    async with factory() as lock_session:
        if not await lock_session.scalar(select(sql_func.pg_try_advisory_lock(key))):
            yield False
            return
        try:
            yield True
        finally:
            await lock_session.execute(select(sql_func.pg_advisory_unlock(key)))


async def queue_prompt_embeddings(redis_url: str) -> None:
    """Queue :func:`embed_prompts` (a run with nothing to do ends at once, so duplicates are cheap)."""
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        await pool.enqueue_job("embed_prompts")
    finally:
        await pool.aclose()


async def recluster_user_job(ctx: dict[str, Any], user_id: str) -> int:
    """Full re-cluster of one user's library in a child process (off the serving event loop: see
    :mod:`catalog.sessions.off_loop`); returns the number of sessions written."""
    settings: AtelierSettings = ctx["settings"]
    summary = await recluster_user_in_child_process(settings.database_url or "", uuid.UUID(user_id))
    return summary.sessions_written


async def redescribe_user_job(ctx: dict[str, Any], user_id: str) -> int:
    """Re-describe one user's library after an engine upgrade (:mod:`catalog.sessions.redescription`)
    in a child process, sessions kept; returns the number of sessions written (0 when another run
    already described the stream with this engine). It runs when queued even if the user is backing
    off (only the healing tick honours the back-off). Past :data:`REDESCRIBE_DEADLINE_SECONDS` the
    child is killed and ``TimeoutError`` raised."""
    settings: AtelierSettings = ctx["settings"]
    factory: SessionFactory = ctx["session_factory"]
    owner = uuid.UUID(user_id)
    async with asyncio.timeout(REDESCRIBE_DEADLINE_SECONDS):
        async with factory() as session:
            if not await redescription_owed(session, owner):
                return 0
        summary = await recluster_user_in_child_process(
            settings.database_url or "", owner, keep_sessions=True
        )
    return summary.sessions_written


def recording_redescription_failures(job: Callable[..., Awaitable[T]], *, max_tries: int) -> WorkerCoroutine:
    """Wrap the re-description job (``job(ctx, user_id)``, already wrapped by ``retry_transient``) so a
    run that fails for good is recorded on the user (:func:`record_redescription_failure`, its own
    transaction, so the record outlives the failed work) and logged in one warning: a permanent error
    or the deadline, or a transient error on the last try (:func:`catalog.job_retry.recording_final_failure`).
    A cancellation records nothing (arq runs the job again). ``max_tries`` must be the job's."""

    async def record(ctx: dict[str, Any], user_id: str, error: BaseException) -> None:
        cause = error.__cause__ if isinstance(error, Retry) and error.__cause__ is not None else error
        await _record_failed_redescription(ctx, uuid.UUID(user_id), cause)

    return recording_final_failure(job, max_tries=max_tries, record=record)


async def _record_failed_redescription(ctx: dict[str, Any], user_id: uuid.UUID, error: BaseException) -> None:
    """Count the failure and log the one warning about it. Best effort: when the failure cannot be
    recorded (the database is what failed), that is logged instead and the job's error stands."""
    factory: SessionFactory = ctx["session_factory"]
    try:
        async with unit_of_work(factory) as session:
            failure = await record_redescription_failure(session, user_id)
    except Exception as record_error:
        log.warning(
            "re-description of user %s failed (%s) and the failure could not be recorded (%s); "
            "the healing tick may queue it again at once",
            user_id,
            _error_summary(error),
            _error_summary(record_error),
        )
        return
    if failure is not None:
        _log_failed_redescription(user_id, failure, error)


def _log_failed_redescription(
    user_id: uuid.UUID, failure: RedescriptionFailure, error: BaseException
) -> None:
    log.warning(
        "re-description of user %s failed on attempt %d with engine version %d; "
        "the healing tick queues it again after %s (%s)",
        user_id,
        failure.attempt,
        DESCRIPTION_VERSION,
        failure.retry_after.astimezone(UTC).isoformat(timespec="seconds"),
        _error_summary(error),
    )


ERROR_SUMMARY_CHARS = 200


def _error_summary(error: BaseException) -> str:
    """The error's type and the start of its first line (at most :data:`ERROR_SUMMARY_CHARS`
    characters of it): arq logs the whole error with its traceback."""
    lines = str(error).splitlines()
    first_line = lines[0] if lines else ""
    if len(first_line) > ERROR_SUMMARY_CHARS:
        first_line = first_line[:ERROR_SUMMARY_CHARS] + "…"
    return f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__


async def queue_owed_redescriptions(ctx: dict[str, Any]) -> int:
    """Queue a re-description for users described by another engine version and not backing off from
    a failed one; returns how many were queued (a user's job id holds the engine version, so a queued
    or running one is not doubled)."""
    factory: SessionFactory = ctx["session_factory"]
    async with factory() as session:
        stale = await users_to_redescribe(session, limit=REDESCRIBE_BATCH)
    if not stale:
        return 0
    redis: ArqRedis = ctx["redis"]
    queued = 0
    for user_id in stale:
        job = await redis.enqueue_job(
            "redescribe_user_job", str(user_id), _job_id=f"redescribe:{user_id}:{DESCRIPTION_VERSION}"
        )
        queued += int(job is not None)
    return queued


async def complete_owed_clustering(factory: SessionFactory) -> int:
    """Re-cluster whatever clustering is owed; returns the assets it covered.

    THE one place the healing cron completes owed clustering:

    1. the durable ``clustering_owed`` marks that the import writes with its asset rows
       (:func:`catalog.importing.owed_work.complete_owed_clustering` settles them);
    2. then, as a safety net for writers that keep no marks, timed assets that no session holds,
       re-clustered by span, one unit of work per user (lock order: stream lock first).
    """
    summaries = await owed_work.complete_owed_clustering(factory)
    covered = sum(summary.assets_considered for summary in summaries)
    async with factory() as session:
        rows = (
            await session.execute(
                select(Asset.user_id, Asset.id)
                .where(Asset.created_at.is_not(None), Asset.session_id.is_(None))
                .limit(UNCLUSTERED_BATCH)
            )
        ).all()
    by_user: dict[uuid.UUID, list[uuid.UUID]] = {}
    for owner_id, asset_id in rows:
        by_user.setdefault(owner_id, []).append(asset_id)
    for owner_id, asset_ids in sorted(by_user.items()):
        async with unit_of_work(factory) as session:
            await lock_user_library(session, owner_id)
            await recluster_span(session, owner_id, asset_ids)
    return covered + len(rows)


async def heal_owed_catalog_work(ctx: dict[str, Any]) -> dict[str, int]:
    """Find and do the catalog's owed work (the worker's cron, every 30 s and at start-up):

    - clustering owed (:func:`complete_owed_clustering`), except while an ``embed_prompts`` run is
      embedding (it settles its own marks when it ends, and any other mark is settled at the next
      tick after it);
    - libraries described by an earlier engine: a re-description is queued per user
      (:func:`queue_owed_redescriptions`), except users backing off from a failed one (counted in
      ``redescriptions_backing_off``; not logged on its own, as it holds for hours);
    - missing thumbnails, made here within :data:`HEAL_BUDGET_SECONDS` (the next tick goes on);
    - prompts without embeddings: an ``embed_prompts`` job is queued (one per minute at most).

    One healer at a time across all workers (a PostgreSQL advisory lock): ticks that find another
    healer running end at once. Duplicated work with queued jobs is harmless (every
    step is idempotent) and only costs time.
    """
    async with _session_lock(ctx["session_factory"], HEAL_LOCK_KEY) as only_healer:
        if not only_healer:
            return {"skipped": 1}
        return await _heal(ctx)


async def _heal(ctx: dict[str, Any]) -> dict[str, int]:
    factory: SessionFactory = ctx["session_factory"]
    settings: AtelierSettings = ctx["settings"]
    # an embedding run settles the marks it writes when it ends (re-clustering them at every tick
    # would redo each user's whole history every 30 s while it embeds)
    embedding = await _held_by_a_session(factory, EMBED_LOCK_KEY)
    clustered = 0 if embedding else await complete_owed_clustering(factory)
    redescriptions_queued = await queue_owed_redescriptions(ctx)
    async with factory() as session:
        redescriptions_backing_off = await count_redescriptions_backing_off(session)
    await owed_work.retry_failed_thumbnails(factory)  # failures met by another decoder are owed again
    thumbnails = await backfill_thumbnails(ctx, budget_seconds=HEAL_BUDGET_SECONDS)
    embeddings_queued = 0
    if settings.prompt_embeddings:
        async with factory() as session:
            owed = await prompts_without_embedding(session, limit=1)
        if owed:
            redis: ArqRedis = ctx["redis"]
            minute = datetime.now(UTC).strftime("%Y%m%d%H%M")
            job = await redis.enqueue_job("embed_prompts", _job_id=f"embed_prompts:heal:{minute}")
            embeddings_queued = int(job is not None)
    if clustered or thumbnails or embeddings_queued or redescriptions_queued:
        log.info(
            "healed owed work: %d assets clustered, %d thumbnails made, embeddings queued: %d, "
            "libraries queued for re-description: %d (%d backing off after failures)",
            clustered,
            thumbnails,
            embeddings_queued,
            redescriptions_queued,
            redescriptions_backing_off,
        )
    return {
        "clustered": clustered,
        "thumbnails": thumbnails,
        "embeddings_queued": embeddings_queued,
        "redescriptions_queued": redescriptions_queued,
        "redescriptions_backing_off": redescriptions_backing_off,
    }


CATALOG_FUNCTIONS: tuple[Function, ...] = (
    func(
        retry_transient(make_thumbnails),
        name="make_thumbnails",
        timeout=THUMBNAIL_JOB_TIMEOUT_SECONDS,
        keep_result=0,  # id derived from the assets: the same chunk may be queued again after a run
        max_tries=TRANSIENT_MAX_TRIES,
    ),
    func(
        retry_transient(backfill_thumbnails),
        name="backfill_thumbnails",
        timeout=BACKFILL_JOB_TIMEOUT_SECONDS,
        keep_result=0,
        max_tries=TRANSIENT_MAX_TRIES,
    ),
    func(
        retry_transient(embed_prompts),
        name="embed_prompts",
        timeout=EMBED_JOB_TIMEOUT_SECONDS,
        keep_result=0,
        max_tries=TRANSIENT_MAX_TRIES,
    ),
    func(
        # the outcome is recorded for viewer.calibration.reclusterState (arq keeps no result of it)
        recording_recluster_outcome(
            retry_transient(recluster_user_job),
            max_tries=TRANSIENT_MAX_TRIES,
            timeout_seconds=RECLUSTER_JOB_TIMEOUT_SECONDS,
        ),
        name="recluster_user_job",
        timeout=RECLUSTER_JOB_TIMEOUT_SECONDS,
        keep_result=0,
        max_tries=TRANSIENT_MAX_TRIES,
    ),
    func(
        # a failure is recorded on the user: the healing tick backs off (arq keeps no result of it)
        recording_redescription_failures(retry_transient(redescribe_user_job), max_tries=TRANSIENT_MAX_TRIES),
        name="redescribe_user_job",
        timeout=RECLUSTER_JOB_TIMEOUT_SECONDS,
        keep_result=0,  # the id is fixed per user and engine version: a failed run can be queued again
        max_tries=TRANSIENT_MAX_TRIES,
    ),
)
"""The catalog's jobs with their options (timeout, no kept result, transient retries)."""
