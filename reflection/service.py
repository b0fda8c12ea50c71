"""Starting reflections and reading them.

``start_reflection`` is the confirm transaction: the billing half (:func:`billing.quotes.confirm_quote`:
quote, idempotency key, hold) and the reflection row (state ``queued``) are written in the caller's
transaction, so either both exist or neither does. The caller commits and only then enqueues the job
(``_job_id`` = the reflection id); a crash between the two leaves a queued reflection that the
sweeper enqueues (or, once its hold expired, fails and voids). A retried confirm (same key, same
quote) returns the same reflection and places nothing new.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from billing import quotes
from reflection.models import Reflection


@dataclass(frozen=True, slots=True)
class ReflectionStarted:
    reflection: Reflection
    replayed: bool


async def start_reflection(
    db: AsyncSession,
    user_id: uuid.UUID,
    quote_id: uuid.UUID,
    idempotency_key: str,
    terms: quotes.ReflectionTerms,
) -> ReflectionStarted:
    """Confirm a quote and write the queued reflection; raises :class:`billing.quotes.ConfirmRefused`."""
    placed = await quotes.confirm_quote(db, user_id, quote_id, idempotency_key, terms)
    if placed.replayed:
        existing = await db.scalar(select(Reflection).where(Reflection.hold_id == placed.hold_id))
        assert existing is not None, "a claimed key's hold always has its reflection"
        return ReflectionStarted(existing, replayed=True)
    reflection = Reflection(
        user_id=user_id,
        session_id=placed.quote.session_id,
        quote_id=placed.quote.id,
        hold_id=placed.hold_id,
        state="queued",
        cost=placed.quote.cost,
        model=placed.quote.model,
        style_patterns=[],
        evolution_notes=[],
    )
    db.add(reflection)
    await db.flush()
    await db.refresh(reflection)
    return ReflectionStarted(reflection, replayed=False)


async def reflection_by_id(
    db: AsyncSession, user_id: uuid.UUID, reflection_id: uuid.UUID
) -> Reflection | None:
    return await db.scalar(
        select(Reflection).where(Reflection.id == reflection_id, Reflection.user_id == user_id)
    )


async def reflections_by_ids(
    db: AsyncSession, user_id: uuid.UUID, reflection_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Reflection]:
    """The user's reflections among ``reflection_ids`` (one query); others' and unknown ids are absent."""
    if not reflection_ids:
        return {}
    statement = select(Reflection).where(
        Reflection.user_id == user_id, Reflection.id.in_(list(reflection_ids))
    )
    return {row.id: row for row in await db.scalars(statement)}


async def latest_reflections(
    db: AsyncSession, user_id: uuid.UUID, session_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Reflection]:
    """The newest reflection of each session (any state), one query."""
    if not session_ids:
        return {}
    statement = (
        select(Reflection)
        .where(Reflection.user_id == user_id, Reflection.session_id.in_(list(session_ids)))
        .order_by(Reflection.session_id, Reflection.created_at.desc(), Reflection.id.desc())
        .ext(distinct_on(Reflection.session_id))
    )
    return {row.session_id: row for row in await db.scalars(statement)}


async def delivered_summaries(
    db: AsyncSession, user_id: uuid.UUID, session_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The summary of each session's newest delivered reflection, one query."""
    if not session_ids:
        return {}
    statement = (
        select(Reflection.session_id, Reflection.summary)
        .where(
            Reflection.user_id == user_id,
            Reflection.session_id.in_(list(session_ids)),
            Reflection.state == "done",
        )
        .order_by(Reflection.session_id, Reflection.completed_at.desc(), Reflection.id.desc())
        .ext(distinct_on(Reflection.session_id))
    )
    return {row[0]: row[1] for row in await db.execute(statement) if row[1]}


async def reflection_page(
    db: AsyncSession,
    user_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[Reflection]:
    """The user's reflections newest first (keyset on ``(created_at, id)``), ``limit + 1`` rows at most."""
    statement = select(Reflection).where(Reflection.user_id == user_id)
    if after is not None:
        statement = statement.where(tuple_(Reflection.created_at, Reflection.id) < tuple_(*after))
    statement = statement.order_by(Reflection.created_at.desc(), Reflection.id.desc()).limit(limit + 1)
    return list(await db.scalars(statement))
