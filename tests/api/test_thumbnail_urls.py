"""Signed thumbnail URLs made in a batch: each is its own thumbnail's, verifies, and is renewed with the
next expiry bucket."""

from __future__ import annotations

import time
import uuid

from api.thumbnail_urls import URL_LIFETIME_SECONDS, ThumbnailSigner

SHAS = [f"{number:064x}" for number in range(12)]


def test_each_url_of_a_batch_is_its_own_thumbnails_and_verifies() -> None:
    user = uuid.uuid4()
    batch = ThumbnailSigner(b"k" * 32).urls([(user, sha) for sha in SHAS], now=time.time())
    assert len(set(batch)) == len(SHAS)
    for sha, url in zip(SHAS, batch, strict=True):
        query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
        assert url.startswith(f"/thumbnails/{sha}.webp?") and query["u"] == str(user)
        assert ThumbnailSigner(b"k" * 32).verify(user, sha, int(query["e"]), query["s"])
        assert not ThumbnailSigner(b"other" * 8).verify(user, sha, int(query["e"]), query["s"])


def test_a_remembered_url_is_renewed_with_the_next_expiry_bucket() -> None:
    signer, user = ThumbnailSigner(b"k" * 32), uuid.uuid4()
    now = time.time()
    pairs = [(user, sha) for sha in SHAS[:2]]
    first = signer.urls(pairs, now=now)
    assert signer.urls(pairs, now=now) == first  # remembered
    later = signer.urls(pairs, now=now + URL_LIFETIME_SECONDS)
    renewed = int(now) // 3600 * 3600 + 2 * URL_LIFETIME_SECONDS
    assert later != first and all(f"e={renewed}&" in url for url in later)
