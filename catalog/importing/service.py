"""``import_paths``: folders, image files and JSON-lines record files into a user's catalog.

Unit of work: this is a job, not a service called inside someone else's transaction — it commits
once per batch (``import_batch_size`` files), so an interrupted import keeps every batch already
stored, and re-running it adds only what is missing (records are keyed by content hash per user).
Per-file problems (corrupt image, bad JSONL line) are collected in the report with path and reason;
they never abort the import.

Pipeline (the metadata path never decodes pixels):

1. files are read by :class:`~catalog.importing.file_reading.MetadataReader` — a process pool for
   large imports, whose workers also build the database rows — while earlier batches are written;
2. each batch is ``COPY``-ed in (:mod:`catalog.importing.bulk_asset_repository`) and, in the same
   transaction, the user's stored tool-export times are applied to the new assets
   (:mod:`catalog.importing.export_evidence`), so an export imported before its files still counts;
3. after all batches, each user's affected span is re-clustered once (not once per batch);
4. thumbnails come last, so sessions are queryable before any thumbnail exists:
   :attr:`ThumbnailMode.INLINE` renders them here (demo, tests, a CLI run with no worker),
   :attr:`ThumbnailMode.BACKGROUND` queues ``make_thumbnails`` jobs for the arq worker (``atelier
   serve``, watched folders) and falls back to inline when no Redis URL is configured,
   :attr:`ThumbnailMode.SKIP` leaves them to the worker's backfill.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy.exc import DBAPIError

from catalog.accounts.service import get_or_create_user
from catalog.assets.repository import set_thumbnails
from catalog.database import SessionFactory, unit_of_work
from catalog.importing.asset_rows import COPY_RECORD_ID_INDEX, copy_values, record_to_row, row_problem
from catalog.importing.bulk_asset_repository import copy_new_assets
from catalog.importing.discovery import FileKind, FoundFile, discover
from catalog.importing.export_evidence import apply_stored_evidence
from catalog.importing.file_reading import FileProblem, MetadataReader, ReadAsset
from catalog.library_locks import lock_user_library
from catalog.sessions.reclustering import ReclusterSummary, recluster_span
from catalog.settings import AtelierSettings
from catalog.storage import thumbnail_store
from catalog.tasks import queue_prompt_embeddings, queue_thumbnails
from catalog.thumbnails import MadeThumbnail, ThumbnailError, make_thumbnail
from engine.record_codec import RecordLineError, read_records_jsonl
from engine.records import GenerationRecord

ProgressCallback = Callable[[int], None]
"""Called with the number of files just processed."""


class ThumbnailMode(StrEnum):
    INLINE = "inline"
    BACKGROUND = "background"
    SKIP = "skip"


@dataclass(slots=True)
class ImportReport:
    files_seen: int = 0
    imported: int = 0
    already_known: int = 0
    records_imported: int = 0
    problems: list[FileProblem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    thumbnails_made: int = 0
    thumbnails_queued: int = 0
    """Assets whose thumbnails were queued for the worker (``ThumbnailMode.BACKGROUND``)."""
    times_from_exports: int = 0
    """New assets whose time (or job id) came from a previously imported tool export."""
    reclustering: list[ReclusterSummary] = field(default_factory=list)
    new_asset_ids: list[uuid.UUID] = field(default_factory=list)
    """Every asset this import created (any user), in the order they were stored."""
    phase_seconds: dict[str, float] = field(default_factory=dict)
    """Wall-clock seconds per step (``read_and_store``, ``recluster``, ``thumbnails``), for the bench."""

    @property
    def sessions_touched(self) -> int:
        return sum(summary.sessions_written for summary in self.reclustering)


@dataclass(slots=True)
class _UserBatches:
    """New assets per user id (for re-clustering) and the files to make thumbnails from."""

    new_asset_ids: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))
    thumbnail_sources: dict[uuid.UUID, dict[uuid.UUID, Path]] = field(
        default_factory=lambda: defaultdict(dict)
    )


@dataclass(slots=True)
class _PendingRow:
    record_id: str
    values: tuple[Any, ...]
    source_path: Path | None
    label: str
    """Where the row came from, for a problem report (a file path, or ``file.jsonl: record <id>``)."""


async def import_paths(
    factory: SessionFactory,
    settings: AtelierSettings,
    *,
    user_handle: str,
    paths: Iterable[Path],
    progress: ProgressCallback | None = None,
    honour_record_users: bool = True,
    make_thumbnails: bool = True,
    thumbnails: ThumbnailMode = ThumbnailMode.INLINE,
) -> ImportReport:
    """Import ``paths`` for ``user_handle`` (created if missing). JSONL records naming another
    ``user`` go to that user when ``honour_record_users`` (the local CLI), else to ``user_handle``.
    ``make_thumbnails=False`` is the same as ``thumbnails=ThumbnailMode.SKIP``."""
    report = ImportReport()
    found = list(discover(paths))
    report.files_seen = len(found)
    async with unit_of_work(factory) as session:
        owner = await get_or_create_user(session, user_handle, timezone=settings.timezone)
        owner_id, owner_timezone = owner.id, owner.timezone
    batches = _UserBatches()

    images = [item.path for item in found if item.kind is FileKind.IMAGE]
    for item in found:
        if item.kind is FileKind.SKIPPED:
            report.skipped.append(str(item.path))
        elif item.kind is FileKind.MISSING:
            report.problems.append(FileProblem(str(item.path), "no such file or folder"))
        if item.kind in (FileKind.SKIPPED, FileKind.MISSING):
            _advance(progress, 1)

    started = time.perf_counter()
    with MetadataReader(len(images)) as reader:
        pending: list[_PendingRow] = []
        async for chunk in reader.read_asset_rows(images, owner_timezone, owner_id):
            for path, outcome in chunk:
                if isinstance(outcome, ReadAsset):
                    pending.append(_PendingRow(outcome.record_id, outcome.values, path, str(path)))
                else:
                    report.problems.append(outcome)
                    _advance(progress, 1)
            if len(pending) >= settings.import_batch_size:
                await _store(factory, pending, owner_id, report, batches)
                _advance(progress, len(pending))
                pending = []
        await _store(factory, pending, owner_id, report, batches)
        _advance(progress, len(pending))

    for item in found:
        if item.kind is FileKind.RECORDS:
            await _import_records_file(
                factory, item, settings, owner_id, owner_timezone, honour_record_users, report, batches
            )
            _advance(progress, 1)

    report.phase_seconds["read_and_store"] = time.perf_counter() - started

    mode = thumbnails if make_thumbnails else ThumbnailMode.SKIP
    if mode is ThumbnailMode.BACKGROUND and not settings.redis_url:
        mode = ThumbnailMode.INLINE  # nothing to queue on: the catalog must still end up complete

    started = time.perf_counter()
    if mode is ThumbnailMode.INLINE:  # before re-clustering, so the visual descriptors take part
        for user_id, sources in batches.thumbnail_sources.items():
            report.thumbnails_made += await _make_thumbnails(factory, settings, user_id, sources, report)
    report.phase_seconds["thumbnails"] = time.perf_counter() - started

    started = time.perf_counter()
    for user_id, asset_ids in batches.new_asset_ids.items():
        async with unit_of_work(factory) as session:
            report.reclustering.append(await recluster_span(session, user_id, asset_ids))
        report.new_asset_ids.extend(asset_ids)
    report.phase_seconds["recluster"] = time.perf_counter() - started

    if settings.redis_url:
        started = time.perf_counter()
        if mode is ThumbnailMode.BACKGROUND:  # the job re-clusters once the descriptors exist
            for user_id, sources in batches.thumbnail_sources.items():
                await queue_thumbnails(settings.redis_url, user_id, list(sources))
                report.thumbnails_queued += len(sources)
        if batches.new_asset_ids and settings.prompt_embeddings:
            await queue_prompt_embeddings(settings.redis_url)
        report.phase_seconds["queue"] = time.perf_counter() - started
    report.problems.sort(key=lambda problem: problem.path)
    return report


async def _store(
    factory: SessionFactory,
    pending: Sequence[_PendingRow],
    user_id: uuid.UUID,
    report: ImportReport,
    batches: _UserBatches,
) -> None:
    """One batch, one transaction: new rows in, stored export times applied to them.

    Should the database refuse the batch for its data (a value no check foresaw), the batch is
    stored again row by row, each in its own transaction, and only the refused rows are reported:
    one bad file never costs the others their place.
    """
    if not pending:
        return
    unique: dict[str, _PendingRow] = {}
    for item in pending:
        unique.setdefault(item.record_id, item)
    refused: set[str] = set()
    try:
        inserted = await _store_rows(factory, user_id, list(unique.values()), report)
    except Exception as error:
        if not _is_data_error(error):
            raise
        inserted = {}
        for item in unique.values():
            try:
                inserted |= await _store_rows(factory, user_id, [item], report)
            except Exception as row_error:
                if not _is_data_error(row_error):
                    raise
                refused.add(item.record_id)
                report.problems.append(FileProblem(item.label, f"cannot be stored ({_reason(row_error)})"))
    from_files = pending[0].source_path is not None
    report.imported += len(inserted) if from_files else 0
    report.records_imported += 0 if from_files else len(inserted)
    report.already_known += len(pending) - len(inserted) - len(refused)  # a refused file's copy: known
    for record_id, asset_id in inserted.items():
        item = unique[record_id]
        batches.new_asset_ids[user_id].append(asset_id)
        if item.source_path is not None:
            batches.thumbnail_sources[user_id][asset_id] = item.source_path


async def _store_rows(
    factory: SessionFactory, user_id: uuid.UUID, rows: Sequence[_PendingRow], report: ImportReport
) -> dict[str, uuid.UUID]:
    async with unit_of_work(factory) as session:
        inserted = await copy_new_assets(session, [row.values for row in rows])
        applied = await apply_stored_evidence(session, user_id, asset_ids=list(inserted.values()))
    report.times_from_exports += len(applied.updated)
    return inserted


def _is_data_error(error: BaseException) -> bool:
    """A refusal of the data itself (SQLSTATE class 22 or 23, or text that cannot be encoded), as
    opposed to a lost connection or a server problem, which must abort the import."""
    if isinstance(error, UnicodeError):
        return True
    cause = error.orig if isinstance(error, DBAPIError) else error
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if isinstance(cause, asyncpg.PostgresError) or state:
        return str(state or "")[:2] in ("22", "23")
    return isinstance(cause, asyncpg.DataError | UnicodeError)


def _reason(error: BaseException) -> str:
    cause = error.orig if isinstance(error, DBAPIError) else error
    return str(cause).splitlines()[0] if str(cause) else type(cause).__name__


async def _import_records_file(
    factory: SessionFactory,
    item: FoundFile,
    settings: AtelierSettings,
    owner_id: uuid.UUID,
    owner_timezone: str,
    honour_record_users: bool,
    report: ImportReport,
    batches: _UserBatches,
) -> None:
    user_ids: dict[str | None, uuid.UUID] = {None: owner_id}
    pending: dict[uuid.UUID, list[_PendingRow]] = defaultdict(list)
    try:
        outcomes = list(read_records_jsonl(item.path, local_tz=ZoneInfo(owner_timezone)))
    except OSError as error:
        report.problems.append(FileProblem(str(item.path), f"cannot read ({error.strerror or error})"))
        return
    for outcome in outcomes:
        if isinstance(outcome, RecordLineError):
            report.problems.append(FileProblem(f"{item.path}:{outcome.line_number}", outcome.message))
            continue
        handle = outcome.user if honour_record_users else None
        if handle not in user_ids:
            async with unit_of_work(factory) as session:
                user_ids[handle] = (
                    await get_or_create_user(session, str(handle), timezone=owner_timezone)
                ).id
        user_id = user_ids[handle]
        label = f"{item.path}: record {str(outcome.id)[:60]}"
        try:
            row = record_to_row(_without_user(outcome), user_id=user_id)
            problem = row_problem(row)
            values = copy_values(row) if problem is None else ()
        except Exception as error:  # e.g. text that is not encodable as UTF-8: this record only
            problem = f"cannot be stored ({type(error).__name__}: {error})"
        if problem is not None:
            report.problems.append(FileProblem(label, problem))
            continue
        pending[user_id].append(_PendingRow(values[COPY_RECORD_ID_INDEX], values, None, label))
    for user_id, rows in pending.items():
        for start in range(0, len(rows), settings.import_batch_size):
            await _store(factory, rows[start : start + settings.import_batch_size], user_id, report, batches)


def _without_user(record: GenerationRecord) -> GenerationRecord:
    record.user = None
    return record


async def _make_thumbnails(
    factory: SessionFactory,
    settings: AtelierSettings,
    user_id: uuid.UUID,
    sources: dict[uuid.UUID, Path],
    report: ImportReport,
) -> int:
    store = thumbnail_store(settings)

    def render(item: tuple[uuid.UUID, Path]) -> tuple[uuid.UUID, MadeThumbnail | None, str | None]:
        asset_id, path = item
        try:
            return (asset_id, make_thumbnail(path, store, size_px=settings.thumbnail_size_px), None)
        except ThumbnailError as error:
            return asset_id, None, str(error)

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(render, sources.items()))
    made = {asset_id: thumbnail for asset_id, thumbnail, _ in outcomes if thumbnail is not None}
    for asset_id, _, problem in outcomes:
        if problem is not None:
            report.problems.append(FileProblem(str(sources[asset_id]), problem))
    async with unit_of_work(factory) as session:
        await lock_user_library(session, user_id)  # the library lock order: stream lock, then rows
        await set_thumbnails(session, user_id, made)
    return len(made)


def _advance(progress: ProgressCallback | None, count: int) -> None:
    if progress is not None and count:
        progress(count)
