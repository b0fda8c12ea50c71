"""Negotiating the ``/graphql`` response media type from ``Accept`` (GraphQL over HTTP; issue 9, item 12)."""

from __future__ import annotations

import pytest

from api.graphql.media_type import accepts_graphql_response_json


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, False),
        ("", False),
        ("*/*", False),
        ("application/*", False),
        ("application/json", False),
        ("text/html", False),
        ("application/graphql-response+json", True),
        ("Application/GraphQL-Response+JSON", True),
        ("application/graphql-response+json, application/json;q=0.9", True),
        ("application/json, application/graphql-response+json", True),  # a tie goes to the newer type
        ("application/json, application/graphql-response+json;q=0.5", False),
        ("application/graphql-response+json;q=0", False),
        ("application/graphql-response+json;q=lots", False),
        ("application/graphql-response+json; charset=utf-8, */*;q=0.1", True),
    ],
)
def test_graphql_response_json_is_chosen_only_when_the_client_prefers_it(
    accept: str | None, expected: bool
) -> None:
    assert accepts_graphql_response_json(accept) is expected
