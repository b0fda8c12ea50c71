"""How the GraphQL errors a response carries are logged: client mistakes at INFO, failures at ERROR.

Strawberry logs every error of a result through ``Schema.process_errors`` (logger
``strawberry.execution``), at ERROR with the traceback, before extensions see the errors (masking
comes after, so the original error is what gets logged). An API refuses requests every minute for
ordinary reasons — no token, a missing scope, a bad cursor, a query too costly, a spent budget —
and none of that is the server failing, so :class:`LoggingSchema` logs those at INFO, one line with
the error's code (``code=FORBIDDEN path=viewer.sessions: This token lacks ...``), without a
traceback. Everything else (what masking turns into "Unexpected error.") stays at ERROR with its
traceback, exactly as strawberry logs it.

Which errors are the client's (:func:`is_client_error`), at the moment ``process_errors`` runs:

- an error that already carries a code (permission classes, :class:`InvalidArgument`, the cost
  limits' refusals, :mod:`api.graphql.request_checks`' own rules): client when the code is one of
  :data:`api.graphql.error_codes.CLIENT_ERROR_CODES`;
- an error without an original exception: parse and validation errors (graphql-core reports them
  without one; :mod:`api.graphql.request_checks` codes them only later, on the way out);
- an error without a ``path`` caused by a ``GraphQLError``: variables that do not fit their types
  (graphql-core wraps the coercion error); any exception of our own code carries a path (resolvers)
  or is not a ``GraphQLError`` (an extension that crashed).
"""

from __future__ import annotations

from typing import Final

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from api.graphql import error_codes
from api.graphql.pagination import InvalidArgument

LOGGER: Final = StrawberryLogger.logger
"""``strawberry.execution``: the logger strawberry itself uses, so existing log routing still applies."""


def is_client_error(error: GraphQLError) -> bool:
    """Whether ``error`` is the client's mistake (see the module docstring), not a server failure."""
    code = (error.extensions or {}).get("code")
    if code is not None:
        return code in error_codes.CLIENT_ERROR_CODES
    original = error.original_error
    if original is None or isinstance(original, InvalidArgument | PermissionError):
        return True
    return error.path is None and isinstance(original, GraphQLError)


def client_error_code(error: GraphQLError) -> str:
    """The code the client will see; request errors are coded after logging, so name their kind."""
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    if isinstance(error, GraphQLSyntaxError):
        return error_codes.GRAPHQL_PARSE_FAILED
    if isinstance(error.original_error, PermissionError):
        return error_codes.FORBIDDEN
    if error.original_error is None:
        return error_codes.GRAPHQL_VALIDATION_FAILED
    return error_codes.BAD_USER_INPUT  # variables that do not fit their types


def log_error(error: GraphQLError, execution_context: ExecutionContext | None = None) -> None:
    if not is_client_error(error):
        StrawberryLogger.error(error, execution_context)
        return
    path = ".".join(str(part) for part in error.path) if error.path else "-"
    LOGGER.info("client error code=%s path=%s: %s", client_error_code(error), path, error.message)


class LoggingSchema(strawberry.Schema):
    """``strawberry.Schema`` whose errors are logged by :func:`log_error` (strawberry's documented
    hook: override ``process_errors``). It only logs; it changes no error the client gets."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            log_error(error, execution_context)
