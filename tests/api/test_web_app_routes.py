"""``/`` and ``/app/...`` (api.web_app) beside the API's own routes, over HTTP on the real app."""

from __future__ import annotations

import re

from api.web_app import WEB_ROOT
from catalog.settings import AtelierSettings
from tests.api.conftest import app_http


async def test_the_page_and_its_modules_are_served_and_the_api_routes_still_answer(
    settings: AtelierSettings,
) -> None:
    async with app_http(settings) as http:
        page = await http.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-cache"
        # every module and stylesheet the page names exists, with a JavaScript or CSS media type
        for path in re.findall(r'(?:src|href)="(/app/[^"]+)"', page.text):
            asset = await http.get(path)
            assert asset.status_code == 200, path
            assert asset.headers["content-type"].split(";")[0] in {"text/javascript", "text/css"}, path
        assert (await http.get("/healthz")).status_code == 200
        answer = await http.post("/graphql", json={"query": "{ __typename }"})
        assert answer.json()["data"] == {"__typename": "Query"}


async def test_every_module_the_app_imports_is_shipped(settings: AtelierSettings) -> None:
    async with app_http(settings) as http:
        for module in sorted((WEB_ROOT / "js").glob("*.js")):
            for imported in re.findall(r'(?:from|import\()\s*"\./([\w.]+\.js)"', module.read_text()):
                assert (await http.get(f"/app/js/{imported}")).status_code == 200, (module.name, imported)


async def test_nothing_outside_the_web_folder_is_served(settings: AtelierSettings) -> None:
    async with app_http(settings) as http:
        for path in ("/app/../app.py", "/app/%2e%2e/app.py", "/app/js/missing.js", "/app/"):
            response = await http.get(path)
            assert response.status_code == 404, path
            assert "create_app" not in response.text
