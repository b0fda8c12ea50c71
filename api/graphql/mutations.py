"""Corrections as GraphQL mutations: merge, split, move, relabel.

Each mutation is one unit of work (its own database session, one commit). Expected failures are
typed results (``NotFound``, ``InvalidCorrection``) in a union, not errors; the token needs the
``library:write`` scope.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from api.context import RequestContext
from api.graphql.permissions import HasScope
from api.graphql.types import Session, decode_id
from catalog.database import unit_of_work
from catalog.sessions import corrections, queries

LIBRARY_WRITE = "library:write"


@strawberry.type
class NotFound:
    message: str


@strawberry.type
class InvalidCorrection:
    message: str


@strawberry.type
class CorrectionApplied:
    sessions: list[Session]
    """The sessions holding the corrected images afterwards, in time order."""
    threshold_offset: float
    """The artist's learned boundary offset after this correction (positive: fewer, longer sessions)."""


CorrectionPayload = Annotated[
    CorrectionApplied | NotFound | InvalidCorrection, strawberry.union("CorrectionPayload")
]


def _ids(kind: str, values: list[strawberry.ID]) -> list[uuid.UUID] | None:
    decoded = [decode_id(kind, value) for value in values]
    return (
        None if any(value is None for value in decoded) else [value for value in decoded if value is not None]
    )


async def _apply(info: Info[RequestContext, None], action: corrections.CorrectionAction) -> CorrectionPayload:
    user_id = info.context.user_id
    try:
        async with unit_of_work(info.context.session_factory) as db:
            result = await action(db, user_id)
            rows = await queries.sessions_in_order(db, user_id, result.session_ids)
    except corrections.NotFound as error:
        return NotFound(message=str(error))
    except corrections.CorrectionError as error:
        return InvalidCorrection(message=str(error))
    return CorrectionApplied(
        sessions=[Session.from_row(row) for row in rows], threshold_offset=result.threshold_offset
    )


_WRITE: list[FieldExtension] = [PermissionExtension(permissions=[HasScope(LIBRARY_WRITE)])]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        extensions=_WRITE, description="Join neighbouring sessions into one; it stays joined."
    )
    async def merge_sessions(
        self, info: Info[RequestContext, None], session_ids: list[strawberry.ID]
    ) -> CorrectionPayload:
        ids = _ids("Session", session_ids)
        if ids is None:
            return NotFound(message="no such session")
        return await _apply(info, lambda db, user_id: corrections.merge_sessions(db, user_id, ids))

    @strawberry.mutation(extensions=_WRITE, description="Start a new session at this image; it stays split.")
    async def split_session(
        self, info: Info[RequestContext, None], session_id: strawberry.ID, at_asset_id: strawberry.ID
    ) -> CorrectionPayload:
        session, asset = decode_id("Session", session_id), decode_id("Asset", at_asset_id)
        if session is None or asset is None:
            return NotFound(message="no such session or image")
        return await _apply(info, lambda db, user_id: corrections.split_session(db, user_id, session, asset))

    @strawberry.mutation(extensions=_WRITE, description="Move images into another session; they stay there.")
    async def move_assets(
        self, info: Info[RequestContext, None], asset_ids: list[strawberry.ID], to_session_id: strawberry.ID
    ) -> CorrectionPayload:
        assets, target = _ids("Asset", asset_ids), decode_id("Session", to_session_id)
        if not assets or target is None:
            return NotFound(message="no such session or image")
        return await _apply(info, lambda db, user_id: corrections.move_assets(db, user_id, assets, target))

    @strawberry.mutation(
        extensions=_WRITE,
        description="Set a label that re-clustering keeps; null returns to the automatic label.",
    )
    async def relabel_session(
        self, info: Info[RequestContext, None], session_id: strawberry.ID, label: str | None
    ) -> CorrectionPayload:
        session = decode_id("Session", session_id)
        if session is None:
            return NotFound(message="no such session")
        return await _apply(
            info, lambda db, user_id: corrections.relabel_session(db, user_id, session, label)
        )
