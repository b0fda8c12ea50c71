""" "Stealth" metadata hidden in the alpha channel's lowest bits (A1111 stealth-pnginfo, NovelAI).

Layout (as written by the A1111 ``sd-webui-stealth-pnginfo`` extension and by NovelAI): pixels are
visited column by column (x outer, y inner) and the LSB of each alpha value is one bit, MSB first:
15 bytes of magic (``stealth_pnginfo`` = plain UTF-8, ``stealth_pngcomp`` = gzip), a 32-bit
big-endian payload length in BITS, then the payload.

This is the ONLY module that decodes pixels, and it does so only for PNGs with an alpha channel
and no other metadata, up to :data:`MAX_STEALTH_PIXELS` pixels (larger images are skipped with a
note); the payload is capped like any text (gzip inflate bounded by ``MAX_TEXT_BYTES``).
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image

from engine.metadata import a1111, novelai
from engine.metadata.inflate import InflateRefused, inflate_bounded
from engine.metadata.infotext import looks_like_infotext
from engine.metadata.jsontext import try_json_object
from engine.metadata.limits import MAX_TEXT_BYTES
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading

MAX_STEALTH_PIXELS = 4096 * 4096
_MAGIC_PLAIN = b"stealth_pnginfo"
_MAGIC_GZIP = b"stealth_pngcomp"
_HEADER_BITS = len(_MAGIC_PLAIN) * 8 + 32


def extract_stealth_text(data: bytes, raw: RawMetadata) -> str | None:
    """The hidden text, or ``None`` (no magic, or unreadable; problems noted in ``raw.errors``)."""
    width, height = raw.pixel_width or 0, raw.pixel_height or 0
    if width * height < _HEADER_BITS:
        return None
    if width * height > MAX_STEALTH_PIXELS:
        raw.errors.append(f"stealth: {width}x{height} image too large to scan")
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                rgba = image if image.mode in ("RGBA", "LA", "PA") else image.convert("RGBA")
                alpha = np.asarray(rgba.getchannel("A"), dtype=np.uint8)
    except Exception as exc:  # Pillow's decoders raise OSError, SyntaxError, struct.error, … on bad data
        raw.errors.append(f"stealth: pixels could not be decoded ({type(exc).__name__})")
        return None
    bits = (alpha.T & 1).reshape(-1)
    magic = np.packbits(bits[: len(_MAGIC_PLAIN) * 8]).tobytes()
    if magic not in (_MAGIC_PLAIN, _MAGIC_GZIP):
        return None
    length_bits = bits[len(_MAGIC_PLAIN) * 8 : _HEADER_BITS]
    length = int("".join("1" if bit else "0" for bit in length_bits), 2)
    available = bits.size - _HEADER_BITS
    if length > available or length > MAX_TEXT_BYTES * 8:
        raw.errors.append(f"stealth: declared payload of {length} bits exceeds the image or the limit")
        return None
    payload = np.packbits(bits[_HEADER_BITS : _HEADER_BITS + length]).tobytes()
    if magic == _MAGIC_GZIP:
        try:
            payload = inflate_bounded(payload, wbits=31)
        except InflateRefused as exc:
            raw.errors.append(f"stealth: gzip payload refused: {exc}")
            return None
    return payload.decode("utf-8", errors="replace")


def read(data: bytes, raw: RawMetadata) -> ToolReading | None:
    """A reading from stealth data (NovelAI JSON or A1111 infotext), or ``None``."""
    if raw.image_format != "png" or not raw.has_alpha or raw.has_metadata:
        return None
    text = extract_stealth_text(data, raw)
    if text is None:
        return None
    document = try_json_object(text)
    reading: ToolReading | None = None
    if document is not None and str(document.get("Software", "")).startswith("NovelAI"):
        reading = novelai.reading_from_fields(document)
    elif looks_like_infotext(text):
        reading = a1111.reading_from_infotext(text)
    if reading is None:
        reading = ToolReading()
        reading.record.extra["stealth_text"] = text
    reading.record.extra["stealth"] = "alpha"
    return reading
