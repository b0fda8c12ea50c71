"""``atelier backup`` / ``atelier restore`` round trip into a fresh home (issue 10, item 17).

Real fixture images are imported (with thumbnails) into the test's database and home, backed up with
the installed command, and restored into a brand-new home that starts its own embedded PostgreSQL.
The restored home serves the same sessions, and a signed thumbnail URL made by the original app
fetches the same bytes from the restored one (the secret key came along).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from catalog.backup import BackupError, create_backup, read_manifest
from catalog.database import SessionFactory
from catalog.embedded_servers import EmbeddedServers
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.models import User
from catalog.settings import AtelierSettings
from tests.api.conftest import ATELIER, CommandResult, app_http, make_user_with_token, run_atelier
from tests.api.signed_urls import without_signatures
from tests.conftest import server_home
from tests.generated_copies import copy_as_generated

SESSIONS = """{ viewer { sessions(first: 50) { edges { node { id label assetCount startedAt
  thumbnails(first: 9) { url } } } } } }"""


async def _sessions(http: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    response = await http.post(
        "/graphql", json={"query": SESSIONS}, headers={"Authorization": f"Bearer {token}"}
    )
    body = response.json()
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["viewer"]["sessions"]["edges"]]


async def _atelier_in_fresh_home(home: Path, *args: str) -> CommandResult:
    """The installed command on ``home`` with its own embedded servers (no DATABASE_URL/REDIS_URL)."""
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}} | {
        "ATELIER_HOME": str(home),
        "HF_HUB_OFFLINE": "1",
        "COLUMNS": "200",
    }
    process = await asyncio.create_subprocess_exec(
        str(ATELIER), *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return CommandResult(process.returncode, stdout.decode(), stderr.decode())


async def test_backup_restores_into_a_fresh_home_with_sessions_and_thumbnails(
    settings: AtelierSettings, session_factory: SessionFactory, fixtures_dir: Path, tmp_path: Path
) -> None:
    images = copy_as_generated(
        sorted((fixtures_dir / "images" / "AUTOMATIC1111").glob("*.png"))[:6], tmp_path / "outputs"
    )
    assert len(images) >= 3
    report = await import_paths(
        session_factory, settings, user_handle="artist", paths=images, thumbnails=ThumbnailMode.INLINE
    )
    assert report.imported == len(images)
    token = await make_user_with_token(session_factory, "artist")
    async with app_http(settings) as http:
        original = await _sessions(http, token)
        thumbnail_urls = [thumb["url"] for node in original for thumb in node["thumbnails"]]
        assert thumbnail_urls and all("&e=" in url and "&s=" in url for url in thumbnail_urls)
        original_bytes = {url: (await http.get(url)).content for url in thumbnail_urls}

    backup = tmp_path / "backup"
    made = await run_atelier(settings, "backup", str(backup))
    assert made.code == 0, made.stderr
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["counts"]["assets"] == len(images) and manifest["counts"]["users"] == 1
    assert manifest["alembic_revision"] == manifest["alembic_head"]
    assert manifest["secret_key"] == "file" and manifest["thumbnail_files"] == len(original_bytes)
    assert (backup / "database.dump").read_bytes().startswith(b"PGDMP")  # pg_dump's custom format

    fresh = server_home("atelier-restored-")
    try:
        restored = await _atelier_in_fresh_home(fresh, "restore", str(backup))
        assert restored.code == 0, restored.stderr
        assert (fresh / "secret.key").read_bytes() == (settings.home / "secret.key").read_bytes()

        again = await _atelier_in_fresh_home(fresh, "restore", str(backup))
        assert again.code == 1 and "--force" in again.stderr and "1 user" in again.stderr

        servers = EmbeddedServers(AtelierSettings(home=fresh, database_url=None, redis_url=None))
        urls = servers.start()
        try:
            restored_settings = AtelierSettings(
                home=fresh, database_url=urls.database_url, redis_url=urls.redis_url
            )
            async with app_http(restored_settings) as http:
                # same ids, labels, counts and thumbnails; the same secret key verifies the old URLs
                assert without_signatures(await _sessions(http, token)) == without_signatures(original)
                for url, content in original_bytes.items():
                    response = await http.get(url)
                    assert response.status_code == 200 and response.content == content
        finally:
            servers.stop()
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


async def test_restore_checks_the_manifest_and_force_overwrites(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    await make_user_with_token(session_factory, "artist")
    backup = tmp_path / "backup"
    assert (await run_atelier(settings, "backup", str(backup))).code == 0
    with pytest.raises(BackupError, match="not an empty folder"):
        await asyncio.to_thread(create_backup, settings, backup)

    manifest_path = backup / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    cases = {
        "damaged": ({**manifest, "database_dump_sha256": "0" * 64}, "does not match the SHA-256"),
        "newer": ({**manifest, "alembic_revision": "9999"}, "made by a newer Atelier"),
        "format": ({**manifest, "format": 3}, "unknown backup format"),
        "incomplete": ({k: v for k, v in manifest.items() if k != "counts"}, "incomplete"),
    }
    for doctored, message in cases.values():
        manifest_path.write_text(json.dumps(doctored))
        with pytest.raises(BackupError, match=message):
            await asyncio.to_thread(read_manifest, backup)
    # the command stops on it before touching the database, even with --force
    refused = await run_atelier(settings, "restore", "--force", str(backup))
    assert refused.code == 1 and "incomplete" in refused.stderr
    with pytest.raises(BackupError, match="not an Atelier backup"):
        await asyncio.to_thread(read_manifest, tmp_path / "nowhere")

    # with a sound manifest, --force replaces a populated database (here: with its own backup)
    manifest_path.write_text(json.dumps(manifest))
    await make_user_with_token(session_factory, "second-artist")  # made after the backup
    forced = await run_atelier(settings, "restore", "--force", str(backup))
    assert forced.code == 0, forced.stderr
    async with session_factory() as db:
        assert list(await db.scalars(select(User.handle))) == ["artist"]
