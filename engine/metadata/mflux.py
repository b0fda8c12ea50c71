"""mflux (FLUX on Apple silicon with MLX): JSON in EXIF ``UserComment``, no character-code prefix, in
a PNG ``eXIf`` chunk (``post_processing/generated_image.py`` ``_get_metadata``, ``image_util.py``
``_embed_metadata``).

Recognised by its ``mflux_version`` key. ``model`` is mflux's model alias (``dev``, ``schnell``) or a
Hugging Face name; ``guidance`` is FLUX's distilled guidance, not a CFG scale (kept in ``extra``);
``lora_paths`` pair with ``lora_scales``; ``image_path`` / ``image_strength`` are an img2img input
and its strength. ``generation_time_seconds`` is a duration.

Current versions (``src/mflux/utils/generated_image.py`` ``_get_metadata``, then
``metadata_builder.py`` adds an XMP packet and an ``IPTC`` hex text to the PNG) also write ``width`` /
``height`` (the generation size), ``negative_prompt``, ``image_paths`` (the inputs of the edit models,
Qwen-Image-Edit / Kontext: one of them is the record's ``source_image``, several name no single
source) and ``created_at``: ``datetime.now().isoformat()`` when the image was saved, a local wall
clock without offset (microseconds: read at millisecond precision), the record's tool time. Older
versions write no time.
"""

from __future__ import annotations

from engine.metadata.a1111 import parse_iso_time
from engine.metadata.jsontext import try_json_object
from engine.metadata.limits import MAX_LORAS
from engine.metadata.loras import dedupe
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading, ToolTime, note_error
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
    rec.negative_prompt = as_text(doc.get("negative_prompt"))
    rec.seed = as_int(doc.get("seed"))
    rec.steps = as_int(doc.get("steps"))
    rec.model = as_text(doc.get("model"))
    rec.width, rec.height = as_int(doc.get("width")), as_int(doc.get("height"))
    rec.source_image = as_text(doc.get("image_path")) or _single_input(doc.get("image_paths"))
    rec.denoise = as_float(doc.get("image_strength")) if rec.source_image else None
    paths = as_list(doc.get("lora_paths"))[:MAX_LORAS]
    scales = as_list(doc.get("lora_scales"))
    loras = [
        LoraRef(path, as_float(scales[index]) if index < len(scales) else None)
        for index, path in enumerate(paths)
        if isinstance(path, str) and path
    ]
    rec.loras = dedupe(loras)
    rec.extra["mflux"] = doc
    created = as_text(doc.get("created_at"))
    if created is not None:
        parsed = parse_iso_time(created)
        if parsed is None:
            note_error(reading, f"mflux: unparseable created_at {created[:40]!r}")
        else:
            reading.time = ToolTime(parsed[0], "created_at", parsed[1])
    return reading


def _single_input(paths: object) -> str | None:
    """The one input image of an edit model's ``image_paths``; ``None`` for none or several."""
    items = [path for path in as_list(paths) if isinstance(path, str) and path]
    return items[0] if len(items) == 1 else None
