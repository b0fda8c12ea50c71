"""What the session facts are built from: one session's assets, phases and lineage, as plain data.

The catalog (or a test, or a notebook) fills these from whatever it stores; nothing here reads a
database. Invariants the builder relies on:

- ``assets`` arrive in stream (generation) order; a position in the facts is the 1-based index into
  that sequence;
- ``created_at`` is timezone-aware when set (``None``: the asset has no usable time);
- ``phase_ordinal`` is a 0-based index into the session's phases (:attr:`FactPhase.ordinal`);
- ``visual_embedding`` is a 1-D float vector (any scale: it is L2-normalised before use), or ``None``;
- lineage edges form a forest (a child has at most one parent); ``kind`` is an
  :class:`engine.analysis.LineageKind` value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from engine.records import LoraRef


@dataclass(frozen=True, slots=True)
class FactAsset:
    """One generated image of the session, with the generation parameters the facts look at."""

    id: str
    created_at: datetime | None
    prompt: str | None
    negative_prompt: str | None
    seed: int | None
    cfg_scale: float | None
    steps: int | None
    sampler: str | None
    scheduler: str | None
    model: str | None
    loras: tuple[LoraRef, ...]
    width: int | None
    height: int | None
    denoise: float | None
    phase_ordinal: int
    visual_embedding: np.ndarray | None
    has_thumbnail: bool


@dataclass(frozen=True, slots=True)
class FactPhase:
    """One phase of the session (``ordinal`` 0-based, ``intent`` an :class:`engine.analysis.Intent`
    value); ``started_at``/``ended_at`` are aware times of its first and last asset."""

    ordinal: int
    intent: str
    label: str
    asset_count: int
    started_at: datetime
    ended_at: datetime


@dataclass(frozen=True, slots=True)
class FactLineageEdge:
    """``child_id`` was derived from ``parent_id`` (upscale, img2img, variation, …)."""

    parent_id: str
    child_id: str
    kind: str
