"""Paid reflections over GraphQL against a flaky network: what the artist's app gets back, and what
the ledger holds afterwards.

Real PostgreSQL, the real app (ASGI), and for the job queue either the test's Redis or a loopback
socket that accepts connections and never answers (a Redis behind a dead proxy, a stopped VM).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from billing import ledger
from billing.models import CreditHold
from catalog.database import SessionFactory, unit_of_work
from catalog.settings import AtelierSettings
from reflection.models import Reflection
from tests.api.conftest import GraphQLClient, make_user_with_token
from tests.api.silent_redis import client_with_silent_redis as silent_app_client
from tests.billing.library_builder import user_with_session

QUOTE = """mutation($id: ID!) { quoteReflection(sessionId: $id) { __typename
  ... on ReflectionQuote { id cost } } }"""
CONFIRM = """mutation($q: ID!, $k: String!) { confirmReflection(quoteId: $q, idempotencyKey: $k) {
  __typename ... on ReflectionStarted { reflection { id state cost } } } }"""


@pytest.fixture
async def client_with_silent_redis(settings: AtelierSettings) -> AsyncIterator[GraphQLClient]:
    async with silent_app_client(settings) as client:
        yield client


def _data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_a_confirm_answers_promptly_when_the_job_queue_never_answers(
    client_with_silent_redis: GraphQLClient,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
) -> None:
    """The hold and the queued reflection are committed before the enqueue; a Redis that accepts the
    connection and then says nothing must not hold the artist's confirm (and its retries) forever:
    the reflection stays queued for the sweeper, and a retry with the same key holds nothing new."""
    client = client_with_silent_redis
    user_id, session_id = await user_with_session(session_factory, settings, tmp_path, asset_count=52)
    token = await make_user_with_token(session_factory, "ada")
    async with unit_of_work(session_factory) as db:
        await ledger.grant(db, user_id, 20)
    quote = _data(await client.query(QUOTE, token, id=f"Session:{session_id}"))["quoteReflection"]
    assert quote["__typename"] == "ReflectionQuote"

    answers = []
    for _ in range(2):  # the app's first try, then its retry with the same key
        started_at = time.monotonic()
        body = await asyncio.wait_for(client.query(CONFIRM, token, q=quote["id"], k="click-1"), 30)
        assert time.monotonic() - started_at < 10
        answers.append(_data(body)["confirmReflection"])

    assert answers[0] == answers[1]
    assert answers[0]["__typename"] == "ReflectionStarted"
    assert answers[0]["reflection"]["state"] == "QUEUED"
    async with session_factory() as db:
        assert await db.scalar(select(func.count()).select_from(Reflection)) == 1
        assert await db.scalar(select(func.count()).select_from(CreditHold)) == 1
        balance = await ledger.balance_of(db, user_id)
    assert (balance.balance, balance.held) == (20, quote["cost"])
