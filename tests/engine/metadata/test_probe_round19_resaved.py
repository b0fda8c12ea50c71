"""Round-nineteen probe shapes (/tmp/probe49): generated images after an editor or converter re-saved them.

- GIMP 2.10 loads a JPEG's UserComment as the image comment and exports it as PNG ``Comment`` text or a
  JPEG ``COM`` marker, and (through exiv2) the Exif as a ``Raw profile type exif`` zTXt
  (``libgimp/gimpimagemetadata*.c``, ``plug-ins/common/file-png.c``, ``plug-ins/file-jpeg/jpeg-save.c``).
- ImageMagick 6 ``convert x.jpg x.png`` writes the JPEG's APP1 Exif as ``Raw profile type exif``
  (``coders/png.c`` ``Magick_png_write_raw_profile``).
- Photoshop (the XMP toolkit's EXIF import) and macOS ImageIO keep a JPEG's UserComment as XMP
  ``exif:UserComment`` in the PNG they write.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import zlib
from datetime import UTC, datetime

import numpy as np
from metadata_png_builder import build_jpeg, build_png, jpeg_segment, png_chunk, text_chunk
from PIL import Image

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord

MTIME = datetime(2024, 6, 12, 19, 40, 6, tzinfo=UTC)

INFOTEXT = (
    "a café terrace at night, cobblestones, warm lanterns\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 2212453581, "
    "Size: 832x1216, Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Version: v1.10.1"
)


def _read(data: bytes, name: str) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


def _tiff(ifd0: list[tuple[int, int, bytes]], exif: list[tuple[int, int, bytes]], order: str) -> bytes:
    """A TIFF block: IFD0 entries + an Exif sub-IFD, each entry ``(tag, type, value bytes)`` (count =
    byte length for ASCII / UNDEFINED)."""

    def ifd(entries: list[tuple[int, int, bytes]], start: int, next_pointer: bool) -> bytes:
        entries = sorted(entries)
        data_at = start + 2 + 12 * len(entries) + 4
        head, blob = struct.pack(order + "H", len(entries)), b""
        for tag, kind, value in entries:
            if len(value) <= 4:
                head += struct.pack(order + "HHI", tag, kind, len(value)) + value.ljust(4, b"\0")
            else:
                head += struct.pack(order + "HHII", tag, kind, len(value), data_at + len(blob))
                blob += value + b"\0" * (len(value) % 2)
        return head + struct.pack(order + "I", 0) + blob

    header = (b"II" if order == "<" else b"MM") + struct.pack(order + "HI", 42, 8)
    pointer = struct.pack(order + "I", 0)
    first = ifd([*ifd0, (0x8769, 4, pointer)], 8, False)
    pointer = struct.pack(order + "I", 8 + len(first))
    first = ifd([*ifd0, (0x8769, 4, pointer)], 8, False)
    return header + first + ifd(exif, 8 + len(first), False)


def _raw_profile(kind: str, payload: bytes) -> str:
    """ImageMagick / exiv2 raw profile text: name, length in 8 columns, hex 72 digits a line."""
    digits = payload.hex()
    lines = "\n".join(digits[i : i + 72] for i in range(0, len(digits), 72))
    return f"\n{kind}\n{len(payload):8d}\n{lines}\n"


def _ztxt(key: str, text: str) -> bytes:
    return png_chunk(b"zTXt", key.encode("latin-1") + b"\0\0" + zlib.compress(text.encode("latin-1")))


def test_gimp_png_export_keeps_the_infotext_only_in_its_raw_exif_profile() -> None:
    # GIMP 2.10 export with 'Save comment' off: exiv2 writes UserComment (8 NUL bytes = charset
    # Undefined, then UTF-8) and ImageDescription = the comment, in the source's MM order, as hex.
    comment = b"\0" * 8 + INFOTEXT.encode("utf-8")
    tiff = _tiff(
        [(0x010E, 2, INFOTEXT.encode() + b"\0"), (0x0131, 2, b"GIMP 2.10.38\0")],
        [(0x9286, 7, comment)],
        order=">",
    )
    data = build_png(_ztxt("Raw profile type exif", _raw_profile("exif", b"Exif\0\0" + tiff)))
    record = _read(data, "fisherman_edit.png")
    assert record.tool == "a1111"
    assert record.prompt == "a café terrace at night, cobblestones, warm lanterns"
    assert (record.seed, record.steps, record.width, record.height) == (2212453581, 30, 832, 1216)
    assert "Raw profile type exif" not in record.extra.get("texts", {})
    assert record.extra["exif"]["Software"] == "GIMP 2.10.38"


def test_imagemagick6_png_of_a_civitai_jpeg_reads_created_date_from_the_raw_profile() -> None:
    # Civitai: II TIFF, Software = image UUID, Artist 'ai', UserComment 'UNICODE\0' + UTF-16BE.
    text = (
        "a cozy reading nook\nNegative prompt: text\nSteps: 28, Sampler: DPM++ 2M Karras, CFG scale: 4.5, "
        "Seed: 1357924680, Size: 832x1216, Created Date: 2025-03-02T08:15:42.7341120Z, Civitai resources: "
        '[{"type":"checkpoint","modelVersionId":1190596,"modelName":"Illustrious-XL","modelVersionName":"v1.0"}]'
    )
    tiff = _tiff(
        [(0x0131, 2, b"7d3b2a10-4c5e-4f61-8a9b-0c1d2e3f4a5b\0"), (0x013B, 2, b"ai\0")],
        [(0x9286, 7, b"UNICODE\0" + text.encode("utf-16-be"))],
        order="<",
    )
    profile = _raw_profile("exif", b"Exif\0\0" + tiff)
    data = build_png(
        _ztxt("Raw profile type exif", profile),
        text_chunk("date:create", "2025-03-04T19:00:01+00:00"),
        text_chunk("date:modify", "2025-03-04T19:00:01+00:00"),
    )
    record = _read(data, "cozy nook (civitai).png")
    assert record.tool == "civitai"
    assert record.seed == 1357924680
    assert record.created_at == datetime(2025, 3, 2, 8, 15, 42, 734112, tzinfo=UTC)
    assert record.created_at_source is not None and record.created_at_source.startswith("metadata:")


def test_raw_profiles_decode_exif_and_xmp_and_skip_malformed_ones() -> None:
    from engine.metadata.raw_profile import decode_raw_profile

    xmp = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    data = build_png(_ztxt("Raw profile type xmp", _raw_profile("xmp", xmp.encode())))
    record = _read(data, "x.png")
    assert record.extra["xmp"] == xmp
    assert decode_raw_profile("\nexif\n       4\n0a0b0c0d\n") == b"\x0a\x0b\x0c\x0d"
    assert decode_raw_profile("\nexif\n       4\n0a0b0c\n") is None  # fewer digits than declared
    assert decode_raw_profile("\nexif\n       2\nzz00\n") is None  # not hex
    assert decode_raw_profile("\nexif\nlots\n00\n") is None  # no length
    assert decode_raw_profile("") is None


def test_gimp_png_comment_holds_the_infotext() -> None:
    # file-png.c: the comment as tEXt 'Comment' (ISO-8859-1 when it converts), Exif/XMP export off.
    data = build_png(
        png_chunk(b"tIME", struct.pack(">HBBBBB", 2024, 12, 20, 18, 5, 0)),
        png_chunk(b"tEXt", b"Comment\0" + INFOTEXT.encode("latin-1")),
    )
    record = _read(data, "00840-1029384756.png")
    assert record.tool == "a1111"
    assert record.negative_prompt == "blurry, lowres"
    assert record.model == "sd_xl_base_1.0"


def test_gimp_jpeg_com_marker_holds_the_infotext() -> None:
    # jpeg-save.c writes the comment parasite as a COM marker ('Save comment'); no Exif, no XMP.
    data = build_jpeg(jpeg_segment(0xFE, INFOTEXT.encode("utf-8")))
    record = _read(data, "paper_boat_gimp.jpg")
    assert record.tool == "a1111"
    assert (record.seed, record.cfg_scale) == (2212453581, 6.5)


def _xmp_png(description: str) -> bytes:
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/">' + description + "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return build_png(png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + packet.encode("utf-8")))


def test_photoshop_png_keeps_the_infotext_in_xmp_exif_usercomment() -> None:
    # The XMP toolkit imports UserComment as a Lang Alt and serialises newlines as '&#xA;'.
    escaped = INFOTEXT.replace("\n", "&#xA;")
    data = _xmp_png(
        "<xmp:CreatorTool>Adobe Photoshop 25.9 (Windows)</xmp:CreatorTool><exif:UserComment><rdf:Alt>"
        f'<rdf:li xml:lang="x-default">{escaped}</rdf:li></rdf:Alt></exif:UserComment>'
    )
    record = _read(data, "balloons_ps.png")
    assert record.tool == "a1111"
    assert (record.prompt, record.negative_prompt) == (
        "a café terrace at night, cobblestones, warm lanterns",
        "blurry, lowres",
    )
    assert record.extra["editor"] == "Photoshop"


def test_imageio_png_export_keeps_the_infotext_as_a_simple_xmp_usercomment() -> None:
    # macOS ImageIO writes the Exif dictionary of a PNG as XMP (as for screenshots' 'Screenshot').
    data = _xmp_png(
        f"<exif:PixelXDimension>8</exif:PixelXDimension><exif:UserComment>{INFOTEXT}</exif:UserComment>"
    )
    record = _read(data, "cottage bottle.png")
    assert record.tool == "a1111"
    assert record.steps == 30


def _stealth_alpha(width: int, height: int, text: str) -> Image.Image:
    """An RGBA image whose alpha LSBs hold 'stealth_pngcomp' + 32-bit bit length + gzip(text), walking
    columns (x outer, y inner) as ashen-sensored/sd_webui_stealth_pnginfo and NovelAI do."""
    payload = gzip.compress(text.encode("utf-8"))
    stream = b"stealth_pngcomp" + struct.pack(">I", len(payload) * 8) + payload
    bits = np.unpackbits(np.frombuffer(stream, dtype=np.uint8))
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
    alpha = np.full(width * height, 255, dtype=np.uint8)
    alpha[: bits.size] = 254 | bits
    pixels[:, :, 3] = alpha.reshape(width, height).T
    return Image.fromarray(pixels, "RGBA")


def _lossy_webp(image: Image.Image, alpha_quality: int = 100) -> bytes:
    out = io.BytesIO()
    # Pillow: lossy VP8 + ALPH (lossless; level reduction below alpha_quality 100)
    image.save(out, format="WEBP", quality=80, alpha_quality=alpha_quality)
    return out.getvalue()


def test_novelai_stealth_copy_survives_a_lossy_webp_conversion() -> None:
    fields = {
        "Title": "NovelAI generated image",
        "Description": "1girl, witch, reading a spellbook",
        "Software": "NovelAI",
        "Source": "NovelAI Diffusion V4.5 4BDE2A90",
        "Comment": json.dumps(
            {
                "prompt": "1girl, witch, reading a spellbook",
                "uc": "lowres",
                "steps": 28,
                "scale": 5.5,
                "seed": 2456789013,
                "width": 832,
                "height": 1216,
                "sampler": "k_euler_ancestral",
            }
        ),
    }
    data = _lossy_webp(_stealth_alpha(96, 96, json.dumps(fields)))
    assert b"ALPH" in data and b"VP8 " in data
    record = _read(data, "witch_q90.webp")
    assert record.tool == "novelai"
    assert (record.seed, record.steps, record.negative_prompt) == (2456789013, 28, "lowres")
    assert record.extra["stealth"] == "alpha"


def test_a1111_alpha_stealth_infotext_survives_a_lossy_webp_conversion() -> None:
    record = _read(_lossy_webp(_stealth_alpha(96, 96, INFOTEXT)), "astronaut_sunflowers.webp")
    assert record.tool == "a1111"
    assert record.seed == 2212453581


def test_stealth_survives_alpha_level_reduction_of_a_two_valued_alpha() -> None:
    # cwebp -alpha_q N / Pillow alpha_quality=N < 100 quantise alpha levels, but never below two levels:
    # the 254/255 alpha of a stealth-stamped opaque image is kept exactly.
    data = _lossy_webp(_stealth_alpha(96, 96, INFOTEXT), alpha_quality=10)
    record = _read(data, "astronaut_alpha_q10.webp")
    assert (record.tool, record.extra["stealth"]) == ("a1111", "alpha")


def _webp(*chunks: tuple[bytes, bytes]) -> bytes:
    body = b"".join(k + struct.pack("<I", len(v)) + v + b"\0" * (len(v) % 2) for k, v in chunks)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def test_which_lossy_webp_alpha_planes_are_scanned_for_stealth_data() -> None:
    from engine.metadata.webp import webp_has_exact_alpha

    vp8x = bytes([0x10, 0, 0, 0]) + (95).to_bytes(3, "little") + (95).to_bytes(3, "little")
    vp8 = b"\x10\x02\x00\x9d\x01\x2a" + struct.pack("<HH", 96, 96) + b"\0" * 8
    assert webp_has_exact_alpha(_webp((b"VP8X", vp8x), (b"ALPH", b"\x01\0"), (b"VP8 ", vp8)))
    assert webp_has_exact_alpha(_webp((b"VP8X", vp8x), (b"ALPH", b"\x05\0"), (b"VP8 ", vp8)))  # filtered
    assert webp_has_exact_alpha(_webp((b"VP8X", vp8x), (b"ALPH", b"\x11\0"), (b"VP8 ", vp8)))  # levels
    assert webp_has_exact_alpha(_webp((b"VP8X", vp8x), (b"ALPH", b"\x00\0"), (b"VP8 ", vp8)))  # raw bytes
    assert not webp_has_exact_alpha(_webp((b"VP8X", vp8x), (b"ALPH", b"\x02\0"), (b"VP8 ", vp8)))  # invalid
    animated = bytes([0x12]) + vp8x[1:]
    assert not webp_has_exact_alpha(_webp((b"VP8X", animated), (b"ALPH", b"\x01\0"), (b"VP8 ", vp8)))
    small = b"\x10\x02\x00\x9d\x01\x2a" + struct.pack("<HH", 48, 48) + b"\0" * 8
    assert not webp_has_exact_alpha(_webp((b"VP8X", vp8x), (b"ALPH", b"\x01\0"), (b"VP8 ", small)))
