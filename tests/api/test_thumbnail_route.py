"""Thumbnails are served only to their owner: a signed URL from the API, or the owner's token."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from urllib.parse import parse_qsl

import httpx

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


async def _ada_thumbnail(
    session_factory: SessionFactory, settings: AtelierSettings, fixtures_dir: Path, client: GraphQLClient
) -> tuple[str, str]:
    """A signed URL of one of ada's thumbnails and ada's full token."""
    source = fixtures_dir / "images" / "ComfyUI" / "sdmetadata__png__comfyui-saveimage-plus.png"
    await import_paths(session_factory, settings, user_handle="ada", paths=[source])
    ada = await make_user_with_token(session_factory, "ada")
    body = await client.query(QUERY, ada)
    url: str = body["data"]["viewer"]["sessions"]["edges"][0]["node"]["thumbnails"][0]["url"]
    return url, ada


async def test_garbage_signed_urls_are_client_errors_never_500(
    client: GraphQLClient,
    lenient_http: httpx.AsyncClient,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    fixtures_dir: Path,
) -> None:
    url, _ = await _ada_thumbnail(session_factory, settings, fixtures_dir, client)
    path, query = url.split("?", 1)
    params = dict(parse_qsl(query))
    unauthorised = [
        {**params, "s": "é"},
        {**params, "s": "\x00" * 32},
        {**params, "s": "ü" * 32},
        {**params, "s": ""},
        {**params, "s": "0" * 10_000},
        {**params, "e": "1"},  # long expired
        {**params, "u": str(uuid.uuid4())},  # signed for someone else
    ]
    malformed = [
        {**params, "u": "not-a-uuid"},
        {**params, "u": "é"},
        {**params, "e": "soon"},
        {**params, "e": "9" * 5000},
        {**params, "e": "-5"},
        {**params, "e": "١٢٣"},  # digits, but not ASCII ones
    ]
    for query_params in unauthorised:
        response = await lenient_http.get(path, params=query_params)
        assert response.status_code == 401, (query_params, response.text)
        assert "authentication required" in response.json()["error"]
    for query_params in malformed:
        response = await lenient_http.get(path, params=query_params)
        assert response.status_code == 400, (query_params, response.text)
        assert "malformed signed thumbnail URL" in response.json()["error"]
    raw = await lenient_http.get(f"{path}?u={params['u']}&e={params['e']}&s=%C3%A9")
    assert raw.status_code == 401
    for signature in ("%FF%FE", "%ED%A0%80", "%00"):  # invalid UTF-8, an encoded surrogate, NUL
        response = await lenient_http.get(f"{path}?u={params['u']}&e={params['e']}&s={signature}")
        assert response.status_code == 401, signature
    assert (await lenient_http.get(url)).status_code == 200


async def test_thumbnails_need_the_library_read_scope(
    client: GraphQLClient,
    lenient_http: httpx.AsyncClient,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    fixtures_dir: Path,
) -> None:
    url, _ = await _ada_thumbnail(session_factory, settings, fixtures_dir, client)
    bare = url.split("?", 1)[0]
    credits_only = await make_user_with_token(session_factory, "ada", scopes=["credits:read"])
    write_only = await make_user_with_token(session_factory, "ada", scopes=["library:write"])
    read_only = await make_user_with_token(session_factory, "ada", scopes=["library:read"])

    for token in (credits_only, write_only):
        response = await lenient_http.get(bare, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403, response.text
        assert "library:read" in response.json()["error"]
    assert (await lenient_http.get(bare, headers={"Authorization": f"Bearer {read_only}"})).status_code == 200

    # nor can a token without the scope get a signed URL: not from a query, not from a mutation's result
    sessions = await client.query("{ viewer { sessions(first: 1) { edges { node { id } } } } }", read_only)
    session_id = sessions["data"]["viewer"]["sessions"]["edges"][0]["node"]["id"]
    relabel = """mutation($id: ID!) { relabelSession(sessionId: $id, label: "evening") {
      ... on CorrectionApplied { sessions { thumbnails(first: 1) { url } } } } }"""
    body = await client.query(relabel, write_only, id=session_id)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "library:read" in body["errors"][0]["message"]
    assert "/thumbnails/" not in json.dumps(body)
    asset_urls = (
        """query($id: ID!) { session(id: $id) { assets(first: 1) { edges { node { thumbnailUrl } } } } }"""
    )
    body = await client.query(asset_urls, credits_only, id=session_id)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "/thumbnails/" not in json.dumps(body)
    body = await client.query(asset_urls, read_only, id=session_id)
    signed = body["data"]["session"]["assets"]["edges"][0]["node"]["thumbnailUrl"]
    assert (await lenient_http.get(signed)).status_code == 200

    # the resolvers' own scope check refuses exactly as a field guarded by `requires_scope` (lineage,
    # children) does: same message, code and class of error, at the field's own path
    fields = {
        "lineage": "lineage(first: 1) { pageInfo { hasNextPage } }",
        "thumbnails": "thumbnails(first: 1) { url }",
        "thumbnailUrl": "assets(first: 1) { edges { node { thumbnailUrl } } }",
        "children": "assets(first: 1) { edges { node { children { kind } } } }",
    }
    refusals: list[dict[str, object]] = []
    relabelled = """mutation($id: ID!) { relabelSession(sessionId: $id, label: "night") {
      ... on CorrectionApplied { sessions { SELECTION } } } }"""
    for name, selection in fields.items():
        body = await client.query(
            relabelled.replace("SELECTION", selection),
            write_only,
            id=session_id,
        )
        [error] = body["errors"]
        assert error["path"][-1] == name, error
        refusals.append({key: value for key, value in error.items() if key not in {"path", "locations"}})
    assert refusals[0] == {
        "message": "This token lacks the `library:read` scope.",
        "extensions": {"code": "FORBIDDEN"},
    }
    assert all(refusal == refusals[0] for refusal in refusals), refusals
