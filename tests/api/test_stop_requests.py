"""The first SIGINT/SIGTERM only asks for a stop (and says so); the next one insists."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from api.stop_requests import StopRequest


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
