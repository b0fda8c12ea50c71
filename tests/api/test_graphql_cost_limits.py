"""Cost limits on the real app (api/graphql/cost_limits.py, cost_budget.py, request_slots.py): the
cost in ``extensions.cost``, ``QUERY_TOO_COSTLY`` over the maximum with nothing run, ``RATE_LIMITED``
(HTTP 429, ``Retry-After``) once a token's budget is spent while another token goes on, the window
reset, Redis down (fails open) and one request at a time per client.

Budgets live in the test run's real Redis; each test's tokens are new, so their keys are too.
Issue 9, item 10.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query, parse
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from api.app import create_app
from api.context import RequestContext
from api.graphql.cost_budget import CostBudget
from api.graphql.cost_limits import INTROSPECTION_MAX_COST
from api.graphql.media_type import GRAPHQL_RESPONSE_JSON
from api.graphql.query_cost import estimate_cost
from api.graphql.request_slots import RequestSlots
from api.graphql.schema import build_schema
from api.thumbnail_urls import ThumbnailSigner
from catalog.accounts.service import authenticate
from catalog.database import SessionFactory, unit_of_work
from catalog.settings import AtelierSettings
from tests.api.conftest import app_http, free_port, make_user_with_token

SESSIONS = "query($n: Int) { viewer { sessions(first: $n) { edges { node { label } } } } }"
"""Costs 3 + 2n (viewer, sessions, edges; node and label per session)."""


def sessions_cost(n: int) -> int:
    return 3 + 2 * n


@pytest.fixture
def limited(settings: AtelierSettings) -> AtelierSettings:
    """Small limits: a maximum of 100 per request, 250 per 2-second window."""
    return settings.model_copy(
        update={"api_max_query_cost": 100, "api_cost_budget": 250, "api_cost_window_seconds": 2.0}
    )


@asynccontextmanager
async def app_at(settings: AtelierSettings, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """The real app, its clients coming from ``address``: anonymous budgets are kept per address in
    the run's shared Redis, so each test takes an address of its own."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://atelier.test") as client:
            yield client


@pytest.fixture
async def http(limited: AtelierSettings) -> AsyncIterator[httpx.AsyncClient]:
    address = ".".join(str(part) for part in (10, *uuid.uuid4().bytes[:3]))
    async with app_at(limited, address) as client:
        yield client


async def post(
    http: httpx.AsyncClient, token: str | None, document: str, accept: str | None = None, **variables: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if accept:
        headers["accept"] = accept
    return await http.post("/graphql", json={"query": document, "variables": variables}, headers=headers)


def test_the_documented_document_costs_what_the_helper_says() -> None:
    schema = build_schema()._schema
    assert estimate_cost(schema, parse(SESSIONS).definitions, None, {"n": 7}) == sessions_cost(7)


async def test_every_response_carries_its_cost_and_the_budget_left(
    http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    before = datetime.now(UTC)
    first = (await post(http, token, SESSIONS, n=10)).json()
    assert first["data"]["viewer"]["sessions"]["edges"] == []
    cost = first["extensions"]["cost"]
    assert cost["requested"] == sessions_cost(10)
    assert cost["maximum"] == 100 and cost["limit"] == 250 and cost["windowSeconds"] == 2.0
    assert cost["remaining"] == 250 - sessions_cost(10)
    reset_at = datetime.fromisoformat(cost["resetAt"])
    assert 0 < (reset_at - before).total_seconds() <= 2.5

    second = (await post(http, token, "{ viewer { id } }")).json()["extensions"]["cost"]
    assert second["requested"] == 2
    assert second["remaining"] == 250 - sessions_cost(10) - 2
    # same window, not extended (the end is computed from Redis' remaining TTL, in milliseconds)
    assert abs((datetime.fromisoformat(second["resetAt"]) - reset_at).total_seconds()) < 0.2

    # an error in a resolver is still an executed operation with its cost
    anonymous = (await post(http, None, "{ viewer { id } }")).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert anonymous["extensions"]["cost"]["requested"] == 2


async def test_over_the_maximum_is_refused_before_anything_runs(
    http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    await post(http, token, "{ __typename }")  # warm-up: the token's last_used_at is written once
    event.listen(Engine, "before_cursor_execute", count)
    try:
        statements.clear()
        assert (await post(http, token, "{ __typename }")).json()["data"] == {"__typename": "Query"}
        authentication_only = len(statements)

        statements.clear()
        response = await post(http, token, SESSIONS, n=60)  # 123 > 100
        refused_statements = len(statements)

    finally:
        event.remove(Engine, "before_cursor_execute", count)

    assert response.status_code == 200  # application/json: a request error is still 200
    body = response.json()
    assert "data" not in body
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 123, "maximum": 100}
    assert "123" in error["message"] and "100" in error["message"]
    assert body["extensions"]["cost"]["requested"] == 123
    assert refused_statements == authentication_only, statements
    # not charged either
    assert body["extensions"]["cost"]["remaining"] is None

    strict = await post(http, token, SESSIONS, accept=GRAPHQL_RESPONSE_JSON, n=60)
    assert strict.status_code == 400 and "data" not in strict.json()
    assert strict.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def test_a_refused_mutation_changes_nothing(
    settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    create = 'mutation { createApiToken(name: "ci", scopes: ["library:read"]) { __typename } }'
    async with app_http(settings.model_copy(update={"api_max_query_cost": 1})) as tight:
        refused = await post(tight, token, create)  # costs 2: createApiToken and __typename
    assert refused.json()["errors"][0]["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 2, "maximum": 1}
    assert await _token_count(session_factory) == 1  # only the token the test made
    async with app_http(settings) as roomy:
        created = await post(roomy, token, create)
    assert created.json()["data"]["createApiToken"]["__typename"] == "ApiTokenCreated"
    assert await _token_count(session_factory) == 2  # the same mutation, allowed, does write


async def _token_count(factory: SessionFactory) -> int:
    async with unit_of_work(factory) as db:
        return int((await db.execute(text("SELECT count(*) FROM api_tokens"))).scalar_one())


async def test_a_spent_budget_is_refused_with_429_and_retry_after_and_others_go_on(
    http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    ada = await make_user_with_token(session_factory, "ada")
    bob = await make_user_with_token(session_factory, "bob")
    for _ in range(2):  # 2 × 83 = 166 of 250
        assert (await post(http, ada, SESSIONS, n=40)).status_code == 200
    refused = await post(http, ada, SESSIONS, n=45)  # 93 more would be 259
    assert refused.status_code == 429
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 2
    body = refused.json()
    assert "data" not in body
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry_after, "cost": 93}
    assert "retry in" in error["message"]
    assert body["extensions"]["cost"]["remaining"] == 250 - 166
    # a refusal is not charged: a cheaper query still fits
    cheap = await post(http, ada, SESSIONS, n=40)
    assert cheap.status_code == 200 and cheap.json()["extensions"]["cost"]["remaining"] == 250 - 249
    # the 429 whatever the media type
    strict = await post(http, ada, SESSIONS, accept=GRAPHQL_RESPONSE_JSON, n=1)
    assert strict.status_code == 429 and strict.headers["Retry-After"]
    # another token has its own budget
    other = await post(http, bob, SESSIONS, n=40)
    assert other.status_code == 200
    assert other.json()["extensions"]["cost"]["remaining"] == 250 - 83


async def test_the_budget_comes_back_when_the_window_ends(
    http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    ada = await make_user_with_token(session_factory, "ada")
    for _ in range(2):  # 2 × 93 = 186 of 250
        assert (await post(http, ada, SESSIONS, n=45)).status_code == 200
    refused = await post(http, ada, SESSIONS, n=45)
    assert refused.status_code == 429
    reset_at = datetime.fromisoformat(refused.json()["extensions"]["cost"]["resetAt"])
    await asyncio.sleep(max(0.0, (reset_at - datetime.now(UTC)).total_seconds()) + 0.1)
    again = await post(http, ada, SESSIONS, n=45)
    assert again.status_code == 200, again.text
    assert again.json()["extensions"]["cost"]["remaining"] == 250 - sessions_cost(45)


async def test_anonymous_requests_are_charged_by_address(limited: AtelierSettings) -> None:
    first, second = (".".join(str(part) for part in (10, *uuid.uuid4().bytes[:3])) for _ in range(2))
    async with app_at(limited, first) as http:
        assert (await post(http, None, "{ __typename }")).json()["extensions"]["cost"]["remaining"] == 249
        assert (await post(http, None, "{ __typename }")).json()["extensions"]["cost"]["remaining"] == 248
    async with app_at(limited, second) as http:
        assert (await post(http, None, "{ __typename }")).json()["extensions"]["cost"]["remaining"] == 249


async def test_redis_down_fails_open_with_a_log_line(
    settings: AtelierSettings, session_factory: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    async with unit_of_work(session_factory) as db:
        principal = await authenticate(db, token)
    budget = CostBudget(f"redis://127.0.0.1:{free_port()}/0", budget=10, window_seconds=60)
    schema = build_schema()
    context = RequestContext(
        session_factory=session_factory,
        principal=principal,
        thumbnail_signer=ThumbnailSigner(b"k" * 32),
        settings=settings,
        cost_budget=budget,
    )
    with caplog.at_level(logging.WARNING, logger="api.graphql.cost_budget"):
        started = time.perf_counter()
        result = await schema.execute(SESSIONS, variable_values={"n": 50}, context_value=context)
        elapsed = time.perf_counter() - started
    await budget.aclose()
    assert result.errors is None and result.data == {"viewer": {"sessions": {"edges": []}}}
    assert result.extensions is not None
    assert result.extensions["cost"] == {
        "requested": sessions_cost(50),
        "maximum": settings.api_max_query_cost,
        "limit": None,
        "remaining": None,
        "resetAt": None,
        "windowSeconds": settings.api_cost_window_seconds,
    }
    assert any("cost budget unavailable" in record.getMessage() for record in caplog.records)
    assert elapsed < 5
    # while Redis is marked down the budget is not asked again (no connection attempt per request)
    assert await budget.charge("token:x", 1) is None


async def test_requests_of_one_client_take_turns_and_other_clients_do_not_wait() -> None:
    slots = RequestSlots(per_key=1)
    order: list[str] = []
    release = asyncio.Event()

    async def request(key: str, name: str) -> None:
        async with slots.slot(key):
            order.append(f"{name} in")
            await release.wait()
            order.append(f"{name} out")

    first = asyncio.create_task(request("ada", "a1"))
    second = asyncio.create_task(request("ada", "a2"))
    await asyncio.sleep(0.01)
    other = asyncio.create_task(request("bob", "b1"))
    await asyncio.sleep(0.01)
    assert order == ["a1 in", "b1 in"]  # ada's second waits; bob does not
    release.set()
    await asyncio.gather(first, second, other)
    assert order.index("a2 in") > order.index("a1 out")
    assert slots.in_use() == 0


async def test_introspection_has_a_maximum_of_its_own(settings: AtelierSettings) -> None:
    introspection = get_introspection_query(descriptions=True)
    schema = build_schema()._schema
    introspection_cost = estimate_cost(schema, parse(introspection).definitions, None, None)
    below = introspection_cost - 1
    async with app_http(settings.model_copy(update={"api_max_query_cost": below})) as http:
        answered = await post(http, None, introspection)
        # the same cost with a data field in it is held to the setting
        mixed = await post(http, None, "{ __schema { types { name } } viewer { id } }")
    body = answered.json()
    assert "errors" not in body and body["data"]["__schema"]["types"]
    assert body["extensions"]["cost"]["requested"] == introspection_cost
    assert body["extensions"]["cost"]["maximum"] == INTROSPECTION_MAX_COST
    assert mixed.json()["extensions"]["cost"]["maximum"] == below


async def test_the_app_holds_a_tokens_extra_requests_while_other_tokens_go_on(
    settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    ada = await make_user_with_token(session_factory, "ada")
    bob = await make_user_with_token(session_factory, "bob")
    release = asyncio.Event()
    body = json.dumps({"query": "{ viewer { handle } }"}).encode()

    async def slow_body() -> AsyncIterator[bytes]:
        yield body[:5]
        await release.wait()  # ada's first request holds its slot while its body is still coming
        yield body[5:]

    one_at_a_time = settings.model_copy(update={"api_max_concurrent_per_token": 1})
    async with app_http(one_at_a_time) as http:
        slow = asyncio.create_task(
            http.post(
                "/graphql",
                content=slow_body(),
                headers={"Authorization": f"Bearer {ada}", "content-type": "application/json"},
            )
        )
        await asyncio.sleep(0.2)
        queued = asyncio.create_task(post(http, ada, "{ viewer { handle } }"))
        other = await asyncio.wait_for(post(http, bob, "{ viewer { handle } }"), timeout=10)
        assert other.json()["data"] == {"viewer": {"handle": "bob"}}
        await asyncio.sleep(0.2)
        assert not queued.done()  # waits for ada's slot
        release.set()
        assert (await slow).json()["data"] == {"viewer": {"handle": "ada"}}
        assert (await queued).json()["data"] == {"viewer": {"handle": "ada"}}


async def test_a_request_whose_variables_are_refused_is_not_charged(
    http: httpx.AsyncClient, session_factory: SessionFactory
) -> None:
    """Variables that do not fit their types fail before any resolver runs, like a validation error:
    the request did nothing, so it spends nothing of the budget."""
    ada = await make_user_with_token(session_factory, "ada")
    first = await post(http, ada, SESSIONS, n=40)
    assert first.json()["extensions"]["cost"]["remaining"] == 250 - 83
    for bad in ("forty", 2**40, [1]):
        refused = await http.post(
            "/graphql",
            json={"query": SESSIONS, "variables": {"n": bad}},
            headers={"Authorization": f"Bearer {ada}"},
        )
        body = refused.json()
        assert "data" not in body or body["data"] is None, body
        assert "Variable '$n'" in body["errors"][0]["message"], body
    after = await post(http, ada, SESSIONS, n=1)
    assert after.json()["extensions"]["cost"]["remaining"] == 250 - 83 - sessions_cost(1)
