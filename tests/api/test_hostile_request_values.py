"""Hostile values inside well-formed requests: each is the client's error (a coded GraphQL error or a
4xx), never ``INTERNAL_SERVER_ERROR`` or a 500.

- **Instants UTC cannot hold.** ``9999-12-31T23:59:59-23:59`` is a valid ISO 8601 time with a zone,
  but in UTC it is in the year 10000 (and ``0001-01-01T00:00:00+23:59`` in the year 0): the database
  driver converts every zoned time to UTC and fails. Such a time in a gallery filter or inside a
  forged cursor of any connection is ``BAD_USER_INPUT``.
- **Multipart ``map`` paths** whose list index is not a plain decimal number Python can read (a
  superscript ``²``, which ``str.isdigit`` accepts and ``int`` refuses; 5,000 digits, beyond ``int``'s
  limit) are a 400 ``BAD_REQUEST`` naming the path.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, make_user_with_token
from tests.hostile_files import image_bytes

BEYOND_UTC = ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59")
"""Zoned instants before year 1 or after year 9999 once in UTC."""
NIL = "00000000-0000-0000-0000-000000000000"


def _cursor(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps([1, *values]).encode()).decode().rstrip("=")


async def _post(http: httpx.AsyncClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    return await GraphQLClient(http).query(query, token, **variables)


def _refused(body: dict[str, Any], *, expect: str) -> None:
    errors = body.get("errors") or []
    assert errors, body
    assert {error["extensions"]["code"] for error in errors} == {"BAD_USER_INPUT"}, body
    assert expect in errors[0]["message"], body


async def _library(factory: SessionFactory, settings: AtelierSettings, tmp_path: Path) -> tuple[str, str]:
    """ada's token and the id of one of her sessions."""
    start = datetime(2026, 3, 1, 19, tzinfo=UTC)
    records = [
        {"id": f"r{index}", "tool": "comfyui", "created_at": (start + timedelta(minutes=index)).isoformat()}
        for index in range(3)
    ]
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in records))
    await import_paths(factory, settings, user_handle="ada", paths=[path])
    token = await make_user_with_token(factory, "ada")
    return token, ""


async def test_a_filter_time_beyond_utc_years_is_bad_input(
    lenient_http: httpx.AsyncClient,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
) -> None:
    token, _ = await _library(session_factory, settings, tmp_path)
    query = "query($f: AssetFilter) { viewer { assets(first: 5, filter: $f) { edges { cursor } } } }"
    for moment in BEYOND_UTC:
        for name in ("from", "to"):
            body = await _post(lenient_http, token, query, f={name: moment})
            _refused(body, expect=f"`filter.{name}`")
            assert "UTC" in body["errors"][0]["message"]
    # the last representable instants still work
    body = await _post(
        lenient_http, token, query, f={"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T23:59:59Z"}
    )
    assert len(body["data"]["viewer"]["assets"]["edges"]) == 3


async def test_a_cursor_time_beyond_utc_years_is_an_invalid_cursor_in_every_connection(
    lenient_http: httpx.AsyncClient,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
) -> None:
    token, _ = await _library(session_factory, settings, tmp_path)
    listed = await _post(lenient_http, token, "{ viewer { sessions(first: 1) { edges { node { id } } } } }")
    session_id = listed["data"]["viewer"]["sessions"]["edges"][0]["node"]["id"]
    connections: dict[str, tuple[str, Any]] = {
        "sessions": (
            "{ viewer { sessions(first: 2, after: $a) { edges { cursor } } } }",
            lambda t: _cursor("session", t, NIL),
        ),
        "lanes": (
            "{ viewer { lanes(first: 2, after: $a) { edges { cursor } } } }",
            lambda t: _cursor("lane", t, NIL),
        ),
        "gallery dated": (
            "{ viewer { assets(first: 2, after: $a) { edges { cursor } } } }",
            lambda t: _cursor("gallery", 0, t, 0, "n.png", NIL),
        ),
        "gallery undated": (
            "{ viewer { assets(first: 2, after: $a) { edges { cursor } } } }",
            lambda t: _cursor("gallery", 1, t, NIL),
        ),
        "session cards": (
            "{ viewer { sessionGroups(periods: [EARLIER]) { sessions(first: 2, after: $a) "
            "{ edges { cursor } } } } }",
            lambda t: _cursor("session-card", "EARLIER", t, NIL),
        ),
        "api tokens": (
            "{ viewer { apiTokens(first: 2, after: $a) { edges { cursor } } } }",
            lambda t: _cursor("api-token", t, NIL),
        ),
        "reflections": (
            "{ viewer { reflections(first: 2, after: $a) { edges { cursor } } } }",
            lambda t: _cursor("reflection", t, NIL),
        ),
        "corrections": (
            "{ viewer { corrections(first: 2, after: $a) { edges { cursor } } } }",
            lambda t: _cursor("correction", t, NIL),
        ),
    }
    session_assets = (
        "{ session(id: $s) { assets(first: 2, after: $a) { edges { cursor } } } }",
        lambda t: _cursor("asset", t, 0, "n.png", NIL),
    )
    for moment in BEYOND_UTC:
        for name, (selection, cursor) in connections.items():
            body = await _post(lenient_http, token, "query($a: String) " + selection, a=cursor(moment))
            assert "INTERNAL_SERVER_ERROR" not in json.dumps(body), (name, moment, body)
            _refused(body, expect="invalid cursor")
        selection, cursor = session_assets
        body = await _post(
            lenient_http, token, "query($s: ID!, $a: String) " + selection, s=session_id, a=cursor(moment)
        )
        _refused(body, expect="invalid cursor")


async def test_a_multipart_map_index_python_cannot_read_is_a_bad_request(
    lenient_http: httpx.AsyncClient, session_factory: SessionFactory, settings: AtelierSettings
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    query = "mutation($files: [Upload!]!) { uploadAssets(files: $files) { importedCount } }"
    operations = json.dumps({"query": query, "variables": {"files": [None]}})
    for index in ("\u00b2", "\u0661", "9" * 5000, "-0", " 0"):
        path = f"variables.files.{index}"
        response = await lenient_http.post(
            "/graphql",
            headers={"Authorization": f"Bearer {token}"},
            data={"operations": operations, "map": json.dumps({"0": [path]})},
            files=[("0", ("a.png", image_bytes("PNG"), "image/png"))],
        )
        assert response.status_code == 400, (index[:10], response.status_code, response.text[:300])
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_REQUEST"
        assert "does not fit `operations`" in error["message"]
    assert not any(settings.uploads_dir.rglob("*.png")) if settings.uploads_dir.exists() else True


async def test_a_number_of_thousands_of_digits_is_refused_in_words_a_client_can_use(
    lenient_http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    """Python refuses to convert an integer of more than 4,300 digits; its message told the client to
    call ``sys.set_int_max_str_digits()``."""
    token = await make_user_with_token(session_factory, "ada")
    body = (
        b'{"query": "query($f: Int!) { viewer { sessions(first: $f) { totalCount } } }", "variables": {"f": '
    )
    response = await lenient_http.post(
        "/graphql",
        content=body + b"9" * 5000 + b"}}",
        headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["message"] == (
        "Unable to parse the request as JSON: a number has 5000 digits (at most 4300 are read)."
    )
