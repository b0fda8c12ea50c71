"""A hostile folder in one ``atelier import --json`` run: every entry accounted for exactly once, exit
code 3, no traceback, and the good files among the bad ones imported into sessions.

The folder is generated here (``tests/hostile_files.py``): corrupt, truncated, oversized-header,
zero-byte, random-bytes, wrong-extension, broken-EXIF and deeply nested JSON files, FIFOs, sockets, a
dangling symlink, a symlink loop, hidden entries and a symlinked folder. The larger variant is
``slow`` (``make fuzz``)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.database import SessionFactory
from catalog.models import Asset
from catalog.settings import AtelierSettings
from tests.api.conftest import run_atelier
from tests.hostile_files import bind_socket, write_hostile_folder


async def _import_hostile_folder(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path, per_kind: int
) -> None:
    folder = tmp_path / "h"
    folder.mkdir()
    hostile = write_hostile_folder(folder, per_kind=per_kind)
    sockets = [bind_socket(folder / f"s{index}.png") for index in range(2)]
    expected = hostile.expected | {str(folder / f"s{index}.png"): "ignored" for index in range(2)}
    assert len(expected) >= 200
    try:
        result = await run_atelier(settings, "import", str(folder), "--json")
    finally:
        for server in sockets:
            server.close()

    assert result.code == 3, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    *lines, summary_line = [json.loads(line) for line in result.stdout.splitlines()]
    reported = [line["path"] for line in lines]
    assert len(reported) == len(set(reported)) == len(expected)  # each entry exactly once
    outcomes = {line["path"]: line["outcome"] for line in lines}
    assert outcomes == expected
    assert all(line["reason"] for line in lines if line["outcome"] in ("problem", "ignored"))
    cut = [line for line in lines if Path(line["path"]).name.startswith("cut_")]
    assert cut and all(line["reason"].startswith("thumbnail failed: ") for line in cut)
    summary = summary_line["summary"]
    assert summary["files"] == len(expected)
    assert summary["problem"] == sum(outcome == "problem" for outcome in expected.values())

    asset_of = {line["path"]: line["asset_id"] for line in lines}
    good_ids = [uuid.UUID(asset_of[str(path)]) for path in hostile.good_images]
    async with session_factory() as session:
        rows = (
            await session.execute(
                select(Asset.id, Asset.session_id, Asset.thumbnail_sha256).where(Asset.id.in_(good_ids))
            )
        ).all()
    assert len(rows) == len(good_ids)
    assert all(session_id is not None for _, session_id, _ in rows)
    assert all(thumbnail is not None for _, _, thumbnail in rows)


async def test_a_hostile_folder_is_accounted_for_in_one_run(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    await _import_hostile_folder(settings, session_factory, tmp_path, per_kind=14)


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_a_large_hostile_folder_is_accounted_for_in_one_run(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    await _import_hostile_folder(settings, session_factory, tmp_path, per_kind=120)
