"""``atelier import`` as a user runs it: one JSON line per file with ``--json``, a human account of
every file otherwise, and exit codes 0 (all imported, known or ignored), 3 (finished with problems),
other (could not run)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from catalog.settings import AtelierSettings
from tests.api.conftest import run_atelier
from tests.hostile_files import huge_ihdr_png, image_bytes, record_line

LINE_KEYS = {"path", "outcome", "reason", "asset_id"}


def _json_lines(stdout: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    documents = [json.loads(line) for line in stdout.splitlines()]
    assert documents and set(documents[-1]) == {"summary"}
    return documents[:-1], documents[-1]["summary"]


async def test_json_lines_account_for_every_file_and_exit_0_without_problems(
    settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.png").write_bytes(image_bytes(seed=1))
    (folder / "b.jpg").write_bytes(image_bytes("JPEG", seed=2))
    (folder / "notes.txt").write_text("hello")
    (folder / "log.jsonl").write_bytes(record_line("r1", 1) + record_line("r2", 2))
    os.mkfifo(folder / "x.png")  # must not hang the import (issue 10 item 2)

    result = await run_atelier(settings, "import", str(folder), "--json")

    assert result.code == 0, result.stderr
    lines, summary = _json_lines(result.stdout)
    assert all(set(line) >= LINE_KEYS for line in lines)
    by_name = {Path(line["path"]).name: line for line in lines}
    assert sorted(by_name) == ["a.png", "b.jpg", "log.jsonl", "notes.txt", "x.png"]
    assert {name: line["outcome"] for name, line in by_name.items()} == {
        "a.png": "imported",
        "b.jpg": "imported",
        "log.jsonl": "imported",
        "notes.txt": "ignored",
        "x.png": "ignored",
    }
    assert by_name["x.png"]["reason"] == "not a regular file: FIFO"
    assert by_name["a.png"]["reason"] is None and len(by_name["a.png"]["asset_id"]) == 36
    assert by_name["notes.txt"]["asset_id"] is None
    assert by_name["log.jsonl"]["records"] == {"imported": 2, "known": 0, "refused": 0}
    assert summary["files"] == 5 and summary["imported"] == 3 and summary["ignored"] == 2
    assert summary["problem"] == 0 and summary["sessions_updated"] >= 1

    again = await run_atelier(settings, "import", str(folder), "--json")

    assert again.code == 0, again.stderr
    lines_again, _ = _json_lines(again.stdout)
    known = {Path(line["path"]).name: line for line in lines_again if line["outcome"] == "known"}
    assert sorted(known) == ["a.png", "b.jpg", "log.jsonl"]
    assert known["a.png"]["asset_id"] == by_name["a.png"]["asset_id"]


async def test_problems_exit_3_and_the_human_output_lists_them_with_counts(
    settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.png").write_bytes(image_bytes(seed=1))
    (folder / "huge.png").write_bytes(huge_ihdr_png())
    (folder / "empty.png").write_bytes(b"")
    (folder / "other.txt").write_text("x")

    result = await run_atelier(settings, "import", str(folder))

    assert result.code == 3, result.stderr
    assert result.stdout == ""
    assert f"problem {folder / 'huge.png'}: PNG header declares an impossible size" in result.stderr
    assert f"problem {folder / 'empty.png'}: " in result.stderr
    assert "4 files: 1 imported, 0 already known, 2 problems, 1 ignored" in result.stderr
    assert "other.txt" not in result.stderr  # met inside a folder: counted, not listed
    assert "Traceback" not in result.stderr

    as_json = await run_atelier(settings, "import", str(folder), "--json")

    assert as_json.code == 3
    lines, summary = _json_lines(as_json.stdout)
    assert [line["outcome"] for line in lines] == ["problem", "known", "problem", "ignored"]
    assert summary["problem"] == 2 and summary["known"] == 1


async def test_a_file_named_on_the_command_line_that_is_not_read_says_why(
    settings: AtelierSettings, tmp_path: Path
) -> None:
    log = tmp_path / "prompts.csv"
    log.write_text("prompt,seed\na fox,1\n")
    (tmp_path / "good.png").write_bytes(image_bytes(seed=1))

    result = await run_atelier(settings, "import", str(log), str(tmp_path / "good.png"))

    assert result.code == 0, result.stderr
    assert f"ignored {log}: not an image or a .jsonl record file" in result.stderr
    assert "2 files: 1 imported, 0 already known, 0 problems, 1 ignored (0 records imported" in result.stderr
    assert "1 session updated" in result.stderr


async def test_a_logs_refused_lines_are_listed_in_line_order(
    settings: AtelierSettings, tmp_path: Path
) -> None:
    log = tmp_path / "log.jsonl"
    good = '{"id": "ok", "tool": "comfyui", "created_at": "2026-01-01T10:00:00Z"}'
    log.write_text("\n".join(good if number == 1 else "not json" for number in range(1, 13)) + "\n")

    result = await run_atelier(settings, "import", str(log))

    assert result.code == 3, result.stderr
    listed = [
        int(line.split(":")[1]) for line in result.stderr.splitlines() if line.startswith(f"problem {log}:")
    ]
    assert listed == list(range(2, 13))  # 2 … 12, not 10, 11, 12, 2 … as text would sort them


async def test_an_import_that_cannot_run_exits_with_another_code(
    settings: AtelierSettings, tmp_path: Path
) -> None:
    (tmp_path / "a.png").write_bytes(image_bytes(seed=1))

    result = await run_atelier(settings, "import", str(tmp_path / "a.png"), "--watch", "--json")

    assert result.code not in (0, 3)
    assert "--watch needs at least one folder (the paths given are files)" in result.stderr
    # a folder that is not there is named, not taken for a file (it said "needs at least one folder")
    gone = await run_atelier(settings, "import", str(tmp_path / "ComfyUI" / "output"), "--watch")
    assert gone.code == 1
    assert f"--watch: no such folder: {tmp_path / 'ComfyUI' / 'output'}" in gone.stderr


async def test_an_image_overwritten_in_place_is_counted_in_both_outputs(
    settings: AtelierSettings, tmp_path: Path
) -> None:
    """An import after ``latest.png`` was written again with another image: the earlier image is gone,
    and both the summary line and the ``--json`` summary say so."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "latest.png").write_bytes(image_bytes(seed=1))
    assert (await run_atelier(settings, "import", str(folder))).code == 0

    (folder / "latest.png").write_bytes(image_bytes(seed=2))
    human = await run_atelier(settings, "import", str(folder))

    assert human.code == 0, human.stderr
    assert "1 session updated; 1 earlier image gone (file overwritten with another)" in human.stderr
    (folder / "latest.png").write_bytes(image_bytes(seed=3))
    lines, summary = _json_lines((await run_atelier(settings, "import", str(folder), "--json")).stdout)
    assert summary["overwritten"] == 1 and [line["outcome"] for line in lines] == ["imported"]
