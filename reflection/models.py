"""The ``reflections`` table: one row per confirmed reflection, the source of truth of its state.

States: ``queued`` (hold placed, job owed) → ``running`` (a worker holds the lease) → ``done`` (text
stored, hold captured) or ``failed`` (reason stored, hold voided). ``done`` and ``failed`` are final;
every transition happens in a transaction that locks this row first (then the hold, then accounts),
so a job run twice, a sweeper and a killed worker never resolve one reflection twice.

``run_id`` names the run that holds the lease (``lease_expires_at``); a run only finishes the
reflection while it still holds it. ``runs`` counts the runs that took the lease (incremented in the
transaction that takes it, under the row lock; at most ``ATELIER_REFLECTION_MAX_RUNS``, see
:mod:`reflection.runner`). ``request_audit`` is the exact request sent to the model without
image bytes, kept with ``prompt_version`` for support.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base

REFLECTION_STATES = ("queued", "running", "done", "failed")


class Reflection(Base):
    __tablename__ = "reflections"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="ck_reflection_state"),
        Index("ix_reflections_session", "session_id", "created_at"),
        Index("ix_reflections_open", "state", postgresql_where=text("state IN ('queued', 'running')")),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    """The session reflected on (not a foreign key: re-clustering may remove it; the text stays)."""
    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reflection_quotes.id"), unique=True)
    hold_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credit_holds.id"), unique=True)
    state: Mapped[str] = mapped_column(String(10), server_default=text("'queued'"))
    cost: Mapped[int] = mapped_column(Integer)
    charged: Mapped[int | None] = mapped_column(Integer)
    model: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    style_patterns: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    evolution_notes: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    prompt_version: Mapped[str | None] = mapped_column(String(40))
    request_audit: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    usage: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    grounding: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    run_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    runs: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    lease_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
