"""``updateViewer`` (``api/graphql/viewer_settings.py``): the zone a request answers is the zone stored,
and every way a zone reaches a user (``updateViewer``, ``ATELIER_TIMEZONE``, ``atelier user create
--timezone``) takes the same names (``catalog.accounts.time_zones.checked_time_zone``).

(Its refusals of unknown zones and read-only tokens are pinned with the session cards, in
``test_graphql_session_cards.py``.)"""

from __future__ import annotations

import zoneinfo
from pathlib import Path

import pytest
from pydantic import ValidationError

from catalog.accounts.service import AccountError, create_user
from catalog.accounts.time_zones import known_time_zones
from catalog.database import SessionFactory, unit_of_work
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings, load_settings
from catalog.settings_error import SettingsError
from tests.api.conftest import GraphQLClient, app_http, make_user_with_token
from tests.api.record_library import record, write_records

SET_ZONE = "mutation($zone: String!) { updateViewer(timezone: $zone) { id timezone } }"
FILES_NOT_ZONES = ("posixrules", "localtime", "right/UTC", "posix/Europe/Paris")
"""Files of the time zone database that ``ZoneInfo`` may load but that are no IANA zone names."""


async def test_two_update_viewer_fields_in_one_document_agree_with_the_stored_zone(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    """`updateViewer`: "arguments left out stay as they are. Returns the viewer with them applied". Found
    by a time-semantics probe: the second field answered the zone read when the request was
    authenticated (UTC), and grouped its cards by it, although the first had stored Asia/Tokyo."""
    token = await make_user_with_token(session_factory, "ada")
    body = await client.query(
        'mutation { a: updateViewer(timezone: "Asia/Tokyo") { timezone } '
        "b: updateViewer { timezone sessionGroups(periods: [TODAY]) { from } } "
        'c: updateViewer(timezone: "Europe/Paris") { timezone } '
        "d: updateViewer { timezone } }",
        token,
    )
    assert "errors" not in body, body
    stored = (await client.query("{ viewer { timezone } }", token))["data"]["viewer"]["timezone"]
    assert stored == "Europe/Paris"
    answered = {alias: field["timezone"] for alias, field in body["data"].items()}
    assert answered == {"a": "Asia/Tokyo", "b": "Asia/Tokyo", "c": "Europe/Paris", "d": "Europe/Paris"}
    (today,) = body["data"]["b"]["sessionGroups"]
    assert today["from"].endswith("T15:00:00+00:00"), today  # midnight in Tokyo


async def test_a_refused_zone_stores_nothing_after_an_accepted_one(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    body = await client.query(
        'mutation { a: updateViewer(timezone: "Asia/Tokyo") { timezone } '
        'b: updateViewer(timezone: "Mars/Olympus") { timezone } c: updateViewer { timezone } }',
        token,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert body["data"] is None  # a non-null root field failed
    stored = (await client.query("{ viewer { timezone } }", token))["data"]["viewer"]["timezone"]
    assert stored == "Asia/Tokyo"


def test_atelier_timezone_takes_exactly_the_zones_update_viewer_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README: a new user gets ATELIER_TIMEZONE; updateViewer refuses `localtime`/`posixrules` as
    "files there, not zones". Found by a time-semantics probe: the setting took any name ``ZoneInfo``
    loads, so a user created by an import got a zone they could not set again."""
    for name in FILES_NOT_ZONES:
        monkeypatch.setenv("ATELIER_TIMEZONE", name)
        with pytest.raises(SettingsError) as refused:
            load_settings()
        assert str(refused.value).startswith(
            f"ATELIER_TIMEZONE: unknown time zone {name!r}: give an IANA name"
        )
    monkeypatch.setenv("ATELIER_TIMEZONE", "europe/paris")
    with pytest.raises(SettingsError, match="did you mean 'Europe/Paris'"):
        load_settings()
    for name in sorted(zoneinfo.available_timezones() | set(FILES_NOT_ZONES)):
        try:
            AtelierSettings(home=tmp_path, timezone=name)
        except ValidationError:
            assert name not in known_time_zones(), name
        else:
            assert name in known_time_zones(), name


async def test_a_new_users_zone_is_one_update_viewer_accepts(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    for name in FILES_NOT_ZONES:
        async with unit_of_work(session_factory) as db:
            with pytest.raises(AccountError, match=f"unknown timezone {name!r}: give an IANA name"):
                await create_user(db, "ada", timezone=name)
    local = settings.model_copy(update={"timezone": "Asia/Kathmandu"})
    path = write_records(tmp_path / "r", [record("s-1", None, prompt="fox")])
    await import_paths(session_factory, local, user_handle="ada", paths=[path])  # creates ada
    token = await make_user_with_token(session_factory, "ada")
    async with app_http(settings) as http:
        client = GraphQLClient(http)
        zone = (await client.query("{ viewer { timezone } }", token))["data"]["viewer"]["timezone"]
        again = await client.query(SET_ZONE, token, zone=zone)
    assert zone == "Asia/Kathmandu"
    assert "errors" not in again and again["data"]["updateViewer"]["timezone"] == zone, again
