"""Shared copy times: an mtime that many unrelated files share is when they were copied, not made.

A checkout, an unzip or a ``cp -r`` gives every file the moment it was written, so files that only
have an mtime (see :mod:`engine.metadata.timestamps`) would all fall into one fake session. A
generation run also writes its batch within a second, but from one tool and one workflow (or one
model): a batch never mixes them. Hence the rule, applied to the records of one read (a folder, an
import, an ``analyze`` run):

- records timed by ``file:mtime`` — alone, or placing a day from a better source inside that day
  (``<source>+file:mtime``: a date folder, SwarmUI's ``date``, a date-only name) — are sorted by time
  and chained while consecutive mtimes are at most :data:`COPY_CHAIN_SECONDS` apart;
- a chain of at least :data:`MIN_COPY_GROUP` records is a copy when its records come from more than
  one *source* — a source is ``(tool, workflow hash)``, or ``(tool, model)`` for tools that write no
  workflow;
- the records of a copy lose the copy's time and say why in ``extra["time_rejected"]`` (after any
  reason already there: a better source the file held may have been passed over as not credible,
  see :mod:`engine.metadata.time_bounds`): an mtime alone leaves no time (``created_at`` and its
  source and precision become ``None``; the record stays in the catalog and the gallery and is never
  grouped into sessions); a day placed by the mtime keeps its day — midnight in the mtime's zone,
  day precision, the day's own source (``folder``, ``metadata:<field>``, ``filename``), or the time
  of day starting the file name when the mtime had only refined that (``<source>+filename``).

Records timed by a better source alone (tool metadata, EXIF, file name) are never touched. Pure and
idempotent: a second pass finds nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from engine.metadata.name_times import name_time_of_day
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


MTIME_SUFFIX = f"+{MTIME_SOURCE}"
"""Ends the source of a day placed inside itself by the mtime (``folder+file:mtime``)."""


def reject_copy_times(records: Sequence[GenerationRecord]) -> int:
    """Drop the copy time of every record whose mtime is a shared copy time (see the module
    docstring); returns how many records lost it."""
    timed = sorted(
        (r for r in records if _timed_by_mtime(r) and r.created_at is not None),
        key=lambda r: r.created_at,  # type: ignore[arg-type,return-value]  # filtered above
    )
    dropped = 0
    start = 0
    for index in range(1, len(timed) + 1):
        ends_chain = index == len(timed) or (
            (timed[index].created_at - timed[index - 1].created_at).total_seconds()  # type: ignore[operator]
            > COPY_CHAIN_SECONDS
        )
        if ends_chain:
            dropped += _reject_if_copy(timed[start:index])
            start = index
    return dropped


def _reject_if_copy(chain: list[GenerationRecord]) -> int:
    if len(chain) < MIN_COPY_GROUP:
        return 0
    sources = {(r.tool, r.workflow_hash or r.model) for r in chain}
    if len(sources) < 2:
        return 0
    tools = len({tool for tool, _ in sources})
    first, last = chain[0].created_at, chain[-1].created_at
    assert first is not None and last is not None
    reason = (
        f"file mtime is a copy time: {len(chain)} files from {len(sources)} different tools/models "
        f"({tools} tool{'s' if tools != 1 else ''}) were written between {first.isoformat()} and "
        f"{last.isoformat()}"
    )
    for record in chain:
        _drop_copy_time(record)
        earlier = record.extra.get(TIME_REJECTED)
        record.extra[TIME_REJECTED] = f"{earlier}; {reason}" if isinstance(earlier, str) else reason
    return len(chain)


def _timed_by_mtime(record: GenerationRecord) -> bool:
    """Whether the record's time of day is its mtime (alone, or placing a better source's day)."""
    source = record.created_at_source
    return source is not None and (source == MTIME_SOURCE or source.endswith(MTIME_SUFFIX))


def _drop_copy_time(record: GenerationRecord) -> None:
    """Take the mtime out of the record's time: no time at all, or the day its better source named —
    at the time of day starting the file name when there is one (the minute the mtime refined,
    :func:`~engine.metadata.name_times.name_time_of_day`), else at midnight, day precision (in the
    zone the mtime was seen in)."""
    source, moment = record.created_at_source, record.created_at
    assert source is not None and moment is not None  # only timed records are chained
    if source == MTIME_SOURCE:
        record.created_at = None
        record.created_at_source = None
        record.created_at_precision = None
        return
    day_source = source.removesuffix(MTIME_SUFFIX)
    from_name = name_time_of_day(record.file_name or "", seed=record.seed)
    if from_name is not None:  # a minute in the name the copied mtime had refined
        clock, precision = from_name
        named = datetime.combine(moment.date(), clock, tzinfo=moment.tzinfo)
        # the name's time came first (the mtime refined it within the hour after): 23:50 → 00:10
        record.created_at = named - timedelta(days=1) if named > moment else named
        record.created_at_source = f"{day_source}+{NAME_SOURCE}"
        record.created_at_precision = precision
        return
    record.created_at = datetime(moment.year, moment.month, moment.day, tzinfo=moment.tzinfo)
    record.created_at_source = day_source
    record.created_at_precision = TimePrecision.DAY
