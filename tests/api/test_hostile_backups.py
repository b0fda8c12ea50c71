"""``atelier backup`` / ``atelier restore`` given hostile places and doctored backups: one ``error:``
line, exit code 1, and the database as it was (the installed command against the test database).

What failed before (audit round 2):

- ``backup`` into a path under a file, or into a place that cannot be written, was a traceback
  (``NotADirectoryError``, ``FileNotFoundError``);
- ``restore`` from a file, or of a manifest that is a folder, a JSON list, nested too deeply, or holds
  fields of the wrong type (``counts`` a list, ``alembic_revision`` a number), or says the secret key
  is in the backup when it is not, was a traceback;
- ``restore --force`` of a "dump" that is not one (with a manifest made to match its SHA-256), or of
  a dump whose own schema revision is not the manifest's, emptied the database first and then
  failed: every user's data was gone.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from catalog.database import SessionFactory
from catalog.models import User
from catalog.settings import AtelierSettings
from tests.api.conftest import CommandResult, make_user_with_token, run_atelier


def _one_error_line(result: CommandResult) -> str:
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr and "│" not in result.stderr, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    return line


async def _handles(factory: SessionFactory) -> list[str]:
    async with factory() as db:
        return sorted(await db.scalars(select(User.handle)))


async def test_a_backup_where_no_folder_can_be_made_is_one_line(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    await make_user_with_token(session_factory, "artist")
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    for target, reason in [
        (a_file / "backup", "Not a directory"),
        (Path("/proc/atelier-backup"), "No such file or directory"),
    ]:
        line = _one_error_line(await run_atelier(settings, "backup", str(target)))
        assert line == f"error: cannot write a backup into {target}: {reason} ({target})"


@pytest.fixture
async def good_backup(settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path) -> Path:
    await make_user_with_token(session_factory, "artist")
    folder = tmp_path / "good"
    made = await run_atelier(settings, "backup", str(folder))
    assert made.code == 0, made.stderr
    await make_user_with_token(session_factory, "made-after-the-backup")
    return folder


def _doctored(good: Path, name: str, **fields: Any) -> Path:
    folder = good.with_name(name)
    shutil.copytree(good, folder)
    manifest = json.loads((good / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, **fields}))
    return folder


async def test_a_doctored_manifest_is_one_line_and_changes_nothing(
    settings: AtelierSettings, session_factory: SessionFactory, good_backup: Path, tmp_path: Path
) -> None:
    list_manifest = _doctored(good_backup, "list")
    (list_manifest / "manifest.json").write_text("[1]")
    deep_manifest = _doctored(good_backup, "deep")
    (deep_manifest / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    folder_manifest = _doctored(good_backup, "folder")
    (folder_manifest / "manifest.json").unlink()
    (folder_manifest / "manifest.json").mkdir()
    no_key = _doctored(good_backup, "no-key", secret_key="file")
    (no_key / "secret.key").unlink(missing_ok=True)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    cases = {
        a_file: f"error: {a_file} is not an Atelier backup (a file, not the folder `atelier backup` wrote)",
        list_manifest: f"error: {list_manifest}/manifest.json is not a JSON object (it is a list)",
        deep_manifest: f"error: {deep_manifest}/manifest.json is not valid JSON (nested too deeply)",
        folder_manifest: (
            f"error: {folder_manifest}/manifest.json is a folder, not the backup's manifest file"
        ),
        _doctored(good_backup, "counts", counts=[1]): (
            "'counts' is not an object of table names and counts; the manifest was altered"
        ),
        _doctored(good_backup, "revision", alembic_revision=18): (
            "'alembic_revision' is int, expected text; the manifest was altered"
        ),
        _doctored(good_backup, "mode", secret_key="bogus"): (
            "'secret_key' is 'bogus', expected one of file, environment, absent; the manifest was altered"
        ),
        _doctored(
            good_backup, "format", format=True
        ): "error: unknown backup format True (this Atelier reads 1 and 2)",
        no_key: f"but {no_key}/secret.key is missing",
    }
    for folder, message in cases.items():
        line = _one_error_line(await run_atelier(settings, "restore", "--force", str(folder)))
        assert message in line, (folder, line)
    assert await _handles(session_factory) == ["artist", "made-after-the-backup"]


async def test_a_dump_that_is_not_one_or_not_the_manifests_is_refused_before_the_database_is_touched(
    settings: AtelierSettings, session_factory: SessionFactory, good_backup: Path
) -> None:
    manifest = json.loads((good_backup / "manifest.json").read_text())
    garbage = b"not a database dump at all"
    not_a_dump = _doctored(
        good_backup, "not-a-dump", database_dump_sha256=hashlib.sha256(garbage).hexdigest()
    )
    (not_a_dump / "database.dump").write_bytes(garbage)
    older = _doctored(good_backup, "claims-older", alembic_revision="0001")

    line = _one_error_line(await run_atelier(settings, "restore", "--force", str(not_a_dump)))
    assert line.startswith(f"error: {not_a_dump}/database.dump is not a database dump pg_restore can read")
    assert await _handles(session_factory) == ["artist", "made-after-the-backup"]

    line = _one_error_line(await run_atelier(settings, "restore", "--force", str(older)))
    assert line == (
        f"error: the dump holds schema revision {manifest['alembic_revision']}, but the manifest says "
        "0001: the backup was altered"
    )
    assert await _handles(session_factory) == ["artist", "made-after-the-backup"]

    restored = await run_atelier(settings, "restore", "--force", str(good_backup))
    assert restored.code == 0, restored.stderr
    assert await _handles(session_factory) == ["artist"]
