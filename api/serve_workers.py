"""``atelier serve --workers N``: N uvicorn worker processes serving one port.

The parent does what must happen once — embedded servers, migrations, the demo import (all before
this module is reached), the secret key, the arq worker and watched folders (``background``, on a
thread with its own event loop) — and supervises the workers with uvicorn's ``Multiprocess``
(a worker that dies is replaced). Each worker imports the app by its factory
(:data:`api.asgi.APP_FACTORY`) and only serves HTTP.

Listening (Linux): each worker listens on a socket of its own, bound to the same address with
``SO_REUSEPORT``, and the kernel spreads new connections over them evenly (by a hash of each
connection's addresses). With one socket shared by every worker, the worker that wakes first
accepts every connection waiting, and keep-alive clients stay where they landed: 20 clients
connecting in a row were split 20/0, 14/6, 3/17 and 11/9 over two workers in four runs of
``bench/api_bench.py``'s load (at 20/0 the second worker served nothing: 219 requests/s against
335 when balanced). The parent binds the address first (uvicorn's own bind: same checks, same
error and "running on" line), then holds it with a ``SO_REUSEPORT`` socket that never listens, so
it takes no connection. Elsewhere (``SO_REUSEPORT`` does not balance on macOS or BSD), one socket
is shared as before.

Shutdown: SIGTERM or SIGINT to the parent makes uvicorn's supervisor send SIGTERM to every worker and
wait for them (each drains its requests in flight, up to ``HTTP_DRAIN_SECONDS``); then the background
loop is told to stop and finishes the jobs in hand, and the parent returns (its caller stops the
embedded servers).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import cast

import uvicorn
from uvicorn.supervisors import Multiprocess

from api.asgi import APP_FACTORY, SUPERVISOR_PID_VARIABLE
from api.graceful_shutdown import uvicorn_options
from catalog.secret_keys import load_or_create_secret
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
    held, listeners = _listeners(config)
    jobs = _BackgroundLoop(background)
    jobs.start()
    try:
        Multiprocess(config, sockets=listeners).run()
    finally:
        held.close()
        jobs.stop()


KERNEL_BALANCES_REUSE_PORT = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _listeners(config: uvicorn.Config) -> tuple[socket.socket, list[socket.socket]]:
    """The socket this process holds the address with, and the sockets uvicorn hands every worker
    (see the module docstring)."""
    shared = config.bind_socket()  # exits with uvicorn's error when the address is taken
    if not KERNEL_BALANCES_REUSE_PORT:
        return shared, [shared]
    family, address = socket.AddressFamily(shared.family), shared.getsockname()  # port 0 resolved
    shared.close()  # never listened: the address is free again at once
    return reuse_port_socket(family, address), [cast(socket.socket, _OwnSocketPerWorker(family, address))]


def reuse_port_socket(family: socket.AddressFamily, address: tuple[object, ...]) -> socket.socket:
    """A TCP socket bound to ``address`` with ``SO_REUSEPORT`` (not listening yet)."""
    bound = socket.socket(family, socket.SOCK_STREAM)
    try:
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        bound.bind(address)
    except BaseException:
        bound.close()
        raise
    return bound


class _OwnSocketPerWorker:
    """Stands for the listening socket in the list uvicorn sends each worker it spawns: unpickled in
    the worker, it is a socket of that worker's own, bound to ``address`` with ``SO_REUSEPORT``
    (:func:`reuse_port_socket`), which uvicorn then listens on. A replacement for a worker that died
    binds a new one the same way."""

    def __init__(self, family: socket.AddressFamily, address: tuple[object, ...]) -> None:
        self.family = family
        self.address = address

    def __reduce__(self) -> tuple[object, tuple[socket.AddressFamily, tuple[object, ...]]]:
        return reuse_port_socket, (self.family, self.address)


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
