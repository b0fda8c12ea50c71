"""Builds small, valid PNG/JPEG/WEBP byte strings with chosen metadata chunks for reader tests."""

from __future__ import annotations

import struct
import zlib


def png_chunk(kind: bytes, body: bytes, *, length: int | None = None) -> bytes:
    """One PNG chunk; ``length`` overrides the declared length (to build bogus chunks)."""
    declared = len(body) if length is None else length
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", declared) + kind + body + struct.pack(">I", crc)


def text_chunk(key: str, value: str) -> bytes:
    return png_chunk(b"tEXt", key.encode("latin-1") + b"\0" + value.encode("utf-8"))


def itxt_chunk(key: str, value: str, *, compressed: bool = False) -> bytes:
    body = value.encode("utf-8")
    if compressed:
        body = zlib.compress(body)
    flag = b"\x01\x00" if compressed else b"\x00\x00"
    return png_chunk(b"iTXt", key.encode("latin-1") + b"\0" + flag + b"\0\0" + body)


def ztxt_chunk(key: str, compressed_body: bytes) -> bytes:
    return png_chunk(b"zTXt", key.encode("latin-1") + b"\0\0" + compressed_body)


def build_png(
    *chunks: bytes, width: int = 1, height: int = 1, colour_type: int = 2, after_idat: bytes = b""
) -> bytes:
    """A valid ``width`` x ``height`` 8-bit PNG (RGB or RGBA) with ``chunks`` before IDAT."""
    channels = 4 if colour_type == 6 else 3
    raw = b"".join(b"\0" + b"\x80" * (width * channels) for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + b"".join(chunks)
        + png_chunk(b"IDAT", zlib.compress(raw))
        + after_idat
        + png_chunk(b"IEND", b"")
    )


def tiff_user_comment(comment: bytes, *, little_endian: bool = True) -> bytes:
    """A minimal TIFF/EXIF blob: IFD0 -> Exif sub-IFD holding one UserComment (UNDEFINED)."""
    order = "<" if little_endian else ">"
    header = (b"II" if little_endian else b"MM") + struct.pack(order + "HI", 42, 8)
    ifd0 = (
        struct.pack(order + "H", 1)
        + struct.pack(order + "HHII", 0x8769, 4, 1, 26)
        + struct.pack(order + "I", 0)
    )
    exif_ifd_offset = 8 + len(ifd0)
    value_offset = exif_ifd_offset + 2 + 12 + 4
    exif_ifd = (
        struct.pack(order + "H", 1)
        + struct.pack(order + "HHII", 0x9286, 7, len(comment), value_offset)
        + struct.pack(order + "I", 0)
    )
    return header + ifd0 + exif_ifd + comment


def build_jpeg(*segments: bytes, width: int = 8, height: int = 8) -> bytes:
    """SOI, the given marker segments, a baseline SOF0 frame header, SOS and EOI (no real scan)."""
    sof_body = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    sof = b"\xff\xc0" + struct.pack(">H", len(sof_body) + 2) + sof_body
    sos_body = b"\x01\x01\x00\x00\x3f\x00"
    sos = b"\xff\xda" + struct.pack(">H", len(sos_body) + 2) + sos_body
    return b"\xff\xd8" + b"".join(segments) + sof + sos + b"\x00" * 16 + b"\xff\xd9"


def jpeg_segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def build_webp(*chunks: tuple[bytes, bytes], width: int = 8, height: int = 8) -> bytes:
    """A RIFF/WEBP with a VP8X header, the given ``(fourcc, body)`` chunks and a stub VP8L chunk."""
    vp8x = b"\x08\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    bits = (width - 1) | ((height - 1) << 14)
    vp8l = b"\x2f" + bits.to_bytes(4, "little") + b"\x00" * 8
    body = (
        _riff_chunk(b"VP8X", vp8x)
        + b"".join(_riff_chunk(k, v) for k, v in chunks)
        + _riff_chunk(b"VP8L", vp8l)
    )
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def _riff_chunk(fourcc: bytes, body: bytes) -> bytes:
    pad = b"\0" if len(body) % 2 else b""
    return fourcc + struct.pack("<I", len(body)) + body + pad
