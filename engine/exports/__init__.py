"""Tool exports -> time evidence: ComfyUI ``/history``, InvokeAI's database, Midjourney archives.

Pure parsers (no database, no global state); see :mod:`engine.exports.evidence` for the result
types and their invariants. Only :func:`~engine.exports.comfyui_history.fetch_comfyui_history`
touches the network, with one synchronous httpx request.
"""

from __future__ import annotations

from engine.exports.comfyui_history import (
    fetch_comfyui_history,
    parse_comfyui_history,
    read_comfyui_history,
)
from engine.exports.evidence import (
    ExportError,
    ExportFetchError,
    ExportFormatError,
    ExportParseResult,
    ExportProblem,
    ExportTimeEvidence,
)
from engine.exports.invokeai_db import read_invokeai_db
from engine.exports.midjourney_archive import parse_midjourney_archive, read_midjourney_archive

__all__ = [
    "ExportError",
    "ExportFetchError",
    "ExportFormatError",
    "ExportParseResult",
    "ExportProblem",
    "ExportTimeEvidence",
    "fetch_comfyui_history",
    "parse_comfyui_history",
    "parse_midjourney_archive",
    "read_comfyui_history",
    "read_invokeai_db",
    "read_midjourney_archive",
]
