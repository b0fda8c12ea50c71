"""Cutting text to a length a reader (a label, an LLM prompt) can take."""

from __future__ import annotations

ELLIPSIS = "…"


def cut_text(text: str, max_chars: int | None) -> str:
    """``text`` at most ``max_chars`` long, cut at a word boundary when possible and ending in ``…``."""
    if max_chars is None or len(text) <= max_chars:
        return text
    head = text[: max(1, max_chars - 1)]
    if " " in head.strip():
        head = head[: head.rstrip().rfind(" ")]
    return head.rstrip(" ,;") + ELLIPSIS
