"""The settings class for arq's own CLI: ``arq api.worker_settings.WorkerSettings`` runs the same jobs
with the same options as ``atelier worker`` (and ``… --check`` is arq's health check).

Read from the environment at import; ``DATABASE_URL`` and ``REDIS_URL`` must both be set, since arq's
CLI starts no embedded server and runs no migration (run ``atelier migrate`` first).
"""

from __future__ import annotations

from typing import Any

from api.worker import worker_options
from catalog.settings import load_settings
from catalog.settings_error import SettingsError


def _options() -> dict[str, Any]:
    """The worker's options, or an exit with one ``error:`` line (no traceback: arq's command imports
    this module for the user who typed it)."""
    try:
        settings = load_settings()
    except SettingsError as error:
        raise SystemExit(f"error: {error}") from None
    if not settings.shares_services:
        raise SystemExit(
            "error: arq's CLI needs DATABASE_URL and REDIS_URL (it starts no embedded server); "
            "or run `atelier worker`, which does"
        )
    return worker_options(settings)


WorkerSettings = type("WorkerSettings", (), _options())
"""arq reads the Worker's keyword arguments from this class's attributes."""
