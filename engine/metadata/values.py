"""Lenient conversion of metadata values (strings, numbers, JSON scalars) to record field types, and
the bounded split of a text into its parts (:func:`leading_parts`).

Every function returns ``None`` instead of raising when the value does not fit; booleans are never
taken as numbers. An integer is at most ``engine.records.MAX_INT_BITS`` bits wide (a wider one is no
value): JSON allows integers of thousands of digits, and one of them as a width, a step count or a
seed reached every later step, where turning it into a float raises ``OverflowError`` (``atelier
analyze`` ended with a traceback).
"""

from __future__ import annotations

import math
from typing import Any

from engine.records import MAX_INT_BITS


def as_int(value: Any) -> int | None:
    """An integer from an int, an integral float or a decimal string (``"30"``, ``"30.0"``), of at
    most :data:`MAX_INT_BITS` bits."""
    number = _any_int(value)
    return number if number is not None and number.bit_length() <= MAX_INT_BITS else None


def _any_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 40:
            return None
        try:
            return int(text)
        except ValueError:
            number = as_float(text)
            return int(number) if number is not None and number.is_integer() else None
    return None


def as_float(value: Any) -> float | None:
    """A finite float from a number or a numeric string."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer past a float's range: JSON writes 10**400 in 401 digits
            return None
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 40:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_text(value: Any) -> str | None:
    """A non-empty string, or ``None``; numbers are formatted, containers are not text."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    return None


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a JSON list, else an empty list."""
    return value if isinstance(value, list) else []


def leading_parts(text: str, separator: str, most: int) -> list[str]:
    """The first ``most`` parts of ``text`` split at ``separator`` (all of them when there are no more
    than ``most``); the text after them is never split, so a text of millions of separators costs
    ``most`` strings, not millions."""
    return text.split(separator, most)[:most]
