"""Malformed GraphQL requests get a 4xx with a GraphQL error body and a code, never a 5xx.

Issue 10, items 7 (bodies, nesting, limits) and 10 (several operations without operationName).
GraphQL request errors (syntax, validation, variables, operation choice) are 400s for a client that
accepts ``application/graphql-response+json`` (``graphql_response_http``); an ``application/json``
client gets 200 for them, as GraphQL over HTTP says (issue 9, item 12), and no ``data`` either way.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.graphql.http_guard import MAX_BODY_BYTES, MAX_JSON_DEPTH
from api.graphql.media_type import GRAPHQL_RESPONSE_JSON
from catalog.database import SessionFactory
from tests.api.conftest import make_user_with_token

JSON = {"content-type": "application/json"}


@pytest.fixture
def graphql_response_http(lenient_http: httpx.AsyncClient) -> httpx.AsyncClient:
    """The app over HTTP as a client that accepts ``application/graphql-response+json``."""
    lenient_http.headers["accept"] = GRAPHQL_RESPONSE_JSON
    return lenient_http


def _error(response: httpx.Response, status_code: int, code: str) -> dict[str, Any]:
    """The single error of a refused request, after checking the status, the shape and the code."""
    assert response.status_code == status_code, response.text
    content_type = response.headers["content-type"]
    expected = (
        GRAPHQL_RESPONSE_JSON
        if response.request.headers.get("accept") == GRAPHQL_RESPONSE_JSON
        else "application/json"
    )
    assert content_type.startswith(expected), content_type
    body = response.json()
    assert "data" not in body, body  # the operation never ran
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code, error
    assert error["message"]
    message: dict[str, Any] = error
    return message


@pytest.mark.parametrize(
    ("body", "content_type", "message_part"),
    [
        (b"null", "application/json", "not null"),
        (b'"x"', "application/json", "not a string"),
        (b"1", "application/json", "not a number"),
        (b"true", "application/json", "not a boolean"),
        (b"[]", "application/json", "Batching"),
        (b"{", "application/json", "Unable to parse"),
        (b"", "application/json", "Unable to parse"),
        (b'{"query": "{ __typename }", "variables": NaN}', "application/json", "Unable to parse"),
        (b'{"query": "\xff\xfe"}', "application/json", "Unable to parse"),
        (b'{"query": 1' + b"0" * 5000 + b"}", "application/json", "Unable to parse"),
        (b'{"query": "{ __typename }"}', "text/plain", "Unsupported content type"),
        (b'{"query": "{ __typename }"}', "application/x-www-form-urlencoded", "Unsupported content type"),
        (b"{}", "application/json", "No GraphQL query"),
        (b'{"query": 5}', "application/json", "`query` must be a string"),
        (
            b'{"query": "{ __typename }", "variables": []}',
            "application/json",
            "`variables` must be an object",
        ),
        (b'{"query": "{ __typename }", "operationName": 5}', "application/json", "`operationName`"),
        (b'{"query": "{ __typename }", "operationName": {}}', "application/json", "`operationName`"),
    ],
)
async def test_malformed_bodies_get_400_with_a_graphql_error(
    lenient_http: httpx.AsyncClient, body: bytes, content_type: str, message_part: str
) -> None:
    response = await lenient_http.post("/graphql", content=body, headers={"content-type": content_type})
    assert message_part in _error(response, 400, "BAD_REQUEST")["message"]


async def test_variables_nested_100000_deep_are_refused_clearly(
    graphql_response_http: httpx.AsyncClient,
) -> None:
    depth = 100_000
    body = (
        '{"query": "query($v: ID!) { session(id: $v) { id } }", "variables": {"v": '
        + "[" * depth
        + "]" * depth
        + "}}"
    )
    response = await graphql_response_http.post("/graphql", content=body.encode(), headers=JSON)
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in _error(response, 400, "BAD_REQUEST")["message"]

    # just inside the limit is parsed (and then refused by GraphQL for not being a String, as a 400 too)
    inner = MAX_JSON_DEPTH - 3  # body, variables and the list itself
    body = (
        '{"query": "query($v: ID!) { session(id: $v) { id } }", "variables": {"v": '
        + "[" * inner
        + "]" * inner
        + "}}"
    )
    response = await graphql_response_http.post("/graphql", content=body.encode(), headers=JSON)
    assert "$v" in _error(response, 400, "BAD_USER_INPUT")["message"]


async def test_deeply_nested_variables_in_a_get_are_refused_too(lenient_http: httpx.AsyncClient) -> None:
    variables = '{"v": ' + "[" * 5000 + "]" * 5000 + "}"
    response = await lenient_http.get(
        "/graphql", params={"query": "query($v: ID!) { session(id: $v) { id } }", "variables": variables}
    )
    assert "nested deeper" in _error(response, 400, "BAD_REQUEST")["message"]


async def test_a_deeply_nested_document_is_a_400_parse_error(
    graphql_response_http: httpx.AsyncClient,
) -> None:
    for depth in (300, 5_000, 100_000):
        query = "{" + "viewer {" * depth + " handle" + "}" * depth + "}"
        response = await graphql_response_http.post("/graphql", json={"query": query})
        error = _error(response, 400, "GRAPHQL_PARSE_FAILED")
        assert error["message"].startswith("Syntax Error")


async def test_documents_over_the_limits_are_400s(graphql_response_http: httpx.AsyncClient) -> None:
    aliases = "{ " + " ".join(f"a{index}: __typename" for index in range(31)) + " }"
    for query in ("{ nope }", aliases):
        response = await graphql_response_http.post("/graphql", json={"query": query})
        _error(response, 400, "GRAPHQL_VALIDATION_FAILED")
    # 13 levels: over the depth limit of 12 (its rule is made once for the schema; asked twice, the
    # second time refused all the same)
    too_deep = (
        "{ viewer { sessions { edges { node { assets { edges { node { "
        + "children { child { " * 3
        + "id"
        + " } }" * 3
        + " } } } } } } } }"
    )
    for _ in range(2):
        response = await graphql_response_http.post("/graphql", json={"query": too_deep})
        assert (
            "exceeds maximum operation depth of 12"
            in _error(response, 400, "GRAPHQL_VALIDATION_FAILED")["message"]
        )
    tokens = "{ " + "__typename " * 4001 + "}"
    response = await graphql_response_http.post("/graphql", json={"query": tokens})
    assert "tokens" in _error(response, 400, "GRAPHQL_PARSE_FAILED")["message"]
    # a document within the limits is not refused as a request (it fails on authentication instead)
    nested = (
        "{ viewer { sessions { edges { node { assets { edges { node { parent { parentId } } } } } } } } }"
    )
    response = await graphql_response_http.post("/graphql", json={"query": nested})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_variables_of_the_wrong_type_are_a_400_bad_user_input(
    graphql_response_http: httpx.AsyncClient,
) -> None:
    query = "query($first: Int!) { viewer { sessions(first: $first) { totalCount } } }"
    for value in ("ten", 2**40, None, [1]):
        response = await graphql_response_http.post(
            "/graphql", json={"query": query, "variables": {"first": value}}
        )
        assert "$first" in _error(response, 400, "BAD_USER_INPUT")["message"]


async def test_oversized_bodies_are_refused_before_being_read_whole(lenient_http: httpx.AsyncClient) -> None:
    padding = "x" * (MAX_BODY_BYTES + 1)
    declared = await lenient_http.post(
        "/graphql", json={"query": "{ __typename }", "variables": {"p": padding}}
    )
    _error(declared, 413, "PAYLOAD_TOO_LARGE")

    async def chunks() -> Any:  # no Content-Length: counted while it arrives
        for _ in range(3):
            yield b" " * (MAX_BODY_BYTES // 2)
        yield b'{"query": "{ __typename }"}'

    streamed = await lenient_http.post("/graphql", content=chunks(), headers=JSON)
    _error(streamed, 413, "PAYLOAD_TOO_LARGE")

    bogus = await lenient_http.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers=JSON | {"content-length": "lots"}
    )
    assert bogus.status_code == 400


async def test_two_operations_without_operation_name_are_an_error(
    graphql_response_http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    auth = {"Authorization": f"Bearer {token}"}
    document = "query Handle { viewer { handle } } query Zone { viewer { timezone } }"

    response = await graphql_response_http.post("/graphql", json={"query": document}, headers=auth)
    message = _error(response, 400, "BAD_REQUEST")["message"]
    assert "2 operations (Handle, Zone)" in message and "operationName" in message

    response = await graphql_response_http.post(
        "/graphql", json={"query": document, "operationName": "Nope"}, headers=auth
    )
    assert 'Unknown operation named "Nope"' in _error(response, 400, "BAD_REQUEST")["message"]

    for name, expected in (("Handle", {"handle": "ada"}), ("Zone", {"timezone": "UTC"})):
        response = await graphql_response_http.post(
            "/graphql", json={"query": document, "operationName": name}, headers=auth
        )
        assert response.status_code == 200
        assert response.json()["data"] == {"viewer": expected} and "errors" not in response.json()

    # over GET as well, and with an anonymous operation among them
    response = await graphql_response_http.get(
        "/graphql", params={"query": "{ __typename } query Other { __typename }"}, headers=auth
    )
    assert response.status_code == 400
    assert {error["extensions"]["code"] for error in response.json()["errors"]} <= {
        "BAD_REQUEST",
        "GRAPHQL_VALIDATION_FAILED",
    }


async def test_execution_errors_keep_status_200_and_data(
    lenient_http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    response = await lenient_http.post(
        "/graphql",
        json={"query": "{ viewer { handle sessions(first: 0) { totalCount } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    body = response.json()
    assert "data" in body  # null: the error propagated up through non-null fields, but the operation ran
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["path"] == ["viewer", "sessions"]


@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/json", f"application/json, {GRAPHQL_RESPONSE_JSON};q=0.5"]
)
async def test_request_errors_are_200_without_data_for_application_json_clients(
    lenient_http: httpx.AsyncClient, accept: str | None
) -> None:
    headers = JSON | ({"accept": accept} if accept else {})
    cases = [
        ({"query": "{ nope }"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": "{"}, "GRAPHQL_PARSE_FAILED"),
        (
            {
                "query": "query($n: Int!) { viewer { sessions(first: $n) { totalCount } } }",
                "variables": {"n": "ten"},
            },
            "BAD_USER_INPUT",
        ),
        # operation choice: several operations without a name, and a name the document does not hold
        ({"query": "query A { __typename } query B { __typename }"}, "BAD_REQUEST"),
        ({"query": "query A { __typename }", "operationName": "Z"}, "BAD_REQUEST"),
    ]
    for request, code in cases:
        response = await lenient_http.post("/graphql", json=request, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert "data" not in body, body
        assert {error["extensions"]["code"] for error in body["errors"]} == {code}, body
    # a body that is not a GraphQL-over-HTTP request at all stays a 400 for these clients too
    response = await lenient_http.post("/graphql", content=b"{", headers=headers)
    _error(response, 400, "BAD_REQUEST")


async def test_graphql_response_json_clients_get_that_media_type(
    graphql_response_http: httpx.AsyncClient,
) -> None:
    response = await graphql_response_http.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
    assert response.json()["data"] == {"__typename": "Query"} and "errors" not in response.json()
    refused = await graphql_response_http.post("/graphql", content=b"null", headers=JSON)
    _error(refused, 400, "BAD_REQUEST")
