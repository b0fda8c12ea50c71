"""Thumbnails of hostile files: one exception type (``ThumbnailError``) with a specific reason, never
a stray ``struct.error`` / ``OverflowError``, never a decode of a bomb's pixels, never a wait on a
FIFO; a broken EXIF block costs only the orientation."""

from __future__ import annotations

import os
import pickle
import threading
from pathlib import Path

import pytest
from PIL import Image

from catalog.thumbnails import ThumbnailError, make_thumbnail, render_thumbnail
from tests.hostile_files import (
    bomb_png,
    broken_exif_jpeg,
    broken_exif_png,
    broken_exif_webp,
    huge_ihdr_png,
)


@pytest.mark.parametrize(
    ("name", "build"),
    [("exif.jpg", broken_exif_jpeg), ("exif.png", broken_exif_png), ("exif.webp", broken_exif_webp)],
)
def test_a_broken_exif_block_still_gives_a_thumbnail(tmp_path: Path, name: str, build: object) -> None:
    source = tmp_path / name
    source.write_bytes(build(3))  # type: ignore[operator]

    made = make_thumbnail(source, tmp_path / "thumbs")

    stored = next((tmp_path / "thumbs").rglob("*.webp"))
    assert stored.stem == made.sha256
    with Image.open(stored) as thumbnail:
        assert thumbnail.format == "WEBP" and max(thumbnail.size) <= 256


def test_a_huge_declared_size_is_refused_before_decoding(tmp_path: Path) -> None:
    huge, bomb = tmp_path / "huge.png", tmp_path / "bomb.png"
    huge.write_bytes(huge_ihdr_png())
    bomb.write_bytes(bomb_png(15_000))  # 225 M pixels: over our bound, under twice Pillow's

    with pytest.raises(ThumbnailError, match="decompression bomb"):
        render_thumbnail(huge)
    with pytest.raises(ThumbnailError, match="15000x15000 is over 200000000 pixels"):
        render_thumbnail(bomb)


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "x.png"
    os.mkfifo(fifo)
    caught: list[BaseException] = []

    def run() -> None:
        try:
            render_thumbnail(fifo)
        except BaseException as error:  # handed back to the test
            caught.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=10)

    assert not thread.is_alive(), "rendering a FIFO blocked"
    assert isinstance(caught[0], ThumbnailError) and "not a regular file: FIFO" in str(caught[0])
    assert not caught[0].lasting  # the path may hold the image again later


def test_undecodable_pixel_data_is_a_thumbnail_error(tmp_path: Path) -> None:
    source = tmp_path / "cut.png"
    whole = Image.new("RGB", (64, 64), (10, 200, 30))
    whole.save(source)
    source.write_bytes(source.read_bytes()[:60])  # header intact, pixel data cut

    with pytest.raises(ThumbnailError, match="cannot render a thumbnail") as caught:
        render_thumbnail(source)
    assert caught.value.lasting  # the same bytes fail again: not worth another decode


def test_a_thumbnail_error_keeps_whether_it_lasts_across_processes() -> None:
    for lasting in (True, False):
        copy = pickle.loads(pickle.dumps(ThumbnailError("x.png: broken", lasting=lasting)))
        assert isinstance(copy, ThumbnailError) and str(copy) == "x.png: broken" and copy.lasting is lasting


def test_a_file_that_cannot_be_opened_is_not_a_lasting_failure(tmp_path: Path) -> None:
    with pytest.raises(ThumbnailError, match="cannot open the file") as caught:
        render_thumbnail(tmp_path / "moved.png")
    assert not caught.value.lasting


def test_a_refused_declared_size_is_a_lasting_failure(tmp_path: Path) -> None:
    source = tmp_path / "bomb.png"
    source.write_bytes(bomb_png())
    with pytest.raises(ThumbnailError, match="possible decompression bomb") as caught:
        render_thumbnail(source)
    assert caught.value.lasting


def test_a_corrupt_pixel_stream_is_not_hidden_by_the_exif_guard(tmp_path: Path) -> None:
    """Zeroed bytes inside IDAT: Pillow fails while decoding, which happens when the EXIF orientation
    is applied; that guard must not swallow the decoding error and render garbage."""
    source = tmp_path / "zeroed.png"
    Image.effect_noise((300, 200), 60).convert("RGB").save(source)
    data = bytearray(source.read_bytes())
    start = data.index(b"IDAT") + 4
    data[start : start + 64] = bytes(64)
    source.write_bytes(bytes(data))

    with pytest.raises(ThumbnailError, match="cannot render a thumbnail"):
        render_thumbnail(source)
