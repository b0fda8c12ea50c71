"""Hostile and broken input: each case gives exactly ``UnreadableImage`` or a degraded record."""

from __future__ import annotations

import json
import os
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from metadata_fixture_paths import fixture_image
from metadata_png_builder import (
    build_jpeg,
    build_png,
    build_webp,
    itxt_chunk,
    jpeg_segment,
    png_chunk,
    text_chunk,
    tiff_user_comment,
    ztxt_chunk,
)

from engine.metadata import ImageReadResult, UnreadableImage, read_image, read_image_bytes
from engine.metadata.limits import MAX_TEXT_BYTES
from tests.cpu_budget import run_within_cpu_budget

MTIME = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
A1111_TEXT = (
    "a cat\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512"
)


def read(data: bytes, name: str = "x.png") -> ImageReadResult:
    return read_image_bytes(data, file_name=name, mtime=MTIME)


def errors_of(result: ImageReadResult) -> list[str]:
    errors: Any = result.record.extra.get("metadata_errors", [])
    assert isinstance(errors, list)
    assert not any("reader bug" in message for message in errors), errors
    return errors


def graph_png(graph: Any) -> bytes:
    return build_png(text_chunk("prompt", json.dumps(graph) if not isinstance(graph, str) else graph))


# -- files that are not images -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"GIF89a" + b"\0" * 20, "GIF"),
        (b"II*\x00" + b"\0" * 20, "TIFF"),
        (b"hello world, plain text", "not a PNG, JPEG or WEBP"),
        (b"\x89PNG\r\n\x1a\n", "truncated PNG"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00", "truncated PNG"),
        (b"\xff\xd8\xff", "no frame header"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8X", "no VP8/VP8L/VP8X"),
    ],
)
def test_non_images_are_unreadable_with_a_specific_reason(data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableImage) as caught:
        read(data)
    assert reason in caught.value.reason


def test_png_without_ihdr_first_is_unreadable() -> None:
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"tEXt", b"a\0b") + png_chunk(b"IEND", b"") + b"\0" * 20
    with pytest.raises(UnreadableImage, match="IHDR"):
        read(data)


@pytest.mark.parametrize(
    "relative",
    [
        "AUTOMATIC1111/sdparsers__automatic1111_cropped.png",
        "ComfyUI/sdmetadata__jpg__comfyui-saveimage-plus.jpg",
        "SwarmUI/sdmetadata__jpg__swarmui.jpg",
        "Forge/sdmetadata__webp__forge-classic.webp",
        "Google_Gemini/sdmetadata__c2pa_png__gemini_unknown.png",
    ],
)
def test_truncated_fixtures_never_raise_anything_else(relative: str) -> None:
    data = fixture_image(relative).read_bytes()
    cuts = sorted(
        {
            1,
            4,
            8,
            12,
            16,
            20,
            30,
            33,
            40,
            64,
            100,
            200,
            500,
            1000,
            len(data) // 3,
            len(data) // 2,
            len(data) - 1,
        }
    )
    for cut in cuts:
        try:
            result = read(data[:cut], Path(relative).name)
        except UnreadableImage:
            continue
        errors_of(result)


def test_truncated_png_keeps_the_text_read_before_the_cut() -> None:
    data = build_png(text_chunk("parameters", A1111_TEXT), width=4, height=4)
    cut = data.index(b"IDAT") + 6
    result = read(data[:cut])
    assert result.record.tool == "a1111"
    assert result.record.seed == 42
    assert any("past end of file" in message for message in errors_of(result))


def test_wrong_extension_does_not_matter() -> None:
    jpeg = fixture_image("AUTOMATIC1111/sdmetadata__jpg__sd-webui.jpg").read_bytes()
    assert read(jpeg, "looks_like.png").image_format == "jpeg"
    png = fixture_image("AUTOMATIC1111/sdparsers__automatic1111_cropped.png").read_bytes()
    assert read(png, "looks_like.webp").image_format == "png"


# -- container damage ----------------------------------------------------------------------------


def test_bogus_png_chunk_length_ends_the_walk_but_keeps_earlier_text() -> None:
    bogus = png_chunk(b"tEXt", b"Comment\0hello", length=0xFFFFFFF0)
    data = build_png(text_chunk("parameters", A1111_TEXT), bogus)
    result = read(data)
    assert result.record.seed == 42
    assert any("declares" in message for message in errors_of(result))


def test_bogus_jpeg_segment_length_after_the_frame_is_degraded() -> None:
    good = build_jpeg()
    sos = good.index(b"\xff\xda")
    data = good[:sos] + b"\xff\xe1\xff\xff" + b"Exif\0\0"
    result = read(data, "x.jpg")
    assert result.record.tool == "unknown"
    assert any("runs past" in message for message in errors_of(result))


def test_bogus_webp_chunk_length() -> None:
    data = build_webp((b"EXIF", tiff_user_comment(b"ASCII\0\0\0" + A1111_TEXT.encode())))
    broken = data + b"XMP \xff\xff\xff\x7f" + b"<x/>"
    result = read(broken, "x.webp")
    assert result.record.seed == 42
    assert any("past end of file" in message for message in errors_of(result))


def test_exif_with_looping_and_out_of_range_offsets() -> None:
    blob = bytearray(tiff_user_comment(b"UNICODE\0" + "hi".encode("utf-16-le")))
    blob[4:8] = (10**6).to_bytes(4, "little")  # IFD0 offset far outside
    result = read(build_jpeg(jpeg_segment(0xE1, b"Exif\0\0" + bytes(blob))), "x.jpg")
    assert any("out of range" in message for message in errors_of(result))
    looping = bytearray(tiff_user_comment(b"ASCII\0\0\0text"))
    looping[16:20] = (8).to_bytes(4, "little")  # Exif IFD pointer back to IFD0
    errors_of(read(build_jpeg(jpeg_segment(0xE1, b"Exif\0\0" + bytes(looping))), "x.jpg"))


# -- huge, compressed and badly encoded text -----------------------------------------------------


def test_100_mb_text_chunk_is_skipped_not_loaded(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    payload = b"parameters\0" + b"A" * (100 * 1024 * 1024)
    path.write_bytes(build_png(png_chunk(b"tEXt", payload), text_chunk("Comment", "still read")))
    result = run_within_cpu_budget(lambda: read_image(path), 5.0, "the read")
    assert result.record.tool == "unknown"
    assert result.record.extra["texts"] == {"Comment": "still read"}
    assert any("skipped" in message for message in errors_of(result))


def test_ztxt_decompression_bomb_is_refused_per_chunk() -> None:
    bomb = zlib.compress(b"\0" * (MAX_TEXT_BYTES * 8), 9)
    assert len(bomb) < 200_000
    data = build_png(ztxt_chunk("parameters", bomb), itxt_chunk("Comment", "kept"))
    result = read(data)
    assert result.record.extra["texts"] == {"Comment": "kept"}
    assert any("refused" in message and "expands beyond" in message for message in errors_of(result))


def test_itxt_compressed_bomb_and_corrupt_stream() -> None:
    bomb = zlib.compress(b"x" * (MAX_TEXT_BYTES + 10), 9)
    body = b"parameters\0\x01\x00\0\0" + bomb
    corrupt = b"Comment\0\x01\x00\0\0" + b"not zlib at all"
    result = read(build_png(png_chunk(b"iTXt", body), png_chunk(b"iTXt", corrupt)))
    assert len([m for m in errors_of(result) if "refused" in m]) == 2


def test_invalid_utf8_in_text_chunks() -> None:
    data = build_png(
        png_chunk(b"tEXt", b"parameters\0" + A1111_TEXT.encode() + b"\xff\xfe\xc3"),
        png_chunk(b"iTXt", b"Comment\0\0\0\0\0" + b"\xed\xa0\x80 lone surrogate"),
    )
    result = read(data)
    assert result.record.seed == 42
    assert result.record.tool == "a1111"


@pytest.mark.parametrize(
    "comment",
    [
        b"UNICODE\0" + b"\x00a\x00b\x00",  # odd length
        b"UNICODE\0" + b"\x00\xd8\x00\xd8",  # lone surrogates, big-endian guess
        b"UNICODE\0",  # empty
        b"ASCII\0\0\0" + b"\xff\xfe\xfd",
        b"\x00" * 8 + b"\x80abc",
        b"UNI",
    ],
)
def test_invalid_user_comment_encodings_degrade(comment: bytes) -> None:
    errors_of(read(build_jpeg(jpeg_segment(0xE1, b"Exif\0\0" + tiff_user_comment(comment))), "x.jpg"))


# -- malformed ComfyUI graphs --------------------------------------------------------------------


@pytest.mark.parametrize(
    "graph",
    [
        "{not json",
        '{"3": {"class_type": "KSampler", "inputs": {"seed": NaN, "positive": ["9", 0]}}',
        "[1, 2, 3]",
        '{"1": "not a node", "2": 7, "3": {"inputs": {}}}',
        '{"1": {"class_type": "KSampler", "inputs": {"positive": [["1", 0], 0], "model": [true, 0], '
        '"latent_image": ["1", "x"], "seed": {"a": 1}, "steps": "many", "cfg": [1, 2]}}}',
    ],
)
def test_malformed_graphs_degrade_to_a_comfyui_record(graph: str) -> None:
    result = read(graph_png(graph))
    assert result.record.tool == "comfyui"
    errors_of(result)


def test_deeply_nested_json_graph_is_refused_cleanly() -> None:
    deep = "[" * 200_000 + "]" * 200_000
    result = read(graph_png('{"1": {"class_type": "KSampler", "inputs": {"x": ' + deep + "}}}"))
    assert result.record.tool == "comfyui"
    assert any("deeper" in message for message in errors_of(result))


def test_cyclic_links_terminate() -> None:
    graph = {
        "1": {
            "class_type": "KSampler",
            "inputs": {
                "seed": ["5", 0],
                "positive": ["2", 0],
                "negative": ["3", 0],
                "model": ["4", 0],
                "latent_image": ["6", 0],
                "steps": 20,
            },
        },
        "2": {
            "class_type": "ConditioningCombine",
            "inputs": {"conditioning_1": ["3", 0], "conditioning_2": ["2", 0]},
        },
        "3": {"class_type": "ConditioningConcat", "inputs": {"conditioning_to": ["2", 0]}},
        "4": {
            "class_type": "LoraLoader",
            "inputs": {"lora_name": "a.safetensors", "strength_model": 1, "model": ["4", 0]},
        },
        "5": {"class_type": "PrimitiveInt", "inputs": {"value": ["5", 0]}},
        "6": {"class_type": "LatentUpscale", "inputs": {"samples": ["7", 0], "width": ["5", 0], "height": 8}},
        "7": {
            "class_type": "KSampler",
            "inputs": {"latent_image": ["6", 0], "positive": ["8", 0], "steps": 1},
        },
        "8": {"class_type": "CLIPTextEncode", "inputs": {"text": ["9", 0]}},
        "9": {"class_type": "StringConcatenate", "inputs": {"string_a": ["9", 0], "string_b": ["8", 0]}},
    }
    data = graph_png(graph)
    result = run_within_cpu_budget(lambda: read(data), 1.0, "the read")
    assert result.record.tool == "comfyui"
    assert {sampler["steps"] for sampler in result.record.extra["samplers"]} == {1, 20}
    errors_of(result)


def test_graph_with_many_nodes_stays_fast() -> None:
    graph: dict[str, Any] = {
        str(i): {
            "class_type": "ConditioningCombine",
            "inputs": {"conditioning_1": [str(i + 1), 0], "conditioning_2": [str(max(i - 1, 0)), 0]},
        }
        for i in range(4000)
    }
    graph["s"] = {
        "class_type": "KSampler",
        "inputs": {"positive": ["0", 0], "negative": ["3999", 0], "steps": 3},
    }
    data = graph_png(graph)
    result = run_within_cpu_budget(lambda: read(data), 1.0, "the read")
    assert result.record.steps == 3


# -- file system errors ----------------------------------------------------------------------------


def test_directory_and_missing_paths_are_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableImage, match=r"directory|regular file"):
        read_image(tmp_path)
    with pytest.raises(UnreadableImage, match="not found"):
        read_image(tmp_path / "nope.png")


def test_permission_denied_is_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as root (chmod 000 does not stop reads), so the open() failure is injected."""
    path = tmp_path / "locked.png"
    path.write_bytes(build_png())

    def denied(*_args: Any, **_kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("engine.metadata.open_regular_file", denied)
    with pytest.raises(UnreadableImage, match="permission denied"):
        read_image(path)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_chmod_000_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "locked.png"
    path.write_bytes(build_png())
    path.chmod(0)
    try:
        with pytest.raises(UnreadableImage, match="permission denied"):
            read_image(path)
    finally:
        path.chmod(0o644)


# -- adversarial text that would make a naive parser quadratic -------------------------------------


@pytest.mark.parametrize(
    "chunks",
    [
        [text_chunk("parameters", "p\nSteps: 1, Sampler: a, Seed: 1, " + "k: [, " * 300_000)],
        [text_chunk("parameters", "p\nSteps: 1, Sampler: a, Seed: 1, " + 'k: "' + "x" * 3_000_000)],
        [itxt_chunk("XML:com.adobe.xmp", "<xmp:CreatorTool>" * 300_000 + "<rdf:li>" * 100_000)],
        [text_chunk("Description", " " * 4_000_000 + "Job ID: x"), text_chunk("Author", "u1")],
        [text_chunk("Dream", '"a cat" ' + "-s 5 " * 1_500_000)],
        [text_chunk("parameters", "<lora:" * 500_000 + "\nSteps: 1, Sampler: a, Seed: 1")],
        [text_chunk("prompt", "{" + '"1": {"class_type": "KSampler", "inputs": {}}, ' * 100_000 + '"x": 1}')],
    ],
)
def test_pathological_text_stays_under_a_second(chunks: list[bytes]) -> None:
    data = build_png(*chunks)
    result = run_within_cpu_budget(lambda: read(data), 1.0, "the read")
    errors_of(result)


def test_many_small_bombs_share_one_inflate_budget() -> None:
    bomb = zlib.compress(b"\0" * (MAX_TEXT_BYTES - 16), 9)
    data = build_png(*(ztxt_chunk(f"k{index}", bomb) for index in range(40)))
    result = run_within_cpu_budget(lambda: read(data), 1.0, "the read")
    assert any("budget" in message for message in errors_of(result))
