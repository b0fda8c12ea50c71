"""Hostile requests: whatever a client sends, the answer is never a 5xx and never another user's data.

One test sends a mix of malformed bodies, headers, cursors, ids, other users' ids and huge strings
to the real app and checks every answer: below 500, a GraphQL JSON body (a refusal with a coded
error and no ``data``), and nothing of the other user's in it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from tests.api.conftest import make_user_with_token

SESSIONS = "query($a: String) { viewer { sessions(first: 3, after: $a) { edges { node { id label } } } } }"
FIRST_IDS = (
    "{ viewer { sessions(first: 1) { edges { node { id assets(first: 1) { edges { node { id } } } } } } } }"
)
ASSETS = (
    "query($id: ID!, $a: String) { session(id: $id) { assets(first: 2, after: $a) { edges { cursor } } } }"
)


@dataclass
class Probe:
    """One request: ``method`` on ``path`` with a raw ``body`` or JSON ``document``."""

    name: str
    method: str = "POST"
    path: str = "/graphql"
    body: bytes | None = None
    document: object = None
    headers: dict[str, str | bytes] = field(default_factory=dict)
    params: dict[str, str] | None = None


def _json(query: str, **variables: object) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _probes(ada: str, bob_session: str, bob_asset: str, ada_session: str) -> Iterator[Probe]:
    auth = {"Authorization": f"Bearer {ada}", "content-type": "application/json"}
    plain = {"content-type": "application/json"}
    for body in (b"null", b'"x"', b"[]", b"[1, 2]", b"0", b"-1e999", b"{", b"}", b"\x00", b"\xff\xfe\xfd"):
        yield Probe(f"body {body[:10]!r}", body=body, headers=auth)
    yield Probe(
        "nested arrays", body=b'{"query": "{ __typename }", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    )
    yield Probe(
        "nested objects",
        body=b'{"query": "{ __typename }", "v": ' + b'{"a":' * 3_000 + b"1" + b"}" * 3_000 + b"}",
    )
    yield Probe(
        "batch of 1,000", body=json.dumps([{"query": "{ __typename }"}] * 1000).encode(), headers=plain
    )
    yield Probe("query is an object", body=b'{"query": {"a": 1}}', headers=plain)
    yield Probe(
        "variables are a string", body=b'{"query": "{ __typename }", "variables": "x"}', headers=plain
    )
    yield Probe("extensions are a list", body=b'{"query": "{ __typename }", "extensions": []}', headers=plain)
    yield Probe("huge query string", body=_json("{ " + "__typename " * 200_000 + "}"), headers=auth)
    yield Probe("huge single token", body=_json("{ " + "a" * 900_000 + " }"), headers=auth)
    yield Probe("unterminated string", body=_json('{ session(id: "abc) { id } }'), headers=auth)
    yield Probe(
        "subscription over POST",
        body=_json('subscription { reflectionUpdated(id: "x") { id } }'),
        headers=auth,
    )
    yield Probe(
        "mutation over GET",
        method="GET",
        params={"query": 'mutation { splitSession(sessionId: "a", atAssetId: "b") { __typename } }'},
    )
    yield Probe("GET bad variables", method="GET", params={"query": "{ __typename }", "variables": "{nope"})
    yield Probe("GET variables null", method="GET", params={"query": "{ __typename }", "variables": "null"})
    yield Probe("PUT", method="PUT", body=b"{}")
    yield Probe("no content type", body=b'{"query": "{ __typename }"}')
    yield Probe(
        "multipart", body=b"--x\r\n\r\n--x--", headers={"content-type": "multipart/form-data; boundary=x"}
    )
    yield Probe(
        "charset latin-1",
        body='{"query": "{ __typename }"}'.encode("latin-1"),
        headers={"content-type": "application/json; charset=latin-1"},
    )
    for header in (
        "Bearer",
        "Bearer ",
        "Basic YWRhOmFkYQ==",
        "Bearer atl_",
        "Bearer atl_0000000000_",
        "bearer " + "A" * 100_000,
    ):
        yield Probe(
            f"authorization {header[:20]!r}",
            body=_json("{ viewer { handle } }"),
            headers=plain | {"Authorization": header},
        )
    for raw in (
        b"Bearer atl_\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9_secret",
        b"Bearer \xff\xfe",
        b"Bearer " + ada[:-2].encode() + b"\xc3\xa9",
    ):
        yield Probe(
            f"authorization bytes {raw[:16]!r}",
            body=_json("{ viewer { handle } }"),
            headers=plain | {"Authorization": raw},
        )
    yield Probe(
        "content-length lies", body=b'{"query": "{ __typename }"}', headers=plain | {"content-length": "5"}
    )
    for after in (
        "",
        "x",
        "é",
        "\x00",
        "A" * 100_000,
        _cursor([1, "session", "9999-12-31T23:59:59+00:00", "0" * 32]),
        _cursor([1, "session", "0001-01-01T00:00:00-23:59", "00000000-0000-0000-0000-000000000000"]),
        _cursor([1, "session", "2026-01-01T00:00:00+25:00", "00000000-0000-0000-0000-000000000000"]),
    ):
        yield Probe(f"sessions cursor {after[:12]!r}", body=_json(SESSIONS, a=after), headers=auth)
    for after in (
        _cursor([1, "asset", "2026-03-01T19:00:00+00:00", 2**63, "n", bob_asset]),
        _cursor([1, "asset", "2026-03-01T19:00:00+00:00", 0, "x" * 3000, bob_asset]),
    ):
        yield Probe("assets cursor", body=_json(ASSETS, id=ada_session, a=after), headers=auth)
    for session_id in (
        bob_session,
        bob_session.lower(),
        bob_session + " ",
        "Session:" + "f" * 10_000,
        "Session:{" + "0" * 32 + "}",
    ):
        yield Probe(
            f"other user's session {session_id[:20]!r}", body=_json(ASSETS, id=session_id), headers=auth
        )
    yield Probe(
        "merge another user's session",
        body=_json(
            "mutation($ids: [ID!]!) { mergeSessions(sessionIds: $ids) { __typename } }",
            ids=[ada_session, bob_session],
        ),
        headers=auth,
    )
    yield Probe(
        "move another user's asset",
        body=_json(
            "mutation($a: [ID!]!, $s: ID!) { moveAssets(assetIds: $a, toSessionId: $s) { __typename } }",
            a=[bob_asset],
            s=ada_session,
        ),
        headers=auth,
    )
    yield Probe(
        "relabel another user's session",
        body=_json(
            'mutation($s: ID!) { relabelSession(sessionId: $s, label: "mine") { __typename } }', s=bob_session
        ),
        headers=auth,
    )
    yield Probe(
        "huge label",
        body=_json(
            "mutation($s: ID!, $l: String) { relabelSession(sessionId: $s, label: $l) { __typename } }",
            s=ada_session,
            l="L" * 500_000,
        ),
        headers=auth,
    )
    yield Probe(
        "huge idempotency key",
        body=_json(
            "mutation($k: String!) { confirmReflection("
            'quoteId: "ReflectionQuote:x", idempotencyKey: $k) { __typename } }',
            k="k" * 500_000,
        ),
        headers=auth,
    )
    yield Probe(
        "first out of int range",
        body=_json("{ viewer { sessions(first: 99999999999) { totalCount } } }"),
        headers=auth,
    )
    yield Probe(
        "1,000 thumbnails fields",
        body=_json(
            "{ viewer { sessions(first: 100) { edges { node { "
            + " ".join(f"t{i}: thumbnails(first: 9) {{ url }}" for i in range(1000))
            + " } } } } }"
        ),
        headers=auth,
    )
    for query in (
        "?u=x&e=y&s=z",
        "?u=&e=&s=",
        "?s=%C3%A9&u=00000000-0000-0000-0000-000000000000&e=99999999999",
        "?e=" + "9" * 100 + "&u=00000000-0000-0000-0000-000000000000&s=a",
    ):
        yield Probe(
            f"thumbnail {query[:20]!r}", method="GET", path="/thumbnails/" + "a" * 64 + ".webp" + query
        )
    yield Probe("thumbnail path traversal", method="GET", path="/thumbnails/..%2F..%2Fsecret.key.webp")


async def test_no_hostile_request_gets_a_5xx_or_another_users_data(
    lenient_http: httpx.AsyncClient,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
) -> None:
    start = datetime(2026, 3, 1, 19, tzinfo=UTC)
    for handle, prompt in (("ada", "ada's koi"), ("bob", "bob's secret lighthouse")):
        records = [
            {
                "id": f"{handle}{i}",
                "tool": "comfyui",
                "created_at": (start + timedelta(minutes=i)).isoformat(),
                "prompt": prompt,
                "file_name": f"{handle}_{i}.png",
            }
            for i in range(4)
        ]
        path = tmp_path / f"{handle}.jsonl"
        path.write_text("\n".join(json.dumps(record) for record in records))
        await import_paths(session_factory, settings, user_handle=handle, paths=[path])
    ada = await make_user_with_token(session_factory, "ada")
    bob = await make_user_with_token(session_factory, "bob")

    async def first_ids(token: str) -> tuple[str, str]:
        query = FIRST_IDS
        response = await lenient_http.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
        node = response.json()["data"]["viewer"]["sessions"]["edges"][0]["node"]
        return node["id"], node["assets"]["edges"][0]["node"]["id"]

    ada_session, _ = await first_ids(ada)
    bob_session, bob_asset = await first_ids(bob)
    bob_uuid = bob_asset.split(":", 1)[1]

    answered: list[tuple[str, int]] = []
    for probe in _probes(ada, bob_session, bob_asset, ada_session):
        response = await lenient_http.request(
            probe.method, probe.path, content=probe.body, headers=probe.headers, params=probe.params
        )
        answered.append((probe.name, response.status_code))
        assert response.status_code < 500, (probe.name, response.status_code, response.text[:500])
        assert "lighthouse" not in response.text, probe.name  # bob's prompt
        if probe.body is None or bob_uuid not in probe.body.decode("utf-8", "replace"):
            assert bob_uuid not in response.text, probe.name
        if probe.path == "/graphql" and response.status_code != 405:
            assert response.headers["content-type"].startswith("application/json"), probe.name
            body = response.json()
            assert body.get("errors") or "data" in body, probe.name
            if response.status_code >= 400:
                assert "data" not in body and body["errors"][0]["extensions"]["code"], probe.name
    assert len(answered) >= 50
    # bob's library is untouched by everything ada sent
    response = await lenient_http.post(
        "/graphql",
        json={"query": "{ viewer { sessions(first: 5) { edges { node { id label assetCount } } } } }"},
        headers={"Authorization": f"Bearer {bob}"},
    )
    (session,) = response.json()["data"]["viewer"]["sessions"]["edges"]
    assert session["node"]["id"] == bob_session and session["node"]["assetCount"] == 4
    assert session["node"]["label"] != "mine"
