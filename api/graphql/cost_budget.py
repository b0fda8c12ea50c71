"""A cost budget per key (a token, or a client address) and window, kept in Redis.

**Window:** fixed, per key, starting at the key's first charge: the key's counter is created with a
time to live of one window, and every charge in that window adds to it; when it expires the next
charge opens a new window. ``resetAt`` is when the current one ends (the key's remaining TTL).

**Atomic:** one Lua script reads the counter and its TTL, refuses a charge that would pass the
budget (charging nothing, so a client retrying too early does not extend its own wait), or adds the
cost; concurrent requests of one key, on any number of API processes sharing the Redis, never
overspend.

**Fails open:** when Redis cannot be reached (refused, timed out, any Redis error) the request is let
through uncharged and a warning is logged; for :data:`RETRY_REDIS_AFTER_SECONDS`
afterwards the budget is not asked at all, so an outage costs no request a connection attempt. The
API must stay up without its rate limiter; nothing else depends on these counters.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

KEY_PREFIX = "atelier:cost:"
RETRY_REDIS_AFTER_SECONDS = 5.0
"""After Redis failed, requests skip the budget for this long before it is tried again."""
REDIS_TIMEOUT_SECONDS = 0.5
"""Connect and read timeout of a budget call: a hung Redis delays a request at most this long."""

_CHARGE = """
local cost = tonumber(ARGV[1])
local budget = tonumber(ARGV[2])
local window_ms = tonumber(ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
local used = 0
if ttl < 0 then
  redis.call('SET', KEYS[1], 0, 'PX', window_ms)
  ttl = window_ms
else
  used = tonumber(redis.call('GET', KEYS[1]))
end
if used + cost > budget then
  return {0, used, ttl}
end
used = redis.call('INCRBY', KEYS[1], cost)
return {1, used, ttl}
"""


@dataclass(frozen=True)
class Charge:
    """The outcome of charging one request: whether it may run, and the window's state after it."""

    allowed: bool
    used: int
    """Cost spent in the window, this request included when it was allowed."""
    budget: int
    reset_at: datetime
    """When the window ends (UTC)."""
    reset_in_seconds: float

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.used)

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds until the window ends (at least 1): the ``Retry-After`` of a refusal."""
        return max(1, math.ceil(self.reset_in_seconds))


class CostBudget:
    """Charges request costs against ``budget`` per ``window_seconds`` per key (see the module doc).
    One instance per process; safe for concurrent use (its Redis client is a connection pool)."""

    def __init__(self, redis_url: str, *, budget: int, window_seconds: float) -> None:
        self.budget = budget
        self.window_ms = max(1, round(window_seconds * 1000))
        self._client = redis.Redis.from_url(
            redis_url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            retry_on_timeout=False,
        )
        self._script = self._client.register_script(_CHARGE)
        self._skip_until = 0.0

    async def charge(self, key: str, cost: int) -> Charge | None:
        """Charge ``cost`` to ``key``'s window; ``None`` when Redis is unavailable (fail open)."""
        if time.monotonic() < self._skip_until:
            return None
        try:
            allowed, used, ttl_ms = await self._script(
                keys=[KEY_PREFIX + key], args=[cost, self.budget, self.window_ms]
            )
        except (RedisError, OSError, TimeoutError) as error:
            log.warning(
                "cost budget unavailable, requests run uncharged",
                extra={"fields": {"error": f"{type(error).__name__}: {error}"}},
            )
            self._skip_until = time.monotonic() + RETRY_REDIS_AFTER_SECONDS
            return None
        reset_in = int(ttl_ms) / 1000
        return Charge(
            allowed=bool(allowed),
            used=int(used),
            budget=self.budget,
            reset_at=datetime.now(UTC) + timedelta(seconds=reset_in),
            reset_in_seconds=reset_in,
        )

    async def aclose(self) -> None:
        await self._client.aclose()
