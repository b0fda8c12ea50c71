"""File paths as the catalog stores them, and back.

A POSIX file name is any bytes; Python holds the undecodable ones as lone surrogates (PEP 383), and
PostgreSQL text cannot hold those. So a path is stored as two columns: ``file_path``, its text (for a
path that is not valid UTF-8, each undecodable byte shown as U+FFFD), and ``file_path_bytes``, the
exact bytes, set only in that case. Invariant: :func:`opened_path` of :func:`stored_path`'s pair is
the path that was stored, byte for byte.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple


class StoredPath(NamedTuple):
    text: str
    """What ``file_path`` holds: the path itself, or its readable form."""
    raw: bytes | None
    """What ``file_path_bytes`` holds: the path's bytes when they are not valid UTF-8, else ``None``."""


def stored_path(path: str) -> StoredPath:
    """The columns that keep ``path`` (as Python read it from the file system)."""
    try:
        path.encode()
    except UnicodeEncodeError:
        raw = os.fsencode(path)
        return StoredPath(raw.decode("utf-8", "replace"), raw)
    return StoredPath(path, None)


def opened_path(text: str, raw: bytes | None) -> Path:
    """The path to open for the stored columns ``file_path`` / ``file_path_bytes``."""
    return Path(os.fsdecode(raw)) if raw is not None else Path(text)
