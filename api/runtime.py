"""Bringing up what a command needs: resolved service URLs, a migrated database, a session factory.

``running_services`` starts the embedded servers only for URLs the settings leave unset, migrates
the database to head (idempotent; one query, no Alembic, when it is current:
:mod:`catalog.migration_check`) and stops what it started on exit —
including on SIGTERM, which :func:`exit_on_sigterm` turns into ``SystemExit`` so ``finally`` blocks
and ``atexit`` handlers run.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

from catalog.embedded_servers import EmbeddedServers
from catalog.migration_check import migrate_to_head
from catalog.settings import AtelierSettings


def _raise_system_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def exit_on_sigterm() -> None:
    signal.signal(signal.SIGTERM, _raise_system_exit)


@contextlib.contextmanager
def running_services(settings: AtelierSettings, *, migrate: bool = True) -> Iterator[AtelierSettings]:
    """Settings with both URLs filled in, valid while the block runs."""
    servers = EmbeddedServers(settings)
    urls = servers.start()
    try:
        if migrate:
            migrate_to_head(urls.database_url)
        yield settings.model_copy(update={"database_url": urls.database_url, "redis_url": urls.redis_url})
    finally:
        servers.stop()
