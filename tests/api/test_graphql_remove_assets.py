"""``removeAssets`` through the real app: uploaded images removed (their stored copies deleted), ids of
other users and read-only tokens refused without a change, and an upload of the same bytes taking a
removed image back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from catalog.database import SessionFactory
from catalog.settings import AtelierSettings
from tests.api.conftest import app_http, make_user_with_token
from tests.api.test_graphql_uploads import A1111_JPEG, FORGE_WEBP, gql, images, payload, stored_files, upload

__all__ = ["images"]  # the fixture, imported for these tests

REMOVE = """mutation($ids: [ID!]!) {
  removeAssets(assetIds: $ids) { removedIds notFound sessionsChanged sessionsDeleted }
}"""
NODE = "query($id: ID!) { node(id: $id) { id } }"
GALLERY = "{ viewer { assets(first: 50) { edges { node { id } } } } }"


@pytest.fixture
async def http(settings: AtelierSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_http(settings) as client:
        yield client


async def gallery_ids(http: httpx.AsyncClient, token: str) -> set[str]:
    body = await gql(http, token, GALLERY)
    return {edge["node"]["id"] for edge in body["data"]["viewer"]["assets"]["edges"]}


async def test_removed_uploads_leave_the_library_and_an_upload_of_the_same_bytes_brings_one_back(
    http: httpx.AsyncClient,
    settings: AtelierSettings,
    session_factory: SessionFactory,
    images: dict[str, bytes],
) -> None:
    token = await make_user_with_token(session_factory, "remover")
    files = [("portrait.jpg", images[A1111_JPEG]), ("forge.webp", images[FORGE_WEBP])]
    uploaded = payload(await upload(http, token, files))
    ids = [result["asset"]["id"] for result in uploaded["results"]]
    assert len(set(ids)) == 2 and len(stored_files(settings)) == 2

    body = await gql(http, token, REMOVE, ids=[ids[0], ids[0], "Asset:not-a-uuid"])

    assert "errors" not in body, body
    result = body["data"]["removeAssets"]
    assert result["removedIds"] == [ids[0]]
    assert result["notFound"] == ["Asset:not-a-uuid"]
    assert (await gql(http, token, NODE, id=ids[0]))["data"]["node"] is None
    assert await gallery_ids(http, token) == {ids[1]}
    assert [path.name for path in stored_files(settings)] == ["forge.webp"]  # the uploaded copy is gone

    again = await gql(http, token, REMOVE, ids=[ids[0]])  # a retried request changes nothing
    assert again["data"]["removeAssets"]["removedIds"] == [] and again["data"]["removeAssets"][
        "notFound"
    ] == [ids[0]]

    back = payload(await upload(http, token, files[:1]))

    assert back["results"][0]["outcome"] == "IMPORTED"
    assert len(await gallery_ids(http, token)) == 2


async def test_other_users_ids_and_read_only_tokens_remove_nothing(
    http: httpx.AsyncClient,
    settings: AtelierSettings,
    session_factory: SessionFactory,
    images: dict[str, bytes],
) -> None:
    owner = await make_user_with_token(session_factory, "owner")
    stranger = await make_user_with_token(session_factory, "stranger")
    reader = await make_user_with_token(session_factory, "owner", scopes=["library:read"])
    uploaded = payload(await upload(http, owner, [("forge.webp", images[FORGE_WEBP])]))
    asset_id = uploaded["results"][0]["asset"]["id"]

    by_stranger = await gql(http, stranger, REMOVE, ids=[asset_id])
    by_reader = await gql(http, reader, REMOVE, ids=[asset_id])
    empty = await gql(http, owner, REMOVE, ids=[])

    assert by_stranger["data"]["removeAssets"] == {
        "removedIds": [],
        "notFound": [asset_id],
        "sessionsChanged": 0,
        "sessionsDeleted": 0,
    }
    assert by_reader["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert empty["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await gallery_ids(http, owner) == {asset_id}
    assert len(stored_files(settings)) == 1
