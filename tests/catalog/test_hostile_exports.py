"""Hostile tool exports (``atelier import-export …``) against the real embedded PostgreSQL.

What failed before (audit round 2):

- a FIFO given as a ComfyUI history or Midjourney archive blocked the import forever (the reader
  waited for a writer); a folder was an ``IsADirectoryError`` message, now it says what it is;
- JSON nested deeper than Python's recursion limit, or holding an integer of 5,000 digits, escaped as
  ``RecursionError``/``ValueError`` (a traceback);
- a file name, prompt id or job id holding a NUL or an unpaired surrogate (``\\ud800``), or a random
  file name of 100,000 characters (past PostgreSQL's index row limit), reached PostgreSQL and failed
  the whole export with a database error; now that entry is skipped and reported, the rest imported;
- a ComfyUI output whose ``type`` was a list or an object was ``TypeError: unhashable type``;
- a Midjourney ``parent_grid`` of 5,000 digits, or ``"²"``, was a ``ValueError`` from ``int()``;
- one InvokeAI row whose text is not UTF-8 made the whole database "not a readable SQLite database"
  (every good row lost), and ``metadata`` nested too deeply was a ``RecursionError``; a database
  another program holds locked said "not a readable SQLite database".
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from catalog.database import SessionFactory
from catalog.importing.export_import import ExportKind, import_export
from catalog.importing.service import import_paths
from catalog.models import Asset, StoredTimeEvidence
from catalog.settings import AtelierSettings
from engine.exports import ExportError, read_comfyui_history, read_invokeai_db, read_midjourney_archive

SUCCESS_MS = 1_740_000_000_000
"""2025-02-19 21:20 UTC, in epoch milliseconds."""


def _comfy_entry(prompt_id: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {
        "prompt": [1, prompt_id, {}, {}, []],
        "outputs": {"9": {"images": list(items)}},
        "status": {"messages": [["execution_success", {"prompt_id": prompt_id, "timestamp": SUCCESS_MS}]]},
    }


async def _stored_keys(factory: SessionFactory) -> set[str]:
    async with factory() as db:
        return set(await db.scalars(select(StoredTimeEvidence.key)))


def _unblock_reader(fifo: Path) -> None:
    """Open ``fifo`` for writing and close it, so a reader stuck opening it gets end-of-file."""
    with contextlib.suppress(OSError):
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.parametrize("reader", [read_comfyui_history, read_midjourney_archive, read_invokeai_db])
def test_a_fifo_or_a_folder_is_refused_at_once_in_words(tmp_path: Path, reader: Any) -> None:
    fifo = tmp_path / "history.json"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            reader(fifo)
            outcome.append(None)
        except BaseException as error:  # handed to the test thread
            outcome.append(error)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(timeout=10)
    blocked = thread.is_alive()
    if blocked:
        _unblock_reader(fifo)
        thread.join(timeout=10)
    assert not blocked, "reading a FIFO waited for a writer"
    assert isinstance(outcome[0], ExportError)
    assert "FIFO" in str(outcome[0]) or "not a file" in str(outcome[0])

    with pytest.raises(ExportError, match=r"folder|not a file"):
        reader(tmp_path)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "nests arrays or objects too deeply"),
        ('{"p": {"prompt": [' + "9" * 5000 + ', "p", {}]}}', "holds a value that cannot be read"),
    ],
)
@pytest.mark.parametrize("kind", ["comfyui-history", "midjourney-archive"])
async def test_json_python_cannot_read_is_one_clear_error_and_writes_nothing(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    kind: ExportKind,
    text: str,
    reason: str,
) -> None:
    path = tmp_path / "export.json"
    path.write_text(text)
    with pytest.raises(ExportError, match=reason):
        await import_export(session_factory, settings, user_handle="ada", source=path, kind=kind)
    assert await _stored_keys(session_factory) == set()


async def test_comfyui_outputs_a_database_cannot_hold_are_skipped_and_the_rest_imported(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    long_name = (
        secrets.token_hex(50_000) + ".png"
    )  # random: PostgreSQL cannot compress it under its index limit
    history = {
        "nul": _comfy_entry("nul", {"filename": "a\x00.png", "type": "output"}, {"filename": "kept-1.png"}),
        "long": _comfy_entry("long", {"filename": long_name}, {"filename": "kept-2.png"}),
        "typed": _comfy_entry(
            "typed", {"filename": "x.png", "type": ["output"]}, {"filename": "y.png", "type": {}}
        ),
        "bad\x00id": _comfy_entry("bad\x00id", {"filename": "lost.png"}),
        "fine": _comfy_entry("fine", {"filename": "kept-3.png"}),
    }
    text = json.dumps(history).replace('"kept-3.png"', '"kept-3.png"}, {"filename": "\\ud800.png"')
    path = tmp_path / "history.json"
    path.write_text(text)

    report = await import_export(
        session_factory, settings, user_handle="ada", source=path, kind="comfyui-history"
    )

    assert await _stored_keys(session_factory) == {"kept-1.png", "kept-2.png", "kept-3.png"}
    reasons = {(problem.entry, problem.skipped): problem.reason for problem in report.problems}
    assert reasons[("nul", False)] == (
        "outputs.9.images[0].filename contains a NUL character (U+0000) at position 1; that output is skipped"
    )
    assert reasons[("long", False)].startswith("outputs.9.images[0].filename has 100004 characters")
    assert reasons[("fine", False)] == (
        "outputs.9.images[1].filename contains an unpaired surrogate (U+D800) at position 0; "
        "that output is skipped"
    )
    assert reasons[("bad\x00id", True)] == "prompt id contains a NUL character (U+0000) at position 3"
    typed = [problem.reason for problem in report.problems if problem.entry == "typed"]
    assert typed == [
        "outputs.9.images[0].type is list, expected text; that output is skipped",
        "outputs.9.images[1].type is dict, expected text; that output is skipped",
    ]


async def test_midjourney_jobs_a_database_cannot_hold_cost_only_themselves(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    enqueued = "2025-06-30 08:26:52.118204"
    jobs = [
        {"id": "nul\x00job", "enqueue_time": enqueued},
        {"id": "j" * 300, "enqueue_time": enqueued},
        {"id": "parent-nul", "enqueue_time": enqueued, "parent_id": "p\x00"},
        {"id": "type-nul", "enqueue_time": enqueued, "job_type": "v7\x00"},
        {"id": "grid-digits", "enqueue_time": enqueued, "parent_id": "grid", "parent_grid": "9" * 5000},
        {"id": "grid-super", "enqueue_time": enqueued, "parent_id": "grid", "parent_grid": "\u00b2"},
    ]
    path = tmp_path / "archive.json"
    path.write_text(json.dumps(jobs))

    report = await import_export(
        session_factory, settings, user_handle="ada", source=path, kind="midjourney-archive"
    )

    assert await _stored_keys(session_factory) == {"parent-nul", "type-nul", "grid-digits", "grid-super"}
    reasons = {problem.entry: problem.reason for problem in report.problems}
    assert reasons["nul\x00job"] == "job id contains a NUL character (U+0000) at position 3"
    assert reasons["j" * 300] == "job id has 300 characters; at most 255 are a file name or id"
    assert (
        reasons["parent-nul"]
        == "parent_id contains a NUL character (U+0000) at position 1; the parent job is dropped"
    )
    assert reasons["type-nul"] == "job_type contains a NUL character (U+0000) at position 2; dropped"
    assert (
        reasons["grid-digits"].startswith("parent_grid '999")
        and "is not a grid position" in reasons["grid-digits"]
    )
    assert reasons["grid-super"] == "parent_grid '\u00b2' is not a grid position (0-63); dropped"
    async with session_factory() as db:
        rows = {row.key: row for row in await db.scalars(select(StoredTimeEvidence))}
    assert rows["parent-nul"].parent_job_id is None
    assert rows["type-nul"].job_type is None
    assert rows["grid-digits"].parent_job_id == "grid" and rows["grid-digits"].parent_grid is None


@pytest.mark.parametrize(
    "parents",
    [{"a": "a"}, {"a": "b", "b": "a"}],
    ids=["its-own-parent", "a-b-a"],
)
async def test_midjourney_parent_cycles_are_imported_and_clustered(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path, parents: dict[str, str]
) -> None:
    records = [
        {"id": f"r-{job}", "tool": "midjourney", "job_id": job, "file_name": f"mj_{job}_0.png",
         "created_at": f"2025-06-30T08:2{index}:00Z", "prompt": "whales in the sky"}
        for index, job in enumerate(["a", "b"])
    ]  # fmt: skip
    log = tmp_path / "downloads.jsonl"
    log.write_text("".join(json.dumps(record) + "\n" for record in records))
    await import_paths(session_factory, settings, user_handle="ada", paths=[log])
    jobs = [
        {"id": job, "enqueue_time": f"2025-06-30 08:2{index}:00.5", "parent_id": parents.get(job)}
        for index, job in enumerate(["a", "b"])
    ]
    archive = tmp_path / "archive.json"
    archive.write_text(json.dumps(jobs))

    report = await import_export(
        session_factory, settings, user_handle="ada", source=archive, kind="midjourney-archive"
    )

    assert report.problems == [] and report.matched == 2
    async with session_factory() as db:
        assets = list(await db.scalars(select(Asset)))
    assert {asset.parent_job_id for asset in assets} == set(parents.values()) | (
        {None} if len(parents) == 1 else set()
    )
    assert all(asset.session_id is not None for asset in assets)


def _invokeai_database(path: Path, rows: list[tuple[object, ...]]) -> Path:
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE images (image_name TEXT PRIMARY KEY, created_at DATETIME, metadata TEXT, "
        "session_id TEXT, is_intermediate BOOLEAN, deleted_at DATETIME)"
    )
    connection.executemany("INSERT INTO images VALUES (?, ?, ?, ?, 0, NULL)", rows)
    connection.execute(
        "INSERT INTO images VALUES (CAST(X'FF41' AS TEXT), '2025-03-01 10:00:00.000', NULL, NULL, 0, NULL)"
    )
    connection.execute(
        "INSERT INTO images VALUES ('latin.png', '2025-03-01 10:00:02.000', NULL, "
        "CAST(X'E96C' AS TEXT), 0, NULL)"
    )
    connection.commit()
    connection.close()
    return path


async def test_invokeai_rows_that_are_not_utf8_or_too_deep_cost_only_themselves(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    database = _invokeai_database(
        tmp_path / "invokeai.db",
        [
            ("good.png", "2025-03-01 10:00:01.000", '{"positive_prompt": "koi"}', "s-1"),
            ("deep.png", "2025-03-01 10:00:03.000", "[" * 100_000 + "]" * 100_000, None),
            ("nul\x00.png", "2025-03-01 10:00:04.000", None, None),
            ("session-nul.png", "2025-03-01 10:00:05.000", None, "s\x00"),
        ],
    )

    report = await import_export(
        session_factory, settings, user_handle="ada", source=database, kind="invokeai-db"
    )

    assert await _stored_keys(session_factory) == {"good.png", "deep.png", "latin.png", "session-nul.png"}
    reasons = {problem.entry: (problem.reason, problem.skipped) for problem in report.problems}
    assert reasons["#4"] == ("image_name b'\\xffA' is not a file name", True)
    assert reasons["deep.png"] == ("metadata is not a JSON object; dropped", False)
    assert reasons["nul\x00.png"] == ("image_name contains a NUL character (U+0000) at position 3", True)
    async with session_factory() as db:
        job_ids = dict((await db.execute(select(StoredTimeEvidence.key, StoredTimeEvidence.job_id))).all())
    assert job_ids == {"good.png": "s-1", "deep.png": None, "latin.png": None, "session-nul.png": None}


def test_an_invokeai_database_locked_by_another_program_is_said_so(tmp_path: Path) -> None:
    path = tmp_path / "invokeai.db"
    holder = sqlite3.connect(path)
    holder.execute("CREATE TABLE images (image_name TEXT, created_at DATETIME)")
    holder.commit()
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(ExportError, match="is locked by another program"):
            read_invokeai_db(path)
    finally:
        holder.rollback()
        holder.close()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"SQLite format 3\x00" + b"\x00" * 100, "is not a readable SQLite database"),
        (b"not a database at all" * 100, "is not a readable SQLite database"),
    ],
    ids=["truncated", "not-sqlite"],
)
async def test_a_database_file_that_is_not_one_is_one_clear_error(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    content: bytes,
    reason: str,
) -> None:
    path = tmp_path / "invokeai.db"
    path.write_bytes(content)
    with pytest.raises(ExportError, match=reason):
        await import_export(session_factory, settings, user_handle="ada", source=path, kind="invokeai-db")
    other = sqlite3.connect(tmp_path / "other.db")
    other.execute("CREATE TABLE images (id INTEGER)")
    other.commit()
    other.close()
    with pytest.raises(ExportError, match="lacks column"):
        await import_export(
            session_factory, settings, user_handle="ada", source=tmp_path / "other.db", kind="invokeai-db"
        )
    assert await _stored_keys(session_factory) == set()
