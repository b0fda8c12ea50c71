"""Session and phase views carry exactly their ORM rows' columns, and a page reads the same values."""

from __future__ import annotations

from sqlalchemy import inspect

from catalog.models import Phase, Session
from catalog.sessions.session_views import PhaseView, SessionView


def test_views_have_every_column_of_their_rows_under_the_same_names() -> None:
    assert set(SessionView._fields) == {column.key for column in inspect(Session).columns}
    assert set(PhaseView._fields) == {column.key for column in inspect(Phase).columns}
