"""A light first pass over JSONL record files: where each line is and whose it is, without building
records — so that several processes can each decode only the lines they analyse.

:func:`index_record_files` decodes every line into four fields (``id``, ``user``, ``created_at``,
``created_at_source``; msgspec skips the others without building them) and keeps the raw bytes in
blocks of whole lines. :meth:`RecordIndex.lines` gives back the bytes of any set of lines, which
:func:`engine.record_codec.decode_record_lines` turns into records exactly as
:func:`engine.record_codec.read_records_jsonl` would have, line for line.

Only plain input is indexed: the result is ``None`` when a line is not a JSON object with a string
``id`` and string-or-null ``user``, ``created_at`` and ``created_at_source`` (whatever else it holds),
or when a line's time comes from a file mtime (whether that is a copy time is judged across every
record: :mod:`engine.metadata.copy_times`). The caller then reads the files the ordinary way, which
reports each problem line by line. A line indexed here can still fail the full decode (a bad time, a
wrong type elsewhere): :func:`~engine.record_codec.decode_record_lines` says so, and the caller falls
back the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import BinaryIO

import msgspec
import numpy as np

from engine.metadata.copy_times import MTIME_SOURCE
from engine.metadata.files import open_regular_file
from engine.record_codec import BLOCK_BYTES


class _LineKeys(msgspec.Struct, gc=False):
    id: str
    user: str | None = None
    created_at: str | None = None
    created_at_source: str | None = None


_KEYS = msgspec.json.Decoder(_LineKeys)
_ID = attrgetter("id")
_USER = attrgetter("user")
_SOURCE = attrgetter("created_at_source")


@dataclass(frozen=True, slots=True)
class RecordIndex:
    """The non-blank lines of some JSONL files, in file order (files in the order given)."""

    blocks: list[bytes]
    """Whole lines as read, blank ones included; each block ends with a newline."""
    line_block: np.ndarray
    """Per line: its block (``int64``)."""
    line_start: np.ndarray
    """Per line: its first byte in its block (``int64``)."""
    line_end: np.ndarray
    """Per line: one past its newline (``int64``)."""
    ids: list[str]
    users: list[str | None]
    timed: np.ndarray
    """Per line: whether it has a ``created_at`` (``bool``)."""

    def __len__(self) -> int:
        return len(self.ids)

    def lines(self, rows: Sequence[int]) -> bytes:
        """The lines ``rows`` (in that order), each with its newline."""
        blocks = self.blocks
        block_of, start_of, end_of = self.line_block, self.line_start, self.line_end
        picked = np.asarray(rows, dtype=np.int64)
        return b"".join(
            blocks[block][start:end]
            for block, start, end in zip(
                block_of[picked].tolist(), start_of[picked].tolist(), end_of[picked].tolist(), strict=True
            )
        )


def index_record_files(paths: Sequence[Path]) -> RecordIndex | None:
    """The index of ``paths`` (JSONL record files), or ``None`` for input it does not take (see the
    module docstring). Raises what opening a file raises (a missing file, a FIFO …)."""
    blocks: list[bytes] = []
    block_rows: list[np.ndarray] = []
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    ids: list[str] = []
    users: list[str | None] = []
    timed: list[bool] = []
    for path in paths:
        with open_regular_file(path) as handle:
            for blob in _blocks_of_lines(handle):
                try:
                    keys = _KEYS.decode_lines(blob)
                except (msgspec.DecodeError, RecursionError):
                    return None
                line_ends = np.flatnonzero(np.frombuffer(blob, dtype=np.uint8) == _NEWLINE) + 1
                line_starts = np.concatenate(([0], line_ends[:-1]))
                if len(keys) != len(line_ends):  # blank lines: msgspec skips them
                    kept = _non_blank(blob, line_starts, line_ends)
                    if len(kept) != len(keys):
                        return None
                    line_starts, line_ends = line_starts[kept], line_ends[kept]
                if MTIME_SOURCE in map(_SOURCE, keys):
                    return None
                ids.extend(map(_ID, keys))
                users.extend(map(_USER, keys))
                timed.extend([key.created_at is not None for key in keys])
                block_rows.append(np.full(len(keys), len(blocks), dtype=np.int64))
                starts.append(line_starts)
                ends.append(line_ends)
                blocks.append(blob)
    empty = np.zeros(0, dtype=np.int64)
    return RecordIndex(
        blocks=blocks,
        line_block=np.concatenate(block_rows) if block_rows else empty,
        line_start=np.concatenate(starts) if starts else empty,
        line_end=np.concatenate(ends) if ends else empty,
        ids=ids,
        users=users,
        timed=np.array(timed, dtype=bool),
    )


_NEWLINE = ord("\n")


def _non_blank(blob: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Positions of the lines holding anything but JSON whitespace (what ``decode_lines`` skips)."""
    data = np.frombuffer(blob, dtype=np.uint8)
    content = np.cumsum((data != 32) & (data != 9) & (data != 13) & (data != 10))
    before = np.where(starts > 0, content[np.maximum(starts - 1, 0)], 0)
    return np.flatnonzero(content[ends - 1] > before)


def _blocks_of_lines(handle: BinaryIO) -> Iterator[bytes]:
    """The file in blocks of about :data:`~engine.record_codec.BLOCK_BYTES`, each of whole lines and
    ending with a newline (one is added to a last line that lacks it). Linear in the file's size, a
    line longer than a block included."""
    pending: list[bytes] = []
    while chunk := handle.read(BLOCK_BYTES):
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            pending.append(chunk)
            continue
        yield b"".join((*pending, chunk[:cut])) if pending else chunk[:cut]
        pending = [chunk[cut:]] if cut < len(chunk) else []
    if pending:
        yield b"".join(pending) + b"\n"
