"""The viewer's time zone: validating IANA names and storing the user's choice.

A user's ``timezone`` interprets naive times in files imported *afterwards* (already imported assets
keep their times) and sets where "today" and "this week" begin for session cards
(:mod:`catalog.sessions.periods`), at once.

Valid names are the IANA zone names this machine's time zone database lists
(:func:`zoneinfo.available_timezones`, read once per process), e.g. ``Europe/Paris``, ``UTC``,
``America/Los_Angeles``; ``localtime`` and ``posixrules`` are files there, not zones, and are refused.
"""

from __future__ import annotations

import functools
import uuid
import zoneinfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import User

TIME_ZONE_MAX_CHARS = 64
"""The ``users.timezone`` column's length (the longest IANA name is 32 characters)."""
_NOT_ZONES = frozenset({"localtime", "posixrules"})


class InvalidTimeZone(ValueError):
    """Not an IANA time zone name; the message says what was given and, when it is only a matter of
    letter case, the name meant."""


@functools.cache
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - _NOT_ZONES)


@functools.cache
def _by_folded_case() -> dict[str, str]:
    return {name.casefold(): name for name in known_time_zones()}


def checked_time_zone(name: str) -> str:
    """``name`` when it is a known IANA zone name (exact spelling), else :class:`InvalidTimeZone`."""
    if name in known_time_zones():
        return name
    shown = name if len(name) <= TIME_ZONE_MAX_CHARS else name[:TIME_ZONE_MAX_CHARS] + "…"
    hint = _by_folded_case().get(name.strip().casefold())
    if hint is not None:
        raise InvalidTimeZone(f"unknown time zone {shown!r}; did you mean {hint!r}?")
    raise InvalidTimeZone(
        f"unknown time zone {shown!r}: give an IANA name such as 'Europe/Paris', 'America/Los_Angeles' "
        "or 'UTC'"
    )


async def set_user_time_zone(session: AsyncSession, user_id: uuid.UUID, name: str) -> str:
    """Store ``name`` (checked with :func:`checked_time_zone`) as the user's zone; returns it.
    The caller commits."""
    zone = checked_time_zone(name)
    await session.execute(update(User).where(User.id == user_id).values(timezone=zone))
    return zone
