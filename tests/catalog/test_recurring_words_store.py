"""An artist's recurring words are learned from the whole library and kept
(:mod:`catalog.sessions.recurring_words_store`), so a span re-clustered after a small import decides
as a full re-clustering does."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from catalog.assets.removal import remove_assets
from catalog.database import SessionFactory, unit_of_work
from catalog.importing.service import import_paths
from catalog.models import Asset, User, UserCalibration
from catalog.sessions.reclustering import recluster_user
from catalog.settings import AtelierSettings
from tests.engine.test_recurring_words import PRODUCTS, TEMPLATE

EARLIER = PRODUCTS[:10]
LATER = ["a velvet armchair in mustard", "a porcelain teapot with a bamboo handle"]


def _days(first_day: int, products: list[str], template: str = TEMPLATE) -> list[dict[str, Any]]:
    """Two client jobs a day at 9:00 in one template (12 renders a minute apart, 30 minutes between)."""
    records = []
    for index, product in enumerate(products):
        day, job = first_day + index // 2, index % 2
        start = datetime(2026, 3, 2, 9, tzinfo=UTC) + timedelta(days=day, minutes=job * 42)
        for render in range(12):
            records.append(
                {
                    "id": f"d{day}j{job}r{render:02d}",
                    "tool": "comfyui",
                    "created_at": (start + timedelta(minutes=render)).isoformat(),
                    "prompt": template.format(product),
                    "seed": 1000 * day + 100 * job + render,
                    "model": "sdxl.safetensors",
                }
            )
    return records


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(record) for record in records) + "\n")
    return path


async def _memberships(factory: SessionFactory) -> list[list[str]]:
    async with factory() as db:
        rows = (await db.execute(select(Asset.session_id, Asset.record_id).order_by(Asset.record_id))).all()
    sessions: dict[uuid.UUID | None, list[str]] = {}
    for session_id, record_id in rows:
        sessions.setdefault(session_id, []).append(record_id)
    return sorted(sessions.values())


async def test_a_small_import_decides_as_a_full_reclustering_with_the_stored_words(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    earlier = _write(tmp_path / "earlier.jsonl", _days(0, EARLIER))
    later = _write(tmp_path / "later.jsonl", _days(5, LATER))
    await import_paths(session_factory, settings, user_handle="ada", paths=[earlier])
    async with session_factory() as db:
        user_id = await db.scalar(select(User.id).where(User.handle == "ada"))
        calibration = await db.get(UserCalibration, user_id)
    assert calibration is not None and calibration.recurring_words is not None
    assert calibration.recurring_words["sittings"] == 5
    assert {"softbox", "seamless", "photography"} <= set(calibration.recurring_words["words"])
    assert not {"teapot", "honey", "skillet"} & set(calibration.recurring_words["words"])

    await import_paths(session_factory, settings, user_handle="ada", paths=[later])  # one sitting
    incremental = await _memberships(session_factory)
    async with unit_of_work(session_factory) as db:
        assert user_id is not None
        await recluster_user(db, user_id)

    assert await _memberships(session_factory) == incremental
    last_day = [members for members in incremental if members[0].startswith("d5")]
    assert last_day == [[f"d5j0r{i:02d}" for i in range(12)], [f"d5j1r{i:02d}" for i in range(12)]]


async def test_words_learned_from_a_few_sittings_give_way_to_a_larger_import(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    first = _write(tmp_path / "first.jsonl", _days(0, PRODUCTS[:8]))  # four sittings
    more = _write(tmp_path / "more.jsonl", _days(4, [f"{product}, second edition" for product in PRODUCTS]))
    await import_paths(session_factory, settings, user_handle="ada", paths=[first])
    async with session_factory() as db:
        user_id = await db.scalar(select(User.id).where(User.handle == "ada"))
        calibration = await db.get(UserCalibration, user_id)
    assert calibration is not None and calibration.recurring_words is not None
    assert calibration.recurring_words["sittings"] == 4

    await import_paths(session_factory, settings, user_handle="ada", paths=[more])  # six more sittings

    async with session_factory() as db:
        calibration = await db.get(UserCalibration, user_id)
    assert calibration is not None and calibration.recurring_words is not None
    assert calibration.recurring_words["sittings"] >= 6
    assert "edition" in calibration.recurring_words["words"]


async def _stored_words(factory: SessionFactory, user_id: uuid.UUID | None) -> dict[str, Any]:
    async with factory() as db:
        calibration = await db.get(UserCalibration, user_id)
    assert calibration is not None and calibration.recurring_words is not None
    return calibration.recurring_words


async def test_words_are_learned_again_from_the_library_once_it_has_grown_by_a_quarter(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    flat_lay = "flat lay of {} on pastel paper, top down, hard shadows, editorial still life"
    first = _write(tmp_path / "first.jsonl", _days(0, PRODUCTS[:8]))  # four sittings, 96 images
    await import_paths(session_factory, settings, user_handle="ada", paths=[first])
    async with session_factory() as db:
        user_id = await db.scalar(select(User.id).where(User.handle == "ada"))
    assert (await _stored_words(session_factory, user_id))["images"] == 96

    images_after_each_day = []
    for day in range(4, 7):  # a new client's template arrives, one small import a day
        products = [f"{product}, day {day}" for product in PRODUCTS[2 * (day - 4) : 2 * (day - 3)]]
        path = _write(tmp_path / f"day{day}.jsonl", _days(day, products, flat_lay))
        await import_paths(session_factory, settings, user_handle="ada", paths=[path])
        images_after_each_day.append((await _stored_words(session_factory, user_id))["images"])

    # 120 is a quarter more than 96 (learned again); 144 is not a quarter more than 120; 168 is
    assert images_after_each_day == [120, 120, 168]
    stored = await _stored_words(session_factory, user_id)
    assert stored["sittings"] == 7
    assert {"pastel", "editorial"} <= set(stored["words"])  # in three sittings of seven
    assert "softbox" in stored["words"]


async def test_a_library_left_with_too_few_sittings_keeps_its_words_and_is_not_read_again_at_every_span(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    first = _write(tmp_path / "first.jsonl", _days(0, PRODUCTS[:8]))  # four sittings, 96 images
    await import_paths(session_factory, settings, user_handle="ada", paths=[first])
    async with session_factory() as db:
        user_id = await db.scalar(select(User.id).where(User.handle == "ada"))
        gone = list(
            await db.scalars(
                select(Asset.id).where(Asset.record_id.like("d0%") | Asset.record_id.like("d1%"))
            )
        )
    assert user_id is not None and len(gone) == 48
    learned = await _stored_words(session_factory, user_id)
    async with unit_of_work(session_factory) as db:
        await remove_assets(db, user_id, gone)  # two sittings of four left

    later = _write(tmp_path / "later.jsonl", _days(9, PRODUCTS[8:10]))  # 24 more: a quarter of 96
    await import_paths(session_factory, settings, user_handle="ada", paths=[later])

    stored = await _stored_words(session_factory, user_id)
    assert stored["words"] == learned["words"]  # three sittings are too few to learn from
    assert (stored["images"], stored["grown"]) == (72, 0)  # checked against the library as it is now


async def test_words_are_learned_again_when_a_quarter_of_the_library_is_removed(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """Four sittings in one client's template, then eight in another's: the second template's words
    are the recurring ones. Removing those eight sittings learns the words again at the removal, from
    the four left (before, the removed client's words kept counting little until the library grew)."""
    flat_lay = "flat lay of {} on pastel paper, top down, hard shadows, editorial still life"
    studio = _write(tmp_path / "studio.jsonl", _days(0, PRODUCTS[:8]))  # four sittings, 96 images
    products = [f"{product}, set {number}" for number in range(2) for product in PRODUCTS[:8]]
    flat = _write(tmp_path / "flat.jsonl", _days(4, products, flat_lay))  # eight sittings, 192 images
    await import_paths(session_factory, settings, user_handle="ada", paths=[studio, flat])
    async with session_factory() as db:
        user_id = await db.scalar(select(User.id).where(User.handle == "ada"))
        gone = list(await db.scalars(select(Asset.id).where(Asset.prompt.like("flat lay%"))))
    assert user_id is not None and len(gone) == 192
    before = await _stored_words(session_factory, user_id)
    assert {"pastel", "editorial"} <= set(before["words"])

    async with unit_of_work(session_factory) as db:
        await remove_assets(db, user_id, gone)

    after = await _stored_words(session_factory, user_id)
    assert (after["images"], after["sittings"], after["grown"]) == (96, 4, 0)
    assert not {"pastel", "editorial"} & set(after["words"])
    assert {"softbox", "seamless"} <= set(after["words"])
