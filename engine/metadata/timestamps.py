"""Ranking of time sources inside one file, and file-name counters.

Rank (best first): the tool's own metadata field (:class:`~engine.metadata.reading.ToolTime`) >
EXIF ``DateTimeOriginal`` (with ``OffsetTimeOriginal`` when present; EXIF's ``YYYY:MM:DD HH:MM:SS``
or, as VideoHelperSuite writes it, ``YYYY-MM-DD HH:MM:SS``) = XMP ``exif:DateTimeOriginal`` (the same
property in XMP; read after the EXIF one) > a date-time or date in the file name
(:mod:`engine.name_times`; WeChat's ``mmexport<epoch ms>`` save names and the Stability SDK
CLI's ``generation_<prompt>_<epoch s>_<index>`` names are instants,
:func:`~engine.name_times.name_epoch_time`, read before the name's other patterns: a date in
the prompt part is the prompt's) > a date that is the whole name of the folder
holding the file (:func:`folder_date`: AUTOMATIC1111 and Forge save into
``outputs/txt2img-images/2024-05-18/`` by default, ComfyUI prefixes such as
``%date:yyyy-MM-dd%/ComfyUI`` and WAS ``Image Save`` do the same) >
the file's mtime. ``created_at_source`` is ``metadata:<field>``, ``exif:DateTimeOriginal``,
:data:`XMP_ORIGINAL_SOURCE`, ``filename``, ``folder`` or ``file:mtime`` (a day placed by the mtime:
``<source>+file:mtime``). A folder's date keeps a copied library's images on their days when every
mtime is the copy's.

XMP dates (XMP Part 1 §8.2.1.1, ``YYYY-MM-DD[Thh:mm[:ss[.s]][TZD]]``): precision from the form —
fractional seconds → millisecond, seconds → second, no seconds → minute, a date alone → day; an
offset (``Z``, ``±hh:mm``) is kept, a naive time is localised like EXIF's. EXIF's own form
(``YYYY:MM:DD HH:MM:SS``), which some writers put into XMP, is read too.

Never read as a generation time: durations (A1111 ``Time taken``, NovelAI ``Generation time``,
SwarmUI ``generation_time``), editor times (PNG ``tIME``, EXIF ``DateTime``, XMP ``xmp:CreateDate``,
``xmp:ModifyDate``, ``xmp:MetadataDate``, ``photoshop:DateCreated``, ImageMagick
``date:create``/``date:modify``/``date:timestamp``).

Every source must be credible (:mod:`engine.time_bounds`): a time before 2000 or more than a
day in the future is no time, the next source is tried, and ``ResolvedTime.rejected`` says why (for
every source passed over, and for the mtime when no time is left). The mtime is also rejected when it
is more than a day newer than the file's own edit time (PNG ``tIME``, EXIF ``DateTime``, XMP
``xmp:ModifyDate`` / ``xmp:MetadataDate``): content last changed then and the file was copied since.
Copies that share one mtime across many unrelated files are judged across files by
:mod:`engine.copy_times`.

Day-precision times (SwarmUI ``date``, ChatGPT's C2PA ``when``, a date-only file name, folder or XMP date)
are placed inside their day by (:func:`_place_in_day`), best first: a time of day that starts the file
name (:func:`~engine.name_times.name_time_of_day`: ComfyUI's ``%date:yyyy-MM-dd%/%date:hhmmss%``,
SwarmUI's default ``[year]-[month]-[day]/[hour][minute][request_time_inc]-…``; source
``<source>+filename`` at the name's precision — a minute-precision one gives way to a credible mtime
within :data:`MTIME_WINDOW_AFTER_NAME` after it); then the credible mtime when, seen in ``local_tz``, it
falls on that date (source ``<source>+file:mtime``, precision second); otherwise the date is kept at
day precision (midnight in ``local_tz``).

A folder name whose date has more than one reading (``3-4-2025``: March 4 or April 3; ``25-03-24``:
2025-03-24 or 2024-03-25, see :func:`~engine.name_times.folder_dates`) is read only when the
credible mtime decides it: a reading after the mtime's day (a file is not made after it is written) is
dropped, and the reading that is the mtime's own day wins; otherwise the folder is not read and
``rejected`` says it was ambiguous (never a guess). A file name in SwarmUI's ComfyUI-tab form gives a
minute; like the minute of ``_place_in_day`` it gives way to a credible mtime within
:data:`MTIME_WINDOW_AFTER_NAME` after it.

Easy Diffusion's ``$tsb64`` name stamp (:func:`~engine.name_times.easy_diffusion_stamp`,
only for an ``easydiffusion`` record whose name starts with its own prompt) is an epoch time known
modulo ~90.7 days: with a day from the folder or name it gives the instant on that day
(``<source>+filename``, millisecond); else, when the credible mtime comes within
:data:`MTIME_WINDOW_AFTER_NAME` after the stamp's latest reading, that reading (``filename``); an mtime
later than that is no save time (the file was copied since) and, the stamp alone being ambiguous, the
file is left without a time (``rejected`` says why).

Naive times are localised with ``local_tz`` (UTC when not given). A wall-clock time that occurs twice
there (the hour repeated when clocks go back) is the occurrence nearest the credible mtime
(:func:`localise_near`), the first one without it. A wall-clock time that never occurs there (the hour
skipped when clocks go forward) is likewise the reading — with the offset before or after the change —
nearest the credible mtime, else the one with the offset before the change (``fold=0``: the wall time
moved forward by the gap, as RFC 5545 and JavaScript do); it is returned as the zone's real wall time
of that instant (``02:30`` in Europe/Berlin on 2025-03-30 → ``03:30+02:00``), never with an offset the
zone did not have. Every returned datetime is timezone-aware.

A localised time carries a fixed offset, the zone's at that instant (:mod:`engine.local_times`), never
the zone itself: two times read in one ``ZoneInfo`` would compare and subtract by their wall clocks
(01:52 EST → 03:07 EDT is 15 minutes of work, not 75). Where a wall time of the zone is needed (a day's
midnight or end), it is localised again with ``local_tz``, never derived by adding to another time.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from engine.copy_times import MTIME_SOURCE, NAME_SOURCE
from engine.local_times import fixed_offset, in_zone, localised
from engine.metadata.reading import ToolTime
from engine.metadata.values import as_int
from engine.metadata.xmp import xmp_value
from engine.name_times import (
    EASY_DIFFUSION_STAMP_PERIOD,
    EASY_DIFFUSION_STAMP_UNITS,
    easy_diffusion_stamp,
    filename_time,
    folder_dates,
    millisecond_stamp_span,
    name_epoch_time,
    name_time_of_day,
)
from engine.records import TimePrecision
from engine.time_bounds import CLOCK_TOLERANCE, MAX_YEAR, MIN_YEAR, implausible

__all__ = [
    "MTIME_SOURCE",
    "XMP_ORIGINAL_SOURCE",
    "ResolvedTime",
    "exif_original_time",
    "file_counter",
    "filename_time",
    "localise",
    "localise_near",
    "parse_exif_datetime",
    "parse_utc_offset",
    "parse_xmp_date",
    "resolve_created_at",
    "xmp_original_time",
]

XMP_ORIGINAL_SOURCE = "exif:DateTimeOriginal (XMP)"
"""``created_at_source`` of XMP ``exif:DateTimeOriginal``: an ``exif:`` source, so the catalog ranks it
with EXIF ``DateTimeOriginal`` (``catalog.importing.time_sources``), with where it was read."""
XMP_ORIGINAL_FIELDS = ("exif:DateTimeOriginal", "exifEX:DateTimeOriginal")
"""XMP properties read as the original time, in order (``exifEX:`` is not in the standard namespace
but is tolerated when a writer puts the date there)."""
XMP_EDIT_FIELDS = ("xmp:ModifyDate", "xmp:MetadataDate")
"""XMP properties that are the file's own edit time (set by the editor that last saved it)."""

_A1111_COUNTER = re.compile(r"(?:^|_)(\d{4,})-\d")
_COMFY_COUNTER = re.compile(r"_(\d{4,})_?\.[A-Za-z0-9]+$")
_DATE_AFTER_YEAR = re.compile(r"-\d{2}-\d{2}")
_EXIF_DATETIME = re.compile(r"^(\d{4})([:-])(\d{2})\2(\d{2}) (\d{2}):(\d{2}):(\d{2})")
"""EXIF's ``YYYY:MM:DD HH:MM:SS``, or the same with dashes in the date (``YYYY-MM-DD HH:MM:SS``, what
VideoHelperSuite writes as a WEBP's DateTimeOriginal: ``datetime.now().isoformat(" ")[:19]``). Both
are read the same way; no other variant is guessed at."""
_XMP_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}:?\d{2})?)?$"
)
"""XMP's ISO 8601 subset, from a date alone to fractional seconds with a zone (year or year-month
alone is too coarse to be a time and is not read)."""
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


@dataclass(frozen=True, slots=True)
class ResolvedTime:
    value: datetime | None
    source: str | None
    precision: TimePrecision | None
    rejected: str | None = None
    """Why better sources were passed over (a time outside :mod:`~engine.time_bounds`), and,
    when no time is left, why the mtime was not taken; ``None`` when nothing was rejected that
    mattered. Several reasons are joined with ``"; "``."""
    later_write: datetime | None = None
    """The credible mtime when it is more than :data:`~engine.time_bounds.CLOCK_TOLERANCE`
    after the file's own time (the end of its day for a day): the file was written again since (a
    copy, a sync, a re-save) — what :mod:`engine.copy_times` takes as a copy's witness."""


@dataclass(frozen=True, slots=True)
class _Candidate:
    value: datetime
    """Naive (the writer's wall clock) or aware."""
    source: str
    precision: TimePrecision
    label: str
    """How a rejection names it, e.g. ``EXIF DateTimeOriginal``."""


def localise(value: datetime, local_tz: tzinfo) -> datetime:
    """A naive wall-clock time read in ``local_tz`` (the first occurrence of a repeated one), with that
    reading's fixed offset (:func:`~engine.local_times.localised`); aware times keep their instant and
    wall time and are only given a fixed offset."""
    return localised(value, local_tz)


def exif_original_time(exif: Mapping[str, str | int]) -> tuple[datetime, TimePrecision] | None:
    """EXIF ``DateTimeOriginal`` (+ ``OffsetTimeOriginal``, ``SubSecTimeOriginal``); naive without
    offset. Any real date is returned: whether it is credible is judged by :func:`resolve_created_at`."""
    text = exif.get("DateTimeOriginal")
    value = parse_exif_datetime(text) if isinstance(text, str) else None
    if value is None:
        return None
    precision = TimePrecision.SECOND
    subsec = exif.get("SubSecTimeOriginal")
    if isinstance(subsec, str) and subsec.strip().isascii() and subsec.strip().isdigit():
        digits = subsec.strip()[:6].ljust(6, "0")
        value = value.replace(microsecond=int(digits))
        precision = TimePrecision.MILLISECOND
    offset = exif.get("OffsetTimeOriginal")
    if isinstance(offset, str):
        tz = parse_utc_offset(offset)
        if tz is not None:
            value = value.replace(tzinfo=tz)
    return value, precision


def xmp_original_time(xmp: str | None) -> tuple[datetime, TimePrecision] | None:
    """XMP ``exif:DateTimeOriginal`` (:data:`XMP_ORIGINAL_FIELDS`) parsed by :func:`parse_xmp_date`,
    or ``None``. Naive when the XMP date has no zone."""
    for name in XMP_ORIGINAL_FIELDS:
        text = xmp_value(xmp, name)
        parsed = parse_xmp_date(text) if text else None
        if parsed is not None:
            return parsed
    return None


def parse_xmp_date(text: str) -> tuple[datetime, TimePrecision] | None:
    """An XMP date (see the module docstring) with its precision, or ``None``; naive without a zone."""
    text = text.strip()
    match = _XMP_DATE.match(text)
    if match is None:
        exif_form = parse_exif_datetime(text)
        return None if exif_form is None else (exif_form, TimePrecision.SECOND)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if hour is None:
        precision = TimePrecision.DAY
    elif second is None:
        precision = TimePrecision.MINUTE
    elif fraction is None:
        precision = TimePrecision.SECOND
    else:
        precision = TimePrecision.MILLISECOND
    try:
        value = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int(fraction[:6].ljust(6, "0")) if fraction else 0,
        )
    except ValueError:
        return None
    if zone is not None:
        tz = parse_utc_offset(zone)
        if tz is None:
            return None
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


def file_counter(file_name: str) -> int | None:
    """The tool's output counter in the name (``00042-1234567.png`` → 42, ``ComfyUI_00042_.png`` → 42).

    A leading date is no counter: ``2024-05-18-00012.png`` and ``20240518-142233.png`` start with a
    year, not an image number (a date-first name gives its trailing ``_00007_`` counter, or none); nor
    is the time of a chat app's millisecond stamp (``KakaoTalk_20251120_211405123.jpg``). Nor is a number
    wider than 64 bits (:func:`~engine.metadata.values.as_int`): a name of 5,000 digits made ``int``
    raise out of the read."""
    match = next(
        (found for found in _A1111_COUNTER.finditer(file_name) if not _starts_a_date(file_name, found)),
        None,
    )
    match = match or _COMFY_COUNTER.search(file_name)
    if match is None or match.span(1) == millisecond_stamp_span(file_name):
        return None
    return as_int(match.group(1))


def _starts_a_date(file_name: str, counter: re.Match[str]) -> bool:
    """Whether ``counter``'s digits begin a date: ``YYYY-MM-DD…`` or ``YYYYMMDD`` (MIN_YEAR–MAX_YEAR)."""
    digits = counter.group(1)
    if len(digits) == 4:
        return (
            _DATE_AFTER_YEAR.match(file_name, counter.end(1)) is not None
            and MIN_YEAR <= int(digits) <= MAX_YEAR
        )
    return len(digits) == 8 and _is_compact_date(digits)


def _is_compact_date(digits: str) -> bool:
    try:
        day = datetime.strptime(digits, "%Y%m%d")
    except ValueError:
        return False
    return MIN_YEAR <= day.year <= MAX_YEAR


def resolve_created_at(
    tool_time: ToolTime | None,
    exif: Mapping[str, str | int],
    file_name: str,
    mtime: datetime | None,
    local_tz: tzinfo,
    *,
    editor_time: str | None = None,
    xmp: str | None = None,
    seed: int | None = None,
    now: datetime | None = None,
    folder_name: str | None = None,
    tool: str | None = None,
    prompt: str | None = None,
    counter_first: bool = False,
) -> ResolvedTime:
    """Pick the best credible time source for one file (see the module docstring for the ranking).

    ``editor_time`` is PNG ``tIME`` (``YYYY-MM-DDTHH:MM:SS``, UTC); ``xmp`` the file's XMP packet;
    ``seed`` the tool's recorded seed (its digits in the name are no time); ``now`` (aware) bounds
    credible times and defaults to the current time; ``folder_name`` is the name of the folder
    holding the file, or the last folders of its path joined by ``/`` (its date is a source,
    :func:`folder_date`, also as ``yyyy/MM/dd`` folders); ``tool`` and ``prompt`` are the record's
    (Easy Diffusion's name stamp is read only for its own records, after their prompt);
    ``counter_first``: the writer starts the name with its image counter (a ComfyUI save node set
    to do so, ``extra["output_node"]["counter_first"]``), so leading digits are no time of day.
    """
    now = now or datetime.now(UTC)
    local_mtime = _as_local(mtime, local_tz) if mtime is not None else None
    mtime_rejected = None
    if local_mtime is not None:
        mtime_rejected = _mtime_doubt(local_mtime, exif, editor_time, xmp, now)
        if mtime_rejected is not None:
            local_mtime = None
    stamp = easy_diffusion_stamp(file_name, prompt) if tool == EASY_DIFFUSION_TOOL else None
    passed_over: list[str] = []
    sources = _candidates(tool_time, exif, xmp, file_name, seed, folder_name, local_mtime, now, passed_over)
    for candidate in sources:
        value = localise_near(candidate.value, local_tz, local_mtime)
        doubt = implausible(candidate.label, value, now)
        if doubt is not None:
            passed_over.append(doubt)
            continue
        placed = _refine(candidate, value, file_name, seed, local_mtime, local_tz, stamp, counter_first)
        placed = replace(placed, rejected="; ".join(passed_over) or None)
        return _with_later_write(placed, local_mtime, local_tz)
    if stamp is not None and local_mtime is not None:
        return _stamped_by_mtime(stamp, local_mtime, local_tz, passed_over)
    if local_mtime is not None:
        return ResolvedTime(local_mtime, MTIME_SOURCE, TimePrecision.SECOND, "; ".join(passed_over) or None)
    if mtime_rejected is not None:
        passed_over.append(mtime_rejected)
    return ResolvedTime(None, None, None, "; ".join(passed_over) or None)


EASY_DIFFUSION_TOOL = "easydiffusion"
STAMP_SLACK = timedelta(seconds=2)
"""How far a ``$tsb64`` stamp may fall after the file's mtime (FAT and ZIP keep mtimes to 2 s)."""


def _refine(
    candidate: _Candidate,
    value: datetime,
    file_name: str,
    seed: int | None,
    local_mtime: datetime | None,
    local_tz: tzinfo,
    stamp: int | None,
    counter_first: bool,
) -> ResolvedTime:
    """The credible ``candidate`` (``value``: localised) made as fine as the file allows: a file
    name's minute refined by the save's mtime (see :func:`_place_in_day`), a day placed inside itself
    by an Easy Diffusion ``stamp`` or by :func:`_place_in_day`. ``rejected`` is ``None``."""
    minute_in_name = candidate.precision is TimePrecision.MINUTE and candidate.source == NAME_SOURCE
    if minute_in_name and _saved_after(local_mtime, value):
        assert local_mtime is not None  # checked by _saved_after
        return ResolvedTime(local_mtime, f"{NAME_SOURCE}+{MTIME_SOURCE}", TimePrecision.SECOND)
    if candidate.precision is not TimePrecision.DAY:
        return ResolvedTime(value, candidate.source, candidate.precision)
    day = value.astimezone(local_tz).date() if candidate.value.tzinfo else value.date()
    stamped = None if stamp is None else _stamp_in_day(stamp, day, local_tz)
    if stamped is not None:
        return ResolvedTime(stamped, f"{candidate.source}+{NAME_SOURCE}", TimePrecision.MILLISECOND)
    return _place_in_day(day, candidate.source, file_name, seed, local_mtime, local_tz, counter_first)


def _with_later_write(resolved: ResolvedTime, local_mtime: datetime | None, local_tz: tzinfo) -> ResolvedTime:
    """``resolved`` with :attr:`ResolvedTime.later_write` set when the credible mtime did not give
    the time and comes more than ``CLOCK_TOLERANCE`` after the file's own time (its day's end: the
    next midnight in ``local_tz``, a day precision time being midnight there)."""
    value, source = resolved.value, resolved.source or ""
    if local_mtime is None or value is None or MTIME_SOURCE in source:
        return resolved
    if resolved.precision is TimePrecision.DAY:
        value = localised(datetime.combine(value.date() + timedelta(days=1), time()), local_tz)
    if local_mtime > value + CLOCK_TOLERANCE:
        return replace(resolved, later_write=local_mtime)
    return resolved


def _stamp_instant(units: int) -> datetime:
    """The aware UTC instant of ``units`` of 1/10 000 s since the epoch."""
    return _EPOCH + units * _STAMP_UNIT


def _stamp_at_or_before(stamp: int, moment: datetime) -> datetime:
    """The latest instant at or before ``moment`` (aware) whose ``$tsb64`` residue is ``stamp``."""
    units = (moment.astimezone(UTC) - _EPOCH) // _STAMP_UNIT
    return _stamp_instant(units - (units - stamp) % EASY_DIFFUSION_STAMP_PERIOD)


def _stamp_in_day(stamp: int, day: date, local_tz: tzinfo) -> datetime | None:
    """The instant on ``day`` (in ``local_tz``, ``CLOCK_TOLERANCE`` either side for a zone the
    stamp's writer did not share) with the Easy Diffusion ``stamp``, in ``local_tz``; ``None`` when the
    stamp names no moment of that day (it and the day disagree: the stamp is not used)."""
    start = localise_near(datetime.combine(day, time()), local_tz, None)
    end = localise_near(datetime.combine(day + timedelta(days=1), time()), local_tz, None)
    found = _stamp_at_or_before(stamp, end + CLOCK_TOLERANCE)
    return in_zone(found, local_tz) if found >= start - CLOCK_TOLERANCE else None


def _stamped_by_mtime(
    stamp: int, local_mtime: datetime, local_tz: tzinfo, passed_over: list[str]
) -> ResolvedTime:
    """An Easy Diffusion ``stamp`` with no day to anchor it: its latest reading at or before the
    credible mtime when the mtime comes within :data:`MTIME_WINDOW_AFTER_NAME` after it (the file as
    saved); otherwise the mtime is a later copy and the file is left without a time."""
    stamped = _stamp_at_or_before(stamp, local_mtime + STAMP_SLACK)
    late = local_mtime - stamped
    if late <= MTIME_WINDOW_AFTER_NAME:
        note = "; ".join(passed_over) or None
        return ResolvedTime(in_zone(stamped, local_tz), NAME_SOURCE, TimePrecision.MILLISECOND, note)
    passed_over.append(
        f"file mtime {local_mtime.isoformat()} is {late.days} days after the time Easy Diffusion stamped "
        f"into the name ($tsb64, at the latest {in_zone(stamped, local_tz).isoformat()}): "
        "copied since, and the stamp alone repeats every 90.7 days"
    )
    return ResolvedTime(None, None, None, "; ".join(passed_over))


MTIME_WINDOW_AFTER_NAME = timedelta(hours=1)
"""How long after a minute-precision time of day in the name (the request) the credible mtime (the
save) may come and still be taken as the finer time of the same generation."""


def _place_in_day(
    day: date,
    source: str,
    file_name: str,
    seed: int | None,
    local_mtime: datetime | None,
    local_tz: tzinfo,
    counter_first: bool,
) -> ResolvedTime:
    """Place a credible day (from ``source``) inside itself, best first:

    1. a time of day starting the file name (:func:`~engine.name_times.name_time_of_day`):
       ``<source>+filename`` at the name's precision — unless the name gives only the minute and the
       credible mtime falls within :data:`MTIME_WINDOW_AFTER_NAME` after it (the save of that
       request): then the mtime, ``<source>+file:mtime``, second precision. Not when the name starts
       with its writer's counter (``counter_first``: WAS ``Image Save``'s ``000001-name.png``);
    2. the credible mtime when it falls on ``day`` in ``local_tz``: ``<source>+file:mtime``;
    3. midnight of ``day`` in ``local_tz`` at day precision, ``source``.

    ``rejected`` of the result is ``None`` (the caller adds its own note)."""
    from_name = None if counter_first else name_time_of_day(file_name, seed=seed)
    mtime_source = f"{source}+{MTIME_SOURCE}"
    if from_name is not None:
        clock, precision = from_name
        named = localise_near(datetime.combine(day, clock), local_tz, local_mtime)
        if precision is TimePrecision.MINUTE and _saved_after(local_mtime, named):
            assert local_mtime is not None  # checked by _saved_after
            return ResolvedTime(local_mtime, mtime_source, TimePrecision.SECOND)
        return ResolvedTime(named, f"{source}+{NAME_SOURCE}", precision)
    if local_mtime is not None and local_mtime.date() == day:
        return ResolvedTime(local_mtime, mtime_source, TimePrecision.SECOND)
    midnight = localised(datetime(day.year, day.month, day.day), local_tz)
    return ResolvedTime(midnight, source, TimePrecision.DAY)


def _saved_after(mtime: datetime | None, requested: datetime) -> bool:
    """Whether ``mtime`` lies in ``[requested, requested + MTIME_WINDOW_AFTER_NAME)`` (both aware)."""
    if mtime is None:
        return False
    elapsed = mtime.astimezone(UTC) - requested.astimezone(UTC)
    return timedelta(0) <= elapsed < MTIME_WINDOW_AFTER_NAME


def localise_near(value: datetime, local_tz: tzinfo, hint: datetime | None) -> datetime:
    """:func:`localise`, choosing for a wall-clock time that occurs twice in ``local_tz`` (the hour
    repeated when clocks go back) the occurrence nearest ``hint`` (aware; the file's credible mtime,
    written a moment after the time it names) when that one is within
    :data:`~engine.time_bounds.CLOCK_TOLERANCE` of it. Otherwise (no hint, a hint too far
    away to tell — a later copy —, or a time that is not repeated) the first occurrence
    (``fold=0``): the result of :func:`localise`. A wall time that never occurs (skipped when clocks
    go forward) is read with the offset before or after the change by the same rule and returned as
    the real wall time of that instant (its ``utcoffset()`` is the zone's at that instant). The result
    has a fixed offset (:mod:`engine.local_times`); aware times keep their instant and wall time."""
    first = localise(value, local_tz)
    if value.tzinfo is not None:
        return first
    second = value.replace(tzinfo=local_tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    chosen = _nearest_reading(first, second, hint)
    if _is_repeated(value, first, second, local_tz):
        return fixed_offset(chosen)
    return in_zone(chosen, local_tz)  # skipped: the wall time the zone really showed


def _nearest_reading(first: datetime, second: datetime, hint: datetime | None) -> datetime:
    """Of two readings of one wall time, the one nearest ``hint`` when within ``CLOCK_TOLERANCE``,
    else ``first``."""
    if hint is None:
        return first
    target = hint.astimezone(UTC)
    nearest = min((first, second), key=lambda option: abs(option.astimezone(UTC) - target))
    return nearest if abs(nearest.astimezone(UTC) - target) <= CLOCK_TOLERANCE else first


def _is_repeated(wall: datetime, first: datetime, second: datetime, local_tz: tzinfo) -> bool:
    """Whether both readings of the naive ``wall`` time are real instants showing that wall time in
    ``local_tz`` (a skipped wall time, in the spring-forward gap, is shown by neither)."""
    return all(
        option.astimezone(UTC).astimezone(local_tz).replace(tzinfo=None, fold=0) == wall
        for option in (first, second)
    )


def _candidates(
    tool_time: ToolTime | None,
    exif: Mapping[str, str | int],
    xmp: str | None,
    file_name: str,
    seed: int | None,
    folder_name: str | None,
    local_mtime: datetime | None,
    now: datetime,
    notes: list[str],
) -> Iterator[_Candidate]:
    """The file's own time sources, best first (the mtime is handled by the caller); why a folder
    date was not read (ambiguous) is appended to ``notes``."""
    if tool_time is not None:
        field = tool_time.field
        yield _Candidate(tool_time.value, f"metadata:{field}", tool_time.precision, f"the tool's {field}")
    original = exif_original_time(exif)
    if original is not None:
        yield _Candidate(original[0], "exif:DateTimeOriginal", original[1], "EXIF DateTimeOriginal")
    from_xmp = xmp_original_time(xmp)
    if from_xmp is not None:
        yield _Candidate(from_xmp[0], XMP_ORIGINAL_SOURCE, from_xmp[1], "XMP exif:DateTimeOriginal")
    from_name = name_epoch_time(file_name, seed) or filename_time(file_name, seed=seed)
    if from_name is not None:
        yield _Candidate(from_name[0], "filename", from_name[1], "the file name's time")
    from_folder = _folder_day(folder_name, local_mtime, now) if folder_name else None
    if isinstance(from_folder, str):
        notes.append(from_folder)
    elif from_folder is not None:
        midnight = datetime.combine(from_folder, time())
        yield _Candidate(midnight, FOLDER_SOURCE, TimePrecision.DAY, "the folder name's date")


FOLDER_SOURCE = "folder"
_NESTED_DATE = re.compile(r"(?P<y>\d{4})/(?P<mo>\d{1,2})/(?P<d>\d{1,2})")
"""``%date:yyyy%/%date:MM%/%date:dd%`` (or ``[datetime<%Y>]/…``): a year, month and day folder."""


def folder_date(folder_name: str) -> datetime | None:
    """Midnight (naive) of the one date the *whole* folder name can be
    (:func:`~engine.name_times.folder_dates`: ``2024-05-18``, ``2025-3-4``, ``18.03.2025``,
    ``25-03-04`` …), else ``None`` (no date, or several readings). A folder that only contains a date
    (``renders 2024-05-18``, ``project_20240518_v2``) is a name someone chose, not where a tool saves
    by day."""
    readings = folder_dates(folder_name)
    return datetime.combine(readings[0], time()) if len(readings) == 1 else None


def _folder_readings(folder_path: str) -> tuple[date, ...]:
    """The dates of the last folder (:func:`~engine.name_times.folder_dates`), else of the
    last three as ``yyyy/MM/dd`` (``folder_path`` is the folders' tail joined by ``/``)."""
    parts = folder_path.strip("/").split("/")
    readings = folder_dates(parts[-1])
    if readings or len(parts) < 3:
        return readings
    match = _NESTED_DATE.fullmatch("/".join(parts[-3:]))
    if match is None:
        return ()
    with contextlib.suppress(ValueError):
        return (date(int(match["y"]), int(match["mo"]), int(match["d"])),)
    return ()


def _folder_day(folder_path: str, local_mtime: datetime | None, now: datetime) -> date | str | None:
    """The folder's date; when it has several readings, the one the credible mtime decides (see the
    module docstring), else why it is not read (a ``str``); ``None`` for no date."""
    readings = _folder_readings(folder_path)
    if len(readings) <= 1:
        return readings[0] if readings else None
    latest = (local_mtime or now).date() + timedelta(days=1)
    possible = [day for day in readings if day <= latest]
    if len(possible) == 1:
        return possible[0]
    if local_mtime is not None and local_mtime.date() in possible:
        return local_mtime.date()
    if not possible:
        return readings[0]  # every reading is in the future: the credibility check says so
    shown = " or ".join(day.isoformat() for day in possible)
    return f"the folder name's date {folder_path.rsplit('/', 1)[-1]!r} is ambiguous ({shown}): not read"


def _mtime_doubt(
    mtime: datetime, exif: Mapping[str, str | int], editor_time: str | None, xmp: str | None, now: datetime
) -> str | None:
    """Why ``mtime`` is evidently not a generation time, or ``None`` when it is credible."""
    doubt = implausible("file mtime", mtime, now)
    if doubt is not None:
        return doubt
    for name, edited, latest in _edit_times(exif, editor_time, xmp):
        if MIN_YEAR <= edited.year <= MAX_YEAR and mtime > latest + CLOCK_TOLERANCE:
            return (
                f"file mtime {mtime.isoformat()} is newer than the file's {name} {edited.date()} "
                "(copied since)"
            )
    return None


def _edit_times(
    exif: Mapping[str, str | int], editor_time: str | None, xmp: str | None
) -> Iterator[tuple[str, datetime, datetime]]:
    """``(name, edit time, its latest possible moment)`` for each of the file's own edit times, aware
    (naive ones read as UTC: the day of slack in :data:`~engine.time_bounds.CLOCK_TOLERANCE`
    covers their unknown offset). A date-only XMP edit time may be any moment of its day."""
    if editor_time:
        with contextlib.suppress(ValueError):
            png_time = datetime.fromisoformat(editor_time).replace(tzinfo=UTC)
            yield "PNG tIME", png_time, png_time
    changed = exif.get("DateTime")
    naive = parse_exif_datetime(changed) if isinstance(changed, str) else None
    if naive is not None:
        yield "EXIF DateTime", naive.replace(tzinfo=UTC), naive.replace(tzinfo=UTC)
    for name in XMP_EDIT_FIELDS:
        text = xmp_value(xmp, name)
        parsed = parse_xmp_date(text) if text else None
        if parsed is not None:
            edited = parsed[0] if parsed[0].tzinfo else parsed[0].replace(tzinfo=UTC)
            whole_day = timedelta(days=1) if parsed[1] is TimePrecision.DAY else timedelta(0)
            yield f"XMP {name}", edited, edited + whole_day


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STAMP_UNIT = timedelta(seconds=1) / EASY_DIFFUSION_STAMP_UNITS


def _as_local(value: datetime, local_tz: tzinfo) -> datetime:
    """The instant ``value`` (naive: a wall time in ``local_tz``) as ``local_tz``'s wall time, with a
    fixed offset."""
    return in_zone(localise(value, local_tz), local_tz)
