"""A file whose content cannot be rendered is decoded once: the reason is kept on its asset and no
import or worker tries it again; a file that could not be opened (moved) is tried again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute

from catalog import tasks
from catalog.database import SessionFactory, unit_of_work
from catalog.importing.owed_work import retry_failed_thumbnails
from catalog.importing.owed_work_repository import assets_missing_thumbnails
from catalog.importing.service import ImportReport, ThumbnailMode, import_paths
from catalog.models import Asset
from catalog.settings import AtelierSettings
from catalog.tasks import backfill_thumbnails
from catalog.thumbnails import THUMBNAIL_DECODER
from tests.generated_copies import space_mtimes
from tests.hostile_files import bomb_png, image_bytes


def _library(folder: Path) -> None:
    folder.mkdir()
    for seed in range(3):
        (folder / f"good_{seed}.png").write_bytes(image_bytes(seed=seed))
    broken = bytearray(image_bytes(seed=9))  # readable metadata, pixels that cannot be decoded
    start = broken.index(b"IDAT") + 4
    broken[start : start + 16] = bytes(16)
    (folder / "broken-pixels.png").write_bytes(bytes(broken))
    (folder / "bomb.png").write_bytes(bomb_png())
    space_mtimes(sorted(folder.iterdir()))


async def _by_file(
    factory: SessionFactory, column: InstrumentedAttribute[str | None]
) -> dict[str, str | None]:
    """``column`` of every asset read from a file, by the file's name."""
    async with factory() as session:
        rows = await session.execute(select(Asset.file_path, column))
    return {Path(path).name: value for path, value in rows.all() if path}


async def _errors(factory: SessionFactory) -> dict[str, str | None]:
    return await _by_file(factory, Asset.thumbnail_error)


async def _import(
    factory: SessionFactory, settings: AtelierSettings, folder: Path, mode: ThumbnailMode
) -> ImportReport:
    return await import_paths(factory, settings, user_handle="ada", paths=[folder], thumbnails=mode)


@pytest.mark.parametrize("mode", [ThumbnailMode.INLINE, ThumbnailMode.AFTER_SESSIONS])
async def test_a_lasting_failure_is_recorded_and_not_tried_again(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path, mode: ThumbnailMode
) -> None:
    folder = tmp_path / "library"
    _library(folder)

    first = await _import(session_factory, settings, folder, mode)

    assert first.thumbnails_made == 3
    assert sorted(Path(problem.path).name for problem in first.thumbnail_problems) == [
        "bomb.png",
        "broken-pixels.png",
    ]
    errors = await _errors(session_factory)
    assert errors["broken-pixels.png"] is not None and errors["broken-pixels.png"].startswith("cannot render")
    assert errors["bomb.png"] is not None and "possible decompression bomb" in errors["bomb.png"]
    assert str(folder) not in (errors["bomb.png"] or "")  # the reason, not the path again
    assert all(errors[f"good_{seed}.png"] is None for seed in range(3))

    again = await _import(session_factory, settings, folder, mode)
    assert (again.thumbnails_made, again.earlier_thumbnails_failed, again.thumbnail_problems) == (0, 0, [])


async def test_a_file_that_could_not_be_opened_is_tried_again(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "library"
    _library(folder)
    await _import(session_factory, settings, folder, ThumbnailMode.SKIP)
    kept = tmp_path / "kept.png"
    shutil.move(folder / "good_0.png", kept)  # moved away before its thumbnail was made

    moved = await _import(session_factory, settings, folder, ThumbnailMode.AFTER_SESSIONS)
    assert moved.thumbnails_made == 2 and moved.earlier_thumbnails_failed == 3  # good_0, broken, bomb
    assert (await _errors(session_factory))["good_0.png"] is None

    shutil.move(kept, folder / "good_0.png")
    back = await _import(session_factory, settings, folder, ThumbnailMode.AFTER_SESSIONS)
    assert (back.thumbnails_made, back.earlier_thumbnails_failed) == (1, 0)


async def test_the_worker_records_a_lasting_failure_and_selects_it_no_more(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "library"
    _library(folder)
    report = await _import(session_factory, settings, folder, ThumbnailMode.SKIP)
    ctx = {"session_factory": session_factory, "settings": settings}

    assert await backfill_thumbnails(ctx) == 3
    errors = await _errors(session_factory)
    assert errors["broken-pixels.png"] is not None and errors["bomb.png"] is not None
    async with session_factory() as session:
        owner = await session.scalar(select(Asset.user_id).where(Asset.id == report.new_asset_ids[0]))
        assert owner is not None
        assert await assets_missing_thumbnails(session, owner, after=None, limit=10) == []
    rendered: list[Path] = []
    monkeypatch.setattr(tasks, "make_thumbnail", lambda path, *args, **kwargs: rendered.append(path))
    assert await backfill_thumbnails(dict(ctx)) == 0  # a new worker process: nothing to decode
    assert rendered == []


async def _decoders(factory: SessionFactory) -> dict[str, str | None]:
    return await _by_file(factory, Asset.thumbnail_error_decoder)


async def _as_if_met_by(factory: SessionFactory, decoder: str | None, *, also: str | None = None) -> None:
    """Record the failures as met by ``decoder``; ``also``: a good file's asset failed that way too
    (as an older Pillow could fail a file this one reads)."""
    async with unit_of_work(factory) as session:
        await session.execute(
            update(Asset).where(Asset.thumbnail_error.is_not(None)).values(thumbnail_error_decoder=decoder)
        )
        if also is not None:
            await session.execute(
                update(Asset)
                .where(Asset.file_name == also)
                .values(
                    thumbnail_sha256=None,
                    thumbnail_error="cannot render a thumbnail (old)",
                    thumbnail_error_decoder=decoder,
                )
            )


@pytest.mark.parametrize("mode", [ThumbnailMode.INLINE, ThumbnailMode.AFTER_SESSIONS])
async def test_failures_of_another_decoder_are_tried_again_by_the_next_import(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path, mode: ThumbnailMode
) -> None:
    folder = tmp_path / "library"
    _library(folder)
    await _import(session_factory, settings, folder, mode)
    decoders = await _decoders(session_factory)
    assert decoders["broken-pixels.png"] == decoders["bomb.png"] == THUMBNAIL_DECODER
    assert decoders["good_0.png"] is None

    await _as_if_met_by(session_factory, "Pillow 9.0.0; at most 89478485 pixels", also="good_1.png")
    again = await _import(session_factory, settings, folder, mode)

    # the file the older decoder failed is rendered now; the broken ones fail again, with this decoder
    assert again.thumbnails_made == 1 and again.earlier_thumbnails_failed == 2
    errors, decoders = await _errors(session_factory), await _decoders(session_factory)
    assert errors["good_1.png"] is None and decoders["good_1.png"] is None
    assert decoders["broken-pixels.png"] == decoders["bomb.png"] == THUMBNAIL_DECODER
    assert errors["broken-pixels.png"] is not None and errors["bomb.png"] is not None
    third = await _import(session_factory, settings, folder, mode)  # same decoder: nothing decoded
    assert (third.thumbnails_made, third.earlier_thumbnails_failed) == (0, 0)


async def test_the_healing_cron_tries_failures_recorded_before_decoders_again(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """Failures stored before migration 0014 have no decoder: the worker tries them once more."""
    folder = tmp_path / "library"
    _library(folder)
    await _import(session_factory, settings, folder, ThumbnailMode.AFTER_SESSIONS)
    await _as_if_met_by(session_factory, None, also="good_2.png")
    quiet = settings.model_copy(update={"prompt_embeddings": False})  # no embedding job to queue
    ctx: dict[str, object] = {"session_factory": session_factory, "settings": quiet}

    healed = await tasks.heal_owed_catalog_work(ctx)
    assert healed["thumbnails"] == 1  # good_2 rendered; the two broken files failed again, recorded
    decoders = await _decoders(session_factory)
    assert decoders["broken-pixels.png"] == decoders["bomb.png"] == THUMBNAIL_DECODER
    assert decoders["good_2.png"] is None
    assert await retry_failed_thumbnails(session_factory) == 0  # this decoder's failures stay
