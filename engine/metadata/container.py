"""Container sniffing by magic bytes (never by file extension) and dispatch to the chunk walkers.

Formats read: PNG, JPEG, WEBP and AVIF (an ISO-BMFF file whose ``ftyp`` box names ``avif`` or ``avis`` as
its major or a compatible brand). Other ISO-BMFF files are refused with a specific reason: HEIC/HEIF
images (HEVC-coded; no decoder here for their thumbnails), and video or other media (MP4, MOV…).
"""

from __future__ import annotations

from engine.metadata.avif import AVIF_BRANDS, HEIF_BRANDS, avif_segments, read_avif
from engine.metadata.isobmff import ftyp_brands
from engine.metadata.jpeg import jpeg_segments, read_jpeg
from engine.metadata.png import PNG_SIGNATURE, png_segments, read_png
from engine.metadata.raw import RawMetadata
from engine.metadata.result import UnreadableImage
from engine.metadata.webp import read_webp, webp_segments


def sniff_format(data: bytes) -> str | None:
    """``png``, ``jpeg``, ``webp`` or ``avif`` from the leading bytes, or ``None``."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    brands = ftyp_brands(data)
    if brands is not None and brands[1] & AVIF_BRANDS:
        return "avif"
    return None


def _describe_non_image(data: bytes) -> str:
    if data.startswith(b"GIF8"):
        return "GIF images are not supported"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF images are not supported"
    if data.startswith(b"\x89PNG") or data.startswith(b"\xff\xd8"):
        return "truncated image header"
    brands = ftyp_brands(data)
    if brands is not None:
        major, every = brands
        if every & HEIF_BRANDS:
            return "HEIC/HEIF images are not supported (of the HEIF family only AVIF is read)"
        brand = major.decode("latin-1")
        return f"not an image: an ISO-BMFF file of brand {brand!r} (MP4/MOV video is not supported)"
    if data[4:8] == b"ftyp":
        return "truncated image header"
    return "not a PNG, JPEG or WEBP image, nor an AVIF (unrecognised magic bytes)"


def read_container(data: bytes, path: str) -> RawMetadata:
    """Walk the file's container; raises :class:`UnreadableImage` for empty or non-image data."""
    if not data:
        raise UnreadableImage(path, "empty file (0 bytes)")
    fmt = sniff_format(data)
    if fmt == "png":
        return read_png(data, path)
    if fmt == "jpeg":
        return read_jpeg(data, path)
    if fmt == "webp":
        return read_webp(data, path)
    if fmt == "avif":
        return read_avif(data, path)
    raise UnreadableImage(path, _describe_non_image(data))


def walk_metadata_segments(data: bytes) -> list[tuple[str, bytes]]:
    """Raw read-only container walk: PNG chunks, JPEG segments, WEBP RIFF chunks or AVIF boxes as
    ``(name, body)``.

    Pixel-data chunks are listed with an empty body. Unrecognised data gives an empty list (this is a
    benchmark baseline, it does not judge the file).
    """
    fmt = sniff_format(data)
    if fmt == "png":
        return png_segments(data)
    if fmt == "jpeg":
        return jpeg_segments(data)
    if fmt == "webp":
        return webp_segments(data)
    if fmt == "avif":
        return avif_segments(data)
    return []
