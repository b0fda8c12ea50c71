"""Reading image files' metadata, in parallel for large imports.

Reading is CPU-bound Python (chunk walks, EXIF, JSON), so large imports fan out to a process pool
(one worker per core); small ones read in-process to avoid the pool's start-up cost. Every file
yields exactly one outcome: an :class:`ImageReadResult` or a :class:`FileProblem`; nothing a reader
raises can abort the import.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.metadata import read_image
from engine.metadata.result import ImageReadResult, UnreadableImage

PROCESS_POOL_THRESHOLD_FILES = 256
CHUNK_FILES = 64


@dataclass(frozen=True, slots=True)
class FileProblem:
    path: str
    reason: str


def read_one(path: str, timezone: str) -> ImageReadResult | FileProblem:
    try:
        return read_image(Path(path), local_tz=ZoneInfo(timezone))
    except UnreadableImage as error:
        return FileProblem(path, error.reason)
    except Exception as error:  # a reader bug must not abort the import; report it with the file
        return FileProblem(path, f"reader failed unexpectedly ({type(error).__name__}: {error})")


def _read_chunk(paths: Sequence[str], timezone: str) -> list[ImageReadResult | FileProblem]:
    return [read_one(path, timezone) for path in paths]


class MetadataReader:
    """Reads files' metadata; use as a context manager so the pool is shut down."""

    def __init__(self, expected_files: int) -> None:
        workers = max(1, min(os.cpu_count() or 1, 8))
        self._pool = (
            ProcessPoolExecutor(max_workers=workers)
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
