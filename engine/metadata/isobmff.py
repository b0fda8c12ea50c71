"""ISO base media file format (ISO/IEC 14496-12) box walking, bounded, for the AVIF reader.

A box is ``size`` (32-bit big-endian) + ``type`` (four characters) + body. ``size`` 1 means a 64-bit
``largesize`` follows the type; ``size`` 0 means the box runs to the end of its container (the file,
for a top-level box); a ``uuid`` box carries a 16-byte extended type after its header.

Invariants of :func:`iter_boxes`:

- every yielded box lies entirely inside its container (``start < body_start <= end <= stop``);
- positions strictly increase (each box is at least its own header long), so a walk always ends: no
  loop is possible, and nothing here recurses — callers descend into the few container boxes they
  know, to a fixed depth;
- at most :data:`MAX_BOXES_PER_CONTAINER` boxes are yielded from one container;
- a malformed box (smaller than its header, running past its container, a cut header) ends the walk
  of that container with one note in ``errors``; the boxes before it are still yielded.

:func:`ftyp_brands` reads the file-type box that starts every ISO-BMFF file (AVIF, HEIF/HEIC, MP4,
MOV…), looking at no more than :data:`MAX_FTYP_BRANDS` brands.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

MAX_BOXES_PER_CONTAINER = 10_000
"""Most boxes walked in one container (the file, ``meta``, ``iinf``, ``ipco``…); real AVIF files have a
handful per level, a tiled (grid) image a few hundred item boxes at most."""

MAX_FTYP_BRANDS = 1024
"""Most compatible brands of an ``ftyp`` box looked at when sniffing (real files list two to eight)."""


@dataclass(frozen=True, slots=True)
class Box:
    kind: bytes
    """The four-character box type (``b"meta"``, ``b"iloc"``…)."""
    start: int
    """Offset of the box's first header byte in the data."""
    body_start: int
    """Offset of the first body byte (after ``size``, ``type``, ``largesize`` and a ``uuid``'s extended
    type)."""
    end: int
    """Offset just past the box's last byte."""
    extended_type: bytes | None = None
    """The 16-byte extended type of a ``uuid`` box, else ``None``."""

    def label(self) -> str:
        """The box type as printable text for a problem note (``'meta'``)."""
        return repr(self.kind.decode("latin-1"))


def iter_boxes(data: bytes, start: int, stop: int, errors: list[str], *, container: str) -> Iterator[Box]:
    """The boxes between ``start`` and ``stop`` of ``data`` in order (see the module's invariants).

    ``container`` names the container in problem notes (``"file"``, ``"'meta'"``).
    """
    position = start
    count = 0
    while position < stop:
        if stop - position < 8:
            errors.append(f"avif: {stop - position} stray bytes at the end of the {container}")
            return
        if count == MAX_BOXES_PER_CONTAINER:
            errors.append(f"avif: over {MAX_BOXES_PER_CONTAINER} boxes in the {container}; the rest skipped")
            return
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            if stop - position < 16:
                errors.append(f"avif: box {_label(kind)} at byte {position} has a cut 64-bit size")
                return
            (size,) = struct.unpack_from(">Q", data, position + 8)
            header = 16
        elif size == 0:
            size = stop - position
        if kind == b"uuid":
            header += 16
        if size < header:
            errors.append(
                f"avif: box {_label(kind)} at byte {position} declares {size} bytes, less than its header"
            )
            return
        if size > stop - position:
            errors.append(
                f"avif: box {_label(kind)} at byte {position} declares {size} bytes, past the end of "
                f"the {container} ({stop - position} bytes left)"
            )
            return
        extended = data[position + header - 16 : position + header] if kind == b"uuid" else None
        yield Box(kind, position, position + header, position + size, extended)
        count += 1
        position += size


def ftyp_brands(data: bytes) -> tuple[bytes, frozenset[bytes]] | None:
    """``(major brand, major + compatible brands)`` of a leading ``ftyp`` box, or ``None`` when the data
    does not start with one. A box cut by the end of the data still gives the brands it holds."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return None
    (size,) = struct.unpack_from(">I", data, 0)
    header = 8
    if size == 1:  # a 64-bit size (never written for an ``ftyp``, but valid)
        if len(data) < 24:
            return None
        (size,) = struct.unpack_from(">Q", data, 8)
        header = 16
    end = len(data) if size == 0 else min(size, len(data))
    major = data[header : header + 4]
    brands = {major}
    first = header + 8  # after the major brand and the minor version
    last = min(end, first + 4 * MAX_FTYP_BRANDS)
    for at in range(first, last - 3, 4):
        brands.add(data[at : at + 4])
    return major, frozenset(brands)


def _label(kind: bytes) -> str:
    return repr(kind.decode("latin-1"))
