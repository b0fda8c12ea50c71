"""Applying tool-export time evidence (ComfyUI ``/history``, InvokeAI's database, Midjourney
archives) to a user's assets.

Design (why evidence is stored): an export and the image files it describes arrive in any order.
Evidence is therefore persisted per user (``export_time_evidence``, one row per
``(source, key_kind, key)``) and applied twice: by the export import to the assets already in the
catalog, and by every later image import (:func:`apply_stored_evidence` with the new asset ids,
before re-clustering) — so the result does not depend on the order.

Matching:

- ``key_kind == "file_name"``: the asset's base file name (``assets.file_name``). A name that more
  than one of the user's assets carries (ComfyUI's counters restart when an output folder is emptied)
  is **ambiguous** and applied to none of them; it is counted, not guessed.
- ``key_kind == "job_id"``: ``assets.job_id``; every image of one job (a Midjourney grid) gets it.

Upgrading (:func:`catalog.importing.time_sources.time_beats`): an asset's time is replaced only when
the evidence's source ranks higher than the asset's current one, or ranks the same with a finer
precision (or refines a day-only time). When several stored exports name one asset, the best of them
by the same rule is used. Empty ``job_id`` / ``parent_job_id`` columns are filled from the evidence;
existing values are never overwritten.

Parent grid (Midjourney's ``parent_grid``: which image of the parent job's grid an upscale / vary came
from): stored with the evidence and copied into ``extra["parent_grid"]``, where lineage reads it
(``engine.sessions.lineage.parent_grid_position``), when the asset's ``extra`` names no parent grid
yet (no non-null ``parent_grid`` / ``parent_grid_index``: an existing value is never overwritten) and
the asset's parent job is the evidence's (it was empty and is filled now, or it is the same job). A
grid position of another parent job would point at the wrong image, so it is not copied.

Job type (Midjourney's ``job_type``: ``v7_diffusion``, ``v7_upsample``, ``v7_variation`` …): unlike the
parent grid, which describes the asset's relation to its parent, it describes the job the evidence is
*about*. It is therefore copied into ``extra["job_type"]`` only from evidence matched by job id
(``key_kind == "job_id"``: the asset is an image of that very job), and only when the asset's
``extra`` names no job type yet (lineage reads ``extra["job_type"] or extra["type"]``; a value there
is never overwritten nor shadowed). Lineage takes the kind of a link to a parent job from it
(``engine.sessions.lineage``): without it a Midjourney download, which has no pixel size, is an
upscale labelled "variation". Job types longer than the evidence column are not stored.

Re-clustering: a change of what an asset names as its parent (a parent job or parent grid filled in),
or of the job type of an asset that names a parent job (the kind of its link), changes its lineage
even when its time stays: such an asset is returned among the moved ones with ``previous_time ==
new_time`` (its current time), so the caller's re-clustering of the moved assets' span re-derives its
lineage. Assets without a time are never clustered, so they are not returned; nor are assets given
only a job type and no parent job (a grid's images: no link, no kind).

Idempotency: after one application an asset holds the best evidence's source and precision, its job
ids, its parent grid and its job type, so a second application finds nothing that beats it and writes
nothing (and moves nothing).

Transactions: runs in the caller's session and never commits; re-clustering is the caller's job
(the moved assets and their previous times are returned for it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.importing.asset_rows import TEXT_COLUMN_LENGTHS
from catalog.importing.evidence_repository import (
    AssetTimeUpdate,
    EvidenceMatch,
    EvidenceRow,
    evidence_matches,
    update_asset_times,
    user_has_evidence,
)
from catalog.importing.time_sources import time_beats
from catalog.models import StoredTimeEvidence
from engine.exports import ExportTimeEvidence
from engine.sessions.lineage import grid_position_value

JOB_ID_MAX_LENGTH = TEXT_COLUMN_LENGTHS["job_id"]
_JOB_TYPE_COLUMN = StoredTimeEvidence.__table__.c.job_type.type
assert isinstance(_JOB_TYPE_COLUMN, String) and _JOB_TYPE_COLUMN.length is not None
JOB_TYPE_MAX_LENGTH: int = _JOB_TYPE_COLUMN.length
"""``export_time_evidence.job_type``'s ``varchar`` limit (from the model, so it cannot drift)."""
EvidenceKey = tuple[str, str, str]
"""``(source, key_kind, key)``: what identifies one piece of stored evidence for a user."""


@dataclass(frozen=True, slots=True)
class MovedAsset:
    """An asset to re-cluster: its time changed from ``previous_time`` to ``new_time``, or (both
    equal) what it names as its parent changed at the same time."""

    asset_id: uuid.UUID
    previous_time: datetime | None
    new_time: datetime


@dataclass(slots=True)
class EvidenceApplication:
    moved: list[MovedAsset] = field(default_factory=list)
    """Assets that need re-clustering: those whose ``created_at`` changed (at both times), and timed
    ones given a parent job or parent grid, or given a job type while naming a parent job, at an
    unchanged time (their lineage changes)."""
    updated: list[uuid.UUID] = field(default_factory=list)
    """Every asset written: moved, re-labelled with a better source, given a job id, a parent grid or
    a job type."""

    @property
    def retimed(self) -> int:
        """How many of the moved assets changed time (the others only changed their lineage)."""
        return sum(1 for moved in self.moved if moved.previous_time != moved.new_time)

    matched_keys: set[EvidenceKey] = field(default_factory=set)
    ambiguous_keys: set[EvidenceKey] = field(default_factory=set)


def evidence_rows(items: Iterable[ExportTimeEvidence]) -> tuple[list[EvidenceRow], list[EvidenceKey]]:
    """One row per ``(source, key_kind, key)``; keys an export gives two different times are
    contradictory and dropped (returned second). Identical repeats collapse into one row. Job ids
    too long for ``assets.job_id`` are left out (the time still applies), and with a parent job id
    its parent grid (a grid position names an image of that job only); so are job types too long
    for their column."""
    by_key: dict[EvidenceKey, EvidenceRow] = {}
    contradictory: set[EvidenceKey] = set()
    for item in items:
        key = (item.source, item.key_kind, item.key)
        parent_job_id = _storable_id(item.parent_job_id)
        row = EvidenceRow(
            key_kind=item.key_kind,
            key=item.key,
            created_at=item.created_at,
            source=item.source,
            precision=str(item.precision),
            time_field=item.time_field,
            job_id=_storable_id(item.job_id),
            parent_job_id=parent_job_id,
            parent_grid=grid_position_value(item.parent_grid) if parent_job_id is not None else None,
            job_type=_storable_job_type(item.job_type),
        )
        known = by_key.get(key)
        if known is None:
            by_key[key] = row
        elif known.created_at != row.created_at:
            contradictory.add(key)
    rows = [row for key, row in by_key.items() if key not in contradictory]
    return rows, sorted(contradictory)


async def apply_stored_evidence(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    source: str | None = None,
    asset_ids: Sequence[uuid.UUID] | None = None,
) -> EvidenceApplication:
    """Apply the user's stored evidence (of ``source``, or all) to their assets (``asset_ids``, or
    all). See the module docstring for the matching and upgrade rules."""
    application = EvidenceApplication()
    if asset_ids is not None and not asset_ids:
        return application
    if asset_ids is not None and not await user_has_evidence(session, user_id):
        return application  # the common case of an image import: one cheap query
    matches = await evidence_matches(session, user_id, source=source, asset_ids=asset_ids)
    updates: list[AssetTimeUpdate] = []
    for asset_id, group in groupby(matches, key=lambda match: match.asset_id):
        update = _asset_update(list(group), application)
        if update is None:
            continue
        updates.append(update)
        application.updated.append(asset_id)
    await update_asset_times(session, user_id, updates)
    return application


def _asset_update(group: list[EvidenceMatch], application: EvidenceApplication) -> AssetTimeUpdate | None:
    usable: list[EvidenceMatch] = []
    for match in group:
        key = (match.evidence.source, match.evidence.key_kind, match.evidence.key)
        if match.evidence.key_kind == "file_name" and match.assets_with_key > 1:
            application.ambiguous_keys.add(key)
        else:
            application.matched_keys.add(key)
            usable.append(match)
    if not usable:
        return None
    asset = usable[0]
    best = usable[0].evidence
    for match in usable[1:]:
        if time_beats(match.evidence.source, match.evidence.precision, best.source, best.precision):
            best = match.evidence
    new_time: datetime | None = None
    if time_beats(
        best.source,
        best.precision,
        asset.asset_source,
        asset.asset_precision,
        current_has_time=asset.asset_created_at is not None,
    ):
        new_time = best.created_at
    job_id = None if asset.asset_job_id else _first(m.evidence.job_id for m in usable)
    parent_job_id = None if asset.asset_parent_job_id else _first(m.evidence.parent_job_id for m in usable)
    named_parent_job = asset.asset_parent_job_id or parent_job_id
    parent_grid = _parent_grid(asset, named_parent_job, usable)
    job_type = _job_type(asset, usable)
    if new_time is None and all(value is None for value in (job_id, parent_job_id, parent_grid, job_type)):
        return None
    # a job type is the kind of the link to a parent job: without one it changes no lineage
    lineage_changed = (
        parent_job_id is not None
        or parent_grid is not None
        or (job_type is not None and bool(named_parent_job))
    )
    if new_time is not None and new_time != asset.asset_created_at:
        application.moved.append(MovedAsset(asset.asset_id, asset.asset_created_at, new_time))
    elif lineage_changed and asset.asset_created_at is not None:
        # the time stays, the lineage does not: re-cluster the asset's span where it is
        application.moved.append(MovedAsset(asset.asset_id, asset.asset_created_at, asset.asset_created_at))
    return AssetTimeUpdate(
        asset_id=asset.asset_id,
        created_at=new_time,
        source=best.source if new_time is not None else None,
        precision=best.precision if new_time is not None else None,
        job_id=job_id,
        parent_job_id=parent_job_id,
        parent_grid=parent_grid,
        job_type=job_type,
    )


def _parent_grid(asset: EvidenceMatch, parent_job_id: str | None, usable: list[EvidenceMatch]) -> int | None:
    """The parent grid to write into ``asset``'s ``extra``: none when it names one already or has no
    parent job; else the first evidence's (in source, key order) that names the same parent job."""
    if asset.asset_names_parent_grid or not parent_job_id:
        return None
    for match in usable:
        if match.evidence.parent_job_id == parent_job_id and match.evidence.parent_grid is not None:
            return match.evidence.parent_grid
    return None


def _job_type(asset: EvidenceMatch, usable: list[EvidenceMatch]) -> str | None:
    """The job type to write into ``asset``'s ``extra``: none when it names one already; else the
    first (in source, key order) of evidence about the asset's own job — matched by job id: a
    file-name match describes a file, whose job the evidence need not name."""
    if asset.asset_names_job_type:
        return None
    for match in usable:
        if match.evidence.key_kind == "job_id" and match.evidence.job_type:
            return match.evidence.job_type
    return None


def _storable_job_type(value: str | None) -> str | None:
    """A job type that fits its column (a longer one is no tool's word for a job, so it is dropped)."""
    return value if value and len(value) <= JOB_TYPE_MAX_LENGTH else None


def _storable_id(value: str | None) -> str | None:
    """A job id that fits ``assets.job_id``; a longer one is no id any tool writes, so it is dropped."""
    return value if value is None or len(value) <= JOB_ID_MAX_LENGTH else None


def _first(values: Iterable[str | None]) -> str | None:
    return next((value for value in values if value), None)
