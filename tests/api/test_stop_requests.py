"""The first SIGINT/SIGTERM only asks for a stop (and says so); the next one insists."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from api.stop_requests import StopRequest
from catalog.settings import AtelierSettings
from tests.api.conftest import atelier_env


@pytest.mark.parametrize("first", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
async def test_the_first_signal_asks_and_the_second_insists(first: signal.Signals) -> None:
    loop = asyncio.get_running_loop()
    stop = StopRequest()
    announced: list[str] = []
    insisted: list[int] = []
    stop.install(loop, insist=insisted.append, announce=announced.append)
    try:
        assert stop.exit_code is None and not stop.event.is_set()

        os.kill(os.getpid(), first)
        await asyncio.wait_for(stop.event.wait(), timeout=5)
        assert stop.signal_number == first and stop.exit_code == 128 + first
        assert len(announced) == 1 and "stopping after the work in progress is stored" in announced[0]
        assert insisted == []

        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(500):
            if insisted:
                break
            await asyncio.sleep(0.01)
        assert insisted == [signal.SIGINT]
        assert stop.exit_code == 128 + first  # the exit code stays the first signal's
        assert len(announced) == 1
    finally:
        stop.remove(loop)
    # removed: the process's own handlers are back (SIGINT raises KeyboardInterrupt again)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


STUCK_COMMAND = """
import asyncio, sys
import api.cli as cli
from api.stop_requests import StopRequest

cli.ABORT_GRACE_SECONDS = 0.5

async def work(factory, settings):
    print("ready", flush=True)
    while True:  # stands in for a task stuck on its connection: it never ends, cancelled or not
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            print("cancelled", flush=True)

cli._run_with_database(work, stop=StopRequest() if sys.argv[1] == "stoppable" else None)
"""


@pytest.mark.parametrize(
    ("mode", "signals", "exit_code"),
    [
        ("plain", [signal.SIGTERM], 128 + signal.SIGTERM),
        ("stoppable", [signal.SIGINT, signal.SIGINT], 128 + signal.SIGINT),
    ],
    ids=["sigterm-cancels", "second-ctrl-c-cancels"],
)
async def test_a_cancelled_command_that_does_not_end_is_ended_at_once(
    settings: AtelierSettings, mode: str, signals: list[signal.Signals], exit_code: int
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", STUCK_COMMAND, mode,
        env=atelier_env(settings), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None and process.stderr is not None
        assert await asyncio.wait_for(process.stdout.readline(), timeout=60) == b"ready\n"
        for signum in signals:
            process.send_signal(signum)
            await asyncio.sleep(0.2)
        await asyncio.wait_for(process.wait(), timeout=20)
        stdout, stderr = await process.stdout.read(), await process.stderr.read()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert b"cancelled" in stdout  # the cancel came first, and was not enough
    assert process.returncode == exit_code
    assert b"stopped at once" in stderr
