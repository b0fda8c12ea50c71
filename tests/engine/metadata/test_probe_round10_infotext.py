"""Round-ten probe shapes: real generation-parameter text that users posted, written the way each tool writes
it (none of it is among the fixtures). Each test names the writer whose code it follows."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from metadata_png_builder import build_png, build_webp, text_chunk, tiff_user_comment

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord

MTIME = datetime(2024, 5, 4, 3, 2, 1, tzinfo=UTC)

WILDCARD_PROMPT = (
    "masterpiece, best quality, 1girl, solo, voxel art,\n"
    "__scene-location__, white girl,\n"
    "__color__ hair, __color__ eyes,\n"
    'classic, medieval, "noble"'
)
PROMPT = (
    "masterpiece, best quality, 1girl, solo, voxel art,\ngazebo, white girl,\nrust hair, ochre eyes,\n"
    "classic, medieval, noble"
)
NEGATIVE = "lowres, bad anatomy, bad hands, text, error"


def _read(data: bytes, name: str) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


def _early_2023_quote(value: str) -> str:
    """A1111 ``generation_parameters_copypaste.quote`` before 2023: quotes a value holding a comma and
    escapes only backslashes and double quotes, so newlines are written raw."""
    if "," not in value:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_a_quoted_value_holding_raw_newlines_keeps_the_parameter_line_whole() -> None:
    """Early-2023 A1111 + the wildcards extension: ``Wildcard prompt`` holds the multi-line template, and
    the old ``quote()`` wrote its newlines verbatim, so the parameter line spans several lines and its
    last physical line is a template fragment, not ``Key: value`` pairs."""
    params = (
        "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1825312441, Size: 640x960, Model hash: 149fe7d36c, "
        f"Model: 二次元_meinaalter_v1, ENSD: 31337, Wildcard prompt: {_early_2023_quote(WILDCARD_PROMPT)}"
    )
    text = f"{PROMPT}\nNegative prompt: {NEGATIVE}\n{params}"
    record = _read(build_png(text_chunk("parameters", text)), "00113-1825312441.png")
    assert (record.tool, record.prompt, record.negative_prompt) == ("a1111", PROMPT, NEGATIVE)
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (1825312441, 20, 7.0, "Euler a")
    assert (record.model, record.width, record.height) == ("二次元_meinaalter_v1", 640, 960)
    assert record.extra["parameters"]["Wildcard prompt"] == WILDCARD_PROMPT

    # a "Steps:" line inside the prompt followed by unquoted lines is still prompt text, not parameters
    stray = "a tutorial poster\nSteps: 1, Sampler: none, Seed: 2, and more\nplain last line"
    record = _read(build_png(text_chunk("parameters", stray)), "stray.png")
    assert (record.prompt, record.seed, record.steps) == (stray, None, None)


def test_a_novelai_webp_user_comment_with_a_nested_comment_object_is_read() -> None:
    """NovelAI's WEBP download: the EXIF ``UserComment`` (``ASCII`` prefix) is ONE indented JSON object
    holding Title/Description/Software/Source/Generation time, and ``Comment`` is a nested object there,
    not the JSON string of the PNG text chunk (deepghs/imgutils test file ``nai3_webp.webp``)."""
    prompt = "2girls,side-by-side,symmetrical pose,general,masterpiece,, best quality, amazing quality"
    uc = "lowres, {bad}, error, fewer, extra, missing, "
    comment = {
        "prompt": prompt,
        "steps": 28,
        "height": 832,
        "width": 1216,
        "scale": 5.0,
        "uncond_scale": 0.0,
        "cfg_rescale": 0.0,
        "seed": 210306140,
        "n_samples": 1,
        "noise_schedule": "native",
        "sampler": "k_euler_ancestral",
        "uc": uc,
        "request_type": "PromptGenerateRequest",
        "signed_hash": "nM6vZLFGJWW7SH2xc4lpRY9sJGbPQKXa==",
    }
    document = {
        "Title": "AI generated image",
        "Description": prompt,
        "Software": "NovelAI",
        "Source": "Stable Diffusion XL C1E1DE52",
        "Generation time": "6.494704299024306",
        "Comment": comment,
    }
    exif = tiff_user_comment(b"ASCII\0\0\0" + json.dumps(document, indent=4).encode("ascii"))
    reading = read_image_bytes(build_webp((b"EXIF", exif)), file_name="2girls-210306140.webp", mtime=MTIME)
    record = reading.record
    assert (record.tool, record.prompt, record.negative_prompt) == ("novelai", prompt, uc.strip())
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (
        210306140,
        28,
        5.0,
        "k_euler_ancestral",
    )
    assert (record.width, record.height, record.model) == (1216, 832, "Stable Diffusion XL C1E1DE52")
    assert not record.extra.get("metadata_errors")
