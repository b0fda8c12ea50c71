"""Reading image files' metadata, in parallel for large imports.

Reading is CPU-bound Python (chunk walks, EXIF, JSON), so large imports fan out to a process pool
(one worker per core); small ones read in-process to avoid the pool's start-up cost. Every file
yields exactly one outcome: an :class:`ImageReadResult` (or, for imports, a ready-to-store
:class:`ReadAsset`) or a :class:`FileProblem`; nothing a reader raises can abort the import, and
should a pool worker die, its chunk is read again in this process.

For imports (:meth:`MetadataReader.read_asset_rows`) the workers also turn each result into the
tuple the database ``COPY`` takes, so the importing process only ships rows; at most
:data:`MAX_CHUNKS_IN_FLIGHT` chunks are queued ahead, so reading overlaps writing without holding a
whole library in memory. Chunks are awaited without blocking the event loop (a watched folder under
``atelier serve`` shares the loop with the API).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncGenerator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.accounts.time_zones import stored_time_zone
from catalog.importing.asset_rows import copy_values, record_to_row, row_problem
from catalog.importing.pool_size import leave_ctrl_c_to_parent, pool_workers
from catalog.stored_paths import stored_path
from engine.copy_times import reject_copy_times
from engine.metadata import read_image
from engine.metadata.result import ImageReadResult, UnreadableImage

PROCESS_POOL_THRESHOLD_FILES = 256
CHUNK_FILES = 128
MAX_CHUNKS_IN_FLIGHT = 16


@dataclass(frozen=True, slots=True)
class FileProblem:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class ReadAsset:
    """One image, read and converted: ``values`` in ``ASSET_COPY_COLUMNS`` order."""

    record_id: str
    values: tuple[Any, ...]


def read_one(path: str, timezone: str) -> ImageReadResult | FileProblem:
    """One file read with naive times in ``timezone`` (the owner's stored zone: UTC when this machine
    does not know it, :func:`~catalog.accounts.time_zones.stored_time_zone`)."""
    try:
        return read_image(Path(path), local_tz=stored_time_zone(timezone))
    except UnreadableImage as error:
        return FileProblem(path, error.reason)
    except Exception as error:  # a reader bug must not abort the import; report it with the file
        return FileProblem(path, f"reader failed unexpectedly ({type(error).__name__}: {error})")


def image_row(
    result: ImageReadResult,
    user_id: uuid.UUID,
    path: str | Path,
    resolved_folders: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The ``assets`` row of one read image (record columns plus the file's own); ``extra`` is left
    as read, for :func:`~catalog.importing.asset_rows.copy_values` to serialise."""
    row = record_to_row(result.record, user_id=user_id, json_safe_extra=False)
    # the file's own name is never cleaned like the metadata text: kept exactly, as bytes if need be
    file_path = stored_path(resolved_path(str(path), resolved_folders))
    row.update(
        content_sha256=result.content_sha256,
        file_path=file_path.text,
        file_path_bytes=file_path.raw,
        file_size_bytes=result.file_size,
        image_format=result.image_format,
        pixel_width=result.pixel_width,
        pixel_height=result.pixel_height,
        edited=result.edited,
    )
    return row


def resolved_path(path: str, resolved_folders: dict[str, str] | None = None) -> str:
    """``Path(path).resolve()`` as text. With ``resolved_folders`` (a cache kept for one chunk of
    files), each folder is resolved once: a system call per path component adds up over a library."""
    if resolved_folders is None or os.path.islink(path):
        return os.path.realpath(path)
    folder, name = os.path.split(os.path.abspath(path))
    if folder not in resolved_folders:
        resolved_folders[folder] = os.path.realpath(folder)
    return os.path.join(resolved_folders[folder], name)


def asset_from_read(
    path: str,
    outcome: ImageReadResult,
    user_id: uuid.UUID,
    resolved_folders: dict[str, str] | None = None,
) -> ReadAsset | FileProblem:
    """The storable row of one read image, or why it cannot be stored."""
    try:
        row = image_row(outcome, user_id, path, resolved_folders)
        problem = row_problem(row)
        if problem is not None:
            return FileProblem(path, problem)
        return ReadAsset(record_id=row["record_id"], values=copy_values(row))
    except Exception as error:  # e.g. metadata that cannot be made JSON: report, never abort
        return FileProblem(path, f"metadata cannot be stored ({type(error).__name__}: {error})")


def _read_chunk(paths: Sequence[str], timezone: str) -> list[ImageReadResult | FileProblem]:
    outcomes = [read_one(path, timezone) for path in paths]
    records = [outcome.record for outcome in outcomes if not isinstance(outcome, FileProblem)]
    reject_copy_times(records, local_tz=stored_time_zone(timezone))
    return outcomes


def _read_asset_chunk(
    paths: Sequence[str], timezone: str, user_id: uuid.UUID
) -> list[ReadAsset | FileProblem]:
    """Read a chunk, judge copy times across it (``engine.copy_times``: files of a copied
    folder are neighbours in discovery order, so they share chunks), then make storable rows."""
    resolved_folders: dict[str, str] = {}
    read = zip(paths, _read_chunk(paths, timezone), strict=True)
    return [
        found if isinstance(found, FileProblem) else asset_from_read(path, found, user_id, resolved_folders)
        for path, found in read
    ]


PARENT_CHECK_SECONDS = 1.0


def _exit_with_parent(parent_pid: int) -> None:
    """Pool worker initializer: end this worker once its parent is gone. A parent killed with
    SIGKILL runs no clean-up, and forked workers keep each other's queue pipes open, so without
    this they would wait for work forever."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def init_pool_worker(parent_pid: int) -> None:
    """Initializer of the import's pool workers: they end with their parent (:func:`_exit_with_parent`)
    and leave Ctrl-C to it, which stops at a safe point and shuts its pools down."""
    leave_ctrl_c_to_parent()
    _exit_with_parent(parent_pid)


class MetadataReader:
    """Reads files' metadata; use as a context manager so the pool is shut down."""

    def __init__(self, expected_files: int) -> None:
        workers = pool_workers()
        self._pool = (
            ProcessPoolExecutor(max_workers=workers, initializer=init_pool_worker, initargs=(os.getpid(),))
            if expected_files >= PROCESS_POOL_THRESHOLD_FILES and workers > 1
            else None
        )

    def __enter__(self) -> MetadataReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def read(
        self, paths: Sequence[Path], timezone: str
    ) -> Iterator[tuple[Path, ImageReadResult | FileProblem]]:
        """``(path, outcome)`` in the order of ``paths``."""
        names = [str(path) for path in paths]
        if self._pool is None:
            outcomes: Iterator[ImageReadResult | FileProblem] = (read_one(name, timezone) for name in names)
        else:
            chunks = [names[i : i + CHUNK_FILES] for i in range(0, len(names), CHUNK_FILES)]
            outcomes = (
                outcome
                for chunk in self._pool.map(_read_chunk, chunks, [timezone] * len(chunks))
                for outcome in chunk
            )
        yield from zip(paths, outcomes, strict=True)

    async def read_asset_rows(
        self, paths: Sequence[Path], timezone: str, user_id: uuid.UUID
    ) -> AsyncGenerator[list[tuple[Path, ReadAsset | FileProblem]], None]:
        """Chunks of ``(path, outcome)``, in the order of ``paths``, ready to store for ``user_id``."""
        chunks = [list(paths[i : i + CHUNK_FILES]) for i in range(0, len(paths), CHUNK_FILES)]
        if self._pool is None:
            for chunk in chunks:
                names = [str(path) for path in chunk]
                outcomes = await asyncio.to_thread(_read_asset_chunk, names, timezone, user_id)
                yield list(zip(chunk, outcomes, strict=True))
            return
        pool = self._pool
        waiting = iter(chunks)
        in_flight: deque[tuple[list[Path], Future[list[ReadAsset | FileProblem]]]] = deque()

        def submit_next() -> None:
            chunk = next(waiting, None)
            if chunk is not None:
                names = [str(path) for path in chunk]
                try:
                    future = pool.submit(_read_asset_chunk, names, timezone, user_id)
                except Exception as error:  # a broken pool refuses work: the chunk is read here
                    future = Future()
                    future.set_exception(error)
                in_flight.append((chunk, future))

        for _ in range(MAX_CHUNKS_IN_FLIGHT):
            submit_next()
        try:
            while in_flight:
                chunk, future = in_flight.popleft()
                try:
                    outcomes = await asyncio.wrap_future(future)
                except Exception:  # the worker died (BrokenProcessPool): read this chunk here
                    names = [str(path) for path in chunk]
                    outcomes = await asyncio.to_thread(_read_asset_chunk, names, timezone, user_id)
                submit_next()
                yield list(zip(chunk, outcomes, strict=True))
        finally:
            for _, future in in_flight:
                future.cancel()
