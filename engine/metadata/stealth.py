""" "Stealth" metadata hidden in the pixels' lowest bits (A1111/Forge stealth-pnginfo, NovelAI, SwarmUI).

Layout (as written by ``ashen-sensored/sd_webui_stealth_pnginfo`` and by NovelAI): pixels are
visited column by column (x outer, y inner). In *alpha* mode the LSB of each alpha value is one bit;
in *RGB* mode each pixel gives three bits, the LSBs of R, G and B in that order. The bit stream,
MSB first, is 15 bytes of magic (``stealth_pnginfo`` / ``stealth_rgbinfo`` = plain UTF-8,
``stealth_pngcomp`` / ``stealth_rgbcomp`` = gzip), a 32-bit big-endian payload length in BITS, then
the payload. When both magics could be present (an RGBA image) the RGB one is looked for first, as
the extension's reader does (it completes after 40 pixels, the alpha one after 120).

This is the ONLY module that decodes pixels, and only of files with no other metadata whose pixels
keep exact values: PNGs with R, G, B channels (RGB mode) or an alpha channel (alpha mode), still
lossless WEBPs with alpha (:func:`~engine.metadata.webp.webp_is_lossless_with_alpha`; both modes), and
still lossy WEBPs with an alpha plane (:func:`~engine.metadata.webp.webp_has_exact_alpha`: libwebp
keeps a two-valued alpha exactly, so a NovelAI or A1111 alpha-mode PNG converted by ``cwebp -q N`` or
Pillow keeps its stealth copy; alpha mode only, the lossy RGB LSBs are noise). A lossy WEBP without
alpha is never decoded, and a lossless one without alpha neither: its RGB magic would cost a
whole-image decode.
Work is bounded in two steps:

1. the magic. For a (non-interlaced, 8- or 16-bit) PNG only the leading rows of the first column(s)
   are inflated and unfiltered (:func:`_png_leading_pixels`, at most :data:`MAX_MAGIC_SCAN_BYTES` of
   inflated data), so a PNG without the magic costs a few rows, not a decode. An interlaced or
   over-wide PNG is only scanned whole if it has alpha (as before RGB mode was read). A WEBP cannot
   be decoded partially: it is decoded whole (step 2) and then checked.
2. the payload: with the magic found, the whole image is decoded by Pillow, up to
   :data:`MAX_STEALTH_PIXELS` pixels (a larger image is skipped with a note); the payload is capped
   like any text (gzip inflate bounded by ``MAX_TEXT_BYTES``).
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from typing import Literal

import numpy as np
from PIL import Image

from engine.metadata import a1111, novelai, swarmui
from engine.metadata.inflate import InflateRefused, inflate_bounded
from engine.metadata.infotext import looks_like_infotext
from engine.metadata.jsontext import try_json_object
from engine.metadata.limits import MAX_TEXT_BYTES
from engine.metadata.png import iter_png_chunks
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading
from engine.metadata.webp import webp_has_exact_alpha, webp_is_lossless_with_alpha

Mode = Literal["rgb", "alpha"]

MAX_STEALTH_PIXELS = 4096 * 4096
"""Largest image (in pixels) decoded whole to read a stealth payload."""
MAX_MAGIC_SCAN_BYTES = 16 * 1024 * 1024
"""Most bytes of a PNG's image stream inflated to look for the magic in its leading rows."""
_INFLATE_PIECE = 64 * 1024

_MAGICS: dict[Mode, dict[bytes, bool]] = {
    "rgb": {b"stealth_rgbinfo": False, b"stealth_rgbcomp": True},
    "alpha": {b"stealth_pnginfo": False, b"stealth_pngcomp": True},
}
"""Per mode: magic -> whether the payload is gzip'd."""
_MAGIC_BITS = 15 * 8
_HEADER_BITS = _MAGIC_BITS + 32
_BITS_PER_PIXEL: dict[Mode, int] = {"rgb": 3, "alpha": 1}
_PNG_MODES: dict[int, tuple[Mode, ...]] = {2: ("rgb",), 4: ("alpha",), 6: ("rgb", "alpha")}
"""PNG colour type -> the modes its pixels can carry (RGB, grey + alpha, RGBA)."""
_PNG_CHANNELS = {2: 3, 4: 2, 6: 4}


def extract_stealth(data: bytes, raw: RawMetadata) -> tuple[Mode, str] | None:
    """``(mode, hidden text)``, or ``None`` (no magic, or unreadable; problems noted in ``raw.errors``)."""
    modes = _candidate_modes(data, raw)
    width, height = raw.pixel_width or 0, raw.pixel_height or 0
    if not modes or width * height * _BITS_PER_PIXEL[modes[0]] < _HEADER_BITS:
        return None
    leading = _png_leading_pixels(data, width, height, modes) if raw.image_format == "png" else None
    if leading is not None:
        found = _magic_mode(leading, modes)
        if found is None:
            return None
        modes = (found,)
    elif raw.image_format == "png" and "alpha" not in modes:
        return None  # an RGB PNG whose leading rows cannot be read cheaply (interlaced, very wide)
    if width * height > MAX_STEALTH_PIXELS:
        raw.errors.append(f"stealth: {width}x{height} image too large to scan")
        return None
    pixels = _decode_pixels(data, modes, raw)
    if pixels is None:
        return None
    mode = _magic_mode(pixels, modes)
    if mode is None:
        return None
    text = _payload_text(pixels, mode, raw)
    return None if text is None else (mode, text)


def read(data: bytes, raw: RawMetadata) -> ToolReading | None:
    """A reading from stealth data (NovelAI JSON, SwarmUI's ``sui_image_params`` JSON or A1111 infotext),
    or ``None``.

    Only files without any other metadata are looked at (the stealth copy is a fallback for files
    whose text chunks were stripped). ``extra["stealth"]`` is the mode: ``alpha`` or ``rgb``.
    """
    if raw.has_metadata:
        return None
    found = extract_stealth(data, raw)
    if found is None:
        return None
    mode, text = found
    document = try_json_object(text)
    reading: ToolReading | None = None
    if document is not None and str(document.get("Software", "")).startswith("NovelAI"):
        reading = novelai.reading_from_fields(document)
    elif document is not None and swarmui.is_document(document):
        reading = swarmui.reading_from_document(document)
    elif looks_like_infotext(text):
        reading = a1111.reading_from_infotext(text)
    if reading is None:
        reading = ToolReading()
        reading.record.extra["stealth_text"] = text
    reading.record.extra["stealth"] = mode
    return reading


def _candidate_modes(data: bytes, raw: RawMetadata) -> tuple[Mode, ...]:
    """The modes this file's pixels can carry, RGB first; empty when its pixels are not looked at."""
    if raw.has_metadata:
        return ()
    if raw.image_format == "png" and len(data) > 25:
        return _PNG_MODES.get(data[25], ())  # IHDR colour type (``read_png`` checked the IHDR)
    if raw.image_format == "webp" and webp_is_lossless_with_alpha(data):
        return ("rgb", "alpha")
    if raw.image_format == "webp" and webp_has_exact_alpha(data):
        return ("alpha",)
    return ()


def _lsb_bits(pixels: np.ndarray, mode: Mode, count: int) -> np.ndarray:
    """The first ``count`` (or fewer, if the image is smaller) hidden bits of ``pixels``
    (``height x width x channels``, alpha last), walking columns only as far as needed."""
    height, width = pixels.shape[:2]
    needed_pixels = -(-count // _BITS_PER_PIXEL[mode])
    columns = min(width, -(-needed_pixels // height))
    lane = pixels[:, :columns, :3] if mode == "rgb" else pixels[:, :columns, -1]
    return (np.swapaxes(lane, 0, 1) & 1).reshape(-1)[:count]


def _magic_mode(pixels: np.ndarray, modes: tuple[Mode, ...]) -> Mode | None:
    for mode in modes:
        bits = _lsb_bits(pixels, mode, _MAGIC_BITS)
        if bits.size == _MAGIC_BITS and np.packbits(bits).tobytes() in _MAGICS[mode]:
            return mode
    return None


def _payload_text(pixels: np.ndarray, mode: Mode, raw: RawMetadata) -> str | None:
    header = _lsb_bits(pixels, mode, _HEADER_BITS)
    if header.size < _HEADER_BITS:
        return None
    compressed = _MAGICS[mode][np.packbits(header[:_MAGIC_BITS]).tobytes()]
    length = int.from_bytes(np.packbits(header[_MAGIC_BITS:]).tobytes(), "big")
    available = pixels.shape[0] * pixels.shape[1] * _BITS_PER_PIXEL[mode] - _HEADER_BITS
    if length > available or length > MAX_TEXT_BYTES * 8:
        raw.errors.append(f"stealth: declared payload of {length} bits exceeds the image or the limit")
        return None
    payload = np.packbits(_lsb_bits(pixels, mode, _HEADER_BITS + length)[_HEADER_BITS:]).tobytes()
    if compressed:
        try:
            payload = inflate_bounded(payload, wbits=31)
        except InflateRefused as exc:
            raw.errors.append(f"stealth: gzip payload refused: {exc}")
            return None
    return payload.decode("utf-8", errors="replace")


def _decode_pixels(data: bytes, modes: tuple[Mode, ...], raw: RawMetadata) -> np.ndarray | None:
    """The whole image as ``height x width x channels`` uint8 (alpha last; 16-bit samples keep their
    high byte, as Pillow and so the writers' own readers see them)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                if "alpha" in modes:
                    wanted = image if image.mode in ("RGBA", "LA") else image.convert("RGBA")
                else:
                    wanted = image if image.mode == "RGB" else image.convert("RGB")
                pixels = np.asarray(wanted, dtype=np.uint8)
    except Exception as exc:  # Pillow's decoders raise OSError, SyntaxError, struct.error, … on bad data
        raw.errors.append(f"stealth: pixels could not be decoded ({type(exc).__name__})")
        return None
    return pixels if pixels.ndim == 3 else None


class _Unfilterable(ValueError):
    """The PNG's leading rows could not be read (corrupt stream or filter byte)."""


def _png_leading_pixels(data: bytes, width: int, height: int, modes: tuple[Mode, ...]) -> np.ndarray | None:
    """The leading pixels of a PNG in stealth order, enough for the magic of every mode in ``modes``:
    the first rows of column 0 (or, for a short image, the first few whole columns), as
    ``rows x columns x channels`` uint8. Only those rows are inflated, and only the first columns of
    each are unfiltered (a PNG filter at column x depends on columns <= x only).

    ``None`` when this cheap read is not possible or fails: interlaced or unusual bit depth, rows too
    wide for :data:`MAX_MAGIC_SCAN_BYTES`, a corrupt or short image stream.
    """
    depth, colour_type, interlace = struct.unpack_from(">BBxxB", data, 24)
    channels = _PNG_CHANNELS.get(colour_type)
    if channels is None or depth not in (8, 16) or interlace != 0:
        return None
    count = min(width * height, max(-(-_MAGIC_BITS // _BITS_PER_PIXEL[mode]) for mode in modes))
    rows = min(height, count)
    columns = min(width, -(-count // rows))
    bpp = channels * depth // 8
    row_bytes = 1 + width * bpp
    needed = rows * row_bytes
    if needed > MAX_MAGIC_SCAN_BYTES:
        return None
    try:
        stream = _inflate_leading_idat(data, needed)
        lines = _unfilter_leading(stream, rows, row_bytes, columns * bpp, bpp)
    except _Unfilterable:
        return None
    pixels = np.frombuffer(lines, dtype=np.uint8).reshape(rows, columns, bpp)
    return pixels[:, :, 0::2] if depth == 16 else pixels  # big-endian samples: keep the high byte


def _inflate_leading_idat(data: bytes, needed: int) -> bytes:
    """The first ``needed`` bytes of the image stream, fed to zlib in small pieces so that neither the
    (possibly multi-megabyte) IDAT body nor zlib's unconsumed tail is copied."""
    inflater = zlib.decompressobj()
    out = bytearray()
    view = memoryview(data)
    try:
        for ctype, start, stop in iter_png_chunks(data):
            if ctype != b"IDAT":
                continue
            for pos in range(start, stop, _INFLATE_PIECE):
                out += inflater.decompress(view[pos : min(stop, pos + _INFLATE_PIECE)], needed - len(out))
                if len(out) >= needed:
                    return bytes(out)
    except zlib.error as exc:
        raise _Unfilterable(str(exc)) from None
    raise _Unfilterable("image stream ends before the leading rows")


def _unfilter_leading(stream: bytes, rows: int, row_bytes: int, span: int, bpp: int) -> bytes:
    """Undo the PNG row filters on the first ``span`` bytes of each of ``rows`` rows."""
    out = bytearray()
    prior = bytearray(span)
    for row in range(rows):
        base = row * row_bytes
        kind = stream[base]
        line = bytearray(stream[base + 1 : base + 1 + span])
        if kind == 1:
            for i in range(bpp, span):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            for i in range(span):
                line[i] = (line[i] + prior[i]) & 0xFF
        elif kind == 3:
            for i in range(span):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prior[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(span):
                a = line[i - bpp] if i >= bpp else 0
                b = prior[i]
                c = prior[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        elif kind != 0:
            raise _Unfilterable(f"unknown PNG filter type {kind}")
        out += line
        prior = line
    return bytes(out)
