"""A ``redis://`` server that accepts connections and reads, but never answers: a Redis behind a dead
proxy or on a stopped VM (a real loopback socket, no Redis double)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator

import httpx

from api.app import create_app
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient


@contextlib.contextmanager
def silent_redis() -> Iterator[str]:
    """A ``redis://`` URL whose server accepts connections and reads, but never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in accepted:
            connection.close()
        listener.close()


@contextlib.asynccontextmanager
async def client_with_silent_redis(settings: AtelierSettings) -> AsyncIterator[GraphQLClient]:
    """The real app (ASGI, lifespan run) whose ``REDIS_URL`` is a :func:`silent_redis`."""
    with silent_redis() as url:
        app = create_app(settings.model_copy(update={"redis_url": url, "prompt_embeddings": False}))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://atelier.test") as http:
                yield GraphQLClient(http)
