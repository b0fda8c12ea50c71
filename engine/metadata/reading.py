"""What a tool reader hands back: a partly filled record plus the tool's own time, if any.

A tool reader (``comfyui``, ``a1111``, …) never sets ``record.id``, ``file_name`` or ``created_at``:
``read_image_bytes`` does, after ranking time sources (``timestamps``). ``ToolTime.value`` is naive
when the tool wrote a wall-clock time without an offset; it is localised later with ``local_tz``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.metadata.limits import MAX_METADATA_ERRORS
from engine.records import GenerationRecord, TimePrecision


@dataclass(frozen=True, slots=True)
class ToolTime:
    """A generation time written by the tool itself (never a duration, never an editor's time)."""

    value: datetime
    field: str
    """Where it was read, e.g. ``Created Date``; becomes ``created_at_source = "metadata:<field>"``."""
    precision: TimePrecision


@dataclass(slots=True)
class ToolReading:
    record: GenerationRecord = field(default_factory=lambda: GenerationRecord(id=""))
    time: ToolTime | None = None


def note_error(reading: ToolReading, message: str) -> None:
    """Record a malformed-metadata note in ``extra["metadata_errors"]`` (the read still succeeds): at
    most :data:`~engine.metadata.limits.MAX_METADATA_ERRORS` of them, then one saying others were
    left out (so that noting costs constant time, whatever number of problems a file holds)."""
    errors = reading.record.extra.setdefault("metadata_errors", [])
    if not isinstance(errors, list) or len(errors) > MAX_METADATA_ERRORS or message in errors:
        return
    errors.append(message if len(errors) < MAX_METADATA_ERRORS else NOTES_LEFT_OUT)


NOTES_LEFT_OUT = f"further problems not listed (more than {MAX_METADATA_ERRORS})"
"""The last note of a record whose problems were more than the notes kept."""
