"""Crash consistency (issue 10 item 4): an asset is never committed without its re-clustering being
owed, and the next import completes whatever an interrupted one left — sessions and thumbnails —
even when every file is then already known."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import and_, func, select
from sqlalchemy.dialects import postgresql

from catalog.database import SessionFactory, unit_of_work
from catalog.importing import owed_work
from catalog.importing.owed_work import complete_owed_clustering
from catalog.importing.owed_work_repository import OWES_THUMBNAIL, mark_clustering_owed
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.models import Asset, ClusteringOwed, Session
from catalog.settings import AtelierSettings
from tests.hostile_files import image_bytes


class SimulatedCrash(Exception):
    pass


def _write_images(folder: Path, count: int, *, first_seed: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (folder / f"img_{first_seed + index:04}.png").write_bytes(image_bytes(seed=first_seed + index))


async def _counts(factory: SessionFactory) -> dict[str, int]:
    async with factory() as session:
        return {
            "assets": int(await session.scalar(select(func.count()).select_from(Asset)) or 0),
            "owed": int(await session.scalar(select(func.count()).select_from(ClusteringOwed)) or 0),
            "without_session": int(
                await session.scalar(
                    select(func.count()).where(Asset.created_at.is_not(None), Asset.session_id.is_(None))
                )
                or 0
            ),
            "without_thumbnail": int(
                await session.scalar(select(func.count()).where(Asset.thumbnail_sha256.is_(None))) or 0
            ),
            "sessions": int(await session.scalar(select(func.count()).select_from(Session)) or 0),
        }


async def test_rows_committed_before_a_crash_stay_owed_and_the_next_import_completes_them(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "images"
    _write_images(folder, 30)
    small_batches = settings.model_copy(update={"import_batch_size": 7})
    real_complete = owed_work.complete_owed_clustering
    calls: list[uuid.UUID | None] = []

    async def crash_at_the_end(factory: SessionFactory, user_id: uuid.UUID | None = None) -> Any:
        calls.append(user_id)
        if len(calls) > 1:  # the start-of-import call passes; the one after storing "dies"
            raise SimulatedCrash
        return await real_complete(factory, user_id)

    monkeypatch.setattr(owed_work, "complete_owed_clustering", crash_at_the_end)
    with pytest.raises(SimulatedCrash):
        await import_paths(
            session_factory, small_batches, user_handle="ada", paths=[folder], thumbnails=ThumbnailMode.SKIP
        )
    monkeypatch.undo()

    orphaned = await _counts(session_factory)
    assert orphaned["assets"] == 30 and orphaned["owed"] == 30  # every committed asset is owed
    assert orphaned["without_session"] == 30 and orphaned["without_thumbnail"] == 30

    again = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])

    assert again.imported == 0 and again.already_known == 30
    assert again.sessions_touched > 0 and again.earlier_thumbnails_made == 30
    completed = await _counts(session_factory)
    assert completed["owed"] == completed["without_session"] == completed["without_thumbnail"] == 0
    assert completed["sessions"] > 0


async def test_complete_owed_clustering_serves_every_user_and_is_idempotent(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    for handle in ("ada", "bob"):
        _write_images(tmp_path / handle, 5, first_seed=100 if handle == "bob" else 0)
        await import_paths(
            session_factory, settings, user_handle=handle, paths=[tmp_path / handle], make_thumbnails=False
        )
    async with unit_of_work(session_factory) as session:  # what a crash before re-clustering leaves
        rows = (await session.execute(select(Asset.id, Asset.user_id))).all()
        await session.execute(Session.__table__.delete())
        for asset_id, user_id in rows:
            await mark_clustering_owed(session, user_id, [asset_id])
    assert (await _counts(session_factory))["without_session"] == 10

    summaries = await complete_owed_clustering(session_factory, None)

    assert len(summaries) == 2 and {summary.assets_considered for summary in summaries} == {5}
    counts = await _counts(session_factory)
    assert counts["owed"] == counts["without_session"] == 0 and counts["sessions"] >= 2
    assert await complete_owed_clustering(session_factory, None) == []


def test_the_criteria_of_owing_a_thumbnail_are_the_partial_index_predicate() -> None:
    """Every path that selects assets owing a thumbnail uses ``OWES_THUMBNAIL``; the index that serves
    them must say the same (a criterion added to one and not the other reads the whole table)."""
    index = next(index for index in Asset.__table__.indexes if index.name == "ix_assets_missing_thumbnail")
    predicate = str(index.dialect_options["postgresql"]["where"])
    criteria = str(and_(*OWES_THUMBNAIL).compile(dialect=postgresql.dialect()))
    assert criteria.replace("assets.", "") == predicate
