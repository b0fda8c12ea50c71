"""Uploaded files (GraphQL ``uploadAssets``) into a user's catalog, imported exactly like files on disk.

An upload is first made a file on disk, then imported by :func:`~catalog.importing.service.import_paths`
like any other file: the same readers, content hash, thumbnails and re-clustering, the same outcomes.

Storage (durable: the asset's ``file_path`` points at it, and thumbnails are made from it)::

    ATELIER_UPLOAD_DIR (default ATELIER_HOME/uploads)/<user id>/<sha256[:2]>/<sha256>/<file name>

- the bytes are streamed (1 MiB at a time, hashed on the way) into a temporary file in
  ``uploads/<user id>/.incoming/``, flushed to disk, given the client's ``lastModified`` as mtime when
  sent, then linked into place: a hard link never replaces an existing file, so two requests racing
  with the same bytes and name end with one file, and a reader never sees a half-written one;
- the folder is named by the content hash and the file keeps the name the client sent
  (:func:`sanitise_file_name`), because the readers take time and order hints from file names
  (``…_20250607174543.png``, ``00042-….png``) exactly as they do on disk;
- a file that does not become an asset (a duplicate, a problem) is removed again if this request
  wrote it, unless it is the very file an existing asset points at. Empty hash folders are left;
  temporary files of a process killed mid-write are removed by the user's next upload
  (:func:`remove_stale_incoming`).

An upload of bytes the artist removed from the library earlier imports them again (the upload is the
artist asking for that image; a folder import leaves them out: :mod:`catalog.assets.removal`).

Outcomes per file, in the order sent: ``imported``; ``duplicate`` (the user already has these bytes,
or the same file came earlier in this request; ``asset`` is that asset); ``ignored`` (not an image
file name — record files are imported with ``atelier import``); ``problem`` (``reason`` says why,
the other files still import). Names in reasons are the client's names, never server paths.

Without a ``lastModified`` the stored file's mtime is the time of the upload, as for a plain copy
onto disk: the readers take it as a generation time only when nothing better is in the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from catalog.database import SessionFactory
from catalog.importing.discovery import IMAGE_SUFFIXES, FileKind, classify
from catalog.importing.outcomes import Outcome
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.models import Asset
from catalog.sessions import queries
from catalog.settings import AtelierSettings

MAX_FILE_NAME_BYTES = 200
"""Longest stored file name in UTF-8 bytes (file systems allow 255; the stem is shortened first)."""
COPY_CHUNK_BYTES = 1024 * 1024
INCOMING_FOLDER = ".incoming"
STALE_INCOMING_SECONDS = 3600.0
"""A temporary upload file untouched this long belongs to a request that died (the longest upload
writes its file within seconds of receiving it)."""
FALLBACK_NAME = "upload"


class UploadOutcome(StrEnum):
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    PROBLEM = "problem"


_FROM_IMPORT = {
    Outcome.IMPORTED: UploadOutcome.IMPORTED,
    Outcome.KNOWN: UploadOutcome.DUPLICATE,
    Outcome.IGNORED: UploadOutcome.IGNORED,
    Outcome.PROBLEM: UploadOutcome.PROBLEM,
}
IMPORT_OUTCOME_OF_UPLOAD = {upload: outcome for outcome, upload in _FROM_IMPORT.items()}
"""The import outcome an upload outcome stands for (a duplicate is a file the import knew)."""


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """One uploaded file: ``source`` is read from its current position to its end."""

    name: str | None
    """The file name the client sent (unsanitised; ``None`` when it sent none)."""
    source: BinaryIO
    modified: datetime | None = None
    """The file's last modification (aware), kept as the stored file's mtime."""


@dataclass(slots=True)
class UploadResult:
    file_name: str
    """The sanitised name: the asset's ``file_name`` when imported."""
    outcome: UploadOutcome
    reason: str | None = None
    asset: Asset | None = None
    """The asset imported, or the one that already holds these bytes (``duplicate``)."""


@dataclass(slots=True)
class UploadReport:
    results: list[UploadResult] = field(default_factory=list)
    """One per file, in the order sent."""
    sessions_changed: int = 0
    """Sessions the re-clustering after the import wrote (new, grown or reshaped)."""

    @property
    def imported_count(self) -> int:
        return sum(result.outcome is UploadOutcome.IMPORTED for result in self.results)


class UploadTooLarge(ValueError):
    """The file is larger than the per-file limit (nothing of it is kept)."""


@dataclass(frozen=True, slots=True)
class StoredUpload:
    path: Path
    sha256: str
    size: int
    newly_written: bool
    """This call put the file there (``False``: the same bytes under the same name were already kept)."""
    real_path: str
    """``path`` with symlinks resolved: what an asset's ``file_path`` holds."""


def sanitise_file_name(raw: str | None) -> str:
    """The last path component of ``raw`` (``/`` and ``\\`` both separate) without surrounding white
    space, control characters (NUL, newlines, …) inside it replaced by ``_``, text that is not valid
    UTF-8 replaced, at most :data:`MAX_FILE_NAME_BYTES` bytes (the extension kept). Never empty,
    ``.`` or ``..``: such a name becomes :data:`FALLBACK_NAME`."""
    text = (raw or "").encode("utf-8", "replace").decode("utf-8")
    text = text.replace("\\", "/").rsplit("/", 1)[-1].strip()
    text = "".join("_" if unicodedata.category(char) == "Cc" else char for char in text)
    if text in ("", ".", ".."):
        return FALLBACK_NAME
    if len(text.encode()) > MAX_FILE_NAME_BYTES:
        stem, dot, suffix = text.rpartition(".")
        if not dot or len(suffix.encode()) > 16:
            stem, suffix = text, ""
        keep = MAX_FILE_NAME_BYTES - len(suffix.encode()) - (1 if suffix else 0)
        stem = stem.encode()[:keep].decode("utf-8", "ignore")
        text = f"{stem}.{suffix}" if suffix else stem
    return text


def store_upload(
    user_folder: Path, source: BinaryIO, name: str, *, modified: datetime | None, max_bytes: int
) -> StoredUpload:
    """Stream ``source`` to ``user_folder/<sha[:2]>/<sha>/<name>`` (see the module docstring).

    Blocking (file I/O): call it in a thread. Raises :class:`UploadTooLarge` past ``max_bytes``
    (the partial file is removed); ``name`` must already be sanitised."""
    incoming = user_folder / INCOMING_FOLDER
    incoming.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=incoming, suffix=".part")
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(handle, "wb") as target:
            while chunk := source.read(COPY_CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge(f"larger than {max_bytes:,} bytes (the limit per uploaded file)")
                digest.update(chunk)
                target.write(chunk)
            target.flush()
            os.fsync(target.fileno())
        if modified is not None:
            moment = modified.timestamp()
            os.utime(temporary, (moment, moment))
        sha = digest.hexdigest()
        folder = user_folder / sha[:2] / sha
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / name
        try:
            os.link(temporary, final)
            newly_written = True
        except FileExistsError:
            newly_written = False
        _fsync_folder(folder)
        return StoredUpload(final, sha, size, newly_written, os.path.realpath(final))
    finally:
        Path(temporary).unlink(missing_ok=True)


def remove_stale_incoming(user_folder: Path, *, older_than_seconds: float = STALE_INCOMING_SECONDS) -> int:
    """Remove temporary files a killed process left in ``.incoming`` (older than ``older_than_seconds``,
    so a file another request is writing right now is kept); returns how many. Blocking."""
    removed = 0
    cutoff = time.time() - older_than_seconds
    try:
        entries = list(os.scandir(user_folder / INCOMING_FOLDER))
    except FileNotFoundError:
        return 0
    for entry in entries:
        with contextlib.suppress(FileNotFoundError):
            if entry.name.endswith(".part") and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
    return removed


def _fsync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


async def import_uploads(
    factory: SessionFactory,
    settings: AtelierSettings,
    *,
    user_id: uuid.UUID,
    user_handle: str,
    files: Sequence[IncomingFile],
) -> UploadReport:
    """Store ``files`` for the user and import them in one :func:`import_paths` run (thumbnails made
    inline, so each imported asset has its thumbnail when this returns; then one re-clustering)."""
    results: list[UploadResult | None] = [None] * len(files)
    names = [sanitise_file_name(item.name) for item in files]
    user_folder = settings.uploads_dir / str(user_id)
    await asyncio.to_thread(remove_stale_incoming, user_folder)
    stored: dict[int, StoredUpload] = {}
    first_at: dict[Path, int] = {}
    for index, (item, name) in enumerate(zip(files, names, strict=True)):
        if classify(Path(name)) is not FileKind.IMAGE:
            suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
            results[index] = UploadResult(
                name, UploadOutcome.IGNORED, f"not an image file name (uploads take {suffixes})"
            )
            continue
        try:
            kept = await asyncio.to_thread(
                store_upload,
                user_folder,
                item.source,
                name,
                modified=item.modified,
                max_bytes=settings.upload_max_file_bytes,
            )
        except UploadTooLarge as error:
            results[index] = UploadResult(name, UploadOutcome.PROBLEM, str(error))
            continue
        stored[index] = kept
        first_at.setdefault(kept.path, index)

    report = UploadReport()
    if first_at:
        imported = await import_paths(
            factory,
            settings,
            user_handle=user_handle,
            paths=list(first_at),
            honour_record_users=False,
            thumbnails=ThumbnailMode.INLINE,
            complete_missing_thumbnails=False,  # an upload pays for its own files only
            include_removed=True,  # sending an image the artist removed earlier is asking for it back
        )
        report.sessions_changed = imported.sessions_touched
        outcomes = {item.path: item for item in imported.files}
        client_names = {str(kept.path): names[index] for index, kept in stored.items()}
        client_names |= {kept.real_path: names[index] for index, kept in stored.items()}
        assets = await _assets(factory, user_id, [item.asset_id for item in imported.files])
        for path, index in first_at.items():
            found = outcomes.get(str(path))
            if found is None:  # import_paths accounts for every path; never leave a file unanswered
                results[index] = UploadResult(names[index], UploadOutcome.PROBLEM, "not imported")
                continue
            asset = assets.get(found.asset_id) if found.asset_id is not None else None
            results[index] = UploadResult(
                names[index], _FROM_IMPORT[found.outcome], _client_text(found.reason, client_names), asset
            )
        for index, kept in stored.items():
            first = first_at[kept.path]
            if first != index:  # the same bytes under the same name earlier in this request
                earlier = results[first]
                assert earlier is not None
                results[index] = (
                    UploadResult(names[index], earlier.outcome, earlier.reason)
                    if earlier.outcome is UploadOutcome.PROBLEM  # the same bytes have the same problem
                    else UploadResult(
                        names[index],
                        UploadOutcome.DUPLICATE,
                        f"same file as {names[first]} earlier in this upload",
                        earlier.asset,
                    )
                )
            else:
                _remove_unless_kept(kept, results[index])
    report.results = [result for result in results if result is not None]
    assert len(report.results) == len(files)
    return report


def _remove_unless_kept(kept: StoredUpload, result: UploadResult | None) -> None:
    """Remove a file this request wrote that no asset points at (a duplicate or a problem)."""
    if not kept.newly_written or result is None or result.outcome is UploadOutcome.IMPORTED:
        return
    if result.asset is not None and result.asset.file_path == kept.real_path:
        return  # the existing asset's own file, written again after it had gone missing
    kept.path.unlink(missing_ok=True)


async def _assets(
    factory: SessionFactory, user_id: uuid.UUID, ids: Sequence[uuid.UUID | None]
) -> dict[uuid.UUID, Asset]:
    wanted = [asset_id for asset_id in ids if asset_id is not None]
    if not wanted:
        return {}
    async with factory() as session:
        return await queries.assets_by_ids(session, user_id, wanted)


def _client_text(reason: str | None, client_names: dict[str, str]) -> str | None:
    """``reason`` with every stored path replaced by the name the client sent."""
    if reason is None:
        return None
    for path in sorted(client_names, key=len, reverse=True):
        reason = reason.replace(path, client_names[path])
    return reason
