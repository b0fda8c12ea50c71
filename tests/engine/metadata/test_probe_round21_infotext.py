"""Round-21 probe shapes: A1111-family infotext that extensions and the Extras tab write. Each test names
the writer whose output it follows (the texts are real ones users posted, or built after the writer)."""

from __future__ import annotations

from datetime import UTC, datetime

from metadata_png_builder import build_jpeg, build_png, jpeg_segment, text_chunk, tiff_user_comment

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord

MTIME = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
PROMPT = "a lighthouse in a storm, oil painting"
NEGATIVE = "blur"
PARAMS = (
    "Steps: 25, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6, Seed: 808, Size: 768x512, "
    "Model hash: 879db523c3, Model: dreamshaper_8, Denoising strength: 0.45, Hires upscale: 2, "
    "Hires upscaler: Latent, Version: f2.0.1v1.10.1-previous-669-gdfdcbab6"
)


def _read(data: bytes, name: str) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


def _jpeg_with_user_comment(text: str) -> bytes:
    """A1111 ``images.save_image_with_geninfo`` for JPEG: the text as a unicode EXIF UserComment."""
    comment = b"UNICODE\0" + text.encode("utf-16-le")
    return build_jpeg(jpeg_segment(0xE1, b"Exif\0\0" + tiff_user_comment(comment)))


def _assert_generation(record: GenerationRecord, negative: str | None) -> None:
    assert (record.tool, record.prompt, record.negative_prompt) == ("forge", PROMPT, negative)
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (808, 25, 6.0, "DPM++ 2M")
    assert (record.model, record.width, record.height, record.denoise) == ("dreamshaper_8", 768, 512, 0.45)


def test_an_extras_postprocess_line_after_the_parameter_line_is_not_prompt_text() -> None:
    """A fork's Extras tab saves ``original + "\\n" + postprocess text``: the two-pair postprocess line
    is last, so the real parameter line must still be found and the pairs kept with the parameters."""
    post = "Postprocess upscale by: 2, Postprocess upscaler: R-ESRGAN 4x+"
    text = f"{PROMPT}\nNegative prompt: {NEGATIVE}\n{PARAMS}\n{post}"
    record = _read(_jpeg_with_user_comment(text), "00011-808.jpg")
    _assert_generation(record, NEGATIVE)
    assert record.extra["parameters"]["Postprocess upscaler"] == "R-ESRGAN 4x+"

    # no negative prompt: the prompt must not swallow the parameter line either
    record = _read(build_png(text_chunk("parameters", f"{PROMPT}\n{PARAMS}\n{post}")), "00023-808.png")
    _assert_generation(record, None)


def test_a_postprocess_line_of_three_or_more_pairs_is_never_the_parameter_line() -> None:
    """Face restore adds ``GFPGAN visibility`` / ``CodeFormer …`` pairs, so the trailing Extras line has
    the three pairs a parameter line needs; the generation's line must still win."""
    post = (
        "Postprocess upscale by: 2, Postprocess upscaler: R-ESRGAN 4x+, GFPGAN visibility: 1, "
        "CodeFormer visibility: 0.6, CodeFormer weight: 0.5"
    )
    text = f"{PROMPT}\nNegative prompt: {NEGATIVE}\n{PARAMS}\n{post}"
    record = _read(_jpeg_with_user_comment(text), "00025-808.jpg")
    _assert_generation(record, NEGATIVE)
    assert record.extra["parameters"]["CodeFormer weight"] == "0.5"


def test_the_png_info_display_pasted_whole_drops_its_section_names() -> None:
    """The PNG Info tab shows each text under its name; copied whole, ``parameters`` heads the text and a
    ``postprocessing`` line sits between the parameter line and the postprocess pairs: neither name is
    part of a prompt."""
    post = "postprocessing\nPostprocess upscale by: 2"
    text = f"parameters\n{PROMPT}\nNegative prompt: {NEGATIVE}\n{PARAMS}\n{post}"
    record = _read(_jpeg_with_user_comment(text), "00026-808.jpg")
    _assert_generation(record, NEGATIVE)

    # without the later section name, a first line 'parameters' is the user's prompt text
    record = _read(_jpeg_with_user_comment(f"parameters\n{PROMPT}\n{PARAMS}"), "00027-808.jpg")
    assert record.prompt == f"parameters\n{PROMPT}"


def test_an_extras_output_holding_only_the_postprocess_text_is_an_a1111_record() -> None:
    """A1111's Extras writes only its postprocess pairs to a JPEG UserComment, and a PNG of a source
    without metadata gets ``postprocessing`` / ``extras`` texts but no ``parameters``: the file is the
    A1111 family's, with no prompt and the pairs kept."""
    post = "Postprocess upscale by: 4, Postprocess upscaler: 4x-UltraSharp"
    record = _read(_jpeg_with_user_comment(post), "00010.jpg")
    assert (record.tool, record.prompt, record.seed, record.width) == ("a1111", None, None, None)
    pairs = {"Postprocess upscale by": "4", "Postprocess upscaler": "4x-UltraSharp"}
    assert record.extra["parameters"] == pairs

    png = build_png(text_chunk("postprocessing", post), text_chunk("extras", post))
    record = _read(png, "00020.png")
    assert (record.tool, record.prompt) == ("a1111", None)
    assert record.extra["parameters"]["Postprocess upscale by"] == "4"

    # a prompt line that merely mentions the Extras keys is no postprocess text
    record = _read(_jpeg_with_user_comment("Postprocess upscaler: none, a cat"), "cat.jpg")
    assert record.tool == "unknown"
