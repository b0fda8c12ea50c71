"""Signs that an image editor re-saved the file after generation (``ImageReadResult.edited``).

Signatures: GIMP (``Comment`` "Created with GIMP", EXIF ``Software`` "GIMP …"), ImageMagick
(``date:create`` / ``date:modify`` text), Photoshop (EXIF ``Software`` / XMP ``CreatorTool``
"Adobe Photoshop …", JPEG ``APP13``). The editor's times (PNG ``tIME``, EXIF ``DateTime``,
``date:*``) are edit times and are never used as the generation time.
"""

from __future__ import annotations

import re

from engine.metadata.raw import RawMetadata

_XMP_CREATOR = re.compile(r"CreatorTool(?:>|=\")\s*([^<\"]+)")


def detect_editor(raw: RawMetadata) -> str | None:
    """``GIMP``, ``ImageMagick``, ``Photoshop`` or ``None``."""
    software = raw.exif.get("Software")
    software_text = software if isinstance(software, str) else ""
    comment = raw.texts.get("Comment", "")
    if software_text.startswith("GIMP") or comment.startswith("Created with GIMP"):
        return "GIMP"
    if "date:create" in raw.texts or "date:modify" in raw.texts:
        return "ImageMagick"
    if "Photoshop" in software_text or "jpeg:Photoshop" in raw.texts:
        return "Photoshop"
    if raw.xmp:
        match = _XMP_CREATOR.search(raw.xmp)
        if match:
            creator = match.group(1)
            if "Photoshop" in creator:
                return "Photoshop"
            if creator.startswith("GIMP"):
                return "GIMP"
    return None
