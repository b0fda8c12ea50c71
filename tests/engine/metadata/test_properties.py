"""Property tests (hypothesis) on the parsers' building blocks: arbitrary input never raises."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from metadata_png_builder import build_png, png_chunk, text_chunk

from engine.metadata import UnreadableImage, read_image_bytes
from engine.metadata.comfy_passes import summarise
from engine.metadata.comfygraph import normalise_graph
from engine.metadata.exif import decode_user_comment, parse_exif
from engine.metadata.infotext import parse_infotext, parse_params_line
from engine.metadata.timestamps import file_counter, filename_time
from tests.cpu_budget import run_within_cpu_budget

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.text(max_size=400))
def test_infotext_parser_total(text: str) -> None:
    info = parse_infotext(text)
    assert all(isinstance(key, str) and isinstance(value, str) for key, value in info.params.items())
    parse_params_line(text)


@FAST
@given(
    st.binary(max_size=300), st.sampled_from([b"", b"II*\x00\x08\x00\x00\x00", b"MM\x00*\x00\x00\x00\x08"])
)
def test_exif_parser_total(blob: bytes, header: bytes) -> None:
    errors: list[str] = []
    fields = parse_exif(header + blob, errors)
    assert all(isinstance(value, str | int) for value in fields.values())
    decode_user_comment(blob)


@FAST
@given(st.text(max_size=80))
def test_filename_helpers_total(name: str) -> None:
    found = filename_time(name)
    assert found is None or 2000 <= found[0].year <= 2100
    counter = file_counter(name)
    assert counter is None or counter >= 0


_CLASSES = st.sampled_from(
    [
        "KSampler",
        "KSamplerAdvanced",
        "SamplerCustomAdvanced",
        "CLIPTextEncode",
        "CheckpointLoaderSimple",
        "LoraLoader",
        "EmptyLatentImage",
        "ConditioningCombine",
        "StringConcatenate",
        "ComfySwitchNode",
        "PrimitiveString",
        "LoadImage",
        "VAEDecode",
        "BasicGuider",
        "RandomNoise",
        "TextGenerate",
        "Custom",
    ]
)
_KEYS = st.sampled_from(
    [
        "seed",
        "steps",
        "cfg",
        "sampler_name",
        "scheduler",
        "denoise",
        "positive",
        "negative",
        "model",
        "latent_image",
        "text",
        "ckpt_name",
        "lora_name",
        "strength_model",
        "width",
        "height",
        "string_a",
        "string_b",
        "on_true",
        "on_false",
        "switch",
        "noise",
        "guider",
        "sampler",
        "sigmas",
        "value",
        "image",
    ]
)


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, Any]:
    ids = [str(i) for i in range(draw(st.integers(1, 12)))]
    literal = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False),
        st.text(max_size=20),
    )
    link = st.builds(lambda target, index: [target, index], st.sampled_from(ids), st.integers(-1, 3))
    value = st.one_of(literal, link, st.lists(literal, max_size=3))
    return {
        node_id: {"class_type": draw(_CLASSES), "inputs": draw(st.dictionaries(_KEYS, value, max_size=8))}
        for node_id in ids
    }


@FAST
@given(graphs())
def test_graph_walk_total_and_fast(graph: dict[str, Any]) -> None:
    normalised = normalise_graph(graph)
    assert normalised is not None
    summary = run_within_cpu_budget(lambda: summarise(normalised), 0.5, "the graph summary")
    assert len(summary.workflow_hash) == 32


_TEXT_KEYS = st.sampled_from(
    [
        "parameters",
        "prompt",
        "workflow",
        "Comment",
        "Description",
        "Software",
        "generation_data",
        "smproj",
        "parameters-json",
        "invokeai_metadata",
        "sd-metadata",
        "Dream",
        "fooocus_scheme",
        "Creation Time",
    ]
)


@FAST
@given(
    st.lists(st.tuples(_TEXT_KEYS, st.one_of(st.text(max_size=200), graphs().map(json.dumps))), max_size=4)
)
def test_png_with_arbitrary_text_chunks_reads(chunks: list[tuple[str, str]]) -> None:
    data = build_png(*(text_chunk(key, value) for key, value in chunks))
    result = read_image_bytes(data, file_name="x.png", mtime=datetime(2025, 1, 1, tzinfo=UTC))
    errors = result.record.extra.get("metadata_errors", [])
    assert not any("reader bug" in message for message in errors)


@FAST
@given(st.lists(st.tuples(st.binary(min_size=4, max_size=4), st.binary(max_size=64)), max_size=6))
def test_png_with_arbitrary_chunks_reads(chunks: list[tuple[bytes, bytes]]) -> None:
    data = build_png(*(png_chunk(kind, body) for kind, body in chunks))
    try:
        result = read_image_bytes(data, file_name="x.png", mtime=None)
    except UnreadableImage:
        return
    assert not any("reader bug" in message for message in result.record.extra.get("metadata_errors", []))
