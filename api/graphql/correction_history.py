"""Corrections as history in GraphQL: ``viewer.corrections``, ``viewer.calibration``,
``undoCorrection`` and ``reclusterLibrary``.

Invariants:
- Only the viewer's corrections are read or undone; another user's correction id is ``NotFound``,
  indistinguishable from an id that never existed, and their row is never touched.
- A page of corrections costs a fixed number of queries whatever its size: the page, the sessions and
  images it names, and what blocks an undo (:func:`catalog.sessions.undo.undo_blockers`).
- Undo is one unit of work (:func:`catalog.sessions.undo.undo_correction`, retried on a deadlock or
  serialization failure); undoing twice is the typed ``AlreadyUndone`` and changes nothing.
- ``reclusterLibrary`` never re-clusters on the API's event loop: it queues the worker's
  ``recluster_user_job`` (which runs in a child process), with a job id fixed per user, so asking
  again while one is queued or running queues nothing more.

Scopes: reading needs ``library:read``; ``undoCorrection`` and ``reclusterLibrary`` ``library:write``.

``Session`` and ``Asset`` come from :mod:`api.graphql.types`, which imports this module for
``Viewer``; they are referenced lazily and imported inside :func:`corrections_from_rows`.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from arq.jobs import Job, JobStatus
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from api.context import RequestContext
from api.graphql.errors import NotFound
from api.graphql.node_interface import Node
from api.graphql.pagination import (
    CursorReader,
    PageInfo,
    check_page_size,
    decode_id,
    encode_cursor,
    encode_id,
)
from billing.transactions import retrying_unit_of_work
from catalog.models import Correction as CorrectionRow
from catalog.sessions import correction_history, queries, recluster_outcome, undo
from catalog.sessions.corrections import NotFound as CorrectionNotFound

if TYPE_CHECKING:
    from api.graphql.types import Asset, Session

log = logging.getLogger(__name__)

CORRECTION_KIND = "Correction"
_CURSOR = "correction"
RECLUSTER_JOB = "recluster_user_job"
APPLIES_TO = (
    "A learned offset applies to every span re-clustered after it changes: the corrected span at once, "
    "the rest of the library when it is next re-clustered (an import next to it, or reclusterLibrary, "
    "which re-clusters the whole library with it). Corrections and pinned labels always hold."
)

_SessionType = Annotated["Session", strawberry.lazy("api.graphql.types")]
_AssetType = Annotated["Asset", strawberry.lazy("api.graphql.types")]


@strawberry.enum(description="What a correction did")
class CorrectionKind(enum.Enum):
    MERGE = strawberry.enum_value("merge", description="Joined neighbouring sessions (mergeSessions)")
    SPLIT = strawberry.enum_value("split", description="Started a new session at an image (splitSession)")
    MOVE = strawberry.enum_value("move", description="Moved images into another session (moveAssets)")
    RELABEL = strawberry.enum_value(
        "relabel", description="Set or cleared a session's label (relabelSession)"
    )


@strawberry.type(
    description="One of the artist's corrections, as they made it; undone ones stay in the history"
)
class Correction(Node):
    id: strawberry.ID = strawberry.field(description="Global id (`Correction:<uuid>`), for `undoCorrection`")
    kind: CorrectionKind = strawberry.field(description="What the correction did")
    created_at: datetime = strawberry.field(description="When it was made (UTC)")
    summary: str = strawberry.field(
        description=(
            "What it changed, in English (e.g. \"Merged 2 sessions (41 images)\", \"Renamed 'A' → 'B'\")"
        )
    )
    boundary_margin: float | None = strawberry.field(
        description=(
            "Merges and splits: the engine's boundary margin at the corrected gap when it was made (score − "
            "threshold); what the correction teaches. Null for moves, relabels and forced boundaries"
        )
    )
    sessions: list[_SessionType] = strawberry.field(
        description="The sessions it named that still exist (re-clustering may have merged or removed some)"
    )
    assets: list[_AssetType] = strawberry.field(
        description=(
            "The images it tied or moved that still exist: the joined pair of a merge, the images either "
            "side of a split, the moved images; empty for a relabel"
        )
    )
    undone: bool = strawberry.field(description="True once undone with `undoCorrection`")
    undone_at: datetime | None = strawberry.field(description="When it was undone; null: in force")
    can_undo: bool = strawberry.field(description="Whether `undoCorrection` would undo it now")
    undo_blocked_reason: str | None = strawberry.field(
        description=(
            "Why it cannot be undone now (already undone, a later rename replaced it, …); null if it can"
        )
    )


@strawberry.type(description="One correction with its cursor")
class CorrectionEdge:
    node: Correction = strawberry.field(description="The correction")
    cursor: str = strawberry.field(description="Opaque cursor of this correction, for `after`")


@strawberry.type(description="A page of the viewer's corrections, newest first")
class CorrectionConnection:
    edges: list[CorrectionEdge] = strawberry.field(description="The corrections of this page, newest first")
    page_info: PageInfo = strawberry.field(
        description="Whether more (older) corrections follow, and from where"
    )


@strawberry.enum(description="Where the viewer's whole-library re-cluster stands")
class ReclusterState(enum.Enum):
    QUEUED = strawberry.enum_value("queued", description="Waiting for a worker")
    RUNNING = strawberry.enum_value("running", description="A worker is re-clustering the library now")
    IDLE = strawberry.enum_value(
        "idle", description="None queued or running (the last one, if any, has ended)"
    )
    FAILED = strawberry.enum_value(
        "failed",
        description=(
            "None queued or running, and the last one failed (nothing was changed); "
            "`reclusterFailure` says why and when. Cleared by the next one that succeeds"
        ),
    )


@strawberry.type(description="Why and when the viewer's last whole-library re-cluster failed")
class ReclusterFailure:
    reason: str = strawberry.field(description="What went wrong, in one short English sentence")
    failed_at: datetime = strawberry.field(description="When it gave up (UTC)")


@strawberry.type(description="What the session engine learned from the artist's merges and splits")
class Calibration:
    threshold_offset: float = strawberry.field(
        description=(
            "The learned boundary offset in the engine's score units (positive: fewer, longer sessions; "
            "negative: more, shorter ones); bounded, and near the default while corrections are few"
        )
    )
    corrections: int = strawberry.field(
        description=(
            "How many merges and splits it was learned from (undone ones, moves, relabels and merges across "
            "forced boundaries such as a tool switch teach nothing)"
        )
    )
    default_offset: float = strawberry.field(
        description="The engine's offset for an artist with no corrections"
    )
    applies_to: str = strawberry.field(description="Which sessions the learned offset has been applied to")
    recluster_state: ReclusterState | None = strawberry.field(
        description="Where a `reclusterLibrary` re-cluster stands; null when the job queue cannot be reached"
    )
    recluster_failure: ReclusterFailure | None = strawberry.field(
        description=(
            "The last `reclusterLibrary` re-cluster's failure, kept until one succeeds (also while the "
            "next is queued or running); null when the last one succeeded, none ran, or the queue cannot "
            "be reached"
        )
    )


@strawberry.type(description="The correction is undone; sessions were re-clustered to reflect it")
class CorrectionUndone:
    correction: Correction = strawberry.field(description="The correction, now with `undone: true`")
    sessions: list[_SessionType] = strawberry.field(
        description=(
            "The sessions holding the affected images (or the renamed session) afterwards, in time order"
        )
    )
    threshold_offset: float = strawberry.field(
        description="The learned offset after the undo (re-learned from the corrections still in force)"
    )


@strawberry.type(description="The correction was undone before; nothing changed")
class AlreadyUndone:
    message: str = strawberry.field(description="That it is already undone, in English")
    correction: Correction = strawberry.field(description="The correction, with its `undoneAt`")


@strawberry.type(description="The correction cannot be undone; nothing changed")
class CannotUndo:
    message: str = strawberry.field(
        description=(
            "Why, in English: a rename made before previous labels were kept, of a session that no longer "
            "exists, or replaced by a later rename of the same session"
        )
    )


UndoCorrectionPayload = Annotated[
    CorrectionUndone | NotFound | AlreadyUndone | CannotUndo,
    strawberry.union(
        "UndoCorrectionPayload",
        description=(
            "CorrectionUndone, or why not: NotFound (not one of the viewer's corrections), AlreadyUndone or "
            "CannotUndo"
        ),
    ),
]


@strawberry.type(description="A re-cluster of the whole library is queued (or already queued or running)")
class LibraryReclusterQueued:
    job_id: str = strawberry.field(description="The worker job's id (one per artist)")
    already_queued: bool = strawberry.field(
        description="True when one was already queued or running, so nothing new was queued"
    )
    state: ReclusterState = strawberry.field(
        description="Where it stands now; follow it with `viewer { calibration { reclusterState } }`"
    )
    threshold_offset: float = strawberry.field(description="The learned offset it re-clusters with")


@strawberry.type(description="The job queue (Redis) cannot be reached; nothing was queued, try again later")
class JobQueueUnavailable:
    message: str = strawberry.field(description="What failed, in English")


ReclusterLibraryPayload = Annotated[
    LibraryReclusterQueued | JobQueueUnavailable,
    strawberry.union("ReclusterLibraryPayload", description="LibraryReclusterQueued, or JobQueueUnavailable"),
]


async def corrections_from_rows(
    db: AsyncSession, user_id: uuid.UUID, rows: Sequence[CorrectionRow]
) -> list[Correction]:
    """GraphQL corrections for ``rows`` (the user's own), in three queries whatever their number."""
    from api.graphql.types import Asset, Session  # imports this module: see the module docstring

    session_ids = sorted({key for row in rows for key in correction_history.affected_session_ids(row)})
    asset_ids = sorted({key for row in rows for key in correction_history.affected_asset_ids(row)})
    sessions = await queries.sessions_by_ids(db, user_id, session_ids)
    assets = await queries.assets_by_ids(db, user_id, asset_ids)
    blockers = await undo.undo_blockers(db, user_id, rows)
    return [
        Correction(
            id=encode_id(CORRECTION_KIND, row.id),
            kind=CorrectionKind(row.kind),
            created_at=row.created_at,
            summary=correction_history.summary_of(row),
            boundary_margin=row.boundary_score,
            sessions=[
                Session.from_row(sessions[key])
                for key in correction_history.affected_session_ids(row)
                if key in sessions
            ],
            assets=[
                Asset.from_row(assets[key])
                for key in correction_history.affected_asset_ids(row)
                if key in assets
            ],
            undone=row.undone_at is not None,
            undone_at=row.undone_at,
            can_undo=blockers[row.id] is None,
            undo_blocked_reason=blockers[row.id],
        )
        for row in rows
    ]


async def corrections_by_ids(
    db: AsyncSession, user_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Correction]:
    """For ``node(id)``: the viewer's corrections among ``ids``."""
    rows = list((await correction_history.corrections_by_ids(db, user_id, ids)).values())
    return {
        row.id: node for row, node in zip(rows, await corrections_from_rows(db, user_id, rows), strict=True)
    }


async def viewer_corrections(
    info: Info[RequestContext, None], first: int, after: str | None
) -> CorrectionConnection:
    limit = check_page_size(first)
    key: tuple[datetime, uuid.UUID] | None = None
    if after is not None:
        reader = CursorReader(after, _CURSOR)
        key = (reader.read_datetime(), reader.read_uuid())
        reader.finish()
    user_id = info.context.user_id
    async with info.context.session_factory() as db:
        rows = await correction_history.correction_page(db, user_id, limit=limit, after=key)
        nodes = await corrections_from_rows(db, user_id, rows[:limit])
    edges = [
        CorrectionEdge(node=node, cursor=encode_cursor(_CURSOR, row.created_at, row.id))
        for row, node in zip(rows[:limit], nodes, strict=True)
    ]
    return CorrectionConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None),
    )


def recluster_job_id(user_id: uuid.UUID) -> str:
    return f"{RECLUSTER_JOB}:library:{user_id}"


async def _recluster_status(
    info: Info[RequestContext, None],
) -> tuple[ReclusterState | None, ReclusterFailure | None]:
    """The job's state and the last recorded failure (:mod:`catalog.sessions.recluster_outcome`):
    QUEUED / RUNNING while arq has the job, else FAILED when a failure is recorded, else IDLE."""
    queue = info.context.job_queue
    if queue is None:
        return None, None
    try:
        status = await Job(recluster_job_id(info.context.user_id), queue).status()
        failed = await recluster_outcome.last_failure(queue, info.context.user_id)
    except (OSError, RedisError) as error:
        log.warning("could not read the re-cluster job's state: %s", error)
        return None, None
    failure = None if failed is None else ReclusterFailure(reason=failed.reason, failed_at=failed.failed_at)
    if status in (JobStatus.queued, JobStatus.deferred):
        return ReclusterState.QUEUED, failure
    if status is JobStatus.in_progress:
        return ReclusterState.RUNNING, failure
    return (ReclusterState.IDLE if failure is None else ReclusterState.FAILED), failure


async def _recluster_state(info: Info[RequestContext, None]) -> ReclusterState | None:
    return (await _recluster_status(info))[0]


async def viewer_calibration(info: Info[RequestContext, None]) -> Calibration:
    async with info.context.session_factory() as db:
        learned = await correction_history.calibration_of(db, info.context.user_id)
    state, failure = await _recluster_status(info)
    return Calibration(
        threshold_offset=learned.threshold_offset,
        corrections=learned.corrections_counted,
        default_offset=learned.default_offset,
        applies_to=APPLIES_TO,
        recluster_state=state,
        recluster_failure=failure,
    )


async def undo_correction_field(info: Info[RequestContext, None], id: strawberry.ID) -> UndoCorrectionPayload:
    from api.graphql.types import Session  # imports this module: see the module docstring

    correction_id = decode_id(CORRECTION_KIND, id)
    if correction_id is None:
        return NotFound(message="no such correction")
    user_id = info.context.user_id

    async def work(db: AsyncSession) -> tuple[Correction, list[Session], float]:
        result = await undo.undo_correction(db, user_id, correction_id)
        rows = await queries.sessions_in_order(db, user_id, result.session_ids)
        (node,) = await corrections_from_rows(db, user_id, [result.correction])
        return node, [Session.from_row(row) for row in rows], result.threshold_offset

    try:
        node, sessions, offset = await retrying_unit_of_work(info.context.session_factory, work)
    except CorrectionNotFound as error:
        return NotFound(message=str(error))
    except undo.AlreadyUndone as error:
        async with info.context.session_factory() as db:
            found = await corrections_by_ids(db, user_id, [correction_id])
        return AlreadyUndone(message=str(error), correction=found[correction_id])
    except undo.CannotUndo as error:
        return CannotUndo(message=str(error))
    return CorrectionUndone(correction=node, sessions=sessions, threshold_offset=offset)


async def recluster_library_field(info: Info[RequestContext, None]) -> ReclusterLibraryPayload:
    queue = info.context.job_queue
    if queue is None:
        return JobQueueUnavailable(message="this server has no job queue (Redis) configured")
    user_id = info.context.user_id
    job_id = recluster_job_id(user_id)
    try:
        job = await queue.enqueue_job(RECLUSTER_JOB, str(user_id), _job_id=job_id)
    except (OSError, RedisError) as error:
        log.warning("could not queue a library re-cluster: %s", error)
        return JobQueueUnavailable(message="the job queue cannot be reached; nothing was queued")
    async with info.context.session_factory() as db:
        learned = await correction_history.calibration_of(db, user_id)
    return LibraryReclusterQueued(
        job_id=job_id,
        already_queued=job is None,
        state=await _recluster_state(info) or ReclusterState.QUEUED,
        threshold_offset=learned.threshold_offset,
    )
