"""A restore's one transaction: the old library is replaced by the backup's entirely, or not at all.

:func:`replace_database` drives it through ``psql`` — ``DROP SCHEMA public CASCADE``, ``CREATE SCHEMA
public``, the dump's SQL (``pg_restore --file=-``), the ``finishing`` SQL (:func:`repoint_sql`,
:func:`counts_check_sql`), a marker comment on the schema, ``COMMIT``. The ``COMMIT`` is written only
after ``pg_restore`` has ended well, so a dump that breaks off, a failing statement, a count that
differs, a killed tool or a signal all end in a rollback: the database is exactly as it was. After a
failure the ``psql`` backend is ended (``pg_terminate_backend``) and waited for, then the marker says
whether the transaction committed — the answer reported, never a guess.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import subprocess
import tempfile
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text

from catalog.backup_database import COUNTED_TABLES, libpq_connection, postgres_tool
from catalog.backup_manifest import BackupError
from catalog.backup_signals import Interrupted, SignalGuard, run_in_thread
from catalog.database import create_database_engine
from catalog.stored_paths import stored_path

_CHUNK_BYTES = 1 << 20
_BACKEND_GONE_SECONDS = 60.0
_DEFAULT_SCHEMA_COMMENT = "standard public schema"


class RestoreFailed(BackupError):
    """The restore's transaction was rolled back (confirmed): the database is as it was."""


class RestoreStateUnknown(BackupError):
    """The restore was stopped while it committed, and the database cannot tell whether it did."""


def _hex(text_value: str) -> str:
    return text_value.encode().hex()


def _text_literal(value: str) -> str:
    """``value`` as SQL that cannot be mistaken for anything else (hex, decoded by the server)."""
    return f"convert_from(decode('{_hex(value)}', 'hex'), 'UTF8')"


def repoint_sql(old_folder: str, new_folder: str) -> str:
    """SQL moving ``file_path`` / ``file_path_bytes`` (see :mod:`catalog.stored_paths`) of the assets and
    removal records under ``old_folder`` to the same place under ``new_folder``. The folders are
    compared as bytes (a path that is not UTF-8 has ``file_path_bytes``); a path under a new folder
    that is not UTF-8 gets ``file_path_bytes``, and one that had them keeps them (when only its old
    folder was not UTF-8 they are redundant, but still open the file). Only fixed text and hex
    literals go into the SQL."""
    old_raw = os.fsencode(old_folder.rstrip("/") + "/")
    new_raw = os.fsencode(new_folder.rstrip("/") + "/")
    new = stored_path(new_folder.rstrip("/") + "/")
    old_chars = len(stored_path(old_folder.rstrip("/") + "/").text)
    suffix = (
        f"coalesce(substring(file_path_bytes FROM {len(old_raw) + 1}), "
        f"convert_to(substr(file_path, {old_chars + 1}), 'UTF8'))"
    )
    new_bytes = f"decode('{new_raw.hex()}', 'hex') || {suffix}"
    assignments = (
        f"file_path = {_text_literal(new.text)} || substr(file_path, {old_chars + 1}), "
        "file_path_bytes = CASE WHEN file_path_bytes IS NULL AND "
        f"{'true' if new.raw is None else 'false'} THEN NULL ELSE {new_bytes} END"
    )
    under_old = (
        "file_path IS NOT NULL AND substring(coalesce(file_path_bytes, convert_to(file_path, 'UTF8')) "
        f"FROM 1 FOR {len(old_raw)}) = decode('{old_raw.hex()}', 'hex')"
    )
    return "\n".join(
        f"DO $atelier$ BEGIN IF to_regclass('public.{table}') IS NOT NULL THEN EXECUTE "
        f"{_quoted(f'UPDATE public.{table} SET {assignments} WHERE {under_old}')}; END IF; END $atelier$;"
        for table in ("assets", "removed_records")
    )


def _quoted(statement: str) -> str:
    return "'" + statement.replace("'", "''") + "'"


def counts_check_sql(expected: dict[str, int]) -> str:
    """SQL that raises (so the transaction rolls back) when the restored rows are not ``expected``
    (tables of :data:`COUNTED_TABLES` and ``thumbnails``; other names are ignored)."""
    checks: list[str] = []
    for name, count in sorted(expected.items()):
        if name in COUNTED_TABLES:
            query = f"SELECT count(*) FROM public.{name}"
            table = name
        elif name == "thumbnails":
            query = "SELECT count(DISTINCT thumbnail_sha256) FROM public.assets"
            table = "assets"
        else:
            continue
        checks.append(
            f"  IF to_regclass('public.{table}') IS NULL THEN found := 0; "
            f"ELSE EXECUTE {_quoted(query)} INTO found; END IF;\n"
            f"  IF found <> {int(count)} THEN differing := differing || format(' %s: %s in the backup, "
            f"%s restored;', {_quoted(name)}, {int(count)}, found); END IF;"
        )
    return (
        "DO $atelier$\nDECLARE found bigint; differing text := '';\nBEGIN\n"
        + "\n".join(checks)
        + "\n  IF differing <> '' THEN RAISE EXCEPTION 'the restored rows are not the ones the manifest "
        "counts (so the dump is not the one it describes):%', differing; END IF;\nEND\n$atelier$;"
    )


def replace_database(database_url: str, dump: Path, finishing: str, signals: SignalGuard) -> None:
    """Replace the ``public`` schema with ``dump`` in one transaction (see the module docstring),
    running ``finishing`` (SQL) before it commits.

    Returns once it committed. Raises :class:`RestoreFailed` (rolled back, confirmed) or
    :class:`Interrupted` (the same) otherwise — or, when that cannot be confirmed,
    :class:`RestoreStateUnknown` saying so. A signal that arrived while ``COMMIT`` was on its way, and
    it committed all the same, is kept pending in ``signals`` and this returns (the restore is done)."""
    marker = f"atelier restore {secrets.token_hex(12)}"
    with tempfile.TemporaryFile() as psql_errors, tempfile.TemporaryFile() as restore_errors:
        run = _RestoreRun(database_url, marker, psql_errors, restore_errors)
        try:
            run.restore(dump, finishing)
        except BaseException as error:
            with signals.shielded(raise_pending=False):
                committed = run.settle()
            if not committed:
                if isinstance(error, OSError):
                    raise RestoreFailed(f"the restore failed: {error}") from None
                if isinstance(error, BackupError) and not isinstance(error, RestoreFailed):
                    raise RestoreFailed(str(error)) from None
                raise
            if isinstance(error, Interrupted):  # COMMIT was on its way: the restore is done
                signals.keep_pending(error.signum)  # raised again once the caller is past the commit
    if _clear_marker(database_url, marker, signals) is False:
        raise RestoreFailed("psql ended without an error, but the restore's transaction did not commit")


_BEGIN = (
    "SET client_min_messages = warning;\nBEGIN;\nSET LOCAL lock_timeout = '10s';\n"
    "DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n"
)


class _RestoreRun:
    """``pg_restore --file=-`` piped into ``psql`` between a ``BEGIN`` and (only when it ended well) the
    finishing SQL, the marker and ``COMMIT``."""

    def __init__(self, database_url: str, marker: str, psql_errors: IO[bytes], restore_errors: IO[bytes]):
        self.database_url = database_url
        self.marker = marker
        self.application = marker.replace(" ", "-")
        self.psql_errors = psql_errors
        self.restore_errors = restore_errors
        self.processes: list[subprocess.Popen[bytes]] = []
        self.commit_sent = False

    def restore(self, dump: Path, finishing: str) -> None:
        options, environment = libpq_connection(self.database_url)
        psql = self._start(
            ["psql", "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", *options, "--file=-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self.psql_errors,
            env=os.environ | environment | {"PGAPPNAME": self.application},
        )
        restore = self._start(
            ["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--file=-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=self.restore_errors,
        )
        assert restore.stdout is not None
        self._send(psql, _BEGIN.encode())
        while chunk := restore.stdout.read(_CHUNK_BYTES):
            self._send(psql, chunk)
        if restore.wait() != 0:
            raise BackupError(f"pg_restore failed ({restore.returncode}): {_messages(self.restore_errors)}")
        self.commit_sent = True
        marking = f"COMMENT ON SCHEMA public IS '{self.marker}';"
        self._send(
            psql, f"\nSET search_path = public;\n{finishing}\n{marking}\nCOMMIT;\n".encode(), last=True
        )
        if psql.wait() != 0:
            raise BackupError(f"the restore failed: {_messages(self.psql_errors)}")

    def _start(self, command: list[str], **options: Any) -> subprocess.Popen[bytes]:
        process = subprocess.Popen([str(postgres_tool(command[0])), *command[1:]], **options)
        self.processes.append(process)
        return process

    def _send(self, psql: subprocess.Popen[bytes], data: bytes, *, last: bool = False) -> None:
        assert psql.stdin is not None
        try:
            psql.stdin.write(data)
            if last:
                psql.stdin.close()
        except BrokenPipeError:  # psql stopped: a statement failed (ON_ERROR_STOP), or it never connected
            psql.wait()
            raise BackupError(f"the restore failed: {_messages(self.psql_errors)}") from None

    def settle(self) -> bool:
        """After a failure: stop the tools, end the restore's backend and wait for it; whether the
        transaction committed (``False`` when it cannot have: ``COMMIT`` was never sent)."""
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            process.wait()
        try:
            return run_in_thread(
                lambda: asyncio.run(_end_backend_and_check(self.database_url, self.application, self.marker))
            )
        except Exception as error:
            if not self.commit_sent:
                return False
            raise RestoreStateUnknown(
                f"the restore was stopped while it committed, and the database cannot tell whether it did "
                f"({error}); look at the library, and restore again if it is not the backup's"
            ) from None


def _messages(errors: IO[bytes]) -> str:
    """What a tool wrote to its error file: the ERROR/FATAL lines when there are any, else the end."""
    errors.flush()
    errors.seek(0)
    lines = [line.strip() for line in errors.read().decode("utf-8", "replace").splitlines() if line.strip()]
    serious = [line.split(": ", 1)[-1] if line.startswith("psql:") else line for line in lines]
    picked = [line for line in serious if line.startswith(("ERROR:", "FATAL:"))] or serious[-3:]
    message = " ".join(" ".join(picked).split())
    return message[:1000] or "no message"


async def _end_backend_and_check(database_url: str, application: str, marker: str) -> bool:
    engine = create_database_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + _BACKEND_GONE_SECONDS
            while True:
                pids = list(
                    await connection.scalars(
                        text(
                            "SELECT pid FROM pg_stat_activity WHERE application_name = :name "
                            "AND pid <> pg_backend_pid()"
                        ),
                        {"name": application},
                    )
                )
                await connection.commit()
                if not pids:
                    break
                if loop.time() > deadline:
                    raise BackupError(f"the restore's database session {pids} did not end")
                for pid in pids:
                    await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                await connection.commit()
                await asyncio.sleep(0.05)
        return await _marker_committed_on(engine, marker, clear=False)
    finally:
        await engine.dispose()


def _clear_marker(database_url: str, marker: str, signals: SignalGuard) -> bool | None:
    """Whether the restore committed (its marker is there; ``None``: the database did not answer);
    if so, the marker is replaced by the schema's usual comment. A signal meanwhile is kept for the
    caller (the restore is past its commit)."""
    with signals.shielded(raise_pending=False):
        try:
            return run_in_thread(lambda: asyncio.run(_marker_committed(database_url, marker, clear=True)))
        except Exception:
            return None


async def _marker_committed(database_url: str, marker: str, *, clear: bool) -> bool:
    engine = create_database_engine(database_url, pool_size=1)
    try:
        return await _marker_committed_on(engine, marker, clear=clear)
    finally:
        await engine.dispose()


async def _marker_committed_on(engine: Any, marker: str, *, clear: bool) -> bool:
    """Whether ``public`` carries ``marker`` (the restore committed); with ``clear``, give the schema
    its usual comment back."""
    async with engine.begin() as connection:
        comment = await connection.scalar(
            text("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = 'public'")
        )
        if comment != marker:
            return False
        if clear:
            await connection.execute(text(f"COMMENT ON SCHEMA public IS '{_DEFAULT_SCHEMA_COMMENT}'"))
        return True
