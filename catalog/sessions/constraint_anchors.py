"""Keeping the artist's corrections when images they name leave their place: removed from the library,
or moved to another session by a later correction.

A correction is stored as pairs of images (``session_constraints``): a merge is a ``must_link`` across
each joined gap (the last image before it, the first after), a split a ``cannot_link`` across the cut, a
move a ``move`` from each moved image to an image of the target session (its anchor). Removing an image
would drop every pair naming it (their foreign keys cascade) and with them the correction; moving it
would leave the pair naming an image clustering takes out of the stream, and drop it just the same.
Before the images go, :func:`reanchor_constraints` moves each leaving end of a pair to the image that
now plays its part (pairs a later correction superseded too, so that its undo finds them in place):

- ``must_link`` / ``cannot_link``: the remaining image of the removed one's session nearest to it in
  stream order *on the same side of the other end* (so the pair still spans the same gap or cut); none
  there — that side of the gap is gone — drops the pair;
- ``move``: a leaving anchor becomes the nearest remaining image of its session; a removed moved image
  drops its pair (there is nothing left to move), a moved one keeps it for the move that replaces it
  (:func:`catalog.sessions.corrections.move_assets` supersedes it).

A pair in force whose new ends another pair in force of the same kind already holds is dropped (the
other says the same). Runs in the caller's transaction after the user's library lock
(:mod:`catalog.library_locks`); writes only the pairs that name leaving images (one statement for those
kept, one for those dropped).
"""

from __future__ import annotations

import bisect
import uuid
from collections import defaultdict
from collections.abc import Collection
from typing import Literal

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.sessions.queries import AssetKey, stream_key
from catalog.sql_types import UUID_ARRAY

_PAIRS_NAMING = text(
    """
    SELECT id, kind, asset_a_id, asset_b_id, superseded_by_id IS NULL AS active FROM session_constraints
    WHERE user_id = :user_id AND (asset_a_id = ANY(:ids) OR asset_b_id = ANY(:ids))
    """
).bindparams(bindparam("user_id", type_=UUID(as_uuid=True)), bindparam("ids", type_=UUID_ARRAY))
_PLACES = text(
    """
    SELECT id, session_id, created_at, file_counter, file_name FROM assets
    WHERE user_id = :user_id AND created_at IS NOT NULL
      AND (id = ANY(:ends) OR session_id IN (
          SELECT session_id FROM assets WHERE user_id = :user_id AND id = ANY(:removed)))
    """
).bindparams(
    bindparam("user_id", type_=UUID(as_uuid=True)),
    bindparam("ends", type_=UUID_ARRAY),
    bindparam("removed", type_=UUID_ARRAY),
)
_MOVE_PAIRS = text(
    """
    UPDATE session_constraints SET asset_a_id = v.a, asset_b_id = v.b
    FROM unnest(:ids, :a_ids, :b_ids) AS v(id, a, b)
    WHERE session_constraints.id = v.id
    """
).bindparams(
    bindparam("ids", type_=UUID_ARRAY),
    bindparam("a_ids", type_=UUID_ARRAY),
    bindparam("b_ids", type_=UUID_ARRAY),
)
_DROP_PAIRS = text("DELETE FROM session_constraints WHERE id = ANY(:ids)").bindparams(
    bindparam("ids", type_=UUID_ARRAY)
)


async def reanchor_constraints(
    db: AsyncSession,
    user_id: uuid.UUID,
    leaving: Collection[uuid.UUID],
    *,
    why: Literal["removed", "moved"] = "removed",
) -> int:
    """Re-point the user's constraint pairs that name ``leaving`` images (see the module docstring),
    before those images are deleted or moved; returns how many pairs were kept (re-pointed)."""
    ids = list(leaving)
    gone = set(ids)
    pairs = (await db.execute(_PAIRS_NAMING, {"user_id": user_id, "ids": ids})).all()
    if why == "moved":
        pairs = [pair for pair in pairs if not (pair.kind == "move" and pair.asset_a_id in gone)]
    if not pairs:
        return 0
    ends = {end for pair in pairs for end in (pair.asset_a_id, pair.asset_b_id)}
    places = (await db.execute(_PLACES, {"user_id": user_id, "ends": list(ends), "removed": ids})).all()
    key_of = {row.id: stream_key(row.created_at, row.file_counter, row.file_name, row.id) for row in places}
    session_of = {row.id: row.session_id for row in places}
    remaining: dict[uuid.UUID, list[AssetKey]] = defaultdict(list)
    for row in places:
        if row.id not in gone and row.session_id is not None:
            remaining[row.session_id].append(key_of[row.id])
    for keys in remaining.values():
        keys.sort()

    taken = {
        (pair.kind, pair.asset_a_id, pair.asset_b_id)
        for pair in pairs
        if pair.active and not ({pair.asset_a_id, pair.asset_b_id} & gone)
    }
    dropped: list[uuid.UUID] = []
    moved: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = []
    for pair in pairs:
        a, b = pair.asset_a_id, pair.asset_b_id
        if a in gone:
            a = _stand_in(
                pair.kind, a, b, first_end=True, key_of=key_of, session_of=session_of, remaining=remaining
            )
        if b in gone and a is not None:
            b = _stand_in(
                pair.kind, b, a, first_end=False, key_of=key_of, session_of=session_of, remaining=remaining
            )
        if a is None or b is None or a == b or (pair.active and (pair.kind, a, b) in taken):
            dropped.append(pair.id)
            continue
        if pair.active:
            taken.add((pair.kind, a, b))
        moved.append((pair.id, a, b))
    if moved:
        ids, a_ids, b_ids = (list(column) for column in zip(*moved, strict=True))
        await db.execute(_MOVE_PAIRS, {"ids": ids, "a_ids": a_ids, "b_ids": b_ids})
    if dropped:
        await db.execute(_DROP_PAIRS, {"ids": dropped})
    return len(moved)


def _stand_in(
    kind: str,
    end: uuid.UUID,
    other: uuid.UUID,
    *,
    first_end: bool,
    key_of: dict[uuid.UUID, AssetKey],
    session_of: dict[uuid.UUID, uuid.UUID | None],
    remaining: dict[uuid.UUID, list[AssetKey]],
) -> uuid.UUID | None:
    """The image that takes removed ``end``'s place in a pair with ``other``; None drops the pair."""
    if kind == "move" and first_end:  # the moved image itself
        return None
    key, session = key_of.get(end), session_of.get(end)
    if key is None or session is None or not remaining.get(session):
        return None
    keys = remaining[session]
    if kind == "move":
        candidates = keys
    else:
        other_key = key_of.get(other)
        if other_key is None:
            return None
        candidates = (
            [k for k in keys if k < other_key] if other_key > key else [k for k in keys if k > other_key]
        )
    if not candidates:
        return None
    at = bisect.bisect_left(candidates, key)
    nearest = [candidates[i] for i in (at - 1, at) if 0 <= i < len(candidates)]
    return min(nearest, key=lambda k: abs((k.created_at - key.created_at).total_seconds())).id
