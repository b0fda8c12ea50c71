"""Round-46 probe shapes (/tmp/r46): formats whose writers are closed, checked through their public traces.

- Draw Things (closed app): the XMP ``dc:description`` it writes next to the ``exif:UserComment`` JSON, as
  an exiftool dump of a Draw Things PNG shows it (cocktailpeanut/breadmachine#2): ``prompt``, a line
  ``-negative``, then ``Steps: …, Sampler: …, Guidance Scale: …, Seed: …, Size: WxH, Model: …, Strength:
  …, Hires Fix: true, First Stage Size: WxH, Second Stage Strength: …``. Image-browser parsers read
  ``Guidance Scale`` as the cfg; the fix fields mean what the JSON's ``hires_fix_*`` keys mean (round 24).
  Atelier read the text as A1111 infotext: negative inside the prompt, no cfg, no fix.

Cross-checked and read right before this round (no test): Draw Things' JSON with the ``v2`` configuration
block, ``lora`` / ``upscaler`` / ``refiner_model`` and an image-to-image ``strength``; a NovelAI V4.5
``Comment`` with ``v4_prompt`` / ``v4_negative_prompt`` character captions and ``Img2ImgRequest``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape

from metadata_png_builder import build_png, itxt_chunk

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord

MTIME = datetime(2025, 12, 3, 9, 15, 0, tzinfo=UTC)


def _read(data: bytes, name: str = "image.png") -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


def _drawthings_xmp(description: str, user_comment: str | None = None) -> bytes:
    """A PNG with Draw Things' XMP packet (``XML:com.adobe.xmp`` iTXt, XMP Core 6.0.0, Apple ImageIO)."""
    comment = (
        ""
        if user_comment is None
        else '<exif:UserComment><rdf:Alt><rdf:li xml:lang="x-default">'
        f"{escape(user_comment)}</rdf:li></rdf:Alt></exif:UserComment>"
    )
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 6.0.0">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        "<xmp:CreatorTool>Draw Things</xmp:CreatorTool>"
        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">'
        f"{escape(description)}</rdf:li></rdf:Alt></dc:description>{comment}"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    return build_png(itxt_chunk("XML:com.adobe.xmp", xmp))


def _fields(record: GenerationRecord) -> tuple[object, ...]:
    return (
        record.tool,
        record.prompt,
        record.negative_prompt,
        record.seed,
        record.steps,
        record.cfg_scale,
        record.sampler,
        record.model,
        record.width,
        record.height,
        record.denoise,
        record.extra.get("hires_upscale"),
    )


GUITAR = (
    "a picture of a guitar (floating on a lake) [near the beach]\n-ocean, (sunny), [sad], <bad_prompt>\n"
    "Steps: 10, Sampler: DDIM, Guidance Scale: 10.0, Seed: 1177739245, Size: 1152x768, "
    "Model: sd_v1.4_f16.ckpt, Strength: 1.0, Hires Fix: true, First Stage Size: 768x512, "
    "Second Stage Strength: 0.7"
)


def test_drawthings_description_is_read_as_its_json_would_be() -> None:
    """Without a readable JSON, the description's ``-`` line is the negative, ``Guidance Scale`` the cfg,
    and the High Resolution Fix gives the first-pass size, its strength and the factor (as the JSON's
    ``hires_fix_*`` keys do); an image-to-image keeps its size and ``Strength``."""
    expected = (
        "drawthings",
        "a picture of a guitar (floating on a lake) [near the beach]",
        "ocean, (sunny), [sad], <bad_prompt>",
        1177739245,
        10,
        10.0,
        "DDIM",
        "sd_v1.4_f16.ckpt",
        768,
        512,
        0.7,
        1.5,
    )
    assert _fields(_read(_drawthings_xmp(GUITAR))) == expected
    assert _fields(_read(_drawthings_xmp(GUITAR, user_comment='{"c": "cut off'))) == expected
    image_to_image = GUITAR.replace("Strength: 1.0, Hires Fix: true", "Strength: 0.55, Hires Fix: false")
    record = _read(_drawthings_xmp(image_to_image))
    assert (record.negative_prompt, record.cfg_scale, record.width, record.height, record.denoise) == (
        "ocean, (sunny), [sad], <bad_prompt>",
        10.0,
        1152,
        768,
        0.55,
    )
    assert "hires_upscale" not in record.extra
