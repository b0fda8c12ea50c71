"""``import_export``: one tool export (ComfyUI ``/history``, InvokeAI database, Midjourney archive)
into a user's catalog — the unit of work behind ``atelier import-export``.

Steps, in one transaction that commits once: parse the export (in a worker thread: file, SQLite or
one HTTP request), store its evidence (:mod:`catalog.importing.evidence_repository`; never
overwriting a key already stored), apply it to the user's assets
(:mod:`catalog.importing.export_evidence`), then re-cluster the span around every moved asset — its
new time *and* its previous one, since it may leave its old session.

Idempotent: importing the same export again stores nothing, moves nothing and re-clusters nothing.
An export that cannot be used at all raises :class:`engine.exports.ExportError` (naming the source
and the reason) before anything is written; single bad entries are reported in
:attr:`ExportImportReport.problems` and the rest is imported. Entries that name no asset yet are not
errors: they are kept, and applied when those files are imported.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from catalog.accounts.service import get_or_create_user
from catalog.database import SessionFactory, unit_of_work
from catalog.importing.evidence_repository import store_evidence
from catalog.importing.export_evidence import apply_stored_evidence, evidence_rows
from catalog.sessions.reclustering import ReclusterSummary, recluster_span
from catalog.settings import AtelierSettings
from engine.exports import (
    ExportParseResult,
    ExportProblem,
    fetch_comfyui_history,
    read_comfyui_history,
    read_invokeai_db,
    read_midjourney_archive,
)
from engine.exports.comfyui_history import SOURCE as COMFYUI_SOURCE
from engine.exports.invokeai_db import SOURCE as INVOKEAI_SOURCE
from engine.exports.midjourney_archive import SOURCE as MIDJOURNEY_SOURCE

ExportKind = Literal["comfyui-history", "invokeai-db", "midjourney-archive"]
EXPORT_SOURCES: dict[str, str] = {
    "comfyui-history": COMFYUI_SOURCE,
    "invokeai-db": INVOKEAI_SOURCE,
    "midjourney-archive": MIDJOURNEY_SOURCE,
}


@dataclass(slots=True)
class ExportImportReport:
    kind: str
    location: str
    entries: int = 0
    """Usable evidence entries in the export (one per output file or job)."""
    newly_stored: int = 0
    already_stored: int = 0
    conflicting: int = 0
    """Keys stored earlier with a different time (the earlier one is kept)."""
    contradictory: int = 0
    """Keys this export itself gives two different times (dropped)."""
    matched: int = 0
    """Entries of this export naming exactly the assets they describe."""
    ambiguous: int = 0
    """File names several of the user's assets share: applied to none of them."""
    unmatched: int = 0
    """Entries naming no asset yet (kept for files imported later)."""
    assets_updated: int = 0
    assets_moved: int = 0
    """Assets whose time the export changed ("re-timed"; assets given only a parent job or grid are
    re-clustered too, but not counted here)."""
    problems: list[ExportProblem] = field(default_factory=list)
    reclustering: ReclusterSummary | None = None


def is_url(location: Path | str) -> bool:
    return isinstance(location, str) and location.lower().startswith(("http://", "https://"))


def parse_export(kind: ExportKind, location: Path | str) -> ExportParseResult:
    """Parse one export (blocking: file, SQLite or HTTP); raises ``ExportError`` when unusable."""
    if kind == "comfyui-history":
        if is_url(location):
            return fetch_comfyui_history(str(location))
        return read_comfyui_history(Path(location))
    if kind == "invokeai-db":
        return read_invokeai_db(Path(location))
    if kind == "midjourney-archive":
        return read_midjourney_archive(Path(location))
    raise ValueError(f"unknown export kind {kind!r}")


async def import_export(
    factory: SessionFactory,
    settings: AtelierSettings,
    *,
    user_handle: str,
    source: Path | str,
    kind: ExportKind,
) -> ExportImportReport:
    """Import one export for ``user_handle`` (created if missing); see the module docstring."""
    parsed = await asyncio.to_thread(parse_export, kind, source)
    rows, contradictory = evidence_rows(parsed.evidence)
    report = ExportImportReport(kind=kind, location=str(source), problems=list(parsed.problems))
    report.entries = len(rows)
    report.contradictory = len(contradictory)
    async with unit_of_work(factory) as session:
        owner = await get_or_create_user(session, user_handle, timezone=settings.timezone)
        stored = await store_evidence(session, owner.id, rows, export_location=str(source))
        application = await apply_stored_evidence(session, owner.id, source=EXPORT_SOURCES[kind])
        if application.moved:
            report.reclustering = await recluster_span(
                session,
                owner.id,
                [moved.asset_id for moved in application.moved],
                previous_times=[m.previous_time for m in application.moved if m.previous_time is not None],
            )
    keys = {(row.source, row.key_kind, row.key) for row in rows}
    report.newly_stored = stored.inserted
    report.already_stored = stored.identical
    report.conflicting = len(stored.conflicting)
    report.matched = len(keys & application.matched_keys)
    report.ambiguous = len(keys & application.ambiguous_keys - application.matched_keys)
    report.unmatched = len(keys - application.matched_keys - application.ambiguous_keys)
    report.assets_updated = len(application.updated)
    report.assets_moved = application.retimed
    return report
