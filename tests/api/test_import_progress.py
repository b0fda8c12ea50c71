"""``atelier import``'s progress lines on stderr (plain, not a terminal): what the thumbnail phase says
when some or all thumbnails cannot be made."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from api.import_progress import ImportProgress


def _lines(*thumbnail_calls: tuple[int, int, int], files: int = 1) -> list[str]:
    out = io.StringIO()
    with ImportProgress(Console(file=out, width=200), live=False) as progress:
        progress.files(files)
        for call in thumbnail_calls:
            progress.thumbnails(*call)
    return [re.sub(r"\d+\.\d s", "T s", line) for line in out.getvalue().splitlines()]


@pytest.mark.parametrize(
    ("calls", "last"),
    [
        ([(0, 3, 0), (3, 3, 0)], "thumbnails: 3/3 made in T s; re-clustering with their visual descriptors"),
        (
            [(0, 3, 0), (3, 3, 1)],
            "thumbnails: 2/3 made in T s (1 could not be made); re-clustering with their visual descriptors",
        ),
        ([(0, 1, 0), (1, 1, 1)], "thumbnails: 0/1 made in T s (1 could not be made)"),  # no re-clustering
    ],
    ids=["all-made", "one-failed", "none-made"],
)
def test_the_thumbnail_phase_ends_saying_what_could_not_be_made(
    calls: list[tuple[int, int, int]], last: str
) -> None:
    lines = _lines(*calls)
    assert lines[0].startswith("1 file read; sessions ready after T s; making ")
    assert lines[-1] == last


def test_counts_take_the_right_number() -> None:
    assert _lines((0, 1, 0), files=1)[0] == "1 file read; sessions ready after T s; making 1 thumbnail"
    assert _lines((0, 2, 0), files=2)[0] == "2 files read; sessions ready after T s; making 2 thumbnails"
