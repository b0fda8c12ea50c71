"""The web app drawing hostile text, in a real headless Chromium (as ``tests/api/test_web_app.py``).

The API returns a file's metadata verbatim: a prompt or file name may be markup, or one unbroken
"word" thousands of characters long, or megabytes inflated from a small compressed chunk. Most tests
serve the app's own files with the page's real headers (:data:`api.web_app.SECURITY_HEADERS`) and answer
``/graphql`` with such text, so each sees exactly what the app makes of it, with no database or server in
between; the inflating-files test routes every request of the page to the real app in this process.
"""

from __future__ import annotations

import io
import json
import mimetypes
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from api.web_app import (
    APP_PREFIX,
    HTML_FALLBACK_POLICY,
    SECURITY_HEADERS,
    WEB_ROOT,
    graphiql_forgetting_headers,
)

pytest.importorskip("playwright", reason="Playwright for Python is not installed (a dev dependency)")
from playwright.async_api import Browser, Page, Route

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from tests.api.browser_support import BROWSER_TEST_MARKS, launched_chromium
from tests.api.conftest import app_http, make_user_with_token

pytestmark = BROWSER_TEST_MARKS

ORIGIN = "http://atelier.test"
PHONE = {"width": 390, "height": 800}
PWNED = "window.__pwned = 1"
UNBROKEN = "masterpiece" * 400
"""One 4,400-character "word": a prompt with no space a browser could wrap at."""
HOSTILE_PROMPT = f'<img src=x onerror="{PWNED}"><script>{PWNED}</script></style>{UNBROKEN}'
SESSION = {
    "id": "U2Vzc2lvbjox",
    "label": f"<svg onload='{PWNED}'>" + "x" * 300,
    "intent": "exploration",
    "assetCount": 3,
    "startedAt": "2026-11-30T10:00:00+00:00",
    "endedAt": "2026-11-30T10:05:00+00:00",
    "tool": "a1111",
    "summary": UNBROKEN,
    "thumbnails": [],
}
ASSET = {
    "id": "QXNzZXQ6MQ==",
    "fileName": f"<img src=x onerror='{PWNED}'>{UNBROKEN}.png",
    "tool": "a1111",
    "createdAt": "2026-11-30T10:00:00+00:00",
    "createdAtSource": "metadata",
    "prompt": HOSTILE_PROMPT,
    "negativePrompt": f"</title><script>{PWNED}</script>{UNBROKEN}",
    "seed": 1,
    "cfgScale": 7.0,
    "steps": 20,
    "sampler": UNBROKEN,
    "scheduler": None,
    "model": f"javascript:{PWNED}",
    "width": 48,
    "height": 32,
    "denoise": None,
    "thumbnailUrl": None,
    "loras": [{"name": f"<b onmouseover='{PWNED}'>{UNBROKEN}", "weight": 0.8}],
    "parent": None,
}
REFLECTION = {
    "id": "UmVmbGVjdGlvbjox",
    "state": "DONE",
    "title": f"<script>{PWNED}</script>{UNBROKEN}",
    "summary": UNBROKEN,
    "stylePatterns": [UNBROKEN],
    "evolutionNotes": [f"<img src=x onerror='{PWNED}'>{UNBROKEN}"],
    "model": UNBROKEN,
    "cost": 3,
    "charged": 3,
    "createdAt": "2026-11-30T11:00:00+00:00",
    "completedAt": "2026-11-30T11:01:00+00:00",
    "failureReason": None,
}
NO_MORE = {"hasNextPage": False, "endCursor": None}
ANSWERS: dict[str, dict[str, Any]] = {
    "SessionGroups": {
        "viewer": {
            "sessionGroups": [
                {
                    "period": "TODAY",
                    "title": "Today",
                    "sessionCount": 1,
                    "sessions": {"edges": [{"node": SESSION}], "pageInfo": NO_MORE},
                }
            ]
        }
    },
    "Lanes": {
        "viewer": {
            "lanes": {
                "edges": [
                    {
                        "node": {
                            "session": SESSION,
                            "assets": {"edges": [{"node": ASSET}], "pageInfo": {"hasNextPage": False}},
                        }
                    }
                ],
                "pageInfo": NO_MORE,
            }
        }
    },
    "SessionDetail": {
        "session": SESSION
        | {
            "labelPinned": False,
            "confidence": 0.9,
            "reflectionEligibility": {"eligible": False, "assetCount": 1, "requiredAssets": 1},
            "reflection": REFLECTION,
            "phases": [
                {
                    "id": "UGhhc2U6MQ==",
                    "intent": "exploration",
                    "label": SESSION["label"],
                    "startedAt": SESSION["startedAt"],
                    "endedAt": SESSION["endedAt"],
                    "assetCount": 1,
                }
            ],
            "assetCount": 1,
            "assets": {"edges": [{"node": ASSET}], "pageInfo": NO_MORE},
        }
    },
    "SessionList": {
        "viewer": {
            "sessions": {
                "edges": [
                    {"node": {key: SESSION[key] for key in ("id", "label", "startedAt", "assetCount")}}
                ],
                "pageInfo": NO_MORE,
            }
        }
    },
    "Similar": {"session": {"similarSessions": {"mode": "LEXICAL", "sessions": []}}},
    "AssetMetadata": {"node": ASSET},
    "SignIn": {"viewer": {"id": "VXNlcjox", "handle": "ada", "timezone": "UTC"}},
    "Credits": {"viewer": {"credits": {"available": 5, "held": 0}}},
    "Search": {
        "viewer": {
            "search": {
                "mode": "LEXICAL",
                "fallbackReason": "embeddings disabled",
                "sessions": [{"score": 1.0, "session": SESSION}],
                "assets": [
                    {
                        "score": 1.0,
                        # the server cuts promptPreview; a client must still show any text it gets as text
                        "asset": {
                            **{key: ASSET[key] for key in ("id", "fileName", "thumbnailUrl")},
                            "promptPreview": ASSET["prompt"],
                        },
                    }
                ],
            }
        }
    },
}


async def answer_graphql(route: Route) -> None:
    """``/graphql``: the canned answer of the operation the app sent (by its name)."""
    body = json.loads(route.request.post_data or "{}")
    name = re.search(r"(?:query|mutation)\s+(\w+)", body.get("query", ""))
    data = ANSWERS.get(name.group(1) if name else "")
    if data is None:
        await route.fulfill(
            status=200, json={"errors": [{"message": "not canned", "extensions": {"code": "X"}}]}
        )
        return
    await route.fulfill(status=200, json={"data": data})


async def serve_app_file(route: Route) -> None:
    """``/`` and ``/app/...`` from ``api/web`` with the headers the server sends."""
    path = route.request.url.removeprefix(ORIGIN).split("?", 1)[0].split("#", 1)[0]
    if path == "/":
        await route.fulfill(
            path=WEB_ROOT / "index.html", headers=SECURITY_HEADERS | {"Content-Type": "text/html"}
        )
        return
    file = (WEB_ROOT / path.removeprefix(APP_PREFIX + "/")).resolve()
    if not path.startswith(APP_PREFIX + "/") or WEB_ROOT.resolve() not in file.parents or not file.is_file():
        await route.fulfill(status=404, body="Not Found")
        return
    media_type = "text/javascript" if file.suffix == ".js" else mimetypes.guess_type(file.name)[0]
    await route.fulfill(path=file, headers=SECURITY_HEADERS | {"Content-Type": media_type or "text/plain"})


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with launched_chromium() as launched:
        yield launched


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[Page]:
    """A signed-in phone-sized page whose requests never leave the test."""
    context = await browser.new_context(base_url=ORIGIN, viewport=PHONE)
    context.set_default_timeout(15_000)
    await context.add_init_script("sessionStorage.setItem('atelier.token', 'canned-token')")
    await context.route(f"{ORIGIN}/graphql", answer_graphql)
    await context.route(re.compile(rf"^{re.escape(ORIGIN)}/(app/.*)?([?#].*)?$"), serve_app_file)
    opened = await context.new_page()
    yield opened
    await context.close()


async def overflow_px(page: Page) -> int:
    """How far the page scrolls sideways beyond the viewport (0: it does not)."""
    return int(
        await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


async def test_search_results_holding_markup_and_unbroken_prompts_stay_text_and_on_screen(
    phone: Page,
) -> None:
    """A hostile prompt, file name, label or summary in the search results is shown as text, and one
    unbroken "word" wraps inside its result instead of widening the page (on a phone, the whole
    search view would scroll sideways thousands of pixels, its results pushed off screen)."""
    await phone.goto("/#/search?q=masterpiece")
    await phone.locator(".hits li").first.wait_for()
    assert HOSTILE_PROMPT in await phone.locator(".hits li p").first.inner_text()
    await assert_drawn_as_text_on_screen(phone)


async def assert_drawn_as_text_on_screen(page: Page) -> None:
    """Nothing the hostile text holds ran or became an element, and nothing widens the page."""
    assert await page.evaluate("window.__pwned") is None
    assert await page.locator("main img[src='x'], main svg:not(.lineage), main script, main b").count() == 0
    assert await overflow_px(page) == 0


@pytest.mark.parametrize(
    ("address", "drawn"),
    [
        ("/#/sessions", ".session-card .summary"),
        ("/#/lanes", ".lane-strip li"),
        ("/#/session/U2Vzc2lvbjox", ".reflection .summary"),
    ],
)
async def test_each_view_keeps_hostile_metadata_as_text_and_on_screen(
    phone: Page, address: str, drawn: str
) -> None:
    """Cards (label, reflection summary), lanes (file names standing in for missing thumbnails) and a
    session's detail (its label, phase bands, reflection, and an image's metadata once selected)."""
    await phone.goto(address)
    await phone.locator(drawn).first.wait_for()
    await assert_drawn_as_text_on_screen(phone)
    if address.startswith("/#/session/"):
        await phone.locator(".tile-image").first.click()
        await phone.locator(".metadata dd").first.wait_for()
        assert HOSTILE_PROMPT in await phone.locator(".metadata dd").first.inner_text()
        await assert_drawn_as_text_on_screen(phone)


PROMPT_WORDS = 600_000
"""About 3 MB of prompt (and as much negative prompt) per file, from a 40 kB zTXt chunk."""
SESSION_BYTES_BUDGET = 1_000_000
"""What opening a session of three images may download from ``/graphql`` (it needs some kilobytes)."""


def inflating_png(seed: int) -> bytes:
    """A small PNG whose compressed ``parameters`` hold megabytes of prompt and negative prompt."""
    prompt = " ".join(f"w{(word * 7 + seed) % 997}" for word in range(PROMPT_WORDS))
    info = PngInfo()
    info.add_text(
        "parameters",
        f"{prompt}\nNegative prompt: {prompt}\nSteps: 20, Sampler: Euler a, Seed: {seed}, Size: 8x8",
        zip=True,
    )
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (seed, 0, 0)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.mark.slow  # ~10 s in Chromium: `make fuzz`
async def test_opening_a_session_of_inflating_files_downloads_no_prompt_until_one_is_selected(
    browser: Browser, settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Three 40 kB files whose prompts inflate to megabytes: the session's list of images carried every
    prompt (about 20 MB for three; a page of fifty such images, hundreds), so a folder of them froze
    the tab. The list carries no free text; the selected image's metadata comes on its own."""
    paths = []
    for seed in range(3):
        path = tmp_path / f"2026-11-30_10-0{seed}-00.png"
        path.write_bytes(inflating_png(seed))
        paths.append(path)
    await import_paths(session_factory, settings, user_handle="ada", paths=paths)
    token = await make_user_with_token(session_factory, "ada")
    downloaded = {"graphql": 0}
    async with app_http(settings) as http:
        found = await http.post(
            "/graphql",
            json={"query": "{ viewer { sessions(first: 1) { edges { node { id } } } } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        session_id = found.json()["data"]["viewer"]["sessions"]["edges"][0]["node"]["id"]

        async def forward(route: Route) -> None:
            """Every request of the page, answered by the real app in this process."""
            request = route.request
            headers = {
                name: value
                for name, value in request.headers.items()
                if name not in {"host", "content-length"}
            }
            answer = await http.request(
                request.method,
                request.url.removeprefix(ORIGIN),
                content=request.post_data_buffer,
                headers=headers,
            )
            if request.url.startswith(f"{ORIGIN}/graphql"):
                downloaded["graphql"] += len(answer.content)
            await route.fulfill(status=answer.status_code, headers=dict(answer.headers), body=answer.content)

        context = await browser.new_context(base_url=ORIGIN, viewport={"width": 1280, "height": 860})
        context.set_default_timeout(30_000)
        try:
            await context.add_init_script(f"sessionStorage.setItem('atelier.token', {json.dumps(token)})")
            await context.route(re.compile(rf"^{re.escape(ORIGIN)}/"), forward)
            page = await context.new_page()
            await page.goto(f"/#/session/{session_id}")
            await page.locator(".tile-image").nth(2).wait_for()
            await page.locator(".similar ul, .similar p.help").last.wait_for()
            assert downloaded["graphql"] < SESSION_BYTES_BUDGET, downloaded
            await page.locator(".tile-image").first.click()
            prompt = page.locator(".metadata dd").first
            await prompt.wait_for()
            assert (await prompt.inner_text()).startswith("w0 w7 w14")
        finally:
            await context.close()


async def test_graphiql_forgets_the_headers_an_earlier_version_kept_in_local_storage(
    browser: Browser,
) -> None:
    """The GraphiQL of the thirteenth session kept its headers editor (``Authorization: Bearer …``) in
    this origin's local storage, under its own key and in each saved tab; turning persistence off
    stopped new writes but left those tokens there. The page now removes them before GraphiQL starts
    (its scripts come from a CDN, which this test does not reach: the removal must not need them)."""
    from strawberry.http.ides import get_graphql_ide_html

    page_html = graphiql_forgetting_headers(get_graphql_ide_html(graphql_ide="graphiql"))
    context = await browser.new_context(base_url=ORIGIN)
    context.set_default_timeout(15_000)

    async def serve(route: Route) -> None:
        if route.request.url.split("?", 1)[0] == f"{ORIGIN}/graphql":
            headers = {"Content-Type": "text/html", "Content-Security-Policy": HTML_FALLBACK_POLICY}
            await route.fulfill(status=200, body=page_html, headers=headers)
        elif route.request.url == f"{ORIGIN}/blank":
            await route.fulfill(
                status=200, body="<!doctype html><title>blank</title>", content_type="text/html"
            )
        else:
            await route.abort()  # the CDN

    await context.route("**/*", serve)
    page = await context.new_page()
    await page.goto("/blank")
    tabs = {"tabs": [{"id": "t1", "query": "{ viewer { id } }", "headers": '{"Authorization": "Bearer x"}'}]}
    await page.evaluate(
        "tabs => { localStorage.setItem('graphiql:headers', '{\"Authorization\": \"Bearer x\"}');"
        " localStorage.setItem('graphiql:tabState', JSON.stringify(tabs)); }",
        tabs,
    )
    await page.goto("/graphql?q=%7B%20viewer%20%7B%20id%20%7D%20%7D")
    stored = await page.evaluate(
        "() => [localStorage.getItem('graphiql:headers'), localStorage.getItem('graphiql:tabState')]"
    )
    await context.close()
    assert stored[0] is None
    assert json.loads(stored[1]) == {"tabs": [{"id": "t1", "query": "{ viewer { id } }", "headers": None}]}
