"""``atelier analyze`` without ``--json``: plain aligned lines for pipes and long outputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

from api.analyze_command import SessionRow
from api.analyze_output import RICH_TABLE_MAX_ROWS, plain_table, use_rich_table

ATELIER = Path(sys.executable).with_name("atelier")


def test_plain_table_aligns_columns_and_keeps_every_label_whole() -> None:
    long_label = "Neon portrait refinement — 22 variations across 3 seeds, " * 3
    rows = [
        SessionRow("2026-02-25 19:00", "comfyui", 22, "refinement", long_label.strip()),
        SessionRow("2026-02-26 08:15", "夜の街", 1234, "exploration", "Koi pond (< 1 min, 1 image)"),
    ]

    lines = plain_table(rows).splitlines()

    assert lines[0].split() == ["started", "tool", "images", "intent", "label"]
    assert lines[1].endswith(long_label.strip()) and lines[2].endswith("Koi pond (< 1 min, 1 image)")
    # the label starts in the same terminal column on every line (the CJK tool is two cells a character)
    starts = [
        cell_len(line[: line.index(label)])
        for line, label in zip(lines, ["label", long_label.strip(), "Koi"], strict=True)
    ]
    assert len(set(starts)) == 1
    assert "  22  " in lines[1] and " 1234  " in lines[2]  # counts right-aligned under "images"
    assert plain_table([]) == "started  tool  images  intent  label\n"


def test_rich_table_only_on_a_terminal_and_for_a_few_hundred_sessions() -> None:
    assert use_rich_table(3, is_terminal=True)
    assert not use_rich_table(3, is_terminal=False)
    assert not use_rich_table(RICH_TABLE_MAX_ROWS + 1, is_terminal=True)


def test_analyze_into_a_pipe_prints_one_line_per_session(tmp_path: Path) -> None:
    log = tmp_path / "records.jsonl"
    log.write_text(
        '{"id": "a", "tool": "comfyui", "created_at": "2026-01-01T10:00:00Z", "prompt": "a red fox"}\n'
        '{"id": "b", "tool": "comfyui", "created_at": "2026-01-01T10:01:00Z", "prompt": "a red fox"}\n'
        '{"id": "c", "tool": "forge", "created_at": "2026-01-02T10:00:00Z", "prompt": "koi pond"}\n'
        '{"id": "d", "tool": "forge", "prompt": "no time"}\n'
    )
    result = subprocess.run([str(ATELIER), "analyze", str(log)], capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["started", "tool", "images", "intent", "label"]
    assert len(lines) == 1 + 2 and "│" not in result.stdout  # two sessions, no box drawing
    assert lines[1].split()[:4] == ["2026-01-01", "10:00", "comfyui", "2"]
    assert "1 record without a usable time was not clustered" in result.stderr + result.stdout


def test_a_file_of_bad_lines_is_summed_up_after_the_first_problems(tmp_path: Path) -> None:
    """A misnamed or broken file can hold millions of bad lines: the first ones are listed, the rest
    counted (printing each took longer than the analysis)."""
    log = tmp_path / "records.jsonl"
    log.write_text(
        "not json\n" * 250 + '{"id": "a", "tool": "comfyui", "created_at": "2026-01-01T10:00:00Z"}\n'
    )
    result = subprocess.run([str(ATELIER), "analyze", str(log)], capture_output=True, text=True, check=True)
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 200 and skipped[0].startswith(f"skipped {log}:1: not valid JSON")
    assert "… and 50 more skipped" in result.stderr
    assert "comfyui" in result.stdout  # the good line is analysed


def test_brackets_in_labels_paths_and_problems_are_printed_as_text(tmp_path: Path) -> None:
    """Rich markup is never read from data: a prompt, a folder name or a problem holding "[/i]" made
    the rich table and the problem lines fail with MarkupError."""
    folder = tmp_path / "renders [v6]"
    folder.mkdir()
    log = folder / "records.jsonl"
    prompt = "a [/b] fox, [red]ember[/red], [from:to:0.5]"
    log.write_text(
        f'{{"id": "a", "tool": "comfyui", "created_at": "2026-01-01T10:00:00Z", "prompt": "{prompt}"}}\n'
        f'{{"id": "b", "tool": "comfyui", "created_at": "2026-01-01T10:01:00Z", "seed": "bad [/i]"}}\n'
    )
    for terminal in ({"TTY_COMPATIBLE": "1"}, {}):  # the rich table, then plain lines
        result = subprocess.run(
            [str(ATELIER), "analyze", str(folder)],
            capture_output=True,
            text=True,
            check=False,
            env=os.environ | terminal,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert ("┃" in result.stdout) == bool(terminal)  # the path meant was the one taken
        assert "MarkupError" not in result.stderr
        assert f"{log}:2: field 'seed': must be an integer, got 'bad [/i]'" in result.stderr.replace("\n", "")


@pytest.mark.parametrize("command", ["analyze", "inspect"])
@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd"])
def test_an_unknown_time_zone_is_a_usage_error(tmp_path: Path, command: str, zone: str) -> None:
    """Not a traceback (analyze) nor one "reader failed" per file (inspect)."""
    result = subprocess.run(
        [str(ATELIER), command, str(tmp_path), "--timezone", zone],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"COLUMNS": "200"},
        timeout=120,
    )
    assert result.returncode == 2
    assert f"unknown time zone '{zone}'" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("as_json", [False, True])
def test_a_path_or_file_that_could_not_be_read_makes_the_exit_code_3(tmp_path: Path, as_json: bool) -> None:
    """The rest is still analysed and printed; what could not be read is named, and a script can tell
    from the exit code (as from ``atelier import``'s) that the output is missing something."""
    log = tmp_path / "records.jsonl"
    log.write_text('{"id": "a", "tool": "comfyui", "created_at": "2026-01-01T10:00:00Z", "prompt": "fox"}\n')
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 7)
    flags = ["--json"] if as_json else []

    def analyze(*paths: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ATELIER), "analyze", *map(str, paths), *flags],
            capture_output=True,
            text=True,
            check=False,
            env=os.environ | {"COLUMNS": "200"},
            timeout=120,
        )

    missing = analyze(log, tmp_path / "missing.jsonl")
    assert missing.returncode == 3, missing.stderr
    assert f"skipped {tmp_path / 'missing.jsonl'}: no such file or folder" in missing.stderr
    assert "comfyui" in missing.stdout  # the readable log is analysed all the same
    corrupt = analyze(log, broken)
    assert corrupt.returncode == 3 and f"skipped {broken}: " in corrupt.stderr
    assert "comfyui" in corrupt.stdout

    (tmp_path / "prompts.csv").write_text("prompt\nfox\n")
    (tmp_path / "bad.jsonl").write_text("not json\n")
    passed_over = analyze(log, tmp_path / "prompts.csv", tmp_path / "bad.jsonl")
    assert passed_over.returncode == 0, passed_over.stderr  # said why, but nothing failed to be read
    assert "not an image or a .jsonl record file" in passed_over.stderr
    assert "bad.jsonl:1: not valid JSON" in passed_over.stderr
