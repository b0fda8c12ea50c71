"""``atelier inspect`` over the real fixtures: one line per image, errors inline, nothing aborts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from api.inspect_command import inspect_paths, plain_summary, print_summary
from tests.hostile_files import comfyui_png, image_bytes

ATELIER = Path(sys.executable).with_name("atelier")


def test_inspect_json_lines_cover_every_image_and_report_bad_files(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    sample = fixtures_dir / "images" / "AUTOMATIC1111" / "receyuki__00199-806698555.png"
    result = subprocess.run(
        [str(ATELIER), "inspect", str(fixtures_dir / "images"), str(broken), str(sample), "--json"],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"DATABASE_URL": "postgresql://nowhere.invalid/none"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    documents = [json.loads(line) for line in result.stdout.splitlines()]
    images = [
        p
        for p in (fixtures_dir / "images").rglob("*")
        if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".webp"}
    ]
    assert len(documents) == len(images) + 2
    by_path = {document["path"]: document for document in documents}
    assert "error" in by_path[str(broken)] and by_path[str(broken)]["error"]
    a1111 = by_path[str(sample)]
    assert (a1111["tool"], a1111["seed"], a1111["width"], a1111["height"]) == ("a1111", 806698555, 512, 512)
    # hires fix: generated at 512, saved at 2x
    assert (a1111["pixel_width"], a1111["pixel_height"]) == (1024, 1024)
    assert a1111["image_format"] == "png" and len(a1111["content_sha256"]) == 64
    ok = [document for document in documents if "error" not in document]
    assert len(ok) == len(images) + 1  # every fixture reads without error (the sample is listed twice)


BRACKETED_PROMPT = "a [/b] fox, [red]ember[/red], [from:to:0.5], [[weaker]], (masterpiece:1.2)"


def _bracketed_image(folder: Path) -> Path:
    folder.mkdir(parents=True)
    path = folder / "fox [v6].png"
    path.write_bytes(
        image_bytes(text=f"{BRACKETED_PROMPT}\nSteps: 20, Sampler: Euler a, Seed: 7, Size: 48x32")
    )
    return path


def test_a_card_shows_brackets_in_prompts_and_paths_as_text(tmp_path: Path) -> None:
    path = _bracketed_image(tmp_path / "renders [2024]")
    (document,) = inspect_paths([path])
    assert document["prompt"] == BRACKETED_PROMPT

    console = Console(record=True, force_terminal=True, width=200)
    print_summary(document, console)  # raised MarkupError on "[/b]" before
    shown = console.export_text()
    assert BRACKETED_PROMPT in shown and str(path) in shown

    plain = plain_summary(document)
    assert plain.startswith(f"{path}\n") and f"  prompt               {BRACKETED_PROMPT}\n" in plain


def test_inspect_into_a_pipe_prints_plain_cards(tmp_path: Path) -> None:
    path = _bracketed_image(tmp_path / "renders [2024]")
    result = subprocess.run(
        [str(ATELIER), "inspect", str(path.parent)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(path)
    assert BRACKETED_PROMPT in result.stdout and "│" not in result.stdout


def test_a_file_name_that_is_not_utf8_is_written_back_as_its_bytes(tmp_path: Path) -> None:
    folder = tmp_path / "names"
    folder.mkdir()
    raw_path = os.path.join(os.fsencode(folder), b"fox \xff.png")
    with open(raw_path, "wb") as handle:
        handle.write(image_bytes(text="a fox\nSteps: 20, Sampler: Euler a, Seed: 7, Size: 48x32"))
    for json_flag in (["--json"], []):
        result = subprocess.run(
            [str(ATELIER), "inspect", str(folder), *json_flag], capture_output=True, check=False, timeout=120
        )
        assert result.returncode == 0, result.stderr
        assert raw_path in result.stdout


def test_a_lone_surrogate_escape_in_a_files_json_does_not_stop_the_output(tmp_path: Path) -> None:
    """A ComfyUI graph whose prompt holds ``\\ud800`` (valid JSON, no character) made inspect fail
    with UnicodeEncodeError in every output; the escape is now printed, and JSON reads it back."""
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "ComfyUI_00001_.png").write_bytes(comfyui_png("moon \\ud800 fox"))

    for flags, terminal in ((["--json"], {}), ([], {}), ([], {"TTY_COMPATIBLE": "1"})):
        result = subprocess.run(
            [str(ATELIER), "inspect", str(folder), *flags],
            capture_output=True,
            check=False,
            env=os.environ | terminal,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr.decode(errors="replace")[-1500:]
        assert b"moon \\ud800 fox" in result.stdout
        if flags:
            assert json.loads(result.stdout)["prompt"] == "moon \ud800 fox"
