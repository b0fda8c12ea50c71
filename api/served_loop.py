"""The event loop ``atelier serve`` runs on: the one uvicorn itself picks for the same options.

uvicorn chooses its loop only when it starts the loop (``uvicorn.run``, its ``--workers`` children);
a single ``atelier serve`` process runs ``Server.serve()`` inside a loop of its own, which was
``asyncio``'s pure-Python selector loop. With ``uvicorn[standard]`` installed uvicorn's "auto" choice
is uvloop, whose C event loop and transports cost a request far less CPU (the loop's own work was
~15 % of a page's). Every way of serving now runs on the same loop kind; without uvloop (Windows,
a trimmed install) it stays asyncio's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import uvicorn

from api.graceful_shutdown import uvicorn_options

T = TypeVar("T")


def served_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvicorn's loop factory for the options every way of serving shares (``None``: asyncio's)."""
    config = uvicorn.Config("api.app:create_app", factory=True, **uvicorn_options())  # type: ignore[arg-type]
    return config.get_loop_factory()


def run_served(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the loop uvicorn would run the server on."""
    with asyncio.Runner(loop_factory=served_loop_factory()) as runner:
        return runner.run(main)
