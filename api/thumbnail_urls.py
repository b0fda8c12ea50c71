"""Signed thumbnail URLs: ``/thumbnails/<sha>.webp?u=<user>&e=<expiry>&s=<signature>``.

A browser ``<img>`` cannot send a Bearer header, so the API hands out URLs signed with HMAC-SHA256
over (user id, thumbnail address, expiry). The route also accepts a Bearer token instead. A signature
is valid only for the user it was issued to and only until its expiry (unix seconds); URLs are
stable within an expiry bucket, so browsers can cache them. The API signs a URL only for a token with
the ``library:read`` scope (the GraphQL thumbnail fields require it), so holding a signed URL means a
reader of that library asked for it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from urllib.parse import urlencode

URL_LIFETIME_SECONDS = 6 * 3600
_BUCKET_SECONDS = 3600


class ThumbnailSigner:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def url(self, user_id: uuid.UUID, thumbnail_sha256: str, *, now: float | None = None) -> str:
        moment = int(now if now is not None else time.time())
        expires = (moment // _BUCKET_SECONDS) * _BUCKET_SECONDS + URL_LIFETIME_SECONDS
        query = urlencode(
            {"u": str(user_id), "e": expires, "s": self._sign(user_id, thumbnail_sha256, expires)}
        )
        return f"/thumbnails/{thumbnail_sha256}.webp?{query}"

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
