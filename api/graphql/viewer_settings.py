"""``updateViewer``: the viewer's own settings (today: the time zone).

Invariants: needs ``library:write`` (a read-only token changes nothing: ``FORBIDDEN``); a zone that is
not an IANA name is ``BAD_USER_INPUT`` naming it, and nothing is stored; a valid one is stored in its
own unit of work and the returned ``Viewer`` already uses it (its ``sessionGroups`` are grouped by the
new zone in the same response). The request's principal is given the stored zone too, so every later
field of the same document (a second ``updateViewer``, ``node(id:)`` of the viewer) answers the zone
stored, not the one read when the request was authenticated. Only the requesting user's row is ever
written.
"""

from __future__ import annotations

from dataclasses import replace

from strawberry.types import Info

from api.context import RequestContext
from api.graphql.pagination import InvalidArgument, encode_id
from api.graphql.types import Viewer
from catalog.accounts.time_zones import InvalidTimeZone, checked_time_zone, set_user_time_zone
from catalog.database import unit_of_work


async def update_viewer(info: Info[RequestContext, None], timezone: str | None) -> Viewer:
    principal = info.context.principal
    assert principal is not None, "permission classes run first"
    zone = principal.timezone
    if timezone is not None:
        try:
            zone = checked_time_zone(timezone)
        except InvalidTimeZone as error:
            raise InvalidArgument(f"`timezone`: {error}") from error
        async with unit_of_work(info.context.session_factory) as db:
            await set_user_time_zone(db, principal.user_id, zone)
        info.context.principal = replace(principal, timezone=zone)  # committed: the request sees it now
    return Viewer(id=encode_id("User", principal.user_id), handle=principal.user_handle, timezone=zone)
