"""Reading never blocks on, or reads from, something that is not a regular file; an impossible PNG
header is refused by the reader, before any later step can trip over its numbers."""

from __future__ import annotations

import os
import socket
import struct
import threading
import zlib
from pathlib import Path

import pytest

from engine.metadata import UnreadableImage, read_image
from engine.regular_files import NotARegularFile, open_regular_file


def _read_in_thread(path: Path) -> BaseException | None:
    """``read_image(path)``'s exception, or ``None``; fails the test if the read does not return."""
    caught: list[BaseException] = []

    def run() -> None:
        try:
            read_image(path)
        except BaseException as error:  # handed back to the test
            caught.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive(), f"reading {path} blocked"
    return caught[0] if caught else None


def test_a_fifo_named_png_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "x.png"
    os.mkfifo(fifo)

    error = _read_in_thread(fifo)

    assert isinstance(error, UnreadableImage)
    assert error.reason == "not a regular file: FIFO"


def test_a_socket_is_refused_as_a_socket(tmp_path: Path) -> None:
    path = tmp_path / "s.png"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        error = _read_in_thread(path)
    assert isinstance(error, UnreadableImage)
    assert error.reason == "not a regular file: socket"


def test_open_regular_file_refuses_a_folder_and_reads_a_file(tmp_path: Path) -> None:
    with pytest.raises(NotARegularFile, match="directory"):
        open_regular_file(tmp_path)
    (tmp_path / "a.bin").write_bytes(b"abc")
    with open_regular_file(tmp_path / "a.bin") as handle:
        assert handle.read() == b"abc"


def _png_with_size(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


def test_a_png_header_beyond_the_formats_limit_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(_png_with_size(0xFFFFFFFF, 0xFFFFFFFF))

    with pytest.raises(UnreadableImage, match="impossible size 4294967295x4294967295"):
        read_image(path)


def test_the_largest_legal_png_size_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    path.write_bytes(_png_with_size(2**31 - 1, 1))

    result = read_image(path)

    assert (result.pixel_width, result.pixel_height) == (2**31 - 1, 1)
