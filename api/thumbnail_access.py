"""Who may download a thumbnail: the decision behind ``GET /thumbnails/<sha>.webp``.

Two ways in, checked in this order:

- a signed URL (``u``, ``e``, ``s`` query parameters, see :mod:`api.thumbnail_urls`): parameters
  that cannot be parsed are ``MALFORMED`` (400); a wrong or expired signature is ``UNAUTHENTICATED``
  (401). Signing happens only for tokens with ``library:read``, so the URL carries that grant;
- a Bearer token: none or an invalid one is ``UNAUTHENTICATED`` (401), a token without
  ``library:read`` is ``FORBIDDEN`` (403), a thumbnail the token's user does not own is
  ``UNAUTHENTICATED`` too (401, so nobody learns which thumbnails exist).
"""

from __future__ import annotations

import enum
import uuid

from starlette.datastructures import QueryParams
from starlette.requests import Request

from api.bearer_auth import principal_from_request
from api.graphql.permissions import LIBRARY_READ
from api.thumbnail_urls import ThumbnailSigner
from catalog.database import SessionFactory
from catalog.sessions.queries import user_owns_thumbnail

SIGNED_URL_PARAMETERS = frozenset({"u", "e", "s"})
EXPIRY_MAX_DIGITS = 20
"""Unix seconds fit in far fewer digits; longer values are refused before ``int()`` parses them."""


class ThumbnailAccess(enum.Enum):
    GRANTED = (200, "")
    MALFORMED = (400, "malformed signed thumbnail URL: use a thumbnail URL from the API unchanged")
    UNAUTHENTICATED = (401, "authentication required: a signed URL from the API or a Bearer token")
    FORBIDDEN = (403, f"this token lacks the `{LIBRARY_READ}` scope needed for thumbnails")

    @property
    def status_code(self) -> int:
        return self.value[0]

    @property
    def message(self) -> str:
        return self.value[1]


async def thumbnail_access(
    signer: ThumbnailSigner, factory: SessionFactory, request: Request, sha: str
) -> ThumbnailAccess:
    if set(request.query_params) >= SIGNED_URL_PARAMETERS:
        return _signed_url_access(signer, request.query_params, sha)
    principal = await principal_from_request(factory, request)
    if principal is None:
        return ThumbnailAccess.UNAUTHENTICATED
    if LIBRARY_READ not in principal.scopes:
        return ThumbnailAccess.FORBIDDEN
    async with factory() as db:
        owned = await user_owns_thumbnail(db, principal.user_id, sha)
    return ThumbnailAccess.GRANTED if owned else ThumbnailAccess.UNAUTHENTICATED


def _signed_url_access(signer: ThumbnailSigner, query: QueryParams, sha: str) -> ThumbnailAccess:
    raw_expiry = query["e"]
    if not (raw_expiry.isascii() and raw_expiry.isdigit() and len(raw_expiry) <= EXPIRY_MAX_DIGITS):
        return ThumbnailAccess.MALFORMED
    try:
        user_id = uuid.UUID(query["u"])
    except ValueError:
        return ThumbnailAccess.MALFORMED
    if signer.verify(user_id, sha, int(raw_expiry), query["s"]):
        return ThumbnailAccess.GRANTED
    return ThumbnailAccess.UNAUTHENTICATED
