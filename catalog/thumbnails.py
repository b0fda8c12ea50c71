"""WEBP thumbnails, 256 px on the long side, content-addressed in a thumbnail store.

Content-addressed: ``sha`` is the SHA-256 of the thumbnail bytes, so identical thumbnails are stored
once and an address never changes meaning. Bytes go to a :class:`~catalog.storage.ThumbnailStore`
(a local folder, ``<thumbnails_dir>/<sha[:2]>/<sha>.webp``, or an S3-compatible bucket); a reader
never sees half an object.
This module decodes pixels; it is never on the metadata path (imports call it after the records
are stored). The built-in visual descriptor is computed here from the thumbnail's pixels, so the
engine's visual signal costs no extra decode.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from catalog.storage.local import LocalThumbnailStore
from catalog.storage.thumbnail_store import InvalidAddress, ThumbnailStore
from engine.features.visual_descriptor import visual_descriptor

Image.MAX_IMAGE_PIXELS = 200_000_000  # well above real generations; refuses decompression bombs


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
        with Image.open(source) as opened:
            opened.draft("RGB", (size_px, size_px))  # JPEG: decode at reduced scale
            image: Image.Image = ImageOps.exif_transpose(opened)
            image.thumbnail((size_px, size_px), Image.Resampling.LANCZOS)
            if image.mode not in ("RGB", "RGBA"):
                image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            descriptor = visual_descriptor(image.convert("RGB"))
            buffer = io.BytesIO()
            image.save(buffer, format="WEBP", quality=80, method=4)
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as error:
        raise ThumbnailError(f"{source}: cannot render a thumbnail ({error})") from error
    return buffer.getvalue(), descriptor


def thumbnail_path(thumbnails_dir: Path, sha256_hex: str) -> Path:
    """Where a local folder keeps the thumbnail (the layout of :class:`LocalThumbnailStore`)."""
    try:
        return LocalThumbnailStore(thumbnails_dir).path_of(sha256_hex)
    except InvalidAddress as error:
        raise ThumbnailError(str(error)) from error


def store_thumbnail(store: ThumbnailStore | Path, webp: bytes) -> str:
    """Store ``webp`` under its content address (idempotent) and return the address. ``store`` is a
    :class:`~catalog.storage.ThumbnailStore`, or a local folder (a :class:`Path`)."""
    sha = hashlib.sha256(webp).hexdigest()
    _as_store(store).put(sha, webp)
    return sha


def make_thumbnail(source: Path, store: ThumbnailStore | Path, *, size_px: int = 256) -> MadeThumbnail:
    webp, descriptor = render_thumbnail(source, size_px=size_px)
    return MadeThumbnail(store_thumbnail(store, webp), descriptor)


def _as_store(store: ThumbnailStore | Path) -> ThumbnailStore:
    return LocalThumbnailStore(store) if isinstance(store, Path) else store
