"""Comparing API answers that hold signed thumbnail URLs across requests.

A signed URL's expiry and signature belong to an hourly bucket (``api/thumbnail_urls.py``), so two
requests that straddle the hour get different URLs for the same thumbnail. Tests that compare answers
from separate requests compare the URLs without those two parameters; tests of the signature itself
fetch the URL.
"""

from __future__ import annotations

from typing import Any

_SIGNED_PART = "&e="


def without_signatures(answer: Any) -> Any:
    """``answer`` (decoded JSON) with every thumbnail URL cut before its expiry and signature."""
    if isinstance(answer, dict):
        return {key: without_signatures(value) for key, value in answer.items()}
    if isinstance(answer, list):
        return [without_signatures(value) for value in answer]
    if isinstance(answer, str) and answer.startswith("/thumbnails/") and _SIGNED_PART in answer:
        return answer.split(_SIGNED_PART, 1)[0]
    return answer
