"""``Asset.thumbnailError``: a gallery can tell an image whose file cannot be rendered from one whose
thumbnail is still to come."""

from __future__ import annotations

from pathlib import Path

from catalog.database import SessionFactory
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, make_user_with_token
from tests.hostile_files import bomb_png, image_bytes

GALLERY = "{ viewer { assets(first: 10) { edges { node { fileName thumbnailUrl thumbnailError } } } } }"


async def test_the_gallery_says_why_an_image_has_no_thumbnail(
    session_factory: SessionFactory, settings: AtelierSettings, client: GraphQLClient, tmp_path: Path
) -> None:
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "good.png").write_bytes(image_bytes(seed=1))
    (folder / "bomb.png").write_bytes(bomb_png())
    await import_paths(session_factory, settings, user_handle="ada", paths=[folder])
    (folder / "later.png").write_bytes(image_bytes(seed=2))
    await import_paths(
        session_factory, settings, user_handle="ada", paths=[folder], thumbnails=ThumbnailMode.SKIP
    )
    token = await make_user_with_token(session_factory, "ada")

    body = await client.query(GALLERY, token)

    assert "errors" not in body, body
    nodes = {edge["node"]["fileName"]: edge["node"] for edge in body["data"]["viewer"]["assets"]["edges"]}
    assert nodes["good.png"]["thumbnailUrl"] and nodes["good.png"]["thumbnailError"] is None
    assert nodes["bomb.png"]["thumbnailUrl"] is None
    assert "possible decompression bomb" in nodes["bomb.png"]["thumbnailError"]
    assert nodes["later.png"]["thumbnailUrl"] is None and nodes["later.png"]["thumbnailError"] is None
