"""Shared GraphQL plumbing: opaque ids, keyset cursors, page-size checks, ``PageInfo``.

Ids are opaque strings (``Session:<uuid>``) so clients never build them; cursors are URL-safe base64
of the keyset values; pages take ``first`` 1–100.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

import strawberry

PAGE_SIZE_MAX = 100


class InvalidArgument(ValueError):
    """A client mistake (bad cursor, page size out of range); shown to the client as is."""


def encode_id(kind: str, value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(f"{kind}:{value}")


def decode_id(kind: str, value: str) -> uuid.UUID | None:
    prefix, _, raw = value.partition(":")
    if prefix != kind:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def check_page_size(first: int) -> int:
    if not 1 <= first <= PAGE_SIZE_MAX:
        raise InvalidArgument(f"`first` must be between 1 and {PAGE_SIZE_MAX}, got {first}")
    return first


def encode_cursor(*parts: object) -> str:
    text = "|".join(part.isoformat() if isinstance(part, datetime) else str(part) for part in parts)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidArgument("malformed cursor; pass an endCursor you received") from error
    if len(parts) != arity:
        raise InvalidArgument("malformed cursor; pass an endCursor you received")
    return parts


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
