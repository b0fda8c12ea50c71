"""GraphQL responses are the JSON ``json.dumps`` wrote before, non-ASCII text as UTF-8 (msgspec)."""

from __future__ import annotations

import json

from api.graphql.json_encoding import encode_response_json

RESPONSE = {
    "data": {"viewer": {"sessions": {"edges": [{"node": {"label": 'café ☕ \u2028 "q" \\ </script>'}}]}}},
    "errors": [{"message": "x", "path": ["viewer", 0], "extensions": {"code": "FORBIDDEN"}}],
    "extensions": {"cost": {"requested": 4106, "ratio": 0.1, "big": 2**70, "none": None, "ok": True}},
}


def test_same_json_as_json_dumps_with_utf8_text() -> None:
    encoded = encode_response_json(RESPONSE)
    assert isinstance(encoded, str)  # a WebSocket text frame, not a binary one
    assert encoded == json.dumps(RESPONSE, separators=(",", ":"), ensure_ascii=False)
    assert json.loads(encoded) == RESPONSE


def test_what_msgspec_refuses_is_encoded_as_before() -> None:
    class Odd(dict[object, object]):
        pass

    data = {"data": Odd({1: "one"})}  # a non-string key: json.dumps writes "1"
    assert encode_response_json(data) == json.dumps(data, separators=(",", ":"))
