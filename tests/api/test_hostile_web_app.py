"""What a hostile file or a hostile page can do through what the server renders or serves, over HTTP on
the real app (in-process): the headers every page, answer and thumbnail carries.

A file's metadata (prompt, model, file name) comes back verbatim in GraphQL answers and thumbnails are
served from the same origin as the web app, so nothing the server sends may be sniffed into HTML, and
no page of this origin — the web app at any of its addresses, GraphiQL (which keeps the token it was
given in local storage), the checkout return pages — may be framed by another site (clickjacking).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.app import create_app
from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, make_user_with_token
from tests.hostile_files import image_bytes

HOSTILE_PROMPT = "<script>alert(1)</script><img src=x onerror=alert(2)></style><svg onload=alert(3)>"
HOSTILE_PARAMETERS = (
    f"{HOSTILE_PROMPT}, castle\nNegative prompt: </title><script>alert(4)</script>\n"
    "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 48x32, Model: javascript:alert(5)"
)
THUMBNAIL_QUERY = """{ viewer { sessions(first: 1) { edges { node {
  thumbnails(first: 1) { url } assets(first: 1) { edges { node { prompt model } } } } } } } }"""
GRAPHIQL_LURE = "/graphql?" + urlencode({"q": 'mutation { revokeApiToken(id: "x") { __typename } }'})
ANY_TYPE = {"Accept": "*/*"}
JSON_TYPES = {"application/json", "application/graphql-response+json"}


def assert_never_framed(response: httpx.Response) -> None:
    """No other site may frame this response, and it is never sniffed into another type."""
    policy = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, (response.url, policy)
    assert response.headers.get("x-content-type-options") == "nosniff", response.url
    assert response.headers.get("referrer-policy") == "no-referrer", response.url


async def _hostile_library(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, folder: Path
) -> tuple[str, dict[str, object]]:
    """Ada's token and her one session's first thumbnail URL and asset, from a file whose metadata is
    markup."""
    path = folder / "2026-11-30_10-00-00_<img src=x onerror=alert(6)>.png"
    path.write_bytes(image_bytes(seed=3, text=HOSTILE_PARAMETERS))
    await import_paths(session_factory, settings, user_handle="ada", paths=[path])
    ada = await make_user_with_token(session_factory, "ada")
    node = (await client.query(THUMBNAIL_QUERY, ada))["data"]["viewer"]["sessions"]["edges"][0]["node"]
    return ada, {"url": node["thumbnails"][0]["url"], **node["assets"]["edges"][0]["node"]}


async def test_the_web_app_carries_its_policy_at_every_address_it_is_served_from(
    lenient_http: httpx.AsyncClient,
) -> None:
    """``/app/index.html`` is the same page as ``/``: it must not be an unguarded (frameable, no CSP)
    copy of the app."""
    for path in ("/", "/app/index.html"):
        page = await lenient_http.get(path)
        if page.status_code == 404:
            continue
        assert page.status_code == 200, path
        assert "script-src 'self'" in page.headers.get("content-security-policy", ""), path
        assert_never_framed(page)


async def test_graphiql_cannot_be_framed_to_run_a_mutation_with_the_token_it_keeps(
    lenient_http: httpx.AsyncClient,
) -> None:
    """GraphiQL persists the headers it was given (the artist's token) and takes the query from its
    URL: framed by a hostile page with a mutation in ``q``, one lured click would run it."""
    page = await lenient_http.get(GRAPHIQL_LURE, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert_never_framed(page)
    # GraphiQL's own scripts (inline, and from its CDN) must still run
    assert "script-src" not in page.headers["content-security-policy"]


async def test_graphiql_does_not_keep_the_token_it_is_given_in_local_storage(
    lenient_http: httpx.AsyncClient,
) -> None:
    """Strawberry's GraphiQL persists its headers editor (``Authorization: Bearer …``) in the origin's
    local storage: the token would outlive the tab (the web app keeps it in session storage only), load
    itself for the next person at this browser, and arm a lure like :data:`GRAPHIQL_LURE`."""
    page = await lenient_http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "shouldPersistHeaders: false" in page.text
    assert "shouldPersistHeaders: true" not in page.text


async def test_graphiql_takes_no_headers_from_its_url(lenient_http: httpx.AsyncClient) -> None:
    """A link to ``/graphql?headers={"Authorization": "Bearer <the sender's token>"}`` would open
    GraphiQL signed in as the sender: what the artist then uploads or corrects lands in the sender's
    library. The query and variables still come from the URL (sharing a query keeps working)."""
    page = await lenient_http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "parameters.headers" not in page.text
    assert "parameters.q" in page.text and "parameters.variables" in page.text


async def test_the_web_app_connects_to_its_own_origin_only(lenient_http: httpx.AsyncClient) -> None:
    """Were a script ever injected, it could send nothing to another host (``ws:``/``wss:`` to any
    host were allowed); the app's own subscription socket is covered by ``'self'`` (the browser test
    of a reflection's progress sees it open)."""
    page = await lenient_http.get("/")
    policy = dict(
        directive.strip().split(" ", 1) for directive in page.headers["content-security-policy"].split(";")
    )
    assert policy["connect-src"] == "'self'"


async def test_the_checkout_return_pages_cannot_be_framed(lenient_http: httpx.AsyncClient) -> None:
    for path in ("/credits/checkout/success", "/credits/checkout/cancelled"):
        page = await lenient_http.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html"), path
        assert_never_framed(page)


async def test_thumbnails_and_their_refusals_are_never_sniffed_into_a_page(
    client: GraphQLClient,
    lenient_http: httpx.AsyncClient,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
) -> None:
    ada, asset = await _hostile_library(client, session_factory, settings, tmp_path)
    url = str(asset["url"])
    path, query = url.split("?", 1)
    params = dict(parse_qsl(query))
    served = await lenient_http.get(url)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/webp"
    assert "sandbox" in served.headers.get("content-security-policy", "")
    assert_never_framed(served)
    with_token = await lenient_http.get(path, headers={"Authorization": f"Bearer {ada}"})
    assert with_token.status_code == 200
    assert_never_framed(with_token)
    refusals = [
        await lenient_http.get(path),  # 401
        await lenient_http.get(path, params={**params, "u": "<script>alert(1)</script>"}),  # 400
        await lenient_http.get("/thumbnails/%3Csvg%20onload=alert(1)%3E.webp"),  # 404
    ]
    assert [refusal.status_code for refusal in refusals] == [401, 400, 404]
    for refusal in refusals:
        assert refusal.headers["content-type"] == "application/json"
        assert "<script>" not in refusal.text and "<svg" not in refusal.text
        assert_never_framed(refusal)


async def test_graphql_answers_holding_hostile_metadata_are_json_never_sniffed_nor_stored(
    client: GraphQLClient,
    lenient_http: httpx.AsyncClient,
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
) -> None:
    """The prompt comes back verbatim (it is the artist's data), as JSON only: a browser must not sniff
    it into HTML, and no cache (the browser's, a proxy's) may keep an answer that holds a library and
    signed thumbnail URLs — GET queries included."""
    ada, asset = await _hostile_library(client, session_factory, settings, tmp_path)
    assert HOSTILE_PROMPT in str(asset["prompt"])
    auth = {"Authorization": f"Bearer {ada}"}
    answers = [
        await lenient_http.post("/graphql", json={"query": THUMBNAIL_QUERY}, headers=auth),
        await lenient_http.get("/graphql", params={"query": THUMBNAIL_QUERY}, headers=auth | ANY_TYPE),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert HOSTILE_PROMPT in answer.text
        assert answer.headers["content-type"].split(";")[0] in JSON_TYPES
        assert "no-store" in answer.headers.get("cache-control", ""), answer.request.method
        assert_never_framed(answer)
    unknown = await lenient_http.get("/<script>alert(1)</script>")
    assert unknown.status_code == 404
    assert unknown.headers.get("x-content-type-options") == "nosniff"


async def test_an_internal_error_page_carries_the_same_headers(settings: AtelierSettings) -> None:
    """A 500 is written by Starlette's outermost error middleware: the headers must wrap even that."""

    async def boom(request: Request) -> Response:
        raise RuntimeError("a bug")

    app = create_app(settings)
    app.router.routes.insert(0, Route("/boom", boom))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://atelier.test") as http:
            response = await http.get("/boom")
    assert response.status_code == 500
    assert_never_framed(response)
