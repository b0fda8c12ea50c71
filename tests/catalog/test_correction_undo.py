"""Undoing corrections through the real database: constraints, calibration, labels, history, races."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.database import SessionFactory, unit_of_work
from catalog.models import Correction, Session, SessionConstraint, UserCalibration
from catalog.sessions import corrections, undo
from catalog.sessions.correction_history import calibration_of, correction_page, summary_of
from catalog.sessions.reclustering import recluster_user
from catalog.settings import AtelierSettings
from tests.catalog.test_corrections import _asset, _evening, _import, _session_of, _user_id


async def _split_evening(factory: SessionFactory, user_id: uuid.UUID) -> corrections.CorrectionResult:
    at = await _asset(factory, "d00h1i00")
    assert at.session_id is not None
    async with unit_of_work(factory) as db:
        return await corrections.split_session(db, user_id, at.session_id, at.id)


async def _undo(factory: SessionFactory, user_id: uuid.UUID, correction_id: uuid.UUID) -> undo.UndoResult:
    async with unit_of_work(factory) as db:
        return await undo.undo_correction(db, user_id, correction_id)


async def _latest(factory: SessionFactory, user_id: uuid.UUID) -> Correction:
    async with factory() as db:
        (latest, *_) = await correction_page(db, user_id, limit=1, after=None)
    return latest


async def _constraints(factory: SessionFactory) -> list[tuple[str, uuid.UUID | None]]:
    """The pairs in force (a pair a later correction replaced is kept aside until that one is undone)."""
    async with factory() as db:
        rows = await db.execute(
            select(SessionConstraint.kind, SessionConstraint.correction_id).where(
                SessionConstraint.superseded_by_id.is_(None)
            )
        )
    return sorted((kind, correction_id) for kind, correction_id in rows.all())


async def test_undoing_a_split_rejoins_and_gives_back_the_offset_and_redoing_gives_the_same_offset(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, _evening(0))
    user_id = await _user_id(session_factory)
    assert await _session_of(session_factory, "d00h0i14") == await _session_of(session_factory, "d00h1i00")

    split = await _split_evening(session_factory, user_id)
    assert split.threshold_offset < 0  # a split at a gap the engine kept teaches a finer threshold
    first = await _latest(session_factory, user_id)
    assert await _constraints(session_factory) == [("cannot_link", first.id)]
    assert summary_of(first).startswith("Split '") and summary_of(first).endswith("' at image 16 of 30")

    undone = await _undo(session_factory, user_id, first.id)
    assert undone.threshold_offset == 0.0
    assert len(undone.session_ids) == 1
    assert await _session_of(session_factory, "d00h0i14") == await _session_of(session_factory, "d00h1i00")
    assert await _constraints(session_factory) == []
    async with session_factory() as db:
        calibration = await calibration_of(db, user_id)
        kept = await db.get(Correction, first.id)
    assert (calibration.threshold_offset, calibration.corrections_counted) == (0.0, 0)
    assert kept is not None and kept.undone_at is not None  # history is kept

    again = await _split_evening(session_factory, user_id)
    assert again.threshold_offset == split.threshold_offset  # deterministic: same set, same offset
    async with unit_of_work(session_factory) as db:
        await recluster_user(db, user_id)  # the undone correction stays without effect
    assert await _session_of(session_factory, "d00h0i14") != await _session_of(session_factory, "d00h1i00")


async def test_undoing_twice_is_refused_and_another_users_correction_is_not_found(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, _evening(0))
    user_id = await _user_id(session_factory)
    await _split_evening(session_factory, user_id)
    correction = await _latest(session_factory, user_id)
    async with unit_of_work(session_factory) as db:
        with pytest.raises(corrections.NotFound):
            await undo.undo_correction(db, uuid.uuid4(), correction.id)
    async with session_factory() as db:
        untouched = await db.get(Correction, correction.id)
    assert untouched is not None and untouched.undone_at is None

    await _undo(session_factory, user_id, correction.id)
    async with unit_of_work(session_factory) as db:
        with pytest.raises(undo.AlreadyUndone) as refused:
            await undo.undo_correction(db, user_id, correction.id)
    assert refused.value.undone_at is not None


async def test_two_concurrent_undos_apply_once(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, _evening(0))
    user_id = await _user_id(session_factory)
    await _split_evening(session_factory, user_id)
    correction = await _latest(session_factory, user_id)
    outcomes = await asyncio.gather(
        _undo(session_factory, user_id, correction.id),
        _undo(session_factory, user_id, correction.id),
        return_exceptions=True,
    )
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["AlreadyUndone", "UndoResult"]
    async with session_factory() as db:
        calibration = await db.get(UserCalibration, user_id)
    assert calibration is not None and calibration.correction_count == 0


async def test_undoing_a_split_of_a_merged_gap_brings_the_merge_back(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, _evening(0, second_half_model="flux.safetensors"))
    user_id = await _user_id(session_factory)
    first, second = (
        await _session_of(session_factory, "d00h0i00"),
        await _session_of(session_factory, "d00h1i00"),
    )
    assert first is not None and second is not None and first != second
    async with unit_of_work(session_factory) as db:
        merged = await corrections.merge_sessions(db, user_id, [first, second])
    merge = await _latest(session_factory, user_id)
    assert summary_of(merge) == "Merged 2 sessions (30 images)"
    await _split_evening(session_factory, user_id)
    split = await _latest(session_factory, user_id)
    assert await _constraints(session_factory) == [("cannot_link", split.id)]

    await _undo(session_factory, user_id, split.id)
    assert await _constraints(session_factory) == [("must_link", merge.id)]
    assert await _session_of(session_factory, "d00h0i14") == await _session_of(session_factory, "d00h1i00")
    async with session_factory() as db:
        assert (await calibration_of(db, user_id)).threshold_offset == merged.threshold_offset


async def test_undoing_a_move_puts_the_image_back(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, _evening(0) + _evening(3))
    user_id = await _user_id(session_factory)
    home, target = (
        await _session_of(session_factory, "d00h0i05"),
        await _session_of(session_factory, "d03h0i00"),
    )
    moving = await _asset(session_factory, "d00h0i05")
    async with unit_of_work(session_factory) as db:
        await corrections.move_assets(db, user_id, [moving.id], target)  # type: ignore[arg-type]
    move = await _latest(session_factory, user_id)
    assert summary_of(move).startswith("Moved 1 image to '")
    await _undo(session_factory, user_id, move.id)
    assert await _session_of(session_factory, "d00h0i05") == home
    assert await _constraints(session_factory) == []


async def test_undoing_renames_restores_the_previous_label_or_says_why_not(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import(session_factory, settings, tmp_path, _evening(0))
    user_id = await _user_id(session_factory)
    session_id = await _session_of(session_factory, "d00h0i00")
    assert session_id is not None
    async with session_factory() as db:
        automatic = (await db.get(Session, session_id)).label  # type: ignore[union-attr]

    async def relabel(label: str | None) -> Correction:
        async with unit_of_work(session_factory) as db:
            await corrections.relabel_session(db, user_id, session_id, label)
        return await _latest(session_factory, user_id)

    async def label_now() -> tuple[str | None, bool]:
        async with session_factory() as db:
            row = await db.get(Session, session_id)
        assert row is not None
        return row.label, row.label_pinned

    first = await relabel("Night walk")
    second = await relabel("Neon nights")
    assert summary_of(second) == "Renamed 'Night walk' → 'Neon nights'"
    async with unit_of_work(session_factory) as db:
        with pytest.raises(undo.CannotUndo, match="later rename"):
            await undo.undo_correction(db, user_id, first.id)
    await _undo(session_factory, user_id, second.id)
    assert await label_now() == ("Night walk", True)
    await _undo(session_factory, user_id, first.id)  # the later one is undone: this one can go too
    assert await label_now() == (automatic, False)
    await relabel("Pinned")
    unpin = await relabel(None)
    assert await label_now() == (automatic, False)
    await _undo(session_factory, user_id, unpin.id)  # undoing an unpin pins the label again
    assert await label_now() == ("Pinned", True)

    async with unit_of_work(session_factory) as db:  # a rename stored before previous labels were kept
        legacy = Correction(
            user_id=user_id, kind="relabel", payload={"session": str(session_id), "label": "Old"}
        )
        db.add(legacy)
    async with unit_of_work(session_factory) as db:
        with pytest.raises(undo.CannotUndo, match="before Atelier kept the previous label"):
            await undo.undo_correction(db, user_id, legacy.id)
    assert await label_now() == ("Pinned", True)  # nothing changed
