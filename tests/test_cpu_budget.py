"""The CPU-budget helper fails pathological work and forgives a one-off pause."""

from __future__ import annotations

import threading
import time

import pytest

from tests.cpu_budget import run_within_cpu_budget


def _burn(seconds: float) -> None:
    started = time.thread_time()
    while time.thread_time() - started < seconds:
        pass


def test_work_slow_on_every_run_fails() -> None:
    with pytest.raises(AssertionError, match=r"fastest of 3 runs"):
        run_within_cpu_budget(lambda: _burn(0.15), 0.1, "the burn")


def test_a_pause_on_one_run_only_passes() -> None:
    runs: list[int] = []

    def paused_once() -> int:
        runs.append(1)
        if len(runs) == 1:
            _burn(0.15)
        return len(runs)

    assert run_within_cpu_budget(paused_once, 0.1) == 1  # the first run's result
    assert len(runs) == 2


def test_other_threads_cpu_is_not_counted() -> None:
    stop = threading.Event()
    spinner = threading.Thread(target=lambda: [None for _ in iter(stop.is_set, True)])
    spinner.start()
    try:
        run_within_cpu_budget(lambda: time.sleep(0.3), 0.1, "a sleep beside a busy thread")
    finally:
        stop.set()
        spinner.join()
