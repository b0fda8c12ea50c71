"""The web app: plain ES modules and CSS under ``api/web/``, served as static files (no build step).

``GET /`` answers ``index.html``; ``/app/...`` serves the modules, styles and icons. The app talks to the
server only through the public GraphQL API at ``/graphql`` (HTTP and graphql-transport-ws), with the
artist's API token kept in the browser's session storage, so it is also the reference client for
integrators. Nothing here reads the database.

Invariants: only files inside ``api/web/`` are served (Starlette's ``StaticFiles`` refuses paths that
leave the folder); the HTML is never cached (``no-cache``) so a new version's module URLs are picked up
at once, while the modules revalidate by ETag.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

WEB_ROOT = Path(__file__).with_name("web")
"""The app's files, shipped as package data."""

APP_PREFIX = "/app"

SECURITY_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # scripts and styles only from this server; thumbnails may redirect to a presigned S3 URL
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' https: data:; connect-src 'self' ws: wss:; "
        "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
}


async def index(request: Request) -> Response:
    """The app's single page (every view is drawn by the modules it loads)."""
    return FileResponse(WEB_ROOT / "index.html", media_type="text/html", headers=SECURITY_HEADERS)


def web_app_routes() -> list[BaseRoute]:
    """``/`` and ``/app/...``; add them after the API's own routes."""
    return [
        Route("/", index, methods=["GET", "HEAD"]),
        Mount(APP_PREFIX, app=StaticFiles(directory=WEB_ROOT), name="web-app"),
    ]
