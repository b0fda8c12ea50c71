"""The GraphQL schema: queries, limits and error masking.

Limits: query depth ≤ 12, ≤ 30 aliases, ≤ 4,000 tokens per document; pages take ``first`` 1–100.
Errors: expected client mistakes (:class:`InvalidArgument`, permission failures) are shown; anything
else is masked as "Unexpected error." unless ``debug`` is on.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from api.context import RequestContext
from api.graphql.mutations import Mutation
from api.graphql.pagination import InvalidArgument, decode_id, encode_id
from api.graphql.permissions import HasScope, IsAuthenticated
from api.graphql.purchases import CreditPack, credit_packs_field
from api.graphql.reflections import Reflection, reflection_by_id, reflection_updates
from api.graphql.types import Session, Viewer
from api.observability.request_observation import GraphQLOperationObserver
from catalog.sessions import queries

LIBRARY_READ = "library:read"


@strawberry.type
class Query:
    @strawberry.field(permission_classes=[IsAuthenticated], description="The authenticated artist")
    def viewer(self, info: Info[RequestContext, None]) -> Viewer:
        principal = info.context.principal
        assert principal is not None
        return Viewer(
            id=encode_id("User", principal.user_id), handle=principal.user_handle, timezone=principal.timezone
        )

    @strawberry.field(
        extensions=[PermissionExtension(permissions=[IsAuthenticated(), HasScope(LIBRARY_READ)])],
        description="One of the viewer's sessions; null when it does not exist or is not theirs",
    )
    async def session(self, info: Info[RequestContext, None], id: strawberry.ID) -> Session | None:
        session_id = decode_id("Session", id)
        if session_id is None:
            return None
        async with info.context.session_factory() as db:
            row = await queries.session_by_id(db, info.context.user_id, session_id)
        return None if row is None else Session.from_row(row)

    @strawberry.field(
        extensions=[PermissionExtension(permissions=[IsAuthenticated(), HasScope(LIBRARY_READ)])],
        description="One of the viewer's reflections; null when it does not exist or is not theirs",
    )
    async def reflection(self, info: Info[RequestContext, None], id: strawberry.ID) -> Reflection | None:
        return await reflection_by_id(info, id)

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Credit packs on sale (startCreditPurchase buys one)",
    )
    async def credit_packs(self, info: Info[RequestContext, None]) -> list[CreditPack]:
        return await credit_packs_field(info)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        extensions=[PermissionExtension(permissions=[IsAuthenticated(), HasScope(LIBRARY_READ)])],
        description="The reflection now and at every change of state, until it is done or failed",
    )
    async def reflection_updated(
        self, info: Info[RequestContext, None], id: strawberry.ID
    ) -> AsyncGenerator[Reflection | None, None]:
        async for update in reflection_updates(info, id):
            yield update


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, InvalidArgument | PermissionError):
        return False
    # permission-class failures arrive as PermissionDenied-like errors carrying our extensions
    return not (error.extensions and error.extensions.get("code") in {"UNAUTHENTICATED", "FORBIDDEN"})


def build_schema(*, debug: bool = False) -> strawberry.Schema:
    # factories, not instances: strawberry builds fresh extensions for every request
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: QueryDepthLimiter(max_depth=12),
        lambda: MaxAliasesLimiter(max_alias_count=30),
        lambda: MaxTokensLimiter(max_token_count=4000),
        GraphQLOperationObserver,  # names the operation in the request's log line and metrics
    ]
    if not debug:
        extensions.append(lambda: MaskErrors(should_mask_error=_is_unexpected))
    return strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions)
