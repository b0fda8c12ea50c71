"""Lineage inside sessions (placeholder: no edges yet)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LineageSettings:
    min_inferred_confidence: float = 0.5
