"""Session cards by period: today, this week and earlier, in the viewer's time zone (pure; no I/O).

A session falls in a period by its **latest activity**, ``ended_at``: a session begun yesterday evening
and continued past midnight is today's work. With one request's instant ``now`` and the viewer's IANA
zone:

- ``TODAY``: ``ended_at`` at or after today's local midnight. There is no upper bound: a session
  ending after ``now`` (a generator's clock running ahead) is still shown, under today.
- ``THIS_WEEK``: from the local midnight starting the current ISO week (Monday) up to, not including,
  today's midnight. On a Monday it is empty (``start == end``).
- ``EARLIER``: before that Monday's midnight. There is no lower bound.

Every bound is a local wall-clock midnight converted to UTC with the zone's offset *on that date*, so a
daylight-saving change inside the week makes that day 23 or 25 hours long and never shifts a boundary
by an hour. A midnight skipped by a DST change (e.g. America/Sao_Paulo in 2018) starts the day at the
first instant that exists after it; a midnight that occurs twice starts it at the first occurrence.
Bounds are half-open: ``start <= ended_at < end``; the three periods cover every instant exactly once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


class SessionPeriod(enum.Enum):
    TODAY = "today"
    THIS_WEEK = "this_week"
    EARLIER = "earlier"


PERIOD_TITLES = {
    SessionPeriod.TODAY: "Today",
    SessionPeriod.THIS_WEEK: "This week",
    SessionPeriod.EARLIER: "Earlier",
}


@dataclass(frozen=True, slots=True)
class PeriodBounds:
    """``start <= ended_at < end`` (UTC); ``None`` is unbounded on that side."""

    period: SessionPeriod
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Periods:
    """The three periods at one instant in one zone."""

    today_start: datetime
    """Today's local midnight (UTC)."""
    week_start: datetime
    """The local midnight starting the current ISO week, Monday (UTC); equals ``today_start`` on Mondays."""

    def bounds(self, period: SessionPeriod) -> PeriodBounds:
        if period is SessionPeriod.TODAY:
            return PeriodBounds(period, self.today_start, None)
        if period is SessionPeriod.THIS_WEEK:
            return PeriodBounds(period, self.week_start, self.today_start)
        return PeriodBounds(period, None, self.week_start)

    def period_of(self, ended_at: datetime) -> SessionPeriod:
        if ended_at >= self.today_start:
            return SessionPeriod.TODAY
        return SessionPeriod.THIS_WEEK if ended_at >= self.week_start else SessionPeriod.EARLIER


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone``, in UTC.

    ``fold=0`` picks the first of two midnights; for a skipped midnight PEP 495 applies the offset in
    force before the change, which lands exactly on the change: the first instant of that day.
    """
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def periods_at(now: datetime, zone: ZoneInfo) -> Periods:
    """The periods at ``now`` (an aware datetime) for a viewer in ``zone``."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    return Periods(today_start=local_midnight(today, zone), week_start=local_midnight(monday, zone))
