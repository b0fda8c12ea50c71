"""``atelier inspect`` over the real fixtures: one line per image, errors inline, nothing aborts."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from rich.console import Console

from api.inspect_command import inspect_paths, plain_summary, print_summary
from tests.api.conftest import modules_imported_by
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
    assert result.returncode == 3, result.stderr  # the broken file, as `atelier analyze` says it
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


def test_a_card_shows_brackets_in_prompts_and_paths_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a relative path: the card's layout must not depend on where tmp_path is
    path = _bracketed_image(Path("renders [2024]"))
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


def _gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), (90, 120, 160)).save(buffer, "GIF")
    return buffer.getvalue()


def test_a_named_file_inspect_does_not_read_gets_a_result_of_its_own(tmp_path: Path) -> None:
    """A GIF or HEIC named on the command line printed nothing at all (exit 0), so a user could not
    tell it from an image without metadata; it now gets a ``path`` + ``error`` result like a corrupt
    file, in every output, and the exit code stays 0 as for a corrupt file (``analyze`` lists the same
    files as skipped without failing). Such files inside a named folder are still not listed."""
    gif = tmp_path / "00417-1808436925.gif"
    gif.write_bytes(_gif_bytes())
    heic = tmp_path / "00418-1808436926.heic"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")  # an ISOBMFF HEIF header
    log = tmp_path / "records.jsonl"
    log.write_text('{"id": "a", "tool": "comfyui"}\n')
    good = _bracketed_image(tmp_path / "folder")
    (good.parent / "inside.gif").write_bytes(_gif_bytes())
    named = [str(gif), str(heic), str(log), str(good.parent)]

    result = subprocess.run(
        [str(ATELIER), "inspect", "--json", *named], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    by_path = {document["path"]: document for document in map(json.loads, result.stdout.splitlines())}
    assert set(by_path) == {str(gif), str(heic), str(log), str(good)}
    assert by_path[str(gif)] == {
        "path": str(gif),
        "error": "not read: .gif files are not supported "
        "(inspect reads .png, .jpg, .jpeg, .jpe, .webp and .avif images)",
    }
    assert by_path[str(heic)]["error"].startswith("not read: .heic files are not supported")
    assert by_path[str(log)]["error"] == "not read: a record log, not an image (atelier analyze reads it)"
    assert by_path[str(good)]["prompt"] == BRACKETED_PROMPT

    plain = subprocess.run(
        [str(ATELIER), "inspect", *named], capture_output=True, text=True, check=False, timeout=120
    )
    assert plain.returncode == 0, plain.stderr
    assert f"{gif}\n  error                not read: .gif files are not supported" in plain.stdout
    assert f"{heic}\n  error                not read: .heic files are not supported" in plain.stdout
    assert "inside.gif" not in plain.stdout

    console = Console(record=True, force_terminal=True, width=200)
    for document in inspect_paths([gif]):
        print_summary(document, console)
    card = console.export_text()
    assert str(gif) in card and "not read: .gif files are not supported" in card


def _naive_exif_jpeg(path: Path) -> Path:
    """A JPEG whose EXIF DateTimeOriginal 2025:06:12 21:07:45 has no offset (a phone, a Windows edit)."""
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2025:06:12 21:07:45"
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), (10, 20, 30)).save(buffer, "JPEG", exif=exif.tobytes())
    path.write_bytes(buffer.getvalue())
    return path


def _inspect_created_at(path: Path, environment: dict[str, str], *flags: str) -> str:
    result = subprocess.run(
        [str(ATELIER), "inspect", "--json", *flags, str(path)],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    created_at: str = json.loads(result.stdout)["created_at"]
    return created_at


def test_atelier_timezone_is_the_default_of_inspect_timezone(tmp_path: Path) -> None:
    """README: ATELIER_TIMEZONE is the IANA zone for naive tool times; inspect read them as UTC."""
    image = _naive_exif_jpeg(tmp_path / "photo.jpg")
    without = {key: value for key, value in os.environ.items() if key != "ATELIER_TIMEZONE"}
    tokyo = without | {"ATELIER_TIMEZONE": "Asia/Tokyo"}
    assert _inspect_created_at(image, without) == "2025-06-12T21:07:45+00:00"
    assert _inspect_created_at(image, tokyo) == "2025-06-12T21:07:45+09:00"
    assert _inspect_created_at(image, tokyo, "--timezone", "Europe/Paris") == "2025-06-12T21:07:45+02:00"

    help_text = subprocess.run(
        [str(ATELIER), "inspect", "--help"], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert "ATELIER_TIMEZONE" in help_text

    results = [
        subprocess.run(
            [str(ATELIER), "inspect", *flags, str(image)],
            capture_output=True,
            text=True,
            check=False,
            env=environment,
            timeout=120,
        )
        for environment, flags in (
            (without | {"ATELIER_TIMEZONE": "Mars/Olympus"}, []),
            (without, ["--timezone", "Mars/Olympus"]),
        )
    ]
    for result in results:
        assert result.returncode == 2 and not result.stdout
        message = " ".join(result.stderr.replace("│", " ").split())  # unboxed, unwrapped
        assert "Invalid value for '--timezone'" in message
        assert "unknown time zone 'Mars/Olympus': give an IANA name such as 'Europe/Paris'" in message
        assert "Traceback" not in result.stderr


def test_inspect_loads_no_database_stack_or_ml_library(tmp_path: Path) -> None:
    """``inspect`` reads files only: SQLAlchemy and the models (~0.4 s of start-up) stay unloaded."""
    image = tmp_path / "one.png"
    image.write_bytes(comfyui_png("a lighthouse at dusk"))
    imported, stdout = modules_imported_by("inspect", str(image), "--json")
    assert "engine.metadata.comfyui" in imported  # the report is real: the readers were imported
    heavy = ("sqlalchemy", "alembic", "asyncpg", "pgvector", "torch", "sklearn", "strawberry")
    assert not {name for name in imported if name.split(".")[0] in heavy}
    assert json.loads(stdout)["tool"] == "comfyui"


def test_a_missing_path_is_listed_and_exits_3_after_the_files_that_were_read(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    """It exited 0, as if everything had been read (a README tour probe); `atelier analyze` says 3."""
    sample = fixtures_dir / "images" / "AUTOMATIC1111" / "receyuki__00199-806698555.png"
    missing = tmp_path / "image.png"
    result = subprocess.run(
        [str(ATELIER), "inspect", "--json", str(missing), str(sample)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 3, result.stderr
    first, second = map(json.loads, result.stdout.splitlines())
    assert first == {"path": str(missing), "error": "no such file or folder"}
    assert second["path"] == str(sample) and second["tool"] == "a1111"
    whole = subprocess.run(
        [str(ATELIER), "inspect", str(sample)], capture_output=True, text=True, check=False, timeout=120
    )
    assert whole.returncode == 0, whole.stderr
