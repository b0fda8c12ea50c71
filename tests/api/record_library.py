"""Libraries built from generation records (JSON lines), imported through the real catalog import.

Records give tests exact generation times (``Z`` times: no zone interpretation), prompts, models and
LoRAs, and records without ``created_at`` become assets without a generation time (never clustered).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings

_files = itertools.count()


def record(record_id: str, at: datetime | None, tool: str = "comfyui", **fields: Any) -> dict[str, Any]:
    """One record; ``at=None`` gives an asset without a generation time."""
    line: dict[str, Any] = {"id": record_id, "tool": tool, **fields}
    if at is not None:
        line["created_at"] = at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return line


def write_records(folder: Path, records: Sequence[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"records-{next(_files)}.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in records))
    return path


async def import_records(
    factory: SessionFactory,
    settings: AtelierSettings,
    folder: Path,
    handle: str,
    records: Sequence[dict[str, Any]],
) -> None:
    """Import ``records`` for ``handle`` (created if missing) as one ``.jsonl`` file, re-clustering
    included."""
    path = write_records(folder, records)
    report = await import_paths(factory, settings, user_handle=handle, paths=[path])
    assert report.problems == [], report.problems
    assert report.records_imported == len(records)
