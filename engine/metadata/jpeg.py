"""JPEG segment walk up to the first scan (``SOS``), never decoding pixels.

Reads the frame header (``SOFn``: pixel size), ``APP1`` Exif and XMP, ``APP11`` JUMBF (C2PA; the
payloads of all its segments are concatenated in order), ``APP13`` and ``COM``.

``APP13`` is a Photoshop image-resource block. Its IPTC-IIM resource (``8BIM`` 0x0404) is read into
``texts`` as ``iptc:<dataset>`` (record 2: ``iptc:Caption-Abstract``, ``iptc:OriginatingProgram``,
``iptc:ProgramVersion``, ``iptc:ObjectName``, ``iptc:By-line``; first occurrence wins; UTF-8, else
Latin-1). The block is an editor mark (``texts["jpeg:Photoshop"]``) only when it holds a resource other
than IPTC (0x0404) and its digest (0x0425): Apple ImageIO and metadata taggers write those two alone
when an app stores an IPTC caption (Mochi Diffusion), which is no re-save by an image editor.

A JPEG without a frame header before the data ends is unreadable; a broken segment after
the frame header ends the walk with a note in ``errors``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from engine.metadata.exif import EXIF_HEADER, parse_exif
from engine.metadata.raw import RawMetadata
from engine.metadata.result import UnreadableImage

XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_STANDALONE = frozenset({0x01, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8})
_SOS = 0xDA
_EOI = 0xD9


def iter_jpeg_segments(data: bytes, errors: list[str] | None = None) -> Iterator[tuple[int, int, int]]:
    """Yield ``(marker, body_start, body_end)`` for each marker segment before the first scan."""
    pos = 2
    end = len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            if errors is not None:
                errors.append(f"jpeg: expected a marker at byte {pos}")
            return
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        if marker == _EOI:
            return
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if length < 2 or pos + 2 + length > end:
            if errors is not None:
                errors.append(f"jpeg: segment 0x{marker:02X} length {length} runs past the data")
            return
        yield marker, pos + 4, pos + 2 + length
        if marker == _SOS:
            return
        pos += 2 + length


def read_jpeg(data: bytes, path: str) -> RawMetadata:
    """Walk a JPEG's marker segments into a :class:`RawMetadata`."""
    raw = RawMetadata("jpeg")
    jumbf: list[bytes] = []
    saw_frame = False
    for marker, start, stop in iter_jpeg_segments(data, raw.errors):
        if marker in _SOF_MARKERS and stop - start >= 5:
            height, width = struct.unpack_from(">HH", data, start + 1)
            raw.pixel_width, raw.pixel_height = width, height
            saw_frame = True
        elif marker == 0xE1:
            _read_app1(raw, data[start:stop])
        elif marker == 0xEB and data[start : start + 2] == b"JP" and stop - start > 16:
            # CI "JP", En (2), Z sequence (4), then the box; continuation segments repeat LBox+TBox.
            jumbf.append(data[start + 8 : stop] if not jumbf else data[start + 16 : stop])
        elif marker == 0xED and data[start : start + 14] == b"Photoshop 3.0\x00":
            _read_app13(raw, data[start + 14 : stop])
        elif marker == 0xFE:
            comment = data[start:stop].decode("utf-8", errors="replace").rstrip("\x00")
            if raw.may_keep_text("jpeg: comment", len(comment)):
                raw.comments.append(comment)
        elif marker == _SOS and not saw_frame:
            break
    if not saw_frame:
        raise UnreadableImage(path, "truncated or invalid JPEG: no frame header before the image data")
    if jumbf:
        raw.c2pa = b"".join(jumbf)
    return raw


_IPTC_DATASETS = {
    5: "ObjectName",
    65: "OriginatingProgram",
    70: "ProgramVersion",
    80: "By-line",
    120: "Caption-Abstract",
}
_IPTC_ONLY_RESOURCES = frozenset({0x0404, 0x0425})


def _read_app13(raw: RawMetadata, body: bytes) -> None:
    """Photoshop image resources: ``8BIM``, 2-byte id, Pascal name padded to even, 4-byte size, data padded
    to even."""
    pos, resources = 0, set()
    while pos + 12 <= len(body) and body[pos : pos + 4] == b"8BIM":
        (resource_id,) = struct.unpack_from(">H", body, pos + 4)
        name_length = body[pos + 6]
        size_at = pos + 6 + ((name_length + 2) & ~1)
        if size_at + 4 > len(body):
            break
        (size,) = struct.unpack_from(">I", body, size_at)
        data_at = size_at + 4
        resources.add(resource_id)
        if resource_id == 0x0404:
            _read_iptc(raw, body[data_at : data_at + size])
        pos = data_at + size + (size & 1)
    if not resources or resources - _IPTC_ONLY_RESOURCES:
        raw.texts.setdefault("jpeg:Photoshop", "APP13")


def _read_iptc(raw: RawMetadata, iim: bytes) -> None:
    """IPTC-IIM datasets: ``0x1C``, record, dataset, 2-byte length (standard tags only)."""
    pos = 0
    while pos + 5 <= len(iim) and iim[pos] == 0x1C:
        record, dataset = iim[pos + 1], iim[pos + 2]
        (length,) = struct.unpack_from(">H", iim, pos + 3)
        if length & 0x8000:  # extended dataset: not used for the text fields read here
            break
        value = iim[pos + 5 : pos + 5 + length]
        pos += 5 + length
        if record == 2 and dataset in _IPTC_DATASETS:
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError:
                text = value.decode("latin-1")
            key = f"iptc:{_IPTC_DATASETS[dataset]}"
            if key not in raw.texts and raw.may_keep_text(f"jpeg: {key}", len(text)):
                raw.texts[key] = text


def _read_app1(raw: RawMetadata, body: bytes) -> None:
    if body.startswith(EXIF_HEADER):
        if not raw.exif:
            raw.exif = parse_exif(body, raw.errors)
    elif body.startswith(XMP_HEADER) and raw.xmp is None:
        packet = body[len(XMP_HEADER) :].decode("utf-8", errors="replace")
        if raw.may_keep_text("jpeg: XMP", len(packet)):
            raw.xmp = packet


def jpeg_segments(data: bytes) -> list[tuple[str, bytes]]:
    """Every marker segment before the first scan as ``(name, body)`` (``APP1``, ``COM``, ``SOF0``, …)."""
    out: list[tuple[str, bytes]] = []
    for marker, start, stop in iter_jpeg_segments(data):
        if 0xE0 <= marker <= 0xEF:
            name = f"APP{marker - 0xE0}"
        elif marker == 0xFE:
            name = "COM"
        else:
            name = f"0x{marker:02X}"
        out.append((name, data[start:stop]))
    return out
