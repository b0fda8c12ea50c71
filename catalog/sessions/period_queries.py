"""Read queries for session cards by period (:mod:`catalog.sessions.periods`).

Order inside a period: latest activity first, ``(ended_at DESC, id DESC)`` (index
``ix_sessions_user_ended``); keyset pages fetch ``limit + 1`` rows so the caller learns whether more
follow. Every query filters by the owner's ``user_id``.

:func:`period_pages` answers any number of page requests (one per period shown) with **one**
statement, a ``UNION ALL`` of one index-ordered, limited branch per request; :func:`period_counts`
counts all three periods with one statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, func, literal, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Session
from catalog.sessions.periods import PeriodBounds, Periods, SessionPeriod


@dataclass(frozen=True, slots=True)
class EndedKey:
    """A session's place in the latest-activity order."""

    ended_at: datetime
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class PeriodPageRequest:
    bounds: PeriodBounds
    limit: int
    """Rows wanted; ``limit + 1`` are fetched."""
    after: EndedKey | None


def ended_key(row: Session) -> EndedKey:
    return EndedKey(row.ended_at, row.id)


def _in_bounds(bounds: PeriodBounds) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if bounds.start is not None:
        conditions.append(Session.ended_at >= bounds.start)
    if bounds.end is not None:
        conditions.append(Session.ended_at < bounds.end)
    return conditions


def _branch(user_id: uuid.UUID, request: PeriodPageRequest, number: int) -> Select[uuid.UUID, int]:
    statement = select(Session.id, literal(number).label("branch")).where(
        Session.user_id == user_id, *_in_bounds(request.bounds)
    )
    if request.after is not None:
        statement = statement.where(
            tuple_(Session.ended_at, Session.id) < tuple_(request.after.ended_at, request.after.id)
        )
    return statement.order_by(Session.ended_at.desc(), Session.id.desc()).limit(request.limit + 1)


async def period_pages(
    session: AsyncSession, user_id: uuid.UUID, requests: Sequence[PeriodPageRequest]
) -> list[list[Session]]:
    """For each request, up to ``limit + 1`` of the user's sessions in its bounds after its key, latest
    activity first; one statement whatever the number of requests."""
    if not requests:
        return []
    branches = [_branch(user_id, request, number).subquery() for number, request in enumerate(requests)]
    chosen = union_all(*(select(branch.c.id, branch.c.branch) for branch in branches)).subquery("chosen")
    statement = (
        select(Session, chosen.c.branch)
        .join(chosen, chosen.c.id == Session.id)
        .order_by(chosen.c.branch, Session.ended_at.desc(), Session.id.desc())
    )
    pages: list[list[Session]] = [[] for _ in requests]
    for row, number in await session.execute(statement):
        pages[number].append(row)
    return pages


async def period_counts(
    session: AsyncSession, user_id: uuid.UUID, periods: Periods
) -> dict[SessionPeriod, int]:
    """How many of the user's sessions fall in each period (one statement, an index-only scan)."""
    counts = [func.count().filter(and_(*_in_bounds(periods.bounds(period)))) for period in SessionPeriod]
    row = (await session.execute(select(*counts).where(Session.user_id == user_id))).one()
    return {period: int(value) for period, value in zip(SessionPeriod, row, strict=True)}
