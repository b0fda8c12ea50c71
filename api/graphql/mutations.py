"""Corrections as GraphQL mutations: merge, split, move, relabel.

Each mutation is one unit of work (its own database session, one commit). Expected failures are
typed results (``NotFound``, ``InvalidCorrection``) in a union, not errors; the token needs the
``library:write`` scope.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.file_uploads import Upload
from strawberry.types import Info

from api.context import RequestContext
from api.graphql.api_tokens import (
    CreateApiTokenPayload,
    RevokeApiTokenPayload,
    create_api_token,
    revoke_api_token,
)
from api.graphql.correction_history import (
    Correction,
    ReclusterLibraryPayload,
    UndoCorrectionPayload,
    corrections_by_ids,
    recluster_library_field,
    undo_correction_field,
)
from api.graphql.errors import NotFound
from api.graphql.pagination import decode_id
from api.graphql.permissions import LIBRARY_WRITE, REFLECTIONS_WRITE, requires_scope
from api.graphql.purchases import StartCreditPurchasePayload, start_credit_purchase_field
from api.graphql.reflections import (
    ConfirmReflectionPayload,
    QuoteReflectionPayload,
    confirm_reflection,
    quote_reflection,
)
from api.graphql.removal import ASSET_IDS_DESCRIPTION, RemoveAssetsPayload, remove_assets_field
from api.graphql.types import Session, Viewer
from api.graphql.uploads import (
    LAST_MODIFIED_DESCRIPTION,
    UPLOAD_FILES_DESCRIPTION,
    UploadAssetsPayload,
    upload_assets,
)
from api.graphql.viewer_settings import update_viewer
from billing.quotes import IDEMPOTENCY_KEY_MAX_CHARS
from billing.transactions import retrying_unit_of_work
from catalog.models import Session as SessionRow
from catalog.sessions import corrections, queries


@strawberry.type(description="The correction cannot be applied as asked; nothing was changed")
class InvalidCorrection:
    message: str = strawberry.field(
        description="What is wrong, in English (e.g. a session cannot be split at its first image)"
    )


@strawberry.type(description="The correction was applied and recorded; later re-clustering keeps it")
class CorrectionApplied:
    sessions: list[Session] = strawberry.field(
        description="The sessions holding the corrected images afterwards, in time order"
    )
    threshold_offset: float = strawberry.field(
        description=(
            "The artist's learned boundary offset after this correction (positive: fewer, longer sessions)"
        )
    )
    corrections: list[Correction] = strawberry.field(
        description="The corrections recorded (a merge records one per joined gap); their ids undo them"
    )


CorrectionPayload = Annotated[
    CorrectionApplied | NotFound | InvalidCorrection,
    strawberry.union(
        "CorrectionPayload",
        description=(
            "CorrectionApplied, or why not: NotFound (an id that is not the viewer's) or InvalidCorrection"
        ),
    ),
]


def _ids(kind: str, values: list[strawberry.ID]) -> list[uuid.UUID] | None:
    decoded = [decode_id(kind, value) for value in values]
    return (
        None if any(value is None for value in decoded) else [value for value in decoded if value is not None]
    )


async def _apply(info: Info[RequestContext, None], action: corrections.CorrectionAction) -> CorrectionPayload:
    user_id = info.context.user_id

    async def work(
        db: AsyncSession,
    ) -> tuple[corrections.CorrectionResult, list[SessionRow], list[Correction]]:
        result = await action(db, user_id)
        recorded = await corrections_by_ids(db, user_id, result.correction_ids)
        return (
            result,
            await queries.sessions_in_order(db, user_id, result.session_ids),
            [recorded[key] for key in result.correction_ids],
        )

    try:
        # corrections follow the library lock order (catalog.library_locks); a deadlock or
        # serialization failure that still happens is retried rather than shown as an error
        result, rows, recorded = await retrying_unit_of_work(info.context.session_factory, work)
    except corrections.NotFound as error:
        return NotFound(message=str(error))
    except corrections.CorrectionError as error:
        return InvalidCorrection(message=str(error))
    return CorrectionApplied(
        sessions=[Session.from_row(row) for row in rows],
        threshold_offset=result.threshold_offset,
        corrections=recorded,
    )


@strawberry.type(
    description=(
        "Writes: corrections need scope `library:write`; reflections and purchases `reflections:write`"
    )
)
class Mutation:
    @strawberry.mutation(
        extensions=requires_scope(LIBRARY_WRITE),
        description="Join neighbouring sessions into one; it stays joined. Scope `library:write`.",
    )
    async def merge_sessions(
        self,
        info: Info[RequestContext, None],
        session_ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="At least two neighbouring sessions to join")
        ],
    ) -> CorrectionPayload:
        ids = _ids("Session", session_ids)
        if ids is None:
            return NotFound(message="no such session")
        return await _apply(info, lambda db, user_id: corrections.merge_sessions(db, user_id, ids))

    @strawberry.mutation(
        extensions=requires_scope(LIBRARY_WRITE),
        description="Start a new session at this image; it stays split. Scope `library:write`.",
    )
    async def split_session(
        self,
        info: Info[RequestContext, None],
        session_id: Annotated[strawberry.ID, strawberry.argument(description="The session to split")],
        at_asset_id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The image that starts the new session (not the session's first)"
            ),
        ],
    ) -> CorrectionPayload:
        session, asset = decode_id("Session", session_id), decode_id("Asset", at_asset_id)
        if session is None or asset is None:
            return NotFound(message="no such session or image")
        return await _apply(info, lambda db, user_id: corrections.split_session(db, user_id, session, asset))

    @strawberry.mutation(
        extensions=requires_scope(LIBRARY_WRITE),
        description="Move images into another session; they stay there. Scope `library:write`.",
    )
    async def move_assets(
        self,
        info: Info[RequestContext, None],
        asset_ids: Annotated[list[strawberry.ID], strawberry.argument(description="The images to move")],
        to_session_id: Annotated[
            strawberry.ID, strawberry.argument(description="The session to move them to")
        ],
    ) -> CorrectionPayload:
        assets, target = _ids("Asset", asset_ids), decode_id("Session", to_session_id)
        if not assets or target is None:
            return NotFound(message="no such session or image")
        return await _apply(info, lambda db, user_id: corrections.move_assets(db, user_id, assets, target))

    @strawberry.mutation(
        extensions=requires_scope(LIBRARY_WRITE),
        description=(
            "Set a label that re-clustering keeps; null returns to the "
            "automatic label. Scope `library:write`."
        ),
    )
    async def relabel_session(
        self,
        info: Info[RequestContext, None],
        session_id: Annotated[strawberry.ID, strawberry.argument(description="The session to relabel")],
        label: Annotated[
            str | None,
            strawberry.argument(
                description=(
                    "1–200 characters after runs of whitespace become one space; null unpins the label"
                )
            ),
        ],
    ) -> CorrectionPayload:
        session = decode_id("Session", session_id)
        if session is None:
            return NotFound(message="no such session")
        return await _apply(
            info, lambda db, user_id: corrections.relabel_session(db, user_id, session, label)
        )

    @strawberry.mutation(
        extensions=requires_scope(LIBRARY_WRITE),
        description=(
            "Undo one of the viewer's corrections: its constraints go, the learned offset is re-learned "
            "without it, a rename's previous label comes back, and the affected sessions are re-clustered. "
            "The correction stays in the history, marked undone. Scope `library:write`."
        ),
    )
    async def undo_correction(
        self,
        info: Info[RequestContext, None],
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The correction's id (`Correction.id`)")
        ],
    ) -> UndoCorrectionPayload:
        return await undo_correction_field(info, id)

    @strawberry.mutation(
        extensions=requires_scope(LIBRARY_WRITE),
        description=(
            "Re-cluster the viewer's whole library with the learned offset (in the background worker; "
            "corrections and pinned labels hold). Follow it with `viewer.calibration.reclusterState`. "
            "Scope `library:write`."
        ),
    )
    async def recluster_library(self, info: Info[RequestContext, None]) -> ReclusterLibraryPayload:
        return await recluster_library_field(info)

    @strawberry.mutation(
        extensions=requires_scope(REFLECTIONS_WRITE),
        description=(
            "Price a reflection of the session (shown before confirming; it "
            "expires at its expiresAt); scope `reflections:write`"
        ),
    )
    async def quote_reflection(
        self,
        info: Info[RequestContext, None],
        session_id: Annotated[strawberry.ID, strawberry.argument(description="The session to reflect on")],
    ) -> QuoteReflectionPayload:
        return await quote_reflection(info, session_id)

    @strawberry.mutation(
        extensions=requires_scope(REFLECTIONS_WRITE),
        description=(
            "Confirm a quote: holds its credits and starts the reflection. Send a fresh idempotencyKey per "
            "click; retrying with the same key and quote returns the same reflection and holds nothing new. "
            "Scope `reflections:write`."
        ),
    )
    async def confirm_reflection(
        self,
        info: Info[RequestContext, None],
        quote_id: Annotated[
            strawberry.ID, strawberry.argument(description="The id of a ReflectionQuote from quoteReflection")
        ],
        idempotency_key: Annotated[
            str,
            strawberry.argument(
                description=f"1–{IDEMPOTENCY_KEY_MAX_CHARS} characters, fresh per click (a UUID will do)"
            ),
        ],
    ) -> ConfirmReflectionPayload:
        return await confirm_reflection(info, quote_id, idempotency_key)

    @strawberry.mutation(
        extensions=requires_scope(REFLECTIONS_WRITE),
        description=(
            "Buy a credit pack: returns a Stripe Checkout URL; credits arrive "
            "when payment completes; scope `reflections:write`"
        ),
    )
    async def start_credit_purchase(
        self,
        info: Info[RequestContext, None],
        pack_id: Annotated[strawberry.ID, strawberry.argument(description="The id of one of creditPacks")],
    ) -> StartCreditPurchasePayload:
        return await start_credit_purchase_field(info, pack_id)

    @strawberry.mutation(
        extensions=requires_scope(LIBRARY_WRITE),
        description=(
            "Create an API token for the viewer; its secret is in the result this once. It may only carry "
            "scopes the request's token has, and may not outlive it. expiresAt: at most 3650 days ahead; "
            "null for a token that never expires"
        ),
    )
    async def create_api_token(
        self,
        info: Info[RequestContext, None],
        name: Annotated[str, strawberry.argument(description="A name to recognise it by, 1–100 characters")],
        scopes: Annotated[
            list[str],
            strawberry.argument(description="Scopes to grant; only scopes the request's own token holds"),
        ],
        expires_at: Annotated[
            datetime | None,
            strawberry.argument(
                description="When it stops working (with a time zone; at most 3650 days ahead and not after "
                "the creating token's expiry); null: never"
            ),
        ] = None,
    ) -> CreateApiTokenPayload:
        return await create_api_token(info, name, scopes, expires_at)

    @strawberry.mutation(
        extensions=requires_scope(LIBRARY_WRITE),
        description=(
            "Revoke one of the viewer's API tokens; it stops working at once (revoking twice is fine)"
        ),
    )
    async def revoke_api_token(
        self,
        info: Info[RequestContext, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The token's id (`ApiToken.id`)")],
    ) -> RevokeApiTokenPayload:
        return await revoke_api_token(info, id)

    @strawberry.mutation(
        extensions=requires_scope(LIBRARY_WRITE),
        description=(
            "Upload images (multipart request): each is stored and imported exactly like a file on disk "
            "(metadata, content hash, thumbnail, re-clustering), with one result per file; the same bytes "
            "again are a duplicate, not a second image. Scope `library:write`."
        ),
    )
    async def upload_assets(
        self,
        info: Info[RequestContext, None],
        files: Annotated[list[Upload], strawberry.argument(description=UPLOAD_FILES_DESCRIPTION)],
        last_modified: Annotated[
            list[datetime] | None, strawberry.argument(description=LAST_MODIFIED_DESCRIPTION)
        ] = None,
    ) -> UploadAssetsPayload:
        return await upload_assets(info, files, last_modified)

    @strawberry.mutation(
        extensions=requires_scope(LIBRARY_WRITE),
        description=(
            "Remove images from the viewer's library: they leave the gallery, sessions, lineage and search, "
            "the sessions around them are re-clustered (corrections and pinned labels hold), and imports "
            "of a folder leave the same bytes out from now on (an upload of them, or `atelier import "
            "--include-removed`, takes them back). Files on disk are never touched; thumbnails and "
            "uploaded copies no image uses any more are deleted. Reflections already bought stay. "
            "Scope `library:write`."
        ),
    )
    async def remove_assets(
        self,
        info: Info[RequestContext, None],
        asset_ids: Annotated[list[strawberry.ID], strawberry.argument(description=ASSET_IDS_DESCRIPTION)],
    ) -> RemoveAssetsPayload:
        return await remove_assets_field(info, asset_ids)

    @strawberry.mutation(
        extensions=requires_scope(LIBRARY_WRITE),
        description=(
            "Change the viewer's settings; arguments left out stay as they are. Returns the viewer with "
            "them applied. Scope `library:write`"
        ),
    )
    async def update_viewer(
        self,
        info: Info[RequestContext, None],
        timezone: Annotated[
            str | None,
            strawberry.argument(
                description=(
                    "IANA time zone name (e.g. Europe/Paris, America/Los_Angeles, UTC): where the viewer's "
                    "days and weeks begin for sessionGroups, at once, and how naive times in files "
                    "imported from now on are read (imported images keep their times); anything else is "
                    "BAD_USER_INPUT"
                )
            ),
        ] = None,
    ) -> Viewer:
        return await update_viewer(info, timezone)
