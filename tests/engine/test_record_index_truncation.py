"""A record file truncated while its blocks are held never kills the process.

``atelier analyze`` indexes large JSONL input from blocks of the file's bytes
(:func:`engine.record_index.read_record_blocks`). Those blocks used to be views of the file mapped
into memory: when another process truncated the file meanwhile (a log being rotated, an editor
saving), the next read of a page past the new end raised SIGBUS and the process died on the spot,
without a message. The blocks are now the process's own copy, read once: truncating, rewriting or
deleting the file afterwards changes nothing in them.

Each check runs in a child process, so the old behaviour shows as a death by signal instead of taking
the test run down with it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

HOLD_AND_TRUNCATE = """
import sys
from pathlib import Path
from engine.record_index import index_block, read_record_blocks

path = Path(sys.argv[1])
blocks = read_record_blocks([path])
with open(path, "r+b") as handle:
    handle.truncate(int(sys.argv[2]))
# every block is read after the truncation: the light pass over each, then every byte
keys = [index_block(block) for block in blocks]
indexed = sum(len(key.ids) for key in keys if key is not None)
print(indexed, sum(bytes(block).count(b"\\n") for block in blocks))
"""


def _write_log(path: Path, lines: int) -> bytes:
    data = "".join(
        json.dumps(
            {"id": f"r{at}", "tool": "comfyui", "created_at": "2026-03-01T10:00:00Z", "prompt": "fox " * 40}
        )
        + "\n"
        for at in range(lines)
    ).encode()
    path.write_bytes(data)
    return data


def _run(path: Path, truncate_to: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", HOLD_AND_TRUNCATE, str(path), str(truncate_to)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_blocks_outlive_the_file_being_truncated_to_nothing(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    _write_log(path, 20_000)  # ~4 MB: several blocks, many pages
    done = _run(path, 0)
    assert done.returncode != -signal.SIGBUS, "killed by SIGBUS: a block still maps the file"
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["20000", "20000"]  # every line as it was when read


def test_blocks_outlive_the_file_being_cut_mid_line(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    data = _write_log(path, 5_000)
    done = _run(path, len(data) // 3 + 7)
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert done.stdout.split() == ["5000", "5000"]
