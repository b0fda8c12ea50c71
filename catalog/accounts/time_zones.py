"""The viewer's time zone: validating IANA names and storing the user's choice.

A user's ``timezone`` interprets naive times in files imported *afterwards* (already imported assets
keep their times) and sets where "today" and "this week" begin for session cards
(:mod:`catalog.sessions.periods`), at once.

Valid names are the IANA zone names this machine's time zone database lists
(:func:`zoneinfo.available_timezones`, read once per process), e.g. ``Europe/Paris``, ``UTC``,
``America/Los_Angeles``; ``localtime`` and ``posixrules`` are files there, not zones, and are refused.
:func:`checked_time_zone` is the one rule for every zone name given to Atelier: ``updateViewer``,
``atelier user create --timezone`` (:func:`catalog.accounts.service.create_user`) and the
``ATELIER_TIMEZONE`` setting new users get.

A zone already stored is used as stored (:func:`stored_time_zone`); one this machine does not know — a
name stored before names were checked, or one since removed from the time zone database
(``US/Pacific-New``, gone in tzdata 2020b) — is read as UTC, so the artist's imports, session cards and
reflections keep working (naive times are read, and days begin, in UTC) until they choose a zone again.

Only storing a zone (:func:`set_user_time_zone`) needs the database: its imports are made there, so the
name rules load nothing of SQLAlchemy or the models for their other users — the settings, and the image
reading of ``atelier inspect``/``analyze`` and of import pool workers (:mod:`catalog.importing.file_reading`).
"""

from __future__ import annotations

import functools
import uuid
import zoneinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

TIME_ZONE_MAX_CHARS = 64
"""The ``users.timezone`` column's length (the longest IANA name is 32 characters)."""
_NOT_ZONES = frozenset({"localtime", "posixrules"})


class InvalidTimeZone(ValueError):
    """Not an IANA time zone name; the message says what was given and, when it is only a matter of
    letter case, the name meant. ``shown`` (the name given, cut to :data:`TIME_ZONE_MAX_CHARS`) and
    ``advice`` (what to give instead) let a caller word the message its own way."""

    def __init__(self, shown: str, advice: str, separator: str = ":") -> None:
        super().__init__(f"unknown time zone {shown!r}{separator} {advice}")
        self.shown = shown
        self.advice = advice


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
        raise InvalidTimeZone(shown, f"did you mean {hint!r}?", separator=";")
    raise InvalidTimeZone(shown, "give an IANA name such as 'Europe/Paris', 'America/Los_Angeles' or 'UTC'")


def stored_time_zone(name: str | None) -> ZoneInfo:
    """The user's stored zone ``name``; UTC when none is stored or this machine does not know it (see
    the module docstring). Never raises."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):  # not found, not a key, not a TZif file
        return ZoneInfo("UTC")


async def set_user_time_zone(session: AsyncSession, user_id: uuid.UUID, name: str) -> str:
    """Store ``name`` (checked with :func:`checked_time_zone`) as the user's zone; returns it.
    The caller commits."""
    from sqlalchemy import update  # here, not above: see the module docstring

    from catalog.models import User

    zone = checked_time_zone(name)
    await session.execute(update(User).where(User.id == user_id).values(timezone=zone))
    return zone
