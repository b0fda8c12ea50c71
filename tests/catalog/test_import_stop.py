"""An import asked to stop (``atelier import`` on Ctrl-C or SIGTERM) stops at a safe point: what it
stored is kept and owed, the report says what was left, and the next import completes everything."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from catalog.database import SessionFactory
from catalog.importing.file_reading import CHUNK_FILES, PROCESS_POOL_THRESHOLD_FILES
from catalog.importing.service import ImportReport, ThumbnailMode, import_paths
from catalog.models import Asset, ClusteringOwed, Session
from catalog.settings import AtelierSettings
from tests.hostile_files import image_bytes


def _write_images(folder: Path, count: int) -> None:
    """``count`` images 20 s apart (one working session by their mtimes)."""
    folder.mkdir(parents=True)
    base = time.time() - 3 * 3600
    for index in range(count):
        path = folder / f"img_{index:04}.png"
        path.write_bytes(image_bytes(seed=index))
        os.utime(path, (base + index * 20, base + index * 20))


async def _counts(factory: SessionFactory) -> dict[str, int]:
    async with factory() as session:

        async def count(statement: object) -> int:
            return int(await session.scalar(statement) or 0)  # type: ignore[call-overload]

        return {
            "assets": await count(select(func.count()).select_from(Asset)),
            "owed": await count(select(func.count()).select_from(ClusteringOwed)),
            "without_session": await count(select(func.count()).where(Asset.session_id.is_(None))),
            "without_thumbnail": await count(
                select(func.count()).where(Asset.thumbnail_sha256.is_(None), Asset.file_path.is_not(None))
            ),
            "sessions": await count(select(func.count()).select_from(Session)),
        }


async def _import(
    factory: SessionFactory,
    settings: AtelierSettings,
    folder: Path,
    *,
    stop: asyncio.Event | None = None,
    stop_after_files: int | None = None,
    stop_after_thumbnails: int | None = None,
) -> ImportReport:
    def files(count: int) -> None:
        files.seen += count  # type: ignore[attr-defined]
        if stop is not None and stop_after_files is not None and files.seen >= stop_after_files:  # type: ignore[attr-defined]
            stop.set()

    files.seen = 0  # type: ignore[attr-defined]

    def thumbnails(done: int, total: int, failed: int) -> None:
        if stop is not None and stop_after_thumbnails is not None and done >= stop_after_thumbnails:
            stop.set()

    return await import_paths(
        factory,
        settings,
        user_handle="artist",
        paths=[folder],
        progress=files,
        thumbnails=ThumbnailMode.AFTER_SESSIONS,
        thumbnail_progress=thumbnails,
        stop=stop,
    )


async def _completed_by_the_next_import(
    factory: SessionFactory, settings: AtelierSettings, folder: Path, *, assets: int
) -> None:
    again = await _import(factory, settings, folder)
    assert not again.interrupted and again.files_not_read == 0
    after = await _counts(factory)
    assert after["assets"] == assets
    assert (after["owed"], after["without_session"], after["without_thumbnail"]) == (0, 0, 0)
    async with factory() as session:
        members = dict(
            (await session.execute(select(Asset.session_id, func.count()).group_by(Asset.session_id))).all()
        )
        sessions = dict((await session.execute(select(Session.id, Session.asset_count))).all())
    assert members == sessions  # each asset in exactly one session, the counts agree


@pytest.mark.parametrize("images", [200, 600], ids=["read-in-threads", "read-on-the-pool"])
async def test_a_stop_while_reading_stores_what_was_read_and_leaves_the_rest(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path, images: int
) -> None:
    assert CHUNK_FILES < 200 < PROCESS_POOL_THRESHOLD_FILES < 600  # two chunks here; five there, on the pool
    folder = tmp_path / "images"
    _write_images(folder, images)
    small_batches = settings.model_copy(update={"import_batch_size": 50})

    report = await _import(session_factory, small_batches, folder, stop=asyncio.Event(), stop_after_files=50)

    assert report.interrupted
    stored = report.imported
    assert stored == CHUNK_FILES  # the chunk read when the stop came is stored, no other is read
    assert report.files_not_read == images - stored
    assert len(report.files) == stored  # a file left unread has no outcome
    assert report.summary_json()["interrupted"] is True
    assert report.summary_json()["files_not_read"] == images - stored
    assert report.reclustering == [] and report.thumbnails_made == 0
    left = await _counts(session_factory)
    # everything stored is kept and owes its re-clustering; nothing was clustered after the stop
    assert left["assets"] == left["owed"] == left["without_session"] == stored
    assert left["sessions"] == 0

    await _completed_by_the_next_import(session_factory, settings, folder, assets=images)


async def test_a_stop_during_the_thumbnails_keeps_the_sessions_and_the_thumbnails_made(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "images"
    _write_images(folder, 70)  # three chunks of thumbnails, in this process (under the pool's threshold)

    report = await _import(session_factory, settings, folder, stop=asyncio.Event(), stop_after_thumbnails=1)

    assert report.interrupted and report.files_not_read == 0 and report.imported == 70
    assert report.reclustering and report.visual_reclustering == []
    assert 0 < report.thumbnails_made < 70
    left = await _counts(session_factory)
    # the sessions were committed before the stop; the thumbnails made are stored (and owe the
    # re-clustering with their descriptors); the others are still to be made
    assert left["without_session"] == 0 and left["sessions"] >= 1
    assert left["without_thumbnail"] == 70 - report.thumbnails_made
    assert left["owed"] == report.thumbnails_made

    await _completed_by_the_next_import(session_factory, settings, folder, assets=70)


async def test_a_stop_asked_before_reading_keeps_only_the_first_chunk_and_no_record_file(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "images"
    _write_images(folder, 5)
    (folder / "records.jsonl").write_text('{"id": "r1", "created_at": "2026-01-01T10:00:00+00:00"}\n')
    stop = asyncio.Event()
    stop.set()

    report = await _import(session_factory, settings, folder, stop=stop)

    # the chunk being read when the stop was seen is stored; the record file is not read
    assert report.interrupted and report.records_imported == 0
    assert report.files_not_read == 6 - report.imported
    assert (await _counts(session_factory))["owed"] == report.imported

    await _completed_by_the_next_import(session_factory, settings, folder, assets=6)


async def test_an_import_that_is_not_stopped_is_not_interrupted(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "images"
    _write_images(folder, 12)

    report = await _import(session_factory, settings, folder, stop=asyncio.Event())

    assert not report.interrupted and report.files_not_read == 0 and report.imported == 12
    assert report.summary_json()["interrupted"] is False
    assert (await _counts(session_factory))["owed"] == 0
