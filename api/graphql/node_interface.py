"""The Relay ``Node`` interface: every type with a global id (``<Type>:<uuid>``) implements it.

Kept apart from the ``node``/``nodes`` resolvers (:mod:`api.graphql.node`) so the object types can
implement it without importing each other.
"""

from __future__ import annotations

import strawberry


@strawberry.interface(
    description="An object with a global id (`<Type>:<uuid>`), fetchable again with `node(id:)`"
)
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global id (`<Type>:<uuid>`)")
