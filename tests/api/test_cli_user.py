"""``atelier user create``: a new user's time zone (naive tool times of their imports are read in it).

What failed before (a README tour probe): ``user create`` gave every user UTC unless told otherwise,
while an import that creates its user gives it ``ATELIER_TIMEZONE`` — two users made on one machine
read the same naive file times an hour or more apart depending on how they were made.
"""

from __future__ import annotations

from sqlalchemy import select

from catalog.database import SessionFactory
from catalog.models import User
from catalog.settings import AtelierSettings
from tests.api.conftest import run_atelier


async def test_a_new_users_time_zone_is_the_option_else_atelier_timezone(
    settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    paris = await run_atelier(settings, "user", "create", "ada", ATELIER_TIMEZONE="Europe/Paris")
    tokyo = await run_atelier(settings, "user", "create", "bob", "--timezone", "Asia/Tokyo")
    unknown = await run_atelier(settings, "user", "create", "cy", "--timezone", "Mars/Olympus_Mons")

    assert paris.code == 0 and tokyo.code == 0, (paris, tokyo)
    assert unknown.code == 1 and "unknown timezone 'Mars/Olympus_Mons'" in unknown.stdout + unknown.stderr
    async with session_factory() as db:
        zones = dict((await db.execute(select(User.handle, User.timezone))).tuples().all())
    assert zones == {"ada": "Europe/Paris", "bob": "Asia/Tokyo"}
