"""AVIF (AV1 still images in the HEIF container, ISO-BMFF) metadata walk, never decoding pixels.

What writes AVIF, and where its metadata is (checked against the writers' public source):

- AUTOMATIC1111 ≥ 1.8, Forge, reForge (``modules/images.py`` ``save_image_with_geninfo``): Pillow
  ``save(…, format="AVIF", exif=piexif.dump({"Exif": {UserComment: UserComment.dump(infotext,
  encoding="unicode")}}))`` — the infotext in the Exif sub-IFD's ``UserComment`` (``UNICODE\\0`` +
  UTF-16BE) of a big-endian TIFF, exactly as in their JPEG/WEBP files. SD.Next descends from that code;
  its AVIF branch was not checked here, and any EXIF/XMP it writes reaches the readers the same way.
- ComfyUI "Save Image Extended" (``save_image_extended.py`` ``get_metadata_exif``): Pillow
  ``Image.Exif`` with IFD0 ``Make`` = ``"Prompt: " + json(prompt)`` and ``ImageDescription`` =
  ``"Workflow: " + json(workflow)``, as in its WEBP/JPEG files. (ComfyUI-Image-Saver offers only PNG,
  JPEG and WEBP in the version checked.)
- Pillow (≥ 11.3, through libavif) stores ``exif=`` as an ``Exif`` item and ``xmp=`` as a ``mime`` item
  of content type ``application/rdf+xml``, both in ``mdat``, each linked to the image by a ``cdsc``
  reference.

The walk: the ``ftyp`` box (sniffed by :mod:`engine.metadata.container`), the first top-level
``meta`` box — ``hdlr`` (must be ``pict``), ``pitm`` (the primary item), ``iinf``/``infe`` (item
types; versions 2 and 3), ``iloc`` (versions 0–2; offset, length, base-offset and index sizes of 0, 4
or 8 bytes; construction method 0, data anywhere in the file, usually ``mdat``, or 1, data in the
``meta`` box's ``idat``), ``iprp``/``ipco``/``ipma`` (the ``ispe`` property of the primary item gives
``pixel_width``/``pixel_height``: the coded size, before any ``irot``/``imir``/``clap``, as the JPEG
frame header gives a JPEG's size before its EXIF orientation) — and a top-level C2PA ``uuid`` box
(``D8FEC3D6-1B0E-483C-9297-5828877EC481``, as c2pa-rs embeds a manifest store in BMFF files: FullBox
header, ``box_purpose`` ``"manifest"``, a 64-bit Merkle offset, then the JUMBF manifest store).

The ``Exif`` item starts with a 4-byte big-endian offset from its end to the TIFF header (HEIF,
ISO/IEC 23008-12 Annex A; libavif writes 6, skipping ``Exif\\0\\0``); the TIFF blob is handed to
:func:`~engine.metadata.exif.parse_exif`. A wrong offset with a TIFF header right after the offset
field is read anyway (with a note). The first ``Exif`` item and the first XMP item in ``iinf`` order
are read; the first C2PA box likewise.

Bounds (hostile files cost bounded work and never raise anything but :class:`UnreadableImage`):
boxes per container :data:`~engine.metadata.isobmff.MAX_BOXES_PER_CONTAINER`, a fixed depth (file →
``meta`` → ``iinf``/``iprp`` → ``infe``/``ipco``; nothing recurses, positions only move forward),
:data:`MAX_ITEMS` ``iloc``/``ipma`` entries, :data:`MAX_EXTENTS_PER_ITEM` extents of a metadata item
(the extents of other items are skipped without reading them), metadata items of at most
:data:`~engine.metadata.limits.MAX_TEXT_BYTES`; a truncated box, an extent outside the file, an
unsupported construction method or field size is one note in ``errors`` and the rest is still read.
A file with no complete ``meta`` box, a ``meta`` box that is not a picture's, or no primary item is
unreadable (it has no image header); a primary item without an ``ispe`` size is read with a note.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from engine.metadata.exif import EXIF_HEADER, parse_exif
from engine.metadata.isobmff import Box, iter_boxes
from engine.metadata.limits import MAX_TEXT_BYTES
from engine.metadata.raw import RawMetadata
from engine.metadata.result import UnreadableImage

AVIF_BRANDS = frozenset({b"avif", b"avis"})
"""``ftyp`` brands that make a file AVIF (still image, image sequence)."""

HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2"})
"""``ftyp`` brands of other HEIF images (HEVC-coded HEIC and the generic HEIF brands)."""

MAX_ITEMS = 10_000
"""Most ``iloc`` and ``ipma`` entries walked (a tiled image has one item per tile: hundreds at most)."""

MAX_EXTENTS_PER_ITEM = 4096
"""Most extents gathered for one metadata item (writers use one)."""

C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
"""The extended type of the ``uuid`` box that holds a C2PA manifest store in an ISO-BMFF file."""

_T = TypeVar("_T")
_TIFF_HEADERS = (b"II*\x00", b"MM\x00*")
_XMP_CONTENT_TYPE = "application/rdf+xml"


class _Cut(Exception):
    """A field runs past the end of its box (internal: always caught in this module)."""


class _Fields:
    """Big-endian fields read in order from ``data[position:stop]``; :class:`_Cut` past ``stop``."""

    def __init__(self, data: bytes, position: int, stop: int) -> None:
        self.data = data
        self.position = position
        self.stop = stop

    def uint(self, size: int) -> int:
        """An unsigned integer of ``size`` bytes (0 gives 0, as ISO-BMFF's zero-sized fields mean)."""
        if self.position + size > self.stop:
            raise _Cut
        value = int.from_bytes(self.data[self.position : self.position + size], "big")
        self.position += size
        return value

    def fourcc(self) -> bytes:
        if self.position + 4 > self.stop:
            raise _Cut
        self.position += 4
        return self.data[self.position - 4 : self.position]

    def text(self) -> str:
        """A NUL-terminated UTF-8 string (a missing terminator ends the string at the box's end)."""
        end = self.data.find(b"\x00", self.position, self.stop)
        end = self.stop if end < 0 else end
        value = self.data[self.position : end].decode("utf-8", errors="replace")
        self.position = min(end + 1, self.stop)
        return value

    def skip(self, size: int) -> None:
        if self.position + size > self.stop:
            raise _Cut
        self.position += size


@dataclass(slots=True)
class _Meta:
    """What the ``meta`` box says about the items this reader needs."""

    handler: bytes | None = None
    primary: int | None = None
    exif_item: int | None = None
    xmp_item: int | None = None
    idat: tuple[int, int] | None = None
    """``(start, end)`` of the ``idat`` box's body in the file."""
    locations: dict[int, tuple[int, list[tuple[int, int]]]] = field(default_factory=dict)
    """Item id → ``(construction method, [(offset, length), …])`` for the metadata items only; offsets
    already include the base offset, a length of 0 means "to the end of the data"."""
    size: tuple[int, int] | None = None


def read_avif(data: bytes, path: str) -> RawMetadata:
    """Walk an AVIF's boxes into a :class:`RawMetadata` (see the module docstring for what is read)."""
    raw = RawMetadata("avif")
    meta_box: Box | None = None
    for box in iter_boxes(data, 0, len(data), raw.errors, container="file"):
        if box.kind == b"meta" and meta_box is None:
            meta_box = box
        elif box.kind == b"uuid" and box.extended_type == C2PA_UUID and raw.c2pa is None:
            raw.c2pa = _c2pa_manifest_store(data, box, raw.errors)
    if meta_box is None:
        raise UnreadableImage(path, "truncated or invalid AVIF: no complete 'meta' box (item information)")
    meta = _read_meta(data, meta_box, raw.errors)
    if meta.handler != b"pict":
        handler = "none" if meta.handler is None else repr(meta.handler.decode("latin-1"))
        raise UnreadableImage(path, f"invalid AVIF: the 'meta' box's handler is {handler}, not 'pict'")
    if meta.primary is None:
        raise UnreadableImage(path, "invalid AVIF: no primary item ('pitm' box)")
    if meta.size is None:
        raw.errors.append("avif: no 'ispe' image size for the primary item")
    else:
        raw.pixel_width, raw.pixel_height = meta.size
    if meta.exif_item is not None:
        payload = _item_bytes(data, meta, meta.exif_item, "Exif", raw.errors)
        tiff = None if payload is None else _exif_tiff(payload, raw.errors)
        if tiff is not None:
            raw.exif = parse_exif(tiff, raw.errors)
    if meta.xmp_item is not None:
        payload = _item_bytes(data, meta, meta.xmp_item, "XMP", raw.errors)
        if payload is not None:
            raw.xmp = payload.decode("utf-8", errors="replace").rstrip("\x00")
    return raw


def _read_meta(data: bytes, meta_box: Box, errors: list[str]) -> _Meta:
    """The ``meta`` box's children, read in a fixed order whatever their order in the file: items and
    the primary first, so that ``iloc`` and ``ipma`` keep only what is needed."""
    meta = _Meta()
    children: dict[bytes, Box] = {}
    for box in iter_boxes(data, meta_box.body_start + 4, meta_box.end, errors, container="'meta' box"):
        if box.kind in children:
            continue  # the first of each kind counts
        children[box.kind] = box
    if (hdlr := children.get(b"hdlr")) is not None and hdlr.end - hdlr.body_start >= 12:
        meta.handler = data[hdlr.body_start + 8 : hdlr.body_start + 12]
    if (pitm := children.get(b"pitm")) is not None:
        meta.primary = _guarded(errors, "pitm", lambda: _primary_item(data, pitm))
    if (idat := children.get(b"idat")) is not None:
        meta.idat = (idat.body_start, idat.end)
    if (iinf := children.get(b"iinf")) is not None:
        _read_item_infos(data, iinf, meta, errors)
    wanted = {item for item in (meta.exif_item, meta.xmp_item) if item is not None}
    if (iloc := children.get(b"iloc")) is not None and wanted:
        _guarded(errors, "iloc", lambda: _read_locations(data, iloc, wanted, meta.locations, errors))
    if (iprp := children.get(b"iprp")) is not None and meta.primary is not None:
        meta.size = _primary_size(data, iprp, meta.primary, errors)
    return meta


def _guarded(errors: list[str], box_name: str, read: Callable[[], _T]) -> _T | None:
    """``read()``, or ``None`` with a note when a field of box ``box_name`` runs past its end."""
    try:
        return read()
    except _Cut:
        errors.append(f"avif: the '{box_name}' box is cut short")
        return None


def _full_box(data: bytes, box: Box) -> tuple[int, int, _Fields]:
    """``(version, flags, fields after them)`` of a FullBox."""
    fields = _Fields(data, box.body_start, box.end)
    version = fields.uint(1)
    flags = fields.uint(3)
    return version, flags, fields


def _primary_item(data: bytes, pitm: Box) -> int:
    version, _, fields = _full_box(data, pitm)
    return fields.uint(2 if version == 0 else 4)


def _read_item_infos(data: bytes, iinf: Box, meta: _Meta, errors: list[str]) -> None:
    """The ``Exif`` and XMP items of ``iinf`` (``infe`` versions 2 and 3; earlier versions have no
    item type and are skipped)."""
    try:
        version, _, fields = _full_box(data, iinf)
        fields.uint(2 if version == 0 else 4)  # entry_count: the child boxes are counted instead
    except _Cut:
        errors.append("avif: the 'iinf' box is cut short")
        return
    for infe in iter_boxes(data, fields.position, iinf.end, errors, container="'iinf' box"):
        if infe.kind != b"infe":
            continue
        try:
            version, _, entry = _full_box(data, infe)
            if version < 2:
                continue
            item = entry.uint(2 if version == 2 else 4)
            entry.uint(2)  # item_protection_index
            item_type = entry.fourcc()
            entry.text()  # item_name
            content_type = entry.text() if item_type == b"mime" else ""
        except _Cut:
            errors.append(f"avif: an 'infe' box at byte {infe.start} is cut short")
            continue
        if item_type == b"Exif" and meta.exif_item is None:
            meta.exif_item = item
        elif item_type == b"mime" and content_type == _XMP_CONTENT_TYPE and meta.xmp_item is None:
            meta.xmp_item = item


_FIELD_SIZES = frozenset({0, 4, 8})


def _read_locations(
    data: bytes,
    iloc: Box,
    wanted: set[int],
    locations: dict[int, tuple[int, list[tuple[int, int]]]],
    errors: list[str],
) -> None:
    """``iloc`` entries of the ``wanted`` items into ``locations``; other items' extents are skipped by
    size (constant per box) without being read, so an entry costs O(1) whatever its extent count."""
    version, _, fields = _full_box(data, iloc)
    if version > 2:
        errors.append(f"avif: 'iloc' version {version} is not supported")
        return
    sizes = fields.uint(1)
    offset_size, length_size = sizes >> 4, sizes & 0x0F
    sizes = fields.uint(1)
    base_offset_size, index_size = sizes >> 4, (sizes & 0x0F if version in (1, 2) else 0)
    if not {offset_size, length_size, base_offset_size, index_size} <= _FIELD_SIZES:
        errors.append(
            "avif: 'iloc' field sizes "
            f"{offset_size}/{length_size}/{base_offset_size}/{index_size} are not 0, 4 or 8 bytes"
        )
        return
    item_count = fields.uint(2 if version < 2 else 4)
    extent_size = index_size + offset_size + length_size
    for number in range(item_count):
        if number == MAX_ITEMS:
            errors.append(f"avif: 'iloc' lists {item_count} items; those after {MAX_ITEMS} skipped")
            return
        item = fields.uint(2 if version < 2 else 4)
        method = fields.uint(2) & 0x0F if version in (1, 2) else 0
        data_reference = fields.uint(2)
        base_offset = fields.uint(base_offset_size)
        extent_count = fields.uint(2)
        if item not in wanted or item in locations:
            fields.skip(extent_count * extent_size)
            continue
        if data_reference != 0:
            errors.append(f"avif: item {item}'s data is in another file (data reference {data_reference})")
            fields.skip(extent_count * extent_size)
            continue
        if extent_count > MAX_EXTENTS_PER_ITEM:
            errors.append(f"avif: item {item} has {extent_count} extents (most read: {MAX_EXTENTS_PER_ITEM})")
            fields.skip(extent_count * extent_size)
            continue
        extents = []
        for _ in range(extent_count):
            fields.skip(index_size)
            extent_offset = fields.uint(offset_size)
            extents.append((base_offset + extent_offset, fields.uint(length_size)))
        locations[item] = (method, extents)


def _item_bytes(data: bytes, meta: _Meta, item: int, name: str, errors: list[str]) -> bytes | None:
    """The bytes of metadata item ``item`` (its extents joined), or ``None`` with a note."""
    location = meta.locations.get(item)
    if location is None:
        errors.append(f"avif: the {name} item ({item}) has no location in 'iloc'")
        return None
    method, extents = location
    if method == 0:
        source_start, source_end = 0, len(data)
    elif method == 1 and meta.idat is not None:
        source_start, source_end = meta.idat
    else:
        where = "an 'idat' box, which is missing" if method == 1 else f"construction method {method}"
        errors.append(f"avif: the {name} item's data is in {where}; not read")
        return None
    total = 0
    spans: list[tuple[int, int]] = []
    for offset, length in extents:
        start = source_start + offset
        end = source_end if length == 0 else start + length
        if start > source_end or end > source_end:
            errors.append(
                f"avif: the {name} item's data (offset {offset}, {length} bytes) lies outside the "
                f"{'file' if method == 0 else 'idat box'}"
            )
            return None
        total += end - start
        if total > MAX_TEXT_BYTES:
            errors.append(f"avif: the {name} item is over {MAX_TEXT_BYTES} bytes; skipped")
            return None
        spans.append((start, end))
    return b"".join(data[start:end] for start, end in spans)


def _exif_tiff(payload: bytes, errors: list[str]) -> bytes | None:
    """The TIFF blob of an ``Exif`` item: after the 4-byte offset field, at the offset it gives."""
    if len(payload) < 4:
        errors.append("avif: the Exif item is shorter than its 4-byte TIFF header offset")
        return None
    (offset,) = struct.unpack_from(">I", payload, 0)
    body = payload[4:]
    if offset <= len(body) and body[offset : offset + 4] in _TIFF_HEADERS:
        return body[offset:]
    if body.startswith(EXIF_HEADER) or body[:4] in _TIFF_HEADERS:
        errors.append(f"avif: the Exif item's TIFF header offset {offset} is wrong; read from its start")
        return body
    errors.append(f"avif: no TIFF header at the Exif item's offset {offset}")
    return None


def _primary_size(data: bytes, iprp: Box, primary: int, errors: list[str]) -> tuple[int, int] | None:
    """The primary item's ``ispe`` size from ``ipco`` (the properties, numbered from 1) and ``ipma``
    (each item's property numbers)."""
    ipco: Box | None = None
    ipma: Box | None = None
    for box in iter_boxes(data, iprp.body_start, iprp.end, errors, container="'iprp' box"):
        if box.kind == b"ipco" and ipco is None:
            ipco = box
        elif box.kind == b"ipma" and ipma is None:
            ipma = box
    if ipco is None or ipma is None:
        return None
    properties = list(iter_boxes(data, ipco.body_start, ipco.end, errors, container="'ipco' box"))
    indexes = _guarded(errors, "ipma", lambda: _associated_properties(data, ipma, primary))
    for index in indexes or ():
        if 1 <= index <= len(properties) and properties[index - 1].kind == b"ispe":
            size = _guarded(errors, "ispe", partial(_ispe_size, data, properties[index - 1]))
            if size is not None:
                return size
    return None


def _associated_properties(data: bytes, ipma: Box, item: int) -> list[int]:
    """The property numbers ``ipma`` associates with ``item`` (other entries skipped by size)."""
    version, flags, fields = _full_box(data, ipma)
    entry_count = fields.uint(4)
    index_size = 2 if flags & 1 else 1
    for _ in range(min(entry_count, MAX_ITEMS)):
        entry_item = fields.uint(2 if version < 1 else 4)
        count = fields.uint(1)
        if entry_item != item:
            fields.skip(count * index_size)
            continue
        mask = 0x7FFF if index_size == 2 else 0x7F  # the top bit says "essential"
        return [fields.uint(index_size) & mask for _ in range(count)]
    return []


def _ispe_size(data: bytes, ispe: Box) -> tuple[int, int] | None:
    _, _, fields = _full_box(data, ispe)
    width, height = fields.uint(4), fields.uint(4)
    return (width, height) if width and height else None


def _c2pa_manifest_store(data: bytes, box: Box, errors: list[str]) -> bytes | None:
    """The JUMBF manifest store of a C2PA ``uuid`` box whose purpose is ``manifest``, else ``None``."""
    try:
        _, _, fields = _full_box(data, box)
        purpose = fields.text()
        if purpose != "manifest":
            return None
        fields.uint(8)  # merkle_offset
    except _Cut:
        errors.append("avif: the C2PA 'uuid' box is cut short")
        return None
    return data[fields.position : box.end] or None


def avif_segments(data: bytes) -> list[tuple[str, bytes]]:
    """The top-level boxes and the ``meta`` box's children as ``(type, body)``; ``mdat`` (pixel data) is
    listed with an empty body, a ``meta`` child as ``meta/<type>``."""
    out: list[tuple[str, bytes]] = []
    ignored: list[str] = []
    for box in iter_boxes(data, 0, len(data), ignored, container="file"):
        name = box.kind.decode("latin-1")
        out.append((name, b"" if box.kind == b"mdat" else data[box.body_start : box.end]))
        if box.kind == b"meta" and box.end - box.body_start >= 4:
            for child in iter_boxes(data, box.body_start + 4, box.end, ignored, container="'meta' box"):
                out.append((f"meta/{child.kind.decode('latin-1')}", data[child.body_start : child.end]))
    return out
