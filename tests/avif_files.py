"""AVIF files as AUTOMATIC1111 ≥ 1.8 / Forge write them, generated in code (nothing binary committed).

``modules/images.py`` ``save_image_with_geninfo`` saves an ``.avif`` with Pillow:
``image.save(filename, format=image_format, quality=opts.jpeg_quality, exif=exif_bytes)`` where
``exif_bytes = piexif.dump({"Exif": {piexif.ExifIFD.UserComment:
piexif.helper.UserComment.dump(geninfo or "", encoding="unicode")}})``. piexif is not a dependency, so
:func:`piexif_user_comment_exif` lays out those bytes exactly as piexif 1.1.3 does.
"""

from __future__ import annotations

import io
import struct

from PIL import Image

A1111_INFOTEXT = (
    "a lighthouse on a cliff at dusk, oil painting\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 1808436925, "
    "Size: 832x1216, Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Version: v1.10.1"
)


def piexif_user_comment_exif(text: str) -> bytes:
    """``piexif.dump`` of an Exif IFD holding only ``UserComment.dump(text, encoding="unicode")``:
    ``Exif\\0\\0``, big-endian TIFF header, IFD0 = {ExifIFD pointer: 26} + zero next-IFD offset, Exif
    IFD = {UserComment: UNDEFINED at 40} (piexif writes no next-IFD offset there), ``UNICODE\\0`` +
    UTF-16BE text."""
    comment = b"UNICODE\x00" + text.encode("utf_16_be")
    zeroth = struct.pack(">H", 1) + struct.pack(">HHII", 0x8769, 4, 1, 26) + struct.pack(">I", 0)
    exif_ifd = struct.pack(">H", 1) + struct.pack(">HHII", 0x9286, 7, len(comment), 40)
    return b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08" + zeroth + exif_ifd + comment


def a1111_avif(infotext: str = A1111_INFOTEXT, *, width: int = 640, height: int = 480) -> bytes:
    """An ``.avif`` as ``save_image_with_geninfo`` writes it (``jpeg_quality`` default 80)."""
    image = Image.new("RGB", (width, height), (40, 90, 160))
    for x in range(0, width, 16):  # some structure, so the thumbnail has something to describe
        image.paste((220, 180, 40), (x, 0, x + 8, height // 2))
    buffer = io.BytesIO()
    image.save(buffer, format="AVIF", quality=80, exif=piexif_user_comment_exif(infotext))
    return buffer.getvalue()
