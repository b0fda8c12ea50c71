"""A UTF-8 byte-order mark (EF BB BF) at the start of a text value is not text (RFC 3629 §6): Windows
metadata editors write infotext back with one, and it must not start the prompt."""

from __future__ import annotations

import io
import zlib
from datetime import UTC, datetime

import pytest
from metadata_png_builder import (
    build_jpeg,
    build_png,
    itxt_chunk,
    jpeg_segment,
    png_chunk,
    text_chunk,
    tiff_user_comment,
    ztxt_chunk,
)
from PIL import Image

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord

MTIME = datetime(2024, 9, 2, 10, 0, tzinfo=UTC)
PROMPT = "a knight resting under an oak tree, oil painting, golden hour, dramatic clouds"
INFOTEXT = (
    f"{PROMPT}\nNegative prompt: lowres, bad anatomy\n"
    "Steps: 28, Sampler: DPM++ 2M, CFG scale: 6.5, Seed: 555000222, Size: 832x1216, "
    "Model: juggernautXL_v9Rdphoto2Lightning"
)
BOM = "\ufeff"


def _read(data: bytes, name: str) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


def _assert_a1111(record: GenerationRecord) -> None:
    assert record.tool == "a1111"
    assert record.prompt == PROMPT
    assert (record.negative_prompt, record.seed, record.width) == ("lowres, bad anatomy", 555000222, 832)


@pytest.mark.parametrize(
    "chunk",
    [
        text_chunk("parameters", BOM + INFOTEXT),
        itxt_chunk("parameters", BOM + INFOTEXT),
        itxt_chunk("parameters", BOM + INFOTEXT, compressed=True),
        ztxt_chunk("parameters", zlib.compress((BOM + INFOTEXT).encode())),
        # tEXt whose text is not valid UTF-8 after the mark: read as Latin-1, the mark still dropped
        png_chunk(
            b"tEXt", b"parameters\0" + BOM.encode() + INFOTEXT.replace("oak", "\xe9").encode("latin-1")
        ),
    ],
    ids=["tEXt", "iTXt", "iTXt-compressed", "zTXt", "tEXt-latin1"],
)
def test_a_bom_at_the_start_of_a_png_text_chunk_is_not_part_of_the_prompt(chunk: bytes) -> None:
    record = _read(build_png(chunk), "00602-555000222.png")
    assert record.tool == "a1111"
    assert record.prompt is not None and not record.prompt.startswith(("\ufeff", "ï»¿"))
    assert record.prompt.startswith("a knight resting under an ") and record.seed == 555000222


def test_the_probed_itxt_with_a_bom_reads_like_the_same_text_without() -> None:
    """The tester's probe: A1111 PNG whose ``parameters`` iTXt starts with EF BB BF (Pillow writes it)."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt("parameters", BOM + INFOTEXT)
    out = io.BytesIO()
    Image.new("RGB", (64, 96)).save(out, "PNG", pnginfo=info)
    _assert_a1111(_read(out.getvalue(), "00602-555000222.png"))


@pytest.mark.parametrize("prefix", [b"ASCII\0\0\0", b"\0" * 8, b""], ids=["ASCII", "undefined", "none"])
def test_a_bom_at_the_start_of_a_user_comment_is_not_part_of_the_prompt(prefix: bytes) -> None:
    blob = tiff_user_comment(prefix + b"\xef\xbb\xbf" + INFOTEXT.encode())
    record = _read(build_jpeg(jpeg_segment(0xE1, b"Exif\0\0" + blob)), "00603-555000333.jpg")
    _assert_a1111(record)
