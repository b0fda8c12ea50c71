"""Fixture images copied the way a generator would have written them: one file every ``spacing``.

A bulk copy gives every file the same mtime, and files of different tools or models that share a
copy moment are, rightly, not given that moment as their generation time
(``engine.copy_times``). Tests that need such files clustered copy them with this helper,
which spaces their mtimes as an artist's evening would.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

EVENING = datetime(2026, 3, 14, 20, 0, tzinfo=UTC)


def space_mtimes(
    paths: Iterable[Path], *, start: datetime = EVENING, spacing: timedelta = timedelta(seconds=40)
) -> None:
    """Give ``paths`` mtimes ``spacing`` apart from ``start`` (in the order given)."""
    for index, path in enumerate(paths):
        moment = (start + index * spacing).timestamp()
        os.utime(path, (moment, moment))


def copy_as_generated(
    sources: Iterable[Path],
    target: Path,
    *,
    start: datetime = EVENING,
    spacing: timedelta = timedelta(seconds=40),
) -> list[Path]:
    """Copy ``sources`` into ``target`` (created if needed) with mtimes ``spacing`` apart."""
    target.mkdir(parents=True, exist_ok=True)
    copies = [Path(shutil.copy(source, target / source.name)) for source in sources]
    space_mtimes(copies, start=start, spacing=spacing)
    return copies
