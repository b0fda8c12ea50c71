"""A light first pass over JSONL record files: where each line is and whose it is, without building
records — so that several processes can each decode only the lines they analyse.

:func:`index_record_files` decodes every line into four fields (``id``, ``user``, ``created_at``,
``created_at_source``; msgspec skips the others without building them) and keeps the raw bytes in
blocks of whole lines. The blocks are indexed apart (:func:`index_block`, pure, small results) and
joined in order (:func:`join_block_keys`), so a caller with several cores can spread that pass too.
:meth:`RecordIndex.lines` gives back the bytes of any set of lines, which
:func:`engine.record_codec.decode_record_lines` turns into records exactly as
:func:`engine.record_codec.read_records_jsonl` would have, line for line.

Only plain input is indexed: the result is ``None`` when a line is not a JSON object with a string
``id`` and string-or-null ``user``, ``created_at`` and ``created_at_source`` (whatever else it holds),
or when a line's time comes from a file mtime (whether that is a copy time is judged across every
record: :mod:`engine.copy_times`). The caller then reads the files the ordinary way, which
reports each problem line by line. A line indexed here can still fail the full decode (a bad time, a
wrong type elsewhere): :func:`~engine.record_codec.decode_record_lines` says so, and the caller falls
back the same way.
"""

from __future__ import annotations

import io
import mmap
import os
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import BinaryIO, NamedTuple, cast

import msgspec
import numpy as np

from engine.copy_times import MTIME_SOURCE
from engine.record_codec import BLOCK_BYTES
from engine.regular_files import open_regular_file


class _LineKeys(msgspec.Struct, gc=False):
    id: str
    user: str | None = None
    created_at: str | None = None
    created_at_source: str | None = None


_KEYS = msgspec.json.Decoder(_LineKeys)
_ID = attrgetter("id")
_USER = attrgetter("user")
_SOURCE = attrgetter("created_at_source")
_CREATED_AT = attrgetter("created_at")


class BlockKeys(NamedTuple):
    """What :func:`index_block` finds in one block: per non-blank line, in order."""

    ids: list[str]
    user_names: list[str | None]
    """The block's users, each once, in the order first met."""
    user_codes: np.ndarray
    """Per line: its user's position in ``user_names`` (``int64``)."""
    timed: np.ndarray
    """Per line: whether it has a ``created_at`` (``bool``)."""
    starts: np.ndarray
    """Per line: its first byte in the block (``int64``)."""
    ends: np.ndarray
    """Per line: one past its newline (``int64``)."""


@dataclass(frozen=True, slots=True)
class RecordIndex:
    """The non-blank lines of some JSONL files, in file order (files in the order given)."""

    blocks: list[memoryview]
    """Whole lines as read, blank ones included; each block ends with a newline."""
    line_block: np.ndarray
    """Per line: its block (``int64``)."""
    line_start: np.ndarray
    """Per line: its first byte in its block (``int64``)."""
    line_end: np.ndarray
    """Per line: one past its newline (``int64``)."""
    ids: list[str]
    user_names: list[str | None]
    """Every user, each once, in the order first met."""
    user_codes: np.ndarray
    """Per line: its user's position in ``user_names`` (``int64``)."""
    timed: np.ndarray
    """Per line: whether it has a ``created_at`` (``bool``)."""

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def users(self) -> list[str | None]:
        """Per line: its user."""
        names = self.user_names
        return [names[code] for code in self.user_codes.tolist()]

    def lines(self, rows: Sequence[int] | np.ndarray) -> bytes:
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
    module docstring). Raises what opening a file raises (a missing file, a FIFO …). The same as
    :func:`join_block_keys` of :func:`index_block` of each of :func:`read_record_blocks`, which is how
    a caller with several cores spreads the work."""
    blocks = read_record_blocks(paths)
    return join_block_keys(blocks, [index_block(block) for block in blocks])


def read_record_blocks(paths: Sequence[Path]) -> list[memoryview]:
    """The files' bytes in blocks of about :data:`~engine.record_codec.BLOCK_BYTES`, each of whole
    lines and ending with a newline (one is added to a file's last line that lacks it; a line longer
    than a block is one block). Blocks are views, no copies, of one buffer per file holding the file
    as it was read (:func:`_file_bytes`).

    Invariant: the blocks never refer to the file itself. A file truncated, rewritten or removed
    while its blocks are in use changes nothing in them; reading them cannot fault (a view of the
    file mapped into memory would: touching a page past a truncated end raises SIGBUS, which kills
    the process without a message)."""
    blocks: list[memoryview] = []
    for path in paths:
        with open_regular_file(path) as handle:
            data = _file_bytes(handle)
        if not len(data):
            continue
        whole = data.rfind(b"\n") + 1  # the part that ends with a newline
        view = memoryview(data)
        start = 0
        while start < whole:
            cut = data.find(b"\n", start + max(BLOCK_BYTES, 1) - 1, whole)
            end = whole if cut < 0 else cut + 1
            blocks.append(view[start:end])
            start = end
        if whole < len(data):  # a last line without its newline: a copy of it, with one
            blocks.append(memoryview(bytes(view[whole:]) + b"\n"))
    return blocks


def _file_bytes(handle: BinaryIO) -> mmap.mmap | bytes:
    """``handle``'s file as it is read now: at most its size when opened (a file that grows is read
    as it was), fewer bytes when it shrinks during the read (the caller then meets a cut last line,
    which the ordinary reader reports).

    Read into an anonymous shared mapping: its pages belong to this process and the workers it forks
    (shared, not copied on fork), and nothing another process does to the file can remove them.
    Never a mapping of the file itself (see :func:`read_record_blocks`). An empty file, or a system
    that refuses the mapping, gives ``bytes`` read the ordinary way."""
    size = os.fstat(handle.fileno()).st_size
    try:
        buffer = mmap.mmap(-1, size)
    except (OSError, ValueError):  # ValueError: an empty file, a size of 0
        return handle.read()
    view = memoryview(buffer)
    reader = cast(io.BufferedIOBase, handle)  # what open_regular_file opens ("rb")
    filled = 0
    while filled < size:
        count = reader.readinto(view[filled:])
        if not count:  # the file shrank while it was read
            break
        filled += count
    view.release()
    if filled == size:
        return buffer
    with buffer:
        return bytes(buffer[:filled])


def index_block(block: bytes | memoryview) -> BlockKeys | None:
    """The keys of ``block``'s lines (whole lines, ending with a newline), or ``None`` when a line is
    not one the index takes (see the module docstring). Pure: safe to run in any process."""
    try:
        keys = _KEYS.decode_lines(block)
    except (msgspec.DecodeError, RecursionError):
        return None
    ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == _NEWLINE) + 1
    starts = np.concatenate(([0], ends[:-1]))
    if len(keys) != len(ends):  # blank lines: msgspec skips them
        kept = _non_blank(block, starts, ends)
        if len(kept) != len(keys):
            return None
        starts, ends = starts[kept], ends[kept]
    if MTIME_SOURCE in map(_SOURCE, keys):
        return None
    user_names, user_codes = coded_users(list(map(_USER, keys)))
    return BlockKeys(
        ids=list(map(_ID, keys)),
        user_names=user_names,
        user_codes=user_codes,
        timed=np.fromiter(map(_is_not_none, map(_CREATED_AT, keys)), dtype=bool, count=len(keys)),
        starts=starts.astype(np.int64, copy=False),
        ends=ends.astype(np.int64, copy=False),
    )


def coded_users(users: Sequence[str | None]) -> tuple[list[str | None], np.ndarray]:
    """The distinct users in the order first met, and per entry of ``users`` its position among them
    (``int64``)."""
    names = list(dict.fromkeys(users))
    code_of = {name: code for code, name in enumerate(names)}
    return names, np.fromiter(map(code_of.__getitem__, users), dtype=np.int64, count=len(users))


def join_block_keys(blocks: list[memoryview], keys: Sequence[BlockKeys | None]) -> RecordIndex | None:
    """The index of ``blocks`` from each one's :func:`index_block` (``None`` if any is ``None``)."""
    if any(block_keys is None for block_keys in keys):
        return None
    found = cast(Sequence[BlockKeys], keys)
    code_of: dict[str | None, int] = {}
    codes: list[np.ndarray] = []
    for block_keys in found:
        remap = [code_of.setdefault(name, len(code_of)) for name in block_keys.user_names]
        block_codes = block_keys.user_codes
        codes.append(np.array(remap, dtype=np.int64)[block_codes] if remap else block_codes)
    return RecordIndex(
        blocks=blocks,
        line_block=_joined([np.full(len(block.ids), at, dtype=np.int64) for at, block in enumerate(found)]),
        line_start=_joined([block_keys.starts for block_keys in found]),
        line_end=_joined([block_keys.ends for block_keys in found]),
        ids=list(chain.from_iterable(block_keys.ids for block_keys in found)),
        user_names=list(code_of),
        user_codes=_joined(codes),
        timed=_joined([block_keys.timed for block_keys in found], dtype=bool),
    )


def _joined(parts: list[np.ndarray], dtype: type = np.int64) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _is_not_none(value: object) -> bool:
    return value is not None


_NEWLINE = ord("\n")


def _non_blank(blob: bytes | memoryview, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Positions of the lines holding anything but JSON whitespace (what ``decode_lines`` skips)."""
    data = np.frombuffer(blob, dtype=np.uint8)
    content = np.cumsum((data != 32) & (data != 9) & (data != 13) & (data != 10))
    before = np.where(starts > 0, content[np.maximum(starts - 1, 0)], 0)
    return np.flatnonzero(content[ends - 1] > before)
