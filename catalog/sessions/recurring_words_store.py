"""An artist's recurring words, learned from their whole library and kept for span re-clusterings.

The engine weighs the words an artist writes in most sittings lightly
(:mod:`engine.sessions.recurring_words`). Which words those are is a property of the whole library: a
span re-clustered after an import sees a few sessions only, and would learn other words (or none) and
decide its boundaries differently from a full re-clustering. So:

- a full re-clustering (``atelier recluster``, ``reclusterLibrary``, a re-description) learns them from
  every timed image of the user and stores them (``user_calibrations.recurring_words``);
- a span re-clustering and a correction's margins use the stored words; when none are stored yet (a
  new library), or the span holds more sittings than they were learned from (a year imported into a
  library first tried on a week, an older folder imported after a newer one), they are learned from
  the whole library (from the span itself when it holds every timed image: the first import of a
  folder) and stored, and the caller re-clusters the whole library with them
  (:attr:`SpanWords.relearned`): the sessions decided before were decided with other words (or none);
- a library with too few sittings to learn from (fewer than four) stores a marker without words
  (``sittings`` 0) counting its images, so that images arriving by small imports (a watched folder, a
  day at a time) are counted as below and the words are learned once the library holds enough
  sittings — not only when a single import does;
- a span re-clustering after which a quarter (:data:`REFRESH_GROWTH`) as many images as the words were
  learned from have been added or removed learns them again from the whole library first (its prompts
  and times only: one query), so a new client template or style suffix that arrived by small imports
  stops counting fully after at most a quarter more images, and a client's template whose images were
  removed stops counting little, without waiting for a full re-clustering. The change is counted as
  spans bring or take images (no count of the library on every span: that is a scan of the user's
  index, as long as the span's own work in a large library).

Stored as ``{"words": {word: factor}, "sittings": n, "images": m, "grown": g}`` (``images``: the timed
images they were learned from; ``grown``: images spans added or removed since; words stored before those
were kept are learned again at the next span). Runs in the caller's transaction; the caller holds the
user's library lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, select, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Asset
from engine.records import GenerationRecord
from engine.sessions.recurring_words import LearnedWords, recurring_words_of

REFRESH_GROWTH = 0.25
"""A span re-clustering learns the words again from the whole library once images numbering this share
of those they were learned from have been added to it or removed from it."""

RecurringWords = Mapping[str | None, Mapping[str, float]]
"""What :func:`engine.session_analysis.analyze_records` takes: per record user, the word factors."""

_STORED = text("SELECT recurring_words FROM user_calibrations WHERE user_id = :user_id").bindparams(
    bindparam("user_id", type_=UUID(as_uuid=True))
)
_COUNT_GROWTH = text(
    """
    UPDATE user_calibrations SET recurring_words = recurring_words || jsonb_build_object('grown', :grown)
    WHERE user_id = :user_id
    """
).bindparams(bindparam("user_id", type_=UUID(as_uuid=True)), bindparam("grown", type_=Integer))
_STORE = text(
    """
    INSERT INTO user_calibrations (user_id, recurring_words) VALUES (:user_id, :words)
    ON CONFLICT (user_id) DO UPDATE SET recurring_words = EXCLUDED.recurring_words
    """
).bindparams(bindparam("user_id", type_=UUID(as_uuid=True)), bindparam("words", type_=JSONB))


@dataclass(frozen=True, slots=True)
class SpanWords:
    """The recurring words for a span re-clustering, and whether they were just learned from the whole
    library in place of none or of fewer sittings' (then the whole library is to be re-clustered)."""

    words: RecurringWords | None
    relearned: bool = False


async def recurring_words_for(
    db: AsyncSession,
    user_id: uuid.UUID,
    records: Sequence[GenerationRecord],
    *,
    whole_library: bool,
    changed_images: int = 0,
) -> SpanWords:
    """The recurring words to analyse ``records`` (one user's, as the catalog builds them: ``user`` None)
    with. Learned from ``records`` and stored when ``whole_library``; learned from the whole library and
    stored (``relearned``) when none are stored yet or ``records`` span more sittings than the stored
    words were learned from; learned from the whole library again, without ``relearned``, when it has
    grown by :data:`REFRESH_GROWTH` (``changed_images``: the images this span adds or removes, counted
    towards that change); else the stored ones. ``words`` None: too few sittings anywhere (the engine
    learns none from ``records`` either)."""
    stored = await _stored(db, user_id)
    learned = recurring_words_of(records).get(None)
    timed = sum(1 for record in records if record.created_at is not None)
    if whole_library:
        if learned is None:
            await _store(db, user_id, LearnedWords({}, 0), timed)
            return SpanWords(None)
        await _store(db, user_id, learned, timed)
        return SpanWords({None: learned.scales})
    if stored is None or (learned is not None and learned.sittings > stored.sittings):
        if learned is not None and await _library_size(db, user_id) == timed:  # the span is the library
            await _store(db, user_id, learned, timed)
            return SpanWords({None: learned.scales})
        return await _learn_from_library(db, user_id, relearned=True)
    grown = stored.grown + changed_images
    if stored.images == 0 or grown >= stored.images * REFRESH_GROWTH:
        return await _learn_from_library(db, user_id, relearned=False, keep=stored)
    if changed_images:
        await db.execute(_COUNT_GROWTH, {"user_id": user_id, "grown": grown})
    return SpanWords({None: stored.scales} if stored.sittings else None)


async def _learn_from_library(
    db: AsyncSession, user_id: uuid.UUID, *, relearned: bool, keep: _StoredWords | None = None
) -> SpanWords:
    """Learn the words from every timed image of the user and store them (``relearned``: and say the
    library is to be re-clustered with them, if any were learned). Too few sittings: ``keep``'s words
    stay (images were removed), else the marker without words is stored — either way counted as
    checked against this size."""
    library = await _library_prompts(db, user_id)
    fresh = recurring_words_of(library).get(None)
    kept = fresh or (LearnedWords(keep.scales, keep.sittings) if keep is not None else LearnedWords({}, 0))
    await _store(db, user_id, kept, len(library))
    if not kept.sittings:
        return SpanWords(None)
    return SpanWords({None: kept.scales}, relearned=relearned and fresh is not None)


async def stored_recurring_words(db: AsyncSession, user_id: uuid.UUID) -> RecurringWords | None:
    """The stored words (for a correction's margins, which must match the re-clustering's decisions)."""
    stored = await _stored(db, user_id)
    return None if stored is None or not stored.sittings else {None: stored.scales}


@dataclass(frozen=True, slots=True)
class _StoredWords:
    scales: dict[str, float]
    sittings: int
    images: int
    """Timed images the words were learned from (0: not kept, words stored before it was)."""
    grown: int
    """Images span re-clusterings added or removed since."""


async def _stored(db: AsyncSession, user_id: uuid.UUID) -> _StoredWords | None:
    value = (await db.execute(_STORED, {"user_id": user_id})).scalar_one_or_none()
    if not isinstance(value, dict) or not isinstance(value.get("words"), dict):
        return None
    return _StoredWords(
        value["words"],
        int(value.get("sittings") or 0),
        int(value.get("images") or 0),
        int(value.get("grown") or 0),
    )


async def _store(db: AsyncSession, user_id: uuid.UUID, learned: LearnedWords, images: int) -> None:
    words = {"words": learned.scales, "sittings": learned.sittings, "images": images, "grown": 0}
    await db.execute(_STORE, {"user_id": user_id, "words": words})


_LIBRARY_SIZE = text(
    "SELECT count(*) FROM assets WHERE user_id = :user_id AND created_at IS NOT NULL"
).bindparams(bindparam("user_id", type_=UUID(as_uuid=True)))


async def _library_size(db: AsyncSession, user_id: uuid.UUID) -> int:
    """The user's timed images (an index-only count; asked only when words are first learned)."""
    return int((await db.execute(_LIBRARY_SIZE, {"user_id": user_id})).scalar_one())


async def _library_prompts(db: AsyncSession, user_id: uuid.UUID) -> list[GenerationRecord]:
    """Every timed image of the user as a record holding what the words are learned from: time, prompt."""
    rows = await db.execute(
        select(Asset.created_at, Asset.prompt).where(Asset.user_id == user_id, Asset.created_at.is_not(None))
    )
    return [
        GenerationRecord(id=str(index), created_at=created_at, prompt=prompt)
        for index, (created_at, prompt) in enumerate(rows.all())
    ]
