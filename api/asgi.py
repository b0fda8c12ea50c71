"""The app as an import string for uvicorn's worker processes (``atelier serve --workers N``).

Each worker process calls :func:`create_app_from_environment` once: it reads the settings from the
environment, where the parent process has put the resolved ``DATABASE_URL`` and ``REDIS_URL`` (the
embedded servers it started, already migrated) and ``ATELIER_SECRET_KEY`` (so every worker signs
thumbnail URLs with the same key). A worker only serves HTTP: it starts no embedded server, runs no
migration and no job worker (the parent runs those once).
"""

from __future__ import annotations

from starlette.applications import Starlette

from api.app import create_app
from api.observability.json_logs import configure_json_logging
from catalog.settings import load_settings

APP_FACTORY = "api.asgi:create_app_from_environment"


def create_app_from_environment() -> Starlette:
    configure_json_logging()
    return create_app(load_settings())
