"""The app as an import string for uvicorn's worker processes (``atelier serve --workers N``).

Each worker process calls :func:`create_app_from_environment` once: it reads the settings from the
environment, where the parent process has put the resolved ``DATABASE_URL`` and ``REDIS_URL`` (the
embedded servers it started, already migrated) and ``ATELIER_SECRET_KEY`` (so every worker signs
thumbnail URLs with the same key). A worker only serves HTTP: it starts no embedded server, runs no
migration and no job worker (the parent runs those once).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

from starlette.applications import Starlette

from api.app import create_app
from api.observability.json_logs import configure_json_logging
from catalog.settings import load_settings

APP_FACTORY = "api.asgi:create_app_from_environment"
SUPERVISOR_PID_VARIABLE = "ATELIER_SUPERVISOR_PID"
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def create_app_from_environment() -> Starlette:
    _stop_when_the_supervisor_dies()
    configure_json_logging()
    return create_app(load_settings())


def _stop_when_the_supervisor_dies() -> None:
    """Linux: the kernel sends this worker SIGTERM when the process that started it dies, even by
    SIGKILL, so a killed ``atelier serve`` leaves no worker behind holding the port (uvicorn's
    supervisor starts and restarts workers from its main thread, the one the signal is tied to).
    A supervisor already gone before the request was made is caught by the parent-pid check against
    :data:`SUPERVISOR_PID_VARIABLE`, which the supervisor sets before starting any worker."""
    if not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    # the supervisor's pid comes from the environment, not from getppid() read now: a worker still
    # starting when the supervisor died is already re-parented, and would otherwise never notice
    supervisor = int(os.environ.get(SUPERVISOR_PID_VARIABLE) or os.getppid())
    if os.getppid() != supervisor:
        os.kill(os.getpid(), signal.SIGTERM)
