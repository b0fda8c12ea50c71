"""Time as an artist in a non-UTC zone meets it, over the real app (in-process ASGI client, real
database). Pinned here:

1. session card periods (``viewer.sessionGroups``): where "today" and "this week" begin in the viewer's
   zone around midnight, on DST days (a 25-hour and a 23-hour day), in 30-minute and +14 zones, and that
   sessions ending in the future count as today;
2. ``updateViewer`` refuses names that are no IANA zones (case, blanks, NUL, files of the database such
   as ``posixrules``, removed zones), and a stored zone this machine no longer knows reads as UTC;
3. naive times (EXIF, records) are read in the zone set before the import, offsets are kept, and a naive
   EXIF time in the repeated or skipped hour follows the README's rule;
4. gallery time filters: offset-aware bounds only, inclusive ``from`` and exclusive ``to``, bad bounds
   are ``BAD_USER_INPUT``;
5. cursors page through equal times and the fall-back hour without loss or repeat, reflections date the
   session by the artist's days, and a session label counts the real minutes across spring forward.

Where each defect the probe that wrote these found is pinned: ``tests/api/test_graphql_viewer_settings.py``
(two ``updateViewer`` fields, ``ATELIER_TIMEZONE``), ``tests/catalog/test_unknown_time_zones.py`` (imports
of a user whose zone is gone), ``tests/reflection/test_session_inputs.py`` (a reflection across the
fall-back hour), ``tests/api/test_analyze_command.py`` and ``tests/engine/test_local_times.py`` (durations
across spring forward)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import text

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, app_http, make_user_with_token
from tests.api.record_library import import_records, record, write_records

GROUPS = """
query($periods: [SessionPeriod!], $first: Int!, $after: String) { viewer { timezone
  sessionGroups(periods: $periods) { period title from to sessionCount
    sessions(first: $first, after: $after) {
      edges { cursor node { id startedAt endedAt assetCount } }
      pageInfo { hasNextPage endCursor } } } } }
"""
SET_ZONE = "mutation($zone: String!) { updateViewer(timezone: $zone) { id timezone } }"
GALLERY = """
query($first: Int!, $after: String, $filter: AssetFilter) { viewer {
  assets(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id fileName createdAt } } pageInfo { hasNextPage endCursor } } } }
"""


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def two_records(name: str, end: datetime, tool: str = "comfyui") -> list[dict[str, Any]]:
    return [
        record(f"{name}-1", end - timedelta(minutes=4), tool, prompt=f"{name} study"),
        record(f"{name}-2", end, tool, prompt=f"{name} study"),
    ]


@asynccontextmanager
async def client_at(settings: AtelierSettings, now: datetime) -> AsyncIterator[GraphQLClient]:
    clock: Callable[[], datetime] = lambda: now  # noqa: E731
    async with app_http(settings, clock=clock) as http:
        yield GraphQLClient(http)


def groups_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert "errors" not in body, body
    return {group["period"]: group for group in body["data"]["viewer"]["sessionGroups"]}


def ends(group: dict[str, Any]) -> list[str]:
    return [edge["node"]["endedAt"] for edge in group["sessions"]["edges"]]


# ---------------------------------------------------------------------------------------------
# 1. periods around midnight, DST days, 30-minute and +14 zones


async def test_new_york_fall_back_day_periods(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    sessions = {
        "today_first_0030": utc(2026, 11, 1, 4, 30),  # Sun 00:30 EDT
        "today_second_0130": utc(2026, 11, 1, 6, 30),  # Sun 01:30 EST (second 01:30)
        "sat_2350": utc(2026, 11, 1, 3, 50),  # Sat 23:50 EDT: this week
        "mon_0030": utc(2026, 10, 26, 4, 30),  # Mon 2026-10-26 00:30 EDT: this week
        "sun_2330": utc(2026, 10, 26, 3, 30),  # Sun 2026-10-25 23:30 EDT: earlier
    }
    tools = ["comfyui", "midjourney", "a1111", "comfyui", "a1111"]
    records = [
        line
        for (name, end), tool in zip(sessions.items(), tools, strict=True)
        for line in two_records(name, end, tool)
    ]
    await import_records(session_factory, settings, tmp_path / "r", "ada", records)
    token = await make_user_with_token(session_factory, "ada")
    iso = {name: end.isoformat() for name, end in sessions.items()}
    # Sunday 2026-11-01 23:30 EST (a 25-hour day)
    async with client_at(settings, utc(2026, 11, 2, 4, 30)) as client:
        await client.query(SET_ZONE, token, zone="America/New_York")
        groups = groups_of(await client.query(GROUPS, token, first=20))
    assert groups["TODAY"]["from"] == "2026-11-01T04:00:00+00:00"
    assert groups["THIS_WEEK"]["from"] == "2026-10-26T04:00:00+00:00"
    assert ends(groups["TODAY"]) == [iso["today_second_0130"], iso["today_first_0030"]]
    assert ends(groups["THIS_WEEK"]) == [iso["sat_2350"], iso["mon_0030"]]
    assert ends(groups["EARLIER"]) == [iso["sun_2330"]]


async def test_spring_forward_berlin_and_new_york_today_start(
    session_factory: SessionFactory, settings: AtelierSettings
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    async with client_at(settings, utc(2026, 3, 8, 12, 0)) as client:
        await client.query(SET_ZONE, token, zone="America/New_York")
        ny = groups_of(await client.query(GROUPS, token, first=1))
    async with client_at(settings, utc(2026, 3, 29, 12, 0)) as client:
        await client.query(SET_ZONE, token, zone="Europe/Berlin")
        berlin = groups_of(await client.query(GROUPS, token, first=1))
    assert ny["TODAY"]["from"] == "2026-03-08T05:00:00+00:00"  # midnight EST, day of 23 hours
    assert ny["THIS_WEEK"]["from"] == "2026-03-02T05:00:00+00:00"
    assert berlin["TODAY"]["from"] == "2026-03-28T23:00:00+00:00"
    assert berlin["THIS_WEEK"]["from"] == "2026-03-22T23:00:00+00:00"


async def test_half_hour_and_plus_fourteen_zones_around_midnight(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    sessions = {
        "k_mon_0001": utc(2026, 3, 8, 18, 35),  # Kolkata Mon 2026-03-09 00:05 (begun 00:01)
        "k_sun_2359": utc(2026, 3, 8, 18, 29),  # Kolkata Sun 23:59
    }
    records = [
        *two_records("k_mon_0001", sessions["k_mon_0001"], "comfyui"),
        *two_records("k_sun_2359", sessions["k_sun_2359"], "a1111"),
    ]
    await import_records(session_factory, settings, tmp_path / "r", "ada", records)
    token = await make_user_with_token(session_factory, "ada")
    async with client_at(settings, utc(2026, 3, 9, 6, 0)) as client:  # Mon 11:30 IST
        await client.query(SET_ZONE, token, zone="Asia/Kolkata")
        kolkata = groups_of(await client.query(GROUPS, token, first=20))
        await client.query(SET_ZONE, token, zone="Pacific/Kiritimati")
        kiri = groups_of(await client.query(GROUPS, token, first=20))  # Mon 20:00 +14
    assert kolkata["TODAY"]["from"] == "2026-03-08T18:30:00+00:00"
    assert kolkata["THIS_WEEK"]["from"] == kolkata["THIS_WEEK"]["to"] == "2026-03-08T18:30:00+00:00"
    assert ends(kolkata["TODAY"]) == [sessions["k_mon_0001"].isoformat()]
    assert ends(kolkata["THIS_WEEK"]) == []
    assert ends(kolkata["EARLIER"]) == [sessions["k_sun_2359"].isoformat()]
    # Kiritimati: Monday began 2026-03-08T10:00Z, both sessions are today
    assert kiri["TODAY"]["from"] == "2026-03-08T10:00:00+00:00"
    assert kiri["TODAY"]["sessionCount"] == 2


async def test_future_sessions_count_as_today(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    future = utc(2026, 3, 11, 4, 30)  # Wed 2026-03-11 00:30 EDT: tomorrow local
    await import_records(session_factory, settings, tmp_path / "r", "ada", two_records("f", future))
    token = await make_user_with_token(session_factory, "ada")
    async with client_at(settings, utc(2026, 3, 11, 3, 30)) as client:  # Tue 23:30 EDT
        await client.query(SET_ZONE, token, zone="America/New_York")
        groups = groups_of(await client.query(GROUPS, token, first=20))
    assert ends(groups["TODAY"]) == [future.isoformat()]


# ---------------------------------------------------------------------------------------------
# 2. updateViewer


async def test_update_viewer_refuses_non_iana_spellings(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    for bad in (
        "utc",
        "+02:00",
        "UTC+2",
        " Europe/Paris",
        "Europe/Paris\x00",
        "posixrules",
        "right/UTC",
        "posix/Europe/Paris",
        "US/Pacific-New",
        "é" * 10_000,
    ):
        body = await client.query(SET_ZONE, token, zone=bad)
        assert body.get("data") is None, (bad, body)  # NUL: refused as a variable, no data key
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (bad, body)
        assert len(body["errors"][0]["message"]) < 400
    for good in ("UTC", "Etc/GMT-14", "Asia/Kolkata", "Pacific/Kiritimati"):
        body = await client.query(SET_ZONE, token, zone=good)
        assert body["data"]["updateViewer"]["timezone"] == good, body


async def test_a_stored_zone_this_machine_no_longer_knows_gives_utc_cards(
    session_factory: SessionFactory, settings: AtelierSettings
) -> None:
    """US/Pacific-New (removed in tzdata 2020b) stored earlier: the cards fall back to UTC rather than
    failing (``catalog.accounts.time_zones.stored_time_zone``; imports: ``tests/catalog``)."""
    token = await make_user_with_token(session_factory, "ada")
    async with session_factory() as db, db.begin():
        await db.execute(text("UPDATE users SET timezone = 'US/Pacific-New' WHERE handle = 'ada'"))
    async with client_at(settings, utc(2026, 3, 2, 12)) as client:
        body = await client.query(GROUPS, token, first=5)
    assert body["data"]["viewer"]["timezone"] == "US/Pacific-New"
    assert groups_of(body)["TODAY"]["from"] == "2026-03-02T00:00:00+00:00"


# ---------------------------------------------------------------------------------------------
# 3. naive vs offset times


def _jpeg_with_exif(original: str, offset: str | None, shade: int) -> bytes:
    image = Image.new("RGB", (64, 48), (shade, 40, 200 - shade))
    exif = Image.Exif()
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = original
    if offset is not None:
        ifd[0x9011] = offset
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


UPLOAD = """mutation($files: [Upload!]!, $lastModified: [DateTime!]) {
  uploadAssets(files: $files, lastModified: $lastModified) {
    results { fileName outcome reason asset { fileName createdAt createdAtSource } } } }"""


async def test_exif_naive_time_read_in_viewer_zone_and_offset_kept(
    session_factory: SessionFactory, settings: AtelierSettings
) -> None:
    import json

    token = await make_user_with_token(session_factory, "ada")
    files = [
        ("naive.jpg", _jpeg_with_exif("2026:03:08 23:45:00", None, 10)),
        ("offset.jpg", _jpeg_with_exif("2026:03:08 23:45:00", "+09:00", 90)),
    ]
    async with app_http(settings) as http:
        client = GraphQLClient(http)
        await client.query(SET_ZONE, token, zone="Asia/Kolkata")
        response = await http.post(
            "/graphql",
            headers={"Authorization": f"Bearer {token}"},
            data={
                "operations": json.dumps(
                    {
                        "query": UPLOAD,
                        "variables": {
                            "files": [None, None],
                            "lastModified": ["2026-03-09T00:00:00Z", "2026-03-09T00:00:00Z"],
                        },
                    }
                ),
                "map": json.dumps({"0": ["variables.files.0"], "1": ["variables.files.1"]}),
            },
            files=[(str(i), (name, data, "image/jpeg")) for i, (name, data) in enumerate(files)],
        )
    body = response.json()
    assert "errors" not in body, body
    got = {r["fileName"]: r["asset"] for r in body["data"]["uploadAssets"]["results"]}
    assert got["naive.jpg"]["createdAt"] == "2026-03-08T18:15:00+00:00", got
    assert got["offset.jpg"]["createdAt"] == "2026-03-08T14:45:00+00:00", got


async def test_naive_record_times_use_the_zone_set_before_the_import(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    async with client_at(settings, utc(2026, 3, 9, 12)) as client:
        await client.query(SET_ZONE, token, zone="Pacific/Kiritimati")
    path = write_records(
        tmp_path / "r",
        [
            {"id": "n1", "tool": "comfyui", "prompt": "fox", "created_at": "2026-03-09T00:10:00"},
            {"id": "n2", "tool": "comfyui", "prompt": "fox", "created_at": "2026-03-09T00:14:00"},
        ],
    )
    await import_paths(session_factory, settings, user_handle="ada", paths=[path])
    async with client_at(settings, utc(2026, 3, 9, 12)) as client:  # Tue 02:00 +14
        await client.query(SET_ZONE, token, zone="Pacific/Kiritimati")
        groups = groups_of(await client.query(GROUPS, token, first=5))
    assert ends(groups["THIS_WEEK"]) == ["2026-03-08T10:14:00+00:00"]


# ---------------------------------------------------------------------------------------------
# 4. gallery time filters


async def _gallery(client: GraphQLClient, token: str, **filter_: Any) -> dict[str, Any]:
    return await client.query(GALLERY, token, first=50, filter=filter_)


async def test_gallery_time_bounds(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    records = [
        record("a", utc(2026, 3, 8, 18, 30), prompt="x"),
        record("b", utc(2026, 3, 8, 18, 31), prompt="x"),
        record("u", None, prompt="x"),
    ]
    await import_records(session_factory, settings, tmp_path / "r", "ada", records)
    token = await make_user_with_token(session_factory, "ada")
    async with app_http(settings) as http:
        client = GraphQLClient(http)
        both = await _gallery(client, token, **{"from": "2026-03-09T00:00:00+05:30"})
        only_a = await _gallery(
            client, token, **{"from": "2026-03-09T00:00:00+05:30", "to": "2026-03-08T18:31:00Z"}
        )
        same = await _gallery(client, token, **{"from": "2026-03-08T18:31:00Z", "to": "2026-03-08T18:31:00Z"})
        naive = await _gallery(client, token, **{"from": "2026-03-08T18:30:00"})
        reversed_ = await _gallery(
            client, token, **{"from": "2026-03-09T00:00:00Z", "to": "2026-03-08T00:00:00Z"}
        )
        every = await client.query(GALLERY, token, first=50)
    names = lambda body: [e["node"]["fileName"] for e in body["data"]["viewer"]["assets"]["edges"]]  # noqa: E731
    assert len(names(both)) == 2
    assert len(names(only_a)) == 1
    assert names(same) == []
    assert naive["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert reversed_["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert len(names(every)) == 3
    assert every["data"]["viewer"]["assets"]["edges"][-1]["node"]["createdAt"] is None


# ---------------------------------------------------------------------------------------------
# 5. cursors across equal times and the fall-back hour


async def test_gallery_pages_through_equal_times_and_the_repeated_hour(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    first_0130 = datetime.fromisoformat("2026-11-01T01:30:00-04:00")
    second_0130 = datetime.fromisoformat("2026-11-01T01:30:00-05:00")
    records = [
        record("p1", first_0130, prompt="p"),
        record("p2", second_0130, prompt="p"),
        record("p3", second_0130, prompt="p"),
        record("p4", second_0130, prompt="p"),
        record("p5", first_0130 + timedelta(minutes=40), prompt="p"),  # 01:10 EST, between the two
    ]
    await import_records(session_factory, settings, tmp_path / "r", "ada", records)
    token = await make_user_with_token(session_factory, "ada")
    seen: list[tuple[str, str]] = []
    after = None
    async with app_http(settings) as http:
        client = GraphQLClient(http)
        await client.query(SET_ZONE, token, zone="America/New_York")
        while True:
            body = await client.query(GALLERY, token, first=1, after=after)
            assert "errors" not in body, body
            page = body["data"]["viewer"]["assets"]
            seen += [(e["node"]["id"], e["node"]["createdAt"]) for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    assert len(seen) == len({asset_id for asset_id, _ in seen}) == 5
    times = [t for _, t in seen]
    assert times == sorted(times, reverse=True)
    assert times[0] == second_0130.astimezone(UTC).isoformat()
    assert times[-1] == first_0130.astimezone(UTC).isoformat()


async def test_session_cards_page_through_equal_end_times(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    end = utc(2026, 3, 1, 12)
    records = [
        *two_records("x", end, "comfyui"),
        *two_records("y", end, "a1111"),
        *two_records("z", end, "midjourney"),
    ]
    await import_records(session_factory, settings, tmp_path / "r", "ada", records)
    token = await make_user_with_token(session_factory, "ada")
    seen: list[str] = []
    after = None
    async with client_at(settings, utc(2026, 3, 20, 12)) as client:
        while True:
            body = await client.query(GROUPS, token, periods=["EARLIER"], first=1, after=after)
            (group,) = groups_of(body).values()
            seen += [e["node"]["id"] for e in group["sessions"]["edges"]]
            if not group["sessions"]["pageInfo"]["hasNextPage"]:
                break
            after = group["sessions"]["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == group["sessionCount"] >= 3


async def _upload(
    http: httpx.AsyncClient, token: str, files: list[tuple[str, bytes]], modified: list[str]
) -> Any:
    import json

    response = await http.post(
        "/graphql",
        headers={"Authorization": f"Bearer {token}"},
        data={
            "operations": json.dumps(
                {"query": UPLOAD, "variables": {"files": [None] * len(files), "lastModified": modified}}
            ),
            "map": json.dumps({str(i): [f"variables.files.{i}"] for i in range(len(files))}),
        },
        files=[(str(i), (name, data, "image/jpeg")) for i, (name, data) in enumerate(files)],
    )
    body = response.json()
    assert "errors" not in body, body
    return {r["fileName"]: r["asset"] for r in body["data"]["uploadAssets"]["results"]}


async def test_exif_naive_time_in_the_repeated_and_skipped_hour(
    session_factory: SessionFactory, settings: AtelierSettings
) -> None:
    """README: a naive time "in the hour repeated when clocks go back is the occurrence nearest the
    file's mtime, and one in the hour skipped when they go forward is given the zone's real offset"."""
    token = await make_user_with_token(session_factory, "ada")
    async with app_http(settings) as http:
        await GraphQLClient(http).query(SET_ZONE, token, zone="America/New_York")
        got = await _upload(
            http,
            token,
            [
                ("second.jpg", _jpeg_with_exif("2026:11:01 01:30:00", None, 11)),
                ("first.jpg", _jpeg_with_exif("2026:11:01 01:30:00", None, 55)),
                ("gap.jpg", _jpeg_with_exif("2026:03:08 02:30:00", None, 99)),
            ],
            ["2026-11-01T06:31:00Z", "2026-11-01T05:31:00Z", "2026-03-08T07:31:00Z"],
        )
    assert got["second.jpg"]["createdAt"] == "2026-11-01T06:30:00+00:00", got
    assert got["first.jpg"]["createdAt"] == "2026-11-01T05:30:00+00:00", got
    assert got["gap.jpg"]["createdAt"] == "2026-03-08T07:30:00+00:00", got


async def test_gallery_filter_bounds_outside_utc_years_are_bad_input(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    for value in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-03-08", "yesterday"):
        body = await client.query(GALLERY, token, first=5, filter={"from": value})
        assert body.get("data") in (None, {"viewer": None}) or body["data"]["viewer"] is None, (value, body)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (value, body)


async def test_reflection_dates_name_the_artists_days(
    session_factory: SessionFactory, queue_settings: AtelierSettings, tmp_path: Path
) -> None:
    """The offline curator's opening sentence dates the session in the artist's zone: 19:00–19:34 UTC is
    23:30–00:04 in Asia/Kabul (+04:30), from 2 March to 3 March."""
    from billing import ledger
    from catalog.database import unit_of_work
    from tests.api.test_graphql_reflections import CARD, CONFIRM, QUOTE, run_reflection_worker
    from tests.billing.library_builder import user_with_session

    user_id, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=52)
    token = await make_user_with_token(session_factory, "ada")
    async with unit_of_work(session_factory) as db:
        await ledger.grant(db, user_id, 10)
    sid = f"Session:{session_id}"
    async with app_http(queue_settings) as http:
        client = GraphQLClient(http)
        await client.query(SET_ZONE, token, zone="Asia/Kabul")
        quote = (await client.query(QUOTE, token, id=sid))["data"]["quoteReflection"]
        await client.query(CONFIRM, token, q=quote["id"], k="k-1")
        await run_reflection_worker(session_factory, queue_settings)
        card = (await client.query(CARD, token, id=sid))["data"]["session"]
    summary = card["reflection"]["summary"]
    assert "from 2 March 2026 to 3 March 2026" in summary, summary


_SUBJECTS = [
    "red fox in snow",
    "lighthouse in a storm",
    "elven city in giant trees",
    "dragon on castle ruins",
    "sea serpent at dawn",
    "desert caravan",
    "neon street market",
    "mountain cabin",
    "old fisherman",
    "koi pond",
    "robot gardener",
    "paper boat",
    "clockwork owl",
    "glass whale",
    "lantern festival",
    "ice cave",
]


def _exploration_across_spring_forward() -> list[dict[str, Any]]:
    """16 prompts a minute apart, 06:52Z–07:07Z on 2026-03-08: 01:52 EST to 03:07 EDT in New York,
    15 minutes of work, written as naive New York wall times."""
    from zoneinfo import ZoneInfo

    new_york = ZoneInfo("America/New_York")
    start = utc(2026, 3, 8, 6, 52)
    return [
        {
            "id": f"e{index}",
            "tool": "comfyui",
            "created_at": (start + timedelta(minutes=index))
            .astimezone(new_york)
            .replace(tzinfo=None)
            .isoformat(),
            "prompt": f"{subject}, digital painting",
            "seed": 100 + index,
            "model": "sdxl.safetensors",
        }
        for index, subject in enumerate(_SUBJECTS)
    ]


async def test_session_label_duration_across_spring_forward_over_the_api(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    async with app_http(settings) as http:
        await GraphQLClient(http).query(SET_ZONE, token, zone="America/New_York")
    path = write_records(tmp_path / "r", _exploration_across_spring_forward())
    await import_paths(session_factory, settings, user_handle="ada", paths=[path])
    async with app_http(settings) as http:
        body = await GraphQLClient(http).query(
            "{ viewer { sessions(first: 5) { edges { node { label startedAt endedAt } } } } }", token
        )
    (edge,) = body["data"]["viewer"]["sessions"]["edges"]
    assert edge["node"]["startedAt"] == "2026-03-08T06:52:00+00:00"
    assert "(15 min, 16 images)" in edge["node"]["label"], edge
