"""The process pool renders what the in-process path renders: the same bytes under the same content
address, the same descriptor, the same per-file reasons; every source gets exactly one outcome."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np

from catalog.importing.pool_size import pool_workers
from catalog.importing.thumbnail_pool import PROCESS_POOL_THRESHOLD, ThumbnailRenderer, render_in_threads
from catalog.settings import AtelierSettings
from catalog.storage.local import LocalThumbnailStore
from catalog.thumbnails import MadeThumbnail
from tests.hostile_files import image_bytes


def _sources(folder: Path, count: int) -> dict[uuid.UUID, Path]:
    folder.mkdir()
    sources: dict[uuid.UUID, Path] = {}
    for index in range(count):
        path = folder / f"img_{index:04}.{'jpg' if index % 5 == 0 else 'png'}"
        path.write_bytes(image_bytes("JPEG" if index % 5 == 0 else "PNG", size=(300, 200), seed=index))
        sources[uuid.uuid4()] = path
    broken = folder / "broken.png"
    data = bytearray(image_bytes(size=(300, 200), seed=9999))
    start = data.index(b"IDAT") + 4
    data[start : start + 16] = bytes(16)
    broken.write_bytes(bytes(data))
    sources[uuid.uuid4()] = broken
    sources[uuid.uuid4()] = folder / "missing.png"
    return sources


async def test_pool_outcomes_equal_the_in_process_ones(tmp_path: Path) -> None:
    sources = _sources(tmp_path / "in", PROCESS_POOL_THRESHOLD + 3)
    pooled_settings = AtelierSettings(home=tmp_path / "pooled", database_url=None, redis_url=None)
    inline_settings = AtelierSettings(home=tmp_path / "inline", database_url=None, redis_url=None)

    with ThumbnailRenderer(pooled_settings, len(sources)) as renderer:
        assert renderer.workers == pool_workers()
        renderer.start(sources)
        chunks = [chunk async for chunk in renderer.outcomes()]
    inline = render_in_threads(inline_settings, sources)

    pooled = {asset_id: outcome for chunk in chunks for asset_id, outcome in chunk.items()}
    assert sum(map(len, chunks)) == len(sources) and pooled.keys() == sources.keys()  # each once
    pooled_store = LocalThumbnailStore(pooled_settings.thumbnails_dir)
    inline_store = LocalThumbnailStore(inline_settings.thumbnails_dir)
    failures = 0
    for asset_id, expected in inline.items():
        got = pooled[asset_id]
        if isinstance(expected, MadeThumbnail):
            assert isinstance(got, MadeThumbnail) and got.sha256 == expected.sha256
            assert np.array_equal(got.descriptor, expected.descriptor)
            assert pooled_store.read(got.sha256) == inline_store.read(expected.sha256) is not None
        else:
            failures += 1
            assert got == expected  # the same reason
    assert failures == 2


async def test_small_sets_render_in_process(tmp_path: Path) -> None:
    sources = _sources(tmp_path / "in", 3)
    settings = AtelierSettings(home=tmp_path / "home", database_url=None, redis_url=None)

    with ThumbnailRenderer(settings, len(sources)) as renderer:
        renderer.start(sources)
        outcomes = {key: value async for chunk in renderer.outcomes() for key, value in chunk.items()}

    assert renderer.workers == 1 and outcomes.keys() == sources.keys()
    assert sum(isinstance(outcome, MadeThumbnail) for outcome in outcomes.values()) == 3
