"""Signed thumbnail URLs made in a batch are the very URLs made one by one, and verify."""

from __future__ import annotations

import time
import uuid

from api.thumbnail_urls import URL_LIFETIME_SECONDS, ThumbnailSigner

SHAS = [f"{number:064x}" for number in range(12)]


def test_a_batch_signs_each_url_as_one_call_does() -> None:
    user = uuid.uuid4()
    now = time.time()
    batch = ThumbnailSigner(b"k" * 32).urls(user, SHAS, now=now)
    one_by_one = [ThumbnailSigner(b"k" * 32).url(user, sha, now=now) for sha in SHAS]
    assert batch == one_by_one and len(set(batch)) == len(SHAS)
    for sha, url in zip(SHAS, batch, strict=True):
        query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
        assert url.startswith(f"/thumbnails/{sha}.webp?") and query["u"] == str(user)
        assert ThumbnailSigner(b"k" * 32).verify(user, sha, int(query["e"]), query["s"])
        assert not ThumbnailSigner(b"other" * 8).verify(user, sha, int(query["e"]), query["s"])


def test_a_remembered_url_is_renewed_with_the_next_expiry_bucket() -> None:
    signer, user = ThumbnailSigner(b"k" * 32), uuid.uuid4()
    now = time.time()
    first = signer.urls(user, SHAS[:2], now=now)
    assert signer.urls(user, SHAS[:2], now=now) == first  # remembered
    later = signer.urls(user, SHAS[:2], now=now + URL_LIFETIME_SECONDS)
    renewed = int(now) // 3600 * 3600 + 2 * URL_LIFETIME_SECONDS
    assert later != first and all(f"e={renewed}&" in url for url in later)
