"""Hostile files, third adversarial round (/tmp/probe48): the readers that are not ComfyUI's.

Each file here is small (a zTXt or a compressed iTXt of a few kB holds 8 MB of text) and each read
was slow, large, lost to a reader bug, or raised out of ``read_image_bytes``:

- regexes that backtracked: the Extras-tab line check (two ways to match the space after every
  colon: 24 pairs took 40 s), InvokeAI 2.x's ``\\[(.*?)\\]`` (quadratic in unclosed ``[``), Fooocus'
  ``name: weight`` (cubic in a run of spaces) and RuinedFooocus' ``weight - name`` (quadratic);
- loops over every line of an infotext looking for a ``Steps:`` line before a Dynamic Prompts trailer
  or a multi-line parameter block (a second per few million empty lines);
- numbers JSON allows: an integer of hundreds of digits as a CFG scale or a LoRA weight made ``float()``
  raise in every JSON tool reader (the reading lost as a reader bug), and a ``loras`` field that is a
  number made ``for item in …`` raise;
- ``str.isdigit`` takes ``"²"``, ``int`` does not: an ImageMagick ``exif:`` byte list or a raw profile's
  length holding it (or thousands of digits), and a file name of 5,000 digits, raised ``ValueError`` out
  of the read;
- amplification: 8 MB of ``[{"a":0},`` parse to 200 MB (two such documents to 400 MB; of ``"ab",`` to
  213 MB), a LoRA list of a million names took 2 to 6 s and up to 330 MB, 8 MB of short
  ``dc:description`` lines 235 MB as a list, a ``<lora:`` tag of millions of colons 740 MB of regex
  state, and an 8 MB ImageMagick byte list 2 s (ImageMagick itself writes at most 4,096 characters).

Every bound is written out here (not imported): the tests also run against the tree before the fixes.
"""

from __future__ import annotations

import json
import tracemalloc
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from metadata_png_builder import build_png, itxt_chunk, png_chunk, text_chunk, tiff_user_comment, ztxt_chunk

from engine.metadata import ImageReadResult, read_image_bytes
from tests.cpu_budget import run_within_cpu_budget

MTIME = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
PARAMS = "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x768"
A1111_TEXT = f"a cat\nNegative prompt: blurry\n{PARAMS}"
HUGE = 10**400
"""An integer JSON writes in 401 digits: valid JSON, past a float's range."""
MAX_LORAS = 1000
"""``engine.metadata.limits.MAX_LORAS``."""


def read(data: bytes, name: str = "x.png") -> ImageReadResult:
    return read_image_bytes(data, file_name=name, mtime=MTIME)


def within_a_second(data: bytes, name: str = "x.png") -> ImageReadResult:
    return run_within_cpu_budget(lambda: read(data, name), 1.0, "the read")


def errors_of(result: ImageReadResult) -> list[str]:
    errors: Any = result.record.extra.get("metadata_errors", [])
    assert isinstance(errors, list)
    assert not any("reader bug" in message for message in errors), errors
    return errors


def ztext(key: str, value: str) -> bytes:
    """A zTXt chunk: megabytes of repetitive text in a few kB of file."""
    return ztxt_chunk(key, zlib.compress(value.encode("utf-8"), 9))


def zxmp(xmp: str) -> bytes:
    return itxt_chunk("XML:com.adobe.xmp", xmp, compressed=True)


def peak_megabytes(call: Callable[[], ImageReadResult]) -> tuple[ImageReadResult, float]:
    """``call()`` and the most memory it held at once (``tracemalloc``), in MB."""
    outer = tracemalloc.is_tracing()
    if not outer:
        tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        if not outer:
            tracemalloc.stop()


# -- backtracking regexes ------------------------------------------------------------------------


def _postprocess_line(pairs: int) -> str:
    """An Extras-tab line that fails the pairs-only check at its very end (an unclosed quote)."""
    keys = ", ".join(f"Postprocess k{index}: x" for index in range(pairs))
    return f'Postprocess upscale by: 2, {keys}, z: "'


@pytest.mark.parametrize("where", ["postprocessing text", "last line"])
def test_a_line_of_many_pairs_failing_at_its_end_is_checked_in_linear_time(where: str) -> None:
    """Before: ``: ?`` then ``[^,"]*`` gave each pair two ways to match the space after its colon; 21
    pairs took 5 s (24: 40 s), in the ``postprocessing`` text or as the infotext's last line."""
    line = _postprocess_line(21)
    if where == "postprocessing text":
        data = build_png(text_chunk("parameters", A1111_TEXT), text_chunk("postprocessing", line))
    else:
        data = build_png(text_chunk("parameters", f"{A1111_TEXT}\n{line}"))

    result = within_a_second(data)

    errors_of(result)
    record = result.record
    assert (record.tool, record.prompt) == ("a1111", "a cat")
    if where == "postprocessing text":
        assert (record.negative_prompt, record.steps, record.seed, record.width) == ("blurry", 20, 42, 512)
        assert "postprocess" not in record.extra
    else:  # no Extras line: as the last line, of three pairs and more, it is the parameter line
        assert record.extra["parameters"]["Postprocess upscale by"] == "2"


def test_invokeai_unclosed_brackets_split_in_linear_time() -> None:
    """InvokeAI 2.x's negative-prompt regex scanned from every unclosed ``[`` to the line's end: a Dream
    prompt of 25,000 of them took 7 s. The split is InvokeAI's still."""
    unclosed = "[" * 25_000
    data = build_png(text_chunk("Dream", f'"a cat [blurry] on a mat {unclosed}" -s 20 -S 42 -W 512 -H 768'))

    result = within_a_second(data)

    errors_of(result)
    record = result.record
    assert (record.tool, record.prompt, record.negative_prompt) == (
        "invokeai",
        f"a cat on a mat {unclosed}",
        "blurry",
    )
    assert (record.steps, record.seed, record.width, record.height) == (20, 42, 512, 768)


SPACES = " " * 40_000


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        pytest.param(
            [
                text_chunk("fooocus_scheme", "a1111"),
                text_chunk("parameters", f'a cat\n{PARAMS}, Lora weights: "a{SPACES}b, add_detail: 0.6"'),
            ],
            ("fooocus", "add_detail", 0.6),
            id="fooocus-infotext-lora-weights",
        ),
        pytest.param(
            [
                text_chunk(
                    "Comment",
                    json.dumps(
                        {
                            "Base Model": "juggernautXL",
                            "Resolution": "(1024, 1024)",
                            "Prompt": "a cat",
                            "LoRA 1": " " * 1_500 + "x",
                            "LoRA 2": "add_detail : 0.6",
                        }
                    ),
                )
            ],
            ("fooocus", "add_detail", 0.6),
            id="simplesdxl-lora-slot",
        ),
        pytest.param(
            [
                text_chunk(
                    "parameters",
                    json.dumps(
                        {
                            "software": "RuinedFooocus",
                            "Prompt": "a cat",
                            "loras": [["h1", f"0.6 - a{SPACES[:30_000]}x"], ["h2", "0.6 - add_detail"]],
                        }
                    ),
                )
            ],
            ("ruinedfooocus", "add_detail", 0.6),
            id="ruinedfooocus-weighted-name",
        ),
    ],
)
def test_fooocus_lora_weights_with_long_runs_of_spaces_read_in_linear_time(
    chunks: list[bytes], expected: tuple[str, str, float]
) -> None:
    """``\\s*(.+?)\\s*:\\s*(-?[\\d.]+)\\s*$`` backtracked over every split of a run of spaces (quadratic with
    a word on each side, cubic with none: 1,500 spaces took 4 s, 3,000 over 30 s), and
    ``\\s+-\\s+(.+?)\\s*$`` over a run inside the name; the other LoRA is still read."""
    result = within_a_second(build_png(*chunks))

    errors_of(result)
    tool, name, weight = expected
    assert result.record.tool == tool and result.record.prompt == "a cat"
    assert (name, weight) in [(lora.name, lora.weight) for lora in result.record.loras]


# -- lines ---------------------------------------------------------------------------------------

NEWLINES = "\n" * 8_300_000


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        pytest.param(f"a cat{NEWLINES}{PARAMS}", 20, id="before-the-parameter-line"),
        pytest.param(f"a cat\n{PARAMS}{NEWLINES}Extra: 1", None, id="before-a-last-line-of-one-pair"),
    ],
)
def test_millions_of_lines_are_not_looped_over(text: str, steps: int | None) -> None:
    """The Dynamic Prompts trailer and a multi-line parameter block were each looked for by a loop over
    every line: 8.3 million empty lines (a zTXt of 8 kB) took 1.7 and 2.5 s; ``str`` methods and one
    regex scan find them now (0.1 s). (A last line of one pair after them leaves no parameter line: the
    block from the ``Steps:`` line is over 1 MB.)"""
    result = within_a_second(build_png(ztext("parameters", text)))

    errors_of(result)
    record = result.record
    assert (record.tool, record.steps) == ("a1111", steps)
    assert record.prompt is not None and record.prompt.startswith("a cat")


# -- numbers and shapes JSON allows ----------------------------------------------------------------


def _swarm(params: dict[str, Any]) -> bytes:
    return build_png(
        text_chunk("parameters", json.dumps({"sui_image_params": {"prompt": "a cat", **params}}))
    )


def _novelai(comment: dict[str, Any]) -> bytes:
    return build_png(
        text_chunk("Software", "NovelAI"),
        text_chunk("Description", "a cat"),
        text_chunk("Comment", json.dumps({"prompt": "a cat", **comment})),
    )


def _drawthings(doc: dict[str, Any]) -> bytes:
    escaped = (
        json.dumps({"c": "a cat", "size": "512x768", **doc}).replace("&", "&amp;").replace('"', "&quot;")
    )
    xmp = f'<rdf:Description xmp:CreatorTool="Draw Things" exif:UserComment="{escaped}"/>'
    return build_png(itxt_chunk("XML:com.adobe.xmp", xmp))


HUGE_NUMBER_FILES = {
    "novelai": _novelai({"scale": HUGE, "strength": HUGE, "steps": 28}),
    "swarmui": _swarm(
        {"cfgscale": HUGE, "refinercontrolpercentage": HUGE, "loras": ["a"], "loraweights": [HUGE]}
    ),
    "fooocus": build_png(
        text_chunk(
            "parameters",
            json.dumps(
                {
                    "metadata_scheme": "fooocus",
                    "prompt": "a cat",
                    "guidance_scale": HUGE,
                    "loras": [["a", HUGE]],
                }
            ),
        )
    ),
    "invokeai": build_png(
        text_chunk(
            "invokeai_metadata", json.dumps({"positive_prompt": "a cat", "cfg_scale": HUGE, "strength": HUGE})
        )
    ),
    "drawthings": _drawthings({"scale": HUGE, "strength": HUGE, "lora": [{"file": "a", "weight": HUGE}]}),
    "easydiffusion": build_png(  # display-name keys: with ``guidance_scale`` it reads as a diffusers Space
        text_chunk(
            "parameters",
            json.dumps(
                {
                    "Stable Diffusion model": "sd15",
                    "Prompt": "a cat",
                    "Guidance Scale": HUGE,
                    "LoRA model": "a",
                    "LoRA Strength": HUGE,
                }
            ),
        )
    ),
    "mflux": build_png(
        png_chunk(
            b"eXIf",
            tiff_user_comment(
                json.dumps(
                    {
                        "mflux_version": "0.9",
                        "prompt": "a cat",
                        "image_path": "in.png",
                        "image_strength": HUGE,
                        "lora_paths": ["a"],
                        "lora_scales": [HUGE],
                    }
                ).encode()
            ),
        )
    ),
    "huggingface": build_png(
        text_chunk(
            "parameters",
            json.dumps({"prompt": "a cat", "guidance_scale": HUGE, "use_upscaler": {"upscale_by": HUGE}}),
        )
    ),
    "stabilitymatrix": build_png(
        text_chunk("parameters-json", json.dumps({"PositivePrompt": "a cat", "CfgScale": HUGE, "Steps": 30}))
    ),
}


@pytest.mark.parametrize("tool", sorted(HUGE_NUMBER_FILES))
def test_an_integer_past_a_floats_range_is_no_number_not_a_lost_reading(tool: str) -> None:
    """``float(10**400)`` raises ``OverflowError``: every reader taking a CFG scale, a denoise or a LoRA
    weight from JSON lost the whole reading as a reader bug (the file ``unknown``)."""
    result = within_a_second(HUGE_NUMBER_FILES[tool])

    errors_of(result)
    record = result.record
    assert (record.tool, record.prompt, record.cfg_scale) == (tool, "a cat", None)
    assert all(lora.weight is None for lora in record.loras)


NOT_A_LIST = [5, 1.5, True]


@pytest.mark.parametrize("value", NOT_A_LIST, ids=["int", "float", "bool"])
@pytest.mark.parametrize("tool", ["fooocus", "ruinedfooocus", "drawthings"])
def test_a_lora_field_that_is_a_number_is_no_loras(tool: str, value: object) -> None:
    """``for item in doc.get("loras") or []`` raised ``TypeError`` for a number (the reading lost)."""
    if tool == "fooocus":
        doc = {"metadata_scheme": "fooocus", "prompt": "a cat", "loras": value}
        data = build_png(text_chunk("parameters", json.dumps(doc)))
    elif tool == "ruinedfooocus":
        data = build_png(
            text_chunk(
                "parameters", json.dumps({"software": "RuinedFooocus", "Prompt": "a cat", "loras": value})
            )
        )
    else:
        data = _drawthings({"lora": value})

    result = within_a_second(data)

    errors_of(result)
    assert (result.record.tool, result.record.prompt, result.record.loras) == (tool, "a cat", ())


# -- str.isdigit is not int ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("exif:UserComment", "85, ², 73"),
        ("exif:WinXP-Comments", "²"),
        ("Raw profile type exif", "\nexif\n       ²\n4578696600004d4d002a00000008\n"),
        ("Raw profile type exif", "\nexif\n" + "9" * 5_000 + "\n4578696600004d4d002a00000008\n"),
        ("Raw profile type xmp", "\nxmp\n" + "9" * 5_000 + "\n3c783e\n"),
    ],
    ids=[
        "byte-list-superscript",
        "xp-superscript",
        "profile-length-superscript",
        "exif-5000-digits",
        "xmp-5000-digits",
    ],
)
def test_digits_int_cannot_take_are_no_number(key: str, value: str) -> None:
    """``"²".isdigit()`` is true and ``int("²")`` raises, as ``int`` of 5,000 digits does: the PNG walk
    raised ``ValueError`` out of ``read_image_bytes`` (a bad file must give ``UnreadableImage`` or a
    record). The text is no EXIF / XMP then, and the file's infotext is read."""
    result = within_a_second(build_png(text_chunk("parameters", A1111_TEXT), text_chunk(key, value)))

    errors_of(result)
    assert (result.record.tool, result.record.prompt, result.record.seed) == ("a1111", "a cat", 42)
    assert result.record.extra["texts"][key] == value


def test_a_file_name_of_thousands_of_digits_has_no_counter() -> None:
    """A 5,000-digit counter made ``int()`` raise out of the read; a counter is at most 64 bits."""
    result = within_a_second(
        build_png(text_chunk("parameters", A1111_TEXT)), "ComfyUI_" + "1" * 5_000 + "_.png"
    )

    assert result.record.tool == "a1111" and "file_counter" not in result.record.extra
    assert read(build_png(), "ComfyUI_00042_.png").record.extra["file_counter"] == 42


def test_an_imagemagick_byte_list_longer_than_imagemagick_writes_is_not_decoded() -> None:
    """8 MB of ``0,`` (a zTXt of 8 kB) took 2 s of item-by-item checks; ImageMagick cuts a byte list at
    4,096 characters, so a list over 64 kB is none of its. A real one is still read."""
    flood = build_png(ztext("exif:UserComment", "0," * 4_190_000 + "0"), text_chunk("parameters", A1111_TEXT))

    result = within_a_second(flood)

    errors_of(result)
    assert result.record.tool == "a1111" and "exif" not in result.record.extra
    comment = b"UNICODE\x00" + "hello".encode("utf-16-le")
    real = read(build_png(text_chunk("exif:UserComment", ", ".join(str(byte) for byte in comment))))
    assert real.record.extra["exif"] == {"UserComment": "hello"}


# -- amplification: memory and lists -------------------------------------------------------------------


def _items(item: str, count: int) -> str:
    return "[" + item * count + "0]"


@pytest.mark.parametrize(
    ("item", "count"),
    [('{"a":0},', 990_000), ('"ab",', 1_660_000)],
    ids=["one-key-objects", "short-strings"],
)
def test_json_of_a_million_items_is_refused_before_it_is_parsed(item: str, count: int) -> None:
    """8 MB of one-key objects parse to 200 MB, of two-letter strings to 105 MB; the InvokeAI reader parsed
    its metadata and then, with it still held, the graph beside it: 400 MB (213 MB) from a file of 23 kB.
    A document of more than 250,000 arrays and objects, or of more than 1,000,000 commas, is malformed
    now (real metadata holds a few thousand of each)."""
    metadata = '{"positive_prompt": "a cat", "generation_mode": "img2img", "x": ' + _items(item, count) + "}"
    graph = '{"nodes": {"d": {"type": "denoise_latents"}}, "x": ' + _items(item, count) + "}"
    data = build_png(ztext("invokeai_metadata", metadata), ztext("invokeai_graph", graph))

    result, peak = peak_megabytes(lambda: within_a_second(data))

    errors = errors_of(result)
    assert peak < 100, f"the read held {peak:.0f} MB"
    assert result.record.tool == "invokeai" and "invokeai_metadata is not a JSON object" in errors
    small = '{"positive_prompt": "a cat", "x": ' + _items(item, 1_000) + "}"
    assert read(build_png(text_chunk("invokeai_metadata", small))).record.prompt == "a cat"


def _swarm_names(count: int) -> bytes:
    """Distinct names, fewer than a million (more commas than that make the document malformed)."""
    names = "add_detail," + "".join(f"a{index:06}," for index in range(count))
    doc = {"sui_image_params": {"prompt": "a cat", "loras": names, "loraweights": "0.6"}}
    return build_png(ztext("parameters", json.dumps(doc)))


LORA_FLOODS = {
    "swarmui": _swarm_names(950_000),
    "easydiffusion": build_png(
        text_chunk("use_stable_diffusion_model", "sd15"),
        text_chunk("prompt", "a cat"),
        ztext("use_lora_model", "add_detail, " + "ab, " * 2_000_000),
        ztext("lora_alpha", "0.6, " * 1_600_000),
    ),
    "a1111": build_png(
        ztext("parameters", "a cat <lora:add_detail:0.6>" + "<lora:ab:1>" * 700_000 + f"\n{PARAMS}")
    ),
}


@pytest.mark.parametrize("tool", sorted(LORA_FLOODS))
def test_a_million_lora_names_cost_a_thousand_references(tool: str) -> None:
    """A comma-separated ``loras`` of millions of names (Swarm, Easy Diffusion) or 8 MB of ``<lora:…>``
    tags: a reference for each took 2 to 6 s and up to 330 MB; the first 1,000 are read."""
    result, peak = peak_megabytes(lambda: within_a_second(LORA_FLOODS[tool]))

    errors_of(result)
    assert peak < 150, f"the read held {peak:.0f} MB"
    record = result.record
    assert record.tool == tool and record.prompt is not None and record.prompt.startswith("a cat")
    assert record.loras[0].name == "add_detail" and record.loras[0].weight == 0.6
    assert len(record.loras) <= MAX_LORAS


def test_a_lora_tag_of_millions_of_colons_costs_no_regex_state_per_colon() -> None:
    """``(?::[^:<>]*)*`` kept the regex engine's backtracking state for every colon of a tag's arguments:
    an unclosed tag of 4 million (a zTXt of 8 kB) held 740 MB; the tag before it is still read."""
    text = "a cat <lora:add_detail:0.6> <lora:x" + ":a" * 4_000_000 + f"\n{PARAMS}"

    result, peak = peak_megabytes(lambda: within_a_second(build_png(ztext("parameters", text))))

    errors_of(result)
    assert peak < 100, f"the read held {peak:.0f} MB"
    record = result.record
    assert (record.tool, record.steps, record.seed) == ("a1111", 20, 42)
    assert [(lora.name, lora.weight) for lora in record.loras] == [("add_detail", 0.6)]


def test_millions_of_description_lines_are_not_kept_as_a_list() -> None:
    """Draw Things' ``dc:description`` was split into a list of its lines to find the negative prompt: 8 MB
    of short lines (a compressed XMP of 8 kB) held 235 MB."""
    description = "a cat\n-blurry\n" + "-n\n" * 2_730_000 + "Steps: 20, Seed: 42, Size: 512x768"
    xmp = (
        '<rdf:Description xmp:CreatorTool="Draw Things"><dc:description>'
        f"{description}</dc:description></rdf:Description>"
    )

    result, peak = peak_megabytes(lambda: within_a_second(build_png(zxmp(xmp))))

    errors_of(result)
    assert peak < 150, f"the read held {peak:.0f} MB"
    record = result.record
    assert (record.tool, record.prompt, record.steps, record.seed) == ("drawthings", "a cat", 20, 42)
    assert record.negative_prompt is not None and record.negative_prompt.startswith("blurry\n")
