"""Permission classes: authentication and token scopes, checked before any resolver runs."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from api.context import RequestContext

AUTHENTICATION_REQUIRED = (
    "Authentication required: send `Authorization: Bearer <token>` with an Atelier API token "
    "(create one with `atelier token create <user>`)."
)


class IsAuthenticated(BasePermission):
    message = AUTHENTICATION_REQUIRED
    error_extensions = {"code": "UNAUTHENTICATED"}  # noqa: RUF012 - strawberry reads it per class

    def has_permission(self, source: Any, info: Info[RequestContext, None], **kwargs: Any) -> bool:
        return info.context.principal is not None


class HasScope(BasePermission):
    """The token must carry ``scope`` (tokens are scoped for third-party integrations)."""

    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.message = f"This token lacks the `{scope}` scope."

    def has_permission(self, source: Any, info: Info[RequestContext, None], **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            self.message = AUTHENTICATION_REQUIRED
            self.error_extensions = {"code": "UNAUTHENTICATED"}
            return False
        return self.scope in principal.scopes
