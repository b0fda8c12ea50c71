"""``atelier backup`` / ``atelier restore``: the files besides the dump — uploaded images, thumbnails and
the secret key — and what the commands say about them (the installed command, real databases).

What failed before (backup/restore QA probe):

- uploaded images were not in the backup, and after a restore into another home their assets still
  pointed into the old home's uploads folder;
- a backup missing thumbnails, or with damaged ones, restored with exit 0 (counting the manifest's
  number, not the files that landed); a backup said nothing about thumbnails the database refers to
  that were missing from the home;
- an empty or garbage ``secret.key`` in a backup was restored (only its presence was checked);
- a backup written inside the home, and a restore with ``ATELIER_SECRET_KEY`` set (the backup's key
  silently not installed), said nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select, text

from catalog.accounts import service as accounts
from catalog.database import SessionFactory, create_database_engine, unit_of_work
from catalog.embedded_servers import ServiceUrls
from catalog.importing.uploads import IncomingFile, import_uploads
from catalog.models import User
from catalog.secret_keys import load_or_create_secret
from catalog.settings import AtelierSettings
from tests.api.conftest import ATELIER, CommandResult, atelier_env, make_user_with_token, run_atelier

FORMAT_2_FIELDS = ("uploads_dir", "upload_files", "upload_sha256", "secret_key_sha256")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _is_file_under(path: Path, folder: Path) -> bool:
    return path.is_relative_to(folder) and path.is_file()


def _one_error_line(result: CommandResult) -> str:
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    return line


async def _handles(factory: SessionFactory) -> list[str]:
    async with factory() as db:
        return sorted(await db.scalars(select(User.handle)))


async def _run_with(settings: AtelierSettings, *args: str, **env: str) -> CommandResult:
    process = await asyncio.create_subprocess_exec(
        str(ATELIER),
        *args,
        env=atelier_env(settings, **env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return CommandResult(process.returncode, stdout.decode(), stderr.decode())


@pytest.fixture
async def uploaded(settings: AtelierSettings, session_factory: SessionFactory, fixtures_dir: Path) -> int:
    """The user ``artist`` with three uploaded images (stored under the home's uploads folder, with
    thumbnails) and the home's signing key; how many images."""
    images = sorted((fixtures_dir / "images" / "AUTOMATIC1111").glob("*.png"))[:3]
    assert len(images) == 3
    async with unit_of_work(session_factory) as db:
        user = await accounts.get_or_create_user(db, "artist")
    report = await import_uploads(
        session_factory,
        settings,
        user_id=user.id,
        user_handle="artist",
        files=[IncomingFile(path.name, io.BytesIO(path.read_bytes())) for path in images],
    )
    assert report.imported_count == 3, report.results
    load_or_create_secret(settings)
    return len(images)


@pytest.fixture
async def backup(
    settings: AtelierSettings, session_factory: SessionFactory, uploaded: int, tmp_path: Path
) -> Path:
    """A backup of the uploaded library; a user is made after it (a restore must replace it)."""
    folder = tmp_path / "backup"
    made = await run_atelier(settings, "backup", str(folder))
    assert made.code == 0, made.stderr
    assert "warning:" not in made.stderr, made.stderr
    await make_user_with_token(session_factory, "made-after-the-backup")
    return folder


def _copy(backup: Path, name: str, **fields: object) -> Path:
    folder = backup.with_name(name)
    shutil.copytree(backup, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, **fields}))
    return folder


def _as_format_1(folder: Path) -> None:
    """Make ``folder`` what an Atelier before uploads were backed up wrote."""
    manifest = json.loads((folder / "manifest.json").read_text())
    old = {key: value for key, value in manifest.items() if key not in FORMAT_2_FIELDS}
    (folder / "manifest.json").write_text(json.dumps({**old, "format": 1}))
    shutil.rmtree(folder / "uploads", ignore_errors=True)


async def test_uploaded_images_are_backed_up_and_restored_into_another_home(
    settings: AtelierSettings,
    backup: Path,
    uploaded: int,
    tmp_path: Path,
    empty_database_url: str,
    service_urls: ServiceUrls,
) -> None:
    manifest = json.loads((backup / "manifest.json").read_text())
    stored = sorted(path for path in settings.uploads_dir.rglob("*") if path.is_file())
    assert len(stored) == uploaded
    assert manifest["upload_files"] == uploaded
    assert manifest["uploads_dir"] == str(_real(settings.uploads_dir))
    assert manifest["upload_sha256"] == {
        path.relative_to(settings.uploads_dir).as_posix(): _sha256(path) for path in stored
    }

    other = AtelierSettings(
        home=tmp_path / "other-home", database_url=empty_database_url, redis_url=service_urls.redis_url
    )
    restored = await run_atelier(other, "restore", str(backup))
    assert restored.code == 0, restored.stderr
    assert f"{uploaded} uploaded files restored into {other.uploads_dir}" in restored.stderr

    for relative, digest in manifest["upload_sha256"].items():
        assert _sha256(other.uploads_dir / relative) == digest
    engine = create_database_engine(empty_database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT file_path, file_path_bytes FROM assets"))).all()
    finally:
        await engine.dispose()
    assert len(rows) == uploaded
    for file_path, file_path_bytes in rows:
        assert file_path_bytes is None
        assert _is_file_under(Path(file_path), _real(other.uploads_dir)), file_path


async def test_a_backup_of_an_older_format_without_uploads_still_restores(
    settings: AtelierSettings, session_factory: SessionFactory, backup: Path
) -> None:
    older = _copy(backup, "format-1")
    _as_format_1(older)
    restored = await run_atelier(settings, "restore", "--force", str(older))
    assert restored.code == 0, restored.stderr
    assert "did not back up uploaded images" in restored.stderr
    assert await _handles(session_factory) == ["artist"]


async def test_missing_or_damaged_thumbnails_are_refused_before_anything_changes(
    settings: AtelierSettings, session_factory: SessionFactory, backup: Path
) -> None:
    thumbnails = sorted((backup / "thumbnails").rglob("*.webp"))
    assert len(thumbnails) == json.loads((backup / "manifest.json").read_text())["thumbnail_files"] >= 2
    missing = _copy(backup, "missing")
    (missing / thumbnails[0].relative_to(backup)).unlink()
    damaged = _copy(backup, "damaged")
    (damaged / thumbnails[1].relative_to(backup)).write_bytes(b"RIFF not the thumbnail")
    home_thumbnails = sorted(settings.thumbnails_dir.rglob("*.webp"))

    cases = {
        missing: f"error: {missing}/thumbnails holds {len(thumbnails) - 1} thumbnail files, but the "
        f"manifest says {len(thumbnails)}: the backup is incomplete or was altered",
        damaged: f"error: {damaged / thumbnails[1].relative_to(backup)} is damaged",
    }
    for folder, message in cases.items():
        line = _one_error_line(await run_atelier(settings, "restore", "--force", str(folder)))
        assert message in line, (folder, line)
    assert await _handles(session_factory) == ["artist", "made-after-the-backup"]
    assert sorted(settings.thumbnails_dir.rglob("*.webp")) == home_thumbnails


async def test_uploads_that_are_not_the_manifests_are_refused_before_anything_changes(
    settings: AtelierSettings, session_factory: SessionFactory, backup: Path
) -> None:
    listed = json.loads((backup / "manifest.json").read_text())["upload_sha256"]
    first, second = sorted(listed)[:2]
    extra = _copy(backup, "extra-upload")
    (extra / "uploads" / "smuggled.png").write_bytes(b"not listed")
    changed = _copy(backup, "changed-upload")
    (changed / "uploads" / first).write_bytes(b"other bytes")
    missing = _copy(backup, "missing-upload")
    (missing / "uploads" / second).unlink()
    escaping = _copy(
        backup, "escaping-upload", upload_sha256={"../database.dump": listed[first]}, upload_files=1
    )
    cases = {
        extra: "holds 4 files, but the manifest lists 3: the backup was altered",
        changed: f"error: {changed}/uploads/{first} does not match the SHA-256 in the manifest",
        missing: f"error: {missing}/uploads/{second} is missing: the backup is incomplete",
        escaping: "'upload_sha256' is not an object of relative file paths and SHA-256 digests",
    }
    for folder, message in cases.items():
        line = _one_error_line(await run_atelier(settings, "restore", "--force", str(folder)))
        assert message in line, (folder, line)
    assert await _handles(session_factory) == ["artist", "made-after-the-backup"]


async def test_a_backup_warns_about_thumbnails_the_database_refers_to_that_are_missing(
    settings: AtelierSettings, uploaded: int, tmp_path: Path
) -> None:
    lost = sorted(settings.thumbnails_dir.rglob("*.webp"))[0]
    lost.unlink()
    folder = tmp_path / "backup"
    made = await run_atelier(settings, "backup", str(folder))
    assert made.code == 0, made.stderr
    expected = (
        f"warning: 1 thumbnail file(s) the database refers to are missing from {settings.thumbnails_dir}, "
        f"so they are not in this backup (e.g. {lost.name})"
    )
    assert expected in made.stderr, made.stderr
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["thumbnail_files"] == manifest["counts"]["thumbnails"] - 1
    assert any("thumbnail file(s) the database refers to are missing" in note for note in manifest["notes"])


async def test_an_empty_or_altered_secret_key_in_a_backup_is_refused(
    settings: AtelierSettings, session_factory: SessionFactory, backup: Path
) -> None:
    altered = _copy(backup, "altered-key")
    (altered / "secret.key").write_bytes(b"")
    empty = _copy(backup, "empty-key", secret_key_sha256=hashlib.sha256(b"").hexdigest())
    (empty / "secret.key").write_bytes(b"")
    short = _copy(backup, "short-key", secret_key_sha256=hashlib.sha256(b"0123456789\n").hexdigest())
    (short / "secret.key").write_bytes(b"0123456789\n")
    older = _copy(backup, "format-1-empty-key")
    _as_format_1(older)
    (older / "secret.key").write_bytes(b"  \n")

    cases = {
        altered: (
            f"error: {altered}/secret.key does not match the SHA-256 in the manifest: the backup was altered"
        ),
        empty: f"error: {empty}/secret.key is not a usable signing key (0 bytes; at least 32",
        short: f"error: {short}/secret.key is not a usable signing key (10 bytes; at least 32",
        older: f"error: {older}/secret.key is not a usable signing key (0 bytes; at least 32",
    }
    for folder, message in cases.items():
        line = _one_error_line(await run_atelier(settings, "restore", "--force", str(folder)))
        assert line.startswith(message), (folder, line)
    assert await _handles(session_factory) == ["artist", "made-after-the-backup"]
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["secret_key"] == "file"
    assert manifest["secret_key_sha256"] == _sha256(settings.home / "secret.key")


async def test_a_backup_inside_the_home_is_written_with_a_warning(
    settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    await make_user_with_token(session_factory, "artist")
    inside = settings.home / "backups" / "first"
    made = await run_atelier(settings, "backup", str(inside))
    assert made.code == 0, made.stderr
    assert (inside / "manifest.json").is_file()
    assert (
        f"warning: {inside} is inside ATELIER_HOME ({settings.home}): this backup is lost with the home"
        in (made.stderr)
    )


async def test_a_restore_with_atelier_secret_key_set_says_the_backups_key_was_not_installed(
    settings: AtelierSettings, session_factory: SessionFactory, backup: Path
) -> None:
    home_key = (settings.home / "secret.key").read_bytes()
    (settings.home / "secret.key").unlink()
    restored = await _run_with(settings, "restore", "--force", str(backup), ATELIER_SECRET_KEY="k" * 64)
    assert restored.code == 0, restored.stderr
    assert "note: ATELIER_SECRET_KEY is set, so the backup's secret.key was not put into" in restored.stderr
    assert not (settings.home / "secret.key").exists()
    assert home_key  # the backup still holds it, for a restore without ATELIER_SECRET_KEY
    assert (backup / "secret.key").read_bytes() == home_key
