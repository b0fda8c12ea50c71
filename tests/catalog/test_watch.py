"""Watched folders with a real folder, real files and the real database: files appear as they are
written (one slowly, in two halves), are imported once complete, and are clustered into sessions."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.database import SessionFactory
from catalog.importing.service import ImportReport, ThumbnailMode
from catalog.importing.watch import WatchError, watch_folders
from catalog.models import Asset, Session
from catalog.settings import AtelierSettings
from tests.generated_copies import space_mtimes


def _fixture_images(fixtures_dir: Path, count: int) -> list[Path]:
    return sorted((fixtures_dir / "images" / "AUTOMATIC1111").glob("*.png"))[:count]


async def test_new_files_are_imported_once_complete_and_clustered(
    session_factory: SessionFactory, settings: AtelierSettings, fixtures_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    folder.mkdir()
    (folder / "already-here.png").write_bytes(_fixture_images(fixtures_dir, 1)[0].read_bytes())
    stop = asyncio.Event()
    batches: list[ImportReport] = []
    imported = asyncio.Event()

    def on_import(report: ImportReport) -> None:
        batches.append(report)
        imported.set()

    watcher = asyncio.create_task(
        watch_folders(
            session_factory,
            settings,
            "ada",
            [folder],
            stop_event=stop,
            thumbnails=ThumbnailMode.SKIP,
            catch_up=True,
            on_import=on_import,
        )
    )
    sources = _fixture_images(fixtures_dir, 4)
    copies = [Path(shutil.copy(source, folder / source.name)) for source in sources[1:3]]
    space_mtimes(copies)  # written over an evening, not in one copy moment (engine.copy_times)
    (folder / "sub").mkdir()
    (folder / ".hidden.png").write_bytes(sources[1].read_bytes())
    (folder / "notes.txt").write_text("not an image")
    slow_bytes = sources[3].read_bytes()
    slow = folder / "sub" / "slow.png"
    with slow.open("wb") as handle:  # a writer that pauses halfway through
        handle.write(slow_bytes[: len(slow_bytes) // 2])
        handle.flush()
        await asyncio.sleep(0.6)
        handle.write(slow_bytes[len(slow_bytes) // 2 :])

    expected = {"already-here.png", sources[1].name, sources[2].name, "slow.png"}
    while True:  # bounded by the test timeout: each pass waits for the watcher's next batch
        imported.clear()
        async with session_factory() as session:
            paths = set(await session.scalars(select(Asset.file_path)))
        if {Path(path).name for path in paths if path} >= expected:
            break
        await imported.wait()
    stop.set()
    summary = await watcher

    assert summary.problems == 0, [p for report in batches for p in report.problems]
    async with session_factory() as session:
        assets = {Path(a.file_path or "").name: a for a in await session.scalars(select(Asset))}
        session_ids = set(await session.scalars(select(Session.id)))
    assert set(assets) == expected  # hidden and non-image files are ignored
    assert assets["slow.png"].file_size_bytes == len(slow_bytes)  # imported whole, once
    assert all(asset.session_id in session_ids for asset in assets.values())
    assert summary.imported == len(expected)


async def test_catch_up_skips_files_already_in_the_catalog(
    session_factory: SessionFactory, settings: AtelierSettings, fixtures_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    folder.mkdir()
    for source in _fixture_images(fixtures_dir, 2):
        shutil.copy(source, folder / source.name)

    async def one_catch_up() -> list[ImportReport]:
        stop = asyncio.Event()
        reports: list[ImportReport] = []

        def on_import(report: ImportReport) -> None:
            reports.append(report)
            stop.set()  # the catch-up batch is all this test needs

        await watch_folders(
            session_factory,
            settings,
            "ada",
            [folder],
            stop_event=stop,
            thumbnails=ThumbnailMode.SKIP,
            catch_up=True,
            on_import=on_import,
        )
        return reports

    first = await one_catch_up()
    assert [report.imported for report in first] == [2]
    shutil.copy(_fixture_images(fixtures_dir, 3)[2], folder / "new.png")
    second = await one_catch_up()
    assert [(report.files_seen, report.imported) for report in second] == [(1, 1)]


async def test_a_missing_folder_is_a_clear_error(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    with pytest.raises(WatchError, match="not a folder"):
        await watch_folders(
            session_factory, settings, "ada", [tmp_path / "nowhere"], stop_event=asyncio.Event()
        )


async def _watch_until(
    factory: SessionFactory,
    settings: AtelierSettings,
    folder: Path,
    write: Callable[[], Awaitable[None]],
    done: Callable[[list[ImportReport]], bool],
    *,
    incomplete_settle_seconds: float = 30.0,
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
            thumbnails=ThumbnailMode.SKIP,
            settle_seconds=0.3,
            incomplete_settle_seconds=incomplete_settle_seconds,
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


async def test_a_writer_pausing_longer_than_the_settle_time_is_waited_for(
    session_factory: SessionFactory, settings: AtelierSettings, fixtures_dir: Path, tmp_path: Path
) -> None:
    """40 % written, a pause three times the settle time, then the rest: one asset, whole. Before,
    the first 40 % was imported as an image of its own ("imported without a thumbnail: image file is
    truncated"), and the whole file again beside it in the same session."""
    folder = tmp_path / "outputs"
    folder.mkdir()
    data = _fixture_images(fixtures_dir, 1)[0].read_bytes()

    async def write_with_a_pause() -> None:
        with (folder / "slow.png").open("wb") as handle:
            handle.write(data[: len(data) * 2 // 5])
            handle.flush()
            await asyncio.sleep(0.9)
            handle.write(data[len(data) * 2 // 5 :])

    reports = await _watch_until(
        session_factory, settings, folder, write_with_a_pause, lambda reports: bool(reports)
    )
    await asyncio.sleep(0.5)  # time for a second (wrong) import to show
    async with session_factory() as session:
        sizes = list(await session.scalars(select(Asset.file_size_bytes)))
    assert sizes == [len(data)]
    assert [problem for report in reports for problem in report.problems] == []


async def test_a_file_that_stays_cut_short_is_imported_once_it_has_held_still_long_enough(
    session_factory: SessionFactory, settings: AtelierSettings, fixtures_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    folder.mkdir()
    data = _fixture_images(fixtures_dir, 1)[0].read_bytes()

    async def write_half() -> None:
        (folder / "cut.png").write_bytes(data[: len(data) // 2])

    reports = await _watch_until(
        session_factory,
        settings,
        folder,
        write_half,
        lambda reports: bool(reports),
        incomplete_settle_seconds=1.5,
    )
    assert [outcome.path for report in reports for outcome in report.files] == [str(folder / "cut.png")]


async def test_a_symlinked_folder_is_not_followed_and_a_folder_moved_in_is_walked(
    session_factory: SessionFactory, settings: AtelierSettings, fixtures_dir: Path, tmp_path: Path
) -> None:
    """As a folder import: a symlinked folder is never opened. Before, the watch walked the link's
    target (a link to ``/`` would have been walked inside the event loop)."""
    folder = tmp_path / "outputs"
    folder.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    sources = _fixture_images(fixtures_dir, 3)
    for source in sources[:2]:
        shutil.copy(source, elsewhere / source.name)
    staged = tmp_path / "staged"
    staged.mkdir()
    shutil.copy(sources[2], staged / sources[2].name)

    async def link_then_move_in() -> None:
        (folder / "linked").symlink_to(elsewhere, target_is_directory=True)
        await asyncio.sleep(0.5)
        staged.rename(folder / "moved")

    await _watch_until(
        session_factory,
        settings,
        folder,
        link_then_move_in,
        lambda reports: sum(report.imported for report in reports) >= 1,
    )
    await asyncio.sleep(1.0)  # time for the linked folder's files to show, were they followed
    async with session_factory() as session:
        paths = list(await session.scalars(select(Asset.file_path)))
    assert paths == [str(folder / "moved" / sources[2].name)]
