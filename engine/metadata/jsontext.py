"""Bounded JSON decoding for metadata values: never raises, rejects documents nested too deeply."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from engine.metadata.limits import MAX_JSON_CONTAINERS, MAX_JSON_DEPTH, MAX_JSON_ITEMS


class JsonRefused(ValueError):
    """Not JSON, nested deeper than :data:`~engine.metadata.limits.MAX_JSON_DEPTH`, or holding more arrays
    and objects than :data:`~engine.metadata.limits.MAX_JSON_CONTAINERS` or more commas than
    :data:`~engine.metadata.limits.MAX_JSON_ITEMS`."""


_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def bracket_depth(text: str) -> int:
    """Deepest ``[``/``{`` nesting, counting brackets inside strings too (an upper bound), in C speed."""
    steps = _OPEN[np.frombuffer(text.encode("utf-8", errors="replace"), dtype=np.uint8)]
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0))


def loads_bounded(text: str, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that raises only :class:`JsonRefused` (bad JSON, too deep, or too many arrays and
    objects or items: the parse's memory)."""
    stripped = text.strip(" \t\r\n\x00").lstrip("\ufeff")
    if not stripped or stripped[0] not in "[{":
        raise JsonRefused("not a JSON object or array")
    containers = stripped.count("[") + stripped.count("{")
    if containers > MAX_JSON_CONTAINERS:
        raise JsonRefused(f"JSON of more than {MAX_JSON_CONTAINERS} arrays and objects")
    if stripped.count(",") > MAX_JSON_ITEMS:
        raise JsonRefused(f"JSON of more than {MAX_JSON_ITEMS} items")
    # Only documents with many brackets can be too deep; the check over-counts brackets inside
    # strings, which only matters for > limit unbalanced brackets in prose.
    if containers > limit and bracket_depth(stripped) > limit:
        raise JsonRefused(f"JSON nested deeper than {limit} levels")
    try:
        return json.loads(stripped, parse_constant=_constant_to_none)
    except (ValueError, RecursionError) as exc:
        raise JsonRefused(f"invalid JSON ({type(exc).__name__}: {str(exc)[:80]})") from None


def _constant_to_none(_name: str) -> Any:
    """``NaN``/``Infinity`` (written by Python's ``json.dumps``) become ``None``."""
    return None


def try_json_object(text: str | None) -> dict[str, Any] | None:
    """The JSON object in ``text``, or ``None`` when it is absent, invalid or not an object."""
    if not text:
        return None
    try:
        value = loads_bounded(text)
    except JsonRefused:
        return None
    return value if isinstance(value, dict) else None
