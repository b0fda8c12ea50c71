"""Stealth metadata beyond the alpha-mode PNG: RGB mode, lossless WEBP, and what is never decoded.

The files are real images written with Pillow (or, for PNG filter coverage, an encoder written here
and checked against Pillow); the hidden bits follow ``ashen-sensored/sd_webui_stealth_pnginfo``:
pixels walked column by column (x outer, y inner), one bit per pixel from the alpha LSB (alpha mode)
or three from the R, G, B LSBs in that order (RGB mode): 15 bytes of magic, a 32-bit big-endian
payload length in bits, the payload (gzip for the ``…comp`` magics).
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from metadata_png_builder import text_chunk
from PIL import Image

from engine.metadata import ImageReadResult, read_image_bytes

MTIME = datetime(2025, 6, 30, 18, 0, 0, tzinfo=UTC)
INFOTEXT = (
    "a lighthouse at dusk\nNegative prompt: fog\n"
    "Steps: 12, Sampler: Euler a, CFG scale: 6, Seed: 5, Size: 64x48, Model: dreamshaper_8"
)
MAGICS = {
    ("alpha", False): b"stealth_pnginfo",
    ("alpha", True): b"stealth_pngcomp",
    ("rgb", False): b"stealth_rgbinfo",
    ("rgb", True): b"stealth_rgbcomp",
}


def read(data: bytes, name: str = "x.png") -> ImageReadResult:
    return read_image_bytes(data, file_name=name, mtime=MTIME)


def stealth_pixels(
    text: str, *, mode: str, compressed: bool, size: tuple[int, int] = (48, 64), channels: int = 3
) -> np.ndarray:
    """``height x width x channels`` noisy pixels carrying ``text`` in their LSBs (``mode`` = alpha|rgb)."""
    payload = gzip.compress(text.encode()) if compressed else text.encode()
    header = np.unpackbits(np.frombuffer(MAGICS[mode, compressed], dtype=np.uint8))
    length = np.unpackbits(np.frombuffer(struct.pack(">I", len(payload) * 8), dtype=np.uint8))
    bits = np.concatenate([header, length, np.unpackbits(np.frombuffer(payload, dtype=np.uint8))])
    width, height = size
    rng = np.random.default_rng(len(text) + width)
    pixels = rng.integers(0, 256, size=(height, width, channels), dtype=np.uint8)
    if channels == 4:
        pixels[..., 3] = 254 | (pixels[..., 3] & 1)
    column_major = pixels.transpose(1, 0, 2).copy()  # x outer, y inner
    if mode == "alpha":
        lane = column_major[..., 3].reshape(-1)
        lane[: bits.size] = (lane[: bits.size] & 0xFE) | bits
        column_major[..., 3] = lane.reshape(width, height)
    else:
        lane = column_major[..., :3].reshape(-1)
        assert bits.size <= lane.size
        lane[: bits.size] = (lane[: bits.size] & 0xFE) | bits
        column_major[..., :3] = lane.reshape(width, height, 3)
    return column_major.transpose(1, 0, 2).copy()


def save(pixels: np.ndarray, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels, "RGBA" if pixels.shape[2] == 4 else "RGB").save(out, format=fmt, **options)
    return out.getvalue()


# -- RGB mode (stealth_rgbinfo / stealth_rgbcomp) -------------------------------------------------------


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("channels", [3, 4])
def test_stealth_rgb_mode_png_is_read(compressed: bool, channels: int) -> None:
    pixels = stealth_pixels(INFOTEXT, mode="rgb", compressed=compressed, channels=channels)
    rec = read(save(pixels, "PNG")).record
    assert (rec.tool, rec.prompt, rec.negative_prompt) == ("a1111", "a lighthouse at dusk", "fog")
    assert (rec.seed, rec.model) == (5, "dreamshaper_8")
    assert rec.extra["stealth"] == "rgb"


def test_stealth_rgb_magic_spanning_columns_in_a_short_image() -> None:
    # 16 rows: the 40 magic pixels fill column 0 and 1 and part of column 2
    pixels = stealth_pixels(INFOTEXT, mode="rgb", compressed=True, size=(96, 16))
    rec = read(save(pixels, "PNG")).record
    assert (rec.tool, rec.seed, rec.extra["stealth"]) == ("a1111", 5, "rgb")


def _filtered_png(pixels: np.ndarray, *, depth: int = 8) -> bytes:
    """A PNG whose rows cycle through all five filter types (Pillow's encoder picks one for all)."""
    height, width, channels = pixels.shape
    samples = pixels.astype(">u2") * 257 if depth == 16 else pixels
    bpp = channels * depth // 8
    stream = bytearray()
    prev = bytes(width * bpp)
    for y in range(height):
        line = samples[y].tobytes()
        ftype = y % 5
        out = bytearray(len(line))
        for i, value in enumerate(line):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 0:
                pred = 0
            elif ftype == 1:
                pred = a
            elif ftype == 2:
                pred = b
            elif ftype == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
            out[i] = (value - pred) & 0xFF
        stream += bytes([ftype]) + out
        prev = line

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    colour_type = {3: 2, 4: 6}[channels]
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    compressed = zlib.compress(bytes(stream))
    half = len(compressed) // 2  # two IDAT chunks: the stream is read across chunk boundaries
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", compressed[:half])
        + chunk(b"IDAT", compressed[half:])
        + chunk(b"IEND", b"")
    )
    decoded = np.asarray(Image.open(io.BytesIO(data)))
    assert np.array_equal(decoded, pixels), "the test encoder must agree with Pillow"
    return data


@pytest.mark.parametrize(("mode", "channels", "depth"), [("rgb", 3, 8), ("rgb", 4, 16), ("alpha", 4, 8)])
def test_stealth_png_with_every_filter_type(mode: str, channels: int, depth: int) -> None:
    pixels = stealth_pixels(INFOTEXT, mode=mode, compressed=True, size=(40, 130), channels=channels)
    rec = read(_filtered_png(pixels, depth=depth)).record
    assert (rec.tool, rec.seed, rec.extra["stealth"]) == ("a1111", 5, mode)


def test_stealth_rgb_is_not_read_when_other_metadata_exists(image_opens: list[str]) -> None:
    pixels = stealth_pixels(INFOTEXT, mode="rgb", compressed=True)
    data = save(pixels, "PNG")
    data = data[:33] + text_chunk("Comment", "visible") + data[33:]
    rec = read(data).record
    assert rec.tool == "unknown"
    assert "stealth" not in rec.extra
    assert image_opens == []


def test_png_without_magic_is_never_decoded_whole(image_opens: list[str]) -> None:
    rng = np.random.default_rng(3)
    for channels in (3, 4):
        pixels = rng.integers(0, 256, size=(300, 200, channels), dtype=np.uint8)
        rec = read(save(pixels, "PNG")).record
        assert rec.tool == "unknown"
        assert "stealth" not in rec.extra
        assert "metadata_errors" not in rec.extra
    assert image_opens == []  # only the leading rows of column 0 were inflated
    # only the magic-carrying file is decoded, once
    read(save(stealth_pixels(INFOTEXT, mode="rgb", compressed=False), "PNG"))
    assert image_opens == ["open"]


def test_large_rgb_png_without_magic_reads_only_its_leading_rows() -> None:
    # 6000 x 6000 exceeds the stealth pixel cap: only the magic (first rows of column 0) is looked at,
    # silently; a truncated image stream after those rows is not noticed either
    width, height = 6000, 6000
    row = b"\0" + bytes(width * 3)
    stream = zlib.compress(row * 200)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", stream)
        + chunk(b"IEND", b"")
    )
    rec = read(data).record
    assert rec.tool == "unknown"
    assert "metadata_errors" not in rec.extra


def test_rgb_magic_in_an_image_over_the_pixel_cap_is_noted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("engine.metadata.stealth.MAX_STEALTH_PIXELS", 1000)
    pixels = stealth_pixels(INFOTEXT, mode="rgb", compressed=True)
    rec = read(save(pixels, "PNG")).record
    assert rec.tool == "unknown"
    assert any("too large" in message for message in rec.extra["metadata_errors"])


# -- lossless WEBP ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("compressed", [False, True])
def test_stealth_alpha_in_lossless_webp(compressed: bool) -> None:
    pixels = stealth_pixels(INFOTEXT, mode="alpha", compressed=compressed, channels=4)
    data = save(pixels, "WEBP", lossless=True, exact=True)
    assert data[12:16] == b"VP8L"
    rec = read(data, "00907-55443323.webp").record
    assert (rec.tool, rec.prompt, rec.seed) == ("a1111", "a lighthouse at dusk", 5)
    assert rec.extra["stealth"] == "alpha"


def _as_extended_webp(simple: bytes, *, flags: int, canvas: tuple[int, int] | None = None) -> bytes:
    """The same VP8L bitstream behind a VP8X header (the extended layout) with the given flags
    (and canvas size: by default the bitstream's own)."""
    assert simple[12:16] == b"VP8L"
    bits = int.from_bytes(simple[21:25], "little")
    width, height = canvas or ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    vp8x = bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x + simple[12:]
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def test_stealth_in_extended_lossless_webp_with_alpha_flag() -> None:
    pixels = stealth_pixels(INFOTEXT, mode="alpha", compressed=True, channels=4)
    data = _as_extended_webp(save(pixels, "WEBP", lossless=True, exact=True), flags=0x10)
    rec = read(data, "x.webp").record
    assert (rec.tool, rec.seed, rec.extra["stealth"]) == ("a1111", 5, "alpha")


def test_webp_that_cannot_hold_stealth_is_never_decoded(image_opens: list[str]) -> None:
    alpha = stealth_pixels(INFOTEXT, mode="alpha", compressed=True, channels=4)
    rgb = stealth_pixels(INFOTEXT, mode="rgb", compressed=True)
    lossy_alpha = save(alpha, "WEBP", quality=100)
    lossless_rgb = save(rgb, "WEBP", lossless=True, exact=True)
    lossless_alpha = save(alpha, "WEBP", lossless=True, exact=True)
    assert b"VP8L" not in lossy_alpha[:64] and lossless_rgb[12:16] == b"VP8L"
    files = [
        lossless_rgb,  # lossless without alpha: the RGB magic would need a whole-image decode
        _as_extended_webp(lossless_alpha, flags=0x00),  # its VP8X says: no alpha
        _as_extended_webp(lossless_alpha, flags=0x12),  # animated
        _as_extended_webp(lossless_alpha, flags=0x10, canvas=(16, 16)),  # canvas is not the bitstream's size
    ]
    exif = Image.Exif()
    exif[0x010E] = "visible"
    files.append(save(alpha, "WEBP", lossless=True, exact=True, exif=exif.tobytes()))  # has metadata
    for data in files:
        rec = read(data, "x.webp").record
        assert "stealth" not in rec.extra
        assert rec.tool == "unknown"
    assert image_opens == []
