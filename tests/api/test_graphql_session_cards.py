"""Session cards by period over the real app: a fixed clock, real imports, zones with DST changes."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, app_http, make_user_with_token
from tests.api.record_library import import_records, record
from tests.generated_copies import copy_as_generated

GROUPS = """
query($periods: [SessionPeriod!], $first: Int!, $after: String) { viewer { timezone
  sessionGroups(periods: $periods) { period title from to sessionCount
    sessions(first: $first, after: $after) {
      edges { cursor node {
        id label intent startedAt endedAt assetCount summary thumbnails(first: 4) { url } } }
      pageInfo { hasNextPage endCursor } } } } }
"""
SET_ZONE = "mutation($zone: String!) { updateViewer(timezone: $zone) { id timezone } }"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def two_records(name: str, end: datetime, tool: str) -> list[dict[str, Any]]:
    """A session of two images 4 minutes apart that ends at ``end``."""
    return [
        record(f"{name}-1", end - timedelta(minutes=4), tool, prompt=f"{name} study"),
        record(f"{name}-2", end, tool, prompt=f"{name} study"),
    ]


@asynccontextmanager
async def client_at(settings: AtelierSettings, now: datetime) -> AsyncIterator[GraphQLClient]:
    clock: Callable[[], datetime] = lambda: now  # noqa: E731 - the app's fixed clock
    async with app_http(settings, clock=clock) as http:
        yield GraphQLClient(http)


def groups_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert "errors" not in body, body
    return {group["period"]: group for group in body["data"]["viewer"]["sessionGroups"]}


def ends(group: dict[str, Any]) -> list[str]:
    return [edge["node"]["endedAt"] for edge in group["sessions"]["edges"]]


# Los Angeles: now is Sunday 2026-03-08 12:00 PDT; DST began at 02:00 that morning
LA_NOW = utc(2026, 3, 8, 19, 0)
LA_SESSIONS = {
    "a": (utc(2026, 3, 8, 8, 1), "comfyui"),  # Sun 00:01 PST, begun Sat 23:57: today (latest activity)
    "f": (utc(2026, 3, 8, 7, 50), "a1111"),  # Sat 23:50 PST: this week
    "d": (utc(2026, 3, 5, 20, 0), "comfyui"),  # Thu: this week
    "b": (utc(2026, 3, 2, 8, 30), "comfyui"),  # Mon 00:30 PST: this week
    "c": (utc(2026, 3, 2, 7, 30), "a1111"),  # Sun 2026-03-01 23:30 PST: earlier
    "e": (utc(2026, 2, 1, 20, 0), "comfyui"),  # earlier
}


async def test_groups_follow_the_viewers_zone_across_midnight_week_start_and_dst(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    records = [line for name, (end, tool) in LA_SESSIONS.items() for line in two_records(name, end, tool)]
    await import_records(session_factory, settings, tmp_path / "records", "ada", records)
    token = await make_user_with_token(session_factory, "ada")

    async with client_at(settings, LA_NOW) as client:
        in_utc = groups_of(await client.query(GROUPS, token, first=20))
        changed = await client.query(SET_ZONE, token, zone="America/Los_Angeles")
        in_la = groups_of(await client.query(GROUPS, token, first=20))

    iso = {name: end.isoformat() for name, (end, _) in LA_SESSIONS.items()}
    assert in_utc["TODAY"]["from"] == "2026-03-08T00:00:00+00:00"
    assert ends(in_utc["TODAY"]) == [iso["a"], iso["f"]]
    assert ends(in_utc["THIS_WEEK"]) == [iso["d"], iso["b"], iso["c"]]
    assert changed["data"] == {
        "updateViewer": {"id": changed["data"]["updateViewer"]["id"], "timezone": "America/Los_Angeles"}
    }
    assert [group["period"] for group in in_la.values()] == ["TODAY", "THIS_WEEK", "EARLIER"]
    assert [group["title"] for group in in_la.values()] == ["Today", "This week", "Earlier"]
    assert ends(in_la["TODAY"]) == [iso["a"]]
    assert ends(in_la["THIS_WEEK"]) == [iso["f"], iso["d"], iso["b"]]
    assert ends(in_la["EARLIER"]) == [iso["c"], iso["e"]]
    assert [in_la[p]["sessionCount"] for p in ("TODAY", "THIS_WEEK", "EARLIER")] == [1, 3, 2]
    assert (in_la["TODAY"]["from"], in_la["TODAY"]["to"]) == ("2026-03-08T08:00:00+00:00", None)
    assert (in_la["THIS_WEEK"]["from"], in_la["THIS_WEEK"]["to"]) == (
        "2026-03-02T08:00:00+00:00",
        "2026-03-08T08:00:00+00:00",
    )
    assert (in_la["EARLIER"]["from"], in_la["EARLIER"]["to"]) == (None, "2026-03-02T08:00:00+00:00")
    today = in_la["TODAY"]["sessions"]["edges"][0]["node"]
    assert today["startedAt"] == (LA_SESSIONS["a"][0] - timedelta(minutes=4)).isoformat()
    assert today["assetCount"] == 2 and today["label"] and today["intent"] and today["summary"] is None


async def test_auckland_groups_around_midnight_and_the_fall_back_change(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    sessions = {
        "g": (utc(2026, 4, 4, 11, 30), "comfyui"),  # Sun 2026-04-05 00:30 NZDT: today
        "h": (utc(2026, 4, 4, 10, 30), "a1111"),  # Sat 23:30 NZDT: this week
        "i": (utc(2026, 3, 29, 11, 30), "comfyui"),  # Mon 2026-03-30 00:30 NZDT: this week
        "j": (utc(2026, 3, 29, 10, 30), "a1111"),  # Sun 2026-03-29 23:30 NZDT: earlier
    }
    records = [line for name, (end, tool) in sessions.items() for line in two_records(name, end, tool)]
    await import_records(session_factory, settings, tmp_path / "records", "kiri", records)
    token = await make_user_with_token(session_factory, "kiri")
    iso = {name: end.isoformat() for name, (end, _) in sessions.items()}

    # Sunday 2026-04-05 12:00 NZST (+12), after clocks went back at 03:00
    async with client_at(settings, utc(2026, 4, 5, 0, 0)) as client:
        await client.query(SET_ZONE, token, zone="Pacific/Auckland")
        groups = groups_of(await client.query(GROUPS, token, first=20))
    assert ends(groups["TODAY"]) == [iso["g"]]
    assert ends(groups["THIS_WEEK"]) == [iso["h"], iso["i"]]
    assert ends(groups["EARLIER"]) == [iso["j"]]
    assert groups["TODAY"]["from"] == "2026-04-04T11:00:00+00:00"
    assert groups["THIS_WEEK"]["from"] == "2026-03-29T11:00:00+00:00"

    # one minute before that Sunday's midnight, g is still in the future (today) and h is today
    async with client_at(settings, utc(2026, 4, 4, 10, 59)) as client:
        saturday = groups_of(await client.query(GROUPS, token, first=20))
    assert ends(saturday["TODAY"]) == [iso["g"], iso["h"]]
    assert ends(saturday["THIS_WEEK"]) == [iso["i"]]


async def test_a_group_pages_through_its_own_sessions_only(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    start = utc(2026, 1, 5, 20, 0)
    records = [
        line for day in range(7) for line in two_records(f"s{day}", start + timedelta(days=day), "comfyui")
    ]
    await import_records(session_factory, settings, tmp_path / "records", "ada", records)
    token = await make_user_with_token(session_factory, "ada")
    seen: list[str] = []
    after = None
    async with client_at(settings, utc(2026, 3, 1, 12, 0)) as client:
        while True:
            body = await client.query(GROUPS, token, periods=["EARLIER"], first=3, after=after)
            (group,) = body["data"]["viewer"]["sessionGroups"]
            seen += ends(group)
            if not group["sessions"]["pageInfo"]["hasNextPage"]:
                break
            after = group["sessions"]["pageInfo"]["endCursor"]
        assert group["sessionCount"] == 7
        wrong_group = await client.query(GROUPS, token, periods=["TODAY"], first=3, after=after)
        twice = await client.query(GROUPS, token, periods=["TODAY", "TODAY"], first=3)
        empty = groups_of(await client.query(GROUPS, token, periods=["TODAY", "THIS_WEEK"], first=3))
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 7
    assert wrong_group["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "another period" in wrong_group["errors"][0]["message"]
    assert twice["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert [group["sessionCount"] for group in empty.values()] == [0, 0]
    assert all(group["sessions"]["edges"] == [] for group in empty.values())


async def test_cards_show_thumbnails_and_never_another_users_sessions(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    fixtures_dir: Path,
    tmp_path: Path,
) -> None:
    outputs = copy_as_generated(sorted((fixtures_dir / "images" / "ComfyUI").iterdir()), tmp_path / "outputs")
    await import_paths(session_factory, settings, user_handle="ada", paths=outputs)
    await import_records(
        session_factory,
        settings,
        tmp_path / "records",
        "bob",
        two_records("bob", utc(2026, 3, 14, 21), "a1111"),
    )
    ada = await make_user_with_token(session_factory, "ada")
    bob = await make_user_with_token(session_factory, "bob")
    async with client_at(settings, utc(2026, 3, 14, 23, 0)) as client:  # the fixtures' evening
        ada_groups = groups_of(await client.query(GROUPS, ada, first=50))
        bob_groups = groups_of(await client.query(GROUPS, bob, first=50))
    ada_cards = [edge["node"] for group in ada_groups.values() for edge in group["sessions"]["edges"]]
    bob_cards = [edge["node"] for group in bob_groups.values() for edge in group["sessions"]["edges"]]
    assert ada_cards and ada_groups["TODAY"]["sessionCount"] == len(ada_cards)  # all that evening
    assert any(card["thumbnails"] for card in ada_cards)
    assert all(len(card["thumbnails"]) <= 4 for card in ada_cards)
    assert [card["assetCount"] for card in bob_cards] == [2]
    assert not {card["id"] for card in ada_cards} & {card["id"] for card in bob_cards}
    assert sum(group["sessionCount"] for group in bob_groups.values()) == 1


async def test_groups_cost_a_fixed_number_of_statements(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    start = utc(2026, 2, 20, 20, 0)
    records = [
        line
        for hour in range(0, 24 * 14, 12)
        for line in two_records(f"s{hour}", start + timedelta(hours=hour), "comfyui")
    ]
    await import_records(session_factory, settings, tmp_path / "records", "ada", records)
    token = await make_user_with_token(session_factory, "ada")
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    async with client_at(settings, utc(2026, 3, 5, 12, 0)) as client:
        await client.query(GROUPS, token, first=1)  # warm-up: the token's last_used_at is written once
        event.listen(Engine, "before_cursor_execute", count)
        try:
            sizes = {}
            for first in (2, 50):
                statements.clear()
                body = await client.query(GROUPS, token, first=first)
                assert "errors" not in body, body
                sizes[first] = len(statements)
        finally:
            event.remove(Engine, "before_cursor_execute", count)
    kinds = Counter(" ".join(statement.split())[:60] for statement in statements)
    # authentication + group pages + group counts + thumbnails + summaries
    assert sizes[2] == sizes[50], kinds
    assert sizes[50] <= 6, kinds


async def test_update_viewer_refuses_unknown_zones_and_read_only_tokens(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    read_only = await make_user_with_token(session_factory, "ada", scopes=["library:read"])
    for bad in ("Mars/Olympus_Mons", "", "localtime", "../../etc/passwd", "x" * 300):
        body = await client.query(SET_ZONE, token, zone=bad)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
        assert "unknown time zone" in body["errors"][0]["message"]
    hint = await client.query(SET_ZONE, token, zone="europe/paris")
    assert "did you mean 'Europe/Paris'?" in hint["errors"][0]["message"]
    refused = await client.query(SET_ZONE, read_only, zone="Europe/Paris")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "library:write" in refused["errors"][0]["message"]
    unchanged = await client.query("{ viewer { timezone } }", token)
    assert unchanged["data"] == {"viewer": {"timezone": "UTC"}}
    fine = await client.query(SET_ZONE, token, zone="Europe/Paris")
    assert fine["data"]["updateViewer"]["timezone"] == "Europe/Paris"
    assert (await client.query("{ viewer { timezone } }", read_only))["data"]["viewer"][
        "timezone"
    ] == "Europe/Paris"


async def test_session_groups_need_library_read(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada", scopes=["credits:read"])
    body = await client.query(GROUPS, token, first=5)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
