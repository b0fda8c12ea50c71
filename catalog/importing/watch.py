"""Watched folders: new image files are imported as they appear (``atelier import --watch``,
``ATELIER_WATCH_FOLDERS`` under ``atelier serve``).

How a file is judged finished: a tool writes an image over some time (ComfyUI saves, a copy from a
camera roll, a sync client), so a change event alone means nothing. Every file an event names is
stat'ed every :data:`CHECK_INTERVAL_SECONDS`; it is imported once its size and mtime have held still
for ``settle_seconds`` (default :data:`SETTLE_SECONDS`, about a second), it is not empty, and its
format's end is there (:func:`~catalog.importing.complete_files.looks_complete`: a writer that pauses
longer than ``settle_seconds`` halfway through is waited for) — or it has held still, incomplete, for
:data:`INCOMPLETE_SETTLE_SECONDS` (a truncated file is imported then, and reported as the import
reports it). A file written to a temporary name and renamed into place settles at once. Hidden files
and folders and non-image names are ignored (as in a folder import); a folder moved in is walked, a
symlinked folder is not followed (as a folder import does not).

Importing: settled files go through :func:`~catalog.importing.service.import_paths` in batches of
at most :data:`WATCH_BATCH_FILES`, one at a time, so each batch commits on its own and re-clusters
only the span around its files. A file imported twice (rewritten with the same bytes) is simply
already known; one rewritten with other bytes replaces the image read from it before
(:mod:`catalog.importing.service`: the import takes that image out as a removal would, and counts it
in :attr:`~catalog.importing.service.ImportReport.overwritten`). Per-file problems are in each batch's
report, handed to ``on_import``; the watch goes on.

Catch-up (``catch_up=True``, the default): once the OS watches are set up, the files already in
the folders that the user's catalog does not hold as they are (:func:`_held_as_is`) are imported too
(once they have settled: one may be half written). So nothing is missed — neither files added or
overwritten while nothing watched (``atelier serve`` restarts) nor files that arrived between an
initial import and the start of the watch (``atelier import --watch``) — without re-reading a whole
library. A file is held as it is when exactly one asset was read from its path, with its size; or,
with none, when an image the artist removed was, with its size, and the file was not written after that
removal (a removed image must not hide new bytes written over its file). Limit: the catalog stores no
file mtime, so a file overwritten while nothing watched with other bytes *of the same size* as its
stored image is not seen by the catch-up (a folder import, or any later write the watch sees, reads
it). Comparing the mtime with the asset's ``imported_at`` instead would make every catch-up re-read, for
good, each file whose mtime moved after its import with the same bytes (a restore, a sync client, a
``touch``), since nothing records that a re-read found it unchanged; for removed images, few, that
cost is taken. Two assets at one path (an import interrupted before it took the older out) make the
file read again, so that its import keeps only the one for the bytes on disk.

Stopping: when ``stop_event`` is set the watch ends after the batch in progress (committed batches
are never lost; files still settling are picked up by the next catch-up or import).

A watched folder that goes away (removed, renamed away, replaced by a file or by another folder of
the same name) ends the watch with a :class:`WatchError` naming it, within
:data:`CHECK_INTERVAL_SECONDS`: the OS watch of a removed folder sees nothing ever again, even when a
folder of that name comes back, so going on would look like watching while importing nothing.
Batches committed before stay committed. A folder removed before its OS watch was set up, and an OS
watch that fails (the system's limit of watches reached), end it with a :class:`WatchError` too,
never a traceback. Each watched folder is held open while watched: a removed one then has no links
left, and its inode cannot be reused by a new folder of that name (ext4 does reuse it at once), so
comparing device and inode with the path's tells a replacement.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from watchfiles import Change, awatch

from catalog.accounts.service import get_or_create_user
from catalog.database import SessionFactory, unit_of_work
from catalog.importing.complete_files import looks_complete
from catalog.importing.discovery import FileKind, classify, discover
from catalog.importing.known_files_repository import KnownFile, known_files
from catalog.importing.service import ImportReport, ThumbnailMode, import_paths
from catalog.settings import AtelierSettings

SETTLE_SECONDS = 1.0
INCOMPLETE_SETTLE_SECONDS = 30.0
"""How long a file whose format's end is missing must hold still before it is imported as it is."""
CHECK_INTERVAL_SECONDS = 0.25
WATCH_BATCH_FILES = 200
_DEBOUNCE_MS = 200


class WatchError(ValueError):
    """A folder cannot be watched (missing, or not a folder), or a watched one went away."""


@dataclass(slots=True)
class WatchSummary:
    batches: int = 0
    imported: int = 0
    already_known: int = 0
    problems: int = 0


class SettlingFiles:
    """Files seen changing, until their size and mtime have held still for ``settle_seconds`` and they
    look whole, or for ``incomplete_settle_seconds`` whatever they look like."""

    def __init__(
        self, settle_seconds: float, incomplete_settle_seconds: float = INCOMPLETE_SETTLE_SECONDS
    ) -> None:
        self._settle_seconds = settle_seconds
        self._incomplete_settle_seconds = max(settle_seconds, incomplete_settle_seconds)
        self._seen: dict[Path, tuple[int, int, float]] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def note(self, path: Path) -> None:
        self._seen[path] = (-1, -1, time.monotonic())

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)

    def settled(self) -> list[Path]:
        """Files that held still long enough (removed from the watch list), in name order."""
        now = time.monotonic()
        ready: list[Path] = []
        for path, (size, mtime_ns, since) in list(self._seen.items()):
            try:
                info = path.stat()
            except OSError:
                del self._seen[path]  # deleted or renamed away before it settled
                continue
            if (info.st_size, info.st_mtime_ns) != (size, mtime_ns) or info.st_size == 0:
                self._seen[path] = (info.st_size, info.st_mtime_ns, now)
            elif now - since >= self._incomplete_settle_seconds or (
                now - since >= self._settle_seconds and looks_complete(path)
            ):
                del self._seen[path]
                ready.append(path)
        return sorted(ready)


async def watch_folders(
    factory: SessionFactory,
    settings: AtelierSettings,
    user_handle: str,
    folders: Sequence[Path],
    *,
    stop_event: asyncio.Event,
    thumbnails: ThumbnailMode = ThumbnailMode.BACKGROUND,
    settle_seconds: float = SETTLE_SECONDS,
    incomplete_settle_seconds: float = INCOMPLETE_SETTLE_SECONDS,
    catch_up: bool = True,
    on_import: Callable[[ImportReport], None] | None = None,
) -> WatchSummary:
    """Import new image files under ``folders`` for ``user_handle`` until ``stop_event`` is set."""
    roots = [_checked_folder(folder) for folder in folders]
    summary = WatchSummary()
    settling = SettlingFiles(settle_seconds, incomplete_settle_seconds)

    async def import_batch(paths: Sequence[Path]) -> None:
        report = await import_paths(
            factory,
            settings,
            user_handle=user_handle,
            paths=paths,
            thumbnails=thumbnails,
            complete_missing_thumbnails=False,  # per batch it would retry every failed file again
        )
        summary.batches += 1
        summary.imported += report.imported
        summary.already_known += report.already_known
        summary.problems += len(report.problems)
        if on_import is not None:
            on_import(report)

    held = _HeldFolders(roots)
    collector = asyncio.create_task(_collect_changes(roots, stop_event, settling))
    # One turn of the loop runs the collector up to its first wait, by which time awatch has set up
    # the OS watches; the catch-up scan that follows therefore sees every file the watches miss.
    await asyncio.sleep(0)
    try:
        if catch_up:  # they may still be being written: they settle like any new file
            for path in await _files_not_in_catalog(factory, settings, user_handle, roots):
                settling.note(path)
        while not stop_event.is_set():
            for batch in _batches(settling.settled()):
                await import_batch(batch)
            held.check()
            if collector.done():  # a watcher failure surfaces here instead of hanging silently
                held.check()  # a folder gone before the OS watch was set up: say that
                try:
                    collector.result()
                except OSError as error:  # e.g. the system's limit of watches reached
                    raise WatchError(f"watching stopped: {error}") from error
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_event.wait(), CHECK_INTERVAL_SECONDS)
    finally:
        held.close()
        collector.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):  # an OSError was raised above
            await collector
    return summary


def _checked_folder(folder: Path) -> Path:
    if not folder.is_dir():
        raise WatchError(f"{folder}: not a folder (only folders can be watched)")
    return folder.resolve()


class _HeldFolders:
    """The watched folders, each held open (see the module docstring) to tell when one goes away."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self._descriptors: dict[Path, int] = {}
        try:
            for root in roots:
                self._descriptors[root] = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as error:
            self.close()
            raise WatchError(f"{error.filename}: cannot be watched ({error.strerror})") from None

    def check(self) -> None:
        """Raise :class:`WatchError` for the first watched folder that is gone or replaced."""
        for root, descriptor in self._descriptors.items():
            held = os.fstat(descriptor)
            try:
                now = root.stat()
            except OSError:
                now = None
            if held.st_nlink == 0 or now is None or (now.st_dev, now.st_ino) != (held.st_dev, held.st_ino):
                raise WatchError(f"{root}: the watched folder was removed (or replaced); stopped watching")

    def close(self) -> None:
        for descriptor in self._descriptors.values():
            os.close(descriptor)
        self._descriptors.clear()


def _batches(paths: Sequence[Path]) -> Iterable[list[Path]]:
    for start in range(0, len(paths), WATCH_BATCH_FILES):
        yield list(paths[start : start + WATCH_BATCH_FILES])


def _is_watched_image(roots: Sequence[Path], path: Path) -> bool:
    for root in roots:
        if path.is_relative_to(root):
            hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
            return not hidden and classify(path) is FileKind.IMAGE
    return False


async def _collect_changes(roots: Sequence[Path], stop_event: asyncio.Event, settling: SettlingFiles) -> None:
    async for changes in awatch(
        *roots, watch_filter=None, stop_event=stop_event, debounce=_DEBOUNCE_MS, recursive=True
    ):
        _note_changes(roots, changes, settling)


def _note_changes(
    roots: Sequence[Path], changes: Iterable[tuple[Change, str]], settling: SettlingFiles
) -> None:
    for change, raw_path in changes:
        path = Path(raw_path)
        if change is Change.deleted:
            settling.forget(path)
        elif path.is_symlink() and path.is_dir():  # not followed, as a folder import does not
            continue
        elif path.is_dir():  # a folder moved in: its files raise no events of their own
            for found in discover([path]):
                if _is_watched_image(roots, found.path):
                    settling.note(found.path)
        elif _is_watched_image(roots, path):
            settling.note(path)


async def _files_not_in_catalog(
    factory: SessionFactory, settings: AtelierSettings, user_handle: str, roots: Sequence[Path]
) -> list[Path]:
    """Image files under ``roots`` the user's catalog does not hold as they are (see
    :func:`_held_as_is`)."""
    on_disk: dict[str, os.stat_result] = {}
    for found in discover(roots):
        if found.kind is FileKind.IMAGE:
            with contextlib.suppress(OSError):
                on_disk[str(found.path.resolve())] = os.stat(found.path)
    async with unit_of_work(factory) as session:
        owner = await get_or_create_user(session, user_handle, timezone=settings.timezone)
        known = await known_files(session, owner.id, list(on_disk))
    return [Path(path) for path, info in on_disk.items() if not _held_as_is(info, known.get(path, []))]


def _held_as_is(info: os.stat_result, rows: Sequence[KnownFile]) -> bool:
    """Whether the catalog holds the file of ``info`` as it is (the catch-up leaves it unread): exactly
    one asset was read from its path, with its size; or, with none, an image the artist removed from
    the library was, with its size, and the file has not been written since that removal. Two assets
    at one path (the file was overwritten, and an interrupted import left the earlier one) make the
    file read again, so that its import keeps the one for the bytes on disk."""
    stored = [row for row in rows if row.stored]
    if stored:
        return len(stored) == 1 and stored[0].size_bytes == info.st_size
    modified = datetime.fromtimestamp(info.st_mtime_ns / 1e9, UTC)
    return any(row.size_bytes == info.st_size and modified <= row.since for row in rows)
