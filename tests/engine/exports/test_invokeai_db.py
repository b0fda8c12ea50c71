"""InvokeAI database reading, against real SQLite files built with InvokeAI's documented schema."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.exports import ExportFormatError, read_invokeai_db
from engine.records import TimePrecision

SCHEMA_AND_ROWS = Path(__file__).parent / "samples" / "invokeai_images.sql"
SESSION = "c81f2e4d-7a9b-4c3e-8d1f-2a4b6c8e0f13"


def build_db(path: Path, script: str) -> Path:
    connection = sqlite3.connect(path)
    try:
        connection.executescript(script)
        connection.commit()
    finally:
        connection.close()
    return path


@pytest.fixture
def invokeai_db(tmp_path: Path) -> Path:
    return build_db(tmp_path / "invokeai.db", SCHEMA_AND_ROWS.read_text())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_rows_become_time_evidence_by_image_name(invokeai_db: Path) -> None:
    result = read_invokeai_db(invokeai_db)
    assert result.source == str(invokeai_db)
    by_name = {e.key: e for e in result.evidence}
    assert list(by_name) == [  # time order
        "e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9.png",
        "2b7e4f1a-8c3d-4e5f-9a0b-1c2d3e4f5a6b.png",
        "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a.png",
        "7c6b5a4f-3e2d-4c1b-8a09-f8e7d6c5b4a3.png",
    ]
    first = by_name["2b7e4f1a-8c3d-4e5f-9a0b-1c2d3e4f5a6b.png"]
    assert first.key_kind == "file_name"
    assert first.created_at == utc("2026-02-26 18:01:12.345")
    assert first.precision is TimePrecision.MILLISECOND
    assert (first.source, first.time_field) == ("export:invokeai_db", "images.created_at")
    assert first.job_id == SESSION
    assert first.prompt == "misty pine forest at dawn, soft fog"
    assert first.extra["metadata"]["seed"] == 1875460128
    assert first.extra["board_name"] == "Forest studies"
    assert first.extra["starred"] is True and first.extra["has_workflow"] is True
    assert (first.extra["width"], first.extra["height"]) == (1216, 832)
    assert first.extra["image_category"] == "general" and first.extra["image_origin"] == "internal"
    upload = by_name["e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9.png"]
    assert upload.job_id is None and upload.prompt is None and "metadata" not in upload.extra
    assert upload.extra["image_category"] == "user"
    assert "board_name" not in upload.extra


def test_intermediate_and_deleted_rows_are_left_out(invokeai_db: Path) -> None:
    keys = {e.key for e in read_invokeai_db(invokeai_db).evidence}
    assert "4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d.png" not in keys  # is_intermediate
    assert "0d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a.png" not in keys  # deleted_at


def test_bad_rows_are_reported(invokeai_db: Path) -> None:
    result = read_invokeai_db(invokeai_db)
    problems = {p.entry: p for p in result.problems}
    assert set(problems) == {
        "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9.png",
        "7c6b5a4f-3e2d-4c1b-8a09-f8e7d6c5b4a3.png",
    }
    bad_time = problems["1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9.png"]
    assert bad_time.skipped and "'yesterday evening'" in bad_time.reason
    bad_metadata = problems["7c6b5a4f-3e2d-4c1b-8a09-f8e7d6c5b4a3.png"]
    assert not bad_metadata.skipped and "metadata is not a JSON object" in bad_metadata.reason
    kept = next(e for e in result.evidence if e.key == "7c6b5a4f-3e2d-4c1b-8a09-f8e7d6c5b4a3.png")
    assert kept.created_at == utc("2026-02-26 18:22:47.506") and kept.prompt is None


def test_reading_leaves_the_database_untouched(invokeai_db: Path) -> None:
    before = hashlib.sha256(invokeai_db.read_bytes()).hexdigest(), invokeai_db.stat().st_mtime_ns
    read_invokeai_db(invokeai_db)
    after = hashlib.sha256(invokeai_db.read_bytes()).hexdigest(), invokeai_db.stat().st_mtime_ns
    assert after == before
    assert sorted(p.name for p in invokeai_db.parent.iterdir()) == ["invokeai.db"]  # no journal left


def test_wal_database_in_use_by_a_running_invokeai(tmp_path: Path) -> None:
    """InvokeAI keeps its connection open; committed rows must be visible to our read-only reader."""
    path = tmp_path / "invokeai.db"
    writer = sqlite3.connect(path)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.executescript(SCHEMA_AND_ROWS.read_text())
        writer.execute(
            "INSERT INTO images (image_name, image_origin, image_category, width, height, created_at) "
            "VALUES ('live.png', 'internal', 'general', 1024, 1024, '2026-02-26 19:00:00.250')"
        )
        writer.commit()
        result = read_invokeai_db(path)
        assert result.evidence[-1].key == "live.png"
        assert result.evidence[-1].created_at == utc("2026-02-26 19:00:00.250")
        writer.execute("UPDATE images SET starred = 1 WHERE image_name = 'live.png'")  # still writable
        writer.commit()
    finally:
        writer.close()


def test_minimal_older_schema_is_enough(tmp_path: Path) -> None:
    path = build_db(
        tmp_path / "old.db",
        """
        CREATE TABLE images (image_name TEXT PRIMARY KEY, created_at DATETIME NOT NULL);
        INSERT INTO images VALUES ('000001.a1b2c3d4.png', '2023-05-01 20:14:03');
        """,
    )
    result = read_invokeai_db(path)
    assert len(result.evidence) == 1
    only = result.evidence[0]
    assert only.created_at == utc("2023-05-01 20:14:03") and only.precision is TimePrecision.SECOND
    assert only.extra == {} and result.problems == ()


def test_sqlite_default_created_at_is_read_as_utc(tmp_path: Path) -> None:
    """Rows inserted without a time get SQLite's UTC 'NOW' — the value InvokeAI really stores."""
    path = build_db(tmp_path / "now.db", SCHEMA_AND_ROWS.read_text().split("INSERT INTO boards")[0])
    connection = sqlite3.connect(path)
    connection.execute(
        "INSERT INTO images (image_name, image_origin, image_category, width, height) "
        "VALUES ('fresh.png', 'internal', 'general', 64, 64)"
    )
    connection.commit()
    connection.close()
    before = datetime.now(UTC)
    result = read_invokeai_db(path)
    assert [e.key for e in result.evidence] == ["fresh.png"]
    assert abs((result.evidence[0].created_at - before).total_seconds()) < 60


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("CREATE TABLE assets (id TEXT);", "has no 'images' table"),
        ("CREATE TABLE images (image_name TEXT, width INTEGER);", "lacks column(s) created_at"),
    ],
)
def test_wrong_schema_raises(tmp_path: Path, setup: str, message: str) -> None:
    path = build_db(tmp_path / "other.db", setup)
    with pytest.raises(ExportFormatError, match=re.escape(message)) as caught:
        read_invokeai_db(path)
    assert caught.value.source == str(path)


def test_not_a_database_raises(tmp_path: Path) -> None:
    path = tmp_path / "invokeai.db"
    path.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(ExportFormatError, match="is not a readable SQLite database"):
        read_invokeai_db(path)
    with pytest.raises(ExportFormatError, match="is not a file"):
        read_invokeai_db(tmp_path / "missing.db")


def test_path_with_uri_special_characters(tmp_path: Path) -> None:
    folder = tmp_path / "my #1 ?invoke% dir"
    folder.mkdir()
    path = build_db(folder / "invokeai.db", SCHEMA_AND_ROWS.read_text())
    assert len(read_invokeai_db(path).evidence) == 4
