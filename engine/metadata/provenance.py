"""Hosted generators whose downloads hold a provenance stamp naming the service, and no generation data.

No C2PA manifest, no prompt, no parameters, no time: the only thing such a file says is which service
made it. Read (each as the service's downloads were seen to carry it):

- **Gemini** app downloads before C2PA (2024): XMP ``Iptc4xmpExt:DigitalSourceType`` =
  ``trainedAlgorithmicMedia`` together with ``photoshop:Credit`` = ``Made with Google AI``;
- **Ideogram**: EXIF IFD0 ``Make`` = ``Ideogram AI`` (its only signal);
- **Grok** (xAI Aurora): EXIF ``ImageDescription`` = ``Signature: <base64>`` (64 or more base64
  characters) together with ``Artist`` = a UUID, the image's id (kept as ``job_id``);
- **ComfyUI** without its graph: PNG text ``Software`` = ``"ComfyUI"`` — Crystools' ``Save image with
  extra metadata`` (``nodes/image.py``) with ``with_workflow`` off writes only the keys of its
  ``metadata_extra`` (default ``Title``, ``Description``, ``Author``, ``Software`` "ComfyUI", …), each
  ``json.dumps``'d by ComfyUI's ``SaveImage`` (so the text keeps its JSON quotes).

Invariants:

- the record gets a tool and nothing the file does not hold: no prompt, model or time (the time
  falls back to the file's mtime in :mod:`engine.metadata.timestamps`);
- the stamp that matched is kept verbatim in ``extra["provenance"]``;
- a ``DigitalSourceType`` alone (Meta AI's downloads) names no tool and is not claimed, and an AI *edit*
  of a photo (``compositeWithTrainedAlgorithmicMedia``, Google Photos' Magic Editor) is no generation
  and is not claimed either;
- this reader runs after every tool-specific one (see :mod:`engine.metadata.dispatch`): a C2PA
  manifest, a Midjourney description or an infotext in the same file wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading
from engine.metadata.xmp import xmp_value

TRAINED_ALGORITHMIC_MEDIA = "trainedAlgorithmicMedia"
"""The IPTC Digital Source Type term for media created by a generative model (not an AI edit)."""

_GOOGLE_CREDIT = "made with google ai"
_COMFYUI_SOFTWARE = "comfyui"
_IDEOGRAM_MAKE = "ideogram ai"
_GROK_SIGNATURE = re.compile(r"Signature:[ \t]*[A-Za-z0-9+/]{64,}={0,2}[ \t]*\Z")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")


def digital_source_type(xmp: str | None) -> str | None:
    """The IPTC ``DigitalSourceType`` term (the URI's last path segment), or ``None``.

    Both XMP prefixes in use are accepted (``Iptc4xmpExt:`` as the IPTC schema names it, ``iptcExt:``
    as some writers abbreviate it).
    """
    value = xmp_value(xmp, "Iptc4xmpExt:DigitalSourceType") or xmp_value(xmp, "iptcExt:DigitalSourceType")
    if not value:
        return None
    return value.strip().rstrip("/").rsplit("/", 1)[-1] or None


def _gemini_stamp(raw: RawMetadata) -> dict[str, str] | None:
    """Gemini's 2024 IPTC stamp: a generated image credited ``Made with Google AI``."""
    credit = xmp_value(raw.xmp, "photoshop:Credit")
    if not credit or credit.strip().lower() != _GOOGLE_CREDIT:
        return None
    if digital_source_type(raw.xmp) != TRAINED_ALGORITHMIC_MEDIA:
        return None
    return {"credit": credit.strip(), "digital_source_type": TRAINED_ALGORITHMIC_MEDIA}


def _ideogram_stamp(raw: RawMetadata) -> dict[str, str] | None:
    """Ideogram's EXIF ``Make``."""
    make = raw.exif.get("Make")
    if not isinstance(make, str) or make.strip().lower() != _IDEOGRAM_MAKE:
        return None
    return {"exif_make": make.strip()}


def _grok_stamp(raw: RawMetadata) -> dict[str, str] | None:
    """xAI's EXIF pair: a base64 signature in ``ImageDescription`` and the image UUID in ``Artist``."""
    description = raw.exif.get("ImageDescription")
    artist = raw.exif.get("Artist")
    if not isinstance(description, str) or not isinstance(artist, str):
        return None
    if not _GROK_SIGNATURE.match(description.strip()) or not _UUID.match(artist.strip()):
        return None
    return {"signature": description.strip(), "image_id": artist.strip()}


def _comfyui_stamp(raw: RawMetadata) -> dict[str, str] | None:
    """A PNG ``Software`` text naming ComfyUI, bare or as the JSON string a ComfyUI save node writes."""
    software = raw.texts.get("Software")
    if not isinstance(software, str) or len(software) > 64:
        return None
    text = software.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            text = json.loads(text)
        except ValueError:
            return None
    if not isinstance(text, str) or text.strip().lower() != _COMFYUI_SOFTWARE:
        return None
    return {"png_software": software}


_STAMPS: dict[str, Callable[[RawMetadata], dict[str, str] | None]] = {
    "gemini": _gemini_stamp,
    "ideogram": _ideogram_stamp,
    "grok": _grok_stamp,
    "comfyui": _comfyui_stamp,
}
"""Each tool id with the function that finds its stamp (``None`` when the file has no such stamp)."""


def _tool_for(raw: RawMetadata) -> str | None:
    """The tool whose stamp the file carries (first match in :data:`_STAMPS` order), or ``None``."""
    if _gemini_stamp(raw) is not None:
        return "gemini"
    if _ideogram_stamp(raw) is not None:
        return "ideogram"
    if _grok_stamp(raw) is not None:
        return "grok"
    if _comfyui_stamp(raw) is not None:
        return "comfyui"
    return None


def read(raw: RawMetadata) -> ToolReading | None:
    """The service named by the file's provenance stamp, with no generation data (see module docstring)."""
    tool = _tool_for(raw)
    stamp = _STAMPS[tool](raw) if tool is not None else None
    if tool is None or stamp is None:
        return None
    reading = ToolReading()
    reading.record.tool = tool
    reading.record.extra["provenance"] = stamp
    if tool == "grok":
        reading.record.job_id = stamp["image_id"]
    return reading
