"""How numbers appear in the facts: integral values as ``int``, others rounded to 3 decimals.

One rule for every number the facts hold, so that the JSON, the prompt and the grounding vocabulary
agree on the exact value a reader sees (``7.0`` is shown and matched as ``7``; a bracket weight of
``1/1.1`` as ``0.909``).
"""

from __future__ import annotations

from datetime import datetime

DECIMALS = 3


def plain_number(value: float) -> int | float:
    """``value`` as shown in the facts: an ``int`` when integral, else a float rounded to 3 decimals."""
    rounded = round(float(value), DECIMALS)
    if rounded.is_integer():
        return int(rounded)
    return rounded


def minutes_between(start: datetime | None, end: datetime | None) -> float:
    """Minutes from ``start`` to ``end`` rounded to 0.1 (0 when either is unknown or ``end`` is earlier)."""
    if start is None or end is None:
        return 0.0
    return max(0.0, round((end - start).total_seconds() / 60.0, 1))
