"""Cost limits of a GraphQL request, applied after validation and before any resolver runs.

1. The operation's cost is estimated (:func:`api.graphql.query_cost.estimate_cost`).
2. Above ``ATELIER_API_MAX_QUERY_COST`` (:data:`INTROSPECTION_MAX_COST` for an operation that only
   introspects the schema; never above the whole budget, which it could never fit) the
   request is refused with ``QUERY_TOO_COSTLY``, its cost and the maximum in the message and in
   ``extensions`` (``cost``, ``maximum``) — a request error like a validation failure: no ``data``,
   HTTP 200 for ``application/json`` clients, 400 for ``application/graphql-response+json`` ones.
3. The cost is charged to the caller's budget in Redis (:mod:`api.graphql.cost_budget`): the token
   (``token:<id>``), or the client address for anonymous requests (``ip:<address>``). A spent budget
   refuses the request with ``RATE_LIMITED`` and ``extensions.retryAfter`` (whole seconds); the
   HTTP layer answers 429 with a ``Retry-After`` header (:mod:`api.graphql.http_guard`).
4. Every response of an estimated operation carries ``extensions.cost``::

       {"requested": 204, "maximum": 20000, "limit": 300000, "remaining": 299796,
        "resetAt": "2026-11-30T00:01:00.123456+00:00", "windowSeconds": 60.0}

   ``limit``/``remaining``/``resetAt`` are the window's budget, what is left of it after this
   request, and when it ends; they are ``null`` when no budget applies (no Redis configured, or
   Redis unreachable: the limiter fails open). A refused request is not charged.

Subscriptions are not costed (strawberry runs them without the execution hook; each is one stream).
Nothing here runs when validation failed (no estimate is made of an invalid document), and nothing is
estimated or charged when the variables fail their types (execution answers with their errors).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, get_operation_ast
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.execution.values import get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.context import RequestContext
from api.graphql import error_codes
from api.graphql.cost_budget import Charge
from api.graphql.query_cost import estimate_cost, is_introspection_only

INTROSPECTION_MAX_COST = 60_000
"""The maximum of an operation that only introspects the schema (GraphiQL's introspection query
costs ~12,000 today and grows with the schema; it reads no database): the larger of this and the
setting."""


class CostLimits(SchemaExtension):
    """Made per operation (the schema takes the class as a factory)."""

    def __init__(self) -> None:
        self._report: dict[str, Any] | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        request_context = context.context
        document = context.graphql_document
        if (
            not isinstance(request_context, RequestContext)
            or document is None
            or context.operation_type is OperationType.SUBSCRIPTION
        ):
            yield
            return
        if _variables_refused(context.schema._schema, document, context.operation_name, context.variables):
            yield  # graphql-core answers with the variables' errors; nothing runs, nothing is charged
            return
        settings = request_context.settings
        cost = estimate_cost(
            context.schema._schema, document.definitions, context.operation_name, context.variables
        )
        maximum = settings.api_max_query_cost
        if is_introspection_only(document.definitions, context.operation_name):
            maximum = max(maximum, INTROSPECTION_MAX_COST)
        maximum = min(maximum, settings.api_cost_budget)
        self._report = {
            "requested": cost,
            "maximum": maximum,
            "limit": None,
            "remaining": None,
            "resetAt": None,
            "windowSeconds": settings.api_cost_window_seconds,
        }
        if cost > maximum:
            context.result = _refusal(
                f"The query's estimated cost is {cost:,}, above the maximum of {maximum:,} per request; "
                "ask for smaller pages (`first`) or fewer fields and aliases.",
                {"code": error_codes.QUERY_TOO_COSTLY, "cost": cost, "maximum": maximum},
            )
            yield
            return
        charge = await _charge(request_context, cost)
        if charge is not None:
            self._report |= {
                "limit": charge.budget,
                "remaining": charge.remaining,
                "resetAt": charge.reset_at.isoformat(),
            }
            if not charge.allowed:
                context.result = _refusal(
                    f"The token's cost budget of {charge.budget:,} per "
                    f"{settings.api_cost_window_seconds:g} s is spent ({charge.used:,} used, "
                    f"this query costs {cost:,}); retry in "
                    f"{charge.retry_after_seconds} s.",
                    {
                        "code": error_codes.RATE_LIMITED,
                        "retryAfter": charge.retry_after_seconds,
                        "cost": cost,
                    },
                )
        yield

    def get_results(self) -> dict[str, Any]:
        return {} if self._report is None else {"cost": self._report}


def _variables_refused(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> bool:
    """Whether the operation's variables fail their types (``"forty"`` for an ``Int``): execution then
    stops before any resolver, so the request is neither estimated (a bad ``first`` would read as the
    default page) nor charged. Coerces the few variables a second time; an operation with none costs a
    lookup."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or not operation.variable_definitions:
        return False
    coerced = get_variable_values(schema, operation.variable_definitions, variables or {}, max_errors=1)
    return isinstance(coerced, list)


def budget_key(request_context: RequestContext) -> str:
    """Whose budget a request spends: its token, or its client address when anonymous."""
    if request_context.principal is not None:
        return f"token:{request_context.principal.token_id}"
    return f"ip:{request_context.client_address or 'unknown'}"


async def _charge(request_context: RequestContext, cost: int) -> Charge | None:
    budget = request_context.cost_budget
    if budget is None:
        return None
    return await budget.charge(budget_key(request_context), cost)


def _refusal(message: str, extensions: dict[str, Any]) -> GraphQLExecutionResult:
    """A result that stands for the operation: setting it before execution skips every resolver."""
    return GraphQLExecutionResult(data=None, errors=[GraphQLError(message, extensions=extensions)])
