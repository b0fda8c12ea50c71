"""At most N requests of one client in progress at once, per process; the others wait their turn.

The API runs on one event loop per process: a client sending ten heavy queries at once would have
all ten interleave their CPU with everyone else's requests. With a slot per client, its requests run
one (or N) at a time while other clients' requests go on between them, so a light query of another
user waits for at most a slice of one heavy request, not for ten. Waiting costs nothing (an
``asyncio`` future); a client's waiting requests are served in arrival order.

Keys are opaque strings (the caller hashes tokens); a key's entry is dropped when its last request
leaves, so the table only holds clients with requests in progress.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class RequestSlots:
    def __init__(self, per_key: int) -> None:
        if per_key < 1:
            raise ValueError("per_key must be at least 1")
        self.per_key = per_key
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._holders: dict[str, int] = {}

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        """Hold one of ``key``'s slots for the block (waiting until one is free)."""
        semaphore = self._slots.get(key)
        if semaphore is None:
            semaphore = self._slots[key] = asyncio.Semaphore(self.per_key)
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with semaphore:
                yield
        finally:
            self._holders[key] -= 1
            if self._holders[key] == 0:
                del self._holders[key], self._slots[key]

    def in_use(self) -> int:
        """Keys with requests in progress or waiting (for tests and metrics)."""
        return len(self._slots)
