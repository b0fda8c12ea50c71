"""The normalised generation record (``shared/docs/generation-records.md``) as plain data.

Every import path ends in a :class:`GenerationRecord`. Invariants:

- ``created_at`` is timezone-aware when set (naive tool times are localised by the reader with the
  user's timezone before they get here); ``None`` means "no usable time": such records are stored
  and shown but never clustered.
- ``created_at_precision`` says how much of ``created_at`` is real: a ``day`` time carries no
  time-of-day and must never be used to place an image inside a day.
- ``extra`` holds everything a reader or a JSONL line had beyond the named fields, verbatim.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class TimePrecision(enum.StrEnum):
    """How much of a timestamp is real, coarsest first."""

    DAY = "day"
    MINUTE = "minute"
    SECOND = "second"
    MILLISECOND = "millisecond"


UNKNOWN_TOOL = "unknown"
MAX_INT_BITS = 64
"""Widest integer a record takes (in magnitude): seeds reach ``2**64 - 1`` (ComfyUI), every other integer
field is far smaller; the readers (``engine.metadata.values``) and the JSONL codec take no wider one."""


@dataclass(frozen=True, slots=True)
class LoraRef:
    """A LoRA (or LyCORIS, …) applied to a generation; ``weight`` is the model strength."""

    name: str
    weight: float | None = None


@dataclass(slots=True)
class GenerationRecord:
    """One generated image (or one JSONL line), normalised. Field meanings: generation-records.md."""

    id: str
    tool: str = UNKNOWN_TOOL
    created_at: datetime | None = None
    created_at_source: str | None = None
    created_at_precision: TimePrecision | None = None
    user: str | None = None
    prompt: str | None = None
    negative_prompt: str | None = None
    seed: int | None = None
    cfg_scale: float | None = None
    steps: int | None = None
    sampler: str | None = None
    scheduler: str | None = None
    model: str | None = None
    loras: tuple[LoraRef, ...] = ()
    width: int | None = None
    height: int | None = None
    denoise: float | None = None
    source_image: str | None = None
    job_id: str | None = None
    parent_job_id: str | None = None
    file_name: str | None = None
    workflow_hash: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
