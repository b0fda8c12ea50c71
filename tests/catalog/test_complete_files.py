"""``looks_complete`` on real image files of every format the import reads, whole and cut short."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from catalog.importing.complete_files import looks_complete
from tests.avif_files import a1111_avif

FORMATS = ["PNG", "JPEG", "WEBP"]


def _image_bytes(image_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((96, 96), 64).convert("RGB").save(buffer, format=image_format)
    return buffer.getvalue()


def _written(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("image_format", FORMATS)
def test_a_whole_file_looks_complete_and_any_cut_of_it_does_not(tmp_path: Path, image_format: str) -> None:
    data = _image_bytes(image_format)
    assert looks_complete(_written(tmp_path, "whole", data))
    for cut in (len(data) // 10, len(data) // 2, len(data) - 3):
        assert not looks_complete(_written(tmp_path, f"cut{cut}", data[:cut])), cut


def test_an_avif_file_cut_short_does_not_look_complete(tmp_path: Path) -> None:
    data = a1111_avif()
    assert looks_complete(_written(tmp_path, "whole.avif", data))
    assert not looks_complete(_written(tmp_path, "cut.avif", data[: len(data) * 2 // 3]))


def test_every_fixture_image_looks_complete_and_cut_to_40_percent_does_not(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    """Files written by real tools (ComfyUI, A1111, Forge, NovelAI, InvokeAI … with their metadata
    chunks and EXIF)."""
    images = [
        path
        for path in sorted((fixtures_dir / "images").rglob("*"))
        if path.suffix.lower() in {".png", ".jpg", ".jpeg", ".webp", ".avif"}
    ]
    assert len(images) > 50
    for path in images:
        data = path.read_bytes()
        assert looks_complete(path), path.name
        assert not looks_complete(_written(tmp_path, path.name, data[: len(data) * 2 // 5])), path.name


def test_trailing_bytes_after_the_end_and_unknown_formats_count_as_whole(tmp_path: Path) -> None:
    png = _image_bytes("PNG")
    assert looks_complete(_written(tmp_path, "trailing.png", png + b"\x00" * 200))
    assert looks_complete(_written(tmp_path, "text.png", b"not an image at all"))
    assert looks_complete(_written(tmp_path, "empty.png", b""))
    assert looks_complete(tmp_path / "missing.png")  # unreadable: the import reports it


def test_a_fifo_is_never_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    assert looks_complete(fifo)  # returns at once: the import then reports what it is
