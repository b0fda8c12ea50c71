"""Whether an image file on disk looks whole: its format's own end is present.

A watched folder's file that has held still may still be half written (a writer that pauses, a sync
client that fills a file in bursts). The checks read a few bytes at each end (no decode) and say
``False`` only for a file of a known format that evidently stops early:

- PNG: the whole ``IEND`` chunk (length 0, its CRC) within the last :data:`TAIL_BYTES` (bytes after
  it allowed);
- JPEG: the end-of-image marker ``FF D9`` within the last :data:`TAIL_BYTES` (entropy-coded data
  never holds it: an ``FF`` there is followed by ``00`` or a restart marker);
- WebP: the file at least as long as its RIFF header says;
- AVIF (ISO BMFF): the top-level boxes reach the end of the file, none past it.

Anything else — another format, a header too short to tell, an unreadable file or one that is not a
regular file (a FIFO is never opened for reading, so never waited on) — counts as whole:
the import then reads it and reports any problem as it would for a folder import.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import BinaryIO

from engine.regular_files import open_regular_file

TAIL_BYTES = 1024
"""How far from the end the PNG and JPEG end markers are looked for."""
MAX_BMFF_BOXES = 10_000
"""Top-level boxes walked before an AVIF file is taken as whole (a real file has a handful)."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
"""The whole IEND chunk: length 0, type, CRC."""


def looks_complete(path: Path) -> bool:
    """``False`` when ``path`` is a PNG, JPEG, WebP or AVIF file that ends before its format does."""
    try:
        with open_regular_file(path) as handle:  # never blocks on a FIFO swapped in
            size = os.fstat(handle.fileno()).st_size
            head = handle.read(16)
            if head.startswith(_PNG_SIGNATURE):
                return _PNG_END in _tail(handle, size)
            if head.startswith(b"\xff\xd8"):
                return b"\xff\xd9" in _tail(handle, size)
            if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
                return size >= struct.unpack("<I", head[4:8])[0] + 8
            if head[4:8] == b"ftyp":
                return _bmff_boxes_reach_the_end(handle, size)
    except OSError:
        return True
    return True


def _tail(stream: BinaryIO, size: int) -> bytes:
    stream.seek(max(0, size - TAIL_BYTES))
    return stream.read(TAIL_BYTES)


def _bmff_boxes_reach_the_end(stream: BinaryIO, size: int) -> bool:
    offset = 0
    for _ in range(MAX_BMFF_BOXES):
        if offset == size:
            return True
        stream.seek(offset)
        header = stream.read(16)
        if len(header) < 8:
            return False
        box_size = struct.unpack(">I", header[:4])[0]
        if box_size == 1:  # a 64-bit size follows the type
            if len(header) < 16:
                return False
            box_size = struct.unpack(">Q", header[8:16])[0]
        elif box_size == 0:  # the box runs to the end of the file
            return True
        if box_size < 8:
            return True  # not a box structure we can follow: let the reader judge it
        offset += box_size
        if offset > size:
            return False
    return True
