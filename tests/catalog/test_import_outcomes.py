"""Every file of an import has exactly one outcome, and no single file can abort the import."""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from catalog.database import SessionFactory
from catalog.importing import service, thumbnail_pool
from catalog.importing.outcomes import Outcome
from catalog.importing.service import import_paths
from catalog.models import Asset
from catalog.settings import AtelierSettings
from catalog.thumbnails import thumbnail_path
from tests.hostile_files import (
    bomb_png,
    broken_exif_jpeg,
    broken_exif_png,
    broken_exif_webp,
    deep_json_line,
    huge_ihdr_png,
    image_bytes,
    record_line,
)


def _outcomes(report: service.ImportReport) -> dict[str, tuple[str, str | None]]:
    return {Path(item.path).name: (str(item.outcome), item.reason) for item in report.files}


async def _thumbnail_of(factory: SessionFactory, asset_id: Any) -> str | None:
    async with factory() as session:
        return await session.scalar(select(Asset.thumbnail_sha256).where(Asset.id == asset_id))


async def test_the_three_reported_crashers_are_each_one_files_outcome(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """Issue 10 item 1: a PNG whose IHDR declares 0xFFFFFFFF², a JPEG whose APP1 is only
    ``Exif\\0\\0II*\\0`` (also as PNG eXIf and WEBP EXIF), a JSONL line nested 10,000 deep."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.png").write_bytes(image_bytes(seed=1))
    (folder / "huge.png").write_bytes(huge_ihdr_png())
    (folder / "exif.jpg").write_bytes(broken_exif_jpeg(2))
    (folder / "exif.png").write_bytes(broken_exif_png(3))
    (folder / "exif.webp").write_bytes(broken_exif_webp(4))
    (folder / "deep.jsonl").write_bytes(deep_json_line() + record_line("after-deep", 5))

    report = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])

    outcomes = _outcomes(report)
    assert outcomes["huge.png"][0] == "problem"
    assert "impossible size 4294967295x4294967295" in (outcomes["huge.png"][1] or "")
    assert outcomes["deep.jsonl"][0] == "problem"
    assert "line 1: field 'a': nested deeper than 64 levels" in (outcomes["deep.jsonl"][1] or "")
    for name in ("good.png", "exif.jpg", "exif.png", "exif.webp"):
        assert outcomes[name] == ("imported", None), name
    assert report.records_imported == 1  # the line after the deep one
    for item in report.files:
        if item.outcome is Outcome.IMPORTED and item.asset_id is not None:
            sha = await _thumbnail_of(session_factory, item.asset_id)
            assert sha is not None and thumbnail_path(settings.thumbnails_dir, sha).exists(), item.path
    assert report.has_problems


async def test_a_thumbnail_failure_is_an_imported_file_with_a_warning(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """Issue 10 item 3: imported files whose thumbnail failed were printed as "skipped"."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bomb.png").write_bytes(bomb_png())
    (folder / "good.png").write_bytes(image_bytes(seed=1))

    report = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])

    outcomes = _outcomes(report)
    assert outcomes["bomb.png"][0] == "imported"
    assert (outcomes["bomb.png"][1] or "").startswith("thumbnail failed: declared image size 15000x15000")
    assert outcomes["good.png"] == ("imported", None)
    assert [Path(problem.path).name for problem in report.thumbnail_problems] == ["bomb.png"]
    assert report.problems == [] and not report.has_problems
    async with session_factory() as session:
        unclustered = await session.scalar(select(func.count()).where(Asset.session_id.is_(None)))
    assert unclustered == 0


async def test_an_unexpected_exception_while_thumbnailing_one_file_is_that_files_warning(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for index in range(3):
        (folder / f"f{index}.png").write_bytes(image_bytes(seed=index))
    real = thumbnail_pool.make_thumbnail

    def failing_for_f1(source: Path, *args: Any, **kwargs: Any) -> Any:
        if source.name == "f1.png":
            raise struct.error("unpack requires a buffer of 4 bytes")
        return real(source, *args, **kwargs)

    monkeypatch.setattr(thumbnail_pool, "make_thumbnail", failing_for_f1)  # in-process (threads)

    report = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])

    assert [str(item.outcome) for item in report.files] == ["imported"] * 3
    assert _outcomes(report)["f1.png"][1] == (
        "thumbnail failed: thumbnail failed unexpectedly (error: unpack requires a buffer of 4 bytes)"
    )
    assert report.thumbnails_made == 2


async def test_a_records_file_that_cannot_be_read_is_a_problem_and_the_rest_imports(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(record_line("a", 1))
    (folder / "b.jsonl").write_bytes(record_line("b", 2))
    (folder / "c.png").write_bytes(image_bytes(seed=1))
    real = service.read_records_jsonl

    def exploding(path: Path, **kwargs: Any) -> Any:
        if path.name == "a.jsonl":
            raise RecursionError("maximum recursion depth exceeded")
        return real(path, **kwargs)

    monkeypatch.setattr(service, "read_records_jsonl", exploding)

    report = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])

    assert _outcomes(report) == {
        "a.jsonl": ("problem", "cannot read records (RecursionError)"),
        "b.jsonl": ("imported", None),
        "c.png": ("imported", None),
    }


async def test_empty_records_files_special_files_and_known_files_are_reported(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """Issue 10 items 2 and 3: a 0-byte .jsonl and a FIFO named x.png are accounted for; a file
    imported before is ``known`` with the id of its asset."""
    import os

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "blank.jsonl").write_bytes(b"\n  \n")
    os.mkfifo(folder / "x.png")
    (folder / "a.png").write_bytes(image_bytes(seed=1))
    (folder / "copy-of-a.png").write_bytes(image_bytes(seed=1))

    first = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])
    again = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])

    outcomes = _outcomes(first)
    assert outcomes["empty.jsonl"] == ("ignored", "no records (empty file)")
    assert outcomes["blank.jsonl"] == ("ignored", "no records (empty file)")
    assert outcomes["x.png"] == ("ignored", "not a regular file: FIFO")
    assert outcomes["a.png"] == ("imported", None)
    assert outcomes["copy-of-a.png"] == ("known", f"same content as {folder / 'a.png'}")
    asset_ids = {Path(item.path).name: item.asset_id for item in first.files}
    assert asset_ids["a.png"] is not None and asset_ids["copy-of-a.png"] == asset_ids["a.png"]
    assert {Path(item.path).name: (str(item.outcome), item.asset_id) for item in again.files}["a.png"] == (
        "known",
        asset_ids["a.png"],
    )
    assert first.outcome_counts() == {"imported": 1, "known": 1, "problem": 0, "ignored": 3}
    assert not first.has_problems


async def test_a_folder_that_cannot_be_listed_is_reported_not_skipped_silently(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 10 item 3. Tests may run as root (``chmod 000`` denies nothing), so the operating
    system's refusal to list the folder is injected at ``os.scandir``."""
    import os

    folder = tmp_path / "in"
    (folder / "locked").mkdir(parents=True)
    (folder / "locked" / "inside.png").write_bytes(image_bytes(seed=2))
    (folder / "a.png").write_bytes(image_bytes(seed=1))
    real_scandir = os.scandir

    def refusing(path: Any) -> Any:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)

    report = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])

    assert _outcomes(report) == {
        "a.png": ("imported", None),
        "locked": ("problem", "cannot list folder (Permission denied)"),
    }
    assert [problem.path for problem in report.problems] == [str(folder / "locked")]


async def test_a_copied_folder_of_unrelated_images_is_imported_but_never_grouped(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path, fixtures_dir: Path
) -> None:
    """Issue 11 §5: files whose only time is one shared copy mtime stay in the catalog, untimed,
    outside sessions, and say why."""
    folder = tmp_path / "checkout"
    folder.mkdir()
    for tool_folder in ("AUTOMATIC1111", "Forge", "reForge"):
        for source in sorted((fixtures_dir / "images" / tool_folder).iterdir()):
            (folder / f"{tool_folder}-{source.name}").write_bytes(source.read_bytes())
    moment = 1_790_000_000.0
    for index, path in enumerate(sorted(folder.iterdir())):
        os.utime(path, (moment + index * 0.05, moment + index * 0.05))

    await import_paths(session_factory, settings, user_handle="ada", paths=[folder])

    async with session_factory() as session:
        rows = (await session.execute(select(Asset.created_at, Asset.session_id, Asset.extra))).all()
    rejected = [row for row in rows if "time_rejected" in (row.extra or {})]
    assert len(rejected) >= 5
    for row in rejected:
        assert row.created_at is None and row.session_id is None
        assert "copy time" in row.extra["time_rejected"] or "copied since" in row.extra["time_rejected"]
    assert all(row.session_id is None for row in rows if row.created_at is None)
