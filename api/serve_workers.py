"""``atelier serve --workers N``: N uvicorn worker processes sharing one listening socket.

The parent does what must happen once — embedded servers, migrations, the demo import (all before
this module is reached), the secret key, the arq worker and watched folders (``background``, on a
thread with its own event loop) — and supervises the workers with uvicorn's ``Multiprocess``
(a worker that dies is replaced). Each worker imports the app by its factory
(:data:`api.asgi.APP_FACTORY`) and only serves HTTP.

Shutdown: SIGTERM or SIGINT to the parent makes uvicorn's supervisor send SIGTERM to every worker and
wait for them (each drains its requests in flight, up to ``HTTP_DRAIN_SECONDS``); then the background
loop is told to stop and finishes the jobs in hand, and the parent returns (its caller stops the
embedded servers).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable

import uvicorn
from uvicorn.supervisors import Multiprocess

from api.app import load_or_create_secret
from api.asgi import APP_FACTORY, SUPERVISOR_PID_VARIABLE
from api.graceful_shutdown import uvicorn_options
from catalog.settings import AtelierSettings

Background = Callable[[asyncio.Event], Awaitable[None]]
"""Runs until the event is set, then finishes its work in hand and returns."""


def serve_with_workers(
    settings: AtelierSettings, host: str, port: int, workers: int, background: Background
) -> None:
    if workers < 2:
        raise ValueError("serve_with_workers is for 2 or more workers")
    # what the workers read from the environment: the resolved services and one signing key for all
    os.environ["DATABASE_URL"] = settings.database_url or ""
    os.environ["REDIS_URL"] = settings.redis_url or ""
    os.environ["ATELIER_SECRET_KEY"] = load_or_create_secret(settings).decode()
    os.environ[SUPERVISOR_PID_VARIABLE] = str(os.getpid())  # workers stop when this process dies
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **uvicorn_options(),  # type: ignore[arg-type]
    )
    socket = config.bind_socket()
    jobs = _BackgroundLoop(background)
    jobs.start()
    try:
        Multiprocess(config, sockets=[socket]).run()
    finally:
        socket.close()
        jobs.stop()


class _BackgroundLoop:
    """``background`` on a daemon thread with its own event loop; :meth:`stop` sets its event and waits
    for it to return."""

    def __init__(self, background: Background) -> None:
        self._background = background
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="atelier-background", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._started.wait()

    def stop(self) -> None:
        if self._loop is not None and self._stop_event is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop_event.set)
        self._thread.join()

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop_event = asyncio.Event()
            self._started.set()
            await self._background(self._stop_event)

        try:
            asyncio.run(main())
        finally:
            self._started.set()  # never leave start() waiting, even when the loop failed to start
