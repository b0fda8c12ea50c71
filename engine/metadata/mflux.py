"""mflux (FLUX on Apple silicon with MLX): JSON in EXIF ``UserComment``, no character-code prefix, in
a PNG ``eXIf`` chunk (``post_processing/generated_image.py`` ``_get_metadata``, ``image_util.py``
``_embed_metadata``).

Recognised by its ``mflux_version`` key. ``model`` is mflux's model alias (``dev``, ``schnell``) or a
Hugging Face name; ``guidance`` is FLUX's distilled guidance, not a CFG scale (kept in ``extra``);
``lora_paths`` pair with ``lora_scales``; ``image_path`` / ``image_strength`` are an img2img input
and its strength. ``generation_time_seconds`` is a duration. No time is written.
"""

from __future__ import annotations

from engine.metadata.jsontext import try_json_object
from engine.metadata.loras import dedupe
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading
from engine.metadata.values import as_float, as_int, as_list, as_text
from engine.records import LoraRef


def read(raw: RawMetadata) -> ToolReading | None:
    comment = raw.exif.get("UserComment")
    if not isinstance(comment, str) or '"mflux_version"' not in comment:
        return None
    doc = try_json_object(comment)
    if doc is None or "mflux_version" not in doc:
        return None
    reading = ToolReading()
    rec = reading.record
    rec.tool = "mflux"
    rec.prompt = as_text(doc.get("prompt"))
    rec.seed = as_int(doc.get("seed"))
    rec.steps = as_int(doc.get("steps"))
    rec.model = as_text(doc.get("model"))
    rec.source_image = as_text(doc.get("image_path"))
    rec.denoise = as_float(doc.get("image_strength")) if rec.source_image else None
    paths = as_list(doc.get("lora_paths"))
    scales = as_list(doc.get("lora_scales"))
    loras = [
        LoraRef(path, as_float(scales[index]) if index < len(scales) else None)
        for index, path in enumerate(paths)
        if isinstance(path, str) and path
    ]
    rec.loras = dedupe(loras)
    rec.extra["mflux"] = doc
    return reading
