"""Session inputs of a reflection: representative images come from the configured thumbnail store."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.settings import AtelierSettings
from catalog.storage import thumbnail_store
from reflection.session_inputs import read_representative_images
from tests.s3_loopback import S3Loopback, s3_loopback

WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 fake bytes for the store"
SHA = hashlib.sha256(WEBP).hexdigest()


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Loopback]:
    with s3_loopback() as server:
        yield server


def test_the_curator_reads_its_representative_images_from_the_bucket(s3: S3Loopback, tmp_path: Path) -> None:
    store = thumbnail_store(AtelierSettings(home=tmp_path, **s3.settings_update()))  # type: ignore[arg-type]
    store.put(SHA, WEBP)
    missing = hashlib.sha256(b"never stored").hexdigest()

    images = read_representative_images(store, ["a", "b", "c"], {"a": SHA, "b": missing})

    assert [(image.asset_id, image.data) for image in images] == [("a", WEBP)]
    assert not (tmp_path / "thumbnails").exists()  # nothing read from or written to a local folder
