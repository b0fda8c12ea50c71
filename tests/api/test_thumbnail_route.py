"""Thumbnails are served only to their owner: a signed URL from the API, or the owner's token."""

from __future__ import annotations

from pathlib import Path

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, make_user_with_token

QUERY = "{ viewer { sessions(first: 1) { edges { node { thumbnails(first: 1) { url } } } } } }"


async def test_signed_urls_and_tokens_guard_thumbnails(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, fixtures_dir: Path
) -> None:
    source = fixtures_dir / "images" / "ComfyUI" / "sdmetadata__png__comfyui-saveimage-plus.png"
    await import_paths(session_factory, settings, user_handle="ada", paths=[source])
    ada = await make_user_with_token(session_factory, "ada")
    bob = await make_user_with_token(session_factory, "bob")
    body = await client.query(QUERY, ada)
    url = body["data"]["viewer"]["sessions"]["edges"][0]["node"]["thumbnails"][0]["url"]
    http = client.http

    signed = await http.get(url)
    assert signed.status_code == 200
    assert signed.headers["content-type"] == "image/webp"
    assert signed.content[:4] == b"RIFF" and signed.content[8:12] == b"WEBP"

    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert (await http.get(tampered)).status_code == 401
    bare = url.split("?", 1)[0]
    assert (await http.get(bare)).status_code == 401
    assert (await http.get(bare, headers={"Authorization": f"Bearer {ada}"})).status_code == 200
    assert (await http.get(bare, headers={"Authorization": f"Bearer {bob}"})).status_code == 401
    assert (await http.get("/thumbnails/not-a-sha.webp")).status_code == 404
