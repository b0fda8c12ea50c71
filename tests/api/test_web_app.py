"""The web app at ``/`` in a real headless Chromium (Debian's ``chromium``, driven by Playwright for
Python): ``atelier serve --with-demo`` runs as a user starts it (real PostgreSQL and Redis from the
test run, its in-process worker delivering reflections with the offline curator), and the browser
signs in, reads the demo's cards, corrects a session and runs a reflection through quote → confirm.

One server and one browser per module; each test gets a fresh browser context (empty session
storage). ``ATELIER_SCREENSHOTS=docs/screenshots`` saves screenshots of the main views there.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis.asyncio as redis
from PIL import Image

from catalog.database import create_database_engine, create_session_factory
from catalog.demo_library import plan_demo_library
from catalog.embedded_servers import ServiceUrls
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from tests.api.browser_support import BROWSER_TEST_MARKS, launched_chromium
from tests.api.conftest import ATELIER, free_port, make_user_with_token
from tests.conftest import TEMPLATE_DATABASE, _admin_execute, _with_database, server_home

pytest.importorskip("playwright", reason="Playwright for Python is not installed (a dev dependency)")
from playwright.async_api import Browser, Locator, Page, Route, expect

pytestmark = BROWSER_TEST_MARKS

BIG_SESSION = "e5-comfyui-portrait-evening"
BROWSER_REDIS_DB = 10
"""A Redis database of its own: the server's worker takes only this module's jobs."""
SCREENSHOTS = os.environ.get("ATELIER_SCREENSHOTS")
FIRST_CARDS_BUDGET_SECONDS = 3.0
"""The issue asks for first sessions in under 1 s on the demo library; asserted generously (shared CI)."""


@dataclass(frozen=True)
class Served:
    base_url: str
    demo_token: str
    broke_token: str
    """A user with the big demo session and no credits."""
    log: Path


async def admin(urls: ServiceUrls, statement: str) -> None:
    await asyncio.to_thread(_admin_execute, urls.database_url, statement)


def log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


@pytest.fixture(scope="module")
async def served(service_urls: ServiceUrls) -> AsyncIterator[Served]:
    """``atelier serve --with-demo`` on a loopback port, on a database of its own."""
    home = server_home("atelier-webapp-")
    name = f"atelier_web_{os.getpid()}"
    await admin(service_urls, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await admin(service_urls, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DATABASE}")
    database_url = _with_database(service_urls.database_url, name)
    redis_url = f"{service_urls.redis_url}?db={BROWSER_REDIS_DB}"
    queue = redis.Redis(unix_socket_path=service_urls.redis_url.removeprefix("unix://"), db=BROWSER_REDIS_DB)
    await queue.flushdb()
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ATELIER_HOME": str(home),
        "ATELIER_PROMPT_EMBEDDINGS": "false",  # no model load on a shared CI machine; search goes lexical
        "HF_HUB_OFFLINE": "1",
    }
    log = home / "serve.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            str(ATELIER), "serve", "--with-demo", "--host", "127.0.0.1", "--port", str(port),
            env=env, stdout=output, stderr=output,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    engine = create_database_engine(database_url, pool_size=2)
    try:
        await _until_ready(base_url, process, log)
        settings = AtelierSettings(home=home, database_url=database_url, redis_url=redis_url)
        factory = create_session_factory(engine)
        broke_token = await make_user_with_token(factory, "broke")
        big = [home / "demo-library" / image.file_name for image in plan_demo_library(home).images
               if image.session_key == BIG_SESSION]  # fmt: skip
        await import_paths(factory, settings, user_handle="broke", paths=big)
        demo_token = (home / "demo-token").read_text().strip()
        yield Served(base_url, demo_token, broke_token, log)
    finally:
        await engine.dispose()
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        except TimeoutError:
            process.kill()
        await queue.flushdb()
        await queue.aclose()
        await admin(service_urls, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        shutil.rmtree(home, ignore_errors=True)


async def _until_ready(base_url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    """``/readyz`` answers 200 once the demo is imported and the app serves."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        for _ in range(600):
            if process.returncode is not None:
                raise AssertionError(f"serve exited with {process.returncode}:\n{log_tail(log)}")
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"serve was not ready in 120 s:\n{log_tail(log)}")


@pytest.fixture(scope="module")
async def browser(served: Served) -> AsyncIterator[Browser]:
    async with launched_chromium() as launched:
        yield launched


@pytest.fixture
async def page(browser: Browser, served: Served) -> AsyncIterator[Page]:
    context = await browser.new_context(
        base_url=served.base_url, viewport={"width": 1280, "height": 860}, color_scheme="light"
    )
    context.set_default_timeout(15_000)
    opened = await context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    opened.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    yield opened
    await context.close()
    assert not [p for p in problems if "401" not in p], problems  # a refused bad token logs a 401


async def snap(page: Page, name: str) -> None:
    """Save a screenshot of the page when ``ATELIER_SCREENSHOTS`` names a folder."""
    if SCREENSHOTS:
        await asyncio.to_thread(save_screenshot, await page.screenshot(), Path(SCREENSHOTS) / f"{name}.png")


def save_screenshot(png: bytes, path: Path) -> None:
    """A 256-colour PNG: the committed screenshots stay small."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(io.BytesIO(png)) as image:
        image.convert("RGB").quantize(colors=256).save(path, optimize=True)


async def sign_in(page: Page, token: str) -> float:
    """Sign in through the form; returns the seconds from submit to the first card visible."""
    await page.goto("/")
    await page.get_by_label("API token").fill(token)
    started = time.perf_counter()
    await page.get_by_role("button", name="Sign in").click()
    await page.locator(".session-card").first.wait_for(state="visible")
    return time.perf_counter() - started


def card_with(page: Page, images: int) -> Locator:
    """The session cards showing exactly ``images`` images."""
    count = page.locator(".count", has_text=re.compile(rf"^{images} images$"))
    return page.locator(".session-card").filter(has=count)


async def open_session_with(page: Page, images: int) -> str:
    """Open the first card with exactly ``images`` images; returns its label."""
    card = card_with(page, images).first
    label = (await card.locator("h3").inner_text()).strip()
    await card.locator("h3 a").click()
    await page.locator("#session-title", has_text=label).wait_for()
    return label


async def test_a_bad_token_gets_a_clear_message(page: Page) -> None:
    await page.goto("/")
    await snap(page, "sign-in")
    await page.get_by_label("API token").fill("atl_not-a-real-token")
    await page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    await alert.wait_for()
    assert "not accepted" in await alert.inner_text()
    assert await page.evaluate("sessionStorage.getItem('atelier.token')") is None


async def test_sign_in_shows_the_demo_cards_by_period_and_lanes(page: Page, served: Served) -> None:
    seconds = await sign_in(page, served.demo_token)
    in_page = await page.evaluate(
        "performance.measure('first', 'atelier:sign-in-submitted', 'atelier:first-cards').duration"
    )
    requests = await page.evaluate(
        "performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/graphql'))"
        ".map((e) => Math.round(e.duration))"
    )
    print(
        f"first session cards: {in_page:.0f} ms in the page from submit to cards drawn "
        f"({seconds * 1000:.0f} ms as the test driver saw it; GraphQL requests {requests} ms)"
    )
    assert seconds < FIRST_CARDS_BUDGET_SECONDS
    # the demo happened in February and March 2026: every card is under "Earlier"
    earlier = page.locator("section.period[data-period=EARLIER]")
    await earlier.get_by_role("heading", name=re.compile("Earlier")).wait_for()
    assert await earlier.locator(".session-card").count() == 12  # the first page (of 15)
    assert await earlier.locator(".session-card").first.locator(".grid9 img").count() == 9
    await earlier.get_by_role("button", name=re.compile("More from")).scroll_into_view_if_needed()
    await expect(page.locator(".session-card")).to_have_count(15)
    await page.evaluate("window.scrollTo(0, 0)")
    await snap(page, "sessions-by-period")

    await page.get_by_role("link", name="Lanes").click()
    lanes = page.locator("section.lane")
    await lanes.first.wait_for()
    assert await lanes.first.locator(".lane-strip img").count() >= 1
    await snap(page, "lanes")

    await page.get_by_label("Search your library").fill("old sailor")
    await page.get_by_role("button", name="Search", exact=True).click()
    await page.get_by_role("heading", name="Results for “old sailor”").wait_for()
    assert await page.locator(".session-card", has_text="Old sailor").count() >= 1

    # a request the API refuses shows its message in the status line, as an error
    await page.goto(f"/#/search?q={'x' * 501}")
    status = page.locator("#status.error")
    await status.wait_for()
    assert "500" in await status.inner_text()

    # keyboard: a card is a link that Enter follows
    await page.goto("/#/sessions")
    await page.locator(".session-card h3 a").first.focus()
    await page.keyboard.press("Enter")
    await page.locator("#session-title").wait_for()


async def test_split_a_session_and_merge_it_back(page: Page, served: Served) -> None:
    await sign_in(page, served.demo_token)
    label = await open_session_with(page, 44)
    head = page.locator(".session-head .meta")
    assert (await head.inner_text()).startswith("44 images")
    assert await page.locator(".band").count() >= 1

    await page.get_by_role("button", name="Split the session at image 21").click()
    banner = page.locator(".banner")
    await banner.wait_for()
    assert await banner.locator(".result-sessions li").count() == 2
    await page.locator(".session-head .meta", has_text=re.compile(r"^20 images")).wait_for()

    merge = page.locator("button.merge-next")
    await merge.wait_for()
    assert "(24)" in await merge.inner_text()
    await merge.click()
    await page.locator(".session-head .meta", has_text=re.compile(r"^44 images")).wait_for()
    assert label in await page.locator("#session-title").inner_text()
    assert "Merged" in await page.locator(".banner").inner_text()

    await page.get_by_role("link", name="Corrections").click()
    history = page.locator("ol.corrections li")
    await expect(history).to_have_count(2)  # newest first: the merge, then the split
    assert "merge" in (await history.nth(0).inner_text()).lower()
    assert "split" in (await history.nth(1).inner_text()).lower()


async def test_an_offline_reflection_on_the_big_session_through_quote_and_confirm(
    page: Page, served: Served
) -> None:
    await sign_in(page, served.demo_token)
    await open_session_with(page, 63)
    await page.locator(".tile-image").nth(5).click()
    await page.locator(".metadata dt", has_text="Seed").wait_for()
    assert await page.locator("svg.lineage path").count() >= 1
    await snap(page, "session-detail")
    for view in ("#/session", "#/sessions", "#/lanes"):  # responsive: nothing wider than a phone
        if view != "#/session":
            await page.goto(f"/{view}")
            await page.locator(".session-card, section.lane").first.wait_for()
        await page.set_viewport_size({"width": 390, "height": 844})
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (view, overflow)
        if view == "#/sessions":
            await snap(page, "phone-sessions")
        await page.set_viewport_size({"width": 1280, "height": 860})
    await page.go_back()
    await page.go_back()
    await page.get_by_role("button", name="Reflect on this session").wait_for()

    await page.get_by_role("button", name="Reflect on this session").click()
    dialog = page.get_by_role("dialog", name="Reflect on this session")
    await dialog.wait_for()
    cost = int((await dialog.locator(".quote-cost").inner_text()).split()[0])
    available = int((await dialog.locator(".quote-available").inner_text()).split()[0])
    assert 0 < cost <= available
    await snap(page, "reflection-quote")
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    await dialog.get_by_role("button", name=re.compile("Confirm")).click()

    reflection = page.locator("article.reflection")
    await reflection.wait_for(timeout=60_000)
    summary = (await reflection.locator(".summary").inner_text()).strip()
    assert summary
    assert "atelier-offline" in await reflection.inner_text()
    assert sockets == [f"{served.base_url.replace('http', 'ws')}/graphql"]  # progress came by subscription
    await snap(page, "reflection-done")

    await page.get_by_role("link", name="Sessions", exact=True).click()
    card = card_with(page, 63)
    assert (await card.locator(".summary").inner_text()).strip() == summary
    balance = await page.locator("#credit-balance").inner_text()
    assert balance == f"{available - cost} credits"


async def test_back_back_to_a_session_is_not_overdrawn_by_the_slower_list_it_passed(
    page: Page, served: Served
) -> None:
    """Back from the lanes to the sessions list, Back again to the session: the list's data answering
    last must not draw the list over the session (routes drew concurrently, the last answer won)."""
    await sign_in(page, served.demo_token)
    await open_session_with(page, 63)
    for view in ("#/sessions", "#/lanes"):
        await page.goto(f"/{view}")
        await page.locator(".session-card, section.lane").first.wait_for()

    async def lists_answer_late(route: Route) -> None:
        if "sessionGroups" in (route.request.post_data or ""):
            await asyncio.sleep(1.5)
        await route.continue_()

    await page.route("**/graphql", lists_answer_late)
    await page.go_back()  # the list: its data comes 1.5 s later
    await page.go_back()  # the session, at once
    await page.wait_for_timeout(2500)  # past the list's answer
    await page.unroute("**/graphql")
    assert "#/session/" in page.url
    assert await page.locator("#session-title").is_visible()
    assert await page.locator(".session-card").count() == 0
    assert await page.get_by_role("button", name="Reflect on this session").is_visible()


async def test_no_credits_opens_the_insufficient_credits_dialog(page: Page, served: Served) -> None:
    await sign_in(page, served.broke_token)
    await open_session_with(page, 63)
    await page.get_by_role("button", name="Reflect on this session").click()
    dialog = page.get_by_role("dialog", name="Not enough credits")
    await dialog.wait_for()
    assert "you have 0 credits available" in await dialog.inner_text()
    await dialog.locator(".packs button").first.wait_for()
    assert await dialog.locator(".packs button").count() >= 1
    await snap(page, "insufficient-credits")
    await page.keyboard.press("Escape")  # a modal dialog: Escape closes it, focus returns to the button
    await expect(dialog).to_have_count(0)
    await expect(page.get_by_role("button", name="Reflect on this session")).to_be_focused()


async def test_rename_and_move_update_the_view_and_undo_restores_them(page: Page, served: Served) -> None:
    await sign_in(page, served.demo_token)
    original = await open_session_with(page, 28)
    head = page.locator(".session-head .meta")

    await page.get_by_label("Label").fill("  Koi   study ")
    await page.get_by_role("button", name="Rename").click()
    await page.locator("#session-title", has_text=re.compile("^Koi study$")).wait_for()
    await page.locator(".banner").get_by_role("button", name="Undo").click()
    await page.locator("#session-title", has_text=original).wait_for()

    await page.get_by_label("Select image 28").check()
    await expect(page.locator("#selected-count")).to_have_text("1 image selected")
    target = page.get_by_label("to", exact=True)
    option = target.locator("option", has_text=re.compile(r"\(14\)"))
    await target.select_option(await option.first.get_attribute("value"))
    await page.get_by_role("button", name="Move selected").click()
    await head.filter(has_text=re.compile(r"^27 images")).wait_for()
    assert "(15 images)" in await page.locator(".banner .result-sessions").inner_text()
    # the view stays on the source and offers the destination (its label may have changed with the
    # image it got: the banner's link names it as it is now); opening it keeps the banner's Undo
    destination = (await page.locator(".banner .result-sessions a").first.inner_text()).strip()
    await page.locator(".banner").get_by_role("button", name=f"Open {destination}", exact=True).click()
    await page.locator("#session-title", has_text=re.compile(f"^{re.escape(destination)}$")).wait_for()
    await head.filter(has_text=re.compile(r"^15 images")).wait_for()
    await expect(page.get_by_role("button", name=f"Open {destination}")).to_have_count(0)
    await page.locator(".banner").get_by_role("button", name="Undo").click()
    await head.filter(has_text=re.compile(r"^28 images")).wait_for()
    await page.locator("#session-title", has_text=original).wait_for()


async def test_the_demo_import_is_counted_in_the_servers_metrics(served: Served) -> None:
    """``atelier serve --with-demo`` imports the demo library in the serving process: its files are in
    ``atelier_import_files_total`` (no browser needed; the module's server is)."""
    async with httpx.AsyncClient(base_url=served.base_url) as http:
        metrics = (await http.get("/metrics")).text
    imported = re.search(r'^atelier_import_files_total\{outcome="imported"\} (\S+)$', metrics, re.MULTILINE)
    assert imported is not None, metrics[-2000:]
    assert float(imported[1]) == len(plan_demo_library(Path("unused")).images)
