"""Dates and times written into file names (the writer's wall clock: always naive here).

:func:`filename_time` tries the patterns below in this order and returns the first valid match of
the first pattern that has one (a name holding both a date-time and a bare date gives the date-time):

1. 12-hour clocks, before anything else so that ``10.15.42 PM`` is never read as 10:15:
   - macOS screenshots ``Screenshot 2025-06-12 at 9.07.45 PM.png`` (also ``Screen Shot …``): a one- or
     two-digit hour, then a plain space, U+202F (macOS 13+) or U+00A0, or nothing, before ``AM``/``PM``;
   - ChatGPT downloads ``ChatGPT Image Jun 13, 2025, 11_02_09 PM.png``: English month abbreviation, day
     without padding, ``_`` for ``:``, the same spaces before ``AM``/``PM``.
   ``12 AM`` is midnight, ``12 PM`` noon; an hour of 0 or above 12 with ``AM``/``PM`` is no time.
2. Date-times (:data:`_NAME_DATETIME`): ``20250321072508``, ``20250321_072508``,
   ``2025-03-21_07-25-08``, ``2025-03-03T193009.186`` (fraction: millisecond precision),
   ``2025-03-03 19:30:09``, ``2024-11-02 at 10.15.42`` (macOS, 24-hour clock).
3. Dates alone, **day precision** (the caller places the day with the mtime, see
   :mod:`engine.metadata.timestamps`): ``2024-05-18`` / ``2024_05_18`` / ``2024.05.18`` (one separator
   throughout, no digit on either side), and the compact ``20250613`` only with no letter or digit on
   either side (``IMG-20250613-WA0003.jpg`` from WhatsApp, ``CR_20250612_00001_.png`` from
   Comfyroll's ``yyyyMMdd`` prefix, ``Screenshot_20250613-…``). A compact date in the seed slot of an
   A1111 name (``00042-20240518.png``: ``[number]-[seed]``) is a seed, not a date, even when the file
   carries no metadata.

Digits that spell the tool's recorded seed exactly are never a time (see :func:`filename_time`).

:func:`name_time_of_day` reads a time of day that *starts* the name, for a name whose day is kept
elsewhere (the folder, the tool's own date; see :mod:`engine.metadata.timestamps`) — never a time on
its own:

- ComfyUI's ``%date:yyyy-MM-dd%/%date:hhmmss%`` prefix (VideoHelperSuite's default, common with
  ``SaveImage``): ``143015_00001_.png`` — ``HHMMSS`` (or ``HH-MM-SS``, ``HH_MM_SS``, ``HH.MM.SS``)
  and then no digit: **second** precision;
- SwarmUI's default ``raw/[year]-[month]-[day]/[hour][minute][request_time_inc]-[prompt]-[model]``:
  ``1230001-a cat-model.png`` — ``HHMM``, exactly three digits of its per-minute counter, then ``-``:
  **minute** precision.

The frontend or server writes both from the local clock when the request is made (so the file's
mtime, written when the image is saved, is at or after it).

Years outside :data:`~engine.metadata.time_bounds.MIN_YEAR`–``MAX_YEAR`` are not dates in a name (a
number that happens to start with 19); an impossible day (30 February) or time is no time, and the
next match is tried. Whether a valid time is credible (not in the future) is judged by the caller
like every other source.
"""

from __future__ import annotations

import re
from datetime import datetime, time

from engine.metadata.time_bounds import MAX_YEAR, MIN_YEAR
from engine.records import TimePrecision

_AM_PM_SPACE = "[ \u202f\u00a0]?"
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1
    )
}

_MACOS_12_HOUR = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})-(?P<mo>\d{2})-(?P<d>\d{2}) at "
    r"(?P<h>\d{1,2})\.(?P<mi>\d{2})\.(?P<s>\d{2})" + _AM_PM_SPACE + r"(?P<ampm>[AP]M)(?![A-Za-z])"
)
_CHATGPT_12_HOUR = re.compile(
    r"(?<![A-Za-z])(?P<mon>" + "|".join(_MONTHS) + r") (?P<d>\d{1,2}), (?P<y>(?:19|20)\d{2}), "
    r"(?P<h>\d{1,2})_(?P<mi>\d{2})_(?P<s>\d{2})" + _AM_PM_SPACE + r"(?P<ampm>[AP]M)(?![A-Za-z])"
)
# 20250321072508, 20250321_072508, 2025-03-21_07-25-08, 2025-03-03T193009.186, 2025-03-03 19:30:09,
# "2024-11-02 at 10.15.42" (macOS screenshots, 24-hour clock)
_NAME_DATETIME = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})[-_.]?(?P<mo>\d{2})[-_.]?(?P<d>\d{2})(?:[T_\- ]| at )?"
    r"(?P<h>\d{2})[-_.:]?(?P<mi>\d{2})[-_.:]?(?P<s>\d{2})(?:[.,](?P<f>\d{1,6}))?(?!\d)"
)
_NAME_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<sep>[-_.])(?P<mo>\d{2})(?P=sep)(?P<d>\d{2})(?!\d)")
_NAME_COMPACT_DATE = re.compile(
    r"(?<![0-9A-Za-z])(?P<y>(?:19|20)\d{2})(?P<mo>\d{2})(?P<d>\d{2})(?![0-9A-Za-z])"
)
_CLOCK_FIRST = re.compile(r"(?P<h>[01]\d|2[0-3])(?P<sep>[-_.]?)(?P<mi>[0-5]\d)(?P=sep)(?P<s>[0-5]\d)(?!\d)")
"""``%date:hhmmss%`` (or with one separator throughout) starting the name."""
_SWARM_MINUTE_FIRST = re.compile(r"(?P<h>[01]\d|2[0-3])(?P<mi>[0-5]\d)\d{3}-")
"""SwarmUI's ``[hour][minute][request_time_inc]-`` starting the name (the counter is ``000``-formatted)."""
_A1111_SEED_SLOT = re.compile(r"\d{4,}-")
"""What precedes the seed in A1111's default ``[number]-[seed]`` name."""


def filename_time(file_name: str, *, seed: int | None = None) -> tuple[datetime, TimePrecision] | None:
    """A date-time or a date in the file name (naive: the writer's wall clock), or ``None``.

    Day-precision results are midnight of that day with :attr:`TimePrecision.DAY`. Digits that are
    exactly the tool's recorded ``seed`` are the seed, not a time (A1111's ``[seed]``, ComfyUI's
    ``%KSampler.seed%`` in a ``filename_prefix``).
    """
    for pattern in (_MACOS_12_HOUR, _CHATGPT_12_HOUR):
        for match in pattern.finditer(file_name):
            value = _twelve_hour(match)
            if value is not None:
                return value, TimePrecision.SECOND
    seed_digits = None if seed is None else str(seed)
    for match in _NAME_DATETIME.finditer(file_name):
        if match[0] == seed_digits:
            continue
        value = _valid(match["y"], match["mo"], match["d"], match["h"], match["mi"], match["s"])
        if value is None:
            continue
        fraction = match["f"]
        if fraction:
            return value.replace(microsecond=int(fraction.ljust(6, "0"))), TimePrecision.MILLISECOND
        return value, TimePrecision.SECOND
    for match in _NAME_DATE.finditer(file_name):
        value = _valid(match["y"], match["mo"], match["d"])
        if value is not None:
            return value, TimePrecision.DAY
    for match in _NAME_COMPACT_DATE.finditer(file_name):
        if match[0] == seed_digits or _A1111_SEED_SLOT.fullmatch(file_name, 0, match.start()):
            continue
        value = _valid(match["y"], match["mo"], match["d"])
        if value is not None:
            return value, TimePrecision.DAY
    return None


def name_time_of_day(file_name: str, *, seed: int | None = None) -> tuple[time, TimePrecision] | None:
    """The wall-clock time of day that starts ``file_name`` (see the module docstring), or ``None``.

    Never a time on its own: the caller combines it with a day from elsewhere. Leading digits that
    are exactly the tool's recorded ``seed`` (a ``%KSampler.seed%`` prefix) are the seed, not a time.
    """
    leading = re.match(r"\d+", file_name)
    if leading is not None and seed is not None and leading[0] == str(seed):
        return None
    clock = _CLOCK_FIRST.match(file_name)
    if clock is not None:
        return time(int(clock["h"]), int(clock["mi"]), int(clock["s"])), TimePrecision.SECOND
    swarm = _SWARM_MINUTE_FIRST.match(file_name)
    if swarm is not None:
        return time(int(swarm["h"]), int(swarm["mi"])), TimePrecision.MINUTE
    return None


def _twelve_hour(match: re.Match[str]) -> datetime | None:
    hour = int(match["h"])
    if not 1 <= hour <= 12:
        return None
    hour = hour % 12 + (12 if match["ampm"] == "PM" else 0)
    month = str(_MONTHS[match["mon"]]) if "mon" in match.groupdict() else match["mo"]
    return _valid(match["y"], month, match["d"], str(hour), match["mi"], match["s"])


def _valid(
    year: str, month: str, day: str, hour: str = "0", minute: str = "0", second: str = "0"
) -> datetime | None:
    """The naive date-time, or ``None`` when it names no real moment or its year is out of range."""
    try:
        value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None
    return value if MIN_YEAR <= value.year <= MAX_YEAR else None
