"""When a time can be a generation time at all: one window, applied to every time source.

A time is credible only inside ``[MIN_YEAR-01-01, now + CLOCK_TOLERANCE]``:

- nothing generated an AI image before :data:`MIN_YEAR` — an earlier time is a reset or missing clock
  (``1970-01-01``, time_t 0; ``1980-01-01``, a ZIP entry without a date; a camera's ``0000``), never a
  generation time;
- nothing is generated in the future — a later time is a wrong clock. :data:`CLOCK_TOLERANCE` of slack
  covers time zones (a naive time read in the wrong zone) and clock skew.

:mod:`engine.metadata.timestamps` applies :func:`implausible` to the tool's own time, EXIF and XMP
``DateTimeOriginal``, the file name's time and the mtime alike; a time outside the window is no time
(the next source is tried) and the reason is kept (``extra["time_rejected"]``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

MIN_YEAR = 2000
"""The earliest credible year (also the lowest year a file name's digits are read as a date)."""
MAX_YEAR = 2100
"""The latest year a date is parsed in at all (a far-future year is also caught by the clock rule)."""
EARLIEST_TWO_DIGIT_YEAR = 2021
"""The earliest year a two-digit year (ComfyUI's ``%date:yy%``) is read as: image generators that save
files by date appeared in 2021 (VQGAN+CLIP notebooks, then Disco Diffusion and Stable Diffusion). A
date such as ``25-03-04`` is 2025-03-04 (``yy-MM-dd``), never 2004-03-25 (``dd-MM-yy``) nor year 25;
a two-digit year is never read before this year."""
CLOCK_TOLERANCE = timedelta(days=1)
"""Slack for time zones and clock skew before a time counts as future (or an mtime as a later copy)."""


def implausible(label: str, value: datetime, now: datetime) -> str | None:
    """Why ``value`` (aware; ``label`` names its source) cannot be a generation time, or ``None``."""
    if value.year < MIN_YEAR:
        return (
            f"{label} {value.isoformat()} is before {MIN_YEAR} "
            "(a reset clock or an archive without dates, not a generation time)"
        )
    if value.year > MAX_YEAR or value > now + CLOCK_TOLERANCE:
        return f"{label} {value.isoformat()} is in the future"
    return None
