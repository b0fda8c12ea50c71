"""API token format: ``atl_<prefix>_<secret>``.

The 10-character prefix is public (shown in listings, used to find the row); only the SHA-256 of
the whole token is stored, compared in constant time. Tokens carry scopes; ``ALL_SCOPES`` is what a
personal token from ``atelier token create`` gets unless narrowed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

TOKEN_MARKER = "atl"
PREFIX_LENGTH = 10

SCOPE_DESCRIPTIONS: dict[str, str] = {
    "library:read": "read sessions, phases, assets, lineage and thumbnails",
    "library:write": "import assets and correct sessions (merge, split, move, relabel)",
    "reflections:write": "quote and order AI reflections (spends credits)",
    "credits:read": "read the credit balance and ledger",
}
ALL_SCOPES: tuple[str, ...] = tuple(SCOPE_DESCRIPTIONS)


class UnknownScope(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class NewToken:
    prefix: str
    plaintext: str
    secret_sha256: bytes


def generate_token() -> NewToken:
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    plaintext = f"{TOKEN_MARKER}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewToken(prefix=prefix, plaintext=plaintext, secret_sha256=hash_token(plaintext))


def hash_token(plaintext: str) -> bytes:
    return hashlib.sha256(plaintext.encode()).digest()


def prefix_of(plaintext: str) -> str | None:
    """The public prefix of a well-formed token, or ``None`` when it cannot be one of ours."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_MARKER or len(parts[1]) != PREFIX_LENGTH:
        return None
    return parts[1]


def token_matches(plaintext: str, stored_sha256: bytes) -> bool:
    return hmac.compare_digest(hash_token(plaintext), stored_sha256)


def validate_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise UnknownScope(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}")
    return sorted(set(scopes))
