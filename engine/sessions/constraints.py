"""The artist's corrections as clustering constraints, honoured by every (re-)clustering.

- ``must_link`` (a merge): both assets end up in one session; every gap between them in the stream
  is kept closed, even a forced one (tool switch, long pause) — the artist said so.
- ``cannot_link`` (a split, e.g. "split at asset X" = ``(asset before X, X)``): the two assets end up in
  different sessions. If no boundary already separates them, the gap between them with the highest
  boundary score that no ``must_link`` closes is opened.
- ``moved_assets`` (move): asset → anchor asset; the asset joins the anchor's session (chains are
  followed, cycles ignored). Moved assets do not take part in gap scoring at their own time position
  (and have no ``boundary_margins`` entry). Both must be clustered and of the same user; a move of an
  undated asset is ignored (it stays in ``unclustered``).
- ``pinned_labels``: asset → label; the session containing the asset carries that label (the pin of
  the earliest asset in stream order wins when a session holds several).

Conflicts are resolved deterministically: a ``cannot_link`` whose every gap is closed by ``must_link``
constraints is not enforced (keeping assets together is the safer failure). Pairs across users or
precision classes (precise vs day-precision), or naming unknown / undated assets, are ignored for
linking (such assets are never in one session anyway, or never clustered).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, slots=True)
class SessionConstraints:
    must_link: Collection[tuple[str, str]] = ()
    cannot_link: Collection[tuple[str, str]] = ()
    moved_assets: Mapping[str, str] = field(default_factory=dict)
    pinned_labels: Mapping[str, str] = field(default_factory=dict)

    def resolved_moves(self) -> dict[str, str]:
        """Each moved asset → its final anchor (chains followed; assets on a cycle dropped)."""
        resolved: dict[str, str] = {}
        for asset in sorted(self.moved_assets):
            anchor = self.moved_assets[asset]
            seen = {asset}
            while anchor in self.moved_assets and anchor not in seen:
                seen.add(anchor)
                anchor = self.moved_assets[anchor]
            if anchor not in seen:
                resolved[asset] = anchor
        return resolved


@dataclass(frozen=True, slots=True)
class ConstrainedBoundaries:
    is_boundary: np.ndarray
    locked_together: np.ndarray
    """Gaps closed by a must-link."""
    opened_by_constraint: np.ndarray
    """Gaps opened only to honour a cannot-link."""


def apply_constraints(
    ids: list[str],
    segment_codes: np.ndarray,
    margin: np.ndarray,
    threshold_offset: float,
    constraints: SessionConstraints | None,
) -> ConstrainedBoundaries:
    """Boundary decision per row (the gap before it), with the constraints applied."""
    count = len(ids)
    is_boundary = margin > threshold_offset
    if count:
        is_boundary[0] = True
    locked = np.zeros(count, dtype=bool)
    opened = np.zeros(count, dtype=bool)
    if constraints is None or not (constraints.must_link or constraints.cannot_link):
        return ConstrainedBoundaries(is_boundary, locked, opened)

    row_of = {asset_id: row for row, asset_id in enumerate(ids)}
    must_spans = _spans(constraints.must_link, row_of, segment_codes)
    if must_spans:
        cover = np.zeros(count + 1, dtype=np.int64)
        for first, last in must_spans:
            cover[first + 1] += 1
            cover[last + 1] -= 1
        locked = np.cumsum(cover[:-1]) > 0
        is_boundary &= ~locked
    for first, last in sorted(_spans(constraints.cannot_link, row_of, segment_codes)):
        gap_rows = slice(first + 1, last + 1)
        if is_boundary[gap_rows].any():
            continue
        free = ~locked[gap_rows]
        if not free.any():
            continue
        scores = np.where(free, margin[gap_rows], -np.inf)
        row = first + 1 + int(np.argmax(scores))
        is_boundary[row] = True
        opened[row] = True
    return ConstrainedBoundaries(is_boundary, locked, opened)


def _spans(
    pairs: Collection[tuple[str, str]], row_of: Mapping[str, int], segment_codes: np.ndarray
) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for asset_a, asset_b in pairs:
        row_a = row_of.get(asset_a)
        row_b = row_of.get(asset_b)
        if row_a is None or row_b is None or row_a == row_b:
            continue
        if segment_codes[row_a] != segment_codes[row_b]:
            continue
        spans.append((min(row_a, row_b), max(row_a, row_b)))
    return spans
