"""Metadata readers: image bytes -> :class:`~engine.metadata.result.ImageReadResult`.

Public entry points: :func:`read_image`, :func:`read_image_bytes`, :func:`walk_metadata_segments`.

Invariants:

- the container is sniffed from magic bytes, never from the extension: PNG, JPEG, WEBP and AVIF
  (:mod:`engine.metadata.avif`: its ``Exif`` and XMP items reach the tool readers exactly as a JPEG's
  or WEBP's EXIF and XMP do); HEIC and other ISO-BMFF files are refused with a specific reason;
- pixels are never decoded, except by the bounded stealth (alpha / RGB LSB) reader, and only for
  PNGs, lossless WEBPs with alpha and lossy WEBPs with an alpha plane, that have no other
  metadata (a PNG without the stealth magic costs only its leading rows); an AVIF never;
- the only exception raised for a bad file is :class:`UnreadableImage`; malformed metadata inside a
  valid image degrades to what can be read, with notes in ``record.extra["metadata_errors"]``;
- prompts are the tool's text minus surrounding whitespace; ``record.id`` is the content SHA-256;
- ``width``/``height`` are the generation size the tool records (A1111 ``Size``, the first ComfyUI
  pass's latent), not the pixel size after a hires/upscale pass (that is ``pixel_width``/
  ``pixel_height`` of the result; the hires factor is in ``extra["hires_upscale"]``) — except for an
  A1111/Forge Extras upscale of an earlier generation, a file of its own whose ``width``/``height`` are
  its pixel size (the generation's ``Size`` in ``extra["generation_size"]``), so lineage sees the upscale.

Tool ids are those of ``generation-records.md`` plus ``huggingface`` (diffusers demo Spaces). One module
per family: ``comfyui`` (+ ``comfygraph``, ``comfy_passes``), ``a1111`` (A1111, Forge, reForge, SD.Next,
Yodayo, Civitai infotext, ComfyUI infotext save nodes), ``invokeai``, ``novelai``, ``fooocus`` (+
RuinedFooocus), ``swarmui``, ``stabilitymatrix``, ``tensorart``, ``drawthings``, ``midjourney``,
``easydiffusion``, ``mflux``, ``huggingface``, ``c2pa`` (DALL·E/Designer, ChatGPT, Gemini, Firefly),
``civitai``, ``stealth``. There is no ``krea`` reader: the only "Krea" sample is a local ComfyUI render of
the Krea-2 template and carries no krea.ai marker, so it is (correctly) ``comfyui``.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from engine.copy_times import LATER_WRITE, TIME_REJECTED
from engine.metadata import stealth
from engine.metadata.container import read_container, walk_metadata_segments
from engine.metadata.dispatch import read_tool
from engine.metadata.editors import detect_editor
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading, note_error
from engine.metadata.result import ImageReadResult, UnreadableImage
from engine.metadata.timestamps import file_counter, resolve_created_at
from engine.records import UNKNOWN_TOOL
from engine.regular_files import NotARegularFile, open_regular_file

__all__ = [
    "ImageReadResult",
    "UnreadableImage",
    "read_image",
    "read_image_bytes",
    "walk_metadata_segments",
]

MAX_FILE_BYTES = 1024 * 1024 * 1024
"""Files larger than 1 GiB are refused as unreadable rather than read into memory."""


def read_image(path: Path, *, local_tz: tzinfo | None = None) -> ImageReadResult:
    """Read one image file (bytes read once; mtime from the same open file's ``fstat``). A FIFO,
    socket or device is refused without waiting on it (:func:`open_regular_file`)."""
    try:
        with open_regular_file(path) as handle:
            info = os.fstat(handle.fileno())
            if info.st_size > MAX_FILE_BYTES:
                raise UnreadableImage(path, f"file too large ({info.st_size} bytes)")
            data = handle.read()
    except NotARegularFile as exc:
        raise UnreadableImage(path, str(exc)) from None
    except UnreadableImage:
        raise
    except FileNotFoundError:
        raise UnreadableImage(path, "file not found") from None
    except PermissionError:
        raise UnreadableImage(path, "permission denied") from None
    except IsADirectoryError:
        raise UnreadableImage(path, "is a directory") from None
    except OSError as exc:
        raise UnreadableImage(path, f"cannot read file ({exc.strerror or type(exc).__name__})") from None
    mtime = datetime.fromtimestamp(info.st_mtime, UTC)
    return read_image_bytes(
        data,
        file_name=path.name,
        mtime=mtime,
        local_tz=local_tz,
        path_for_errors=str(path),
        folder_name="/".join(path.parent.parts[-3:]) or None,
    )


def _counter_first(output_node: object) -> bool:
    """Whether the ComfyUI output node that wrote the file starts its names with its counter
    (``extra["output_node"]["counter_first"]``, :func:`engine.metadata.comfy_passes.summarise`)."""
    return isinstance(output_node, dict) and output_node.get("counter_first") is True


def read_image_bytes(
    data: bytes,
    *,
    file_name: str,
    mtime: datetime | None,
    local_tz: tzinfo | None = None,
    path_for_errors: str | None = None,
    now: datetime | None = None,
    folder_name: str | None = None,
) -> ImageReadResult:
    """Read an image held in memory. ``mtime`` should be aware (a naive one is taken as ``local_tz``);
    ``folder_name`` is the name of the folder holding the file (or the last three folders of its path
    joined by ``/``), whose date is a time source
    (:func:`~engine.metadata.timestamps.resolve_created_at`).

    ``now`` bounds credible times (default: the current time); a time source passed over as not
    credible, or a rejected mtime that leaves the record without a time, is explained in
    ``extra["time_rejected"]``.
    """
    path = path_for_errors or file_name
    tz = local_tz or UTC
    raw = read_container(data, path)
    raw.file_name = file_name
    reading = read_tool(raw)
    if reading.record.tool == UNKNOWN_TOOL:
        stealth_reading = _try_stealth(raw, data)
        if stealth_reading is not None:
            reading = stealth_reading
        elif raw.errors:
            for message in raw.errors:
                note_error(reading, message)
    digest = hashlib.sha256(data).hexdigest()
    record = reading.record
    record.prompt = _clean_prompt(record.prompt)
    record.negative_prompt = _clean_prompt(record.negative_prompt)
    record.id = digest
    record.file_name = file_name
    resolved = resolve_created_at(
        reading.time,
        raw.exif,
        file_name,
        mtime,
        tz,
        editor_time=raw.editor_time,
        xmp=raw.xmp,
        seed=record.seed,
        now=now,
        folder_name=folder_name,
        tool=record.tool,
        prompt=record.prompt,
        counter_first=_counter_first(record.extra.get("output_node")),
    )
    record.created_at = resolved.value
    record.created_at_source = resolved.source
    record.created_at_precision = resolved.precision
    if resolved.rejected is not None:
        record.extra[TIME_REJECTED] = resolved.rejected
    if resolved.later_write is not None:
        record.extra[LATER_WRITE] = resolved.later_write.isoformat()
    counter = file_counter(file_name)
    if counter is not None:
        record.extra["file_counter"] = counter
    editor = detect_editor(raw)
    if editor is not None:
        record.extra["editor"] = editor
    return ImageReadResult(
        record=record,
        content_sha256=digest,
        image_format=raw.image_format,
        file_size=len(data),
        pixel_width=raw.pixel_width,
        pixel_height=raw.pixel_height,
        edited=editor is not None,
    )


def _clean_prompt(text: str | None) -> str | None:
    """Prompts keep their exact text minus surrounding whitespace; an all-blank prompt is ``None``."""
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None


def _try_stealth(raw: RawMetadata, data: bytes) -> ToolReading | None:
    """Pixel-LSB stealth data, only for PNGs and WEBPs with an alpha plane (or lossless pixels) that
    have no other metadata (``stealth`` decides which files, and bounds the work)."""
    reading = stealth.read(data, raw)
    if reading is not None:
        for message in raw.errors:
            note_error(reading, message)
    return reading
