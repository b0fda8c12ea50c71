"""ImageMagick-style "raw profiles": EXIF or XMP stored as hex text in a PNG text chunk.

ImageMagick 6 (``coders/png.c`` ``Magick_png_write_raw_profile``) and exiv2 (``writeRawProfile``, so
every GIMP 2.10 PNG export with metadata) write a profile as the text of a ``zTXt`` (or ``tEXt``/``iTXt``)
keyword ``Raw profile type <name>``::

    "\\n" <name> "\\n" <length, right-aligned in 8 columns> "\\n" <hex digits, 72 a line> "\\n"

The EXIF profile (``exif``, older ImageMagick ``APP1``) is the JPEG APP1 payload: ``Exif\\0\\0`` and a
TIFF block. Pillow (``Image.getexif``), exiftool and ImageSharp read it as the file's EXIF.

Invariants: decoding never raises; a profile whose digits are not hex, whose declared length is not
a number or is more than the digits hold, or that is longer than :data:`MAX_TEXT_BYTES` gives
``None``; digits past the declared length are ignored (as Pillow and exiftool do).
"""

from __future__ import annotations

import string

from engine.metadata.limits import MAX_TEXT_BYTES

EXIF_PROFILE_KEYS = ("Raw profile type exif", "Raw profile type APP1")
"""Text keywords holding an EXIF raw profile, in the order they are looked at."""
XMP_PROFILE_KEY = "Raw profile type xmp"

_HEX_DIGITS = frozenset(string.hexdigits)


def decode_raw_profile(text: str) -> bytes | None:
    """The bytes of one raw profile text, or ``None`` when it is not a well-formed profile."""
    parts = text.split(None, 2)
    if len(parts) < 3 or not parts[1].isdigit():
        return None
    length = int(parts[1])
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
