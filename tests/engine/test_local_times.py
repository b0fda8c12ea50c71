"""Localised times compare and subtract as instants (``engine.local_times``), wherever the engine
localises: JSON Lines records (``engine.record_codec``), image files (``engine.metadata.timestamps``) and
the days a copy time leaves (``engine.copy_times``). Their wall times and printed forms stay the zone's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from engine.copy_times import MTIME_SOURCE, reject_copy_times
from engine.local_times import fixed_offset, in_zone, localised
from engine.metadata.timestamps import localise, localise_near, resolve_created_at
from engine.record_codec import parse_timestamp
from engine.records import GenerationRecord, TimePrecision

NEW_YORK = ZoneInfo("America/New_York")


def test_a_fixed_offset_keeps_the_wall_time_the_instant_and_the_printed_form() -> None:
    for wall, fold in ((datetime(2026, 11, 1, 1, 30), 0), (datetime(2026, 11, 1, 1, 30), 1)):
        zoned = wall.replace(tzinfo=NEW_YORK, fold=fold)
        fixed = fixed_offset(zoned)
        assert (fixed.isoformat(), fixed.astimezone(UTC)) == (zoned.isoformat(), zoned.astimezone(UTC))
        assert isinstance(fixed.tzinfo, timezone) and fixed.fold == 0
    utc = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert fixed_offset(utc) is utc
    assert localised(datetime(2026, 3, 8, 12, 0), UTC).tzinfo is UTC


def test_times_of_one_zone_subtract_and_order_as_instants_across_both_changes() -> None:
    """One ``ZoneInfo`` shared by two datetimes makes Python subtract and compare their wall clocks."""
    first = in_zone(datetime(2026, 11, 1, 5, 40, tzinfo=UTC), NEW_YORK)  # 01:40 EDT
    last = in_zone(datetime(2026, 11, 1, 6, 14, tzinfo=UTC), NEW_YORK)  # 01:14 EST
    assert (first.isoformat(), last.isoformat()) == ("2026-11-01T01:40:00-04:00", "2026-11-01T01:14:00-05:00")
    assert last - first == timedelta(minutes=34) and first < last and min(last, first) is first
    before = localised(datetime(2026, 3, 8, 1, 52), NEW_YORK)
    after = localised(datetime(2026, 3, 8, 3, 7), NEW_YORK)
    assert after - before == timedelta(minutes=15)


def test_in_zone_shows_the_wall_time_of_the_instant_even_for_a_skipped_wall_time() -> None:
    skipped = datetime(2026, 3, 8, 2, 15, tzinfo=NEW_YORK, fold=1)  # 06:15Z, a wall time that never was
    assert in_zone(skipped, NEW_YORK).isoformat() == "2026-03-08T01:15:00-05:00"


def test_naive_record_times_across_spring_forward_are_fifteen_minutes_apart() -> None:
    start, _ = parse_timestamp("2026-03-08T01:52:00", NEW_YORK)
    end, _ = parse_timestamp("2026-03-08T03:07", NEW_YORK)
    assert (start.isoformat(), end.isoformat()) == ("2026-03-08T01:52:00-05:00", "2026-03-08T03:07:00-04:00")
    assert end - start == timedelta(minutes=15)
    in_gap, _ = parse_timestamp("2026-03-08T02:30:00", NEW_YORK)  # read as before: fold=0's offset
    assert in_gap.isoformat() == "2026-03-08T02:30:00-05:00"


def test_image_times_in_the_repeated_hour_order_by_the_instant() -> None:
    """Two files named 01:30 on the fall-back night, told apart by their mtimes (``localise_near``)."""
    wall = datetime(2026, 11, 1, 1, 30)
    first = localise_near(wall, NEW_YORK, datetime(2026, 11, 1, 5, 31, tzinfo=UTC))
    second = localise_near(wall, NEW_YORK, datetime(2026, 11, 1, 6, 31, tzinfo=UTC))
    assert (first.isoformat(), second.isoformat()) == (
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:30:00-05:00",
    )
    assert second - first == timedelta(hours=1) and first < second
    assert localise(wall, NEW_YORK) == first


def test_image_time_from_the_mtime_and_a_day_at_midnight_keep_the_zones_offsets() -> None:
    mtime = resolve_created_at(None, {}, "x.png", datetime(2026, 3, 8, 15, 0, tzinfo=UTC), NEW_YORK)
    assert mtime.value is not None and mtime.value.isoformat() == "2026-03-08T11:00:00-04:00"
    day = resolve_created_at(
        None, {}, "x.png", None, NEW_YORK, folder_name="2026-03-08", now=datetime(2026, 3, 9, tzinfo=UTC)
    )
    assert (day.value, day.precision) == (datetime(2026, 3, 8, 5, 0, tzinfo=UTC), TimePrecision.DAY)
    assert day.value is not None and day.value.isoformat() == "2026-03-08T00:00:00-05:00"


def test_a_copy_time_dropped_on_a_spring_forward_day_keeps_midnight_at_the_zones_offset() -> None:
    """A day placed by a copied mtime falls back to its midnight: with the zone the mtime was read in,
    midnight gets that zone's offset then (EST), not the mtime's (EDT, after the change)."""
    mtime = in_zone(datetime(2026, 3, 8, 15, 0, tzinfo=UTC), NEW_YORK)  # 11:00 EDT
    records = [
        GenerationRecord(
            id=f"r{index}",
            tool=tool,
            created_at=mtime,
            created_at_source=f"folder+{MTIME_SOURCE}",
            created_at_precision=TimePrecision.SECOND,
            model=f"model-{index}",
        )
        for index, tool in enumerate(("a1111", "comfyui", "forge"))
    ]
    assert reject_copy_times(records, local_tz=NEW_YORK) == 3
    assert {record.created_at.isoformat() for record in records if record.created_at} == {
        "2026-03-08T00:00:00-05:00"
    }
    assert {(record.created_at_source, record.created_at_precision) for record in records} == {
        ("folder", TimePrecision.DAY)
    }
