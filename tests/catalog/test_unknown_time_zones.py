"""A stored zone this machine does not know (``catalog.accounts.time_zones.stored_time_zone``): a name
since removed from the time zone database (``US/Pacific-New``, gone in tzdata 2020b) or stored before
names were checked. The user's imports go on, reading naive times in UTC, as their session cards and
reflections already did."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import select, text

from catalog.accounts.time_zones import stored_time_zone
from catalog.database import SessionFactory, unit_of_work
from catalog.importing.service import import_paths
from catalog.models import Asset
from catalog.settings import AtelierSettings
from tests.api.conftest import make_user_with_token

GONE = "US/Pacific-New"


def test_a_stored_zone_is_used_as_stored_and_an_unknown_one_is_utc() -> None:
    assert stored_time_zone("Asia/Tokyo") == ZoneInfo("Asia/Tokyo")
    assert stored_time_zone("posixrules") == ZoneInfo("posixrules")  # stored earlier: still loads
    for unknown in (GONE, None, "", "Mars/Olympus", "../etc/passwd", "zone.tab", "é" * 64):
        assert stored_time_zone(unknown) == ZoneInfo("UTC"), unknown


async def _user_with_a_gone_zone(session_factory: SessionFactory) -> None:
    await make_user_with_token(session_factory, "ada")
    async with unit_of_work(session_factory) as db:
        await db.execute(text("UPDATE users SET timezone = :zone WHERE handle = 'ada'"), {"zone": GONE})


def _jpeg_with_exif_time(original: str) -> bytes:
    image = Image.new("RGB", (64, 48), (30, 40, 170))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = original  # DateTimeOriginal, no offset
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


async def test_images_of_a_user_whose_zone_is_gone_are_imported_with_naive_times_in_utc(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """Found by a time-semantics probe: ``ZoneInfo(owner_timezone)`` in ``file_reading.read_one`` made
    every image of such a user a problem ("reader failed unexpectedly (ZoneInfoNotFoundError …)")."""
    await _user_with_a_gone_zone(session_factory)
    image = tmp_path / "img" / "naive.jpg"
    image.parent.mkdir()
    image.write_bytes(_jpeg_with_exif_time("2026:03:01 12:00:00"))

    report = await import_paths(session_factory, settings, user_handle="ada", paths=[image])

    assert report.problems == [], report.problems
    assert report.imported == 1
    async with session_factory() as db:
        created_at = await db.scalar(select(Asset.created_at))
    assert created_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_records_of_a_user_whose_zone_is_gone_are_imported_with_naive_times_in_utc(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """Found by a time-semantics probe: the ``.jsonl`` file was one problem, "cannot read records
    (ZoneInfoNotFoundError)", and none of its records was imported."""
    await _user_with_a_gone_zone(session_factory)
    path = tmp_path / "r" / "naive.jsonl"
    path.parent.mkdir()
    path.write_text(json.dumps({"id": "n1", "tool": "comfyui", "created_at": "2026-03-01T12:00:00"}) + "\n")

    report = await import_paths(session_factory, settings, user_handle="ada", paths=[path])

    assert report.problems == [], report.problems
    assert report.records_imported == 1
    async with session_factory() as db:
        created_at = await db.scalar(select(Asset.created_at))
    assert created_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
