"""Work an import owes its catalog, made durable so a killed import is completed by the next run.

Clustering: every asset is stored together with a ``clustering_owed`` mark (same transaction, see
:func:`~catalog.importing.owed_work_repository.mark_clustering_owed`); a thumbnail stored with its
visual descriptor marks its asset again (the descriptor takes part in clustering), and so does each
batch of prompt embeddings the worker stores, for the assets using those prompts.
:func:`complete_owed_clustering` re-clusters the span of a user's owed assets and deletes exactly
those marks in the same transaction, under the user's stream lock, so each mark is consumed once
and a crash before the commit leaves it in place. Idempotent: with nothing owed it is one query.

Thumbnails: :func:`make_thumbnails` renders a set of assets' thumbnails (threads, off the event
loop) and stores them in one transaction (:func:`store_thumbnails`, which an import rendering on a
process pool, :mod:`catalog.importing.thumbnail_pool`, calls per batch of results);
:func:`make_missing_thumbnails` does it for every asset of a user that has a file but no thumbnail
(what a killed import left undone). A file that cannot be rendered is reported and left without one:
a lasting failure (its content) is recorded on the asset (``thumbnail_error``, with the decoder that
met it) and not tried again while that decoder renders (:func:`retry_failed_thumbnails` makes the
failures of another decoder owed again), any other (a moved file) is tried again by a later run.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from catalog.assets.repository import (
    retry_other_decoders_failures,
    set_thumbnail_errors,
    set_thumbnails,
    users_with_other_decoders_failures,
)
from catalog.database import SessionFactory, unit_of_work
from catalog.importing.owed_work_repository import (
    assets_missing_thumbnails,
    clear_clustering_owed,
    clustering_owed_assets,
    mark_clustering_owed,
    users_owed_clustering,
)
from catalog.importing.thumbnail_pool import ThumbnailFailure, render_in_threads
from catalog.library_locks import lock_user_library
from catalog.sessions.reclustering import ReclusterSummary, recluster_span
from catalog.sessions.repository import lock_user_stream
from catalog.settings import AtelierSettings
from catalog.thumbnails import MadeThumbnail

MISSING_THUMBNAILS_PAGE = 200


@dataclass(slots=True)
class ThumbnailResults:
    made: set[uuid.UUID] = field(default_factory=set)
    failed: dict[uuid.UUID, str] = field(default_factory=dict)
    """Asset id → why its thumbnail could not be made."""


async def complete_owed_clustering(
    session_factory: SessionFactory, user_id: uuid.UUID | None = None
) -> list[ReclusterSummary]:
    """Re-cluster whatever is owed — for ``user_id``, or for every user when ``None`` — and settle
    the marks; one transaction per user. Returns one summary per user that owed anything."""
    if user_id is None:
        async with session_factory() as session:
            owners = await users_owed_clustering(session)
    else:
        owners = [user_id]
    summaries: list[ReclusterSummary] = []
    for owner in owners:
        async with unit_of_work(session_factory) as session:
            await lock_user_stream(session, owner)  # read the marks as the previous holder left them
            owed = await clustering_owed_assets(session, owner)
            if owed:
                summaries.append(await recluster_span(session, owner, owed))
                await clear_clustering_owed(session, owner, owed)
    return summaries


async def make_thumbnails(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    user_id: uuid.UUID,
    sources: Mapping[uuid.UUID, Path],
) -> ThumbnailResults:
    """Render and store thumbnails of ``sources`` (asset id → file) for ``user_id``; each stored one
    owes its asset a re-clustering (same transaction). Never raises for a file's own fault."""
    results = ThumbnailResults()
    if not sources:
        return results
    outcomes = await asyncio.to_thread(render_in_threads, settings, dict(sources))
    made = {asset_id: outcome for asset_id, outcome in outcomes.items() if isinstance(outcome, MadeThumbnail)}
    failed = {
        asset_id: outcome for asset_id, outcome in outcomes.items() if isinstance(outcome, ThumbnailFailure)
    }
    results.failed = {asset_id: failure.reason for asset_id, failure in failed.items()}
    await store_thumbnails(session_factory, user_id, made, failed)
    results.made = set(made)
    return results


async def retry_failed_thumbnails(session_factory: SessionFactory, user_id: uuid.UUID | None = None) -> int:
    """Make the lasting thumbnail failures of another decoder (an older Pillow, say) owed again — for
    ``user_id``, or every user when ``None`` — so that the next run that completes missing thumbnails
    tries them with this one; returns how many. Looked for without a lock (an import's first step, it
    usually finds none), then one transaction per user found, under the library lock."""
    async with session_factory() as session:
        owners = await users_with_other_decoders_failures(session, user_id)
    retried = 0
    for owner in owners:
        async with unit_of_work(session_factory) as session:
            await lock_user_library(session, owner)
            retried += await retry_other_decoders_failures(session, owner)
    return retried


async def store_thumbnails(
    session_factory: SessionFactory,
    user_id: uuid.UUID,
    made: Mapping[uuid.UUID, MadeThumbnail],
    failed: Mapping[uuid.UUID, ThumbnailFailure] | None = None,
) -> None:
    """Store rendered thumbnails of ``user_id``'s assets in one transaction, under the library lock,
    each owing its asset a re-clustering (its descriptor takes part), and the reasons of ``failed``'s
    lasting failures (those files are not rendered again). Idempotent."""
    unrenderable = {
        asset_id: failure.reason for asset_id, failure in (failed or {}).items() if failure.lasting
    }
    if made or unrenderable:
        async with unit_of_work(session_factory) as session:
            await lock_user_library(session, user_id)  # the library lock order: stream lock, then rows
            await set_thumbnails(session, user_id, made)
            await set_thumbnail_errors(session, user_id, unrenderable)
            await mark_clustering_owed(session, user_id, list(made))


async def make_missing_thumbnails(
    session_factory: SessionFactory, settings: AtelierSettings, user_id: uuid.UUID
) -> ThumbnailResults:
    """Thumbnails for every asset of ``user_id`` that has a file but none yet, a page at a time."""
    results = ThumbnailResults()
    after: uuid.UUID | None = None
    while True:
        async with session_factory() as session:
            page = await assets_missing_thumbnails(
                session, user_id, after=after, limit=MISSING_THUMBNAILS_PAGE
            )
        if not page:
            return results
        after = page[-1][0]
        done = await make_thumbnails(session_factory, settings, user_id, dict(page))
        results.made |= done.made
        results.failed |= done.failed
