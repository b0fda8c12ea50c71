"""Hostile PNGs and thumbnails: a valid picture gets its thumbnail whatever its metadata holds, and
why a thumbnail cannot be made is said in words a client can use.

- A PNG cut right after its header (the metadata imports, Pillow cannot identify the rest) was
  reported as ``cannot identify image file <_io.BufferedReader name=21>``: a file descriptor number
  in an upload's ``reason``.
- Text chunks inflating past Pillow's limits made the picture itself unrenderable, for good.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from catalog.thumbnails import ThumbnailError, render_thumbnail
from tests.hostile_files import image_bytes, png_chunk


@pytest.mark.parametrize("cut", [33, 40, 45, 60])
def test_a_png_cut_short_names_no_file_object(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "cut.png"
    path.write_bytes(image_bytes("PNG")[:cut])
    with pytest.raises(ThumbnailError) as raised:
        render_thumbnail(path)
    reason = raised.value.reason
    assert "<_io" not in reason and "name=" not in reason, reason
    assert reason.startswith("cannot render a thumbnail ("), reason
    assert raised.value.lasting  # the same bytes fail again: not retried


def test_an_image_pillow_cannot_identify_is_said_in_words(tmp_path: Path) -> None:
    path = tmp_path / "header-only.png"
    path.write_bytes(image_bytes("PNG")[:33])  # signature and IHDR, nothing after
    with pytest.raises(ThumbnailError) as raised:
        render_thumbnail(path)
    assert raised.value.reason == (
        "cannot render a thumbnail (UnidentifiedImageError: Pillow cannot identify the image "
        "(its data is cut short or unknown))"
    )


def _with_chunks(png: bytes, before_pixels: list[bytes], after_pixels: list[bytes]) -> bytes:
    """``png`` (one IDAT, as Pillow writes small images) with chunks put after IHDR and before IEND."""
    iend = png.rindex(b"IEND") - 4
    return png[:33] + b"".join(before_pixels) + png[33:iend] + b"".join(after_pixels) + png[iend:]


def test_huge_compressed_text_chunks_cost_no_thumbnail(tmp_path: Path) -> None:
    """A zTXt (or compressed iTXt) chunk inflating past Pillow's 1 MB text limit made Pillow refuse the
    whole file (``Decompressed data too large``), a lasting failure: a valid picture never got a
    thumbnail because of its metadata. Text chunks are the readers' business (bounded there); the
    thumbnail decodes the pixels without them."""
    plain = image_bytes("PNG", size=(64, 40), seed=7)
    bomb = zlib.compress(b"a" * 50_000_000, 9)  # ~50 KB that inflates to 50 MB
    hostile = _with_chunks(
        plain,
        [png_chunk(b"zTXt", b"parameters\0\0" + bomb), png_chunk(b"tEXt", b"prompt\0a fox")],
        [png_chunk(b"iTXt", b"workflow\0\1\0\0\0" + bomb)],
    )
    (tmp_path / "plain.png").write_bytes(plain)
    (tmp_path / "hostile.png").write_bytes(hostile)

    expected = render_thumbnail(tmp_path / "plain.png")
    webp, descriptor = render_thumbnail(tmp_path / "hostile.png")

    assert webp == expected[0]
    assert (descriptor == expected[1]).all()


def test_a_png_whose_chunks_run_past_its_end_still_fails_as_the_file_it_is(tmp_path: Path) -> None:
    """Skipping text chunks never hides a broken file: a chunk cut by the end of the file is passed
    to Pillow as it is, which refuses it."""
    plain = image_bytes("PNG", size=(64, 40), seed=8)
    cut = _with_chunks(plain, [png_chunk(b"tEXt", b"k\0v")], [])[:-30]
    (tmp_path / "cut.png").write_bytes(cut)
    with pytest.raises(ThumbnailError):
        render_thumbnail(tmp_path / "cut.png")


def test_a_colour_profile_that_inflates_past_pillows_limit_costs_no_thumbnail(tmp_path: Path) -> None:
    """An iCCP chunk inflating past Pillow's 1 MB limit made Pillow refuse the whole picture
    (``Decompressed data too large``). The thumbnail uses no colour profile (Pillow applies none when
    decoding and the WEBP carries none), so it is decoded without it: the same thumbnail as without."""
    plain = image_bytes("PNG", size=(64, 40), seed=9)
    profile = png_chunk(b"iCCP", b"bomb\0\0" + zlib.compress(b"\0" * 8_000_000, 9))  # ~8 KB -> 8 MB
    (tmp_path / "plain.png").write_bytes(plain)
    (tmp_path / "profiled.png").write_bytes(_with_chunks(plain, [profile], []))

    webp, descriptor = render_thumbnail(tmp_path / "profiled.png")

    expected = render_thumbnail(tmp_path / "plain.png")
    assert webp == expected[0]
    assert (descriptor == expected[1]).all()
