"""Backing up and restoring an Atelier home: the database, the thumbnails, the uploaded images and the
secret key.

A backup is one folder::

    manifest.json     what is inside (catalog.backup_manifest: versions, schema revision, counts,
                      the dump's SHA-256, the number of thumbnails, every uploaded file's SHA-256,
                      the secret key's SHA-256)
    database.dump     pg_dump, custom format
    thumbnails/       the content-addressed thumbnail files, as under the home's thumbnail folder
    uploads/          the files uploaded over the API, as under the home's uploads folder
    secret.key        the key that signs thumbnail URLs (absent when ATELIER_SECRET_KEY is used)

**Backup.** The counts, the thumbnails and uploads the database refers to, and the dump are read in one
snapshot (:func:`catalog.backup_database.dump_in_one_snapshot`), so a backup taken while ``atelier
serve`` writes is consistent and its counts are its dump's. Thumbnails and uploads are copied after
the dump: both are written before any row names them, so every file the dump refers to is copied
unless it was missing or removed meanwhile — which the backup reports as a warning (on stderr, and in
the manifest's notes) without failing. The manifest is written last: a folder without one (an
interrupted backup) is not a backup. Backup writes only into a new or empty folder; one it cannot
create or write is a :class:`BackupError` naming it and the reason, and what a failed or interrupted
backup wrote there is removed again (the folder too, when the backup made it). A backup inside the home
is written, with a warning that it is lost with the home.

**Restore.** Runs with the home's serve lock held. Verified *before anything is changed* (a backup that
is not one, or was altered, costs nothing):

- the manifest: a JSON object of a known format whose every field has its type
  (:func:`~catalog.backup_manifest.load_manifest`);
- the dump: its SHA-256 is the manifest's, ``pg_restore`` reads it, the schema revision stored *in* it
  is the manifest's and one this code knows, and it holds no large objects;
- the thumbnails: as many as the manifest says, each one's bytes hashing to its name;
- the uploads: exactly the files the manifest lists, each with its SHA-256, and none where the home
  holds other bytes under the same path;
- the secret key: present when the manifest says so, its SHA-256 the manifest's (format 2), and a
  usable key (every format);
- the target: no users unless ``force``, no other secret key unless ``force``.

Not verified beforehand: that every row of the dump loads, and that the rows are the ones the
manifest counts — both are checked *inside* the restore's one transaction (a failure rolls it back);
that the thumbnails and uploads are all the ones the database refers to (the backup warned about
missing ones when it was made; its notes are shown again); and the upgrade to this version's schema.

Then, atomically: the missing thumbnails and uploads and the secret key are put into the home
(:class:`~catalog.backup_files.StagedFiles`), and the ``public`` schema is replaced in one transaction
that also repoints uploaded images from the old home's uploads folder to this one and checks the counts
(:func:`~catalog.backup_transaction.replace_database`); if that fails or is interrupted the files are
taken back and the database is exactly as it was. Only then is the restored schema upgraded to this
code's head (its own transaction; a failure there leaves the backup restored at its own revision, and
says so). A SIGINT/SIGTERM stops a backup or a restore with :class:`Interrupted`, whose ``state`` says
what was left (:mod:`catalog.backup_signals`).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from alembic.script import ScriptDirectory

from catalog.backup_database import (
    COUNTED_TABLES,
    check_dump_entries,
    database_facts,
    dump_in_one_snapshot,
    dump_revisions,
    libpq_connection,
    postgres_tool,
    run_tool,
)
from catalog.backup_files import (
    FileToPlace,
    StagedFiles,
    back_up_secret_key,
    check_secret_key,
    check_thumbnails,
    check_uploads,
    copy_thumbnails,
    copy_uploads,
    thumbnails_to_place,
    uploads_to_place,
)
from catalog.backup_manifest import (
    BACKUP_FORMAT,
    DUMP,
    MANIFEST,
    SECRET_KEY,
    THUMBNAILS,
    UPLOADS,
    BackupError,
    BackupManifest,
    load_manifest,
    os_reason,
    sha256_of,
)
from catalog.backup_signals import Interrupted, SignalGuard, run_in_thread
from catalog.backup_transaction import RestoreStateUnknown, counts_check_sql, replace_database, repoint_sql
from catalog.migration_runner import alembic_config, upgrade
from catalog.schema_revision import head_revisions
from catalog.settings import AtelierSettings

__all__ = [
    "COUNTED_TABLES",
    "BackupError",
    "BackupManifest",
    "Interrupted",
    "RestoredBackup",
    "WrittenBackup",
    "create_backup",
    "dump_revisions",
    "libpq_connection",
    "postgres_tool",
    "read_manifest",
    "restore_backup",
]

NOTHING_CHANGED = "nothing was changed: the library is as it was"


@dataclass(frozen=True)
class WrittenBackup:
    manifest: BackupManifest
    warnings: list[str] = field(default_factory=list)
    """What the user should know about this backup (missing files, a place lost with the home)."""


@dataclass(frozen=True)
class RestoredBackup:
    manifest: BackupManifest
    notes: list[str] = field(default_factory=list)
    """The backup's notes and what this restore did besides the database (or did not do)."""


# --- backup ---------------------------------------------------------------------------------------


def create_backup(settings: AtelierSettings, destination: Path) -> WrittenBackup:
    """Write a backup of ``settings``' database and home into ``destination`` (a new or empty folder)."""
    existed = destination.is_dir()
    with SignalGuard() as signals:
        try:
            if destination.exists() and (not existed or any(destination.iterdir())):
                raise BackupError(
                    f"{destination} already exists and is not an empty folder: choose a new one"
                )
            destination.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BackupError(f"cannot write a backup into {destination}: {os_reason(error)}") from None
        except Interrupted as interruption:
            interruption.state = "no backup was written"
            raise
        try:
            return _write_backup(settings, destination)
        except BaseException as error:
            with signals.shielded(raise_pending=False):
                _remove_partial_backup(destination, remove_folder=not existed)
            if isinstance(error, Interrupted):
                error.state = f"no backup was written (what it had written into {destination} was removed)"
                raise
            if isinstance(error, OSError):
                raise BackupError(f"cannot write the backup into {destination}: {os_reason(error)}") from None
            raise


def backup_location_warning(settings: AtelierSettings, destination: Path) -> str | None:
    """A warning when ``destination`` lies inside the home (a backup that is lost with it)."""
    home = settings.home.resolve()
    if destination.resolve().is_relative_to(home):
        return (
            f"{destination} is inside ATELIER_HOME ({settings.home}): this backup is lost with the home; "
            "keep a copy somewhere else"
        )
    return None


def _remove_partial_backup(destination: Path, *, remove_folder: bool) -> None:
    """Remove what a failed backup wrote into ``destination`` (it was new or empty before)."""
    if remove_folder:
        shutil.rmtree(destination, ignore_errors=True)
        return
    for child in list(destination.iterdir()) if destination.is_dir() else []:
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _write_backup(settings: AtelierSettings, destination: Path) -> WrittenBackup:
    database_url = settings.database_url or ""
    uploads_folder = os.path.realpath(settings.uploads_dir)
    dump = destination / DUMP
    facts = dump_in_one_snapshot(database_url, dump, uploads_folder)
    revision = ",".join(sorted(facts.revisions))
    if not revision:
        raise BackupError("the database has never been migrated: there is nothing to back up")
    thumbnails = copy_thumbnails(settings.thumbnails_dir, destination / THUMBNAILS)
    uploads = copy_uploads(settings.uploads_dir, destination / UPLOADS, skip=destination)
    key = back_up_secret_key(settings, destination / SECRET_KEY)

    warnings = [
        warning
        for warning in (
            _missing_thumbnails(settings, facts.thumbnails - thumbnails),
            _missing_uploads(settings, uploads_folder, facts.uploaded_paths, uploads),
            key.warning,
        )
        if warning
    ]
    notes = list(warnings)
    if key.mode == "environment":
        notes.append("ATELIER_SECRET_KEY is set: the key is not in this backup; set it again after a restore")
    if settings.s3_bucket:
        notes.append(
            f"thumbnails are kept in the S3 bucket {settings.s3_bucket}: they are not in this backup"
        )
    manifest = BackupManifest(
        format=BACKUP_FORMAT,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        atelier_version=_atelier_version(),
        postgres_server_version=facts.server_version,
        pg_dump_version=run_tool("pg_dump", ["--version"], {}).strip(),
        alembic_revision=revision,
        alembic_head=",".join(sorted(head_revisions())),
        counts=facts.counts,
        database_dump_sha256=sha256_of(dump),
        database_dump_bytes=dump.stat().st_size,
        thumbnail_files=len(thumbnails),
        secret_key=key.mode,
        notes=notes,
        uploads_dir=uploads_folder,
        upload_files=len(uploads),
        upload_sha256=uploads,
        secret_key_sha256=key.sha256,
    )
    part = destination / f".{MANIFEST}.part"
    part.write_text(manifest.to_json())
    part.replace(destination / MANIFEST)
    location = backup_location_warning(settings, destination)
    return WrittenBackup(manifest, [*([location] if location else []), *warnings])


def _missing_thumbnails(settings: AtelierSettings, missing: frozenset[str] | set[str]) -> str | None:
    if not missing or settings.s3_bucket:
        return None
    return (
        f"{len(missing)} thumbnail file(s) the database refers to are missing from "
        f"{settings.thumbnails_dir}, so they are not in this backup (e.g. {min(missing)}.webp)"
    )


def _missing_uploads(
    settings: AtelierSettings, folder: str, referred: frozenset[str], copied: dict[str, str]
) -> str | None:
    prefix = folder.rstrip("/") + "/"
    missing = sorted(path for path in referred if path[len(prefix) :] not in copied)
    if not missing:
        return None
    return (
        f"{len(missing)} uploaded image file(s) the database refers to are missing from "
        f"{settings.uploads_dir}, so they are not in this backup (e.g. {missing[0]})"
    )


# --- checking a backup ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _CheckedBackup:
    manifest: BackupManifest
    thumbnails: dict[str, Path]
    uploads: dict[str, Path]


def read_manifest(source: Path) -> BackupManifest:
    """The backup's manifest, with the backup's files checked against it: the dump's SHA-256, the
    secret key, the thumbnails, the uploads, and a schema revision this code knows (what the module
    docstring lists but the dump's contents and the target, which :func:`restore_backup` checks
    next). Raises :class:`BackupError` saying what is wrong; changes nothing."""
    return _check_backup(source).manifest


def _check_backup(source: Path) -> _CheckedBackup:
    manifest = load_manifest(source)
    dump = source / DUMP
    if not dump.is_file():
        raise BackupError(f"{dump} is missing")
    if sha256_of(dump) != manifest.database_dump_sha256:
        raise BackupError(f"{dump} does not match the SHA-256 in the manifest: the backup is damaged")
    check_secret_key(source, manifest)
    _check_known_revisions(manifest.alembic_revision.split(","))
    thumbnails = check_thumbnails(source / THUMBNAILS, manifest.thumbnail_files)
    uploads = check_uploads(source / UPLOADS, manifest)
    return _CheckedBackup(manifest, thumbnails, uploads)


def _check_known_revisions(revisions: list[str]) -> None:
    scripts = ScriptDirectory.from_config(alembic_config("postgresql://"))
    known = {script.revision for script in scripts.walk_revisions()}
    for revision in revisions:
        if revision not in known:
            raise BackupError(
                f"the backup's schema revision {revision!r} is unknown here: it was made by a newer "
                "Atelier; restore it with that version"
            )


# --- restore --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RestorePlan:
    manifest: BackupManifest
    files: list[FileToPlace]
    secret_key: Path | None
    """The backup's key to put into the home (``None``: none, or ATELIER_SECRET_KEY is used)."""
    finishing_sql: str
    repointed_from: str | None
    """The old home's uploads folder, when uploaded images are repointed to this home's."""


def restore_backup(settings: AtelierSettings, source: Path, *, force: bool) -> RestoredBackup:
    """Restore the backup in ``source`` into ``settings``' database and home (see the module docstring).

    The caller holds the home's serve lock. Raises :class:`BackupError` (its message says whether
    anything was changed: only when the restore's transaction committed and the upgrade then failed)
    or :class:`Interrupted` (its ``state`` says the same)."""
    with SignalGuard() as signals:
        try:
            plan = _plan_restore(settings, source, force=force)
        except Interrupted as interruption:
            interruption.state = f"the restore was stopped before it changed anything: {NOTHING_CHANGED}"
            raise
        staged = StagedFiles()
        try:
            for item in plan.files:
                staged.place(item)
            if plan.secret_key is not None:
                staged.put_secret_key(plan.secret_key, settings.home / SECRET_KEY)
            replace_database(settings.database_url or "", source / DUMP, plan.finishing_sql, signals)
        except BaseException as error:
            rolled_back = not isinstance(error, RestoreStateUnknown)
            if rolled_back:
                with signals.shielded(raise_pending=False):
                    staged.undo()
            if isinstance(error, Interrupted):
                error.state = f"the restore was stopped and rolled back: {NOTHING_CHANGED}"
                raise
            if isinstance(error, OSError):
                raise BackupError(
                    f"cannot copy the backup's files into the home: {os_reason(error)}; {NOTHING_CHANGED}"
                ) from None
            if rolled_back and isinstance(error, BackupError):
                raise BackupError(f"{error}; the restore was rolled back, {NOTHING_CHANGED}") from None
            raise
        return _after_commit(settings, plan, signals)


def _plan_restore(settings: AtelierSettings, source: Path, *, force: bool) -> _RestorePlan:
    """Everything checked before anything changes (see the module docstring)."""
    checked = _check_backup(source)
    manifest = checked.manifest
    database_url = settings.database_url or ""
    present = database_facts(database_url).counts
    if present.get("users") and not force:
        raise BackupError(
            f"the database already holds {present['users']} user(s): restoring would replace them. "
            "Run again with --force to overwrite it."
        )
    secret_conflict = _secret_key_conflict(settings, source, manifest)
    if secret_conflict and not force:
        raise BackupError(f"{secret_conflict}. Run again with --force to overwrite it.")
    in_dump = dump_revisions(source / DUMP)
    if in_dump != set(manifest.alembic_revision.split(",")):
        shown = ",".join(sorted(in_dump)) or "none"
        raise BackupError(
            f"the dump holds schema revision {shown}, but the manifest says {manifest.alembic_revision}: "
            "the backup was altered"
        )
    check_dump_entries(source / DUMP)
    files = [
        *thumbnails_to_place(checked.thumbnails, settings.thumbnails_dir),
        *uploads_to_place(checked.uploads, manifest, settings.uploads_dir),
    ]
    new_uploads = os.path.realpath(settings.uploads_dir)
    repointed_from = (
        manifest.uploads_dir if manifest.uploads_dir and manifest.uploads_dir != new_uploads else None
    )
    finishing = counts_check_sql(manifest.counts)
    if repointed_from is not None:
        finishing = f"{repoint_sql(repointed_from, new_uploads)}\n{finishing}"
    wants_key = manifest.secret_key == "file" and settings.secret_key is None
    return _RestorePlan(
        manifest, files, source / SECRET_KEY if wants_key else None, finishing, repointed_from
    )


def _after_commit(settings: AtelierSettings, plan: _RestorePlan, signals: SignalGuard) -> RestoredBackup:
    """Upgrade the restored schema (a signal meanwhile is answered once it is done) and say what was
    done besides the database."""
    manifest = plan.manifest
    database_url = settings.database_url or ""
    try:
        with signals.shielded():
            try:
                run_in_thread(lambda: upgrade(database_url))
            except Exception as error:
                raise BackupError(
                    f"the backup was restored, but upgrading its schema from {manifest.alembic_revision} "
                    f"to this version's failed ({error}); the library now holds the backup at schema "
                    f"{manifest.alembic_revision}: run `atelier migrate` to try again"
                ) from None
    except Interrupted as interruption:
        interruption.state = "the restore had finished: the library is the backup's, at this version's schema"
        raise
    return RestoredBackup(manifest, [*manifest.notes, *_restore_notes(settings, plan)])


def _restore_notes(settings: AtelierSettings, plan: _RestorePlan) -> list[str]:
    manifest = plan.manifest
    notes: list[str] = []
    if manifest.secret_key == "file" and settings.secret_key is not None:
        notes.append(
            f"ATELIER_SECRET_KEY is set, so the backup's secret.key was not put into {settings.home}: "
            "thumbnail URLs signed before the backup work only if ATELIER_SECRET_KEY is that same key"
        )
    if manifest.upload_files:
        moved = f"; images uploaded into {plan.repointed_from} now point there" if plan.repointed_from else ""
        notes.append(
            f"{manifest.upload_files} uploaded file{'' if manifest.upload_files == 1 else 's'} "
            f"restored into {settings.uploads_dir}{moved}"
        )
    if manifest.format < 2:
        notes.append(
            "this backup was made by an older Atelier that did not back up uploaded images: images "
            "uploaded over the API still point into the old home's uploads folder"
        )
    return notes


def _secret_key_conflict(settings: AtelierSettings, source: Path, manifest: BackupManifest) -> str | None:
    existing = settings.home / SECRET_KEY
    if manifest.secret_key != "file" or settings.secret_key is not None or not existing.exists():
        return None
    if existing.read_bytes() == (source / SECRET_KEY).read_bytes():
        return None
    return f"{existing} holds another secret key (thumbnail URLs it signed would stop working)"


def _atelier_version() -> str:
    try:
        return version("atelier")
    except PackageNotFoundError:
        return "unknown"
