"""How many worker processes a pool of this process should have."""

from __future__ import annotations

import os

MAX_POOL_WORKERS = 8


def pool_workers() -> int:
    """One per core this process may run on (its CPU affinity, not the machine's count), at least 1
    and at most :data:`MAX_POOL_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_POOL_WORKERS))
