"""Per-request GraphQL context: who is asking, and per-request DataLoaders.

Invariants: DataLoaders are created per request (never shared across users); each loader batch and
each resolver opens its own short ``AsyncSession`` from the factory, so concurrently resolved fields
never share one session.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import TypeVar

from arq import ArqRedis
from strawberry.dataloader import DataLoader

from api.graphql.cost_budget import CostBudget
from api.thumbnail_urls import ThumbnailSigner
from catalog.accounts.service import AuthenticatedPrincipal
from catalog.assets.asset_views import AssetView
from catalog.database import SessionFactory
from catalog.models import Session
from catalog.search.query_embedding import QueryEmbedder
from catalog.sessions import lineage_queries, period_queries, queries
from catalog.sessions.lineage_queries import LineageLinkRow, ParentEdge, SessionLineagePage
from catalog.sessions.periods import Periods, SessionPeriod
from catalog.sessions.session_views import PhaseView
from catalog.settings import AtelierSettings
from reflection import service as reflections
from reflection.models import Reflection

SESSION_THUMBNAILS_MAX = 9
MAX_RESPONSE_TEXT_CHARS = 16_000_000
"""Most characters of prompts (``Asset.prompt``, ``Asset.negativePrompt``) and LoRA lists
(``Asset.loras``) one response carries. A file may hold a prompt of megabytes (the readers keep up to
8 MB) and up to a thousand LoRAs, and the cost estimate counts a text field as 1 and a LoRA list as 10
items whatever their sizes: a query costed at ~100 returned 400 MB (one uploaded image's 4 MB prompt,
its id repeated in ``nodes``), one costed 2,101 returned 100,000 LoRAs. Real prompts are a few kB and
real LoRA lists a few dozen: 16 M characters are thousands of them."""
LORA_ITEM_CHARS = 32
"""What one LoRA of ``Asset.loras`` counts besides its name's characters (its weight and the JSON
around them): a list of short names is not free."""


class ResponseTooLarge(ValueError):
    """More prompt or LoRA text than :data:`MAX_RESPONSE_TEXT_CHARS` asked for in one response."""

    extensions = {"code": "RESPONSE_TOO_LARGE"}  # noqa: RUF012 - graphql-core copies it onto the error


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RequestContext:
    session_factory: SessionFactory
    principal: AuthenticatedPrincipal | None
    """Who is asking (``None``: anonymous), as looked up when the request began; ``updateViewer``
    replaces it once it has stored a new zone, so the request's later fields see the zone stored."""
    thumbnail_signer: ThumbnailSigner
    settings: AtelierSettings
    job_queue: ArqRedis | None = None
    """arq's Redis pool for enqueueing reflections; ``None`` without Redis (the sweeper enqueues)."""
    connection_params: dict[str, object] | None = None
    """A subscription's ``connection_init`` payload (strawberry sets it; may carry the token)."""
    query_embedder: QueryEmbedder | None = None
    """Embeds search texts (the app's one instance); ``None`` when prompt embeddings are switched off."""
    cost_budget: CostBudget | None = None
    """Per-token cost budget in Redis (:mod:`api.graphql.cost_limits`); ``None`` without Redis."""
    client_address: str | None = None
    """The client's IP address: the budget key of anonymous requests."""
    clock: Callable[[], datetime] = utc_now
    """The time source (tests pass a fixed one); read once per request through :meth:`now`."""
    _text_chars: int = field(init=False, default=0)
    """Prompt and LoRA characters this response carries so far (:meth:`charge_text`)."""
    websocket_token: str | None = None
    """The bearer token a WebSocket connection presented (handshake header or ``connection_init``),
    looked up again for each of its operations; ``None`` over HTTP."""
    _now: datetime | None = field(init=False, default=None)

    def charged_text(self, text: str | None) -> str | None:
        """``text``, counted against this response's :data:`MAX_RESPONSE_TEXT_CHARS` (:meth:`charge_text`)."""
        if text is not None:
            self.charge_text(len(text))
        return text

    def charge_text(self, chars: int) -> None:
        """Count ``chars`` more characters of prompts or LoRAs against this response's
        :data:`MAX_RESPONSE_TEXT_CHARS`; past it :class:`ResponseTooLarge` (a field error: that field is
        null, the rest of the page is kept)."""
        self._text_chars += chars
        if self._text_chars > MAX_RESPONSE_TEXT_CHARS:
            raise ResponseTooLarge(
                f"this response would carry more than {MAX_RESPONSE_TEXT_CHARS:,} characters of "
                "prompts and LoRAs; ask for fewer images at a time, or for promptPreview"
            )

    def for_next_operation(self, principal: AuthenticatedPrincipal | None) -> RequestContext:
        """A copy for another operation on the same connection: ``principal`` as looked up now, and no
        cached loader, no read clock (a WebSocket connection lives long; each operation reads afresh)."""
        return replace(self, principal=principal)

    @cached_property
    def session_thumbnails(self) -> DataLoader[tuple[uuid.UUID, ...], list[list[queries.ThumbnailRef]]]:
        """The first thumbnails of a page of sessions (one key per page, ``(id,)`` for one session)."""
        return DataLoader(load_fn=_weakly_bound(self, RequestContext._load_thumbnails))

    @cached_property
    def session_first_assets(self) -> DataLoader[tuple[uuid.UUID, int], list[AssetView]]:
        """First page (``limit + 1`` rows) of a session's assets, batched across sessions."""
        return DataLoader(load_fn=_weakly_bound(self, RequestContext._load_first_assets))

    @cached_property
    def session_phases(self) -> DataLoader[tuple[uuid.UUID, ...], list[list[PhaseView]]]:
        """The phases of a page of sessions (one key per page, ``(id,)`` for one session)."""
        return DataLoader(load_fn=_weakly_bound(self, RequestContext._load_phases))

    @cached_property
    def parent_edges(self) -> DataLoader[tuple[uuid.UUID, ...], list[ParentEdge | None]]:
        """The edges to their parents of a page of images (one key per page, ``(id,)`` for one image): a
        request's pages are batched into one statement, without a future per image."""
        return DataLoader(load_fn=_weakly_bound(self, RequestContext._load_parent_edges))

    @cached_property
    def asset_children(self) -> DataLoader[tuple[uuid.UUID, int], list[LineageLinkRow]]:
        """The first ``n`` children's edges of each asset, batched across assets."""
        return DataLoader(load_fn=_weakly_bound(self, RequestContext._load_children))

    @cached_property
    def asset_ancestors(self) -> DataLoader[tuple[uuid.UUID, int], list[LineageLinkRow]]:
        """Each asset's ancestry up to ``depth`` edges (one recursive CTE per batch and depth)."""
        return DataLoader(load_fn=_weakly_bound(self, RequestContext._load_ancestors))

    @cached_property
    def session_lineage_pages(self) -> DataLoader[tuple[uuid.UUID, int], SessionLineagePage]:
        """The first page of each session's lineage graph, batched across sessions."""
        return DataLoader(load_fn=_weakly_bound(self, RequestContext._load_lineage_pages))

    @cached_property
    def session_reflections(self) -> DataLoader[uuid.UUID, Reflection | None]:
        """The latest reflection of each session (any state)."""
        return DataLoader(load_fn=_weakly_bound(self, RequestContext._load_reflections))

    @cached_property
    def session_summaries(self) -> DataLoader[uuid.UUID, str | None]:
        """The summary of each session's latest delivered reflection."""
        return DataLoader(load_fn=_weakly_bound(self, RequestContext._load_summaries))

    @cached_property
    def session_period_pages(self) -> DataLoader[period_queries.PeriodPageRequest, list[Session]]:
        """Pages of sessions by period (session cards), all of a request's in one statement."""
        return DataLoader(load_fn=_weakly_bound(self, RequestContext._load_period_pages))

    @cached_property
    def session_period_counts(self) -> DataLoader[Periods, dict[SessionPeriod, int]]:
        """How many sessions each period holds (the cards' group headers)."""
        return DataLoader(load_fn=_weakly_bound(self, RequestContext._load_period_counts))

    def now(self) -> datetime:
        """The request's one instant (UTC): every field of a request sees the same "today"."""
        if self._now is None:
            self._now = self.clock().astimezone(UTC)
        return self._now

    @property
    def user_id(self) -> uuid.UUID:
        if self.principal is None:  # permission classes run first; this is a programming error
            raise PermissionError("no authenticated user in this request")
        return self.principal.user_id

    async def _load_thumbnails(
        self, pages: list[tuple[uuid.UUID, ...]]
    ) -> list[list[list[queries.ThumbnailRef]]]:
        async with self.session_factory() as db:
            found = await queries.thumbnails_of_sessions(
                db, self.user_id, _ids_of_pages(pages), SESSION_THUMBNAILS_MAX
            )
        return [[found[session_id] for session_id in page] for page in pages]

    async def _load_first_assets(self, keys: list[tuple[uuid.UUID, int]]) -> list[list[AssetView]]:
        found: dict[tuple[uuid.UUID, int], list[AssetView]] = {}
        async with self.session_factory() as db:
            for limit, session_ids in _by_second(keys).items():
                pages = await queries.first_assets_of_sessions(db, self.user_id, session_ids, limit)
                found.update({(session_id, limit): rows for session_id, rows in pages.items()})
        return [found[key] for key in keys]

    async def _load_phases(self, pages: list[tuple[uuid.UUID, ...]]) -> list[list[list[PhaseView]]]:
        async with self.session_factory() as db:
            found = await queries.phases_of_sessions(db, self.user_id, _ids_of_pages(pages))
        return [[found[session_id] for session_id in page] for page in pages]

    async def _load_parent_edges(self, pages: list[tuple[uuid.UUID, ...]]) -> list[list[ParentEdge | None]]:
        async with self.session_factory() as db:
            found = await lineage_queries.parent_edges(db, self.user_id, _ids_of_pages(pages))
        return [[found.get(asset_id) for asset_id in page] for page in pages]

    async def _load_children(self, keys: list[tuple[uuid.UUID, int]]) -> list[list[LineageLinkRow]]:
        found: dict[tuple[uuid.UUID, int], list[LineageLinkRow]] = {}
        async with self.session_factory() as db:
            for limit, asset_ids in _by_second(keys).items():
                links = await lineage_queries.child_links(db, self.user_id, asset_ids, limit)
                found.update({(asset_id, limit): rows for asset_id, rows in links.items()})
        return [found[key] for key in keys]

    async def _load_ancestors(self, keys: list[tuple[uuid.UUID, int]]) -> list[list[LineageLinkRow]]:
        found: dict[tuple[uuid.UUID, int], list[LineageLinkRow]] = {}
        async with self.session_factory() as db:
            for depth, asset_ids in _by_second(keys).items():
                links = await lineage_queries.ancestor_links(db, self.user_id, asset_ids, depth)
                found.update({(asset_id, depth): rows for asset_id, rows in links.items()})
        return [found[key] for key in keys]

    async def _load_lineage_pages(self, keys: list[tuple[uuid.UUID, int]]) -> list[SessionLineagePage]:
        found: dict[tuple[uuid.UUID, int], SessionLineagePage] = {}
        async with self.session_factory() as db:
            for limit, session_ids in _by_second(keys).items():
                pages = await lineage_queries.first_lineage_pages(db, self.user_id, session_ids, limit)
                found.update({(session_id, limit): page for session_id, page in pages.items()})
        return [found[key] for key in keys]

    async def _load_reflections(self, session_ids: list[uuid.UUID]) -> list[Reflection | None]:
        async with self.session_factory() as db:
            found = await reflections.latest_reflections(db, self.user_id, session_ids)
        return [found.get(session_id) for session_id in session_ids]

    async def _load_summaries(self, session_ids: list[uuid.UUID]) -> list[str | None]:
        async with self.session_factory() as db:
            found = await reflections.delivered_summaries(db, self.user_id, session_ids)
        return [found.get(session_id) for session_id in session_ids]

    async def _load_period_pages(
        self, requests: list[period_queries.PeriodPageRequest]
    ) -> list[list[Session]]:
        async with self.session_factory() as db:
            return await period_queries.period_pages(db, self.user_id, requests)

    async def _load_period_counts(self, keys: list[Periods]) -> list[dict[SessionPeriod, int]]:
        async with self.session_factory() as db:
            return [await period_queries.period_counts(db, self.user_id, periods) for periods in keys]


Key = TypeVar("Key")
Value = TypeVar("Value")


def _weakly_bound(
    context: RequestContext, load: Callable[[RequestContext, list[Key]], Awaitable[list[Value]]]
) -> Callable[[list[Key]], Awaitable[list[Value]]]:
    """``load`` bound to ``context`` through a weak reference. A loader kept on its context then makes
    no reference cycle with it (as ``self._load_…`` did: context → loader → bound method → context), so
    when a request ends its context, loaders and every row they cached are freed at once by reference
    counting, not left for the cyclic collector (~500 objects a sessions page, collected in pauses of
    a few ms that every request in flight waits for). A request's resolvers hold its context while
    they wait for a load; a batch dispatched after the request is gone (its task dropped without a
    cancel) is cancelled, as strawberry skips a batch whose callers were cancelled: no query is made
    and no error is left in an unawaited future."""
    owner = weakref.ref(context)

    async def load_for_context(keys: list[Key]) -> list[Value]:
        alive = owner()
        if alive is None:
            raise asyncio.CancelledError("the request that made this loader is gone")
        return await load(alive, keys)

    return load_for_context


def _ids_of_pages(pages: list[tuple[uuid.UUID, ...]]) -> list[uuid.UUID]:
    """Every id of a batch of page keys once, in first-seen order.

    Page-keyed loaders take one key per page (a tuple of ids) rather than one per item: a page of
    100 images or 20 cards costs one future instead of one each, and a request's pages still share
    one statement."""
    return list(dict.fromkeys(item for page in pages for item in page))


def _by_second(keys: list[tuple[uuid.UUID, int]]) -> dict[int, list[uuid.UUID]]:
    """Loader keys ``(id, n)`` grouped by ``n``: one statement per distinct page size or depth."""
    grouped: dict[int, list[uuid.UUID]] = {}
    for key_id, amount in keys:  # the loader's cache has made each key unique
        grouped.setdefault(amount, []).append(key_id)
    return grouped
