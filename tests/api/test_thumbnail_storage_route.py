"""The thumbnail route serves from the configured store: a presigned redirect to the S3-compatible
server (which then answers the browser itself), or the bytes streamed through the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from tests.api.conftest import app_http, make_user_with_token
from tests.s3_loopback import S3Loopback, s3_loopback

QUERY = "{ viewer { sessions(first: 1) { edges { node { thumbnails(first: 1) { url } } } } } }"


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Loopback]:
    with s3_loopback() as server:
        yield server


async def _thumbnail_url(http: httpx.AsyncClient, token: str) -> str:
    response = await http.post(
        "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
    )
    url: str = response.json()["data"]["viewer"]["sessions"]["edges"][0]["node"]["thumbnails"][0]["url"]
    return url


@pytest.mark.parametrize("redirect", [True, False], ids=["presigned-redirect", "through-the-api"])
async def test_thumbnails_in_s3_are_served(
    redirect: bool,
    s3: S3Loopback,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    fixtures_dir: Path,
) -> None:
    in_s3 = settings.model_copy(update=s3.settings_update(s3_presigned_redirect=redirect))
    source = fixtures_dir / "images" / "ComfyUI" / "sdmetadata__png__comfyui-saveimage-plus.png"
    await import_paths(session_factory, in_s3, user_handle="ada", paths=[source])
    token = await make_user_with_token(session_factory, "ada")

    async with app_http(in_s3) as http:
        url = await _thumbnail_url(http, token)
        answer = await http.get(url)
        if redirect:
            assert answer.status_code == 307
            location = answer.headers["location"]
            assert location.startswith(s3.endpoint_url)
            async with httpx.AsyncClient() as browser:
                fetched = await browser.get(location)
            assert fetched.status_code == 200 and fetched.content[:4] == b"RIFF"
        else:
            assert answer.status_code == 200
            assert answer.headers["content-type"] == "image/webp" and answer.content[:4] == b"RIFF"
        assert (await http.get(url.split("?", 1)[0])).status_code == 401  # still guarded
        missing = "/thumbnails/" + "0" * 64 + ".webp"
        assert (await http.get(missing, headers={"Authorization": f"Bearer {token}"})).status_code in (
            401,
            404,
        )
