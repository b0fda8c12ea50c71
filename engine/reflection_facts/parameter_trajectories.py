"""Parameter trajectories: how one generation parameter moved over a session, compressed.

A parameter's values over the asset stream (assets without a value are skipped and never end a
stretch) are cut into *runs* of one value. Up to :data:`MAX_SEGMENTS` runs are kept as they are
(``hold`` segments). Beyond that the longest runs (at least :func:`min_hold_uses` assets, at most
``(MAX_SEGMENTS - 1) // 2`` of them) stay as holds and every stretch between them becomes one *sweep*
segment: numeric sweeps keep their range, first and last value, number of distinct values and number
of changes; categorical sweeps keep their value mix (the :data:`MAX_MIX_VALUES` most used values with
uses). So a trajectory has at most ``MAX_SEGMENTS`` segments whatever the session's size, and its cost
is linear in the number of assets.

Units and invariants: positions are 1-based indexes into the session's assets; ``uses`` and
``count`` are numbers of assets; ``changes`` counts value changes between consecutive assets that have
a value; segments are in stream order and do not overlap. Numbers are shown with
:func:`~engine.reflection_facts.number_format.plain_number`.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from engine.reflection_facts.number_format import plain_number

ParameterValue = int | float | str

MAX_SEGMENTS = 8
MAX_MIX_VALUES = 6
MAX_LISTED_NUMERIC_VALUES = 16
"""A numeric trajectory lists its distinct values (with uses) only when it has at most this many."""


@dataclass(frozen=True, slots=True)
class TrajectorySegment:
    """A stretch of the stream: one held value (``distinct == 1``) or a sweep.

    ``mix`` (categorical sweeps only) holds the most used values with their uses, most used first;
    ``low``/``high`` (numeric only) are the range. ``first_value``/``last_value`` open and close it."""

    first_position: int
    last_position: int
    count: int
    changes: int
    distinct: int
    first_value: ParameterValue
    last_value: ParameterValue
    low: float | None
    high: float | None
    mix: tuple[tuple[ParameterValue, int], ...]

    @property
    def is_hold(self) -> bool:
        return self.distinct == 1


@dataclass(frozen=True, slots=True)
class ParameterTrajectory:
    """One parameter over the session: ``count`` assets had a value, ``distinct`` values, ``changes``
    changes. ``values``: every value with its uses — categorical by uses (most first, ties by first
    use), numeric ascending and only when there are at most :data:`MAX_LISTED_NUMERIC_VALUES`."""

    name: str
    numeric: bool
    count: int
    distinct: int
    changes: int
    low: float | None
    high: float | None
    most_used: tuple[ParameterValue, int]
    values: tuple[tuple[ParameterValue, int], ...]
    segments: tuple[TrajectorySegment, ...]


@dataclass(frozen=True, slots=True)
class LoraTrajectory:
    """One LoRA: used on ``uses`` assets from ``first_position`` to ``last_position`` in ``spans``
    separate stretches; ``weights`` is its weight trajectory (``None`` when no weight was recorded)."""

    name: str
    uses: int
    first_position: int
    last_position: int
    spans: int
    weights: ParameterTrajectory | None


@dataclass(slots=True)
class _Run:
    value: ParameterValue
    first: int
    last: int
    count: int


def min_hold_uses(count: int) -> int:
    """Assets a run needs to stay a hold segment when a trajectory must be compressed (≥ 3, ≥ 2 %)."""
    return max(3, math.ceil(count / 50))


def parameter_trajectory(
    name: str, positions: Sequence[int], values: Sequence[ParameterValue], *, numeric: bool
) -> ParameterTrajectory | None:
    """The trajectory of the parameter whose value at 1-based ``positions[i]`` is ``values[i]``
    (positions ascending, only assets that have a value); ``None`` when there are no values."""
    if not values:
        return None
    runs = _runs(positions, values)
    uses = Counter(values)
    first_use = {value: order for order, value in enumerate(dict.fromkeys(values))}
    by_use = sorted(uses.items(), key=lambda item: (-item[1], first_use[item[0]]))
    if numeric:
        numbers = [float(value) for value in uses]
        low: float | None = min(numbers)
        high: float | None = max(numbers)
        listed = (
            tuple(sorted(uses.items(), key=lambda item: float(item[0])))
            if len(uses) <= MAX_LISTED_NUMERIC_VALUES
            else ()
        )
    else:
        low = high = None
        listed = tuple(by_use)
    return ParameterTrajectory(
        name=name,
        numeric=numeric,
        count=len(values),
        distinct=len(uses),
        changes=len(runs) - 1,
        low=low,
        high=high,
        most_used=by_use[0],
        values=listed,
        segments=_segments(runs, len(values), numeric=numeric),
    )


def numeric_value(value: float) -> int | float:
    """A numeric parameter value as the facts hold it."""
    return plain_number(value)


def lora_trajectories(
    loras_per_asset: Sequence[Sequence[tuple[str, float | None]]],
) -> tuple[LoraTrajectory, ...]:
    """Each LoRA named in ``loras_per_asset`` (one sequence of (name, weight) per asset, stream
    order), in order of first use."""
    positions: dict[str, list[int]] = {}
    weighted_positions: dict[str, list[int]] = {}
    weights: dict[str, list[ParameterValue]] = {}
    shown: dict[float, ParameterValue] = {}
    for index, loras in enumerate(loras_per_asset):
        for name, weight in loras:
            seen = positions.setdefault(name, [])
            if seen and seen[-1] == index + 1:
                continue  # the same LoRA twice on one asset: the first counts
            seen.append(index + 1)
            if weight is not None and math.isfinite(weight):
                value = shown.get(weight)
                if value is None:
                    value = shown[weight] = numeric_value(weight)
                weighted_positions.setdefault(name, []).append(index + 1)
                weights.setdefault(name, []).append(value)
    trajectories: list[LoraTrajectory] = []
    for name, used_at in positions.items():
        spans = 1 + sum(1 for before, after in itertools.pairwise(used_at) if after != before + 1)
        trajectories.append(
            LoraTrajectory(
                name=name,
                uses=len(used_at),
                first_position=used_at[0],
                last_position=used_at[-1],
                spans=spans,
                weights=parameter_trajectory(
                    "weight", weighted_positions.get(name, []), weights.get(name, []), numeric=True
                ),
            )
        )
    return tuple(trajectories)


def _runs(positions: Sequence[int], values: Sequence[ParameterValue]) -> list[_Run]:
    """Stretches of one value; found from the change points only (sessions hold values for long)."""
    changes = [index for index in range(1, len(values)) if values[index] != values[index - 1]]
    starts = [0, *changes]
    ends = [*changes, len(values)]
    return [
        _Run(values[start], positions[start], positions[end - 1], end - start)
        for start, end in zip(starts, ends, strict=True)
    ]


def _segments(runs: list[_Run], count: int, *, numeric: bool) -> tuple[TrajectorySegment, ...]:
    if len(runs) <= MAX_SEGMENTS:
        return tuple(_segment(runs[index : index + 1], numeric=numeric) for index in range(len(runs)))
    threshold = min_hold_uses(count)
    long_runs = [index for index, run in enumerate(runs) if run.count >= threshold]
    long_runs.sort(key=lambda index: (-runs[index].count, index))
    anchors = sorted(long_runs[: (MAX_SEGMENTS - 1) // 2])
    segments: list[TrajectorySegment] = []
    start = 0
    for anchor in [*anchors, len(runs)]:
        if anchor > start:
            segments.append(_segment(runs[start:anchor], numeric=numeric))
        if anchor < len(runs):
            segments.append(_segment(runs[anchor : anchor + 1], numeric=numeric))
        start = anchor + 1
    return tuple(segments)


def _segment(runs: list[_Run], *, numeric: bool) -> TrajectorySegment:
    uses: Counter[ParameterValue] = Counter()
    for run in runs:
        uses[run.value] += run.count
    if numeric:
        numbers = [float(value) for value in uses]
        low: float | None = min(numbers)
        high: float | None = max(numbers)
        mix: tuple[tuple[ParameterValue, int], ...] = ()
    else:
        low = high = None
        first_use: dict[ParameterValue, int] = {}
        for index, run in enumerate(runs):
            first_use.setdefault(run.value, index)
        ranked = sorted(uses.items(), key=lambda item: (-item[1], first_use[item[0]]))
        mix = tuple(ranked[:MAX_MIX_VALUES]) if len(uses) > 1 else ()
    return TrajectorySegment(
        first_position=runs[0].first,
        last_position=runs[-1].last,
        count=sum(run.count for run in runs),
        changes=len(runs) - 1,
        distinct=len(uses),
        first_value=runs[0].value,
        last_value=runs[-1].value,
        low=low,
        high=high,
        mix=mix,
    )
