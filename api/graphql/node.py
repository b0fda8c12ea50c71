"""``Query.node(id)`` and ``Query.nodes(ids)``: any of the viewer's objects by its global id.

Invariants:
- Only the viewer's own objects are returned. Another user's id, an unknown type prefix and a
  malformed id all give ``null``, indistinguishable from an id that never existed.
- ``nodes`` keeps the order of ``ids`` (one entry per id, ``null`` where nothing is found) and takes
  at most :data:`NODES_MAX` ids; it reads with one query per type present, whatever the number of ids.
- Scope: the fields need ``library:read``, the scope of every path these types are normally read
  through (``viewer.sessions``, ``session``, ``reflection``, ``viewer.apiTokens``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from api.context import RequestContext
from api.graphql.api_tokens import ApiToken
from api.graphql.correction_history import corrections_by_ids
from api.graphql.node_interface import Node
from api.graphql.pagination import InvalidArgument, encode_id
from api.graphql.reflections import Reflection
from api.graphql.types import Asset, Phase, Session, Viewer
from catalog.accounts import service as accounts
from catalog.sessions import queries
from reflection import service as reflections

NODES_MAX = 100

_Loader = Callable[
    [AsyncSession, Info[RequestContext, None], Sequence[uuid.UUID]], Awaitable[dict[uuid.UUID, Node]]
]


async def _sessions(
    db: AsyncSession, info: Info[RequestContext, None], ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Node]:
    rows = await queries.sessions_by_ids(db, info.context.user_id, ids)
    return {key: Session.from_row(row) for key, row in rows.items()}


async def _assets(
    db: AsyncSession, info: Info[RequestContext, None], ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Node]:
    rows = await queries.assets_by_ids(db, info.context.user_id, ids)
    return {key: Asset.from_row(row) for key, row in rows.items()}


async def _phases(
    db: AsyncSession, info: Info[RequestContext, None], ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Node]:
    rows = await queries.phases_by_ids(db, info.context.user_id, ids)
    return {key: Phase.from_row(row) for key, row in rows.items()}


async def _reflections(
    db: AsyncSession, info: Info[RequestContext, None], ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Node]:
    rows = await reflections.reflections_by_ids(db, info.context.user_id, ids)
    return {key: Reflection.from_row(row) for key, row in rows.items()}


async def _api_tokens(
    db: AsyncSession, info: Info[RequestContext, None], ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Node]:
    principal = info.context.principal
    assert principal is not None, "permission classes run first"
    rows = await accounts.user_tokens_by_ids(db, principal.user_id, ids)
    now = datetime.now().astimezone()
    return {
        key: ApiToken.from_row(row, now=now, current_token_id=principal.token_id) for key, row in rows.items()
    }


async def _corrections(
    db: AsyncSession, info: Info[RequestContext, None], ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Node]:
    return dict(await corrections_by_ids(db, info.context.user_id, ids))


_LOADERS: dict[str, _Loader] = {
    "Session": _sessions,
    "Asset": _assets,
    "Phase": _phases,
    "Reflection": _reflections,
    "ApiToken": _api_tokens,
    "Correction": _corrections,
}
_USER_KIND = "User"


def viewer_of(info: Info[RequestContext, None]) -> Viewer:
    principal = info.context.principal
    assert principal is not None, "permission classes run first"
    return Viewer(
        id=encode_id(_USER_KIND, principal.user_id), handle=principal.user_handle, timezone=principal.timezone
    )


def _parsed(value: str) -> tuple[str, uuid.UUID] | None:
    kind, _, raw = value.partition(":")
    if kind != _USER_KIND and kind not in _LOADERS:
        return None
    try:
        return kind, uuid.UUID(raw)
    except ValueError:
        return None


async def resolve_nodes(info: Info[RequestContext, None], ids: Sequence[str]) -> list[Node | None]:
    if len(ids) > NODES_MAX:
        raise InvalidArgument(f"`ids` takes at most {NODES_MAX} ids, got {len(ids)}")
    context = info.context
    parsed = [_parsed(value) for value in ids]
    wanted: dict[str, set[uuid.UUID]] = {}
    for item in parsed:
        if item is not None and item[0] in _LOADERS:
            wanted.setdefault(item[0], set()).add(item[1])
    found: dict[str, dict[uuid.UUID, Node]] = {}
    if wanted:
        async with context.session_factory() as db:
            for kind, kind_ids in wanted.items():
                found[kind] = await _LOADERS[kind](db, info, sorted(kind_ids))
    results: list[Node | None] = []
    for item in parsed:
        if item is None:
            results.append(None)
        elif item[0] == _USER_KIND:
            results.append(viewer_of(info) if item[1] == context.user_id else None)
        else:
            results.append(found[item[0]].get(item[1]))
    return results
