"""Visual descriptors are stored and read back as the exact float32 values, whichever way they travel:
written as binary ``real[]`` cast to ``vector``, read through pgvector's own type (the ORM) and as
``real[]`` by re-clustering's span rows. Thumbnails only ever land on the owner's assets."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import select

from catalog.assets.repository import set_thumbnails
from catalog.assets.span_rows import all_timed_span_assets
from catalog.database import SessionFactory, unit_of_work
from catalog.importing.service import ThumbnailMode, import_paths
from catalog.models import Asset, User
from catalog.sessions.reclustering import visual_descriptors
from catalog.settings import AtelierSettings
from catalog.thumbnails import VISUAL_MODEL, MadeThumbnail


async def _import_two(
    factory: SessionFactory, settings: AtelierSettings, folder: Path, user: str
) -> uuid.UUID:
    lines = [
        {
            "id": f"{user}-{n}",
            "tool": "comfyui",
            "created_at": f"2026-03-0{n + 1}T10:00:00+00:00",
            "prompt": "a",
        }
        for n in range(2)
    ]
    path = folder / f"{user}.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    await import_paths(factory, settings, user_handle=user, paths=[path], thumbnails=ThumbnailMode.SKIP)
    async with factory() as db:
        user_id = await db.scalar(select(User.id).where(User.handle == user))
    assert user_id is not None
    return user_id


async def test_descriptors_round_trip_exactly_and_only_on_the_owners_assets(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    owner = await _import_two(session_factory, settings, tmp_path, "owner")
    other = await _import_two(session_factory, settings, tmp_path, "other")
    async with session_factory() as db:
        mine = list(
            await db.scalars(select(Asset.id).where(Asset.user_id == owner).order_by(Asset.created_at))
        )
        theirs = list(await db.scalars(select(Asset.id).where(Asset.user_id == other)))
    rng = np.random.default_rng(7)
    descriptors = {asset_id: rng.standard_normal(160).astype(np.float32) / 3 for asset_id in [*mine, *theirs]}
    descriptors[mine[1]][:3] = [np.float32(1e-38), np.float32(-3.4e38), np.float32(0.1)]  # extremes survive

    async with unit_of_work(session_factory) as db:  # the owner's call names another user's asset too
        await set_thumbnails(
            db,
            owner,
            {
                asset_id: MadeThumbnail(f"{n:064x}", vector)
                for n, (asset_id, vector) in enumerate(descriptors.items())
            },
        )

    async with session_factory() as db:
        stored = {
            row.id: row for row in await db.scalars(select(Asset).where(Asset.user_id.in_([owner, other])))
        }
        span = await all_timed_span_assets(db, owner)
    for asset_id in mine:
        assert stored[asset_id].visual_model == VISUAL_MODEL
        assert np.array_equal(
            np.asarray(stored[asset_id].visual_embedding, dtype=np.float32), descriptors[asset_id]
        )
    for asset_id in theirs:
        assert stored[asset_id].visual_embedding is None and stored[asset_id].thumbnail_sha256 is None
    read = visual_descriptors(span)
    assert set(read) == {str(asset_id) for asset_id in mine}
    for asset_id in mine:
        assert read[str(asset_id)].dtype == np.float32
        assert np.array_equal(read[str(asset_id)], descriptors[asset_id])
