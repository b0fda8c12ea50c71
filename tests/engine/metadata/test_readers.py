"""Reader behaviour on small files built in the test (formats without a real fixture, edge cases)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from metadata_fixture_paths import EXIFTOOL_DIR, fixture_image
from metadata_png_builder import (
    build_jpeg,
    build_png,
    build_webp,
    itxt_chunk,
    jpeg_segment,
    png_chunk,
    text_chunk,
    tiff_user_comment,
)
from PIL import Image

from engine.metadata import ImageReadResult, read_image_bytes
from engine.metadata.cbor_scan import cbor_key
from engine.metadata.comfygraph import normalise_graph, workflow_hash
from engine.metadata.exif import decode_user_comment
from engine.records import LoraRef, TimePrecision

MTIME = datetime(2025, 6, 30, 18, 0, 0, tzinfo=UTC)


def read(data: bytes, name: str = "x.png", **kwargs: Any) -> ImageReadResult:
    return read_image_bytes(data, file_name=name, mtime=kwargs.pop("mtime", MTIME), **kwargs)


# -- Midjourney: no real file in the fixtures, so build one from the exiftool dump -----------------


def _exiftool_fields() -> dict[str, str]:
    dump = EXIFTOOL_DIR / "midjourney_web_download.exiftool.txt"
    if not dump.is_file():
        pytest.skip(f"exiftool dump not available: {dump}")
    lines = dump.read_text(encoding="utf-8").splitlines()
    names = ("Creation Time", "Author", "Description", "Digital Image GUID", "Digital Source Type")
    return {lines[index]: lines[index + 1] for index in range(len(lines) - 1) if lines[index] in names}


def _midjourney_png(fields: dict[str, str], creation_time: str) -> bytes:
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        'xmlns:iptcExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        f'iptcExt:DigImageGUID="{fields["Digital Image GUID"]}" '
        f'iptcExt:DigitalSourceType="{fields["Digital Source Type"]}"/></rdf:RDF></x:xmpmeta>'
    )
    return build_png(
        text_chunk("Creation Time", creation_time),
        text_chunk("Author", fields["Author"]),
        itxt_chunk("Description", fields["Description"]),
        itxt_chunk("XML:com.adobe.xmp", xmp),
    )


def test_midjourney_from_exiftool_dump() -> None:
    fields = _exiftool_fields()
    assert fields["Author"] == "u2816893666"
    result = read(_midjourney_png(fields, fields["Creation Time"]), "mj.png")
    rec = result.record
    assert rec.tool == "midjourney"
    assert rec.user == "u2816893666"
    assert rec.job_id == "31b4cc6a-32c8-4b17-9aef-15c0f405f6f6"
    assert rec.prompt is not None
    assert rec.prompt.startswith("An underwater surreal scene of whales")
    assert rec.prompt.endswith("--chaos 15 --raw --stylize 150 --v 7")
    assert rec.extra["mj_params"]["stylize"] == "150"
    assert rec.model == "v7"
    assert rec.created_at == datetime(2025, 6, 30, 8, 28, 7, tzinfo=UTC)
    assert (rec.created_at_source, rec.created_at_precision) == (
        "metadata:Creation Time",
        TimePrecision.SECOND,
    )


def test_midjourney_iso_creation_time_and_guid_only() -> None:
    fields = _exiftool_fields()
    fields["Description"] = "a cat --v 6"
    rec = read(_midjourney_png(fields, "2025-06-30T08:28:07+00:00"), "mj.png").record
    assert rec.tool == "midjourney"
    assert rec.job_id == "31b4cc6a-32c8-4b17-9aef-15c0f405f6f6"
    assert rec.prompt == "a cat --v 6"
    assert rec.created_at == datetime(2025, 6, 30, 8, 28, 7, tzinfo=UTC)


# -- EXIF UserComment encodings ----------------------------------------------------------------------


def test_user_comment_byte_order_follows_zero_bytes_not_tiff_order() -> None:
    text = "Steps: 20, Sampler: Euler, Seed: 7 テスト"
    assert decode_user_comment(b"UNICODE\0" + text.encode("utf-16-be")) == text
    assert decode_user_comment(b"UNICODE\0" + text.encode("utf-16-le")) == text
    assert decode_user_comment(b"ASCII\0\0\0" + text.encode()) == text
    assert decode_user_comment(text.encode()) == text
    for little_endian in (True, False):
        for encoding in ("utf-16-be", "utf-16-le"):
            infotext = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512"
            blob = tiff_user_comment(b"UNICODE\0" + infotext.encode(encoding), little_endian=little_endian)
            rec = read(build_jpeg(jpeg_segment(0xE1, b"Exif\0\0" + blob)), "x.jpg").record
            assert (rec.prompt, rec.seed) == ("a cat", 42), (little_endian, encoding)


def test_real_fixtures_le_tiff_with_be_and_le_text() -> None:
    civitai = read(fixture_image("Civitai/sdmetadata__jpg__civitai.jpeg").read_bytes(), "c.jpeg").record
    swarm = read(fixture_image("SwarmUI/sdmetadata__jpg__swarmui.jpg").read_bytes(), "s.jpg").record
    assert civitai.prompt is not None and civitai.prompt.startswith("general, masterpiece")
    assert swarm.prompt is not None and swarm.prompt.startswith("general, masterpiece")


# -- ComfyUI -------------------------------------------------------------------------------------------

BASE_GRAPH: dict[str, Any] = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "base.safetensors"}},
    "10": {
        "class_type": "LoraLoader",
        "inputs": {
            "lora_name": "style.safetensors",
            "strength_model": 0.6,
            "strength_clip": 1.0,
            "model": ["4", 0],
            "clip": ["4", 1],
        },
    },
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 832, "height": 1216, "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": ["20", 0], "clip": ["10", 1]}},
    "20": {"class_type": "PrimitiveString", "inputs": {"value": "neon alley at night"}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["10", 1]}},
    "3": {
        "class_type": "KSampler",
        "inputs": {
            "seed": 1234,
            "steps": 30,
            "cfg": 7.0,
            "sampler_name": "dpmpp_2m",
            "scheduler": "karras",
            "denoise": 1.0,
            "model": ["10", 0],
            "positive": ["6", 0],
            "negative": ["7", 0],
            "latent_image": ["5", 0],
        },
    },
    "11": {"class_type": "LatentUpscaleBy", "inputs": {"scale_by": 1.5, "samples": ["3", 0]}},
    "12": {
        "class_type": "KSampler",
        "inputs": {
            "seed": 99,
            "steps": 12,
            "cfg": 5.0,
            "sampler_name": "euler",
            "scheduler": "normal",
            "denoise": 0.4,
            "model": ["10", 0],
            "positive": ["6", 0],
            "negative": ["7", 0],
            "latent_image": ["11", 0],
        },
    },
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["12", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
}


def test_comfyui_graph_primary_sampler_and_all_samplers_listed() -> None:
    """A hires fix: the saved pixels come from the second pass; the size is the first pass's."""
    rec = read(build_png(text_chunk("prompt", json.dumps(BASE_GRAPH))), "ComfyUI_00042_.png").record
    assert rec.tool == "comfyui"
    assert (rec.prompt, rec.negative_prompt) == ("neon alley at night", "blurry")
    assert (rec.seed, rec.steps, rec.cfg_scale, rec.sampler, rec.scheduler, rec.denoise) == (
        99,
        12,
        5.0,
        "euler",
        "normal",
        0.4,
    )
    assert rec.extra["primary_sampler"] == "12"
    assert rec.extra["output_node"] == {
        "node_id": "9",
        "class_type": "SaveImage",
        "filename_prefix": "ComfyUI",
    }
    assert (rec.model, rec.width, rec.height) == ("base.safetensors", 832, 1216)
    assert rec.loras == (LoraRef("style.safetensors", 0.6),)
    assert [s["node_id"] for s in rec.extra["samplers"]] == ["3", "12"]
    assert rec.extra["samplers"][1]["upstream_sampler"] == "3"
    assert rec.extra["file_counter"] == 42


def test_workflow_hash_ignores_values_and_ids_but_not_links() -> None:
    graph = normalise_graph(BASE_GRAPH)
    assert graph is not None
    changed_values = json.loads(json.dumps(BASE_GRAPH))
    changed_values["3"]["inputs"]["seed"] = 5
    changed_values["20"]["inputs"]["value"] = "another prompt"
    renamed = {f"n{key}": node for key, node in json.loads(json.dumps(BASE_GRAPH)).items()}
    for node in renamed.values():
        for name, value in node["inputs"].items():
            if isinstance(value, list):
                node["inputs"][name] = [f"n{value[0]}", value[1]]
    relinked = json.loads(json.dumps(BASE_GRAPH))
    relinked["12"]["inputs"]["model"] = ["4", 0]
    hashes = [workflow_hash(normalise_graph(g) or {}) for g in (changed_values, renamed, relinked)]
    assert hashes[0] == workflow_hash(graph) == hashes[1]
    assert hashes[2] != workflow_hash(graph)


def test_comfyui_graph_in_exif_image_description_and_model() -> None:
    blob = b"II*\x00\x08\x00\x00\x00"
    graph = json.dumps(BASE_GRAPH).encode()
    workflow = b'{"nodes": [], "links": []}'
    entries = [(0x010E, workflow), (0x0110, graph)]
    offset = 8 + 2 + 12 * len(entries) + 4
    ifd = len(entries).to_bytes(2, "little")
    values = b""
    for tag, value in entries:
        ifd += tag.to_bytes(2, "little") + (2).to_bytes(2, "little") + (len(value) + 1).to_bytes(4, "little")
        ifd += (offset + len(values)).to_bytes(4, "little")
        values += value + b"\0"
    blob += ifd + b"\0\0\0\0" + values
    rec = read(build_webp((b"EXIF", blob)), "x.webp").record
    assert rec.tool == "comfyui"
    assert rec.seed == 99  # the pass that fed the only output


def test_comfyui_workflow_only_png() -> None:
    rec = read(build_png(text_chunk("workflow", '{"nodes": [], "links": []}'))).record
    assert rec.tool == "comfyui"
    assert rec.extra["workflow_only"] is True


def test_graph_markers_of_other_tools_win_over_comfyui() -> None:
    swarm = {
        "sui_image_params": {"prompt": "p", "seed": 3, "steps": 4},
        "sui_extra_data": {"date": "2025-06-30"},
    }
    rec = read(
        build_png(text_chunk("prompt", json.dumps(BASE_GRAPH)), text_chunk("parameters", json.dumps(swarm)))
    ).record
    assert (rec.tool, rec.seed) == ("swarmui", 3)
    assert rec.created_at == MTIME
    assert rec.created_at_source == "metadata:sui_extra_data.date+file:mtime"
    other_day = read(
        build_png(text_chunk("parameters", json.dumps(swarm))), mtime=MTIME + timedelta(days=2)
    ).record
    assert other_day.created_at_precision is TimePrecision.DAY
    assert other_day.created_at == datetime(2025, 6, 30, tzinfo=UTC)


# -- A1111 family ----------------------------------------------------------------------------------------


def _infotext(params: str, prompt: str = "a cat <lora:detail:0.5>") -> bytes:
    return build_png(
        text_chunk("parameters", f"{prompt}\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, {params}")
    )


def test_a1111_family_markers() -> None:
    cases = {
        "CFG scale: 7, Seed: 1, Version: f2.0.1v1.10.1-previous-519-g44eb4ea8": "forge",
        "CFG scale: 7, Seed: 1, Version: f1.0.0v2-v1.10.1RC-latest-2498-g5120e679": "reforge",
        "CFG scale: 7, Seed: 1, Version: classic": "forge",
        "CFG scale: 7, Seed: 1, Version: neo": "forge",
        "CFG scale: 7, Seed: 1, App: SD.Next, Version: 56a8aea": "sdnext",
        "CFG scale: 7, NGMS: 1.5, Model: b15b2aae-e420-41c5-bcd7-03fc36993813, Version: 1.10.1": "yodayo",
        "CFG scale: 7, Seed: 1, NGMS: 1.5, Version: 1.10.1": "a1111",  # NGMS is A1111's s_min_uncond
        'CFG scale: 7, Seed: 1, Civitai resources: [{"type":"lora","modelName":"x","weight":0.8}]': "civitai",
        "CFG scale: 7, Seed: 1, Version: v1.10.1": "a1111",
        "CFG scale: 7, Seed: 1, Version: ComfyUI": "comfyui",
    }
    for params, tool in cases.items():
        assert read(_infotext(params)).record.tool == tool, params


def test_a1111_hires_variation_and_durations() -> None:
    params = (
        "CFG scale: 7, Seed: 1, Size: 512x768, Model: m, Denoising strength: 0.45, Hires upscale: 2, "
        "Variation seed: 77, Variation seed strength: 0.1, Time taken: 18.0 sec., "
        'Lora hashes: "detail: abc", Version: v1.10.1'
    )
    rec = read(_infotext(params)).record
    assert (rec.denoise, rec.extra["hires_upscale"], rec.extra["variation_seed"]) == (0.45, 2.0, 77)
    assert (rec.width, rec.height) == (512, 768)
    assert rec.loras == (LoraRef("detail", 0.5),)
    assert rec.created_at_source == "file:mtime"


def test_a1111_hires_pass_to_a_target_size_is_a_hires_pass() -> None:
    """A1111's "Resize to" hires mode writes ``Hires resize: WxH`` and no factor; without one the
    record's denoise looked like an img2img's (the phases count an img2img under a new prompt as work
    on a kept image), so a hires exploration read as a refinement."""
    params = (
        "CFG scale: 7, Seed: 1, Size: 512x768, Model: m, Denoising strength: 0.5, Hires resize: 1024x1536, "
        "Hires steps: 15, Hires upscaler: Latent, Version: v1.10.1"
    )
    rec = read(_infotext(params)).record
    assert (rec.denoise, rec.extra["hires_upscale"], rec.width) == (0.5, 2.0, 512)


def test_civitai_created_date_and_bad_created_date() -> None:
    good = read(_infotext("CFG scale: 5, Seed: 9, Created Date: 2024-05-18T11:28:26.9555996Z")).record
    assert good.created_at == datetime(2024, 5, 18, 11, 28, 26, 955599, tzinfo=UTC)
    assert good.created_at_precision is TimePrecision.MILLISECOND
    bad = read(_infotext("CFG scale: 5, Seed: 9, Created Date: yesterday")).record
    assert bad.created_at_source == "file:mtime"
    assert any("Created Date" in message for message in bad.extra["metadata_errors"])


# -- NovelAI, stealth, C2PA, unknown ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra_fields", "denoise"),
    [
        ({"strength": 0.7, "noise": 0.2}, None),  # 2022-23 Comments carry the img2img defaults always
        ({"strength": 0.45, "noise": 0.1}, 0.45),  # values of their own: an img2img
        ({"strength": 0.7, "noise": 0.0, "request_type": "PromptGenerateRequest"}, None),
        ({"strength": 0.6, "noise": 0.0, "request_type": "Img2ImgRequest"}, 0.6),
        ({"strength": 0.8, "noise": 0.0, "request_type": "NativeInfillingRequest"}, 0.8),
    ],
)
def test_novelai_strength_is_a_denoise_only_for_an_img2img(
    extra_fields: dict[str, Any], denoise: float | None
) -> None:
    """A denoise below 1 marks an img2img / edit (the phases count it as work on a kept image), so a
    txt2img's default ``strength`` must not become one."""
    comment = json.dumps({"prompt": "a fox", "steps": 28, "scale": 11, "seed": 3, **extra_fields})
    data = build_png(text_chunk("Software", "NovelAI"), text_chunk("Comment", comment))
    assert read(data).record.denoise == denoise


def test_novelai_generation_time_is_a_duration() -> None:
    comment = json.dumps(
        {
            "prompt": "a fox",
            "uc": "lowres",
            "steps": 28,
            "scale": 5,
            "seed": 3,
            "width": 832,
            "height": 1216,
            "sampler": "k_euler",
        }
    )
    data = build_png(
        text_chunk("Software", "NovelAI"),
        text_chunk("Source", "NovelAI Diffusion V4.5 4BDE2A90"),
        text_chunk("Generation time", "1750000000.5"),
        text_chunk("Comment", comment),
    )
    rec = read(data).record
    assert (rec.tool, rec.prompt, rec.negative_prompt, rec.seed) == ("novelai", "a fox", "lowres", 3)
    assert rec.extra["generation_time_seconds"] == 1750000000.5
    assert rec.created_at_source == "file:mtime"


def _stealth_png(
    text: str, *, compressed: bool, size: tuple[int, int] = (32, 32), extra_chunk: bytes = b""
) -> bytes:
    payload = gzip.compress(text.encode()) if compressed else text.encode()
    magic = b"stealth_pngcomp" if compressed else b"stealth_pnginfo"
    header = np.unpackbits(np.frombuffer(magic, dtype=np.uint8))
    length = np.array([int(bit) for bit in format(len(payload) * 8, "032b")], dtype=np.uint8)
    bits = np.concatenate([header, length, np.unpackbits(np.frombuffer(payload, dtype=np.uint8))])
    width, height = size
    alpha = np.full(width * height, 254, dtype=np.uint8)
    alpha[: bits.size] |= bits
    pixels = np.zeros((height, width, 4), dtype=np.uint8)
    pixels[..., 3] = alpha.reshape(width, height).T  # column-major: x outer, y inner
    import io

    out = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(out, format="PNG")
    data = out.getvalue()
    if extra_chunk:
        data = data[:33] + extra_chunk + data[33:]
    return data


def test_stealth_plain_and_gzip() -> None:
    text = "a lighthouse\nNegative prompt: fog\nSteps: 12, Sampler: Euler, CFG scale: 6, Seed: 5, Size: 32x32"
    for compressed in (False, True):
        rec = read(_stealth_png(text, compressed=compressed)).record
        assert (rec.tool, rec.prompt, rec.negative_prompt, rec.seed) == ("a1111", "a lighthouse", "fog", 5)
        assert rec.extra["stealth"] == "alpha"


def test_stealth_is_not_decoded_when_other_metadata_exists() -> None:
    text = "hidden\nSteps: 12, Sampler: Euler, CFG scale: 6, Seed: 5, Size: 32x32"
    rec = read(_stealth_png(text, compressed=True, extra_chunk=text_chunk("Comment", "visible"))).record
    assert rec.tool == "unknown"
    assert "stealth" not in rec.extra


def test_stealth_novelai_json() -> None:
    inner = json.dumps({"prompt": "a fox", "uc": "bad", "seed": 11, "steps": 28, "scale": 5})
    text = json.dumps({"Software": "NovelAI", "Source": "NovelAI Diffusion V3", "Comment": inner})
    rec = read(_stealth_png(text, compressed=True, size=(48, 48))).record
    assert (rec.tool, rec.prompt, rec.seed) == ("novelai", "a fox", 11)


def _cbor_text(value: str) -> bytes:
    return cbor_key(value)


def test_c2pa_day_only_when_without_signature_combines_with_mtime() -> None:
    store = (
        b"jumbjumdc2pa\0jumdc2ma"
        + cbor_key("claim_generator_info")
        + b"\xa1"
        + cbor_key("name")
        + _cbor_text("OpenAI Media Service API")
        + cbor_key("action")
        + _cbor_text("c2pa.created")
        + cbor_key("when")
        + _cbor_text("2025-06-30T00:00:00Z")
    )
    rec = read(build_png(png_chunk(b"caBX", store))).record
    assert rec.tool == "chatgpt"
    assert rec.created_at == MTIME
    assert rec.created_at_source == "metadata:c2pa.actions.when+file:mtime"


def test_unknown_keeps_exif_and_xmp_in_extra() -> None:
    blob = tiff_user_comment(b"ASCII\0\0\0just a note")
    xmp = (
        b'http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><rdf:Description xmp:CreatorTool="Lightroom"/></x:xmpmeta>'
    )
    rec = read(
        build_jpeg(
            jpeg_segment(0xE1, b"Exif\0\0" + blob), jpeg_segment(0xE1, xmp), jpeg_segment(0xFE, b"hello")
        ),
        "x.jpg",
    ).record
    assert rec.tool == "unknown"
    assert rec.extra["exif"]["UserComment"] == "just a note"
    assert "Lightroom" in rec.extra["xmp"]
    assert rec.extra["comments"] == ["hello"]


def test_exif_date_time_original_with_offset_used_for_unknown_jpeg() -> None:
    import struct

    dto = b"2024:07:01 09:30:00\0"
    offset = b"+09:00\0"
    header = b"II*\x00\x08\x00\x00\x00"
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x8769, 4, 1, 26) + struct.pack("<I", 0)
    values_at = 26 + 2 + 2 * 12 + 4
    exif_ifd = (
        struct.pack("<H", 2)
        + struct.pack("<HHII", 0x9003, 2, len(dto), values_at)
        + struct.pack("<HHII", 0x9011, 2, len(offset), values_at + len(dto))
        + struct.pack("<I", 0)
    )
    rec = read(
        build_jpeg(jpeg_segment(0xE1, b"Exif\0\0" + header + ifd0 + exif_ifd + dto + offset)), "x.jpg"
    ).record
    assert rec.created_at == datetime(2024, 7, 1, 9, 30, tzinfo=timezone(timedelta(hours=9)))
    assert rec.created_at_source == "exif:DateTimeOriginal"


def test_easy_diffusion_chunks_and_json() -> None:
    data = build_png(
        text_chunk("prompt", "a red fox in snow"),
        text_chunk("negative_prompt", "blurry"),
        text_chunk("seed", "1234"),
        text_chunk("use_stable_diffusion_model", "C:\\models\\sd\\dreamshaper_8.safetensors"),
        text_chunk("sampler_name", "euler_a"),
        text_chunk("num_inference_steps", "25"),
        text_chunk("guidance_scale", "7.5"),
        text_chunk("width", "512"),
        text_chunk("height", "768"),
    )
    rec = read(data).record
    assert (rec.tool, rec.prompt, rec.negative_prompt, rec.seed) == (
        "easydiffusion",
        "a red fox in snow",
        "blurry",
        1234,
    )
    assert (rec.model, rec.steps, rec.cfg_scale, rec.width, rec.height) == (
        "dreamshaper_8.safetensors",
        25,
        7.5,
        512,
        768,
    )
    doc = {"Prompt": "a fox", "Seed": 5, "Stable Diffusion model": "sd/x.ckpt", "Steps": 20}
    rec = read(
        build_jpeg(jpeg_segment(0xE1, b"Exif\0\0" + tiff_user_comment(json.dumps(doc).encode()))), "x.jpg"
    ).record
    assert (rec.tool, rec.prompt, rec.seed, rec.model, rec.steps) == (
        "easydiffusion",
        "a fox",
        5,
        "x.ckpt",
        20,
    )


def test_plain_text_prompt_chunk_is_not_a_comfyui_graph() -> None:
    rec = read(build_png(text_chunk("prompt", "just words"))).record
    assert rec.tool == "unknown"
    assert rec.extra["texts"] == {"prompt": "just words"}


def test_editor_resave_keeps_generation_metadata_and_ignores_edit_times() -> None:
    import struct

    infotext = (
        "a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512"
    )
    time_chunk = png_chunk(b"tIME", struct.pack(">HBBBBB", 2026, 1, 22, 10, 35, 29))
    gimp = read(
        build_png(text_chunk("parameters", infotext), time_chunk, text_chunk("Comment", "Created with GIMP"))
    )
    assert (gimp.record.tool, gimp.record.seed, gimp.edited) == ("a1111", 42, True)
    assert gimp.record.extra["editor"] == "GIMP"
    assert gimp.record.created_at_source == "file:mtime"
    magick = read(
        build_png(
            text_chunk("parameters", infotext),
            after_idat=text_chunk("date:create", "2020-06-07T05:22:52-07:00"),
        )
    )
    assert (magick.record.tool, magick.edited, magick.record.extra["editor"]) == (
        "a1111",
        True,
        "ImageMagick",
    )
    assert magick.record.created_at_source == "file:mtime"


def test_photoshop_jpeg_keeps_user_comment_and_ignores_exif_datetime() -> None:
    import struct

    comment = (
        b"UNICODE\0"
        + "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512".encode("utf-16-be")
    )
    software = b"Adobe Photoshop 25.0 (Windows)\0"
    stamp = b"2026:01:22 19:41:17\0"
    header = b"MM\x00*\x00\x00\x00\x08"
    count = 3
    values_at = 8 + 2 + 12 * count + 4
    exif_at = values_at + len(software) + len(stamp)
    ifd0 = (
        struct.pack(">H", count)
        + struct.pack(">HHII", 0x0131, 2, len(software), values_at)
        + struct.pack(">HHII", 0x0132, 2, len(stamp), values_at + len(software))
        + struct.pack(">HHII", 0x8769, 4, 1, exif_at)
        + struct.pack(">I", 0)
    )
    exif_ifd = (
        struct.pack(">H", 1)
        + struct.pack(">HHII", 0x9286, 7, len(comment), exif_at + 18)
        + struct.pack(">I", 0)
    )
    blob = header + ifd0 + software + stamp + exif_ifd + comment
    result = read(build_jpeg(jpeg_segment(0xE1, b"Exif\0\0" + blob)), "x.jpg")
    assert (result.record.tool, result.record.seed, result.edited) == ("a1111", 42, True)
    assert result.record.extra["editor"] == "Photoshop"
    assert result.record.created_at_source == "file:mtime"
