"""Re-describing a library after an engine upgrade: descriptions become this engine's, sessions stay.

"An earlier engine" is made by hand on a real library: every session and phase label replaced, the
lineage dropped, the user's description version cleared. The learned offset is moved too, so that a
re-clustering *would* change the sessions — the re-description must not.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from arq import create_pool
from arq.connections import RedisSettings
from sqlalchemy import select, text

from bench.recluster_bench import one_artist_history
from catalog.database import SessionFactory, unit_of_work
from catalog.models import Asset, Session, User
from catalog.sessions.corrections import move_assets, relabel_session, split_session
from catalog.sessions.reclustering import recluster_user
from catalog.settings import AtelierSettings
from catalog.tasks import queue_owed_redescriptions, redescribe_user_job
from engine.analysis import DESCRIPTION_VERSION
from tests.catalog.test_recluster_writes import RECORDS, _clustering_by_record, _import, _set_offset, _write

OLD_LABEL = "Described by an earlier engine"


async def _as_if_described_by_an_earlier_engine(factory: SessionFactory, user_id: uuid.UUID) -> None:
    async with unit_of_work(factory) as db:
        await db.execute(
            text("UPDATE sessions SET label = :old WHERE user_id = :u AND NOT label_pinned"),
            {"old": OLD_LABEL, "u": user_id},
        )
        await db.execute(
            text(
                "UPDATE phases SET label = :old, intent = 'exploration' "
                "WHERE session_id IN (SELECT id FROM sessions WHERE user_id = :u)"
            ),
            {"old": OLD_LABEL, "u": user_id},
        )
        await db.execute(text("DELETE FROM lineage_edges WHERE user_id = :u"), {"u": user_id})
        await db.execute(
            text("UPDATE users SET sessions_described_with = NULL WHERE id = :u"), {"u": user_id}
        )


async def _memberships(factory: SessionFactory, user_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID | None]:
    async with factory() as db:
        rows = await db.execute(select(Asset.id, Asset.session_id).where(Asset.user_id == user_id))
        return {asset_id: session_id for asset_id, session_id in rows.all()}


async def _described_with(factory: SessionFactory, user_id: uuid.UUID) -> int | None:
    async with factory() as db:
        return await db.scalar(select(User.sessions_described_with).where(User.id == user_id))


async def test_re_description_writes_this_engines_descriptions_and_keeps_every_session(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    records = _write(tmp_path / "r.jsonl", one_artist_history(RECORDS))
    upgraded = await _import(session_factory, settings, "upgraded", records)
    assert await _described_with(session_factory, upgraded) == DESCRIPTION_VERSION  # new users are current
    as_described_now = await _clustering_by_record(session_factory, upgraded)
    sessions_before = await _memberships(session_factory, upgraded)
    await _as_if_described_by_an_earlier_engine(session_factory, upgraded)
    await _set_offset(session_factory, upgraded, 2.0)  # a re-clustering would now merge sessions
    assert await _clustering_by_record(session_factory, upgraded) != as_described_now

    async with unit_of_work(session_factory) as db:
        summary = await recluster_user(db, upgraded, keep_sessions=True)

    assert summary.sessions_created == summary.sessions_deleted == 0
    assert await _memberships(session_factory, upgraded) == sessions_before  # same sessions, same ids
    assert await _clustering_by_record(session_factory, upgraded) == as_described_now
    assert await _described_with(session_factory, upgraded) == DESCRIPTION_VERSION

    async with unit_of_work(session_factory) as db:  # the pins are what kept them: a re-cluster merges
        merged = await recluster_user(db, upgraded)
    assert merged.sessions_deleted > 0


async def test_re_description_keeps_the_artists_corrections_and_labels(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    user_id = await _import(
        session_factory, settings, "corrected", _write(tmp_path / "r.jsonl", one_artist_history(RECORDS))
    )
    async with session_factory() as db:
        by_size = select(Session).where(Session.user_id == user_id).order_by(Session.asset_count.desc())
        largest, second = (await db.scalars(by_size.limit(2))).all()
        members = select(Asset.id).where(Asset.session_id == largest.id).order_by(Asset.created_at)
        split_at = (await db.scalars(members)).all()[largest.asset_count // 2]
        moved = (await db.scalars(members)).all()[1]  # into another session, far from its neighbours
    async with unit_of_work(session_factory) as db:
        await split_session(db, user_id, largest.id, split_at)
        await relabel_session(db, user_id, second.id, "Harbour studies for the mural")
        await move_assets(db, user_id, [moved], second.id)
    corrected = await _clustering_by_record(session_factory, user_id)
    sessions_before = await _memberships(session_factory, user_id)
    await _as_if_described_by_an_earlier_engine(session_factory, user_id)

    async with unit_of_work(session_factory) as db:
        await recluster_user(db, user_id, keep_sessions=True)

    assert await _memberships(session_factory, user_id) == sessions_before
    assert await _clustering_by_record(session_factory, user_id) == corrected
    async with session_factory() as db:
        relabelled = await db.get(Session, second.id)
        assert relabelled is not None and relabelled.label == "Harbour studies for the mural"


async def test_the_worker_re_describes_each_library_of_an_earlier_engine_once(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    records = _write(tmp_path / "r.jsonl", one_artist_history(300))
    stale = await _import(session_factory, queue_settings, "stale", records)
    current = await _import(session_factory, queue_settings, "current", records)
    as_described_now = await _clustering_by_record(session_factory, stale)
    await _as_if_described_by_an_earlier_engine(session_factory, stale)
    pool = await create_pool(RedisSettings.from_dsn(queue_settings.redis_url or ""))
    ctx = {"session_factory": session_factory, "settings": queue_settings, "redis": pool}
    try:
        assert await queue_owed_redescriptions(ctx) == 1  # the stale library only
        assert await queue_owed_redescriptions(ctx) == 0  # already queued: not doubled
        queued = [job.args for job in await pool.queued_jobs()]
        assert queued == [(str(stale),)]

        assert await redescribe_user_job(ctx, str(stale)) > 0  # in its child process
        assert await redescribe_user_job(ctx, str(stale)) == 0  # described now: nothing to do
        assert await redescribe_user_job(ctx, str(current)) == 0
    finally:
        await pool.aclose()
    assert await _clustering_by_record(session_factory, stale) == as_described_now
    assert await _described_with(session_factory, stale) == DESCRIPTION_VERSION
