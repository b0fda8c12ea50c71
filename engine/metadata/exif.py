"""A small TIFF/IFD parser for the EXIF fields generation tools use.

Reads IFD0 and the Exif sub-IFD only (no thumbnails, no maker notes, no GPS). Offsets are relative to
the TIFF header; every offset and count is bounds-checked, each IFD is visited at most once, and a
malformed IFD ends parsing with a note in ``errors`` while keeping what was already read.

Decoded values: ASCII tags become ``str`` (UTF-8 when valid, else Latin-1; trailing NULs dropped),
SHORT/LONG scalars become ``int``, ``UserComment`` is decoded per its 8-byte character-code prefix
(see :func:`decode_user_comment`). ``DateTime`` (IFD0) is the file-change time written by editors and
must never be read as a generation time; ``DateTimeOriginal`` (+ ``OffsetTimeOriginal``) may be.
"""

from __future__ import annotations

import struct

from engine.metadata.limits import MAX_EXIF_ENTRIES, MAX_TEXT_BYTES

EXIF_HEADER = b"Exif\x00\x00"

TAG_NAMES: dict[int, str] = {
    0x0100: "ImageWidth",
    0x0101: "ImageLength",
    0x010D: "DocumentName",
    0x010E: "ImageDescription",
    0x010F: "Make",
    0x0110: "Model",
    0x0131: "Software",
    0x0132: "DateTime",
    0x013B: "Artist",
    0x8298: "Copyright",
    0x9003: "DateTimeOriginal",
    0x9004: "DateTimeDigitized",
    0x9010: "OffsetTime",
    0x9011: "OffsetTimeOriginal",
    0x9286: "UserComment",
    0x9291: "SubSecTimeOriginal",
    0x9C9B: "XPTitle",
    0x9C9C: "XPComment",
    0xA002: "ExifImageWidth",
    0xA003: "ExifImageHeight",
}
_EXIF_IFD_POINTER = 0x8769
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
_XP_TAGS = frozenset({0x9C9B, 0x9C9C})


def parse_exif(blob: bytes, errors: list[str]) -> dict[str, str | int]:
    """Parse a TIFF-structured EXIF blob (with or without the ``Exif\\0\\0`` prefix)."""
    tiff = blob[len(EXIF_HEADER) :] if blob.startswith(EXIF_HEADER) else blob
    if len(tiff) < 8:
        errors.append("exif: blob too short for a TIFF header")
        return {}
    if tiff[:2] == b"II":
        order = "<"
    elif tiff[:2] == b"MM":
        order = ">"
    else:
        errors.append("exif: no TIFF byte-order mark")
        return {}
    (magic, ifd0) = struct.unpack_from(order + "HI", tiff, 2)
    if magic != 42:
        errors.append("exif: bad TIFF magic number")
        return {}
    fields: dict[str, str | int] = {}
    visited: set[int] = set()
    exif_ifd = _read_ifd(tiff, order, ifd0, fields, visited, errors)
    if exif_ifd is not None:
        _read_ifd(tiff, order, exif_ifd, fields, visited, errors)
    return fields


def _read_ifd(
    tiff: bytes,
    order: str,
    offset: int,
    fields: dict[str, str | int],
    visited: set[int],
    errors: list[str],
) -> int | None:
    """Read one IFD into ``fields``; returns the Exif sub-IFD offset if this IFD points to one."""
    if offset in visited or offset < 8 or offset + 2 > len(tiff):
        if offset not in visited:
            errors.append(f"exif: IFD offset {offset} out of range")
        return None
    visited.add(offset)
    (count,) = struct.unpack_from(order + "H", tiff, offset)
    if count > MAX_EXIF_ENTRIES:
        errors.append(f"exif: IFD with {count} entries skipped")
        return None
    sub_ifd: int | None = None
    for index in range(count):
        entry = offset + 2 + 12 * index
        if entry + 12 > len(tiff):
            errors.append("exif: IFD runs past the end of the blob")
            break
        tag, typ, n = struct.unpack_from(order + "HHI", tiff, entry)
        if tag == _EXIF_IFD_POINTER:
            (sub_ifd,) = struct.unpack_from(order + "I", tiff, entry + 8)
            continue
        name = TAG_NAMES.get(tag)
        size = _TYPE_SIZES.get(typ)
        if name is None or size is None or name in fields:
            continue
        nbytes = size * n
        if nbytes > MAX_TEXT_BYTES:
            errors.append(f"exif: {name} of {nbytes} bytes skipped")
            continue
        if nbytes <= 4:
            start = entry + 8
        else:
            (start,) = struct.unpack_from(order + "I", tiff, entry + 8)
        if start + nbytes > len(tiff):
            errors.append(f"exif: {name} value runs past the end of the blob")
            continue
        value = _decode_value(tiff, order, tag, typ, n, start, nbytes)
        if value is not None:
            fields[name] = value
    return sub_ifd


def decode_xp_text(raw: bytes) -> str:
    """A Windows ``XP*`` tag's bytes (``XPComment``, ``XPTitle``): UTF-16LE, NUL-terminated."""
    return raw.decode("utf-16-le", errors="replace").rstrip("\x00")


def _decode_value(
    tiff: bytes, order: str, tag: int, typ: int, n: int, start: int, nbytes: int
) -> str | int | None:
    raw = tiff[start : start + nbytes]
    if tag == 0x9286:
        return decode_user_comment(raw)
    if tag in _XP_TAGS:
        return decode_xp_text(raw)
    if typ in (2, 7, 1) and tag not in (0x0100, 0x0101, 0xA002, 0xA003):
        return _decode_ascii(raw)
    if n == 1 and typ == 3:
        return int(struct.unpack_from(order + "H", tiff, start)[0])
    if n == 1 and typ == 4:
        return int(struct.unpack_from(order + "I", tiff, start)[0])
    return None


def _decode_ascii(raw: bytes) -> str:
    raw = raw.rstrip(b"\x00")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def decode_user_comment(raw: bytes) -> str:
    """Decode an EXIF UserComment by its 8-byte character-code prefix.

    ``UNICODE\\0`` text is UTF-16 whose byte order does NOT follow the TIFF byte order (Civitai writes
    big-endian text in little-endian TIFF; exiv2 writes the TIFF order): a BOM wins, else the order is
    decided from where the zero bytes fall (ASCII-heavy text has its zero bytes first in big-endian).
    A ``UNICODE\\0`` value with no zero byte at all that is valid UTF-8 is UTF-8: exiv2's
    ``charset=Unicode`` conversion to UCS-2 fails on a character outside the BMP (an emoji) and then
    writes the UTF-8 text unchanged after the prefix. ``ASCII\\0\\0\\0`` and the
    undefined all-zero prefix are read as UTF-8 (Latin-1 fallback). Without a known prefix the whole
    value is read as UTF-8 (some ComfyUI save nodes write bare JSON); a leading UTF-8 BOM is dropped.
    Invalid sequences are replaced.
    """
    prefix = raw[:8]
    if prefix == b"UNICODE\x00":
        return _decode_utf16_guess(raw[8:]).rstrip("\x00")
    if prefix in (b"ASCII\x00\x00\x00", b"\x00" * 8, b"JIS\x00\x00\x00\x00\x00"):
        return _decode_ascii(without_utf8_bom(raw[8:])).strip("\x00")
    return _decode_ascii(without_utf8_bom(raw)).strip("\x00")


def _unconverted_utf8(body: bytes) -> str | None:
    """``body`` as UTF-8 when it has no zero byte before its NUL padding and decodes strictly, else
    ``None``. UTF-16 of any text holding an ASCII character has zero bytes; UTF-16 of a text with none
    (all CJK) almost never forms valid UTF-8 sequences throughout."""
    text = body.rstrip(b"\x00")
    if not text or b"\x00" in text or text[:2] in (b"\xfe\xff", b"\xff\xfe"):
        return None
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        return None


UTF8_BOM = b"\xef\xbb\xbf"


def without_utf8_bom(text: bytes) -> bytes:
    """``text`` without a leading UTF-8 byte-order mark: not part of the text (RFC 3629 §6), but
    Windows editors write one back into text chunks and comments (it would start the prompt)."""
    return text.removeprefix(UTF8_BOM)


def _decode_utf16_guess(body: bytes) -> str:
    unconverted = _unconverted_utf8(body)
    if unconverted is not None:
        return unconverted
    if body[:2] == b"\xfe\xff":
        return body[2:].decode("utf-16-be", errors="replace")
    if body[:2] == b"\xff\xfe":
        return body[2:].decode("utf-16-le", errors="replace")
    # No byte-order mark: the high bytes of ASCII characters are zeros, and which half of each code
    # unit holds them tells the order. The whole text is counted (a prompt in CJK script has none for
    # hundreds of bytes; the infotext's parameter line after it has plenty); with no evidence either
    # way, big-endian — what piexif, and so A1111 and its forks, write.
    even_zeros = body[0::2].count(0)
    odd_zeros = body[1::2].count(0)
    encoding = "utf-16-le" if odd_zeros > even_zeros else "utf-16-be"
    return body[: len(body) - (len(body) % 2)].decode(encoding, errors="replace")
