"""Hot read statements run on a pooled connection's asyncpg driver: compiled once, no ORM, no transaction.

Through an ``AsyncSession`` one read of a page costs ~1.9 ms of CPU (the session, a greenlet hop per
call, ``BEGIN`` and ``ROLLBACK`` round trips, SQLAlchemy's result rows); the same statement on the
pooled connection's asyncpg driver ~0.7 ms (measured on a sessions page's card thumbnails). A
:class:`DriverRead` compiles a SQLAlchemy Core statement once to asyncpg's SQL (``$n`` parameters with
their casts, literal parameters bound at compile time) and runs it with ``fetch`` on a connection
checked out of the engine's pool itself, without a SQLAlchemy ``Connection`` (the pool's idle ping and
recycling apply), and handed back at once.
:meth:`DriverRead.rows` takes the caller's ``AsyncSession``: one that has begun a transaction (it may
have written) is read through, so it sees its own writes; one that has not lends only its engine.

Invariants:
- each driver call is its own implicit transaction (asyncpg autocommits outside ``BEGIN``): read-only
  statements only, each seeing its own snapshot — as separate sessions' statements did before;
  inside a session's transaction the statement runs on that transaction instead;
- parameters are processed as SQLAlchemy would (its bind processors, computed once); result values
  are asyncpg's own: a statement whose result columns need a SQLAlchemy result processor is refused
  when built, except ``Numeric`` (asyncpg already returns ``Decimal``) and arrays of plain items
  (asyncpg returns lists); ``json``/``jsonb`` columns are
  decoded by the codec SQLAlchemy installs on every connection (``decode_json_column``);
- uuids come back as asyncpg's ``UUID``, a subclass of :class:`uuid.UUID` (equal, same hash);
- a driver call that fails or is cancelled discards its connection (the pool makes a new one), so a
  connection lost or left mid-statement never reaches the next caller;
- the engine's ``before_cursor_execute`` listeners see each statement (without a cursor or an
  execution context), so statement counts and tracing cover driver reads too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from asyncpg import Record
from sqlalchemy import ARRAY, Numeric, Select
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util.concurrency import greenlet_spawn

_DIALECT = PGDialect_asyncpg()


def _harmless(column_type: Any) -> bool:
    """Whether SQLAlchemy's result processor of ``column_type`` only re-makes what asyncpg returns:
    ``Numeric`` (asyncpg gives ``Decimal``), an ``ARRAY`` of items needing no processing (a list)."""
    if isinstance(column_type, Numeric):
        return True
    return isinstance(column_type, ARRAY) and column_type.item_type.result_processor(_DIALECT, None) is None


class DriverRead:
    """One compiled read statement (see the module's invariants)."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        compiled = statement.compile(dialect=_DIALECT)
        for column in compiled._result_columns:
            column_type = column[3]
            processor = column_type.result_processor(_DIALECT, None)
            if processor is not None and not _harmless(column_type):
                raise ValueError(
                    f"column {column[0]!r} needs SQLAlchemy's result processing ({column_type!r})"
                )
        self.sql = str(compiled)
        self._names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self._literals: dict[str, Any] = dict(compiled.params)
        self._processors: dict[str, Callable[[Any], Any]] = {}
        for name, bind_processor in compiled._bind_processors.items():
            if not callable(bind_processor):  # a tuple type's processors, one per element
                raise ValueError(f"parameter {name!r} needs per-element processing")
            self._processors[name] = bind_processor

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for ``values`` (named as the statement's bind parameters)."""
        arguments: list[Any] = []
        for name in self._names:
            value = values[name] if name in values else self._literals[name]
            processor = self._processors.get(name)
            arguments.append(value if processor is None or value is None else processor(value))
        return arguments

    async def rows(self, db: AsyncSession, values: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """The statement's rows: on the driver, or in ``db``'s transaction when it has begun one."""
        if db.in_transaction() or not isinstance(db.bind, AsyncEngine):
            return (await db.execute(self.statement, values)).all()
        return await self.fetch(db.bind, values)

    async def fetch(self, engine: AsyncEngine, values: Mapping[str, Any]) -> Sequence[Record]:
        """The statement's rows for ``values``, read outside any transaction."""
        arguments = self.arguments(values)
        sync_engine = engine.sync_engine
        # straight from the pool (its checkout and checkin events, the idle ping among them, apply):
        # ~30 µs of CPU against ~100-150 µs through a SQLAlchemy Connection and its events
        pooled = await greenlet_spawn(sync_engine.raw_connection)
        try:
            announce = sync_engine.dispatch.before_cursor_execute
            if announce:  # like every statement SQLAlchemy runs (statement counts, tracing): no
                # connection object, cursor or execution context
                announce(None, None, self.sql, arguments, None, False)
            driver: Any = pooled.driver_connection
            rows: Sequence[Record] = await driver.fetch(self.sql, *arguments)
        except BaseException:
            # SQLAlchemy would judge the error; the driver's connection is not trusted after any
            # (lost, cancelled mid-statement): it is discarded rather than handed back to the pool
            await greenlet_spawn(pooled.invalidate)
            raise
        finally:
            await greenlet_spawn(pooled.close)
        return rows
