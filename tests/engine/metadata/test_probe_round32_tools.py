"""Round-32 probe shapes (/tmp/probe62): SwarmUI and InvokeAI shapes of 2025-26, from their source:

- SwarmUI's stealth metadata (``src/Utils/MetadataHelper.cs`` ``EncodeStealthMetadata``, called by
  ``src/Media/ImageFile.cs`` ``ConvertTo`` when the user setting is ``alpha`` or ``rgb``): the same
  ``sui_image_params`` JSON as the ``parameters`` chunk, gzip'd behind ``stealth_pngcomp`` (alpha LSBs) or
  ``stealth_rgbcomp`` (R/G/B LSBs), a 32-bit bit-length, pixels visited column by column. A file whose
  chunks were stripped keeps only that copy;
- InvokeAI 5.x/6.x canvas edits (``addImageToImage.ts`` / ``addInpaint.ts``): ``generation_mode``
  ``sdxl_img2img`` etc., no ``strength`` in ``invokeai_metadata``; the ``invokeai_graph`` chunk's denoise
  node carries ``denoising_start`` (``getDenoisingStartAndEnd``: ``1 - img2imgStrength`` for SDXL
  without a refiner).
"""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
from metadata_png_builder import build_png, text_chunk
from PIL import Image

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord, LoraRef

MTIME = datetime(2025, 12, 20, 23, 40, tzinfo=UTC)

SWARM = {
    "sui_image_params": {
        "prompt": "cyberpunk alley, neon rain, reflections, 35mm",
        "negativeprompt": "blurry",
        "images": 1,
        "seed": 5550001,
        "steps": 24,
        "cfgscale": 4.0,
        "width": 1024,
        "height": 1024,
        "sampler": "dpmpp_2m",
        "scheduler": "sgm_uniform",
        "model": "SDXL/illustriousXL_v20",
        "loras": ["sdxl/neon_glow"],
        "loraweights": ["0.7"],
        "swarm_version": "0.9.7.2",
    },
    "sui_extra_data": {"date": "2025-12-20", "prep_time": "0.33 sec", "generation_time": "5.41 sec"},
}


def _read(data: bytes, name: str) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


def _swarm_stealth_png(document: dict[str, Any], mode: str, size: int = 96) -> bytes:
    """An RGBA PNG with no text chunk whose pixels hold Swarm's stealth copy (``PrepareData`` compressed:
    magic, 32-bit bit-length, gzip payload; ``EmbedAlpha`` / ``EmbedRgb``: x outer, y inner)."""
    magic = b"stealth_pngcomp" if mode == "alpha" else b"stealth_rgbcomp"
    payload = gzip.compress(json.dumps(document, indent=2).encode("utf-8"))
    body = "".join(f"{byte:08b}" for byte in payload)
    bits = "".join(f"{byte:08b}" for byte in magic) + f"{len(body):032b}" + body
    values = np.frombuffer(bits.encode(), dtype=np.uint8) - ord("0")
    pixels = np.full((size, size, 4), 200, dtype=np.uint8)
    pixels[..., 3] = 255
    column_major = pixels.transpose(1, 0, 2).reshape(-1, 4).copy()
    if mode == "alpha":
        column_major[: len(values), 3] = (column_major[: len(values), 3] & 0xFE) | values
    else:
        lanes = column_major[:, :3].reshape(-1)
        lanes[: len(values)] = (lanes[: len(values)] & 0xFE) | values
        column_major[:, :3] = lanes.reshape(-1, 3)
    image = Image.fromarray(
        np.ascontiguousarray(column_major.reshape(size, size, 4).transpose(1, 0, 2)), "RGBA"
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _assert_swarm(rec: GenerationRecord) -> None:
    assert rec.tool == "swarmui"
    assert (rec.prompt, rec.negative_prompt) == ("cyberpunk alley, neon rain, reflections, 35mm", "blurry")
    assert (rec.seed, rec.steps, rec.cfg_scale, rec.sampler) == (5550001, 24, 4.0, "dpmpp_2m")
    assert (rec.model, rec.width, rec.height) == ("SDXL/illustriousXL_v20", 1024, 1024)
    assert rec.loras == (LoraRef("sdxl/neon_glow", 0.7),)
    assert rec.created_at_source is not None and rec.created_at_source.startswith(
        "metadata:sui_extra_data.date"
    )


def test_swarm_stealth_alpha_copy_without_text_chunk_reads_as_swarm() -> None:
    rec = _read(_swarm_stealth_png(SWARM, "alpha"), "swarm_alpha_stripped.png")
    _assert_swarm(rec)
    assert rec.extra["stealth"] == "alpha"


def test_swarm_stealth_rgb_copy_without_text_chunk_reads_as_swarm() -> None:
    rec = _read(_swarm_stealth_png(SWARM, "rgb"), "swarm_rgb_stripped.png")
    _assert_swarm(rec)
    assert rec.extra["stealth"] == "rgb"


SDXL_MODEL = {
    "key": "7b8c9d0e",
    "hash": "blake3:7b8c",
    "name": "juggernautXL_v9",
    "base": "sdxl",
    "type": "main",
}


def _invoke_meta(mode: str, **extra: Any) -> dict[str, Any]:
    return {
        "generation_mode": mode,
        "cfg_scale": 5.5,
        "negative_prompt": "cartoon, drawing",
        "model": SDXL_MODEL,
        "steps": 32,
        "scheduler": "dpmpp_2m_k",
        "seed": 42424242,
        "positive_prompt": "the same room repainted in deep green, brass fittings",
        "app_version": "6.9.0",
        **extra,
    }


def _invoke_graph(*denoise_nodes: dict[str, Any]) -> dict[str, Any]:
    nodes: dict[str, Any] = {
        "sdxl_model_loader:r1": {
            "id": "sdxl_model_loader:r1",
            "type": "sdxl_model_loader",
            "model": SDXL_MODEL,
        },
        "i2l:r8": {"id": "i2l:r8", "type": "i2l", "image": {"image_name": "f0e1d2c3.png"}},
    }
    for index, fields in enumerate(denoise_nodes):
        node_id = f"denoise_latents:d{index}"
        nodes[node_id] = {"id": node_id, "type": "denoise_latents", "cfg_scale": 5.5, "steps": 32, **fields}
    return {"id": "sdxl_graph:Zz9", "nodes": nodes, "edges": []}


def _invoke_png(meta: dict[str, Any], graph: dict[str, Any] | None) -> bytes:
    chunks = [text_chunk("invokeai_metadata", json.dumps(meta, separators=(",", ":")))]
    if graph is not None:
        chunks.append(text_chunk("invokeai_graph", json.dumps(graph, separators=(",", ":"))))
    return build_png(*chunks, width=8, height=8)


def test_invokeai_canvas_img2img_denoise_is_read_from_the_graph() -> None:
    png = _invoke_png(
        _invoke_meta("sdxl_img2img"), _invoke_graph({"denoising_start": 1 - 0.65, "denoising_end": 1})
    )
    rec = _read(png, "9f8e7d6c-5b4a-4392-8a1b-0c9d8e7f6a5b.png")
    assert rec.tool == "invokeai"
    assert (rec.seed, rec.steps, rec.cfg_scale, rec.sampler) == (42424242, 32, 5.5, "dpmpp_2m_k")
    assert rec.denoise == 0.65


def test_invokeai_canvas_inpaint_denoise_is_read_from_the_graph() -> None:
    png = _invoke_png(
        _invoke_meta("flux_inpaint"), _invoke_graph({"denoising_start": 0.3, "denoising_end": 1})
    )
    assert _read(png, "inpaint.png").denoise == 0.7


def test_invokeai_graph_denoise_only_for_edits_with_one_denoise_node() -> None:
    txt2img = _invoke_png(
        _invoke_meta("sdxl_txt2img"), _invoke_graph({"denoising_start": 0, "denoising_end": 1})
    )
    assert _read(txt2img, "t2i.png").denoise is None
    refiner = _invoke_png(
        _invoke_meta("sdxl_img2img"),
        _invoke_graph(
            {"denoising_start": 0.35, "denoising_end": 0.8}, {"denoising_start": 0.8, "denoising_end": 1}
        ),
    )
    assert _read(refiner, "refiner.png").denoise is None
    assert _read(_invoke_png(_invoke_meta("sdxl_img2img"), None), "nograph.png").denoise is None


def test_invokeai_metadata_strength_wins_over_the_graph() -> None:
    png = _invoke_png(_invoke_meta("img2img", strength=0.4), _invoke_graph({"denoising_start": 0.9}))
    assert _read(png, "old.png").denoise == 0.4
