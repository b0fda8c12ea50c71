"""The Starlette application: ``/graphql`` (GraphiQL in debug; subscriptions over graphql-transport-ws on
the same path), signed ``/thumbnails``, ``POST /webhooks/stripe`` (credit purchases); for operators
``/healthz``, ``/readyz`` and ``/metrics``, the web app at ``/`` (:mod:`api.web_app`), and a request id
and one JSON log line per request (:mod:`api.observability`), and the same security headers on every
response (:class:`api.web_app.ResponseSecurityHeaders`: never sniffed, never framed, no Referer).

The app owns one database engine for its lifetime (created on start-up, disposed on shut-down); it
starts no embedded servers itself — ``atelier serve`` resolves the URLs first and passes them in.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from arq import ArqRedis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp
from strawberry.types.unset import UNSET, UnsetType

from api.bearer_auth import bearer_token, principal_from_request
from api.context import RequestContext, utc_now
from api.graphql.cost_budget import CostBudget
from api.graphql.json_encoding import encode_response_json
from api.graphql.multipart import UploadingGraphQL, UploadLimits, upload_refusal
from api.graphql.request_slots import RequestSlots
from api.graphql.schema import build_schema
from api.job_queue import job_queue_client, warn_if_unreachable
from api.observability.health import healthz, readiness_endpoint
from api.observability.metrics import metrics_endpoint
from api.observability.request_observation import RequestObservation
from api.thumbnail_access import ThumbnailAccess, thumbnail_access
from api.thumbnail_urls import ThumbnailSigner
from api.web_app import ResponseSecurityHeaders, graphiql_forgetting_headers, web_app_routes
from api.webhooks import checkout_cancelled, checkout_success, stripe_webhook
from billing.purchases import CHECKOUT_CANCELLED_PATH, CHECKOUT_SUCCESS_PATH
from catalog.accounts.service import authenticate
from catalog.database import SessionFactory, create_database_engine, create_session_factory, unit_of_work
from catalog.search.query_embedding import QueryEmbedder
from catalog.secret_keys import load_or_create_secret
from catalog.settings import AtelierSettings
from catalog.storage import ThumbnailStore, thumbnail_store
from catalog.storage.thumbnail_store import InvalidAddress, check_address


class AtelierGraphQL(UploadingGraphQL):
    def __init__(self, state: AppState, *, debug: bool, graphiql: bool) -> None:
        super().__init__(
            build_schema(debug=debug),
            graphql_ide="graphiql" if graphiql else None,
            upload_limits=UploadLimits.from_settings(state.settings),
        )
        self._state = state
        self.request_slots = RequestSlots(state.settings.api_max_concurrent_per_token)

    async def get_context(self, request: Any, response: Any) -> RequestContext:
        factory = self._state.session_factory
        return RequestContext(
            session_factory=factory,
            principal=await principal_from_request(factory, request),
            thumbnail_signer=self._state.signer,
            settings=self._state.settings,
            job_queue=self._state.job_queue,
            clock=self._state.clock,
            query_embedder=self._state.query_embedder,
            cost_budget=self._state.cost_budget,
            client_address=request.client.host if request.client else None,
            websocket_token=(
                bearer_token(request.headers.get("authorization", ""))
                if request.scope["type"] == "websocket"
                else None
            ),
        )

    def encode_json(self, data: object) -> str:
        return encode_response_json(data)

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL without stored headers (:func:`api.web_app.graphiql_forgetting_headers`)."""
        return graphiql_forgetting_headers(super().graphql_ide_html)

    async def refuse_upload(self, request: Request) -> Response | None:
        return upload_refusal(await principal_from_request(self._state.session_factory, request))

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        """Browsers cannot set headers on a WebSocket: a token may come in ``connection_init``'s payload
        as ``{"Authorization": "Bearer <token>"}`` instead of the handshake's header."""
        if context.principal is None:
            params = context.connection_params or {}
            token = bearer_token(str(params.get("Authorization") or params.get("authorization") or ""))
            if token is not None:
                context.websocket_token = token
                async with unit_of_work(self._state.session_factory) as db:
                    context.principal = await authenticate(db, token)
        return UNSET

    async def context_for_ws_operation(self, context: RequestContext) -> RequestContext:
        """The connection's token looked up again (revoked or expired since: no principal, so the
        operation is refused as unauthenticated), with fresh per-request state."""
        principal = None
        if context.websocket_token is not None:
            async with unit_of_work(self._state.session_factory) as db:
                principal = await authenticate(db, context.websocket_token)
        return context.for_next_operation(principal)


class AppState:
    """What the app holds for its lifetime; filled in by the lifespan."""

    def __init__(self, settings: AtelierSettings, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        """Where requests read "now" (session cards' today and this week); tests pass a fixed one."""
        self.signer = ThumbnailSigner(load_or_create_secret(settings))
        self.thumbnail_store: ThumbnailStore = thumbnail_store(settings)
        self._factory: SessionFactory | None = None
        self.job_queue: ArqRedis | None = None
        """arq's pool (enqueueing reflections); ``None`` when no Redis URL is configured."""
        self.query_embedder = QueryEmbedder() if settings.prompt_embeddings else None
        """Search texts → vectors (the model loads on the first search, in a thread)."""
        self.cost_budget: CostBudget | None = None
        """Per-token GraphQL cost budget in Redis; ``None`` when no Redis URL is configured."""

    @property
    def session_factory(self) -> SessionFactory:
        if self._factory is None:
            raise RuntimeError("the app is not started (lifespan has not run)")
        return self._factory

    @session_factory.setter
    def session_factory(self, factory: SessionFactory) -> None:
        self._factory = factory


class AtelierApp(Starlette):
    """Starlette whose every response, the 500 its error middleware writes included, carries the
    origin's security headers: :class:`~api.web_app.ResponseSecurityHeaders` wraps the whole stack
    (a middleware in the list would sit inside ``ServerErrorMiddleware`` and miss its answers)."""

    def build_middleware_stack(self) -> ASGIApp:
        return ResponseSecurityHeaders(super().build_middleware_stack())


def create_app(settings: AtelierSettings, *, clock: Callable[[], datetime] = utc_now) -> Starlette:
    """``clock``: the time source of requests (default: the system clock, UTC)."""
    if not settings.database_url:
        raise ValueError("create_app needs settings.database_url (atelier serve resolves it)")
    state = AppState(settings, clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_database_engine(settings.database_url or "")
        state.session_factory = create_session_factory(engine)
        app.state.session_factory = state.session_factory
        app.state.settings = settings
        if settings.redis_url:
            # not arq's create_pool: it refuses to start while Redis is down (api.job_queue)
            state.job_queue = job_queue_client(settings.redis_url)
            await warn_if_unreachable(state.job_queue)
            state.cost_budget = CostBudget(
                settings.redis_url,
                budget=settings.api_cost_budget,
                window_seconds=settings.api_cost_window_seconds,
            )
        # what start-up built (modules, the schema, the engine) lives as long as the app: out of the
        # collector's way, a full collection no longer walks it (the 100-asset page's server CPU
        # 52.5 → 40.8 and 46.5 → 39.8 ms in two same-run benches, BENCHMARKS.md)
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            if state.cost_budget is not None:
                await state.cost_budget.aclose()
            if state.job_queue is not None:
                await state.job_queue.aclose()
            await engine.dispose()

    async def thumbnail(request: Request) -> Response:
        sha = request.path_params["sha"]
        try:
            check_address(sha)
        except InvalidAddress:
            return JSONResponse({"error": "not a thumbnail address"}, status_code=404)
        access = await thumbnail_access(state.signer, state.session_factory, request, sha)
        if access is not ThumbnailAccess.GRANTED:
            return JSONResponse({"error": access.message}, status_code=access.status_code)
        return await _thumbnail_from_store(state, sha)

    graphql_app = AtelierGraphQL(state, debug=settings.debug, graphiql=settings.graphiql)
    return AtelierApp(
        debug=settings.debug,
        lifespan=lifespan,
        middleware=[Middleware(RequestObservation)],
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            Route("/thumbnails/{sha}.webp", thumbnail, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readiness_endpoint(lambda: state.session_factory, lambda: state.job_queue)),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route("/webhooks/stripe", stripe_webhook, methods=["POST"]),
            Route(CHECKOUT_SUCCESS_PATH, checkout_success, methods=["GET"]),
            Route(CHECKOUT_CANCELLED_PATH, checkout_cancelled, methods=["GET"]),
            *web_app_routes(),  # the web app at / (api.web_app)
        ],
    )


THUMBNAIL_CACHE_CONTROL = "private, max-age=3600"


async def _thumbnail_from_store(state: AppState, sha: str) -> Response:
    """The stored bytes: a file from the local folder, or from S3 either a redirect to a presigned URL
    (``ATELIER_S3_PRESIGNED_REDIRECT``) or the bytes streamed through this process."""
    store = state.thumbnail_store
    path = store.local_path(sha)
    if path is not None:
        if not path.is_file():
            return JSONResponse({"error": "thumbnail not found"}, status_code=404)
        return FileResponse(path, media_type="image/webp", headers={"Cache-Control": THUMBNAIL_CACHE_CONTROL})
    if state.settings.s3_presigned_redirect:
        url = await asyncio.to_thread(store.presigned_url, sha)
        if url is not None:
            return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
    data = await asyncio.to_thread(store.read, sha)
    if data is None:
        return JSONResponse({"error": "thumbnail not found"}, status_code=404)
    return Response(data, media_type="image/webp", headers={"Cache-Control": THUMBNAIL_CACHE_CONTROL})
