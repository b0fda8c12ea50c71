"""Re-describing a library after an engine upgrade: new labels, intents, phases and lineage for the
stored sessions, memberships kept.

Descriptions are written when sessions are clustered, so a library clustered by an earlier engine
keeps its old ones until it is re-clustered, and a re-clustering would also move boundaries the artist
has grown used to (the learned offset, a changed boundary rule). Re-description runs the engine over
the whole stream with every stored session *pinned* — its members must-linked in a chain, each
session cannot-linked to the next one in stream order — so only the descriptions can change; the
artist's own constraints and pinned labels hold as in every re-clustering.

``users.sessions_described_with`` records the ``engine.analysis.DESCRIPTION_VERSION`` a user's whole
stream was last described with (a full re-cluster or a re-description sets it; NULL is an engine before
migration 0015). The worker's healing tick re-describes users whose version differs
(``catalog.tasks``), one child process per user, like a full re-cluster.

Timed assets that no stored session holds are not pinned: the engine places them as an ordinary
re-clustering would (they are owed clustering anyway).

**Back-off after failures.** A re-description that fails for good (a bug, bad data, the child process
dying, its deadline) leaves the version stale, so the tick would queue it again at once. The job
records each such failure on the user (:func:`record_redescription_failure`, migration 0016):
``redescription_failures`` counts them in a row, ``redescription_failed_at`` is the last one (the
database's clock) and ``redescription_failed_version`` the engine version they were met with.
:func:`users_to_redescribe` skips a user until :func:`redescription_backoff` of their count has passed
since the last failure: :data:`REDESCRIPTION_BACKOFF_FIRST` after the first, doubled by each further
one, at most :data:`REDESCRIPTION_BACKOFF_MAX`. Describing the stream (a re-description or a full
re-cluster, :func:`mark_described`) clears the record, and failures met with another engine version
hold nothing back (the upgrade may be the fix: the count starts again at 1). The record lives in
PostgreSQL, so neither a worker restart nor a lost Redis resets the back-off. To try a user again at
once: ``UPDATE users SET redescription_failed_at = NULL`` (the count is kept).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.assets.span_rows import SpanAsset
from catalog.models import User
from engine.analysis import DESCRIPTION_VERSION

REDESCRIPTION_BACKOFF_FIRST = timedelta(minutes=5)
"""How long the healing tick leaves a user alone after a first failed re-description (about ten
ticks: a fault that clears by itself is met again soon, a lasting one costs one child process per
back-off instead of one per tick). Each further failure in a row doubles it."""
REDESCRIPTION_BACKOFF_MAX = timedelta(hours=24)
"""The longest back-off, reached at the 10th failure in a row (5 min × 2⁹ > 24 h): a user whose
re-description keeps failing is still tried once a day, so a fix deployed without a new engine
version reaches them without anyone clearing the record."""
_BACKOFF_MAX_DOUBLINGS = math.ceil(math.log2(REDESCRIPTION_BACKOFF_MAX / REDESCRIPTION_BACKOFF_FIRST))
"""Doublings past which the cap holds anyway (9); bounding the exponent keeps SQL's interval finite."""


@dataclass(frozen=True)
class RedescriptionFailure:
    """A failed re-description as recorded on the user."""

    attempt: int
    """Failures in a row with this engine version, this one included (1: the first)."""
    failed_at: datetime
    """When it was recorded (the database's clock, timestamptz)."""

    @property
    def retry_after(self) -> datetime:
        """The earliest time the healing tick queues the user again."""
        return self.failed_at + redescription_backoff(self.attempt)


def membership_pins(assets: Sequence[SpanAsset]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(must-link, cannot-link) pairs, as engine ids, that make the engine return exactly the stored
    sessions of ``assets`` (stream order): each session's members chained in order, and every two
    neighbours of different stored sessions kept apart."""
    must_link: list[tuple[str, str]] = []
    cannot_link: list[tuple[str, str]] = []
    last_member: dict[uuid.UUID, str] = {}
    previous: SpanAsset | None = None
    for asset in assets:
        if asset.session_id is None:
            continue
        engine_id = str(asset.id)
        chained = last_member.get(asset.session_id)
        if chained is not None:
            must_link.append((chained, engine_id))
        last_member[asset.session_id] = engine_id
        if previous is not None and previous.session_id != asset.session_id:
            cannot_link.append((str(previous.id), engine_id))
        previous = asset
    return must_link, cannot_link


def redescription_backoff(failures: int) -> timedelta:
    """How long the tick waits after the last of ``failures`` failed re-descriptions in a row:
    :data:`REDESCRIPTION_BACKOFF_FIRST` × 2^(failures − 1), at most :data:`REDESCRIPTION_BACKOFF_MAX`
    (no wait for 0 failures). :func:`_backoff_seconds_sql` is the same formula in SQL."""
    if failures <= 0:
        return timedelta(0)
    doublings = min(failures - 1, _BACKOFF_MAX_DOUBLINGS)
    return min(REDESCRIPTION_BACKOFF_MAX, REDESCRIPTION_BACKOFF_FIRST * 2**doublings)


def _backoff_seconds_sql() -> ColumnElement[float]:
    """:func:`redescription_backoff` of the row's ``redescription_failures``, in seconds."""
    doublings = func.least(func.greatest(User.redescription_failures - 1, 0), _BACKOFF_MAX_DOUBLINGS)
    return func.least(
        REDESCRIPTION_BACKOFF_FIRST.total_seconds() * func.power(2.0, doublings),
        REDESCRIPTION_BACKOFF_MAX.total_seconds(),
    )


def _backoff_started_before() -> ColumnElement[datetime]:
    """The row's back-off is over when its last failure is at or before this time."""
    return func.now() - func.make_interval(0, 0, 0, 0, 0, 0, _backoff_seconds_sql())


def _stale() -> ColumnElement[bool]:
    return User.sessions_described_with.is_distinct_from(DESCRIPTION_VERSION)


def _backing_off() -> ColumnElement[bool]:
    """The user's last failed re-description, met with this engine, is within its back-off (never
    NULL: a user without such a failure is not backing off)."""
    return and_(
        User.redescription_failed_version.is_not_distinct_from(DESCRIPTION_VERSION),
        User.redescription_failed_at.is_not(None),
        User.redescription_failed_at > _backoff_started_before(),
    )


async def mark_described(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Record that the user's whole stream is described by this engine, and clear their failed
    re-descriptions (in the caller's transaction; idempotent)."""
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(
            sessions_described_with=DESCRIPTION_VERSION,
            redescription_failures=0,
            redescription_failed_at=None,
            redescription_failed_version=None,
        )
    )


async def record_redescription_failure(
    session: AsyncSession, user_id: uuid.UUID
) -> RedescriptionFailure | None:
    """Count one more failed re-description of the user with this engine (the count restarts at 1
    after failures met with another version) at the database's ``now()``, in the caller's
    transaction. Not idempotent: each call is one failure. None when the user no longer exists."""
    same_engine = User.redescription_failed_version.is_not_distinct_from(DESCRIPTION_VERSION)
    statement = (
        update(User)
        .where(User.id == user_id)
        .values(
            redescription_failures=case((same_engine, User.redescription_failures + 1), else_=1),
            redescription_failed_at=func.now(),
            redescription_failed_version=DESCRIPTION_VERSION,
        )
        .returning(User.redescription_failures, User.redescription_failed_at)
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(statement)).one_or_none()
    if row is None or row.redescription_failed_at is None:  # no such user (the time is always set)
        return None
    return RedescriptionFailure(attempt=row.redescription_failures, failed_at=row.redescription_failed_at)


async def redescription_owed(session: AsyncSession, user_id: uuid.UUID) -> bool:
    """The user's stream was described by another engine version (back-off or not)."""
    owed = await session.scalar(select(User.id).where(User.id == user_id, _stale()))
    return owed is not None


async def users_to_redescribe(
    session: AsyncSession, limit: int | None, among: Sequence[uuid.UUID] | None = None
) -> list[uuid.UUID]:
    """Up to ``limit`` users (of ``among``, when given) whose stream was described by another engine
    version and who are not backing off from a failed re-description, oldest account first."""
    query = select(User.id).where(_stale(), not_(_backing_off()))
    if among is not None:
        query = query.where(User.id.in_(among))
    return list(await session.scalars(query.order_by(User.created_at, User.id).limit(limit)))


async def count_redescriptions_backing_off(session: AsyncSession) -> int:
    """Users owed a re-description whom the tick leaves alone for now (their last one failed)."""
    return int(
        await session.scalar(select(func.count()).select_from(User).where(_stale(), _backing_off())) or 0
    )
