"""Midjourney's ``parent_grid`` from a stored archive reaches the assets and their lineage, in either
order of import, once — against the real embedded PostgreSQL, with real archive JSON files, JSONL
records and real PNG downloads (``Description`` with the job id, ``Creation Time``).

The images carry their time in their own metadata (``metadata:Creation Time``, as Midjourney's web
downloads do), which outranks the archive's ``enqueue_time``: applying the archive moves no image,
so only a changed parent makes the upscale's span re-clustered.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from catalog.database import SessionFactory, unit_of_work
from catalog.importing.export_evidence import apply_stored_evidence, evidence_rows
from catalog.importing.service import import_paths
from catalog.models import Asset, StoredTimeEvidence, User
from catalog.settings import AtelierSettings
from engine.exports import ExportTimeEvidence
from engine.exports.midjourney_archive import SOURCE as MIDJOURNEY_SOURCE
from engine.records import TimePrecision
from tests.catalog.midjourney_archive_files import (
    GRID,
    OTHER,
    PARENT_GRID,
    PROMPT,
    UPSCALE,
    UPSCALE_NAME,
    UPSCALE_TIME,
    assets_by_name,
    download_records,
    grid_name,
    import_archive,
    lineage_edges,
    parents_by_name,
    write_archive,
    write_download,
    write_jsonl,
)


def _assert_upscale_parent_is_the_named_cell(
    assets: dict[str, Asset], parents: dict[str, tuple[str, str, float]]
) -> None:
    upscale = assets[UPSCALE_NAME]
    assert upscale.parent_job_id == GRID
    assert upscale.extra["parent_grid"] == PARENT_GRID
    parent, edge_kind, confidence = parents[UPSCALE_NAME]
    assert parent == grid_name(PARENT_GRID)
    assert confidence >= 0.9
    assert edge_kind == "upscale"
    assert all("parent_grid" not in assets[grid_name(i)].extra for i in range(4))


@pytest.mark.parametrize("archive_first", [False, True], ids=["archive-after-images", "archive-first"])
@pytest.mark.parametrize(
    ("upscale_time", "upscale_enqueued"),
    [
        pytest.param(UPSCALE_TIME, "2025-06-30 08:28:07.412583", id="same-session"),
        pytest.param("2025-07-02T20:00:03Z", "2025-07-02 20:00:02.5", id="days-later-another-session"),
    ],
)
async def test_the_upscale_links_to_the_grid_image_the_archive_names(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    archive_first: bool,
    upscale_time: str,
    upscale_enqueued: str,
) -> None:
    archive = write_archive(tmp_path / "archive.json", upscale_enqueued=upscale_enqueued)
    records = write_jsonl(tmp_path / "downloads.jsonl", download_records(created_at=upscale_time))

    if archive_first:
        await import_archive(session_factory, settings, archive)
        await import_paths(session_factory, settings, user_handle="ada", paths=[records])
    else:
        await import_paths(session_factory, settings, user_handle="ada", paths=[records])
        report = await import_archive(session_factory, settings, archive)
        # the images keep their own (better-ranked) times; the upscale's parent changed, and every
        # image got its job's type
        assert (report.matched, report.assets_updated, report.assets_moved) == (2, 5, 0)  # none re-timed
        assert report.reclustering is not None and report.reclustering.assets_considered >= 5

    assets = await assets_by_name(session_factory)
    assert {asset.created_at_source for asset in assets.values()} == {"metadata:Creation Time"}
    sessions = {asset.session_id for asset in assets.values()}
    assert None not in sessions and len(sessions) == (1 if upscale_time == UPSCALE_TIME else 2)
    _assert_upscale_parent_is_the_named_cell(assets, await parents_by_name(session_factory))


async def test_real_downloads_imported_before_their_archive_link_to_the_named_cell(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "midjourney"
    colours = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40)]
    for index, colour in enumerate(colours):
        write_download(folder / grid_name(index), GRID, "2025:06:30 08:26:52+00:00", colour)
    # the upscale of cell 2 looks like cell 2, at twice the size
    write_download(
        folder / UPSCALE_NAME, UPSCALE, "2025:06:30 08:28:07+00:00", colours[PARENT_GRID], size=128
    )
    imported = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])
    assert imported.imported == 5
    assert UPSCALE_NAME not in await parents_by_name(session_factory)  # a download does not name its parent

    report = await import_archive(session_factory, settings, write_archive(tmp_path / "a.json"))

    assert report.assets_updated == 5 and report.reclustering is not None  # parent, grid, job types
    assets = await assets_by_name(session_factory)
    assert assets[UPSCALE_NAME].created_at == datetime(2025, 6, 30, 8, 28, 7, tzinfo=UTC)  # its own time
    # the PNG reader gives no size: the archive's job_type is what makes the link an upscale
    assert assets[UPSCALE_NAME].extra["job_type"] == "v7_upscaler_2x_creative"
    _assert_upscale_parent_is_the_named_cell(assets, await parents_by_name(session_factory))


async def test_applying_the_archive_again_changes_nothing(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    records = write_jsonl(tmp_path / "downloads.jsonl", download_records())
    await import_paths(session_factory, settings, user_handle="ada", paths=[records])
    archive = write_archive(tmp_path / "archive.json")
    first = await import_archive(session_factory, settings, archive)
    assert first.assets_updated == 5  # the upscale's parent; every image its job type
    assets = await assets_by_name(session_factory)
    _assert_upscale_parent_is_the_named_cell(assets, await parents_by_name(session_factory))
    rows_before = {(a.id, a.created_at, a.parent_job_id, json.dumps(a.extra, sort_keys=True), a.session_id)
                   for a in assets.values()}  # fmt: skip
    edges_before = await lineage_edges(session_factory)

    again = await import_archive(session_factory, settings, archive)
    async with unit_of_work(session_factory) as session:
        owner = await session.scalar(select(User.id).where(User.handle == "ada"))
        assert owner is not None
        applied = await apply_stored_evidence(session, owner)
    reimported = await import_paths(session_factory, settings, user_handle="ada", paths=[records])

    assert (again.newly_stored, again.already_stored, again.matched) == (0, 2, 2)
    assert (again.assets_updated, again.assets_moved, again.reclustering) == (0, 0, None)
    assert (applied.updated, applied.moved) == ([], [])
    assert (reimported.imported, reimported.already_known) == (0, 5)
    assets = await assets_by_name(session_factory)
    rows_after = {(a.id, a.created_at, a.parent_job_id, json.dumps(a.extra, sort_keys=True), a.session_id)
                  for a in assets.values()}  # fmt: skip
    assert rows_after == rows_before
    assert await lineage_edges(session_factory) == edges_before


async def test_a_parent_grid_the_asset_has_or_another_parent_job_is_never_overwritten(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    base = {"tool": "midjourney", "prompt": PROMPT, "created_at_source": "metadata:Creation Time"}
    records = [
        {**base, "id": "own-grid", "job_id": UPSCALE, "file_name": "own.png", "created_at": UPSCALE_TIME,
         "parent_job_id": GRID, "parent_grid": 1},
        {**base, "id": "own-index", "job_id": UPSCALE, "file_name": "index.png", "created_at": UPSCALE_TIME,
         "parent_job_id": GRID, "parent_grid_index": 3},
        {**base, "id": "other-parent", "job_id": UPSCALE, "file_name": "other.png",
         "created_at": UPSCALE_TIME, "parent_job_id": OTHER},
        {**base, "id": "null-grid", "job_id": UPSCALE, "file_name": "null.png", "created_at": UPSCALE_TIME,
         "parent_job_id": GRID, "parent_grid": None},
    ]  # fmt: skip
    await import_paths(
        session_factory, settings, user_handle="ada", paths=[write_jsonl(tmp_path / "r.jsonl", records)]
    )

    report = await import_archive(session_factory, settings, write_archive(tmp_path / "a.json"))

    assets = await assets_by_name(session_factory)
    assert assets["own.png"].extra["parent_grid"] == 1
    assert (
        assets["index.png"].extra["parent_grid_index"] == 3 and "parent_grid" not in assets["index.png"].extra
    )
    assert assets["other.png"].parent_job_id == OTHER and "parent_grid" not in assets["other.png"].extra
    assert assets["null.png"].extra["parent_grid"] == PARENT_GRID
    assert report.assets_updated == 4  # each gets the job type; only null.png the parent grid


async def test_evidence_stored_without_a_parent_grid_is_completed_by_importing_the_archive_again(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """Evidence stored before ``parent_grid`` was kept (migration 0017) has none; the same archive
    imported again fills it in — and applies it — without touching anything else."""
    archive = write_archive(tmp_path / "archive.json")
    await import_archive(session_factory, settings, archive)
    async with unit_of_work(session_factory) as session:
        await session.execute(text("UPDATE export_time_evidence SET parent_grid = NULL"))
    records = write_jsonl(tmp_path / "downloads.jsonl", download_records())
    await import_paths(session_factory, settings, user_handle="ada", paths=[records])
    assert "parent_grid" not in (await assets_by_name(session_factory))[UPSCALE_NAME].extra

    again = await import_archive(session_factory, settings, archive)

    assert (again.newly_stored, again.already_stored, again.conflicting, again.assets_updated) == (0, 2, 0, 1)
    async with session_factory() as session:
        stored = {row.key: row.parent_grid for row in await session.scalars(select(StoredTimeEvidence))}
    assert stored == {GRID: None, UPSCALE: PARENT_GRID}
    _assert_upscale_parent_is_the_named_cell(
        await assets_by_name(session_factory), await parents_by_name(session_factory)
    )


async def test_an_archive_giving_another_time_does_not_complete_stored_evidence(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """The first export that names a key keeps it: a different archive's parent grid is not mixed in."""
    await import_archive(session_factory, settings, write_archive(tmp_path / "old.json", parent_grid=None))
    changed = json.loads(write_archive(tmp_path / "new.json").read_text())
    changed["jobs"][1]["enqueue_time"] = "2025-06-30 09:00:00"
    (tmp_path / "new.json").write_text(json.dumps(changed))

    report = await import_archive(session_factory, settings, tmp_path / "new.json")

    assert report.conflicting == 1
    async with session_factory() as session:
        assert set(await session.scalars(select(StoredTimeEvidence.parent_grid))) == {None}


def _item(parent_job_id: str | None, parent_grid: int | None) -> ExportTimeEvidence:
    return ExportTimeEvidence(
        key_kind="job_id",
        key=UPSCALE,
        created_at=datetime(2025, 6, 30, 8, 28, 7, tzinfo=UTC),
        source=MIDJOURNEY_SOURCE,
        precision=TimePrecision.MILLISECOND,
        time_field="enqueue_time",
        job_id=UPSCALE,
        parent_job_id=parent_job_id,
        parent_grid=parent_grid,
    )


@pytest.mark.parametrize(
    ("parent_job_id", "parent_grid", "stored"),
    [
        pytest.param(GRID, 2, (GRID, 2), id="kept"),
        pytest.param("p" * 201, 2, (None, None), id="parent-id-too-long-drops-its-grid"),
        pytest.param(None, 2, (None, None), id="no-parent-no-grid"),
        pytest.param(GRID, 64, (GRID, None), id="outside-0-63"),
    ],
)
def test_evidence_rows_keep_a_parent_grid_only_with_its_parent_job(
    parent_job_id: str | None, parent_grid: int | None, stored: tuple[str | None, int | None]
) -> None:
    rows, _ = evidence_rows([_item(parent_job_id, parent_grid)])

    assert [(row.parent_job_id, row.parent_grid) for row in rows] == [stored]
