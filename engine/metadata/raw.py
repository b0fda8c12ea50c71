"""The container-neutral view of one image's metadata that every tool reader works from.

Container walkers (``png``, ``jpeg``, ``webp``, ``avif``) fill a :class:`RawMetadata`; tool readers only look
at it and never at the file bytes again (the single exception is ``stealth``, which is handed the
bytes explicitly). Invariants:

- ``texts`` maps a text key to its decoded value. For PNG it is the ``tEXt``/``zTXt``/``iTXt``
  keyword (first occurrence wins); ``eXIf``/EXIF values are *not* copied here, they live in ``exif``.
- ``exif`` maps EXIF tag names (``UserComment``, ``ImageDescription``, ``Make``, ``Model``,
  ``Software``, ``Artist``, ``DateTime``, ``DateTimeOriginal``, ``OffsetTimeOriginal``, …) to decoded
  strings or ints. ``DateTime`` is the file-change (editor) time and is never a generation time.
- ``editor_time`` is PNG ``tIME`` (last modification) and is never a generation time either.
- ``errors`` collects short notes about malformed metadata that was skipped; the file is still read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.metadata.limits import MAX_TEXT_TOTAL_BYTES


@dataclass(slots=True)
class RawMetadata:
    image_format: str
    pixel_width: int | None = None
    pixel_height: int | None = None
    has_alpha: bool = False
    """PNG colour type with an alpha channel (RGBA / grey+alpha); only then can stealth data exist."""
    texts: dict[str, str] = field(default_factory=dict)
    exif: dict[str, str | int] = field(default_factory=dict)
    xmp: str | None = None
    c2pa: bytes | None = None
    """The raw C2PA manifest store (PNG ``caBX`` chunk, WEBP ``C2PA`` chunk, or the concatenated JPEG APP11
    JUMBF payload)."""
    comments: list[str] = field(default_factory=list)
    """JPEG ``COM`` segments, decoded as UTF-8 with replacement."""
    editor_time: str | None = None
    """PNG ``tIME`` as ``YYYY-MM-DDTHH:MM:SS`` (an edit time, never read as generation time)."""
    errors: list[str] = field(default_factory=list)
    file_name: str | None = None
    """The file's own name (not metadata); readers use it only to tell which output wrote the file."""
    text_kept: int = 0
    """Characters kept so far in ``texts``, ``xmp`` and ``comments`` (:meth:`may_keep_text`)."""

    def may_keep_text(self, what: str, size: int) -> bool:
        """Whether a text value of ``size`` characters may still be kept: all of one file's together
        stay within :data:`~engine.metadata.limits.MAX_TEXT_TOTAL_BYTES` (counted when it may, noted
        in ``errors`` when not). ``what`` names the value in the note (``"png: tEXt 'Comment'"``)."""
        if self.text_kept + size > MAX_TEXT_TOTAL_BYTES:
            self.errors.append(
                f"{what} of {size} characters skipped (texts over {MAX_TEXT_TOTAL_BYTES} in all)"
            )
            return False
        self.text_kept += size
        return True

    @property
    def has_metadata(self) -> bool:
        """True when any text, EXIF, XMP, C2PA or comment metadata was found."""
        return bool(self.texts or self.exif or self.xmp or self.c2pa or self.comments)
