"""Which files an import looks at.

Folders are walked recursively (hidden entries skipped, symlinked folders not followed to avoid
cycles). Images are recognised by extension here only to choose the reader; the reader itself sniffs
the real format from magic bytes, so a PNG named ``.jpeg`` still imports. Anything else found inside a
folder is reported as skipped, so every file is accounted for.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".jpe", ".webp"})
RECORD_SUFFIXES = frozenset({".jsonl", ".ndjson"})


class FileKind(StrEnum):
    IMAGE = "image"
    RECORDS = "records"
    SKIPPED = "skipped"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class FoundFile:
    path: Path
    kind: FileKind


def classify(path: Path) -> FileKind:
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return FileKind.IMAGE
    if suffix in RECORD_SUFFIXES:
        return FileKind.RECORDS
    return FileKind.SKIPPED


def discover(paths: Iterable[Path]) -> Iterator[FoundFile]:
    """Files under ``paths`` in a stable order (sorted names within each folder)."""
    for path in paths:
        if path.is_dir():
            yield from _walk(path)
        elif path.is_file():
            yield FoundFile(path, classify(path))
        else:
            yield FoundFile(path, FileKind.MISSING)


def _walk(folder: Path) -> Iterator[FoundFile]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                path = Path(root) / name
                yield FoundFile(path, classify(path))
