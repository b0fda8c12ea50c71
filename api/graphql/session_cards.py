"""Session cards by period: ``viewer.sessionGroups`` (today, this week, earlier in the viewer's zone).

Invariants:
- One instant per request (``RequestContext.now``) and the viewer's zone decide the periods
  (:mod:`catalog.sessions.periods`: by ``endedAt``, the latest activity; ISO weeks from Monday);
  the three periods cover every session exactly once.
- The first pages of all requested groups are one SQL statement (a DataLoader batching a
  ``UNION ALL``), their counts another; the cards' thumbnails and summaries are the usual batched
  loaders. So a page of groups costs a fixed number of statements whatever ``first`` is.
- A group cursor names its period; it continues only that period's group (``BAD_USER_INPUT``
  otherwise). Only the viewer's sessions are ever read.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.graphql.pagination import (
    PAGE_SIZE_MAX,
    CursorReader,
    InvalidArgument,
    PageInfo,
    check_page_size,
    encode_cursor,
)
from api.graphql.types import Session, SessionEdge
from catalog.accounts.time_zones import stored_time_zone
from catalog.sessions import periods as catalog_periods
from catalog.sessions.period_queries import EndedKey, PeriodPageRequest, ended_key

_CARD_CURSOR = "session-card"


@strawberry.enum(description="When a session's latest activity (endedAt) was, in the viewer's time zone")
class SessionPeriod(enum.Enum):
    TODAY = strawberry.enum_value(
        "today", description="Since today's midnight (sessions ending in the future count as today too)"
    )
    THIS_WEEK = strawberry.enum_value(
        "this_week",
        description=(
            "Since Monday's midnight of the current ISO week, before today's midnight (empty on Mondays)"
        ),
    )
    EARLIER = strawberry.enum_value("earlier", description="Before Monday's midnight of the current ISO week")

    @property
    def catalog(self) -> catalog_periods.SessionPeriod:
        return catalog_periods.SessionPeriod[self.name]


@strawberry.type(description="A page of one period's session cards, latest activity (endedAt) first")
class SessionCardConnection:
    edges: list[SessionEdge] = strawberry.field(
        description="The sessions of this page, latest activity first (endedAt, newest first)"
    )
    page_info: PageInfo = strawberry.field(
        description="Whether more of this period's sessions follow, and from where"
    )


@strawberry.type(
    description=(
        "The viewer's sessions whose latest activity (endedAt) falls in one period, in the viewer's time "
        "zone: a heading and its cards"
    )
)
class SessionGroup:
    periods: strawberry.Private[catalog_periods.Periods]
    period: SessionPeriod = strawberry.field(description="Which period")
    title: str = strawberry.field(description="A heading in English: Today, This week or Earlier")
    start: datetime | None = strawberry.field(
        name="from",
        description=(
            "Where the period starts (inclusive, UTC): a local midnight in the viewer's zone; "
            "null for EARLIER"
        ),
    )
    end: datetime | None = strawberry.field(
        name="to",
        description="Where it ends (exclusive, UTC): a local midnight in the viewer's zone; null for TODAY",
    )

    @strawberry.field(description="How many of the viewer's sessions are in this period")
    async def session_count(self, info: Info[RequestContext, None]) -> int:
        counts = await info.context.session_period_counts.load(self.periods)
        return counts[self.period.catalog]

    @strawberry.field(
        description=(
            "The period's sessions, latest activity first. To page on, ask `sessionGroups(periods: "
            "[<this period>])` with `after`: a cursor continues only its own period's group"
        )
    )
    async def sessions(
        self,
        info: Info[RequestContext, None],
        first: Annotated[int, strawberry.argument(description=f"Page size, 1–{PAGE_SIZE_MAX}")] = 20,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="The endCursor of this group's previous page; omit for the first"
            ),
        ] = None,
    ) -> SessionCardConnection:
        limit = check_page_size(first)
        key = None if after is None else _card_key_of(after, self.period)
        request = PeriodPageRequest(self.periods.bounds(self.period.catalog), limit, key)
        rows = await info.context.session_period_pages.load(request)
        edges = [
            SessionEdge(node=Session.from_row(row), cursor=_card_cursor(self.period, ended_key(row)))
            for row in rows[:limit]
        ]
        return SessionCardConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None
            ),
        )


def _card_cursor(period: SessionPeriod, key: EndedKey) -> str:
    return encode_cursor(_CARD_CURSOR, period.name, key.ended_at, key.id)


def _card_key_of(cursor: str, period: SessionPeriod) -> EndedKey:
    reader = CursorReader(cursor, _CARD_CURSOR)
    if reader.read_text() != period.name:
        raise InvalidArgument(
            f"this cursor belongs to another period's group, not {period.name}: "
            "continue a group with its own endCursor"
        )
    key = EndedKey(reader.read_datetime(), reader.read_uuid())
    reader.finish()
    return key


def session_groups(
    info: Info[RequestContext, None], timezone: str, periods: list[SessionPeriod] | None
) -> list[SessionGroup]:
    """The groups asked for (default: all three, in order TODAY, THIS_WEEK, EARLIER), empty ones too."""
    wanted = list(SessionPeriod) if periods is None else periods
    if len(set(wanted)) != len(wanted):
        raise InvalidArgument("`periods` names a period more than once")
    at = catalog_periods.periods_at(info.context.now(), stored_time_zone(timezone))
    groups = []
    for period in wanted:
        bounds = at.bounds(period.catalog)
        groups.append(
            SessionGroup(
                periods=at,
                period=period,
                title=catalog_periods.PERIOD_TITLES[period.catalog],
                start=bounds.start,
                end=bounds.end,
            )
        )
    return groups
