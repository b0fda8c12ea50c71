"""WEBP (RIFF) chunk walk: size from ``VP8X``/``VP8 ``/``VP8L``, metadata from ``EXIF``, ``XMP `` and
``C2PA`` (the C2PA manifest store, a top-level chunk as the C2PA specification's RIFF embedding and
c2pa-rs ``riff_io`` write it: ChatGPT's DALL·E 3 WEBP downloads; the first one is read, as for PNG).

Pixels are never decoded here. A RIFF whose first image chunk is missing or malformed is unreadable;
a chunk running past the end after that ends the walk with a note in ``errors``.
:func:`webp_is_lossless_with_alpha` and :func:`webp_has_exact_alpha` tell, from the headers alone,
whether the pixels could carry stealth (LSB) data: all channels, or the alpha channel only.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from engine.metadata.exif import parse_exif
from engine.metadata.limits import MAX_TEXT_BYTES
from engine.metadata.raw import RawMetadata
from engine.metadata.result import UnreadableImage


def iter_webp_chunks(data: bytes, errors: list[str] | None = None) -> Iterator[tuple[bytes, int, int]]:
    """Yield ``(fourcc, body_start, body_end)`` for each complete chunk after the RIFF header."""
    pos = 12
    end = len(data)
    while pos + 8 <= end:
        fourcc = data[pos : pos + 4]
        (length,) = struct.unpack_from("<I", data, pos + 4)
        body_end = pos + 8 + length
        if body_end > end:
            if errors is not None:
                errors.append(f"webp: chunk {fourcc!r} declares {length} bytes past end of file")
            return
        yield fourcc, pos + 8, body_end
        pos = body_end + (length & 1)


def read_webp(data: bytes, path: str) -> RawMetadata:
    """Walk a WEBP's RIFF chunks into a :class:`RawMetadata`."""
    raw = RawMetadata("webp")
    for fourcc, start, stop in iter_webp_chunks(data, raw.errors):
        body = data[start:stop]
        if fourcc == b"VP8X" and len(body) >= 10:
            raw.pixel_width = 1 + int.from_bytes(body[4:7], "little")
            raw.pixel_height = 1 + int.from_bytes(body[7:10], "little")
        elif fourcc == b"VP8 " and raw.pixel_width is None and len(body) >= 10:
            if body[3:6] == b"\x9d\x01\x2a":
                width, height = struct.unpack_from("<HH", body, 6)
                raw.pixel_width, raw.pixel_height = width & 0x3FFF, height & 0x3FFF
        elif fourcc == b"VP8L" and raw.pixel_width is None and len(body) >= 5 and body[0] == 0x2F:
            bits = int.from_bytes(body[1:5], "little")
            raw.pixel_width = (bits & 0x3FFF) + 1
            raw.pixel_height = ((bits >> 14) & 0x3FFF) + 1
        elif fourcc == b"EXIF" and not raw.exif:
            raw.exif = parse_exif(body, raw.errors)
        elif fourcc == b"XMP " and raw.xmp is None:
            if len(body) > MAX_TEXT_BYTES:  # as a PNG text: a larger value is skipped
                raw.errors.append(f"webp: XMP of {len(body)} bytes skipped (limit {MAX_TEXT_BYTES})")
            else:
                raw.xmp = body.decode("utf-8", errors="replace")
        elif fourcc == b"C2PA" and raw.c2pa is None:
            raw.c2pa = body
    if raw.pixel_width is None:
        raise UnreadableImage(path, "truncated or invalid WEBP: no VP8/VP8L/VP8X image header")
    return raw


_VP8X_ALPHA = 0x10
_VP8X_ANIMATION = 0x02
_VP8L_SIGNATURE = 0x2F


def webp_is_lossless_with_alpha(data: bytes) -> bool:
    """True for a still WEBP whose image is one lossless (``VP8L``) bitstream with an alpha channel.

    Only such a file keeps exact pixel values, alpha included (a lossy ``VP8 `` image cannot hold
    least-significant-bit data). The alpha comes from the ``VP8X`` flags when the file has that
    header (the extended layout), else from the ``VP8L`` header's ``alpha_is_used`` bit (the simple
    layout). Animated files (``ANIM``/``ANMF``) are excluded, and so is a ``VP8L`` whose size is not
    the ``VP8X`` canvas (the size the caller's pixel cap was checked against).
    """
    vp8x: bytes | None = None
    for fourcc, start, stop in iter_webp_chunks(data):
        if fourcc == b"VP8X":
            if stop - start < 10 or data[start] & _VP8X_ANIMATION:
                return False
            vp8x = data[start : start + 10]
        elif fourcc == b"VP8L":
            if stop - start < 5 or data[start] != _VP8L_SIGNATURE:
                return False
            bits = int.from_bytes(data[start + 1 : start + 5], "little")
            if vp8x is None:
                return bool((bits >> 28) & 1)  # alpha_is_used
            width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            canvas = (1 + int.from_bytes(vp8x[4:7], "little"), 1 + int.from_bytes(vp8x[7:10], "little"))
            return bool(vp8x[0] & _VP8X_ALPHA) and (width, height) == canvas
        elif fourcc in (b"VP8 ", b"ALPH", b"ANIM", b"ANMF"):
            return False
    return False


_ALPH_METHODS = frozenset({0, 1})
"""Valid ``ALPH`` compression methods: 0 (raw bytes) and 1 (a lossless ``VP8L`` bitstream)."""


def webp_has_exact_alpha(data: bytes) -> bool:
    """True for a still *lossy* WEBP whose alpha plane keeps alpha-LSB (stealth) data.

    libwebp never codes alpha lossily: the ``ALPH`` chunk is raw (method 0) or lossless (method 1),
    with reversible prediction filters. Its one lossy step, level reduction (``alpha_quality`` < 100,
    the pre-processing flag), maps the alpha values onto at least two levels and so keeps an image
    whose alpha has two values exactly, as a stealth-stamped opaque image has (254/255: checked with
    ``cwebp -alpha_q 0 … 99``). ``cwebp -q N`` and Pillow's lossy ``save(…, "WEBP")`` write such a
    file from an RGBA PNG, so a NovelAI or A1111 alpha-mode PNG converted that way keeps its stealth
    copy while its RGB is lossy. Requires the extended layout (``VP8X`` with the alpha flag, not
    animated), a valid ``ALPH`` header, and a ``VP8 `` frame of the canvas size.
    """
    vp8x: bytes | None = None
    alph: int | None = None
    for fourcc, start, stop in iter_webp_chunks(data):
        if fourcc == b"VP8X":
            if stop - start < 10 or data[start] & _VP8X_ANIMATION or not data[start] & _VP8X_ALPHA:
                return False
            vp8x = data[start : start + 10]
        elif fourcc == b"ALPH":
            if stop - start < 1:
                return False
            alph = data[start]
        elif fourcc == b"VP8 ":
            return (
                vp8x is not None
                and alph is not None
                and alph & 0x03 in _ALPH_METHODS
                and (_vp8_size(data[start:stop]) == _canvas_size(vp8x))
            )
        elif fourcc in (b"VP8L", b"ANIM", b"ANMF"):
            return False
    return False


def _vp8_size(body: bytes) -> tuple[int, int] | None:
    """A ``VP8 `` key frame's width and height, or ``None`` without a valid frame header."""
    if len(body) < 10 or body[3:6] != b"\x9d\x01\x2a":
        return None
    width, height = struct.unpack_from("<HH", body, 6)
    return width & 0x3FFF, height & 0x3FFF


def _canvas_size(vp8x: bytes) -> tuple[int, int]:
    return 1 + int.from_bytes(vp8x[4:7], "little"), 1 + int.from_bytes(vp8x[7:10], "little")


def webp_segments(data: bytes) -> list[tuple[str, bytes]]:
    """Every RIFF chunk as ``(fourcc, body)``; image-data chunks are listed with an empty body."""
    out: list[tuple[str, bytes]] = []
    for fourcc, start, stop in iter_webp_chunks(data):
        name = fourcc.decode("latin-1")
        pixel_data = fourcc in (b"VP8 ", b"VP8L", b"ALPH", b"ANMF")
        out.append((name, b"" if pixel_data else data[start:stop]))
    return out
