"""``removeAssets(assetIds)``: images taken out of the viewer's library (:mod:`catalog.assets.removal`).

One unit of work (retried after a deadlock or serialization failure), then the files only Atelier
kept for them (thumbnails no image uses any more, uploaded copies) are deleted. Ids that are not the
viewer's images — another user's, already removed, malformed — are answered in ``notFound`` and change
nothing, so a retried request is harmless and nobody learns which ids exist. Scope ``library:write``.
"""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from api.context import RequestContext
from api.graphql.pagination import InvalidArgument, decode_id, encode_id
from billing.transactions import retrying_unit_of_work
from catalog.assets.removal import Removal, discard_unused_files, remove_assets

MAX_REMOVED_PER_REQUEST = 10_000
"""Ids one ``removeAssets`` request may name (a whole folder at once: ``atelier remove``)."""

ASSET_IDS_DESCRIPTION = (
    f"The images to remove (1–{MAX_REMOVED_PER_REQUEST:,}); ids that are not the viewer's images are "
    "answered in notFound"
)


@strawberry.type(description="What removeAssets did")
class RemoveAssetsPayload:
    removed_ids: list[strawberry.ID] = strawberry.field(
        description="The images removed, in the order asked (their ids no longer resolve)"
    )
    not_found: list[strawberry.ID] = strawberry.field(
        description=(
            "Ids asked for that are not (or no longer) the viewer's images, as sent: nothing was done "
            "for them"
        )
    )
    sessions_changed: int = strawberry.field(
        description="Sessions the re-clustering around the removed images created or changed"
    )
    sessions_deleted: int = strawberry.field(
        description=(
            "Sessions that are gone: those that held only removed images, and any the re-clustering joined"
        )
    )


async def remove_assets_field(
    info: Info[RequestContext, None], asset_ids: list[strawberry.ID]
) -> RemoveAssetsPayload:
    if not asset_ids:
        raise InvalidArgument("`assetIds` is empty: name at least one image.")
    if len(asset_ids) > MAX_REMOVED_PER_REQUEST:
        raise InvalidArgument(
            f"`assetIds` holds {len(asset_ids)} ids; at most {MAX_REMOVED_PER_REQUEST:,} per request."
        )
    context = info.context
    user_id = context.user_id
    decoded = {value: decode_id("Asset", value) for value in asset_ids}
    wanted = [asset_id for asset_id in decoded.values() if asset_id is not None]

    async def work(db: AsyncSession) -> Removal:
        return await remove_assets(db, user_id, wanted)

    removal = await retrying_unit_of_work(context.session_factory, work)
    await discard_unused_files(context.session_factory, context.settings, user_id, removal)
    removed = set(removal.removed)
    return RemoveAssetsPayload(
        removed_ids=[encode_id("Asset", asset_id) for asset_id in removal.removed],
        not_found=[value for value, asset_id in decoded.items() if asset_id not in removed],
        sessions_changed=removal.sessions_changed,
        sessions_deleted=removal.sessions_deleted,
    )
