"""The suite removes its own in-memory folders a day after they were last touched (failed runs' temp
files, killed runs' server data), never a fresh one, a file or another program's folder."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.conftest import STALE_FOLDER_SECONDS, _remove_stale_folders


def _aged(path: Path, seconds: float) -> Path:
    when = time.time() - seconds
    os.utime(path, (when, when))
    return path


def test_only_this_suites_folders_untouched_for_a_day_are_removed(tmp_path: Path) -> None:
    old = tmp_path / "atelier-pytest-old"
    (old / "popen-gw0").mkdir(parents=True)
    _aged(old, STALE_FOLDER_SECONDS + 60)
    fresh = tmp_path / "atelier-test-0-fresh"
    fresh.mkdir()
    _aged(fresh, STALE_FOLDER_SECONDS - 3600)
    (tmp_path / "PostgreSQL.1234").mkdir()  # not ours, however old
    _aged(tmp_path / "PostgreSQL.1234", STALE_FOLDER_SECONDS * 2)
    old_file = tmp_path / "atelier-note"
    old_file.write_text("a file")
    _aged(old_file, STALE_FOLDER_SECONDS * 2)

    _remove_stale_folders(tmp_path)

    remaining = sorted(path.name for path in tmp_path.iterdir())
    assert remaining == ["PostgreSQL.1234", "atelier-note", "atelier-test-0-fresh"]
