"""How the real app logs the errors it answers with (api/graphql/error_logging.py): every refusal a
client causes (no token, a missing scope, a bad cursor or variable, an invalid document, a query too
costly, a spent budget) is one INFO line with its code and no ERROR; a real failure inside a
resolver is still logged at ERROR with its traceback, and the client still sees it masked."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest
from sqlalchemy import text

from api.graphql.error_logging import LOGGER
from catalog.database import SessionFactory, unit_of_work
from catalog.settings import AtelierSettings
from tests.api.conftest import app_http, make_user_with_token

SESSIONS = (
    "query($n: Int, $after: String) "
    "{ viewer { sessions(first: $n, after: $after) { edges { node { label } } } } }"
)


async def post(http: httpx.AsyncClient, token: str | None, document: str, **variables: object) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post("/graphql", json={"query": document, "variables": variables}, headers=headers)
    body: dict = response.json()
    return body


def codes(body: dict) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


def strawberry_records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == LOGGER.name and record.levelno == level]


async def test_client_refusals_are_logged_at_info_with_their_code(
    settings: AtelierSettings, session_factory: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    limited = settings.model_copy(update={"api_max_query_cost": 100, "api_cost_budget": 150})
    token = await make_user_with_token(session_factory, f"ada-{uuid.uuid4().hex[:8]}")
    no_scope = await make_user_with_token(
        session_factory, f"bo-{uuid.uuid4().hex[:8]}", scopes=["credits:read"]
    )
    caplog.set_level(logging.DEBUG, logger=LOGGER.name)
    # anonymous budgets are per client address, shared with every other test's anonymous requests in
    # this minute: the default budget keeps the first answer independent of them
    async with app_http(settings) as http:
        answers = [await post(http, None, "{ viewer { id } }")]
    async with app_http(limited) as http:
        answers += [
            await post(http, no_scope, SESSIONS, n=1),
            await post(http, token, SESSIONS, n=1, after="not-a-cursor"),
            await post(http, token, SESSIONS, n=0),
            await post(http, token, "query($id: ID!) { node(id: $id) { id } }", id=True),
            await post(http, token, "{ viewer { nothingHere } }"),
            await post(http, token, "{ viewer { "),
            await post(http, token, SESSIONS, n=60),  # cost 123: over the maximum of 100
            await post(http, token, SESSIONS, n=40),  # cost 83 of 150
            await post(http, token, SESSIONS, n=40),  # 83 more: the budget is spent
        ]
    seen = [codes(body)[0] if "errors" in body else None for body in answers]
    assert seen == [
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "BAD_USER_INPUT",
        "BAD_USER_INPUT",
        "BAD_USER_INPUT",
        "GRAPHQL_VALIDATION_FAILED",
        "GRAPHQL_PARSE_FAILED",
        "QUERY_TOO_COSTLY",
        None,
        "RATE_LIMITED",
    ]
    assert strawberry_records(caplog, logging.ERROR) == []
    infos = [record.getMessage() for record in strawberry_records(caplog, logging.INFO)]
    assert len(infos) == 9, infos
    for message, code in zip(infos, [code for code in seen if code is not None], strict=True):
        assert f"code={code} " in message
    assert all(record.exc_info is None for record in strawberry_records(caplog, logging.INFO))
    assert "path=viewer.sessions: This token lacks the `library:read` scope." in infos[1]


async def test_a_real_failure_is_still_logged_at_error_with_its_traceback(
    settings: AtelierSettings, session_factory: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    async with unit_of_work(session_factory) as db:  # the table the query reads is gone
        await db.execute(text("ALTER TABLE sessions RENAME TO sessions_elsewhere"))
    caplog.set_level(logging.DEBUG, logger=LOGGER.name)
    async with app_http(settings) as http:
        body = await post(http, token, SESSIONS, n=1)
    assert body["errors"][0]["message"] == "Unexpected error."
    assert codes(body) == ["INTERNAL_SERVER_ERROR"]
    errors = strawberry_records(caplog, logging.ERROR)
    assert len(errors) == 1
    assert errors[0].exc_info is not None and "sessions" in str(errors[0].exc_info[1])
    assert strawberry_records(caplog, logging.INFO) == []
