"""Rendering an import's thumbnails on a process pool, off the importing process's GIL.

Decoding, resizing, describing and WEBP-encoding an image is CPU-bound and holds the GIL for most of
its time, so threads in one process do not add throughput; a pool of one worker per core does. Each
worker builds its own :class:`~catalog.storage.ThumbnailStore` from the settings (a local folder or
an S3 client made after the fork) and writes the thumbnail bytes itself: only the content address
and the visual descriptor (a few hundred bytes) travel back. The bytes, their address and the
descriptor are exactly what :func:`catalog.thumbnails.make_thumbnail` makes in-process (the same
function runs in the worker), so the store keys are the same whichever path made them.

Invariants:

- Every source yields exactly one outcome: a :class:`~catalog.thumbnails.MadeThumbnail` or a
  :class:`ThumbnailFailure` (the reason without the path prefix, and whether it is lasting). Nothing
  one file does — a decoder crash included — can cost another file its outcome: should a worker die,
  its chunk is rendered again in this process (threads), as the inline path always did.
- They ignore SIGINT (the importing process handles Ctrl-C and shuts the pool down) and end on their
  own once their parent is gone (a SIGKILLed import leaves no worker behind).
- Small sets (under :data:`PROCESS_POOL_THRESHOLD`, or a single core) render in threads: a pool's
  start-up would cost more than it saves.

Nothing here touches the database: callers store the results (see
:func:`catalog.importing.owed_work.store_thumbnails`).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncGenerator, Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from catalog.importing.file_reading import init_pool_worker
from catalog.importing.pool_size import pool_workers
from catalog.settings import AtelierSettings
from catalog.storage import ThumbnailStore, thumbnail_store
from catalog.thumbnails import MadeThumbnail, ThumbnailError, make_thumbnail

PROCESS_POOL_THRESHOLD = 128
"""Fewest thumbnails worth starting a process pool for."""
CHUNK_FILES = 32
"""Thumbnails per pool task: large enough to amortise the hand-off, small enough for live progress."""
THREADS = 4
"""Threads of the in-process path (small sets, and chunks a dead worker left)."""


class ThumbnailFailure(NamedTuple):
    """Why a thumbnail could not be made."""

    reason: str
    lasting: bool
    """The file's content cannot be rendered (see :class:`~catalog.thumbnails.ThumbnailError`): the
    caller records it so that the file is not decoded again."""


Outcome = MadeThumbnail | ThumbnailFailure
"""A made thumbnail, or why it could not be made."""

_worker_store: ThumbnailStore | None = None
_worker_size_px = 256


def render_one(store: ThumbnailStore, size_px: int, path: Path) -> Outcome:
    """Render and store the thumbnail of ``path``; never raises for the file's own fault."""
    try:
        return make_thumbnail(path, store, size_px=size_px)
    except ThumbnailError as error:
        return ThumbnailFailure(error.reason, error.lasting)
    except Exception as error:  # e.g. storing it failed (disk full): this file only
        return ThumbnailFailure(f"thumbnail failed unexpectedly ({type(error).__name__}: {error})", False)


def render_in_threads(
    settings: AtelierSettings, sources: Mapping[uuid.UUID, Path]
) -> dict[uuid.UUID, Outcome]:
    """Every source's outcome, rendered in this process by :data:`THREADS` threads (blocking)."""
    store = thumbnail_store(settings)
    items = list(sources.items())
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = pool.map(lambda item: render_one(store, settings.thumbnail_size_px, item[1]), items)
        return {asset_id: outcome for (asset_id, _), outcome in zip(items, outcomes, strict=True)}


class ThumbnailRenderer:
    """Renders thumbnails for one import; use as a context manager so the pool is shut down (running
    chunks finish, queued ones are dropped: their assets simply stay without a thumbnail)."""

    def __init__(self, settings: AtelierSettings, expected: int) -> None:
        self._settings = settings
        self.workers = pool_workers()
        self._pool = (
            ProcessPoolExecutor(
                max_workers=self.workers,
                initializer=_init_worker,
                initargs=(os.getpid(), settings),
            )
            if expected >= PROCESS_POOL_THRESHOLD and self.workers > 1
            else None
        )
        if self._pool is None:
            self.workers = 1
        self._started: dict[asyncio.Future[dict[uuid.UUID, Outcome]], dict[uuid.UUID, Path]] = {}
        self._in_process: list[dict[uuid.UUID, Path]] = []

    def __enter__(self) -> ThumbnailRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def start(self, sources: Mapping[uuid.UUID, Path]) -> None:
        """Hand ``sources`` (asset id → file) to the pool now: the workers begin while the caller goes
        on; :meth:`outcomes` collects them. In-process sets are rendered in :meth:`outcomes`."""
        items = list(sources.items())
        chunks = [dict(items[i : i + CHUNK_FILES]) for i in range(0, len(items), CHUNK_FILES)]
        for chunk in chunks:
            if self._pool is None:
                self._in_process.append(chunk)
                continue
            try:
                future = asyncio.wrap_future(self._pool.submit(_render_chunk, chunk))
            except Exception:  # a broken pool refuses work: the chunk is rendered here
                future = asyncio.ensure_future(asyncio.to_thread(render_in_threads, self._settings, chunk))
            self._started[future] = chunk

    async def outcomes(self) -> AsyncGenerator[dict[uuid.UUID, Outcome], None]:
        """Outcomes by chunk, in the order the chunks finish; together they cover every started
        source exactly once."""
        while self._in_process:
            yield await asyncio.to_thread(render_in_threads, self._settings, self._in_process.pop(0))
        try:
            while self._started:
                done, _ = await asyncio.wait(self._started, return_when=asyncio.FIRST_COMPLETED)
                for future in done:
                    chunk = self._started.pop(future)
                    try:
                        outcomes = future.result()
                    except Exception:  # the worker died (e.g. killed by the OOM killer): render here
                        outcomes = await asyncio.to_thread(render_in_threads, self._settings, chunk)
                    yield outcomes
        finally:
            for future in self._started:
                future.cancel()
            self._started.clear()


def _init_worker(parent_pid: int, settings: AtelierSettings) -> None:
    global _worker_store, _worker_size_px
    init_pool_worker(parent_pid)
    _worker_store = thumbnail_store(settings)
    _worker_size_px = settings.thumbnail_size_px


def _render_chunk(chunk: dict[uuid.UUID, Path]) -> dict[uuid.UUID, Outcome]:
    assert _worker_store is not None, "pool worker not initialised"
    return {asset_id: render_one(_worker_store, _worker_size_px, path) for asset_id, path in chunk.items()}
