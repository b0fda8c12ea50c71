"""A backup's ``manifest.json``: what it holds, and the checks that it is one this Atelier can restore.

Formats: 1 (before uploads were backed up: no uploaded files, no key digest) and 2 (this version:
``uploads_dir``, ``upload_files``, ``upload_sha256`` and ``secret_key_sha256`` are required). Both are
read; a backup is always written in :data:`BACKUP_FORMAT`, which an older Atelier refuses by name
("unknown backup format 2") rather than restoring it without its uploads.

:func:`load_manifest` checks the manifest alone: a JSON object of a known format whose every field has
the type a backup writes, upload paths that stay inside the backup (relative, no ``..``), digests that
are 64 hex digits, and an upload count that is the number of listed files. It reads no other file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from catalog.secret_keys import KEY_FILE_NAME

BACKUP_FORMAT = 2
READABLE_FORMATS = (1, 2)
MANIFEST = "manifest.json"
DUMP = "database.dump"
THUMBNAILS = "thumbnails"
UPLOADS = "uploads"
SECRET_KEY = KEY_FILE_NAME  # a backup keeps the key under the name the home gives it
_CHUNK_BYTES = 1 << 20
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupManifest:
    format: int
    created_at: str
    atelier_version: str
    postgres_server_version: str
    pg_dump_version: str
    alembic_revision: str
    """The database's schema revision(s) when it was dumped."""
    alembic_head: str
    """The head revision(s) of the Atelier that made the backup."""
    counts: dict[str, int]
    """Rows per table and distinct thumbnails, read in the snapshot the dump was made from."""
    database_dump_sha256: str
    database_dump_bytes: int
    thumbnail_files: int
    """Thumbnail files under ``thumbnails/`` (each named by the SHA-256 of its bytes)."""
    secret_key: str
    """``file`` (in the backup), ``environment`` (ATELIER_SECRET_KEY: not backed up) or ``absent``."""
    notes: list[str] = field(default_factory=list)
    uploads_dir: str = ""
    """The home's uploads folder (symlinks resolved) when backed up: the prefix of the uploaded
    assets' ``file_path``, repointed at the restoring home's folder. Empty in format 1."""
    upload_files: int = 0
    """Files under ``uploads/`` (format 2)."""
    upload_sha256: dict[str, str] = field(default_factory=dict)
    """Each uploaded file's path under ``uploads/`` (``/``-separated) and the SHA-256 of its bytes."""
    secret_key_sha256: str = ""
    """The SHA-256 of ``secret.key`` when it is in the backup (format 2); else empty."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"


_FORMAT_2_FIELDS = ("uploads_dir", "upload_files", "upload_sha256", "secret_key_sha256")
_SECRET_KEY_MODES = ("file", "environment", "absent")
_TEXT_FIELDS = (
    "created_at",
    "atelier_version",
    "postgres_server_version",
    "pg_dump_version",
    "alembic_revision",
    "alembic_head",
    "database_dump_sha256",
    "secret_key",
    "uploads_dir",
    "secret_key_sha256",
)


def load_manifest(source: Path) -> BackupManifest:
    """The manifest of the backup folder ``source``, checked as the module docstring says. Raises
    :class:`BackupError` naming what is wrong."""
    if not source.is_dir():
        what = "no such folder" if not source.exists() else "a file, not the folder `atelier backup` wrote"
        raise BackupError(f"{source} is not an Atelier backup ({what})")
    manifest_path = source / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{source} is not an Atelier backup (no {MANIFEST})")
    try:
        raw: object = json.loads(manifest_path.read_bytes())
    except IsADirectoryError:
        raise BackupError(f"{manifest_path} is a folder, not the backup's manifest file") from None
    except OSError as error:
        raise BackupError(f"{manifest_path} cannot be read ({os_reason(error)})") from None
    except (ValueError, RecursionError) as error:
        reason = str(error) if isinstance(error, ValueError) else "nested too deeply"
        raise BackupError(f"{manifest_path} is not valid JSON ({reason})") from None
    if not isinstance(raw, dict):
        raise BackupError(f"{manifest_path} is not a JSON object (it is a {type(raw).__name__})")
    backup_format = raw.get("format")
    if type(backup_format) is not int or backup_format not in READABLE_FORMATS:
        readable = " and ".join(map(str, READABLE_FORMATS))
        raise BackupError(f"unknown backup format {backup_format!r} (this Atelier reads {readable})")
    missing = [name for name in _FORMAT_2_FIELDS if backup_format >= 2 and name not in raw]
    if missing:
        raise BackupError(f"{manifest_path} is incomplete (no {', '.join(missing)})")
    try:
        manifest = BackupManifest(**raw)
    except TypeError as error:
        raise BackupError(f"{manifest_path} is incomplete or has unknown fields ({error})") from None
    wrong = _mistyped_field(manifest)
    if wrong is not None:
        raise BackupError(f"{manifest_path}: {wrong}; the manifest was altered")
    return manifest


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and _SHA256_HEX.fullmatch(value) is not None


def safe_relative_path(text: str) -> bool:
    """``text`` names a file below a folder: relative, ``/``-separated, no empty, ``.`` or ``..`` part."""
    return (
        bool(text)
        and "\x00" not in text
        and "\\" not in text
        and all(part not in ("", ".", "..") for part in text.split("/"))
    )


def _mistyped_field(manifest: BackupManifest) -> str | None:
    """What in ``manifest`` does not have the type a backup writes (``None``: everything does)."""
    for name in _TEXT_FIELDS:
        value = getattr(manifest, name)
        if not isinstance(value, str):
            return f"{name!r} is {type(value).__name__}, expected text"
    if not manifest.alembic_revision:
        return "'alembic_revision' is empty"
    if manifest.secret_key not in _SECRET_KEY_MODES:
        return f"'secret_key' is {manifest.secret_key!r}, expected one of {', '.join(_SECRET_KEY_MODES)}"
    for name in ("database_dump_bytes", "thumbnail_files", "upload_files"):
        if not _is_count(getattr(manifest, name)):
            return f"{name!r} is {getattr(manifest, name)!r}, expected a count"
    counts: object = manifest.counts
    if not isinstance(counts, dict) or not all(
        isinstance(table, str) and _is_count(count) for table, count in counts.items()
    ):
        return "'counts' is not an object of table names and counts"
    notes: object = manifest.notes
    if not isinstance(notes, list) or not all(isinstance(note, str) for note in notes):
        return "'notes' is not a list of text"
    return _mistyped_files(manifest)


def _mistyped_files(manifest: BackupManifest) -> str | None:
    if not _is_sha256(manifest.database_dump_sha256):
        return "'database_dump_sha256' is not a SHA-256 (64 hex digits)"
    uploads: object = manifest.upload_sha256
    if not isinstance(uploads, dict) or not all(
        isinstance(path, str) and safe_relative_path(path) and _is_sha256(digest)
        for path, digest in uploads.items()
    ):
        return "'upload_sha256' is not an object of relative file paths and SHA-256 digests"
    if len(uploads) != manifest.upload_files:
        return f"'upload_files' is {manifest.upload_files}, but 'upload_sha256' lists {len(uploads)} files"
    if uploads and not manifest.uploads_dir.startswith("/"):
        return "'uploads_dir' is not an absolute path, but uploaded files are listed"
    if manifest.secret_key_sha256 and not _is_sha256(manifest.secret_key_sha256):
        return "'secret_key_sha256' is not a SHA-256 (64 hex digits)"
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def os_reason(error: OSError) -> str:
    """An ``OSError`` in words, with the path it concerns when that is not the one already named."""
    reason = error.strerror or str(error)
    return f"{reason} ({error.filename})" if error.filename else reason
