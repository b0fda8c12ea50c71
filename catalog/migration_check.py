"""Migrate to head only when needed: a cheap look at ``alembic_version`` before Alembic is loaded.

Every command that touches the database migrates first (:func:`migrate_to_head`). When the database
is already current — nearly always — the full path (import Alembic, load every migration script and
``migrations/env.py`` with all the models, take the migration lock, compare) costs a few hundred ms
of a command's start-up for nothing. This module decides "current" without Alembic:

- the scripts' head is read from the migration files as text (:func:`script_head`): the module-level
  ``revision = "…"`` / ``down_revision = …`` lines of each script Alembic would load;
- the applied revision(s) come from ``SELECT version_num FROM alembic_version`` on one plain asyncpg
  connection (:func:`applied_revisions`), connected with the arguments SQLAlchemy's asyncpg dialect
  would use for the same URL.

Invariants:
- Alembic is skipped only when the database holds exactly the one head the scripts declare. Anything
  else — several heads, a script whose revision lines are not plain literals, ``branch_labels`` or
  ``depends_on`` set, a dangling ``down_revision``, no ``alembic_version`` table, a database behind or
  ahead, any error while connecting or reading — takes the full locked path
  (:func:`catalog.migration_runner.upgrade`), which behaves (and fails) exactly as before.
- Safe beside a concurrent migration: Alembic writes ``alembic_version`` in the same transaction as
  the schema changes (PostgreSQL DDL is transactional), so reading the head without the lock means
  the whole schema at that head is committed; a migration still in flight shows the old revision,
  and this process then waits on the migration lock like any other.
- The probe's connection has its own timeout (:data:`PROBE_TIMEOUT_SECONDS`); a server that does
  not answer in time is left to the full path's own connection and its errors.
"""

from __future__ import annotations

import ast
import asyncio
import functools
import re
from collections.abc import Iterable
from pathlib import Path

import migrations

VERSIONS_DIR = Path(migrations.__file__).parent / "versions"
PROBE_TIMEOUT_SECONDS = 10.0
"""Connect timeout of the probe; past it the full (Alembic) path connects and reports as it always did."""

_SCRIPT_NAME = re.compile(r"(?!\.\#|__init__)(.*\.py)$")
"""The file names Alembic loads from a version directory (its ``_only_source_rev_file``)."""
_ASSIGNMENT = re.compile(
    r"^(revision|down_revision|branch_labels|depends_on)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE
)
_REQUIRED = ("revision", "down_revision")


class DatabaseUnreachable(Exception):
    """The database ``DATABASE_URL`` names cannot be reached or refuses the connection (an unknown
    host, a closed port, a wrong password or database name); the message names it, password hidden."""


def migrate_to_head(database_url: str) -> None:
    """Bring the database to the scripts' head: nothing more than one query when it is there already,
    else :func:`catalog.migration_runner.upgrade` (locked, idempotent). Raises
    :class:`DatabaseUnreachable` when no connection can be made at all (before Alembic is loaded)."""
    head = script_head()
    applied = asyncio.run(applied_revisions(database_url))
    if isinstance(applied, DatabaseUnreachable):
        raise applied
    if head is not None and applied == frozenset({head}):
        return
    from catalog.migration_runner import upgrade  # Alembic and every migration script load here only

    upgrade(database_url)


@functools.cache
def script_head(versions_dir: Path = VERSIONS_DIR) -> str | None:
    """The single head revision of the scripts in ``versions_dir``, read as text; ``None`` when they
    do not plainly declare one (Alembic itself must then be asked)."""
    revisions: dict[str, tuple[str, ...]] = {}
    for path in sorted(versions_dir.iterdir()):
        if not path.is_file() or not _SCRIPT_NAME.match(path.name):
            continue
        declared = _declared(path.read_text(encoding="utf-8"))
        if declared is None or declared[0] in revisions:
            return None
        revision, down = declared
        revisions[revision] = down
    referenced = {down for downs in revisions.values() for down in downs}
    if not referenced <= revisions.keys():
        return None  # a dangling down_revision: Alembic reports it
    heads = revisions.keys() - referenced
    return next(iter(heads)) if len(heads) == 1 else None


def _declared(source: str) -> tuple[str, tuple[str, ...]] | None:
    """``(revision, down revisions)`` of one script, or ``None`` unless each of its revision lines
    appears once, at module level, as a literal (and ``branch_labels`` / ``depends_on`` are None)."""
    found: dict[str, list[object]] = {}
    for name, value in _ASSIGNMENT.findall(source):
        try:
            found.setdefault(name, []).append(ast.literal_eval(value))
        except (ValueError, SyntaxError):
            return None
    if any(len(found.get(name, [])) != 1 for name in _REQUIRED):
        return None
    if any(value is not None for name in ("branch_labels", "depends_on") for value in found.get(name, [])):
        return None
    revision, down = found["revision"][0], found["down_revision"][0]
    if not isinstance(revision, str) or not revision:
        return None
    downs = _revision_tuple(down)
    return None if downs is None else (revision, downs)


def _revision_tuple(value: object) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple | list) and all(isinstance(each, str) and each for each in value):
        return tuple(value)
    return None


async def applied_revisions(database_url: str) -> frozenset[str] | DatabaseUnreachable | None:
    """The revision(s) in the database's ``alembic_version``; ``None`` when they cannot be read (no
    such table): the caller then takes the full path; :class:`DatabaseUnreachable` (returned, not
    raised) when no connection could be made."""
    import asyncpg
    from sqlalchemy.dialects.postgresql.asyncpg import dialect
    from sqlalchemy.engine import make_url

    from catalog.embedded_servers import normalise_database_url

    try:
        arguments, options = dialect().create_connect_args(make_url(normalise_database_url(database_url)))
        for sqlalchemy_only in ("prepared_statement_cache_size", "prepared_statement_name_func"):
            options.pop(sqlalchemy_only, None)
        options.setdefault("timeout", PROBE_TIMEOUT_SECONDS)
        connection = await asyncpg.connect(*arguments, **options)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        shown = make_url(normalise_database_url(database_url)).render_as_string(hide_password=True)
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return DatabaseUnreachable(f"cannot connect to the database at {shown}: {reason}")
    except Exception:
        return None
    try:
        rows: Iterable[asyncpg.Record] = await connection.fetch("SELECT version_num FROM alembic_version")
        return frozenset(str(row[0]) for row in rows)
    except Exception:
        return None
    finally:
        try:
            await connection.close(timeout=PROBE_TIMEOUT_SECONDS)
        except Exception:
            connection.terminate()
