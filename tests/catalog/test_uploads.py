"""Storing uploads (``catalog.importing.uploads``): safe names and atomic, content-addressed files.

The import itself is the disk import's; these check what happens before it, on real files.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from catalog.importing.uploads import (
    INCOMING_FOLDER,
    MAX_FILE_NAME_BYTES,
    UploadTooLarge,
    remove_stale_incoming,
    sanitise_file_name,
    store_upload,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ComfyUI_00042_.png", "ComfyUI_00042_.png"),
        ("../../etc/passwd", "passwd"),
        ("/abs/path/a.png", "a.png"),
        ("C:\\Users\\me\\a.png", "a.png"),
        ("..\\..\\evil.png", "evil.png"),
        ("a\nb\x00c\rd\x7f.png", "a_b_c_d_.png"),
        ("  spaced name.png \t", "spaced name.png"),
        ("2024-11-02 at 10.15.42.png", "2024-11-02 at 10.15.42.png"),
        ("\ud800.png", "?.png"),
        ("", "upload"),
        (None, "upload"),
        (".", "upload"),
        ("..", "upload"),
        ("folder/", "upload"),
    ],
)
def test_names_keep_only_their_last_component_without_control_characters(
    raw: str | None, expected: str
) -> None:
    assert sanitise_file_name(raw) == expected


def test_long_names_are_shortened_to_whole_characters_keeping_the_extension() -> None:
    name = sanitise_file_name("é" * 300 + ".webp")
    assert name.endswith("é.webp")
    assert len(name.encode()) <= MAX_FILE_NAME_BYTES
    assert len(sanitise_file_name("x" * 400).encode()) == MAX_FILE_NAME_BYTES


def test_a_file_is_stored_once_under_its_hash_with_its_name_and_mtime(tmp_path: Path) -> None:
    content = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 5000
    sha = hashlib.sha256(content).hexdigest()
    modified = datetime(2026, 3, 14, 20, 0, tzinfo=UTC)

    first = store_upload(tmp_path, io.BytesIO(content), "card.png", modified=modified, max_bytes=10**7)
    assert first.path == tmp_path / sha[:2] / sha / "card.png"
    assert first.newly_written and first.sha256 == sha and first.size == len(content)
    assert first.path.read_bytes() == content
    assert first.path.stat().st_mtime == modified.timestamp()

    again = store_upload(tmp_path, io.BytesIO(content), "card.png", modified=None, max_bytes=10**7)
    assert again.path == first.path and not again.newly_written
    assert first.path.stat().st_mtime == modified.timestamp()  # the kept file is left as it was
    other = store_upload(tmp_path, io.BytesIO(content), "copy.png", modified=None, max_bytes=10**7)
    assert other.path == first.path.with_name("copy.png") and other.newly_written
    assert list((tmp_path / INCOMING_FOLDER).iterdir()) == []  # no temporary file left


def test_a_file_over_the_limit_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(UploadTooLarge, match="larger than 1,000 bytes"):
        store_upload(tmp_path, io.BytesIO(b"x" * 1001), "big.png", modified=None, max_bytes=1000)
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
    kept = store_upload(tmp_path, io.BytesIO(b"x" * 1000), "fits.png", modified=None, max_bytes=1000)
    assert kept.size == 1000


def test_temporary_files_left_by_a_killed_upload_are_removed_once_stale(tmp_path: Path) -> None:
    incoming = tmp_path / INCOMING_FOLDER
    incoming.mkdir()
    stale, fresh, other = incoming / "a.part", incoming / "b.part", incoming / "keep.txt"
    for path in (stale, fresh, other):
        path.write_bytes(b"half")
    two_hours_ago = time.time() - 7200
    for path in (stale, other):
        os.utime(path, (two_hours_ago, two_hours_ago))
    assert remove_stale_incoming(tmp_path) == 1
    assert sorted(path.name for path in incoming.iterdir()) == ["b.part", "keep.txt"]
    assert remove_stale_incoming(tmp_path / "nobody") == 0
