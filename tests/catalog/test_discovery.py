"""Discovery accounts for every entry exactly once and never opens one: special files are ignored
with their type, folders that cannot be listed and broken or looping symlinks are problems."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from catalog.importing.discovery import FileKind, FoundFile, discover
from tests.hostile_files import bind_socket, image_bytes


def _by_name(found: list[FoundFile]) -> dict[str, tuple[FileKind, str | None]]:
    return {item.path.name: (item.kind, item.reason) for item in found}


def test_every_entry_is_listed_once_with_a_kind_and_a_reason(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(image_bytes())
    (tmp_path / "log.jsonl").write_text("")
    (tmp_path / "notes.txt").write_text("hi")
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    (tmp_path / ".thumbs").mkdir()
    (tmp_path / ".thumbs" / "t.png").write_bytes(image_bytes())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.jpg").write_bytes(image_bytes("JPEG"))
    os.mkfifo(tmp_path / "fifo.png")
    (tmp_path / "dangling.png").symlink_to(tmp_path / "gone.png")
    (tmp_path / "loop_a.png").symlink_to(tmp_path / "loop_b.png")
    (tmp_path / "loop_b.png").symlink_to(tmp_path / "loop_a.png")
    (tmp_path / "sublink").symlink_to(tmp_path / "sub")
    (tmp_path / "alias.png").symlink_to(tmp_path / "a.png")
    server = bind_socket(tmp_path / "sock.png")
    try:
        found = list(discover([tmp_path]))
    finally:
        server.close()

    assert len(found) == len({item.path for item in found}) == 13
    assert _by_name(found) == {
        "a.png": (FileKind.IMAGE, None),
        "alias.png": (FileKind.IMAGE, None),
        "b.jpg": (FileKind.IMAGE, None),
        "log.jsonl": (FileKind.RECORDS, None),
        "notes.txt": (FileKind.SKIPPED, "not an image or a .jsonl record file"),
        ".DS_Store": (FileKind.SKIPPED, "hidden file"),
        ".thumbs": (FileKind.SKIPPED, "hidden folder (not walked)"),
        "fifo.png": (FileKind.SKIPPED, "not a regular file: FIFO"),
        "sock.png": (FileKind.SKIPPED, "not a regular file: socket"),
        "dangling.png": (FileKind.PROBLEM, "broken symlink (its target does not exist)"),
        "loop_a.png": (FileKind.PROBLEM, "symlink loop"),
        "loop_b.png": (FileKind.PROBLEM, "symlink loop"),
        "sublink": (FileKind.SKIPPED, "symlinked folder (not followed)"),
    }


def test_explicit_paths_are_judged_without_being_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "x.png")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")

    found = list(discover([tmp_path / "x.png", tmp_path / "loop", tmp_path / "missing.png"]))

    assert [(item.kind, item.reason) for item in found] == [
        (FileKind.SKIPPED, "not a regular file: FIFO"),
        (FileKind.PROBLEM, "symlink loop"),
        (FileKind.MISSING, "no such file or folder"),
    ]


def test_a_folder_that_cannot_be_listed_is_a_problem_and_its_siblings_are_still_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operating system refusing to list a folder (``PermissionError`` from ``scandir``). Tests
    may run as root, for whom ``chmod 000`` denies nothing, so the refusal is injected here; the
    real-permission variant below runs when the tests do not run as root."""
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "inside.png").write_bytes(image_bytes())
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "b.png").write_bytes(image_bytes())
    real_scandir = os.scandir

    def refusing_scandir(path: str | os.PathLike[str]) -> object:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refusing_scandir)

    assert _by_name(list(discover([tmp_path]))) == {
        "locked": (FileKind.PROBLEM, "cannot list folder (Permission denied)"),
        "b.png": (FileKind.IMAGE, None),
    }


@pytest.mark.skipif(os.geteuid() == 0, reason="root is never denied by file permissions")
def test_a_folder_without_read_permission_is_a_problem(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "inside.png").write_bytes(image_bytes())
    locked.chmod(0)
    try:
        found = list(discover([tmp_path]))
    finally:
        locked.chmod(0o755)
    assert _by_name(found) == {"locked": (FileKind.PROBLEM, "cannot list folder (Permission denied)")}
