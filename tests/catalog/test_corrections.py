"""Corrections through the real database: they persist through every re-clustering and they teach."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.database import SessionFactory, unit_of_work
from catalog.importing.service import import_paths
from catalog.models import Asset, Correction, Session, User
from catalog.sessions import corrections
from catalog.sessions.reclustering import recluster_user
from catalog.settings import AtelierSettings
from engine.record_codec import record_from_json
from engine.session_analysis import analyze_records

PROMPTS = ["neon alley at night, cinematic", "misty pine forest at dawn", "koi pond in autumn, ukiyo-e"]


def _evening(day: int, *, second_half_model: str = "sdxl.safetensors", pause_minutes: int = 30) -> list[dict]:
    """15 images a minute apart, a pause, 15 more on the same prompt (optionally another model)."""
    start = datetime(2026, 3, 1, 19, tzinfo=UTC) + timedelta(days=day)
    records, when = [], start
    for half in range(2):
        for index in range(15):
            records.append(
                {
                    "id": f"d{day:02d}h{half}i{index:02d}",
                    "tool": "comfyui",
                    "created_at": when.isoformat(),
                    "prompt": PROMPTS[day % len(PROMPTS)],
                    "seed": 1000 + 100 * half + index,
                    "cfg_scale": 7.0,
                    "steps": 30,
                    "model": second_half_model if half else "sdxl.safetensors",
                    "width": 1024,
                    "height": 1024,
                }
            )
            when += timedelta(seconds=60)
        when += timedelta(minutes=pause_minutes)
    return records


async def _import(
    factory: SessionFactory, settings: AtelierSettings, tmp_path: Path, records: list[dict]
) -> None:
    path = tmp_path / f"log-{uuid.uuid4().hex}.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in records) + "\n")
    report = await import_paths(factory, settings, user_handle="ada", paths=[path])
    assert report.problems == []


async def _user_id(factory: SessionFactory) -> uuid.UUID:
    async with factory() as db:
        user_id = await db.scalar(select(User.id).where(User.handle == "ada"))
    assert user_id is not None
    return user_id


async def _asset(factory: SessionFactory, record_id: str) -> Asset:
    async with factory() as db:
        asset = await db.scalar(select(Asset).where(Asset.record_id == record_id))
    assert asset is not None
    return asset


async def _session_of(factory: SessionFactory, record_id: str) -> uuid.UUID | None:
    return (await _asset(factory, record_id)).session_id


async def _session_count(factory: SessionFactory, day_prefix: str | None = None) -> int:
    async with factory() as db:
        statement = select(Asset.session_id).distinct().where(Asset.session_id.is_not(None))
        if day_prefix is not None:
            statement = statement.where(Asset.record_id.startswith(day_prefix))
        return len(list(await db.scalars(statement)))


async def test_merge_persists_through_full_and_incremental_reclustering(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, _evening(0, second_half_model="flux.safetensors"))
    first, second = (
        await _session_of(session_factory, "d00h0i00"),
        await _session_of(session_factory, "d00h1i00"),
    )
    assert first != second  # a model switch after a pause: two sessions by default
    user_id = await _user_id(session_factory)

    async with unit_of_work(session_factory) as db:
        result = await corrections.merge_sessions(db, user_id, [first, second])  # type: ignore[list-item]
    assert len(result.session_ids) == 1
    merged = result.session_ids[0]
    assert await _session_of(session_factory, "d00h1i14") == merged

    async with unit_of_work(session_factory) as db:
        await recluster_user(db, user_id)
    assert await _session_of(session_factory, "d00h0i00") == await _session_of(session_factory, "d00h1i14")
    await _import(session_factory, settings, tmp_path, _evening(1))  # an incremental re-cluster next door
    assert await _session_of(session_factory, "d00h0i00") == await _session_of(session_factory, "d00h1i14")


async def test_split_persists_and_a_later_merge_at_the_same_gap_wins(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, _evening(0))
    user_id = await _user_id(session_factory)
    whole = await _session_of(session_factory, "d00h0i00")
    assert whole == await _session_of(session_factory, "d00h1i00")
    at = await _asset(session_factory, "d00h0i07")

    async with unit_of_work(session_factory) as db:
        result = await corrections.split_session(db, user_id, whole, at.id)  # type: ignore[arg-type]
    assert len(result.session_ids) == 2
    async with unit_of_work(session_factory) as db:
        await recluster_user(db, user_id)
    before, after = (
        await _session_of(session_factory, "d00h0i06"),
        await _session_of(session_factory, "d00h0i07"),
    )
    assert before != after
    evening = {
        await _session_of(session_factory, f"d00h{half}i{index:02d}")
        for half in (0, 1)
        for index in range(15)
    }
    assert whole in evening  # the largest part keeps the session's identity

    async with unit_of_work(session_factory) as db:
        await corrections.merge_sessions(db, user_id, [before, after])  # type: ignore[list-item]
        await recluster_user(db, user_id)
    assert await _session_of(session_factory, "d00h0i06") == await _session_of(session_factory, "d00h0i07")


async def test_moved_images_stay_where_the_artist_put_them(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, _evening(0) + _evening(3))
    user_id = await _user_id(session_factory)
    target = await _session_of(session_factory, "d03h0i00")
    moving = await _asset(session_factory, "d00h0i05")
    async with unit_of_work(session_factory) as db:
        await corrections.move_assets(db, user_id, [moving.id], target)  # type: ignore[arg-type]
    assert await _session_of(session_factory, "d00h0i05") == target
    await _import(session_factory, settings, tmp_path, _evening(1))  # re-clusters around day 0 only
    assert await _session_of(session_factory, "d00h0i05") == target
    async with unit_of_work(session_factory) as db:
        await recluster_user(db, user_id)
    assert await _session_of(session_factory, "d00h0i05") == target
    assert await _session_of(session_factory, "d00h0i04") != target


async def test_pinned_labels_survive_and_unpinning_restores_the_automatic_one(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, _evening(0))
    user_id = await _user_id(session_factory)
    session_id = await _session_of(session_factory, "d00h0i00")
    assert session_id is not None
    async with session_factory() as db:
        automatic = (await db.get(Session, session_id)).label  # type: ignore[union-attr]
    async with unit_of_work(session_factory) as db:
        await corrections.relabel_session(db, user_id, session_id, "  Night walk   studies ")
        await recluster_user(db, user_id)
    await _import(session_factory, settings, tmp_path, _evening(1))
    async with session_factory() as db:
        pinned = await db.get(Session, session_id)
    assert pinned is not None and (pinned.label, pinned.label_pinned) == ("Night walk studies", True)
    async with unit_of_work(session_factory) as db:
        await corrections.relabel_session(db, user_id, session_id, None)
    async with session_factory() as db:
        restored = await db.get(Session, session_id)
    assert restored is not None and (restored.label, restored.label_pinned) == (automatic, False)


async def test_invalid_corrections_are_refused_with_reasons(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, _evening(0) + _evening(1) + _evening(2))
    user_id = await _user_id(session_factory)
    day0, day2 = (
        await _session_of(session_factory, "d00h0i00"),
        await _session_of(session_factory, "d02h0i00"),
    )
    first_asset = await _asset(session_factory, "d00h0i00")
    async with unit_of_work(session_factory) as db:
        with pytest.raises(corrections.CorrectionError, match="neighbouring"):
            await corrections.merge_sessions(db, user_id, [day0, day2])  # type: ignore[list-item]
        with pytest.raises(corrections.CorrectionError, match="first image"):
            await corrections.split_session(db, user_id, day0, first_asset.id)  # type: ignore[arg-type]
        with pytest.raises(corrections.NotFound):
            await corrections.merge_sessions(db, uuid.uuid4(), [day0, day2])  # type: ignore[list-item]
        with pytest.raises(corrections.CorrectionError, match="1 to 200"):
            await corrections.relabel_session(db, user_id, day0, "   ")  # type: ignore[arg-type]


async def test_a_finer_grained_artist_teaches_the_engine_within_five_corrections(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """This artist treats a 30-minute pause as the end of a session even on the same prompt; the
    default engine does not. Within five corrections new evenings come out as the artist sees them,
    and none of the corrected boundaries comes back."""
    await _import(session_factory, settings, tmp_path, [r for day in range(5) for r in _evening(day)])
    user_id = await _user_id(session_factory)
    assert await _session_count(session_factory) == 5
    offsets = []
    for day in range(5):  # the artist corrects only where the engine still disagrees with them
        at = await _asset(session_factory, f"d{day:02d}h1i00")
        if at.session_id == await _session_of(session_factory, f"d{day:02d}h0i14"):
            async with unit_of_work(session_factory) as db:
                result = await corrections.split_session(db, user_id, at.session_id, at.id)  # type: ignore[arg-type]
            offsets.append(result.threshold_offset)
    assert 1 <= len(offsets) <= 5
    assert all(offset < 0 for offset in offsets) and offsets == sorted(offsets, reverse=True)
    assert offsets[-1] > -2.5  # bounded
    assert await _session_count(session_factory) == 10  # every corrected evening is two sessions now

    await _import(session_factory, settings, tmp_path, [r for day in range(5, 8) for r in _evening(day)])
    learned = sum([await _session_count(session_factory, f"d{day:02d}") for day in range(5, 8)])
    # the artist's notion: 2 sessions per evening; the default gives 1
    default = analyze_records([record_from_json(record) for day in range(5, 8) for record in _evening(day)])
    assert (len(default.sessions), learned) == (3, 6)  # default offset: 3; learned: the artist's 6

    async with unit_of_work(session_factory) as db:
        await recluster_user(db, user_id)
    for day in range(5):
        before = await _session_of(session_factory, f"d{day:02d}h0i14")
        assert before != await _session_of(session_factory, f"d{day:02d}h1i00")


async def _three_evenings_moving(
    factory: SessionFactory, settings: AtelierSettings, tmp_path: Path, moving: str
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Days 0, 1 and 2 imported (a session each), then image ``moving`` moved into day 2's session:
    the user and the three evenings' sessions as they were imported."""
    await _import(factory, settings, tmp_path, _evening(0) + _evening(1) + _evening(2))
    user_id = await _user_id(factory)
    found = [await _session_of(factory, f"d0{day}h0i00") for day in range(3)]
    sessions = [session for session in found if session is not None]
    assert len(sessions) == 3
    moved = await _asset(factory, moving)
    async with unit_of_work(factory) as db:
        await corrections.move_assets(db, user_id, [moved.id], sessions[2])
    return user_id, sessions


async def test_a_session_stretched_by_a_moved_image_is_re_clustered_whole_with_the_ones_it_reaches(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """An image moved into a session two days later stretches that session back over the evening
    between. A split in that evening re-clusters the sessions it overlaps, which now reach into the
    first evening: every stored session the span touches must be re-clustered whole — the span was
    widened once only, the first evening's images after the moved one were re-clustered alone and the
    session row rewritten from them (12 images, ``asset_count`` 5, ``started_at`` of its 6th image)."""
    user_id, (first, between, _) = await _three_evenings_moving(
        session_factory, settings, tmp_path, "d00h0i04"
    )
    at = await _asset(session_factory, "d01h0i10")
    async with unit_of_work(session_factory) as db:
        await corrections.split_session(db, user_id, between, at.id)

    async with session_factory() as db:
        sessions = list(await db.scalars(select(Session)))
        members = list(await db.execute(select(Asset.session_id, Asset.created_at)))
    for stored in sessions:
        times = [created for holder, created in members if holder == stored.id and created is not None]
        assert (stored.asset_count, stored.started_at, stored.ended_at) == (
            len(times),
            min(times),
            max(times),
        )
    assert (
        await _session_of(session_factory, "d00h0i00")
        == first
        == await _session_of(session_factory, "d00h1i14")
    )


async def _corrections_recorded(factory: SessionFactory) -> int:
    async with factory() as db:
        return len(list(await db.scalars(select(Correction.id))))


async def test_a_merge_that_other_corrections_keep_apart_is_refused_and_changes_nothing(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """The first image of day 1 moved into day 2's session makes that session start on day 1, next to
    day 0's in the list; merging those two would have to swallow day 1's, which the artist did not
    ask for: the merge was recorded, taught the offset and joined nothing. Now it is refused."""
    user_id, (first, _, later) = await _three_evenings_moving(session_factory, settings, tmp_path, "d01h0i00")
    recorded = await _corrections_recorded(session_factory)

    with pytest.raises(corrections.CorrectionError, match="cannot be joined as they stand"):
        async with unit_of_work(session_factory) as db:
            await corrections.merge_sessions(db, user_id, [first, later])

    assert await _corrections_recorded(session_factory) == recorded
    assert await _session_of(session_factory, "d00h0i00") == first
    assert (
        await _session_of(session_factory, "d02h0i00")
        == later
        == await _session_of(session_factory, "d01h0i00")
    )
    assert await _session_of(session_factory, "d01h0i01") not in (first, later)


async def test_a_split_a_merge_holds_together_is_refused_and_changes_nothing(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """Day 0's last image moved into day 2's session, which then starts on day 0; merged with day 1's
    session, its must-link closes every gap of day 1: a split inside day 1 was recorded and split
    nothing. Now it is refused."""
    user_id, (_, middle, later) = await _three_evenings_moving(
        session_factory, settings, tmp_path, "d00h1i14"
    )
    async with unit_of_work(session_factory) as db:
        await corrections.merge_sessions(db, user_id, [later, middle])
    merged = await _session_of(session_factory, "d01h0i05")
    assert merged == await _session_of(session_factory, "d02h0i00")
    recorded = await _corrections_recorded(session_factory)
    at = await _asset(session_factory, "d01h0i05")

    with pytest.raises(corrections.CorrectionError, match="split cannot hold"):
        async with unit_of_work(session_factory) as db:
            await corrections.split_session(db, user_id, merged, at.id)  # type: ignore[arg-type]

    assert await _corrections_recorded(session_factory) == recorded
    assert (
        await _session_of(session_factory, "d01h0i04")
        == merged
        == await _session_of(session_factory, "d01h0i05")
    )


async def test_a_merge_of_two_sessions_records_its_gaps_margin_and_teaches_the_offset(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """A plain two-session merge at a gap the engine scored near its threshold says the artist's
    threshold is higher. Before, the margin was computed in a window of the later session alone, which
    starts at the gap: no margin was recorded (``boundary_score`` null) and the offset stayed at 0 —
    merges taught nothing, only splits did."""
    await _import(session_factory, settings, tmp_path, _evening(0, pause_minutes=74) + _evening(2))
    user_id = await _user_id(session_factory)
    earlier, later = (
        await _session_of(session_factory, "d00h0i00"),
        await _session_of(session_factory, "d00h1i00"),
    )
    assert earlier is not None and later is not None and earlier != later

    async with unit_of_work(session_factory) as db:
        merged = await corrections.merge_sessions(db, user_id, [earlier, later])
    async with session_factory() as db:
        score = await db.scalar(
            select(Correction.boundary_score).where(Correction.id == merged.correction_ids[0])
        )
    assert score is not None and 0.0 < score < 4.0, score  # a finite margin, near the threshold
    assert merged.threshold_offset > 0.0
