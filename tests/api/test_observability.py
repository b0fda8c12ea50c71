"""Health, readiness, request ids, JSON request logs and Prometheus metrics (issue 10, item 16).

The real app over its ASGI interface (lifespan run, real PostgreSQL and Redis); ``atelier serve``
itself, over real HTTP, is in ``test_serve_shutdown.py``.
"""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.observability.json_logs import JsonLogFormatter
from api.observability.metrics import (
    IMPORT_OUTCOMES,
    MAX_OPERATION_NAMES,
    forget_operation_names,
    observed_jobs,
    record_import_outcome,
)
from catalog.database import SessionFactory
from catalog.embedded_servers import EmbeddedRedis
from catalog.migration_runner import downgrade_async
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, app_http, make_user_with_token
from tests.arq_worker import run_worker_burst
from tests.conftest import server_home

VIEWER = "query MyViewer { viewer { handle } }"


@pytest.fixture(autouse=True)
def fresh_operation_names() -> Iterator[None]:
    """Each test sees the operation-name cap from zero, whatever other tests' queries were named."""
    forget_operation_names()
    yield
    forget_operation_names()


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything logged during the test, formatted as the server formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous_level)


def _samples(text: str, metric: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Sample values of one metric family, keyed by (sample name + sorted labels)."""
    values: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(text):
        if family.name == metric:
            for sample in family.samples:
                values[(("__name__", sample.name), *sorted(sample.labels.items()))] = sample.value
    return values


async def _metric(http: httpx.AsyncClient, metric: str, sample: str, **labels: str) -> float:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    key = (("__name__", sample), *sorted(labels.items()))
    return _samples(response.text, metric).get(key, 0.0)


# --- /healthz and /readyz --------------------------------------------------------------------------


async def test_healthz_is_alive_without_touching_any_service(tmp_path: Path) -> None:
    nowhere = AtelierSettings(
        home=tmp_path / "home",
        database_url="postgresql+asyncpg://nobody@/atelier?host=/nonexistent-socket-dir",
        redis_url=None,
    )
    async with app_http(nowhere) as http:
        alive = await http.get("/healthz")
        ready = await http.get("/readyz")
    assert alive.status_code == 200 and alive.json() == {"status": "ok"}
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "not ready"
    assert body["failed"] == ["database", "redis", "migrations"]
    assert body["checks"]["redis"] == "error: no Redis URL configured"
    assert body["checks"]["database"].startswith("error: ")


async def test_readyz_is_ready_with_database_redis_and_migrations_at_head(client: GraphQLClient) -> None:
    response = await client.http.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "failed": [],
        "checks": {"database": "ok", "redis": "ok", "migrations": "ok"},
    }


async def test_readyz_names_migrations_behind_head(settings: AtelierSettings, database_url: str) -> None:
    await downgrade_async(database_url, "-1")
    async with app_http(settings) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"]
    assert re.fullmatch(r"error: database at \S+, code at \S+", body["checks"]["migrations"])


async def test_readyz_names_redis_when_it_goes_away(settings: AtelierSettings) -> None:
    home = server_home("atelier-readyz-redis-")
    redis_server = EmbeddedRedis(home / "redis")
    url = redis_server.start()
    stopped = False
    try:
        async with app_http(settings.model_copy(update={"redis_url": url})) as http:
            assert (await http.get("/readyz")).status_code == 200
            redis_server.release()  # the only user: the server shuts down
            stopped = True
            response = await http.get("/readyz")
    finally:
        if not stopped:
            redis_server.release()
        shutil.rmtree(home, ignore_errors=True)
    assert response.status_code == 503
    assert response.json()["failed"] == ["redis"]


# --- request ids and logs --------------------------------------------------------------------------


async def test_request_id_is_taken_when_valid_and_made_otherwise(client: GraphQLClient) -> None:
    given = await client.http.get("/healthz", headers={"X-Request-ID": "edge-7f3a.1:2_b"})
    assert given.headers["x-request-id"] == "edge-7f3a.1:2_b"
    hostile_ids: list[str | bytes] = ["has space", "x" * 129, "back\\slash", "", "é".encode()]
    for hostile in hostile_ids:
        made = await client.http.get("/healthz", headers={"X-Request-ID": hostile})
        assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"]), hostile
    first = (await client.http.get("/healthz")).headers["x-request-id"]
    second = (await client.http.get("/healthz")).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


async def test_each_request_logs_one_json_line_with_its_id_and_operation(
    client: GraphQLClient, session_factory: SessionFactory, log_lines: io.StringIO
) -> None:
    token = await make_user_with_token(session_factory, "artist")
    response = await client.http.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "trace-42"},
    )
    assert response.status_code == 200 and response.headers["x-request-id"] == "trace-42"

    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]  # every line is JSON
    requests = [line for line in lines if line["logger"] == "atelier.http" and line["message"] == "request"]
    assert len(requests) == 1
    logged = requests[0]
    assert {"time", "level", "logger", "message", "request_id"} <= set(logged)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", logged["time"])
    assert logged["level"] == "info" and logged["request_id"] == "trace-42"
    assert (logged["method"], logged["path"], logged["status"]) == ("POST", "/graphql", 200)
    assert isinstance(logged["duration_ms"], float) and logged["duration_ms"] >= 0
    assert (logged["operation"], logged["operation_type"]) == ("MyViewer", "query")


def test_log_lines_keep_their_own_keys_and_carry_exceptions() -> None:
    formatter = JsonLogFormatter()
    try:
        raise ValueError("broken")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "atelier.test", logging.ERROR, __file__, 1, "failed %s", ("x",), sys.exc_info()
        )
    record.fields = {"level": "forged", "job": "make_thumbnails"}
    line = json.loads(formatter.format(record))
    assert line["level"] == "error" and line["message"] == "failed x" and line["job"] == "make_thumbnails"
    assert "ValueError: broken" in line["exception"]
    assert "request_id" not in line  # outside a request


# --- /metrics --------------------------------------------------------------------------------------


async def test_graphql_latency_is_recorded_by_operation_name(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "artist")
    metric, count = (
        "atelier_graphql_request_duration_seconds",
        "atelier_graphql_request_duration_seconds_count",
    )
    named_before = await _metric(client.http, metric, count, operation="MyViewer")
    anonymous_before = await _metric(client.http, metric, count, operation="anonymous")
    await client.query(VIEWER, token)
    await client.query(VIEWER, token)
    await client.query("{ viewer { handle } }", token)
    assert await _metric(client.http, metric, count, operation="MyViewer") == named_before + 2
    assert await _metric(client.http, metric, count, operation="anonymous") == anonymous_before + 1


async def test_operation_labels_stay_bounded_whatever_clients_send(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "artist")
    for number in range(MAX_OPERATION_NAMES + 20):
        await client.query(f"query Probe{number} {{ viewer {{ handle }} }}", token)
    response = await client.http.get("/metrics")
    operations = {
        dict(labels)["operation"]
        for labels in _samples(response.text, "atelier_graphql_request_duration_seconds")
        if dict(labels)["__name__"].endswith("_count")
    }
    # The registry is process-wide, so other tests' names are there too: count this test's own.
    probes = {operation for operation in operations if operation.startswith("Probe")}
    assert len(probes) <= MAX_OPERATION_NAMES  # the 20 past the cap were folded into "other"
    assert "other" in operations


async def tidy_up(ctx: dict[str, Any]) -> int:
    """A job registered under its own name (arq uses the function's ``__qualname__``)."""
    return 1


async def break_down(ctx: dict[str, Any]) -> int:
    raise RuntimeError("no luck")


async def test_job_durations_and_failures_are_recorded_by_job(queue_settings: AtelierSettings) -> None:
    from arq import create_pool
    from arq.connections import RedisSettings
    from arq.worker import func

    app = create_app(queue_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://atelier.test") as http:
            seconds = "atelier_job_duration_seconds"
            ok_before = await _metric(http, seconds, f"{seconds}_count", job="tidy_up", outcome="ok")
            failed_before = await _metric(
                http, "atelier_job_failures", "atelier_job_failures_total", job="renamed_job"
            )
            assert queue_settings.redis_url is not None
            pool = await create_pool(RedisSettings.from_dsn(queue_settings.redis_url))
            try:
                await pool.enqueue_job("tidy_up")
                await pool.enqueue_job("renamed_job")
            finally:
                await pool.aclose()
            functions = observed_jobs([tidy_up, func(break_down, name="renamed_job", max_tries=1)])
            await run_worker_burst(None, queue_settings, functions)  # type: ignore[arg-type]
            assert (
                await _metric(http, seconds, f"{seconds}_count", job="tidy_up", outcome="ok") == ok_before + 1
            )
            assert (
                await _metric(http, "atelier_job_failures", "atelier_job_failures_total", job="renamed_job")
                == failed_before + 1
            )


async def test_import_outcomes_are_counted_and_unknown_ones_refused(client: GraphQLClient) -> None:
    metric = "atelier_import_files"
    before = {
        outcome: await _metric(client.http, metric, f"{metric}_total", outcome=outcome)
        for outcome in IMPORT_OUTCOMES
    }
    for outcome in ("imported", "imported", "problem", "ignored", "known"):
        record_import_outcome(outcome)
    after = {
        outcome: await _metric(client.http, metric, f"{metric}_total", outcome=outcome)
        for outcome in IMPORT_OUTCOMES
    }
    assert {outcome: after[outcome] - before[outcome] for outcome in IMPORT_OUTCOMES} == {
        "imported": 2,
        "known": 1,
        "problem": 1,
        "ignored": 1,
    }
    with pytest.raises(ValueError, match="unknown import outcome"):
        record_import_outcome("skipped")
