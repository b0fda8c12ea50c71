"""SQL for tool-export time evidence (``export_time_evidence``) and its matches among assets.

Every statement is scoped by ``user_id``; callers pass the session and commit. Lists travel as one
array parameter each (``unnest`` / ``= ANY``), so a 10,000-entry export is one statement and never
meets asyncpg's 32,767-parameter limit.

An asset "names a parent grid" when its ``extra`` holds a non-null value under one of the keys lineage
reads (``engine.sessions.lineage.PARENT_GRID_KEYS``); such a value is never overwritten. It "names a
job type" when lineage reads one from its ``extra`` (``engine.sessions.lineage`` takes the kind of a
link to a parent job from ``extra["job_type"] or extra["type"]``: a value Python counts as true under
either key); it is never given another.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ARRAY, DateTime, SmallInteger, String, Text, bindparam, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.sql_types import TEXT_ARRAY, UUID_ARRAY
from engine.sessions.lineage import PARENT_GRID_KEYS

_TIME_ARRAY = ARRAY(DateTime(timezone=True))
_SMALLINT_ARRAY = ARRAY(SmallInteger())


def _names_parent_grid(table: str) -> str:
    """SQL: ``table``'s ``extra`` holds a non-null value under a key lineage reads as the parent grid."""
    named = (
        f"coalesce(jsonb_typeof({table}.extra -> '{key}'), 'null') <> 'null'" for key in PARENT_GRID_KEYS
    )
    return f"({' OR '.join(named)})"


JOB_TYPE_KEYS = ("job_type", "type")
"""``extra`` keys lineage reads, in this order, for the kind of a link to a parent job."""
_FALSY_JSON = "'null', 'false', '0', '\"\"', '[]', '{}'"
"""JSON values Python counts as false (``0.0`` equals ``0`` as jsonb)."""


def _names_job_type(table: str) -> str:
    """SQL: lineage reads a job type from ``table``'s ``extra`` (a true value under a job type key)."""
    named = (f"coalesce({table}.extra -> '{key}', 'null') NOT IN ({_FALSY_JSON})" for key in JOB_TYPE_KEYS)
    return f"({' OR '.join(named)})"


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    key_kind: str
    key: str
    created_at: datetime
    source: str
    precision: str
    time_field: str
    job_id: str | None
    parent_job_id: str | None
    parent_grid: int | None = None
    """Which image (0-based) of ``parent_job_id``'s grid; only set with ``parent_job_id``."""
    job_type: str | None = None
    """What the job ``job_id`` is, in the tool's words (Midjourney's ``job_type``)."""


@dataclass(frozen=True, slots=True)
class StoredOutcome:
    inserted: int
    identical: int
    """Already stored with the same time (re-importing an export)."""
    conflicting: list[EvidenceRow]
    """Already stored with a different time: the first export that named the key keeps it."""


@dataclass(frozen=True, slots=True)
class EvidenceMatch:
    """One asset and one piece of stored evidence whose key names it."""

    asset_id: uuid.UUID
    asset_created_at: datetime | None
    asset_source: str | None
    asset_precision: str | None
    asset_job_id: str | None
    asset_parent_job_id: str | None
    asset_names_parent_grid: bool
    """The asset's ``extra`` already says which image of its parent job it came from."""
    asset_names_job_type: bool
    """The asset's ``extra`` already says what kind of job made it (lineage reads it)."""
    evidence: EvidenceRow
    assets_with_key: int
    """How many of the user's assets carry this key (more than one file name match is ambiguous)."""


_INSERT = text(
    """
    WITH v AS (
        SELECT * FROM unnest(:key_kinds, :keys, :times, :sources, :precisions, :time_fields, :job_ids,
                             :parent_job_ids, :parent_grids, :job_types)
            AS v(key_kind, key, created_at, source, precision, time_field, job_id, parent_job_id,
                 parent_grid, job_type)
    ), gaps_filled AS (
        UPDATE export_time_evidence e SET
            parent_grid = COALESCE(e.parent_grid,
                                   CASE WHEN e.parent_job_id = v.parent_job_id THEN v.parent_grid END),
            job_type = COALESCE(e.job_type,
                                CASE WHEN e.job_id IS NOT DISTINCT FROM v.job_id THEN v.job_type END)
        FROM v
        WHERE e.user_id = :user_id AND e.source = v.source AND e.key_kind = v.key_kind AND e.key = v.key
          AND e.created_at = v.created_at
          AND ((e.parent_grid IS NULL AND v.parent_grid IS NOT NULL AND e.parent_job_id = v.parent_job_id)
               OR (e.job_type IS NULL AND v.job_type IS NOT NULL AND e.job_id IS NOT DISTINCT FROM v.job_id))
    )
    INSERT INTO export_time_evidence
        (user_id, key_kind, key, created_at, source, precision, time_field, job_id, parent_job_id,
         parent_grid, job_type, export_location)
    SELECT :user_id, v.key_kind, v.key, v.created_at, v.source, v.precision, v.time_field, v.job_id,
           v.parent_job_id, v.parent_grid, v.job_type, :export_location
    FROM v
    ON CONFLICT ON CONSTRAINT uq_export_evidence_key DO NOTHING
    RETURNING key_kind, key, source
    """
).bindparams(
    bindparam("user_id", type_=UUID(as_uuid=True)),
    bindparam("export_location", type_=Text()),
    bindparam("key_kinds", type_=TEXT_ARRAY),
    bindparam("keys", type_=TEXT_ARRAY),
    bindparam("times", type_=_TIME_ARRAY),
    bindparam("sources", type_=TEXT_ARRAY),
    bindparam("precisions", type_=TEXT_ARRAY),
    bindparam("time_fields", type_=TEXT_ARRAY),
    bindparam("job_ids", type_=TEXT_ARRAY),
    bindparam("parent_job_ids", type_=TEXT_ARRAY),
    bindparam("parent_grids", type_=_SMALLINT_ARRAY),
    bindparam("job_types", type_=TEXT_ARRAY),
)

_STORED_TIMES = text(
    """
    SELECT e.key_kind, e.key, e.source, e.created_at
    FROM export_time_evidence e
    JOIN unnest(:key_kinds, :keys, :sources) AS v(key_kind, key, source)
      ON e.key_kind = v.key_kind AND e.key = v.key AND e.source = v.source
    WHERE e.user_id = :user_id
    """
).bindparams(
    bindparam("user_id", type_=UUID(as_uuid=True)),
    bindparam("key_kinds", type_=TEXT_ARRAY),
    bindparam("keys", type_=TEXT_ARRAY),
    bindparam("sources", type_=TEXT_ARRAY),
)


async def store_evidence(
    session: AsyncSession, user_id: uuid.UUID, rows: Sequence[EvidenceRow], *, export_location: str | None
) -> StoredOutcome:
    """Insert evidence whose ``(source, key_kind, key)`` is new for the user; never overwrite.

    The one exception fills gaps: stored evidence without a ``parent_grid`` (stored before the
    column existed) takes the row's when both give the same time and parent job, and without a
    ``job_type`` the row's when both give the same time and job id — so importing an archive again
    completes it (one ``UPDATE``: a row is never written twice by one statement). ``rows`` must
    hold each ``(source, key_kind, key)`` at most once. Idempotent: storing the same rows again
    inserts nothing and reports them as identical.
    """
    if not rows:
        return StoredOutcome(0, 0, [])
    inserted = await session.execute(
        _INSERT,
        {
            "user_id": user_id,
            "export_location": export_location,
            "key_kinds": [row.key_kind for row in rows],
            "keys": [row.key for row in rows],
            "times": [row.created_at for row in rows],
            "sources": [row.source for row in rows],
            "precisions": [row.precision for row in rows],
            "time_fields": [row.time_field for row in rows],
            "job_ids": [row.job_id for row in rows],
            "parent_job_ids": [row.parent_job_id for row in rows],
            "parent_grids": [row.parent_grid for row in rows],
            "job_types": [row.job_type for row in rows],
        },
    )
    new_keys = {(kind, key, source) for kind, key, source in inserted.all()}
    old = [row for row in rows if (row.key_kind, row.key, row.source) not in new_keys]
    if not old:
        return StoredOutcome(len(new_keys), 0, [])
    stored = await session.execute(
        _STORED_TIMES,
        {
            "user_id": user_id,
            "key_kinds": [row.key_kind for row in old],
            "keys": [row.key for row in old],
            "sources": [row.source for row in old],
        },
    )
    stored_times = {(kind, key, source): when for kind, key, source, when in stored.all()}
    conflicting = [
        row for row in old if stored_times.get((row.key_kind, row.key, row.source)) != row.created_at
    ]
    return StoredOutcome(len(new_keys), len(old) - len(conflicting), conflicting)


_MATCH_COLUMNS = f"""
    a.id, a.created_at, a.created_at_source, a.created_at_precision, a.job_id, a.parent_job_id,
    {_names_parent_grid("a")}, {_names_job_type("a")},
    e.key_kind, e.key, e.created_at, e.source, e.precision, e.time_field, e.job_id, e.parent_job_id,
    e.parent_grid, e.job_type
"""

_MATCHES = text(
    f"""
    SELECT {_MATCH_COLUMNS},
           (SELECT count(*) FROM assets same
             WHERE same.user_id = a.user_id AND same.file_name = a.file_name) AS assets_with_key
    FROM export_time_evidence e
    JOIN assets a ON a.user_id = e.user_id AND a.file_name = e.key
    WHERE e.user_id = :user_id AND e.key_kind = 'file_name'
      AND (CAST(:source AS text) IS NULL OR e.source = :source)
      AND (CAST(:asset_ids AS uuid[]) IS NULL OR a.id = ANY(:asset_ids))
    UNION ALL
    SELECT {_MATCH_COLUMNS}, 1 AS assets_with_key
    FROM export_time_evidence e
    JOIN assets a ON a.user_id = e.user_id AND a.job_id = e.key
    WHERE e.user_id = :user_id AND e.key_kind = 'job_id'
      AND (CAST(:source AS text) IS NULL OR e.source = :source)
      AND (CAST(:asset_ids AS uuid[]) IS NULL OR a.id = ANY(:asset_ids))
    ORDER BY 1, 12, 9, 10
    """
).bindparams(
    bindparam("user_id", type_=UUID(as_uuid=True)),
    bindparam("source", type_=String()),
    bindparam("asset_ids", type_=UUID_ARRAY),
)


async def evidence_matches(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    source: str | None = None,
    asset_ids: Sequence[uuid.UUID] | None = None,
) -> list[EvidenceMatch]:
    """Stored evidence (of ``source``, or any) whose key names one of the user's assets (of
    ``asset_ids``, or any): file-name keys match ``assets.file_name``, job-id keys ``assets.job_id``
    (every image of a Midjourney job shares its id). Ordered by asset, then source and key."""
    ids = list(asset_ids) if asset_ids is not None else None
    result = await session.execute(_MATCHES, {"user_id": user_id, "source": source, "asset_ids": ids})
    return [
        EvidenceMatch(
            asset_id=row[0],
            asset_created_at=row[1],
            asset_source=row[2],
            asset_precision=row[3],
            asset_job_id=row[4],
            asset_parent_job_id=row[5],
            asset_names_parent_grid=bool(row[6]),
            asset_names_job_type=bool(row[7]),
            evidence=EvidenceRow(*row[8:18]),
            assets_with_key=int(row[18]),
        )
        for row in result.all()
    ]


async def user_has_evidence(session: AsyncSession, user_id: uuid.UUID) -> bool:
    found = await session.scalar(
        text("SELECT EXISTS (SELECT 1 FROM export_time_evidence WHERE user_id = :user_id)").bindparams(
            bindparam("user_id", type_=UUID(as_uuid=True))
        ),
        {"user_id": user_id},
    )
    return bool(found)


_UPDATE_TIMES = text(
    f"""
    UPDATE assets SET
        created_at = COALESCE(v.created_at, assets.created_at),
        created_at_source = CASE WHEN v.created_at IS NULL THEN assets.created_at_source ELSE v.source END,
        created_at_precision =
            CASE WHEN v.created_at IS NULL THEN assets.created_at_precision ELSE v.precision END,
        job_id = COALESCE(assets.job_id, v.job_id),
        parent_job_id = COALESCE(assets.parent_job_id, v.parent_job_id),
        extra = assets.extra
            || CASE WHEN v.parent_grid IS NULL OR {_names_parent_grid("assets")} THEN '{{}}'::jsonb
                    ELSE jsonb_build_object('parent_grid', v.parent_grid) END
            || CASE WHEN v.job_type IS NULL OR {_names_job_type("assets")} THEN '{{}}'::jsonb
                    ELSE jsonb_build_object('job_type', v.job_type) END
    FROM unnest(:asset_ids, :times, :sources, :precisions, :job_ids, :parent_job_ids, :parent_grids,
                :job_types)
        AS v(asset_id, created_at, source, precision, job_id, parent_job_id, parent_grid, job_type)
    WHERE assets.id = v.asset_id AND assets.user_id = :user_id
    """
).bindparams(
    bindparam("user_id", type_=UUID(as_uuid=True)),
    bindparam("asset_ids", type_=UUID_ARRAY),
    bindparam("times", type_=_TIME_ARRAY),
    bindparam("sources", type_=TEXT_ARRAY),
    bindparam("precisions", type_=TEXT_ARRAY),
    bindparam("job_ids", type_=TEXT_ARRAY),
    bindparam("parent_job_ids", type_=TEXT_ARRAY),
    bindparam("parent_grids", type_=_SMALLINT_ARRAY),
    bindparam("job_types", type_=TEXT_ARRAY),
)


@dataclass(frozen=True, slots=True)
class AssetTimeUpdate:
    """``created_at`` None keeps the asset's time; job ids only fill empty columns, ``parent_grid``
    only an ``extra`` that names no parent grid yet, ``job_type`` only one that names no job type."""

    asset_id: uuid.UUID
    created_at: datetime | None
    source: str | None
    precision: str | None
    job_id: str | None
    parent_job_id: str | None
    parent_grid: int | None = None
    job_type: str | None = None


async def update_asset_times(
    session: AsyncSession, user_id: uuid.UUID, updates: Sequence[AssetTimeUpdate]
) -> None:
    """Apply ``updates`` in one statement (job ids, ``extra["parent_grid"]`` and
    ``extra["job_type"]`` never overwrite a value already there)."""
    if not updates:
        return
    await session.execute(
        _UPDATE_TIMES,
        {
            "user_id": user_id,
            "asset_ids": [u.asset_id for u in updates],
            "times": [u.created_at for u in updates],
            "sources": [u.source for u in updates],
            "precisions": [u.precision for u in updates],
            "job_ids": [u.job_id for u in updates],
            "parent_job_ids": [u.parent_job_id for u in updates],
            "parent_grids": [u.parent_grid for u in updates],
            "job_types": [u.job_type for u in updates],
        },
    )
