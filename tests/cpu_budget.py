"""CPU-time bounds for readers fed hostile input, measured so that they cannot flake.

A bound such as "no read takes more than a second" guards against work that grows with an attacker's
numbers (a quadratic parse, an unbounded inflate). It is measured as the calling thread's CPU time
(``time.thread_time``): process CPU time also counts every other thread of the pytest process (a
server or worker thread left by another test, a BLAS pool), and wall time counts the machine's
other load. A call over the bound is run again on the same input, up to ``attempts`` times in all,
and the fastest run is compared: pathological work is slow on every run, a one-off pause (a garbage
collection, a descheduled core) is not. The call must therefore be repeatable (a pure function of
its input).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def cpu_seconds(call: Callable[[], object]) -> float:
    """The calling thread's CPU seconds spent in ``call`` (its result and exceptions are dropped)."""
    started = time.thread_time()
    with contextlib.suppress(Exception):  # only the time is wanted: the first run checked the outcome
        call()
    return time.thread_time() - started


def fastest_cpu_seconds(call: Callable[[], object], budget: float, first: float, attempts: int = 3) -> float:
    """``first`` (the CPU seconds of a run already made) or, when it is over ``budget``, the fastest
    of up to ``attempts - 1`` further runs of ``call``."""
    fastest = first
    for _ in range(attempts - 1):
        if fastest < budget:
            break
        fastest = min(fastest, cpu_seconds(call))
    return fastest


def run_within_cpu_budget(call: Callable[[], T], budget: float, what: str = "call") -> T:
    """``call()``'s result; fails the test when even its fastest of three runs takes ``budget`` CPU
    seconds or more. Exceptions of the first run propagate."""
    started = time.thread_time()
    result = call()
    elapsed = fastest_cpu_seconds(call, budget, time.thread_time() - started)
    assert elapsed < budget, f"{what} took {elapsed:.2f}s of CPU (fastest of 3 runs; budget {budget}s)"
    return result
