"""Re-clustering writes only what changed, and what it keeps is the same as a fresh clustering.

Real PostgreSQL: ``xmin`` (the transaction that wrote a row version) shows whether a row was
rewritten. The equivalence checks compare a library re-clustered in place (phases reused by ordinal,
unchanged assets skipped, lineage edges diffed) with the same records clustered from scratch for
another user, by record ids, so the bookkeeping of identities can never change an outcome.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from bench.recluster_bench import one_artist_history
from catalog.database import SessionFactory, unit_of_work
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.models import User, UserCalibration
from catalog.sessions.reclustering import recluster_user
from catalog.settings import AtelierSettings
from engine.record_codec import record_to_json
from engine.records import GenerationRecord

RECORDS = 900


def _write(path: Path, records: list[GenerationRecord]) -> Path:
    path.write_text("".join(json.dumps(record_to_json(record)) + "\n" for record in records))
    return path


async def _import(factory: SessionFactory, settings: AtelierSettings, user: str, path: Path) -> uuid.UUID:
    await import_paths(factory, settings, user_handle=user, paths=[path], thumbnails=ThumbnailMode.SKIP)
    async with factory() as db:
        user_id = await db.scalar(select(User.id).where(User.handle == user))
    assert user_id is not None
    return user_id


async def _row_versions(factory: SessionFactory, user_id: uuid.UUID) -> dict[str, dict[uuid.UUID, Any]]:
    """Row id → (xmin, values) of the user's assets, phases and lineage edges."""
    async with factory() as db:
        assets = await db.execute(
            text("SELECT id, xmin::text, session_id, phase_id FROM assets WHERE user_id = :u"), {"u": user_id}
        )
        phases = await db.execute(
            text(
                "SELECT p.id, p.xmin::text, p.session_id, p.ordinal FROM phases p "
                "JOIN sessions s ON s.id = p.session_id WHERE s.user_id = :u"
            ),
            {"u": user_id},
        )
        edges = await db.execute(
            text(
                "SELECT id, xmin::text, parent_asset_id, child_asset_id FROM lineage_edges WHERE user_id = :u"
            ),
            {"u": user_id},
        )
        sessions = await db.execute(
            text("SELECT id, xmin::text, updated_at FROM sessions WHERE user_id = :u"), {"u": user_id}
        )
        return {
            name: {row[0]: tuple(row[1:]) for row in result.all()}
            for name, result in (
                ("assets", assets),
                ("phases", phases),
                ("edges", edges),
                ("sessions", sessions),
            )
        }


def _sessions_changed(before: dict[str, dict[uuid.UUID, Any]], after: dict[str, dict[uuid.UUID, Any]]) -> int:
    """Sessions that exist after and were created, rewritten, or gained, lost or changed a phase or
    a member, worked out from the rows alone (what a re-clustering's ``sessions_written`` must say)."""
    touched: set[uuid.UUID] = set()
    for session_id, version in after["sessions"].items():
        if before["sessions"].get(session_id) != version:
            touched.add(session_id)
    for phase_id in before["phases"].keys() | after["phases"].keys():
        old, new = before["phases"].get(phase_id), after["phases"].get(phase_id)
        if old != new:
            touched.update(each[1] for each in (old, new) if each is not None)
    for asset_id, new in after["assets"].items():
        old = before["assets"].get(asset_id)
        if old is None or old[1:] != new[1:]:
            touched.update(each for each in (old and old[1], new[1]) if each is not None)
    return len(touched & after["sessions"].keys())


async def _clustering_by_record(factory: SessionFactory, user_id: uuid.UUID) -> dict[str, Any]:
    """The user's sessions, phases and edges in record ids only (comparable across users), after
    checking the stored bookkeeping is consistent: every phase's count and times match its assets,
    ordinals run 0..n-1 per session, no phase is empty, every phased asset is in the phase's session."""
    async with factory() as db:
        assets = (
            await db.execute(
                text("SELECT id, record_id, session_id, phase_id, created_at FROM assets WHERE user_id = :u"),
                {"u": user_id},
            )
        ).all()
        phases = (
            await db.execute(
                text(
                    "SELECT p.id, p.session_id, p.ordinal, p.intent, p.label, p.asset_count, p.started_at, "
                    "p.ended_at FROM phases p JOIN sessions s ON s.id = p.session_id WHERE s.user_id = :u"
                ),
                {"u": user_id},
            )
        ).all()
        sessions = (
            await db.execute(
                text("SELECT id, label, intent, asset_count FROM sessions WHERE user_id = :u"), {"u": user_id}
            )
        ).all()
        edges = (
            await db.execute(
                text(
                    "SELECT p.record_id, c.record_id, e.kind, e.confidence FROM lineage_edges e "
                    "JOIN assets p ON p.id = e.parent_asset_id JOIN assets c ON c.id = e.child_asset_id "
                    "WHERE e.user_id = :u"
                ),
                {"u": user_id},
            )
        ).all()
    members: dict[uuid.UUID, set[str]] = {}
    phase_members: dict[uuid.UUID, list[Any]] = {}
    for _, record_id, session_id, phase_id, created_at in assets:
        if session_id is not None:
            members.setdefault(session_id, set()).add(record_id)
        if phase_id is not None:
            phase_members.setdefault(phase_id, []).append((created_at, session_id, record_id))
    ordinals: dict[uuid.UUID, list[int]] = {}
    for phase_id, session_id, ordinal, _, _, count, started, ended in phases:
        phased = phase_members.get(phase_id, [])
        assert len(phased) == count > 0, f"phase {phase_id}: {len(phased)} assets, count {count}"
        assert {each[1] for each in phased} == {session_id}
        assert (min(each[0] for each in phased), max(each[0] for each in phased)) == (started, ended)
        ordinals.setdefault(session_id, []).append(ordinal)
    assert all(sorted(found) == list(range(len(found))) for found in ordinals.values())
    assert {row[0] for row in sessions} == set(members)
    assert all(len(members[row[0]]) == row[3] for row in sessions)
    return {
        "sessions": {
            frozenset(members[session_id]): (label, intent) for session_id, label, intent, _ in sessions
        },
        "phases": {
            frozenset(each[2] for each in phase_members[phase_id]): (ordinal, intent, label)
            for phase_id, _, ordinal, intent, label, _, _, _ in phases
        },
        "edges": sorted(tuple(edge) for edge in edges),
    }


async def _set_offset(factory: SessionFactory, user_id: uuid.UUID, offset: float) -> None:
    async with unit_of_work(factory) as db:
        calibration = await db.get(UserCalibration, user_id)
        if calibration is None:
            db.add(UserCalibration(user_id=user_id, threshold_offset=offset, correction_count=1))
        else:
            calibration.threshold_offset = offset


async def test_re_clustering_an_unchanged_library_rewrites_no_row(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    user_id = await _import(
        session_factory, settings, "artist", _write(tmp_path / "r.jsonl", one_artist_history(RECORDS))
    )
    before = await _row_versions(session_factory, user_id)
    assert before["phases"] and before["edges"] and any(v[1] for v in before["assets"].values())

    async with unit_of_work(session_factory) as db:
        summary = await recluster_user(db, user_id)
    assert summary.sessions_created == summary.sessions_deleted == summary.sessions_written == 0

    assert await _row_versions(session_factory, user_id) == before


async def test_re_clustering_in_place_ends_as_a_fresh_clustering_of_the_same_records(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Coarser, then finer: sessions merge and split, so stored phases are reused by ordinal for
    different members, some left over and deleted, others added; new records in the middle then
    change a span. Each end state equals the same records clustered from scratch at that offset."""
    records = one_artist_history(RECORDS)
    middle = records[RECORDS // 3 : RECORDS // 3 + 60]
    rest = [record for record in records if record not in middle]
    in_place = await _import(session_factory, settings, "in-place", _write(tmp_path / "rest.jsonl", rest))

    for number, offset in enumerate((2.0, -1.5)):
        await _set_offset(session_factory, in_place, offset)
        before = await _row_versions(session_factory, in_place)
        async with unit_of_work(session_factory) as db:
            summary = await recluster_user(db, in_place)
        after = await _row_versions(session_factory, in_place)
        assert 0 < summary.sessions_written == _sessions_changed(before, after) < len(after["sessions"])
        rest_file = _write(tmp_path / "rest.jsonl", rest)
        fresh = await _import(session_factory, settings, f"fresh-{number}", rest_file)
        await _set_offset(session_factory, fresh, offset)
        async with unit_of_work(session_factory) as db:
            await recluster_user(db, fresh)
        assert await _clustering_by_record(session_factory, in_place) == await _clustering_by_record(
            session_factory, fresh
        )

    before = await _row_versions(session_factory, in_place)
    report = await import_paths(
        session_factory,
        settings,
        user_handle="in-place",
        paths=[_write(tmp_path / "middle.jsonl", middle)],
        thumbnails=ThumbnailMode.SKIP,
    )
    after = await _row_versions(session_factory, in_place)
    assert 0 < report.sessions_touched == _sessions_changed(before, after) < len(after["sessions"])
    fresh = await _import(session_factory, settings, "fresh-all", _write(tmp_path / "all.jsonl", records))
    await _set_offset(session_factory, fresh, -1.5)
    async with unit_of_work(session_factory) as db:
        await recluster_user(db, fresh)
    assert await _clustering_by_record(session_factory, in_place) == await _clustering_by_record(
        session_factory, fresh
    )


async def test_a_whole_re_clustering_after_new_work_rewrites_no_session_for_a_confidence_that_barely_moved(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Work appended after a library moves the artist's statistics a little, so the engine's boundary
    confidences of old sessions move in their last digits: a whole re-clustering rewrote those rows
    (``updated_at`` with them) though nothing an artist could see had changed."""
    records = one_artist_history(RECORDS)
    user_id = await _import(session_factory, settings, "artist", _write(tmp_path / "r.jsonl", records))
    times = sorted(record.created_at for record in records if record.created_at is not None)
    evening = [
        GenerationRecord(
            **{name: getattr(record, name) for name in GenerationRecord.__slots__}
            | {"id": f"new-{index:03d}", "user": None, "created_at": times[-1] + timedelta(minutes=index + 1)}
        )
        for index, record in enumerate(records[:100])
    ]
    await _import(session_factory, settings, "artist", _write(tmp_path / "new.jsonl", evening))
    before = await _row_versions(session_factory, user_id)

    async with unit_of_work(session_factory) as db:
        summary = await recluster_user(db, user_id)

    after = await _row_versions(session_factory, user_id)
    assert summary.sessions_written == _sessions_changed(before, after)
    assert {key: after["sessions"][key] for key in before["sessions"]} == before["sessions"]
