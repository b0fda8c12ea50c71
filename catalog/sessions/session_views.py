"""Sessions and phases as the API's pages read them: plain tuples rather than ORM rows.

Why: a sessions page reads 20 sessions and their phases on every request; as named tuples read on
the asyncpg driver (:mod:`catalog.driver_reads`) they skip the ORM's identity map and instrumented
attributes. Invariants: a :class:`SessionView` / :class:`PhaseView` carries exactly the columns of
:class:`catalog.models.Session` / :class:`catalog.models.Phase` under the same attribute names
(a test compares them), so either backs the GraphQL ``Session`` and ``Phase``. Read-only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NamedTuple

from catalog.models import Phase, Session


class SessionView(NamedTuple):
    """Every column of a session, as a plain tuple (same attribute names as the ORM row)."""

    id: uuid.UUID
    user_id: uuid.UUID
    tool: str
    label: str
    label_pinned: bool
    intent: str
    confidence: float
    started_at: datetime
    ended_at: datetime
    asset_count: int
    first_asset_id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class PhaseView(NamedTuple):
    """Every column of a phase, as a plain tuple (same attribute names as the ORM row)."""

    id: uuid.UUID
    session_id: uuid.UUID
    ordinal: int
    intent: str
    label: str
    started_at: datetime
    ended_at: datetime
    asset_count: int
    detail: dict[str, Any]


SESSION_VIEW_COLUMNS = [getattr(Session, name) for name in SessionView._fields]
PHASE_VIEW_COLUMNS = [getattr(Phase, name) for name in PhaseView._fields]
"""The columns of each view, in order: ``select(*SESSION_VIEW_COLUMNS)``."""
