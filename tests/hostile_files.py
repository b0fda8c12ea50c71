"""Hostile files for import tests, generated in code (nothing binary is committed).

Every builder returns the bytes of one file; :func:`write_hostile_folder` fills a folder with many of
them (and with special files) and returns what an import must say about each entry.
"""

from __future__ import annotations

import io
import json
import os
import random
import socket
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

BROKEN_EXIF = b"Exif\0\0II*\0"
"""An EXIF block that is only the TIFF byte-order mark and magic: Pillow's parser raises struct.error."""


def png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def image_bytes(
    image_format: str = "PNG", *, size: tuple[int, int] = (48, 32), seed: int = 0, text: str | None = None
) -> bytes:
    """A small valid image with distinct pixels per ``seed`` (so each file has its own content)."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    image.putpixel((0, 0), (seed % 256, (seed // 256) % 256, 7))
    buffer = io.BytesIO()
    if image_format == "PNG" and text is not None:
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text("parameters", text)
        image.save(buffer, "PNG", pnginfo=info)
    else:
        image.save(buffer, image_format)
    return buffer.getvalue()


def comfyui_png(prompt: str) -> bytes:
    """A small PNG whose ComfyUI ``prompt`` graph (sampler, checkpoint, both encoders, a SaveImage)
    holds ``prompt`` as its positive text, inserted as JSON text: ``"moon \\ud800 fox"`` gives a lone
    surrogate escape, valid JSON that decodes to no character."""
    from PIL.PngImagePlugin import PngInfo

    sampler = {"seed": 5, "steps": 20, "cfg": 7, "sampler_name": "euler", "scheduler": "normal"}
    graph = {
        "3": {
            "class_type": "KSampler",
            "inputs": sampler | {"model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0]},
        },
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd15.safetensors"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "PROMPT", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
        "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "ComfyUI"}},
    }
    info = PngInfo()
    info.add_text("prompt", json.dumps(graph).replace("PROMPT", prompt))
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def huge_ihdr_png() -> bytes:
    """A PNG whose IHDR declares 0xFFFFFFFF × 0xFFFFFFFF pixels."""
    header = struct.pack(">IIBBBBB", 0xFFFFFFFF, 0xFFFFFFFF, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + png_chunk(b"IEND", b"")
    )


def bomb_png(side_px: int = 15_000) -> bytes:
    """A valid-looking PNG header declaring ``side_px``² pixels (a decompression bomb's header):
    legal for the format, so the metadata imports, but no thumbnail may decode it."""
    header = struct.pack(">IIBBBBB", side_px, side_px, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + png_chunk(b"IEND", b"")
    )


def broken_exif_jpeg(seed: int = 0) -> bytes:
    """A JPEG whose APP1 is only ``Exif\\0\\0II*\\0``."""
    data = image_bytes("JPEG", seed=seed)
    segment = b"\xff\xe1" + struct.pack(">H", len(BROKEN_EXIF) + 2) + BROKEN_EXIF
    return data[:2] + segment + data[2:]


def broken_exif_png(seed: int = 0) -> bytes:
    """A PNG with an ``eXIf`` chunk holding only ``II*\\0``."""
    data = image_bytes("PNG", seed=seed)
    return data[:33] + png_chunk(b"eXIf", BROKEN_EXIF[6:]) + data[33:]


def broken_exif_webp(seed: int = 0) -> bytes:
    image = Image.new("RGB", (40, 30), (seed % 256, 90, 30))
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", exif=BROKEN_EXIF)
    return buffer.getvalue()


def deep_json_line(depth: int = 10_000) -> bytes:
    return b'{"a":' * depth + b"\n"


def record_line(record_id: str, minute: int) -> bytes:
    document = {"id": record_id, "tool": "comfyui", "created_at": f"2026-03-01T10:{minute:02d}:00+00:00"}
    return json.dumps(document).encode() + b"\n"


@dataclass(frozen=True)
class HostileFolder:
    expected: dict[str, str]
    """Path (as the import reports it) → the outcome it must have."""
    good_images: list[Path]
    """Valid images with distinct content: each must be imported."""


def write_hostile_folder(folder: Path, *, per_kind: int = 12) -> HostileFolder:
    """≥ 200 entries: corrupt, truncated, oversized-header, zero-byte, random-bytes, wrong-extension,
    broken-EXIF, deeply nested JSON, special files (FIFO, socket), a dangling symlink and a symlink
    loop, and good files among them (some in nested folders). Sockets are left bound: the caller
    closes the returned sockets via :func:`close_sockets` (the socket file stays)."""
    rng = random.Random(1234)
    expected: dict[str, str] = {}
    good: list[Path] = []
    nested = folder / "nested" / "deeper"
    nested.mkdir(parents=True)

    def put(name: str, data: bytes, outcome: str, where: Path = folder) -> Path:
        path = where / name
        path.write_bytes(data)
        expected[str(path)] = outcome
        return path

    seed = 0
    for index in range(per_kind):
        seed += 1
        good.append(put(f"good_{index:03}.png", image_bytes("PNG", seed=seed), "imported"))
        seed += 1
        good.append(put(f"good_{index:03}.jpg", image_bytes("JPEG", seed=seed), "imported", nested))
        seed += 1
        good.append(put(f"good_{index:03}.webp", image_bytes("WEBP", seed=seed), "imported"))
        seed += 1
        # broken EXIF: metadata readable, picture decodable: imported (a thumbnail warning at most)
        good.append(put(f"exif_{index:03}.jpg", broken_exif_jpeg(seed), "imported"))
        seed += 1
        good.append(put(f"exif_{index:03}.png", broken_exif_png(seed), "imported", nested))
        seed += 1
        # a PNG named .jpeg: the reader sniffs the real format
        good.append(put(f"misnamed_{index:03}.jpeg", image_bytes("PNG", seed=seed), "imported"))
        whole = image_bytes("PNG", seed=10_000 + index)
        put(f"truncated_{index:03}.png", whole[: 20 + index % 12], "problem")  # inside the IHDR
        # the header is whole, the pixels are cut: the metadata imports, the thumbnail cannot be made
        put(f"cut_{index:03}.png", whole[: len(whole) // 2], "imported")
        put(f"zero_{index:03}.png", b"", "problem")
        put(f"zero_{index:03}.webp", b"", "problem")
        put(f"random_{index:03}.jpg", rng.randbytes(64 + index * 13), "problem", nested)
        put(f"huge_{index:03}.png", huge_ihdr_png() + bytes([index]), "problem")
        put(f"text_{index:03}.png", f"not an image {index}".encode(), "problem")
        put(f"deep_{index:03}.jsonl", deep_json_line(2_000 + index * 500), "problem")
        put(f"notes_{index:03}.txt", b"hello", "ignored")
    put("empty.jsonl", b"", "ignored")
    put("bomb.png", bomb_png(), "imported")
    put("records.jsonl", record_line("hostile-a", 1) + record_line("hostile-b", 2), "imported")
    put("mixed.jsonl", record_line("hostile-c", 3) + b"{broken\n" + deep_json_line(), "problem")
    put(".hidden.png", image_bytes("PNG", seed=99_999), "ignored")
    hidden_folder = folder / ".cache"
    hidden_folder.mkdir()
    (hidden_folder / "inside.png").write_bytes(image_bytes("PNG", seed=99_998))
    expected[str(hidden_folder)] = "ignored"
    for index in range(3):
        fifo = folder / f"pipe_{index}.png"
        os.mkfifo(fifo)
        expected[str(fifo)] = "ignored"
    dangling = folder / "dangling.png"
    dangling.symlink_to(folder / "does-not-exist.png")
    expected[str(dangling)] = "problem"
    loop_a, loop_b = folder / "loop_a.png", folder / "loop_b.png"
    loop_a.symlink_to(loop_b)
    loop_b.symlink_to(loop_a)
    expected[str(loop_a)] = expected[str(loop_b)] = "problem"
    folder_link = folder / "link_to_nested"
    folder_link.symlink_to(folder / "nested")
    expected[str(folder_link)] = "ignored"
    return HostileFolder(expected, good)


def bind_socket(path: Path) -> socket.socket:
    """A Unix socket file at ``path`` (keep the returned socket open while the import runs)."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    return server
