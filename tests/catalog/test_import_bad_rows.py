"""Records the database would refuse: each is one problem with where it came from and why; the
rest of the batch is stored (real PostgreSQL)."""

from __future__ import annotations

import json
import os
import random
import string
from pathlib import Path

import asyncpg
from sqlalchemy import select

from catalog.database import SessionFactory
from catalog.importing.known_files_repository import known_file_sizes
from catalog.importing.owed_work_repository import assets_missing_thumbnails
from catalog.importing.service import ThumbnailMode, _is_data_error, import_paths
from catalog.models import Asset
from catalog.settings import AtelierSettings
from tests.hostile_files import comfyui_png


def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_a_refused_record_is_reported_and_the_rest_of_its_batch_is_stored(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    good = [
        json.dumps({"id": f"g{i}", "tool": "a1111", "created_at": f"2026-01-01T10:0{i}:00Z"})
        for i in range(3)
    ]
    # A lone UTF-16 surrogate is valid JSON but no character: in the prompt the record codec refuses
    # the line (no UTF-8 output could carry it); in an unknown field (kept in ``extra``) it becomes
    # U+FFFD and the record is kept. A time PostgreSQL cannot hold (after 9999-12-31 in UTC) is only
    # refused by the database, which fails the whole COPY batch, then stored again row by row.
    template = '{"id": "%s", "tool": "a1111", "%s": "moon \\ud800", "created_at": "2026-01-01T10:05:00Z"}'
    unencodable, in_extra = template % ("in-prompt", "prompt"), template % ("in-extra", "note")
    refused = '{"id": "too-late", "tool": "a1111", "created_at": "9999-12-31T23:59:59-14:00"}'
    path = _jsonl(tmp_path / "log.jsonl", [good[0], unencodable, good[1], in_extra, refused, good[2]])

    report = await import_paths(session_factory, settings, user_handle="ada", paths=[path])

    assert report.records_imported == 4
    reasons = {problem.path: problem.reason for problem in report.problems}
    assert reasons == {
        f"{path}:2": "field 'prompt': contains an unpaired surrogate (U+D800)",
        f"{path}: record too-late": "cannot be stored (date value out of range)",  # by PostgreSQL itself
    }
    async with session_factory() as session:
        stored = set(await session.scalars(select(Asset.record_id)))
        unclustered = await session.scalar(select(Asset).where(Asset.session_id.is_(None)))
        kept = await session.scalar(select(Asset.extra).where(Asset.record_id == "in-extra"))
    assert stored == {"g0", "g1", "g2", "in-extra"} and unclustered is None
    assert kept is not None and kept["note"] == "moon \ufffd"

    again = await import_paths(session_factory, settings, user_handle="ada", paths=[path])
    assert (again.records_imported, again.already_known, len(again.problems)) == (0, 4, 2)


async def test_text_longer_than_its_column_is_cut_and_noted_and_an_overlong_id_is_refused(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    records = [
        {"id": "long-sampler", "tool": "a1111", "sampler": "x" * 500, "created_at": "2026-01-01T10:00:00Z"},
        {"id": "i" * 300, "tool": "a1111", "created_at": "2026-01-01T10:01:00Z"},
    ]
    path = _jsonl(tmp_path / "log.jsonl", [json.dumps(record) for record in records])

    report = await import_paths(session_factory, settings, user_handle="ada", paths=[path])

    assert report.records_imported == 1
    assert len(report.problems) == 1 and "record id is 300 characters long" in report.problems[0].reason
    async with session_factory() as session:
        asset = await session.scalar(select(Asset))
    assert asset is not None and asset.sampler == "x" * 120
    assert asset.extra["metadata_errors"] == ["sampler was 500 characters long; kept the first 120"]


async def test_an_image_whose_metadata_holds_a_lone_surrogate_is_kept_with_a_replacement_character(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """A ComfyUI graph whose prompt holds ``\\ud800`` (valid JSON, no character): the image was refused
    ("metadata cannot be stored"); the artist cannot mend a tool's metadata, so the image is kept and
    the lone surrogate becomes U+FFFD."""
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "ComfyUI_00001_.png").write_bytes(comfyui_png("moon \\ud800 fox"))

    report = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])

    assert (report.imported, report.problems) == (1, [])
    async with session_factory() as session:
        prompt = await session.scalar(select(Asset.prompt))
    assert prompt == "moon \ufffd fox"


async def test_a_file_whose_name_is_not_utf8_is_imported_and_found_again_by_its_bytes(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """A Latin-1 name (``café`` as the byte ``\\xe9``) copied from an old share: PostgreSQL text cannot
    hold it, and the image was refused ("cannot be stored"). It is imported, shown with U+FFFD, and the
    later steps that open the file (background thumbnails, a watched folder's catch-up) find it."""
    folder = tmp_path / "images"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9.png")  # as Python reads it from the folder: a lone surrogate
    (folder / name).write_bytes(comfyui_png("a red fox"))
    (folder / "caf\ufffd.png").write_bytes(comfyui_png("a grey wolf"))  # same readable text, valid UTF-8

    report = await import_paths(
        session_factory, settings, user_handle="ada", paths=[folder], thumbnails=ThumbnailMode.SKIP
    )

    assert (report.imported, report.problems) == (2, [])
    async with session_factory() as session:
        rows = (await session.execute(select(Asset.id, Asset.file_path, Asset.file_path_bytes))).all()
        user_id = await session.scalar(select(Asset.user_id))
        assert user_id is not None
        missing = dict(await assets_missing_thumbnails(session, user_id, after=None, limit=10))
        known = await known_file_sizes(
            session, user_id, [str(folder / name), str(folder / "caf\ufffd.png"), str(folder / "other.png")]
        )
    by_bytes = {raw: text for _, text, raw in rows}
    assert by_bytes == {
        os.fsencode(folder / name): str(folder / "caf\ufffd.png"),
        None: str(folder / "caf\ufffd.png"),
    }
    assert sorted(path.read_bytes() == comfyui_png("a red fox") for path in missing.values()) == [False, True]
    assert {folder / name, folder / "caf\ufffd.png"} == set(missing.values())  # each opens its own file
    assert known == {
        str(folder / name): (folder / name).stat().st_size,
        str(folder / "caf\ufffd.png"): (folder / "caf\ufffd.png").stat().st_size,
    }


async def test_names_too_long_for_an_index_are_cut_and_the_import_goes_on(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """A crafted log's 10,000-character file name or reference (random, so PostgreSQL cannot compress
    it into a b-tree entry) failed the whole import ("index row requires 10048 bytes"). Names are cut
    to 600 characters and noted like any other overlong value; a reference in ``extra`` is kept whole
    and only its stored stem is cut."""
    rng = random.Random(7)

    def noise(length: int) -> str:
        return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))

    long_name, long_source, long_init = noise(10_000) + ".png", noise(10_000) + ".png", noise(10_000)
    lines: list[dict[str, object]] = [
        {"id": "name", "file_name": long_name},
        {"id": "source", "source_image": long_source},
        {"id": "init", "extra": {"init_image": long_init}},
        {"id": "plain", "file_name": "ok.png"},
    ]
    log = _jsonl(
        tmp_path / "long.jsonl",
        [
            json.dumps({"tool": "comfyui", "created_at": f"2026-01-01T10:0{i}:00Z", "prompt": "fox", **line})
            for i, line in enumerate(lines)
        ],
    )

    report = await import_paths(session_factory, settings, user_handle="ada", paths=[log])

    assert (report.records_imported, report.problems) == (4, [])
    async with session_factory() as session:
        rows = await session.execute(
            select(
                Asset.record_id,
                Asset.file_name,
                Asset.source_image,
                Asset.file_stem,
                Asset.reference_stem,
                Asset.extra,
            )
        )
        by_id = {row.record_id: row for row in rows}
    assert by_id["name"].file_name == long_name[:600] and by_id["name"].file_stem == long_name[:600]
    assert by_id["name"].extra["metadata_errors"] == [
        "file_name was 10004 characters long; kept the first 600"
    ]
    assert (
        by_id["source"].source_image == long_source[:600]
        and by_id["source"].reference_stem == long_source[:600]
    )
    assert by_id["init"].extra["init_image"] == long_init and by_id["init"].reference_stem == long_init[:600]
    assert by_id["plain"].file_stem == "ok"


def test_an_index_entry_too_large_refuses_the_row_not_the_import() -> None:
    """SQLSTATE class 54 (a limit one value exceeded) is the data's fault: the batch is stored row by row
    and only that row is refused, like a value of the wrong type."""
    too_large = asyncpg.exceptions.ProgramLimitExceededError("index row requires 10048 bytes")
    assert too_large.sqlstate == "54000" and _is_data_error(too_large)
    assert not _is_data_error(asyncpg.exceptions.ConnectionDoesNotExistError("connection lost"))
