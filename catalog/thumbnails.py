"""WEBP thumbnails, 256 px on the long side, content-addressed on disk.

Layout: ``<thumbnails_dir>/<sha[:2]>/<sha>.webp`` where ``sha`` is the SHA-256 of the thumbnail
bytes, so identical thumbnails are stored once and a path never changes meaning. Writes go to a
temporary file first and are renamed into place, so a reader never sees half a file.
This module decodes pixels; it is never on the metadata path (imports call it after the records
are stored). The built-in visual descriptor is computed here from the thumbnail's pixels, so the
engine's visual signal costs no extra decode.

Hostile files: the source is opened without blocking (a FIFO is refused, never waited on), its
declared size is checked against :data:`MAX_THUMBNAIL_SOURCE_PIXELS` and :data:`MAX_SIDE_PX` before
any pixel is decoded, and broken EXIF only costs the orientation (the thumbnail is made unrotated).
Whatever else goes wrong with one file — Pillow raises ``struct.error``, ``OverflowError``,
``MemoryError`` on some inputs — :func:`render_thumbnail` raises :class:`ThumbnailError` with the
cause, so callers handle one exception type per file and go on with the next.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from engine.features.visual_descriptor import visual_descriptor
from engine.metadata.files import NotARegularFile, open_regular_file

MAX_THUMBNAIL_SOURCE_PIXELS = 200_000_000
"""Largest source (width × height) decoded for a thumbnail: well above real generations (a 16k × 12k
upscale is 192 M); larger declared sizes are refused before decoding (decompression bombs)."""
MAX_SIDE_PX = 65_535
"""Longest side decoded (the JPEG and WEBP formats' own limit; a PNG claiming more is refused)."""
Image.MAX_IMAGE_PIXELS = MAX_THUMBNAIL_SOURCE_PIXELS
# Pillow warns between 1x and 2x its bound and refuses beyond; we refuse from 1x ourselves
# (``_check_declared_size``), so its warning would only be noise on stderr.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
_SHA_HEX_LENGTH = 64


class ThumbnailError(ValueError):
    pass


VISUAL_MODEL = "atelier-descriptor-160"
"""``assets.visual_model`` of the built-in descriptor (``engine.features.visual_descriptor``)."""


@dataclass(frozen=True, slots=True)
class MadeThumbnail:
    sha256: str
    """Content address of the stored WEBP."""
    descriptor: np.ndarray
    """The built-in visual descriptor of the thumbnail (unit float32 vector)."""


def render_thumbnail(source: Path, *, size_px: int = 256) -> tuple[bytes, np.ndarray]:
    """WEBP bytes of ``source`` scaled to ``size_px`` on its long side (never upscaled), and the
    visual descriptor of those same pixels (computed before encoding: no second decode)."""
    try:
        with open_regular_file(source) as handle, Image.open(handle) as opened:
            _check_declared_size(opened.size)
            opened.draft("RGB", (size_px, size_px))  # JPEG: decode at reduced scale
            image = _upright(opened)
            image.thumbnail((size_px, size_px), Image.Resampling.LANCZOS)
            if image.mode not in ("RGB", "RGBA"):
                image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            descriptor = visual_descriptor(image.convert("RGB"))
            buffer = io.BytesIO()
            image.save(buffer, format="WEBP", quality=80, method=4)
    except ThumbnailError as error:
        raise ThumbnailError(f"{source}: {error}") from error
    except NotARegularFile as error:
        raise ThumbnailError(f"{source}: {error}") from error
    except Exception as error:  # any decoder failure is this file's problem only
        raise ThumbnailError(f"{source}: cannot render a thumbnail ({_describe(error)})") from error
    return buffer.getvalue(), descriptor


def _check_declared_size(size: tuple[int, int]) -> None:
    width, height = size
    if width <= 0 or height <= 0 or width > MAX_SIDE_PX or height > MAX_SIDE_PX:
        raise ThumbnailError(f"declared image size {width}x{height} is out of range")
    if width * height > MAX_THUMBNAIL_SOURCE_PIXELS:
        raise ThumbnailError(
            f"declared image size {width}x{height} is over {MAX_THUMBNAIL_SOURCE_PIXELS} pixels "
            "(possible decompression bomb)"
        )


def _upright(opened: Image.Image) -> Image.Image:
    """``opened`` turned by its EXIF orientation; unturned when the EXIF block cannot be parsed
    (Pillow raises ``struct.error`` on a truncated TIFF header)."""
    try:
        return ImageOps.exif_transpose(opened)
    except Exception:
        opened.info.pop("exif", None)
        with contextlib.suppress(Exception):
            opened.getexif().clear()  # keep a broken block from failing the WEBP save as well
        return opened


def _describe(error: BaseException) -> str:
    message = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def thumbnail_path(thumbnails_dir: Path, sha256_hex: str) -> Path:
    if len(sha256_hex) != _SHA_HEX_LENGTH or any(c not in "0123456789abcdef" for c in sha256_hex):
        raise ThumbnailError(f"not a thumbnail address: {sha256_hex!r}")
    return thumbnails_dir / sha256_hex[:2] / f"{sha256_hex}.webp"


def store_thumbnail(thumbnails_dir: Path, webp: bytes) -> str:
    """Store ``webp`` under its content address (idempotent) and return the address."""
    sha = hashlib.sha256(webp).hexdigest()
    target = thumbnail_path(thumbnails_dir, sha)
    if target.exists():
        return sha
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(webp)
    os.replace(temporary, target)
    return sha


def make_thumbnail(source: Path, thumbnails_dir: Path, *, size_px: int = 256) -> MadeThumbnail:
    webp, descriptor = render_thumbnail(source, size_px=size_px)
    return MadeThumbnail(store_thumbnail(thumbnails_dir, webp), descriptor)
