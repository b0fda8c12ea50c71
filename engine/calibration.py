"""Per-user threshold offset learned from the artist's merge / split corrections.

Every gap has a boundary margin (``Analysis.boundary_margins``: score − threshold, before any offset);
a gap is a boundary when ``margin > offset``. A correction tells which side of the offset a margin
should have been on:

- **merge** at a boundary with margin ``m`` ("this was too weak to split"): the offset should be ≥ m;
- **split** at a gap with margin ``m`` ("this gap should have split"): the offset should be < m.

The offset is the maximum a-posteriori value under a Gaussian prior centred on the global default
(``prior_offset``, spread ``prior_scale``) and a logistic likelihood per correction (softness
``noise_scale``): ``P(merge | offset) = sigmoid((offset − m) / noise_scale)``. Consequences:

- shrinkage: with few corrections the offset stays near the default; one correction moves it by at
  most ``prior_scale² / noise_scale`` (0.72 with the defaults) however extreme its margin;
- consistency: corrections that agree add up; contradicting ones cancel;
- bounded: the result is clipped to ``prior_offset ± max_offset``; margins are clipped to
  ``± margin_clip`` and non-finite margins (forced boundaries: tool switch, long pause) are ignored,
  since merging across them says nothing about the threshold.

Pure and deterministic (bisection on the monotone derivative of the log posterior).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass


class CorrectionKind(enum.StrEnum):
    MERGE = "merge"
    SPLIT = "split"


@dataclass(frozen=True, slots=True)
class BoundaryCorrection:
    kind: CorrectionKind
    boundary_margin: float
    """``Analysis.boundary_margins[asset]`` of the corrected gap when the artist corrected it."""


@dataclass(frozen=True, slots=True)
class CalibrationSettings:
    prior_offset: float = 0.0
    prior_scale: float = 0.6
    noise_scale: float = 0.5
    max_offset: float = 2.5
    margin_clip: float = 4.0


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp_value = math.exp(value)
    return exp_value / (1.0 + exp_value)


def learn_threshold_offset(
    corrections: Iterable[BoundaryCorrection], settings: CalibrationSettings = CalibrationSettings()
) -> float:
    """The user's threshold offset given their correction history (order does not matter)."""
    observations: list[tuple[float, float]] = []  # (direction, clipped margin)
    for correction in corrections:
        margin = correction.boundary_margin
        if not math.isfinite(margin):
            continue
        margin = max(-settings.margin_clip, min(settings.margin_clip, margin))
        direction = 1.0 if correction.kind is CorrectionKind.MERGE else -1.0
        observations.append((direction, margin))
    if not observations:
        return settings.prior_offset

    def slope(offset: float) -> float:
        value = -(offset - settings.prior_offset) / settings.prior_scale**2
        for direction, margin in observations:
            value += (
                direction
                / settings.noise_scale
                * (1.0 - _sigmoid(direction * (offset - margin) / settings.noise_scale))
            )
        return value

    low = settings.prior_offset - settings.max_offset
    high = settings.prior_offset + settings.max_offset
    if slope(low) <= 0:
        return low
    if slope(high) >= 0:
        return high
    for _ in range(60):
        middle = 0.5 * (low + high)
        if slope(middle) > 0:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)
