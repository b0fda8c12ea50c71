"""The ``extensions.code`` of every GraphQL error the API returns, and which HTTP status goes with it.

*Request errors* stop a request before any resolver runs (the body, the document, the operation
choice or the variables are wrong): HTTP 400 (413 for an oversized body), a body of
``{"errors": [...]}`` without ``data``, and one of :data:`REQUEST_ERROR_CODES`. *Field errors* happen
while resolving (a bad cursor, a missing scope, an unexpected failure): HTTP 200 with ``data`` and
errors that carry a ``path``. Unexpected failures are masked as "Unexpected error." with the code
``INTERNAL_SERVER_ERROR``; every other code means the client can fix the request.
"""

from __future__ import annotations

from typing import Final

BAD_REQUEST: Final = "BAD_REQUEST"
"""The HTTP request itself: body, content type, JSON, field types, nesting, operation name."""
PAYLOAD_TOO_LARGE: Final = "PAYLOAD_TOO_LARGE"
GRAPHQL_PARSE_FAILED: Final = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED: Final = "GRAPHQL_VALIDATION_FAILED"
"""The document is not valid for the schema, exceeds a limit, or names no single operation to run."""
BAD_USER_INPUT: Final = "BAD_USER_INPUT"
"""A value the client sent: variables that do not fit their types, unstorable text, bad cursors."""
UNAUTHENTICATED: Final = "UNAUTHENTICATED"
FORBIDDEN: Final = "FORBIDDEN"
INTERNAL_SERVER_ERROR: Final = "INTERNAL_SERVER_ERROR"
QUERY_TOO_COSTLY: Final = "QUERY_TOO_COSTLY"
"""The operation's estimated cost is above the maximum per request (:mod:`api.graphql.cost_limits`);
a request error like a validation failure: nothing ran."""
RATE_LIMITED: Final = "RATE_LIMITED"
"""The token's cost budget for the window is spent: HTTP 429 with ``Retry-After`` (and
``extensions.retryAfter``, seconds); nothing ran."""

RESPONSE_TOO_LARGE: Final = "RESPONSE_TOO_LARGE"
"""A field error: the prompts and LoRAs this response would carry pass the per-response limit
(:data:`api.context.MAX_RESPONSE_TEXT_CHARS`); ask for fewer images, or ``promptPreview``."""

REQUEST_ERROR_CODES: Final = frozenset(
    {
        BAD_REQUEST,
        PAYLOAD_TOO_LARGE,
        GRAPHQL_PARSE_FAILED,
        GRAPHQL_VALIDATION_FAILED,
        BAD_USER_INPUT,
        QUERY_TOO_COSTLY,
    }
)
CLIENT_ERROR_CODES: Final = REQUEST_ERROR_CODES | {
    UNAUTHENTICATED,
    FORBIDDEN,
    RATE_LIMITED,
    RESPONSE_TOO_LARGE,
}

HTTP_STATUS_CODES: Final = {
    400: BAD_REQUEST,
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: PAYLOAD_TOO_LARGE,
    429: RATE_LIMITED,
}


def code_for_http_status(status_code: int) -> str:
    return HTTP_STATUS_CODES.get(
        status_code, BAD_REQUEST if 400 <= status_code < 500 else INTERNAL_SERVER_ERROR
    )
