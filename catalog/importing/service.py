"""``import_paths``: folders, image files and JSON-lines record files into a user's catalog.

Unit of work: this is a job, not a service called inside someone else's transaction — it commits
once per batch (``import_batch_size`` files), so an interrupted import keeps every batch already
stored, and re-running it adds only what is missing (records are keyed by content hash per user).

Every file is accounted for exactly once in :attr:`ImportReport.files` (see
:mod:`catalog.importing.outcomes`): nothing one file holds — a corrupt header, broken EXIF, JSON
nested 10,000 deep, a FIFO — can abort the import; it becomes that file's ``problem`` with a specific
reason and the import goes on. Only a failure of the import itself (the database is gone) raises.

Crash consistency: each batch's assets are stored with a ``clustering_owed`` mark in the same
transaction, and the re-clustering that covers them clears the marks in its own
(:mod:`catalog.importing.owed_work`). The import completes the owed work of its user at its start —
so a run killed after committing rows is finished by the next, even when every file is then already
known — and, in inline and after-sessions thumbnail modes, makes the thumbnails the user's assets
still lack (inline: first; after-sessions: with this import's own, once the sessions are in).

Pipeline (the metadata path never decodes pixels):

1. files are read by :class:`~catalog.importing.file_reading.MetadataReader` — a process pool for
   large imports, whose workers also build the database rows — while earlier batches are written;
2. each batch is ``COPY``-ed in (:mod:`catalog.importing.bulk_asset_repository`) and, in the same
   transaction, marked as owing a re-clustering and given the user's stored tool-export times
   (:mod:`catalog.importing.export_evidence`), so an export imported before its files still counts;
3. thumbnails: :attr:`ThumbnailMode.AFTER_SESSIONS` (``atelier import``) re-clusters first — the
   sessions are committed and queryable before any thumbnail exists — then renders the thumbnails
   on a process pool (:mod:`catalog.importing.thumbnail_pool`), stores them in batches as they come
   and re-clusters once more so the visual descriptors take part (killed meanwhile, the missing
   thumbnails and that re-clustering are owed work: the next import or the worker's healing cron
   does them); :attr:`ThumbnailMode.INLINE` renders them here in threads (demo, tests) before
   re-clustering, so the visual descriptors take part; :attr:`ThumbnailMode.BACKGROUND` queues
   ``make_thumbnails`` jobs for the arq worker after re-clustering (``atelier serve``, watched
   folders; falls back to inline without a Redis URL); :attr:`ThumbnailMode.SKIP` leaves them to
   the worker's backfill;
4. each user's owed re-clustering is completed once (not once per batch).

Files overwritten in place (same path, other bytes: a tool re-writing ``latest.png``, an artist
re-saving an edit): records are keyed by content, so the new bytes are a new asset, and the catalog
follows the file on disk — once the image files are stored, one statement finds the assets read from
a path this import just read other bytes from (also when those bytes were already known, or were
removed earlier), and they leave the library through the artist's removal path
(:func:`catalog.assets.removal.remove_assets`, one unit of work: the span around them re-clustered,
corrections naming them re-anchored, their lineage links gone with them; then their thumbnails no
image uses are deleted, :func:`~catalog.assets.removal.discard_unused_files`). Choices:

- bytes identical to the stored ones are the same record: nothing changes;
- the artist did not remove them, so their removed-records rows are deleted in the same transaction:
  should the file get its first bytes back (an edit undone), they are imported again, not ``ignored``;
- an image whose bytes this import read from another file as well (``latest.png`` renamed to
  ``v1.png`` and a new ``latest.png`` written) stays, re-pointed to that file. Only files of the same
  import are seen: run separately, the rename's import (``known``) does not move the image, and the
  later import of the new ``latest.png`` takes it out (a later import of ``v1.png`` brings its bytes
  back as a new image);
- a file that cannot be read (overwritten by something that is no image, cut short, unreadable for
  now) proves nothing about the bytes: the earlier image stays, and the file's ``problem`` reason
  ends with :data:`~catalog.importing.outcomes.EARLIER_IMAGE_KEPT_NOTE`;
- an interrupted import (``stop``) leaves this step to the next import of the same files: those
  it then finds ``known`` are checked too, as are two assets left at one path.

Round trips: per batch, not per file (the ``COPY``, the insert, the owed marks, the export times and,
when the batch held known files, one lookup of their ids); per import, one lookup of the user's
assets at the paths read (by file name, through ``ix_assets_user_file_name``) and, only when it finds
any, one removal.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.exc import DBAPIError

from catalog.accounts.service import AccountError, get_or_create_user
from catalog.accounts.time_zones import stored_time_zone
from catalog.assets.removal import Removal, discard_unused_files, remove_assets
from catalog.database import SessionFactory, unit_of_work
from catalog.importing import owed_work
from catalog.importing.asset_rows import (
    ASSET_COPY_COLUMNS,
    COPY_RECORD_ID_INDEX,
    copy_values,
    record_to_row,
    row_problem,
)
from catalog.importing.bulk_asset_repository import CopiedAssets, copy_new_assets
from catalog.importing.discovery import FileKind, FoundFile, discover
from catalog.importing.export_evidence import apply_stored_evidence
from catalog.importing.file_reading import FileProblem, MetadataReader, ReadAsset, resolved_path
from catalog.importing.known_files_repository import (
    ReadFile,
    forget_removals,
    overwritten_assets,
    paths_holding_assets,
    repoint_assets,
)
from catalog.importing.outcomes import (
    EARLIER_IMAGE_KEPT_NOTE,
    REMOVED_EARLIER_REASON,
    FileOutcome,
    Outcome,
    RecordCounts,
)
from catalog.importing.owed_work_repository import assets_missing_thumbnails, mark_clustering_owed
from catalog.importing.thumbnail_pool import ThumbnailFailure, ThumbnailRenderer
from catalog.library_locks import lock_user_library
from catalog.sessions.reclustering import ReclusterSummary
from catalog.settings import AtelierSettings
from catalog.stored_paths import StoredPath, stored_path
from catalog.thumbnails import MadeThumbnail
from engine.gc_pause import cyclic_gc_paused
from engine.record_codec import RecordLineError, read_records_jsonl
from engine.records import GenerationRecord

ProgressCallback = Callable[[int], None]
"""Called with the number of files just processed."""
ThumbnailProgressCallback = Callable[[int, int, int], None]
"""``(done, total, failed)``: thumbnails accounted for so far (made or failed), how many there are to
make, and how many of those done could not be made; ``(0, total, 0)`` once the sessions are in."""
THUMBNAIL_STORE_BATCH = 500
"""Rendered thumbnails stored per transaction in :attr:`ThumbnailMode.AFTER_SESSIONS`."""
_FILE_PATH_INDEX = ASSET_COPY_COLUMNS.index("file_path")
_FILE_PATH_BYTES_INDEX = ASSET_COPY_COLUMNS.index("file_path_bytes")
_FILE_NAME_INDEX = ASSET_COPY_COLUMNS.index("file_name")


class ThumbnailMode(StrEnum):
    AFTER_SESSIONS = "after_sessions"
    """Re-cluster first (sessions queryable), then render on a process pool and re-cluster again."""
    INLINE = "inline"
    """Render in threads before re-clustering (one re-clustering, slower to the first session)."""
    BACKGROUND = "background"
    SKIP = "skip"


@dataclass(slots=True)
class ImportReport:
    files_seen: int = 0
    imported: int = 0
    already_known: int = 0
    records_imported: int = 0
    files: list[FileOutcome] = field(default_factory=list)
    """One outcome per entry met, sorted by path (what ``atelier import --json`` prints)."""
    problems: list[FileProblem] = field(default_factory=list)
    """Every problem in detail: files, folders, refused record lines (``file.jsonl:12``)."""
    skipped: list[str] = field(default_factory=list)
    """Paths of ignored entries (their reasons are in :attr:`files`)."""
    thumbnail_problems: list[FileProblem] = field(default_factory=list)
    """Files imported this run whose thumbnail could not be made (still imported and clustered)."""
    thumbnails_made: int = 0
    earlier_thumbnails_made: int = 0
    """Thumbnails made at the start for assets an earlier (interrupted) import left without one."""
    earlier_thumbnails_failed: int = 0
    thumbnails_queued: int = 0
    """Assets whose thumbnails were queued for the worker (``ThumbnailMode.BACKGROUND``)."""
    times_from_exports: int = 0
    """New assets whose time (or job id) came from a previously imported tool export."""
    reclustering: list[ReclusterSummary] = field(default_factory=list)
    visual_reclustering: list[ReclusterSummary] = field(default_factory=list)
    """``AFTER_SESSIONS``: the re-clustering once the thumbnails' descriptors are stored (not counted
    in :attr:`sessions_touched`, which counts the sessions this import's files made or changed)."""
    new_asset_ids: list[uuid.UUID] = field(default_factory=list)
    """Every asset this import created (any user), in the order they were stored."""
    phase_seconds: dict[str, float] = field(default_factory=dict)
    """Wall-clock seconds per step (``read_and_store``, ``recluster``, ``thumbnails``), for the bench."""
    sessions_ready_seconds: float | None = None
    """Seconds from the start of :func:`import_paths` until the re-clustering of this import's files
    was committed (the sessions queryable)."""
    interrupted: bool = False
    """The import stopped at a safe point when asked to (``stop``): what it stored is kept and owes
    its re-clustering and thumbnails (see :func:`import_paths`)."""
    files_not_read: int = 0
    """Files (images and record files) left unread by an interrupted import; they have no outcome."""
    removed_earlier: int = 0
    """Images and records left out because the artist removed them from the library
    (:mod:`catalog.assets.removal`); image files among them are ``ignored`` with a reason."""
    overwritten: int = 0
    """Images that left the library because the file they were read from was overwritten in place with
    other bytes (this import read the file's new bytes: see :func:`import_paths`)."""
    overwritten_asset_ids: list[uuid.UUID] = field(default_factory=list)
    """The ids of those images (gone now), in the order removed."""

    @property
    def sessions_touched(self) -> int:
        return sum(summary.sessions_written for summary in self.reclustering)

    def outcome_counts(self) -> dict[str, int]:
        counts = {str(outcome): 0 for outcome in Outcome}
        for item in self.files:
            counts[str(item.outcome)] += 1
        return counts

    @property
    def has_problems(self) -> bool:
        return any(item.outcome is Outcome.PROBLEM for item in self.files)

    def summary_json(self) -> dict[str, Any]:
        return {
            "files": len(self.files),
            **self.outcome_counts(),
            "records_imported": self.records_imported,
            "thumbnail_warnings": len(self.thumbnail_problems),
            "sessions_updated": self.sessions_touched,
            "interrupted": self.interrupted,
            "files_not_read": self.files_not_read,
            "removed_earlier": self.removed_earlier,
            "overwritten": self.overwritten,
        }

    def _add(self, outcome: FileOutcome) -> FileOutcome:
        self.files.append(outcome)
        if outcome.outcome is Outcome.PROBLEM and outcome.records is None:
            self.problems.append(FileProblem(outcome.path, outcome.reason or "problem"))
        elif outcome.outcome is Outcome.IGNORED:
            self.skipped.append(outcome.path)
        return outcome


@dataclass(slots=True)
class _UserBatches:
    """New assets per user id (for re-clustering) and the files to make thumbnails from."""

    new_asset_ids: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))
    thumbnail_sources: dict[uuid.UUID, dict[uuid.UUID, Path]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    imported_files: dict[uuid.UUID, FileOutcome] = field(default_factory=dict)
    """Outcome of each image file imported, by asset id (a thumbnail failure is noted on it)."""
    read_files: list[ReadFile] = field(default_factory=list)
    """Each image file of the owner read and stored (imported, known, or removed earlier): its path as
    the asset rows hold it, and the asset its bytes are now (to find the images it no longer holds).
    About 70 bytes a file: the path text is the outcome's when the two are equal, the id is shared."""
    unreadable_files: list[tuple[StoredPath, FileOutcome]] = field(default_factory=list)
    """Image files that could not be read, with their problem outcome."""


@dataclass(slots=True)
class _PendingRow:
    record_id: str
    values: tuple[Any, ...]
    source_path: Path | None
    label: str
    """Where the row came from, for a problem report (a file path, or ``file.jsonl: record <id>``)."""


@dataclass(slots=True)
class _Stored:
    """What became of a batch's rows, by record id."""

    new: dict[str, uuid.UUID] = field(default_factory=dict)
    known: dict[str, uuid.UUID] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)


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
    complete_missing_thumbnails: bool = True,
    thumbnail_progress: ThumbnailProgressCallback | None = None,
    stop: asyncio.Event | None = None,
    include_removed: bool = False,
) -> ImportReport:
    """Import ``paths`` for ``user_handle`` (created if missing). JSONL records naming another
    ``user`` go to that user when ``honour_record_users`` (the local CLI), else to ``user_handle``.
    ``make_thumbnails=False`` is the same as ``thumbnails=ThumbnailMode.SKIP``.
    ``complete_missing_thumbnails`` (inline and after-sessions modes): also make the thumbnails the
    user's stored assets lack — a watched folder's batches turn it off (the first import already did
    it). ``thumbnail_progress`` follows the after-sessions mode's thumbnail phase.

    Images and records the artist removed from the library are left out (image files are ``ignored``
    with a reason, :attr:`ImportReport.removed_earlier` counts both) unless ``include_removed``, which
    imports them again and forgets their removal. An image whose file now holds other bytes leaves
    the library (counted in :attr:`ImportReport.overwritten`; see the module docstring).

    ``stop`` (``atelier import`` sets it on Ctrl-C or SIGTERM) is checked at safe points only, never
    in the middle of a statement: at the start (already set, earlier imports' owed work stays owed
    and no file is read), after each chunk of files read (the rows read so far are stored as one
    last batch, files not yet read are left: :attr:`ImportReport.files_not_read`), before record
    files, before the re-clustering, and after each chunk of thumbnails (those made are stored). The
    report is then :attr:`~ImportReport.interrupted`; every stored asset is marked as owing its
    re-clustering (and lacks its thumbnail), which the next import of the user or the worker's healing
    cron completes."""
    report = ImportReport()
    mode = thumbnails if make_thumbnails else ThumbnailMode.SKIP
    if mode is ThumbnailMode.BACKGROUND and not settings.redis_url:
        mode = ThumbnailMode.INLINE  # nothing to queue on: the catalog must still end up complete
    async with unit_of_work(factory) as session:
        owner = await get_or_create_user(session, user_handle, timezone=settings.timezone)
        owner_id, owner_timezone = owner.id, owner.timezone

    import_started = started = time.perf_counter()
    stopping = stop.is_set if stop is not None else _never
    if stopping():  # asked before the import began: the files are counted, none is read
        complete_missing_thumbnails = False
    if mode in (ThumbnailMode.INLINE, ThumbnailMode.AFTER_SESSIONS) and complete_missing_thumbnails:
        await owed_work.retry_failed_thumbnails(factory, owner_id)  # those an older decoder could not read
    if mode is ThumbnailMode.INLINE and complete_missing_thumbnails:
        earlier = await owed_work.make_missing_thumbnails(factory, settings, owner_id)
        report.earlier_thumbnails_made = len(earlier.made)
        report.earlier_thumbnails_failed = len(earlier.failed)
        report.thumbnails_made += len(earlier.made)
    if not stopping():
        report.reclustering.extend(await owed_work.complete_owed_clustering(factory, owner_id))
    report.phase_seconds["owed_work"] = time.perf_counter() - started

    found = list(discover(paths))
    report.files_seen = len(found)
    batches = _UserBatches()
    for item in found:
        if item.kind is FileKind.SKIPPED:
            report._add(FileOutcome(str(item.path), Outcome.IGNORED, item.reason))
        elif item.kind in (FileKind.MISSING, FileKind.PROBLEM):
            report._add(FileOutcome(str(item.path), Outcome.PROBLEM, item.reason))
        if item.kind in (FileKind.SKIPPED, FileKind.MISSING, FileKind.PROBLEM):
            _advance(progress, 1)

    started = time.perf_counter()
    images = [item.path for item in found if item.kind is FileKind.IMAGE]
    # the rows read and stored all survive their batch: see engine.gc_pause (−0.2 s at 5,000 files)
    with cyclic_gc_paused():
        read = await _read_and_store_images(
            factory,
            settings,
            images,
            owner_id,
            owner_timezone,
            report,
            batches,
            progress,
            stopping,
            include_removed,
        )
    report.files_not_read = len(images) - read
    if not stopping():  # else the next import of these files does it (it finds them known)
        await _retire_overwritten_images(factory, settings, owner_id, report, batches)

    for item in found:
        if item.kind is FileKind.RECORDS:
            if stopping():
                report.files_not_read += 1
                continue
            with cyclic_gc_paused():
                await _import_records_file(
                    factory,
                    item,
                    settings,
                    owner_id,
                    owner_timezone,
                    honour_record_users,
                    report,
                    batches,
                    include_removed,
                )
            _advance(progress, 1)
    report.phase_seconds["read_and_store"] = time.perf_counter() - started
    if stopping():  # what was stored owes its re-clustering and thumbnails
        return _interrupted(report)

    with contextlib.ExitStack() as stack:
        pooled: dict[uuid.UUID, tuple[uuid.UUID, Path]] = {}
        renderer: ThumbnailRenderer | None = None
        if mode is ThumbnailMode.AFTER_SESSIONS:
            pooled = await _thumbnails_to_make(factory, owner_id, batches, complete_missing_thumbnails)
            renderer = stack.enter_context(ThumbnailRenderer(settings, len(pooled)))

        started = time.perf_counter()
        if mode is ThumbnailMode.INLINE:  # before re-clustering, so the visual descriptors take part
            for user_id, sources in batches.thumbnail_sources.items():
                made = await owed_work.make_thumbnails(factory, settings, user_id, sources)
                report.thumbnails_made += len(made.made)
                for asset_id, reason in sorted(made.failed.items(), key=lambda item: str(sources[item[0]])):
                    imported = batches.imported_files[asset_id]
                    imported.reason = f"thumbnail failed: {reason}"
                    report.thumbnail_problems.append(FileProblem(imported.path, reason))
            report.phase_seconds["thumbnails"] = time.perf_counter() - started

        started = time.perf_counter()
        for user_id, asset_ids in batches.new_asset_ids.items():
            report.reclustering.extend(await owed_work.complete_owed_clustering(factory, user_id))
            report.new_asset_ids.extend(asset_ids)
        report.phase_seconds["recluster"] = time.perf_counter() - started
        report.sessions_ready_seconds = time.perf_counter() - import_started

        if renderer is not None:  # the sessions are committed: now the CPU goes to the thumbnails
            started = time.perf_counter()
            renderer.start({asset_id: path for asset_id, (_, path) in pooled.items()})
            await _collect_thumbnails(
                factory, renderer, pooled, batches, report, thumbnail_progress, stopping
            )
            report.phase_seconds["thumbnails"] = time.perf_counter() - started
            if stopping():  # the thumbnails stored owe the re-clustering with their descriptors
                return _interrupted(report)
            started = time.perf_counter()
            for user_id in sorted({user_id for user_id, _ in pooled.values()}):
                report.visual_reclustering.extend(await owed_work.complete_owed_clustering(factory, user_id))
            report.phase_seconds["visual_recluster"] = time.perf_counter() - started

    if settings.redis_url:
        started = time.perf_counter()
        queue_thumbnail_jobs = mode is ThumbnailMode.BACKGROUND and bool(batches.thumbnail_sources)
        queue_embeddings = bool(batches.new_asset_ids) and settings.prompt_embeddings
        if queue_thumbnail_jobs or queue_embeddings:
            # arq (and redis, PyJWT, cryptography under it) loads only when there is a job to queue
            from catalog.tasks import queue_prompt_embeddings, queue_thumbnails

            if queue_thumbnail_jobs:  # the job re-clusters once the descriptors exist
                for user_id, sources in batches.thumbnail_sources.items():
                    await queue_thumbnails(settings.redis_url, user_id, list(sources))
                    report.thumbnails_queued += len(sources)
            if queue_embeddings:
                await queue_prompt_embeddings(settings.redis_url)
        report.phase_seconds["queue"] = time.perf_counter() - started
    _sort_report(report)
    return report


async def _retire_overwritten_images(
    factory: SessionFactory,
    settings: AtelierSettings,
    owner_id: uuid.UUID,
    report: ImportReport,
    batches: _UserBatches,
) -> None:
    """The catalog follows the files read: an image read from a path that now holds other bytes
    leaves the library (see :func:`import_paths`), and a file that could not be read says when the
    library still holds the image read from it earlier."""
    async with factory() as session:
        overwritten = await overwritten_assets(session, owner_id, batches.read_files)
        still_held = await paths_holding_assets(
            session, owner_id, [path for path, _ in batches.unreadable_files]
        )
    if still_held:
        noted: dict[str, str] = {}
        for path, outcome in batches.unreadable_files:
            if path in still_held:
                outcome.reason = f"{outcome.reason} ({EARLIER_IMAGE_KEPT_NOTE})"
                noted[outcome.path] = outcome.reason
        report.problems = [
            FileProblem(problem.path, noted.get(problem.path, problem.reason)) for problem in report.problems
        ]
    created = set(batches.new_asset_ids.get(owner_id, ()))
    overwritten = [asset for asset in overwritten if asset.asset_id not in created]
    if not overwritten:
        return
    wanted = {asset.asset_id for asset in overwritten}
    elsewhere: dict[uuid.UUID, StoredPath] = {}  # their bytes, read by this import from another file
    for text, raw, asset_id, _ in batches.read_files:
        if asset_id in wanted:
            elsewhere.setdefault(asset_id, StoredPath(text, raw))
    moved = dict(elsewhere)
    gone = {asset.asset_id: asset.record_id for asset in overwritten if asset.asset_id not in elsewhere}
    removal: Removal | None = None
    async with unit_of_work(factory) as session:
        if gone:
            removal = await remove_assets(session, owner_id, list(gone))
            # not removed by the artist: should those bytes come back, they are imported again
            await forget_removals(session, owner_id, [gone[asset_id] for asset_id in removal.removed])
        if moved:
            await lock_user_library(session, owner_id)
            await repoint_assets(session, owner_id, moved)
    if removal is not None:
        report.overwritten += len(removal.removed)
        report.overwritten_asset_ids.extend(removal.removed)
        report.reclustering.append(  # the sessions the new bytes joined were written by the removal's pass
            ReclusterSummary(owner_id, 0, removal.sessions_changed, 0, removal.sessions_deleted)
        )
        await discard_unused_files(factory, settings, owner_id, removal)


def _never() -> bool:
    return False


def _interrupted(report: ImportReport) -> ImportReport:
    report.interrupted = True
    _sort_report(report)
    return report


def _sort_report(report: ImportReport) -> None:
    report.files.sort(key=lambda outcome: outcome.path)
    report.problems.sort(key=lambda problem: _natural_order(problem.path))
    report.thumbnail_problems.sort(key=lambda problem: _natural_order(problem.path))


def _natural_order(text: str) -> tuple[str | int, ...]:
    """A sort key reading digit runs as numbers: a log's problems ``log.jsonl:2`` before
    ``log.jsonl:10`` (as text, line 100,176 came right after line 10 000). Digit runs always sit at
    odd positions of the split, so keys compare position by position, str with str, int with int."""
    return tuple(int(part) if at % 2 else part for at, part in enumerate(_DIGIT_RUNS.split(text)))


_DIGIT_RUNS = re.compile(r"(\d+)")


async def _thumbnails_to_make(
    factory: SessionFactory, owner_id: uuid.UUID, batches: _UserBatches, complete_missing: bool
) -> dict[uuid.UUID, tuple[uuid.UUID, Path]]:
    """Asset id → (user id, file) of the thumbnails to make: this import's files, then (with
    ``complete_missing``) the owner's other assets that have a file but no thumbnail yet (what an
    interrupted import left undone)."""
    wanted = {
        asset_id: (user_id, path)
        for user_id, sources in batches.thumbnail_sources.items()
        for asset_id, path in sources.items()
    }
    after: uuid.UUID | None = None
    while complete_missing:
        async with factory() as session:
            page = await assets_missing_thumbnails(
                session, owner_id, after=after, limit=owed_work.MISSING_THUMBNAILS_PAGE * 25
            )
        if not page:
            break
        after = page[-1][0]
        for asset_id, path in page:
            wanted.setdefault(asset_id, (owner_id, path))
    return wanted


async def _collect_thumbnails(
    factory: SessionFactory,
    renderer: ThumbnailRenderer,
    pooled: dict[uuid.UUID, tuple[uuid.UUID, Path]],
    batches: _UserBatches,
    report: ImportReport,
    progress: ThumbnailProgressCallback | None,
    stopping: Callable[[], bool],
) -> None:
    """Store the renderer's thumbnails as they come (:data:`THUMBNAIL_STORE_BATCH` per transaction,
    each marking its asset as owing a re-clustering) and account for each: a failure of one of this
    import's files is noted on its outcome, exactly as the inline path notes it. Once ``stopping()``,
    the thumbnails made so far are stored and the rest are left (the pool drops its queued chunks)."""
    total, done, failed = len(pooled), 0, 0
    if progress is not None:
        progress(0, total, 0)
    waiting: dict[uuid.UUID, dict[uuid.UUID, MadeThumbnail]] = defaultdict(dict)
    failures: dict[uuid.UUID, dict[uuid.UUID, ThumbnailFailure]] = defaultdict(dict)

    async def store(user_id: uuid.UUID) -> None:
        made = waiting.pop(user_id, {})
        await owed_work.store_thumbnails(factory, user_id, made, failures.pop(user_id, {}))
        report.thumbnails_made += len(made)
        report.earlier_thumbnails_made += sum(asset_id not in batches.imported_files for asset_id in made)

    async with contextlib.aclosing(renderer.outcomes()) as chunks:
        async for outcomes in chunks:
            for asset_id, outcome in outcomes.items():
                user_id = pooled[asset_id][0]
                if isinstance(outcome, MadeThumbnail):
                    waiting[user_id][asset_id] = outcome
                    continue
                failed += 1
                failures[user_id][asset_id] = outcome
                if asset_id in batches.imported_files:
                    imported = batches.imported_files[asset_id]
                    imported.reason = f"thumbnail failed: {outcome.reason}"
                    report.thumbnail_problems.append(FileProblem(imported.path, outcome.reason))
                else:
                    report.earlier_thumbnails_failed += 1
            full = [user_id for user_id, made in waiting.items() if len(made) >= THUMBNAIL_STORE_BATCH]
            for user_id in full:
                await store(user_id)
            done += len(outcomes)
            if progress is not None:
                progress(done, total, failed)
            if stopping():
                break
    for user_id in {*waiting, *failures}:
        await store(user_id)


async def _read_and_store_images(
    factory: SessionFactory,
    settings: AtelierSettings,
    images: Sequence[Path],
    owner_id: uuid.UUID,
    owner_timezone: str,
    report: ImportReport,
    batches: _UserBatches,
    progress: ProgressCallback | None,
    stopping: Callable[[], bool],
    include_removed: bool,
) -> int:
    """Read ``images`` (a pool for large sets) and store them in batches of ``import_batch_size``
    while the next ones are read; returns how many were read. Once ``stopping()``, the rows read so
    far are stored as a last batch and the chunks still queued are dropped."""
    read = 0
    if stopping():
        return read
    with MetadataReader(len(images)) as reader:
        pending: list[_PendingRow] = []
        chunks = reader.read_asset_rows(images, owner_timezone, owner_id)
        async with contextlib.aclosing(chunks) as read_chunks:
            async for chunk in read_chunks:
                for path, outcome in chunk:
                    if isinstance(outcome, ReadAsset):
                        pending.append(_PendingRow(outcome.record_id, outcome.values, path, str(path)))
                    else:
                        problem = report._add(FileOutcome(str(path), Outcome.PROBLEM, outcome.reason))
                        batches.unreadable_files.append((stored_path(resolved_path(str(path))), problem))
                        _advance(progress, 1)
                read += len(chunk)
                if len(pending) >= settings.import_batch_size:
                    await _store_image_files(factory, pending, owner_id, report, batches, include_removed)
                    _advance(progress, len(pending))
                    pending = []
                if stopping():
                    break
        await _store_image_files(factory, pending, owner_id, report, batches, include_removed)
        _advance(progress, len(pending))
    return read


async def _store_image_files(
    factory: SessionFactory,
    pending: Sequence[_PendingRow],
    user_id: uuid.UUID,
    report: ImportReport,
    batches: _UserBatches,
    include_removed: bool,
) -> None:
    """Store one batch of read image files and account for each file."""
    stored = await _store(factory, pending, user_id, report, include_removed)
    first_of: dict[str, str] = {}
    for item in pending:
        if item.record_id in stored.refused:
            added = report._add(FileOutcome(item.label, Outcome.PROBLEM, stored.refused[item.record_id]))
        elif item.record_id in stored.removed:  # every copy of removed bytes, the first or not
            added = report._add(FileOutcome(item.label, Outcome.IGNORED, REMOVED_EARLIER_REASON))
            report.removed_earlier += 1
        elif item.record_id in first_of:  # the same bytes twice in this batch
            asset_id = stored.new.get(item.record_id) or stored.known.get(item.record_id)
            reason = f"same content as {first_of[item.record_id]}"
            added = report._add(FileOutcome(item.label, Outcome.KNOWN, reason, asset_id))
            report.already_known += 1
        elif item.record_id in stored.new:
            asset_id = stored.new[item.record_id]
            added = report._add(FileOutcome(item.label, Outcome.IMPORTED, None, asset_id))
            report.imported += 1
            batches.new_asset_ids[user_id].append(asset_id)
            if item.source_path is not None:
                batches.thumbnail_sources[user_id][asset_id] = item.source_path
                batches.imported_files[asset_id] = added
        else:
            added = report._add(
                FileOutcome(item.label, Outcome.KNOWN, None, stored.known.get(item.record_id))
            )
            report.already_known += 1
        first_of.setdefault(item.record_id, item.label)
        if item.source_path is not None and (added.asset_id is not None or added.outcome is Outcome.IGNORED):
            text: str = item.values[_FILE_PATH_INDEX]
            raw: bytes | None = item.values[_FILE_PATH_BYTES_INDEX]
            name: str | None = item.values[_FILE_NAME_INDEX]
            path_text = item.label if text == item.label else text  # share the outcome's string
            batches.read_files.append((path_text, raw, added.asset_id, name))


async def _store(
    factory: SessionFactory,
    pending: Sequence[_PendingRow],
    user_id: uuid.UUID,
    report: ImportReport,
    include_removed: bool,
) -> _Stored:
    """One batch, one transaction: new rows in, marked as owing a re-clustering, stored export times
    applied to them.

    Should the database refuse the batch for its data (a value no check foresaw), the batch is
    stored again row by row, each in its own transaction, and only the refused rows are refused:
    one bad file never costs the others their place.
    """
    stored = _Stored()
    if not pending:
        return stored
    unique: dict[str, _PendingRow] = {}
    for item in pending:
        unique.setdefault(item.record_id, item)
    try:
        copied = await _store_rows(factory, user_id, list(unique.values()), report, include_removed)
        stored.new, stored.known, stored.removed = copied.new, copied.known, copied.removed
    except Exception as error:
        if not _is_data_error(error):
            raise
        for item in unique.values():
            try:
                copied = await _store_rows(factory, user_id, [item], report, include_removed)
            except Exception as row_error:
                if not _is_data_error(row_error):
                    raise
                stored.refused[item.record_id] = f"cannot be stored ({_reason(row_error)})"
                continue
            stored.new |= copied.new
            stored.known |= copied.known
            stored.removed |= copied.removed
    return stored


async def _store_rows(
    factory: SessionFactory,
    user_id: uuid.UUID,
    rows: Sequence[_PendingRow],
    report: ImportReport,
    include_removed: bool,
) -> CopiedAssets:
    async with unit_of_work(factory) as session:
        copied = await copy_new_assets(
            session, user_id, [row.values for row in rows], include_removed=include_removed
        )
        inserted = list(copied.new.values())
        await mark_clustering_owed(session, user_id, inserted)
        applied = await apply_stored_evidence(session, user_id, asset_ids=inserted)
    report.times_from_exports += len(applied.updated)
    return copied


def _is_data_error(error: BaseException) -> bool:
    """A refusal of the data itself (SQLSTATE class 22 or 23; class 54, a limit one value exceeded, such
    as an index entry too large; or a value the driver cannot encode — text that is not UTF-8, an
    integer out of its column's range), as opposed to a lost connection or a server problem, which must
    abort the import."""
    if isinstance(error, UnicodeError | OverflowError):
        return True
    cause = error.orig if isinstance(error, DBAPIError) else error
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if isinstance(cause, asyncpg.PostgresError) or state:
        return str(state or "")[:2] in ("22", "23", "54")
    return isinstance(cause, asyncpg.DataError | UnicodeError | OverflowError)


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
    include_removed: bool,
) -> None:
    """Store the records of one ``.jsonl`` file and account for the file (one outcome): records the
    artist removed count as known (and in :attr:`ImportReport.removed_earlier`)."""
    path = str(item.path)
    try:
        lines = list(read_records_jsonl(item.path, local_tz=stored_time_zone(owner_timezone)))
    except OSError as error:
        report._add(FileOutcome(path, Outcome.PROBLEM, f"cannot read ({error.strerror or error})"))
        return
    except Exception as error:  # whatever the file holds, it is this file's problem only
        report._add(FileOutcome(path, Outcome.PROBLEM, f"cannot read records ({type(error).__name__})"))
        return
    if not lines:
        report._add(FileOutcome(path, Outcome.IGNORED, "no records (empty file)"))
        return
    counts = RecordCounts()
    refusals: list[str] = []

    def refuse(label: str, reason: str) -> None:
        counts.refused += 1
        where = label.removeprefix(path)
        refusals.append(f"line {where[1:]}: {reason}" if where[1:2].isdigit() else f"{where[2:]}: {reason}")
        report.problems.append(FileProblem(label, reason))

    user_ids: dict[str | None, uuid.UUID | str] = {None: owner_id}
    """Each record user's id, or why no user can have that handle (its records are refused: a
    record's bad ``user`` is that record's problem, never the whole import's)."""
    pending: dict[uuid.UUID, list[_PendingRow]] = defaultdict(list)
    for line in lines:
        if isinstance(line, RecordLineError):
            refuse(f"{path}:{line.line_number}", line.message)
            continue
        handle = line.user if honour_record_users else None
        if handle not in user_ids:
            try:
                async with unit_of_work(factory) as session:
                    user_ids[handle] = (
                        await get_or_create_user(session, str(handle), timezone=owner_timezone)
                    ).id
            except AccountError as error:
                user_ids[handle] = f"field 'user': {error}"
        user_id = user_ids[handle]
        label = f"{path}: record {str(line.id)[:60]}"
        if isinstance(user_id, str):
            refuse(label, user_id)
            continue
        try:
            row = record_to_row(_without_user(line), user_id=user_id)
            problem = row_problem(row)
            values = copy_values(row) if problem is None else ()
        except Exception as error:  # e.g. text that is not encodable as UTF-8: this record only
            problem = f"cannot be stored ({type(error).__name__}: {error})"
        if problem is not None:
            refuse(label, problem)
            continue
        pending[user_id].append(_PendingRow(values[COPY_RECORD_ID_INDEX], values, None, label))
    for user_id, rows in pending.items():
        for start in range(0, len(rows), settings.import_batch_size):
            chunk = rows[start : start + settings.import_batch_size]
            stored = await _store(factory, chunk, user_id, report, include_removed)
            counted: set[str] = set()
            for pending_row in chunk:
                record_id = pending_row.record_id
                if record_id in stored.refused:
                    refuse(pending_row.label, stored.refused[record_id])
                elif record_id in stored.new and record_id not in counted:
                    counts.imported += 1
                    batches.new_asset_ids[user_id].append(stored.new[record_id])
                else:
                    if record_id in stored.removed and record_id not in counted:
                        report.removed_earlier += 1
                    counts.known += 1
                counted.add(record_id)
    report.records_imported += counts.imported
    report.already_known += counts.known  # records, like files, already stored
    if counts.refused:
        total = counts.imported + counts.known + counts.refused
        reason = f"{counts.refused} of {total} records refused (first: {refusals[0]})"
        report._add(FileOutcome(path, Outcome.PROBLEM, reason, records=counts))
    elif counts.imported:
        report._add(FileOutcome(path, Outcome.IMPORTED, records=counts))
    else:
        report._add(FileOutcome(path, Outcome.KNOWN, records=counts))


def _without_user(record: GenerationRecord) -> GenerationRecord:
    record.user = None
    return record


def _advance(progress: ProgressCallback | None, count: int) -> None:
    if progress is not None and count:
        progress(count)
