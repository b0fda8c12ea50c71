"""An empty path argument is a usage error, not the current folder.

``Path("")`` is ``Path(".")``: ``atelier import "$FOLDER"`` with ``FOLDER`` unset imported whatever
folder the shell was in (and ``analyze`` / ``inspect`` read it), silently. Now ``""`` is refused
before anything is read (exit 2, click's usage error, naming the empty argument); ``.`` still means
the current folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ATELIER = Path(sys.executable).with_name("atelier")
ENV = os.environ | {"DATABASE_URL": "postgresql://nowhere.invalid/none", "HF_HUB_OFFLINE": "1"}


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ATELIER), *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120, env=ENV
    )


@pytest.mark.parametrize("command", ["import", "analyze", "inspect"])
def test_an_empty_path_is_refused_before_anything_is_read(tmp_path: Path, command: str) -> None:
    (tmp_path / "log.jsonl").write_text(
        json.dumps({"id": "r1", "tool": "comfyui", "created_at": "2026-03-01T10:00:00Z"}) + "\n"
    )
    result = _run(tmp_path, command, "")
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "empty path" in result.stderr, result.stderr
    assert "comfyui" not in result.stdout.lower()
    # a real path beside an empty one is refused all the same: nothing is half done
    assert _run(tmp_path, command, str(tmp_path / "log.jsonl"), "").returncode == 2


def test_the_current_folder_is_still_dot(tmp_path: Path) -> None:
    (tmp_path / "log.jsonl").write_text(
        json.dumps({"id": "r1", "tool": "comfyui", "created_at": "2026-03-01T10:00:00Z"}) + "\n"
    )
    result = _run(tmp_path, "analyze", ".", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sessions"][0]["asset_ids"] == ["r1"]
