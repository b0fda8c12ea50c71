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
   ``2025-03-03 19:30:09``, ``2024-11-02 at 10.15.42`` (macOS, 24-hour clock); A1111's
   ``[datetime<%Y%m%d_%H%M%S_%f>]`` — six digits after ``_`` are microseconds (millisecond precision)
   unless they are the recorded seed. Then chat apps' save stamps with the milliseconds run into the
   seconds after an ``_`` (:data:`_NAME_DATETIME_MILLIS`, millisecond precision): KakaoTalk's
   ``KakaoTalk_20251120_211405123.jpg`` (``_01``… for the photos of one message) and pasted images
   named ``image_2025-11-20_211405123.png``. Then ComfyUI's unpadded ``%date:yyyy-M-d_h-m-s%``
   (``2025-3-6_9-5-7``: a separator between every part) and two-digit years
   ``%date:yyMMdd-hhmmss%`` (``250307-143015``), read only when exactly one of ``yyMMdd`` / ``ddMMyy``
   gives a year from :data:`~engine.time_bounds.EARLIEST_TWO_DIGIT_YEAR` (never year 25).
   Then SwarmUI's ComfyUI-workflow-tab names
   ``comfy-workflow-[year]-[month]-[day]-[hour][minute][request_time_inc]-[number]``
   (``comfy-workflow-2025-03-04-1530001-1.png``): **minute** precision.
3. Dates alone, **day precision** (the caller places the day with the mtime, see
   :mod:`engine.metadata.timestamps`): ``2024-05-18`` / ``2024_05_18`` / ``2024.05.18`` (one separator
   throughout, no digit on either side), and the compact ``20250613`` only with no letter or digit on
   either side (``IMG-20250613-WA0003.jpg`` from WhatsApp, ``CR_20250612_00001_.png`` from
   Comfyroll's ``yyyyMMdd`` prefix, ``Screenshot_20250613-…``). A compact date in the seed slot of an
   A1111 name (``00042-20240518.png``: ``[number]-[seed]``) or in NovelAI's ``… s-<seed>`` slot
   (``a lighthouse s-20240611.png``) is a seed, not a date, even when the file carries no metadata.

Digits that spell the tool's recorded seed exactly are never a time (see :func:`filename_time`).

:func:`name_time_of_day` reads a time of day that *starts* the name, for a name whose day is kept
elsewhere (the folder, the tool's own date; see :mod:`engine.metadata.timestamps`) — never a time on
its own:

- ComfyUI's ``%date:yyyy-MM-dd%/%date:hhmmss%`` prefix (VideoHelperSuite's default, common with
  ``SaveImage``): ``143015_00001_.png`` — ``HHMMSS`` (or ``HH-MM-SS``, ``HH_MM_SS``, ``HH.MM.SS``)
  and then no digit: **second** precision; with a separator the parts may lack their leading zero
  (``%date:h-mm-ss%`` → ``9-05-07_00001_.png``);
- SwarmUI's default ``raw/[year]-[month]-[day]/[hour][minute][request_time_inc]-[prompt]-[model]``:
  ``1230001-a cat-model.png`` — ``HHMM``, exactly three digits of its per-minute counter, then ``-``:
  **minute** precision.

The frontend or server writes both from the local clock when the request is made (so the file's
mtime, written when the image is saved, is at or after it).

:func:`folder_dates` reads the dates a whole folder name can stand for (``%date:…%`` and
``[datetime<…>]`` folders: ``2025-03-04``, ``2025-3-4``, ``3-14-2025``, ``18.03.2025``, ``25-03-04``):
several when the order of day and month (or of a two-digit year) is open — the caller decides.

:func:`easy_diffusion_stamp` reads Easy Diffusion's ``$tsb64`` (an epoch time, not a wall clock), and
:func:`name_epoch_time` WeChat's ``mmexport<Unix epoch in milliseconds>.jpg`` save names and the Stability
SDK CLI's ``generation_<prompt>_<Unix epoch in seconds>_<index>.png`` artifact names (instants).

Years outside :data:`~engine.time_bounds.MIN_YEAR`–``MAX_YEAR`` are not dates in a name (a
number that happens to start with 19); an impossible day (30 February) or time is no time, and the
next match is tried. Whether a valid time is credible (not in the future) is judged by the caller
like every other source.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from engine.records import TimePrecision
from engine.time_bounds import EARLIEST_TWO_DIGIT_YEAR, MAX_YEAR, MIN_YEAR

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
_NAME_DATETIME_MILLIS = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<sep>[-_.]?)(?P<mo>\d{2})(?P=sep)(?P<d>\d{2})_"
    r"(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})(?P<f>\d{3})(?!\d)"
)
"""``yyyyMMdd_HHmmssSSS`` / ``yyyy-MM-dd_HHmmssSSS``: nine digits of time (milliseconds last) after an
``_`` (KakaoTalk's ``KakaoTalk_20251120_211405123.jpg``, pasted ``image_2025-11-20_211405123.png``)."""
_WECHAT_EXPORT = re.compile(r"mmexport(?P<ms>1\d{12})(?!\d)")
"""WeChat's save name ``mmexport1763673245123.jpg``: the Unix epoch in milliseconds (13 digits)."""
_STABILITY_SDK_NAME = re.compile(r"generation_.*_(?P<s>1\d{9})_\d{1,4}\.[0-9A-Za-z]{1,5}", re.DOTALL)
"""The Stability SDK CLI's artifact name (``stability_sdk.utils.truncate_fit`` with the CLI's default
``--prefix generation_``): ``generation_<prompt, truncated>_<int(time.time())>_<index><ext>`` — the Unix
epoch in seconds when the artifact arrived, so an instant (the prompt part may be empty or hold ``_``)."""
_NAME_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<sep>[-_.])(?P<mo>\d{2})(?P=sep)(?P<d>\d{2})(?!\d)")
_NAME_COMPACT_DATE = re.compile(
    r"(?<![0-9A-Za-z])(?P<y>(?:19|20)\d{2})(?P<mo>\d{2})(?P<d>\d{2})(?![0-9A-Za-z])"
)
_NAME_DATETIME_UNPADDED = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<sep>[-_.])(?P<mo>\d{1,2})(?P=sep)(?P<d>\d{1,2})[T_\- ]"
    r"(?P<h>\d{1,2})(?P<tsep>[-_.:])(?P<mi>\d{1,2})(?P=tsep)(?P<s>\d{1,2})(?!\d)"
)
"""``%date:yyyy-M-d_h-m-s%``: no leading zeros, a separator between every part."""
_NAME_SHORT_YEAR_DATETIME = re.compile(
    r"(?<![0-9A-Za-z])(?P<a>\d{2})(?P<b>\d{2})(?P<c>\d{2})[-_T ](?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})(?!\d)"
)
"""``%date:yyMMdd-hhmmss%`` (``yyMMdd`` or ``ddMMyy`` and a time, one separator between)."""
_MICROSECONDS_AFTER = re.compile(r"_(?P<f>\d{6})(?![\d_])")
"""A1111's ``%f`` after a date-time: ``20250301_101531_123456`` (not a ComfyUI counter ``_100000_``)."""
_SWARM_DATE_MINUTE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})-(?P<mo>\d{2})-(?P<d>\d{2})-(?P<h>[01]\d|2[0-3])(?P<mi>[0-5]\d)\d{3}-"
)
"""SwarmUI's ``[year]-[month]-[day]-[hour][minute][request_time_inc]-`` inside a name."""
_NOVELAI_SEED_SLOT = re.compile(r"(?:^|[ _])s-$")
"""What precedes the seed in NovelAI's download names (``a fox in the snow s-987654321.png``)."""
_CLOCK_FIRST_UNPADDED = re.compile(
    r"(?P<h>[01]?\d|2[0-3])(?P<sep>[-_.])(?P<mi>[0-5]?\d)(?P=sep)(?P<s>[0-5]?\d)(?!\d)"
)
"""``%date:h-mm-ss%`` / ``%date:h-m-s%`` starting the name (the separator delimits every part)."""
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
    found = _name_datetime(file_name, seed_digits) or _name_loose_datetime(file_name, seed_digits)
    if found is not None:
        return found
    for match in _SWARM_DATE_MINUTE.finditer(file_name):
        value = _valid(match["y"], match["mo"], match["d"], match["h"], match["mi"])
        if value is not None:
            return value, TimePrecision.MINUTE
    for match in _NAME_DATE.finditer(file_name):
        value = _valid(match["y"], match["mo"], match["d"])
        if value is not None:
            return value, TimePrecision.DAY
    for match in _NAME_COMPACT_DATE.finditer(file_name):
        if match[0] == seed_digits or _in_seed_slot(file_name, match.start()):
            continue
        value = _valid(match["y"], match["mo"], match["d"])
        if value is not None:
            return value, TimePrecision.DAY
    return None


def _name_datetime(file_name: str, seed_digits: str | None) -> tuple[datetime, TimePrecision] | None:
    """The first valid :data:`_NAME_DATETIME` (its fraction, or A1111's ``_%f`` after it, gives
    millisecond precision) whose digits are not the seed, else the first valid
    :data:`_NAME_DATETIME_MILLIS` whose time digits are not the seed (``[date]_[seed]``)."""
    for match in _NAME_DATETIME.finditer(file_name):
        if match[0] == seed_digits:
            continue
        value = _valid(match["y"], match["mo"], match["d"], match["h"], match["mi"], match["s"])
        if value is None:
            continue
        fraction = match["f"]
        if not fraction:
            after = _MICROSECONDS_AFTER.match(file_name, match.end())
            fraction = after["f"] if after is not None and after["f"] != seed_digits else None
        if fraction:
            return value.replace(microsecond=int(fraction.ljust(6, "0"))), TimePrecision.MILLISECOND
        return value, TimePrecision.SECOND
    for match in _NAME_DATETIME_MILLIS.finditer(file_name):
        if seed_digits in (match[0], match["h"] + match["mi"] + match["s"] + match["f"]):
            continue
        value = _valid(match["y"], match["mo"], match["d"], match["h"], match["mi"], match["s"])
        if value is not None:
            return value.replace(microsecond=int(match["f"]) * 1000), TimePrecision.MILLISECOND
    return None


def millisecond_stamp_span(file_name: str) -> tuple[int, int] | None:
    """Where the nine time digits of the first valid :data:`_NAME_DATETIME_MILLIS` stamp lie in
    ``file_name`` (``(start, end)``), or ``None``: they are a time, never an output counter."""
    for match in _NAME_DATETIME_MILLIS.finditer(file_name):
        if _valid(match["y"], match["mo"], match["d"], match["h"], match["mi"], match["s"]) is not None:
            return match.start("h"), match.end("f")
    return None


def name_epoch_time(file_name: str, seed: int | None = None) -> tuple[datetime, TimePrecision] | None:
    """The instant (aware, UTC) of a WeChat save name ``mmexport<epoch ms>…`` at its start, millisecond
    precision, or of a Stability SDK CLI artifact name ``generation_<prompt>_<epoch s>_<index>.<ext>``
    (:data:`_STABILITY_SDK_NAME`, second precision), or ``None``. WeChat (Android) names the images a
    user saves from a chat ``mmexport`` + ``System.currentTimeMillis()``: an absolute time, not a wall
    clock. Digits that spell the recorded ``seed`` are never a time."""
    match = _WECHAT_EXPORT.match(file_name)
    if match is not None:
        value = datetime.fromtimestamp(int(match["ms"]) / 1000, UTC)
        return (value, TimePrecision.MILLISECOND) if MIN_YEAR <= value.year <= MAX_YEAR else None
    match = _STABILITY_SDK_NAME.fullmatch(file_name)
    if match is None or (seed is not None and str(seed) == match["s"]):
        return None
    value = datetime.fromtimestamp(int(match["s"]), UTC)
    return (value, TimePrecision.SECOND) if MIN_YEAR <= value.year <= MAX_YEAR else None


def _name_loose_datetime(file_name: str, seed_digits: str | None) -> tuple[datetime, TimePrecision] | None:
    """An unpadded (``2025-3-6_9-5-7``) or two-digit-year (``250307-143015``) date-time, second
    precision; a two-digit year only when one order of the date gives a credible year."""
    for match in _NAME_DATETIME_UNPADDED.finditer(file_name):
        value = _valid(match["y"], match["mo"], match["d"], match["h"], match["mi"], match["s"])
        if value is not None:
            return value, TimePrecision.SECOND
    for match in _NAME_SHORT_YEAR_DATETIME.finditer(file_name):
        digits = re.sub(r"\D", "", match[0])
        if seed_digits in (digits, digits[:6], digits[6:]):
            continue
        a, b, c = match["a"], match["b"], match["c"]
        days = _short_year_dates(((a, b, c), (c, b, a)))
        if len(days) == 1:
            day = days[0]
            value = _valid(str(day.year), str(day.month), str(day.day), match["h"], match["mi"], match["s"])
            if value is not None:
                return value, TimePrecision.SECOND
    return None


def _in_seed_slot(file_name: str, start: int) -> bool:
    """Whether the digits starting at ``start`` fill a seed slot: A1111's ``[number]-[seed]`` or
    NovelAI's ``… s-<seed>``."""
    return (
        _A1111_SEED_SLOT.fullmatch(file_name, 0, start) is not None
        or _NOVELAI_SEED_SLOT.search(file_name, 0, start) is not None
    )


def name_time_of_day(file_name: str, *, seed: int | None = None) -> tuple[time, TimePrecision] | None:
    """The wall-clock time of day that starts ``file_name`` (see the module docstring), or ``None``.

    Never a time on its own: the caller combines it with a day from elsewhere. Leading digits that
    are exactly the tool's recorded ``seed`` (a ``%KSampler.seed%`` prefix) are the seed, not a time.
    """
    leading = re.match(r"\d+", file_name)
    if leading is not None and seed is not None and leading[0] == str(seed):
        return None
    clock = _CLOCK_FIRST.match(file_name) or _CLOCK_FIRST_UNPADDED.match(file_name)
    if clock is not None:
        return time(int(clock["h"]), int(clock["mi"]), int(clock["s"])), TimePrecision.SECOND
    swarm = _SWARM_MINUTE_FIRST.match(file_name)
    if swarm is not None:
        return time(int(swarm["h"]), int(swarm["mi"])), TimePrecision.MINUTE
    return None


_FOLDER_YEAR_FIRST = re.compile(r"(?P<y>\d{4})(?P<sep>[-_.]?)(?P<mo>\d{2})(?P=sep)(?P<d>\d{2})")
_FOLDER_YEAR_FIRST_UNPADDED = re.compile(r"(?P<y>\d{4})(?P<sep>[-_])(?P<mo>\d{1,2})(?P=sep)(?P<d>\d{1,2})")
_FOLDER_YEAR_LAST = re.compile(r"(?P<a>\d{1,2})(?P<sep>[-_.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})")
_FOLDER_SHORT_YEAR = re.compile(
    r"(?P<a>\d{2})(?P<sep>[-_.])(?P<b>\d{2})(?P=sep)(?P<c>\d{2})"
    r"|(?P<ua>\d{1,2})(?P<usep>[-_])(?P<ub>\d{1,2})(?P=usep)(?P<uc>\d{1,2})"
)
"""``%date:yy-MM-dd%`` (dots too), or unpadded ``%date:M-d-yy%`` / ``%date:yy-M-d%`` with ``-`` or ``_``
(never dots: ``1.2.25`` is a version number)."""


def folder_dates(folder_name: str) -> tuple[date, ...]:
    """Every date the *whole* folder name can be, earliest first; empty when it is no date.

    - year first (``2024-05-18``, ``2024_05_18``, ``2024.05.18``, ``20240518``; ``2025-3-4`` /
      ``2025_3_4`` without leading zeros): one date, whatever its year (whether it is credible is
      the caller's call: ``1999-12-31`` is passed over with a reason);
    - year last (``%date:M-d-yyyy%`` → ``3-14-2025``, ``[datetime<%d.%m.%Y>]`` → ``18.03.2025``): month
      first and day first, each when it is a real date;
    - a two-digit year (``%date:yy-MM-dd%`` → ``25-03-04``, ``%date:M-d-yy%`` → ``1-2-25``):
      ``yy-MM-dd``, ``dd-MM-yy`` and ``MM-dd-yy``, each when its year (20yy) is from
      :data:`~engine.time_bounds.EARLIEST_TWO_DIGIT_YEAR` (``1-2-25``: January 2 or
      February 1, 2025 — for the caller to decide or refuse).

    A folder that only contains a date (``renders 2024-05-18``) is a name someone chose: no date."""
    name = folder_name.strip()
    readings: tuple[tuple[str, str, str], ...] = ()
    if match := _FOLDER_YEAR_FIRST.fullmatch(name) or _FOLDER_YEAR_FIRST_UNPADDED.fullmatch(name):
        readings = ((match["y"], match["mo"], match["d"]),)
    elif match := _FOLDER_YEAR_LAST.fullmatch(name):
        readings = ((match["y"], match["a"], match["b"]), (match["y"], match["b"], match["a"]))
    elif match := _FOLDER_SHORT_YEAR.fullmatch(name):
        a, b, c = (match["a"] or match["ua"], match["b"] or match["ub"], match["c"] or match["uc"])
        return _short_year_dates(((a, b, c), (c, b, a), (c, a, b)))
    return tuple(sorted({day for day in (_real_date(*parts) for parts in readings) if day is not None}))


def _real_date(year: str, month: str, day: str) -> date | None:
    """The date, whatever its year (the caller judges whether it is credible), or ``None``."""
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _short_year_dates(readings: tuple[tuple[str, str, str], ...]) -> tuple[date, ...]:
    """The real dates among ``(yy, month, day)`` readings whose year 20yy is credible for a two-digit
    year (:data:`~engine.time_bounds.EARLIEST_TWO_DIGIT_YEAR` on), earliest first."""
    found = set()
    for yy, month, day in readings:
        value = _valid(f"20{yy}", month, day)
        if value is not None and value.year >= EARLIEST_TWO_DIGIT_YEAR:
            found.add(value.date())
    return tuple(sorted(found))


EASY_DIFFUSION_STAMP_UNITS = 10_000
"""``$tsb64`` counts time in units of 1/10 000 s (``int(time.time() * 10000)``)."""
EASY_DIFFUSION_STAMP_PERIOD = 36**7
"""``$tsb64`` keeps the last seven base-36 digits: the stamp repeats every 36**7 units (≈ 90.7 days)."""
_EASY_DIFFUSION_UNSAFE = re.compile(r"[^a-zA-Z0-9._-]")
_EASY_DIFFUSION_STAMP = re.compile(r"(?P<stamp>[0-9A-Z]{7})[0-9A-Z]{1,2}(?:_filtered)?")


def easy_diffusion_stamp(file_name: str, prompt: str | None) -> int | None:
    """The ``$tsb64`` residue (time in 1/10 000 s modulo :data:`EASY_DIFFUSION_STAMP_PERIOD`) of a name
    in Easy Diffusion's default format ``$p_$tsb64``, else ``None``.

    ``ui/easydiffusion/utils/save_utils.py``: ``$p`` is the prompt with every character outside
    ``[a-zA-Z0-9._-]`` replaced by ``_``, cut to 50; ``$tsb64`` is ``base_repr(int(now * 10000),
    36)[-7:]`` followed by the image's index in the batch in base 36 (upper case); the filtered copy
    of an image ends in ``_filtered``. Only a name that starts with the file's own prompt so written
    is read: seven upper-case base-36 digits elsewhere are no stamp."""
    stem = file_name.rsplit(".", 1)[0]
    prefix = _EASY_DIFFUSION_UNSAFE.sub("_", prompt or "")[:50] + "_"
    if not stem.startswith(prefix):
        return None
    match = _EASY_DIFFUSION_STAMP.fullmatch(stem, len(prefix))
    return None if match is None else int(match["stamp"], 36)


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
