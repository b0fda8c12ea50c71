"""NovelAI: PNG text (``Software``=NovelAI, ``Comment`` JSON, ``Description``), WEBP EXIF (a
``UserComment`` JSON object holding the same keys, its ``Comment`` a nested object rather than a JSON
string), or stealth alpha data with that JSON.

``Generation time`` is a DURATION in seconds (kept in ``extra["generation_time_seconds"]``),
never a timestamp: NovelAI writes no generation time. ``model`` is the ``Source`` text (e.g.
``NovelAI Diffusion V4.5 4BDE2A90``). The negative prompt is ``uc`` (V4: ``v4_negative_prompt``).
"""

from __future__ import annotations

from typing import Any

from engine.metadata.jsontext import try_json_object
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading, note_error
from engine.metadata.values import as_float, as_int, as_text


def novelai_fields(raw: RawMetadata) -> dict[str, Any] | None:
    """The NovelAI key/value set (``Software``, ``Comment``, ``Description``, …) from PNG or EXIF."""
    software = raw.texts.get("Software") or raw.exif.get("Software")
    png_text = "Comment" in raw.texts or "Description" in raw.texts
    if isinstance(software, str) and software.startswith("NovelAI") and png_text:
        return dict(raw.texts)
    comment = raw.exif.get("UserComment")
    if isinstance(comment, str) and "NovelAI" in comment[:20000]:
        document = try_json_object(comment)
        if document is not None and str(document.get("Software", "")).startswith("NovelAI"):
            return document
    return None


def read(raw: RawMetadata) -> ToolReading | None:
    fields = novelai_fields(raw)
    if fields is None:
        return None
    return reading_from_fields(fields)


def reading_from_fields(fields: dict[str, Any]) -> ToolReading:
    reading = ToolReading()
    rec = reading.record
    rec.tool = "novelai"
    comment_text = fields.get("Comment")
    comment = _comment_object(comment_text)
    if comment is None:
        if comment_text is not None:
            note_error(reading, "novelai: Comment is not a JSON object")
        comment = {}
    description = fields.get("Description")
    prompt = as_text(comment.get("prompt"))
    if prompt is None and isinstance(description, str):
        prompt = description.lstrip("\x00")
    rec.prompt = prompt
    rec.negative_prompt = as_text(comment.get("uc"))
    if rec.negative_prompt is None:
        rec.negative_prompt = _v4_caption(comment.get("v4_negative_prompt"))
    rec.steps = as_int(comment.get("steps"))
    rec.cfg_scale = as_float(comment.get("scale"))
    rec.seed = as_int(comment.get("seed"))
    rec.sampler = as_text(comment.get("sampler"))
    rec.scheduler = as_text(comment.get("noise_schedule"))
    rec.width = as_int(comment.get("width"))
    rec.height = as_int(comment.get("height"))
    rec.denoise = _img2img_strength(comment)
    rec.model = as_text(fields.get("Source"))
    rec.extra["novelai"] = comment
    duration = as_float(fields.get("Generation time"))
    if duration is not None:
        rec.extra["generation_time_seconds"] = duration
    characters = _v4_characters(comment.get("v4_prompt"))
    if characters:
        rec.extra["character_prompts"] = characters
    return reading


def _comment_object(value: Any) -> dict[str, Any] | None:
    """The ``Comment`` parameters as a dict: a JSON string in PNG text and stealth data, but an already
    nested object in the WEBP ``UserComment`` document (NovelAI writes that one as a single indented JSON
    object whose ``Comment`` is an object, not a string); ``None`` for anything else."""
    if isinstance(value, dict):
        return value
    return try_json_object(value) if isinstance(value, str) else None


def _v4_caption(block: Any) -> str | None:
    caption = block.get("caption") if isinstance(block, dict) else None
    return as_text(caption.get("base_caption")) if isinstance(caption, dict) else None


def _v4_characters(block: Any) -> list[str]:
    caption = block.get("caption") if isinstance(block, dict) else None
    chars = caption.get("char_captions") if isinstance(caption, dict) else None
    if not isinstance(chars, list):
        return []
    return [str(item["char_caption"]) for item in chars if isinstance(item, dict) and "char_caption" in item]


_LEGACY_IMG2IMG_DEFAULTS = (0.7, 0.2)
"""``strength`` and ``noise`` as 2022–23 NovelAI Comments carry them on every generation, txt2img too."""


def _img2img_strength(comment: dict[str, Any]) -> float | None:
    """The img2img / inpaint strength of a generation (its ``denoise``), ``None`` for a txt2img.

    Since V3 the Comment says what the request was (``request_type``: ``PromptGenerateRequest``,
    ``Img2ImgRequest``, ``NativeInfillingRequest``); earlier Comments have no type but carry the img2img
    defaults (strength 0.7, noise 0.2) on every generation, so only other values say it was img2img."""
    strength = as_float(comment.get("strength"))
    request = as_text(comment.get("request_type"))
    if request is not None:
        kind = request.lower()
        return strength if "img2img" in kind or "infill" in kind else None
    if (strength, as_float(comment.get("noise"))) == _LEGACY_IMG2IMG_DEFAULTS:
        return None
    return strength
