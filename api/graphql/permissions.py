"""Permission classes: authentication and token scopes, checked before any resolver runs.

Invariant: a permission instance is built once, with the schema, and shared by every request, so it
holds only configuration fixed at construction (its scope and message) and never records anything
about a request. The outcome of a check depends on that request's context alone. Fields that need a
scope take :func:`requires_scope`, which checks authentication first (``UNAUTHENTICATED``) and then
the scope (``FORBIDDEN``), each with its own fixed message.
"""

from __future__ import annotations

from typing import Any, Final

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from api.context import RequestContext
from catalog.accounts.token_format import ALL_SCOPES

AUTHENTICATION_REQUIRED = (
    "Authentication required: send `Authorization: Bearer <token>` with a valid Atelier API token; a "
    "revoked, expired or unknown token counts as none (create one with `atelier token create <user>`)."
)
LIBRARY_READ: Final = "library:read"
LIBRARY_WRITE: Final = "library:write"
REFLECTIONS_WRITE: Final = "reflections:write"
CREDITS_READ: Final = "credits:read"
assert {LIBRARY_READ, LIBRARY_WRITE, REFLECTIONS_WRITE, CREDITS_READ} <= set(ALL_SCOPES), "unknown scope"


class IsAuthenticated(BasePermission):
    message = AUTHENTICATION_REQUIRED
    error_extensions = {"code": "UNAUTHENTICATED"}  # noqa: RUF012 - strawberry reads it per class

    def has_permission(self, source: Any, info: Info[RequestContext, None], **kwargs: Any) -> bool:
        return info.context.principal is not None


class HasScope(BasePermission):
    """The token must carry ``scope`` (tokens are scoped for third-party integrations).

    Without a principal this also refuses (``FORBIDDEN``); use it after :class:`IsAuthenticated`
    (as :func:`requires_scope` does) so an anonymous request is told to authenticate instead.
    """

    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.message = f"This token lacks the `{scope}` scope."

    def has_permission(self, source: Any, info: Info[RequestContext, None], **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and self.scope in principal.scopes


def requires_scope(scope: str) -> list[FieldExtension]:
    """Field extensions for a field that needs an authenticated token with ``scope``.

    A fresh extension per field: strawberry's ``PermissionExtension.apply`` configures itself for the
    field it is applied to, so one instance must not serve several fields.
    """
    return [PermissionExtension(permissions=[IsAuthenticated(), HasScope(scope)])]


_AUTHENTICATED: Final = IsAuthenticated()
_HAS_SCOPE: Final = {scope: HasScope(scope) for scope in ALL_SCOPES}


def scope_directives(scope: str) -> list[object]:
    """The schema directives :func:`requires_scope` puts on a field (``@isAuthenticated @hasScope``),
    for a hot field that checks its scope with :func:`check_scope` in its resolver instead: the
    printed schema stays the same."""
    return [_AUTHENTICATED.schema_directive, _HAS_SCOPE[scope].schema_directive]


def check_scope(info: Info[RequestContext, None], scope: str) -> None:
    """Raise exactly what :func:`requires_scope`'s extension raises when the request lacks ``scope``:
    ``UNAUTHENTICATED`` without a token, else ``FORBIDDEN``, same error class and message.

    For fields resolved once per item of a page (an image's ``thumbnailUrl``): strawberry's field
    extension wraps every resolution in several Python calls, this is one set lookup. Call it first in
    the resolver, before anything is read. The instances are shared (they hold only their scope).
    """
    principal = info.context.principal
    if principal is None:
        _AUTHENTICATED.on_unauthorized()
    elif scope not in principal.scopes:
        _HAS_SCOPE[scope].on_unauthorized()
