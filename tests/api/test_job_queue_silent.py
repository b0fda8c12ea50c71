"""The job queue's Redis accepts connections and never answers: every API answer that touches the queue
still comes within a few seconds (api.job_queue's command timeout), with the answer for "no queue"."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from catalog.database import SessionFactory
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, make_user_with_token
from tests.api.silent_redis import client_with_silent_redis as silent_app_client

RECLUSTER = """mutation { reclusterLibrary { __typename ... on JobQueueUnavailable { message } } }"""
CALIBRATION = "{ viewer { calibration { thresholdOffset reclusterState } } }"
PROMPT_ANSWER_SECONDS = 8.0
"""Far above the command timeout (2 s) and far below "hangs": before the fix these never answered."""


@pytest.fixture
async def client(settings: AtelierSettings) -> AsyncIterator[GraphQLClient]:
    async with silent_app_client(settings) as client:
        yield client


async def test_recluster_library_answers_no_queue_promptly(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    started = time.monotonic()
    body = await asyncio.wait_for(client.query(RECLUSTER, token), PROMPT_ANSWER_SECONDS * 2)
    assert time.monotonic() - started < PROMPT_ANSWER_SECONDS
    assert body["data"]["reclusterLibrary"]["__typename"] == "JobQueueUnavailable", body


async def test_calibration_answers_without_the_queue_state_promptly(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "bob")
    started = time.monotonic()
    body = await asyncio.wait_for(client.query(CALIBRATION, token), PROMPT_ANSWER_SECONDS * 2)
    assert time.monotonic() - started < PROMPT_ANSWER_SECONDS
    assert body["data"]["viewer"]["calibration"] == {"thresholdOffset": 0.0, "reclusterState": None}, body
