"""Local wall times that still compare and subtract as instants.

Python compares and subtracts two aware datetimes that share *one tzinfo object* by their wall clocks,
ignoring ``utcoffset()`` and ``fold`` (the ``datetime`` documentation: "if both comparands are aware and
have the same tzinfo attribute, the tzinfo and fold attributes are ignored and the base datetimes are
compared"). Times localised with one ``ZoneInfo`` are exactly that: in New York 01:52 EST → 03:07 EDT
(spring forward) subtracts to 75 minutes instead of 15, and 01:40 EDT sorts after 01:14 EST (the
repeated hour) although it came 34 minutes before it.

Every time this project localises is therefore given a fixed offset (:class:`datetime.timezone`), the
zone's own offset at that instant: the wall time, the instant and the printed form (``isoformat()``:
``2026-11-01T01:30:00-05:00``) are unchanged, and since a fixed offset is the same for every wall time,
any two such datetimes — sharing a tzinfo object or not — compare and subtract as the instants they
are. (``tzname()`` becomes ``UTC-05:00`` rather than ``EST``: nothing here shows zone abbreviations.)

The price, and the rule for code that uses these times: arithmetic keeps the offset. ``t +
timedelta(days=1)`` is 24 hours later shown with ``t``'s offset, not the same wall time tomorrow, and
``datetime.combine(day, clock, tzinfo=t.tzinfo)`` borrows ``t``'s offset for another wall time. Code that
needs the zone's wall clock (midnight of a day, the end of a day) localises that wall time again with
the zone (:func:`localised`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timezone, tzinfo

__all__ = ["fixed_offset", "in_zone", "localised"]


def fixed_offset(value: datetime) -> datetime:
    """``value`` (aware) with a :class:`~datetime.timezone` of its own ``utcoffset()`` (``fold`` 0): the
    same wall time, instant and ``isoformat()``. A value that already has a fixed offset is returned as
    it is."""
    if isinstance(value.tzinfo, timezone):
        return value
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"a naive time has no offset to fix: {value!r}")
    return value.replace(tzinfo=timezone(offset), fold=0)


def in_zone(value: datetime, zone: tzinfo) -> datetime:
    """The instant ``value`` (aware) as the wall time ``zone`` showed then, with that fixed offset.

    Converted through UTC: ``value.astimezone(zone)`` returns ``value`` itself when its tzinfo *is*
    ``zone``, which would keep a wall time the clocks skipped (02:15 on a spring-forward night) as
    given rather than the wall time of its instant."""
    return fixed_offset(value.astimezone(UTC).astimezone(zone))


def localised(wall: datetime, zone: tzinfo) -> datetime:
    """A naive wall time read in ``zone`` (its ``fold`` chooses the occurrence of a repeated wall time;
    a skipped one gets the offset ``zone`` gives it, as :meth:`datetime.replace` would), with that fixed
    offset; an aware time is only given a fixed offset (:func:`fixed_offset`)."""
    return fixed_offset(wall if wall.tzinfo is not None else wall.replace(tzinfo=zone))
