"""``atelier import FOLDER`` as typed in the README (issue 11 item 4): the sessions are stored first,
then the thumbnails are made on a process pool with their progress on stderr (``--json`` keeps
stdout pure JSON), every thumbnail exists when the command ends, with the same content addresses the
in-process path makes; and an import stopped during the thumbnail phase leaves its sessions in
place and its missing thumbnails to the next import or to the worker's healing cron."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import time
from pathlib import Path

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from PIL import Image
from sqlalchemy import func, select

from catalog.database import SessionFactory
from catalog.importing.thumbnail_pool import PROCESS_POOL_THRESHOLD
from catalog.models import Asset, ClusteringOwed, Session
from catalog.settings import AtelierSettings
from catalog.storage.local import LocalThumbnailStore
from catalog.tasks import heal_owed_catalog_work
from catalog.thumbnails import make_thumbnail
from tests.api.conftest import ATELIER, atelier_env, run_atelier
from tests.generated_copies import space_mtimes
from tests.hostile_files import image_bytes

POOLED_IMAGES = PROCESS_POOL_THRESHOLD + 12  # enough for the process pool, not the threads


def _write_small_images(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for index in range(count):
        path = folder / f"gen_{index:04}.png"
        path.write_bytes(image_bytes(seed=index))
        paths.append(path)
    space_mtimes(paths)  # one evening, 40 s apart: sessions form
    return paths


def _write_noise_images(folder: Path, count: int, side_px: int) -> None:
    """Incompressible pixels, so each thumbnail costs a real decode and encode (the thumbnail phase
    is still running when the test stops it)."""
    folder.mkdir()
    rng = random.Random(11)
    paths = []
    for index in range(count):
        path = folder / f"gen_{index:04}.png"
        Image.frombytes("RGB", (side_px, side_px), rng.randbytes(side_px * side_px * 3)).save(
            path, compress_level=0
        )
        paths.append(path)
    space_mtimes(paths)


@pytest.fixture(scope="module")
def noise_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """160 noise images (over PROCESS_POOL_THRESHOLD: the pool renders them), written once for the
    module; each test imports its own copy (``copytree`` keeps the spaced mtimes sessions form from)."""
    folder = tmp_path_factory.mktemp("noise") / "library"
    _write_noise_images(folder, 160, side_px=384)
    return folder


async def _counts(factory: SessionFactory) -> dict[str, int]:
    async with factory() as session:
        counts = {
            "assets": await session.scalar(select(func.count()).select_from(Asset)),
            "sessions": await session.scalar(select(func.count()).select_from(Session)),
            "without_session": await session.scalar(
                select(func.count()).where(Asset.created_at.is_not(None), Asset.session_id.is_(None))
            ),
            "without_thumbnail": await session.scalar(
                select(func.count()).where(Asset.thumbnail_sha256.is_(None))
            ),
            "owed": await session.scalar(select(func.count()).select_from(ClusteringOwed)),
        }
    return {name: int(value or 0) for name, value in counts.items()}


async def test_default_import_stores_sessions_then_makes_every_thumbnail_on_a_pool(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "library"
    paths = _write_small_images(folder, POOLED_IMAGES)
    broken = bytearray(paths[0].read_bytes())  # readable metadata, pixels that cannot be decoded
    start = broken.index(b"IDAT") + 4
    broken[start : start + 16] = bytes(16)
    (folder / "broken-pixels.png").write_bytes(bytes(broken))
    space_mtimes([*paths, folder / "broken-pixels.png"])

    result = await run_atelier(settings, "import", str(folder), "--json")

    assert result.code == 0, result.stderr  # a thumbnail failure is a warning, not a problem
    documents = [json.loads(line) for line in result.stdout.splitlines()]  # stdout: JSON and only JSON
    *lines, summary = documents
    assert len(lines) == POOLED_IMAGES + 1 and {line["outcome"] for line in lines} == {"imported"}
    by_name = {Path(line["path"]).name: line for line in lines}
    assert by_name["broken-pixels.png"]["reason"].startswith("thumbnail failed: cannot render a thumbnail")
    assert all(line["reason"] is None for name, line in by_name.items() if name != "broken-pixels.png")
    assert summary["summary"]["thumbnail_warnings"] == 1 and summary["summary"]["sessions_updated"] >= 1
    # progress on stderr: the sessions first, then every thumbnail accounted for
    total = POOLED_IMAGES + 1
    assert f"{total} files read; sessions ready after " in result.stderr
    assert f"making {total} thumbnails" in result.stderr
    assert f"thumbnails: {total - 1}/{total} made in " in result.stderr
    assert "s (1 could not be made); re-clustering with their visual descriptors" in result.stderr
    assert result.stderr.index("sessions ready") < result.stderr.index(f"thumbnails: {total - 1}/{total}")

    counts = await _counts(session_factory)
    assert counts["assets"] == total and counts["sessions"] >= 1
    assert (counts["without_session"], counts["without_thumbnail"], counts["owed"]) == (0, 1, 0)
    # the pool's workers stored what the in-process path stores, under the same content address
    reference = LocalThumbnailStore(tmp_path / "reference")
    async with session_factory() as session:
        stored = dict((await session.execute(select(Asset.file_path, Asset.thumbnail_sha256))).all())
    for path in paths[:5]:
        expected = make_thumbnail(path, reference, size_px=settings.thumbnail_size_px).sha256
        assert stored[str(path)] == expected
        assert (settings.home / "thumbnails" / expected[:2] / f"{expected}.webp").read_bytes() == (
            reference.path_of(expected).read_bytes()
        )


async def test_inline_thumbnails_flag_keeps_the_previous_path_and_refuses_with_background(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "library"
    _write_small_images(folder, 4)

    both = await run_atelier(
        settings, "import", str(folder), "--inline-thumbnails", "--background-thumbnails"
    )
    inline = await run_atelier(settings, "import", str(folder), "--inline-thumbnails")

    assert both.code != 0 and "choose one of --background-thumbnails and --inline-thumbnails" in both.stderr
    assert inline.code == 0, inline.stderr
    assert "sessions ready" not in inline.stderr  # no separate thumbnail phase
    counts = await _counts(session_factory)
    assert (counts["assets"], counts["without_thumbnail"], counts["owed"]) == (4, 0, 0)


def _group_alive(group_id: int) -> bool:
    """Whether a live (not zombie) process is left in the process group ``group_id``."""
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[2]) == group_id and fields[0] != "Z":
            return True
    return False


async def _heal_with_the_worker(settings: AtelierSettings, factory: SessionFactory) -> None:
    pool = await create_pool(RedisSettings.from_dsn(settings.redis_url or ""))
    try:
        ctx = {"session_factory": factory, "settings": settings, "redis": pool, "unrenderable": set()}
        await heal_owed_catalog_work(ctx)
    finally:
        await pool.aclose()


@pytest.mark.parametrize(
    ("stop_signal", "recovery", "to_group"),
    [
        pytest.param(signal.SIGKILL, "worker", False, id="sigkill-healed-by-worker"),
        # the import's handlers treat SIGTERM as SIGINT (tests/api/test_stop_requests.py): make fuzz
        pytest.param(signal.SIGTERM, "import", False, id="sigterm-next-import", marks=pytest.mark.slow),
        pytest.param(signal.SIGINT, "import", False, id="sigint-next-import"),
        pytest.param(signal.SIGINT, "import", True, id="ctrl-c-in-a-terminal"),
    ],
)
async def test_an_import_stopped_during_thumbnails_keeps_its_sessions_and_is_completed_later(
    settings: AtelierSettings,
    session_factory: SessionFactory,
    tmp_path: Path,
    noise_library: Path,
    stop_signal: signal.Signals,
    recovery: str,
    to_group: bool,
) -> None:
    """``to_group``: the signal goes to the command's whole process group, pool workers included, as
    Ctrl-C in a terminal does."""
    folder = tmp_path / "library"
    shutil.copytree(noise_library, folder)
    images = len(list(folder.iterdir()))
    assert images == 160 > PROCESS_POOL_THRESHOLD  # the pool renders them
    env = atelier_env(settings)
    stderr = tmp_path / "stderr.txt"
    with stderr.open("wb") as stderr_file:
        process = await asyncio.create_subprocess_exec(
            str(ATELIER), "import", str(folder), "--json",
            env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr_file, start_new_session=to_group,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while "sessions ready" not in stderr.read_text():
            assert process.returncode is None, stderr.read_text()[-2000:]
            assert time.monotonic() < deadline, "the thumbnail phase did not start in time"
            await asyncio.sleep(0.02)
        assert process.returncode is None, "the import ended before it could be stopped"
        if to_group:
            assert _group_alive(process.pid)
            os.killpg(process.pid, stop_signal)
        else:
            process.send_signal(stop_signal)
        await asyncio.wait_for(process.wait(), timeout=30)  # stops promptly, pool included
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert "Traceback" not in stderr.read_text()
    if stop_signal == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    else:  # stopped at a safe point: what was made is stored, and the user is told what is left
        assert process.returncode == 128 + stop_signal, stderr.read_text()[-2000:]
        assert "stopping after the work in progress is stored" in stderr.read_text()
        assert "interrupted: every file was read and stored" in stderr.read_text()
    if to_group:  # the pool's workers ended with the command
        deadline = time.monotonic() + 10
        while _group_alive(process.pid):
            assert time.monotonic() < deadline, "a process of the import outlived it"
            await asyncio.sleep(0.05)
    stopped = await _counts(session_factory)
    # the sessions were committed before any thumbnail: every image is in one, browsable now
    assert stopped["assets"] == images and stopped["sessions"] >= 1 and stopped["without_session"] == 0
    assert stopped["without_thumbnail"] > 0  # stopped during the thumbnails, not after them

    if recovery == "worker":
        await _heal_with_the_worker(settings, session_factory)
    else:
        again = await run_atelier(settings, "import", str(folder), "--json")
        assert again.code == 0, again.stderr
        *lines, _ = [json.loads(line) for line in again.stdout.splitlines()]
        assert {line["outcome"] for line in lines} == {"known"}
        assert f"making {stopped['without_thumbnail']} thumbnails" in again.stderr

    healed = await _counts(session_factory)
    assert (healed["without_session"], healed["without_thumbnail"], healed["owed"]) == (0, 0, 0)
    async with session_factory() as session:
        members = dict(
            (await session.execute(select(Asset.session_id, func.count()).group_by(Asset.session_id))).all()
        )
        sessions = dict((await session.execute(select(Session.id, Session.asset_count))).all())
    assert members == sessions  # each asset in exactly one existing session, counts agree
