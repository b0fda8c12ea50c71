"""The GraphQL schema: queries, limits and error masking.

Limits: query depth ≤ 12, ≤ 30 aliases, ≤ 4,000 tokens per document (the parser stops at the
4,001st, so a deeply nested document is a parse error, not a recursion); pages take ``first`` 1–100;
an estimated cost per request and a cost budget per token and minute (:mod:`api.graphql.cost_limits`);
the HTTP body and its JSON nesting are bounded in :mod:`api.graphql.http_guard`.
Errors: expected client mistakes (:class:`InvalidArgument`, permission failures, request errors; all
with a code from :mod:`api.graphql.error_codes`) are shown; anything else is masked as
"Unexpected error." (code ``INTERNAL_SERVER_ERROR``) unless ``debug`` is on.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.types import Info

from api.context import RequestContext
from api.graphql import error_codes
from api.graphql.basic_field_executor import BasicFieldExecutor
from api.graphql.cost_limits import CostLimits
from api.graphql.error_logging import LoggingSchema
from api.graphql.mutations import Mutation
from api.graphql.node import NODES_MAX, resolve_nodes, viewer_of
from api.graphql.node_interface import Node
from api.graphql.pagination import InvalidArgument, decode_id
from api.graphql.permissions import LIBRARY_READ, IsAuthenticated, requires_scope
from api.graphql.purchases import CreditPack, credit_packs_field
from api.graphql.reflections import Reflection, reflection_by_id, reflection_updates
from api.graphql.request_checks import RequestChecks
from api.graphql.types import Session, Viewer
from api.graphql.validation_memo import ParsedDocuments, ValidDocuments
from api.observability.request_observation import GraphQLOperationObserver
from catalog.sessions import queries


@strawberry.type(description="Reads: send `Authorization: Bearer <token>`; fields that need a scope name it")
class Query:
    @strawberry.field(
        permission_classes=[IsAuthenticated], description="The artist the token belongs to (any valid token)"
    )
    def viewer(self, info: Info[RequestContext, None]) -> Viewer:
        return viewer_of(info)

    @strawberry.field(
        extensions=requires_scope(LIBRARY_READ),
        description=(
            "Any of the viewer's objects by its global id (Session, Asset, Phase, Reflection, ApiToken, "
            "User); null when it does not exist, is not theirs, or the id is malformed; scope `library:read`"
        ),
    )
    async def node(
        self,
        info: Info[RequestContext, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="Opaque global id (`<Type>:<uuid>`)")],
    ) -> Node | None:
        return (await resolve_nodes(info, [id]))[0]

    @strawberry.field(
        extensions=requires_scope(LIBRARY_READ),
        description=(
            f"The viewer's objects by global id, in the order asked (at most {NODES_MAX}); null for each id "
            "that does not exist, is not theirs, or is malformed; scope `library:read`"
        ),
    )
    async def nodes(
        self,
        info: Info[RequestContext, None],
        ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description=f"Opaque global ids (`<Type>:<uuid>`), at most {NODES_MAX}"),
        ],
    ) -> list[Node | None]:
        return await resolve_nodes(info, ids)

    @strawberry.field(
        extensions=requires_scope(LIBRARY_READ),
        description=(
            "One of the viewer's sessions; null when it does not exist or is not theirs; scope `library:read`"
        ),
    )
    async def session(
        self,
        info: Info[RequestContext, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="Opaque session id (`Session:<uuid>`)")],
    ) -> Session | None:
        session_id = decode_id("Session", id)
        if session_id is None:
            return None
        async with info.context.session_factory() as db:
            row = await queries.session_by_id(db, info.context.user_id, session_id)
        return None if row is None else Session.from_row(row)

    @strawberry.field(
        extensions=requires_scope(LIBRARY_READ),
        description=(
            "One of the viewer's reflections; null when it does not "
            "exist or is not theirs; scope `library:read`"
        ),
    )
    async def reflection(
        self,
        info: Info[RequestContext, None],
        id: Annotated[
            strawberry.ID, strawberry.argument(description="Opaque reflection id (`Reflection:<uuid>`)")
        ],
    ) -> Reflection | None:
        return await reflection_by_id(info, id)

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Credit packs on sale (startCreditPurchase buys one); any valid token",
    )
    async def credit_packs(self, info: Info[RequestContext, None]) -> list[CreditPack]:
        return await credit_packs_field(info)


@strawberry.type(description="Live updates over graphql-transport-ws (WebSocket on /graphql)")
class Subscription:
    @strawberry.subscription(
        extensions=requires_scope(LIBRARY_READ),
        description=(
            "The reflection now and at every change of state, until it is DONE or FAILED "
            "(or 15 minutes pass); null when it is not the viewer's; scope `library:read`"
        ),
    )
    async def reflection_updated(
        self,
        info: Info[RequestContext, None],
        id: Annotated[
            strawberry.ID, strawberry.argument(description="Opaque reflection id (`Reflection:<uuid>`)")
        ],
    ) -> AsyncGenerator[Reflection | None, None]:
        async for update in reflection_updates(info, id):
            yield update


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, InvalidArgument | PermissionError):
        return False
    # permission-class failures and request errors carry one of our client codes
    return (error.extensions or {}).get("code") not in error_codes.CLIENT_ERROR_CODES


class MaskUnexpectedErrors(MaskErrors):
    """``MaskErrors`` whose masked errors still say what they are: ``INTERNAL_SERVER_ERROR``."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": error_codes.INTERNAL_SERVER_ERROR}
        return masked


def build_schema(*, debug: bool = False) -> strawberry.Schema:
    # the depth and alias limits are validation rules: their rule classes are made once here (each
    # limiter makes a class when constructed, ~25 µs), then added to every request's validation
    limit_rules = [
        *QueryDepthLimiter(max_depth=12).validation_rules,
        *MaxAliasesLimiter(max_alias_count=30).validation_rules,
    ]
    # factories, not instances: strawberry builds fresh extensions for every request
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: AddValidationRules(limit_rules),
        lambda: MaxTokensLimiter(max_token_count=4000),
        GraphQLOperationObserver,  # names the operation in the request's log line and metrics
        lambda: ParsedDocuments(maxsize=256),  # a repeated document is parsed once (LRU, by its text)
        CostLimits,  # estimated cost: a maximum per request, a budget per token (api/graphql/cost_limits.py)
    ]
    if not debug:
        extensions.append(lambda: MaskUnexpectedErrors(should_mask_error=_is_unexpected))
    # last: on the way out it runs first, coding request errors before masking looks at them
    valid_documents = ValidDocuments()  # this schema's documents that validated: not validated again
    extensions.append(lambda: RequestChecks(valid_documents))
    # LoggingSchema: client mistakes are logged at INFO with their code, failures at ERROR
    return LoggingSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=BasicFieldExecutor,  # plain attribute fields without per-field machinery
    )
