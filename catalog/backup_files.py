"""The files of a backup besides the dump: thumbnails, uploaded images and the secret key.

Backing up copies them from the home; restoring first checks them against the manifest, then puts
them into the home through :class:`StagedFiles`, which can take back everything it did.

Invariants:

- thumbnails are content-addressed (``xx/<sha256>.webp``, the name being the SHA-256 of the bytes, see
  :func:`catalog.thumbnails.store_thumbnail`): a restore checks every one against its own name and
  their number against the manifest, and only ever *adds* thumbnails the home lacks;
- uploaded files are listed in the manifest with their SHA-256; a restore checks each, copies the
  ones the home lacks, and refuses (before changing anything) when the home holds other bytes under
  the same path;
- a backup carries only a usable signing key (:func:`catalog.secret_keys.secret_key_material`), and a
  restore installs no other kind;
- files are written under a temporary name and linked into place, so a name never holds half a file,
  and an existing file is never overwritten (the secret key excepted: its old bytes are kept to undo).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from catalog.backup_manifest import SECRET_KEY, BackupError, BackupManifest, sha256_of
from catalog.secret_keys import MIN_SECRET_KEY_BYTES, secret_key_material
from catalog.settings import AtelierSettings

_THUMBNAIL_FILE = re.compile(r"([0-9a-f]{2})/(\1[0-9a-f]{62})\.webp")
_INCOMING = ".incoming"
_CHUNK_BYTES = 1 << 20
_PART_SUFFIX = ".atelier-part"


def _walk_files(folder: Path, *, skip: Path | None = None) -> list[tuple[str, Path]]:
    """Regular files below ``folder`` (symlinks neither followed nor listed; ``.incoming`` folders of
    unfinished uploads and ``skip`` left out), as ``/``-separated relative paths, sorted."""
    found: list[tuple[str, Path]] = []
    skipped = os.path.realpath(skip) if skip is not None else None
    for root, folders, files in os.walk(folder):
        folders[:] = [
            name
            for name in folders
            if name != _INCOMING and os.path.realpath(os.path.join(root, name)) != skipped
        ]
        for name in files:
            path = Path(root, name)
            if path.is_file() and not path.is_symlink() and not name.endswith(_PART_SUFFIX):
                found.append((path.relative_to(folder).as_posix(), path))
    return sorted(found)


def _copy_hashing(source: Path, target: Path) -> str:
    """Copy ``source`` to ``target`` (which must not exist; parents made) with its modification time
    (the readers take time hints from it); the bytes' SHA-256. Written under a temporary name, then
    linked into place (never over an existing file) — or, where the file system has no hard links
    (a backup on a FAT or SMB drive), renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}{_PART_SUFFIX}")
    digest = hashlib.sha256()
    try:
        with source.open("rb") as reader, part.open("wb") as writer:
            while chunk := reader.read(_CHUNK_BYTES):
                digest.update(chunk)
                writer.write(chunk)
        times = source.stat()
        os.utime(part, ns=(times.st_atime_ns, times.st_mtime_ns))
        try:
            os.link(part, target)
        except FileExistsError:
            raise
        except OSError:
            os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return digest.hexdigest()


# --- backing up ---------------------------------------------------------------------------------


def copy_thumbnails(source: Path, target: Path) -> set[str]:
    """Copy the thumbnail files of ``source`` into ``target``; their addresses."""
    target.mkdir(parents=True, exist_ok=True)
    copied: set[str] = set()
    for relative, path in _walk_files(source) if source.is_dir() else []:
        match = _THUMBNAIL_FILE.fullmatch(relative)
        if match is not None:
            with contextlib.suppress(FileNotFoundError):  # removed meanwhile: an image was removed
                _copy_hashing(path, target / relative)
                copied.add(match.group(2))
    return copied


def copy_uploads(source: Path, target: Path, *, skip: Path) -> dict[str, str]:
    """Copy the uploaded files of ``source`` (not unfinished ones, not ``skip``: the backup itself when
    it is inside) into ``target``; each one's relative path and SHA-256."""
    copied: dict[str, str] = {}
    for relative, path in _walk_files(source, skip=skip) if source.is_dir() else []:
        with contextlib.suppress(FileNotFoundError):  # removed meanwhile with its image
            copied[relative] = _copy_hashing(path, target / relative)
    return copied


@dataclass(frozen=True)
class BackedUpKey:
    mode: str
    """``file``, ``environment`` or ``absent`` (the manifest's ``secret_key``)."""
    sha256: str = ""
    warning: str | None = None


def back_up_secret_key(settings: AtelierSettings, target: Path) -> BackedUpKey:
    """Copy the home's ``secret.key`` into ``target`` when it is the key in use and usable."""
    if settings.secret_key is not None:
        return BackedUpKey("environment")
    source = settings.home / SECRET_KEY
    if not source.exists():
        return BackedUpKey("absent")
    raw = source.read_bytes()
    if secret_key_material(raw) is None:
        return BackedUpKey(
            "absent",
            warning=(
                f"{source} is not a usable signing key ({len(raw.strip())} bytes; at least "
                f"{MIN_SECRET_KEY_BYTES} are needed), so it is not in this backup: `atelier serve` "
                "refuses it too; delete it and a new one is made"
            ),
        )
    target.write_bytes(raw)
    target.chmod(0o600)
    return BackedUpKey("file", hashlib.sha256(raw).hexdigest())


# --- checking a backup before a restore ---------------------------------------------------------


def check_thumbnails(folder: Path, expected: int) -> dict[str, Path]:
    """The backup's thumbnail files by address, each checked against its name, and as many as the
    manifest says. Raises :class:`BackupError` otherwise."""
    found: dict[str, Path] = {}
    for relative, path in _walk_files(folder) if folder.is_dir() else []:
        match = _THUMBNAIL_FILE.fullmatch(relative)
        if match is None:
            continue
        if sha256_of(path) != match.group(2):
            raise BackupError(
                f"{path} is damaged (its bytes are not the thumbnail its name says): the backup is damaged"
            )
        found[match.group(2)] = path
    if len(found) != expected:
        raise BackupError(
            f"{folder} holds {len(found)} thumbnail files, but the manifest says {expected}: "
            "the backup is incomplete or was altered"
        )
    return found


def check_uploads(folder: Path, manifest: BackupManifest) -> dict[str, Path]:
    """The backup's uploaded files by relative path, each the manifest's bytes, and no others.
    Raises :class:`BackupError` otherwise."""
    present = dict(_walk_files(folder)) if folder.is_dir() else {}
    root = os.path.realpath(folder)
    for relative, digest in manifest.upload_sha256.items():
        path = present.get(relative)
        if path is None or os.path.realpath(path) != os.path.join(root, *relative.split("/")):
            raise BackupError(f"{folder / relative} is missing: the backup is incomplete")
        if sha256_of(path) != digest:
            raise BackupError(f"{path} does not match the SHA-256 in the manifest: the backup is damaged")
    if len(present) != manifest.upload_files:
        raise BackupError(
            f"{folder} holds {len(present)} files, but the manifest lists {manifest.upload_files}: "
            "the backup was altered"
        )
    return {relative: present[relative] for relative in manifest.upload_sha256}


def check_secret_key(source: Path, manifest: BackupManifest) -> None:
    """The backup's key, when the manifest says it holds one: present, the manifest's bytes (format
    2) and a usable key (every format). Raises :class:`BackupError` otherwise."""
    if manifest.secret_key != "file":
        return
    path = source / SECRET_KEY
    if not path.is_file():
        raise BackupError(f"the manifest says the secret key is in the backup, but {path} is missing")
    raw = path.read_bytes()
    if manifest.format >= 2 and hashlib.sha256(raw).hexdigest() != manifest.secret_key_sha256:
        raise BackupError(f"{path} does not match the SHA-256 in the manifest: the backup was altered")
    if secret_key_material(raw) is None:
        raise BackupError(
            f"{path} is not a usable signing key ({len(raw.strip())} bytes; at least "
            f"{MIN_SECRET_KEY_BYTES} bytes of text are needed): the backup is damaged"
        )


# --- putting them into the home -------------------------------------------------------------------


@dataclass(frozen=True)
class FileToPlace:
    source: Path
    target: Path
    sha256: str


def uploads_to_place(checked: dict[str, Path], manifest: BackupManifest, target: Path) -> list[FileToPlace]:
    """The backup's uploads the home lacks. Raises :class:`BackupError` when the home holds other
    bytes (or a folder) where one of them goes: checked before anything changes."""
    placing: list[FileToPlace] = []
    for relative, path in checked.items():
        destination = target.joinpath(*relative.split("/"))
        digest = manifest.upload_sha256[relative]
        if destination.is_symlink() or destination.exists():
            if not destination.is_file() or sha256_of(destination) != digest:
                raise BackupError(
                    f"{destination} already exists with other contents than the backup's copy: "
                    "move it away and restore again"
                )
            continue
        placing.append(FileToPlace(path, destination, digest))
    return placing


def thumbnails_to_place(checked: dict[str, Path], target: Path) -> list[FileToPlace]:
    """The backup's thumbnails the home lacks (same name, same bytes: content-addressed)."""
    return [
        FileToPlace(path, target / address[:2] / f"{address}.webp", address)
        for address, path in sorted(checked.items())
        if not (target / address[:2] / f"{address}.webp").exists()
    ]


@dataclass
class StagedFiles:
    """Files put into the home by a restore, with what is needed to take them back (:meth:`undo`)."""

    created: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)
    replaced: dict[Path, bytes | None] = field(default_factory=dict)
    """Files overwritten (the secret key): their previous bytes, ``None`` when there was none."""

    def place(self, item: FileToPlace) -> None:
        """Copy ``item`` into place, checking the bytes copied are the ones checked before."""
        self._make_folders(item.target.parent)
        digest = _copy_hashing(item.source, item.target)
        self.created.append(item.target)
        if digest != item.sha256:
            raise BackupError(f"{item.source} changed while it was restored: the backup is damaged")

    def put_secret_key(self, source: Path, target: Path) -> None:
        """Replace (or make) ``target`` with ``source``'s bytes, mode 0600."""
        self._make_folders(target.parent)
        previous = target.read_bytes() if target.exists() else None
        part = target.with_name(f".{target.name}{_PART_SUFFIX}")
        part.write_bytes(source.read_bytes())
        part.chmod(0o600)
        self.replaced.setdefault(target, previous)
        os.replace(part, target)

    def undo(self) -> None:
        """Remove what was created, put back what was replaced (best effort: never raises)."""
        for path in reversed(self.created):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        for path, previous in self.replaced.items():
            with contextlib.suppress(OSError):
                if previous is None:
                    path.unlink(missing_ok=True)
                else:
                    path.write_bytes(previous)
        for folder in reversed(self.folders):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty
        self.created.clear()
        self.replaced.clear()
        self.folders.clear()

    def _make_folders(self, folder: Path) -> None:
        missing = [parent for parent in [folder, *folder.parents] if not parent.exists()]
        for parent in reversed(missing):
            parent.mkdir(exist_ok=True)
            self.folders.append(parent)
