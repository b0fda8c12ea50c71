"""Loading what the Curator needs about one session from the catalog, as the engine's plain facts.

Read-only, one short database session. Times are given in the artist's own time zone (``users.timezone``;
UTC when this machine does not know it), so "3 March" is the day of their evening, not UTC's. Each time
carries that zone's fixed offset at its instant (:func:`engine.local_times.in_zone`), not the zone: the
facts take minima, maxima and durations of these times, and times sharing one ``ZoneInfo`` would be
compared and subtracted by wall clock (a session across the fall-back hour would last an hour less).
Thumbnail bytes are read from the content-addressed store only for the representative images the facts
chose (a missing file is skipped, not an error).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.accounts.time_zones import stored_time_zone
from catalog.models import Asset, User
from catalog.sessions import queries
from catalog.storage import ThumbnailStore
from engine.local_times import in_zone
from engine.records import LoraRef
from engine.reflection_facts import FactAsset, FactLineageEdge, FactPhase
from reflection.prompt_builder import RepresentativeImage

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SessionInputs:
    label: str
    intent: str
    tool: str
    assets: list[FactAsset]
    phases: list[FactPhase]
    lineage: list[FactLineageEdge]
    thumbnail_sha256: dict[str, str]
    """Asset id → thumbnail content address, for assets that have one."""


async def load_session_inputs(
    db: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID
) -> SessionInputs | None:
    """``None`` when the session no longer exists (merged away, re-clustered) or is not the user's."""
    session = await queries.session_by_id(db, user_id, session_id)
    if session is None:
        return None
    zone = stored_time_zone(await db.scalar(select(User.timezone).where(User.id == user_id)))
    rows = await queries.session_assets_in_order(db, user_id, session_id)
    phase_rows = (await queries.phases_of_sessions(db, user_id, [session_id]))[session_id]
    edges = await queries.lineage_edges_into(db, user_id, [row.id for row in rows])
    member_ids = {row.id for row in rows}
    ordinal_of_phase = {phase.id: index for index, phase in enumerate(phase_rows)}
    phases = [
        FactPhase(
            ordinal=index,
            intent=phase.intent,
            label=phase.label,
            asset_count=phase.asset_count,
            started_at=in_zone(phase.started_at, zone),
            ended_at=in_zone(phase.ended_at, zone),
        )
        for index, phase in enumerate(phase_rows)
    ]
    return SessionInputs(
        label=session.label,
        intent=session.intent,
        tool=session.tool,
        assets=[_fact_asset(row, ordinal_of_phase, zone) for row in rows],
        phases=phases,
        lineage=[
            FactLineageEdge(
                parent_id=str(edge.parent_asset_id), child_id=str(edge.child_asset_id), kind=edge.kind
            )
            for edge in edges
            if edge.parent_asset_id in member_ids
        ],
        thumbnail_sha256={str(row.id): row.thumbnail_sha256 for row in rows if row.thumbnail_sha256},
    )


def _fact_asset(row: Asset, ordinal_of_phase: dict[uuid.UUID, int], zone: tzinfo) -> FactAsset:
    embedding = row.visual_embedding
    return FactAsset(
        id=str(row.id),
        created_at=None if row.created_at is None else in_zone(row.created_at, zone),
        prompt=row.prompt,
        negative_prompt=row.negative_prompt,
        seed=None if row.seed is None else int(row.seed),
        cfg_scale=row.cfg_scale,
        steps=row.steps,
        sampler=row.sampler,
        scheduler=row.scheduler,
        model=row.model,
        loras=tuple(LoraRef(str(item.get("name", "")), item.get("weight")) for item in row.loras or []),
        width=row.width,
        height=row.height,
        denoise=row.denoise,
        phase_ordinal=ordinal_of_phase.get(row.phase_id, 0) if row.phase_id is not None else 0,
        visual_embedding=None if embedding is None else np.asarray(embedding, dtype=np.float32),
        has_thumbnail=row.thumbnail_sha256 is not None,
    )


def read_representative_images(
    store: ThumbnailStore, asset_ids: Sequence[str], thumbnail_sha256: dict[str, str]
) -> list[RepresentativeImage]:
    """The stored WEBP thumbnails of the chosen assets (from the configured store: local folder or
    S3), in the given order; missing or unreadable ones are skipped."""
    images: list[RepresentativeImage] = []
    for asset_id in asset_ids:
        sha = thumbnail_sha256.get(asset_id)
        if sha is None:
            continue
        try:
            data = store.read(sha)
        except Exception:  # a storage error costs the Curator this image, never the reflection
            log.warning("thumbnail %s of asset %s could not be read", sha, asset_id, exc_info=True)
            continue
        if data is None:
            continue
        images.append(RepresentativeImage(asset_id=asset_id, media_type="image/webp", data=data))
    return images
