"""A large generated library of real-format image files for the import benchmark.

The demo library's plan (``catalog.demo_library``: four evenings of ComfyUI and A1111 sessions with
real metadata) is repeated week after week until ``file_count`` files exist. Every copy shifts the
times by whole weeks and the seeds by the week number, so every file has distinct bytes (the catalog
keys files by content hash) and the sessions keep a realistic shape for the re-clustering step.

Formats: PNG with the tools' real text chunks (ComfyUI ``prompt``/``workflow`` API and UI graphs,
A1111 ``parameters``), and one A1111 image in ``JPEG_EVERY`` as a JPEG and one in ``WEBP_EVERY`` as a
WEBP with the infotext in EXIF ``UserComment`` (``UNICODE\\0`` + UTF-16, as Civitai writes it).
Pixels are an 8x8 square of one colour per file (batch members share their metadata, the colour
keeps their bytes apart): the metadata path never decodes them, so their size does not matter here.
Each file's mtime is its planned generation time (A1111 writes no time into files).
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from catalog.demo_library import A1111, COMFYUI, DemoImage, a1111_infotext, plan_demo_library
from catalog.demo_library import _comfy_pnginfo as comfy_pnginfo  # the demo's real ComfyUI chunks

JPEG_EVERY = 9
WEBP_EVERY = 13
PIXELS_PX = 8
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class GeneratedLibrary:
    root: Path
    paths: tuple[Path, ...]
    bytes_total: int
    formats: dict[str, int]


def write_import_library(root: Path, file_count: int) -> GeneratedLibrary:
    """Write ``file_count`` files under ``root`` (which should be empty) and return their paths."""
    templates = plan_demo_library(root).images
    ihdr = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", PIXELS_PX, PIXELS_PX, 8, 2, 0, 0, 0))
    iend = _png_chunk(b"IEND", b"")
    paths: list[Path] = []
    formats = {"png": 0, "jpeg": 0, "webp": 0}
    total = 0
    comfy_counter = 0
    a1111_counter = 0
    week = 0
    while len(paths) < file_count:
        folder = root / f"week-{week:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        for template in templates:
            if len(paths) >= file_count:
                break
            image = _shifted(template, week)
            if image.tool == COMFYUI:
                comfy_counter += 1
                name = f"ComfyUI_{comfy_counter:05d}_.png"
                data = _png_bytes(ihdr, _idat(len(paths)), iend, comfy_pnginfo(image))
                kind = "png"
            else:
                a1111_counter += 1
                stem = f"{a1111_counter:05d}-{image.seed}"
                if a1111_counter % JPEG_EVERY == 0:
                    name, data, kind = stem + ".jpg", _exif_image(image, "JPEG", len(paths)), "jpeg"
                elif a1111_counter % WEBP_EVERY == 0:
                    name, data, kind = stem + ".webp", _exif_image(image, "WEBP", len(paths)), "webp"
                else:
                    info = PngInfo()
                    info.add_text("parameters", a1111_infotext(image))
                    name, data, kind = stem + ".png", _png_bytes(ihdr, _idat(len(paths)), iend, info), "png"
            path = folder / name
            path.write_bytes(data)
            stamp = (image.created_at - _EPOCH) // timedelta(microseconds=1) * 1000
            os.utime(path, ns=(stamp, stamp))
            paths.append(path)
            formats[kind] += 1
            total += len(data)
        week += 1
    return GeneratedLibrary(root=root, paths=tuple(paths), bytes_total=total, formats=formats)


def _shifted(template: DemoImage, week: int) -> DemoImage:
    seed = template.seed + week if template.seed is not None else None
    if template.tool == A1111 and seed is not None:
        seed %= 2**32
    return replace(template, created_at=template.created_at + timedelta(weeks=week), seed=seed)


def _colour(index: int) -> tuple[int, int, int]:
    """A colour per file: batch members share their metadata, so the pixels keep their bytes apart."""
    return (index >> 16) & 0xFF, (index >> 8) & 0xFF, index & 0xFF


def _idat(index: int) -> bytes:
    row = b"\x00" + bytes(_colour(index)) * PIXELS_PX
    return _png_chunk(b"IDAT", zlib.compress(row * PIXELS_PX))


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_bytes(ihdr: bytes, idat: bytes, iend: bytes, info: PngInfo) -> bytes:
    text = b"".join(_png_chunk(kind, body) for kind, body, *_ in info.chunks)
    return _PNG_SIGNATURE + ihdr + text + idat + iend


def _exif_image(image: DemoImage, image_format: str, index: int) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + a1111_infotext(image).encode("utf-16-be")
    buffer = io.BytesIO()
    Image.new("RGB", (PIXELS_PX, PIXELS_PX), _colour(index)).save(buffer, format=image_format, exif=exif)
    return buffer.getvalue()
