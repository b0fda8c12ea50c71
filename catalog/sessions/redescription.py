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
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.assets.span_rows import SpanAsset
from catalog.models import User
from engine.analysis import DESCRIPTION_VERSION


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


async def mark_described(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Record that the user's whole stream is described by this engine (in the caller's transaction)."""
    await session.execute(
        update(User).where(User.id == user_id).values(sessions_described_with=DESCRIPTION_VERSION)
    )


async def users_to_redescribe(
    session: AsyncSession, limit: int | None, among: Sequence[uuid.UUID] | None = None
) -> list[uuid.UUID]:
    """Up to ``limit`` users (of ``among``, when given) whose stream was described by another engine
    version, oldest account first."""
    query = select(User.id).where(User.sessions_described_with.is_distinct_from(DESCRIPTION_VERSION))
    if among is not None:
        query = query.where(User.id.in_(among))
    return list(await session.scalars(query.order_by(User.created_at, User.id).limit(limit)))
