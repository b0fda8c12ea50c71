"""Signed thumbnail URLs: ``/thumbnails/<sha>.webp?u=<user>&e=<expiry>&s=<signature>``.

A browser ``<img>`` cannot send a Bearer header, so the API hands out URLs signed with HMAC-SHA256
over (user id, thumbnail address, expiry). The route also accepts a Bearer token instead. A signature
is valid only for the user it was issued to and only until its expiry (unix seconds); URLs are
stable within an expiry bucket, so browsers can cache them. The API signs a URL only for a token with
the ``library:read`` scope (the GraphQL thumbnail fields require it), so holding a signed URL means a
reader of that library asked for it.

Cost: one HMAC per URL (a few µs); the query string is formatted directly (every value is already
URL-safe: a UUID, an integer, hex), not through ``urlencode`` (which cost ten times the HMAC), and a
signer remembers the URLs it made in the current expiry bucket (bounded), so a page that shows the same
thumbnail twice, or the next page load, signs it once.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Iterable

URL_LIFETIME_SECONDS = 6 * 3600
_BUCKET_SECONDS = 3600
_REMEMBERED_URLS = 4096
"""URLs a signer keeps for its current expiry bucket; it starts over when full or when the bucket ends."""


class ThumbnailSigner:
    """Signs and checks thumbnail URLs. One per app, shared by concurrent requests: its memo of made
    URLs is a plain dict touched only between awaits (one event loop), and holds nothing a request
    could not compute itself."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._made: dict[tuple[uuid.UUID, str], str] = {}
        self._made_expires = 0

    def url(self, user_id: uuid.UUID, thumbnail_sha256: str, *, now: float | None = None) -> str:
        return self.urls(((user_id, thumbnail_sha256),), now=now)[0]

    def urls(self, thumbnails: Iterable[tuple[uuid.UUID, str]], *, now: float | None = None) -> list[str]:
        """:meth:`url` of each ``(user id, thumbnail address)``, in order (the expiry bucket found
        once: a session card shows nine)."""
        moment = int(now if now is not None else time.time())
        expires = (moment // _BUCKET_SECONDS) * _BUCKET_SECONDS + URL_LIFETIME_SECONDS
        if expires != self._made_expires or len(self._made) >= _REMEMBERED_URLS:
            self._made = {}
            self._made_expires = expires
        remembered = self._made
        urls: list[str] = []
        for key in thumbnails:
            made = remembered.get(key)
            if made is None:
                user_id, thumbnail_sha256 = key
                signature = self._sign(user_id, thumbnail_sha256, expires)
                made = f"/thumbnails/{thumbnail_sha256}.webp?u={user_id}&e={expires}&s={signature}"
                remembered[key] = made
            urls.append(made)
        return urls

    def verify(self, user_id: uuid.UUID, thumbnail_sha256: str, expires: int, signature: str) -> bool:
        """Whether ``signature`` is ours for these values and not expired.

        Compared as bytes in constant time: ``signature`` comes from the URL and may hold any
        character (``hmac.compare_digest`` refuses non-ASCII ``str``, and a refusal is not an answer).
        """
        if expires < time.time():
            return False
        expected = self._sign(user_id, thumbnail_sha256, expires).encode("ascii")
        return hmac.compare_digest(expected, signature.encode("utf-8", errors="surrogatepass"))

    def _sign(self, user_id: uuid.UUID, thumbnail_sha256: str, expires: int) -> str:
        message = f"{user_id}:{thumbnail_sha256}:{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]
