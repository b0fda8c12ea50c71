"""ComfyUI API-format graphs for reader tests: nodes, a plain sampled graph, and reading one as the
PNG ComfyUI's SaveImage writes (a ``prompt`` text chunk)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from metadata_png_builder import build_png, text_chunk

from engine.metadata import read_image_bytes
from engine.records import GenerationRecord

Graph = dict[str, dict[str, Any]]
MTIME = datetime(2026, 1, 3, tzinfo=UTC)


def node(class_type: str, **inputs: Any) -> dict[str, Any]:
    return {"class_type": class_type, "inputs": inputs}


def read(graph: Graph, file_name: str = "ComfyUI_00001_.png") -> GenerationRecord:
    data = build_png(text_chunk("prompt", json.dumps(graph)))
    return read_image_bytes(data, file_name=file_name, mtime=MTIME).record


def sampled(latent: list[Any] | None = None, **overrides: Any) -> Graph:
    """Checkpoint ``4``, encoders ``6``/``7``, a 1024 × 1024 latent ``5``, KSampler ``3`` on ``latent``
    (default ``5``; its inputs overridable, ``model`` included), decode ``8`` and save ``9``."""
    sampler = {
        "seed": 11,
        "steps": 20,
        "cfg": 6.0,
        "sampler_name": "euler",
        "scheduler": "normal",
        "denoise": 1.0,
        "model": ["4", 0],
        "positive": ["6", 0],
        "negative": ["7", 0],
        "latent_image": latent or ["5", 0],
    }
    return {
        "4": node("CheckpointLoaderSimple", ckpt_name="sd_xl_base_1.0.safetensors"),
        "6": node("CLIPTextEncode", text="a lighthouse at dusk", clip=["4", 1]),
        "7": node("CLIPTextEncode", text="blurry", clip=["4", 1]),
        "5": node("EmptyLatentImage", width=1024, height=1024, batch_size=1),
        "3": node("KSampler", **(sampler | overrides)),
        "8": node("VAEDecode", samples=["3", 0], vae=["4", 2]),
        "9": node("SaveImage", filename_prefix="ComfyUI", images=["8", 0]),
    }
