"""Shared copy times: an mtime that many unrelated files share is when they were copied, not made.

A checkout, an unzip or a ``cp -r`` gives every file the moment it was written, so files that only
have an mtime (see :mod:`engine.metadata.timestamps`) would all fall into one fake session. A
generation run also writes its batch within a second, but from one tool and one workflow (or one
model): a batch never mixes them. Hence the rule, applied to the records of one read (a folder, an
import, an ``analyze`` run):

- records timed by ``file:mtime`` — alone, or placing a day from a better source inside that day
  (``<source>+file:mtime``: a date folder, SwarmUI's ``date``, a date-only name) — and *witnesses*
  (records whose own time — a date folder, a time in the name — is more than a day older than their
  mtime, kept in ``extra["later_mtime"]`` by the reader) are sorted by mtime and chained while
  consecutive mtimes are at most :data:`COPY_CHAIN_SECONDS` apart;
- a chain of at least :data:`MIN_COPY_GROUP` records is a copy when its records timed by the mtime
  come from more than one *source* — a source is ``(tool, workflow hash)``, or ``(tool, model)`` for
  tools that write no workflow —, or when it holds at least :data:`MIN_COPY_WITNESSES` witnesses,
  whatever the tools: a copy of ONE tool's library (``txt2img-images/2025-02-10/`` …
  ``2025-02-14/`` copied at once) writes old days' files in the same second, while a real batch saves
  into today's folder, under names carrying today's time (a burst of one tool within one second keeps
  its times: it has no witness);
- the records of a copy lose the copy's time and say why in ``extra["time_rejected"]`` (after any
  reason already there: a better source the file held may have been passed over as not credible,
  see :mod:`engine.time_bounds`): an mtime alone leaves no time (``created_at`` and its
  source and precision become ``None``; the record stays in the catalog and the gallery and is never
  grouped into sessions); a day placed by the mtime keeps its day — midnight in the zone the mtime was
  read in (``local_tz`` when the caller gives it; the mtime's own offset otherwise, which is that
  zone's offset at midnight too unless a DST change falls between them), day precision, the day's own
  source (``folder``, ``metadata:<field>``, ``filename``), or the time of day starting the file name
  when the mtime had only refined that (``<source>+filename``).

Records timed by a better source alone (tool metadata, EXIF, file name) are never touched (a witness
keeps its own time). A copy of one tool's files that carry no date of their own (A1111's
``00042-1234.png`` without date folders) cannot be told from a burst and is not detected. Pure and
idempotent: a second pass finds nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo

from engine.local_times import localised
from engine.name_times import filename_time, name_time_of_day
from engine.records import GenerationRecord, TimePrecision

TIME_REJECTED = "time_rejected"
"""``extra`` key holding why a time source of the file was not taken as its generation time (the
mtime, or a better source outside the credible window); reasons are joined with ``"; "``."""

MTIME_SOURCE = "file:mtime"
NAME_SOURCE = "filename"
COPY_CHAIN_SECONDS = 1.0
"""Largest gap between consecutive mtimes of one copy (a bulk copy writes many files per second)."""
MIN_COPY_GROUP = 3
"""Fewest files sharing a moment before their mix of sources counts as a copy."""
MIN_COPY_WITNESSES = 2
"""Fewest files, among those sharing a moment, whose own time is over a day older than it before the
moment counts as a copy whatever the sources (one re-saved old file is no copy)."""
LATER_WRITE = "later_mtime"
"""``extra`` key holding a file's mtime (ISO 8601) when it is more than a day after the file's own time
(:attr:`engine.metadata.timestamps.ResolvedTime.later_write`): the file was written again since."""


MTIME_SUFFIX = f"+{MTIME_SOURCE}"
"""Ends the source of a day placed inside itself by the mtime (``folder+file:mtime``)."""


def reject_copy_times(records: Sequence[GenerationRecord], *, local_tz: tzinfo | None = None) -> int:
    """Drop the copy time of every record whose mtime is a shared copy time (see the module
    docstring); returns how many records lost it. ``local_tz``: the zone the records' naive times and
    mtimes were read in, which gives a kept day's midnight (or time of day) its offset; without it a
    record's own offset is used."""
    moments = sorted(_written_moments(records), key=lambda pair: pair[0])
    dropped = 0
    start = 0
    for index in range(1, len(moments) + 1):
        ends_chain = index == len(moments) or (
            (moments[index][0] - moments[index - 1][0]).total_seconds() > COPY_CHAIN_SECONDS
        )
        if ends_chain:
            dropped += _reject_if_copy(moments[start:index], local_tz)
            start = index
    return dropped


def _written_moments(records: Sequence[GenerationRecord]) -> list[tuple[datetime, GenerationRecord]]:
    """``(mtime, record)`` of every record timed by its mtime and of every witness (its
    :data:`LATER_WRITE`)."""
    moments = []
    for record in records:
        if _timed_by_mtime(record) and record.created_at is not None:
            moments.append((record.created_at, record))
        elif (written := _later_write(record)) is not None:
            moments.append((written, record))
    return moments


def _later_write(record: GenerationRecord) -> datetime | None:
    """The record's :data:`LATER_WRITE` mtime (aware), or ``None``."""
    text = record.extra.get(LATER_WRITE)
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _reject_if_copy(chain: list[tuple[datetime, GenerationRecord]], local_tz: tzinfo | None) -> int:
    """Drop the copy time of the chain's records timed by the mtime when the chain is a copy."""
    timed = [record for _, record in chain if _timed_by_mtime(record)]
    witnesses = len(chain) - len(timed)
    if len(chain) < MIN_COPY_GROUP or not timed:
        return 0
    sources = {(r.tool, r.workflow_hash or r.model) for r in timed}
    first, last = chain[0][0].isoformat(), chain[-1][0].isoformat()
    if len(timed) >= MIN_COPY_GROUP and len(sources) >= 2:
        tools = len({tool for tool, _ in sources})
        reason = (
            f"file mtime is a copy time: {len(timed)} files from {len(sources)} different tools/models "
            f"({tools} tool{'s' if tools != 1 else ''}) were written between {first} and {last}"
        )
    elif witnesses >= MIN_COPY_WITNESSES:
        reason = (
            f"file mtime is a copy time: {len(chain)} files were written between {first} and {last}, "
            f"{witnesses} of them more than a day after their own dates (written again, not made, then)"
        )
    else:
        return 0
    for record in timed:
        _drop_copy_time(record, local_tz)
        earlier = record.extra.get(TIME_REJECTED)
        record.extra[TIME_REJECTED] = f"{earlier}; {reason}" if isinstance(earlier, str) else reason
    return len(timed)


def _timed_by_mtime(record: GenerationRecord) -> bool:
    """Whether the record's time of day is its mtime (alone, or placing a better source's day)."""
    source = record.created_at_source
    return source is not None and (source == MTIME_SOURCE or source.endswith(MTIME_SUFFIX))


def _drop_copy_time(record: GenerationRecord, local_tz: tzinfo | None) -> None:
    """Take the mtime out of the record's time: no time at all, or the day its better source named —
    at the time of day starting the file name when there is one (the minute the mtime refined,
    :func:`~engine.name_times.name_time_of_day`), else at midnight, day precision (in the
    zone the mtime was seen in: ``local_tz``, else the mtime's own offset). The record's times carry
    fixed offsets (:mod:`engine.local_times`), so each wall time is localised again, never reached by
    adding to the mtime."""
    source, moment = record.created_at_source, record.created_at
    assert source is not None and moment is not None  # only timed records are chained
    if source == MTIME_SOURCE:
        record.created_at = None
        record.created_at_source = None
        record.created_at_precision = None
        return
    day_source = source.removesuffix(MTIME_SUFFIX)
    from_name = _time_of_day_in_name(record.file_name or "", day_source, record.seed)
    if from_name is not None:  # a minute in the name the copied mtime had refined
        clock, precision = from_name
        named = _wall_time(moment.date(), clock, local_tz or moment.tzinfo)
        if named > moment:  # the name's time came first (the mtime refined it within the hour): 23:50 → 00:10
            named = _wall_time(moment.date() - timedelta(days=1), clock, local_tz or moment.tzinfo)
        record.created_at = named
        record.created_at_source = NAME_SOURCE if day_source == NAME_SOURCE else f"{day_source}+{NAME_SOURCE}"
        record.created_at_precision = precision
        return
    record.created_at = _wall_time(moment.date(), time(), local_tz or moment.tzinfo)
    record.created_at_source = day_source
    record.created_at_precision = TimePrecision.DAY


def _wall_time(day: date, clock: time, zone: tzinfo | None) -> datetime:
    """``clock`` on ``day`` read in ``zone`` (the first occurrence of a repeated wall time), with that
    fixed offset."""
    assert zone is not None  # the records' times are aware
    return localised(datetime.combine(day, clock), zone)


def _time_of_day_in_name(
    file_name: str, day_source: str, seed: int | None
) -> tuple[time, TimePrecision] | None:
    """The time of day the copied mtime had refined: one starting the name, or — when the name itself
    gave the day (``filename``) — the minute it gave with it (SwarmUI's ComfyUI-tab names)."""
    from_name = name_time_of_day(file_name, seed=seed)
    if from_name is not None or day_source != NAME_SOURCE:
        return from_name
    named = filename_time(file_name, seed=seed)
    if named is None or named[1] is TimePrecision.DAY:
        return None
    return named[0].time(), named[1]
