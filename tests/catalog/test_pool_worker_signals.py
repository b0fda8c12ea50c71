"""Pool workers leave signals to their parent: a signal a forked worker takes must not reach the parent's
event loop through the wake-up socket the worker inherited (the parent read it as a second Ctrl-C and
stopped at once, without the import's summary — seen under load with Ctrl-C sent to the process group)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor

from catalog.importing.file_reading import init_pool_worker


def _worker_signal_state() -> tuple[int, bool]:
    """In a worker: the wake-up fd it holds (clearing it) and whether SIGINT is ignored."""
    return signal.set_wakeup_fd(-1), signal.getsignal(signal.SIGINT) is signal.SIG_IGN


async def test_a_forked_pool_worker_keeps_no_wakeup_fd_of_the_parent_loop_and_ignores_ctrl_c() -> None:
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, lambda: None)  # as the CLI's StopRequest does
    try:
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("fork"),
            initializer=init_pool_worker,
            initargs=(os.getpid(),),
        )
        try:
            wakeup_fd, ignores_ctrl_c = await asyncio.wrap_future(pool.submit(_worker_signal_state))
        finally:
            pool.shutdown(wait=True)
    finally:
        loop.remove_signal_handler(signal.SIGINT)
    assert wakeup_fd == -1
    assert ignores_ctrl_c
