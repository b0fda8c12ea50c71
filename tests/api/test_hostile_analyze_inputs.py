"""``atelier analyze`` on hostile logs, as a user runs it: a bad line is reported with its number and
the rest is analysed; nothing ends the command with a traceback or a signal.

Numbers Python will not take as given (an integer literal of 5,000 digits, ``"²"`` as a seed, an
integer beyond a float's range as ``cfg_scale``) raised out of the reader and ended the whole command
with a traceback (exit 1). Large input (the indexed path, several cores) is covered as well: it is
read the same way, a bad line sending it to the ordinary reader, which reports the line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ATELIER = Path(sys.executable).with_name("atelier")
ENV = os.environ | {"DATABASE_URL": "postgresql://nowhere.invalid/none", "HF_HUB_OFFLINE": "1"}

HOSTILE_LINES = (
    b'{"id": "h1", "created_at": "2026-03-01T10:00:00Z", "seed": ' + b"9" * 5000 + b"}",
    b'{"id": "h2", "created_at": "2026-03-01T10:00:00Z", "seed": "\xc2\xb2"}',
    b'{"id": "h3", "created_at": "2026-03-01T10:00:00Z", "steps": "--5"}',
    b'{"id": "h4", "created_at": "2026-03-01T10:00:00Z", "cfg_scale": 1' + b"0" * 400 + b"}",
    b'{"id": "h5", "created_at": "2026-03-01T10:00:00Z", "loras": [{"name": "a", "weight": -1'
    + b"0" * 400
    + b"}]}",
)


def _good_lines(count: int) -> list[bytes]:
    start = datetime(2026, 3, 1, 19, tzinfo=UTC)
    return [
        json.dumps(
            {
                "id": f"g{index}",
                "user": f"u{index % 7}",
                "tool": "comfyui",
                "created_at": (start + timedelta(seconds=40 * index)).isoformat(),
                "prompt": "koi pond at dusk",
            }
        ).encode()
        for index in range(count)
    ]


def _analyze(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ATELIER), "analyze", str(path), "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=ENV,
    )


def _check(result: subprocess.CompletedProcess[str], path: Path, good: int, first_bad_line: int) -> None:
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    assert skipped == [
        f"skipped {path}:{first_bad_line + offset}: {reason}"
        for offset, reason in enumerate(
            (
                "a number has more than 4300 digits",
                "field 'seed': must be an integer, got '²'",
                "field 'steps': must be an integer, got '--5'",
                "field 'cfg_scale': must be a finite number, got an integer too large",
                "field 'loras': weight of 'a' must be a finite number",
            )
        )
    ], result.stderr
    document = json.loads(result.stdout)
    analysed = {asset for session in document["sessions"] for asset in session["asset_ids"]}
    assert len(analysed) == good and not analysed & {"h1", "h2", "h3", "h4", "h5"}


def test_hostile_numbers_are_reported_line_by_line_and_the_rest_is_analysed(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    good = _good_lines(30)
    path.write_bytes(b"\n".join([*good[:10], *HOSTILE_LINES, *good[10:]]) + b"\n")
    _check(_analyze(path), path, good=30, first_bad_line=11)


def test_hostile_numbers_in_a_large_log_are_reported_the_same_way(tmp_path: Path) -> None:
    """Over 1 MB and 20,000 records: the indexed path first, which hands the input to the ordinary
    reader when a line is not a plain record."""
    path = tmp_path / "large.jsonl"
    good = _good_lines(21_000)
    path.write_bytes(b"\n".join([*good[:20_000], *HOSTILE_LINES, *good[20_000:]]) + b"\n")
    assert path.stat().st_size > 1_000_000
    _check(_analyze(path), path, good=21_000, first_bad_line=20_001)
