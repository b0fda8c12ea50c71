"""Ranking of time sources inside one file, and file-name counters.

Rank (best first): the tool's own metadata field (:class:`~engine.metadata.reading.ToolTime`) >
EXIF ``DateTimeOriginal`` (with ``OffsetTimeOriginal`` when present; EXIF's ``YYYY:MM:DD HH:MM:SS``
or, as VideoHelperSuite writes it, ``YYYY-MM-DD HH:MM:SS``) > a date-time in the file name > the
file's mtime. ``created_at_source`` is ``metadata:<field>``, ``exif:DateTimeOriginal``,
``filename`` or ``file:mtime``.

Never read as a generation time: durations (A1111 ``Time taken``, NovelAI ``Generation time``,
SwarmUI ``generation_time``), editor times (PNG ``tIME``, EXIF ``DateTime``, ImageMagick
``date:create``/``date:modify``). Those never reach this module.

An mtime is a generation time only where it is credible. It is rejected (no time, and
``ResolvedTime.rejected`` says why) when it lies more than a day in the future, or when it is more
than a day newer than the file's own edit time (PNG ``tIME``, EXIF ``DateTime``): content last
changed then and the file was copied since. Copies that share one mtime across many unrelated files
are judged across files by :mod:`engine.metadata.copy_times`.

Day-precision tool dates (SwarmUI ``date``, ChatGPT's C2PA ``when``): when the mtime, seen in
``local_tz``, falls on that date the mtime supplies the time of day (source
``metadata:<field>+file:mtime``, precision second); otherwise the date is kept at day precision
(midnight in ``local_tz``). Naive times are localised with ``local_tz`` (UTC when not given). Every
returned datetime is timezone-aware.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from engine.metadata.reading import ToolTime
from engine.records import TimePrecision

_MIN_YEAR = 2000
_MAX_YEAR = 2100

# 20250321072508, 20250321_072508, 2025-03-21_07-25-08, 2025-03-03T193009.186, 2025-03-03 19:30:09,
# "2024-11-02 at 10.15.42" (macOS screenshots)
_NAME_DATETIME = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})[-_.]?(?P<mo>\d{2})[-_.]?(?P<d>\d{2})(?:[T_\- ]| at )?"
    r"(?P<h>\d{2})[-_.:]?(?P<mi>\d{2})[-_.:]?(?P<s>\d{2})(?:[.,](?P<f>\d{1,6}))?(?!\d)"
)
_A1111_COUNTER = re.compile(r"(?:^|_)(\d{4,})-\d")
_COMFY_COUNTER = re.compile(r"_(\d{4,})_?\.[A-Za-z0-9]+$")
_EXIF_DATETIME = re.compile(r"^(\d{4})([:-])(\d{2})\2(\d{2}) (\d{2}):(\d{2}):(\d{2})")
"""EXIF's ``YYYY:MM:DD HH:MM:SS``, or the same with dashes in the date (``YYYY-MM-DD HH:MM:SS``, what
VideoHelperSuite writes as a WEBP's DateTimeOriginal: ``datetime.now().isoformat(" ")[:19]``). Both
are read the same way; no other variant is guessed at."""
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


_MTIME_TOLERANCE = timedelta(days=1)
"""Slack for time zones and clock skew before an mtime counts as future or as a later copy."""


@dataclass(frozen=True, slots=True)
class ResolvedTime:
    value: datetime | None
    source: str | None
    precision: TimePrecision | None
    rejected: str | None = None
    """Why the file's mtime was not taken as the generation time (``None`` when not rejected)."""


def localise(value: datetime, local_tz: tzinfo) -> datetime:
    """Attach ``local_tz`` to a naive wall-clock time; aware times are returned unchanged."""
    return value.replace(tzinfo=local_tz) if value.tzinfo is None else value


def exif_original_time(exif: Mapping[str, str | int]) -> tuple[datetime, TimePrecision] | None:
    """EXIF ``DateTimeOriginal`` (+ ``OffsetTimeOriginal``, ``SubSecTimeOriginal``); naive without offset."""
    text = exif.get("DateTimeOriginal")
    value = parse_exif_datetime(text) if isinstance(text, str) else None
    if value is None or not _MIN_YEAR <= value.year <= _MAX_YEAR:
        return None
    precision = TimePrecision.SECOND
    subsec = exif.get("SubSecTimeOriginal")
    if isinstance(subsec, str) and subsec.strip().isdigit():
        digits = subsec.strip()[:6].ljust(6, "0")
        value = value.replace(microsecond=int(digits))
        precision = TimePrecision.MILLISECOND
    offset = exif.get("OffsetTimeOriginal")
    if isinstance(offset, str):
        tz = parse_utc_offset(offset)
        if tz is not None:
            value = value.replace(tzinfo=tz)
    return value, precision


def parse_exif_datetime(text: str) -> datetime | None:
    """An EXIF date-time (``_EXIF_DATETIME``: colons, or dashes in the date) as a naive datetime, or
    ``None`` when it is neither form or names no real date."""
    match = _EXIF_DATETIME.match(text.strip())
    if match is None:
        return None
    year, _separator, month, day, hour, minute, second = match.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None


def parse_utc_offset(text: str) -> timezone | None:
    """``+09:00`` / ``-0700`` / ``Z`` → a fixed offset, or ``None``."""
    text = text.strip()
    if text in ("Z", "z"):
        return UTC
    match = _OFFSET.match(text)
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta >= timedelta(hours=24):
        return None
    return timezone(-delta if sign == "-" else delta)


def filename_time(file_name: str) -> tuple[datetime, TimePrecision] | None:
    """A date-time in the file name (naive: it is the writer's wall clock), or ``None``."""
    for match in _NAME_DATETIME.finditer(file_name):
        try:
            value = datetime(
                int(match["y"]),
                int(match["mo"]),
                int(match["d"]),
                int(match["h"]),
                int(match["mi"]),
                int(match["s"]),
            )
        except ValueError:
            continue
        if not _MIN_YEAR <= value.year <= _MAX_YEAR:
            continue
        fraction = match["f"]
        if fraction:
            return value.replace(microsecond=int(fraction.ljust(6, "0"))), TimePrecision.MILLISECOND
        return value, TimePrecision.SECOND
    return None


def file_counter(file_name: str) -> int | None:
    """The tool's output counter in the name (``00042-1234567.png`` → 42, ``ComfyUI_00042_.png`` → 42)."""
    match = _A1111_COUNTER.search(file_name) or _COMFY_COUNTER.search(file_name)
    return int(match.group(1)) if match else None


def resolve_created_at(
    tool_time: ToolTime | None,
    exif: Mapping[str, str | int],
    file_name: str,
    mtime: datetime | None,
    local_tz: tzinfo,
    *,
    editor_time: str | None = None,
    now: datetime | None = None,
) -> ResolvedTime:
    """Pick the best time source for one file (see the module docstring for the ranking).

    ``editor_time`` is PNG ``tIME`` (``YYYY-MM-DDTHH:MM:SS``, UTC); ``now`` (aware) bounds credible
    mtimes and defaults to the current time.
    """
    local_mtime = _as_local(mtime, local_tz) if mtime is not None else None
    rejected = None
    if local_mtime is not None:
        rejected = _mtime_doubt(local_mtime, exif, editor_time, now or datetime.now(UTC))
        if rejected is not None:
            local_mtime = None
    if tool_time is not None:
        value = localise(tool_time.value, local_tz)
        source = f"metadata:{tool_time.field}"
        if tool_time.precision is not TimePrecision.DAY:
            return ResolvedTime(value, source, tool_time.precision)
        day = value.astimezone(local_tz).date() if tool_time.value.tzinfo else value.date()
        if local_mtime is not None and local_mtime.date() == day:
            return ResolvedTime(local_mtime, source + "+file:mtime", TimePrecision.SECOND)
        midnight = datetime(day.year, day.month, day.day, tzinfo=local_tz)
        return ResolvedTime(midnight, source, TimePrecision.DAY)
    original = exif_original_time(exif)
    if original is not None:
        return ResolvedTime(localise(original[0], local_tz), "exif:DateTimeOriginal", original[1])
    from_name = filename_time(file_name)
    if from_name is not None:
        return ResolvedTime(localise(from_name[0], local_tz), "filename", from_name[1])
    if local_mtime is not None:
        return ResolvedTime(local_mtime, "file:mtime", TimePrecision.SECOND)
    return ResolvedTime(None, None, None, rejected)


def _mtime_doubt(
    mtime: datetime, exif: Mapping[str, str | int], editor_time: str | None, now: datetime
) -> str | None:
    """Why ``mtime`` is evidently not a generation time, or ``None`` when it is credible."""
    if mtime > now + _MTIME_TOLERANCE:
        return f"file mtime {mtime.isoformat()} is in the future"
    edits: list[tuple[str, datetime]] = []
    if editor_time:
        with contextlib.suppress(ValueError):
            edits.append(("PNG tIME", datetime.fromisoformat(editor_time).replace(tzinfo=UTC)))
    changed = exif.get("DateTime")
    naive = parse_exif_datetime(changed) if isinstance(changed, str) else None
    if naive is not None:
        # EXIF DateTime is local wall time without a zone: the day of slack covers the offset.
        edits.append(("EXIF DateTime", naive.replace(tzinfo=UTC)))
    for name, edited in edits:
        if _MIN_YEAR <= edited.year <= _MAX_YEAR and mtime > edited + _MTIME_TOLERANCE:
            return (
                f"file mtime {mtime.isoformat()} is newer than the file's {name} {edited.date()} "
                "(copied since)"
            )
    return None


def _as_local(value: datetime, local_tz: tzinfo) -> datetime:
    return localise(value, local_tz).astimezone(local_tz)
