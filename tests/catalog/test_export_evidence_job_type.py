"""Midjourney's ``job_type`` from a stored archive reaches the images of that job and the kind of their
link to the parent job, in either order of import, once — against the real embedded PostgreSQL, with
real archive JSON files, real PNG downloads and JSONL records.

A Midjourney download has no pixel size (the PNG reader keeps none) and an upscale keeps its grid's
prompt, so without the archive's job type lineage cannot tell an upscale from a variation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from catalog.database import SessionFactory, unit_of_work
from catalog.importing.evidence_repository import EvidenceRow, store_evidence
from catalog.importing.export_evidence import (
    JOB_TYPE_MAX_LENGTH,
    MovedAsset,
    apply_stored_evidence,
    evidence_rows,
)
from catalog.importing.service import import_paths
from catalog.models import Asset, StoredTimeEvidence, User
from catalog.settings import AtelierSettings
from engine.exports import ExportTimeEvidence, read_midjourney_archive
from engine.exports.midjourney_archive import SOURCE as MIDJOURNEY_SOURCE
from engine.records import TimePrecision
from tests.catalog.midjourney_archive_files import (
    GRID,
    PARENT_GRID,
    PROMPT,
    STEM,
    UPSCALE,
    UPSCALE_NAME,
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

VARY = "5c8f0a3d-2e7b-4d19-b6a4-8e1c3f5d7b92"
"""The sample archive's vary job (``v7_variation`` of the grid's first image, with an added ``--sref``)."""
VARY_PROMPT = f"{PROMPT} --sref 2718281828"
VARY_GRID = 0
UPSCALE_JOB_TYPE = "v7_upscaler_2x_creative"
"""What ``write_archive`` gives the upscale job."""
COLOURS = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40)]


def vary_name(index: int) -> str:
    return f"{STEM}_{VARY}_{index}.png"


def write_archive_with_vary(path: Path, *, upscale_job_type: str = UPSCALE_JOB_TYPE) -> Path:
    """The grid, its upscale of cell 2 (of ``upscale_job_type``) and a vary (strong, remixed) of cell 0."""
    archive = json.loads(write_archive(path).read_text())
    archive["jobs"][1]["job_type"] = upscale_job_type
    archive["jobs"].append(
        {"id": VARY, "enqueue_time": "2025-06-30 08:29:55.87", "parent_id": GRID, "parent_grid": VARY_GRID,
         "full_command": VARY_PROMPT, "job_type": "v7_variation", "event_type": "variation", "type": "grid"}
    )  # fmt: skip
    path.write_text(json.dumps(archive))
    return path


def write_downloads(folder: Path) -> Path:
    """The grid's four images, the upscale of cell 2 and the vary's four images, as downloaded."""
    for index, colour in enumerate(COLOURS):
        write_download(folder / grid_name(index), GRID, "2025:06:30 08:26:52+00:00", colour)
        write_download(
            folder / vary_name(index), VARY, "2025:06:30 08:29:56+00:00", colour, prompt=VARY_PROMPT
        )
    write_download(folder / UPSCALE_NAME, UPSCALE, "2025:06:30 08:28:07+00:00", COLOURS[PARENT_GRID])
    return folder


def sizeless_records(**upscale_fields: Any) -> list[dict[str, Any]]:
    """``download_records`` without pixel sizes (as the PNG reader makes them)."""
    records = download_records(**upscale_fields)
    for record in records:
        del record["width"], record["height"]
    return records


async def _owner(factory: SessionFactory) -> Any:
    async with factory() as session:
        owner = await session.scalar(select(User.id).where(User.handle == "ada"))
    assert owner is not None
    return owner


async def _stored_job_types(factory: SessionFactory) -> dict[str, str | None]:
    async with factory() as session:
        return {row.key: row.job_type for row in await session.scalars(select(StoredTimeEvidence))}


def _row_state(assets: dict[str, Asset]) -> set[tuple[Any, ...]]:
    return {
        (a.id, a.created_at, a.parent_job_id, json.dumps(a.extra, sort_keys=True), a.session_id)
        for a in assets.values()
    }


@pytest.mark.parametrize("archive_first", [False, True], ids=["archive-after-images", "archive-first"])
@pytest.mark.parametrize("upscale_job_type", [UPSCALE_JOB_TYPE, "v7_upsample", "v6_upscale_creative"])
async def test_real_downloads_get_their_jobs_kind_from_the_archive_in_either_order(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    archive_first: bool,
    upscale_job_type: str,
) -> None:
    folder = write_downloads(tmp_path / "midjourney")
    archive = write_archive_with_vary(tmp_path / "archive.json", upscale_job_type=upscale_job_type)

    if archive_first:
        await import_archive(session_factory, settings, archive)
        imported = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])
        assert imported.imported == 9
    else:
        imported = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])
        assert imported.imported == 9
        report = await import_archive(session_factory, settings, archive)
        assert (report.matched, report.assets_updated, report.assets_moved) == (3, 9, 0)  # none re-timed
        assert report.reclustering is not None

    assets = await assets_by_name(session_factory)
    parents = await parents_by_name(session_factory)
    assert {asset.created_at_source for asset in assets.values()} == {"metadata:Creation Time"}
    assert assets[UPSCALE_NAME].extra["job_type"] == upscale_job_type
    assert parents[UPSCALE_NAME][:2] == (grid_name(PARENT_GRID), "upscale")
    for index in range(4):
        assert assets[grid_name(index)].extra["job_type"] == "v7_diffusion"
        assert grid_name(index) not in parents
        # a remixed vary: the changed prompt alone would make it a "remix"
        assert assets[vary_name(index)].extra["job_type"] == "v7_variation"
        assert parents[vary_name(index)][:2] == (grid_name(VARY_GRID), "variation")


async def test_a_job_type_the_asset_already_has_is_kept(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """``job_type`` or ``type`` (what lineage reads) is never overwritten nor shadowed; an empty, null
    or zero one (false to Python) is no job type and is filled in."""
    upscale = {"tool": "midjourney", "prompt": PROMPT, "created_at_source": "metadata:Creation Time",
               "created_at": "2025-06-30T08:28:07Z", "job_id": UPSCALE, "parent_job_id": GRID,
               "parent_grid": PARENT_GRID}  # fmt: skip
    records = [
        *sizeless_records()[:4],
        {**upscale, "id": "kept", "file_name": "kept.png", "job_type": "v7_variation"},
        {**upscale, "id": "typed", "file_name": "typed.png", "type": "remix"},
        {**upscale, "id": "empty", "file_name": "empty.png", "job_type": ""},
        {**upscale, "id": "null", "file_name": "null.png", "job_type": None},
        {**upscale, "id": "zero", "file_name": "zero.png", "job_type": 0.0, "type": False},
    ]
    await import_paths(
        session_factory, settings, user_handle="ada", paths=[write_jsonl(tmp_path / "r.jsonl", records)]
    )
    assert (await assets_by_name(session_factory))["zero.png"].extra["job_type"] == 0

    report = await import_archive(session_factory, settings, write_archive(tmp_path / "a.json"))

    assets = await assets_by_name(session_factory)
    parents = await parents_by_name(session_factory)
    assert assets["kept.png"].extra["job_type"] == "v7_variation"
    assert assets["typed.png"].extra["type"] == "remix" and "job_type" not in assets["typed.png"].extra
    assert assets["empty.png"].extra["job_type"] == UPSCALE_JOB_TYPE
    assert assets["null.png"].extra["job_type"] == UPSCALE_JOB_TYPE
    assert assets["zero.png"].extra["job_type"] == UPSCALE_JOB_TYPE  # false to lineage, as in Python
    kinds = {
        name: parents[name][1] for name in ("kept.png", "typed.png", "empty.png", "null.png", "zero.png")
    }
    assert kinds == {
        "kept.png": "variation",
        "typed.png": "remix",
        "empty.png": "upscale",
        "null.png": "upscale",
        "zero.png": "upscale",
    }
    assert {parents[name][0] for name in kinds} == {grid_name(PARENT_GRID)}
    assert report.assets_updated == 7  # the four grid images and the three without a job type


async def test_a_job_type_at_an_unchanged_time_re_clusters_only_an_asset_naming_a_parent_job(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """The upscale already names its parent job and grid cell: only the job type changes its lineage
    (from "variation" to "upscale"); the grid images get theirs but have no link to re-derive."""
    records = write_jsonl(tmp_path / "r.jsonl", sizeless_records(parent_job_id=GRID, parent_grid=PARENT_GRID))
    await import_paths(session_factory, settings, user_handle="ada", paths=[records])
    assert (await parents_by_name(session_factory))[UPSCALE_NAME][:2] == (grid_name(PARENT_GRID), "variation")
    upscale = (await assets_by_name(session_factory))[UPSCALE_NAME]
    rows, _ = evidence_rows(read_midjourney_archive(write_archive(tmp_path / "a.json")).evidence)

    async with unit_of_work(session_factory) as session:
        owner = await _owner(session_factory)
        await store_evidence(session, owner, rows, export_location="a.json")
        application = await apply_stored_evidence(session, owner)

    assert application.moved == [MovedAsset(upscale.id, upscale.created_at, upscale.created_at)]
    assert (len(application.updated), application.retimed) == (5, 0)


async def test_a_job_type_alone_makes_the_archive_re_cluster_the_upscale(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    records = write_jsonl(tmp_path / "r.jsonl", sizeless_records(parent_job_id=GRID, parent_grid=PARENT_GRID))
    await import_paths(session_factory, settings, user_handle="ada", paths=[records])

    report = await import_archive(session_factory, settings, write_archive(tmp_path / "a.json"))

    assert (report.assets_updated, report.assets_moved) == (5, 0)
    assert report.reclustering is not None
    assert (await parents_by_name(session_factory))[UPSCALE_NAME][:2] == (grid_name(PARENT_GRID), "upscale")


async def test_applying_the_archive_twice_changes_nothing_the_second_time(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = write_downloads(tmp_path / "midjourney")
    await import_paths(session_factory, settings, user_handle="ada", paths=[folder])
    archive = write_archive_with_vary(tmp_path / "archive.json")
    first = await import_archive(session_factory, settings, archive)
    assert first.assets_updated == 9
    assert (await parents_by_name(session_factory))[UPSCALE_NAME][1] == "upscale"
    rows_before = _row_state(await assets_by_name(session_factory))
    edges_before = await lineage_edges(session_factory)

    again = await import_archive(session_factory, settings, archive)
    async with unit_of_work(session_factory) as session:
        applied = await apply_stored_evidence(session, await _owner(session_factory))
    reimported = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])

    assert (again.newly_stored, again.already_stored, again.matched) == (0, 3, 3)
    assert (again.assets_updated, again.assets_moved, again.reclustering) == (0, 0, None)
    assert (applied.updated, applied.moved) == ([], [])
    assert (reimported.imported, reimported.already_known) == (0, 9)
    assert _row_state(await assets_by_name(session_factory)) == rows_before
    assert await lineage_edges(session_factory) == edges_before


@pytest.mark.parametrize(
    "missing",
    [
        pytest.param("job_type = NULL", id="stored-before-0018"),
        pytest.param("job_type = NULL, parent_grid = NULL", id="stored-before-0017"),
    ],
)
async def test_evidence_stored_without_a_job_type_is_completed_by_importing_the_archive_again(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path, missing: str
) -> None:
    """Evidence stored before ``job_type`` was kept (migration 0018; before 0017 without a parent
    grid either) has none; the same archive imported again fills it in (both at once) — and applies
    it — without touching anything else."""
    archive = write_archive(tmp_path / "archive.json")
    await import_archive(session_factory, settings, archive)
    async with unit_of_work(session_factory) as session:
        await session.execute(text(f"UPDATE export_time_evidence SET {missing}"))
    folder = write_downloads(tmp_path / "midjourney")
    await import_paths(session_factory, settings, user_handle="ada", paths=[folder])
    assert "job_type" not in (await assets_by_name(session_factory))[UPSCALE_NAME].extra
    assert (await parents_by_name(session_factory))[UPSCALE_NAME][1] == "variation"

    again = await import_archive(session_factory, settings, archive)

    # the grid's and the upscale's images take their job types (the vary job is not in this archive)
    assert (again.newly_stored, again.already_stored, again.conflicting, again.assets_updated) == (0, 2, 0, 5)
    assert again.assets_moved == 0
    async with session_factory() as session:
        stored = {
            row.key: (row.job_type, row.parent_grid)
            for row in await session.scalars(select(StoredTimeEvidence))
        }
    assert stored == {
        GRID: ("v7_diffusion", None),
        UPSCALE: (UPSCALE_JOB_TYPE, PARENT_GRID),
    }
    assert (await parents_by_name(session_factory))[UPSCALE_NAME][:2] == (grid_name(PARENT_GRID), "upscale")


async def test_an_archive_giving_another_time_does_not_complete_a_stored_job_type(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    await import_archive(session_factory, settings, write_archive(tmp_path / "old.json"))
    async with unit_of_work(session_factory) as session:
        await session.execute(text("UPDATE export_time_evidence SET job_type = NULL"))
    changed = json.loads(write_archive(tmp_path / "new.json").read_text())
    changed["jobs"][1]["enqueue_time"] = "2025-06-30 09:00:00"
    (tmp_path / "new.json").write_text(json.dumps(changed))

    report = await import_archive(session_factory, settings, tmp_path / "new.json")

    assert report.conflicting == 1
    assert await _stored_job_types(session_factory) == {GRID: "v7_diffusion", UPSCALE: None}


async def test_a_job_type_from_evidence_matched_by_file_name_is_not_copied(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """A file name names a file, not a job: its evidence's job type need not be the asset's job's."""
    record = {"tool": "comfyui", "id": "c", "file_name": "ComfyUI_00001_.png", "job_id": "j",
              "parent_job_id": "p", "created_at": "2025-06-30T08:28:07Z",
              "created_at_source": "file:mtime"}  # fmt: skip
    await import_paths(
        session_factory, settings, user_handle="ada", paths=[write_jsonl(tmp_path / "r.jsonl", [record])]
    )
    exported = datetime(2025, 6, 30, 8, 28, 7, 250000, tzinfo=UTC)
    row = EvidenceRow(
        key_kind="file_name",
        key="ComfyUI_00001_.png",
        created_at=exported,
        source="export:comfyui_history",
        precision="millisecond",
        time_field="execution_success",
        job_id="j",
        parent_job_id="p",
        job_type="upscale",
    )

    async with unit_of_work(session_factory) as session:
        owner = await _owner(session_factory)
        await store_evidence(session, owner, [row], export_location="history.json")
        application = await apply_stored_evidence(session, owner)

    asset = (await assets_by_name(session_factory))["ComfyUI_00001_.png"]
    assert len(application.updated) == 1 and asset.created_at == exported  # the time still applies
    assert "job_type" not in asset.extra


def _item(job_type: str | None) -> ExportTimeEvidence:
    return ExportTimeEvidence(
        key_kind="job_id",
        key=UPSCALE,
        created_at=datetime(2025, 6, 30, 8, 28, 7, tzinfo=UTC),
        source=MIDJOURNEY_SOURCE,
        precision=TimePrecision.MILLISECOND,
        time_field="enqueue_time",
        job_id=UPSCALE,
        job_type=job_type,
    )


@pytest.mark.parametrize(
    ("job_type", "stored"),
    [
        pytest.param("v7_upsample", "v7_upsample", id="kept"),
        pytest.param("u" * JOB_TYPE_MAX_LENGTH, "u" * JOB_TYPE_MAX_LENGTH, id="longest"),
        pytest.param("u" * (JOB_TYPE_MAX_LENGTH + 1), None, id="too-long-dropped"),
        pytest.param("", None, id="empty-is-none"),
        pytest.param(None, None, id="none"),
    ],
)
def test_evidence_rows_keep_a_job_type_that_fits_its_column(job_type: str | None, stored: str | None) -> None:
    rows, _ = evidence_rows([_item(job_type)])

    assert [(row.job_id, row.job_type) for row in rows] == [(UPSCALE, stored)]
