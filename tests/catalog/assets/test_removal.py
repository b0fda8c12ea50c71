"""Removing images from a library (:mod:`catalog.assets.removal`) on the real database: what goes, what
stays, what later imports do with the same bytes, and that nothing of another user's is touched."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from catalog.assets.removal import Removal, assets_read_from, discard_unused_files, remove_assets
from catalog.database import SessionFactory, unit_of_work
from catalog.importing.asset_rows import copy_values, record_to_row
from catalog.importing.bulk_asset_repository import CopiedAssets, copy_new_assets
from catalog.importing.known_files_repository import known_file_sizes
from catalog.importing.outcomes import REMOVED_EARLIER_REASON, Outcome
from catalog.importing.service import ImportReport, ThumbnailMode, import_paths
from catalog.models import Asset, LineageEdge, RemovedRecord, Session, SessionConstraint, User
from catalog.sessions import corrections
from catalog.sessions.reclustering import recluster_user
from catalog.settings import AtelierSettings
from catalog.storage.local import LocalThumbnailStore
from engine.record_codec import read_records_jsonl
from engine.records import GenerationRecord
from tests.hostile_files import image_bytes

SITTINGS = {  # hour of the day → prompt; each sitting is its own session (hours apart, new subject)
    9: "red fox in fresh snow, telephoto wildlife photo",
    13: "lighthouse on a cliff at dawn, oil painting",
    19: "neon city street in the rain, cinematic",
}


def _records() -> list[dict[str, Any]]:
    """Eight images a minute apart per sitting; the 13:00 sitting's fourth image is upscaled after."""
    records: list[dict[str, Any]] = []
    for hour, prompt in SITTINGS.items():
        for index in range(8):
            when = datetime(2026, 3, 2, hour, index, tzinfo=UTC)
            records.append(
                {
                    "id": f"h{hour:02d}i{index}",
                    "tool": "comfyui",
                    "created_at": when.isoformat(),
                    "prompt": prompt,
                    "seed": 100 * hour + index,
                    "cfg_scale": 7.0,
                    "steps": 30,
                    "model": "sdxl.safetensors",
                    "width": 1024,
                    "height": 1024,
                    "file_name": f"ComfyUI_{hour:02d}{index:03d}_.png",
                }
            )
    records.append(
        {
            "id": "h13up",
            "tool": "comfyui",
            "created_at": datetime(2026, 3, 2, 13, 9, tzinfo=UTC).isoformat(),
            "prompt": SITTINGS[13],
            "seed": 1303,
            "cfg_scale": 7.0,
            "steps": 30,
            "model": "sdxl.safetensors",
            "width": 2048,
            "height": 2048,
            "denoise": 0.35,
            "source_image": "ComfyUI_13003_.png",
            "file_name": "ComfyUI_13900_.png",
        }
    )
    return records


def _write_log(path: Path) -> None:
    if not path.exists():
        path.write_text("\n".join(json.dumps(record) for record in _records()) + "\n")


async def _import_records(
    factory: SessionFactory, settings: AtelierSettings, path: Path, **options: Any
) -> ImportReport:
    _write_log(path)
    report = await import_paths(factory, settings, user_handle="ada", paths=[path], **options)
    assert report.problems == []
    return report


async def _user(factory: SessionFactory, handle: str = "ada") -> uuid.UUID:
    async with factory() as db:
        user_id = await db.scalar(select(User.id).where(User.handle == handle))
    assert user_id is not None
    return user_id


async def _ids(factory: SessionFactory, *record_ids: str) -> list[uuid.UUID]:
    """Ada's images with these record ids, in that order."""
    async with factory() as db:
        found = await db.execute(
            select(Asset.record_id, Asset.id)
            .join(User, User.id == Asset.user_id)
            .where(User.handle == "ada", Asset.record_id.in_(record_ids))
        )
        rows = {record_id: asset_id for record_id, asset_id in found.all()}
    return [rows[record_id] for record_id in record_ids]


async def _remove(factory: SessionFactory, user_id: uuid.UUID, asset_ids: list[uuid.UUID]) -> Removal:
    async with unit_of_work(factory) as db:
        return await remove_assets(db, user_id, asset_ids)


async def _sessions(factory: SessionFactory, user_id: uuid.UUID) -> dict[uuid.UUID, tuple[Any, ...]]:
    async with factory() as db:
        rows = await db.scalars(select(Session).where(Session.user_id == user_id))
        return {
            row.id: (
                row.asset_count,
                row.started_at,
                row.ended_at,
                row.first_asset_id,
                row.label,
                row.updated_at,
            )
            for row in rows
        }


async def _session_of(factory: SessionFactory, record_id: str) -> uuid.UUID | None:
    async with factory() as db:
        return await db.scalar(select(Asset.session_id).where(Asset.record_id == record_id))


async def test_removing_a_whole_session_deletes_it_and_leaves_the_others_untouched(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import_records(session_factory, settings, tmp_path / "log.jsonl")
    user_id = await _user(session_factory)
    before = await _sessions(session_factory, user_id)
    assert len(before) == 3
    morning = await _session_of(session_factory, "h09i0")
    removed_ids = await _ids(session_factory, *(f"h09i{index}" for index in range(8)))

    removal = await _remove(session_factory, user_id, removed_ids)

    assert removal.removed == tuple(removed_ids) and removal.not_found == ()
    assert removal.sessions_deleted == 1
    after = await _sessions(session_factory, user_id)
    assert set(after) == set(before) - {morning}
    assert all(after[key] == before[key] for key in after)  # ids, counts, labels and updated_at unchanged
    async with session_factory() as db:
        assert await db.scalar(select(func.count()).select_from(Asset).where(Asset.id.in_(removed_ids))) == 0
        remembered = set(
            await db.scalars(select(RemovedRecord.record_id).where(RemovedRecord.user_id == user_id))
        )
    assert remembered == {f"h09i{index}" for index in range(8)}


async def test_removing_part_of_a_session_describes_it_again(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import_records(session_factory, settings, tmp_path / "log.jsonl")
    user_id = await _user(session_factory)
    noon = await _session_of(session_factory, "h13i0")
    assert noon is not None
    count_before = (await _sessions(session_factory, user_id))[noon][0]

    removal = await _remove(session_factory, user_id, await _ids(session_factory, "h13i0", "h13i1", "h13i2"))

    assert len(removal.removed) == 3 and removal.sessions_deleted == 0
    kept = await _session_of(session_factory, "h13i3")
    assert kept == noon  # the session keeps its identity
    count, started, _, first, _, _ = (await _sessions(session_factory, user_id))[noon]
    assert count == count_before - 3
    assert started == datetime(2026, 3, 2, 13, 3, tzinfo=UTC)
    assert first == (await _ids(session_factory, "h13i3"))[0]


async def test_lineage_links_to_removed_images_go_and_the_child_stays(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import_records(session_factory, settings, tmp_path / "log.jsonl")
    user_id = await _user(session_factory)
    parent, child = await _ids(session_factory, "h13i3", "h13up")
    async with session_factory() as db:
        assert (
            await db.scalar(select(LineageEdge.parent_asset_id).where(LineageEdge.child_asset_id == child))
            == parent
        )

    await _remove(session_factory, user_id, [parent])

    async with session_factory() as db:
        assert (
            await db.scalar(
                select(func.count()).select_from(LineageEdge).where(LineageEdge.child_asset_id == child)
            )
            == 0
        )
        assert await db.get(Asset, child) is not None
    await _remove(session_factory, user_id, [child])  # a childless parent's edges go the same way
    async with session_factory() as db:
        assert (
            await db.scalar(
                select(func.count()).select_from(LineageEdge).where(LineageEdge.parent_asset_id == child)
            )
            == 0
        )


async def test_imports_leave_removed_records_out_until_asked_to_take_them_back(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    log = tmp_path / "log.jsonl"
    await _import_records(session_factory, settings, log)
    user_id = await _user(session_factory)
    await _remove(
        session_factory, user_id, await _ids(session_factory, *(f"h19i{index}" for index in range(8)))
    )

    again = await _import_records(session_factory, settings, log)

    assert again.removed_earlier == 8 and again.records_imported == 0
    assert again.files[0].outcome is Outcome.KNOWN
    assert len(await _sessions(session_factory, user_id)) == 2

    back = await _import_records(session_factory, settings, log, include_removed=True)

    assert back.records_imported == 8 and back.removed_earlier == 0
    assert len(await _sessions(session_factory, user_id)) == 3
    async with session_factory() as db:
        assert await db.scalar(select(func.count()).select_from(RemovedRecord)) == 0


async def test_ids_that_are_not_the_users_images_change_nothing(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import_records(session_factory, settings, tmp_path / "log.jsonl")
    other_log = tmp_path / "other.jsonl"
    other_log.write_text(json.dumps(_records()[0]) + "\n")
    await import_paths(session_factory, settings, user_handle="bea", paths=[other_log])
    ada, bea = await _user(session_factory), await _user(session_factory, "bea")
    async with session_factory() as db:
        beas_image = await db.scalar(select(Asset.id).where(Asset.user_id == bea))
    assert beas_image is not None
    stranger = uuid.uuid4()
    sessions_before = await _sessions(session_factory, ada)

    removal = await _remove(session_factory, ada, [beas_image, stranger])

    assert removal.removed == () and removal.not_found == (beas_image, stranger)
    async with session_factory() as db:
        assert await db.get(Asset, beas_image) is not None
        assert await db.scalar(select(func.count()).select_from(RemovedRecord)) == 0
    assert await _sessions(session_factory, ada) == sessions_before

    mine = await _ids(session_factory, "h09i0")
    first = await _remove(session_factory, ada, mine)
    second = await _remove(session_factory, ada, mine)  # a retried request
    assert first.removed == tuple(mine) and second.removed == () and second.not_found == tuple(mine)


async def test_a_merge_holds_when_the_image_at_its_gap_is_removed(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import_records(session_factory, settings, tmp_path / "log.jsonl")
    user_id = await _user(session_factory)
    morning, noon = await _session_of(session_factory, "h09i0"), await _session_of(session_factory, "h13i0")
    assert morning is not None and noon is not None and morning != noon
    async with unit_of_work(session_factory) as db:
        await corrections.merge_sessions(db, user_id, [morning, noon])
    last_morning = (await _ids(session_factory, "h09i7"))[0]
    async with session_factory() as db:
        naming = (
            select(func.count())
            .select_from(SessionConstraint)
            .where(
                (SessionConstraint.asset_a_id == last_morning)
                | (SessionConstraint.asset_b_id == last_morning)
            )
        )
        assert (await db.scalar(naming) or 0) >= 1

    await _remove(session_factory, user_id, [last_morning])

    async with session_factory() as db:
        assert await db.scalar(naming) == 0
    async with unit_of_work(session_factory) as db:
        await recluster_user(db, user_id)
    assert await _session_of(session_factory, "h09i0") == await _session_of(session_factory, "h13i7")


async def test_removed_image_files_are_ignored_by_folder_imports_and_unused_thumbnails_deleted(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    folder.mkdir()
    for index in range(3):
        (folder / f"{index:05d}-{100 + index}.png").write_bytes(image_bytes(seed=index, size=(64, 48)))
    shared = tmp_path / "bea" / "00000-100.png"
    shared.parent.mkdir()
    shared.write_bytes((folder / "00000-100.png").read_bytes())  # bea has the same bytes as ada's first
    options: dict[str, Any] = {"thumbnails": ThumbnailMode.INLINE}
    await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **options)
    await import_paths(session_factory, settings, user_handle="bea", paths=[shared], **options)
    ada = await _user(session_factory)
    store = LocalThumbnailStore(settings.thumbnails_dir)
    async with session_factory() as db:
        found = await db.execute(select(Asset.file_name, Asset.thumbnail_sha256).where(Asset.user_id == ada))
        thumbnails = {str(name): str(sha) for name, sha in found.all() if sha is not None}
    assert len(thumbnails) == 3 and all(store.exists(sha) for sha in thumbnails.values())
    removed_paths = [folder / "00000-100.png", folder / "00001-101.png"]
    async with session_factory() as db:
        asset_ids = await assets_read_from(db, ada, removed_paths)
        assert len(asset_ids) == 2
        assert len(await assets_read_from(db, ada, [folder])) == 3
        assert await assets_read_from(db, ada, [tmp_path / "elsewhere"]) == []

    removal = await _remove(session_factory, ada, asset_ids)
    deleted = await discard_unused_files(session_factory, settings, ada, removal)

    assert deleted == 1  # bea's image still shows the first thumbnail
    assert store.exists(thumbnails["00000-100.png"]) and not store.exists(thumbnails["00001-101.png"])
    assert store.exists(thumbnails["00002-102.png"])
    assert all(path.exists() for path in removed_paths)  # the artist's files are never touched
    async with session_factory() as db:
        sizes = await known_file_sizes(db, ada, [str(path.resolve()) for path in removed_paths])
    assert len(sizes) == 2  # a watched folder does not read them again

    again = await import_paths(session_factory, settings, user_handle="ada", paths=[folder], **options)

    outcomes = {Path(item.path).name: (item.outcome, item.reason) for item in again.files}
    assert outcomes["00000-100.png"] == (Outcome.IGNORED, REMOVED_EARLIER_REASON)
    assert outcomes["00001-101.png"] == (Outcome.IGNORED, REMOVED_EARLIER_REASON)
    assert outcomes["00002-102.png"][0] is Outcome.KNOWN
    assert again.removed_earlier == 2 and again.imported == 0

    back = await import_paths(
        session_factory, settings, user_handle="ada", paths=[folder], include_removed=True, **options
    )

    assert back.imported == 2 and store.exists(thumbnails["00001-101.png"])


async def test_every_copy_of_removed_bytes_is_ignored_not_known(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """Two names for the same bytes: the image is imported once (the second copy known). Naming the
    copy removes that image (it named nothing: the asset keeps the path it was stored from). Removed,
    both copies are left out on the next import; the second was reported ``known`` "same content as"
    the first, with no asset behind it (found by an import probe)."""
    folder = tmp_path / "outputs"
    folder.mkdir()
    for name in ("x.png", "y.png"):
        (folder / name).write_bytes(image_bytes(seed=7, size=(64, 48)))
    first = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])
    assert sorted(item.outcome for item in first.files) == [Outcome.IMPORTED, Outcome.KNOWN]
    ada = await _user(session_factory)
    copy = next(Path(item.path) for item in first.files if item.outcome is Outcome.KNOWN)
    async with session_factory() as db:
        asset_ids = await assets_read_from(db, ada, [copy])
    assert len(asset_ids) == 1
    await _remove(session_factory, ada, asset_ids)

    again = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])

    assert [(item.outcome, item.reason, item.asset_id) for item in again.files] == [
        (Outcome.IGNORED, REMOVED_EARLIER_REASON, None)
    ] * 2
    assert again.removed_earlier == 2 and again.already_known == 0


async def test_a_split_and_a_move_hold_when_the_images_they_name_are_removed(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await _import_records(session_factory, settings, tmp_path / "log.jsonl")
    user_id = await _user(session_factory)
    noon, morning = await _session_of(session_factory, "h13i0"), await _session_of(session_factory, "h09i0")
    assert noon is not None and morning is not None
    cut, first_moved, second_moved = await _ids(session_factory, "h13i4", "h19i0", "h19i1")
    async with unit_of_work(session_factory) as db:
        await corrections.split_session(db, user_id, noon, cut)
    async with unit_of_work(session_factory) as db:
        await corrections.move_assets(db, user_id, [first_moved, second_moved], morning)
    assert await _session_of(session_factory, "h13i3") != await _session_of(session_factory, "h13i5")
    assert await _session_of(session_factory, "h19i0") == await _session_of(session_factory, "h09i1")

    # the split's cut image, the move's anchor (the target's first image) and one moved image go
    await _remove(session_factory, user_id, await _ids(session_factory, "h13i4", "h09i0", "h19i1"))
    async with unit_of_work(session_factory) as db:
        await recluster_user(db, user_id)

    assert await _session_of(session_factory, "h13i3") != await _session_of(session_factory, "h13i5")
    assert await _session_of(session_factory, "h19i0") == await _session_of(session_factory, "h09i1")
    assert await _session_of(session_factory, "h19i0") != await _session_of(session_factory, "h19i2")


async def test_files_whose_names_are_not_utf8_are_found_by_their_bytes(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    folder.mkdir()
    latin1 = folder / os.fsdecode(b"caf\xe9.png")  # a name written by a Latin-1 system
    latin1.write_bytes(image_bytes(seed=7))
    (folder / "plain.png").write_bytes(image_bytes(seed=8))
    await import_paths(session_factory, settings, user_handle="ada", paths=[folder], make_thumbnails=False)
    ada = await _user(session_factory)

    async with session_factory() as db:
        by_file = await assets_read_from(db, ada, [latin1])
        by_folder = await assets_read_from(db, ada, [folder])
        raw = await db.scalar(select(Asset.file_path_bytes).where(Asset.id.in_(by_file)))

    assert len(by_file) == 1 and raw == os.fsencode(latin1)
    assert len(by_folder) == 2 and set(by_file) <= set(by_folder)


async def _wait_until_another_backend_waits_on_a_lock(factory: SessionFactory) -> None:
    """Until some other connection of this database waits for a lock (the insert, behind the removal)."""
    for _ in range(600):
        async with factory() as db:
            waiting = await db.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the insert never waited for the removal")


async def _insert_again(factory: SessionFactory, user_id: uuid.UUID, log: Path) -> CopiedAssets:
    """The log's evening records inserted as an import batch does, in a transaction of its own."""
    records = [
        record
        for record in read_records_jsonl(log)
        if isinstance(record, GenerationRecord) and record.id.startswith("h19")
    ]
    values = [copy_values(record_to_row(record, user_id=user_id)) for record in records]
    async with unit_of_work(factory) as db:
        return await copy_new_assets(db, user_id, values)


async def test_an_insert_of_the_records_being_removed_waits_and_leaves_them_out(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    log = tmp_path / "log.jsonl"
    await _import_records(session_factory, settings, log)
    user_id = await _user(session_factory)
    evening = await _ids(session_factory, *(f"h19i{index}" for index in range(8)))

    async with session_factory() as db, db.begin():  # the removal, not yet committed …
        removal = await remove_assets(db, user_id, evening)
        inserting = asyncio.create_task(_insert_again(session_factory, user_id, log))  # … and the same bytes
        await _wait_until_another_backend_waits_on_a_lock(session_factory)
    copied = await inserting

    assert removal.removed == tuple(evening)
    assert copied.new == {} and copied.known == {} and len(copied.removed) == 8
    async with session_factory() as db:
        assert await db.scalar(select(func.count()).select_from(Asset).where(Asset.user_id == user_id)) == 17
        assert await db.scalar(select(func.count()).select_from(RemovedRecord)) == 8
