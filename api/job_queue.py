"""The API's client of the job queue (arq on Redis), made without connecting.

arq's ``create_pool`` pings Redis and, after a few retries, raises: an API started while Redis is
down would not start at all, although everything it serves but job queueing works without Redis.
:func:`job_queue_client` builds the same client (same connection options as ``create_pool`` for a
``REDIS_URL``) without the ping; redis-py connects on the first command and again after any lost
connection, so the API picks Redis up whenever it (re)appears, with no restart and no background
task. While Redis is down each command fails at once (a refused connection) or within the connect
timeout (``RedisSettings.conn_timeout``, 1 s), and a Redis that never answers within
:data:`COMMAND_TIMEOUT_SECONDS`; callers turn that into a specific answer
(``reclusterLibrary``: ``JobQueueUnavailable``; a reflection stays queued for the worker's sweeper;
``viewer.calibration.reclusterState``: null), and the cost budget fails open
(:mod:`api.graphql.cost_budget`).

:func:`warn_if_unreachable` is the start-up check: one bounded ping whose failure is a warning.
"""

from __future__ import annotations

import asyncio
import logging

from arq import ArqRedis
from arq.connections import RedisSettings
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

STARTUP_PING_TIMEOUT_SECONDS = 2.0
COMMAND_TIMEOUT_SECONDS = 2.0
"""Longest wait for Redis to answer one command (redis-py ``socket_timeout``): a Redis that accepts
connections and never answers (a dead proxy, a stopped VM) fails the command with a ``RedisError``
instead of holding the request forever. The API sends only short commands (no blocking reads)."""


def job_queue_client(redis_url: str) -> ArqRedis:
    """arq's client for ``redis_url``, as ``create_pool`` makes it but not connected yet."""
    settings = RedisSettings.from_dsn(redis_url)
    return ArqRedis(
        host=settings.host,
        port=settings.port,
        unix_socket_path=settings.unix_socket_path,
        db=settings.database,
        username=settings.username,
        password=settings.password,
        socket_connect_timeout=settings.conn_timeout,
        socket_timeout=COMMAND_TIMEOUT_SECONDS,
        ssl=settings.ssl,
        ssl_keyfile=settings.ssl_keyfile,
        ssl_certfile=settings.ssl_certfile,
        ssl_cert_reqs=settings.ssl_cert_reqs,
        ssl_ca_certs=settings.ssl_ca_certs,
        ssl_ca_data=settings.ssl_ca_data,
        ssl_check_hostname=settings.ssl_check_hostname,
        retry=settings.retry,
        retry_on_timeout=settings.retry_on_timeout,
        retry_on_error=settings.retry_on_error,
        max_connections=settings.max_connections,
        encoding="utf8",
    )


async def warn_if_unreachable(queue: ArqRedis) -> bool:
    """Ping once (at most :data:`STARTUP_PING_TIMEOUT_SECONDS`); log a warning and return False when
    Redis does not answer. Never raises: the API serves without the queue until Redis is back."""
    try:
        await asyncio.wait_for(queue.ping(), timeout=STARTUP_PING_TIMEOUT_SECONDS)
    except (OSError, RedisError, TimeoutError) as error:
        log.warning(
            "the job queue (Redis) cannot be reached at start-up (%s: %s); serving without it: "
            "queueing jobs fails with a clear answer until Redis answers, then works without a restart",
            type(error).__name__,
            error,
        )
        return False
    return True
