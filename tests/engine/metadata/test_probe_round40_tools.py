"""Round-40 probe shapes (/tmp/r40): A1111-family infotext values that START with ``[``, ``{`` or ``"``
but are written bare, transcribed from the writers' source:

- AUTOMATIC1111/stable-diffusion-webui ``modules/infotext_utils.py`` (``generation_parameters_copypaste.py``
  before 1.8) ``quote()``: a value is JSON-quoted only when it holds ``,``, ``\\n`` or ``:``; anything else is
  written as is, after ``Key: `` (``modules/processing.py`` ``create_infotext``);
- AUTOMATIC1111/stable-diffusion-webui ``modules/processing.py`` ``StableDiffusionProcessingTxt2Img.init``:
  ``Hires prompt`` / ``Hires negative prompt`` (when they differ from the first pass's) are added to
  ``extra_generation_params`` BEFORE ``calculate_target_resolution`` adds ``Hires upscale`` (or
  ``Hires resize``), then ``Hires steps`` and ``Hires upscaler``; lllyasviel/stable-diffusion-webui-forge
  keeps the same ``processing.py`` order (its ``Version`` is ``f2.…``);
- A1111's prompt syntax (``modules/prompt_parser.py``): alternating words ``[cat|dog]`` and emphasis
  without a weight need no comma or colon, and Dynamic Prompts' variants ``{red|blue}`` neither;
- Bing-su/adetailer ``adetailer/args.py`` ``ADetailerArgs.extra_params``: ``ADetailer prompt`` is followed
  by ``ADetailer confidence`` … ``ADetailer version`` in the same parameter line.

A value that only begins with a quote or bracket runs to the next comma like any bare value: the
parser used to cut it at the closing bracket/quote, so its remaining words were glued onto the next
key and that pair (``Hires upscale`` / ``Hires resize``) was dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from metadata_png_builder import build_png, text_chunk

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord

MTIME = datetime(2025, 12, 3, 9, 15, 0, tzinfo=UTC)


def _read(parameters: str, name: str = "00012-3141592.png") -> GenerationRecord:
    """A PNG as A1111 saves it: the infotext in a ``parameters`` text chunk."""
    return read_image_bytes(
        build_png(text_chunk("parameters", parameters)), file_name=name, mtime=MTIME
    ).record


def _fields(record: GenerationRecord, names: tuple[str, ...]) -> dict[str, Any]:
    """The record's fields by name; ``hires_upscale`` is read from ``extra``."""
    return {
        name: record.extra.get(name) if name == "hires_upscale" else getattr(record, name) for name in names
    }


def check(record: GenerationRecord, expected: dict[str, Any]) -> None:
    assert _fields(record, tuple(expected)) == expected


def test_a1111_hires_prompt_with_alternating_words_keeps_hires_upscale() -> None:
    text = (
        "a hybrid animal in a meadow\n"
        "Negative prompt: lowres\n"
        "Steps: 24, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3141592, Size: 512x768, "
        "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Denoising strength: 0.45, "
        "Hires prompt: [cat|dog] hybrid, Hires upscale: 2, Hires steps: 12, Hires upscaler: Latent, "
        "Version: v1.10.1"
    )
    record = _read(text)
    check(
        record,
        {
            "tool": "a1111",
            "prompt": "a hybrid animal in a meadow",
            "negative_prompt": "lowres",
            "seed": 3141592,
            "steps": 24,
            "sampler": "DPM++ 2M",
            "scheduler": "Karras",
            "model": "v1-5-pruned-emaonly",
            "width": 512,
            "height": 768,
            "denoise": 0.45,
            "hires_upscale": 2.0,
        },
    )
    assert record.extra["parameters"]["Hires prompt"] == "[cat|dog] hybrid"


def test_a1111_hires_negative_prompt_with_variants_keeps_hires_upscale() -> None:
    text = (
        "portrait of a knight\n"
        "Steps: 30, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 77, Size: 640x512, "
        "Model hash: 0f1b80cfe8, Model: dreamshaper_8, Denoising strength: 0.5, "
        "Hires negative prompt: {blurry|grainy} photo, Hires upscale: 1.5, Hires upscaler: R-ESRGAN 4x+, "
        "Version: v1.9.4"
    )
    check(
        _read(text),
        {
            "tool": "a1111",
            "prompt": "portrait of a knight",
            "negative_prompt": None,
            "seed": 77,
            "steps": 30,
            "width": 640,
            "height": 512,
            "denoise": 0.5,
            "hires_upscale": 1.5,
        },
    )


def test_a1111_hires_resize_after_a_quote_started_prompt() -> None:
    """``Hires resize: 1024x1536`` (the "Resize to" mode) of a 512x768 first pass is a factor of 2."""
    text = (
        "a castle at dusk\n"
        "Steps: 20, Sampler: DPM++ SDE, Schedule type: Karras, CFG scale: 5, Seed: 2024, Size: 512x768, "
        "Model hash: 879db523c3, Model: dreamshaper_8, Denoising strength: 0.4, "
        'Hires prompt: "moody" castle, Hires resize: 1024x1536, Hires steps: 10, Hires upscaler: Latent, '
        "Version: v1.10.1"
    )
    record = _read(text)
    check(
        record,
        {"seed": 2024, "width": 512, "height": 768, "denoise": 0.4, "hires_upscale": 2.0},
    )
    assert record.extra["parameters"]["Hires prompt"] == '"moody" castle'


def test_forge_hires_prompt_with_alternating_words_keeps_hires_upscale() -> None:
    text = (
        "a fox spirit, night\n"
        "Negative prompt: bad hands\n"
        "Steps: 25, Sampler: Euler, Schedule type: Simple, CFG scale: 1, Distilled CFG Scale: 3.5, "
        "Seed: 1234, Size: 896x1152, Model hash: 275ef623d3, Model: flux1-dev-bnb-nf4-v2, "
        "Denoising strength: 0.3, "
        "Hires prompt: [fox|wolf] spirit, Hires upscale: 1.25, Hires steps: 8, "
        "Hires upscaler: 4x-UltraSharp, "
        "Version: f2.0.1v1.10.1-previous-669-gdfdcbab6"
    )
    check(
        _read(text),
        {
            "tool": "forge",
            "prompt": "a fox spirit, night",
            "negative_prompt": "bad hands",
            "seed": 1234,
            "steps": 25,
            "cfg_scale": 1.0,
            "model": "flux1-dev-bnb-nf4-v2",
            "width": 896,
            "height": 1152,
            "denoise": 0.3,
            "hires_upscale": 1.25,
        },
    )


def test_adetailer_prompt_with_alternating_words_keeps_its_following_keys() -> None:
    text = (
        "1girl, smiling, garden\n"
        "Negative prompt: worst quality\n"
        "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 555, Size: 832x1216, "
        "Model hash: 6ce0161689, Model: animagineXL_v31, ADetailer model: face_yolov8n.pt, "
        "ADetailer prompt: [smiling|laughing] face, ADetailer confidence: 0.3, ADetailer dilate erode: 4, "
        "ADetailer mask blur: 4, ADetailer denoising strength: 0.4, ADetailer inpaint only masked: True, "
        "ADetailer inpaint padding: 32, ADetailer version: 24.11.1, Version: v1.10.1"
    )
    record = _read(text)
    check(
        record,
        {"tool": "a1111", "prompt": "1girl, smiling, garden", "seed": 555, "width": 832, "height": 1216},
    )
    parameters = record.extra["parameters"]
    assert parameters["ADetailer prompt"] == "[smiling|laughing] face"
    assert parameters["ADetailer confidence"] == "0.3"
