"""The web app: plain ES modules and CSS under ``api/web/``, served as static files (no build step), and
the security headers every HTTP response of this origin carries (:class:`ResponseSecurityHeaders`).

``GET /`` answers ``index.html``; ``/app/...`` serves the modules, styles and icons. The app talks to the
server only through the public GraphQL API at ``/graphql`` (HTTP and graphql-transport-ws), with the
artist's API token kept in the browser's session storage, so it is also the reference client for
integrators. Nothing here reads the database.

Invariants: only files inside ``api/web/`` are served (Starlette's ``StaticFiles`` refuses paths that
leave the folder); the HTML is never cached (``no-cache``) so a new version's module URLs are picked up
at once, while the modules revalidate by ETag. The app's page carries :data:`APP_CONTENT_SECURITY_POLICY`
at every address it is served from (``/`` and ``/app/index.html``).

Every response of this origin (the app, GraphiQL, the API's JSON, thumbnails, the checkout return pages,
404s) is never sniffed into another type (``nosniff``), never framed by another site (``frame-ancestors
'none'`` and ``X-Frame-Options: DENY``: GraphiQL takes its query from its URL and holds the token typed
into its tab, so a framed GraphiQL is one lured click from running a mutation) and sends no ``Referer``
(signed thumbnail URLs and GraphiQL's query string stay here). A response that names its own policy
keeps it; the others get :data:`HTML_FALLBACK_POLICY` (HTML: GraphiQL runs inline scripts from its CDN, so
only framing, plugins and ``<base>`` are refused) or :data:`SANDBOX_POLICY` (anything else: a thumbnail or
an answer opened as a page runs nothing). GraphQL answers hold a library and signed URLs: ``no-store``.
WebSockets pass through untouched. GraphiQL is served with header persistence off
(:func:`graphiql_forgetting_headers`): a token typed into it lives as long as its tab, like the app's.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WEB_ROOT = Path(__file__).with_name("web")
"""The app's files, shipped as package data."""

APP_PREFIX = "/app"

APP_CONTENT_SECURITY_POLICY = (
    # scripts and styles only from this server; thumbnails may redirect to a presigned S3 URL
    # 'self' covers the app's own WebSocket (ws:/wss: to this host, CSP Level 3): no other host
    "default-src 'self'; img-src 'self' https: data:; connect-src 'self'; "
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HTML_FALLBACK_POLICY = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
"""For HTML that names no policy of its own (GraphiQL, the checkout return pages, error pages)."""
SANDBOX_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"
"""For everything else (JSON, thumbnails, plain text): opened as a page, it runs and loads nothing."""

ORIGIN_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
"""Set on every HTTP response that does not set them itself."""

APP_FILE_HEADERS = {**ORIGIN_HEADERS, "Content-Security-Policy": APP_CONTENT_SECURITY_POLICY}
SECURITY_HEADERS = {"Cache-Control": "no-cache", **APP_FILE_HEADERS}
"""The app's page at ``/``."""

GRAPHQL_PATH = "/graphql"


async def index(request: Request) -> Response:
    """The app's single page (every view is drawn by the modules it loads)."""
    return FileResponse(WEB_ROOT / "index.html", media_type="text/html", headers=SECURITY_HEADERS)


GRAPHIQL_KEEPS_HEADERS = "shouldPersistHeaders: true"
GRAPHIQL_FORGETS_HEADERS = "shouldPersistHeaders: false"
GRAPHIQL_HEADERS_FROM_URL = "React.useState(parameters.headers)"
GRAPHIQL_NO_HEADERS_FROM_URL = "React.useState(undefined)"
GRAPHIQL_HEAD = "<head>"
GRAPHIQL_FORGET_STORED_HEADERS = """<head>
    <script>
      // Headers an earlier GraphiQL of this origin kept (an Authorization token) are forgotten
      // before GraphiQL starts: the headers editor's own key, and each saved tab's headers.
      try {
        localStorage.removeItem("graphiql:headers");
        const saved = JSON.parse(localStorage.getItem("graphiql:tabState") || "null");
        if (saved && Array.isArray(saved.tabs)) {
          for (const tab of saved.tabs) tab.headers = null;
          localStorage.setItem("graphiql:tabState", JSON.stringify(saved));
        }
      } catch (error) {}
    </script>"""


def graphiql_forgetting_headers(page: str) -> str:
    """Strawberry's GraphiQL ``page`` with header persistence off and no headers taken from its URL.

    The headers typed into it (an ``Authorization: Bearer`` token) live as long as the tab, never in
    this origin's local storage, where they would outlast the browser and arm a link that pre-fills a
    mutation (``?q=``); headers an earlier version of this page kept there are removed before GraphiQL
    starts (:data:`GRAPHIQL_FORGET_STORED_HEADERS`). And a link cannot pre-fill them (``?headers=``): a
    lure carrying the sender's own token would have the artist's uploads and corrections land in the
    sender's library. GraphiQL never writes its headers into the URL, so nothing legitimate is lost.
    """
    return (
        page.replace(GRAPHIQL_KEEPS_HEADERS, GRAPHIQL_FORGETS_HEADERS)
        .replace(GRAPHIQL_HEADERS_FROM_URL, GRAPHIQL_NO_HEADERS_FROM_URL)
        .replace(GRAPHIQL_HEAD, GRAPHIQL_FORGET_STORED_HEADERS, 1)
    )


class WebAppFiles(StaticFiles):
    """``StaticFiles`` whose every answer (``index.html`` included, 304s too) carries the app's policy."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(APP_FILE_HEADERS)
        return response


def web_app_routes() -> list[BaseRoute]:
    """``/`` and ``/app/...``; add them after the API's own routes."""
    return [
        Route("/", index, methods=["GET", "HEAD"]),
        Mount(APP_PREFIX, app=WebAppFiles(directory=WEB_ROOT), name="web-app"),
    ]


def add_origin_headers(headers: MutableHeaders, path: str) -> None:
    """The headers of the module docstring, each only where the response did not set it."""
    for name, value in ORIGIN_HEADERS.items():
        headers.setdefault(name, value)
    is_html = headers.get("content-type", "").startswith("text/html")
    headers.setdefault("Content-Security-Policy", HTML_FALLBACK_POLICY if is_html else SANDBOX_POLICY)
    if path == GRAPHQL_PATH:
        headers.setdefault("Cache-Control", "no-store")


class ResponseSecurityHeaders:
    """Plain ASGI middleware applying :func:`add_origin_headers` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_origin_headers(MutableHeaders(scope=message), path)
            await send(message)

        await self.app(scope, receive, send_with_headers)
