"""Which media type a ``/graphql`` response uses, negotiated from the request's ``Accept`` header
(GraphQL over HTTP, "Accept" and "Legacy watershed").

- :data:`GRAPHQL_RESPONSE_JSON` when the client lists it with a quality above 0 and not below that
  of ``application/json``: its status codes follow the GraphQL response (a request error — syntax,
  validation, variable coercion — is a 4xx, and the body has no ``data``).
- ``application/json`` otherwise (listed alone, ``*/*``, ``application/*``, or no ``Accept`` at all):
  a well-formed request is answered with 200 even when the GraphQL layer refuses it, as legacy
  clients expect; requests that are not well-formed GraphQL-over-HTTP (bad JSON, no query) are 4xx
  either way.
"""

from __future__ import annotations

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


def accepts_graphql_response_json(accept: str | None) -> bool:
    """Whether ``accept`` (an ``Accept`` header value, ``None`` when absent) prefers
    :data:`GRAPHQL_RESPONSE_JSON` over ``application/json``; ties go to the newer type."""
    if not accept:
        return False
    qualities = _explicit_qualities(accept)
    wanted = qualities.get(GRAPHQL_RESPONSE_JSON, 0.0)
    return wanted > 0 and wanted >= qualities.get(JSON, 0.0)


def _explicit_qualities(accept: str) -> dict[str, float]:
    """Each media type named exactly in ``accept`` (wildcards skipped) with its ``q`` (1 by default;
    an unreadable ``q`` counts as 0, so a garbled entry never wins)."""
    qualities: dict[str, float] = {}
    for entry in accept.split(","):
        media_type, *parameters = (part.strip() for part in entry.split(";"))
        media_type = media_type.lower()
        if not media_type or "*" in media_type:
            continue
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        qualities[media_type] = max(quality, qualities.get(media_type, 0.0))
    return qualities
