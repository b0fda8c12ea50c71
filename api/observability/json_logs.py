"""Structured logs: one JSON object per line.

Every line has ``time`` (UTC, ISO 8601, milliseconds), ``level``, ``logger``, ``message`` and ``pid``
(the process: ``atelier serve --workers N`` runs several); lines
written while a request is handled also carry its ``request_id`` (from :data:`REQUEST_ID`, set by
:mod:`api.observability.request_observation`). Fields passed as ``extra={"fields": {...}}`` are added
at the top level (never overriding the six above); an exception adds ``exception`` (the traceback).
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

REQUEST_ID: ContextVar[str | None] = ContextVar("atelier_request_id", default=None)
"""The id of the request being handled in this context (``None`` outside requests)."""

RESERVED_KEYS = frozenset({"time", "level", "logger", "message", "pid", "request_id"})
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update({key: value for key, value in fields.items() if key not in RESERVED_KEYS})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_json_logging(level: int = logging.INFO, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record of the process to ``stream`` (stderr) as JSON lines; returns the handler.

    Replaces the root logger's handlers and lets uvicorn's loggers propagate to it (start uvicorn with
    ``log_config=None`` so it keeps its hands off, and ``access_log=False``: requests are logged by
    the request middleware, with their id and GraphQL operation). Idempotent.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    return handler
