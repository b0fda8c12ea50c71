"""AVIF: metadata read from the ISO-BMFF boxes without decoding pixels, to the same records as the PNG,
JPEG and WEBP files of the same tools; hostile box structures cost bounded work and give a note.

Real files are written by Pillow (libavif) the way each tool writes them:

- AUTOMATIC1111 ≥ 1.8 / Forge / reForge, ``modules/images.py`` ``save_image_with_geninfo``:
  ``image.save(filename, format=image_format, quality=opts.jpeg_quality, exif=exif_bytes)`` with
  ``exif_bytes = piexif.dump({"Exif": {piexif.ExifIFD.UserComment:
  piexif.helper.UserComment.dump(geninfo or "", encoding="unicode")}})`` — built here byte for byte as
  piexif 1.1.3 lays it out (:func:`piexif_user_comment_exif`), piexif not being a dependency;
- ComfyUI "Save Image Extended" (``save_image_extended.py`` ``get_metadata_exif``): ``img.getexif()``
  with ``Make`` = ``"Prompt: " + json.dumps(prompt)`` and ``ImageDescription`` = ``"Workflow: " +
  json.dumps(workflow)``, ``exif.tobytes()`` handed to ``img.save(path, exif=…, quality=…)``.

Hostile structures are built box by box (:func:`synthetic_avif`): the reader never needs AV1 data.
"""

from __future__ import annotations

import io
import json
import random
import struct
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from engine.metadata import ImageReadResult, UnreadableImage, read_image_bytes, walk_metadata_segments
from engine.metadata.avif import C2PA_UUID, MAX_ITEMS
from engine.metadata.container import read_container, sniff_format
from engine.metadata.isobmff import MAX_BOXES_PER_CONTAINER
from tests.cpu_budget import run_within_cpu_budget

MTIME = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)

A1111_INFOTEXT = (
    "a lighthouse on a cliff at dusk, oil painting, <lora:add_detail:0.6>\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 1808436925, "
    'Size: 832x1216, Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Lora hashes: "add_detail: 7c6bad76eb54", '
    "Version: v1.10.1"
)
FORGE_INFOTEXT = (
    "a paper lantern over a dark lake\n"
    "Negative prompt: watermark\n"
    "Steps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 42, Size: 1024x1024, "
    "Model hash: 4496b36d48, Model: juggernautXL_v9, Version: f2.0.1v1.10.1-previous-313-g8a042934"
)


# -- how the tools write their files --------------------------------------------------------------------


def piexif_user_comment_exif(text: str) -> bytes:
    """``piexif.dump({"Exif": {UserComment: UserComment.dump(text, encoding="unicode")}})``, byte for byte.

    piexif writes ``Exif\\0\\0`` + a big-endian TIFF header (IFD0 at 8); IFD0 holds one entry, the
    ExifIFD pointer (LONG, value 26), and a zero next-IFD offset; the Exif IFD holds one entry,
    UserComment (UNDEFINED, value at 40) and no next-IFD offset; then the value: ``UNICODE\\0`` +
    UTF-16BE text (``UserComment._UNICODE_PREFIX`` + ``data.encode("utf_16_be")``).
    """
    comment = b"UNICODE\x00" + text.encode("utf_16_be")
    zeroth = struct.pack(">H", 1) + struct.pack(">HHII", 0x8769, 4, 1, 8 + 18) + struct.pack(">I", 0)
    exif_ifd = struct.pack(">H", 1) + struct.pack(">HHI", 0x9286, 7, len(comment)) + struct.pack(">I", 40)
    return b"Exif\x00\x00" + b"MM\x00\x2a\x00\x00\x00\x08" + zeroth + exif_ifd + comment


def pixels(width: int = 64, height: int = 96) -> Image.Image:
    return Image.new("RGB", (width, height), (40, 90, 160))


def a1111_avif(infotext: str, *, width: int = 64, height: int = 96) -> bytes:
    """What ``save_image_with_geninfo`` writes for an ``.avif`` file (``jpeg_quality`` default 80)."""
    buffer = io.BytesIO()
    pixels(width, height).save(buffer, format="AVIF", quality=80, exif=piexif_user_comment_exif(infotext))
    return buffer.getvalue()


def a1111_png(infotext: str) -> bytes:
    """What ``save_image_with_geninfo`` writes for a ``.png`` file: a ``parameters`` text chunk."""
    info = PngInfo()
    info.add_text("parameters", infotext)
    buffer = io.BytesIO()
    pixels().save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def read(data: bytes, name: str = "00417-1808436925.avif") -> ImageReadResult:
    return read_image_bytes(data, file_name=name, mtime=MTIME)


def errors_of(result: ImageReadResult) -> list[str]:
    errors: Any = result.record.extra.get("metadata_errors", [])
    assert isinstance(errors, list)
    assert not any("reader bug" in message for message in errors), errors
    return errors


def generation_fields(result: ImageReadResult) -> dict[str, Any]:
    """The record without what differs by container: id, file name, the raw EXIF/texts kept in extra."""
    record = result.record
    fields = {
        name: getattr(record, name)
        for name in (
            "tool",
            "prompt",
            "negative_prompt",
            "seed",
            "cfg_scale",
            "steps",
            "sampler",
            "scheduler",
            "model",
            "loras",
            "width",
            "height",
            "denoise",
            "workflow_hash",
            "created_at",
            "created_at_source",
        )
    }
    fields["extra"] = {key: value for key, value in record.extra.items() if key not in ("exif", "texts")}
    return fields


# -- tools' files -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("infotext", "tool"), [(A1111_INFOTEXT, "a1111"), (FORGE_INFOTEXT, "forge")])
def test_an_a1111_or_forge_avif_reads_to_the_record_of_the_png_of_the_same_generation(
    infotext: str, tool: str
) -> None:
    avif = read(a1111_avif(infotext), "00417-1808436925.avif")
    png = read(a1111_png(infotext), "00417-1808436925.png")

    assert avif.image_format == "avif"
    assert avif.record.tool == tool
    assert generation_fields(avif) == generation_fields(png)
    assert avif.record.extra["exif"]["UserComment"] == infotext
    assert (avif.pixel_width, avif.pixel_height) == (64, 96)
    assert errors_of(avif) == []


def test_a_save_image_extended_avif_reads_as_the_comfyui_graph_it_carries() -> None:
    """Save Image Extended puts the API graph in IFD0 ``Make`` and the UI graph in ``ImageDescription``."""
    graph = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a lighthouse at dusk", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 11,
                "steps": 20,
                "cfg": 6.0,
                "sampler_name": "euler",
                "scheduler": "normal",
                "denoise": 1.0,
                "model": ["4", 0],
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
            },
        },
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImageExtended", "inputs": {"images": ["8", 0], "output_ext": ".avif"}},
    }
    workflow = {"last_node_id": 9, "nodes": [], "links": []}
    exif = Image.Exif()
    exif[0x010F] = "Prompt: " + json.dumps(graph)
    exif[0x010E] = "Workflow: " + json.dumps(workflow)
    buffer = io.BytesIO()
    pixels().save(buffer, format="AVIF", exif=exif.tobytes(), quality=75)

    result = read(buffer.getvalue(), "ComfyUI-0001.avif")

    record = result.record
    assert (record.tool, record.prompt, record.negative_prompt) == (
        "comfyui",
        "a lighthouse at dusk",
        "blurry",
    )
    assert (record.seed, record.steps, record.model) == (11, 20, "sd_xl_base_1.0.safetensors")
    assert errors_of(result) == []


def test_an_xmp_item_is_read_as_the_files_xmp() -> None:
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Atelier test writer"/>'
        "</rdf:RDF></x:xmpmeta>"
    )
    buffer = io.BytesIO()
    pixels().save(buffer, format="AVIF", xmp=xmp)

    result = read(buffer.getvalue(), "render.avif")

    assert result.record.extra["xmp"] == xmp
    assert errors_of(result) == []


def test_an_avif_without_metadata_is_an_unknown_image_with_its_size() -> None:
    buffer = io.BytesIO()
    pixels(48, 32).save(buffer, format="AVIF")

    result = read(buffer.getvalue(), "plain.avif")

    assert (result.record.tool, result.image_format) == ("unknown", "avif")
    assert (result.pixel_width, result.pixel_height) == (48, 32)
    assert "exif" not in result.record.extra and "xmp" not in result.record.extra
    assert errors_of(result) == []
    assert result.record.id == result.content_sha256


def test_the_pixel_size_is_the_primary_items_ispe_property() -> None:
    """Rewriting the ``ispe`` property changes the size read (the AV1 data is never consulted)."""
    data = bytearray(a1111_avif(A1111_INFOTEXT, width=40, height=24))
    at = data.index(b"ispe")
    assert struct.unpack_from(">II", data, at + 8) == (40, 24)
    struct.pack_into(">II", data, at + 8, 4096, 2304)

    result = read(bytes(data))

    assert (result.pixel_width, result.pixel_height) == (4096, 2304)
    assert result.record.prompt is not None and result.record.prompt.startswith("a lighthouse")


def test_reading_an_avif_never_decodes_its_pixels(image_opens: list[str]) -> None:
    with_metadata = a1111_avif(A1111_INFOTEXT)
    buffer = io.BytesIO()
    Image.new("RGBA", (32, 32), (1, 2, 3, 254)).save(buffer, format="AVIF")  # alpha, no metadata
    image_opens.clear()

    assert read(with_metadata).record.tool == "a1111"
    assert read(buffer.getvalue()).record.tool == "unknown"
    assert image_opens == []


def test_avif_is_sniffed_from_its_brands_not_its_name() -> None:
    data = a1111_avif(A1111_INFOTEXT)
    assert sniff_format(data) == "avif"
    assert read(data, "misnamed.png").record.tool == "a1111"
    # major brand mif1 with avif among the compatible brands (other writers' ftyp)
    mif1 = synthetic_avif(exif=a1111_exif_item(A1111_INFOTEXT), brands=(b"mif1", b"avif", b"miaf"))
    assert sniff_format(mif1) == "avif"
    assert read(mif1).record.tool == "a1111"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC/HEIF images are not supported"),
        (
            b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1miaf" + b"\x00" * 16,
            "HEIC/HEIF images are not supported",
        ),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 16, "ISO-BMFF file of brand 'isom'"),
        (b"\x00\x00\x00\x18ftypav", "truncated image header"),
    ],
)
def test_other_iso_bmff_files_are_refused_with_a_specific_reason(data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableImage, match=reason):
        read(data, "photo.avif")


def test_walk_metadata_segments_lists_avif_boxes() -> None:
    names = [name for name, _ in walk_metadata_segments(a1111_avif(A1111_INFOTEXT))]
    assert names[:2] == ["ftyp", "meta"]
    assert {"meta/hdlr", "meta/pitm", "meta/iloc", "meta/iinf", "meta/iprp", "mdat"} <= set(names)
    assert dict(walk_metadata_segments(a1111_avif(A1111_INFOTEXT)))["mdat"] == b""


# -- a box-by-box AVIF builder for the layouts Pillow does not write ----------------------------------


def box(kind: bytes, body: bytes, *, large: bool = False) -> bytes:
    if large:
        return struct.pack(">I", 1) + kind + struct.pack(">Q", 16 + len(body)) + body
    return struct.pack(">I", 8 + len(body)) + kind + body


def full_box(kind: bytes, body: bytes, *, version: int = 0, flags: int = 0, large: bool = False) -> bytes:
    return box(kind, bytes([version]) + flags.to_bytes(3, "big") + body, large=large)


def a1111_exif_item(infotext: str) -> bytes:
    """An ``Exif`` item as libavif writes it: the 4-byte TIFF header offset (6), then the blob."""
    return struct.pack(">I", 6) + piexif_user_comment_exif(infotext)


def _uint(value: int, size: int) -> bytes:
    return max(value, 0).to_bytes(size, "big") if size else b""  # the first layout pass may go negative


def synthetic_avif(
    *,
    exif: bytes | None = None,
    xmp: bytes | None = None,
    size: tuple[int, int] = (64, 48),
    brands: tuple[bytes, ...] = (b"avif", b"mif1", b"miaf"),
    iloc_version: int = 0,
    field_sizes: tuple[int, int, int, int] = (4, 4, 0, 0),
    base_offset: int = 0,
    in_idat: bool = False,
    large_boxes: bool = False,
    mdat_to_end: bool = False,
    exif_offset_shift: int = 0,
    top_level_extra: bytes = b"",
) -> bytes:
    """ftyp + meta (hdlr, pitm, iinf, iloc, iprp) + mdat; item 1 is the (fake) AV1 image, 2 the Exif
    item, 3 the XMP item. ``field_sizes`` are iloc's (offset, length, base offset, index) sizes; with
    ``in_idat`` the metadata items use construction method 1 (``idat``, iloc version ≥ 1)."""
    image_data = b"\x12\x00\x0a\x0a" + b"\x00" * 12  # not decodable: the reader must not need it
    items: list[tuple[int, bytes, bytes]] = [(1, b"av01", image_data)]
    if exif is not None:
        items.append((2, b"Exif", exif))
    if xmp is not None:
        items.append((3, b"mime", xmp))
    offset_size, length_size, base_size, index_size = field_sizes
    infe = []
    for item, kind, _ in items:
        body = struct.pack(">HH", item, 0) + kind + b"\x00"
        if kind == b"mime":
            body += b"application/rdf+xml\x00"
        infe.append(full_box(b"infe", body, version=2))
    iinf = full_box(b"iinf", struct.pack(">H", len(items)) + b"".join(infe))
    ispe = full_box(b"ispe", struct.pack(">II", *size))
    ipma = full_box(b"ipma", struct.pack(">IHBB", 1, 1, 1, 0x81))
    iprp = box(b"iprp", box(b"ipco", ispe) + ipma)
    hdlr = full_box(b"hdlr", b"\x00" * 4 + b"pict" + b"\x00" * 12 + b"\x00")
    pitm = full_box(b"pitm", struct.pack(">H", 1))
    ftyp = box(b"ftyp", brands[0] + b"\x00\x00\x00\x00" + b"".join(brands))

    def layout(mdat_start: int) -> tuple[bytes, bytes]:
        mdat_body = b""
        idat_body = b""
        entries = []
        for item, _, payload in items:
            method = 1 if in_idat and item != 1 else 0
            if method == 1:
                offset = len(idat_body) - base_offset
                idat_body += payload
            else:
                offset = mdat_start + len(mdat_body) - base_offset
                mdat_body += payload
            if item == 2:
                offset += exif_offset_shift
            entry = _uint(item, 2 if iloc_version < 2 else 4)
            if iloc_version in (1, 2):
                entry += struct.pack(">H", method)
            entry += struct.pack(">H", 0) + _uint(base_offset, base_size) + struct.pack(">H", 1)
            entry += _uint(1, index_size) + _uint(offset, offset_size) + _uint(len(payload), length_size)
            entries.append(entry)
        iloc_body = bytes([offset_size << 4 | length_size, base_size << 4 | index_size])
        iloc_body += _uint(len(items), 2 if iloc_version < 2 else 4) + b"".join(entries)
        iloc = full_box(b"iloc", iloc_body, version=iloc_version)
        children = hdlr + pitm + iloc + iinf + iprp + (box(b"idat", idat_body) if in_idat else b"")
        meta = full_box(b"meta", children, large=large_boxes)
        return meta, mdat_body

    meta, _ = layout(0)
    mdat_header = 16 if large_boxes else 8
    meta, mdat_body = layout(len(ftyp) + len(meta) + mdat_header)
    if mdat_to_end:
        mdat = struct.pack(">I", 0) + b"mdat" + mdat_body
    else:
        mdat = box(b"mdat", mdat_body, large=large_boxes)
    return ftyp + meta + mdat + top_level_extra


# -- item locations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "field_sizes", "base_offset"),
    [
        (0, (4, 4, 0, 0), 0),
        (0, (8, 8, 4, 0), 100),
        (1, (4, 4, 8, 4), 7),
        (2, (8, 4, 4, 8), 3),
        (1, (0, 0, 4, 0), 0),  # offset and length fields absent: the extent is the whole file
    ],
)
def test_iloc_versions_and_field_sizes_locate_the_exif_item(
    version: int, field_sizes: tuple[int, int, int, int], base_offset: int
) -> None:
    xmp = b'<x:xmpmeta xmp:CreatorTool="x"/>' if field_sizes[0] else None
    data = synthetic_avif(
        exif=a1111_exif_item(A1111_INFOTEXT),
        xmp=xmp,
        iloc_version=version,
        field_sizes=field_sizes,
        base_offset=base_offset,
    )

    raw = read_container(data, "x.avif")

    if xmp is not None:
        assert raw.exif["UserComment"] == A1111_INFOTEXT
        assert raw.xmp == xmp.decode()
        assert raw.errors == []
    else:  # offset 0, length 0 = the whole file: its first bytes are no Exif item
        assert raw.exif == {} and raw.errors
    assert (raw.pixel_width, raw.pixel_height) == (64, 48)


def test_items_in_the_meta_boxs_idat_are_read() -> None:
    data = synthetic_avif(
        exif=a1111_exif_item(A1111_INFOTEXT), xmp=b"<x:xmpmeta/>", iloc_version=1, in_idat=True
    )

    raw = read_container(data, "x.avif")

    assert (raw.exif["UserComment"], raw.xmp, raw.errors) == (A1111_INFOTEXT, "<x:xmpmeta/>", [])


def test_64_bit_box_sizes_and_a_last_box_running_to_the_end_are_read() -> None:
    for data in (
        synthetic_avif(exif=a1111_exif_item(A1111_INFOTEXT), large_boxes=True),
        synthetic_avif(exif=a1111_exif_item(A1111_INFOTEXT), mdat_to_end=True),
    ):
        result = read(data)
        assert (result.record.tool, result.record.seed) == ("a1111", 1808436925)
        assert errors_of(result) == []


def test_a_wrong_tiff_header_offset_before_an_exif_header_is_read_with_a_note() -> None:
    item = struct.pack(">I", 0) + piexif_user_comment_exif(A1111_INFOTEXT)  # offset 0, yet Exif\0\0 first

    result = read(synthetic_avif(exif=item))

    assert result.record.seed == 1808436925
    assert any("TIFF header offset 0 is wrong" in message for message in errors_of(result))


def test_a_c2pa_uuid_box_gives_the_manifest_store() -> None:
    """c2pa-rs's BMFF embedding: ``uuid`` box, C2PA extended type, FullBox version and flags, purpose
    ``manifest``, a 64-bit Merkle offset, then the JUMBF manifest store."""
    store = box(b"jumb", box(b"jumd", b"c2pa" + b"\x00" * 12 + b"\x03c2pa\x00"))
    c2pa = box(b"uuid", C2PA_UUID + b"\x00\x00\x00\x00" + b"manifest\x00" + struct.pack(">Q", 0) + store)

    raw = read_container(synthetic_avif(top_level_extra=c2pa), "x.avif")

    assert raw.c2pa == store


# -- hostile structures -------------------------------------------------------------------------------


def test_every_truncation_gives_a_result_or_unreadable_image() -> None:
    data = a1111_avif(A1111_INFOTEXT)
    meta_end = data.index(b"mdat") - 4
    for length in range(len(data)):
        try:
            result = read(data[:length])
        except UnreadableImage as error:
            assert length < meta_end, (length, error.reason)
            assert error.reason
            continue
        assert length >= meta_end
        if length < len(data):
            assert errors_of(result)  # the cut mdat or the missing Exif bytes are noted


def test_a_meta_box_cut_by_the_end_of_the_file_is_unreadable() -> None:
    data = a1111_avif(A1111_INFOTEXT)
    with pytest.raises(UnreadableImage, match="no complete 'meta' box"):
        read(data[: data.index(b"iprp")])


def test_box_sizes_past_the_end_are_noted_and_what_precedes_them_read() -> None:
    data = bytearray(a1111_avif(A1111_INFOTEXT))
    mdat = data.index(b"mdat") - 4
    struct.pack_into(">I", data, mdat, 0xFFFFFFF0)  # mdat claims 4 GB

    result = read(bytes(data))

    assert result.record.tool == "a1111"  # Exif located by iloc, read from the bytes present
    assert any("'mdat' at byte" in message and "past the end" in message for message in errors_of(result))

    meta = bytearray(a1111_avif(A1111_INFOTEXT))
    struct.pack_into(">I", meta, meta.index(b"meta") - 4, 0xFFFFFF00)
    with pytest.raises(UnreadableImage, match="no complete 'meta' box"):
        read(bytes(meta))


@pytest.mark.parametrize("declared", [0, 3, 15])
def test_a_64_bit_size_smaller_than_its_header_is_noted(declared: int) -> None:
    bogus = struct.pack(">I", 1) + b"free" + struct.pack(">Q", declared)
    data = synthetic_avif(exif=a1111_exif_item(A1111_INFOTEXT), top_level_extra=bogus)

    result = read(data)

    assert result.record.tool == "a1111"
    assert any("less than its header" in message for message in errors_of(result))


def test_iloc_offsets_outside_the_file_are_noted_and_the_image_still_read() -> None:
    data = synthetic_avif(exif=a1111_exif_item(A1111_INFOTEXT), exif_offset_shift=1 << 20)

    result = read(data)

    assert result.record.tool == "unknown"
    assert (result.pixel_width, result.pixel_height) == (64, 48)
    assert any("lies outside the file" in message for message in errors_of(result))


def test_a_huge_iloc_item_count_costs_only_the_bytes_present() -> None:
    data = bytearray(synthetic_avif(exif=a1111_exif_item(A1111_INFOTEXT), iloc_version=2))
    iloc = data.index(b"iloc")
    struct.pack_into(">I", data, iloc + 4 + 4 + 2, 0xFFFFFFFF)  # item_count (version 2: 32 bits)

    result = run_within_cpu_budget(lambda: read(bytes(data)), 1.0, "the read")

    assert result.record.tool == "a1111"  # the Exif entry precedes the cut
    assert any("'iloc' box is cut short" in message for message in errors_of(result))


def test_many_items_and_boxes_are_bounded() -> None:
    """A ``meta`` box with more boxes than the bound, an ``iloc`` with more entries than the bound and
    zero-sized extents: each costs a bounded walk and one note."""
    many_free = box(b"free", b"") * (MAX_BOXES_PER_CONTAINER + 50)
    entries = b"".join(struct.pack(">HHH", 100 + index, 0, 0xFFFF) for index in range(MAX_ITEMS + 10))
    iloc = full_box(b"iloc", bytes([0x00, 0x00]) + struct.pack(">H", 0xFFFF) + entries)
    base = synthetic_avif(exif=a1111_exif_item(A1111_INFOTEXT))
    meta_start = base.index(b"meta") - 4
    (meta_size,) = struct.unpack_from(">I", base, meta_start)
    children = base[meta_start + 12 : meta_start + meta_size]
    hostile_meta = full_box(b"meta", iloc + children + many_free)  # the first 'iloc' is the hostile one
    data = base[:meta_start] + hostile_meta + base[meta_start + meta_size :]

    result = run_within_cpu_budget(lambda: read(data), 2.0, "the read")

    errors = errors_of(result)
    assert any(f"'iloc' lists 65535 items; those after {MAX_ITEMS} skipped" in m for m in errors), errors
    assert any(f"over {MAX_BOXES_PER_CONTAINER} boxes in the 'meta' box" in m for m in errors), errors
    assert any("the Exif item (2) has no location" in m for m in errors), errors
    assert (result.record.tool, result.pixel_width) == ("unknown", 64)


def test_a_deep_nest_of_meta_boxes_is_not_walked() -> None:
    nested = b""
    for _ in range(5000):
        nested = full_box(b"meta", nested)
    data = synthetic_avif(exif=a1111_exif_item(A1111_INFOTEXT), top_level_extra=nested)

    result = run_within_cpu_budget(lambda: read(data), 1.0, "the read")

    assert result.record.tool == "a1111"  # the first meta box is the file's


def test_random_corruption_never_raises_anything_else() -> None:
    """Bytes of a real file overwritten at random: a record (with notes) or ``UnreadableImage``."""
    original = a1111_avif(A1111_INFOTEXT)
    assert read(original).record.tool == "a1111"
    rng = random.Random(20261201)
    started = time.thread_time()
    records = 0
    for _ in range(400):
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(min(len(data), 420))  # the header and meta boxes
            data[at] = rng.choice((0x00, 0x01, 0xFF, 0x7F, rng.randrange(256)))
        try:
            errors_of(read(bytes(data)))
        except UnreadableImage as error:
            assert error.reason
        else:
            records += 1
    assert records > 100  # most corruptions still leave a readable image
    assert time.thread_time() - started < 20.0  # 400 reads: a per-read pause cannot add up to this


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (b"pitm", b"free", "no primary item"),
        (b"pict", b"vide", "handler is 'vide', not 'pict'"),
        (b"hdlr", b"free", "handler is none"),
    ],
)
def test_a_meta_box_that_names_no_picture_is_unreadable(old: bytes, new: bytes, reason: str) -> None:
    data = a1111_avif(A1111_INFOTEXT).replace(old, new, 1)
    with pytest.raises(UnreadableImage, match=reason):
        read(data)


def test_a_primary_item_without_an_ispe_size_is_read_with_a_note() -> None:
    result = read(a1111_avif(A1111_INFOTEXT).replace(b"ispe", b"free", 1))

    assert (result.record.tool, result.pixel_width, result.pixel_height) == ("a1111", None, None)
    assert "avif: no 'ispe' image size for the primary item" in errors_of(result)
