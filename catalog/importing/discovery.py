"""Which files an import looks at, and an account of every entry it passes over.

Folders are walked recursively with ``os.scandir`` in name order. Nothing is ever opened here: each
entry is judged from its directory entry / ``lstat`` (and ``stat`` for a symlink's target), so a
FIFO, socket or device cannot block or be read. Images are recognised by extension here only to
choose the reader; the reader itself sniffs the real format from magic bytes, so a PNG named
``.jpeg`` still imports.

Every entry met is yielded exactly once, with a kind and, unless it is to be read, a reason:

- ``IMAGE`` / ``RECORDS``: a regular file (or a symlink to one) to read;
- ``SKIPPED`` (reported as *ignored*): a regular file of another type, a hidden file, a hidden folder
  (not walked), a symlinked folder (not followed: it could loop or leave the tree), or a special
  file (``not a regular file: FIFO`` / socket / device);
- ``MISSING``: a path given on the command line that does not exist;
- ``PROBLEM``: an entry that cannot be examined — a folder that cannot be listed (permission
  denied), a broken symlink, a symlink loop.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from engine.regular_files import kind_of

IMAGE_SUFFIX_LIST = (".png", ".jpg", ".jpeg", ".jpe", ".webp", ".avif")
"""The image names read, in the order messages list them."""
IMAGE_SUFFIXES = frozenset(IMAGE_SUFFIX_LIST)
IMAGE_SUFFIX_TEXT = ", ".join(IMAGE_SUFFIX_LIST[:-1]) + " and " + IMAGE_SUFFIX_LIST[-1]
"""``.png, .jpg, .jpeg, .jpe, .webp and .avif``, for messages."""
RECORD_SUFFIXES = frozenset({".jsonl", ".ndjson"})


class FileKind(StrEnum):
    IMAGE = "image"
    RECORDS = "records"
    SKIPPED = "skipped"
    MISSING = "missing"
    PROBLEM = "problem"


@dataclass(frozen=True, slots=True)
class FoundFile:
    path: Path
    kind: FileKind
    reason: str | None = None
    """Why the entry is skipped or a problem; ``None`` for files to read."""


def classify(path: Path) -> FileKind:
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return FileKind.IMAGE
    if suffix in RECORD_SUFFIXES:
        return FileKind.RECORDS
    return FileKind.SKIPPED


def discover(paths: Iterable[Path]) -> Iterator[FoundFile]:
    """Entries under ``paths`` in a stable order (names sorted within each folder). A path given
    explicitly is followed if it is a symlink (the caller named it); inside folders, symlinked folders
    are not followed."""
    for path in paths:
        try:
            info = os.stat(path)
        except OSError as error:
            yield _unstattable(path, error)
            continue
        if stat.S_ISDIR(info.st_mode):
            yield from _walk(path)
        else:
            yield _judge_file(path, info.st_mode)


def _walk(top: Path) -> Iterator[FoundFile]:
    pending = [top]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            yield FoundFile(folder, FileKind.PROBLEM, f"cannot list folder ({_describe(error)})")
            continue
        subfolders: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            try:
                found = _judge_entry(entry, path)
            except OSError as error:  # the entry vanished or cannot be examined
                found = FoundFile(path, FileKind.PROBLEM, f"cannot examine ({_describe(error)})")
            if found is None:
                subfolders.append(path)
            else:
                yield found
        pending.extend(reversed(subfolders))  # popped in name order


def _judge_entry(entry: os.DirEntry[str], path: Path) -> FoundFile | None:
    """The account of one folder entry, or ``None`` for a subfolder to walk."""
    hidden = entry.name.startswith(".")
    if entry.is_symlink():
        try:
            target_mode = os.stat(path).st_mode
        except OSError as error:
            return _unstattable(path, error)
        if stat.S_ISDIR(target_mode):
            return FoundFile(path, FileKind.SKIPPED, "symlinked folder (not followed)")
        if hidden:
            return FoundFile(path, FileKind.SKIPPED, "hidden file")
        return _judge_file(path, target_mode)
    if entry.is_dir(follow_symlinks=False):
        return FoundFile(path, FileKind.SKIPPED, "hidden folder (not walked)") if hidden else None
    if hidden:
        return FoundFile(path, FileKind.SKIPPED, "hidden file")
    return _judge_file(path, entry.stat(follow_symlinks=False).st_mode)


NOT_A_REGULAR_FILE = "not a regular file"
"""How a skipped special file's reason starts (``not a regular file: FIFO`` / socket / device)."""


def _judge_file(path: Path, mode: int) -> FoundFile:
    if not stat.S_ISREG(mode):
        return FoundFile(path, FileKind.SKIPPED, f"{NOT_A_REGULAR_FILE}: {kind_of(mode)}")
    kind = classify(path)
    if kind is FileKind.SKIPPED:
        return FoundFile(path, kind, "not an image or a .jsonl record file")
    return FoundFile(path, kind)


def _unstattable(path: Path, error: OSError) -> FoundFile:
    if error.errno == errno.ELOOP:
        return FoundFile(path, FileKind.PROBLEM, "symlink loop")
    if isinstance(error, FileNotFoundError):
        if os.path.lexists(path):
            return FoundFile(path, FileKind.PROBLEM, "broken symlink (its target does not exist)")
        return FoundFile(path, FileKind.MISSING, "no such file or folder")
    return FoundFile(path, FileKind.PROBLEM, f"cannot examine ({_describe(error)})")


def _describe(error: OSError) -> str:
    return error.strerror or type(error).__name__
