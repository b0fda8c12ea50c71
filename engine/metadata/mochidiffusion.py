"""Mochi Diffusion (macOS, Core ML): one IPTC caption written with Apple ImageIO.

``SDImage``/``ImageController`` store ``kCGImagePropertyIPTCCaptionAbstract`` (plus
``OriginatingProgram`` "Mochi Diffusion" and ``ProgramVersion``). In a JPEG that is the APP13 IPTC
``iptc:Caption-Abstract``; in a PNG ImageIO writes it as XMP ``dc:description``.

The caption has two encodings (``Support/MetadataCodec.swift``):

- version 1 (every release before the codec): ``Key: value`` fields joined by ``"; "`` —
  ``Include in Image: …; Exclude from Image: …; Model: …; Steps: …; Guidance Scale: …; Seed: …;
  Size: WxH; [Upscaler: …; ]Scheduler: …; ML Compute Unit: …; Generator: Mochi Diffusion <version>``;
- version 2: a first line ``Metadata Version: 2``, then one ``Key: value`` per line with ``\\``, ``\\n``
  and ``\\r`` escaped inside values.

Keys are the ``Metadata`` enum's names. A version-1 value may itself contain ``"; "``: a field ends only
where ``"; "`` is followed by one of those key names and ``": "``. Recognised by a caption that starts
with ``Include in Image:`` or a version line and names ``Generator: Mochi Diffusion`` (or an
``OriginatingProgram`` / ``xmp:CreatorTool`` naming Mochi Diffusion). No time is written (the ``Date``
key, when present, is the app's display text and is kept in ``extra`` only).
"""

from __future__ import annotations

import re
from itertools import islice

from engine.metadata.limits import MAX_TEXT_FIELDS
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading
from engine.metadata.values import as_float, as_int, as_text, leading_parts
from engine.metadata.xmp import xmp_value

_KEYS = (
    "Date",
    "Model",
    "Engine",
    "Model Key",
    "Size",
    "Quality",
    "Starting Image",
    "ControlNet Image",
    "Input Images",
    "Include in Image",
    "Exclude from Image",
    "Scheduler",
    "ML Compute Unit",
    "Seed",
    "Steps",
    "Guidance Scale",
    "Upscaler",
    "Strength",
    "LoRAs",
    "Generator",
    "Metadata Version",
)
_V1_FIELD = re.compile(r"(?:^|; )(" + "|".join(re.escape(key) for key in _KEYS) + r"):[ ]?")
_SIZE = re.compile(r"^\s*(\d{1,6})\s*[x×]\s*(\d{1,6})")
_MOCHI = "Mochi Diffusion"


def read(raw: RawMetadata) -> ToolReading | None:
    caption = raw.texts.get("iptc:Caption-Abstract") or xmp_value(raw.xmp, "dc:description")
    if not caption or not _is_mochi(raw, caption):
        return None
    fields = parse_caption(caption)
    reading = ToolReading()
    rec = reading.record
    rec.tool = "mochidiffusion"
    rec.prompt = as_text(fields.get("Include in Image"))
    rec.negative_prompt = as_text(fields.get("Exclude from Image"))
    rec.model = as_text(fields.get("Model"))
    rec.seed = as_int(fields.get("Seed"))
    rec.steps = as_int(fields.get("Steps"))
    rec.cfg_scale = as_float(fields.get("Guidance Scale"))
    rec.sampler = as_text(fields.get("Scheduler"))
    size = _SIZE.match(fields.get("Size", ""))
    if size:
        rec.width, rec.height = int(size.group(1)), int(size.group(2))
    rec.extra["mochidiffusion"] = fields
    return reading


def _is_mochi(raw: RawMetadata, caption: str) -> bool:
    head = caption.lstrip()
    if not (head.startswith("Include in Image:") or head.startswith("Metadata Version:")):
        return False
    program = raw.texts.get("iptc:OriginatingProgram") or xmp_value(raw.xmp, "xmp:CreatorTool") or ""
    return f"Generator: {_MOCHI}" in caption or program.startswith(_MOCHI)


def parse_caption(caption: str) -> dict[str, str]:
    """The caption's ``Key: value`` fields (first occurrence of a key wins), for either encoding.

    Only the first :data:`~engine.metadata.limits.MAX_TEXT_FIELDS` fields are read (version 2's lines,
    whether they hold a key or not; version 1's ``Key: `` marks): the text after them is never split,
    and the last field read ends where the next one begins, as when all are read."""
    first, _, rest = caption.partition("\n")
    if first.startswith("Metadata Version:") and first.split(":", 1)[1].strip().isdigit():
        fields: dict[str, str] = {}
        for line in leading_parts(rest, "\n", MAX_TEXT_FIELDS):
            key, colon, value = line.partition(":")
            if colon and key in _KEYS:
                fields.setdefault(key, _unescape(value[1:] if value.startswith(" ") else value))
        return fields
    matches = list(islice(_V1_FIELD.finditer(caption), MAX_TEXT_FIELDS + 1))  # the one more ends the last
    fields = {}
    for index, match in enumerate(matches[:MAX_TEXT_FIELDS]):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(caption)
        value = caption[match.end() : end]
        fields.setdefault(match.group(1), value.rstrip("; ").rstrip() if index + 1 == len(matches) else value)
    return fields


def _unescape(value: str) -> str:
    """Version 2's escapes: ``\\\\`` → ``\\``, ``\\n`` → newline, ``\\r`` → CR; other pairs are kept.

    Pairs are taken from the left, so a double backslash is one escape whatever follows it: splitting at
    each ``\\\\`` leaves pieces whose backslashes each start a pair with the next character, replaced
    in C (a character-by-character loop took 2.4 s over a 7 MB caption)."""
    if "\\" not in value:
        return value
    pieces = value.split("\\\\")
    return "\\".join(piece.replace("\\n", "\n").replace("\\r", "\r") for piece in pieces)
