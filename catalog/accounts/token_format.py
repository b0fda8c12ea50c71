"""API token format: ``atl_<prefix>_<secret>``.

The 10-character prefix is public (shown in listings, used to find the row); only the SHA-256 of
the whole token is stored, compared in constant time. Tokens carry scopes; ``ALL_SCOPES`` is what a
personal token from ``atelier token create`` gets unless narrowed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

TOKEN_MARKER = "atl"
PREFIX_LENGTH = 10
SECRET_MAX_CHARS = 128
_TOKEN_SHAPE = re.compile(
    rf"{TOKEN_MARKER}_([0-9a-f]{{{PREFIX_LENGTH}}})_[A-Za-z0-9_-]{{1,{SECRET_MAX_CHARS}}}"
)

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
    """The public prefix of a well-formed token, or ``None`` when it cannot be one of ours.

    Only the alphabet we generate passes (hex prefix, URL-safe secret), so text that could not be
    hashed or stored (NUL, surrogates, other scripts) never reaches the database.
    """
    match = _TOKEN_SHAPE.fullmatch(plaintext)
    return None if match is None else match.group(1)


def is_token_prefix(value: str) -> bool:
    """Whether ``value`` has the shape of a public prefix (what ``atelier token revoke`` takes)."""
    return len(value) == PREFIX_LENGTH and all(c in "0123456789abcdef" for c in value)


def token_matches(plaintext: str, stored_sha256: bytes) -> bool:
    return hmac.compare_digest(hash_token(plaintext), stored_sha256)


def validate_scopes(scopes: list[str]) -> list[str]:
    """The scopes, sorted and without repeats. Raises :class:`UnknownScope` for a scope that is not
    one of :data:`ALL_SCOPES`, and for none at all: a token without scopes could do nothing, which
    nobody asks for on purpose (a client sending ``[]`` meant something else)."""
    if not scopes:
        raise UnknownScope(f"a token needs at least one scope; known: {', '.join(ALL_SCOPES)}")
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise UnknownScope(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}")
    return sorted(set(scopes))


TOKEN_LIFETIME_MAX = timedelta(days=3650)
"""The longest lifetime a token may be given (``None`` — no expiry — is allowed separately)."""
