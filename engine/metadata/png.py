"""PNG chunk walk without decoding pixels.

Reads ``IHDR`` (size, alpha), ``tEXt``/``zTXt``/``iTXt`` (text, also after ``IDAT``), ComfyUI's
private ``comf`` chunks (``SaveAnimatedPNG``: ``keyword\0text`` as in ``tEXt``, into the same
``texts``; a ``tEXt`` of the same keyword met first wins), ``eXIf`` (EXIF),
``iTXt XML:com.adobe.xmp`` (XMP), ``caBX`` (C2PA) and ``tIME`` (an *edit* time, never a generation
time). An EXIF or XMP "raw profile" (hex text under ``Raw profile type exif`` / ``APP1`` / ``xmp``, as
ImageMagick 6 and exiv2 — so GIMP 2.10 — write them; :mod:`~engine.metadata.raw_profile`) is decoded
into ``exif`` / ``xmp`` when the file has no ``eXIf`` chunk / XMP packet, and its text then leaves
``texts``; with no EXIF from either, ImageMagick's ``exif:<tag>`` text properties (its thumbnails and
``+profile '*'`` copies of a JPEG keep the EXIF values only there, the UserComment as a decimal byte
list; :func:`~engine.metadata.raw_profile.exif_properties`) give ``exif`` and likewise leave ``texts``.
CRCs are not verified (speed; a wrong CRC does not make text unreadable). A chunk whose
length runs past the end of the file ends the walk with a note in ``errors``; what was read before it
is kept. Compressed text is inflated to at most :data:`~engine.metadata.limits.MAX_TEXT_BYTES`. A
leading UTF-8 byte-order mark is dropped from every text value (as from EXIF UserComment text).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from engine.metadata.exif import parse_exif, without_utf8_bom
from engine.metadata.inflate import InflateRefused, inflate_bounded
from engine.metadata.limits import MAX_INFLATE_TOTAL_BYTES, MAX_TEXT_BYTES
from engine.metadata.raw import RawMetadata
from engine.metadata.raw_profile import XMP_PROFILE_KEY, exif_profile, exif_properties, xmp_profile
from engine.metadata.result import UnreadableImage

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
XMP_KEYWORD = "XML:com.adobe.xmp"
_ALPHA_COLOUR_TYPES = frozenset({4, 6})
COMFY_PRIVATE_TEXT = b"comf"
"""The private chunk ComfyUI's core ``SaveAnimatedPNG`` (``comfy_extras/nodes_images.py``) writes
after the image data, one per graph: ``prompt\0<json>``, ``workflow\0<json>`` (Latin-1), laid out
as ``tEXt`` is."""
MAX_PNG_SIDE_PX = 2**31 - 1
"""The PNG specification's limit on width and height; a larger value marks a corrupt header."""


def iter_png_chunks(data: bytes, errors: list[str] | None = None) -> Iterator[tuple[bytes, int, int]]:
    """Yield ``(chunk_type, body_start, body_end)`` for each complete chunk after the signature.

    Stops at ``IEND``, at the end of the data, or at a chunk whose declared length is impossible
    (noted in ``errors`` when given).
    """
    pos = len(PNG_SIGNATURE)
    end = len(data)
    while pos + 8 <= end:
        length, ctype = struct.unpack_from(">I4s", data, pos)
        body_start = pos + 8
        body_end = body_start + length
        if body_end > end:
            if errors is not None:
                errors.append(f"png: chunk {ctype!r} declares {length} bytes past end of file")
            return
        yield ctype, body_start, body_end
        if ctype == b"IEND":
            return
        pos = body_end + 4
    if pos < end and errors is not None:
        errors.append("png: trailing bytes after last chunk")


def read_png(data: bytes, path: str) -> RawMetadata:
    """Walk a PNG's chunks into a :class:`RawMetadata`; raises :class:`UnreadableImage` if no IHDR."""
    if len(data) < 33:
        raise UnreadableImage(path, "truncated PNG: no complete IHDR chunk")
    length, ctype = struct.unpack_from(">I4s", data, 8)
    if ctype != b"IHDR" or length != 13:
        raise UnreadableImage(path, "PNG does not start with an IHDR chunk")
    width, height, _depth, colour_type = struct.unpack_from(">IIBB", data, 16)
    if width == 0 or height == 0:
        raise UnreadableImage(path, "PNG header declares a zero image size")
    if width > MAX_PNG_SIDE_PX or height > MAX_PNG_SIDE_PX:
        raise UnreadableImage(
            path, f"PNG header declares an impossible size {width}x{height} (the format allows 2^31-1)"
        )
    raw = RawMetadata("png", width, height, has_alpha=colour_type in _ALPHA_COLOUR_TYPES)
    budget = _InflateBudget()
    saw_idat = False
    for ctype, start, stop in iter_png_chunks(data, raw.errors):
        if ctype == b"IDAT":
            saw_idat = True
        elif ctype == b"tEXt":
            _read_text(raw, data, start, stop)
        elif ctype == COMFY_PRIVATE_TEXT:
            _read_text(raw, data, start, stop, kind="comf")
        elif ctype == b"zTXt":
            _read_ztxt(raw, data, start, stop, budget)
        elif ctype == b"iTXt":
            _read_itxt(raw, data, start, stop, budget)
        elif ctype == b"eXIf":
            if not raw.exif:
                raw.exif = parse_exif(data[start:stop], raw.errors)
        elif ctype == b"caBX":
            if raw.c2pa is None:
                raw.c2pa = data[start:stop]
        elif ctype == b"tIME" and stop - start == 7:
            year, month, day, hour, minute, second = struct.unpack_from(">HBBBBB", data, start)
            raw.editor_time = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    if not saw_idat:
        raw.errors.append("png: no IDAT chunk (truncated or pixel-less file)")
    _read_raw_profiles(raw)
    return raw


def _read_raw_profiles(raw: RawMetadata) -> None:
    """EXIF / XMP raw profiles (module docstring) into ``raw.exif`` / ``raw.xmp``, unless the file
    already gave them (an ``eXIf`` chunk, an ``XML:com.adobe.xmp`` packet), then ImageMagick's
    ``exif:<tag>`` properties when still no EXIF; decoded texts are dropped from ``raw.texts`` (their
    content is now in ``exif`` / ``xmp``)."""
    if not raw.exif:
        found = exif_profile(raw.texts)
        if found is not None:
            key, blob = found
            raw.exif = parse_exif(blob, raw.errors)
            del raw.texts[key]
    if not raw.exif:
        fields, used = exif_properties(raw.texts)
        if fields:
            raw.exif = fields
            for key in used:
                del raw.texts[key]
    if raw.xmp is None:
        packet = xmp_profile(raw.texts)
        if packet is not None:
            raw.xmp = packet
            del raw.texts[XMP_PROFILE_KEY]


def _keyword(body: bytes) -> tuple[str, int] | None:
    sep = body.find(b"\0", 0, 80)
    if sep <= 0:
        return None
    return body[:sep].decode("latin-1"), sep + 1


def _store(raw: RawMetadata, key: str, value: str, kind: str) -> None:
    """Keep the first value of each key (and of the XMP packet), within the file's text bound
    (:meth:`~engine.metadata.raw.RawMetadata.may_keep_text`)."""
    if key == XMP_KEYWORD:
        if raw.xmp is None and raw.may_keep_text(f"png: {kind} {key!r}", len(value)):
            raw.xmp = value
    elif key not in raw.texts and raw.may_keep_text(f"png: {kind} {key!r}", len(value)):
        raw.texts[key] = value


def _too_big(raw: RawMetadata, kind: str, key: str, size: int) -> bool:
    if size > MAX_TEXT_BYTES:
        raw.errors.append(f"png: {kind} {key!r} of {size} bytes skipped (limit {MAX_TEXT_BYTES})")
        return True
    return False


def _read_text(raw: RawMetadata, data: bytes, start: int, stop: int, kind: str = "tEXt") -> None:
    """An uncompressed ``keyword\0text`` chunk (``tEXt``, or ComfyUI's private ``comf``) into
    ``raw.texts``, unless its text is over :data:`MAX_TEXT_BYTES`."""
    head = _keyword(data[start : min(stop, start + 80)])
    if head is None:
        raw.errors.append(f"png: {kind} chunk without keyword")
        return
    key, offset = head
    if _too_big(raw, kind, key, stop - start - offset):
        return
    body = data[start + offset : stop]
    _store(raw, key, _decode_latin1_or_utf8(body), kind)


def _decode_latin1_or_utf8(body: bytes) -> str:
    """tEXt is Latin-1 by spec, but many tools write UTF-8 there: prefer UTF-8 when it is valid. A
    leading UTF-8 byte-order mark is not text (:func:`~engine.metadata.exif.without_utf8_bom`)."""
    body = without_utf8_bom(body)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("latin-1")


class _InflateBudget:
    """Bytes still allowed to be inflated for this file (:data:`MAX_INFLATE_TOTAL_BYTES`)."""

    def __init__(self) -> None:
        self.remaining = MAX_INFLATE_TOTAL_BYTES

    def inflate(self, compressed: bytes) -> bytes:
        if self.remaining <= 0:
            raise InflateRefused(f"per-file inflate budget of {MAX_INFLATE_TOTAL_BYTES} bytes used up")
        limit = min(MAX_TEXT_BYTES, self.remaining)
        try:
            out = inflate_bounded(compressed, limit)
        except InflateRefused:
            if limit < MAX_TEXT_BYTES:
                self.remaining = 0
                raise InflateRefused(
                    f"per-file inflate budget of {MAX_INFLATE_TOTAL_BYTES} bytes used up"
                ) from None
            raise
        self.remaining -= len(out)
        return out


def _read_ztxt(raw: RawMetadata, data: bytes, start: int, stop: int, budget: _InflateBudget) -> None:
    head = _keyword(data[start : min(stop, start + 80)])
    if head is None or start + head[1] >= stop:
        raw.errors.append("png: zTXt chunk without keyword or method")
        return
    key, offset = head
    try:
        text = budget.inflate(data[start + offset + 1 : stop])
    except InflateRefused as exc:
        raw.errors.append(f"png: zTXt {key!r} refused: {exc}")
        return
    _store(raw, key, _decode_latin1_or_utf8(text), "zTXt")


def _read_itxt(raw: RawMetadata, data: bytes, start: int, stop: int, budget: _InflateBudget) -> None:
    head = _keyword(data[start : min(stop, start + 80)])
    if head is None or start + head[1] + 2 > stop:
        raw.errors.append("png: iTXt chunk without keyword or flags")
        return
    key, offset = head
    pos = start + offset
    compressed = data[pos]
    pos += 2
    lang_end = data.find(b"\0", pos, stop)
    if lang_end < 0:
        raw.errors.append(f"png: iTXt {key!r} without language tag")
        return
    tkw_end = data.find(b"\0", lang_end + 1, stop)
    if tkw_end < 0:
        raw.errors.append(f"png: iTXt {key!r} without translated keyword")
        return
    body_start = tkw_end + 1
    if compressed:
        try:
            body = budget.inflate(data[body_start:stop])
        except InflateRefused as exc:
            raw.errors.append(f"png: iTXt {key!r} refused: {exc}")
            return
    else:
        if _too_big(raw, "iTXt", key, stop - body_start):
            return
        body = data[body_start:stop]
    _store(raw, key, without_utf8_bom(body).decode("utf-8", errors="replace"), "iTXt")


def png_segments(data: bytes) -> list[tuple[str, bytes]]:
    """Every non-pixel chunk as ``(type, body)``; ``IDAT`` is listed with an empty body."""
    out: list[tuple[str, bytes]] = []
    for ctype, start, stop in iter_png_chunks(data):
        name = ctype.decode("latin-1")
        out.append((name, b"" if ctype == b"IDAT" else data[start:stop]))
    return out
