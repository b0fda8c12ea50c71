"""Stored file paths: any path Python reads from the file system comes back byte for byte."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from catalog.stored_paths import opened_path, stored_path


@pytest.mark.parametrize(
    "raw",
    [b"/art/fox.png", "/art/café 狐.png".encode(), b"/art/caf\xe9.png", b"/art/\xff\xfe/x\x80.png"],
)
def test_a_path_comes_back_as_the_same_bytes(raw: bytes) -> None:
    path = os.fsdecode(raw)
    stored = stored_path(path)
    stored.text.encode()  # always storable as PostgreSQL text
    assert os.fsencode(opened_path(*stored)) == raw


def test_only_a_path_that_is_not_utf8_keeps_its_bytes() -> None:
    assert stored_path("/art/café.png") == ("/art/café.png", None)
    assert stored_path(os.fsdecode(b"/art/caf\xe9.png")) == ("/art/caf\ufffd.png", b"/art/caf\xe9.png")
    assert opened_path("/art/caf\ufffd.png", None) == Path("/art/caf\ufffd.png")  # a real U+FFFD name
