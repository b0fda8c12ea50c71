"""Per-request GraphQL context: who is asking, and per-request DataLoaders.

Invariants: DataLoaders are created per request (never shared across users); each loader batch and
each resolver opens its own short ``AsyncSession`` from the factory, so concurrently resolved fields
never share one session.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from arq import ArqRedis
from strawberry.dataloader import DataLoader

from api.thumbnail_urls import ThumbnailSigner
from catalog.accounts.service import AuthenticatedPrincipal
from catalog.database import SessionFactory
from catalog.models import Asset, LineageEdge, Phase
from catalog.sessions import queries
from catalog.settings import AtelierSettings
from reflection import service as reflections
from reflection.models import Reflection

SESSION_THUMBNAILS_MAX = 9


@dataclass
class RequestContext:
    session_factory: SessionFactory
    principal: AuthenticatedPrincipal | None
    thumbnail_signer: ThumbnailSigner
    settings: AtelierSettings
    job_queue: ArqRedis | None = None
    """arq's Redis pool for enqueueing reflections; ``None`` without Redis (the sweeper enqueues)."""
    connection_params: dict[str, object] | None = None
    """A subscription's ``connection_init`` payload (strawberry sets it; may carry the token)."""
    session_thumbnails: DataLoader[uuid.UUID, list[queries.ThumbnailRef]] = field(init=False)
    session_first_assets: DataLoader[tuple[uuid.UUID, int], list[Asset]] = field(init=False)
    """First page (``limit + 1`` rows) of a session's assets, batched across sessions."""
    session_phases: DataLoader[uuid.UUID, list[Phase]] = field(init=False)
    asset_parents: DataLoader[uuid.UUID, LineageEdge | None] = field(init=False)
    session_reflections: DataLoader[uuid.UUID, Reflection | None] = field(init=False)
    """The latest reflection of each session (any state)."""
    session_summaries: DataLoader[uuid.UUID, str | None] = field(init=False)
    """The summary of each session's latest delivered reflection."""

    def __post_init__(self) -> None:
        self.session_thumbnails = DataLoader(load_fn=self._load_thumbnails)
        self.session_phases = DataLoader(load_fn=self._load_phases)
        self.session_first_assets = DataLoader(load_fn=self._load_first_assets)
        self.asset_parents = DataLoader(load_fn=self._load_parents)
        self.session_reflections = DataLoader(load_fn=self._load_reflections)
        self.session_summaries = DataLoader(load_fn=self._load_summaries)

    @property
    def user_id(self) -> uuid.UUID:
        if self.principal is None:  # permission classes run first; this is a programming error
            raise PermissionError("no authenticated user in this request")
        return self.principal.user_id

    async def _load_thumbnails(self, session_ids: list[uuid.UUID]) -> list[list[queries.ThumbnailRef]]:
        async with self.session_factory() as db:
            found = await queries.thumbnails_of_sessions(
                db, self.user_id, session_ids, SESSION_THUMBNAILS_MAX
            )
        return [found[session_id] for session_id in session_ids]

    async def _load_first_assets(self, keys: list[tuple[uuid.UUID, int]]) -> list[list[Asset]]:
        by_limit: dict[int, list[uuid.UUID]] = {}
        for session_id, limit in keys:
            by_limit.setdefault(limit, []).append(session_id)
        found: dict[tuple[uuid.UUID, int], list[Asset]] = {}
        async with self.session_factory() as db:
            for limit, session_ids in by_limit.items():
                pages = await queries.first_assets_of_sessions(db, self.user_id, session_ids, limit)
                found.update({(session_id, limit): rows for session_id, rows in pages.items()})
        return [found[key] for key in keys]

    async def _load_phases(self, session_ids: list[uuid.UUID]) -> list[list[Phase]]:
        async with self.session_factory() as db:
            found = await queries.phases_of_sessions(db, self.user_id, session_ids)
        return [found[session_id] for session_id in session_ids]

    async def _load_parents(self, asset_ids: list[uuid.UUID]) -> list[LineageEdge | None]:
        async with self.session_factory() as db:
            found = await queries.parents_of_assets(db, self.user_id, asset_ids)
        return [found.get(asset_id) for asset_id in asset_ids]

    async def _load_reflections(self, session_ids: list[uuid.UUID]) -> list[Reflection | None]:
        async with self.session_factory() as db:
            found = await reflections.latest_reflections(db, self.user_id, session_ids)
        return [found.get(session_id) for session_id in session_ids]

    async def _load_summaries(self, session_ids: list[uuid.UUID]) -> list[str | None]:
        async with self.session_factory() as db:
            found = await reflections.delivered_summaries(db, self.user_id, session_ids)
        return [found.get(session_id) for session_id in session_ids]
