"""Signs that an image editor re-saved the file after generation (``ImageReadResult.edited``).

Signatures: GIMP (``Comment`` "Created with GIMP", EXIF ``Software`` "GIMP …"), ImageMagick
(``date:create`` / ``date:modify`` text), Photoshop (EXIF ``Software`` / XMP ``CreatorTool``
"Adobe Photoshop …", JPEG ``APP13``). A PNG ``tIME`` chunk without one of those is still an
editor's mark ("unknown editor"): no generation tool read here writes ``tIME``. The editor's
times (PNG ``tIME``, EXIF ``DateTime``, ``date:*``) are edit times, never generation times.
"""

from __future__ import annotations

from engine.metadata.raw import RawMetadata
from engine.metadata.xmp import xmp_value


def detect_editor(raw: RawMetadata) -> str | None:
    """``GIMP``, ``ImageMagick``, ``Photoshop``, ``unknown editor (PNG tIME)`` or ``None``."""
    software = raw.exif.get("Software")
    software_text = software if isinstance(software, str) else ""
    comment = raw.texts.get("Comment", "")
    if software_text.startswith("GIMP") or comment.startswith("Created with GIMP"):
        return "GIMP"
    if raw.editor_time is not None and "GIMP" in comment:
        return "GIMP"
    if "date:create" in raw.texts or "date:modify" in raw.texts:
        return "ImageMagick"
    if "Photoshop" in software_text or "jpeg:Photoshop" in raw.texts:
        return "Photoshop"
    creator = xmp_value(raw.xmp, "xmp:CreatorTool") or ""
    if "Photoshop" in creator:
        return "Photoshop"
    if creator.startswith("GIMP"):
        return "GIMP"
    if raw.editor_time is not None:
        return "unknown editor (PNG tIME)"
    return None
