"""``atelier import DIR --watch`` as a user runs it: new files are imported until SIGTERM."""

from __future__ import annotations

import asyncio
import shutil
import signal
from pathlib import Path

from sqlalchemy import select

from catalog.database import SessionFactory
from catalog.models import Asset
from catalog.settings import AtelierSettings
from tests.api.conftest import ATELIER, atelier_env


async def _next_line_containing(stream: asyncio.StreamReader, text: str, seen: list[str]) -> str:
    while True:
        try:
            line = (await asyncio.wait_for(stream.readline(), timeout=50)).decode()
        except TimeoutError:
            raise AssertionError(f"no {text!r} in time: {''.join(seen)}") from None
        if not line:
            raise AssertionError(f"output ended before {text!r}: {''.join(seen)}")
        seen.append(line)
        if text in line:
            return line


async def test_import_watch_imports_new_files_and_stops_cleanly_on_sigterm(
    session_factory: SessionFactory, settings: AtelierSettings, fixtures_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    folder.mkdir()
    first, second = sorted((fixtures_dir / "images" / "AUTOMATIC1111").glob("*.png"))[:2]
    shutil.copy(first, folder / first.name)
    env = atelier_env(settings)
    process = await asyncio.create_subprocess_exec(
        str(ATELIER), "import", str(folder), "--watch", "--user", "ada", "--no-thumbnails",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    seen: list[str] = []
    try:
        assert "1 file: 1 imported" in await _next_line_containing(process.stderr, "imported", seen)
        await _next_line_containing(process.stderr, "watching", seen)
        shutil.copy(second, folder / second.name)
        line = await _next_line_containing(process.stderr, "imported", seen)
        assert "1 file: 1 imported" in line
        process.send_signal(signal.SIGTERM)
        await _next_line_containing(process.stderr, "stopped watching: 1 image imported in 1 batch", seen)
        assert await asyncio.wait_for(process.wait(), timeout=60) == 0, "".join(seen)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    async with session_factory() as session:
        names = {Path(path or "").name for path in await session.scalars(select(Asset.file_path))}
    assert names == {first.name, second.name}
