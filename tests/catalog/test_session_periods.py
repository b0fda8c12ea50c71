"""Where today and this week begin in a viewer's zone, across midnights, week starts and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from catalog.sessions.periods import SessionPeriod, local_midnight, periods_at

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
AUCKLAND = ZoneInfo("Pacific/Auckland")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_los_angeles_week_spanning_the_spring_forward_change() -> None:
    # Sunday 2026-03-08 12:00 PDT; clocks went 02:00 PST -> 03:00 PDT that morning
    periods = periods_at(utc(2026, 3, 8, 19, 0), LOS_ANGELES)
    assert periods.today_start == utc(2026, 3, 8, 8, 0)  # midnight was still PST (-8)
    assert periods.week_start == utc(2026, 3, 2, 8, 0)  # Monday 00:00 PST, not now's -7 offset
    assert periods.period_of(utc(2026, 3, 8, 8, 1)) is SessionPeriod.TODAY
    assert periods.period_of(utc(2026, 3, 8, 7, 59)) is SessionPeriod.THIS_WEEK
    assert periods.period_of(utc(2026, 3, 2, 8, 0)) is SessionPeriod.THIS_WEEK
    assert periods.period_of(utc(2026, 3, 2, 7, 30)) is SessionPeriod.EARLIER


def test_auckland_week_spanning_the_fall_back_change_and_a_different_utc_date() -> None:
    # Sunday 2026-04-05 12:00 NZST (+12); clocks went 03:00 NZDT -> 02:00 NZST that morning
    periods = periods_at(utc(2026, 4, 5, 0, 0), AUCKLAND)
    assert periods.today_start == utc(2026, 4, 4, 11, 0)  # Sunday's midnight was NZDT (+13), UTC Saturday
    assert periods.week_start == utc(2026, 3, 29, 11, 0)  # Monday 2026-03-30 00:00 NZDT
    assert periods.period_of(utc(2026, 4, 4, 11, 30)) is SessionPeriod.TODAY
    assert periods.period_of(utc(2026, 4, 4, 10, 30)) is SessionPeriod.THIS_WEEK
    assert periods.period_of(utc(2026, 3, 29, 11, 30)) is SessionPeriod.THIS_WEEK
    assert periods.period_of(utc(2026, 3, 29, 10, 30)) is SessionPeriod.EARLIER


def test_monday_has_an_empty_this_week_and_future_sessions_count_as_today() -> None:
    monday_morning = datetime(2026, 3, 9, 9, 0, tzinfo=LOS_ANGELES)
    periods = periods_at(monday_morning, LOS_ANGELES)
    week = periods.bounds(SessionPeriod.THIS_WEEK)
    assert week.start == week.end == periods.today_start == utc(2026, 3, 9, 7, 0)
    assert periods.period_of(monday_morning + timedelta(days=3)) is SessionPeriod.TODAY
    assert periods.bounds(SessionPeriod.TODAY).end is None
    assert periods.bounds(SessionPeriod.EARLIER).start is None


def test_just_before_and_after_local_midnight() -> None:
    before = periods_at(datetime(2026, 3, 10, 23, 59, 59, tzinfo=LOS_ANGELES), LOS_ANGELES)
    after = periods_at(datetime(2026, 3, 11, 0, 0, 0, tzinfo=LOS_ANGELES), LOS_ANGELES)
    assert before.today_start == datetime(2026, 3, 10, tzinfo=LOS_ANGELES)
    assert after.today_start == datetime(2026, 3, 11, tzinfo=LOS_ANGELES)
    assert before.week_start == after.week_start == datetime(2026, 3, 9, tzinfo=LOS_ANGELES)
    moment = utc(2026, 3, 11, 6, 30)  # 23:30 PDT on the 10th
    assert before.period_of(moment) is SessionPeriod.TODAY
    assert after.period_of(moment) is SessionPeriod.THIS_WEEK


def test_a_skipped_midnight_starts_the_day_at_the_change() -> None:
    # America/Sao_Paulo, 2018-11-04: clocks jumped from 00:00 (-03) to 01:00 (-02); no local midnight
    midnight = local_midnight(datetime(2018, 11, 4).date(), ZoneInfo("America/Sao_Paulo"))
    assert midnight == utc(2018, 11, 4, 3, 0)
    assert midnight.astimezone(ZoneInfo("America/Sao_Paulo")).hour == 1


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata"])
def test_the_three_periods_partition_time(zone: str) -> None:
    periods = periods_at(utc(2026, 10, 1, 12, 0), ZoneInfo(zone))
    for hours in range(-24 * 10, 24 * 3):
        moment = utc(2026, 10, 1, 12, 0) + timedelta(hours=hours, minutes=17)
        inside = [
            period
            for period in SessionPeriod
            if (bounds := periods.bounds(period)).start is None or bounds.start <= moment
            if bounds.end is None or moment < bounds.end
        ]
        assert inside == [periods.period_of(moment)]


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        periods_at(datetime(2026, 3, 8, 12, 0), LOS_ANGELES)
