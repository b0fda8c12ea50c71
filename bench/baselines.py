"""Baseline session segmenters, computed in the same run as the engine for comparison.

- ``fixed_timeout``: a new session after a gap of more than 30 minutes (per user);
- ``timeout_and_tool``: the same, plus a new session at every tool switch;
- ``phototoc``: PhotoTOC's adaptive rule (Platt, Czerwinski & Field, 2003): a boundary at gap i when
  log(g_i) ≥ K + mean(log g_j for j in i−d … i+d), with d = 10 and K = log(17); gaps in seconds,
  floored at 1 s;
- ``multi_signal``: the "20-line multi-signal heuristic" of issue 11 — a new session at a tool switch,
  a model change, a gap longer than ``max(gap_floor, gap_factor × the artist's median gap)``, or a
  prompt-similarity drop (word Jaccard < ``drop_similarity``) right after a settled run (the prompt
  had stayed similar — consecutive Jaccard ≥ 0.5 — for at least ``settled_seconds``).
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from itertools import pairwise

from engine.records import GenerationRecord


def _sessions_from_boundaries(ordered: Sequence[GenerationRecord], is_boundary: list[bool]) -> dict[str, str]:
    session_of: dict[str, str] = {}
    number = -1
    for record, boundary in zip(ordered, is_boundary, strict=True):
        number += boundary
        session_of[record.id] = str(number)
    return session_of


def _gaps(ordered: Sequence[GenerationRecord]) -> list[float | None]:
    gaps: list[float | None] = [None]
    for previous, current in pairwise(ordered):
        if previous.user != current.user or previous.created_at is None or current.created_at is None:
            gaps.append(None)
        else:
            gaps.append((current.created_at - previous.created_at).total_seconds())
    return gaps


def fixed_timeout(ordered: Sequence[GenerationRecord], timeout_seconds: float = 1800.0) -> dict[str, str]:
    return _sessions_from_boundaries(ordered, [g is None or g > timeout_seconds for g in _gaps(ordered)])


def timeout_and_tool(ordered: Sequence[GenerationRecord], timeout_seconds: float = 1800.0) -> dict[str, str]:
    gaps = _gaps(ordered)
    boundaries = [
        g is None or g > timeout_seconds or (i > 0 and ordered[i].tool != ordered[i - 1].tool)
        for i, g in enumerate(gaps)
    ]
    return _sessions_from_boundaries(ordered, boundaries)


def phototoc(
    ordered: Sequence[GenerationRecord], window: int = 10, k: float = math.log(17.0)
) -> dict[str, str]:
    gaps = _gaps(ordered)
    boundaries = [g is None for g in gaps]
    start = 0
    while start < len(ordered):
        end = start + 1
        while end < len(ordered) and gaps[end] is not None:
            end += 1
        logs = [math.log(max(1.0, g)) for g in gaps[start + 1 : end] if g is not None]
        for offset, value in enumerate(logs):
            low, high = max(0, offset - window), min(len(logs), offset + window + 1)
            if value >= k + sum(logs[low:high]) / (high - low):
                boundaries[start + 1 + offset] = True
        start = end
    return _sessions_from_boundaries(ordered, boundaries)


def _words(prompt: str | None) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+", (prompt or "").lower()))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def multi_signal(
    ordered: Sequence[GenerationRecord],
    gap_factor: float = 20.0,
    gap_floor_seconds: float = 2700.0,
    drop_similarity: float = 0.2,
    settled_seconds: float = 600.0,
) -> dict[str, str]:
    gaps = _gaps(ordered)
    median_gap: dict[str | None, float] = {}
    for user in {r.user for r in ordered}:
        steps = [g for r, g in zip(ordered, gaps, strict=True) if r.user == user and g is not None and g >= 1]
        median_gap[user] = statistics.median(steps) if steps else 60.0
    words = [_words(r.prompt) for r in ordered]
    run_start: list[float] = []  # when the current run of similar prompts began
    for i, record in enumerate(ordered):
        assert record.created_at is not None
        now = record.created_at.timestamp()
        continues = gaps[i] is not None and _jaccard(words[i - 1], words[i]) >= 0.5
        run_start.append(run_start[-1] if continues else now)
    boundaries: list[bool] = []
    for i, (record, gap) in enumerate(zip(ordered, gaps, strict=True)):
        if gap is None:
            boundaries.append(True)
            continue
        previous = ordered[i - 1]
        limit = max(gap_floor_seconds, gap_factor * median_gap[record.user])
        assert previous.created_at is not None
        settled = previous.created_at.timestamp() - run_start[i - 1] >= settled_seconds
        drop = _jaccard(words[i - 1], words[i]) < drop_similarity
        boundaries.append(
            gap > limit
            or record.tool != previous.tool
            or record.model != previous.model
            or (settled and drop)
        )
    return _sessions_from_boundaries(ordered, boundaries)
