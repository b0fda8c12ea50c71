"""Lists of problems or warnings on the console: the first ones, then how many more."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from rich.console import Console

Item = TypeVar("Item")


def print_first(
    console: Console, items: Sequence[Item], limit: int, line: Callable[[Item], str], more: str
) -> None:
    """``line(item)`` (rich markup, its data escaped) for the first ``limit`` items, then ``more``
    formatted with how many were left out (``"… and {} more problems"``) when any were. Only the lines
    printed are formatted: a file of a million bad lines costs no more than one of 200."""
    for item in items[:limit]:
        console.print(line(item), highlight=False)
    if len(items) > limit:
        console.print(more.format(len(items) - limit), highlight=False)
