"""``atelier serve`` with ``ATELIER_WATCH_FOLDERS``: the real server process imports new images as
they appear and its in-process worker makes their thumbnails; SIGTERM stops everything cleanly."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
from pathlib import Path

import httpx
from sqlalchemy import select

from catalog.database import SessionFactory
from catalog.models import Asset, Session
from catalog.settings import AtelierSettings
from tests.api.conftest import atelier_env, free_port, start_serve


async def _line_containing(stream: asyncio.StreamReader, text: str, seen: list[str]) -> None:
    while True:
        line = (await stream.readline()).decode()
        seen.append(line)
        if not line:
            raise AssertionError(f"server output ended before {text!r}: {''.join(seen)}")
        if text in line:
            return


async def test_serve_imports_watched_folders_and_queues_thumbnails_for_its_worker(
    session_factory: SessionFactory, settings: AtelierSettings, fixtures_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "comfy-output"
    folder.mkdir()
    image = sorted((fixtures_dir / "images" / "AUTOMATIC1111").glob("*.png"))[0]
    env = atelier_env(settings, ATELIER_WATCH_FOLDERS=json.dumps([str(folder)]))
    port = free_port()
    process = await start_serve(env, port)
    assert process.stderr is not None
    seen: list[str] = []
    try:
        await _line_containing(process.stderr, "watching", seen)
        shutil.copy(image, folder / image.name)
        await _line_containing(process.stderr, "watch: 1 new images", seen)
        async with session_factory() as session:  # committed before the batch was reported
            asset = await session.scalar(select(Asset))
            assert asset is not None and asset.session_id is not None
            assert await session.get(Session, asset.session_id) is not None
        while asset.thumbnail_sha256 is None:  # the embedded worker renders it (test timeout bounds this)
            await asyncio.sleep(0.2)
            async with session_factory() as session:
                asset = await session.get(Asset, asset.id)
                assert asset is not None
        async with httpx.AsyncClient() as client:  # the watched import is counted on /metrics
            metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
        assert 'atelier_import_files_total{outcome="imported"} 1.0' in metrics
        process.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(process.stderr.read(), timeout=60)
        assert await process.wait() == 128 + signal.SIGTERM  # the CLI's exit code for SIGTERM
        assert b"Traceback" not in rest, rest.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
