"""Thumbnail storage behind one interface: a local folder, or an S3-compatible bucket (moto's server
on loopback); the import writes through whichever the settings name."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.models import Asset
from catalog.settings import AtelierSettings
from catalog.storage import thumbnail_store
from catalog.storage.local import LocalThumbnailStore
from catalog.storage.s3 import S3ThumbnailStore
from catalog.storage.thumbnail_store import InvalidAddress
from tests.s3_loopback import S3Loopback, s3_loopback

WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 fake bytes for the store"
SHA = hashlib.sha256(WEBP).hexdigest()


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Loopback]:
    with s3_loopback() as server:
        yield server


def test_the_local_folder_is_atelier_thumbnail_dir_or_under_the_home(tmp_path: Path) -> None:
    default = thumbnail_store(AtelierSettings(home=tmp_path / "home"))
    chosen = thumbnail_store(AtelierSettings(home=tmp_path / "home", thumbnail_dir=tmp_path / "shared"))
    assert isinstance(default, LocalThumbnailStore) and default.root == tmp_path / "home" / "thumbnails"
    assert isinstance(chosen, LocalThumbnailStore) and chosen.root == tmp_path / "shared"


def test_local_store_round_trip(tmp_path: Path) -> None:
    store = LocalThumbnailStore(tmp_path)
    assert store.read(SHA) is None and not store.exists(SHA)
    store.put(SHA, WEBP)
    store.put(SHA, WEBP)  # idempotent
    assert store.read(SHA) == WEBP and store.exists(SHA)
    assert store.local_path(SHA) == tmp_path / SHA[:2] / f"{SHA}.webp"
    assert store.presigned_url(SHA) is None
    assert not list(tmp_path.rglob("*.part"))  # no temporary file left behind
    with pytest.raises(InvalidAddress):
        store.read("../../etc/passwd")
    store.delete(SHA)
    store.delete(SHA)  # nothing there: no error
    assert store.read(SHA) is None and not store.exists(SHA)


def test_s3_store_round_trip(s3: S3Loopback, tmp_path: Path) -> None:
    store = thumbnail_store(AtelierSettings(home=tmp_path, **s3.settings_update()))  # type: ignore[arg-type]
    assert isinstance(store, S3ThumbnailStore)
    assert store.read(SHA) is None and not store.exists(SHA)
    store.put(SHA, WEBP)
    store.put(SHA, WEBP)
    assert store.read(SHA) == WEBP and store.exists(SHA)
    assert store.local_path(SHA) is None
    listed = s3.client().list_objects_v2(Bucket=s3.bucket)  # type: ignore[attr-defined]
    assert [item["Key"] for item in listed["Contents"]] == [f"thumbs/{SHA}.webp"]
    url = store.presigned_url(SHA)
    assert url is not None and url.startswith(s3.endpoint_url) and "Signature" in url
    assert not (tmp_path / "thumbnails").exists()  # nothing written locally
    store.delete(SHA)
    store.delete(SHA)
    assert store.read(SHA) is None and not store.exists(SHA)


async def test_the_import_stores_thumbnails_in_the_bucket(
    s3: S3Loopback,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    fixtures_dir: Path,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    for source in sorted((fixtures_dir / "images" / "ComfyUI").glob("*.png"))[:3]:
        shutil.copy(source, folder / source.name)
    in_s3 = settings.model_copy(update=s3.settings_update())

    report = await import_paths(session_factory, in_s3, user_handle="ada", paths=[folder])

    assert report.thumbnails_made == 3
    async with session_factory() as db:
        shas = list(await db.scalars(select(Asset.thumbnail_sha256)))
    store = thumbnail_store(in_s3)
    assert all(sha is not None and (store.read(sha) or b"")[:4] == b"RIFF" for sha in shas)
    assert not in_s3.thumbnails_dir.exists()
