"""Seeds tried in a session: how many, which were reused, and the habit behind them.

The *pattern* reads consecutive assets that both have a seed (``pairs`` of them):

- ``fixed``: one seed for every asset;
- ``mostly_fixed``: at least 60 % of pairs keep the seed;
- ``incrementing``: at least 50 % of pairs step the seed by +1 (batches in Automatic1111 and kin);
- ``random``: at least 90 % of the assets have a seed of their own;
- ``mixed``: anything else (new seeds with some reuse);
- ``single``: only one asset has a seed; ``none``: no asset has one.

``most_reused`` lists up to :data:`MAX_REUSED_SEEDS` seeds used on two assets or more, most used
first (ties: first use). ``longest_fixed_run`` is the longest stretch of consecutive seeded assets
sharing one seed (at least two assets), with 1-based positions.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

MAX_REUSED_SEEDS = 5
MOSTLY_FIXED_SHARE = 0.6
INCREMENTING_SHARE = 0.5
RANDOM_DISTINCT_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class FixedSeedRun:
    seed: int
    first_position: int
    last_position: int
    count: int


@dataclass(frozen=True, slots=True)
class SeedFacts:
    assets_with_seed: int
    distinct: int
    pattern: str
    most_reused: tuple[tuple[int, int], ...]
    longest_fixed_run: FixedSeedRun | None


def seed_facts(seeds: Sequence[int | None]) -> SeedFacts:
    """Seed facts for one seed (or ``None``) per asset, in stream order."""
    positions = [index + 1 for index, seed in enumerate(seeds) if seed is not None]
    present = [seed for seed in seeds if seed is not None]
    uses = Counter(present)
    first_use: dict[int, int] = {}
    for index, seed in enumerate(present):
        first_use.setdefault(seed, index)
    reused = sorted(
        ((seed, count) for seed, count in uses.items() if count >= 2),
        key=lambda item: (-item[1], first_use[item[0]]),
    )
    return SeedFacts(
        assets_with_seed=len(present),
        distinct=len(uses),
        pattern=_pattern(present, len(uses)),
        most_reused=tuple(reused[:MAX_REUSED_SEEDS]),
        longest_fixed_run=_longest_fixed_run(positions, present),
    )


def _pattern(present: list[int], distinct: int) -> str:
    if not present:
        return "none"
    if len(present) == 1:
        return "single"
    if distinct == 1:
        return "fixed"
    pairs = len(present) - 1
    kept = sum(1 for before, after in itertools.pairwise(present) if after == before)
    stepped = sum(1 for before, after in itertools.pairwise(present) if after == before + 1)
    if kept >= MOSTLY_FIXED_SHARE * pairs:
        return "mostly_fixed"
    if stepped >= INCREMENTING_SHARE * pairs:
        return "incrementing"
    if distinct >= RANDOM_DISTINCT_SHARE * len(present):
        return "random"
    return "mixed"


def _longest_fixed_run(positions: list[int], present: list[int]) -> FixedSeedRun | None:
    best: FixedSeedRun | None = None
    start = 0
    for index in range(1, len(present) + 1):
        if index < len(present) and present[index] == present[start]:
            continue
        length = index - start
        if length >= 2 and (best is None or length > best.count):
            best = FixedSeedRun(present[start], positions[start], positions[index - 1], length)
        start = index
    return best
