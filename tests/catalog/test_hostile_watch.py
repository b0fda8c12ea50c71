"""Watched folders under hostile conditions, with a real folder, real files and the real database.

What failed before (audit round 2): a watched folder removed while watched left the watch running
and importing nothing, silently and for ever — also after a folder of that name came back, since the
OS watch of the removed one never sees anything again. Now the watch ends with a
:class:`~catalog.importing.watch.WatchError` naming the folder (``atelier import --watch`` prints it as
one ``error:`` line and exits 1, ``tests/api/test_hostile_cli_admin.py``; ``atelier serve`` logs
"watching stopped: …").

Kept as checks: a burst of 1,000 files, a FIFO with an image's name and a file still half written
are imported (or waited for) without a hang or a lost batch.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from catalog.database import SessionFactory
from catalog.importing.service import ImportReport, ThumbnailMode
from catalog.importing.watch import WatchError, watch_folders
from catalog.models import Asset
from catalog.settings import AtelierSettings


def _png(path: Path, index: int) -> Path:
    Image.new("RGB", (8, 8), (index % 256, index // 256 % 256, 7)).save(path)
    return path


def _start(
    factory: SessionFactory,
    settings: AtelierSettings,
    folder: Path,
    stop: asyncio.Event,
    reports: list[ImportReport],
) -> asyncio.Task[object]:
    return asyncio.create_task(
        watch_folders(
            factory,
            settings,
            "ada",
            [folder],
            stop_event=stop,
            thumbnails=ThumbnailMode.SKIP,
            settle_seconds=0.3,
            on_import=reports.append,
        )
    )


async def test_a_watched_folder_that_is_removed_ends_the_watch_with_its_name(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    folder.mkdir()
    stop = asyncio.Event()
    reports: list[ImportReport] = []
    watcher = _start(session_factory, settings, folder, stop, reports)
    try:
        _png(folder / "before.png", 1)
        for _ in range(100):
            if reports:
                break
            await asyncio.sleep(0.1)
        assert sum(report.imported for report in reports) == 1
        shutil.rmtree(folder)
        folder.mkdir()  # a folder of that name again: the old OS watch would still see nothing
        with pytest.raises(WatchError, match="the watched folder was removed"):
            await asyncio.wait_for(watcher, timeout=10)
    finally:
        stop.set()
        if not watcher.done():
            watcher.cancel()
    async with session_factory() as db:
        assert await db.scalar(select(func.count()).select_from(Asset)) == 1  # the batch before stays


async def test_a_burst_of_files_a_fifo_and_a_half_written_file_cost_no_batch(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    folder.mkdir()
    stop = asyncio.Event()
    reports: list[ImportReport] = []
    watcher = _start(session_factory, settings, folder, stop, reports)
    try:
        await asyncio.sleep(0.5)
        for index in range(1000):
            _png(folder / f"burst-{index:04d}.png", index)
        os.mkfifo(folder / "pipe.png")  # size 0 for ever: never settles, never opened
        whole = _png(tmp_path / "whole.png", 5000).read_bytes()
        half = folder / "half.png"
        with half.open("wb") as handle:
            handle.write(whole[: len(whole) // 2])
            handle.flush()
            for _ in range(600):
                if sum(report.imported for report in reports) >= 1000:
                    break
                await asyncio.sleep(0.1)
            handle.write(whole[len(whole) // 2 :])
        for _ in range(100):
            if sum(report.imported for report in reports) >= 1001:
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(watcher, timeout=30)
    assert sum(report.imported for report in reports) == 1001
    assert [problem for report in reports for problem in report.problems] == []
