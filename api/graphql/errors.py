"""Typed expected failures shared by several mutations (members of result unions, not errors)."""

from __future__ import annotations

import strawberry


@strawberry.type(description="The thing named does not exist, or is not the viewer's")
class NotFound:
    message: str = strawberry.field(description="Which id was not found, in English, for logs and developers")
