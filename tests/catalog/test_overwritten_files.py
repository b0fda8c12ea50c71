"""A file overwritten in place (same path, other bytes: a tool re-writing ``latest.png``, an artist
re-saving an edit) with the real database, real image files and a real watched folder: once the new
bytes are imported the catalog holds exactly one image for that path, the new one; the earlier image
leaves the library as a removal would take it (its session re-clustered, corrections naming it kept,
its unused thumbnail deleted) — but it is not remembered as removed, so its bytes come back if the
file does. Before, the earlier image stayed beside the new one, its bytes gone from the disk."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from catalog.assets.removal import assets_read_from, remove_assets
from catalog.database import SessionFactory, unit_of_work
from catalog.importing.outcomes import REMOVED_EARLIER_REASON, Outcome
from catalog.importing.service import ImportReport, ThumbnailMode, import_paths
from catalog.importing.watch import watch_folders
from catalog.models import Asset, RemovedRecord, Session, SessionConstraint, User
from catalog.sessions import corrections
from catalog.settings import AtelierSettings
from catalog.storage.local import LocalThumbnailStore
from tests.generated_copies import space_mtimes
from tests.hostile_files import image_bytes

MORNING = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
EVENING = datetime(2026, 3, 14, 20, 0, tzinfo=UTC)
INLINE: dict[str, Any] = {"thumbnails": ThumbnailMode.INLINE}
EARLIER_IMAGE_KEPT = "the image imported earlier from this file stays in the library"
"""``catalog.importing.outcomes.EARLIER_IMAGE_KEPT_NOTE``, spelt out: the note is what the artist reads."""


def _overwritten(report: ImportReport) -> int:
    """Images the import took out because their file now holds other bytes (``0`` where the report
    does not count them)."""
    return int(report.summary_json().get("overwritten", 0))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_evening(folder: Path, count: int = 4, *, seed: int = 0, start: datetime = EVENING) -> list[Path]:
    """``count`` distinct PNG files written 40 s apart, as a generator would have written them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"{start:%H%M}-{index:03d}.png"
        path.write_bytes(image_bytes(seed=seed + index, size=(64, 48)))
        paths.append(path)
    space_mtimes(paths, start=start)
    return paths


def _overwrite(path: Path, data: bytes, *, keep_mtime: bool = False) -> None:
    """Write ``data`` over ``path`` in place (same inode, as a tool re-saving the file does)."""
    before = path.stat()
    with path.open("r+b") as handle:
        handle.write(data)
        handle.truncate()
    if keep_mtime:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


async def _assets_by_path(factory: SessionFactory) -> dict[str, list[Asset]]:
    async with factory() as db:
        found: dict[str, list[Asset]] = {}
        for asset in await db.scalars(select(Asset).order_by(Asset.imported_at)):
            found.setdefault(str(asset.file_path), []).append(asset)
        return found


async def _user(factory: SessionFactory, handle: str = "ada") -> uuid.UUID:
    async with factory() as db:
        user_id = await db.scalar(select(User.id).where(User.handle == handle))
    assert user_id is not None
    return user_id


async def _sessions_are_whole(factory: SessionFactory) -> None:
    """Every timed image is in a session, and no session is left without images."""
    async with factory() as db:
        unclustered = await db.scalar(
            select(func.count()).where(Asset.created_at.is_not(None), Asset.session_id.is_(None))
        )
        empty = await db.scalar(
            select(func.count())
            .select_from(Session)
            .where(~select(Asset.id).where(Asset.session_id == Session.id).exists())
        )
    assert (unclustered, empty) == (0, 0)


async def test_an_import_after_an_overwrite_keeps_one_image_for_the_path_and_deletes_the_old_thumbnail(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    paths = _write_evening(folder)
    latest = paths[1]
    first = await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)
    assert first.imported == 4
    (old,) = (await _assets_by_path(session_factory))[str(latest)]
    assert old.thumbnail_sha256 is not None
    store = LocalThumbnailStore(settings.thumbnails_dir)
    assert store.exists(old.thumbnail_sha256)

    new_bytes = image_bytes(seed=99, size=(64, 48))
    _overwrite(latest, new_bytes)
    again = await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)

    by_path = await _assets_by_path(session_factory)
    assert [asset.content_sha256 for asset in by_path[str(latest)]] == [_digest(new_bytes)]
    assert sum(len(assets) for assets in by_path.values()) == 4
    outcomes = {Path(item.path).name: item.outcome for item in again.files}
    assert outcomes[latest.name] is Outcome.IMPORTED
    assert (again.imported, again.already_known, _overwritten(again)) == (1, 3, 1)
    assert again.overwritten_asset_ids == [old.id]
    assert again.summary_json()["overwritten"] == 1
    assert not store.exists(old.thumbnail_sha256)  # no image uses it any more
    new = by_path[str(latest)][0]
    assert new.thumbnail_sha256 is not None and store.exists(new.thumbnail_sha256)
    await _sessions_are_whole(session_factory)
    async with session_factory() as db:  # the artist did not remove it: nothing remembers it as removed
        assert await db.scalar(select(func.count()).select_from(RemovedRecord)) == 0

    third = await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)
    assert (third.imported, third.already_known, _overwritten(third)) == (0, 4, 0)


async def test_rewriting_the_same_bytes_changes_nothing(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    paths = _write_evening(folder)
    await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)
    before = {
        path: [asset.id for asset in assets]
        for path, assets in (await _assets_by_path(session_factory)).items()
    }

    _overwrite(paths[2], paths[2].read_bytes())  # same bytes, a new mtime
    again = await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)

    assert (again.imported, again.already_known, _overwritten(again)) == (0, 4, 0)
    after = {
        path: [asset.id for asset in assets]
        for path, assets in (await _assets_by_path(session_factory)).items()
    }
    assert after == before


async def test_the_old_bytes_written_back_are_imported_again(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """An edit undone: the first bytes return to the file. They were never removed by the artist, so
    they come back (not ``ignored`` as removed earlier), and the edit's image goes."""
    folder = tmp_path / "outputs"
    latest = _write_evening(folder)[0]
    original = latest.read_bytes()
    await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)
    edited = image_bytes(seed=77, size=(64, 48))
    _overwrite(latest, edited)
    await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)

    _overwrite(latest, original)
    undone = await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)

    outcome = next(item for item in undone.files if item.path == str(latest))
    assert (outcome.outcome, outcome.reason) == (Outcome.IMPORTED, None)
    by_path = await _assets_by_path(session_factory)
    assert [asset.content_sha256 for asset in by_path[str(latest)]] == [_digest(original)]
    assert _overwritten(undone) == 1


async def test_a_file_moved_away_and_replaced_keeps_its_image_at_the_new_name(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """``latest.png`` renamed to ``v1.png`` and a new ``latest.png`` written: the first image still
    exists (now ``v1.png``), so it stays, read from there; the new bytes are a new image."""
    folder = tmp_path / "outputs"
    latest = _write_evening(folder)[3]
    kept_bytes = latest.read_bytes()
    await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)
    (old,) = (await _assets_by_path(session_factory))[str(latest)]
    moved = latest.rename(folder / "v1.png")
    new_bytes = image_bytes(seed=55, size=(64, 48))
    latest.write_bytes(new_bytes)

    again = await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)

    by_path = await _assets_by_path(session_factory)
    assert [(asset.id, asset.content_sha256) for asset in by_path[str(moved)]] == [
        (old.id, _digest(kept_bytes))
    ]
    assert [asset.content_sha256 for asset in by_path[str(latest)]] == [_digest(new_bytes)]
    assert (again.imported, _overwritten(again)) == (1, 0)


async def test_a_file_overwritten_with_something_unreadable_says_the_earlier_image_stays(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """Bytes that cannot be read prove nothing about the image (a permission, a disk error, a writer
    still at work): the earlier image is kept, and the problem says so instead of staying silent."""
    folder = tmp_path / "outputs"
    latest = _write_evening(folder)[0]
    await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)
    (old,) = (await _assets_by_path(session_factory))[str(latest)]
    _overwrite(latest, b"this is not an image at all, whatever its name says\n" * 4)

    again = await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)

    outcome = next(item for item in again.files if item.path == str(latest))
    assert outcome.outcome is Outcome.PROBLEM
    assert outcome.reason is not None and outcome.reason.endswith(f"({EARLIER_IMAGE_KEPT})")
    assert [problem.reason for problem in again.problems] == [outcome.reason]
    assert [asset.id for asset in (await _assets_by_path(session_factory))[str(latest)]] == [old.id]

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "broken.png").write_bytes(b"not an image either\n")
    report = await import_paths(session_factory, settings, user_handle="ada", paths=[fresh], **INLINE)
    assert [problem.reason for problem in report.problems] == [report.files[0].reason]
    assert EARLIER_IMAGE_KEPT not in (report.files[0].reason or "")  # nothing was read from it before


async def test_a_merge_holds_when_the_image_at_its_gap_is_overwritten(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """The overwritten image goes as a removal takes it: the artist's merge of the morning and the
    evening (a correction naming the morning's last image) holds, re-anchored, and every session is
    described again."""
    folder = tmp_path / "outputs"
    morning = _write_evening(folder, seed=0, start=MORNING)
    evening = _write_evening(folder, seed=10, start=EVENING)
    await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)
    user_id = await _user(session_factory)
    by_path = await _assets_by_path(session_factory)
    morning_session = by_path[str(morning[0])][0].session_id
    evening_session = by_path[str(evening[0])][0].session_id
    assert morning_session is not None and evening_session is not None and morning_session != evening_session
    async with unit_of_work(session_factory) as db:
        await corrections.merge_sessions(db, user_id, [morning_session, evening_session])
    (gap_image,) = (await _assets_by_path(session_factory))[str(morning[-1])]
    naming = (
        select(func.count())
        .select_from(SessionConstraint)
        .where(
            (SessionConstraint.asset_a_id == gap_image.id) | (SessionConstraint.asset_b_id == gap_image.id)
        )
    )
    async with session_factory() as db:
        assert (await db.scalar(naming) or 0) >= 1

    _overwrite(morning[-1], image_bytes(seed=42, size=(64, 48)), keep_mtime=True)
    again = await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)

    by_path = await _assets_by_path(session_factory)
    assert all(len(assets) == 1 for assets in by_path.values()) and len(by_path) == 8
    assert _overwritten(again) == 1
    assert len({assets[0].session_id for assets in by_path.values()}) == 1  # the merge holds
    async with session_factory() as db:
        assert await db.scalar(naming) == 0
    await _sessions_are_whole(session_factory)


async def _watch_while(
    factory: SessionFactory,
    settings: AtelierSettings,
    folder: Path,
    write: Callable[[], Awaitable[None]],
    done: Callable[[list[ImportReport]], bool],
) -> list[ImportReport]:
    """Watch ``folder`` (settling in 0.3 s) while ``write`` runs, until ``done(reports)`` or 20 s."""
    stop = asyncio.Event()
    reports: list[ImportReport] = []
    watcher = asyncio.create_task(
        watch_folders(
            factory,
            settings,
            "ada",
            [folder],
            stop_event=stop,
            thumbnails=ThumbnailMode.INLINE,
            settle_seconds=0.3,
            on_import=reports.append,
        )
    )
    try:
        await asyncio.sleep(0.3)
        await write()
        for _ in range(200):
            if done(reports):
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(watcher, timeout=30)
    return reports


async def test_a_watched_file_overwritten_in_place_keeps_one_image_for_its_path(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    latest = _write_evening(folder)[0]
    await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)
    new_bytes = image_bytes(seed=123, size=(64, 48))

    async def overwrite() -> None:
        _overwrite(latest, new_bytes)

    reports = await _watch_while(
        session_factory, settings, folder, overwrite, lambda reports: sum(r.imported for r in reports) >= 1
    )

    assert sum(report.imported for report in reports) == 1
    by_path = await _assets_by_path(session_factory)
    assert [asset.content_sha256 for asset in by_path[str(latest)]] == [_digest(new_bytes)]
    assert sum(len(assets) for assets in by_path.values()) == 4
    await _sessions_are_whole(session_factory)


async def _catch_up(factory: SessionFactory, settings: AtelierSettings, folder: Path) -> list[ImportReport]:
    """One watch that ends after its catch-up batch (or after 3 s with none)."""
    stop = asyncio.Event()
    reports: list[ImportReport] = []

    def on_import(report: ImportReport) -> None:
        reports.append(report)
        stop.set()

    watcher = asyncio.create_task(
        watch_folders(
            factory,
            settings,
            "ada",
            [folder],
            stop_event=stop,
            thumbnails=ThumbnailMode.INLINE,
            settle_seconds=0.3,
            on_import=on_import,
        )
    )
    try:
        await asyncio.wait_for(asyncio.shield(watcher), timeout=3)
    except TimeoutError:
        stop.set()
        await asyncio.wait_for(watcher, timeout=30)
    return reports


async def test_the_catch_up_imports_a_file_overwritten_while_nothing_watched(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    latest = _write_evening(folder)[2]
    await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)
    new_bytes = image_bytes(seed=7, size=(96, 64))
    assert len(new_bytes) != latest.stat().st_size
    _overwrite(latest, new_bytes)

    reports = await _catch_up(session_factory, settings, folder)

    by_path = await _assets_by_path(session_factory)
    assert [asset.content_sha256 for asset in by_path[str(latest)]] == [_digest(new_bytes)]
    assert [(report.files_seen, report.imported, _overwritten(report)) for report in reports] == [(1, 1, 1)]
    assert await _catch_up(session_factory, settings, folder) == []  # nothing left to read


async def test_a_removed_image_does_not_hide_new_bytes_of_the_same_size_from_the_catch_up(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """The artist removes ``latest.png``'s image, then a tool writes new bytes of exactly the same size
    over it while nothing watches: the catch-up compares sizes, and a removed image's size used to make
    it skip the file. The file was written after the removal, so it is read (and imported: other
    bytes are not the removed image)."""
    folder = tmp_path / "outputs"
    latest = folder / "latest.png"
    folder.mkdir()
    removed_bytes = image_bytes(seed=3, size=(64, 48), text="a red fox, Steps: 20, Seed: 1")
    new_bytes = image_bytes(seed=3, size=(64, 48), text="a red owl, Steps: 20, Seed: 1")
    assert len(removed_bytes) == len(new_bytes) and removed_bytes != new_bytes
    latest.write_bytes(removed_bytes)
    await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)
    user_id = await _user(session_factory)
    async with unit_of_work(session_factory) as db:
        await remove_assets(db, user_id, await assets_read_from(db, user_id, [latest]))
    assert await _catch_up(session_factory, settings, folder) == []  # removed, unchanged: not read

    _overwrite(latest, new_bytes)
    later = (datetime.now(UTC) + timedelta(seconds=2)).timestamp()
    os.utime(latest, (later, later))  # clearly after the removal, whatever the clocks' resolution
    reports = await _catch_up(session_factory, settings, folder)

    assert [(report.files_seen, report.imported) for report in reports] == [(1, 1)]
    by_path = await _assets_by_path(session_factory)
    assert [asset.content_sha256 for asset in by_path[str(latest)]] == [_digest(new_bytes)]

    _overwrite(latest, removed_bytes)  # and the removed bytes themselves stay out
    back = await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **INLINE)
    outcome = next(item for item in back.files if item.path == str(latest))
    assert (outcome.outcome, outcome.reason) == (Outcome.IGNORED, REMOVED_EARLIER_REASON)
    assert str(latest) not in await _assets_by_path(session_factory)  # the owl's bytes are gone too
