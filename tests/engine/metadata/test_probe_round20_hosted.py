"""Round-twenty probe shapes (/tmp/probe50): images downloaded from hosted generators whose only metadata is a
provenance stamp naming the service (sources: /tmp/probe50/sources.md).

- Gemini app downloads (2024, before C2PA): XMP ``Iptc4xmpExt:DigitalSourceType`` = trainedAlgorithmicMedia
  and ``photoshop:Credit`` = "Made with Google AI" (IPTC news, October 2024).
- Ideogram: EXIF IFD0 ``Make`` = "Ideogram AI", nothing else.
- Grok (xAI Aurora): EXIF ``ImageDescription`` = "Signature: <base64>" with ``Artist`` = the image's UUID.
- Meta AI: ``DigitalSourceType`` only, which names no tool.
- Midjourney web downloads: the prompt's ``--niji 6`` selects the Niji model line as ``--v 7`` selects v7.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from datetime import UTC, datetime

from metadata_png_builder import build_jpeg, build_png, itxt_chunk, jpeg_segment, text_chunk

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord

MTIME = datetime(2024, 10, 25, 12, 2, 11, tzinfo=UTC)
TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
GROK_ID = "5d0c9e2b-7a41-4f86-b3e2-19c8a4d7f601"
SIGNATURE = base64.b64encode(hashlib.sha512(b"probe").digest()).decode()


def _read(data: bytes, name: str) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


def _xmp(source_type: str, credit: str | None) -> str:
    """An XMP packet as exiv2 writes it: the source type as an attribute, the credit as an element."""
    body = f"   <photoshop:Credit>{credit}</photoshop:Credit>\n" if credit else ""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"\n'
        '    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"\n'
        f'   Iptc4xmpExt:DigitalSourceType="{source_type}">\n{body}'
        '  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="w"?>'
    )


def _png_with_xmp(xmp: str) -> bytes:
    return build_png(itxt_chunk("XML:com.adobe.xmp", xmp), width=4, height=4)


def _ifd0_exif(entries: dict[int, str]) -> bytes:
    """A JPEG APP1 Exif body with IFD0 ASCII entries only (as a web service's encoder writes them)."""
    ifd_size = 2 + 12 * len(entries) + 4
    head, blob = struct.pack("<H", len(entries)), b""
    for tag, text in sorted(entries.items()):
        value = text.encode("latin-1") + b"\0"
        if len(value) <= 4:
            head += struct.pack("<HHI", tag, 2, len(value)) + value.ljust(4, b"\0")
        else:
            head += struct.pack("<HHII", tag, 2, len(value), 8 + ifd_size + len(blob))
            blob += value + b"\0" * (len(value) % 2)
    tiff = b"II*\0" + struct.pack("<I", 8) + head + struct.pack("<I", 0) + blob
    return b"Exif\0\0" + tiff


def _jpeg_with_ifd0(entries: dict[int, str]) -> bytes:
    return build_jpeg(jpeg_segment(0xE1, _ifd0_exif(entries)))


def test_made_with_google_ai_credit_on_a_generated_image_is_gemini_with_nothing_else() -> None:
    rec = _read(_png_with_xmp(_xmp(TRAINED, "Made with Google AI")), "Gemini_Generated_Image_q8w7.png")
    assert rec.tool == "gemini"
    assert rec.prompt is None and rec.model is None
    assert rec.created_at_source == "file:mtime"
    stamp = {"credit": "Made with Google AI", "digital_source_type": "trainedAlgorithmicMedia"}
    assert rec.extra["provenance"] == stamp
    # an AI *edit* of a photo is no Gemini generation, and a source type alone (Meta AI) names no tool
    assert _read(_png_with_xmp(_xmp(COMPOSITE, "Made with Google AI")), "PXL_edit.png").tool == "unknown"
    assert _read(_png_with_xmp(_xmp(TRAINED, None)), "meta_ai.png").tool == "unknown"


def test_ideogram_make_is_ideogram_and_a_camera_make_is_not() -> None:
    rec = _read(_jpeg_with_ifd0({0x010F: "Ideogram AI"}), "ideogram_poster.jpg")
    assert rec.tool == "ideogram"
    assert rec.prompt is None and rec.model is None
    assert rec.created_at_source == "file:mtime"
    assert _read(_jpeg_with_ifd0({0x010F: "Apple"}), "IMG_0001.jpg").tool == "unknown"


def test_grok_signature_with_a_uuid_artist_is_grok_with_the_image_id() -> None:
    rec = _read(_jpeg_with_ifd0({0x010E: f"Signature: {SIGNATURE}", 0x013B: GROK_ID}), "grok_image.jpg")
    assert rec.tool == "grok"
    assert rec.job_id == GROK_ID
    assert rec.prompt is None and rec.created_at_source == "file:mtime"
    # both halves of the pair are needed: a short "signature" or a person's name as Artist is anything else
    short_signature = {0x010E: "Signature: J. Doe", 0x013B: GROK_ID}
    named_artist = {0x010E: f"Signature: {SIGNATURE}", 0x013B: "J. Doe"}
    assert _read(_jpeg_with_ifd0(short_signature), "a.jpg").tool == "unknown"
    assert _read(_jpeg_with_ifd0(named_artist), "b.jpg").tool == "unknown"


def _midjourney_png(prompt: str) -> bytes:
    job = "0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b"
    return build_png(
        text_chunk("Creation Time", "2025-04-02T22:10:05.250Z"),
        text_chunk("Author", "u2816893666"),
        itxt_chunk("Description", f"{prompt} Job ID: {job}"),
        width=4,
        height=4,
    )


def test_midjourney_niji_parameter_names_the_niji_model() -> None:
    niji = _read(_midjourney_png("夜桜の下で狐面をつけた少女、水彩 --niji 6 --ar 2:3"), "u_0f9e8d7c_3.png")
    assert niji.tool == "midjourney"
    assert niji.model == "niji 6"
    assert _read(_midjourney_png("a koi pond --niji --ar 2:3"), "u_koi_0.png").model == "niji"
    assert _read(_midjourney_png("a koi pond --ar 2:3 --v 7"), "u_koi_1.png").model == "v7"
    assert _read(_midjourney_png("a koi pond --ar 2:3"), "u_koi_2.png").model is None
