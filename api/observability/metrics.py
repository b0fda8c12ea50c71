"""Prometheus metrics of the process, served at ``/metrics`` (text exposition format).

Label values are bounded, so a client cannot grow the series without limit:
- ``operation``: the GraphQL operation's name when it is a plain identifier of ≤ 64 characters and
  one of the first :data:`MAX_OPERATION_NAMES` distinct names this process has seen; ``anonymous``
  without a name; ``other`` beyond the cap or for odd names; ``invalid`` when the document did not
  parse; ``unexecuted`` when no operation ran at all (GraphiQL's page, a malformed request body).
- ``route``: a fixed set of route names (``other`` for the rest); ``status``: the status class (``2xx``).
- ``job``: the arq function names of the worker (fixed by code); ``outcome``: a fixed set each.

Metrics live in the default registry, once per process; the in-process worker of ``atelier serve``
shares it with the API, a separate ``atelier worker`` process keeps its own (not exported over HTTP).
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

MAX_OPERATION_NAMES = 100
IMPORT_OUTCOMES = ("imported", "known", "problem", "ignored")
ROUTE_PREFIXES = (
    ("/graphql", "graphql"),
    ("/thumbnails/", "thumbnails"),
    ("/healthz", "healthz"),
    ("/readyz", "readyz"),
    ("/metrics", "metrics"),
    ("/webhooks/", "webhooks"),
    ("/checkout/", "checkout"),
)
_OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

GRAPHQL_REQUEST_SECONDS = Histogram(
    "atelier_graphql_request_duration_seconds",
    "Time to answer a GraphQL HTTP request, by operation name",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HTTP_REQUESTS = Counter("atelier_http_requests_total", "HTTP requests answered", ["route", "status"])
JOB_SECONDS = Histogram(
    "atelier_job_duration_seconds",
    "Time a background job ran, by job and outcome (ok, failed, retried, cancelled)",
    ["job", "outcome"],
    buckets=(0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0),
)
JOB_FAILURES = Counter("atelier_job_failures_total", "Background jobs that raised, by job", ["job"])
IMPORT_FILES = Counter("atelier_import_files_total", "Files met by imports, by outcome", ["outcome"])

_seen_operations: set[str] = set()
_seen_lock = threading.Lock()

P = ParamSpec("P")
R = TypeVar("R")


def operation_label(name: str | None, *, parsed: bool = True) -> str:
    """The bounded ``operation`` label for a GraphQL operation name (see the module docstring)."""
    if not parsed:
        return "invalid"
    if not name:
        return "anonymous"
    if not _OPERATION_NAME.fullmatch(name):
        return "other"
    with _seen_lock:
        if name in _seen_operations:
            return name
        if len(_seen_operations) < MAX_OPERATION_NAMES:
            _seen_operations.add(name)
            return name
    return "other"


def forget_operation_names() -> None:
    """Start counting distinct operation names afresh (tests; existing series stay as they are)."""
    with _seen_lock:
        _seen_operations.clear()


def route_label(path: str) -> str:
    for prefix, label in ROUTE_PREFIXES:
        if path == prefix.rstrip("/") or path.startswith(prefix):
            return label
    return "other"


def record_http_request(path: str, status: int, seconds: float, graphql_operation: str | None) -> None:
    """Count one answered request; GraphQL requests also go into the latency histogram, as
    ``unexecuted`` when no operation ran (GraphiQL's page, a body that is not a GraphQL request)."""
    route = route_label(path)
    HTTP_REQUESTS.labels(route=route, status=f"{status // 100}xx").inc()
    if route == "graphql":
        GRAPHQL_REQUEST_SECONDS.labels(operation=graphql_operation or "unexecuted").observe(seconds)


def record_import_outcome(outcome: str) -> None:
    """Count one file an import met: ``imported``, ``known``, ``problem`` or ``ignored``."""
    if outcome not in IMPORT_OUTCOMES:
        raise ValueError(f"unknown import outcome {outcome!r}; expected one of {', '.join(IMPORT_OUTCOMES)}")
    IMPORT_FILES.labels(outcome=outcome).inc()


def observed_job(
    function: Callable[P, Coroutine[Any, Any, R]], *, name: str | None = None
) -> Callable[P, Coroutine[Any, Any, R]]:
    """Wrap an arq job function to time it and count its failures, labelled ``name`` (default: the
    function's ``__qualname__``, which the wrapper keeps, so arq registers it under the same name and
    queued jobs still find it). An ``arq.Retry`` counts as ``retried`` (not a failure); a
    cancellation (job timeout, shutdown) as ``cancelled``."""
    from arq.worker import Retry

    job = name or function.__qualname__

    @functools.wraps(function)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        outcome = "failed"
        try:
            result = await function(*args, **kwargs)
            outcome = "ok"
            return result
        except Retry:
            outcome = "retried"
            raise
        except BaseException as error:
            if isinstance(error, Exception):
                JOB_FAILURES.labels(job=job).inc()
            else:
                outcome = "cancelled"
            raise
        finally:
            JOB_SECONDS.labels(job=job, outcome=outcome).observe(time.perf_counter() - started)

    return run


def observed_jobs(functions: Any) -> list[Any]:
    """:func:`observed_job` applied to each of a worker's ``functions`` (plain coroutine functions or
    ``arq.worker.Function`` entries, whose name and settings are kept)."""
    from arq.worker import Function

    wrapped: list[Any] = []
    for entry in functions:
        if isinstance(entry, Function):
            wrapped.append(
                Function(
                    entry.name,
                    observed_job(entry.coroutine, name=entry.name),
                    entry.timeout_s,
                    entry.keep_result_s,
                    entry.keep_result_forever,
                    entry.max_tries,
                )
            )
        else:
            wrapped.append(observed_job(entry))
    return wrapped


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
