"""Civitai files that carry no generation parameters of their own.

Civitai's image pipeline writes EXIF ``Software`` = a UUID (the image's id on the site; the
downloaded file is named after it) and ``Artist`` = ``ai``. When no other reader claimed the file,
that pair marks it as ``civitai`` with no parameters. Civitai graphs/infotext are read by the
ComfyUI and A1111 readers (their ``urn:air:`` / ``Civitai resources`` markers give ``civitai``).
"""

from __future__ import annotations

from engine.metadata.a1111 import UUID
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading


def read(raw: RawMetadata) -> ToolReading | None:
    software = raw.exif.get("Software")
    if raw.exif.get("Artist") != "ai" or not isinstance(software, str) or not UUID.match(software):
        return None
    reading = ToolReading()
    reading.record.tool = "civitai"
    reading.record.extra["civitai_image_uuid"] = software
    return reading
