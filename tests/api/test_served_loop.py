"""``atelier serve`` runs on the loop uvicorn picks: uvloop, which ``uvicorn[standard]`` installs."""

from __future__ import annotations

import asyncio

import uvloop

from api.served_loop import run_served, served_loop_factory


def test_the_served_loop_is_uvloop_when_installed() -> None:
    factory = served_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def test_run_served_runs_the_coroutine_on_that_loop() -> None:
    async def main() -> str:
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop()).__module__

    assert run_served(main()).startswith("uvloop")
