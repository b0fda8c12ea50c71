"""Counts with their noun in the right number, for messages ("1 file", "2 files", "0 files")."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, made plural (``plural``, else ``noun`` + "s") unless ``count`` is 1."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
