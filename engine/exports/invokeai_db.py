"""InvokeAI's SQLite database (``databases/invokeai.db``) -> generation times per image file name.

InvokeAI writes no time into its PNGs, but its ``images`` table has one row per gallery image::

    image_name TEXT PRIMARY KEY, image_origin TEXT, image_category TEXT, width INTEGER,
    height INTEGER, session_id TEXT, node_id TEXT, metadata TEXT (JSON), is_intermediate BOOLEAN,
    created_at DATETIME DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')), updated_at, deleted_at,
    starred BOOLEAN, has_workflow BOOLEAN

``created_at`` is SQLite's ``'NOW'``: **UTC** text ``'YYYY-MM-DD HH:MM:SS.fff'`` (millisecond
precision). Only ``image_name`` and ``created_at`` are required; the other columns are read when the
installed version has them.

Invariants and choices:

- The database is opened read-only (``mode=ro`` URI) and never modified; a running InvokeAI can keep
  using it, and its committed rows are seen (also in WAL mode). Reading a WAL database that nobody
  has open leaves SQLite's ``-wal``/``-shm`` side files behind (a read-only connection may not
  delete them); SQLite reuses them.
- One :class:`ExportTimeEvidence` per row, keyed by ``image_name`` (the file name under
  ``outputs/images``), ``job_id`` = ``session_id``, ``prompt`` = ``metadata.positive_prompt``.
  Intermediate images (``is_intermediate``: canvas scratch images, hidden from the gallery) and
  soft-deleted rows (``deleted_at`` set) are left out.
- A row with an unusable ``image_name`` or ``created_at`` is skipped and reported; a ``metadata``
  value that is not a JSON object (or nests too deeply to be read) is reported and dropped, the row
  is kept. Text that is not UTF-8 costs its row only: it is read as bytes, so an ``image_name`` or
  ``created_at`` holding it is unusable (the row is reported) and any other column's is dropped. An
  ``image_name`` must be a key (:func:`engine.exports.evidence.key_text`); a ``session_id`` that
  is not storable text is no job id.
- A database another program holds an exclusive lock on is refused after SQLite's busy timeout
  (:data:`BUSY_TIMEOUT_SECONDS`) with a message saying so; nothing waits longer.
- Board names are added to ``extra`` when the ``boards``/``board_images`` tables exist.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.exports.evidence import (
    EntryError,
    ExportFormatError,
    ExportParseResult,
    ExportProblem,
    ExportTimeEvidence,
    key_text,
    parse_utc_text,
    sorted_evidence,
)
from engine.text_checks import text_problem

SOURCE = "export:invokeai_db"
BUSY_TIMEOUT_SECONDS = 5.0
_REQUIRED_COLUMNS = ("image_name", "created_at")
_OPTIONAL_COLUMNS = (
    "image_origin",
    "image_category",
    "width",
    "height",
    "session_id",
    "node_id",
    "metadata",
    "is_intermediate",
    "deleted_at",
    "starred",
    "has_workflow",
)


def read_invokeai_db(path: Path | str) -> ExportParseResult:
    """Read the ``images`` table of an InvokeAI database file."""
    source = str(path)
    database = Path(path)
    if not database.is_file():
        raise ExportFormatError(source, "is not a file (expected InvokeAI's invokeai.db)")
    try:
        connection = sqlite3.connect(
            f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS
        )
    except sqlite3.Error as error:
        raise ExportFormatError(source, f"cannot be opened as SQLite ({error})") from error
    connection.text_factory = _text_or_bytes
    try:
        rows = list(_image_rows(connection, source))
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise ExportFormatError(
                source,
                f"is locked by another program (still locked after {BUSY_TIMEOUT_SECONDS:g} s); "
                "try again when InvokeAI is idle",
            ) from error
        raise ExportFormatError(source, f"is not a readable SQLite database ({error})") from error
    except sqlite3.DatabaseError as error:
        raise ExportFormatError(source, f"is not a readable SQLite database ({error})") from error
    finally:
        connection.close()

    evidence: list[ExportTimeEvidence] = []
    problems: list[ExportProblem] = []
    for index, row in enumerate(rows):
        name = row.get("image_name")
        entry = name if isinstance(name, str) and name else f"#{index}"
        if row.get("is_intermediate") or row.get("deleted_at"):
            continue
        try:
            evidence.append(_row_evidence(row, source, entry, problems))
        except EntryError as error:
            problems.append(ExportProblem(source, entry, str(error)))
    return ExportParseResult(source, sorted_evidence(evidence), tuple(problems))


def _text_or_bytes(raw: bytes) -> str | bytes:
    """SQLite text as ``str``; text that is not UTF-8 stays ``bytes`` (its row decides what that
    costs) instead of failing the whole read."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def _image_rows(connection: sqlite3.Connection, source: str) -> Iterator[dict[str, Any]]:
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "images" not in tables:
        raise ExportFormatError(source, "has no 'images' table (not an InvokeAI database?)")
    columns = {row[1] for row in connection.execute("PRAGMA table_info(images)")}
    missing = [c for c in _REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ExportFormatError(source, f"table 'images' lacks column(s) {', '.join(missing)}")
    selected = [c for c in (*_REQUIRED_COLUMNS, *_OPTIONAL_COLUMNS) if c in columns]
    select = ", ".join(f"images.{c}" for c in selected)
    join = ""
    if {"boards", "board_images"} <= tables:
        select += ", boards.board_name"
        selected.append("board_name")
        join = (
            " LEFT JOIN board_images ON board_images.image_name = images.image_name"
            " LEFT JOIN boards ON boards.board_id = board_images.board_id"
        )
    # Column names come from the fixed lists above, never from the database's content.
    for values in connection.execute(f"SELECT {select} FROM images{join} ORDER BY images.rowid"):
        yield dict(zip(selected, values, strict=True))


def _row_evidence(
    row: dict[str, Any], source: str, entry: str, problems: list[ExportProblem]
) -> ExportTimeEvidence:
    name = row["image_name"]
    if not isinstance(name, str) or not name or "/" in name or "\\" in name:
        shown = repr(name) if len(repr(name)) <= 80 else f"{repr(name)[:80]}…"
        raise EntryError(f"image_name {shown} is not a file name")
    key_text(name, "image_name")
    created_at, precision = parse_utc_text(row["created_at"])

    metadata: dict[str, Any] | None = None
    raw_metadata = row.get("metadata")
    if raw_metadata not in (None, ""):
        try:
            decoded = json.loads(raw_metadata) if isinstance(raw_metadata, str | bytes) else None
        except (ValueError, RecursionError):  # not JSON, not UTF-8, a huge integer, nested too deeply
            decoded = None
        if isinstance(decoded, dict):
            metadata = decoded
        else:
            problems.append(
                ExportProblem(source, entry, "metadata is not a JSON object; dropped", skipped=False)
            )
    prompt = metadata.get("positive_prompt") if metadata else None
    session_id = row.get("session_id")

    extra: dict[str, Any] = {
        column: row[column]
        for column in (
            "image_origin",
            "image_category",
            "width",
            "height",
            "node_id",
            "starred",
            "has_workflow",
            "board_name",
        )
        if row.get(column) is not None
    }
    for flag in ("starred", "has_workflow"):
        if flag in extra:
            extra[flag] = bool(extra[flag])
    if metadata is not None:
        extra["metadata"] = metadata
    return ExportTimeEvidence(
        key_kind="file_name",
        key=name,
        created_at=created_at,
        source=SOURCE,
        precision=precision,
        time_field="images.created_at",
        job_id=session_id if _storable(session_id) else None,
        prompt=prompt if isinstance(prompt, str) and prompt else None,
        extra=extra,
    )


def _storable(value: object) -> bool:
    """``value`` is non-empty text a database can hold (a session id used as the job id)."""
    return isinstance(value, str) and bool(value) and text_problem(value) is None
