"""How many worker processes a pool of this process should have, and how a worker treats Ctrl-C."""

from __future__ import annotations

import os
import signal

MAX_POOL_WORKERS = 8


def pool_workers() -> int:
    """One per core this process may run on (its CPU affinity, not the machine's count), at least 1
    and at most :data:`MAX_POOL_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_POOL_WORKERS))


def leave_ctrl_c_to_parent() -> None:
    """For a pool worker's initializer (call it first): ignore SIGINT, and write no signal to the
    parent's event loop. Ctrl-C in a terminal reaches the whole process group; the parent decides what
    stops and shuts its pool down, whereas a worker's own ``KeyboardInterrupt`` would only come back to
    it as a task's result. A forked worker also inherits the parent loop's signal wake-up socket
    (``signal.set_wakeup_fd``): a signal the worker took would be read by the parent as a second
    signal of its own — "stop at once" — so a group Ctrl-C could end an import without its summary."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
