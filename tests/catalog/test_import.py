"""Import against the real embedded PostgreSQL, with real image files."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.models import Asset, Session, User
from catalog.settings import AtelierSettings
from catalog.thumbnails import thumbnail_path


async def _count(factory: SessionFactory, model: type) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_fixture_import_accounts_for_every_file_and_reimport_adds_nothing(
    session_factory: SessionFactory, settings: AtelierSettings, fixtures_dir: Path
) -> None:
    images_dir = fixtures_dir / "images"
    every_file = [path for path in images_dir.rglob("*") if path.is_file()]
    progress: list[int] = []

    report = await import_paths(
        session_factory, settings, user_handle="ada", paths=[images_dir], progress=progress.append
    )

    accounted = report.imported + report.already_known + len(report.problems) + len(report.skipped)
    assert report.files_seen == len(every_file) == accounted
    assert sum(progress) == len(every_file)
    assert report.skipped == [str(images_dir / "MANIFEST.tsv")]
    assert report.imported >= 85, report.problems
    # identical bytes under two names are one asset: rows == distinct content
    assert await _count(session_factory, Asset) == report.imported
    async with session_factory() as session:
        unclustered_timed = await session.scalar(
            select(func.count()).where(Asset.created_at.is_not(None), Asset.session_id.is_(None))
        )
        tools = set(await session.scalars(select(Asset.tool).distinct()))
    assert unclustered_timed == 0
    assert {"comfyui", "a1111", "unknown"} <= tools
    assert await _count(session_factory, Session) > 0

    again = await import_paths(session_factory, settings, user_handle="ada", paths=[images_dir])
    assert again.imported == 0
    assert again.already_known == report.imported + report.already_known
    assert await _count(session_factory, Asset) == report.imported


async def test_corrupt_files_are_reported_and_the_rest_imported(
    session_factory: SessionFactory, settings: AtelierSettings, fixtures_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    good = fixtures_dir / "images" / "AUTOMATIC1111" / "receyuki__00199-806698555.png"
    (folder / "good.png").write_bytes(good.read_bytes())
    (folder / "truncated.png").write_bytes(good.read_bytes()[:20])  # inside the IHDR chunk
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "text.webp").write_text("this is not an image")

    report = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])

    assert report.imported == 1
    problems = {Path(problem.path).name: problem.reason for problem in report.problems}
    assert set(problems) == {"truncated.png", "empty.jpg", "text.webp"}
    assert all(reason for reason in problems.values())
    async with session_factory() as session:
        asset = await session.scalar(select(Asset))
    assert asset is not None and asset.tool == "a1111" and asset.seed == 806698555


async def test_thumbnails_are_webp_256px_and_content_addressed(
    session_factory: SessionFactory, settings: AtelierSettings, fixtures_dir: Path
) -> None:
    source = fixtures_dir / "images" / "ComfyUI" / "sdmetadata__png__comfyui-saveimage-plus.png"
    report = await import_paths(session_factory, settings, user_handle="ada", paths=[source])
    assert report.thumbnails_made == 1
    async with session_factory() as session:
        asset = await session.scalar(select(Asset))
    assert asset is not None and asset.thumbnail_sha256 is not None
    path = thumbnail_path(settings.thumbnails_dir, asset.thumbnail_sha256)
    with Image.open(path) as thumbnail:
        assert thumbnail.format == "WEBP"
        assert max(thumbnail.size) == 256


async def test_jsonl_records_go_to_their_users_and_bad_lines_are_reported(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    path = tmp_path / "log.jsonl"
    lines = [
        {
            "id": f"g{i}",
            "tool": "comfyui",
            "created_at": f"2026-02-25T20:{i:02d}:00+01:00",
            "prompt": "neon alley",
        }
        for i in range(5)
    ]
    lines.append({"id": "b1", "user": "bea", "tool": "a1111", "created_at": "2026-02-25T21:00:00Z"})
    lines.append({"id": "undated", "tool": "a1111"})
    text = "\n".join(json.dumps(line) for line in lines) + '\n{"id": "bad", "seed": "x"}\n'
    path.write_text(text)

    report = await import_paths(session_factory, settings, user_handle="ada", paths=[path])

    assert report.records_imported == 7
    assert [(Path(p.path).name, "'seed'" in p.reason) for p in report.problems] == [("log.jsonl:8", True)]
    async with session_factory() as session:
        owners = dict(
            (
                await session.execute(
                    select(User.handle, func.count(Asset.id)).join(Asset).group_by(User.handle)
                )
            ).all()
        )
        undated = await session.scalar(select(Asset).where(Asset.record_id == "undated"))
    assert owners == {"ada": 6, "bea": 1}
    assert undated is not None and undated.created_at is None and undated.session_id is None
