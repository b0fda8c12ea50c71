"""Per-user threshold offset learned from the artist's merge / split corrections.

Every gap has a boundary margin (``Analysis.boundary_margins``: score − threshold, before any offset);
a gap is a boundary when ``margin > offset``. A correction tells which side of the offset a margin
should have been on:

- **merge** at a boundary with margin ``m`` ("this was too weak to split"): the offset should be ≥ m;
- **split** at a gap with margin ``m`` ("this gap should have split"): the offset should be < m.

The offset is the maximum a-posteriori value under a Gaussian prior centred on the global default
(``prior_offset``, spread ``prior_scale``) and a weighted logistic likelihood per correction (softness
``noise_scale``): ``P(merge | offset) = sigmoid((offset − m) / noise_scale)``. One correction moves
only what it should:

- **its own gap** is settled by the correction's hard constraint (must-link / cannot-link), whatever
  the offset: the offset does not need to move for the corrected gap to hold;
- **the threshold** moves only in a correction's own direction, and by bounded steps: the MAP estimate
  is clipped to ``[prior − step × Σ split weights, prior + step × Σ merge weights]`` (``step`` =
  ``max_step_per_correction``), so a split never raises the offset and a merge never lowers it —
  adding one only moves its own side's bound, and the estimate itself moves its way (one correction
  adds to the log posterior's derivative a term of its own sign). A first correction moves it by at
  most ``step × its weight``, so one split can only flip gaps whose margin was within that step of the
  threshold — the same ambiguity band — and never a confidently scored neighbour; one added to a
  history by at most ``weight × prior_scale² / noise_scale`` (the posterior's curvature is at least
  ``1 / prior_scale²``). (A single bound ``prior ± step × Σ all weights`` let a split *raise* the
  offset by loosening a cap that merges pressed on, and the next re-clustering merge sessions on
  another day.)
- **a correction far from the threshold says little about it**: a gap the engine scored with
  ``|m − prior_offset| ≥ ambiguity_band`` was a confident call on that gap's own evidence (a split of
  it is about that gap, not about how fine this artist's sessions are), so its weight falls linearly
  from 1 at the threshold to ``far_weight`` at the band's edge and beyond; many such corrections still
  add up;
- shrinkage: with few corrections the offset stays near the default; consistent corrections add up;
  contradicting ones cancel; the result is clipped to ``prior_offset ± max_offset``; margins are
  clipped to ``± margin_clip`` and non-finite margins (forced boundaries: tool switch, long pause) are
  ignored, since merging across them says nothing about the threshold.

Pure and deterministic (bisection on the monotone derivative of the log posterior).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable
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
    prior_scale: float = 0.8
    noise_scale: float = 0.5
    max_step_per_correction: float = 0.4
    ambiguity_band: float = 4.0
    far_weight: float = 0.25
    max_offset: float = 2.5
    margin_clip: float = 4.0


def correction_weight(boundary_margin: float, settings: CalibrationSettings) -> float:
    """How much one correction at ``boundary_margin`` says about the threshold, in [far_weight, 1]."""
    distance = abs(boundary_margin - settings.prior_offset) / settings.ambiguity_band
    return settings.far_weight + (1.0 - settings.far_weight) * max(0.0, 1.0 - distance)


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp_value = math.exp(value)
    return exp_value / (1.0 + exp_value)


def learn_threshold_offset(
    corrections: Iterable[BoundaryCorrection], settings: CalibrationSettings = CalibrationSettings()
) -> float:
    """The user's threshold offset given their correction history (order does not matter)."""
    observations: list[tuple[float, float, float]] = []  # (direction, clipped margin, weight)
    for correction in corrections:
        margin = correction.boundary_margin
        if not math.isfinite(margin):
            continue
        margin = max(-settings.margin_clip, min(settings.margin_clip, margin))
        direction = 1.0 if correction.kind is CorrectionKind.MERGE else -1.0
        observations.append((direction, margin, correction_weight(margin, settings)))
    if not observations:
        return settings.prior_offset

    def slope(offset: float) -> float:
        value = -(offset - settings.prior_offset) / settings.prior_scale**2
        for direction, margin, weight in observations:
            value += (
                weight
                * direction
                / settings.noise_scale
                * (1.0 - _sigmoid(direction * (offset - margin) / settings.noise_scale))
            )
        return value

    step = settings.max_step_per_correction
    raised = step * sum(weight for direction, _, weight in observations if direction > 0)
    lowered = step * sum(weight for direction, _, weight in observations if direction < 0)
    moved = _maximise(slope, settings) - settings.prior_offset
    return settings.prior_offset + max(-lowered, min(raised, moved))


def _maximise(slope: Callable[[float], float], settings: CalibrationSettings) -> float:
    """The root of the (monotone decreasing) derivative within ``prior_offset ± max_offset``."""
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
