"""What reading one image file yields, and how a reader says it could not read it.

Invariants: reading never decodes pixels (except the bounded least-significant-bit read of the
"stealth" format, alpha or RGB, in a file with no other metadata), never raises anything but
:class:`UnreadableImage` for a bad file, and fills ``record.id`` with ``content_sha256`` so re-imports
of the same bytes are recognised.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.records import GenerationRecord


class UnreadableImage(ValueError):
    """A file that is not a readable PNG/JPEG/WEBP/AVIF image; ``reason`` is one short, specific sentence."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass(slots=True)
class ImageReadResult:
    record: GenerationRecord
    content_sha256: str
    """Hex SHA-256 of the file's bytes (also ``record.id``)."""
    image_format: str
    """Sniffed from magic bytes: ``png``, ``jpeg``, ``webp`` or ``avif`` — never from the extension."""
    file_size: int
    pixel_width: int | None
    pixel_height: int | None
    edited: bool = False
    """Re-saved by an editor (GIMP, ImageMagick, Photoshop) after generation."""
