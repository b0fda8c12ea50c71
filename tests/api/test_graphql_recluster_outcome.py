"""A failed ``reclusterLibrary`` shows as FAILED with its reason and time (catalog/sessions/
recluster_outcome.py, read by api/graphql/correction_history.py), until a later run succeeds: the real
app over HTTP, a real arq worker running the real job (its child process) against the test's database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from arq.worker import func
from sqlalchemy import text

from catalog.database import SessionFactory, unit_of_work
from catalog.job_retry import retry_transient
from catalog.sessions.recluster_outcome import recording_recluster_outcome
from catalog.settings import AtelierSettings
from catalog.tasks import CATALOG_FUNCTIONS, TRANSIENT_MAX_TRIES, recluster_user_job
from tests.api.conftest import GraphQLClient, app_http, make_user_with_token
from tests.arq_worker import run_worker_burst
from tests.catalog.test_corrections import _evening, _import

CALIBRATION = "{ viewer { calibration { reclusterState reclusterFailure { reason failedAt } } } }"
RECLUSTER = """mutation { reclusterLibrary { __typename ... on LibraryReclusterQueued { state } } }"""


async def _status(client: GraphQLClient, token: str) -> dict[str, Any]:
    body = await client.query(CALIBRATION, token)
    assert "errors" not in body, body
    calibration: dict[str, Any] = body["data"]["viewer"]["calibration"]
    return calibration


async def _queue(client: GraphQLClient, token: str) -> None:
    queued = (await client.query(RECLUSTER, token))["data"]["reclusterLibrary"]
    assert queued == {"__typename": "LibraryReclusterQueued", "state": "QUEUED"}


async def test_a_failed_recluster_is_failed_with_its_reason_until_one_succeeds(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    await _import(session_factory, queue_settings, tmp_path, [*_evening(0), *_evening(1)])
    async with app_http(queue_settings) as http:
        client = GraphQLClient(http)
        token = await make_user_with_token(session_factory, "ada")
        reader = await make_user_with_token(session_factory, "ada", scopes=["library:read"])
        other = await make_user_with_token(session_factory, "bo")
        assert await _status(client, token) == {"reclusterState": "IDLE", "reclusterFailure": None}

        await _queue(client, token)
        async with unit_of_work(session_factory) as db:  # the table the re-cluster writes is gone
            await db.execute(text("ALTER TABLE sessions RENAME TO sessions_elsewhere"))
        before = datetime.now(UTC)
        worker = await run_worker_burst(session_factory, queue_settings, CATALOG_FUNCTIONS)
        assert (worker.jobs_complete, worker.jobs_failed) == (0, 1)

        failed = await _status(client, token)
        assert failed["reclusterState"] == "FAILED"
        assert failed["reclusterFailure"]["reason"] == (
            "The re-cluster stopped with an error; nothing was changed. The worker's log has the details."
        )
        failed_at = datetime.fromisoformat(failed["reclusterFailure"]["failedAt"])
        assert before - timedelta(seconds=1) <= failed_at <= datetime.now(UTC)
        assert await _status(client, reader) == failed  # a read-only token of the same artist sees it
        assert await _status(client, other) == {"reclusterState": "IDLE", "reclusterFailure": None}

        async with unit_of_work(session_factory) as db:
            await db.execute(text("ALTER TABLE sessions_elsewhere RENAME TO sessions"))
        await _queue(client, token)
        queued = await _status(client, token)  # queued again: the last failure still says what happened
        assert queued == {"reclusterState": "QUEUED", "reclusterFailure": failed["reclusterFailure"]}
        worker = await run_worker_burst(session_factory, queue_settings, CATALOG_FUNCTIONS)
        assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
        assert await _status(client, token) == {"reclusterState": "IDLE", "reclusterFailure": None}


async def test_a_recluster_that_times_out_is_failed(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """The same job registered with a timeout shorter than its child process' start-up: arq cancels
    it (the child is killed), and the run is recorded as interrupted."""
    await _import(session_factory, queue_settings, tmp_path, _evening(0))
    hurried = func(
        recording_recluster_outcome(
            retry_transient(recluster_user_job), max_tries=TRANSIENT_MAX_TRIES, timeout_seconds=0.2
        ),
        name="recluster_user_job",
        timeout=0.2,
        keep_result=0,
        max_tries=TRANSIENT_MAX_TRIES,
    )
    async with app_http(queue_settings) as http:
        client = GraphQLClient(http)
        token = await make_user_with_token(session_factory, "ada")
        await _queue(client, token)
        worker = await run_worker_burst(session_factory, queue_settings, [hurried])
        assert (worker.jobs_complete, worker.jobs_failed) == (0, 1)
        status = await _status(client, token)
    assert status["reclusterState"] == "FAILED"
    reason = status["reclusterFailure"]["reason"]
    assert reason == "Interrupted: it ran longer than 0.2 s, or its worker stopped."
