"""ImageMagick-style "raw profiles": EXIF or XMP stored as hex text in a PNG text chunk.

ImageMagick 6 (``coders/png.c`` ``Magick_png_write_raw_profile``) and exiv2 (``writeRawProfile``, so
every GIMP 2.10 PNG export with metadata) write a profile as the text of a ``zTXt`` (or ``tEXt``/``iTXt``)
keyword ``Raw profile type <name>``::

    "\\n" <name> "\\n" <length, right-aligned in 8 columns> "\\n" <hex digits, 72 a line> "\\n"

The EXIF profile (``exif``, older ImageMagick ``APP1``) is the JPEG APP1 payload: ``Exif\\0\\0`` and a
TIFF block. Pillow (``Image.getexif``), exiftool and ImageSharp read it as the file's EXIF.

ImageMagick also keeps the EXIF *values* it read from a JPEG as image properties ``exif:<tag>`` and
writes them back as PNG text even when the profile itself is gone (``-thumbnail`` removes every profile
but the colour profile, ``+profile '*'`` removes them all): :func:`exif_properties` reads them back.
UNDEFINED and BYTE tags are written as their bytes in decimal (``exif:UserComment`` =
``85, 78, 73, 67, 79, 68, 69, 0, …``, ``exif:WinXP-Comments``): lossless. ASCII tags are written as
text with every byte outside printable ASCII — newlines included — replaced by ``.``: only short
machine values are taken from them (never ``ImageDescription``, whose infotext would arrive with its
lines run together), and never ``DateTime`` (the source's edit time, not this file's).

Invariants: decoding never raises; a profile whose digits are not hex, whose declared length is not
a number or is more than the digits hold, or that is longer than :data:`MAX_TEXT_BYTES` gives
``None``; digits past the declared length are ignored (as Pillow and exiftool do).
"""

from __future__ import annotations

import re
import string

from engine.metadata.exif import decode_user_comment, decode_xp_text
from engine.metadata.limits import MAX_TEXT_BYTES

EXIF_PROFILE_KEYS = ("Raw profile type exif", "Raw profile type APP1")
"""Text keywords holding an EXIF raw profile, in the order they are looked at."""
XMP_PROFILE_KEY = "Raw profile type xmp"

_HEX_DIGITS = frozenset(string.hexdigits)


def decode_raw_profile(text: str) -> bytes | None:
    """The bytes of one raw profile text, or ``None`` when it is not a well-formed profile."""
    parts = text.split(None, 2)
    declared = parts[1] if len(parts) == 3 else ""
    # "²" passes str.isdigit and fails int(); a length of more digits than the bound's is over it
    if not (declared.isascii() and declared.isdigit()) or len(declared) > len(str(MAX_TEXT_BYTES)):
        return None
    length = int(declared)
    if length == 0 or length > MAX_TEXT_BYTES:
        return None
    digits = "".join(parts[2].split())
    if len(digits) < 2 * length:
        return None
    digits = digits[: 2 * length]
    if not _HEX_DIGITS.issuperset(digits):
        return None
    return bytes.fromhex(digits)


def exif_profile(texts: dict[str, str]) -> tuple[str, bytes] | None:
    """``(keyword, EXIF bytes)`` of the first EXIF raw profile in ``texts`` that holds a TIFF block
    (with or without the ``Exif\\0\\0`` header); an APP1 profile holding XMP is not EXIF."""
    for key in EXIF_PROFILE_KEYS:
        text = texts.get(key)
        blob = decode_raw_profile(text) if text is not None else None
        if blob is not None and blob.removeprefix(b"Exif\x00\x00")[:4] in (b"II*\x00", b"MM\x00*"):
            return key, blob
    return None


def xmp_profile(texts: dict[str, str]) -> str | None:
    """The XMP packet of a ``Raw profile type xmp`` text, or ``None``."""
    text = texts.get(XMP_PROFILE_KEY)
    blob = decode_raw_profile(text) if text is not None else None
    return None if blob is None else blob.decode("utf-8", errors="replace")


IMAGEMAGICK_EXIF_PREFIX = "exif:"
_PROPERTY_BYTES_TAGS = {"UserComment": "UserComment", "WinXP-Comments": "XPComment", "WinXP-Title": "XPTitle"}
"""ImageMagick property names of the byte-list tags read, and the EXIF field name each one fills."""
_PROPERTY_ASCII_TAGS = (
    "Make",
    "Model",
    "Software",
    "Artist",
    "Copyright",
    "DateTimeOriginal",
    "DateTimeDigitized",
    "OffsetTime",
    "OffsetTimeOriginal",
    "SubSecTimeOriginal",
)
"""ASCII tags taken as written (short machine values; see the module docstring for those left out)."""


def exif_properties(texts: dict[str, str]) -> tuple[dict[str, str | int], list[str]]:
    """EXIF fields (named as :func:`~engine.metadata.exif.parse_exif` names them) from ImageMagick's
    ``exif:<tag>`` text properties, and the text keywords they came from; empty when none is usable.
    A byte list that is not comma-separated numbers 0-255 is skipped."""
    fields: dict[str, str | int] = {}
    used: list[str] = []
    for tag, name in _PROPERTY_BYTES_TAGS.items():
        key = IMAGEMAGICK_EXIF_PREFIX + tag
        raw = _byte_list(texts[key]) if key in texts else None
        if raw is None:
            continue
        if name == "UserComment":
            fields[name] = decode_user_comment(raw)
        else:
            fields[name] = decode_xp_text(raw)
        used.append(key)
    for tag in _PROPERTY_ASCII_TAGS:
        key = IMAGEMAGICK_EXIF_PREFIX + tag
        value = texts.get(key, "").strip()
        if value:
            fields[tag] = value
            used.append(key)
    return fields, used


MAX_BYTE_LIST_CHARS = 64 * 1024
"""Longest byte list read. ImageMagick writes one into a buffer of ``MagickPathExtent`` (4,096)
characters and cuts it there (``property.c`` ``EXIFMultipleValues``), so it writes none longer; an 8 MB
list (a zTXt of a few kB) took 2 s, a string for each of its items."""
_BYTE_LIST = re.compile(r"\s*[0-9]{1,3}\s*(?:,\s*[0-9]{1,3}\s*)*")


def _byte_list(text: str) -> bytes | None:
    """``"85, 78, 73"`` → ``b"UNI"``; ``None`` unless every item is a number 0-255 in ASCII digits (``"²"``
    passes ``str.isdigit`` and fails ``int``), or when over :data:`MAX_BYTE_LIST_CHARS`."""
    if len(text) > MAX_BYTE_LIST_CHARS or _BYTE_LIST.fullmatch(text) is None:
        return None
    values = [int(item) for item in text.split(",")]
    return bytes(values) if max(values) <= 255 else None
