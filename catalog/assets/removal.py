"""Removing images from a user's library (GraphQL ``removeAssets``, ``atelier remove``).

What goes, in one unit of work (:func:`remove_assets`, in the caller's transaction, never committing):
the asset rows — and with them, by their foreign keys, their lineage links (both ways) and any
re-clustering they still owed; the artist's correction pairs that name them are first re-pointed to the
images that now play their part (:mod:`catalog.sessions.constraint_anchors`); sessions left with no
image; then the stream around where the images were is re-clustered, so the sessions that kept
other images get their counts, times, phases and labels again (corrections and pinned labels hold).

What stays: the files on disk (Atelier never deletes an artist's file); reflections already bought
(paid text about a session as it was); the corrections history (an undo of a correction whose images
are gone re-clusters what is left).

Afterwards: one ``removed_records`` row per image (its record id, i.e. its content hash, and where it
was read from), so a folder import or a watched folder leaves those bytes out instead of bringing them
back; ``atelier import --include-removed`` or an upload of the same bytes takes them in again
(:mod:`catalog.importing.bulk_asset_repository`).

Files, after the commit (:func:`discard_unused_files`): thumbnails no remaining asset (of any user)
points at, and uploaded copies (``ATELIER_UPLOAD_DIR/<user id>/…``, which Atelier wrote) no remaining
asset of the user points at, are deleted. A file that cannot be deleted is logged and left; an import
storing the same thumbnail in the same instant can lose it (the healing cron does not re-make it:
re-importing the file does).

Locking: the user's removal gate, exclusive (import batches of the user wait for the removal to commit,
and then leave the removed bytes out), then the library lock (:mod:`catalog.library_locks`), then the
rows. Idempotency: an id that is not (or no longer) one of the user's images is reported in
``not_found`` and changes nothing, so a retried request removes nothing twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import ARRAY, BigInteger, LargeBinary, String, bindparam, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.database import SessionFactory, unit_of_work
from catalog.importing.discovery import FileKind, classify
from catalog.library_locks import exclude_imports, lock_user_library
from catalog.sessions.constraint_anchors import reanchor_constraints
from catalog.sessions.reclustering import recluster_span
from catalog.settings import AtelierSettings
from catalog.sql_types import TEXT_ARRAY, UUID_ARRAY
from catalog.storage.thumbnail_store import thumbnail_store
from catalog.stored_paths import opened_path, stored_path

log = logging.getLogger(__name__)

_REMOVED_ROWS = text(
    """
    SELECT id, record_id, created_at, session_id, file_name, file_path, file_path_bytes,
           file_size_bytes, thumbnail_sha256
    FROM assets WHERE user_id = :user_id AND id = ANY(:ids)
    """
).bindparams(bindparam("user_id", type_=UUID(as_uuid=True)), bindparam("ids", type_=UUID_ARRAY))
_REMEMBER_REMOVED = text(
    """
    INSERT INTO removed_records (user_id, record_id, file_name, file_path, file_path_bytes, file_size_bytes)
    SELECT :user_id, * FROM unnest(:record_ids, :file_names, :file_paths, :raw_paths, :sizes)
    ON CONFLICT (user_id, record_id) DO UPDATE SET
        file_name = EXCLUDED.file_name, file_path = EXCLUDED.file_path,
        file_path_bytes = EXCLUDED.file_path_bytes, file_size_bytes = EXCLUDED.file_size_bytes,
        removed_at = now()
    """
).bindparams(
    bindparam("user_id", type_=UUID(as_uuid=True)),
    bindparam("record_ids", type_=ARRAY(String())),
    bindparam("file_names", type_=TEXT_ARRAY),
    bindparam("file_paths", type_=TEXT_ARRAY),
    bindparam("raw_paths", type_=ARRAY(LargeBinary())),
    bindparam("sizes", type_=ARRAY(BigInteger())),
)
_DELETE_ASSETS = text("DELETE FROM assets WHERE user_id = :user_id AND id = ANY(:ids)").bindparams(
    bindparam("user_id", type_=UUID(as_uuid=True)), bindparam("ids", type_=UUID_ARRAY)
)
_DELETE_EMPTIED_SESSIONS = text(
    """
    DELETE FROM sessions WHERE user_id = :user_id AND id = ANY(:ids)
      AND NOT EXISTS (SELECT 1 FROM assets WHERE assets.session_id = sessions.id)
    RETURNING id
    """
).bindparams(bindparam("user_id", type_=UUID(as_uuid=True)), bindparam("ids", type_=UUID_ARRAY))
_SESSIONS_HOLDING = text(
    "SELECT count(DISTINCT session_id) FROM assets WHERE user_id = :user_id AND id = ANY(:ids)"
).bindparams(bindparam("user_id", type_=UUID(as_uuid=True)), bindparam("ids", type_=UUID_ARRAY))
_THUMBNAILS_IN_USE = text(
    "SELECT DISTINCT thumbnail_sha256 FROM assets WHERE thumbnail_sha256 = ANY(:shas)"
).bindparams(bindparam("shas", type_=TEXT_ARRAY))
_PATHS_IN_USE = text(
    "SELECT DISTINCT file_path FROM assets WHERE user_id = :user_id AND file_path = ANY(:paths)"
).bindparams(bindparam("user_id", type_=UUID(as_uuid=True)), bindparam("paths", type_=TEXT_ARRAY))
_ASSETS_FROM_PATHS = text(
    """
    SELECT id FROM assets
    WHERE user_id = :user_id AND file_path IS NOT NULL AND file_path_bytes IS NULL
      AND (file_path = ANY(:paths) OR file_path ^@ ANY(:folders))
    UNION
    SELECT id FROM assets
    WHERE user_id = :user_id AND file_path_bytes IS NOT NULL
      AND (file_path_bytes = ANY(:raw_paths)
           OR EXISTS (SELECT 1 FROM unnest(:raw_folders) AS folder
                      WHERE substring(file_path_bytes FROM 1 FOR length(folder)) = folder))
    UNION
    SELECT id FROM assets WHERE user_id = :user_id AND content_sha256 = ANY(:digests)
    """
).bindparams(
    bindparam("user_id", type_=UUID(as_uuid=True)),
    bindparam("paths", type_=TEXT_ARRAY),
    bindparam("folders", type_=TEXT_ARRAY),
    bindparam("digests", type_=TEXT_ARRAY),
    bindparam("raw_paths", type_=ARRAY(LargeBinary())),
    bindparam("raw_folders", type_=ARRAY(LargeBinary())),
)


@dataclass(frozen=True, slots=True)
class Removal:
    """What :func:`remove_assets` did."""

    removed: tuple[uuid.UUID, ...]
    """The images removed, in the order asked."""
    not_found: tuple[uuid.UUID, ...]
    """Ids asked for that are not (or no longer) the user's images: nothing was done for them."""
    sessions_changed: int
    """Sessions the re-clustering afterwards wrote (created or changed)."""
    sessions_deleted: int
    """Sessions that held only removed images, plus those the re-clustering dissolved."""
    thumbnails: tuple[str, ...]
    """Thumbnail addresses the removed images had (deleted after the commit if no image still uses them)."""
    stored_files: tuple[str, ...]
    """Paths the removed images were read from (uploaded copies among them are deleted after the commit)."""


async def remove_assets(db: AsyncSession, user_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]) -> Removal:
    """Remove ``asset_ids`` (those that are the user's) from the library; see the module docstring. Any
    number in one call: one statement per table, and one re-clustering of the span from the earliest
    to the latest of them (the API bounds a request's ids)."""
    wanted = list(dict.fromkeys(asset_ids))
    await exclude_imports(db, user_id)  # an import of these bytes then finds their removed-records rows
    await lock_user_library(db, user_id)
    rows = (await db.execute(_REMOVED_ROWS, {"user_id": user_id, "ids": wanted})).all() if wanted else []
    found = {row.id: row for row in rows}
    removed = tuple(asset_id for asset_id in wanted if asset_id in found)
    not_found = tuple(asset_id for asset_id in wanted if asset_id not in found)
    if not removed:
        return Removal((), not_found, 0, 0, (), ())
    await db.execute(
        _REMEMBER_REMOVED,
        {
            "user_id": user_id,
            "record_ids": [row.record_id for row in rows],
            "file_names": [row.file_name for row in rows],
            "file_paths": [row.file_path for row in rows],
            "raw_paths": [row.file_path_bytes for row in rows],
            "sizes": [row.file_size_bytes for row in rows],
        },
    )
    await reanchor_constraints(db, user_id, removed)  # corrections naming them hold (before they go)
    await db.execute(_DELETE_ASSETS, {"user_id": user_id, "ids": list(removed)})
    held = sorted({row.session_id for row in rows if row.session_id is not None})
    emptied = (
        (await db.execute(_DELETE_EMPTIED_SESSIONS, {"user_id": user_id, "ids": held})).scalars().all()
        if held
        else []
    )
    times: list[datetime] = [row.created_at for row in rows if row.created_at is not None]
    summary = await recluster_span(db, user_id, [], previous_times=times, removed_images=len(times))
    return Removal(
        removed=removed,
        not_found=not_found,
        sessions_changed=summary.sessions_written,
        sessions_deleted=len(emptied) + summary.sessions_deleted,
        thumbnails=tuple(sorted({row.thumbnail_sha256 for row in rows if row.thumbnail_sha256})),
        stored_files=tuple(
            str(opened_path(row.file_path, row.file_path_bytes)) for row in rows if row.file_path is not None
        ),
    )


async def sessions_holding(db: AsyncSession, user_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]) -> int:
    """How many of the user's sessions hold any of ``asset_ids`` (what a removal of them would touch)."""
    if not asset_ids:
        return 0
    return int(await db.scalar(_SESSIONS_HOLDING, {"user_id": user_id, "ids": list(asset_ids)}) or 0)


async def assets_read_from(db: AsyncSession, user_id: uuid.UUID, paths: Sequence[Path]) -> list[uuid.UUID]:
    """The user's images read from ``paths``: a file's own image, every image under a folder. Paths
    are compared as the import stored them (resolved, absolute: :mod:`catalog.stored_paths`) — as text,
    and by their bytes for images whose path is not valid UTF-8 (also under a folder whose name is).
    A named image file also names the image holding its bytes, wherever that was read from: a copy
    the import reported ``known`` ("same content as …") is that image."""
    digests = await asyncio.to_thread(_image_digests, paths)
    texts: list[str] = []
    folders: list[str] = []
    raw_paths: list[bytes] = []
    raw_folders: list[bytes] = []
    for path in paths:
        resolved = str(path.resolve())
        prefix = resolved.rstrip(os.sep) + os.sep
        raw_paths.append(os.fsencode(resolved))
        raw_folders.append(os.fsencode(prefix))
        if stored_path(resolved).raw is None:  # a path that is not UTF-8 has no text form to match
            texts.append(resolved)
            folders.append(prefix)
    rows = await db.execute(
        _ASSETS_FROM_PATHS,
        {
            "user_id": user_id,
            "paths": texts,
            "folders": folders,
            "raw_paths": raw_paths,
            "raw_folders": raw_folders,
            "digests": digests,
        },
    )
    return sorted(rows.scalars().all())


def _image_digests(paths: Sequence[Path]) -> list[str]:
    """The content hash (hex SHA-256 of the bytes, as the readers store it) of each named image file
    that can be read; folders, other files and unreadable ones give none."""
    digests = []
    for path in paths:
        if classify(path) is not FileKind.IMAGE:
            continue
        try:
            if not path.is_file():
                continue
            with path.open("rb") as handle:
                digests.append(hashlib.file_digest(handle, "sha256").hexdigest())
        except OSError:
            continue
    return digests


async def discard_unused_files(
    factory: SessionFactory, settings: AtelierSettings, user_id: uuid.UUID, removal: Removal
) -> int:
    """After :func:`remove_assets` committed: delete the thumbnails no image points at any more and the
    user's uploaded copies no image of theirs points at; returns how many files were deleted. Never
    raises for the files (a file, or the store, that fails is logged and left)."""
    if not removal.thumbnails and not removal.stored_files:
        return 0
    uploads = settings.uploads_dir.resolve() / str(user_id)
    uploaded = [path for path in removal.stored_files if Path(path).is_relative_to(uploads)]
    async with unit_of_work(factory) as db:
        used_thumbnails = set(
            (await db.execute(_THUMBNAILS_IN_USE, {"shas": list(removal.thumbnails)})).scalars().all()
        )
        used_paths = (
            set((await db.execute(_PATHS_IN_USE, {"user_id": user_id, "paths": uploaded})).scalars().all())
            if uploaded
            else set()
        )
    unused_thumbnails = [sha for sha in removal.thumbnails if sha not in used_thumbnails]
    unused_uploads = [Path(path) for path in uploaded if path not in used_paths]
    try:
        return await asyncio.to_thread(_delete_files, settings, unused_thumbnails, unused_uploads, uploads)
    except Exception as error:  # e.g. the thumbnail bucket unreachable: the removal itself is committed
        log.warning("could not delete the files of %d removed images: %s", len(removal.removed), error)
        return 0


def _delete_files(settings: AtelierSettings, thumbnails: list[str], uploads: list[Path], root: Path) -> int:
    deleted = 0
    if thumbnails:
        store = thumbnail_store(settings)
        for sha in thumbnails:
            try:
                store.delete(sha)
                deleted += 1
            except Exception as error:  # one thumbnail left behind is no reason to fail the others
                log.warning("could not delete thumbnail %s: %s", sha, error)
    for path in uploads:
        try:
            path.unlink(missing_ok=True)
            deleted += 1
            _remove_empty_folders(path.parent, root)
        except OSError as error:
            log.warning("could not delete uploaded copy %s: %s", path, error)
    return deleted


def _remove_empty_folders(folder: Path, root: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``root`` while they are empty."""
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:  # not empty (or gone): stop
            return
        folder = folder.parent
