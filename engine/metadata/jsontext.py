"""Bounded JSON decoding for metadata values: never raises, rejects documents nested too deeply."""

from __future__ import annotations

import json
from typing import Any

from engine.metadata.limits import MAX_JSON_DEPTH


class JsonRefused(ValueError):
    """Not JSON, or nested deeper than :data:`~engine.metadata.limits.MAX_JSON_DEPTH`."""


def _depth_ok(text: str, limit: int) -> bool:
    """Cheap pre-scan of bracket depth (ignores brackets inside strings) so ``json`` never recurses deeply."""
    depth = 0
    in_string = False
    escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return False
        elif char in "]}":
            depth -= 1
    return True


def loads_bounded(text: str, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that raises only :class:`JsonRefused` (bad JSON or too deep)."""
    stripped = text.strip(" \t\r\n\x00").lstrip("\ufeff")
    if not stripped or stripped[0] not in "[{":
        raise JsonRefused("not a JSON object or array")
    # Fast path: count brackets only when there are many of them.
    if stripped.count("[") + stripped.count("{") > limit and not _depth_ok(stripped, limit):
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
