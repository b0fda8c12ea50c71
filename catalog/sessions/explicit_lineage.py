"""Named parents across the artist's whole library: the links the engine cannot make inside a span.

The engine links a child to the image its file names (a parent job, a ``LoadImage`` / img2img /
upscale source, an init-image hash) only when that image is earlier in the same session of the
re-clustered span. This module resolves the rest against every asset of the same user — earlier
sessions, other tools' sessions, assets without a generation time — and returns edges that replace
the engine's edge of that child (named evidence beats inference, as inside a session).

Matching (the engine's rules, plus the content hash): a child's parent-job key, then each source
reference's keys (as given, base name, base name without extension) are tried in order; an asset
matches a key when its record id, job id, content SHA-256 or one of its file name's keys equals it.
Among several matches of the first key that matches: for a parent job, the image at the grid position
the child names (``engine.sessions.lineage.parent_grid_position``) when one sits there; then an earlier
asset of the child's own session, else the latest earlier asset, else one without a time, else the
earliest later one (ties by id).

The other direction: an image imported *before* the parent it names has no named edge yet; when the
parent's span is re-clustered, :func:`children_naming_span` finds such images outside the span (by
parent job or first reference) and they are resolved the same way.

Invariants: only ``user_id``'s assets are ever candidates (every statement filters by owner), so two
artists importing the same files never link to each other's images; a child never becomes its own
parent; the result is deterministic for the same rows, so re-clustering twice writes the same edges.
Cost: per span, one indexed statement for the children outside it (``ix_assets_user_parent_job``,
``ix_assets_user_reference_stem``) and, only when some child's named parent is still unresolved, one
for the candidates (job id, record id, content hash, ``ix_assets_user_file_stem``); each well under a
millisecond on 50k assets. Whether an edge is cross-session is not stored: the API compares the two
assets' current sessions, so merges and splits can never leave it stale.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import any_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.assets.span_rows import SPAN_ASSET_SELECT, SpanAsset, fetch_span_assets
from catalog.importing.asset_rows import MAX_INDEXED_NAME_CHARS, row_to_record
from catalog.models import Asset
from catalog.models import LineageEdge as LineageEdgeRow
from catalog.sql_types import TEXT_ARRAY
from engine.analysis import LineageEdge
from engine.records import GenerationRecord
from engine.sessions.lineage import NAMED_CONFIDENCE, grid_position, named_parent_kind, parent_grid_position
from engine.sessions.named_sources import name_keys, named_references
from engine.sessions.record_stream import INIT_IMAGE_KEYS

FILE_STEM_SQL = (
    r"left(regexp_replace(regexp_replace(file_name, '^.*[/\\]', ''), '\.[^.]*$', ''), "
    f"{MAX_INDEXED_NAME_CHARS})"
)
"""The base name of ``assets.file_name`` without its extension, at most as long as a name the import
keeps (a b-tree entry holds at most 2,704 bytes, and a reference in ``extra`` is not cut): what migration
0013's trigger stores in ``assets.file_stem`` (indexed by ``ix_assets_user_file_stem``; a test keeps the
two identical)."""
REFERENCE_SQL = "coalesce(source_image, " + ", ".join(f"extra ->> '{key}'" for key in INIT_IMAGE_KEYS) + ")"
"""An asset's first named reference: its source image, else the first init-image key of ``extra``."""
REFERENCE_STEM_SQL = FILE_STEM_SQL.replace("file_name", REFERENCE_SQL)
""":data:`REFERENCE_SQL`'s base name without extension, what the trigger stores in
``assets.reference_stem`` (null exactly when the asset names no file; ``ix_assets_user_reference_stem``
is partial on it being set)."""


@dataclass(frozen=True, slots=True)
class _Wanted:
    child: SpanAsset
    record: GenerationRecord
    jobs: list[str]
    sources: list[str]


async def named_edges_across_library(
    db: AsyncSession,
    user_id: uuid.UUID,
    children: Sequence[SpanAsset],
    engine_edges: Sequence[LineageEdge],
    session_of: Mapping[uuid.UUID, uuid.UUID | None],
) -> dict[uuid.UUID, LineageEdge]:
    """Child id → the named edge to put in place of the engine's, for those of ``children`` whose named
    parent the engine did not link (it lies in another session or outside the span).

    ``session_of``: the new session of each re-clustered asset; any other asset is in its stored
    session (``Asset.session_id``)."""
    named = {edge.child for edge in engine_edges if edge.confidence >= NAMED_CONFIDENCE}
    wanted: list[_Wanted] = []
    for asset in children:
        if not _names_a_parent(asset) or str(asset.id) in named:
            continue
        record = row_to_record(asset)
        jobs, sources = named_references(record)
        if jobs or sources:
            wanted.append(_Wanted(asset, record, jobs, sources))
    if not wanted:
        return {}
    keys = sorted({key for item in wanted for key in (*item.jobs, *item.sources)})
    index = _index_by_key(await _candidates(db, user_id, keys))
    found: dict[uuid.UUID, LineageEdge] = {}
    for item in wanted:
        choice = _choose(item, index, session_of)
        if choice is not None:
            parent, by_job = choice
            kind = named_parent_kind(item.record, row_to_record(parent), by_job=by_job)
            found[item.child.id] = LineageEdge(str(parent.id), str(item.child.id), kind, NAMED_CONFIDENCE)
    return found


async def children_naming_span(
    db: AsyncSession, user_id: uuid.UUID, span: Sequence[SpanAsset], *, whole_stream: bool = False
) -> list[SpanAsset]:
    """The user's assets outside ``span`` that may name one of its assets as their parent and have no
    named parent yet: images imported *before* the parent they name (a superset; resolve them with
    :func:`named_edges_across_library`). One statement on ``ix_assets_user_parent_job`` and
    ``ix_assets_user_reference_stem``; a child is found by its parent job or its first reference (the
    source image, else the first init-image key), the others when its own span is re-clustered.

    ``whole_stream``: ``span`` is every timed asset of the user, so only untimed assets lie outside it;
    all of those that name a parent and have none yet are returned, without matching keys (a library's
    ~4 keys an asset, sent as one array, cost more to plan than the few untimed assets cost to resolve)."""
    if not span:
        return []
    named_already = (
        select(LineageEdgeRow.id)
        .where(
            LineageEdgeRow.child_asset_id == Asset.id,
            LineageEdgeRow.confidence >= NAMED_CONFIDENCE,
        )
        .exists()
    )
    if whole_stream:
        statement = SPAN_ASSET_SELECT.where(
            Asset.user_id == user_id,
            Asset.created_at.is_(None),
            or_(Asset.parent_job_id.is_not(None), Asset.reference_stem.is_not(None)),
            ~named_already,
        )
        return await fetch_span_assets(db, statement)
    keys: set[str] = set()
    for asset in span:
        keys.update(_asset_keys(asset))
    keys.update(_stems(keys))  # a reference's stem may match
    timed = [asset.created_at for asset in span if asset.created_at is not None]
    key_array = bindparam("span_keys", sorted(keys), type_=TEXT_ARRAY)
    statement = SPAN_ASSET_SELECT.where(
        Asset.user_id == user_id,
        or_(Asset.parent_job_id == any_(key_array), Asset.reference_stem == any_(key_array)),
        ~named_already,
    )
    if timed:  # every timed asset between the span's first and last is in the span
        statement = statement.where(
            or_(Asset.created_at.is_(None), Asset.created_at < min(timed), Asset.created_at > max(timed))
        )
    in_span = {asset.id for asset in span}
    return [asset for asset in await fetch_span_assets(db, statement) if asset.id not in in_span]


def _stems(keys: set[str]) -> set[str]:
    """The last :func:`name_keys` entry (the base name without extension) of each key. A key without
    a dot, a slash or surrounding space (an id, a hash) is its own stem, so it is not split again."""
    return {
        stems[-1]
        for key in keys
        if ("." in key or "/" in key or "\\" in key or key != key.strip()) and (stems := name_keys(key))
    }


def _names_a_parent(asset: SpanAsset) -> bool:
    """Cheap pre-check on the row (most assets name nothing): a parent job, a source, an init image."""
    if asset.source_image or asset.parent_job_id:
        return True
    extra = asset.extra
    return extra is not None and any(extra.get(key) for key in INIT_IMAGE_KEYS)


async def _candidates(db: AsyncSession, user_id: uuid.UUID, keys: list[str]) -> list[SpanAsset]:
    """The user's assets any of ``keys`` may name (a superset: the caller checks each key exactly)."""
    stems = sorted({name_keys(key)[-1] for key in keys if name_keys(key)})
    key_array = bindparam("named_keys", keys, type_=TEXT_ARRAY)
    stem_array = bindparam("named_stems", stems, type_=TEXT_ARRAY)
    statement = SPAN_ASSET_SELECT.where(
        Asset.user_id == user_id,
        or_(
            Asset.job_id == any_(key_array),
            Asset.record_id == any_(key_array),
            Asset.content_sha256 == any_(key_array),
            Asset.file_stem == any_(stem_array),
        ),
    )
    return await fetch_span_assets(db, statement)


def _asset_keys(asset: SpanAsset) -> set[str]:
    keys = {str(asset.id), asset.record_id}
    keys.update(value for value in (asset.job_id, asset.content_sha256) if value)
    if asset.file_name:
        keys.update(name_keys(asset.file_name))
    return keys


def _index_by_key(candidates: list[SpanAsset]) -> dict[str, list[SpanAsset]]:
    index: dict[str, list[SpanAsset]] = {}
    for asset in candidates:
        for key in _asset_keys(asset):
            index.setdefault(key, []).append(asset)
    return index


def _choose(
    item: _Wanted, index: dict[str, list[SpanAsset]], session_of: Mapping[uuid.UUID, uuid.UUID | None]
) -> tuple[SpanAsset, bool] | None:
    """The parent for the first of the child's keys that names one of the user's assets, and whether
    that key was the parent job (the kind rules differ)."""
    for keys, by_job in ((item.jobs, True), (item.sources, False)):
        for key in keys:
            matches = [asset for asset in index.get(key, ()) if asset.id != item.child.id]
            if by_job and len(matches) > 1:
                matches = _at_named_position(item.record, matches)
            if matches:
                own = session_of.get(item.child.id, item.child.session_id)
                return min(matches, key=lambda asset: _preference(item.child, asset, own, session_of)), by_job
    return None


def _at_named_position(child: GenerationRecord, matches: list[SpanAsset]) -> list[SpanAsset]:
    """Of a parent job's images, the one at the grid position the child names (Midjourney's
    ``parent_grid``), when the child names one and an image says it sits there; else all of them."""
    position = parent_grid_position(child)
    if position is None:
        return matches
    placed = [asset for asset in matches if grid_position(row_to_record(asset)) == position]
    return placed or matches


def _preference(
    child: SpanAsset,
    candidate: SpanAsset,
    own_session: uuid.UUID | None,
    session_of: Mapping[uuid.UUID, uuid.UUID | None],
) -> tuple[Any, ...]:
    """Sort key: lower is better (see the module's matching rules)."""
    when, child_when = candidate.created_at, child.created_at
    tie = str(candidate.id)
    if when is None or child_when is None:
        return (2, 0.0, tie)
    if when <= child_when:
        theirs = session_of.get(candidate.id, candidate.session_id)
        same_session = own_session is not None and theirs == own_session
        return (0 if same_session else 1, -_seconds(when), tie)
    return (3, _seconds(when), tie)


def _seconds(when: datetime) -> float:
    return when.timestamp()
