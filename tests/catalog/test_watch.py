"""Watched folders with a real folder, real files and the real database: files appear as they are
written (one slowly, in two halves), are imported once complete, and are clustered into sessions."""

from __future__ import annotations

import asyncio
import shutil
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
